/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * PCI configuration mechanism #1 and the i440FX/PIIX3 configuration
 * headers over qtest.  Everything here also passes against QEMU
 * (QTEST_QEMU_BINARY=qemu-system-x86_64), except the checks of registers
 * QEMU leaves fully writable or zero where the datasheets say otherwise,
 * which run on ioemu only.
 */
#include <glib.h>
#include <string.h>

#include "tests/libqtest.h"

#define CONFADD     0xcf8
#define CONFDATA    0xcfc
#define I440FX      0x00            /* 00:00.0 */
#define PIIX3       0x08            /* 00:01.0 */
#define EMPTY_SLOT  (0x1f << 3)     /* 00:1f.0: nothing on either machine */

static void test_ids(void)
{
    QTestState *s = qtest_init_or_skip(NULL);

    if (!s) {
        return;
    }
    /* 82441FX PMC: host bridge, class 06 00 00. */
    g_assert_cmphex(qtest_pci_cfg_readl(s, 0, I440FX, 0x00), ==, 0x12378086);
    g_assert_cmphex(qtest_pci_cfg_readl(s, 0, I440FX, 0x08) >> 8, ==, 0x060000);
    g_assert_cmphex(qtest_pci_cfg_readb(s, 0, I440FX, 0x0e), ==, 0x00);
    /* 82371SB function 0: PCI-to-ISA bridge, class 06 01 00, multi-function header. */
    g_assert_cmphex(qtest_pci_cfg_readl(s, 0, PIIX3, 0x00), ==, 0x70008086);
    g_assert_cmphex(qtest_pci_cfg_readl(s, 0, PIIX3, 0x08) >> 8, ==, 0x060100);
    g_assert_cmphex(qtest_pci_cfg_readb(s, 0, PIIX3, 0x0e), ==, 0x80);
    /* An empty slot: master abort, all-ones at every width. */
    g_assert_cmphex(qtest_pci_cfg_readl(s, 0, EMPTY_SLOT, 0x00), ==, 0xffffffff);
    g_assert_cmphex(qtest_pci_cfg_readw(s, 0, EMPTY_SLOT, 0x02), ==, 0xffff);
    g_assert_cmphex(qtest_pci_cfg_readb(s, 0, EMPTY_SLOT, 0x0e), ==, 0xff);
    qtest_quit(s);
}

static void test_readonly_header(void)
{
    QTestState *s = qtest_init_or_skip(NULL);

    if (!s) {
        return;
    }
    /* Vendor, device, revision and class are read-only: writes do nothing. */
    qtest_pci_cfg_writel(s, 0, I440FX, 0x00, 0xffffffff);
    g_assert_cmphex(qtest_pci_cfg_readl(s, 0, I440FX, 0x00), ==, 0x12378086);
    qtest_pci_cfg_writew(s, 0, PIIX3, 0x02, 0x1234);
    g_assert_cmphex(qtest_pci_cfg_readl(s, 0, PIIX3, 0x00), ==, 0x70008086);
    qtest_pci_cfg_writel(s, 0, PIIX3, 0x08, 0);
    g_assert_cmphex(qtest_pci_cfg_readl(s, 0, PIIX3, 0x08) >> 8, ==, 0x060100);
    qtest_pci_cfg_writeb(s, 0, PIIX3, 0x0e, 0x00);
    g_assert_cmphex(qtest_pci_cfg_readb(s, 0, PIIX3, 0x0e), ==, 0x80);
    /* Neither function has BARs: all-ones stays zero. */
    for (int bar = 0x10; bar <= 0x24; bar += 4) {
        qtest_pci_cfg_writel(s, 0, I440FX, bar, 0xffffffff);
        g_assert_cmphex(qtest_pci_cfg_readl(s, 0, I440FX, bar), ==, 0);
    }
    /* Writes to an empty slot go nowhere. */
    qtest_pci_cfg_writel(s, 0, EMPTY_SLOT, 0x04, 0x7);
    g_assert_cmphex(qtest_pci_cfg_readl(s, 0, EMPTY_SLOT, 0x04), ==, 0xffffffff);
    qtest_quit(s);
}

