/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * i8042 keyboard controller with its PS/2 keyboard and mouse on a bare
 * Machine, driven through ports 0x60/0x64 as firmware and Linux drive
 * them: controller commands and the command byte, self and interface
 * tests, the output port (A20, reset), keyboard and mouse commands and
 * their replies, scan code translation, input injection, IRQ 1/12
 * behaviour, priority between the three sources, floods and garbage,
 * reset, and save/load.
 */
#include <string.h>

#include <glib.h>

#include "hw/core/machine.h"
#include "hw/input/i8042.h"
#include "hw/input/ps2.h"

typedef struct Fixture {
    Machine *m;
    I8042State *kbc;
    IrqLine *irq1, *irq12, *a20;
    int level1, level12, a20_level;
    unsigned rises1, rises12;
    unsigned resets;
} Fixture;

static void on_irq(void *opaque, int n, int level)
{
    Fixture *f = opaque;

    if (n == 1) {
        f->rises1 += level && !f->level1;
        f->level1 = level;
    } else if (n == 12) {
        f->rises12 += level && !f->level12;
        f->level12 = level;
    } else {
        f->a20_level = level;
    }
}

static void on_request(Machine *m, ShutdownCause cause, int code)
{
    Fixture *f = m->board;

    g_assert_cmpint(cause, ==, SHUTDOWN_CAUSE_GUEST_RESET);
    f->resets++;
}

static void fixture_init(Fixture *f)
{
    memset(f, 0, sizeof(*f));
    f->m = machine_new(1ull << 32);
    f->m->board = f;
    f->m->hooks.request = on_request;
    f->irq1 = irq_new(on_irq, f, 1);
    f->irq12 = irq_new(on_irq, f, 12);
    f->a20 = irq_new(on_irq, f, 20);
    f->kbc = i8042_create(f->m, f->irq1, f->irq12, f->a20);
    device_list_reset(f->m->devices, RESET_POWER_ON);
}

static void fixture_setup(Fixture *f, gconstpointer data)
{
    fixture_init(f);
}

static void fixture_teardown(Fixture *f, gconstpointer data)
{
    machine_free(f->m);
    irq_free(f->irq1);
    irq_free(f->irq12);
    irq_free(f->a20);
}

static uint8_t status(Fixture *f)
{
    uint64_t v = 0;
    g_assert_true(as_read(f->m->io, I8042_CMD_PORT, 1, &v));
    return (uint8_t)v;
}

static uint8_t data(Fixture *f)
{
    uint64_t v = 0;
    g_assert_true(as_read(f->m->io, I8042_DATA_PORT, 1, &v));
    return (uint8_t)v;
}

static void cmd(Fixture *f, uint8_t c)
{
    g_assert_true(as_write(f->m->io, I8042_CMD_PORT, 1, c));
}

static void out(Fixture *f, uint8_t v)
{
    g_assert_true(as_write(f->m->io, I8042_DATA_PORT, 1, v));
}

/* Read one byte the way a driver does: wait for OBF (it is immediate here), then read. */
static uint8_t expect_byte(Fixture *f, bool aux)
{
    uint8_t st = status(f);

    g_assert_true(st & I8042_STR_OBF);
    g_assert_cmpint(!!(st & I8042_STR_AUX_OBF), ==, aux);
    return data(f);
}

static void expect_empty(Fixture *f)
{
    g_assert_false(status(f) & I8042_STR_OBF);
}

static void flush(Fixture *f)
{
    for (int i = 0; i < 1024 && (status(f) & I8042_STR_OBF); i++) {
        data(f);
    }
    expect_empty(f);
}

static void write_ctr(Fixture *f, uint8_t v)
{
    cmd(f, I8042_CMD_WRITE_RAM);
    out(f, v);
}

static uint8_t read_ctr(Fixture *f)
{
    cmd(f, I8042_CMD_READ_RAM);
    return expect_byte(f, false);
}

/* ---- controller ---- */

static void test_power_on(Fixture *f, gconstpointer d)
{
    g_assert_cmphex(status(f), ==, I8042_STR_CMD | I8042_STR_UNLOCKED);
    g_assert_cmpint(f->level1, ==, 0);
    g_assert_cmpint(f->level12, ==, 0);
    g_assert_cmpint(f->a20_level, ==, 1);
    g_assert_cmphex(read_ctr(f), ==, I8042_CTR_KBD_INT | I8042_CTR_AUX_INT);
    expect_empty(f);
    /* The controller's RAM beyond the command byte reads back. */
    cmd(f, I8042_CMD_WRITE_RAM + 5);
    out(f, 0xa5);
    cmd(f, I8042_CMD_READ_RAM + 5);
    g_assert_cmphex(expect_byte(f, false), ==, 0xa5);
}

static void test_self_and_interface_tests(Fixture *f, gconstpointer d)
{
    cmd(f, I8042_CMD_SELF_TEST);
    g_assert_true(status(f) & I8042_STR_SYS);
    g_assert_cmphex(expect_byte(f, false), ==, I8042_SELF_TEST_OK);
    cmd(f, I8042_CMD_KBD_TEST);
    g_assert_cmphex(expect_byte(f, false), ==, 0x00);
    cmd(f, I8042_CMD_AUX_TEST);
    g_assert_cmphex(expect_byte(f, false), ==, 0x00);
    cmd(f, I8042_CMD_PWD_CHECK);
    g_assert_cmphex(expect_byte(f, false), ==, I8042_NO_PASSWORD);
    cmd(f, I8042_CMD_READ_INPUT);
    g_assert_cmphex(expect_byte(f, false), ==, 0x80);
    cmd(f, I8042_CMD_READ_TEST);
    g_assert_cmphex(expect_byte(f, false), ==, 0x00);
    expect_empty(f);
    /* Reading with nothing new returns the last byte again. */
    g_assert_cmphex(data(f), ==, 0x00);
}

