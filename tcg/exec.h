/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The execution side of the JIT: the translation-block cache (tb.c), the
 * softmmu TLB (softmmu.c) and the execution loop (exec.c).
 *
 * Translation blocks are keyed by the guest physical address of their
 * first byte, the virtual pc, cs_base, the CPU mode flags and compile
 * flags.  A TB is registered on the one or two physical pages its code
 * spans; a write to such a page (by the guest, through the TLB's
 * TLB_NOTDIRTY slow path, or by a device, through
 * tcg_engine_invalidate_phys_range) invalidates every TB overlapping the
 * written bytes and unchains the jumps into them.  Direct chaining
 * (goto_tb) is only used between blocks in the same virtual page, so a
 * changed page mapping (which always flushes the TLB and the per-CPU jump
 * cache) can never be bypassed.
 *
 * Locking: one engine mutex guards the cache, the page lists and
 * chaining.  Code is only freed by a full flush, done by the vCPU thread
 * between blocks.  Exceptions leave generated code and helpers by
 * longjmp to the jmp_buf of tcg_cpu_exec; never with a lock held.
 */
#ifndef TCG_EXEC_H
#define TCG_EXEC_H

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

#include "tcg/codegen.h"
#include "tcg/cpu.h"

/* Compile flags (TB cflags). */
#define CF_COUNT_MASK  0x000001ffu   /* max instructions, 0 = default */
#define CF_NOCACHE     0x00000200u   /* one-shot: not hashed, not on page lists */
#define CF_NOIRQ       0x00000400u   /* no exit-request check at the start */
#define CF_ICOUNT      0x00000800u   /* decrement the icount budget */
#define CF_MMIO_CODE   0x00001000u   /* code fetched from MMIO */

#define TB_EXIT_MASK      3u
#define TB_EXIT_IDX0      0u
#define TB_EXIT_IDX1      1u
#define TB_EXIT_REQUESTED 2u

struct TranslationBlock {
    uint64_t pc;                /* virtual pc (linear: includes the CS base on x86) */
    uint64_t cs_base;
    uint32_t flags;             /* CPU mode */
    uint32_t cflags;
    uint64_t phys_pc;
    uint64_t page_addr[2];      /* physical pages; page_addr[1] = -1 when one */
    uint32_t size;              /* guest bytes */
    uint16_t icount;            /* guest instructions */
    bool invalid;

    uint8_t *tc_ptr;
    uint32_t tc_size;
    uint32_t jmp_insn_offset[2];
    uint32_t jmp_reset_offset[2];
    TranslationBlock *jmp_dest[2];  /* chained to */
    GPtrArray *jmp_incoming;        /* (TB | slot) of blocks chained to us */

    int nb_insns;
    uint32_t *insn_end;
    uint64_t *insn_data;        /* pc, aux per instruction */
    uint8_t *insn_len;
};

/* Special values of TCGCPU exception_index-style exits returned by tcg_cpu_exec. */
enum {
    EXCP_NONE = -1,
    EXCP_INTERRUPT = 0x10000,   /* exit requested (stop, kick) */
    EXCP_HLT = 0x10001,         /* halted: wait for an interrupt */
    EXCP_HALTED = 0x10002,
};

typedef struct TCGEngineStats {
    uint64_t tbs_translated;
    uint64_t tbs_invalidated;
    uint64_t flushes;
    uint64_t code_bytes;
} TCGEngineStats;

TCGEngine *tcg_engine_new(size_t code_size, GError **err);
void tcg_engine_free(TCGEngine *e);
TCGContext *tcg_engine_ctx(TCGEngine *e);   /* for defining globals at start-up */
const TCGBackend *tcg_engine_backend(TCGEngine *e);
void tcg_engine_add_cpu(TCGEngine *e, TCGCPU *cpu);
TCGEngineStats tcg_engine_stats(TCGEngine *e);
/* Skip the optimiser (debugging the front end). */
void tcg_engine_set_optimize(TCGEngine *e, bool on);

/*
 * A device (or anything but the guest's own stores) wrote guest RAM:
 * invalidate the TBs overlapping [start, start + len).  Any thread.
 */
