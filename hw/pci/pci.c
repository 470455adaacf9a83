/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Conventional PCI bus, type 0 configuration space, BAR decoding and INTx.
 * References: PCI Local Bus Specification 3.0, 6.1-6.2 (header layout and
 * register semantics), 6.2.5 (BAR sizing: write all-ones, read back the
 * size mask), 6.2.5.2 (expansion ROM BAR); PCI-to-PCI Bridge Architecture
 * 1.2, 9.1 (INTx swizzle).
 */
#include "hw/pci/pci.h"

#include <inttypes.h>
#include <string.h>

#include "hw/core/log.h"

typedef struct BarListener {
    PCIBarListenerFn fn;
    void *opaque;
} BarListener;

struct PCIBus {
    Machine *m;
    PCIDevice *devices[PCI_NUM_DEVFN];
    PCIMapIrqFn map_irq;
    PCISetPirqFn set_pirq;
    void *irq_opaque;
    PCISetIntxFn set_intx;
    void *intx_opaque;
    int pirq_count[PCI_NUM_PIRQS];     /* devices asserting each PIRQ line */
    GArray *bar_listeners;             /* BarListener */
};

/* ---- bus ---- */

PCIBus *pci_bus_new(Machine *m)
{
    PCIBus *bus = g_new0(PCIBus, 1);

    bus->m = m;
    bus->map_irq = pci_swizzle_piix;
    bus->bar_listeners = g_array_new(FALSE, TRUE, sizeof(BarListener));
    return bus;
}

void pci_bus_free(PCIBus *bus)
{
    if (!bus) {
        return;
    }
    for (int i = 0; i < PCI_NUM_DEVFN; i++) {
        g_assert(bus->devices[i] == NULL);
    }
    g_array_free(bus->bar_listeners, TRUE);
    g_free(bus);
}

int pci_swizzle_piix(void *opaque, int devfn, int pin)
{
    /* Slot 1 INTA# is PIRQA#; each further slot rotates by one.  Slot 0 wraps to PIRQD#. */
    return (pin + PCI_SLOT(devfn) + PCI_NUM_PIRQS - 1) % PCI_NUM_PIRQS;
}

void pci_bus_set_irq_routing(PCIBus *bus, PCIMapIrqFn map_irq, PCISetPirqFn set_pirq, void *opaque)
{
    bus->map_irq = map_irq ? map_irq : pci_swizzle_piix;
    bus->set_pirq = set_pirq;
    bus->irq_opaque = opaque;
}

void pci_bus_set_intx_hook(PCIBus *bus, PCISetIntxFn set_intx, void *opaque)
{
    bus->set_intx = set_intx;
    bus->intx_opaque = opaque;
}

int pci_bus_pirq_level(PCIBus *bus, int pirq)
{
    if (pirq < 0 || pirq >= PCI_NUM_PIRQS) {
        return 0;
    }
    return bus->pirq_count[pirq] > 0;
}

PCIDevice *pci_bus_find(PCIBus *bus, int devfn)
{
    if (devfn < 0 || devfn >= PCI_NUM_DEVFN) {
        return NULL;
    }
    return bus->devices[devfn];
}

void pci_bus_foreach(PCIBus *bus, void (*fn)(PCIDevice *d, void *opaque), void *opaque)
{
    for (int i = 0; i < PCI_NUM_DEVFN; i++) {
        if (bus->devices[i]) {
            fn(bus->devices[i], opaque);
        }
    }
}

void pci_bus_add_bar_listener(PCIBus *bus, PCIBarListenerFn fn, void *opaque)
{
    BarListener l = { .fn = fn, .opaque = opaque };

    g_array_append_val(bus->bar_listeners, l);
}

void pci_bus_remove_bar_listener(PCIBus *bus, PCIBarListenerFn fn, void *opaque)
{
    for (guint i = 0; i < bus->bar_listeners->len; i++) {
        BarListener *l = &g_array_index(bus->bar_listeners, BarListener, i);
        if (l->fn == fn && l->opaque == opaque) {
            g_array_remove_index(bus->bar_listeners, i);
            return;
        }
    }
}