static void test_command_byte(Fixture *f, gconstpointer d)
{
    g_assert_true(status(f) & I8042_STR_CMD);
    write_ctr(f, I8042_CTR_SYS | I8042_CTR_XLATE | I8042_CTR_KBD_INT);
    g_assert_false(status(f) & I8042_STR_CMD);      /* last write went to the data port */
    g_assert_true(status(f) & I8042_STR_SYS);
    g_assert_cmphex(read_ctr(f), ==, I8042_CTR_SYS | I8042_CTR_XLATE | I8042_CTR_KBD_INT);
    write_ctr(f, 0);
    g_assert_false(status(f) & I8042_STR_SYS);
    /* Enable/disable commands edit the command byte. */
    cmd(f, I8042_CMD_KBD_DISABLE);
    cmd(f, I8042_CMD_AUX_DISABLE);
    g_assert_cmphex(read_ctr(f), ==, I8042_CTR_KBD_DIS | I8042_CTR_AUX_DIS);
    cmd(f, I8042_CMD_KBD_ENABLE);
    cmd(f, I8042_CMD_AUX_ENABLE);
    g_assert_cmphex(read_ctr(f), ==, 0);
}

static void test_irq_lines(Fixture *f, gconstpointer d)
{
    cmd(f, I8042_CMD_SELF_TEST);
    g_assert_cmpint(f->level1, ==, 1);
    g_assert_cmpint(f->level12, ==, 0);
    data(f);
    g_assert_cmpint(f->level1, ==, 0);
    /* KBD_INT off: the byte waits without an interrupt. */
    write_ctr(f, I8042_CTR_AUX_INT);
    cmd(f, I8042_CMD_KBD_TEST);
    g_assert_true(status(f) & I8042_STR_OBF);
    g_assert_cmpint(f->level1, ==, 0);
    /* Turning it on with the byte waiting raises the line. */
    write_ctr(f, I8042_CTR_AUX_INT | I8042_CTR_KBD_INT);
    /* (the write itself went through: the test result is still waiting) */
    g_assert_cmpint(f->level1, ==, 1);
    g_assert_cmphex(data(f), ==, 0x00);
    /* 0xd3: a byte as if from the mouse raises IRQ 12 with AUX_OBF. */
    cmd(f, I8042_CMD_WRITE_AUX_OBUF);
    out(f, 0x5a);
    g_assert_cmpint(f->level12, ==, 1);
    g_assert_cmpint(f->level1, ==, 0);
    g_assert_cmphex(expect_byte(f, true), ==, 0x5a);
    g_assert_cmpint(f->level12, ==, 0);
    /* 0xd2: as if from the keyboard. */
    cmd(f, I8042_CMD_WRITE_KBD_OBUF);
    out(f, 0x1c);
    g_assert_cmpint(f->level1, ==, 1);
    g_assert_cmphex(expect_byte(f, false), ==, 0x1c);
}

static void test_output_port_a20(Fixture *f, gconstpointer d)
{
    cmd(f, I8042_CMD_READ_OUTPUT);
    /* The reply itself is in the output buffer, but the port was sampled before it. */
    g_assert_cmphex(expect_byte(f, false), ==, I8042_OUT_DEFAULT);
    cmd(f, I8042_CMD_DISABLE_A20);
    g_assert_cmpint(f->a20_level, ==, 0);
    g_assert_false(i8042_a20_enabled(f->kbc));
    cmd(f, I8042_CMD_ENABLE_A20);
    g_assert_cmpint(f->a20_level, ==, 1);
    /* 0xd1 with the reset line kept high. */
    cmd(f, I8042_CMD_WRITE_OUTPUT);
    out(f, 0xdd);
    g_assert_cmpint(f->a20_level, ==, 0);
    g_assert_cmpuint(f->resets, ==, 0);
    cmd(f, I8042_CMD_WRITE_OUTPUT);
    out(f, 0xdf);
    g_assert_cmpint(f->a20_level, ==, 1);
    /* The OBF bits of the output port show who owns the output buffer. */
    cmd(f, I8042_CMD_WRITE_AUX_OBUF);
    out(f, 0x01);
    cmd(f, I8042_CMD_READ_OUTPUT);
    g_assert_cmphex(expect_byte(f, true), ==, 0x01);
    /* Bits 4 and 5 follow the buffer, not what was written. */
    g_assert_cmphex(expect_byte(f, false), ==, (0xdf & ~0x30) | I8042_OUT_AUX_OBF);
}

static void test_reset_pulse(Fixture *f, gconstpointer d)
{
    cmd(f, I8042_CMD_RESET);
    g_assert_cmpuint(f->resets, ==, 1);
    /* Any pulse command with bit 0 clear pulses the reset line. */
    cmd(f, 0xf0);
    cmd(f, 0xfc);
    g_assert_cmpuint(f->resets, ==, 3);
    cmd(f, 0xff);
    cmd(f, 0xfd);
    g_assert_cmpuint(f->resets, ==, 3);
    /* Writing the output port with bit 0 clear holds the CPU in reset. */
    cmd(f, I8042_CMD_WRITE_OUTPUT);
    out(f, 0xfe);
    g_assert_cmpuint(f->resets, ==, 4);
}

