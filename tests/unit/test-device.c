/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * hw/core/device: registration, two-phase reset, the save stream and its
 * rejection of foreign or damaged streams.
 */
#include <string.h>

#include <glib.h>

#include "hw/core/device.h"
#include "hw/core/machine.h"

static GString *events;

typedef struct Counter {
    Device dev;
    uint32_t count;
    uint8_t regs[4];
    bool irq_high;          /* an output dropped in the hold phase */
    bool unrealized;
} Counter;

static const StateField counter_fields[] = {
    STATE_U32(Counter, count),
    STATE_U8_ARRAY(Counter, regs, 4),
    STATE_FIELDS_END,
};

static bool counter_post_load(void *opaque, int version, GError **err)
{
    Counter *c = opaque;

    if (c->regs[0] > 0xf0) {
        g_set_error(err, IOEMU_ERROR, 0, "counter: regs[0] 0x%x out of range", c->regs[0]);
        return false;
    }
    return true;
}

static const StateDescription counter_sd = {
    .name = "counter", .version = 2, .min_version = 1, .fields = counter_fields,
    .post_load = counter_post_load,
};

static void counter_hold(Device *dev, ResetKind kind)
{
    Counter *c = (Counter *)dev;

    c->irq_high = false;
    g_string_append_printf(events, "hold:%s ", dev->id);
}

static void counter_reset(Device *dev, ResetKind kind)
{
    Counter *c = (Counter *)dev;

    /* Exit phase: every hold phase must have run already. */
    c->count = kind == RESET_POWER_ON ? 0 : 100;
    memset(c->regs, 0, sizeof(c->regs));
    g_string_append_printf(events, "exit:%s ", dev->id);
}

static void counter_unrealize(Device *dev)
{
    Counter *c = (Counter *)dev;

    c->unrealized = true;
    g_string_append_printf(events, "unrealize ");
}

static const DeviceClass counter_class = {
    .name = "counter",
    .reset_hold = counter_hold,
    .reset = counter_reset,
    .unrealize = counter_unrealize,
    .state = &counter_sd,
};

typedef struct Plain {
    Device dev;
} Plain;

static void plain_reset(Device *dev, ResetKind kind)
{
    g_string_append_printf(events, "exit:%s ", dev->id);
}

static const DeviceClass plain_class = {
    .name = "plain",
    .reset = plain_reset,
};

typedef struct Board {
    DeviceList *list;
    Counter a, b;
    Plain p;
} Board;

static void board_init(Board *bd)
{
    memset(bd, 0, sizeof(*bd));
    bd->list = device_list_new();
    device_register(bd->list, &bd->a.dev, &counter_class, "counter-a");
    device_register(bd->list, &bd->p.dev, &plain_class, "plain");
    device_register(bd->list, &bd->b.dev, &counter_class, "counter-b");
}

static void test_register_and_reset(void)
{
    Board bd;

    events = g_string_new(NULL);
    board_init(&bd);
    g_assert_true(device_find(bd.list, "counter-b") == &bd.b.dev);
    g_assert_null(device_find(bd.list, "nope"));
    g_assert_cmpuint(bd.a.dev.instance, ==, 0);
    g_assert_cmpuint(bd.b.dev.instance, ==, 1);
    g_assert_cmpuint(bd.p.dev.instance, ==, 0);
    g_assert_true(bd.b.dev.cls == &counter_class);

    bd.a.irq_high = bd.b.irq_high = true;
    bd.a.count = bd.b.count = 7;
    device_list_reset(bd.list, RESET_HARD);
    /* All hold phases (in list order) before any exit phase. */
    g_assert_cmpstr(events->str, ==,
                    "hold:counter-a hold:counter-b exit:counter-a exit:plain exit:counter-b ");
    g_assert_false(bd.a.irq_high);
    g_assert_cmpuint(bd.a.count, ==, 100);

    g_string_truncate(events, 0);
    device_reset(&bd.b.dev, RESET_DRIVER);
    g_assert_cmpstr(events->str, ==, "hold:counter-b exit:counter-b ");

    g_string_truncate(events, 0);
    device_list_free(bd.list);
    g_assert_cmpstr(events->str, ==, "unrealize unrealize ");
    g_assert_true(bd.a.unrealized && bd.b.unrealized);
    g_string_free(events, TRUE);
}

static GByteArray *saved_stream(Board *bd)
{
    GByteArray *out = g_byte_array_new();

    bd->a.count = 0x11223344;
    memcpy(bd->a.regs, "\x01\x02\x03\x04", 4);
    bd->b.count = 0x55;
    memcpy(bd->b.regs, "\x0a\x0b\x0c\x0d", 4);
    device_list_save(bd->list, out);
    return out;
}

