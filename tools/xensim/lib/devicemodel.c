/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libxendevicemodel.so.1 for xensim.  Every call builds the same
 * struct xen_dm_op the real library passes to the dm_op hypercall
 * (hdr:xen/hvm/dm_op.h) and hands it to xensim, which plays Xen's
 * xen/arch/x86/hvm/dm.c and xen/common/ioreq.c.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <xendevicemodel.h>

#include "tools/xensim/lib/client.h"
#include "tools/xensim/lib/toolcore.h"

_Static_assert(sizeof(struct xen_dm_op) <= sizeof(((struct xsim_dm_op_args *)0)->op),
               "xen_dm_op does not fit the xensim message");

/* Extents per message for modified_memory_bulk (16 bytes each). */
#define EXTENT_BATCH 4096

struct xendevicemodel_handle {
    XsimClient client;
    Xentoolcore__Active_Handle tc_ah;
};

static int dmod_restrict_cb(Xentoolcore__Active_Handle *ah, domid_t domid)
{
    xendevicemodel_handle *dmod = (void *)((char *)ah - offsetof(xendevicemodel_handle, tc_ah));

    return xendevicemodel_restrict(dmod, domid);
}

xendevicemodel_handle *xendevicemodel_open(struct xentoollog_logger *logger,
                                           unsigned int open_flags)
{
    xendevicemodel_handle *dmod = calloc(1, sizeof(*dmod));

    if (!dmod) {
        return NULL;
    }
    dmod->client.logger = logger;
    dmod->client.lib = "xendevicemodel";
    if (xsim_client_open(&dmod->client, XSIM_KIND_DEVICEMODEL, open_flags, 1, NULL, 0) < 0) {
        int saved = errno;

        free(dmod);
        errno = saved;
        return NULL;
    }
    dmod->tc_ah.restrict_callback = dmod_restrict_cb;
    xentoolcore__register_active_handle(&dmod->tc_ah);
    return dmod;
}

int xendevicemodel_close(xendevicemodel_handle *dmod)
{
    if (!dmod) {
        return 0;
    }
    xentoolcore__deregister_active_handle(&dmod->tc_ah);
    xsim_client_close(&dmod->client);
    free(dmod);
    return 0;
}

/*
 * Issue one dm_op.  in_buf/in_len: second hypercall buffer sent to xensim;
 * out_buf/out_len: second buffer filled by xensim; nr_bufs as the hypercall.
 * On success *op is updated with what "Xen" wrote back.
 */
static int do_dm_op(xendevicemodel_handle *dmod, domid_t domid, struct xen_dm_op *op,
                    unsigned nr_bufs, const void *in_buf, size_t in_len,
                    void *out_buf, size_t out_len)
{
    struct xsim_dm_op_args a = { .nr_bufs = nr_bufs };
    size_t reply_cap = sizeof(a) + out_len;
    char *reply;
    size_t got = 0;
    int rc;

    if (in_len > XSIM_MAX_MSG / 2 || out_len > XSIM_MAX_MSG / 2) {
        errno = E2BIG;
        return -1;
    }
    a.buf_size = (uint32_t)(in_buf ? in_len : out_len);
    memcpy(a.op, op, sizeof(*op));
    reply = malloc(reply_cap);
    if (!reply) {
        return -1;
    }
    rc = xsim_call(&dmod->client, XSIM_OP_DM_OP, domid, &a, sizeof(a), in_buf,
                   in_buf ? in_len : 0, reply, reply_cap, &got);
    if (rc >= 0) {
        if (got < sizeof(a) || got > reply_cap) {
            free(reply);
            errno = EPROTO;
            return -1;
        }
        memcpy(op, ((struct xsim_dm_op_args *)reply)->op, sizeof(*op));
        if (out_buf && got > sizeof(a)) {
            memcpy(out_buf, reply + sizeof(a), got - sizeof(a));
        }
    }
    free(reply);
    return rc < 0 ? -1 : 0;
}

int xendevicemodel_create_ioreq_server(xendevicemodel_handle *dmod, domid_t domid,
                                       int handle_bufioreq, ioservid_t *id)
{
    struct xen_dm_op op = { .op = XEN_DMOP_create_ioreq_server };

    op.u.create_ioreq_server.handle_bufioreq = handle_bufioreq;
    if (do_dm_op(dmod, domid, &op, 1, NULL, 0, NULL, 0) < 0) {
        return -1;
    }
    *id = op.u.create_ioreq_server.id;
    return 0;
}

