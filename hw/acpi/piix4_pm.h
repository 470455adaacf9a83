/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Intel 82371AB (PIIX4) function 3, the power management function, at
 * 00:01.3 (8086:7113), as QEMU's PC and Xen's xenfv machines present it:
 *
 *   config 0x40 PMBA      PM register block base (bits 15:6; bit 0 reads 1)
 *   config 0x80 PMREGMISC bit 0 (PMIOSE) enables the PM block decode
 *   config 0x90 SMBBA     SMBus base (stored; the SMBus controller is inert)
 *   PMBA+0x00 PM1_STS, +0x02 PM1_EN   (ACPI fixed event registers)
 *   PMBA+0x04 PM1_CNT                 (SCI_EN, SLP_TYP, SLP_EN)
 *   PMBA+0x08 PM_TMR                  (24-bit, 3.579545 MHz; optional)
 *   GPE0 block (STS u16, EN u16) at a fixed port (0xafe0 on QEMU and Xen)
 *   APM control 0xb2 / status 0xb3    (0xf1 sets SCI_EN, 0xf0 clears it)
 *   optional: QEMU's legacy CPU-present bitmap (0xaf00, 32 bytes) and
 *   PCI hotplug registers (0xae00, 16 bytes), which hvmloader's DSDT reads.
 *
 * The SCI is a level on one ISA IRQ (9): the OR of the enabled fixed events
 * and the enabled GPE0 events (ACPI 6.x 4.8.3.1, 5.6.4).
 *
 * Under Xen the hypervisor emulates PM1_STS/PM1_EN and PM_TMR itself at
 * the ACPI_IOPORTS_LOCATION it was told (0xb000, which is where hvmloader
 * puts PMBA); those accesses never reach the device model, so the board
 * turns the timer off here.  PM1_CNT, GPE0 and the APM port do reach it.
 */
#ifndef HW_ACPI_PIIX4_PM_H
#define HW_ACPI_PIIX4_PM_H

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

#include "hw/core/irq.h"
#include "hw/core/machine.h"
#include "hw/pci/pci.h"

#define PIIX4_PM_DEVFN              PCI_DEVFN(1, 3)
#define PIIX4_PM_VENDOR_ID          0x8086
#define PIIX4_PM_DEVICE_ID          0x7113
#define PIIX4_PM_REVISION           0x03
#define PIIX4_PM_CLASS              0x068000    /* bridge, other */

/* Function 3 configuration registers (82371AB datasheet, 3.3 / 7.2). */
#define PIIX4_PMBA                  0x40
#define PIIX4_PMBA_IO               0x0001      /* resource type indicator: IO, hardwired */
#define PIIX4_PMBA_MASK             0xffc0
#define PIIX4_DEVACTB               0x58        /* 0x58-0x5b */
#define PIIX4_DEVACTB_SMI_DONE      0x02        /* 0x5b bit 1: QEMU marks SMM "already set up" */
#define PIIX4_PMREGMISC             0x80
#define PIIX4_PMIOSE                0x01
#define PIIX4_SMBBA                 0x90
#define PIIX4_SMBBA_MASK            0xfff0
#define PIIX4_SMBHSTCFG             0xd2
#define PIIX4_SMBHSTCFG_DEFAULT     0x09        /* host interface on, SMBus interrupt on IRQ 9 (QEMU presets it) */

/* The PM register block (datasheet 7.3; ACPI 6.x 4.8.3). */
#define PIIX4_PM_IO_SIZE            64
#define PIIX4_PM1_STS               0x00
#define PIIX4_PM1_EN                0x02
#define PIIX4_PM1_CNT               0x04
#define PIIX4_PM_TMR                0x08

#define ACPI_PM1_TMR_STS            0x0001
#define ACPI_PM1_BM_STS             0x0010
#define ACPI_PM1_GBL_STS            0x0020
#define ACPI_PM1_PWRBTN_STS         0x0100
#define ACPI_PM1_SLPBTN_STS         0x0200
#define ACPI_PM1_RTC_STS            0x0400
#define ACPI_PM1_WAK_STS            0x8000

#define ACPI_PM1_TMR_EN             0x0001
#define ACPI_PM1_GBL_EN             0x0020
#define ACPI_PM1_PWRBTN_EN          0x0100
#define ACPI_PM1_SLPBTN_EN          0x0200
#define ACPI_PM1_RTC_EN             0x0400

