/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The xenfv board without Xen: the hooks record what would become dm_ops
 * (ISA IRQ levels, PCI INTx levels, link routes, S3, ROM lock) and
 * machine_request records resets and power-offs.  The tests replay what
 * hvmloader and SeaBIOS do to the device model (PCI scan, PIRQ routing,
 * PIIX4 PMBA and the 0xb2 ACPI enable, CMOS boot order) and check what Xen
 * would see, plus save/load of the whole board and its error paths.
 */
#include <string.h>

#include <glib.h>

#include "hw/acpi/piix4_pm.h"
#include "hw/char/uart16550.h"
#include "hw/core/machine.h"
#include "hw/i386/xenfv.h"
#include "hw/input/i8042.h"
#include "hw/misc/ioport80.h"
#include "hw/pci/pci.h"
#include "hw/xen/xen_platform.h"
#include "ui/chardev.h"

#define MiB (1024ull * 1024)
#define GiB (1024ull * MiB)

typedef struct Fixture {
    Machine *m;
    MemoryRegion *ram;          /* what xen-dm's map cache region would be */
    MemoryRegion *ram_low, *ram_high;
    Chardev *com1;
    int isa_level[XENFV_NUM_ISA_IRQS];
    unsigned isa_changes[XENFV_NUM_ISA_IRQS];
    int intx_level[32][4];
    int routes[4];
    unsigned route_calls;
    unsigned sleeps, last_sleep;
    unsigned rom_calls;
    bool rom_locked;
    unsigned requests;
    ShutdownCause last_cause;
} Fixture;

typedef struct Variant {
    bool no_acpi;
    bool no_platform;
    uint64_t ram_size;
} Variant;

static const Variant v_default = { .ram_size = 2040 * MiB };
static const Variant v_bare = { .no_acpi = true, .no_platform = true, .ram_size = 256 * MiB };
static const Variant v_big = { .ram_size = 6 * GiB };

static void hook_isa(void *opaque, unsigned irq, unsigned level)
{
    Fixture *f = opaque;

    g_assert_cmpuint(irq, <, XENFV_NUM_ISA_IRQS);
    f->isa_level[irq] = (int)level;
    f->isa_changes[irq]++;
}

static void hook_intx(void *opaque, unsigned dev, unsigned intx, unsigned level)
{
    Fixture *f = opaque;

    g_assert_cmpuint(dev, <, 32);
    g_assert_cmpuint(intx, <, 4);
    f->intx_level[dev][intx] = (int)level;
}

static void hook_route(void *opaque, unsigned link, unsigned isa_irq)
{
    Fixture *f = opaque;

    g_assert_cmpuint(link, <, 4);
    f->routes[link] = (int)isa_irq;
    f->route_calls++;
}

static void hook_sleep(void *opaque, unsigned s_state)
{
    Fixture *f = opaque;
    f->sleeps++;
    f->last_sleep = s_state;
}

static bool hook_rom_lock(void *opaque, bool locked)
{
    Fixture *f = opaque;
    f->rom_calls++;
    f->rom_locked = locked;
    return true;
}

/* machine_request has no opaque: the fixture being run. */
static Fixture *current;

static void record_request(Machine *m, ShutdownCause cause, int code)
{
    current->requests++;
    current->last_cause = cause;
}

static void base_config(Fixture *f, const Variant *v, XenfvConfig *cfg)
{
    static const char *const no_devices[] = { NULL };

    memset(cfg, 0, sizeof(*cfg));
    cfg->ram_size = v->ram_size;
    cfg->ram = f->ram;
    cfg->smp_cpus = 2;
    cfg->max_cpus = 4;
    cfg->boot_order = "cda";
    cfg->xen_platform = !v->no_platform;
    cfg->acpi = !v->no_acpi;
    cfg->serial[0] = f->com1;
    cfg->devices = no_devices;
    cfg->n_devices = 0;
    cfg->hooks = (XenfvHooks) {
        .set_isa_irq = hook_isa,
        .set_pci_intx = hook_intx,
        .set_pci_link_route = hook_route,
        .sleep = hook_sleep,
        .rom_lock = hook_rom_lock,
        .opaque = f,
    };
}

