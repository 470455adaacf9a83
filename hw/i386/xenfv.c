/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The `xenfv` board (contract in xen-dm/board.h): QEMU 7.2's pc_piix.c
 * with xen_enabled(), minus everything Xen emulates itself (PIC, IOAPIC,
 * PIT and port 0x61, the RTC clock registers 0x00-0x0d, HPET, LAPIC, the
 * ACPI PM1 event and timer registers).  Facts: xen-interface.md 5.1-5.3,
 * hvmloader (what it programs and expects), SeaBIOS (CMOS boot order).
 *
 * Every device is created by one step of xenfv_devices[], in order; the
 * -device models follow in argv order.  The board registers itself as the
 * first device so that tearing the device list down frees it last.
 *
 * IRQs never touch a PIC here: ISA lines go to hooks.set_isa_irq, each
 * PCI device's INTx pin to hooks.set_pci_intx (Xen swizzles and routes it),
 * and every PIIX3 PIRQRC change to hooks.set_pci_link_route.
 *
 * No fw_cfg: QEMU's xenfv only creates one for direct kernel boot, which
 * xen-dm refuses; SeaBIOS gets its tables from hvmloader.
 */
#include "hw/i386/xenfv.h"

#include <inttypes.h>
#include <string.h>

#include "hw/acpi/piix4_pm.h"
#include "hw/char/uart16550.h"
#include "hw/core/log.h"
#include "hw/i386/i440fx.h"
#include "hw/i386/pc_cmos.h"
#include "hw/i386/piix3.h"
#include "hw/ide/ide_piix.h"
#include "hw/input/i8042.h"
#include "hw/misc/ioport80.h"
#include "hw/misc/port92.h"
#include "hw/pci/pci.h"
#include "hw/xen/xen_platform.h"

#define KiB                     1024ull
#define MiB                     (1024ull * KiB)
#define GiB                     (1024ull * MiB)

#define XENFV_LOW_RAM_END       0xa0000ull      /* 640 KiB; the VGA window follows */
#define XENFV_ROM_AREA          0xc0000ull      /* option ROMs: RAM under Xen (SeaBIOS copies them there) */
#define XENFV_MAX_BOOT_DEVICES  PC_CMOS_MAX_BOOT_DEVICES

static const struct {
    uint16_t iobase;
    unsigned irq;
} xenfv_serial_ports[XENFV_MAX_SERIAL] = {
    { 0x3f8, 4 }, { 0x2f8, 3 }, { 0x3e8, 4 }, { 0x2e8, 3 },
};

/* ---- CMOS NVRAM behind Xen's RTC ---- */

/*
 * Xen's RTC (xen/arch/x86/hvm/rtc.c) answers index writes below 0x0e and
 * data accesses while its index is below 0x0e; it forwards an index write
 * of 0x0e-0x7f (bit 7, the NMI mask, included) and the data accesses that
 * follow it.  So this device sees exactly the NVRAM part of the MC146818,
 * and needs no clock.  Ports 0x72/0x73 (an upper 128-byte bank, as the
 * pc board has) are not Xen's and come here whole.  The contents are
 * battery-backed: a reset only forgets the index.
 */
typedef struct CMOSNvram {
    Device dev;
    Machine *m;
    MemoryRegion *io;
    uint8_t index;
    uint8_t ext_index;
    uint8_t nvram[XENFV_CMOS_SIZE];
    uint8_t ext[XENFV_CMOS_SIZE];
} CMOSNvram;

static uint64_t cmos_read(void *opaque, uint64_t offset, unsigned size)
{
    CMOSNvram *c = opaque;

    switch (offset) {
    case 1:
        return c->index >= XENFV_CMOS_NVRAM_START ? c->nvram[c->index] : 0xff;
    case 3:
        return c->ext[c->ext_index];
    default:
        return 0xff;    /* the index registers are write-only */
    }
}

