/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * ioreq/ without Xen: request flattening (rep, df, data_is_ptr, sizes,
 * overflow, partial completion), the slot handshake and the buffered ring
 * parser, fed crafted requests and pages.
 */
#include <string.h>

#include <glib.h>

#include "hw/core/log.h"
#include "hw/core/machine.h"
#include "ioreq/ioreq.h"

#define PORT_BASE   0x100
#define MMIO_BASE   0x10000000ull
#define MMIO_SIZE   0x1000
#define RAM_SIZE    0x10000

typedef struct Call {
    bool is_write;
    uint64_t addr;
    unsigned size;
    uint64_t value;
} Call;

typedef struct Fixture {
    Machine *m;
    MemoryRegion *port, *mmio;
    uint8_t port_regs[8];
    uint8_t mmio_regs[MMIO_SIZE];
    uint64_t port_base_addr, mmio_base_addr;
    GArray *calls;              /* Call, both devices */
    uint8_t ram[RAM_SIZE];      /* guest RAM at gpa 0 */
    IoreqHandlers h;
    /* PCI config and the other callbacks */
    uint32_t pci_sbdf, pci_reg, pci_value;
    unsigned pci_size, pci_reads, pci_writes;
    int64_t timeoffset;
    unsigned invalidates, timeoffsets;
    unsigned after_calls;
    IoreqResult after_result;
    bool tamper;
    volatile ioreq_t *tamper_slot;
} Fixture;

static uint64_t regs_read(Fixture *f, uint8_t *regs, uint64_t base, uint64_t off, unsigned size)
{
    uint64_t v = 0;
    Call c = { false, base + off, size, 0 };

    for (unsigned i = 0; i < size; i++) {
        v |= (uint64_t)regs[off + i] << (8 * i);
    }
    c.value = v;
    g_array_append_val(f->calls, c);
    return v;
}

static void regs_write(Fixture *f, uint8_t *regs, uint64_t base, uint64_t off, uint64_t v, unsigned size)
{
    Call c = { true, base + off, size, v };

    for (unsigned i = 0; i < size; i++) {
        regs[off + i] = (uint8_t)(v >> (8 * i));
    }
    g_array_append_val(f->calls, c);
}

static uint64_t port_read(void *opaque, uint64_t off, unsigned size)
{
    Fixture *f = opaque;
    return regs_read(f, f->port_regs, PORT_BASE, off, size);
}

static void port_write(void *opaque, uint64_t off, uint64_t v, unsigned size)
{
    Fixture *f = opaque;
    regs_write(f, f->port_regs, PORT_BASE, off, v, size);
}

static uint64_t mmio_read(void *opaque, uint64_t off, unsigned size)
{
    Fixture *f = opaque;
    return regs_read(f, f->mmio_regs, MMIO_BASE, off, size);
}

static void mmio_write(void *opaque, uint64_t off, uint64_t v, unsigned size)
{
    Fixture *f = opaque;
    regs_write(f, f->mmio_regs, MMIO_BASE, off, v, size);
}

static const RegionOps port_ops = {
    .read = port_read, .write = port_write,
    .valid = { .min = 1, .max = 4, .unaligned = true }, .impl = { .min = 1, .max = 4 },
};

static const RegionOps mmio_ops = {
    .read = mmio_read, .write = mmio_write,
    .valid = { .min = 1, .max = 8, .unaligned = true }, .impl = { .min = 1, .max = 8 },
};

static bool ram_read_cb(void *opaque, uint64_t gpa, void *buf, size_t len)
{
    Fixture *f = opaque;

    if (gpa >= RAM_SIZE || len > RAM_SIZE - gpa) {
        return false;
    }
    memcpy(buf, f->ram + gpa, len);
    return true;
}

static bool ram_write_cb(void *opaque, uint64_t gpa, const void *buf, size_t len)
{
    Fixture *f = opaque;

    if (gpa >= RAM_SIZE || len > RAM_SIZE - gpa) {
        return false;
    }
    memcpy(f->ram + gpa, buf, len);
    return true;
}

static uint32_t pci_read_cb(void *opaque, uint32_t sbdf, uint32_t reg, unsigned size)
{
    Fixture *f = opaque;

    f->pci_sbdf = sbdf;
    f->pci_reg = reg;
    f->pci_size = size;
    f->pci_reads++;
    return 0xa5a5a5a5u;     /* the handler must mask to size */
}

static void pci_write_cb(void *opaque, uint32_t sbdf, uint32_t reg, uint32_t value, unsigned size)
{
    Fixture *f = opaque;

    f->pci_sbdf = sbdf;
    f->pci_reg = reg;
    f->pci_size = size;
    f->pci_value = value;
    f->pci_writes++;
}

static void invalidate_cb(void *opaque)
{
    ((Fixture *)opaque)->invalidates++;
}

static void timeoffset_cb(void *opaque, int64_t delta)
{
    Fixture *f = opaque;

    f->timeoffsets++;
    f->timeoffset = delta;
}

