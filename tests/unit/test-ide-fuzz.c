/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The short replay of the IDE fuzz target for `make check`: hand-built
 * programs that reach the interesting states (IDENTIFY, PIO reads and
 * writes, DMA with good and bad PRD tables, ATAPI packets by PIO and DMA,
 * SRST and engine stops in the middle of transfers, PCI reconfiguration)
 * and a few hundred deterministic mutations of them, each run through
 * LLVMFuzzerTestOneInput.  Passing means no crash, no sanitizer report,
 * and a device that still answers IDENTIFY after every program.
 *
 * `test-ide-fuzz --write-seeds DIR` writes the seeds as files (the corpus
 * `make fuzz` starts from).
 */
#include <glib/gstdio.h>

#include "tests/fuzz/fuzz-ide.c"

/* Indexes into fuzz_ports[]. */
#define P_PRI(reg)      (reg)
#define P_PRI_CTL       8
#define P_SEC(reg)      (9 + (reg))
#define P_SEC_CTL       17
#define P_BM(off)       (18 + (off))

static void op3(GByteArray *p, uint8_t op, uint8_t port, const void *args, size_t len)
{
    g_byte_array_append(p, &op, 1);
    g_byte_array_append(p, &port, 1);
    if (len) {
        g_byte_array_append(p, args, (guint)len);
    }
}

static void outb(GByteArray *p, uint8_t port, uint8_t v)
{
    op3(p, FUZZ_OUTB, port, &v, 1);
}

static void outw(GByteArray *p, uint8_t port, uint16_t v)
{
    uint8_t le[2] = { (uint8_t)v, (uint8_t)(v >> 8) };
    op3(p, FUZZ_OUTW, port, le, 2);
}

static void outl(GByteArray *p, uint8_t port, uint32_t v)
{
    uint8_t le[4] = { (uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24) };
    op3(p, FUZZ_OUTL, port, le, 4);
}

static void prd(GByteArray *p, uint8_t index, uint32_t addr, uint32_t count_flags)
{
    uint8_t a[9] = { index, (uint8_t)addr, (uint8_t)(addr >> 8), (uint8_t)(addr >> 16), (uint8_t)(addr >> 24),
                     (uint8_t)count_flags, (uint8_t)(count_flags >> 8), (uint8_t)(count_flags >> 16),
                     (uint8_t)(count_flags >> 24) };
    op3(p, FUZZ_PRD, 0, a, sizeof(a));
}

static void data_in(GByteArray *p, bool secondary, uint8_t quads)
{
    op3(p, FUZZ_DATA_IN | (secondary ? 0x10 : 0), 0, &quads, 1);
}

static void data_out(GByteArray *p, bool secondary, uint8_t quads, uint16_t first)
{
    uint8_t a[3] = { quads, (uint8_t)first, (uint8_t)(first >> 8) };
    op3(p, FUZZ_DATA_OUT | (secondary ? 0x10 : 0), 0, a, 3);
}

static void taskfile(GByteArray *p, uint8_t sel, uint32_t lba, uint8_t count)
{
    outb(p, P_PRI(6), sel);
    outb(p, P_PRI(2), count);
    outb(p, P_PRI(3), (uint8_t)lba);
    outb(p, P_PRI(4), (uint8_t)(lba >> 8));
    outb(p, P_PRI(5), (uint8_t)(lba >> 16));
}

/* A packet to the secondary master: PACKET, then the 12 bytes as six words. */
static void packet(GByteArray *p, bool dma, uint16_t bcl, const uint8_t cdb[12])
{
    outb(p, P_SEC(6), 0xa0);
    outb(p, P_SEC(1), dma ? 1 : 0);
    outb(p, P_SEC(4), (uint8_t)bcl);
    outb(p, P_SEC(5), (uint8_t)(bcl >> 8));
    outb(p, P_SEC(7), 0xa0);
    for (int i = 0; i < 12; i += 2) {
        outw(p, P_SEC(0), (uint16_t)(cdb[i] | (cdb[i + 1] << 8)));
    }
}