#define ACPI_PM1_CNT_SCI_EN         0x0001
#define ACPI_PM1_CNT_BM_RLD         0x0002
#define ACPI_PM1_CNT_GBL_RLS        0x0004      /* write-only */
#define ACPI_PM1_CNT_SLP_TYP_SHIFT  10
#define ACPI_PM1_CNT_SLP_TYP_MASK   0x1c00
#define ACPI_PM1_CNT_SLP_EN         0x2000      /* write-only */

#define ACPI_PM_TIMER_FREQUENCY     3579545     /* Hz */
#define ACPI_PM_TIMER_MASK          0xffffff    /* 24-bit counter */

/* Sleep type values as QEMU's and hvmloader's DSDTs define them (_S5 0, _S3 1, _S4 2 on QEMU). */
#define PIIX4_SLP_TYP_SOFT_OFF      0
#define PIIX4_SLP_TYP_S3            1
#define PIIX4_SLP_TYP_S4_DEFAULT    2

/* Fixed ports. */
#define PIIX4_GPE0_BASE             0xafe0
#define PIIX4_GPE0_LEN              4           /* STS (2 bytes) then EN (2 bytes) */
#define PIIX4_GPE0_BITS             16
#define PIIX4_GPE_PCI_HOTPLUG       1           /* _E01 */
#define PIIX4_GPE_CPU_HOTPLUG       2           /* _E02 */
#define APM_CNT_PORT                0xb2
#define APM_STS_PORT                0xb3
#define ACPI_ENABLE_CMD             0xf1
#define ACPI_DISABLE_CMD            0xf0
#define PIIX4_CPU_HOTPLUG_BASE      0xaf00
#define PIIX4_CPU_HOTPLUG_LEN       32          /* one bit per CPU: 256 CPUs */
#define PIIX4_MAX_CPUS              (PIIX4_CPU_HOTPLUG_LEN * 8)
#define PIIX4_PCI_HOTPLUG_BASE      0xae00
#define PIIX4_PCI_HOTPLUG_LEN       16          /* PCIU, PCID, B0EJ, B0RM (u32 each) */
#define PIIX4_SMBUS_BASE_DEFAULT    0xb100

typedef struct PIIX4PMState PIIX4PMState;

typedef struct PIIX4PMConfig {
    IrqLine *sci;                 /* ISA IRQ 9 (level) */
    bool pm_timer;                /* emulate PM_TMR (false under Xen: the hypervisor has it) */
    uint16_t gpe0_base;           /* 0: no GPE0 block */
    uint16_t smb_base;            /* SMBBA preset (0: leave 0x00000001, the datasheet default) */
    uint16_t cpu_hotplug_base;    /* 0: no CPU-present bitmap */
    unsigned cpus_present;        /* CPUs 0..n-1 marked present (at most PIIX4_MAX_CPUS) */
    uint16_t pci_hotplug_base;    /* 0: no PCI hotplug registers */
    bool disable_s3, disable_s4;
    uint8_t s4_val;               /* SLP_TYP meaning S4; 0 = PIIX4_SLP_TYP_S4_DEFAULT */
    /* SLP_EN with the S3 type (Xen: HVM_PARAM_ACPI_S_STATE = 3).  NULL: S3 refused (logged). */
    void (*suspend)(void *opaque);
    void *opaque;
} PIIX4PMConfig;

/*
 * Create function 3 at devfn (normally PIIX4_PM_DEVFN) and map the fixed
 * ports the config asks for.  S5 (and S4) become machine_request(POWEROFF).
 */
PIIX4PMState *piix4_pm_create(Machine *m, PCIBus *bus, int devfn, const PIIX4PMConfig *cfg, GError **err);

PCIDevice *piix4_pm_pci(PIIX4PMState *s);
/* Where the PM block decodes now (PMBA & 0xffc0), or -1 when PMIOSE is off. */
int piix4_pm_io_base(const PIIX4PMState *s);
bool piix4_pm_sci_enabled(const PIIX4PMState *s);
bool piix4_pm_sci_level(const PIIX4PMState *s);

/* Host events: the power button (QMP system_powerdown), a wake-up (system_wakeup), a GPE0 status bit. */
void piix4_pm_power_button(PIIX4PMState *s);
void piix4_pm_wakeup(PIIX4PMState *s);
void piix4_pm_raise_gpe(PIIX4PMState *s, unsigned bit);
/* CPU hot(un)plug: the bitmap bit plus GPE0 bit 2. */
void piix4_pm_set_cpu_present(PIIX4PMState *s, unsigned cpu, bool present);

#endif
