/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The PIIX3 IDE function on a bare machine (no emulator process): state
 * save/restore in the middle of a PIO transfer and with a DMA command
 * waiting for its engine, post_load refusing inconsistent state, the host
 * side of removable media (medium change, eject, the guest's lock and the
 * eject request event), the Xen unplug of hard disks, CMOS geometry and
 * firmware boot paths.
 */
#include <glib/gstdio.h>
#include <string.h>
#include <unistd.h>

#include "block/block.h"
#include "hw/core/machine.h"
#include "hw/ide/ide_piix.h"
#include "hw/pci/pci.h"
#include "tests/test-tmpdir.h"

#define RAM_SIZE    (1u << 20)
#define BMIBA       0xc000

static char *tmp_dir;

typedef struct TestMachine {
    Machine *m;
    PCIBus *bus;
    MemoryRegion *ram;
    IDEPiixState *ide;
    IrqLine *irq[2];
    int irq_level[2];
    BlockBackend *blk[4];
} TestMachine;

static void test_irq(void *opaque, int n, int level)
{
    TestMachine *tm = opaque;
    tm->irq_level[n] = level;
}

static char *make_file(const char *name, size_t size, uint32_t seed)
{
    char *path = g_build_filename(tmp_dir, name, NULL);
    uint8_t *data = g_malloc(size);
    for (size_t i = 0; i < size; i++) {
        data[i] = (uint8_t)((i * 131 + seed) ^ (i >> 9));
    }
    g_assert_true(g_file_set_contents(path, (const char *)data, size, NULL));
    g_free(data);
    return path;
}

/* kinds: 'h' hard disk, 'c' CD-ROM with medium, 'e' empty CD-ROM, 0 absent; files[i] for h/c. */
static TestMachine *machine_make(const char kinds[4], char *const files[4])
{
    TestMachine *tm = g_new0(TestMachine, 1);
    bool cd[4] = { false };
    GError *err = NULL;

    for (int i = 0; i < 4; i++) {
        if (kinds[i] == 'h' || kinds[i] == 'c') {
            tm->blk[i] = blk_open(files[i], "raw", kinds[i] == 'h' ? BLK_OPEN_RDWR : 0, BLK_CACHE_WRITEBACK,
                                  &err);
            g_assert_no_error(err);
        }
        cd[i] = kinds[i] == 'c' || kinds[i] == 'e';
    }
    tm->m = machine_new(1ull << 32);
    tm->ram = mr_new_ram("ram", RAM_SIZE, NULL);
    mr_add_subregion(as_root(tm->m->mem), 0, tm->ram, 0);
    tm->bus = pci_bus_new(tm->m);
    tm->irq[0] = irq_new(test_irq, tm, 0);
    tm->irq[1] = irq_new(test_irq, tm, 1);
    tm->ide = ide_piix3_create(tm->m, tm->bus, PIIX3_IDE_DEVFN, tm->blk, cd, tm->irq[0], tm->irq[1], &err);
    g_assert_no_error(err);
    device_list_reset(tm->m->devices, RESET_POWER_ON);
    pci_bus_config_write(tm->bus, PIIX3_IDE_DEVFN, 0x20, BMIBA | 1, 4);
    pci_bus_config_write(tm->bus, PIIX3_IDE_DEVFN, 0x40, 0x80008000, 4);
    pci_bus_config_write(tm->bus, PIIX3_IDE_DEVFN, 0x04, 0x0005, 2);
    return tm;
}

static void machine_destroy(TestMachine *tm)
{
    machine_free(tm->m);
    mr_free(tm->ram);
    pci_bus_free(tm->bus);
    irq_free(tm->irq[0]);
    irq_free(tm->irq[1]);
    for (int i = 0; i < 4; i++) {
        if (tm->blk[i]) {
            blk_close(tm->blk[i]);
        }
    }
    g_free(tm);
}

static void outb(TestMachine *tm, uint16_t port, uint8_t v)
{
    g_assert_true(as_write(tm->m->io, port, 1, v));
}

static uint8_t inb(TestMachine *tm, uint16_t port)
{
    uint64_t v = 0;
    as_read(tm->m->io, port, 1, &v);
    return (uint8_t)v;
}

static uint16_t inw(TestMachine *tm, uint16_t port)
{
    uint64_t v = 0;
    as_read(tm->m->io, port, 2, &v);
    return (uint16_t)v;
}