static void cmos_write(void *opaque, uint64_t offset, uint64_t value, unsigned size)
{
    CMOSNvram *c = opaque;
    uint8_t v = (uint8_t)value;

    switch (offset) {
    case 0:
        c->index = v & (XENFV_CMOS_SIZE - 1);
        break;
    case 1:
        if (c->index >= XENFV_CMOS_NVRAM_START) {
            c->nvram[c->index] = v;
        } else {
            guest_error("xenfv: CMOS register 0x%02x reached the device model (it is Xen's)\n", c->index);
        }
        break;
    case 2:
        c->ext_index = v & (XENFV_CMOS_SIZE - 1);
        break;
    default:
        c->ext[c->ext_index] = v;
        break;
    }
}

static const RegionOps cmos_ops = {
    .read = cmos_read,
    .write = cmos_write,
    .valid = { .min = 1, .max = 4, .unaligned = true },
    .impl = { .min = 1, .max = 1 },
};

static void cmos_reset(Device *dev, ResetKind kind)
{
    CMOSNvram *c = (CMOSNvram *)dev;

    c->index = 0;
    c->ext_index = 0;
}

static bool cmos_post_load(void *opaque, int version, GError **err)
{
    CMOSNvram *c = opaque;

    if (c->index >= XENFV_CMOS_SIZE || c->ext_index >= XENFV_CMOS_SIZE) {
        g_set_error(err, IOEMU_ERROR, 0, "cmos-nvram: index 0x%02x/0x%02x out of range", c->index, c->ext_index);
        return false;
    }
    return true;
}

static const StateField cmos_fields[] = {
    STATE_U8(CMOSNvram, index),
    STATE_U8(CMOSNvram, ext_index),
    STATE_BUFFER_FIELD(CMOSNvram, nvram),
    STATE_BUFFER_FIELD(CMOSNvram, ext),
    STATE_FIELDS_END,
};

static const StateDescription cmos_state = {
    .name = "cmos-nvram",
    .version = 1,
    .min_version = 1,
    .fields = cmos_fields,
    .post_load = cmos_post_load,
};

static void cmos_unrealize(Device *dev)
{
    CMOSNvram *c = (CMOSNvram *)dev;

    mr_del_subregion(as_root(c->m->io), c->io);
    mr_free(c->io);
    g_free(c);
}

static const DeviceClass cmos_class = {
    .name = "cmos-nvram",
    .reset = cmos_reset,
    .unrealize = cmos_unrealize,
    .state = &cmos_state,
};

static CMOSNvram *cmos_create(Machine *m)
{
    CMOSNvram *c = g_new0(CMOSNvram, 1);

    c->m = m;
    c->io = mr_new_io("cmos-nvram", 4, &cmos_ops, c);
    mr_add_subregion(as_root(m->io), XENFV_CMOS_INDEX_PORT, c->io, 0);
    device_register(m->devices, &c->dev, &cmos_class, "cmos-nvram");
    return c;
}

static void cmos_set(CMOSNvram *c, unsigned index, uint8_t v)
{
    if (index < XENFV_CMOS_SIZE) {
        c->nvram[index] = v;
    } else if (index < 2 * XENFV_CMOS_SIZE) {
        c->ext[index - XENFV_CMOS_SIZE] = v;
    }
}

/* ---- the board ---- */

typedef struct XenfvBoard {
    Device dev;                 /* first: the board is the first entry of the device list */
    Machine *m;
    XenfvConfig cfg;
    char *boot_order;
    uint64_t below_4g, above_4g;

    MemoryRegion *ram_640k, *ram_lo, *ram_hi;
    IrqLine **isa_irq;          /* to Xen */
    IrqLine **piix3_irq;        /* what PIIX3's own PIRQ logic drives: nothing (Xen routes PIRQs) */

    PCIBus *pci_bus;
    I440FXState *i440fx;
    PIIX3State *piix3;
    IDEPiixState *ide;
    PIIX4PMState *pm;
    XenPlatformState *platform;
    CMOSNvram *cmos;
    UARTState *serial[XENFV_MAX_SERIAL];
    Port92State *port92;
    I8042State *i8042;
    unsigned unplugged;
} XenfvBoard;

/* ---- interrupts ---- */

