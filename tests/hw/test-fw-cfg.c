/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * fw_cfg over qtest (QEMU docs/specs/fw_cfg.rst): the port interface, the
 * DMA interface, the file directory and the items SeaBIOS reads, plus the
 * board's CMOS memory/boot bytes that go with them.  DMA descriptors that
 * point where there is no memory must fail with the error bit, not harm
 * the emulator.  Passes against QEMU too.
 */
#include <glib.h>
#include <string.h>

#include "tests/libqtest.h"

#define FW_CFG_CTL          0x510
#define FW_CFG_DATA         0x511
#define FW_CFG_DMA_HI       0x514
#define FW_CFG_DMA_LO       0x518

#define FW_CFG_SIGNATURE    0x00
#define FW_CFG_ID           0x01
#define FW_CFG_RAM_SIZE     0x03
#define FW_CFG_NB_CPUS      0x05
#define FW_CFG_MAX_CPUS     0x0f
#define FW_CFG_FILE_DIR     0x19

#define DMA_CTL_ERROR       0x01
#define DMA_CTL_READ        0x02
#define DMA_CTL_SKIP        0x04
#define DMA_CTL_SELECT      0x08

#define E820_RAM            1

/* Scratch RAM for descriptors and buffers, well inside the default 128 MiB. */
#define DESC_ADDR           0x100000ull
#define BUF_ADDR            0x200000ull
#define RAM_MB              128

static QTestState *start(const char *extra)
{
    if (!qtest_skip_without_binary()) {
        return NULL;
    }
    return qtest_initf("-m %d %s", RAM_MB, extra ? extra : "");
}

static void port_read(QTestState *s, uint16_t key, void *buf, size_t len)
{
    qtest_outw(s, FW_CFG_CTL, key);
    for (size_t i = 0; i < len; i++) {
        ((uint8_t *)buf)[i] = qtest_inb(s, FW_CFG_DATA);
    }
}

/* Run one DMA access with the descriptor at DESC_ADDR; returns the control word left behind. */
static uint32_t dma(QTestState *s, uint64_t desc, uint32_t control, uint32_t length, uint64_t addr)
{
    uint8_t d[16];
    uint32_t v;

    v = GUINT32_TO_BE(control);
    memcpy(d, &v, 4);
    v = GUINT32_TO_BE(length);
    memcpy(d + 4, &v, 4);
    addr = GUINT64_TO_BE(addr);
    memcpy(d + 8, &addr, 8);
    qtest_memwrite(s, desc, d, sizeof(d));
    /* The register is big-endian: the guest writes cpu_to_be32 halves, high first. */
    qtest_outl(s, FW_CFG_DMA_HI, GUINT32_SWAP_LE_BE((uint32_t)(desc >> 32)));
    qtest_outl(s, FW_CFG_DMA_LO, GUINT32_SWAP_LE_BE((uint32_t)desc));
    qtest_memread(s, desc, &v, 4);
    return GUINT32_FROM_BE(v);
}

static uint32_t dma_read_item(QTestState *s, uint16_t key, uint32_t len, uint64_t addr)
{
    return dma(s, DESC_ADDR, DMA_CTL_SELECT | DMA_CTL_READ | ((uint32_t)key << 16), len, addr);
}

typedef struct FileInfo {
    uint32_t size;
    uint16_t select;
} FileInfo;

/* Look a file up in the directory, read by DMA. */
static bool find_file(QTestState *s, const char *name, FileInfo *out)
{
    uint32_t count_be, count;
    g_autofree uint8_t *dir = NULL;
    bool found = false;

    g_assert_cmphex(dma_read_item(s, FW_CFG_FILE_DIR, 4, BUF_ADDR), ==, 0);
    qtest_memread(s, BUF_ADDR, &count_be, 4);
    count = GUINT32_FROM_BE(count_be);
    g_assert_cmpuint(count, >, 0);
    g_assert_cmpuint(count, <, 4096);
    /* The rest of the item follows on from where the first access stopped. */
    g_assert_cmphex(dma(s, DESC_ADDR, DMA_CTL_READ, count * 64, BUF_ADDR), ==, 0);
    dir = g_malloc(count * 64);
    qtest_bufread(s, BUF_ADDR, dir, count * 64);
    for (uint32_t i = 0; i < count; i++) {
        const uint8_t *e = dir + i * 64;
        uint32_t size;
        uint16_t select;

        g_assert_cmpint(e[8 + 55], ==, 0);      /* names are NUL-terminated */
        if (strcmp((const char *)e + 8, name) != 0) {
            continue;
        }
        memcpy(&size, e, 4);
        memcpy(&select, e + 4, 2);
        out->size = GUINT32_FROM_BE(size);
        out->select = GUINT16_FROM_BE(select);
        g_assert_cmpuint(out->select, >=, 0x20);
        found = true;
    }
    return found;
}