/* ---- keyboard ---- */

static void kbd_send(Fixture *f, uint8_t b)
{
    out(f, b);
}

static void test_kbd_reset_identify(Fixture *f, gconstpointer d)
{
    unsigned rises = f->rises1;

    kbd_send(f, PS2_KBD_CMD_RESET);
    g_assert_cmphex(expect_byte(f, false), ==, PS2_REPLY_ACK);
    g_assert_cmphex(expect_byte(f, false), ==, PS2_REPLY_BAT_OK);
    expect_empty(f);
    /* Each byte came with its own rising edge on IRQ 1. */
    g_assert_cmpuint(f->rises1 - rises, ==, 2);
    g_assert_cmpint(f->level1, ==, 0);

    /* Identify, untranslated: MF2 keyboard 0xab 0x83. */
    kbd_send(f, PS2_KBD_CMD_IDENTIFY);
    g_assert_cmphex(expect_byte(f, false), ==, PS2_REPLY_ACK);
    g_assert_cmphex(expect_byte(f, false), ==, 0xab);
    g_assert_cmphex(expect_byte(f, false), ==, 0x83);
    /* Translated (what Linux sees behind SeaBIOS's command byte): 0xab 0x41. */
    write_ctr(f, I8042_CTR_KBD_INT | I8042_CTR_XLATE);
    kbd_send(f, PS2_KBD_CMD_IDENTIFY);
    g_assert_cmphex(expect_byte(f, false), ==, PS2_REPLY_ACK);
    g_assert_cmphex(expect_byte(f, false), ==, 0xab);
    g_assert_cmphex(expect_byte(f, false), ==, 0x41);
    kbd_send(f, PS2_KBD_CMD_ECHO);
    g_assert_cmphex(expect_byte(f, false), ==, PS2_REPLY_ECHO);
    /* Unknown commands are answered with resend. */
    kbd_send(f, 0x05);
    g_assert_cmphex(expect_byte(f, false), ==, PS2_REPLY_RESEND);
    /* Resend repeats the last byte. */
    kbd_send(f, PS2_KBD_CMD_RESEND);
    g_assert_cmphex(expect_byte(f, false), ==, PS2_REPLY_RESEND);
}

static void test_kbd_leds_and_params(Fixture *f, gconstpointer d)
{
    PS2Kbd *k = i8042_kbd(f->kbc);

    kbd_send(f, PS2_KBD_CMD_SET_LEDS);
    g_assert_cmphex(expect_byte(f, false), ==, PS2_REPLY_ACK);
    kbd_send(f, 0x07);
    g_assert_cmphex(expect_byte(f, false), ==, PS2_REPLY_ACK);
    g_assert_cmphex(ps2_kbd_leds(k), ==, 0x07);
    kbd_send(f, PS2_KBD_CMD_SET_LEDS);
    data(f);
    kbd_send(f, 0x7a);                          /* undefined LED bits are dropped */
    data(f);
    g_assert_cmphex(ps2_kbd_leds(k), ==, PS2_LED_NUM_LOCK);
    /* A command instead of the parameter abandons the first one. */
    kbd_send(f, PS2_KBD_CMD_SET_LEDS);
    data(f);
    kbd_send(f, PS2_KBD_CMD_ECHO);
    g_assert_cmphex(expect_byte(f, false), ==, PS2_REPLY_ECHO);
    g_assert_cmphex(ps2_kbd_leds(k), ==, PS2_LED_NUM_LOCK);
    /* Typematic rate: ACK, parameter, ACK. */
    kbd_send(f, PS2_KBD_CMD_TYPEMATIC);
    g_assert_cmphex(expect_byte(f, false), ==, PS2_REPLY_ACK);
    kbd_send(f, 0x20);
    g_assert_cmphex(expect_byte(f, false), ==, PS2_REPLY_ACK);
    /* Scan code sets: query, set 1, bad value. */
    kbd_send(f, PS2_KBD_CMD_SCANCODE);
    data(f);
    kbd_send(f, 0);
    g_assert_cmphex(expect_byte(f, false), ==, PS2_REPLY_ACK);
    g_assert_cmphex(expect_byte(f, false), ==, 2);
    write_ctr(f, I8042_CTR_KBD_INT | I8042_CTR_XLATE);
    kbd_send(f, PS2_KBD_CMD_SCANCODE);
    data(f);
    kbd_send(f, 0);
    data(f);
    g_assert_cmphex(expect_byte(f, false), ==, 0x41);   /* the set number, translated as SeaBIOS/QEMU see it */
    kbd_send(f, PS2_KBD_CMD_SCANCODE);
    data(f);
    kbd_send(f, 1);
    g_assert_cmphex(expect_byte(f, false), ==, PS2_REPLY_ACK);
    g_assert_cmpuint(ps2_kbd_scancode_set(k), ==, 1);
    kbd_send(f, PS2_KBD_CMD_SCANCODE);
    data(f);
    kbd_send(f, 9);
    g_assert_cmphex(expect_byte(f, false), ==, PS2_REPLY_RESEND);
    g_assert_cmpuint(ps2_kbd_scancode_set(k), ==, 1);
    /* Reset restores set 2 and turns the LEDs off. */
    kbd_send(f, PS2_KBD_CMD_RESET);
    flush(f);
    g_assert_cmpuint(ps2_kbd_scancode_set(k), ==, 2);
    g_assert_cmphex(ps2_kbd_leds(k), ==, 0);
}

