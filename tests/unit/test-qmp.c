/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * QMP server: greeting, CRLF framing, negotiation, message and argument
 * checking (malformed JSON, unknown commands, wrong types), the generic
 * commands over a fake machine, fd sets with SCM_RIGHTS and re-greeting
 * on a unix socket.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <glib.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>

#include "ui/chardev.h"
#include "ui/qmp.h"

/* ---- a fake machine for the generic commands ---- */

typedef struct FakeMachine {
    const char *status;
    int stops, conts, quits, resets, powerdowns;
    bool refuse_cont;
    Chardev *chr;          /* to check the quit reply went out before quit ran */
    bool quit_saw_reply;
} FakeMachine;

static GString *drain_ring(Chardev *chr);

static const char *fm_status(void *opaque)
{
    return ((FakeMachine *)opaque)->status;
}

static bool fm_stop(void *opaque, GError **err)
{
    FakeMachine *fm = opaque;

    fm->stops++;
    fm->status = "paused";
    return true;
}

static bool fm_cont(void *opaque, GError **err)
{
    FakeMachine *fm = opaque;

    if (fm->refuse_cont) {
        g_set_error(err, QMP_ERROR, QMP_ERROR_GENERIC, "cannot continue: test says no");
        return false;
    }
    fm->conts++;
    fm->status = "running";
    return true;
}

static void fm_quit(void *opaque)
{
    FakeMachine *fm = opaque;
    GString *out = drain_ring(fm->chr);

    fm->quits++;
    fm->quit_saw_reply = strstr(out->str, "\"return\"") != NULL;
    g_string_free(out, TRUE);
}

static void fm_reset(void *opaque)
{
    ((FakeMachine *)opaque)->resets++;
}

static void fm_dump(void *opaque, GString *out)
{
    g_string_append(out, "address-space: memory\n  0000000000000000-ffffffffffffffff (prio 0): system\n");
}

static const QmpMachineOps fm_ops = {
    .status = fm_status,
    .stop = fm_stop,
    .cont = fm_cont,
    .quit = fm_quit,
    .system_reset = fm_reset,
    .dump_mtree = fm_dump,
    .name = "guest-7",
    .ncpus = 2,
};

/* ---- a test command with typed arguments ---- */

static const QmpArg echo_args[] = {
    { "name", QMP_ARG_STR, false },
    { "count", QMP_ARG_INT, true },
    { "flag", QMP_ARG_BOOL, true },
    { "extra", QMP_ARG_ANY, true },
    { NULL },
};

static JsonNode *cmd_echo(QmpCall *c, void *opaque, GError **err)
{
    JsonObject *o = json_object_new();
    JsonNode *n = json_node_new(JSON_NODE_OBJECT);
    const char *name = qmp_arg_str(c, "name", NULL);

    if (!strcmp(name, "missing")) {
        g_set_error(err, QMP_ERROR, QMP_ERROR_DEVICE_NOT_FOUND, "Device '%s' not found", name);
        json_node_free(n);
        json_object_unref(o);
        return NULL;
    }
    json_object_set_string_member(o, "name", name);
    json_object_set_int_member(o, "count", qmp_arg_int(c, "count", -1));
    json_object_set_boolean_member(o, "flag", qmp_arg_bool(c, "flag", false));
    json_node_take_object(n, o);
    return n;
}

/* ---- fixture: a ringbuf chardev with a monitor ---- */

typedef struct Fixture {
    QmpServer *s;
    Chardev *chr;
    QmpMonitor *mon;
    FakeMachine fm;
} Fixture;

static GString *drain_ring(Chardev *chr)
{
    GString *out = g_string_new(NULL);
    uint8_t buf[4096];
    size_t n;

    while ((n = chardev_ringbuf_read(chr, buf, sizeof(buf))) > 0) {
        g_string_append_len(out, (const char *)buf, (gssize)n);
    }
    return out;
}

