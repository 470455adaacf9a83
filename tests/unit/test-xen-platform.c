/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Xen platform device on a bare Machine: PCI identity and BAR sizes, the
 * unplug protocol as a PV driver runs it (magic, version, product, build,
 * blacklisting, unplug mask), the guest log port with its sanitising and
 * rate limit, the ROM-lock flag, BAR0's old unplug dialects, malformed
 * access sizes, reset and save/load.
 */
#include <string.h>

#include <glib.h>

#include "hw/core/clock.h"
#include "hw/core/machine.h"
#include "hw/pci/pci.h"
#include "hw/xen/xen_platform.h"

#define DEVFN       PCI_DEVFN(2, 0)
#define BAR0_ADDR   0xc100
#define BAR1_ADDR   0xf1000000u

typedef struct Fixture {
    Machine *m;
    PCIBus *bus;
    XenPlatformState *xp;
    unsigned unplug_calls;
    unsigned unplug_masks[16];
    unsigned rom_calls;
    bool rom_last;
    bool rom_refuse;
    GPtrArray *lines;
    unsigned blacklist_calls;
    uint16_t bl_product;
    uint32_t bl_build;
} Fixture;

static void on_unplug(void *opaque, unsigned mask)
{
    Fixture *f = opaque;
    if (f->unplug_calls < G_N_ELEMENTS(f->unplug_masks)) {
        f->unplug_masks[f->unplug_calls] = mask;
    }
    f->unplug_calls++;
}

static bool on_rom_lock(void *opaque, bool locked)
{
    Fixture *f = opaque;
    f->rom_calls++;
    f->rom_last = locked;
    return !f->rom_refuse;
}

static void on_log(void *opaque, const char *line)
{
    Fixture *f = opaque;
    g_ptr_array_add(f->lines, g_strdup(line));
}

static bool on_blacklist(void *opaque, uint16_t product, uint32_t build)
{
    Fixture *f = opaque;
    f->blacklist_calls++;
    f->bl_product = product;
    f->bl_build = build;
    return product == 1 && build == 0xbad;
}

static XenPlatformState *make(Fixture *f, Machine *m, PCIBus *bus)
{
    XenPlatformConfig cfg = {
        .unplug = on_unplug,
        .rom_lock = on_rom_lock,
        .log_line = on_log,
        .blacklisted = on_blacklist,
        .opaque = f,
        .log_limit = 100,
    };
    GError *err = NULL;
    XenPlatformState *xp = xen_platform_create(m, bus, DEVFN, &cfg, &err);

    g_assert_no_error(err);
    return xp;
}

static void fixture_setup(Fixture *f, gconstpointer data)
{
    memset(f, 0, sizeof(*f));
    f->lines = g_ptr_array_new_with_free_func(g_free);
    f->m = machine_new(1ull << 32);
    f->bus = pci_bus_new(f->m);
    f->xp = make(f, f->m, f->bus);
    device_list_reset(f->m->devices, RESET_POWER_ON);
    f->rom_calls = 0;
}