static void test_reset_values_datasheet(void)
{
    QTestState *s;

    if (qtest_binary_is_qemu()) {
        g_test_skip("QEMU leaves PCICMD/PCISTS zero and device registers fully writable");
        return;
    }
    s = qtest_init_or_skip(NULL);
    if (!s) {
        return;
    }
    /* 82441FX: PCICMD 0006h (MAE, BME hardwired), PCISTS 0280h, SMRAM 02h. */
    g_assert_cmphex(qtest_pci_cfg_readl(s, 0, I440FX, 0x04), ==, 0x02800006);
    g_assert_cmphex(qtest_pci_cfg_readb(s, 0, I440FX, 0x72), ==, 0x02);
    qtest_pci_cfg_writew(s, 0, I440FX, 0x04, 0);
    g_assert_cmphex(qtest_pci_cfg_readw(s, 0, I440FX, 0x04), ==, 0x0006);
    /* Reserved PAM bits and SMRAM C_BASE_SEG are read-only. */
    qtest_pci_cfg_writeb(s, 0, I440FX, 0x59, 0xff);
    g_assert_cmphex(qtest_pci_cfg_readb(s, 0, I440FX, 0x59), ==, 0x30);
    qtest_pci_cfg_writeb(s, 0, I440FX, 0x5a, 0xff);
    g_assert_cmphex(qtest_pci_cfg_readb(s, 0, I440FX, 0x5a), ==, 0x33);
    qtest_pci_cfg_writeb(s, 0, I440FX, 0x72, 0x87);
    g_assert_cmphex(qtest_pci_cfg_readb(s, 0, I440FX, 0x72), ==, 0x02);
    /* 82371SB function 0: PCICMD 0007h, PCISTS 0200h. */
    g_assert_cmphex(qtest_pci_cfg_readl(s, 0, PIIX3, 0x04), ==, 0x02000007);
    qtest_pci_cfg_writew(s, 0, PIIX3, 0x04, 0);
    g_assert_cmphex(qtest_pci_cfg_readw(s, 0, PIIX3, 0x04), ==, 0x0007);
    qtest_quit(s);
}

static void test_mechanism1(void)
{
    QTestState *s = qtest_init_or_skip(NULL);

    if (!s) {
        return;
    }
    /* CONFADD reads back what was written (enable bit, bus, devfn, dword register). */
    qtest_outl(s, CONFADD, 0x80000000);
    g_assert_cmphex(qtest_inl(s, CONFADD), ==, 0x80000000);
    /* CONFADD is a dword-only register: narrower writes pass it by. */
    qtest_outb(s, CONFADD, 0x08);
    qtest_outw(s, CONFADD + 2, 0x0001);
    qtest_outb(s, CONFADD + 3, 0x00);
    g_assert_cmphex(qtest_inl(s, CONFADD), ==, 0x80000000);
    /* Byte and word accesses to the data port pick bytes of the selected dword. */
    g_assert_cmphex(qtest_inb(s, CONFDATA), ==, 0x86);
    g_assert_cmphex(qtest_inb(s, CONFDATA + 1), ==, 0x80);
    g_assert_cmphex(qtest_inw(s, CONFDATA + 2), ==, 0x1237);
    g_assert_cmphex(qtest_inl(s, CONFDATA), ==, 0x12378086);
    qtest_outl(s, CONFADD, 0x80000808);
    g_assert_cmphex(qtest_inb(s, CONFDATA + 3), ==, 0x06);
    g_assert_cmphex(qtest_inb(s, CONFDATA + 2), ==, 0x01);

    /* Enable bit clear: the data port is unclaimed IO and reads all-ones. */
    qtest_outl(s, CONFADD, 0x00000000);
    g_assert_cmphex(qtest_inl(s, CONFDATA), ==, 0xffffffff);
    g_assert_cmphex(qtest_inw(s, CONFDATA), ==, 0xffff);
    g_assert_cmphex(qtest_inb(s, CONFDATA + 1), ==, 0xff);
    /* ... and writes do not reach the device. */
    qtest_outl(s, CONFADD, 0x00000060 | (PIIX3 << 8));
    qtest_outb(s, CONFDATA, 0x05);
    g_assert_cmphex(qtest_pci_cfg_readb(s, 0, PIIX3, 0x60), ==, 0x80);

    /* No bridges: bus 1 is empty. */
    qtest_outl(s, CONFADD, 0x80010000);
    g_assert_cmphex(qtest_inl(s, CONFDATA), ==, 0xffffffff);
    qtest_quit(s);
}

