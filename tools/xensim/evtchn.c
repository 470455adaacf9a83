/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Event channels between the guest domain (whose ports Xen itself uses for
 * ioreq servers, or a simulated PV frontend uses) and dom0 (the device
 * model's xenevtchn handles).  Semantics of xen:xen/common/event_channel.c
 * and the Linux evtchn driver:
 *  - binding to a remote unbound port sets the new local port pending,
 *    because notifications sent to the unbound port may have been lost;
 *  - a port delivered to a handle is masked until unmasked; notifications in
 *    between only set it pending and it is delivered again on unmask;
 *  - closing one end of an interdomain channel makes the other end unbound
 *    (towards the closer's domain) again.
 */
#include "tools/xensim/xensim.h"

#include <errno.h>
#include <xen/event_channel.h>

enum port_state { PS_FREE, PS_UNBOUND, PS_INTERDOMAIN, PS_VIRQ };

struct GuestPort {
    uint8_t state;
    bool xen_owned;             /* consumer is Xen (ioreq server ports) */
    bool pending;
    unsigned remote_dom;
    uint32_t remote_port;
    uint64_t notify_count;      /* notifications received from dom0 */
};

struct Dom0Port {
    uint8_t state;
    bool masked;
    bool pending;
    SimConn *conn;
    unsigned remote_dom;
    uint32_t remote_port;
    uint32_t virq;
};

#define NR_VIRQS 24

static struct GuestPort *gp(uint32_t port)
{
    return &sim->guest_ports[port];
}

static struct Dom0Port *dp(uint32_t port)
{
    return &sim->dom0_ports[port];
}

void evtchn_init(void)
{
    sim->guest_ports = g_new0(struct GuestPort, XSIM_NR_EVTCHN_PORTS);
    sim->dom0_ports = g_new0(struct Dom0Port, XSIM_NR_EVTCHN_PORTS);
}

static int alloc_guest_port(void)
{
    uint32_t p;

    for (p = 1; p < XSIM_NR_EVTCHN_PORTS; p++) {
        if (gp(p)->state == PS_FREE) {
            *gp(p) = (struct GuestPort){ .state = PS_UNBOUND };
            return (int)p;
        }
    }
    return -ENOSPC;
}

static int alloc_dom0_port(SimConn *c)
{
    uint32_t p;

    for (p = 1; p < XSIM_NR_EVTCHN_PORTS; p++) {
        if (dp(p)->state == PS_FREE) {
            *dp(p) = (struct Dom0Port){ .state = PS_UNBOUND, .conn = c };
            return (int)p;
        }
    }
    return -ENOSPC;
}

static bool domain_exists(unsigned dom)
{
    return dom == 0 || (dom == sim->domid && !sim->destroyed);
}

static void deliver(uint32_t port)
{
    struct Dom0Port *d = dp(port);

    if (d->state == PS_FREE || !d->conn) {
        return;
    }
    if (d->masked) {
        d->pending = true;
        return;
    }
    d->masked = true;
    d->pending = false;
    conn_send_event(d->conn, port);
}

int evtchn_alloc_guest_unbound(unsigned remote_dom)
{
    int p = alloc_guest_port();

    if (p > 0) {
        gp(p)->remote_dom = remote_dom;
        gp(p)->xen_owned = true;
    }
    return p;
}

void evtchn_free_guest(uint32_t port)
{
    struct GuestPort *g;

    if (port == 0 || port >= XSIM_NR_EVTCHN_PORTS) {
        return;
    }
    g = gp(port);
    if (g->state == PS_INTERDOMAIN && g->remote_dom == 0) {
        struct Dom0Port *d = dp(g->remote_port);

        d->state = PS_UNBOUND;
        d->remote_dom = sim->domid;
        d->remote_port = 0;
    }
    *g = (struct GuestPort){ .state = PS_FREE };
}

void evtchn_guest_notify(uint32_t port)
{
    struct GuestPort *g;

    if (port == 0 || port >= XSIM_NR_EVTCHN_PORTS) {
        return;
    }
    g = gp(port);
    if (g->state == PS_INTERDOMAIN && g->remote_dom == 0) {
        deliver(g->remote_port);
    }
}

SimConn *evtchn_guest_peer(uint32_t port)
{
    struct GuestPort *g;

    if (port == 0 || port >= XSIM_NR_EVTCHN_PORTS) {
        return NULL;
    }
    g = gp(port);
    if (g->state != PS_INTERDOMAIN || g->remote_dom != 0) {
        return NULL;
    }
    return dp(g->remote_port)->conn;
}

uint64_t evtchn_guest_notify_count(uint32_t port)
{
    return port && port < XSIM_NR_EVTCHN_PORTS ? gp(port)->notify_count : 0;
}

bool evtchn_guest_take_pending(uint32_t port)
{
    bool was;

    if (port == 0 || port >= XSIM_NR_EVTCHN_PORTS) {
        return false;
    }
    was = gp(port)->pending;
    gp(port)->pending = false;
    return was;
}

int evtchn_bind_interdomain(SimConn *c, unsigned remote_dom, uint32_t remote_port)
{
    int local;

    if (!domain_exists(remote_dom)) {
        return -ESRCH;
    }
    if (remote_port == 0 || remote_port >= XSIM_NR_EVTCHN_PORTS) {
        return -EINVAL;
    }
    if (remote_dom == sim->domid) {
        struct GuestPort *g = gp(remote_port);

        if (g->state != PS_UNBOUND || g->remote_dom != 0) {
            return -EINVAL;
        }
        local = alloc_dom0_port(c);
        if (local < 0) {
            return local;
        }
        g->state = PS_INTERDOMAIN;
        g->remote_port = (uint32_t)local;
    } else {
        struct Dom0Port *r = dp(remote_port);

        if (r->state != PS_UNBOUND || r->remote_dom != 0) {
            return -EINVAL;
        }
        local = alloc_dom0_port(c);
        if (local < 0) {
            return local;
        }
        r->state = PS_INTERDOMAIN;
        r->remote_port = (uint32_t)local;
    }
    dp(local)->state = PS_INTERDOMAIN;
    dp(local)->remote_dom = remote_dom;
    dp(local)->remote_port = remote_port;
    /* xen: evtchn_bind_interdomain() conservatively sets the new port pending. */
    deliver((uint32_t)local);
    return local;
}

int evtchn_bind_unbound(SimConn *c, unsigned remote_dom)
{
    int local;

    if (!domain_exists(remote_dom)) {
        return -ESRCH;
    }
    local = alloc_dom0_port(c);
    if (local > 0) {
        dp(local)->remote_dom = remote_dom;
    }
    return local;
}

int evtchn_bind_virq(SimConn *c, uint32_t virq)
{
    int local;
    uint32_t p;

    if (virq >= NR_VIRQS) {
        return -EINVAL;
    }
    for (p = 1; p < XSIM_NR_EVTCHN_PORTS; p++) {
        if (dp(p)->state == PS_VIRQ && dp(p)->virq == virq) {
            return -EEXIST;
        }
    }
    local = alloc_dom0_port(c);
    if (local > 0) {
        dp(local)->state = PS_VIRQ;
        dp(local)->virq = virq;
    }
    return local;
}

static void close_dom0_port(uint32_t port)
{
    struct Dom0Port *d = dp(port);

    if (d->state == PS_INTERDOMAIN) {
        if (d->remote_dom == 0) {
            struct Dom0Port *r = dp(d->remote_port);

            if (r->state == PS_INTERDOMAIN && r->remote_port == port) {
                r->state = PS_UNBOUND;
                r->remote_dom = 0;
                r->remote_port = 0;
            }
        } else if (d->remote_dom == sim->domid) {
            struct GuestPort *g = gp(d->remote_port);

            if (g->state == PS_INTERDOMAIN && g->remote_port == port) {
                g->state = PS_UNBOUND;
                g->remote_dom = 0;
                g->remote_port = 0;
            }
        }
    }
    *d = (struct Dom0Port){ .state = PS_FREE };
}

static bool owned(SimConn *c, uint32_t port)
{
    return port > 0 && port < XSIM_NR_EVTCHN_PORTS && dp(port)->state != PS_FREE &&
           dp(port)->conn == c;
}

int evtchn_unbind(SimConn *c, uint32_t port)
{
    if (!owned(c, port)) {
        return -ENOTCONN;
    }
    close_dom0_port(port);
    return 0;
}

int evtchn_notify(SimConn *c, uint32_t port)
{
    struct Dom0Port *d;

    /* gntdev's unmap notification may name any dom0 port. */
    if (port == 0 || port >= XSIM_NR_EVTCHN_PORTS || dp(port)->state == PS_FREE) {
        return -EINVAL;
    }
    if (dp(port)->conn != c && conn_kind(c) != XSIM_KIND_GNTTAB) {
        return -EINVAL;
    }
    d = dp(port);
    if (d->state != PS_INTERDOMAIN) {
        return 0;   /* sending on an unbound port is silently dropped */
    }
    if (d->remote_dom == 0) {
        deliver(d->remote_port);
    } else if (d->remote_dom == sim->domid) {
        struct GuestPort *g = gp(d->remote_port);

        g->pending = true;
        g->notify_count++;
    }
    return 0;
}

int evtchn_unmask(SimConn *c, uint32_t port)
{
    struct Dom0Port *d;

    if (!owned(c, port)) {
        return -EINVAL;
    }
    d = dp(port);
    d->masked = false;
    if (d->pending) {
        deliver(port);
    }
    return 0;
}

void evtchn_conn_closed(SimConn *c)
{
    uint32_t p;

    for (p = 1; p < XSIM_NR_EVTCHN_PORTS; p++) {
        if (dp(p)->state != PS_FREE && dp(p)->conn == c) {
            close_dom0_port(p);
        }
    }
}

void evtchn_send_virq(uint32_t virq)
{
    uint32_t p;

    for (p = 1; p < XSIM_NR_EVTCHN_PORTS; p++) {
        if (dp(p)->state == PS_VIRQ && dp(p)->virq == virq) {
            deliver(p);
        }
    }
}

int evtchn_guest_bind_interdomain(uint32_t dom0_port)
{
    struct Dom0Port *d;
    int local;

    if (dom0_port == 0 || dom0_port >= XSIM_NR_EVTCHN_PORTS) {
        return -EINVAL;
    }
    d = dp(dom0_port);
    if (d->state != PS_UNBOUND || d->remote_dom != sim->domid) {
        return -EINVAL;
    }
    local = alloc_guest_port();
    if (local < 0) {
        return local;
    }
    gp(local)->state = PS_INTERDOMAIN;
    gp(local)->remote_dom = 0;
    gp(local)->remote_port = dom0_port;
    gp(local)->pending = true;
    d->state = PS_INTERDOMAIN;
    d->remote_port = (uint32_t)local;
    return local;
}