static bool config_access_ok(unsigned addr, unsigned len)
{
    return (len == 1 || len == 2 || len == 4) && addr < PCI_CONFIG_SPACE_SIZE &&
           len <= PCI_CONFIG_SPACE_SIZE - addr && (addr & (len - 1)) == 0;
}

uint32_t pci_bus_config_read(PCIBus *bus, int devfn, unsigned addr, unsigned len)
{
    PCIDevice *d = pci_bus_find(bus, devfn);

    if (!config_access_ok(addr, len)) {
        guest_error("pci: config read of %u bytes at 0x%x\n", len, addr);
        return UINT32_MAX;
    }
    if (!d) {
        /* Master abort: nobody claims the cycle, the data lines float high. */
        return len == 4 ? UINT32_MAX : (1u << (len * 8)) - 1;
    }
    return pci_config_read(d, addr, len);
}

void pci_bus_config_write(PCIBus *bus, int devfn, unsigned addr, uint32_t value, unsigned len)
{
    PCIDevice *d = pci_bus_find(bus, devfn);

    if (!config_access_ok(addr, len)) {
        guest_error("pci: config write of %u bytes at 0x%x\n", len, addr);
        return;
    }
    if (d) {
        pci_config_write(d, addr, value, len);
    }
}

/* ---- INTx ---- */

static void pci_bus_pirq_adjust(PCIBus *bus, int pirq, int delta)
{
    int old = bus->pirq_count[pirq];

    bus->pirq_count[pirq] += delta;
    g_assert(bus->pirq_count[pirq] >= 0);
    if ((old > 0) != (bus->pirq_count[pirq] > 0) && bus->set_pirq) {
        bus->set_pirq(bus->irq_opaque, pirq, bus->pirq_count[pirq] > 0);
    }
}

static int pci_intx_pin(const PCIDevice *d)
{
    uint8_t pin = d->config[PCI_INTERRUPT_PIN];

    return pin >= 1 && pin <= PCI_INTX_PINS ? pin - 1 : -1;
}

/*
 * Recompute what the device contributes to its PIRQ line: its pin level
 * unless the guest masked INTx in the command register (PCI 3.0 6.2.2 bit
 * 10).  The Interrupt Status bit follows the pin regardless of the mask.
 */
static void pci_irq_update(PCIDevice *d)
{
    PCIBus *bus = d->bus;
    int pin = pci_intx_pin(d);
    bool masked = pci_get_word(d->config + PCI_COMMAND) & PCI_COMMAND_INTX_DISABLE;
    int want = -1;
    uint16_t status = pci_get_word(d->config + PCI_STATUS);

    if (d->irq_level) {
        status |= PCI_STATUS_INTERRUPT;
    } else {
        status &= ~PCI_STATUS_INTERRUPT;
    }
    pci_set_word(d->config + PCI_STATUS, status);

    if (!bus) {
        return;
    }
    if (d->irq_level && !masked && pin >= 0) {
        want = bus->map_irq(bus->irq_opaque, d->devfn, pin);
        if (want < 0 || want >= PCI_NUM_PIRQS) {
            want = -1;
        }
    }
    if (want == d->irq_pirq) {
        return;
    }
    bool was_asserted = d->irq_pirq >= 0;
    if (d->irq_pirq >= 0) {
        int old = d->irq_pirq;
        d->irq_pirq = -1;
        pci_bus_pirq_adjust(bus, old, -1);
    }
    if (want >= 0) {
        d->irq_pirq = want;
        pci_bus_pirq_adjust(bus, want, +1);
    }
    if (bus->set_intx && was_asserted != (want >= 0)) {
        bus->set_intx(bus->intx_opaque, d->devfn, pin, want >= 0);
    }
}

