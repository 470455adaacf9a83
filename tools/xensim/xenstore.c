/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * xensim's xenstored (see xenstore.h).  Behaviour follows
 * xen:docs/misc/xenstore.txt and the C xenstored of Xen 4.17:
 *  - writes and mkdir create missing parents, which inherit the parent's
 *    permissions (a non-privileged creator becomes the owner);
 *  - rm of a missing node succeeds if its parent exists, else ENOENT;
 *  - a watch fires once right after XS_WATCH, then for every change of its
 *    node or any descendant (reported with the changed path), and for the
 *    removal of an ancestor (reported with the watch's own path); relative
 *    watches report relative paths;
 *  - transactions work on a snapshot; commit fails with EAGAIN when any node
 *    the transaction touched was changed by someone else meanwhile, else the
 *    transaction's changes are applied in order and their watches fire;
 *  - errors go back as XS_ERROR with the errno name ("ENOENT").
 */
#include "tools/xensim/xenstore.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define XS_MAX_WATCHES_PER_CONN     128
#define XS_MAX_TRANSACTIONS_PER_CONN 10
#define XS_MAX_PERMS                64

typedef struct XsNode XsNode;

struct XsNode {
    char *name;             /* last path component ("" for the root) */
    XsNode *parent;
    GByteArray *value;
    GArray *perms;          /* XsPerm; [0] is the owner and default */
    GPtrArray *children;    /* XsNode *, in creation order (owned) */
    uint64_t gen;           /* store generation of the last change */
};

typedef struct XsWatch {
    XsConn *conn;           /* NULL: internal watch */
    char *path;             /* absolute path or special "@name" */
    char *token;
    bool relative;          /* report paths relative to the conn's home */
    XsWatchFn fn;
    void *opaque;
    guint id;
} XsWatch;

enum { OP_WRITE, OP_MKDIR, OP_RM, OP_SET_PERMS };

typedef struct XsOp {
    int type;
    char *path;
    GByteArray *value;
    GArray *perms;
} XsOp;

typedef struct XsTrans {
    uint32_t id;
    XsNode *root;           /* private snapshot */
    GHashTable *accessed;   /* path -> uint64_t * generation at start (0: absent) */
    GPtrArray *ops;         /* XsOp *, replayed on commit */
} XsTrans;

struct XsConn {
    XsStore *store;
    unsigned domid;
    XsSendFn send;
    void *opaque;
    GHashTable *trans;      /* id -> XsTrans * */
    uint32_t next_tx;
    unsigned nr_watches;
};

struct XsStore {
    XsNode *root;
    uint64_t gen;
    GPtrArray *conns;       /* XsConn * (not owned) */
    GPtrArray *watches;     /* XsWatch *, all connections and internal (owned) */
    guint next_watch_id;
    GHashTable *introduced; /* domid set */
    unsigned nodes;
};

/* Where an operation applies: the live tree (fires watches) or a transaction. */
typedef struct XsCtx {
    XsStore *store;
    XsNode *root;
    XsTrans *tx;
    unsigned domid;
} XsCtx;

static const struct {
    int err;
    const char *name;
} errno_names[] = {
    { EINVAL, "EINVAL" }, { EACCES, "EACCES" }, { EEXIST, "EEXIST" }, { EISDIR, "EISDIR" },
    { ENOENT, "ENOENT" }, { ENOMEM, "ENOMEM" }, { ENOSPC, "ENOSPC" }, { EIO, "EIO" },
    { ENOTEMPTY, "ENOTEMPTY" }, { ENOSYS, "ENOSYS" }, { EROFS, "EROFS" }, { EBUSY, "EBUSY" },
    { EAGAIN, "EAGAIN" }, { EISCONN, "EISCONN" }, { E2BIG, "E2BIG" }, { EPERM, "EPERM" },
};

const char *xs_errno_string(int err)
{
    unsigned i;

    for (i = 0; i < G_N_ELEMENTS(errno_names); i++) {
        if (errno_names[i].err == err) {
            return errno_names[i].name;
        }
    }
    return "EINVAL";
}

/* ---- Nodes ---- */

static XsNode *node_new(XsStore *store, const char *name, XsNode *parent, const GArray *perms)
{
    XsNode *n = g_new0(XsNode, 1);

    n->name = g_strdup(name);
    n->parent = parent;
    n->value = g_byte_array_new();
    n->perms = g_array_new(FALSE, FALSE, sizeof(XsPerm));
    if (perms) {
        g_array_append_vals(n->perms, perms->data, perms->len);
    } else {
        XsPerm owner = { 0, 'n' };

        g_array_append_val(n->perms, owner);
    }
    n->children = g_ptr_array_new();
    if (store) {
        store->nodes++;
    }
    return n;
}

static void node_free(XsStore *store, XsNode *n)
{
    guint i;

    for (i = 0; i < n->children->len; i++) {
        node_free(store, g_ptr_array_index(n->children, i));
    }
    g_ptr_array_free(n->children, TRUE);
    g_byte_array_free(n->value, TRUE);
    g_array_free(n->perms, TRUE);
    g_free(n->name);
    if (store) {
        store->nodes--;
    }
    g_free(n);
}

static XsNode *node_copy(const XsNode *n, XsNode *parent)
{
    XsNode *c = node_new(NULL, n->name, parent, n->perms);
    guint i;

    g_byte_array_append(c->value, n->value->data, n->value->len);
    c->gen = n->gen;
    for (i = 0; i < n->children->len; i++) {
        g_ptr_array_add(c->children, node_copy(g_ptr_array_index(n->children, i), c));
    }
    return c;
}

static XsNode *node_child(const XsNode *n, const char *name, size_t len)
{
    guint i;

    for (i = 0; i < n->children->len; i++) {
        XsNode *c = g_ptr_array_index(n->children, i);

        if (strlen(c->name) == len && memcmp(c->name, name, len) == 0) {
            return c;
        }
    }
    return NULL;
}

/* Node at an absolute, validated path, or NULL. */
static XsNode *node_lookup(XsNode *root, const char *path)
{
    XsNode *n = root;
    const char *p = path + 1;

    while (n && *p) {
        const char *slash = strchr(p, '/');
        size_t len = slash ? (size_t)(slash - p) : strlen(p);

        n = node_child(n, p, len);
        p += len + (slash ? 1 : 0);
    }
    return n;
}

static char *node_path(const XsNode *n)
{
    GPtrArray *parts = g_ptr_array_new();
    GString *s = g_string_new(NULL);
    int i;

    for (; n && n->parent; n = n->parent) {
        g_ptr_array_add(parts, n->name);
    }
    for (i = (int)parts->len - 1; i >= 0; i--) {
        g_string_append_c(s, '/');
        g_string_append(s, g_ptr_array_index(parts, i));
    }
    if (s->len == 0) {
        g_string_append_c(s, '/');
    }
    g_ptr_array_free(parts, TRUE);
    return g_string_free(s, FALSE);
}

/* ---- Paths ---- */

static bool valid_path(const char *path)
{
    const char *p;

    if (path[0] != '/' || strlen(path) > XENSTORE_ABS_PATH_MAX) {
        return false;
    }
    if (strstr(path, "//") || (path[1] && path[strlen(path) - 1] == '/')) {
        return false;
    }
    for (p = path; *p; p++) {
        if (!g_ascii_isalnum(*p) && !strchr("-/_@", *p)) {
            return false;
        }
    }
    return true;
}

/* Absolute path for what a client sent, or NULL (EINVAL / E2BIG in *err). */
static char *canonical_path(unsigned domid, const char *path, int *err)
{
    char *abs;

    if (path[0] == '/') {
        abs = g_strdup(path);
    } else {
        if (strlen(path) > XENSTORE_REL_PATH_MAX) {
            *err = E2BIG;
            return NULL;
        }
        abs = g_strdup_printf("/local/domain/%u/%s", domid, path);
    }
    if (!valid_path(abs)) {
        *err = strlen(abs) > XENSTORE_ABS_PATH_MAX ? E2BIG : EINVAL;
        g_free(abs);
        return NULL;
    }
    return abs;
}

static bool is_child_or_self(const char *child, const char *parent)
{
    size_t len = strlen(parent);

    if (strcmp(parent, "/") == 0) {
        return child[0] == '/';
    }
    return strncmp(child, parent, len) == 0 && (child[len] == '/' || child[len] == '\0');
}

/* ---- Permissions ---- */

static char perm_for(const XsNode *n, unsigned domid)
{
    const XsPerm *p = (const XsPerm *)n->perms->data;
    guint i;

    if (domid == 0 || p[0].id == domid) {
        return 'b';
    }
    for (i = 1; i < n->perms->len; i++) {
        if (p[i].id == domid) {
            return p[i].perm;
        }
    }
    return p[0].perm;
}

static bool can_read(const XsNode *n, unsigned domid)
{
    char c = perm_for(n, domid);

    return c == 'r' || c == 'b';
}

static bool can_write(const XsNode *n, unsigned domid)
{
    char c = perm_for(n, domid);

    return c == 'w' || c == 'b';
}

static bool parse_perms(const char *s, XsPerm *out)
{
    char *end;
    unsigned long id;

    if (!strchr("nrwb", s[0]) || s[0] == '\0' || !g_ascii_isdigit(s[1])) {
        return false;
    }
    errno = 0;
    id = strtoul(s + 1, &end, 10);
    if (*end || errno || id > 0xffff) {
        return false;
    }
    out->perm = s[0];
    out->id = (unsigned)id;
    return true;
}

/* ---- Watches ---- */

static void send_msg(XsConn *conn, uint32_t type, uint32_t req_id, uint32_t tx_id,
                     const void *body, size_t len)
{
    struct xsd_sockmsg hdr = {
        .type = type, .req_id = req_id, .tx_id = tx_id, .len = (uint32_t)len,
    };

    conn->send(conn, &hdr, body, conn->opaque);
}

static void send_event(XsWatch *w, const char *path)
{
    const char *report = path;
    GString *body;
    char *home = NULL;

    if (w->relative) {
        home = g_strdup_printf("/local/domain/%u/", w->conn->domid);
        if (g_str_has_prefix(path, home)) {
            report = path + strlen(home);
        }
    }
    body = g_string_new(report);
    g_string_append_c(body, '\0');
    g_string_append(body, w->token);
    g_string_append_c(body, '\0');
    send_msg(w->conn, XS_WATCH_EVENT, 0, 0, body->str, body->len);
    g_string_free(body, TRUE);
    g_free(home);
}

/*
 * Fire the watches concerned by a change of path.  exact: only watches on
 * path itself (a descendant of a removed node); else watches on path or
 * any of its ancestors.  node: the node, for the read-permission check
 * (NULL for special events).
 */
static void fire_watches(XsStore *store, const char *path, bool exact, const XsNode *node)
{
    GPtrArray *hits = g_ptr_array_new();
    guint i;

    /* Collect first: a callback may add or remove watches. */
    for (i = 0; i < store->watches->len; i++) {
        XsWatch *w = g_ptr_array_index(store->watches, i);
        bool match = exact ? strcmp(path, w->path) == 0 : is_child_or_self(path, w->path);

        if (path[0] == '@') {
            match = strcmp(path, w->path) == 0;
        }
        if (!match) {
            continue;
        }
        if (w->conn && node && !can_read(node, w->conn->domid)) {
            continue;
        }
        g_ptr_array_add(hits, GUINT_TO_POINTER(w->id));
    }
    for (i = 0; i < hits->len; i++) {
        guint id = GPOINTER_TO_UINT(g_ptr_array_index(hits, i));
        guint j;

        for (j = 0; j < store->watches->len; j++) {
            XsWatch *w = g_ptr_array_index(store->watches, j);

            if (w->id != id) {
                continue;
            }
            if (w->conn) {
                send_event(w, path);
            } else {
                w->fn(store, path, w->opaque);
            }
            break;
        }
    }
    g_ptr_array_free(hits, TRUE);
}

static void watch_free(XsWatch *w)
{
    g_free(w->path);
    g_free(w->token);
    g_free(w);
}

/* ---- Operations (on the live tree or inside a transaction) ---- */

static void tx_note_access(XsCtx *ctx, const char *path)
{
    uint64_t *gen;
    XsNode *n;

    if (!ctx->tx || g_hash_table_contains(ctx->tx->accessed, path)) {
        return;
    }
    n = node_lookup(ctx->tx->root, path);
    gen = g_new(uint64_t, 1);
    *gen = n ? n->gen : 0;
    g_hash_table_insert(ctx->tx->accessed, g_strdup(path), gen);
}

static void tx_log(XsCtx *ctx, int type, const char *path, const void *value, size_t len,
                   const GArray *perms)
{
    XsOp *op;

    if (!ctx->tx) {
        return;
    }
    op = g_new0(XsOp, 1);
    op->type = type;
    op->path = g_strdup(path);
    if (type == OP_WRITE) {
        op->value = g_byte_array_new();
        g_byte_array_append(op->value, value, (guint)len);
    }
    if (perms) {
        op->perms = g_array_new(FALSE, FALSE, sizeof(XsPerm));
        g_array_append_vals(op->perms, perms->data, perms->len);
    }
    g_ptr_array_add(ctx->tx->ops, op);
}

static uint64_t next_gen(XsCtx *ctx)
{
    return ++ctx->store->gen;
}

/* Find or create the node at path (creating parents); *created tells. */
static int get_or_create(XsCtx *ctx, const char *path, XsNode **out, bool *created)
{
    XsNode *n = ctx->root;
    const char *p = path + 1;
    XsStore *count_in = ctx->tx ? NULL : ctx->store;

    *created = false;
    while (*p) {
        const char *slash = strchr(p, '/');
        size_t len = slash ? (size_t)(slash - p) : strlen(p);
        XsNode *c = node_child(n, p, len);

        if (!c) {
            char *name = g_strndup(p, len);

            if (!can_write(n, ctx->domid)) {
                g_free(name);
                return EACCES;
            }
            c = node_new(count_in, name, n, n->perms);
            g_free(name);
            if (ctx->domid != 0) {
                /* An unprivileged creator owns what it creates. */
                g_array_index(c->perms, XsPerm, 0).id = ctx->domid;
            }
            c->gen = next_gen(ctx);
            n->gen = c->gen;
            g_ptr_array_add(n->children, c);
            *created = true;
        }
        n = c;
        p += len + (slash ? 1 : 0);
    }
    *out = n;
    return 0;
}

static int op_write(XsCtx *ctx, const char *path, const void *value, size_t len)
{
    XsNode *n = node_lookup(ctx->root, path);
    bool created;
    int err;

    if (len > XENSTORE_PAYLOAD_MAX) {
        return E2BIG;
    }
    tx_note_access(ctx, path);
    if (n && !can_write(n, ctx->domid)) {
        return EACCES;
    }
    err = get_or_create(ctx, path, &n, &created);
    if (err) {
        return err;
    }
    g_byte_array_set_size(n->value, 0);
    g_byte_array_append(n->value, value, (guint)len);
    n->gen = next_gen(ctx);
    tx_log(ctx, OP_WRITE, path, value, len, NULL);
    if (!ctx->tx) {
        fire_watches(ctx->store, path, false, n);
    }
    return 0;
}

static int op_mkdir(XsCtx *ctx, const char *path)
{
    XsNode *n;
    bool created;
    int err;

    tx_note_access(ctx, path);
    if (node_lookup(ctx->root, path)) {
        return 0;   /* not an error if it exists, and no event */
    }
    err = get_or_create(ctx, path, &n, &created);
    if (err) {
        return err;
    }
    tx_log(ctx, OP_MKDIR, path, NULL, 0, NULL);
    if (!ctx->tx) {
        fire_watches(ctx->store, path, false, n);
    }
    return 0;
}

static void collect_descendants(XsNode *n, GPtrArray *paths)
{
    guint i;

    for (i = 0; i < n->children->len; i++) {
        XsNode *c = g_ptr_array_index(n->children, i);

        g_ptr_array_add(paths, node_path(c));
        collect_descendants(c, paths);
    }
}

static int op_rm(XsCtx *ctx, const char *path)
{
    XsNode *n;
    XsNode *parent;
    char *parent_path;
    GPtrArray *gone;
    guint i;

    if (strcmp(path, "/") == 0) {
        return EINVAL;
    }
    tx_note_access(ctx, path);
    n = node_lookup(ctx->root, path);
    if (!n) {
        parent_path = g_path_get_dirname(path);
        parent = node_lookup(ctx->root, parent_path);
        g_free(parent_path);
        return parent ? 0 : ENOENT;
    }
    parent = n->parent;
    if (!can_write(n, ctx->domid) || !can_write(parent, ctx->domid)) {
        return EACCES;
    }
    gone = g_ptr_array_new_with_free_func(g_free);
    if (!ctx->tx) {
        collect_descendants(n, gone);
        /* Watches fire while the nodes and their permissions still exist. */
        fire_watches(ctx->store, path, false, n);
        for (i = 0; i < gone->len; i++) {
            const char *p = g_ptr_array_index(gone, i);

            fire_watches(ctx->store, p, true, node_lookup(ctx->root, p));
        }
    }
    g_ptr_array_remove(parent->children, n);
    node_free(ctx->tx ? NULL : ctx->store, n);
    parent->gen = next_gen(ctx);
    tx_log(ctx, OP_RM, path, NULL, 0, NULL);
    g_ptr_array_free(gone, TRUE);
    return 0;
}

static int op_set_perms(XsCtx *ctx, const char *path, const GArray *perms)
{
    XsNode *n;

    tx_note_access(ctx, path);
    n = node_lookup(ctx->root, path);
    if (!n) {
        return ENOENT;
    }
    /* Only the owner (or a privileged domain) may change permissions. */
    if (ctx->domid != 0 && g_array_index(n->perms, XsPerm, 0).id != ctx->domid) {
        return EACCES;
    }
    g_array_set_size(n->perms, 0);
    g_array_append_vals(n->perms, perms->data, perms->len);
    n->gen = next_gen(ctx);
    tx_log(ctx, OP_SET_PERMS, path, NULL, 0, perms);
    if (!ctx->tx) {
        fire_watches(ctx->store, path, false, n);
    }
    return 0;
}

static int op_lookup_readable(XsCtx *ctx, const char *path, XsNode **out)
{
    XsNode *n;

    tx_note_access(ctx, path);
    n = node_lookup(ctx->root, path);
    if (!n) {
        return ENOENT;
    }
    if (!can_read(n, ctx->domid)) {
        return EACCES;
    }
    *out = n;
    return 0;
}

/* ---- Store ---- */

XsStore *xs_store_new(void)
{
    XsStore *store = g_new0(XsStore, 1);

    store->root = node_new(store, "", NULL, NULL);
    store->gen = 1;
    store->root->gen = 1;
    store->conns = g_ptr_array_new();
    store->watches = g_ptr_array_new_with_free_func((GDestroyNotify)watch_free);
    store->next_watch_id = 1;
    store->introduced = g_hash_table_new(g_direct_hash, g_direct_equal);
    g_hash_table_add(store->introduced, GUINT_TO_POINTER(0));
    return store;
}

void xs_store_free(XsStore *store)
{
    if (!store) {
        return;
    }
    while (store->conns->len) {
        xs_conn_free(g_ptr_array_index(store->conns, 0));
    }
    g_ptr_array_free(store->conns, TRUE);
    g_ptr_array_free(store->watches, TRUE);
    g_hash_table_destroy(store->introduced);
    node_free(store, store->root);
    g_free(store);
}

void xs_store_set_introduced(XsStore *store, unsigned domid, bool introduced)
{
    if (introduced) {
        g_hash_table_add(store->introduced, GUINT_TO_POINTER(domid));
    } else {
        g_hash_table_remove(store->introduced, GUINT_TO_POINTER(domid));
    }
}

static XsCtx live_ctx(XsStore *store)
{
    XsCtx ctx = { .store = store, .root = store->root, .tx = NULL, .domid = 0 };

    return ctx;
}

static bool direct_path_ok(const char *path)
{
    return valid_path(path);
}

int xs_store_write(XsStore *store, const char *path, const void *value, size_t len)
{
    XsCtx ctx = live_ctx(store);

    return direct_path_ok(path) ? op_write(&ctx, path, value, len) : EINVAL;
}

int xs_store_write_str(XsStore *store, const char *path, const char *value)
{
    return xs_store_write(store, path, value, strlen(value));
}

int xs_store_printf(XsStore *store, const char *path, const char *fmt, ...)
{
    va_list ap;
    char *v;
    int err;

    va_start(ap, fmt);
    v = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    err = xs_store_write_str(store, path, v);
    g_free(v);
    return err;
}

int xs_store_mkdir(XsStore *store, const char *path)
{
    XsCtx ctx = live_ctx(store);

    return direct_path_ok(path) ? op_mkdir(&ctx, path) : EINVAL;
}

int xs_store_rm(XsStore *store, const char *path)
{
    XsCtx ctx = live_ctx(store);

    return direct_path_ok(path) ? op_rm(&ctx, path) : EINVAL;
}

int xs_store_set_perms(XsStore *store, const char *path, const XsPerm *perms, unsigned n)
{
    XsCtx ctx = live_ctx(store);
    GArray *a;
    int err;

    if (!direct_path_ok(path) || n == 0) {
        return EINVAL;
    }
    a = g_array_new(FALSE, FALSE, sizeof(XsPerm));
    g_array_append_vals(a, perms, n);
    err = op_set_perms(&ctx, path, a);
    g_array_free(a, TRUE);
    return err;
}

char *xs_store_read(XsStore *store, const char *path, size_t *len)
{
    XsNode *n = direct_path_ok(path) ? node_lookup(store->root, path) : NULL;

    if (!n) {
        errno = direct_path_ok(path) ? ENOENT : EINVAL;
        return NULL;
    }
    if (len) {
        *len = n->value->len;
    }
    return g_strndup((const char *)n->value->data, n->value->len);
}

char **xs_store_directory(XsStore *store, const char *path)
{
    XsNode *n = direct_path_ok(path) ? node_lookup(store->root, path) : NULL;
    char **names;
    guint i;

    if (!n) {
        errno = direct_path_ok(path) ? ENOENT : EINVAL;
        return NULL;
    }
    names = g_new0(char *, n->children->len + 1);
    for (i = 0; i < n->children->len; i++) {
        names[i] = g_strdup(((XsNode *)g_ptr_array_index(n->children, i))->name);
    }
    return names;
}

char *xs_store_perms_string(XsStore *store, const char *path)
{
    XsNode *n = direct_path_ok(path) ? node_lookup(store->root, path) : NULL;
    GString *s;
    guint i;

    if (!n) {
        errno = ENOENT;
        return NULL;
    }
    s = g_string_new(NULL);
    for (i = 0; i < n->perms->len; i++) {
        XsPerm *p = &g_array_index(n->perms, XsPerm, i);

        g_string_append_printf(s, "%s%c%u", i ? " " : "", p->perm, p->id);
    }
    return g_string_free(s, FALSE);
}

void xs_store_fire_special(XsStore *store, const char *name)
{
    fire_watches(store, name, true, NULL);
}

guint xs_store_add_watch(XsStore *store, const char *path, XsWatchFn fn, void *opaque)
{
    XsWatch *w = g_new0(XsWatch, 1);

    w->path = g_strdup(path);
    w->token = g_strdup("");
    w->fn = fn;
    w->opaque = opaque;
    w->id = store->next_watch_id++;
    g_ptr_array_add(store->watches, w);
    return w->id;
}

void xs_store_remove_watch(XsStore *store, guint id)
{
    guint i;

    for (i = 0; i < store->watches->len; i++) {
        if (((XsWatch *)g_ptr_array_index(store->watches, i))->id == id) {
            g_ptr_array_remove_index(store->watches, i);
            return;
        }
    }
}

unsigned xs_store_node_count(XsStore *store)
{
    return store->nodes;
}

/* ---- Connections ---- */

static void trans_free(XsTrans *t)
{
    guint i;

    node_free(NULL, t->root);
    g_hash_table_destroy(t->accessed);
    for (i = 0; i < t->ops->len; i++) {
        XsOp *op = g_ptr_array_index(t->ops, i);

        if (op->value) {
            g_byte_array_free(op->value, TRUE);
        }
        if (op->perms) {
            g_array_free(op->perms, TRUE);
        }
        g_free(op->path);
        g_free(op);
    }
    g_ptr_array_free(t->ops, TRUE);
    g_free(t);
}

XsConn *xs_conn_new(XsStore *store, unsigned domid, XsSendFn send, void *opaque)
{
    XsConn *conn = g_new0(XsConn, 1);

    conn->store = store;
    conn->domid = domid;
    conn->send = send;
    conn->opaque = opaque;
    conn->trans = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL,
                                        (GDestroyNotify)trans_free);
    conn->next_tx = 1;
    g_ptr_array_add(store->conns, conn);
    return conn;
}

