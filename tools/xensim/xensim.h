/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Internal interfaces of the xensim process (one simulated Xen host with
 * dom0 and one HVM guest domain).  Single-threaded: everything runs on the
 * default GMainContext; a guest access that waits for the device model
 * iterates the context (sim_wait_until) while the qtest source that issued
 * it is blocked, as a vCPU blocks in Xen.
 */
#ifndef TOOLS_XENSIM_XENSIM_H
#define TOOLS_XENSIM_XENSIM_H

/* The toolstack view of the public headers (latest interface version). */
#ifndef __XEN_TOOLS__
#define __XEN_TOOLS__ 1
#endif

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <xen/xen.h>
#include <xen/hvm/ioreq.h>
#include <xen/hvm/dm_op.h>
#include <xen/hvm/params.h>

#include "tools/xensim/proto.h"
#include "tools/xensim/xenstore.h"

#define XSIM_MAX_SERVERS        8       /* MAX_NR_IOREQ_SERVERS */
#define XSIM_MAX_RANGES         256     /* MAX_NR_IO_RANGES per type per server */
#define XSIM_MAX_VCPUS          128     /* one shared_iopage_t holds 128 slots */
#define XSIM_INVALID_GFN        (~(uint64_t)0)

/* The ioreq server page pool of libxl/libxc (special pages below 0xff000). */
#define XSIM_IOREQ_GFN_BASE     0xfeff0ULL
#define XSIM_IOREQ_GFN_COUNT    8
/* Where libxc puts the high RAM of a guest that does not fit below the hole. */
#define XSIM_LOWMEM_END         0xf0000000ULL
#define XSIM_HIGHMEM_START      0x100000000ULL

/* p2m types the simulation distinguishes (HVMMEM_* as seen by a DM). */
enum p2m_type {
    P2M_RAM_RW = 0,
    P2M_RAM_RO,
    P2M_MMIO_DM,
    P2M_IOREQ_SERVER,
};

typedef struct Rangeset {
    GArray *r;      /* struct { uint64_t s, e; }, sorted, disjoint, merged */
} Rangeset;

typedef struct SimConn SimConn;

typedef struct IoreqServer {
    bool used;
    unsigned id;
    bool enabled;
    uint8_t bufioreq_mode;          /* HVM_IOREQSRV_BUFIOREQ_* */
    SimConn *owner;                 /* the device model connection that created it */
    int64_t ioreq_page;             /* pool pages, -1 until allocated */
    int64_t bufioreq_page;
    uint64_t ioreq_gfn;             /* legacy gfn mapping, or XSIM_INVALID_GFN */
    uint64_t bufioreq_gfn;
    uint32_t vcpu_port[XSIM_MAX_VCPUS]; /* guest-side event channels */
    uint32_t buf_port;
    Rangeset ranges[3];             /* XEN_DMOP_IO_RANGE_PORT/MEMORY/PCI */
} IoreqServer;

/* One guest access being emulated (Xen's ioreq_t plus bookkeeping). */
typedef struct SimAccess {
    ioreq_t req;
    unsigned vcpu;
} SimAccess;