void pci_set_irq(PCIDevice *d, int level)
{
    level = level != 0;
    if (d->irq_level == level) {
        return;
    }
    d->irq_level = level;
    pci_irq_update(d);
}

/* ---- BARs ---- */

static unsigned bar_config_offset(int bar)
{
    return bar == PCI_ROM_SLOT ? PCI_ROM_ADDRESS : PCI_BASE_ADDRESS_0 + 4 * (unsigned)bar;
}

void pci_register_bar(PCIDevice *d, int bar, uint8_t type, MemoryRegion *mr)
{
    uint64_t size = mr_size(mr);
    unsigned off = bar_config_offset(bar);
    PCIBar *b;
    uint64_t wmask;

    g_assert(bar >= 0 && bar < PCI_NUM_REGIONS);
    g_assert(size && (size & (size - 1)) == 0);
    b = &d->bars[bar];
    g_assert(b->mr == NULL);
    if (bar == PCI_ROM_SLOT) {
        g_assert(type == 0 && size >= PCI_BAR_MIN_ROM_SIZE && size <= (1ull << 31));
        wmask = (~(size - 1) & PCI_ROM_ADDRESS_MASK) | PCI_ROM_ADDRESS_ENABLE;
    } else if (type & PCI_BASE_ADDRESS_SPACE_IO) {
        g_assert(type == PCI_BASE_ADDRESS_SPACE_IO && size >= PCI_BAR_MIN_IO_SIZE && size <= 256);
        wmask = ~(size - 1) & PCI_BASE_ADDRESS_IO_MASK;
    } else {
        g_assert((type & ~(PCI_BASE_ADDRESS_MEM_TYPE_64 | PCI_BASE_ADDRESS_MEM_PREFETCH)) == 0);
        g_assert(size >= PCI_BAR_MIN_MEM_SIZE);
        if (type & PCI_BASE_ADDRESS_MEM_TYPE_64) {
            g_assert(bar + 1 < PCI_NUM_BARS && d->bars[bar + 1].mr == NULL);
        } else {
            g_assert(size <= (1ull << 31));
        }
        wmask = ~(size - 1) & ~(uint64_t)0x0f;   /* 64 bits: the upper half of a 64-bit BAR */
    }

    b->mr = mr;
    b->size = size;
    b->type = type;
    b->addr = PCI_BAR_UNMAPPED;
    pci_set_long(d->config + off, type);
    pci_set_long(d->wmask + off, (uint32_t)wmask);
    memset(d->w1cmask + off, 0, 4);
    if (bar != PCI_ROM_SLOT && (type & PCI_BASE_ADDRESS_MEM_TYPE_64)) {
        pci_set_long(d->config + off + 4, 0);
        pci_set_long(d->wmask + off + 4, (uint32_t)(wmask >> 32));
    }
}

uint64_t pci_bar_address(const PCIDevice *d, int bar)
{
    if (bar < 0 || bar >= PCI_NUM_REGIONS) {
        return PCI_BAR_UNMAPPED;
    }
    return d->bars[bar].addr;
}

static MemoryRegion *bar_space(PCIDevice *d, const PCIBar *b)
{
    Machine *m = d->bus->m;

    return as_root((b->type & PCI_BASE_ADDRESS_SPACE_IO) ? m->io : m->mem);
}

/*
 * Where BAR `bar` should be mapped according to config space, or
 * PCI_BAR_UNMAPPED.  Decoding needs the command register's IO or memory
 * enable (and the ROM's own enable bit).  An address of 0, a range that
 * wraps or leaves the address space, and a 32-bit BAR reaching 0xffffffff
 * (the value left behind by sizing) are treated as "not mapped", as
 * firmware expects while it probes.
 */