static void test_kbd_keys(Fixture *f, gconstpointer d)
{
    PS2Kbd *k = i8042_kbd(f->kbc);

    /* Raw set 2. */
    ps2_kbd_put_keycode(k, 0x1e, true);     /* A */
    g_assert_cmphex(expect_byte(f, false), ==, 0x1c);
    ps2_kbd_put_keycode(k, 0x1e, false);
    g_assert_cmphex(expect_byte(f, false), ==, 0xf0);
    g_assert_cmphex(expect_byte(f, false), ==, 0x1c);
    ps2_kbd_put_keycode(k, 0xe048, false);  /* cursor up, released */
    g_assert_cmphex(expect_byte(f, false), ==, 0xe0);
    g_assert_cmphex(expect_byte(f, false), ==, 0xf0);
    g_assert_cmphex(expect_byte(f, false), ==, 0x75);
    ps2_kbd_put_keycode(k, 0x41, true);     /* F7: set 2 code above 0x7f */
    g_assert_cmphex(expect_byte(f, false), ==, 0x83);

    /* Translated to set 1 by the controller. */
    write_ctr(f, I8042_CTR_KBD_INT | I8042_CTR_XLATE);
    ps2_kbd_put_keycode(k, 0x1e, true);
    g_assert_cmphex(expect_byte(f, false), ==, 0x1e);
    ps2_kbd_put_keycode(k, 0x1e, false);
    g_assert_cmphex(expect_byte(f, false), ==, 0x9e);
    expect_empty(f);
    ps2_kbd_put_keycode(k, 0xe048, true);
    g_assert_cmphex(expect_byte(f, false), ==, 0xe0);
    g_assert_cmphex(expect_byte(f, false), ==, 0x48);
    ps2_kbd_put_keycode(k, 0xe048, false);
    g_assert_cmphex(expect_byte(f, false), ==, 0xe0);
    g_assert_cmphex(expect_byte(f, false), ==, 0xc8);
    ps2_kbd_put_keycode(k, 0x41, false);
    g_assert_cmphex(expect_byte(f, false), ==, 0xc1);

    /* Scan code set 1 from the keyboard itself (untranslated). */
    write_ctr(f, I8042_CTR_KBD_INT);
    kbd_send(f, PS2_KBD_CMD_SCANCODE);
    data(f);
    kbd_send(f, 1);
    data(f);
    ps2_kbd_put_keycode(k, 0x1c, false);    /* Enter released */
    g_assert_cmphex(expect_byte(f, false), ==, 0x9c);

    /* Scanning disabled: keys vanish; bad key codes are refused. */
    kbd_send(f, PS2_KBD_CMD_DISABLE);
    data(f);
    ps2_kbd_put_keycode(k, 0x1e, true);
    ps2_kbd_put_keycode(k, 0x1e0001, true);
    ps2_kbd_put_keycode(k, 0x80, true);
    ps2_kbd_put_keycode(k, 0, true);
    expect_empty(f);
    kbd_send(f, PS2_KBD_CMD_ENABLE);
    data(f);
    ps2_kbd_put_keycode(k, 0xe11d, true);   /* not an E0 key */
    ps2_kbd_put_keycode(k, 0x0180, true);
    expect_empty(f);
}

static void test_translation_table(Fixture *f, gconstpointer d)
{
    /* Every PC/XT make code has a set 2 code, and the controller's table takes it back. */
    for (unsigned c = 1; c < 0x80; c++) {
        uint8_t s2 = ps2_set1_to_set2((uint8_t)c);
        g_assert_cmpuint(s2, !=, 0);
        g_assert_cmphex(ps2_translate_set2_to_set1(s2), ==, c);
    }
    /* Known codes (IBM reference): Esc, A, Enter, space, F7, SysRq. */
    g_assert_cmphex(ps2_set1_to_set2(0x01), ==, 0x76);
    g_assert_cmphex(ps2_set1_to_set2(0x1e), ==, 0x1c);
    g_assert_cmphex(ps2_set1_to_set2(0x1c), ==, 0x5a);
    g_assert_cmphex(ps2_set1_to_set2(0x39), ==, 0x29);
    g_assert_cmphex(ps2_set1_to_set2(0x41), ==, 0x83);
    g_assert_cmphex(ps2_set1_to_set2(0x54), ==, 0x84);
    /* Replies pass through translation unchanged. */
    g_assert_cmphex(ps2_translate_set2_to_set1(0xfa), ==, 0xfa);
    g_assert_cmphex(ps2_translate_set2_to_set1(0xaa), ==, 0xaa);
    g_assert_cmphex(ps2_translate_set2_to_set1(0xe0), ==, 0xe0);
    g_assert_cmphex(ps2_translate_set2_to_set1(0x00), ==, 0xff);
    g_assert_cmpuint(ps2_set1_to_set2(0), ==, 0);
    g_assert_cmpuint(ps2_set1_to_set2(0x80), ==, 0);
}

static void test_kbd_disable_holds_bytes(Fixture *f, gconstpointer d)
{
    PS2Kbd *k = i8042_kbd(f->kbc);

    cmd(f, I8042_CMD_KBD_DISABLE);
    ps2_kbd_put_keycode(k, 0x10, true);
    expect_empty(f);
    g_assert_cmpint(f->level1, ==, 0);
    /* Controller replies still get through while the keyboard waits. */
    cmd(f, I8042_CMD_SELF_TEST);
    g_assert_cmphex(expect_byte(f, false), ==, 0x55);
    expect_empty(f);
    cmd(f, I8042_CMD_KBD_ENABLE);
    g_assert_cmpint(f->level1, ==, 1);
    g_assert_cmphex(expect_byte(f, false), ==, 0x15);
    expect_empty(f);
}

