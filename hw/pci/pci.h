/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Conventional PCI: one bus of 256 device/functions, type 0 configuration
 * headers, BARs and INTx.  References: PCI Local Bus Specification 3.0,
 * chapter 6 (configuration space: 6.1 header, 6.2.2 command, 6.2.3 status,
 * 6.2.4 interrupt line/pin, 6.2.5 base addresses and the expansion ROM
 * BAR); PCI-to-PCI Bridge Architecture 1.2, 9.1 (the INTx swizzle).
 *
 * A PCI device model embeds a PCIDevice as the first member of its struct
 * (PCIDevice itself starts with the Device, so the device is a Device too):
 *
 *     typedef struct MyDev { PCIDevice pci; ... } MyDev;
 *     pci_device_init(&s->pci, bus, devfn, &mydev_pci_ops, &err);
 *     pci_config_set_ids(&s->pci, vendor, device, revision, class_code);
 *     pci_register_bar(&s->pci, 0, PCI_BASE_ADDRESS_SPACE_IO, region);
 *     device_register(m->devices, &s->pci.dev, &mydev_class, "mydev");
 *
 * Config space keeps three parallel byte arrays: the value, wmask (bits a
 * guest write may change) and w1cmask (bits a guest write of 1 clears).
 * Devices with side effects install config_read/config_write hooks that
 * normally end in pci_default_config_read/write.  The default write maps,
 * moves or unmaps BARs whenever the command register, a BAR or the ROM BAR
 * changes; BARs are mapped on the machine's m->io / m->mem root at
 * PCI_BAR_PRIORITY.
 *
 * INTx: a device calls pci_set_irq(dev, level); the bus counts asserting
 * devices per PIRQ line (after the swizzle, which the board may replace)
 * and tells the chipset (PIIX3) when a PIRQ line changes level.
 */
#ifndef HW_PCI_PCI_H
#define HW_PCI_PCI_H

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

#include "hw/core/device.h"
#include "hw/core/machine.h"
#include "hw/core/memory.h"
#include "hw/core/state.h"

#define PCI_NUM_DEVFN           256
#define PCI_CONFIG_SPACE_SIZE   256
#define PCI_CONFIG_HEADER_SIZE  0x40
#define PCI_DEVFN(slot, fn)     ((((slot) & 0x1f) << 3) | ((fn) & 0x07))
#define PCI_SLOT(devfn)         (((devfn) >> 3) & 0x1f)
#define PCI_FUNC(devfn)         ((devfn) & 0x07)

/* Type 0 configuration header (PCI 3.0, figure 6-1). */
#define PCI_VENDOR_ID           0x00
#define PCI_DEVICE_ID           0x02
#define PCI_COMMAND             0x04
#define PCI_STATUS              0x06
#define PCI_REVISION_ID         0x08
#define PCI_CLASS_PROG          0x09
#define PCI_CLASS_DEVICE        0x0a
#define PCI_CACHE_LINE_SIZE     0x0c
#define PCI_LATENCY_TIMER       0x0d
#define PCI_HEADER_TYPE         0x0e
#define PCI_BIST                0x0f
#define PCI_BASE_ADDRESS_0      0x10
#define PCI_BASE_ADDRESS_5      0x24
#define PCI_CARDBUS_CIS         0x28
#define PCI_SUBSYSTEM_VENDOR_ID 0x2c
#define PCI_SUBSYSTEM_ID        0x2e
#define PCI_ROM_ADDRESS         0x30
#define PCI_CAPABILITY_LIST     0x34
#define PCI_INTERRUPT_LINE      0x3c
#define PCI_INTERRUPT_PIN       0x3d
#define PCI_MIN_GNT             0x3e
#define PCI_MAX_LAT             0x3f

#define PCI_HEADER_TYPE_MULTI_FUNCTION 0x80

/* Command register (6.2.2). */
#define PCI_COMMAND_IO              0x0001
#define PCI_COMMAND_MEMORY          0x0002
#define PCI_COMMAND_MASTER          0x0004
#define PCI_COMMAND_SPECIAL         0x0008
#define PCI_COMMAND_INVALIDATE      0x0010
#define PCI_COMMAND_VGA_PALETTE     0x0020
#define PCI_COMMAND_PARITY          0x0040
#define PCI_COMMAND_SERR            0x0100
#define PCI_COMMAND_FAST_BACK       0x0200
#define PCI_COMMAND_INTX_DISABLE    0x0400

/* Status register (6.2.3). */
#define PCI_STATUS_INTERRUPT        0x0008
#define PCI_STATUS_CAP_LIST         0x0010
#define PCI_STATUS_66MHZ            0x0020
#define PCI_STATUS_FAST_BACK        0x0080
#define PCI_STATUS_PARITY           0x0100
#define PCI_STATUS_DEVSEL_MEDIUM    0x0200
#define PCI_STATUS_SIG_TARGET_ABORT 0x0800
#define PCI_STATUS_REC_TARGET_ABORT 0x1000
#define PCI_STATUS_REC_MASTER_ABORT 0x2000
#define PCI_STATUS_SIG_SYSTEM_ERROR 0x4000
#define PCI_STATUS_DETECTED_PARITY  0x8000

