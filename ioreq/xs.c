/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * xenstore helpers (see xs.h).  The watch is served from the main loop by
 * polling the connection's fd; xs_check_watch never blocks.
 */
#include "ioreq/xs.h"

#include <errno.h>
#include <glib-unix.h>
#include <string.h>

#include <xenstore.h>

#include "hw/core/device.h"
#include "hw/core/log.h"

#define RELEASE_TOKEN   "ioemu-release"

struct XenStoreConn {
    struct xs_handle *h;
    uint32_t domid;
    guint source;
    bool watching;
    void (*release_fn)(void *opaque);
    void *release_opaque;
};

XenStoreConn *xen_xs_open(uint32_t domid, GError **err)
{
    XenStoreConn *xs = g_new0(XenStoreConn, 1);

    xs->domid = domid;
    xs->h = xs_open(0);
    if (!xs->h) {
        g_set_error(err, IOEMU_ERROR, errno, "cannot connect to xenstore: %s", g_strerror(errno));
        g_free(xs);
        return NULL;
    }
    return xs;
}

void xen_xs_close(XenStoreConn *xs)
{
    if (!xs) {
        return;
    }
    if (xs->source) {
        g_source_remove(xs->source);
    }
    if (xs->watching) {
        xs_unwatch(xs->h, "@releaseDomain", RELEASE_TOKEN);
    }
    xs_close(xs->h);
    g_free(xs);
}

static bool write_key(XenStoreConn *xs, const char *path, const char *value, GError **err)
{
    if (!xs_write(xs->h, XBT_NULL, path, value, strlen(value))) {
        g_set_error(err, IOEMU_ERROR, errno, "xenstore write %s = %s: %s", path, value, g_strerror(errno));
        return false;
    }
    return true;
}

bool xen_xs_write_dm_state(XenStoreConn *xs, const char *state, GError **err)
{
    char *path = g_strdup_printf("device-model/%u/state", xs->domid);
    bool ok = write_key(xs, path, state, err);

    log_cat(LOG_XEN, "xenstore: %s = %s%s\n", path, state, ok ? "" : " (failed)");
    g_free(path);
    return ok;
}

bool xen_xs_make_backends_dir(XenStoreConn *xs, GError **err)
{
    char *path = g_strdup_printf("device-model/%u/backends", xs->domid);
    bool ok = xs_mkdir(xs->h, XBT_NULL, path);

    if (!ok) {
        g_set_error(err, IOEMU_ERROR, errno, "xenstore mkdir %s: %s", path, g_strerror(errno));
    }
    g_free(path);
    return ok;
}

char *xen_xs_read(XenStoreConn *xs, const char *path)
{
    unsigned int len = 0;
    char *v = xs_read(xs->h, XBT_NULL, path, &len);
    char *copy;

    if (!v) {
        return NULL;
    }
    copy = g_strndup(v, len);
    free(v);
    return copy;
}

static gboolean xs_ready(gint fd, GIOCondition cond, gpointer opaque)
{
    XenStoreConn *xs = opaque;
    bool released = false;
    char **vec;

    if (cond & (G_IO_HUP | G_IO_ERR)) {
        log_printf("xenstore: connection lost\n");
        xs->source = 0;
        if (xs->release_fn) {
            xs->release_fn(xs->release_opaque);
        }
        return G_SOURCE_REMOVE;
    }
    while ((vec = xs_check_watch(xs->h))) {
        if (!strcmp(vec[XS_WATCH_TOKEN], RELEASE_TOKEN)) {
            released = true;
        }
        free(vec);
    }
    if (released && xs->release_fn) {
        xs->release_fn(xs->release_opaque);
    }
    return G_SOURCE_CONTINUE;
}

bool xen_xs_watch_release(XenStoreConn *xs, void (*fn)(void *opaque), void *opaque, GError **err)
{
    xs->release_fn = fn;
    xs->release_opaque = opaque;
    if (!xs_watch(xs->h, "@releaseDomain", RELEASE_TOKEN)) {
        g_set_error(err, IOEMU_ERROR, errno, "xenstore watch @releaseDomain: %s", g_strerror(errno));
        return false;
    }
    xs->watching = true;
    xs->source = g_unix_fd_add(xs_fileno(xs->h), G_IO_IN | G_IO_HUP | G_IO_ERR, xs_ready, xs);
    return true;
}