static GPtrArray *make_seeds(void)
{
    GPtrArray *seeds = g_ptr_array_new_with_free_func((GDestroyNotify)g_byte_array_unref);
    GByteArray *p;
    static const uint8_t read10[12] = { 0x28, 0, 0, 0, 0, 16, 0, 0, 4 };
    static const uint8_t inquiry[12] = { 0x12, 0, 0, 0, 36 };
    static const uint8_t toc[12] = { 0x43, 2, 2, 0, 0, 0, 0, 0, 255, 0x80 };
    static const uint8_t eject[12] = { 0x1b, 0, 0, 0, 2 };
    static const uint8_t gesn[12] = { 0x4a, 1, 0, 0, 0x10, 0, 0, 0, 8 };

    /* IDENTIFY and its data. */
    p = g_byte_array_new();
    outb(p, P_PRI(6), 0xa0);
    outb(p, P_PRI(7), 0xec);
    data_in(p, false, 64);
    g_ptr_array_add(seeds, p);

    /* PIO write of 3 sectors, then read them back in multiple mode. */
    p = g_byte_array_new();
    taskfile(p, 0xe0, 100, 3);
    outb(p, P_PRI(7), 0x30);
    data_out(p, false, 255, 0x1234);
    data_out(p, false, 130, 0x4321);
    outb(p, P_PRI(2), 2);
    outb(p, P_PRI(7), 0xc6);
    taskfile(p, 0xe0, 100, 3);
    outb(p, P_PRI(7), 0xc4);
    data_in(p, false, 255);
    data_in(p, false, 130);
    g_ptr_array_add(seeds, p);

    /* DMA read of 8 sectors through a two-entry table, then a DMA write. */
    p = g_byte_array_new();
    prd(p, 0, 0x8000, 0x0800);
    prd(p, 1, 0x9000, 0x80000800);
    outl(p, P_BM(4), 0x1000);
    taskfile(p, 0xe0, 0, 8);
    outb(p, P_PRI(7), 0xc8);
    outb(p, P_BM(0), 0x09);
    outb(p, P_BM(0), 0x08);
    outb(p, P_BM(2), 0x06);
    taskfile(p, 0xe0, 40, 8);
    outb(p, P_PRI(7), 0xca);
    outb(p, P_BM(0), 0x01);
    outb(p, P_BM(0), 0x00);
    g_ptr_array_add(seeds, p);

    /* DMA with broken tables: outside RAM, no EOT, wrapping, zero counts. */
    p = g_byte_array_new();
    outl(p, P_BM(4), 0xfffffff8);
    taskfile(p, 0xe0, 0, 0);
    outb(p, P_PRI(7), 0xc8);
    outb(p, P_BM(0), 0x09);
    outb(p, P_BM(0), 0x08);
    prd(p, 0, 0xfff000, 0x0000);
    prd(p, 1, 0x10, 0x0002);
    outl(p, P_BM(4), 0x1000);
    taskfile(p, 0xe0, 0, 200);
    outb(p, P_PRI(7), 0xca);
    outb(p, P_BM(0), 0x01);
    g_ptr_array_add(seeds, p);

    /* SRST and an engine stop in the middle of transfers; LBA48 with HOB reads. */
    p = g_byte_array_new();
    taskfile(p, 0xe0, 5, 16);
    outb(p, P_PRI(7), 0x20);
    data_in(p, false, 10);
    op3(p, FUZZ_SRST, P_PRI(0), NULL, 0);
    prd(p, 0, 0x20000, 0x80000000);
    outl(p, P_BM(4), 0x1000);
    outb(p, P_PRI(6), 0x40);
    outb(p, P_PRI(2), 0);
    outb(p, P_PRI(2), 64);
    outb(p, P_PRI(7), 0x25);
    outb(p, P_BM(0), 0x09);
    outb(p, P_BM(0), 0x00);
    outb(p, P_PRI_CTL, 0x80);
    op3(p, FUZZ_IN, P_PRI(3), NULL, 0);
    outb(p, P_PRI_CTL, 0x02);
    g_ptr_array_add(seeds, p);

    /* ATAPI: INQUIRY and READ(10) by PIO, TOC, eject, events, READ(10) by DMA. */
    p = g_byte_array_new();
    packet(p, false, 2048, inquiry);
    data_in(p, true, 10);
    packet(p, false, 1000, read10);
    for (int i = 0; i < 9; i++) {
        data_in(p, true, 125);
    }
    packet(p, false, 0xffff, toc);
    data_in(p, true, 20);
    packet(p, false, 0, eject);
    packet(p, false, 8, gesn);
    data_in(p, true, 2);
    prd(p, 0, 0x40000, 0x80002000);
    outl(p, P_BM(12), 0x1000);
    packet(p, true, 0, read10);
    outb(p, P_BM(8), 0x09);
    g_ptr_array_add(seeds, p);

    /* PCI reconfiguration in the middle: decoders off and on, BAR moved, a hard reset. */
    p = g_byte_array_new();
    taskfile(p, 0xe0, 1, 1);
    outb(p, P_PRI(7), 0x20);
    {
        uint8_t a[2] = { 0, 0 };        /* command register: everything off */
        op3(p, FUZZ_PCI, 0, a, 2);
        a[0] = 1;                       /* BAR4 low byte: the bus master block moves to 0xc040 */
        a[1] = 0x41;
        op3(p, FUZZ_PCI, 0, a, 2);
    }
    op3(p, FUZZ_RESET, 0, NULL, 0);
    data_in(p, false, 20);
    g_ptr_array_add(seeds, p);
    return seeds;
}

