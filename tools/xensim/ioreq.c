/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Ioreq servers and the dm_op hypercall, and the Xen side of sending a
 * guest access to a device model.  Follows Xen 4.17:
 * xen:xen/common/ioreq.c (servers, ranges, sync and buffered send, wait),
 * xen:xen/arch/x86/hvm/ioreq.c (PCI config conversion, gfn pool),
 * xen:xen/arch/x86/hvm/dm.c (argument checks, errnos),
 * xen:xen/arch/x86/hvm/emulate.c (dispatch order, null handler),
 * xen:xen/arch/x86/hvm/stdvga.c (buffered VGA writes).
 */
#include "tools/xensim/xensim.h"

#include <errno.h>
#include <inttypes.h>
#include <sched.h>
#include <string.h>
#include <time.h>
#include <xen/hvm/hvm_op.h>
#include <xen/memory.h>
#include <xen/sched.h>

#define VGA_MEM_BASE    0xa0000ULL
#define VGA_MEM_SIZE    0x20000ULL
#define IOREQ_STATE_OFFSET 30   /* byte holding state:4, data_is_ptr, dir, df */

_Static_assert(sizeof(ioreq_t) == 32, "ioreq_t layout");
_Static_assert(sizeof(buffered_iopage_t) <= XSIM_PAGE_SIZE, "buffered page layout");

static uint8_t slot_state(ioreq_t *slot)
{
    uint8_t b = __atomic_load_n((uint8_t *)slot + IOREQ_STATE_OFFSET, __ATOMIC_ACQUIRE);

    return b & 0xf;
}

static void slot_set_state(ioreq_t *slot, uint8_t state)
{
    uint8_t *b = (uint8_t *)slot + IOREQ_STATE_OFFSET;
    uint8_t old = __atomic_load_n(b, __ATOMIC_RELAXED);

    __atomic_store_n(b, (uint8_t)((old & 0xf0) | state), __ATOMIC_RELEASE);
}

static IoreqServer *get_server(unsigned id)
{
    if (id >= XSIM_MAX_SERVERS || !sim->servers[id].used) {
        return NULL;
    }
    return &sim->servers[id];
}

static shared_iopage_t *iopage(IoreqServer *s)
{
    return s->ioreq_page >= 0 ? pool_page_ptr(s->ioreq_page) : NULL;
}

static buffered_iopage_t *bufpage(IoreqServer *s)
{
    return s->bufioreq_page >= 0 ? pool_page_ptr(s->bufioreq_page) : NULL;
}

static bool handles_bufioreq(IoreqServer *s)
{
    return s->bufioreq_mode != HVM_IOREQSRV_BUFIOREQ_OFF;
}

/* ---- Server life cycle ---- */

/* Publish vp_eport in every slot (Xen only does it while enabled). */
static void update_evtchns(IoreqServer *s)
{
    shared_iopage_t *p = iopage(s);
    unsigned v;

    if (!p) {
        return;
    }
    for (v = 0; v < sim->vcpus; v++) {
        p->vcpu_ioreq[v].vp_eport = s->vcpu_port[v];
    }
}

static int alloc_pages(IoreqServer *s)
{
    if (s->ioreq_page < 0) {
        s->ioreq_page = pool_alloc_page();
        if (s->ioreq_page < 0) {
            return -ENOMEM;
        }
    }
    if (handles_bufioreq(s) && s->bufioreq_page < 0) {
        s->bufioreq_page = pool_alloc_page();
        if (s->bufioreq_page < 0) {
            return -ENOMEM;
        }
    }
    return 0;
}

static uint64_t alloc_ioreq_gfn(void)
{
    uint64_t base = sim->hvm_params[HVM_PARAM_IOREQ_SERVER_PFN];
    uint64_t nr = MIN(sim->hvm_params[HVM_PARAM_NR_IOREQ_SERVER_PAGES], 64);
    uint64_t i;
    unsigned id;

    for (i = 0; i < nr; i++) {
        bool used = false;

        for (id = 0; id < XSIM_MAX_SERVERS; id++) {
            IoreqServer *s = &sim->servers[id];

            used |= s->used && (s->ioreq_gfn == base + i || s->bufioreq_gfn == base + i);
        }
        if (!used) {
            return base + i;
        }
    }
    return XSIM_INVALID_GFN;
}

/* Legacy path: put the pages at gfns of the ioreq pool (get_ioreq_server_info). */
static int map_gfns(IoreqServer *s)
{
    if (s->ioreq_gfn != XSIM_INVALID_GFN) {
        return 0;
    }
    /* Pages handed out by resource mapping may not get a gfn as well. */
    if (s->ioreq_page >= 0) {
        return -EPERM;
    }
    if (alloc_pages(s) < 0) {
        return -ENOMEM;
    }
    s->ioreq_gfn = alloc_ioreq_gfn();
    if (s->ioreq_gfn == XSIM_INVALID_GFN) {
        return -ENOMEM;
    }
    if (handles_bufioreq(s)) {
        s->bufioreq_gfn = alloc_ioreq_gfn();
        if (s->bufioreq_gfn == XSIM_INVALID_GFN) {
            s->ioreq_gfn = XSIM_INVALID_GFN;
            return -ENOMEM;
        }
    }
    /* Visible in the guest p2m while the server is disabled. */
    if (!s->enabled) {
        p2m_set(s->ioreq_gfn, 1, s->ioreq_page, P2M_RAM_RW);
        if (s->bufioreq_gfn != XSIM_INVALID_GFN) {
            p2m_set(s->bufioreq_gfn, 1, s->bufioreq_page, P2M_RAM_RW);
        }
    }
    return 0;
}