static void test_kbd_queue_bound(Fixture *f, gconstpointer d)
{
    PS2Kbd *k = i8042_kbd(f->kbc);
    unsigned n = 0;

    /* A host that types faster than the guest reads: the keyboard keeps 16 bytes, then drops whole keys. */
    for (int i = 0; i < 200; i++) {
        ps2_kbd_put_keycode(k, 0xe048, i & 1);
    }
    while (status(f) & I8042_STR_OBF) {
        data(f);
        n++;
        g_assert_cmpuint(n, <=, 32);
    }
    /* One byte went straight into the output buffer; the rest filled the queue in whole keys (2 or 3 bytes). */
    g_assert_cmpuint(n, >=, 1 + 14);
    g_assert_cmpuint(n, <=, 1 + 16);
    /* The byte stream is made of whole sequences. */
    ps2_kbd_put_keycode(k, 0x1e, true);
    g_assert_cmphex(expect_byte(f, false), ==, 0x1c);
}

/* ---- mouse ---- */

static void aux_send(Fixture *f, uint8_t b)
{
    cmd(f, I8042_CMD_WRITE_AUX);
    out(f, b);
}

static uint8_t aux_cmd(Fixture *f, uint8_t b)
{
    aux_send(f, b);
    return expect_byte(f, true);
}

static void test_mouse_reset_id(Fixture *f, gconstpointer d)
{
    unsigned rises = f->rises12;

    aux_send(f, PS2_MOUSE_CMD_RESET);
    g_assert_cmpint(f->level12, ==, 1);
    g_assert_cmpint(f->level1, ==, 0);
    g_assert_cmphex(expect_byte(f, true), ==, PS2_REPLY_ACK);
    g_assert_cmphex(expect_byte(f, true), ==, PS2_REPLY_BAT_OK);
    g_assert_cmphex(expect_byte(f, true), ==, 0x00);
    expect_empty(f);
    g_assert_cmpuint(f->rises12 - rises, ==, 3);
    g_assert_cmphex(aux_cmd(f, PS2_MOUSE_CMD_GET_ID), ==, PS2_REPLY_ACK);
    g_assert_cmphex(expect_byte(f, true), ==, 0x00);

    /* IntelliMouse knock: 200, 100, 80. */
    static const uint8_t imps[] = { 200, 100, 80 };
    for (unsigned i = 0; i < G_N_ELEMENTS(imps); i++) {
        g_assert_cmphex(aux_cmd(f, PS2_MOUSE_CMD_SET_RATE), ==, PS2_REPLY_ACK);
        g_assert_cmphex(aux_cmd(f, imps[i]), ==, PS2_REPLY_ACK);
    }
    aux_cmd(f, PS2_MOUSE_CMD_GET_ID);
    g_assert_cmphex(expect_byte(f, true), ==, 3);
    /* Explorer knock: 200, 200, 80. */
    static const uint8_t imex[] = { 200, 200, 80 };
    for (unsigned i = 0; i < G_N_ELEMENTS(imex); i++) {
        aux_cmd(f, PS2_MOUSE_CMD_SET_RATE);
        aux_cmd(f, imex[i]);
    }
    aux_cmd(f, PS2_MOUSE_CMD_GET_ID);
    g_assert_cmphex(expect_byte(f, true), ==, 4);
    g_assert_cmpuint(ps2_mouse_type(i8042_mouse(f->kbc)), ==, 4);
    /* Reset goes back to a plain mouse. */
    aux_send(f, PS2_MOUSE_CMD_RESET);
    flush(f);
    g_assert_cmpuint(ps2_mouse_type(i8042_mouse(f->kbc)), ==, 0);
}

static void test_mouse_status_and_params(Fixture *f, gconstpointer d)
{
    g_assert_cmphex(aux_cmd(f, PS2_MOUSE_CMD_STATUS), ==, PS2_REPLY_ACK);
    g_assert_cmphex(expect_byte(f, true), ==, 0x00);
    g_assert_cmphex(expect_byte(f, true), ==, 2);
    g_assert_cmphex(expect_byte(f, true), ==, 100);
    aux_cmd(f, PS2_MOUSE_CMD_SET_RES);
    g_assert_cmphex(aux_cmd(f, 3), ==, PS2_REPLY_ACK);
    aux_cmd(f, PS2_MOUSE_CMD_SET_RES);
    g_assert_cmphex(aux_cmd(f, 9), ==, PS2_REPLY_RESEND);
    aux_cmd(f, PS2_MOUSE_CMD_SET_RATE);
    aux_cmd(f, 40);
    aux_cmd(f, PS2_MOUSE_CMD_SCALE21);
    aux_cmd(f, PS2_MOUSE_CMD_ENABLE);
    aux_cmd(f, PS2_MOUSE_CMD_REMOTE);
    aux_cmd(f, PS2_MOUSE_CMD_STATUS);
    g_assert_cmphex(expect_byte(f, true), ==, 0x70);
    g_assert_cmphex(expect_byte(f, true), ==, 3);
    g_assert_cmphex(expect_byte(f, true), ==, 40);
    aux_cmd(f, PS2_MOUSE_CMD_DEFAULT);
    aux_cmd(f, PS2_MOUSE_CMD_STATUS);
    g_assert_cmphex(expect_byte(f, true), ==, 0x00);
    g_assert_cmphex(expect_byte(f, true), ==, 2);
    g_assert_cmphex(expect_byte(f, true), ==, 100);
    /* Unknown: resend. */
    g_assert_cmphex(aux_cmd(f, 0x42), ==, PS2_REPLY_RESEND);
}

