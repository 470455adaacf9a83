/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * 16550A core tests without an emulator process: a bare Machine from
 * hw/core with the ISA UART at 0x3f8, driven through m->io exactly as a
 * CPU would, an IRQ recorder on its interrupt line, a socketpair as the
 * serial line and the virtual clock in manual mode.
 */
#include <errno.h>
#include <glib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "hw/char/uart16550.h"
#include "hw/core/clock.h"
#include "hw/core/machine.h"
#include "ui/chardev.h"

#define COM1 0x3f8

typedef struct Fixture {
    Machine *m;
    IrqLine *irq;
    int irq_level;
    unsigned irq_changes;
    UARTState *uart;
    Chardev *chr;
    int peer;          /* the far end of the serial line */
} Fixture;

static unsigned fixture_counter;

static void irq_record(void *opaque, int n, int level)
{
    Fixture *f = opaque;

    f->irq_level = level;
    f->irq_changes++;
}

static void fixture_setup(Fixture *f, gconstpointer data)
{
    int sv[2];
    g_autofree char *opts = NULL;
    g_autoptr(GError) err = NULL;

    memset(f, 0, sizeof(*f));
    g_assert_cmpint(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), ==, 0);
    f->peer = sv[1];
    opts = g_strdup_printf("socket,id=line%u,fd=%d", fixture_counter++, sv[0]);
    f->chr = chardev_new_from_opts(opts, &err);
    g_assert_no_error(err);
    f->m = machine_new(1ull << 32);
    f->irq = irq_new(irq_record, f, 4);
    f->uart = uart_isa_create(f->m, "serial0", COM1, f->irq, f->chr);
}

static void fixture_teardown(Fixture *f, gconstpointer data)
{
    machine_free(f->m);
    chardev_free(f->chr);
    irq_free(f->irq);
    close(f->peer);
}

static uint8_t inb(Fixture *f, unsigned reg)
{
    uint64_t v;

    g_assert_true(as_read(f->m->io, COM1 + reg, 1, &v));
    return v;
}

static void outb(Fixture *f, unsigned reg, uint8_t v)
{
    g_assert_true(as_write(f->m->io, COM1 + reg, 1, v));
}

static uint8_t iir_id(Fixture *f)
{
    return inb(f, UART_IIR) & 0x0f;
}

/* Run the main loop until cond() holds (bounded: a broken backend fails, never hangs). */
static bool pump_until(bool (*cond)(Fixture *f), Fixture *f)
{
    gint64 deadline = g_get_monotonic_time() + 5 * G_USEC_PER_SEC;

    while (!cond(f)) {
        if (g_get_monotonic_time() > deadline) {
            return false;
        }
        g_main_context_iteration(NULL, FALSE);
        g_usleep(100);
    }
    return true;
}

static size_t peer_read(Fixture *f, uint8_t *buf, size_t len)
{
    size_t got = 0;
    gint64 deadline = g_get_monotonic_time() + 5 * G_USEC_PER_SEC;

    while (got < len && g_get_monotonic_time() < deadline) {
        ssize_t n = recv(f->peer, buf + got, len - got, MSG_DONTWAIT);

        if (n > 0) {
            got += n;
        } else if (n < 0 && errno != EAGAIN) {
            break;
        } else {
            g_main_context_iteration(NULL, FALSE);
            g_usleep(100);
        }
    }
    return got;
}

static size_t peer_pending(Fixture *f)
{
    uint8_t buf[64];
    ssize_t n = recv(f->peer, buf, sizeof(buf), MSG_DONTWAIT | MSG_PEEK);

    return n > 0 ? (size_t)n : 0;
}

