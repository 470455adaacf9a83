/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The i8259 pair over qtest: ISA IRQ lines are driven with set_irq_in on
 * the "pic" group and interrupts are taken with the OCW3 poll command
 * (the poll read is the INTA: it returns 0x80 | level and sets the ISR
 * bit).  Priority, EOI, rotation, masking, the cascade, level triggering
 * from the ELCR and the spurious case are checked, then real device
 * interrupts (PIT IRQ 0, RTC IRQ 8) when the clock can be stepped.
 *
 * Against QEMU (QTEST_QEMU_BINARY=qemu-system-x86_64) the lines are the
 * GPIO inputs of its two isa-i8259 devices instead; Debian's QEMU has no
 * qtest accelerator, so the clock-driven cases skip there.
 */
#include <glib.h>
#include <stdio.h>
#include <string.h>

#include "tests/libqtest.h"

#define MASTER_CMD  0x20
#define MASTER_DATA 0x21
#define SLAVE_CMD   0xa0
#define SLAVE_DATA  0xa1
#define ELCR1       0x4d0
#define ELCR2       0x4d1

#define OCW3_READ_IRR 0x0a
#define OCW3_READ_ISR 0x0b
#define OCW3_POLL     0x0c
#define OCW2_EOI      0x20
#define POLL_INT      0x80

/* QEMU 7.2 pc: the master and slave isa-i8259 in creation order. */
#define QEMU_MASTER_PATH "/machine/unattached/device[6]"
#define QEMU_SLAVE_PATH  "/machine/unattached/device[7]"

typedef struct Pic {
    QTestState *s;
    bool qemu_paths;    /* the binary is QEMU: per-chip GPIO paths */
} Pic;

static bool reply_ok(const char *reply)
{
    return strncmp(reply, "OK", 2) == 0;
}

static bool pic_start(Pic *p)
{
    if (!qtest_skip_without_binary()) {
        return false;
    }
    p->s = qtest_init(NULL);
    /* IRQ 11 has no device behind it on either machine: probing it disturbs nothing. */
    if (reply_ok(qtest_raw(p->s, "set_irq_in pic unnamed-gpio-in 11 0"))) {
        p->qemu_paths = false;
    } else {
        g_assert_true(reply_ok(qtest_raw(p->s, "set_irq_in " QEMU_SLAVE_PATH " unnamed-gpio-in 3 0")));
        p->qemu_paths = true;
    }
    return true;
}

static void pic_irq(Pic *p, int n, int level)
{
    if (!p->qemu_paths) {
        qtest_set_irq_in(p->s, "pic", "unnamed-gpio-in", n, level);
    } else {
        qtest_set_irq_in(p->s, n < 8 ? QEMU_MASTER_PATH : QEMU_SLAVE_PATH, "unnamed-gpio-in", n & 7, level);
    }
}

/* The BIOS setup: vectors 0x08 and 0x70, cascade on IR2, 8086 mode; everything unmasked but IRQ 0. */
static void pic_init(Pic *p, uint8_t master_icw4)
{
    qtest_outb(p->s, MASTER_CMD, 0x11);
    qtest_outb(p->s, MASTER_DATA, 0x08);
    qtest_outb(p->s, MASTER_DATA, 0x04);
    qtest_outb(p->s, MASTER_DATA, master_icw4);
    qtest_outb(p->s, SLAVE_CMD, 0x11);
    qtest_outb(p->s, SLAVE_DATA, 0x70);
    qtest_outb(p->s, SLAVE_DATA, 0x02);
    qtest_outb(p->s, SLAVE_DATA, 0x01);
    /* IRQ 0 is the PIT's; the tests that want it unmask it. */
    qtest_outb(p->s, MASTER_DATA, 0x01);
    qtest_outb(p->s, SLAVE_DATA, 0x00);
}

static uint8_t poll(Pic *p, uint16_t cmd)
{
    qtest_outb(p->s, cmd, OCW3_POLL);
    return qtest_inb(p->s, cmd);
}

static uint8_t read_isr(Pic *p, uint16_t cmd)
{
    qtest_outb(p->s, cmd, OCW3_READ_ISR);
    return qtest_inb(p->s, cmd);
}