static void test_device_specific_writable(void)
{
    QTestState *s = qtest_init_or_skip(NULL);

    if (!s) {
        return;
    }
    /* PIIX3 TOM (0x69) and the PIRQ routing registers are guest-programmable. */
    qtest_pci_cfg_writeb(s, 0, PIIX3, 0x69, 0x12);
    g_assert_cmphex(qtest_pci_cfg_readb(s, 0, PIIX3, 0x69), ==, 0x12);
    qtest_pci_cfg_writel(s, 0, PIIX3, 0x60, 0x0a0b0509);
    g_assert_cmphex(qtest_pci_cfg_readl(s, 0, PIIX3, 0x60), ==, 0x0a0b0509);
    /* A word write in the middle of the dword leaves the neighbours alone. */
    qtest_outl(s, CONFADD, 0x80000060 | (PIIX3 << 8));
    qtest_outw(s, CONFDATA + 1, 0x8080);
    g_assert_cmphex(qtest_pci_cfg_readl(s, 0, PIIX3, 0x60), ==, 0x0a808009);
    qtest_quit(s);
}

/* A guest scribbling over both functions' config space and the config ports: nothing breaks. */
static void test_garbage(void)
{
    QTestState *s = qtest_init_or_skip(NULL);
    uint32_t x = 0x12345678;

    if (!s) {
        return;
    }
    for (int devfn = 0; devfn <= PIIX3; devfn += PIIX3) {
        for (int reg = 0; reg < 256; reg += 4) {
            qtest_pci_cfg_writel(s, 0, devfn, reg, 0xffffffff);
            qtest_pci_cfg_writew(s, 0, devfn, reg + 2, 0);
            qtest_pci_cfg_writeb(s, 0, devfn, reg + 1, 0x5a);
        }
    }
    for (int i = 0; i < 500; i++) {
        x = x * 1103515245u + 12345u;
        qtest_outl(s, CONFADD, x | 0x80000000u);
        x = x * 1103515245u + 12345u;
        switch (x >> 30) {
        case 0:
            qtest_outl(s, CONFDATA, x);
            break;
        case 1:
            qtest_outw(s, CONFDATA + (x & 2), (uint16_t)x);
            break;
        case 2:
            qtest_outb(s, CONFDATA + (x & 3), (uint8_t)x);
            break;
        default:
            qtest_inb(s, CONFDATA + (x & 3));
            break;
        }
    }
    /* The identity registers survived, and the machine still answers. */
    g_assert_cmphex(qtest_pci_cfg_readl(s, 0, I440FX, 0x00), ==, 0x12378086);
    g_assert_cmphex(qtest_pci_cfg_readl(s, 0, PIIX3, 0x00), ==, 0x70008086);
    g_assert_cmphex(qtest_pci_cfg_readl(s, 0, PIIX3, 0x08) >> 8, ==, 0x060100);
    qtest_quit(s);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/pci/ids", test_ids);
    g_test_add_func("/pci/readonly-header", test_readonly_header);
    g_test_add_func("/pci/reset-values-datasheet", test_reset_values_datasheet);
    g_test_add_func("/pci/mechanism1", test_mechanism1);
    g_test_add_func("/pci/device-specific-writable", test_device_specific_writable);
    g_test_add_func("/pci/garbage", test_garbage);
    return g_test_run();
}
