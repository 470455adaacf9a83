/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * MC146818 RTC tests without an emulator process: a bare Machine with the
 * RTC, driven through ports 0x70/0x71, the virtual clock in manual mode,
 * IRQ 8 recorded.  The RTC's own timer is the only one on the clock, so
 * clock_next_deadline tells when it wants to raise IRQ 8.
 */
#include <glib.h>
#include <string.h>

#include "hw/core/clock.h"
#include "hw/core/machine.h"
#include "hw/timer/mc146818rtc.h"

#define R_SEC     0x00
#define R_SEC_AL  0x01
#define R_MIN     0x02
#define R_MIN_AL  0x03
#define R_HOUR    0x04
#define R_HOUR_AL 0x05
#define R_WDAY    0x06
#define R_MDAY    0x07
#define R_MON     0x08
#define R_YEAR    0x09
#define REG_A   0x0a
#define REG_B   0x0b
#define REG_C   0x0c
#define REG_D   0x0d
#define R_CENTURY 0x32

#define B_SET   0x80
#define B_PIE   0x40
#define B_AIE   0x20
#define B_UIE   0x10
#define B_DM    0x04
#define B_24H   0x02

#define MS      1000000LL
#define SECOND  1000000000LL

typedef struct Fixture {
    Machine *m;
    IrqLine *irq8;
    int level;
    unsigned raises;
    RTCState *rtc;
} Fixture;

static void irq_record(void *opaque, int n, int level)
{
    Fixture *f = opaque;

    f->level = level;
    if (level) {
        f->raises++;
    }
}

static uint8_t inb(Fixture *f, uint16_t port)
{
    uint64_t v;

    g_assert_true(as_read(f->m->io, port, 1, &v));
    return v;
}

static void outb(Fixture *f, uint16_t port, uint8_t v)
{
    g_assert_true(as_write(f->m->io, port, 1, v));
}

static uint8_t rd(Fixture *f, uint8_t index)
{
    outb(f, 0x70, index);
    return inb(f, 0x71);
}

static void wr(Fixture *f, uint8_t index, uint8_t v)
{
    outb(f, 0x70, index);
    outb(f, 0x71, v);
}

static int64_t now_ns(void)
{
    return clock_get_ns(CLOCK_VIRTUAL);
}

static void step(int64_t ns)
{
    clock_virtual_advance_to(now_ns() + ns);
}

static uint8_t bcd(int v)
{
    return (v / 10) << 4 | (v % 10);
}

/* Set the time in BCD, 24 hour mode, through SET. */
static void set_time(Fixture *f, int year, int mon, int mday, int hour, int min, int sec)
{
    wr(f, REG_B, B_SET | B_24H);
    wr(f, R_SEC, bcd(sec));
    wr(f, R_MIN, bcd(min));
    wr(f, R_HOUR, bcd(hour));
    wr(f, R_MDAY, bcd(mday));
    wr(f, R_MON, bcd(mon));
    wr(f, R_YEAR, bcd(year % 100));
    wr(f, R_CENTURY, bcd(year / 100));
    wr(f, REG_B, B_24H);
}

static void fixture_setup(Fixture *f, gconstpointer data)
{
    memset(f, 0, sizeof(*f));
    f->m = machine_new(1ull << 32);
    f->irq8 = irq_new(irq_record, f, 8);
    f->rtc = rtc_create(f->m, f->irq8, 2000);
    device_list_reset(f->m->devices, RESET_POWER_ON);
}

static void fixture_teardown(Fixture *f, gconstpointer data)
{
    machine_free(f->m);
    irq_free(f->irq8);
}

/* Move to just after an update cycle (uses the update timer UIE arms). */
static void sync_to_update(Fixture *f)
{
    uint8_t b = rd(f, REG_B);

    wr(f, REG_B, b | B_UIE);
    rd(f, REG_C);
    g_assert_cmpint(clock_next_deadline(CLOCK_VIRTUAL), >, now_ns());
    clock_virtual_advance_to(clock_next_deadline(CLOCK_VIRTUAL));
    wr(f, REG_B, b);
    rd(f, REG_C);
}

