/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Intel 82371SB (PIIX3) function 1: the PCI IDE controller (8086:7010),
 * class 0101h, programming interface 80h: both channels in compatibility
 * mode on the legacy ports and ISA IRQs, plus PCI bus-master IDE DMA.
 *
 *   primary:   0x1f0-0x1f7, 0x3f6 (alternate status / device control), IRQ 14
 *   secondary: 0x170-0x177, 0x376, IRQ 15
 *   BAR4 (BMIBA, 16 bytes of IO): per channel at +0 / +8 the bus-master
 *   command (BMICX), status (BMISX) and descriptor table pointer (BMIDTPX)
 *
 * The legacy ports decode while the PCI command register's I/O space
 * enable and the channel's IDETIM "IDE decode enable" (config 0x41 /
 * 0x43 bit 7) are both set, as the datasheet says; SeaBIOS and Xen's
 * hvmloader set them.
 */
#ifndef HW_IDE_IDE_PIIX_H
#define HW_IDE_IDE_PIIX_H

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

#include "block/block.h"
#include "hw/core/irq.h"
#include "hw/core/machine.h"
#include "hw/ide/ide_core.h"
#include "hw/pci/pci.h"

#define PIIX3_IDE_DEVFN         PCI_DEVFN(1, 1)
#define PIIX3_IDE_VENDOR_ID     0x8086
#define PIIX3_IDE_DEVICE_ID     0x7010
#define IDE_PIIX_NUM_DRIVES     4       /* index = channel * 2 + unit, as -drive index= */

/* Function 1 configuration registers (82371SB datasheet, "PCI Configuration Registers - IDE"). */
#define PIIX_IDE_BMIBA          0x20    /* BAR4 */
#define PIIX_IDE_IDETIM_PRI     0x40    /* 16 bits */
#define PIIX_IDE_IDETIM_SEC     0x42
#define PIIX_IDE_SIDETIM        0x44
#define PIIX_IDE_IDETIM_DECODE  0x8000  /* IDE decode enable */

/* Bus master IDE registers, per channel (datasheet "PCI Bus Master IDE Registers"). */
#define BM_REG_CMD              0
#define BM_REG_STATUS           2
#define BM_REG_PRD              4
#define BM_CMD_START            0x01
#define BM_CMD_READ             0x08    /* RWCON: 1 = bus master writes memory (device to memory) */
#define BM_STATUS_ACTIVE        0x01
#define BM_STATUS_ERROR         0x02
#define BM_STATUS_INT           0x04
#define BM_STATUS_DRIVE0_DMA    0x20
#define BM_STATUS_DRIVE1_DMA    0x40
#define BM_STATUS_SIMPLEX       0x80

/*
 * A PRD table is at most 64 KiB (the datasheet forbids it to cross a
 * 64 KiB boundary): a table that has not ended by then is malformed.
 */
#define BM_PRD_MAX_ENTRIES      8192

typedef struct IDEPiixState IDEPiixState;

/*
 * Create the function at `devfn` (PIIX3_IDE_DEVFN on the PC boards) on
 * `bus`, with up to four devices: drives[i] / is_cdrom[i] for index i =
 * channel * 2 + unit.  A hard disk needs an image; a CD-ROM drive with
 * drives[i] == NULL starts without a medium; index i is absent when both
 * are unset.  irq14 / irq15 receive the channels' INTRQ (ISA IRQ 14 and
 * 15 in compatibility mode; the board routes them).  The BlockBackends
 * stay the caller's: close them after the machine is freed (the device
 * drains them when it is torn down).  Registers the device as "piix3-ide".
 * Fails when devfn is taken or an image is unusable.
 */
IDEPiixState *ide_piix3_create(Machine *m, PCIBus *bus, int devfn, BlockBackend *drives[IDE_PIIX_NUM_DRIVES],
                               bool is_cdrom[IDE_PIIX_NUM_DRIVES], IrqLine *irq14, IrqLine *irq15,
                               GError **err);

PCIDevice *ide_piix_pci(IDEPiixState *s);
/* Channel 0 (primary) or 1 (secondary). */
IDEBus *ide_piix_bus(IDEPiixState *s, int channel);
/* Device at index channel * 2 + unit (its kind is IDE_NONE when absent). */
IDEState *ide_piix_drive(IDEPiixState *s, int index);

/*
 * Firmware geometry of the hard disk at `index` (CMOS bytes): false when
 * there is none.  *lba_translation tells whether the BIOS should
 * translate (the disk has more than 1024 cylinders).
 */
bool ide_piix_hd_geometry(IDEPiixState *s, int index, uint16_t *cyls, uint16_t *heads, uint16_t *secs,
                          bool *lba_translation);

/*
 * Firmware device path of the device at `index`, as QEMU spells it for
 * the fw_cfg "bootorder" file: "/pci@i0cf8/ide@1,1/drive@C/disk@U"
 * (newly allocated; NULL when absent).
 */
char *ide_piix_boot_path(IDEPiixState *s, int index);

/*
 * Xen platform unplug (docs/misc/hvm-emulated-unplug): detach every hard
 * disk (not the CD-ROM drives), except the primary master when
 * keep_primary_master (XEN_UNPLUG_AUX_IDE_DISKS).  In-flight requests are
 * drained and the images flushed first, so the PV path sees all data.
 */
void ide_piix_unplug_disks(IDEPiixState *s, bool keep_primary_master);

#endif