static void remove_conn_watches(XsConn *conn)
{
    guint i = 0;

    while (i < conn->store->watches->len) {
        XsWatch *w = g_ptr_array_index(conn->store->watches, i);

        if (w->conn == conn) {
            g_ptr_array_remove_index(conn->store->watches, i);
        } else {
            i++;
        }
    }
    conn->nr_watches = 0;
}

void xs_conn_free(XsConn *conn)
{
    if (!conn) {
        return;
    }
    remove_conn_watches(conn);
    g_hash_table_destroy(conn->trans);
    g_ptr_array_remove(conn->store->conns, conn);
    g_free(conn);
}

unsigned xs_conn_domid(XsConn *conn)
{
    return conn->domid;
}

/* ---- Wire protocol ---- */

typedef struct XsReq {
    XsConn *conn;
    const struct xsd_sockmsg *hdr;
    const char *body;
    unsigned len;
} XsReq;

static void reply(XsReq *r, const void *body, size_t len)
{
    send_msg(r->conn, r->hdr->type, r->hdr->req_id, r->hdr->tx_id, body, len);
}

static void reply_ok(XsReq *r)
{
    reply(r, "OK", 3);
}

static void reply_error(XsReq *r, int err)
{
    const char *s = xs_errno_string(err);

    send_msg(r->conn, XS_ERROR, r->hdr->req_id, r->hdr->tx_id, s, strlen(s) + 1);
}

