/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Intel 82441FX PCI and Memory Controller (PMC), the host bridge of the
 * 440FX chipset, at 00:00.0 (8086:1237).  It owns PCI configuration
 * mechanism #1 (ports 0xcf8-0xcff) and the memory map below 1 MiB: the
 * PAM registers that shadow 0xC0000-0xFFFFF with RAM and the SMRAM
 * register that opens 0xA0000-0xBFFFF onto RAM.
 */
#ifndef HW_I386_I440FX_H
#define HW_I386_I440FX_H

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

#include "hw/core/machine.h"
#include "hw/pci/pci.h"

#define I440FX_DEVFN            PCI_DEVFN(0, 0)
#define I440FX_VENDOR_ID        0x8086
#define I440FX_DEVICE_ID        0x1237

#define I440FX_CONF_ADDR_PORT   0xcf8
#define I440FX_CONF_DATA_PORT   0xcfc

/* 82441FX configuration registers used here (datasheet section 3.2). */
#define I440FX_DRAMC            0x57    /* QEMU stores the RAM size in 8 MiB units here (coreboot reads it) */
#define I440FX_PAM0             0x59    /* PAM0 .. PAM6 at 0x59 .. 0x5f */
#define I440FX_PAM_REGS         7
#define I440FX_SMRAM            0x72

/* PAM attribute field (two per register, bits 1:0 and 5:4). */
#define PAM_RE                  0x1     /* reads go to DRAM */
#define PAM_WE                  0x2     /* writes go to DRAM */

/* SMRAM register bits. */
#define SMRAM_C_BASE_SEG        0x07    /* RO 010b: compatible SMRAM at 0xA0000 */
#define SMRAM_G_SMRAME          0x08
#define SMRAM_D_LCK             0x10
#define SMRAM_D_CLS             0x20
#define SMRAM_D_OPEN            0x40

#define I440FX_SMRAM_BASE       0xa0000
#define I440FX_SMRAM_SIZE       0x20000

/* PAM segments: 0xF0000 (64 KiB, PAM0 high) and twelve 16 KiB segments 0xC0000-0xEFFFF. */
#define I440FX_PAM_SEGMENTS     13

/*
 * Priority of the PAM and SMRAM windows in m->mem: above RAM, the firmware
 * ROMs (0) and PCI BARs (PCI_BAR_PRIORITY), so an enabled window always
 * shows RAM.
 */
#define I440FX_WINDOW_PRIORITY  2

typedef struct I440FXState I440FXState;

/*
 * Create the host bridge at 00:00.0 on `bus` and map ports 0xcf8-0xcff.
 * `ram` is guest RAM with guest-physical address 0 at offset 0 (at least
 * 1 MiB); the PAM/SMRAM windows alias its 0xA0000-0xFFFFF.  `ram_size` is
 * the machine's RAM size (reported in register 0x57 as QEMU does).
 */
I440FXState *i440fx_create(Machine *m, PCIBus *bus, MemoryRegion *ram, uint64_t ram_size, GError **err);

/*
 * What PCI decodes at [base, base + size) below 1 MiB when a PAM segment
 * is not reading DRAM (the isa-bios copy of the firmware): used to answer
 * reads of write-only segments.  Bytes elsewhere read all-ones.
 */
void i440fx_set_legacy_rom(I440FXState *s, const uint8_t *data, uint64_t base, uint64_t size);

/*
 * Byte accesses to 0xcf9 are not CONFADD (a 32-bit-only register): the
 * bridge passes them to PCI, where the PIIX3 reset control register
 * answers.  The board connects them here.
 */
typedef uint8_t (*I440FXCf9Read)(void *opaque);
typedef void (*I440FXCf9Write)(void *opaque, uint8_t value);
void i440fx_set_cf9_handler(I440FXState *s, I440FXCf9Read read, I440FXCf9Write write, void *opaque);

PCIDevice *i440fx_pci(I440FXState *s);
/* Guest-visible PAM attribute of a segment (0..12, 0 = 0xF0000): PAM_RE | PAM_WE bits. */
unsigned i440fx_pam_attr(I440FXState *s, int segment);

#endif
