/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * xensim's xenstored at the protocol level (tools/xensim/xenstore.c): whole
 * requests in, replies and watch events out, as the real libxenstore sees
 * them over the socket (hdr:xen/io/xs_wire.h, xen:docs/misc/xenstore.txt).
 */
#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tools/xensim/xenstore.h"

typedef struct Msg {
    struct xsd_sockmsg hdr;
    GByteArray *body;
} Msg;

typedef struct Client {
    XsConn *conn;
    GPtrArray *replies;     /* Msg * */
    GPtrArray *events;      /* Msg * */
    uint32_t next_req;
} Client;

static void msg_free(gpointer p)
{
    Msg *m = p;

    g_byte_array_free(m->body, TRUE);
    g_free(m);
}

static void capture(XsConn *conn, const struct xsd_sockmsg *hdr, const void *body, void *opaque)
{
    Client *c = opaque;
    Msg *m = g_new0(Msg, 1);

    m->hdr = *hdr;
    m->body = g_byte_array_new();
    g_byte_array_append(m->body, body, hdr->len);
    g_ptr_array_add(hdr->type == XS_WATCH_EVENT ? c->events : c->replies, m);
}

static Client *client_new(XsStore *s, unsigned domid)
{
    Client *c = g_new0(Client, 1);

    c->replies = g_ptr_array_new_with_free_func(msg_free);
    c->events = g_ptr_array_new_with_free_func(msg_free);
    c->conn = xs_conn_new(s, domid, capture, c);
    c->next_req = 100;
    return c;
}

static void client_free(Client *c)
{
    xs_conn_free(c->conn);
    g_ptr_array_free(c->replies, TRUE);
    g_ptr_array_free(c->events, TRUE);
    g_free(c);
}

/* Send one request (body of len bytes); return its reply, which must echo req_id/tx_id. */
static Msg *request(Client *c, uint32_t type, uint32_t tx, const void *body, size_t len)
{
    struct xsd_sockmsg hdr = {
        .type = type, .req_id = c->next_req++, .tx_id = tx, .len = (uint32_t)len,
    };
    Msg *m;

    g_ptr_array_set_size(c->replies, 0);
    xs_conn_process(c->conn, &hdr, body);
    g_assert_cmpuint(c->replies->len, ==, 1);
    m = g_ptr_array_index(c->replies, 0);
    g_assert_cmpuint(m->hdr.req_id, ==, hdr.req_id);
    g_assert_cmpuint(m->hdr.tx_id, ==, tx);
    return m;
}

/* Body made of nul-terminated strings: "a", "b" -> "a\0b\0". */
static GByteArray *strings(const char *first, ...)
{
    GByteArray *b = g_byte_array_new();
    const char *s;
    va_list ap;

    va_start(ap, first);
    for (s = first; s; s = va_arg(ap, const char *)) {
        g_byte_array_append(b, (const guint8 *)s, strlen(s) + 1);
    }
    va_end(ap);
    return b;
}

static Msg *req_strings(Client *c, uint32_t type, uint32_t tx, const char *first, ...)
{
    GByteArray *b = g_byte_array_new();
    const char *s;
    va_list ap;
    Msg *m;

    va_start(ap, first);
    for (s = first; s; s = va_arg(ap, const char *)) {
        g_byte_array_append(b, (const guint8 *)s, strlen(s) + 1);
    }
    va_end(ap);
    m = request(c, type, tx, b->data, b->len);
    g_byte_array_free(b, TRUE);
    return m;
}

static void assert_ok(Msg *m, uint32_t type)
{
    g_assert_cmpuint(m->hdr.type, ==, type);
    g_assert_cmpuint(m->body->len, ==, 3);
    g_assert_cmpmem(m->body->data, 3, "OK", 3);
}

static void assert_error(Msg *m, const char *err)
{
    g_assert_cmpuint(m->hdr.type, ==, XS_ERROR);
    g_assert_cmpmem(m->body->data, m->body->len, err, strlen(err) + 1);
}