static void reply_err_or_ok(XsReq *r, int err)
{
    if (err) {
        reply_error(r, err);
    } else {
        reply_ok(r);
    }
}

/*
 * Split the payload into nul-terminated strings.  Returns how many were
 * found; *rest is the offset just past the last nul.
 */
static unsigned split_strings(const XsReq *r, const char **out, unsigned max, unsigned *rest)
{
    unsigned n = 0, start = 0, i;

    for (i = 0; i < r->len && n < max; i++) {
        if (r->body[i] == '\0') {
            out[n++] = r->body + start;
            start = i + 1;
        }
    }
    if (rest) {
        *rest = start;
    }
    return n;
}

/* The request's single argument: exactly one string filling the payload. */
static const char *one_arg(const XsReq *r)
{
    if (r->len == 0 || r->body[r->len - 1] != '\0' || memchr(r->body, '\0', r->len) !=
        r->body + r->len - 1) {
        return NULL;
    }
    return r->body;
}

/* Context for a request: the live tree or the transaction named by tx_id. */
static int req_ctx(XsReq *r, XsCtx *ctx)
{
    ctx->store = r->conn->store;
    ctx->domid = r->conn->domid;
    ctx->tx = NULL;
    ctx->root = ctx->store->root;
    if (r->hdr->tx_id) {
        XsTrans *t = g_hash_table_lookup(r->conn->trans, GUINT_TO_POINTER(r->hdr->tx_id));

        if (!t) {
            return ENOENT;
        }
        ctx->tx = t;
        ctx->root = t->root;
    }
    return 0;
}