static void isa_irq_handler(void *opaque, int n, int level)
{
    XenfvBoard *b = opaque;

    if (b->cfg.hooks.set_isa_irq) {
        b->cfg.hooks.set_isa_irq(b->cfg.hooks.opaque, (unsigned)n, level != 0);
    }
}

static void no_irq_handler(void *opaque, int n, int level)
{
}

static void pci_intx_hook(void *opaque, int devfn, int pin, int level)
{
    XenfvBoard *b = opaque;

    if (b->cfg.hooks.set_pci_intx && pin >= 0 && pin < PCI_INTX_PINS) {
        b->cfg.hooks.set_pci_intx(b->cfg.hooks.opaque, (unsigned)PCI_SLOT(devfn), (unsigned)pin, level != 0);
    }
}

static void pirq_route_listener(void *opaque, int pirq, int isa_irq)
{
    XenfvBoard *b = opaque;

    if (b->cfg.hooks.set_pci_link_route && pirq >= 0 && pirq < PCI_NUM_PIRQS) {
        b->cfg.hooks.set_pci_link_route(b->cfg.hooks.opaque, (unsigned)pirq, isa_irq > 0 ? (unsigned)isa_irq : 0);
    }
}

/* ---- memory ---- */

static bool xenfv_init_memory(XenfvBoard *b, GError **err)
{
    MemoryRegion *root = as_root(b->m->mem);
    uint64_t lowmem = b->cfg.max_ram_below_4g ? b->cfg.max_ram_below_4g : XENFV_BELOW_4G_RAM_END;

    if (!b->cfg.ram) {
        g_set_error(err, IOEMU_ERROR, 0, "no guest RAM region");
        return false;
    }
    if (b->cfg.ram_size < 1 * MiB) {
        g_set_error(err, IOEMU_ERROR, 0, "RAM size %" G_GUINT64_FORMAT " bytes is below the minimum of 1 MiB",
                    b->cfg.ram_size);
        return false;
    }
    if (lowmem > 4 * GiB || lowmem < 1 * MiB) {
        g_set_error(err, IOEMU_ERROR, 0, "max-ram-below-4g=%" G_GUINT64_FORMAT " is outside 1 MiB..4 GiB", lowmem);
        return false;
    }
    /* libxc: RAM up to the hole, the rest above 4 GiB. */
    b->below_4g = MIN(b->cfg.ram_size, lowmem);
    b->above_4g = b->cfg.ram_size - b->below_4g;
    if (b->above_4g > (1ull << XENFV_PHYS_ADDR_BITS) - 4 * GiB) {
        g_set_error(err, IOEMU_ERROR, 0, "RAM size %" G_GUINT64_FORMAT " bytes does not fit in %d address bits",
                    b->cfg.ram_size, XENFV_PHYS_ADDR_BITS);
        return false;
    }
    if (mr_size(b->cfg.ram) < 4 * GiB + b->above_4g) {
        g_set_error(err, IOEMU_ERROR, 0, "guest RAM region is %" G_GUINT64_FORMAT " bytes; %" G_GUINT64_FORMAT
                    " needed", mr_size(b->cfg.ram), (guint64)(4 * GiB + b->above_4g));
        return false;
    }
    memory_transaction_begin();
    b->ram_640k = mr_new_alias("xen.ram.640k", b->cfg.ram, 0, XENFV_LOW_RAM_END);
    mr_add_subregion(root, 0, b->ram_640k, 0);
    if (b->below_4g > XENFV_ROM_AREA) {
        b->ram_lo = mr_new_alias("xen.ram.lo", b->cfg.ram, XENFV_ROM_AREA, b->below_4g - XENFV_ROM_AREA);
        mr_add_subregion(root, XENFV_ROM_AREA, b->ram_lo, 0);
    }
    if (b->above_4g) {
        b->ram_hi = mr_new_alias("xen.ram.hi", b->cfg.ram, 4 * GiB, b->above_4g);
        mr_add_subregion(root, 4 * GiB, b->ram_hi, 0);
    }
    memory_transaction_commit();
    return true;
}

/* ---- CMOS contents ---- */

static void xenfv_cmos_set_byte(void *opaque, unsigned index, uint8_t value)
{
    cmos_set(opaque, index, value);
}

