/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The `pc` board: guest RAM, the firmware image, the i440FX/PIIX3 chipset
 * and the legacy devices, wired the way QEMU 7.2's pc-i440fx machine does
 * so that SeaBIOS and Linux find the same machine.  Facts taken from QEMU
 * (hw/i386/pc.c, pc_piix.c, x86.c, fw_cfg.c) and SeaBIOS (src/fw/paravirt.c,
 * src/hw/rtc.h): RAM split, CMOS layout, fw_cfg items.
 *
 * Every device is created by one step of pc_devices[], in order.  The
 * board itself is registered as the first device, so tearing the device
 * list down frees it last, after every device has unmapped itself.
 */
#include "hw/i386/pc.h"

#include <string.h>

#include "hw/char/debugcon.h"
#include "hw/char/uart16550.h"
#include "hw/core/log.h"
#include "hw/i386/i440fx.h"
#include "hw/i386/pc_cmos.h"
#include "hw/i386/piix3.h"
#include "hw/ide/ide_piix.h"
#include "hw/input/i8042.h"
#include "hw/intc/i8259.h"
#include "hw/misc/debugexit.h"
#include "hw/misc/port92.h"
#include "hw/nvram/fw_cfg.h"
#include "hw/pci/pci.h"
#include "hw/timer/i8254.h"
#include "hw/timer/mc146818rtc.h"

#define KiB                     1024ull
#define MiB                     (1024ull * KiB)
#define GiB                     (1024ull * MiB)

#define PC_BIOS_MAX_SIZE        (16 * MiB)
#define PC_BIOS_ALIGN           (64 * KiB)
#define PC_ISA_BIOS_MAX_SIZE    (128 * KiB)
#define PC_LOW_RAM_END          0xa0000ull      /* conventional memory: 640 KiB */
#define PC_HIGH_RAM_START       (1 * MiB)
#define PC_MIN_RAM_SIZE         (1 * MiB)
#define PC_MAX_CPUS             255

/* QEMU reserves the KVM identity map and TSS pages just below the IOAPIC window, on every accelerator. */
#define PC_KVM_RESERVED_BASE    0xfeffc000ull
#define PC_KVM_RESERVED_SIZE    0x4000ull

#define PC_MAX_BOOT_DEVICES     PC_CMOS_MAX_BOOT_DEVICES   /* the CMOS boot order holds three */

/* Legacy x86 e820 reservation table (FW_CFG_E820_TABLE): u32 count + 16 entries. */
#define PC_E820_LEGACY_ENTRIES  16
#define PC_E820_ENTRY_SIZE      20

static const struct {
    uint16_t iobase;
    int irq;
} pc_serial_ports[PC_MAX_SERIAL] = {
    { 0x3f8, 4 }, { 0x2f8, 3 }, { 0x3e8, 4 }, { 0x2e8, 3 },
};

struct PCBoard {
    Device dev;                 /* first: the board is the first entry of the device list */
    Machine *m;
    PCConfig cfg;
    char *bios_path;
    char *boot_order;
    uint64_t below_4g, above_4g;

    MemoryRegion *ram;
    MemoryRegion *ram_low, *ram_below_4g, *ram_above_4g;
    MemoryRegion *bios, *isa_bios;
    uint64_t bios_size;

    IrqLine **gsi;
    IrqLine *cpu_intr;
    IrqHandler cpu_intr_handler;
    void *cpu_intr_opaque;

    PCIBus *pci_bus;
    I440FXState *i440fx;
    PIIX3State *piix3;
    PICState *pic;
    PITState *pit;
    RTCState *rtc;
    UARTState *serial[PC_MAX_SERIAL];
    Port92State *port92;
    FWCfg *fw_cfg;
    IDEPiixState *ide;
};

/* ---- interrupts ---- */

static void pc_gsi_handler(void *opaque, int n, int level)
{
    PCBoard *b = opaque;

    if (b->cfg.kernel_irqchip) {
        if (b->cfg.gsi_sink) {
            b->cfg.gsi_sink(b->cfg.gsi_opaque, n, level);
        }
        return;
    }
    /* No userspace IOAPIC yet: GSIs 16-23 have no receiver. */
    if (n < PC_NUM_ISA_IRQS && b->pic) {
        irq_set(i8259_inputs(b->pic)[n], level);
    }
}

