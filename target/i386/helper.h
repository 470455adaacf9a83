/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Helpers called from translated x86 code, with their TCG descriptions
 * (side effects declared per TCG_CALL_*; a helper that can raise a guest
 * exception is never NO_READ_GLOBALS: the exception must see exact
 * registers).  Helpers that fault take GETPC() so the faulting
 * instruction's state is restored.
 */
#ifndef TARGET_I386_HELPER_H
#define TARGET_I386_HELPER_H

#include "target/i386/cpu.h"
#include "tcg/tcg.h"

#define GETPC() ((uintptr_t)__builtin_return_address(0))

/* String-op descriptor: size, address size, segment, rep kind. */
#define STR_OT(d)      ((d) & 3)
#define STR_AFLAG(d)   (((d) >> 2) & 3)
#define STR_SEG(d)     (((d) >> 4) & 7)
#define STR_REPZ       (1u << 8)      /* F3 */
#define STR_REPNZ      (1u << 9)      /* F2 */
#define STR_LEN(n)     ((uint32_t)(n) << 12)   /* instruction length, to step past it when done */
#define STR_INSN_LEN(d) (((d) >> 12) & 15)
#define STR_DESC(ot, aflag, seg) ((uint32_t)(ot) | ((uint32_t)(aflag) << 2) | ((uint32_t)(seg) << 4))

#define HELPER(name, ret, ...) ret helper_##name(__VA_ARGS__); extern const TCGHelperInfo helper_info_##name
#define NORETURN __attribute__((noreturn))
NORETURN void helper_raise_exception(CPUX86State *env, uint32_t vector);
NORETURN void helper_raise_exception_err(CPUX86State *env, uint32_t vector, uint32_t error_code);
NORETURN void helper_raise_interrupt(CPUX86State *env, uint32_t vector, uint32_t next_eip_addend);
NORETURN void helper_hlt(CPUX86State *env, uint32_t next_eip_addend);
NORETURN void helper_single_step(CPUX86State *env);
HELPER(raise_exception, void, CPUX86State *env, uint32_t vector);
HELPER(raise_exception_err, void, CPUX86State *env, uint32_t vector, uint32_t error_code);
HELPER(raise_interrupt, void, CPUX86State *env, uint32_t vector, uint32_t next_eip_addend);
HELPER(cc_compute_all, uint32_t, uint32_t op, uint64_t dst, uint64_t src, uint64_t src2);
HELPER(cc_compute_c, uint64_t, uint32_t op, uint64_t dst, uint64_t src, uint64_t src2);
HELPER(write_eflags, void, CPUX86State *env, uint32_t val, uint32_t mask);
HELPER(set_if, void, CPUX86State *env, uint32_t on);

HELPER(divb, void, CPUX86State *env, uint64_t val);
HELPER(divw, void, CPUX86State *env, uint64_t val);
HELPER(divl, void, CPUX86State *env, uint64_t val);
HELPER(divq, void, CPUX86State *env, uint64_t val);
HELPER(idivb, void, CPUX86State *env, uint64_t val);
HELPER(idivw, void, CPUX86State *env, uint64_t val);
HELPER(idivl, void, CPUX86State *env, uint64_t val);
HELPER(idivq, void, CPUX86State *env, uint64_t val);
HELPER(daa, void, CPUX86State *env);
HELPER(das, void, CPUX86State *env);
HELPER(aaa, void, CPUX86State *env);
HELPER(aas, void, CPUX86State *env);
HELPER(aam, void, CPUX86State *env, uint32_t base);
HELPER(aad, void, CPUX86State *env, uint32_t base);
HELPER(rcl, uint64_t, CPUX86State *env, uint64_t val, uint32_t count, uint32_t ot);
HELPER(rcr, uint64_t, CPUX86State *env, uint64_t val, uint32_t count, uint32_t ot);
HELPER(shld, uint64_t, CPUX86State *env, uint64_t dst, uint64_t src, uint32_t count, uint32_t ot);
HELPER(shrd, uint64_t, CPUX86State *env, uint64_t dst, uint64_t src, uint32_t count, uint32_t ot);

