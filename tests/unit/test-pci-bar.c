/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * hw/pci: BAR sizing and decoding, expansion ROM, config masks, INTx
 * accounting and state restore, on a test-only PCIDevice built from
 * library code (no board).
 */
#include <string.h>

#include <glib.h>

#include "hw/core/machine.h"
#include "hw/pci/pci.h"

#define RAM_SIZE        (16u << 20)
#define TEST_DEVFN      PCI_DEVFN(3, 0)

typedef struct BarEvent {
    int bar;
    uint64_t old_addr, new_addr;
} BarEvent;

typedef struct Fixture {
    Machine *m;
    PCIBus *bus;
    PCIDevice dev;
    MemoryRegion *io_bar, *mmio_bar, *mem64_bar, *rom, *ram;
    uint8_t mmio_regs[0x1000];
    GArray *bar_events;
    int pirq_level[PCI_NUM_PIRQS];
    int pirq_changes;
} Fixture;

static uint64_t io_bar_read(void *opaque, uint64_t offset, unsigned size)
{
    return 0xa0 + offset;
}

static void io_bar_write(void *opaque, uint64_t offset, uint64_t value, unsigned size)
{
}

static const RegionOps io_bar_ops = {
    .read = io_bar_read,
    .write = io_bar_write,
    .valid = { .min = 1, .max = 4 },
    .impl = { .min = 1, .max = 1 },
};

static uint64_t mmio_read(void *opaque, uint64_t offset, unsigned size)
{
    Fixture *f = opaque;
    return f->mmio_regs[offset];
}

static void mmio_write(void *opaque, uint64_t offset, uint64_t value, unsigned size)
{
    Fixture *f = opaque;
    f->mmio_regs[offset] = (uint8_t)value;
}

static const RegionOps mmio_ops = {
    .read = mmio_read,
    .write = mmio_write,
    .valid = { .min = 1, .max = 8 },
    .impl = { .min = 1, .max = 1 },
};

static void on_bar(void *opaque, PCIDevice *d, int bar, uint64_t old_addr, uint64_t new_addr)
{
    Fixture *f = opaque;
    BarEvent e = { bar, old_addr, new_addr };
    g_array_append_val(f->bar_events, e);
}

static void on_pirq(void *opaque, int pirq, int level)
{
    Fixture *f = opaque;
    g_assert_cmpint(pirq, >=, 0);
    g_assert_cmpint(pirq, <, PCI_NUM_PIRQS);
    f->pirq_level[pirq] = level;
    f->pirq_changes++;
}

static void fixture_setup(Fixture *f, gconstpointer data)
{
    GError *err = NULL;

    memset(f, 0, sizeof(*f));
    f->m = machine_new(1ull << 36);
    f->ram = mr_new_ram("ram", RAM_SIZE, NULL);
    mr_add_subregion(as_root(f->m->mem), 0, f->ram, 0);
    f->bus = pci_bus_new(f->m);
    f->bar_events = g_array_new(FALSE, FALSE, sizeof(BarEvent));
    pci_bus_add_bar_listener(f->bus, on_bar, f);
    pci_bus_set_irq_routing(f->bus, NULL, on_pirq, f);

    g_assert_true(pci_device_init(&f->dev, f->bus, TEST_DEVFN, NULL, &err));
    g_assert_no_error(err);
    pci_config_set_ids(&f->dev, 0x1234, 0x5678, 0x01, 0x020000);
    pci_config_set_interrupt_pin(&f->dev, 1);
    f->io_bar = mr_new_io("test-io", 32, &io_bar_ops, f);
    f->mmio_bar = mr_new_io("test-mmio", 0x1000, &mmio_ops, f);
    f->mem64_bar = mr_new_ram("test-mem64", 1u << 20, NULL);
    f->rom = mr_new_rom("test-rom", 0x10000, NULL);
    memset(mr_host_ptr(f->rom), 0x55, 0x10000);
    ((uint8_t *)mr_host_ptr(f->rom))[0] = 0xaa;
    pci_register_bar(&f->dev, 0, PCI_BASE_ADDRESS_SPACE_IO, f->io_bar);
    pci_register_bar(&f->dev, 1, PCI_BASE_ADDRESS_SPACE_MEMORY, f->mmio_bar);
    pci_register_bar(&f->dev, 2, PCI_BASE_ADDRESS_MEM_TYPE_64 | PCI_BASE_ADDRESS_MEM_PREFETCH, f->mem64_bar);
    pci_register_bar(&f->dev, PCI_ROM_SLOT, 0, f->rom);
}

