/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * QEMU's firmware configuration interface (fw_cfg), x86 IO flavour, as
 * described by QEMU's docs/specs/fw_cfg.rst and read by SeaBIOS:
 *   0x510  selector (16-bit write)
 *   0x511  data (8-bit read, reads the selected item byte by byte)
 *   0x514  DMA address (big-endian 64-bit, written as two 32-bit halves,
 *          the low half at 0x518 starting the transfer; reads "QEMU CFG")
 * Items are keyed by 16-bit selectors; named "files" live from
 * FW_CFG_FILE_FIRST on and are listed by the directory at FW_CFG_FILE_DIR.
 */
#ifndef HW_NVRAM_FW_CFG_H
#define HW_NVRAM_FW_CFG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hw/core/machine.h"

#define FW_CFG_IO_BASE          0x510
#define FW_CFG_DMA_IO_BASE      0x514

/* Selector keys (fw_cfg.rst, "Selector Register" and the item list). */
#define FW_CFG_SIGNATURE        0x00
#define FW_CFG_ID               0x01
#define FW_CFG_UUID             0x02
#define FW_CFG_RAM_SIZE         0x03
#define FW_CFG_NOGRAPHIC        0x04
#define FW_CFG_NB_CPUS          0x05
#define FW_CFG_MACHINE_ID       0x06
#define FW_CFG_KERNEL_ADDR      0x07
#define FW_CFG_KERNEL_SIZE      0x08
#define FW_CFG_KERNEL_CMDLINE   0x09
#define FW_CFG_INITRD_ADDR      0x0a
#define FW_CFG_INITRD_SIZE      0x0b
#define FW_CFG_BOOT_DEVICE      0x0c
#define FW_CFG_NUMA             0x0d
#define FW_CFG_BOOT_MENU        0x0e
#define FW_CFG_MAX_CPUS         0x0f
#define FW_CFG_KERNEL_ENTRY     0x10
#define FW_CFG_KERNEL_DATA      0x11
#define FW_CFG_INITRD_DATA      0x12
#define FW_CFG_CMDLINE_ADDR     0x13
#define FW_CFG_CMDLINE_SIZE     0x14
#define FW_CFG_CMDLINE_DATA     0x15
#define FW_CFG_SETUP_ADDR       0x16
#define FW_CFG_SETUP_SIZE       0x17
#define FW_CFG_SETUP_DATA       0x18
#define FW_CFG_FILE_DIR         0x19
#define FW_CFG_FILE_FIRST       0x20
#define FW_CFG_FILE_SLOTS       0x20    /* QEMU's default number of file slots */
#define FW_CFG_WRITE_CHANNEL    0x4000
#define FW_CFG_ARCH_LOCAL       0x8000
#define FW_CFG_ENTRY_MASK       0x3fff
#define FW_CFG_INVALID          0xffff

/* x86 arch-local items (QEMU hw/i386 fw_cfg). */
#define FW_CFG_ACPI_TABLES      (FW_CFG_ARCH_LOCAL + 0)
#define FW_CFG_SMBIOS_ENTRIES   (FW_CFG_ARCH_LOCAL + 1)
#define FW_CFG_IRQ0_OVERRIDE    (FW_CFG_ARCH_LOCAL + 2)
#define FW_CFG_E820_TABLE       (FW_CFG_ARCH_LOCAL + 3)
#define FW_CFG_HPET             (FW_CFG_ARCH_LOCAL + 4)

/* FW_CFG_ID feature bits. */
#define FW_CFG_VERSION          0x01    /* traditional interface */
#define FW_CFG_VERSION_DMA      0x02    /* DMA interface */

/* FWCfgDmaAccess.control bits. */
#define FW_CFG_DMA_CTL_ERROR    0x01
#define FW_CFG_DMA_CTL_READ     0x02
#define FW_CFG_DMA_CTL_SKIP     0x04
#define FW_CFG_DMA_CTL_SELECT   0x08
#define FW_CFG_DMA_CTL_WRITE    0x10

#define FW_CFG_DMA_SIGNATURE    0x51454d5520434647ull   /* "QEMU CFG" */
#define FW_CFG_MAX_FILE_PATH    56

typedef struct FWCfg FWCfg;

/*
 * Map the selector/data pair at iobase (and the DMA register at dma_iobase
 * when non-zero; DMA goes through m->mem) and publish the signature and
 * FW_CFG_ID.  The board adds the machine's items before the guest runs.
 */
FWCfg *fw_cfg_create(Machine *m, uint16_t iobase, uint16_t dma_iobase);

/*
 * Add items.  data is g_malloc'ed and fw_cfg takes ownership (g_free at
 * teardown or when replaced); len 0 / NULL is an empty item.  Integers are
 * stored little-endian, as QEMU does.  Keys below FW_CFG_FILE_FIRST or
 * arch-local ones only; replacing a key frees the old data.
 */
void fw_cfg_add_bytes(FWCfg *s, uint16_t key, void *data, size_t len);
void fw_cfg_add_i16(FWCfg *s, uint16_t key, uint16_t value);
void fw_cfg_add_i32(FWCfg *s, uint16_t key, uint32_t value);
void fw_cfg_add_i64(FWCfg *s, uint16_t key, uint64_t value);
void fw_cfg_add_string(FWCfg *s, uint16_t key, const char *value);

/*
 * Add a named file (name < 56 bytes, unique), taking ownership of data.
 * The directory stays sorted by name and selectors are assigned in that
 * order, as QEMU does.  False (and data freed) when the name is bad or
 * taken, or all slots are used.
 */
bool fw_cfg_add_file(FWCfg *s, const char *name, void *data, size_t len);
/* Replace a file's contents (adds it when missing); takes ownership of data. */
bool fw_cfg_modify_file(FWCfg *s, const char *name, void *data, size_t len);
/* Selector of a file, or -1. */
int fw_cfg_file_key(FWCfg *s, const char *name);

#endif