static uint8_t read_irr(Pic *p, uint16_t cmd)
{
    qtest_outb(p->s, cmd, OCW3_READ_IRR);
    return qtest_inb(p->s, cmd);
}

/* Lower after raising: an edge input latches on the way up. */
static void pulse(Pic *p, int n)
{
    pic_irq(p, n, 1);
    pic_irq(p, n, 0);
}

static void test_priority_and_eoi(void)
{
    Pic p;

    if (!pic_start(&p)) {
        return;
    }
    pic_init(&p, 0x01);
    pulse(&p, 5);
    pulse(&p, 3);
    g_assert_cmphex(read_irr(&p, MASTER_CMD), ==, 0x28);
    /* Fully nested: IR3 first, and while it is in service IR5 waits. */
    g_assert_cmphex(poll(&p, MASTER_CMD), ==, POLL_INT | 3);
    g_assert_cmphex(read_isr(&p, MASTER_CMD), ==, 0x08);
    g_assert_cmphex(read_irr(&p, MASTER_CMD), ==, 0x20);
    g_assert_cmphex(poll(&p, MASTER_CMD) & POLL_INT, ==, 0);
    /* A higher priority request still gets through. */
    pulse(&p, 1);
    g_assert_cmphex(poll(&p, MASTER_CMD), ==, POLL_INT | 1);
    g_assert_cmphex(read_isr(&p, MASTER_CMD), ==, 0x0a);
    /* Non-specific EOI ends the highest in service (1); 3 still blocks 5. */
    qtest_outb(p.s, MASTER_CMD, OCW2_EOI);
    g_assert_cmphex(read_isr(&p, MASTER_CMD), ==, 0x08);
    g_assert_cmphex(poll(&p, MASTER_CMD) & POLL_INT, ==, 0);
    /* Specific EOI of 3. */
    qtest_outb(p.s, MASTER_CMD, 0x60 | 3);
    g_assert_cmphex(read_isr(&p, MASTER_CMD), ==, 0x00);
    g_assert_cmphex(poll(&p, MASTER_CMD), ==, POLL_INT | 5);
    qtest_outb(p.s, MASTER_CMD, OCW2_EOI);
    g_assert_cmphex(read_isr(&p, MASTER_CMD), ==, 0x00);
    g_assert_cmphex(read_irr(&p, MASTER_CMD), ==, 0x00);
    qtest_quit(p.s);
}

static void test_mask(void)
{
    Pic p;

    if (!pic_start(&p)) {
        return;
    }
    pic_init(&p, 0x01);
    qtest_outb(p.s, MASTER_DATA, 0x81);
    g_assert_cmphex(qtest_inb(p.s, MASTER_DATA), ==, 0x81);
    pulse(&p, 7);
    /* Masked: requested (IRR) but never delivered. */
    g_assert_cmphex(read_irr(&p, MASTER_CMD), ==, 0x80);
    g_assert_cmphex(poll(&p, MASTER_CMD) & POLL_INT, ==, 0);
    qtest_outb(p.s, MASTER_DATA, 0x01);
    g_assert_cmphex(poll(&p, MASTER_CMD), ==, POLL_INT | 7);
    qtest_outb(p.s, MASTER_CMD, OCW2_EOI);
    /* Masking the cascade input hides the whole slave. */
    qtest_outb(p.s, MASTER_DATA, 0x05);
    pulse(&p, 11);
    g_assert_cmphex(read_irr(&p, SLAVE_CMD), ==, 0x08);
    g_assert_cmphex(poll(&p, MASTER_CMD) & POLL_INT, ==, 0);
    qtest_outb(p.s, MASTER_DATA, 0x01);
    g_assert_cmphex(poll(&p, MASTER_CMD), ==, POLL_INT | 2);
    g_assert_cmphex(poll(&p, SLAVE_CMD), ==, POLL_INT | 3);
    qtest_quit(p.s);
}

