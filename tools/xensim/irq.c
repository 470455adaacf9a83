/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Interrupt lines the device model drives through dm_op, modelled on Xen's
 * hvm_irq (xen:xen/arch/x86/hvm/irq.c, xen/arch/x86/include/asm/hvm/irq.h):
 *  - ISA IRQ n (0-15) is asserted by set_isa_irq_level;
 *  - PCI INTx of device d pin i asserts PCI link (d + i) & 3, which drives
 *    the ISA IRQ the link is routed to by set_pci_link_route (0 = none)
 *    (it also drives GSI ((d*4 + d/8 + i) & 31) + 16 on the IOAPIC, which
 *    xensim does not report);
 *  - an ISA IRQ line is high while its own level or any link routed to it
 *    is asserted.
 * Level changes of ISA lines are reported to the qtest client as
 * "IRQ raise N" / "IRQ lower N" once it sent irq_intercept_in.
 */
#include "tools/xensim/xensim.h"

#include <errno.h>

static bool isa_line_level(unsigned irq)
{
    unsigned link;

    if (sim->isa_irq_level[irq]) {
        return true;
    }
    for (link = 0; link < 4; link++) {
        if (sim->link_route[link] == irq && irq != 0 && sim->link_assert_count[link]) {
            return true;
        }
    }
    return false;
}

static void update_lines(void)
{
    unsigned irq;

    for (irq = 0; irq < 16; irq++) {
        bool level = isa_line_level(irq);

        if (level != sim->irq_reported[irq]) {
            sim->irq_reported[irq] = level;
            if (sim->irq_intercept) {
                qtest_send_line("IRQ %s %u", level ? "raise" : "lower", irq);
            }
        }
    }
}

void irq_intercept_enable(void)
{
    sim->irq_intercept = true;
}

int irq_set_isa_level(unsigned irq, unsigned level)
{
    if (irq > 15 || level > 1) {
        return -EINVAL;
    }
    sim->isa_irq_level[irq] = (uint8_t)level;
    update_lines();
    return 0;
}

int irq_set_pci_intx_level(unsigned seg, unsigned bus, unsigned dev, unsigned intx,
                           unsigned level)
{
    unsigned link;

    if (seg != 0 || bus != 0 || dev > 0x1f || intx > 3 || level > 1) {
        return -EINVAL;
    }
    if (sim->pci_intx_level[dev][intx] == level) {
        return 0;   /* Xen counts assertions per (device, pin) once */
    }
    sim->pci_intx_level[dev][intx] = (uint8_t)level;
    link = (dev + intx) & 3;
    if (level) {
        sim->link_assert_count[link]++;
    } else {
        sim->link_assert_count[link]--;
    }
    update_lines();
    return 0;
}

int irq_set_link_route(unsigned link, unsigned irq)
{
    if (link > 3 || irq > 15) {
        return -EINVAL;
    }
    sim->link_route[link] = (uint8_t)irq;
    update_lines();
    return 0;
}