static void make_ram(Fixture *f, uint64_t size)
{
    /* Sparse guest RAM: the low 16 MiB and 16 MiB above 4 GiB are real; the board only needs the size. */
    f->ram = mr_new_container("xen.ram", 4 * GiB + size);
    f->ram_low = mr_new_ram("ram.low", 16 * MiB, NULL);
    f->ram_high = mr_new_ram("ram.high", 16 * MiB, NULL);
    mr_add_subregion(f->ram, 0, f->ram_low, 0);
    mr_add_subregion(f->ram, 4 * GiB, f->ram_high, 0);
}

static void free_ram(Fixture *f)
{
    mr_del_subregion(f->ram, f->ram_low);
    mr_del_subregion(f->ram, f->ram_high);
    mr_free(f->ram_low);
    mr_free(f->ram_high);
    mr_free(f->ram);
}

static void fixture_setup(Fixture *f, gconstpointer data)
{
    const Variant *v = data ? data : &v_default;
    XenfvConfig cfg;
    GError *err = NULL;

    memset(f, 0, sizeof(*f));
    current = f;
    make_ram(f, v->ram_size);
    f->com1 = chardev_new_from_spec(NULL, "null", &err);
    g_assert_no_error(err);
    base_config(f, v, &cfg);
    f->m = xenfv_create(&cfg, &err);
    g_assert_no_error(err);
    g_assert_nonnull(f->m);
    f->m->hooks.request = record_request;
    /* Power-on reset reported the disabled routes; start counting from here. */
    f->route_calls = 0;
}

static void fixture_teardown(Fixture *f, gconstpointer data)
{
    xenfv_destroy(f->m);
    chardev_free(f->com1);
    free_ram(f);
    current = NULL;
}

static uint64_t in(Fixture *f, uint16_t port, unsigned size)
{
    uint64_t v = 0;
    as_read(f->m->io, port, size, &v);
    return v;
}

static void out(Fixture *f, uint16_t port, unsigned size, uint64_t v)
{
    as_write(f->m->io, port, size, v);
}

static uint32_t cfg_read(Fixture *f, unsigned devfn, unsigned reg, unsigned size)
{
    return xenfv_pci_config_read(f->m, devfn, reg, size);
}

static void cfg_write(Fixture *f, unsigned devfn, unsigned reg, uint32_t v, unsigned size)
{
    xenfv_pci_config_write(f->m, devfn, reg, v, size);
}

static uint8_t cmos_read(Fixture *f, uint8_t index)
{
    out(f, XENFV_CMOS_INDEX_PORT, 1, index);
    return (uint8_t)in(f, XENFV_CMOS_DATA_PORT, 1);
}

/* ---- layout ---- */

