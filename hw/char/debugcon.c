/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Debug console port: every byte written is passed to the chardev as is;
 * reads return the readback value 0xe9.  No guest-visible state beyond
 * that, so there is nothing to save.
 */
#include "hw/char/debugcon.h"

#include <glib.h>

typedef struct DebugconState {
    Device dev;
    Chardev *chr;
    MemoryRegion *region;
    MemoryRegion *container;
} DebugconState;

static uint64_t debugcon_read(void *opaque, uint64_t offset, unsigned size)
{
    return DEBUGCON_READBACK;
}

static void debugcon_write(void *opaque, uint64_t offset, uint64_t value, unsigned size)
{
    DebugconState *s = opaque;
    uint8_t ch = value;

    if (s->chr) {
        chardev_write(s->chr, &ch, 1);
    }
}

/* One byte-wide port, as QEMU declares it: wider accesses are refused (they read all-ones). */
static const RegionOps debugcon_ops = {
    .read = debugcon_read,
    .write = debugcon_write,
    .valid = { .min = 1, .max = 1 },
    .impl = { .min = 1, .max = 1 },
};

static void debugcon_unrealize(Device *dev)
{
    DebugconState *s = (DebugconState *)dev;

    if (mr_is_mapped(s->region)) {
        mr_del_subregion(s->container, s->region);
    }
    mr_free(s->region);
    g_free(s);
}

static const DeviceClass debugcon_class = {
    .name = "isa-debugcon",
    .unrealize = debugcon_unrealize,
};

void debugcon_create(Machine *m, uint16_t iobase, Chardev *chr)
{
    DebugconState *s = g_new0(DebugconState, 1);
    g_autofree char *id = iobase == DEBUGCON_DEFAULT_IOBASE ? g_strdup("debugcon")
                                                            : g_strdup_printf("debugcon-%04x", iobase);

    s->chr = chr;
    s->region = mr_new_io("isa-debugcon", 1, &debugcon_ops, s);
    s->container = as_root(m->io);
    mr_add_subregion(s->container, iobase, s->region, 0);
    device_register(m->devices, &s->dev, &debugcon_class, id);
}
