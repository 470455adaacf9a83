/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * KVM vCPUs: creation (CPUID, mapped kvm_run, the power-on state kept for
 * reset), one thread each running KVM_RUN, and the exits that need us:
 * port IO and MMIO go to the machine's address spaces under the device
 * lock; a triple fault is a reset request; entry failures and internal
 * errors stop the emulator with a message.  Facts from api.rst.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "hw/core/log.h"
#include "hw/core/mainloop.h"
#include "standalone/kvm/kvm-internal.h"

/* CPUID leaf 1 (Intel SDM vol. 2A, CPUID): EBX[31:24] initial APIC ID, EBX[23:16] logical processors; EDX[28] HTT; ECX[31] hypervisor. */
#define CPUID_1_EBX_APIC_ID_SHIFT  24
#define CPUID_1_EBX_COUNT_SHIFT    16
#define CPUID_1_EDX_HTT            (1u << 28)
#define CPUID_1_ECX_HYPERVISOR     (1u << 31)

/*
 * Architectural MSRs a system reset puts back (Intel SDM vol. 3, table 9-1
 * "IA-32 and Intel 64 processor states following power-up, reset or INIT"):
 * TSC, SYSENTER, the syscall MSRs, PAT, MTRRs, MISC_ENABLE.  Only those
 * this KVM lets us read are kept.
 */
static const uint32_t reset_msr_list[] = {
    0x00000010,                                       /* IA32_TIME_STAMP_COUNTER */
    0x00000174, 0x00000175, 0x00000176,               /* IA32_SYSENTER_CS/ESP/EIP */
    0x000001a0,                                       /* IA32_MISC_ENABLE */
    0x00000277,                                       /* IA32_PAT */
    0x000002ff,                                       /* IA32_MTRR_DEF_TYPE */
    0x00000250, 0x00000258, 0x00000259,               /* fixed-range MTRRs */
    0x00000268, 0x00000269, 0x0000026a, 0x0000026b,
    0x0000026c, 0x0000026d, 0x0000026e, 0x0000026f,
    0x00000200, 0x00000201, 0x00000202, 0x00000203,   /* variable MTRRs 0-7 */
    0x00000204, 0x00000205, 0x00000206, 0x00000207,
    0x00000208, 0x00000209, 0x0000020a, 0x0000020b,
    0x0000020c, 0x0000020d, 0x0000020e, 0x0000020f,
    0xc0000081, 0xc0000082, 0xc0000083, 0xc0000084,   /* STAR, LSTAR, CSTAR, FMASK */
    0xc0000102, 0xc0000103,                           /* KERNEL_GS_BASE, TSC_AUX */
};

static bool vcpu_ioctl(KvmVcpu *v, unsigned long req, void *arg, const char *name, GError **err)
{
    if (ioctl(v->fd, req, arg) < 0) {
        g_set_error(err, IOEMU_ERROR, 0, "kvm: vCPU %d: %s: %s", v->index, name, g_strerror(errno));
        return false;
    }
    return true;
}

static bool vcpu_set_cpuid(KvmVcpu *v, GError **err)
{
    const struct kvm_cpuid2 *sup = v->k->supported_cpuid;
    size_t bytes = sizeof(*sup) + sup->nent * sizeof(sup->entries[0]);
    struct kvm_cpuid2 *c = g_memdup2(sup, bytes);
    uint32_t apic_id = (uint32_t)v->index;
    uint32_t n = (uint32_t)v->k->smp_cpus;

    for (uint32_t i = 0; i < c->nent; i++) {
        struct kvm_cpuid_entry2 *e = &c->entries[i];
        switch (e->function) {
        case 1:
            e->ebx &= 0x0000ffff;
            e->ebx |= apic_id << CPUID_1_EBX_APIC_ID_SHIFT;
            e->ebx |= (n > 1 ? (n & 0xff) : 1) << CPUID_1_EBX_COUNT_SHIFT;
            if (n > 1) {
                e->edx |= CPUID_1_EDX_HTT;
            } else {
                e->edx &= ~CPUID_1_EDX_HTT;
            }
            e->ecx |= CPUID_1_ECX_HYPERVISOR;
            break;
        case 0xb:
        case 0x1f:
            /* Extended topology: EDX is the x2APIC id of this CPU. */
            e->edx = apic_id;
            break;
        default:
            break;
        }
    }
    bool ok = vcpu_ioctl(v, KVM_SET_CPUID2, c, "KVM_SET_CPUID2", err);
    g_free(c);
    return ok;
}