static Fixture *fixture_new(void)
{
    Fixture *f = g_new0(Fixture, 1);

    f->m = machine_new(1ull << 40);
    f->calls = g_array_new(FALSE, FALSE, sizeof(Call));
    for (unsigned i = 0; i < sizeof(f->port_regs); i++) {
        f->port_regs[i] = (uint8_t)(0x10 + i);
    }
    for (unsigned i = 0; i < MMIO_SIZE; i++) {
        f->mmio_regs[i] = (uint8_t)i;
    }
    f->port = mr_new_io("test-port", sizeof(f->port_regs), &port_ops, f);
    f->mmio = mr_new_io("test-mmio", MMIO_SIZE, &mmio_ops, f);
    mr_add_subregion(as_root(f->m->io), PORT_BASE, f->port, 0);
    mr_add_subregion(as_root(f->m->mem), MMIO_BASE, f->mmio, 0);
    f->h = (IoreqHandlers) {
        .io = f->m->io, .mem = f->m->mem,
        .ram_read = ram_read_cb, .ram_write = ram_write_cb,
        .pci_config_read = pci_read_cb, .pci_config_write = pci_write_cb,
        .invalidate = invalidate_cb, .timeoffset = timeoffset_cb,
        .opaque = f,
    };
    return f;
}

static void fixture_free(Fixture *f)
{
    mr_del_subregion(as_root(f->m->io), f->port);
    mr_del_subregion(as_root(f->m->mem), f->mmio);
    mr_free(f->port);
    mr_free(f->mmio);
    machine_free(f->m);
    g_array_free(f->calls, TRUE);
    g_free(f);
}

static Call *call(Fixture *f, unsigned i)
{
    g_assert_cmpuint(i, <, f->calls->len);
    return &g_array_index(f->calls, Call, i);
}

static ioreq_t mkreq(unsigned type, bool read, uint64_t addr, uint64_t data, unsigned size, unsigned count)
{
    ioreq_t r;

    memset(&r, 0, sizeof(r));
    r.type = (uint8_t)type;
    r.dir = read ? IOREQ_READ : IOREQ_WRITE;
    r.addr = addr;
    r.data = data;
    r.size = size;
    r.count = count;
    r.state = STATE_IOREQ_READY;
    return r;
}

/* ---- PIO ---- */

static void test_pio_scalar(void)
{
    Fixture *f = fixture_new();
    ioreq_t r;

    r = mkreq(IOREQ_TYPE_PIO, true, PORT_BASE + 1, 0xdeadbeefdeadbeefull, 1, 1);
    g_assert_cmpint(ioreq_handle(&f->h, &r), ==, IOREQ_RESULT_OK);
    g_assert_cmphex(r.data, ==, 0x11);

    r = mkreq(IOREQ_TYPE_PIO, true, PORT_BASE, 0, 2, 1);
    g_assert_cmpint(ioreq_handle(&f->h, &r), ==, IOREQ_RESULT_OK);
    g_assert_cmphex(r.data, ==, 0x1110);

    r = mkreq(IOREQ_TYPE_PIO, true, PORT_BASE + 4, 0, 4, 1);
    g_assert_cmpint(ioreq_handle(&f->h, &r), ==, IOREQ_RESULT_OK);
    g_assert_cmphex(r.data, ==, 0x17161514);

    /* A write uses only `size` bytes of data, whatever the upper bits hold. */
    r = mkreq(IOREQ_TYPE_PIO, false, PORT_BASE + 2, 0xffffffff0000abcdull, 2, 1);
    g_assert_cmpint(ioreq_handle(&f->h, &r), ==, IOREQ_RESULT_OK);
    g_assert_cmphex(f->port_regs[2], ==, 0xcd);
    g_assert_cmphex(f->port_regs[3], ==, 0xab);
    g_assert_cmphex(f->port_regs[4], ==, 0x14);
    g_assert_cmphex(call(f, 3)->value, ==, 0xabcd);

    /* Nothing at this port: all-ones, no device call. */
    r = mkreq(IOREQ_TYPE_PIO, true, 0x300, 0, 2, 1);
    g_assert_cmpint(ioreq_handle(&f->h, &r), ==, IOREQ_RESULT_OK);
    g_assert_cmphex(r.data, ==, 0xffff);
    g_assert_cmpuint(f->calls->len, ==, 4);
    fixture_free(f);
}

static void test_pio_bad_size(void)
{
    Fixture *f = fixture_new();
    static const unsigned sizes[] = { 0, 3, 5, 8, 16, 0xffffffffu };

    for (unsigned i = 0; i < G_N_ELEMENTS(sizes); i++) {
        ioreq_t r = mkreq(IOREQ_TYPE_PIO, true, PORT_BASE, 0x1234, sizes[i], 1);
        g_assert_cmpint(ioreq_handle(&f->h, &r), ==, IOREQ_RESULT_BAD_SIZE);
        g_assert_cmphex(r.data, ==, sizes[i] == 8 ? UINT64_MAX : UINT64_MAX);
        r = mkreq(IOREQ_TYPE_PIO, false, PORT_BASE, 0x1234, sizes[i], 1);
        g_assert_cmpint(ioreq_handle(&f->h, &r), ==, IOREQ_RESULT_BAD_SIZE);
    }
    g_assert_cmpuint(f->calls->len, ==, 0);
    fixture_free(f);
}