static void assert_body(Msg *m, uint32_t type, const void *data, size_t len)
{
    g_assert_cmpuint(m->hdr.type, ==, type);
    g_assert_cmpmem(m->body->data, m->body->len, data, len);
}

static Msg *write_str(Client *c, uint32_t tx, const char *path, const char *value)
{
    GByteArray *b = strings(path, NULL);
    Msg *m;

    g_byte_array_append(b, (const guint8 *)value, strlen(value));  /* no nul */
    m = request(c, XS_WRITE, tx, b->data, b->len);
    g_byte_array_free(b, TRUE);
    return m;
}

static void assert_event(Client *c, guint i, const char *path, const char *token)
{
    GByteArray *want = strings(path, token, NULL);
    Msg *m;

    g_assert_cmpuint(c->events->len, >, i);
    m = g_ptr_array_index(c->events, i);
    g_assert_cmpmem(m->body->data, m->body->len, want->data, want->len);
    g_assert_cmpuint(m->hdr.req_id, ==, 0);
    g_byte_array_free(want, TRUE);
}

static void test_read_write(void)
{
    XsStore *s = xs_store_new();
    Client *c = client_new(s, 0);

    assert_ok(write_str(c, 0, "/a/b/c", "value"), XS_WRITE);
    assert_body(req_strings(c, XS_READ, 0, "/a/b/c", NULL), XS_READ, "value", 5);
    /* Parents are created with empty values. */
    assert_body(req_strings(c, XS_READ, 0, "/a/b", NULL), XS_READ, "", 0);
    assert_body(req_strings(c, XS_DIRECTORY, 0, "/a", NULL), XS_DIRECTORY, "b", 2);
    assert_error(req_strings(c, XS_READ, 0, "/a/nope", NULL), "ENOENT");
    assert_error(req_strings(c, XS_DIRECTORY, 0, "/nope", NULL), "ENOENT");
    /* Values may hold any byte, including nul. */
    {
        GByteArray *b = strings("/bin", NULL);
        static const guint8 raw[] = { 0, 1, 2, 0xff };

        g_byte_array_append(b, raw, sizeof(raw));
        assert_ok(request(c, XS_WRITE, 0, b->data, b->len), XS_WRITE);
        assert_body(req_strings(c, XS_READ, 0, "/bin", NULL), XS_READ, raw, sizeof(raw));
        g_byte_array_free(b, TRUE);
    }
    /* Relative paths are under the connection's home, /local/domain/<domid>. */
    assert_ok(write_str(c, 0, "device-model/5/state", "running"), XS_WRITE);
    assert_body(req_strings(c, XS_READ, 0, "/local/domain/0/device-model/5/state", NULL),
                XS_READ, "running", 7);
    {
        size_t len;
        char *v = xs_store_read(s, "/local/domain/0/device-model/5/state", &len);

        g_assert_cmpstr(v, ==, "running");
        g_assert_cmpuint(len, ==, 7);
        g_free(v);
    }
    assert_body(req_strings(c, XS_GET_DOMAIN_PATH, 0, "3", NULL), XS_GET_DOMAIN_PATH,
                "/local/domain/3", 16);
    client_free(c);
    xs_store_free(s);
}

static void test_invalid_paths(void)
{
    XsStore *s = xs_store_new();
    Client *c = client_new(s, 0);
    char *long_path = g_strnfill(XENSTORE_ABS_PATH_MAX + 10, 'x');

    long_path[0] = '/';
    assert_error(write_str(c, 0, "/a//b", "v"), "EINVAL");
    assert_error(write_str(c, 0, "/a/", "v"), "EINVAL");
    assert_error(write_str(c, 0, "/a b", "v"), "EINVAL");
    assert_error(write_str(c, 0, "/a*", "v"), "EINVAL");
    assert_error(write_str(c, 0, long_path, "v"), "E2BIG");
    assert_error(req_strings(c, XS_RM, 0, "/", NULL), "EINVAL");
    assert_error(req_strings(c, XS_GET_DOMAIN_PATH, 0, "abc", NULL), "EINVAL");
    g_assert_cmpint(xs_store_write_str(s, "relative", "x"), ==, EINVAL);
    g_free(long_path);
    client_free(c);
    xs_store_free(s);
}