static void fixture_teardown(Fixture *f, gconstpointer data)
{
    pci_device_exit(&f->dev);
    pci_bus_free(f->bus);
    mr_del_subregion(as_root(f->m->mem), f->ram);
    mr_free(f->ram);
    mr_free(f->io_bar);
    mr_free(f->mmio_bar);
    mr_free(f->mem64_bar);
    mr_free(f->rom);
    machine_free(f->m);
    g_array_free(f->bar_events, TRUE);
}

static uint32_t cfg_readl(Fixture *f, unsigned reg)
{
    return pci_bus_config_read(f->bus, TEST_DEVFN, reg, 4);
}

static void cfg_writel(Fixture *f, unsigned reg, uint32_t v)
{
    pci_bus_config_write(f->bus, TEST_DEVFN, reg, v, 4);
}

static void cfg_writew(Fixture *f, unsigned reg, uint16_t v)
{
    pci_bus_config_write(f->bus, TEST_DEVFN, reg, v, 2);
}

static uint64_t io_read(Fixture *f, uint64_t port, bool *hit)
{
    uint64_t v = 0;
    *hit = as_read(f->m->io, port, 1, &v);
    return v;
}

static void test_sizing(Fixture *f, gconstpointer data)
{
    /* PCI 3.0 6.2.5.1: all-ones in, size mask plus type bits out. */
    cfg_writel(f, PCI_BASE_ADDRESS_0, 0xffffffff);
    g_assert_cmphex(cfg_readl(f, PCI_BASE_ADDRESS_0), ==, 0xffffffe1);
    cfg_writel(f, PCI_BASE_ADDRESS_0 + 4, 0xffffffff);
    g_assert_cmphex(cfg_readl(f, PCI_BASE_ADDRESS_0 + 4), ==, 0xfffff000);
    cfg_writel(f, PCI_BASE_ADDRESS_0 + 8, 0xffffffff);
    cfg_writel(f, PCI_BASE_ADDRESS_0 + 12, 0xffffffff);
    g_assert_cmphex(cfg_readl(f, PCI_BASE_ADDRESS_0 + 8), ==, 0xfff0000c);
    g_assert_cmphex(cfg_readl(f, PCI_BASE_ADDRESS_0 + 12), ==, 0xffffffff);
    /* Unimplemented BARs stay zero. */
    cfg_writel(f, PCI_BASE_ADDRESS_0 + 16, 0xffffffff);
    g_assert_cmphex(cfg_readl(f, PCI_BASE_ADDRESS_0 + 16), ==, 0);
    cfg_writel(f, PCI_BASE_ADDRESS_5, 0xffffffff);
    g_assert_cmphex(cfg_readl(f, PCI_BASE_ADDRESS_5), ==, 0);
    /* ROM: address bits down to the size, plus the enable bit. */
    cfg_writel(f, PCI_ROM_ADDRESS, 0xffffffff);
    g_assert_cmphex(cfg_readl(f, PCI_ROM_ADDRESS), ==, 0xffff0001);
    /* Sizing with decoding off maps nothing. */
    g_assert_cmpuint(f->bar_events->len, ==, 0);
}

