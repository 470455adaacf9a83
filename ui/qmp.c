/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The QMP server: framing, dispatch, errors, events and fd sets.  The
 * message rules follow QEMU's qmp-spec.txt and qapi/qmp-dispatch.c (member
 * checks, error descriptions) so libxl and QMP clients written for QEMU
 * see the same answers; the wire rules follow libxl_qmp.c (CRLF after
 * every message, a greeting per connection, add-fd with SCM_RIGHTS).
 */
#include "ui/qmp.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Largest message we buffer, and deepest nesting (QEMU: MAX_NESTING 1024). */
#define QMP_MAX_MESSAGE     (4u << 20)
#define QMP_MAX_NESTING     1024
#define QMP_FDSET_PREFIX    "/dev/fdset/"

G_DEFINE_QUARK(qmp-error-quark, qmp_error)

typedef struct QmpCommand {
    char *name;
    const QmpArg *args;
    QmpCommandFn fn;
    void *opaque;
} QmpCommand;

typedef struct QmpFd {
    int fd;
    char *opaque;
    QmpMonitor *owner;      /* closed when this monitor's client goes away */
} QmpFd;

typedef struct QmpFdset {
    int64_t id;
    GPtrArray *fds;         /* QmpFd * */
} QmpFdset;

struct QmpServer {
    GHashTable *commands;   /* name -> QmpCommand * */
    GPtrArray *order;       /* QmpCommand *, registration order (query-commands) */
    GPtrArray *fdsets;      /* QmpFdset * */
    GPtrArray *monitors;    /* QmpMonitor * */
    GPtrArray *owned;       /* OwnedData *, freed with the server */
};

typedef struct OwnedData {
    gpointer data;
    GDestroyNotify destroy;
} OwnedData;

typedef enum {
    SCAN_IDLE,              /* between messages */
    SCAN_MESSAGE,           /* inside an object/array */
    SCAN_GARBAGE,           /* text that is no JSON container: up to the end of the line */
    SCAN_DISCARD,           /* an oversized/overnested message: drop to the end of the line */
} ScanState;

struct QmpMonitor {
    QmpServer *server;
    Chardev *chr;
    bool negotiated;
    /* scanner */
    ScanState scan;
    GString *msg;
    unsigned depth;
    bool in_string, escape;
};

const char *qmp_error_class_name(QmpErrorClass cls)
{
    switch (cls) {
    case QMP_ERROR_GENERIC:
        return "GenericError";
    case QMP_ERROR_COMMAND_NOT_FOUND:
        return "CommandNotFound";
    case QMP_ERROR_DEVICE_NOT_ACTIVE:
        return "DeviceNotActive";
    case QMP_ERROR_DEVICE_NOT_FOUND:
        return "DeviceNotFound";
    }
    return "GenericError";
}

/* ---- server ------------------------------------------------------------- */

static void command_free(gpointer p)
{
    QmpCommand *c = p;

    g_free(c->name);
    g_free(c);
}

static void qmp_fd_free(gpointer p)
{
    QmpFd *f = p;

    if (f->fd >= 0) {
        close(f->fd);
    }
    g_free(f->opaque);
    g_free(f);
}

static void fdset_free(gpointer p)
{
    QmpFdset *set = p;

    g_ptr_array_free(set->fds, TRUE);
    g_free(set);
}

QmpServer *qmp_server_new(void)
{
    QmpServer *s = g_new0(QmpServer, 1);

    s->commands = g_hash_table_new(g_str_hash, g_str_equal);
    s->order = g_ptr_array_new_with_free_func(command_free);
    s->fdsets = g_ptr_array_new_with_free_func(fdset_free);
    s->monitors = g_ptr_array_new();
    s->owned = g_ptr_array_new();
    return s;
}

void qmp_server_free(QmpServer *s)
{
    if (!s) {
        return;
    }
    g_assert(s->monitors->len == 0);
    g_hash_table_destroy(s->commands);
    g_ptr_array_free(s->order, TRUE);
    g_ptr_array_free(s->fdsets, TRUE);
    g_ptr_array_free(s->monitors, TRUE);
    for (guint i = 0; i < s->owned->len; i++) {
        OwnedData *o = s->owned->pdata[i];

        o->destroy(o->data);
        g_free(o);
    }
    g_ptr_array_free(s->owned, TRUE);
    g_free(s);
}

