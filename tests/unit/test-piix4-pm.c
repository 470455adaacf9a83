/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * PIIX4 PM function on a bare Machine: configuration registers, PMBA and
 * PMIOSE decoding, PM1 status/enable/control, SLP_EN requests, the APM
 * ACPI-enable handshake hvmloader depends on, GPE0, the PM timer on the
 * manual virtual clock, the CPU-present bitmap, malformed guest input,
 * reset, and save/load.  Accesses go through m->io and config cycles
 * through the bus, as a CPU or the Xen ioreq path would issue them.
 */
#include <string.h>

#include <glib.h>

#include "hw/acpi/piix4_pm.h"
#include "hw/core/clock.h"
#include "hw/core/machine.h"
#include "hw/pci/pci.h"

#define PMBASE      0xb000
#define DEVFN       PIIX4_PM_DEVFN

typedef struct Fixture {
    Machine *m;
    PCIBus *bus;
    PIIX4PMState *pm;
    IrqLine *sci;
    int sci_level;
    int sci_changes;
    int requests;
    ShutdownCause last_cause;
    int suspends;
} Fixture;

typedef struct Options {
    bool pm_timer;
    bool no_suspend_hook;
} Options;

static const Options opt_default = { .pm_timer = true };
static const Options opt_xen = { .pm_timer = false };
static const Options opt_no_s3 = { .pm_timer = true, .no_suspend_hook = true };

static void on_sci(void *opaque, int n, int level)
{
    Fixture *f = opaque;
    f->sci_level = level;
    f->sci_changes++;
}

static void on_request(Machine *m, ShutdownCause cause, int exit_code)
{
    Fixture *f = m->board;
    f->requests++;
    f->last_cause = cause;
}

static void on_suspend(void *opaque)
{
    Fixture *f = opaque;
    f->suspends++;
}

static PIIX4PMState *make_pm(Fixture *f, const Options *o)
{
    PIIX4PMConfig cfg = {
        .sci = f->sci,
        .pm_timer = o->pm_timer,
        .gpe0_base = PIIX4_GPE0_BASE,
        .smb_base = PIIX4_SMBUS_BASE_DEFAULT,
        .cpu_hotplug_base = PIIX4_CPU_HOTPLUG_BASE,
        .cpus_present = 3,
        .pci_hotplug_base = PIIX4_PCI_HOTPLUG_BASE,
        .suspend = o->no_suspend_hook ? NULL : on_suspend,
        .opaque = f,
    };
    GError *err = NULL;
    PIIX4PMState *pm = piix4_pm_create(f->m, f->bus, DEVFN, &cfg, &err);

    g_assert_no_error(err);
    g_assert_nonnull(pm);
    return pm;
}

static void fixture_setup(Fixture *f, gconstpointer data)
{
    const Options *o = data ? data : &opt_default;

    memset(f, 0, sizeof(*f));
    f->m = machine_new(1ull << 32);
    f->m->board = f;
    f->m->hooks.request = on_request;
    f->bus = pci_bus_new(f->m);
    f->sci = irq_new(on_sci, f, 9);
    f->pm = make_pm(f, o);
    device_list_reset(f->m->devices, RESET_POWER_ON);
}

static void fixture_teardown(Fixture *f, gconstpointer data)
{
    machine_free(f->m);
    pci_bus_free(f->bus);
    irq_free(f->sci);
}

static uint32_t cfg_read(Fixture *f, unsigned addr, unsigned len)
{
    return pci_bus_config_read(f->bus, DEVFN, addr, len);
}