int xendevicemodel_get_ioreq_server_info(xendevicemodel_handle *dmod, domid_t domid,
                                         ioservid_t id, xen_pfn_t *ioreq_gfn,
                                         xen_pfn_t *bufioreq_gfn,
                                         evtchn_port_t *bufioreq_port)
{
    struct xen_dm_op op = { .op = XEN_DMOP_get_ioreq_server_info };
    struct xen_dm_op_get_ioreq_server_info *data = &op.u.get_ioreq_server_info;

    data->id = id;
    /* Asking for no frame numbers must not make Xen allocate gfns for them. */
    if (!ioreq_gfn && !bufioreq_gfn) {
        data->flags |= XEN_DMOP_no_gfns;
    }
    if (do_dm_op(dmod, domid, &op, 1, NULL, 0, NULL, 0) < 0) {
        return -1;
    }
    if (ioreq_gfn) {
        *ioreq_gfn = data->ioreq_gfn;
    }
    if (bufioreq_gfn) {
        *bufioreq_gfn = data->bufioreq_gfn;
    }
    if (bufioreq_port) {
        *bufioreq_port = data->bufioreq_port;
    }
    return 0;
}

static int io_range_op(xendevicemodel_handle *dmod, domid_t domid, uint32_t dm_op,
                       ioservid_t id, uint32_t type, uint64_t start, uint64_t end)
{
    struct xen_dm_op op = { .op = dm_op };
    struct xen_dm_op_ioreq_server_range *data = &op.u.map_io_range_to_ioreq_server;

    data->id = id;
    data->type = type;
    data->start = start;
    data->end = end;
    return do_dm_op(dmod, domid, &op, 1, NULL, 0, NULL, 0);
}

int xendevicemodel_map_io_range_to_ioreq_server(xendevicemodel_handle *dmod, domid_t domid,
                                                ioservid_t id, int is_mmio,
                                                uint64_t start, uint64_t end)
{
    return io_range_op(dmod, domid, XEN_DMOP_map_io_range_to_ioreq_server, id,
                       is_mmio ? XEN_DMOP_IO_RANGE_MEMORY : XEN_DMOP_IO_RANGE_PORT, start, end);
}

int xendevicemodel_unmap_io_range_from_ioreq_server(xendevicemodel_handle *dmod, domid_t domid,
                                                    ioservid_t id, int is_mmio,
                                                    uint64_t start, uint64_t end)
{
    return io_range_op(dmod, domid, XEN_DMOP_unmap_io_range_from_ioreq_server, id,
                       is_mmio ? XEN_DMOP_IO_RANGE_MEMORY : XEN_DMOP_IO_RANGE_PORT, start, end);
}

int xendevicemodel_map_mem_type_to_ioreq_server(xendevicemodel_handle *dmod, domid_t domid,
                                                ioservid_t id, uint16_t type, uint32_t flags)
{
    struct xen_dm_op op = { .op = XEN_DMOP_map_mem_type_to_ioreq_server };

    op.u.map_mem_type_to_ioreq_server.id = id;
    op.u.map_mem_type_to_ioreq_server.type = type;
    op.u.map_mem_type_to_ioreq_server.flags = flags;
    op.u.map_mem_type_to_ioreq_server.opaque = 0;
    return do_dm_op(dmod, domid, &op, 1, NULL, 0, NULL, 0);
}

int xendevicemodel_map_pcidev_to_ioreq_server(xendevicemodel_handle *dmod, domid_t domid,
                                              ioservid_t id, uint16_t segment, uint8_t bus,
                                              uint8_t device, uint8_t function)
{
    uint64_t sbdf;

    /* Xen's SBDF encoding silently drops bits beyond the field widths. */
    sbdf = XEN_DMOP_PCI_SBDF(segment, bus, device, function);
    return io_range_op(dmod, domid, XEN_DMOP_map_io_range_to_ioreq_server, id,
                       XEN_DMOP_IO_RANGE_PCI, sbdf, sbdf);
}

int xendevicemodel_unmap_pcidev_from_ioreq_server(xendevicemodel_handle *dmod, domid_t domid,
                                                  ioservid_t id, uint16_t segment, uint8_t bus,
                                                  uint8_t device, uint8_t function)
{
    uint64_t sbdf = XEN_DMOP_PCI_SBDF(segment, bus, device, function);

    return io_range_op(dmod, domid, XEN_DMOP_unmap_io_range_from_ioreq_server, id,
                       XEN_DMOP_IO_RANGE_PCI, sbdf, sbdf);
}

