/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The pc board built in-process: configuration and firmware errors, the
 * memory map (RAM split, firmware at 4 GiB and below 1 MiB), IRQ wiring to
 * the PIC or to the kernel-irqchip sink, and a whole-machine state
 * save/restore that must bring the PAM windows back.  A synthetic firmware
 * image keeps it deterministic.
 */
#include <string.h>

#include <glib.h>
#include <glib/gstdio.h>

#include "hw/core/machine.h"
#include "hw/i386/pc.h"
#include "hw/intc/i8259.h"
#include "hw/nvram/fw_cfg.h"
#include "hw/pci/pci.h"

#define KiB 1024ull
#define MiB (1024 * KiB)
#define GiB (1024 * MiB)

typedef struct Fixture {
    char *dir;
    char *bios;         /* 128 KiB synthetic image */
    PCConfig cfg;
    int intr_level, intr_calls;
    int sink_level[PC_NUM_GSI];
    int sink_calls;
} Fixture;

static char *write_image(Fixture *f, const char *name, size_t size)
{
    char *path = g_build_filename(f->dir, name, NULL);
    uint8_t *data = g_malloc(size ? size : 1);

    for (size_t i = 0; i < size; i++) {
        data[i] = (uint8_t)(i * 13 + (i >> 16));
    }
    g_assert_true(g_file_set_contents(path, (const char *)data, (gssize)size, NULL));
    g_free(data);
    return path;
}

static void fixture_setup(Fixture *f, gconstpointer data)
{
    memset(f, 0, sizeof(*f));
    f->dir = g_dir_make_tmp("ioemu-pc-XXXXXX", NULL);
    g_assert_nonnull(f->dir);
    f->bios = write_image(f, "bios.bin", 128 * KiB);
    f->cfg.ram_size = 32 * MiB;
    f->cfg.bios_path = f->bios;
    f->cfg.smp_cpus = 1;
}

static void fixture_teardown(Fixture *f, gconstpointer data)
{
    GDir *d = g_dir_open(f->dir, 0, NULL);
    const char *name;

    while ((name = g_dir_read_name(d))) {
        char *p = g_build_filename(f->dir, name, NULL);
        g_unlink(p);
        g_free(p);
    }
    g_dir_close(d);
    g_rmdir(f->dir);
    g_free(f->dir);
    g_free(f->bios);
}

static void expect_error(Fixture *f, const char *needle)
{
    GError *err = NULL;
    Machine *m = pc_create(&f->cfg, &err);

    g_assert_null(m);
    g_assert_nonnull(err);
    if (!strstr(err->message, needle)) {
        g_error("error \"%s\" does not mention \"%s\"", err->message, needle);
    }
    g_error_free(err);
}

static void test_config_errors(Fixture *f, gconstpointer data)
{
    char *missing = g_build_filename(f->dir, "missing.bin", NULL);
    char *odd = write_image(f, "odd.bin", 100 * KiB);
    char *empty = write_image(f, "empty.bin", 0);
    char *huge = write_image(f, "huge.bin", 16 * MiB + 64 * KiB);

    f->cfg.bios_path = missing;
    expect_error(f, missing);
    f->cfg.bios_path = odd;
    expect_error(f, odd);
    f->cfg.bios_path = empty;
    expect_error(f, empty);
    f->cfg.bios_path = huge;
    expect_error(f, "16 MiB");
    f->cfg.bios_path = f->bios;

    f->cfg.boot_order = "cx";
    expect_error(f, "'x'");
    f->cfg.boot_order = "cdna";
    expect_error(f, "too many");
    f->cfg.boot_order = NULL;
    f->cfg.smp_cpus = 0;
    expect_error(f, "CPUs");
    f->cfg.smp_cpus = 1;
    f->cfg.ram_size = 512 * KiB;
    expect_error(f, "1 MiB");
    g_free(missing);
    g_free(odd);
    g_free(empty);
    g_free(huge);
}

