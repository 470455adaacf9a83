/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * State shared by the files of the KVM accelerator (kvm.c: VM and
 * irqchip; memslots.c: the memory listener; vcpu.c: vCPU threads;
 * speaker.c: port 0x61).  Nothing outside standalone/kvm includes this.
 */
#ifndef STANDALONE_KVM_KVM_INTERNAL_H
#define STANDALONE_KVM_KVM_INTERNAL_H

#include <linux/kvm.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

#include "hw/core/machine.h"
#include "hw/core/memory.h"
#include "standalone/kvm/kvm.h"

/* Where KVM puts the real-mode TSS (3 pages) and the EPT identity map (1 page): unused PC addresses below 4 GiB. */
#define KVM_IDENTITY_MAP_ADDR 0xfeffc000ull
#define KVM_TSS_ADDR          0xfeffd000ull

/* One KVM memory slot as installed in the kernel. */
typedef struct KvmSlot {
    uint32_t id;
    uint64_t gpa;
    uint64_t size;
    uint64_t hva;
    uint32_t flags;     /* KVM_MEM_READONLY or 0 */
} KvmSlot;

/* A vCPU's power-on register state, captured right after creation and loaded again on system reset. */
typedef struct KvmVcpuResetState {
    struct kvm_regs regs;
    struct kvm_sregs sregs;
    struct kvm_fpu fpu;
    struct kvm_lapic_state lapic;
    struct kvm_mp_state mp_state;
    struct kvm_vcpu_events events;
    struct kvm_xcrs xcrs;
    bool have_xcrs;
    struct kvm_msrs *msrs;        /* the MSRs this host lets us read back */
} KvmVcpuResetState;

typedef struct KvmVcpu {
    KvmAccel *k;
    int index;
    int fd;
    struct kvm_run *run;
    size_t run_size;
    pthread_t thread;
    bool thread_started;
    KvmVcpuResetState reset;
    /* Exit counts, reported under -d kvm at the end (written by the vCPU thread only). */
    uint64_t exits_io, exits_mmio, exits_other;
} KvmVcpu;

struct KvmAccel {
    int sys_fd;
    int vm_fd;
    int smp_cpus;
    size_t vcpu_mmap_size;
    bool readonly_mem;            /* KVM_CAP_READONLY_MEM */
    bool immediate_exit;          /* KVM_CAP_IMMEDIATE_EXIT */
    bool have_xcrs;               /* KVM_CAP_XCRS */
    uint32_t nr_memslots;
    struct kvm_cpuid2 *supported_cpuid;

    Machine *m;
    KvmVcpu *vcpus;
    int n_vcpus;

    /* Memory slots (memslots.c). */
    MemoryListener listener;
    bool listener_added;
    GArray *slots;                /* KvmSlot, sorted by gpa */
    GArray *free_slot_ids;        /* uint32_t: ids below next_slot_id freed earlier */
    uint32_t next_slot_id;
    bool warned_readonly;

    /* In-kernel device state at power-on, restored on system reset. */
    struct kvm_irqchip reset_irqchip[3];   /* PIC master, PIC slave, IOAPIC */
    struct kvm_pit_state2 reset_pit;

    /* Port 0x61 (speaker.c). */
    MemoryRegion *speaker_mr;
    uint8_t port61;               /* bits 0-3 as last written */

    /*
     * Run control.  `paused` and `quit` change under run_lock; vCPU
     * threads also read them without it before each KVM_RUN.
     */
    pthread_mutex_t run_lock;
    pthread_cond_t run_cond;
    atomic_bool paused;
    atomic_bool quit;
    int parked;                   /* vCPU threads waiting in the park loop */
    int running_threads;          /* threads started and not yet ended */
};

/* memslots.c */
void kvm_memslots_init(KvmAccel *k);
void kvm_memslots_attach(KvmAccel *k, AddressSpace *mem);
void kvm_memslots_detach(KvmAccel *k);

/* vcpu.c */
bool kvm_vcpu_create(KvmAccel *k, KvmVcpu *v, int index, GError **err);
bool kvm_vcpu_start(KvmVcpu *v, GError **err);
void kvm_vcpu_kick(KvmVcpu *v);
void kvm_vcpu_reset(KvmVcpu *v);
void kvm_vcpu_destroy(KvmVcpu *v);

/* speaker.c */
void kvm_speaker_attach(KvmAccel *k, Machine *m);
void kvm_speaker_reset(KvmAccel *k);
void kvm_speaker_detach(KvmAccel *k);
/* OUT of a PIT channel from the kernel's channel state at host monotonic time now_ns (exposed for the unit test). */
int kvm_pit_channel_out(const struct kvm_pit_channel_state *c, int64_t now_ns);

#endif