/* Keep the MSRs of reset_msr_list that this KVM reads back, with their power-on values. */
static void vcpu_capture_msrs(KvmVcpu *v)
{
    size_t max = G_N_ELEMENTS(reset_msr_list);
    struct kvm_msrs *all = g_malloc0(sizeof(*all) + max * sizeof(all->entries[0]));
    struct kvm_msrs *one = g_malloc0(sizeof(*one) + sizeof(one->entries[0]));

    for (size_t i = 0; i < max; i++) {
        memset(one, 0, sizeof(*one) + sizeof(one->entries[0]));
        one->nmsrs = 1;
        one->entries[0].index = reset_msr_list[i];
        if (ioctl(v->fd, KVM_GET_MSRS, one) == 1) {
            all->entries[all->nmsrs++] = one->entries[0];
        }
    }
    g_free(one);
    v->reset.msrs = all;
}

static bool vcpu_capture_reset_state(KvmVcpu *v, GError **err)
{
    KvmVcpuResetState *r = &v->reset;

    if (!vcpu_ioctl(v, KVM_GET_REGS, &r->regs, "KVM_GET_REGS", err) ||
        !vcpu_ioctl(v, KVM_GET_SREGS, &r->sregs, "KVM_GET_SREGS", err) ||
        !vcpu_ioctl(v, KVM_GET_FPU, &r->fpu, "KVM_GET_FPU", err) ||
        !vcpu_ioctl(v, KVM_GET_LAPIC, &r->lapic, "KVM_GET_LAPIC", err) ||
        !vcpu_ioctl(v, KVM_GET_MP_STATE, &r->mp_state, "KVM_GET_MP_STATE", err) ||
        !vcpu_ioctl(v, KVM_GET_VCPU_EVENTS, &r->events, "KVM_GET_VCPU_EVENTS", err)) {
        return false;
    }
    if (v->k->have_xcrs) {
        r->have_xcrs = ioctl(v->fd, KVM_GET_XCRS, &r->xcrs) == 0;
    }
    vcpu_capture_msrs(v);
    return true;
}

bool kvm_vcpu_create(KvmAccel *k, KvmVcpu *v, int index, GError **err)
{
    v->k = k;
    v->index = index;
    v->fd = ioctl(k->vm_fd, KVM_CREATE_VCPU, (unsigned long)index);
    if (v->fd < 0) {
        g_set_error(err, IOEMU_ERROR, 0, "kvm: KVM_CREATE_VCPU %d: %s", index, g_strerror(errno));
        return false;
    }
    v->run_size = k->vcpu_mmap_size;
    void *run = mmap(NULL, v->run_size, PROT_READ | PROT_WRITE, MAP_SHARED, v->fd, 0);
    if (run == MAP_FAILED) {
        g_set_error(err, IOEMU_ERROR, 0, "kvm: vCPU %d: mmap of kvm_run: %s", index, g_strerror(errno));
        return false;
    }
    v->run = run;
    if (!vcpu_set_cpuid(v, err)) {
        return false;
    }
    /* KVM creates a vCPU in the architectural power-on state (CS:IP = f000:fff0, base ffff0000). */
    return vcpu_capture_reset_state(v, err);
}

void kvm_vcpu_reset(KvmVcpu *v)
{
    KvmVcpuResetState *r = &v->reset;
    struct {
        const char *name;
        unsigned long req;
        void *arg;
    } steps[] = {
        { "KVM_SET_SREGS", KVM_SET_SREGS, &r->sregs },
        { "KVM_SET_REGS", KVM_SET_REGS, &r->regs },
        { "KVM_SET_FPU", KVM_SET_FPU, &r->fpu },
        { "KVM_SET_LAPIC", KVM_SET_LAPIC, &r->lapic },
        { "KVM_SET_VCPU_EVENTS", KVM_SET_VCPU_EVENTS, &r->events },
        { "KVM_SET_MP_STATE", KVM_SET_MP_STATE, &r->mp_state },
    };
    if (v->fd < 0) {
        return;
    }
    if (r->have_xcrs && ioctl(v->fd, KVM_SET_XCRS, &r->xcrs) < 0) {
        log_cat(LOG_KVM, "kvm: vCPU %d reset: KVM_SET_XCRS: %s\n", v->index, g_strerror(errno));
    }
    for (size_t i = 0; i < G_N_ELEMENTS(steps); i++) {
        if (ioctl(v->fd, steps[i].req, steps[i].arg) < 0) {
            log_cat(LOG_KVM, "kvm: vCPU %d reset: %s: %s\n", v->index, steps[i].name, g_strerror(errno));
        }
    }
    if (r->msrs && r->msrs->nmsrs) {
        int n = ioctl(v->fd, KVM_SET_MSRS, r->msrs);
        if (n != (int)r->msrs->nmsrs) {
            log_cat(LOG_KVM, "kvm: vCPU %d reset: KVM_SET_MSRS set %d of %u\n", v->index, n, r->msrs->nmsrs);
        }
    }
}