static void test_ro_and_w1c(Fixture *f, gconstpointer data)
{
    cfg_writel(f, PCI_VENDOR_ID, 0xffffffff);
    g_assert_cmphex(cfg_readl(f, PCI_VENDOR_ID), ==, 0x56781234);
    pci_bus_config_write(f->bus, TEST_DEVFN, PCI_CLASS_PROG, 0xff, 1);
    g_assert_cmphex(pci_bus_config_read(f->bus, TEST_DEVFN, PCI_CLASS_PROG, 1), ==, 0x00);
    g_assert_cmphex(pci_bus_config_read(f->bus, TEST_DEVFN, PCI_INTERRUPT_PIN, 1), ==, 1);
    pci_bus_config_write(f->bus, TEST_DEVFN, PCI_INTERRUPT_PIN, 3, 1);
    g_assert_cmphex(pci_bus_config_read(f->bus, TEST_DEVFN, PCI_INTERRUPT_PIN, 1), ==, 1);
    pci_bus_config_write(f->bus, TEST_DEVFN, PCI_INTERRUPT_LINE, 11, 1);
    g_assert_cmphex(pci_bus_config_read(f->bus, TEST_DEVFN, PCI_INTERRUPT_LINE, 1), ==, 11);

    /* Status error bits: write 1 to clear, 0 leaves them. */
    pci_set_word(f->dev.config + PCI_STATUS, PCI_STATUS_REC_MASTER_ABORT | PCI_STATUS_SIG_TARGET_ABORT);
    pci_bus_config_write(f->bus, TEST_DEVFN, PCI_STATUS, 0, 2);
    g_assert_cmphex(pci_bus_config_read(f->bus, TEST_DEVFN, PCI_STATUS, 2), ==,
                    PCI_STATUS_REC_MASTER_ABORT | PCI_STATUS_SIG_TARGET_ABORT);
    pci_bus_config_write(f->bus, TEST_DEVFN, PCI_STATUS, PCI_STATUS_REC_MASTER_ABORT, 2);
    g_assert_cmphex(pci_bus_config_read(f->bus, TEST_DEVFN, PCI_STATUS, 2), ==, PCI_STATUS_SIG_TARGET_ABORT);

    /* Device-specific space is writable by default. */
    pci_bus_config_write(f->bus, TEST_DEVFN, 0x40, 0xdeadbeef, 4);
    g_assert_cmphex(pci_bus_config_read(f->bus, TEST_DEVFN, 0x40, 4), ==, 0xdeadbeef);
    g_assert_cmphex(pci_bus_config_read(f->bus, TEST_DEVFN, 0x42, 2), ==, 0xdead);
}

static void test_bad_config_access(Fixture *f, gconstpointer data)
{
    /* Empty slots and malformed cycles read all-ones and write nothing. */
    g_assert_cmphex(pci_bus_config_read(f->bus, PCI_DEVFN(4, 0), 0, 4), ==, 0xffffffff);
    g_assert_cmphex(pci_bus_config_read(f->bus, PCI_DEVFN(4, 0), 0, 2), ==, 0xffff);
    g_assert_cmphex(pci_bus_config_read(f->bus, -1, 0, 4), ==, 0xffffffff);
    g_assert_cmphex(pci_bus_config_read(f->bus, 256, 0, 4), ==, 0xffffffff);
    g_assert_cmphex(pci_bus_config_read(f->bus, TEST_DEVFN, 0xfe, 4), ==, 0xffffffff);
    g_assert_cmphex(pci_bus_config_read(f->bus, TEST_DEVFN, 0x41, 2), ==, 0xffffffff);
    g_assert_cmphex(pci_bus_config_read(f->bus, TEST_DEVFN, 0x100, 1), ==, 0xffffffff);
    g_assert_cmphex(pci_bus_config_read(f->bus, TEST_DEVFN, 0, 3), ==, 0xffffffff);
    pci_bus_config_write(f->bus, TEST_DEVFN, 0xfe, 0x12345678, 4);
    pci_bus_config_write(f->bus, TEST_DEVFN, 0x300, 0x12345678, 4);
    g_assert_cmphex(pci_bus_config_read(f->bus, TEST_DEVFN, 0xfc, 4), ==, 0);
    pci_bus_config_write(f->bus, PCI_DEVFN(4, 0), 0x40, 1, 4);

    /* A second device cannot take an occupied devfn. */
    PCIDevice other;
    GError *err = NULL;
    g_assert_false(pci_device_init(&other, f->bus, TEST_DEVFN, NULL, &err));
    g_assert_nonnull(err);
    g_assert_nonnull(strstr(err->message, "03.0"));
    g_clear_error(&err);
    g_assert_false(pci_device_init(&other, f->bus, 256, NULL, &err));
    g_clear_error(&err);
}

