/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * hw/core/memory: flattening, dispatch, access splitting, bulk copies.
 */
#include <string.h>

#include <glib.h>

#include "hw/core/log.h"
#include "hw/core/memory.h"

/* ---- a register file that records every callback ---- */

typedef struct Call {
    bool is_write;
    uint64_t offset;
    unsigned size;
    uint64_t value;
} Call;

typedef struct Recorder {
    uint8_t regs[64];
    GArray *calls;
} Recorder;

static uint64_t rec_read(void *opaque, uint64_t offset, unsigned size)
{
    Recorder *r = opaque;
    uint64_t v = 0;
    Call c = { false, offset, size, 0 };

    g_assert_cmpuint(offset + size, <=, sizeof(r->regs));
    for (unsigned i = 0; i < size; i++) {
        v |= (uint64_t)r->regs[offset + i] << (8 * i);
    }
    c.value = v;
    g_array_append_val(r->calls, c);
    return v;
}

static void rec_write(void *opaque, uint64_t offset, uint64_t value, unsigned size)
{
    Recorder *r = opaque;
    Call c = { true, offset, size, value };

    g_assert_cmpuint(offset + size, <=, sizeof(r->regs));
    for (unsigned i = 0; i < size; i++) {
        r->regs[offset + i] = (uint8_t)(value >> (8 * i));
    }
    g_array_append_val(r->calls, c);
}

static void rec_init(Recorder *r)
{
    for (unsigned i = 0; i < sizeof(r->regs); i++) {
        r->regs[i] = (uint8_t)(0x10 + i);
    }
    r->calls = g_array_new(FALSE, FALSE, sizeof(Call));
}

static void rec_clear(Recorder *r)
{
    g_array_set_size(r->calls, 0);
}

static void rec_fini(Recorder *r)
{
    g_array_free(r->calls, TRUE);
}

static const Call *rec_call(Recorder *r, guint i)
{
    g_assert_cmpuint(i, <, r->calls->len);
    return &g_array_index(r->calls, Call, i);
}

static void assert_call(Recorder *r, guint i, bool is_write, uint64_t offset, unsigned size)
{
    const Call *c = rec_call(r, i);

    g_assert_cmpint(c->is_write, ==, is_write);
    g_assert_cmphex(c->offset, ==, offset);
    g_assert_cmpuint(c->size, ==, size);
}

static const RegionOps ops_byte = {
    .read = rec_read, .write = rec_write,
    .valid = { .min = 1, .max = 4 }, .impl = { .min = 1, .max = 1 },
};
static const RegionOps ops_dword = {
    .read = rec_read, .write = rec_write,
    .valid = { .min = 1, .max = 8 }, .impl = { .min = 4, .max = 4 },
};
static const RegionOps ops_byte_only = {
    .read = rec_read, .write = rec_write,
    .valid = { .min = 1, .max = 1 },
};
static const RegionOps ops_any = {
    .read = rec_read, .write = rec_write,
};

static uint64_t rd(AddressSpace *as, uint64_t addr, unsigned size)
{
    uint64_t v = 0;

    g_assert_true(as_read(as, addr, size, &v));
    return v;
}

static void wr(AddressSpace *as, uint64_t addr, unsigned size, uint64_t v)
{
    g_assert_true(as_write(as, addr, size, v));
}

/* Offset inside the region that addr reaches. */
static uint64_t lookup_offset(AddressSpace *as, uint64_t addr)
{
    const FlatRange *fr = as_lookup(as, addr);

    g_assert_nonnull(fr);
    return fr->offset + (addr - fr->start);
}

static MemoryRegion *lookup_mr(AddressSpace *as, uint64_t addr)
{
    const FlatRange *fr = as_lookup(as, addr);
    return fr ? fr->mr : NULL;
}

/* ---- flattening ---- */

