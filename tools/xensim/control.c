/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The socket the replacement Xen libraries talk to ($XENSIM_SOCKET), and
 * the "hypercalls" they make: one SimConn per library handle.  Protocol in
 * proto.h.  Every message is validated here before any state is touched;
 * a malformed one gets -EINVAL (or the connection is dropped when it cannot
 * even be framed), never trusted.
 */
#include "tools/xensim/xensim.h"

#include <errno.h>
#include <fcntl.h>
#include <glib-unix.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include <xen/memory.h>

#define SOCKBUF (256 * 1024)

static guint listen_source;

struct SimConn {
    int fd;
    guint source;
    uint32_t kind;
    uint32_t pid;
    bool hello;
    int restricted;         /* domid the handle is restricted to, or -1 */
    int event_fd;           /* our end of the evtchn event socket, or -1 */
    char desc[48];
    uint8_t *buf;           /* one incoming datagram */
};

static const char *const kind_names[XSIM_KIND_MAX] = {
    [XSIM_KIND_XC] = "xenctrl",
    [XSIM_KIND_DEVICEMODEL] = "xendevicemodel",
    [XSIM_KIND_FOREIGNMEMORY] = "xenforeignmemory",
    [XSIM_KIND_EVTCHN] = "xenevtchn",
    [XSIM_KIND_GNTTAB] = "xengnttab",
    [XSIM_KIND_GNTSHR] = "xengntshr",
    [XSIM_KIND_CALL] = "xencall",
};

const char *conn_describe(SimConn *c)
{
    return c->desc;
}

uint32_t conn_kind(SimConn *c)
{
    return c->kind;
}

static void conn_free(SimConn *c)
{
    evtchn_conn_closed(c);
    ioreq_conn_closed(c);
    if (c->source) {
        g_source_remove(c->source);
    }
    close(c->fd);
    if (c->event_fd >= 0) {
        close(c->event_fd);
    }
    g_ptr_array_remove(sim->conns, c);
    g_free(c->buf);
    g_free(c);
}

void conn_send_event(SimConn *c, uint32_t port)
{
    if (c->event_fd < 0) {
        return;
    }
    if (send(c->event_fd, &port, sizeof(port), MSG_DONTWAIT | MSG_NOSIGNAL) != sizeof(port)) {
        sim_log("cannot deliver event on port %u to %s: %s", port, c->desc, g_strerror(errno));
    }
}

static void reply(SimConn *c, int rc, const void *payload, size_t len, int fd_to_pass)
{
    struct xsim_rsp_hdr rsp = { .rc = rc, .len = (uint32_t)len };
    struct iovec iov[2] = {
        { .iov_base = &rsp, .iov_len = sizeof(rsp) },
        { .iov_base = (void *)payload, .iov_len = len },
    };
    union {
        struct cmsghdr align;
        char buf[CMSG_SPACE(sizeof(int))];
    } control;
    struct msghdr msg = { .msg_iov = iov, .msg_iovlen = len ? 2 : 1 };
    ssize_t r;

    if (fd_to_pass >= 0) {
        struct cmsghdr *cmsg;

        memset(&control, 0, sizeof(control));
        msg.msg_control = control.buf;
        msg.msg_controllen = sizeof(control.buf);
        cmsg = CMSG_FIRSTHDR(&msg);
        cmsg->cmsg_level = SOL_SOCKET;
        cmsg->cmsg_type = SCM_RIGHTS;
        cmsg->cmsg_len = CMSG_LEN(sizeof(int));
        memcpy(CMSG_DATA(cmsg), &fd_to_pass, sizeof(int));
    }
    do {
        r = sendmsg(c->fd, &msg, MSG_NOSIGNAL);
    } while (r < 0 && errno == EINTR);
    if (r < 0) {
        sim_log("cannot answer %s: %s", c->desc, g_strerror(errno));
    }
}

/* The domain an op may act on: ours, and only what a restricted handle allows. */
static int check_domain(SimConn *c, uint32_t domid)
{
    if (c->restricted >= 0 && domid != (uint32_t)c->restricted) {
        return -EPERM;
    }
    if (domid != sim->domid || sim->destroyed) {
        return -ESRCH;
    }
    return 0;
}