/* SeaBIOS reads the boot order from here on QEMU-built firmware (src/boot.c). */
static void xenfv_cmos_init(XenfvBoard *b)
{
    pc_cmos_write_boot_info(xenfv_cmos_set_byte, b->cmos, 640, b->below_4g, b->above_4g, b->cfg.smp_cpus,
                            b->boot_order);
}

/* ---- hooks the devices call ---- */

static void platform_unplug(void *opaque, unsigned mask)
{
    XenfvBoard *b = opaque;

    /* No emulated NICs yet; IDE hard disks go (bit 0 all of them, bit 2 all but the primary master). */
    b->unplugged |= mask;
    if (b->ide && (mask & (XEN_UNPLUG_ALL_IDE_DISKS | XEN_UNPLUG_AUX_IDE_DISKS))) {
        ide_piix_unplug_disks(b->ide, !(mask & XEN_UNPLUG_ALL_IDE_DISKS));
    }
    log_cat(LOG_XEN, "xen-platform: guest unplugged emulated devices 0x%x\n", mask);
}

static bool platform_rom_lock(void *opaque, bool locked)
{
    XenfvBoard *b = opaque;

    return b->cfg.hooks.rom_lock ? b->cfg.hooks.rom_lock(b->cfg.hooks.opaque, locked) : true;
}

static void pm_suspend(void *opaque)
{
    XenfvBoard *b = opaque;

    if (b->cfg.hooks.sleep) {
        b->cfg.hooks.sleep(b->cfg.hooks.opaque, 3);
    } else {
        log_unimp("xenfv: S3 requested but xen-dm installed no sleep hook\n");
    }
}

/* ---- the device table ---- */

static bool add_i440fx(XenfvBoard *b, GError **err)
{
    b->pci_bus = pci_bus_new(b->m);
    b->i440fx = i440fx_create(b->m, b->pci_bus, b->cfg.ram, b->cfg.ram_size, err);
    return b->i440fx != NULL;
}

static bool add_piix3(XenfvBoard *b, GError **err)
{
    b->piix3 = piix3_create(b->m, b->pci_bus, b->piix3_irq, err);
    if (!b->piix3) {
        return false;
    }
    i440fx_set_cf9_handler(b->i440fx, piix3_rcr_read, piix3_rcr_write, b->piix3);
    /* Xen routes PCI INTx itself: report each device's pin and every PIRQRC change. */
    pci_bus_set_intx_hook(b->pci_bus, pci_intx_hook, b);
    piix3_set_route_listener(b->piix3, pirq_route_listener, b);
    return true;
}

static bool add_piix4_pm(XenfvBoard *b, GError **err)
{
    PIIX4PMConfig pm = {
        .sci = b->isa_irq[9],
        .pm_timer = false,                  /* Xen emulates PM_TMR (and PM1_STS/EN) at 0xb000 */
        .gpe0_base = PIIX4_GPE0_BASE,
        .smb_base = PIIX4_SMBUS_BASE_DEFAULT,
        .cpu_hotplug_base = PIIX4_CPU_HOTPLUG_BASE,
        .cpus_present = b->cfg.smp_cpus,
        .pci_hotplug_base = PIIX4_PCI_HOTPLUG_BASE,
        .disable_s3 = b->cfg.acpi_disable_s3,
        .disable_s4 = b->cfg.acpi_disable_s4,
        .suspend = pm_suspend,
        .opaque = b,
    };

    if (!b->cfg.acpi) {
        return true;
    }
    b->pm = piix4_pm_create(b->m, b->pci_bus, PIIX4_PM_DEVFN, &pm, err);
    return b->pm != NULL;
}

static bool add_xen_platform(XenfvBoard *b, GError **err)
{
    XenPlatformConfig pc = {
        .unplug = platform_unplug,
        .rom_lock = platform_rom_lock,
        .opaque = b,
        .log_limit = b->cfg.platform_log_limit,
    };

    if (!b->cfg.xen_platform) {
        return true;
    }
    b->platform = xen_platform_create(b->m, b->pci_bus, XENFV_PLATFORM_DEVFN, &pc, err);
    return b->platform != NULL;
}