static Fixture *fixture_new(void)
{
    static int serial;
    Fixture *f = g_new0(Fixture, 1);
    GError *err = NULL;
    char *opts = g_strdup_printf("ringbuf,id=qmptest%d,size=1048576", serial++);

    f->s = qmp_server_new();
    f->fm.status = "running";
    qmp_register_generic(f->s, &fm_ops, &f->fm);
    qmp_register(f->s, "x-echo", echo_args, cmd_echo, NULL);
    f->chr = chardev_new_from_opts(opts, &err);
    g_assert_no_error(err);
    g_free(opts);
    f->fm.chr = f->chr;
    f->mon = qmp_monitor_new(f->s, f->chr);
    return f;
}

static void fixture_free(Fixture *f)
{
    qmp_monitor_free(f->mon);
    chardev_free(f->chr);
    qmp_server_free(f->s);
    g_free(f);
}

/* Feed text, return every reply line (CRLF checked and removed). */
static char **feed(Fixture *f, const char *text)
{
    GString *out;
    char **lines;
    GPtrArray *res = g_ptr_array_new();

    drain_ring(f->chr);
    chardev_inject_input(f->chr, (const uint8_t *)text, strlen(text));
    out = drain_ring(f->chr);
    if (out->len) {
        g_assert_true(g_str_has_suffix(out->str, "\r\n"));
    }
    lines = g_strsplit(out->str, "\r\n", -1);
    for (char **l = lines; *l; l++) {
        if (**l) {
            g_assert_null(strchr(*l, '\n'));
            g_ptr_array_add(res, g_strdup(*l));
        }
    }
    g_strfreev(lines);
    g_string_free(out, TRUE);
    g_ptr_array_add(res, NULL);
    return (char **)g_ptr_array_free(res, FALSE);
}

/* Exactly one reply: return it parsed. */
static JsonObject *feed1(Fixture *f, const char *text)
{
    char **lines = feed(f, text);
    JsonParser *p = json_parser_new();
    JsonObject *o;
    GError *err = NULL;

    g_assert_nonnull(lines[0]);
    g_assert_null(lines[1]);
    json_parser_load_from_data(p, lines[0], -1, &err);
    g_assert_no_error(err);
    o = json_object_ref(json_node_get_object(json_parser_get_root(p)));
    g_object_unref(p);
    g_strfreev(lines);
    return o;
}

static void assert_error(JsonObject *reply, const char *cls, const char *desc_part)
{
    JsonObject *e;

    g_assert_true(json_object_has_member(reply, "error"));
    e = json_object_get_object_member(reply, "error");
    g_assert_cmpstr(json_object_get_string_member(e, "class"), ==, cls);
    if (desc_part && !strstr(json_object_get_string_member(e, "desc"), desc_part)) {
        g_error("error desc '%s' lacks '%s'", json_object_get_string_member(e, "desc"), desc_part);
    }
    json_object_unref(reply);
}

static JsonNode *assert_return(JsonObject *reply)
{
    JsonNode *r;

    if (!json_object_has_member(reply, "return")) {
        g_error("expected a return, got %s",
                json_object_has_member(reply, "error")
                ? json_object_get_string_member(json_object_get_object_member(reply, "error"), "desc") : "?");
    }
    r = json_node_copy(json_object_get_member(reply, "return"));
    json_object_unref(reply);
    return r;
}

static void negotiate(Fixture *f)
{
    json_node_unref(assert_return(feed1(f, "{\"execute\":\"qmp_capabilities\"}")));
}

/* ---- tests ---- */