static void test_pio_rep_ins_outs(void)
{
    Fixture *f = fixture_new();
    ioreq_t r;

    /* rep insw, count 4: port -> RAM 0x1000, 0x1002, ... */
    f->port_regs[0] = 0x34;
    f->port_regs[1] = 0x12;
    r = mkreq(IOREQ_TYPE_PIO, true, PORT_BASE, 0x1000, 2, 4);
    r.data_is_ptr = 1;
    g_assert_cmpint(ioreq_handle(&f->h, &r), ==, IOREQ_RESULT_OK);
    g_assert_cmpuint(f->calls->len, ==, 4);
    for (unsigned i = 0; i < 4; i++) {
        g_assert_cmphex(f->ram[0x1000 + 2 * i], ==, 0x34);
        g_assert_cmphex(f->ram[0x1001 + 2 * i], ==, 0x12);
    }
    g_assert_cmphex(f->ram[0x1008], ==, 0);
    /* data_is_ptr: the pointer is not overwritten with a value */
    g_assert_cmphex(r.data, ==, 0x1000);

    /* rep outsb with df: RAM 0x2003, 0x2002, 0x2001 -> port, in that order */
    f->ram[0x2001] = 0xa1;
    f->ram[0x2002] = 0xa2;
    f->ram[0x2003] = 0xa3;
    g_array_set_size(f->calls, 0);
    r = mkreq(IOREQ_TYPE_PIO, false, PORT_BASE + 5, 0x2003, 1, 3);
    r.data_is_ptr = 1;
    r.df = 1;
    g_assert_cmpint(ioreq_handle(&f->h, &r), ==, IOREQ_RESULT_OK);
    g_assert_cmpuint(f->calls->len, ==, 3);
    g_assert_cmphex(call(f, 0)->value, ==, 0xa3);
    g_assert_cmphex(call(f, 1)->value, ==, 0xa2);
    g_assert_cmphex(call(f, 2)->value, ==, 0xa1);
    g_assert_true(call(f, 2)->is_write);
    g_assert_cmphex(call(f, 2)->addr, ==, PORT_BASE + 5);
    fixture_free(f);
}

static void test_pio_repeat_immediate(void)
{
    Fixture *f = fixture_new();
    ioreq_t r = mkreq(IOREQ_TYPE_PIO, false, PORT_BASE, 0x55, 1, 3);

    g_assert_cmpint(ioreq_handle(&f->h, &r), ==, IOREQ_RESULT_OK);
    g_assert_cmpuint(f->calls->len, ==, 3);
    fixture_free(f);
}

static void test_pio_ptr_outside_ram(void)
{
    Fixture *f = fixture_new();
    ioreq_t r;

    /* rep insd into the last 8 bytes of RAM and beyond: two elements land, then it stops. */
    r = mkreq(IOREQ_TYPE_PIO, true, PORT_BASE + 4, RAM_SIZE - 8, 4, 5);
    r.data_is_ptr = 1;
    g_assert_cmpint(ioreq_handle(&f->h, &r), ==, IOREQ_RESULT_BAD_PTR);
    g_assert_cmphex(f->ram[RAM_SIZE - 8], ==, 0x14);
    g_assert_cmphex(f->ram[RAM_SIZE - 1], ==, 0x17);
    g_assert_cmpuint(f->calls->len, ==, 3);     /* the third port read found no RAM to land in */

    /* rep outs from a pointer far outside RAM: nothing reaches the port. */
    g_array_set_size(f->calls, 0);
    r = mkreq(IOREQ_TYPE_PIO, false, PORT_BASE, 0xfffffffffff00000ull, 2, 2);
    r.data_is_ptr = 1;
    g_assert_cmpint(ioreq_handle(&f->h, &r), ==, IOREQ_RESULT_BAD_PTR);
    g_assert_cmpuint(f->calls->len, ==, 0);
    fixture_free(f);
}

static void test_count_checks(void)
{
    Fixture *f = fixture_new();
    ioreq_t r;

    r = mkreq(IOREQ_TYPE_PIO, true, PORT_BASE, 0, 1, 0);
    g_assert_cmpint(ioreq_handle(&f->h, &r), ==, IOREQ_RESULT_BAD_COUNT);
    g_assert_cmphex(r.data, ==, 0xff);

    /* count * size beyond the bound (and beyond 32 bits): refused before any access */
    r = mkreq(IOREQ_TYPE_COPY, false, MMIO_BASE, 0, 8, 0xffffffffu);
    g_assert_cmpint(ioreq_handle(&f->h, &r), ==, IOREQ_RESULT_BAD_COUNT);
    r = mkreq(IOREQ_TYPE_PIO, false, PORT_BASE, 0, 4, (IOREQ_MAX_REP_BYTES / 4) + 1);
    r.data_is_ptr = 1;
    g_assert_cmpint(ioreq_handle(&f->h, &r), ==, IOREQ_RESULT_BAD_COUNT);
    g_assert_cmpuint(f->calls->len, ==, 0);

    /* exactly at the bound is fine (a write of immediates to nowhere: cheap) */
    r = mkreq(IOREQ_TYPE_COPY, false, 0x20000000, 0, 8, IOREQ_MAX_REP_BYTES / 8);
    g_assert_cmpint(ioreq_handle(&f->h, &r), ==, IOREQ_RESULT_OK);
    fixture_free(f);
}

/* ---- COPY (MMIO) ---- */