static void outw(TestMachine *tm, uint16_t port, uint16_t v)
{
    as_write(tm->m->io, port, 2, v);
}

/* Let block requests finish (their completions run here). */
static uint8_t settle(TestMachine *tm, uint16_t ctl)
{
    for (int i = 0; i < 2; i++) {
        ide_bus_drain(ide_piix_bus(tm->ide, i));
    }
    return inb(tm, ctl);
}

static void read_words(TestMachine *tm, uint16_t port, uint8_t *buf, size_t bytes)
{
    for (size_t i = 0; i < bytes; i += 2) {
        uint16_t v = inw(tm, port);
        buf[i] = (uint8_t)v;
        buf[i + 1] = (uint8_t)(v >> 8);
    }
}

/* A packet to the secondary master by PIO; the reply (if any) into buf.  Returns the final status. */
static uint8_t atapi(TestMachine *tm, const uint8_t cdb[12], uint8_t *buf, size_t len)
{
    size_t got = 0;
    uint8_t st;

    outb(tm, 0x176, 0xa0);
    outb(tm, 0x171, 0);
    outb(tm, 0x174, 0x00);
    outb(tm, 0x175, 0x08);
    outb(tm, 0x177, 0xa0);
    g_assert_cmphex(settle(tm, 0x376) & 0x08, ==, 0x08);
    for (int i = 0; i < 12; i += 2) {
        outw(tm, 0x170, (uint16_t)(cdb[i] | (cdb[i + 1] << 8)));
    }
    while ((st = settle(tm, 0x376)) & 0x08) {
        size_t n = inb(tm, 0x174) | ((size_t)inb(tm, 0x175) << 8);
        g_assert_cmpuint(got + n, <=, len);
        read_words(tm, 0x170, buf + got, n);
        got += n;
    }
    inb(tm, 0x177);
    return st;
}

static uint8_t sense_key(TestMachine *tm, uint8_t *asc)
{
    uint8_t cdb[12] = { 0x03, 0, 0, 0, 18 }, buf[18];
    g_assert_cmphex(atapi(tm, cdb, buf, sizeof(buf)) & 1, ==, 0);
    *asc = buf[12];
    return buf[2] & 0xf;
}

/* ---- save/restore ---- */

static GByteArray *save_ide(TestMachine *tm)
{
    GByteArray *out = g_byte_array_new();
    device_save((Device *)ide_piix_pci(tm->ide), out);
    return out;
}

static bool load_ide(TestMachine *tm, GByteArray *state, GError **err)
{
    return device_load((Device *)ide_piix_pci(tm->ide), state->data, state->len, err);
}

static void test_save_restore_pio(void)
{
    char *disk = make_file("pio.raw", 1 << 20, 3);
    char *files[4] = { disk };
    TestMachine *a = machine_make("h\0\0\0", files), *b;
    uint8_t want[4 * 512], got[4 * 512];
    GByteArray *state;
    GError *err = NULL;

    {
        FILE *f = fopen(disk, "rb");
        g_assert_cmpint(fseek(f, 10 * 512, SEEK_SET), ==, 0);
        g_assert_cmpuint(fread(want, 1, sizeof(want), f), ==, sizeof(want));
        fclose(f);
    }
    /* READ SECTORS 10..13, stop in the middle of the second sector. */
    outb(a, 0x1f6, 0xe0);
    outb(a, 0x1f2, 4);
    outb(a, 0x1f3, 10);
    outb(a, 0x1f4, 0);
    outb(a, 0x1f5, 0);
    outb(a, 0x1f7, 0x20);
    g_assert_cmphex(settle(a, 0x3f6) & 0x89, ==, 0x08);
    inb(a, 0x1f7);
    read_words(a, 0x1f0, got, 512);
    /* The second block comes with a new interrupt, left pending across the save. */
    g_assert_cmphex(settle(a, 0x3f6) & 0x89, ==, 0x08);
    read_words(a, 0x1f0, got + 512, 200);
    g_assert_true(a->irq_level[0] == 1);

    state = save_ide(a);
    machine_destroy(a);

    b = machine_make("h\0\0\0", files);
    g_assert_true(load_ide(b, state, &err));
    g_assert_no_error(err);
    /* The restored device continues where the first one stopped, INTRQ included. */
    g_assert_true(b->irq_level[0] == 1);
    g_assert_cmphex(inb(b, 0x3f6) & 0x89, ==, 0x08);
    read_words(b, 0x1f0, got + 712, 312);
    for (int s = 2; s < 4; s++) {
        inb(b, 0x1f7);
        g_assert_cmphex(settle(b, 0x3f6) & 0x89, ==, 0x08);
        read_words(b, 0x1f0, got + s * 512, 512);
    }
    g_assert_cmphex(settle(b, 0x3f6) & 0x89, ==, 0x00);
    g_assert_cmpmem(got, sizeof(got), want, sizeof(want));
    g_byte_array_unref(state);
    machine_destroy(b);
    g_free(disk);
}

