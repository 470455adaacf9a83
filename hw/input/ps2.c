/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * PS/2 keyboard and mouse.  References: IBM Personal System/2 Hardware
 * Interface Technical Reference, "Keyboard and Auxiliary Device
 * Controller" and "Keyboards (101- and 102-Key)" (commands, replies, scan
 * code sets, the controller's set 2 -> set 1 translation table); the
 * PS/2 mouse chapter of the same reference (stream/remote/wrap modes,
 * status request, packet format); Microsoft's IntelliMouse and
 * IntelliMouse Explorer extensions (sample-rate knock 200,100,80 -> ID 3,
 * 200,200,80 -> ID 4, the fourth packet byte) as Linux's psmouse probes them.
 */
#include "hw/input/ps2.h"

#include <glib.h>
#include <string.h>

#include "hw/core/log.h"

/* ---- the i8042's translation table (set 2 code -> set 1 code) ---- */

/*
 * Entries 0x00-0x7f of the controller's ROM table; 0x80-0xff translate to
 * themselves except 0x83 (F7) and 0x84 (Alt+SysRq), whose set 2 codes lie
 * above 0x7f.
 */
static const uint8_t xlate_low[128] = {
    /* 0x00 */ 0xff, 0x43, 0x41, 0x3f, 0x3d, 0x3b, 0x3c, 0x58, 0x64, 0x44, 0x42, 0x40, 0x3e, 0x0f, 0x29, 0x59,
    /* 0x10 */ 0x65, 0x38, 0x2a, 0x70, 0x1d, 0x10, 0x02, 0x5a, 0x66, 0x71, 0x2c, 0x1f, 0x1e, 0x11, 0x03, 0x5b,
    /* 0x20 */ 0x67, 0x2e, 0x2d, 0x20, 0x12, 0x05, 0x04, 0x5c, 0x68, 0x39, 0x2f, 0x21, 0x14, 0x13, 0x06, 0x5d,
    /* 0x30 */ 0x69, 0x31, 0x30, 0x23, 0x22, 0x15, 0x07, 0x5e, 0x6a, 0x72, 0x32, 0x24, 0x16, 0x08, 0x09, 0x5f,
    /* 0x40 */ 0x6b, 0x33, 0x25, 0x17, 0x18, 0x0b, 0x0a, 0x60, 0x6c, 0x34, 0x35, 0x26, 0x27, 0x19, 0x0c, 0x61,
    /* 0x50 */ 0x6d, 0x73, 0x28, 0x74, 0x1a, 0x0d, 0x62, 0x6e, 0x3a, 0x36, 0x1c, 0x1b, 0x75, 0x2b, 0x63, 0x76,
    /* 0x60 */ 0x55, 0x56, 0x77, 0x78, 0x79, 0x7a, 0x0e, 0x7b, 0x7c, 0x4f, 0x7d, 0x4b, 0x47, 0x7e, 0x7f, 0x6f,
    /* 0x70 */ 0x52, 0x53, 0x50, 0x4c, 0x4d, 0x48, 0x01, 0x45, 0x57, 0x4e, 0x51, 0x4a, 0x37, 0x49, 0x46, 0x54,
};

#define SET2_F7         0x83
#define SET2_SYSRQ      0x84

uint8_t ps2_translate_set2_to_set1(uint8_t code)
{
    if (code < 0x80) {
        return xlate_low[code];
    }
    if (code == SET2_F7) {
        return 0x41;
    }
    if (code == SET2_SYSRQ) {
        return 0x54;
    }
    return code;
}

uint8_t ps2_set1_to_set2(uint8_t code)
{
    if (code == 0 || code >= 0x80) {
        return 0;
    }
    /* The two keys with set 2 codes above 0x7f win over the table's duplicates below. */
    if (code == 0x41) {
        return SET2_F7;
    }
    if (code == 0x54) {
        return SET2_SYSRQ;
    }
    for (unsigned i = 1; i < 0x80; i++) {
        if (xlate_low[i] == code) {
            return (uint8_t)i;
        }
    }
    return 0;
}