/* Table III reset values; MSR bits 4-7 reflect an attached line (DCD, DSR, CTS). */
static void test_reset_values(Fixture *f, gconstpointer data)
{
    g_assert_cmphex(inb(f, UART_IER), ==, 0x00);
    g_assert_cmphex(inb(f, UART_IIR), ==, 0x01);
    g_assert_cmphex(inb(f, UART_LCR), ==, 0x00);
    g_assert_cmphex(inb(f, UART_MCR), ==, 0x00);
    g_assert_cmphex(inb(f, UART_LSR), ==, 0x60);
    g_assert_cmphex(inb(f, UART_MSR), ==, 0xb0);
    g_assert_cmphex(inb(f, UART_SCR), ==, 0x00);
    g_assert_cmpint(f->irq_level, ==, 0);

    /* Reserved bits read as zero. */
    outb(f, UART_IER, 0xff);
    g_assert_cmphex(inb(f, UART_IER), ==, 0x0f);
    outb(f, UART_MCR, 0xff);
    g_assert_cmphex(inb(f, UART_MCR), ==, 0x1f);

    /* A hard reset brings them back; the scratch register is left alone by a non-power-on reset. */
    outb(f, UART_SCR, 0x5a);
    device_list_reset(f->m->devices, RESET_HARD);
    g_assert_cmphex(inb(f, UART_IER), ==, 0x00);
    g_assert_cmphex(inb(f, UART_MCR), ==, 0x00);
    g_assert_cmphex(inb(f, UART_SCR), ==, 0x5a);
}

static void test_dlab(Fixture *f, gconstpointer data)
{
    outb(f, UART_LCR, 0x83);
    /* Power-on divisor: 9600 baud. */
    g_assert_cmphex(inb(f, UART_DLL), ==, 12);
    g_assert_cmphex(inb(f, UART_DLM), ==, 0);
    outb(f, UART_DLL, 0x01);
    outb(f, UART_DLM, 0x80);
    /* With DLAB set, offsets 0/1 are the latch, not THR/IER. */
    g_assert_cmphex(inb(f, UART_IER - 0), ==, 0x80);
    outb(f, UART_LCR, 0x03);
    g_assert_cmphex(inb(f, UART_IER), ==, 0x00);
    g_assert_cmphex(inb(f, UART_LSR) & UART_LSR_DR, ==, 0);
    g_assert_cmpuint(peer_pending(f), ==, 0);
    outb(f, UART_LCR, 0x80);
    g_assert_cmphex(inb(f, UART_DLL), ==, 0x01);
    g_assert_cmphex(inb(f, UART_DLM), ==, 0x80);
    g_assert_cmphex(inb(f, UART_LCR), ==, 0x80);
}

/* FCR bits 1/2 reset the FIFOs and self-clear; they must not touch LCR (a kvmtool bug). */
static void test_fcr(Fixture *f, gconstpointer data)
{
    outb(f, UART_LCR, 0x03);
    outb(f, UART_FCR, 0x07);
    g_assert_cmphex(inb(f, UART_LCR), ==, 0x03);
    g_assert_cmphex(inb(f, UART_IIR), ==, 0xc1);

    /* Without FCR0 nothing else is programmed and the FIFOs go off. */
    outb(f, UART_FCR, 0xc6);
    g_assert_cmphex(inb(f, UART_IIR), ==, 0x01);

    /* Receiver FIFO reset drops queued characters. */
    outb(f, UART_FCR, 0x01);
    outb(f, UART_MCR, UART_MCR_LOOP);
    outb(f, UART_THR, 'a');
    outb(f, UART_THR, 'b');
    g_assert_cmphex(inb(f, UART_LSR) & UART_LSR_DR, ==, UART_LSR_DR);
    outb(f, UART_FCR, 0x03);
    g_assert_cmphex(inb(f, UART_LSR), ==, 0x60);
    g_assert_cmphex(inb(f, UART_IIR), ==, 0xc1);

    /* Switching FIFO mode off clears the FIFO too. */
    outb(f, UART_THR, 'c');
    outb(f, UART_FCR, 0x00);
    g_assert_cmphex(inb(f, UART_LSR) & UART_LSR_DR, ==, 0);
}