static uint64_t bar_decode_address(PCIDevice *d, int bar)
{
    const PCIBar *b = &d->bars[bar];
    uint16_t cmd = pci_get_word(d->config + PCI_COMMAND);
    unsigned off = bar_config_offset(bar);
    uint64_t addr, last, space_size;
    bool is64 = false;

    if (bar == PCI_ROM_SLOT) {
        uint32_t v = pci_get_long(d->config + off);
        if (!(cmd & PCI_COMMAND_MEMORY) || !(v & PCI_ROM_ADDRESS_ENABLE)) {
            return PCI_BAR_UNMAPPED;
        }
        addr = v & PCI_ROM_ADDRESS_MASK;
    } else if (b->type & PCI_BASE_ADDRESS_SPACE_IO) {
        if (!(cmd & PCI_COMMAND_IO)) {
            return PCI_BAR_UNMAPPED;
        }
        addr = pci_get_long(d->config + off) & PCI_BASE_ADDRESS_IO_MASK;
    } else {
        if (!(cmd & PCI_COMMAND_MEMORY)) {
            return PCI_BAR_UNMAPPED;
        }
        addr = pci_get_long(d->config + off) & PCI_BASE_ADDRESS_MEM_MASK;
        if (b->type & PCI_BASE_ADDRESS_MEM_TYPE_64) {
            is64 = true;
            addr |= (uint64_t)pci_get_long(d->config + off + 4) << 32;
        }
    }
    addr &= ~(b->size - 1);
    last = addr + b->size - 1;
    space_size = mr_size(bar_space(d, b));
    if (addr == 0 || last < addr || last >= space_size) {
        return PCI_BAR_UNMAPPED;
    }
    if (!is64 && last >= UINT32_MAX) {
        return PCI_BAR_UNMAPPED;
    }
    return addr;
}

static void bar_notify(PCIDevice *d, int bar, uint64_t old_addr, uint64_t new_addr)
{
    GArray *ls = d->bus->bar_listeners;

    for (guint i = 0; i < ls->len; i++) {
        BarListener *l = &g_array_index(ls, BarListener, i);
        l->fn(l->opaque, d, bar, old_addr, new_addr);
    }
}

static void bar_set_mapping(PCIDevice *d, int bar, uint64_t new_addr)
{
    PCIBar *b = &d->bars[bar];
    uint64_t old_addr = b->addr;

    if (old_addr == new_addr) {
        return;
    }
    if (new_addr == PCI_BAR_UNMAPPED) {
        mr_del_subregion(bar_space(d, b), b->mr);
    } else if (old_addr == PCI_BAR_UNMAPPED) {
        mr_add_subregion(bar_space(d, b), new_addr, b->mr, PCI_BAR_PRIORITY);
    } else {
        mr_set_address(b->mr, new_addr);
    }
    b->addr = new_addr;
    bar_notify(d, bar, old_addr, new_addr);
}

void pci_update_mappings(PCIDevice *d)
{
    if (!d->bus) {
        return;
    }
    memory_transaction_begin();
    for (int i = 0; i < PCI_NUM_REGIONS; i++) {
        if (d->bars[i].mr) {
            bar_set_mapping(d, i, bar_decode_address(d, i));
        }
    }
    memory_transaction_commit();
}

/* ---- config space ---- */

uint32_t pci_default_config_read(PCIDevice *d, unsigned addr, unsigned len)
{
    uint32_t v = 0;

    for (unsigned i = 0; i < len; i++) {
        v |= (uint32_t)d->config[addr + i] << (8 * i);
    }
    return v;
}

static bool ranges_overlap(unsigned a, unsigned alen, unsigned b, unsigned blen)
{
    return a < b + blen && b < a + alen;
}

void pci_default_config_write(PCIDevice *d, unsigned addr, uint32_t value, unsigned len)
{
    uint16_t old_cmd = pci_get_word(d->config + PCI_COMMAND);

    for (unsigned i = 0; i < len; i++) {
        unsigned a = addr + i;
        uint8_t byte = (uint8_t)(value >> (8 * i));

        d->config[a] = (d->config[a] & ~d->wmask[a]) | (byte & d->wmask[a]);
        d->config[a] &= ~(byte & d->w1cmask[a]);
    }

    if (ranges_overlap(addr, len, PCI_BASE_ADDRESS_0, 24) || ranges_overlap(addr, len, PCI_ROM_ADDRESS, 4) ||
        ranges_overlap(addr, len, PCI_COMMAND, 2)) {
        pci_update_mappings(d);
    }
    if ((old_cmd ^ pci_get_word(d->config + PCI_COMMAND)) & PCI_COMMAND_INTX_DISABLE) {
        pci_irq_update(d);
    }
}