static void test_pci_layout(Fixture *f, gconstpointer data)
{
    g_assert_cmphex(cfg_read(f, PCI_DEVFN(0, 0), PCI_VENDOR_ID, 4), ==, 0x12378086);
    g_assert_cmphex(cfg_read(f, PCI_DEVFN(1, 0), PCI_VENDOR_ID, 4), ==, 0x70008086);
    g_assert_cmphex(cfg_read(f, PCI_DEVFN(1, 0), PCI_HEADER_TYPE, 1) & 0x80, ==, 0x80);
    g_assert_cmphex(cfg_read(f, PCI_DEVFN(1, 3), PCI_VENDOR_ID, 4), ==, 0x71138086);
    g_assert_cmphex(cfg_read(f, XENFV_PLATFORM_DEVFN, PCI_VENDOR_ID, 4), ==, 0x00015853);
    /* The IDE function is always there (QEMU's xenfv too); USB and the -device slots are empty for now. */
    g_assert_cmphex(cfg_read(f, PCI_DEVFN(1, 1), PCI_VENDOR_ID, 4), ==, 0x70108086);
    g_assert_cmphex(cfg_read(f, PCI_DEVFN(1, 2), PCI_VENDOR_ID, 4), ==, 0xffffffff);
    g_assert_cmphex(cfg_read(f, PCI_DEVFN(3, 0), PCI_VENDOR_ID, 4), ==, 0xffffffff);
    /* Only segment 0 bus 0, only 256 bytes of config space. */
    g_assert_cmphex(xenfv_pci_config_read(f->m, 0x100, PCI_VENDOR_ID, 4), ==, 0xffffffff);
    g_assert_cmphex(xenfv_pci_config_read(f->m, 0x10000, PCI_VENDOR_ID, 4), ==, 0xffffffff);
    g_assert_cmphex(cfg_read(f, 0, 0x100, 4), ==, 0xffffffff);
    g_assert_cmphex(cfg_read(f, 0, 0x3ff, 1), ==, 0xffffffff);
    xenfv_pci_config_write(f->m, 0x100, PCI_COMMAND, 0xffff, 2);
    cfg_write(f, 0, 0x104, 0xffffffff, 4);
    /* Misaligned or odd sizes: refused by the bus, not a crash. */
    g_assert_cmphex(cfg_read(f, 0, 1, 4), ==, 0xffffffff);
    g_assert_cmphex(cfg_read(f, 0, 0, 3), ==, 0xffffffff);
    g_assert_nonnull(xenfv_pci_bus(f->m));
}

static void test_ports(Fixture *f, gconstpointer data)
{
    /* The device model's ports. */
    g_assert_cmphex(in(f, I8042_CMD_PORT, 1), ==, I8042_STR_CMD | I8042_STR_UNLOCKED);
    g_assert_cmphex(in(f, 0x10, 2), ==, XEN_PLATFORM_MAGIC);
    g_assert_cmphex(in(f, 0x3f8 + UART_LSR, 1), ==, UART_LSR_THRE | UART_LSR_TEMT);
    g_assert_cmphex(in(f, 0x92, 1), ==, 0);
    g_assert_cmphex(in(f, 0xcf8, 4), ==, 0);
    g_assert_cmphex(in(f, IOPORT80_PORT, 1), ==, 0xff);
    out(f, IOPORT80_PORT, 1, 0x42);
    g_assert_cmphex(ioport80_last_post_code(f->m), ==, 0x42);
    out(f, IOPORTF0_PORT, 1, 0);
    /* What Xen emulates is not here: PIC, PIT + port 0x61, other COM ports, the IOAPIC and HPET. */
    g_assert_cmphex(in(f, 0x20, 1), ==, 0xff);
    g_assert_cmphex(in(f, 0xa0, 1), ==, 0xff);
    g_assert_cmphex(in(f, 0x40, 1), ==, 0xff);
    g_assert_cmphex(in(f, 0x61, 1), ==, 0xff);
    g_assert_cmphex(in(f, 0x4d0, 1), ==, 0xff);
    g_assert_cmphex(in(f, 0x2f8 + UART_LSR, 1), ==, 0xff);
    g_assert_cmphex(in(f, 0x510, 2), ==, 0xffff);     /* no fw_cfg on xenfv */
    {
        uint64_t v = 0;
        as_read(f->m->mem, 0xfec00000, 4, &v);
        g_assert_cmphex(v, ==, 0xffffffff);
        as_read(f->m->mem, 0xfed00000, 4, &v);
        g_assert_cmphex(v, ==, 0xffffffff);
    }
}

