/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The TCG accelerator: glue between the x86 JIT and a Machine (see
 * tcg-accel.h).
 *
 * Memory: a copy of the memory space's flat view is kept (updated by a
 * MemoryListener with the device lock held, read by the vCPU under a
 * small mutex) so TLB fills find RAM/ROM host pointers without the device
 * lock.  A change of the view flushes the TLB (directly on the vCPU
 * thread, or through an interrupt-request bit from elsewhere) and drops
 * translated code where the backing of a physical page changed (PAM, BAR
 * moves).  RAM written by devices is reported by the space's RAM-write
 * notifier and drops overlapping code too.
 *
 * Time: without icount the virtual clock follows the host and timers fire
 * on the main loop.  With icount the vCPU drives the virtual clock: it
 * runs exactly as many instructions as fit before the next timer
 * deadline, then advances the clock (firing the timers, under the device
 * lock) and goes on; a halted CPU skips straight to the next deadline.
 */
#include <string.h>

#include "hw/core/clock.h"
#include "hw/core/log.h"
#include "hw/core/mainloop.h"
#include "target/i386/cpu.h"
#include "target/i386/tcg-accel.h"
#include "target/i386/translate-internal.h"
#include "tcg/exec.h"

#define X86_INT_TLB_FLUSH (1 << 8)   /* interrupt_request: the memory map changed */

typedef struct ViewRange {
    uint64_t start, size;
    uint8_t *host;        /* RAM/ROM host pointer of start, NULL for IO */
    bool writable;
    MemoryRegion *mr;
    uint64_t offset;
} ViewRange;

struct TcgAccel {
    TcgAccelConfig cfg;
    TCGEngine *engine;
    CPUX86State *env;
    X86Accel xacc;
    Machine *m;
    MemoryListener listener;
    bool attached;

    GMutex map_lock;
    ViewRange *view;
    size_t nview;

    int (*intack)(void *opaque);
    void *intack_opaque;

    GThread *thread;
    GThread *self;        /* the vCPU thread, for "am I the vCPU" */
    GMutex lock;
    GCond cond;
    bool quit;
    bool pause_req;
    bool paused;

    TCGTargetOps ops;     /* x86_tcg_ops with the accelerator's interrupt hook */
    uint64_t insns;
    /* icount: virtual time and budget when the current tcg_cpu_exec began (vCPU thread only). */
    int64_t icount_base_ns;
    int32_t icount_budget_start;
};

static bool on_vcpu(TcgAccel *t)
{
    return t->self && g_thread_self() == t->self;
}

/*
 * icount: bring the virtual clock to the instruction being executed (a
 * port access ends its block, so the count is exact there), firing the
 * timers due before it.  Device lock held.
 */
static void icount_sync(TcgAccel *t)
{
    if (t->cfg.icount_shift < 0 || !on_vcpu(t)) {
        return;
    }
    int64_t ran = (int64_t)t->icount_budget_start - t->env->tcg.icount_budget;
    int64_t now = t->icount_base_ns + (ran << t->cfg.icount_shift);
    if (now > clock_get_ns(CLOCK_VIRTUAL)) {
        clock_virtual_advance_to(now);
    }
}


/* ---- physical memory ---- */

static const ViewRange *view_find(TcgAccel *t, uint64_t addr)
{
    size_t lo = 0, hi = t->nview;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        const ViewRange *r = &t->view[mid];
        if (addr < r->start) {
            hi = mid;
        } else if (addr - r->start >= r->size) {
            lo = mid + 1;
        } else {
            return r;
        }
    }
    return NULL;
}

static void *acc_phys_host_page(void *opaque, uint64_t page, bool *writable)
{
    TcgAccel *t = opaque;
    void *host = NULL;

    *writable = false;
    g_mutex_lock(&t->map_lock);
    const ViewRange *r = view_find(t, page);
    /* Only a whole page of one RAM/ROM range is directly accessible. */
    if (r && r->host && page - r->start + TCG_PAGE_SIZE <= r->size) {
        host = r->host + (page - r->start);
        *writable = r->writable;
    }
    g_mutex_unlock(&t->map_lock);
    return host;
}

