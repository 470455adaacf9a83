/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The KVM accelerator of the standalone emulator, written to the standard
 * KVM API (linux/kvm.h, Documentation/virt/kvm/api.rst).
 *
 * The interrupt controllers (PIC pair, IOAPIC, LAPICs) and the PIT run in
 * the kernel; the board is built with PCConfig.kernel_irqchip and hands
 * its GSI levels to kvm_accel_set_gsi.  Guest RAM and ROM become memslots
 * that follow the memory address space's flat view; every other guest
 * access exits to userspace and is dispatched to m->io / m->mem under the
 * device lock.  Each vCPU is one thread.
 *
 * Life cycle, all on the main thread:
 *   kvm_accel_new        open /dev/kvm, create the VM, irqchip and PIT
 *   pc_create(...)       the board (GSIs already reach the kernel)
 *   kvm_accel_attach     memslots listener, port 0x61, vCPUs created
 *   kvm_accel_start      vCPU threads run (or wait, for -S)
 *   kvm_accel_pause / kvm_accel_reset / kvm_accel_resume   (guest reset)
 *   kvm_accel_free       stop and join the vCPUs, close everything
 */
#ifndef STANDALONE_KVM_KVM_H
#define STANDALONE_KVM_KVM_H

#include <glib.h>
#include <stdbool.h>

#include "hw/core/machine.h"

typedef struct KvmAccel KvmAccel;

/* True if /dev/kvm can be opened and speaks API version 12. */
bool kvm_accel_available(void);

/* Open /dev/kvm and build the VM with its in-kernel irqchip and PIT. */
KvmAccel *kvm_accel_new(int smp_cpus, GError **err);

/* PCConfig.gsi_sink: drive GSI `gsi` to `level` with KVM_IRQ_LINE (opaque = the KvmAccel). */
void kvm_accel_set_gsi(void *opaque, int gsi, int level);

/*
 * Connect to the board: memslots from m->mem, port 0x61 on m->io, vCPUs
 * created and set up (CPUID, mapped kvm_run).  Call with the device lock held.
 */
bool kvm_accel_attach(KvmAccel *k, Machine *m, GError **err);

/* Start the vCPU threads; with `paused` they wait for kvm_accel_resume. */
bool kvm_accel_start(KvmAccel *k, bool paused, GError **err);

/*
 * Stop every vCPU outside KVM_RUN and wait until all are parked.  Main
 * thread only; drops the device lock while it waits (a vCPU may be waiting
 * for it to finish an access), so call it from a main-loop callback, not
 * from inside a device access.
 */
void kvm_accel_pause(KvmAccel *k);
void kvm_accel_resume(KvmAccel *k);
bool kvm_accel_paused(KvmAccel *k);

/*
 * Ask every vCPU to leave KVM_RUN and park, without waiting.  Safe from
 * any thread, including a vCPU thread inside a device access (the machine
 * hooks use it so that no guest instruction runs after a reset or exit
 * request).
 */
void kvm_accel_request_stop(KvmAccel *k);

/*
 * Put the vCPUs, in-kernel PIC/IOAPIC/PIT and port 0x61 back in their
 * power-on state (system reset).  The VM must be paused.
 */
void kvm_accel_reset(KvmAccel *k);

/* Stop and join the vCPU threads, remove the listener, close all fds. */
void kvm_accel_free(KvmAccel *k);

#endif