static void test_greeting(void)
{
    QmpServer *s = qmp_server_new();
    Chardev *chr = chardev_new_from_opts("ringbuf,id=greet,size=65536", NULL);
    QmpMonitor *mon;
    GString *out;
    JsonParser *p = json_parser_new();
    JsonObject *v;

    g_assert_nonnull(chr);
    mon = qmp_monitor_new(s, chr);
    out = drain_ring(chr);
    g_assert_true(g_str_has_suffix(out->str, "}\r\n"));
    g_assert_true(json_parser_load_from_data(p, out->str, -1, NULL));
    v = json_node_get_object(json_parser_get_root(p));
    v = json_object_get_object_member(v, "QMP");
    g_assert_cmpuint(json_array_get_length(json_object_get_array_member(v, "capabilities")), ==, 0);
    v = json_object_get_object_member(v, "version");
    g_assert_cmpstr(json_object_get_string_member(v, "package"), ==, "");
    v = json_object_get_object_member(v, "qemu");
    g_assert_cmpint(json_object_get_int_member(v, "major"), ==, 7);
    g_assert_cmpint(json_object_get_int_member(v, "minor"), ==, 2);
    g_assert_cmpint(json_object_get_int_member(v, "micro"), ==, 0);
    g_object_unref(p);
    g_string_free(out, TRUE);
    qmp_monitor_free(mon);
    chardev_free(chr);
    qmp_server_free(s);
}

static void test_negotiation(void)
{
    Fixture *f = fixture_new();
    JsonObject *r;

    assert_error(feed1(f, "{\"execute\":\"query-status\",\"id\":1}"), "CommandNotFound",
                 "Expecting capabilities negotiation");
    r = feed1(f, "{\"execute\":\"qmp_capabilities\",\"id\":2}");
    g_assert_cmpint(json_object_get_int_member(r, "id"), ==, 2);
    json_node_unref(assert_return(r));
    assert_error(feed1(f, "{\"execute\":\"qmp_capabilities\"}"), "CommandNotFound", "already complete");
    /* an unknown capability is refused and negotiation does not complete */
    fixture_free(f);
    f = fixture_new();
    assert_error(feed1(f, "{\"execute\":\"qmp_capabilities\",\"arguments\":{\"enable\":[\"oob\"]}}"),
                 "GenericError", "oob");
    assert_error(feed1(f, "{\"execute\":\"query-status\"}"), "CommandNotFound", "negotiation");
    fixture_free(f);
}

static void test_framing(void)
{
    Fixture *f = fixture_new();
    char **lines;

    negotiate(f);
    /* two messages in one read, without separators */
    lines = feed(f, "{\"execute\":\"query-name\",\"id\":\"a\"}{\"execute\":\"query-name\",\"id\":\"b\"}");
    g_assert_cmpuint(g_strv_length(lines), ==, 2);
    g_assert_nonnull(strstr(lines[0], "\"a\""));
    g_assert_nonnull(strstr(lines[1], "\"b\""));
    g_strfreev(lines);

    /* one message split over reads and lines, with braces and escapes inside strings */
    lines = feed(f, "{\"execute\":\r\n \"x-echo\", \"arguments\": {\"name\": \"a}{\\\"");
    g_assert_cmpuint(g_strv_length(lines), ==, 0);
    g_strfreev(lines);
    lines = feed(f, "]\\\\\"}, \"id\": ");
    g_assert_cmpuint(g_strv_length(lines), ==, 0);
    g_strfreev(lines);
    {
        JsonObject *r = feed1(f, "[1, {\"k\": 2}]}\n");
        JsonNode *ret;
        g_assert_true(JSON_NODE_HOLDS_ARRAY(json_object_get_member(r, "id")));
        ret = assert_return(r);
        g_assert_cmpstr(json_object_get_string_member(json_node_get_object(ret), "name"), ==, "a}{\"]\\");
        json_node_unref(ret);
    }
    fixture_free(f);
}