static bool add_ide(XenfvBoard *b, GError **err)
{
    /* QEMU's xenfv always has the IDE function, drives or not. */
    b->ide = ide_piix3_create(b->m, b->pci_bus, PIIX3_IDE_DEVFN, b->cfg.ide_drives, b->cfg.ide_cdrom,
                              b->isa_irq[14], b->isa_irq[15], err);
    return b->ide != NULL;
}

static bool add_cmos(XenfvBoard *b, GError **err)
{
    b->cmos = cmos_create(b->m);
    xenfv_cmos_init(b);
    return true;
}

static bool add_serial(XenfvBoard *b, GError **err)
{
    for (int i = 0; i < XENFV_MAX_SERIAL; i++) {
        char id[16];

        if (!b->cfg.serial[i]) {
            continue;
        }
        g_snprintf(id, sizeof(id), "serial%d", i);
        b->serial[i] = uart_isa_create(b->m, id, xenfv_serial_ports[i].iobase,
                                       b->isa_irq[xenfv_serial_ports[i].irq], b->cfg.serial[i]);
    }
    return true;
}

static bool add_port92(XenfvBoard *b, GError **err)
{
    /* Xen keeps A20 enabled for HVM guests: only the fast reset bit matters. */
    b->port92 = port92_create(b->m, NULL);
    return true;
}

static bool add_i8042(XenfvBoard *b, GError **err)
{
    b->i8042 = i8042_create(b->m, b->isa_irq[I8042_KBD_IRQ], b->isa_irq[I8042_AUX_IRQ], NULL);
    return true;
}

static bool add_sinks(XenfvBoard *b, GError **err)
{
    ioport80_create(b->m, NULL);
    return true;
}

/* The board's own devices, in creation (and reset) order. */
static const struct {
    const char *name;
    bool (*add)(XenfvBoard *b, GError **err);
} xenfv_devices[] = {
    { "i440fx",       add_i440fx },         /* 00:00.0, 0xcf8-0xcff */
    { "piix3",        add_piix3 },          /* 00:01.0, PIRQ routes -> Xen, 0xcf9 */
    { "piix3-ide",    add_ide },            /* 00:01.1, 0x1f0/0x3f6 IRQ 14, 0x170/0x376 IRQ 15, BMIBA */
    { "piix4-pm",     add_piix4_pm },       /* 00:01.3, PM1_CNT at PMBA+4, GPE0 0xafe0, APM 0xb2, SCI = IRQ 9 */
    { "xen-platform", add_xen_platform },   /* 00:02.0, ports 0x10-0x1f */
    { "cmos",         add_cmos },           /* 0x70-0x73: NVRAM 0x0e-0x7f behind Xen's RTC */
    { "serial",       add_serial },         /* COM1-4 */
    { "port92",       add_port92 },         /* 0x92: fast reset */
    { "i8042",        add_i8042 },          /* 0x60/0x64, IRQ 1/12, reset pulse */
    { "ioport80",     add_sinks },          /* 0x80, 0xf0 */
};

/* ---- -device models ---- */

typedef struct XenfvDeviceModel {
    const char *name;
    bool (*add)(XenfvBoard *b, const char *opts, GError **err);
} XenfvDeviceModel;

/* Models -device can build on this board; each new device model adds its line here. */
static const XenfvDeviceModel xenfv_models[] = {
    { NULL, NULL },
};

static const XenfvDeviceModel *find_model(const char *name)
{
    for (const XenfvDeviceModel *d = xenfv_models; d->name; d++) {
        if (!strcmp(d->name, name)) {
            return d;
        }
    }
    return NULL;
}

bool xenfv_device_supported(const char *model)
{
    return model && find_model(model) != NULL;
}