static char *req_path(XsReq *r, const char *arg, int *err)
{
    return canonical_path(r->conn->domid, arg, err);
}

/* The node at canonical `path` in the request's tree, if the caller may read it. */
static int lookup_readable(XsReq *r, const char *path, XsNode **out)
{
    XsCtx ctx;
    int err = req_ctx(r, &ctx);

    return err ? err : op_lookup_readable(&ctx, path, out);
}

/*
 * XS_READ, XS_DIRECTORY and XS_GET_PERMS take one path and read one node: the
 * node, or NULL once the error (bad path, unknown transaction, no such node,
 * not readable) is replied.
 */
static XsNode *lookup_readable_arg(XsReq *r)
{
    const char *arg = one_arg(r);
    XsNode *n = NULL;
    char *path;
    int err = EINVAL;

    if (!arg || !(path = req_path(r, arg, &err))) {
        reply_error(r, err);
        return NULL;
    }
    err = lookup_readable(r, path, &n);
    g_free(path);
    if (err) {
        reply_error(r, err);
        return NULL;
    }
    return n;
}

static void do_read(XsReq *r)
{
    XsNode *n = lookup_readable_arg(r);

    if (n) {
        reply(r, n->value->data, n->value->len);
    }
}

static void do_write(XsReq *r)
{
    const char *nul = r->len ? memchr(r->body, '\0', r->len) : NULL;
    char *path;
    XsCtx ctx;
    int err = EINVAL;

    if (!nul || !(path = req_path(r, r->body, &err))) {
        reply_error(r, err);
        return;
    }
    err = req_ctx(r, &ctx);
    if (!err) {
        unsigned off = (unsigned)(nul - r->body) + 1;

        err = op_write(&ctx, path, r->body + off, r->len - off);
    }
    reply_err_or_ok(r, err);
    g_free(path);
}