static void test_copy_scalar_sizes(void)
{
    Fixture *f = fixture_new();
    ioreq_t r;

    r = mkreq(IOREQ_TYPE_COPY, true, MMIO_BASE + 0x10, 0, 8, 1);
    g_assert_cmpint(ioreq_handle(&f->h, &r), ==, IOREQ_RESULT_OK);
    g_assert_cmphex(r.data, ==, 0x1716151413121110ull);
    r = mkreq(IOREQ_TYPE_COPY, false, MMIO_BASE + 0x20, 0x0102030405060708ull, 8, 1);
    g_assert_cmpint(ioreq_handle(&f->h, &r), ==, IOREQ_RESULT_OK);
    g_assert_cmphex(f->mmio_regs[0x20], ==, 0x08);
    g_assert_cmphex(f->mmio_regs[0x27], ==, 0x01);
    r = mkreq(IOREQ_TYPE_COPY, false, MMIO_BASE + 0x30, 0x0102030405060708ull, 4, 1);
    g_assert_cmpint(ioreq_handle(&f->h, &r), ==, IOREQ_RESULT_OK);
    g_assert_cmphex(f->mmio_regs[0x33], ==, 0x05);
    g_assert_cmphex(f->mmio_regs[0x34], ==, 0x34);

    r = mkreq(IOREQ_TYPE_COPY, true, MMIO_BASE, 0, 16, 1);
    g_assert_cmpint(ioreq_handle(&f->h, &r), ==, IOREQ_RESULT_BAD_SIZE);
    g_assert_cmphex(r.data, ==, UINT64_MAX);
    fixture_free(f);
}

static void test_copy_rep_immediate(void)
{
    Fixture *f = fixture_new();
    ioreq_t r;

    /* rep read without pointer: every element is read, the last one wins */
    r = mkreq(IOREQ_TYPE_COPY, true, MMIO_BASE + 0x40, 0, 4, 3);
    g_assert_cmpint(ioreq_handle(&f->h, &r), ==, IOREQ_RESULT_OK);
    g_assert_cmpuint(f->calls->len, ==, 3);
    g_assert_cmphex(call(f, 0)->addr, ==, MMIO_BASE + 0x40);
    g_assert_cmphex(call(f, 2)->addr, ==, MMIO_BASE + 0x48);
    g_assert_cmphex(r.data, ==, 0x4b4a4948);

    /* same with df: descending */
    g_array_set_size(f->calls, 0);
    r = mkreq(IOREQ_TYPE_COPY, true, MMIO_BASE + 0x40, 0, 4, 3);
    r.df = 1;
    g_assert_cmpint(ioreq_handle(&f->h, &r), ==, IOREQ_RESULT_OK);
    g_assert_cmphex(call(f, 2)->addr, ==, MMIO_BASE + 0x38);
    g_assert_cmphex(r.data, ==, 0x3b3a3938);

    /* rep stosq */
    g_array_set_size(f->calls, 0);
    r = mkreq(IOREQ_TYPE_COPY, false, MMIO_BASE + 0x100, 0x1122334455667788ull, 8, 4);
    g_assert_cmpint(ioreq_handle(&f->h, &r), ==, IOREQ_RESULT_OK);
    g_assert_cmpuint(f->calls->len, ==, 4);
    for (unsigned i = 0; i < 4; i++) {
        g_assert_cmphex(f->mmio_regs[0x100 + 8 * i], ==, 0x88);
        g_assert_cmphex(f->mmio_regs[0x107 + 8 * i], ==, 0x11);
    }
    fixture_free(f);
}

static void test_copy_rep_ptr(void)
{
    Fixture *f = fixture_new();
    ioreq_t r;

    /* movs from MMIO to RAM (READ = device -> buffer), 2-byte elements */
    r = mkreq(IOREQ_TYPE_COPY, true, MMIO_BASE + 0x200, 0x3000, 2, 4);
    r.data_is_ptr = 1;
    g_assert_cmpint(ioreq_handle(&f->h, &r), ==, IOREQ_RESULT_OK);
    for (unsigned i = 0; i < 8; i++) {
        g_assert_cmphex(f->ram[0x3000 + i], ==, i);
    }

    /* movs from RAM to MMIO with df: both addresses go down together */
    for (unsigned i = 0; i < 12; i++) {
        f->ram[0x4000 + i] = (uint8_t)(0xc0 + i);
    }
    g_array_set_size(f->calls, 0);
    r = mkreq(IOREQ_TYPE_COPY, false, MMIO_BASE + 0x308, 0x4008, 4, 3);
    r.data_is_ptr = 1;
    r.df = 1;
    g_assert_cmpint(ioreq_handle(&f->h, &r), ==, IOREQ_RESULT_OK);
    g_assert_cmpuint(f->calls->len, ==, 3);
    g_assert_cmphex(call(f, 0)->addr, ==, MMIO_BASE + 0x308);
    g_assert_cmphex(call(f, 0)->value, ==, 0xcbcac9c8);
    g_assert_cmphex(call(f, 2)->addr, ==, MMIO_BASE + 0x300);
    g_assert_cmphex(call(f, 2)->value, ==, 0xc3c2c1c0);
    fixture_free(f);
}

