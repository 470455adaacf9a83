/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A bare x86 machine for testing the JIT: RAM regions at chosen physical
 * addresses, a CPU set up in real, 32-bit flat or 64-bit mode, and a run
 * loop that stops at the first exception (recording vector, error code
 * and the state at the faulting instruction) instead of delivering it.
 * Header-only so unit tests and tests/tcg programs can include it.
 */
#ifndef TESTS_TCG_X86_HARNESS_H
#define TESTS_TCG_X86_HARNESS_H

#include <glib.h>
#include <string.h>
#include <sys/mman.h>

#include "target/i386/cpu.h"
#include "target/i386/translate-internal.h"
#include "tcg/exec.h"

typedef struct XtmRegion {
    uint64_t phys;
    uint64_t size;
    uint8_t *host;
    bool writable;
    bool supervisor;        /* mapped without the user bit by the paging set-ups */
    bool unmapped;          /* physical only: not in the page tables (e.g. the page tables) */
} XtmRegion;

typedef struct Xtm {
    CPUX86State *env;
    TCGEngine *engine;
    X86Accel accel;
    TCGTargetOps ops;
    GArray *regions;        /* XtmRegion */
    /* Last stop. */
    int exception;          /* vector, or -1 (halted / budget) */
    int error_code;
    bool is_int;
    uint64_t io_log_last;   /* last OUT value */
    GString *io_log;
    uint64_t mmio_acc;
    bool deliver;           /* deliver exceptions through the IVT/IDT instead of stopping */
} Xtm;

static G_GNUC_UNUSED Xtm *xtm_of(TCGCPU *cpu)
{
    return (Xtm *)x86_env(cpu)->accel->opaque;
}

static G_GNUC_UNUSED XtmRegion *xtm_region(Xtm *m, uint64_t phys)
{
    for (guint i = 0; i < m->regions->len; i++) {
        XtmRegion *r = &g_array_index(m->regions, XtmRegion, i);
        if (phys >= r->phys && phys - r->phys < r->size) {
            return r;
        }
    }
    return NULL;
}

static G_GNUC_UNUSED void *xtm_phys_host_page(void *opaque, uint64_t phys_page, bool *writable)
{
    XtmRegion *r = xtm_region(opaque, phys_page);
    if (!r) {
        *writable = false;
        return NULL;
    }
    *writable = r->writable;
    return r->host + (phys_page - r->phys);
}

/* Outside RAM: reads of address-derived values, writes accumulated (a stand-in for MMIO). */
static G_GNUC_UNUSED uint64_t xtm_mem_read(void *opaque, uint64_t phys, unsigned size)
{
    XtmRegion *r = xtm_region(opaque, phys);
    if (r) {
        uint64_t v = 0;
        memcpy(&v, r->host + (phys - r->phys), size);
        return v;
    }
    return ~0ull >> (64 - 8 * size);
}

static G_GNUC_UNUSED void xtm_mem_write(void *opaque, uint64_t phys, unsigned size, uint64_t val)
{
    Xtm *m = opaque;
    XtmRegion *r = xtm_region(m, phys);
    if (r && r->writable) {
        memcpy(r->host + (phys - r->phys), &val, size);
        tcg_engine_invalidate_phys_range(m->engine, phys, size);
        return;
    }
    m->mmio_acc = m->mmio_acc * 31 + phys + val;
}

static G_GNUC_UNUSED uint64_t xtm_io_read(void *opaque, uint16_t port, unsigned size)
{
    return (uint64_t)port * 0x01010101u & (size == 4 ? 0xffffffffu : (1u << (8 * size)) - 1);
}

static G_GNUC_UNUSED void xtm_io_write(void *opaque, uint16_t port, unsigned size, uint64_t val)
{
    Xtm *m = opaque;
    m->io_log_last = val;
    g_string_append_printf(m->io_log, "out %x,%u,%llx\n", port, size, (unsigned long long)val);
}

static G_GNUC_UNUSED uint64_t xtm_tsc_ns(void *opaque)
{
    return 1000;
}

static const X86AccelOps xtm_accel_ops = {
    .phys_host_page = xtm_phys_host_page,
    .mem_read = xtm_mem_read,
    .mem_write = xtm_mem_write,
    .io_read = xtm_io_read,
    .io_write = xtm_io_write,
    .tsc_ns = xtm_tsc_ns,
};

/* Record instead of delivering: the run stops at the faulting instruction. */
static G_GNUC_UNUSED void xtm_do_interrupt(TCGCPU *cpu)
{
    Xtm *m = xtm_of(cpu);
    CPUX86State *env = x86_env(cpu);
    if (m->deliver) {
        x86_do_interrupt(cpu);
        return;
    }
    m->exception = cpu->exception_index;
    m->error_code = env->error_code;
    m->is_int = env->exception_is_int;
    if (env->exception_is_int) {
        env->eip = env->exception_next_eip;
    }
    env->old_exception = -1;
    env->triple_fault = false;
    env->exception_is_int = false;
    cpu->stop = true;
}

