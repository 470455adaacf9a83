/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A small IDE driver over the qtest protocol for the PIIX3 IDE tests
 * (test-ide.c, test-ide-atapi.c, crash-writer.c): PCI set-up of function
 * 00:01.1, taskfile helpers, PIO and bus-master DMA data phases, image
 * files made with qemu-img.  Header-only so each test program stays one
 * file; every helper asserts on what a correct device must do.
 */
#ifndef TESTS_HW_TEST_IDE_LIB_H
#define TESTS_HW_TEST_IDE_LIB_H

#include <glib.h>
#include <glib/gstdio.h>
#include <sys/wait.h>
#include <stdint.h>
#include <string.h>

#include "tests/libqtest.h"

#define IDE_DEVFN       ((1 << 3) | 1)      /* 00:01.1 */
#define IDE_PRI_CMD     0x1f0
#define IDE_PRI_CTL     0x3f6
#define IDE_SEC_CMD     0x170
#define IDE_SEC_CTL     0x376
#define IDE_BMIBA       0xc000
#define IDE_PRI_IRQ     14
#define IDE_SEC_IRQ     15

#define REG_DATA        0
#define REG_ERROR       1
#define REG_FEATURE     1
#define REG_NSECTOR     2
#define REG_SECTOR      3
#define REG_LCYL        4
#define REG_HCYL        5
#define REG_SELECT      6
#define REG_STATUS      7
#define REG_COMMAND     7

#define ST_BSY          0x80
#define ST_DRDY         0x40
#define ST_DF           0x20
#define ST_DRQ          0x08
#define ST_ERR          0x01
#define ER_UNC          0x40
#define ER_IDNF         0x10
#define ER_ABRT         0x04

#define CTL_HOB         0x80
#define CTL_SRST        0x04
#define CTL_NIEN        0x02

#define BM_CMD          0
#define BM_STATUS       2
#define BM_PRD          4
#define BM_START        0x01
#define BM_TO_MEMORY    0x08
#define BM_ACTIVE       0x01
#define BM_ERROR        0x02
#define BM_INT          0x04

#define PRD_EOT         0x80000000u

/* Guest memory used by the tests: PRD tables low, data buffers from 1 MiB. */
#define GUEST_PRD       0x10000
#define GUEST_BUF       0x100000
#define GUEST_BUF2      0x400000

typedef struct IdeChan {
    uint16_t cmd, ctl, bm;
    int irq;
} IdeChan;

static const IdeChan ide_chan[2] = {
    { IDE_PRI_CMD, IDE_PRI_CTL, IDE_BMIBA, IDE_PRI_IRQ },
    { IDE_SEC_CMD, IDE_SEC_CTL, IDE_BMIBA + 8, IDE_SEC_IRQ },
};

/* True when the tests run against QEMU itself (QTEST_QEMU_BINARY=qemu-system-x86_64). */
static inline bool ide_target_is_qemu(void)
{
    return qtest_binary_is_qemu();
}

/* Enable the function as firmware does: BMIBA, I/O + bus master, IDETIM decode on both channels. */
static inline void ide_pci_enable(QTestState *s)
{
    qtest_pci_cfg_writel(s, 0, IDE_DEVFN, 0x20, IDE_BMIBA | 1);
    qtest_pci_cfg_writew(s, 0, IDE_DEVFN, 0x40, 0x8000);
    qtest_pci_cfg_writew(s, 0, IDE_DEVFN, 0x42, 0x8000);
    qtest_pci_cfg_writew(s, 0, IDE_DEVFN, 0x04, 0x0005);
}

static inline QTestState *ide_start(const char *args)
{
    QTestState *s = qtest_initf("-nodefaults %s", args);
    ide_pci_enable(s);
    qtest_irq_intercept_in(s, "ioapic");
    return s;
}

/* Wait (bounded) until the device drops BSY; returns the alternate status. */
static inline uint8_t ide_wait_not_busy(QTestState *s, const IdeChan *c)
{
    for (int i = 0; i < 100000; i++) {
        uint8_t st = qtest_inb(s, c->ctl);
        if (!(st & ST_BSY)) {
            return st;
        }
        if (i > 50) {
            g_usleep(200);
        }
    }
    g_assert_not_reached();
}

static inline void ide_select(QTestState *s, const IdeChan *c, int dev)
{
    qtest_outb(s, c->cmd + REG_SELECT, (uint8_t)(0xa0 | (dev << 4)));
}

static inline void ide_lba28(QTestState *s, const IdeChan *c, int dev, uint32_t lba, uint8_t count)
{
    qtest_outb(s, c->cmd + REG_SELECT, (uint8_t)(0xe0 | (dev << 4) | ((lba >> 24) & 0x0f)));
    qtest_outb(s, c->cmd + REG_NSECTOR, count);
    qtest_outb(s, c->cmd + REG_SECTOR, (uint8_t)lba);
    qtest_outb(s, c->cmd + REG_LCYL, (uint8_t)(lba >> 8));
    qtest_outb(s, c->cmd + REG_HCYL, (uint8_t)(lba >> 16));
}