static void test_copy_wrap(void)
{
    Fixture *f = fixture_new();
    ioreq_t r;

    /* Upwards: the first element ends exactly at 2^64 - 1, the second would wrap. */
    r = mkreq(IOREQ_TYPE_COPY, false, UINT64_MAX - 3, 7, 4, 2);
    g_assert_cmpint(ioreq_handle(&f->h, &r), ==, IOREQ_RESULT_WRAP);
    /* A first element that itself straddles the top is refused too. */
    r = mkreq(IOREQ_TYPE_COPY, true, UINT64_MAX - 1, 0, 4, 1);
    g_assert_cmpint(ioreq_handle(&f->h, &r), ==, IOREQ_RESULT_WRAP);

    /* Downwards with df from MMIO_BASE + 4: two elements, then the buffer pointer wraps below 0. */
    r = mkreq(IOREQ_TYPE_COPY, true, MMIO_BASE + 4, 4, 4, 3);
    r.data_is_ptr = 1;
    r.df = 1;
    g_assert_cmpint(ioreq_handle(&f->h, &r), ==, IOREQ_RESULT_WRAP);
    g_assert_cmpuint(f->calls->len, ==, 2);
    g_assert_cmphex(f->ram[4], ==, 0x04);
    g_assert_cmphex(f->ram[0], ==, 0x00);
    g_assert_cmphex(f->ram[3], ==, 0x03);
    fixture_free(f);
}

/* ---- PCI config, TIMEOFFSET, INVALIDATE, unknown types ---- */

static void test_pci_config(void)
{
    Fixture *f = fixture_new();
    uint64_t sbdf = (0u << 16) | (0u << 8) | (3u << 3) | 1u;   /* 00:03.1 */
    ioreq_t r;

    r = mkreq(IOREQ_TYPE_PCI_CONFIG, true, (sbdf << 32) | 0x0e, 0, 2, 1);
    g_assert_cmpint(ioreq_handle(&f->h, &r), ==, IOREQ_RESULT_OK);
    g_assert_cmphex(f->pci_sbdf, ==, sbdf);
    g_assert_cmphex(f->pci_reg, ==, 0x0e);
    g_assert_cmpuint(f->pci_size, ==, 2);
    g_assert_cmphex(r.data, ==, 0xa5a5);

    r = mkreq(IOREQ_TYPE_PCI_CONFIG, false, (sbdf << 32) | 0x3c, 0x12345678, 1, 1);
    g_assert_cmpint(ioreq_handle(&f->h, &r), ==, IOREQ_RESULT_OK);
    g_assert_cmphex(f->pci_value, ==, 0x78);
    g_assert_cmpuint(f->pci_writes, ==, 1);

    /* AMD extended register numbers are passed through for the board to refuse */
    r = mkreq(IOREQ_TYPE_PCI_CONFIG, true, (sbdf << 32) | 0x104, 0, 4, 1);
    g_assert_cmpint(ioreq_handle(&f->h, &r), ==, IOREQ_RESULT_OK);
    g_assert_cmphex(f->pci_reg, ==, 0x104);

    /* Forms Xen never sends: refused without a config cycle */
    r = mkreq(IOREQ_TYPE_PCI_CONFIG, true, sbdf << 32, 0, 8, 1);
    g_assert_cmpint(ioreq_handle(&f->h, &r), ==, IOREQ_RESULT_BAD_SIZE);
    g_assert_cmphex(r.data, ==, UINT64_MAX);
    r = mkreq(IOREQ_TYPE_PCI_CONFIG, true, sbdf << 32, 0, 4, 2);
    g_assert_cmpint(ioreq_handle(&f->h, &r), ==, IOREQ_RESULT_BAD_COUNT);
    g_assert_cmphex(r.data, ==, 0xffffffff);
    r = mkreq(IOREQ_TYPE_PCI_CONFIG, false, sbdf << 32, 0x1000, 4, 1);
    r.data_is_ptr = 1;
    g_assert_cmpint(ioreq_handle(&f->h, &r), ==, IOREQ_RESULT_BAD_FORM);
    g_assert_cmpuint(f->pci_reads, ==, 2);
    g_assert_cmpuint(f->pci_writes, ==, 1);
    fixture_free(f);
}

static void test_timeoffset_invalidate_unknown(void)
{
    Fixture *f = fixture_new();
    ioreq_t r;

    r = mkreq(IOREQ_TYPE_TIMEOFFSET, false, 0, (uint64_t)-3600, 8, 1);
    g_assert_cmpint(ioreq_handle(&f->h, &r), ==, IOREQ_RESULT_OK);
    g_assert_cmpint(f->timeoffset, ==, -3600);

    /* As Xen sends it: size 4, write, data ~0, count 0 */
    r = mkreq(IOREQ_TYPE_INVALIDATE, false, 0, UINT64_MAX, 4, 0);
    g_assert_cmpint(ioreq_handle(&f->h, &r), ==, IOREQ_RESULT_OK);
    g_assert_cmpuint(f->invalidates, ==, 1);

    for (unsigned t = 3; t <= 255; t++) {
        if (t == IOREQ_TYPE_TIMEOFFSET || t == IOREQ_TYPE_INVALIDATE) {
            continue;
        }
        r = mkreq(t, true, PORT_BASE, 0, 4, 1);
        g_assert_cmpint(ioreq_handle(&f->h, &r), ==, IOREQ_RESULT_BAD_TYPE);
        g_assert_cmphex(r.data, ==, 0xffffffff);
    }
    g_assert_cmpuint(f->calls->len, ==, 0);
    g_assert_cmpuint(f->invalidates, ==, 1);
    g_assert_cmpuint(f->timeoffsets, ==, 1);
    fixture_free(f);
}

