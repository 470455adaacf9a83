/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The daemon's state, shared by main.c (start-up, run states, machine
 * requests) and qmp-xen.c (the Xen-specific QMP commands).
 */
#ifndef XEN_DM_XEN_DM_H
#define XEN_DM_XEN_DM_H

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

#include "hw/core/machine.h"
#include "ioreq/mapcache.h"
#include "ioreq/server.h"
#include "ioreq/xs.h"
#include "ui/qmp.h"
#include "xen-dm/cmdline.h"

/* QEMU's run states as query-status names them. */
typedef enum {
    RUN_STATE_PRELAUNCH,
    RUN_STATE_INMIGRATE,
    RUN_STATE_RUNNING,
    RUN_STATE_PAUSED,
    RUN_STATE_SHUTDOWN,
} RunState;

/* Start-up steps; teardown undoes them in reverse from the one reached. */
typedef enum {
    DM_STEP_NONE,
    DM_STEP_MAINLOOP,       /* main loop, device lock, signal sources */
    DM_STEP_CHARDEVS,       /* -chardev, -serial, -qmp backends */
    DM_STEP_IOREQ,          /* the ioreq server (ioreq/server.c steps) */
    DM_STEP_MAPCACHE,       /* guest RAM view */
    DM_STEP_BOARD,          /* xenfv devices */
    DM_STEP_REGISTERED,     /* ranges and PCI functions registered, handlers set */
    DM_STEP_QMP,            /* monitors on their chardevs */
    DM_STEP_XENSTORE,       /* connection, backends dir, @releaseDomain watch */
    DM_STEP_RUNNING,        /* past start-up: main loop */
} DmStep;

typedef struct XenDm {
    XenDmOptions opts;
    DmStep step;
    RunState state;

    GPtrArray *chardevs;            /* Chardev *, everything we created */
    GHashTable *named_chardevs;     /* id -> Chardev * (-chardev) */
    GHashTable *used_chardevs;      /* Chardev * given to a frontend */
    Chardev *serial[XENDM_MAX_SERIAL];
    GPtrArray *qmp_chrs;            /* Chardev * that serve QMP */

    struct BlockBackend *ide_drives[XENDM_IDE_SLOTS];   /* opened for the board, closed after it */
    IoreqServer *ioreq;
    MapCache *mapcache;
    Machine *m;
    QmpServer *qmp;
    GPtrArray *monitors;            /* QmpMonitor * */
    XenStoreConn *xs;

    bool restricted;
    bool xs_state_failed;           /* logged once */
    gint pending_reset, pending_poweroff;
    int64_t rtc_offset;             /* sum of TIMEOFFSET deltas (seconds) */
    int exit_status;
    guint signal_sources[3];
} XenDm;

const char *xendm_run_state_name(RunState s);
/* Transitions with their side effects (ioreq server state, virtual clock, xenstore). */
bool xendm_vm_start(XenDm *dm, GError **err);
void xendm_vm_stop(XenDm *dm, RunState to);

/* qmp-xen.c */
void xendm_qmp_register(XenDm *dm);
/* Load a device state stream (-incoming, xen-load-devices-state) and re-sync Xen's side. */
bool xendm_load_state(XenDm *dm, const uint8_t *buf, size_t len, GError **err);
/* Read all of fd (to EOF) into a new byte array. */
GByteArray *xendm_read_fd(int fd, GError **err);

#endif
