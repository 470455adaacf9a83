/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * xensim-test-libs: checks the replacement Xen libraries at the API level,
 * running as the "device model" under xensim.  Linked against Debian's
 * libraries (real headers, real symbol versions); xensim substitutes its
 * own.  Prints one TAP line per check ("ok - name" / "not ok - name: why")
 * and exits with the number of failures, which xensim passes on.
 *
 *   xensim --domid N --vcpus 2 -- xensim-test-libs [--exit STATUS]
 *
 * Errno expectations are Xen 4.17's (xen:xen/common/ioreq.c,
 * xen:xen/arch/x86/hvm/dm.c, xen:xen/common/event_channel.c).
 */
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include <xenctrl.h>
#include <xendevicemodel.h>
#include <xenevtchn.h>
#include <xenforeignmemory.h>
#include <xengnttab.h>
#include <xenstore.h>
#include <xentoolcore.h>
#include <xen/hvm/ioreq.h>
#include <xen/hvm/params.h>
#include <xen/memory.h>

#include "tools/xensim/proto.h"

static domid_t domid;
static unsigned failures;
static xc_interface *xch;
static xendevicemodel_handle *dmod;
static xenforeignmemory_handle *fmem;

static void result(bool ok, const char *name, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void result(bool ok, const char *name, const char *fmt, ...)
{
    va_list ap;

    if (ok) {
        printf("ok - %s\n", name);
    } else {
        failures++;
        printf("not ok - %s: ", name);
        va_start(ap, fmt);
        vprintf(fmt, ap);
        va_end(ap);
        printf("\n");
    }
    fflush(stdout);
}

/* A call that must fail with a given errno. */
#define EXPECT_ERRNO(name, call, want)                                                   \
    do {                                                                                 \
        int rc_ = (call);                                                                \
        int e_ = errno;                                                                  \
        result(rc_ < 0 && e_ == (want), name, "rc %d errno %s, want %s", rc_,           \
               strerror(e_), strerror(want));                                            \
    } while (0)

#define EXPECT_OK(name, call)                                                            \
    do {                                                                                 \
        int rc_ = (call);                                                                \
        result(rc_ >= 0, name, "rc %d errno %s", rc_, strerror(errno));                 \
    } while (0)

static bool readable(int fd, int timeout_ms)
{
    struct pollfd p = { .fd = fd, .events = POLLIN };

    return poll(&p, 1, timeout_ms) == 1 && (p.revents & POLLIN);
}

static void test_xc(void)
{
    xc_dominfo_t info;
    xc_domaininfo_t list[4];
    uint64_t v = 0;
    int n;

    result(xc_version(xch, XENVER_version, NULL) == ((4 << 16) | 17), "xc_version",
           "not 4.17");
    n = xc_domain_getinfo(xch, domid, 1, &info);
    result(n == 1 && info.domid == domid && info.hvm && info.paused && !info.shutdown,
           "getinfo: our HVM domain, paused until the DM runs", "n %d domid %u hvm %u paused %u",
           n, info.domid, info.hvm, info.paused);
    n = xc_domain_getinfolist(xch, 0, 4, list);
    result(n == 2 && list[0].domain == 0 && list[1].domain == domid &&
           (list[1].flags & XEN_DOMINF_hvm_guest), "getinfolist: dom0 and the guest", "n %d", n);
    n = xc_domain_getinfo(xch, domid + 1, 1, &info);
    result(n == 0, "getinfo past the last domain", "n %d", n);
    result(xc_hvm_param_get(xch, domid, HVM_PARAM_IOREQ_SERVER_PFN, &v) == 0 && v == 0xfeff0,
           "ioreq server gfn pool param", "0x%" PRIx64, v);
    EXPECT_OK("hvm_param_set ACPI_S_STATE", xc_hvm_param_set(xch, domid, HVM_PARAM_ACPI_S_STATE, 3));
    result(xc_hvm_param_get(xch, domid, HVM_PARAM_ACPI_S_STATE, &v) == 0 && v == 3,
           "hvm_param_get returns the value set", "0x%" PRIx64, v);
    EXPECT_OK("hvm_param_set ACPI_S_STATE back", xc_hvm_param_set(xch, domid, HVM_PARAM_ACPI_S_STATE, 0));
    EXPECT_ERRNO("hvm_param out of range", xc_hvm_param_get(xch, domid, HVM_NR_PARAMS, &v), EINVAL);
    EXPECT_ERRNO("ops on a domain that does not exist", xc_domain_pause(xch, 999), ESRCH);
    EXPECT_OK("pause", xc_domain_pause(xch, domid));
    EXPECT_OK("unpause", xc_domain_unpause(xch, domid));
}

static void test_servers(void)
{
    ioservid_t ids[9];
    unsigned vcpus = 0;
    int i;

    result(xendevicemodel_nr_vcpus(dmod, domid, &vcpus) == 0 && vcpus == 2, "nr_vcpus",
           "%u", vcpus);
    EXPECT_ERRNO("create: bufioreq mode 3", xendevicemodel_create_ioreq_server(dmod, domid, 3,
                                                                                &ids[0]),
                 EINVAL);
    for (i = 0; i < 8; i++) {
        if (xendevicemodel_create_ioreq_server(dmod, domid, HVM_IOREQSRV_BUFIOREQ_ATOMIC,
                                               &ids[i]) < 0) {
            break;
        }
    }
    result(i == 8 && ids[0] == 0 && ids[7] == 7, "eight servers", "created %d", i);
    EXPECT_ERRNO("a ninth server", xendevicemodel_create_ioreq_server(dmod, domid, 0, &ids[8]),
                 ENOSPC);
    for (i = 0; i < 8; i++) {
        xendevicemodel_destroy_ioreq_server(dmod, domid, ids[i]);
    }
    EXPECT_ERRNO("destroy twice", xendevicemodel_destroy_ioreq_server(dmod, domid, ids[0]), ENOENT);
    EXPECT_ERRNO("enable unknown", xendevicemodel_set_ioreq_server_state(dmod, domid, 5, 1), ENOENT);
    EXPECT_ERRNO("server id out of range", xendevicemodel_set_ioreq_server_state(dmod, domid, 100, 1),
                 ENOENT);
}

static void test_ranges(void)
{
    ioservid_t id;
    int i, rc = 0;

    xendevicemodel_create_ioreq_server(dmod, domid, 0, &id);
    EXPECT_OK("map ports 0x100-0x10f", xendevicemodel_map_io_range_to_ioreq_server(dmod, domid, id, 0, 0x100, 0x10f));
    EXPECT_ERRNO("overlapping range", xendevicemodel_map_io_range_to_ioreq_server(dmod, domid, id, 0, 0x10f, 0x110),
                 EEXIST);
    EXPECT_OK("adjacent range", xendevicemodel_map_io_range_to_ioreq_server(dmod, domid, id, 0, 0x110, 0x11f));
    EXPECT_OK("unmap across the merged ranges",
              xendevicemodel_unmap_io_range_from_ioreq_server(dmod, domid, id, 0, 0x108, 0x117));
    EXPECT_ERRNO("unmap what is gone", xendevicemodel_unmap_io_range_from_ioreq_server(dmod, domid, id, 0, 0x108, 0x108),
                 ENOENT);
    EXPECT_ERRNO("start > end", xendevicemodel_map_io_range_to_ioreq_server(dmod, domid, id, 1, 0x2000, 0x1000),
                 EINVAL);
    EXPECT_OK("same range as MMIO is another type", xendevicemodel_map_io_range_to_ioreq_server(dmod, domid, id, 1, 0x100, 0x10f));
    EXPECT_OK("map a PCI device", xendevicemodel_map_pcidev_to_ioreq_server(dmod, domid, id, 0, 0, 3, 0));
    EXPECT_ERRNO("map it twice", xendevicemodel_map_pcidev_to_ioreq_server(dmod, domid, id, 0, 0, 3, 0), EEXIST);
    EXPECT_ERRNO("unmap a device never mapped", xendevicemodel_unmap_pcidev_from_ioreq_server(dmod, domid, id, 0, 0, 4, 0),
                 ENOENT);
    /* 0x100-0x107 and 0x118-0x11f are left: fill up to 256 ranges. */
    for (i = 0; i < 254 && rc == 0; i++) {
        rc = xendevicemodel_map_io_range_to_ioreq_server(dmod, domid, id, 0, 0x1000 + i * 4,
                                                         0x1000 + i * 4 + 1);
    }
    result(rc == 0, "256 port ranges", "failed at %d: %s", i, strerror(errno));
    EXPECT_ERRNO("the 257th range", xendevicemodel_map_io_range_to_ioreq_server(dmod, domid, id, 0, 0x8000, 0x8000),
                 ENOMEM);
    xendevicemodel_destroy_ioreq_server(dmod, domid, id);
}

static void test_pages(void)
{
    ioservid_t id, plain;
    void *addr = NULL;
    xenforeignmemory_resource_handle *fres;
    shared_iopage_t *iop;
    evtchn_port_t bufport = 0;
    size_t size = 0;

    xendevicemodel_create_ioreq_server(dmod, domid, HVM_IOREQSRV_BUFIOREQ_ATOMIC, &id);
    result(xenforeignmemory_resource_size(fmem, domid, XENMEM_resource_ioreq_server, id, &size) == 0 &&
           size == 2 * 4096, "resource size: buffered + one ioreq page", "%zu", size);
    fres = xenforeignmemory_map_resource(fmem, domid, XENMEM_resource_ioreq_server, id, 0, 2,
                                         &addr, PROT_READ | PROT_WRITE, 0);
    result(fres != NULL, "map_resource frames 0-1", "%s", strerror(errno));
    if (!fres) {
        return;
    }
    iop = (shared_iopage_t *)((uint8_t *)addr + 4096);
    result(iop->vcpu_ioreq[0].vp_eport == 0, "no vp_eport while disabled", "%u",
           iop->vcpu_ioreq[0].vp_eport);
    xendevicemodel_get_ioreq_server_info(dmod, domid, id, NULL, NULL, &bufport);
    EXPECT_OK("enable", xendevicemodel_set_ioreq_server_state(dmod, domid, id, 1));
    result(iop->vcpu_ioreq[0].vp_eport != 0 && iop->vcpu_ioreq[1].vp_eport != 0 &&
           iop->vcpu_ioreq[0].vp_eport != iop->vcpu_ioreq[1].vp_eport && bufport != 0,
           "per-vcpu ports published on enable", "%u %u buf %u", iop->vcpu_ioreq[0].vp_eport,
           iop->vcpu_ioreq[1].vp_eport, bufport);
    EXPECT_ERRNO("frame 2 does not exist",
                 xenforeignmemory_map_resource(fmem, domid, XENMEM_resource_ioreq_server, id, 2, 1,
                                               NULL, PROT_READ, 0) ? 0 : -1, EINVAL);
    EXPECT_ERRNO("grant table resources are not simulated",
                 xenforeignmemory_map_resource(fmem, domid, XENMEM_resource_grant_table, 0, 0, 1,
                                               NULL, PROT_READ, 0) ? 0 : -1, EOPNOTSUPP);
    {
        xen_pfn_t g1, g2;

        EXPECT_ERRNO("gfns after resource mapping",
                     xendevicemodel_get_ioreq_server_info(dmod, domid, id, &g1, &g2, NULL), EPERM);
    }
    xendevicemodel_create_ioreq_server(dmod, domid, HVM_IOREQSRV_BUFIOREQ_OFF, &plain);
    EXPECT_ERRNO("no buffered frame without buffering",
                 xenforeignmemory_map_resource(fmem, domid, XENMEM_resource_ioreq_server, plain, 0,
                                               1, NULL, PROT_READ, 0) ? 0 : -1, ENOENT);
    xenforeignmemory_unmap_resource(fmem, fres);
    xendevicemodel_destroy_ioreq_server(dmod, domid, plain);
    xendevicemodel_destroy_ioreq_server(dmod, domid, id);
}

static void test_evtchn(void)
{
    xenevtchn_handle *a = xenevtchn_open(NULL, 0), *b = xenevtchn_open(NULL, 0);
    int pa, pb, p;

    if (!a || !b) {
        result(false, "evtchn open", "%s", strerror(errno));
        return;
    }
    pa = xenevtchn_bind_unbound_port(a, 0);
    pb = xenevtchn_bind_interdomain(b, 0, (evtchn_port_t)pa);
    result(pa > 0 && pb > 0 && pa != pb, "loopback channel in dom0", "%d %d", pa, pb);
    result(readable(xenevtchn_fd(b), 1000) && xenevtchn_pending(b) == pb,
           "binding sets the new port pending", "failed");
    xenevtchn_notify(a, (evtchn_port_t)pa);
    result(!readable(xenevtchn_fd(b), 100), "a reported port stays masked", "failed");
    xenevtchn_unmask(b, (evtchn_port_t)pb);
    result(readable(xenevtchn_fd(b), 1000) && xenevtchn_pending(b) == pb,
           "unmask delivers what was pending", "failed");
    xenevtchn_unmask(b, (evtchn_port_t)pb);
    result(!readable(xenevtchn_fd(b), 100), "nothing more pending", "failed");
    xenevtchn_notify(b, (evtchn_port_t)pb);
    result(readable(xenevtchn_fd(a), 1000) && xenevtchn_pending(a) == pa,
           "notify reaches the other end", "failed");
    EXPECT_ERRNO("notify a port of another handle", xenevtchn_notify(a, (evtchn_port_t)pb), EINVAL);
    EXPECT_ERRNO("bind to an unbound port twice", xenevtchn_bind_interdomain(b, 0, (evtchn_port_t)pa),
                 EINVAL);
    EXPECT_ERRNO("bind to a domain that does not exist", xenevtchn_bind_interdomain(a, 999, 1), ESRCH);
    EXPECT_ERRNO("bind to port 0 of the guest", xenevtchn_bind_interdomain(a, domid, 0), EINVAL);
    EXPECT_OK("unbind", xenevtchn_unbind(b, (evtchn_port_t)pb));
    EXPECT_ERRNO("unbind twice", xenevtchn_unbind(b, (evtchn_port_t)pb), EINVAL);
    pb = xenevtchn_bind_interdomain(b, 0, (evtchn_port_t)pa);
    result(pb > 0, "closing one end leaves the other unbound again", "%s", strerror(errno));
    p = xenevtchn_bind_virq(a, VIRQ_DOM_EXC);
    result(p > 0, "bind VIRQ_DOM_EXC", "%s", strerror(errno));
    EXPECT_ERRNO("bind it twice", xenevtchn_bind_virq(b, VIRQ_DOM_EXC), EEXIST);
    xenevtchn_close(a);
    xenevtchn_close(b);
}

static void test_foreign_memory(void)
{
    xen_pfn_t pfns[4] = { 0, 1, 0xa0, 0xfffffff };
    int err[4] = { 1, 1, 1, 1 };
    uint8_t *m, *m2;

    m = xenforeignmemory_map(fmem, domid, PROT_READ | PROT_WRITE, 4, pfns, err);
    result(m && err[0] == 0 && err[1] == 0 && err[2] == -EINVAL && err[3] == -EINVAL,
           "per-frame errors: RAM, RAM, VGA hole, beyond RAM", "%d %d %d %d", err[0], err[1],
           err[2], err[3]);
    if (!m) {
        return;
    }
    m[4096 + 5] = 0x42;
    m2 = xenforeignmemory_map(fmem, domid, PROT_READ, 1, &pfns[1], NULL);
    result(m2 && m2[5] == 0x42, "two mappings of one frame share it", "failed");
    if (m2) {
        xenforeignmemory_unmap(fmem, m2, 1);
    }
    xenforeignmemory_unmap(fmem, m, 4);
    m = xenforeignmemory_map(fmem, domid, PROT_READ, 1, &pfns[2], NULL);
    result(!m && errno == EINVAL, "without err[] a bad frame fails the call", "%s",
           strerror(errno));
    {
        xen_pfn_t vram[4] = { 0x200000, 0x200001, 0x200002, 0x200003 };

        EXPECT_OK("populate_physmap_exact beyond RAM",
                  xc_domain_populate_physmap_exact(xch, domid, 4, 0, 0, vram));
        m = xenforeignmemory_map(fmem, domid, PROT_READ | PROT_WRITE, 4, vram, NULL);
        result(m && m[0] == 0 && m[3 * 4096 + 4095] == 0, "populated frames map, zeroed", "failed");
        if (m) {
            xenforeignmemory_unmap(fmem, m, 4);
        }
    }
    {
        xen_pfn_t huge = 0x400000;

        EXPECT_ERRNO("populating beyond maxmem",
                     xc_domain_populate_physmap_exact(xch, domid, 1, 18, 0, &huge), ENOMEM);
    }
}

static void test_dm_op_checks(void)
{
    unsigned long bitmap[4];

    EXPECT_ERRNO("ISA IRQ 16", xendevicemodel_set_isa_irq_level(dmod, domid, 16, 1), EINVAL);
    EXPECT_ERRNO("ISA IRQ level 2", xendevicemodel_set_isa_irq_level(dmod, domid, 3, 2), EINVAL);
    EXPECT_ERRNO("INTx of device 32", xendevicemodel_set_pci_intx_level(dmod, domid, 0, 0, 32, 0, 1),
                 EINVAL);
    EXPECT_ERRNO("INTx on bus 1", xendevicemodel_set_pci_intx_level(dmod, domid, 0, 1, 3, 0, 1), EINVAL);
    EXPECT_ERRNO("PCI link 4", xendevicemodel_set_pci_link_route(dmod, domid, 4, 5), EINVAL);
    EXPECT_OK("inject_msi", xendevicemodel_inject_msi(dmod, domid, 0xfee00000, 0x30));
    EXPECT_ERRNO("inject_event on vcpu 99", xendevicemodel_inject_event(dmod, domid, 99, 14, 3, 0, 0, 0),
                 EINVAL);
    EXPECT_OK("modified_memory without log-dirty is a no-op",
              xendevicemodel_modified_memory(dmod, domid, 0xffffffffff, 1));
    EXPECT_ERRNO("track_dirty_vram over 1 GiB",
                 xendevicemodel_track_dirty_vram(dmod, domid, 0, 1 << 20, NULL), EINVAL);
    EXPECT_OK("track_dirty_vram", xendevicemodel_track_dirty_vram(dmod, domid, 0x100, 200, bitmap));
    result(bitmap[0] == ~0UL, "a new tracked region is all dirty", "0x%lx", bitmap[0]);
    EXPECT_OK("stop tracking", xendevicemodel_track_dirty_vram(dmod, domid, 0, 0, NULL));
    EXPECT_ERRNO("set_mem_type unused", xendevicemodel_set_mem_type(dmod, domid, HVMMEM_unused, 0x100, 1),
                 EINVAL);
    EXPECT_ERRNO("set_mem_type ioreq_server with no server claiming it",
                 xendevicemodel_set_mem_type(dmod, domid, HVMMEM_ioreq_server, 0x100, 1), EINVAL);
    EXPECT_OK("set_mem_type ram_ro", xendevicemodel_set_mem_type(dmod, domid, HVMMEM_ram_ro, 0xc0, 0x40));
    EXPECT_OK("set_mem_type back to ram_rw", xendevicemodel_set_mem_type(dmod, domid, HVMMEM_ram_rw, 0xc0, 0x40));
    EXPECT_ERRNO("set_mem_type beyond the p2m",
                 xendevicemodel_set_mem_type(dmod, domid, HVMMEM_ram_rw, 0xfffffffff, 1), EINVAL);
    EXPECT_ERRNO("pin_memory_cacheattr bad type",
                 xendevicemodel_pin_memory_cacheattr(dmod, domid, 0x100, 0x200, 2), EINVAL);
    EXPECT_OK("pin_memory_cacheattr WB",
              xendevicemodel_pin_memory_cacheattr(dmod, domid, 0x100, 0x200, XEN_DMOP_MEM_CACHEATTR_WB));
    EXPECT_ERRNO("relocate from a hole", xendevicemodel_relocate_memory(dmod, domid, 1, 0xa0, 0x900),
                 EINVAL);
    EXPECT_ERRNO("set_irq_level is Arm-only", xendevicemodel_set_irq_level(dmod, domid, 5, 1),
                 EOPNOTSUPP);
}

static void test_grants(void)
{
    xengnttab_handle *g = xengnttab_open(NULL, 0);
    xengnttab_grant_copy_segment_t seg;
    uint8_t buf[16];

    if (!g) {
        result(false, "gnttab open", "%s", strerror(errno));
        return;
    }
    result(xengnttab_map_grant_ref(g, domid, 77, PROT_READ) == NULL && errno == EINVAL,
           "mapping an unknown grant", "%s", strerror(errno));
    memset(&seg, 0, sizeof(seg));
    seg.source.foreign.ref = 77;
    seg.source.foreign.domid = domid;
    seg.dest.virt = buf;
    seg.len = sizeof(buf);
    seg.flags = GNTCOPY_source_gref;
    result(xengnttab_grant_copy(g, 1, &seg) == 0 && seg.status == GNTST_bad_gntref,
           "grant copy from an unknown grant", "status %d", seg.status);
    seg.source.foreign.offset = 4090;
    result(xengnttab_grant_copy(g, 1, &seg) == 0 && seg.status == GNTST_bad_copy_arg,
           "grant copy across a page", "status %d", seg.status);
    xengnttab_close(g);
}

/*
 * A broken or hostile client of $XENSIM_SOCKET (the protocol of
 * tools/xensim/proto.h, spoken by hand): xensim answers -EINVAL/-EPROTO or
 * drops the connection, and keeps serving everyone else.
 */
static int raw_connect(void)
{
    struct sockaddr_un addr = { .sun_family = AF_UNIX };
    const char *path = getenv("XENSIM_SOCKET");
    int fd = socket(AF_UNIX, SOCK_SEQPACKET, 0);

    if (!path || fd < 0 || strlen(path) >= sizeof(addr.sun_path)) {
        return -1;
    }
    strcpy(addr.sun_path, path);
    if (connect(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0) {
        close(fd);
        return -1;
    }
    return fd;
}

/* Send a datagram; return the answer's rc, or 1 if the connection was dropped. */
static int raw_exchange(int fd, const void *msg, size_t len)
{
    struct { int32_t rc; uint32_t len; uint8_t payload[256]; } rsp;
    struct pollfd p = { .fd = fd, .events = POLLIN };
    ssize_t n;

    if (send(fd, msg, len, MSG_NOSIGNAL) < 0) {
        return 1;
    }
    if (poll(&p, 1, 2000) != 1) {
        return 2;   /* no answer at all: wrong */
    }
    n = recv(fd, &rsp, sizeof(rsp), 0);
    return n <= 0 ? 1 : rsp.rc;
}

static void test_hostile_client(void)
{
    uint8_t buf[64];
    struct xsim_req_hdr h;
    int fd = raw_connect(), rc;
    unsigned vcpus = 0;

    if (fd < 0) {
        result(false, "raw connection to xensim", "%s", strerror(errno));
        return;
    }
    h = (struct xsim_req_hdr){ .op = XSIM_OP_EVTCHN_BIND_UNBOUND, .len = 8 };
    memset(buf, 0, sizeof(buf));
    memcpy(buf, &h, sizeof(h));
    result(raw_exchange(fd, buf, sizeof(h) + 8) == -EPROTO, "an op before HELLO", "failed");
    {
        struct xsim_hello hello = { XENSIM_PROTO_VERSION, XSIM_KIND_XC, (uint32_t)getpid(), 0 };

        h = (struct xsim_req_hdr){ .op = XSIM_OP_HELLO, .len = sizeof(hello) };
        memcpy(buf, &h, sizeof(h));
        memcpy(buf + sizeof(h), &hello, sizeof(hello));
        result(raw_exchange(fd, buf, sizeof(h) + sizeof(hello)) == 0, "HELLO", "failed");
        result(raw_exchange(fd, buf, sizeof(h) + sizeof(hello)) == -EINVAL, "a second HELLO",
               "failed");
    }
    h = (struct xsim_req_hdr){ .op = 999, .domid = domid };
    result(raw_exchange(fd, &h, sizeof(h)) == -ENOSYS, "an unknown op", "failed");
    h = (struct xsim_req_hdr){ .op = XSIM_OP_HVM_PARAM_GET, .domid = domid, .len = 3 };
    memcpy(buf, &h, sizeof(h));
    result(raw_exchange(fd, buf, sizeof(h) + 3) == -EINVAL, "a truncated argument", "failed");
    h = (struct xsim_req_hdr){ .op = XSIM_OP_DM_OP, .domid = domid,
                               .len = sizeof(struct xsim_dm_op_args) };
    {
        uint8_t big[sizeof(h) + sizeof(struct xsim_dm_op_args)];
        uint32_t nr_bufs = 7;

        memset(big, 0, sizeof(big));
        memcpy(big, &h, sizeof(h));
        memcpy(big + sizeof(h), &nr_bufs, 4);
        result(raw_exchange(fd, big, sizeof(big)) == -EINVAL, "dm_op with 7 buffers", "failed");
    }
    h = (struct xsim_req_hdr){ .op = XSIM_OP_HVM_PARAM_SET, .domid = domid, .len = 100 };
    rc = raw_exchange(fd, &h, sizeof(h));
    result(rc == 1, "a length field that lies drops the connection", "rc %d", rc);
    close(fd);
    fd = raw_connect();
    rc = fd < 0 ? 3 : raw_exchange(fd, "x", 1);
    result(rc == 1, "a runt datagram drops the connection", "rc %d", rc);
    if (fd >= 0) {
        close(fd);
    }
    result(xendevicemodel_nr_vcpus(dmod, domid, &vcpus) == 0 && vcpus == 2,
           "xensim still serves the others", "%s", strerror(errno));
}

static void test_xenstore(void)
{
    struct xs_handle *xs = xs_open(0);
    xs_transaction_t t;
    unsigned len = 0;
    char *v;

    if (!xs) {
        result(false, "xs_open", "%s", strerror(errno));
        return;
    }
    t = xs_transaction_start(xs);
    result(t != XBT_NULL && xs_write(xs, t, "data/libtest", "1", 1), "write in a transaction", "failed");
    v = xs_read(xs, XBT_NULL, "data/libtest", &len);
    result(v == NULL && errno == ENOENT, "invisible outside before commit", "failed");
    free(v);
    result(xs_transaction_end(xs, t, false), "commit", "%s", strerror(errno));
    v = xs_read(xs, XBT_NULL, "/local/domain/0/data/libtest", &len);
    result(v && len == 1 && v[0] == '1', "visible after commit", "failed");
    free(v);
    {
        char *p = xs_get_domain_path(xs, domid);
        char want[32];

        snprintf(want, sizeof(want), "/local/domain/%u", domid);
        result(p && !strcmp(p, want), "get_domain_path", "%s", p ? p : "(null)");
        free(p);
    }
    result(xs_is_domain_introduced(xs, domid), "the guest is introduced", "failed");
    /* -xen-domid-restrict: every handle, libxenstore's included, is restricted. */
    {
        xendevicemodel_handle *d = xendevicemodel_open(NULL, 0);

        EXPECT_OK("xentoolcore_restrict_all", xentoolcore_restrict_all(domid));
        v = xs_read(xs, XBT_NULL, "data/libtest", &len);
        result(v == NULL, "xenstore is unreachable once restricted", "failed");
        free(v);
        EXPECT_ERRNO("a restricted handle cannot touch another domain",
                     xendevicemodel_inject_msi(d, 0, 0xfee00000, 0), EPERM);
        EXPECT_OK("but still its own", xendevicemodel_inject_msi(d, domid, 0xfee00000, 0));
        xendevicemodel_close(d);
    }
    xs_close(xs);
}

int main(int argc, char **argv)
{
    int i, exit_status = -1;

    for (i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "-xen-domid") && i + 1 < argc) {
            domid = (domid_t)strtoul(argv[++i], NULL, 0);
        } else if (!strcmp(argv[i], "--exit") && i + 1 < argc) {
            exit_status = atoi(argv[++i]);
        }
    }
    if (exit_status >= 0) {
        return exit_status;
    }
    xch = xc_interface_open(NULL, NULL, 0);
    dmod = xendevicemodel_open(NULL, 0);
    fmem = xenforeignmemory_open(NULL, 0);
    if (!domid || !xch || !dmod || !fmem) {
        fprintf(stderr, "xensim-test-libs: run me under xensim\n");
        return 100;
    }
    test_xc();
    test_servers();
    test_ranges();
    test_pages();
    test_evtchn();
    test_foreign_memory();
    test_dm_op_checks();
    test_grants();
    test_hostile_client();
    test_xenstore();     /* last: it restricts every handle */
    xenforeignmemory_close(fmem);
    xendevicemodel_close(dmod);
    xc_interface_close(xch);
    return (int)(failures > 99 ? 99 : failures);
}
