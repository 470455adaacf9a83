/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Intel 82C54 programmable interval timer at ports 0x40-0x43, plus the
 * PIIX3 NMI status and control register at port 0x61 (timer 2 gate,
 * speaker data, refresh toggle, OUT2).  Counters run at 1.193182 MHz of
 * CLOCK_VIRTUAL; counter 0's OUT drives `irq0` (ISA IRQ 0).
 */
#ifndef HW_TIMER_I8254_H
#define HW_TIMER_I8254_H

#include <stdbool.h>
#include <stdint.h>

#include "hw/core/machine.h"

#define PIT_FREQ_HZ 1193182

typedef struct PITState PITState;

/* Registers the device as "pit". irq0 may be NULL. */
PITState *i8254_create(Machine *m, IrqLine *irq0);

/* Level of counter `channel`'s OUT pin now (tests, speaker). */
bool i8254_get_out(PITState *s, int channel);

#endif