static uint64_t load_le(const uint8_t *p, unsigned size)
{
    uint64_t v = 0;
    for (unsigned i = 0; i < size; i++) {
        v |= (uint64_t)p[i] << (8 * i);
    }
    return v;
}

static void store_le(uint8_t *p, unsigned size, uint64_t v)
{
    for (unsigned i = 0; i < size; i++) {
        p[i] = (uint8_t)(v >> (8 * i));
    }
}

/*
 * A device access may have remapped memory (PAM, a BAR): the flat view is
 * rebuilt lazily, so look something up to rebuild it now and let the
 * memslots listener update KVM before the guest runs again.
 */
static void vcpu_sync_memory_map(KvmVcpu *v)
{
    as_lookup(v->k->m->mem, 0);
}

static void vcpu_handle_io(KvmVcpu *v)
{
    struct kvm_run *run = v->run;
    unsigned size = run->io.size;
    uint32_t count = run->io.count;
    uint16_t port = run->io.port;
    uint64_t offset = run->io.data_offset;

    /* The kernel fills these; still never index outside the shared page. */
    if ((size != 1 && size != 2 && size != 4) || count == 0 || offset >= v->run_size ||
        (uint64_t)size * count > v->run_size - offset) {
        fprintf(stderr, "ioemu: kvm: vCPU %d: malformed IO exit (port 0x%x size %u count %u)\n",
                v->index, port, size, count);
        return;
    }
    uint8_t *data = (uint8_t *)run + offset;
    Machine *m = v->k->m;

    device_lock();
    for (uint32_t i = 0; i < count; i++, data += size) {
        if (run->io.direction == KVM_EXIT_IO_OUT) {
            as_write(m->io, port, size, load_le(data, size));
        } else {
            uint64_t value = ~0ull;
            as_read(m->io, port, size, &value);
            store_le(data, size, value);
        }
    }
    if (run->io.direction == KVM_EXIT_IO_OUT) {
        vcpu_sync_memory_map(v);
    }
    device_unlock();
}

static void vcpu_handle_mmio(KvmVcpu *v)
{
    struct kvm_run *run = v->run;
    uint64_t addr = run->mmio.phys_addr;
    unsigned len = run->mmio.len;
    Machine *m = v->k->m;

    if (len == 0 || len > sizeof(run->mmio.data)) {
        fprintf(stderr, "ioemu: kvm: vCPU %d: malformed MMIO exit (addr 0x%llx len %u)\n",
                v->index, (unsigned long long)addr, len);
        return;
    }
    bool pow2 = (len & (len - 1)) == 0;
    device_lock();
    if (run->mmio.is_write) {
        if (pow2) {
            as_write(m->mem, addr, len, load_le(run->mmio.data, len));
        } else {
            for (unsigned i = 0; i < len; i++) {
                as_write(m->mem, addr + i, 1, run->mmio.data[i]);
            }
        }
        vcpu_sync_memory_map(v);
    } else {
        if (pow2) {
            uint64_t value = ~0ull;
            as_read(m->mem, addr, len, &value);
            store_le(run->mmio.data, len, value);
        } else {
            for (unsigned i = 0; i < len; i++) {
                uint64_t value = 0xff;
                as_read(m->mem, addr + i, 1, &value);
                run->mmio.data[i] = (uint8_t)value;
            }
        }
    }
    device_unlock();
}

static const char *internal_error_name(uint32_t suberror)
{
    switch (suberror) {
    case KVM_INTERNAL_ERROR_EMULATION:
        return "instruction emulation failed";
    case KVM_INTERNAL_ERROR_SIMUL_EX:
        return "exception while delivering an exception";
    case KVM_INTERNAL_ERROR_DELIVERY_EV:
        return "exit while delivering an event";
    case KVM_INTERNAL_ERROR_UNEXPECTED_EXIT_REASON:
        return "unexpected exit reason";
    default:
        return "unknown internal error";
    }
}

