/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The ioreq server against Xen 4.17 (xen-interface.md 3.1): a sequence of
 * steps, each undone by ioreq_server_free in exact reverse order from the
 * step reached, so a failure at any point leaves nothing behind.  Then:
 * watching the machine's address spaces so that every port and MMIO range
 * a device decodes is registered with Xen (and moved when a guest moves a
 * BAR), registering PCI functions, serving the per-vCPU slots and the
 * buffered ring on the main loop, and the dm_ops a board needs (irq-sink.c).
 *
 * Runs on the main loop thread with the device lock held, like devices.
 */
#ifndef IOREQ_SERVER_H
#define IOREQ_SERVER_H

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

#include <xenctrl.h>
#include <xendevicemodel.h>
#include <xenevtchn.h>
#include <xenforeignmemory.h>

#include "hw/core/memory.h"
#include "ioreq/ioreq.h"

/* One ioreq page holds this many vCPU slots (4096 / sizeof(ioreq_t)). */
#define IOREQ_MAX_VCPUS         128
/* QEMU's BUFFER_IO_MAX_DELAY: how often a busy buffered ring is polled while its port stays masked. */
#define IOREQ_BUFFERED_POLL_MS  100
/*
 * Adaptive polling of the shared ioreq page's slot states after an answer
 * (server.c), off unless IoreqServerConfig.poll_max_ns is set: the window starts at
 * IOREQ_POLL_START_NS, doubles up to poll_max_ns while requests keep
 * coming back that fast, and at most IOREQ_POLL_MAX_BURST requests are
 * served before the main loop runs again.  It pays on an idle host and
 * costs on a busy one (the spinning DM takes the CPU the vCPU needs).
 */
#define IOREQ_POLL_START_NS     4000
#define IOREQ_POLL_LIMIT_NS     1000000
#define IOREQ_POLL_MAX_BURST    256
/* After this long without a request, the polling loop yields the CPU between looks. */
#define IOREQ_POLL_YIELD_AFTER_NS 5000

typedef enum {
    IOREQ_STEP_NONE,
    IOREQ_STEP_LIBS_OPEN,        /* xc, foreignmemory, devicemodel and evtchn handles */
    IOREQ_STEP_SERVER_CREATED,   /* create_ioreq_server(BUFIOREQ_ATOMIC) */
    IOREQ_STEP_PAGES_MAPPED,     /* resource frames 0 (buffered) and 1 (slots), or the gfn fallback */
    IOREQ_STEP_BUFPORT_KNOWN,    /* get_ioreq_server_info(NULL, NULL, &bufport) */
    IOREQ_STEP_ENABLED,          /* set_ioreq_server_state(1): Xen publishes vp_eport */
    IOREQ_STEP_PORTS_BOUND,      /* each vCPU's port and the buffered one bound */
    IOREQ_STEP_SERVING,          /* the evtchn fd is on the main loop */
} IoreqStep;

typedef struct IoreqServerConfig {
    uint32_t domid;
    unsigned max_vcpus;          /* slots to serve, 1..IOREQ_MAX_VCPUS */
    int64_t poll_max_ns;         /* adaptive polling window limit, 0 = never poll */
} IoreqServerConfig;

typedef struct IoreqServer IoreqServer;

/* Counters (QMP debugging, the benchmark). */
typedef struct IoreqStats {
    uint64_t sync;               /* synchronous requests answered */
    uint64_t buffered;           /* buffered entries consumed */
    uint64_t spurious;           /* events with no request ready */
    uint64_t malformed;          /* requests refused or cut short */
    uint64_t polled;             /* requests found by polling the page after an answer */
} IoreqStats;

/* Run every step; on failure undo what was done and return NULL with err set (naming the step). */
IoreqServer *ioreq_server_new(const IoreqServerConfig *cfg, GError **err);
/* Undo from the step reached.  Address spaces must have been unwatched. */
void ioreq_server_free(IoreqServer *s);
IoreqStep ioreq_server_step(const IoreqServer *s);
const char *ioreq_step_name(IoreqStep step);