static void test_malformed(void)
{
    Fixture *f = fixture_new();
    char **lines;

    negotiate(f);
    assert_error(feed1(f, "{\"execute\": }"), "GenericError", "JSON parse error");
    assert_error(feed1(f, "{\"execute\" \"x\"}"), "GenericError", "JSON parse error");
    assert_error(feed1(f, "hello world\n"), "GenericError", "JSON parse error");
    assert_error(feed1(f, "42\n"), "GenericError", "must be a JSON object");
    assert_error(feed1(f, "[1, 2]"), "GenericError", "must be a JSON object");
    assert_error(feed1(f, "{}"), "GenericError", "lacks member 'execute'");
    assert_error(feed1(f, "{\"execute\": 5}"), "GenericError", "'execute' must be a string");
    assert_error(feed1(f, "{\"execute\": \"query-name\", \"arguments\": [1]}"), "GenericError",
                 "'arguments' must be an object");
    assert_error(feed1(f, "{\"execute\": \"query-name\", \"bogus\": 1}"), "GenericError",
                 "member 'bogus' is unexpected");
    assert_error(feed1(f, "{\"exec-oob\": \"query-name\"}"), "GenericError", "oob");
    /* a stray closing brace at top level is garbage up to the end of the line */
    assert_error(feed1(f, "}\n"), "GenericError", "JSON parse error");
    /* whitespace alone produces nothing */
    lines = feed(f, " \r\n\t\n");
    g_assert_cmpuint(g_strv_length(lines), ==, 0);
    g_strfreev(lines);
    /* deep nesting is refused without recursion, then the stream goes on */
    {
        GString *deep = g_string_new("{\"execute\":\"x-echo\",\"arguments\":{\"name\":\"n\",\"extra\":");
        for (int i = 0; i < 2000; i++) {
            g_string_append_c(deep, '[');
        }
        g_string_append_c(deep, '\n');
        assert_error(feed1(f, deep->str), "GenericError", "nesting");
        g_string_free(deep, TRUE);
    }
    /* an oversized message likewise */
    {
        size_t big = (4u << 20) + 100;
        char *huge = g_malloc(big + 100);
        size_t head;
        strcpy(huge, "{\"execute\":\"x-echo\",\"arguments\":{\"name\":\"");
        head = strlen(huge);
        memset(huge + head, 'x', big - head);
        strcpy(huge + big, "\"}}\n");
        lines = feed(f, huge);
        g_assert_cmpuint(g_strv_length(lines), >=, 1);
        g_assert_nonnull(strstr(lines[0], "too large"));
        g_strfreev(lines);
        g_free(huge);
    }
    /* the connection survived all of that */
    json_node_unref(assert_return(feed1(f, "{\"execute\":\"query-name\"}")));
    fixture_free(f);
}

static void test_dispatch_errors(void)
{
    Fixture *f = fixture_new();
    JsonObject *r;
    JsonNode *ret;

    negotiate(f);
    r = feed1(f, "{\"execute\":\"no-such-command\",\"id\":17}");
    g_assert_cmpint(json_object_get_int_member(r, "id"), ==, 17);
    assert_error(r, "CommandNotFound", "The command no-such-command has not been found");

    assert_error(feed1(f, "{\"execute\":\"x-echo\"}"), "GenericError", "Parameter 'name' is missing");
    assert_error(feed1(f, "{\"execute\":\"x-echo\",\"arguments\":{\"name\":1}}"), "GenericError",
                 "Invalid parameter type for 'name', expected: string");
    assert_error(feed1(f, "{\"execute\":\"x-echo\",\"arguments\":{\"name\":\"a\",\"count\":\"3\"}}"),
                 "GenericError", "expected: integer");
    assert_error(feed1(f, "{\"execute\":\"x-echo\",\"arguments\":{\"name\":\"a\",\"count\":1.5}}"),
                 "GenericError", "expected: integer");
    assert_error(feed1(f, "{\"execute\":\"x-echo\",\"arguments\":{\"name\":\"a\",\"flag\":1}}"),
                 "GenericError", "expected: boolean");
    assert_error(feed1(f, "{\"execute\":\"x-echo\",\"arguments\":{\"name\":null}}"),
                 "GenericError", "expected: string");
    assert_error(feed1(f, "{\"execute\":\"x-echo\",\"arguments\":{\"name\":\"a\",\"other\":1}}"),
                 "GenericError", "Parameter 'other' is unexpected");
    assert_error(feed1(f, "{\"execute\":\"query-status\",\"arguments\":{\"x\":1}}"),
                 "GenericError", "Parameter 'x' is unexpected");
    /* the handler's own error class comes through */
    assert_error(feed1(f, "{\"execute\":\"x-echo\",\"arguments\":{\"name\":\"missing\"}}"),
                 "DeviceNotFound", "Device 'missing' not found");

    ret = assert_return(feed1(f, "{\"execute\":\"x-echo\",\"arguments\":{\"name\":\"n\",\"count\":-5,"
                                 "\"flag\":true,\"extra\":{\"z\":[null]}}}"));
    g_assert_cmpint(json_object_get_int_member(json_node_get_object(ret), "count"), ==, -5);
    g_assert_true(json_object_get_boolean_member(json_node_get_object(ret), "flag"));
    json_node_unref(ret);
    fixture_free(f);
}