/* "at CS:IP f000:e05b (linear 0xfe05b)" for error messages. */
static void vcpu_describe_position(KvmVcpu *v, GString *out)
{
    struct kvm_regs regs;
    struct kvm_sregs sregs;

    if (ioctl(v->fd, KVM_GET_REGS, &regs) < 0 || ioctl(v->fd, KVM_GET_SREGS, &sregs) < 0) {
        return;
    }
    g_string_append_printf(out, " at CS:RIP %04x:%llx (linear 0x%llx, CR0 0x%llx)", sregs.cs.selector,
                           (unsigned long long)regs.rip, (unsigned long long)(sregs.cs.base + regs.rip),
                           (unsigned long long)sregs.cr0);
}

/* Stop the machine: message on stderr and exit status 1 through the machine hooks. */
static void vcpu_fatal(KvmVcpu *v, GString *msg)
{
    vcpu_describe_position(v, msg);
    fprintf(stderr, "ioemu: kvm: vCPU %d: %s\n", v->index, msg->str);
    g_string_free(msg, true);
    device_lock();
    machine_request(v->k->m, SHUTDOWN_CAUSE_HOST, 1);
    device_unlock();
    /* Whatever the hooks do, this vCPU must not run again. */
    kvm_accel_request_stop(v->k);
}

/* Returns false when the vCPU must stop (fatal error already reported). */
static bool vcpu_handle_exit(KvmVcpu *v)
{
    struct kvm_run *run = v->run;
    GString *msg;

    switch (run->exit_reason) {
    case KVM_EXIT_IO:
        v->exits_io++;
        vcpu_handle_io(v);
        return true;
    case KVM_EXIT_MMIO:
        v->exits_mmio++;
        vcpu_handle_mmio(v);
        return true;
    case KVM_EXIT_INTR:
        v->exits_other++;
        return true;
    case KVM_EXIT_HLT:
        /* Only without an in-kernel LAPIC; here nothing can wake it but a kick. */
        log_cat(LOG_KVM, "kvm: vCPU %d halted\n", v->index);
        return true;
    case KVM_EXIT_SHUTDOWN:
        /* A triple fault: the processor shuts down and the chipset resets the system. */
        log_cat(LOG_KVM, "kvm: vCPU %d: triple fault, system reset\n", v->index);
        device_lock();
        machine_request(v->k->m, SHUTDOWN_CAUSE_GUEST_RESET, 0);
        device_unlock();
        kvm_accel_request_stop(v->k);
        return true;
    case KVM_EXIT_SYSTEM_EVENT:
        switch (run->system_event.type) {
        case KVM_SYSTEM_EVENT_RESET:
            device_lock();
            machine_request(v->k->m, SHUTDOWN_CAUSE_GUEST_RESET, 0);
            device_unlock();
            kvm_accel_request_stop(v->k);
            return true;
        case KVM_SYSTEM_EVENT_SHUTDOWN:
            device_lock();
            machine_request(v->k->m, SHUTDOWN_CAUSE_GUEST_POWEROFF, 0);
            device_unlock();
            kvm_accel_request_stop(v->k);
            return true;
        default:
            msg = g_string_new(NULL);
            g_string_printf(msg, "system event %u", run->system_event.type);
            vcpu_fatal(v, msg);
            return false;
        }
    case KVM_EXIT_FAIL_ENTRY:
        msg = g_string_new(NULL);
        g_string_printf(msg, "VM entry failed, hardware reason 0x%llx",
                        (unsigned long long)run->fail_entry.hardware_entry_failure_reason);
        vcpu_fatal(v, msg);
        return false;
    case KVM_EXIT_INTERNAL_ERROR:
        msg = g_string_new(NULL);
        g_string_printf(msg, "KVM internal error %u (%s)", run->internal.suberror,
                        internal_error_name(run->internal.suberror));
        if (run->internal.suberror == KVM_INTERNAL_ERROR_EMULATION &&
            run->internal.ndata >= 1 &&
            (run->emulation_failure.flags & KVM_INTERNAL_ERROR_EMULATION_FLAG_INSTRUCTION_BYTES)) {
            unsigned n = MIN(run->emulation_failure.insn_size, sizeof(run->emulation_failure.insn_bytes));
            g_string_append(msg, ", instruction bytes");
            for (unsigned i = 0; i < n; i++) {
                g_string_append_printf(msg, " %02x", run->emulation_failure.insn_bytes[i]);
            }
        }
        vcpu_fatal(v, msg);
        return false;
    default:
        msg = g_string_new(NULL);
        g_string_printf(msg, "unexpected KVM exit reason %u", run->exit_reason);
        vcpu_fatal(v, msg);
        return false;
    }
}

