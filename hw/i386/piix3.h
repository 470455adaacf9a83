/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Intel 82371SB (PIIX3) function 0, the PCI-to-ISA bridge, at 00:01.0
 * (8086:7000): PIRQ routing of PCI INTx to ISA IRQs and the reset control
 * register at port 0xcf9.  Its other registers (XBCS, TOM, APIC base, SMI
 * control, ...) are stored and inert.  The i8259 pair with its ELCR is a
 * separate model (hw/intc/i8259).
 */
#ifndef HW_I386_PIIX3_H
#define HW_I386_PIIX3_H

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

#include "hw/core/irq.h"
#include "hw/core/machine.h"
#include "hw/pci/pci.h"

#define PIIX3_DEVFN             PCI_DEVFN(1, 0)
#define PIIX3_VENDOR_ID         0x8086
#define PIIX3_DEVICE_ID         0x7000

/* Function 0 registers used here (82371SB datasheet, 2.2). */
#define PIIX3_PIRQRC            0x60    /* PIRQRC[A..D] at 0x60..0x63 */
#define PIIX3_PIRQRC_DISABLE    0x80    /* IRQROUTEN#: 1 = not routed */
#define PIIX3_PIRQRC_IRQ_MASK   0x0f
#define PIIX3_NUM_ISA_IRQS      16

#define PIIX3_RCR_PORT          0xcf9
#define PIIX3_RCR_SRST          0x02    /* system reset: 1 = hard reset */
#define PIIX3_RCR_RCPU          0x04    /* 0 -> 1: reset now */

typedef struct PIIX3State PIIX3State;

/*
 * Create function 0 at PIIX3_DEVFN and take over the bus's PIRQ routing:
 * a routed PIRQ drives isa_irqs[n] (16 lines, the board's GSI 0-15), as
 * the wired OR of all PIRQs routed to n.  0xcf9 is reached through the
 * host bridge (i440fx_set_cf9_handler with piix3_rcr_read/write) or, on a
 * board without one, by mapping it with piix3_map_rcr.
 */
PIIX3State *piix3_create(Machine *m, PCIBus *bus, IrqLine **isa_irqs, GError **err);

uint8_t piix3_rcr_read(void *opaque /* PIIX3State */);
void piix3_rcr_write(void *opaque /* PIIX3State */, uint8_t value);
void piix3_map_rcr(PIIX3State *s);

/*
 * Routing listener (Xen: xendevicemodel_set_pci_link_route): called for
 * each PIRQ whose PIRQRC register changed, with the ISA IRQ it now routes
 * to, or 0 when routing is disabled or the IRQ is reserved.
 */
typedef void (*PIIX3RouteFn)(void *opaque, int pirq, int isa_irq);
void piix3_set_route_listener(PIIX3State *s, PIIX3RouteFn fn, void *opaque);

/* ISA IRQ that PIRQ pirq (0..3) is routed to now, or -1 if none. */
int piix3_pirq_route(PIIX3State *s, int pirq);
PCIDevice *piix3_pci(PIIX3State *s);

#endif