static void test_memory_map(Fixture *f, gconstpointer data)
{
    GError *err = NULL;
    Machine *m = pc_create(&f->cfg, &err);
    uint8_t top[16], low[16], expect[16];
    uint64_t v;

    g_assert_no_error(err);
    g_assert_nonnull(m);
    g_assert_true(pc_board(m) != NULL);
    g_assert_cmphex(pc_below_4g_mem_size(m), ==, 32 * MiB);
    g_assert_cmphex(pc_above_4g_mem_size(m), ==, 0);

    /* The image's last 16 bytes at 4 GiB - 16 and at 1 MiB - 16. */
    for (size_t i = 0; i < 16; i++) {
        size_t off = 128 * KiB - 16 + i;
        expect[i] = (uint8_t)(off * 13 + (off >> 16));
    }
    g_assert_true(as_read_buf(m->mem, 4 * GiB - 16, top, 16));
    g_assert_true(as_read_buf(m->mem, 1 * MiB - 16, low, 16));
    g_assert_cmpmem(top, 16, expect, 16);
    g_assert_cmpmem(low, 16, expect, 16);
    /* The ROM ignores writes. */
    as_write(m->mem, 4 * GiB - 16, 4, 0);
    g_assert_true(as_read_buf(m->mem, 4 * GiB - 16, top, 16));
    g_assert_cmpmem(top, 16, expect, 16);

    /* RAM below 640 KiB and above 1 MiB; the VGA hole and the PCI hole read all-ones. */
    g_assert_true(as_write(m->mem, 0x9fffc, 4, 0x11223344));
    g_assert_true(as_read(m->mem, 0x9fffc, 4, &v));
    g_assert_cmphex(v, ==, 0x11223344);
    g_assert_true(as_write(m->mem, 32 * MiB - 4, 4, 0x55667788));
    g_assert_true(as_read(m->mem, 32 * MiB - 4, 4, &v));
    g_assert_cmphex(v, ==, 0x55667788);
    g_assert_false(as_read(m->mem, 0xa0000, 4, &v));
    g_assert_cmphex(v, ==, 0xffffffff);
    g_assert_false(as_read(m->mem, 32 * MiB, 4, &v));
    g_assert_cmphex(v, ==, 0xffffffff);

    /* Device table and IRQ groups. */
    g_assert_nonnull(device_find(m->devices, "i440fx"));
    g_assert_nonnull(device_find(m->devices, "piix3"));
    g_assert_nonnull(device_find(m->devices, "port92"));
    g_assert_nonnull(device_find(m->devices, "fw_cfg"));
    g_assert_nonnull(pc_pic(m));
    g_assert_nonnull(pc_fw_cfg(m));
    g_assert_nonnull(pc_pci_bus(m));
    g_assert_cmpint(machine_find_irq_in(m, "ioapic")->count, ==, PC_NUM_GSI);
    g_assert_cmpint(machine_find_irq_in(m, "pic")->count, ==, 16);
    g_assert_cmpint(machine_find_irq_in(m, "i8259")->count, ==, 16);
    g_assert_cmpint(machine_find_irq_out(m, "pic")->count, ==, 1);
    pc_destroy(m);
}

static void test_ram_split(Fixture *f, gconstpointer data)
{
    GError *err = NULL;
    Machine *m;
    uint64_t v;

    /* 3.5 GiB is QEMU's lowmem limit: from there on 3 GiB stay below 4 GiB. */
    f->cfg.ram_size = 3 * GiB + 512 * MiB;
    m = pc_create(&f->cfg, &err);
    g_assert_no_error(err);
    g_assert_cmphex(pc_below_4g_mem_size(m), ==, 3 * GiB);
    g_assert_cmphex(pc_above_4g_mem_size(m), ==, 512 * MiB);
    g_assert_true(as_write(m->mem, 4 * GiB + 512 * MiB - 8, 8, 0x0123456789abcdefull));
    g_assert_true(as_read(m->mem, 4 * GiB + 512 * MiB - 8, 8, &v));
    g_assert_cmphex(v, ==, 0x0123456789abcdefull);
    g_assert_false(as_read(m->mem, 3 * GiB, 4, &v));
    pc_destroy(m);

    /* Just below the limit: everything below 4 GiB. */
    f->cfg.ram_size = 3 * GiB + 256 * MiB;
    m = pc_create(&f->cfg, &err);
    g_assert_no_error(err);
    g_assert_cmphex(pc_below_4g_mem_size(m), ==, 3 * GiB + 256 * MiB);
    g_assert_cmphex(pc_above_4g_mem_size(m), ==, 0);
    pc_destroy(m);
}

static void on_intr(void *opaque, int n, int level)
{
    Fixture *f = opaque;
    f->intr_level = level;
    f->intr_calls++;
}

static void test_pic_wiring(Fixture *f, gconstpointer data)
{
    GError *err = NULL;
    Machine *m = pc_create(&f->cfg, &err);
    IrqLine **gsi = pc_gsi(m);

    g_assert_no_error(err);
    pc_set_cpu_intr_handler(m, on_intr, f);
    /* ICW1-4 for the master (vector base 0x08, slave on IR2, 8086 mode), all unmasked. */
    as_write(m->io, 0x20, 1, 0x11);
    as_write(m->io, 0x21, 1, 0x08);
    as_write(m->io, 0x21, 1, 0x04);
    as_write(m->io, 0x21, 1, 0x01);
    as_write(m->io, 0x21, 1, 0x00);
    irq_set(gsi[3], 1);
    g_assert_cmpint(f->intr_level, ==, 1);
    g_assert_cmpint(i8259_intack(pc_pic(m)), ==, 0x08 + 3);
    irq_set(gsi[3], 0);
    /* GSIs above 15 have no receiver without an IOAPIC; nothing breaks. */
    irq_set(gsi[20], 1);
    irq_set(gsi[20], 0);
    pc_destroy(m);
}

static void gsi_sink(void *opaque, int gsi, int level)
{
    Fixture *f = opaque;
    g_assert_cmpint(gsi, >=, 0);
    g_assert_cmpint(gsi, <, PC_NUM_GSI);
    f->sink_level[gsi] = level;
    f->sink_calls++;
}