static void pc_cpu_intr(void *opaque, int n, int level)
{
    PCBoard *b = opaque;

    if (b->cpu_intr_handler) {
        b->cpu_intr_handler(b->cpu_intr_opaque, 0, level);
    }
}

/* ---- memory ---- */

static bool pc_load_bios(PCBoard *b, GError **err)
{
    gchar *data = NULL;
    gsize size = 0;
    GError *local = NULL;
    uint64_t isa_size;

    if (!g_file_get_contents(b->bios_path, &data, &size, &local)) {
        g_set_error(err, IOEMU_ERROR, 0, "could not load BIOS '%s': %s", b->bios_path, local->message);
        g_error_free(local);
        return false;
    }
    if (size == 0 || size % PC_BIOS_ALIGN != 0 || size > PC_BIOS_MAX_SIZE) {
        g_set_error(err, IOEMU_ERROR, 0,
                    "BIOS '%s' is %" G_GSIZE_FORMAT " bytes; it must be a non-zero multiple of 64 KiB "
                    "and at most 16 MiB", b->bios_path, size);
        g_free(data);
        return false;
    }
    b->bios_size = size;
    b->bios = mr_new_rom("pc.bios", size, NULL);
    memcpy(mr_host_ptr(b->bios), data, size);
    g_free(data);
    mr_add_subregion(as_root(b->m->mem), 4 * GiB - size, b->bios, PC_ROM_PRIORITY);

    /* The last 128 KiB also appear below 1 MiB, where the reset vector's far jump lands. */
    isa_size = MIN(size, PC_ISA_BIOS_MAX_SIZE);
    b->isa_bios = mr_new_alias("isa-bios", b->bios, size - isa_size, isa_size);
    mr_set_readonly(b->isa_bios, true);
    mr_add_subregion(as_root(b->m->mem), 1 * MiB - isa_size, b->isa_bios, PC_ROM_PRIORITY);
    return true;
}

static bool pc_init_memory(PCBoard *b, GError **err)
{
    MemoryRegion *root = as_root(b->m->mem);
    uint64_t ram_size = b->cfg.ram_size;

    if (ram_size < PC_MIN_RAM_SIZE) {
        g_set_error(err, IOEMU_ERROR, 0, "RAM size %" G_GUINT64_FORMAT " bytes is below the minimum of 1 MiB",
                    ram_size);
        return false;
    }
    /* pc_piix.c: lowmem 3.5 GiB, gigabyte-aligned to 3 GiB once RAM reaches it. */
    b->below_4g = ram_size >= PC_LOWMEM_LIMIT ? PC_LOWMEM_ALIGNED : ram_size;
    b->above_4g = ram_size - b->below_4g;
    if (b->above_4g > (1ull << PC_PHYS_ADDR_BITS) - 4 * GiB) {
        g_set_error(err, IOEMU_ERROR, 0, "RAM size %" G_GUINT64_FORMAT " bytes does not fit in %d address bits",
                    ram_size, PC_PHYS_ADDR_BITS);
        return false;
    }

    b->ram = mr_new_ram("pc.ram", ram_size, NULL);
    if (!b->ram || !mr_host_ptr(b->ram)) {
        g_set_error(err, IOEMU_ERROR, 0, "could not allocate %" G_GUINT64_FORMAT " bytes of guest RAM", ram_size);
        return false;
    }
    memory_transaction_begin();
    /* 0xA0000-0xFFFFF is left to the chipset windows (i440fx.c) and the isa-bios. */
    b->ram_low = mr_new_alias("ram-below-640k", b->ram, 0, PC_LOW_RAM_END);
    mr_add_subregion(root, 0, b->ram_low, PC_RAM_PRIORITY);
    if (b->below_4g > PC_HIGH_RAM_START) {
        b->ram_below_4g = mr_new_alias("ram-below-4g", b->ram, PC_HIGH_RAM_START,
                                       b->below_4g - PC_HIGH_RAM_START);
        mr_add_subregion(root, PC_HIGH_RAM_START, b->ram_below_4g, PC_RAM_PRIORITY);
    }
    if (b->above_4g) {
        b->ram_above_4g = mr_new_alias("ram-above-4g", b->ram, b->below_4g, b->above_4g);
        mr_add_subregion(root, 4 * GiB, b->ram_above_4g, PC_RAM_PRIORITY);
    }
    memory_transaction_commit();
    return pc_load_bios(b, err);
}

