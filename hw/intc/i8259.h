/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The PC's pair of Intel 8259A interrupt controllers as integrated in the
 * PIIX3: master at ports 0x20-0x21, slave at 0xa0-0xa1 cascaded on master
 * IR2, and the edge/level control registers (ELCR) at 0x4d0-0x4d1.
 *
 * Inputs 0-7 are the master's IR0-IR7, 8-15 the slave's.  The master's
 * INT output goes to `cpu_intr`; the CPU (or a test) acknowledges with
 * i8259_intack, which runs the two INTA cycles and returns the vector.
 */
#ifndef HW_INTC_I8259_H
#define HW_INTC_I8259_H

#include <stdbool.h>
#include <stdint.h>

#include "hw/core/machine.h"

#define I8259_NUM_INPUTS 16

typedef struct PICState PICState;

/* cpu_intr: INTR pin to the CPU (may be NULL). Registers the device as "pic". */
PICState *i8259_create(Machine *m, IrqLine *cpu_intr);
/* The 16 ISA IRQ input lines, owned by the PIC. */
IrqLine **i8259_inputs(PICState *s);
/* CPU interrupt acknowledge: returns the vector (a spurious request gives base + 7). */
int i8259_intack(PICState *s);
/* Level of the master's INT output. */
bool i8259_intr_pending(PICState *s);
/*
 * Set both ELCRs (bit n = ISA IRQ n level triggered); IRQ 0, 1, 2, 8 and
 * 13 are forced edge.  The value is also kept as the one reset restores.
 */
void i8259_set_elcr(PICState *s, uint16_t elcr);

#endif
