/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * PS/2 keyboard and mouse: the devices at the far end of the i8042's two
 * serial ports.  Each holds a byte queue towards the controller; the
 * controller pulls one byte at a time (ps2_*_read) when its output buffer
 * is free and is told (notify) whenever bytes were queued.  Bytes from the
 * host (the guest's port 0x60 writes) arrive through ps2_*_write.
 *
 * The keyboard speaks scan code set 2 (set 1 on request); the controller
 * translates to set 1 when its command byte says so.  The mouse is a
 * standard PS/2 mouse that turns into an IntelliMouse (ID 3) or
 * IntelliMouse Explorer (ID 4) after the usual sample-rate knocks.
 *
 * Input injection (for a VNC server or tests):
 *   ps2_kbd_put_keycode(kbd, keycode, down)   keycode = PC/XT (set 1) make
 *       code 0x01-0x7f, or 0xe0XX for an E0-prefixed key
 *   ps2_mouse_event(mouse, dx, dy, dz, buttons)   relative motion with dy
 *       positive downwards (screen convention), dz positive = wheel towards
 *       the user, buttons = PS2_MOUSE_BUTTON_* bits
 */
#ifndef HW_INPUT_PS2_H
#define HW_INPUT_PS2_H

#include <stdbool.h>
#include <stdint.h>

#include "hw/core/machine.h"

/* Replies (IBM PS/2 Keyboard and Auxiliary Device Controller technical reference). */
#define PS2_REPLY_ACK           0xfa
#define PS2_REPLY_RESEND        0xfe
#define PS2_REPLY_BAT_OK        0xaa    /* basic assurance test passed */
#define PS2_REPLY_ECHO          0xee
#define PS2_KBD_ID_0            0xab    /* MF2 keyboard: 0xab 0x83 */
#define PS2_KBD_ID_1            0x83

/* Keyboard commands. */
#define PS2_KBD_CMD_SET_LEDS    0xed
#define PS2_KBD_CMD_ECHO        0xee
#define PS2_KBD_CMD_SCANCODE    0xf0
#define PS2_KBD_CMD_IDENTIFY    0xf2
#define PS2_KBD_CMD_TYPEMATIC   0xf3
#define PS2_KBD_CMD_ENABLE      0xf4
#define PS2_KBD_CMD_DISABLE     0xf5    /* default and disable scanning */
#define PS2_KBD_CMD_DEFAULT     0xf6    /* default and enable scanning */
#define PS2_KBD_CMD_RESEND      0xfe
#define PS2_KBD_CMD_RESET       0xff

/* Mouse commands. */
#define PS2_MOUSE_CMD_SCALE11   0xe6
#define PS2_MOUSE_CMD_SCALE21   0xe7
#define PS2_MOUSE_CMD_SET_RES   0xe8
#define PS2_MOUSE_CMD_STATUS    0xe9
#define PS2_MOUSE_CMD_STREAM    0xea
#define PS2_MOUSE_CMD_READ      0xeb
#define PS2_MOUSE_CMD_RESET_WRAP 0xec
#define PS2_MOUSE_CMD_WRAP      0xee
#define PS2_MOUSE_CMD_REMOTE    0xf0
#define PS2_MOUSE_CMD_GET_ID    0xf2
#define PS2_MOUSE_CMD_SET_RATE  0xf3
#define PS2_MOUSE_CMD_ENABLE    0xf4
#define PS2_MOUSE_CMD_DISABLE   0xf5
#define PS2_MOUSE_CMD_DEFAULT   0xf6
#define PS2_MOUSE_CMD_RESEND    0xfe
#define PS2_MOUSE_CMD_RESET     0xff

#define PS2_MOUSE_BUTTON_LEFT   0x01
#define PS2_MOUSE_BUTTON_RIGHT  0x02
#define PS2_MOUSE_BUTTON_MIDDLE 0x04
#define PS2_MOUSE_BUTTON_SIDE   0x08
#define PS2_MOUSE_BUTTON_EXTRA  0x10

/* Keyboard LED bits (command 0xed). */
#define PS2_LED_SCROLL_LOCK     0x01
#define PS2_LED_NUM_LOCK        0x02
#define PS2_LED_CAPS_LOCK       0x04

/* The byte queue: a device buffers at most this many bytes of input events ... */
#define PS2_EVENT_QUEUE         16
/* ... and up to this many in all (command replies have headroom). */
#define PS2_QUEUE_SIZE          256

typedef struct PS2Kbd PS2Kbd;
typedef struct PS2Mouse PS2Mouse;
typedef void (*PS2NotifyFn)(void *opaque);

/* Devices registered as id (e.g. "ps2-kbd"); notify is called after bytes were queued. */
PS2Kbd *ps2_kbd_create(Machine *m, const char *id, PS2NotifyFn notify, void *opaque);
PS2Mouse *ps2_mouse_create(Machine *m, const char *id, PS2NotifyFn notify, void *opaque);

/* Controller side. */
bool ps2_kbd_has_data(const PS2Kbd *k);
uint8_t ps2_kbd_read(PS2Kbd *k);                /* only when has_data */
void ps2_kbd_write(PS2Kbd *k, uint8_t byte);
bool ps2_mouse_has_data(const PS2Mouse *ms);
uint8_t ps2_mouse_read(PS2Mouse *ms);
void ps2_mouse_write(PS2Mouse *ms, uint8_t byte);

/* Host side. */
void ps2_kbd_put_keycode(PS2Kbd *k, unsigned keycode, bool down);
uint8_t ps2_kbd_leds(const PS2Kbd *k);
unsigned ps2_kbd_scancode_set(const PS2Kbd *k);
void ps2_mouse_event(PS2Mouse *ms, int dx, int dy, int dz, unsigned buttons);
/* 0 = standard, 3 = IntelliMouse, 4 = IntelliMouse Explorer. */
unsigned ps2_mouse_type(const PS2Mouse *ms);

/*
 * The i8042's set 2 -> set 1 translation (its ROM table; also the inverse
 * used to produce set 2 from PC/XT key codes).
 */
uint8_t ps2_translate_set2_to_set1(uint8_t code);
/* Set 2 code of a PC/XT (set 1) make code 0x01-0x7f; 0 if the key has none. */
uint8_t ps2_set1_to_set2(uint8_t code);

#endif