static void test_generic_commands(void)
{
    Fixture *f = fixture_new();
    JsonNode *ret;
    JsonObject *o;
    JsonArray *a;
    bool found;

    negotiate(f);
    ret = assert_return(feed1(f, "{\"execute\":\"query-status\"}"));
    o = json_node_get_object(ret);
    g_assert_cmpstr(json_object_get_string_member(o, "status"), ==, "running");
    g_assert_true(json_object_get_boolean_member(o, "running"));
    json_node_unref(ret);

    /* stop: the machine hears it, status follows, a STOP event goes out after the reply */
    {
        char **lines = feed(f, "{\"execute\":\"stop\",\"id\":3}");
        g_assert_cmpuint(g_strv_length(lines), ==, 2);
        g_assert_nonnull(strstr(lines[0], "\"event\":\"STOP\""));
        g_assert_nonnull(strstr(lines[1], "\"return\""));
        g_strfreev(lines);
    }
    g_assert_cmpint(f->fm.stops, ==, 1);
    ret = assert_return(feed1(f, "{\"execute\":\"query-status\"}"));
    g_assert_cmpstr(json_object_get_string_member(json_node_get_object(ret), "status"), ==, "paused");
    g_assert_false(json_object_get_boolean_member(json_node_get_object(ret), "running"));
    json_node_unref(ret);
    ret = assert_return(feed1(f, "{\"execute\":\"human-monitor-command\","
                                 "\"arguments\":{\"command-line\":\"info status\"}}"));
    g_assert_cmpstr(json_node_get_string(ret), ==, "VM status: paused\r\n");
    json_node_unref(ret);
    f->fm.refuse_cont = true;
    assert_error(feed1(f, "{\"execute\":\"cont\"}"), "GenericError", "test says no");
    f->fm.refuse_cont = false;
    {
        char **lines = feed(f, "{\"execute\":\"cont\"}");
        g_strfreev(lines);
    }
    g_assert_cmpint(f->fm.conts, ==, 1);
    f->fm.status = "prelaunch";
    ret = assert_return(feed1(f, "{\"execute\":\"human-monitor-command\","
                                 "\"arguments\":{\"command-line\":\"info status\"}}"));
    g_assert_cmpstr(json_node_get_string(ret), ==, "VM status: paused (prelaunch)\r\n");
    json_node_unref(ret);
    ret = assert_return(feed1(f, "{\"execute\":\"human-monitor-command\","
                                 "\"arguments\":{\"command-line\":\"info mtree\"}}"));
    g_assert_nonnull(strstr(json_node_get_string(ret), "address-space: memory\r\n"));
    json_node_unref(ret);
    ret = assert_return(feed1(f, "{\"execute\":\"human-monitor-command\","
                                 "\"arguments\":{\"command-line\":\"frobnicate\"}}"));
    g_assert_nonnull(strstr(json_node_get_string(ret), "unknown command"));
    json_node_unref(ret);

    ret = assert_return(feed1(f, "{\"execute\":\"query-version\"}"));
    o = json_object_get_object_member(json_node_get_object(ret), "qemu");
    g_assert_cmpint(json_object_get_int_member(o, "major"), ==, 7);
    json_node_unref(ret);

    ret = assert_return(feed1(f, "{\"execute\":\"query-name\"}"));
    g_assert_cmpstr(json_object_get_string_member(json_node_get_object(ret), "name"), ==, "guest-7");
    json_node_unref(ret);

    ret = assert_return(feed1(f, "{\"execute\":\"query-commands\"}"));
    a = json_node_get_array(ret);
    found = false;
    for (guint i = 0; i < json_array_get_length(a); i++) {
        found |= !strcmp(json_object_get_string_member(json_array_get_object_element(a, i), "name"),
                         "query-blockstats");
    }
    g_assert_true(found);
    g_assert_cmpuint(json_array_get_length(a), >=, 18);
    json_node_unref(ret);

    ret = assert_return(feed1(f, "{\"execute\":\"query-chardev\"}"));
    a = json_node_get_array(ret);
    found = false;
    for (guint i = 0; i < json_array_get_length(a); i++) {
        found |= !strcmp(json_object_get_string_member(json_array_get_object_element(a, i), "label"),
                         chardev_id(f->chr));
    }
    g_assert_true(found);
    json_node_unref(ret);

    ret = assert_return(feed1(f, "{\"execute\":\"query-cpus-fast\"}"));
    a = json_node_get_array(ret);
    g_assert_cmpuint(json_array_get_length(a), ==, 2);
    g_assert_cmpint(json_object_get_int_member(json_array_get_object_element(a, 1), "cpu-index"), ==, 1);
    json_node_unref(ret);

    ret = assert_return(feed1(f, "{\"execute\":\"query-vnc\"}"));
    g_assert_false(json_object_get_boolean_member(json_node_get_object(ret), "enabled"));
    json_node_unref(ret);
    ret = assert_return(feed1(f, "{\"execute\":\"query-blockstats\"}"));
    g_assert_cmpuint(json_array_get_length(json_node_get_array(ret)), ==, 0);
    json_node_unref(ret);

    json_node_unref(assert_return(feed1(f, "{\"execute\":\"system_reset\"}")));
    g_assert_cmpint(f->fm.resets, ==, 1);
    assert_error(feed1(f, "{\"execute\":\"system_powerdown\"}"), "GenericError", "power button");

    /* add-fd on a ringbuf: no fd came with it */
    assert_error(feed1(f, "{\"execute\":\"add-fd\"}"), "GenericError", "No file descriptor");
    assert_error(feed1(f, "{\"execute\":\"remove-fd\",\"arguments\":{\"fdset-id\":9}}"), "GenericError",
                 "not found");

    /* quit: the reply is out before the machine is told */
    chardev_inject_input(f->chr, (const uint8_t *)"{\"execute\":\"quit\"}", 18);
    g_assert_cmpint(f->fm.quits, ==, 1);
    g_assert_true(f->fm.quit_saw_reply);
    fixture_free(f);
}