static void test_power_on(Fixture *f, gconstpointer data)
{
    GDateTime *utc = g_date_time_new_now_utc();
    int64_t host = g_date_time_to_unix(utc);
    g_autoptr(GDateTime) rtc = NULL;
    int64_t diff;

    g_assert_cmphex(rd(f, REG_A) & 0x7f, ==, 0x26);
    g_assert_cmphex(rd(f, REG_B), ==, 0x02);
    g_assert_cmphex(rd(f, REG_C), ==, 0x00);
    g_assert_cmphex(rd(f, REG_D), ==, 0x80);
    rtc = g_date_time_new_utc(
        (rd(f, R_CENTURY) >> 4) * 1000 + (rd(f, R_CENTURY) & 15) * 100 + (rd(f, R_YEAR) >> 4) * 10 + (rd(f, R_YEAR) & 15),
        (rd(f, R_MON) >> 4) * 10 + (rd(f, R_MON) & 15), (rd(f, R_MDAY) >> 4) * 10 + (rd(f, R_MDAY) & 15),
        (rd(f, R_HOUR) >> 4) * 10 + (rd(f, R_HOUR) & 15), (rd(f, R_MIN) >> 4) * 10 + (rd(f, R_MIN) & 15),
        (rd(f, R_SEC) >> 4) * 10 + (rd(f, R_SEC) & 15));
    g_assert_nonnull(rtc);
    diff = g_date_time_to_unix(rtc) - host;
    /* Created from the host's UTC clock a moment ago. */
    g_assert_cmpint(diff, <=, 2);
    g_assert_cmpint(diff, >=, -2);
    g_assert_cmpint(rd(f, R_WDAY), ==, g_date_time_get_day_of_week(rtc) % 7 + 1);
    g_date_time_unref(utc);
}

static void test_update_cycle(Fixture *f, gconstpointer data)
{
    set_time(f, 2024, 2, 28, 23, 59, 58);
    g_assert_cmphex(rd(f, R_SEC), ==, 0x58);
    /* Any second of virtual time holds exactly one update cycle. */
    step(SECOND);
    g_assert_cmphex(rd(f, R_SEC), ==, 0x59);
    g_assert_cmphex(rd(f, REG_C) & ~0x40, ==, 0x10);    /* UF, no IRQF: UIE is off (PF from the default 1024 Hz rate) */
    step(SECOND);
    g_assert_cmphex(rd(f, R_SEC), ==, 0x00);
    g_assert_cmphex(rd(f, R_MIN), ==, 0x00);
    g_assert_cmphex(rd(f, R_HOUR), ==, 0x00);
    g_assert_cmphex(rd(f, R_MDAY), ==, 0x29);     /* leap year */
    g_assert_cmphex(rd(f, R_MON), ==, 0x02);
    g_assert_cmphex(rd(f, R_WDAY), ==, 0x05);     /* Thursday */
    step(SECOND * 86400);
    g_assert_cmphex(rd(f, R_MDAY), ==, 0x01);
    g_assert_cmphex(rd(f, R_MON), ==, 0x03);
    g_assert_cmphex(rd(f, R_WDAY), ==, 0x06);
    g_assert_cmpint(f->raises, ==, 0);
    /* Century rollover. */
    set_time(f, 2099, 12, 31, 23, 59, 59);
    step(SECOND);
    g_assert_cmphex(rd(f, R_YEAR), ==, 0x00);
    g_assert_cmphex(rd(f, R_CENTURY), ==, 0x21);
    g_assert_cmphex(rd(f, R_MON), ==, 0x01);
    g_assert_cmphex(rd(f, R_MDAY), ==, 0x01);
    g_assert_cmphex(rd(f, R_WDAY), ==, 0x06);     /* 2100-01-01 is a Friday */
}

static void test_uip(Fixture *f, gconstpointer data)
{
    int64_t next;

    sync_to_update(f);
    next = now_ns() + SECOND;
    g_assert_cmphex(rd(f, REG_A) & 0x80, ==, 0);
    /* UIP is up for the 244 us before the update. */
    clock_virtual_advance_to(next - 244141);
    g_assert_cmphex(rd(f, REG_A) & 0x80, ==, 0);
    clock_virtual_advance_to(next - 244140);
    g_assert_cmphex(rd(f, REG_A) & 0x80, ==, 0x80);
    {
        uint8_t sec = rd(f, R_SEC);
        clock_virtual_advance_to(next - 1);
        g_assert_cmphex(rd(f, REG_A) & 0x80, ==, 0x80);
        g_assert_cmphex(rd(f, R_SEC), ==, sec);
        clock_virtual_advance_to(next);
        g_assert_cmphex(rd(f, REG_A) & 0x80, ==, 0);
        g_assert_cmphex(rd(f, R_SEC), !=, sec);
    }
    /* UIP is read only, and never set with SET. */
    wr(f, REG_A, 0xa6);
    g_assert_cmphex(rd(f, REG_A), ==, 0x26);
    wr(f, REG_B, B_SET | B_24H);
    clock_virtual_advance_to(next + SECOND - 1000);
    g_assert_cmphex(rd(f, REG_A) & 0x80, ==, 0);
}

