/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The MC146818 RTC/CMOS over qtest: index port 0x70, data port 0x71,
 * IRQ 8 watched with irq_intercept_in ioapic.  The virtual clock only
 * moves with clock_step, so update cycles, UIP and interrupts are checked
 * at exact instants; the divider reset (register A = 0x7x, then 0x2x)
 * gives a known phase: the first update comes 500 ms after the release.
 *
 * Register access tests need no clock and pass against QEMU too; the
 * others skip where the clock cannot be stepped (Debian's QEMU).
 */
#include <glib.h>
#include <string.h>

#include "tests/libqtest.h"

#define R_SEC       0x00
#define R_SEC_AL    0x01
#define R_MIN       0x02
#define R_MIN_AL    0x03
#define R_HOUR      0x04
#define R_HOUR_AL   0x05
#define R_WDAY      0x06
#define R_MDAY      0x07
#define R_MON       0x08
#define R_YEAR      0x09
#define R_A         0x0a
#define R_B         0x0b
#define R_C         0x0c
#define R_D         0x0d
#define R_CENTURY   0x32

#define B_SET       0x80
#define B_PIE       0x40
#define B_AIE       0x20
#define B_UIE       0x10
#define B_DM        0x04
#define B_24H       0x02

#define C_IRQF      0x80
#define C_PF        0x40
#define C_AF        0x20
#define C_UF        0x10

#define RTC_IRQ     8
#define MS          1000000LL
#define SECOND      1000000000LL
#define UIP_HOLD_NS 244140

static bool is_qemu(void)
{
    const char *bin = g_getenv("QTEST_QEMU_BINARY");

    return bin && strstr(bin, "qemu-system");
}

static bool start(QTestState **out, bool need_clock)
{
    QTestState *s;

    if (!qtest_skip_without_binary()) {
        return false;
    }
    /* QEMU's RTC follows the host clock by default; make it follow the (stopped) guest clock. */
    s = qtest_init(is_qemu() ? "-rtc clock=vm" : NULL);
    if (need_clock && strncmp(qtest_raw(s, "clock_step 0"), "OK", 2) != 0) {
        g_test_skip("the emulator cannot step its clock (no qtest accelerator)");
        qtest_quit(s);
        return false;
    }
    if (need_clock) {
        /* Park PIT counter 0 (control word, no count): its 18.2 Hz timer would slow long steps. */
        qtest_outb(s, 0x43, 0x30);
    }
    *out = s;
    return true;
}

static uint8_t rd(QTestState *s, uint8_t index)
{
    qtest_outb(s, 0x70, index);
    return qtest_inb(s, 0x71);
}

static void wr(QTestState *s, uint8_t index, uint8_t v)
{
    qtest_outb(s, 0x70, index);
    qtest_outb(s, 0x71, v);
}

static uint8_t bcd(int v)
{
    return (v / 10) << 4 | (v % 10);
}

/* BCD, 24 hour mode, through SET. */
static void set_time(QTestState *s, int year, int mon, int mday, int hour, int min, int sec)
{
    wr(s, R_B, B_SET | B_24H);
    wr(s, R_SEC, bcd(sec));
    wr(s, R_MIN, bcd(min));
    wr(s, R_HOUR, bcd(hour));
    wr(s, R_MDAY, bcd(mday));
    wr(s, R_MON, bcd(mon));
    wr(s, R_YEAR, bcd(year % 100));
    wr(s, R_CENTURY, bcd(year / 100));
    wr(s, R_B, B_24H);
}

/* Hold the divider, then release it: the next update is exactly 500 ms later. Returns that time. */
static int64_t restart_divider(QTestState *s)
{
    wr(s, R_A, 0x76);
    wr(s, R_A, 0x26);
    return qtest_clock_step(s, 0) + SECOND / 2;
}

static void step_to(QTestState *s, int64_t t)
{
    int64_t now = qtest_clock_step(s, 0);

    g_assert_cmpint(t, >=, now);
    qtest_clock_step(s, t - now);
}

static void test_registers(void)
{
    QTestState *s;

    if (!start(&s, false)) {
        return;
    }
    g_assert_cmphex(rd(s, R_A) & 0x7f, ==, 0x26);
    g_assert_cmphex(rd(s, R_B), ==, B_24H);
    g_assert_cmphex(rd(s, R_C), ==, 0x00);
    g_assert_cmphex(rd(s, R_D), ==, 0x80);
    /* The century byte holds the century (base year 2000). */
    g_assert_cmphex(rd(s, R_CENTURY), ==, 0x20);
    /* Plain CMOS RAM; index bit 7 is the NMI mask, not an address bit. */
    wr(s, 0x80 | 0x5e, 0xa5);
    g_assert_cmphex(rd(s, 0x5e), ==, 0xa5);
    wr(s, 0x7f, 0x3c);
    g_assert_cmphex(rd(s, 0xff), ==, 0x3c);
    /* C and D cannot be written. */
    wr(s, R_C, 0xff);
    wr(s, R_D, 0x00);
    g_assert_cmphex(rd(s, R_C), ==, 0x00);
    g_assert_cmphex(rd(s, R_D), ==, 0x80);
    /* UIP is read only. */
    wr(s, R_A, 0xa6);
    g_assert_cmphex(rd(s, R_A) & 0x7f, ==, 0x26);
    qtest_quit(s);
}

static void test_set_time_formats(void)
{
    QTestState *s;

    if (!start(&s, false)) {
        return;
    }
    set_time(s, 2024, 2, 29, 23, 58, 17);
    g_assert_cmphex(rd(s, R_SEC), ==, 0x17);
    g_assert_cmphex(rd(s, R_MIN), ==, 0x58);
    g_assert_cmphex(rd(s, R_HOUR), ==, 0x23);
    g_assert_cmphex(rd(s, R_MDAY), ==, 0x29);
    g_assert_cmphex(rd(s, R_MON), ==, 0x02);
    g_assert_cmphex(rd(s, R_YEAR), ==, 0x24);
    g_assert_cmphex(rd(s, R_CENTURY), ==, 0x20);
    g_assert_cmphex(rd(s, R_WDAY), ==, 0x05);   /* a Thursday; Sunday is 1 */
    /* Binary mode shows the same time in binary, and 12 hour mode with the PM bit. */
    wr(s, R_B, B_DM | B_24H);
    g_assert_cmpuint(rd(s, R_MIN), ==, 58);
    g_assert_cmpuint(rd(s, R_YEAR), ==, 24);
    wr(s, R_B, B_DM);
    g_assert_cmphex(rd(s, R_HOUR), ==, 0x80 | 11);
    /* Setting in binary 12 hour: 1:02:03 AM on 2023-12-31. */
    wr(s, R_B, B_SET | B_DM);
    wr(s, R_SEC, 3);
    wr(s, R_MIN, 2);
    wr(s, R_HOUR, 1);
    wr(s, R_MDAY, 31);
    wr(s, R_MON, 12);
    wr(s, R_YEAR, 23);
    wr(s, R_CENTURY, 20);
    wr(s, R_B, B_DM);
    wr(s, R_B, B_24H);
    g_assert_cmphex(rd(s, R_HOUR), ==, 0x01);
    g_assert_cmphex(rd(s, R_MIN), ==, 0x02);
    g_assert_cmphex(rd(s, R_MDAY), ==, 0x31);
    g_assert_cmphex(rd(s, R_YEAR), ==, 0x23);
    g_assert_cmphex(rd(s, R_WDAY), ==, 0x01);   /* a Sunday */
    qtest_quit(s);
}

static void test_garbage(void)
{
    QTestState *s;
    guint32 seed = 0x70;

    if (!start(&s, false)) {
        return;
    }
    /* Random indices and values, the clock registers included: nothing breaks for good. */
    for (int i = 0; i < 2000; i++) {
        seed = seed * 1103515245 + 12345;
        if (seed & 0x100) {
            qtest_outb(s, 0x70, seed >> 24);
        } else if (seed & 0x200) {
            qtest_outb(s, 0x71, seed >> 16);
        } else {
            qtest_inb(s, 0x71);
        }
    }
    g_assert_cmphex(qtest_inb(s, 0x70), ==, 0xff);     /* the index port reads nothing */
    wr(s, R_A, 0x26);
    set_time(s, 2024, 6, 30, 12, 34, 56);
    g_assert_cmphex(rd(s, R_SEC), ==, 0x56);
    g_assert_cmphex(rd(s, R_MON), ==, 0x06);
    g_assert_cmphex(rd(s, R_D), ==, 0x80);
    qtest_quit(s);
}

static void test_update_cycle(void)
{
    QTestState *s;

    if (!start(&s, true)) {
        return;
    }
    set_time(s, 2024, 2, 28, 23, 59, 58);
    /* Whatever the phase, a second of virtual time holds exactly one update. */
    qtest_clock_step(s, SECOND);
    g_assert_cmphex(rd(s, R_SEC), ==, 0x59);
    qtest_clock_step(s, SECOND);
    g_assert_cmphex(rd(s, R_SEC), ==, 0x00);
    g_assert_cmphex(rd(s, R_MIN), ==, 0x00);
    g_assert_cmphex(rd(s, R_HOUR), ==, 0x00);
    g_assert_cmphex(rd(s, R_MDAY), ==, 0x29);
    g_assert_cmphex(rd(s, R_MON), ==, 0x02);
    qtest_clock_step(s, 24 * 3600 * SECOND);
    g_assert_cmphex(rd(s, R_MDAY), ==, 0x01);
    g_assert_cmphex(rd(s, R_MON), ==, 0x03);
    g_assert_cmphex(rd(s, R_WDAY), ==, 0x06);
    /* SET stops updates. */
    wr(s, R_B, B_SET | B_24H);
    qtest_clock_step(s, 5 * SECOND);
    g_assert_cmphex(rd(s, R_SEC), ==, 0x00);
    wr(s, R_B, B_24H);
    qtest_clock_step(s, SECOND);
    g_assert_cmphex(rd(s, R_SEC), ==, 0x01);
    qtest_quit(s);
}

static void test_uip(void)
{
    QTestState *s;
    int64_t update;
    uint8_t sec;

    if (!start(&s, true)) {
        return;
    }
    update = restart_divider(s);
    sec = rd(s, R_SEC);
    step_to(s, update - UIP_HOLD_NS - 1);
    g_assert_cmphex(rd(s, R_A) & 0x80, ==, 0x00);
    step_to(s, update - UIP_HOLD_NS);
    g_assert_cmphex(rd(s, R_A) & 0x80, ==, 0x80);
    step_to(s, update - 1);
    g_assert_cmphex(rd(s, R_A) & 0x80, ==, 0x80);
    g_assert_cmphex(rd(s, R_SEC), ==, sec);
    step_to(s, update);
    g_assert_cmphex(rd(s, R_A) & 0x80, ==, 0x00);
    g_assert_cmphex(rd(s, R_SEC), !=, sec);
    /* Next second, same again. */
    step_to(s, update + SECOND - UIP_HOLD_NS);
    g_assert_cmphex(rd(s, R_A) & 0x80, ==, 0x80);
    /* The held divider: no UIP, no updates. */
    wr(s, R_A, 0x76);
    g_assert_cmphex(rd(s, R_A) & 0x80, ==, 0x00);
    sec = rd(s, R_SEC);
    qtest_clock_step(s, 3 * SECOND);
    g_assert_cmphex(rd(s, R_SEC), ==, sec);
    qtest_quit(s);
}

static void test_periodic_irq(void)
{
    QTestState *s;
    int64_t update;

    if (!start(&s, true)) {
        return;
    }
    qtest_irq_intercept_in(s, "ioapic");
    update = restart_divider(s);
    wr(s, R_A, 0x2f);                   /* rate 15: every 500 ms, on the update phase */
    wr(s, R_B, B_24H | B_PIE);
    rd(s, R_C);
    step_to(s, update - 1);
    g_assert_false(qtest_get_irq(s, RTC_IRQ));
    step_to(s, update);
    g_assert_true(qtest_get_irq(s, RTC_IRQ));
    /* Register C: IRQF, PF and UF (the update came at the same instant); the read clears it. */
    g_assert_cmphex(rd(s, R_C), ==, C_IRQF | C_PF | C_UF);
    g_assert_false(qtest_get_irq(s, RTC_IRQ));
    g_assert_cmphex(rd(s, R_C), ==, 0x00);
    /* Half a second later, PF alone. */
    step_to(s, update + SECOND / 2 - 1);
    g_assert_false(qtest_get_irq(s, RTC_IRQ));
    step_to(s, update + SECOND / 2);
    g_assert_true(qtest_get_irq(s, RTC_IRQ));
    g_assert_cmphex(rd(s, R_C), ==, C_IRQF | C_PF);
    /* Not acknowledged, the line stays up; PIE off drops it. */
    step_to(s, update + 2 * SECOND);
    g_assert_true(qtest_get_irq(s, RTC_IRQ));
    wr(s, R_B, B_24H);
    g_assert_false(qtest_get_irq(s, RTC_IRQ));
    g_assert_cmphex(rd(s, R_C) & (C_IRQF | C_PF), ==, C_PF);
    qtest_quit(s);
}

static void test_alarm_irq(void)
{
    QTestState *s;
    int64_t update;

    if (!start(&s, true)) {
        return;
    }
    qtest_irq_intercept_in(s, "ioapic");
    set_time(s, 2024, 5, 17, 9, 59, 57);
    update = restart_divider(s);
    wr(s, R_SEC_AL, 0x00);
    wr(s, R_MIN_AL, 0x00);
    wr(s, R_HOUR_AL, 0x10);
    wr(s, R_B, B_24H | B_AIE);
    rd(s, R_C);
    step_to(s, update + SECOND);        /* 09:59:59 */
    g_assert_false(qtest_get_irq(s, RTC_IRQ));
    step_to(s, update + 2 * SECOND - 1);
    g_assert_false(qtest_get_irq(s, RTC_IRQ));
    step_to(s, update + 2 * SECOND);    /* 10:00:00 */
    g_assert_true(qtest_get_irq(s, RTC_IRQ));
    g_assert_cmphex(rd(s, R_HOUR), ==, 0x10);
    g_assert_cmphex(rd(s, R_C) & (C_IRQF | C_AF), ==, C_IRQF | C_AF);
    g_assert_false(qtest_get_irq(s, RTC_IRQ));
    /* Don't care (0xc0-0xff) in hours and minutes: every hour at mm:ss = xx:30. */
    wr(s, R_HOUR_AL, 0xff);
    wr(s, R_MIN_AL, 0xc0);
    wr(s, R_SEC_AL, 0x30);
    step_to(s, update + 31 * SECOND);
    g_assert_false(qtest_get_irq(s, RTC_IRQ));
    step_to(s, update + 32 * SECOND);   /* 10:00:30 */
    g_assert_true(qtest_get_irq(s, RTC_IRQ));
    rd(s, R_C);
    step_to(s, update + 92 * SECOND);   /* 10:01:30 */
    g_assert_true(qtest_get_irq(s, RTC_IRQ));
    qtest_quit(s);
}

static void test_update_irq(void)
{
    QTestState *s;
    int64_t update;

    if (!start(&s, true)) {
        return;
    }
    qtest_irq_intercept_in(s, "ioapic");
    update = restart_divider(s);
    wr(s, R_A, 0x20);                   /* no periodic rate: UF alone */
    wr(s, R_B, B_24H | B_UIE);
    rd(s, R_C);
    for (int i = 0; i < 3; i++) {
        step_to(s, update + i * SECOND - 1);
        g_assert_false(qtest_get_irq(s, RTC_IRQ));
        step_to(s, update + i * SECOND);
        g_assert_true(qtest_get_irq(s, RTC_IRQ));
        g_assert_cmphex(rd(s, R_C), ==, C_IRQF | C_UF);
        g_assert_false(qtest_get_irq(s, RTC_IRQ));
    }
    /* SET clears UIE. */
    wr(s, R_B, B_SET | B_24H | B_UIE);
    g_assert_cmphex(rd(s, R_B), ==, B_SET | B_24H);
    qtest_quit(s);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/rtc/registers", test_registers);
    g_test_add_func("/rtc/set-time-formats", test_set_time_formats);
    g_test_add_func("/rtc/garbage", test_garbage);
    g_test_add_func("/rtc/update-cycle", test_update_cycle);
    g_test_add_func("/rtc/uip", test_uip);
    g_test_add_func("/rtc/periodic-irq", test_periodic_irq);
    g_test_add_func("/rtc/alarm-irq", test_alarm_irq);
    g_test_add_func("/rtc/update-irq", test_update_irq);
    return g_test_run();
}