static void gfns_in_p2m(IoreqServer *s, bool present)
{
    if (s->ioreq_gfn != XSIM_INVALID_GFN) {
        p2m_set(s->ioreq_gfn, 1, present ? s->ioreq_page : -1, P2M_RAM_RW);
    }
    if (s->bufioreq_gfn != XSIM_INVALID_GFN) {
        p2m_set(s->bufioreq_gfn, 1, present ? s->bufioreq_page : -1, P2M_RAM_RW);
    }
}

static void set_enabled(IoreqServer *s, bool enabled)
{
    if (s->enabled == enabled) {
        return;
    }
    s->enabled = enabled;
    /* xen: arch_ioreq_server_enable/disable remove/re-add the gfns. */
    gfns_in_p2m(s, !enabled);
    if (enabled) {
        update_evtchns(s);
    }
}

static void destroy_server(IoreqServer *s);

static int create_server(SimConn *c, unsigned mode, ioservid_t *id)
{
    unsigned i, v;
    IoreqServer *s;

    if (mode > HVM_IOREQSRV_BUFIOREQ_ATOMIC) {
        return -EINVAL;
    }
    for (i = 0; i < XSIM_MAX_SERVERS && sim->servers[i].used; i++) {
    }
    if (i == XSIM_MAX_SERVERS) {
        return -ENOSPC;
    }
    s = &sim->servers[i];
    memset(s, 0, sizeof(*s));
    s->used = true;
    s->id = i;
    s->bufioreq_mode = (uint8_t)mode;
    s->owner = c;
    s->ioreq_page = s->bufioreq_page = -1;
    s->ioreq_gfn = s->bufioreq_gfn = XSIM_INVALID_GFN;
    for (v = 0; v < 3; v++) {
        rangeset_init(&s->ranges[v]);
    }
    /* One unbound port per vCPU (+1 buffered on vCPU 0), remote = the emulator (dom0). */
    for (v = 0; v < sim->vcpus; v++) {
        int port = evtchn_alloc_guest_unbound(0);

        if (port < 0) {
            destroy_server(s);
            return port;
        }
        s->vcpu_port[v] = (uint32_t)port;
    }
    if (handles_bufioreq(s)) {
        int port = evtchn_alloc_guest_unbound(0);

        if (port < 0) {
            destroy_server(s);
            return port;
        }
        s->buf_port = (uint32_t)port;
    }
    *id = (ioservid_t)i;
    return 0;
}

static void destroy_server(IoreqServer *s)
{
    unsigned v;

    set_enabled(s, false);
    if (sim->mem_type_server == (int)s->id) {
        sim->mem_type_server = -1;
        sim->mem_type_flags = 0;
    }
    for (v = 0; v < sim->vcpus; v++) {
        evtchn_free_guest(s->vcpu_port[v]);
        if (sim->vcpu_blocked[v] && sim->vcpu_blocked_server[v] == (int)s->id) {
            sim->vcpu_blocked[v] = false;
        }
    }
    if (handles_bufioreq(s)) {
        evtchn_free_guest(s->buf_port);
    }
    gfns_in_p2m(s, false);
    if (s->ioreq_page >= 0) {
        pool_free_page(s->ioreq_page);
    }
    if (s->bufioreq_page >= 0) {
        pool_free_page(s->bufioreq_page);
    }
    for (v = 0; v < 3; v++) {
        rangeset_destroy(&s->ranges[v]);
    }
    memset(s, 0, sizeof(*s));
}

void ioreq_conn_closed(SimConn *c)
{
    unsigned i;

    /*
     * Servers belong to the emulating domain, not to a handle: closing the
     * handle (or the device model exiting) leaves them in place, as in Xen.
     */
    for (i = 0; i < XSIM_MAX_SERVERS; i++) {
        if (sim->servers[i].owner == c) {
            sim->servers[i].owner = NULL;
        }
    }
}

void ioreq_destroy_all(void)
{
    unsigned i;

    for (i = 0; i < XSIM_MAX_SERVERS; i++) {
        if (sim->servers[i].used) {
            destroy_server(&sim->servers[i]);
        }
    }
}

int ioreq_resource_frames(unsigned id)
{
    /* xen:xen/common/memory.c ioreq_server_max_frames(): bufioreq + one per 128 vCPUs. */
    return 1 + (int)((sim->vcpus * sizeof(ioreq_t) + XSIM_PAGE_SIZE - 1) / XSIM_PAGE_SIZE);
}

int ioreq_map_resource(unsigned id, uint64_t frame, uint64_t nr, int64_t *pages)
{
    IoreqServer *s = get_server(id);
    uint64_t i;
    int rc;

    if (!s) {
        return -ENOENT;
    }
    /* Frames mapped through gfns first may not be acquired as a resource. */
    if (s->ioreq_gfn != XSIM_INVALID_GFN) {
        return -EPERM;
    }
    rc = alloc_pages(s);
    if (rc < 0) {
        return rc;
    }
    for (i = 0; i < nr; i++) {
        uint64_t idx = frame + i;

        if (idx == XENMEM_resource_ioreq_server_frame_bufioreq) {
            if (!handles_bufioreq(s)) {
                return -ENOENT;
            }
            pages[i] = s->bufioreq_page;
        } else if (idx == XENMEM_resource_ioreq_server_frame_ioreq(0)) {
            pages[i] = s->ioreq_page;
        } else {
            return -EINVAL;
        }
    }
    return 0;
}

/* ---- dm_op ---- */

static const char *range_type_name(uint32_t type)
{
    switch (type) {
    case XEN_DMOP_IO_RANGE_PORT:
        return "port";
    case XEN_DMOP_IO_RANGE_MEMORY:
        return "mmio";
    case XEN_DMOP_IO_RANGE_PCI:
        return "pci";
    }
    return "?";
}