static void test_io_bar_mapping(Fixture *f, gconstpointer data)
{
    bool hit;

    cfg_writel(f, PCI_BASE_ADDRESS_0, 0xc000);
    io_read(f, 0xc004, &hit);
    g_assert_false(hit);                    /* IO decode still off */
    g_assert_cmpuint(f->bar_events->len, ==, 0);

    cfg_writew(f, PCI_COMMAND, PCI_COMMAND_IO);
    g_assert_cmphex(io_read(f, 0xc004, &hit), ==, 0xa4);
    g_assert_true(hit);
    g_assert_cmphex(pci_bar_address(&f->dev, 0), ==, 0xc000);
    g_assert_cmpuint(f->bar_events->len, ==, 1);
    BarEvent *e = &g_array_index(f->bar_events, BarEvent, 0);
    g_assert_cmpint(e->bar, ==, 0);
    g_assert_cmphex(e->old_addr, ==, PCI_BAR_UNMAPPED);
    g_assert_cmphex(e->new_addr, ==, 0xc000);

    /* Move: the old range goes away, the new one answers; low bits are ignored. */
    cfg_writel(f, PCI_BASE_ADDRESS_0, 0xd01f);
    g_assert_cmphex(cfg_readl(f, PCI_BASE_ADDRESS_0), ==, 0xd001);
    io_read(f, 0xc004, &hit);
    g_assert_false(hit);
    g_assert_cmphex(io_read(f, 0xd01f, &hit), ==, 0xbf);
    g_assert_true(hit);
    e = &g_array_index(f->bar_events, BarEvent, 1);
    g_assert_cmphex(e->old_addr, ==, 0xc000);
    g_assert_cmphex(e->new_addr, ==, 0xd000);

    /* Sizing while enabled: 0xffffffe0 is outside the 64 KiB port space. */
    cfg_writel(f, PCI_BASE_ADDRESS_0, 0xffffffff);
    g_assert_cmphex(pci_bar_address(&f->dev, 0), ==, PCI_BAR_UNMAPPED);
    io_read(f, 0xd000, &hit);
    g_assert_false(hit);

    /* Address 0 is "not programmed". */
    cfg_writel(f, PCI_BASE_ADDRESS_0, 0);
    g_assert_cmphex(pci_bar_address(&f->dev, 0), ==, PCI_BAR_UNMAPPED);

    cfg_writel(f, PCI_BASE_ADDRESS_0, 0xc000);
    g_assert_cmphex(pci_bar_address(&f->dev, 0), ==, 0xc000);
    cfg_writew(f, PCI_COMMAND, 0);
    g_assert_cmphex(pci_bar_address(&f->dev, 0), ==, PCI_BAR_UNMAPPED);
    io_read(f, 0xc000, &hit);
    g_assert_false(hit);
}

static void test_mem_bar_mapping(Fixture *f, gconstpointer data)
{
    uint64_t v;

    /* A 32-bit BAR over RAM wins (PCI_BAR_PRIORITY > RAM). */
    ((uint8_t *)mr_host_ptr(f->ram))[0x200000] = 0x11;
    f->mmio_regs[0] = 0x77;
    cfg_writel(f, PCI_BASE_ADDRESS_0 + 4, 0x200000);
    cfg_writew(f, PCI_COMMAND, PCI_COMMAND_MEMORY);
    g_assert_true(as_read(f->m->mem, 0x200000, 1, &v));
    g_assert_cmphex(v, ==, 0x77);
    g_assert_true(as_write(f->m->mem, 0x200001, 1, 0x42));
    g_assert_cmphex(f->mmio_regs[1], ==, 0x42);

    /* The sizing leftover 0xfffff000 would reach 0xffffffff: not decoded. */
    cfg_writel(f, PCI_BASE_ADDRESS_0 + 4, 0xffffffff);
    g_assert_cmphex(pci_bar_address(&f->dev, 1), ==, PCI_BAR_UNMAPPED);
    g_assert_true(as_read(f->m->mem, 0x200000, 1, &v));
    g_assert_cmphex(v, ==, 0x11);
    cfg_writel(f, PCI_BASE_ADDRESS_0 + 4, 0xfebff000);
    g_assert_cmphex(pci_bar_address(&f->dev, 1), ==, 0xfebff000);

    /* 64-bit BAR above 4 GiB, prefetchable RAM-backed. */
    cfg_writel(f, PCI_BASE_ADDRESS_0 + 8, 0x00100000);
    cfg_writel(f, PCI_BASE_ADDRESS_0 + 12, 0x8);
    g_assert_cmphex(pci_bar_address(&f->dev, 2), ==, 0x800100000ull);
    g_assert_true(as_write(f->m->mem, 0x8001ffff0ull, 4, 0xcafef00d));
    g_assert_cmphex(((uint32_t *)mr_host_ptr(f->mem64_bar))[0xffff0 / 4], ==, 0xcafef00d);
    /* Beyond the 64 GiB space of this machine: not decoded. */
    cfg_writel(f, PCI_BASE_ADDRESS_0 + 12, 0x10);
    g_assert_cmphex(pci_bar_address(&f->dev, 2), ==, PCI_BAR_UNMAPPED);
    /* Below 4 GiB through the low half only. */
    cfg_writel(f, PCI_BASE_ADDRESS_0 + 12, 0);
    g_assert_cmphex(pci_bar_address(&f->dev, 2), ==, 0x100000);

    /* Memory decode off unmaps every memory BAR, the IO one is unaffected. */
    cfg_writew(f, PCI_COMMAND, 0);
    g_assert_cmphex(pci_bar_address(&f->dev, 1), ==, PCI_BAR_UNMAPPED);
    g_assert_cmphex(pci_bar_address(&f->dev, 2), ==, PCI_BAR_UNMAPPED);
    g_assert_true(as_read(f->m->mem, 0x100000, 1, &v));
    g_assert_cmphex(v, ==, 0);  /* RAM again */
}

