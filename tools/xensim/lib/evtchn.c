/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libxenevtchn.so.1 for xensim.  A handle is a connection to xensim plus an
 * event socket on which xensim delivers each pending local port as one
 * uint32_t datagram, the way /dev/xen/evtchn delivers them to read().
 * Semantics follow the Linux evtchn driver: a delivered port is masked
 * until xenevtchn_unmask(); events arriving meanwhile stay pending and are
 * delivered again on unmask.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <xenevtchn.h>

#include "tools/xensim/lib/client.h"
#include "tools/xensim/lib/toolcore.h"

struct xenevtchn_handle {
    XsimClient client;
    int event_fd;
    Xentoolcore__Active_Handle tc_ah;
    pthread_mutex_t ports_lock;
    /* Local ports bound through this handle (notify/unmask are one-way). */
    uint8_t bound[XSIM_NR_EVTCHN_PORTS / 8];
};

static int port_is_bound(xenevtchn_handle *xce, evtchn_port_t port)
{
    int r;

    if (port >= XSIM_NR_EVTCHN_PORTS) {
        return 0;
    }
    pthread_mutex_lock(&xce->ports_lock);
    r = (xce->bound[port / 8] >> (port % 8)) & 1;
    pthread_mutex_unlock(&xce->ports_lock);
    return r;
}

static void set_bound(xenevtchn_handle *xce, evtchn_port_t port, int on)
{
    if (port >= XSIM_NR_EVTCHN_PORTS) {
        return;
    }
    pthread_mutex_lock(&xce->ports_lock);
    if (on) {
        xce->bound[port / 8] |= 1u << (port % 8);
    } else {
        xce->bound[port / 8] &= ~(1u << (port % 8));
    }
    pthread_mutex_unlock(&xce->ports_lock);
}

static int evtchn_restrict_cb(Xentoolcore__Active_Handle *ah, domid_t domid)
{
    xenevtchn_handle *xce = (void *)((char *)ah - offsetof(xenevtchn_handle, tc_ah));

    return xenevtchn_restrict(xce, domid);
}

xenevtchn_handle *xenevtchn_open(struct xentoollog_logger *logger, unsigned int flags)
{
    xenevtchn_handle *xce = calloc(1, sizeof(*xce));
    int cloexec = !(flags & XENEVTCHN_NO_CLOEXEC);
    int fds[1];
    int saved;

    if (!xce) {
        return NULL;
    }
    xce->client.logger = logger;
    xce->client.lib = "xenevtchn";
    pthread_mutex_init(&xce->ports_lock, NULL);
    if (xsim_client_open(&xce->client, XSIM_KIND_EVTCHN, flags, cloexec, fds, 1) < 0) {
        goto fail;
    }
    if (fds[0] < 0) {
        xsim_log(&xce->client, XTL_ERROR, -1, "xensim sent no event socket");
        xsim_client_close(&xce->client);
        errno = EPROTO;
        goto fail;
    }
    xce->event_fd = fds[0];
    xce->tc_ah.restrict_callback = evtchn_restrict_cb;
    xentoolcore__register_active_handle(&xce->tc_ah);
    return xce;

fail:
    saved = errno;
    pthread_mutex_destroy(&xce->ports_lock);
    free(xce);
    errno = saved;
    return NULL;
}

xenevtchn_handle *xenevtchn_fdopen(struct xentoollog_logger *logger, int fd, unsigned open_flags)
{
    /* There is no /dev/xen/evtchn descriptor under xensim to adopt. */
    xsim_unimplemented("xenevtchn", __func__);
    errno = EOPNOTSUPP;
    return NULL;
}

int xenevtchn_close(xenevtchn_handle *xce)
{
    if (!xce) {
        return 0;
    }
    xentoolcore__deregister_active_handle(&xce->tc_ah);
    /* Closing the connection unbinds every port of the handle in xensim. */
    xsim_client_close(&xce->client);
    close(xce->event_fd);
    pthread_mutex_destroy(&xce->ports_lock);
    free(xce);
    return 0;
}

int xenevtchn_fd(xenevtchn_handle *xce)
{
    return xce->event_fd;
}

int xenevtchn_notify(xenevtchn_handle *xce, evtchn_port_t port)
{
    struct xsim_evtchn_args a = { .port = port };

    if (!port_is_bound(xce, port)) {
        errno = EINVAL;
        return -1;
    }
    return xsim_send_noreply(&xce->client, XSIM_OP_EVTCHN_NOTIFY, 0, &a, sizeof(a));
}

static xenevtchn_port_or_error_t bind_common(xenevtchn_handle *xce, uint32_t op,
                                             uint32_t domid, uint32_t port)
{
    struct xsim_evtchn_args a = { .remote_domid = domid, .port = port };
    int local = xsim_call(&xce->client, op, domid, &a, sizeof(a), NULL, 0, NULL, 0, NULL);

    if (local >= 0) {
        set_bound(xce, local, 1);
    }
    return local;
}

xenevtchn_port_or_error_t xenevtchn_bind_unbound_port(xenevtchn_handle *xce, uint32_t domid)
{
    return bind_common(xce, XSIM_OP_EVTCHN_BIND_UNBOUND, domid, 0);
}

xenevtchn_port_or_error_t xenevtchn_bind_interdomain(xenevtchn_handle *xce, uint32_t domid,
                                                     evtchn_port_t remote_port)
{
    return bind_common(xce, XSIM_OP_EVTCHN_BIND_INTERDOMAIN, domid, remote_port);
}

xenevtchn_port_or_error_t xenevtchn_bind_virq(xenevtchn_handle *xce, unsigned int virq)
{
    return bind_common(xce, XSIM_OP_EVTCHN_BIND_VIRQ, 0, virq);
}

int xenevtchn_unbind(xenevtchn_handle *xce, evtchn_port_t port)
{
    struct xsim_evtchn_args a = { .port = port };
    int rc;

    if (!port_is_bound(xce, port)) {
        errno = EINVAL;
        return -1;
    }
    rc = xsim_call(&xce->client, XSIM_OP_EVTCHN_UNBIND, 0, &a, sizeof(a), NULL, 0, NULL, 0, NULL);
    if (rc >= 0) {
        set_bound(xce, port, 0);
    }
    return rc < 0 ? -1 : 0;
}

xenevtchn_port_or_error_t xenevtchn_pending(xenevtchn_handle *xce)
{
    uint32_t port;
    ssize_t r;

    do {
        r = read(xce->event_fd, &port, sizeof(port));
    } while (r < 0 && errno == EINTR);
    if (r < 0) {
        return -1;
    }
    if (r != sizeof(port)) {
        errno = r == 0 ? EIO : EPROTO;   /* xensim went away / garbage */
        return -1;
    }
    return (xenevtchn_port_or_error_t)port;
}

int xenevtchn_unmask(xenevtchn_handle *xce, evtchn_port_t port)
{
    struct xsim_evtchn_args a = { .port = port };

    if (!port_is_bound(xce, port)) {
        errno = EINVAL;
        return -1;
    }
    return xsim_send_noreply(&xce->client, XSIM_OP_EVTCHN_UNMASK, 0, &a, sizeof(a));
}

int xenevtchn_restrict(xenevtchn_handle *xce, domid_t domid)
{
    int rc = xsim_call(&xce->client, XSIM_OP_RESTRICT, domid, NULL, 0, NULL, 0, NULL, 0, NULL);

    return rc < 0 ? -1 : 0;
}