static void test_handle_text(void)
{
    Fixture *f = fixture_new();
    char *r;

    r = qmp_monitor_handle_text(f->mon, "{\"execute\":\"qmp_capabilities\",\"id\":\"x\"}");
    g_assert_cmpstr(r, ==, "{\"return\":{},\"id\":\"x\"}");
    g_free(r);
    r = qmp_monitor_handle_text(f->mon, "not json");
    g_assert_nonnull(strstr(r, "JSON parse error"));
    g_free(r);
    r = qmp_monitor_handle_text(f->mon, "   ");
    g_assert_null(r);
    fixture_free(f);
}

/* ---- unix socket: re-greeting, SCM_RIGHTS, fd sets ---- */

static void pump(void)
{
    for (int i = 0; i < 20; i++) {
        g_main_context_iteration(NULL, FALSE);
    }
}

/* Read one CRLF-terminated line from the client socket, pumping the server meanwhile. */
static char *client_line(int fd, GString *buf)
{
    for (int tries = 0; tries < 2000; tries++) {
        char *crlf = strstr(buf->str, "\r\n");
        char tmp[4096];
        ssize_t n;

        if (crlf) {
            char *line = g_strndup(buf->str, (gsize)(crlf - buf->str));
            g_string_erase(buf, 0, (crlf - buf->str) + 2);
            return line;
        }
        pump();
        n = recv(fd, tmp, sizeof(tmp), MSG_DONTWAIT);
        if (n > 0) {
            g_string_append_len(buf, tmp, n);
        } else {
            g_usleep(1000);
        }
    }
    g_error("no line from the QMP server");
    return NULL;
}

