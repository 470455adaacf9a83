/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What xen-dm needs from the `xenfv` board (QEMU's xenfv-3.1 machine as
 * libxl's `-machine xenfv` asks for it; xen-interface.md 5.3), and what it
 * hands the board.  The board builds the chipset and the devices the DM
 * provides; Xen itself emulates the PIC, IOAPIC, PIT, the RTC clock, HPET,
 * the LAPIC and the ACPI PM1 event/timer registers, so none of those are
 * here.  Everything that must reach Xen goes through XenfvHooks, so the
 * board never includes a Xen header and can be driven by tests.
 *
 * PCI bus 0, in creation order (then each -device, in argv order):
 *   00:00.0 i440FX host bridge  (0xcf8-0xcff; PAM/SMRAM windows are inert under Xen)
 *   00:01.0 PIIX3 ISA bridge    (PIRQRC 0x60-0x63 -> set_pci_link_route; RCR 0xcf9)
 *   00:01.3 PIIX4 ACPI PM       (PM1_CNT, GPE0 0xafe0, APM 0xb2, SCI = ISA IRQ 9; not with -no-acpi)
 *   00:02.0 xen-platform        (5853:0001, ports 0x10-0x1f; `xenfv` only, not `pc,accel=xen`)
 * ISA: CMOS NVRAM 0x70-0x73 (Xen forwards indices >= 0x0e), 16550 UARTs
 * per -serial (0x3f8/IRQ4, 0x2f8/IRQ3, 0x3e8/IRQ4, 0x2e8/IRQ3), port 0x92,
 * the i8042 (0x60/0x64; its reset pulse), POST ports 0x80/0xf0 as sinks.
 *
 * Guest RAM is not the board's: xen-dm passes the map cache region (offset
 * = guest-physical address) and the board maps it where the guest has
 * RAM: [0, 0xa0000), [0xc0000, below_4g), [4 GiB, 4 GiB + above_4g).
 * Reset, power off and S3 arrive as machine_request() (m->hooks, set by
 * xen-dm) and the `sleep` hook.
 *
 * The interface was drawn up by xen-dm (its board.h includes this file);
 * hw/i386/xenfv.c implements it.
 */
#ifndef HW_I386_XENFV_H
#define HW_I386_XENFV_H

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

#include "hw/core/machine.h"
#include "hw/pci/pci.h"
#include "ui/chardev.h"

#define XENFV_MAX_SERIAL        4
#define XENFV_NUM_ISA_IRQS      16
/* HVM_BELOW_4G_RAM_END: libxc's default start of the MMIO hole. */
#define XENFV_BELOW_4G_RAM_END  0xf0000000ull
#define XENFV_PHYS_ADDR_BITS    40

struct PCIBus;

typedef struct XenfvHooks {
    /* ISA IRQ 0..15 line level (set_isa_irq_level). */
    void (*set_isa_irq)(void *opaque, unsigned irq, unsigned level);
    /* A bus-0 device's own INTx pin level, dev 0..31, intx 0..3 (set_pci_intx_level; Xen swizzles). */
    void (*set_pci_intx)(void *opaque, unsigned dev, unsigned intx, unsigned level);
    /* PIIX3 PIRQRC[link] now routes to isa_irq (0 = disabled) (set_pci_link_route). */
    void (*set_pci_link_route)(void *opaque, unsigned link, unsigned isa_irq);
    /* A device's MSI (inject_msi). */
    void (*inject_msi)(void *opaque, uint64_t addr, uint32_t data);
    /* The guest entered ACPI sleep state S3 (HVM_PARAM_ACPI_S_STATE). */
    void (*sleep)(void *opaque, unsigned s_state);
    /* xen-platform ROM lock: set_mem_type(ram_ro/ram_rw, pfn 0xc0, 0x40 pages).  false = refused. */
    bool (*rom_lock)(void *opaque, bool locked);
    void *opaque;
} XenfvHooks;

