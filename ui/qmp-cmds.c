/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The QMP commands every ioemu program answers the same way.  Reply shapes
 * follow QEMU 7.2's QAPI schema (qapi/misc.json, qapi/run-state.json,
 * qapi/char.json, qapi/machine.json) as far as libxl and common clients
 * read them.
 */
#include <string.h>
#include <unistd.h>

#include "ui/qmp.h"

typedef struct Generic {
    const QmpMachineOps *ops;
    void *opaque;
} Generic;

static JsonNode *obj_node(JsonObject *o)
{
    JsonNode *n = json_node_new(JSON_NODE_OBJECT);

    json_node_take_object(n, o);
    return n;
}

static JsonNode *arr_node(JsonArray *a)
{
    JsonNode *n = json_node_new(JSON_NODE_ARRAY);

    json_node_take_array(n, a);
    return n;
}

static JsonNode *str_node(const char *s)
{
    JsonNode *n = json_node_new(JSON_NODE_VALUE);

    json_node_set_string(n, s);
    return n;
}

static const char *status_of(Generic *g)
{
    return g->ops->status ? g->ops->status(g->opaque) : "running";
}

static JsonNode *cmd_qmp_capabilities(QmpCall *c, void *opaque, GError **err)
{
    /* "enable" may list capabilities; we offer none, so any named one is unknown. */
    JsonNode *en = json_object_get_member(c->args, "enable");

    if (en && json_array_get_length(json_node_get_array(en)) > 0) {
        JsonNode *first = json_array_get_element(json_node_get_array(en), 0);
        const char *name = JSON_NODE_HOLDS_VALUE(first) && json_node_get_value_type(first) == G_TYPE_STRING
                           ? json_node_get_string(first) : "?";

        g_set_error(err, QMP_ERROR, QMP_ERROR_GENERIC, "Capability '%s' not available", name);
        return NULL;
    }
    return NULL;
}

static JsonNode *cmd_query_version(QmpCall *c, void *opaque, GError **err)
{
    JsonObject *q = json_object_new();
    JsonObject *r = json_object_new();

    json_object_set_int_member(q, "major", QMP_VERSION_MAJOR);
    json_object_set_int_member(q, "minor", QMP_VERSION_MINOR);
    json_object_set_int_member(q, "micro", QMP_VERSION_MICRO);
    json_object_set_object_member(r, "qemu", q);
    json_object_set_string_member(r, "package", "");
    return obj_node(r);
}

static JsonNode *cmd_query_status(QmpCall *c, void *opaque, GError **err)
{
    Generic *g = opaque;
    const char *st = status_of(g);
    JsonObject *r = json_object_new();

    json_object_set_boolean_member(r, "running", !strcmp(st, "running"));
    json_object_set_boolean_member(r, "singlestep", FALSE);
    json_object_set_string_member(r, "status", st);
    return obj_node(r);
}

static void add_command_name(const char *name, void *opaque)
{
    JsonObject *o = json_object_new();

    json_object_set_string_member(o, "name", name);
    json_array_add_object_element(opaque, o);
}

static JsonNode *cmd_query_commands(QmpCall *c, void *opaque, GError **err)
{
    JsonArray *a = json_array_new();

    qmp_foreach_command(c->server, add_command_name, a);
    return arr_node(a);
}

static void add_chardev(Chardev *chr, void *opaque)
{
    JsonObject *o = json_object_new();

    json_object_set_string_member(o, "label", chardev_id(chr));
    json_object_set_string_member(o, "filename", chardev_filename(chr));
    json_object_set_boolean_member(o, "frontend-open", chardev_connected(chr));
    json_array_add_object_element(opaque, o);
}

static JsonNode *cmd_query_chardev(QmpCall *c, void *opaque, GError **err)
{
    JsonArray *a = json_array_new();

    chardev_foreach(add_chardev, a);
    return arr_node(a);
}