static void test_save_load_round_trip(void)
{
    Board src, dst;
    GByteArray *stream;
    GError *err = NULL;

    events = g_string_new(NULL);
    board_init(&src);
    board_init(&dst);
    stream = saved_stream(&src);

    /* Header, then the first section: counter-a (the stateless device has none). */
    g_assert_cmpmem(stream->data, 8, "IOEMUVMS", 8);
    g_assert_cmphex(stream->data[8], ==, 1);
    g_assert_cmphex(stream->data[12], ==, 0x01);
    g_assert_cmphex(stream->data[13], ==, strlen("counter-a"));
    g_assert_cmpmem(stream->data + 14, 9, "counter-a", 9);
    g_assert_cmphex(stream->data[stream->len - 1], ==, 0x00);
    /* 12 header + 2 sections of (1+1+9+12+8) + end */
    g_assert_cmpuint(stream->len, ==, 12 + 2 * (1 + 1 + 9 + 12 + 8) + 1);

    g_assert_true(device_list_load(dst.list, stream->data, stream->len, &err));
    g_assert_no_error(err);
    g_assert_cmphex(dst.a.count, ==, 0x11223344);
    g_assert_cmpmem(dst.a.regs, 4, "\x01\x02\x03\x04", 4);
    g_assert_cmphex(dst.b.count, ==, 0x55);
    g_assert_cmpmem(dst.b.regs, 4, "\x0a\x0b\x0c\x0d", 4);

    /* Single-device helpers. */
    {
        GByteArray *one = g_byte_array_new();
        src.b.count = 0xabcdef;
        device_save(&src.b.dev, one);
        g_assert_true(device_load(&dst.b.dev, one->data, one->len, &err));
        g_assert_no_error(err);
        g_assert_cmphex(dst.b.count, ==, 0xabcdef);
        /* A section for another device is refused by device_load. */
        g_assert_false(device_load(&dst.a.dev, one->data, one->len, &err));
        g_assert_nonnull(strstr(err->message, "counter-b"));
        g_clear_error(&err);
        g_byte_array_free(one, TRUE);
    }

    g_byte_array_free(stream, TRUE);
    device_list_free(src.list);
    device_list_free(dst.list);
    g_string_free(events, TRUE);
}

static void expect_load_error(DeviceList *list, const uint8_t *buf, size_t len, const char *needle)
{
    GError *err = NULL;

    g_assert_false(device_list_load(list, buf, len, &err));
    g_assert_error(err, IOEMU_ERROR, 0);
    if (!strstr(err->message, needle)) {
        g_error("expected '%s' in error '%s'", needle, err->message);
    }
    g_error_free(err);
}

