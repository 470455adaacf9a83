/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The PC keyboard controller (Intel 8042 / IBM PS/2 "keyboard and
 * auxiliary device controller") at ports 0x60 (data) and 0x64
 * (status/command), with a PS/2 keyboard on its first port (IRQ 1) and a
 * PS/2 mouse on its second (IRQ 12).  Its output port drives the A20 gate
 * and the CPU reset line: command 0xfe (or 0xd1 with bit 0 clear) resets
 * the machine (machine_request(GUEST_RESET)).
 */
#ifndef HW_INPUT_I8042_H
#define HW_INPUT_I8042_H

#include <stdbool.h>
#include <stdint.h>

#include "hw/core/irq.h"
#include "hw/core/machine.h"
#include "hw/input/ps2.h"

#define I8042_DATA_PORT         0x60
#define I8042_CMD_PORT          0x64    /* read: status */
#define I8042_KBD_IRQ           1
#define I8042_AUX_IRQ           12

/* Status register. */
#define I8042_STR_OBF           0x01    /* output buffer full */
#define I8042_STR_IBF           0x02    /* input buffer full (never: we take bytes at once) */
#define I8042_STR_SYS           0x04    /* system flag */
#define I8042_STR_CMD           0x08    /* last write went to port 0x64 */
#define I8042_STR_UNLOCKED      0x10    /* keyboard not inhibited by the keylock */
#define I8042_STR_AUX_OBF       0x20    /* the output buffer holds mouse data */
#define I8042_STR_TIMEOUT       0x40
#define I8042_STR_PARITY        0x80

/* Command byte (controller RAM byte 0). */
#define I8042_CTR_KBD_INT       0x01
#define I8042_CTR_AUX_INT       0x02
#define I8042_CTR_SYS           0x04
#define I8042_CTR_IGNKEYLOCK    0x08
#define I8042_CTR_KBD_DIS       0x10
#define I8042_CTR_AUX_DIS       0x20
#define I8042_CTR_XLATE         0x40

/* Controller commands. */
#define I8042_CMD_READ_RAM      0x20    /* 0x20-0x3f: read RAM byte n (0 = command byte) */
#define I8042_CMD_WRITE_RAM     0x60    /* 0x60-0x7f: write RAM byte n */
#define I8042_CMD_PWD_CHECK     0xa4
#define I8042_CMD_AUX_DISABLE   0xa7
#define I8042_CMD_AUX_ENABLE    0xa8
#define I8042_CMD_AUX_TEST      0xa9
#define I8042_CMD_SELF_TEST     0xaa
#define I8042_CMD_KBD_TEST      0xab
#define I8042_CMD_KBD_DISABLE   0xad
#define I8042_CMD_KBD_ENABLE    0xae
#define I8042_CMD_READ_INPUT    0xc0
#define I8042_CMD_READ_OUTPUT   0xd0
#define I8042_CMD_WRITE_OUTPUT  0xd1
#define I8042_CMD_WRITE_KBD_OBUF 0xd2
#define I8042_CMD_WRITE_AUX_OBUF 0xd3
#define I8042_CMD_WRITE_AUX     0xd4
#define I8042_CMD_DISABLE_A20   0xdd
#define I8042_CMD_ENABLE_A20    0xdf
#define I8042_CMD_READ_TEST     0xe0
#define I8042_CMD_PULSE         0xf0    /* 0xf0-0xff: pulse output port bits 3:0 that are 0 in the command */
#define I8042_CMD_RESET         0xfe

#define I8042_SELF_TEST_OK      0x55
#define I8042_NO_PASSWORD       0xf1

/* Output port. */
#define I8042_OUT_RESET         0x01    /* 0 = CPU held in reset */
#define I8042_OUT_A20           0x02
#define I8042_OUT_KBD_OBF       0x10
#define I8042_OUT_AUX_OBF       0x20
#define I8042_OUT_DEFAULT       0xcf    /* reset line high, A20 on, clock/data lines idle */

typedef struct I8042State I8042State;

/*
 * Map ports 0x60 and 0x64 and create the PS/2 devices ("ps2-kbd",
 * "ps2-mouse").  The IRQ lines follow the output buffer (level while a
 * byte waits and its interrupt is enabled); a20_out follows output port
 * bit 1.  Any of the lines may be NULL.
 */
I8042State *i8042_create(Machine *m, IrqLine *kbd_irq, IrqLine *aux_irq, IrqLine *a20_out);

PS2Kbd *i8042_kbd(I8042State *s);
PS2Mouse *i8042_mouse(I8042State *s);
bool i8042_a20_enabled(const I8042State *s);

#endif
