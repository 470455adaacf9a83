/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * i440FX memory map below 1 MiB over qtest: PAM shadowing of the BIOS
 * segments and SMRAM open/close (82441FX datasheet, PAM0-PAM6 and SMRAM
 * registers).  The firmware image is compared with its copy at the top of
 * 4 GiB.  Passes against QEMU too, except where QEMU models a mode
 * differently (write-only PAM writes, which QEMU drops; SMRAM D_LCK),
 * which runs on ioemu only.
 */
#include <glib.h>
#include <string.h>

#include "tests/libqtest.h"

#define I440FX      0x00
#define PAM0        0x59
#define PAM1        0x5a
#define SMRAM       0x72

#define PAM_DISABLED    0x0
#define PAM_RO          0x1
#define PAM_WO          0x2
#define PAM_RW          0x3

#define SMRAM_BASE_SEG  0x02
#define SMRAM_G_SMRAME  0x08
#define SMRAM_D_LCK     0x10
#define SMRAM_D_OPEN    0x40

#define BIOS_SEG        0xf0000ull
#define BIOS_SEG_HIGH   0xffff0000ull   /* the same 64 KiB of the image, below 4 GiB */
#define CHUNK           64

static void set_pam0(QTestState *s, unsigned attr)
{
    qtest_pci_cfg_writeb(s, 0, I440FX, PAM0, (uint8_t)(attr << 4));
}

/* Does [addr, addr + CHUNK) read as the firmware's bytes at `bios`? */
static bool reads_bios(QTestState *s, uint64_t addr, uint64_t bios)
{
    uint8_t a[CHUNK], b[CHUNK];

    qtest_memread(s, addr, a, sizeof(a));
    qtest_memread(s, bios, b, sizeof(b));
    return memcmp(a, b, sizeof(a)) == 0;
}

static bool reads_pattern(QTestState *s, uint64_t addr, uint8_t seed)
{
    uint8_t a[CHUNK];

    qtest_memread(s, addr, a, sizeof(a));
    for (unsigned i = 0; i < sizeof(a); i++) {
        if (a[i] != (uint8_t)(seed + i * 7)) {
            return false;
        }
    }
    return true;
}

static void write_pattern(QTestState *s, uint64_t addr, uint8_t seed)
{
    uint8_t a[CHUNK];

    for (unsigned i = 0; i < sizeof(a); i++) {
        a[i] = (uint8_t)(seed + i * 7);
    }
    qtest_memwrite(s, addr, a, sizeof(a));
}

static void test_bios_segment(void)
{
    QTestState *s = qtest_init_or_skip(NULL);
    uint8_t sig[CHUNK];

    if (!s) {
        return;
    }
    /* The image is not all one byte value (else the comparisons below prove nothing). */
    qtest_memread(s, BIOS_SEG_HIGH + 0xfff0 - CHUNK, sig, sizeof(sig));
    g_assert_cmpint(memcmp(sig, sig + 1, CHUNK - 1), !=, 0);

    /* Reset: PAM0 disabled, 0xF0000 is the firmware (reset vector included). */
    g_assert_cmphex(qtest_pci_cfg_readb(s, 0, I440FX, PAM0), ==, 0x00);
    g_assert_true(reads_bios(s, BIOS_SEG + 0xffc0, BIOS_SEG_HIGH + 0xffc0));
    g_assert_true(reads_bios(s, BIOS_SEG, BIOS_SEG_HIGH));
    g_assert_cmphex(qtest_readl(s, 0xffff0), ==, qtest_readl(s, 0xfffffff0));
    /* Writes to the ROM go nowhere. */
    write_pattern(s, BIOS_SEG, 0x11);
    g_assert_true(reads_bios(s, BIOS_SEG, BIOS_SEG_HIGH));

    /* Read/write: DRAM, which starts empty, holds what is written. */
    set_pam0(s, PAM_RW);
    g_assert_false(reads_bios(s, BIOS_SEG + 0xffc0, BIOS_SEG_HIGH + 0xffc0));
    write_pattern(s, BIOS_SEG, 0x22);
    g_assert_true(reads_pattern(s, BIOS_SEG, 0x22));

    /*
     * Read-only: DRAM reads, writes ignored.  (QEMU resolves the read-only
     * alias to plain RAM on its memwrite path, so the write check is ours.)
     */
    set_pam0(s, PAM_RO);
    g_assert_true(reads_pattern(s, BIOS_SEG, 0x22));
    if (!qtest_binary_is_qemu()) {
        write_pattern(s, BIOS_SEG, 0x33);
        g_assert_true(reads_pattern(s, BIOS_SEG, 0x22));
    }

    /* Disabled again: the firmware, with the shadow copy kept underneath. */
    set_pam0(s, PAM_DISABLED);
    g_assert_true(reads_bios(s, BIOS_SEG, BIOS_SEG_HIGH));
    set_pam0(s, PAM_RW);
    g_assert_true(reads_pattern(s, BIOS_SEG, 0x22));

    /* Write-only: reads go to PCI, i.e. the firmware (QEMU's model differs: see below). */
    if (!qtest_binary_is_qemu()) {
        set_pam0(s, PAM_WO);
        g_assert_true(reads_bios(s, BIOS_SEG, BIOS_SEG_HIGH));
    }
    qtest_quit(s);
}