static void test_ram_layout(Fixture *f, gconstpointer data)
{
    uint64_t v = 0;

    g_assert_cmphex(xenfv_below_4g(f->m), ==, 2040 * MiB);
    g_assert_cmphex(xenfv_above_4g(f->m), ==, 0);
    /* Guest-physical RAM reaches the map cache region at the same offset. */
    g_assert_true(as_write(f->m->mem, 0x1000, 4, 0xdeadbeef));
    g_assert_cmphex(((uint32_t *)mr_host_ptr(f->ram_low))[0x1000 / 4], ==, 0xdeadbeef);
    g_assert_true(as_write(f->m->mem, 0xc0000, 4, 0x12345678));
    g_assert_true(as_read(f->m->mem, 0xc0000, 4, &v));
    g_assert_cmphex(v, ==, 0x12345678);
    /* The VGA window is not RAM. */
    g_assert_false(as_read(f->m->mem, 0xa0000, 4, &v));
}

static void test_ram_above_4g(Fixture *f, gconstpointer data)
{
    uint64_t v = 0;

    g_assert_cmphex(xenfv_below_4g(f->m), ==, XENFV_BELOW_4G_RAM_END);
    g_assert_cmphex(xenfv_above_4g(f->m), ==, 6 * GiB - XENFV_BELOW_4G_RAM_END);
    g_assert_true(as_write(f->m->mem, 4 * GiB + 8, 8, 0x0123456789abcdefull));
    g_assert_true(as_read(f->m->mem, 4 * GiB + 8, 8, &v));
    g_assert_cmphex(v, ==, 0x0123456789abcdefull);
    /* The MMIO hole below 4 GiB is not RAM. */
    g_assert_false(as_read(f->m->mem, XENFV_BELOW_4G_RAM_END + 0x1000, 4, &v));
}

/* ---- what hvmloader does ---- */

static void test_hvmloader_sequence(Fixture *f, gconstpointer data)
{
    static const uint8_t route[4] = { 5, 10, 11, 5 };
    unsigned pm = PCI_DEVFN(1, 3);

    /* PCI links 0-3 to ISA IRQs 5, 10, 11, 5: each becomes set_pci_link_route. */
    for (int i = 0; i < 4; i++) {
        cfg_write(f, PCI_DEVFN(1, 0), 0x60 + i, route[i], 1);
    }
    g_assert_cmpuint(f->route_calls, ==, 4);
    for (int i = 0; i < 4; i++) {
        g_assert_cmpint(f->routes[i], ==, route[i]);
    }
    /* Disabling a link routes it to 0. */
    cfg_write(f, PCI_DEVFN(1, 0), 0x61, 0x80, 1);
    g_assert_cmpint(f->routes[1], ==, 0);
    cfg_write(f, PCI_DEVFN(1, 0), 0x61, 10, 1);

    /* PIIX4 PM: PMBA 0xb001, PMREGMISC 1, SCI line 9. */
    cfg_write(f, pm, PIIX4_PMBA, 0xb001, 4);
    cfg_write(f, pm, PIIX4_PMREGMISC, 1, 1);
    cfg_write(f, pm, PCI_INTERRUPT_LINE, 9, 1);
    /* ACPI enable through the APM port, then the check hvmloader BUG()s on. */
    g_assert_cmphex(in(f, 0xb004, 2) & 1, ==, 0);
    out(f, 0xb2, 1, 0xf1);
    g_assert_cmphex(in(f, 0xb004, 2) & 1, ==, 1);
    /* GPE0 block at 0xafe0 (STS, EN) and the CPU-present bitmap hvmloader's DSDT reads. */
    g_assert_cmphex(in(f, 0xafe0, 4), ==, 0);
    g_assert_cmphex(in(f, 0xaf00, 1), ==, 0x03);     /* smp_cpus = 2 */

    /* Memory sizes and boot order in CMOS (hvmloader rewrites the sizes; SeaBIOS reads the order). */
    g_assert_cmphex(cmos_read(f, 0x3d), ==, 0x32);   /* c then d */
    g_assert_cmphex(cmos_read(f, 0x38), ==, 0x10);   /* then a */
    g_assert_cmphex(cmos_read(f, 0x5f), ==, 1);      /* CPUs - 1 */
    g_assert_cmphex(cmos_read(f, 0x34) | (cmos_read(f, 0x35) << 8), ==, (2040 - 16) * 16);
    g_assert_cmphex(cmos_read(f, 0x14), ==, 0x06);
}