/* ---- the byte queue towards the controller ---- */

typedef struct PS2Queue {
    uint8_t data[PS2_QUEUE_SIZE];
    uint8_t rptr;               /* PS2_QUEUE_SIZE is 256: the index wraps by itself */
    uint16_t count;
} PS2Queue;

G_STATIC_ASSERT(PS2_QUEUE_SIZE == 256);

static const StateField ps2_queue_fields[] = {
    STATE_BUFFER_FIELD(PS2Queue, data),
    STATE_U8(PS2Queue, rptr),
    STATE_U16(PS2Queue, count),
    STATE_FIELDS_END,
};

static const StateDescription ps2_queue_state = {
    .name = "ps2-queue",
    .version = 1,
    .min_version = 1,
    .fields = ps2_queue_fields,
};

static void q_clear(PS2Queue *q)
{
    q->rptr = 0;
    q->count = 0;
}

/* Room for `len` bytes if the queue may hold at most `limit`. */
static bool q_room(const PS2Queue *q, unsigned len, unsigned limit)
{
    return q->count + len <= limit;
}

static void q_push(PS2Queue *q, uint8_t b)
{
    if (q->count >= PS2_QUEUE_SIZE) {
        return;     /* a guest flooding commands without reading: drop the newest */
    }
    q->data[(uint8_t)(q->rptr + q->count)] = b;
    q->count++;
}

static uint8_t q_pop(PS2Queue *q)
{
    uint8_t b;

    if (q->count == 0) {
        return 0;
    }
    b = q->data[q->rptr++];
    q->count--;
    return b;
}

/* ---- keyboard ---- */

#define KBD_TYPEMATIC_DEFAULT   0x2b    /* 10.9 characters/s after 500 ms */

struct PS2Kbd {
    Device dev;
    PS2NotifyFn notify;
    void *opaque;
    uint32_t dropped;           /* plumbing: key events lost to a full queue */

    PS2Queue q;
    uint8_t pending_cmd;        /* command waiting for its parameter byte, 0 if none */
    uint8_t scancode_set;       /* 1, 2 or 3 */
    uint8_t leds;
    uint8_t typematic;
    bool scan_enabled;
    uint8_t last_sent;          /* for the resend command */
};

static void kbd_notify(PS2Kbd *k)
{
    if (k->q.count && k->notify) {
        k->notify(k->opaque);
    }
}

static void kbd_reply(PS2Kbd *k, uint8_t b)
{
    q_push(&k->q, b);
}

static void kbd_defaults(PS2Kbd *k)
{
    k->scancode_set = 2;
    k->typematic = KBD_TYPEMATIC_DEFAULT;
}

static void kbd_command(PS2Kbd *k, uint8_t cmd)
{
    switch (cmd) {
    case PS2_KBD_CMD_SET_LEDS:
    case PS2_KBD_CMD_SCANCODE:
    case PS2_KBD_CMD_TYPEMATIC:
        k->pending_cmd = cmd;
        kbd_reply(k, PS2_REPLY_ACK);
        break;
    case PS2_KBD_CMD_ECHO:
        kbd_reply(k, PS2_REPLY_ECHO);
        break;
    case PS2_KBD_CMD_IDENTIFY:
        kbd_reply(k, PS2_REPLY_ACK);
        kbd_reply(k, PS2_KBD_ID_0);
        kbd_reply(k, PS2_KBD_ID_1);
        break;
    case PS2_KBD_CMD_ENABLE:
        k->scan_enabled = true;
        kbd_reply(k, PS2_REPLY_ACK);
        break;
    case PS2_KBD_CMD_DISABLE:
        kbd_defaults(k);
        k->scan_enabled = false;
        kbd_reply(k, PS2_REPLY_ACK);
        break;
    case PS2_KBD_CMD_DEFAULT:
        kbd_defaults(k);
        k->scan_enabled = true;
        kbd_reply(k, PS2_REPLY_ACK);
        break;
    case 0xf7 ... 0xfd:
        /* Set 3 key-type commands: accepted, every key keeps make/break/typematic. */
        kbd_reply(k, PS2_REPLY_ACK);
        break;
    case PS2_KBD_CMD_RESEND:
        kbd_reply(k, k->last_sent);
        break;
    case PS2_KBD_CMD_RESET:
        q_clear(&k->q);
        kbd_defaults(k);
        k->leds = 0;
        k->scan_enabled = true;
        kbd_reply(k, PS2_REPLY_ACK);
        kbd_reply(k, PS2_REPLY_BAT_OK);
        break;
    default:
        guest_error("ps2-kbd: unknown command 0x%02x\n", cmd);
        kbd_reply(k, PS2_REPLY_RESEND);
        break;
    }
}