static void cfg_write(Fixture *f, unsigned addr, uint32_t v, unsigned len)
{
    pci_bus_config_write(f->bus, DEVFN, addr, v, len);
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

/* What hvmloader does: PMBA = 0xb001, PMREGMISC = 1. */
static void enable_pm_block(Fixture *f, uint16_t base)
{
    cfg_write(f, PIIX4_PMBA, base | 1, 4);
    cfg_write(f, PIIX4_PMREGMISC, 1, 1);
}

static int64_t now_ns(void)
{
    return clock_get_ns(CLOCK_VIRTUAL);
}

/* ---- configuration space ---- */

static void test_config_defaults(Fixture *f, gconstpointer data)
{
    g_assert_cmphex(cfg_read(f, PCI_VENDOR_ID, 2), ==, 0x8086);
    g_assert_cmphex(cfg_read(f, PCI_DEVICE_ID, 2), ==, 0x7113);
    g_assert_cmphex(cfg_read(f, PCI_REVISION_ID, 1), ==, 0x03);
    g_assert_cmphex(cfg_read(f, PCI_REVISION_ID, 4), ==, 0x06800003);
    g_assert_cmphex(cfg_read(f, PCI_CLASS_DEVICE, 2), ==, 0x0680);
    g_assert_cmphex(cfg_read(f, PCI_CLASS_PROG, 1), ==, 0x00);
    g_assert_cmphex(cfg_read(f, PCI_STATUS, 2), ==, 0x0280);
    g_assert_cmphex(cfg_read(f, PCI_INTERRUPT_PIN, 1), ==, 1);
    g_assert_cmphex(cfg_read(f, PIIX4_PMBA, 4), ==, 0x00000001);
    g_assert_cmphex(cfg_read(f, PIIX4_PMREGMISC, 1), ==, 0);
    g_assert_cmphex(cfg_read(f, PIIX4_DEVACTB + 3, 1), ==, PIIX4_DEVACTB_SMI_DONE);
    g_assert_cmphex(cfg_read(f, PIIX4_SMBBA, 4), ==, 0xb101);
    g_assert_cmphex(cfg_read(f, PIIX4_SMBHSTCFG, 1), ==, 0x09);
    g_assert_cmpint(piix4_pm_io_base(f->pm), ==, -1);
}

static void test_config_masks(Fixture *f, gconstpointer data)
{
    /* PMBA: bits 15:6 only, bit 0 hardwired 1, upper word reserved. */
    cfg_write(f, PIIX4_PMBA, 0xffffffff, 4);
    g_assert_cmphex(cfg_read(f, PIIX4_PMBA, 4), ==, 0x0000ffc1);
    cfg_write(f, PIIX4_PMBA, 0, 4);
    g_assert_cmphex(cfg_read(f, PIIX4_PMBA, 4), ==, 0x00000001);
    /* PMREGMISC: only PMIOSE. */
    cfg_write(f, PIIX4_PMREGMISC, 0xff, 1);
    g_assert_cmphex(cfg_read(f, PIIX4_PMREGMISC, 1), ==, 0x01);
    /* SMBBA: bits 15:4, bit 0 hardwired. */
    cfg_write(f, PIIX4_SMBBA, 0xffffffff, 4);
    g_assert_cmphex(cfg_read(f, PIIX4_SMBBA, 4), ==, 0x0000fff1);
    /* IDs are read-only. */
    cfg_write(f, PCI_VENDOR_ID, 0x12345678, 4);
    g_assert_cmphex(cfg_read(f, PCI_VENDOR_ID, 4), ==, 0x71138086);
}

static void test_pm_block_decode(Fixture *f, gconstpointer data)
{
    /* Nothing answers before PMIOSE. */
    g_assert_cmphex(in(f, PMBASE + PIIX4_PM1_CNT, 2), ==, 0xffff);
    cfg_write(f, PIIX4_PMBA, PMBASE | 1, 4);
    g_assert_cmphex(in(f, PMBASE + PIIX4_PM1_CNT, 2), ==, 0xffff);
    cfg_write(f, PIIX4_PMREGMISC, 1, 1);
    g_assert_cmpint(piix4_pm_io_base(f->pm), ==, PMBASE);
    g_assert_cmphex(in(f, PMBASE + PIIX4_PM1_CNT, 2), ==, 0);
    g_assert_cmphex(in(f, PMBASE + PIIX4_PM1_EN, 2), ==, 0);

    /* Move the block: the old address floats, the new one decodes. */
    out(f, PMBASE + PIIX4_PM1_EN, 2, ACPI_PM1_PWRBTN_EN);
    cfg_write(f, PIIX4_PMBA, 0xc041, 4);
    g_assert_cmpint(piix4_pm_io_base(f->pm), ==, 0xc040);
    g_assert_cmphex(in(f, PMBASE + PIIX4_PM1_EN, 2), ==, 0xffff);
    g_assert_cmphex(in(f, 0xc040 + PIIX4_PM1_EN, 2), ==, ACPI_PM1_PWRBTN_EN);

    /* PMIOSE off unmaps it. */
    cfg_write(f, PIIX4_PMREGMISC, 0, 1);
    g_assert_cmpint(piix4_pm_io_base(f->pm), ==, -1);
    g_assert_cmphex(in(f, 0xc040 + PIIX4_PM1_EN, 2), ==, 0xffff);
}

/* ---- APM and SCI_EN ---- */

static void test_apm_acpi_enable(Fixture *f, gconstpointer data)
{
    enable_pm_block(f, PMBASE);
    g_assert_cmphex(in(f, PMBASE + PIIX4_PM1_CNT, 2) & ACPI_PM1_CNT_SCI_EN, ==, 0);
    out(f, APM_CNT_PORT, 1, ACPI_ENABLE_CMD);
    g_assert_cmphex(in(f, PMBASE + PIIX4_PM1_CNT, 2) & ACPI_PM1_CNT_SCI_EN, ==, ACPI_PM1_CNT_SCI_EN);
    g_assert_true(piix4_pm_sci_enabled(f->pm));
    g_assert_cmphex(in(f, APM_CNT_PORT, 1), ==, ACPI_ENABLE_CMD);
    out(f, APM_CNT_PORT, 1, ACPI_DISABLE_CMD);
    g_assert_cmphex(in(f, PMBASE + PIIX4_PM1_CNT, 2) & ACPI_PM1_CNT_SCI_EN, ==, 0);
    /* Other commands would be SMIs: nothing changes. */
    out(f, APM_CNT_PORT, 1, 0x42);
    g_assert_cmphex(in(f, PMBASE + PIIX4_PM1_CNT, 2), ==, 0);
    g_assert_cmphex(in(f, APM_CNT_PORT, 1), ==, 0x42);
    /* The status port is a scratch register. */
    out(f, APM_STS_PORT, 1, 0x5a);
    g_assert_cmphex(in(f, APM_STS_PORT, 1), ==, 0x5a);
    /* A word write covers both. */
    out(f, APM_CNT_PORT, 2, 0xa5f1);
    g_assert_true(piix4_pm_sci_enabled(f->pm));
    g_assert_cmphex(in(f, APM_STS_PORT, 1), ==, 0xa5);
    /* The enable works while the PM block is not decoded too (hvmloader's order does not matter). */
    cfg_write(f, PIIX4_PMREGMISC, 0, 1);
    out(f, APM_CNT_PORT, 1, ACPI_DISABLE_CMD);
    g_assert_false(piix4_pm_sci_enabled(f->pm));
    out(f, APM_CNT_PORT, 1, ACPI_ENABLE_CMD);
    g_assert_true(piix4_pm_sci_enabled(f->pm));
}

/* ---- sleep ---- */

static void test_sleep_s5(Fixture *f, gconstpointer data)
{
    enable_pm_block(f, PMBASE);
    out(f, APM_CNT_PORT, 1, ACPI_ENABLE_CMD);
    /* SLP_TYP alone does nothing. */
    out(f, PMBASE + PIIX4_PM1_CNT, 2, ACPI_PM1_CNT_SCI_EN | (5 << ACPI_PM1_CNT_SLP_TYP_SHIFT));
    g_assert_cmpint(f->requests, ==, 0);
    g_assert_cmphex(in(f, PMBASE + PIIX4_PM1_CNT, 2), ==, ACPI_PM1_CNT_SCI_EN | (5 << 10));
    /* S5: SLP_TYP 0 | SLP_EN, as Linux and hvmloader's _S5 do it (one 16-bit write). */
    out(f, PMBASE + PIIX4_PM1_CNT, 2, ACPI_PM1_CNT_SCI_EN | ACPI_PM1_CNT_SLP_EN);
    g_assert_cmpint(f->requests, ==, 1);
    g_assert_cmpint(f->last_cause, ==, SHUTDOWN_CAUSE_GUEST_POWEROFF);
    /* SLP_EN is write-only. */
    g_assert_cmphex(in(f, PMBASE + PIIX4_PM1_CNT, 2), ==, ACPI_PM1_CNT_SCI_EN);
    /* Byte writes: the high byte carries SLP_EN. */
    out(f, PMBASE + PIIX4_PM1_CNT + 1, 1, ACPI_PM1_CNT_SLP_EN >> 8);
    g_assert_cmpint(f->requests, ==, 2);
    /* A 32-bit write at PM1_CNT reaches it as well. */
    out(f, PMBASE + PIIX4_PM1_CNT, 4, ACPI_PM1_CNT_SLP_EN);
    g_assert_cmpint(f->requests, ==, 3);
}

static void test_sleep_other_states(Fixture *f, gconstpointer data)
{
    enable_pm_block(f, PMBASE);
    /* S3 goes to the board's hook. */
    out(f, PMBASE + PIIX4_PM1_CNT, 2, (PIIX4_SLP_TYP_S3 << 10) | ACPI_PM1_CNT_SLP_EN);
    g_assert_cmpint(f->suspends, ==, 1);
    g_assert_cmpint(f->requests, ==, 0);
    /* S4 powers off. */
    out(f, PMBASE + PIIX4_PM1_CNT, 2, (PIIX4_SLP_TYP_S4_DEFAULT << 10) | ACPI_PM1_CNT_SLP_EN);
    g_assert_cmpint(f->requests, ==, 1);
    g_assert_cmpint(f->last_cause, ==, SHUTDOWN_CAUSE_GUEST_POWEROFF);
    /* Undefined types are refused. */
    for (unsigned typ = 3; typ < 8; typ++) {
        out(f, PMBASE + PIIX4_PM1_CNT, 2, (typ << 10) | ACPI_PM1_CNT_SLP_EN);
    }
    g_assert_cmpint(f->requests, ==, 1);
    g_assert_cmpint(f->suspends, ==, 1);
}

static void test_sleep_s3_without_hook(Fixture *f, gconstpointer data)
{
    enable_pm_block(f, PMBASE);
    out(f, PMBASE + PIIX4_PM1_CNT, 2, (PIIX4_SLP_TYP_S3 << 10) | ACPI_PM1_CNT_SLP_EN);
    g_assert_cmpint(f->requests, ==, 0);
    g_assert_cmpint(f->suspends, ==, 0);
}

/* ---- fixed events and SCI ---- */

static void test_pm1_events(Fixture *f, gconstpointer data)
{
    enable_pm_block(f, PMBASE);
    out(f, APM_CNT_PORT, 1, ACPI_ENABLE_CMD);

    piix4_pm_power_button(f->pm);
    g_assert_cmphex(in(f, PMBASE + PIIX4_PM1_STS, 2) & ACPI_PM1_PWRBTN_STS, ==, ACPI_PM1_PWRBTN_STS);
    g_assert_cmpint(f->sci_level, ==, 0);           /* not enabled yet */
    out(f, PMBASE + PIIX4_PM1_EN, 2, ACPI_PM1_PWRBTN_EN);
    g_assert_cmpint(f->sci_level, ==, 1);
    g_assert_true(piix4_pm_sci_level(f->pm));
    /* Writing 0 changes nothing; writing 1 clears. */
    out(f, PMBASE + PIIX4_PM1_STS, 2, 0);
    g_assert_cmpint(f->sci_level, ==, 1);
    out(f, PMBASE + PIIX4_PM1_STS + 1, 1, ACPI_PM1_PWRBTN_STS >> 8);
    g_assert_cmpint(f->sci_level, ==, 0);
    g_assert_cmphex(in(f, PMBASE + PIIX4_PM1_STS, 2) & ACPI_PM1_PWRBTN_STS, ==, 0);

    /* Reserved enable bits do not stick. */
    out(f, PMBASE + PIIX4_PM1_EN, 2, 0xffff);
    g_assert_cmphex(in(f, PMBASE + PIIX4_PM1_EN, 2), ==,
                    ACPI_PM1_TMR_EN | ACPI_PM1_GBL_EN | ACPI_PM1_PWRBTN_EN | ACPI_PM1_SLPBTN_EN | ACPI_PM1_RTC_EN);

    /* Wake status: no SCI of its own, cleared by writing 1. */
    out(f, PMBASE + PIIX4_PM1_EN, 2, 0);
    piix4_pm_wakeup(f->pm);
    g_assert_cmphex(in(f, PMBASE + PIIX4_PM1_STS, 2) & ACPI_PM1_WAK_STS, ==, ACPI_PM1_WAK_STS);
    g_assert_cmpint(f->sci_level, ==, 0);
    out(f, PMBASE + PIIX4_PM1_STS, 2, ACPI_PM1_WAK_STS);
    g_assert_cmphex(in(f, PMBASE + PIIX4_PM1_STS, 2) & ACPI_PM1_WAK_STS, ==, 0);
}

static void test_gpe0(Fixture *f, gconstpointer data)
{
    g_assert_cmphex(in(f, PIIX4_GPE0_BASE, 4), ==, 0);
    piix4_pm_raise_gpe(f->pm, 2);
    g_assert_cmphex(in(f, PIIX4_GPE0_BASE, 2), ==, 0x0004);
    g_assert_cmpint(f->sci_level, ==, 0);
    out(f, PIIX4_GPE0_BASE + 2, 2, 0x0004);
    g_assert_cmphex(in(f, PIIX4_GPE0_BASE + 2, 2), ==, 0x0004);
    g_assert_cmpint(f->sci_level, ==, 1);
    /* Status is write-1-to-clear, bytewise. */
    out(f, PIIX4_GPE0_BASE + 1, 1, 0xff);
    g_assert_cmpint(f->sci_level, ==, 1);
    out(f, PIIX4_GPE0_BASE, 1, 0x04);
    g_assert_cmpint(f->sci_level, ==, 0);
    g_assert_cmphex(in(f, PIIX4_GPE0_BASE, 4), ==, 0x00040000);
    /* High GPE bits work, out-of-range ones are ignored. */
    piix4_pm_raise_gpe(f->pm, 15);
    piix4_pm_raise_gpe(f->pm, 16);
    piix4_pm_raise_gpe(f->pm, 9999);
    g_assert_cmphex(in(f, PIIX4_GPE0_BASE, 2), ==, 0x8000);
    /* A dword write to the enable half hangs over the end of the block: the rest goes nowhere. */
    out(f, PIIX4_GPE0_BASE + 2, 4, 0xffffffff);
    g_assert_cmphex(in(f, PIIX4_GPE0_BASE + 2, 2), ==, 0xffff);
    g_assert_cmpint(f->sci_level, ==, 1);
    g_assert_cmphex(in(f, PIIX4_GPE0_BASE + 4, 1), ==, 0xff);
    out(f, PIIX4_GPE0_BASE + 3, 4, 0);
    g_assert_cmphex(in(f, PIIX4_GPE0_BASE + 2, 2), ==, 0x00ff);
}

/* ---- PM timer ---- */

static void test_pm_timer_counts(Fixture *f, gconstpointer data)
{
    uint32_t t0, t1;
    int64_t start = now_ns();

    enable_pm_block(f, PMBASE);
    t0 = (uint32_t)in(f, PMBASE + PIIX4_PM_TMR, 4);
    g_assert_cmphex(t0 & 0xff000000u, ==, 0);
    clock_virtual_advance_to(start + NANOSECONDS_PER_SECOND);
    t1 = (uint32_t)in(f, PMBASE + PIIX4_PM_TMR, 4);
    /* One second is 3579545 ticks, give or take the rounding of both readings. */
    g_assert_cmpuint((t1 - t0) & ACPI_PM_TIMER_MASK, >=, ACPI_PM_TIMER_FREQUENCY - 1);
    g_assert_cmpuint((t1 - t0) & ACPI_PM_TIMER_MASK, <=, ACPI_PM_TIMER_FREQUENCY + 1);
    /* Byte reads see the same counter (no time passes between them). */
    {
        uint32_t b = 0;
        for (int i = 0; i < 4; i++) {
            b |= (uint32_t)in(f, PMBASE + PIIX4_PM_TMR + i, 1) << (8 * i);
        }
        g_assert_cmphex(b, ==, t1);
    }
    /* Writes are ignored. */
    out(f, PMBASE + PIIX4_PM_TMR, 4, 0);
    g_assert_cmphex(in(f, PMBASE + PIIX4_PM_TMR, 4), ==, t1);
    /* The counter wraps at 24 bits: 2^24 ticks later it reads the same. */
    clock_virtual_advance_to(now_ns() + (int64_t)((1ull << 24) * 1000000000ull / ACPI_PM_TIMER_FREQUENCY) + 1);
    t0 = (uint32_t)in(f, PMBASE + PIIX4_PM_TMR, 4);
    g_assert_cmpuint((t0 - t1) & ACPI_PM_TIMER_MASK, <=, 1);
}

static void test_pm_timer_overflow_sci(Fixture *f, gconstpointer data)
{
    int64_t deadline;

    enable_pm_block(f, PMBASE);
    out(f, APM_CNT_PORT, 1, ACPI_ENABLE_CMD);
    /* Clear whatever an earlier test's clock left latched. */
    out(f, PMBASE + PIIX4_PM1_STS, 2, 0xffff);
    out(f, PMBASE + PIIX4_PM1_EN, 2, ACPI_PM1_TMR_EN);
    g_assert_cmpint(f->sci_level, ==, 0);
    deadline = clock_next_deadline(CLOCK_VIRTUAL);
    g_assert_cmpint(deadline, >, now_ns());
    /* The next bit-23 toggle is at most 2^23 ticks (~2.34 s) away. */
    g_assert_cmpint(deadline - now_ns(), <=, (int64_t)((1ull << 23) * 1000000000ull / ACPI_PM_TIMER_FREQUENCY) + 1);
    clock_virtual_advance_to(deadline - 1);
    g_assert_cmpint(f->sci_level, ==, 0);
    clock_virtual_advance_to(deadline);
    g_assert_cmpint(f->sci_level, ==, 1);
    g_assert_cmphex(in(f, PMBASE + PIIX4_PM1_STS, 2) & ACPI_PM1_TMR_STS, ==, ACPI_PM1_TMR_STS);
    /* Bit 23 of the counter just toggled. */
    g_assert_cmphex(in(f, PMBASE + PIIX4_PM_TMR, 4) & 0x7fffff, <=, 1);
    out(f, PMBASE + PIIX4_PM1_STS, 2, ACPI_PM1_TMR_STS);
    g_assert_cmpint(f->sci_level, ==, 0);
    /* Re-armed for the next toggle, 2^23 ticks on. */
    g_assert_cmpint(clock_next_deadline(CLOCK_VIRTUAL), >, deadline);
    /* With TMR_EN off, TMR_STS still latches but no timer runs and no SCI. */
    out(f, PMBASE + PIIX4_PM1_EN, 2, 0);
    g_assert_cmpint(clock_next_deadline(CLOCK_VIRTUAL), ==, -1);
    clock_virtual_advance_to(now_ns() + 3 * NANOSECONDS_PER_SECOND);
    g_assert_cmpint(f->sci_level, ==, 0);
    g_assert_cmphex(in(f, PMBASE + PIIX4_PM1_STS, 2) & ACPI_PM1_TMR_STS, ==, ACPI_PM1_TMR_STS);
    /* Enabling with the status latched raises the SCI at once. */
    out(f, PMBASE + PIIX4_PM1_EN, 2, ACPI_PM1_TMR_EN);
    g_assert_cmpint(f->sci_level, ==, 1);
}

static void test_pm_timer_absent(Fixture *f, gconstpointer data)
{
    enable_pm_block(f, PMBASE);
    g_assert_cmphex(in(f, PMBASE + PIIX4_PM_TMR, 4), ==, 0xffffffff);
    out(f, PMBASE + PIIX4_PM1_EN, 2, ACPI_PM1_TMR_EN);
    g_assert_cmpint(clock_next_deadline(CLOCK_VIRTUAL), ==, -1);
    clock_virtual_advance_to(now_ns() + 5 * NANOSECONDS_PER_SECOND);
    g_assert_cmphex(in(f, PMBASE + PIIX4_PM1_STS, 2) & ACPI_PM1_TMR_STS, ==, 0);
    g_assert_cmpint(f->sci_level, ==, 0);
    /* PM1_CNT still works: it is what the Xen board needs. */
    out(f, APM_CNT_PORT, 1, ACPI_ENABLE_CMD);
    g_assert_cmphex(in(f, PMBASE + PIIX4_PM1_CNT, 2), ==, ACPI_PM1_CNT_SCI_EN);
}

/* ---- hotplug registers ---- */

static void test_cpu_hotplug(Fixture *f, gconstpointer data)
{
    g_assert_cmphex(in(f, PIIX4_CPU_HOTPLUG_BASE, 1), ==, 0x07);
    g_assert_cmphex(in(f, PIIX4_CPU_HOTPLUG_BASE + 1, 1), ==, 0x00);
    g_assert_cmphex(in(f, PIIX4_CPU_HOTPLUG_BASE + 31, 1), ==, 0x00);
    out(f, PIIX4_GPE0_BASE + 2, 1, 1u << PIIX4_GPE_CPU_HOTPLUG);
    piix4_pm_set_cpu_present(f->pm, 9, true);
    g_assert_cmphex(in(f, PIIX4_CPU_HOTPLUG_BASE, 2), ==, 0x0207);
    g_assert_cmphex(in(f, PIIX4_GPE0_BASE, 1), ==, 1u << PIIX4_GPE_CPU_HOTPLUG);
    g_assert_cmpint(f->sci_level, ==, 1);
    /* The guest cannot rewrite the bitmap. */
    out(f, PIIX4_CPU_HOTPLUG_BASE, 4, 0);
    g_assert_cmphex(in(f, PIIX4_CPU_HOTPLUG_BASE, 2), ==, 0x0207);
    piix4_pm_set_cpu_present(f->pm, PIIX4_MAX_CPUS, true);   /* out of range: ignored */
    piix4_pm_set_cpu_present(f->pm, 255, true);
    g_assert_cmphex(in(f, PIIX4_CPU_HOTPLUG_BASE + 31, 1), ==, 0x80);
    /* PCI hotplug: nothing pending, nothing removable. */
    g_assert_cmphex(in(f, PIIX4_PCI_HOTPLUG_BASE, 4), ==, 0);
    g_assert_cmphex(in(f, PIIX4_PCI_HOTPLUG_BASE + 4, 4), ==, 0);
    g_assert_cmphex(in(f, PIIX4_PCI_HOTPLUG_BASE + 12, 4), ==, 0);
    out(f, PIIX4_PCI_HOTPLUG_BASE + 8, 4, 1u << 3);
}

/* ---- malformed programming ---- */

static void test_pmba_at_top_of_io_space(Fixture *f, gconstpointer data)
{
    enable_pm_block(f, 0xffff);
    g_assert_cmpint(piix4_pm_io_base(f->pm), ==, 0xffc0);
    out(f, APM_CNT_PORT, 1, ACPI_ENABLE_CMD);
    g_assert_cmphex(in(f, 0xffc0 + PIIX4_PM1_CNT, 2), ==, ACPI_PM1_CNT_SCI_EN);
    /* Accesses running off the end of the port space are refused, not a crash. */
    g_assert_cmphex(in(f, 0xfffe, 4) & 0xffff, ==, 0);
    out(f, 0xffff, 4, 0xffffffff);
    out(f, 0xffc0 + 0x3f, 2, 0xffff);
    g_assert_cmphex(in(f, 0xffc0 + 0x20, 4), ==, 0);
    /* A write with every bit set to every offset of the block: no sleep without SLP_EN's own byte... */
    for (unsigned off = 0; off < PIIX4_PM_IO_SIZE; off++) {
        if (off == PIIX4_PM1_CNT + 1) {
            continue;
        }
        out(f, 0xffc0 + off, 1, 0xff);
    }
    g_assert_cmpint(f->requests, ==, 0);
    /* ...and the base can be moved to 0 without disturbing anything we can see. */
    cfg_write(f, PIIX4_PMBA, 0, 4);
    g_assert_cmpint(piix4_pm_io_base(f->pm), ==, 0);
    cfg_write(f, PIIX4_PMREGMISC, 0, 1);
    g_assert_cmpint(piix4_pm_io_base(f->pm), ==, -1);
}

static void test_reset(Fixture *f, gconstpointer data)
{
    enable_pm_block(f, PMBASE);
    out(f, APM_CNT_PORT, 1, ACPI_ENABLE_CMD);
    out(f, PMBASE + PIIX4_PM1_EN, 2, ACPI_PM1_PWRBTN_EN);
    piix4_pm_power_button(f->pm);
    piix4_pm_set_cpu_present(f->pm, 4, true);
    g_assert_cmpint(f->sci_level, ==, 1);

    device_list_reset(f->m->devices, RESET_HARD);
    g_assert_cmpint(f->sci_level, ==, 0);
    g_assert_cmpint(piix4_pm_io_base(f->pm), ==, -1);
    g_assert_false(piix4_pm_sci_enabled(f->pm));
    g_assert_cmphex(cfg_read(f, PIIX4_PMBA, 4), ==, 1);
    g_assert_cmphex(in(f, PMBASE + PIIX4_PM1_CNT, 2), ==, 0xffff);
    g_assert_cmphex(in(f, PIIX4_GPE0_BASE, 4), ==, 0);
    /* A system reset keeps a hot-added CPU; power-on does not. */
    g_assert_cmphex(in(f, PIIX4_CPU_HOTPLUG_BASE, 1), ==, 0x17);
    device_list_reset(f->m->devices, RESET_POWER_ON);
    g_assert_cmphex(in(f, PIIX4_CPU_HOTPLUG_BASE, 1), ==, 0x07);
}

/* ---- save/load ---- */

static void test_save_load(Fixture *f, gconstpointer data)
{
    Fixture g;
    GByteArray *blob = g_byte_array_new();
    GError *err = NULL;
    uint16_t sts;

    enable_pm_block(f, 0xc000);
    out(f, APM_CNT_PORT, 1, ACPI_ENABLE_CMD);
    out(f, APM_STS_PORT, 1, 0x77);
    out(f, 0xc000 + PIIX4_PM1_EN, 2, ACPI_PM1_PWRBTN_EN | ACPI_PM1_TMR_EN);
    piix4_pm_power_button(f->pm);
    piix4_pm_raise_gpe(f->pm, 3);
    out(f, PIIX4_GPE0_BASE + 2, 2, 0x0008);
    piix4_pm_set_cpu_present(f->pm, 7, true);
    out(f, 0xc000 + PIIX4_PM1_CNT, 2, ACPI_PM1_CNT_SCI_EN | (3 << 10));
    sts = (uint16_t)in(f, 0xc000 + PIIX4_PM1_STS, 2);
    device_list_save(f->m->devices, blob);

    fixture_setup(&g, NULL);
    g_assert_true(device_list_load(g.m->devices, blob->data, blob->len, &err));
    g_assert_no_error(err);
    g_assert_cmpint(piix4_pm_io_base(g.pm), ==, 0xc000);
    g_assert_cmphex(in(&g, 0xc000 + PIIX4_PM1_CNT, 2), ==, ACPI_PM1_CNT_SCI_EN | (3 << 10));
    g_assert_cmphex(in(&g, 0xc000 + PIIX4_PM1_EN, 2), ==, ACPI_PM1_PWRBTN_EN | ACPI_PM1_TMR_EN);
    g_assert_cmphex(in(&g, 0xc000 + PIIX4_PM1_STS, 2) & ACPI_PM1_PWRBTN_STS, ==, ACPI_PM1_PWRBTN_STS);
    g_assert_cmphex(in(&g, APM_STS_PORT, 1), ==, 0x77);
    g_assert_cmphex(in(&g, APM_CNT_PORT, 1), ==, ACPI_ENABLE_CMD);
    g_assert_cmphex(in(&g, PIIX4_GPE0_BASE, 4), ==, 0x00080008 | (1u << PIIX4_GPE_CPU_HOTPLUG));
    g_assert_cmphex(in(&g, PIIX4_CPU_HOTPLUG_BASE, 1), ==, 0x87);
    g_assert_cmpint(g.sci_level, ==, 1);
    g_assert_cmphex(cfg_read(&g, PIIX4_PMBA, 4), ==, 0xc001);
    /* The timer is running again on the restored side. */
    g_assert_cmpint(clock_next_deadline(CLOCK_VIRTUAL), >, 0);

    /* A stream with a reserved PM1_EN bit is refused with a message. */
    {
        GByteArray *bad = g_byte_array_new();
        Fixture h;

        out(f, 0xc000 + PIIX4_PM1_EN, 2, 0);
        device_list_save(f->m->devices, bad);
        /* Find pm1_en (0x0000) after the PCI state: patch it by searching the saved pm1_sts/en/cnt triple. */
        {
            uint8_t pat[6] = { (uint8_t)sts, (uint8_t)(sts >> 8), 0, 0, 0x01, 0x0c };
            guint8 *hit = NULL;
            for (guint i = 0; i + sizeof(pat) <= bad->len; i++) {
                if (memcmp(bad->data + i, pat, sizeof(pat)) == 0) {
                    hit = bad->data + i;
                }
            }
            g_assert_nonnull(hit);
            hit[3] = 0x80;      /* PM1_EN bit 15: reserved */
        }
        fixture_setup(&h, NULL);
        g_assert_false(device_list_load(h.m->devices, bad->data, bad->len, &err));
        g_assert_nonnull(err);
        g_assert_nonnull(strstr(err->message, "PM1_EN"));
        g_clear_error(&err);
        fixture_teardown(&h, NULL);
        g_byte_array_free(bad, TRUE);
    }
    fixture_teardown(&g, NULL);
    g_byte_array_free(blob, TRUE);
}

static void test_create_errors(Fixture *f, gconstpointer data)
{
    PIIX4PMConfig cfg = { .cpus_present = PIIX4_MAX_CPUS + 1 };
    GError *err = NULL;

    g_assert_null(piix4_pm_create(f->m, f->bus, PCI_DEVFN(5, 0), &cfg, &err));
    g_assert_nonnull(err);
    g_clear_error(&err);
    cfg.cpus_present = 1;
    cfg.gpe0_base = 0xfffe;
    g_assert_null(piix4_pm_create(f->m, f->bus, PCI_DEVFN(5, 0), &cfg, &err));
    g_assert_nonnull(err);
    g_clear_error(&err);
    cfg.gpe0_base = 0;
    /* The devfn is taken. */
    g_assert_null(piix4_pm_create(f->m, f->bus, DEVFN, &cfg, &err));
    g_assert_nonnull(err);
    g_clear_error(&err);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    clock_set_manual(true);

#define ADD(name, opt, fn) g_test_add("/piix4-pm/" name, Fixture, opt, fixture_setup, fn, fixture_teardown)
    ADD("config/defaults", &opt_default, test_config_defaults);
    ADD("config/masks", &opt_default, test_config_masks);
    ADD("pm-block/decode", &opt_default, test_pm_block_decode);
    ADD("apm/acpi-enable", &opt_default, test_apm_acpi_enable);
    ADD("sleep/s5", &opt_default, test_sleep_s5);
    ADD("sleep/other-states", &opt_default, test_sleep_other_states);
    ADD("sleep/s3-without-hook", &opt_no_s3, test_sleep_s3_without_hook);
    ADD("pm1/events", &opt_default, test_pm1_events);
    ADD("gpe0", &opt_default, test_gpe0);
    ADD("timer/counts", &opt_default, test_pm_timer_counts);
    ADD("timer/overflow-sci", &opt_default, test_pm_timer_overflow_sci);
    ADD("timer/absent", &opt_xen, test_pm_timer_absent);
    ADD("hotplug", &opt_default, test_cpu_hotplug);
    ADD("malformed/pmba-top", &opt_default, test_pmba_at_top_of_io_space);
    ADD("reset", &opt_default, test_reset);
    ADD("save-load", &opt_default, test_save_load);
    ADD("create-errors", &opt_default, test_create_errors);
    return g_test_run();
}