static void test_save_restore_dma_waiting(void)
{
    char *disk = make_file("dmaw.raw", 1 << 20, 9);
    char *files[4] = { disk };
    TestMachine *a = machine_make("h\0\0\0", files), *b;
    uint8_t want[8 * 512], got[8 * 512];
    uint32_t prd[2] = { 0x20000, 0x80000000u | sizeof(got) };
    GByteArray *state;
    GError *err = NULL;

    {
        FILE *f = fopen(disk, "rb");
        g_assert_cmpuint(fread(want, 1, sizeof(want), f), ==, sizeof(want));
        fclose(f);
    }
    /* READ DMA issued, the engine not started yet: saved in that state. */
    as_write_buf(a->m->mem, 0x1000, prd, sizeof(prd));
    as_write(a->m->io, BMIBA + 4, 4, 0x1000);
    outb(a, 0x1f6, 0xe0);
    outb(a, 0x1f2, 8);
    outb(a, 0x1f3, 0);
    outb(a, 0x1f4, 0);
    outb(a, 0x1f5, 0);
    outb(a, 0x1f7, 0xc8);
    state = save_ide(a);
    machine_destroy(a);

    b = machine_make("h\0\0\0", files);
    as_write_buf(b->m->mem, 0x1000, prd, sizeof(prd));
    g_assert_true(load_ide(b, state, &err));
    g_assert_no_error(err);
    outb(b, BMIBA, 0x09);
    settle(b, 0x3f6);
    g_assert_cmphex(inb(b, BMIBA + 2) & 0x07, ==, 0x04);
    g_assert_cmphex(inb(b, 0x1f7) & 0x89, ==, 0x00);
    as_read_buf(b->m->mem, 0x20000, got, sizeof(got));
    g_assert_cmpmem(got, sizeof(got), want, sizeof(want));
    g_byte_array_unref(state);
    machine_destroy(b);
    g_free(disk);
}

/* Corrupt one field of a saved device and check the restore is refused with a message. */
static void expect_refused(char *const files[4], const char kinds[4], void (*corrupt)(TestMachine *),
                           const char *kinds_b, const char *why)
{
    TestMachine *a = machine_make(kinds, files), *b;
    GByteArray *state;
    GError *err = NULL;

    corrupt(a);
    state = save_ide(a);
    machine_destroy(a);
    b = machine_make(kinds_b, files);
    g_assert_false(load_ide(b, state, &err));
    g_assert_nonnull(err);
    if (!strstr(err->message, why)) {
        g_error("refusal '%s' does not mention '%s'", err->message, why);
    }
    g_error_free(err);
    g_byte_array_unref(state);
    machine_destroy(b);
}

static void corrupt_data_end(TestMachine *tm)
{
    IDEState *s = ide_piix_drive(tm->ide, 0);
    s->xfer = IDE_XFER_READ_SECTORS;
    s->status = 0x58;
    s->buf_len = 512;
    s->data_end = IDE_IO_BUFFER_SIZE + 100;
}

static void corrupt_xfer(TestMachine *tm)
{
    ide_piix_drive(tm->ide, 0)->xfer = 77;
}

static void corrupt_beyond_end(TestMachine *tm)
{
    IDEState *s = ide_piix_drive(tm->ide, 0);
    s->dma_kind = IDE_DMA_ATA_READ;
    s->dma_waiting = true;
    s->status = 0x58;
    s->xfer_lba = s->nb_sectors - 1;
    s->xfer_remaining = 2;
}

static void corrupt_busy(TestMachine *tm)
{
    ide_piix_drive(tm->ide, 0)->status = 0xd0;
}