/* ---- slot handshake ---- */

static void after_cb(void *opaque, const ioreq_t *req, IoreqResult result)
{
    Fixture *f = opaque;

    f->after_calls++;
    f->after_result = result;
    if (f->tamper) {
        f->tamper_slot->state = STATE_IOREQ_READY;
    }
}

static void test_slot_service(void)
{
    Fixture *f = fixture_new();
    ioreq_t page[4];
    IoreqSlotHooks hooks = { .after = after_cb, .opaque = f };

    memset(page, 0, sizeof(page));
    page[1] = mkreq(IOREQ_TYPE_PIO, true, PORT_BASE, 0xdead, 4, 1);
    page[1].vp_eport = 42;
    g_assert_true(ioreq_slot_service(&page[1], 1, &f->h, &hooks));
    g_assert_cmpuint(page[1].state, ==, STATE_IORESP_READY);
    g_assert_cmphex(page[1].data, ==, 0x13121110);
    /* Only data and state are ours to write */
    g_assert_cmphex(page[1].addr, ==, PORT_BASE);
    g_assert_cmpuint(page[1].vp_eport, ==, 42);
    g_assert_cmpuint(page[1].size, ==, 4);
    g_assert_cmpuint(page[1].type, ==, IOREQ_TYPE_PIO);
    g_assert_cmpuint(f->after_calls, ==, 1);
    g_assert_cmpint(f->after_result, ==, IOREQ_RESULT_OK);

    /* Already answered / idle / nonsense states: no access, no response. */
    g_assert_false(ioreq_slot_service(&page[1], 1, &f->h, &hooks));
    g_assert_false(ioreq_slot_service(&page[0], 0, &f->h, &hooks));
    page[2] = mkreq(IOREQ_TYPE_PIO, true, PORT_BASE, 0, 4, 1);
    page[2].state = 7;
    g_assert_false(ioreq_slot_service(&page[2], 2, &f->h, &hooks));
    g_assert_cmpuint(page[2].state, ==, 7);
    page[2].state = STATE_IOREQ_INPROCESS;
    g_assert_false(ioreq_slot_service(&page[2], 2, &f->h, &hooks));
    g_assert_cmpuint(f->calls->len, ==, 1);
    g_assert_cmpuint(f->after_calls, ==, 1);

    /* A malformed request is still answered, with all-ones. */
    page[3] = mkreq(IOREQ_TYPE_PIO, true, PORT_BASE, 0, 8, 1);
    g_assert_true(ioreq_slot_service(&page[3], 3, &f->h, &hooks));
    g_assert_cmpuint(page[3].state, ==, STATE_IORESP_READY);
    g_assert_cmphex(page[3].data, ==, UINT64_MAX);
    g_assert_cmpint(f->after_result, ==, IOREQ_RESULT_BAD_SIZE);

    /* The slot changes under us while in process: leave it alone. */
    page[0] = mkreq(IOREQ_TYPE_PIO, true, PORT_BASE, 0x77, 1, 1);
    f->tamper = true;
    f->tamper_slot = &page[0];
    g_assert_false(ioreq_slot_service(&page[0], 0, &f->h, &hooks));
    g_assert_cmpuint(page[0].state, ==, STATE_IOREQ_READY);
    g_assert_cmphex(page[0].data, ==, 0x77);
    fixture_free(f);
}

static void test_slot_layout(void)
{
    ioreq_t r;
    uint8_t *b = (uint8_t *)&r;

    /* xen-interface.md 1.1: bit 0-3 state, 4 data_is_ptr, 5 dir, 6 df of byte 30; type byte 31 */
    g_assert_cmpuint(sizeof(ioreq_t), ==, 32);
    memset(&r, 0, sizeof(r));
    r.state = 0xf;
    g_assert_cmphex(b[30], ==, 0x0f);
    r.state = 0;
    r.data_is_ptr = 1;
    g_assert_cmphex(b[30], ==, 0x10);
    r.data_is_ptr = 0;
    r.dir = 1;
    g_assert_cmphex(b[30], ==, 0x20);
    r.dir = 0;
    r.df = 1;
    g_assert_cmphex(b[30], ==, 0x40);
    r.type = 0x5a;
    g_assert_cmphex(b[31], ==, 0x5a);
}

/* ---- buffered ring ---- */

static uint32_t bw0(unsigned type, unsigned dir, unsigned size_log2, uint32_t addr)
{
    return type | (dir << 9) | (size_log2 << 10) | (addr << 12);
}

static void put_slot(buffered_iopage_t *p, uint32_t index, uint32_t w0, uint32_t w1)
{
    uint32_t *w = (uint32_t *)&p->buf_ioreq[index % IOREQ_BUFFER_SLOT_NUM];

    w[0] = w0;
    w[1] = w1;
}