static void test_rejected_streams(void)
{
    Board src, dst;
    GByteArray *stream;
    guint8 *copy;
    size_t sec2;

    events = g_string_new(NULL);
    board_init(&src);
    board_init(&dst);
    stream = saved_stream(&src);
    copy = g_memdup2(stream->data, stream->len);
    sec2 = 12 + (1 + 1 + 9 + 12 + 8);

    /* Unknown device: a list without counter-b. */
    {
        DeviceList *small = device_list_new();
        Counter only;
        memset(&only, 0, sizeof(only));
        device_register(small, &only.dev, &counter_class, "counter-a");
        expect_load_error(small, stream->data, stream->len, "unknown device 'counter-b'");
        /* Framing errors are found before any device is touched. */
        g_assert_cmpuint(only.count, ==, 0);
        device_list_free(small);
    }

    /* Wrong state version (3 > 2). */
    copy[sec2 + 2 + 9 + 4] = 3;
    expect_load_error(dst.list, copy, stream->len, "state version 3 not supported");
    copy[sec2 + 2 + 9 + 4] = 0;
    expect_load_error(dst.list, copy, stream->len, "state version 0 not supported");
    memcpy(copy, stream->data, stream->len);

    /* Payload length claiming more than there is. */
    copy[sec2 + 2 + 9 + 8] = 0xff;
    expect_load_error(dst.list, copy, stream->len, "truncated");
    memcpy(copy, stream->data, stream->len);

    /* A shorter payload length: the payload parser sees too few bytes. */
    copy[sec2 + 2 + 9 + 8] = 7;
    expect_load_error(dst.list, copy, stream->len, "tag");
    memcpy(copy, stream->data, stream->len);

    /* Bad magic, bad format version, bad tag. */
    copy[0] = 'X';
    expect_load_error(dst.list, copy, stream->len, "bad magic");
    copy[0] = 'I';
    copy[8] = 2;
    expect_load_error(dst.list, copy, stream->len, "format version 2");
    copy[8] = 1;
    copy[sec2] = 0x07;
    expect_load_error(dst.list, copy, stream->len, "bad section tag 0x07");
    memcpy(copy, stream->data, stream->len);

    /* Trailing garbage after the end tag. */
    {
        guint8 *longer = g_malloc(stream->len + 2);
        memcpy(longer, stream->data, stream->len);
        longer[stream->len] = 0x01;
        longer[stream->len + 1] = 0x02;
        expect_load_error(dst.list, longer, stream->len + 2, "trailing garbage");
        g_free(longer);
    }

    /* Two sections for one device. */
    {
        GByteArray *dup = g_byte_array_new();
        g_byte_array_append(dup, stream->data, (guint)sec2);
        g_byte_array_append(dup, stream->data + 12, (guint)(sec2 - 12));
        g_byte_array_append(dup, (const guint8 *)"", 1);
        expect_load_error(dst.list, dup->data, dup->len, "two sections");
        g_byte_array_free(dup, TRUE);
    }

    /* post_load refusal names the device. */
    src.a.regs[0] = 0xf8;
    {
        GByteArray *bad = g_byte_array_new();
        device_list_save(src.list, bad);
        expect_load_error(dst.list, bad->data, bad->len, "device 'counter-a': counter: regs[0] 0xf8");
        g_byte_array_free(bad, TRUE);
    }

    /* Every truncation of a good stream fails cleanly. */
    for (size_t len = 0; len < stream->len; len++) {
        guint8 *cut = g_memdup2(stream->data, len);
        GError *err = NULL;
        g_assert_false(device_list_load(dst.list, cut, len, &err));
        g_assert_nonnull(err);
        g_error_free(err);
        g_free(cut);
    }
    /* And random corruption never crashes. */
    for (int round = 0; round < 2000; round++) {
        GError *err = NULL;
        memcpy(copy, stream->data, stream->len);
        for (int k = 0; k < 3; k++) {
            copy[g_test_rand_int_range(0, (gint32)stream->len)] = (guint8)g_test_rand_int_range(0, 256);
        }
        if (!device_list_load(dst.list, copy, stream->len, &err)) {
            g_assert_nonnull(err);
            g_error_free(err);
        }
    }

    g_free(copy);
    g_byte_array_free(stream, TRUE);
    device_list_free(src.list);
    device_list_free(dst.list);
    g_string_free(events, TRUE);
}

static int requested_cause = -1, requested_code = -1;

static void record_request(Machine *m, ShutdownCause cause, int exit_code)
{
    requested_cause = (int)cause;
    requested_code = exit_code;
}

static void null_handler(void *opaque, int n, int level)
{
}

static void test_machine(void)
{
    Machine *m = machine_new(1ULL << 32);
    IrqLine **gsi = irq_new_array(null_handler, NULL, 24);
    IrqLine **intr = irq_new_array(null_handler, NULL, 1);
    Counter dev;

    g_assert_cmpstr(as_name(m->io), ==, "io");
    g_assert_cmphex(mr_size(as_root(m->io)), ==, 0x10000);
    g_assert_cmphex(mr_size(as_root(m->mem)), ==, 1ULL << 32);

    machine_add_irq_in(m, "ioapic", gsi, 24);
    machine_add_irq_in(m, "i8259", gsi, 16);
    machine_add_irq_out(m, "pic", intr, 1);
    g_assert_cmpint(machine_find_irq_in(m, "ioapic")->count, ==, 24);
    g_assert_true(machine_find_irq_in(m, "i8259")->lines == gsi);
    g_assert_true(machine_find_irq_out(m, "pic")->lines[0] == intr[0]);
    g_assert_null(machine_find_irq_in(m, "pic"));

    /* Without a hook a request is only logged; with one it is passed on. */
    machine_request(m, SHUTDOWN_CAUSE_GUEST_RESET, 0);
    m->hooks.request = record_request;
    machine_request(m, SHUTDOWN_CAUSE_GUEST_EXIT, 7);
    g_assert_cmpint(requested_cause, ==, SHUTDOWN_CAUSE_GUEST_EXIT);
    g_assert_cmpint(requested_code, ==, 7);

    events = g_string_new(NULL);
    memset(&dev, 0, sizeof(dev));
    device_register(m->devices, &dev.dev, &counter_class, "counter");
    machine_free(m);
    g_assert_true(dev.unrealized);
    g_string_free(events, TRUE);
    irq_free_array(gsi, 24);
    irq_free_array(intr, 1);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/device/register-reset", test_register_and_reset);
    g_test_add_func("/device/save-load", test_save_load_round_trip);
    g_test_add_func("/device/rejected-streams", test_rejected_streams);
    g_test_add_func("/machine/basics", test_machine);
    return g_test_run();
}
