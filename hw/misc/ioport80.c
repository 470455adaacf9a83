/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Port 0x80 and port 0xf0 sinks.  References: IBM PC AT Technical
 * Reference (port 0xf0 clears the 80287 busy/error latch, IRQ 13); the
 * POST-code convention of port 0x80 used by AT BIOSes, SeaBIOS and
 * hvmloader.  QEMU's pc machine has the same two sinks (reads 0xff).
 */
#include "hw/misc/ioport80.h"

#include <glib.h>

typedef struct IOPort80State {
    Device dev;
    Machine *m;
    IrqLine *ferr_irq;
    MemoryRegion *port80;
    MemoryRegion *portf0;
    uint8_t last_post_code;     /* plumbing, for debugging */
} IOPort80State;

static uint64_t sink_read(void *opaque, uint64_t offset, unsigned size)
{
    return ~0ull;
}

static void port80_write(void *opaque, uint64_t offset, uint64_t value, unsigned size)
{
    IOPort80State *s = opaque;
    s->last_post_code = (uint8_t)value;
}

static void portf0_write(void *opaque, uint64_t offset, uint64_t value, unsigned size)
{
    IOPort80State *s = opaque;
    irq_lower(s->ferr_irq);
}

static const RegionOps port80_ops = {
    .read = sink_read,
    .write = port80_write,
    .valid = { .min = 1, .max = 4, .unaligned = true },
    .impl = { .min = 1, .max = 4 },
};

static const RegionOps portf0_ops = {
    .read = sink_read,
    .write = portf0_write,
    .valid = { .min = 1, .max = 4, .unaligned = true },
    .impl = { .min = 1, .max = 4 },
};

static void ioport80_unrealize(Device *dev)
{
    IOPort80State *s = (IOPort80State *)dev;
    MemoryRegion *root = as_root(s->m->io);

    mr_del_subregion(root, s->port80);
    mr_del_subregion(root, s->portf0);
    mr_free(s->port80);
    mr_free(s->portf0);
    g_free(s);
}

static const DeviceClass ioport80_class = {
    .name = "ioport80",
    .unrealize = ioport80_unrealize,
};

void ioport80_create(Machine *m, IrqLine *ferr_irq)
{
    IOPort80State *s = g_new0(IOPort80State, 1);

    s->m = m;
    s->ferr_irq = ferr_irq;
    s->port80 = mr_new_io("ioport80", 1, &port80_ops, s);
    s->portf0 = mr_new_io("ioportF0", 1, &portf0_ops, s);
    mr_add_subregion(as_root(m->io), IOPORT80_PORT, s->port80, 0);
    mr_add_subregion(as_root(m->io), IOPORTF0_PORT, s->portf0, 0);
    device_register(m->devices, &s->dev, &ioport80_class, "ioport80");
}

uint8_t ioport80_last_post_code(Machine *m)
{
    Device *dev = device_find(m->devices, "ioport80");

    return dev && dev->cls == &ioport80_class ? ((IOPort80State *)dev)->last_post_code : 0;
}