void ps2_kbd_write(PS2Kbd *k, uint8_t byte)
{
    uint8_t cmd = k->pending_cmd;

    /* A byte with bit 7 set is never a parameter: the pending command is abandoned for it. */
    if (cmd && !(byte & 0x80)) {
        k->pending_cmd = 0;
        switch (cmd) {
        case PS2_KBD_CMD_SET_LEDS:
            k->leds = byte & (PS2_LED_SCROLL_LOCK | PS2_LED_NUM_LOCK | PS2_LED_CAPS_LOCK);
            kbd_reply(k, PS2_REPLY_ACK);
            break;
        case PS2_KBD_CMD_SCANCODE:
            if (byte == 0) {
                kbd_reply(k, PS2_REPLY_ACK);
                kbd_reply(k, k->scancode_set);
            } else if (byte <= 3) {
                if (byte == 3) {
                    log_unimp("ps2-kbd: scan code set 3 selected; keys are sent in set 2\n");
                }
                k->scancode_set = byte;
                kbd_reply(k, PS2_REPLY_ACK);
            } else {
                kbd_reply(k, PS2_REPLY_RESEND);
            }
            break;
        case PS2_KBD_CMD_TYPEMATIC:
            k->typematic = byte;
            kbd_reply(k, PS2_REPLY_ACK);
            break;
        }
    } else {
        k->pending_cmd = 0;
        kbd_command(k, byte);
    }
    kbd_notify(k);
}

bool ps2_kbd_has_data(const PS2Kbd *k)
{
    return k->q.count != 0;
}

uint8_t ps2_kbd_read(PS2Kbd *k)
{
    if (!k->q.count) {
        return k->last_sent;
    }
    k->last_sent = q_pop(&k->q);
    return k->last_sent;
}

void ps2_kbd_put_keycode(PS2Kbd *k, unsigned keycode, bool down)
{
    uint8_t seq[3];
    unsigned n = 0;
    unsigned prefix = keycode >> 8;
    uint8_t code = keycode & 0xff;

    if ((prefix != 0 && prefix != 0xe0) || code == 0 || code >= 0x80) {
        log_unimp("ps2-kbd: key code 0x%x is not a PC/XT make code\n", keycode);
        return;
    }
    if (!k->scan_enabled) {
        return;
    }
    if (prefix) {
        seq[n++] = 0xe0;
    }
    if (k->scancode_set == 1) {
        seq[n++] = down ? code : (uint8_t)(code | 0x80);
    } else {
        uint8_t set2 = ps2_set1_to_set2(code);
        if (!set2) {
            return;
        }
        if (!down) {
            seq[n++] = 0xf0;
        }
        seq[n++] = set2;
    }
    /* A key sequence goes in whole or not at all (the keyboard's buffer is 16 bytes). */
    if (!q_room(&k->q, n, PS2_EVENT_QUEUE)) {
        k->dropped++;
        return;
    }
    for (unsigned i = 0; i < n; i++) {
        q_push(&k->q, seq[i]);
    }
    kbd_notify(k);
}