static void test_cascade(void)
{
    Pic p;

    if (!pic_start(&p)) {
        return;
    }
    pic_init(&p, 0x01);
    pulse(&p, 10);
    pulse(&p, 3);
    /* IR2 (the slave) outranks IR3. */
    g_assert_cmphex(read_irr(&p, MASTER_CMD), ==, 0x0c);
    g_assert_cmphex(poll(&p, MASTER_CMD), ==, POLL_INT | 2);
    g_assert_cmphex(poll(&p, SLAVE_CMD), ==, POLL_INT | 2);
    g_assert_cmphex(read_isr(&p, MASTER_CMD), ==, 0x04);
    g_assert_cmphex(read_isr(&p, SLAVE_CMD), ==, 0x04);
    /* IR3 is below the cascade in service. */
    g_assert_cmphex(poll(&p, MASTER_CMD) & POLL_INT, ==, 0);
    qtest_outb(p.s, SLAVE_CMD, OCW2_EOI);
    qtest_outb(p.s, MASTER_CMD, OCW2_EOI);
    g_assert_cmphex(read_isr(&p, SLAVE_CMD), ==, 0x00);
    g_assert_cmphex(read_isr(&p, MASTER_CMD), ==, 0x00);
    g_assert_cmphex(poll(&p, MASTER_CMD), ==, POLL_INT | 3);
    qtest_outb(p.s, MASTER_CMD, OCW2_EOI);
    /* Two slave requests: the slave orders them (9 before 12). */
    pulse(&p, 12);
    pulse(&p, 9);
    g_assert_cmphex(poll(&p, MASTER_CMD), ==, POLL_INT | 2);
    g_assert_cmphex(poll(&p, SLAVE_CMD), ==, POLL_INT | 1);
    qtest_outb(p.s, SLAVE_CMD, OCW2_EOI);
    qtest_outb(p.s, MASTER_CMD, OCW2_EOI);
    g_assert_cmphex(poll(&p, MASTER_CMD), ==, POLL_INT | 2);
    g_assert_cmphex(poll(&p, SLAVE_CMD), ==, POLL_INT | 4);
    qtest_quit(p.s);
}

static void test_rotation(void)
{
    Pic p;

    if (!pic_start(&p)) {
        return;
    }
    pic_init(&p, 0x01);
    /* Rotate on non-specific EOI: the level served becomes the lowest. */
    pulse(&p, 3);
    g_assert_cmphex(poll(&p, MASTER_CMD), ==, POLL_INT | 3);
    qtest_outb(p.s, MASTER_CMD, 0xa0);
    pulse(&p, 3);
    pulse(&p, 7);
    g_assert_cmphex(poll(&p, MASTER_CMD), ==, POLL_INT | 7);
    qtest_outb(p.s, MASTER_CMD, OCW2_EOI);
    g_assert_cmphex(poll(&p, MASTER_CMD), ==, POLL_INT | 3);
    qtest_outb(p.s, MASTER_CMD, OCW2_EOI);
    /* Set priority: 4 lowest, so 5 highest: 5 beats 1. */
    qtest_outb(p.s, MASTER_CMD, 0xc0 | 4);
    pulse(&p, 1);
    pulse(&p, 5);
    g_assert_cmphex(poll(&p, MASTER_CMD), ==, POLL_INT | 5);
    /* Rotate on specific EOI of 5: 6 highest, then 7, 0, 1. */
    qtest_outb(p.s, MASTER_CMD, 0xe0 | 5);
    pulse(&p, 7);
    g_assert_cmphex(poll(&p, MASTER_CMD), ==, POLL_INT | 7);
    qtest_outb(p.s, MASTER_CMD, OCW2_EOI);
    g_assert_cmphex(poll(&p, MASTER_CMD), ==, POLL_INT | 1);
    qtest_outb(p.s, MASTER_CMD, OCW2_EOI);
    /* Back to IR0 highest. */
    qtest_outb(p.s, MASTER_CMD, 0xc0 | 7);
    pulse(&p, 6);
    pulse(&p, 4);
    g_assert_cmphex(poll(&p, MASTER_CMD), ==, POLL_INT | 4);
    qtest_quit(p.s);
}