static void do_path_op(XsReq *r, int (*op)(XsCtx *, const char *))
{
    const char *arg = one_arg(r);
    char *path;
    XsCtx ctx;
    int err = EINVAL;

    if (!arg || !(path = req_path(r, arg, &err))) {
        reply_error(r, err);
        return;
    }
    err = req_ctx(r, &ctx);
    if (!err) {
        err = op(&ctx, path);
    }
    reply_err_or_ok(r, err);
    g_free(path);
}

static GString *children_string(const XsNode *n)
{
    GString *s = g_string_new(NULL);
    guint i;

    for (i = 0; i < n->children->len; i++) {
        const XsNode *c = g_ptr_array_index(n->children, i);

        g_string_append_len(s, c->name, strlen(c->name) + 1);
    }
    return s;
}

static void do_directory(XsReq *r)
{
    XsNode *n = lookup_readable_arg(r);
    GString *s;

    if (!n) {
        return;
    }
    s = children_string(n);
    if (s->len > XENSTORE_PAYLOAD_MAX) {
        reply_error(r, E2BIG);  /* the client retries with XS_DIRECTORY_PART */
    } else {
        reply(r, s->str, s->len);
    }
    g_string_free(s, TRUE);
}

static void do_directory_part(XsReq *r)
{
    const char *args[2];
    XsNode *n = NULL;
    char *path = NULL;
    unsigned long offset;
    char *end;
    int err = EINVAL;

    if (split_strings(r, args, 2, NULL) != 2 || !(path = req_path(r, args[0], &err))) {
        reply_error(r, err);
        return;
    }
    errno = 0;
    offset = strtoul(args[1], &end, 10);
    if (*end || errno || !*args[1]) {
        reply_error(r, EINVAL);
        g_free(path);
        return;
    }
    err = lookup_readable(r, path, &n);
    if (!err) {
        GString *all = children_string(n);
        GString *out = g_string_new(NULL);
        size_t pos = offset, chunk_end;

        g_string_append_printf(out, "%" G_GUINT64_FORMAT, n->gen);
        g_string_append_c(out, '\0');
        if (offset > all->len) {
            err = EINVAL;
        } else {
            /* Whole names only, leaving room for the final empty string. */
            chunk_end = pos;
            while (chunk_end < all->len) {
                size_t name_len = strlen(all->str + chunk_end) + 1;

                if (out->len + (chunk_end - pos) + name_len + 1 > XENSTORE_PAYLOAD_MAX) {
                    break;
                }
                chunk_end += name_len;
            }
            if (chunk_end == pos && chunk_end < all->len) {
                err = E2BIG;    /* one name bigger than a message: cannot happen */
            } else {
                g_string_append_len(out, all->str + pos, chunk_end - pos);
                if (chunk_end == all->len) {
                    g_string_append_c(out, '\0');
                }
            }
        }
        if (err) {
            reply_error(r, err);
        } else {
            reply(r, out->str, out->len);
        }
        g_string_free(all, TRUE);
        g_string_free(out, TRUE);
    } else {
        reply_error(r, err);
    }
    g_free(path);
}