static void test_binary_and_12h(Fixture *f, gconstpointer data)
{
    /* Binary, 12 hour: 1:05:07 PM. */
    wr(f, REG_B, B_SET | B_DM);
    wr(f, R_SEC, 7);
    wr(f, R_MIN, 5);
    wr(f, R_HOUR, 0x80 | 1);
    wr(f, R_MDAY, 31);
    wr(f, R_MON, 12);
    wr(f, R_YEAR, 23);
    wr(f, R_CENTURY, 20);
    wr(f, REG_B, B_DM);
    step(SECOND);
    g_assert_cmpuint(rd(f, R_SEC), ==, 8);
    g_assert_cmphex(rd(f, R_HOUR), ==, 0x81);
    /* The format follows register B from then on: 24 hour BCD. */
    wr(f, REG_B, B_24H);
    g_assert_cmphex(rd(f, R_HOUR), ==, 0x13);
    g_assert_cmphex(rd(f, R_MIN), ==, 0x05);
    g_assert_cmphex(rd(f, R_SEC), ==, 0x08);
    g_assert_cmphex(rd(f, R_YEAR), ==, 0x23);
    /* Midnight and noon in 12 hour mode. */
    set_time(f, 2023, 6, 1, 0, 30, 0);
    wr(f, REG_B, 0);
    g_assert_cmphex(rd(f, R_HOUR), ==, 0x12);
    wr(f, REG_B, B_24H);
    set_time(f, 2023, 6, 1, 12, 30, 0);
    wr(f, REG_B, 0);
    g_assert_cmphex(rd(f, R_HOUR), ==, 0x92);
    /* Writing a field of a running clock takes effect at once. */
    wr(f, REG_B, B_24H);
    wr(f, R_MIN, 0x45);
    step(SECOND);
    g_assert_cmphex(rd(f, R_MIN), ==, 0x45);
    g_assert_cmphex(rd(f, R_SEC), ==, 0x01);
}

static void test_periodic(Fixture *f, gconstpointer data)
{
    int64_t deadline;

    sync_to_update(f);
    wr(f, REG_A, 0x2f);             /* RS = 15: 500 ms */
    wr(f, REG_B, B_24H | B_PIE);
    rd(f, REG_C);
    deadline = clock_next_deadline(CLOCK_VIRTUAL);
    /* Periodic edges are aligned on the divider: half a second after the update. */
    g_assert_cmpint(deadline, ==, now_ns() + SECOND / 2);
    clock_virtual_advance_to(deadline - 1);
    g_assert_cmpint(f->level, ==, 0);
    clock_virtual_advance_to(deadline);
    g_assert_cmpint(f->level, ==, 1);
    g_assert_cmphex(rd(f, REG_C), ==, 0xc0);
    g_assert_cmpint(f->level, ==, 0);
    g_assert_cmphex(rd(f, REG_C), ==, 0x00);    /* cleared by the read */
    /* 10 s at 2 Hz, acknowledging each: 20 interrupts. */
    {
        unsigned raises = f->raises;
        for (int i = 0; i < 20; i++) {
            clock_virtual_advance_to(clock_next_deadline(CLOCK_VIRTUAL));
            g_assert_cmphex(rd(f, REG_C) & 0xc0, ==, 0xc0);
        }
        g_assert_cmpuint(f->raises - raises, ==, 20);
        g_assert_cmpint(clock_next_deadline(CLOCK_VIRTUAL) - deadline, ==, 21 * SECOND / 2);
    }
    /* Without PIE, PF is still set but IRQF and the line are not. */
    wr(f, REG_B, B_24H);
    step(SECOND);
    g_assert_cmphex(rd(f, REG_C) & 0xc0, ==, 0x40);
    g_assert_cmpint(f->level, ==, 0);
    /* Enabling PIE with PF already set raises at once. */
    step(SECOND);
    wr(f, REG_B, B_24H | B_PIE);
    g_assert_cmpint(f->level, ==, 1);
    /* 1024 Hz: period 976.5625 us. */
    wr(f, REG_A, 0x26);
    rd(f, REG_C);
    {
        unsigned raises = f->raises;
        int64_t start = now_ns();
        while (now_ns() < start + SECOND) {
            clock_virtual_advance_to(clock_next_deadline(CLOCK_VIRTUAL));
            rd(f, REG_C);
        }
        g_assert_cmpuint(f->raises - raises, >=, 1023);
        g_assert_cmpuint(f->raises - raises, <=, 1025);
    }
    /* RS = 0: no periodic interrupt at all. */
    wr(f, REG_A, 0x20);
    rd(f, REG_C);
    step(SECOND);
    g_assert_cmphex(rd(f, REG_C) & 0x40, ==, 0);
}

