/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The oracle: run a case on the host CPU.
 *
 * A forked child maps the code, data and stack regions at their fixed
 * linear addresses (shared with the parent, which reads the results from
 * them), loads every GPR and EFLAGS from the case and jumps to the
 * snippet: directly for 64-bit code, or by a far jump to the 32-bit user
 * code segment (selector 0x23, which Linux keeps in the GDT of every
 * x86-64 process) for 32-bit code, which then runs in compatibility mode.
 * Data segments DS/ES/GS are loaded with the flat user data selector 0x2b
 * first: in compatibility mode a null data selector would fault.
 *
 * The snippet ends with int3.  Whatever stops it (that int3, #DE, #UD,
 * #GP, #PF, ...) becomes a signal; the handler (on an alternate stack,
 * since the snippet owns rsp) copies the complete register state the
 * kernel saved (uc_mcontext: GPRs, rip, eflags, trap number, fault
 * address) into the control page and siglongjmps back into the child's
 * loop, which waits for the next case.  A child that stops answering is
 * killed (timeout) and a new one forked for the next case.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <ucontext.h>
#include <unistd.h>

#include "hw/core/device.h"
#include "tests/tcg/diff.h"

/*
 * The control page: the first page has a fixed layout because the
 * trampoline addresses it with absolute addresses; the rest is a C struct.
 */
#define CTL_BASE        0x10300000
#define CTL_SIZE        0x10000
#define CTL_GPR         0x000
#define CTL_RIP         0x080
#define CTL_RFLAGS      0x088
#define CTL_FAR         0x090   /* m16:32 far pointer for the 32-bit entry */
#define CTL_SCRATCH_TOP 0x1000  /* a few bytes of stack for popfq */

#define STR_(x) #x
#define STR(x) STR_(x)
#define CTL(off) STR(CTL_BASE + off)

/* Time a case may take before the child is considered hung. */
#define NATIVE_TIMEOUT_MS 3000

typedef struct NativeShared {
    /* Filled by the signal handler. */
    int signo;
    int64_t trapno;
    int64_t err;
    uint64_t addr;
    uint64_t gregs[NGREG];
    /* Case staging: copied into the live regions by the child itself. */
    int mode;
    volatile int running;       /* the snippet is running: its signals are results */
    uint8_t code[DIFF_CODE_SIZE];
    uint8_t data[DIFF_DATA_SIZE];
    uint8_t stack[DIFF_STACK_SIZE];
} NativeShared;

_Static_assert(sizeof(NativeShared) <= CTL_SIZE - CTL_SCRATCH_TOP, "control page too small");

struct NativeRunner {
    pid_t pid;
    int cmd_fd;                 /* parent -> child: one byte per case */
    int res_fd;                 /* child -> parent: one byte per result */
    uint8_t *code, *data, *stack, *ctl;
    NativeShared *shared;
};

/*
 * Enter the snippet with every register from the control page.  The
 * scratch stack exists only so popfq can load EFLAGS; the snippet's own
 * rsp is loaded after it (mov does not touch the flags), and the jump
 * does not either.  Never returns: the snippet leaves through a signal.
 */
#define LOAD_GPRS                                   \
    "    pushq " CTL(CTL_RFLAGS) "\n"               \
    "    movq " CTL(CTL_GPR + 8 * 8) ", %r8\n"      \
    "    movq " CTL(CTL_GPR + 8 * 9) ", %r9\n"      \
    "    movq " CTL(CTL_GPR + 8 * 10) ", %r10\n"    \
    "    movq " CTL(CTL_GPR + 8 * 11) ", %r11\n"    \
    "    movq " CTL(CTL_GPR + 8 * 12) ", %r12\n"    \
    "    movq " CTL(CTL_GPR + 8 * 13) ", %r13\n"    \
    "    movq " CTL(CTL_GPR + 8 * 14) ", %r14\n"    \
    "    movq " CTL(CTL_GPR + 8 * 15) ", %r15\n"    \
    "    movq " CTL(CTL_GPR + 8 * 0) ", %rax\n"     \
    "    movq " CTL(CTL_GPR + 8 * 1) ", %rcx\n"     \
    "    movq " CTL(CTL_GPR + 8 * 2) ", %rdx\n"     \
    "    movq " CTL(CTL_GPR + 8 * 3) ", %rbx\n"     \
    "    movq " CTL(CTL_GPR + 8 * 5) ", %rbp\n"     \
    "    movq " CTL(CTL_GPR + 8 * 6) ", %rsi\n"     \
    "    movq " CTL(CTL_GPR + 8 * 7) ", %rdi\n"     \
    "    popfq\n"                                   \
    "    movq " CTL(CTL_GPR + 8 * 4) ", %rsp\n"

