/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Motorola MC146818A real-time clock and CMOS RAM: index port 0x70 (bit 7,
 * the NMI mask, is ignored), data port 0x71; 128 bytes of which 0x00-0x0d
 * are the clock (time, alarm, registers A-D) and 0x32 is the PC century
 * byte; ports 0x72-0x73 reach a second 128-byte bank.  IRQ 8 output.
 *
 * The clock starts from the host's UTC time at creation and then runs on
 * CLOCK_VIRTUAL, so under qtest it only moves with clock_step.
 */
#ifndef HW_TIMER_MC146818RTC_H
#define HW_TIMER_MC146818RTC_H

#include <stdint.h>

#include "hw/core/machine.h"

#define RTC_CMOS_SIZE   128

typedef struct RTCState RTCState;

/*
 * Registers the device as "rtc".  base_year: the year the year register
 * counts from; 2000 means "the century byte holds the century" (QEMU's
 * convention, so year 2024 is year 0x24, century 0x20).
 */
RTCState *rtc_create(Machine *m, IrqLine *irq8, int base_year);
/* Board access to CMOS bytes 0-127, and 128-255 for the upper bank. */
void rtc_set_cmos(RTCState *s, unsigned index, uint8_t value);
uint8_t rtc_get_cmos(RTCState *s, unsigned index);

#endif
