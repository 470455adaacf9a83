/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Clocks and timers.
 *
 * CLOCK_VIRTUAL is guest time in nanoseconds: it runs with the host's
 * monotonic clock while the VM runs, stops while it is stopped, and under
 * the test protocol (-accel qtest) it only moves when clock_step/clock_set
 * move it.  CLOCK_HOST is the host's monotonic clock.
 *
 * Timers fire on the main loop thread (mainloop.h) with the device lock
 * held.  A timer callback may re-arm or delete any timer.
 */
#ifndef HW_CORE_CLOCK_H
#define HW_CORE_CLOCK_H

#include <stdbool.h>
#include <stdint.h>

typedef enum { CLOCK_VIRTUAL, CLOCK_HOST, CLOCK_COUNT } ClockType;

#define NANOSECONDS_PER_SECOND 1000000000LL

typedef struct Timer Timer;
typedef void (*TimerCallback)(void *opaque);

int64_t clock_get_ns(ClockType type);

/* Manual mode (qtest): the virtual clock only advances by clock_step/clock_set. */
void clock_set_manual(bool manual);
bool clock_is_manual(void);
/* Stop/start the virtual clock (VM stop/cont).  Starting continues from where it stopped. */
void clock_virtual_enable(bool running);
bool clock_virtual_is_running(void);
/* False for CLOCK_VIRTUAL in manual mode or while stopped: its timers wait. */
bool clock_timers_may_fire(ClockType type);
/*
 * Manual mode: advance to `target_ns`, firing every timer due on the way in
 * deadline order with the clock set to each deadline.  Returns the new time.
 */
int64_t clock_virtual_advance_to(int64_t target_ns);
/* Deadline of the earliest armed timer on `type`, or -1. */
int64_t clock_next_deadline(ClockType type);

Timer *timer_new(ClockType type, TimerCallback cb, void *opaque);
void timer_free(Timer *t);
void timer_mod(Timer *t, int64_t expire_ns);   /* absolute time on the timer's clock */
void timer_del(Timer *t);
bool timer_pending(const Timer *t);
int64_t timer_expire_time(const Timer *t);     /* -1 if not pending */

/* Fire all expired timers of all clocks (main loop calls this). Returns true if any fired. */
bool clock_run_timers(void);

#endif
