/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The JIT side of the differential tester: runs a case in ioemu's x86
 * JIT (target/i386 + tcg/) in a user-like machine that mirrors what the
 * host gives the snippet:
 *
 *  - a fresh AddressSpace with RAM at the code, data and stack addresses
 *    (identity-mapped, user pages; data and stack not executable, as the
 *    host maps them) and a supervisor-only system region holding the GDT,
 *    a TSS without I/O bitmap and the page tables;
 *  - CPL 3 with Linux's user selectors and descriptors (CS 0x23 or 0x33,
 *    data 0x2b, FS null), IOPL 0, IF set;
 *  - 64-bit code in long mode; 32-bit code in legacy protected mode with
 *    PAE paging or in compatibility mode (DiffInput.compat32).
 *
 * Exceptions are not delivered: the target's do_interrupt is replaced by
 * one that records vector, error code and state and stops the CPU.  The
 * int3 at the end of the snippet is such an exception too.
 *
 * The JIT runs in a forked child, so a crash or hang of the translator
 * becomes a result ("error", "timeout") with a reproducer instead of the
 * end of the campaign.  Built for real only when target/i386 is part of
 * the library (DIFF_HAVE_JIT, set by Makefile.inc).
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "hw/core/device.h"
#include "tests/tcg/diff.h"

#ifndef DIFF_HAVE_JIT

JitRunner *jit_runner_new(GError **err)
{
    g_set_error(err, IOEMU_ERROR, 0, "target/i386 is not built: no x86 translator to compare with");
    return NULL;
}

void jit_runner_free(JitRunner *r)
{
}

bool jit_run(JitRunner *r, const DiffInput *in, DiffResult *out, GError **err)
{
    g_set_error(err, IOEMU_ERROR, 0, "no JIT");
    return false;
}

bool jit_run_rom16(JitRunner *r, const uint8_t *rom, uint8_t **con, size_t *con_len, GError **err)
{
    g_set_error(err, IOEMU_ERROR, 0, "no JIT");
    return false;
}

#else

#include "hw/core/memory.h"
#include "target/i386/cpu.h"
#include "tcg/exec.h"
#include "tests/tcg/qemu16.h"

/* The system region: linear = physical, supervisor only. */
#define SYS_BASE    0x00100000ull
#define SYS_SIZE    0x10000
#define SYS_GDT     (SYS_BASE + 0x0000)
#define SYS_TSS     (SYS_BASE + 0x0800)
#define SYS_PDPT    (SYS_BASE + 0x1000)   /* PAE: 4 entries */
#define SYS_PML4    (SYS_BASE + 0x2000)
#define SYS_PDPT64  (SYS_BASE + 0x3000)
#define SYS_PD      (SYS_BASE + 0x4000)   /* the first GiB */
#define SYS_PT_SYS  (SYS_BASE + 0x5000)   /* 0x00000000-0x001fffff */
#define SYS_PT_CD   (SYS_BASE + 0x6000)   /* 0x10000000-0x101fffff: code, data */
#define SYS_PT_ST   (SYS_BASE + 0x7000)   /* 0x10200000-0x103fffff: stack */
#define SYS_IDT     (SYS_BASE + 0x8000)   /* 256 gates (16 bytes in long mode, 8 in legacy mode) */
#define SYS_STACK0  (SYS_BASE + 0xf000)   /* top of the CPL 0 stack in the TSS */
/* Where the IDT gates point: not mapped, so a delivery that should not happen shows as a #PF there. */
#define HANDLER     0x00200000ull

#define GDT_ENTRIES 16

#define PTE_P  (1ull << 0)
#define PTE_RW (1ull << 1)
#define PTE_US (1ull << 2)
#define PTE_A  (1ull << 5)
#define PTE_D  (1ull << 6)
#define PTE_NX (1ull << 63)

#define JIT_TIMEOUT_MS 5000
#define JIT_CODE_BUFFER (32u << 20)

/* Debug-console bytes a real-mode image may write (records of rom16.S, with room to spare). */
#define CON_MAX (2u << 20)

typedef struct JitShared {
    DiffInput in;
    DiffResult out;
    uint8_t rom[ROM16_SIZE];
    volatile uint32_t con_len;      /* written as the image runs: valid after a kill too */
    uint8_t con[CON_MAX];
} JitShared;

