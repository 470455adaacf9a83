/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Ioreq server life cycle and event handling (xen-interface.md 1.3, 2, 3.1;
 * the order of QEMU's xen_register_ioreq and demu's step enum).
 */
#include "ioreq/server.h"

#include <errno.h>
#include <glib-unix.h>
#include <inttypes.h>
#include <sched.h>
#include <string.h>
#include <sys/mman.h>

#include <xen/hvm/dm_op.h>
#include <xen/hvm/hvm_op.h>
#include <xen/memory.h>

#include "hw/core/clock.h"
#include "hw/core/device.h"
#include "hw/core/log.h"

typedef struct Range {
    uint64_t start, end;    /* inclusive */
} Range;

typedef struct SpaceWatch {
    MemoryListener listener;    /* first: the core hands us this pointer */
    IoreqServer *server;
    AddressSpace *as;
    bool mmio;
    GArray *registered;         /* Range, sorted, disjoint, adjacent ones merged: what Xen has */
} SpaceWatch;

struct IoreqServer {
    IoreqServerConfig cfg;
    IoreqStep step;

    xc_interface *xc;
    xenforeignmemory_handle *fmem;
    xendevicemodel_handle *dmod;
    xenevtchn_handle *xce;

    ioservid_t id;
    xenforeignmemory_resource_handle *resource;   /* NULL in gfn fallback */
    void *resource_addr;
    shared_iopage_t *iopage;
    buffered_iopage_t *bufpage;
    bool gfn_fallback;

    evtchn_port_t bufport_remote;
    evtchn_port_t *vcpu_port;       /* local ports, per vCPU */
    unsigned ports_bound;           /* vCPU ports bound so far */
    evtchn_port_t bufport;          /* local */
    bool bufport_bound;
    bool enabled;

    guint evtchn_source;
    Timer *buffered_timer;          /* polling while the buffered port stays masked */

    IoreqHandlers handlers;
    IoreqSlotHooks hooks;
    bool have_handlers;

    SpaceWatch watch[2];            /* 0: io, 1: mem */
    const MemoryRegion *ram;

    IoreqStats stats;
    int64_t last_answer_ns;         /* when the last synchronous answer went out */
    int64_t poll_ns;                /* current adaptive polling window */
};

static const char *const step_names[] = {
    [IOREQ_STEP_NONE] = "none",
    [IOREQ_STEP_LIBS_OPEN] = "open the Xen libraries",
    [IOREQ_STEP_SERVER_CREATED] = "create the ioreq server",
    [IOREQ_STEP_PAGES_MAPPED] = "map the ioreq pages",
    [IOREQ_STEP_BUFPORT_KNOWN] = "get the buffered event channel",
    [IOREQ_STEP_ENABLED] = "enable the ioreq server",
    [IOREQ_STEP_PORTS_BOUND] = "bind the event channels",
    [IOREQ_STEP_SERVING] = "serve the event channels",
};

const char *ioreq_step_name(IoreqStep step)
{
    return step < G_N_ELEMENTS(step_names) ? step_names[step] : "?";
}

IoreqStep ioreq_server_step(const IoreqServer *s)
{
    return s->step;
}

static void set_errno_error(GError **err, IoreqServer *s, IoreqStep step, const char *what)
{
    int e = errno;

    g_set_error(err, IOEMU_ERROR, e, "domain %u: cannot %s: %s: %s", s->cfg.domid, ioreq_step_name(step),
                what, e ? g_strerror(e) : "failed");
}

/* ---- serving ---------------------------------------------------------------- */

unsigned ioreq_server_drain_buffered(IoreqServer *s)
{
    unsigned n;

    if (!s->bufpage || !s->have_handlers) {
        return 0;
    }
    n = ioreq_bufring_drain(s->bufpage, &s->handlers, 0);
    s->stats.buffered += n;
    return n;
}