static uint64_t acc_mem_read(void *opaque, uint64_t phys, unsigned size)
{
    TcgAccel *t = opaque;
    uint64_t v = ~0ull;
    device_lock();
    icount_sync(t);
    as_read(t->m->mem, phys, size, &v);
    device_unlock();
    return size == 8 ? v : v & ((1ull << (8 * size)) - 1);
}

static void acc_mem_write(void *opaque, uint64_t phys, unsigned size, uint64_t val)
{
    TcgAccel *t = opaque;
    device_lock();
    icount_sync(t);
    as_write(t->m->mem, phys, size, val);
    device_unlock();
}

static uint64_t acc_io_read(void *opaque, uint16_t port, unsigned size)
{
    TcgAccel *t = opaque;
    uint64_t v = ~0ull;
    device_lock();
    icount_sync(t);
    as_read(t->m->io, port, size, &v);
    device_unlock();
    return v & ((1ull << (8 * size)) - 1);
}

static void acc_io_write(void *opaque, uint16_t port, unsigned size, uint64_t val)
{
    TcgAccel *t = opaque;

    device_lock();
    icount_sync(t);
    as_write(t->m->io, port, size, val);
    device_unlock();
}

static int acc_intack(void *opaque)
{
    TcgAccel *t = opaque;
    int v = -1;
    if (t->intack) {
        device_lock();
        v = t->intack(t->intack_opaque);
        device_unlock();
    }
    return v;
}

static uint64_t acc_tsc_ns(void *opaque)
{
    return (uint64_t)clock_get_ns(CLOCK_VIRTUAL);
}

static void acc_shutdown(void *opaque, bool reset)
{
    TcgAccel *t = opaque;
    device_lock();
    machine_request(t->m, reset ? SHUTDOWN_CAUSE_GUEST_RESET : SHUTDOWN_CAUSE_GUEST_POWEROFF, 0);
    device_unlock();
    tcg_accel_request_stop(t);
}

static const X86AccelOps acc_ops = {
    .phys_host_page = acc_phys_host_page,
    .mem_read = acc_mem_read,
    .mem_write = acc_mem_write,
    .io_read = acc_io_read,
    .io_write = acc_io_write,
    .intack = acc_intack,
    .tsc_ns = acc_tsc_ns,
    .shutdown = acc_shutdown,
};

/* ---- memory map changes ---- */

static bool same_backing(const ViewRange *a, uint64_t addr_a, const ViewRange *b, uint64_t addr_b)
{
    if (!a || !b) {
        return a == b;
    }
    return a->mr == b->mr && a->offset + (addr_a - a->start) == b->offset + (addr_b - b->start) &&
           a->writable == b->writable;
}

