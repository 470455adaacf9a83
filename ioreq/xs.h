/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The xenstore a device model touches (xen-interface.md 6.3): its state
 * key /local/domain/0/device-model/<domid>/state (written as the relative
 * path device-model/<domid>/state, since the DM runs in dom0), the
 * backends directory next to it, and a watch on @releaseDomain to notice
 * that the guest is gone.  Through the real libxenstore.
 */
#ifndef IOREQ_XS_H
#define IOREQ_XS_H

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

typedef struct XenStoreConn XenStoreConn;

XenStoreConn *xen_xs_open(uint32_t domid, GError **err);
void xen_xs_close(XenStoreConn *xs);

/* device-model/<domid>/state = state ("running", ...). */
bool xen_xs_write_dm_state(XenStoreConn *xs, const char *state, GError **err);
/* device-model/<domid>/backends (empty: no PV backends served yet). */
bool xen_xs_make_backends_dir(XenStoreConn *xs, GError **err);
/* Read a key (relative keys are under /local/domain/0); NULL if absent. */
char *xen_xs_read(XenStoreConn *xs, const char *path);

/* Call fn on the main loop whenever a domain is released (destroyed). */
bool xen_xs_watch_release(XenStoreConn *xs, void (*fn)(void *opaque), void *opaque, GError **err);

#endif
