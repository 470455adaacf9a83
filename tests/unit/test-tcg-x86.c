/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The x86 front end on hand-assembled snippets: real mode, 32-bit and
 * 64-bit code, lazy flags across blocks, exceptions with exact state,
 * self-modifying code, page faults, REP strings, port IO permission,
 * segment limits, task switches.
 * (Random instruction sequences against the host CPU are in tests/tcg.)
 */
#include <glib.h>

#include "hw/core/log.h"
#include "tests/tcg/x86-harness.h"

#define CODE 0x1000u

static Xtm *real_mode(const uint8_t *code, size_t len)
{
    Xtm *m = xtm_new();
    xtm_add_ram(m, 0, 0x100000, true);
    xtm_write(m, CODE, code, len);
    CPUX86State *env = m->env;
    x86_cpu_reset(env);
    env->segs[R_CS].selector = 0;
    env->segs[R_CS].base = 0;
    env->eip = CODE;
    env->regs[R_ESP] = 0x8000;
    return m;
}

static void test_real_mode_basic(void)
{
    static const uint8_t code[] = {
        0xb8, 0x34, 0x12,             /* mov ax, 0x1234 */
        0x05, 0x11, 0x11,             /* add ax, 0x1111 */
        0xa3, 0x00, 0x05,             /* mov [0x500], ax */
        0xb9, 0x05, 0x00,             /* mov cx, 5 */
        0x31, 0xdb,                   /* xor bx, bx */
        0x01, 0xcb,                   /* loop: add bx, cx */
        0xe2, 0xfc,                   /* loop loop */
        0x50,                         /* push ax */
        0x5a,                         /* pop dx */
        0xf4,                         /* hlt */
    };
    Xtm *m = real_mode(code, sizeof(code));
    g_assert_cmpint(xtm_run(m), ==, -1);
    CPUX86State *env = m->env;
    g_assert_cmphex(env->regs[R_EAX] & 0xffff, ==, 0x2345);
    g_assert_cmphex(env->regs[R_EBX] & 0xffff, ==, 15);
    g_assert_cmphex(env->regs[R_EDX] & 0xffff, ==, 0x2345);
    g_assert_cmphex(env->regs[R_ESP], ==, 0x8000);
    g_assert_cmphex(xtm_host(m, 0x500)[0], ==, 0x45);
    g_assert_cmphex(xtm_host(m, 0x501)[0], ==, 0x23);
    g_assert_true(env->tcg.halted);
    g_assert_cmphex(env->eip, ==, CODE + sizeof(code));
    xtm_free(m);
}

/* Real-mode far call/ret, segment loads, interrupts through the IVT and IRET. */
static void test_real_mode_int(void)
{
    static const uint8_t code[] = {
        0xb8, 0x00, 0x02,             /* mov ax, 0x200 */
        0x8e, 0xd8,                   /* mov ds, ax */
        0xc7, 0x06, 0x00, 0x00, 0x78, 0x56, /* mov word [0], 0x5678   (linear 0x2000) */
        0xcd, 0x21,                   /* int 0x21 */
        0x9a, 0x00, 0x00, 0x00, 0x03, /* call far 0x300:0 */
        0xf4,                         /* hlt */
    };
    static const uint8_t handler[] = {
        0xbb, 0x11, 0x11,             /* mov bx, 0x1111 */
        0xcf,                         /* iret */
    };
    static const uint8_t farfn[] = {
        0xb9, 0x22, 0x22,             /* mov cx, 0x2222 */
        0xcb,                         /* retf */
    };
    Xtm *m = real_mode(code, sizeof(code));
    /* IVT[0x21] = 0x0000:0x4000 */
    uint8_t ivt[4] = { 0x00, 0x40, 0x00, 0x00 };
    xtm_write(m, 0x21 * 4, ivt, 4);
    xtm_write(m, 0x4000, handler, sizeof(handler));
    xtm_write(m, 0x3000, farfn, sizeof(farfn));
    m->deliver = true;
    g_assert_cmpint(xtm_run(m), ==, -1);
    CPUX86State *env = m->env;
    g_assert_cmphex(env->regs[R_EBX] & 0xffff, ==, 0x1111);
    g_assert_cmphex(env->regs[R_ECX] & 0xffff, ==, 0x2222);
    g_assert_cmphex(xtm_host(m, 0x2000)[0], ==, 0x78);
    g_assert_cmphex(env->segs[R_DS].base, ==, 0x2000);
    g_assert_cmphex(env->regs[R_ESP], ==, 0x8000);
    xtm_free(m);
}