uint32_t pci_config_read(PCIDevice *d, unsigned addr, unsigned len)
{
    if (!config_access_ok(addr, len)) {
        guest_error("pci %02x.%x: config read of %u bytes at 0x%x\n",
                    PCI_SLOT(d->devfn), PCI_FUNC(d->devfn), len, addr);
        return UINT32_MAX;
    }
    if (d->ops && d->ops->config_read) {
        return d->ops->config_read(d, addr, len);
    }
    return pci_default_config_read(d, addr, len);
}

void pci_config_write(PCIDevice *d, unsigned addr, uint32_t value, unsigned len)
{
    if (!config_access_ok(addr, len)) {
        guest_error("pci %02x.%x: config write of %u bytes at 0x%x\n",
                    PCI_SLOT(d->devfn), PCI_FUNC(d->devfn), len, addr);
        return;
    }
    if (len < 4) {
        value &= (1u << (len * 8)) - 1;
    }
    if (d->ops && d->ops->config_write) {
        d->ops->config_write(d, addr, value, len);
    } else {
        pci_default_config_write(d, addr, value, len);
    }
}

/* ---- device life cycle ---- */

bool pci_device_init(PCIDevice *d, PCIBus *bus, int devfn, const PCIDeviceOps *ops, GError **err)
{
    if (devfn < 0 || devfn >= PCI_NUM_DEVFN) {
        g_set_error(err, IOEMU_ERROR, 0, "pci: devfn %d out of range 0..255", devfn);
        return false;
    }
    if (bus->devices[devfn]) {
        g_set_error(err, IOEMU_ERROR, 0, "pci: slot %02x.%x already holds a device",
                    PCI_SLOT(devfn), PCI_FUNC(devfn));
        return false;
    }
    memset(d->config, 0, sizeof(d->config));
    memset(d->wmask, 0, sizeof(d->wmask));
    memset(d->w1cmask, 0, sizeof(d->w1cmask));
    memset(d->bars, 0, sizeof(d->bars));
    for (int i = 0; i < PCI_NUM_REGIONS; i++) {
        d->bars[i].addr = PCI_BAR_UNMAPPED;
    }
    d->bus = bus;
    d->ops = ops;
    d->devfn = devfn;
    d->irq_level = 0;
    d->irq_pirq = -1;

    pci_set_word(d->wmask + PCI_COMMAND, PCI_COMMAND_IO | PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER |
                 PCI_COMMAND_PARITY | PCI_COMMAND_SERR | PCI_COMMAND_INTX_DISABLE);
    pci_set_word(d->w1cmask + PCI_STATUS, PCI_STATUS_PARITY | PCI_STATUS_SIG_TARGET_ABORT |
                 PCI_STATUS_REC_TARGET_ABORT | PCI_STATUS_REC_MASTER_ABORT |
                 PCI_STATUS_SIG_SYSTEM_ERROR | PCI_STATUS_DETECTED_PARITY);
    d->wmask[PCI_CACHE_LINE_SIZE] = 0xff;
    d->wmask[PCI_LATENCY_TIMER] = 0xff;
    d->wmask[PCI_INTERRUPT_LINE] = 0xff;
    memset(d->wmask + PCI_CONFIG_HEADER_SIZE, 0xff, PCI_CONFIG_SPACE_SIZE - PCI_CONFIG_HEADER_SIZE);

    bus->devices[devfn] = d;
    return true;
}