uint8_t ps2_kbd_leds(const PS2Kbd *k)
{
    return k->leds;
}

unsigned ps2_kbd_scancode_set(const PS2Kbd *k)
{
    return k->scancode_set;
}

static void kbd_reset(Device *dev, ResetKind kind)
{
    PS2Kbd *k = (PS2Kbd *)dev;

    q_clear(&k->q);
    k->pending_cmd = 0;
    kbd_defaults(k);
    k->leds = 0;
    k->scan_enabled = true;
    k->last_sent = 0;
}

static bool kbd_post_load(void *opaque, int version, GError **err)
{
    PS2Kbd *k = opaque;

    if (k->q.count > PS2_QUEUE_SIZE) {
        g_set_error(err, IOEMU_ERROR, 0, "ps2-kbd: queue count %u exceeds %u", k->q.count, PS2_QUEUE_SIZE);
        return false;
    }
    if (k->scancode_set < 1 || k->scancode_set > 3) {
        g_set_error(err, IOEMU_ERROR, 0, "ps2-kbd: scan code set %u does not exist", k->scancode_set);
        return false;
    }
    if (k->pending_cmd && k->pending_cmd != PS2_KBD_CMD_SET_LEDS && k->pending_cmd != PS2_KBD_CMD_SCANCODE &&
        k->pending_cmd != PS2_KBD_CMD_TYPEMATIC) {
        g_set_error(err, IOEMU_ERROR, 0, "ps2-kbd: 0x%02x is not a command with a parameter", k->pending_cmd);
        return false;
    }
    k->leds &= PS2_LED_SCROLL_LOCK | PS2_LED_NUM_LOCK | PS2_LED_CAPS_LOCK;
    kbd_notify(k);
    return true;
}

static const StateField kbd_fields[] = {
    STATE_STRUCT_FIELD(PS2Kbd, q, ps2_queue_state, PS2Queue),
    STATE_U8(PS2Kbd, pending_cmd),
    STATE_U8(PS2Kbd, scancode_set),
    STATE_U8(PS2Kbd, leds),
    STATE_U8(PS2Kbd, typematic),
    STATE_BOOL_FIELD(PS2Kbd, scan_enabled),
    STATE_U8(PS2Kbd, last_sent),
    STATE_FIELDS_END,
};

static const StateDescription kbd_state = {
    .name = "ps2-kbd",
    .version = 1,
    .min_version = 1,
    .fields = kbd_fields,
    .post_load = kbd_post_load,
};

static void ps2_free(Device *dev)
{
    g_free(dev);
}

static const DeviceClass kbd_class = {
    .name = "ps2-kbd",
    .reset = kbd_reset,
    .unrealize = ps2_free,
    .state = &kbd_state,
};

PS2Kbd *ps2_kbd_create(Machine *m, const char *id, PS2NotifyFn notify, void *opaque)
{
    PS2Kbd *k = g_new0(PS2Kbd, 1);

    k->notify = notify;
    k->opaque = opaque;
    kbd_reset(&k->dev, RESET_POWER_ON);
    device_register(m->devices, &k->dev, &kbd_class, id);
    return k;
}

/* ---- mouse ---- */

#define MOUSE_STATUS_RIGHT      0x01    /* status byte (command 0xe9), bits 2:0 */
#define MOUSE_STATUS_MIDDLE     0x02
#define MOUSE_STATUS_LEFT       0x04
#define MOUSE_STATUS_SCALE21    0x10
#define MOUSE_STATUS_ENABLED    0x20
#define MOUSE_STATUS_REMOTE     0x40
#define MOUSE_MODE_BITS         (MOUSE_STATUS_SCALE21 | MOUSE_STATUS_ENABLED | MOUSE_STATUS_REMOTE)

