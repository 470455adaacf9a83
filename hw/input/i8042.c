/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * 8042 keyboard controller.  References: IBM Personal System/2 Hardware
 * Interface Technical Reference, "Keyboard and Auxiliary Device
 * Controller" (status register, command byte, commands 20h-FFh, input and
 * output ports, scan code translation); Intel 8042/8742 UPI data sheet for
 * the output-port pulse commands; the reset-through-the-keyboard-controller
 * convention (command 0xfe) every PC BIOS and OS uses.  Behaviour checked
 * against what SeaBIOS (src/hw/ps2port.c) and Linux (drivers/input/serio/
 * i8042.c, atkbd.c, psmouse) expect when probing.
 *
 * One output buffer is shared by the controller's own replies, the
 * keyboard and the mouse.  When it is empty it is refilled in that order
 * of priority; the status register says whose byte it is (AUX_OBF) and the
 * matching IRQ line is high while the byte waits and its interrupt is
 * enabled in the command byte.  Reading port 0x60 empties it (the line
 * drops) and refills it at once (the line rises again: a fresh edge).
 */
#include "hw/input/i8042.h"

#include <glib.h>
#include <string.h>

#include "hw/core/log.h"

#define I8042_RAM_SIZE          32
#define I8042_INPUT_PORT        0x80    /* bit 7: keyboard not inhibited */

struct I8042State {
    Device dev;
    Machine *m;
    IrqLine *kbd_irq;
    IrqLine *aux_irq;
    IrqLine *a20_out;
    MemoryRegion *data_io;
    MemoryRegion *cmd_io;
    PS2Kbd *kbd;
    PS2Mouse *mouse;

    /* Guest-visible state. */
    uint8_t ram[I8042_RAM_SIZE];    /* byte 0 is the command byte */
    uint8_t status;
    uint8_t outport;
    uint8_t obuf;                   /* last byte put in the output buffer (re-read while empty) */
    bool obuf_aux;                  /* it came from the mouse (or command 0xd3) */
    uint8_t write_cmd;              /* command whose data byte the next port 0x60 write is, or 0 */
    uint8_t ctrl_byte;              /* controller reply waiting for the output buffer */
    bool ctrl_pending;
    bool ctrl_aux;
    bool xlate_break;               /* translation saw 0xf0: the next code is a break */
};

#define CTR(s)  ((s)->ram[0])

static void update_irqs(I8042State *s)
{
    bool full = s->status & I8042_STR_OBF;

    irq_set(s->kbd_irq, full && !s->obuf_aux && (CTR(s) & I8042_CTR_KBD_INT));
    irq_set(s->aux_irq, full && s->obuf_aux && (CTR(s) & I8042_CTR_AUX_INT));
}

static void load_obuf(I8042State *s, uint8_t b, bool aux)
{
    s->obuf = b;
    s->obuf_aux = aux;
    s->status |= I8042_STR_OBF;
    if (aux) {
        s->status |= I8042_STR_AUX_OBF;
    } else {
        s->status &= (uint8_t)~I8042_STR_AUX_OBF;
    }
}

/* Next keyboard byte as the host sees it, or -1 (translation may swallow a 0xf0). */
static int pull_kbd(I8042State *s)
{
    while (ps2_kbd_has_data(s->kbd)) {
        uint8_t b = ps2_kbd_read(s->kbd);

        if (!(CTR(s) & I8042_CTR_XLATE)) {
            return b;
        }
        if (b == 0xf0) {
            s->xlate_break = true;
            continue;
        }
        b = ps2_translate_set2_to_set1(b);
        if (s->xlate_break) {
            b |= 0x80;
            s->xlate_break = false;
        }
        return b;
    }
    return -1;
}

static void refill(I8042State *s)
{
    if (!(s->status & I8042_STR_OBF)) {
        if (s->ctrl_pending) {
            s->ctrl_pending = false;
            load_obuf(s, s->ctrl_byte, s->ctrl_aux);
        } else {
            int b = -1;

            if (!(CTR(s) & I8042_CTR_KBD_DIS)) {
                b = pull_kbd(s);
            }
            if (b >= 0) {
                load_obuf(s, (uint8_t)b, false);
            } else if (!(CTR(s) & I8042_CTR_AUX_DIS) && ps2_mouse_has_data(s->mouse)) {
                load_obuf(s, ps2_mouse_read(s->mouse), true);
            }
        }
    }
    update_irqs(s);
}