void pci_device_exit(PCIDevice *d)
{
    PCIBus *bus = d->bus;

    if (!bus) {
        return;
    }
    memory_transaction_begin();
    for (int i = 0; i < PCI_NUM_REGIONS; i++) {
        if (d->bars[i].mr) {
            bar_set_mapping(d, i, PCI_BAR_UNMAPPED);
        }
    }
    memory_transaction_commit();
    d->irq_level = 0;
    pci_irq_update(d);
    bus->devices[d->devfn] = NULL;
    d->bus = NULL;
}

void pci_config_set_ids(PCIDevice *d, uint16_t vendor, uint16_t device, uint8_t revision, uint32_t class_code)
{
    pci_set_word(d->config + PCI_VENDOR_ID, vendor);
    pci_set_word(d->config + PCI_DEVICE_ID, device);
    d->config[PCI_REVISION_ID] = revision;
    d->config[PCI_CLASS_PROG] = (uint8_t)class_code;
    pci_set_word(d->config + PCI_CLASS_DEVICE, (uint16_t)(class_code >> 8));
}

void pci_config_set_interrupt_pin(PCIDevice *d, int pin)
{
    g_assert(pin >= 0 && pin <= PCI_INTX_PINS);
    d->config[PCI_INTERRUPT_PIN] = (uint8_t)pin;
}

void pci_device_reset(PCIDevice *d)
{
    uint16_t cmd = pci_get_word(d->config + PCI_COMMAND) & ~pci_get_word(d->wmask + PCI_COMMAND);
    uint16_t status = pci_get_word(d->config + PCI_STATUS) & ~pci_get_word(d->w1cmask + PCI_STATUS);

    pci_set_word(d->config + PCI_COMMAND, cmd);
    pci_set_word(d->config + PCI_STATUS, status);
    d->config[PCI_CACHE_LINE_SIZE] = 0;
    d->config[PCI_LATENCY_TIMER] = 0;
    d->config[PCI_INTERRUPT_LINE] = 0;
    for (int i = 0; i < PCI_NUM_REGIONS; i++) {
        PCIBar *b = &d->bars[i];
        unsigned off = bar_config_offset(i);
        if (!b->mr) {
            continue;
        }
        pci_set_long(d->config + off, i == PCI_ROM_SLOT ? 0 : b->type);
        if (i != PCI_ROM_SLOT && (b->type & PCI_BASE_ADDRESS_MEM_TYPE_64)) {
            pci_set_long(d->config + off + 4, 0);
        }
    }
    pci_update_mappings(d);
    d->irq_level = 0;
    pci_irq_update(d);
}

/* ---- state ---- */

static bool pci_device_state_post_load(void *opaque, int version, GError **err)
{
    return pci_device_post_load(opaque, err);
}

static const StateField pci_device_fields[] = {
    STATE_BUFFER_FIELD(PCIDevice, config),
    STATE_I32(PCIDevice, irq_level),
    STATE_FIELDS_END,
};

const StateDescription pci_device_state = {
    .name = "pci-device",
    .version = 1,
    .min_version = 1,
    .fields = pci_device_fields,
    .post_load = pci_device_state_post_load,
};

bool pci_device_post_load(PCIDevice *d, GError **err)
{
    if (d->irq_level != 0 && d->irq_level != 1) {
        g_set_error(err, IOEMU_ERROR, 0, "pci %02x.%x: INTx level %d is not 0 or 1",
                    PCI_SLOT(d->devfn), PCI_FUNC(d->devfn), (int)d->irq_level);
        return false;
    }
    /* The BAR type bits are properties of the device, not of the stream. */
    for (int i = 0; i < PCI_NUM_REGIONS; i++) {
        PCIBar *b = &d->bars[i];
        unsigned off = bar_config_offset(i);
        uint32_t v;
        if (!b->mr || i == PCI_ROM_SLOT) {
            continue;
        }
        v = pci_get_long(d->config + off);
        pci_set_long(d->config + off, (v & pci_get_long(d->wmask + off)) | b->type);
    }
    pci_update_mappings(d);
    pci_irq_update(d);
    return true;
}