#define MOUSE_RATE_DEFAULT      100
#define MOUSE_RES_DEFAULT       2       /* 4 counts/mm */
#define MOUSE_ID_STANDARD       0
#define MOUSE_ID_IMPS2          3
#define MOUSE_ID_IMEX           4

/* Pending host motion is kept within this bound (a stuck host cannot overflow the accumulators). */
#define MOUSE_DELTA_LIMIT       (1 << 20)

#define PACKET_ALWAYS_ONE       0x08
#define PACKET_X_SIGN           0x10
#define PACKET_Y_SIGN           0x20

struct PS2Mouse {
    Device dev;
    PS2NotifyFn notify;
    void *opaque;

    PS2Queue q;
    uint8_t pending_cmd;        /* 0xe8 / 0xf3 waiting for the parameter, else 0 */
    uint8_t mode;               /* MOUSE_STATUS_{REMOTE,ENABLED,SCALE21} */
    uint8_t resolution;
    uint8_t sample_rate;
    bool wrap;
    uint8_t type;               /* MOUSE_ID_* */
    uint8_t knock;              /* progress through the IntelliMouse sample-rate sequences */
    int32_t dx, dy, dz;         /* motion not yet reported; dy positive up, dz positive towards the user */
    uint8_t buttons;            /* PS2_MOUSE_BUTTON_* */
    uint8_t last_sent;
};

static void mouse_notify(PS2Mouse *ms)
{
    if (ms->q.count && ms->notify) {
        ms->notify(ms->opaque);
    }
}

static int32_t clamp32(int32_t v, int32_t lo, int32_t hi)
{
    return v < lo ? lo : v > hi ? hi : v;
}

/* One movement packet, if `limit` leaves room for it; the reported motion is taken off the totals. */
static bool mouse_send_packet(PS2Mouse *ms, unsigned limit)
{
    unsigned len = ms->type == MOUSE_ID_STANDARD ? 3 : 4;
    int32_t dx, dy, dz = 0;
    uint8_t b0;

    if (!q_room(&ms->q, len, limit)) {
        return false;
    }
    /* Nine-bit two's complement per axis: the sign lives in the first byte. */
    dx = clamp32(ms->dx, -256, 255);
    dy = clamp32(ms->dy, -256, 255);
    b0 = PACKET_ALWAYS_ONE | (ms->buttons & (PS2_MOUSE_BUTTON_LEFT | PS2_MOUSE_BUTTON_RIGHT |
                                             PS2_MOUSE_BUTTON_MIDDLE));
    if (dx < 0) {
        b0 |= PACKET_X_SIGN;
    }
    if (dy < 0) {
        b0 |= PACKET_Y_SIGN;
    }
    q_push(&ms->q, b0);
    q_push(&ms->q, (uint8_t)dx);
    q_push(&ms->q, (uint8_t)dy);
    if (ms->type == MOUSE_ID_IMPS2) {
        dz = clamp32(ms->dz, -128, 127);
        q_push(&ms->q, (uint8_t)dz);
    } else if (ms->type == MOUSE_ID_IMEX) {
        dz = clamp32(ms->dz, -8, 7);
        q_push(&ms->q, (uint8_t)((dz & 0x0f) | ((ms->buttons & (PS2_MOUSE_BUTTON_SIDE | PS2_MOUSE_BUTTON_EXTRA))
                                                << 1)));
    }
    ms->dx -= dx;
    ms->dy -= dy;
    ms->dz -= dz;
    return true;
}

static void mouse_defaults(PS2Mouse *ms)
{
    ms->mode = 0;               /* stream mode, reporting off, 1:1 */
    ms->resolution = MOUSE_RES_DEFAULT;
    ms->sample_rate = MOUSE_RATE_DEFAULT;
    ms->dx = ms->dy = ms->dz = 0;
}

