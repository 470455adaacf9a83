/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * i8254 PIT tests without an emulator process: a bare Machine with the
 * PIT, programmed through m->io, the virtual clock in manual mode moved
 * with clock_virtual_advance_to, IRQ 0 recorded.
 */
#include <glib.h>
#include <string.h>

#include "hw/core/clock.h"
#include "hw/core/machine.h"
#include "hw/timer/i8254.h"

#define PIT_CH(n)   (0x40 + (n))
#define PIT_CTRL    0x43
#define PORT61      0x61

typedef struct Fixture {
    Machine *m;
    IrqLine *irq0;
    int level;
    unsigned raises;
    unsigned lowers;
    PITState *pit;
    int64_t mark;       /* virtual time of the last count write */
} Fixture;

static void irq_record(void *opaque, int n, int level)
{
    Fixture *f = opaque;

    f->level = level;
    if (level) {
        f->raises++;
    } else {
        f->lowers++;
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

static int64_t now_ns(void)
{
    return clock_get_ns(CLOCK_VIRTUAL);
}

/* Virtual ns after which `ticks` timer clocks have elapsed. */
static int64_t ticks_ns(uint64_t ticks)
{
    return (int64_t)((ticks * (unsigned __int128)1000000000 + PIT_FREQ_HZ - 1) / PIT_FREQ_HZ);
}

/* Move the clock to `ticks` clocks after the last count write. */
static void at_tick(Fixture *f, uint64_t ticks)
{
    clock_virtual_advance_to(f->mark + ticks_ns(ticks));
}

static void write_count16(Fixture *f, int ch, uint16_t count)
{
    outb(f, PIT_CH(ch), count & 0xff);
    outb(f, PIT_CH(ch), count >> 8);
    f->mark = now_ns();
}

static uint16_t latch_read16(Fixture *f, int ch)
{
    uint16_t v;

    outb(f, PIT_CTRL, ch << 6);
    v = inb(f, PIT_CH(ch));
    return v | inb(f, PIT_CH(ch)) << 8;
}

/* Two reads of a counter port, LSB first (sequenced: operand order is unspecified in C). */
static uint16_t read16(Fixture *f, int ch)
{
    uint16_t lsb = inb(f, PIT_CH(ch));

    return lsb | inb(f, PIT_CH(ch)) << 8;
}

static uint8_t read_status(Fixture *f, int ch)
{
    outb(f, PIT_CTRL, 0xe0 | (2 << ch));
    return inb(f, PIT_CH(ch));
}

static bool out2(Fixture *f)
{
    return inb(f, PORT61) & 0x20;
}

static void fixture_setup(Fixture *f, gconstpointer data)
{
    memset(f, 0, sizeof(*f));
    /* Start each test on a fresh millisecond so timings don't depend on the previous test. */
    clock_virtual_advance_to((now_ns() / 1000000 + 1) * 1000000);
    f->m = machine_new(1ull << 32);
    f->irq0 = irq_new(irq_record, f, 0);
    f->pit = i8254_create(f->m, f->irq0);
    device_list_reset(f->m->devices, RESET_POWER_ON);
}

static void fixture_teardown(Fixture *f, gconstpointer data)
{
    machine_free(f->m);
    irq_free(f->irq0);
}

static void test_power_on(Fixture *f, gconstpointer data)
{
    unsigned base = f->raises;

    /* Like QEMU: counter 0 runs as a 65536 square wave, 18.2 Hz on IRQ 0. */
    f->mark = now_ns();
    g_assert_cmpint(f->level, ==, 1);
    g_assert_cmphex(read_status(f, 0), ==, 0x36 | 0x80);
    at_tick(f, 32767);
    g_assert_cmpint(f->level, ==, 1);
    at_tick(f, 32768);
    g_assert_cmpint(f->level, ==, 0);
    at_tick(f, 65536 * 10);
    g_assert_cmpint(f->raises - base, ==, 10);
    /* Counter 2 is held by its gate (port 0x61 bit 0 clear after reset). */
    g_assert_cmphex(inb(f, PORT61) & 0x0f, ==, 0x00);
    g_assert_cmphex(latch_read16(f, 2), ==, 0x0000);
    g_assert_true(out2(f));
}

static void test_mode2_rate_generator(Fixture *f, gconstpointer data)
{
    unsigned raises;

    outb(f, PIT_CTRL, 0x34);        /* counter 0, LSB then MSB, mode 2, binary */
    g_assert_cmpint(f->level, ==, 1);
    write_count16(f, 0, 1000);
    raises = f->raises;
    g_assert_cmpuint(latch_read16(f, 0), ==, 1000);
    at_tick(f, 100);
    g_assert_cmpuint(latch_read16(f, 0), ==, 900);
    /* OUT drops for the one clock when the counter is at 1. */
    at_tick(f, 998);
    g_assert_cmpint(f->level, ==, 1);
    at_tick(f, 999);
    g_assert_cmpuint(latch_read16(f, 0), ==, 1);
    g_assert_cmpint(f->level, ==, 0);
    at_tick(f, 1000);
    g_assert_cmpint(f->level, ==, 1);
    g_assert_cmpuint(latch_read16(f, 0), ==, 1000);
    at_tick(f, 10 * 1000 + 5);
    g_assert_cmpuint(f->raises - raises, ==, 10);
    g_assert_cmpuint(latch_read16(f, 0), ==, 995);
    /* A new count does not disturb the running period: it is loaded at its end. */
    outb(f, PIT_CH(0), 100);
    outb(f, PIT_CH(0), 0);
    g_assert_cmphex(read_status(f, 0) & 0x40, ==, 0x40);   /* NULL COUNT until then */
    at_tick(f, 10 * 1000 + 500);
    g_assert_cmpuint(latch_read16(f, 0), ==, 500);
    at_tick(f, 11 * 1000);
    g_assert_cmpuint(latch_read16(f, 0), ==, 100);
    g_assert_cmphex(read_status(f, 0) & 0x40, ==, 0x00);
    raises = f->raises;
    at_tick(f, 11 * 1000 + 100 * 5 + 1);
    g_assert_cmpuint(f->raises - raises, ==, 5);
}

static void test_mode0_one_shot(Fixture *f, gconstpointer data)
{
    unsigned base;

    outb(f, PIT_CTRL, 0x30);        /* counter 0, mode 0: OUT low at once */
    g_assert_cmpint(f->level, ==, 0);
    base = f->raises;
    write_count16(f, 0, 500);
    at_tick(f, 499);
    g_assert_cmpint(f->level, ==, 0);
    g_assert_cmpuint(latch_read16(f, 0), ==, 1);
    at_tick(f, 500);
    g_assert_cmpint(f->level, ==, 1);
    g_assert_cmpuint(f->raises - base, ==, 1);
    /* Counting goes on (wrapping) but OUT stays high: one interrupt only. */
    at_tick(f, 600);
    g_assert_cmpuint(latch_read16(f, 0), ==, 65536 - 100);
    at_tick(f, 200000);
    g_assert_cmpint(f->level, ==, 1);
    g_assert_cmpuint(f->raises - base, ==, 1);
    /* Writing the first byte of a new count stops counting and drops OUT. */
    outb(f, PIT_CH(0), 0x10);
    g_assert_cmpint(f->level, ==, 0);
    {
        uint16_t held = latch_read16(f, 0);
        at_tick(f, 200100);
        g_assert_cmpuint(latch_read16(f, 0), ==, held);
    }
    outb(f, PIT_CH(0), 0x00);       /* count 0x0010 */
    f->mark = now_ns();
    at_tick(f, 16);
    g_assert_cmpint(f->level, ==, 1);
    g_assert_cmpuint(f->raises - base, ==, 2);
}

static void test_mode0_gate_pauses(Fixture *f, gconstpointer data)
{
    outb(f, PORT61, 0x01);
    outb(f, PIT_CTRL, 0xb0);        /* counter 2, mode 0 */
    g_assert_false(out2(f));
    write_count16(f, 2, 300);
    at_tick(f, 100);
    g_assert_cmpuint(latch_read16(f, 2), ==, 200);
    outb(f, PORT61, 0x00);          /* gate low: counting stops */
    at_tick(f, 1000);
    g_assert_cmpuint(latch_read16(f, 2), ==, 200);
    g_assert_false(out2(f));
    outb(f, PORT61, 0x01);
    f->mark = now_ns();
    at_tick(f, 199);
    g_assert_false(out2(f));
    at_tick(f, 200);
    g_assert_true(out2(f));
}

static void test_mode3_square_wave_gate(Fixture *f, gconstpointer data)
{
    outb(f, PIT_CTRL, 0xb6);        /* counter 2, mode 3 */
    write_count16(f, 2, 100);
    /* Gate low: OUT high, nothing counts. */
    at_tick(f, 70);
    g_assert_true(out2(f));
    g_assert_cmpuint(latch_read16(f, 2), ==, 100);
    outb(f, PORT61, 0x03);          /* gate on, speaker data on */
    g_assert_cmphex(inb(f, PORT61) & 0x03, ==, 0x03);
    f->mark = now_ns();
    at_tick(f, 10);
    g_assert_cmpuint(latch_read16(f, 2), ==, 80);  /* counts down by two */
    at_tick(f, 49);
    g_assert_true(out2(f));
    at_tick(f, 50);
    g_assert_false(out2(f));
    g_assert_cmpuint(latch_read16(f, 2), ==, 100);
    at_tick(f, 99);
    g_assert_false(out2(f));
    at_tick(f, 100);
    g_assert_true(out2(f));
    /* Gate low forces OUT high; the rising edge restarts the cycle. */
    at_tick(f, 160);
    g_assert_false(out2(f));
    outb(f, PORT61, 0x00);
    g_assert_true(out2(f));
    at_tick(f, 1000);
    outb(f, PORT61, 0x01);
    f->mark = now_ns();
    g_assert_cmpuint(latch_read16(f, 2), ==, 100);
    at_tick(f, 50);
    g_assert_false(out2(f));
    /* Odd count: high one clock longer than low. */
    outb(f, PIT_CTRL, 0xb6);
    write_count16(f, 2, 5);
    at_tick(f, 2);
    g_assert_true(out2(f));
    at_tick(f, 3);
    g_assert_false(out2(f));
    at_tick(f, 5);
    g_assert_true(out2(f));
}

static void test_mode1_and_mode5_triggers(Fixture *f, gconstpointer data)
{
    outb(f, PIT_CTRL, 0xb2);        /* counter 2, mode 1 */
    write_count16(f, 2, 50);
    at_tick(f, 100);
    g_assert_true(out2(f));         /* waits for a trigger */
    g_assert_cmphex(read_status(f, 2) & 0xc0, ==, 0xc0);   /* OUT high, NULL COUNT */
    outb(f, PORT61, 0x01);          /* rising edge */
    f->mark = now_ns();
    g_assert_false(out2(f));
    at_tick(f, 20);
    g_assert_cmpuint(latch_read16(f, 2), ==, 30);
    /* Retrigger reloads. */
    outb(f, PORT61, 0x00);
    outb(f, PORT61, 0x01);
    f->mark = now_ns();
    at_tick(f, 49);
    g_assert_false(out2(f));
    at_tick(f, 50);
    g_assert_true(out2(f));

    outb(f, PIT_CTRL, 0xba);        /* counter 2, mode 5 */
    outb(f, PORT61, 0x00);
    write_count16(f, 2, 40);
    at_tick(f, 100);
    g_assert_true(out2(f));
    outb(f, PORT61, 0x01);
    f->mark = now_ns();
    at_tick(f, 39);
    g_assert_true(out2(f));
    at_tick(f, 40);
    g_assert_false(out2(f));        /* one clock strobe */
    at_tick(f, 41);
    g_assert_true(out2(f));
}

static void test_mode4_strobe(Fixture *f, gconstpointer data)
{
    unsigned raises, lowers;

    outb(f, PIT_CTRL, 0x38);        /* counter 0, mode 4 */
    g_assert_cmpint(f->level, ==, 1);
    raises = f->raises;
    lowers = f->lowers;
    write_count16(f, 0, 30);
    at_tick(f, 29);
    g_assert_cmpint(f->level, ==, 1);
    at_tick(f, 30);
    g_assert_cmpint(f->level, ==, 0);
    at_tick(f, 100000);
    g_assert_cmpint(f->level, ==, 1);
    g_assert_cmpuint(f->raises - raises, ==, 1);
    g_assert_cmpuint(f->lowers - lowers, ==, 1);
}

static void test_latch(Fixture *f, gconstpointer data)
{
    outb(f, PIT_CTRL, 0x74);        /* counter 1, mode 2 */
    write_count16(f, 1, 0x1234);
    at_tick(f, 0x34);
    outb(f, PIT_CTRL, 0x40);        /* latch counter 1 */
    at_tick(f, 0x100);
    outb(f, PIT_CTRL, 0x40);        /* ignored: already latched */
    g_assert_cmphex(inb(f, PIT_CH(1)), ==, 0x00);
    at_tick(f, 0x200);
    g_assert_cmphex(inb(f, PIT_CH(1)), ==, 0x12);
    /* Unlatched reads follow the counter, LSB then MSB. */
    g_assert_cmphex(inb(f, PIT_CH(1)), ==, 0x34);
    at_tick(f, 0x300);
    g_assert_cmphex(inb(f, PIT_CH(1)), ==, 0x0f);
    /* LSB-only and MSB-only access. */
    outb(f, PIT_CTRL, 0x54);        /* counter 1, LSB only, mode 2 */
    outb(f, PIT_CH(1), 0x80);
    f->mark = now_ns();
    at_tick(f, 0x10);
    g_assert_cmphex(inb(f, PIT_CH(1)), ==, 0x70);
    g_assert_cmphex(inb(f, PIT_CH(1)), ==, 0x70);
    outb(f, PIT_CTRL, 0x64);        /* counter 1, MSB only, mode 2 */
    outb(f, PIT_CH(1), 0x02);       /* count 0x200 */
    f->mark = now_ns();
    at_tick(f, 0x101);
    g_assert_cmphex(inb(f, PIT_CH(1)), ==, 0x00);
    outb(f, PIT_CTRL, 0x40);
    g_assert_cmphex(inb(f, PIT_CH(1)), ==, 0x00);  /* MSB of 0xff */
    /* The control port cannot be read. */
    g_assert_cmphex(inb(f, PIT_CTRL), ==, 0xff);
}

static void test_read_back(Fixture *f, gconstpointer data)
{
    outb(f, PIT_CTRL, 0x30);
    /* After a control word: OUT low (mode 0), NULL COUNT, the programmed bits. */
    g_assert_cmphex(read_status(f, 0), ==, 0x40 | 0x30);
    write_count16(f, 0, 1000);
    g_assert_cmphex(read_status(f, 0), ==, 0x40 | 0x30);   /* CE loads on the next clock */
    at_tick(f, 1);
    g_assert_cmphex(read_status(f, 0), ==, 0x30);
    /* Status and count together, on counters 0 and 2: status comes out first. */
    outb(f, PIT_CTRL, 0xb6);
    write_count16(f, 2, 0x4321);
    outb(f, PORT61, 0x01);
    f->mark = now_ns();
    at_tick(f, 0x20);
    outb(f, PIT_CTRL, 0xc0 | 0x08 | 0x02);
    at_tick(f, 0x80);
    g_assert_cmphex(inb(f, PIT_CH(2)), ==, 0x80 | 0x36);
    /* Odd count 0x4321 runs as 0x4320, two per clock. */
    g_assert_cmphex(inb(f, PIT_CH(2)), ==, 0xe0);
    g_assert_cmphex(inb(f, PIT_CH(2)), ==, 0x42);
    g_assert_cmphex(inb(f, PIT_CH(0)), ==, 0x30);
    /* Counter 0 was loaded one clock (839 ns) before counter 2's start: 33 clocks in. */
    g_assert_cmpuint(read16(f, 0), ==, 1000 - 33);
    /* Count-only then status-only read-back: the status still comes out first. */
    outb(f, PIT_CTRL, 0xd0 | 0x08);
    outb(f, PIT_CTRL, 0xe0 | 0x08);
    outb(f, PIT_CTRL, 0xe0 | 0x08);     /* ignored: status already latched */
    at_tick(f, 0x100);
    g_assert_cmphex(inb(f, PIT_CH(2)) & 0x3f, ==, 0x36);
    g_assert_cmphex(inb(f, PIT_CH(2)), ==, 0x20);  /* 0x4320 - 2 * 0x80 */
    g_assert_cmphex(inb(f, PIT_CH(2)), ==, 0x42);
    /* Then reads follow the counter again. */
    g_assert_cmphex(inb(f, PIT_CH(2)), ==, 0x20);  /* 0x4320 - 2 * 0x100: LSB */
    g_assert_cmphex(inb(f, PIT_CH(2)), ==, 0x41);
}

static void test_bcd(Fixture *f, gconstpointer data)
{
    outb(f, PIT_CTRL, 0x35);        /* counter 0, mode 2, BCD */
    write_count16(f, 0, 0x1000);    /* 1000 decimal */
    at_tick(f, 1);
    g_assert_cmphex(latch_read16(f, 0), ==, 0x0999);
    at_tick(f, 123);
    g_assert_cmphex(latch_read16(f, 0), ==, 0x0877);
    {
        unsigned raises = f->raises;
        at_tick(f, 5000);
        g_assert_cmpuint(f->raises - raises, ==, 5);
    }
    /* BCD count 0 is 10000. */
    outb(f, PIT_CTRL, 0x31);
    write_count16(f, 0, 0x0000);
    at_tick(f, 1);
    g_assert_cmphex(latch_read16(f, 0), ==, 0x9999);
    at_tick(f, 9999);
    g_assert_cmpint(f->level, ==, 0);
    at_tick(f, 10000);
    g_assert_cmpint(f->level, ==, 1);
}

static void test_port61(Fixture *f, gconstpointer data)
{
    int64_t start;
    uint8_t first;
    int steps;

    /* Only bits 0-3 are writable; 6-7 (NMI sources) read 0. */
    outb(f, PORT61, 0xff);
    g_assert_cmphex(inb(f, PORT61) & 0xcf, ==, 0x0f);
    outb(f, PORT61, 0x0c);
    g_assert_cmphex(inb(f, PORT61) & 0xcf, ==, 0x0c);
    /* Refresh toggles every 18 timer clocks (15.085 us), and not without time passing. */
    first = inb(f, PORT61) & 0x10;
    g_assert_cmphex(inb(f, PORT61) & 0x10, ==, first);
    for (steps = 0; steps < 20 && (inb(f, PORT61) & 0x10) == first; steps++) {
        clock_virtual_advance_to(now_ns() + ticks_ns(1));
    }
    g_assert_cmpint(steps, <=, 19);
    start = now_ns();
    first ^= 0x10;
    clock_virtual_advance_to(start + ticks_ns(9));
    g_assert_cmphex(inb(f, PORT61) & 0x10, ==, first);
    clock_virtual_advance_to(start + ticks_ns(27));
    g_assert_cmphex(inb(f, PORT61) & 0x10, ==, first ^ 0x10);
}

static void test_wide_access(Fixture *f, gconstpointer data)
{
    uint64_t v;

    /* A 16-bit access splits into two bytes on consecutive ports, as on ISA. */
    outb(f, PIT_CTRL, 0x10);        /* counter 0, LSB only, mode 0 */
    outb(f, PIT_CTRL, 0x50);        /* counter 1, LSB only, mode 0 */
    g_assert_true(as_write(f->m->io, PIT_CH(0), 2, 0x2010));
    g_assert_true(as_read(f->m->io, PIT_CH(0), 2, &v));
    g_assert_cmphex(v, ==, 0x2010);
    g_assert_true(as_read(f->m->io, PIT_CH(2), 2, &v));    /* counter 2 + write-only control port */
    g_assert_cmphex(v >> 8, ==, 0xff);
}

/* ---- save / load ---- */

static Device *pit_device(Fixture *f)
{
    return device_find(f->m->devices, "pit");
}

static void test_save_load(Fixture *f, gconstpointer data)
{
    g_autoptr(GByteArray) stream = g_byte_array_new();
    g_autoptr(GError) err = NULL;
    unsigned raises;

    outb(f, PIT_CTRL, 0x34);
    write_count16(f, 0, 2000);
    outb(f, PIT_CTRL, 0xb6);
    write_count16(f, 2, 600);
    outb(f, PORT61, 0x0b);
    f->mark = now_ns();
    at_tick(f, 250);
    outb(f, PIT_CTRL, 0x74);
    outb(f, PIT_CH(1), 0x99);       /* half a count written */
    outb(f, PIT_CTRL, 0x00);        /* counter 0 latched, not read */
    device_save(pit_device(f), stream);

    device_list_reset(f->m->devices, RESET_HARD);
    g_assert_cmphex(inb(f, PORT61) & 0x0f, ==, 0x00);

    g_assert_true(device_load(pit_device(f), stream->data, stream->len, &err));
    g_assert_no_error(err);
    g_assert_cmphex(inb(f, PORT61) & 0x0f, ==, 0x0b);
    at_tick(f, 400);
    /* The latch taken before saving is what comes out. */
    g_assert_cmpuint(read16(f, 0), ==, 2000 - 250 % 2000);
    g_assert_cmpuint(latch_read16(f, 2), ==, 600 - 2 * (400 % 300));
    g_assert_cmphex(read_status(f, 2), ==, 0x36);   /* mid low half cycle, OUT low */
    /* The flip-flop: the next byte to counter 1 completes its count. */
    outb(f, PIT_CH(1), 0x00);
    g_assert_cmphex(read_status(f, 1) & 0x3f, ==, 0x34);
    /* IRQ 0's timer was rebuilt. */
    raises = f->raises;
    at_tick(f, 400 + 2000 * 3);
    g_assert_cmpuint(f->raises - raises, ==, 3);
}

static void test_load_truncated(Fixture *f, gconstpointer data)
{
    g_autoptr(GByteArray) stream = g_byte_array_new();

    device_save(pit_device(f), stream);
    for (guint len = 0; len < stream->len; len++) {
        g_autoptr(GError) err = NULL;

        g_assert_false(device_load(pit_device(f), stream->data, len, &err));
        g_assert_nonnull(err);
    }
}

static size_t field_size(const StateField *x)
{
    switch (x->type) {
    case STATE_UINT16: return 2;
    case STATE_UINT32: case STATE_INT32: return 4;
    case STATE_UINT64: case STATE_INT64: return 8;
    case STATE_BUFFER: return x->size;
    default: return 1;
    }
}

/* Payload offset of `field` in counter `elem`. */
static size_t channel_field_offset(const StateDescription *sd, int elem, const char *field)
{
    const StateDescription *sub = sd->fields[0].sub;
    size_t elem_size = 0, off = 0;
    bool found = false;

    g_assert_cmpint(sd->fields[0].type, ==, STATE_STRUCT);
    for (const StateField *y = sub->fields; y->type != STATE_END; y++) {
        if (strcmp(y->name, field) == 0) {
            off = elem_size;
            found = true;
        }
        elem_size += field_size(y);
    }
    g_assert_true(found);
    return elem * elem_size + off;
}

static void test_load_rejects_bad_state(Fixture *f, gconstpointer data)
{
    static const struct { int elem; const char *field; uint32_t value; int bytes; } bad[] = {
        { 0, "control", 0x40, 1 }, { 1, "control", 0x04, 1 }, { 2, "phase", 3, 1 },
        { 0, "latch_state", 4, 1 }, { 1, "cr", 0, 4 }, { 2, "cr", 65537, 4 }, { 0, "count", 0, 4 },
        { 1, "gate", 0, 1 }, { 2, "paused", 7, 1 },
    };
    const StateDescription *sd = pit_device(f)->cls->state;

    for (size_t b = 0; b < G_N_ELEMENTS(bad); b++) {
        g_autoptr(GByteArray) stream = g_byte_array_new();
        g_autoptr(GByteArray) payload = g_byte_array_new();
        g_autoptr(GError) err = NULL;
        size_t at;

        device_save(pit_device(f), stream);
        state_save_fields(sd, f->pit, payload);
        at = stream->len - 1 - payload->len + channel_field_offset(sd, bad[b].elem, bad[b].field);
        for (int i = 0; i < bad[b].bytes; i++) {
            stream->data[at + i] = bad[b].value >> (8 * i);
        }
        g_assert_false(device_load(pit_device(f), stream->data, stream->len, &err));
        g_assert_nonnull(err);
        g_test_message("ch[%d].%s=%u refused: %s", bad[b].elem, bad[b].field, bad[b].value,
                       err->message);
        device_list_reset(f->m->devices, RESET_HARD);
    }
}

static void test_garbage(Fixture *f, gconstpointer data)
{
    static const uint16_t ports[] = { 0x40, 0x41, 0x42, 0x43, 0x43, 0x61 };
    guint32 seed = 0x8254;

    for (int i = 0; i < 20000; i++) {
        uint16_t port = ports[(seed >> 8) % G_N_ELEMENTS(ports)];
        uint64_t v;

        seed = seed * 1103515245 + 12345;
        if (seed & 0x10000) {
            as_write(f->m->io, port, 1, seed >> 24);
        } else {
            as_read(f->m->io, port, 1, &v);
        }
        if ((seed & 0xf00000) == 0) {
            clock_virtual_advance_to(now_ns() + (seed >> 24) * 1000);
        }
    }
    /* Still works. */
    outb(f, PIT_CTRL, 0x34);
    write_count16(f, 0, 100);
    {
        unsigned raises = f->raises;
        at_tick(f, 1000);
        g_assert_cmpuint(f->raises - raises, ==, 10);
    }
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    clock_set_manual(true);

#define ADD(name, fn) g_test_add("/i8254/" name, Fixture, NULL, fixture_setup, fn, fixture_teardown)
    ADD("power-on", test_power_on);
    ADD("mode2-rate-generator", test_mode2_rate_generator);
    ADD("mode0-one-shot", test_mode0_one_shot);
    ADD("mode0-gate-pauses", test_mode0_gate_pauses);
    ADD("mode3-square-wave-gate", test_mode3_square_wave_gate);
    ADD("mode1-mode5-triggers", test_mode1_and_mode5_triggers);
    ADD("mode4-strobe", test_mode4_strobe);
    ADD("latch", test_latch);
    ADD("read-back", test_read_back);
    ADD("bcd", test_bcd);
    ADD("port61", test_port61);
    ADD("wide-access", test_wide_access);
    ADD("save-load", test_save_load);
    ADD("load-truncated", test_load_truncated);
    ADD("load-rejects-bad-state", test_load_rejects_bad_state);
    ADD("garbage", test_garbage);
#undef ADD
    return g_test_run();
}