typedef struct XenSim {
    /* Configuration */
    unsigned domid;
    char *name;
    char *uuid;
    uint64_t memory_mib;
    uint64_t maxmem_mib;
    unsigned vcpus;
    unsigned ioreq_timeout_ms;
    bool no_resource_map;
    bool verbose;

    /* Domain state */
    unsigned pause_count;
    bool shut_down;
    unsigned shutdown_reason;
    bool dying;
    bool destroyed;
    uint64_t hvm_params[HVM_NR_PARAMS];
    uint64_t max_pages;
    uint64_t tot_pages;

    /* Guest memory: page pool and p2m */
    int pool_fd;
    uint8_t *pool;
    uint64_t pool_pages;            /* capacity */
    uint64_t pool_next;             /* bump allocator */
    GArray *pool_free;              /* freed pool pages (uint64_t) */
    GArray *p2m;                    /* P2mExtent, sorted by gfn */
    uint64_t ram_pages;             /* populated by the "domain builder" */
    bool log_dirty;
    GHashTable *dirty_pfns;         /* pfn -> 1 while log_dirty */
    uint64_t vram_first, vram_nr;   /* track_dirty_vram region */
    GHashTable *vram_dirty;         /* pfn set written by the guest */
    bool vram_tracking_new;
    bool invalidate_pending;

    /* Ioreq servers */
    IoreqServer servers[XSIM_MAX_SERVERS];
    int mem_type_server;            /* server claiming HVMMEM_ioreq_server, -1 */
    uint32_t mem_type_flags;
    bool *vcpu_blocked;             /* vCPU waiting on a server that timed out */
    int *vcpu_blocked_server;

    /* Interrupt state (Xen's hvm_irq) */
    uint8_t isa_irq_level[16];
    uint8_t pci_intx_level[32][4];
    uint8_t link_route[4];
    unsigned link_assert_count[4];
    bool irq_reported[16];          /* last level sent over qtest */
    bool irq_intercept;

    /* Xen-internal platform devices */
    uint32_t pci_cf8;
    uint8_t rtc_index;
    uint8_t rtc_regs[14];
    int64_t rtc_base_seconds;       /* guest RTC time at virtual time 0 */
    uint8_t pic_imr[2];
    uint8_t elcr[2];
    uint16_t pm1a_sts, pm1a_en;
    GString *debugcon;
    uint32_t ioapic_index;
    uint32_t ioapic_redir[48][2];
    int64_t clock_ns;               /* virtual time (qtest clock_step) */

    /* Event channels */
    struct GuestPort *guest_ports;  /* XSIM_NR_EVTCHN_PORTS */
    struct Dom0Port *dom0_ports;    /* XSIM_NR_EVTCHN_PORTS */

    /* Grant table of the guest (filled by tests) */
    GHashTable *grants;             /* ref -> Grant */

    /* Records of what the device model asked for */
    GPtrArray *records;

    /* Processes and sockets */
    char *run_dir;                  /* temp dir we created, removed on exit */
    char *sim_socket_path;
    char *xs_socket_path;
    char *libdir;
    int sim_listen_fd;
    int xs_listen_fd;
    XsStore *xs;
    GPtrArray *conns;               /* SimConn * */
    pid_t dm_pid;
    bool dm_exited;
    int dm_status;
    bool dm_running;
    bool terminating;
    int qtest_fd;
    GString *qtest_in;
    unsigned qtest_vcpu;
    GMainLoop *loop;
} XenSim;

extern XenSim *sim;

/* GError domain of xensim's own errors; codes are errno values or 0. */
#define XSIM_ERROR (xsim_error_quark())
GQuark xsim_error_quark(void);

