/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * ISA glue for the 16550 core: eight ports at iobase (0x3f8 COM1, 0x2f8
 * COM2, 0x3e8 COM3, 0x2e8 COM4) and the PC's OUT2-gated interrupt wiring.
 */
#include "hw/char/uart16550.h"

UARTState *uart_isa_create(Machine *m, const char *id, uint16_t iobase, IrqLine *irq, Chardev *chr)
{
    UARTState *s = uart_create(m, id, irq, chr);

    uart_set_irq_gated_by_out2(s, true);
    uart_map(s, as_root(m->io), iobase);
    return s;
}