/* Wait while paused.  Returns false when the thread must end. */
static bool vcpu_park(KvmVcpu *v)
{
    KvmAccel *k = v->k;
    bool keep_running;

    pthread_mutex_lock(&k->run_lock);
    k->parked++;
    pthread_cond_broadcast(&k->run_cond);
    while (atomic_load(&k->paused) && !atomic_load(&k->quit)) {
        pthread_cond_wait(&k->run_cond, &k->run_lock);
    }
    k->parked--;
    keep_running = !atomic_load(&k->quit);
    pthread_mutex_unlock(&k->run_lock);
    return keep_running;
}

static void *vcpu_thread(void *opaque)
{
    KvmVcpu *v = opaque;
    KvmAccel *k = v->k;
    sigset_t set;

    /* Process signals belong to the main loop; SIGUSR1 is our kick. */
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGHUP);
    sigaddset(&set, SIGCHLD);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    sigemptyset(&set);
    sigaddset(&set, SIGUSR1);
    pthread_sigmask(SIG_UNBLOCK, &set, NULL);

    for (;;) {
        /*
         * Clear immediate_exit before looking at the flags: a kick that
         * lands after this point either shows in the flags or makes
         * KVM_RUN return at once.
         */
        __atomic_store_n(&v->run->immediate_exit, 0, __ATOMIC_SEQ_CST);
        if (atomic_load(&k->paused) || atomic_load(&k->quit)) {
            if (!vcpu_park(v)) {
                break;
            }
            continue;
        }
        if (ioctl(v->fd, KVM_RUN, 0) < 0) {
            if (errno == EINTR || errno == EAGAIN) {
                continue;
            }
            GString *msg = g_string_new(NULL);
            g_string_printf(msg, "KVM_RUN: %s", g_strerror(errno));
            vcpu_fatal(v, msg);
            continue;
        }
        vcpu_handle_exit(v);
    }

    pthread_mutex_lock(&k->run_lock);
    k->running_threads--;
    pthread_cond_broadcast(&k->run_cond);
    pthread_mutex_unlock(&k->run_lock);
    return NULL;
}

bool kvm_vcpu_start(KvmVcpu *v, GError **err)
{
    KvmAccel *k = v->k;

    pthread_mutex_lock(&k->run_lock);
    k->running_threads++;
    pthread_mutex_unlock(&k->run_lock);
    int r = pthread_create(&v->thread, NULL, vcpu_thread, v);
    if (r) {
        pthread_mutex_lock(&k->run_lock);
        k->running_threads--;
        pthread_mutex_unlock(&k->run_lock);
        g_set_error(err, IOEMU_ERROR, 0, "kvm: cannot start vCPU %d thread: %s", v->index, g_strerror(r));
        return false;
    }
    v->thread_started = true;
    char name[16];
    snprintf(name, sizeof(name), "CPU %d/KVM", v->index);
    pthread_setname_np(v->thread, name);
    return true;
}

void kvm_vcpu_kick(KvmVcpu *v)
{
    if (!v->run) {
        return;
    }
    __atomic_store_n(&v->run->immediate_exit, 1, __ATOMIC_SEQ_CST);
    if (v->thread_started && !pthread_equal(v->thread, pthread_self())) {
        pthread_kill(v->thread, SIGUSR1);
    }
}

void kvm_vcpu_destroy(KvmVcpu *v)
{
    if (v->fd >= 0) {
        log_cat(LOG_KVM, "kvm: vCPU %d: %llu port IO exits, %llu MMIO exits, %llu others\n", v->index,
                (unsigned long long)v->exits_io, (unsigned long long)v->exits_mmio,
                (unsigned long long)v->exits_other);
    }
    if (v->run) {
        munmap(v->run, v->run_size);
        v->run = NULL;
    }
    if (v->fd >= 0) {
        close(v->fd);
        v->fd = -1;
    }
    g_free(v->reset.msrs);
    v->reset.msrs = NULL;
}