static void test_sleep_states(Fixture *f, gconstpointer data)
{
    unsigned pm = PCI_DEVFN(1, 3);

    cfg_write(f, pm, PIIX4_PMBA, 0xb001, 4);
    cfg_write(f, pm, PIIX4_PMREGMISC, 1, 1);
    out(f, 0xb2, 1, 0xf1);
    /* S3 (hvmloader's _S3 = 1) goes to the sleep hook. */
    out(f, 0xb004, 2, 0x0001 | (1 << 10) | (1 << 13));
    g_assert_cmpuint(f->sleeps, ==, 1);
    g_assert_cmpuint(f->last_sleep, ==, 3);
    g_assert_cmpuint(f->requests, ==, 0);
    /* S5 (_S5 = 0) is a power-off request: xen-dm turns it into xendevicemodel_shutdown. */
    out(f, 0xb004, 2, 0x0001 | (1 << 13));
    g_assert_cmpuint(f->requests, ==, 1);
    g_assert_cmpint(f->last_cause, ==, SHUTDOWN_CAUSE_GUEST_POWEROFF);
}

static void test_resets(Fixture *f, gconstpointer data)
{
    out(f, I8042_CMD_PORT, 1, I8042_CMD_RESET);
    g_assert_cmpuint(f->requests, ==, 1);
    g_assert_cmpint(f->last_cause, ==, SHUTDOWN_CAUSE_GUEST_RESET);
    out(f, 0xcf9, 1, 0x06);
    g_assert_cmpuint(f->requests, ==, 2);
    g_assert_cmpint(f->last_cause, ==, SHUTDOWN_CAUSE_GUEST_RESET);
    out(f, 0x92, 1, 0x01);
    g_assert_cmpuint(f->requests, ==, 3);
}

/* ---- interrupts ---- */

static void test_isa_irqs(Fixture *f, gconstpointer data)
{
    unsigned pm = PCI_DEVFN(1, 3);

    /* Keyboard controller reply: IRQ 1 up, read: down. */
    out(f, I8042_CMD_PORT, 1, I8042_CMD_SELF_TEST);
    g_assert_cmpint(f->isa_level[1], ==, 1);
    g_assert_cmphex(in(f, I8042_DATA_PORT, 1), ==, 0x55);
    g_assert_cmpint(f->isa_level[1], ==, 0);
    /* COM1 THR-empty interrupt with OUT2: IRQ 4. */
    out(f, 0x3f8 + UART_MCR, 1, UART_MCR_OUT2);
    out(f, 0x3f8 + UART_IER, 1, UART_IER_ETBEI);
    g_assert_cmpint(f->isa_level[4], ==, 1);
    out(f, 0x3f8 + UART_IER, 1, 0);
    g_assert_cmpint(f->isa_level[4], ==, 0);
    /* SCI: IRQ 9 (the power button, as QMP system_powerdown). */
    cfg_write(f, pm, PIIX4_PMBA, 0xb001, 4);
    cfg_write(f, pm, PIIX4_PMREGMISC, 1, 1);
    out(f, 0xb002, 2, ACPI_PM1_PWRBTN_EN);
    g_assert_true(xenfv_power_button(f->m));
    g_assert_cmpint(f->isa_level[9], ==, 1);
    out(f, 0xb000, 2, ACPI_PM1_PWRBTN_STS);
    g_assert_cmpint(f->isa_level[9], ==, 0);
    /* Mouse bytes: IRQ 12. */
    out(f, I8042_CMD_PORT, 1, I8042_CMD_WRITE_AUX);
    out(f, I8042_DATA_PORT, 1, PS2_MOUSE_CMD_GET_ID);
    g_assert_cmpint(f->isa_level[12], ==, 1);
    /* Lines nobody drives never moved. */
    g_assert_cmpuint(f->isa_changes[0], ==, 0);
    g_assert_cmpuint(f->isa_changes[8], ==, 0);
}

