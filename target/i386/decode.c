/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The opcode tables (SDM vol. 2, appendix A, tables; groups in
 * table A-6).  One row per opcode, operands in SDM notation (decode.h).
 * SDM quirks noted where they matter:
 *  - 63 is ARPL Ew,Gw outside 64-bit mode and MOVSXD Gv,Ed in it.
 *  - 90 is NOP only without REX.B (with it, XCHG r8,rAX); F3 90 is PAUSE.
 *  - 82 is an alias of 80 outside 64-bit mode (the SDM marks it i64).
 *  - 0F 18-1F are hint NOPs with a ModRM (the SDM lists 0F 1F /0 as NOP Ev).
 */
#include "target/i386/decode.h"

#define OP(m, a, b, c, f) { X86_##m, { a, b, c }, (f), 0 }
#define OPA(m, a, b, c, f, x) { X86_##m, { a, b, c }, (f), (x) }
#define GRP(g, a, b, c, f) { X86_INVALID, { a, b, c }, (f) | XF_GROUP, (g) }
#define PFX(t, f) { X86_INVALID, { __, __, __ }, (f) | XF_PREFIX_TABLE, (t) }
#define ALU_F(m, base, lk)                                   \
    [(base) + 0] = OP(m, Eb, Gb, __, lk),                    \
    [(base) + 1] = OP(m, Ev, Gv, __, lk),                    \
    [(base) + 2] = OP(m, Gb, Eb, __, 0),                    \
    [(base) + 3] = OP(m, Gv, Ev, __, 0),                    \
    [(base) + 4] = OP(m, AL, Ib, __, 0),                    \
    [(base) + 5] = OP(m, eAX, Iz, __, 0)
#define ALU(m, base) ALU_F(m, base, XF_LOCK)

/* 16 consecutive opcodes, one per condition code (SDM appendix B.1 order), cc in arg. */
#define CCROW(base, m, a, b, f) \
    [(base) + 0] = OPA(m, a, b, __, f, 0), [(base) + 1] = OPA(m, a, b, __, f, 1),     \
    [(base) + 2] = OPA(m, a, b, __, f, 2), [(base) + 3] = OPA(m, a, b, __, f, 3),     \
    [(base) + 4] = OPA(m, a, b, __, f, 4), [(base) + 5] = OPA(m, a, b, __, f, 5),     \
    [(base) + 6] = OPA(m, a, b, __, f, 6), [(base) + 7] = OPA(m, a, b, __, f, 7),     \
    [(base) + 8] = OPA(m, a, b, __, f, 8), [(base) + 9] = OPA(m, a, b, __, f, 9),     \
    [(base) + 10] = OPA(m, a, b, __, f, 10), [(base) + 11] = OPA(m, a, b, __, f, 11), \
    [(base) + 12] = OPA(m, a, b, __, f, 12), [(base) + 13] = OPA(m, a, b, __, f, 13), \
    [(base) + 14] = OPA(m, a, b, __, f, 14), [(base) + 15] = OPA(m, a, b, __, f, 15)