static Xtm *flat32(const uint8_t *code, size_t len, int cpl)
{
    Xtm *m = xtm_new();
    xtm_add_ram(m, 0, 0x100000, true);
    xtm_setup_flat32(m, cpl);
    xtm_write(m, CODE, code, len);
    m->env->eip = CODE;
    m->env->regs[R_ESP] = 0x80000;
    return m;
}

/* Flags computed lazily across blocks and instructions (jcc after cmp, adc chains, setcc, cmov). */
static void test_flat32_flags(void)
{
    static const uint8_t code[] = {
        0xb8, 0xff, 0xff, 0xff, 0xff, /* mov eax, -1 */
        0x83, 0xc0, 0x01,             /* add eax, 1        CF=1 ZF=1 */
        0x0f, 0x92, 0xc1,             /* setb cl */
        0x0f, 0x94, 0xc5,             /* setz ch */
        0xbb, 0x05, 0x00, 0x00, 0x00, /* mov ebx, 5 */
        0x83, 0xfb, 0x07,             /* cmp ebx, 7 */
        0x7c, 0x02,                   /* jl +2 */
        0xf4, 0xf4,                   /* hlt hlt (skipped) */
        0x19, 0xd2,                   /* sbb edx, edx      edx = -1 (CF from cmp 5<7) */
        0xbe, 0x01, 0x00, 0x00, 0x00, /* mov esi, 1 */
        0x0f, 0x4c, 0xfe,             /* cmovl edi, esi    (flags of sbb: CF=1 SF=1 OF=0 -> L) */
        0xf4,
    };
    Xtm *m = flat32(code, sizeof(code), 0);
    m->env->regs[R_EDI] = 0;
    g_assert_cmpint(xtm_run(m), ==, -1);
    CPUX86State *env = m->env;
    g_assert_cmphex(env->regs[R_EAX], ==, 0);
    g_assert_cmphex(env->regs[R_ECX] & 0xffff, ==, 0x0101);
    g_assert_cmphex(env->regs[R_EDX], ==, 0xffffffff);
    g_assert_cmphex(env->regs[R_EDI], ==, 1);
    g_assert_cmphex(env->eip, ==, CODE + sizeof(code));
    xtm_free(m);
}

/* #DE leaves the state of the faulting instruction (eip at the DIV, registers untouched). */
static void test_exception_precise(void)
{
    static const uint8_t code[] = {
        0xb8, 0x10, 0x00, 0x00, 0x00, /* mov eax, 0x10 */
        0x31, 0xd2,                   /* xor edx, edx */
        0x89, 0x05, 0x00, 0x20, 0x00, 0x00, /* mov [0x2000], eax */
        0x31, 0xc9,                   /* xor ecx, ecx */
        0x83, 0xc0, 0x05,             /* add eax, 5  (flags lazy: ADD) */
        0xf7, 0xf1,                   /* div ecx  -> #DE */
        0xf4,
    };
    Xtm *m = flat32(code, sizeof(code), 0);
    g_assert_cmpint(xtm_run(m), ==, EXCP00_DIVZ);
    CPUX86State *env = m->env;
    g_assert_cmphex(env->eip, ==, CODE + 18);
    g_assert_cmphex(env->regs[R_EAX], ==, 0x15);
    /* The flags of the ADD before the fault are intact. */
    g_assert_cmphex(x86_compute_eflags(env) & CC_ALL, ==, cc_compute_all(CC_OP_ADDL, 0x15, 5, 0));
    g_assert_cmphex(xtm_host(m, 0x2000)[0], ==, 0x10);
    xtm_free(m);

    /* #UD: 0F 0B, and a LOCK on a register form. */
    static const uint8_t ud[] = { 0x90, 0x0f, 0x0b };
    m = flat32(ud, sizeof(ud), 0);
    g_assert_cmpint(xtm_run(m), ==, EXCP06_ILLOP);
    g_assert_cmphex(m->env->eip, ==, CODE + 1);
    xtm_free(m);
    static const uint8_t lock[] = { 0xf0, 0x01, 0xc0 };
    m = flat32(lock, sizeof(lock), 0);
    g_assert_cmpint(xtm_run(m), ==, EXCP06_ILLOP);
    xtm_free(m);
}