static int map_range(struct xen_dm_op_ioreq_server_range *r, bool map)
{
    IoreqServer *s;
    Rangeset *rs;
    int rc = 0;

    if (r->start > r->end) {
        return -EINVAL;
    }
    s = get_server(r->id);
    if (!s) {
        return -ENOENT;
    }
    if (r->type > XEN_DMOP_IO_RANGE_PCI) {
        return -EINVAL;
    }
    rs = &s->ranges[r->type];
    if (map) {
        if (rangeset_overlaps(rs, r->start, r->end)) {
            return -EEXIST;
        }
        rc = rangeset_add(rs, r->start, r->end);
    } else {
        if (!rangeset_contains(rs, r->start, r->end)) {
            return -ENOENT;
        }
        rangeset_remove(rs, r->start, r->end);
    }
    if (rc == 0) {
        if (r->type == XEN_DMOP_IO_RANGE_PCI) {
            sim_record("%s_pcidev %u %02x:%02x.%x", map ? "map" : "unmap", r->id,
                       (unsigned)((r->start >> 8) & 0xff), (unsigned)((r->start >> 3) & 0x1f),
                       (unsigned)(r->start & 7));
        } else {
            sim_record("%s_io_range %u %s 0x%" PRIx64 "-0x%" PRIx64, map ? "map" : "unmap",
                       r->id, range_type_name(r->type), (uint64_t)r->start, (uint64_t)r->end);
        }
    }
    return rc;
}

static int track_dirty_vram(uint64_t first, uint32_t nr, uint32_t buf_size, GByteArray *out)
{
    size_t bytes = ((size_t)nr + 7) / 8;

    if (nr > (1u << 30) >> XSIM_PAGE_SHIFT) {
        return -EINVAL;
    }
    if (sim->dying) {
        return -ESRCH;
    }
    if (bytes > buf_size) {
        return -EINVAL;
    }
    if (nr == 0) {
        sim->vram_first = sim->vram_nr = 0;
        g_hash_table_remove_all(sim->vram_dirty);
        return 0;
    }
    g_byte_array_set_size(out, (guint)bytes);
    if (first != sim->vram_first || nr != sim->vram_nr) {
        /* xen: hap_track_dirty_vram() reports a new region as all dirty. */
        sim->vram_first = first;
        sim->vram_nr = nr;
        g_hash_table_remove_all(sim->vram_dirty);
        memset(out->data, 0xff, bytes);
        if (nr % 8) {
            out->data[bytes - 1] = (uint8_t)((1u << (nr % 8)) - 1);
        }
    } else {
        GHashTableIter it;
        gpointer key;

        memset(out->data, 0, bytes);
        g_hash_table_iter_init(&it, sim->vram_dirty);
        while (g_hash_table_iter_next(&it, &key, NULL)) {
            uint64_t bit = *(uint64_t *)key - first;

            out->data[bit / 8] |= (uint8_t)(1u << (bit % 8));
        }
        g_hash_table_remove_all(sim->vram_dirty);
    }
    return 0;
}

static int modified_memory(struct xen_dm_op_modified_memory *m, unsigned nr_bufs,
                           const uint8_t *buf, uint32_t buf_size)
{
    uint32_t i;

    if (!sim->log_dirty) {
        /* xen: a no-op (and no argument check) unless log-dirty is active. */
        sim_record("modified_memory %u extents (log-dirty off)", m->nr_extents);
        return 0;
    }
    if (nr_bufs < 2 || buf_size / sizeof(struct xen_dm_op_modified_memory_extent) <
        m->nr_extents) {
        return -EINVAL;
    }
    if (m->nr_extents && !buf) {
        return -EFAULT;     /* the extent buffer was announced but not sent */
    }
    for (i = m->nr_extents; i-- > 0;) {
        struct xen_dm_op_modified_memory_extent e;
        uint64_t end, pfn;

        memcpy(&e, buf + (size_t)i * sizeof(e), sizeof(e));
        if (e.pad) {
            return -EINVAL;
        }
        end = e.first_pfn + e.nr;
        /* Xen compares the exclusive end with the highest mapped pfn (sic). */
        if (end <= e.first_pfn || end > p2m_max_gfn()) {
            return -EINVAL;
        }
        for (pfn = e.first_pfn; pfn < end; pfn++) {
            if (p2m_lookup(pfn, NULL) >= 0) {
                g_hash_table_add(sim->dirty_pfns, g_memdup2(&pfn, sizeof(pfn)));
            }
        }
        sim_record("modified_memory 0x%" PRIx64 " %u", (uint64_t)e.first_pfn, e.nr);
    }
    return 0;
}

static int map_mem_type(struct xen_dm_op_map_mem_type_to_ioreq_server *m)
{
    IoreqServer *s;

    if (m->type != HVMMEM_ioreq_server || (m->flags & ~XEN_DMOP_IOREQ_MEM_ACCESS_WRITE)) {
        return -EINVAL;
    }
    s = get_server(m->id);
    if (!s) {
        return -ENOENT;
    }
    if (m->flags == 0) {
        if (sim->mem_type_server != (int)s->id) {
            return -EINVAL;
        }
        sim->mem_type_server = -1;
        sim->mem_type_flags = 0;
        /* xen: remaining p2m_ioreq_server entries go back to ram_rw. */
        {
            guint i;

            for (i = 0; i < sim->p2m->len; i++) {
                P2mExtent *e = &g_array_index(sim->p2m, P2mExtent, i);

                if (e->type == P2M_IOREQ_SERVER) {
                    e->type = P2M_RAM_RW;
                }
            }
        }
    } else {
        if (sim->mem_type_server >= 0) {
            return -EBUSY;
        }
        sim->mem_type_server = (int)s->id;
        sim->mem_type_flags = m->flags;
    }
    sim_record("map_mem_type_to_ioreq_server %u 0x%x", m->id, m->flags);
    return 0;
}