static void ps2_notify(void *opaque)
{
    refill(opaque);
}

static void ctrl_reply(I8042State *s, uint8_t b, bool aux)
{
    /* A newer reply replaces one the guest never collected (a command flood stays one byte). */
    s->ctrl_byte = b;
    s->ctrl_aux = aux;
    s->ctrl_pending = true;
    refill(s);
}

static void set_a20(I8042State *s)
{
    irq_set(s->a20_out, !!(s->outport & I8042_OUT_A20));
}

static void write_outport(I8042State *s, uint8_t v)
{
    s->outport = v;
    set_a20(s);
    if (!(v & I8042_OUT_RESET)) {
        machine_request(s->m, SHUTDOWN_CAUSE_GUEST_RESET, 0);
    }
}

static void set_command_byte(I8042State *s, uint8_t v)
{
    CTR(s) = v;
    /* The system flag is mirrored into the status register. */
    if (v & I8042_CTR_SYS) {
        s->status |= I8042_STR_SYS;
    } else {
        s->status &= (uint8_t)~I8042_STR_SYS;
    }
    refill(s);
}

static uint8_t outport_value(const I8042State *s)
{
    uint8_t v = s->outport & (uint8_t)~(I8042_OUT_KBD_OBF | I8042_OUT_AUX_OBF);

    if (s->status & I8042_STR_OBF) {
        v |= s->obuf_aux ? I8042_OUT_AUX_OBF : I8042_OUT_KBD_OBF;
    }
    return v;
}

/* ---- port 0x64 ---- */

static void controller_command(I8042State *s, uint8_t cmd)
{
    s->status |= I8042_STR_CMD;
    s->write_cmd = 0;

    if (cmd >= I8042_CMD_READ_RAM && cmd < I8042_CMD_READ_RAM + I8042_RAM_SIZE) {
        ctrl_reply(s, s->ram[cmd - I8042_CMD_READ_RAM], false);
        return;
    }
    if (cmd >= I8042_CMD_WRITE_RAM && cmd < I8042_CMD_WRITE_RAM + I8042_RAM_SIZE) {
        s->write_cmd = cmd;
        return;
    }
    if (cmd >= I8042_CMD_PULSE) {
        /* Bits 3:0 clear = pulse that output line low; bit 0 is the CPU reset line. */
        if (!(cmd & I8042_OUT_RESET)) {
            machine_request(s->m, SHUTDOWN_CAUSE_GUEST_RESET, 0);
        }
        return;
    }
    switch (cmd) {
    case I8042_CMD_PWD_CHECK:
        ctrl_reply(s, I8042_NO_PASSWORD, false);
        break;
    case I8042_CMD_AUX_DISABLE:
        CTR(s) |= I8042_CTR_AUX_DIS;
        break;
    case I8042_CMD_AUX_ENABLE:
        CTR(s) &= (uint8_t)~I8042_CTR_AUX_DIS;
        refill(s);
        break;
    case I8042_CMD_AUX_TEST:
    case I8042_CMD_KBD_TEST:
        ctrl_reply(s, 0x00, false);     /* interface test: no clock or data line stuck */
        break;
    case I8042_CMD_SELF_TEST:
        s->status |= I8042_STR_SYS;
        ctrl_reply(s, I8042_SELF_TEST_OK, false);
        break;
    case I8042_CMD_KBD_DISABLE:
        CTR(s) |= I8042_CTR_KBD_DIS;
        update_irqs(s);
        break;
    case I8042_CMD_KBD_ENABLE:
        CTR(s) &= (uint8_t)~I8042_CTR_KBD_DIS;
        refill(s);
        break;
    case I8042_CMD_READ_INPUT:
        ctrl_reply(s, I8042_INPUT_PORT, false);
        break;
    case I8042_CMD_READ_OUTPUT:
        ctrl_reply(s, outport_value(s), false);
        break;
    case I8042_CMD_WRITE_OUTPUT:
    case I8042_CMD_WRITE_KBD_OBUF:
    case I8042_CMD_WRITE_AUX_OBUF:
    case I8042_CMD_WRITE_AUX:
        s->write_cmd = cmd;
        break;
    case I8042_CMD_DISABLE_A20:
        s->outport &= (uint8_t)~I8042_OUT_A20;
        set_a20(s);
        break;
    case I8042_CMD_ENABLE_A20:
        s->outport |= I8042_OUT_A20;
        set_a20(s);
        break;
    case I8042_CMD_READ_TEST:
        ctrl_reply(s, 0x00, false);
        break;
    default:
        guest_error("i8042: unknown controller command 0x%02x\n", cmd);
        break;
    }
}

