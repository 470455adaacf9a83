/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Host code generation: the interface between the IR and a host backend
 * (x86_64/codegen.c is the only one).
 *
 * Generated blocks run inside the prologue: env in a reserved host
 * register, a fixed stack frame for spilled temps.  A block leaves by
 * returning a value to tcg_exec_tb's caller (exit_tb), by jumping straight
 * into another block (goto_tb, patched when the blocks are chained), or by
 * an indirect jump to a looked-up block (goto_ptr).
 */
#ifndef TCG_CODEGEN_H
#define TCG_CODEGEN_H

#include <stddef.h>
#include <stdint.h>

#include "tcg/tcg.h"

typedef struct TCGBackend {
    uint8_t *prologue;          /* uintptr_t prologue(void *env, const void *code) */
    uint8_t *epilogue;          /* return to the caller with rax */
    uint8_t *exit_zero;         /* return 0: goto_ptr's target when no block was found */
    size_t size;                /* bytes used by the above */
} TCGBackend;

typedef struct TCGCodeOut {
    size_t size;                    /* bytes of host code */
    uint32_t jmp_insn_offset[2];    /* offset of goto_tb's rel32 field, UINT32_MAX if none */
    uint32_t jmp_reset_offset[2];   /* where the unchained jump goes */
    int nb_insns;
    uint32_t *insn_end;             /* host offset where each guest instruction's code ends */
    uint64_t *insn_data;            /* 2 per insn: pc, aux (from insn_start) */
    uint8_t *insn_len;
} TCGCodeOut;

enum {
    TCG_GEN_OK = 0,
    TCG_GEN_BUFFER_FULL = -1,   /* flush the code buffer and retry */
    TCG_GEN_TOO_BIG = -2,       /* too many spilled temps: retry with fewer instructions */
};

/* Emit the prologue/epilogue at buf; fills be.  Returns false if it does not fit. */
bool tcg_backend_init(TCGBackend *be, uint8_t *buf, size_t size);

/* Compile s (after tcg_optimize/tcg_liveness) into buf.  out's arrays are g_malloc'ed. */
int tcg_gen_code(TCGContext *s, const TCGBackend *be, uint8_t *buf, size_t size, TCGCodeOut *out);
void tcg_code_out_free(TCGCodeOut *out);

/* Point goto_tb's jump (rel32 at jmp_addr) at target; atomic for concurrent execution. */
void tcg_patch_jump(uint8_t *jmp_rel32, const uint8_t *target);

/* Run generated code: returns the exit value. */
uintptr_t tcg_exec_code(const TCGBackend *be, void *env, const void *code);

/* Disassemble host code into out (capstone), one instruction a line. */
void tcg_disas_host(GString *out, const uint8_t *code, size_t size);
/* Disassemble guest x86 code (mode 16/32/64) at guest address pc. */
void tcg_disas_x86(GString *out, const uint8_t *code, size_t size, uint64_t pc, int mode);

#endif