void qmp_server_own(QmpServer *s, gpointer data, GDestroyNotify destroy)
{
    OwnedData *o = g_new0(OwnedData, 1);

    o->data = data;
    o->destroy = destroy;
    g_ptr_array_add(s->owned, o);
}

void qmp_register(QmpServer *s, const char *name, const QmpArg *args, QmpCommandFn fn, void *opaque)
{
    QmpCommand *c = g_hash_table_lookup(s->commands, name);

    if (!c) {
        c = g_new0(QmpCommand, 1);
        c->name = g_strdup(name);
        g_ptr_array_add(s->order, c);
        g_hash_table_insert(s->commands, c->name, c);
    }
    c->args = args;
    c->fn = fn;
    c->opaque = opaque;
}

bool qmp_has_command(QmpServer *s, const char *name)
{
    return g_hash_table_contains(s->commands, name);
}

/* For query-commands (ui/qmp-cmds.c). */
void qmp_foreach_command(QmpServer *s, void (*fn)(const char *name, void *opaque), void *opaque)
{
    for (guint i = 0; i < s->order->len; i++) {
        fn(((QmpCommand *)s->order->pdata[i])->name, opaque);
    }
}

/* ---- output ------------------------------------------------------------- */

static void send_node(QmpMonitor *mon, JsonNode *node)
{
    char *text = json_to_string(node, FALSE);
    GString *line = g_string_new(text);

    g_string_append(line, "\r\n");
    chardev_write(mon->chr, (const uint8_t *)line->str, line->len);
    g_string_free(line, TRUE);
    g_free(text);
}

static JsonNode *object_node(JsonObject *o)
{
    JsonNode *n = json_node_new(JSON_NODE_OBJECT);

    json_node_take_object(n, o);
    return n;
}

static JsonNode *make_error(QmpErrorClass cls, const char *desc, JsonNode *id)
{
    JsonObject *err = json_object_new();
    JsonObject *reply = json_object_new();

    json_object_set_string_member(err, "class", qmp_error_class_name(cls));
    json_object_set_string_member(err, "desc", desc);
    json_object_set_object_member(reply, "error", err);
    if (id) {
        json_object_set_member(reply, "id", json_node_copy(id));
    }
    return object_node(reply);
}

static JsonNode *make_return(JsonNode *ret, JsonNode *id)
{
    JsonObject *reply = json_object_new();

    if (!ret) {
        ret = object_node(json_object_new());
    }
    json_object_set_member(reply, "return", ret);
    if (id) {
        json_object_set_member(reply, "id", json_node_copy(id));
    }
    return object_node(reply);
}

static JsonNode *make_greeting(void)
{
    JsonObject *qemu = json_object_new();
    JsonObject *version = json_object_new();
    JsonObject *qmp = json_object_new();
    JsonObject *root = json_object_new();

    json_object_set_int_member(qemu, "major", QMP_VERSION_MAJOR);
    json_object_set_int_member(qemu, "minor", QMP_VERSION_MINOR);
    json_object_set_int_member(qemu, "micro", QMP_VERSION_MICRO);
    json_object_set_object_member(version, "qemu", qemu);
    json_object_set_string_member(version, "package", "");
    json_object_set_object_member(qmp, "version", version);
    json_object_set_array_member(qmp, "capabilities", json_array_new());
    json_object_set_object_member(root, "QMP", qmp);
    return object_node(root);
}

void qmp_emit_event(QmpServer *s, const char *name, JsonNode *data)
{
    gint64 now = g_get_real_time();
    JsonObject *ts = json_object_new();
    JsonObject *ev = json_object_new();
    JsonNode *node;

    json_object_set_string_member(ev, "event", name);
    /* QEMU leaves "data" out of events that carry none (STOP, RESUME). */
    if (data) {
        json_object_set_member(ev, "data", data);
    }
    json_object_set_int_member(ts, "seconds", now / G_USEC_PER_SEC);
    json_object_set_int_member(ts, "microseconds", now % G_USEC_PER_SEC);
    json_object_set_object_member(ev, "timestamp", ts);
    node = object_node(ev);
    for (guint i = 0; i < s->monitors->len; i++) {
        QmpMonitor *mon = s->monitors->pdata[i];

        if (mon->negotiated && chardev_connected(mon->chr)) {
            send_node(mon, node);
        }
    }
    json_node_unref(node);
}