static void test_write_only_shadowing(void)
{
    QTestState *s;

    if (qtest_binary_is_qemu()) {
        g_test_skip("QEMU maps write-only PAM segments to PCI for reads and writes alike");
        return;
    }
    s = qtest_init_or_skip(NULL);
    if (!s) {
        return;
    }
    /* The datasheet's shadowing recipe: WO, read each byte and write it back, then RO. */
    set_pam0(s, PAM_WO);
    for (uint64_t off = 0; off < 0x10000; off += 0x1000) {
        uint8_t buf[0x1000];
        qtest_bufread(s, BIOS_SEG + off, buf, sizeof(buf));
        qtest_bufwrite(s, BIOS_SEG + off, buf, sizeof(buf));
    }
    write_pattern(s, BIOS_SEG + 0x100, 0x44);       /* lands in DRAM, reads still see ROM */
    g_assert_true(reads_bios(s, BIOS_SEG + 0x100, BIOS_SEG_HIGH + 0x100));
    set_pam0(s, PAM_RO);
    g_assert_true(reads_bios(s, BIOS_SEG + 0xffc0, BIOS_SEG_HIGH + 0xffc0));
    g_assert_true(reads_pattern(s, BIOS_SEG + 0x100, 0x44));
    qtest_quit(s);
}

static void test_expansion_segments(void)
{
    QTestState *s = qtest_init_or_skip(NULL);

    if (!s) {
        return;
    }
    /* PAM1 low nibble is 0xC0000-0xC3FFF, high nibble 0xC4000-0xC7FFF. */
    qtest_pci_cfg_writeb(s, 0, I440FX, PAM1, PAM_RW);
    write_pattern(s, 0xc0000, 0x55);
    write_pattern(s, 0xc4000, 0x66);
    g_assert_true(reads_pattern(s, 0xc0000, 0x55));
    g_assert_false(reads_pattern(s, 0xc4000, 0x66));
    qtest_pci_cfg_writeb(s, 0, I440FX, PAM1, PAM_RW << 4);
    g_assert_false(reads_pattern(s, 0xc0000, 0x55));
    write_pattern(s, 0xc4000, 0x66);
    g_assert_true(reads_pattern(s, 0xc4000, 0x66));
    qtest_pci_cfg_writeb(s, 0, I440FX, PAM1, PAM_RW | PAM_RW << 4);
    g_assert_true(reads_pattern(s, 0xc0000, 0x55));
    g_assert_true(reads_pattern(s, 0xc4000, 0x66));

    /* PAM6 high nibble is the last 16 KiB segment, 0xEC000. */
    qtest_pci_cfg_writeb(s, 0, I440FX, PAM0 + 6, PAM_RW << 4);
    write_pattern(s, 0xec000, 0x77);
    g_assert_true(reads_pattern(s, 0xec000, 0x77));
    g_assert_false(reads_pattern(s, 0xe8000, 0x77));
    qtest_quit(s);
}