/* 48-bit taskfile: each register written twice, the high-order byte first (ATA8-ACS 4.2.2). */
static inline void ide_lba48(QTestState *s, const IdeChan *c, int dev, uint64_t lba, uint16_t count)
{
    qtest_outb(s, c->cmd + REG_SELECT, (uint8_t)(0x40 | (dev << 4)));
    qtest_outb(s, c->cmd + REG_NSECTOR, (uint8_t)(count >> 8));
    qtest_outb(s, c->cmd + REG_NSECTOR, (uint8_t)count);
    qtest_outb(s, c->cmd + REG_SECTOR, (uint8_t)(lba >> 24));
    qtest_outb(s, c->cmd + REG_SECTOR, (uint8_t)lba);
    qtest_outb(s, c->cmd + REG_LCYL, (uint8_t)(lba >> 32));
    qtest_outb(s, c->cmd + REG_LCYL, (uint8_t)(lba >> 8));
    qtest_outb(s, c->cmd + REG_HCYL, (uint8_t)(lba >> 40));
    qtest_outb(s, c->cmd + REG_HCYL, (uint8_t)(lba >> 16));
}

/* Read one DRQ block of `bytes` through the data port (32-bit accesses, a 16-bit tail). */
static inline void ide_pio_in(QTestState *s, const IdeChan *c, uint8_t *buf, size_t bytes)
{
    size_t i = 0;
    for (; i + 4 <= bytes; i += 4) {
        uint32_t v = qtest_inl(s, c->cmd);
        buf[i] = (uint8_t)v;
        buf[i + 1] = (uint8_t)(v >> 8);
        buf[i + 2] = (uint8_t)(v >> 16);
        buf[i + 3] = (uint8_t)(v >> 24);
    }
    for (; i < bytes; i += 2) {
        uint16_t v = qtest_inw(s, c->cmd);
        buf[i] = (uint8_t)v;
        if (i + 1 < bytes) {
            buf[i + 1] = (uint8_t)(v >> 8);
        }
    }
}

static inline void ide_pio_out(QTestState *s, const IdeChan *c, const uint8_t *buf, size_t bytes)
{
    size_t i = 0;
    for (; i + 4 <= bytes; i += 4) {
        qtest_outl(s, c->cmd, (uint32_t)buf[i] | ((uint32_t)buf[i + 1] << 8) | ((uint32_t)buf[i + 2] << 16) |
                   ((uint32_t)buf[i + 3] << 24));
    }
    for (; i < bytes; i += 2) {
        qtest_outw(s, c->cmd, (uint16_t)(buf[i] | (buf[i + 1] << 8)));
    }
}

/*
 * A PIO data-in command already issued: read `nsect` sectors in blocks of
 * `block`, checking DRQ and INTRQ before each block.  Returns the final status.
 */
static inline uint8_t ide_pio_read_blocks(QTestState *s, const IdeChan *c, uint8_t *buf, int nsect, int block)
{
    for (int i = 0; i < nsect; i += block) {
        int n = MIN(block, nsect - i);
        uint8_t st = ide_wait_not_busy(s, c);
        g_assert_cmphex(st & (ST_DRQ | ST_ERR), ==, ST_DRQ);
        g_assert_true(qtest_get_irq(s, c->irq));
        qtest_inb(s, c->cmd + REG_STATUS);     /* acknowledge */
        g_assert_false(qtest_get_irq(s, c->irq));
        ide_pio_in(s, c, buf + (size_t)i * 512, (size_t)n * 512);
    }
    return ide_wait_not_busy(s, c);
}

/* A PIO data-out command already issued: the first block needs no interrupt, later ones do. */
static inline uint8_t ide_pio_write_blocks(QTestState *s, const IdeChan *c, const uint8_t *buf, int nsect,
                                           int block)
{
    for (int i = 0; i < nsect; i += block) {
        int n = MIN(block, nsect - i);
        uint8_t st = ide_wait_not_busy(s, c);
        g_assert_cmphex(st & (ST_DRQ | ST_ERR), ==, ST_DRQ);
        if (i > 0) {
            g_assert_true(qtest_get_irq(s, c->irq));
            qtest_inb(s, c->cmd + REG_STATUS);
        }
        ide_pio_out(s, c, buf + (size_t)i * 512, (size_t)n * 512);
    }
    uint8_t st = ide_wait_not_busy(s, c);
    g_assert_true(qtest_get_irq(s, c->irq));
    st = qtest_inb(s, c->cmd + REG_STATUS);
    return st;
}

static inline uint8_t ide_read_sectors(QTestState *s, const IdeChan *c, int dev, uint32_t lba, int nsect,
                                       uint8_t *buf)
{
    ide_lba28(s, c, dev, lba, (uint8_t)nsect);
    qtest_outb(s, c->cmd + REG_COMMAND, 0x20);
    return ide_pio_read_blocks(s, c, buf, nsect ? nsect : 256, 1);
}