static bool add_user_devices(XenfvBoard *b, const XenfvConfig *cfg, GError **err)
{
    for (unsigned i = 0; i < cfg->n_devices; i++) {
        const char *opts = cfg->devices[i];
        size_t len = strcspn(opts, ",");
        char *model = g_strndup(opts, len);
        const XenfvDeviceModel *d = find_model(model);
        bool ok;

        if (!d) {
            g_set_error(err, IOEMU_ERROR, 0, "-device %s: device '%s' is not supported", opts, model);
            g_free(model);
            return false;
        }
        ok = d->add(b, opts[len] ? opts + len + 1 : "", err);
        if (!ok) {
            g_prefix_error(err, "-device %s: ", opts);
        }
        g_free(model);
        if (!ok) {
            return false;
        }
    }
    return true;
}

/* ---- the board as a device ---- */

static void xenfv_board_unrealize(Device *dev)
{
    XenfvBoard *b = (XenfvBoard *)dev;
    MemoryRegion *root = as_root(b->m->mem);

    /* Every other device has unrealized by now (the board went first into the list). */
    if (b->pci_bus) {
        pci_bus_free(b->pci_bus);
    }
    memory_transaction_begin();
    if (b->ram_640k) {
        mr_del_subregion(root, b->ram_640k);
    }
    if (b->ram_lo) {
        mr_del_subregion(root, b->ram_lo);
    }
    if (b->ram_hi) {
        mr_del_subregion(root, b->ram_hi);
    }
    memory_transaction_commit();
    mr_free(b->ram_640k);
    mr_free(b->ram_lo);
    mr_free(b->ram_hi);
    irq_free_array(b->isa_irq, XENFV_NUM_ISA_IRQS);
    irq_free_array(b->piix3_irq, XENFV_NUM_ISA_IRQS);
    b->m->board = NULL;
    g_free(b->boot_order);
    g_free(b);
}

static const DeviceClass xenfv_board_class = {
    .name = "xenfv",
    .unrealize = xenfv_board_unrealize,
};

static XenfvBoard *xenfv_board(Machine *m)
{
    Device *dev = m ? device_find(m->devices, "xenfv") : NULL;

    return dev && dev->cls == &xenfv_board_class ? (XenfvBoard *)dev : NULL;
}

static bool check_boot_order(const char *order, GError **err)
{
    if (strlen(order) > XENFV_MAX_BOOT_DEVICES) {
        g_set_error(err, IOEMU_ERROR, 0, "boot order '%s': at most %d devices", order, XENFV_MAX_BOOT_DEVICES);
        return false;
    }
    for (const char *p = order; *p; p++) {
        if (!pc_cmos_boot_device_nibble(*p)) {
            g_set_error(err, IOEMU_ERROR, 0, "boot order '%s': invalid boot device '%c'", order, *p);
            return false;
        }
    }
    return true;
}

Machine *xenfv_create(const XenfvConfig *cfg, GError **err)
{
    const char *boot_order = cfg->boot_order ? cfg->boot_order : "cd";
    Machine *m;
    XenfvBoard *b;

    if (cfg->smp_cpus < 1 || cfg->max_cpus < cfg->smp_cpus || cfg->max_cpus > PIIX4_MAX_CPUS) {
        g_set_error(err, IOEMU_ERROR, 0, "%u CPUs of at most %u: the xenfv board takes 1 to %u", cfg->smp_cpus,
                    cfg->max_cpus, PIIX4_MAX_CPUS);
        return NULL;
    }
    if (!check_boot_order(boot_order, err)) {
        return NULL;
    }
    if (cfg->n_devices && !cfg->devices) {
        g_set_error(err, IOEMU_ERROR, 0, "%u -device options but no list", cfg->n_devices);
        return NULL;
    }
    m = machine_new(1ull << XENFV_PHYS_ADDR_BITS);
    b = g_new0(XenfvBoard, 1);
    b->m = m;
    b->cfg = *cfg;
    b->boot_order = g_strdup(boot_order);
    b->cfg.boot_order = b->boot_order;
    b->cfg.devices = NULL;      /* the caller's array: only looked at during creation */
    b->cfg.n_devices = 0;
    m->board = b;
    b->isa_irq = irq_new_array(isa_irq_handler, b, XENFV_NUM_ISA_IRQS);
    b->piix3_irq = irq_new_array(no_irq_handler, b, XENFV_NUM_ISA_IRQS);
    device_register(m->devices, &b->dev, &xenfv_board_class, "xenfv");

    if (!xenfv_init_memory(b, err)) {
        goto fail;
    }
    for (size_t i = 0; i < G_N_ELEMENTS(xenfv_devices); i++) {
        if (!xenfv_devices[i].add(b, err)) {
            g_prefix_error(err, "%s: ", xenfv_devices[i].name);
            goto fail;
        }
    }
    if (!add_user_devices(b, cfg, err)) {
        goto fail;
    }
    machine_add_irq_in(m, "isa", b->isa_irq, XENFV_NUM_ISA_IRQS);
    device_list_reset(m->devices, RESET_POWER_ON);
    return m;

fail:
    machine_free(m);
    return NULL;
}