static void test_flat_priorities(void)
{
    AddressSpace *as = as_new("mem", 1 << 20);
    MemoryRegion *ram = mr_new_ram("ram", 0x10000, NULL);
    MemoryRegion *hi = mr_new_ram("hi", 0x1000, NULL);
    MemoryRegion *lo = mr_new_ram("lo", 0x1000, NULL);
    MemoryRegion *eq1 = mr_new_ram("eq1", 0x100, NULL);
    MemoryRegion *eq2 = mr_new_ram("eq2", 0x100, NULL);
    const FlatRange *fr;

    mr_add_subregion(as_root(as), 0, ram, 0);
    mr_add_subregion(as_root(as), 0x2000, hi, 1);
    /* Added later but lower priority: stays hidden under ram. */
    mr_add_subregion(as_root(as), 0x4000, lo, -1);

    g_assert_true(lookup_mr(as, 0x1fff) == ram);
    g_assert_true(lookup_mr(as, 0x2000) == hi);
    g_assert_true(lookup_mr(as, 0x2fff) == hi);
    g_assert_true(lookup_mr(as, 0x3000) == ram);
    g_assert_true(lookup_mr(as, 0x4000) == ram);
    g_assert_null(as_lookup(as, 0x10000));

    fr = as_lookup(as, 0x3000);
    g_assert_cmphex(fr->start, ==, 0x3000);
    g_assert_cmphex(fr->offset, ==, 0x3000);
    g_assert_cmphex(fr->size, ==, 0xd000);
    fr = as_lookup(as, 0x1000);
    g_assert_cmphex(fr->start, ==, 0);
    g_assert_cmphex(fr->size, ==, 0x2000);

    /* Equal priority: the later-added wins where they overlap. */
    mr_add_subregion(as_root(as), 0x8000, eq1, 2);
    mr_add_subregion(as_root(as), 0x8080, eq2, 2);
    g_assert_true(lookup_mr(as, 0x807f) == eq1);
    g_assert_true(lookup_mr(as, 0x8080) == eq2);
    g_assert_true(lookup_mr(as, 0x817f) == eq2);
    g_assert_true(lookup_mr(as, 0x8180) == ram);

    /* Disable: the lower region shows through; re-enable restores. */
    mr_set_enabled(hi, false);
    g_assert_true(lookup_mr(as, 0x2800) == ram);
    g_assert_cmphex(lookup_offset(as, 0x2800), ==, 0x2800);
    /* ...and the view merges back into one range. */
    g_assert_cmphex(as_lookup(as, 0x2800)->start, ==, 0);
    mr_set_enabled(hi, true);
    g_assert_true(lookup_mr(as, 0x2800) == hi);

    /* Move. */
    mr_set_address(hi, 0x5000);
    g_assert_true(lookup_mr(as, 0x2800) == ram);
    g_assert_true(lookup_mr(as, 0x5800) == hi);
    g_assert_cmphex(lookup_offset(as, 0x5800), ==, 0x800);
    g_assert_cmphex(mr_address(hi), ==, 0x5000);

    /* Delete. */
    mr_del_subregion(as_root(as), hi);
    g_assert_false(mr_is_mapped(hi));
    g_assert_true(lookup_mr(as, 0x5800) == ram);

    mr_free(hi);
    mr_free(lo);
    mr_free(eq1);
    mr_free(eq2);
    mr_free(ram);
    as_free(as);
}

static void test_flat_containers(void)
{
    AddressSpace *as = as_new("mem", 1 << 20);
    MemoryRegion *ram = mr_new_ram("ram", 0x10000, NULL);
    MemoryRegion *box = mr_new_container("box", 0x4000);
    MemoryRegion *inner = mr_new_ram("inner", 0x1000, NULL);
    MemoryRegion *big = mr_new_ram("big", 0x8000, NULL);

    mr_add_subregion(as_root(as), 0, ram, 0);
    /* A container of higher priority is transparent where it has no children. */
    mr_add_subregion(as_root(as), 0x4000, box, 1);
    mr_add_subregion(box, 0x1000, inner, 0);
    /* A child larger than its container is clipped to it. */
    mr_add_subregion(box, 0x3000, big, -1);

    g_assert_true(lookup_mr(as, 0x4000) == ram);
    g_assert_true(lookup_mr(as, 0x5000) == inner);
    g_assert_cmphex(as_lookup(as, 0x5000)->start, ==, 0x5000);
    g_assert_true(lookup_mr(as, 0x6000) == ram);
    g_assert_true(lookup_mr(as, 0x7000) == big);
    g_assert_true(lookup_mr(as, 0x7fff) == big);
    g_assert_cmphex(as_lookup(as, 0x7fff)->size, ==, 0x1000);
    g_assert_true(lookup_mr(as, 0x8000) == ram);

    /* Moving the container moves everything in it. */
    mr_set_address(box, 0xa000);
    g_assert_true(lookup_mr(as, 0xb000) == inner);
    g_assert_true(lookup_mr(as, 0x5000) == ram);

    /* Disabling the container hides its children. */
    mr_set_enabled(box, false);
    g_assert_true(lookup_mr(as, 0xb000) == ram);

    mr_del_subregion(as_root(as), box);
    mr_free(inner);
    mr_free(big);
    mr_free(box);
    mr_free(ram);
    as_free(as);
}

