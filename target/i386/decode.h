/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The x86 opcode tables, written in the operand notation of the Intel SDM
 * vol. 2, appendix A ("Opcode Map"): E/G = ModRM r/m / reg, I = immediate,
 * J = relative offset, M = memory-only ModRM, O = moffs, S = segment
 * register, C/D = control/debug register, Z = register in the opcode's
 * low three bits (SDM "rAX/r8" style), A = direct far address; sizes
 * b/w/d/q, v (operand size), z (16/32, 32 for 64-bit operand size),
 * y (32/64).  "Ibs" is an 8-bit immediate sign-extended to the operand
 * size (the SDM writes it Ib in the 6A/6B/83 rows and explains it in the
 * instruction pages).
 */
#ifndef TARGET_I386_DECODE_H
#define TARGET_I386_DECODE_H

#include <stdint.h>

typedef enum X86OpSpec {
    __ = 0,
    Eb, Ew, Ed, Eq, Ev, Ey,
    Gb, Gw, Gd, Gq, Gv, Gy,
    M, Mw, Md, Mq, Mp, Mv, My,
    Rd, Ry,
    Sw, Cd, Dd,
    Ib, Iw, Iz, Iv, Ibs, Jb, Jz,
    Ap, Ob, Ov,
    Zb, Zv, Zy,
    AL, CL, DX, eAX, One,
    Xb, Xv, Yb, Yv,
    X86_OPS_COUNT,
} X86OpSpec;

typedef enum X86Mnemonic {
    X86_INVALID = 0,
    /* one-byte map */
    X86_ADD, X86_OR, X86_ADC, X86_SBB, X86_AND, X86_SUB, X86_XOR, X86_CMP,
    X86_PUSH, X86_POP, X86_PUSH_SEG, X86_POP_SEG,
    X86_DAA, X86_DAS, X86_AAA, X86_AAS, X86_INC, X86_DEC,
    X86_PUSHA, X86_POPA, X86_BOUND, X86_ARPL, X86_MOVSXD, X86_IMUL3,
    X86_INS, X86_OUTS, X86_JCC, X86_TEST, X86_XCHG, X86_MOV, X86_MOV_FROM_SEG, X86_LEA,
    X86_MOV_TO_SEG, X86_NOP, X86_CBW, X86_CWD, X86_CALLF, X86_FWAIT, X86_PUSHF, X86_POPF,
    X86_SAHF, X86_LAHF, X86_MOVS, X86_CMPS, X86_STOS, X86_LODS, X86_SCAS, X86_RET,
    X86_LES, X86_LDS, X86_LSS, X86_LFS, X86_LGS, X86_ENTER, X86_LEAVE, X86_RETF,
    X86_INT3, X86_INT, X86_INTO, X86_IRET,
    X86_ROL, X86_ROR, X86_RCL, X86_RCR, X86_SHL, X86_SHR, X86_SAR,
    X86_AAM, X86_AAD, X86_SALC, X86_XLAT, X86_FPU,
    X86_LOOPNE, X86_LOOPE, X86_LOOP, X86_JCXZ, X86_IN, X86_OUT, X86_CALL, X86_JMP, X86_JMPF,
    X86_INT1, X86_HLT, X86_CMC, X86_NOT, X86_NEG, X86_MUL, X86_IMUL1, X86_DIV, X86_IDIV,
    X86_CLC, X86_STC, X86_CLI, X86_STI, X86_CLD, X86_STD,
    X86_CALL_IND, X86_CALLF_IND, X86_JMP_IND, X86_JMPF_IND,
    /* 0F map */
    X86_SLDT, X86_STR, X86_LLDT, X86_LTR, X86_VERR, X86_VERW,
    X86_SGDT, X86_SIDT, X86_LGDT, X86_LIDT, X86_SMSW, X86_LMSW, X86_INVLPG, X86_GRP7_REG,
    X86_LAR, X86_LSL, X86_SYSCALL, X86_CLTS, X86_SYSRET, X86_INVD, X86_WBINVD, X86_UD,
    X86_MOV_FROM_CR, X86_MOV_TO_CR, X86_MOV_FROM_DR, X86_MOV_TO_DR,
    X86_WRMSR, X86_RDTSC, X86_RDMSR, X86_RDPMC, X86_SYSENTER, X86_SYSEXIT,
    X86_CMOV, X86_SETCC, X86_CPUID, X86_BT, X86_BTS, X86_BTR, X86_BTC, X86_SHLD, X86_SHRD,
    X86_RSM, X86_GRP15, X86_IMUL2, X86_CMPXCHG, X86_MOVZX, X86_MOVSX, X86_POPCNT,
    X86_BSF, X86_BSR, X86_XADD, X86_GRP9, X86_BSWAP, X86_MOVBE, X86_SSE,
    X86_MNEMONIC_COUNT,
} X86Mnemonic;

/* Entry flags. */
enum {
    XF_LOCK  = 1 << 0,    /* LOCK prefix allowed (with a memory destination) */
    XF_I64   = 1 << 1,    /* invalid in 64-bit mode */
    XF_D64   = 1 << 2,    /* operand size defaults to 64 in 64-bit mode (push, pop, ...) */
    XF_F64   = 1 << 3,    /* operand size forced to 64 in 64-bit mode (near branches) */
    XF_O64   = 1 << 4,    /* valid only in 64-bit mode */
    XF_MODRM = 1 << 5,    /* has a ModRM byte even though no operand says so */
    XF_GROUP = 1 << 6,    /* ModRM.reg selects the entry in group[arg] */
    XF_PREFIX_TABLE = 1 << 7,   /* the mandatory prefix (none/66/F3/F2) selects in prefix group[arg] */
    XF_REP   = 1 << 8,    /* string instruction: REP prefixes meaningful */
    XF_PRIV  = 1 << 9,    /* needs CPL 0 (in protected mode) */
    XF_MOD3  = 1 << 10,   /* group entry for ModRM.mod == 3 is in the second half (index 8 + reg) */
};

typedef struct X86OpEntry {
    uint8_t mnem;        /* X86Mnemonic */
    uint8_t op[3];       /* X86OpSpec */
    uint16_t flags;
    uint8_t arg;         /* group number, condition code, segment, operand for special forms */
} X86OpEntry;

enum { X86_MAP_1BYTE, X86_MAP_0F, X86_MAP_0F38 };

extern const X86OpEntry x86_opcodes_1byte[256];
extern const X86OpEntry x86_opcodes_0f[256];
extern const X86OpEntry x86_opcodes_0f38[256];
/* Groups: [group][reg] or [group][8 + reg] for mod == 3 forms. */
extern const X86OpEntry x86_groups[][16];
/* Mandatory-prefix tables: [table][none, 66, F3, F2]. */
extern const X86OpEntry x86_prefix_tables[][4];

enum {
    GRP1 = 1, GRP1A, GRP2, GRP3b, GRP3v, GRP4, GRP5, GRP6, GRP7, GRP8, GRP9, GRP11b, GRP11v,
    GRP15, GRP16, GRP_NOP,
};
enum { PT_POPCNT = 1, PT_BSF, PT_BSR, PT_MOVBE_LOAD, PT_MOVBE_STORE };

const char *x86_mnemonic_name(int mnem);

#endif