static void test_rm_mkdir(void)
{
    XsStore *s = xs_store_new();
    Client *c = client_new(s, 0);
    unsigned before = xs_store_node_count(s);

    assert_ok(write_str(c, 0, "/t/x/y", "1"), XS_WRITE);
    assert_ok(write_str(c, 0, "/t/x/z", "2"), XS_WRITE);
    g_assert_cmpuint(xs_store_node_count(s), ==, before + 4);
    assert_ok(req_strings(c, XS_RM, 0, "/t/x", NULL), XS_RM);
    g_assert_cmpuint(xs_store_node_count(s), ==, before + 1);
    assert_error(req_strings(c, XS_READ, 0, "/t/x/y", NULL), "ENOENT");
    /* Removing a missing node is fine if its parent exists. */
    assert_ok(req_strings(c, XS_RM, 0, "/t/x", NULL), XS_RM);
    assert_error(req_strings(c, XS_RM, 0, "/q/r", NULL), "ENOENT");
    assert_ok(req_strings(c, XS_MKDIR, 0, "/m/n", NULL), XS_MKDIR);
    assert_ok(req_strings(c, XS_MKDIR, 0, "/m/n", NULL), XS_MKDIR);
    assert_body(req_strings(c, XS_DIRECTORY, 0, "/m/n", NULL), XS_DIRECTORY, "", 0);
    client_free(c);
    xs_store_free(s);
}

static void test_watches(void)
{
    XsStore *s = xs_store_new();
    Client *a = client_new(s, 0);
    Client *b = client_new(s, 0);

    assert_ok(req_strings(a, XS_WATCH, 0, "/w", "tok", NULL), XS_WATCH);
    /* Fired once right away. */
    g_assert_cmpuint(a->events->len, ==, 1);
    assert_event(a, 0, "/w", "tok");
    assert_error(req_strings(a, XS_WATCH, 0, "/w", "tok", NULL), "EEXIST");

    assert_ok(write_str(b, 0, "/w/child", "1"), XS_WRITE);
    assert_event(a, 1, "/w/child", "tok");
    assert_ok(write_str(b, 0, "/other", "1"), XS_WRITE);
    g_assert_cmpuint(a->events->len, ==, 2);

    /* A watch below a removed node fires with its own path. */
    assert_ok(req_strings(b, XS_WATCH, 0, "/w/child", "deep", NULL), XS_WATCH);
    g_ptr_array_set_size(b->events, 0);
    assert_ok(req_strings(a, XS_RM, 0, "/w", NULL), XS_RM);
    assert_event(a, 2, "/w", "tok");
    assert_event(b, 0, "/w/child", "deep");

    /* Relative watches report relative paths. */
    g_ptr_array_set_size(a->events, 0);
    assert_ok(req_strings(a, XS_WATCH, 0, "rel", "r", NULL), XS_WATCH);
    assert_event(a, 0, "rel", "r");
    assert_ok(write_str(b, 0, "/local/domain/0/rel/x", "1"), XS_WRITE);
    assert_event(a, 1, "rel/x", "r");

    assert_ok(req_strings(a, XS_UNWATCH, 0, "rel", "r", NULL), XS_UNWATCH);
    assert_error(req_strings(a, XS_UNWATCH, 0, "rel", "r", NULL), "ENOENT");
    assert_ok(write_str(b, 0, "/local/domain/0/rel/y", "1"), XS_WRITE);
    g_assert_cmpuint(a->events->len, ==, 2);

    /* Special watches. */
    g_ptr_array_set_size(a->events, 0);
    assert_ok(req_strings(a, XS_WATCH, 0, "@releaseDomain", "rel", NULL), XS_WATCH);
    assert_event(a, 0, "@releaseDomain", "rel");
    assert_ok(req_strings(b, XS_RELEASE, 0, "5", NULL), XS_RELEASE);
    assert_event(a, 1, "@releaseDomain", "rel");
    assert_body(req_strings(b, XS_IS_DOMAIN_INTRODUCED, 0, "0", NULL), XS_IS_DOMAIN_INTRODUCED,
                "T", 2);
    assert_body(req_strings(b, XS_IS_DOMAIN_INTRODUCED, 0, "7", NULL), XS_IS_DOMAIN_INTRODUCED,
                "F", 2);
    assert_ok(req_strings(b, XS_INTRODUCE, 0, "7", "4096", "3", NULL), XS_INTRODUCE);
    assert_body(req_strings(b, XS_IS_DOMAIN_INTRODUCED, 0, "7", NULL), XS_IS_DOMAIN_INTRODUCED,
                "T", 2);

    /* Freeing a connection drops its watches. */
    client_free(b);
    assert_ok(write_str(a, 0, "/w/child", "2"), XS_WRITE);
    client_free(a);
    xs_store_free(s);
}

