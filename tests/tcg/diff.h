/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The differential CPU tester: shared types.
 *
 * A test case is a snippet of x86 code (32-bit protected mode or 64-bit
 * long mode, user privilege, flat segments) plus an initial register
 * state and initial contents of three guest-visible regions at fixed
 * linear addresses: code, a data buffer and a private stack.  Each side
 * (the host CPU in native.c, ioemu's JIT in jit.c) runs it from the same
 * state and reports a DiffResult; compare.c decides whether the two agree,
 * ignoring what the manuals leave undefined (the masks of gen.c).
 *
 * Every region is surrounded by unmapped pages, so a stray access faults
 * (#PF) on both sides instead of reading something different.
 */
#ifndef TESTS_TCG_DIFF_H
#define TESTS_TCG_DIFF_H

/* Linear addresses, shared by C and the corpus assembly (.S). */
#define DIFF_CODE_BASE   0x10000000
#define DIFF_CODE_SIZE   0x4000
#define DIFF_DATA_BASE   0x10100000
#define DIFF_DATA_SIZE   0x2000
#define DIFF_STACK_BASE  0x10200000
#define DIFF_STACK_SIZE  0x2000
/* Initial stack pointer: the middle of the stack, so pops have room too. */
#define DIFF_STACK_INIT  (DIFF_STACK_BASE + 0x1000)

/*
 * 16-bit cases (real mode; the oracle is QEMU, see qemu16.c): the snippet
 * runs at DIFF16_CODE_SEG:entry; DS = ES = SS = FS = GS = DIFF16_DATA_SEG,
 * whose first half is the data buffer and second half the stack.  In
 * DiffInput/DiffResult, code/data/stack hold these offsets from 0.
 */
#define DIFF16_CODE_SEG   0x1000
#define DIFF16_CODE_SIZE  0x1000
#define DIFF16_DATA_SEG   0x2000
#define DIFF16_DATA_OFF   0x0000
#define DIFF16_DATA_SIZE  0x0800
#define DIFF16_STACK_OFF  0x0800
#define DIFF16_STACK_SIZE 0x0800
#define DIFF16_SP_INIT    0x0c00

/* User selectors of a Linux x86-64 process (arch/x86/include/asm/segment.h). */
#define DIFF_SEL_CS32 0x23
#define DIFF_SEL_DS   0x2b
#define DIFF_SEL_CS64 0x33

/* EFLAGS bits (SDM vol. 1, 3.4.3). */
#define FL_CF 0x0001
#define FL_PF 0x0004
#define FL_AF 0x0010
#define FL_ZF 0x0040
#define FL_SF 0x0080
#define FL_TF 0x0100
#define FL_IF 0x0200
#define FL_DF 0x0400
#define FL_OF 0x0800
#define FL_ARITH (FL_CF | FL_PF | FL_AF | FL_ZF | FL_SF | FL_OF)
/* What the tester compares and may set: the status flags and DF. */
#define FL_COMPARED (FL_ARITH | FL_DF)
/* EFLAGS of user code on Linux: bit 1 (reserved, always 1) and IF. */
#define FL_USER_FIXED 0x0202

/* Exception vectors (SDM vol. 3, 6.3.1). */
#define VEC_DE 0
#define VEC_DB 1
#define VEC_BP 3
#define VEC_OF 4
#define VEC_BR 5
#define VEC_UD 6
#define VEC_NM 7
#define VEC_TS 10
#define VEC_NP 11
#define VEC_SS 12
#define VEC_GP 13
#define VEC_PF 14
#define VEC_MF 16
#define VEC_AC 17

#ifndef __ASSEMBLER__

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

/* GPR numbers as encoded in ModRM/REX. */
enum {
    R_AX, R_CX, R_DX, R_BX, R_SP, R_BP, R_SI, R_DI,
    R_R8, R_R9, R_R10, R_R11, R_R12, R_R13, R_R14, R_R15,
    DIFF_NREGS
};

typedef struct DiffRegs {
    uint64_t gpr[DIFF_NREGS];
    uint64_t rip;
    uint64_t rflags;
} DiffRegs;

typedef struct DiffInput {
    int mode;                       /* 16, 32 or 64 */
    /*
     * JIT only: run 32-bit code in long mode's compatibility mode (as the
     * host does) rather than in legacy protected mode with PAE paging.
     */
    bool compat32;
    uint64_t entry;                 /* linear address of the first instruction */
    uint64_t end;                   /* linear address just after the final int3 */
    uint32_t seed16;                /* 16-bit cases: the data segment's xorshift32 seed */
    DiffRegs regs;                  /* rip is ignored (entry) */
    uint8_t code[DIFF_CODE_SIZE];   /* whole region, int3-filled around the snippet */
    uint8_t data[DIFF_DATA_SIZE];
    uint8_t stack[DIFF_STACK_SIZE];
} DiffInput;

typedef enum {
    DIFF_OUT_END,        /* reached the final int3 */
    DIFF_OUT_EXCEPTION,  /* any other exception (vector, rip = the faulting insn or, for traps, the next) */
    DIFF_OUT_TIMEOUT,    /* did not finish */
    DIFF_OUT_ERROR,      /* the runner itself failed (message in `error`) */
} DiffOutcome;

typedef struct DiffResult {
    DiffOutcome outcome;
    int vector;
    uint64_t fault_addr;            /* #PF: the linear address */
    uint32_t error_code;            /* #GP, #SS, #PF, ...: the error code pushed */
    DiffRegs regs;
    uint8_t code[DIFF_CODE_SIZE];
    uint8_t data[DIFF_DATA_SIZE];
    uint8_t stack[DIFF_STACK_SIZE];
    char error[160];
} DiffResult;

/* What gen.c knows the manuals leave undefined at the end of a case. */
typedef struct DiffMask {
    uint32_t undef_regs;            /* bit per GPR: value undefined */
    uint32_t undef_flags;           /* FL_* bits undefined */
} DiffMask;

/* ---- native.c: the host CPU ---- */
typedef struct NativeRunner NativeRunner;
NativeRunner *native_runner_new(GError **err);
void native_runner_free(NativeRunner *r);
/* Run one case; false (with err) only when the runner itself broke. */
bool native_run(NativeRunner *r, const DiffInput *in, DiffResult *out, GError **err);

/* ---- jit.c: ioemu's JIT ---- */
typedef struct JitRunner JitRunner;
/* NULL with err (the reason) when the JIT cannot run user code in this build. */
JitRunner *jit_runner_new(GError **err);
void jit_runner_free(JitRunner *r);
bool jit_run(JitRunner *r, const DiffInput *in, DiffResult *out, GError **err);
/* Run a real-mode BIOS image (qemu16.h) from reset; *con (g_free) gets the debug-console bytes. */
bool jit_run_rom16(JitRunner *r, const uint8_t *rom, uint8_t **con, size_t *con_len, GError **err);

/* ---- compare.c ---- */
/*
 * Compare two results under the mask; on difference append a description
 * (one line per differing item) to `why` and return false.
 */
bool diff_compare(int mode, const DiffResult *a, const char *a_name, const DiffResult *b,
                  const char *b_name, const DiffMask *mask, GString *why);
/* Disassemble [code, code+len) at `addr` into out, one instruction per line. */
void diff_disasm(int mode, uint64_t addr, const uint8_t *code, size_t len, GString *out,
                 const char *indent);
const char *diff_vector_name(int vector);
void diff_format_regs(int mode, const DiffRegs *r, GString *out, const char *indent);
void diff_format_result(int mode, const DiffResult *r, GString *out);

#endif /* __ASSEMBLER__ */
#endif