struct JitRunner {
    pid_t pid;
    int cmd_fd, res_fd;
    JitShared *shared;
};

/* ---- the machine, inside the child ---- */

typedef struct JitMachine {
    CPUX86State env;
    TCGTargetOps ops;
    X86Accel accel;
    AddressSpace *as;
    uint8_t *code, *data, *stack, *sys;
    TCGEngine *engine;
    /* Real-mode images (jit_run_rom16): RAM below 1 MiB, the image at 0xf0000 and below 4 GiB. */
    bool real_mode;
    uint8_t *bios;
    JitShared *shared;
    /* What stopped the CPU. */
    bool delivering;            /* inside the JIT's delivery of a software interrupt */
    bool stopped;
    int vector;
    uint32_t error_code;
    uint64_t rip;
    uint64_t cr2;
} JitMachine;

static JitMachine *machine_of(TCGCPU *cpu)
{
    return (JitMachine *)((char *)cpu - offsetof(JitMachine, env) - offsetof(CPUX86State, tcg));
}

static void *acc_phys_host_page(void *opaque, uint64_t phys_page, bool *writable)
{
    JitMachine *m = opaque;
    void *p = as_host_ptr(m->as, phys_page, TCG_PAGE_SIZE, true);

    *writable = p != NULL;
    if (!p) {
        p = as_host_ptr(m->as, phys_page, TCG_PAGE_SIZE, false);    /* ROM */
    }
    return p;
}

static uint64_t acc_mem_read(void *opaque, uint64_t phys, unsigned size)
{
    JitMachine *m = opaque;
    uint64_t v = ~0ull;

    as_read(m->as, phys, size, &v);
    return v;
}

static void acc_mem_write(void *opaque, uint64_t phys, unsigned size, uint64_t val)
{
    JitMachine *m = opaque;

    as_write(m->as, phys, size, val);
}

static uint64_t acc_io_read(void *opaque, uint16_t port, unsigned size)
{
    return ~0ull;
}

/* Real-mode images: the debug console (0xe9) and isa-debug-exit (0xf4), as on QEMU's pc. */
static void acc_io_write(void *opaque, uint16_t port, unsigned size, uint64_t val)
{
    JitMachine *m = opaque;

    if (!m->real_mode) {
        return;
    }
    if (port == 0xe9) {
        for (unsigned i = 0; i < size && m->shared->con_len < CON_MAX; i++) {
            m->shared->con[m->shared->con_len] = (uint8_t)(val >> (8 * i));
            m->shared->con_len = m->shared->con_len + 1;
        }
    } else if (port == 0xf4) {
        m->env.tcg.stop = true;
    }
}

static int acc_intack(void *opaque)
{
    return -1;
}

static uint64_t acc_tsc_ns(void *opaque)
{
    return 0;
}

static void acc_shutdown(void *opaque, bool reset)
{
}

static const X86AccelOps jit_accel_ops = {
    .phys_host_page = acc_phys_host_page,
    .mem_read = acc_mem_read,
    .mem_write = acc_mem_write,
    .io_read = acc_io_read,
    .io_write = acc_io_write,
    .intack = acc_intack,
    .tsc_ns = acc_tsc_ns,
    .shutdown = acc_shutdown,
};

/*
 * Instead of delivering an exception: note it and stop.  Software
 * interrupts through a DPL 0 gate (INT n other than INT3/INTO, as in
 * Linux's IDT) go to the JIT's own delivery, whose privilege check must
 * turn them into #GP(vector * 8 + 2), which comes back here.
 */
static void jit_do_interrupt(TCGCPU *cpu)
{
    JitMachine *m = machine_of(cpu);
    CPUX86State *env = &m->env;

    if (env->exception_is_int && cpu->exception_index != VEC_BP && cpu->exception_index != VEC_OF &&
        !m->delivering) {
        m->delivering = true;
        x86_do_interrupt(cpu);
        m->delivering = false;
        /* Delivered after all: the CPU runs at HANDLER (unmapped) and faults there, or halts. */
        return;
    }
    m->delivering = false;
    m->stopped = true;
    m->vector = cpu->exception_index;
    m->error_code = (uint32_t)env->error_code;
    m->rip = env->exception_is_int ? env->exception_next_eip : env->eip;
    m->cr2 = env->cr[2];
    env->exception_is_int = false;
    env->old_exception = -1;
    cpu->stop = true;
}