static void corrupt_mult(TestMachine *tm)
{
    ide_piix_drive(tm->ide, 0)->mult_sectors = 3;
}

static void corrupt_unit(TestMachine *tm)
{
    ide_piix_bus(tm->ide, 0)->unit = 2;
}

static void corrupt_nothing(TestMachine *tm)
{
}

static void test_post_load_refuses(void)
{
    char *disk = make_file("refuse.raw", 1 << 20, 1);
    char *files[4] = { disk, NULL, disk };

    expect_refused(files, "h\0\0\0", corrupt_data_end, "h\0\0\0", "PIO buffer position");
    expect_refused(files, "h\0\0\0", corrupt_xfer, "h\0\0\0", "transfer state");
    expect_refused(files, "h\0\0\0", corrupt_beyond_end, "h\0\0\0", "beyond the end");
    expect_refused(files, "h\0\0\0", corrupt_busy, "h\0\0\0", "busy");
    expect_refused(files, "h\0\0\0", corrupt_mult, "h\0\0\0", "multiple");
    expect_refused(files, "h\0\0\0", corrupt_unit, "h\0\0\0", "unit");
    /* A state from a machine with a disk where this one has a CD-ROM drive. */
    expect_refused(files, "h\0\0\0", corrupt_nothing, "c\0\0\0", "kind");
    g_free(disk);
}

/* ---- removable media from the host side ---- */

static void test_host_media_change(void)
{
    char *iso1 = make_file("one.iso", 64 * 2048, 1);
    char *iso2 = make_file("two.iso", 128 * 2048, 2);
    char *files[4] = { NULL, NULL, iso1 };
    TestMachine *tm = machine_make("\0\0c\0", files);
    IDEState *cd = ide_piix_drive(tm->ide, 2);
    uint8_t tur[12] = { 0 }, cap[12] = { 0x25 }, lock[12] = { 0x1e, 0, 0, 0, 1 };
    uint8_t gesn[12] = { 0x4a, 1, 0, 0, 0x10, 0, 0, 0, 8 };
    uint8_t buf[64], asc;
    BlockBackend *old = NULL, *blk2;
    GError *err = NULL;

    g_assert_cmphex(atapi(tm, tur, NULL, 0) & 1, ==, 0);
    g_assert_cmphex(atapi(tm, cap, buf, 8) & 1, ==, 0);
    g_assert_cmpuint(buf[3], ==, 63);

    /* The host inserts another medium: one unit attention, then the new capacity. */
    blk2 = blk_open(iso2, "raw", 0, BLK_CACHE_WRITEBACK, &err);
    g_assert_no_error(err);
    g_assert_true(ide_cd_change_medium(cd, blk2, &old, &err));
    g_assert_true(old == tm->blk[2]);
    tm->blk[2] = blk2;
    blk_close(old);
    g_assert_cmphex(atapi(tm, gesn, buf, 8) & 1, ==, 0);
    g_assert_cmpuint(buf[4] & 0xf, ==, 2);             /* new media */
    g_assert_cmphex(atapi(tm, tur, NULL, 0) & 1, ==, 1);
    g_assert_cmpuint(sense_key(tm, &asc), ==, 6);
    g_assert_cmphex(asc, ==, 0x28);
    g_assert_cmphex(atapi(tm, cap, buf, 8) & 1, ==, 0);
    g_assert_cmpuint(buf[3], ==, 127);

    /* The guest locks the tray: the host's eject is refused and becomes an eject request event. */
    g_assert_cmphex(atapi(tm, lock, NULL, 0) & 1, ==, 0);
    g_assert_false(ide_cd_eject(cd, &err));
    g_assert_nonnull(err);
    g_clear_error(&err);
    g_assert_cmphex(atapi(tm, gesn, buf, 8) & 1, ==, 0);
    g_assert_cmpuint(buf[4] & 0xf, ==, 1);             /* eject request */
    lock[4] = 0;
    g_assert_cmphex(atapi(tm, lock, NULL, 0) & 1, ==, 0);
    g_assert_true(ide_cd_eject(cd, &err));
    g_assert_cmphex(atapi(tm, tur, NULL, 0) & 1, ==, 1);
    g_assert_cmpuint(sense_key(tm, &asc), ==, 2);
    g_assert_cmphex(asc, ==, 0x3a);

    /* Removing the medium altogether. */
    g_assert_true(ide_cd_change_medium(cd, NULL, &old, &err));
    g_assert_true(old == blk2);
    tm->blk[2] = NULL;
    blk_close(old);
    g_assert_cmphex(atapi(tm, tur, NULL, 0) & 1, ==, 1);
    g_assert_cmpuint(sense_key(tm, &asc), ==, 2);
    /* Not a CD drive. */
    g_assert_false(ide_cd_eject(ide_piix_drive(tm->ide, 0), &err));
    g_clear_error(&err);
    machine_destroy(tm);
    g_free(iso1);
    g_free(iso2);
}