static int do_hello(SimConn *c, const struct xsim_req_hdr *h, const uint8_t *arg, int *fd_out)
{
    struct xsim_hello hello;

    if (h->len != sizeof(hello)) {
        return -EINVAL;
    }
    memcpy(&hello, arg, sizeof(hello));
    if (hello.version != XENSIM_PROTO_VERSION) {
        sim_log("library speaks protocol %u, xensim %u: mismatched build?", hello.version,
                XENSIM_PROTO_VERSION);
        return -EPROTONOSUPPORT;
    }
    if (hello.kind == 0 || hello.kind >= XSIM_KIND_MAX || c->hello) {
        return -EINVAL;
    }
    c->hello = true;
    c->kind = hello.kind;
    c->pid = hello.pid;
    snprintf(c->desc, sizeof(c->desc), "%s[pid %u]", kind_names[c->kind], c->pid);
    if (c->kind == XSIM_KIND_EVTCHN) {
        int sv[2];
        int size = SOCKBUF;

        if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) {
            return -errno;
        }
        setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &size, sizeof(size));
        setsockopt(sv[1], SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
        c->event_fd = sv[0];
        *fd_out = sv[1];    /* closed after sending */
    } else if (c->kind == XSIM_KIND_FOREIGNMEMORY || c->kind == XSIM_KIND_GNTTAB) {
        *fd_out = dup(sim->pool_fd);
        if (*fd_out < 0) {
            return -errno;
        }
    }
    sim_trace("%s connected", c->desc);
    return 0;
}

static int do_getinfo(SimConn *c, const struct xsim_getinfo_args *a, GByteArray *out)
{
    struct xsim_dominfo d;
    int n = 0;

    if (a->max == 0) {
        return 0;
    }
    if (a->first_domid == 0 && (c->restricted < 0 || c->restricted == 0)) {
        memset(&d, 0, sizeof(d));
        d.domid = 0;
        d.flags = XSIM_DOMINFO_RUNNING;
        d.max_vcpu_id = 0;
        d.online_vcpus = 1;
        d.tot_pages = d.max_pages = 262144;
        g_byte_array_append(out, (const guint8 *)&d, sizeof(d));
        n++;
    }
    if (n < (int)a->max && a->first_domid <= sim->domid && !sim->destroyed &&
        (c->restricted < 0 || (unsigned)c->restricted == sim->domid)) {
        memset(&d, 0, sizeof(d));
        d.domid = sim->domid;
        d.flags = XSIM_DOMINFO_HVM | XSIM_DOMINFO_HAP;
        d.flags |= sim->pause_count ? XSIM_DOMINFO_PAUSED : XSIM_DOMINFO_BLOCKED;
        if (sim->shut_down) {
            d.flags |= XSIM_DOMINFO_SHUTDOWN;
            d.flags |= sim->shutdown_reason == 3 ? XSIM_DOMINFO_CRASHED : 0;
        }
        d.flags |= sim->dying ? XSIM_DOMINFO_DYING : 0;
        d.shutdown_reason = sim->shutdown_reason;
        d.max_vcpu_id = sim->vcpus - 1;
        d.online_vcpus = sim->vcpus;
        d.tot_pages = sim->tot_pages;
        d.max_pages = sim->max_pages;
        d.cpu_time_ns = (uint64_t)sim->clock_ns;
        {
            const char *u = sim->uuid;
            unsigned i = 0;

            /* The handle is the UUID's 16 bytes. */
            while (*u && i < 16) {
                if (g_ascii_isxdigit(u[0]) && g_ascii_isxdigit(u[1])) {
                    d.handle[i++] = (uint8_t)(g_ascii_xdigit_value(u[0]) << 4 |
                                              g_ascii_xdigit_value(u[1]));
                    u += 2;
                } else {
                    u++;
                }
            }
        }
        g_byte_array_append(out, (const guint8 *)&d, sizeof(d));
        n++;
    }
    return n;
}

