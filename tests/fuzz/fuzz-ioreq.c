/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libFuzzer target: ioreq decoding.  The input is what a hostile guest (or
 * a broken hypervisor) could put in the shared pages, serviced by ioreq/
 * against a small machine with real devices behind it (i440FX and PIIX3
 * config space, a 16550 UART, guest RAM, an MMIO window):
 *
 *   byte 0 even: one synchronous request.  Bytes 1-32 are the ioreq_t
 *                (state forced to READY), the rest is the start of guest
 *                RAM (data_is_ptr copies read it).
 *   byte 0 odd:  one buffered page: bytes 1-8 the read/write pointers,
 *                the rest the slots.
 *
 * Build: `make fuzz`; run: build-fuzz/fuzz-ioreq [corpus dir].  `make check`
 * replays a generated corpus through the same entry point
 * (tests/unit/test-ioreq-fuzz.c).
 *
 * A rep count that is legal but long (the UART would take seconds for 16
 * MiB of single bytes) is cut to 8192 elements to keep the fuzzer fast;
 * counts past the bound still go through untouched, so the refusal path
 * is fuzzed too.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>

#include "hw/char/uart16550.h"
#include "hw/core/log.h"
#include "hw/core/machine.h"
#include "hw/i386/i440fx.h"
#include "hw/i386/piix3.h"
#include "hw/pci/pci.h"
#include "ioreq/ioreq.h"

#define FUZZ_RAM_SIZE       (1u << 20)
#define FUZZ_MMIO_BASE      0xa0000ull
#define FUZZ_MMIO_SIZE      0x1000
#define FUZZ_MAX_REP        8192u

typedef struct FuzzMachine {
    Machine *m;
    MemoryRegion *ram;
    MemoryRegion *mmio;
    uint8_t mmio_regs[FUZZ_MMIO_SIZE];
    PCIBus *bus;
    IrqLine **isa;
    IoreqHandlers h;
    buffered_iopage_t *bufpage;
    ioreq_t *slot;
} FuzzMachine;

static uint64_t fz_mmio_read(void *opaque, uint64_t off, unsigned size)
{
    FuzzMachine *f = opaque;
    uint64_t v = 0;

    for (unsigned i = 0; i < size; i++) {
        v |= (uint64_t)f->mmio_regs[off + i] << (8 * i);
    }
    return v;
}

static void fz_mmio_write(void *opaque, uint64_t off, uint64_t v, unsigned size)
{
    FuzzMachine *f = opaque;

    for (unsigned i = 0; i < size; i++) {
        f->mmio_regs[off + i] = (uint8_t)(v >> (8 * i));
    }
}

static const RegionOps fz_mmio_ops = {
    .read = fz_mmio_read,
    .write = fz_mmio_write,
    .valid = { .min = 1, .max = 8 },
    .impl = { .min = 1, .max = 8 },
};

static bool fz_ram_read(void *opaque, uint64_t gpa, void *buf, size_t len)
{
    FuzzMachine *f = opaque;

    if (gpa >= FUZZ_RAM_SIZE || len > FUZZ_RAM_SIZE - gpa) {
        return false;
    }
    memcpy(buf, (uint8_t *)mr_host_ptr(f->ram) + gpa, len);
    return true;
}

static bool fz_ram_write(void *opaque, uint64_t gpa, const void *buf, size_t len)
{
    FuzzMachine *f = opaque;

    if (gpa >= FUZZ_RAM_SIZE || len > FUZZ_RAM_SIZE - gpa) {
        return false;
    }
    memcpy((uint8_t *)mr_host_ptr(f->ram) + gpa, buf, len);
    return true;
}

static uint32_t fz_pci_read(void *opaque, uint32_t sbdf, uint32_t reg, unsigned size)
{
    FuzzMachine *f = opaque;

    if ((sbdf >> 8) || reg >= PCI_CONFIG_SPACE_SIZE) {
        return UINT32_MAX;
    }
    return pci_bus_config_read(f->bus, (int)(sbdf & 0xff), reg, size);
}