__asm__(
    "    .text\n"
    "    .p2align 4\n"
    "    .type native_enter64, @function\n"
    "native_enter64:\n"
    "    movl $" CTL(CTL_SCRATCH_TOP) ", %esp\n"
    LOAD_GPRS
    "    jmpq *" CTL(CTL_RIP) "\n"
    "    .size native_enter64, .-native_enter64\n"
    "    .p2align 4\n"
    "    .type native_enter32, @function\n"
    "native_enter32:\n"
    "    movl $" CTL(CTL_SCRATCH_TOP) ", %esp\n"
    LOAD_GPRS
    "    ljmpl *" CTL(CTL_FAR) "\n"
    "    .size native_enter32, .-native_enter32\n");

void native_enter64(void) __attribute__((noreturn));
void native_enter32(void) __attribute__((noreturn));

static sigjmp_buf child_jmp;

static void child_signal(int sig, siginfo_t *si, void *ucv)
{
    ucontext_t *uc = ucv;
    NativeShared *sh = (NativeShared *)(uintptr_t)(CTL_BASE + CTL_SCRATCH_TOP);

    /*
     * The kernel clears DF and TF for the handler but may leave AC set by
     * the snippet (an #AC test): clear it before anything does an
     * unaligned access here.
     */
    __asm__ volatile("pushfq\n\tandl $~0x40000, (%%rsp)\n\tpopfq" ::: "memory", "cc");

    if (!sh->running || si->si_code == SI_USER || si->si_code == SI_TKILL) {
        /* Not the snippet's: die of it, and the parent starts a new child. */
        signal(sig, SIG_DFL);
        raise(sig);
        _exit(128 + sig);
    }
    sh->running = 0;
    sh->signo = sig;
    sh->trapno = uc->uc_mcontext.gregs[REG_TRAPNO];
    sh->err = uc->uc_mcontext.gregs[REG_ERR];
    sh->addr = (uint64_t)(uintptr_t)si->si_addr;
    memcpy(sh->gregs, uc->uc_mcontext.gregs, sizeof(sh->gregs));
    siglongjmp(child_jmp, 1);
}

static void load_flat_data_segments(void)
{
    __asm__ volatile("movl %0, %%ds\n\tmovl %0, %%es\n\tmovl %0, %%gs" : : "r"(DIFF_SEL_DS));
}