static void test_port_interface(void)
{
    QTestState *s = start(NULL);
    uint8_t buf[8];
    uint32_t id;

    if (!s) {
        return;
    }
    port_read(s, FW_CFG_SIGNATURE, buf, 4);
    g_assert_cmpmem(buf, 4, "QEMU", 4);
    /* Past the end of an item: zeros. */
    g_assert_cmphex(qtest_inb(s, FW_CFG_DATA), ==, 0);
    /* Selecting again rewinds. */
    port_read(s, FW_CFG_SIGNATURE, buf, 2);
    g_assert_cmpmem(buf, 2, "QE", 2);

    port_read(s, FW_CFG_ID, &id, 4);
    g_assert_cmphex(GUINT32_FROM_LE(id), ==, 0x3);     /* traditional + DMA */

    /* The DMA register reads as "QEMU CFG" (big-endian). */
    g_assert_cmphex(qtest_inl(s, FW_CFG_DMA_HI), ==, 0x554d4551);
    g_assert_cmphex(qtest_inl(s, FW_CFG_DMA_LO), ==, 0x47464320);
    g_assert_cmphex(qtest_inb(s, FW_CFG_DMA_HI), ==, 'Q');

    /* Keys that select nothing read zeros; so do data writes change nothing. */
    port_read(s, 0x3fff, buf, 4);
    g_assert_cmphex(buf[0] | buf[1] | buf[2] | buf[3], ==, 0);
    port_read(s, 0xffff, buf, 1);
    g_assert_cmphex(buf[0], ==, 0);
    qtest_outw(s, FW_CFG_CTL, FW_CFG_SIGNATURE);
    qtest_outb(s, FW_CFG_DATA, 'X');
    port_read(s, FW_CFG_SIGNATURE, buf, 4);
    g_assert_cmpmem(buf, 4, "QEMU", 4);
    qtest_quit(s);
}

static void test_machine_items(void)
{
    QTestState *s = start(NULL);
    uint64_t ram;
    uint16_t cpus, max_cpus;

    if (!s) {
        return;
    }
    port_read(s, FW_CFG_RAM_SIZE, &ram, 8);
    g_assert_cmphex(GUINT64_FROM_LE(ram), ==, (uint64_t)RAM_MB << 20);
    port_read(s, FW_CFG_NB_CPUS, &cpus, 2);
    port_read(s, FW_CFG_MAX_CPUS, &max_cpus, 2);
    g_assert_cmpuint(GUINT16_FROM_LE(cpus), ==, 1);
    g_assert_cmpuint(GUINT16_FROM_LE(max_cpus), ==, 1);
    qtest_quit(s);
}

static void check_e820(QTestState *s, uint64_t below_4g, uint64_t above_4g)
{
    FileInfo e820;
    g_autofree uint8_t *t = NULL;
    uint64_t ram_low = 0, ram_high = 0;

    g_assert_true(find_file(s, "etc/e820", &e820));
    g_assert_cmpuint(e820.size % 20, ==, 0);
    g_assert_cmpuint(e820.size, >=, 20);
    t = g_malloc(e820.size);
    g_assert_cmphex(dma_read_item(s, e820.select, e820.size, BUF_ADDR), ==, 0);
    qtest_bufread(s, BUF_ADDR, t, e820.size);
    for (uint32_t off = 0; off < e820.size; off += 20) {
        uint64_t addr, len;
        uint32_t type;
        memcpy(&addr, t + off, 8);
        memcpy(&len, t + off + 8, 8);
        memcpy(&type, t + off + 16, 4);
        addr = GUINT64_FROM_LE(addr);
        len = GUINT64_FROM_LE(len);
        if (GUINT32_FROM_LE(type) != E820_RAM) {
            continue;
        }
        if (addr == 0) {
            ram_low = len;
        } else {
            g_assert_cmphex(addr, ==, 1ull << 32);
            ram_high = len;
        }
    }
    g_assert_cmphex(ram_low, ==, below_4g);
    g_assert_cmphex(ram_high, ==, above_4g);
}