static JsonNode *cmd_query_name(QmpCall *c, void *opaque, GError **err)
{
    Generic *g = opaque;
    JsonObject *r = json_object_new();

    if (g->ops->name) {
        json_object_set_string_member(r, "name", g->ops->name);
    }
    return obj_node(r);
}

static JsonNode *cmd_stop(QmpCall *c, void *opaque, GError **err)
{
    Generic *g = opaque;

    if (g->ops->stop && !g->ops->stop(g->opaque, err)) {
        return NULL;
    }
    qmp_emit_event(c->server, "STOP", NULL);
    return NULL;
}

static JsonNode *cmd_cont(QmpCall *c, void *opaque, GError **err)
{
    Generic *g = opaque;

    if (g->ops->cont && !g->ops->cont(g->opaque, err)) {
        return NULL;
    }
    qmp_emit_event(c->server, "RESUME", NULL);
    return NULL;
}

static void quit_after_reply(void *opaque)
{
    Generic *g = opaque;

    g->ops->quit(g->opaque);
}

static JsonNode *cmd_quit(QmpCall *c, void *opaque, GError **err)
{
    Generic *g = opaque;

    if (g->ops->quit) {
        c->after_reply = quit_after_reply;
        c->after_reply_opaque = g;
    }
    return NULL;
}

static JsonNode *cmd_system_reset(QmpCall *c, void *opaque, GError **err)
{
    Generic *g = opaque;

    if (!g->ops->system_reset) {
        g_set_error(err, QMP_ERROR, QMP_ERROR_GENERIC, "system_reset is not supported by this machine");
        return NULL;
    }
    g->ops->system_reset(g->opaque);
    return NULL;
}

static JsonNode *cmd_system_powerdown(QmpCall *c, void *opaque, GError **err)
{
    Generic *g = opaque;

    if (!g->ops->system_powerdown) {
        g_set_error(err, QMP_ERROR, QMP_ERROR_GENERIC,
                    "system_powerdown: this machine has no power button (no ACPI)");
        return NULL;
    }
    g->ops->system_powerdown(g->opaque);
    return NULL;
}

static JsonNode *cmd_human_monitor_command(QmpCall *c, void *opaque, GError **err)
{
    Generic *g = opaque;
    const char *line = qmp_arg_str(c, "command-line", "");
    char **words = g_strsplit_set(line, " \t", -1);
    GString *out = g_string_new(NULL);
    GPtrArray *argv = g_ptr_array_new();
    JsonNode *r;

    for (char **w = words; *w; w++) {
        if (**w) {
            g_ptr_array_add(argv, *w);
        }
    }
    if (argv->len == 0) {
        /* empty line: empty answer */
    } else if (!strcmp(argv->pdata[0], "info") && argv->len >= 2 && !strcmp(argv->pdata[1], "status")) {
        const char *st = status_of(g);

        if (!strcmp(st, "running")) {
            g_string_append(out, "VM status: running\r\n");
        } else if (!strcmp(st, "paused")) {
            g_string_append(out, "VM status: paused\r\n");
        } else {
            g_string_append_printf(out, "VM status: paused (%s)\r\n", st);
        }
    } else if (!strcmp(argv->pdata[0], "info") && argv->len >= 2 && !strcmp(argv->pdata[1], "mtree") &&
               g->ops->dump_mtree) {
        GString *tree = g_string_new(NULL);

        g->ops->dump_mtree(g->opaque, tree);
        /* HMP output lines end in CRLF */
        for (const char *p = tree->str; *p; p++) {
            if (*p == '\n') {
                g_string_append_c(out, '\r');
            }
            g_string_append_c(out, *p);
        }
        g_string_free(tree, TRUE);
    } else if (!strcmp(argv->pdata[0], "info")) {
        g_string_append_printf(out, "info: unknown or unsupported item '%s' (have: status, mtree)\r\n",
                               argv->len >= 2 ? (char *)argv->pdata[1] : "");
    } else {
        g_string_append_printf(out, "unknown command: '%s'\r\n", (char *)argv->pdata[0]);
    }
    r = str_node(out->str);
    g_string_free(out, TRUE);
    g_ptr_array_free(argv, TRUE);
    g_strfreev(words);
    return r;
}

