/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libFuzzer target: the PIIX3 IDE function as a guest sees it.  A bare
 * Machine (1 MiB of RAM, a PCI bus, no chipset) holds the IDE function
 * with a 1 MiB raw hard disk (primary master) and a CD-ROM with a 256 KiB
 * medium (secondary master); the input is a program of port accesses to
 * the command/control blocks and the bus-master registers, guest memory
 * writes (PRD tables, data), PCI configuration writes, waits for the
 * block requests and resets.  Block completions are drained after every
 * step, so a run is deterministic.
 *
 * After the program, both channels are reset (SRST, engine stopped) and
 * the disk must answer IDENTIFY DEVICE and the CD IDENTIFY PACKET DEVICE:
 * a device the guest can wedge is a bug, as is any crash, sanitizer
 * report or leak.
 *
 * Built by `make fuzz` (clang -fsanitize=fuzzer): build-fuzz/fuzz-ide
 * build-fuzz/corpus-ide.  tests/unit/test-ide-fuzz.c includes this file
 * and replays seeds and their deterministic mutations during `make check`.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "block/block.h"
#include "hw/core/log.h"
#include "hw/core/machine.h"
#include "hw/ide/ide_piix.h"
#include "hw/pci/pci.h"

#define FUZZ_RAM_SIZE       (1u << 20)
#define FUZZ_HD_SIZE        (1u << 20)
#define FUZZ_CD_SIZE        (256u << 10)
#define FUZZ_BMIBA          0xc000
#define FUZZ_MAX_INPUT      (64u << 10)
#define FUZZ_MAX_STEPS      4096

/* Opcodes of the input program (low 4 bits of each step's first byte). */
enum {
    FUZZ_OUTB, FUZZ_OUTW, FUZZ_OUTL, FUZZ_IN,
    FUZZ_MEMWRITE, FUZZ_PRD, FUZZ_PCI, FUZZ_DRAIN,
    FUZZ_SRST, FUZZ_RESET, FUZZ_DATA_IN, FUZZ_DATA_OUT,
    FUZZ_OP_COUNT
};

/* The ports a guest reaches: both command blocks, both control registers, the bus master block. */
static const uint16_t fuzz_ports[] = {
    0x1f0, 0x1f1, 0x1f2, 0x1f3, 0x1f4, 0x1f5, 0x1f6, 0x1f7, 0x3f6,
    0x170, 0x171, 0x172, 0x173, 0x174, 0x175, 0x176, 0x177, 0x376,
    FUZZ_BMIBA + 0, FUZZ_BMIBA + 1, FUZZ_BMIBA + 2, FUZZ_BMIBA + 3, FUZZ_BMIBA + 4, FUZZ_BMIBA + 5,
    FUZZ_BMIBA + 6, FUZZ_BMIBA + 7, FUZZ_BMIBA + 8, FUZZ_BMIBA + 9, FUZZ_BMIBA + 10, FUZZ_BMIBA + 11,
    FUZZ_BMIBA + 12, FUZZ_BMIBA + 13, FUZZ_BMIBA + 14, FUZZ_BMIBA + 15,
};

/* PCI configuration registers worth poking: command, BAR4, IDETIM, SIDETIM. */
static const uint8_t fuzz_cfg_regs[] = { 0x04, 0x20, 0x40, 0x41, 0x42, 0x43, 0x44 };

typedef struct FuzzMachine {
    Machine *m;
    PCIBus *bus;
    MemoryRegion *ram;
    IDEPiixState *ide;
    IrqLine *irq[2];
} FuzzMachine;

static char *fuzz_hd_path, *fuzz_cd_path;
static BlockBackend *fuzz_hd, *fuzz_cd;

typedef struct FuzzReader {
    const uint8_t *p;
    size_t left;
} FuzzReader;

static uint32_t fuzz_take(FuzzReader *r, unsigned bytes)
{
    uint32_t v = 0;
    for (unsigned i = 0; i < bytes; i++) {
        v |= (uint32_t)(r->left ? (r->left--, *r->p++) : 0) << (8 * i);
    }
    return v;
}

static void fuzz_irq(void *opaque, int n, int level)
{
}

static void fuzz_make_images(void)
{
    GError *err = NULL;
    char *dir = g_dir_make_tmp("fuzz-ide-XXXXXX", &err);
    uint8_t *cd;

    g_assert_no_error(err);
    fuzz_hd_path = g_build_filename(dir, "hd.raw", NULL);
    fuzz_cd_path = g_build_filename(dir, "cd.iso", NULL);
    cd = g_malloc(FUZZ_CD_SIZE);
    for (size_t i = 0; i < FUZZ_CD_SIZE; i++) {
        cd[i] = (uint8_t)(i * 31 + (i >> 11));
    }
    g_assert_true(g_file_set_contents(fuzz_cd_path, (const char *)cd, FUZZ_CD_SIZE, NULL));
    g_free(cd);
    g_free(dir);
}