static void test_alarm(Fixture *f, gconstpointer data)
{
    set_time(f, 2024, 5, 17, 10, 0, 0);
    wr(f, R_SEC_AL, 0x05);
    wr(f, R_MIN_AL, 0x00);
    wr(f, R_HOUR_AL, 0x10);
    wr(f, REG_B, B_24H | B_AIE);
    rd(f, REG_C);
    step(4 * SECOND);
    g_assert_cmpint(f->level, ==, 0);
    g_assert_cmphex(rd(f, REG_C) & 0x20, ==, 0);
    step(SECOND);
    g_assert_cmpint(f->level, ==, 1);
    g_assert_cmphex(rd(f, REG_C) & ~0x40, ==, 0xb0);    /* IRQF, AF, UF */
    g_assert_cmpint(f->level, ==, 0);
    /* Next one is a day later. */
    step(86399 * SECOND);
    g_assert_cmpint(f->level, ==, 0);
    step(SECOND);
    g_assert_cmpint(f->level, ==, 1);
    rd(f, REG_C);
    /* Don't care hours and minutes: every minute at :30. */
    wr(f, R_HOUR_AL, 0xc0);
    wr(f, R_MIN_AL, 0xff);
    wr(f, R_SEC_AL, 0x30);
    {
        unsigned raises = f->raises;
        for (int i = 0; i < 180; i++) {
            step(SECOND);
            rd(f, REG_C);
        }
        g_assert_cmpuint(f->raises - raises, ==, 3);
    }
    /* All don't care: every second. */
    wr(f, R_SEC_AL, 0xc5);
    {
        unsigned raises = f->raises;
        for (int i = 0; i < 10; i++) {
            step(SECOND);
            rd(f, REG_C);
        }
        g_assert_cmpuint(f->raises - raises, ==, 10);
    }
    /* An alarm value no time can have never fires. */
    wr(f, R_SEC_AL, 0x61);
    step(120 * SECOND);
    g_assert_cmphex(rd(f, REG_C) & 0x20, ==, 0);
    /* Passing the alarm with AIE off still sets AF (no IRQ). */
    wr(f, REG_B, B_24H);
    wr(f, R_SEC_AL, 0xc0);
    rd(f, REG_C);
    step(SECOND);
    g_assert_cmphex(rd(f, REG_C) & ~0x40, ==, 0x30);
    g_assert_cmpint(f->level, ==, 0);
    /* 12 hour mode alarm: 2 PM (the guest rewrites the time in the new format). */
    wr(f, REG_B, B_SET);
    wr(f, R_HOUR, 0x81);
    wr(f, R_MIN, 0x59);
    wr(f, R_SEC, 0x59);
    wr(f, R_HOUR_AL, 0x82);
    wr(f, R_MIN_AL, 0x00);
    wr(f, R_SEC_AL, 0x00);
    wr(f, REG_B, B_AIE);
    rd(f, REG_C);
    step(SECOND);
    g_assert_cmpint(f->level, ==, 1);
}