static void fixture_teardown(Fixture *f, gconstpointer data)
{
    machine_free(f->m);
    pci_bus_free(f->bus);
    g_ptr_array_free(f->lines, TRUE);
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

static uint32_t cfg_read(Fixture *f, unsigned addr, unsigned len)
{
    return pci_bus_config_read(f->bus, DEVFN, addr, len);
}

static void cfg_write(Fixture *f, unsigned addr, uint32_t v, unsigned len)
{
    pci_bus_config_write(f->bus, DEVFN, addr, v, len);
}

static void map_bars(Fixture *f)
{
    cfg_write(f, PCI_BASE_ADDRESS_0, BAR0_ADDR, 4);
    cfg_write(f, PCI_BASE_ADDRESS_0 + 4, BAR1_ADDR, 4);
    cfg_write(f, PCI_COMMAND, PCI_COMMAND_IO | PCI_COMMAND_MEMORY, 2);
}

static void log_string(Fixture *f, const char *s)
{
    for (; *s; s++) {
        out(f, 0x12, 1, (uint8_t)*s);
    }
}

static const char *line(Fixture *f, unsigned i)
{
    g_assert_cmpuint(i, <, f->lines->len);
    return g_ptr_array_index(f->lines, i);
}

static void test_identity(Fixture *f, gconstpointer data)
{
    g_assert_cmphex(cfg_read(f, PCI_VENDOR_ID, 4), ==, 0x00015853);
    g_assert_cmphex(cfg_read(f, PCI_REVISION_ID, 4), ==, 0xff800001);
    g_assert_cmphex(cfg_read(f, PCI_SUBSYSTEM_VENDOR_ID, 4), ==, 0x00015853);
    g_assert_cmphex(cfg_read(f, PCI_INTERRUPT_PIN, 1), ==, 1);
    g_assert_cmphex(cfg_read(f, PCI_HEADER_TYPE, 1), ==, 0);
    /* BAR sizing: 256 bytes of IO, 16 MiB of prefetchable 32-bit memory. */
    cfg_write(f, PCI_BASE_ADDRESS_0, 0xffffffff, 4);
    g_assert_cmphex(cfg_read(f, PCI_BASE_ADDRESS_0, 4), ==, 0xffffff01);
    cfg_write(f, PCI_BASE_ADDRESS_0 + 4, 0xffffffff, 4);
    g_assert_cmphex(cfg_read(f, PCI_BASE_ADDRESS_0 + 4, 4), ==, 0xff000008);
    g_assert_cmphex(cfg_read(f, PCI_BASE_ADDRESS_0 + 8, 4), ==, 0);
}

static void test_fixed_ports(Fixture *f, gconstpointer data)
{
    g_assert_cmphex(in(f, 0x10, 2), ==, XEN_PLATFORM_MAGIC);
    g_assert_cmphex(in(f, 0x12, 1), ==, XEN_PLATFORM_PROTOCOL_VERSION);
    g_assert_cmphex(in(f, 0x10, 1), ==, 0);
    /* Nothing else decodes a value. */
    g_assert_cmphex(in(f, 0x11, 1), ==, 0xff);
    g_assert_cmphex(in(f, 0x12, 2), ==, 0xffff);
    g_assert_cmphex(in(f, 0x10, 4), ==, 0xffffffff);
    g_assert_cmphex(in(f, 0x1f, 1), ==, 0xff);
    g_assert_cmphex(in(f, 0x11, 2), ==, 0xffff);
    /* The ports are fixed: they answer without any BAR programming. */
    g_assert_cmphex(cfg_read(f, PCI_COMMAND, 2), ==, 0);
}

static void test_handshake(Fixture *f, gconstpointer data)
{
    /* The sequence of hvm-emulated-unplug.pandoc, steps 1-6. */
    g_assert_cmphex(in(f, 0x10, 2), ==, 0x49d2);
    g_assert_cmphex(in(f, 0x12, 1), ==, 1);
    out(f, 0x12, 2, 3);             /* product */
    out(f, 0x10, 4, 0x1234);        /* build */
    g_assert_cmpuint(f->blacklist_calls, ==, 1);
    g_assert_cmpuint(f->bl_product, ==, 3);
    g_assert_cmphex(f->bl_build, ==, 0x1234);
    g_assert_cmphex(in(f, 0x10, 2), ==, 0x49d2);
    g_assert_false(xen_platform_drivers_blacklisted(f->xp));
    out(f, 0x10, 2, XEN_UNPLUG_ALL_IDE_DISKS | XEN_UNPLUG_ALL_NICS);
    g_assert_cmpuint(f->unplug_calls, ==, 1);
    g_assert_cmphex(f->unplug_masks[0], ==, 3);
    g_assert_cmphex(xen_platform_unplugged(f->xp), ==, 3);
    /* A zero mask asks for nothing; undefined bits are dropped. */
    out(f, 0x10, 2, 0);
    g_assert_cmpuint(f->unplug_calls, ==, 1);
    out(f, 0x10, 2, 0xfff8);
    g_assert_cmpuint(f->unplug_calls, ==, 2);
    g_assert_cmphex(f->unplug_masks[1], ==, XEN_UNPLUG_NVME_DISKS);
    g_assert_cmphex(xen_platform_unplugged(f->xp), ==, 0xb);
}

static void test_blacklisted(Fixture *f, gconstpointer data)
{
    out(f, 0x12, 2, 1);
    out(f, 0x10, 4, 0xbad);
    g_assert_true(xen_platform_drivers_blacklisted(f->xp));
    g_assert_cmphex(in(f, 0x10, 2), ==, XEN_PLATFORM_MAGIC_BLACKLISTED);
    /* It sticks until reset. */
    out(f, 0x10, 4, 7);
    g_assert_cmphex(in(f, 0x10, 2), ==, XEN_PLATFORM_MAGIC_BLACKLISTED);
    device_list_reset(f->m->devices, RESET_HARD);
    g_assert_cmphex(in(f, 0x10, 2), ==, XEN_PLATFORM_MAGIC);
}

static void test_log(Fixture *f, gconstpointer data)
{
    char *big;

    log_string(f, "hello from the guest\n");
    g_assert_cmpuint(f->lines->len, ==, 1);
    g_assert_cmpstr(line(f, 0), ==, "hello from the guest");
    /* CR is dropped, control characters and 8-bit bytes are neutralised. */
    log_string(f, "a\x1b[31mred\r\x07\xff\n");
    g_assert_cmpstr(line(f, 1), ==, "a?[31mred??");
    /* An unterminated line waits. */
    log_string(f, "partial");
    g_assert_cmpuint(f->lines->len, ==, 2);
    log_string(f, "\n");
    g_assert_cmpstr(line(f, 2), ==, "partial");
    /* An overlong line is cut at the buffer size (this also passes the 100 B/s budget: advance time first). */
    clock_virtual_advance_to(clock_get_ns(CLOCK_VIRTUAL) + NANOSECONDS_PER_SECOND);
    big = g_strnfill(XEN_PLATFORM_LOG_LINE_MAX + 10, 'x');
    log_string(f, big);
    g_free(big);
    /* Over the budget: dropped and counted, not printed. */
    g_assert_cmpuint(f->lines->len, ==, 3);
    g_assert_cmpuint(xen_platform_log_dropped(f->xp), ==, XEN_PLATFORM_LOG_LINE_MAX);
}

static void test_log_rate_limit(Fixture *f, gconstpointer data)
{
    clock_virtual_advance_to(clock_get_ns(CLOCK_VIRTUAL) + NANOSECONDS_PER_SECOND);
    /* 100 bytes per second: ten 9-character lines (10 bytes each with the newline) fit, no more. */
    for (int i = 0; i < 25; i++) {
        log_string(f, "123456789\n");
    }
    g_assert_cmpuint(f->lines->len, ==, 10);
    g_assert_cmpuint(xen_platform_log_dropped(f->xp), ==, 150);
    /* A second later the budget is back, with a note of what was lost. */
    clock_virtual_advance_to(clock_get_ns(CLOCK_VIRTUAL) + NANOSECONDS_PER_SECOND);
    log_string(f, "later\n");
    g_assert_cmpuint(f->lines->len, ==, 12);
    g_assert_nonnull(strstr(line(f, 10), "150 bytes"));
    g_assert_cmpstr(line(f, 11), ==, "later");
}

static void test_rom_lock(Fixture *f, gconstpointer data)
{
    out(f, 0x10, 1, 0xff);
    g_assert_cmpuint(f->rom_calls, ==, 1);
    g_assert_true(f->rom_last);
    g_assert_cmphex(in(f, 0x10, 1), ==, XEN_PLATFORM_FLAG_ROM_LOCK);
    g_assert_cmphex(xen_platform_flags(f->xp), ==, 1);
    /* Refused by the hypervisor: the flag keeps its value. */
    f->rom_refuse = true;
    out(f, 0x10, 1, 0);
    g_assert_cmpuint(f->rom_calls, ==, 2);
    g_assert_cmphex(in(f, 0x10, 1), ==, 1);
    f->rom_refuse = false;
    out(f, 0x10, 1, 0);
    g_assert_cmphex(in(f, 0x10, 1), ==, 0);
    /* Reset unlocks. */
    out(f, 0x10, 1, 1);
    device_list_reset(f->m->devices, RESET_HARD);
    g_assert_false(f->rom_last);
    g_assert_cmphex(in(f, 0x10, 1), ==, 0);
}

static void test_bar0(Fixture *f, gconstpointer data)
{
    uint64_t v;

    map_bars(f);
    out(f, BAR0_ADDR, 1, 1);
    g_assert_cmphex(in(f, BAR0_ADDR, 1), ==, 1);
    g_assert_cmphex(in(f, 0x10, 1), ==, 1);
    g_assert_cmphex(in(f, BAR0_ADDR + 1, 1), ==, 0xff);
    /* SUSE dialect: a dword 1 at offset 4 unplugs disks and NICs. */
    out(f, BAR0_ADDR + 4, 4, 1);
    g_assert_cmpuint(f->unplug_calls, ==, 1);
    g_assert_cmphex(f->unplug_masks[0], ==, XEN_UNPLUG_ALL_IDE_DISKS | XEN_UNPLUG_ALL_NICS);
    out(f, BAR0_ADDR + 4, 1, 2);
    g_assert_cmpuint(f->unplug_calls, ==, 1);
    /* Old VMDP: 1 disks, 2 NICs, anything else is a log byte. */
    out(f, BAR0_ADDR + 8, 1, 2);
    g_assert_cmphex(f->unplug_masks[1], ==, XEN_UNPLUG_ALL_NICS);
    out(f, BAR0_ADDR + 8, 1, 1);
    g_assert_cmphex(f->unplug_masks[2], ==, XEN_UNPLUG_ALL_IDE_DISKS);
    out(f, BAR0_ADDR + 8, 1, 'o');
    out(f, BAR0_ADDR + 8, 1, 'k');
    out(f, BAR0_ADDR + 8, 1, '\n');
    g_assert_cmpuint(f->lines->len, ==, 1);
    g_assert_cmpstr(line(f, 0), ==, "ok");
    /* BAR1 is address space only: reads 0, writes vanish. */
    g_assert_true(as_read(f->m->mem, BAR1_ADDR + 0x1000, 4, &v));
    g_assert_cmphex(v, ==, 0);
    g_assert_true(as_write(f->m->mem, BAR1_ADDR + XEN_PLATFORM_BAR1_SIZE - 8, 8, ~0ull));
    /* Decoding off: BAR0 floats, the fixed ports stay. */
    cfg_write(f, PCI_COMMAND, 0, 2);
    g_assert_cmphex(in(f, BAR0_ADDR, 1), ==, 0xff);
    g_assert_cmphex(in(f, 0x10, 2), ==, XEN_PLATFORM_MAGIC);
}

static void test_malformed(Fixture *f, gconstpointer data)
{
    static const unsigned sizes[] = { 1, 2, 4, 8 };

    /* Every size at every offset of the fixed block and just past it, both directions. */
    for (unsigned port = 0x0e; port < 0x22; port++) {
        for (unsigned i = 0; i < G_N_ELEMENTS(sizes); i++) {
            uint64_t v;
            as_read(f->m->io, port, sizes[i], &v);
            as_write(f->m->io, port, sizes[i], 0x0a0a0a0a0a0a0a0aull);
        }
    }
    /* Still answering. */
    g_assert_cmphex(in(f, 0x10, 2), ==, XEN_PLATFORM_MAGIC);
    g_assert_cmphex(in(f, 0x12, 1), ==, 1);
}

static void test_save_load(Fixture *f, gconstpointer data)
{
    Fixture g;
    GByteArray *blob = g_byte_array_new();
    GError *err = NULL;

    map_bars(f);
    out(f, 0x12, 2, 1);
    out(f, 0x10, 4, 0xbad);
    out(f, 0x10, 2, XEN_UNPLUG_AUX_IDE_DISKS);
    out(f, 0x10, 1, 1);
    device_list_save(f->m->devices, blob);

    fixture_setup(&g, NULL);
    g_assert_true(device_list_load(g.m->devices, blob->data, blob->len, &err));
    g_assert_no_error(err);
    g_assert_cmphex(xen_platform_unplugged(g.xp), ==, XEN_UNPLUG_AUX_IDE_DISKS);
    g_assert_true(xen_platform_drivers_blacklisted(g.xp));
    g_assert_cmphex(in(&g, 0x10, 2), ==, XEN_PLATFORM_MAGIC_BLACKLISTED);
    g_assert_cmphex(in(&g, 0x10, 1), ==, 1);
    /* The restored side re-applied the ROM lock to the hypervisor. */
    g_assert_cmpuint(g.rom_calls, ==, 1);
    g_assert_true(g.rom_last);
    /* BAR0 decodes at the restored address. */
    g_assert_cmphex(in(&g, BAR0_ADDR, 1), ==, 1);
    /* Loading does not replay unplug requests. */
    g_assert_cmpuint(g.unplug_calls, ==, 0);

    /* Undefined flag bits in a stream are refused. */
    {
        guint8 *p = NULL;
        /* The tail of the payload is flags, unplugged, blacklisted, product (2), build (4), then the end tag. */
        p = blob->data + blob->len - 1 - 4 - 2 - 1 - 1 - 1;
        g_assert_cmphex(*p, ==, 1);
        *p = 0x81;
        fixture_teardown(&g, NULL);
        fixture_setup(&g, NULL);
        g_assert_false(device_list_load(g.m->devices, blob->data, blob->len, &err));
        g_assert_nonnull(err);
        g_assert_nonnull(strstr(err->message, "flags"));
        g_clear_error(&err);
    }
    fixture_teardown(&g, NULL);
    g_byte_array_free(blob, TRUE);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    clock_set_manual(true);

#define ADD(name, fn) g_test_add("/xen-platform/" name, Fixture, NULL, fixture_setup, fn, fixture_teardown)
    ADD("identity", test_identity);
    ADD("fixed-ports", test_fixed_ports);
    ADD("handshake", test_handshake);
    ADD("blacklisted", test_blacklisted);
    ADD("log", test_log);
    ADD("log-rate-limit", test_log_rate_limit);
    ADD("rom-lock", test_rom_lock);
    ADD("bar0", test_bar0);
    ADD("malformed", test_malformed);
    ADD("save-load", test_save_load);
    return g_test_run();
}