static int pin_cacheattr(uint64_t start, uint64_t end, uint32_t type)
{
    switch (type) {
    case XEN_DMOP_MEM_CACHEATTR_UC:
    case XEN_DMOP_MEM_CACHEATTR_WC:
    case XEN_DMOP_MEM_CACHEATTR_WT:
    case XEN_DMOP_MEM_CACHEATTR_WP:
    case XEN_DMOP_MEM_CACHEATTR_WB:
    case XEN_DMOP_MEM_CACHEATTR_UCM:
    case XEN_DMOP_DELETE_MEM_CACHEATTR:
        break;
    default:
        return -EINVAL;
    }
    if (end < start || (start | end) >> 40) {
        return -EINVAL;
    }
    sim_record("pin_memory_cacheattr 0x%" PRIx64 "-0x%" PRIx64 " %d", start, end, (int)type);
    return 0;
}

static const char *shutdown_reason_name(unsigned reason)
{
    static const char *const names[] = {
        [SHUTDOWN_poweroff] = "poweroff", [SHUTDOWN_reboot] = "reboot",
        [SHUTDOWN_suspend] = "suspend", [SHUTDOWN_crash] = "crash",
        [SHUTDOWN_watchdog] = "watchdog", [SHUTDOWN_soft_reset] = "soft_reset",
    };

    return reason < G_N_ELEMENTS(names) ? names[reason] : "unknown";
}

void sim_domain_shutdown(unsigned reason)
{
    sim->shut_down = true;
    sim->shutdown_reason = reason;
    sim_record("shutdown %s", shutdown_reason_name(reason));
    sim_log("domain %u shut down (%s)", sim->domid, shutdown_reason_name(reason));
    evtchn_send_virq(VIRQ_DOM_EXC);
    xs_store_fire_special(sim->xs, "@releaseDomain");
    if (reason == SHUTDOWN_poweroff) {
        /* What xl does with on_poweroff=destroy: tear the domain down. */
        sim_domain_destroy("powered off");
    }
}

int dm_op_handle(SimConn *c, struct xen_dm_op *op, unsigned nr_bufs, const uint8_t *buf_in,
                 uint32_t buf_size, GByteArray *buf_out)
{
    int rc;

    if (op->pad) {
        return -EINVAL;
    }
    switch (op->op) {
    case XEN_DMOP_create_ioreq_server: {
        struct xen_dm_op_create_ioreq_server *d = &op->u.create_ioreq_server;

        if (d->pad[0] || d->pad[1] || d->pad[2]) {
            return -EINVAL;
        }
        rc = create_server(c, d->handle_bufioreq, &d->id);
        if (rc == 0) {
            sim_record("create_ioreq_server %u bufioreq=%u", d->id, d->handle_bufioreq);
        }
        return rc;
    }
    case XEN_DMOP_get_ioreq_server_info: {
        struct xen_dm_op_get_ioreq_server_info *d = &op->u.get_ioreq_server_info;
        IoreqServer *s;

        if (d->flags & ~XEN_DMOP_no_gfns) {
            return -EINVAL;
        }
        s = get_server(d->id);
        if (!s) {
            return -ENOENT;
        }
        if (!(d->flags & XEN_DMOP_no_gfns)) {
            rc = map_gfns(s);
            if (rc < 0) {
                return rc;
            }
            d->ioreq_gfn = s->ioreq_gfn;
        }
        if (handles_bufioreq(s)) {
            if (!(d->flags & XEN_DMOP_no_gfns)) {
                d->bufioreq_gfn = s->bufioreq_gfn;
            }
            d->bufioreq_port = s->buf_port;
        }
        return 0;
    }
    case XEN_DMOP_map_io_range_to_ioreq_server:
        return map_range(&op->u.map_io_range_to_ioreq_server, true);
    case XEN_DMOP_unmap_io_range_from_ioreq_server:
        return map_range(&op->u.unmap_io_range_from_ioreq_server, false);
    case XEN_DMOP_set_ioreq_server_state: {
        struct xen_dm_op_set_ioreq_server_state *d = &op->u.set_ioreq_server_state;
        IoreqServer *s = get_server(d->id);

        if (!s) {
            return -ENOENT;
        }
        set_enabled(s, d->enabled != 0);
        sim_record("set_ioreq_server_state %u %u", d->id, d->enabled != 0);
        return 0;
    }
    case XEN_DMOP_destroy_ioreq_server: {
        IoreqServer *s = get_server(op->u.destroy_ioreq_server.id);

        if (!s) {
            return -ENOENT;
        }
        sim_record("destroy_ioreq_server %u", s->id);
        destroy_server(s);
        return 0;
    }
    case XEN_DMOP_track_dirty_vram: {
        struct xen_dm_op_track_dirty_vram *d = &op->u.track_dirty_vram;

        if (d->pad || nr_bufs < 2) {
            return -EINVAL;
        }
        return track_dirty_vram(d->first_pfn, d->nr, buf_size, buf_out);
    }
    case XEN_DMOP_set_pci_intx_level: {
        struct xen_dm_op_set_pci_intx_level *d = &op->u.set_pci_intx_level;

        rc = irq_set_pci_intx_level(d->domain, d->bus, d->device, d->intx, d->level);
        if (rc == 0) {
            sim_record("pci_intx %02x:%02x %c %u", d->bus, d->device, 'A' + d->intx, d->level);
        }
        return rc;
    }
    case XEN_DMOP_set_isa_irq_level: {
        struct xen_dm_op_set_isa_irq_level *d = &op->u.set_isa_irq_level;

        rc = irq_set_isa_level(d->isa_irq, d->level);
        if (rc == 0) {
            sim_record("isa_irq %u %u", d->isa_irq, d->level);
        }
        return rc;
    }
    case XEN_DMOP_set_pci_link_route: {
        struct xen_dm_op_set_pci_link_route *d = &op->u.set_pci_link_route;

        rc = irq_set_link_route(d->link, d->isa_irq);
        if (rc == 0) {
            sim_record("pci_link_route %u %u", d->link, d->isa_irq);
        }
        return rc;
    }
    case XEN_DMOP_modified_memory:
        return modified_memory(&op->u.modified_memory, nr_bufs, buf_in, buf_size);
    case XEN_DMOP_set_mem_type: {
        struct xen_dm_op_set_mem_type *d = &op->u.set_mem_type;

        if (d->pad) {
            return -EINVAL;
        }
        rc = -mem_set_type(d->first_pfn, d->nr, d->mem_type);
        if (rc == 0) {
            sim_record("set_mem_type %u 0x%" PRIx64 " %u", d->mem_type, (uint64_t)d->first_pfn,
                       d->nr);
        }
        return rc;
    }
    case XEN_DMOP_inject_event: {
        struct xen_dm_op_inject_event *d = &op->u.inject_event;

        if (d->pad0 || d->pad1) {
            return -EINVAL;
        }
        if (d->vcpuid >= sim->vcpus) {
            return -EINVAL;
        }
        sim_record("inject_event vcpu=%u vector=0x%x type=%u error=0x%x len=%u", d->vcpuid,
                   d->vector, d->type, d->error_code, d->insn_len);
        return 0;
    }
    case XEN_DMOP_inject_msi: {
        struct xen_dm_op_inject_msi *d = &op->u.inject_msi;

        if (d->pad) {
            return -EINVAL;
        }
        sim_record("msi 0x%" PRIx64 " 0x%x", (uint64_t)d->addr, d->data);
        return 0;
    }
    case XEN_DMOP_map_mem_type_to_ioreq_server:
        return map_mem_type(&op->u.map_mem_type_to_ioreq_server);
    case XEN_DMOP_remote_shutdown:
        sim_domain_shutdown(op->u.remote_shutdown.reason);
        return 0;
    case XEN_DMOP_relocate_memory: {
        struct xen_dm_op_relocate_memory *d = &op->u.relocate_memory;

        if (d->pad) {
            return -EINVAL;
        }
        rc = -mem_relocate(d->src_gfn, d->dst_gfn, d->size);
        if (rc == 0) {
            sim_record("relocate_memory 0x%" PRIx64 " -> 0x%" PRIx64 " %u",
                       (uint64_t)d->src_gfn, (uint64_t)d->dst_gfn, d->size);
            d->size = 0;
        }
        return rc;
    }
    case XEN_DMOP_pin_memory_cacheattr: {
        struct xen_dm_op_pin_memory_cacheattr *d = &op->u.pin_memory_cacheattr;

        if (d->pad) {
            return -EINVAL;
        }
        return pin_cacheattr(d->start, d->end, d->type);
    }
    case XEN_DMOP_nr_vcpus:
        op->u.nr_vcpus.vcpus = sim->vcpus;
        return 0;
    }
    return -EOPNOTSUPP;
}