int xendevicemodel_destroy_ioreq_server(xendevicemodel_handle *dmod, domid_t domid,
                                        ioservid_t id)
{
    struct xen_dm_op op = { .op = XEN_DMOP_destroy_ioreq_server };

    op.u.destroy_ioreq_server.id = id;
    return do_dm_op(dmod, domid, &op, 1, NULL, 0, NULL, 0);
}

int xendevicemodel_set_ioreq_server_state(xendevicemodel_handle *dmod, domid_t domid,
                                          ioservid_t id, int enabled)
{
    struct xen_dm_op op = { .op = XEN_DMOP_set_ioreq_server_state };

    op.u.set_ioreq_server_state.id = id;
    op.u.set_ioreq_server_state.enabled = !!enabled;
    return do_dm_op(dmod, domid, &op, 1, NULL, 0, NULL, 0);
}

int xendevicemodel_set_pci_intx_level(xendevicemodel_handle *dmod, domid_t domid,
                                      uint16_t segment, uint8_t bus, uint8_t device,
                                      uint8_t intx, unsigned int level)
{
    struct xen_dm_op op = { .op = XEN_DMOP_set_pci_intx_level };

    op.u.set_pci_intx_level.domain = segment;
    op.u.set_pci_intx_level.bus = bus;
    op.u.set_pci_intx_level.device = device;
    op.u.set_pci_intx_level.intx = intx;
    op.u.set_pci_intx_level.level = level;
    return do_dm_op(dmod, domid, &op, 1, NULL, 0, NULL, 0);
}

int xendevicemodel_set_isa_irq_level(xendevicemodel_handle *dmod, domid_t domid,
                                     uint8_t irq, unsigned int level)
{
    struct xen_dm_op op = { .op = XEN_DMOP_set_isa_irq_level };

    op.u.set_isa_irq_level.isa_irq = irq;
    op.u.set_isa_irq_level.level = level;
    return do_dm_op(dmod, domid, &op, 1, NULL, 0, NULL, 0);
}

int xendevicemodel_set_irq_level(xendevicemodel_handle *dmod, domid_t domid,
                                 unsigned int irq, unsigned int level)
{
    struct xen_dm_op op = { .op = XEN_DMOP_set_irq_level };

    op.u.set_irq_level.irq = irq;
    op.u.set_irq_level.level = level;
    return do_dm_op(dmod, domid, &op, 1, NULL, 0, NULL, 0);
}

int xendevicemodel_set_pci_link_route(xendevicemodel_handle *dmod, domid_t domid,
                                      uint8_t link, uint8_t irq)
{
    struct xen_dm_op op = { .op = XEN_DMOP_set_pci_link_route };

    op.u.set_pci_link_route.link = link;
    op.u.set_pci_link_route.isa_irq = irq;
    return do_dm_op(dmod, domid, &op, 1, NULL, 0, NULL, 0);
}

int xendevicemodel_inject_msi(xendevicemodel_handle *dmod, domid_t domid,
                              uint64_t msi_addr, uint32_t msi_data)
{
    struct xen_dm_op op = { .op = XEN_DMOP_inject_msi };

    op.u.inject_msi.addr = msi_addr;
    op.u.inject_msi.data = msi_data;
    return do_dm_op(dmod, domid, &op, 1, NULL, 0, NULL, 0);
}

int xendevicemodel_track_dirty_vram(xendevicemodel_handle *dmod, domid_t domid,
                                    uint64_t first_pfn, uint32_t nr,
                                    unsigned long *dirty_bitmap)
{
    struct xen_dm_op op = { .op = XEN_DMOP_track_dirty_vram };

    op.u.track_dirty_vram.first_pfn = first_pfn;
    op.u.track_dirty_vram.nr = nr;
    return do_dm_op(dmod, domid, &op, 2, NULL, 0, dirty_bitmap,
                    dirty_bitmap ? ((size_t)nr + 7) / 8 : 0);
}