static void test_pci_intx(Fixture *f, gconstpointer data)
{
    PCIDevice dev;
    GError *err = NULL;

    memset(&dev, 0, sizeof(dev));
    g_assert_true(pci_device_init(&dev, xenfv_pci_bus(f->m), PCI_DEVFN(5, 0), NULL, &err));
    pci_config_set_interrupt_pin(&dev, 2);      /* INTB# */
    cfg_write(f, PCI_DEVFN(1, 0), 0x60, 5, 1);
    f->route_calls = 0;
    pci_set_irq(&dev, 1);
    /* Xen gets the device's own pin (slot 5, INTB = 1) and swizzles it; nothing goes to an ISA line. */
    g_assert_cmpint(f->intx_level[5][1], ==, 1);
    for (int i = 0; i < XENFV_NUM_ISA_IRQS; i++) {
        g_assert_cmpuint(f->isa_changes[i], ==, 0);
    }
    g_assert_cmpuint(f->route_calls, ==, 0);
    pci_set_irq(&dev, 0);
    g_assert_cmpint(f->intx_level[5][1], ==, 0);
    pci_device_exit(&dev);
}

/* ---- CMOS ---- */

static void test_cmos(Fixture *f, gconstpointer data)
{
    /* Bit 7 of the index (NMI mask) is not part of the index. */
    out(f, XENFV_CMOS_INDEX_PORT, 1, 0x80 | 0x40);
    out(f, XENFV_CMOS_DATA_PORT, 1, 0x5a);
    g_assert_cmphex(cmos_read(f, 0x40), ==, 0x5a);
    g_assert_cmphex(xenfv_cmos_get(f->m, 0x40), ==, 0x5a);
    /* The index port is write-only. */
    g_assert_cmphex(in(f, XENFV_CMOS_INDEX_PORT, 1), ==, 0xff);
    /* Xen's RTC registers never come here; if they do, they float and keep nothing. */
    out(f, XENFV_CMOS_INDEX_PORT, 1, 0x0b);
    out(f, XENFV_CMOS_DATA_PORT, 1, 0x02);
    g_assert_cmphex(in(f, XENFV_CMOS_DATA_PORT, 1), ==, 0xff);
    g_assert_cmphex(xenfv_cmos_get(f->m, 0x0b), ==, 0xff);
    /* Upper bank at 0x72/0x73. */
    out(f, XENFV_CMOS_EXT_INDEX_PORT, 1, 0x85);
    out(f, XENFV_CMOS_EXT_DATA_PORT, 1, 0x77);
    out(f, XENFV_CMOS_EXT_INDEX_PORT, 1, 0x05);
    g_assert_cmphex(in(f, XENFV_CMOS_EXT_DATA_PORT, 1), ==, 0x77);
    g_assert_cmphex(xenfv_cmos_get(f->m, 128 + 5), ==, 0x77);
    g_assert_cmphex(xenfv_cmos_get(f->m, 256), ==, 0xff);
    /* Battery-backed: a system reset keeps the bytes. */
    device_list_reset(f->m->devices, RESET_HARD);
    g_assert_cmphex(cmos_read(f, 0x40), ==, 0x5a);
    g_assert_cmphex(cmos_read(f, 0x3d), ==, 0x32);
    /* Word and dword accesses split into the byte ports, as on an ISA bus. */
    out(f, XENFV_CMOS_INDEX_PORT, 2, 0x6641);        /* index 0x41, data 0x66 */
    g_assert_cmphex(cmos_read(f, 0x41), ==, 0x66);
}

/* ---- xen-platform through the board ---- */