static int do_physmap(SimConn *c, uint32_t op, const struct xsim_req_hdr *h,
                      const uint8_t *arg)
{
    struct xsim_physmap_args a;
    uint32_t i;
    int err = 0;

    memcpy(&a, arg, sizeof(a));
    if (a.nr > XSIM_MAP_BATCH || h->len != sizeof(a) + (size_t)a.nr * 8) {
        return -EINVAL;
    }
    for (i = 0; i < a.nr; i++) {
        uint64_t gfn;

        memcpy(&gfn, arg + sizeof(a) + (size_t)i * 8, 8);
        err = op == XSIM_OP_POPULATE_PHYSMAP ? mem_populate(gfn, a.order)
                                             : mem_decrease(gfn, a.order);
        if (err) {
            break;
        }
    }
    if (a.nr) {
        uint64_t first;

        memcpy(&first, arg + sizeof(a), 8);
        sim_record("%s %u extents order %u from 0x%" PRIx64 "%s%s",
                   op == XSIM_OP_POPULATE_PHYSMAP ? "populate_physmap" : "decrease_reservation",
                   i, a.order, first, err ? ": " : "", err ? g_strerror(err) : "");
    }
    /* Like the hypercall: the number of extents done; an error only if none. */
    return (i == 0 && err) ? -err : (int)i;
}

static int do_add_to_physmap(const struct xsim_add_to_physmap_args *a)
{
    int err;

    switch (a->space) {
    case XENMAPSPACE_gmfn:
        err = mem_relocate(a->idx, a->gpfn, 1);
        break;
    case XENMAPSPACE_gmfn_range:
        err = mem_relocate(a->idx, a->gpfn, a->size);
        break;
    default:
        return -EOPNOTSUPP;
    }
    if (!err) {
        sim_record("add_to_physmap space %u 0x%" PRIx64 " -> 0x%" PRIx64 " %u", a->space, a->idx,
                   a->gpfn, a->size);
    }
    return -err;
}

static int do_fmem_map(SimConn *c, const struct xsim_req_hdr *h, const uint8_t *arg,
                       GByteArray *out)
{
    struct xsim_map_args a;
    uint32_t i;

    memcpy(&a, arg, sizeof(a));
    if (a.nr > XSIM_MAP_BATCH || h->len != sizeof(a) + (size_t)a.nr * 8) {
        return -EINVAL;
    }
    for (i = 0; i < a.nr; i++) {
        uint64_t gfn;
        int64_t page;

        memcpy(&gfn, arg + sizeof(a) + (size_t)i * 8, 8);
        page = gfn < (1ULL << 40) ? p2m_lookup(gfn, NULL) : -1;
        /* xen: p2m_add_foreign() refuses frames that are not RAM with EINVAL. */
        if (page < 0) {
            page = -EINVAL;
        }
        g_byte_array_append(out, (const guint8 *)&page, sizeof(page));
    }
    return 0;
}

static int do_map_resource(const struct xsim_resource_args *a, GByteArray *out)
{
    int64_t pages[16];
    uint64_t i;
    int rc;

    if (sim->no_resource_map || a->type != XENMEM_resource_ioreq_server) {
        return -EOPNOTSUPP;
    }
    if (a->nr == 0 || a->nr > G_N_ELEMENTS(pages)) {
        return -EINVAL;
    }
    rc = ioreq_map_resource(a->id, a->frame, a->nr, pages);
    if (rc < 0) {
        return rc;
    }
    for (i = 0; i < a->nr; i++) {
        g_byte_array_append(out, (const guint8 *)&pages[i], sizeof(pages[i]));
    }
    sim_record("map_resource ioreq_server %u frames %" PRIu64 "+%" PRIu64, a->id, a->frame,
               a->nr);
    return 0;
}