static void test_trigger_levels(Fixture *f, gconstpointer data)
{
    static const struct { uint8_t fcr; unsigned level; } cases[] = {
        { 0x01, 1 }, { 0x41, 4 }, { 0x81, 8 }, { 0xc1, 14 },
    };

    outb(f, UART_MCR, UART_MCR_LOOP | UART_MCR_OUT2);
    outb(f, UART_IER, UART_IER_ERBFI);
    for (size_t c = 0; c < G_N_ELEMENTS(cases); c++) {
        outb(f, UART_FCR, cases[c].fcr | UART_FCR_RFR);
        for (unsigned i = 0; i + 1 < cases[c].level; i++) {
            outb(f, UART_THR, 'A' + i);
        }
        g_assert_cmphex(iir_id(f), ==, UART_IIR_NO_INT);
        g_assert_cmpint(f->irq_level, ==, 0);
        outb(f, UART_THR, 'z');
        g_assert_cmphex(inb(f, UART_IIR), ==, 0xc0 | UART_IIR_RDI);
        g_assert_cmpint(f->irq_level, ==, 1);
        /* One read brings the FIFO under the trigger level again. */
        g_assert_cmphex(inb(f, UART_RBR), ==, cases[c].level == 1 ? 'z' : 'A');
        g_assert_cmphex(iir_id(f), ==, UART_IIR_NO_INT);
        g_assert_cmpint(f->irq_level, ==, 0);
    }
}

/* Table IV: line status > data > THRE > modem status, each cleared by its own action. */
static void test_iir_priorities(Fixture *f, gconstpointer data)
{
    /* Loopback with OUT1: RI comes on, CTS/DSR go off -> DCTS and DDSR latched. */
    outb(f, UART_MCR, UART_MCR_LOOP | UART_MCR_OUT2 | UART_MCR_OUT1);
    /* 16450 mode: a second character overruns the first. */
    outb(f, UART_THR, 'x');
    outb(f, UART_THR, 'y');
    outb(f, UART_IER, 0x0f);
    g_assert_cmpint(f->irq_level, ==, 1);

    g_assert_cmphex(inb(f, UART_IIR), ==, UART_IIR_RLSI);
    g_assert_cmphex(inb(f, UART_LSR), ==, UART_LSR_DR | UART_LSR_OE | UART_LSR_THRE | UART_LSR_TEMT);
    g_assert_cmphex(inb(f, UART_IIR), ==, UART_IIR_RDI);
    g_assert_cmphex(inb(f, UART_RBR), ==, 'y');
    g_assert_cmphex(inb(f, UART_IIR), ==, UART_IIR_THRI);
    /* That read cleared the THRE interrupt; modem status is next. */
    g_assert_cmphex(inb(f, UART_IIR), ==, UART_IIR_MSI);
    g_assert_cmphex(inb(f, UART_MSR), ==, UART_MSR_DCD | UART_MSR_RI | UART_MSR_DCTS | UART_MSR_DDSR);
    g_assert_cmphex(inb(f, UART_IIR), ==, UART_IIR_NO_INT);
    g_assert_cmpint(f->irq_level, ==, 0);
    g_assert_cmphex(inb(f, UART_MSR), ==, UART_MSR_DCD | UART_MSR_RI);
}

static void test_thre(Fixture *f, gconstpointer data)
{
    uint8_t buf[2];

    outb(f, UART_MCR, UART_MCR_OUT2);
    /* Enabling ETBEI with THR empty raises THRE at once. */
    outb(f, UART_IER, UART_IER_ETBEI);
    g_assert_cmpint(f->irq_level, ==, 1);
    g_assert_cmphex(inb(f, UART_IIR), ==, UART_IIR_THRI);
    g_assert_cmpint(f->irq_level, ==, 0);
    g_assert_cmphex(inb(f, UART_IIR), ==, UART_IIR_NO_INT);

    /* Writing THR sends the byte and THR is empty again: THRE pending once more. */
    f->irq_changes = 0;
    outb(f, UART_THR, 'h');
    g_assert_cmpint(f->irq_level, ==, 1);
    g_assert_cmpuint(f->irq_changes, >=, 1);
    g_assert_cmpuint(peer_read(f, buf, 1), ==, 1);
    g_assert_cmphex(buf[0], ==, 'h');

    /* Disabling ETBEI drops it; re-enabling raises it again. */
    outb(f, UART_IER, 0);
    g_assert_cmpint(f->irq_level, ==, 0);
    outb(f, UART_IER, UART_IER_ETBEI);
    g_assert_cmpint(f->irq_level, ==, 1);
    /* Writing THR clears the pending interrupt, and transmission sets it again. */
    outb(f, UART_THR, 'i');
    g_assert_cmphex(inb(f, UART_IIR), ==, UART_IIR_THRI);
    g_assert_cmphex(inb(f, UART_IIR), ==, UART_IIR_NO_INT);
}