/* ---- CMOS and fw_cfg ---- */

static bool pc_check_boot_order(const char *order, GError **err)
{
    size_t n = strlen(order);

    if (n > PC_MAX_BOOT_DEVICES) {
        g_set_error(err, IOEMU_ERROR, 0, "boot order '%s': too many boot devices for PC (at most %d)",
                    order, PC_MAX_BOOT_DEVICES);
        return false;
    }
    for (size_t i = 0; i < n; i++) {
        if (!pc_cmos_boot_device_nibble(order[i])) {
            g_set_error(err, IOEMU_ERROR, 0, "boot order '%s': invalid boot device for PC: '%c'", order, order[i]);
            return false;
        }
    }
    return true;
}

static void pc_rtc_set_byte(void *opaque, unsigned index, uint8_t value)
{
    rtc_set_cmos(opaque, index, value);
}

static void pc_cmos_init(PCBoard *b)
{
    /* Conventional memory in KiB (at most 640). */
    pc_cmos_write_boot_info(pc_rtc_set_byte, b->rtc, MIN(b->below_4g / KiB, 640), b->below_4g, b->above_4g,
                            b->cfg.smp_cpus, b->boot_order);
}

static void e820_append(GByteArray *t, uint64_t addr, uint64_t len, uint32_t type)
{
    uint64_t addr_le = GUINT64_TO_LE(addr), len_le = GUINT64_TO_LE(len);
    uint32_t type_le = GUINT32_TO_LE(type);

    g_byte_array_append(t, (const guint8 *)&addr_le, 8);
    g_byte_array_append(t, (const guint8 *)&len_le, 8);
    g_byte_array_append(t, (const guint8 *)&type_le, 4);
}

static void pc_fw_cfg_init(PCBoard *b)
{
    FWCfg *fw = b->fw_cfg;
    int cpus = b->cfg.smp_cpus;
    GByteArray *e820 = g_byte_array_new();
    uint32_t boot_fail_wait = GUINT32_TO_LE(UINT32_MAX);   /* -1: no reboot on boot failure */
    size_t numa_len = 8 * (1 + (size_t)cpus);

    fw_cfg_add_i64(fw, FW_CFG_RAM_SIZE, b->cfg.ram_size);
    fw_cfg_add_i16(fw, FW_CFG_NB_CPUS, (uint16_t)cpus);
    fw_cfg_add_i16(fw, FW_CFG_MAX_CPUS, (uint16_t)cpus);
    fw_cfg_add_i16(fw, FW_CFG_NOGRAPHIC, b->cfg.sercon_port ? 1 : 0);
    fw_cfg_add_bytes(fw, FW_CFG_UUID, g_malloc0(16), 16);
    fw_cfg_add_i16(fw, FW_CFG_BOOT_MENU, 0);
    /* No NUMA: node count 0, then one (zero) node per CPU slot. */
    fw_cfg_add_bytes(fw, FW_CFG_NUMA, g_malloc0(numa_len), numa_len);
    /* No -kernel/-initrd/-append yet: the linuxboot ROM sees empty items. */
    fw_cfg_add_i32(fw, FW_CFG_KERNEL_ADDR, 0);
    fw_cfg_add_i32(fw, FW_CFG_KERNEL_SIZE, 0);
    fw_cfg_add_i32(fw, FW_CFG_INITRD_ADDR, 0);
    fw_cfg_add_i32(fw, FW_CFG_INITRD_SIZE, 0);
    fw_cfg_add_i32(fw, FW_CFG_CMDLINE_SIZE, 0);
    fw_cfg_add_i32(fw, FW_CFG_SETUP_SIZE, 0);
    fw_cfg_add_i32(fw, FW_CFG_IRQ0_OVERRIDE, 1);
    fw_cfg_add_bytes(fw, FW_CFG_E820_TABLE, g_malloc0(4 + PC_E820_LEGACY_ENTRIES * PC_E820_ENTRY_SIZE),
                     4 + PC_E820_LEGACY_ENTRIES * PC_E820_ENTRY_SIZE);

    /* etc/e820 in QEMU 7.2's order: the reserved KVM pages, then RAM below and above 4 GiB. */
    e820_append(e820, PC_KVM_RESERVED_BASE, PC_KVM_RESERVED_SIZE, E820_RESERVED);
    e820_append(e820, 0, b->below_4g, E820_RAM);
    if (b->above_4g) {
        e820_append(e820, 4 * GiB, b->above_4g, E820_RAM);
    }
    {
        gsize len = e820->len;
        fw_cfg_add_file(fw, "etc/e820", g_byte_array_free(e820, FALSE), len);
    }
    fw_cfg_add_file(fw, "bootorder", NULL, 0);
    fw_cfg_add_file(fw, "etc/boot-fail-wait", g_memdup2(&boot_fail_wait, 4), 4);
    if (b->cfg.sercon_port) {
        uint16_t port = GUINT16_TO_LE((uint16_t)b->cfg.sercon_port);
        fw_cfg_add_file(fw, "etc/sercon-port", g_memdup2(&port, 2), 2);
    }
}