/* ---- port 0x60 ---- */

static void data_write(I8042State *s, uint8_t v)
{
    uint8_t cmd = s->write_cmd;

    s->status &= (uint8_t)~I8042_STR_CMD;
    s->write_cmd = 0;
    if (cmd >= I8042_CMD_WRITE_RAM && cmd < I8042_CMD_WRITE_RAM + I8042_RAM_SIZE) {
        if (cmd == I8042_CMD_WRITE_RAM) {
            set_command_byte(s, v);
        } else {
            s->ram[cmd - I8042_CMD_WRITE_RAM] = v;
        }
        return;
    }
    switch (cmd) {
    case 0:
        /* A byte for the keyboard re-enables its interface, as sending it needs the clock line. */
        CTR(s) &= (uint8_t)~I8042_CTR_KBD_DIS;
        ps2_kbd_write(s->kbd, v);
        refill(s);
        break;
    case I8042_CMD_WRITE_OUTPUT:
        write_outport(s, v);
        break;
    case I8042_CMD_WRITE_KBD_OBUF:
        ctrl_reply(s, v, false);
        break;
    case I8042_CMD_WRITE_AUX_OBUF:
        ctrl_reply(s, v, true);
        break;
    case I8042_CMD_WRITE_AUX:
        CTR(s) &= (uint8_t)~I8042_CTR_AUX_DIS;
        ps2_mouse_write(s->mouse, v);
        refill(s);
        break;
    default:
        break;
    }
}

static uint8_t data_read(I8042State *s)
{
    uint8_t v = s->obuf;

    if (s->status & I8042_STR_OBF) {
        s->status &= (uint8_t)~(I8042_STR_OBF | I8042_STR_AUX_OBF);
        update_irqs(s);
        refill(s);
    }
    /* With nothing new, the last byte reads again (some DOS memory managers rely on it). */
    return v;
}

static uint64_t data_io_read(void *opaque, uint64_t offset, unsigned size)
{
    return data_read(opaque);
}

static void data_io_write(void *opaque, uint64_t offset, uint64_t value, unsigned size)
{
    data_write(opaque, (uint8_t)value);
}

static uint64_t cmd_io_read(void *opaque, uint64_t offset, unsigned size)
{
    I8042State *s = opaque;
    return s->status;
}

static void cmd_io_write(void *opaque, uint64_t offset, uint64_t value, unsigned size)
{
    controller_command(opaque, (uint8_t)value);
}

static const RegionOps data_ops = {
    .read = data_io_read,
    .write = data_io_write,
    .valid = { .min = 1, .max = 4, .unaligned = true },
    .impl = { .min = 1, .max = 1 },
};

static const RegionOps cmd_ops = {
    .read = cmd_io_read,
    .write = cmd_io_write,
    .valid = { .min = 1, .max = 4, .unaligned = true },
    .impl = { .min = 1, .max = 1 },
};

/* ---- life cycle ---- */

static void i8042_reset_hold(Device *dev, ResetKind kind)
{
    I8042State *s = (I8042State *)dev;

    irq_lower(s->kbd_irq);
    irq_lower(s->aux_irq);
}

static void i8042_reset(Device *dev, ResetKind kind)
{
    I8042State *s = (I8042State *)dev;

    memset(s->ram, 0, sizeof(s->ram));
    CTR(s) = I8042_CTR_KBD_INT | I8042_CTR_AUX_INT;
    s->status = I8042_STR_CMD | I8042_STR_UNLOCKED;
    s->outport = I8042_OUT_DEFAULT;
    s->obuf = 0;
    s->obuf_aux = false;
    s->write_cmd = 0;
    s->ctrl_byte = 0;
    s->ctrl_pending = false;
    s->ctrl_aux = false;
    s->xlate_break = false;
    set_a20(s);
    update_irqs(s);
}

