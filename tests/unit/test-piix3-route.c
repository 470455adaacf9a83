/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * PIIX3 PIRQ steering with a test-only PCI device: INTx goes through the
 * bus swizzle to a PIRQ, PIRQRC routes it to an ISA IRQ line (wired OR of
 * the PIRQs routed there), the route listener (Xen) hears each change,
 * and 0xcf9 asks the machine for a reset.  Library code only.
 */
#include <string.h>

#include <glib.h>

#include "hw/core/machine.h"
#include "hw/i386/piix3.h"
#include "hw/pci/pci.h"

typedef struct Fixture {
    Machine *m;
    PCIBus *bus;
    PIIX3State *piix3;
    IrqLine **isa;
    int level[PIIX3_NUM_ISA_IRQS];
    int changes;
    PCIDevice dev_a, dev_b;     /* slots 3 and 4, INTA# */
    int routes[PCI_NUM_PIRQS];
    int route_calls;
    int requests;
    ShutdownCause last_cause;
} Fixture;

static void isa_irq(void *opaque, int n, int level)
{
    Fixture *f = opaque;
    f->level[n] = level;
    f->changes++;
}

static void on_route(void *opaque, int pirq, int isa_irq)
{
    Fixture *f = opaque;
    f->routes[pirq] = isa_irq;
    f->route_calls++;
}

static void on_request(Machine *m, ShutdownCause cause, int exit_code)
{
    Fixture *f = m->board;
    f->requests++;
    f->last_cause = cause;
}

static void fixture_setup(Fixture *f, gconstpointer data)
{
    GError *err = NULL;

    memset(f, 0, sizeof(*f));
    f->m = machine_new(1ull << 32);
    f->m->board = f;
    f->m->hooks.request = on_request;
    f->bus = pci_bus_new(f->m);
    f->isa = irq_new_array(isa_irq, f, PIIX3_NUM_ISA_IRQS);
    f->piix3 = piix3_create(f->m, f->bus, f->isa, &err);
    g_assert_no_error(err);
    piix3_set_route_listener(f->piix3, on_route, f);
    g_assert_true(pci_device_init(&f->dev_a, f->bus, PCI_DEVFN(3, 0), NULL, &err));
    g_assert_true(pci_device_init(&f->dev_b, f->bus, PCI_DEVFN(4, 0), NULL, &err));
    pci_config_set_interrupt_pin(&f->dev_a, 1);
    pci_config_set_interrupt_pin(&f->dev_b, 1);
    device_list_reset(f->m->devices, RESET_POWER_ON);
}

static void fixture_teardown(Fixture *f, gconstpointer data)
{
    pci_device_exit(&f->dev_a);
    pci_device_exit(&f->dev_b);
    machine_free(f->m);           /* unrealizes the PIIX3 */
    pci_bus_free(f->bus);
    irq_free_array(f->isa, PIIX3_NUM_ISA_IRQS);
}

static void pirqrc(Fixture *f, int pirq, uint8_t v)
{
    pci_bus_config_write(f->bus, PIIX3_DEVFN, PIIX3_PIRQRC + pirq, v, 1);
}

static void test_route(Fixture *f, gconstpointer data)
{
    /* Slot 3 INTA# -> PIRQC; unrouted at reset, so nothing moves. */
    pci_set_irq(&f->dev_a, 1);
    g_assert_cmpint(f->changes, ==, 0);
    g_assert_cmpint(piix3_pirq_route(f->piix3, 2), ==, -1);

    /* Routing PIRQC to IRQ 11 delivers the level already asserted. */
    pirqrc(f, 2, 0x0b);
    g_assert_cmpint(piix3_pirq_route(f->piix3, 2), ==, 11);
    g_assert_cmpint(f->level[11], ==, 1);
    pci_set_irq(&f->dev_a, 0);
    g_assert_cmpint(f->level[11], ==, 0);
    pci_set_irq(&f->dev_a, 1);
    g_assert_cmpint(f->level[11], ==, 1);

    /* Re-routing moves the level: 11 drops, 10 rises. */
    pirqrc(f, 2, 0x0a);
    g_assert_cmpint(f->level[11], ==, 0);
    g_assert_cmpint(f->level[10], ==, 1);
    /* Disabling the route (bit 7) drops it. */
    pirqrc(f, 2, 0x8a);
    g_assert_cmpint(f->level[10], ==, 0);
}

static void test_shared_irq(Fixture *f, gconstpointer data)
{
    /* Slot 4 INTA# -> PIRQD.  Route PIRQC and PIRQD both to IRQ 5: wired OR. */
    pirqrc(f, 2, 0x05);
    pirqrc(f, 3, 0x05);
    pci_set_irq(&f->dev_a, 1);
    pci_set_irq(&f->dev_b, 1);
    g_assert_cmpint(f->level[5], ==, 1);
    pci_set_irq(&f->dev_a, 0);
    g_assert_cmpint(f->level[5], ==, 1);
    pci_set_irq(&f->dev_b, 0);
    g_assert_cmpint(f->level[5], ==, 0);

    /* Two devices on one PIRQ: slot 4 INTD# swizzles to (3 + 4 - 1) & 3 = PIRQC, as slot 3 INTA#. */
    pci_config_set_interrupt_pin(&f->dev_b, 4);
    pci_set_irq(&f->dev_a, 1);
    pci_set_irq(&f->dev_b, 1);
    pci_set_irq(&f->dev_a, 0);
    g_assert_cmpint(f->level[5], ==, 1);
    pci_set_irq(&f->dev_b, 0);
    g_assert_cmpint(f->level[5], ==, 0);
}