static bool jit_exec_interrupt(TCGCPU *cpu)
{
    return false;
}

static uint8_t *map_ram(JitMachine *m, const char *name, uint64_t addr, uint64_t size)
{
    MemoryRegion *mr = mr_new_ram(name, size, NULL);

    mr_add_subregion(as_root(m->as), addr, mr, 0);
    return mr_host_ptr(mr);
}

static JitMachine *machine_new(bool real_mode, JitShared *shared, GError **err)
{
    JitMachine *m = g_new0(JitMachine, 1);

    m->real_mode = real_mode;
    m->shared = shared;
    m->as = as_new("tcg-diff", 1ull << 36);
    if (real_mode) {
        MemoryRegion *low = mr_new_rom("bios", ROM16_SIZE, NULL);

        map_ram(m, "ram", 0, 0xf0000);
        m->bios = mr_host_ptr(low);
        mr_add_subregion(as_root(m->as), 0xf0000, low, 0);
        mr_add_subregion(as_root(m->as), 0x100000000ull - ROM16_SIZE, mr_new_rom("bios-high", ROM16_SIZE, m->bios),
                         0);
    } else {
        m->code = map_ram(m, "code", DIFF_CODE_BASE, DIFF_CODE_SIZE);
        m->data = map_ram(m, "data", DIFF_DATA_BASE, DIFF_DATA_SIZE);
        m->stack = map_ram(m, "stack", DIFF_STACK_BASE, DIFF_STACK_SIZE);
        m->sys = map_ram(m, "sys", SYS_BASE, SYS_SIZE);
    }
    m->engine = tcg_engine_new(JIT_CODE_BUFFER, err);
    if (!m->engine) {
        g_free(m);
        return NULL;
    }
    x86_cpu_init(&m->env);
    m->accel.ops = &jit_accel_ops;
    m->accel.opaque = m;
    m->env.accel = &m->accel;
    m->ops = x86_tcg_ops;
    if (!real_mode) {
        /* Real-mode images take their exceptions through the IVT, like the hardware. */
        m->ops.do_interrupt = jit_do_interrupt;
    }
    m->ops.exec_interrupt = jit_exec_interrupt;
    m->env.tcg.ops = &m->ops;
    tcg_engine_add_cpu(m->engine, &m->env.tcg);
    x86_tcg_init_globals(tcg_engine_ctx(m->engine));
    return m;
}

static void put64(JitMachine *m, uint64_t phys, uint64_t v)
{
    memcpy(m->sys + (phys - SYS_BASE), &v, 8);
}

/* A GDT descriptor (SDM vol. 3A, 3.4.5) from base, limit (20 bits) and the attribute dword bits. */
static uint64_t descriptor(uint32_t base, uint32_t limit20, uint32_t attrs)
{
    uint32_t lo = (limit20 & 0xffff) | (base << 16);
    uint32_t hi = ((base >> 16) & 0xff) | (attrs & 0x00f0ff00) | (limit20 & 0xf0000) | (base & 0xff000000);

    return (uint64_t)hi << 32 | lo;
}

#define ATTR_CODE (DESC_P_MASK | DESC_S_MASK | DESC_CS_MASK | DESC_R_MASK | DESC_A_MASK | DESC_G_MASK)
#define ATTR_DATA (DESC_P_MASK | DESC_S_MASK | DESC_W_MASK | DESC_A_MASK | DESC_G_MASK | DESC_B_MASK)
#define ATTR_DPL3 (3u << DESC_DPL_SHIFT)

/*
 * The system region: Linux's x86-64 GDT layout (kernel 32/64-bit code,
 * kernel data, user 32-bit code 0x23, user data 0x2b, user 64-bit code
 * 0x33, TSS at 0x40), a TSS whose I/O map base lies beyond its limit (so
 * every port is denied at CPL 3), and page tables that map exactly the
 * pages the host maps.
 */