static void test_file_dir_dma(void)
{
    QTestState *s = start(NULL);
    FileInfo f;
    uint32_t wait;

    if (!s) {
        return;
    }
    check_e820(s, (uint64_t)RAM_MB << 20, 0);
    g_assert_true(find_file(s, "bootorder", &f));
    g_assert_true(find_file(s, "etc/boot-fail-wait", &f));
    g_assert_cmpuint(f.size, ==, 4);
    g_assert_cmphex(dma_read_item(s, f.select, 4, BUF_ADDR), ==, 0);
    qtest_memread(s, BUF_ADDR, &wait, 4);
    g_assert_cmphex(wait, ==, 0xffffffff);
    g_assert_false(find_file(s, "no/such/file", &f));

    /* SKIP moves the offset without touching memory; a later READ continues there. */
    qtest_memset(s, BUF_ADDR, 0xaa, 8);
    g_assert_cmphex(dma(s, DESC_ADDR, DMA_CTL_SELECT | DMA_CTL_SKIP | (FW_CFG_SIGNATURE << 16), 2, BUF_ADDR),
                    ==, 0);
    g_assert_cmphex(qtest_readb(s, BUF_ADDR), ==, 0xaa);
    g_assert_cmphex(dma(s, DESC_ADDR, DMA_CTL_READ, 4, BUF_ADDR), ==, 0);
    /* "MU" and then zeros past the end of the 4-byte item. */
    g_assert_cmphex(qtest_readl(s, BUF_ADDR), ==, 0x0000554d);
    qtest_quit(s);
}

static void test_dma_errors(void)
{
    QTestState *s = start(NULL);
    uint8_t sig[4];

    if (!s) {
        return;
    }
    /* Destination far beyond RAM: the error bit, nothing else. */
    g_assert_cmphex(dma_read_item(s, FW_CFG_SIGNATURE, 4, 0x8000000000ull) & DMA_CTL_ERROR, ==, DMA_CTL_ERROR);
    /* Destination in the hole between RAM and the PCI window. */
    g_assert_cmphex(dma_read_item(s, FW_CFG_SIGNATURE, 4, 0x40000000ull) & DMA_CTL_ERROR, ==, DMA_CTL_ERROR);
    /* A huge length running off the end of RAM: the item, zeros, then the error. */
    qtest_memset(s, ((uint64_t)RAM_MB << 20) - 16, 0xaa, 16);
    g_assert_cmphex(dma_read_item(s, FW_CFG_SIGNATURE, 0xffffffff, ((uint64_t)RAM_MB << 20) - 16) & DMA_CTL_ERROR,
                    ==, DMA_CTL_ERROR);
    qtest_memread(s, ((uint64_t)RAM_MB << 20) - 16, sig, 4);
    g_assert_cmpmem(sig, 4, "QEMU", 4);
    g_assert_cmphex(qtest_readl(s, ((uint64_t)RAM_MB << 20) - 4), ==, 0);
    /* A range that wraps around the address space. */
    g_assert_cmphex(dma_read_item(s, FW_CFG_SIGNATURE, 0x100, 0xffffffffffffff80ull) & DMA_CTL_ERROR,
                    ==, DMA_CTL_ERROR);
    /* A descriptor outside memory: nowhere to report, nothing must happen. */
    qtest_outl(s, FW_CFG_DMA_HI, GUINT32_SWAP_LE_BE(0x80));
    qtest_outl(s, FW_CFG_DMA_LO, GUINT32_SWAP_LE_BE(0));
    qtest_outl(s, FW_CFG_DMA_HI, 0xffffffff);
    qtest_outl(s, FW_CFG_DMA_LO, 0xffffffff);
    /* A control word with no operation completes with nothing done. */
    g_assert_cmphex(dma(s, DESC_ADDR, 0, 16, BUF_ADDR), ==, 0);

    /* Still alive and answering. */
    port_read(s, FW_CFG_SIGNATURE, sig, 4);
    g_assert_cmpmem(sig, 4, "QEMU", 4);
    qtest_quit(s);
}