static gint cmp_u64(gconstpointer a, gconstpointer b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* Invalidate translated code where the backing of physical addresses changed between two views. */
static void invalidate_changed(TcgAccel *t, const ViewRange *old, size_t nold, const ViewRange *nv, size_t nnew)
{
    /* Boundaries of both views, swept in order. */
    GArray *b = g_array_new(false, false, sizeof(uint64_t));
    for (size_t i = 0; i < nold; i++) {
        uint64_t e = old[i].start + old[i].size;
        g_array_append_val(b, old[i].start);
        g_array_append_val(b, e);
    }
    for (size_t i = 0; i < nnew; i++) {
        uint64_t e = nv[i].start + nv[i].size;
        g_array_append_val(b, nv[i].start);
        g_array_append_val(b, e);
    }
    g_array_sort(b, cmp_u64);
    uint64_t *v = (uint64_t *)(void *)b->data;
    for (guint i = 0; i + 1 < b->len; i++) {
        uint64_t s = v[i], e = v[i + 1];
        if (s == e) {
            continue;
        }
        const ViewRange *a = NULL, *c = NULL;
        for (size_t k = 0; k < nold; k++) {
            if (s >= old[k].start && s - old[k].start < old[k].size) {
                a = &old[k];
                break;
            }
        }
        for (size_t k = 0; k < nnew; k++) {
            if (s >= nv[k].start && s - nv[k].start < nv[k].size) {
                c = &nv[k];
                break;
            }
        }
        if (!same_backing(a, s, c, s)) {
            tcg_engine_invalidate_phys_map(t->engine, s, e - s);
        }
    }
    g_array_free(b, true);
}

static void listener_commit(MemoryListener *l, AddressSpace *as, const FlatRange *ranges, size_t n)
{
    TcgAccel *t = (TcgAccel *)((char *)l - offsetof(TcgAccel, listener));
    ViewRange *nv = g_new0(ViewRange, n ? n : 1);

    for (size_t i = 0; i < n; i++) {
        const FlatRange *fr = &ranges[i];
        ViewRange *r = &nv[i];
        r->start = fr->start;
        r->size = fr->size;
        r->mr = fr->mr;
        r->offset = fr->offset;
        if (mr_kind(fr->mr) == MR_RAM || mr_kind(fr->mr) == MR_ROM) {
            r->host = (uint8_t *)mr_host_ptr(fr->mr) + fr->offset;
            r->writable = mr_kind(fr->mr) == MR_RAM && !fr->readonly;
        }
    }
    g_mutex_lock(&t->map_lock);
    ViewRange *old = t->view;
    size_t nold = t->nview;
    t->view = nv;
    t->nview = n;
    g_mutex_unlock(&t->map_lock);

    if (old) {
        invalidate_changed(t, old, nold, nv, n);
    }
    g_free(old);
    /* The TLB caches host pointers and MMIO decisions: drop it before the next guest access. */
    if (on_vcpu(t)) {
        tlb_flush(&t->env->tcg);
    } else {
        __atomic_or_fetch(&t->env->tcg.interrupt_request, X86_INT_TLB_FLUSH, __ATOMIC_SEQ_CST);
        tcg_cpu_kick(&t->env->tcg);
    }
}

static void ram_write_notify(void *opaque, uint64_t addr, uint64_t len)
{
    TcgAccel *t = opaque;
    tcg_engine_invalidate_phys_range(t->engine, addr, len);
}

/* ---- interrupts ---- */

static bool x86_accel_exec_interrupt(TCGCPU *cpu)
{
    int req = __atomic_load_n(&cpu->interrupt_request, __ATOMIC_ACQUIRE);
    if (req & X86_INT_TLB_FLUSH) {
        __atomic_and_fetch(&cpu->interrupt_request, ~X86_INT_TLB_FLUSH, __ATOMIC_SEQ_CST);
        tlb_flush(cpu);
    }
    return x86_exec_interrupt(cpu);
}

void tcg_accel_set_intr(void *opaque, int n, int level)
{
    TcgAccel *t = opaque;
    TCGCPU *cpu = &t->env->tcg;

    if (level) {
        __atomic_or_fetch(&cpu->interrupt_request, X86_INT_HARD, __ATOMIC_SEQ_CST);
        tcg_cpu_kick(cpu);
        g_mutex_lock(&t->lock);
        g_cond_broadcast(&t->cond);
        g_mutex_unlock(&t->lock);
    } else {
        __atomic_and_fetch(&cpu->interrupt_request, ~X86_INT_HARD, __ATOMIC_SEQ_CST);
    }
}

/* ---- the vCPU thread ---- */

/* Halted: can an interrupt wake us now? */
static bool has_work(TcgAccel *t)
{
    TCGCPU *cpu = &t->env->tcg;
    int req = __atomic_load_n(&cpu->interrupt_request, __ATOMIC_ACQUIRE);
    return (req & X86_INT_TLB_FLUSH) || ((req & X86_INT_HARD) && (t->env->eflags & IF_MASK));
}

/* icount: refill the budget up to the next timer deadline (firing due timers first). */
static void icount_refill(TcgAccel *t, bool halted)
{
    TCGCPU *cpu = &t->env->tcg;
    int shift = t->cfg.icount_shift;

    device_lock();
    int64_t now = clock_get_ns(CLOCK_VIRTUAL);
    int64_t deadline = clock_next_deadline(CLOCK_VIRTUAL);
    if (halted && deadline >= 0 && deadline > now) {
        /* Nothing runs until the next timer: jump there. */
        now = clock_virtual_advance_to(deadline);
    } else if (deadline >= 0 && deadline <= now) {
        now = clock_virtual_advance_to(now);
    }
    deadline = clock_next_deadline(CLOCK_VIRTUAL);
    device_unlock();
    int64_t budget = deadline < 0 ? INT32_MAX : ((deadline - now) >> shift) + 1;
    if (budget > INT32_MAX / 2) {
        budget = INT32_MAX / 2;
    }
    cpu->icount_budget = (int32_t)budget;
}

static gpointer vcpu_thread(gpointer opaque)
{
    TcgAccel *t = opaque;
    TCGCPU *cpu = &t->env->tcg;
    int64_t base_ns = 0;
    bool icount = t->cfg.icount_shift >= 0;

    g_mutex_lock(&t->lock);
    t->self = g_thread_self();
    for (;;) {
        while (t->pause_req && !t->quit) {
            t->paused = true;
            g_cond_broadcast(&t->cond);
            g_cond_wait(&t->cond, &t->lock);
        }
        t->paused = false;
        if (t->quit) {
            break;
        }
        g_mutex_unlock(&t->lock);

        cpu->stop = false;
        if (icount && cpu->icount_budget <= 0) {
            icount_refill(t, false);
        }
        int32_t budget_before = cpu->icount_budget;
        if (icount) {
            base_ns = clock_get_ns(CLOCK_VIRTUAL);
            t->icount_base_ns = base_ns;
            t->icount_budget_start = budget_before;
        }
        int r = tcg_cpu_exec(cpu);
        if (icount) {
            /* Guest time moves by the instructions retired. */
            int64_t ran = (int64_t)budget_before - cpu->icount_budget;
            t->insns += (uint64_t)ran;
            device_lock();
            int64_t target = base_ns + (ran << t->cfg.icount_shift);
            if (target > clock_get_ns(CLOCK_VIRTUAL)) {
                clock_virtual_advance_to(target);
            }
            device_unlock();
        }

        g_mutex_lock(&t->lock);
        if (r == EXCP_HLT) {
            if (icount) {
                /* No host-time waiting: skip to the next timer (deterministic). */
                while (cpu->halted && !has_work(t) && !t->pause_req && !t->quit) {
                    g_mutex_unlock(&t->lock);
                    icount_refill(t, true);
                    g_mutex_lock(&t->lock);
                    if (clock_next_deadline(CLOCK_VIRTUAL) < 0 && !has_work(t)) {
                        /* Nothing will ever wake us but a device from outside. */
                        g_cond_wait(&t->cond, &t->lock);
                    }
                }
            } else {
                while (cpu->halted && !has_work(t) && !t->pause_req && !t->quit) {
                    g_cond_wait(&t->cond, &t->lock);
                }
            }
        }
    }
    t->paused = true;
    g_cond_broadcast(&t->cond);
    g_mutex_unlock(&t->lock);
    return NULL;
}

/* ---- life cycle ---- */

TcgAccel *tcg_accel_new(const TcgAccelConfig *cfg, GError **err)
{
    TcgAccel *t = g_new0(TcgAccel, 1);

    t->cfg = *cfg;
    if (t->cfg.icount_shift > 10) {
        g_set_error(err, IOEMU_ERROR, 0, "tcg: icount shift %d out of range (0-10)", t->cfg.icount_shift);
        g_free(t);
        return NULL;
    }
    t->engine = tcg_engine_new(cfg->code_buffer_size ? cfg->code_buffer_size : (64u << 20), err);
    if (!t->engine) {
        g_free(t);
        return NULL;
    }
    x86_tcg_init_globals(tcg_engine_ctx(t->engine));
    g_mutex_init(&t->map_lock);
    g_mutex_init(&t->lock);
    g_cond_init(&t->cond);
    t->env = g_malloc0(sizeof(CPUX86State));
    x86_cpu_init(t->env);
    t->ops = x86_tcg_ops;
    t->ops.exec_interrupt = x86_accel_exec_interrupt;
    t->env->tcg.ops = &t->ops;
    t->xacc.ops = &acc_ops;
    t->xacc.opaque = t;
    t->env->accel = &t->xacc;
    t->env->tcg.icount = t->cfg.icount_shift >= 0;
    tcg_engine_add_cpu(t->engine, &t->env->tcg);
    return t;
}

bool tcg_accel_attach(TcgAccel *t, Machine *m, int (*intack)(void *opaque), void *intack_opaque, GError **err)
{
    t->m = m;
    t->intack = intack;
    t->intack_opaque = intack_opaque;
    t->listener.commit = listener_commit;
    as_add_listener(m->mem, &t->listener);
    as_set_ram_write_notifier(m->mem, ram_write_notify, t);
    t->attached = true;
    if (t->cfg.icount_shift >= 0) {
        clock_set_manual(true);
    }
    return true;
}

bool tcg_accel_start(TcgAccel *t, bool paused, GError **err)
{
    t->pause_req = paused;
    t->thread = g_thread_try_new("tcg-vcpu0", vcpu_thread, t, err);
    return t->thread != NULL;
}

void tcg_accel_request_stop(TcgAccel *t)
{
    if (!t) {
        return;
    }
    g_mutex_lock(&t->lock);
    t->pause_req = true;
    t->env->tcg.stop = true;
    tcg_cpu_kick(&t->env->tcg);
    g_cond_broadcast(&t->cond);
    g_mutex_unlock(&t->lock);
}

void tcg_accel_pause(TcgAccel *t)
{
    tcg_accel_request_stop(t);
    if (!t->thread || on_vcpu(t)) {
        return;
    }
    /* The vCPU may be waiting for the device lock to finish an access. */
    bool held = device_lock_held();
    if (held) {
        device_unlock();
    }
    g_mutex_lock(&t->lock);
    while (!t->paused) {
        g_cond_wait(&t->cond, &t->lock);
    }
    g_mutex_unlock(&t->lock);
    if (held) {
        device_lock();
    }
}

void tcg_accel_resume(TcgAccel *t)
{
    g_mutex_lock(&t->lock);
    t->pause_req = false;
    g_cond_broadcast(&t->cond);
    g_mutex_unlock(&t->lock);
}

void tcg_accel_reset(TcgAccel *t)
{
    x86_cpu_reset(t->env);
    __atomic_and_fetch(&t->env->tcg.interrupt_request, ~X86_INT_TLB_FLUSH, __ATOMIC_SEQ_CST);
    t->env->tcg.icount_budget = 0;
}

uint64_t tcg_accel_insns(TcgAccel *t)
{
    return t->insns;
}

void tcg_accel_free(TcgAccel *t)
{
    if (!t) {
        return;
    }
    if (t->thread) {
        g_mutex_lock(&t->lock);
        t->quit = true;
        t->env->tcg.stop = true;
        tcg_cpu_kick(&t->env->tcg);
        g_cond_broadcast(&t->cond);
        g_mutex_unlock(&t->lock);
        bool held = device_lock_held();
        if (held) {
            device_unlock();
        }
        g_thread_join(t->thread);
        if (held) {
            device_lock();
        }
    }
    if (t->attached) {
        as_remove_listener(t->m->mem, &t->listener);
        as_set_ram_write_notifier(t->m->mem, NULL, NULL);
    }
    tcg_engine_free(t->engine);
    g_free(t->view);
    g_mutex_clear(&t->map_lock);
    g_mutex_clear(&t->lock);
    g_cond_clear(&t->cond);
    g_free(t->env);
    g_free(t);
}
