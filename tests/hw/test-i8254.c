/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The i8254 PIT and port 0x61 over qtest.  The virtual clock only moves
 * with clock_step, so counts are exact: a count written at time T has
 * counted k clocks of 1.193182 MHz at T + ceil(k * 10^9 / 1193182) ns.
 * IRQ 0 is watched with irq_intercept_in ioapic (line 0, as QEMU's GSI
 * numbering has it), OUT2 through port 0x61 bit 5.
 *
 * The register access test needs no clock and passes against QEMU too;
 * the others skip where the clock cannot be stepped (Debian's QEMU).
 */
#include <glib.h>
#include <string.h>

#include "tests/libqtest.h"

#define PIT_CH(n)   (0x40 + (n))
#define PIT_CTRL    0x43
#define PORT61      0x61
#define PIT_HZ      1193182
#define PIT_IRQ     0

#define STATUS_OUT  0x80
#define STATUS_NULL 0x40

static bool start(QTestState **out, bool need_clock)
{
    QTestState *s;

    if (!qtest_skip_without_binary()) {
        return false;
    }
    s = qtest_init(NULL);
    if (need_clock && strncmp(qtest_raw(s, "clock_step 0"), "OK", 2) != 0) {
        g_test_skip("the emulator cannot step its clock (no qtest accelerator)");
        qtest_quit(s);
        return false;
    }
    *out = s;
    return true;
}

static int64_t ticks_ns(uint64_t ticks)
{
    return (int64_t)((ticks * 1000000000ull + PIT_HZ - 1) / PIT_HZ);
}

static int64_t now(QTestState *s)
{
    return qtest_clock_step(s, 0);
}

/* Move to `ticks` clocks after time `t0`. */
static void at_tick(QTestState *s, int64_t t0, uint64_t ticks)
{
    int64_t target = t0 + ticks_ns(ticks);

    g_assert_cmpint(target, >=, now(s));
    qtest_clock_step(s, target - now(s));
}

static void write16(QTestState *s, int ch, uint16_t v)
{
    qtest_outb(s, PIT_CH(ch), v & 0xff);
    qtest_outb(s, PIT_CH(ch), v >> 8);
}

static uint16_t read16(QTestState *s, int ch)
{
    uint16_t lsb = qtest_inb(s, PIT_CH(ch));

    return lsb | qtest_inb(s, PIT_CH(ch)) << 8;
}

static uint16_t latch16(QTestState *s, int ch)
{
    qtest_outb(s, PIT_CTRL, ch << 6);
    return read16(s, ch);
}

static uint8_t status(QTestState *s, int ch)
{
    qtest_outb(s, PIT_CTRL, 0xe0 | (2 << ch));
    return qtest_inb(s, PIT_CH(ch));
}

static bool out2(QTestState *s)
{
    return qtest_inb(s, PORT61) & 0x20;
}

/* Programming and reading back without time passing. */
static void test_register_access(void)
{
    QTestState *s;

    if (!start(&s, false)) {
        return;
    }
    /* Counter 0, LSB then MSB, mode 0: OUT low until terminal count. */
    qtest_outb(s, PIT_CTRL, 0x30);
    write16(s, 0, 0x1234);
    g_assert_cmphex(latch16(s, 0), ==, 0x1234);
    g_assert_cmphex(status(s, 0) & ~STATUS_NULL, ==, 0x30);
    /* Counter 1, LSB only / MSB only: one byte each way. */
    qtest_outb(s, PIT_CTRL, 0x50);
    qtest_outb(s, PIT_CH(1), 0x7f);
    g_assert_cmphex(qtest_inb(s, PIT_CH(1)), ==, 0x7f);
    g_assert_cmphex(qtest_inb(s, PIT_CH(1)), ==, 0x7f);
    qtest_outb(s, PIT_CTRL, 0x60);
    qtest_outb(s, PIT_CH(1), 0x12);
    g_assert_cmphex(qtest_inb(s, PIT_CH(1)), ==, 0x12);
    g_assert_cmphex(status(s, 1) & ~(STATUS_NULL | STATUS_OUT), ==, 0x20);
    /* Counter 2, mode 3, gated off: read-back of status and count, status first. */
    qtest_outb(s, PIT_CTRL, 0xb6);
    write16(s, 2, 0x0400);
    qtest_outb(s, PIT_CTRL, 0xc0 | 0x08);
    g_assert_cmphex(qtest_inb(s, PIT_CH(2)) & ~STATUS_NULL, ==, STATUS_OUT | 0x36);
    g_assert_cmphex(read16(s, 2), ==, 0x0400);
    /* Square wave starts high: OUT2 in port 0x61 bit 5. */
    qtest_outb(s, PORT61, 0x03);
    g_assert_cmphex(qtest_inb(s, PORT61) & 0x23, ==, 0x23);
    qtest_outb(s, PORT61, 0x00);
    g_assert_cmphex(qtest_inb(s, PORT61) & 0x03, ==, 0x00);
    qtest_quit(s);
}

static void test_irq0_rate_generator(void)
{
    QTestState *s;
    int64_t t0;

    if (!start(&s, true)) {
        return;
    }
    qtest_irq_intercept_in(s, "ioapic");
    /* Intercepting reports changes only: make OUT fall (mode 0) and rise (mode 2) once. */
    qtest_outb(s, PIT_CTRL, 0x30);
    g_assert_false(qtest_get_irq(s, PIT_IRQ));
    qtest_outb(s, PIT_CTRL, 0x34);          /* counter 0, mode 2: OUT high */
    g_assert_true(qtest_get_irq(s, PIT_IRQ));
    write16(s, 0, 1000);
    t0 = now(s);
    at_tick(s, t0, 100);
    g_assert_cmpuint(latch16(s, 0), ==, 900);
    g_assert_true(qtest_get_irq(s, PIT_IRQ));
    /* OUT (IRQ 0) drops for the clock the counter spends at 1, every period. */
    for (int period = 0; period < 5; period++) {
        at_tick(s, t0, period * 1000 + 998);
        g_assert_true(qtest_get_irq(s, PIT_IRQ));
        at_tick(s, t0, period * 1000 + 999);
        g_assert_false(qtest_get_irq(s, PIT_IRQ));
        g_assert_cmpuint(latch16(s, 0), ==, 1);
        at_tick(s, t0, period * 1000 + 1000);
        g_assert_true(qtest_get_irq(s, PIT_IRQ));
        g_assert_cmpuint(latch16(s, 0), ==, 1000);
    }
    qtest_quit(s);
}

static void test_irq0_one_shot(void)
{
    QTestState *s;
    int64_t t0;

    if (!start(&s, true)) {
        return;
    }
    qtest_irq_intercept_in(s, "ioapic");
    qtest_outb(s, PIT_CTRL, 0x30);          /* counter 0, mode 0 */
    g_assert_false(qtest_get_irq(s, PIT_IRQ));
    write16(s, 0, 500);
    t0 = now(s);
    at_tick(s, t0, 499);
    g_assert_false(qtest_get_irq(s, PIT_IRQ));
    g_assert_cmpuint(latch16(s, 0), ==, 1);
    at_tick(s, t0, 500);
    g_assert_true(qtest_get_irq(s, PIT_IRQ));
    /* One shot: the counter wraps on, OUT stays high. */
    at_tick(s, t0, 500 + 65536 + 10);
    g_assert_true(qtest_get_irq(s, PIT_IRQ));
    g_assert_cmpuint(latch16(s, 0), ==, 65536 - 10);
    /* Reprogramming drops OUT until the new terminal count. */
    qtest_outb(s, PIT_CTRL, 0x30);
    g_assert_false(qtest_get_irq(s, PIT_IRQ));
    write16(s, 0, 10);
    t0 = now(s);
    at_tick(s, t0, 10);
    g_assert_true(qtest_get_irq(s, PIT_IRQ));
    qtest_quit(s);
}

static void test_out2_square_wave(void)
{
    QTestState *s;
    int64_t t0;

    if (!start(&s, true)) {
        return;
    }
    qtest_outb(s, PIT_CTRL, 0xb6);          /* counter 2, mode 3 */
    write16(s, 2, 100);
    /* Gate off: no counting, OUT high. */
    qtest_clock_step(s, ticks_ns(1000));
    g_assert_true(out2(s));
    g_assert_cmpuint(latch16(s, 2), ==, 100);
    qtest_outb(s, PORT61, 0x01);            /* gate on: the cycle starts */
    t0 = now(s);
    at_tick(s, t0, 20);
    g_assert_cmpuint(latch16(s, 2), ==, 60);    /* down by two per clock */
    at_tick(s, t0, 49);
    g_assert_true(out2(s));
    at_tick(s, t0, 50);
    g_assert_false(out2(s));
    at_tick(s, t0, 99);
    g_assert_false(out2(s));
    at_tick(s, t0, 100);
    g_assert_true(out2(s));
    at_tick(s, t0, 1000 * 100 + 75);
    g_assert_false(out2(s));
    /* Gate off forces OUT high at once. */
    qtest_outb(s, PORT61, 0x00);
    g_assert_true(out2(s));
    qtest_quit(s);
}

static void test_out2_one_shot_gate(void)
{
    QTestState *s;
    int64_t t0;

    if (!start(&s, true)) {
        return;
    }
    /* Mode 0 on counter 2: the gate pauses counting. */
    qtest_outb(s, PORT61, 0x01);
    qtest_outb(s, PIT_CTRL, 0xb0);
    write16(s, 2, 300);
    t0 = now(s);
    g_assert_false(out2(s));
    at_tick(s, t0, 100);
    qtest_outb(s, PORT61, 0x00);
    at_tick(s, t0, 5000);
    g_assert_cmpuint(latch16(s, 2), ==, 200);
    g_assert_false(out2(s));
    qtest_outb(s, PORT61, 0x01);
    t0 = now(s);
    at_tick(s, t0, 199);
    g_assert_false(out2(s));
    at_tick(s, t0, 200);
    g_assert_true(out2(s));
    /* Mode 1: a rising gate triggers a low pulse of N clocks. */
    qtest_outb(s, PIT_CTRL, 0xb2);
    write16(s, 2, 40);
    g_assert_true(out2(s));
    qtest_outb(s, PORT61, 0x00);
    qtest_outb(s, PORT61, 0x01);
    t0 = now(s);
    g_assert_false(out2(s));
    at_tick(s, t0, 39);
    g_assert_false(out2(s));
    at_tick(s, t0, 40);
    g_assert_true(out2(s));
    qtest_quit(s);
}

static void test_read_back_and_latch(void)
{
    QTestState *s;
    int64_t t0;

    if (!start(&s, true)) {
        return;
    }
    qtest_outb(s, PIT_CTRL, 0x74);          /* counter 1, mode 2 */
    write16(s, 1, 0x2000);
    t0 = now(s);
    at_tick(s, t0, 0x100);
    qtest_outb(s, PIT_CTRL, 0x40);          /* latch: frozen until read */
    at_tick(s, t0, 0x300);
    qtest_outb(s, PIT_CTRL, 0x40);          /* ignored while the first is unread */
    g_assert_cmphex(read16(s, 1), ==, 0x1f00);
    /* Unlatched: each byte is the counter at the time of its read. */
    g_assert_cmphex(qtest_inb(s, PIT_CH(1)), ==, 0x00);
    at_tick(s, t0, 0x1000);
    g_assert_cmphex(qtest_inb(s, PIT_CH(1)), ==, 0x10);
    /* Read-back of count and status: status first, NULL COUNT clear once loaded. */
    at_tick(s, t0, 0x1234);
    qtest_outb(s, PIT_CTRL, 0xc0 | 0x04);
    at_tick(s, t0, 0x1500);
    g_assert_cmphex(qtest_inb(s, PIT_CH(1)), ==, STATUS_OUT | 0x34);
    g_assert_cmphex(read16(s, 1), ==, 0x2000 - 0x1234);
    /* BCD: counter 0 with 1000 decimal. */
    qtest_outb(s, PIT_CTRL, 0x35);
    write16(s, 0, 0x1000);
    t0 = now(s);
    at_tick(s, t0, 123);
    g_assert_cmphex(latch16(s, 0), ==, 0x0877);
    qtest_quit(s);
}

static void test_refresh_toggle(void)
{
    QTestState *s;
    uint8_t first;
    int64_t t0;
    int steps;

    if (!start(&s, true)) {
        return;
    }
    /* Bit 4 toggles every 18 timer clocks (15.085 us) of virtual time, not per read. */
    first = qtest_inb(s, PORT61) & 0x10;
    g_assert_cmphex(qtest_inb(s, PORT61) & 0x10, ==, first);
    for (steps = 0; steps < 20 && (qtest_inb(s, PORT61) & 0x10) == first; steps++) {
        qtest_clock_step(s, ticks_ns(1));
    }
    g_assert_cmpint(steps, <=, 19);
    t0 = now(s);
    first ^= 0x10;
    at_tick(s, t0, 9);
    g_assert_cmphex(qtest_inb(s, PORT61) & 0x10, ==, first);
    at_tick(s, t0, 27);
    g_assert_cmphex(qtest_inb(s, PORT61) & 0x10, ==, first ^ 0x10);
    qtest_quit(s);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/i8254/register-access", test_register_access);
    g_test_add_func("/i8254/irq0-rate-generator", test_irq0_rate_generator);
    g_test_add_func("/i8254/irq0-one-shot", test_irq0_one_shot);
    g_test_add_func("/i8254/out2-square-wave", test_out2_square_wave);
    g_test_add_func("/i8254/out2-one-shot-gate", test_out2_one_shot_gate);
    g_test_add_func("/i8254/read-back-and-latch", test_read_back_and_latch);
    g_test_add_func("/i8254/refresh-toggle", test_refresh_toggle);
    return g_test_run();
}