static JsonNode *cmd_query_cpus_fast(QmpCall *c, void *opaque, GError **err)
{
    Generic *g = opaque;
    JsonArray *a = json_array_new();

    for (int i = 0; i < g->ops->ncpus; i++) {
        JsonObject *o = json_object_new();
        JsonObject *props = json_object_new();
        char *path = g_strdup_printf("/machine/unattached/device[%d]", i);

        json_object_set_int_member(props, "core-id", 0);
        json_object_set_int_member(props, "thread-id", 0);
        json_object_set_int_member(props, "socket-id", i);
        json_object_set_int_member(o, "cpu-index", i);
        json_object_set_string_member(o, "qom-path", path);
        json_object_set_int_member(o, "thread-id", getpid());
        json_object_set_object_member(o, "props", props);
        json_object_set_string_member(o, "target", "i386");   /* libxl starts qemu-system-i386 */
        json_array_add_object_element(a, o);
        g_free(path);
    }
    return arr_node(a);
}

static JsonNode *cmd_query_vnc(QmpCall *c, void *opaque, GError **err)
{
    JsonObject *r = json_object_new();

    json_object_set_boolean_member(r, "enabled", FALSE);
    return obj_node(r);
}

static JsonNode *cmd_query_blockstats(QmpCall *c, void *opaque, GError **err)
{
    return arr_node(json_array_new());
}

static const QmpArg args_capabilities[] = { { "enable", QMP_ARG_ARRAY, true }, { NULL } };
static const QmpArg args_add_fd[] = {
    { "fdset-id", QMP_ARG_INT, true }, { "opaque", QMP_ARG_STR, true }, { NULL },
};
static const QmpArg args_remove_fd[] = {
    { "fdset-id", QMP_ARG_INT, false }, { "fd", QMP_ARG_INT, true }, { NULL },
};
static const QmpArg args_hmp[] = {
    { "command-line", QMP_ARG_STR, false }, { "cpu-index", QMP_ARG_INT, true }, { NULL },
};
static const QmpArg args_blockstats[] = { { "query-nodes", QMP_ARG_BOOL, true }, { NULL } };

void qmp_register_generic(QmpServer *s, const QmpMachineOps *ops, void *opaque)
{
    Generic *g = g_new0(Generic, 1);

    g->ops = ops;
    g->opaque = opaque;
    qmp_server_own(s, g, g_free);
    qmp_register(s, "qmp_capabilities", args_capabilities, cmd_qmp_capabilities, g);
    qmp_register(s, "query-version", NULL, cmd_query_version, g);
    qmp_register(s, "query-status", NULL, cmd_query_status, g);
    qmp_register(s, "query-commands", NULL, cmd_query_commands, g);
    qmp_register(s, "query-chardev", NULL, cmd_query_chardev, g);
    qmp_register(s, "query-name", NULL, cmd_query_name, g);
    qmp_register(s, "stop", NULL, cmd_stop, g);
    qmp_register(s, "cont", NULL, cmd_cont, g);
    qmp_register(s, "quit", NULL, cmd_quit, g);
    qmp_register(s, "system_reset", NULL, cmd_system_reset, g);
    qmp_register(s, "system_powerdown", NULL, cmd_system_powerdown, g);
    qmp_register(s, "add-fd", args_add_fd, qmp_cmd_add_fd, g);
    qmp_register(s, "remove-fd", args_remove_fd, qmp_cmd_remove_fd, g);
    qmp_register(s, "query-fdsets", NULL, qmp_cmd_query_fdsets, g);
    qmp_register(s, "human-monitor-command", args_hmp, cmd_human_monitor_command, g);
    qmp_register(s, "query-cpus-fast", NULL, cmd_query_cpus_fast, g);
    qmp_register(s, "query-vnc", NULL, cmd_query_vnc, g);
    qmp_register(s, "query-blockstats", args_blockstats, cmd_query_blockstats, g);
}