void xenfv_destroy(Machine *m)
{
    machine_free(m);
}

/* ---- accessors ---- */

uint64_t xenfv_below_4g(Machine *m)
{
    XenfvBoard *b = xenfv_board(m);
    return b ? b->below_4g : 0;
}

uint64_t xenfv_above_4g(Machine *m)
{
    XenfvBoard *b = xenfv_board(m);
    return b ? b->above_4g : 0;
}

struct PCIBus *xenfv_pci_bus(Machine *m)
{
    XenfvBoard *b = xenfv_board(m);
    return b ? b->pci_bus : NULL;
}

uint32_t xenfv_pci_config_read(Machine *m, uint32_t sbdf, uint32_t reg, unsigned size)
{
    XenfvBoard *b = xenfv_board(m);

    if (!b || (sbdf >> 8) != 0 || reg >= PCI_CONFIG_SPACE_SIZE) {
        return UINT32_MAX;
    }
    return pci_bus_config_read(b->pci_bus, (int)(sbdf & 0xff), reg, size);
}

void xenfv_pci_config_write(Machine *m, uint32_t sbdf, uint32_t reg, uint32_t value, unsigned size)
{
    XenfvBoard *b = xenfv_board(m);

    if (!b || (sbdf >> 8) != 0 || reg >= PCI_CONFIG_SPACE_SIZE) {
        return;
    }
    pci_bus_config_write(b->pci_bus, (int)(sbdf & 0xff), reg, value, size);
}

void xenfv_resync(Machine *m)
{
    XenfvBoard *b = xenfv_board(m);

    if (!b) {
        return;
    }
    for (int i = 0; i < PCI_NUM_PIRQS; i++) {
        pirq_route_listener(b, i, piix3_pirq_route(b->piix3, i));
    }
}

bool xenfv_power_button(Machine *m)
{
    XenfvBoard *b = xenfv_board(m);

    if (!b || !b->pm) {
        return false;
    }
    piix4_pm_power_button(b->pm);
    return true;
}

void xenfv_wakeup(Machine *m)
{
    XenfvBoard *b = xenfv_board(m);

    if (b && b->pm) {
        piix4_pm_wakeup(b->pm);
    }
}

struct I8042State *xenfv_i8042(Machine *m)
{
    XenfvBoard *b = xenfv_board(m);
    return b ? b->i8042 : NULL;
}

struct PIIX4PMState *xenfv_pm(Machine *m)
{
    XenfvBoard *b = xenfv_board(m);
    return b ? b->pm : NULL;
}

struct XenPlatformState *xenfv_platform(Machine *m)
{
    XenfvBoard *b = xenfv_board(m);
    return b ? b->platform : NULL;
}

uint8_t xenfv_cmos_get(Machine *m, unsigned index)
{
    XenfvBoard *b = xenfv_board(m);

    if (!b || index >= 2 * XENFV_CMOS_SIZE || index < XENFV_CMOS_NVRAM_START) {
        return 0xff;
    }
    return index < XENFV_CMOS_SIZE ? b->cmos->nvram[index] : b->cmos->ext[index - XENFV_CMOS_SIZE];
}

unsigned xenfv_unplugged(Machine *m)
{
    XenfvBoard *b = xenfv_board(m);
    return b ? b->unplugged : 0;
}