/* PC wiring: the IRQ reaches the controller only while OUT2 is set. */
static void test_out2_gating(Fixture *f, gconstpointer data)
{
    outb(f, UART_IER, UART_IER_ETBEI);
    g_assert_cmpint(f->irq_level, ==, 0);
    outb(f, UART_MCR, UART_MCR_OUT2);
    g_assert_cmpint(f->irq_level, ==, 1);
    outb(f, UART_MCR, 0);
    g_assert_cmpint(f->irq_level, ==, 0);
    /* The source is still pending: IIR reports it regardless of OUT2. */
    g_assert_cmphex(inb(f, UART_IIR), ==, UART_IIR_THRI);
}

static void test_loopback(Fixture *f, gconstpointer data)
{
    static const struct { uint8_t mcr, msr; } lines[] = {
        { UART_MCR_DTR, UART_MSR_DSR },
        { UART_MCR_RTS, UART_MSR_CTS },
        { UART_MCR_OUT1, UART_MSR_RI },
        { UART_MCR_OUT2, UART_MSR_DCD },
    };
    uint8_t byte = 'Q';

    outb(f, UART_MCR, UART_MCR_LOOP);
    outb(f, UART_THR, 0x5a);
    g_assert_cmphex(inb(f, UART_LSR), ==, UART_LSR_DR | UART_LSR_THRE | UART_LSR_TEMT);
    g_assert_cmphex(inb(f, UART_RBR), ==, 0x5a);
    g_assert_cmphex(inb(f, UART_LSR), ==, UART_LSR_THRE | UART_LSR_TEMT);
    /* Nothing went out on the line. */
    g_assert_cmpuint(peer_pending(f), ==, 0);

    for (size_t i = 0; i < G_N_ELEMENTS(lines); i++) {
        outb(f, UART_MCR, UART_MCR_LOOP | lines[i].mcr);
        g_assert_cmphex(inb(f, UART_MSR) & 0xf0, ==, lines[i].msr);
    }
    /* OUT2 -> OUT1: RI goes off (trailing edge: TERI), DCD goes off (DDCD). */
    outb(f, UART_MCR, UART_MCR_LOOP | UART_MCR_OUT1);
    inb(f, UART_MSR);
    outb(f, UART_MCR, UART_MCR_LOOP);
    g_assert_cmphex(inb(f, UART_MSR), ==, UART_MSR_TERI);

    /* The line input is disconnected in loopback: bytes from the peer are dropped. */
    g_assert_cmpint(write(f->peer, &byte, 1), ==, 1);
    for (int i = 0; i < 50; i++) {
        g_main_context_iteration(NULL, FALSE);
    }
    g_assert_cmphex(inb(f, UART_LSR) & UART_LSR_DR, ==, 0);

    /* Leaving loopback: the MSR follows the attached line again. */
    outb(f, UART_MCR, 0);
    g_assert_cmphex(inb(f, UART_MSR) & 0xf0, ==, 0xb0);
}

static void test_overrun_fifo(Fixture *f, gconstpointer data)
{
    outb(f, UART_FCR, 0x01);
    outb(f, UART_MCR, UART_MCR_LOOP);
    for (unsigned i = 0; i < UART_FIFO_SIZE + 1; i++) {
        outb(f, UART_THR, 0x30 + i);
    }
    /* 16 characters kept, the 17th lost; OE reported and cleared by the LSR read. */
    g_assert_cmphex(inb(f, UART_LSR), ==, UART_LSR_DR | UART_LSR_OE | UART_LSR_THRE | UART_LSR_TEMT);
    g_assert_cmphex(inb(f, UART_LSR), ==, UART_LSR_DR | UART_LSR_THRE | UART_LSR_TEMT);
    for (unsigned i = 0; i < UART_FIFO_SIZE; i++) {
        g_assert_cmphex(inb(f, UART_RBR), ==, 0x30 + i);
    }
    g_assert_cmphex(inb(f, UART_LSR) & UART_LSR_DR, ==, 0);
}