/* A board whose MMIO sits below 1 MiB, where buffered addresses (20 bits) reach. */
typedef struct VgaFixture {
    Fixture *f;
    MemoryRegion *vga;
} VgaFixture;

static uint64_t vga_read(void *opaque, uint64_t off, unsigned size)
{
    Fixture *f = opaque;
    return regs_read(f, f->mmio_regs, 0xa0000, off, size);
}

static void vga_write(void *opaque, uint64_t off, uint64_t v, unsigned size)
{
    Fixture *f = opaque;
    regs_write(f, f->mmio_regs, 0xa0000, off, v, size);
}

static const RegionOps vga_ops = {
    .read = vga_read, .write = vga_write,
    .valid = { .min = 1, .max = 8, .unaligned = true }, .impl = { .min = 1, .max = 8 },
};

static VgaFixture vga_fixture(void)
{
    VgaFixture v;

    v.f = fixture_new();
    v.vga = mr_new_io("test-vga", MMIO_SIZE, &vga_ops, v.f);
    mr_add_subregion(as_root(v.f->m->mem), 0xa0000, v.vga, 0);
    return v;
}

static void vga_fixture_free(VgaFixture *v)
{
    mr_del_subregion(as_root(v->f->m->mem), v->vga);
    mr_free(v->vga);
    fixture_free(v->f);
}

static void test_bufring_basic(void)
{
    VgaFixture v = vga_fixture();
    Fixture *f = v.f;
    buffered_iopage_t *p = g_malloc0(sizeof(*p));

    g_assert_cmpuint(sizeof(*p), ==, 4096);
    put_slot(p, 0, bw0(IOREQ_TYPE_COPY, 0, 0, 0xa0010), 0xffffff11);
    put_slot(p, 1, bw0(IOREQ_TYPE_COPY, 0, 1, 0xa0020), 0x2222);
    put_slot(p, 2, bw0(IOREQ_TYPE_COPY, 0, 2, 0xa0030), 0x33333333);
    p->write_pointer = 3;
    g_assert_cmpuint(ioreq_bufring_drain(p, &f->h, 0), ==, 3);
    g_assert_cmpuint(p->read_pointer, ==, 3);
    g_assert_cmpuint(f->calls->len, ==, 3);
    g_assert_cmphex(call(f, 0)->addr, ==, 0xa0010);
    g_assert_cmpuint(call(f, 0)->size, ==, 1);
    g_assert_cmphex(call(f, 0)->value, ==, 0x11);
    g_assert_cmpuint(call(f, 1)->size, ==, 2);
    g_assert_cmphex(call(f, 2)->value, ==, 0x33333333);
    /* empty ring: nothing */
    g_assert_cmpuint(ioreq_bufring_drain(p, &f->h, 0), ==, 0);

    /* max_entries bounds one call */
    for (unsigned i = 3; i < 13; i++) {
        put_slot(p, i, bw0(IOREQ_TYPE_COPY, 0, 0, 0xa0000 + i), i);
    }
    p->write_pointer = 13;
    g_assert_cmpuint(ioreq_bufring_drain(p, &f->h, 4), ==, 4);
    g_assert_cmpuint(p->read_pointer, ==, 7);
    g_assert_cmpuint(ioreq_bufring_drain(p, &f->h, 0), ==, 6);
    g_assert_cmpuint(p->read_pointer, ==, 13);
    g_free(p);
    vga_fixture_free(&v);
}

static void test_bufring_qword_split(void)
{
    VgaFixture v = vga_fixture();
    Fixture *f = v.f;
    buffered_iopage_t *p = g_malloc0(sizeof(*p));

    /* An 8-byte write whose halves straddle the end of the ring: slots 510 and 0. */
    p->read_pointer = 510;
    p->write_pointer = 512;
    put_slot(p, 510, bw0(IOREQ_TYPE_COPY, 0, 3, 0xa0100), 0x55667788);
    put_slot(p, 511, bw0(IOREQ_TYPE_COPY, 0, 3, 0xa0100), 0x11223344);
    g_assert_cmpuint(ioreq_bufring_drain(p, &f->h, 0), ==, 1);
    g_assert_cmpuint(p->read_pointer, ==, 512);
    g_assert_cmpuint(f->calls->len, ==, 1);
    g_assert_cmpuint(call(f, 0)->size, ==, 8);
    g_assert_cmphex(call(f, 0)->value, ==, 0x1122334455667788ull);

    /* TIMEOFFSET goes through the ring as an 8-byte write too */
    put_slot(p, 512, bw0(IOREQ_TYPE_TIMEOFFSET, 0, 3, 0), (uint32_t)-60);
    put_slot(p, 513, bw0(IOREQ_TYPE_TIMEOFFSET, 0, 3, 0), 0xffffffff);
    p->write_pointer = 514;
    g_assert_cmpuint(ioreq_bufring_drain(p, &f->h, 0), ==, 1);
    g_assert_cmpint(f->timeoffset, ==, -60);

    /* A lone half (the write pointer covers only one slot) is skipped, not handled */
    put_slot(p, 514, bw0(IOREQ_TYPE_COPY, 0, 3, 0xa0200), 0x1);
    p->write_pointer = 515;
    g_assert_cmpuint(ioreq_bufring_drain(p, &f->h, 0), ==, 1);
    g_assert_cmpuint(p->read_pointer, ==, 515);
    g_assert_cmpuint(f->calls->len, ==, 1);
    g_free(p);
    vga_fixture_free(&v);
}