/* Remove the image files (the replay test calls it; the fuzzer leaves them for its run). */
static G_GNUC_UNUSED void fuzz_ide_cleanup(void)
{
    if (fuzz_hd_path) {
        char *dir = g_path_get_dirname(fuzz_hd_path);
        unlink(fuzz_hd_path);
        unlink(fuzz_cd_path);
        rmdir(dir);
        g_free(dir);
        g_clear_pointer(&fuzz_hd_path, g_free);
        g_clear_pointer(&fuzz_cd_path, g_free);
    }
}

/* Every input starts from the same disk contents (zeros). */
static void fuzz_reset_disk(void)
{
    FILE *f = fopen(fuzz_hd_path, "w");
    g_assert_nonnull(f);
    g_assert_cmpint(ftruncate(fileno(f), FUZZ_HD_SIZE), ==, 0);
    fclose(f);
}

static void fuzz_machine_init(FuzzMachine *fm)
{
    BlockBackend *drives[IDE_PIIX_NUM_DRIVES] = { NULL };
    bool cdrom[IDE_PIIX_NUM_DRIVES] = { false };
    GError *err = NULL;

    if (!fuzz_hd_path) {
        fuzz_make_images();
    }
    fuzz_reset_disk();
    fuzz_hd = blk_open(fuzz_hd_path, "raw", BLK_OPEN_RDWR, BLK_CACHE_UNSAFE, &err);
    g_assert_no_error(err);
    fuzz_cd = blk_open(fuzz_cd_path, "raw", 0, BLK_CACHE_UNSAFE, &err);
    g_assert_no_error(err);

    fm->m = machine_new(1ull << 32);
    fm->ram = mr_new_ram("fuzz.ram", FUZZ_RAM_SIZE, NULL);
    mr_add_subregion(as_root(fm->m->mem), 0, fm->ram, 0);
    fm->bus = pci_bus_new(fm->m);
    fm->irq[0] = irq_new(fuzz_irq, NULL, 14);
    fm->irq[1] = irq_new(fuzz_irq, NULL, 15);
    drives[0] = fuzz_hd;
    drives[2] = fuzz_cd;
    cdrom[2] = true;
    fm->ide = ide_piix3_create(fm->m, fm->bus, PIIX3_IDE_DEVFN, drives, cdrom, fm->irq[0], fm->irq[1], &err);
    g_assert_no_error(err);
    device_list_reset(fm->m->devices, RESET_POWER_ON);
    /* As firmware leaves it: BAR4, I/O and bus master on, both channels decoding. */
    pci_bus_config_write(fm->bus, PIIX3_IDE_DEVFN, 0x20, FUZZ_BMIBA | 1, 4);
    pci_bus_config_write(fm->bus, PIIX3_IDE_DEVFN, 0x40, 0x80008000, 4);
    pci_bus_config_write(fm->bus, PIIX3_IDE_DEVFN, 0x04, 0x0005, 2);
}

static void fuzz_machine_free(FuzzMachine *fm)
{
    machine_free(fm->m);
    mr_free(fm->ram);
    pci_bus_free(fm->bus);
    irq_free(fm->irq[0]);
    irq_free(fm->irq[1]);
    blk_close(fuzz_hd);
    blk_close(fuzz_cd);
    fuzz_hd = fuzz_cd = NULL;
}

static void fuzz_drain(FuzzMachine *fm)
{
    for (int i = 0; i < 2; i++) {
        ide_bus_drain(ide_piix_bus(fm->ide, i));
    }
}

static uint8_t fuzz_inb(FuzzMachine *fm, uint16_t port)
{
    uint64_t v = 0;
    as_read(fm->m->io, port, 1, &v);
    return (uint8_t)v;
}