/* ---- Sending ioreqs ---- */

static uint64_t mmio_first_byte(const ioreq_t *p)
{
    return p->df ? p->addr - (uint64_t)(p->count - 1) * p->size : p->addr;
}

static uint64_t mmio_last_byte(const ioreq_t *p)
{
    uint64_t count = p->count ? p->count : 1;

    return p->df ? p->addr + p->size - 1 : p->addr + count * p->size - 1;
}

IoreqServer *ioreq_select(ioreq_t *p)
{
    uint32_t cf8 = sim->pci_cf8;
    unsigned type;
    uint64_t addr;
    int id;

    if (p->type != IOREQ_TYPE_PIO && p->type != IOREQ_TYPE_COPY) {
        return NULL;
    }
    if (p->type == IOREQ_TYPE_PIO && (p->addr & ~3ULL) == 0xcfc && (cf8 & 0x80000000u)) {
        /* xen: hvm_pci_decode_addr(); only registered SBDFs are matched, in the
         * PCI rangesets only (an unregistered device reads all-ones). */
        uint32_t sbdf = (cf8 >> 8) & 0xffff;    /* bus, device, function; segment 0 */
        uint32_t reg = (cf8 & 0xfc) | (uint32_t)(p->addr & 3);

        type = XEN_DMOP_IO_RANGE_PCI;
        addr = ((uint64_t)sbdf << 32) | reg;
    } else {
        type = p->type == IOREQ_TYPE_PIO ? XEN_DMOP_IO_RANGE_PORT : XEN_DMOP_IO_RANGE_MEMORY;
        addr = p->addr;
    }
    /* Newest server first (xen: FOR_EACH_IOREQ_SERVER iterates backwards). */
    for (id = XSIM_MAX_SERVERS - 1; id >= 0; id--) {
        IoreqServer *s = &sim->servers[id];

        if (!s->used || !s->enabled) {
            continue;
        }
        switch (type) {
        case XEN_DMOP_IO_RANGE_PORT:
            if (rangeset_contains(&s->ranges[type], addr, addr + p->size - 1)) {
                return s;
            }
            break;
        case XEN_DMOP_IO_RANGE_MEMORY:
            if (rangeset_contains(&s->ranges[type], mmio_first_byte(p), mmio_last_byte(p))) {
                return s;
            }
            break;
        case XEN_DMOP_IO_RANGE_PCI:
            if (rangeset_contains(&s->ranges[type], addr >> 32, addr >> 32)) {
                p->type = IOREQ_TYPE_PCI_CONFIG;
                p->addr = addr;
                return s;
            }
            break;
        }
    }
    return NULL;
}