static void build_sys(JitMachine *m, bool long_mode)
{
    uint64_t user = PTE_P | PTE_RW | PTE_US | PTE_A | PTE_D;
    uint64_t table = PTE_P | PTE_RW | PTE_US | PTE_A;

    memset(m->sys, 0, SYS_SIZE);
    put64(m, SYS_GDT + 1 * 8, descriptor(0, 0xfffff, ATTR_CODE | DESC_B_MASK));
    put64(m, SYS_GDT + 2 * 8, descriptor(0, 0xfffff, ATTR_CODE | DESC_L_MASK));
    put64(m, SYS_GDT + 3 * 8, descriptor(0, 0xfffff, ATTR_DATA));
    put64(m, SYS_GDT + 4 * 8, descriptor(0, 0xfffff, ATTR_CODE | DESC_B_MASK | ATTR_DPL3));
    put64(m, SYS_GDT + 5 * 8, descriptor(0, 0xfffff, ATTR_DATA | ATTR_DPL3));
    put64(m, SYS_GDT + 6 * 8, descriptor(0, 0xfffff, ATTR_CODE | DESC_L_MASK | ATTR_DPL3));
    put64(m, SYS_GDT + 8 * 8, descriptor((uint32_t)SYS_TSS, 0x67, DESC_P_MASK | (11u << DESC_TYPE_SHIFT)));
    /* I/O map base (offset 0x66) beyond the limit: no bitmap. */
    m->sys[SYS_TSS - SYS_BASE + 0x66] = 0x68;
    /* The CPL 0 stack: RSP0 (64-bit TSS) or ESP0/SS0 (32-bit TSS) at offset 4. */
    if (long_mode) {
        put64(m, SYS_TSS + 4, SYS_STACK0);
    } else {
        put64(m, SYS_TSS + 4, SYS_STACK0 | (uint64_t)0x18 << 32);
    }
    /* Interrupt gates to kernel CS (SDM 6.11, 6.14.1); DPL 3 only for #BP and #OF, as Linux. */
    for (int v = 0; v < 256; v++) {
        uint32_t dpl = (v == VEC_BP || v == VEC_OF) ? 3 : 0;
        uint32_t attr = DESC_P_MASK | (dpl << DESC_DPL_SHIFT) | (14u << DESC_TYPE_SHIFT);
        uint64_t lo = (HANDLER & 0xffff) | ((uint64_t)(long_mode ? 0x10 : 0x08) << 16) |
                      (uint64_t)((HANDLER & 0xffff0000u) | attr) << 32;

        if (long_mode) {
            put64(m, SYS_IDT + 16 * v, lo);
            put64(m, SYS_IDT + 16 * v + 8, HANDLER >> 32);
        } else {
            put64(m, SYS_IDT + 8 * v, lo);
        }
    }

    /* PAE (legacy) PDPT: only P may be set in a PDPTE (SDM 4.4.1). */
    put64(m, SYS_PDPT, SYS_PD | PTE_P);
    /* 4-level. */
    put64(m, SYS_PML4, SYS_PDPT64 | table);
    put64(m, SYS_PDPT64, SYS_PD | table);
    /* Shared page directory and tables. */
    put64(m, SYS_PD + 8 * (SYS_BASE >> 21), SYS_PT_SYS | table);
    put64(m, SYS_PD + 8 * (DIFF_CODE_BASE >> 21), SYS_PT_CD | table);
    put64(m, SYS_PD + 8 * (DIFF_STACK_BASE >> 21), SYS_PT_ST | table);
    for (uint64_t a = SYS_BASE; a < SYS_BASE + SYS_SIZE; a += TCG_PAGE_SIZE) {
        put64(m, SYS_PT_SYS + 8 * ((a >> 12) & 511), a | PTE_P | PTE_RW | PTE_A | PTE_D | PTE_NX);
    }
    for (uint64_t a = DIFF_CODE_BASE; a < DIFF_CODE_BASE + DIFF_CODE_SIZE; a += TCG_PAGE_SIZE) {
        put64(m, SYS_PT_CD + 8 * ((a >> 12) & 511), a | user);
    }
    for (uint64_t a = DIFF_DATA_BASE; a < DIFF_DATA_BASE + DIFF_DATA_SIZE; a += TCG_PAGE_SIZE) {
        put64(m, SYS_PT_CD + 8 * ((a >> 12) & 511), a | user | PTE_NX);
    }
    for (uint64_t a = DIFF_STACK_BASE; a < DIFF_STACK_BASE + DIFF_STACK_SIZE; a += TCG_PAGE_SIZE) {
        put64(m, SYS_PT_ST + 8 * ((a >> 12) & 511), a | user | PTE_NX);
    }
}

