/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Intel 82441FX PMC (440FX host bridge).  References: Intel 440FX PCIset
 * datasheet (82441FX PMC / 82442FX DBX, order 290549), section 3.1
 * (CONFADD/CONFDATA, configuration mechanism #1), 3.2 (PCI configuration
 * registers: PAM0-PAM6, SMRAM), 4.1 (system memory map, SMRAM and PAM
 * segments); PCI Local Bus Specification 3.0, 3.2.2.3.2 (mechanism #1).
 *
 * Memory model: guest RAM is not mapped at 0xA0000-0xFFFFF by the board;
 * this bridge maps windows onto it there, at I440FX_WINDOW_PRIORITY:
 *   - per PAM segment a read/write alias of RAM (attribute 11b), a
 *     read-only alias (01b: reads DRAM, writes go to PCI, i.e. nowhere)
 *     and an IO window for write-only (10b: reads go to PCI, which
 *     decodes the isa-bios copy of the firmware at 0xE0000-0xFFFFF,
 *     writes go to DRAM); 00b enables none of them, so PCI answers;
 *   - an alias of RAM at 0xA0000-0xBFFFF enabled while SMRAM is open.
 */
#include "hw/i386/i440fx.h"

#include <string.h>

#include "hw/core/log.h"

/* CONFADD (3.1.1): enable bit, bus, device, function, dword register; other bits reserved. */
#define CONFADD_ENABLE      0x80000000u
#define CONFADD_WRITABLE    0x80fffffcu

/* DRAMC/0x57 holds min(RAM / 8 MiB, 255), as QEMU's i440fx publishes it for coreboot. */
#define DRAMC_RAM_UNIT      (8ull << 20)

typedef struct PAMSegment {
    uint64_t base, size;
    unsigned reg, shift;
    MemoryRegion *rw, *ro, *wo;
    struct I440FXState *owner;
} PAMSegment;

struct I440FXState {
    PCIDevice pci;
    Machine *m;
    uint32_t confadd;
    uint64_t ram_size;
    MemoryRegion *ram;
    MemoryRegion *conf_addr, *conf_data;
    PAMSegment pam[I440FX_PAM_SEGMENTS];
    MemoryRegion *smram_open;
    const uint8_t *legacy_rom;
    uint64_t legacy_rom_base, legacy_rom_size;
    I440FXCf9Read cf9_read;
    I440FXCf9Write cf9_write;
    void *cf9_opaque;
};

/* ---- memory map below 1 MiB ---- */

static unsigned pam_attr(const I440FXState *s, const PAMSegment *seg)
{
    return (s->pci.config[seg->reg] >> seg->shift) & (PAM_RE | PAM_WE);
}

static void i440fx_update_memory_map(I440FXState *s)
{
    uint8_t smram = s->pci.config[I440FX_SMRAM];

    memory_transaction_begin();
    for (int i = 0; i < I440FX_PAM_SEGMENTS; i++) {
        PAMSegment *seg = &s->pam[i];
        unsigned attr = pam_attr(s, seg);
        mr_set_enabled(seg->rw, attr == (PAM_RE | PAM_WE));
        mr_set_enabled(seg->ro, attr == PAM_RE);
        mr_set_enabled(seg->wo, attr == PAM_WE);
    }
    /*
     * SMRAM register (3.2): D_OPEN makes the SMM space DRAM visible
     * outside SMM; like the other SMRAM controls it only works with
     * G_SMRAME set.  Otherwise 0xA0000-0xBFFFF goes to PCI (VGA).
     */
    mr_set_enabled(s->smram_open, (smram & SMRAM_G_SMRAME) && (smram & SMRAM_D_OPEN));
    memory_transaction_commit();
}

/* Write-only PAM segment: reads are PCI cycles (the legacy ROM copy), writes land in DRAM. */
static uint64_t pam_wo_read(void *opaque, uint64_t offset, unsigned size)
{
    PAMSegment *seg = opaque;
    I440FXState *s = seg->owner;
    uint64_t v = 0;

    for (unsigned i = 0; i < size; i++) {
        uint64_t addr = seg->base + offset + i;
        uint8_t byte = 0xff;
        if (s->legacy_rom && addr >= s->legacy_rom_base && addr - s->legacy_rom_base < s->legacy_rom_size) {
            byte = s->legacy_rom[addr - s->legacy_rom_base];
        }
        v |= (uint64_t)byte << (8 * i);
    }
    return v;
}

static void pam_wo_write(void *opaque, uint64_t offset, uint64_t value, unsigned size)
{
    PAMSegment *seg = opaque;
    uint8_t *ram = mr_host_ptr(seg->owner->ram);

    if (!ram) {
        log_unimp("i440fx: write-only PAM segment over RAM without a host pointer\n");
        return;
    }
    for (unsigned i = 0; i < size; i++) {
        ram[seg->base + offset + i] = (uint8_t)(value >> (8 * i));
    }
}

static const RegionOps pam_wo_ops = {
    .read = pam_wo_read,
    .write = pam_wo_write,
    .valid = { .min = 1, .max = 8, .unaligned = true },
    .impl = { .min = 1, .max = 8 },
};

/* ---- configuration mechanism #1 ---- */

static uint64_t conf_addr_read(void *opaque, uint64_t offset, unsigned size)
{
    I440FXState *s = opaque;
    uint64_t v = 0;

    if (offset == 0 && size == 4) {
        return s->confadd;
    }
    /* 3.1.1: only a dword access is CONFADD; narrower ones pass to PCI as IO cycles. */
    for (unsigned i = 0; i < size; i++) {
        uint8_t byte = 0xff;
        if (offset + i == 1 && s->cf9_read) {
            byte = s->cf9_read(s->cf9_opaque);
        }
        v |= (uint64_t)byte << (8 * i);
    }
    return v;
}

static void conf_addr_write(void *opaque, uint64_t offset, uint64_t value, unsigned size)
{
    I440FXState *s = opaque;

    if (offset == 0 && size == 4) {
        s->confadd = (uint32_t)value & CONFADD_WRITABLE;
        return;
    }
    for (unsigned i = 0; i < size; i++) {
        if (offset + i == 1 && s->cf9_write) {
            s->cf9_write(s->cf9_opaque, (uint8_t)(value >> (8 * i)));
        }
    }
}

static const RegionOps conf_addr_ops = {
    .read = conf_addr_read,
    .write = conf_addr_write,
    .valid = { .min = 1, .max = 4 },
    .impl = { .min = 1, .max = 4 },
};

static uint64_t conf_data_read(void *opaque, uint64_t offset, unsigned size)
{
    I440FXState *s = opaque;
    unsigned bus = (s->confadd >> 16) & 0xff;

    /* CONFADD enable clear: 0xcfc-0xcff are plain IO that nobody claims. */
    if (!(s->confadd & CONFADD_ENABLE) || bus != 0) {
        return size == 4 ? 0xffffffffu : (1u << (size * 8)) - 1;
    }
    return pci_bus_config_read(s->pci.bus, (s->confadd >> 8) & 0xff,
                               (s->confadd & 0xfc) + (unsigned)offset, size);
}

static void conf_data_write(void *opaque, uint64_t offset, uint64_t value, unsigned size)
{
    I440FXState *s = opaque;
    unsigned bus = (s->confadd >> 16) & 0xff;

    if (!(s->confadd & CONFADD_ENABLE) || bus != 0) {
        return;
    }
    pci_bus_config_write(s->pci.bus, (s->confadd >> 8) & 0xff,
                         (s->confadd & 0xfc) + (unsigned)offset, (uint32_t)value, size);
}

static const RegionOps conf_data_ops = {
    .read = conf_data_read,
    .write = conf_data_write,
    .valid = { .min = 1, .max = 4 },
    .impl = { .min = 1, .max = 4 },
};

/* ---- configuration registers ---- */

static bool covers(unsigned addr, unsigned len, unsigned reg, unsigned reg_len)
{
    return addr < reg + reg_len && reg < addr + len;
}

static void i440fx_config_write(PCIDevice *d, unsigned addr, uint32_t value, unsigned len)
{
    I440FXState *s = (I440FXState *)d;
    uint8_t old_smram = d->config[I440FX_SMRAM];

    pci_default_config_write(d, addr, value, len);

    if (covers(addr, len, I440FX_SMRAM, 1)) {
        uint8_t v = d->config[I440FX_SMRAM];
        /*
         * D_LCK: once set, D_OPEN is forced to 0 and both become read-only
         * until reset; setting D_LCK clears D_OPEN in the same write.
         */
        if (old_smram & SMRAM_D_LCK) {
            v = (v & ~(SMRAM_D_OPEN | SMRAM_D_LCK)) | SMRAM_D_LCK;
        } else if (v & SMRAM_D_LCK) {
            v &= ~SMRAM_D_OPEN;
        }
        d->config[I440FX_SMRAM] = v;
    }
    if (covers(addr, len, I440FX_PAM0, I440FX_PAM_REGS) || covers(addr, len, I440FX_SMRAM, 1)) {
        i440fx_update_memory_map(s);
    }
}

static const PCIDeviceOps i440fx_pci_ops = {
    .config_write = i440fx_config_write,
};

static void i440fx_init_masks(I440FXState *s)
{
    uint8_t *wmask = s->pci.wmask;

    /* PCICMD: MAE and BME are hardwired on; only SERR# and parity reporting are programmable. */
    pci_set_word(wmask + PCI_COMMAND, PCI_COMMAND_SERR | PCI_COMMAND_PARITY);
    wmask[PCI_CACHE_LINE_SIZE] = 0;
    wmask[PCI_LATENCY_TIMER] = 0xf8;        /* MLT: bits 2:0 reserved */
    wmask[PCI_INTERRUPT_LINE] = 0;          /* the PMC has no interrupt */
    wmask[I440FX_PAM0] = 0x30;              /* PAM0 bits 3:0 reserved */
    for (int i = 1; i < I440FX_PAM_REGS; i++) {
        wmask[I440FX_PAM0 + i] = 0x33;      /* bits 7:6 and 3:2 reserved (cacheability lives in MTRRs) */
    }
    wmask[I440FX_SMRAM] = SMRAM_D_OPEN | SMRAM_D_CLS | SMRAM_D_LCK | SMRAM_G_SMRAME;
}

static void i440fx_reset(Device *dev, ResetKind kind)
{
    I440FXState *s = (I440FXState *)dev;
    uint8_t *c = s->pci.config;
    uint64_t dramc = s->ram_size / DRAMC_RAM_UNIT;

    pci_device_reset(&s->pci);
    memset(c + PCI_CONFIG_HEADER_SIZE, 0, PCI_CONFIG_SPACE_SIZE - PCI_CONFIG_HEADER_SIZE);
    /* Reset values, 3.2: PCICMD 0006h, PCISTS 0280h, PAM0-6 00h (all to PCI), SMRAM 02h. */
    pci_set_word(c + PCI_COMMAND, PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
    pci_set_word(c + PCI_STATUS, PCI_STATUS_DEVSEL_MEDIUM | PCI_STATUS_FAST_BACK);
    c[I440FX_DRAMC] = dramc > 255 ? 255 : (uint8_t)dramc;
    c[I440FX_SMRAM] = 0x02;
    s->confadd = 0;
    i440fx_update_memory_map(s);
}

static bool i440fx_post_load(void *opaque, int version, GError **err)
{
    I440FXState *s = opaque;

    s->confadd &= CONFADD_WRITABLE;
    i440fx_update_memory_map(s);
    return true;
}

static const StateField i440fx_fields[] = {
    STATE_STRUCT_FIELD(I440FXState, pci, pci_device_state, PCIDevice),
    STATE_U32(I440FXState, confadd),
    STATE_FIELDS_END,
};

static const StateDescription i440fx_state = {
    .name = "i440fx",
    .version = 1,
    .min_version = 1,
    .fields = i440fx_fields,
    .post_load = i440fx_post_load,
};

static void i440fx_unrealize(Device *dev)
{
    I440FXState *s = (I440FXState *)dev;

    pci_device_exit(&s->pci);
    mr_free(s->conf_addr);
    mr_free(s->conf_data);
    for (int i = 0; i < I440FX_PAM_SEGMENTS; i++) {
        mr_free(s->pam[i].rw);
        mr_free(s->pam[i].ro);
        mr_free(s->pam[i].wo);
    }
    mr_free(s->smram_open);
    g_free(s);
}

static const DeviceClass i440fx_class = {
    .name = "i440fx",
    .reset = i440fx_reset,
    .unrealize = i440fx_unrealize,
    .state = &i440fx_state,
};

static void pam_segment_init(I440FXState *s, int i)
{
    PAMSegment *seg = &s->pam[i];
    MemoryRegion *root = as_root(s->m->mem);
    char name[32];

    seg->owner = s;
    if (i == 0) {
        seg->base = 0xf0000;
        seg->size = 0x10000;
        seg->reg = I440FX_PAM0;
        seg->shift = 4;
    } else {
        seg->base = 0xc0000 + (uint64_t)(i - 1) * 0x4000;
        seg->size = 0x4000;
        seg->reg = I440FX_PAM0 + 1 + (unsigned)(i - 1) / 2;
        seg->shift = ((i - 1) & 1) ? 4 : 0;
    }
    g_snprintf(name, sizeof(name), "pam-ram-%05" G_GINT64_MODIFIER "x", seg->base);
    seg->rw = mr_new_alias(name, s->ram, seg->base, seg->size);
    g_snprintf(name, sizeof(name), "pam-rom-%05" G_GINT64_MODIFIER "x", seg->base);
    seg->ro = mr_new_alias(name, s->ram, seg->base, seg->size);
    mr_set_readonly(seg->ro, true);
    g_snprintf(name, sizeof(name), "pam-wo-%05" G_GINT64_MODIFIER "x", seg->base);
    seg->wo = mr_new_io(name, seg->size, &pam_wo_ops, seg);
    mr_set_enabled(seg->rw, false);
    mr_set_enabled(seg->ro, false);
    mr_set_enabled(seg->wo, false);
    mr_add_subregion(root, seg->base, seg->rw, I440FX_WINDOW_PRIORITY);
    mr_add_subregion(root, seg->base, seg->ro, I440FX_WINDOW_PRIORITY);
    mr_add_subregion(root, seg->base, seg->wo, I440FX_WINDOW_PRIORITY);
}

I440FXState *i440fx_create(Machine *m, PCIBus *bus, MemoryRegion *ram, uint64_t ram_size, GError **err)
{
    I440FXState *s;

    if (mr_size(ram) < 0x100000) {
        g_set_error(err, IOEMU_ERROR, 0, "i440fx: RAM region %s is smaller than 1 MiB", mr_name(ram));
        return NULL;
    }
    s = g_new0(I440FXState, 1);
    if (!pci_device_init(&s->pci, bus, I440FX_DEVFN, &i440fx_pci_ops, err)) {
        g_free(s);
        return NULL;
    }
    s->m = m;
    s->ram = ram;
    s->ram_size = ram_size;
    pci_config_set_ids(&s->pci, I440FX_VENDOR_ID, I440FX_DEVICE_ID, 0x02, 0x060000);
    /* QEMU's subsystem IDs (Red Hat/QEMU), which guests may key quirks on. */
    pci_set_word(s->pci.config + PCI_SUBSYSTEM_VENDOR_ID, 0x1af4);
    pci_set_word(s->pci.config + PCI_SUBSYSTEM_ID, 0x1100);
    i440fx_init_masks(s);

    memory_transaction_begin();
    for (int i = 0; i < I440FX_PAM_SEGMENTS; i++) {
        pam_segment_init(s, i);
    }
    s->smram_open = mr_new_alias("smram-open", ram, I440FX_SMRAM_BASE, I440FX_SMRAM_SIZE);
    mr_set_enabled(s->smram_open, false);
    mr_add_subregion(as_root(m->mem), I440FX_SMRAM_BASE, s->smram_open, I440FX_WINDOW_PRIORITY);
    memory_transaction_commit();

    s->conf_addr = mr_new_io("pci-conf-addr", 4, &conf_addr_ops, s);
    s->conf_data = mr_new_io("pci-conf-data", 4, &conf_data_ops, s);
    mr_add_subregion(as_root(m->io), I440FX_CONF_ADDR_PORT, s->conf_addr, 0);
    mr_add_subregion(as_root(m->io), I440FX_CONF_DATA_PORT, s->conf_data, 0);

    device_register(m->devices, &s->pci.dev, &i440fx_class, "i440fx");
    return s;
}

void i440fx_set_legacy_rom(I440FXState *s, const uint8_t *data, uint64_t base, uint64_t size)
{
    s->legacy_rom = data;
    s->legacy_rom_base = base;
    s->legacy_rom_size = data ? size : 0;
}

void i440fx_set_cf9_handler(I440FXState *s, I440FXCf9Read read, I440FXCf9Write write, void *opaque)
{
    s->cf9_read = read;
    s->cf9_write = write;
    s->cf9_opaque = opaque;
}

PCIDevice *i440fx_pci(I440FXState *s)
{
    return &s->pci;
}

unsigned i440fx_pam_attr(I440FXState *s, int segment)
{
    if (segment < 0 || segment >= I440FX_PAM_SEGMENTS) {
        return 0;
    }
    return pam_attr(s, &s->pam[segment]);
}
