/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * System Control Port A (port 0x92, "fast A20 and reset"), as the PIIX3
 * and later south bridges implement it: bit 0 is a fast reset (a 0 -> 1
 * write resets the machine), bit 1 the A20 gate.
 */
#ifndef HW_MISC_PORT92_H
#define HW_MISC_PORT92_H

#include <stdbool.h>

#include "hw/core/irq.h"
#include "hw/core/machine.h"

#define PORT92_IOBASE       0x92
#define PORT92_FAST_RESET   0x01
#define PORT92_A20          0x02

typedef struct Port92State Port92State;

/* a20_out (may be NULL) follows bit 1; the CPU side may also poll port92_a20_enabled. */
Port92State *port92_create(Machine *m, IrqLine *a20_out);
bool port92_a20_enabled(const Port92State *s);

#endif