/* ---- the device table ---- */

static bool pc_add_i440fx(PCBoard *b, GError **err)
{
    b->pci_bus = pci_bus_new(b->m);
    b->i440fx = i440fx_create(b->m, b->pci_bus, b->ram, b->cfg.ram_size, err);
    if (!b->i440fx) {
        return false;
    }
    i440fx_set_legacy_rom(b->i440fx, (const uint8_t *)mr_host_ptr(b->bios) + b->bios_size - mr_size(b->isa_bios),
                          1 * MiB - mr_size(b->isa_bios), mr_size(b->isa_bios));
    return true;
}

static bool pc_add_piix3(PCBoard *b, GError **err)
{
    b->piix3 = piix3_create(b->m, b->pci_bus, b->gsi, err);
    if (!b->piix3) {
        return false;
    }
    i440fx_set_cf9_handler(b->i440fx, piix3_rcr_read, piix3_rcr_write, b->piix3);
    return true;
}

/* CMOS hard disk bytes (QEMU pc_cmos_init_late; SeaBIOS reads the translation byte 0x39). */
#define CMOS_HD_TYPES           0x12    /* high nibble: disk 0, low nibble: disk 1 (Fh: extended type) */
#define CMOS_HD0_EXT_TYPE       0x19
#define CMOS_HD1_EXT_TYPE       0x1a
#define CMOS_HD0_PARAMS         0x1b    /* 9 bytes each: cylinders, heads, precomp, control, landing zone, sectors */
#define CMOS_HD1_PARAMS         0x24
#define CMOS_HD_TRANSLATION     0x39    /* 2 bits per IDE index: 0 none, 1 LBA */
#define CMOS_HD_USER_TYPE       47

static void pc_cmos_init_hd(PCBoard *b, int type_ofs, int info_ofs, uint16_t cyls, uint16_t heads, uint16_t secs)
{
    rtc_set_cmos(b->rtc, type_ofs, CMOS_HD_USER_TYPE);
    rtc_set_cmos(b->rtc, info_ofs, (uint8_t)cyls);
    rtc_set_cmos(b->rtc, info_ofs + 1, (uint8_t)(cyls >> 8));
    rtc_set_cmos(b->rtc, info_ofs + 2, (uint8_t)heads);
    rtc_set_cmos(b->rtc, info_ofs + 3, 0xff);     /* write precompensation: none */
    rtc_set_cmos(b->rtc, info_ofs + 4, 0xff);
    rtc_set_cmos(b->rtc, info_ofs + 5, (uint8_t)(0xc0 | ((heads > 8) << 3)));
    rtc_set_cmos(b->rtc, info_ofs + 6, (uint8_t)cyls);    /* landing zone */
    rtc_set_cmos(b->rtc, info_ofs + 7, (uint8_t)(cyls >> 8));
    rtc_set_cmos(b->rtc, info_ofs + 8, (uint8_t)secs);
}

