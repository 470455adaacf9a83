/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Differential tester for the x86 JIT against the host CPU.
 *
 * Each case is a random straight-line sequence of user-mode integer
 * instructions (with short forward branches) ending in INT3, plus random
 * initial registers, flags and memory.  It runs twice:
 *  - natively, in a forked child: code, data and stack pages mapped at
 *    fixed addresses, registers loaded by a trampoline, the end (INT3) or
 *    any fault caught by a signal handler that reports the trap number,
 *    error code, fault address, registers and memory through shared
 *    memory.  32-bit cases run in compatibility mode (a far jump to the
 *    kernel's 32-bit user code selector), so no 32-bit libraries are needed.
 *  - in the JIT, on a CPU at CPL 3 with the same pages mapped by page
 *    tables (64-bit: 4-level; 32-bit: 2-level), Linux's selectors, and
 *    exceptions recorded instead of delivered.
 * Registers, RIP, the exception (vector, error code, CR2), the arithmetic
 * flags (minus those the SDM leaves undefined after the instructions that
 * ran: tracked per instruction) and the data and stack pages must match.
 * A divergence is shrunk by dropping instructions while it persists and
 * printed as a reproducer with disassembly.
 *
 * Usage: difftest [--seed S] [--count N] [--mode 32|64|both] [--len L]
 *                 [--corpus] [--tap] [--verbose]
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <ucontext.h>
#include <unistd.h>

#include <glib.h>

#include "tcg/codegen.h"
#include "tests/tcg/x86-harness.h"

#define CODE_ADDR   0x20000000ull
#define CODE_SIZE   0x1000u
#define DATA_ADDR   0x10000000ull
#define DATA_SIZE   0x2000u
#define STACK_ADDR  0x30000000ull
#define STACK_SIZE  0x1000u
#define PT_ADDR     0x00100000ull
#define GDT_ADDR    0x00200000ull
#define BASE_VALUE  (DATA_ADDR + 0x1000)
#define IDX_VALUE   8

/* Linux x86-64 user selectors. */
#define SEL_USER32_CS 0x23
#define SEL_USER_DS   0x2b
#define SEL_USER_CS   0x33

#define FL_C 0x001u
#define FL_P 0x004u
#define FL_A 0x010u
#define FL_Z 0x040u
#define FL_S 0x080u
#define FL_O 0x800u
#define FL_ALL (FL_C | FL_P | FL_A | FL_Z | FL_S | FL_O)
#define FL_DF 0x400u

typedef struct GInsn {
    uint8_t b[15];
    uint8_t len;
    uint32_t fread, fdef, fundef;   /* arithmetic flags read, defined, left undefined */
    int skip;                        /* Jcc: instructions skipped, else 0 */
    int riprel_pos;                  /* offset of a disp32 to make RIP-relative, or -1 */
    uint32_t riprel_target;          /* target offset in the code page */
} GInsn;

typedef struct Prog {
    int mode;
    GArray *insns;                   /* GInsn */
    uint64_t regs[16];
    uint64_t rflags;
    uint8_t data[DATA_SIZE];
    uint8_t stack[STACK_SIZE];
} Prog;

typedef struct Result {
    int vector;                      /* trap number */
    uint32_t err;
    uint64_t cr2;
    uint64_t regs[16];
    uint64_t rip;
    uint64_t rflags;
    uint8_t data[DATA_SIZE];
    uint8_t stack[STACK_SIZE];
    bool valid;
} Result;

/* ---------------- encoder ---------------- */

typedef struct Gen {
    GRand *r;
    int mode;
    GInsn cur;
} Gen;

static int rnd(Gen *g, int n)
{
    return g_rand_int_range(g->r, 0, n);
}

static void e1(Gen *g, uint8_t v)
{
    g_assert(g->cur.len < 15);
    g->cur.b[g->cur.len++] = v;
}

static void e2(Gen *g, uint16_t v)
{
    e1(g, (uint8_t)v);
    e1(g, (uint8_t)(v >> 8));
}

static void e4(Gen *g, uint32_t v)
{
    e2(g, (uint16_t)v);
    e2(g, (uint16_t)(v >> 16));
}

static void begin(Gen *g)
{
    memset(&g->cur, 0, sizeof(g->cur));
    g->cur.riprel_pos = -1;
}

/* A register operand or a memory operand. */
typedef struct Opnd {
    bool mem;
    int reg;
    /* memory */
    int base, index, scale;
    int32_t disp;
    int dsize;          /* 0, 1, 4, or 2 (16-bit addressing) */
    bool riprel;
    uint32_t riprel_target;
    bool addr16;        /* 67 prefix in 32-bit mode */
    int rm16;           /* 16-bit addressing rm field */
} Opnd;

static int base_reg(Gen *g)
{
    return g->mode == 64 ? 15 : 5;
}

/* Registers an instruction may write: not rSP, not the base (and in 64-bit mode not the index register). */
static int pick_wreg(Gen *g, int ot)
{
    for (;;) {
        int r = rnd(g, g->mode == 64 ? 16 : 8);
        if (r == 4 && !(ot == 0 && g->mode == 32)) {
            continue;       /* rSP (AH as a byte register in 32-bit mode is fine) */
        }
        if (ot == 0 && g->mode == 32) {
            return r;       /* AL..BH: none of them is EBP/ESP */
        }
        if (r == base_reg(g) || (g->mode == 64 && r == 14)) {
            continue;
        }
        return r;
    }
}

static int pick_rreg(Gen *g, int ot)
{
    if (ot == 0 && g->mode == 32) {
        return rnd(g, 8);
    }
    return rnd(g, g->mode == 64 ? 16 : 8);
}

static Opnd reg_op(int r)
{
    Opnd o;
    memset(&o, 0, sizeof(o));
    o.reg = r;
    return o;
}

/* A memory operand inside the data pages for an access of `size` bytes; sometimes just outside. */
static Opnd mem_op(Gen *g, int size)
{
    Opnd o;
    memset(&o, 0, sizeof(o));
    o.mem = true;
    int kind = rnd(g, 40);
    if (g->mode == 32 && kind == 0) {
        /* 16-bit addressing: random registers, almost always an unmapped low address: compares CR2. */
        o.addr16 = true;
        o.rm16 = rnd(g, 8);
        o.dsize = rnd(g, 3) == 0 ? 0 : rnd(g, 2) ? 1 : 2;
        o.disp = o.dsize == 1 ? (int8_t)rnd(g, 256) : o.dsize == 2 ? (int16_t)rnd(g, 65536) : 0;
        return o;
    }
    if (g->mode == 64 && kind == 1 && size <= 8) {
        /* RIP-relative read of the code page (only used for loads). */
        o.riprel = true;
        o.riprel_target = (uint32_t)rnd(g, 0x400);
        return o;
    }
    o.base = base_reg(g);
    o.index = -1;
    int32_t lo = -0x1000, hi = 0x1000 - size;
    if (kind == 2) {
        o.disp = rnd(g, 2) ? -0x1000 - 1 - rnd(g, 8) : 0x1000 - size + 1 + rnd(g, 8);   /* off the end */
    } else if (rnd(g, 3) == 0) {
        o.disp = (int8_t)rnd(g, 256);
    } else {
        o.disp = lo + rnd(g, hi - lo + 1);
    }
    if (g->mode == 64 && rnd(g, 5) == 0) {
        o.index = 14;
        o.scale = rnd(g, 4);
        o.disp -= IDX_VALUE << o.scale;
    }
    o.dsize = (o.disp >= -128 && o.disp <= 127 && rnd(g, 4)) ? 1 : 4;
    return o;
}

/* Prefixes (66, REX) and opcode bytes, then ModRM for (reg, rm). */
static void enc_insn(Gen *g, int ot, const uint8_t *opc, int nopc, int reg, const Opnd *rm, bool byte_regs)
{
    int rex = 0;
    if (rm->mem && rm->addr16) {
        e1(g, 0x67);
    }
    if (ot == 1) {
        e1(g, 0x66);
    }
    if (g->mode == 64) {
        if (ot == 3) {
            rex |= 8;
        }
        if (reg & 8) {
            rex |= 4;
        }
        if (rm->mem) {
            if (!rm->riprel && rm->index >= 0 && (rm->index & 8)) {
                rex |= 2;
            }
            if (!rm->riprel && (rm->base & 8)) {
                rex |= 1;
            }
        } else if (rm->reg & 8) {
            rex |= 1;
        }
        /* Byte registers 4-7 mean SPL..DIL only with a REX. */
        if (byte_regs && ((reg >= 4 && reg < 8) || (!rm->mem && rm->reg >= 4 && rm->reg < 8))) {
            rex |= 0x40;
        }
        if (rex) {
            e1(g, (uint8_t)(0x40 | rex));
        }
    }
    for (int i = 0; i < nopc; i++) {
        e1(g, opc[i]);
    }
    int r3 = reg & 7;
    if (!rm->mem) {
        e1(g, (uint8_t)(0xc0 | (r3 << 3) | (rm->reg & 7)));
        return;
    }
    if (rm->addr16) {
        int mod = rm->dsize == 0 ? 0 : rm->dsize == 1 ? 1 : 2;
        int rmf = rm->rm16;
        if (mod == 0 && rmf == 6) {
            mod = 2;   /* [bp] needs a displacement */
        }
        e1(g, (uint8_t)((mod << 6) | (r3 << 3) | rmf));
        if (mod == 1) {
            e1(g, (uint8_t)rm->disp);
        } else if (mod == 2) {
            e2(g, (uint16_t)rm->disp);
        }
        return;
    }
    if (rm->riprel) {
        e1(g, (uint8_t)(0x05 | (r3 << 3)));
        g->cur.riprel_pos = g->cur.len;
        g->cur.riprel_target = rm->riprel_target;
        e4(g, 0);
        return;
    }
    int mod = rm->dsize == 1 ? 1 : 2;
    if (rm->index >= 0) {
        e1(g, (uint8_t)((mod << 6) | (r3 << 3) | 4));
        e1(g, (uint8_t)((rm->scale << 6) | ((rm->index & 7) << 3) | (rm->base & 7)));
    } else if ((rm->base & 7) == 4) {
        e1(g, (uint8_t)((mod << 6) | (r3 << 3) | 4));
        e1(g, 0x24);
    } else {
        e1(g, (uint8_t)((mod << 6) | (r3 << 3) | (rm->base & 7)));
    }
    if (mod == 1) {
        e1(g, (uint8_t)rm->disp);
    } else {
        e4(g, (uint32_t)rm->disp);
    }
}

static void imm(Gen *g, int size, uint64_t v)
{
    switch (size) {
    case 1: e1(g, (uint8_t)v); break;
    case 2: e2(g, (uint16_t)v); break;
    default: e4(g, (uint32_t)v); break;
    }
}

static int pick_ot(Gen *g)
{
    return rnd(g, g->mode == 64 ? 4 : 3);
}

static uint64_t rnd_imm(Gen *g)
{
    switch (rnd(g, 6)) {
    case 0: return (uint64_t)(rnd(g, 5) - 2);
    case 1: return 0x80;
    case 2: return 0x7fffffff;
    case 3: return 0x80000000u;
    default: return g_rand_int(g->r);
    }
}

static Opnd rm_operand(Gen *g, int ot, bool writes, bool allow_mem)
{
    if (allow_mem && rnd(g, 3) == 0) {
        Opnd o = mem_op(g, 1 << ot);
        if (writes && o.riprel) {
            o = mem_op(g, 1 << ot);
            if (o.riprel) {
                o = reg_op(writes ? pick_wreg(g, ot) : pick_rreg(g, ot));
            }
        }
        return o;
    }
    return reg_op(writes ? pick_wreg(g, ot) : pick_rreg(g, ot));
}

/* ---------------- instruction templates ---------------- */

static void t_alu(Gen *g)
{
    int op = rnd(g, 9);          /* ADD OR ADC SBB AND SUB XOR CMP, 8 = TEST */
    int ot = pick_ot(g);
    bool writes = op != 7 && op != 8;
    bool logic = op == 1 || op == 4 || op == 6 || op == 8;
    int form = rnd(g, 4);

    if (op == 2 || op == 3) {
        g->cur.fread = FL_C;
    }
    g->cur.fdef = FL_ALL;
    g->cur.fundef = logic ? FL_A : 0;
    if (op == 8) {
        Opnd rm = rm_operand(g, ot, false, true);
        if (form == 0) {
            uint8_t opc = ot == 0 ? 0xf6 : 0xf7;
            enc_insn(g, ot, &opc, 1, 0, &rm, ot == 0);
            imm(g, ot == 0 ? 1 : ot == 1 ? 2 : 4, rnd_imm(g));
        } else {
            uint8_t opc = ot == 0 ? 0x84 : 0x85;
            enc_insn(g, ot, &opc, 1, pick_rreg(g, ot), &rm, ot == 0);
        }
        return;
    }
    switch (form) {
    case 0: { /* r/m, reg */
        Opnd rm = rm_operand(g, ot, writes, true);
        uint8_t opc = (uint8_t)(op * 8 + (ot == 0 ? 0 : 1));
        enc_insn(g, ot, &opc, 1, pick_rreg(g, ot), &rm, ot == 0);
        break;
    }
    case 1: { /* reg, r/m */
        Opnd rm = rm_operand(g, ot, false, true);
        uint8_t opc = (uint8_t)(op * 8 + (ot == 0 ? 2 : 3));
        enc_insn(g, ot, &opc, 1, writes ? pick_wreg(g, ot) : pick_rreg(g, ot), &rm, ot == 0);
        break;
    }
    case 2: { /* r/m, imm (80/81/83) */
        Opnd rm = rm_operand(g, ot, writes, true);
        int sx8 = ot != 0 && rnd(g, 2);
        uint8_t opc = ot == 0 ? 0x80 : sx8 ? 0x83 : 0x81;
        enc_insn(g, ot, &opc, 1, op, &rm, ot == 0);
        imm(g, ot == 0 || sx8 ? 1 : ot == 1 ? 2 : 4, rnd_imm(g));
        break;
    }
    default: { /* AL/eAX, imm */
        Opnd a = reg_op(0);
        (void)a;
        if (ot == 1) {
            e1(g, 0x66);
        }
        if (ot == 3) {
            e1(g, 0x48);
        }
        e1(g, (uint8_t)(op * 8 + (ot == 0 ? 4 : 5)));
        imm(g, ot == 0 ? 1 : ot == 1 ? 2 : 4, rnd_imm(g));
        break;
    }
    }
}

static void t_unary(Gen *g)
{
    int ot = pick_ot(g);
    int op = rnd(g, 4);  /* INC DEC NOT NEG */
    Opnd rm = rm_operand(g, ot, true, true);
    uint8_t opc;
    int ext;
    if (op < 2) {
        opc = ot == 0 ? 0xfe : 0xff;
        ext = op;
        g->cur.fdef = FL_ALL & ~FL_C;
    } else {
        opc = ot == 0 ? 0xf6 : 0xf7;
        ext = op;
        g->cur.fdef = op == 3 ? FL_ALL : 0;
    }
    enc_insn(g, ot, &opc, 1, ext, &rm, ot == 0);
}

static void t_muldiv(Gen *g)
{
    int ot = pick_ot(g);
    int op = 4 + rnd(g, 4);  /* MUL IMUL DIV IDIV */
    uint8_t opc = ot == 0 ? 0xf6 : 0xf7;
    Opnd rm = rm_operand(g, ot, false, true);
    enc_insn(g, ot, &opc, 1, op, &rm, ot == 0);
    if (op < 6) {
        g->cur.fdef = FL_C | FL_O;
        g->cur.fundef = FL_S | FL_Z | FL_A | FL_P;
    } else {
        g->cur.fundef = FL_ALL;
    }
}

static void t_imul(Gen *g)
{
    int ot = 1 + rnd(g, g->mode == 64 ? 3 : 2);
    int form = rnd(g, 3);
    Opnd rm = rm_operand(g, ot, false, true);
    int dst = pick_wreg(g, ot);
    if (form == 0) {
        uint8_t opc[2] = { 0x0f, 0xaf };
        enc_insn(g, ot, opc, 2, dst, &rm, false);
    } else if (form == 1) {
        uint8_t opc = 0x6b;
        enc_insn(g, ot, &opc, 1, dst, &rm, false);
        imm(g, 1, rnd_imm(g));
    } else {
        uint8_t opc = 0x69;
        enc_insn(g, ot, &opc, 1, dst, &rm, false);
        imm(g, ot == 1 ? 2 : 4, rnd_imm(g));
    }
    g->cur.fdef = FL_C | FL_O;
    g->cur.fundef = FL_S | FL_Z | FL_A | FL_P;
}

static void t_shift(Gen *g)
{
    int ot = pick_ot(g);
    int op = rnd(g, 8);          /* ROL ROR RCL RCR SHL SHR SAL SAR */
    int bits = 8 << ot;
    int form = rnd(g, 3);        /* 0: by 1, 1: by imm8, 2: by CL */
    Opnd rm = rm_operand(g, ot, true, true);
    int count = 1;
    static const int counts[] = { 0, 1, 2, 3, 7, 8, 9, 15, 16, 17, 31, 32, 33, 63, 64, 255 };

    if (form == 1) {
        count = rnd(g, 4) ? rnd(g, 64) : counts[rnd(g, 16)];
        uint8_t opc = ot == 0 ? 0xc0 : 0xc1;
        enc_insn(g, ot, &opc, 1, op, &rm, ot == 0);
        imm(g, 1, (uint64_t)count);
    } else if (form == 0) {
        uint8_t opc = ot == 0 ? 0xd0 : 0xd1;
        enc_insn(g, ot, &opc, 1, op, &rm, ot == 0);
    } else {
        uint8_t opc = ot == 0 ? 0xd2 : 0xd3;
        enc_insn(g, ot, &opc, 1, op, &rm, ot == 0);
        count = -1;   /* unknown */
    }
    int masked = count < 0 ? -1 : (count & (ot == 3 ? 63 : 31));
    bool rot = op < 4, rc = op == 2 || op == 3;
    if (rc) {
        g->cur.fread = FL_C;
    }
    if (masked == 0) {
        return;       /* no flags change */
    }
    if (rot) {
        g->cur.fdef = FL_C | FL_O;
        if (masked != 1) {
            g->cur.fundef = FL_O;
        }
        if (masked < 0) {
            /* maybe no change at all: CF/OF are either kept or set: treat as undefined-or-kept */
            g->cur.fdef = 0;
            g->cur.fundef = FL_C | FL_O;
        }
        return;
    }
    g->cur.fdef = FL_ALL;
    g->cur.fundef = FL_A;
    if (masked != 1) {
        g->cur.fundef |= FL_O;
    }
    if (masked < 0) {
        g->cur.fdef = 0;
        g->cur.fundef = FL_ALL;
    } else if (masked >= bits) {
        g->cur.fundef |= FL_C;
    }
}

static void t_shxd(Gen *g)
{
    int ot = 1 + rnd(g, g->mode == 64 ? 3 : 2);
    bool left = rnd(g, 2);
    bool by_cl = ot != 1 && rnd(g, 3) == 0;
    Opnd rm = rm_operand(g, ot, true, true);
    int bits = 8 << ot;
    int count = 0;
    if (by_cl) {
        uint8_t opc[2] = { 0x0f, (uint8_t)(left ? 0xa5 : 0xad) };
        enc_insn(g, ot, opc, 2, pick_rreg(g, ot), &rm, false);
        g->cur.fundef = FL_ALL;
        return;
    }
    uint8_t opc[2] = { 0x0f, (uint8_t)(left ? 0xa4 : 0xac) };
    enc_insn(g, ot, opc, 2, pick_rreg(g, ot), &rm, false);
    count = rnd(g, ot == 1 ? 17 : bits);
    imm(g, 1, (uint64_t)count);
    if (count == 0) {
        return;
    }
    g->cur.fdef = FL_ALL;
    g->cur.fundef = FL_A | (count != 1 ? FL_O : 0);
}

static void t_bt(Gen *g)
{
    int ot = 1 + rnd(g, g->mode == 64 ? 3 : 2);
    int op = rnd(g, 4);          /* BT BTS BTR BTC */
    bool use_imm = rnd(g, 2);
    if (use_imm) {
        Opnd rm = rm_operand(g, ot, op != 0, true);
        uint8_t opc[2] = { 0x0f, 0xba };
        enc_insn(g, ot, opc, 2, 4 + op, &rm, false);
        imm(g, 1, (uint64_t)rnd(g, 256));
    } else {
        /* A register bit offset may reach far beyond a memory operand: registers only. */
        Opnd rm = reg_op(op ? pick_wreg(g, ot) : pick_rreg(g, ot));
        static const uint8_t o2[] = { 0xa3, 0xab, 0xb3, 0xbb };
        uint8_t opc[2] = { 0x0f, o2[op] };
        enc_insn(g, ot, opc, 2, pick_rreg(g, ot), &rm, false);
    }
    g->cur.fdef = FL_C;
    g->cur.fundef = FL_O | FL_S | FL_Z | FL_A | FL_P;
}

static void t_bitscan(Gen *g)
{
    int ot = 1 + rnd(g, g->mode == 64 ? 3 : 2);
    int op = rnd(g, 3);          /* BSF BSR POPCNT */
    Opnd rm = rm_operand(g, ot, false, true);
    if (op == 2) {
        e1(g, 0xf3);
        uint8_t opc[2] = { 0x0f, 0xb8 };
        enc_insn(g, ot, opc, 2, pick_wreg(g, ot), &rm, false);
        g->cur.fdef = FL_ALL;
        return;
    }
    uint8_t opc[2] = { 0x0f, (uint8_t)(op == 0 ? 0xbc : 0xbd) };
    enc_insn(g, ot, opc, 2, pick_wreg(g, ot), &rm, false);
    g->cur.fdef = FL_Z;
    g->cur.fundef = FL_C | FL_O | FL_S | FL_A | FL_P;
}

static void t_mov(Gen *g)
{
    int ot = pick_ot(g);
    switch (rnd(g, 8)) {
    case 0: { /* r/m, reg */
        Opnd rm = rm_operand(g, ot, true, true);
        uint8_t opc = ot == 0 ? 0x88 : 0x89;
        enc_insn(g, ot, &opc, 1, pick_rreg(g, ot), &rm, ot == 0);
        break;
    }
    case 1: { /* reg, r/m */
        Opnd rm = rm_operand(g, ot, false, true);
        uint8_t opc = ot == 0 ? 0x8a : 0x8b;
        enc_insn(g, ot, &opc, 1, pick_wreg(g, ot), &rm, ot == 0);
        break;
    }
    case 2: { /* r/m, imm */
        Opnd rm = rm_operand(g, ot, true, true);
        uint8_t opc = ot == 0 ? 0xc6 : 0xc7;
        enc_insn(g, ot, &opc, 1, 0, &rm, ot == 0);
        imm(g, ot == 0 ? 1 : ot == 1 ? 2 : 4, rnd_imm(g));
        break;
    }
    case 3: { /* reg, imm (B0/B8, imm64 with REX.W) */
        int r = pick_wreg(g, ot);
        if (ot == 1) {
            e1(g, 0x66);
        }
        if (g->mode == 64 && (ot == 3 || (r & 8) || (ot == 0 && r >= 4))) {
            e1(g, (uint8_t)(0x40 | (ot == 3 ? 8 : 0) | ((r & 8) ? 1 : 0)));
        }
        e1(g, (uint8_t)((ot == 0 ? 0xb0 : 0xb8) + (r & 7)));
        if (ot == 3) {
            e4(g, (uint32_t)rnd_imm(g));
            e4(g, (uint32_t)rnd_imm(g));
        } else {
            imm(g, ot == 0 ? 1 : ot == 1 ? 2 : 4, rnd_imm(g));
        }
        break;
    }
    case 4: case 5: { /* MOVZX / MOVSX */
        int sot = rnd(g, 2);
        int dot = sot == 0 ? 1 + rnd(g, g->mode == 64 ? 3 : 2) : 2 + rnd(g, g->mode == 64 ? 2 : 1);
        Opnd rm = rm_operand(g, sot, false, true);
        uint8_t opc[2] = { 0x0f, (uint8_t)((rnd(g, 2) ? 0xb6 : 0xbe) + sot) };
        if (rm.mem == false && sot == 0 && g->mode == 64) {
            /* the source byte register numbering depends on REX: enc_insn adds one when needed */
        }
        enc_insn(g, dot, opc, 2, pick_wreg(g, dot), &rm, sot == 0);
        break;
    }
    case 6: { /* LEA with any registers (no access) */
        Opnd rm;
        memset(&rm, 0, sizeof(rm));
        rm.mem = true;
        rm.base = rnd(g, g->mode == 64 ? 16 : 8);
        rm.index = rnd(g, 2) ? rnd(g, g->mode == 64 ? 16 : 8) : -1;
        if (rm.index == 4) {
            rm.index = -1;
        }
        rm.scale = rnd(g, 4);
        rm.disp = (int32_t)rnd_imm(g);
        rm.dsize = rnd(g, 2) ? 1 : 4;
        if (rm.dsize == 1) {
            rm.disp = (int8_t)rm.disp;
        }
        if (g->mode == 32 && rnd(g, 4) == 0) {
            rm.addr16 = true;
            rm.rm16 = rnd(g, 8);
            rm.dsize = rnd(g, 3) == 0 ? 0 : rnd(g, 2) ? 1 : 2;
            rm.disp = rm.dsize == 1 ? (int8_t)rnd(g, 256) : (int16_t)rnd(g, 65536);
        }
        int dot = 1 + rnd(g, g->mode == 64 ? 3 : 2);
        uint8_t opc = 0x8d;
        enc_insn(g, dot, &opc, 1, pick_wreg(g, dot), &rm, false);
        break;
    }
    default: /* MOVSXD (64) or XCHG */
        if (g->mode == 64 && rnd(g, 2)) {
            Opnd rm = rm_operand(g, 2, false, true);
            uint8_t opc = 0x63;
            enc_insn(g, 3, &opc, 1, pick_wreg(g, 3), &rm, false);
        } else {
            Opnd rm = rm_operand(g, ot, true, true);
            uint8_t opc = ot == 0 ? 0x86 : 0x87;
            enc_insn(g, ot, &opc, 1, pick_wreg(g, ot), &rm, ot == 0);
        }
        break;
    }
}

static void t_xadd_cmpxchg(Gen *g)
{
    int ot = pick_ot(g);
    Opnd rm = rm_operand(g, ot, true, true);
    bool lock = rm.mem && rnd(g, 2);
    if (lock) {
        e1(g, 0xf0);
    }
    if (rnd(g, 2)) {
        uint8_t opc[2] = { 0x0f, (uint8_t)(ot == 0 ? 0xc0 : 0xc1) };
        enc_insn(g, ot, opc, 2, pick_wreg(g, ot), &rm, ot == 0);
    } else {
        uint8_t opc[2] = { 0x0f, (uint8_t)(ot == 0 ? 0xb0 : 0xb1) };
        enc_insn(g, ot, opc, 2, pick_rreg(g, ot), &rm, ot == 0);
    }
    g->cur.fdef = FL_ALL;
}

static void t_cmpxchg8b(Gen *g)
{
    bool wide = g->mode == 64 && rnd(g, 2);
    Opnd rm = mem_op(g, wide ? 16 : 8);
    if (rm.riprel) {
        rm = mem_op(g, 8);
        if (rm.riprel) {
            return;
        }
    }
    if (wide && !rm.addr16) {
        /* 16-byte aligned most of the time (misaligned raises #GP: also worth checking). */
        if (rnd(g, 4)) {
            rm.index = -1;
            rm.disp &= ~15;
            rm.dsize = 4;
        }
    }
    uint8_t opc[2] = { 0x0f, 0xc7 };
    enc_insn(g, wide ? 3 : 2, opc, 2, 1, &rm, false);
    g->cur.fdef = FL_Z;
}

static void t_cond(Gen *g)
{
    int cc = rnd(g, 16);
    static const uint32_t reads[8] = { FL_O, FL_C, FL_Z, FL_C | FL_Z, FL_S, FL_P, FL_S | FL_O, FL_Z | FL_S | FL_O };
    g->cur.fread = reads[cc >> 1];
    if (rnd(g, 2)) {
        int ot = 1 + rnd(g, g->mode == 64 ? 3 : 2);
        Opnd rm = rm_operand(g, ot, false, true);
        uint8_t opc[2] = { 0x0f, (uint8_t)(0x40 + cc) };
        enc_insn(g, ot, opc, 2, pick_wreg(g, ot), &rm, false);
    } else {
        Opnd rm = rm_operand(g, 0, true, true);
        uint8_t opc[2] = { 0x0f, (uint8_t)(0x90 + cc) };
        enc_insn(g, 0, opc, 2, 0, &rm, true);
    }
}

static void t_jcc(Gen *g, int remaining)
{
    int cc = rnd(g, 16);
    static const uint32_t reads[8] = { FL_O, FL_C, FL_Z, FL_C | FL_Z, FL_S, FL_P, FL_S | FL_O, FL_Z | FL_S | FL_O };
    g->cur.fread = reads[cc >> 1];
    e1(g, (uint8_t)(0x70 + cc));
    e1(g, 0);
    g->cur.skip = 1 + rnd(g, remaining < 3 ? (remaining > 0 ? remaining : 1) : 3);
}

static void t_misc(Gen *g)
{
    switch (rnd(g, 12)) {
    case 0: /* CBW/CWDE/CDQE */
    case 1: { /* CWD/CDQ/CQO */
        int ot = 1 + rnd(g, g->mode == 64 ? 3 : 2);
        if (ot == 1) {
            e1(g, 0x66);
        } else if (ot == 3) {
            e1(g, 0x48);
        }
        e1(g, rnd(g, 2) ? 0x98 : 0x99);
        break;
    }
    case 2:
        e1(g, 0x9f);                    /* LAHF */
        g->cur.fread = FL_ALL & ~FL_O;
        break;
    case 3:
        e1(g, 0x9e);                    /* SAHF */
        g->cur.fdef = FL_ALL & ~FL_O;
        break;
    case 4: {
        static const uint8_t f[] = { 0xf8, 0xf9, 0xf5 };   /* CLC STC CMC */
        int k = rnd(g, 3);
        e1(g, f[k]);
        if (k == 2) {
            g->cur.fread = FL_C;
        }
        g->cur.fdef = FL_C;
        break;
    }
    case 5:
        e1(g, rnd(g, 2) ? 0xfc : 0xfd);  /* CLD / STD */
        break;
    case 6: { /* BSWAP 32/64 */
        int ot = 2 + (g->mode == 64 ? rnd(g, 2) : 0);
        int r = pick_wreg(g, ot);
        if (g->mode == 64 && (ot == 3 || (r & 8))) {
            e1(g, (uint8_t)(0x40 | (ot == 3 ? 8 : 0) | ((r & 8) ? 1 : 0)));
        }
        e1(g, 0x0f);
        e1(g, (uint8_t)(0xc8 + (r & 7)));
        break;
    }
    case 7: { /* MOVBE load/store */
        int ot = 1 + rnd(g, g->mode == 64 ? 3 : 2);
        Opnd rm = mem_op(g, 1 << ot);
        bool store = rnd(g, 2) && !rm.riprel;
        uint8_t opc[3] = { 0x0f, 0x38, (uint8_t)(store ? 0xf1 : 0xf0) };
        enc_insn(g, ot, opc, 3, store ? pick_rreg(g, ot) : pick_wreg(g, ot), &rm, false);
        break;
    }
    case 8: /* NOPs */
        switch (rnd(g, 3)) {
        case 0: e1(g, 0x90); break;
        case 1: e1(g, 0xf3); e1(g, 0x90); break;
        default: { Opnd rm = mem_op(g, 1); uint8_t opc[2] = { 0x0f, 0x1f }; enc_insn(g, 2, opc, 2, 0, &rm, false); break; }
        }
        break;
    case 9: /* BCD (32-bit only) */
        if (g->mode == 32) {
            switch (rnd(g, 6)) {
            case 0: e1(g, 0x27); g->cur.fread = FL_C | FL_A; g->cur.fdef = FL_ALL; g->cur.fundef = FL_O; break;
            case 1: e1(g, 0x2f); g->cur.fread = FL_C | FL_A; g->cur.fdef = FL_ALL; g->cur.fundef = FL_O; break;
            case 2: e1(g, 0x37); g->cur.fread = FL_A; g->cur.fdef = FL_A | FL_C; g->cur.fundef = FL_O | FL_S | FL_Z | FL_P; break;
            case 3: e1(g, 0x3f); g->cur.fread = FL_A; g->cur.fdef = FL_A | FL_C; g->cur.fundef = FL_O | FL_S | FL_Z | FL_P; break;
            case 4: e1(g, 0xd4); e1(g, (uint8_t)(rnd(g, 8) ? 10 : rnd(g, 256))); g->cur.fdef = FL_S | FL_Z | FL_P;
                    g->cur.fundef = FL_O | FL_A | FL_C; break;
            default: e1(g, 0xd5); e1(g, (uint8_t)(rnd(g, 8) ? 10 : rnd(g, 256))); g->cur.fdef = FL_S | FL_Z | FL_P;
                     g->cur.fundef = FL_O | FL_A | FL_C; break;
            }
        } else {
            e1(g, 0x90);
        }
        break;
    case 10: /* privileged / invalid: fault identically */
        switch (rnd(g, 6)) {
        case 0: e1(g, 0xf4); break;                  /* HLT -> #GP */
        case 1: e1(g, 0xfa); break;                  /* CLI -> #GP */
        case 2: e1(g, 0x0f); e1(g, 0x0b); break;     /* UD2 */
        case 3: e1(g, 0xe4); e1(g, 0x80); break;     /* IN AL, 0x80 -> #GP */
        case 4: e1(g, 0xf0); e1(g, 0x90); break;     /* LOCK NOP -> #UD */
        default: e1(g, 0x0f); e1(g, 0x20); e1(g, 0xc0); break;   /* MOV EAX, CR0 -> #GP */
        }
        break;
    default: { /* segment override prefixes on a load (no effect with flat segments) */
        static const uint8_t pfx[] = { 0x26, 0x2e, 0x36, 0x3e };
        e1(g, pfx[rnd(g, 4)]);
        int ot = pick_ot(g);
        Opnd rm = mem_op(g, 1 << ot);
        uint8_t opc = ot == 0 ? 0x8a : 0x8b;
        enc_insn(g, ot, &opc, 1, pick_wreg(g, ot), &rm, ot == 0);
        break;
    }
    }
}

static void t_stack(Gen *g)
{
    int k = rnd(g, 7);
    int r;
    switch (k) {
    case 0: /* PUSH r */
        r = pick_rreg(g, 3);
        if (g->mode == 64 && (r & 8)) {
            e1(g, 0x41);
        }
        e1(g, (uint8_t)(0x50 + (r & 7)));
        break;
    case 1: /* POP r */
        r = pick_wreg(g, 3);
        if (g->mode == 64 && (r & 8)) {
            e1(g, 0x41);
        }
        e1(g, (uint8_t)(0x58 + (r & 7)));
        break;
    case 2: /* PUSH imm8 / imm32 */
        if (rnd(g, 2)) {
            e1(g, 0x6a);
            e1(g, (uint8_t)rnd(g, 256));
        } else {
            e1(g, 0x68);
            e4(g, (uint32_t)rnd_imm(g));
        }
        break;
    case 3: { /* PUSH m */
        Opnd rm = mem_op(g, g->mode == 64 ? 8 : 4);
        uint8_t opc = 0xff;
        g->cur.len = 0;
        enc_insn(g, 2, &opc, 1, 6, &rm, false);
        break;
    }
    case 4: { /* POP m */
        Opnd rm = mem_op(g, g->mode == 64 ? 8 : 4);
        if (rm.riprel) {
            e1(g, 0x90);
            break;
        }
        uint8_t opc = 0x8f;
        enc_insn(g, 2, &opc, 1, 0, &rm, false);
        break;
    }
    case 5: { /* 16-bit push/pop */
        r = pick_wreg(g, 1);
        e1(g, 0x66);
        if (g->mode == 64 && (r & 8)) {
            e1(g, 0x41);
        }
        e1(g, (uint8_t)((rnd(g, 2) ? 0x50 : 0x58) + (r & 7)));
        break;
    }
    default: /* PUSHF then POPF of a pushed immediate (TF/AC clear) */
        if (rnd(g, 2)) {
            e1(g, 0x9c);
            g->cur.fread = FL_ALL;
        } else {
            e1(g, 0x68);
            e4(g, (uint32_t)rnd_imm(g) & (FL_ALL | FL_DF));
            e1(g, 0x9d);
            g->cur.fdef = FL_ALL;
        }
        break;
    }
}

/* String instructions with rSI/rDI set inside the data pages and a small rCX. */
static void t_string(Gen *g, GArray *out)
{
    int ot = pick_ot(g);
    int op = rnd(g, 5);          /* MOVS STOS LODS CMPS SCAS */
    int rep = rnd(g, 3);         /* none, F3, F2 */
    static const uint8_t base_opc[] = { 0xa4, 0xaa, 0xac, 0xa6, 0xae };
    int breg = base_reg(g);

    /* Setup: lea rsi/rdi, [base + off]; mov ecx, n (separate instructions). */
    for (int i = 0; i < 3; i++) {
        begin(g);
        if (i < 2) {
            Opnd rm;
            memset(&rm, 0, sizeof(rm));
            rm.mem = true;
            rm.base = breg;
            rm.index = -1;
            rm.disp = -0x1000 + 0x100 + rnd(g, 0x1e00);
            rm.dsize = 4;
            uint8_t opc = 0x8d;
            enc_insn(g, g->mode == 64 ? 3 : 2, &opc, 1, i == 0 ? 6 : 7, &rm, false);
        } else {
            e1(g, 0xb9);
            e4(g, (uint32_t)rnd(g, 40));
        }
        g_array_append_val(out, g->cur);
    }
    begin(g);
    if (rep == 1) {
        e1(g, 0xf3);
    } else if (rep == 2) {
        e1(g, 0xf2);
    }
    if (ot == 1) {
        e1(g, 0x66);
    } else if (ot == 3) {
        e1(g, 0x48);
    }
    e1(g, (uint8_t)(base_opc[op] + (ot == 0 ? 0 : 1)));
    if (op >= 3) {
        g->cur.fdef = rep ? 0 : FL_ALL;
        g->cur.fundef = rep ? FL_ALL : 0;   /* zero iterations keep the flags: treat as unknown */
    }
}

/* ---------------- program generation ---------------- */

/*
 * Which flags are undefined before each instruction (before[i]) and at the
 * end (before[n]), along every path (short forward branches join).  False
 * if an instruction would read an undefined flag.
 */
static bool prog_flags_state(const Prog *p, uint32_t *before)
{
    uint32_t undef = 0;
    int n = (int)p->insns->len;
    uint32_t *join = g_new0(uint32_t, (size_t)n + 1);
    bool ok = true;

    for (int i = 0; i < n; i++) {
        const GInsn *gi = &g_array_index(p->insns, GInsn, i);
        undef |= join[i];
        if (before) {
            before[i] = undef;
        }
        if (gi->fread & undef) {
            ok = false;
        }
        if (gi->skip) {
            int t = i + 1 + gi->skip;
            if (t > n - 1) {
                t = n - 1;
            }
            join[t] |= undef;
        }
        undef = (undef & ~gi->fdef) | gi->fundef;
    }
    if (before) {
        before[n] = undef | join[n];
    }
    g_free(join);
    return ok;
}

static bool prog_flags_ok(const Prog *p, uint32_t *final_undef)
{
    uint32_t *before = g_new0(uint32_t, p->insns->len + 1);
    bool ok = prog_flags_state(p, before);
    if (final_undef) {
        *final_undef = before[p->insns->len];
    }
    g_free(before);
    return ok;
}

static void gen_prog(Prog *p, int mode, uint32_t seed, int len)
{
    Gen g = { .r = g_rand_new_with_seed(seed), .mode = mode };

    memset(p, 0, sizeof(*p));
    p->mode = mode;
    p->insns = g_array_new(false, false, sizeof(GInsn));
    for (int i = 0; i < 16; i++) {
        p->regs[i] = ((uint64_t)g_rand_int(g.r) << 32) | g_rand_int(g.r);
        if (rnd(&g, 4) == 0) {
            p->regs[i] = (uint64_t)(rnd(&g, 5) - 2);
        }
        if (mode == 32) {
            p->regs[i] = (uint32_t)p->regs[i];
            /*
             * Accesses that wrap past 4 GiB fault on the segment limit natively;
             * data segment limits are not checked by the JIT (like QEMU): keep
             * pointers away from the top.
             */
            if (p->regs[i] > 0xffff0000u) {
                p->regs[i] &= 0x7fffffffu;
            }
        }
    }
    p->regs[4] = STACK_ADDR + 0x800;
    p->regs[base_reg(&g)] = BASE_VALUE;
    if (mode == 64) {
        p->regs[14] = IDX_VALUE;
    }
    p->rflags = (g_rand_int(g.r) & (FL_ALL | FL_DF)) | 0x202;
    for (unsigned i = 0; i < DATA_SIZE; i++) {
        p->data[i] = (uint8_t)g_rand_int(g.r);
    }
    for (unsigned i = 0; i < STACK_SIZE; i++) {
        p->stack[i] = (uint8_t)g_rand_int(g.r);
    }

    uint32_t undef = 0;
    int tries = 0;
    while ((int)p->insns->len < len && tries < len * 20) {
        tries++;
        guint before = p->insns->len;
        begin(&g);
        switch (rnd(&g, 20)) {
        case 0 ... 4: t_alu(&g); break;
        case 5: t_unary(&g); break;
        case 6: t_muldiv(&g); break;
        case 7: t_imul(&g); break;
        case 8 ... 9: t_shift(&g); break;
        case 10: t_shxd(&g); break;
        case 11: t_bt(&g); break;
        case 12: t_bitscan(&g); break;
        case 13 ... 14: t_mov(&g); break;
        case 15: t_xadd_cmpxchg(&g); if (rnd(&g, 4) == 0) { begin(&g); t_cmpxchg8b(&g); } break;
        case 16: t_cond(&g); break;
        case 17: t_jcc(&g, len - (int)p->insns->len - 1); break;
        case 18: t_misc(&g); if (rnd(&g, 2)) { begin(&g); t_stack(&g); } break;
        default: t_string(&g, p->insns); break;
        }
        if (g.cur.len == 0) {
            g_array_set_size(p->insns, before);
            continue;
        }
        g_array_append_val(p->insns, g.cur);
        if (!prog_flags_ok(p, &undef)) {
            g_array_set_size(p->insns, before);
        }
    }
    /* The end marker. */
    begin(&g);
    e1(&g, 0xcc);
    g_array_append_val(p->insns, g.cur);
    g_rand_free(g.r);
}

static void prog_free(Prog *p)
{
    g_array_free(p->insns, true);
}

/* Lay out the instructions; Jcc rel8 and RIP-relative displacements resolved here. */
static size_t assemble(const Prog *p, uint8_t *code, size_t max)
{
    int n = (int)p->insns->len;
    size_t *off = g_new(size_t, (size_t)n + 1);
    size_t pos = 0;
    for (int i = 0; i < n; i++) {
        off[i] = pos;
        pos += g_array_index(p->insns, GInsn, i).len;
    }
    off[n] = pos;
    g_assert(pos <= max);
    memset(code, 0xcc, max);
    for (int i = 0; i < n; i++) {
        const GInsn *gi = &g_array_index(p->insns, GInsn, i);
        memcpy(code + off[i], gi->b, gi->len);
        if (gi->skip) {
            int t = i + 1 + gi->skip;
            if (t > n - 1) {
                t = n - 1;
            }
            long rel = (long)off[t] - (long)off[i + 1];
            g_assert(rel >= 0 && rel < 128);
            code[off[i] + gi->len - 1] = (uint8_t)rel;
        }
        if (gi->riprel_pos >= 0) {
            int64_t rel = (int64_t)gi->riprel_target - (int64_t)off[i + 1];
            uint32_t d = (uint32_t)(int32_t)rel;
            memcpy(code + off[i] + gi->riprel_pos, &d, 4);
        }
    }
    g_free(off);
    return pos;
}

/* ---------------- native run ---------------- */

typedef struct NativeState {
    uint64_t regs[16];
    uint64_t rflags;
} NativeState;

void difftest_enter64(NativeState *st);
void difftest_enter32(NativeState *st);
uint64_t difftest_target;
struct { uint32_t off; uint16_t sel; } __attribute__((packed)) difftest_far32;

__asm__(
    ".text\n"
    ".globl difftest_enter64\n"
    "difftest_enter64:\n"
    "  mov %rdi, %rax\n"
    "  pushq 128(%rax)\n"
    "  popfq\n"
    "  mov 8(%rax), %rcx\n"
    "  mov 16(%rax), %rdx\n"
    "  mov 24(%rax), %rbx\n"
    "  mov 32(%rax), %rsp\n"
    "  mov 40(%rax), %rbp\n"
    "  mov 48(%rax), %rsi\n"
    "  mov 56(%rax), %rdi\n"
    "  mov 64(%rax), %r8\n"
    "  mov 72(%rax), %r9\n"
    "  mov 80(%rax), %r10\n"
    "  mov 88(%rax), %r11\n"
    "  mov 96(%rax), %r12\n"
    "  mov 104(%rax), %r13\n"
    "  mov 112(%rax), %r14\n"
    "  mov 120(%rax), %r15\n"
    "  mov (%rax), %rax\n"
    "  jmp *difftest_target(%rip)\n"
    ".globl difftest_enter32\n"
    "difftest_enter32:\n"
    "  mov %rdi, %rax\n"
    "  mov $0x2b, %ecx\n"
    "  mov %ecx, %ds\n"
    "  mov %ecx, %es\n"
    "  pushq 128(%rax)\n"
    "  popfq\n"
    "  mov 8(%rax), %rcx\n"
    "  mov 16(%rax), %rdx\n"
    "  mov 24(%rax), %rbx\n"
    "  mov 32(%rax), %rsp\n"
    "  mov 40(%rax), %rbp\n"
    "  mov 48(%rax), %rsi\n"
    "  mov 56(%rax), %rdi\n"
    "  mov (%rax), %rax\n"
    "  ljmpl *difftest_far32(%rip)\n");

static Result *shared_result;
static uint8_t *native_data, *native_stack;

static void native_handler(int sig, siginfo_t *si, void *uc_)
{
    ucontext_t *uc = uc_;
    greg_t *gr = uc->uc_mcontext.gregs;
    Result *r = shared_result;
    static const int map[16] = { REG_RAX, REG_RCX, REG_RDX, REG_RBX, REG_RSP, REG_RBP, REG_RSI, REG_RDI,
                                 REG_R8, REG_R9, REG_R10, REG_R11, REG_R12, REG_R13, REG_R14, REG_R15 };
    for (int i = 0; i < 16; i++) {
        r->regs[i] = (uint64_t)gr[map[i]];
    }
    r->rip = (uint64_t)gr[REG_RIP];
    r->rflags = (uint64_t)gr[REG_EFL];
    r->vector = (int)gr[REG_TRAPNO];
    r->err = (uint32_t)gr[REG_ERR];
    r->cr2 = (uint64_t)(uintptr_t)si->si_addr;
    memcpy(r->data, native_data, DATA_SIZE);
    memcpy(r->stack, native_stack, STACK_SIZE);
    r->valid = true;
    (void)sig;
    _exit(0);
}

static void *map_fixed(uint64_t addr, size_t size, int prot)
{
    void *p = mmap((void *)(uintptr_t)addr, size, prot, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
    if (p == MAP_FAILED || (uint64_t)(uintptr_t)p != addr) {
        fprintf(stderr, "difftest: cannot map 0x%llx: %s\n", (unsigned long long)addr, strerror(errno));
        _exit(3);
    }
    return p;
}

static bool run_native(const Prog *p, const uint8_t *code, size_t code_len, Result *out)
{
    memset(shared_result, 0, sizeof(*shared_result));
    pid_t pid = fork();
    if (pid < 0) {
        return false;
    }
    if (pid == 0) {
        static uint8_t altstack[64 * 1024];
        stack_t ss = { .ss_sp = altstack, .ss_size = sizeof(altstack), .ss_flags = 0 };
        sigaltstack(&ss, NULL);
        struct sigaction sa;
        memset(&sa, 0, sizeof(sa));
        sa.sa_sigaction = native_handler;
        sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
        sigemptyset(&sa.sa_mask);
        int sigs[] = { SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGTRAP };
        for (size_t i = 0; i < G_N_ELEMENTS(sigs); i++) {
            sigaction(sigs[i], &sa, NULL);
        }
        uint8_t *c = map_fixed(CODE_ADDR, CODE_SIZE, PROT_READ | PROT_WRITE);
        memset(c, 0xcc, CODE_SIZE);
        memcpy(c, code, code_len);
        mprotect(c, CODE_SIZE, PROT_READ | PROT_EXEC);
        native_data = map_fixed(DATA_ADDR, DATA_SIZE, PROT_READ | PROT_WRITE);
        memcpy(native_data, p->data, DATA_SIZE);
        native_stack = map_fixed(STACK_ADDR, STACK_SIZE, PROT_READ | PROT_WRITE);
        memcpy(native_stack, p->stack, STACK_SIZE);
        NativeState st;
        memcpy(st.regs, p->regs, sizeof(st.regs));
        st.rflags = p->rflags;
        alarm(5);
        if (p->mode == 64) {
            difftest_target = CODE_ADDR;
            difftest_enter64(&st);
        } else {
            difftest_far32.off = (uint32_t)CODE_ADDR;
            difftest_far32.sel = SEL_USER32_CS;
            difftest_enter32(&st);
        }
        _exit(2);
    }
    int status;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0 || !shared_result->valid) {
        return false;
    }
    *out = *shared_result;
    return true;
}

/* ---------------- JIT run ---------------- */

static void gdt_entry(Xtm *m, int index, uint32_t flags)
{
    /* base 0, limit 0xfffff pages: flags are the descriptor's high-dword attribute bits */
    uint32_t lo = 0x0000ffffu, hi = (flags & 0x00f0ff00u) | 0x000f0000u;
    memcpy(xtm_host(m, GDT_ADDR + (uint64_t)index * 8), &lo, 4);
    memcpy(xtm_host(m, GDT_ADDR + (uint64_t)index * 8 + 4), &hi, 4);
}

static void run_jit(const Prog *p, const uint8_t *code, size_t code_len, Result *out)
{
    Xtm *m = xtm_new();
    uint8_t *c = xtm_add_ram(m, CODE_ADDR, CODE_SIZE, false);
    memset(c, 0xcc, CODE_SIZE);
    memcpy(c, code, code_len);
    memcpy(xtm_add_ram(m, DATA_ADDR, DATA_SIZE, true), p->data, DATA_SIZE);
    memcpy(xtm_add_ram(m, STACK_ADDR, STACK_SIZE, true), p->stack, STACK_SIZE);
    xtm_add_ram(m, PT_ADDR, 0x10000, true);
    xtm_add_ram(m, GDT_ADDR, 0x1000, true);
    /* The page tables are not mapped (natively nothing is there); the GDT must be, for the kernel. */
    xtm_set_unmapped(m, PT_ADDR);
    xtm_set_supervisor(m, GDT_ADDR);
    CPUX86State *env = m->env;
    uint32_t dpl3 = 3u << DESC_DPL_SHIFT;
    gdt_entry(m, SEL_USER32_CS >> 3, XTM_CODE_FLAGS | DESC_B_MASK | dpl3);
    gdt_entry(m, SEL_USER_DS >> 3, XTM_DATA_FLAGS | dpl3);
    gdt_entry(m, SEL_USER_CS >> 3, XTM_CODE_FLAGS | DESC_L_MASK | dpl3);
    if (p->mode == 64) {
        xtm_setup_long64(m, 3, PT_ADDR);
        xtm_set_seg(env, R_CS, SEL_USER_CS, 0, 0xffffffff, XTM_CODE_FLAGS | DESC_L_MASK | dpl3);
        xtm_set_seg(env, R_SS, SEL_USER_DS, 0, 0xffffffff, XTM_DATA_FLAGS | dpl3);
        for (int s = 0; s < 6; s++) {
            if (s != R_CS && s != R_SS) {
                xtm_set_seg(env, s, 0, 0, 0, 0);
            }
        }
    } else {
        xtm_setup_paged32(m, 3, PT_ADDR);
        xtm_set_seg(env, R_CS, SEL_USER32_CS, 0, 0xffffffff, XTM_CODE_FLAGS | DESC_B_MASK | dpl3);
        for (int s = 0; s < 6; s++) {
            if (s != R_CS) {
                xtm_set_seg(env, s, (s == R_FS || s == R_GS) ? 0 : SEL_USER_DS, 0,
                            (s == R_FS || s == R_GS) ? 0 : 0xffffffff,
                            (s == R_FS || s == R_GS) ? 0 : (XTM_DATA_FLAGS | dpl3));
            }
        }
    }
    env->gdt.base = GDT_ADDR;
    env->gdt.limit = 0xfff;
    env->tr = (SegmentCache){ 0, 0, 0, 0 };
    memcpy(env->regs, p->regs, sizeof(env->regs));
    env->eip = CODE_ADDR;
    x86_load_eflags(env, (uint32_t)p->rflags, 0xffffffffu);
    env->tcg.exception_index = -1;

    int vec = xtm_run(m);
    memset(out, 0, sizeof(*out));
    out->vector = vec;
    out->err = (uint32_t)m->error_code;
    out->cr2 = env->cr[2];
    memcpy(out->regs, env->regs, sizeof(out->regs));
    out->rip = env->eip;
    out->rflags = x86_compute_eflags(env);
    memcpy(out->data, xtm_host(m, DATA_ADDR), DATA_SIZE);
    memcpy(out->stack, xtm_host(m, STACK_ADDR), STACK_SIZE);
    out->valid = true;
    xtm_free(m);
}

/* ---------------- comparison ---------------- */

static bool compare(const Prog *p, const Result *nat, const Result *jit, GString *why)
{
    uint32_t undef;
    bool ok = true;
    uint64_t rmask = p->mode == 64 ? ~0ull : 0xffffffffull;
    int nregs = p->mode == 64 ? 16 : 8;

    /* The flags undefined where execution stopped: before a faulting instruction, after a trap. */
    {
        int n = (int)p->insns->len;
        uint32_t *before = g_new0(uint32_t, (size_t)n + 1);
        prog_flags_state(p, before);
        undef = before[n];
        uint64_t addr = CODE_ADDR;
        for (int i = 0; i < n; i++) {
            const GInsn *gi = &g_array_index(p->insns, GInsn, i);
            bool trap = nat->vector == 3 || nat->vector == 4 || nat->vector == 1;
            if (!trap && (nat->rip & rmask) == addr) {
                undef = before[i];
                break;
            }
            if (trap && (nat->rip & rmask) == addr + gi->len) {
                undef = before[i + 1];
                break;
            }
            addr += gi->len;
        }
        g_free(before);
    }
    if (nat->vector != jit->vector) {
        g_string_append_printf(why, " vector %d != %d", nat->vector, jit->vector);
        ok = false;
    }
    if ((nat->rip & rmask) != (jit->rip & rmask)) {
        g_string_append_printf(why, " rip %llx != %llx", (unsigned long long)nat->rip, (unsigned long long)jit->rip);
        ok = false;
    }
    if (nat->vector == 14 && jit->vector == 14) {
        /* The kernel reports the hardware error code; compare P/W/U (I/D may differ without NX in 32-bit). */
        /* Kernel addresses are present (but supervisor) natively: their P bit is not comparable. */
        /* So is the JIT's GDT page (supervisor there, nothing natively). */
        bool in_gdt = nat->cr2 >= GDT_ADDR && nat->cr2 < GDT_ADDR + 0x1000;
        uint32_t emask = ((p->mode == 64 && (nat->cr2 >> 47)) || in_gdt) ? 6 : 7;
        if ((nat->err & emask) != (jit->err & emask)) {
            g_string_append_printf(why, " #PF error %x != %x", nat->err, jit->err);
            ok = false;
        }
        if ((nat->cr2 & rmask) != (jit->cr2 & rmask)) {
            g_string_append_printf(why, " cr2 %llx != %llx", (unsigned long long)nat->cr2,
                                   (unsigned long long)jit->cr2);
            ok = false;
        }
    }
    if (nat->vector == 13 && jit->vector == 13 && nat->err != jit->err) {
        g_string_append_printf(why, " #GP error %x != %x", nat->err, jit->err);
        ok = false;
    }
    for (int i = 0; i < nregs; i++) {
        if ((nat->regs[i] & rmask) != (jit->regs[i] & rmask)) {
            g_string_append_printf(why, " r%d %llx != %llx", i, (unsigned long long)(nat->regs[i] & rmask),
                                   (unsigned long long)(jit->regs[i] & rmask));
            ok = false;
        }
    }
    uint32_t fmask = (FL_ALL & ~undef) | FL_DF;
    if ((nat->rflags & fmask) != (jit->rflags & fmask)) {
        g_string_append_printf(why, " flags %llx != %llx (mask %x)", (unsigned long long)(nat->rflags & fmask),
                               (unsigned long long)(jit->rflags & fmask), fmask);
        ok = false;
    }
    for (unsigned i = 0; i < DATA_SIZE; i++) {
        if (nat->data[i] != jit->data[i]) {
            g_string_append_printf(why, " data[0x%x] %02x != %02x", i, nat->data[i], jit->data[i]);
            ok = false;
            break;
        }
    }
    for (unsigned i = 0; i < STACK_SIZE; i++) {
        if (nat->stack[i] != jit->stack[i]) {
            g_string_append_printf(why, " stack[0x%x] %02x != %02x", i, nat->stack[i], jit->stack[i]);
            ok = false;
            break;
        }
    }
    return ok;
}

typedef enum { CASE_PASS, CASE_FAIL, CASE_SKIP } CaseResult;

static CaseResult run_case(const Prog *p, GString *why)
{
    uint8_t code[CODE_SIZE];
    size_t len = assemble(p, code, sizeof(code) - 16);
    Result nat, jit;
    if (!run_native(p, code, len, &nat)) {
        g_string_append(why, " (native run failed)");
        return CASE_SKIP;
    }
    run_jit(p, code, len, &jit);
    return compare(p, &nat, &jit, why) ? CASE_PASS : CASE_FAIL;
}

/* Drop instructions while the divergence stays (keeping the flag rules satisfied). */
static void minimize(Prog *p)
{
    bool progress = true;
    while (progress) {
        progress = false;
        for (int i = (int)p->insns->len - 2; i >= 0; i--) {
            GInsn saved = g_array_index(p->insns, GInsn, i);
            g_array_remove_index(p->insns, (guint)i);
            GString *why = g_string_new(NULL);
            uint32_t u;
            bool still = prog_flags_ok(p, &u) && run_case(p, why) == CASE_FAIL;
            g_string_free(why, true);
            if (still) {
                progress = true;
            } else {
                g_array_insert_val(p->insns, (guint)i, saved);
            }
        }
    }
}

static void print_reproducer(const Prog *p, const char *why, FILE *f)
{
    uint8_t code[CODE_SIZE];
    size_t len = assemble(p, code, sizeof(code) - 16);
    GString *dis = g_string_new(NULL);
    tcg_disas_x86(dis, code, len, CODE_ADDR, p->mode);
    fprintf(f, "# reproducer (%d-bit, %u instructions):%s\n", p->mode, p->insns->len, why);
    fprintf(f, "#   bytes:");
    for (size_t i = 0; i < len; i++) {
        fprintf(f, " %02x", code[i]);
    }
    fprintf(f, "\n");
    char **lines = g_strsplit(dis->str, "\n", -1);
    for (int i = 0; lines[i] && lines[i][0]; i++) {
        fprintf(f, "#  %s\n", lines[i]);
    }
    g_strfreev(lines);
    fprintf(f, "#   regs:");
    for (int i = 0; i < (p->mode == 64 ? 16 : 8); i++) {
        fprintf(f, " r%d=%llx", i, (unsigned long long)p->regs[i]);
    }
    fprintf(f, " rflags=%llx\n", (unsigned long long)p->rflags);
    g_string_free(dis, true);
}

/* ---------------- the hand-written corpus ---------------- */

typedef struct CorpusCase {
    const char *name;
    int mode;                    /* 32, 64 or 0 for both */
    const char *hex;             /* instruction bytes (INT3 appended) */
    uint32_t fundef;             /* flags undefined at the end */
    uint64_t rax, rcx, rdx, rbx; /* initial values (others: 0 but base/stack) */
    uint32_t rflags;
} CorpusCase;

static const CorpusCase corpus[] = {
    /* Flags of every ALU op at the boundaries. */
    { "add-overflow", 0, "04 01", 0, 0x7f, 0, 0, 0, 0 },
    { "add-carry", 0, "04 01", 0, 0xff, 0, 0, 0, 0 },
    { "adc-carry-in", 0, "14 00", 0, 0xff, 0, 0, 0, FL_C },
    { "sbb-borrow-in", 0, "1c 00", 0, 0x00, 0, 0, 0, FL_C },
    { "sub-af", 0, "2c 01", 0, 0x10, 0, 0, 0, 0 },
    { "cmp-signed", 0, "3d 00 00 00 80", 0, 0x7fffffff, 0, 0, 0, 0 },
    { "and-clears-cf-of", 0, "25 ff ff ff ff", FL_A, 0x80000000, 0, 0, 0, FL_C | FL_O },
    { "neg-zero", 0, "f7 d8", 0, 0, 0, 0, 0, FL_C },
    { "neg-min", 0, "f6 d8", 0, 0x80, 0, 0, 0, 0 },
    { "inc-keeps-cf", 0, "fe c0", 0, 0x7f, 0, 0, 0, FL_C },
    { "dec-of", 0, "66 ff c8", 0, 0x8000, 0, 0, 0, 0 },
    /* Shifts and rotates by 0, 1 and large counts. */
    { "shl-by-0", 0, "c1 e0 00", 0, 0x81, 0, 0, 0, FL_C | FL_O | FL_Z },
    { "shl-by-1-of", 0, "d1 e0", FL_A, 0x40000000, 0, 0, 0, 0 },
    { "shr-by-1-of", 0, "d0 e8", FL_A, 0x80, 0, 0, 0, 0 },
    { "sar-by-31", 0, "c1 f8 1f", FL_A | FL_O, 0x80000000, 0, 0, 0, 0 },
    { "shl-cl-masked-32", 0, "d3 e0", FL_A | FL_O, 0x12345678, 33, 0, 0, 0 },
    { "shl-cl-zero-keeps-flags", 0, "d3 e0", 0, 0x12345678, 32, 0, 0, FL_C | FL_S },
    { "shl8-by-9", 0, "c0 e0 09", FL_A | FL_O | FL_C, 0xff, 0, 0, 0, 0 },
    { "rol-by-1", 0, "d0 c0", 0, 0x81, 0, 0, 0, 0 },
    { "ror-by-8-byte", 0, "c0 c8 08", FL_O, 0x81, 0, 0, 0, 0 },
    { "rcl-through-carry", 0, "d0 d0", 0, 0x80, 0, 0, 0, FL_C },
    { "rcr-count-9", 0, "c0 d8 09", FL_O, 0x55, 0, 0, 0, FL_C },
    { "rcl16-count-17", 0, "66 c1 d0 11", FL_O, 0x8001, 0, 0, 0, 0 },
    { "shld-1", 0, "0f a4 d8 01", FL_A, 0x80000001, 0, 0, 0xffffffff, 0 },
    { "shrd-cl-31", 0, "0f ad d8", FL_A | FL_O, 0x80000001, 31, 0, 0x12345678, 0 },
    /* Multiply and divide, including #DE. */
    { "mul-overflow", 0, "f7 e3", FL_S | FL_Z | FL_A | FL_P, 0x10000, 0, 0, 0x10000, 0 },
    { "imul-no-overflow", 0, "0f af c3", FL_S | FL_Z | FL_A | FL_P, 0xffffffff, 0, 0, 2, 0 },
    { "imul8", 0, "f6 eb", FL_S | FL_Z | FL_A | FL_P, 0x80, 0, 0, 0xff, 0 },
    { "div-by-zero", 0, "f7 f3", FL_ALL, 1, 0, 0, 0, 0 },
    { "div-overflow", 0, "f7 f3", FL_ALL, 0, 0, 5, 2, 0 },
    { "idiv-min-by-minus1", 0, "f7 fb", FL_ALL, 0x80000000, 0, 0xffffffff, 0xffffffff, 0 },
    { "idiv8-ok", 0, "f6 fb", FL_ALL, 0xff9c, 0, 0, 7, 0 },
    { "div16", 0, "66 f7 f3", FL_ALL, 0x1234, 0, 0x0001, 0x100, 0 },
    /* BCD (32-bit only). */
    { "daa", 32, "27", FL_O, 0x9a, 0, 0, 0, FL_A },
    { "das", 32, "2f", FL_O, 0x03, 0, 0, 0, FL_A | FL_C },
    { "aaa", 32, "37", FL_O | FL_S | FL_Z | FL_P, 0x0f, 0, 0, 0, 0 },
    { "aas-borrow", 32, "3f", FL_O | FL_S | FL_Z | FL_P, 0x0205, 0, 0, 0, FL_A },
    { "aam-16", 32, "d4 10", FL_O | FL_A | FL_C, 0x7f, 0, 0, 0, 0 },
    { "aam-0", 32, "d4 00", 0, 0x7f, 0, 0, 0, 0 },
    { "aad", 32, "d5 0a", FL_O | FL_A | FL_C, 0x0209, 0, 0, 0, 0 },
    /* Bit ops. */
    { "bt-reg", 0, "0f a3 d8", FL_O | FL_S | FL_Z | FL_A | FL_P, 0x80000000, 0, 0, 31, 0 },
    { "bts-imm-wrap", 0, "0f ba e8 21", FL_O | FL_S | FL_Z | FL_A | FL_P, 0, 0, 0, 0, 0 },
    { "bsf-zero-keeps-dest", 0, "0f bc c3", FL_C | FL_O | FL_S | FL_A | FL_P, 0x1234, 0, 0, 0, 0 },
    { "bsr", 0, "0f bd c3", FL_C | FL_O | FL_S | FL_A | FL_P, 0, 0, 0, 0x00f0, 0 },
    { "popcnt", 0, "f3 0f b8 c3", 0, 0, 0, 0, 0x0f0f, 0 },
    /* cmpxchg and xadd. */
    { "cmpxchg-equal", 0, "0f b1 d9", 0, 5, 0, 0, 5, 0 },
    { "cmpxchg-unequal", 0, "0f b1 d9", 0, 5, 9, 0, 6, 0 },
    { "cmpxchg8-unequal", 0, "0f b0 d9", 0, 0x105, 9, 0, 6, 0 },
    { "xadd-same-reg", 0, "0f c1 c0", 0, 3, 0, 0, 0, 0 },
    /* String ops in both directions. */
    { "rep-movsb-back", 0, "fd f3 a4 fc", 0, 0, 5, 0, 0, 0 },
    { "repne-scasb", 0, "f2 ae", 0, 0, 20, 0, 0, 0 },
    /* Prefixes. */
    { "opsize-imm", 0, "66 05 ff ff", 0, 0x12340001, 0, 0, 0, 0 },
    { "seg-override-load", 0, "2e 8b 45 00", 0, 0, 0, 0, 0, 0 },
    { "lea-addr16", 32, "67 8d 40 10", 0, 0xfffffff0, 0, 0, 0, 0 },
    { "cwd", 0, "66 99", 0, 0x8000, 0, 0, 0, 0 },
    { "movsx-16", 0, "66 0f be c1", 0, 0, 0x80, 0, 0, 0 },
    { "lock-add-mem", 0, "f0 01 45 00", 0, 1, 0, 0, 0, 0 },
    { "lock-reg-ud", 0, "f0 01 c0", 0, 1, 0, 0, 0, 0 },
    { "sahf-lahf", 0, "9e 9f", FL_O, 0xd500, 0, 0, 0, 0 },
    { "store-crossing-unmapped", 0, "89 85 fe 0f 00 00", 0, 0x11223344, 0, 0, 0, 0 },
    { "load-crossing-pages", 0, "8b 45 fe", 0, 0, 0, 0, 0, 0 },
};

static int hexval(char c)
{
    return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

static void corpus_prog(const CorpusCase *cc, int mode, Prog *p)
{
    memset(p, 0, sizeof(*p));
    p->mode = mode;
    p->insns = g_array_new(false, false, sizeof(GInsn));
    GInsn gi;
    memset(&gi, 0, sizeof(gi));
    gi.riprel_pos = -1;
    for (const char *s = cc->hex; *s;) {
        if (*s == ' ') {
            s++;
            continue;
        }
        gi.b[gi.len++] = (uint8_t)(hexval(s[0]) * 16 + hexval(s[1]));
        s += 2;
    }
    gi.fundef = cc->fundef;
    g_array_append_val(p->insns, gi);
    memset(&gi, 0, sizeof(gi));
    gi.riprel_pos = -1;
    gi.b[0] = 0xcc;
    gi.len = 1;
    g_array_append_val(p->insns, gi);
    p->regs[0] = cc->rax;
    p->regs[1] = cc->rcx;
    p->regs[2] = cc->rdx;
    p->regs[3] = cc->rbx;
    p->regs[4] = STACK_ADDR + 0x800;
    /* rBP = rSI = rDI = the middle of the data pages (string ops and [ebp+disp] forms). */
    p->regs[5] = BASE_VALUE;
    p->regs[6] = BASE_VALUE;
    p->regs[7] = BASE_VALUE + 0x10;
    p->regs[15] = BASE_VALUE;
    p->regs[14] = IDX_VALUE;
    p->rflags = cc->rflags | 0x202;
    for (unsigned i = 0; i < DATA_SIZE; i++) {
        p->data[i] = (uint8_t)(i * 13 + 7);
    }
    p->data[0x1020] = 0;   /* a zero for REPNE SCASB to find */
}

/* Debugging: run one case and print both results in full. */
static void dump_case(const Prog *pp, int mode)
{
    const Prog *p = pp;
    uint8_t code[CODE_SIZE];
    size_t clen = assemble(p, code, sizeof(code) - 16);
    Result nat, jit;
    if (!run_native(p, code, clen, &nat)) {
        printf("%d-bit: native run failed\n", mode);
        return;
    }
    run_jit(p, code, clen, &jit);
    const Result *rs[2] = { &nat, &jit };
    for (int k = 0; k < 2; k++) {
        const Result *r = rs[k];
        printf("%d-bit %s: vector %d err %x cr2 %llx rip %llx rflags %llx\n ", mode, k ? "jit" : "native",
               r->vector, r->err, (unsigned long long)r->cr2, (unsigned long long)r->rip,
               (unsigned long long)r->rflags);
        for (int i = 0; i < 16; i++) {
            printf(" r%d=%llx", i, (unsigned long long)r->regs[i]);
        }
        printf("\n");
    }
    GString *why = g_string_new(NULL);
    printf("%s%s\n", compare(p, &nat, &jit, why) ? "same" : "DIFFERENT:", why->str);
    g_string_free(why, true);
}

/* ---------------- main ---------------- */

int main(int argc, char **argv)
{
    uint64_t seed = 1;
    int count = 100, len = 24;
    int modes = 3;     /* bit 0: 64, bit 1: 32 */
    bool tap = false, verbose = false, do_corpus = false;
    const char *hex = NULL;
    uint64_t hex_regs[16];
    bool hex_reg_set[16] = { false };
    int64_t hex_flags = -1;
    int64_t one = -1;
    static const struct option longopts[] = {
        { "seed", required_argument, NULL, 's' }, { "count", required_argument, NULL, 'n' },
        { "mode", required_argument, NULL, 'm' }, { "len", required_argument, NULL, 'l' },
        { "tap", no_argument, NULL, 't' }, { "verbose", no_argument, NULL, 'v' },
        { "corpus", no_argument, NULL, 'c' }, { "hex", required_argument, NULL, 'x' },
        { "reg", required_argument, NULL, 'r' }, { "flags", required_argument, NULL, 'f' },
        { "one", required_argument, NULL, 'o' }, { NULL, 0, NULL, 0 },
    };
    int c;
    while ((c = getopt_long(argc, argv, "s:n:m:l:tvc", longopts, NULL)) != -1) {
        switch (c) {
        case 's': seed = strtoull(optarg, NULL, 0); break;
        case 'n': count = atoi(optarg); break;
        case 'l': len = atoi(optarg); break;
        case 'm': modes = !strcmp(optarg, "64") ? 1 : !strcmp(optarg, "32") ? 2 : 3; break;
        case 't': tap = true; break;
        case 'v': verbose = true; break;
        case 'c': do_corpus = true; break;
        case 'x': hex = optarg; break;
        case 'r': {
            /* --reg N=VALUE */
            char *eq = strchr(optarg, '=');
            int n = atoi(optarg);
            if (!eq || n < 0 || n > 15) {
                fprintf(stderr, "difftest: --reg N=VALUE\n");
                return 2;
            }
            hex_regs[n] = strtoull(eq + 1, NULL, 16);
            hex_reg_set[n] = true;
            break;
        }
        case 'o': one = (int64_t)strtoull(optarg, NULL, 0); break;
        case 'f': hex_flags = (int64_t)strtoull(optarg, NULL, 16); break;
        default:
            fprintf(stderr, "usage: difftest [--seed S] [--count N] [--mode 32|64|both] [--len L] [--corpus] [--tap]\n");
            return 2;
        }
    }
    if (len < 1 || len > 200 || count < 0) {
        fprintf(stderr, "difftest: bad --len or --count\n");
        return 2;
    }
    shared_result = mmap(NULL, sizeof(Result), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (shared_result == MAP_FAILED) {
        perror("mmap");
        return 2;
    }

    if (one >= 0) {
        for (int mode = 64; mode >= 32; mode -= 32) {
            if (!(modes & (mode == 64 ? 1 : 2))) {
                continue;
            }
            Prog p;
            gen_prog(&p, mode, (uint32_t)one, len);
            print_reproducer(&p, "", stdout);
            dump_case(&p, mode);
            prog_free(&p);
        }
        return 0;
    }
    if (hex) {
        /* Debugging: one case from hex bytes (corpus register set-up), both results printed. */
        CorpusCase cc = { "hex", 0, hex, 0, 0, 0, 0, 0, 0 };
        for (int mode = 64; mode >= 32; mode -= 32) {
            if (!(modes & (mode == 64 ? 1 : 2))) {
                continue;
            }
            Prog p;
            corpus_prog(&cc, mode, &p);
            for (int i = 0; i < 16; i++) {
                if (hex_reg_set[i]) {
                    p.regs[i] = hex_regs[i];
                }
            }
            if (hex_flags >= 0) {
                p.rflags = (uint64_t)hex_flags;
            }
            dump_case(&p, mode);
            prog_free(&p);
        }
        return 0;
    }

    int pass = 0, fail = 0, skip = 0, t = 0;
    if (tap) {
        int total = 0;
        if (do_corpus) {
            for (size_t i = 0; i < G_N_ELEMENTS(corpus); i++) {
                total += corpus[i].mode ? 1 : 2;
            }
        }
        total += count * ((modes & 1) + ((modes >> 1) & 1));
        printf("1..%d\n", total);
    }
    if (do_corpus) {
        for (size_t i = 0; i < G_N_ELEMENTS(corpus); i++) {
            for (int mode = 64; mode >= 32; mode -= 32) {
                if (corpus[i].mode && corpus[i].mode != mode) {
                    continue;
                }
                Prog p;
                corpus_prog(&corpus[i], mode, &p);
                GString *why = g_string_new(NULL);
                CaseResult r = run_case(&p, why);
                t++;
                if (r == CASE_PASS) {
                    pass++;
                    if (tap) {
                        printf("ok %d - corpus %s (%d-bit)\n", t, corpus[i].name, mode);
                    }
                } else if (r == CASE_SKIP) {
                    skip++;
                    if (tap) {
                        printf("ok %d # SKIP corpus %s (%d-bit):%s\n", t, corpus[i].name, mode, why->str);
                    }
                } else {
                    fail++;
                    if (tap) {
                        printf("not ok %d - corpus %s (%d-bit)\n", t, corpus[i].name, mode);
                    }
                    print_reproducer(&p, why->str, tap ? stdout : stderr);
                }
                g_string_free(why, true);
                prog_free(&p);
            }
        }
    }
    for (int mode = 64; mode >= 32; mode -= 32) {
        if (!(modes & (mode == 64 ? 1 : 2))) {
            continue;
        }
        for (int i = 0; i < count; i++) {
            uint32_t s = (uint32_t)(seed * 1000003u + (uint64_t)i * 7919u + (uint64_t)mode);
            Prog p;
            gen_prog(&p, mode, s, len);
            GString *why = g_string_new(NULL);
            CaseResult r = run_case(&p, why);
            t++;
            if (r == CASE_PASS) {
                pass++;
                if (tap) {
                    printf("ok %d - random %d-bit seed %u\n", t, mode, s);
                }
                if (verbose) {
                    print_reproducer(&p, " (pass)", stderr);
                }
            } else if (r == CASE_SKIP) {
                skip++;
                if (tap) {
                    printf("ok %d # SKIP random %d-bit seed %u:%s\n", t, mode, s, why->str);
                }
            } else {
                fail++;
                if (tap) {
                    printf("not ok %d - random %d-bit seed %u\n", t, mode, s);
                } else {
                    fprintf(stderr, "FAIL %d-bit seed %u:%s\n", mode, s, why->str);
                }
                minimize(&p);
                GString *why2 = g_string_new(NULL);
                run_case(&p, why2);
                print_reproducer(&p, why2->str, tap ? stdout : stderr);
                g_string_free(why2, true);
            }
            g_string_free(why, true);
            prog_free(&p);
        }
    }
    if (!tap) {
        printf("%d passed, %d failed, %d skipped\n", pass, fail, skip);
    }
    return fail ? 1 : 0;
}