static void buffered_timer_cb(void *opaque)
{
    IoreqServer *s = opaque;

    if (ioreq_server_drain_buffered(s)) {
        timer_mod(s->buffered_timer, clock_get_ns(CLOCK_HOST) + IOREQ_BUFFERED_POLL_MS * 1000000LL);
        return;
    }
    /* Quiet for a whole period: take notifications again. */
    if (xenevtchn_unmask(s->xce, s->bufport) < 0) {
        log_printf("ioreq: unmask of buffered port %u failed: %s\n", s->bufport, g_strerror(errno));
    }
}

static int vcpu_of_port(IoreqServer *s, evtchn_port_t port)
{
    for (unsigned i = 0; i < s->ports_bound; i++) {
        if (s->vcpu_port[i] == port) {
            return (int)i;
        }
    }
    return -1;
}

static void after_request(void *opaque, const ioreq_t *req, IoreqResult r)
{
    IoreqServer *s = opaque;

    if (r != IOREQ_RESULT_OK) {
        s->stats.malformed++;
    }
    if (s->hooks.after) {
        s->hooks.after(s->hooks.opaque, req, r);
    }
}

/* Answer vCPU's slot if it holds a request; true if it did (and was notified). */
static bool answer_vcpu(IoreqServer *s, unsigned vcpu)
{
    IoreqSlotHooks hooks = { .after = after_request, .opaque = s };
    evtchn_port_t port = s->vcpu_port[vcpu];

    /* Buffered writes were issued before this request: handle them first. */
    ioreq_server_drain_buffered(s);
    if (!s->have_handlers) {
        return false;
    }
    if (!ioreq_slot_service(&s->iopage->vcpu_ioreq[vcpu], vcpu, &s->handlers, &hooks)) {
        return false;
    }
    s->stats.sync++;
    if (xenevtchn_notify(s->xce, port) < 0) {
        log_printf("ioreq: notify of vCPU %u port %u failed: %s\n", vcpu, port, g_strerror(errno));
    }
    return true;
}

/* Handle one pending port.  Returns true if it was a vCPU's request that we answered. */
static bool handle_event(IoreqServer *s)
{
    xenevtchn_port_or_error_t port = xenevtchn_pending(s->xce);
    int vcpu;

    if (port < 0) {
        if (errno != EAGAIN && errno != EINTR) {
            log_printf("ioreq: reading the event channel device failed: %s\n", g_strerror(errno));
        }
        return false;
    }
    if (s->bufport_bound && (evtchn_port_t)port == s->bufport) {
        /*
         * Drain now, then leave the port masked and poll every 100 ms while
         * entries keep coming, as QEMU does: a busy ring costs no events.
         */
        ioreq_server_drain_buffered(s);
        if (!timer_pending(s->buffered_timer)) {
            timer_mod(s->buffered_timer, clock_get_ns(CLOCK_HOST) + IOREQ_BUFFERED_POLL_MS * 1000000LL);
        }
        return false;
    }
    vcpu = vcpu_of_port(s, (evtchn_port_t)port);
    if (vcpu < 0) {
        log_printf("ioreq: event on port %d that belongs to no vCPU; ignored\n", (int)port);
        xenevtchn_unmask(s->xce, (evtchn_port_t)port);
        return false;
    }
    xenevtchn_unmask(s->xce, (evtchn_port_t)port);
    if (!answer_vcpu(s, (unsigned)vcpu)) {
        if (s->have_handlers) {
            s->stats.spurious++;
        }
        return false;
    }
    return true;
}

/*
 * Adaptive polling (as QEMU's aio poll and KVM's halt polling): a vCPU
 * doing port IO in a loop sends its next request a few microseconds after
 * our answer; waiting for it in poll(2) costs two scheduler switches, which
 * dominate a round trip.  So after an answer we keep watching for up to
 * poll_ns.  The window grows while requests do come back within
 * poll_max_ns of an answer and shrinks to nothing when they do not, so an
 * idle or slow guest costs no CPU.
 */
