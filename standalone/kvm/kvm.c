/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * KVM accelerator: the VM, its in-kernel interrupt controllers and PIT,
 * GSI routing, and run control (pause/resume/reset) over the vCPUs.
 * Facts from the kernel's Documentation/virt/kvm/api.rst.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "hw/core/log.h"
#include "hw/core/mainloop.h"
#include "standalone/kvm/kvm-internal.h"

/* The only stable API version (api.rst, KVM_GET_API_VERSION). */
#define KVM_STABLE_API_VERSION 12

/* ISA IRQ 2 is the slave PIC's cascade input; the IOAPIC gets ISA IRQ 0 on pin 2 (MP spec / ACPI MADT override). */
#define ISA_CASCADE_IRQ 2
#define IOAPIC_PINS     24

static int kvm_open(GError **err)
{
    int fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
    if (fd < 0) {
        g_set_error(err, IOEMU_ERROR, 0, "-accel kvm: cannot open /dev/kvm: %s", g_strerror(errno));
        return -1;
    }
    int version = ioctl(fd, KVM_GET_API_VERSION, 0);
    if (version < 0) {
        g_set_error(err, IOEMU_ERROR, 0, "-accel kvm: /dev/kvm is not a KVM device: %s", g_strerror(errno));
        close(fd);
        return -1;
    }
    if (version != KVM_STABLE_API_VERSION) {
        g_set_error(err, IOEMU_ERROR, 0, "-accel kvm: /dev/kvm speaks API version %d, not %d",
                    version, KVM_STABLE_API_VERSION);
        close(fd);
        return -1;
    }
    return fd;
}

bool kvm_accel_available(void)
{
    int fd = kvm_open(NULL);
    if (fd < 0) {
        return false;
    }
    close(fd);
    return true;
}

static int kvm_check_extension(int fd, int cap)
{
    int r = ioctl(fd, KVM_CHECK_EXTENSION, cap);
    return r < 0 ? 0 : r;
}

static struct kvm_cpuid2 *kvm_get_supported_cpuid(int sys_fd, GError **err)
{
    /* The kernel answers E2BIG while our buffer is too small. */
    for (int nent = 64; nent <= 4096; nent *= 2) {
        struct kvm_cpuid2 *c = g_malloc0(sizeof(*c) + nent * sizeof(c->entries[0]));
        c->nent = nent;
        if (ioctl(sys_fd, KVM_GET_SUPPORTED_CPUID, c) == 0) {
            return c;
        }
        int e = errno;
        g_free(c);
        if (e != E2BIG) {
            g_set_error(err, IOEMU_ERROR, 0, "kvm: KVM_GET_SUPPORTED_CPUID: %s", g_strerror(e));
            return NULL;
        }
    }
    g_set_error(err, IOEMU_ERROR, 0, "kvm: KVM_GET_SUPPORTED_CPUID: too many entries");
    return NULL;
}

/*
 * GSI routing as on a PC: GSIs 0-15 reach the PIC pins of the same number
 * (except the cascade, 2), and the IOAPIC takes GSI 0 on pin 2 and every
 * other GSI on the pin of its number.  The in-kernel PIT raises GSI 0, so
 * with this routing it reaches IOAPIC pin 2, where the firmware's MADT
 * interrupt source override says it is.
 */
static bool kvm_setup_gsi_routing(KvmAccel *k, GError **err)
{
    enum { MAX_ROUTES = 16 + IOAPIC_PINS };
    struct kvm_irq_routing *r = g_malloc0(sizeof(*r) + MAX_ROUTES * sizeof(r->entries[0]));
    unsigned n = 0;

    for (unsigned irq = 0; irq < 16; irq++) {
        if (irq == ISA_CASCADE_IRQ) {
            continue;
        }
        r->entries[n].gsi = irq;
        r->entries[n].type = KVM_IRQ_ROUTING_IRQCHIP;
        r->entries[n].u.irqchip.irqchip = irq < 8 ? KVM_IRQCHIP_PIC_MASTER : KVM_IRQCHIP_PIC_SLAVE;
        r->entries[n].u.irqchip.pin = irq % 8;
        n++;
    }
    for (unsigned gsi = 0; gsi < IOAPIC_PINS; gsi++) {
        if (gsi == ISA_CASCADE_IRQ) {
            continue;
        }
        r->entries[n].gsi = gsi;
        r->entries[n].type = KVM_IRQ_ROUTING_IRQCHIP;
        r->entries[n].u.irqchip.irqchip = KVM_IRQCHIP_IOAPIC;
        r->entries[n].u.irqchip.pin = gsi == 0 ? ISA_CASCADE_IRQ : gsi;
        n++;
    }
    r->nr = n;
    int ret = ioctl(k->vm_fd, KVM_SET_GSI_ROUTING, r);
    g_free(r);
    if (ret < 0) {
        g_set_error(err, IOEMU_ERROR, 0, "kvm: KVM_SET_GSI_ROUTING: %s", g_strerror(errno));
        return false;
    }
    return true;
}