typedef struct XenfvConfig {
    uint64_t ram_size;              /* -m: what libxc built for the guest, bytes */
    uint64_t max_ram_below_4g;      /* -machine max-ram-below-4g, 0 = XENFV_BELOW_4G_RAM_END */
    MemoryRegion *ram;              /* guest RAM, offset = guest-physical address (the map cache) */
    unsigned smp_cpus;              /* present at start */
    unsigned max_cpus;
    const char *boot_order;         /* "cda"; NULL = "cd" */
    bool xen_platform;              /* -machine xenfv (true) vs pc,accel=xen */
    bool acpi;                      /* false with -no-acpi: no PIIX4 PM function */
    bool acpi_disable_s3, acpi_disable_s4;   /* -global PIIX4_PM.disable_s3/4 */
    uint32_t platform_log_limit;    /* XEN_QEMU_CONSOLE_LIMIT bytes/s, 0 = default */
    Chardev *serial[XENFV_MAX_SERIAL];       /* NULL = absent */
    /*
     * IDE on PIIX3 function 1 (00:01.1), index = channel * 2 + unit: a hard
     * disk needs an image, a CD-ROM drive may be empty.  The BlockBackends
     * stay the caller's: close them after xenfv_destroy.
     */
    struct BlockBackend *ide_drives[4];
    bool ide_cdrom[4];
    /* -device options in argv order ("model,prop=value,..."); models per xenfv_device_supported. */
    const char *const *devices;
    unsigned n_devices;
    XenfvHooks hooks;
} XenfvConfig;

/* Build the board and run its power-on reset.  NULL + err naming the device on failure. */
Machine *xenfv_create(const XenfvConfig *cfg, GError **err);
void xenfv_destroy(Machine *m);

/* Whether -device MODEL can be built (checked while parsing the command line). */
bool xenfv_device_supported(const char *model);

/* RAM split as the guest sees it (libxc's layout). */
uint64_t xenfv_below_4g(Machine *m);
uint64_t xenfv_above_4g(Machine *m);

struct PCIBus *xenfv_pci_bus(Machine *m);

/*
 * PCI_CONFIG ioreqs: sbdf = seg << 16 | bus << 8 | devfn.  Only segment 0
 * bus 0 exists; registers past 255 (AMD extended CF8) and absent
 * functions read all-ones and ignore writes.
 */
uint32_t xenfv_pci_config_read(Machine *m, uint32_t sbdf, uint32_t reg, unsigned size);
void xenfv_pci_config_write(Machine *m, uint32_t sbdf, uint32_t reg, uint32_t value, unsigned size);

/* Re-send board state Xen keeps on its side (PIRQ routes) after a state load. */
void xenfv_resync(Machine *m);

/* QMP system_powerdown: the ACPI power button.  False without ACPI. */
bool xenfv_power_button(Machine *m);
/* QMP system_wakeup: leave S3. */
void xenfv_wakeup(Machine *m);

/* ---- beyond what xen-dm needs: fixed places, accessors for input injection and tests ---- */

/* Devices the board always has at fixed places. */
#define XENFV_PLATFORM_DEVFN    PCI_DEVFN(2, 0)
#define XENFV_CMOS_INDEX_PORT   0x70
#define XENFV_CMOS_DATA_PORT    0x71
#define XENFV_CMOS_EXT_INDEX_PORT 0x72
#define XENFV_CMOS_EXT_DATA_PORT  0x73
/* CMOS indices below this are Xen's RTC registers; the device model holds the NVRAM above. */
#define XENFV_CMOS_NVRAM_START  0x0e
#define XENFV_CMOS_SIZE         128

struct I8042State;
struct PIIX4PMState;
struct XenPlatformState;

/* The keyboard controller (for a VNC server: i8042_kbd / i8042_mouse). */
struct I8042State *xenfv_i8042(Machine *m);
/* NULL with -no-acpi. */
struct PIIX4PMState *xenfv_pm(Machine *m);
/* NULL on `pc,accel=xen`. */
struct XenPlatformState *xenfv_platform(Machine *m);
/* CMOS NVRAM byte (0..255: 128-255 is the upper bank at 0x72/0x73); indices 0x00-0x0d read 0xff. */
uint8_t xenfv_cmos_get(Machine *m, unsigned index);
/* XEN_UNPLUG_* bits the PV drivers asked for. */
unsigned xenfv_unplugged(Machine *m);

#endif
