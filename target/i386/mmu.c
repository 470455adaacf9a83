/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Page-table walk for the softmmu TLB: 32-bit paging (with 4 MiB pages
 * under CR4.PSE), PAE and 4-level paging (SDM vol. 3A, 4.3-4.5), with the
 * access rights of 4.6 (U/S, R/W with CR0.WP, NX with EFER.NXE), accessed
 * and dirty bits (4.8) and the page-fault error code (4.7).
 */
#include <string.h>

#include "target/i386/cpu.h"
#include "tcg/exec.h"

#define PG_P   (1ull << 0)
#define PG_RW  (1ull << 1)
#define PG_US  (1ull << 2)
#define PG_A   (1ull << 5)
#define PG_D   (1ull << 6)
#define PG_PS  (1ull << 7)
#define PG_NX  (1ull << 63)

#define PF_P    (1u << 0)
#define PF_W    (1u << 1)
#define PF_U    (1u << 2)
#define PF_RSVD (1u << 3)
#define PF_I    (1u << 4)

enum { PROT_R = 1, PROT_W = 2, PROT_X = 4 };

static uint64_t phys_mask(CPUX86State *env, uint64_t pa)
{
    /* A20 gate: bit 20 forced to 0 when the gate is off. */
    return pa & ~(uint64_t)env->a20_mask_hi;
}

static uint64_t phys_ld(CPUX86State *env, uint64_t pa, unsigned size)
{
    bool writable;
    pa = phys_mask(env, pa);
    if (!env->accel) {
        return 0;
    }
    uint8_t *host = env->accel->ops->phys_host_page(env->accel->opaque, pa & TCG_PAGE_MASK, &writable);
    if (host) {
        uint64_t v = 0;
        memcpy(&v, host + (pa & ~TCG_PAGE_MASK), size);
        return v;
    }
    return env->accel->ops->mem_read(env->accel->opaque, pa, size);
}

static void phys_st(CPUX86State *env, uint64_t pa, unsigned size, uint64_t v)
{
    bool writable;
    pa = phys_mask(env, pa);
    if (!env->accel) {
        return;
    }
    uint8_t *host = env->accel->ops->phys_host_page(env->accel->opaque, pa & TCG_PAGE_MASK, &writable);
    if (host && writable) {
        memcpy(host + (pa & ~TCG_PAGE_MASK), &v, size);
        if (env->tcg.engine && tcg_engine_page_has_code(env->tcg.engine, pa & TCG_PAGE_MASK)) {
            tcg_engine_invalidate_phys_range(env->tcg.engine, pa, size);
        }
        return;
    }
    env->accel->ops->mem_write(env->accel->opaque, pa, size, v);
}

/* Set A (and D) in a paging-structure entry when not yet set. */
static void set_bits(CPUX86State *env, uint64_t pa, uint64_t entry, uint64_t bits, bool is64)
{
    if ((entry & bits) != bits) {
        entry |= bits;
        phys_st(env, pa, is64 ? 8 : 4, entry);
    }
}

typedef struct Walk {
    uint64_t phys;
    int prot;
    uint32_t error;     /* PF error code when it fails */
    bool ok;
} Walk;