bool ioreq_send_buffered(IoreqServer *s, const ioreq_t *p)
{
    buffered_iopage_t *pg = bufpage(s);
    uint32_t w0, w1 = 0;
    unsigned qw = 0, size_code;
    uint32_t rp, wp;

    if (!pg || !handles_bufioreq(s)) {
        return false;
    }
    /*
     * xen: hvm_send_buffered_ioreq() returns "handled" (the write is dropped)
     * for what it cannot encode: addresses above 1 MiB, pointers, repeats.
     */
    if (p->addr > 0xfffff || p->data_is_ptr || p->count != 1) {
        return true;
    }
    switch (p->size) {
    case 1:
        size_code = 0;
        break;
    case 2:
        size_code = 1;
        break;
    case 4:
        size_code = 2;
        break;
    case 8:
        size_code = 3;
        qw = 1;
        break;
    default:
        return false;
    }
    rp = __atomic_load_n(&pg->read_pointer, __ATOMIC_ACQUIRE);
    wp = pg->write_pointer;
    if (wp - rp >= IOREQ_BUFFER_SLOT_NUM - qw) {
        return false;   /* full: the caller sends it synchronously */
    }
    /* buf_ioreq_t: type 0-7, pad 8, dir 9, size 10-11, addr 12-31; then data */
    w0 = (uint32_t)p->type | ((uint32_t)(p->dir & 1) << 9) | (size_code << 10) |
         ((uint32_t)(p->addr & 0xfffff) << 12);
    memcpy(&pg->buf_ioreq[wp % IOREQ_BUFFER_SLOT_NUM], &w0, 4);
    w1 = (uint32_t)p->data;
    memcpy((uint8_t *)&pg->buf_ioreq[wp % IOREQ_BUFFER_SLOT_NUM] + 4, &w1, 4);
    if (qw) {
        uint32_t hi = (uint32_t)(p->data >> 32);

        memcpy(&pg->buf_ioreq[(wp + 1) % IOREQ_BUFFER_SLOT_NUM], &w0, 4);
        memcpy((uint8_t *)&pg->buf_ioreq[(wp + 1) % IOREQ_BUFFER_SLOT_NUM] + 4, &hi, 4);
    }
    /* Slots visible before the pointer moves. */
    __atomic_store_n(&pg->write_pointer, wp + (qw ? 2 : 1), __ATOMIC_RELEASE);
    /* Keep the free-running pointers small (ATOMIC mode): 64-bit cmpxchg on the pair. */
    while (s->bufioreq_mode == HVM_IOREQSRV_BUFIOREQ_ATOMIC && qw++ < IOREQ_BUFFER_SLOT_NUM &&
           __atomic_load_n(&pg->read_pointer, __ATOMIC_ACQUIRE) >= IOREQ_BUFFER_SLOT_NUM) {
        uint64_t *full = (uint64_t *)pg;
        uint64_t old = __atomic_load_n(full, __ATOMIC_ACQUIRE);
        uint32_t orp = (uint32_t)old, owp = (uint32_t)(old >> 32);
        uint32_t n = orp / IOREQ_BUFFER_SLOT_NUM;
        uint64_t new = (uint64_t)(orp - n * IOREQ_BUFFER_SLOT_NUM) |
                       ((uint64_t)(owp - n * IOREQ_BUFFER_SLOT_NUM) << 32);

        __atomic_compare_exchange_n(full, &old, new, false, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE);
    }
    evtchn_guest_notify(s->buf_port);
    return true;
}

typedef struct SyncWait {
    ioreq_t *slot;
    uint32_t port;
    uint64_t seen_notifies;
} SyncWait;

static bool got_notify(void *opaque)
{
    SyncWait *w = opaque;

    return evtchn_guest_notify_count(w->port) != w->seen_notifies;
}

static const char *state_name(unsigned st)
{
    static const char *const names[] = { "NONE", "READY", "INPROCESS", "IORESP_READY" };

    return st < 4 ? names[st] : "invalid";
}

static bool needs_completion(const ioreq_t *p)
{
    return !p->data_is_ptr && !(p->type == IOREQ_TYPE_PIO && p->dir == IOREQ_WRITE);
}

