/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The per-vCPU slot handshake (xen-interface.md 1.3; Xen's ioreq_send and
 * wait_for_io).  Xen owns the slot while it is NONE or READY and blocks
 * the vCPU until it sees IORESP_READY; the device model owns it from
 * INPROCESS until it publishes the response.  Barriers: the request's
 * fields are read only after state READY was seen (acquire), and the
 * response's data is visible before state IORESP_READY (release).  On x86
 * both are compiler barriers, as Xen's xen_rmb/xen_wmb are.
 */
#include "ioreq/ioreq.h"

#include "hw/core/log.h"

bool ioreq_slot_service(volatile ioreq_t *slot, unsigned vcpu, const IoreqHandlers *h,
                        const IoreqSlotHooks *hooks)
{
    ioreq_t req = { 0 };
    unsigned state = slot->state;
    IoreqResult r;

    if (state != STATE_IOREQ_READY) {
        /* An event for a slot with nothing to do: harmless unless the state is nonsense. */
        if (state > STATE_IORESP_READY) {
            guest_error("ioreq: vcpu %u slot in unknown state %u; ignored\n", vcpu, state);
        } else {
            log_cat(LOG_XEN, "ioreq: vcpu %u event with slot in state %u (not ready); ignored\n", vcpu, state);
        }
        return false;
    }
    __atomic_thread_fence(__ATOMIC_ACQUIRE);

    /* A private copy: the guest-visible page is never read twice. */
    req.addr = slot->addr;
    req.data = slot->data;
    req.count = slot->count;
    req.size = slot->size;
    req.vp_eport = slot->vp_eport;
    req.state = STATE_IOREQ_INPROCESS;
    req.data_is_ptr = slot->data_is_ptr;
    req.dir = slot->dir;
    req.df = slot->df;
    req.type = slot->type;
    slot->state = STATE_IOREQ_INPROCESS;

    r = ioreq_handle(h, &req);
    if (hooks && hooks->after) {
        hooks->after(hooks->opaque, &req, r);
    }

    state = slot->state;
    if (state != STATE_IOREQ_INPROCESS) {
        /* Xen never does this; QEMU destroys the domain.  Leave the slot alone. */
        guest_error("ioreq: vcpu %u slot went from in-process to state %u under us; no response\n",
                    vcpu, state);
        return false;
    }
    slot->data = req.data;
    __atomic_thread_fence(__ATOMIC_RELEASE);
    slot->state = STATE_IORESP_READY;
    return true;
}