static void test_update_interrupt(Fixture *f, gconstpointer data)
{
    unsigned raises = f->raises;

    wr(f, REG_B, B_24H | B_UIE);
    rd(f, REG_C);
    for (int i = 0; i < 5; i++) {
        clock_virtual_advance_to(clock_next_deadline(CLOCK_VIRTUAL));
        g_assert_cmpint(f->level, ==, 1);
        g_assert_cmphex(rd(f, REG_C) & ~0x40, ==, 0x90);
        g_assert_cmpint(f->level, ==, 0);
    }
    g_assert_cmpuint(f->raises - raises, ==, 5);
    /* SET clears UIE and stops update cycles. */
    wr(f, REG_B, B_SET | B_24H | B_UIE);
    g_assert_cmphex(rd(f, REG_B), ==, B_SET | B_24H);
    {
        uint8_t sec = rd(f, R_SEC);
        step(3 * SECOND);
        g_assert_cmphex(rd(f, R_SEC), ==, sec);
        g_assert_cmphex(rd(f, REG_C) & ~0x40, ==, 0x00);
    }
    /* Not acknowledging: the line stays up, one edge. */
    wr(f, REG_B, B_24H | B_UIE);
    raises = f->raises;
    step(5 * SECOND);
    g_assert_cmpint(f->level, ==, 1);
    g_assert_cmpuint(f->raises - raises, ==, 1);
    /* Disabling the interrupt drops the line, the flag stays. */
    wr(f, REG_B, B_24H);
    g_assert_cmpint(f->level, ==, 0);
    g_assert_cmphex(rd(f, REG_C) & ~0x40, ==, 0x10);
}

static void test_divider_reset(Fixture *f, gconstpointer data)
{
    uint8_t sec;

    set_time(f, 2024, 1, 1, 0, 0, 0);
    wr(f, REG_A, 0x76);             /* divider held in reset */
    g_assert_cmphex(rd(f, REG_A), ==, 0x76);
    step(10 * SECOND);
    g_assert_cmphex(rd(f, R_SEC), ==, 0x00);
    g_assert_cmphex(rd(f, REG_C), ==, 0x00);
    sec = rd(f, R_SEC);
    /* Released: the first update comes half a second later. */
    wr(f, REG_A, 0x26);
    step(SECOND / 2 - 1);
    g_assert_cmphex(rd(f, R_SEC), ==, sec);
    step(1);
    g_assert_cmphex(rd(f, R_SEC), ==, sec + 1);
    step(SECOND);
    g_assert_cmphex(rd(f, R_SEC), ==, sec + 2);
}

static void test_set_mode(Fixture *f, gconstpointer data)
{
    /* The guest's values are the time only when SET is cleared; the phase is kept. */
    sync_to_update(f);
    step(300 * MS);
    wr(f, REG_B, B_SET | B_24H);
    wr(f, R_SEC, 0x10);
    wr(f, R_MIN, 0x20);
    step(5 * SECOND);
    g_assert_cmphex(rd(f, R_SEC), ==, 0x10);
    wr(f, REG_B, B_24H);
    g_assert_cmphex(rd(f, R_SEC), ==, 0x10);
    step(700 * MS - 1);
    g_assert_cmphex(rd(f, R_SEC), ==, 0x10);
    step(1);
    g_assert_cmphex(rd(f, R_SEC), ==, 0x11);
    g_assert_cmphex(rd(f, R_MIN), ==, 0x20);
}

static void test_cmos_ram(Fixture *f, gconstpointer data)
{
    /* Bit 7 of the index is the NMI mask, not an address bit. */
    wr(f, 0x80 | 0x40, 0x5a);
    g_assert_cmphex(rd(f, 0x40), ==, 0x5a);
    g_assert_cmphex(inb(f, 0x70), ==, 0xff);
    for (int i = 0x0e; i < 0x80; i++) {
        if (i != R_CENTURY && i != 0x37) {
            wr(f, i, i ^ 0xa5);
        }
    }
    for (int i = 0x0e; i < 0x80; i++) {
        if (i != R_CENTURY && i != 0x37) {
            g_assert_cmphex(rd(f, i), ==, i ^ 0xa5);
            g_assert_cmphex(rtc_get_cmos(f->rtc, i), ==, i ^ 0xa5);
        }
    }
    /* 0x37 (PS/2) is the century byte too. */
    g_assert_cmphex(rd(f, 0x37), ==, rd(f, R_CENTURY));
    /* C and D are read only. */
    wr(f, REG_C, 0xff);
    wr(f, REG_D, 0x00);
    g_assert_cmphex(rd(f, REG_C), ==, 0x00);
    g_assert_cmphex(rd(f, REG_D), ==, 0x80);
    /* Board access and the upper bank. */
    rtc_set_cmos(f->rtc, 0x34, 0x12);
    g_assert_cmphex(rd(f, 0x34), ==, 0x12);
    rtc_set_cmos(f->rtc, 0x80 + 5, 0x77);
    outb(f, 0x72, 5);
    g_assert_cmphex(inb(f, 0x73), ==, 0x77);
    outb(f, 0x72, 0x85);
    outb(f, 0x73, 0x66);
    g_assert_cmphex(rtc_get_cmos(f->rtc, 0x85), ==, 0x66);
    rtc_set_cmos(f->rtc, 300, 1);                 /* out of range: ignored */
    g_assert_cmphex(rtc_get_cmos(f->rtc, 300), ==, 0xff);
    /* Time registers through the board interface. */
    set_time(f, 2030, 7, 4, 8, 9, 10);
    g_assert_cmphex(rtc_get_cmos(f->rtc, R_YEAR), ==, 0x30);
    g_assert_cmphex(rtc_get_cmos(f->rtc, R_CENTURY), ==, 0x20);
}