static void test_bufring_malformed(void)
{
    VgaFixture v = vga_fixture();
    Fixture *f = v.f;
    buffered_iopage_t *p = g_malloc0(sizeof(*p));

    /* A read in the ring: skipped */
    put_slot(p, 0, bw0(IOREQ_TYPE_COPY, 1, 2, 0xa0000), 0);
    /* An unknown type: consumed, reported, no access */
    put_slot(p, 1, bw0(5, 0, 2, 0xa0000), 0);
    /* A PIO write of size 8 (PIO stops at 4): refused by the decoder's consumer */
    put_slot(p, 2, bw0(IOREQ_TYPE_PIO, 0, 3, PORT_BASE), 1);
    put_slot(p, 3, bw0(IOREQ_TYPE_PIO, 0, 3, PORT_BASE), 2);
    p->write_pointer = 4;
    g_assert_cmpuint(ioreq_bufring_drain(p, &f->h, 0), ==, 3);
    g_assert_cmpuint(p->read_pointer, ==, 4);
    g_assert_cmpuint(f->calls->len, ==, 0);

    /* Pointers that cannot be: more entries than slots. Dropped in one go. */
    p->read_pointer = 4;
    p->write_pointer = 4 + 600;
    g_assert_cmpuint(ioreq_bufring_drain(p, &f->h, 0), ==, 0);
    g_assert_cmpuint(p->read_pointer, ==, 604);
    /* write behind read (negative distance) likewise */
    p->read_pointer = 100;
    p->write_pointer = 50;
    g_assert_cmpuint(ioreq_bufring_drain(p, &f->h, 0), ==, 0);
    g_assert_cmpuint(p->read_pointer, ==, 50);
    g_assert_cmpuint(f->calls->len, ==, 0);
    g_free(p);
    vga_fixture_free(&v);
}

static void test_bufring_decode(void)
{
    ioreq_t r;

    g_assert_true(ioreq_bufring_decode(bw0(IOREQ_TYPE_COPY, 0, 2, 0xfffff), 0xcafef00d, &r));
    g_assert_cmphex(r.addr, ==, 0xfffff);
    g_assert_cmphex(r.data, ==, 0xcafef00d);
    g_assert_cmpuint(r.size, ==, 4);
    g_assert_cmpuint(r.count, ==, 1);
    g_assert_cmpuint(r.dir, ==, IOREQ_WRITE);
    g_assert_cmpuint(r.data_is_ptr, ==, 0);
    g_assert_cmpuint(r.type, ==, IOREQ_TYPE_COPY);
    g_assert_false(ioreq_bufring_decode(bw0(IOREQ_TYPE_COPY, 1, 0, 0), 0, &r));

    /* The same bits through Xen's own bitfield struct */
    {
        buf_ioreq_t b;
        uint32_t w[2];

        memset(&b, 0, sizeof(b));
        b.type = IOREQ_TYPE_COPY;
        b.size = 1;
        b.addr = 0xabcde;
        b.data = 0x1234;
        memcpy(w, &b, sizeof(w));
        g_assert_true(ioreq_bufring_decode(w[0], w[1], &r));
        g_assert_cmphex(r.addr, ==, 0xabcde);
        g_assert_cmpuint(r.size, ==, 2);
        g_assert_cmphex(r.data, ==, 0x1234);
    }
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    /* Guest errors are expected here; keep them out of the test output. */
    log_mask &= ~LOG_GUEST_ERROR;
    g_test_add_func("/ioreq/pio/scalar", test_pio_scalar);
    g_test_add_func("/ioreq/pio/bad-size", test_pio_bad_size);
    g_test_add_func("/ioreq/pio/rep-ins-outs", test_pio_rep_ins_outs);
    g_test_add_func("/ioreq/pio/repeat-immediate", test_pio_repeat_immediate);
    g_test_add_func("/ioreq/pio/ptr-outside-ram", test_pio_ptr_outside_ram);
    g_test_add_func("/ioreq/count-checks", test_count_checks);
    g_test_add_func("/ioreq/copy/scalar-sizes", test_copy_scalar_sizes);
    g_test_add_func("/ioreq/copy/rep-immediate", test_copy_rep_immediate);
    g_test_add_func("/ioreq/copy/rep-ptr", test_copy_rep_ptr);
    g_test_add_func("/ioreq/copy/wrap", test_copy_wrap);
    g_test_add_func("/ioreq/pci-config", test_pci_config);
    g_test_add_func("/ioreq/timeoffset-invalidate-unknown", test_timeoffset_invalidate_unknown);
    g_test_add_func("/ioreq/slot/service", test_slot_service);
    g_test_add_func("/ioreq/slot/layout", test_slot_layout);
    g_test_add_func("/ioreq/bufring/basic", test_bufring_basic);
    g_test_add_func("/ioreq/bufring/qword-split", test_bufring_qword_split);
    g_test_add_func("/ioreq/bufring/malformed", test_bufring_malformed);
    g_test_add_func("/ioreq/bufring/decode", test_bufring_decode);
    return g_test_run();
}