static void adapt_poll_window(IoreqServer *s, int64_t now)
{
    int64_t gap = now - s->last_answer_ns;

    if (!s->cfg.poll_max_ns) {
        return;
    }
    if (s->last_answer_ns && gap <= s->cfg.poll_max_ns) {
        s->poll_ns = MIN(s->cfg.poll_max_ns, MAX(s->poll_ns * 2, IOREQ_POLL_START_NS));
    } else if (s->poll_ns) {
        s->poll_ns /= 2;
        if (s->poll_ns < IOREQ_POLL_START_NS) {
            s->poll_ns = 0;
        }
    }
}

/*
 * The polling itself watches the slots' state bytes in the shared ioreq
 * page (the page is mapped; Xen writes READY there before it sends the
 * event), so finding a request costs a memory load instead of a poll(2),
 * read(2) and unmask per request.  Event semantics stay intact: a port
 * whose event was delivered is masked until we read that event from the
 * descriptor and unmask it (handle_event), and while it sits unread the
 * descriptor stays readable, so the main loop calls us again as soon as we
 * return; the hypervisor meanwhile only marks the port pending, which it
 * re-delivers on unmask.  Xen's own notifications are thus coalesced, not
 * lost, and every answer is still notified.
 */
static unsigned poll_slots(IoreqServer *s)
{
    unsigned burst = 0, looks = 0;
    int64_t now = g_get_monotonic_time() * 1000;

    while (burst < IOREQ_POLL_MAX_BURST && now < s->last_answer_ns + s->poll_ns) {
        bool found = false;

        for (unsigned i = 0; i < s->ports_bound; i++) {
            const volatile ioreq_t *slot = &s->iopage->vcpu_ioreq[i];

            if (slot->state == STATE_IOREQ_READY && answer_vcpu(s, i)) {
                found = true;
                burst++;
                s->stats.polled++;
            }
        }
        /* Buffered writes found meanwhile are activity too (and keep the ring from filling). */
        if (!(++looks & 15) && ioreq_server_drain_buffered(s)) {
            found = true;
            burst++;
        }
        if (found) {
            now = g_get_monotonic_time() * 1000;
            s->last_answer_ns = now;
        } else if (!(looks & 31)) {
            now = g_get_monotonic_time() * 1000;
        } else if (now - s->last_answer_ns >= IOREQ_POLL_YIELD_AFTER_NS) {
            /* The vCPU may be waiting for our CPU: let it have it between looks. */
            sched_yield();
        }
    }
    return burst;
}

static gboolean evtchn_ready(gint fd, GIOCondition cond, gpointer opaque)
{
    IoreqServer *s = opaque;
    int64_t now = g_get_monotonic_time() * 1000;

    adapt_poll_window(s, now);
    if (handle_event(s)) {
        s->last_answer_ns = g_get_monotonic_time() * 1000;
    }
    if (s->poll_ns && s->have_handlers) {
        poll_slots(s);
    }
    return G_SOURCE_CONTINUE;
}

void ioreq_server_set_handlers(IoreqServer *s, const IoreqHandlers *h, const IoreqSlotHooks *hooks)
{
    s->handlers = *h;
    if (hooks) {
        s->hooks = *hooks;
    } else {
        memset(&s->hooks, 0, sizeof(s->hooks));
    }
    s->have_handlers = true;
}

/* ---- steps -------------------------------------------------------------------- */

static void undo_open_libs(IoreqServer *s);
static bool step_open_libs_inner(IoreqServer *s, GError **err);

static bool step_open_libs(IoreqServer *s, GError **err)
{
    if (!step_open_libs_inner(s, err)) {
        undo_open_libs(s);
        return false;
    }
    return true;
}