const X86OpEntry x86_opcodes_1byte[256] = {
    ALU(ADD, 0x00),
    [0x06] = OPA(PUSH_SEG, __, __, __, XF_I64, 0), [0x07] = OPA(POP_SEG, __, __, __, XF_I64, 0),
    ALU(OR, 0x08),
    [0x0e] = OPA(PUSH_SEG, __, __, __, XF_I64, 1),
    ALU(ADC, 0x10),
    [0x16] = OPA(PUSH_SEG, __, __, __, XF_I64, 2), [0x17] = OPA(POP_SEG, __, __, __, XF_I64, 2),
    ALU(SBB, 0x18),
    [0x1e] = OPA(PUSH_SEG, __, __, __, XF_I64, 3), [0x1f] = OPA(POP_SEG, __, __, __, XF_I64, 3),
    ALU(AND, 0x20),
    [0x27] = OP(DAA, __, __, __, XF_I64),
    ALU(SUB, 0x28),
    [0x2f] = OP(DAS, __, __, __, XF_I64),
    ALU(XOR, 0x30),
    [0x37] = OP(AAA, __, __, __, XF_I64),
    ALU_F(CMP, 0x38, 0),        /* CMP only reads: LOCK is #UD */
    [0x3f] = OP(AAS, __, __, __, XF_I64),
    [0x40 ... 0x47] = OP(INC, Zv, __, __, XF_I64),
    [0x48 ... 0x4f] = OP(DEC, Zv, __, __, XF_I64),
    [0x50 ... 0x57] = OP(PUSH, Zv, __, __, XF_D64),
    [0x58 ... 0x5f] = OP(POP, Zv, __, __, XF_D64),
    [0x60] = OP(PUSHA, __, __, __, XF_I64),
    [0x61] = OP(POPA, __, __, __, XF_I64),
    [0x62] = OP(BOUND, Gv, M, __, XF_I64),
    [0x63] = OP(ARPL, Ew, Gw, __, 0),           /* MOVSXD Gv,Ed in 64-bit mode: see the translator */
    [0x68] = OP(PUSH, Iz, __, __, XF_D64),
    [0x69] = OP(IMUL3, Gv, Ev, Iz, 0),
    [0x6a] = OP(PUSH, Ibs, __, __, XF_D64),
    [0x6b] = OP(IMUL3, Gv, Ev, Ibs, 0),
    [0x6c] = OP(INS, Yb, DX, __, XF_REP),
    [0x6d] = OP(INS, Yv, DX, __, XF_REP),
    [0x6e] = OP(OUTS, DX, Xb, __, XF_REP),
    [0x6f] = OP(OUTS, DX, Xv, __, XF_REP),
    CCROW(0x70, JCC, Jb, __, XF_F64),
    [0x80] = GRP(GRP1, Eb, Ib, __, 0),
    [0x81] = GRP(GRP1, Ev, Iz, __, 0),
    [0x82] = GRP(GRP1, Eb, Ib, __, XF_I64),
    [0x83] = GRP(GRP1, Ev, Ibs, __, 0),
    [0x84] = OP(TEST, Eb, Gb, __, 0),
    [0x85] = OP(TEST, Ev, Gv, __, 0),
    [0x86] = OP(XCHG, Eb, Gb, __, XF_LOCK),
    [0x87] = OP(XCHG, Ev, Gv, __, XF_LOCK),
    [0x88] = OP(MOV, Eb, Gb, __, 0),
    [0x89] = OP(MOV, Ev, Gv, __, 0),
    [0x8a] = OP(MOV, Gb, Eb, __, 0),
    [0x8b] = OP(MOV, Gv, Ev, __, 0),
    [0x8c] = OP(MOV_FROM_SEG, Ev, Sw, __, 0),
    [0x8d] = OP(LEA, Gv, M, __, 0),
    [0x8e] = OP(MOV_TO_SEG, Sw, Ew, __, 0),
    [0x8f] = GRP(GRP1A, Ev, __, __, XF_D64),
    [0x90] = OP(NOP, __, __, __, 0),            /* XCHG r8, rAX with REX.B; PAUSE with F3 */
    [0x91 ... 0x97] = OP(XCHG, Zv, eAX, __, 0),
    [0x98] = OP(CBW, __, __, __, 0),
    [0x99] = OP(CWD, __, __, __, 0),
    [0x9a] = OP(CALLF, Ap, __, __, XF_I64),
    [0x9b] = OP(FWAIT, __, __, __, 0),
    [0x9c] = OP(PUSHF, __, __, __, XF_D64),
    [0x9d] = OP(POPF, __, __, __, XF_D64),
    [0x9e] = OP(SAHF, __, __, __, 0),
    [0x9f] = OP(LAHF, __, __, __, 0),
    [0xa0] = OP(MOV, AL, Ob, __, 0),
    [0xa1] = OP(MOV, eAX, Ov, __, 0),
    [0xa2] = OP(MOV, Ob, AL, __, 0),
    [0xa3] = OP(MOV, Ov, eAX, __, 0),
    [0xa4] = OP(MOVS, Yb, Xb, __, XF_REP),
    [0xa5] = OP(MOVS, Yv, Xv, __, XF_REP),
    [0xa6] = OP(CMPS, Xb, Yb, __, XF_REP),
    [0xa7] = OP(CMPS, Xv, Yv, __, XF_REP),
    [0xa8] = OP(TEST, AL, Ib, __, 0),
    [0xa9] = OP(TEST, eAX, Iz, __, 0),
    [0xaa] = OP(STOS, Yb, AL, __, XF_REP),
    [0xab] = OP(STOS, Yv, eAX, __, XF_REP),
    [0xac] = OP(LODS, AL, Xb, __, XF_REP),
    [0xad] = OP(LODS, eAX, Xv, __, XF_REP),
    [0xae] = OP(SCAS, AL, Yb, __, XF_REP),
    [0xaf] = OP(SCAS, eAX, Yv, __, XF_REP),
    [0xb0 ... 0xb7] = OP(MOV, Zb, Ib, __, 0),
    [0xb8 ... 0xbf] = OP(MOV, Zv, Iv, __, 0),
    [0xc0] = GRP(GRP2, Eb, Ib, __, 0),
    [0xc1] = GRP(GRP2, Ev, Ib, __, 0),
    [0xc2] = OP(RET, Iw, __, __, XF_F64),
    [0xc3] = OP(RET, __, __, __, XF_F64),
    [0xc4] = OP(LES, Gv, Mp, __, XF_I64),
    [0xc5] = OP(LDS, Gv, Mp, __, XF_I64),
    [0xc6] = GRP(GRP11b, Eb, Ib, __, 0),
    [0xc7] = GRP(GRP11v, Ev, Iz, __, 0),
    [0xc8] = OP(ENTER, Iw, Ib, __, XF_D64),
    [0xc9] = OP(LEAVE, __, __, __, XF_D64),
    [0xca] = OP(RETF, Iw, __, __, 0),
    [0xcb] = OP(RETF, __, __, __, 0),
    [0xcc] = OP(INT3, __, __, __, 0),
    [0xcd] = OP(INT, Ib, __, __, 0),
    [0xce] = OP(INTO, __, __, __, XF_I64),
    [0xcf] = OP(IRET, __, __, __, 0),
    [0xd0] = GRP(GRP2, Eb, One, __, 0),
    [0xd1] = GRP(GRP2, Ev, One, __, 0),
    [0xd2] = GRP(GRP2, Eb, CL, __, 0),
    [0xd3] = GRP(GRP2, Ev, CL, __, 0),
    [0xd4] = OP(AAM, Ib, __, __, XF_I64),
    [0xd5] = OP(AAD, Ib, __, __, XF_I64),
    [0xd6] = OP(SALC, __, __, __, XF_I64),
    [0xd7] = OP(XLAT, __, __, __, 0),
    [0xd8 ... 0xdf] = OP(FPU, __, __, __, XF_MODRM),
    [0xe0] = OP(LOOPNE, Jb, __, __, XF_F64),
    [0xe1] = OP(LOOPE, Jb, __, __, XF_F64),
    [0xe2] = OP(LOOP, Jb, __, __, XF_F64),
    [0xe3] = OP(JCXZ, Jb, __, __, XF_F64),
    [0xe4] = OP(IN, AL, Ib, __, 0),
    [0xe5] = OP(IN, eAX, Ib, __, 0),
    [0xe6] = OP(OUT, Ib, AL, __, 0),
    [0xe7] = OP(OUT, Ib, eAX, __, 0),
    [0xe8] = OP(CALL, Jz, __, __, XF_F64),
    [0xe9] = OP(JMP, Jz, __, __, XF_F64),
    [0xea] = OP(JMPF, Ap, __, __, XF_I64),
    [0xeb] = OP(JMP, Jb, __, __, XF_F64),
    [0xec] = OP(IN, AL, DX, __, 0),
    [0xed] = OP(IN, eAX, DX, __, 0),
    [0xee] = OP(OUT, DX, AL, __, 0),
    [0xef] = OP(OUT, DX, eAX, __, 0),
    [0xf1] = OP(INT1, __, __, __, 0),
    [0xf4] = OP(HLT, __, __, __, XF_PRIV),
    [0xf5] = OP(CMC, __, __, __, 0),
    [0xf6] = GRP(GRP3b, Eb, __, __, 0),
    [0xf7] = GRP(GRP3v, Ev, __, __, 0),
    [0xf8] = OP(CLC, __, __, __, 0),
    [0xf9] = OP(STC, __, __, __, 0),
    [0xfa] = OP(CLI, __, __, __, 0),
    [0xfb] = OP(STI, __, __, __, 0),
    [0xfc] = OP(CLD, __, __, __, 0),
    [0xfd] = OP(STD, __, __, __, 0),
    [0xfe] = GRP(GRP4, Eb, __, __, 0),
    [0xff] = GRP(GRP5, Ev, __, __, 0),
};