static uint8_t cmos(QTestState *s, uint8_t index)
{
    qtest_outb(s, 0x70, index);
    return qtest_inb(s, 0x71);
}

static void test_cmos_memory_and_boot(void)
{
    QTestState *s = start("-boot order=dc");

    if (!s) {
        return;
    }
    /* 640 KiB base, extended memory in KiB (saturating at 65535), above 16 MiB in 64 KiB units. */
    g_assert_cmpuint(cmos(s, 0x15) | cmos(s, 0x16) << 8, ==, 640);
    g_assert_cmpuint(cmos(s, 0x17) | cmos(s, 0x18) << 8, ==, MIN((RAM_MB - 1) * 1024, 65535));
    g_assert_cmpuint(cmos(s, 0x30) | cmos(s, 0x31) << 8, ==, MIN((RAM_MB - 1) * 1024, 65535));
    g_assert_cmpuint(cmos(s, 0x34) | cmos(s, 0x35) << 8, ==, (RAM_MB - 16) * 16);
    g_assert_cmpuint(cmos(s, 0x5b) | cmos(s, 0x5c) << 8 | cmos(s, 0x5d) << 16, ==, 0);
    g_assert_cmpuint(cmos(s, 0x5f), ==, 0);
    /* Boot order d, c: nibbles 3 and 2; no third device. */
    g_assert_cmphex(cmos(s, 0x3d), ==, 0x23);
    g_assert_cmphex(cmos(s, 0x38) & 0xf0, ==, 0x00);
    /* Equipment byte: FPU present. */
    g_assert_cmphex(cmos(s, 0x14) & 0x02, ==, 0x02);
    qtest_quit(s);

    /* Below 64 MiB the extended memory size is exact. */
    s = qtest_init("-m 32");
    g_assert_cmpuint(cmos(s, 0x17) | cmos(s, 0x18) << 8, ==, 31 * 1024);
    g_assert_cmpuint(cmos(s, 0x34) | cmos(s, 0x35) << 8, ==, 16 * 16);
    qtest_quit(s);
}

static void test_large_memory_split(void)
{
    QTestState *s;

    if (!qtest_skip_without_binary()) {
        return;
    }
    /* 4 GiB: QEMU pc keeps 3 GiB below the PCI hole and moves 1 GiB above 4 GiB. */
    s = qtest_init("-m 4096");
    check_e820(s, 3ull << 30, 1ull << 30);
    g_assert_cmpuint(cmos(s, 0x34) | cmos(s, 0x35) << 8, ==, (3072 - 16) * 16);
    g_assert_cmpuint(cmos(s, 0x5b) | cmos(s, 0x5c) << 8 | cmos(s, 0x5d) << 16, ==, (1u << 30) >> 16);
    /* RAM above 4 GiB is reachable; the hole below is not RAM. */
    qtest_writel(s, (1ull << 32) + 0x1000, 0x12345678);
    g_assert_cmphex(qtest_readl(s, (1ull << 32) + 0x1000), ==, 0x12345678);
    qtest_writel(s, 0xd0000000ull, 0x12345678);
    g_assert_cmphex(qtest_readl(s, 0xd0000000ull), !=, 0x12345678);
    qtest_quit(s);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/fw_cfg/port-interface", test_port_interface);
    g_test_add_func("/fw_cfg/machine-items", test_machine_items);
    g_test_add_func("/fw_cfg/file-dir-dma", test_file_dir_dma);
    g_test_add_func("/fw_cfg/dma-errors", test_dma_errors);
    g_test_add_func("/pc/cmos-memory-and-boot", test_cmos_memory_and_boot);
    g_test_add_func("/pc/large-memory-split", test_large_memory_split);
    return g_test_run();
}
