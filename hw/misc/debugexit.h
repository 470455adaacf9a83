/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * isa-debug-exit: a port range whose writes end the emulator.  Writing v
 * (at any offset, 1-4 bytes) requests exit status (v << 1) | 1, so a test
 * guest can report pass/fail through the process status while a normal
 * exit (0) stays distinguishable.
 */
#ifndef HW_MISC_DEBUGEXIT_H
#define HW_MISC_DEBUGEXIT_H

#include <stdint.h>

#include "hw/core/machine.h"

#define DEBUGEXIT_DEFAULT_IOBASE 0x501
#define DEBUGEXIT_DEFAULT_IOSIZE 2

/* iosize 0 means the default (2).  Device id "isa-debug-exit". */
void debugexit_create(Machine *m, uint16_t iobase, uint16_t iosize);

#endif