static void fz_pci_write(void *opaque, uint32_t sbdf, uint32_t reg, uint32_t value, unsigned size)
{
    FuzzMachine *f = opaque;

    if ((sbdf >> 8) || reg >= PCI_CONFIG_SPACE_SIZE) {
        return;
    }
    pci_bus_config_write(f->bus, (int)(sbdf & 0xff), reg, value, size);
}

static void fz_nothing(void *opaque)
{
}

static void fz_timeoffset(void *opaque, int64_t delta)
{
}

static void fz_irq(void *opaque, int n, int level)
{
}

static FuzzMachine *fuzz_machine(void)
{
    static FuzzMachine *f;
    GError *err = NULL;

    if (f) {
        return f;
    }
    log_mask = 0;
    f = g_new0(FuzzMachine, 1);
    f->m = machine_new(1ull << 40);
    f->ram = mr_new_ram("fuzz.ram", FUZZ_RAM_SIZE, NULL);
    mr_add_subregion(as_root(f->m->mem), 0, f->ram, 0);
    f->mmio = mr_new_io("fuzz.mmio", FUZZ_MMIO_SIZE, &fz_mmio_ops, f);
    mr_add_subregion(as_root(f->m->mem), FUZZ_MMIO_BASE, f->mmio, 1);
    f->isa = irq_new_array(fz_irq, f, 16);
    f->bus = pci_bus_new(f->m);
    if (!i440fx_create(f->m, f->bus, f->ram, FUZZ_RAM_SIZE, &err) ||
        !piix3_create(f->m, f->bus, f->isa, &err)) {
        abort();
    }
    uart_isa_create(f->m, "serial0", 0x3f8, f->isa[4], NULL);
    device_list_reset(f->m->devices, RESET_POWER_ON);
    f->h = (IoreqHandlers) {
        .io = f->m->io, .mem = f->m->mem,
        .ram_read = fz_ram_read, .ram_write = fz_ram_write,
        .pci_config_read = fz_pci_read, .pci_config_write = fz_pci_write,
        .invalidate = fz_nothing, .timeoffset = fz_timeoffset,
        .opaque = f,
    };
    f->bufpage = g_malloc0(sizeof(*f->bufpage));
    f->slot = g_malloc0(sizeof(*f->slot));
    return f;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    FuzzMachine *f = fuzz_machine();

    if (size < 1) {
        return 0;
    }
    if (!(data[0] & 1)) {
        ioreq_t req;
        size_t ram_len;

        if (size < 1 + sizeof(req)) {
            return 0;
        }
        memcpy(&req, data + 1, sizeof(req));
        req.state = STATE_IOREQ_READY;
        if ((uint64_t)req.count * req.size <= IOREQ_MAX_REP_BYTES && req.count > FUZZ_MAX_REP) {
            req.count = FUZZ_MAX_REP;
        }
        ram_len = MIN(size - 1 - sizeof(req), (size_t)FUZZ_RAM_SIZE);
        memcpy(mr_host_ptr(f->ram), data + 1 + sizeof(req), ram_len);
        *f->slot = req;
        if (ioreq_slot_service(f->slot, 0, &f->h, NULL)) {
            /* A serviced slot is answered; nothing else about it changed. */
            if (f->slot->state != STATE_IORESP_READY || f->slot->addr != req.addr ||
                f->slot->count != req.count || f->slot->type != req.type) {
                abort();
            }
        }
    } else {
        size_t n = MIN(size - 1, sizeof(*f->bufpage));

        memset(f->bufpage, 0, sizeof(*f->bufpage));
        memcpy(f->bufpage, data + 1, n);
        ioreq_bufring_drain(f->bufpage, &f->h, 4 * IOREQ_BUFFER_SLOT_NUM);
    }
    return 0;
}