static Msg *tx_start(Client *c, uint32_t *id)
{
    Msg *m = req_strings(c, XS_TRANSACTION_START, 0, "", NULL);

    g_assert_cmpuint(m->hdr.type, ==, XS_TRANSACTION_START);
    *id = (uint32_t)strtoul((const char *)m->body->data, NULL, 10);
    g_assert_cmpuint(*id, !=, 0);
    return m;
}

static void test_transactions(void)
{
    XsStore *s = xs_store_new();
    Client *c = client_new(s, 0);
    Client *w = client_new(s, 0);
    uint32_t t;

    assert_ok(req_strings(w, XS_WATCH, 0, "/tx", "t", NULL), XS_WATCH);
    tx_start(c, &t);
    assert_ok(write_str(c, t, "/tx/a", "1"), XS_WRITE);
    assert_body(req_strings(c, XS_READ, t, "/tx/a", NULL), XS_READ, "1", 1);
    assert_error(req_strings(c, XS_READ, 0, "/tx/a", NULL), "ENOENT");
    g_assert_cmpuint(w->events->len, ==, 1);    /* only the initial one so far */
    assert_ok(req_strings(c, XS_TRANSACTION_END, t, "T", NULL), XS_TRANSACTION_END);
    assert_body(req_strings(c, XS_READ, 0, "/tx/a", NULL), XS_READ, "1", 1);
    assert_event(w, 1, "/tx/a", "t");
    assert_error(req_strings(c, XS_TRANSACTION_END, t, "T", NULL), "ENOENT");
    assert_error(req_strings(c, XS_READ, 12345, "/tx/a", NULL), "ENOENT");

    /* Someone else changed what the transaction read: EAGAIN, nothing applied. */
    tx_start(c, &t);
    assert_body(req_strings(c, XS_READ, t, "/tx/a", NULL), XS_READ, "1", 1);
    assert_ok(write_str(c, t, "/tx/b", "mine"), XS_WRITE);
    assert_ok(write_str(w, 0, "/tx/a", "2"), XS_WRITE);
    assert_error(req_strings(c, XS_TRANSACTION_END, t, "T", NULL), "EAGAIN");
    assert_error(req_strings(c, XS_READ, 0, "/tx/b", NULL), "ENOENT");
    assert_body(req_strings(c, XS_READ, 0, "/tx/a", NULL), XS_READ, "2", 1);

    /* Unrelated changes do not conflict; abort discards. */
    tx_start(c, &t);
    assert_ok(write_str(c, t, "/tx/c", "3"), XS_WRITE);
    assert_ok(write_str(w, 0, "/elsewhere", "x"), XS_WRITE);
    assert_ok(req_strings(c, XS_RM, t, "/tx/a", NULL), XS_RM);
    assert_ok(req_strings(c, XS_TRANSACTION_END, t, "T", NULL), XS_TRANSACTION_END);
    assert_body(req_strings(c, XS_READ, 0, "/tx/c", NULL), XS_READ, "3", 1);
    assert_error(req_strings(c, XS_READ, 0, "/tx/a", NULL), "ENOENT");
    tx_start(c, &t);
    assert_ok(write_str(c, t, "/tx/d", "4"), XS_WRITE);
    assert_ok(req_strings(c, XS_TRANSACTION_END, t, "F", NULL), XS_TRANSACTION_END);
    assert_error(req_strings(c, XS_READ, 0, "/tx/d", NULL), "ENOENT");

    /* Bad end argument, and a transaction left open when the connection goes. */
    tx_start(c, &t);
    assert_error(req_strings(c, XS_TRANSACTION_END, t, "X", NULL), "EINVAL");
    assert_error(req_strings(c, XS_TRANSACTION_START, t, "", NULL), "EBUSY");
    client_free(c);
    client_free(w);
    xs_store_free(s);
}