static void test_flat_aliases(void)
{
    AddressSpace *as = as_new("mem", 1 << 20);
    MemoryRegion *ram = mr_new_ram("ram", 0x10000, NULL);
    MemoryRegion *win = mr_new_alias("win", ram, 0x2000, 0x1000);
    MemoryRegion *ro = mr_new_alias("ro", ram, 0x3000, 0x1000);
    MemoryRegion *box = mr_new_container("box", 0x2000);
    MemoryRegion *boxram = mr_new_ram("boxram", 0x800, NULL);
    MemoryRegion *box_alias = mr_new_alias("box-alias", box, 0x400, 0x1000);
    MemoryRegion *alias_alias = mr_new_alias("alias-alias", win, 0x800, 0x800);
    MemoryRegion *clipped = mr_new_alias("clipped", ram, 0xf800, 0x1000);
    uint8_t *host = mr_host_ptr(ram);
    const FlatRange *fr;

    for (unsigned i = 0; i < 0x10000; i++) {
        host[i] = (uint8_t)(i ^ (i >> 8));
    }
    mr_add_subregion(as_root(as), 0x20000, win, 0);
    g_assert_cmphex(rd(as, 0x20010, 1), ==, (uint8_t)(0x2010 ^ 0x20));
    fr = as_lookup(as, 0x20010);
    g_assert_true(fr->mr == ram);
    g_assert_cmphex(lookup_offset(as, 0x20010), ==, 0x2010);
    g_assert_false(fr->readonly);
    wr(as, 0x20000, 4, 0xdeadbeef);
    g_assert_cmphex(host[0x2000], ==, 0xef);

    /* A read-only alias reads the target and ignores writes. */
    mr_set_readonly(ro, true);
    mr_add_subregion(as_root(as), 0x30000, ro, 0);
    g_assert_true(as_lookup(as, 0x30000)->readonly);
    g_assert_cmphex(rd(as, 0x30001, 1), ==, (uint8_t)(0x3001 ^ 0x30));
    g_assert_true(as_write(as, 0x30001, 1, 0x55));
    g_assert_cmphex(host[0x3001], ==, (uint8_t)(0x3001 ^ 0x30));
    g_assert_null(as_host_ptr(as, 0x30000, 16, true));
    g_assert_true(as_host_ptr(as, 0x30000, 16, false) == host + 0x3000);

    /* An alias of a container shows the container's children, shifted. */
    mr_add_subregion(box, 0x800, boxram, 0);
    mr_add_subregion(as_root(as), 0x40000, box_alias, 0);
    g_assert_null(as_lookup(as, 0x40000));             /* box offset 0x400: empty */
    g_assert_true(lookup_mr(as, 0x40400) == boxram);  /* box offset 0x800 */
    g_assert_cmphex(as_lookup(as, 0x40400)->start, ==, 0x40400);
    g_assert_cmphex(as_lookup(as, 0x40400)->size, ==, 0x800);
    g_assert_null(as_lookup(as, 0x40c00));

    /* An alias of an alias: offsets add up. */
    mr_add_subregion(as_root(as), 0x50000, alias_alias, 0);
    fr = as_lookup(as, 0x50004);
    g_assert_true(fr->mr == ram);
    g_assert_cmphex(lookup_offset(as, 0x50004), ==, 0x2804);
    g_assert_cmphex(fr->start, ==, 0x50000);
    g_assert_cmphex(fr->size, ==, 0x800);

    /* A window running past its target is clipped, not a crash. */
    mr_add_subregion(as_root(as), 0x60000, clipped, 0);
    g_assert_true(lookup_mr(as, 0x607ff) == ram);
    g_assert_null(as_lookup(as, 0x60800));

    /* Moving the window. */
    mr_set_alias_offset(win, 0x4000);
    g_assert_cmphex(as_lookup(as, 0x20000)->offset, ==, 0x4000);

    mr_free(win);
    mr_free(ro);
    mr_free(box_alias);
    mr_free(alias_alias);
    mr_free(clipped);
    mr_free(boxram);
    mr_free(box);
    mr_free(ram);
    as_free(as);
}