static bool step_open_libs_inner(IoreqServer *s, GError **err)
{
    s->xc = xc_interface_open(NULL, NULL, 0);
    if (!s->xc) {
        set_errno_error(err, s, IOREQ_STEP_LIBS_OPEN, "xc_interface_open");
        return false;
    }
    s->fmem = xenforeignmemory_open(NULL, 0);
    if (!s->fmem) {
        set_errno_error(err, s, IOREQ_STEP_LIBS_OPEN, "xenforeignmemory_open");
        return false;
    }
    s->dmod = xendevicemodel_open(NULL, 0);
    if (!s->dmod) {
        set_errno_error(err, s, IOREQ_STEP_LIBS_OPEN, "xendevicemodel_open");
        return false;
    }
    s->xce = xenevtchn_open(NULL, 0);
    if (!s->xce) {
        set_errno_error(err, s, IOREQ_STEP_LIBS_OPEN, "xenevtchn_open");
        return false;
    }
    return true;
}

static void undo_open_libs(IoreqServer *s)
{
    if (s->xce) {
        xenevtchn_close(s->xce);
        s->xce = NULL;
    }
    if (s->dmod) {
        xendevicemodel_close(s->dmod);
        s->dmod = NULL;
    }
    if (s->fmem) {
        xenforeignmemory_close(s->fmem);
        s->fmem = NULL;
    }
    if (s->xc) {
        xc_interface_close(s->xc);
        s->xc = NULL;
    }
}

static bool step_create_server(IoreqServer *s, GError **err)
{
    if (xendevicemodel_create_ioreq_server(s->dmod, s->cfg.domid, HVM_IOREQSRV_BUFIOREQ_ATOMIC, &s->id) < 0) {
        set_errno_error(err, s, IOREQ_STEP_SERVER_CREATED, "create_ioreq_server");
        return false;
    }
    log_cat(LOG_XEN, "ioreq: domain %u: server %u created\n", s->cfg.domid, s->id);
    return true;
}

static void undo_create_server(IoreqServer *s)
{
    if (xendevicemodel_destroy_ioreq_server(s->dmod, s->cfg.domid, s->id) < 0) {
        log_printf("ioreq: domain %u: destroy_ioreq_server %u: %s\n", s->cfg.domid, s->id, g_strerror(errno));
    }
}

static bool step_map_pages(IoreqServer *s, GError **err)
{
    xen_pfn_t ioreq_gfn = 0, bufioreq_gfn = 0;
    void *addr = NULL;

    s->resource = xenforeignmemory_map_resource(s->fmem, s->cfg.domid, XENMEM_resource_ioreq_server, s->id,
                                                XENMEM_resource_ioreq_server_frame_bufioreq, 2, &addr,
                                                PROT_READ | PROT_WRITE, 0);
    if (s->resource) {
        s->resource_addr = addr;
        s->bufpage = addr;
        s->iopage = (shared_iopage_t *)((uint8_t *)addr + XC_PAGE_SIZE);
        return true;
    }
    if (errno != EOPNOTSUPP) {
        set_errno_error(err, s, IOREQ_STEP_PAGES_MAPPED, "map_resource");
        return false;
    }
    /* Older Xen or no resource mapping: the pages live at guest frames (gfn mode). */
    log_cat(LOG_XEN, "ioreq: resource mapping not supported; mapping the ioreq gfns\n");
    if (xendevicemodel_get_ioreq_server_info(s->dmod, s->cfg.domid, s->id, &ioreq_gfn, &bufioreq_gfn, NULL) < 0) {
        set_errno_error(err, s, IOREQ_STEP_PAGES_MAPPED, "get_ioreq_server_info (gfns)");
        return false;
    }
    s->gfn_fallback = true;
    s->iopage = xenforeignmemory_map(s->fmem, s->cfg.domid, PROT_READ | PROT_WRITE, 1, &ioreq_gfn, NULL);
    if (!s->iopage) {
        set_errno_error(err, s, IOREQ_STEP_PAGES_MAPPED, "map of the ioreq gfn");
        return false;
    }
    s->bufpage = xenforeignmemory_map(s->fmem, s->cfg.domid, PROT_READ | PROT_WRITE, 1, &bufioreq_gfn, NULL);
    if (!s->bufpage) {
        set_errno_error(err, s, IOREQ_STEP_PAGES_MAPPED, "map of the buffered ioreq gfn");
        xenforeignmemory_unmap(s->fmem, s->iopage, 1);
        s->iopage = NULL;
        return false;
    }
    return true;
}