static void setup_cpu(JitMachine *m, const DiffInput *in)
{
    CPUX86State *env = &m->env;
    bool long_mode = in->mode == 64 || in->compat32;
    uint32_t cs_attr = ATTR_CODE | ATTR_DPL3 | (in->mode == 64 ? DESC_L_MASK : DESC_B_MASK);

    x86_cpu_reset(env);
    env->tcg.stop = false;
    env->tcg.halted = false;
    env->tcg.exception_index = -1;

    x86_set_cr4(env, CR4_PAE);
    x86_set_efer(env, (long_mode ? EFER_LME : 0) | EFER_NXE);
    x86_set_cr3(env, long_mode ? SYS_PML4 : SYS_PDPT);
    x86_set_cr0(env, CR0_PE | CR0_PG | CR0_ET | CR0_NE | CR0_WP | CR0_AM | CR0_MP);
    env->gdt = (SegmentCache){ 0, GDT_ENTRIES * 8 - 1, SYS_GDT, 0 };
    env->idt = (SegmentCache){ 0, long_mode ? 256 * 16 - 1 : 256 * 8 - 1, SYS_IDT, 0 };
    env->tr = (SegmentCache){ 0x40, 0x67, SYS_TSS, DESC_P_MASK | (11u << DESC_TYPE_SHIFT) };
    env->ldt = (SegmentCache){ 0, 0, 0, 0 };

    x86_load_seg_cache(env, R_CS, in->mode == 64 ? DIFF_SEL_CS64 : DIFF_SEL_CS32, 0, 0xffffffff,
                       cs_attr | 0xf0000);
    for (int s = 0; s < 6; s++) {
        if (s == R_CS) {
            continue;
        }
        if (s == R_FS) {
            x86_load_seg_cache(env, s, 0, 0, 0, 0);
        } else {
            x86_load_seg_cache(env, s, DIFF_SEL_DS, 0, 0xffffffff, ATTR_DATA | ATTR_DPL3 | 0xf0000);
        }
    }
    for (int i = 0; i < 16; i++) {
        env->regs[i] = in->mode == 64 ? in->regs.gpr[i] : (i < 8 ? (uint32_t)in->regs.gpr[i] : 0);
    }
    env->eip = in->entry;
    x86_load_eflags(env, (uint32_t)(in->regs.rflags & FL_COMPARED) | FL_USER_FIXED, 0xffffffffu);
    x86_update_hflags(env);
}

static void machine_run(JitMachine *m, const DiffInput *in, DiffResult *out)
{
    CPUX86State *env = &m->env;
    int r;

    memset(out, 0, sizeof(*out));
    memcpy(m->code, in->code, DIFF_CODE_SIZE);
    memcpy(m->data, in->data, DIFF_DATA_SIZE);
    memcpy(m->stack, in->stack, DIFF_STACK_SIZE);
    build_sys(m, in->mode == 64 || in->compat32);
    tcg_engine_flush(m->engine);
    setup_cpu(m, in);
    m->stopped = false;
    m->delivering = false;

    r = tcg_cpu_exec(&env->tcg);

    for (int i = 0; i < 16; i++) {
        out->regs.gpr[i] = in->mode == 64 ? env->regs[i] : (i < 8 ? (uint32_t)env->regs[i] : 0);
    }
    out->regs.rflags = x86_compute_eflags(env);
    memcpy(out->code, m->code, DIFF_CODE_SIZE);
    memcpy(out->data, m->data, DIFF_DATA_SIZE);
    memcpy(out->stack, m->stack, DIFF_STACK_SIZE);
    if (!m->stopped) {
        out->outcome = DIFF_OUT_ERROR;
        out->regs.rip = env->eip;
        snprintf(out->error, sizeof(out->error), "the JIT stopped without an exception (tcg_cpu_exec %#x)", r);
        return;
    }
    out->regs.rip = in->mode == 64 ? m->rip : (uint32_t)m->rip;
    out->vector = m->vector;
    if (m->vector == VEC_BP && out->regs.rip == in->end) {
        out->outcome = DIFF_OUT_END;
        return;
    }
    out->outcome = DIFF_OUT_EXCEPTION;
    out->error_code = m->error_code;
    if (m->vector == VEC_PF) {
        out->fault_addr = m->cr2;
    }
}

