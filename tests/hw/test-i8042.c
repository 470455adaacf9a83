/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The pc board's keyboard controller over qtest: status and command byte
 * after reset, controller self/interface tests, the PS/2 keyboard and
 * mouse answering through ports 0x60/0x64, IRQ 1 and IRQ 12 at the
 * IOAPIC, the 0xd2/0xd3 loopback commands, and the 0xfe reset pulse.
 * Only behaviour QEMU's i8042 shares is asserted, so
 * QTEST_QEMU_BINARY=qemu-system-x86_64 passes too.
 */
#include <glib.h>

#include "tests/libqtest.h"

#define DATA        0x60
#define STATUS      0x64
#define KBD_IRQ     1
#define AUX_IRQ     12

#define STR_OBF     0x01
#define STR_SYS     0x04
#define STR_CMD     0x08
#define STR_UNLOCK  0x10
#define STR_AUX_OBF 0x20

static QTestState *start(void)
{
    QTestState *s = qtest_init("-nodefaults");

    qtest_irq_intercept_in(s, "ioapic");
    return s;
}

static uint8_t read_byte(QTestState *s, bool aux)
{
    uint8_t st = qtest_inb(s, STATUS);

    g_assert_cmphex(st & STR_OBF, ==, STR_OBF);
    g_assert_cmphex(st & STR_AUX_OBF, ==, aux ? STR_AUX_OBF : 0);
    return qtest_inb(s, DATA);
}

static void expect_empty(QTestState *s)
{
    g_assert_cmphex(qtest_inb(s, STATUS) & STR_OBF, ==, 0);
}

static void write_ctr(QTestState *s, uint8_t v)
{
    qtest_outb(s, STATUS, 0x60);
    qtest_outb(s, DATA, v);
}

static uint8_t read_ctr(QTestState *s)
{
    qtest_outb(s, STATUS, 0x20);
    return read_byte(s, false);
}

static void test_reset_state(void)
{
    QTestState *s;

    if (!qtest_skip_without_binary()) {
        return;
    }
    s = start();
    g_assert_cmphex(qtest_inb(s, STATUS), ==, STR_CMD | STR_UNLOCK);
    g_assert_false(qtest_get_irq(s, KBD_IRQ));
    g_assert_false(qtest_get_irq(s, AUX_IRQ));
    /* Keyboard and mouse interrupts enabled, nothing else. */
    g_assert_cmphex(read_ctr(s), ==, 0x03);
    expect_empty(s);
    qtest_quit(s);
}

static void test_controller_commands(void)
{
    QTestState *s;

    if (!qtest_skip_without_binary()) {
        return;
    }
    s = start();
    qtest_outb(s, STATUS, 0xaa);                /* self test */
    g_assert_true(qtest_get_irq(s, KBD_IRQ));
    g_assert_cmphex(qtest_inb(s, STATUS) & STR_SYS, ==, STR_SYS);
    g_assert_cmphex(read_byte(s, false), ==, 0x55);
    g_assert_false(qtest_get_irq(s, KBD_IRQ));
    qtest_outb(s, STATUS, 0xab);                /* keyboard interface test */
    g_assert_cmphex(read_byte(s, false), ==, 0x00);
    qtest_outb(s, STATUS, 0xa9);                /* mouse interface test */
    g_assert_cmphex(read_byte(s, false), ==, 0x00);
    expect_empty(s);

    /* Command byte round trip (QEMU keeps status bit 3 set; the unit test checks the datasheet's toggle). */
    write_ctr(s, 0x47);
    g_assert_cmphex(read_ctr(s), ==, 0x47);

    /* Interrupt enable bit 0 off: the reply waits without IRQ 1. */
    write_ctr(s, 0x00);
    qtest_outb(s, STATUS, 0xab);
    g_assert_cmphex(qtest_inb(s, STATUS) & STR_OBF, ==, STR_OBF);
    g_assert_false(qtest_get_irq(s, KBD_IRQ));
    qtest_inb(s, DATA);
    qtest_quit(s);
}

static void test_loopback_commands(void)
{
    QTestState *s;

    if (!qtest_skip_without_binary()) {
        return;
    }
    s = start();
    /* 0xd2: as if from the keyboard (IRQ 1). */
    qtest_outb(s, STATUS, 0xd2);
    qtest_outb(s, DATA, 0x5a);
    g_assert_true(qtest_get_irq(s, KBD_IRQ));
    g_assert_false(qtest_get_irq(s, AUX_IRQ));
    g_assert_cmphex(read_byte(s, false), ==, 0x5a);
    g_assert_false(qtest_get_irq(s, KBD_IRQ));
    /* 0xd3: as if from the mouse (AUX_OBF, IRQ 12). */
    qtest_outb(s, STATUS, 0xd3);
    qtest_outb(s, DATA, 0xa5);
    g_assert_true(qtest_get_irq(s, AUX_IRQ));
    g_assert_false(qtest_get_irq(s, KBD_IRQ));
    g_assert_cmphex(read_byte(s, true), ==, 0xa5);
    g_assert_false(qtest_get_irq(s, AUX_IRQ));
    expect_empty(s);
    qtest_quit(s);
}