static void undo_map_pages(IoreqServer *s)
{
    if (s->resource) {
        xenforeignmemory_unmap_resource(s->fmem, s->resource);
        s->resource = NULL;
    } else {
        if (s->bufpage) {
            xenforeignmemory_unmap(s->fmem, s->bufpage, 1);
        }
        if (s->iopage) {
            xenforeignmemory_unmap(s->fmem, s->iopage, 1);
        }
    }
    s->iopage = NULL;
    s->bufpage = NULL;
}

static bool step_get_bufport(IoreqServer *s, GError **err)
{
    evtchn_port_t port;

    if (xendevicemodel_get_ioreq_server_info(s->dmod, s->cfg.domid, s->id, NULL, NULL, &port) < 0) {
        set_errno_error(err, s, IOREQ_STEP_BUFPORT_KNOWN, "get_ioreq_server_info");
        return false;
    }
    s->bufport_remote = port;
    return true;
}

static bool step_enable(IoreqServer *s, GError **err)
{
    if (xendevicemodel_set_ioreq_server_state(s->dmod, s->cfg.domid, s->id, 1) < 0) {
        set_errno_error(err, s, IOREQ_STEP_ENABLED, "set_ioreq_server_state");
        return false;
    }
    s->enabled = true;
    return true;
}

static void undo_enable(IoreqServer *s)
{
    if (s->enabled && xendevicemodel_set_ioreq_server_state(s->dmod, s->cfg.domid, s->id, 0) < 0) {
        log_printf("ioreq: domain %u: disabling server %u: %s\n", s->cfg.domid, s->id, g_strerror(errno));
    }
    s->enabled = false;
}

static void undo_bind_ports(IoreqServer *s);
static bool step_bind_ports_inner(IoreqServer *s, GError **err);

static bool step_bind_ports(IoreqServer *s, GError **err)
{
    if (!step_bind_ports_inner(s, err)) {
        undo_bind_ports(s);
        return false;
    }
    return true;
}

static bool step_bind_ports_inner(IoreqServer *s, GError **err)
{
    xenevtchn_port_or_error_t rc;

    s->vcpu_port = g_new0(evtchn_port_t, s->cfg.max_vcpus);
    for (unsigned i = 0; i < s->cfg.max_vcpus; i++) {
        evtchn_port_t remote = s->iopage->vcpu_ioreq[i].vp_eport;

        rc = xenevtchn_bind_interdomain(s->xce, s->cfg.domid, remote);
        if (rc < 0) {
            char *what = g_strdup_printf("bind vCPU %u port %u", i, remote);

            set_errno_error(err, s, IOREQ_STEP_PORTS_BOUND, what);
            g_free(what);
            return false;
        }
        s->vcpu_port[i] = (evtchn_port_t)rc;
        s->ports_bound = i + 1;
    }
    rc = xenevtchn_bind_interdomain(s->xce, s->cfg.domid, s->bufport_remote);
    if (rc < 0) {
        set_errno_error(err, s, IOREQ_STEP_PORTS_BOUND, "bind the buffered port");
        return false;
    }
    s->bufport = (evtchn_port_t)rc;
    s->bufport_bound = true;
    return true;
}

static void undo_bind_ports(IoreqServer *s)
{
    if (s->bufport_bound) {
        xenevtchn_unbind(s->xce, s->bufport);
        s->bufport_bound = false;
    }
    while (s->ports_bound > 0) {
        s->ports_bound--;
        xenevtchn_unbind(s->xce, s->vcpu_port[s->ports_bound]);
    }
    g_free(s->vcpu_port);
    s->vcpu_port = NULL;
}

