/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Intel 82371SB PIIX3, function 0 (PCI-to-ISA bridge).  References: Intel
 * 82371FB (PIIX) and 82371SB (PIIX3) PCI ISA IDE Xcelerator datasheet
 * (order 290550): "PCI to ISA Bridge Configuration Registers" (function 0
 * register summary and reset values, PIRQRC[A:D]), "Reset Control
 * Register" (port 0xcf9) and "PCI Interrupt Steering" (each PIRQx# routed
 * to an ISA IRQ as a shared level-triggered line, ORed per IRQ).
 */
#include "hw/i386/piix3.h"

#include <string.h>

#include "hw/core/log.h"

/* IRQ0-2, IRQ8 and IRQ13 cannot take a PIRQ (PIRQRC bits 3:0, "reserved" encodings). */
#define PIRQ_RESERVED_IRQS  ((1u << 0) | (1u << 1) | (1u << 2) | (1u << 8) | (1u << 13))

struct PIIX3State {
    PCIDevice pci;
    Machine *m;
    IrqLine **isa_irqs;
    uint16_t isa_levels;        /* levels this bridge drives on each ISA IRQ (plumbing) */
    uint8_t rcr;                /* reset control register, SRST bit */
    MemoryRegion *rcr_region;   /* only with piix3_map_rcr */
    PIIX3RouteFn route_fn;
    void *route_opaque;
};

int piix3_pirq_route(PIIX3State *s, int pirq)
{
    uint8_t v;
    int irq;

    if (pirq < 0 || pirq >= PCI_NUM_PIRQS) {
        return -1;
    }
    v = s->pci.config[PIIX3_PIRQRC + pirq];
    if (v & PIIX3_PIRQRC_DISABLE) {
        return -1;
    }
    irq = v & PIIX3_PIRQRC_IRQ_MASK;
    if (PIRQ_RESERVED_IRQS & (1u << irq)) {
        return -1;
    }
    return irq;
}

/* Recompute every ISA IRQ this bridge drives: the OR of the PIRQ lines routed to it. */
static void piix3_update_irqs(PIIX3State *s)
{
    uint16_t levels = 0;

    for (int pirq = 0; pirq < PCI_NUM_PIRQS; pirq++) {
        int irq = piix3_pirq_route(s, pirq);
        if (irq >= 0 && pci_bus_pirq_level(s->pci.bus, pirq)) {
            levels |= (uint16_t)(1u << irq);
        }
    }
    for (int irq = 0; irq < PIIX3_NUM_ISA_IRQS; irq++) {
        uint16_t bit = (uint16_t)(1u << irq);
        if ((levels ^ s->isa_levels) & bit) {
            irq_set(s->isa_irqs ? s->isa_irqs[irq] : NULL, !!(levels & bit));
        }
    }
    s->isa_levels = levels;
}

static void piix3_set_pirq(void *opaque, int pirq, int level)
{
    piix3_update_irqs(opaque);
}

static void piix3_notify_routes(PIIX3State *s, const uint8_t old[PCI_NUM_PIRQS])
{
    if (!s->route_fn) {
        return;
    }
    for (int pirq = 0; pirq < PCI_NUM_PIRQS; pirq++) {
        if (old[pirq] != s->pci.config[PIIX3_PIRQRC + pirq]) {
            int irq = piix3_pirq_route(s, pirq);
            s->route_fn(s->route_opaque, pirq, irq < 0 ? 0 : irq);
        }
    }
}

static void piix3_config_write(PCIDevice *d, unsigned addr, uint32_t value, unsigned len)
{
    PIIX3State *s = (PIIX3State *)d;
    uint8_t old[PCI_NUM_PIRQS];

    memcpy(old, d->config + PIIX3_PIRQRC, sizeof(old));
    pci_default_config_write(d, addr, value, len);
    if (memcmp(old, d->config + PIIX3_PIRQRC, sizeof(old)) != 0) {
        piix3_update_irqs(s);
        piix3_notify_routes(s, old);
    }
}

static const PCIDeviceOps piix3_pci_ops = {
    .config_write = piix3_config_write,
};

/* ---- reset control register (port 0xcf9) ---- */

uint8_t piix3_rcr_read(void *opaque)
{
    PIIX3State *s = opaque;
    return s->rcr;
}

void piix3_rcr_write(void *opaque, uint8_t value)
{
    PIIX3State *s = opaque;

    if (value & PIIX3_RCR_RCPU) {
        /*
         * SRST selects a hard reset (PCIRST# and CPURST) or a soft one
         * (INIT only).  Without a separate INIT path both reset the
         * machine, as QEMU does; the front end decides what that means.
         */
        if (!(value & PIIX3_RCR_SRST)) {
            log_unimp("piix3: soft reset through 0xcf9 treated as a system reset\n");
        }
        s->rcr = 0;
        machine_request(s->m, SHUTDOWN_CAUSE_GUEST_RESET, 0);
        return;
    }
    s->rcr = value & PIIX3_RCR_SRST;
}

static uint64_t rcr_region_read(void *opaque, uint64_t offset, unsigned size)
{
    return piix3_rcr_read(opaque);
}

static void rcr_region_write(void *opaque, uint64_t offset, uint64_t value, unsigned size)
{
    piix3_rcr_write(opaque, (uint8_t)value);
}

static const RegionOps rcr_ops = {
    .read = rcr_region_read,
    .write = rcr_region_write,
    .valid = { .min = 1, .max = 1 },
    .impl = { .min = 1, .max = 1 },
};

void piix3_map_rcr(PIIX3State *s)
{
    if (!s->rcr_region) {
        s->rcr_region = mr_new_io("piix3-rcr", 1, &rcr_ops, s);
        mr_add_subregion(as_root(s->m->io), PIIX3_RCR_PORT, s->rcr_region, 1);
    }
}