/* Base address registers (6.2.5.1). */
#define PCI_BASE_ADDRESS_SPACE_IO       0x01
#define PCI_BASE_ADDRESS_SPACE_MEMORY   0x00
#define PCI_BASE_ADDRESS_MEM_TYPE_32    0x00
#define PCI_BASE_ADDRESS_MEM_TYPE_64    0x04
#define PCI_BASE_ADDRESS_MEM_PREFETCH   0x08
#define PCI_BASE_ADDRESS_IO_MASK        (~0x03u)
#define PCI_BASE_ADDRESS_MEM_MASK       (~0x0fu)
#define PCI_ROM_ADDRESS_ENABLE          0x01
#define PCI_ROM_ADDRESS_MASK            (~0x7ffu)

#define PCI_NUM_BARS        6
#define PCI_ROM_SLOT        6       /* index of the expansion ROM in PCIDevice.bars */
#define PCI_NUM_REGIONS     7
#define PCI_BAR_UNMAPPED    UINT64_MAX

/* Smallest BARs the spec allows: 4 bytes of IO, 16 bytes of memory, 2 KiB of ROM. */
#define PCI_BAR_MIN_IO_SIZE     4
#define PCI_BAR_MIN_MEM_SIZE    16
#define PCI_BAR_MIN_ROM_SIZE    0x800

/* INTx pins as in the Interrupt Pin register: 1 = INTA# .. 4 = INTD#; 0 = none. */
#define PCI_INTX_PINS       4
#define PCI_NUM_PIRQS       4

/*
 * Mapping priority of BARs in m->io / m->mem: above RAM and the firmware
 * ROMs (0), below the chipset's PAM/SMRAM windows (hw/i386/pc.h).
 */
#define PCI_BAR_PRIORITY    1

typedef struct PCIBus PCIBus;
typedef struct PCIDevice PCIDevice;

typedef struct PCIDeviceOps {
    /* addr + len <= 256, len 1, 2 or 4, naturally aligned (the bus checks). NULL = default. */
    uint32_t (*config_read)(PCIDevice *d, unsigned addr, unsigned len);
    void (*config_write)(PCIDevice *d, unsigned addr, uint32_t value, unsigned len);
} PCIDeviceOps;

typedef struct PCIBar {
    MemoryRegion *mr;   /* NULL: no BAR in this slot (the register reads 0) */
    uint64_t size;      /* power of two */
    uint8_t type;       /* low BAR bits: PCI_BASE_ADDRESS_SPACE_IO | MEM_TYPE_64 | MEM_PREFETCH */
    uint64_t addr;      /* where mr is mapped now, PCI_BAR_UNMAPPED if not */
} PCIBar;

struct PCIDevice {
    Device dev;                 /* first: a PCIDevice is a Device */
    PCIBus *bus;
    const PCIDeviceOps *ops;
    int devfn;
    uint8_t config[PCI_CONFIG_SPACE_SIZE];
    uint8_t wmask[PCI_CONFIG_SPACE_SIZE];
    uint8_t w1cmask[PCI_CONFIG_SPACE_SIZE];
    PCIBar bars[PCI_NUM_REGIONS];
    int32_t irq_level;          /* what the device model drives on its INTx pin (0/1) */
    int32_t irq_pirq;           /* PIRQ this device currently counts on, -1 if none */
};

/* ---- little-endian config helpers ---- */
static inline uint16_t pci_get_word(const uint8_t *p) { return (uint16_t)(p[0] | (p[1] << 8)); }
static inline uint32_t pci_get_long(const uint8_t *p)
{
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}
static inline void pci_set_word(uint8_t *p, uint16_t v) { p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); }
static inline void pci_set_long(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); p[2] = (uint8_t)(v >> 16); p[3] = (uint8_t)(v >> 24);
}

/* ---- bus ---- */

/* BARs are mapped on as_root(m->io) and as_root(m->mem). */
PCIBus *pci_bus_new(Machine *m);
/* All devices must have left the bus (pci_device_exit). */
void pci_bus_free(PCIBus *bus);

/*
 * INTx routing.  map_irq turns (devfn, pin 0..3 = INTA..INTD) into a PIRQ
 * 0..3 (default: the PIIX swizzle, pci_swizzle_piix); set_pirq hears every
 * change of a PIRQ line's level (the wired OR of all devices routed to it).
 * An optional intx hook (Xen: xendevicemodel_set_pci_intx_level) hears each
 * device's own pin level instead of/in addition to set_pirq.
 */