static void test_rom_bar(Fixture *f, gconstpointer data)
{
    uint64_t v;

    cfg_writel(f, PCI_ROM_ADDRESS, 0xfeb00000);
    cfg_writew(f, PCI_COMMAND, PCI_COMMAND_MEMORY);
    g_assert_cmphex(pci_bar_address(&f->dev, PCI_ROM_SLOT), ==, PCI_BAR_UNMAPPED);  /* enable bit clear */
    cfg_writel(f, PCI_ROM_ADDRESS, 0xfeb00001);
    g_assert_cmphex(pci_bar_address(&f->dev, PCI_ROM_SLOT), ==, 0xfeb00000);
    g_assert_true(as_read(f->m->mem, 0xfeb00000, 1, &v));
    g_assert_cmphex(v, ==, 0xaa);
    /* ROM: guest writes are ignored. */
    as_write(f->m->mem, 0xfeb00000, 1, 0x00);
    g_assert_true(as_read(f->m->mem, 0xfeb00000, 1, &v));
    g_assert_cmphex(v, ==, 0xaa);
    cfg_writew(f, PCI_COMMAND, 0);
    g_assert_cmphex(pci_bar_address(&f->dev, PCI_ROM_SLOT), ==, PCI_BAR_UNMAPPED);
}

static void test_reset_unmaps(Fixture *f, gconstpointer data)
{
    cfg_writel(f, PCI_BASE_ADDRESS_0, 0xc000);
    cfg_writel(f, PCI_BASE_ADDRESS_0 + 4, 0xfeb00000);
    cfg_writew(f, PCI_COMMAND, PCI_COMMAND_IO | PCI_COMMAND_MEMORY);
    g_assert_cmphex(pci_bar_address(&f->dev, 0), ==, 0xc000);
    pci_device_reset(&f->dev);
    g_assert_cmphex(pci_bar_address(&f->dev, 0), ==, PCI_BAR_UNMAPPED);
    g_assert_cmphex(pci_bar_address(&f->dev, 1), ==, PCI_BAR_UNMAPPED);
    g_assert_cmphex(cfg_readl(f, PCI_BASE_ADDRESS_0), ==, 0x1);
    g_assert_cmphex(cfg_readl(f, PCI_BASE_ADDRESS_0 + 8), ==, 0xc);
    g_assert_cmphex(cfg_readl(f, PCI_COMMAND) & 0xffff, ==, 0);
}