static void test_auto_eoi(void)
{
    Pic p;

    if (!pic_start(&p)) {
        return;
    }
    pic_init(&p, 0x03);
    pulse(&p, 6);
    pulse(&p, 4);
    g_assert_cmphex(poll(&p, MASTER_CMD), ==, POLL_INT | 4);
    /* Nothing goes in service, so 6 is not blocked. */
    g_assert_cmphex(read_isr(&p, MASTER_CMD), ==, 0x00);
    g_assert_cmphex(poll(&p, MASTER_CMD), ==, POLL_INT | 6);
    qtest_quit(p.s);
}

static void test_spurious(void)
{
    Pic p;

    if (!pic_start(&p)) {
        return;
    }
    pic_init(&p, 0x01);
    /* Level triggered IRQ 5: its request is the line. */
    qtest_outb(p.s, ELCR1, 0x20);
    pic_irq(&p, 5, 1);
    g_assert_cmphex(read_irr(&p, MASTER_CMD), ==, 0x20);
    pic_irq(&p, 5, 0);
    g_assert_cmphex(read_irr(&p, MASTER_CMD), ==, 0x00);
    /* The request went away before the acknowledge: no interrupt, IR7 not in service. */
    g_assert_cmphex(poll(&p, MASTER_CMD) & POLL_INT, ==, 0);
    g_assert_cmphex(read_isr(&p, MASTER_CMD) & 0x80, ==, 0);
    g_assert_cmphex(read_isr(&p, MASTER_CMD), ==, 0x00);
    /* A level request held high is served and stays requested until the line drops. */
    pic_irq(&p, 5, 1);
    g_assert_cmphex(poll(&p, MASTER_CMD), ==, POLL_INT | 5);
    g_assert_cmphex(read_irr(&p, MASTER_CMD), ==, 0x20);
    pic_irq(&p, 5, 0);
    qtest_outb(p.s, MASTER_CMD, OCW2_EOI);
    g_assert_cmphex(poll(&p, MASTER_CMD) & POLL_INT, ==, 0);
    /* Edge triggered (the default): the latched request outlives the line. */
    pulse(&p, 3);
    g_assert_cmphex(poll(&p, MASTER_CMD), ==, POLL_INT | 3);
    qtest_quit(p.s);
}

static void test_elcr(void)
{
    Pic p;

    if (!pic_start(&p)) {
        return;
    }
    /* IRQ 0, 1, 2, 8 and 13 cannot be level triggered. */
    qtest_outb(p.s, ELCR1, 0xff);
    qtest_outb(p.s, ELCR2, 0xff);
    g_assert_cmphex(qtest_inb(p.s, ELCR1), ==, 0xf8);
    g_assert_cmphex(qtest_inb(p.s, ELCR2), ==, 0xde);
    qtest_outb(p.s, ELCR1, 0x00);
    qtest_outb(p.s, ELCR2, 0x00);
    g_assert_cmphex(qtest_inb(p.s, ELCR1), ==, 0x00);
    g_assert_cmphex(qtest_inb(p.s, ELCR2), ==, 0x00);
    qtest_quit(p.s);
}

static void test_intr_output(void)
{
    Pic p;

    if (!pic_start(&p)) {
        return;
    }
    qtest_irq_intercept_out(p.s, p.qemu_paths ? QEMU_MASTER_PATH : "pic");
    pic_init(&p, 0x01);
    g_assert_false(qtest_get_irq(p.s, 0));
    pulse(&p, 4);
    g_assert_true(qtest_get_irq(p.s, 0));
    g_assert_cmphex(poll(&p, MASTER_CMD), ==, POLL_INT | 4);
    g_assert_false(qtest_get_irq(p.s, 0));
    /* A slave request reaches INTR through the cascade. */
    pulse(&p, 14);
    g_assert_true(qtest_get_irq(p.s, 0));
    qtest_outb(p.s, MASTER_CMD, OCW2_EOI);
    g_assert_true(qtest_get_irq(p.s, 0));
    /*
     * Masking it on the slave leaves the master's latched cascade request:
     * INTR stays up and the acknowledge finds nothing on the slave, the
     * IRQ 15 spurious case.
     */
    qtest_outb(p.s, SLAVE_DATA, 0x40);
    g_assert_true(qtest_get_irq(p.s, 0));
    g_assert_cmphex(poll(&p, MASTER_CMD), ==, POLL_INT | 2);
    g_assert_false(qtest_get_irq(p.s, 0));
    g_assert_cmphex(poll(&p, SLAVE_CMD) & POLL_INT, ==, 0);
    g_assert_cmphex(read_isr(&p, SLAVE_CMD), ==, 0x00);
    qtest_outb(p.s, MASTER_CMD, OCW2_EOI);
    g_assert_false(qtest_get_irq(p.s, 0));
    qtest_quit(p.s);
}