/* ---- Xen unplug, CMOS geometry, boot paths ---- */

static void test_unplug_and_firmware_facts(void)
{
    char *d0 = make_file("u0.raw", 600 << 20 >> 4, 0);     /* 37.5 MiB */
    char *d1 = make_file("u1.raw", 1 << 20, 1);
    char *iso = make_file("u.iso", 16 * 2048, 2);
    char *files[4] = { d0, d1, iso };
    TestMachine *tm = machine_make("hhc\0", files);
    uint16_t cyls, heads, secs;
    bool lba;
    char *path;

    g_assert_true(ide_piix_hd_geometry(tm->ide, 0, &cyls, &heads, &secs, &lba));
    g_assert_cmpuint(heads, ==, 16);
    g_assert_cmpuint(secs, ==, 63);
    g_assert_cmpuint(cyls, ==, (600u << 20 >> 4) / 512 / (16 * 63));
    g_assert_false(lba);
    g_assert_true(ide_piix_hd_geometry(tm->ide, 1, &cyls, &heads, &secs, &lba));
    g_assert_cmpuint(cyls, ==, 2);          /* clamped to at least 2 */
    g_assert_false(ide_piix_hd_geometry(tm->ide, 2, &cyls, &heads, &secs, &lba));
    path = ide_piix_boot_path(tm->ide, 2);
    g_assert_cmpstr(path, ==, "/pci@i0cf8/ide@1,1/drive@1/disk@0");
    g_free(path);
    g_assert_null(ide_piix_boot_path(tm->ide, 3));

    /* XEN_UNPLUG_AUX_IDE_DISKS: the primary slave goes, the master and the CD stay. */
    ide_piix_unplug_disks(tm->ide, true);
    outb(tm, 0x1f6, 0xa0);
    g_assert_cmphex(inb(tm, 0x1f7), ==, 0x50);
    outb(tm, 0x1f6, 0xb0);
    g_assert_cmphex(inb(tm, 0x1f7), ==, 0);
    /* XEN_UNPLUG_ALL_IDE_DISKS: the master too; the primary channel is empty now. */
    ide_piix_unplug_disks(tm->ide, false);
    outb(tm, 0x1f6, 0xa0);
    g_assert_cmphex(inb(tm, 0x1f7), ==, 0);
    outb(tm, 0x1f7, 0xec);
    g_assert_cmphex(inb(tm, 0x3f6), ==, 0);
    g_assert_cmpint(ide_piix_drive(tm->ide, 2)->kind, ==, IDE_CD);
    outb(tm, 0x176, 0xa0);
    outb(tm, 0x177, 0xa1);
    g_assert_cmphex(settle(tm, 0x376) & 0x08, ==, 0x08);
    machine_destroy(tm);
    g_free(d0);
    g_free(d1);
    g_free(iso);
}

int main(int argc, char **argv)
{
    int ret;

    g_test_init(&argc, &argv, NULL);
    tmp_dir = test_tmpdir_on_disk("test-ide-core");
    g_assert_nonnull(tmp_dir);
    g_test_add_func("/ide-core/save-restore-pio", test_save_restore_pio);
    g_test_add_func("/ide-core/save-restore-dma-waiting", test_save_restore_dma_waiting);
    g_test_add_func("/ide-core/post-load-refuses", test_post_load_refuses);
    g_test_add_func("/ide-core/host-media-change", test_host_media_change);
    g_test_add_func("/ide-core/unplug-and-firmware-facts", test_unplug_and_firmware_facts);
    ret = g_test_run();
    test_tmpdir_remove(tmp_dir);
    g_free(tmp_dir);
    return ret;
}