/* ---- dispatch ----------------------------------------------------------- */

static const char *arg_type_name(QmpArgType t)
{
    switch (t) {
    case QMP_ARG_STR:
        return "string";
    case QMP_ARG_INT:
        return "integer";
    case QMP_ARG_BOOL:
        return "boolean";
    case QMP_ARG_OBJECT:
        return "object";
    case QMP_ARG_ARRAY:
        return "array";
    case QMP_ARG_ANY:
        return "any";
    }
    return "?";
}

static bool arg_type_ok(QmpArgType t, JsonNode *n)
{
    switch (t) {
    case QMP_ARG_ANY:
        return true;
    case QMP_ARG_OBJECT:
        return JSON_NODE_HOLDS_OBJECT(n);
    case QMP_ARG_ARRAY:
        return JSON_NODE_HOLDS_ARRAY(n);
    case QMP_ARG_STR:
        return JSON_NODE_HOLDS_VALUE(n) && json_node_get_value_type(n) == G_TYPE_STRING;
    case QMP_ARG_INT:
        return JSON_NODE_HOLDS_VALUE(n) && json_node_get_value_type(n) == G_TYPE_INT64;
    case QMP_ARG_BOOL:
        return JSON_NODE_HOLDS_VALUE(n) && json_node_get_value_type(n) == G_TYPE_BOOLEAN;
    }
    return false;
}

static bool check_args(const QmpCommand *cmd, JsonObject *args, GError **err)
{
    GList *members = json_object_get_members(args);
    bool ok = true;

    for (GList *l = members; l && ok; l = l->next) {
        const char *name = l->data;
        const QmpArg *a = NULL;

        for (const QmpArg *p = cmd->args; p && p->name; p++) {
            if (!strcmp(p->name, name)) {
                a = p;
                break;
            }
        }
        if (!a) {
            g_set_error(err, QMP_ERROR, QMP_ERROR_GENERIC, "Parameter '%s' is unexpected", name);
            ok = false;
        } else if (!arg_type_ok(a->type, json_object_get_member(args, name))) {
            g_set_error(err, QMP_ERROR, QMP_ERROR_GENERIC, "Invalid parameter type for '%s', expected: %s",
                        name, arg_type_name(a->type));
            ok = false;
        }
    }
    g_list_free(members);
    for (const QmpArg *p = cmd->args; ok && p && p->name; p++) {
        if (!p->optional && !json_object_has_member(args, p->name)) {
            g_set_error(err, QMP_ERROR, QMP_ERROR_GENERIC, "Parameter '%s' is missing", p->name);
            ok = false;
        }
    }
    return ok;
}

static JsonNode *error_from_gerror(GError *e, JsonNode *id)
{
    QmpErrorClass cls = e->domain == QMP_ERROR ? (QmpErrorClass)e->code : QMP_ERROR_GENERIC;

    return make_error(cls, e->message, id);
}

/*
 * Turn one parsed message into a reply.  *call_out receives the call of a
 * command that ran, so the caller can run its after_reply hook.
 */