static void test_garbage(Fixture *f, gconstpointer data)
{
    guint32 seed = 0x146818;

    for (int i = 0; i < 20000; i++) {
        uint64_t v;

        seed = seed * 1103515245 + 12345;
        switch ((seed >> 8) & 3) {
        case 0:
            as_write(f->m->io, 0x70, 1, seed >> 24);
            break;
        case 1:
            as_write(f->m->io, 0x71, 1, seed >> 16);
            break;
        case 2:
            as_read(f->m->io, 0x71, 1, &v);
            break;
        default:
            clock_virtual_advance_to(now_ns() + (seed >> 20) * 1000);
            break;
        }
    }
    /* Whatever happened, the clock can be set and runs. */
    wr(f, REG_A, 0x26);
    set_time(f, 2024, 2, 29, 12, 0, 0);
    step(SECOND);
    g_assert_cmphex(rd(f, R_SEC), ==, 0x01);
    g_assert_cmphex(rd(f, R_MDAY), ==, 0x29);
    /* Impossible dates written by the guest normalise instead of crashing. */
    wr(f, REG_B, B_SET | B_24H);
    wr(f, R_MON, 0x99);
    wr(f, R_MDAY, 0xff);
    wr(f, R_HOUR, 0x99);
    wr(f, REG_B, B_24H);
    step(SECOND);
    rd(f, R_SEC);
    rd(f, R_YEAR);
}

static void test_reset(Fixture *f, gconstpointer data)
{
    wr(f, REG_B, B_24H | B_PIE | B_AIE | B_UIE | 0x08);
    wr(f, 0x0f, 0x05);
    step(2 * SECOND);
    g_assert_cmpint(f->level, ==, 1);
    device_list_reset(f->m->devices, RESET_HARD);
    g_assert_cmpint(f->level, ==, 0);
    g_assert_cmphex(rd(f, REG_B), ==, B_24H);
    g_assert_cmphex(rd(f, REG_C), ==, 0x00);
    g_assert_cmphex(rd(f, 0x0f), ==, 0x00);
    /* ... except for an S3 resume request. */
    wr(f, 0x0f, 0xfe);
    device_list_reset(f->m->devices, RESET_HARD);
    g_assert_cmphex(rd(f, 0x0f), ==, 0xfe);
    g_assert_cmpint(clock_next_deadline(CLOCK_VIRTUAL), ==, -1);
}

/* ---- save / load ---- */

static Device *rtc_device(Fixture *f)
{
    return device_find(f->m->devices, "rtc");
}