int xendevicemodel_modified_memory_bulk(xendevicemodel_handle *dmod, domid_t domid,
                                        struct xen_dm_op_modified_memory_extent extents[],
                                        uint32_t nr)
{
    uint32_t done = 0;

    do {
        uint32_t n = nr - done < EXTENT_BATCH ? nr - done : EXTENT_BATCH;
        struct xen_dm_op op = { .op = XEN_DMOP_modified_memory };

        op.u.modified_memory.nr_extents = n;
        op.u.modified_memory.opaque = 0;
        if (do_dm_op(dmod, domid, &op, 2, extents + done, (size_t)n * sizeof(*extents),
                     NULL, 0) < 0) {
            return -1;
        }
        done += n;
    } while (done < nr);
    return 0;
}

int xendevicemodel_modified_memory(xendevicemodel_handle *dmod, domid_t domid,
                                   uint64_t first_pfn, uint32_t nr)
{
    struct xen_dm_op_modified_memory_extent extent = { .first_pfn = first_pfn, .nr = nr };

    return xendevicemodel_modified_memory_bulk(dmod, domid, &extent, 1);
}

int xendevicemodel_set_mem_type(xendevicemodel_handle *dmod, domid_t domid,
                                hvmmem_type_t mem_type, uint64_t first_pfn, uint32_t nr)
{
    struct xen_dm_op op = { .op = XEN_DMOP_set_mem_type };

    op.u.set_mem_type.mem_type = mem_type;
    op.u.set_mem_type.first_pfn = first_pfn;
    op.u.set_mem_type.nr = nr;
    return do_dm_op(dmod, domid, &op, 1, NULL, 0, NULL, 0);
}

int xendevicemodel_inject_event(xendevicemodel_handle *dmod, domid_t domid, int vcpu,
                                uint8_t vector, uint8_t type, uint32_t error_code,
                                uint8_t insn_len, uint64_t extra)
{
    struct xen_dm_op op = { .op = XEN_DMOP_inject_event };

    op.u.inject_event.vcpuid = vcpu;
    op.u.inject_event.vector = vector;
    op.u.inject_event.type = type;
    op.u.inject_event.error_code = error_code;
    op.u.inject_event.insn_len = insn_len;
    op.u.inject_event.cr2 = extra;
    return do_dm_op(dmod, domid, &op, 1, NULL, 0, NULL, 0);
}

int xendevicemodel_shutdown(xendevicemodel_handle *dmod, domid_t domid, unsigned int reason)
{
    struct xen_dm_op op = { .op = XEN_DMOP_remote_shutdown };

    op.u.remote_shutdown.reason = reason;
    return do_dm_op(dmod, domid, &op, 1, NULL, 0, NULL, 0);
}

int xendevicemodel_relocate_memory(xendevicemodel_handle *dmod, domid_t domid, uint32_t size,
                                   uint64_t src_gfn, uint64_t dst_gfn)
{
    struct xen_dm_op op = { .op = XEN_DMOP_relocate_memory };

    op.u.relocate_memory.size = size;
    op.u.relocate_memory.src_gfn = src_gfn;
    op.u.relocate_memory.dst_gfn = dst_gfn;
    return do_dm_op(dmod, domid, &op, 1, NULL, 0, NULL, 0);
}

int xendevicemodel_pin_memory_cacheattr(xendevicemodel_handle *dmod, domid_t domid,
                                        uint64_t start, uint64_t end, uint32_t type)
{
    struct xen_dm_op op = { .op = XEN_DMOP_pin_memory_cacheattr };

    op.u.pin_memory_cacheattr.start = start;
    op.u.pin_memory_cacheattr.end = end;
    op.u.pin_memory_cacheattr.type = type;
    return do_dm_op(dmod, domid, &op, 1, NULL, 0, NULL, 0);
}

int xendevicemodel_nr_vcpus(xendevicemodel_handle *dmod, domid_t domid, unsigned int *vcpus)
{
    struct xen_dm_op op = { .op = XEN_DMOP_nr_vcpus };

    if (do_dm_op(dmod, domid, &op, 1, NULL, 0, NULL, 0) < 0) {
        return -1;
    }
    *vcpus = op.u.nr_vcpus.vcpus;
    return 0;
}

int xendevicemodel_restrict(xendevicemodel_handle *dmod, domid_t domid)
{
    int rc = xsim_call(&dmod->client, XSIM_OP_RESTRICT, domid, NULL, 0, NULL, 0, NULL, 0, NULL);

    return rc < 0 ? -1 : 0;
}