/* Interrupts from real devices: PIT counter 0 on IRQ 0 and the RTC periodic interrupt on IRQ 8. */
static void test_device_irqs(void)
{
    Pic p;

    if (!pic_start(&p)) {
        return;
    }
    if (!reply_ok(qtest_raw(p.s, "clock_step 0"))) {
        g_test_skip("the emulator cannot step its clock (no qtest accelerator)");
        qtest_quit(p.s);
        return;
    }
    pic_init(&p, 0x01);
    qtest_outb(p.s, MASTER_DATA, 0x00);
    /* PIT: one-shot of 1000 clocks; RTC: 500 ms periodic interrupt. */
    qtest_outb(p.s, 0x43, 0x30);
    qtest_outb(p.s, 0x40, 1000 & 0xff);
    qtest_outb(p.s, 0x40, 1000 >> 8);
    qtest_outb(p.s, 0x70, 0x0a);
    qtest_outb(p.s, 0x71, 0x2f);
    qtest_outb(p.s, 0x70, 0x0b);
    qtest_outb(p.s, 0x71, 0x42);
    qtest_outb(p.s, 0x70, 0x0c);
    qtest_inb(p.s, 0x71);
    /* A clean IRR first: anything left from power-on is served. */
    while (poll(&p, MASTER_CMD) & POLL_INT) {
        qtest_outb(p.s, MASTER_CMD, OCW2_EOI);
    }
    qtest_clock_step(p.s, 2 * 1000 * 1000);     /* past the PIT's 838 us */
    g_assert_cmphex(read_irr(&p, MASTER_CMD) & 0x01, ==, 0x01);
    qtest_clock_step(p.s, 500 * 1000 * 1000);   /* a periodic RTC edge */
    g_assert_cmphex(read_irr(&p, SLAVE_CMD) & 0x01, ==, 0x01);
    g_assert_cmphex(read_irr(&p, MASTER_CMD) & 0x05, ==, 0x05);
    /* IRQ 0 outranks the cascade (IRQ 8). */
    g_assert_cmphex(poll(&p, MASTER_CMD), ==, POLL_INT | 0);
    qtest_outb(p.s, MASTER_CMD, OCW2_EOI);
    g_assert_cmphex(poll(&p, MASTER_CMD), ==, POLL_INT | 2);
    g_assert_cmphex(poll(&p, SLAVE_CMD), ==, POLL_INT | 0);
    /* Acknowledging the RTC (reading C) drops its line; with both EOIs, all quiet. */
    qtest_outb(p.s, 0x70, 0x0c);
    g_assert_cmphex(qtest_inb(p.s, 0x71) & 0xc0, ==, 0xc0);
    qtest_outb(p.s, SLAVE_CMD, OCW2_EOI);
    qtest_outb(p.s, MASTER_CMD, OCW2_EOI);
    g_assert_cmphex(poll(&p, MASTER_CMD) & POLL_INT, ==, 0);
    qtest_quit(p.s);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/i8259/priority-and-eoi", test_priority_and_eoi);
    g_test_add_func("/i8259/mask", test_mask);
    g_test_add_func("/i8259/cascade", test_cascade);
    g_test_add_func("/i8259/rotation", test_rotation);
    g_test_add_func("/i8259/auto-eoi", test_auto_eoi);
    g_test_add_func("/i8259/spurious", test_spurious);
    g_test_add_func("/i8259/elcr", test_elcr);
    g_test_add_func("/i8259/intr-output", test_intr_output);
    g_test_add_func("/i8259/device-irqs", test_device_irqs);
    return g_test_run();
}
