/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * PC16550D UART core (National Semiconductor datasheet, June 1995).
 * Section numbers below are the datasheet's: 8.1 LCR, 8.3 baud generator,
 * 8.4 LSR, 8.5 FCR, 8.6 IIR (Table IV: interrupt priorities), 8.7 IER,
 * 8.8 MCR (loopback), 8.9 MSR, 8.10 FIFO interrupt mode, 8.12 SCR;
 * Table III gives the reset values.
 *
 * Transmission is immediate: a byte written to THR goes to the chardev (or,
 * in loopback, into the receiver) at once and THRE is set again, so the TX
 * FIFO is only ever non-empty inside uart_reg_write.  Reception honours the
 * FIFO space (the chardev's can_read).  The receiver's character timeout
 * (8.10) runs on the virtual clock so it is deterministic under qtest.
 *
 * Bus-blind: the core knows offsets 0-7, one IRQ line and one chardev.
 */
#include "hw/char/uart16550.h"

#include <string.h>

#include "hw/core/clock.h"
#include "hw/core/log.h"

struct UARTState {
    Device dev;

    /* Plumbing: rebuilt, never saved. */
    Machine *machine;
    IrqLine *irq;
    Chardev *chr;
    Timer *timeout_timer;
    MemoryRegion *region;
    MemoryRegion *container;   /* where uart_map put the region */
    bool out2_gates_irq;
    bool irq_out;              /* level last driven on irq */
    uint8_t modem_inputs;      /* CTS/DSR/RI/DCD as MSR bits 4-7 when not in loopback */

    /* Guest-visible state (uart_state_fields). */
    uint16_t divisor;          /* DLM:DLL */
    uint8_t ier;
    uint8_t lcr;
    uint8_t mcr;
    uint8_t lsr;               /* latched OE/PE/FE/BI only; DR, THRE, TEMT, bit 7 are derived */
    uint8_t msr;
    uint8_t scr;
    uint8_t fcr;               /* FE, DMS and the trigger level; the reset bits self-clear */
    uint8_t rbr;               /* last character read (RBR holds it until the next one arrives) */
    uint8_t rx_fifo[UART_FIFO_SIZE];
    uint8_t rx_err[UART_FIFO_SIZE];   /* PE/FE/BI of each queued character, LSR bit positions */
    uint8_t rx_head;
    uint8_t rx_count;
    uint8_t tx_fifo[UART_FIFO_SIZE];
    uint8_t tx_head;
    uint8_t tx_count;
    bool thr_ipending;         /* THRE interrupt latched (8.6: cleared by IIR read or THR write) */
    bool timeout_ipending;     /* character timeout indication latched */
    int64_t timeout_deadline;  /* virtual ns of the pending timeout check, -1 if none */
};

#define UART_LSR_ERRORS  (UART_LSR_OE | UART_LSR_PE | UART_LSR_FE | UART_LSR_BI)
#define UART_CHAR_ERRORS (UART_LSR_PE | UART_LSR_FE | UART_LSR_BI)

/* Modem inputs of an idle, attached line: carrier, data set ready and clear to send asserted. */
#define UART_MODEM_INPUTS_DEFAULT (UART_MSR_DCD | UART_MSR_DSR | UART_MSR_CTS)

static bool fifo_enabled(const UARTState *s)
{
    return s->fcr & UART_FCR_FE;
}

/* 16450 mode is a FIFO one character deep (the RBR). */
static unsigned rx_capacity(const UARTState *s)
{
    return fifo_enabled(s) ? UART_FIFO_SIZE : 1;
}

/* 8.5: FCR bits 7:6 select 1, 4, 8 or 14 characters. */
static unsigned rx_trigger_level(const UARTState *s)
{
    static const uint8_t levels[4] = { 1, 4, 8, 14 };

    return levels[(s->fcr & UART_FCR_ITL) >> 6];
}

/*
 * One character time at the programmed rate: start bit, 5-8 data bits,
 * optional parity and 1, 1.5 or 2 stop bits (8.1), each bit lasting
 * 16 * divisor clock periods (8.3).  Counted in half bits for the 1.5.
 */
static int64_t char_time_ns(const UARTState *s)
{
    unsigned half_bits = 2 * (1 + 5 + (s->lcr & UART_LCR_WLS));
    uint64_t divisor = s->divisor ? s->divisor : 1;   /* 0 is not a rate; treat as the fastest */

    if (s->lcr & UART_LCR_PEN) {
        half_bits += 2;
    }
    if (!(s->lcr & UART_LCR_STB)) {
        half_bits += 2;
    } else {
        half_bits += (s->lcr & UART_LCR_WLS) == 0 ? 3 : 4;
    }
    return (int64_t)(half_bits * 16 * divisor * NANOSECONDS_PER_SECOND / (2ull * UART_CLOCK_HZ));
}

/* 8.6, Table IV: the highest-priority pending source, as IIR bits 3:0. */
static uint8_t pending_interrupt(const UARTState *s)
{
    if ((s->ier & UART_IER_ELSI) && (s->lsr & UART_LSR_ERRORS)) {
        return UART_IIR_RLSI;
    }
    if (s->ier & UART_IER_ERBFI) {
        /* Timeout and data available share the second priority level; the timeout is reported first. */
        if (s->timeout_ipending) {
            return UART_IIR_CTI;
        }
        if (fifo_enabled(s) ? s->rx_count >= rx_trigger_level(s) : s->rx_count > 0) {
            return UART_IIR_RDI;
        }
    }
    if ((s->ier & UART_IER_ETBEI) && s->thr_ipending) {
        return UART_IIR_THRI;
    }
    if ((s->ier & UART_IER_EDSSI) && (s->msr & 0x0f)) {
        return UART_IIR_MSI;
    }
    return UART_IIR_NO_INT;
}

static void update_irq(UARTState *s)
{
    bool level = pending_interrupt(s) != UART_IIR_NO_INT;

    /*
     * PC boards route INTR through a buffer enabled by the OUT2 output, so
     * the interrupt controller sees nothing while MCR.OUT2 is clear.  The
     * bit, not the pin, is used: loopback would force the pin inactive on
     * real hardware, but drivers that test interrupts in loopback expect
     * them (and QEMU delivers them).
     */
    if (s->out2_gates_irq && !(s->mcr & UART_MCR_OUT2)) {
        level = false;
    }
    s->irq_out = level;
    irq_set(s->irq, level);
}

/* ---- receiver ------------------------------------------------------------- */

static void timeout_arm(UARTState *s)
{
    if (fifo_enabled(s) && s->rx_count > 0) {
        s->timeout_deadline = clock_get_ns(CLOCK_VIRTUAL) + 4 * char_time_ns(s);
        timer_mod(s->timeout_timer, s->timeout_deadline);
    } else {
        s->timeout_deadline = -1;
        timer_del(s->timeout_timer);
    }
}

/* 8.10: four character times without a character received or read while data waits. */
static void timeout_expired(void *opaque)
{
    UARTState *s = opaque;

    s->timeout_deadline = -1;
    if (fifo_enabled(s) && s->rx_count > 0) {
        s->timeout_ipending = true;
        update_irq(s);
    }
}

/* The character now at the top of the FIFO shows its errors in LSR (8.4, bits 2-4 in FIFO mode). */
static void reveal_top_errors(UARTState *s)
{
    if (s->rx_count) {
        s->lsr |= s->rx_err[s->rx_head];
        s->rx_err[s->rx_head] = 0;
    }
}

static void rx_clear(UARTState *s)
{
    s->rx_head = 0;
    s->rx_count = 0;
    memset(s->rx_err, 0, sizeof(s->rx_err));
    s->lsr &= ~UART_CHAR_ERRORS;
    s->timeout_ipending = false;
    s->timeout_deadline = -1;
    timer_del(s->timeout_timer);
}

static void rx_char(UARTState *s, uint8_t ch, uint8_t errors)
{
    unsigned cap = rx_capacity(s);

    if (s->rx_count >= cap) {
        /*
         * 8.4 LSR1: in FIFO mode the character in the shift register is
         * lost; in 16450 mode it overwrites the unread RBR.
         */
        s->lsr |= UART_LSR_OE;
        if (!fifo_enabled(s)) {
            s->rx_fifo[s->rx_head] = ch;
            s->rx_err[s->rx_head] = 0;
            s->lsr |= errors;
        }
    } else {
        unsigned idx = (s->rx_head + s->rx_count) % UART_FIFO_SIZE;

        s->rx_fifo[idx] = ch;
        s->rx_err[idx] = errors;
        s->rx_count++;
        if (s->rx_count == 1) {
            reveal_top_errors(s);
        }
    }
    timeout_arm(s);
}

size_t uart_can_receive(UARTState *s)
{
    if (s->mcr & UART_MCR_LOOP) {
        /* The serial input is disconnected in loopback (8.8): take and drop whatever arrives. */
        return UART_FIFO_SIZE;
    }
    return rx_capacity(s) - s->rx_count;
}

void uart_receive(UARTState *s, const uint8_t *buf, size_t len)
{
    if (s->mcr & UART_MCR_LOOP) {
        return;
    }
    for (size_t i = 0; i < len; i++) {
        rx_char(s, buf[i], 0);
    }
    update_irq(s);
}

void uart_receive_break(UARTState *s)
{
    /* 8.4 LSR4: a break loads one zero character, flagged BI. */
    rx_char(s, 0, UART_LSR_BI);
    update_irq(s);
}

static uint8_t rbr_read(UARTState *s)
{
    if (s->rx_count == 0) {
        /* Nothing new: the register still holds the last character. */
        return s->rbr;
    }
    s->rbr = s->rx_fifo[s->rx_head];
    s->rx_err[s->rx_head] = 0;
    s->rx_head = (s->rx_head + 1) % UART_FIFO_SIZE;
    s->rx_count--;
    reveal_top_errors(s);
    /* 8.10: a read clears a timeout indication and restarts the timer. */
    s->timeout_ipending = false;
    timeout_arm(s);
    update_irq(s);
    if (s->chr) {
        chardev_accept_input(s->chr);
    }
    return s->rbr;
}

/* ---- transmitter ---------------------------------------------------------- */

static void tx_drain(UARTState *s)
{
    while (s->tx_count) {
        uint8_t ch = s->tx_fifo[s->tx_head];

        s->tx_head = (s->tx_head + 1) % UART_FIFO_SIZE;
        s->tx_count--;
        if (s->mcr & UART_MCR_LOOP) {
            /* 8.8: transmitter output looped back to the receiver input. */
            rx_char(s, ch, 0);
        } else if (s->chr) {
            chardev_write(s->chr, &ch, 1);
        }
    }
    /* THR (and the shift register) empty again: THRE/TEMT set, THRE interrupt pending. */
    s->thr_ipending = true;
}

static void thr_write(UARTState *s, uint8_t v)
{
    if (s->tx_count >= (fifo_enabled(s) ? UART_FIFO_SIZE : 1)) {
        guest_error("uart %s: THR written while the transmitter is full\n", s->dev.id);
        return;
    }
    s->tx_fifo[(s->tx_head + s->tx_count) % UART_FIFO_SIZE] = v;
    s->tx_count++;
    /* 8.6: writing THR clears a pending THRE interrupt. */
    s->thr_ipending = false;
    update_irq(s);
    tx_drain(s);
    update_irq(s);
}

/* ---- modem lines ----------------------------------------------------------- */

/* 8.9: the MSR upper nibble follows the inputs; bits 0-3 latch changes until MSR is read. */
static void msr_update(UARTState *s)
{
    uint8_t now, old = s->msr & 0xf0, changed;

    if (s->mcr & UART_MCR_LOOP) {
        /* 8.8: CTS<-RTS, DSR<-DTR, RI<-OUT1, DCD<-OUT2 inside the chip. */
        now = ((s->mcr & UART_MCR_RTS) ? UART_MSR_CTS : 0) |
              ((s->mcr & UART_MCR_DTR) ? UART_MSR_DSR : 0) |
              ((s->mcr & UART_MCR_OUT1) ? UART_MSR_RI : 0) |
              ((s->mcr & UART_MCR_OUT2) ? UART_MSR_DCD : 0);
    } else {
        now = s->modem_inputs;
    }
    changed = old ^ now;
    if (changed & UART_MSR_CTS) {
        s->msr |= UART_MSR_DCTS;
    }
    if (changed & UART_MSR_DSR) {
        s->msr |= UART_MSR_DDSR;
    }
    /* TERI: trailing edge of ring indicator, i.e. RI going from on to off. */
    if ((old & UART_MSR_RI) && !(now & UART_MSR_RI)) {
        s->msr |= UART_MSR_TERI;
    }
    if (changed & UART_MSR_DCD) {
        s->msr |= UART_MSR_DDCD;
    }
    s->msr = (s->msr & 0x0f) | now;
}

/* ---- registers ------------------------------------------------------------- */

static uint8_t lsr_value(const UARTState *s)
{
    uint8_t v = s->lsr & UART_LSR_ERRORS;

    if (s->rx_count) {
        v |= UART_LSR_DR;
    }
    if (s->tx_count == 0) {
        v |= UART_LSR_THRE | UART_LSR_TEMT;
    }
    if (fifo_enabled(s)) {
        /* 8.4 LSR7: an error pending anywhere in the receiver FIFO. */
        bool err = s->lsr & UART_CHAR_ERRORS;

        for (unsigned i = 0; i < s->rx_count && !err; i++) {
            err = s->rx_err[(s->rx_head + i) % UART_FIFO_SIZE] != 0;
        }
        if (err) {
            v |= UART_LSR_FIFOE;
        }
    }
    return v;
}

uint8_t uart_reg_read(UARTState *s, unsigned offset)
{
    uint8_t v;

    switch (offset) {
    case UART_RBR:
        if (s->lcr & UART_LCR_DLAB) {
            return s->divisor & 0xff;
        }
        return rbr_read(s);
    case UART_IER:
        if (s->lcr & UART_LCR_DLAB) {
            return s->divisor >> 8;
        }
        return s->ier;
    case UART_IIR:
        v = pending_interrupt(s);
        /* 8.6: reading IIR clears a THRE interrupt when that is what it reports. */
        if (v == UART_IIR_THRI) {
            s->thr_ipending = false;
            update_irq(s);
        }
        return v | (fifo_enabled(s) ? UART_IIR_FIFO : 0);
    case UART_LCR:
        return s->lcr;
    case UART_MCR:
        return s->mcr;
    case UART_LSR:
        v = lsr_value(s);
        /* 8.4: reading LSR clears OE, PE, FE and BI. */
        s->lsr &= ~UART_LSR_ERRORS;
        update_irq(s);
        return v;
    case UART_MSR:
        v = s->msr;
        s->msr &= 0xf0;
        update_irq(s);
        return v;
    case UART_SCR:
        return s->scr;
    default:
        guest_error("uart %s: read of offset %u\n", s->dev.id, offset);
        return 0xff;
    }
}

static void fcr_write(UARTState *s, uint8_t v)
{
    bool was_enabled = fifo_enabled(s);

    /*
     * 8.5: FCR0 must be set for the other bits to be programmed; changing
     * FCR0 clears both FIFOs.  Bits 1 and 2 clear the receiver and
     * transmitter FIFOs and clear themselves.  Bits 4-5 are reserved.
     */
    if (!(v & UART_FCR_FE)) {
        s->fcr = 0;
    } else {
        s->fcr = v & (UART_FCR_FE | UART_FCR_DMS | UART_FCR_ITL);
    }
    if (was_enabled != fifo_enabled(s) || (v & UART_FCR_FE && v & UART_FCR_RFR)) {
        rx_clear(s);
        if (s->chr) {
            chardev_accept_input(s->chr);
        }
    }
    if (was_enabled != fifo_enabled(s) || (v & UART_FCR_FE && v & UART_FCR_XFR)) {
        s->tx_head = 0;
        s->tx_count = 0;
        s->thr_ipending = true;
    }
    update_irq(s);
}

void uart_reg_write(UARTState *s, unsigned offset, uint8_t v)
{
    uint8_t old;

    switch (offset) {
    case UART_THR:
        if (s->lcr & UART_LCR_DLAB) {
            s->divisor = (s->divisor & 0xff00) | v;
        } else {
            thr_write(s, v);
        }
        break;
    case UART_IER:
        if (s->lcr & UART_LCR_DLAB) {
            s->divisor = (s->divisor & 0x00ff) | (v << 8);
            break;
        }
        old = s->ier;
        s->ier = v & 0x0f;   /* 8.7: bits 4-7 are always 0 */
        /*
         * Enabling ETBEI while THR is empty raises the THRE interrupt at
         * once (drivers probe for this); disabling it drops the latch.
         */
        if ((s->ier & UART_IER_ETBEI) && !(old & UART_IER_ETBEI)) {
            s->thr_ipending = s->tx_count == 0;
        } else if (!(s->ier & UART_IER_ETBEI)) {
            s->thr_ipending = false;
        }
        update_irq(s);
        break;
    case UART_FCR:
        fcr_write(s, v);
        break;
    case UART_LCR:
        old = s->lcr;
        s->lcr = v;
        /* Setting break while looped back is seen by our own receiver. */
        if ((s->mcr & UART_MCR_LOOP) && (v & UART_LCR_SBC) && !(old & UART_LCR_SBC)) {
            uart_receive_break(s);
        }
        break;
    case UART_MCR:
        s->mcr = v & 0x1f;   /* bits 5-7 are always 0 on the 16550 */
        msr_update(s);
        update_irq(s);
        break;
    case UART_LSR:
    case UART_MSR:
        /* Factory test only (8.4/8.9); ignored, as on most compatible parts. */
        guest_error("uart %s: write 0x%02x to read-only %s\n", s->dev.id, v,
                    offset == UART_LSR ? "LSR" : "MSR");
        break;
    case UART_SCR:
        s->scr = v;
        break;
    default:
        guest_error("uart %s: write of offset %u\n", s->dev.id, offset);
        break;
    }
}

static uint64_t uart_mmio_read(void *opaque, uint64_t offset, unsigned size)
{
    return uart_reg_read(opaque, offset & 7);
}

static void uart_mmio_write(void *opaque, uint64_t offset, uint64_t value, unsigned size)
{
    uart_reg_write(opaque, offset & 7, value);
}

/* Byte registers; wider or unaligned accesses are split by the core, as on an 8-bit ISA device. */
static const RegionOps uart_ops = {
    .read = uart_mmio_read,
    .write = uart_mmio_write,
    .valid = { .min = 1, .max = 4, .unaligned = true },
    .impl = { .min = 1, .max = 1 },
};

/* ---- chardev frontend ------------------------------------------------------ */

static size_t uart_chr_can_read(void *opaque)
{
    return uart_can_receive(opaque);
}

static void uart_chr_read(void *opaque, const uint8_t *buf, size_t len)
{
    uart_receive(opaque, buf, len);
}

static const ChardevHandlers uart_chr_handlers = {
    .can_read = uart_chr_can_read,
    .read = uart_chr_read,
};

/* ---- lifecycle and state ---------------------------------------------------- */

static void uart_reset_hold(Device *dev, ResetKind kind)
{
    UARTState *s = (UARTState *)dev;

    timer_del(s->timeout_timer);
    s->irq_out = false;
    irq_lower(s->irq);
}

/* Table III: master reset values.  The divisor is not touched by reset; power-on leaves it at 9600 baud. */
static void uart_reset(Device *dev, ResetKind kind)
{
    UARTState *s = (UARTState *)dev;

    if (kind == RESET_POWER_ON) {
        s->divisor = UART_CLOCK_HZ / 16 / 9600;
        s->rbr = 0;
        s->scr = 0;
        memset(s->rx_fifo, 0, sizeof(s->rx_fifo));
        memset(s->tx_fifo, 0, sizeof(s->tx_fifo));
    }
    s->ier = 0;
    s->lcr = 0;
    s->mcr = 0;
    s->fcr = 0;
    s->lsr = 0;
    rx_clear(s);
    s->tx_head = 0;
    s->tx_count = 0;
    s->thr_ipending = false;
    /* MSR bits 0-3 clear, bits 4-7 follow the inputs (Table III). */
    s->msr = s->modem_inputs;
    update_irq(s);
    if (s->chr) {
        chardev_accept_input(s->chr);
    }
}

static bool uart_post_load(void *opaque, int version, GError **err)
{
    UARTState *s = opaque;
    unsigned cap;

    if (s->ier & 0xf0 || s->mcr & 0xe0 || s->lsr & ~UART_LSR_ERRORS ||
        s->fcr & ~(UART_FCR_FE | UART_FCR_DMS | UART_FCR_ITL) ||
        (!(s->fcr & UART_FCR_FE) && s->fcr)) {
        g_set_error(err, IOEMU_ERROR, 0, "uart %s: reserved register bits set (ier 0x%02x mcr 0x%02x "
                    "lsr 0x%02x fcr 0x%02x)", s->dev.id, s->ier, s->mcr, s->lsr, s->fcr);
        return false;
    }
    cap = rx_capacity(s);
    if (s->rx_head >= UART_FIFO_SIZE || s->rx_count > cap) {
        g_set_error(err, IOEMU_ERROR, 0, "uart %s: receiver FIFO position %u count %u out of range (capacity %u)",
                    s->dev.id, s->rx_head, s->rx_count, cap);
        return false;
    }
    if (s->tx_head >= UART_FIFO_SIZE || s->tx_count > (fifo_enabled(s) ? UART_FIFO_SIZE : 1)) {
        g_set_error(err, IOEMU_ERROR, 0, "uart %s: transmitter FIFO position %u count %u out of range",
                    s->dev.id, s->tx_head, s->tx_count);
        return false;
    }
    for (unsigned i = 0; i < UART_FIFO_SIZE; i++) {
        if (s->rx_err[i] & ~UART_CHAR_ERRORS) {
            g_set_error(err, IOEMU_ERROR, 0, "uart %s: bad error flags 0x%02x for FIFO entry %u",
                        s->dev.id, s->rx_err[i], i);
            return false;
        }
    }
    if (s->timeout_deadline < -1) {
        g_set_error(err, IOEMU_ERROR, 0, "uart %s: bad timeout deadline %" G_GINT64_FORMAT,
                    s->dev.id, s->timeout_deadline);
        return false;
    }

    /* Rebuild the plumbing. */
    timer_del(s->timeout_timer);
    if (s->timeout_deadline >= 0 && fifo_enabled(s) && s->rx_count) {
        timer_mod(s->timeout_timer, s->timeout_deadline);
    } else {
        s->timeout_deadline = -1;
    }
    /* A saved stream never holds untransmitted bytes (we transmit at once), but a foreign one may. */
    if (s->tx_count) {
        tx_drain(s);
    }
    update_irq(s);
    if (s->chr) {
        chardev_accept_input(s->chr);
    }
    return true;
}

static const StateField uart_state_fields[] = {
    STATE_U16(UARTState, divisor),
    STATE_U8(UARTState, ier),
    STATE_U8(UARTState, lcr),
    STATE_U8(UARTState, mcr),
    STATE_U8(UARTState, lsr),
    STATE_U8(UARTState, msr),
    STATE_U8(UARTState, scr),
    STATE_U8(UARTState, fcr),
    STATE_U8(UARTState, rbr),
    STATE_BUFFER_FIELD(UARTState, rx_fifo),
    STATE_BUFFER_FIELD(UARTState, rx_err),
    STATE_U8(UARTState, rx_head),
    STATE_U8(UARTState, rx_count),
    STATE_BUFFER_FIELD(UARTState, tx_fifo),
    STATE_U8(UARTState, tx_head),
    STATE_U8(UARTState, tx_count),
    STATE_BOOL_FIELD(UARTState, thr_ipending),
    STATE_BOOL_FIELD(UARTState, timeout_ipending),
    STATE_I64(UARTState, timeout_deadline),
    STATE_FIELDS_END,
};

static const StateDescription uart_state_desc = {
    .name = "uart16550",
    .version = 1,
    .min_version = 1,
    .fields = uart_state_fields,
    .post_load = uart_post_load,
};

static void uart_unrealize(Device *dev)
{
    UARTState *s = (UARTState *)dev;

    if (s->chr) {
        chardev_set_handlers(s->chr, NULL, NULL);
    }
    timer_free(s->timeout_timer);
    if (s->container && mr_is_mapped(s->region)) {
        mr_del_subregion(s->container, s->region);
    }
    if (!mr_is_mapped(s->region)) {
        mr_free(s->region);
    }
    g_free(s);
}

static const DeviceClass uart_class = {
    .name = "uart16550",
    .reset_hold = uart_reset_hold,
    .reset = uart_reset,
    .unrealize = uart_unrealize,
    .state = &uart_state_desc,
};

UARTState *uart_create(Machine *m, const char *id, IrqLine *irq, Chardev *chr)
{
    UARTState *s = g_new0(UARTState, 1);
    g_autofree char *name = g_strdup_printf("uart16550 %s", id);

    s->machine = m;
    s->irq = irq;
    s->chr = chr;
    s->modem_inputs = UART_MODEM_INPUTS_DEFAULT;
    s->timeout_deadline = -1;
    s->timeout_timer = timer_new(CLOCK_VIRTUAL, timeout_expired, s);
    s->region = mr_new_io(name, 8, &uart_ops, s);
    device_register(m->devices, &s->dev, &uart_class, id);
    uart_reset(&s->dev, RESET_POWER_ON);
    if (chr) {
        chardev_set_handlers(chr, &uart_chr_handlers, s);
    }
    return s;
}

MemoryRegion *uart_region(UARTState *s)
{
    return s->region;
}

void uart_map(UARTState *s, MemoryRegion *container, uint64_t addr)
{
    s->container = container;
    mr_add_subregion(container, addr, s->region, 0);
}

void uart_set_irq_gated_by_out2(UARTState *s, bool gated)
{
    s->out2_gates_irq = gated;
    update_irq(s);
}

bool uart_irq_level(const UARTState *s)
{
    return s->irq_out;
}

Device *uart_device(UARTState *s)
{
    return &s->dev;
}