static bool pc_add_ide(PCBoard *b, GError **err)
{
    uint16_t cyls, heads, secs;
    bool lba;
    uint8_t types = 0, trans = 0;

    b->ide = ide_piix3_create(b->m, b->pci_bus, PIIX3_IDE_DEVFN, b->cfg.ide_drives, b->cfg.ide_cdrom,
                              b->gsi[14], b->gsi[15], err);
    if (!b->ide) {
        return false;
    }
    if (!b->rtc) {
        return true;
    }
    for (int i = 0; i < IDE_PIIX_NUM_DRIVES; i++) {
        if (!ide_piix_hd_geometry(b->ide, i, &cyls, &heads, &secs, &lba)) {
            continue;
        }
        trans |= (uint8_t)((lba ? 1 : 0) << (2 * i));
        if (i < 2) {
            types |= (uint8_t)(i == 0 ? 0xf0 : 0x0f);
            pc_cmos_init_hd(b, i == 0 ? CMOS_HD0_EXT_TYPE : CMOS_HD1_EXT_TYPE,
                            i == 0 ? CMOS_HD0_PARAMS : CMOS_HD1_PARAMS, cyls, heads, secs);
        }
    }
    rtc_set_cmos(b->rtc, CMOS_HD_TYPES, types);
    rtc_set_cmos(b->rtc, CMOS_HD_TRANSLATION, trans);
    return true;
}

/* fw_cfg "bootorder": devices with a boot index, lowest first, as QEMU writes it ("path\npath\0"). */
static bool pc_add_bootorder(PCBoard *b, GError **err)
{
    GString *order = g_string_new(NULL);
    bool used[IDE_PIIX_NUM_DRIVES] = { false };

    for (;;) {
        int best = -1;
        for (int i = 0; i < IDE_PIIX_NUM_DRIVES; i++) {
            if (!used[i] && b->cfg.ide_has_bootindex[i] &&
                (best < 0 || b->cfg.ide_bootindex[i] < b->cfg.ide_bootindex[best])) {
                best = i;
            }
        }
        if (best < 0) {
            break;
        }
        used[best] = true;
        char *path = ide_piix_boot_path(b->ide, best);
        if (path) {
            g_string_append_printf(order, "%s%s", order->len ? "\n" : "", path);
            g_free(path);
        }
    }
    if (order->len && b->fw_cfg) {
        gsize len = order->len + 1;
        fw_cfg_modify_file(b->fw_cfg, "bootorder", g_string_free(order, FALSE), len);
    } else {
        g_string_free(order, TRUE);
    }
    return true;
}

static bool pc_add_pic(PCBoard *b, GError **err)
{
    if (b->cfg.kernel_irqchip) {
        return true;
    }
    b->pic = i8259_create(b->m, b->cpu_intr);
    return true;
}

static bool pc_add_pit(PCBoard *b, GError **err)
{
    if (b->cfg.kernel_irqchip) {
        return true;    /* the in-kernel PIT and port 0x61 belong to the accelerator */
    }
    b->pit = i8254_create(b->m, b->gsi[0]);
    return true;
}

static bool pc_add_rtc(PCBoard *b, GError **err)
{
    b->rtc = rtc_create(b->m, b->gsi[8], 2000);
    pc_cmos_init(b);
    return true;
}

static bool pc_add_serial(PCBoard *b, GError **err)
{
    for (int i = 0; i < PC_MAX_SERIAL; i++) {
        char id[16];
        if (!b->cfg.serial[i]) {
            continue;
        }
        g_snprintf(id, sizeof(id), "serial%d", i);
        b->serial[i] = uart_isa_create(b->m, id, pc_serial_ports[i].iobase, b->gsi[pc_serial_ports[i].irq],
                                       b->cfg.serial[i]);
    }
    return true;
}