static G_GNUC_UNUSED Xtm *xtm_new(void)
{
    Xtm *m = g_new0(Xtm, 1);
    GError *err = NULL;

    m->env = g_malloc0(sizeof(CPUX86State));
    m->engine = tcg_engine_new(32 << 20, &err);
    g_assert_no_error(err);
    x86_tcg_init_globals(tcg_engine_ctx(m->engine));
    m->regions = g_array_new(false, false, sizeof(XtmRegion));
    m->io_log = g_string_new(NULL);
    m->accel.ops = &xtm_accel_ops;
    m->accel.opaque = m;
    x86_cpu_init(m->env);
    m->ops = x86_tcg_ops;
    m->ops.do_interrupt = xtm_do_interrupt;
    m->env->tcg.ops = &m->ops;
    m->env->accel = &m->accel;
    tcg_engine_add_cpu(m->engine, &m->env->tcg);
    m->exception = -1;
    return m;
}

static G_GNUC_UNUSED void xtm_free(Xtm *m)
{
    for (guint i = 0; i < m->regions->len; i++) {
        XtmRegion *r = &g_array_index(m->regions, XtmRegion, i);
        munmap(r->host, r->size);
    }
    g_array_free(m->regions, true);
    tcg_engine_free(m->engine);
    g_string_free(m->io_log, true);
    g_free(m->env);
    g_free(m);
}

static G_GNUC_UNUSED uint8_t *xtm_add_ram(Xtm *m, uint64_t phys, uint64_t size, bool writable)
{
    XtmRegion r = { phys, size, NULL, writable, false };
    r.host = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    g_assert(r.host != MAP_FAILED);
    g_array_append_val(m->regions, r);
    return r.host;
}

/* System structures: mapped for the kernel only. */
static G_GNUC_UNUSED void xtm_set_supervisor(Xtm *m, uint64_t phys)
{
    xtm_region(m, phys)->supervisor = true;
}

/* Reached by physical address only (page tables): the paging set-ups leave it out. */
static G_GNUC_UNUSED void xtm_set_unmapped(Xtm *m, uint64_t phys)
{
    xtm_region(m, phys)->unmapped = true;
}

static G_GNUC_UNUSED uint8_t *xtm_host(Xtm *m, uint64_t phys)
{
    XtmRegion *r = xtm_region(m, phys);
    g_assert(r);
    return r->host + (phys - r->phys);
}

/* Copy bytes into guest-physical memory (RAM regions only), invalidating stale code. */
static G_GNUC_UNUSED void xtm_write(Xtm *m, uint64_t phys, const void *buf, size_t len)
{
    memcpy(xtm_host(m, phys), buf, len);
    tcg_engine_invalidate_phys_range(m->engine, phys, len);
}

static G_GNUC_UNUSED void xtm_set_seg(CPUX86State *env, int seg, uint32_t sel, uint64_t base, uint32_t limit, uint32_t flags)
{
    x86_load_seg_cache(env, seg, sel, base, limit, flags);
}

enum { XTM_CODE_FLAGS = DESC_P_MASK | DESC_S_MASK | DESC_CS_MASK | DESC_R_MASK | DESC_A_MASK | DESC_G_MASK,
       XTM_DATA_FLAGS = DESC_P_MASK | DESC_S_MASK | DESC_W_MASK | DESC_A_MASK | DESC_G_MASK | DESC_B_MASK };

/* 32-bit protected mode, flat, no paging, at CPL cpl. */
static G_GNUC_UNUSED void xtm_setup_flat32(Xtm *m, int cpl)
{
    CPUX86State *env = m->env;
    x86_cpu_reset(env);
    env->cr[0] = CR0_PE | CR0_ET | CR0_NE;
    uint32_t dpl = (uint32_t)cpl << DESC_DPL_SHIFT;
    xtm_set_seg(env, R_CS, 0x08 | (uint32_t)cpl, 0, 0xffffffff, XTM_CODE_FLAGS | DESC_B_MASK | dpl);
    for (int s = 0; s < 6; s++) {
        if (s != R_CS) {
            xtm_set_seg(env, s, 0x10 | (uint32_t)cpl, 0, 0xffffffff, XTM_DATA_FLAGS | dpl);
        }
    }
    env->eflags = EFLAGS_FIXED | IF_MASK;
    x86_update_hflags(env);
    tlb_flush(&env->tcg);
}

/*
 * 64-bit mode at CPL cpl with 4-level paging built at phys pt_base (needs
 * 16 KiB of RAM there): identity maps each RAM region page by page (user,
 * writable if the region is).  Only addresses below 512 GiB.
 */