static void test_flat_many_ranges(void)
{
    enum { N = 10000, STRIDE = 32, SIZE = 16 };
    AddressSpace *as = as_new("mem", (uint64_t)N * STRIDE);
    MemoryRegion *bg = mr_new_ram("background", (uint64_t)N * STRIDE, NULL);
    MemoryRegion **regions = g_new(MemoryRegion *, N);
    const FlatRange *fr;

    mr_add_subregion(as_root(as), 0, bg, -1);
    /* Add in a scrambled order so the flattening can't rely on it. */
    for (unsigned k = 0; k < N; k++) {
        unsigned i = (k * 7919u) % N;
        char name[32];
        g_snprintf(name, sizeof(name), "r%u", i);
        regions[i] = mr_new_ram(name, SIZE, NULL);
        mr_add_subregion(as_root(as), (uint64_t)i * STRIDE, regions[i], 0);
    }
    for (unsigned i = 0; i < N; i++) {
        uint64_t base = (uint64_t)i * STRIDE;
        fr = as_lookup(as, base + 5);
        g_assert_nonnull(fr);
        g_assert_true(fr->mr == regions[i]);
        g_assert_cmphex(fr->start, ==, base);
        g_assert_cmphex(fr->offset, ==, 0);
        fr = as_lookup(as, base + SIZE + 3);
        g_assert_true(fr->mr == bg);
        g_assert_cmphex(fr->start, ==, base + SIZE);
        g_assert_cmphex(fr->size, ==, STRIDE - SIZE);
        g_assert_cmphex(lookup_offset(as, base + SIZE + 3), ==, base + SIZE + 3);
    }
    /* Ranges are consecutive: the last region's gap ends the space. */
    fr = as_lookup(as, (uint64_t)N * STRIDE - 1);
    g_assert_cmphex(fr->start + fr->size, ==, (uint64_t)N * STRIDE);
    g_assert_null(as_lookup(as, (uint64_t)N * STRIDE));
    for (unsigned k = 0; k < N; k++) {
        mr_free(regions[k]);
    }
    g_assert_true(lookup_mr(as, 5) == bg);
    g_assert_cmphex(as_lookup(as, 5)->size, ==, (uint64_t)N * STRIDE);
    g_free(regions);
    mr_free(bg);
    as_free(as);
}

/* ---- dispatch ---- */

static void test_split_bytes(void)
{
    AddressSpace *as = as_new("io", 0x10000);
    Recorder r;
    MemoryRegion *io;

    rec_init(&r);
    io = mr_new_io("bytes", 16, &ops_byte, &r);
    mr_add_subregion(as_root(as), 0x100, io, 0);

    /* A 4-byte read of a byte-only device: four reads at the right offsets, combined LE. */
    g_assert_cmphex(rd(as, 0x104, 4), ==, 0x17161514);
    g_assert_cmpuint(r.calls->len, ==, 4);
    for (unsigned i = 0; i < 4; i++) {
        assert_call(&r, i, false, 4 + i, 1);
    }
    rec_clear(&r);
    wr(as, 0x108, 2, 0xbbaa);
    g_assert_cmpuint(r.calls->len, ==, 2);
    assert_call(&r, 0, true, 8, 1);
    g_assert_cmphex(rec_call(&r, 0)->value, ==, 0xaa);
    assert_call(&r, 1, true, 9, 1);
    g_assert_cmphex(rec_call(&r, 1)->value, ==, 0xbb);

    /* Wider than valid.max: refused, all-ones, no callback. */
    rec_clear(&r);
    {
        uint64_t v = 0;
        g_assert_false(as_read(as, 0x100, 8, &v));
        g_assert_cmphex(v, ==, UINT64_MAX);
        g_assert_false(as_write(as, 0x100, 8, 0));
    }
    g_assert_cmpuint(r.calls->len, ==, 0);

    mr_free(io);
    rec_fini(&r);
    as_free(as);
}