static void mouse_knock(PS2Mouse *ms, uint8_t rate)
{
    switch (ms->knock) {
    case 0:
        ms->knock = rate == 200 ? 1 : 0;
        break;
    case 1:
        ms->knock = rate == 100 ? 2 : rate == 200 ? 3 : 0;
        break;
    case 2:
        if (rate == 80) {
            ms->type = MOUSE_ID_IMPS2;
        }
        ms->knock = rate == 200 ? 1 : 0;
        break;
    case 3:
        if (rate == 80) {
            ms->type = MOUSE_ID_IMEX;
        }
        ms->knock = rate == 200 ? 1 : 0;
        break;
    default:
        ms->knock = 0;
        break;
    }
}

static void mouse_command(PS2Mouse *ms, uint8_t cmd)
{
    switch (cmd) {
    case PS2_MOUSE_CMD_SCALE11:
        ms->mode &= (uint8_t)~MOUSE_STATUS_SCALE21;
        q_push(&ms->q, PS2_REPLY_ACK);
        break;
    case PS2_MOUSE_CMD_SCALE21:
        ms->mode |= MOUSE_STATUS_SCALE21;
        q_push(&ms->q, PS2_REPLY_ACK);
        break;
    case PS2_MOUSE_CMD_SET_RES:
    case PS2_MOUSE_CMD_SET_RATE:
        ms->pending_cmd = cmd;
        q_push(&ms->q, PS2_REPLY_ACK);
        break;
    case PS2_MOUSE_CMD_STATUS: {
        uint8_t st = ms->mode;
        if (ms->buttons & PS2_MOUSE_BUTTON_LEFT) {
            st |= MOUSE_STATUS_LEFT;
        }
        if (ms->buttons & PS2_MOUSE_BUTTON_MIDDLE) {
            st |= MOUSE_STATUS_MIDDLE;
        }
        if (ms->buttons & PS2_MOUSE_BUTTON_RIGHT) {
            st |= MOUSE_STATUS_RIGHT;
        }
        q_push(&ms->q, PS2_REPLY_ACK);
        q_push(&ms->q, st);
        q_push(&ms->q, ms->resolution);
        q_push(&ms->q, ms->sample_rate);
        break;
    }
    case PS2_MOUSE_CMD_STREAM:
        ms->mode &= (uint8_t)~MOUSE_STATUS_REMOTE;
        q_push(&ms->q, PS2_REPLY_ACK);
        break;
    case PS2_MOUSE_CMD_READ:
        q_push(&ms->q, PS2_REPLY_ACK);
        mouse_send_packet(ms, PS2_QUEUE_SIZE);
        break;
    case PS2_MOUSE_CMD_RESET_WRAP:
        ms->wrap = false;
        q_push(&ms->q, PS2_REPLY_ACK);
        break;
    case PS2_MOUSE_CMD_WRAP:
        ms->wrap = true;
        q_push(&ms->q, PS2_REPLY_ACK);
        break;
    case PS2_MOUSE_CMD_REMOTE:
        ms->mode |= MOUSE_STATUS_REMOTE;
        q_push(&ms->q, PS2_REPLY_ACK);
        break;
    case PS2_MOUSE_CMD_GET_ID:
        q_push(&ms->q, PS2_REPLY_ACK);
        q_push(&ms->q, ms->type);
        break;
    case PS2_MOUSE_CMD_ENABLE:
        ms->mode |= MOUSE_STATUS_ENABLED;
        q_push(&ms->q, PS2_REPLY_ACK);
        break;
    case PS2_MOUSE_CMD_DISABLE:
        ms->mode &= (uint8_t)~MOUSE_STATUS_ENABLED;
        q_push(&ms->q, PS2_REPLY_ACK);
        break;
    case PS2_MOUSE_CMD_DEFAULT:
        mouse_defaults(ms);
        q_push(&ms->q, PS2_REPLY_ACK);
        break;
    case PS2_MOUSE_CMD_RESEND:
        q_push(&ms->q, ms->last_sent);
        break;
    case PS2_MOUSE_CMD_RESET:
        q_clear(&ms->q);
        mouse_defaults(ms);
        ms->wrap = false;
        ms->type = MOUSE_ID_STANDARD;
        ms->knock = 0;
        q_push(&ms->q, PS2_REPLY_ACK);
        q_push(&ms->q, PS2_REPLY_BAT_OK);
        q_push(&ms->q, MOUSE_ID_STANDARD);
        break;
    default:
        guest_error("ps2-mouse: unknown command 0x%02x\n", cmd);
        q_push(&ms->q, PS2_REPLY_RESEND);
        break;
    }
}