/* A store that rewrites the very next instruction in the same block takes effect. */
static void test_self_modifying(void)
{
    static const uint8_t code[] = {
        0xc6, 0x05, 0x0f, 0x10, 0x00, 0x00, 0x42, /* mov byte [0x100f], 0x42  (the imm of the mov below) */
        0x90, 0x90, 0x90, 0x90, 0x90, 0x90, 0x90, /* nops */
        0xb0, 0x01,                   /* 0x100e: mov al, 1  -> becomes mov al, 0x42 */
        0xf4,
    };
    Xtm *m = flat32(code, sizeof(code), 0);
    g_assert_cmpint(xtm_run(m), ==, -1);
    g_assert_cmphex(m->env->regs[R_EAX] & 0xff, ==, 0x42);

    /* Run again after patching from outside (DMA-like write): the new code runs. */
    static const uint8_t patch[] = { 0xb0, 0x07 };
    xtm_write(m, 0x100e, patch, 2);
    m->env->eip = 0x100e;
    g_assert_cmpint(xtm_run(m), ==, -1);
    g_assert_cmphex(m->env->regs[R_EAX] & 0xff, ==, 0x07);
    xtm_free(m);
}

/* REP MOVSB/STOSD and REPE CMPSB, both directions. */
static void test_rep_strings(void)
{
    static const uint8_t code[] = {
        0xbe, 0x00, 0x20, 0x00, 0x00, /* mov esi, 0x2000 */
        0xbf, 0x00, 0x30, 0x00, 0x00, /* mov edi, 0x3000 */
        0xb9, 0x00, 0x11, 0x00, 0x00, /* mov ecx, 0x1100 (crosses a page) */
        0xf3, 0xa4,                   /* rep movsb */
        0xbf, 0x00, 0x50, 0x00, 0x00, /* mov edi, 0x5000 */
        0xb8, 0x78, 0x56, 0x34, 0x12, /* mov eax, 0x12345678 */
        0xb9, 0x03, 0x00, 0x00, 0x00, /* mov ecx, 3 */
        0xf3, 0xab,                   /* rep stosd */
        0xbe, 0x00, 0x20, 0x00, 0x00, /* mov esi, 0x2000 */
        0xbf, 0x00, 0x30, 0x00, 0x00, /* mov edi, 0x3000 */
        0xb9, 0x00, 0x02, 0x00, 0x00, /* mov ecx, 0x200 */
        0xf3, 0xa6,                   /* repe cmpsb  -> stops at the difference at 0x100 */
        0x0f, 0x94, 0xc3,             /* setz bl */
        0xfd,                         /* std */
        0xbe, 0x03, 0x20, 0x00, 0x00, /* mov esi, 0x2003 */
        0xbf, 0x03, 0x60, 0x00, 0x00, /* mov edi, 0x6003 */
        0xb9, 0x04, 0x00, 0x00, 0x00, /* mov ecx, 4 */
        0xf3, 0xa4,                   /* rep movsb backwards */
        0xfc,                         /* cld */
        0xf4,
    };
    Xtm *m = flat32(code, sizeof(code), 0);
    uint8_t src[0x1100];
    for (int i = 0; i < (int)sizeof(src); i++) {
        src[i] = (uint8_t)(i * 7 + 1);
    }
    xtm_write(m, 0x2000, src, sizeof(src));
    /* Make the compared copy differ at 0x100 after the copy runs: patch the source afterwards is
       impossible; instead compare against a region prepared to differ. */
    g_assert_cmpint(xtm_run(m), ==, -1);
    CPUX86State *env = m->env;
    g_assert_cmpmem(xtm_host(m, 0x3000), sizeof(src), src, sizeof(src));
    g_assert_cmphex(env->regs[R_ECX], ==, 0);
    uint32_t v;
    memcpy(&v, xtm_host(m, 0x5008), 4);
    g_assert_cmphex(v, ==, 0x12345678);
    /* Identical copies: REPE CMPSB ran to the end with ZF set. */
    g_assert_cmphex(env->regs[R_EBX] & 0xff, ==, 1);
    g_assert_cmpmem(xtm_host(m, 0x6000), 4, src, 4);
    g_assert_cmphex(env->regs[R_ESI], ==, 0x1fff);
    g_assert_cmphex(env->regs[R_EDI], ==, 0x5fff);
    xtm_free(m);
}