static void test_combine_rmw(void)
{
    AddressSpace *as = as_new("mem", 0x10000);
    Recorder r;
    MemoryRegion *io;

    rec_init(&r);
    io = mr_new_io("dwords", 16, &ops_dword, &r);
    mr_add_subregion(as_root(as), 0x1000, io, 0);

    /* 1-byte read from a dword-only device: one 4-byte read, shifted and masked. */
    g_assert_cmphex(rd(as, 0x1002, 1), ==, 0x12);
    g_assert_cmpuint(r.calls->len, ==, 1);
    assert_call(&r, 0, false, 0, 4);

    /* 1-byte write: read-modify-write of the containing dword. */
    rec_clear(&r);
    wr(as, 0x1001, 1, 0xaa);
    g_assert_cmpuint(r.calls->len, ==, 2);
    assert_call(&r, 0, false, 0, 4);
    assert_call(&r, 1, true, 0, 4);
    g_assert_cmphex(rec_call(&r, 1)->value, ==, 0x1312aa10);

    /* 2-byte write at offset 6. */
    rec_clear(&r);
    wr(as, 0x1006, 2, 0xccbb);
    assert_call(&r, 1, true, 4, 4);
    g_assert_cmphex(rec_call(&r, 1)->value, ==, 0xccbb1514);

    /* 8-byte access: two dwords, low first. */
    rec_clear(&r);
    g_assert_cmphex(rd(as, 0x1008, 8), ==, 0x1f1e1d1c1b1a1918ULL);
    g_assert_cmpuint(r.calls->len, ==, 2);
    assert_call(&r, 0, false, 8, 4);
    assert_call(&r, 1, false, 12, 4);
    rec_clear(&r);
    wr(as, 0x1008, 8, 0x0102030405060708ULL);
    g_assert_cmpuint(r.calls->len, ==, 2);
    g_assert_cmphex(rec_call(&r, 0)->value, ==, 0x05060708);
    g_assert_cmphex(rec_call(&r, 1)->value, ==, 0x01020304);

    /* Unaligned 2-byte read across a dword boundary: both dwords, bytes stitched. */
    rec_clear(&r);
    g_assert_cmphex(rd(as, 0x1003, 2), ==, 0x1413);
    g_assert_cmpuint(r.calls->len, ==, 2);
    assert_call(&r, 0, false, 0, 4);
    assert_call(&r, 1, false, 4, 4);

    mr_free(io);
    rec_fini(&r);
    as_free(as);
}

static void test_unaligned_split(void)
{
    AddressSpace *as = as_new("io", 0x10000);
    Recorder r;
    const RegionOps ops = {
        .read = rec_read, .write = rec_write,
        .valid = { .min = 1, .max = 4 }, .impl = { .min = 1, .max = 4 },
    };
    MemoryRegion *io;

    rec_init(&r);
    io = mr_new_io("words", 16, &ops, &r);
    mr_add_subregion(as_root(as), 0x200, io, 0);
    /* Aligned: passed through whole. */
    g_assert_cmphex(rd(as, 0x204, 4), ==, 0x17161514);
    g_assert_cmpuint(r.calls->len, ==, 1);
    assert_call(&r, 0, false, 4, 4);
    /* Not naturally aligned and the device doesn't accept that: bytes. */
    rec_clear(&r);
    g_assert_cmphex(rd(as, 0x201, 2), ==, 0x1211);
    g_assert_cmpuint(r.calls->len, ==, 2);
    assert_call(&r, 0, false, 1, 1);
    assert_call(&r, 1, false, 2, 1);
    mr_free(io);
    rec_fini(&r);
    as_free(as);
}

static GString *captured_log;

static void capture_log(void *opaque, const char *msg)
{
    g_string_append(captured_log, msg);
}