/* Run the real-mode image in sh->rom from reset until it exits through port 0xf4 (or halts). */
static void machine_run_rom16(JitMachine *m)
{
    CPUX86State *env = &m->env;

    m->shared->con_len = 0;
    memcpy(m->bios, m->shared->rom, ROM16_SIZE);
    tcg_engine_flush(m->engine);
    x86_cpu_reset(env);
    env->tcg.stop = false;
    env->tcg.halted = false;
    env->tcg.exception_index = -1;
    while (!env->tcg.stop) {
        int r = tcg_cpu_exec(&env->tcg);

        if (r == EXCP_HLT || env->tcg.halted) {
            break;
        }
    }
}

static void __attribute__((noreturn)) jit_child_main(JitShared *sh, int cmd_fd, int res_fd)
{
    GError *err = NULL;
    JitMachine *m = machine_new(false, sh, &err), *m16 = NULL;

    if (!m) {
        fprintf(stderr, "tcg-diff: JIT machine: %s\n", err->message);
        _exit(3);
    }
    for (;;) {
        char c;
        ssize_t n = read(cmd_fd, &c, 1);

        if (n == 0) {
            _exit(0);
        }
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            _exit(4);
        }
        if (c == 'r') {
            if (!m16 && !(m16 = machine_new(true, sh, &err))) {
                fprintf(stderr, "tcg-diff: JIT machine: %s\n", err->message);
                _exit(3);
            }
            machine_run_rom16(m16);
        } else {
            machine_run(m, &sh->in, &sh->out);
        }
        if (write(res_fd, "r", 1) != 1) {
            _exit(5);
        }
    }
}

static void stop_child(JitRunner *r)
{
    if (r->pid > 0) {
        kill(r->pid, SIGKILL);
        waitpid(r->pid, NULL, 0);
        r->pid = 0;
    }
    if (r->cmd_fd >= 0) {
        close(r->cmd_fd);
        r->cmd_fd = -1;
    }
    if (r->res_fd >= 0) {
        close(r->res_fd);
        r->res_fd = -1;
    }
}

static bool start_child(JitRunner *r, GError **err)
{
    int cmd[2], res[2];

    if (pipe2(cmd, O_CLOEXEC) < 0 || pipe2(res, O_CLOEXEC) < 0) {
        g_set_error(err, IOEMU_ERROR, 0, "jit: pipe: %s", g_strerror(errno));
        return false;
    }
    fflush(NULL);
    r->pid = fork();
    if (r->pid < 0) {
        g_set_error(err, IOEMU_ERROR, 0, "jit: fork: %s", g_strerror(errno));
        close(cmd[0]); close(cmd[1]); close(res[0]); close(res[1]);
        r->pid = 0;
        return false;
    }
    if (r->pid == 0) {
        close(cmd[1]);
        close(res[0]);
        jit_child_main(r->shared, cmd[0], res[1]);
    }
    close(cmd[0]);
    close(res[1]);
    r->cmd_fd = cmd[1];
    r->res_fd = res[0];
    return true;
}