const X86OpEntry x86_opcodes_0f[256] = {
    [0x00] = GRP(GRP6, __, __, __, XF_MODRM),
    [0x01] = GRP(GRP7, __, __, __, XF_MODRM | XF_MOD3),
    [0x02] = OP(LAR, Gv, Ew, __, 0),
    [0x03] = OP(LSL, Gv, Ew, __, 0),
    [0x05] = OP(SYSCALL, __, __, __, 0),
    [0x06] = OP(CLTS, __, __, __, XF_PRIV),
    [0x07] = OP(SYSRET, __, __, __, XF_PRIV),
    [0x08] = OP(INVD, __, __, __, XF_PRIV),
    [0x09] = OP(WBINVD, __, __, __, XF_PRIV),
    [0x0b] = OP(UD, __, __, __, 0),
    [0x0d] = OP(NOP, Ev, __, __, 0),                 /* PREFETCH(W) */
    [0x10 ... 0x17] = OP(SSE, __, __, __, XF_MODRM),
    [0x18 ... 0x1f] = OP(NOP, Ev, __, __, 0),        /* hint NOPs */
    [0x20] = OP(MOV_FROM_CR, Ry, Cd, __, XF_PRIV | XF_F64),
    [0x21] = OP(MOV_FROM_DR, Ry, Dd, __, XF_PRIV | XF_F64),
    [0x22] = OP(MOV_TO_CR, Cd, Ry, __, XF_PRIV | XF_F64),
    [0x23] = OP(MOV_TO_DR, Dd, Ry, __, XF_PRIV | XF_F64),
    [0x28 ... 0x2f] = OP(SSE, __, __, __, XF_MODRM),
    [0x30] = OP(WRMSR, __, __, __, XF_PRIV),
    [0x31] = OP(RDTSC, __, __, __, 0),
    [0x32] = OP(RDMSR, __, __, __, XF_PRIV),
    [0x33] = OP(RDPMC, __, __, __, 0),
    [0x34] = OP(SYSENTER, __, __, __, 0),
    [0x35] = OP(SYSEXIT, __, __, __, XF_PRIV),
    [0x38] = OP(INVALID, __, __, __, 0),             /* escape: handled by the decoder */
    CCROW(0x40, CMOV, Gv, Ev, 0),
    [0x50 ... 0x7f] = OP(SSE, __, __, __, XF_MODRM),
    CCROW(0x80, JCC, Jz, __, XF_F64),
    CCROW(0x90, SETCC, Eb, __, 0),
    [0xa0] = OPA(PUSH_SEG, __, __, __, XF_D64, 4),
    [0xa1] = OPA(POP_SEG, __, __, __, XF_D64, 4),
    [0xa2] = OP(CPUID, __, __, __, 0),
    [0xa3] = OP(BT, Ev, Gv, __, 0),
    [0xa4] = OP(SHLD, Ev, Gv, Ib, 0),
    [0xa5] = OP(SHLD, Ev, Gv, CL, 0),
    [0xa8] = OPA(PUSH_SEG, __, __, __, XF_D64, 5),
    [0xa9] = OPA(POP_SEG, __, __, __, XF_D64, 5),
    [0xaa] = OP(RSM, __, __, __, 0),
    [0xab] = OP(BTS, Ev, Gv, __, XF_LOCK),
    [0xac] = OP(SHRD, Ev, Gv, Ib, 0),
    [0xad] = OP(SHRD, Ev, Gv, CL, 0),
    [0xae] = GRP(GRP15, __, __, __, XF_MODRM | XF_MOD3),
    [0xaf] = OP(IMUL2, Gv, Ev, __, 0),
    [0xb0] = OP(CMPXCHG, Eb, Gb, __, XF_LOCK),
    [0xb1] = OP(CMPXCHG, Ev, Gv, __, XF_LOCK),
    [0xb2] = OP(LSS, Gv, Mp, __, 0),
    [0xb3] = OP(BTR, Ev, Gv, __, XF_LOCK),
    [0xb4] = OP(LFS, Gv, Mp, __, 0),
    [0xb5] = OP(LGS, Gv, Mp, __, 0),
    [0xb6] = OP(MOVZX, Gv, Eb, __, 0),
    [0xb7] = OP(MOVZX, Gv, Ew, __, 0),
    [0xb8] = PFX(PT_POPCNT, XF_MODRM),
    [0xb9] = OP(UD, __, __, __, XF_MODRM),
    [0xba] = GRP(GRP8, Ev, Ib, __, 0),
    [0xbb] = OP(BTC, Ev, Gv, __, XF_LOCK),
    [0xbc] = PFX(PT_BSF, XF_MODRM),
    [0xbd] = PFX(PT_BSR, XF_MODRM),
    [0xbe] = OP(MOVSX, Gv, Eb, __, 0),
    [0xbf] = OP(MOVSX, Gv, Ew, __, 0),
    [0xc0] = OP(XADD, Eb, Gb, __, XF_LOCK),
    [0xc1] = OP(XADD, Ev, Gv, __, XF_LOCK),
    [0xc2] = OP(SSE, __, __, __, XF_MODRM),
    [0xc3] = OP(MOV, My, Gy, __, 0),             /* MOVNTI: a store with a non-temporal hint */
    [0xc4 ... 0xc6] = OP(SSE, __, __, __, XF_MODRM),
    [0xc7] = GRP(GRP9, __, __, __, XF_MODRM | XF_MOD3),
    [0xc8 ... 0xcf] = OP(BSWAP, Zy, __, __, 0),
    [0xd0 ... 0xfe] = OP(SSE, __, __, __, XF_MODRM),
    [0xff] = OP(UD, __, __, __, XF_MODRM),
};