static void test_invalid_sizes(void)
{
    AddressSpace *as = as_new("io", 0x10000);
    Recorder r;
    MemoryRegion *io;
    uint64_t v;
    unsigned saved_mask = log_mask;

    captured_log = g_string_new(NULL);
    log_set_sink(capture_log, NULL);
    log_mask |= LOG_GUEST_ERROR;

    rec_init(&r);
    io = mr_new_io("byte-only", 8, &ops_byte_only, &r);
    mr_add_subregion(as_root(as), 0x60, io, 0);

    v = 0;
    g_assert_false(as_read(as, 0x60, 2, &v));
    g_assert_cmphex(v, ==, 0xffff);
    g_assert_false(as_write(as, 0x60, 4, 0));
    g_assert_cmpuint(r.calls->len, ==, 0);
    g_assert_nonnull(strstr(captured_log->str, "guest-error"));
    g_assert_nonnull(strstr(captured_log->str, "byte-only"));

    /* Sizes that are not 1/2/4/8 never reach anything. */
    v = 0;
    g_assert_false(as_read(as, 0x60, 3, &v));
    g_assert_cmphex(v, ==, UINT64_MAX);
    g_assert_false(as_read(as, 0x60, 0, &v));
    g_assert_false(as_write(as, 0x60, 16, 1));
    g_assert_cmpuint(r.calls->len, ==, 0);

    /* A default ops table accepts everything. */
    {
        MemoryRegion *any = mr_new_io("any", 16, &ops_any, &r);
        mr_add_subregion(as_root(as), 0x80, any, 0);
        g_assert_cmphex(rd(as, 0x80, 8), ==, 0x1716151413121110ULL);
        mr_free(any);
    }

    log_set_sink(NULL, NULL);
    log_mask = saved_mask;
    g_string_free(captured_log, TRUE);
    mr_free(io);
    rec_fini(&r);
    as_free(as);
}

static void test_unmapped_and_spanning(void)
{
    AddressSpace *as = as_new("mem", 0x10000);
    MemoryRegion *ram = mr_new_ram("ram", 0x100, NULL);
    Recorder r;
    MemoryRegion *io;
    uint8_t *host = mr_host_ptr(ram);
    uint64_t v;

    rec_init(&r);
    io = mr_new_io("bytes", 16, &ops_byte, &r);
    mr_add_subregion(as_root(as), 0, ram, 0);
    mr_add_subregion(as_root(as), 0x100, io, 0);

    v = 0;
    g_assert_false(as_read(as, 0x8000, 4, &v));
    g_assert_cmphex(v, ==, 0xffffffff);
    g_assert_false(as_write(as, 0x8000, 4, 1));

    /* Half in RAM, half in a hole: the RAM half is real, the rest all-ones. */
    host[0xfe] = 0x12;
    host[0xff] = 0x34;
    mr_set_enabled(io, false);
    v = 0;
    g_assert_false(as_read(as, 0xfe, 4, &v));
    g_assert_cmphex(v, ==, 0xffff3412);

    /* Spanning RAM and IO: split byte-wise, both sides reached. */
    mr_set_enabled(io, true);
    g_assert_cmphex(rd(as, 0xfe, 4), ==, 0x11103412);
    wr(as, 0xff, 2, 0xa5c3);
    g_assert_cmphex(host[0xff], ==, 0xc3);
    g_assert_cmphex(r.regs[0], ==, 0xa5);

    /* Past the end of the space. */
    g_assert_false(as_read(as, 0xffff, 2, &v));

    mr_free(io);
    mr_free(ram);
    rec_fini(&r);
    as_free(as);
}

static void test_rom_and_host_ptr(void)
{
    AddressSpace *as = as_new("mem", 0x100000);
    MemoryRegion *rom = mr_new_rom("bios", 0x1000, NULL);
    MemoryRegion *ram = mr_new_ram("ram", 0x1000, NULL);
    Recorder r;
    MemoryRegion *io;
    uint8_t buf[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };
    uint8_t out[8];

    rec_init(&r);
    io = mr_new_io("regs", 16, &ops_any, &r);
    mr_add_subregion(as_root(as), 0xf0000, rom, 0);
    mr_add_subregion(as_root(as), 0, ram, 0);
    mr_add_subregion(as_root(as), 0x2000, io, 0);

    g_assert_true(as_lookup(as, 0xf0000)->readonly);
    g_assert_true(as_write(as, 0xf0000, 4, 0x11223344));   /* ignored, not an error */
    g_assert_cmphex(rd(as, 0xf0000, 4), ==, 0);
    g_assert_true(as_write_buf(as, 0xf0000, buf, sizeof(buf)));
    g_assert_cmphex(rd(as, 0xf0000, 4), ==, 0);
    g_assert_true(as_write_rom(as, 0xf0000, buf, sizeof(buf)));
    g_assert_cmphex(rd(as, 0xf0000, 4), ==, 0x04030201);
    g_assert_true(as_read_buf(as, 0xf0002, out, 4));
    g_assert_cmpmem(out, 4, buf + 2, 4);

    g_assert_null(as_host_ptr(as, 0xf0000, 4, true));
    g_assert_true(as_host_ptr(as, 0xf0000, 4, false) == mr_host_ptr(rom));
    g_assert_true(as_host_ptr(as, 0x10, 0x10, true) == (uint8_t *)mr_host_ptr(ram) + 0x10);
    g_assert_null(as_host_ptr(as, 0xff0, 0x20, false));    /* runs past the RAM */
    g_assert_null(as_host_ptr(as, 0x2000, 1, false));      /* IO */
    g_assert_null(as_host_ptr(as, 0x5000, 1, false));      /* hole */

    /* Bulk copies across RAM, a hole and IO. */
    {
        uint8_t big[0x1010];
        memset(big, 0x5a, sizeof(big));
        g_assert_false(as_read_buf(as, 0xff8, big, 0x1010));  /* 0x1000-0x1fff is a hole */
        g_assert_cmphex(big[7], ==, 0x00);
        g_assert_cmphex(big[8], ==, 0xff);
        g_assert_cmphex(big[0x1007], ==, 0xff);
        g_assert_cmphex(big[0x1008], ==, 0x10);               /* IO register 0 */
        g_assert_cmphex(big[0x100f], ==, 0x17);
    }
    g_assert_true(as_write_buf(as, 0x2004, buf, 8));
    g_assert_cmpmem(r.regs + 4, 8, buf, 8);

    mr_free(io);
    mr_free(rom);
    mr_free(ram);
    rec_fini(&r);
    as_free(as);
}