static JsonNode *dispatch(QmpMonitor *mon, JsonNode *root, QmpCall *call)
{
    JsonObject *obj;
    JsonNode *id, *exec, *argn;
    const char *name;
    QmpCommand *cmd;
    GList *members;
    GError *err = NULL;
    JsonNode *ret, *reply;
    JsonObject *args;

    if (!JSON_NODE_HOLDS_OBJECT(root)) {
        return make_error(QMP_ERROR_GENERIC, "QMP input must be a JSON object", NULL);
    }
    obj = json_node_get_object(root);
    id = json_object_get_member(obj, "id");
    members = json_object_get_members(obj);
    for (GList *l = members; l; l = l->next) {
        const char *m = l->data;

        if (strcmp(m, "execute") && strcmp(m, "arguments") && strcmp(m, "id")) {
            char *desc = !strcmp(m, "exec-oob")
                ? g_strdup("QMP input member 'exec-oob' requires the 'oob' capability, which is not supported")
                : g_strdup_printf("QMP input member '%s' is unexpected", m);

            reply = make_error(QMP_ERROR_GENERIC, desc, id);
            g_free(desc);
            g_list_free(members);
            return reply;
        }
    }
    g_list_free(members);
    exec = json_object_get_member(obj, "execute");
    if (!exec) {
        return make_error(QMP_ERROR_GENERIC, "QMP input lacks member 'execute'", id);
    }
    if (!JSON_NODE_HOLDS_VALUE(exec) || json_node_get_value_type(exec) != G_TYPE_STRING) {
        return make_error(QMP_ERROR_GENERIC, "QMP input member 'execute' must be a string", id);
    }
    name = json_node_get_string(exec);
    argn = json_object_get_member(obj, "arguments");
    if (argn && !JSON_NODE_HOLDS_OBJECT(argn)) {
        return make_error(QMP_ERROR_GENERIC, "QMP input member 'arguments' must be an object", id);
    }

    if (!mon->negotiated && strcmp(name, "qmp_capabilities")) {
        return make_error(QMP_ERROR_COMMAND_NOT_FOUND,
                          "Expecting capabilities negotiation with 'qmp_capabilities'", id);
    }
    if (mon->negotiated && !strcmp(name, "qmp_capabilities")) {
        return make_error(QMP_ERROR_COMMAND_NOT_FOUND,
                          "Capabilities negotiation is already complete, command ignored", id);
    }
    cmd = g_hash_table_lookup(mon->server->commands, name);
    if (!cmd) {
        char *desc = g_strdup_printf("The command %s has not been found", name);

        reply = make_error(QMP_ERROR_COMMAND_NOT_FOUND, desc, id);
        g_free(desc);
        return reply;
    }
    args = argn ? json_object_ref(json_node_get_object(argn)) : json_object_new();
    if (!check_args(cmd, args, &err)) {
        reply = error_from_gerror(err, id);
        g_error_free(err);
        json_object_unref(args);
        return reply;
    }
    call->server = mon->server;
    call->monitor = mon;
    call->args = args;
    ret = cmd->fn(call, cmd->opaque, &err);
    if (err) {
        if (ret) {
            json_node_unref(ret);
        }
        reply = error_from_gerror(err, id);
        g_error_free(err);
    } else {
        if (!strcmp(name, "qmp_capabilities")) {
            mon->negotiated = true;
        }
        reply = make_return(ret, id);
    }
    json_object_unref(args);
    call->args = NULL;
    return reply;
}

/* Parse and dispatch one message; NULL if there is nothing to send. */
static JsonNode *handle_message(QmpMonitor *mon, const char *text, gssize len, QmpCall *call)
{
    JsonParser *parser = json_parser_new_immutable();
    GError *err = NULL;
    JsonNode *reply;

    if (!json_parser_load_from_data(parser, text, len, &err)) {
        char *desc = g_strdup_printf("JSON parse error, %s", err->message);

        reply = make_error(QMP_ERROR_GENERIC, desc, NULL);
        g_free(desc);
        g_error_free(err);
    } else if (!json_parser_get_root(parser)) {
        reply = NULL;   /* only whitespace */
    } else {
        reply = dispatch(mon, json_parser_get_root(parser), call);
    }
    g_object_unref(parser);
    return reply;
}

static void process_message(QmpMonitor *mon, const char *text, gssize len)
{
    QmpCall call = { 0 };
    JsonNode *reply = handle_message(mon, text, len, &call);

    if (reply) {
        send_node(mon, reply);
        json_node_unref(reply);
    }
    if (call.after_reply) {
        call.after_reply(call.after_reply_opaque);
    }
}

char *qmp_monitor_handle_text(QmpMonitor *mon, const char *text)
{
    QmpCall call = { 0 };
    JsonNode *reply = handle_message(mon, text, -1, &call);
    char *out = NULL;

    if (reply) {
        out = json_to_string(reply, FALSE);
        json_node_unref(reply);
    }
    if (call.after_reply) {
        call.after_reply(call.after_reply_opaque);
    }
    return out;
}

/* ---- framing ------------------------------------------------------------ */

static void scan_reset(QmpMonitor *mon)
{
    mon->scan = SCAN_IDLE;
    g_string_truncate(mon->msg, 0);
    mon->depth = 0;
    mon->in_string = false;
    mon->escape = false;
}