static int do_dm_op(SimConn *c, const struct xsim_req_hdr *h, const uint8_t *arg,
                    GByteArray *out)
{
    struct xsim_dm_op_args a;
    struct xen_dm_op op;
    GByteArray *buf_out = g_byte_array_new();
    size_t in_len = h->len - sizeof(a);
    int rc;

    memcpy(&a, arg, sizeof(a));
    if ((a.nr_bufs != 1 && a.nr_bufs != 2) || (in_len && in_len != a.buf_size) ||
        a.buf_size > XSIM_MAX_MSG / 2) {
        g_byte_array_free(buf_out, TRUE);
        return -EINVAL;
    }
    memcpy(&op, a.op, sizeof(op));
    rc = dm_op_handle(c, &op, a.nr_bufs, in_len ? arg + sizeof(a) : NULL, a.buf_size, buf_out);
    memcpy(a.op, &op, sizeof(op));
    g_byte_array_append(out, (const guint8 *)&a, sizeof(a));
    if (rc == 0 && buf_out->len) {
        g_byte_array_append(out, buf_out->data, MIN(buf_out->len, a.buf_size));
    }
    g_byte_array_free(buf_out, TRUE);
    return rc;
}

static int do_gnttab_map(SimConn *c, const struct xsim_req_hdr *h, const uint8_t *arg,
                         GByteArray *out)
{
    struct xsim_gnt_map_args a;
    uint32_t i;

    memcpy(&a, arg, sizeof(a));
    if (a.count == 0 || a.count > XSIM_MAP_BATCH ||
        h->len != sizeof(a) + (size_t)a.count * sizeof(struct xsim_gnt_ref)) {
        return -EINVAL;
    }
    for (i = 0; i < a.count; i++) {
        struct xsim_gnt_ref r;
        Grant *g;
        int64_t page;
        int rc;

        memcpy(&r, arg + sizeof(a) + (size_t)i * sizeof(r), sizeof(r));
        rc = check_domain(c, r.domid);
        if (rc < 0) {
            return rc;
        }
        g = g_hash_table_lookup(sim->grants, GUINT_TO_POINTER(r.ref));
        if (!g) {
            return -EINVAL;
        }
        if (g->readonly && (a.prot & PROT_WRITE)) {
            return -EACCES;
        }
        page = p2m_lookup(g->gfn, NULL);
        if (page < 0) {
            return -EINVAL;
        }
        g_byte_array_append(out, (const guint8 *)&page, sizeof(page));
    }
    return 0;
}

/* Fixed argument size per op (0: none; variable parts are checked by the op). */
static size_t arg_size(uint32_t op)
{
    switch (op) {
    case XSIM_OP_EVTCHN_BIND_INTERDOMAIN:
    case XSIM_OP_EVTCHN_BIND_UNBOUND:
    case XSIM_OP_EVTCHN_BIND_VIRQ:
    case XSIM_OP_EVTCHN_UNBIND:
    case XSIM_OP_EVTCHN_NOTIFY:
    case XSIM_OP_EVTCHN_UNMASK:
    case XSIM_OP_EVTCHN_ALLOC_UNBOUND:
        return sizeof(struct xsim_evtchn_args);
    case XSIM_OP_FMEM_MAP:
        return sizeof(struct xsim_map_args);
    case XSIM_OP_FMEM_MAP_RESOURCE:
    case XSIM_OP_FMEM_RESOURCE_SIZE:
        return sizeof(struct xsim_resource_args);
    case XSIM_OP_DM_OP:
        return sizeof(struct xsim_dm_op_args);
    case XSIM_OP_DOMAIN_GETINFO:
        return sizeof(struct xsim_getinfo_args);
    case XSIM_OP_HVM_PARAM_GET:
    case XSIM_OP_HVM_PARAM_SET:
        return sizeof(struct xsim_param_args);
    case XSIM_OP_DOMAIN_SHUTDOWN:
    case XSIM_OP_MAX_VCPUS:
    case XSIM_OP_GNTTAB_SET_MAX:
        return sizeof(struct xsim_u32_arg);
    case XSIM_OP_SET_MAX_MEM:
        return sizeof(struct xsim_u64_arg);
    case XSIM_OP_POPULATE_PHYSMAP:
    case XSIM_OP_DECREASE_RESERVATION:
        return sizeof(struct xsim_physmap_args);
    case XSIM_OP_ADD_TO_PHYSMAP:
    case XSIM_OP_REMOVE_FROM_PHYSMAP:
        return sizeof(struct xsim_add_to_physmap_args);
    case XSIM_OP_PIN_CACHEATTR:
        return sizeof(struct xsim_cacheattr_args);
    case XSIM_OP_GNTTAB_MAP:
        return sizeof(struct xsim_gnt_map_args);
    }
    return 0;
}