static void client_send(int fd, const char *text, int pass_fd)
{
    struct iovec iov = { .iov_base = (void *)text, .iov_len = strlen(text) };
    union {
        char buf[CMSG_SPACE(sizeof(int))];
        struct cmsghdr align;
    } control;
    struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };

    if (pass_fd >= 0) {
        struct cmsghdr *c;

        /* libxl sends the fd with the first byte, then the rest; do the same. */
        iov.iov_len = 1;
        msg.msg_control = control.buf;
        msg.msg_controllen = sizeof(control.buf);
        c = CMSG_FIRSTHDR(&msg);
        c->cmsg_level = SOL_SOCKET;
        c->cmsg_type = SCM_RIGHTS;
        c->cmsg_len = CMSG_LEN(sizeof(int));
        memcpy(CMSG_DATA(c), &pass_fd, sizeof(int));
        g_assert_cmpint(sendmsg(fd, &msg, 0), ==, 1);
        pump();
        g_assert_cmpint(send(fd, text + 1, strlen(text) - 1, 0), ==, (ssize_t)strlen(text) - 1);
        return;
    }
    g_assert_cmpint(sendmsg(fd, &msg, 0), ==, (ssize_t)strlen(text));
}

static int client_connect(const char *path)
{
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_un sa = { .sun_family = AF_UNIX };

    g_strlcpy(sa.sun_path, path, sizeof(sa.sun_path));
    g_assert_cmpint(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), ==, 0);
    return fd;
}