/* After any program: a reset brings both devices back, and they answer IDENTIFY. */
static void fuzz_check_alive(FuzzMachine *fm)
{
    static const struct {
        uint16_t cmd, ctl, bm;
        uint8_t identify;
    } chans[2] = { { 0x1f0, 0x3f6, FUZZ_BMIBA, 0xec }, { 0x170, 0x376, FUZZ_BMIBA + 8, 0xa1 } };

    /* Put the function back in decoding order whatever the program did to its configuration. */
    pci_bus_config_write(fm->bus, PIIX3_IDE_DEVFN, 0x20, FUZZ_BMIBA | 1, 4);
    pci_bus_config_write(fm->bus, PIIX3_IDE_DEVFN, 0x40, 0x80008000, 4);
    pci_bus_config_write(fm->bus, PIIX3_IDE_DEVFN, 0x04, 0x0005, 2);
    for (int c = 0; c < 2; c++) {
        as_write(fm->m->io, chans[c].bm, 1, 0);
        as_write(fm->m->io, chans[c].ctl, 1, 0x04);
        as_write(fm->m->io, chans[c].ctl, 1, 0x00);
        fuzz_drain(fm);
        as_write(fm->m->io, chans[c].cmd + 6, 1, 0xa0);
        as_write(fm->m->io, chans[c].cmd + 7, 1, chans[c].identify);
        fuzz_drain(fm);
        uint8_t st = fuzz_inb(fm, chans[c].cmd + 7);
        if ((st & 0x89) != 0x08) {
            fprintf(stderr, "fuzz-ide: channel %d does not answer IDENTIFY after reset (status 0x%02x)\n", c, st);
            abort();
        }
        for (int i = 0; i < 256; i++) {
            uint64_t v;
            as_read(fm->m->io, chans[c].cmd, 2, &v);
        }
        st = fuzz_inb(fm, chans[c].cmd + 7);
        if (st & 0x89) {
            fprintf(stderr, "fuzz-ide: channel %d still busy after IDENTIFY (status 0x%02x)\n", c, st);
            abort();
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    FuzzReader r = { data, size };
    FuzzMachine fm;

    if (size > FUZZ_MAX_INPUT) {
        return 0;
    }
    fuzz_machine_init(&fm);
    for (int step = 0; step < FUZZ_MAX_STEPS && r.left; step++) {
        uint8_t op = (uint8_t)fuzz_take(&r, 1);
        uint16_t port = fuzz_ports[fuzz_take(&r, 1) % G_N_ELEMENTS(fuzz_ports)];
        uint64_t v;

        switch ((op & 0x0f) % FUZZ_OP_COUNT) {
        case FUZZ_OUTB:
            as_write(fm.m->io, port, 1, fuzz_take(&r, 1));
            break;
        case FUZZ_OUTW:
            as_write(fm.m->io, port, 2, fuzz_take(&r, 2));
            break;
        case FUZZ_OUTL:
            as_write(fm.m->io, port, 4, fuzz_take(&r, 4));
            break;
        case FUZZ_IN: {
            static const unsigned sizes[4] = { 1, 2, 4, 1 };
            as_read(fm.m->io, port, sizes[(op >> 4) & 3], &v);
            break;
        }
        case FUZZ_MEMWRITE: {
            uint32_t addr = fuzz_take(&r, 3);       /* anywhere in 16 MiB: RAM is the first 1 MiB */
            uint32_t len = fuzz_take(&r, 1) + 1;
            uint8_t buf[256];
            for (uint32_t i = 0; i < len; i++) {
                buf[i] = (uint8_t)fuzz_take(&r, 1);
            }
            as_write_buf(fm.m->mem, addr, buf, len);
            break;
        }
        case FUZZ_PRD: {
            /* A PRD entry at table slot `index` of a table at 0x1000: a shortcut the fuzzer finds fast. */
            uint32_t index = fuzz_take(&r, 1);
            uint32_t entry[2];
            entry[0] = fuzz_take(&r, 4);
            entry[1] = fuzz_take(&r, 4);
            as_write_buf(fm.m->mem, 0x1000 + 8 * index, entry, sizeof(entry));
            break;
        }
        case FUZZ_PCI: {
            uint8_t reg = fuzz_cfg_regs[fuzz_take(&r, 1) % G_N_ELEMENTS(fuzz_cfg_regs)];
            pci_bus_config_write(fm.bus, PIIX3_IDE_DEVFN, reg, fuzz_take(&r, 1), 1);
            break;
        }
        case FUZZ_DRAIN:
            fuzz_drain(&fm);
            break;
        case FUZZ_SRST:
            as_write(fm.m->io, port < 0x170 || port >= FUZZ_BMIBA ? 0x3f6 : 0x376, 1, 0x04);
            as_write(fm.m->io, port < 0x170 || port >= FUZZ_BMIBA ? 0x3f6 : 0x376, 1, 0x00);
            break;
        case FUZZ_RESET:
            device_list_reset(fm.m->devices, RESET_HARD);
            pci_bus_config_write(fm.bus, PIIX3_IDE_DEVFN, 0x20, FUZZ_BMIBA | 1, 4);
            pci_bus_config_write(fm.bus, PIIX3_IDE_DEVFN, 0x40, 0x80008000, 4);
            pci_bus_config_write(fm.bus, PIIX3_IDE_DEVFN, 0x04, 0x0005, 2);
            break;
        case FUZZ_DATA_IN: {
            /* A burst of data port reads (a PIO data-in phase). */
            uint16_t data = (op & 0x10) ? 0x170 : 0x1f0;
            uint32_t n = fuzz_take(&r, 1) * 4 + 1;
            for (uint32_t i = 0; i < n; i++) {
                as_read(fm.m->io, data, 2, &v);
            }
            break;
        }
        case FUZZ_DATA_OUT: {
            uint16_t data = (op & 0x10) ? 0x170 : 0x1f0;
            uint32_t n = fuzz_take(&r, 1) * 4 + 1;
            uint16_t word = (uint16_t)fuzz_take(&r, 2);
            for (uint32_t i = 0; i < n; i++) {
                as_write(fm.m->io, data, 2, word);
                word = (uint16_t)(word * 33 + 1);
            }
            break;
        }
        }
        fuzz_drain(&fm);
    }
    fuzz_check_alive(&fm);
    fuzz_machine_free(&fm);
    return 0;
}