/* What requests are serviced with (set before the guest runs; kept by value). */
void ioreq_server_set_handlers(IoreqServer *s, const IoreqHandlers *h, const IoreqSlotHooks *hooks);

/*
 * Register every range of io (as ports) and mem (as MMIO) whose region is
 * not `ram` (guest RAM is Xen's own), now and after every change of the
 * flat views.  Failures to register are logged (the guest then gets the
 * null handler for that range), never fatal.
 */
void ioreq_server_watch(IoreqServer *s, AddressSpace *io, AddressSpace *mem, const MemoryRegion *ram);
/* Stop watching and unregister every range. */
void ioreq_server_unwatch(IoreqServer *s);

/* PCI functions whose config cycles come as PCI_CONFIG requests. */
bool ioreq_server_map_pcidev(IoreqServer *s, uint8_t bus, uint8_t devfn, GError **err);
bool ioreq_server_unmap_pcidev(IoreqServer *s, uint8_t bus, uint8_t devfn, GError **err);

/* stop/cont: a disabled server gets no requests (QEMU's run-state hook). */
bool ioreq_server_set_enabled(IoreqServer *s, bool enabled, GError **err);
bool ioreq_server_enabled(const IoreqServer *s);

/* Drain the buffered ring now (before saving state). */
unsigned ioreq_server_drain_buffered(IoreqServer *s);

const IoreqStats *ioreq_server_stats(const IoreqServer *s);
uint32_t ioreq_server_domid(const IoreqServer *s);
xc_interface *ioreq_server_xc(IoreqServer *s);
xendevicemodel_handle *ioreq_server_dmod(IoreqServer *s);
xenforeignmemory_handle *ioreq_server_fmem(IoreqServer *s);
/* The number of ranges registered with Xen now (ports, MMIO), for tests and `info`. */
void ioreq_server_range_counts(const IoreqServer *s, unsigned *ports, unsigned *mmio);
/* Append the registered ranges, one "port|mmio START-END" line each. */
void ioreq_server_dump_ranges(const IoreqServer *s, GString *out);

/* ---- irq-sink.c: dm_ops on behalf of the board ---- */

/* ISA IRQ 0..15 line level (xendevicemodel_set_isa_irq_level). */
void ioreq_set_isa_irq_level(IoreqServer *s, unsigned irq, unsigned level);
/* A PCI device's INTx pin (dev 0..31, intx 0..3 = INTA..INTD) on bus 0. */
void ioreq_set_pci_intx_level(IoreqServer *s, unsigned dev, unsigned intx, unsigned level);
/* PCI link (PIRQ A..D = 0..3) routed to ISA IRQ isa_irq (0 = disabled). */
void ioreq_set_pci_link_route(IoreqServer *s, unsigned link, unsigned isa_irq);
void ioreq_inject_msi(IoreqServer *s, uint64_t addr, uint32_t data);
/* SHUTDOWN_poweroff/reboot/suspend/crash (xen/sched.h), falling back to xc_domain_shutdown on ENOTTY. */
bool ioreq_domain_shutdown(IoreqServer *s, unsigned reason, GError **err);
typedef enum {
    IOREQ_DOMAIN_ALIVE,
    IOREQ_DOMAIN_SHUTDOWN,       /* shut down (poweroff/reboot/...), not yet destroyed */
    IOREQ_DOMAIN_DYING,
    IOREQ_DOMAIN_GONE,
    IOREQ_DOMAIN_UNKNOWN,        /* cannot ask (restricted handle) */
} IoreqDomainState;
IoreqDomainState ioreq_domain_state(IoreqServer *s);

/* HVM_PARAM_ACPI_S_STATE (3 on S3 entry, 0 on wake). */
bool ioreq_set_acpi_s_state(IoreqServer *s, unsigned state, GError **err);

#endif