static inline uint8_t ide_write_sectors(QTestState *s, const IdeChan *c, int dev, uint32_t lba, int nsect,
                                        const uint8_t *buf)
{
    ide_lba28(s, c, dev, lba, (uint8_t)nsect);
    qtest_outb(s, c->cmd + REG_COMMAND, 0x30);
    return ide_pio_write_blocks(s, c, buf, nsect ? nsect : 256, 1);
}

/* A non-data command: issue it, wait, acknowledge; returns the status. */
static inline uint8_t ide_nondata(QTestState *s, const IdeChan *c, uint8_t cmd)
{
    qtest_outb(s, c->cmd + REG_COMMAND, cmd);
    ide_wait_not_busy(s, c);
    /* ioemu changes status and INTRQ together; QEMU's IRQ line may trail its status a little. */
    for (int i = 0; ide_target_is_qemu() && i < 1000 && !qtest_get_irq(s, c->irq); i++) {
        g_usleep(1000);
    }
    g_assert_true(qtest_get_irq(s, c->irq));
    return qtest_inb(s, c->cmd + REG_STATUS);
}

/* Write a PRD table: pairs of (address, byte count); the last entry gets EOT. */
static inline void ide_write_prd(QTestState *s, uint64_t at, const uint32_t *addr, const uint32_t *count, int n)
{
    for (int i = 0; i < n; i++) {
        qtest_writel(s, at + 8 * i, addr[i]);
        qtest_writel(s, at + 8 * i + 4, (count[i] & 0xffff) | (i == n - 1 ? PRD_EOT : 0));
    }
}

/*
 * Run a DMA command with the PRD table at `prd`: program the bus master,
 * issue `cmd` (taskfile already set), start the engine, wait for the
 * interrupt (or the engine going idle), stop it.  Returns the bus master
 * status; *status gets the device status (read, acknowledging INTRQ).
 */
static inline uint8_t ide_dma(QTestState *s, const IdeChan *c, uint8_t cmd, bool to_memory, uint32_t prd,
                              uint8_t *status)
{
    uint8_t dir = to_memory ? BM_TO_MEMORY : 0;
    uint8_t bm = 0;

    qtest_outb(s, c->bm + BM_CMD, 0);
    qtest_outb(s, c->bm + BM_STATUS, BM_INT | BM_ERROR);
    qtest_outl(s, c->bm + BM_PRD, prd);
    qtest_outb(s, c->bm + BM_CMD, dir);
    qtest_outb(s, c->cmd + REG_COMMAND, cmd);
    qtest_outb(s, c->bm + BM_CMD, dir | BM_START);
    for (int i = 0; i < 100000; i++) {
        bm = qtest_inb(s, c->bm + BM_STATUS);
        if ((bm & BM_INT) || !(bm & BM_ACTIVE)) {
            break;
        }
        if (i > 50) {
            g_usleep(200);
        }
    }
    qtest_outb(s, c->bm + BM_CMD, dir);
    ide_wait_not_busy(s, c);
    if (status) {
        *status = qtest_inb(s, c->cmd + REG_STATUS);
    }
    return bm;
}

static inline void ide_fill_pattern(uint8_t *buf, size_t len, uint32_t seed)
{
    uint32_t x = seed * 2654435761u + 1;
    for (size_t i = 0; i < len; i++) {
        x = x * 1103515245u + 12345u;
        buf[i] = (uint8_t)(x >> 16);
    }
}

/* Run a host command (qemu-img, xorriso); returns its exit status or -1 if it could not run. */
static inline int ide_run(const char *const *argv, char **out)
{
    gint status = -1;
    GError *err = NULL;

    if (!g_spawn_sync(NULL, (char **)argv, NULL, G_SPAWN_SEARCH_PATH | G_SPAWN_STDERR_TO_DEV_NULL |
                      (out ? 0 : G_SPAWN_STDOUT_TO_DEV_NULL),
                      NULL, NULL, out, NULL, &status, &err)) {
        g_clear_error(&err);
        return -1;
    }
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static inline bool ide_have_program(const char *name)
{
    char *p = g_find_program_in_path(name);
    bool ok = p != NULL;
    g_free(p);
    return ok;
}

/* Create an image with qemu-img; false (test skipped by the caller) when qemu-img is missing. */
static inline bool ide_make_image(const char *path, const char *format, const char *size)
{
    const char *argv[] = { "qemu-img", "create", "-q", "-f", format, path, size, NULL };
    if (!ide_have_program("qemu-img")) {
        return false;
    }
    g_assert_cmpint(ide_run(argv, NULL), ==, 0);
    return true;
}

/* `qemu-img check` exit status (0: clean, 3: leaks only). */
static inline int ide_qemu_img_check(const char *path)
{
    const char *argv[] = { "qemu-img", "check", "-q", path, NULL };
    return ide_run(argv, NULL);
}

#endif
