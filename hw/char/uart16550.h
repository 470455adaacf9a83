/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * National Semiconductor PC16550D UART (datasheet, June 1995 revision).
 *
 * The core is bus-blind: eight byte-wide registers at offsets 0-7, one
 * interrupt output, one chardev for the serial line.  A bus glue maps the
 * register window (uart_isa_create puts it in the port space at iobase and,
 * as PC boards wire it, lets MCR.OUT2 gate the IRQ).
 */
#ifndef HW_CHAR_UART16550_H
#define HW_CHAR_UART16550_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hw/core/machine.h"
#include "ui/chardev.h"

typedef struct UARTState UARTState;

/* Register offsets (datasheet Table II). */
enum {
    UART_RBR = 0,   /* read, DLAB=0: receiver buffer */
    UART_THR = 0,   /* write, DLAB=0: transmitter holding */
    UART_DLL = 0,   /* DLAB=1: divisor latch LSB */
    UART_IER = 1,   /* DLAB=0: interrupt enable */
    UART_DLM = 1,   /* DLAB=1: divisor latch MSB */
    UART_IIR = 2,   /* read: interrupt identification */
    UART_FCR = 2,   /* write: FIFO control */
    UART_LCR = 3,
    UART_MCR = 4,
    UART_LSR = 5,
    UART_MSR = 6,
    UART_SCR = 7,
};

#define UART_IER_ERBFI  0x01    /* received data available (and character timeout) */
#define UART_IER_ETBEI  0x02    /* transmitter holding register empty */
#define UART_IER_ELSI   0x04    /* receiver line status */
#define UART_IER_EDSSI  0x08    /* modem status */

#define UART_IIR_NO_INT 0x01
#define UART_IIR_MSI    0x00
#define UART_IIR_THRI   0x02
#define UART_IIR_RDI    0x04
#define UART_IIR_RLSI   0x06
#define UART_IIR_CTI    0x0c
#define UART_IIR_FIFO   0xc0    /* both set when FCR0 = 1 */

#define UART_FCR_FE     0x01    /* FIFO enable */
#define UART_FCR_RFR    0x02    /* receiver FIFO reset (self-clearing) */
#define UART_FCR_XFR    0x04    /* transmitter FIFO reset (self-clearing) */
#define UART_FCR_DMS    0x08    /* DMA mode select */
#define UART_FCR_ITL    0xc0    /* receiver trigger level: 1, 4, 8, 14 */

#define UART_LCR_WLS    0x03
#define UART_LCR_STB    0x04
#define UART_LCR_PEN    0x08
#define UART_LCR_SBC    0x40    /* set break */
#define UART_LCR_DLAB   0x80

#define UART_MCR_DTR    0x01
#define UART_MCR_RTS    0x02
#define UART_MCR_OUT1   0x04
#define UART_MCR_OUT2   0x08
#define UART_MCR_LOOP   0x10

#define UART_LSR_DR     0x01
#define UART_LSR_OE     0x02
#define UART_LSR_PE     0x04
#define UART_LSR_FE     0x08
#define UART_LSR_BI     0x10
#define UART_LSR_THRE   0x20
#define UART_LSR_TEMT   0x40
#define UART_LSR_FIFOE  0x80    /* error in receiver FIFO */

#define UART_MSR_DCTS   0x01
#define UART_MSR_DDSR   0x02
#define UART_MSR_TERI   0x04
#define UART_MSR_DDCD   0x08
#define UART_MSR_CTS    0x10
#define UART_MSR_DSR    0x20
#define UART_MSR_RI     0x40
#define UART_MSR_DCD    0x80

#define UART_FIFO_SIZE  16
/* The 1.8432 MHz crystal PCs use; the baud rate is UART_CLOCK_HZ / 16 / divisor. */
#define UART_CLOCK_HZ   1843200

/*
 * The bus-blind core: registers a device "id" on m->devices (the state
 * description "uart16550"), creates an unmapped 8-byte IO region and
 * attaches to chr (may be NULL: output discarded, no input).  irq may be
 * NULL.
 */
UARTState *uart_create(Machine *m, const char *id, IrqLine *irq, Chardev *chr);
/* The 8-byte register window, for a bus glue to map; uart_map records where so unrealize can unmap it. */
MemoryRegion *uart_region(UARTState *s);
void uart_map(UARTState *s, MemoryRegion *container, uint64_t addr);
/* PC wiring: the IRQ pin reaches the interrupt controller only while MCR.OUT2 is set. */
void uart_set_irq_gated_by_out2(UARTState *s, bool gated);

/* Register access (what the region ops call); offset 0-7. */
uint8_t uart_reg_read(UARTState *s, unsigned offset);
void uart_reg_write(UARTState *s, unsigned offset, uint8_t value);

/* The serial input side, as the chardev drives it (also for tests and other frontends). */
size_t uart_can_receive(UARTState *s);
void uart_receive(UARTState *s, const uint8_t *buf, size_t len);
/* A break condition on the line: one zero character with LSR.BI (datasheet LSR4). */
void uart_receive_break(UARTState *s);

/* Level of the (gated) interrupt output. */
bool uart_irq_level(const UARTState *s);
Device *uart_device(UARTState *s);

/* ISA glue (uart_isa.c): the core mapped at iobase..iobase+7 in m->io, OUT2 gating on. */
UARTState *uart_isa_create(Machine *m, const char *id, uint16_t iobase, IrqLine *irq, Chardev *chr);

#endif
