/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The `pc` board of the standalone emulator: QEMU's i440FX/PIIX3 "pc"
 * machine as SeaBIOS and Linux see it.
 *
 * Guest-physical memory map (priorities in m->mem):
 *   0x00000000-0x0009ffff  RAM                                   (0)
 *   0x000a0000-0x000bffff  VGA hole (nothing yet: reads all-ones);
 *                          RAM while the i440FX opens SMRAM       (2)
 *   0x000c0000-0x000fffff  PAM segments: RAM windows            (2)
 *                          over the isa-bios copy of the firmware's last
 *                          128 KiB at 0xe0000 (0) when not reading RAM
 *   0x00100000-below_4g    RAM                                   (0)
 *   below_4g-4 GiB         PCI hole: BARs (PCI_BAR_PRIORITY 1),
 *                          firmware ROM at 4 GiB - size           (0)
 *   4 GiB-...              RAM above 4 GiB when RAM >= 3.5 GiB   (0)
 * below_4g is the RAM size, or 3 GiB when RAM reaches QEMU's 3.5 GiB
 * lowmem limit (QEMU pc's gigabyte-aligned split).
 *
 * GSIs: 24 IrqLines (machine irq_in group "ioapic"); 0-15 drive the i8259
 * inputs (group "pic", alias "i8259"; its INTR output is irq_out "pic"),
 * or with kernel_irqchip all 24 go to cfg->gsi_sink.
 */
#ifndef HW_I386_PC_H
#define HW_I386_PC_H

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

#include "hw/core/irq.h"
#include "hw/core/machine.h"
#include "ui/chardev.h"

#define PC_DEFAULT_BIOS         "/usr/share/seabios/bios.bin"
#define PC_NUM_GSI              24
#define PC_NUM_ISA_IRQS         16
#define PC_MAX_SERIAL           4

/* QEMU pc: RAM below 4 GiB ends at 3.5 GiB at most, and at 3 GiB once RAM reaches that. */
#define PC_LOWMEM_LIMIT         0xe0000000ull
#define PC_LOWMEM_ALIGNED       0xc0000000ull
#define PC_PHYS_ADDR_BITS       40

/* Mapping priorities in m->mem (PCI BARs use PCI_BAR_PRIORITY, chipset windows I440FX_WINDOW_PRIORITY). */
#define PC_RAM_PRIORITY         0
#define PC_ROM_PRIORITY         0

/* E820 types (ACPI 6.x, "System Address Map Interfaces"). */
#define E820_RAM                1
#define E820_RESERVED           2

typedef struct PCConfig {
    uint64_t ram_size;            /* bytes */
    const char *bios_path;        /* NULL = /usr/share/seabios/bios.bin */
    int smp_cpus;                 /* 1 */
    const char *boot_order;       /* "cd" style, NULL = "cad" (as QEMU) */
    bool kernel_irqchip;          /* KVM: PIC/IOAPIC/PIT live in the kernel; don't create the userspace ones */
    void (*gsi_sink)(void *opaque, int gsi, int level); /* where GSIs go when kernel_irqchip */
    void *gsi_opaque;
    Chardev *serial[4];           /* NULL = absent */
    Chardev *debugcon;            /* -debugcon: port 0xe9 (NULL = absent) */
    bool debug_exit;              /* -device isa-debug-exit[,iobase=,iosize=] */
    uint16_t debug_exit_iobase, debug_exit_iosize;
    int sercon_port;              /* -nographic: fw_cfg "etc/sercon-port" = 0x3f8; 0 = none */
    /*
     * IDE devices on the PIIX3 function 1 (hw/ide/ide_piix.h), index =
     * channel * 2 + unit: a hard disk needs an image, a CD-ROM drive may be
     * empty (NULL).  The images stay the caller's (close after pc_destroy).
     * A device with a boot index gets a fw_cfg "bootorder" entry, lowest first.
     */
    struct BlockBackend *ide_drives[4];
    bool ide_cdrom[4];
    bool ide_has_bootindex[4];
    int ide_bootindex[4];
} PCConfig;

Machine *pc_create(const PCConfig *cfg, GError **err);   /* builds everything, runs power-on reset */
void pc_destroy(Machine *m);

/* ---- for the front end and accelerators (additions to the agreed API) ---- */

typedef struct PCBoard PCBoard;
struct PICState;
struct PCIBus;
struct FWCfg;

/* The board state of a machine built by pc_create (NULL otherwise). */
PCBoard *pc_board(Machine *m);
/* RAM split. */
uint64_t pc_below_4g_mem_size(Machine *m);
uint64_t pc_above_4g_mem_size(Machine *m);
/* The userspace PIC (NULL with kernel_irqchip): the CPU acknowledges interrupts through it. */
struct PICState *pc_pic(Machine *m);
/* Called with the PIC's INTR level whenever it changes (the CPU's INTR pin). */
void pc_set_cpu_intr_handler(Machine *m, IrqHandler handler, void *opaque);
/* Port 0x92 A20 gate (the keyboard controller's A20 output is separate). */
bool pc_a20_enabled(Machine *m);
struct PCIBus *pc_pci_bus(Machine *m);
/* For adding firmware files (option ROMs, ACPI tables) before the guest runs. */
struct FWCfg *pc_fw_cfg(Machine *m);
/* The GSI lines (PC_NUM_GSI), for devices created outside the board table. */
IrqLine **pc_gsi(Machine *m);
/* The PIIX3 IDE function (hw/ide/ide_piix.h). */
struct IDEPiixState *pc_ide(Machine *m);

#endif