/* Ops whose exact length is the fixed argument (no variable part). */
static bool fixed_length(uint32_t op)
{
    return op != XSIM_OP_FMEM_MAP && op != XSIM_OP_DM_OP && op != XSIM_OP_POPULATE_PHYSMAP &&
           op != XSIM_OP_DECREASE_RESERVATION && op != XSIM_OP_GNTTAB_MAP;
}

static int dispatch(SimConn *c, const struct xsim_req_hdr *h, const uint8_t *arg,
                    GByteArray *out, int *fd_out)
{
    const struct xsim_evtchn_args *ev = (const void *)arg;
    uint32_t op = h->op;
    int rc;

    if (op == XSIM_OP_HELLO) {
        return do_hello(c, h, arg, fd_out);
    }
    if (!c->hello) {
        return -EPROTO;
    }
    if (op == XSIM_OP_RESTRICT) {
        if (c->restricted >= 0 && (uint32_t)c->restricted != h->domid) {
            return -EINVAL;
        }
        c->restricted = (int)h->domid;
        sim_record("restrict %s to domain %u", kind_names[c->kind], h->domid);
        return 0;
    }
    if (op <= XSIM_OP_RESTRICT || op >= XSIM_OP_MAX) {
        return -ENOSYS;
    }
    if (h->len < arg_size(op) || (fixed_length(op) && h->len != arg_size(op))) {
        return -EINVAL;
    }
    switch (op) {
    case XSIM_OP_EVTCHN_BIND_INTERDOMAIN:
    case XSIM_OP_EVTCHN_BIND_UNBOUND:
    case XSIM_OP_EVTCHN_BIND_VIRQ:
    case XSIM_OP_EVTCHN_UNBIND:
    case XSIM_OP_EVTCHN_NOTIFY:
    case XSIM_OP_EVTCHN_UNMASK:
        if (c->kind != XSIM_KIND_EVTCHN &&
            !(c->kind == XSIM_KIND_GNTTAB && op == XSIM_OP_EVTCHN_NOTIFY)) {
            return -EBADF;
        }
        break;
    case XSIM_OP_DOMAIN_GETINFO:
        break;
    default:
        rc = check_domain(c, h->domid);
        if (rc < 0) {
            return rc;
        }
    }

    switch (op) {
    case XSIM_OP_EVTCHN_BIND_INTERDOMAIN:
        if (c->restricted >= 0 && ev->remote_domid != (uint32_t)c->restricted) {
            return -EPERM;
        }
        return evtchn_bind_interdomain(c, ev->remote_domid, ev->port);
    case XSIM_OP_EVTCHN_BIND_UNBOUND:
        if (c->restricted >= 0 && ev->remote_domid != (uint32_t)c->restricted) {
            return -EPERM;
        }
        return evtchn_bind_unbound(c, ev->remote_domid);
    case XSIM_OP_EVTCHN_BIND_VIRQ:
        if (c->restricted >= 0) {
            return -EPERM;
        }
        return evtchn_bind_virq(c, ev->port);
    case XSIM_OP_EVTCHN_UNBIND:
        return evtchn_unbind(c, ev->port);
    case XSIM_OP_EVTCHN_NOTIFY:
        return evtchn_notify(c, ev->port);
    case XSIM_OP_EVTCHN_UNMASK:
        return evtchn_unmask(c, ev->port);
    case XSIM_OP_EVTCHN_ALLOC_UNBOUND: {
        int port = evtchn_alloc_guest_unbound(ev->remote_domid);

        return port;
    }
    case XSIM_OP_FMEM_MAP:
        if (c->kind != XSIM_KIND_FOREIGNMEMORY) {
            return -EBADF;
        }
        return do_fmem_map(c, h, arg, out);
    case XSIM_OP_FMEM_MAP_RESOURCE:
        if (c->kind != XSIM_KIND_FOREIGNMEMORY) {
            return -EBADF;
        }
        return do_map_resource((const struct xsim_resource_args *)arg, out);
    case XSIM_OP_FMEM_RESOURCE_SIZE: {
        const struct xsim_resource_args *a = (const void *)arg;

        if (sim->no_resource_map || a->type != XENMEM_resource_ioreq_server) {
            return -EOPNOTSUPP;
        }
        return ioreq_resource_frames(a->id);
    }
    case XSIM_OP_DM_OP:
        return do_dm_op(c, h, arg, out);
    case XSIM_OP_DOMAIN_GETINFO:
        return do_getinfo(c, (const struct xsim_getinfo_args *)arg, out);
    case XSIM_OP_HVM_PARAM_GET: {
        const struct xsim_param_args *a = (const void *)arg;

        if (a->param >= HVM_NR_PARAMS) {
            return -EINVAL;
        }
        g_byte_array_append(out, (const guint8 *)&sim->hvm_params[a->param], 8);
        return 0;
    }
    case XSIM_OP_HVM_PARAM_SET: {
        const struct xsim_param_args *a = (const void *)arg;

        if (a->param >= HVM_NR_PARAMS) {
            return -EINVAL;
        }
        sim->hvm_params[a->param] = a->value;
        platform_param_changed(a->param);
        sim_record("hvm_param %u 0x%" PRIx64, a->param, a->value);
        return 0;
    }
    case XSIM_OP_DOMAIN_PAUSE:
        sim->pause_count++;
        sim_record("pause %u", sim->pause_count);
        return 0;
    case XSIM_OP_DOMAIN_UNPAUSE:
        if (sim->pause_count == 0) {
            return -EINVAL;
        }
        sim->pause_count--;
        sim_record("unpause %u", sim->pause_count);
        return 0;
    case XSIM_OP_DOMAIN_SHUTDOWN:
        sim_domain_shutdown(((const struct xsim_u32_arg *)arg)->value);
        return 0;
    case XSIM_OP_DOMAIN_DESTROY:
        sim_record("destroy");
        sim_domain_destroy("destroyed through libxenctrl");
        return 0;
    case XSIM_OP_POPULATE_PHYSMAP:
    case XSIM_OP_DECREASE_RESERVATION:
        return do_physmap(c, op, h, arg);
    case XSIM_OP_ADD_TO_PHYSMAP:
        return do_add_to_physmap((const struct xsim_add_to_physmap_args *)arg);
    case XSIM_OP_REMOVE_FROM_PHYSMAP: {
        const struct xsim_add_to_physmap_args *a = (const void *)arg;

        rc = -mem_decrease(a->gpfn, 0);
        if (rc == 0) {
            sim_record("remove_from_physmap 0x%" PRIx64, a->gpfn);
        }
        return rc;
    }
    case XSIM_OP_SET_MAX_MEM: {
        uint64_t kb = ((const struct xsim_u64_arg *)arg)->value;

        sim->max_pages = kb / (XSIM_PAGE_SIZE / 1024);
        sim_record("setmaxmem %" PRIu64 "kB", kb);
        return 0;
    }
    case XSIM_OP_MAX_VCPUS:
        return ((const struct xsim_u32_arg *)arg)->value == sim->vcpus ? 0 : -EINVAL;
    case XSIM_OP_PIN_CACHEATTR: {
        const struct xsim_cacheattr_args *a = (const void *)arg;

        if (a->end < a->start) {
            return -EINVAL;
        }
        sim_record("pin_memory_cacheattr 0x%" PRIx64 "-0x%" PRIx64 " %u", a->start, a->end,
                   a->type);
        return 0;
    }
    case XSIM_OP_GNTTAB_MAP:
        if (c->kind != XSIM_KIND_GNTTAB) {
            return -EBADF;
        }
        return do_gnttab_map(c, h, arg, out);
    case XSIM_OP_GNTTAB_SET_MAX:
        return 0;
    }
    return -ENOSYS;
}