static void send_simple_error(QmpMonitor *mon, const char *desc)
{
    JsonNode *reply = make_error(QMP_ERROR_GENERIC, desc, NULL);

    send_node(mon, reply);
    json_node_unref(reply);
}

/* The message cannot be parsed: answer desc and drop the rest of its line. */
static void scan_discard(QmpMonitor *mon, const char *desc)
{
    send_simple_error(mon, desc);
    scan_reset(mon);
    mon->scan = SCAN_DISCARD;
}

/* Add c to the message, or discard it (false) once it would exceed QMP_MAX_MESSAGE. */
static bool scan_append(QmpMonitor *mon, char c)
{
    if (mon->msg->len >= QMP_MAX_MESSAGE) {
        scan_discard(mon, "JSON parse error, message too large");
        return false;
    }
    g_string_append_c(mon->msg, c);
    return true;
}

static void scan_byte(QmpMonitor *mon, char c)
{
    switch (mon->scan) {
    case SCAN_IDLE:
        if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
            return;
        }
        g_string_append_c(mon->msg, c);
        if (c == '{' || c == '[') {
            mon->scan = SCAN_MESSAGE;
            mon->depth = 1;
        } else {
            mon->scan = SCAN_GARBAGE;
        }
        return;
    case SCAN_GARBAGE:
        if (c == '\n') {
            /* A bare scalar parses but is not an object; anything else is a parse error. */
            process_message(mon, mon->msg->str, (gssize)mon->msg->len);
            scan_reset(mon);
            return;
        }
        scan_append(mon, c);
        return;
    case SCAN_DISCARD:
        if (c == '\n') {
            scan_reset(mon);
        }
        return;
    case SCAN_MESSAGE:
        break;
    }

    if (!scan_append(mon, c)) {
        return;
    }
    if (mon->in_string) {
        if (mon->escape) {
            mon->escape = false;
        } else if (c == '\\') {
            mon->escape = true;
        } else if (c == '"') {
            mon->in_string = false;
        }
        return;
    }
    switch (c) {
    case '"':
        mon->in_string = true;
        break;
    case '{':
    case '[':
        if (++mon->depth > QMP_MAX_NESTING) {
            scan_discard(mon, "JSON parse error, nesting too deep");
        }
        break;
    case '}':
    case ']':
        if (--mon->depth == 0) {
            char *text = g_strndup(mon->msg->str, mon->msg->len);
            gsize len = mon->msg->len;

            /* Reset first: the handler may feed us more (it never does today, but it is cheap). */
            scan_reset(mon);
            process_message(mon, text, (gssize)len);
            g_free(text);
        }
        break;
    default:
        break;
    }
}

static void mon_read(void *opaque, const uint8_t *buf, size_t len)
{
    QmpMonitor *mon = opaque;

    for (size_t i = 0; i < len; i++) {
        scan_byte(mon, (char)buf[i]);
    }
}

static void release_monitor_fds(QmpMonitor *mon)
{
    QmpServer *s = mon->server;

    for (guint i = 0; i < s->fdsets->len;) {
        QmpFdset *set = s->fdsets->pdata[i];

        for (guint j = 0; j < set->fds->len;) {
            QmpFd *f = set->fds->pdata[j];

            if (f->owner == mon) {
                g_ptr_array_remove_index(set->fds, j);
            } else {
                j++;
            }
        }
        if (set->fds->len == 0) {
            g_ptr_array_remove_index(s->fdsets, i);
        } else {
            i++;
        }
    }
}

static void mon_event(void *opaque, ChrEvent ev)
{
    QmpMonitor *mon = opaque;
    JsonNode *greeting;

    scan_reset(mon);
    mon->negotiated = false;
    switch (ev) {
    case CHR_EVENT_OPENED:
        greeting = make_greeting();
        send_node(mon, greeting);
        json_node_unref(greeting);
        break;
    case CHR_EVENT_CLOSED:
        /* fds the client passed and nobody kept die with its connection (QEMU's fdset cleanup). */
        release_monitor_fds(mon);
        break;
    }
}

static const ChardevHandlers mon_handlers = {
    .read = mon_read,
    .event = mon_event,
};

