/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The Xen ioreq transport, the part that needs no Xen library: decoding a
 * request (synchronous slot or buffered ring entry) into scalar accesses
 * on the machine's address spaces, copies through guest RAM, and PCI
 * configuration cycles.  Facts: xen-interface.md sections 1 and 2
 * (Xen 4.17 public/hvm/ioreq.h; xen/common/ioreq.c; xen/arch/x86/hvm/
 * intercept.c for the rep arithmetic).
 *
 * Everything here takes guest-controlled input: every size, count,
 * address and ring pointer is checked; a malformed request is logged as a
 * guest error and completed (reads all-ones), never trusted, never fatal.
 */
#ifndef IOREQ_IOREQ_H
#define IOREQ_IOREQ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <xen/hvm/ioreq.h>

#include "hw/core/memory.h"

/*
 * Largest amount of data one rep request may move (count * size).  Xen
 * splits rep string instructions at page boundaries, so real requests stay
 * within 4 KiB; anything past this bound is refused as malformed rather
 * than let one request keep the device thread busy for seconds.
 */
#define IOREQ_MAX_REP_BYTES     (16u << 20)

/* Sizes a request may carry (xen-interface.md 1.4). */
#define IOREQ_MAX_PIO_SIZE      4
#define IOREQ_MAX_COPY_SIZE     8

/* PCI_CONFIG address: SBDF in bits 63:32, register in 31:0. */
#define IOREQ_PCI_SBDF(addr)    ((uint32_t)((addr) >> 32))
#define IOREQ_PCI_REG(addr)     ((uint32_t)(addr))

/* What a request is serviced with; xen-dm fills it from the board. */
typedef struct IoreqHandlers {
    AddressSpace *io;           /* PIO */
    AddressSpace *mem;          /* COPY (MMIO) */
    /*
     * Guest RAM for data_is_ptr copies.  Only RAM: a pointer into MMIO or
     * beyond RAM fails the copy (false), which ends the request early.
     */
    bool (*ram_read)(void *opaque, uint64_t gpa, void *buf, size_t len);
    bool (*ram_write)(void *opaque, uint64_t gpa, const void *buf, size_t len);
    /* PCI_CONFIG cycles: sbdf = seg << 16 | bus << 8 | devfn; reg may exceed 255 (AMD extended CF8). */
    uint32_t (*pci_config_read)(void *opaque, uint32_t sbdf, uint32_t reg, unsigned size);
    void (*pci_config_write)(void *opaque, uint32_t sbdf, uint32_t reg, uint32_t value, unsigned size);
    /* INVALIDATE: drop every cached mapping of guest RAM.  Optional. */
    void (*invalidate)(void *opaque);
    /* TIMEOFFSET: the guest moved its RTC by delta seconds.  Optional. */
    void (*timeoffset)(void *opaque, int64_t delta);
    void *opaque;
} IoreqHandlers;

/* Why a request was not carried out in full. */
typedef enum {
    IOREQ_RESULT_OK = 0,
    IOREQ_RESULT_BAD_SIZE,      /* size not 1/2/4(/8 for COPY) */
    IOREQ_RESULT_BAD_TYPE,      /* unknown type (3-6, >8) */
    IOREQ_RESULT_BAD_COUNT,     /* count 0 where >= 1 is needed, or count * size too large */
    IOREQ_RESULT_WRAP,          /* the rep range wraps the address space (partial) */
    IOREQ_RESULT_BAD_PTR,       /* data_is_ptr buffer not in guest RAM (partial) */
    IOREQ_RESULT_BAD_FORM,      /* a field combination Xen never sends (data_is_ptr on PCI_CONFIG, a buffered read) */
} IoreqResult;

const char *ioreq_result_str(IoreqResult r);
const char *ioreq_type_str(unsigned type);

/*
 * Carry out one request, a private copy: reads leave their value (masked
 * to size) in req->data; a malformed request leaves all-ones for a read.
 * Rep requests stop at the first element whose address wraps or whose
 * guest buffer is not RAM (Xen's intercept.c does the same: the elements
 * before it are done).  Returns what happened; the caller completes the
 * request whatever the result.
 */
IoreqResult ioreq_handle(const IoreqHandlers *h, ioreq_t *req);

/*
 * One vCPU's slot in the shared page, by xen-interface.md 1.3: spurious
 * unless READY; read barrier; INPROCESS; handle a private copy; re-check
 * INPROCESS; write data; write barrier; IORESP_READY.  The caller drains
 * the buffered ring before (buffered writes were issued first).  `after`
 * (optional) runs after handling and before the response is published:
 * xen-dm acts there on a reset or power-off the request caused, so the
 * toolstack hears of it before the vCPU runs on (as QEMU does).  Returns
 * true when a response was published (the caller notifies the vCPU's
 * port), false for a spurious event or a slot that changed under us
 * (logged).
 */
typedef struct IoreqSlotHooks {
    void (*after)(void *opaque, const ioreq_t *req, IoreqResult result);
    void *opaque;
} IoreqSlotHooks;
bool ioreq_slot_service(volatile ioreq_t *slot, unsigned vcpu, const IoreqHandlers *h,
                        const IoreqSlotHooks *hooks);

/*
 * The buffered ring (xen-interface.md 2): rebuild each entry as a scalar
 * write and handle it, 8-byte writes from two consecutive slots, then
 * advance read_pointer atomically.  At most max_entries entries (0 = until
 * empty).  Returns the number of entries consumed; a corrupt ring (write -
 * read beyond the ring size, a buffered read, a lone half of an 8-byte
 * write) is logged and skipped past, never looped on.
 */
unsigned ioreq_bufring_drain(buffered_iopage_t *page, const IoreqHandlers *h, unsigned max_entries);

/* Decode one buffered entry (first and second 32-bit words) into a request.  False if malformed. */
bool ioreq_bufring_decode(uint32_t w0, uint32_t w1, ioreq_t *req);

#endif