static void test_keyboard(void)
{
    QTestState *s;

    if (!qtest_skip_without_binary()) {
        return;
    }
    s = start();
    qtest_outb(s, DATA, 0xff);                  /* reset */
    g_assert_true(qtest_get_irq(s, KBD_IRQ));
    g_assert_cmphex(read_byte(s, false), ==, 0xfa);
    g_assert_true(qtest_get_irq(s, KBD_IRQ));   /* the next byte is there at once */
    g_assert_cmphex(read_byte(s, false), ==, 0xaa);
    g_assert_false(qtest_get_irq(s, KBD_IRQ));
    expect_empty(s);

    qtest_outb(s, DATA, 0xf2);                  /* identify: MF2, untranslated */
    g_assert_cmphex(read_byte(s, false), ==, 0xfa);
    g_assert_cmphex(read_byte(s, false), ==, 0xab);
    g_assert_cmphex(read_byte(s, false), ==, 0x83);
    qtest_outb(s, DATA, 0xed);                  /* LEDs */
    g_assert_cmphex(read_byte(s, false), ==, 0xfa);
    qtest_outb(s, DATA, 0x02);
    g_assert_cmphex(read_byte(s, false), ==, 0xfa);
    qtest_outb(s, DATA, 0xee);                  /* echo */
    g_assert_cmphex(read_byte(s, false), ==, 0xee);
    qtest_outb(s, DATA, 0xf4);                  /* enable scanning */
    g_assert_cmphex(read_byte(s, false), ==, 0xfa);
    expect_empty(s);
    qtest_quit(s);
}

static void test_mouse(void)
{
    QTestState *s;

    if (!qtest_skip_without_binary()) {
        return;
    }
    s = start();
    qtest_outb(s, STATUS, 0xd4);
    qtest_outb(s, DATA, 0xff);                  /* reset: ACK, BAT passed, ID 0 */
    g_assert_true(qtest_get_irq(s, AUX_IRQ));
    g_assert_false(qtest_get_irq(s, KBD_IRQ));
    g_assert_cmphex(read_byte(s, true), ==, 0xfa);
    g_assert_cmphex(read_byte(s, true), ==, 0xaa);
    g_assert_cmphex(read_byte(s, true), ==, 0x00);
    g_assert_false(qtest_get_irq(s, AUX_IRQ));

    /* IntelliMouse knock (200, 100, 80), then the ID reads 3. */
    static const uint8_t rates[] = { 200, 100, 80 };
    for (unsigned i = 0; i < G_N_ELEMENTS(rates); i++) {
        qtest_outb(s, STATUS, 0xd4);
        qtest_outb(s, DATA, 0xf3);
        g_assert_cmphex(read_byte(s, true), ==, 0xfa);
        qtest_outb(s, STATUS, 0xd4);
        qtest_outb(s, DATA, rates[i]);
        g_assert_cmphex(read_byte(s, true), ==, 0xfa);
    }
    qtest_outb(s, STATUS, 0xd4);
    qtest_outb(s, DATA, 0xf2);
    g_assert_cmphex(read_byte(s, true), ==, 0xfa);
    g_assert_cmphex(read_byte(s, true), ==, 0x03);

    /* Mouse interrupt disabled in the command byte: the data waits, no IRQ 12. */
    write_ctr(s, 0x01);
    qtest_outb(s, STATUS, 0xd4);
    qtest_outb(s, DATA, 0xf4);
    g_assert_false(qtest_get_irq(s, AUX_IRQ));
    g_assert_cmphex(read_byte(s, true), ==, 0xfa);
    expect_empty(s);
    qtest_quit(s);
}

static void test_reset_pulse(void)
{
    QTestState *s;

    if (!qtest_skip_without_binary()) {
        return;
    }
    s = start();
    write_ctr(s, 0x61);
    g_assert_cmphex(read_ctr(s), ==, 0x61);
    /* Pulse output port bit 0: the machine resets, and the controller with it. */
    qtest_outb(s, STATUS, 0xfe);
    g_assert_cmphex(qtest_inb(s, STATUS), ==, STR_CMD | STR_UNLOCK);
    g_assert_cmphex(read_ctr(s), ==, 0x03);
    qtest_quit(s);
}

static void test_command_flood(void)
{
    QTestState *s;

    if (!qtest_skip_without_binary()) {
        return;
    }
    s = start();
    /* Keyboard commands nobody collects: the emulator keeps answering. */
    for (int i = 0; i < 300; i++) {
        qtest_outb(s, DATA, 0xf2);
    }
    for (int i = 0; i < 2000 && (qtest_inb(s, STATUS) & STR_OBF); i++) {
        qtest_inb(s, DATA);
    }
    expect_empty(s);
    qtest_outb(s, DATA, 0xee);
    g_assert_cmphex(read_byte(s, false), ==, 0xee);
    qtest_quit(s);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/i8042/reset-state", test_reset_state);
    g_test_add_func("/i8042/controller-commands", test_controller_commands);
    g_test_add_func("/i8042/loopback", test_loopback_commands);
    g_test_add_func("/i8042/keyboard", test_keyboard);
    g_test_add_func("/i8042/mouse", test_mouse);
    g_test_add_func("/i8042/reset-pulse", test_reset_pulse);
    g_test_add_func("/i8042/command-flood", test_command_flood);
    return g_test_run();
}