/* Round trip of one case; *died set when the child did not answer. */
static bool round_trip(JitRunner *r, char cmd, const DiffInput *in, DiffResult *out, GError **err)
{
    struct pollfd pfd;
    char c;
    int n;

    if (r->pid == 0 && !start_child(r, err)) {
        return false;
    }
    if (in) {
        r->shared->in = *in;
    }
    if (write(r->cmd_fd, &cmd, 1) != 1) {
        g_set_error(err, IOEMU_ERROR, 0, "jit: child gone: %s", g_strerror(errno));
        stop_child(r);
        return false;
    }
    pfd = (struct pollfd){ .fd = r->res_fd, .events = POLLIN };
    do {
        /* a real-mode image holds up to 128 cases */
        n = poll(&pfd, 1, cmd == 'r' ? 6 * JIT_TIMEOUT_MS : JIT_TIMEOUT_MS);
    } while (n < 0 && errno == EINTR);
    memset(out, 0, sizeof(*out));
    if (n == 0) {
        stop_child(r);
        out->outcome = DIFF_OUT_TIMEOUT;
        return true;
    }
    if (n < 0 || read(r->res_fd, &c, 1) != 1) {
        int status = 0;

        kill(r->pid, SIGKILL);
        waitpid(r->pid, &status, 0);
        r->pid = 0;
        stop_child(r);
        out->outcome = DIFF_OUT_ERROR;
        if (WIFSIGNALED(status)) {
            snprintf(out->error, sizeof(out->error), "the JIT process crashed (signal %d)", WTERMSIG(status));
        } else {
            snprintf(out->error, sizeof(out->error), "the JIT process exited (status %d)",
                     WIFEXITED(status) ? WEXITSTATUS(status) : -1);
        }
        return true;
    }
    *out = r->shared->out;
    return true;
}

JitRunner *jit_runner_new(GError **err)
{
    JitRunner *r = g_new0(JitRunner, 1);
    static DiffInput probe;
    static DiffResult res;
    static const uint8_t smoke[] = { 0xb8, 0x2a, 0x00, 0x00, 0x00, 0xcc };   /* mov $42, %eax; int3 */

    r->cmd_fd = r->res_fd = -1;
    r->shared = mmap(NULL, sizeof(JitShared), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (r->shared == MAP_FAILED) {
        g_set_error(err, IOEMU_ERROR, 0, "jit: mmap: %s", g_strerror(errno));
        g_free(r);
        return NULL;
    }
    /*
     * Can the JIT run user code at all?  Until it can, the tester reports
     * the JIT side as skipped (with this reason) rather than as thousands
     * of divergences.
     */
    for (int mode = 32; mode <= 64; mode += 32) {
        memset(&probe, 0, sizeof(probe));
        probe.mode = mode;
        probe.entry = DIFF_CODE_BASE;
        probe.end = DIFF_CODE_BASE + sizeof(smoke);
        probe.regs.gpr[R_SP] = DIFF_STACK_INIT;
        probe.regs.rflags = FL_USER_FIXED;
        memset(probe.code, 0xcc, sizeof(probe.code));
        memcpy(probe.code, smoke, sizeof(smoke));
        if (!round_trip(r, 'g', &probe, &res, err)) {
            jit_runner_free(r);
            return NULL;
        }
        if (res.outcome != DIFF_OUT_END || (uint32_t)res.regs.gpr[R_AX] != 42) {
            GString *s = g_string_new(NULL);

            diff_format_result(mode, &res, s);
            g_strdelimit(s->str, "\n", ' ');
            g_set_error(err, IOEMU_ERROR, 0, "the JIT cannot run %d-bit user code yet "
                        "(mov $42,%%eax; int3 gave: %s)", mode, s->str);
            g_string_free(s, TRUE);
            jit_runner_free(r);
            return NULL;
        }
    }
    return r;
}

void jit_runner_free(JitRunner *r)
{
    if (!r) {
        return;
    }
    stop_child(r);
    munmap(r->shared, sizeof(JitShared));
    g_free(r);
}

bool jit_run(JitRunner *r, const DiffInput *in, DiffResult *out, GError **err)
{
    return round_trip(r, 'g', in, out, err);
}

bool jit_run_rom16(JitRunner *r, const uint8_t *rom, uint8_t **con, size_t *con_len, GError **err)
{
    static DiffResult res;

    memcpy(r->shared->rom, rom, ROM16_SIZE);
    r->shared->con_len = 0;
    if (!round_trip(r, 'r', NULL, &res, err)) {
        return false;
    }
    /* After a crash or a timeout the records written so far are still there. */
    *con_len = MIN(r->shared->con_len, CON_MAX);
    *con = g_memdup2(r->shared->con, *con_len ? *con_len : 1);
    return true;
}

#endif