/* 64-bit code with paging: arithmetic, a page fault with CR2 and error code, RIP-relative. */
static void test_long_mode(void)
{
    static const uint8_t code[] = {
        0x48, 0xb8, 0x88, 0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11, /* mov rax, 0x1122334455667788 */
        0x48, 0x8d, 0x1d, 0xf0, 0x0f, 0x00, 0x00,                   /* lea rbx, [rip + 0xff0] */
        0x48, 0x89, 0x03,                                           /* mov [rbx], rax */
        0x48, 0xc1, 0xc8, 0x08,                                     /* ror rax, 8 */
        0x48, 0xc7, 0xc1, 0x00, 0x00, 0x40, 0x00,                   /* mov rcx, 0x400000 */
        0x48, 0x89, 0x01,                                           /* mov [rcx], rax -> #PF */
        0xf4,
    };
    Xtm *m = xtm_new();
    xtm_add_ram(m, 0, 0x100000, true);
    xtm_setup_long64(m, 0, 0x80000);
    xtm_write(m, CODE, code, sizeof(code));
    CPUX86State *env = m->env;
    env->eip = CODE;
    env->regs[R_ESP] = 0x70000;
    g_assert_cmpint(xtm_run(m), ==, EXCP0E_PAGE);
    g_assert_cmphex(env->eip, ==, CODE + 31);
    g_assert_cmphex(env->cr[2], ==, 0x400000);
    g_assert_cmphex(m->error_code, ==, 2);       /* write, not present, supervisor */
    g_assert_cmphex(env->regs[R_EAX], ==, 0x8811223344556677ull);
    g_assert_cmphex(env->regs[R_EBX], ==, CODE + 17 + 0xff0);
    uint64_t stored;
    memcpy(&stored, xtm_host(m, CODE + 17 + 0xff0), 8);
    g_assert_cmphex(stored, ==, 0x1122334455667788ull);
    xtm_free(m);
}

/* Port IO at CPL 3 is checked against IOPL and the TSS bitmap. */
static void test_io_permission(void)
{
    static const uint8_t code[] = {
        0xb0, 0x55,                   /* mov al, 0x55 */
        0xe6, 0x80,                   /* out 0x80, al   (allowed by the bitmap) */
        0xe6, 0x81,                   /* out 0x81, al   (denied) */
        0xf4,
    };
    Xtm *m = flat32(code, sizeof(code), 3);
    CPUX86State *env = m->env;
    /* A 32-bit TSS at 0x9000 whose I/O bitmap (at offset 0x68) allows only port 0x80. */
    uint8_t tss[0x68 + 0x2001];
    memset(tss, 0xff, sizeof(tss));
    memset(tss, 0, 0x68);
    tss[0x66] = 0x68;
    tss[0x67] = 0;
    tss[0x68 + 0x10] = 0xfe;        /* bit 0 of byte 0x10 = port 0x80 */
    xtm_write(m, 0x9000, tss, sizeof(tss));
    env->tr = (SegmentCache){ 0x28, sizeof(tss) - 1, 0x9000, DESC_P_MASK | (11u << DESC_TYPE_SHIFT) };
    g_assert_cmpint(xtm_run(m), ==, EXCP0D_GPF);
    g_assert_cmphex(env->eip, ==, CODE + 4);
    g_assert_cmpstr(m->io_log->str, ==, "out 80,1,55\n");
    xtm_free(m);
}

/*
 * Segment limits (SDM 5.3): data accesses past an expand-up limit or below
 * an expand-down one are #GP(0), stack accesses #SS(0), instructions
 * reaching past the CS limit #GP(0); the faulting instruction's state is
 * exact and REP strings stop at the last element inside.
 */