/* Handle every datagram that is waiting; false when the connection is gone. */
static bool conn_read(SimConn *c)
{
    for (;;) {
        ssize_t n = recv(c->fd, c->buf, sizeof(struct xsim_req_hdr) + XSIM_MAX_MSG,
                         MSG_DONTWAIT | MSG_TRUNC);
        struct xsim_req_hdr h;
        GByteArray *out;
        int fd_out = -1;
        int rc;

        if (n < 0) {
            return errno == EAGAIN || errno == EINTR;
        }
        if (n == 0) {
            return false;
        }
        if ((size_t)n < sizeof(h) || (size_t)n > sizeof(h) + XSIM_MAX_MSG) {
            sim_log("%s sent a malformed message (%zd bytes): dropping the connection",
                    c->desc, n);
            return false;
        }
        memcpy(&h, c->buf, sizeof(h));
        if (h.len != (size_t)n - sizeof(h)) {
            sim_log("%s sent a message whose length field is wrong: dropping the connection",
                    c->desc);
            return false;
        }
        out = g_byte_array_new();
        rc = dispatch(c, &h, c->buf + sizeof(h), out, &fd_out);
        if (rc < 0 && rc != -EAGAIN) {
            sim_trace("%s op %u domid %u: %s", c->desc, h.op, h.domid, g_strerror(-rc));
        }
        if (!(h.flags & XSIM_F_NOREPLY)) {
            reply(c, rc, out->data, rc < 0 ? 0 : out->len, fd_out);
        }
        if (fd_out >= 0) {
            close(fd_out);
        }
        g_byte_array_free(out, TRUE);
    }
}