static Walk walk(CPUX86State *env, uint64_t vaddr, int access, int mmu_idx, bool set_ad)
{
    Walk w = { 0, 0, 0, false };
    bool is_user = mmu_idx == MMU_USER_IDX;
    bool is_write = access == 1, is_exec = access == 2;
    bool wp = (env->cr[0] & CR0_WP) != 0;
    bool nxe = (env->efer & EFER_NXE) != 0;
    uint64_t maxphys = (1ull << 52) - 1;
    /* Accumulated rights: all levels must allow user / write; NX on any level forbids execute. */
    bool user_ok = true, write_ok = true, exec_ok = true;
    uint64_t pte = 0, pte_addr = 0, page_size = 4096, base;
    bool is64 = (env->cr[4] & CR4_PAE) != 0;
    uint32_t err_base = (is_write ? PF_W : 0) | (is_user ? PF_U : 0) | ((is_exec && (nxe || (env->cr[4] & CR4_SMEP))) ? PF_I : 0);

    if (is64) {
        uint64_t e;
        int levels;
        if (env->efer & EFER_LMA) {
            /* Canonical check: bits 63:47 all equal. */
            int64_t sv = (int64_t)vaddr;
            if ((sv >> 47) != 0 && (sv >> 47) != -1) {
                w.error = err_base;   /* a #GP in reality; reported as not present */
                return w;
            }
            base = env->cr[3] & 0x000ffffffffff000ull;
            levels = 4;
        } else {
            /* PAE: the PDPTE comes from CR3 bits 31:5 (SDM 4.4.1). */
            uint64_t pdpte_addr = (env->cr[3] & 0xffffffe0u) + ((vaddr >> 27) & 0x18);
            e = phys_ld(env, pdpte_addr, 8);
            if (!(e & PG_P)) {
                w.error = err_base;
                return w;
            }
            base = e & 0x000ffffffffff000ull;
            levels = 2;
        }
        for (int lvl = levels; lvl >= 1; lvl--) {
            int shift = 12 + 9 * (lvl - 1);
            pte_addr = (base & maxphys) + (((vaddr >> shift) & 511) * 8);
            e = phys_ld(env, pte_addr, 8);
            if (!(e & PG_P)) {
                w.error = err_base;
                return w;
            }
            if (!(e & PG_US)) {
                user_ok = false;
            }
            if (!(e & PG_RW)) {
                write_ok = false;
            }
            if (nxe && (e & PG_NX)) {
                exec_ok = false;
            }
            bool large = lvl > 1 && (e & PG_PS) && (lvl == 2 || (lvl == 3 && (env->efer & EFER_LMA)));
            if (lvl == 1 || large) {
                pte = e;
                page_size = 1ull << shift;
                break;
            }
            if (set_ad) {
                set_bits(env, pte_addr, e, PG_A, true);
            }
            base = e & 0x000ffffffffff000ull;
        }
        w.phys = (pte & 0x000ffffffffff000ull & ~(page_size - 1)) | (vaddr & (page_size - 1) & ~0xfffull);
    } else {
        uint64_t pde_addr = (env->cr[3] & 0xfffff000u) + ((vaddr >> 20) & 0xffc);
        uint64_t pde = phys_ld(env, pde_addr, 4);
        if (!(pde & PG_P)) {
            w.error = err_base;
            return w;
        }
        if (!(pde & PG_US)) {
            user_ok = false;
        }
        if (!(pde & PG_RW)) {
            write_ok = false;
        }
        if ((pde & PG_PS) && (env->cr[4] & CR4_PSE)) {
            pte = pde;
            pte_addr = pde_addr;
            page_size = 4u << 20;
            /* PSE-36: bits 16:13 give physical address bits 35:32. */
            w.phys = (pde & 0xffc00000u) | ((pde & 0x1e000ull) << 19) | (vaddr & 0x3ff000u);
        } else {
            if (set_ad) {
                set_bits(env, pde_addr, pde, PG_A, false);
            }
            pte_addr = (pde & 0xfffff000u) + ((vaddr >> 10) & 0xffc);
            pte = phys_ld(env, pte_addr, 4);
            if (!(pte & PG_P)) {
                w.error = err_base;
                return w;
            }
            if (!(pte & PG_US)) {
                user_ok = false;
            }
            if (!(pte & PG_RW)) {
                write_ok = false;
            }
            w.phys = pte & 0xfffff000u;
        }
    }

    /* Rights (SDM 4.6). */
    int prot = PROT_R;
    if (is_user) {
        if (!user_ok) {
            w.error = err_base | PF_P;
            return w;
        }
        if (write_ok) {
            prot |= PROT_W;
        }
        if (exec_ok) {
            prot |= PROT_X;
        }
    } else {
        if (write_ok || !wp) {
            prot |= PROT_W;
        }
        if (exec_ok && !(user_ok && (env->cr[4] & CR4_SMEP))) {
            prot |= PROT_X;
        }
    }
    if ((is_write && !(prot & PROT_W)) || (is_exec && !(prot & PROT_X))) {
        w.error = err_base | PF_P;
        return w;
    }
    if (set_ad) {
        uint64_t bits = PG_A | (is_write ? PG_D : 0);
        set_bits(env, pte_addr, pte, bits, is64);
    }
    /* Until the page is dirty, writes must come back here to set D. */
    if (!is_write && !(pte & PG_D)) {
        prot &= ~PROT_W;
    }
    w.prot = prot;
    w.ok = true;
    return w;
}

bool x86_tlb_fill(TCGCPU *cpu, uint64_t vaddr, int access, int mmu_idx, bool probe, uintptr_t retaddr,
                  uint64_t *phys, int *prot)
{
    CPUX86State *env = x86_env(cpu);

    if (!(env->cr[0] & CR0_PG)) {
        /* No paging: linear = physical, 32 bits outside long mode. */
        *phys = phys_mask(env, (env->hflags & HF_LMA) ? vaddr : (uint32_t)vaddr);
        *prot = PROT_R | PROT_W | PROT_X;
        return true;
    }
    if (env->efer & EFER_LMA) {
        int64_t sv = (int64_t)vaddr;
        if ((sv >> 47) != 0 && (sv >> 47) != -1) {
            /* A non-canonical address is a #GP(0), or #SS(0) through SS, not a page fault (SDM 3.3.7.1). */
            if (probe) {
                return false;
            }
            x86_raise_exception_err_ra(env, (cpu->access_attr & X86_ACCESS_SS) ? EXCP0C_STACK : EXCP0D_GPF, 0,
                                       retaddr);
        }
    }
    Walk w = walk(env, vaddr, access, mmu_idx, !probe);
    if (!w.ok) {
        if (probe) {
            return false;
        }
        env->cr[2] = vaddr;
        x86_raise_exception_err_ra(env, EXCP0E_PAGE, (int)w.error, retaddr);
    }
    *phys = phys_mask(env, w.phys);
    *prot = w.prot;
    return true;
}

bool x86_translate_debug(CPUX86State *env, uint64_t vaddr, uint64_t *phys)
{
    if (!(env->cr[0] & CR0_PG)) {
        *phys = phys_mask(env, (uint32_t)vaddr);
        return true;
    }
    Walk w = walk(env, vaddr, 0, MMU_KNOSMAP_IDX, false);
    if (!w.ok) {
        return false;
    }
    *phys = phys_mask(env, w.phys | (vaddr & ~TCG_PAGE_MASK));
    return true;
}