typedef int (*PCIMapIrqFn)(void *opaque, int devfn, int pin);
typedef void (*PCISetPirqFn)(void *opaque, int pirq, int level);
typedef void (*PCISetIntxFn)(void *opaque, int devfn, int pin, int level);
void pci_bus_set_irq_routing(PCIBus *bus, PCIMapIrqFn map_irq, PCISetPirqFn set_pirq, void *opaque);
void pci_bus_set_intx_hook(PCIBus *bus, PCISetIntxFn set_intx, void *opaque);
/* PIIX/i440FX: slot s, pin p (0 = INTA) -> PIRQ (p + s - 1) mod 4 (SeaBIOS and QEMU agree). */
int pci_swizzle_piix(void *opaque, int devfn, int pin);
/* Current level of PIRQ line pirq (0..3). */
int pci_bus_pirq_level(PCIBus *bus, int pirq);

/*
 * Config cycles as a host bridge issues them: devfn 0..255, addr + len <=
 * 256, len 1/2/4 naturally aligned; anything else and absent functions
 * read all-ones (master abort) and drop writes.
 */
uint32_t pci_bus_config_read(PCIBus *bus, int devfn, unsigned addr, unsigned len);
void pci_bus_config_write(PCIBus *bus, int devfn, unsigned addr, uint32_t value, unsigned len);

PCIDevice *pci_bus_find(PCIBus *bus, int devfn);
/* Calls fn for every device in devfn order (Xen: register every device with the ioreq server). */
void pci_bus_foreach(PCIBus *bus, void (*fn)(PCIDevice *d, void *opaque), void *opaque);

/*
 * BAR listeners (Xen: move the ioreq server's ranges).  Called after a BAR
 * was mapped, moved or unmapped; old/new addr are PCI_BAR_UNMAPPED when
 * not mapped.  bar is 0..5 or PCI_ROM_SLOT.
 */
typedef void (*PCIBarListenerFn)(void *opaque, PCIDevice *d, int bar, uint64_t old_addr, uint64_t new_addr);
void pci_bus_add_bar_listener(PCIBus *bus, PCIBarListenerFn fn, void *opaque);
void pci_bus_remove_bar_listener(PCIBus *bus, PCIBarListenerFn fn, void *opaque);

/* ---- device ---- */

/*
 * Put d on the bus at devfn with the standard masks: command IO/MEM/MASTER/
 * SERR/PARITY/INTX_DISABLE, cache line size, latency timer and interrupt
 * line writable, the status error bits write-1-to-clear, 0x40-0xff
 * writable.  Fails if devfn is taken or out of range.
 */
bool pci_device_init(PCIDevice *d, PCIBus *bus, int devfn, const PCIDeviceOps *ops, GError **err);
/* Unmap every BAR, drop the INTx contribution, leave the bus.  Regions are the caller's to free. */
void pci_device_exit(PCIDevice *d);

void pci_config_set_ids(PCIDevice *d, uint16_t vendor, uint16_t device, uint8_t revision,
                        uint32_t class_code /* base << 16 | sub << 8 | prog-if */);
void pci_config_set_interrupt_pin(PCIDevice *d, int pin /* 1 = INTA# .. 4, 0 = none */);

/*
 * Declare BAR `bar` (0..5, or PCI_ROM_SLOT with type 0) backed by mr, whose
 * size must be a power of two at least the minimum for its kind.  A 64-bit
 * memory BAR takes bars bar and bar + 1.  The region is mapped whenever
 * the guest enables decoding with a valid address.
 */
void pci_register_bar(PCIDevice *d, int bar, uint8_t type, MemoryRegion *mr);
/* Where BAR `bar` is mapped now, PCI_BAR_UNMAPPED if not. */
uint64_t pci_bar_address(const PCIDevice *d, int bar);

/* Drive the device's INTx pin (the one in its Interrupt Pin register). */
void pci_set_irq(PCIDevice *d, int level);

/* Dispatch through d->ops (or the defaults); checks addr/len itself. */
uint32_t pci_config_read(PCIDevice *d, unsigned addr, unsigned len);
void pci_config_write(PCIDevice *d, unsigned addr, uint32_t value, unsigned len);
uint32_t pci_default_config_read(PCIDevice *d, unsigned addr, unsigned len);
void pci_default_config_write(PCIDevice *d, unsigned addr, uint32_t value, unsigned len);

/*
 * Generic part of a device reset (PCI 3.0 6.2.2: decoders off after RST#):
 * command and error status bits cleared, BAR addresses and the ROM enable
 * cleared (so everything unmaps), cache line size, latency timer and
 * interrupt line zeroed, INTx lowered.  Devices then load their own
 * register reset values.
 */
void pci_device_reset(PCIDevice *d);

/*
 * State of the generic part (config space, INTx level).  Devices embed it
 * with STATE_STRUCT_FIELD(MyDev, pci, pci_device_state, PCIDevice); its
 * post_load (pci_device_post_load) re-derives BAR mappings and the INTx
 * contribution from the restored config space.
 */
extern const StateDescription pci_device_state;
bool pci_device_post_load(PCIDevice *d, GError **err);

/* Re-evaluate BAR mappings from config space (after a device changed config[] directly). */
void pci_update_mappings(PCIDevice *d);

#endif
