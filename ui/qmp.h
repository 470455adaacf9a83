/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * QMP, the JSON machine protocol of QEMU's monitor, as libxl speaks it
 * (xen-interface.md 6.4-6.5; QEMU docs/interop/qmp-spec.txt):
 *
 *   server -> {"QMP":{"version":{"qemu":{"major":7,"minor":2,"micro":0},
 *               "package":""},"capabilities":[]}}          (on each connect)
 *   client -> {"execute":"qmp_capabilities"}
 *   client -> {"execute":C[,"arguments":{...}][,"id":ID]}
 *   server -> {"return":R[,"id":ID]} | {"error":{"class":K,"desc":S}[,"id":ID]}
 *   server -> {"event":E,"data":{...},"timestamp":{"seconds":s,"microseconds":u}}
 *
 * Every message we send ends with CRLF (libxl frames on it).  Input is a
 * stream of JSON objects, split by a brace/string-aware scanner so one
 * object may span reads or lines and several may share one read.  A
 * malformed message gets an error reply and the connection goes on.
 *
 * A QmpServer holds the command table and the fd sets (add-fd) and is
 * shared by every monitor; a QmpMonitor serves one chardev (a listening
 * socket serves one client at a time and re-greets each new one).
 * Handlers run on the main loop thread with the device lock held.
 */
#ifndef UI_QMP_H
#define UI_QMP_H

#include <glib.h>
#include <json-glib/json-glib.h>
#include <stdbool.h>
#include <stdint.h>

#include "ui/chardev.h"

#define QMP_VERSION_MAJOR   7
#define QMP_VERSION_MINOR   2
#define QMP_VERSION_MICRO   0

/* Error classes; the GError code of domain QMP_ERROR is the class. */
typedef enum {
    QMP_ERROR_GENERIC,              /* "GenericError" */
    QMP_ERROR_COMMAND_NOT_FOUND,    /* "CommandNotFound" */
    QMP_ERROR_DEVICE_NOT_ACTIVE,    /* "DeviceNotActive" */
    QMP_ERROR_DEVICE_NOT_FOUND,     /* "DeviceNotFound" */
} QmpErrorClass;

#define QMP_ERROR qmp_error_quark()
GQuark qmp_error_quark(void);
const char *qmp_error_class_name(QmpErrorClass cls);

typedef struct QmpServer QmpServer;
typedef struct QmpMonitor QmpMonitor;

/* Argument types a command declares; the dispatcher checks them before calling it. */
typedef enum {
    QMP_ARG_STR,
    QMP_ARG_INT,
    QMP_ARG_BOOL,
    QMP_ARG_OBJECT,
    QMP_ARG_ARRAY,
    QMP_ARG_ANY,
} QmpArgType;

typedef struct QmpArg {
    const char *name;       /* NULL ends the list */
    QmpArgType type;
    bool optional;
} QmpArg;

/* What a handler gets: the (checked) arguments and where the command came from. */
typedef struct QmpCall {
    QmpServer *server;
    QmpMonitor *monitor;
    JsonObject *args;       /* never NULL (empty when none were given) */
    /* Set by a handler that must act after its reply went out (quit). */
    void (*after_reply)(void *opaque);
    void *after_reply_opaque;
} QmpCall;

/*
 * A handler returns the "return" value (a new JsonNode; NULL means {}) or
 * sets err (domain QMP_ERROR, code = class; any other domain is a
 * GenericError) and returns NULL.
 */
typedef JsonNode *(*QmpCommandFn)(QmpCall *call, void *opaque, GError **err);

QmpServer *qmp_server_new(void);
/* Monitors must be freed first. */
void qmp_server_free(QmpServer *s);

/* Register (or replace) a command.  args: NULL or an array ended by { NULL }. */
void qmp_register(QmpServer *s, const char *name, const QmpArg *args, QmpCommandFn fn, void *opaque);
bool qmp_has_command(QmpServer *s, const char *name);

/* Serve QMP on chr (greets at once if a client is connected already). */
QmpMonitor *qmp_monitor_new(QmpServer *s, Chardev *chr);
void qmp_monitor_free(QmpMonitor *mon);
Chardev *qmp_monitor_chardev(QmpMonitor *mon);

/*
 * Handle one complete message (a JSON text) as if it had arrived on mon and
 * return the reply line without its CRLF (tests, the fuzzer).  NULL when
 * the message produces no reply.  Caller frees.
 */
char *qmp_monitor_handle_text(QmpMonitor *mon, const char *text);

/* Send {"event":name,"data":data,...} to every monitor past negotiation.  Takes data (may be NULL). */
void qmp_emit_event(QmpServer *s, const char *name, JsonNode *data);

/* ---- argument helpers for handlers (types were checked by the dispatcher) ---- */
const char *qmp_arg_str(QmpCall *c, const char *name, const char *def);
int64_t qmp_arg_int(QmpCall *c, const char *name, int64_t def);
bool qmp_arg_bool(QmpCall *c, const char *name, bool def);
bool qmp_arg_has(QmpCall *c, const char *name);

/* ---- fd sets (add-fd, remove-fd, query-fdsets) ---- */

/*
 * Open `filename` for a command that writes or reads a file: "/dev/fdset/N"
 * dups an fd of set N whose access mode fits `flags` (O_RDONLY, O_WRONLY or
 * O_RDWR), anything else is open(2)ed.  Returns an fd the caller closes, or
 * -1 with err set.
 */
int qmp_open_file(QmpServer *s, const char *filename, int flags, GError **err);

/* ---- generic commands (ui/qmp-cmds.c) ---- */

/* What the generic commands need from the program that embeds QMP. */
typedef struct QmpMachineOps {
    /* QEMU RunState name: "prelaunch", "running", "paused", "inmigrate", "shutdown", ... */
    const char *(*status)(void *opaque);
    bool (*stop)(void *opaque, GError **err);
    bool (*cont)(void *opaque, GError **err);
    void (*quit)(void *opaque);                 /* after the reply is sent */
    void (*system_reset)(void *opaque);
    void (*system_powerdown)(void *opaque);     /* NULL: not supported */
    /* `info mtree` (optional) */
    void (*dump_mtree)(void *opaque, GString *out);
    const char *name;                           /* -name, or NULL */
    int ncpus;
} QmpMachineOps;

/*
 * Register qmp_capabilities, query-version, query-status, query-commands,
 * query-chardev, query-name, stop, cont, quit, system_reset,
 * system_powerdown, add-fd, remove-fd, query-fdsets,
 * human-monitor-command, query-cpus-fast, query-vnc, query-blockstats.
 * ops is kept by pointer.
 */
void qmp_register_generic(QmpServer *s, const QmpMachineOps *ops, void *opaque);

/* ---- between ui/qmp.c and ui/qmp-cmds.c ---- */
void qmp_foreach_command(QmpServer *s, void (*fn)(const char *name, void *opaque), void *opaque);
/* Free `data` with the server (state of registered commands). */
void qmp_server_own(QmpServer *s, gpointer data, GDestroyNotify destroy);
JsonNode *qmp_cmd_add_fd(QmpCall *c, void *opaque, GError **err);
JsonNode *qmp_cmd_remove_fd(QmpCall *c, void *opaque, GError **err);
JsonNode *qmp_cmd_query_fdsets(QmpCall *c, void *opaque, GError **err);

#endif