static G_GNUC_UNUSED void xtm_setup_long64(Xtm *m, int cpl, uint64_t pt_base)
{
    CPUX86State *env = m->env;
    uint64_t pml4 = pt_base, pdpt = pt_base + 0x1000, pd = pt_base + 0x2000;
    uint64_t next_pt = pt_base + 0x3000;
    uint8_t *h = xtm_host(m, pt_base);

    memset(h, 0, 0x3000);
    uint64_t e = pdpt | 7;
    memcpy(xtm_host(m, pml4), &e, 8);
    for (guint i = 0; i < m->regions->len; i++) {
        XtmRegion *r = &g_array_index(m->regions, XtmRegion, i);
        if (r->unmapped) {
            continue;
        }
        for (uint64_t a = r->phys; a < r->phys + r->size; a += 4096) {
            g_assert(a < (1ull << 39) && (a >> 30) < 512);
            uint64_t pdpte_addr = pdpt + ((a >> 30) & 511) * 8;
            uint64_t pdpte;
            memcpy(&pdpte, xtm_host(m, pdpte_addr), 8);
            if (!(pdpte & 1)) {
                /* One page directory per GiB, allocated from the area after the fixed tables. */
                uint64_t newpd = (a >> 30) == 0 ? pd : next_pt;
                if (newpd == next_pt) {
                    next_pt += 0x1000;
                    memset(xtm_host(m, newpd), 0, 0x1000);
                }
                pdpte = newpd | 7;
                memcpy(xtm_host(m, pdpte_addr), &pdpte, 8);
            }
            uint64_t pd_addr = (pdpte & ~0xfffull) + ((a >> 21) & 511) * 8;
            uint64_t pde;
            memcpy(&pde, xtm_host(m, pd_addr), 8);
            if (!(pde & 1)) {
                uint64_t pt = next_pt;
                next_pt += 0x1000;
                memset(xtm_host(m, pt), 0, 0x1000);
                pde = pt | 7;
                memcpy(xtm_host(m, pd_addr), &pde, 8);
            }
            uint64_t pte = a | 1 | (r->supervisor ? 0 : 4) | (r->writable ? 2 : 0);
            memcpy(xtm_host(m, (pde & ~0xfffull) + ((a >> 12) & 511) * 8), &pte, 8);
        }
    }
    x86_cpu_reset(env);
    env->cr[4] = CR4_PAE;
    env->efer = EFER_LME | EFER_LMA | EFER_NXE | EFER_SCE;
    env->cr[3] = pml4;
    env->cr[0] = CR0_PE | CR0_ET | CR0_NE | CR0_PG | CR0_WP;
    uint32_t dpl = (uint32_t)cpl << DESC_DPL_SHIFT;
    xtm_set_seg(env, R_CS, 0x08 | (uint32_t)cpl, 0, 0xffffffff, XTM_CODE_FLAGS | DESC_L_MASK | dpl);
    for (int s = 0; s < 6; s++) {
        if (s != R_CS) {
            xtm_set_seg(env, s, (s == R_SS) ? (0x10 | (uint32_t)cpl) : 0, 0, 0xffffffff, XTM_DATA_FLAGS | dpl);
        }
    }
    env->eflags = EFLAGS_FIXED | IF_MASK;
    x86_update_hflags(env);
    tlb_flush(&env->tcg);
}

/*
 * 32-bit protected mode with 2-level paging built at phys pt_base (needs
 * 8 KiB + 4 KiB per 4 MiB mapped): identity maps the RAM regions below
 * 4 GiB as user pages (writable when the region is).
 */
static G_GNUC_UNUSED void xtm_setup_paged32(Xtm *m, int cpl, uint64_t pt_base)
{
    CPUX86State *env = m->env;
    uint64_t pd = pt_base, next_pt = pt_base + 0x1000;

    memset(xtm_host(m, pd), 0, 0x1000);
    for (guint i = 0; i < m->regions->len; i++) {
        XtmRegion *r = &g_array_index(m->regions, XtmRegion, i);
        if (r->unmapped) {
            continue;
        }
        for (uint64_t a = r->phys; a < r->phys + r->size; a += 4096) {
            g_assert(a < (1ull << 32));
            uint32_t pde;
            memcpy(&pde, xtm_host(m, pd + (a >> 22) * 4), 4);
            if (!(pde & 1)) {
                memset(xtm_host(m, next_pt), 0, 0x1000);
                pde = (uint32_t)next_pt | 7;
                next_pt += 0x1000;
                memcpy(xtm_host(m, pd + (a >> 22) * 4), &pde, 4);
            }
            uint32_t pte = (uint32_t)a | 1 | (r->supervisor ? 0 : 4) | (r->writable ? 2 : 0);
            memcpy(xtm_host(m, (pde & ~0xfffu) + ((a >> 12) & 1023) * 4), &pte, 4);
        }
    }
    xtm_setup_flat32(m, cpl);
    env->cr[3] = pd;
    env->cr[0] |= CR0_PG | CR0_WP;
    x86_update_hflags(env);
    tlb_flush(&env->tcg);
}

/* Run until an exception, HLT or the instruction budget; returns the vector or -1. */
static G_GNUC_UNUSED int xtm_run(Xtm *m)
{
    TCGCPU *cpu = &m->env->tcg;
    m->exception = -1;
    m->error_code = 0;
    cpu->stop = false;
    cpu->halted = false;
    int r = tcg_cpu_exec(cpu);
    (void)r;
    return m->exception;
}

#endif