static void __attribute__((noreturn)) child_main(int cmd_fd, int res_fd)
{
    NativeShared *sh = (NativeShared *)(uintptr_t)(CTL_BASE + CTL_SCRATCH_TOP);
    static const int sigs[] = { SIGTRAP, SIGFPE, SIGSEGV, SIGILL, SIGBUS };
    stack_t ss = { .ss_size = 256 * 1024 };
    struct sigaction sa = { 0 };

    ss.ss_sp = mmap(NULL, ss.ss_size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (ss.ss_sp == MAP_FAILED || sigaltstack(&ss, NULL) < 0) {
        _exit(3);
    }
    sa.sa_sigaction = child_signal;
    sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
    sigemptyset(&sa.sa_mask);
    for (size_t i = 0; i < G_N_ELEMENTS(sigs); i++) {
        sigaction(sigs[i], &sa, NULL);
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
        /*
         * The child writes the code itself: stores followed by a jump
         * into the modified bytes are self-modifying code, which x86
         * handles without a serialising instruction (SDM vol. 3, 8.1.3).
         */
        memcpy((void *)(uintptr_t)DIFF_CODE_BASE, sh->code, DIFF_CODE_SIZE);
        memcpy((void *)(uintptr_t)DIFF_DATA_BASE, sh->data, DIFF_DATA_SIZE);
        memcpy((void *)(uintptr_t)DIFF_STACK_BASE, sh->stack, DIFF_STACK_SIZE);
        sh->signo = 0;
        load_flat_data_segments();
        if (sigsetjmp(child_jmp, 1) == 0) {
            sh->running = 1;
            if (sh->mode == 64) {
                native_enter64();
            } else {
                native_enter32();
            }
        }
        if (write(res_fd, "r", 1) != 1) {
            _exit(5);
        }
    }
}

static uint8_t *map_fixed(uint64_t addr, size_t size, int prot, GError **err)
{
    void *p = mmap((void *)(uintptr_t)addr, size, prot, MAP_SHARED | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE,
                   -1, 0);

    if (p == MAP_FAILED || p != (void *)(uintptr_t)addr) {
        g_set_error(err, IOEMU_ERROR, 0, "native: cannot map %#zx bytes at %#" PRIx64 ": %s", size, addr,
                    p == MAP_FAILED ? g_strerror(errno) : "placed elsewhere");
        if (p != MAP_FAILED) {
            munmap(p, size);
        }
        return NULL;
    }
    return p;
}

static void stop_child(NativeRunner *r)
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

static bool start_child(NativeRunner *r, GError **err)
{
    int cmd[2], res[2];

    if (pipe2(cmd, O_CLOEXEC) < 0 || pipe2(res, O_CLOEXEC) < 0) {
        g_set_error(err, IOEMU_ERROR, 0, "native: pipe: %s", g_strerror(errno));
        return false;
    }
    fflush(NULL);
    r->pid = fork();
    if (r->pid < 0) {
        g_set_error(err, IOEMU_ERROR, 0, "native: fork: %s", g_strerror(errno));
        close(cmd[0]); close(cmd[1]); close(res[0]); close(res[1]);
        r->pid = 0;
        return false;
    }
    if (r->pid == 0) {
        close(cmd[1]);
        close(res[0]);
        child_main(cmd[0], res[1]);
    }
    close(cmd[0]);
    close(res[1]);
    r->cmd_fd = cmd[1];
    r->res_fd = res[0];
    return true;
}

NativeRunner *native_runner_new(GError **err)
{
    NativeRunner *r = g_new0(NativeRunner, 1);

    r->cmd_fd = r->res_fd = -1;
    r->code = map_fixed(DIFF_CODE_BASE, DIFF_CODE_SIZE, PROT_READ | PROT_WRITE | PROT_EXEC, err);
    if (r->code) {
        r->data = map_fixed(DIFF_DATA_BASE, DIFF_DATA_SIZE, PROT_READ | PROT_WRITE, err);
    }
    if (r->data) {
        r->stack = map_fixed(DIFF_STACK_BASE, DIFF_STACK_SIZE, PROT_READ | PROT_WRITE, err);
    }
    if (r->stack) {
        r->ctl = map_fixed(CTL_BASE, CTL_SIZE, PROT_READ | PROT_WRITE, err);
    }
    if (!r->ctl) {
        native_runner_free(r);
        return NULL;
    }
    r->shared = (NativeShared *)(r->ctl + CTL_SCRATCH_TOP);
    return r;
}

void native_runner_free(NativeRunner *r)
{
    if (!r) {
        return;
    }
    stop_child(r);
    if (r->code) {
        munmap(r->code, DIFF_CODE_SIZE);
    }
    if (r->data) {
        munmap(r->data, DIFF_DATA_SIZE);
    }
    if (r->stack) {
        munmap(r->stack, DIFF_STACK_SIZE);
    }
    if (r->ctl) {
        munmap(r->ctl, CTL_SIZE);
    }
    g_free(r);
}

/* ucontext register slots (glibc <sys/ucontext.h>) in ModRM order. */
static const int greg_of_gpr[DIFF_NREGS] = {
    REG_RAX, REG_RCX, REG_RDX, REG_RBX, REG_RSP, REG_RBP, REG_RSI, REG_RDI,
    REG_R8, REG_R9, REG_R10, REG_R11, REG_R12, REG_R13, REG_R14, REG_R15,
};

bool native_run(NativeRunner *r, const DiffInput *in, DiffResult *out, GError **err)
{
    NativeShared *sh = r->shared;
    uint64_t *gpr = (uint64_t *)(r->ctl + CTL_GPR);
    struct pollfd pfd;
    char c;
    int n;

    memset(out, 0, sizeof(*out));
    if (r->pid == 0 && !start_child(r, err)) {
        return false;
    }
    for (int i = 0; i < DIFF_NREGS; i++) {
        gpr[i] = in->mode == 64 ? in->regs.gpr[i] : (uint32_t)in->regs.gpr[i];
    }
    *(uint64_t *)(r->ctl + CTL_RIP) = in->entry;
    *(uint64_t *)(r->ctl + CTL_RFLAGS) = (in->regs.rflags & FL_COMPARED) | FL_USER_FIXED;
    *(uint32_t *)(r->ctl + CTL_FAR) = (uint32_t)in->entry;
    *(uint16_t *)(r->ctl + CTL_FAR + 4) = DIFF_SEL_CS32;
    sh->mode = in->mode;
    memcpy(sh->code, in->code, DIFF_CODE_SIZE);
    memcpy(sh->data, in->data, DIFF_DATA_SIZE);
    memcpy(sh->stack, in->stack, DIFF_STACK_SIZE);

    if (write(r->cmd_fd, "g", 1) != 1) {
        g_set_error(err, IOEMU_ERROR, 0, "native: child gone: %s", g_strerror(errno));
        stop_child(r);
        return false;
    }
    pfd = (struct pollfd){ .fd = r->res_fd, .events = POLLIN };
    do {
        n = poll(&pfd, 1, NATIVE_TIMEOUT_MS);
    } while (n < 0 && errno == EINTR);
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
        out->outcome = DIFF_OUT_ERROR;
        if (WIFSIGNALED(status)) {
            snprintf(out->error, sizeof(out->error), "native child killed by signal %d", WTERMSIG(status));
        } else {
            snprintf(out->error, sizeof(out->error), "native child exited (status %d)",
                     WIFEXITED(status) ? WEXITSTATUS(status) : -1);
        }
        stop_child(r);
        return true;
    }

    for (int i = 0; i < DIFF_NREGS; i++) {
        out->regs.gpr[i] = sh->gregs[greg_of_gpr[i]];
    }
    out->regs.rip = sh->gregs[REG_RIP];
    out->regs.rflags = sh->gregs[REG_EFL];
    if (in->mode == 32) {
        /* Compatibility mode leaves the upper halves undefined (SDM vol. 1, 3.4.1.1). */
        for (int i = 0; i < DIFF_NREGS; i++) {
            out->regs.gpr[i] = i < 8 ? (uint32_t)out->regs.gpr[i] : 0;
        }
        out->regs.rip = (uint32_t)out->regs.rip;
    }
    out->vector = (int)sh->trapno;
    if (sh->signo == SIGTRAP && sh->trapno == VEC_BP && out->regs.rip == in->end) {
        out->outcome = DIFF_OUT_END;
    } else {
        out->outcome = DIFF_OUT_EXCEPTION;
        if (sh->trapno == VEC_PF) {
            out->fault_addr = sh->addr;
        }
        out->error_code = (uint32_t)sh->err;
    }
    memcpy(out->code, r->code, DIFF_CODE_SIZE);
    memcpy(out->data, r->data, DIFF_DATA_SIZE);
    memcpy(out->stack, r->stack, DIFF_STACK_SIZE);
    return true;
}
