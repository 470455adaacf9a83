/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The device thread's main loop, on glib's default GMainContext.
 *
 * One lock (the "device lock") serialises all device code.  The main loop
 * thread holds it at all times except while blocked in poll(); vCPU
 * threads (KVM, TCG) take it around each access they hand to the devices.
 * Timers (clock.h) are driven by a GSource installed by mainloop_init.
 */
#ifndef HW_CORE_MAINLOOP_H
#define HW_CORE_MAINLOOP_H

#include <glib.h>
#include <stdbool.h>

void mainloop_init(void);
/* Run one iteration; blocks at most until the next timer when `blocking`. */
bool mainloop_iterate(bool blocking);
/* Run until mainloop_quit(). */
void mainloop_run(void);
void mainloop_quit(void);
bool mainloop_quit_requested(void);

/* Wake the main loop from another thread (e.g. after a vCPU changed a timer). */
void mainloop_wakeup(void);

void device_lock(void);
void device_unlock(void);
bool device_lock_held(void);   /* by the calling thread */

/* Run fn on the main loop thread at its next iteration (a bottom half). */
void mainloop_call_soon(void (*fn)(void *opaque), void *opaque);

#endif