static void test_save_load(Fixture *f, gconstpointer data)
{
    g_autoptr(GByteArray) stream = g_byte_array_new();
    g_autoptr(GError) err = NULL;
    uint8_t before[128];

    set_time(f, 2031, 3, 14, 15, 9, 26);
    wr(f, R_SEC_AL, 0x30);
    wr(f, R_MIN_AL, 0xc0);
    wr(f, R_HOUR_AL, 0xc0);
    wr(f, REG_B, B_24H | B_AIE);
    wr(f, 0x50, 0x42);
    outb(f, 0x72, 0x10);
    outb(f, 0x73, 0x24);
    step(2 * SECOND);
    outb(f, 0x70, 0x50);
    for (int i = 0; i < 128; i++) {
        before[i] = rtc_get_cmos(f->rtc, i);
    }
    device_save(rtc_device(f), stream);

    /* Scribble over it, then load. */
    set_time(f, 1999, 1, 1, 0, 0, 0);
    wr(f, 0x50, 0);
    wr(f, REG_B, B_24H);
    outb(f, 0x70, 0x01);
    device_list_reset(f->m->devices, RESET_HARD);

    g_assert_true(device_load(rtc_device(f), stream->data, stream->len, &err));
    g_assert_no_error(err);
    g_assert_cmphex(inb(f, 0x71), ==, 0x42);       /* index restored */
    for (int i = 0; i < 128; i++) {
        if (i != REG_C) {
            g_assert_cmphex(rtc_get_cmos(f->rtc, i), ==, before[i]);
        }
    }
    g_assert_cmphex(inb(f, 0x73), ==, 0x24);
    /* The clock runs on from the loaded time, and the alarm timer was rebuilt. */
    step(SECOND);
    g_assert_cmphex(rd(f, R_SEC), ==, 0x29);
    g_assert_cmpint(f->level, ==, 0);
    step(SECOND);
    g_assert_cmpint(f->level, ==, 1);
    g_assert_cmphex(rd(f, REG_C) & 0xa0, ==, 0xa0);
}

static void test_load_truncated(Fixture *f, gconstpointer data)
{
    g_autoptr(GByteArray) stream = g_byte_array_new();

    device_save(rtc_device(f), stream);
    for (guint len = 0; len < stream->len; len++) {
        g_autoptr(GError) err = NULL;

        g_assert_false(device_load(rtc_device(f), stream->data, len, &err));
        g_assert_nonnull(err);
    }
}

static void test_load_rejects_bad_state(Fixture *f, gconstpointer data)
{
    /* Payload layout: cmos[128], index, ext_cmos[128], ext_index, rtc_sec, last_update_ns, pf_checked_ns. */
    static const struct { size_t offset; uint8_t value; } bad[] = {
        { 128, 0x80 }, { 128, 0xff }, { 257, 0x90 }, { REG_C, 0x01 },
        { 258 + 7, 0x7f },          /* rtc_sec far out */
        { 266 + 7, 0x80 },          /* last_update_ns very negative */
        { 274 + 7, 0x7f },          /* pf_checked_ns far out */
    };
    const StateDescription *sd = rtc_device(f)->cls->state;

    for (size_t b = 0; b < G_N_ELEMENTS(bad); b++) {
        g_autoptr(GByteArray) stream = g_byte_array_new();
        g_autoptr(GByteArray) payload = g_byte_array_new();
        g_autoptr(GError) err = NULL;

        device_save(rtc_device(f), stream);
        state_save_fields(sd, f->rtc, payload);
        g_assert_cmpuint(payload->len, ==, 128 + 1 + 128 + 1 + 3 * 8);
        stream->data[stream->len - 1 - payload->len + bad[b].offset] = bad[b].value;
        g_assert_false(device_load(rtc_device(f), stream->data, stream->len, &err));
        g_assert_nonnull(err);
        g_test_message("offset %zu = 0x%02x refused: %s", bad[b].offset, bad[b].value, err->message);
        /* A refused load leaves the device to be reset; reset makes it sane again. */
        device_list_reset(f->m->devices, RESET_HARD);
        g_assert_cmphex(rd(f, 0x40), ==, 0x00);
        outb(f, 0x72, 0x01);
        g_assert_cmphex(inb(f, 0x73), ==, 0x00);
    }
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    clock_set_manual(true);

#define ADD(name, fn) g_test_add("/rtc/" name, Fixture, NULL, fixture_setup, fn, fixture_teardown)
    ADD("power-on", test_power_on);
    ADD("update-cycle", test_update_cycle);
    ADD("uip", test_uip);
    ADD("binary-and-12h", test_binary_and_12h);
    ADD("periodic", test_periodic);
    ADD("alarm", test_alarm);
    ADD("update-interrupt", test_update_interrupt);
    ADD("divider-reset", test_divider_reset);
    ADD("set-mode", test_set_mode);
    ADD("cmos-ram", test_cmos_ram);
    ADD("garbage", test_garbage);
    ADD("reset", test_reset);
    ADD("save-load", test_save_load);
    ADD("load-truncated", test_load_truncated);
    ADD("load-rejects-bad-state", test_load_rejects_bad_state);
#undef ADD
    return g_test_run();
}