static void test_mouse_stream(Fixture *f, gconstpointer d)
{
    PS2Mouse *ms = i8042_mouse(f->kbc);

    /* Disabled: motion is ignored. */
    ps2_mouse_event(ms, 10, 10, 0, 0);
    expect_empty(f);
    aux_cmd(f, PS2_MOUSE_CMD_ENABLE);
    /* Right 5, down 3 (screen), left button. */
    ps2_mouse_event(ms, 5, 3, 0, PS2_MOUSE_BUTTON_LEFT);
    g_assert_cmphex(expect_byte(f, true), ==, 0x08 | 0x20 | 0x01);
    g_assert_cmphex(expect_byte(f, true), ==, 5);
    g_assert_cmphex(expect_byte(f, true), ==, 0xfd);
    expect_empty(f);
    /* Large motion is split over several packets, each within nine bits. */
    ps2_mouse_event(ms, 600, -300, 0, 0);
    g_assert_cmphex(expect_byte(f, true), ==, 0x08);
    g_assert_cmphex(expect_byte(f, true), ==, 255);
    g_assert_cmphex(expect_byte(f, true), ==, 255);
    g_assert_cmphex(expect_byte(f, true), ==, 0x08);
    g_assert_cmphex(expect_byte(f, true), ==, 255);
    g_assert_cmphex(expect_byte(f, true), ==, 45);
    g_assert_cmphex(expect_byte(f, true), ==, 0x08);
    g_assert_cmphex(expect_byte(f, true), ==, 90);
    g_assert_cmphex(expect_byte(f, true), ==, 0);
    expect_empty(f);
    /* Negative extreme: -256 fits. */
    ps2_mouse_event(ms, -256, 0, 0, PS2_MOUSE_BUTTON_RIGHT | PS2_MOUSE_BUTTON_MIDDLE);
    g_assert_cmphex(expect_byte(f, true), ==, 0x08 | 0x10 | 0x06);
    g_assert_cmphex(expect_byte(f, true), ==, 0x00);
    g_assert_cmphex(expect_byte(f, true), ==, 0x00);
    expect_empty(f);
    /* The mouse interface disabled at the controller holds the bytes back. */
    cmd(f, I8042_CMD_AUX_DISABLE);
    ps2_mouse_event(ms, 1, 0, 0, 0);
    expect_empty(f);
    cmd(f, I8042_CMD_AUX_ENABLE);
    g_assert_cmphex(expect_byte(f, true), ==, 0x08);
    flush(f);
}

static void test_mouse_wheel_packets(Fixture *f, gconstpointer d)
{
    PS2Mouse *ms = i8042_mouse(f->kbc);
    static const uint8_t imex[] = { 200, 200, 80 };

    for (unsigned i = 0; i < G_N_ELEMENTS(imex); i++) {
        aux_cmd(f, PS2_MOUSE_CMD_SET_RATE);
        aux_cmd(f, imex[i]);
    }
    aux_cmd(f, PS2_MOUSE_CMD_ENABLE);
    ps2_mouse_event(ms, 0, 0, -2, PS2_MOUSE_BUTTON_SIDE);
    g_assert_cmphex(expect_byte(f, true), ==, 0x08);
    g_assert_cmphex(expect_byte(f, true), ==, 0);
    g_assert_cmphex(expect_byte(f, true), ==, 0);
    g_assert_cmphex(expect_byte(f, true), ==, 0x0e | 0x10);
    expect_empty(f);
}

static void test_mouse_remote_and_wrap(Fixture *f, gconstpointer d)
{
    PS2Mouse *ms = i8042_mouse(f->kbc);

    aux_cmd(f, PS2_MOUSE_CMD_ENABLE);
    aux_cmd(f, PS2_MOUSE_CMD_REMOTE);
    ps2_mouse_event(ms, 7, -1, 0, 0);
    expect_empty(f);
    g_assert_cmphex(aux_cmd(f, PS2_MOUSE_CMD_READ), ==, PS2_REPLY_ACK);
    g_assert_cmphex(expect_byte(f, true), ==, 0x08);
    g_assert_cmphex(expect_byte(f, true), ==, 7);
    g_assert_cmphex(expect_byte(f, true), ==, 1);
    expect_empty(f);
    /* Nothing new: a zero packet. */
    aux_cmd(f, PS2_MOUSE_CMD_READ);
    g_assert_cmphex(expect_byte(f, true), ==, 0x08);
    g_assert_cmphex(expect_byte(f, true), ==, 0);
    g_assert_cmphex(expect_byte(f, true), ==, 0);
    /* Wrap mode echoes everything but its two exits. */
    aux_cmd(f, PS2_MOUSE_CMD_WRAP);
    g_assert_cmphex(aux_cmd(f, 0x12), ==, 0x12);
    g_assert_cmphex(aux_cmd(f, PS2_MOUSE_CMD_GET_ID), ==, PS2_MOUSE_CMD_GET_ID);
    g_assert_cmphex(aux_cmd(f, PS2_MOUSE_CMD_RESET_WRAP), ==, PS2_REPLY_ACK);
    g_assert_cmphex(aux_cmd(f, PS2_MOUSE_CMD_GET_ID), ==, PS2_REPLY_ACK);
    g_assert_cmphex(expect_byte(f, true), ==, 0);
}