const X86OpEntry x86_opcodes_0f38[256] = {
    [0xf0] = PFX(PT_MOVBE_LOAD, XF_MODRM),
    [0xf1] = PFX(PT_MOVBE_STORE, XF_MODRM),
};

const X86OpEntry x86_groups[][16] = {
    /* GRP1 and GRP2 take their operands from the opcode row (80-83, C0/C1, D0-D3). */
    [GRP1] = {
        OP(ADD, __, __, __, XF_LOCK), OP(OR, __, __, __, XF_LOCK), OP(ADC, __, __, __, XF_LOCK),
        OP(SBB, __, __, __, XF_LOCK), OP(AND, __, __, __, XF_LOCK), OP(SUB, __, __, __, XF_LOCK),
        OP(XOR, __, __, __, XF_LOCK), OP(CMP, __, __, __, 0),
    },
    [GRP1A] = { OP(POP, Ev, __, __, XF_D64) },
    [GRP2] = {
        OP(ROL, __, __, __, 0), OP(ROR, __, __, __, 0), OP(RCL, __, __, __, 0), OP(RCR, __, __, __, 0),
        OP(SHL, __, __, __, 0), OP(SHR, __, __, __, 0), OP(SHL, __, __, __, 0), OP(SAR, __, __, __, 0),
    },
    [GRP3b] = {
        OP(TEST, Eb, Ib, __, 0), OP(TEST, Eb, Ib, __, 0), OP(NOT, Eb, __, __, XF_LOCK),
        OP(NEG, Eb, __, __, XF_LOCK), OP(MUL, Eb, __, __, 0), OP(IMUL1, Eb, __, __, 0),
        OP(DIV, Eb, __, __, 0), OP(IDIV, Eb, __, __, 0),
    },
    [GRP3v] = {
        OP(TEST, Ev, Iz, __, 0), OP(TEST, Ev, Iz, __, 0), OP(NOT, Ev, __, __, XF_LOCK),
        OP(NEG, Ev, __, __, XF_LOCK), OP(MUL, Ev, __, __, 0), OP(IMUL1, Ev, __, __, 0),
        OP(DIV, Ev, __, __, 0), OP(IDIV, Ev, __, __, 0),
    },
    [GRP4] = { OP(INC, Eb, __, __, XF_LOCK), OP(DEC, Eb, __, __, XF_LOCK) },
    [GRP5] = {
        OP(INC, Ev, __, __, XF_LOCK), OP(DEC, Ev, __, __, XF_LOCK), OP(CALL_IND, Ev, __, __, XF_F64),
        OP(CALLF_IND, Mp, __, __, 0), OP(JMP_IND, Ev, __, __, XF_F64), OP(JMPF_IND, Mp, __, __, 0),
        OP(PUSH, Ev, __, __, XF_D64),
    },
    [GRP6] = {
        OP(SLDT, Ew, __, __, 0), OP(STR, Ew, __, __, 0), OP(LLDT, Ew, __, __, XF_PRIV),
        OP(LTR, Ew, __, __, XF_PRIV), OP(VERR, Ew, __, __, 0), OP(VERW, Ew, __, __, 0),
    },
    [GRP7] = {
        OP(SGDT, M, __, __, 0), OP(SIDT, M, __, __, 0), OP(LGDT, M, __, __, XF_PRIV), OP(LIDT, M, __, __, XF_PRIV),
        OP(SMSW, Ew, __, __, 0), OP(INVALID, __, __, __, 0), OP(LMSW, Ew, __, __, XF_PRIV),
        OP(INVLPG, M, __, __, XF_PRIV),
        /* mod == 3: MONITOR/MWAIT, XGETBV, SWAPGS/RDTSCP...: decoded from ModRM.rm */
        OP(GRP7_REG, __, __, __, 0), OP(GRP7_REG, __, __, __, 0), OP(GRP7_REG, __, __, __, 0),
        OP(GRP7_REG, __, __, __, 0), OP(SMSW, Ew, __, __, 0), OP(GRP7_REG, __, __, __, 0),
        OP(LMSW, Ew, __, __, XF_PRIV), OP(GRP7_REG, __, __, __, 0),
    },
    [GRP8] = {
        OP(INVALID, __, __, __, 0), OP(INVALID, __, __, __, 0), OP(INVALID, __, __, __, 0),
        OP(INVALID, __, __, __, 0), OP(BT, Ev, Ib, __, 0), OP(BTS, Ev, Ib, __, XF_LOCK),
        OP(BTR, Ev, Ib, __, XF_LOCK), OP(BTC, Ev, Ib, __, XF_LOCK),
    },
    [GRP9] = {
        OP(INVALID, __, __, __, 0), OP(GRP9, Mq, __, __, XF_LOCK), OP(INVALID, __, __, __, 0),
        OP(INVALID, __, __, __, 0), OP(INVALID, __, __, __, 0), OP(INVALID, __, __, __, 0),
        OP(INVALID, __, __, __, 0), OP(INVALID, __, __, __, 0),
        /* mod == 3: /6 RDRAND, /7 RDSEED/RDPID */
        OP(INVALID, __, __, __, 0), OP(INVALID, __, __, __, 0), OP(INVALID, __, __, __, 0),
        OP(INVALID, __, __, __, 0), OP(INVALID, __, __, __, 0), OP(INVALID, __, __, __, 0),
        OP(GRP9, Rd, __, __, 0), OP(GRP9, Rd, __, __, 0),
    },
    [GRP11b] = { OP(MOV, Eb, Ib, __, 0) },
    [GRP11v] = { OP(MOV, Ev, Iz, __, 0) },
    [GRP15] = {
        OP(GRP15, M, __, __, 0), OP(GRP15, M, __, __, 0), OP(GRP15, Md, __, __, 0), OP(GRP15, Md, __, __, 0),
        OP(GRP15, M, __, __, 0), OP(GRP15, M, __, __, 0), OP(GRP15, M, __, __, 0), OP(GRP15, M, __, __, 0),
        /* mod == 3: /5 LFENCE, /6 MFENCE, /7 SFENCE; /0-/3 RD/WR FS/GS BASE */
        OP(GRP15, Ry, __, __, 0), OP(GRP15, Ry, __, __, 0), OP(GRP15, Ry, __, __, 0), OP(GRP15, Ry, __, __, 0),
        OP(INVALID, __, __, __, 0), OP(GRP15, __, __, __, 0), OP(GRP15, __, __, __, 0), OP(GRP15, __, __, __, 0),
    },
};