static bool step_serve(IoreqServer *s, GError **err)
{
    int fd = xenevtchn_fd(s->xce);

    if (fd < 0) {
        set_errno_error(err, s, IOREQ_STEP_SERVING, "xenevtchn_fd");
        return false;
    }
    s->buffered_timer = timer_new(CLOCK_HOST, buffered_timer_cb, s);
    s->evtchn_source = g_unix_fd_add(fd, G_IO_IN, evtchn_ready, s);
    return true;
}

static void undo_serve(IoreqServer *s)
{
    if (s->evtchn_source) {
        g_source_remove(s->evtchn_source);
        s->evtchn_source = 0;
    }
    if (s->buffered_timer) {
        timer_free(s->buffered_timer);
        s->buffered_timer = NULL;
    }
}

static const struct {
    IoreqStep step;
    bool (*run)(IoreqServer *s, GError **err);
    void (*undo)(IoreqServer *s);
} steps[] = {
    { IOREQ_STEP_LIBS_OPEN, step_open_libs, undo_open_libs },
    { IOREQ_STEP_SERVER_CREATED, step_create_server, undo_create_server },
    { IOREQ_STEP_PAGES_MAPPED, step_map_pages, undo_map_pages },
    { IOREQ_STEP_BUFPORT_KNOWN, step_get_bufport, NULL },
    { IOREQ_STEP_ENABLED, step_enable, undo_enable },
    { IOREQ_STEP_PORTS_BOUND, step_bind_ports, undo_bind_ports },
    { IOREQ_STEP_SERVING, step_serve, undo_serve },
};

/* Undo every completed step, last first.  A step that fails cleans up its own partial work. */
static void unwind(IoreqServer *s)
{
    for (int i = (int)G_N_ELEMENTS(steps) - 1; i >= 0; i--) {
        if (steps[i].step <= s->step && steps[i].undo) {
            steps[i].undo(s);
        }
    }
    s->step = IOREQ_STEP_NONE;
}

IoreqServer *ioreq_server_new(const IoreqServerConfig *cfg, GError **err)
{
    IoreqServer *s;

    if (cfg->poll_max_ns < 0 || cfg->poll_max_ns > IOREQ_POLL_LIMIT_NS) {
        g_set_error(err, IOEMU_ERROR, EINVAL, "polling window %" PRId64 " ns: at most %d", cfg->poll_max_ns,
                    IOREQ_POLL_LIMIT_NS);
        return NULL;
    }
    if (cfg->max_vcpus < 1 || cfg->max_vcpus > IOREQ_MAX_VCPUS) {
        g_set_error(err, IOEMU_ERROR, EINVAL, "%u vCPUs: one ioreq page serves 1 to %d", cfg->max_vcpus,
                    IOREQ_MAX_VCPUS);
        return NULL;
    }
    s = g_new0(IoreqServer, 1);
    s->cfg = *cfg;
    for (size_t i = 0; i < G_N_ELEMENTS(steps); i++) {
        if (!steps[i].run(s, err)) {
            unwind(s);
            g_free(s);
            return NULL;
        }
        s->step = steps[i].step;
    }
    return s;
}

void ioreq_server_free(IoreqServer *s)
{
    if (!s) {
        return;
    }
    g_assert(!s->watch[0].registered && !s->watch[1].registered);
    unwind(s);
    g_free(s);
}

bool ioreq_server_set_enabled(IoreqServer *s, bool enabled, GError **err)
{
    if (s->enabled == enabled) {
        return true;
    }
    if (xendevicemodel_set_ioreq_server_state(s->dmod, s->cfg.domid, s->id, enabled) < 0) {
        set_errno_error(err, s, IOREQ_STEP_ENABLED, enabled ? "enable" : "disable");
        return false;
    }
    s->enabled = enabled;
    return true;
}

bool ioreq_server_enabled(const IoreqServer *s)
{
    return s->enabled;
}