static void test_break(Fixture *f, gconstpointer data)
{
    outb(f, UART_FCR, 0x01);
    outb(f, UART_MCR, UART_MCR_LOOP | UART_MCR_OUT2);
    outb(f, UART_IER, UART_IER_ELSI);
    outb(f, UART_THR, 'k');
    outb(f, UART_LCR, 0x03 | UART_LCR_SBC);
    /* 'k' is at the top, the break character behind it: only bit 7 tells of the error so far. */
    g_assert_cmphex(inb(f, UART_LSR), ==, UART_LSR_FIFOE | UART_LSR_DR | UART_LSR_THRE | UART_LSR_TEMT);
    g_assert_cmpint(f->irq_level, ==, 0);
    g_assert_cmphex(inb(f, UART_RBR), ==, 'k');
    /* The break character reaches the top: BI shows, line status interrupt. */
    g_assert_cmpint(f->irq_level, ==, 1);
    g_assert_cmphex(inb(f, UART_IIR), ==, 0xc0 | UART_IIR_RLSI);
    g_assert_cmphex(inb(f, UART_LSR), ==, UART_LSR_FIFOE | UART_LSR_BI | UART_LSR_DR | UART_LSR_THRE |
                    UART_LSR_TEMT);
    g_assert_cmpint(f->irq_level, ==, 0);
    g_assert_cmphex(inb(f, UART_RBR), ==, 0);
    g_assert_cmphex(inb(f, UART_LSR), ==, UART_LSR_THRE | UART_LSR_TEMT);
}

static void test_char_timeout(Fixture *f, gconstpointer data)
{
    /* 115200 baud, 8N1: 10 bits of 8680.5 ns per character. */
    const int64_t char_ns = 86805;
    int64_t t0;

    outb(f, UART_LCR, 0x83);
    outb(f, UART_DLL, 1);
    outb(f, UART_DLM, 0);
    outb(f, UART_LCR, 0x03);
    outb(f, UART_FCR, 0x81);              /* trigger level 8 */
    outb(f, UART_MCR, UART_MCR_LOOP | UART_MCR_OUT2);
    outb(f, UART_IER, UART_IER_ERBFI);

    t0 = clock_get_ns(CLOCK_VIRTUAL);
    outb(f, UART_THR, '1');
    outb(f, UART_THR, '2');
    clock_virtual_advance_to(t0 + 3 * char_ns);
    g_assert_cmphex(inb(f, UART_IIR), ==, 0xc1);
    clock_virtual_advance_to(t0 + 4 * char_ns + 10);
    g_assert_cmphex(inb(f, UART_IIR), ==, 0xc0 | UART_IIR_CTI);
    g_assert_cmpint(f->irq_level, ==, 1);

    /* A read clears the indication and restarts the timer for what is left. */
    g_assert_cmphex(inb(f, UART_RBR), ==, '1');
    g_assert_cmphex(inb(f, UART_IIR), ==, 0xc1);
    g_assert_cmpint(f->irq_level, ==, 0);
    t0 = clock_get_ns(CLOCK_VIRTUAL);
    clock_virtual_advance_to(t0 + 4 * char_ns + 10);
    g_assert_cmphex(inb(f, UART_IIR), ==, 0xc0 | UART_IIR_CTI);
    g_assert_cmphex(inb(f, UART_RBR), ==, '2');
    t0 = clock_get_ns(CLOCK_VIRTUAL);
    clock_virtual_advance_to(t0 + 100 * char_ns);
    g_assert_cmphex(inb(f, UART_IIR), ==, 0xc1);
    g_assert_cmpint(clock_next_deadline(CLOCK_VIRTUAL), ==, -1);
}

static bool has_16_chars(Fixture *f)
{
    return (inb(f, UART_LSR) & UART_LSR_DR) && uart_can_receive(f->uart) == 0;
}

static bool has_data(Fixture *f)
{
    return inb(f, UART_LSR) & UART_LSR_DR;
}

