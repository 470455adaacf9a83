/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Random instruction sequences for the differential tester.
 *
 * Weighted towards the integer ISA: ALU ops in every width and operand
 * form (ModRM/SIB/RIP-relative/absolute addressing into the data buffer
 * or the stack), shifts and rotates by 0, 1, CL and large counts,
 * mul/imul/div/idiv (with #DE), inc/dec/neg/not, bit tests and scans,
 * cmpxchg/xadd/xchg, setcc/cmovcc/jcc/loop/call (forward branches inside
 * the snippet), movzx/movsx, lea, string ops in both directions with rep
 * prefixes and small counts, BCD in 32-bit code, push/pop/enter/leave on
 * the private stack, and prefix noise: segment overrides, 0x66, 0x67,
 * redundant REX.
 *
 * Every unit knows which flags and registers the manuals leave
 * undefined after it (Intel SDM vol. 2 "Flags Affected" sections; AMD APM
 * vol. 3 rFLAGS tables; undefined in either counts), see gen.h.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "tests/tcg/gen.h"

/* ---------------------------------------------------------------- */
/* Generator state                                                   */

typedef struct Pending {
    int branch;                 /* unit index of the branch */
    int remaining;              /* units still to skip */
    int bytes;                  /* bytes skipped so far */
    bool rel8;
    uint32_t regs, flags;       /* undefined on the taken path */
} Pending;

typedef struct Gen {
    DiffRng rng;
    int mode;
    DiffCase *c;
    uint32_t t_regs, t_flags;   /* undefined now */
    Pending pend[DIFF_MAX_UNITS];
    int npend;
    int pushed, popped;         /* stack budget used */
} Gen;

/* The data buffer: linear addresses in 32/64-bit code, offsets in the data segment in 16-bit code. */
static uint64_t data_lo(int mode)
{
    return mode == 16 ? DIFF16_DATA_OFF : DIFF_DATA_BASE;
}

static uint64_t data_size(int mode)
{
    return mode == 16 ? DIFF16_DATA_SIZE : DIFF_DATA_SIZE;
}

static int stack_budget(int mode)
{
    return mode == 16 ? 0x300 : 0xc00;
}

/* Per-register state inside a unit being built. */
enum { RS_NONE, RS_DEF, RS_UNDEF };

typedef struct Ub {
    Gen *g;
    DiffUnit *u;
    uint8_t rs[DIFF_NREGS];
    uint16_t fdef, fundef;
} Ub;


static int rnd(Gen *g, int n)
{
    return (int)diff_rng_below(&g->rng, (uint32_t)n);
}

static bool chance(Gen *g, int pct)
{
    return rnd(g, 100) < pct;
}

uint64_t diff_seed_mix(uint64_t a, uint64_t b)
{
    DiffRng r = { a ^ (b * 0xd6e8feb86659fd93ull) };

    diff_rng_next(&r);
    return diff_rng_next(&r);
}

static uint64_t size_mask(int size)
{
    return size == 8 ? ~0ull : (1ull << (size * 8)) - 1;
}

/* Values near the edges where flags change: 0, 1, -1, the sign bit, carries between bytes. */
static uint64_t rnd_val_rng(DiffRng *r, int size)
{
    int bits = size * 8;
    uint64_t v;

    switch (diff_rng_below(r, 12)) {
    case 0: v = 0; break;
    case 1: v = 1 + diff_rng_below(r, 3); break;
    case 2: v = ~0ull - diff_rng_below(r, 2); break;
    case 3: v = 1ull << (bits - 1); break;
    case 4: v = (1ull << (bits - 1)) - 1 + diff_rng_below(r, 3); break;
    case 5: v = 1ull << diff_rng_below(r, bits); break;
    case 6: v = (1ull << diff_rng_below(r, bits)) - 1; break;
    case 7: v = diff_rng_below(r, 256); break;
    case 8: {
        static const uint64_t edges[] = { 0x7f, 0x80, 0xff, 0x100, 0x7fff, 0x8000, 0xffff, 0x10000,
                                          0x7fffffff, 0x80000000, 0xffffffff, 0x100000000ull };
        v = edges[diff_rng_below(r, G_N_ELEMENTS(edges))];
        break;
    }
    case 9: v = diff_rng_next(r) >> diff_rng_below(r, 64); break;
    case 10: v = -(uint64_t)diff_rng_below(r, 300); break;
    default: v = diff_rng_next(r); break;
    }
    return v & size_mask(size);
}

static uint64_t rnd_val(Gen *g, int size)
{
    return rnd_val_rng(&g->rng, size);
}

/* ---------------------------------------------------------------- */
/* Unit building: bytes and data flow                                */

static void ub_byte(Ub *b, uint8_t v)
{
    g_assert(b->u->len < DIFF_UNIT_MAX_BYTES);
    b->u->bytes[b->u->len++] = v;
}

static void ub_imm(Ub *b, uint64_t v, int bytes)
{
    for (int i = 0; i < bytes; i++) {
        ub_byte(b, (uint8_t)(v >> (8 * i)));
    }
}

static void ub_read(Ub *b, int reg)
{
    if (b->rs[reg] == RS_NONE) {
        b->u->reads |= 1u << reg;
    }
    /* A unit never reads what it made undefined itself. */
    g_assert(b->rs[reg] != RS_UNDEF);
}

static void ub_def(Ub *b, int reg)
{
    g_assert(reg != R_SP);
    b->rs[reg] = RS_DEF;
}

static void ub_undef(Ub *b, int reg)
{
    g_assert(reg != R_SP);
    b->rs[reg] = RS_UNDEF;
}

static void ub_fread(Ub *b, unsigned fl)
{
    b->u->flags_read |= fl & ~(b->fdef | b->fundef);
    g_assert(!(fl & b->fundef));
}

static void ub_fdef(Ub *b, unsigned fl)
{
    b->fdef |= fl;
    b->fundef &= ~fl;
}

static void ub_fundef(Ub *b, unsigned fl)
{
    b->fundef |= fl;
    b->fdef &= ~fl;
}

static uint32_t ub_written_mask(Ub *b)
{
    uint32_t m = 0;

    for (int i = 0; i < DIFF_NREGS; i++) {
        if (b->rs[i] != RS_NONE) {
            m |= 1u << i;
        }
    }
    return m;
}

static void ub_finish(Ub *b)
{
    for (int i = 0; i < DIFF_NREGS; i++) {
        if (b->rs[i] == RS_DEF) {
            b->u->writes_full |= 1u << i;
        } else if (b->rs[i] == RS_UNDEF) {
            b->u->writes_undef |= 1u << i;
        }
    }
    b->u->flags_def = b->fdef;
    b->u->flags_undef = b->fundef;
}

/* ---------------------------------------------------------------- */
/* The encoder                                                       */

/*
 * Byte registers: codes 0-15 are the low bytes (4-7 are spl..dil and
 * need a REX prefix), 16-19 are ah, ch, dh, bh (never with REX).
 */
#define REG_AH 16

static int gpr_of(int code)
{
    return code >= REG_AH ? code - REG_AH : code;
}

typedef struct Mem {
    int base, index, scale;     /* -1: none; scale is log2 */
    int32_t disp;
    int disp_size;              /* 0, 1, 4 (2 in 16-bit addressing) */
    bool rip;                   /* RIP-relative; target in rip_target */
    uint64_t rip_target;
    bool a16;                   /* 16-bit addressing, ModRM rm in a16_rm */
    int a16_rm;
} Mem;

typedef struct Insn {
    int size;                   /* operand size 1, 2, 4, 8 */
    bool implicit_size;         /* size needs neither 0x66 nor REX.W (push/pop defaults) */
    bool rex_w;                 /* force REX.W */
    uint8_t seg;                /* segment override prefix or 0 */
    uint8_t rep;                /* 0, 0xf2, 0xf3 */
    bool lock, a67, extra66, rex40;
    uint8_t op[3];
    int nop;
    int opreg;                  /* register in the low opcode bits, -1: none */
    int modrm_reg;              /* -1: no ModRM; else the reg field (a register code or /digit) */
    bool reg_is_gpr;
    bool rm_mem;
    int rm_reg;                 /* register code when !rm_mem */
    Mem mem;
    int imm_size;
    uint64_t imm;
    int imm2_size;              /* enter has two immediates */
    uint64_t imm2;
} Insn;

static void insn_init(Insn *in, int size)
{
    memset(in, 0, sizeof(*in));
    in->size = size;
    in->opreg = -1;
    in->modrm_reg = -1;
    in->rm_reg = -1;
}

static void insn_op(Insn *in, int n, uint8_t a, uint8_t b2, uint8_t c)
{
    in->nop = n;
    in->op[0] = a;
    in->op[1] = b2;
    in->op[2] = c;
}

static bool byte_reg_needs_rex(int code)
{
    return code >= 4 && code < 16;
}

static void emit_insn(Ub *b, const Insn *in)
{
    unsigned rex = 0;
    bool need_rex = in->rex40, no_rex = false;
    int mod, rm, reg3;
    DiffUnit *u = b->u;

    if (in->lock) {
        ub_byte(b, 0xf0);
    }
    if (in->rep) {
        ub_byte(b, in->rep);
    }
    if (in->seg) {
        ub_byte(b, in->seg);
    }
    /* 0x66 selects the non-default operand size: 16-bit in 32/64-bit code, 32-bit in 16-bit code */
    if ((!in->implicit_size && in->size == (b->g->mode == 16 ? 4 : 2)) || in->extra66) {
        ub_byte(b, 0x66);
    }
    if (in->a67) {
        ub_byte(b, 0x67);
    }
    if (in->rex_w || (in->size == 8 && !in->implicit_size)) {
        rex |= 8;
    }
    if (in->modrm_reg >= 0 && in->reg_is_gpr) {
        if (in->modrm_reg < 16 && (in->modrm_reg & 8)) {
            rex |= 4;
        }
        if (in->size == 1 && byte_reg_needs_rex(in->modrm_reg)) {
            need_rex = true;
        }
        no_rex |= in->modrm_reg >= REG_AH;
    }
    if (in->modrm_reg >= 0 && in->rm_mem) {
        if (in->mem.index >= 8) {
            rex |= 2;
        }
        if (in->mem.base >= 8) {
            rex |= 1;
        }
    } else if (in->modrm_reg >= 0) {
        if (in->rm_reg < 16 && (in->rm_reg & 8)) {
            rex |= 1;
        }
        if (in->size == 1 && byte_reg_needs_rex(in->rm_reg)) {
            need_rex = true;
        }
        no_rex |= in->rm_reg >= REG_AH;
    }
    if (in->opreg >= 0) {
        if (in->opreg < 16 && (in->opreg & 8)) {
            rex |= 1;
        }
        if (in->size == 1 && byte_reg_needs_rex(in->opreg)) {
            need_rex = true;
        }
        no_rex |= in->opreg >= REG_AH;
    }
    if (rex || need_rex) {
        g_assert(b->g->mode == 64 && !no_rex);
        ub_byte(b, 0x40 | rex);
    }
    for (int i = 0; i < in->nop; i++) {
        uint8_t op = in->op[i];

        if (i == in->nop - 1 && in->opreg >= 0) {
            op += in->opreg >= REG_AH ? in->opreg - REG_AH + 4 : in->opreg & 7;
        }
        ub_byte(b, op);
    }
    if (in->modrm_reg >= 0) {
        reg3 = in->modrm_reg >= REG_AH ? in->modrm_reg - REG_AH + 4 : in->modrm_reg & 7;
        if (!in->rm_mem) {
            rm = in->rm_reg >= REG_AH ? in->rm_reg - REG_AH + 4 : in->rm_reg & 7;
            ub_byte(b, 0xc0 | (reg3 << 3) | rm);
        } else if (in->mem.a16) {
            int ds = in->mem.disp_size;

            if (in->mem.a16_rm == 6 && ds == 0) {
                ds = 1;         /* [bp] needs a displacement */
            }
            mod = ds == 0 ? 0 : ds == 1 ? 1 : 2;
            if (in->mem.a16_rm == -1) {   /* [disp16] */
                mod = 0;
                ds = 2;
            }
            ub_byte(b, (mod << 6) | (reg3 << 3) | (in->mem.a16_rm == -1 ? 6 : in->mem.a16_rm));
            ub_imm(b, (uint64_t)(int64_t)in->mem.disp, ds);
        } else if (in->mem.rip) {
            ub_byte(b, (reg3 << 3) | 5);
            u->riprel_off = (int8_t)u->len;
            ub_imm(b, 0, 4);
            u->riprel_target = in->mem.rip_target;
        } else {
            const Mem *m = &in->mem;
            int ds = m->disp_size;

            if (m->base < 0) {
                ds = 4;
                mod = 0;
            } else {
                if (ds == 0 && (m->base & 7) == 5) {
                    ds = 1;     /* [ebp]/[r13] need a displacement */
                }
                mod = ds == 0 ? 0 : ds == 1 ? 1 : 2;
            }
            if (m->base < 0 && m->index < 0 && b->g->mode != 64) {
                ub_byte(b, (reg3 << 3) | 5);            /* disp32 */
            } else if (m->index < 0 && m->base >= 0 && (m->base & 7) != 4) {
                ub_byte(b, (mod << 6) | (reg3 << 3) | (m->base & 7));
            } else {
                /* SIB; in 64-bit code also plain disp32 (rm=101 would be RIP-relative) */
                ub_byte(b, (mod << 6) | (reg3 << 3) | 4);
                ub_byte(b, (m->scale << 6) | ((m->index < 0 ? 4 : m->index & 7) << 3) |
                               (m->base < 0 ? 5 : m->base & 7));
            }
            ub_imm(b, (uint64_t)(int64_t)m->disp, ds);
        }
    }
    ub_imm(b, in->imm, in->imm_size);
    ub_imm(b, in->imm2, in->imm2_size);
    if (u->riprel_off >= 0 && in->modrm_reg >= 0 && in->rm_mem && in->mem.rip) {
        u->riprel_end = u->len;
    }
}

/* mov $val, reg (full width): the smallest encoding that gives exactly val. */
static void ub_mov_imm(Ub *b, int reg, uint64_t val)
{
    Insn in;

    if (b->g->mode != 64) {
        val = (uint32_t)val;    /* registers are 32 bits wide outside 64-bit code */
    }
    if (b->g->mode != 64 || val <= 0xffffffffull) {
        insn_init(&in, 4);
        insn_op(&in, 1, 0xb8, 0, 0);
        in.opreg = reg;
        in.imm = (uint32_t)val;
        in.imm_size = 4;
    } else if ((int64_t)val == (int32_t)val) {
        insn_init(&in, 8);
        insn_op(&in, 1, 0xc7, 0, 0);
        in.modrm_reg = 0;
        in.rm_reg = reg;
        in.imm = val;
        in.imm_size = 4;
    } else {
        insn_init(&in, 8);
        insn_op(&in, 1, 0xb8, 0, 0);
        in.opreg = reg;
        in.imm = val;
        in.imm_size = 8;
    }
    emit_insn(b, &in);
    ub_def(b, reg);
}

/* ---------------------------------------------------------------- */
/* Operand choice                                                    */

static int nregs(Gen *g)
{
    return g->mode == 64 ? 16 : 8;
}


/* A GPR not in `avoid` (never esp when it will be written). */
static int pick_reg(Gen *g, uint32_t avoid)
{
    for (int tries = 0; tries < 64; tries++) {
        int r = rnd(g, nregs(g));

        if (!(avoid & (1u << r))) {
            return r;
        }
    }
    for (int r = 0; r < nregs(g); r++) {
        if (!(avoid & (1u << r))) {
            return r;
        }
    }
    g_assert_not_reached();
}

static int pick_dst(Gen *g, uint32_t avoid)
{
    return pick_reg(g, avoid | (1u << R_SP));
}

static int pick_size(Gen *g, bool allow8)
{
    int r = rnd(g, 100);

    if (allow8 && r < 22) {
        return 1;
    }
    if (r < 42) {
        return 2;
    }
    if (g->mode == 64 && r < 68) {
        return 8;
    }
    return 4;
}

/*
 * Byte operands: in 64-bit code either the legacy set (al..bl, ah..bh,
 * no REX allowed anywhere in the instruction) or the REX set (al..r15b).
 */
typedef struct ByteMode {
    bool legacy;
} ByteMode;

static ByteMode pick_byte_mode(Gen *g)
{
    ByteMode bm = { .legacy = g->mode != 64 || chance(g, 50) };
    return bm;
}

static int pick_byte_reg(Gen *g, ByteMode bm, bool dst, uint32_t avoid)
{
    for (int tries = 0; tries < 64; tries++) {
        int code;

        if (bm.legacy) {
            code = rnd(g, 8);
            code = code < 4 ? code : REG_AH + code - 4;
        } else {
            code = rnd(g, 16);
        }
        if (dst && code == R_SP) {
            continue;
        }
        if (avoid & (1u << gpr_of(code))) {
            continue;
        }
        return code;
    }
    return R_AX;
}

/* Register operand for an instruction of `size`; codes as for emit_insn. */
static int pick_opnd(Gen *g, int size, ByteMode bm, bool dst, uint32_t avoid)
{
    if (size == 1) {
        return pick_byte_reg(g, bm, dst, avoid);
    }
    return dst ? pick_dst(g, avoid) : pick_reg(g, avoid);
}

/* The instruction reads/writes register operand `code` of `size`. */
static void opnd_read(Ub *b, int code)
{
    ub_read(b, gpr_of(code));
}

static void opnd_write(Ub *b, int code, int size)
{
    int r = gpr_of(code);

    g_assert(r != R_SP);
    if (size >= 4 && code < REG_AH) {
        ub_def(b, r);
    }
    /* 8/16-bit writes keep the rest of the register: no change in definedness. */
}

/* Sometimes give a source register an interesting value first. */
static void maybe_set(Ub *b, int code, int size, int pct)
{
    Gen *g = b->g;
    int r = gpr_of(code);
    uint64_t v;

    if (r == R_SP || !chance(g, pct)) {
        return;
    }
    v = rnd_val(g, size);
    if (code >= REG_AH) {
        v = (v << 8) | rnd(g, 256);
    } else if (size < 8) {
        /* random upper bits: the instruction must ignore them */
        v |= (diff_rng_next(&g->rng) & ~size_mask(size)) & (g->mode == 64 ? ~0ull : 0xffffffffull);
    }
    ub_mov_imm(b, r, v);
}

static uint8_t pick_seg(Gen *g, bool write)
{
    /*
     * es, cs, ss, ds; gs (base 0 in 32/64-bit code here).  Never fs in
     * 32/64-bit code: its base is the host's TLS.  In 16-bit code all data
     * segments are the same and CS is the code segment: reads only.
     */
    static const uint8_t segs[] = { 0x26, 0x2e, 0x36, 0x3e, 0x65, 0x64 };

    if (!chance(g, 12)) {
        return 0;
    }
    for (;;) {
        uint8_t s = segs[rnd(g, g->mode == 16 ? 6 : 5)];

        /* A write through CS faults in 32-bit code (a code segment is never writable). */
        if (s == 0x2e && write && g->mode != 64) {
            continue;
        }
        return s;
    }
}

/*
 * Address of an access of `size` bytes that may also touch `lo` bytes
 * below and `hi` bytes above it: in the data buffer, biased towards the
 * page boundary in its middle and towards its edges.
 */
static uint64_t pick_data_addr(Gen *g, int size, int lo, int hi)
{
    uint64_t base = data_lo(g->mode), len = data_size(g->mode);
    uint64_t first = base + lo, last = base + len - size - hi;
    uint64_t a;

    switch (rnd(g, 8)) {
    case 0:
    case 1:
        /* around the page boundary in the middle of the buffer */
        a = base + len / 2 - size + rnd(g, 2 * size + 1);
        break;
    case 2:
        a = chance(g, 50) ? first + rnd(g, 8) : last - rnd(g, 8);
        break;
    case 3:
        a = first + rnd(g, (int)(last - first + 1));
        a &= ~(uint64_t)(size - 1);
        break;
    default:
        a = first + rnd(g, (int)(last - first + 1));
        break;
    }
    return CLAMP(a, first, last);
}

enum {
    MEM_NO_RIP = 1 << 0,        /* the unit uses the operand twice (one RIP fixup per unit) */
    MEM_NO_STACK = 1 << 1,
    MEM_LEGACY = 1 << 2,        /* no REX: registers 0-7 only */
    MEM_NO_A67 = 1 << 3,
};

/*
 * A memory operand for an access of `size` bytes (plus lo/hi bytes
 * around it) that lands in the data buffer (or, esp-based, in the stack),
 * with the prelude that loads its registers.  Registers already written
 * by the unit and those in `avoid` are kept.  Sets *a67 when the operand
 * uses the other address size.
 */
/*
 * 16-bit addressing (16-bit code without 0x67): [bx+si], [bx+di],
 * [bp+si], [bp+di], [si], [di], [bp], [bx] or [disp16], computed modulo
 * 64 KiB, so the registers get random upper halves and low halves that
 * only add up to the target.  BP forms use SS, which is the data segment
 * here too.
 */
static bool gen_mem16(Ub *b, Insn *in, uint64_t a, uint32_t avoid)
{
    static const int uses[8][2] = {
        { R_BX, R_SI }, { R_BX, R_DI }, { R_BP, R_SI }, { R_BP, R_DI },
        { R_SI, -1 }, { R_DI, -1 }, { R_BP, -1 }, { R_BX, -1 },
    };
    Gen *g = b->g;
    Mem *m = &in->mem;
    int rm = rnd(g, 9) - 1;
    uint16_t rest;

    m->a16 = true;
    if (rm >= 0 && ((avoid >> uses[rm][0]) & 1 || (uses[rm][1] >= 0 && (avoid >> uses[rm][1]) & 1))) {
        rm = -1;
    }
    m->a16_rm = rm;
    if (rm < 0) {
        m->disp = (int16_t)a;
        m->disp_size = 2;
        return true;
    }
    m->disp_size = rnd(g, 3);
    if (rm == 6 && m->disp_size == 0) {
        m->disp_size = 1;
    }
    m->disp = m->disp_size == 0 ? 0 : m->disp_size == 1 ? (int8_t)rnd(g, 256) : (int16_t)rnd(g, 65536);
    rest = (uint16_t)(a - (uint64_t)(int64_t)m->disp);
    if (uses[rm][1] >= 0) {
        uint16_t second = (uint16_t)rnd_val(g, 2);

        ub_mov_imm(b, uses[rm][1], (diff_rng_next(&g->rng) & 0xffff0000u) | second);
        rest = (uint16_t)(rest - second);
    }
    ub_mov_imm(b, uses[rm][0], (diff_rng_next(&g->rng) & 0xffff0000u) | rest);
    return true;
}

static void gen_mem(Ub *b, Insn *in, int size, int lo, int hi, uint32_t avoid, unsigned opts)
{
    Gen *g = b->g;
    Mem *m = &in->mem;
    int form = rnd(g, 20);
    uint64_t a;
    bool a32;

    avoid |= ub_written_mask(b) | (1u << R_SP);
    if (opts & MEM_LEGACY) {
        avoid |= 0xff00;
    }
    memset(m, 0, sizeof(*m));
    m->base = m->index = -1;
    in->rm_mem = true;

    /*
     * 0x67: in 64-bit code 32-bit addressing (wraps at 4 GiB); in 16-bit
     * code 32-bit addressing (the offset must stay below 64 KiB).  16-bit
     * addressing in 32-bit code cannot reach the buffer.
     */
    in->a67 = g->mode != 32 && !(opts & MEM_NO_A67) && chance(g, g->mode == 16 ? 15 : 10);
    a32 = g->mode == 32 || in->a67;
    if (g->mode == 16 && !in->a67) {
        gen_mem16(b, in, pick_data_addr(g, size, lo, hi), avoid);
        return;
    }

    if (form == 0 && g->mode != 16 && !(opts & MEM_NO_STACK) && lo <= 64 && hi <= 64) {
        /* [esp + disp8]: wherever the stack is, it stays inside the stack region */
        m->base = R_SP;
        m->disp = -64 + rnd(g, 128 - size);
        m->disp_size = 1;
        if (chance(g, 20)) {
            m->disp_size = 4;
        }
        return;
    }
    a = pick_data_addr(g, size, lo, hi);
    if (form == 1 && g->mode == 64 && !in->a67 && !(opts & MEM_NO_RIP)) {
        m->rip = true;
        m->rip_target = a;
        return;
    }
    if (form == 2) {
        m->disp = (int32_t)a;
        m->disp_size = 4;
        return;
    }
    m->base = form == 3 ? -1 : pick_reg(g, avoid);
    if (form >= 3 && form < 11) {
        m->index = pick_reg(g, avoid | (1u << R_SP));
        m->scale = rnd(g, 4);
    }
    switch (rnd(g, 3)) {
    case 0: m->disp_size = 0; break;
    case 1: m->disp_size = 1; m->disp = (int8_t)rnd(g, 256); break;
    default: m->disp_size = 4; m->disp = (int32_t)rnd_val(g, 4); break;
    }
    if (m->base < 0) {
        m->disp_size = 4;
    }
    if (!a32) {
        /* 64-bit addressing: keep index*scale and disp small so base stays a plain number */
        if (m->disp_size == 4) {
            m->disp = (int32_t)(rnd(g, 0x20000) - 0x10000);
        }
    }

    if (m->index >= 0 && m->index == m->base) {
        /* [r + r*s]: solve v * (1 + 2^s) + disp = a */
        uint64_t mult = 1 + (1u << m->scale);
        uint64_t v = a / mult;
        int64_t d = (int64_t)(a - v * mult);

        m->disp = (int32_t)d;
        m->disp_size = d == (int8_t)d ? (d ? 1 : 0) : 4;
        ub_mov_imm(b, m->base, v);
        return;
    }
    if (m->index >= 0) {
        uint64_t iv = a32 ? rnd_val(g, 4) : (uint64_t)(int64_t)(rnd(g, 0x2000) - 0x1000);

        if (m->base < 0) {
            /* disp32 (sign-extended) must make up the rest */
            iv = (uint64_t)(int64_t)(rnd(g, 0x800) - 0x400);
            m->disp = (int32_t)(a - (iv << m->scale));
            if (!a32 && (int64_t)(a - (iv << m->scale)) != m->disp) {
                iv = 0;
                m->disp = (int32_t)a;
            }
            ub_mov_imm(b, m->index, a32 && g->mode == 64 && chance(g, 30)
                                        ? (iv & 0xffffffffull) | (diff_rng_next(&g->rng) << 32)
                                        : (a32 ? (uint32_t)iv : iv));
            return;
        }
        if (a32 && g->mode == 64 && chance(g, 30)) {
            /* upper halves must be ignored under 0x67 */
            ub_mov_imm(b, m->index, (uint32_t)iv | (diff_rng_next(&g->rng) << 32));
        } else {
            ub_mov_imm(b, m->index, a32 ? (uint32_t)iv : iv);
        }
        a -= iv << m->scale;
    } else if (m->base < 0) {
        m->disp = (int32_t)a;
        m->disp_size = 4;
        return;
    }
    {
        uint64_t bv = a - (uint64_t)(int64_t)m->disp;

        if (a32) {
            bv = (uint32_t)bv;
            if (g->mode == 64 && chance(g, 30)) {
                bv |= diff_rng_next(&g->rng) << 32;
            }
        }
        ub_mov_imm(b, m->base, bv);
    }
}

/* A random effective address for lea and nop: no prelude, any registers. */
static void gen_ea_any(Ub *b, Insn *in, bool allow_a16)
{
    Gen *g = b->g;
    Mem *m = &in->mem;

    memset(m, 0, sizeof(*m));
    m->base = m->index = -1;
    in->rm_mem = true;
    if ((g->mode == 32 && allow_a16 && chance(g, 20)) || (g->mode == 16 && chance(g, 80))) {
        static const int uses[8][2] = {
            { R_BX, R_SI }, { R_BX, R_DI }, { R_BP, R_SI }, { R_BP, R_DI },
            { R_SI, -1 }, { R_DI, -1 }, { R_BP, -1 }, { R_BX, -1 },
        };

        in->a67 = g->mode == 32;
        m->a16 = true;
        m->a16_rm = rnd(g, 9) - 1;
        m->disp_size = rnd(g, 3);
        m->disp_size = m->disp_size == 2 ? 2 : m->disp_size;
        m->disp = m->disp_size == 1 ? (int8_t)rnd(g, 256) : (int16_t)rnd(g, 65536);
        if (m->a16_rm >= 0) {
            for (int i = 0; i < 2; i++) {
                if (uses[m->a16_rm][i] >= 0) {
                    ub_read(b, uses[m->a16_rm][i]);
                }
            }
        }
        return;
    }
    in->a67 = (g->mode == 64 && chance(g, 15)) || g->mode == 16;
    if (g->mode == 64 && !in->a67 && chance(g, 15)) {
        m->rip = true;
        m->rip_target = DIFF_CODE_BASE + rnd(g, 0x10000) - 0x8000 + (uint64_t)rnd(g, 2) * 0x40000000ull;
        return;
    }
    if (chance(g, 85)) {
        m->base = pick_reg(g, 0);
        ub_read(b, m->base);
    }
    if (chance(g, 50)) {
        m->index = pick_reg(g, 1u << R_SP);
        m->scale = rnd(g, 4);
        ub_read(b, m->index);
    }
    m->disp_size = m->base < 0 ? 4 : rnd(g, 3);
    if (m->disp_size == 2) {
        m->disp_size = 4;
    }
    m->disp = m->disp_size == 1 ? (int8_t)rnd(g, 256) : (int32_t)rnd_val(g, 4);
}

/* A register or memory r/m operand. */
static void gen_rm(Ub *b, Insn *in, int size, ByteMode bm, bool dst, bool src_read, int mem_pct,
                   uint32_t avoid)
{
    Gen *g = b->g;

    if (chance(g, mem_pct)) {
        gen_mem(b, in, size, 0, 0, avoid, bm.legacy && g->mode == 64 && size == 1 ? MEM_LEGACY : 0);
        in->seg = pick_seg(g, dst);
        return;
    }
    in->rm_mem = false;
    in->rm_reg = pick_opnd(g, size, bm, dst, 0);
    if (src_read) {
        if (!(avoid & (1u << gpr_of(in->rm_reg)))) {
            maybe_set(b, in->rm_reg, size, 30);
        }
        opnd_read(b, in->rm_reg);
    }
}

/* A prefix that changes nothing: redundant segment override, REX with no bits. */
static void prefix_noise(Gen *g, Insn *in)
{
    if (!in->rm_mem && !in->seg && chance(g, 4)) {
        static const uint8_t segs[] = { 0x26, 0x2e, 0x36, 0x3e };
        in->seg = segs[rnd(g, 4)];
    }
    if (g->mode == 64 && in->size != 1 && in->modrm_reg >= 0 && chance(g, 4)) {
        in->rex40 = true;
    }
}

static const uint16_t cond_flags[16] = {
    FL_OF, FL_OF, FL_CF, FL_CF, FL_ZF, FL_ZF, FL_CF | FL_ZF, FL_CF | FL_ZF,
    FL_SF, FL_SF, FL_PF, FL_PF, FL_SF | FL_OF, FL_SF | FL_OF,
    FL_ZF | FL_SF | FL_OF, FL_ZF | FL_SF | FL_OF,
};

/* ---------------------------------------------------------------- */
/* Instruction families                                              */

/* add or adc sbb and sub xor cmp */
static void fam_alu(Ub *b)
{
    Gen *g = b->g;
    int op = rnd(g, 8), size = pick_size(g, true), form = rnd(g, 6);
    ByteMode bm = pick_byte_mode(g);
    bool writes = op != 7;
    Insn in;
    int reg;

    b->u->what = "alu";
    insn_init(&in, size);
    if (form == 4 && size == 1) {
        form = 3;
    }
    switch (form) {
    case 0: /* r/m, reg */
    case 1: /* reg, r/m */
        reg = pick_opnd(g, size, bm, form == 1 && writes, 0);
        maybe_set(b, reg, size, 40);
        opnd_read(b, reg);
        insn_op(&in, 1, (uint8_t)(op * 8 + (form == 1 ? 2 : 0) + (size == 1 ? 0 : 1)), 0, 0);
        in.modrm_reg = reg;
        in.reg_is_gpr = true;
        gen_rm(b, &in, size, bm, form == 0 && writes, true, 35, 0);
        if (form == 1 && writes) {
            opnd_write(b, reg, size);
        } else if (form == 0 && writes && !in.rm_mem) {
            opnd_write(b, in.rm_reg, size);
        }
        break;
    case 2: /* acc, imm */
        maybe_set(b, R_AX, size, 40);
        ub_read(b, R_AX);
        insn_op(&in, 1, (uint8_t)(op * 8 + (size == 1 ? 4 : 5)), 0, 0);
        in.imm_size = size == 8 ? 4 : size;
        in.imm = rnd_val(g, in.imm_size);
        if (writes) {
            opnd_write(b, R_AX, size);
        }
        break;
    default: /* r/m, imm (80/81, 83 sign-extended imm8; 82 = 80 in 32-bit code) */
        if (form == 4) {
            insn_op(&in, 1, 0x83, 0, 0);
            in.imm_size = 1;
        } else {
            insn_op(&in, 1, size == 1 ? (g->mode != 64 && chance(g, 10) ? 0x82 : 0x80) : 0x81, 0, 0);
            in.imm_size = size == 8 ? 4 : size;
        }
        in.imm = rnd_val(g, in.imm_size);
        in.modrm_reg = op;
        gen_rm(b, &in, size, bm, writes, true, 35, 0);
        if (writes && !in.rm_mem) {
            opnd_write(b, in.rm_reg, size);
        }
        break;
    }
    if (op == 2 || op == 3) {
        ub_fread(b, FL_CF);
    }
    if (op == 1 || op == 4 || op == 6) {
        /* logical ops: AF undefined (SDM: AND/OR/XOR "The state of the AF flag is undefined") */
        ub_fdef(b, FL_ARITH & ~FL_AF);
        ub_fundef(b, FL_AF);
    } else {
        ub_fdef(b, FL_ARITH);
    }
    if (in.rm_mem && writes && form != 1 && form != 2 && chance(g, 15)) {
        in.lock = true;
    }
    prefix_noise(g, &in);
    emit_insn(b, &in);
}

static void fam_test(Ub *b)
{
    Gen *g = b->g;
    int size = pick_size(g, true), form = rnd(g, 3);
    ByteMode bm = pick_byte_mode(g);
    Insn in;

    b->u->what = "test";
    insn_init(&in, size);
    if (form == 0) {
        int reg = pick_opnd(g, size, bm, false, 0);

        maybe_set(b, reg, size, 40);
        opnd_read(b, reg);
        insn_op(&in, 1, size == 1 ? 0x84 : 0x85, 0, 0);
        in.modrm_reg = reg;
        in.reg_is_gpr = true;
        gen_rm(b, &in, size, bm, false, true, 30, 0);
    } else if (form == 1) {
        ub_read(b, R_AX);
        insn_op(&in, 1, size == 1 ? 0xa8 : 0xa9, 0, 0);
        in.imm_size = size == 8 ? 4 : size;
        in.imm = rnd_val(g, in.imm_size);
    } else {
        insn_op(&in, 1, size == 1 ? 0xf6 : 0xf7, 0, 0);
        in.modrm_reg = 0;
        in.imm_size = size == 8 ? 4 : size;
        in.imm = rnd_val(g, in.imm_size);
        gen_rm(b, &in, size, bm, false, true, 30, 0);
    }
    ub_fdef(b, FL_ARITH & ~FL_AF);
    ub_fundef(b, FL_AF);
    prefix_noise(g, &in);
    emit_insn(b, &in);
}

/* inc dec not neg */
static void fam_unary(Ub *b)
{
    Gen *g = b->g;
    int op = rnd(g, 4), size = pick_size(g, true);
    ByteMode bm = pick_byte_mode(g);
    Insn in;

    insn_init(&in, size);
    if (op < 2) {
        b->u->what = "incdec";
        if (g->mode != 64 && size != 1 && chance(g, 30)) {
            /* 40+r / 48+r: only outside 64-bit code (REX there) */
            int reg = pick_dst(g, 0);

            maybe_set(b, reg, size, 40);
            opnd_read(b, reg);
            insn_op(&in, 1, op ? 0x48 : 0x40, 0, 0);
            in.opreg = reg;
            opnd_write(b, reg, size);
            ub_fdef(b, FL_ARITH & ~FL_CF);
            emit_insn(b, &in);
            return;
        }
        insn_op(&in, 1, size == 1 ? 0xfe : 0xff, 0, 0);
        in.modrm_reg = op;
        ub_fdef(b, FL_ARITH & ~FL_CF);  /* CF is not affected */
    } else {
        b->u->what = "notneg";
        insn_op(&in, 1, size == 1 ? 0xf6 : 0xf7, 0, 0);
        in.modrm_reg = op;
        if (op == 3) {
            ub_fdef(b, FL_ARITH);
        }
    }
    gen_rm(b, &in, size, bm, true, true, 30, 0);
    if (!in.rm_mem) {
        opnd_write(b, in.rm_reg, size);
    } else if (chance(g, 15)) {
        in.lock = true;
    }
    prefix_noise(g, &in);
    emit_insn(b, &in);
}

static int pick_count(Gen *g, int bits)
{
    static const int base[] = { 0, 1, 1, 2, 3 };
    int r = rnd(g, 10);

    if (r < 3) {
        return base[rnd(g, G_N_ELEMENTS(base))];
    }
    if (r < 6) {
        return bits - 1 + rnd(g, 3);    /* width - 1, width, width + 1 */
    }
    if (r < 7) {
        static const int big[] = { 31, 32, 33, 63, 64, 65, 0x80, 0xff };
        return big[rnd(g, G_N_ELEMENTS(big))];
    }
    return rnd(g, r < 9 ? bits : 256);
}

/* rol ror rcl rcr shl shr sar (by 1, imm8, CL) */
static void fam_shift(Ub *b)
{
    static const int ops[] = { 0, 1, 2, 3, 4, 5, 7 };
    Gen *g = b->g;
    int op = ops[rnd(g, G_N_ELEMENTS(ops))], size = pick_size(g, true), form = rnd(g, 3);
    int bits = size * 8, count, masked;
    ByteMode bm = pick_byte_mode(g);
    Insn in;

    b->u->what = "shift";
    insn_init(&in, size);
    in.modrm_reg = op;
    count = form == 0 ? 1 : pick_count(g, bits);
    if (form == 0) {
        insn_op(&in, 1, size == 1 ? 0xd0 : 0xd1, 0, 0);
    } else if (form == 1) {
        insn_op(&in, 1, size == 1 ? 0xc0 : 0xc1, 0, 0);
        in.imm = (uint64_t)count;
        in.imm_size = 1;
    } else {
        insn_op(&in, 1, size == 1 ? 0xd2 : 0xd3, 0, 0);
        ub_mov_imm(b, R_CX, (uint32_t)count | (chance(g, 30) ? 0x1200 : 0));
        ub_read(b, R_CX);
    }
    gen_rm(b, &in, size, bm, true, true, 30, 1u << R_CX);
    if (in.rm_mem && !in.rm_reg) {
        /* rm_reg is unused for memory */
    }
    if (!in.rm_mem && gpr_of(in.rm_reg) == R_CX && form == 2) {
        /* the count register is also the operand: fine, its value is the count */
    }
    masked = count & (size == 8 ? 63 : 31);
    if (masked == 0) {
        /* count 0: no flags change; the destination is still written (zero-extension in 64-bit code) */
    } else if (op <= 3) {
        if (op >= 2) {
            ub_fread(b, FL_CF);
        }
        ub_fdef(b, FL_CF);
        if (masked == 1) {
            ub_fdef(b, FL_OF);
        } else {
            ub_fundef(b, FL_OF);    /* SDM: OF defined only for 1-bit rotates */
        }
    } else {
        ub_fdef(b, FL_CF | FL_SF | FL_ZF | FL_PF);
        ub_fundef(b, FL_AF);        /* AF undefined for a non-zero count */
        if (masked == 1) {
            ub_fdef(b, FL_OF);
        } else {
            ub_fundef(b, FL_OF);
        }
        if (masked >= bits) {
            ub_fundef(b, FL_CF);    /* count >= operand size (8/16-bit only): CF undefined */
        }
    }
    if (!in.rm_mem) {
        opnd_write(b, in.rm_reg, size);
    }
    prefix_noise(g, &in);
    emit_insn(b, &in);
}

/* shld / shrd by imm8 or CL */
static void fam_shiftd(Ub *b)
{
    Gen *g = b->g;
    int size = pick_size(g, false), right = rnd(g, 2), cl = rnd(g, 2), count, masked, reg;
    ByteMode bm = { false };
    Insn in;

    b->u->what = "shiftd";
    insn_init(&in, size);
    do {
        count = pick_count(g, size * 8);
        masked = count & (size == 8 ? 63 : 31);
    } while (size == 2 && masked > 16);     /* 16-bit, count > 16: result undefined */
    if (cl) {
        ub_mov_imm(b, R_CX, (uint32_t)count);
        ub_read(b, R_CX);
    }
    reg = pick_reg(g, 0);
    if (!(cl && reg == R_CX)) {     /* the source may be the count register, but keeps the count */
        maybe_set(b, reg, size, 40);
    }
    opnd_read(b, reg);
    insn_op(&in, 2, 0x0f, (uint8_t)((right ? 0xac : 0xa4) + cl), 0);
    in.modrm_reg = reg;
    in.reg_is_gpr = true;
    if (!cl) {
        in.imm = (uint64_t)count;
        in.imm_size = 1;
    }
    gen_rm(b, &in, size, bm, true, true, 30, 1u << R_CX);
    if (masked) {
        ub_fdef(b, FL_CF | FL_SF | FL_ZF | FL_PF);
        ub_fundef(b, FL_AF);
        if (masked == 1) {
            ub_fdef(b, FL_OF);
        } else {
            ub_fundef(b, FL_OF);
        }
    }
    if (!in.rm_mem) {
        opnd_write(b, in.rm_reg, size);
    }
    emit_insn(b, &in);
}

/* mul / imul (one operand), imul r, r/m [, imm] */
static void fam_mul(Ub *b)
{
    Gen *g = b->g;
    int form = rnd(g, 4), size;
    ByteMode bm = pick_byte_mode(g);
    Insn in;

    b->u->what = "mul";
    if (form < 2) {
        size = pick_size(g, true);
        insn_init(&in, size);
        insn_op(&in, 1, size == 1 ? 0xf6 : 0xf7, 0, 0);
        in.modrm_reg = 4 + form;
        maybe_set(b, R_AX, size, 40);
        gen_rm(b, &in, size, bm, false, true, 30, 1u << R_AX);
        ub_read(b, R_AX);
        if (size >= 4) {
            ub_def(b, R_AX);
            ub_def(b, R_DX);
        }
    } else {
        int reg;

        size = pick_size(g, false);
        insn_init(&in, size);
        reg = pick_dst(g, 0);
        if (form == 2) {
            insn_op(&in, 2, 0x0f, 0xaf, 0);
            maybe_set(b, reg, size, 40);
            opnd_read(b, reg);
        } else if (chance(g, 50)) {
            insn_op(&in, 1, 0x6b, 0, 0);
            in.imm_size = 1;
            in.imm = rnd_val(g, 1);
        } else {
            insn_op(&in, 1, 0x69, 0, 0);
            in.imm_size = size == 2 ? 2 : 4;
            in.imm = rnd_val(g, in.imm_size);
        }
        in.modrm_reg = reg;
        in.reg_is_gpr = true;
        gen_rm(b, &in, size, bm, false, true, 30, 0);
        opnd_write(b, reg, size);
    }
    ub_fdef(b, FL_CF | FL_OF);
    ub_fundef(b, FL_SF | FL_ZF | FL_AF | FL_PF);
    prefix_noise(g, &in);
    emit_insn(b, &in);
}

/* div / idiv, usually with a dividend that fits, sometimes raising #DE */
static void fam_div(Ub *b)
{
    Gen *g = b->g;
    int size = pick_size(g, true), sign = rnd(g, 2), setup = rnd(g, 100);
    ByteMode bm = pick_byte_mode(g);
    Insn in;

    b->u->what = "div";
    insn_init(&in, size);
    insn_op(&in, 1, size == 1 ? 0xf6 : 0xf7, 0, 0);
    in.modrm_reg = 6 + sign;
    maybe_set(b, R_AX, size == 1 ? 2 : size, 50);
    if (setup < 85) {
        if (!sign) {
            if (size == 1) {
                Insn z;     /* mov $0, %ah */

                insn_init(&z, 1);
                insn_op(&z, 1, 0xb0, 0, 0);
                z.opreg = REG_AH;
                z.imm_size = 1;
                emit_insn(b, &z);
            } else {
                ub_mov_imm(b, R_DX, 0);
            }
        } else {
            Insn z;         /* cbw / cwd / cdq / cqo */

            insn_init(&z, size == 1 ? 2 : size);
            insn_op(&z, 1, size == 1 ? 0x98 : 0x99, 0, 0);
            ub_read(b, R_AX);
            emit_insn(b, &z);
            if (size >= 4) {
                ub_def(b, R_DX);
            }
        }
    }
    if (chance(g, 70)) {
        /* a divisor register with a value that is usually not zero */
        in.rm_mem = false;
        in.rm_reg = pick_opnd(g, size, bm, false, (1u << R_AX) | (1u << R_DX) | (1u << R_SP));
        if (chance(g, 80)) {
            uint64_t v = rnd_val(g, size) | (uint64_t)!rnd(g, 4) << (rnd(g, size * 8));

            if ((v & size_mask(size)) == 0) {
                v = 1 + rnd(g, 9);
            }
            ub_mov_imm(b, gpr_of(in.rm_reg), in.rm_reg >= REG_AH ? v << 8 : v);
        }
        opnd_read(b, in.rm_reg);
    } else {
        gen_rm(b, &in, size, bm, false, true, 100, (1u << R_AX) | (1u << R_DX));
    }
    ub_read(b, R_AX);
    if (size > 1) {
        ub_read(b, R_DX);
    }
    if (size >= 4) {
        ub_def(b, R_AX);
        ub_def(b, R_DX);
    }
    ub_fundef(b, FL_ARITH);     /* all six undefined */
    b->u->may_fault |= 1u << VEC_DE;
    emit_insn(b, &in);
}

/* bt bts btr btc, by register or immediate */
static void fam_bt(Ub *b)
{
    Gen *g = b->g;
    int op = rnd(g, 4), size = pick_size(g, false), imm = rnd(g, 2);
    Insn in;

    b->u->what = "bt";
    insn_init(&in, size);
    if (imm) {
        insn_op(&in, 3, 0x0f, 0xba, 0);
        in.nop = 2;
        in.modrm_reg = 4 + op;
        in.imm_size = 1;
        in.imm = (uint64_t)pick_count(g, size * 8);
        if (chance(g, 35)) {
            gen_mem(b, &in, size, 0, 0, 0, 0);
            in.seg = pick_seg(g, op != 0);
        } else {
            in.rm_reg = pick_reg(g, op ? 1u << R_SP : 0);
            maybe_set(b, in.rm_reg, size, 30);
            ub_read(b, in.rm_reg);
        }
    } else {
        int reg = pick_reg(g, 0);
        static const uint8_t opc[] = { 0xa3, 0xab, 0xb3, 0xbb };

        insn_op(&in, 2, 0x0f, opc[op], 0);
        in.modrm_reg = reg;
        in.reg_is_gpr = true;
        if (chance(g, 40)) {
            /* memory bit string: the offset (signed) reaches up to 64 bytes either way */
            if (reg != R_SP) {
                int64_t off = (int64_t)rnd(g, 1024) - 512;
                ub_mov_imm(b, reg, g->mode == 64 && size == 8 ? (uint64_t)off
                                   : size == 2 ? (uint64_t)(uint16_t)off | (diff_rng_next(&g->rng) & 0xffff0000u)
                                               : (uint32_t)off);
            } else {
                reg = in.modrm_reg = R_AX;
                ub_mov_imm(b, reg, (uint32_t)rnd(g, 256));
            }
            ub_read(b, reg);
            gen_mem(b, &in, size, 72, 72, 1u << reg, MEM_NO_STACK);
            in.seg = pick_seg(g, op != 0);
        } else {
            maybe_set(b, reg, size, 40);
            ub_read(b, reg);
            in.rm_reg = pick_reg(g, op ? 1u << R_SP : 0);
            maybe_set(b, in.rm_reg, size, 30);
            ub_read(b, in.rm_reg);
        }
    }
    if (op && !in.rm_mem) {
        opnd_write(b, in.rm_reg, size);
    }
    if (op && in.rm_mem && chance(g, 15)) {
        in.lock = true;
    }
    ub_fdef(b, FL_CF);
    /* OF SF AF PF undefined; ZF undefined in the AMD APM and older SDMs */
    ub_fundef(b, FL_OF | FL_SF | FL_AF | FL_PF | FL_ZF);
    emit_insn(b, &in);
}

/* bsf / bsr; a zero source leaves the destination undefined (Intel) */
static void fam_bsf(Ub *b)
{
    Gen *g = b->g;
    int size = pick_size(g, false), zero = chance(g, 20), reg = pick_dst(g, 0);
    Insn in;
    uint64_t v;

    b->u->what = "bsf";
    insn_init(&in, size);
    insn_op(&in, 2, 0x0f, (uint8_t)(0xbc + rnd(g, 2)), 0);
    in.modrm_reg = reg;
    in.reg_is_gpr = true;
    v = rnd_val(g, size);
    if (!v || chance(g, 30)) {
        v |= 1ull << rnd(g, size * 8);
    }
    if (zero) {
        v = 0;
    }
    if (chance(g, 35)) {
        Insn st;

        /* store the source value first (mov $imm, mem), then scan it */
        gen_mem(b, &in, size, 0, 0, 1u << reg, MEM_NO_RIP);
        insn_init(&st, size);
        insn_op(&st, 1, 0xc7, 0, 0);
        st.modrm_reg = 0;
        st.rm_mem = true;
        st.mem = in.mem;
        st.a67 = in.a67;
        st.imm_size = size == 2 ? 2 : 4;
        /* imm32 is sign-extended for 64-bit: zero exactly when the 32 bits are */
        st.imm = size == 2 ? (uint16_t)v : (uint32_t)v;
        if (!zero && !st.imm) {
            st.imm = 1u << rnd(g, size == 2 ? 16 : 32);
        }
        emit_insn(b, &st);
    } else {
        int src = pick_reg(g, 0);

        if (src != R_SP) {
            ub_mov_imm(b, src, v);
        } else if (zero) {
            src = reg == R_AX ? R_CX : R_AX;
            ub_mov_imm(b, src, 0);
        }
        ub_read(b, src);
        in.rm_reg = src;
    }
    if (zero) {
        ub_undef(b, reg);
    } else {
        opnd_write(b, reg, size);
    }
    ub_fdef(b, FL_ZF);
    ub_fundef(b, FL_CF | FL_OF | FL_SF | FL_AF | FL_PF);
    emit_insn(b, &in);
}

/* cmpxchg, xadd, xchg */
static void fam_xchg(Ub *b)
{
    Gen *g = b->g;
    int kind = rnd(g, 3), size = pick_size(g, true), reg;
    ByteMode bm = pick_byte_mode(g);
    Insn in;

    insn_init(&in, size);
    reg = pick_opnd(g, size, bm, kind != 0, kind == 0 ? 0 : 0);
    maybe_set(b, reg, size, 30);
    opnd_read(b, reg);
    in.modrm_reg = reg;
    in.reg_is_gpr = true;
    if (kind == 0) {
        b->u->what = "cmpxchg";
        insn_op(&in, 2, 0x0f, size == 1 ? 0xb0 : 0xb1, 0);
        gen_rm(b, &in, size, bm, true, true, 45, (1u << R_AX) | (1u << gpr_of(reg)));
        if (chance(g, 50)) {
            /* make the accumulator equal to the destination (the "equal" path) */
            Insn ld;

            insn_init(&ld, size);
            insn_op(&ld, 1, size == 1 ? 0x8a : 0x8b, 0, 0);
            ld.modrm_reg = R_AX;
            ld.reg_is_gpr = true;
            ld.rm_mem = in.rm_mem;
            ld.mem = in.mem;
            ld.a67 = in.a67;
            ld.seg = in.seg;
            ld.rm_reg = in.rm_reg;
            /* (one RIP-relative fixup per unit: no load for a RIP-relative operand) */
            if (!(in.rm_mem && in.mem.rip)) {
                emit_insn(b, &ld);
                opnd_write(b, R_AX, size);
            }
        }
        ub_read(b, R_AX);
        if (size >= 4) {
            ub_def(b, R_AX);
        }
        ub_fdef(b, FL_ARITH);
        if (!in.rm_mem) {
            opnd_write(b, in.rm_reg, size);
        }
    } else if (kind == 1) {
        b->u->what = "xadd";
        insn_op(&in, 2, 0x0f, size == 1 ? 0xc0 : 0xc1, 0);
        gen_rm(b, &in, size, bm, true, true, 45, 1u << gpr_of(reg));
        opnd_write(b, reg, size);
        if (!in.rm_mem) {
            opnd_write(b, in.rm_reg, size);
        }
        ub_fdef(b, FL_ARITH);
    } else {
        b->u->what = "xchg";
        if (size > 1 && chance(g, 20) && gpr_of(reg) != R_SP) {
            /* 90+r: xchg eAX, reg (90 alone is nop; 87 c0 is not) */
            insn_op(&in, 1, 0x90, 0, 0);
            in.modrm_reg = -1;
            in.opreg = reg;
            if ((reg & 7) == 0 && reg < 8) {
                in.opreg = -1;
                insn_op(&in, 1, size == 1 ? 0x86 : 0x87, 0, 0);
                in.modrm_reg = reg;
                in.rm_reg = R_AX;
            }
            ub_read(b, R_AX);
            opnd_write(b, R_AX, size);
            opnd_write(b, reg, size);
            emit_insn(b, &in);
            return;
        }
        insn_op(&in, 1, size == 1 ? 0x86 : 0x87, 0, 0);
        gen_rm(b, &in, size, bm, true, true, 45, 1u << gpr_of(reg));
        opnd_write(b, reg, size);
        if (!in.rm_mem) {
            opnd_write(b, in.rm_reg, size);
        }
    }
    if (in.rm_mem && kind != 2 && chance(g, 25)) {
        in.lock = true;
    }
    emit_insn(b, &in);
}

/* cmpxchg8b / cmpxchg16b */
static void fam_cmpxchg8b(Ub *b)
{
    Gen *g = b->g;
    bool wide = g->mode == 64 && chance(g, 40);
    int size = wide ? 16 : 8;
    Insn in;

    b->u->what = "cmpxchg8b";
    insn_init(&in, wide ? 8 : 4);
    insn_op(&in, 2, 0x0f, 0xc7, 0);
    in.modrm_reg = 1;
    if (chance(g, 50)) {
        /* the "equal" path: edx:eax = memory */
        for (int i = 0; i < 4; i++) {
            maybe_set(b, i, 4, 30);
        }
    }
    gen_mem(b, &in, size, 0, 0, 0xf, MEM_NO_STACK);
    if (wide) {
        /* cmpxchg16b needs 16-byte alignment (#GP otherwise): retarget to an aligned address */
        in.mem.rip = false;
        in.mem.base = in.mem.index = -1;
        in.a67 = false;
        in.mem.disp = (int32_t)((pick_data_addr(g, 16, 0, 0) + 15) & ~15ull);
        if ((uint32_t)in.mem.disp + 16 > DIFF_DATA_BASE + DIFF_DATA_SIZE) {
            in.mem.disp -= 16;
        }
        in.mem.disp_size = 4;
    }
    for (int i = 0; i < 4; i++) {
        ub_read(b, i);
    }
    ub_def(b, R_AX);
    ub_def(b, R_DX);
    ub_fdef(b, FL_ZF);
    in.lock = chance(g, 40);
    emit_insn(b, &in);
}

static void fam_setcc_cmov(Ub *b)
{
    Gen *g = b->g;
    int cc = rnd(g, 16);
    Insn in;

    if (chance(g, 50)) {
        ByteMode bm = pick_byte_mode(g);

        b->u->what = "setcc";
        insn_init(&in, 1);
        insn_op(&in, 2, 0x0f, (uint8_t)(0x90 + cc), 0);
        in.modrm_reg = 0;
        gen_rm(b, &in, 1, bm, true, false, 30, 0);
        if (!in.rm_mem) {
            opnd_write(b, in.rm_reg, 1);
        }
    } else {
        int size = pick_size(g, false), reg = pick_dst(g, 0);
        ByteMode bm = { false };

        b->u->what = "cmov";
        insn_init(&in, size);
        insn_op(&in, 2, 0x0f, (uint8_t)(0x40 + cc), 0);
        in.modrm_reg = reg;
        in.reg_is_gpr = true;
        maybe_set(b, reg, size, 30);
        gen_rm(b, &in, size, bm, false, true, 35, 1u << reg);
        /* not taken: the old value stays (zero-extended for 32-bit in 64-bit code) */
        opnd_read(b, reg);
        opnd_write(b, reg, size);
    }
    ub_fread(b, cond_flags[cc]);
    prefix_noise(g, &in);
    emit_insn(b, &in);
}

/* A forward branch over the next 1-3 units: jcc, jmp, loop*, jecxz, call. */
static void fam_branch(Ub *b)
{
    Gen *g = b->g;
    DiffUnit *u = b->u;
    int kind = rnd(g, 10);
    Insn in;

    u->skip = (uint8_t)(1 + rnd(g, 3));
    insn_init(&in, 4);
    in.implicit_size = true;
    if (kind < 5) {
        int cc = rnd(g, 16);

        u->what = "jcc";
        ub_fread(b, cond_flags[cc]);
        if (chance(g, 75)) {
            insn_op(&in, 1, (uint8_t)(0x70 + cc), 0, 0);
            in.imm_size = 1;
        } else {
            insn_op(&in, 2, 0x0f, (uint8_t)(0x80 + cc), 0);
            in.imm_size = g->mode == 16 ? 2 : 4;
        }
        if (chance(g, 5)) {
            in.seg = chance(g, 50) ? 0x2e : 0x3e;   /* branch hints */
        }
    } else if (kind < 6) {
        u->what = "jmp";
        u->skip = (uint8_t)(1 + rnd(g, 2));
        insn_op(&in, 1, chance(g, 70) ? 0xeb : 0xe9, 0, 0);
        in.imm_size = in.op[0] == 0xeb ? 1 : g->mode == 16 ? 2 : 4;
    } else if (kind < 9) {
        int op = rnd(g, 4);     /* loopne loope loop jecxz */
        bool cx16 = false;

        u->what = "loop";
        insn_op(&in, 1, (uint8_t)(0xe0 + op), 0, 0);
        in.imm_size = 1;
        if (chance(g, 60)) {
            uint64_t v = (uint64_t)rnd(g, 4);

            if (chance(g, 30)) {
                v |= diff_rng_next(&g->rng) & (g->mode == 64 ? 0xffffffff00000000ull : 0xffff0000ull);
            }
            ub_mov_imm(b, R_CX, v);
        }
        if (chance(g, 25)) {
            in.a67 = true;      /* 32-bit code: CX; 64-bit and 16-bit code: ECX */
        }
        cx16 = g->mode == 32 ? in.a67 : g->mode == 16 ? !in.a67 : false;
        ub_read(b, R_CX);
        if (op < 3 && !cx16) {
            ub_def(b, R_CX);
        }
        if (op < 2) {
            ub_fread(b, FL_ZF);
        }
    } else {
        u->what = "call";
        insn_op(&in, 1, 0xe8, 0, 0);
        in.imm_size = g->mode == 16 ? 2 : 4;
        u->push_bytes = (int16_t)(g->mode == 64 ? 8 : g->mode == 16 ? 2 : 4);
    }
    emit_insn(b, &in);
    u->rel_size = (uint8_t)in.imm_size;
    u->rel_off = (int8_t)(u->len - in.imm_size);
}

/* movzx movsx movsxd */
static void fam_movx(Ub *b)
{
    Gen *g = b->g;
    int size = pick_size(g, false), srcsize, reg = pick_dst(g, 0), sign = rnd(g, 2);
    ByteMode bm = pick_byte_mode(g);
    Insn in;

    b->u->what = "movx";
    if (g->mode == 64 && size == 8 && chance(g, 25)) {
        /* movsxd r64, r/m32 */
        insn_init(&in, 8);
        insn_op(&in, 1, 0x63, 0, 0);
        srcsize = 4;
    } else {
        srcsize = size == 2 || chance(g, 50) ? 1 : 2;
        insn_init(&in, size);
        insn_op(&in, 2, 0x0f, (uint8_t)((sign ? 0xbe : 0xb6) + (srcsize == 2)), 0);
    }
    in.modrm_reg = reg;
    in.reg_is_gpr = true;
    if (srcsize == 1 && bm.legacy && g->mode == 64 && (size == 8 || reg >= 8)) {
        bm.legacy = false;
    }
    if (chance(g, 35)) {
        gen_mem(b, &in, srcsize, 0, 0, 0, bm.legacy && g->mode == 64 && srcsize == 1 ? MEM_LEGACY : 0);
        in.seg = pick_seg(g, false);
    } else {
        in.rm_reg = srcsize == 1 ? pick_byte_reg(g, bm, false, 0) : pick_reg(g, 0);
        maybe_set(b, in.rm_reg, srcsize, 40);
        opnd_read(b, in.rm_reg);
    }
    if (srcsize == 1 && bm.legacy && reg >= 8) {
        reg = in.modrm_reg = R_AX;
    }
    opnd_write(b, reg, size);
    emit_insn(b, &in);
}

static void fam_lea(Ub *b)
{
    Gen *g = b->g;
    int size = pick_size(g, false), reg = pick_dst(g, 0);
    Insn in;

    b->u->what = "lea";
    insn_init(&in, size);
    insn_op(&in, 1, 0x8d, 0, 0);
    in.modrm_reg = reg;
    in.reg_is_gpr = true;
    gen_ea_any(b, &in, true);
    opnd_write(b, reg, size);
    prefix_noise(g, &in);
    emit_insn(b, &in);
}

/* mov in all forms, including moffs and imm64 */
static void fam_mov(Ub *b)
{
    Gen *g = b->g;
    int size = pick_size(g, true), form = rnd(g, 6), reg;
    ByteMode bm = pick_byte_mode(g);
    Insn in;

    b->u->what = "mov";
    insn_init(&in, size);
    switch (form) {
    case 0: /* r/m, reg */
    case 1: /* reg, r/m */
        reg = pick_opnd(g, size, bm, form == 1, 0);
        in.modrm_reg = reg;
        in.reg_is_gpr = true;
        insn_op(&in, 1, (uint8_t)(0x88 + (form == 1 ? 2 : 0) + (size != 1)), 0, 0);
        if (form == 0) {
            maybe_set(b, reg, size, 30);
            opnd_read(b, reg);
        }
        gen_rm(b, &in, size, bm, form == 0, form == 1 ? true : false, 50, form == 0 ? 1u << gpr_of(reg) : 0);
        if (form == 1) {
            opnd_write(b, reg, size);
        } else if (!in.rm_mem) {
            opnd_write(b, in.rm_reg, size);
        }
        break;
    case 2: /* reg, imm */
        reg = pick_opnd(g, size, bm, true, 0);
        insn_op(&in, 1, size == 1 ? 0xb0 : 0xb8, 0, 0);
        in.opreg = reg;
        in.imm_size = size;
        in.imm = rnd_val(g, size);
        opnd_write(b, reg, size);
        break;
    case 3: /* r/m, imm */
        insn_op(&in, 1, size == 1 ? 0xc6 : 0xc7, 0, 0);
        in.modrm_reg = 0;
        in.imm_size = size == 8 ? 4 : size;
        in.imm = rnd_val(g, in.imm_size);
        gen_rm(b, &in, size, bm, true, false, 60, 0);
        if (!in.rm_mem) {
            opnd_write(b, in.rm_reg, size);
        }
        break;
    default: { /* moffs: A0-A3 */
        bool store = form == 5;
        uint64_t a = pick_data_addr(g, size, 0, 0);

        insn_op(&in, 1, (uint8_t)(0xa0 + (store ? 2 : 0) + (size != 1)), 0, 0);
        in.rm_mem = true;   /* a memory access without ModRM: no segment prefix noise */
        in.seg = pick_seg(g, store);
        if (g->mode == 64) {
            in.a67 = chance(g, 30);
            in.imm_size = in.a67 ? 4 : 8;
        } else if (g->mode == 16) {
            in.a67 = chance(g, 20);
            in.imm_size = in.a67 ? 4 : 2;
        } else {
            in.imm_size = 4;
        }
        in.imm = a;
        if (store) {
            maybe_set(b, R_AX, size, 40);
            ub_read(b, R_AX);
        } else {
            opnd_write(b, R_AX, size);
        }
        break;
    }
    }
    prefix_noise(g, &in);
    emit_insn(b, &in);
}

/* movs cmps stos lods scas, with and without rep, both directions */
static void fam_string(Ub *b)
{
    static const uint8_t base_op[] = { 0xa4, 0xa6, 0xaa, 0xac, 0xae };
    Gen *g = b->g;
    int op = rnd(g, 5), size = pick_size(g, true), rep = chance(g, 65), n = rnd(g, 9);
    bool a67 = g->mode != 32 && chance(g, 25);
    /* registers whose upper half the instruction ignores: 0x67 in 64-bit code, 16-bit addressing */
    bool junk = g->mode == 64 ? a67 : g->mode == 16 ? !a67 : false;
    int margin = (n + 2) * size;
    bool uses_si = op == 0 || op == 1 || op == 3, uses_di = op != 3;
    Insn in;

    b->u->what = "string";
    insn_init(&in, size);
    insn_op(&in, 1, (uint8_t)(base_op[op] + (size != 1)), 0, 0);
    if (chance(g, 40)) {
        Insn d;     /* cld / std */

        insn_init(&d, 4);
        insn_op(&d, 1, chance(g, 50) ? 0xfc : 0xfd, 0, 0);
        emit_insn(b, &d);
        ub_fdef(b, FL_DF);
    }
    ub_fread(b, FL_DF);
    if (rep) {
        in.rep = (op == 1 || op == 4) ? (chance(g, 50) ? 0xf3 : 0xf2) : 0xf3;
        ub_mov_imm(b, R_CX, (uint64_t)n | (junk && chance(g, 40) ? diff_rng_next(&g->rng) << (g->mode == 16 ? 16 : 32) : 0));
        ub_read(b, R_CX);
    }
    for (int i = 0, src_addr = 0; i < 2; i++) {
        int reg = i ? R_DI : R_SI;
        uint64_t a;

        if (!(i ? uses_di : uses_si)) {
            continue;
        }
        a = pick_data_addr(g, size, margin, margin);
        if (i && uses_si && chance(g, 30)) {
            /* overlapping source and destination */
            uint64_t lo = data_lo(g->mode) + margin, hi = data_lo(g->mode) + data_size(g->mode) - size - margin;

            /* (the offset is drawn once: CLAMP evaluates its argument more than once) */
            uint64_t near = (uint64_t)src_addr + (uint64_t)(int64_t)((rnd(g, 7) - 3) * size);

            a = CLAMP(near, lo, hi);
        }
        if (!i) {
            src_addr = (int)a;
        }
        if (junk && chance(g, 40)) {
            a |= diff_rng_next(&g->rng) << (g->mode == 16 ? 16 : 32);   /* ignored upper half */
            a &= g->mode == 16 ? 0xffffffffull : ~0ull;
        }
        ub_mov_imm(b, reg, a);
        ub_read(b, reg);
        ub_def(b, reg);
    }
    if (op == 2 || op == 4) {
        maybe_set(b, R_AX, size, 40);
        ub_read(b, R_AX);
    }
    if (op == 3) {
        if (!rep || n > 0) {
            opnd_write(b, R_AX, size);
        }
    }
    if ((op == 1 || op == 4) && (!rep || n > 0)) {
        ub_fdef(b, FL_ARITH);
    }
    if (rep) {
        ub_def(b, R_CX);
    }
    if (uses_si && chance(g, 15)) {
        static const uint8_t segs[] = { 0x26, 0x2e, 0x36, 0x65, 0x64 };
        /* (CS in 16-bit code is the code segment: not the buffer) */
        in.seg = segs[rnd(g, g->mode == 16 ? 5 : 4)];
        if (g->mode == 16 && in.seg == 0x2e) {
            in.seg = 0x3e;
        }
    }
    in.a67 = a67;
    emit_insn(b, &in);
}

/* daa das aaa aas aam aad (32-bit code only) */
static void fam_bcd(Ub *b)
{
    Gen *g = b->g;
    int op = rnd(g, 6);
    Insn in;

    b->u->what = "bcd";
    if (chance(g, 60)) {
        uint64_t al = chance(g, 60) ? (uint64_t)(rnd(g, 10) << 4 | rnd(g, 10)) : (uint64_t)rnd(g, 256);
        ub_mov_imm(b, R_AX, (diff_rng_next(&g->rng) & 0xffff0000u) | (uint64_t)rnd(g, 256) << 8 | al);
    }
    if (chance(g, 30)) {
        /* AF/CF/... from AH via sahf, keeping AL */
        Insn s;

        insn_init(&s, 1);
        insn_op(&s, 1, 0xb0, 0, 0);
        s.opreg = REG_AH;
        s.imm_size = 1;
        s.imm = (uint64_t)rnd(g, 256);
        ub_read(b, R_AX);
        emit_insn(b, &s);
        insn_init(&s, 4);
        insn_op(&s, 1, 0x9e, 0, 0);
        emit_insn(b, &s);
        ub_fdef(b, FL_SF | FL_ZF | FL_AF | FL_PF | FL_CF);
    }
    ub_read(b, R_AX);
    insn_init(&in, 4);
    switch (op) {
    case 0: /* daa */
    case 1: /* das */
        insn_op(&in, 1, op ? 0x2f : 0x27, 0, 0);
        ub_fread(b, FL_AF | FL_CF);
        ub_fdef(b, FL_CF | FL_AF | FL_SF | FL_ZF | FL_PF);
        ub_fundef(b, FL_OF);
        break;
    case 2: /* aaa */
    case 3: /* aas */
        insn_op(&in, 1, op == 2 ? 0x37 : 0x3f, 0, 0);
        ub_fread(b, FL_AF);
        ub_fdef(b, FL_AF | FL_CF);
        ub_fundef(b, FL_OF | FL_SF | FL_ZF | FL_PF);
        break;
    default: /* aam / aad imm8 */
        insn_op(&in, 1, op == 4 ? 0xd4 : 0xd5, 0, 0);
        in.imm_size = 1;
        in.imm = chance(g, 60) ? 10 : (uint64_t)rnd(g, 256);
        if (op == 4 && chance(g, 8)) {
            in.imm = 0;     /* aam 0: #DE */
        }
        ub_fdef(b, FL_SF | FL_ZF | FL_PF);
        ub_fundef(b, FL_OF | FL_AF | FL_CF);
        if (op == 4) {
            b->u->may_fault |= 1u << VEC_DE;
        }
        break;
    }
    emit_insn(b, &in);
}

static int stack_word(Gen *g, bool p66)
{
    if (g->mode == 16) {
        return p66 ? 4 : 2;
    }
    return p66 ? 2 : g->mode == 64 ? 8 : 4;
}

/* push/pop of registers, immediates and memory; pusha/popa; pushf/popf; enter/leave */
static void fam_stack(Ub *b)
{
    Gen *g = b->g;
    DiffUnit *u = b->u;
    int kind = rnd(g, 10);
    bool p66 = chance(g, 12);
    int w = stack_word(g, p66);
    Insn in;

    insn_init(&in, p66 ? (g->mode == 16 ? 4 : 2) : 4);
    in.implicit_size = !p66;
    u->what = "stack";
    switch (kind) {
    case 0: { /* push reg */
        int reg = pick_reg(g, 0);

        maybe_set(b, reg, w, 30);
        ub_read(b, reg);
        insn_op(&in, 1, 0x50, 0, 0);
        in.opreg = reg;
        u->push_bytes = (int16_t)w;
        break;
    }
    case 1: /* push imm */
        if (chance(g, 50)) {
            insn_op(&in, 1, 0x6a, 0, 0);
            in.imm_size = 1;
        } else {
            insn_op(&in, 1, 0x68, 0, 0);
            in.imm_size = w == 2 ? 2 : 4;
        }
        in.imm = rnd_val(g, in.imm_size);
        u->push_bytes = (int16_t)w;
        break;
    case 2: /* push mem */
        insn_op(&in, 1, 0xff, 0, 0);
        in.modrm_reg = 6;
        gen_mem(b, &in, w, 0, 0, 0, 0);
        in.seg = pick_seg(g, false);
        u->push_bytes = (int16_t)w;
        break;
    case 3: { /* pop reg */
        int reg = pick_dst(g, 0);

        insn_op(&in, 1, 0x58, 0, 0);
        in.opreg = reg;
        if (w >= 4) {
            ub_def(b, reg);
        }
        u->pop_bytes = (int16_t)w;
        break;
    }
    case 4: /* pop mem (the address is computed after esp is incremented) */
        insn_op(&in, 1, 0x8f, 0, 0);
        in.modrm_reg = 0;
        gen_mem(b, &in, w, 0, 0, 0, 0);
        in.seg = pick_seg(g, true);
        u->pop_bytes = (int16_t)w;
        break;
    case 5: /* pusha / popa (32-bit code) */
        if (g->mode != 64) {
            bool pop = chance(g, 50);

            insn_op(&in, 1, pop ? 0x61 : 0x60, 0, 0);
            if (pop) {
                for (int r = 0; r < 8; r++) {
                    if (r != R_SP && w >= 4) {
                        ub_def(b, r);
                    }
                }
                u->pop_bytes = (int16_t)(8 * w);
            } else {
                for (int r = 0; r < 8; r++) {
                    ub_read(b, r);
                }
                u->push_bytes = (int16_t)(8 * w);
            }
            break;
        }
        /* fall through */
    case 6: /* pushf */
        insn_op(&in, 1, 0x9c, 0, 0);
        ub_fread(b, FL_ARITH | FL_DF);
        u->push_bytes = (int16_t)w;
        break;
    case 7: { /* push $imm; popf: IF/IOPL cannot change at CPL 3, TF and AC are left clear */
        Insn p;
        /* (16-bit code runs at CPL 0: IF would change, and must stay clear for the harness) */
        uint64_t fl = (diff_rng_next(&g->rng) & FL_COMPARED) | (chance(g, 20) || g->mode == 16 ? 0 : FL_IF) | 2;

        insn_init(&p, p66 ? (g->mode == 16 ? 4 : 2) : 4);
        p.implicit_size = !p66;
        insn_op(&p, 1, 0x68, 0, 0);
        p.imm_size = w == 2 ? 2 : 4;
        p.imm = fl;
        emit_insn(b, &p);
        insn_op(&in, 1, 0x9d, 0, 0);
        ub_fdef(b, FL_ARITH | FL_DF);
        u->push_bytes = (int16_t)w;
        break;
    }
    case 8: { /* mov %esp, %ebp; enter $n, $level; leave */
        Insn m;
        int level = rnd(g, 3), n = rnd(g, 5) * 4;

        insn_init(&m, g->mode == 64 ? 8 : 4);
        insn_op(&m, 1, 0x89, 0, 0);
        m.modrm_reg = R_SP;
        m.reg_is_gpr = true;
        m.rm_reg = R_BP;
        ub_read(b, R_SP);
        emit_insn(b, &m);
        ub_def(b, R_BP);
        insn_op(&in, 1, 0xc8, 0, 0);
        in.imm_size = 2;
        in.imm = (uint64_t)n;
        in.imm2_size = 1;
        in.imm2 = (uint64_t)level;
        emit_insn(b, &in);
        insn_init(&in, p66 ? (g->mode == 16 ? 4 : 2) : 4);
        in.implicit_size = !p66;
        insn_op(&in, 1, 0xc9, 0, 0);
        u->push_bytes = (int16_t)((level + 1) * w + n + w);
        break;
    }
    default: { /* push reg; pop reg2 */
        int r1 = pick_reg(g, 0), r2 = pick_dst(g, 0);

        maybe_set(b, r1, w, 30);
        ub_read(b, r1);
        insn_op(&in, 1, 0x50, 0, 0);
        in.opreg = r1;
        emit_insn(b, &in);
        insn_op(&in, 1, 0x58, 0, 0);
        in.opreg = r2;
        if (w >= 4) {
            ub_def(b, r2);
        }
        u->push_bytes = (int16_t)w;
        break;
    }
    }
    ub_read(b, R_SP);
    emit_insn(b, &in);
}

/* clc stc cmc cld std lahf sahf, cbw/cwd families, bswap, xlat, nops */
static void fam_misc(Ub *b)
{
    Gen *g = b->g;
    int kind = rnd(g, 12);
    Insn in;

    insn_init(&in, 4);
    b->u->what = "misc";
    switch (kind) {
    case 0: insn_op(&in, 1, 0xf8, 0, 0); ub_fdef(b, FL_CF); break;             /* clc */
    case 1: insn_op(&in, 1, 0xf9, 0, 0); ub_fdef(b, FL_CF); break;             /* stc */
    case 2: insn_op(&in, 1, 0xf5, 0, 0); ub_fread(b, FL_CF); ub_fdef(b, FL_CF); break;  /* cmc */
    case 3: insn_op(&in, 1, chance(g, 50) ? 0xfc : 0xfd, 0, 0); ub_fdef(b, FL_DF); break;
    case 4: /* lahf */
        insn_op(&in, 1, 0x9f, 0, 0);
        ub_fread(b, FL_SF | FL_ZF | FL_AF | FL_PF | FL_CF);
        ub_read(b, R_AX);
        break;
    case 5: /* sahf */
        maybe_set(b, R_AX, 4, 60);
        insn_op(&in, 1, 0x9e, 0, 0);
        ub_read(b, R_AX);
        ub_fdef(b, FL_SF | FL_ZF | FL_AF | FL_PF | FL_CF);
        break;
    case 6: { /* cbw cwde cdqe / cwd cdq cqo */
        int size = pick_size(g, false);
        bool cwd = chance(g, 50);

        insn_init(&in, size);
        insn_op(&in, 1, cwd ? 0x99 : 0x98, 0, 0);
        maybe_set(b, R_AX, size, 50);
        ub_read(b, R_AX);
        if (size >= 4) {
            ub_def(b, cwd ? R_DX : R_AX);
        }
        break;
    }
    case 7: { /* bswap */
        int size = g->mode == 64 && chance(g, 50) ? 8 : 4, reg = pick_dst(g, 0);

        insn_init(&in, size);
        insn_op(&in, 2, 0x0f, 0xc8, 0);
        in.opreg = reg;
        maybe_set(b, reg, size, 40);
        ub_read(b, reg);
        ub_def(b, reg);
        break;
    }
    case 8: { /* xlat: al = [ebx + al] */
        uint64_t a = pick_data_addr(g, 256, 0, 0);

        if (g->mode == 64 && chance(g, 25)) {
            in.a67 = true;
            a |= diff_rng_next(&g->rng) << 32;
        } else if (g->mode == 16) {
            in.a67 = chance(g, 25);     /* EBX; else BX with any upper half */
            a |= in.a67 ? 0 : diff_rng_next(&g->rng) & 0xffff0000u;
        }
        ub_mov_imm(b, R_BX, a);
        maybe_set(b, R_AX, 4, 30);
        insn_op(&in, 1, 0xd7, 0, 0);
        in.seg = pick_seg(g, false);
        ub_read(b, R_AX);
        break;
    }
    case 9: /* multi-byte nop with a memory form (never accessed) */
        insn_op(&in, 2, 0x0f, 0x1f, 0);
        in.modrm_reg = 0;
        gen_ea_any(b, &in, false);
        break;
    case 10: /* pause / 66 nop / nop */
        if (chance(g, 50)) {
            in.rep = 0xf3;
        } else if (chance(g, 50)) {
            in.extra66 = true;
        }
        insn_op(&in, 1, 0x90, 0, 0);
        break;
    default: /* the fully undefined-flag killers: a cmp of two defined registers */
        insn_op(&in, 1, 0x39, 0, 0);
        in.modrm_reg = pick_reg(g, 0);
        in.reg_is_gpr = true;
        in.rm_reg = pick_reg(g, 0);
        ub_read(b, in.modrm_reg);
        ub_read(b, in.rm_reg);
        ub_fdef(b, FL_ARITH);
        break;
    }
    emit_insn(b, &in);
}

/*
 * A deliberate exception in the middle of a sequence: the state must be
 * exactly that before the faulting instruction (registers written and
 * flags computed lazily by the instructions before it, in the same block).
 */
static void fam_fault(Ub *b)
{
    Gen *g = b->g;
    int kind = rnd(g, g->mode == 16 ? 3 : 6);
    Insn in;

    b->u->what = "fault";
    insn_init(&in, 4);
    switch (kind) {
    case 0: /* ud2 */
        insn_op(&in, 2, 0x0f, 0x0b, 0);
        b->u->may_fault |= 1u << VEC_UD;
        break;
    case 1: /* int3: a trap, rip after it */
        insn_op(&in, 1, 0xcc, 0, 0);
        b->u->may_fault |= 1u << VEC_BP;
        break;
    case 2: { /* div by a zero register */
        int reg = pick_reg(g, (1u << R_AX) | (1u << R_DX) | (1u << R_SP));

        ub_mov_imm(b, reg, 0);
        insn_op(&in, 1, 0xf7, 0, 0);
        in.modrm_reg = 6 + rnd(g, 2);
        in.rm_reg = reg;
        ub_read(b, R_AX);
        ub_read(b, R_DX);
        ub_fundef(b, FL_ARITH);
        b->u->may_fault |= 1u << VEC_DE;
        break;
    }
    default: { /* a load, store or read-modify-write that runs into the guard page after the buffer */
        int size = 1 << rnd(g, g->mode == 64 ? 4 : 3);
        uint64_t a = DIFF_DATA_BASE + DIFF_DATA_SIZE - (uint64_t)rnd(g, size);
        int reg = pick_reg(g, 1u << R_SP);

        insn_init(&in, size);
        ub_mov_imm(b, reg, a - 8);
        in.rm_mem = true;
        in.mem.base = reg;
        in.mem.index = -1;
        in.mem.disp = 8;
        in.mem.disp_size = 1;
        in.modrm_reg = kind == 3 ? 0 : 0;
        if (kind == 3) {
            insn_op(&in, 1, size == 1 ? 0x8a : 0x8b, 0, 0);    /* load into eax */
            in.reg_is_gpr = true;
            in.modrm_reg = R_AX;
        } else if (kind == 4) {
            insn_op(&in, 1, size == 1 ? 0x88 : 0x89, 0, 0);    /* store from ecx */
            in.reg_is_gpr = true;
            in.modrm_reg = R_CX;
            ub_read(b, R_CX);
        } else {
            insn_op(&in, 1, size == 1 ? 0x80 : 0x83, 0, 0);    /* add $1 */
            in.modrm_reg = 0;
            in.imm_size = 1;
            in.imm = 1;
        }
        b->u->may_fault |= 1u << VEC_PF;
        break;
    }
    }
    emit_insn(b, &in);
}

/*
 * Self-modifying code inside one unit: a store into the immediate of the
 * mov that follows it, which must then run with the new value (the JIT
 * has to notice that the block it is in changed).  64-bit code addresses
 * the immediate RIP-relatively; 32/16-bit code finds itself with call/pop.
 */
static void fam_smc(Ub *b)
{
    Gen *g = b->g;
    DiffUnit *u = b->u;
    int reg = pick_dst(g, g->mode == 16 ? (1u << R_BX) : 0), base = R_BX;
    uint32_t old_imm = (uint32_t)rnd_val(g, 4), new_imm = (uint32_t)rnd_val(g, 4);
    int width = g->mode == 16 ? 2 : 4;

    u->what = "smc";
    if (g->mode == 64) {
        /* movl $new, disp32(%rip), disp = (position of the next mov's imm) - (end of this store) */
        int store_len = 10, mov_len = 1 + (reg >= 8) + 4;

        ub_byte(b, 0xc7);
        ub_byte(b, 0x05);
        ub_imm(b, (uint64_t)(mov_len - 4), 4);
        ub_imm(b, new_imm, 4);
        (void)store_len;
        if (reg >= 8) {
            ub_byte(b, 0x41);
        }
        ub_byte(b, (uint8_t)(0xb8 + (reg & 7)));
        ub_imm(b, old_imm, 4);
        ub_def(b, reg);
        return;
    }
    /* call next; pop base; mov[lw] $new, cs:(imm - next)(base); mov $old, reg */
    if (g->mode == 16) {
        ub_byte(b, 0xe8);
        ub_imm(b, 0, 2);
        ub_byte(b, 0x5b);               /* pop %bx */
        {
            int at = u->len;            /* the pop's address = where the call returned */
            int store_len = 1 + 1 + 1 + 2 + 2, imm_off;

            /* cs: movw $new, disp16(%bx) (C7 87 disp16 imm16) */
            imm_off = (u->len + store_len) - (at - 1) + 1;   /* from the popped address to the mov's imm */
            ub_byte(b, 0x2e);
            ub_byte(b, 0xc7);
            ub_byte(b, 0x87);
            ub_imm(b, (uint64_t)imm_off, 2);
            ub_imm(b, new_imm & 0xffff, 2);
        }
        ub_byte(b, (uint8_t)(0xb8 + reg));
        ub_imm(b, old_imm & 0xffff, 2);
        u->push_bytes = 2;
        (void)width;
        return;
    }
    ub_byte(b, 0xe8);
    ub_imm(b, 0, 4);
    ub_byte(b, (uint8_t)(0x58 + base));
    {
        int popped_at = u->len - 1;     /* the call pushed the address of the pop */
        int store_len = 2 + 4 + 4;      /* C7 83 disp32 imm32 */
        int imm_off = (u->len + store_len + 1) - popped_at;

        ub_byte(b, 0xc7);
        ub_byte(b, (uint8_t)(0x80 + base));
        ub_imm(b, (uint64_t)imm_off, 4);
        ub_imm(b, new_imm, 4);
    }
    ub_def(b, base);
    ub_byte(b, (uint8_t)(0xb8 + reg));
    ub_imm(b, old_imm, 4);
    ub_def(b, reg);
    u->push_bytes = 4;
}

/* POPCNT and MOVBE (the JIT's CPUID reports both; so does the host's). */
static void fam_popcnt_movbe(Ub *b)
{
    Gen *g = b->g;
    int size = pick_size(g, false), reg;
    ByteMode bm = { false };
    Insn in;

    insn_init(&in, size);
    /* (16-bit code: QEMU 7.2, the oracle there, swaps the operand sizes of MOVBE) */
    if (g->mode == 16 || chance(g, 50)) {
        b->u->what = "popcnt";
        reg = pick_dst(g, 0);
        insn_op(&in, 2, 0x0f, 0xb8, 0);
        in.rep = 0xf3;      /* mandatory prefix: emitted before 0x66/REX */
        in.modrm_reg = reg;
        in.reg_is_gpr = true;
        gen_rm(b, &in, size, bm, false, true, 35, 0);
        opnd_write(b, reg, size);
        /* ZF = (source == 0); OF SF AF CF PF cleared (SDM POPCNT) */
        ub_fdef(b, FL_ARITH);
    } else {
        bool store = chance(g, 50);

        b->u->what = "movbe";
        reg = store ? pick_reg(g, 0) : pick_dst(g, 0);
        insn_op(&in, 3, 0x0f, 0x38, (uint8_t)(store ? 0xf1 : 0xf0));
        in.modrm_reg = reg;
        in.reg_is_gpr = true;
        if (store) {
            maybe_set(b, reg, size, 40);
            opnd_read(b, reg);
        }
        gen_mem(b, &in, size, 0, 0, 1u << reg, 0);
        in.seg = pick_seg(g, store);
        if (!store) {
            opnd_write(b, reg, size);
        }
    }
    emit_insn(b, &in);
}

typedef void (*FamilyFn)(Ub *b);
typedef struct Family {
    FamilyFn fn;
    int weight32, weight64;
} Family;

static const Family families[] = {
    { fam_alu, 22, 22 },
    { fam_test, 3, 3 },
    { fam_unary, 6, 6 },
    { fam_shift, 11, 11 },
    { fam_shiftd, 3, 3 },
    { fam_mul, 5, 5 },
    { fam_div, 4, 4 },
    { fam_bt, 4, 4 },
    { fam_bsf, 3, 3 },
    { fam_xchg, 5, 5 },
    { fam_cmpxchg8b, 1, 1 },
    { fam_setcc_cmov, 6, 6 },
    { fam_branch, 7, 7 },
    { fam_movx, 3, 3 },
    { fam_lea, 4, 4 },
    { fam_mov, 5, 5 },
    { fam_string, 6, 6 },
    { fam_bcd, 4, 0 },
    { fam_stack, 6, 6 },
    { fam_misc, 5, 5 },
    { fam_fault, 1, 1 },
    { fam_popcnt_movbe, 2, 2 },
    { fam_smc, 2, 2 },
};

static void unit_init(DiffUnit *u)
{
    memset(u, 0, sizeof(*u));
    u->rel_off = -1;
    u->riprel_off = -1;
}

static void build_unit(Gen *g, DiffUnit *u, FamilyFn fn)
{
    Ub b = { .g = g, .u = u };

    unit_init(u);
    fn(&b);
    ub_finish(&b);
}

/*
 * Families left out of 16-bit code: QEMU 7.2, its oracle, gets the flags
 * around CMPXCHG8B wrong (computed from a stale lazy state).
 */
static bool family_allowed(Gen *g, FamilyFn fn)
{
    return !(g->mode == 16 && fn == fam_cmpxchg8b);
}

static FamilyFn pick_family(Gen *g)
{
    int total = 0, r;

    for (size_t i = 0; i < G_N_ELEMENTS(families); i++) {
        total += g->mode == 64 ? families[i].weight64 : families[i].weight32;
    }
    r = rnd(g, total);
    for (size_t i = 0; i < G_N_ELEMENTS(families); i++) {
        r -= g->mode == 64 ? families[i].weight64 : families[i].weight32;
        if (r < 0) {
            return families[i].fn;
        }
    }
    return fam_alu;
}

/* ---------------------------------------------------------------- */
/* Sequences                                                         */

static void apply_unit(uint32_t *regs, uint32_t *flags, const DiffUnit *u)
{
    *regs = (*regs & ~(uint32_t)u->writes_full) | u->writes_undef;
    *flags = (*flags & ~(uint32_t)u->flags_def) | u->flags_undef;
}

static bool unit_valid(const DiffUnit *u, uint32_t regs, uint32_t flags)
{
    return !(u->reads & regs) && !(u->flags_read & flags);
}

/* Units that give undefined inputs of the next unit a value. */
static void fix_unit_reg(Gen *g, DiffUnit *u, int reg)
{
    Ub b = { .g = g, .u = u };

    unit_init(u);
    u->what = "fix";
    ub_mov_imm(&b, reg, rnd_val(g, g->mode == 64 ? 8 : 4));
    ub_finish(&b);
}

static void fix_unit_flags(Gen *g, DiffUnit *u, uint32_t avoid_regs)
{
    Ub b = { .g = g, .u = u };
    Insn in;
    int reg = pick_reg(g, avoid_regs);

    unit_init(u);
    u->what = "fix";
    insn_init(&in, g->mode == 64 && chance(g, 50) ? 8 : 4);
    insn_op(&in, 1, 0x81, 0, 0);
    in.modrm_reg = chance(g, 50) ? 7 : 0;   /* cmp or add */
    if (in.modrm_reg == 0 && reg == R_SP) {
        in.modrm_reg = 7;
    }
    in.rm_reg = reg;
    in.imm_size = 4;
    in.imm = rnd_val(g, 4);
    ub_read(&b, reg);
    if (in.modrm_reg == 0) {
        opnd_write(&b, reg, in.size);
    }
    ub_fdef(&b, FL_ARITH);
    emit_insn(&b, &in);
    ub_finish(&b);
}

static int case_bytes(const DiffCase *c, int from)
{
    int n = 0;

    for (int i = from; i < c->n_units; i++) {
        n += c->units[i].len;
    }
    return n;
}

/* Close pending branches whose range ends here: their taken path joins. */
static void close_pending(Gen *g, bool all)
{
    int k = 0;

    for (int i = 0; i < g->npend; i++) {
        Pending *p = &g->pend[i];

        if (all || p->remaining <= 0) {
            g->c->units[p->branch].skip = (uint8_t)(g->c->n_units - p->branch - 1);
            g->t_regs |= p->regs;
            g->t_flags |= p->flags;
        } else {
            g->pend[k++] = *p;
        }
    }
    g->npend = k;
}

static void append_unit(Gen *g, const DiffUnit *u)
{
    DiffCase *c = g->c;

    g_assert(c->n_units < DIFF_MAX_UNITS);
    c->units[c->n_units++] = *u;
    apply_unit(&g->t_regs, &g->t_flags, u);
    g->pushed += u->push_bytes;
    g->popped += u->pop_bytes;
    for (int i = 0; i < g->npend; i++) {
        g->pend[i].remaining--;
        g->pend[i].bytes += u->len;
    }
    close_pending(g, false);
    if (u->rel_off >= 0) {
        Pending *p = &g->pend[g->npend++];

        p->branch = c->n_units - 1;
        p->remaining = u->skip;
        p->bytes = 0;
        p->rel8 = u->rel_size == 1;
        p->regs = g->t_regs;
        p->flags = g->t_flags;
        if (u->what && !strcmp(u->what, "call")) {
            /* the return address pushed on the way is defined on both paths */
        }
    }
}

/*
 * Append fix units until u may run, then u.  (A fix unit may end the
 * range of a pending branch, whose join brings undefined values back:
 * hence the loop.)
 */
static void append_with_fixes(Gen *g, const DiffUnit *u)
{
    while (!unit_valid(u, g->t_regs, g->t_flags)) {
        DiffUnit f;
        uint32_t bad = u->reads & g->t_regs;

        if (bad) {
            fix_unit_reg(g, &f, __builtin_ctz(bad));
        } else {
            fix_unit_flags(g, &f, g->t_regs);
        }
        append_unit(g, &f);
    }
    append_unit(g, u);
}

void diff_random_state(DiffRng *r, int mode, DiffRegs *regs)
{
    memset(regs, 0, sizeof(*regs));
    for (int i = 0; i < DIFF_NREGS; i++) {
        regs->gpr[i] = rnd_val_rng(r, 8);
        if (mode != 64) {
            regs->gpr[i] = (uint32_t)regs->gpr[i];
        }
        if (i >= 8 && mode != 64) {
            regs->gpr[i] = 0;
        }
    }
    regs->gpr[R_SP] = mode == 16 ? DIFF16_SP_INIT : DIFF_STACK_INIT;
    regs->rflags = (diff_rng_next(r) & FL_ARITH) | (diff_rng_below(r, 4) == 0 ? FL_DF : 0) |
                   FL_USER_FIXED;
}

void diff_gen_case(uint64_t seed, uint64_t index, int mode, int max_units, DiffCase *c)
{
    Gen g = { .mode = mode, .c = c };
    int target, total;

    memset(c, 0, sizeof(*c));
    g.rng.s = diff_seed_mix(diff_seed_mix(seed, index), (uint64_t)mode);
    c->mode = mode;
    c->expect_vector = -1;
    snprintf(c->name, sizeof(c->name), "random-%d seed=%#" PRIx64 " index=%" PRIu64, mode, seed, index);
    diff_random_state(&g.rng, mode, &c->regs);
    c->mem_seed = diff_rng_next(&g.rng);
    c->compat32 = mode == 32 && chance(&g, 30);

    max_units = CLAMP(max_units, 1, DIFF_MAX_UNITS / 2);
    target = 1 + rnd(&g, max_units);
    for (int i = 0; i < target && c->n_units < DIFF_MAX_UNITS - 6; i++) {
        DiffUnit u;

        for (int tries = 0;; tries++) {
            FamilyFn fn = pick_family(&g);

            if (!family_allowed(&g, fn)) {
                continue;
            }
            build_unit(&g, &u, fn);
            if (g.pushed + u.push_bytes > stack_budget(mode) || g.popped + u.pop_bytes > stack_budget(mode)) {
                continue;
            }
            if (u.rel_off >= 0 && c->n_units + 1 + u.skip >= DIFF_MAX_UNITS - 6) {
                continue;
            }
            break;
        }
        /* a rel8 branch must still reach past the units it skips (and the fixes in front) */
        for (int k = 0; k < g.npend; k++) {
            if (g.pend[k].rel8 && g.pend[k].bytes + u.len + 10 * __builtin_popcount(u.reads) + 8 > 127) {
                g.pend[k].remaining = 0;
            }
        }
        close_pending(&g, false);
        append_with_fixes(&g, &u);
    }
    close_pending(&g, true);

    /* Place the code, sometimes across a page boundary (code spanning two pages). */
    total = case_bytes(c, 0) + 1;
    g_assert(total < DIFF_CODE_SIZE / 2);
    if (mode == 16) {
        c->entry = (uint64_t)rnd(&g, DIFF16_CODE_SIZE - total);
    } else if (chance(&g, 30) && total > 1) {
        c->entry = DIFF_CODE_BASE + 0x1000 * (uint64_t)(1 + rnd(&g, 2)) - 1 - rnd(&g, total - 1);
    } else {
        c->entry = DIFF_CODE_BASE + rnd(&g, DIFF_CODE_SIZE - total);
    }
    if (mode != 16 && c->entry < DIFF_CODE_BASE) {
        c->entry = DIFF_CODE_BASE;
    }
}

/* How many units of `order` after position k the branch at k skips. */
static int subset_skip(const DiffCase *c, const int *order, int n, int k)
{
    int limit = order[k] + 1 + c->units[order[k]].skip, s = 0;

    for (int j = k + 1; j < n && order[j] < limit; j++) {
        s++;
    }
    return s;
}

bool diff_layout(const DiffCase *c, const int *order, int n, uint8_t *code, DiffLayout *lay)
{
    uint64_t pc = c->entry;
    uint64_t base = c->mode == 16 ? 0 : DIFF_CODE_BASE, size = c->mode == 16 ? DIFF16_CODE_SIZE : DIFF_CODE_SIZE;

    memset(code, 0xcc, DIFF_CODE_SIZE);
    for (int k = 0; k < n; k++) {
        lay->start[k] = pc;
        pc += c->units[order[k]].len;
    }
    lay->start[n] = pc;
    lay->end = pc + 1;
    if (lay->end > base + size) {
        return false;
    }
    for (int k = 0; k < n; k++) {
        const DiffUnit *u = &c->units[order[k]];
        uint8_t *p = code + (lay->start[k] - base);

        memcpy(p, u->bytes, u->len);
        if (u->rel_off >= 0) {
            int64_t disp = (int64_t)(lay->start[k + 1 + subset_skip(c, order, n, k)] - lay->start[k + 1]);

            g_assert(u->rel_off + u->rel_size == u->len);
            if (u->rel_size == 1) {
                if (disp > 127) {
                    return false;
                }
                p[u->rel_off] = (uint8_t)disp;
            } else if (u->rel_size == 2) {
                p[u->rel_off] = (uint8_t)disp;
                p[u->rel_off + 1] = (uint8_t)(disp >> 8);
            } else {
                for (int i = 0; i < 4; i++) {
                    p[u->rel_off + i] = (uint8_t)(disp >> (8 * i));
                }
            }
        }
        if (u->riprel_off >= 0) {
            int64_t disp = (int64_t)(u->riprel_target - (lay->start[k] + u->riprel_end));

            g_assert(disp == (int32_t)disp);
            for (int i = 0; i < 4; i++) {
                p[u->riprel_off + i] = (uint8_t)(disp >> (8 * i));
            }
        }
    }
    return true;
}

bool diff_analyse(const DiffCase *c, const int *order, int n, DiffMask *end, DiffMask *before,
                  GString *why)
{
    uint32_t regs = 0, flags = 0;
    struct {
        int at;
        uint32_t regs, flags;
    } pend[DIFF_MAX_UNITS];
    int npend = 0, pushed = 0, popped = 0;

    if (c->raw) {
        if (end) {
            *end = c->raw_mask;
        }
        return true;
    }
    for (int k = 0; k <= n; k++) {
        for (int i = 0; i < npend; i++) {
            if (pend[i].at == k) {
                regs |= pend[i].regs;
                flags |= pend[i].flags;
            }
        }
        if (k == n) {
            break;
        }
        if (before) {
            before[k].undef_regs = regs;
            before[k].undef_flags = flags;
        }
        const DiffUnit *u = &c->units[order[k]];

        if (!unit_valid(u, regs, flags)) {
            if (why) {
                g_string_append_printf(why, "unit %d (%s) reads undefined regs %#x flags %#x", k,
                                       u->what ? u->what : "?", u->reads & regs, u->flags_read & flags);
            }
            return false;
        }
        pushed += u->push_bytes;
        popped += u->pop_bytes;
        if (pushed > stack_budget(c->mode) || popped > stack_budget(c->mode)) {
            if (why) {
                g_string_append(why, "stack budget exceeded");
            }
            return false;
        }
        apply_unit(&regs, &flags, u);
        if (u->rel_off >= 0) {
            pend[npend].at = k + 1 + subset_skip(c, order, n, k);
            pend[npend].regs = regs;
            pend[npend].flags = flags;
            npend++;
        }
    }
    if (end) {
        end->undef_regs = regs;
        end->undef_flags = flags;
    }
    return true;
}

uint32_t diff16_seed(uint64_t mem_seed)
{
    return (uint32_t)(mem_seed ^ (mem_seed >> 32)) | 1;
}

/* xorshift32, one byte per step: the real-mode harness (rom16.S) fills the data segment the same way. */
void diff16_fill(uint32_t x, uint8_t *p, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        p[i] = (uint8_t)x;
    }
}