static void test_socket_fdsets(void)
{
    char *dir = g_dir_make_tmp("qmp-test-XXXXXX", NULL);
    char *path = g_build_filename(dir, "qmp.sock", NULL);
    char *opts = g_strdup_printf("socket,id=qmpsock,path=%s,server=on,wait=off", path);
    GError *err = NULL;
    Chardev *chr = chardev_new_from_opts(opts, &err);
    QmpServer *s = qmp_server_new();
    FakeMachine fm = { .status = "running" };
    QmpMonitor *mon;
    GString *buf = g_string_new(NULL);
    int c, pipefd[2], wfd;
    char *line;
    char rbuf[16];

    g_assert_no_error(err);
    fm.chr = NULL;
    qmp_register_generic(s, &fm_ops, &fm);
    mon = qmp_monitor_new(s, chr);

    c = client_connect(path);
    line = client_line(c, buf);
    g_assert_nonnull(strstr(line, "\"QMP\""));
    g_free(line);
    client_send(c, "{\"execute\":\"qmp_capabilities\"}\r\n", -1);
    line = client_line(c, buf);
    g_assert_cmpstr(line, ==, "{\"return\":{}}");
    g_free(line);

    g_assert_cmpint(pipe(pipefd), ==, 0);
    client_send(c, "{\"execute\":\"add-fd\",\"arguments\":{\"opaque\":\"save\"},\"id\":1}\r\n", pipefd[1]);
    close(pipefd[1]);
    line = client_line(c, buf);
    g_assert_nonnull(strstr(line, "\"fdset-id\":0"));
    g_free(line);
    client_send(c, "{\"execute\":\"query-fdsets\"}", -1);
    line = client_line(c, buf);
    g_assert_nonnull(strstr(line, "\"opaque\":\"save\""));
    g_free(line);

    /* The fd set serves a writer; a reader is refused. */
    g_assert_cmpint(qmp_open_file(s, "/dev/fdset/0", O_RDONLY, &err), ==, -1);
    g_assert_nonnull(err);
    g_clear_error(&err);
    g_assert_cmpint(qmp_open_file(s, "/dev/fdset/7", O_WRONLY, &err), ==, -1);
    g_clear_error(&err);
    g_assert_cmpint(qmp_open_file(s, "/dev/fdset/x", O_WRONLY, &err), ==, -1);
    g_clear_error(&err);
    wfd = qmp_open_file(s, "/dev/fdset/0", O_WRONLY, &err);
    g_assert_no_error(err);
    g_assert_cmpint(write(wfd, "hi", 2), ==, 2);
    close(wfd);
    g_assert_cmpint(read(pipefd[0], rbuf, sizeof(rbuf)), ==, 2);

    /* A second set, then remove-fd of the first */
    {
        int p2[2];
        g_assert_cmpint(pipe(p2), ==, 0);
        client_send(c, "{\"execute\":\"add-fd\",\"arguments\":{\"fdset-id\":5}}", p2[0]);
        close(p2[0]);
        close(p2[1]);
    }
    line = client_line(c, buf);
    g_assert_nonnull(strstr(line, "\"fdset-id\":5"));
    g_free(line);
    client_send(c, "{\"execute\":\"remove-fd\",\"arguments\":{\"fdset-id\":0}}", -1);
    line = client_line(c, buf);
    g_assert_cmpstr(line, ==, "{\"return\":{}}");
    g_free(line);
    g_assert_cmpint(qmp_open_file(s, "/dev/fdset/0", O_WRONLY, &err), ==, -1);
    g_clear_error(&err);

    /* A new client: a fresh greeting, negotiation again, and the old client's fds are gone. */
    close(c);
    pump();
    g_string_truncate(buf, 0);
    c = client_connect(path);
    line = client_line(c, buf);
    g_assert_nonnull(strstr(line, "\"QMP\""));
    g_free(line);
    client_send(c, "{\"execute\":\"query-fdsets\"}", -1);
    line = client_line(c, buf);
    g_assert_nonnull(strstr(line, "CommandNotFound"));
    g_free(line);
    client_send(c, "{\"execute\":\"qmp_capabilities\"}{\"execute\":\"query-fdsets\"}", -1);
    line = client_line(c, buf);
    g_free(line);
    line = client_line(c, buf);
    g_assert_cmpstr(line, ==, "{\"return\":[]}");
    g_free(line);
    close(c);
    pump();

    close(pipefd[0]);
    qmp_monitor_free(mon);
    chardev_free(chr);
    qmp_server_free(s);
    g_rmdir(dir);
    g_free(dir);
    g_free(path);
    g_free(opts);
    g_string_free(buf, TRUE);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/qmp/greeting", test_greeting);
    g_test_add_func("/qmp/negotiation", test_negotiation);
    g_test_add_func("/qmp/framing", test_framing);
    g_test_add_func("/qmp/malformed", test_malformed);
    g_test_add_func("/qmp/dispatch-errors", test_dispatch_errors);
    g_test_add_func("/qmp/generic-commands", test_generic_commands);
    g_test_add_func("/qmp/handle-text", test_handle_text);
    g_test_add_func("/qmp/socket-fdsets", test_socket_fdsets);
    return g_test_run();
}