/* ---- priorities, floods, garbage ---- */

static void test_source_priority(Fixture *f, gconstpointer d)
{
    PS2Kbd *k = i8042_kbd(f->kbc);
    PS2Mouse *ms = i8042_mouse(f->kbc);

    aux_cmd(f, PS2_MOUSE_CMD_ENABLE);
    /* Fill everything while the output buffer is busy with a controller reply. */
    cmd(f, I8042_CMD_SELF_TEST);
    ps2_mouse_event(ms, 1, 0, 0, 0);
    ps2_kbd_put_keycode(k, 0x1e, true);
    cmd(f, I8042_CMD_KBD_TEST);        /* queued behind the self-test byte */
    g_assert_cmphex(expect_byte(f, false), ==, 0x55);
    g_assert_cmphex(expect_byte(f, false), ==, 0x00);   /* controller before devices */
    g_assert_cmphex(expect_byte(f, false), ==, 0x1c);   /* keyboard before mouse */
    g_assert_cmphex(expect_byte(f, true), ==, 0x08);
    g_assert_cmphex(expect_byte(f, true), ==, 0x01);
    g_assert_cmphex(expect_byte(f, true), ==, 0x00);
    expect_empty(f);
    g_assert_cmpint(f->level1, ==, 0);
    g_assert_cmpint(f->level12, ==, 0);
}

static void test_command_flood(Fixture *f, gconstpointer d)
{
    /* Thousands of replies nobody reads collapse into one pending byte. */
    for (int i = 0; i < 5000; i++) {
        cmd(f, I8042_CMD_READ_RAM);
        cmd(f, I8042_CMD_SELF_TEST);
    }
    g_assert_cmphex(expect_byte(f, false), ==, I8042_CTR_KBD_INT | I8042_CTR_AUX_INT);
    g_assert_cmphex(expect_byte(f, false), ==, 0x55);
    expect_empty(f);
    /* Keyboard and mouse command floods fill their queues to the bound and no further. */
    for (int i = 0; i < 5000; i++) {
        out(f, PS2_KBD_CMD_IDENTIFY);
        aux_send(f, PS2_MOUSE_CMD_STATUS);
    }
    {
        unsigned n = 0;
        while (status(f) & I8042_STR_OBF) {
            data(f);
            n++;
            g_assert_cmpuint(n, <=, 2 * PS2_QUEUE_SIZE + 1);
        }
        g_assert_cmpuint(n, >=, PS2_QUEUE_SIZE);
    }
    /* Still sane. */
    out(f, PS2_KBD_CMD_ECHO);
    g_assert_cmphex(expect_byte(f, false), ==, PS2_REPLY_ECHO);
}

static void test_garbage(Fixture *f, gconstpointer d)
{
    guint32 seed = 0x8042;

    /* A pseudo-random mix of port accesses of every size (no reset commands: they only count). */
    for (int i = 0; i < 20000; i++) {
        uint64_t v;
        unsigned size = 1u << ((seed >> 3) % 3);
        uint16_t port = (seed & 1) ? I8042_CMD_PORT : I8042_DATA_PORT;

        seed = seed * 1103515245u + 12345u;
        if (seed & 0x100) {
            as_read(f->m->io, port, size, &v);
        } else {
            as_write(f->m->io, port, size, (seed >> 8) & 0xffffffffu);
        }
    }
    /* Whatever state that left, the usual init sequence brings it back. */
    cmd(f, I8042_CMD_KBD_DISABLE);
    cmd(f, I8042_CMD_AUX_DISABLE);
    flush(f);
    write_ctr(f, I8042_CTR_KBD_INT | I8042_CTR_AUX_INT | I8042_CTR_SYS);
    aux_send(f, PS2_MOUSE_CMD_RESET_WRAP);
    flush(f);
    cmd(f, I8042_CMD_SELF_TEST);
    g_assert_cmphex(expect_byte(f, false), ==, 0x55);
    flush(f);
    out(f, PS2_KBD_CMD_RESET);
    g_assert_cmphex(expect_byte(f, false), ==, PS2_REPLY_ACK);
    g_assert_cmphex(expect_byte(f, false), ==, PS2_REPLY_BAT_OK);
}

/* ---- reset and save/load ---- */

static void test_device_reset(Fixture *f, gconstpointer d)
{
    PS2Kbd *k = i8042_kbd(f->kbc);

    write_ctr(f, I8042_CTR_XLATE | I8042_CTR_KBD_INT);
    cmd(f, I8042_CMD_DISABLE_A20);
    ps2_kbd_put_keycode(k, 0x1e, true);
    ps2_kbd_put_keycode(k, 0x1f, true);
    g_assert_cmpint(f->level1, ==, 1);
    cmd(f, I8042_CMD_WRITE_OUTPUT);     /* leave a data write pending */

    device_list_reset(f->m->devices, RESET_HARD);
    g_assert_cmpint(f->level1, ==, 0);
    g_assert_cmpint(f->a20_level, ==, 1);
    g_assert_cmphex(status(f), ==, I8042_STR_CMD | I8042_STR_UNLOCKED);
    g_assert_cmphex(read_ctr(f), ==, I8042_CTR_KBD_INT | I8042_CTR_AUX_INT);
    expect_empty(f);
    /* The pending 0xd1 is gone: this byte goes to the keyboard. */
    out(f, PS2_KBD_CMD_ECHO);
    g_assert_cmphex(expect_byte(f, false), ==, PS2_REPLY_ECHO);
    g_assert_cmpuint(f->resets, ==, 0);
}