static void test_permissions(void)
{
    XsStore *s = xs_store_new();
    Client *priv = client_new(s, 0);
    Client *d5 = client_new(s, 5);
    Client *d6 = client_new(s, 6);
    static const char perms[] = "n0\0r5";

    assert_ok(write_str(priv, 0, "/p", "secret"), XS_WRITE);
    assert_ok(req_strings(priv, XS_SET_PERMS, 0, "/p", "n0", "r5", NULL), XS_SET_PERMS);
    assert_body(req_strings(priv, XS_GET_PERMS, 0, "/p", NULL), XS_GET_PERMS, perms,
                sizeof(perms));
    assert_body(req_strings(d5, XS_READ, 0, "/p", NULL), XS_READ, "secret", 6);
    assert_error(write_str(d5, 0, "/p", "x"), "EACCES");
    assert_error(req_strings(d6, XS_READ, 0, "/p", NULL), "EACCES");
    assert_error(req_strings(d5, XS_SET_PERMS, 0, "/p", "b5", NULL), "EACCES");

    /* Write permission on the parent lets a domain create; it owns the result. */
    assert_ok(req_strings(priv, XS_MKDIR, 0, "/w", NULL), XS_MKDIR);
    assert_ok(req_strings(priv, XS_SET_PERMS, 0, "/w", "n0", "w5", NULL), XS_SET_PERMS);
    assert_ok(write_str(d5, 0, "/w/mine", "1"), XS_WRITE);
    {
        char *p = xs_store_perms_string(s, "/w/mine");

        g_assert_cmpstr(p, ==, "n5 w5");
        g_free(p);
    }
    assert_error(write_str(d6, 0, "/w/theirs", "1"), "EACCES");
    assert_error(req_strings(priv, XS_SET_PERMS, 0, "/p", "x0", NULL), "EINVAL");
    assert_error(req_strings(priv, XS_SET_PERMS, 0, "/p", NULL), "EINVAL");
    assert_error(req_strings(priv, XS_SET_PERMS, 0, "/missing", "n0", NULL), "ENOENT");
    client_free(priv);
    client_free(d5);
    client_free(d6);
    xs_store_free(s);
}