QmpMonitor *qmp_monitor_new(QmpServer *s, Chardev *chr)
{
    QmpMonitor *mon = g_new0(QmpMonitor, 1);

    mon->server = s;
    mon->chr = chr;
    mon->msg = g_string_new(NULL);
    g_ptr_array_add(s->monitors, mon);
    chardev_set_handlers(chr, &mon_handlers, mon);
    return mon;
}

void qmp_monitor_free(QmpMonitor *mon)
{
    if (!mon) {
        return;
    }
    chardev_set_handlers(mon->chr, NULL, NULL);
    release_monitor_fds(mon);
    g_ptr_array_remove(mon->server->monitors, mon);
    g_string_free(mon->msg, TRUE);
    g_free(mon);
}

Chardev *qmp_monitor_chardev(QmpMonitor *mon)
{
    return mon->chr;
}

/* ---- argument helpers --------------------------------------------------- */

const char *qmp_arg_str(QmpCall *c, const char *name, const char *def)
{
    JsonNode *n = json_object_get_member(c->args, name);

    return n && JSON_NODE_HOLDS_VALUE(n) && json_node_get_value_type(n) == G_TYPE_STRING
           ? json_node_get_string(n) : def;
}

int64_t qmp_arg_int(QmpCall *c, const char *name, int64_t def)
{
    JsonNode *n = json_object_get_member(c->args, name);

    return n && JSON_NODE_HOLDS_VALUE(n) && json_node_get_value_type(n) == G_TYPE_INT64
           ? json_node_get_int(n) : def;
}

bool qmp_arg_bool(QmpCall *c, const char *name, bool def)
{
    JsonNode *n = json_object_get_member(c->args, name);

    return n && JSON_NODE_HOLDS_VALUE(n) && json_node_get_value_type(n) == G_TYPE_BOOLEAN
           ? json_node_get_boolean(n) : def;
}

bool qmp_arg_has(QmpCall *c, const char *name)
{
    return json_object_has_member(c->args, name);
}

/* ---- fd sets ------------------------------------------------------------ */

static QmpFdset *find_fdset(QmpServer *s, int64_t id)
{
    for (guint i = 0; i < s->fdsets->len; i++) {
        QmpFdset *set = s->fdsets->pdata[i];

        if (set->id == id) {
            return set;
        }
    }
    return NULL;
}

/* add-fd [fdset-id] [opaque]: the fd came with the command (SCM_RIGHTS). */
JsonNode *qmp_cmd_add_fd(QmpCall *c, void *opaque, GError **err)
{
    QmpServer *s = c->server;
    int fd = chardev_take_received_fd(qmp_monitor_chardev(c->monitor));
    bool has_id = qmp_arg_has(c, "fdset-id");
    int64_t id = qmp_arg_int(c, "fdset-id", -1);
    QmpFdset *set;
    QmpFd *f;
    JsonObject *r;

    if (fd < 0) {
        g_set_error(err, QMP_ERROR, QMP_ERROR_GENERIC, "No file descriptor supplied via SCM_RIGHTS");
        return NULL;
    }
    if (has_id && id < 0) {
        close(fd);
        g_set_error(err, QMP_ERROR, QMP_ERROR_GENERIC, "Parameter 'fdset-id' expects a non-negative value");
        return NULL;
    }
    if (!has_id) {
        /* The lowest free id. */
        for (id = 0; find_fdset(s, id); id++) {
        }
    }
    set = find_fdset(s, id);
    if (!set) {
        set = g_new0(QmpFdset, 1);
        set->id = id;
        set->fds = g_ptr_array_new_with_free_func(qmp_fd_free);
        g_ptr_array_add(s->fdsets, set);
    }
    f = g_new0(QmpFd, 1);
    f->fd = fd;
    f->opaque = g_strdup(qmp_arg_str(c, "opaque", NULL));
    f->owner = c->monitor;
    g_ptr_array_add(set->fds, f);
    r = json_object_new();
    json_object_set_int_member(r, "fdset-id", id);
    json_object_set_int_member(r, "fd", fd);
    return object_node(r);
}