static void test_save_load(Fixture *f, gconstpointer d)
{
    Fixture g;
    GByteArray *blob = g_byte_array_new();
    GError *err = NULL;
    PS2Kbd *k = i8042_kbd(f->kbc);

    write_ctr(f, I8042_CTR_XLATE | I8042_CTR_KBD_INT | I8042_CTR_AUX_INT | I8042_CTR_SYS);
    kbd_send(f, PS2_KBD_CMD_SET_LEDS);
    data(f);
    kbd_send(f, PS2_LED_CAPS_LOCK);
    data(f);
    aux_cmd(f, PS2_MOUSE_CMD_ENABLE);
    aux_cmd(f, PS2_MOUSE_CMD_SET_RATE);                 /* leave the mouse waiting for a parameter */
    ps2_kbd_put_keycode(k, 0x10, true);                 /* Q: 0x15 in set 2 -> 0x10 */
    ps2_kbd_put_keycode(k, 0xe048, false);
    ps2_mouse_event(i8042_mouse(f->kbc), 3, 0, 0, 0);
    cmd(f, I8042_CMD_DISABLE_A20);
    device_list_save(f->m->devices, blob);

    fixture_init(&g);
    g_assert_true(device_list_load(g.m->devices, blob->data, blob->len, &err));
    g_assert_no_error(err);
    g_assert_cmpint(g.level1, ==, 1);
    g_assert_cmpint(g.a20_level, ==, 0);
    g_assert_true(status(&g) & I8042_STR_SYS);
    g_assert_cmphex(ps2_kbd_leds(i8042_kbd(g.kbc)), ==, PS2_LED_CAPS_LOCK);
    g_assert_cmphex(expect_byte(&g, false), ==, 0x10);
    g_assert_cmphex(expect_byte(&g, false), ==, 0xe0);
    g_assert_cmphex(expect_byte(&g, false), ==, 0xc8);
    g_assert_cmphex(expect_byte(&g, true), ==, 0x08);
    g_assert_cmphex(expect_byte(&g, true), ==, 3);
    g_assert_cmphex(expect_byte(&g, true), ==, 0);
    expect_empty(&g);
    /* The mouse still expects its sample rate. */
    g_assert_cmphex(aux_cmd(&g, 60), ==, PS2_REPLY_ACK);
    aux_cmd(&g, PS2_MOUSE_CMD_STATUS);
    g_assert_cmphex(expect_byte(&g, true), ==, 0x20);
    g_assert_cmphex(expect_byte(&g, true), ==, 2);
    g_assert_cmphex(expect_byte(&g, true), ==, 60);
    fixture_teardown(&g, NULL);

    /* A stream whose keyboard claims scan code set 9 is refused. */
    {
        GByteArray *bad = g_byte_array_new();
        guint8 *hit = NULL;
        /* kbd payload tail: pending(1) set(1) leds(1) typematic(1) scan_enabled(1) last_sent(1) */
        static const uint8_t pat[] = { 0x00, 0x02, PS2_LED_CAPS_LOCK, 0x2b, 0x01 };

        device_list_save(f->m->devices, bad);
        for (guint i = 0; i + sizeof(pat) <= bad->len; i++) {
            if (memcmp(bad->data + i, pat, sizeof(pat)) == 0) {
                hit = bad->data + i;
            }
        }
        g_assert_nonnull(hit);
        hit[1] = 9;
        fixture_init(&g);
        g_assert_false(device_list_load(g.m->devices, bad->data, bad->len, &err));
        g_assert_nonnull(err);
        g_assert_nonnull(strstr(err->message, "scan code set"));
        g_clear_error(&err);
        fixture_teardown(&g, NULL);
        g_byte_array_free(bad, TRUE);
    }
    g_byte_array_free(blob, TRUE);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);

#define ADD(name, fn) g_test_add("/i8042/" name, Fixture, NULL, fixture_setup, fn, fixture_teardown)
    ADD("power-on", test_power_on);
    ADD("self-and-interface-tests", test_self_and_interface_tests);
    ADD("command-byte", test_command_byte);
    ADD("irq-lines", test_irq_lines);
    ADD("output-port-a20", test_output_port_a20);
    ADD("reset-pulse", test_reset_pulse);
    ADD("kbd/reset-identify", test_kbd_reset_identify);
    ADD("kbd/leds-and-params", test_kbd_leds_and_params);
    ADD("kbd/keys", test_kbd_keys);
    ADD("kbd/translation-table", test_translation_table);
    ADD("kbd/disable-holds-bytes", test_kbd_disable_holds_bytes);
    ADD("kbd/queue-bound", test_kbd_queue_bound);
    ADD("mouse/reset-id", test_mouse_reset_id);
    ADD("mouse/status-and-params", test_mouse_status_and_params);
    ADD("mouse/stream", test_mouse_stream);
    ADD("mouse/wheel", test_mouse_wheel_packets);
    ADD("mouse/remote-and-wrap", test_mouse_remote_and_wrap);
    ADD("source-priority", test_source_priority);
    ADD("command-flood", test_command_flood);
    ADD("garbage", test_garbage);
    ADD("reset", test_device_reset);
    ADD("save-load", test_save_load);
    return g_test_run();
}
