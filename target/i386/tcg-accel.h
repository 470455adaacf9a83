/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The TCG accelerator of the standalone emulator: one x86 vCPU running
 * the JIT on its own thread, reaching the machine through its address
 * spaces (guest RAM/ROM by host pointers from a snapshot of the flat view,
 * port IO and MMIO under the device lock), and its INTR pin.
 *
 * Life cycle (mirrors standalone/kvm/kvm.h), all on the main thread:
 *   tcg_accel_new       the engine and the CPU in its power-on state
 *   pc_create(...)      the board, with the userspace PIC and PIT
 *   tcg_accel_attach    memory listener, RAM-write notifier, INTR/INTA glue
 *   tcg_accel_start     the vCPU thread runs (or waits, for -S)
 *   tcg_accel_pause / tcg_accel_reset / tcg_accel_resume   (guest reset)
 *   tcg_accel_free      stop and join, detach everything
 */
#ifndef TARGET_I386_TCG_ACCEL_H
#define TARGET_I386_TCG_ACCEL_H

#include <glib.h>
#include <stdbool.h>

#include "hw/core/machine.h"

typedef struct TcgAccel TcgAccel;

typedef struct TcgAccelConfig {
    /*
     * Instruction counting: guest time advances 2^icount_shift ns per
     * instruction and timers fire at exact instruction counts (runs are
     * deterministic).  -1: guest time follows the host clock.
     */
    int icount_shift;
    size_t code_buffer_size;     /* 0: default (64 MiB) */
} TcgAccelConfig;

TcgAccel *tcg_accel_new(const TcgAccelConfig *cfg, GError **err);

/*
 * Connect to the machine: guest memory through m->mem, ports through m->io.
 * intack runs the interrupt controller's acknowledge cycle and returns the
 * vector (called with the device lock held).  Device lock held by caller.
 */
bool tcg_accel_attach(TcgAccel *t, Machine *m, int (*intack)(void *opaque), void *intack_opaque, GError **err);

/* The CPU's INTR pin, as an IrqHandler (opaque = the TcgAccel): level-triggered. */
void tcg_accel_set_intr(void *opaque, int n, int level);

/* Start the vCPU thread; with `paused` it waits for tcg_accel_resume. */
bool tcg_accel_start(TcgAccel *t, bool paused, GError **err);

/* Park the vCPU outside guest code and wait until it is.  Main thread; drops the device lock while waiting. */
void tcg_accel_pause(TcgAccel *t);
void tcg_accel_resume(TcgAccel *t);
/* Ask the vCPU to park, without waiting (any thread, also from a device access on the vCPU). */
void tcg_accel_request_stop(TcgAccel *t);
/* Power-on state of the CPU (system reset).  The vCPU must be paused. */
void tcg_accel_reset(TcgAccel *t);
void tcg_accel_free(TcgAccel *t);

/* Guest instructions retired (icount mode), or translated-block statistics for benchmarks. */
uint64_t tcg_accel_insns(TcgAccel *t);

#endif