/* main.c */
void sim_record(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void sim_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void sim_trace(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
bool sim_wait_until(bool (*done)(void *opaque), void *opaque, unsigned timeout_ms);
void sim_domain_destroy(const char *why);
void sim_domain_shutdown(unsigned reason);
void sim_terminate(const char *why);

/* rangeset.c */
void rangeset_init(Rangeset *rs);
void rangeset_destroy(Rangeset *rs);
bool rangeset_overlaps(const Rangeset *rs, uint64_t s, uint64_t e);
bool rangeset_contains(const Rangeset *rs, uint64_t s, uint64_t e);
unsigned rangeset_count(const Rangeset *rs);
/* 0 or -errno (ENOMEM beyond XSIM_MAX_RANGES ranges, as Xen). */
int rangeset_add(Rangeset *rs, uint64_t s, uint64_t e);
void rangeset_remove(Rangeset *rs, uint64_t s, uint64_t e);
void rangeset_format(const Rangeset *rs, GString *out);

/* memory.c: page pool and p2m */
typedef struct P2mExtent {
    uint64_t gfn;
    uint64_t nr;
    uint64_t page;      /* first pool page */
    uint8_t type;       /* enum p2m_type */
} P2mExtent;

bool mem_init(GError **errp);
int64_t pool_alloc_page(void);
void pool_free_page(uint64_t page);
void *pool_page_ptr(uint64_t page);
/* Pool page backing gfn, or -1; type in *type (may be NULL). */
int64_t p2m_lookup(uint64_t gfn, uint8_t *type);
/* Map [gfn, gfn+nr) to pool pages page.. (or unmap when page < 0). */
void p2m_set(uint64_t gfn, uint64_t nr, int64_t page, uint8_t type);
uint64_t p2m_max_gfn(void);
/* Guest RAM access by the simulated vCPU: bytes that are RAM. */
bool guest_ram_read(uint64_t gpa, void *buf, size_t len);
bool guest_ram_write(uint64_t gpa, const void *buf, size_t len);
int mem_populate(uint64_t gfn, unsigned order);
int mem_decrease(uint64_t gfn, unsigned order);
int mem_relocate(uint64_t src, uint64_t dst, uint64_t nr);
int mem_set_type(uint64_t first, uint64_t nr, unsigned hvmmem_type);
void mem_mark_guest_write(uint64_t gpa, size_t len);

/* evtchn.c */
void evtchn_init(void);
int evtchn_alloc_guest_unbound(unsigned remote_dom);
void evtchn_free_guest(uint32_t port);
/* Xen notifying a guest-domain port (ioreq sent): reaches the bound DM port. */
void evtchn_guest_notify(uint32_t port);
/* Count of notifications the guest side of port has received from dom0. */
uint64_t evtchn_guest_notify_count(uint32_t port);
/* The library connection holding the dom0 end of a guest port, or NULL. */
SimConn *evtchn_guest_peer(uint32_t port);
bool evtchn_guest_take_pending(uint32_t port);
int evtchn_bind_interdomain(SimConn *c, unsigned remote_dom, uint32_t remote_port);
int evtchn_bind_unbound(SimConn *c, unsigned remote_dom);
int evtchn_bind_virq(SimConn *c, uint32_t virq);
int evtchn_unbind(SimConn *c, uint32_t port);
int evtchn_notify(SimConn *c, uint32_t port);
int evtchn_unmask(SimConn *c, uint32_t port);
void evtchn_conn_closed(SimConn *c);
void evtchn_send_virq(uint32_t virq);
/* Test side (a PV frontend): bind a guest port to a DM port. */
int evtchn_guest_bind_interdomain(uint32_t dom0_port);

/* ioreq.c: ioreq servers, dm_ops and sending ioreqs */
int dm_op_handle(SimConn *c, struct xen_dm_op *op, unsigned nr_bufs, const uint8_t *buf_in,
                 uint32_t buf_size, GByteArray *buf_out);
int ioreq_map_resource(unsigned id, uint64_t frame, uint64_t nr, int64_t *pages);
int ioreq_resource_frames(unsigned id);
void ioreq_conn_closed(SimConn *c);
void ioreq_destroy_all(void);
IoreqServer *ioreq_select(ioreq_t *p);
/*
 * Emulate one guest access: Xen-internal devices, buffered path, ioreq
 * servers, null handler.  On success p->data holds a read's result.
 * Errors (device model misbehaving, timeout) are returned as a message.
 */
bool sim_io(SimAccess *a, GError **errp);
/* Send exactly this request to a server, bypassing checks (xensim_raw_ioreq). */
bool ioreq_send_raw(IoreqServer *s, unsigned vcpu, ioreq_t *p, GError **errp);
/* Buffered write; returns false when it cannot be buffered (full ring, no buffering). */
bool ioreq_send_buffered(IoreqServer *s, const ioreq_t *p);
bool ioreq_broadcast_invalidate(GError **errp);
unsigned ioreq_broadcast_timeoffset(int64_t delta);
void ioreq_describe(GString *out);

/* irq.c */
int irq_set_isa_level(unsigned irq, unsigned level);
int irq_set_pci_intx_level(unsigned seg, unsigned bus, unsigned dev, unsigned intx,
                           unsigned level);
int irq_set_link_route(unsigned link, unsigned irq);
void irq_intercept_enable(void);

/* platform.c: devices Xen emulates itself */
void platform_init(void);
/* true if Xen handles the port itself (no ioreq); *val for reads */
bool platform_pio(uint16_t port, unsigned size, bool write, uint32_t *val);
bool platform_mmio(uint64_t addr, unsigned size, bool write, uint64_t *val);
void platform_param_changed(unsigned param);

/* control.c: library connections */
bool control_init(GError **errp);
void control_shutdown(void);
void conn_send_event(SimConn *c, uint32_t port);
SimConn *conn_find_evtchn_owner(uint32_t port);
const char *conn_describe(SimConn *c);
uint32_t conn_kind(SimConn *c);
/* Handle what is waiting on the connection without blocking; false if it closed. */
bool conn_poll(SimConn *c);

/* qtest.c */
bool qtest_connect(const char *spec, GError **errp);
void qtest_send_line(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void qtest_close(void);

/* xs-socket.c */
bool xs_socket_init(const char *path, GError **errp);
void xs_socket_shutdown(void);
void xs_populate_domain(void);

/* Grants (qtest-defined) */
typedef struct Grant {
    uint64_t gfn;
    bool readonly;
} Grant;

#endif