static void test_smram(void)
{
    QTestState *s = qtest_init_or_skip(NULL);

    if (!s) {
        return;
    }
    g_assert_cmphex(qtest_pci_cfg_readb(s, 0, I440FX, SMRAM), ==, SMRAM_BASE_SEG);
    /* Closed: 0xA0000 is the VGA/PCI hole; the pattern does not stick. */
    write_pattern(s, 0xa0000, 0x12);
    g_assert_false(reads_pattern(s, 0xa0000, 0x12));

    /* Open (G_SMRAME | D_OPEN): DRAM. */
    qtest_pci_cfg_writeb(s, 0, I440FX, SMRAM, SMRAM_G_SMRAME | SMRAM_D_OPEN | SMRAM_BASE_SEG);
    write_pattern(s, 0xa0000, 0x12);
    write_pattern(s, 0xbffc0, 0x34);
    g_assert_true(reads_pattern(s, 0xa0000, 0x12));
    g_assert_true(reads_pattern(s, 0xbffc0, 0x34));

    /* Closed again: hidden, but kept. */
    qtest_pci_cfg_writeb(s, 0, I440FX, SMRAM, SMRAM_G_SMRAME | SMRAM_BASE_SEG);
    g_assert_false(reads_pattern(s, 0xa0000, 0x12));
    qtest_pci_cfg_writeb(s, 0, I440FX, SMRAM, SMRAM_G_SMRAME | SMRAM_D_OPEN | SMRAM_BASE_SEG);
    g_assert_true(reads_pattern(s, 0xa0000, 0x12));
    /* RAM below 640 KiB is plain RAM throughout. */
    write_pattern(s, 0x9ffc0, 0x56);
    g_assert_true(reads_pattern(s, 0x9ffc0, 0x56));
    qtest_quit(s);
}

static void test_smram_lock(void)
{
    QTestState *s;

    if (qtest_binary_is_qemu()) {
        g_test_skip("QEMU's i440fx does not implement D_LCK");
        return;
    }
    s = qtest_init_or_skip(NULL);
    if (!s) {
        return;
    }
    qtest_pci_cfg_writeb(s, 0, I440FX, SMRAM, SMRAM_G_SMRAME | SMRAM_D_OPEN | SMRAM_BASE_SEG);
    write_pattern(s, 0xa0000, 0x21);
    /* Setting D_LCK closes the window in the same write and freezes D_OPEN and D_LCK. */
    qtest_pci_cfg_writeb(s, 0, I440FX, SMRAM, SMRAM_G_SMRAME | SMRAM_D_LCK | SMRAM_D_OPEN | SMRAM_BASE_SEG);
    g_assert_cmphex(qtest_pci_cfg_readb(s, 0, I440FX, SMRAM), ==, SMRAM_G_SMRAME | SMRAM_D_LCK | SMRAM_BASE_SEG);
    g_assert_false(reads_pattern(s, 0xa0000, 0x21));
    qtest_pci_cfg_writeb(s, 0, I440FX, SMRAM, SMRAM_G_SMRAME | SMRAM_D_OPEN | SMRAM_BASE_SEG);
    g_assert_cmphex(qtest_pci_cfg_readb(s, 0, I440FX, SMRAM), ==, SMRAM_G_SMRAME | SMRAM_D_LCK | SMRAM_BASE_SEG);
    g_assert_false(reads_pattern(s, 0xa0000, 0x21));
    qtest_quit(s);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/pam/bios-segment", test_bios_segment);
    g_test_add_func("/pam/write-only-shadowing", test_write_only_shadowing);
    g_test_add_func("/pam/expansion-segments", test_expansion_segments);
    g_test_add_func("/pam/smram", test_smram);
    g_test_add_func("/pam/smram-lock", test_smram_lock);
    return g_test_run();
}