void tcg_engine_invalidate_phys_range(TCGEngine *e, uint64_t start, uint64_t len);
/* The physical memory map changed for [start, start + len) (or everything with len 0). */
void tcg_engine_invalidate_phys_map(TCGEngine *e, uint64_t start, uint64_t len);
/* Drop every TB (and the code buffer contents).  vCPU thread, between blocks only. */
void tcg_engine_flush(TCGEngine *e);
bool tcg_engine_page_has_code(TCGEngine *e, uint64_t phys_page);

/* Find or translate the block at the CPU's current state (vCPU thread). */
TranslationBlock *tcg_tb_lookup(TCGCPU *cpu, uint64_t pc, uint64_t cs_base, uint32_t flags, uint32_t cflags);

/* The TB whose code contains host address `host_pc`, or NULL. */
TranslationBlock *tcg_tb_find_by_host_pc(TCGEngine *e, uintptr_t host_pc);
/* Restore the guest state of the instruction at host_pc.  Returns false if host_pc is not generated code. */
bool tcg_restore_state(TCGCPU *cpu, uintptr_t host_pc);

/* ---- exec.c ---- */

/*
 * Run guest code until the CPU halts (EXCP_HLT), a stop is requested
 * (EXCP_INTERRUPT) or the icount budget is used up (EXCP_INTERRUPT with
 * icount_budget <= 0).  Guest exceptions are delivered inside.
 */
int tcg_cpu_exec(TCGCPU *cpu);

/* Leave generated code / a helper for tcg_cpu_exec's loop (exception_index already set). */
void tcg_cpu_loop_exit(TCGCPU *cpu) __attribute__((noreturn));
/* Same, restoring the state of the instruction at retaddr first (0: state is already exact). */
void tcg_cpu_loop_exit_restore(TCGCPU *cpu, uintptr_t retaddr) __attribute__((noreturn));
/* Ask the CPU to leave generated code at the next block start (any thread). */
void tcg_cpu_kick(TCGCPU *cpu);

/* goto_ptr target: look up the next block from the current state, or the exit stub (helper). */
const void *tcg_helper_lookup_tb_ptr(TCGCPU *cpu);
extern const TCGHelperInfo tcg_helper_info_lookup_tb_ptr;

/* ---- softmmu.c ---- */

void tlb_flush(TCGCPU *cpu);
void tlb_flush_page(TCGCPU *cpu, uint64_t vaddr);
/* Install a translation (called from the target's tlb_fill path). */
void tlb_set_page(TCGCPU *cpu, uint64_t vaddr, uint64_t phys, int prot, int mmu_idx);
/* Writes to phys_page must take the slow path from now on (a TB was put on it). */
void tlb_protect_code_page(TCGCPU *cpu, uint64_t phys_page);

/*
 * Fetch for translation: host pointer of the page holding the code at
 * vaddr (NULL for MMIO/unassigned: then *phys is still set); raises the
 * guest's fetch fault through tlb_fill when unmapped.
 */
void *tcg_get_code_page(TCGCPU *cpu, uint64_t vaddr, int mmu_idx, uint64_t *phys);
/* Same without raising: false if vaddr cannot be fetched. */
bool tcg_probe_code_page(TCGCPU *cpu, uint64_t vaddr, int mmu_idx, uint64_t *phys, void **host);

/* Guest memory access from C (helpers): like the generated code, through the TLB. */
uint64_t tcg_guest_ld(TCGCPU *cpu, uint64_t addr, TCGMemOp mop, int mmu_idx, uintptr_t retaddr);
void tcg_guest_st(TCGCPU *cpu, uint64_t addr, uint64_t val, TCGMemOp mop, int mmu_idx, uintptr_t retaddr);
/* Host pointer for [addr, addr+len) in one RAM page with the access allowed, or NULL (then use ld/st). */
void *tcg_guest_host_ptr(TCGCPU *cpu, uint64_t addr, uint64_t len, bool write, int mmu_idx, uintptr_t retaddr);

#endif
