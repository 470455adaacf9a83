/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Flattening: one ioreq (with its rep count, direction flag and
 * data_is_ptr) becomes scalar accesses on the io/mem address spaces plus
 * copies through guest RAM.  Semantics from xen-interface.md 1.4:
 *
 *   PIO,  data_is_ptr=0  count accesses to port addr; a read keeps the last
 *   PIO,  data_is_ptr=1  port addr <-> guest RAM at data +/- k*size
 *   COPY, data_is_ptr=0  device addr +/- k*size; a read keeps the last,
 *                        a write stores data to each (rep stos)
 *   COPY, data_is_ptr=1  device addr +/- k*size <-> RAM data +/- k*size
 *
 * Element addresses are computed unsigned; an element whose range would
 * wrap past either end of the 64-bit space ends the request there, as does
 * a guest buffer that is not RAM: the elements before it are done (the
 * partial completion of Xen's hvm_process_io_intercept).
 */
#include "ioreq/ioreq.h"

#include <inttypes.h>

#include "hw/core/log.h"

static uint64_t size_mask(unsigned size)
{
    return size >= 8 ? UINT64_MAX : (UINT64_C(1) << (size * 8)) - 1;
}

static bool size_ok(unsigned size, unsigned max)
{
    return (size == 1 || size == 2 || size == 4 || size == 8) && size <= max;
}

/* Little-endian element bytes, whatever the host. */
static void le_store(uint8_t *buf, uint64_t v, unsigned size)
{
    for (unsigned i = 0; i < size; i++) {
        buf[i] = (uint8_t)(v >> (8 * i));
    }
}

static uint64_t le_load(const uint8_t *buf, unsigned size)
{
    uint64_t v = 0;

    for (unsigned i = 0; i < size; i++) {
        v |= (uint64_t)buf[i] << (8 * i);
    }
    return v;
}

/*
 * Address of element k (base +/- k*size) if [addr, addr+size-1] lies inside
 * the 64-bit space.  k*size cannot overflow: count * size was bounded.
 */
static bool element_addr(uint64_t base, uint64_t k, unsigned size, bool df, uint64_t *out)
{
    uint64_t off = k * size;
    uint64_t a;

    if (df) {
        if (off > base) {
            return false;
        }
        a = base - off;
    } else {
        a = base + off;
        if (a < base) {
            return false;
        }
    }
    if (a + (size - 1) < a) {
        return false;
    }
    *out = a;
    return true;
}

static bool ram_read(const IoreqHandlers *h, uint64_t gpa, uint64_t *v, unsigned size)
{
    uint8_t buf[8];

    if (!h->ram_read || !h->ram_read(h->opaque, gpa, buf, size)) {
        return false;
    }
    *v = le_load(buf, size);
    return true;
}

static bool ram_write(const IoreqHandlers *h, uint64_t gpa, uint64_t v, unsigned size)
{
    uint8_t buf[8];

    le_store(buf, v, size);
    return h->ram_write && h->ram_write(h->opaque, gpa, buf, size);
}

/* Checks shared by PIO and COPY: size, and a count that moves a sane amount of data. */
static IoreqResult check_rep(const ioreq_t *req, unsigned max_size)
{
    if (!size_ok(req->size, max_size)) {
        return IOREQ_RESULT_BAD_SIZE;
    }
    if (req->count == 0 || (uint64_t)req->count * req->size > IOREQ_MAX_REP_BYTES) {
        return IOREQ_RESULT_BAD_COUNT;
    }
    return IOREQ_RESULT_OK;
}

/*
 * One element of a data_is_ptr request between the device at dev_addr in as
 * and the guest buffer at gpa: a read goes device -> buffer (ins, movs from
 * MMIO), a write buffer -> device (outs, movs to MMIO).
 */
static IoreqResult move_element(const IoreqHandlers *h, AddressSpace *as, const ioreq_t *req,
                                uint64_t dev_addr, uint64_t gpa)
{
    unsigned size = req->size;
    uint64_t v;

    if (req->dir == IOREQ_READ) {
        as_read(as, dev_addr, size, &v);
        if (!ram_write(h, gpa, v & size_mask(size), size)) {
            return IOREQ_RESULT_BAD_PTR;
        }
    } else {
        if (!ram_read(h, gpa, &v, size)) {
            return IOREQ_RESULT_BAD_PTR;
        }
        as_write(as, dev_addr, size, v);
    }
    return IOREQ_RESULT_OK;
}

static IoreqResult handle_pio(const IoreqHandlers *h, ioreq_t *req)
{
    unsigned size = req->size;
    uint64_t mask = size_mask(size);
    IoreqResult r = check_rep(req, IOREQ_MAX_PIO_SIZE);
    uint64_t v;

    if (r != IOREQ_RESULT_OK) {
        return r;
    }
    if (!req->data_is_ptr) {
        if (req->dir == IOREQ_READ) {
            for (uint32_t k = 0; k < req->count; k++) {
                as_read(h->io, req->addr, size, &v);
                req->data = v & mask;
            }
        } else {
            v = req->data & mask;
            for (uint32_t k = 0; k < req->count; k++) {
                as_write(h->io, req->addr, size, v);
            }
        }
        return IOREQ_RESULT_OK;
    }
    for (uint32_t k = 0; k < req->count; k++) {
        uint64_t gpa;

        if (!element_addr(req->data, k, size, req->df, &gpa)) {
            return IOREQ_RESULT_WRAP;
        }
        r = move_element(h, h->io, req, req->addr, gpa);
        if (r != IOREQ_RESULT_OK) {
            return r;
        }
    }
    return IOREQ_RESULT_OK;
}

static IoreqResult handle_copy(const IoreqHandlers *h, ioreq_t *req)
{
    unsigned size = req->size;
    uint64_t mask = size_mask(size);
    IoreqResult r = check_rep(req, IOREQ_MAX_COPY_SIZE);
    uint64_t v;

    if (r != IOREQ_RESULT_OK) {
        return r;
    }
    for (uint32_t k = 0; k < req->count; k++) {
        uint64_t addr, gpa;

        if (!element_addr(req->addr, k, size, req->df, &addr)) {
            return IOREQ_RESULT_WRAP;
        }
        if (!req->data_is_ptr) {
            if (req->dir == IOREQ_READ) {
                as_read(h->mem, addr, size, &v);
                req->data = v & mask;
            } else {
                as_write(h->mem, addr, size, req->data & mask);
            }
            continue;
        }
        if (!element_addr(req->data, k, size, req->df, &gpa)) {
            return IOREQ_RESULT_WRAP;
        }
        r = move_element(h, h->mem, req, addr, gpa);
        if (r != IOREQ_RESULT_OK) {
            return r;
        }
    }
    return IOREQ_RESULT_OK;
}

static IoreqResult handle_pci_config(const IoreqHandlers *h, ioreq_t *req)
{
    unsigned size = req->size;
    uint32_t sbdf = IOREQ_PCI_SBDF(req->addr);
    uint32_t reg = IOREQ_PCI_REG(req->addr);

    if (!size_ok(size, 4)) {
        return IOREQ_RESULT_BAD_SIZE;
    }
    if (req->count != 1) {
        return IOREQ_RESULT_BAD_COUNT;
    }
    if (req->data_is_ptr) {
        return IOREQ_RESULT_BAD_FORM;
    }
    if (req->dir == IOREQ_READ) {
        uint32_t v = h->pci_config_read ? h->pci_config_read(h->opaque, sbdf, reg, size) : UINT32_MAX;
        req->data = v & size_mask(size);
    } else if (h->pci_config_write) {
        h->pci_config_write(h->opaque, sbdf, reg, (uint32_t)(req->data & size_mask(size)), size);
    }
    return IOREQ_RESULT_OK;
}

const char *ioreq_result_str(IoreqResult r)
{
    switch (r) {
    case IOREQ_RESULT_OK:
        return "ok";
    case IOREQ_RESULT_BAD_SIZE:
        return "bad size";
    case IOREQ_RESULT_BAD_TYPE:
        return "unknown type";
    case IOREQ_RESULT_BAD_COUNT:
        return "bad count";
    case IOREQ_RESULT_WRAP:
        return "address wraps";
    case IOREQ_RESULT_BAD_PTR:
        return "data pointer outside guest RAM";
    case IOREQ_RESULT_BAD_FORM:
        return "field combination Xen never sends";
    }
    return "?";
}

const char *ioreq_type_str(unsigned type)
{
    switch (type) {
    case IOREQ_TYPE_PIO:
        return "pio";
    case IOREQ_TYPE_COPY:
        return "copy";
    case IOREQ_TYPE_PCI_CONFIG:
        return "pci-config";
    case IOREQ_TYPE_TIMEOFFSET:
        return "timeoffset";
    case IOREQ_TYPE_INVALIDATE:
        return "invalidate";
    }
    return "unknown";
}

/* One guest-error line per cause, each rate limited on its own. */
static void report(const ioreq_t *req, IoreqResult r)
{
#define IOREQ_FMT "ioreq %s addr=0x%" PRIx64 " data=0x%" PRIx64 " count=%u size=%u dir=%s%s%s: %s\n"
#define IOREQ_ARGS ioreq_type_str(req->type), (uint64_t)req->addr, (uint64_t)req->data, \
        (unsigned)req->count, (unsigned)req->size, req->dir == IOREQ_READ ? "read" : "write", \
        req->data_is_ptr ? " ptr" : "", req->df ? " df" : "", ioreq_result_str(r)
    switch (r) {
    case IOREQ_RESULT_OK:
        break;
    case IOREQ_RESULT_BAD_SIZE:
        guest_error(IOREQ_FMT, IOREQ_ARGS);
        break;
    case IOREQ_RESULT_BAD_TYPE:
        guest_error(IOREQ_FMT, IOREQ_ARGS);
        break;
    case IOREQ_RESULT_BAD_COUNT:
        guest_error(IOREQ_FMT, IOREQ_ARGS);
        break;
    case IOREQ_RESULT_WRAP:
        guest_error(IOREQ_FMT, IOREQ_ARGS);
        break;
    case IOREQ_RESULT_BAD_PTR:
        guest_error(IOREQ_FMT, IOREQ_ARGS);
        break;
    case IOREQ_RESULT_BAD_FORM:
        guest_error(IOREQ_FMT, IOREQ_ARGS);
        break;
    }
#undef IOREQ_FMT
#undef IOREQ_ARGS
}

IoreqResult ioreq_handle(const IoreqHandlers *h, ioreq_t *req)
{
    IoreqResult r;

    log_cat(LOG_XEN, "ioreq %s addr=0x%" PRIx64 " data=0x%" PRIx64 " count=%u size=%u %s%s%s\n",
            ioreq_type_str(req->type), (uint64_t)req->addr, (uint64_t)req->data, (unsigned)req->count,
            (unsigned)req->size, req->dir == IOREQ_READ ? "read" : "write", req->data_is_ptr ? " ptr" : "",
            req->df ? " df" : "");
    switch (req->type) {
    case IOREQ_TYPE_PIO:
        r = handle_pio(h, req);
        break;
    case IOREQ_TYPE_COPY:
        r = handle_copy(h, req);
        break;
    case IOREQ_TYPE_PCI_CONFIG:
        r = handle_pci_config(h, req);
        break;
    case IOREQ_TYPE_TIMEOFFSET:
        if (h->timeoffset) {
            h->timeoffset(h->opaque, (int64_t)req->data);
        }
        return IOREQ_RESULT_OK;
    case IOREQ_TYPE_INVALIDATE:
        if (h->invalidate) {
            h->invalidate(h->opaque);
        }
        return IOREQ_RESULT_OK;
    default:
        r = IOREQ_RESULT_BAD_TYPE;
        break;
    }
    if (r != IOREQ_RESULT_OK) {
        /*
         * Refused before any access: a read answers all-ones.  A partial
         * rep (WRAP, BAD_PTR) keeps what the done elements produced.
         */
        if (req->dir == IOREQ_READ && !req->data_is_ptr && r != IOREQ_RESULT_WRAP &&
            r != IOREQ_RESULT_BAD_PTR) {
            req->data = size_ok(req->size, 8) ? size_mask(req->size) : UINT64_MAX;
        }
        report(req, r);
    }
    return r;
}