/* Input from the line honours the FIFO space: nothing is overrun, the rest waits in the backend. */
static void test_receive_from_chardev(Fixture *f, gconstpointer data)
{
    uint8_t buf[20];

    for (unsigned i = 0; i < sizeof(buf); i++) {
        buf[i] = 'a' + i;
    }
    outb(f, UART_FCR, 0x01);
    g_assert_cmpint(write(f->peer, buf, sizeof(buf)), ==, sizeof(buf));
    g_assert_true(pump_until(has_16_chars, f));
    for (int i = 0; i < 20; i++) {
        g_main_context_iteration(NULL, FALSE);
    }
    g_assert_cmphex(inb(f, UART_LSR) & UART_LSR_OE, ==, 0);
    for (unsigned i = 0; i < 16; i++) {
        g_assert_cmphex(inb(f, UART_RBR), ==, 'a' + i);
    }
    g_assert_true(pump_until(has_data, f));
    for (unsigned i = 16; i < 20; i++) {
        g_assert_true(pump_until(has_data, f));
        g_assert_cmphex(inb(f, UART_RBR), ==, 'a' + i);
    }
}

static void test_transmit_to_chardev(Fixture *f, gconstpointer data)
{
    static const char msg[] = "hello, line";
    uint8_t buf[sizeof(msg)];

    outb(f, UART_FCR, 0x07);
    for (size_t i = 0; i < sizeof(msg) - 1; i++) {
        outb(f, UART_THR, msg[i]);
        /* Transmission is immediate: THR never fills. */
        g_assert_cmphex(inb(f, UART_LSR) & (UART_LSR_THRE | UART_LSR_TEMT), ==, UART_LSR_THRE | UART_LSR_TEMT);
    }
    g_assert_cmpuint(peer_read(f, buf, sizeof(msg) - 1), ==, sizeof(msg) - 1);
    g_assert_cmpmem(buf, sizeof(msg) - 1, msg, sizeof(msg) - 1);
}

/* Odd access sizes are split into byte accesses, never crash, never misroute. */
static void test_wide_access(Fixture *f, gconstpointer data)
{
    uint64_t v;

    outb(f, UART_SCR, 0x11);
    g_assert_true(as_read(f->m->io, COM1 + UART_MCR, 4, &v));
    g_assert_cmphex(v, ==, 0x11b06000);
    g_assert_true(as_write(f->m->io, COM1 + UART_LCR, 2, 0x0203));
    g_assert_cmphex(inb(f, UART_LCR), ==, 0x03);
    g_assert_cmphex(inb(f, UART_MCR), ==, 0x02);
}

static void load_state_into_fresh(const GByteArray *stream, Machine **m_out, UARTState **s_out,
                                  GError **err, bool *ok)
{
    Machine *m = machine_new(1ull << 32);
    UARTState *s = uart_isa_create(m, "serial0", COM1, NULL, NULL);

    *ok = device_load(uart_device(s), stream->data, stream->len, err);
    *m_out = m;
    *s_out = s;
}