HELPER(rep_movs, void, CPUX86State *env, uint32_t desc);
HELPER(rep_stos, void, CPUX86State *env, uint32_t desc);
HELPER(rep_lods, void, CPUX86State *env, uint32_t desc);
HELPER(rep_cmps, void, CPUX86State *env, uint32_t desc);
HELPER(rep_scas, void, CPUX86State *env, uint32_t desc);
HELPER(rep_ins, void, CPUX86State *env, uint32_t desc);
HELPER(rep_outs, void, CPUX86State *env, uint32_t desc);

HELPER(check_align, void, CPUX86State *env, uint64_t addr, uint32_t mask);
HELPER(check_io, void, CPUX86State *env, uint32_t port, uint32_t size);
HELPER(in, uint32_t, CPUX86State *env, uint32_t port, uint32_t size);
HELPER(out, void, CPUX86State *env, uint32_t port, uint32_t size, uint32_t val);

HELPER(load_seg, void, CPUX86State *env, uint32_t seg, uint32_t selector);
HELPER(ljmp, void, CPUX86State *env, uint32_t selector, uint64_t offset, uint64_t next_eip);
HELPER(lcall, void, CPUX86State *env, uint32_t selector, uint64_t offset, uint32_t ot, uint64_t next_eip);
HELPER(lret, void, CPUX86State *env, uint32_t ot, uint32_t addend);
HELPER(iret, void, CPUX86State *env, uint32_t ot, uint64_t next_eip);
HELPER(lldt, void, CPUX86State *env, uint32_t selector);
HELPER(ltr, void, CPUX86State *env, uint32_t selector);
HELPER(lar, uint64_t, CPUX86State *env, uint32_t selector);
HELPER(lsl, uint64_t, CPUX86State *env, uint32_t selector);
HELPER(verr, void, CPUX86State *env, uint32_t selector);
HELPER(verw, void, CPUX86State *env, uint32_t selector);
HELPER(arpl, uint32_t, CPUX86State *env, uint32_t dst, uint32_t src);
HELPER(enter_level, void, CPUX86State *env, uint32_t level, uint32_t ot, uint64_t frame_temp);
HELPER(bound, void, CPUX86State *env, uint64_t addr, uint64_t val, uint32_t ot);

HELPER(read_cr, uint64_t, CPUX86State *env, uint32_t reg);
HELPER(write_cr, void, CPUX86State *env, uint32_t reg, uint64_t val);
HELPER(write_dr, void, CPUX86State *env, uint32_t reg, uint64_t val);
HELPER(lmsw, void, CPUX86State *env, uint64_t val);
HELPER(clts, void, CPUX86State *env);
HELPER(invlpg, void, CPUX86State *env, uint64_t addr);
HELPER(lgdt_lidt, void, CPUX86State *env, uint32_t is_idt, uint64_t base, uint32_t limit);
HELPER(cpuid, void, CPUX86State *env);
HELPER(rdtsc, void, CPUX86State *env);
HELPER(rdtscp, void, CPUX86State *env);
HELPER(rdmsr, void, CPUX86State *env);
HELPER(wrmsr, void, CPUX86State *env);
HELPER(hlt, void, CPUX86State *env, uint32_t next_eip_addend);
HELPER(cmpxchg8b, void, CPUX86State *env, uint64_t addr);
HELPER(cmpxchg16b, void, CPUX86State *env, uint64_t addr);
HELPER(syscall, void, CPUX86State *env, uint64_t next_eip);
HELPER(sysret, void, CPUX86State *env, uint32_t ot);
HELPER(sysenter, void, CPUX86State *env);
HELPER(sysexit, void, CPUX86State *env, uint32_t ot);
HELPER(swapgs, void, CPUX86State *env);
HELPER(single_step, void, CPUX86State *env);
HELPER(fxsave, void, CPUX86State *env, uint64_t addr);
HELPER(fxrstor, void, CPUX86State *env, uint64_t addr);
HELPER(fninit, void, CPUX86State *env);
#undef HELPER

#endif
