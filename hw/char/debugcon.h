/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The Bochs/QEMU debug console ("isa-debugcon"): one write-only port whose
 * bytes go to a chardev.  Reading the port returns 0xe9, which firmware
 * (SeaBIOS, OVMF) uses to detect that the port is present.
 */
#ifndef HW_CHAR_DEBUGCON_H
#define HW_CHAR_DEBUGCON_H

#include <stdint.h>

#include "hw/core/machine.h"
#include "ui/chardev.h"

#define DEBUGCON_DEFAULT_IOBASE 0xe9
#define DEBUGCON_READBACK       0xe9

/* chr may be NULL (output discarded).  The device id is "debugcon" (or "debugcon-XXXX" away from 0xe9). */
void debugcon_create(Machine *m, uint16_t iobase, Chardev *chr);

#endif