static void test_segment_limits(void)
{
    enum { DATA16 = XTM_DATA_FLAGS & ~(DESC_G_MASK) };
    CPUX86State *env;
    Xtm *m;

    /* Expand-up DS with limit 0x2fff: a dword at 0x2ffc is inside, one at 0x2ffd is not. */
    static const uint8_t up[] = {
        0xa1, 0xfc, 0x2f, 0x00, 0x00, /* mov eax, [0x2ffc] */
        0x8b, 0x1d, 0xfd, 0x2f, 0x00, 0x00, /* mov ebx, [0x2ffd]  -> #GP(0) */
        0xf4,
    };
    m = flat32(up, sizeof(up), 0);
    env = m->env;
    xtm_set_seg(env, R_DS, 0x10, 0, 0x2fff, DATA16);
    xtm_write(m, 0x2ffc, "\x11\x22\x33\x44", 4);
    env->regs[R_EBX] = 0xb0b0;
    g_assert_cmpint(xtm_run(m), ==, EXCP0D_GPF);
    g_assert_cmpint(m->error_code, ==, 0);
    g_assert_cmphex(env->eip, ==, CODE + 5);
    g_assert_cmphex(env->regs[R_EAX], ==, 0x44332211);
    g_assert_cmphex(env->regs[R_EBX], ==, 0xb0b0);
    xtm_free(m);

    /* Expand-down ES (32-bit) with limit 0x2fff: offsets from 0x3000 up are valid. */
    static const uint8_t down[] = {
        0x26, 0xa1, 0x00, 0x30, 0x00, 0x00, /* mov eax, es:[0x3000] */
        0x26, 0xa3, 0xfe, 0x2f, 0x00, 0x00, /* mov es:[0x2ffe], eax  -> #GP(0) */
        0xf4,
    };
    m = flat32(down, sizeof(down), 0);
    env = m->env;
    xtm_set_seg(env, R_ES, 0x10, 0, 0x2fff, DATA16 | DESC_E_MASK);
    g_assert_cmpint(xtm_run(m), ==, EXCP0D_GPF);
    g_assert_cmphex(env->eip, ==, CODE + 6);
    xtm_free(m);

    /* SS limit 0x7fff: a push reaching 0x8001 is #SS(0) with ESP unchanged; a later valid one works. */
    static const uint8_t stack[] = {
        0x50,                         /* push eax  -> #SS(0) */
        0xf4,
    };
    m = flat32(stack, sizeof(stack), 0);
    env = m->env;
    xtm_set_seg(env, R_SS, 0x10, 0, 0x7fff, DATA16);
    env->regs[R_ESP] = 0x8002;
    g_assert_cmpint(xtm_run(m), ==, EXCP0C_STACK);
    g_assert_cmpint(m->error_code, ==, 0);
    g_assert_cmphex(env->eip, ==, CODE);
    g_assert_cmphex(env->regs[R_ESP], ==, 0x8002);
    env->regs[R_ESP] = 0x8000;
    g_assert_cmpint(xtm_run(m), ==, -1);
    g_assert_cmphex(env->regs[R_ESP], ==, 0x7ffc);
    xtm_free(m);

    /* CS limit CODE + 6: the 5-byte mov at CODE + 5 reaches past it. */
    static const uint8_t cs[] = {
        0xb8, 0x01, 0x00, 0x00, 0x00, /* mov eax, 1 */
        0xbb, 0x02, 0x00, 0x00, 0x00, /* mov ebx, 2  -> #GP(0) */
        0xf4,
    };
    m = flat32(cs, sizeof(cs), 0);
    env = m->env;
    xtm_set_seg(env, R_CS, 0x08, 0, CODE + 6, (XTM_CODE_FLAGS & ~DESC_G_MASK) | DESC_B_MASK);
    g_assert_cmpint(xtm_run(m), ==, EXCP0D_GPF);
    g_assert_cmphex(env->eip, ==, CODE + 5);
    g_assert_cmphex(env->regs[R_EAX], ==, 1);
    /* The same code with a larger limit runs through (blocks are keyed by the CS limit). */
    xtm_set_seg(env, R_CS, 0x08, 0, 0xfffff, (XTM_CODE_FLAGS & ~DESC_G_MASK) | DESC_B_MASK);
    env->eip = CODE;
    g_assert_cmpint(xtm_run(m), ==, -1);
    g_assert_cmphex(env->regs[R_EBX], ==, 2);
    xtm_free(m);

    /* REP STOSB into ES limit 0x30ff: stops with #GP(0) at the first byte past it, counts exact. */
    static const uint8_t rep[] = {
        0xbf, 0x00, 0x30, 0x00, 0x00, /* mov edi, 0x3000 */
        0xb9, 0x00, 0x02, 0x00, 0x00, /* mov ecx, 0x200 */
        0xb0, 0x5a,                   /* mov al, 0x5a */
        0xf3, 0xaa,                   /* rep stosb  -> #GP(0) at edi 0x3100 */
        0xf4,
    };
    m = flat32(rep, sizeof(rep), 0);
    env = m->env;
    xtm_set_seg(env, R_ES, 0x10, 0, 0x30ff, DATA16);
    g_assert_cmpint(xtm_run(m), ==, EXCP0D_GPF);
    g_assert_cmphex(env->eip, ==, CODE + 12);
    g_assert_cmphex(env->regs[R_EDI], ==, 0x3100);
    g_assert_cmphex(env->regs[R_ECX], ==, 0x100);
    g_assert_cmphex(xtm_host(m, 0x30ff)[0], ==, 0x5a);
    g_assert_cmphex(xtm_host(m, 0x3100)[0], ==, 0);
    xtm_free(m);

    /* A flat 4 GiB segment: a word at offset 0xffffffff wraps past the limit (#GP); a byte is fine. */
    static const uint8_t wrap[] = {
        0xbb, 0xff, 0xff, 0xff, 0xff, /* mov ebx, 0xffffffff */
        0x66, 0x8b, 0x03,             /* mov ax, [ebx]  -> #GP(0) */
        0xf4,
    };
    m = flat32(wrap, sizeof(wrap), 0);
    env = m->env;
    g_assert_cmpint(xtm_run(m), ==, EXCP0D_GPF);
    g_assert_cmphex(env->eip, ==, CODE + 5);
    xtm_free(m);

    /* Real mode: a word at offset 0xffff is past the 64 KiB limit (#GP); a byte there is fine. */
    static const uint8_t real[] = {
        0xa0, 0xff, 0xff,             /* mov al, [0xffff] */
        0xa1, 0xff, 0xff,             /* mov ax, [0xffff]  -> #GP(0) */
        0xf4,
    };
    m = real_mode(real, sizeof(real));
    env = m->env;
    g_assert_cmpint(xtm_run(m), ==, EXCP0D_GPF);
    g_assert_cmphex(env->eip, ==, CODE + 3);
    xtm_free(m);
}