static void test_save_load(Fixture *f, gconstpointer data)
{
    g_autoptr(GByteArray) stream = g_byte_array_new();
    g_autoptr(GError) err = NULL;
    Machine *m2;
    UARTState *s2;
    uint64_t v;
    bool ok;

    outb(f, UART_LCR, 0x80);
    outb(f, UART_DLL, 3);
    outb(f, UART_LCR, 0x1b);
    outb(f, UART_FCR, 0x41);
    outb(f, UART_MCR, UART_MCR_LOOP | UART_MCR_OUT2 | UART_MCR_RTS);
    outb(f, UART_SCR, 0xa5);
    for (int i = 0; i < 5; i++) {
        outb(f, UART_THR, 'a' + i);
    }
    inb(f, UART_RBR);                 /* head moves off 0 */
    outb(f, UART_IER, 0x07);
    device_save(uart_device(f->uart), stream);

    load_state_into_fresh(stream, &m2, &s2, &err, &ok);
    g_assert_no_error(err);
    g_assert_true(ok);
    g_assert_true(as_read(m2->io, COM1 + UART_LCR, 1, &v));
    g_assert_cmphex(v, ==, 0x1b);
    g_assert_true(as_read(m2->io, COM1 + UART_SCR, 1, &v));
    g_assert_cmphex(v, ==, 0xa5);
    g_assert_true(as_read(m2->io, COM1 + UART_IIR, 1, &v));
    g_assert_cmphex(v, ==, 0xc0 | UART_IIR_RDI);
    g_assert_true(uart_irq_level(s2));
    for (int i = 1; i < 5; i++) {
        g_assert_true(as_read(m2->io, COM1 + UART_RBR, 1, &v));
        g_assert_cmphex(v, ==, 'a' + i);
    }
    g_assert_true(as_read(m2->io, COM1 + UART_LSR, 1, &v));
    g_assert_cmphex(v, ==, 0x60);
    as_write(m2->io, COM1 + UART_LCR, 1, 0x9b);
    g_assert_true(as_read(m2->io, COM1 + UART_DLL, 1, &v));
    g_assert_cmphex(v, ==, 3);
    machine_free(m2);
}

/* A stream whose FIFO position is out of range is refused by post_load, not trusted. */
static void test_load_rejects_bad_fifo_index(Fixture *f, gconstpointer data)
{
    static const struct { const char *field; uint8_t value; } bad[] = {
        { "rx_head", 16 }, { "rx_head", 200 }, { "rx_count", 17 }, { "tx_head", 99 }, { "tx_count", 200 },
        { "ier", 0xf0 }, { "fcr", 0x06 },
    };
    const StateDescription *sd = uart_device(f->uart)->cls->state;

    outb(f, UART_FCR, 0x01);
    for (size_t b = 0; b < G_N_ELEMENTS(bad); b++) {
        g_autoptr(GByteArray) stream = g_byte_array_new();
        g_autoptr(GByteArray) payload = g_byte_array_new();
        g_autoptr(GError) err = NULL;
        size_t base, off = 0;
        const StateField *fld = NULL;
        Machine *m2;
        UARTState *s2;
        bool ok;

        device_save(uart_device(f->uart), stream);
        state_save_fields(sd, f->uart, payload);
        /* The payload is the stream's last bytes before the end tag. */
        base = stream->len - 1 - payload->len;
        for (const StateField *x = sd->fields; x->type != STATE_END; x++) {
            if (strcmp(x->name, bad[b].field) == 0) {
                fld = x;
                break;
            }
            switch (x->type) {
            case STATE_UINT16: off += 2; break;
            case STATE_INT64: off += 8; break;
            case STATE_BUFFER: off += x->size; break;
            default: off += 1; break;
            }
        }
        g_assert_nonnull(fld);
        g_assert_cmpint(fld->type, ==, STATE_UINT8);
        stream->data[base + off] = bad[b].value;

        load_state_into_fresh(stream, &m2, &s2, &err, &ok);
        g_assert_false(ok);
        g_assert_nonnull(err);
        g_test_message("%s=%u refused: %s", bad[b].field, bad[b].value, err->message);
        machine_free(m2);
    }
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    clock_set_manual(true);

#define ADD(name, fn) g_test_add("/uart/" name, Fixture, NULL, fixture_setup, fn, fixture_teardown)
    ADD("reset-values", test_reset_values);
    ADD("dlab", test_dlab);
    ADD("fcr", test_fcr);
    ADD("trigger-levels", test_trigger_levels);
    ADD("iir-priorities", test_iir_priorities);
    ADD("thre", test_thre);
    ADD("out2-gating", test_out2_gating);
    ADD("loopback", test_loopback);
    ADD("overrun-fifo", test_overrun_fifo);
    ADD("break", test_break);
    ADD("char-timeout", test_char_timeout);
    ADD("receive-from-chardev", test_receive_from_chardev);
    ADD("transmit-to-chardev", test_transmit_to_chardev);
    ADD("wide-access", test_wide_access);
    ADD("save-load", test_save_load);
    ADD("load-rejects-bad-fifo-index", test_load_rejects_bad_fifo_index);
#undef ADD
    return g_test_run();
}