static void do_get_perms(XsReq *r)
{
    XsNode *n = lookup_readable_arg(r);
    GString *s;
    guint i;

    if (!n) {
        return;
    }
    s = g_string_new(NULL);
    for (i = 0; i < n->perms->len; i++) {
        XsPerm *p = &g_array_index(n->perms, XsPerm, i);

        g_string_append_printf(s, "%c%u", p->perm, p->id);
        g_string_append_c(s, '\0');
    }
    reply(r, s->str, s->len);
    g_string_free(s, TRUE);
}

static void do_set_perms(XsReq *r)
{
    const char *args[XS_MAX_PERMS + 1];
    unsigned n, rest, i;
    GArray *perms;
    char *path = NULL;
    XsCtx ctx;
    int err = EINVAL;

    n = split_strings(r, args, G_N_ELEMENTS(args), &rest);
    if (n < 2 || rest != r->len || !(path = req_path(r, args[0], &err))) {
        reply_error(r, n > XS_MAX_PERMS ? ENOSPC : err);
        g_free(path);
        return;
    }
    perms = g_array_new(FALSE, FALSE, sizeof(XsPerm));
    for (i = 1; i < n; i++) {
        XsPerm p;

        if (!parse_perms(args[i], &p)) {
            err = EINVAL;
            goto out;
        }
        g_array_append_val(perms, p);
    }
    err = req_ctx(r, &ctx);
    if (!err) {
        err = op_set_perms(&ctx, path, perms);
    }
out:
    reply_err_or_ok(r, err);
    g_array_free(perms, TRUE);
    g_free(path);
}