bool conn_poll(SimConn *c)
{
    return conn_read(c);
}

static gboolean conn_cb(gint fd, GIOCondition cond, gpointer opaque)
{
    SimConn *c = opaque;

    if (!conn_read(c) || (cond & (G_IO_HUP | G_IO_ERR))) {
        sim_trace("%s disconnected", c->desc);
        c->source = 0;
        conn_free(c);
        return G_SOURCE_REMOVE;
    }
    return G_SOURCE_CONTINUE;
}

static gboolean accept_cb(gint fd, GIOCondition cond, gpointer opaque)
{
    int cfd = accept4(fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
    int size = SOCKBUF;
    SimConn *c;

    if (cfd < 0) {
        if (errno != EAGAIN && errno != EINTR) {
            sim_log("accept on %s: %s", sim->sim_socket_path, g_strerror(errno));
        }
        return G_SOURCE_CONTINUE;
    }
    setsockopt(cfd, SOL_SOCKET, SO_SNDBUF, &size, sizeof(size));
    setsockopt(cfd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
    c = g_new0(SimConn, 1);
    c->fd = cfd;
    c->restricted = -1;
    c->event_fd = -1;
    c->buf = g_malloc(sizeof(struct xsim_req_hdr) + XSIM_MAX_MSG);
    snprintf(c->desc, sizeof(c->desc), "library connection %d", cfd);
    c->source = g_unix_fd_add(cfd, G_IO_IN | G_IO_HUP | G_IO_ERR, conn_cb, c);
    g_ptr_array_add(sim->conns, c);
    return G_SOURCE_CONTINUE;
}

bool control_init(GError **errp)
{
    struct sockaddr_un addr = { .sun_family = AF_UNIX };
    int fd;

    if (strlen(sim->sim_socket_path) >= sizeof(addr.sun_path)) {
        g_set_error(errp, XSIM_ERROR, 0,
                    "socket path too long: %s", sim->sim_socket_path);
        return false;
    }
    strcpy(addr.sun_path, sim->sim_socket_path);
    fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0 || bind(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0 || listen(fd, 64) < 0) {
        g_set_error(errp, XSIM_ERROR, errno,
                    "cannot listen on %s: %s", sim->sim_socket_path, g_strerror(errno));
        if (fd >= 0) {
            close(fd);
        }
        return false;
    }
    sim->sim_listen_fd = fd;
    sim->conns = g_ptr_array_new();
    listen_source = g_unix_fd_add(fd, G_IO_IN, accept_cb, NULL);
    return true;
}

void control_shutdown(void)
{
    while (sim->conns && sim->conns->len) {
        conn_free(g_ptr_array_index(sim->conns, 0));
    }
    if (listen_source) {
        g_source_remove(listen_source);
        listen_source = 0;
    }
    if (sim->sim_listen_fd >= 0) {
        close(sim->sim_listen_fd);
        sim->sim_listen_fd = -1;
        unlink(sim->sim_socket_path);
    }
}