static bool pc_add_port92(PCBoard *b, GError **err)
{
    b->port92 = port92_create(b->m, NULL);
    return true;
}

static bool pc_add_i8042(PCBoard *b, GError **err)
{
    i8042_create(b->m, b->gsi[I8042_KBD_IRQ], b->gsi[I8042_AUX_IRQ], NULL);
    return true;
}

static bool pc_add_fw_cfg(PCBoard *b, GError **err)
{
    b->fw_cfg = fw_cfg_create(b->m, FW_CFG_IO_BASE, FW_CFG_DMA_IO_BASE);
    pc_fw_cfg_init(b);
    return true;
}

static bool pc_add_debugcon(PCBoard *b, GError **err)
{
    if (b->cfg.debugcon) {
        debugcon_create(b->m, DEBUGCON_DEFAULT_IOBASE, b->cfg.debugcon);
    }
    return true;
}

static bool pc_add_debugexit(PCBoard *b, GError **err)
{
    if (b->cfg.debug_exit) {
        debugexit_create(b->m, b->cfg.debug_exit_iobase ? b->cfg.debug_exit_iobase : DEBUGEXIT_DEFAULT_IOBASE,
                         b->cfg.debug_exit_iosize ? b->cfg.debug_exit_iosize : DEBUGEXIT_DEFAULT_IOSIZE);
    }
    return true;
}

/* The board's devices, in creation (and reset) order. */
static const struct {
    const char *name;
    bool (*add)(PCBoard *b, GError **err);
} pc_devices[] = {
    { "i440fx",         pc_add_i440fx },      /* 00:00.0, 0xcf8-0xcff, PAM/SMRAM windows */
    { "piix3",          pc_add_piix3 },       /* 00:01.0, PIRQ routing to GSI 0-15, 0xcf9 */
    { "i8259",          pc_add_pic },         /* 0x20, 0xa0, ELCR 0x4d0; inputs = GSI 0-15 */
    { "i8254",          pc_add_pit },         /* 0x40-0x43, 0x61; IRQ 0 */
    { "mc146818rtc",    pc_add_rtc },         /* 0x70-0x73; IRQ 8; CMOS sizes and boot order */
    { "piix3-ide",      pc_add_ide },         /* 00:01.1, 0x1f0/0x3f6 IRQ 14, 0x170/0x376 IRQ 15; CMOS disk bytes */
    { "serial",         pc_add_serial },      /* COM1-4: 0x3f8/4, 0x2f8/3, 0x3e8/4, 0x2e8/3 */
    { "port92",         pc_add_port92 },      /* 0x92: A20, fast reset */
    { "i8042",          pc_add_i8042 },       /* 0x60/0x64: keyboard IRQ 1, mouse IRQ 12 */
    { "fw_cfg",         pc_add_fw_cfg },      /* 0x510-0x511, DMA 0x514 */
    { "debugcon",       pc_add_debugcon },    /* 0xe9 */
    { "isa-debug-exit", pc_add_debugexit },   /* 0x501 */
    { "bootorder",      pc_add_bootorder },   /* fw_cfg "bootorder" from the IDE boot indexes */
};

/* ---- the board as a device: teardown of what the board itself owns ---- */

static void pc_board_unrealize(Device *dev)
{
    PCBoard *b = (PCBoard *)dev;

    /* Every device has unrealized (and unmapped itself) by now: the board went first into the list. */
    pci_bus_free(b->pci_bus);
    mr_free(b->ram_low);
    mr_free(b->ram_below_4g);
    mr_free(b->ram_above_4g);
    mr_free(b->isa_bios);
    mr_free(b->bios);
    mr_free(b->ram);
    irq_free_array(b->gsi, PC_NUM_GSI);
    irq_free(b->cpu_intr);
    b->m->board = NULL;
    g_free(b->bios_path);
    g_free(b->boot_order);
    g_free(b);
}

static const DeviceClass pc_board_class = {
    .name = "pc",
    .unrealize = pc_board_unrealize,
};