/*
 * Hardware task switches: CALL to a TSS (nested, back link, busy bits),
 * IRET with NT back to the caller, an INT through a task gate in the IDT.
 */
static void test_task_switch(void)
{
    static const uint8_t task1[] = {
        0xb8, 0x11, 0x11, 0x11, 0x11,             /* mov eax, 0x11111111 */
        0x9a, 0x00, 0x00, 0x00, 0x00, 0x20, 0x00, /* call 0x20:0  (TSS 2) */
        0xbb, 0x55, 0x55, 0x55, 0x55,             /* mov ebx, 0x55555555 */
        0xcd, 0x40,                               /* int 0x40  (task gate to TSS 2) */
        0xf4,                                     /* hlt */
    };
    static const uint8_t task2[] = {
        0xb9, 0x33, 0x33, 0x33, 0x33,             /* mov ecx, 0x33333333 */
        0xcf,                                     /* iret  (NT: back to task 1) */
        0xba, 0x44, 0x44, 0x44, 0x44,             /* mov edx, 0x44444444 */
        0xcf,                                     /* iret */
    };
    static const uint32_t gdt[] = {
        0, 0,
        0x0000ffff, 0x00cf9a00,                   /* 0x08 code */
        0x0000ffff, 0x00cf9200,                   /* 0x10 data */
        0x80000067, 0x00008b00,                   /* 0x18 TSS 1 at 0x8000, busy (running) */
        0x81000067, 0x00008900,                   /* 0x20 TSS 2 at 0x8100, available */
    };
    static const uint32_t idt_gate[] = { 0x00200000, 0x0000e500 };   /* task gate to 0x20 */
    uint32_t tss2[26] = { 0 };

    Xtm *m = flat32(task1, sizeof(task1), 0);
    CPUX86State *env = m->env;
    m->deliver = true;
    xtm_write(m, 0x1100, task2, sizeof(task2));
    xtm_write(m, 0x7000, gdt, sizeof(gdt));
    xtm_write(m, 0x7800 + 0x40 * 8, idt_gate, sizeof(idt_gate));
    tss2[0x20 / 4] = 0x1100;                      /* eip */
    tss2[0x24 / 4] = 0x2;                         /* eflags */
    tss2[0x28 / 4] = 0xa2;                        /* eax */
    tss2[0x34 / 4] = 0x2222;                      /* ebx */
    tss2[0x38 / 4] = 0x9000;                      /* esp */
    tss2[0x48 / 4] = 0x10;                        /* es */
    tss2[0x4c / 4] = 0x08;                        /* cs */
    tss2[0x50 / 4] = 0x10;                        /* ss */
    tss2[0x54 / 4] = 0x10;                        /* ds */
    xtm_write(m, 0x8100, tss2, sizeof(tss2));
    env->gdt = (SegmentCache){ 0, sizeof(gdt) - 1, 0x7000, 0 };
    env->idt = (SegmentCache){ 0, 0x40 * 8 + 7, 0x7800, 0 };
    env->tr = (SegmentCache){ 0x18, 0x67, 0x8000, DESC_P_MASK | (11u << DESC_TYPE_SHIFT) };
    env->regs[R_ECX] = 0xc1;
    env->regs[R_EDX] = 0xd1;

    g_assert_cmpint(xtm_run(m), ==, -1);
    g_assert_true(env->tcg.halted);
    g_assert_cmphex(env->eip, ==, CODE + sizeof(task1));
    g_assert_cmphex(env->tr.selector, ==, 0x18);
    /* Task 1's registers came back from its TSS; task 2's are saved in its own. */
    g_assert_cmphex(env->regs[R_EAX], ==, 0x11111111);
    g_assert_cmphex(env->regs[R_EBX], ==, 0x55555555);
    g_assert_cmphex(env->regs[R_ECX], ==, 0xc1);
    g_assert_cmphex(env->regs[R_EDX], ==, 0xd1);
    g_assert_cmphex(env->regs[R_ESP], ==, 0x80000);
    uint32_t v;
    memcpy(&v, xtm_host(m, 0x8100 + 0x2c), 4);
    g_assert_cmphex(v, ==, 0x33333333);
    memcpy(&v, xtm_host(m, 0x8100 + 0x30), 4);
    g_assert_cmphex(v, ==, 0x44444444);
    memcpy(&v, xtm_host(m, 0x8100 + 0x20), 4);
    g_assert_cmphex(v, ==, 0x1100 + sizeof(task2));
    /* The back link, busy bits, CR0.TS, and NT clear in the outer task. */
    g_assert_cmphex(xtm_host(m, 0x8100)[0], ==, 0x18);
    g_assert_cmphex(xtm_host(m, 0x7018 + 5)[0], ==, 0x8b);
    g_assert_cmphex(xtm_host(m, 0x7020 + 5)[0], ==, 0x89);
    g_assert_true(env->cr[0] & CR0_TS);
    g_assert_false(env->eflags & NT_MASK);
    xtm_free(m);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    /* IOEMU_LOG=in_asm,op,out_asm: the -d log of every block, for debugging a failure. */
    char *log_err = NULL;
    if (!log_apply_env(&log_err)) {
        g_printerr("IOEMU_LOG: %s\n", log_err);
        g_free(log_err);
    }
    g_test_add_func("/tcg/x86/real-mode/basic", test_real_mode_basic);
    g_test_add_func("/tcg/x86/real-mode/int", test_real_mode_int);
    g_test_add_func("/tcg/x86/flat32/flags", test_flat32_flags);
    g_test_add_func("/tcg/x86/exception-precise", test_exception_precise);
    g_test_add_func("/tcg/x86/self-modifying", test_self_modifying);
    g_test_add_func("/tcg/x86/rep-strings", test_rep_strings);
    g_test_add_func("/tcg/x86/long-mode", test_long_mode);
    g_test_add_func("/tcg/x86/io-permission", test_io_permission);
    g_test_add_func("/tcg/x86/segment-limits", test_segment_limits);
    g_test_add_func("/tcg/x86/task-switch", test_task_switch);
    return g_test_run();
}