const IoreqStats *ioreq_server_stats(const IoreqServer *s)
{
    return &s->stats;
}

uint32_t ioreq_server_domid(const IoreqServer *s)
{
    return s->cfg.domid;
}

xc_interface *ioreq_server_xc(IoreqServer *s)
{
    return s->xc;
}

xendevicemodel_handle *ioreq_server_dmod(IoreqServer *s)
{
    return s->dmod;
}

xenforeignmemory_handle *ioreq_server_fmem(IoreqServer *s)
{
    return s->fmem;
}

/* ---- PCI functions -------------------------------------------------------------- */

bool ioreq_server_map_pcidev(IoreqServer *s, uint8_t bus, uint8_t devfn, GError **err)
{
    if (xendevicemodel_map_pcidev_to_ioreq_server(s->dmod, s->cfg.domid, s->id, 0, bus, devfn >> 3,
                                                  devfn & 7) < 0) {
        g_set_error(err, IOEMU_ERROR, errno, "map_pcidev %02x:%02x.%x: %s", bus, devfn >> 3, devfn & 7,
                    g_strerror(errno));
        return false;
    }
    return true;
}

bool ioreq_server_unmap_pcidev(IoreqServer *s, uint8_t bus, uint8_t devfn, GError **err)
{
    if (xendevicemodel_unmap_pcidev_from_ioreq_server(s->dmod, s->cfg.domid, s->id, 0, bus, devfn >> 3,
                                                      devfn & 7) < 0) {
        g_set_error(err, IOEMU_ERROR, errno, "unmap_pcidev %02x:%02x.%x: %s", bus, devfn >> 3, devfn & 7,
                    g_strerror(errno));
        return false;
    }
    return true;
}

/* ---- range registration from flat views ---------------------------------------- */

/* Add [r.start, r.end] to a sorted, disjoint, merged set. */
static void ranges_add(GArray *set, Range r)
{
    guint i = 0;

    while (i < set->len && g_array_index(set, Range, i).end != UINT64_MAX &&
           g_array_index(set, Range, i).end + 1 < r.start) {
        i++;
    }
    /* Merge every range that overlaps or touches r. */
    while (i < set->len) {
        Range *c = &g_array_index(set, Range, i);

        if (r.end != UINT64_MAX && c->start > r.end + 1) {
            break;
        }
        r.start = MIN(r.start, c->start);
        r.end = MAX(r.end, c->end);
        g_array_remove_index(set, i);
    }
    g_array_insert_val(set, i, r);
}

/* Remove [r.start, r.end] from the set. */
static void ranges_remove(GArray *set, Range r)
{
    for (guint i = 0; i < set->len;) {
        Range c = g_array_index(set, Range, i);

        if (c.end < r.start || c.start > r.end) {
            i++;
            continue;
        }
        g_array_remove_index(set, i);
        if (c.start < r.start) {
            Range left = { c.start, r.start - 1 };
            g_array_insert_val(set, i, left);
            i++;
        }
        if (c.end > r.end) {
            Range right = { r.end + 1, c.end };
            g_array_insert_val(set, i, right);
            i++;
        }
    }
}

/* a - b, both sorted and disjoint. */
static GArray *ranges_minus(GArray *a, GArray *b)
{
    GArray *out = g_array_new(FALSE, FALSE, sizeof(Range));

    for (guint i = 0; i < a->len; i++) {
        g_array_append_val(out, g_array_index(a, Range, i));
    }
    for (guint j = 0; j < b->len; j++) {
        ranges_remove(out, g_array_index(b, Range, j));
    }
    return out;
}