static void pc_register_irq_groups(PCBoard *b)
{
    Machine *m = b->m;
    IrqLine **pic_inputs = b->pic ? i8259_inputs(b->pic) : b->gsi;

    machine_add_irq_in(m, "ioapic", b->gsi, PC_NUM_GSI);
    machine_add_irq_in(m, "pic", pic_inputs, PC_NUM_ISA_IRQS);
    machine_add_irq_in(m, "i8259", pic_inputs, PC_NUM_ISA_IRQS);
    if (b->pic) {
        machine_add_irq_out(m, "pic", &b->cpu_intr, 1);
    }
}

Machine *pc_create(const PCConfig *cfg, GError **err)
{
    Machine *m;
    PCBoard *b;
    const char *boot_order = cfg->boot_order ? cfg->boot_order : "cad";   /* QEMU pc default: disk, CD, floppy */

    if (cfg->smp_cpus < 1 || cfg->smp_cpus > PC_MAX_CPUS) {
        g_set_error(err, IOEMU_ERROR, 0, "%d CPUs requested; the pc board takes 1 to %d",
                    cfg->smp_cpus, PC_MAX_CPUS);
        return NULL;
    }
    if (!pc_check_boot_order(boot_order, err)) {
        return NULL;
    }

    m = machine_new(1ull << PC_PHYS_ADDR_BITS);
    b = g_new0(PCBoard, 1);
    b->m = m;
    b->cfg = *cfg;
    b->bios_path = g_strdup(cfg->bios_path ? cfg->bios_path : PC_DEFAULT_BIOS);
    b->boot_order = g_strdup(boot_order);
    b->cfg.bios_path = b->bios_path;
    b->cfg.boot_order = b->boot_order;
    m->board = b;
    b->gsi = irq_new_array(pc_gsi_handler, b, PC_NUM_GSI);
    b->cpu_intr = irq_new(pc_cpu_intr, b, 0);
    device_register(m->devices, &b->dev, &pc_board_class, "pc");

    if (!pc_init_memory(b, err)) {
        goto fail;
    }
    for (size_t i = 0; i < G_N_ELEMENTS(pc_devices); i++) {
        if (!pc_devices[i].add(b, err)) {
            g_prefix_error(err, "%s: ", pc_devices[i].name);
            goto fail;
        }
    }
    pc_register_irq_groups(b);
    device_list_reset(m->devices, RESET_POWER_ON);
    return m;

fail:
    machine_free(m);
    return NULL;
}

void pc_destroy(Machine *m)
{
    machine_free(m);
}

/* ---- accessors ---- */

PCBoard *pc_board(Machine *m)
{
    Device *dev = m ? device_find(m->devices, "pc") : NULL;

    return dev && dev->cls == &pc_board_class ? (PCBoard *)dev : NULL;
}

uint64_t pc_below_4g_mem_size(Machine *m)
{
    PCBoard *b = pc_board(m);
    return b ? b->below_4g : 0;
}

uint64_t pc_above_4g_mem_size(Machine *m)
{
    PCBoard *b = pc_board(m);
    return b ? b->above_4g : 0;
}

struct PICState *pc_pic(Machine *m)
{
    PCBoard *b = pc_board(m);
    return b ? b->pic : NULL;
}

void pc_set_cpu_intr_handler(Machine *m, IrqHandler handler, void *opaque)
{
    PCBoard *b = pc_board(m);

    if (b) {
        b->cpu_intr_handler = handler;
        b->cpu_intr_opaque = opaque;
    }
}

bool pc_a20_enabled(Machine *m)
{
    PCBoard *b = pc_board(m);
    return b && b->port92 ? port92_a20_enabled(b->port92) : false;
}

struct PCIBus *pc_pci_bus(Machine *m)
{
    PCBoard *b = pc_board(m);
    return b ? b->pci_bus : NULL;
}

struct FWCfg *pc_fw_cfg(Machine *m)
{
    PCBoard *b = pc_board(m);
    return b ? b->fw_cfg : NULL;
}

IrqLine **pc_gsi(Machine *m)
{
    PCBoard *b = pc_board(m);
    return b ? b->gsi : NULL;
}

struct IDEPiixState *pc_ide(Machine *m)
{
    PCBoard *b = pc_board(m);
    return b ? b->ide : NULL;
}