static void test_directory_part(void)
{
    XsStore *s = xs_store_new();
    Client *c = client_new(s, 0);
    GString *all = g_string_new(NULL);
    GByteArray *got = g_byte_array_new();
    unsigned i, off = 0, rounds = 0;

    for (i = 0; i < 500; i++) {
        char path[32];

        snprintf(path, sizeof(path), "/big/child-%04u", i);
        assert_ok(write_str(c, 0, path, ""), XS_WRITE);
        g_string_append_len(all, path + 5, strlen(path + 5) + 1);
    }
    assert_error(req_strings(c, XS_DIRECTORY, 0, "/big", NULL), "E2BIG");
    /* The client's loop (libxenstore xs_directory_part). */
    for (;;) {
        char offstr[16];
        Msg *m;
        size_t genlen;

        snprintf(offstr, sizeof(offstr), "%u", off);
        m = req_strings(c, XS_DIRECTORY_PART, 0, "/big", offstr, NULL);
        g_assert_cmpuint(m->hdr.type, ==, XS_DIRECTORY_PART);
        g_assert_cmpuint(m->body->len, <=, XENSTORE_PAYLOAD_MAX);
        genlen = strlen((const char *)m->body->data) + 1;
        g_byte_array_append(got, m->body->data + genlen, m->body->len - genlen);
        off += m->body->len - genlen;
        rounds++;
        if (off <= 1 || got->data[off - 2] == 0) {
            break;
        }
        g_assert_cmpuint(rounds, <, 10);
    }
    g_assert_cmpuint(rounds, >, 1);
    /* All names, then the empty string that ends the listing. */
    g_assert_cmpuint(got->len, ==, all->len + 1);
    g_assert_cmpmem(got->data, all->len, all->str, all->len);
    assert_error(req_strings(c, XS_DIRECTORY_PART, 0, "/big", "999999", NULL), "EINVAL");
    g_byte_array_free(got, TRUE);
    g_string_free(all, TRUE);
    client_free(c);
    xs_store_free(s);
}

static void test_malformed(void)
{
    XsStore *s = xs_store_new();
    Client *c = client_new(s, 0);

    assert_error(request(c, 99, 0, "", 0), "EINVAL");
    assert_error(request(c, XS_READ, 0, "/no-nul", 7), "EINVAL");
    assert_error(request(c, XS_READ, 0, "/a\0/b", 6), "EINVAL");
    assert_error(request(c, XS_WRITE, 0, "/no-nul", 7), "EINVAL");
    assert_error(req_strings(c, XS_WATCH, 0, "/only-path", NULL), "EINVAL");
    assert_error(request(c, XS_MKDIR, 0, "", 0), "EINVAL");
    assert_error(req_strings(c, XS_INTRODUCE, 0, "5", NULL), "EINVAL");
    assert_error(req_strings(c, XS_CONTROL, 0, "no-such-command", NULL), "EINVAL");
    /* Still serving afterwards. */
    assert_ok(write_str(c, 0, "/fine", "1"), XS_WRITE);
    client_free(c);
    xs_store_free(s);
}

static void count_cb(XsStore *store, const char *path, void *opaque)
{
    GPtrArray *seen = opaque;

    g_ptr_array_add(seen, g_strdup(path));
}

static void test_internal_watch(void)
{
    XsStore *s = xs_store_new();
    GPtrArray *seen = g_ptr_array_new_with_free_func(g_free);
    guint id = xs_store_add_watch(s, "/local/domain/0/device-model/1/state", count_cb, seen);
    Client *c = client_new(s, 0);

    assert_ok(write_str(c, 0, "device-model/1/state", "running"), XS_WRITE);
    g_assert_cmpuint(seen->len, ==, 1);
    g_assert_cmpstr(g_ptr_array_index(seen, 0), ==, "/local/domain/0/device-model/1/state");
    xs_store_remove_watch(s, id);
    assert_ok(write_str(c, 0, "device-model/1/state", "paused"), XS_WRITE);
    g_assert_cmpuint(seen->len, ==, 1);
    g_ptr_array_free(seen, TRUE);
    client_free(c);
    xs_store_free(s);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/xensim/xenstore/read-write", test_read_write);
    g_test_add_func("/xensim/xenstore/invalid-paths", test_invalid_paths);
    g_test_add_func("/xensim/xenstore/rm-mkdir", test_rm_mkdir);
    g_test_add_func("/xensim/xenstore/watches", test_watches);
    g_test_add_func("/xensim/xenstore/transactions", test_transactions);
    g_test_add_func("/xensim/xenstore/permissions", test_permissions);
    g_test_add_func("/xensim/xenstore/directory-part", test_directory_part);
    g_test_add_func("/xensim/xenstore/malformed", test_malformed);
    g_test_add_func("/xensim/xenstore/internal-watch", test_internal_watch);
    return g_test_run();
}