/* ---- life cycle ---- */

/* Function 0 reset values, datasheet 2.2 (register summary). */
static const struct {
    uint8_t offset;
    uint8_t value;
} piix3_reset_values[] = {
    { 0x4c, 0x4d },     /* IORT: ISA I/O recovery timer */
    { 0x4e, 0x03 },     /* XBCS: BIOS chip select (0xE0000-0xFFFFF, RTC, keyboard) */
    { 0x60, 0x80 }, { 0x61, 0x80 }, { 0x62, 0x80 }, { 0x63, 0x80 },   /* PIRQRC[A:D]: routing disabled */
    { 0x69, 0x02 },     /* TOM: top of memory 2 MiB */
    { 0x70, 0x80 },     /* MBIRQ0: disabled */
    { 0x71, 0x80 },     /* MBIRQ1: disabled */
    { 0x76, 0x0c },     /* MBDMA0 */
    { 0x77, 0x0c },     /* MBDMA1 */
    { 0x78, 0x02 },     /* PCSC: programmable chip select */
    { 0xa0, 0x08 },     /* SMICNTL */
    { 0xa8, 0x0f },     /* FTMR: fast off timer */
};

static void piix3_reset(Device *dev, ResetKind kind)
{
    PIIX3State *s = (PIIX3State *)dev;
    uint8_t *c = s->pci.config;
    uint8_t old[PCI_NUM_PIRQS];

    memcpy(old, c + PIIX3_PIRQRC, sizeof(old));
    pci_device_reset(&s->pci);
    memset(c + PCI_CONFIG_HEADER_SIZE, 0, PCI_CONFIG_SPACE_SIZE - PCI_CONFIG_HEADER_SIZE);
    /* PCICMD 0007h: IO, memory and bus master hardwired on; PCISTS 0200h: DEVSEL medium. */
    pci_set_word(c + PCI_COMMAND, PCI_COMMAND_IO | PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
    pci_set_word(c + PCI_STATUS, PCI_STATUS_DEVSEL_MEDIUM);
    for (size_t i = 0; i < G_N_ELEMENTS(piix3_reset_values); i++) {
        c[piix3_reset_values[i].offset] = piix3_reset_values[i].value;
    }
    s->rcr = 0;
    piix3_update_irqs(s);
    piix3_notify_routes(s, old);
}

static bool piix3_post_load(void *opaque, int version, GError **err)
{
    PIIX3State *s = opaque;

    s->rcr &= PIIX3_RCR_SRST;
    piix3_update_irqs(s);
    return true;
}

static const StateField piix3_fields[] = {
    STATE_STRUCT_FIELD(PIIX3State, pci, pci_device_state, PCIDevice),
    STATE_U8(PIIX3State, rcr),
    STATE_FIELDS_END,
};

static const StateDescription piix3_state = {
    .name = "piix3",
    .version = 1,
    .min_version = 1,
    .fields = piix3_fields,
    .post_load = piix3_post_load,
};

static void piix3_unrealize(Device *dev)
{
    PIIX3State *s = (PIIX3State *)dev;

    pci_bus_set_irq_routing(s->pci.bus, NULL, NULL, NULL);
    pci_device_exit(&s->pci);
    mr_free(s->rcr_region);
    g_free(s);
}

static const DeviceClass piix3_class = {
    .name = "piix3",
    .reset = piix3_reset,
    .unrealize = piix3_unrealize,
    .state = &piix3_state,
};

PIIX3State *piix3_create(Machine *m, PCIBus *bus, IrqLine **isa_irqs, GError **err)
{
    PIIX3State *s = g_new0(PIIX3State, 1);
    uint8_t *wmask;

    if (!pci_device_init(&s->pci, bus, PIIX3_DEVFN, &piix3_pci_ops, err)) {
        g_free(s);
        return NULL;
    }
    s->m = m;
    s->isa_irqs = isa_irqs;
    pci_config_set_ids(&s->pci, PIIX3_VENDOR_ID, PIIX3_DEVICE_ID, 0x00, 0x060100);
    s->pci.config[PCI_HEADER_TYPE] = PCI_HEADER_TYPE_MULTI_FUNCTION;  /* IDE and USB are functions 1, 2 */

    wmask = s->pci.wmask;
    pci_set_word(wmask + PCI_COMMAND, PCI_COMMAND_SPECIAL);   /* only SCE is programmable */
    wmask[PCI_CACHE_LINE_SIZE] = 0;
    wmask[PCI_LATENCY_TIMER] = 0;
    wmask[PCI_INTERRUPT_LINE] = 0;
    pci_set_word(s->pci.w1cmask + PCI_STATUS, PCI_STATUS_SIG_TARGET_ABORT | PCI_STATUS_REC_TARGET_ABORT |
                 PCI_STATUS_REC_MASTER_ABORT);
    for (int i = 0; i < PCI_NUM_PIRQS; i++) {
        wmask[PIIX3_PIRQRC + i] = PIIX3_PIRQRC_DISABLE | PIIX3_PIRQRC_IRQ_MASK;  /* bits 6:4 reserved */
    }

    pci_bus_set_irq_routing(bus, pci_swizzle_piix, piix3_set_pirq, s);
    device_register(m->devices, &s->pci.dev, &piix3_class, "piix3");
    return s;
}

void piix3_set_route_listener(PIIX3State *s, PIIX3RouteFn fn, void *opaque)
{
    s->route_fn = fn;
    s->route_opaque = opaque;
}

PCIDevice *piix3_pci(PIIX3State *s)
{
    return &s->pci;
}
