/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Shared between the x86 translator files: the fixed TCG globals and the
 * per-block translation state.
 */
#ifndef TARGET_I386_TRANSLATE_INTERNAL_H
#define TARGET_I386_TRANSLATE_INTERNAL_H

#include <setjmp.h>
#include <stddef.h>

#include "target/i386/cpu.h"
#include "target/i386/decode.h"
#include "tcg/exec.h"
#include "tcg/tcg.h"

/* TCG globals, created in this order by x86_tcg_init_globals (index 0 is env). */
enum {
    G_REGS = 1,                 /* 16 general registers */
    G_EIP = G_REGS + 16,
    G_CC_DST,
    G_CC_SRC,
    G_CC_SRC2,
    G_CC_OP,                    /* 32-bit */
    G_SEG_BASE,                 /* 6 segment bases */
    G_COUNT = G_SEG_BASE + 6,
};
#define G_REG(r) (G_REGS + (r))

#define ENV_OFF(field) ((int32_t)offsetof(CPUX86State, field))

/* Block end kinds. */
enum {
    DISAS_NEXT,        /* keep translating */
    DISAS_TOO_MANY,    /* stop here: chain to the next instruction */
    DISAS_EOB_NEXT,    /* state changed: store next eip, back to the exec loop */
    DISAS_EOB_INHIBIT, /* like EOB_NEXT but sets the interrupt shadow */
    DISAS_JUMP,        /* eip global already set: indirect lookup */
    DISAS_NORETURN,    /* code already ends the block */
};

/* Prefixes. */
#define PREFIX_REPZ  0x01
#define PREFIX_REPNZ 0x02
#define PREFIX_LOCK  0x04
#define PREFIX_DATA  0x08
#define PREFIX_ADR   0x10

enum { OPK_NONE, OPK_REG, OPK_MEM, OPK_IMM, OPK_SEG, OPK_CR, OPK_DR, OPK_STR };

typedef struct X86Op {
    uint8_t kind;
    uint8_t ot;             /* MO_8..MO_64 */
    uint8_t reg;            /* register number (byte registers: see high8) */
    bool high8;             /* AH, CH, DH, BH */
    uint64_t imm;
} X86Op;

typedef struct DisasContext {
    TCGContext *s;
    CPUX86State *env;
    TCGCPU *cpu;
    TranslationBlock *tb;

    uint64_t cs_base;
    uint32_t cs_limit;          /* checked when flags has HF_SEG_LIMCHK(R_CS) */
    uint32_t flags;
    int max_insns, num_insns;
    int is_jmp;
    jmp_buf abort_insn;     /* code fetch failed on a later instruction */

    /* Mode. */
    bool pe, vm86, code32, code64, ss32, addseg, lma;
    int cpl, iopl;
    int mem_index;

    /* Current instruction. */
    uint64_t eip, next_eip;
    int prefix, override;
    bool rex_present;
    int rex_w, rex_r, rex_x, rex_b;
    int dflag, aflag;
    int b;                  /* opcode byte */
    int modrm, mod, reg, rm;
    bool has_modrm;
    X86OpEntry e;
    X86Op op[3];
    /* Memory operand parts. */
    bool has_mem;
    int mem_base, mem_index_reg, mem_scale, mem_def_seg;
    int mem_seg;            /* segment of the memory operand (override applied) */
    int64_t mem_disp;
    bool mem_rip_rel;
    TCGv A0;                /* linear address of the memory operand */
    int ops_start;          /* s->nb_ops when the instruction began */

    /* Lazy flags. */
    int cc_op;
    bool cc_op_dirty;
    TCGv cc_srcT;           /* SUB/CMP's first operand, -1 when not known */

    /* Code pages. */
    uint64_t page_vaddr[2];
    const uint8_t *page_host[2];
    uint64_t page_phys[2];
    int nb_pages;
} DisasContext;

void x86_translate(TCGCPU *cpu, TCGContext *s, TranslationBlock *tb, int max_insns);

#endif
