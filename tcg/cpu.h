/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The guest-independent part of a TCG vCPU.  A target's CPU state struct
 * starts with a TCGCPU, and the generated code addresses both through the
 * same pointer ("env", kept in a host register): the exit request flag,
 * the icount budget and the softmmu TLB sit at small fixed offsets.
 *
 * Softmmu TLB: per MMU index a direct-mapped table of TCG_TLB_SIZE
 * entries indexed by virtual page number.  Each comparator holds the page
 * address or'ed with flag bits (a page-aligned address never has them, so
 * a flagged entry always misses the inline fast path and goes to the
 * slow path):
 *   TLB_INVALID  no translation
 *   TLB_MMIO     not RAM: dispatch through the target's io hooks
 *   TLB_NOTDIRTY (write comparator) the page holds translated code:
 *                writes go through the slow path, which invalidates the
 *                TBs they overlap
 * The hit path computes host = vaddr + addend.
 */
#ifndef TCG_CPU_H
#define TCG_CPU_H

#include <setjmp.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tcg/tcg.h"

#define TCG_PAGE_BITS 12
#define TCG_PAGE_SIZE (1ull << TCG_PAGE_BITS)
#define TCG_PAGE_MASK (~(TCG_PAGE_SIZE - 1))

#define TCG_TLB_BITS 8
#define TCG_TLB_SIZE (1u << TCG_TLB_BITS)
#define TCG_TLB_ENTRY_BITS 5
#define TCG_NB_MMU_MODES 4

#define TLB_INVALID  (1ull << 0)
#define TLB_MMIO     (1ull << 1)
#define TLB_NOTDIRTY (1ull << 2)
#define TLB_FLAGS_MASK (TLB_INVALID | TLB_MMIO | TLB_NOTDIRTY)

typedef struct TCGTLBEntry {
    uint64_t addr_read;
    uint64_t addr_write;
    uint64_t addr_code;
    uintptr_t addend;
} TCGTLBEntry;

_Static_assert(sizeof(TCGTLBEntry) == (1 << TCG_TLB_ENTRY_BITS), "TLB entry size");

/* Per entry, for the slow path: the guest physical page it maps. */
typedef struct TCGIOTLBEntry {
    uint64_t phys_page;
    uint64_t vaddr_page;
} TCGIOTLBEntry;

#define TB_JMP_CACHE_BITS 12
#define TB_JMP_CACHE_SIZE (1u << TB_JMP_CACHE_BITS)

typedef struct TranslationBlock TranslationBlock;
typedef struct TCGEngine TCGEngine;
typedef struct TCGCPU TCGCPU;

/* What a target provides (target/i386/cpu.c fills one). */
typedef struct TCGTargetOps {
    /*
     * The key of the block about to run: pc (virtual, including any
     * segment base), cs_base and mode flags.
     */
    void (*get_tb_key)(TCGCPU *cpu, uint64_t *pc, uint64_t *cs_base, uint32_t *flags);
    /* The MMU index of the current mode (for code fetch when `code`). */
    int (*mmu_index)(TCGCPU *cpu, bool code);
    /* Emit the IR of `tb` (its key fields set) into s; return the number of guest bytes. */
    void (*translate)(TCGCPU *cpu, TCGContext *s, TranslationBlock *tb, int max_insns);
    /*
     * Translate vaddr for `access` (0 read, 1 write, 2 code) at mmu_idx:
     * on success set *phys and *prot (bit 0 read, 1 write, 2 exec) and
     * return true; on failure raise the guest exception (never returns)
     * unless `probe`, in which case return false.
     */
    bool (*tlb_fill)(TCGCPU *cpu, uint64_t vaddr, int access, int mmu_idx, bool probe,
                     uintptr_t retaddr, uint64_t *phys, int *prot);
    /*
     * Physical memory: the host pointer of the page holding `phys` if it
     * is RAM or ROM (*writable says which), else NULL (MMIO, unassigned).
     */
    void *(*phys_host_page)(TCGCPU *cpu, uint64_t phys_page, bool *writable);
    uint64_t (*io_read)(TCGCPU *cpu, uint64_t phys, unsigned size);
    void (*io_write)(TCGCPU *cpu, uint64_t phys, unsigned size, uint64_t val);
    /* Put the state of instruction `insn` of tb back (pc and aux from its insn_start). */
    void (*restore_state)(TCGCPU *cpu, const TranslationBlock *tb, uint64_t pc, uint64_t aux);
    /* Deliver the pending exception (cpu->exception_index, a guest vector). */
    void (*do_interrupt)(TCGCPU *cpu);
    /* interrupt_request is nonzero: deliver what the CPU accepts now; true if the state changed. */
    bool (*exec_interrupt)(TCGCPU *cpu);
    /* A trapcond fired: raise the guest exception for `code` at the instruction of retaddr (never returns). */
    void (*trap)(TCGCPU *cpu, uint64_t code, uintptr_t retaddr);
} TCGTargetOps;

struct TCGCPU {
    /* Nonzero: the next block start leaves to the exec loop. */
    volatile int32_t exit_request;
    /* Instructions left before the icount deadline (icount mode). */
    int32_t icount_budget;
    uint32_t _pad[2];
    TCGTLBEntry tlb[TCG_NB_MMU_MODES][TCG_TLB_SIZE];
    TCGIOTLBEntry iotlb[TCG_NB_MMU_MODES][TCG_TLB_SIZE];

    const TCGTargetOps *ops;
    TCGEngine *engine;
    jmp_buf jmp_env;
    bool can_longjmp;             /* jmp_env is armed */
    TranslationBlock *current_tb; /* the block being run, or NULL */
    TranslationBlock *tb_jmp_cache[TB_JMP_CACHE_SIZE];
    uint32_t cflags_next_tb;      /* compile flags forced for the next block (after SMC) */
    unsigned access_attr;         /* target attributes of the guest access being filled (get_oi_attr) */

    volatile int interrupt_request;  /* target-defined bits; nonzero: ask exec_interrupt */
    int exception_index;          /* -1 or a guest vector / EXCP_* of exec.h */
    volatile bool stop;           /* leave tcg_cpu_exec with EXCP_INTERRUPT */
    bool halted;
    bool icount;                  /* count instructions: every block decrements icount_budget */
    uint64_t icount_executed;     /* instructions retired while counting */
};

#define TCG_CPU_EXIT_REQUEST_OFFSET ((int32_t)offsetof(TCGCPU, exit_request))
#define TCG_CPU_ICOUNT_OFFSET ((int32_t)offsetof(TCGCPU, icount_budget))
#define TCG_CPU_TLB_OFFSET ((int32_t)offsetof(TCGCPU, tlb))

/* Slow paths of guest_ld/guest_st (softmmu.c); retaddr identifies the instruction. */
uint64_t tcg_helper_ld_mmu(TCGCPU *cpu, uint64_t addr, uint32_t oi, uintptr_t retaddr);
void tcg_helper_st_mmu(TCGCPU *cpu, uint64_t addr, uint64_t val, uint32_t oi, uintptr_t retaddr);
/* Out-of-line path of a trapcond that fired. */
void tcg_helper_trap(TCGCPU *cpu, uint64_t code, uintptr_t retaddr) __attribute__((noreturn));

#endif