static bool valid_write_cmd(uint8_t cmd)
{
    return cmd == 0 || (cmd >= I8042_CMD_WRITE_RAM && cmd < I8042_CMD_WRITE_RAM + I8042_RAM_SIZE) ||
           cmd == I8042_CMD_WRITE_OUTPUT || cmd == I8042_CMD_WRITE_KBD_OBUF || cmd == I8042_CMD_WRITE_AUX_OBUF ||
           cmd == I8042_CMD_WRITE_AUX;
}

static bool i8042_post_load(void *opaque, int version, GError **err)
{
    I8042State *s = opaque;

    if (!valid_write_cmd(s->write_cmd)) {
        g_set_error(err, IOEMU_ERROR, 0, "i8042: 0x%02x is not a command that takes a data byte", s->write_cmd);
        return false;
    }
    if ((s->status & I8042_STR_AUX_OBF) && !(s->status & I8042_STR_OBF)) {
        g_set_error(err, IOEMU_ERROR, 0, "i8042: status 0x%02x has AUX_OBF without OBF", s->status);
        return false;
    }
    s->status &= (uint8_t)~(I8042_STR_IBF | I8042_STR_TIMEOUT | I8042_STR_PARITY);
    if (s->status & I8042_STR_OBF) {
        s->obuf_aux = s->status & I8042_STR_AUX_OBF;
    }
    set_a20(s);
    /* The PS/2 devices load after us and pull their bytes in through notify. */
    refill(s);
    return true;
}

static const StateField i8042_fields[] = {
    STATE_U8_ARRAY(I8042State, ram, I8042_RAM_SIZE),
    STATE_U8(I8042State, status),
    STATE_U8(I8042State, outport),
    STATE_U8(I8042State, obuf),
    STATE_BOOL_FIELD(I8042State, obuf_aux),
    STATE_U8(I8042State, write_cmd),
    STATE_U8(I8042State, ctrl_byte),
    STATE_BOOL_FIELD(I8042State, ctrl_pending),
    STATE_BOOL_FIELD(I8042State, ctrl_aux),
    STATE_BOOL_FIELD(I8042State, xlate_break),
    STATE_FIELDS_END,
};

static const StateDescription i8042_state = {
    .name = "i8042",
    .version = 1,
    .min_version = 1,
    .fields = i8042_fields,
    .post_load = i8042_post_load,
};

static void i8042_unrealize(Device *dev)
{
    I8042State *s = (I8042State *)dev;
    MemoryRegion *root = as_root(s->m->io);

    mr_del_subregion(root, s->data_io);
    mr_del_subregion(root, s->cmd_io);
    mr_free(s->data_io);
    mr_free(s->cmd_io);
    g_free(s);
}

static const DeviceClass i8042_class = {
    .name = "i8042",
    .reset_hold = i8042_reset_hold,
    .reset = i8042_reset,
    .unrealize = i8042_unrealize,
    .state = &i8042_state,
};

I8042State *i8042_create(Machine *m, IrqLine *kbd_irq, IrqLine *aux_irq, IrqLine *a20_out)
{
    I8042State *s = g_new0(I8042State, 1);

    s->m = m;
    s->kbd_irq = kbd_irq;
    s->aux_irq = aux_irq;
    s->a20_out = a20_out;
    s->data_io = mr_new_io("i8042-data", 1, &data_ops, s);
    s->cmd_io = mr_new_io("i8042-cmd", 1, &cmd_ops, s);
    mr_add_subregion(as_root(m->io), I8042_DATA_PORT, s->data_io, 0);
    mr_add_subregion(as_root(m->io), I8042_CMD_PORT, s->cmd_io, 0);
    /* The controller first: it resets before, and is torn down after, its devices. */
    device_register(m->devices, &s->dev, &i8042_class, "i8042");
    s->kbd = ps2_kbd_create(m, "ps2-kbd", ps2_notify, s);
    s->mouse = ps2_mouse_create(m, "ps2-mouse", ps2_notify, s);
    i8042_reset(&s->dev, RESET_POWER_ON);
    return s;
}

PS2Kbd *i8042_kbd(I8042State *s)
{
    return s->kbd;
}

PS2Mouse *i8042_mouse(I8042State *s)
{
    return s->mouse;
}

bool i8042_a20_enabled(const I8042State *s)
{
    return s->outport & I8042_OUT_A20;
}