/* Domain crash as Xen does for a misbehaving emulator: report and record. */
static void crash(GError **errp, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void crash(GError **errp, const char *fmt, ...)
{
    va_list ap;
    char *msg;

    va_start(ap, fmt);
    msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    sim_log("%s", msg);
    sim_record("error %s", msg);
    g_set_error_literal(errp, XSIM_ERROR, 0, msg);
    g_free(msg);
}

/* How long a vCPU polls the device model's connection before sleeping. */
static uint64_t spin_ns(void)
{
    static int64_t v = -1;

    if (v < 0) {
        const char *e = g_getenv("XENSIM_SPIN_NS");

        v = e ? g_ascii_strtoll(e, NULL, 0) : 20000;
        v = CLAMP(v, 0, 10000000);
    }
    return (uint64_t)v;
}

static uint64_t mono_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/* After this long, the spinning vCPU yields between looks (see spin_for_notify). */
#define SPIN_YIELD_AFTER_NS 5000

/*
 * Latency: a device model usually answers within microseconds, faster than
 * a trip through the main loop.  So for a short while the vCPU watches the
 * slot's state byte in the shared ioreq page, which the device model writes
 * (IORESP_READY) before it notifies; a memory load costs nothing, where
 * polling the socket costs a syscall per look.  Xen itself only looks at
 * the slot when the event fires, but what it then finds is the same.  Once
 * the state has moved, the messages the device model sent before moving it
 * (its unmask of the port, usually its notify) are read with one
 * non-blocking pass over its connection, so event channel state is as
 * current as if we had waited for the notify.  Anything else (a dm_op the
 * device model makes meanwhile) is served by the main loop afterwards.
 * A device model we just woke is often placed on our CPU (the kernel
 * expects a waker to sleep): after a few microseconds without an answer
 * the loop yields between looks, so such a device model gets to run.
 */
static bool spin_for_notify(SyncWait *w)
{
    SimConn *c = evtchn_guest_peer(w->port);
    uint64_t start, now;
    unsigned n = 0;
    bool yield = false;

    if (!c || !spin_ns()) {
        return false;
    }
    start = mono_ns();
    for (;;) {
        unsigned st = slot_state(w->slot);

        if (st != STATE_IOREQ_READY && st != STATE_IOREQ_INPROCESS) {
            /* closed: the main loop reaps it; the slot is answered all the same */
            conn_poll(c);
            return true;
        }
        if (yield) {
            sched_yield();
        }
        /* The clock every 32 looks; a notify without a state change every 1024. */
        if (!(++n & 31)) {
            if (!(n & 1023) && (!conn_poll(c) || got_notify(w))) {
                return got_notify(w);
            }
            now = mono_ns();
            if (now - start >= spin_ns()) {
                return false;
            }
            yield = now - start >= SPIN_YIELD_AFTER_NS;
        }
    }
}

/* Wait for the device model to finish slot (xen: wait_for_io()). */
static bool wait_for_completion(IoreqServer *s, unsigned vcpu, ioreq_t *p, GError **errp)
{
    ioreq_t *slot = &iopage(s)->vcpu_ioreq[vcpu];
    SyncWait w = { .slot = slot, .port = s->vcpu_port[vcpu] };
    unsigned prev = STATE_IOREQ_READY;
    uint64_t data = ~0ULL;

    w.seen_notifies = evtchn_guest_notify_count(w.port);
    for (;;) {
        unsigned st;

        /* The vCPU only looks at the slot when its event channel fires. */
        if (!spin_for_notify(&w) && !sim_wait_until(got_notify, &w, sim->ioreq_timeout_ms)) {
            if (sim->dm_exited || sim->terminating || sim->destroyed) {
                g_set_error(errp, XSIM_ERROR, 0,
                            "device model went away during the ioreq");
            } else {
                sim->vcpu_blocked[vcpu] = true;
                sim->vcpu_blocked_server[vcpu] = (int)s->id;
                crash(errp, "device model did not complete ioreq (server %u vcpu %u, "
                      "type %u addr 0x%" PRIx64 ", state %s after %u ms%s)", s->id, vcpu,
                      p->type, (uint64_t)p->addr, state_name(slot_state(slot)),
                      sim->ioreq_timeout_ms,
                      evtchn_guest_peer(w.port) ? ""
                          : "; its event channel is not bound by the device model");
            }
            return false;
        }
        w.seen_notifies = evtchn_guest_notify_count(w.port);
        st = slot_state(slot);
        if (st == STATE_IOREQ_NONE) {
            /* xen leaves its loop: the access completes with all-ones */
            sim_log("device model reset ioreq state to NONE (server %u vcpu %u)", s->id, vcpu);
            break;
        }
        if (st < prev) {
            slot_set_state(slot, STATE_IOREQ_NONE);
            crash(errp, "Weird HVM ioreq state transition %u -> %u (server %u vcpu %u): "
                  "domain crashed", prev, st, s->id, vcpu);
            return false;
        }
        if (st == STATE_IORESP_READY) {
            data = slot->data;
            __atomic_thread_fence(__ATOMIC_ACQUIRE);
            slot_set_state(slot, STATE_IOREQ_NONE);
            break;
        }
        if (st > STATE_IORESP_READY) {
            slot_set_state(slot, STATE_IOREQ_NONE);
            crash(errp, "Weird HVM iorequest state %u (server %u vcpu %u): domain crashed", st,
                  s->id, vcpu);
            return false;
        }
        prev = st;
    }
    if (needs_completion(p)) {
        p->data = data;
    }
    return true;
}

/* A vCPU whose previous ioreq timed out stays blocked until the DM answers it. */
static bool vcpu_check_blocked(unsigned vcpu, GError **errp)
{
    IoreqServer *s;
    ioreq_t *slot;
    unsigned st;

    if (!sim->vcpu_blocked[vcpu]) {
        return true;
    }
    s = get_server((unsigned)sim->vcpu_blocked_server[vcpu]);
    if (!s || !iopage(s)) {
        sim->vcpu_blocked[vcpu] = false;
        return true;
    }
    slot = &iopage(s)->vcpu_ioreq[vcpu];
    st = slot_state(slot);
    if (st == STATE_IORESP_READY || st == STATE_IOREQ_NONE) {
        slot_set_state(slot, STATE_IOREQ_NONE);
        sim->vcpu_blocked[vcpu] = false;
        return true;
    }
    g_set_error(errp, XSIM_ERROR, 0,
                "vcpu %u is still blocked: the device model never completed its ioreq "
                "(server %u, state %s)", vcpu, s->id, state_name(st));
    return false;
}

bool ioreq_send_raw(IoreqServer *s, unsigned vcpu, ioreq_t *p, GError **errp)
{
    ioreq_t *slot;
    uint32_t port = s->vcpu_port[vcpu];
    unsigned st;

    if (!vcpu_check_blocked(vcpu, errp)) {
        return false;
    }
    if (!iopage(s)) {
        crash(errp, "ioreq server %u has no ioreq page (never mapped)", s->id);
        return false;
    }
    slot = &iopage(s)->vcpu_ioreq[vcpu];
    st = slot_state(slot);
    if (st != STATE_IOREQ_NONE) {
        crash(errp, "device model set bad IO state %u (server %u vcpu %u)", st, s->id, vcpu);
        return false;
    }
    if (slot->vp_eport != port) {
        crash(errp, "device model set bad event channel %u (server %u vcpu %u, expected %u%s)",
              slot->vp_eport, s->id, vcpu, port,
              s->enabled ? "" : "; the server was never enabled");
        return false;
    }
    sim_trace("ioreq -> server %u vcpu %u: type %u addr 0x%" PRIx64 " data 0x%" PRIx64
              " size %u count %u dir %u ptr %u df %u", s->id, vcpu, p->type, (uint64_t)p->addr,
              (uint64_t)p->data, p->size, p->count, p->dir, p->data_is_ptr, p->df);
    p->state = STATE_IOREQ_NONE;
    p->vp_eport = port;
    *slot = *p;
    __atomic_thread_fence(__ATOMIC_RELEASE);
    slot_set_state(slot, STATE_IOREQ_READY);
    evtchn_guest_notify(port);
    if (!wait_for_completion(s, vcpu, p, errp)) {
        return false;
    }
    sim_trace("ioreq <- server %u vcpu %u: data 0x%" PRIx64, s->id, vcpu, (uint64_t)p->data);
    return true;
}

static bool invalidate_if_pending(GError **errp)
{
    if (!sim->invalidate_pending) {
        return true;
    }
    sim->invalidate_pending = false;
    return ioreq_broadcast_invalidate(errp);
}

static bool domain_runnable(void *opaque)
{
    return sim->pause_count == 0 || sim->destroyed;
}

bool sim_io(SimAccess *a, GError **errp)
{
    ioreq_t *p = &a->req;
    IoreqServer *s;

    if (sim->destroyed) {
        g_set_error(errp, XSIM_ERROR, 0, "domain %u no longer exists",
                    sim->domid);
        return false;
    }
    if (sim->pause_count && !sim_wait_until(domain_runnable, NULL, sim->ioreq_timeout_ms)) {
        g_set_error(errp, XSIM_ERROR, 0,
                    "domain %u stayed paused (pause count %u): its vcpus do not run",
                    sim->domid, sim->pause_count);
        return false;
    }
    if (!vcpu_check_blocked(a->vcpu, errp) || !invalidate_if_pending(errp)) {
        return false;
    }
    if (p->type == IOREQ_TYPE_PIO && !p->data_is_ptr && p->count == 1) {
        uint32_t v = (uint32_t)p->data;

        if (platform_pio((uint16_t)p->addr, p->size, p->dir == IOREQ_WRITE, &v)) {
            if (p->dir == IOREQ_READ) {
                p->data = v;
            }
            return true;
        }
    }
    if (p->type == IOREQ_TYPE_COPY && !p->data_is_ptr && p->count == 1) {
        uint64_t v = p->data;

        if (platform_mmio(p->addr, p->size, p->dir == IOREQ_WRITE, &v)) {
            if (p->dir == IOREQ_READ) {
                p->data = v;
            }
            return true;
        }
        /* xen: stdvga_mem_accept() takes single direct writes to the VGA window. */
        if (p->dir == IOREQ_WRITE && p->addr >= VGA_MEM_BASE &&
            p->addr + p->size <= VGA_MEM_BASE + VGA_MEM_SIZE) {
            ioreq_t copy = *p;

            s = ioreq_select(&copy);
            if (s && ioreq_send_buffered(s, &copy)) {
                sim_trace("buffered -> server %u: addr 0x%" PRIx64 " size %u data 0x%" PRIx64,
                          s->id, (uint64_t)p->addr, p->size, (uint64_t)p->data);
                return true;
            }
        }
    }
    s = ioreq_select(p);
    if (!s) {
        /* Nobody claims it: the null handler reads all-ones and drops writes. */
        if (p->dir == IOREQ_READ) {
            if (p->data_is_ptr) {
                uint64_t count = p->count, k;
                uint8_t ones[8];

                memset(ones, 0xff, sizeof(ones));
                for (k = 0; k < count; k++) {
                    uint64_t gpa = p->df ? p->data - k * p->size : p->data + k * p->size;

                    guest_ram_write(gpa, ones, MIN(p->size, 8u));
                }
            } else {
                p->data = p->size >= 8 ? ~0ULL : (1ULL << (p->size * 8)) - 1;
            }
        }
        return true;
    }
    return ioreq_send_raw(s, a->vcpu, p, errp);
}

bool ioreq_broadcast_invalidate(GError **errp)
{
    int id;

    for (id = XSIM_MAX_SERVERS - 1; id >= 0; id--) {
        IoreqServer *s = &sim->servers[id];
        ioreq_t p = {
            .type = IOREQ_TYPE_INVALIDATE, .size = 4, .dir = IOREQ_WRITE,
            .data = ~0ULL, .count = 0,
        };

        if (!s->used || !s->enabled) {
            continue;
        }
        sim_record("invalidate %u", s->id);
        if (!ioreq_send_raw(s, sim->qtest_vcpu, &p, errp)) {
            return false;
        }
    }
    return true;
}

unsigned ioreq_broadcast_timeoffset(int64_t delta)
{
    unsigned failed = 0;
    int id;

    if (delta == 0) {
        return 0;
    }
    for (id = XSIM_MAX_SERVERS - 1; id >= 0; id--) {
        IoreqServer *s = &sim->servers[id];
        ioreq_t p = {
            .type = IOREQ_TYPE_TIMEOFFSET, .size = 8, .count = 1, .dir = IOREQ_WRITE,
            .data = (uint64_t)delta,
        };

        if (!s->used || !s->enabled) {
            continue;
        }
        if (!ioreq_send_buffered(s, &p)) {
            failed++;
        }
    }
    if (failed) {
        sim_log("Unsuccessful timeoffset update (%u servers)", failed);
    }
    return failed;
}

void ioreq_describe(GString *out)
{
    unsigned id;

    for (id = 0; id < XSIM_MAX_SERVERS; id++) {
        IoreqServer *s = &sim->servers[id];
        unsigned t;

        if (!s->used) {
            continue;
        }
        g_string_append_printf(out, "%sserver %u %s bufioreq=%u ports=", out->len ? "; " : "",
                               id, s->enabled ? "enabled" : "disabled", s->bufioreq_mode);
        for (t = 0; t < sim->vcpus; t++) {
            g_string_append_printf(out, "%s%u", t ? "," : "", s->vcpu_port[t]);
        }
        if (handles_bufioreq(s)) {
            g_string_append_printf(out, " bufport=%u", s->buf_port);
        }
        for (t = 0; t < 3; t++) {
            if (rangeset_count(&s->ranges[t])) {
                g_string_append_printf(out, " %s=", range_type_name(t));
                rangeset_format(&s->ranges[t], out);
            }
        }
    }
}
