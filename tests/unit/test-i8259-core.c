/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * i8259 pair tests without an emulator process: a bare Machine with the
 * PIC pair, programmed through m->io as a CPU would, its input lines set
 * directly, INTR recorded, and INTA run with i8259_intack.
 */
#include <glib.h>
#include <string.h>

#include "hw/core/clock.h"
#include "hw/core/machine.h"
#include "hw/intc/i8259.h"

#define MASTER_CMD  0x20
#define MASTER_DATA 0x21
#define SLAVE_CMD   0xa0
#define SLAVE_DATA  0xa1
#define ELCR1       0x4d0
#define ELCR2       0x4d1

#define MASTER_BASE 0x08
#define SLAVE_BASE  0x70

#define OCW3_READ_IRR 0x0a
#define OCW3_READ_ISR 0x0b
#define OCW3_POLL     0x0c
#define OCW2_EOI      0x20

typedef struct Fixture {
    Machine *m;
    IrqLine *intr;
    int intr_level;
    unsigned intr_changes;
    PICState *pic;
} Fixture;

static void intr_record(void *opaque, int n, int level)
{
    Fixture *f = opaque;

    f->intr_level = level;
    f->intr_changes++;
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

/* The PC BIOS programming: edge, cascade, 8086 mode, optionally more ICW4 bits. */
static void init_pics(Fixture *f, uint8_t master_icw4, uint8_t slave_icw4)
{
    outb(f, MASTER_CMD, 0x11);
    outb(f, MASTER_DATA, MASTER_BASE);
    outb(f, MASTER_DATA, 0x04);
    outb(f, MASTER_DATA, master_icw4);
    outb(f, SLAVE_CMD, 0x11);
    outb(f, SLAVE_DATA, SLAVE_BASE);
    outb(f, SLAVE_DATA, 0x02);
    outb(f, SLAVE_DATA, slave_icw4);
}

static void set_irq(Fixture *f, int n, int level)
{
    irq_set(i8259_inputs(f->pic)[n], level);
}

static uint8_t read_isr(Fixture *f, uint16_t cmd)
{
    outb(f, cmd, OCW3_READ_ISR);
    return inb(f, cmd);
}

static uint8_t read_irr(Fixture *f, uint16_t cmd)
{
    outb(f, cmd, OCW3_READ_IRR);
    return inb(f, cmd);
}

static void fixture_setup(Fixture *f, gconstpointer data)
{
    memset(f, 0, sizeof(*f));
    f->m = machine_new(1ull << 32);
    f->intr = irq_new(intr_record, f, 0);
    f->pic = i8259_create(f->m, f->intr);
    device_list_reset(f->m->devices, RESET_POWER_ON);
    init_pics(f, 0x01, 0x01);
}

static void fixture_teardown(Fixture *f, gconstpointer data)
{
    machine_free(f->m);
    irq_free(f->intr);
}

static void test_init_sequence(Fixture *f, gconstpointer data)
{
    /* ICW1 clears the IMR; OCW1 then sets it. */
    g_assert_cmphex(inb(f, MASTER_DATA), ==, 0x00);
    outb(f, MASTER_DATA, 0xfb);
    outb(f, SLAVE_DATA, 0xff);
    g_assert_cmphex(inb(f, MASTER_DATA), ==, 0xfb);
    g_assert_cmphex(inb(f, SLAVE_DATA), ==, 0xff);
    outb(f, MASTER_CMD, 0x11);
    g_assert_cmphex(inb(f, MASTER_DATA), ==, 0x00);
    /* Until the sequence ends, data writes are ICWs, not the IMR. */
    outb(f, MASTER_DATA, 0x20);
    outb(f, MASTER_DATA, 0x04);
    g_assert_cmphex(inb(f, MASTER_DATA), ==, 0x00);
    outb(f, MASTER_DATA, 0x01);
    outb(f, MASTER_DATA, 0x5a);
    g_assert_cmphex(inb(f, MASTER_DATA), ==, 0x5a);
    outb(f, MASTER_DATA, 0x00);
    set_irq(f, 1, 1);
    g_assert_cmpint(f->intr_level, ==, 1);
    g_assert_cmpint(i8259_intack(f->pic), ==, 0x21);
    /* ICW2's low three bits are the level, not part of the base. */
    outb(f, MASTER_CMD, 0x13);      /* single, ICW4 */
    outb(f, MASTER_DATA, 0x47);
    outb(f, MASTER_DATA, 0x01);     /* no ICW3 in single mode: this is ICW4 */
    outb(f, MASTER_DATA, 0x00);     /* and this OCW1 */
    set_irq(f, 1, 0);
    set_irq(f, 1, 1);
    g_assert_cmpint(i8259_intack(f->pic), ==, 0x41);
}

static void test_priority_and_eoi(Fixture *f, gconstpointer data)
{
    g_assert_cmpint(f->intr_level, ==, 0);
    set_irq(f, 5, 1);
    set_irq(f, 3, 1);
    g_assert_true(i8259_intr_pending(f->pic));
    g_assert_cmpint(f->intr_level, ==, 1);
    g_assert_cmphex(read_irr(f, MASTER_CMD), ==, 0x28);
    /* IR3 beats IR5 and stays in service, blocking IR5 (fully nested). */
    g_assert_cmpint(i8259_intack(f->pic), ==, MASTER_BASE + 3);
    g_assert_cmphex(read_isr(f, MASTER_CMD), ==, 0x08);
    g_assert_cmphex(read_irr(f, MASTER_CMD), ==, 0x20);
    g_assert_cmpint(f->intr_level, ==, 0);
    /* A higher level than the one in service interrupts it. */
    set_irq(f, 1, 1);
    g_assert_cmpint(f->intr_level, ==, 1);
    g_assert_cmpint(i8259_intack(f->pic), ==, MASTER_BASE + 1);
    g_assert_cmphex(read_isr(f, MASTER_CMD), ==, 0x0a);
    /* Non-specific EOI ends the highest priority one (IR1), still IR3 blocks IR5. */
    outb(f, MASTER_CMD, OCW2_EOI);
    g_assert_cmphex(read_isr(f, MASTER_CMD), ==, 0x08);
    g_assert_cmpint(f->intr_level, ==, 0);
    outb(f, MASTER_CMD, OCW2_EOI);
    g_assert_cmphex(read_isr(f, MASTER_CMD), ==, 0x00);
    g_assert_cmpint(f->intr_level, ==, 1);
    g_assert_cmpint(i8259_intack(f->pic), ==, MASTER_BASE + 5);
    /* Specific EOI. */
    outb(f, MASTER_CMD, 0x60 | 5);
    g_assert_cmphex(read_isr(f, MASTER_CMD), ==, 0x00);
    /* An edge request is latched once: the line still high asks nothing more. */
    g_assert_cmpint(f->intr_level, ==, 0);
    g_assert_cmphex(read_irr(f, MASTER_CMD), ==, 0x00);
}

static void test_mask(Fixture *f, gconstpointer data)
{
    outb(f, MASTER_DATA, 0x10);
    set_irq(f, 4, 1);
    g_assert_cmpint(f->intr_level, ==, 0);
    g_assert_cmphex(read_irr(f, MASTER_CMD), ==, 0x10);  /* IRR is not masked */
    outb(f, MASTER_DATA, 0x00);
    g_assert_cmpint(f->intr_level, ==, 1);
    outb(f, MASTER_DATA, 0x10);
    g_assert_cmpint(f->intr_level, ==, 0);
    /* Masking IR2 hides the whole slave. */
    outb(f, MASTER_DATA, 0x14);
    set_irq(f, 9, 1);
    g_assert_cmpint(f->intr_level, ==, 0);
    outb(f, MASTER_DATA, 0x10);
    g_assert_cmpint(f->intr_level, ==, 1);
    g_assert_cmpint(i8259_intack(f->pic), ==, SLAVE_BASE + 1);
}

static void test_poll(Fixture *f, gconstpointer data)
{
    set_irq(f, 6, 1);
    set_irq(f, 4, 1);
    outb(f, MASTER_CMD, OCW3_POLL);
    g_assert_cmphex(inb(f, MASTER_CMD), ==, 0x84);
    g_assert_cmphex(read_isr(f, MASTER_CMD), ==, 0x10);
    /* Poll is one-shot: the next read is a register again (OCW3 kept ISR selected). */
    g_assert_cmphex(inb(f, MASTER_CMD), ==, 0x10);
    outb(f, MASTER_CMD, OCW2_EOI);
    outb(f, MASTER_CMD, OCW3_POLL);
    g_assert_cmphex(inb(f, MASTER_DATA), ==, 0x86);     /* either port */
    outb(f, MASTER_CMD, OCW2_EOI);
    /* Nothing requesting: I bit clear, level 7, nothing in service. */
    outb(f, MASTER_CMD, OCW3_POLL);
    g_assert_cmphex(inb(f, MASTER_CMD), ==, 0x07);
    g_assert_cmphex(read_isr(f, MASTER_CMD), ==, 0x00);
    /* Polling the slave directly. */
    set_irq(f, 14, 1);
    outb(f, SLAVE_CMD, OCW3_POLL);
    g_assert_cmphex(inb(f, SLAVE_CMD), ==, 0x86);
    g_assert_cmphex(read_isr(f, SLAVE_CMD), ==, 0x40);
}

static void test_spurious_master(Fixture *f, gconstpointer data)
{
    outb(f, ELCR1, 0x20);               /* IRQ5 level triggered */
    set_irq(f, 5, 1);
    g_assert_cmpint(f->intr_level, ==, 1);
    set_irq(f, 5, 0);
    g_assert_cmpint(f->intr_level, ==, 0);
    g_assert_cmphex(read_irr(f, MASTER_CMD), ==, 0x00);
    g_assert_cmpint(i8259_intack(f->pic), ==, MASTER_BASE + 7);
    g_assert_cmphex(read_isr(f, MASTER_CMD), ==, 0x00);
    /* Edge triggered: the latched request survives the line falling (as QEMU). */
    set_irq(f, 3, 1);
    set_irq(f, 3, 0);
    g_assert_cmpint(i8259_intack(f->pic), ==, MASTER_BASE + 3);
    /* A level request is not cleared by INTA; it stays while the line is high. */
    outb(f, MASTER_CMD, OCW2_EOI);
    set_irq(f, 5, 1);
    g_assert_cmpint(i8259_intack(f->pic), ==, MASTER_BASE + 5);
    g_assert_cmphex(read_irr(f, MASTER_CMD), ==, 0x20);
    outb(f, MASTER_CMD, OCW2_EOI);
    g_assert_cmpint(f->intr_level, ==, 1);
    set_irq(f, 5, 0);
    g_assert_cmpint(f->intr_level, ==, 0);
}

static void test_spurious_slave(Fixture *f, gconstpointer data)
{
    outb(f, ELCR2, 0x04);               /* IRQ10 level triggered */
    set_irq(f, 10, 1);
    g_assert_cmphex(read_irr(f, MASTER_CMD), ==, 0x04);
    set_irq(f, 10, 0);
    /* The master latched the cascade edge; the slave has nothing: IRQ15 vector. */
    g_assert_cmpint(f->intr_level, ==, 1);
    g_assert_cmpint(i8259_intack(f->pic), ==, SLAVE_BASE + 7);
    g_assert_cmphex(read_isr(f, SLAVE_CMD), ==, 0x00);
    g_assert_cmphex(read_isr(f, MASTER_CMD), ==, 0x04);
    outb(f, MASTER_CMD, OCW2_EOI);
    g_assert_cmphex(read_isr(f, MASTER_CMD), ==, 0x00);
}

static void test_cascade(Fixture *f, gconstpointer data)
{
    set_irq(f, 12, 1);
    set_irq(f, 4, 1);
    /* IR2 (the slave) has priority over IR4. */
    g_assert_cmpint(i8259_intack(f->pic), ==, SLAVE_BASE + 4);
    g_assert_cmphex(read_isr(f, MASTER_CMD), ==, 0x04);
    g_assert_cmphex(read_isr(f, SLAVE_CMD), ==, 0x10);
    g_assert_cmpint(f->intr_level, ==, 0);
    /* A higher slave level is blocked by the master's IR2 in service (not SFNM). */
    set_irq(f, 9, 1);
    g_assert_cmpint(f->intr_level, ==, 0);
    outb(f, SLAVE_CMD, OCW2_EOI);
    outb(f, MASTER_CMD, OCW2_EOI);
    g_assert_cmpint(f->intr_level, ==, 1);
    g_assert_cmpint(i8259_intack(f->pic), ==, SLAVE_BASE + 1);
    outb(f, SLAVE_CMD, OCW2_EOI);
    outb(f, MASTER_CMD, OCW2_EOI);
    g_assert_cmpint(i8259_intack(f->pic), ==, MASTER_BASE + 4);
}

static void test_special_fully_nested(Fixture *f, gconstpointer data)
{
    init_pics(f, 0x11, 0x01);
    set_irq(f, 12, 1);
    g_assert_cmpint(i8259_intack(f->pic), ==, SLAVE_BASE + 4);
    /* SFNM: a higher priority slave request gets through IR2 in service ... */
    set_irq(f, 9, 1);
    g_assert_cmpint(f->intr_level, ==, 1);
    g_assert_cmpint(i8259_intack(f->pic), ==, SLAVE_BASE + 1);
    g_assert_cmphex(read_isr(f, SLAVE_CMD), ==, 0x12);
    /* ... but lower master levels stay blocked. */
    set_irq(f, 5, 1);
    g_assert_cmpint(f->intr_level, ==, 0);
}

static void test_rotation(Fixture *f, gconstpointer data)
{
    /* Rotate on non-specific EOI: the level just served becomes the lowest. */
    set_irq(f, 3, 1);
    g_assert_cmpint(i8259_intack(f->pic), ==, MASTER_BASE + 3);
    outb(f, MASTER_CMD, 0xa0);
    set_irq(f, 3, 0);
    set_irq(f, 3, 1);
    set_irq(f, 6, 1);
    g_assert_cmpint(i8259_intack(f->pic), ==, MASTER_BASE + 6);
    outb(f, MASTER_CMD, OCW2_EOI);
    g_assert_cmpint(i8259_intack(f->pic), ==, MASTER_BASE + 3);
    outb(f, MASTER_CMD, OCW2_EOI);
    /* Set priority: L = 5 lowest, so 6 is highest: 6 beats 1. */
    outb(f, MASTER_CMD, 0xc0 | 5);
    set_irq(f, 6, 0);
    set_irq(f, 6, 1);
    set_irq(f, 1, 1);
    g_assert_cmpint(i8259_intack(f->pic), ==, MASTER_BASE + 6);
    /* Rotate on specific EOI of 6: 7 becomes highest, 1 still after 6. */
    outb(f, MASTER_CMD, 0xe0 | 6);
    g_assert_cmphex(read_isr(f, MASTER_CMD), ==, 0x00);
    set_irq(f, 7, 1);
    g_assert_cmpint(i8259_intack(f->pic), ==, MASTER_BASE + 7);
    outb(f, MASTER_CMD, OCW2_EOI);
    g_assert_cmpint(i8259_intack(f->pic), ==, MASTER_BASE + 1);
    outb(f, MASTER_CMD, OCW2_EOI);
}

static void test_auto_eoi(Fixture *f, gconstpointer data)
{
    init_pics(f, 0x03, 0x01);
    set_irq(f, 4, 1);
    set_irq(f, 6, 1);
    g_assert_cmpint(i8259_intack(f->pic), ==, MASTER_BASE + 4);
    g_assert_cmphex(read_isr(f, MASTER_CMD), ==, 0x00);
    g_assert_cmpint(f->intr_level, ==, 1);           /* nothing in service blocks 6 */
    /* Rotate in AEOI mode: after serving 6, 7 is highest. */
    outb(f, MASTER_CMD, 0x80);
    g_assert_cmpint(i8259_intack(f->pic), ==, MASTER_BASE + 6);
    set_irq(f, 0, 1);
    set_irq(f, 7, 1);
    g_assert_cmpint(i8259_intack(f->pic), ==, MASTER_BASE + 7);
    g_assert_cmpint(i8259_intack(f->pic), ==, MASTER_BASE + 0);
    /* Rotate in AEOI clear: priority stays where it is. */
    outb(f, MASTER_CMD, 0x00);
    set_irq(f, 0, 0);
    set_irq(f, 0, 1);
    set_irq(f, 3, 1);
    g_assert_cmpint(i8259_intack(f->pic), ==, MASTER_BASE + 3);
}

static void test_special_mask_mode(Fixture *f, gconstpointer data)
{
    set_irq(f, 3, 1);
    g_assert_cmpint(i8259_intack(f->pic), ==, MASTER_BASE + 3);
    set_irq(f, 5, 1);
    g_assert_cmpint(f->intr_level, ==, 0);
    /* Mask the level in service and enter special mask mode: lower levels get through. */
    outb(f, MASTER_DATA, 0x08);
    outb(f, MASTER_CMD, 0x68);
    g_assert_cmpint(f->intr_level, ==, 1);
    g_assert_cmpint(i8259_intack(f->pic), ==, MASTER_BASE + 5);
    g_assert_cmphex(read_isr(f, MASTER_CMD), ==, 0x28);
    /* A non-specific EOI skips the masked in-service level 3. */
    outb(f, MASTER_CMD, OCW2_EOI);
    g_assert_cmphex(read_isr(f, MASTER_CMD), ==, 0x08);
    /* Leave special mask mode. */
    outb(f, MASTER_CMD, 0x48);
    outb(f, MASTER_CMD, OCW2_EOI);
    g_assert_cmphex(read_isr(f, MASTER_CMD), ==, 0x00);
}

static void test_elcr(Fixture *f, gconstpointer data)
{
    /* IRQ0-2 and IRQ8, IRQ13 are reserved and read 0. */
    outb(f, ELCR1, 0xff);
    outb(f, ELCR2, 0xff);
    g_assert_cmphex(inb(f, ELCR1), ==, 0xf8);
    g_assert_cmphex(inb(f, ELCR2), ==, 0xde);
    {
        uint64_t v;
        g_assert_true(as_read(f->m->io, ELCR1, 2, &v));
        g_assert_cmphex(v, ==, 0xdef8);
        g_assert_true(as_write(f->m->io, ELCR1, 2, 0x0c20));
    }
    g_assert_cmphex(inb(f, ELCR1), ==, 0x20);
    g_assert_cmphex(inb(f, ELCR2), ==, 0x0c);
    /* Switching to level mode makes the IRR bit the line level at once ... */
    set_irq(f, 7, 1);
    set_irq(f, 7, 0);
    g_assert_cmphex(read_irr(f, MASTER_CMD), ==, 0x80);
    outb(f, ELCR1, 0xa0);
    g_assert_cmphex(read_irr(f, MASTER_CMD), ==, 0x00);
    set_irq(f, 7, 1);
    g_assert_cmphex(read_irr(f, MASTER_CMD), ==, 0x80);
    /* ... and switching back to edge keeps what is latched. */
    outb(f, ELCR1, 0x20);
    set_irq(f, 7, 0);
    g_assert_cmphex(read_irr(f, MASTER_CMD), ==, 0x80);
    i8259_set_elcr(f->pic, 0xffff);
    g_assert_cmphex(inb(f, ELCR1), ==, 0xf8);
    g_assert_cmphex(inb(f, ELCR2), ==, 0xde);
    /* Reset restores the board's value. */
    outb(f, ELCR1, 0x00);
    device_list_reset(f->m->devices, RESET_HARD);
    g_assert_cmphex(inb(f, ELCR1), ==, 0xf8);
}

static void test_reset(Fixture *f, gconstpointer data)
{
    outb(f, MASTER_DATA, 0xf0);
    set_irq(f, 1, 1);
    g_assert_cmpint(i8259_intack(f->pic), ==, MASTER_BASE + 1);
    device_list_reset(f->m->devices, RESET_HARD);
    g_assert_cmphex(inb(f, MASTER_DATA), ==, 0x00);
    g_assert_cmphex(read_isr(f, MASTER_CMD), ==, 0x00);
    g_assert_cmpint(f->intr_level, ==, 0);
    /* The line is still high but an edge input needs a new rising edge. */
    g_assert_cmphex(read_irr(f, MASTER_CMD), ==, 0x00);
}

/* ---- save / load ---- */

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

static size_t desc_size(const StateDescription *sd);

static size_t entry_size(const StateField *x)
{
    size_t n = x->count > 1 ? x->count : 1;

    return n * (x->type == STATE_STRUCT ? desc_size(x->sub) : field_size(x));
}

static size_t desc_size(const StateDescription *sd)
{
    size_t total = 0;

    for (const StateField *x = sd->fields; x->type != STATE_END; x++) {
        total += entry_size(x);
    }
    return total;
}

/* Payload offset of `field` in element `elem` of the top-level struct array `array`. */
static size_t payload_offset(const StateDescription *sd, const char *array, int elem, const char *field)
{
    size_t off = 0;

    for (const StateField *x = sd->fields; x->type != STATE_END; x++) {
        if (strcmp(x->name, array) == 0) {
            const StateDescription *sub = x->sub;

            off += elem * desc_size(sub);
            for (const StateField *y = sub->fields; y->type != STATE_END; y++) {
                if (strcmp(y->name, field) == 0) {
                    return off;
                }
                off += entry_size(y);
            }
            g_assert_not_reached();
        }
        off += entry_size(x);
    }
    g_assert_not_reached();
}

static Device *pic_device(Fixture *f)
{
    return device_find(f->m->devices, "pic");
}

static void test_save_load(Fixture *f, gconstpointer data)
{
    g_autoptr(GByteArray) stream = g_byte_array_new();
    g_autoptr(GError) err = NULL;
    uint8_t before[8];

    outb(f, ELCR2, 0x08);
    outb(f, MASTER_DATA, 0x80);
    outb(f, SLAVE_DATA, 0x40);
    set_irq(f, 3, 1);
    set_irq(f, 5, 1);
    g_assert_cmpint(i8259_intack(f->pic), ==, MASTER_BASE + 3);
    set_irq(f, 11, 1);
    outb(f, MASTER_CMD, 0xc0 | 1);      /* IR2 highest */
    before[0] = read_irr(f, MASTER_CMD);
    before[1] = read_isr(f, MASTER_CMD);
    before[2] = read_irr(f, SLAVE_CMD);
    before[3] = read_isr(f, SLAVE_CMD);
    before[4] = inb(f, MASTER_DATA);
    before[5] = inb(f, SLAVE_DATA);
    before[6] = inb(f, ELCR1);
    before[7] = inb(f, ELCR2);
    outb(f, MASTER_CMD, OCW3_READ_ISR);
    device_save(pic_device(f), stream);

    device_list_reset(f->m->devices, RESET_HARD);
    g_assert_cmphex(inb(f, SLAVE_DATA), ==, 0x00);
    g_assert_cmpint(f->intr_level, ==, 0);

    g_assert_true(device_load(pic_device(f), stream->data, stream->len, &err));
    g_assert_no_error(err);
    g_assert_cmphex(inb(f, MASTER_CMD), ==, before[1]);     /* OCW3 selection restored */
    g_assert_cmphex(read_irr(f, MASTER_CMD), ==, before[0]);
    g_assert_cmphex(read_isr(f, MASTER_CMD), ==, before[1]);
    g_assert_cmphex(read_irr(f, SLAVE_CMD), ==, before[2]);
    g_assert_cmphex(read_isr(f, SLAVE_CMD), ==, before[3]);
    g_assert_cmphex(inb(f, MASTER_DATA), ==, before[4]);
    g_assert_cmphex(inb(f, SLAVE_DATA), ==, before[5]);
    g_assert_cmphex(inb(f, ELCR1), ==, before[6]);
    g_assert_cmphex(inb(f, ELCR2), ==, before[7]);
    /* INTR re-driven, and the rotated priority and vectors survived: IR2 -> IRQ11 first. */
    g_assert_cmpint(f->intr_level, ==, 1);
    g_assert_cmpint(i8259_intack(f->pic), ==, SLAVE_BASE + 3);
}

static void test_load_truncated(Fixture *f, gconstpointer data)
{
    g_autoptr(GByteArray) stream = g_byte_array_new();

    outb(f, MASTER_DATA, 0x55);
    device_save(pic_device(f), stream);
    for (guint len = 0; len < stream->len; len++) {
        g_autoptr(GError) err = NULL;

        g_assert_false(device_load(pic_device(f), stream->data, len, &err));
        g_assert_nonnull(err);
    }
}

static void test_load_rejects_bad_state(Fixture *f, gconstpointer data)
{
    static const struct { int elem; const char *field; uint8_t value; } bad[] = {
        { 0, "init_step", 1 }, { 1, "init_step", 9 }, { 0, "highest", 8 }, { 1, "highest", 0xff },
        { 0, "elcr", 0x01 }, { 1, "elcr", 0x01 }, { 1, "elcr", 0x20 }, { 0, "vector_base", 0x09 },
        { 0, "icw1", 0x40 }, { 1, "icw4", 0x80 }, { 0, "read_isr", 2 },
    };
    const StateDescription *sd = pic_device(f)->cls->state;

    for (size_t b = 0; b < G_N_ELEMENTS(bad); b++) {
        g_autoptr(GByteArray) stream = g_byte_array_new();
        g_autoptr(GByteArray) payload = g_byte_array_new();
        g_autoptr(GError) err = NULL;
        size_t base;

        device_save(pic_device(f), stream);
        state_save_fields(sd, f->pic, payload);
        g_assert_cmpuint(payload->len, ==, desc_size(sd));
        base = stream->len - 1 - payload->len;
        stream->data[base + payload_offset(sd, "chip", bad[b].elem, bad[b].field)] = bad[b].value;
        g_assert_false(device_load(pic_device(f), stream->data, stream->len, &err));
        g_assert_nonnull(err);
        g_test_message("chip[%d].%s=%u refused: %s", bad[b].elem, bad[b].field, bad[b].value,
                       err->message);
        device_list_reset(f->m->devices, RESET_HARD);
    }
}

/* Guest garbage everywhere: nothing crashes and the pair can be programmed afterwards. */
static void test_garbage(Fixture *f, gconstpointer data)
{
    static const uint16_t ports[] = { MASTER_CMD, MASTER_DATA, SLAVE_CMD, SLAVE_DATA, ELCR1, ELCR2 };
    guint32 seed = 0x8259;

    for (int i = 0; i < 20000; i++) {
        uint16_t port = ports[(seed >> 8) % G_N_ELEMENTS(ports)];
        uint64_t v;

        seed = seed * 1103515245 + 12345;
        if (seed & 0x10000) {
            as_write(f->m->io, port, 1, seed >> 24);
        } else {
            as_read(f->m->io, port, 1, &v);
        }
        if ((seed & 0x700000) == 0) {
            set_irq(f, (seed >> 12) & 15, (seed >> 3) & 1);
        }
        if ((seed & 0x3f000) == 0) {
            i8259_intack(f->pic);
        }
    }
    for (int n = 0; n < 16; n++) {
        set_irq(f, n, 0);
    }
    outb(f, ELCR1, 0);
    outb(f, ELCR2, 0);
    init_pics(f, 0x01, 0x01);
    set_irq(f, 10, 1);
    g_assert_cmpint(i8259_intack(f->pic), ==, SLAVE_BASE + 2);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    clock_set_manual(true);

#define ADD(name, fn) g_test_add("/i8259/" name, Fixture, NULL, fixture_setup, fn, fixture_teardown)
    ADD("init-sequence", test_init_sequence);
    ADD("priority-and-eoi", test_priority_and_eoi);
    ADD("mask", test_mask);
    ADD("poll", test_poll);
    ADD("spurious-master", test_spurious_master);
    ADD("spurious-slave", test_spurious_slave);
    ADD("cascade", test_cascade);
    ADD("special-fully-nested", test_special_fully_nested);
    ADD("rotation", test_rotation);
    ADD("auto-eoi", test_auto_eoi);
    ADD("special-mask-mode", test_special_mask_mode);
    ADD("elcr", test_elcr);
    ADD("reset", test_reset);
    ADD("save-load", test_save_load);
    ADD("load-truncated", test_load_truncated);
    ADD("load-rejects-bad-state", test_load_rejects_bad_state);
    ADD("garbage", test_garbage);
#undef ADD
    return g_test_run();
}