static void do_watch(XsReq *r, bool add)
{
    const char *args[2];
    unsigned rest;
    char *path;
    bool relative = false;
    XsWatch *w;
    guint i;
    int err = EINVAL;

    if (split_strings(r, args, 2, &rest) != 2 || rest != r->len) {
        reply_error(r, EINVAL);
        return;
    }
    if (args[0][0] == '@') {
        if (strlen(args[0]) > XENSTORE_REL_PATH_MAX) {
            reply_error(r, E2BIG);
            return;
        }
        path = g_strdup(args[0]);
    } else {
        relative = args[0][0] != '/';
        path = req_path(r, args[0], &err);
        if (!path) {
            reply_error(r, err);
            return;
        }
    }
    for (i = 0; i < r->conn->store->watches->len; i++) {
        w = g_ptr_array_index(r->conn->store->watches, i);
        if (w->conn == r->conn && strcmp(w->path, path) == 0 &&
            strcmp(w->token, args[1]) == 0) {
            break;
        }
    }
    if (add) {
        if (i < r->conn->store->watches->len) {
            reply_error(r, EEXIST);
        } else if (r->conn->nr_watches >= XS_MAX_WATCHES_PER_CONN) {
            reply_error(r, E2BIG);
        } else {
            w = g_new0(XsWatch, 1);
            w->conn = r->conn;
            w->path = g_strdup(path);
            w->token = g_strdup(args[1]);
            w->relative = relative;
            w->id = r->conn->store->next_watch_id++;
            g_ptr_array_add(r->conn->store->watches, w);
            r->conn->nr_watches++;
            reply_ok(r);
            /* Fired once up front, so clients can read the initial state. */
            send_event(w, path);
        }
    } else {
        if (i == r->conn->store->watches->len) {
            reply_error(r, ENOENT);
        } else {
            g_ptr_array_remove_index(r->conn->store->watches, i);
            r->conn->nr_watches--;
            reply_ok(r);
        }
    }
    g_free(path);
}

static void do_transaction_start(XsReq *r)
{
    XsTrans *t;
    char buf[16];

    if (r->hdr->tx_id) {
        reply_error(r, EBUSY);
        return;
    }
    if (g_hash_table_size(r->conn->trans) >= XS_MAX_TRANSACTIONS_PER_CONN) {
        reply_error(r, ENOSPC);
        return;
    }
    t = g_new0(XsTrans, 1);
    do {
        t->id = r->conn->next_tx++;
    } while (t->id == 0 || g_hash_table_contains(r->conn->trans, GUINT_TO_POINTER(t->id)));
    t->root = node_copy(r->conn->store->root, NULL);
    t->accessed = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    t->ops = g_ptr_array_new();
    g_hash_table_insert(r->conn->trans, GUINT_TO_POINTER(t->id), t);
    snprintf(buf, sizeof(buf), "%u", t->id);
    reply(r, buf, strlen(buf) + 1);
}