/* Initial data and stack: random bytes, with runs of zeroes, ones and repeats (string ops stop on them). */
static void fill_memory(uint64_t seed, uint8_t *p, size_t len)
{
    DiffRng r = { seed };

    for (size_t i = 0; i < len; i += 8) {
        uint64_t v = diff_rng_next(&r);
        memcpy(p + i, &v, MIN(8, len - i));
    }
    for (size_t chunk = 0; chunk < len; chunk += 64) {
        switch (diff_rng_below(&r, 10)) {
        case 0: memset(p + chunk, 0, MIN(64, len - chunk)); break;
        case 1: memset(p + chunk, 0xff, MIN(64, len - chunk)); break;
        case 2: memset(p + chunk, (int)diff_rng_below(&r, 256), MIN(64, len - chunk)); break;
        default: break;
        }
    }
}

bool diff_case_input(const DiffCase *c, const int *order, int n, DiffInput *in, DiffLayout *lay)
{
    memset(in, 0, sizeof(*in));
    in->mode = c->mode;
    in->compat32 = c->compat32;
    in->entry = c->entry;
    in->regs = c->regs;
    in->regs.rip = c->entry;
    if (c->mode == 16) {
        uint8_t seg[DIFF16_DATA_SIZE + DIFF16_STACK_SIZE];

        in->seed16 = diff16_seed(c->mem_seed);
        diff16_fill(in->seed16, seg, sizeof(seg));
        memcpy(in->data, seg, DIFF16_DATA_SIZE);
        memcpy(in->stack, seg + DIFF16_DATA_SIZE, DIFF16_STACK_SIZE);
    } else {
        fill_memory(c->mem_seed, in->data, DIFF_DATA_SIZE);
        fill_memory(c->mem_seed ^ 0x5555, in->stack, DIFF_STACK_SIZE);
    }
    if (c->raw) {
        uint64_t base = c->mode == 16 ? 0 : DIFF_CODE_BASE, size = c->mode == 16 ? DIFF16_CODE_SIZE : DIFF_CODE_SIZE;

        if (c->entry + c->raw_len + 1 > base + size) {
            return false;
        }
        memset(in->code, 0xcc, DIFF_CODE_SIZE);
        memcpy(in->code + (c->entry - base), c->raw, c->raw_len);
        in->end = c->entry + c->raw_len + 1;
        if (lay) {
            lay->start[0] = c->entry;
            lay->end = in->end;
        }
        return true;
    }
    {
        DiffLayout local;
        DiffLayout *l = lay ? lay : &local;

        if (!diff_layout(c, order, n, in->code, l)) {
            return false;
        }
        in->end = l->end;
    }
    return true;
}