/* ---- listeners ---- */

typedef struct TestListener {
    MemoryListener l;
    unsigned commits;
    size_t last_n;
    bool saw_io;
} TestListener;

static void listener_commit(MemoryListener *l, AddressSpace *as, const FlatRange *ranges, size_t n)
{
    TestListener *t = (TestListener *)l;

    t->commits++;
    t->last_n = n;
    t->saw_io = false;
    for (size_t i = 0; i < n; i++) {
        if (mr_kind(ranges[i].mr) == MR_IO) {
            t->saw_io = true;
        }
    }
}

static void test_listeners(void)
{
    AddressSpace *as = as_new("mem", 0x100000);
    AddressSpace *other = as_new("other", 0x100000);
    MemoryRegion *ram = mr_new_ram("ram", 0x10000, NULL);
    MemoryRegion *bar = mr_new_io("bar", 0x100, &ops_any, NULL);
    MemoryRegion *hidden = mr_new_ram("hidden", 0x100, NULL);
    MemoryRegion *elsewhere = mr_new_ram("elsewhere", 0x100, NULL);
    TestListener t = { .l.commit = listener_commit };

    mr_add_subregion(as_root(as), 0, ram, 0);
    as_add_listener(as, &t.l);
    g_assert_cmpuint(t.commits, ==, 1);
    g_assert_cmpuint(t.last_n, ==, 1);

    /* Changes reach the listener without waiting for an access. */
    mr_add_subregion(as_root(as), 0x8000, bar, 1);
    g_assert_cmpuint(t.commits, ==, 2);
    g_assert_cmpuint(t.last_n, ==, 3);
    g_assert_true(t.saw_io);

    mr_set_address(bar, 0x20000);
    g_assert_cmpuint(t.commits, ==, 3);
    g_assert_cmpuint(t.last_n, ==, 2);

    /* A transaction batches several edits into one view. */
    memory_transaction_begin();
    mr_set_address(bar, 0x30000);
    mr_set_enabled(bar, false);
    mr_set_enabled(bar, true);
    g_assert_cmpuint(t.commits, ==, 3);
    memory_transaction_commit();
    g_assert_cmpuint(t.commits, ==, 4);

    /* Edits that don't change this space's view are not reported. */
    mr_add_subregion(as_root(as), 0x100, hidden, -1);
    g_assert_cmpuint(t.commits, ==, 4);
    mr_add_subregion(as_root(other), 0, elsewhere, 0);
    g_assert_cmpuint(t.commits, ==, 4);

    as_remove_listener(as, &t.l);
    mr_del_subregion(as_root(as), bar);
    g_assert_cmpuint(t.commits, ==, 4);

    mr_free(bar);
    mr_free(hidden);
    mr_free(elsewhere);
    mr_free(ram);
    as_free(other);
    as_free(as);
}

static void dump_line(void *opaque, const char *line)
{
    g_string_append_printf(opaque, "%s\n", line);
}