static void test_kernel_irqchip(Fixture *f, gconstpointer data)
{
    GError *err = NULL;
    Machine *m;
    IrqLine **gsi;

    f->cfg.kernel_irqchip = true;
    f->cfg.gsi_sink = gsi_sink;
    f->cfg.gsi_opaque = f;
    m = pc_create(&f->cfg, &err);
    g_assert_no_error(err);
    gsi = pc_gsi(m);
    g_assert_null(pc_pic(m));
    g_assert_null(device_find(m->devices, "pic"));
    irq_set(gsi[9], 1);
    g_assert_cmpint(f->sink_level[9], ==, 1);
    irq_set(gsi[23], 1);
    g_assert_cmpint(f->sink_level[23], ==, 1);
    /* The "pic" group still exists for the test protocol: the GSI lines 0-15. */
    g_assert_cmpint(machine_find_irq_in(m, "pic")->count, ==, 16);
    g_assert_null(machine_find_irq_out(m, "pic"));
    pc_destroy(m);
}

static void cfg_writeb(Machine *m, int devfn, unsigned reg, uint8_t v)
{
    as_write(m->io, 0xcf8, 4, 0x80000000u | (unsigned)devfn << 8 | (reg & 0xfc));
    as_write(m->io, 0xcfc + (reg & 3), 1, v);
}

static void test_save_restore(Fixture *f, gconstpointer data)
{
    GError *err = NULL;
    Machine *m = pc_create(&f->cfg, &err);
    GByteArray *saved = g_byte_array_new();
    uint64_t v;

    g_assert_no_error(err);
    /* Shadow the BIOS segment read/write and leave a mark in it. */
    cfg_writeb(m, 0, 0x59, 0x30);
    g_assert_true(as_write(m->mem, 0xf0000, 4, 0xfeedf00d));
    cfg_writeb(m, 0, 0x72, 0x4a);       /* SMRAM open */
    as_write(m->io, 0xcf8, 4, 0x80000860);
    device_list_save(m->devices, saved);

    device_list_reset(m->devices, RESET_HARD);
    g_assert_true(as_read(m->mem, 0xf0000, 4, &v));
    g_assert_cmphex(v, !=, 0xfeedf00d);
    g_assert_false(as_read(m->mem, 0xa0000, 4, &v));

    g_assert_true(device_list_load(m->devices, saved->data, saved->len, &err));
    g_assert_no_error(err);
    g_assert_true(as_read(m->mem, 0xf0000, 4, &v));
    g_assert_cmphex(v, ==, 0xfeedf00d);
    g_assert_true(as_read(m->mem, 0xa0000, 4, &v));
    /* CONFADD came back too: the data port reads PIRQRC of 00:01.0. */
    g_assert_true(as_read(m->io, 0xcfc, 4, &v));
    g_assert_cmphex(v, ==, 0x80808080);
    g_byte_array_free(saved, TRUE);
    pc_destroy(m);
}

static void test_fw_cfg_files(Fixture *f, gconstpointer data)
{
    GError *err = NULL;
    Machine *m;
    FWCfg *fw;

    f->cfg.sercon_port = 0x3f8;
    m = pc_create(&f->cfg, &err);
    g_assert_no_error(err);
    fw = pc_fw_cfg(m);
    g_assert_cmpint(fw_cfg_file_key(fw, "etc/sercon-port"), >=, FW_CFG_FILE_FIRST);
    g_assert_cmpint(fw_cfg_file_key(fw, "etc/e820"), >=, FW_CFG_FILE_FIRST);
    /* Names are unique and sorted: adding "a" moves everything up one selector. */
    int e820 = fw_cfg_file_key(fw, "etc/e820");
    g_assert_false(fw_cfg_add_file(fw, "etc/e820", g_malloc0(4), 4));
    g_assert_true(fw_cfg_add_file(fw, "a", g_malloc0(4), 4));
    g_assert_cmpint(fw_cfg_file_key(fw, "a"), ==, FW_CFG_FILE_FIRST);
    g_assert_cmpint(fw_cfg_file_key(fw, "etc/e820"), ==, e820 + 1);
    g_assert_false(fw_cfg_add_file(fw, "", NULL, 0));
    char longname[80];
    memset(longname, 'x', sizeof(longname) - 1);
    longname[sizeof(longname) - 1] = 0;
    g_assert_false(fw_cfg_add_file(fw, longname, g_malloc0(4), 4));
    g_assert_true(fw_cfg_modify_file(fw, "a", g_malloc0(8), 8));
    g_assert_cmpint(fw_cfg_file_key(fw, "a"), ==, FW_CFG_FILE_FIRST);
    pc_destroy(m);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
#define ADD(name, fn) g_test_add("/pc/" name, Fixture, NULL, fixture_setup, fn, fixture_teardown)
    ADD("config-errors", test_config_errors);
    ADD("memory-map", test_memory_map);
    ADD("ram-split", test_ram_split);
    ADD("pic-wiring", test_pic_wiring);
    ADD("kernel-irqchip", test_kernel_irqchip);
    ADD("save-restore", test_save_restore);
    ADD("fw-cfg-files", test_fw_cfg_files);
    return g_test_run();
}