JsonNode *qmp_cmd_remove_fd(QmpCall *c, void *opaque, GError **err)
{
    QmpServer *s = c->server;
    int64_t id = qmp_arg_int(c, "fdset-id", -1);
    bool has_fd = qmp_arg_has(c, "fd");
    int64_t fd = qmp_arg_int(c, "fd", -1);
    QmpFdset *set = find_fdset(s, id);
    bool found = false;

    if (set) {
        for (guint j = 0; j < set->fds->len;) {
            QmpFd *f = set->fds->pdata[j];

            if (!has_fd || f->fd == fd) {
                g_ptr_array_remove_index(set->fds, j);
                found = true;
            } else {
                j++;
            }
        }
        if (set->fds->len == 0) {
            g_ptr_array_remove(s->fdsets, set);
        }
    }
    if (!found) {
        if (has_fd) {
            g_set_error(err, QMP_ERROR, QMP_ERROR_GENERIC, "File descriptor named 'fdset-id:%" PRId64
                        ", fd:%" PRId64 "' not found", id, fd);
        } else {
            g_set_error(err, QMP_ERROR, QMP_ERROR_GENERIC, "File descriptor named 'fdset-id:%" PRId64
                        "' not found", id);
        }
    }
    return NULL;
}

JsonNode *qmp_cmd_query_fdsets(QmpCall *c, void *opaque, GError **err)
{
    QmpServer *s = c->server;
    JsonArray *sets = json_array_new();
    JsonNode *n = json_node_new(JSON_NODE_ARRAY);

    for (guint i = 0; i < s->fdsets->len; i++) {
        QmpFdset *set = s->fdsets->pdata[i];
        JsonObject *o = json_object_new();
        JsonArray *fds = json_array_new();

        for (guint j = 0; j < set->fds->len; j++) {
            QmpFd *f = set->fds->pdata[j];
            JsonObject *fo = json_object_new();

            json_object_set_int_member(fo, "fd", f->fd);
            if (f->opaque) {
                json_object_set_string_member(fo, "opaque", f->opaque);
            }
            json_array_add_object_element(fds, fo);
        }
        json_object_set_int_member(o, "fdset-id", set->id);
        json_object_set_array_member(o, "fds", fds);
        json_array_add_object_element(sets, o);
    }
    json_node_take_array(n, sets);
    return n;
}

static bool access_mode_fits(int have, int want)
{
    have &= O_ACCMODE;
    want &= O_ACCMODE;
    return have == want || have == O_RDWR;
}

int qmp_open_file(QmpServer *s, const char *filename, int flags, GError **err)
{
    int fd;

    if (g_str_has_prefix(filename, QMP_FDSET_PREFIX)) {
        const char *num = filename + strlen(QMP_FDSET_PREFIX);
        char *end = NULL;
        gint64 id;
        QmpFdset *set;

        errno = 0;
        id = g_ascii_strtoll(num, &end, 10);
        if (!*num || *end || errno || id < 0) {
            g_set_error(err, QMP_ERROR, QMP_ERROR_GENERIC, "'%s' does not name an fd set", filename);
            return -1;
        }
        set = find_fdset(s, id);
        if (!set) {
            g_set_error(err, QMP_ERROR, QMP_ERROR_GENERIC, "fd set %" PRId64 " does not exist (add-fd first)", id);
            return -1;
        }
        for (guint j = 0; j < set->fds->len; j++) {
            QmpFd *f = set->fds->pdata[j];
            int fl = fcntl(f->fd, F_GETFL);

            if (fl >= 0 && access_mode_fits(fl, flags)) {
                fd = fcntl(f->fd, F_DUPFD_CLOEXEC, 0);
                if (fd < 0) {
                    g_set_error(err, QMP_ERROR, QMP_ERROR_GENERIC, "%s: dup: %s", filename, g_strerror(errno));
                }
                return fd;
            }
        }
        g_set_error(err, QMP_ERROR, QMP_ERROR_GENERIC, "fd set %" PRId64 " has no fd open for %s", id,
                    (flags & O_ACCMODE) == O_RDONLY ? "reading" : "writing");
        return -1;
    }
    fd = open(filename, flags | O_CLOEXEC, 0600);
    if (fd < 0) {
        g_set_error(err, QMP_ERROR, QMP_ERROR_GENERIC, "Could not open '%s': %s", filename, g_strerror(errno));
    }
    return fd;
}