static void bytes_insert(GByteArray *a, guint at, const uint8_t *data, guint len)
{
    guint old = a->len;
    g_byte_array_set_size(a, old + len);
    memmove(a->data + at + len, a->data + at, old - at);
    memcpy(a->data + at, data, len);
}

static GByteArray *mutate(const GByteArray *seed, GRand *rng)
{
    GByteArray *m = g_byte_array_sized_new(seed->len + 16);
    int edits = g_rand_int_range(rng, 1, 6);

    g_byte_array_append(m, seed->data, seed->len);
    for (int e = 0; e < edits; e++) {
        guint at = m->len ? (guint)g_rand_int_range(rng, 0, (gint32)m->len) : 0;
        uint8_t b = (uint8_t)g_rand_int_range(rng, 0, 256);
        switch (g_rand_int_range(rng, 0, 5)) {
        case 0:
            if (m->len) {
                m->data[at] = b;
            }
            break;
        case 1:
            if (m->len) {
                m->data[at] ^= (uint8_t)(1u << g_rand_int_range(rng, 0, 8));
            }
            break;
        case 2:
            bytes_insert(m, at, &b, 1);
            break;
        case 3:
            if (m->len > 4) {
                g_byte_array_set_size(m, at);
            }
            break;
        default: {
            /* Duplicate a run: repeats commands and data phases. */
            guint len = MIN(m->len - at, 24u);
            uint8_t tmp[24];
            memcpy(tmp, m->data + at, len);
            bytes_insert(m, at, tmp, len);
            break;
        }
        }
    }
    return m;
}

static GPtrArray *seeds;

static void test_seeds(void)
{
    for (guint i = 0; i < seeds->len; i++) {
        GByteArray *s = seeds->pdata[i];
        LLVMFuzzerTestOneInput(s->data, s->len);
    }
}

static void test_mutations(void)
{
    GRand *rng = g_rand_new_with_seed(0x1de);
    int per_seed = g_test_slow() ? 2000 : 150;

    for (guint i = 0; i < seeds->len; i++) {
        for (int k = 0; k < per_seed; k++) {
            GByteArray *m = mutate(seeds->pdata[i], rng);
            LLVMFuzzerTestOneInput(m->data, m->len);
            g_byte_array_unref(m);
        }
    }
    g_rand_free(rng);
}

static void test_random_programs(void)
{
    GRand *rng = g_rand_new_with_seed(7);
    uint8_t buf[512];

    for (int k = 0; k < 100; k++) {
        for (size_t i = 0; i < sizeof(buf); i++) {
            buf[i] = (uint8_t)g_rand_int_range(rng, 0, 256);
        }
        LLVMFuzzerTestOneInput(buf, (size_t)g_rand_int_range(rng, 1, sizeof(buf)));
    }
    g_rand_free(rng);
}

int main(int argc, char **argv)
{
    int ret;

    seeds = make_seeds();
    if (argc == 3 && !strcmp(argv[1], "--write-seeds")) {
        for (guint i = 0; i < seeds->len; i++) {
            GByteArray *s = seeds->pdata[i];
            char *name = g_strdup_printf("%s/seed-%02u", argv[2], i);
            g_assert_true(g_file_set_contents(name, (const char *)s->data, s->len, NULL));
            g_free(name);
        }
        g_ptr_array_free(seeds, TRUE);
        return 0;
    }
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/ide-fuzz/seeds", test_seeds);
    g_test_add_func("/ide-fuzz/mutations", test_mutations);
    g_test_add_func("/ide-fuzz/random-programs", test_random_programs);
    ret = g_test_run();
    fuzz_ide_cleanup();
    g_ptr_array_free(seeds, TRUE);
    return ret;
}