static void test_dump(void)
{
    AddressSpace *as = as_new("mem", 0x100000);
    MemoryRegion *ram = mr_new_ram("pc.ram", 0xa0000, NULL);
    MemoryRegion *vga = mr_new_io("vga-lowmem", 0x20000, &ops_any, NULL);
    MemoryRegion *alias = mr_new_alias("bios-alias", ram, 0, 0x10000);
    GString *out = g_string_new(NULL);

    mr_add_subregion(as_root(as), 0, ram, 0);
    mr_add_subregion(as_root(as), 0xa0000, vga, 1);
    mr_set_readonly(alias, true);
    mr_add_subregion(as_root(as), 0xe0000, alias, 0);
    as_dump(as, dump_line, out);
    g_assert_nonnull(strstr(out->str, "0000000000000000-000000000009ffff (prio 0, ram): pc.ram"));
    g_assert_nonnull(strstr(out->str, "00000000000a0000-00000000000bffff (prio 1, i/o): vga-lowmem"));
    g_assert_nonnull(strstr(out->str, "bios-alias @pc.ram"));
    g_assert_nonnull(strstr(out->str, "flat view of mem (3 ranges)"));
    g_string_free(out, TRUE);
    mr_free(alias);
    mr_free(vga);
    mr_free(ram);
    as_free(as);
}

/* The log categories live next to the guest-error path they gate. */
static void test_log_mask(void)
{
    unsigned saved = log_mask;
    char *error = NULL;

    g_assert_true(log_set_mask_str("guest_errors,unimp", &error));
    g_assert_null(error);
    g_assert_cmphex(log_mask, ==, LOG_GUEST_ERROR | LOG_UNIMP);
    g_assert_true(log_set_mask_str("ioport,mmio,irq,xen,kvm,in_asm,op,out_asm", NULL));
    g_assert_cmphex(log_mask, ==, LOG_IOPORT | LOG_MMIO | LOG_IRQ | LOG_XEN | LOG_KVM |
                    LOG_TCG_IN_ASM | LOG_TCG_OP | LOG_TCG_OUT_ASM);
    /* An unknown name fails with a message and leaves the mask alone. */
    g_assert_false(log_set_mask_str("irq,bogus", &error));
    g_assert_nonnull(strstr(error, "bogus"));
    g_assert_nonnull(strstr(error, "guest_errors"));
    g_free(error);
    error = NULL;
    g_assert_cmphex(log_mask, ==, LOG_IOPORT | LOG_MMIO | LOG_IRQ | LOG_XEN | LOG_KVM |
                    LOG_TCG_IN_ASM | LOG_TCG_OP | LOG_TCG_OUT_ASM);
    g_assert_true(log_set_mask_str("", NULL));
    g_assert_cmphex(log_mask, ==, 0);

    /* IOEMU_LOG adds to what -d set. */
    g_assert_true(log_set_mask_str("irq", NULL));
    g_setenv("IOEMU_LOG", "unimp", TRUE);
    g_assert_true(log_apply_env(&error));
    g_assert_cmphex(log_mask, ==, LOG_IRQ | LOG_UNIMP);
    g_setenv("IOEMU_LOG", "nope", TRUE);
    g_assert_false(log_apply_env(&error));
    g_assert_true(g_str_has_prefix(error, "IOEMU_LOG: "));
    g_free(error);
    g_unsetenv("IOEMU_LOG");
    log_mask = saved;
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/memory/flat/priorities", test_flat_priorities);
    g_test_add_func("/memory/flat/containers", test_flat_containers);
    g_test_add_func("/memory/flat/aliases", test_flat_aliases);
    g_test_add_func("/memory/flat/many-ranges", test_flat_many_ranges);
    g_test_add_func("/memory/access/split-bytes", test_split_bytes);
    g_test_add_func("/memory/access/combine-rmw", test_combine_rmw);
    g_test_add_func("/memory/access/unaligned", test_unaligned_split);
    g_test_add_func("/memory/access/invalid-sizes", test_invalid_sizes);
    g_test_add_func("/memory/access/unmapped-spanning", test_unmapped_and_spanning);
    g_test_add_func("/memory/rom-host-ptr", test_rom_and_host_ptr);
    g_test_add_func("/memory/listeners", test_listeners);
    g_test_add_func("/memory/dump", test_dump);
    g_test_add_func("/log/mask", test_log_mask);
    return g_test_run();
}