void ps2_mouse_write(PS2Mouse *ms, uint8_t byte)
{
    uint8_t cmd = ms->pending_cmd;

    if (cmd) {
        ms->pending_cmd = 0;
        if (cmd == PS2_MOUSE_CMD_SET_RES) {
            if (byte > 3) {
                guest_error("ps2-mouse: resolution %u out of range\n", byte);
                q_push(&ms->q, PS2_REPLY_RESEND);
            } else {
                ms->resolution = byte;
                q_push(&ms->q, PS2_REPLY_ACK);
            }
        } else {
            ms->sample_rate = byte;
            mouse_knock(ms, byte);
            q_push(&ms->q, PS2_REPLY_ACK);
        }
    } else if (ms->wrap && byte != PS2_MOUSE_CMD_RESET_WRAP && byte != PS2_MOUSE_CMD_RESET) {
        /* Wrap (echo) mode: everything but the two ways out comes straight back. */
        q_push(&ms->q, byte);
    } else {
        mouse_command(ms, byte);
    }
    mouse_notify(ms);
}

bool ps2_mouse_has_data(const PS2Mouse *ms)
{
    return ms->q.count != 0;
}

uint8_t ps2_mouse_read(PS2Mouse *ms)
{
    if (!ms->q.count) {
        return ms->last_sent;
    }
    ms->last_sent = q_pop(&ms->q);
    return ms->last_sent;
}

void ps2_mouse_event(PS2Mouse *ms, int dx, int dy, int dz, unsigned buttons)
{
    if (!(ms->mode & MOUSE_STATUS_ENABLED)) {
        return;     /* reporting off: motion is not accumulated (the guest will re-enable and resync) */
    }
    ms->buttons = (uint8_t)(buttons & 0x1f);
    ms->dx = clamp32(ms->dx + clamp32(dx, -MOUSE_DELTA_LIMIT, MOUSE_DELTA_LIMIT), -MOUSE_DELTA_LIMIT,
                     MOUSE_DELTA_LIMIT);
    ms->dy = clamp32(ms->dy - clamp32(dy, -MOUSE_DELTA_LIMIT, MOUSE_DELTA_LIMIT), -MOUSE_DELTA_LIMIT,
                     MOUSE_DELTA_LIMIT);
    ms->dz = clamp32(ms->dz + clamp32(dz, -MOUSE_DELTA_LIMIT, MOUSE_DELTA_LIMIT), -MOUSE_DELTA_LIMIT,
                     MOUSE_DELTA_LIMIT);
    if (ms->mode & MOUSE_STATUS_REMOTE) {
        return;     /* the guest polls with 0xeb */
    }
    /* Stream mode: at least one packet (the buttons may have changed), more while motion is left. */
    if (mouse_send_packet(ms, PS2_EVENT_QUEUE)) {
        while ((ms->dx || ms->dy || ms->dz) && mouse_send_packet(ms, PS2_EVENT_QUEUE)) {
        }
    }
    mouse_notify(ms);
}

unsigned ps2_mouse_type(const PS2Mouse *ms)
{
    return ms->type;
}

