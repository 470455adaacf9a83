/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * System Control Port A at 0x92.  References: IBM PS/2 Hardware Interface
 * Technical Reference ("System Control Port A": bit 0 alternate hot reset,
 * bit 1 alternate gate A20); Intel 82371SB (PIIX3) datasheet, "Port 92
 * register" (same layout, reset value 00h).
 * The other bits (security lock, watchdog, disk activity lights) have no
 * function on a PC chipset; they read back as written, like QEMU's model.
 */
#include "hw/misc/port92.h"

#include <glib.h>

struct Port92State {
    Device dev;
    Machine *m;
    IrqLine *a20_out;
    MemoryRegion *region;
    uint8_t outport;
};

static uint64_t port92_read(void *opaque, uint64_t offset, unsigned size)
{
    Port92State *s = opaque;
    return s->outport;
}

static void port92_write(void *opaque, uint64_t offset, uint64_t value, unsigned size)
{
    Port92State *s = opaque;
    uint8_t old = s->outport;

    s->outport = (uint8_t)value;
    irq_set(s->a20_out, !!(s->outport & PORT92_A20));
    /* Alternate hot reset: a rising edge of bit 0 pulses the CPU reset. */
    if ((s->outport & PORT92_FAST_RESET) && !(old & PORT92_FAST_RESET)) {
        machine_request(s->m, SHUTDOWN_CAUSE_GUEST_RESET, 0);
    }
}

static const RegionOps port92_ops = {
    .read = port92_read,
    .write = port92_write,
    .valid = { .min = 1, .max = 1 },
    .impl = { .min = 1, .max = 1 },
};

static void port92_reset(Device *dev, ResetKind kind)
{
    Port92State *s = (Port92State *)dev;

    /*
     * The reset bit clears itself with the reset it caused; A20 keeps its
     * state across a fast reset (QEMU: only bit 0 is cleared), and power-on
     * starts with A20 masked.
     */
    if (kind == RESET_POWER_ON) {
        s->outport = 0;
    } else {
        s->outport &= (uint8_t)~PORT92_FAST_RESET;
    }
    irq_set(s->a20_out, !!(s->outport & PORT92_A20));
}

static const StateField port92_fields[] = {
    STATE_U8(Port92State, outport),
    STATE_FIELDS_END,
};

static bool port92_post_load(void *opaque, int version, GError **err)
{
    Port92State *s = opaque;
    irq_set(s->a20_out, !!(s->outport & PORT92_A20));
    return true;
}

static const StateDescription port92_state = {
    .name = "port92",
    .version = 1,
    .min_version = 1,
    .fields = port92_fields,
    .post_load = port92_post_load,
};

static void port92_unrealize(Device *dev)
{
    Port92State *s = (Port92State *)dev;

    mr_free(s->region);
    g_free(s);
}

static const DeviceClass port92_class = {
    .name = "port92",
    .reset = port92_reset,
    .unrealize = port92_unrealize,
    .state = &port92_state,
};

Port92State *port92_create(Machine *m, IrqLine *a20_out)
{
    Port92State *s = g_new0(Port92State, 1);

    s->m = m;
    s->a20_out = a20_out;
    s->region = mr_new_io("port92", 1, &port92_ops, s);
    mr_add_subregion(as_root(m->io), PORT92_IOBASE, s->region, 0);
    device_register(m->devices, &s->dev, &port92_class, "port92");
    return s;
}

bool port92_a20_enabled(const Port92State *s)
{
    return s->outport & PORT92_A20;
}
