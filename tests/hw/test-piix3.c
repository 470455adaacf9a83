/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * PIIX3 function 0 over qtest: PIRQ routing registers, the reset control
 * register at 0xcf9 and System Control Port A at 0x92.  A reset request
 * must not end the process: the front end resets the machine, which the
 * test sees as registers going back to their reset values.  PIRQ-to-IRQ
 * delivery needs a PCI device with an INTx pin and is unit-tested in
 * tests/unit/test-piix3-route.c.  Passes against QEMU too, except the
 * reserved-bit masks QEMU does not apply (ioemu only).
 */
#include <glib.h>
#include <string.h>

#include "tests/libqtest.h"

#define PIIX3       0x08
#define PIRQRC      0x60
#define RCR         0xcf9
#define PORT92      0x92

/* The reset runs on the emulator's main loop after the request: poll for its effect. */
static bool wait_for_reset(QTestState *s)
{
    for (int i = 0; i < 1000; i++) {
        if (qtest_pci_cfg_readb(s, 0, PIIX3, PIRQRC) == 0x80) {
            return true;
        }
    }
    return false;
}

static void test_pirq_registers(void)
{
    QTestState *s = qtest_init_or_skip(NULL);

    if (!s) {
        return;
    }
    /* Reset: every PIRQ unrouted (IRQROUTEN# set). */
    g_assert_cmphex(qtest_pci_cfg_readl(s, 0, PIIX3, PIRQRC), ==, 0x80808080);
    for (int i = 0; i < 4; i++) {
        qtest_pci_cfg_writeb(s, 0, PIIX3, PIRQRC + i, 0x09 + i);
    }
    g_assert_cmphex(qtest_pci_cfg_readl(s, 0, PIIX3, PIRQRC), ==, 0x0c0b0a09);
    qtest_pci_cfg_writeb(s, 0, PIIX3, PIRQRC + 2, 0x8b);
    g_assert_cmphex(qtest_pci_cfg_readb(s, 0, PIIX3, PIRQRC + 2), ==, 0x8b);
    /* Other function 0 reset values SeaBIOS and Linux look at. */
    g_assert_cmphex(qtest_pci_cfg_readb(s, 0, PIIX3, 0x4c), ==, 0x4d);   /* IORT */
    g_assert_cmphex(qtest_pci_cfg_readw(s, 0, PIIX3, 0x4e), ==, 0x0003); /* XBCS */
    g_assert_cmphex(qtest_pci_cfg_readb(s, 0, PIIX3, 0x69), ==, 0x02);   /* TOM */
    g_assert_cmphex(qtest_pci_cfg_readb(s, 0, PIIX3, 0x70), ==, 0x80);   /* MBIRQ0 */
    g_assert_cmphex(qtest_pci_cfg_readb(s, 0, PIIX3, 0xa0), ==, 0x08);   /* SMICNTL */
    g_assert_cmphex(qtest_pci_cfg_readb(s, 0, PIIX3, 0xa8), ==, 0x0f);   /* FTMR */
    qtest_quit(s);
}

static void test_pirq_reserved_bits(void)
{
    QTestState *s;

    if (qtest_binary_is_qemu()) {
        g_test_skip("QEMU keeps PIRQRC bits 6:4 writable");
        return;
    }
    s = qtest_init_or_skip(NULL);
    if (!s) {
        return;
    }
    /* Bits 6:4 are reserved: only IRQROUTEN# and the IRQ number stick. */
    qtest_pci_cfg_writel(s, 0, PIIX3, PIRQRC, 0xffffffff);
    g_assert_cmphex(qtest_pci_cfg_readl(s, 0, PIIX3, PIRQRC), ==, 0x8f8f8f8f);
    qtest_pci_cfg_writel(s, 0, PIIX3, PIRQRC, 0x70707070);
    g_assert_cmphex(qtest_pci_cfg_readl(s, 0, PIIX3, PIRQRC), ==, 0);
    qtest_quit(s);
}

static void test_rcr_reset(void)
{
    QTestState *s = qtest_init_or_skip(NULL);

    if (!s) {
        return;
    }
    g_assert_cmphex(qtest_inb(s, RCR), ==, 0x00);
    /* SRST alone only selects the reset type; it reads back. */
    qtest_outb(s, RCR, 0x02);
    g_assert_cmphex(qtest_inb(s, RCR), ==, 0x02);
    /* CONFADD is unaffected by the byte at 0xcf9 and vice versa. */
    qtest_outl(s, 0xcf8, 0x80000800);
    g_assert_cmphex(qtest_inl(s, 0xcf8), ==, 0x80000800);
    g_assert_cmphex(qtest_inb(s, RCR), ==, 0x02);

    qtest_pci_cfg_writeb(s, 0, PIIX3, PIRQRC, 0x0b);
    g_assert_cmphex(qtest_pci_cfg_readb(s, 0, PIIX3, PIRQRC), ==, 0x0b);
    /* RCPU with SRST: hard reset.  The process lives on and the machine is back to reset values. */
    qtest_outb(s, RCR, 0x06);
    g_assert_true(wait_for_reset(s));
    g_assert_cmphex(qtest_inb(s, RCR), ==, 0x00);
    g_assert_cmphex(qtest_pci_cfg_readl(s, 0, 0x00, 0x00), ==, 0x12378086);
    qtest_quit(s);
}

static void test_port92(void)
{
    QTestState *s = qtest_init_or_skip(NULL);

    if (!s) {
        return;
    }
    /* A20 gate: stored and read back. */
    qtest_outb(s, PORT92, 0x02);
    g_assert_cmphex(qtest_inb(s, PORT92) & 0x03, ==, 0x02);
    qtest_outb(s, PORT92, 0x00);
    g_assert_cmphex(qtest_inb(s, PORT92) & 0x03, ==, 0x00);

    /* Fast reset on a 0 -> 1 edge of bit 0; A20 survives it, bit 0 reads back clear. */
    qtest_pci_cfg_writeb(s, 0, PIIX3, PIRQRC, 0x0b);
    qtest_outb(s, PORT92, 0x03);
    g_assert_true(wait_for_reset(s));
    g_assert_cmphex(qtest_inb(s, PORT92) & 0x03, ==, 0x02);
    qtest_quit(s);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/piix3/pirq-registers", test_pirq_registers);
    g_test_add_func("/piix3/pirq-reserved-bits", test_pirq_reserved_bits);
    g_test_add_func("/piix3/rcr-reset", test_rcr_reset);
    g_test_add_func("/piix3/port92", test_port92);
    return g_test_run();
}
