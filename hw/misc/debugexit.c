/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * isa-debug-exit (QEMU semantics): a write of value v asks the machine to
 * exit with code (v << 1) | 1 (SHUTDOWN_CAUSE_GUEST_EXIT); the front end
 * decides how (the standalone binary exits with that status).  Reads have
 * nothing to return and float high.
 */
#include "hw/misc/debugexit.h"

#include <glib.h>

typedef struct DebugExitState {
    Device dev;
    Machine *machine;
    MemoryRegion *region;
} DebugExitState;

static uint64_t debugexit_read(void *opaque, uint64_t offset, unsigned size)
{
    return ~0ull;
}

static void debugexit_write(void *opaque, uint64_t offset, uint64_t value, unsigned size)
{
    DebugExitState *s = opaque;
    uint32_t code = ((uint32_t)value << 1) | 1;

    /* The status a process can report is 8 bits anyway; keep the full value for the front end. */
    machine_request(s->machine, SHUTDOWN_CAUSE_GUEST_EXIT, (int)code);
}

static const RegionOps debugexit_ops = {
    .read = debugexit_read,
    .write = debugexit_write,
    .valid = { .min = 1, .max = 4, .unaligned = true },
    .impl = { .min = 1, .max = 4 },
};

static void debugexit_unrealize(Device *dev)
{
    DebugExitState *s = (DebugExitState *)dev;

    if (mr_is_mapped(s->region)) {
        mr_del_subregion(as_root(s->machine->io), s->region);
    }
    mr_free(s->region);
    g_free(s);
}

static const DeviceClass debugexit_class = {
    .name = "isa-debug-exit",
    .unrealize = debugexit_unrealize,
};

void debugexit_create(Machine *m, uint16_t iobase, uint16_t iosize)
{
    DebugExitState *s = g_new0(DebugExitState, 1);

    s->machine = m;
    s->region = mr_new_io("isa-debug-exit", iosize ? iosize : DEBUGEXIT_DEFAULT_IOSIZE, &debugexit_ops, s);
    mr_add_subregion(as_root(m->io), iobase, s->region, 0);
    device_register(m->devices, &s->dev, &debugexit_class, "isa-debug-exit");
}