/*
 * Let go of the device lock entirely (the main loop thread holds it
 * recursively) so a vCPU finishing an access can take it; returns the
 * depth to take again.
 */
static int device_lock_release_all(void)
{
    int depth = 0;
    while (device_lock_held()) {
        device_unlock();
        depth++;
    }
    return depth;
}

static void device_lock_retake(int depth)
{
    while (depth-- > 0) {
        device_lock();
    }
}

static void kvm_kick_signal(int sig)
{
    /* Only there to make KVM_RUN return with EINTR. */
}

static void kvm_install_kick_handler(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = kvm_kick_signal;
    /* SA_RESTART: a kick must not fail an unrelated write() on the vCPU thread; KVM_RUN returns EINTR regardless. */
    sa.sa_flags = SA_RESTART;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGUSR1, &sa, NULL);
}

static bool kvm_vm_ioctl(KvmAccel *k, unsigned long req, void *arg, const char *name, GError **err)
{
    if (ioctl(k->vm_fd, req, arg) < 0) {
        g_set_error(err, IOEMU_ERROR, 0, "kvm: %s: %s", name, g_strerror(errno));
        return false;
    }
    return true;
}

KvmAccel *kvm_accel_new(int smp_cpus, GError **err)
{
    KvmAccel *k = g_new0(KvmAccel, 1);
    k->sys_fd = -1;
    k->vm_fd = -1;
    k->smp_cpus = smp_cpus;
    pthread_mutex_init(&k->run_lock, NULL);
    pthread_cond_init(&k->run_cond, NULL);
    kvm_memslots_init(k);

    k->sys_fd = kvm_open(err);
    if (k->sys_fd < 0) {
        goto fail;
    }
    int max_vcpus = kvm_check_extension(k->sys_fd, KVM_CAP_MAX_VCPUS);
    if (!max_vcpus) {
        max_vcpus = kvm_check_extension(k->sys_fd, KVM_CAP_NR_VCPUS);
    }
    if (!max_vcpus) {
        max_vcpus = 4;   /* api.rst: assume 4 when the capability is missing */
    }
    if (smp_cpus > max_vcpus) {
        g_set_error(err, IOEMU_ERROR, 0, "-smp %d: this KVM supports at most %d vCPUs", smp_cpus, max_vcpus);
        goto fail;
    }
    static const struct {
        int cap;
        const char *name;
    } required[] = {
        { KVM_CAP_IRQCHIP, "KVM_CAP_IRQCHIP" },
        { KVM_CAP_PIT2, "KVM_CAP_PIT2" },
        { KVM_CAP_PIT_STATE2, "KVM_CAP_PIT_STATE2" },
        { KVM_CAP_SET_TSS_ADDR, "KVM_CAP_SET_TSS_ADDR" },
        { KVM_CAP_SET_IDENTITY_MAP_ADDR, "KVM_CAP_SET_IDENTITY_MAP_ADDR" },
        { KVM_CAP_EXT_CPUID, "KVM_CAP_EXT_CPUID" },
        { KVM_CAP_USER_MEMORY, "KVM_CAP_USER_MEMORY" },
        { KVM_CAP_IRQ_ROUTING, "KVM_CAP_IRQ_ROUTING" },
    };
    for (size_t i = 0; i < G_N_ELEMENTS(required); i++) {
        if (!kvm_check_extension(k->sys_fd, required[i].cap)) {
            g_set_error(err, IOEMU_ERROR, 0, "-accel kvm: this KVM lacks %s", required[i].name);
            goto fail;
        }
    }
    k->readonly_mem = kvm_check_extension(k->sys_fd, KVM_CAP_READONLY_MEM) > 0;
    k->immediate_exit = kvm_check_extension(k->sys_fd, KVM_CAP_IMMEDIATE_EXIT) > 0;
    k->have_xcrs = kvm_check_extension(k->sys_fd, KVM_CAP_XCRS) > 0;
    int nr_slots = kvm_check_extension(k->sys_fd, KVM_CAP_NR_MEMSLOTS);
    k->nr_memslots = nr_slots > 0 ? (uint32_t)nr_slots : 32;

    int mmap_size = ioctl(k->sys_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
    if (mmap_size < (int)sizeof(struct kvm_run)) {
        g_set_error(err, IOEMU_ERROR, 0, "kvm: KVM_GET_VCPU_MMAP_SIZE returned %d", mmap_size);
        goto fail;
    }
    k->vcpu_mmap_size = mmap_size;

    k->supported_cpuid = kvm_get_supported_cpuid(k->sys_fd, err);
    if (!k->supported_cpuid) {
        goto fail;
    }

    /* KVM_CREATE_VM may fail with EINTR on some kernels; retry as the API suggests. */
    do {
        k->vm_fd = ioctl(k->sys_fd, KVM_CREATE_VM, 0);
    } while (k->vm_fd < 0 && errno == EINTR);
    if (k->vm_fd < 0) {
        g_set_error(err, IOEMU_ERROR, 0, "-accel kvm: KVM_CREATE_VM: %s", g_strerror(errno));
        goto fail;
    }

    /* Both must happen before the first vCPU exists (api.rst). */
    uint64_t identity = KVM_IDENTITY_MAP_ADDR;
    if (!kvm_vm_ioctl(k, KVM_SET_IDENTITY_MAP_ADDR, &identity, "KVM_SET_IDENTITY_MAP_ADDR", err)) {
        goto fail;
    }
    if (ioctl(k->vm_fd, KVM_SET_TSS_ADDR, (unsigned long)KVM_TSS_ADDR) < 0) {
        g_set_error(err, IOEMU_ERROR, 0, "kvm: KVM_SET_TSS_ADDR: %s", g_strerror(errno));
        goto fail;
    }
    if (!kvm_vm_ioctl(k, KVM_CREATE_IRQCHIP, NULL, "KVM_CREATE_IRQCHIP", err)) {
        goto fail;
    }
    /* flags 0: the kernel leaves port 0x61 to us (speaker.c). */
    struct kvm_pit_config pit_config = { .flags = 0 };
    if (!kvm_vm_ioctl(k, KVM_CREATE_PIT2, &pit_config, "KVM_CREATE_PIT2", err)) {
        goto fail;
    }
    if (!kvm_setup_gsi_routing(k, err)) {
        goto fail;
    }

    /* The freshly created chips are in their power-on state: keep it for system reset. */
    for (int chip = 0; chip < 3; chip++) {
        k->reset_irqchip[chip].chip_id = chip;
        if (!kvm_vm_ioctl(k, KVM_GET_IRQCHIP, &k->reset_irqchip[chip], "KVM_GET_IRQCHIP", err)) {
            goto fail;
        }
    }
    if (!kvm_vm_ioctl(k, KVM_GET_PIT2, &k->reset_pit, "KVM_GET_PIT2", err)) {
        goto fail;
    }
    kvm_install_kick_handler();
    log_cat(LOG_KVM, "kvm: VM created: %u memslots, readonly memory %s, immediate_exit %s\n",
            k->nr_memslots, k->readonly_mem ? "yes" : "no", k->immediate_exit ? "yes" : "no");
    return k;

fail:
    kvm_accel_free(k);
    return NULL;
}

void kvm_accel_set_gsi(void *opaque, int gsi, int level)
{
    KvmAccel *k = opaque;
    struct kvm_irq_level irq = { .irq = (uint32_t)gsi, .level = (uint32_t)!!level };

    if (gsi < 0 || gsi >= IOAPIC_PINS) {
        log_cat(LOG_KVM, "kvm: GSI %d out of range, level %d dropped\n", gsi, level);
        return;
    }
    log_cat(LOG_IRQ, "kvm: GSI %d -> %d\n", gsi, level);
    if (ioctl(k->vm_fd, KVM_IRQ_LINE, &irq) < 0) {
        log_cat(LOG_KVM, "kvm: KVM_IRQ_LINE gsi %d: %s\n", gsi, g_strerror(errno));
    }
}

bool kvm_accel_attach(KvmAccel *k, Machine *m, GError **err)
{
    k->m = m;
    kvm_memslots_attach(k, m->mem);
    kvm_speaker_attach(k, m);
    k->vcpus = g_new0(KvmVcpu, k->smp_cpus);
    for (int i = 0; i < k->smp_cpus; i++) {
        k->vcpus[i].fd = -1;
    }
    for (int i = 0; i < k->smp_cpus; i++) {
        if (!kvm_vcpu_create(k, &k->vcpus[i], i, err)) {
            return false;
        }
        k->n_vcpus = i + 1;
    }
    return true;
}

bool kvm_accel_start(KvmAccel *k, bool paused, GError **err)
{
    atomic_store(&k->paused, paused);
    for (int i = 0; i < k->n_vcpus; i++) {
        if (!kvm_vcpu_start(&k->vcpus[i], err)) {
            return false;
        }
    }
    return true;
}

void kvm_accel_request_stop(KvmAccel *k)
{
    pthread_mutex_lock(&k->run_lock);
    atomic_store(&k->paused, true);
    pthread_mutex_unlock(&k->run_lock);
    for (int i = 0; i < k->n_vcpus; i++) {
        kvm_vcpu_kick(&k->vcpus[i]);
    }
}

void kvm_accel_pause(KvmAccel *k)
{
    kvm_accel_request_stop(k);
    /* A vCPU may be waiting for the device lock to finish an access before it can park. */
    int depth = device_lock_release_all();
    pthread_mutex_lock(&k->run_lock);
    while (k->parked < k->running_threads) {
        pthread_cond_wait(&k->run_cond, &k->run_lock);
    }
    pthread_mutex_unlock(&k->run_lock);
    device_lock_retake(depth);
}

void kvm_accel_resume(KvmAccel *k)
{
    pthread_mutex_lock(&k->run_lock);
    atomic_store(&k->paused, false);
    pthread_cond_broadcast(&k->run_cond);
    pthread_mutex_unlock(&k->run_lock);
}

bool kvm_accel_paused(KvmAccel *k)
{
    return atomic_load(&k->paused);
}

void kvm_accel_reset(KvmAccel *k)
{
    for (int chip = 0; chip < 3; chip++) {
        if (ioctl(k->vm_fd, KVM_SET_IRQCHIP, &k->reset_irqchip[chip]) < 0) {
            log_cat(LOG_KVM, "kvm: reset: KVM_SET_IRQCHIP %d: %s\n", chip, g_strerror(errno));
        }
    }
    if (ioctl(k->vm_fd, KVM_SET_PIT2, &k->reset_pit) < 0) {
        log_cat(LOG_KVM, "kvm: reset: KVM_SET_PIT2: %s\n", g_strerror(errno));
    }
    kvm_speaker_reset(k);
    for (int i = 0; i < k->n_vcpus; i++) {
        kvm_vcpu_reset(&k->vcpus[i]);
    }
}

void kvm_accel_free(KvmAccel *k)
{
    if (!k) {
        return;
    }
    pthread_mutex_lock(&k->run_lock);
    atomic_store(&k->quit, true);
    pthread_cond_broadcast(&k->run_cond);
    pthread_mutex_unlock(&k->run_lock);
    /* A vCPU inside an access needs the device lock to get out. */
    int depth = device_lock_release_all();
    for (int i = 0; i < k->n_vcpus; i++) {
        kvm_vcpu_kick(&k->vcpus[i]);
    }
    for (int i = 0; i < k->n_vcpus; i++) {
        if (k->vcpus[i].thread_started) {
            pthread_join(k->vcpus[i].thread, NULL);
            k->vcpus[i].thread_started = false;
        }
    }
    device_lock_retake(depth);
    for (int i = 0; i < k->n_vcpus; i++) {
        kvm_vcpu_destroy(&k->vcpus[i]);
    }
    g_free(k->vcpus);
    if (k->m) {
        kvm_speaker_detach(k);
        kvm_memslots_detach(k);
    }
    if (k->slots) {
        g_array_free(k->slots, true);
    }
    if (k->free_slot_ids) {
        g_array_free(k->free_slot_ids, true);
    }
    g_free(k->supported_cpuid);
    if (k->vm_fd >= 0) {
        close(k->vm_fd);
    }
    if (k->sys_fd >= 0) {
        close(k->sys_fd);
    }
    pthread_cond_destroy(&k->run_cond);
    pthread_mutex_destroy(&k->run_lock);
    g_free(k);
}