static void watch_commit(MemoryListener *l, AddressSpace *as, const FlatRange *fr, size_t n)
{
    SpaceWatch *w = (SpaceWatch *)l;
    IoreqServer *s = w->server;
    GArray *want = g_array_new(FALSE, FALSE, sizeof(Range));
    GArray *gone, *added;

    for (size_t i = 0; i < n; i++) {
        Range r;

        if (fr[i].size == 0 || fr[i].mr == s->ram) {
            continue;
        }
        r.start = fr[i].start;
        r.end = fr[i].start + fr[i].size - 1;
        ranges_add(want, r);
    }
    gone = ranges_minus(w->registered, want);
    added = ranges_minus(want, w->registered);
    for (guint i = 0; i < gone->len; i++) {
        Range r = g_array_index(gone, Range, i);

        if (xendevicemodel_unmap_io_range_from_ioreq_server(s->dmod, s->cfg.domid, s->id, w->mmio, r.start,
                                                            r.end) < 0) {
            log_printf("ioreq: unregistering %s 0x%" PRIx64 "-0x%" PRIx64 ": %s\n", w->mmio ? "MMIO" : "ports",
                       r.start, r.end, g_strerror(errno));
            continue;
        }
        log_cat(LOG_XEN, "ioreq: %s 0x%" PRIx64 "-0x%" PRIx64 " unregistered\n", w->mmio ? "MMIO" : "ports",
                r.start, r.end);
        ranges_remove(w->registered, r);
    }
    for (guint i = 0; i < added->len; i++) {
        Range r = g_array_index(added, Range, i);

        if (xendevicemodel_map_io_range_to_ioreq_server(s->dmod, s->cfg.domid, s->id, w->mmio, r.start,
                                                        r.end) < 0) {
            /* ENOSPC past 256 ranges, EEXIST if someone else holds it: the guest gets the null handler. */
            log_printf("ioreq: registering %s 0x%" PRIx64 "-0x%" PRIx64 ": %s\n", w->mmio ? "MMIO" : "ports",
                       r.start, r.end, g_strerror(errno));
            continue;
        }
        log_cat(LOG_XEN, "ioreq: %s 0x%" PRIx64 "-0x%" PRIx64 " registered\n", w->mmio ? "MMIO" : "ports",
                r.start, r.end);
        ranges_add(w->registered, r);
    }
    g_array_free(gone, TRUE);
    g_array_free(added, TRUE);
    g_array_free(want, TRUE);
}

void ioreq_server_watch(IoreqServer *s, AddressSpace *io, AddressSpace *mem, const MemoryRegion *ram)
{
    AddressSpace *spaces[2] = { io, mem };

    s->ram = ram;
    for (int i = 0; i < 2; i++) {
        SpaceWatch *w = &s->watch[i];

        memset(w, 0, sizeof(*w));
        w->listener.commit = watch_commit;
        w->server = s;
        w->as = spaces[i];
        w->mmio = i == 1;
        w->registered = g_array_new(FALSE, FALSE, sizeof(Range));
        as_add_listener(spaces[i], &w->listener);
    }
}

void ioreq_server_unwatch(IoreqServer *s)
{
    for (int i = 1; i >= 0; i--) {
        SpaceWatch *w = &s->watch[i];

        if (!w->registered) {
            continue;
        }
        as_remove_listener(w->as, &w->listener);
        /* An empty view unregisters everything. */
        watch_commit(&w->listener, w->as, NULL, 0);
        g_array_free(w->registered, TRUE);
        w->registered = NULL;
    }
}

void ioreq_server_range_counts(const IoreqServer *s, unsigned *ports, unsigned *mmio)
{
    *ports = s->watch[0].registered ? s->watch[0].registered->len : 0;
    *mmio = s->watch[1].registered ? s->watch[1].registered->len : 0;
}

void ioreq_server_dump_ranges(const IoreqServer *s, GString *out)
{
    for (int i = 0; i < 2; i++) {
        const SpaceWatch *w = &s->watch[i];

        for (guint j = 0; w->registered && j < w->registered->len; j++) {
            Range r = g_array_index(w->registered, Range, j);

            g_string_append_printf(out, "%s 0x%" PRIx64 "-0x%" PRIx64 "\n", i ? "mmio" : "port", r.start, r.end);
        }
    }
}
