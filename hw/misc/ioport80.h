/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The two PC ports nobody answers but everybody writes: 0x80, where
 * firmware posts POST codes and Linux's outb_p() writes to waste time, and
 * 0xf0, the coprocessor-error latch (a write clears FERR#, i.e. lowers
 * IRQ 13).  Without a sink every such write is an unclaimed access (under
 * Xen a null-handler round trip and, with -d guest_errors, noise).
 * Reads float high.
 */
#ifndef HW_MISC_IOPORT80_H
#define HW_MISC_IOPORT80_H

#include <stdint.h>

#include "hw/core/irq.h"
#include "hw/core/machine.h"

#define IOPORT80_PORT       0x80
#define IOPORTF0_PORT       0xf0

/* Map both ports; ferr_irq (may be NULL) is lowered by any write to 0xf0. */
void ioport80_create(Machine *m, IrqLine *ferr_irq);
/* The last POST code written to port 0x80 (debugging aid; not guest-visible). */
uint8_t ioport80_last_post_code(Machine *m);

#endif
