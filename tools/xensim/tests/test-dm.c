/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * xensim-test-dm: a minimal device model, built exactly like a real one
 * (real Xen headers, linked against Debian's Xen libraries) and run under
 * xensim, which substitutes its own libraries.  It is what
 * tests/scripts/test-xensim.sh drives, and a small worked example of the
 * ioreq protocol of xen-interface.md §1-3:
 *
 *   ports 0x1234-0x1243  (PIO; 32-bit reads of the counters below)
 *     0x1234 r/w  a 32-bit register, 0xdeadbeef after reset
 *     0x1236 r    number of synchronous ioreqs handled
 *     0x1238 w    command: 1/0 raise/lower ISA IRQ 5, 2/3 raise/lower INTA of
 *                 00:03.0, 4 inject an MSI, 5 route PCI link A to IRQ 10,
 *                 6 shutdown(reboot), 7 modified_memory(0x100, 2),
 *                 8 write "data/test-dm" in xenstore, 9 track_dirty_vram,
 *                 10 relocate_memory of 2 pages 0x200 -> 0x800,
 *                 11 map_io_range on 0x1234 again (errno into the register),
 *                 12 unmap a port range never mapped (errno into the register),
 *                 13/14 stop/resume draining the buffered ring,
 *                 15 shutdown(poweroff),
 *                 16 map grant 1 read-write: its first word into the register,
 *                    0x600df00d written at offset 4,
 *                 17 map grant 2 read-write (errno into the register),
 *                 18 grant-copy the first word of grant 1 into the register,
 *                 19 allocate an unbound port for the guest (port number into the
 *                    register); each event on it is counted and echoed back
 *     0x1239 r    never answered (the simulator's timeout test)
 *     0x123a r    answered with state 7 (invalid: the simulator crashes the domain)
 *     0x123b r    answered by resetting the state to NONE
 *     0x123c r    number of malformed ioreqs seen
 *     0x123d r    number of buffered ioreqs handled
 *     0x123e r    number of INVALIDATE ioreqs
 *     0x123f r    last TIMEOFFSET value (low 32 bits)
 *     0x1240 r    number of events received on the command-19 port
 *   ports 0x70-0x71     CMOS NVRAM behind Xen's RTC (index >= 0x0e reaches us)
 *   MMIO 0xfe000000-0xfe000fff  4 KiB of device memory (rep and data_is_ptr
 *                 copies go through foreign mappings of guest RAM)
 *   MMIO 0xa0000-0xbffff  VGA window (writes arrive buffered)
 *   PCI 00:03.0   a 256-byte config space, IDs 1234:5678
 *   xenstore      writes device-model/<domid>/state = running; echoes any value
 *                 written to device-model/<domid>/command into .../command-ack
 *                 (a watch through the real libxenstore).
 *
 * Every malformed ioreq is logged and completed; nothing from the
 * "guest" is trusted.
 */
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>
#include <xenctrl.h>
#include <xendevicemodel.h>
#include <xenevtchn.h>
#include <xenforeignmemory.h>
#include <xengnttab.h>
#include <xenstore.h>
#include <xen/hvm/ioreq.h>
#include <xen/hvm/dm_op.h>
#include <xen/memory.h>

#define PORT_BASE       0x1234
#define PORT_LAST       0x1243  /* so that inl of 0x123f fits */
#define MMIO_BASE       0xfe000000ULL
#define MMIO_SIZE       0x1000
#define VGA_BASE        0xa0000ULL
#define VGA_SIZE        0x20000
#define PCI_DEV         3
#define MAX_REP         (1u << 20)
#define PAGE_SIZE_      4096

static domid_t domid;
static xc_interface *xch;
static xendevicemodel_handle *dmod;
static xenforeignmemory_handle *fmem;
static xenevtchn_handle *xce;
static struct xs_handle *xsh;
static ioservid_t server_id;
static unsigned nr_vcpus;
static shared_iopage_t *iopage;
static buffered_iopage_t *bufpage;
static xenforeignmemory_resource_handle *fres;
static evtchn_port_t *local_port;   /* per vCPU */
static evtchn_port_t buf_local_port;
static volatile sig_atomic_t quit;

static uint32_t reg32 = 0xdeadbeef;
static uint32_t nr_sync, nr_malformed, nr_buffered, nr_invalidate;
static uint64_t last_timeoffset;
static uint8_t devmem[MMIO_SIZE];
static uint8_t *vga;
static uint8_t pcicfg[256];
static char cmd_path[64], ack_path[64];
static bool buffered_paused;
static xengnttab_handle *xgt;
static int pv_port = -1;
static uint32_t pv_events;
static uint8_t cmos_index;
static uint8_t cmos[128];

static void logf_(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void logf_(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    fprintf(stderr, "test-dm: ");
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

static void die(const char *what)
{
    logf_("%s: %s", what, strerror(errno));
    exit(1);
}

/* Guest RAM through a temporary foreign mapping of one page at a time. */
static bool guest_rw(uint64_t gpa, void *buf, size_t len, bool write)
{
    uint8_t *p = buf;

    while (len) {
        xen_pfn_t pfn = gpa >> 12;
        size_t off = gpa & (PAGE_SIZE_ - 1);
        size_t chunk = len < PAGE_SIZE_ - off ? len : PAGE_SIZE_ - off;
        int err = 0;
        uint8_t *m = xenforeignmemory_map(fmem, domid, PROT_READ | PROT_WRITE, 1, &pfn, &err);

        if (!m || err) {
            logf_("guest address 0x%" PRIx64 " is not RAM (err %d)", gpa, err);
            if (m) {
                xenforeignmemory_unmap(fmem, m, 1);
            }
            return false;
        }
        if (write) {
            memcpy(m + off, p, chunk);
        } else {
            memcpy(p, m + off, chunk);
        }
        xenforeignmemory_unmap(fmem, m, 1);
        p += chunk;
        gpa += chunk;
        len -= chunk;
    }
    return true;
}

static uint64_t size_mask(unsigned size)
{
    return size >= 8 ? ~0ULL : (1ULL << (size * 8)) - 1;
}

static void command(uint32_t c)
{
    int rc = 0;

    switch (c) {
    case 0:
    case 1:
        rc = xendevicemodel_set_isa_irq_level(dmod, domid, 5, c);
        break;
    case 2:
    case 3:
        rc = xendevicemodel_set_pci_intx_level(dmod, domid, 0, 0, PCI_DEV, 0, c == 2);
        break;
    case 4:
        rc = xendevicemodel_inject_msi(dmod, domid, 0xfee00000, 0x4041);
        break;
    case 5:
        /* 00:03.0 INTA drives PCI link (3 + 0) & 3 = 3 */
        rc = xendevicemodel_set_pci_link_route(dmod, domid, 3, 10);
        break;
    case 6:
        rc = xendevicemodel_shutdown(dmod, domid, SHUTDOWN_reboot);
        break;
    case 7:
        rc = xendevicemodel_modified_memory(dmod, domid, 0x100, 2);
        break;
    case 8:
        rc = xs_write(xsh, XBT_NULL, "data/test-dm", "hello", 5) ? 0 : -1;
        break;
    case 9: {
        unsigned long bitmap[1] = { 0 };

        rc = xendevicemodel_track_dirty_vram(dmod, domid, 0x300, 16, bitmap);
        if (rc == 0) {
            reg32 = (uint32_t)bitmap[0];
        }
        break;
    }
    case 10:
        rc = xendevicemodel_relocate_memory(dmod, domid, 2, 0x200, 0x800);
        break;
    case 11:
        rc = xendevicemodel_map_io_range_to_ioreq_server(dmod, domid, server_id, 0,
                                                         PORT_BASE, PORT_BASE);
        reg32 = rc < 0 ? (uint32_t)errno : 0;
        return;
    case 12:
        rc = xendevicemodel_unmap_io_range_from_ioreq_server(dmod, domid, server_id, 0,
                                                             0x5000, 0x5003);
        reg32 = rc < 0 ? (uint32_t)errno : 0;
        return;
    case 13:
    case 14:
        buffered_paused = c == 13;
        return;
    case 15:
        rc = xendevicemodel_shutdown(dmod, domid, SHUTDOWN_poweroff);
        break;
    case 16:
    case 17: {
        uint32_t *page;

        if (!xgt && !(xgt = xengnttab_open(NULL, 0))) {
            rc = -1;
            break;
        }
        page = xengnttab_map_grant_ref(xgt, domid, c == 16 ? 1 : 2, PROT_READ | PROT_WRITE);
        if (!page) {
            reg32 = (uint32_t)errno;
            return;
        }
        reg32 = page[0];
        page[1] = 0x600df00d;
        xengnttab_unmap(xgt, page, 1);
        return;
    }
    case 19:
        pv_port = xenevtchn_bind_unbound_port(xce, domid);
        reg32 = (uint32_t)pv_port;
        return;
    case 18: {
        xengnttab_grant_copy_segment_t seg = { 0 };
        uint32_t v = 0;

        if (!xgt && !(xgt = xengnttab_open(NULL, 0))) {
            rc = -1;
            break;
        }
        seg.source.foreign.ref = 1;
        seg.source.foreign.domid = domid;
        seg.dest.virt = &v;
        seg.len = sizeof(v);
        seg.flags = GNTCOPY_source_gref;
        rc = xengnttab_grant_copy(xgt, 1, &seg);
        reg32 = seg.status == GNTST_okay ? v : 0xbad;
        break;
    }
    default:
        logf_("unknown command %u", c);
        nr_malformed++;
        return;
    }
    if (rc < 0) {
        logf_("command %u failed: %s", c, strerror(errno));
    }
}

/* One port access; returns false when the ioreq must not be answered. */
static uint32_t pio_read(uint64_t port, unsigned size)
{
    switch (port) {
    case 0x70:
        return cmos_index;
    case 0x71:
        return cmos[cmos_index & 0x7f];
    case 0x1234:
        return reg32;
    case 0x1236:
        return nr_sync;
    case 0x123c:
        return nr_malformed;
    case 0x123d:
        return nr_buffered;
    case 0x123e:
        return nr_invalidate;
    case 0x123f:
        return (uint32_t)last_timeoffset;
    case 0x1240:
        return pv_events;
    }
    return 0xffffffffu;
}

static void pio_write(uint64_t port, unsigned size, uint32_t v)
{
    if (port == 0x70) {
        cmos_index = (uint8_t)v & 0x7f;
    } else if (port == 0x71) {
        cmos[cmos_index & 0x7f] = (uint8_t)v;
    } else if (port == 0x1234) {
        reg32 = (reg32 & ~(uint32_t)size_mask(size)) | (v & (uint32_t)size_mask(size));
    } else if (port == 0x1238) {
        command(v);
    }
}

static uint64_t mmio_read(uint64_t addr, unsigned size)
{
    uint64_t v = 0;

    if (addr >= MMIO_BASE && addr + size <= MMIO_BASE + MMIO_SIZE) {
        memcpy(&v, &devmem[addr - MMIO_BASE], size);
    } else if (addr >= VGA_BASE && addr + size <= VGA_BASE + VGA_SIZE) {
        memcpy(&v, &vga[addr - VGA_BASE], size);
    } else {
        v = ~0ULL;
    }
    return v & size_mask(size);
}

static void mmio_write(uint64_t addr, unsigned size, uint64_t v)
{
    if (addr >= MMIO_BASE && addr + size <= MMIO_BASE + MMIO_SIZE) {
        memcpy(&devmem[addr - MMIO_BASE], &v, size);
    } else if (addr >= VGA_BASE && addr + size <= VGA_BASE + VGA_SIZE) {
        memcpy(&vga[addr - VGA_BASE], &v, size);
    }
}

static void handle_pio(ioreq_t *req)
{
    uint32_t k;

    if (req->size != 1 && req->size != 2 && req->size != 4) {
        logf_("bad PIO size %u", req->size);
        nr_malformed++;
        req->data = ~0ULL;
        return;
    }
    if (!req->data_is_ptr) {
        if (req->dir == IOREQ_READ) {
            req->data = pio_read(req->addr, req->size) & size_mask(req->size);
        } else {
            pio_write(req->addr, req->size, (uint32_t)(req->data & size_mask(req->size)));
        }
        return;
    }
    if (req->count > MAX_REP) {
        logf_("rep count %u too large", req->count);
        nr_malformed++;
        return;
    }
    for (k = 0; k < req->count; k++) {
        uint64_t gpa = req->df ? req->data - (uint64_t)k * req->size
                               : req->data + (uint64_t)k * req->size;
        uint32_t v = 0;

        if (req->dir == IOREQ_READ) {
            v = pio_read(req->addr, req->size);
            if (!guest_rw(gpa, &v, req->size, true)) {
                nr_malformed++;
                return;
            }
        } else {
            if (!guest_rw(gpa, &v, req->size, false)) {
                nr_malformed++;
                return;
            }
            pio_write(req->addr, req->size, v);
        }
    }
}

static void handle_copy(ioreq_t *req)
{
    uint32_t k;

    if (req->size != 1 && req->size != 2 && req->size != 4 && req->size != 8) {
        logf_("bad MMIO size %u", req->size);
        nr_malformed++;
        req->data = ~0ULL;
        return;
    }
    if (req->count > MAX_REP) {
        logf_("rep count %u too large", req->count);
        nr_malformed++;
        return;
    }
    for (k = 0; k < req->count; k++) {
        uint64_t addr = req->df ? req->addr - (uint64_t)k * req->size
                                : req->addr + (uint64_t)k * req->size;

        if (!req->data_is_ptr) {
            if (req->dir == IOREQ_READ) {
                req->data = mmio_read(addr, req->size);
            } else {
                mmio_write(addr, req->size, req->data);
            }
        } else {
            uint64_t gpa = req->df ? req->data - (uint64_t)k * req->size
                                   : req->data + (uint64_t)k * req->size;
            uint64_t v = 0;

            if (req->dir == IOREQ_READ) {
                v = mmio_read(addr, req->size);
                if (!guest_rw(gpa, &v, req->size, true)) {
                    nr_malformed++;
                    return;
                }
            } else {
                if (!guest_rw(gpa, &v, req->size, false)) {
                    nr_malformed++;
                    return;
                }
                mmio_write(addr, req->size, v);
            }
        }
    }
}

static void handle_pci(ioreq_t *req)
{
    uint32_t sbdf = (uint32_t)(req->addr >> 32);
    uint32_t reg = (uint32_t)req->addr & 0xfff;
    uint32_t v = 0;

    if ((req->size != 1 && req->size != 2 && req->size != 4) || reg + req->size > 256 ||
        sbdf != (PCI_DEV << 3)) {
        logf_("bad PCI config access sbdf %x reg %x size %u", sbdf, reg, req->size);
        nr_malformed++;
        req->data = ~0ULL;
        return;
    }
    if (req->dir == IOREQ_READ) {
        memcpy(&v, &pcicfg[reg], req->size);
        req->data = v;
    } else if (reg >= 4) {  /* IDs are read-only */
        v = (uint32_t)req->data;
        memcpy(&pcicfg[reg], &v, req->size);
    }
}

static void handle_ioreq(ioreq_t *req)
{
    switch (req->type) {
    case IOREQ_TYPE_PIO:
        handle_pio(req);
        break;
    case IOREQ_TYPE_COPY:
        handle_copy(req);
        break;
    case IOREQ_TYPE_PCI_CONFIG:
        handle_pci(req);
        break;
    case IOREQ_TYPE_TIMEOFFSET:
        last_timeoffset = req->data;
        break;
    case IOREQ_TYPE_INVALIDATE:
        nr_invalidate++;
        break;
    default:
        logf_("unknown ioreq type %u", req->type);
        nr_malformed++;
        break;
    }
}

/* QEMU's handle_buffered_iopage(); returns how many entries it handled. */
static unsigned drain_buffered(void)
{
    unsigned handled = 0;

    if (!bufpage || buffered_paused) {
        return 0;
    }
    for (;;) {
        uint32_t rp = __atomic_load_n(&bufpage->read_pointer, __ATOMIC_ACQUIRE);
        uint32_t wp = __atomic_load_n(&bufpage->write_pointer, __ATOMIC_ACQUIRE);
        buf_ioreq_t b;
        ioreq_t req = { 0 };

        if (__atomic_load_n(&bufpage->read_pointer, __ATOMIC_ACQUIRE) != rp) {
            continue;
        }
        if (rp == wp) {
            break;
        }
        b = bufpage->buf_ioreq[rp % IOREQ_BUFFER_SLOT_NUM];
        req.size = 1u << b.size;
        req.count = 1;
        req.addr = b.addr;
        req.data = b.data;
        req.type = b.type;
        req.dir = IOREQ_WRITE;
        if (req.size == 8) {
            if (rp + 1 == wp) {
                logf_("8-byte buffered ioreq without its second half");
                nr_malformed++;
                break;
            }
            req.data |= (uint64_t)bufpage->buf_ioreq[(rp + 1) % IOREQ_BUFFER_SLOT_NUM].data
                        << 32;
        }
        handle_ioreq(&req);
        nr_buffered++;
        handled++;
        __atomic_fetch_add(&bufpage->read_pointer, req.size == 8 ? 2 : 1, __ATOMIC_ACQ_REL);
    }
    return handled;
}

static void handle_sync(unsigned vcpu)
{
    ioreq_t *slot = &iopage->vcpu_ioreq[vcpu];
    ioreq_t req;

    drain_buffered();
    if (slot->state != STATE_IOREQ_READY) {
        return;     /* spurious */
    }
    __atomic_thread_fence(__ATOMIC_ACQUIRE);
    req = *slot;
    slot->state = STATE_IOREQ_INPROCESS;
    if (req.type == IOREQ_TYPE_PIO && req.addr == 0x1239 && req.size == 1) {
        return;     /* deliberately never answered */
    }
    if (req.type == IOREQ_TYPE_PIO && req.addr == 0x123a) {
        __atomic_thread_fence(__ATOMIC_RELEASE);
        slot->state = 7;
        xenevtchn_notify(xce, local_port[vcpu]);
        return;
    }
    if (req.type == IOREQ_TYPE_PIO && req.addr == 0x123b) {
        __atomic_thread_fence(__ATOMIC_RELEASE);
        slot->state = STATE_IOREQ_NONE;
        xenevtchn_notify(xce, local_port[vcpu]);
        return;
    }
    nr_sync++;
    handle_ioreq(&req);
    slot->data = req.data;
    if (slot->state != STATE_IOREQ_INPROCESS) {
        logf_("ioreq slot of vcpu %u changed under us", vcpu);
    }
    __atomic_thread_fence(__ATOMIC_RELEASE);
    slot->state = STATE_IORESP_READY;
    xenevtchn_notify(xce, local_port[vcpu]);
}

static void on_signal(int sig)
{
    quit = 1;
}

static void setup_server(void)
{
    void *addr = NULL;
    evtchn_port_t bufport = 0;
    unsigned v;

    if (xendevicemodel_create_ioreq_server(dmod, domid, HVM_IOREQSRV_BUFIOREQ_ATOMIC,
                                           &server_id) < 0) {
        die("create_ioreq_server");
    }
    fres = xenforeignmemory_map_resource(fmem, domid, XENMEM_resource_ioreq_server, server_id,
                                         0, 2, &addr, PROT_READ | PROT_WRITE, 0);
    if (fres) {
        bufpage = addr;
        iopage = (shared_iopage_t *)((uint8_t *)addr + PAGE_SIZE_);
        logf_("ioreq pages mapped as a resource");
    } else if (errno == EOPNOTSUPP) {
        xen_pfn_t gfns[2];
        int err[2];

        if (xendevicemodel_get_ioreq_server_info(dmod, domid, server_id, &gfns[1], &gfns[0],
                                                 NULL) < 0) {
            die("get_ioreq_server_info (gfns)");
        }
        addr = xenforeignmemory_map(fmem, domid, PROT_READ | PROT_WRITE, 2, gfns, err);
        if (!addr || err[0] || err[1]) {
            die("mapping the ioreq gfns");
        }
        bufpage = addr;
        iopage = (shared_iopage_t *)((uint8_t *)addr + PAGE_SIZE_);
        logf_("ioreq pages mapped through gfns 0x%lx/0x%lx", (unsigned long)gfns[1],
              (unsigned long)gfns[0]);
    } else {
        die("map_resource");
    }
    if (xendevicemodel_get_ioreq_server_info(dmod, domid, server_id, NULL, NULL, &bufport) < 0) {
        die("get_ioreq_server_info");
    }
    if (xendevicemodel_set_ioreq_server_state(dmod, domid, server_id, 1) < 0) {
        die("set_ioreq_server_state");
    }
    local_port = calloc(nr_vcpus, sizeof(*local_port));
    for (v = 0; v < nr_vcpus; v++) {
        int p = xenevtchn_bind_interdomain(xce, domid, iopage->vcpu_ioreq[v].vp_eport);

        if (p < 0) {
            die("bind_interdomain");
        }
        local_port[v] = (evtchn_port_t)p;
    }
    {
        int p = xenevtchn_bind_interdomain(xce, domid, bufport);

        if (p < 0) {
            die("bind_interdomain (buffered)");
        }
        buf_local_port = (evtchn_port_t)p;
    }
    if (xendevicemodel_map_io_range_to_ioreq_server(dmod, domid, server_id, 0, PORT_BASE,
                                                    PORT_LAST) < 0 ||
        xendevicemodel_map_io_range_to_ioreq_server(dmod, domid, server_id, 0, 0xcf8,
                                                    0xcff) < 0 ||
        xendevicemodel_map_io_range_to_ioreq_server(dmod, domid, server_id, 0, 0x70,
                                                    0x71) < 0 ||
        xendevicemodel_map_io_range_to_ioreq_server(dmod, domid, server_id, 1, MMIO_BASE,
                                                    MMIO_BASE + MMIO_SIZE - 1) < 0 ||
        xendevicemodel_map_io_range_to_ioreq_server(dmod, domid, server_id, 1, VGA_BASE,
                                                    VGA_BASE + VGA_SIZE - 1) < 0 ||
        xendevicemodel_map_pcidev_to_ioreq_server(dmod, domid, server_id, 0, 0, PCI_DEV,
                                                  0) < 0) {
        die("registering ranges");
    }
}

static void watch_event(void)
{
    unsigned n;
    char **ev = xs_check_watch(xsh);

    (void)n;
    if (!ev) {
        return;
    }
    if (!strcmp(ev[XS_WATCH_TOKEN], "command")) {
        unsigned len = 0;
        char *v = xs_read(xsh, XBT_NULL, cmd_path, &len);

        if (v) {
            xs_write(xsh, XBT_NULL, ack_path, v, len);
            free(v);
        }
    }
    free(ev);
}

int main(int argc, char **argv)
{
    struct sigaction sa = { .sa_handler = on_signal };
    struct timespec buf_deadline = { 0 };
    bool buf_timer = false;
    char path[128];
    char *name;
    unsigned len;
    int i;

    for (i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "-xen-domid") && i + 1 < argc) {
            domid = (domid_t)strtoul(argv[++i], NULL, 0);
        }
    }
    if (!domid) {
        fprintf(stderr, "usage: %s -xen-domid N\n", argv[0]);
        return 2;
    }
    sigaction(SIGHUP, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    vga = calloc(1, VGA_SIZE);
    for (i = 0; i < 128; i++) {
        cmos[i] = (uint8_t)(i ^ 0x5a);
    }
    pcicfg[0] = 0x34;
    pcicfg[1] = 0x12;
    pcicfg[2] = 0x78;
    pcicfg[3] = 0x56;

    xch = xc_interface_open(NULL, NULL, 0);
    fmem = xenforeignmemory_open(NULL, 0);
    dmod = xendevicemodel_open(NULL, 0);
    xce = xenevtchn_open(NULL, 0);
    xsh = xs_open(0);
    if (!xch || !fmem || !dmod || !xce || !xsh) {
        die("opening the Xen interfaces");
    }
    if (xendevicemodel_nr_vcpus(dmod, domid, &nr_vcpus) < 0) {
        die("nr_vcpus");
    }
    setup_server();

    /* What the guest is called, read through an absolute path. */
    snprintf(path, sizeof(path), "/local/domain/%u/name", domid);
    name = xs_read(xsh, XBT_NULL, path, &len);
    snprintf(path, sizeof(path), "device-model/%u/seen-name", domid);
    if (!name || !xs_write(xsh, XBT_NULL, path, name, len)) {
        die("xenstore name");
    }
    free(name);
    snprintf(cmd_path, sizeof(cmd_path), "device-model/%u/command", domid);
    snprintf(ack_path, sizeof(ack_path), "device-model/%u/command-ack", domid);
    if (!xs_watch(xsh, cmd_path, "command")) {
        die("xs_watch");
    }
    snprintf(path, sizeof(path), "device-model/%u/state", domid);
    if (!xs_write(xsh, XBT_NULL, path, "running", 7)) {
        die("writing the running state");
    }

    while (!quit) {
        struct pollfd fds[2] = {
            { .fd = xenevtchn_fd(xce), .events = POLLIN },
            { .fd = xs_fileno(xsh), .events = POLLIN },
        };
        int timeout = -1;

        if (buf_timer) {
            struct timespec now;
            int64_t ms;

            clock_gettime(CLOCK_MONOTONIC, &now);
            ms = (buf_deadline.tv_sec - now.tv_sec) * 1000 +
                 (buf_deadline.tv_nsec - now.tv_nsec) / 1000000;
            timeout = ms < 0 ? 0 : (int)ms;
        }
        if (poll(fds, 2, timeout) < 0) {
            if (errno == EINTR) {
                continue;
            }
            die("poll");
        }
        if (fds[0].revents & POLLIN) {
            int port = xenevtchn_pending(xce);
            unsigned v;

            if (port < 0) {
                die("xenevtchn_pending");
            }
            if ((evtchn_port_t)port == buf_local_port) {
                /* QEMU: leave the port masked, poll the ring from a 100 ms timer. */
                drain_buffered();
                clock_gettime(CLOCK_MONOTONIC, &buf_deadline);
                buf_deadline.tv_nsec += 100 * 1000000L;
                if (buf_deadline.tv_nsec >= 1000000000L) {
                    buf_deadline.tv_sec++;
                    buf_deadline.tv_nsec -= 1000000000L;
                }
                buf_timer = true;
                continue;
            }
            for (v = 0; v < nr_vcpus && local_port[v] != (evtchn_port_t)port; v++) {
            }
            xenevtchn_unmask(xce, (evtchn_port_t)port);
            if (v == nr_vcpus) {
                if (port == pv_port) {
                    pv_events++;
                    xenevtchn_notify(xce, (evtchn_port_t)port);
                } else {
                    logf_("event on unknown port %d", port);
                }
                continue;
            }
            handle_sync(v);
        }
        if (fds[1].revents & POLLIN) {
            watch_event();
        }
        if (buf_timer) {
            struct timespec now;

            clock_gettime(CLOCK_MONOTONIC, &now);
            if (now.tv_sec > buf_deadline.tv_sec ||
                (now.tv_sec == buf_deadline.tv_sec && now.tv_nsec >= buf_deadline.tv_nsec)) {
                if (drain_buffered() == 0) {
                    buf_timer = false;
                    xenevtchn_unmask(xce, buf_local_port);
                } else {
                    buf_deadline = now;
                    buf_deadline.tv_nsec += 100 * 1000000L;
                    if (buf_deadline.tv_nsec >= 1000000000L) {
                        buf_deadline.tv_sec++;
                        buf_deadline.tv_nsec -= 1000000000L;
                    }
                }
            }
        }
    }

    logf_("stopping");
    xendevicemodel_destroy_ioreq_server(dmod, domid, server_id);
    if (fres) {
        xenforeignmemory_unmap_resource(fmem, fres);
    }
    xenevtchn_close(xce);
    xs_close(xsh);
    xendevicemodel_close(dmod);
    xenforeignmemory_close(fmem);
    xc_interface_close(xch);
    free(vga);
    free(local_port);
    return 0;
}