static void mouse_reset(Device *dev, ResetKind kind)
{
    PS2Mouse *ms = (PS2Mouse *)dev;

    q_clear(&ms->q);
    ms->pending_cmd = 0;
    mouse_defaults(ms);
    ms->wrap = false;
    ms->type = MOUSE_ID_STANDARD;
    ms->knock = 0;
    ms->buttons = 0;
    ms->last_sent = 0;
}

static bool mouse_post_load(void *opaque, int version, GError **err)
{
    PS2Mouse *ms = opaque;

    if (ms->q.count > PS2_QUEUE_SIZE) {
        g_set_error(err, IOEMU_ERROR, 0, "ps2-mouse: queue count %u exceeds %u", ms->q.count, PS2_QUEUE_SIZE);
        return false;
    }
    if (ms->pending_cmd && ms->pending_cmd != PS2_MOUSE_CMD_SET_RES && ms->pending_cmd != PS2_MOUSE_CMD_SET_RATE) {
        g_set_error(err, IOEMU_ERROR, 0, "ps2-mouse: 0x%02x is not a command with a parameter", ms->pending_cmd);
        return false;
    }
    if (ms->type != MOUSE_ID_STANDARD && ms->type != MOUSE_ID_IMPS2 && ms->type != MOUSE_ID_IMEX) {
        g_set_error(err, IOEMU_ERROR, 0, "ps2-mouse: device ID %u is not one this mouse has", ms->type);
        return false;
    }
    if (ms->resolution > 3 || ms->knock > 3 || (ms->mode & ~MOUSE_MODE_BITS)) {
        g_set_error(err, IOEMU_ERROR, 0, "ps2-mouse: resolution %u, knock %u or mode 0x%02x out of range",
                    ms->resolution, ms->knock, ms->mode);
        return false;
    }
    if (ms->dx < -MOUSE_DELTA_LIMIT || ms->dx > MOUSE_DELTA_LIMIT || ms->dy < -MOUSE_DELTA_LIMIT ||
        ms->dy > MOUSE_DELTA_LIMIT || ms->dz < -MOUSE_DELTA_LIMIT || ms->dz > MOUSE_DELTA_LIMIT) {
        g_set_error(err, IOEMU_ERROR, 0, "ps2-mouse: pending motion out of range");
        return false;
    }
    ms->buttons &= 0x1f;
    mouse_notify(ms);
    return true;
}

static const StateField mouse_fields[] = {
    STATE_STRUCT_FIELD(PS2Mouse, q, ps2_queue_state, PS2Queue),
    STATE_U8(PS2Mouse, pending_cmd),
    STATE_U8(PS2Mouse, mode),
    STATE_U8(PS2Mouse, resolution),
    STATE_U8(PS2Mouse, sample_rate),
    STATE_BOOL_FIELD(PS2Mouse, wrap),
    STATE_U8(PS2Mouse, type),
    STATE_U8(PS2Mouse, knock),
    STATE_I32(PS2Mouse, dx),
    STATE_I32(PS2Mouse, dy),
    STATE_I32(PS2Mouse, dz),
    STATE_U8(PS2Mouse, buttons),
    STATE_U8(PS2Mouse, last_sent),
    STATE_FIELDS_END,
};

static const StateDescription mouse_state = {
    .name = "ps2-mouse",
    .version = 1,
    .min_version = 1,
    .fields = mouse_fields,
    .post_load = mouse_post_load,
};

static const DeviceClass mouse_class = {
    .name = "ps2-mouse",
    .reset = mouse_reset,
    .unrealize = ps2_free,
    .state = &mouse_state,
};

PS2Mouse *ps2_mouse_create(Machine *m, const char *id, PS2NotifyFn notify, void *opaque)
{
    PS2Mouse *ms = g_new0(PS2Mouse, 1);

    ms->notify = notify;
    ms->opaque = opaque;
    mouse_reset(&ms->dev, RESET_POWER_ON);
    device_register(m->devices, &ms->dev, &mouse_class, id);
    return ms;
}