static void do_transaction_end(XsReq *r)
{
    const char *arg = one_arg(r);
    XsStore *store = r->conn->store;
    XsTrans *t;
    GHashTableIter it;
    gpointer key, value;
    bool commit;
    guint i;

    if (!arg || (strcmp(arg, "T") && strcmp(arg, "F"))) {
        reply_error(r, EINVAL);
        return;
    }
    commit = arg[0] == 'T';
    t = g_hash_table_lookup(r->conn->trans, GUINT_TO_POINTER(r->hdr->tx_id));
    if (!t) {
        reply_error(r, ENOENT);
        return;
    }
    g_hash_table_steal(r->conn->trans, GUINT_TO_POINTER(r->hdr->tx_id));
    if (commit) {
        g_hash_table_iter_init(&it, t->accessed);
        while (g_hash_table_iter_next(&it, &key, &value)) {
            XsNode *n = node_lookup(store->root, key);
            uint64_t now = n ? n->gen : 0;

            if (now != *(uint64_t *)value) {
                trans_free(t);
                reply_error(r, EAGAIN);
                return;
            }
        }
        for (i = 0; i < t->ops->len; i++) {
            XsOp *op = g_ptr_array_index(t->ops, i);
            XsCtx ctx = live_ctx(store);

            switch (op->type) {
            case OP_WRITE:
                op_write(&ctx, op->path, op->value->data, op->value->len);
                break;
            case OP_MKDIR:
                op_mkdir(&ctx, op->path);
                break;
            case OP_RM:
                op_rm(&ctx, op->path);
                break;
            case OP_SET_PERMS:
                op_set_perms(&ctx, op->path, op->perms);
                break;
            }
        }
    }
    trans_free(t);
    reply_ok(r);
}

static bool parse_domid(const char *s, unsigned *domid)
{
    char *end;
    unsigned long v;

    if (!s || !g_ascii_isdigit(s[0])) {
        return false;
    }
    errno = 0;
    v = strtoul(s, &end, 10);
    if (*end || errno || v > 0xffff) {
        return false;
    }
    *domid = (unsigned)v;
    return true;
}

static void do_get_domain_path(XsReq *r)
{
    unsigned domid;
    char buf[40];

    if (!parse_domid(one_arg(r), &domid)) {
        reply_error(r, EINVAL);
        return;
    }
    snprintf(buf, sizeof(buf), "/local/domain/%u", domid);
    reply(r, buf, strlen(buf) + 1);
}

static void do_domain_op(XsReq *r)
{
    const char *args[3];
    unsigned n = split_strings(r, args, 3, NULL);
    XsStore *store = r->conn->store;
    unsigned domid;

    if (n < 1 || !parse_domid(args[0], &domid)) {
        reply_error(r, EINVAL);
        return;
    }
    if (r->conn->domid != 0 && r->hdr->type != XS_IS_DOMAIN_INTRODUCED) {
        reply_error(r, EACCES);
        return;
    }
    switch (r->hdr->type) {
    case XS_INTRODUCE:
        if (n != 3) {
            reply_error(r, EINVAL);
            return;
        }
        xs_store_set_introduced(store, domid, true);
        reply_ok(r);
        xs_store_fire_special(store, "@introduceDomain");
        break;
    case XS_RELEASE:
        xs_store_set_introduced(store, domid, false);
        reply_ok(r);
        xs_store_fire_special(store, "@releaseDomain");
        break;
    case XS_IS_DOMAIN_INTRODUCED:
        reply(r, g_hash_table_contains(store->introduced, GUINT_TO_POINTER(domid)) ? "T" : "F",
              2);
        break;
    case XS_SET_TARGET:
        if (n != 2 || !parse_domid(args[1], &domid)) {
            reply_error(r, EINVAL);
            return;
        }
        reply_ok(r);
        break;
    default: /* XS_RESUME */
        reply_ok(r);
        break;
    }
}

static void do_control(XsReq *r)
{
    const char *args[2];
    unsigned n = split_strings(r, args, 2, NULL);

    if (r->conn->domid != 0) {
        reply_error(r, EACCES);
        return;
    }
    if (n >= 1 && strcmp(args[0], "print") == 0) {
        fprintf(stderr, "xenstored: %s\n", n == 2 ? args[1] : "");
        reply_ok(r);
    } else if (n >= 1 && (strcmp(args[0], "check") == 0 || strcmp(args[0], "log") == 0)) {
        reply_ok(r);
    } else {
        reply_error(r, EINVAL);
    }
}

void xs_conn_process(XsConn *conn, const struct xsd_sockmsg *hdr, const char *body)
{
    XsReq r = { .conn = conn, .hdr = hdr, .body = body, .len = hdr->len };

    switch (hdr->type) {
    case XS_READ:
        do_read(&r);
        break;
    case XS_WRITE:
        do_write(&r);
        break;
    case XS_MKDIR:
        do_path_op(&r, op_mkdir);
        break;
    case XS_RM:
        do_path_op(&r, op_rm);
        break;
    case XS_DIRECTORY:
        do_directory(&r);
        break;
    case XS_DIRECTORY_PART:
        do_directory_part(&r);
        break;
    case XS_GET_PERMS:
        do_get_perms(&r);
        break;
    case XS_SET_PERMS:
        do_set_perms(&r);
        break;
    case XS_WATCH:
        do_watch(&r, true);
        break;
    case XS_UNWATCH:
        do_watch(&r, false);
        break;
    case XS_TRANSACTION_START:
        do_transaction_start(&r);
        break;
    case XS_TRANSACTION_END:
        do_transaction_end(&r);
        break;
    case XS_GET_DOMAIN_PATH:
        do_get_domain_path(&r);
        break;
    case XS_INTRODUCE:
    case XS_RELEASE:
    case XS_IS_DOMAIN_INTRODUCED:
    case XS_RESUME:
    case XS_SET_TARGET:
        do_domain_op(&r);
        break;
    case XS_RESET_WATCHES:
        remove_conn_watches(conn);
        g_hash_table_remove_all(conn->trans);
        reply_ok(&r);
        break;
    case XS_CONTROL:
        do_control(&r);
        break;
    default:
        reply_error(&r, EINVAL);
        break;
    }
}