static void test_platform_hooks(Fixture *f, gconstpointer data)
{
    out(f, 0x10, 1, 1);
    g_assert_cmpuint(f->rom_calls, >=, 1);
    g_assert_true(f->rom_locked);
    out(f, 0x10, 2, XEN_UNPLUG_ALL_IDE_DISKS | XEN_UNPLUG_ALL_NICS);
    g_assert_cmphex(xenfv_unplugged(f->m), ==, 3);
    g_assert_nonnull(xenfv_platform(f->m));
    g_assert_nonnull(xenfv_pm(f->m));
    g_assert_nonnull(xenfv_i8042(f->m));
}

static void test_bare_variant(Fixture *f, gconstpointer data)
{
    /* -no-acpi and pc,accel=xen: neither function exists, their ports float. */
    g_assert_cmphex(cfg_read(f, PCI_DEVFN(1, 3), PCI_VENDOR_ID, 4), ==, 0xffffffff);
    g_assert_cmphex(cfg_read(f, PCI_DEVFN(2, 0), PCI_VENDOR_ID, 4), ==, 0xffffffff);
    g_assert_cmphex(in(f, 0x10, 2), ==, 0xffff);
    g_assert_cmphex(in(f, 0xb2, 1), ==, 0xff);
    g_assert_cmphex(in(f, 0xafe0, 1), ==, 0xff);
    g_assert_false(xenfv_power_button(f->m));
    xenfv_wakeup(f->m);
    g_assert_null(xenfv_pm(f->m));
    g_assert_null(xenfv_platform(f->m));
    /* The rest is there. */
    g_assert_cmphex(in(f, I8042_CMD_PORT, 1), ==, I8042_STR_CMD | I8042_STR_UNLOCKED);
    g_assert_cmphex(cfg_read(f, PCI_DEVFN(1, 0), PCI_VENDOR_ID, 4), ==, 0x70008086);
}

/* ---- save/load ---- */

static void test_save_load(Fixture *f, gconstpointer data)
{
    Fixture g;
    GByteArray *blob = g_byte_array_new();
    GError *err = NULL;
    unsigned pm = PCI_DEVFN(1, 3);

    cfg_write(f, PCI_DEVFN(1, 0), 0x60, 5, 1);
    cfg_write(f, PCI_DEVFN(1, 0), 0x62, 11, 1);
    cfg_write(f, pm, PIIX4_PMBA, 0xb001, 4);
    cfg_write(f, pm, PIIX4_PMREGMISC, 1, 1);
    out(f, 0xb2, 1, 0xf1);
    out(f, XENFV_CMOS_INDEX_PORT, 1, 0x50);
    out(f, XENFV_CMOS_DATA_PORT, 1, 0xc3);
    out(f, I8042_CMD_PORT, 1, I8042_CMD_WRITE_RAM);
    out(f, I8042_DATA_PORT, 1, 0x61);
    out(f, 0x3f8 + UART_SCR, 1, 0x99);
    out(f, 0x10, 2, XEN_UNPLUG_ALL_NICS);
    device_list_save(f->m->devices, blob);

    fixture_setup(&g, NULL);
    g_assert_true(device_list_load(g.m->devices, blob->data, blob->len, &err));
    g_assert_no_error(err);
    current = &g;
    g_assert_cmphex(cfg_read(&g, PCI_DEVFN(1, 0), 0x60, 4), ==, 0x800b8005);
    g_assert_cmphex(in(&g, 0xb004, 2) & 1, ==, 1);
    g_assert_cmphex(cmos_read(&g, 0x50), ==, 0xc3);
    out(&g, I8042_CMD_PORT, 1, I8042_CMD_READ_RAM);
    g_assert_cmphex(in(&g, I8042_DATA_PORT, 1), ==, 0x61);
    g_assert_cmphex(in(&g, 0x3f8 + UART_SCR, 1), ==, 0x99);
    g_assert_cmphex(xen_platform_unplugged(xenfv_platform(g.m)), ==, XEN_UNPLUG_ALL_NICS);
    /* Xen's side of the routes is re-sent on request. */
    g.route_calls = 0;
    xenfv_resync(g.m);
    g_assert_cmpuint(g.route_calls, ==, 4);
    g_assert_cmpint(g.routes[0], ==, 5);
    g_assert_cmpint(g.routes[1], ==, 0);
    g_assert_cmpint(g.routes[2], ==, 11);
    g_assert_cmpint(g.routes[3], ==, 0);
    fixture_teardown(&g, NULL);
    current = f;
    g_byte_array_free(blob, TRUE);
}