static void test_reserved_irqs(Fixture *f, gconstpointer data)
{
    static const int reserved[] = { 0, 1, 2, 8, 13 };

    pci_set_irq(&f->dev_a, 1);
    for (size_t i = 0; i < G_N_ELEMENTS(reserved); i++) {
        pirqrc(f, 2, (uint8_t)reserved[i]);
        g_assert_cmpint(piix3_pirq_route(f->piix3, 2), ==, -1);
        g_assert_cmpint(f->level[reserved[i]], ==, 0);
    }
    g_assert_cmpint(f->changes, ==, 0);
    g_assert_cmpint(piix3_pirq_route(f->piix3, -1), ==, -1);
    g_assert_cmpint(piix3_pirq_route(f->piix3, 4), ==, -1);
}

static void test_route_listener(Fixture *f, gconstpointer data)
{
    int calls = f->route_calls;

    pirqrc(f, 0, 0x09);
    g_assert_cmpint(f->route_calls, ==, calls + 1);
    g_assert_cmpint(f->routes[0], ==, 9);
    /* Same value again: no news. */
    pirqrc(f, 0, 0x09);
    g_assert_cmpint(f->route_calls, ==, calls + 1);
    /* Disabled and reserved both read as "no IRQ" (0). */
    pirqrc(f, 0, 0x89);
    g_assert_cmpint(f->routes[0], ==, 0);
    pirqrc(f, 1, 0x0d);
    g_assert_cmpint(f->routes[1], ==, 0);
    /* A dword write reports every PIRQ that changed. */
    calls = f->route_calls;
    pci_bus_config_write(f->bus, PIIX3_DEVFN, PIIX3_PIRQRC, 0x0f0e0b0a, 4);
    g_assert_cmpint(f->route_calls, ==, calls + 4);
    g_assert_cmpint(f->routes[0], ==, 10);
    g_assert_cmpint(f->routes[3], ==, 15);
    /* Reset disables them all and says so. */
    device_list_reset(f->m->devices, RESET_HARD);
    for (int i = 0; i < PCI_NUM_PIRQS; i++) {
        g_assert_cmpint(f->routes[i], ==, 0);
    }
}

static void test_reset_lowers(Fixture *f, gconstpointer data)
{
    pirqrc(f, 2, 0x0b);
    pci_set_irq(&f->dev_a, 1);
    g_assert_cmpint(f->level[11], ==, 1);
    device_list_reset(f->m->devices, RESET_HARD);
    g_assert_cmpint(f->level[11], ==, 0);
    g_assert_cmphex(pci_bus_config_read(f->bus, PIIX3_DEVFN, PIIX3_PIRQRC, 4), ==, 0x80808080);
}

static void test_state_restore(Fixture *f, gconstpointer data)
{
    GByteArray *saved = g_byte_array_new();
    GError *err = NULL;

    pirqrc(f, 2, 0x0b);
    piix3_rcr_write(f->piix3, 0x02);
    pci_set_irq(&f->dev_a, 1);
    device_save(&piix3_pci(f->piix3)->dev, saved);
    device_list_reset(f->m->devices, RESET_HARD);
    g_assert_cmpint(f->level[11], ==, 0);
    pci_set_irq(&f->dev_a, 1);      /* the device side is still asserting */
    g_assert_true(device_load(&piix3_pci(f->piix3)->dev, saved->data, saved->len, &err));
    g_assert_no_error(err);
    g_assert_cmpint(f->level[11], ==, 1);
    g_assert_cmphex(piix3_rcr_read(f->piix3), ==, 0x02);
    g_byte_array_free(saved, TRUE);
}

static void test_rcr(Fixture *f, gconstpointer data)
{
    piix3_rcr_write(f->piix3, 0x02);
    g_assert_cmphex(piix3_rcr_read(f->piix3), ==, 0x02);
    g_assert_cmpint(f->requests, ==, 0);
    piix3_rcr_write(f->piix3, 0xf9);     /* reserved bits do not stick, no RCPU: nothing */
    g_assert_cmphex(piix3_rcr_read(f->piix3), ==, 0x00);
    g_assert_cmpint(f->requests, ==, 0);
    piix3_rcr_write(f->piix3, 0x06);
    g_assert_cmpint(f->requests, ==, 1);
    g_assert_cmpint(f->last_cause, ==, SHUTDOWN_CAUSE_GUEST_RESET);
    /* Soft reset (RCPU without SRST) also resets: there is no separate INIT path. */
    piix3_rcr_write(f->piix3, 0x04);
    g_assert_cmpint(f->requests, ==, 2);

    /* Mapped on its own (boards without a host bridge decoding 0xcf8). */
    piix3_map_rcr(f->piix3);
    g_assert_true(as_write(f->m->io, PIIX3_RCR_PORT, 1, 0x06));
    g_assert_cmpint(f->requests, ==, 3);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
#define ADD(name, fn) g_test_add("/piix3/" name, Fixture, NULL, fixture_setup, fn, fixture_teardown)
    ADD("route", test_route);
    ADD("shared-irq", test_shared_irq);
    ADD("reserved-irqs", test_reserved_irqs);
    ADD("route-listener", test_route_listener);
    ADD("reset-lowers", test_reset_lowers);
    ADD("state-restore", test_state_restore);
    ADD("rcr", test_rcr);
    return g_test_run();
}