const X86OpEntry x86_prefix_tables[][4] = {
    [PT_POPCNT] = { OP(INVALID, __, __, __, 0), OP(INVALID, __, __, __, 0), OP(POPCNT, Gv, Ev, __, 0),
                    OP(INVALID, __, __, __, 0) },
    [PT_BSF] = { OP(BSF, Gv, Ev, __, 0), OP(BSF, Gv, Ev, __, 0), OP(BSF, Gv, Ev, __, 0), OP(BSF, Gv, Ev, __, 0) },
    [PT_BSR] = { OP(BSR, Gv, Ev, __, 0), OP(BSR, Gv, Ev, __, 0), OP(BSR, Gv, Ev, __, 0), OP(BSR, Gv, Ev, __, 0) },
    [PT_MOVBE_LOAD] = { OP(MOVBE, Gv, M, __, 0), OP(MOVBE, Gv, M, __, 0), OP(INVALID, __, __, __, 0),
                        OP(INVALID, __, __, __, 0) },
    [PT_MOVBE_STORE] = { OP(MOVBE, M, Gv, __, 0), OP(MOVBE, M, Gv, __, 0), OP(INVALID, __, __, __, 0),
                         OP(INVALID, __, __, __, 0) },
};

static const char *const mnemonic_names[X86_MNEMONIC_COUNT] = {
#define N(x) [X86_##x] = #x
    N(INVALID), N(ADD), N(OR), N(ADC), N(SBB), N(AND), N(SUB), N(XOR), N(CMP), N(PUSH), N(POP),
    N(PUSH_SEG), N(POP_SEG), N(DAA), N(DAS), N(AAA), N(AAS), N(INC), N(DEC), N(PUSHA), N(POPA),
    N(BOUND), N(ARPL), N(MOVSXD), N(IMUL3), N(INS), N(OUTS), N(JCC), N(TEST), N(XCHG), N(MOV),
    N(MOV_FROM_SEG), N(LEA), N(MOV_TO_SEG), N(NOP), N(CBW), N(CWD), N(CALLF), N(FWAIT), N(PUSHF),
    N(POPF), N(SAHF), N(LAHF), N(MOVS), N(CMPS), N(STOS), N(LODS), N(SCAS), N(RET), N(LES), N(LDS),
    N(LSS), N(LFS), N(LGS), N(ENTER), N(LEAVE), N(RETF), N(INT3), N(INT), N(INTO), N(IRET), N(ROL),
    N(ROR), N(RCL), N(RCR), N(SHL), N(SHR), N(SAR), N(AAM), N(AAD), N(SALC), N(XLAT), N(FPU),
    N(LOOPNE), N(LOOPE), N(LOOP), N(JCXZ), N(IN), N(OUT), N(CALL), N(JMP), N(JMPF), N(INT1), N(HLT),
    N(CMC), N(NOT), N(NEG), N(MUL), N(IMUL1), N(DIV), N(IDIV), N(CLC), N(STC), N(CLI), N(STI), N(CLD),
    N(STD), N(CALL_IND), N(CALLF_IND), N(JMP_IND), N(JMPF_IND), N(SLDT), N(STR), N(LLDT), N(LTR),
    N(VERR), N(VERW), N(SGDT), N(SIDT), N(LGDT), N(LIDT), N(SMSW), N(LMSW), N(INVLPG), N(GRP7_REG),
    N(LAR), N(LSL), N(SYSCALL), N(CLTS), N(SYSRET), N(INVD), N(WBINVD), N(UD), N(MOV_FROM_CR),
    N(MOV_TO_CR), N(MOV_FROM_DR), N(MOV_TO_DR), N(WRMSR), N(RDTSC), N(RDMSR), N(RDPMC), N(SYSENTER),
    N(SYSEXIT), N(CMOV), N(SETCC), N(CPUID), N(BT), N(BTS), N(BTR), N(BTC), N(SHLD), N(SHRD), N(RSM),
    N(GRP15), N(IMUL2), N(CMPXCHG), N(MOVZX), N(MOVSX), N(POPCNT), N(BSF), N(BSR), N(XADD), N(GRP9),
    N(BSWAP), N(MOVBE), N(SSE),
#undef N
};

const char *x86_mnemonic_name(int mnem)
{
    if (mnem < 0 || mnem >= X86_MNEMONIC_COUNT || !mnemonic_names[mnem]) {
        return "?";
    }
    return mnemonic_names[mnem];
}