static void test_intx(Fixture *f, gconstpointer data)
{
    PCIDevice other;
    GError *err = NULL;

    /* Slot 3 INTA# -> PIRQC (index 2) under the PIIX swizzle. */
    g_assert_cmpint(pci_swizzle_piix(NULL, TEST_DEVFN, 0), ==, 2);
    g_assert_cmpint(pci_swizzle_piix(NULL, PCI_DEVFN(1, 0), 0), ==, 0);
    g_assert_cmpint(pci_swizzle_piix(NULL, PCI_DEVFN(0, 0), 0), ==, 3);
    g_assert_cmpint(pci_swizzle_piix(NULL, PCI_DEVFN(4, 0), 3), ==, 2);

    pci_set_irq(&f->dev, 1);
    g_assert_cmpint(f->pirq_level[2], ==, 1);
    g_assert_cmphex(cfg_readl(f, PCI_COMMAND) >> 16 & PCI_STATUS_INTERRUPT, ==, PCI_STATUS_INTERRUPT);

    /* A second device on the same PIRQ: the line is their wired OR. */
    g_assert_true(pci_device_init(&other, f->bus, PCI_DEVFN(7, 0), NULL, &err));
    pci_config_set_interrupt_pin(&other, 1 + 2);  /* INTC#: (2 + 7 - 1) & 3 = 0 -> PIRQA */
    pci_set_irq(&other, 1);
    g_assert_cmpint(f->pirq_level[0], ==, 1);
    pci_set_irq(&other, 0);
    g_assert_cmpint(f->pirq_level[0], ==, 0);
    pci_config_set_interrupt_pin(&other, 2);      /* INTB#: (1 + 7 - 1) & 3 = 3 */
    pci_set_irq(&other, 1);
    g_assert_cmpint(f->pirq_level[3], ==, 1);
    pci_device_exit(&other);                      /* leaving the bus drops its contribution */
    g_assert_cmpint(f->pirq_level[3], ==, 0);

    /* INTx disable masks the line but not the status bit. */
    int changes = f->pirq_changes;
    cfg_writew(f, PCI_COMMAND, PCI_COMMAND_INTX_DISABLE);
    g_assert_cmpint(f->pirq_level[2], ==, 0);
    g_assert_cmphex(cfg_readl(f, PCI_COMMAND) >> 16 & PCI_STATUS_INTERRUPT, ==, PCI_STATUS_INTERRUPT);
    pci_set_irq(&f->dev, 0);
    pci_set_irq(&f->dev, 1);
    g_assert_cmpint(f->pirq_changes, ==, changes + 1);
    cfg_writew(f, PCI_COMMAND, 0);
    g_assert_cmpint(f->pirq_level[2], ==, 1);
    g_assert_cmpint(pci_bus_pirq_level(f->bus, 2), ==, 1);

    /* Reset lowers the pin. */
    pci_device_reset(&f->dev);
    g_assert_cmpint(f->pirq_level[2], ==, 0);
    g_assert_cmphex(cfg_readl(f, PCI_COMMAND) >> 16 & PCI_STATUS_INTERRUPT, ==, 0);
}

static void test_state_restore(Fixture *f, gconstpointer data)
{
    GByteArray *saved = g_byte_array_new();
    GError *err = NULL;

    cfg_writel(f, PCI_BASE_ADDRESS_0, 0xc000);
    cfg_writel(f, PCI_BASE_ADDRESS_0 + 4, 0xfeb00000);
    cfg_writew(f, PCI_COMMAND, PCI_COMMAND_IO | PCI_COMMAND_MEMORY);
    pci_set_irq(&f->dev, 1);
    state_save_fields(&pci_device_state, &f->dev, saved);

    pci_device_reset(&f->dev);
    g_assert_cmphex(pci_bar_address(&f->dev, 0), ==, PCI_BAR_UNMAPPED);
    g_assert_cmpint(f->pirq_level[2], ==, 0);

    g_assert_true(state_load_fields(&pci_device_state, &f->dev, 1, saved->data, saved->len, &err));
    g_assert_no_error(err);
    g_assert_cmphex(pci_bar_address(&f->dev, 0), ==, 0xc000);
    g_assert_cmphex(pci_bar_address(&f->dev, 1), ==, 0xfeb00000);
    g_assert_cmpint(f->pirq_level[2], ==, 1);

    /* A stream claiming an INTx level of 7 is refused. */
    GByteArray *bad = g_byte_array_new();
    f->dev.irq_level = 7;
    state_save_fields(&pci_device_state, &f->dev, bad);
    f->dev.irq_level = 1;
    g_assert_false(state_load_fields(&pci_device_state, &f->dev, 1, bad->data, bad->len, &err));
    g_assert_nonnull(err);
    g_clear_error(&err);
    g_byte_array_free(bad, TRUE);
    g_byte_array_free(saved, TRUE);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
#define ADD(name, fn) g_test_add("/pci/" name, Fixture, NULL, fixture_setup, fn, fixture_teardown)
    ADD("bar-sizing", test_sizing);
    ADD("ro-w1c-masks", test_ro_and_w1c);
    ADD("bad-config-access", test_bad_config_access);
    ADD("io-bar-mapping", test_io_bar_mapping);
    ADD("mem-bar-mapping", test_mem_bar_mapping);
    ADD("rom-bar", test_rom_bar);
    ADD("reset-unmaps", test_reset_unmaps);
    ADD("intx", test_intx);
    ADD("state-restore", test_state_restore);
    return g_test_run();
}
