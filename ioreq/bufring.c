/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The buffered ioreq ring (xen-interface.md 2; Xen's ioreq_send_buffered,
 * QEMU's handle_buffered_iopage).  Page layout: read_pointer (u32) at 0,
 * write_pointer (u32) at 4, then 511 slots of 8 bytes: the first LE u32
 * holds type (bits 0-7), dir (bit 9), size (bits 10-11: 1 << n bytes) and
 * a 20-bit address (bits 12-31); the second is the data.  An 8-byte write
 * takes two consecutive slots, the low half first.
 *
 * Xen is the only producer and we the only consumer, but in ATOMIC mode
 * Xen also pulls both pointers back by a multiple of 511 with a 64-bit
 * cmpxchg, so a read_pointer that moved between our two loads means the
 * pair was canonicalised: load again.  We only ever advance read_pointer
 * with an atomic add, which composes with that cmpxchg.
 */
#include "ioreq/ioreq.h"

#include <string.h>

#include "hw/core/log.h"

#define BUF_TYPE(w0)    ((w0) & 0xff)
#define BUF_DIR(w0)     (((w0) >> 9) & 1)
#define BUF_SIZE(w0)    (1u << (((w0) >> 10) & 3))
#define BUF_ADDR(w0)    ((w0) >> 12)

/* A pointer pair that keeps moving under us this often is not Xen's canonicalisation. */
#define BUFRING_MAX_RETRIES 64

bool ioreq_bufring_decode(uint32_t w0, uint32_t w1, ioreq_t *req)
{
    memset(req, 0, sizeof(*req));
    req->type = (uint8_t)BUF_TYPE(w0);
    req->addr = BUF_ADDR(w0);
    req->data = w1;
    req->size = BUF_SIZE(w0);
    req->count = 1;
    req->dir = IOREQ_WRITE;
    req->state = STATE_IOREQ_READY;
    /* Xen buffers immediate writes only. */
    return BUF_DIR(w0) == IOREQ_WRITE;
}

static void read_slot(buffered_iopage_t *page, uint32_t index, uint32_t *w0, uint32_t *w1)
{
    volatile uint32_t *w = (volatile uint32_t *)&page->buf_ioreq[index % IOREQ_BUFFER_SLOT_NUM];

    *w0 = w[0];
    *w1 = w[1];
}

unsigned ioreq_bufring_drain(buffered_iopage_t *page, const IoreqHandlers *h, unsigned max_entries)
{
    uint32_t *rp_ptr = &page->read_pointer;
    uint32_t *wp_ptr = &page->write_pointer;
    unsigned done = 0, retries = 0;

    while (!max_entries || done < max_entries) {
        uint32_t rp = __atomic_load_n(rp_ptr, __ATOMIC_ACQUIRE);
        uint32_t wp = __atomic_load_n(wp_ptr, __ATOMIC_ACQUIRE);
        uint32_t avail, w0, w1, consumed = 1;
        ioreq_t req;

        if (__atomic_load_n(rp_ptr, __ATOMIC_ACQUIRE) != rp) {
            if (++retries > BUFRING_MAX_RETRIES) {
                guest_error("ioreq: buffered ring read pointer keeps moving; giving up this round\n");
                break;
            }
            continue;
        }
        if (rp == wp) {
            break;
        }
        avail = wp - rp;
        if (avail > IOREQ_BUFFER_SLOT_NUM) {
            /* More entries than the ring holds: the pointers are garbage.  Drop everything. */
            guest_error("ioreq: buffered ring pointers read=%u write=%u are inconsistent; "
                        "discarding the ring\n", rp, wp);
            __atomic_compare_exchange_n(rp_ptr, &rp, wp, false, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE);
            break;
        }
        read_slot(page, rp, &w0, &w1);
        if (!ioreq_bufring_decode(w0, w1, &req)) {
            guest_error("ioreq: buffered %s entry at 0x%x is a read; skipped\n",
                        ioreq_type_str(BUF_TYPE(w0)), BUF_ADDR(w0));
        } else if (req.size == 8 && avail < 2) {
            /* Xen publishes both halves with one pointer update; a lone half is corrupt. */
            guest_error("ioreq: buffered 8-byte write at 0x%x lacks its high half; skipped\n",
                        BUF_ADDR(w0));
        } else {
            if (req.size == 8) {
                uint32_t h0, h1;

                read_slot(page, rp + 1, &h0, &h1);
                req.data |= (uint64_t)h1 << 32;
                consumed = 2;
            }
            ioreq_handle(h, &req);
        }
        __atomic_fetch_add(rp_ptr, consumed, __ATOMIC_RELEASE);
        done++;
    }
    return done;
}