/* ---- configuration errors ---- */

static void expect_create_error(Fixture *f, const XenfvConfig *cfg, const char *needle)
{
    GError *err = NULL;
    Machine *m = xenfv_create(cfg, &err);

    g_assert_null(m);
    g_assert_nonnull(err);
    if (!strstr(err->message, needle)) {
        g_error("'%s' does not mention '%s'", err->message, needle);
    }
    g_clear_error(&err);
}

static void test_config_errors(Fixture *f, gconstpointer data)
{
    XenfvConfig cfg;
    static const char *const devs[] = { "e1000,id=nic0,netdev=net0" };

    base_config(f, &v_default, &cfg);
    cfg.boot_order = "cdz";
    expect_create_error(f, &cfg, "boot");
    base_config(f, &v_default, &cfg);
    cfg.smp_cpus = 0;
    expect_create_error(f, &cfg, "CPU");
    base_config(f, &v_default, &cfg);
    cfg.max_cpus = 1;
    expect_create_error(f, &cfg, "CPU");
    base_config(f, &v_default, &cfg);
    cfg.ram = NULL;
    expect_create_error(f, &cfg, "RAM");
    base_config(f, &v_default, &cfg);
    cfg.ram_size = 64 * GiB;
    expect_create_error(f, &cfg, "RAM region");
    base_config(f, &v_default, &cfg);
    cfg.max_ram_below_4g = 5 * GiB;
    expect_create_error(f, &cfg, "max-ram-below-4g");
    base_config(f, &v_default, &cfg);
    cfg.devices = devs;
    cfg.n_devices = 1;
    expect_create_error(f, &cfg, "e1000");
    g_assert_false(xenfv_device_supported("e1000"));
    g_assert_false(xenfv_device_supported(NULL));
    /* Accessors on a machine that is not xenfv. */
    {
        Machine *m = machine_new(1ull << 32);
        g_assert_cmphex(xenfv_pci_config_read(m, 0, 0, 4), ==, 0xffffffff);
        g_assert_null(xenfv_i8042(m));
        g_assert_cmpuint(xenfv_below_4g(m), ==, 0);
        xenfv_resync(m);
        machine_free(m);
    }
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);

#define ADD(name, v, fn) g_test_add("/xenfv/" name, Fixture, v, fixture_setup, fn, fixture_teardown)
    ADD("pci-layout", &v_default, test_pci_layout);
    ADD("ports", &v_default, test_ports);
    ADD("ram-layout", &v_default, test_ram_layout);
    ADD("ram-above-4g", &v_big, test_ram_above_4g);
    ADD("hvmloader-sequence", &v_default, test_hvmloader_sequence);
    ADD("sleep-states", &v_default, test_sleep_states);
    ADD("resets", &v_default, test_resets);
    ADD("isa-irqs", &v_default, test_isa_irqs);
    ADD("pci-intx", &v_default, test_pci_intx);
    ADD("cmos", &v_default, test_cmos);
    ADD("platform-hooks", &v_default, test_platform_hooks);
    ADD("no-acpi-no-platform", &v_bare, test_bare_variant);
    ADD("save-load", &v_default, test_save_load);
    ADD("config-errors", &v_default, test_config_errors);
    return g_test_run();
}
