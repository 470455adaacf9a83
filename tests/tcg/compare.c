/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Comparing two results of one case, and printing cases and results
 * (disassembly through capstone).
 */
#include <capstone/capstone.h>
#include <inttypes.h>
#include <string.h>

#include "tests/tcg/diff.h"

static const char *const gpr_names64[DIFF_NREGS] = {
    "rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi", "rdi",
    "r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15",
};
static const char *const gpr_names32[8] = {
    "eax", "ecx", "edx", "ebx", "esp", "ebp", "esi", "edi",
};

const char *diff_vector_name(int vector)
{
    static const char *const names[] = {
        [VEC_DE] = "#DE", [VEC_DB] = "#DB", [2] = "NMI", [VEC_BP] = "#BP", [VEC_OF] = "#OF",
        [VEC_BR] = "#BR", [VEC_UD] = "#UD", [VEC_NM] = "#NM", [8] = "#DF", [VEC_TS] = "#TS",
        [VEC_NP] = "#NP", [VEC_SS] = "#SS", [VEC_GP] = "#GP", [VEC_PF] = "#PF", [VEC_MF] = "#MF",
        [VEC_AC] = "#AC",
    };

    if (vector >= 0 && vector < (int)G_N_ELEMENTS(names) && names[vector]) {
        return names[vector];
    }
    return "#?";
}

static void format_flags(uint64_t fl, GString *out)
{
    static const struct {
        uint32_t bit;
        char name[3];
    } bits[] = {
        { FL_OF, "OF" }, { FL_DF, "DF" }, { FL_SF, "SF" }, { FL_ZF, "ZF" },
        { FL_AF, "AF" }, { FL_PF, "PF" }, { FL_CF, "CF" },
    };

    g_string_append_printf(out, "%#" PRIx64 " [", fl);
    for (size_t i = 0; i < G_N_ELEMENTS(bits); i++) {
        g_string_append_printf(out, "%s%s", i ? " " : "", (fl & bits[i].bit) ? bits[i].name : "--");
    }
    g_string_append(out, "]");
}

static int nregs_of(int mode)
{
    return mode == 64 ? DIFF_NREGS : 8;
}

static const char *reg_name(int mode, int i)
{
    return mode == 64 ? gpr_names64[i] : gpr_names32[i];
}

static uint64_t reg_val(int mode, uint64_t v)
{
    return mode == 64 ? v : (uint32_t)v;
}

void diff_format_regs(int mode, const DiffRegs *r, GString *out, const char *indent)
{
    int n = nregs_of(mode);

    for (int i = 0; i < n; i++) {
        g_string_append_printf(out, "%s%-3s=%0*" PRIx64, i % 4 ? "  " : indent, reg_name(mode, i),
                               mode == 64 ? 16 : 8, reg_val(mode, r->gpr[i]));
        if (i % 4 == 3) {
            g_string_append_c(out, '\n');
        }
    }
    g_string_append_printf(out, "%s%s=%0*" PRIx64 "  eflags=", indent, mode == 64 ? "rip" : "eip",
                           mode == 64 ? 16 : 8, reg_val(mode, r->rip));
    format_flags(r->rflags, out);
    g_string_append_c(out, '\n');
}

static void format_outcome(const DiffResult *r, GString *out)
{
    switch (r->outcome) {
    case DIFF_OUT_END:
        g_string_append(out, "ran to the end");
        break;
    case DIFF_OUT_EXCEPTION:
        g_string_append_printf(out, "exception %s (vector %d, error code %#x", diff_vector_name(r->vector),
                               r->vector, r->error_code);
        if (r->vector == VEC_PF) {
            g_string_append_printf(out, ", address %#" PRIx64, r->fault_addr);
        }
        g_string_append_printf(out, ") at %#" PRIx64, r->regs.rip);
        break;
    case DIFF_OUT_TIMEOUT:
        g_string_append(out, "timed out");
        break;
    case DIFF_OUT_ERROR:
        g_string_append_printf(out, "runner error: %s", r->error);
        break;
    }
}

void diff_format_result(int mode, const DiffResult *r, GString *out)
{
    format_outcome(r, out);
    g_string_append_c(out, '\n');
    if (r->outcome == DIFF_OUT_END || r->outcome == DIFF_OUT_EXCEPTION) {
        diff_format_regs(mode, &r->regs, out, "    ");
    }
}

static void compare_mem(const char *what, uint64_t base, const uint8_t *a, const uint8_t *b, size_t len,
                        const char *a_name, const char *b_name, GString *why, bool *same)
{
    int shown = 0;

    for (size_t i = 0; i < len; i++) {
        if (a[i] == b[i]) {
            continue;
        }
        *same = false;
        if (shown++ == 8) {
            g_string_append_printf(why, "  %s: more differences\n", what);
            return;
        }
        g_string_append_printf(why, "  %s byte at %#" PRIx64 ": %s=%02x %s=%02x\n", what, base + i, a_name,
                               a[i], b_name, b[i]);
    }
}

bool diff_compare(int mode, const DiffResult *a, const char *a_name, const DiffResult *b,
                  const char *b_name, const DiffMask *mask, GString *why)
{
    bool same = true;
    uint64_t fl_mask = FL_COMPARED & ~(uint64_t)mask->undef_flags;

    if (a->outcome != b->outcome || a->outcome == DIFF_OUT_TIMEOUT || a->outcome == DIFF_OUT_ERROR) {
        g_string_append_printf(why, "  outcome: %s ", a_name);
        format_outcome(a, why);
        g_string_append_printf(why, "; %s ", b_name);
        format_outcome(b, why);
        g_string_append_c(why, '\n');
        same = false;
        if (a->outcome != DIFF_OUT_END && a->outcome != DIFF_OUT_EXCEPTION) {
            return false;
        }
        if (b->outcome != DIFF_OUT_END && b->outcome != DIFF_OUT_EXCEPTION) {
            return false;
        }
    } else if (a->outcome == DIFF_OUT_EXCEPTION) {
        if (a->vector != b->vector) {
            g_string_append_printf(why, "  exception: %s %s, %s %s\n", a_name, diff_vector_name(a->vector),
                                   b_name, diff_vector_name(b->vector));
            same = false;
        } else if (a->vector == VEC_PF && a->fault_addr != b->fault_addr) {
            g_string_append_printf(why, "  #PF address: %s=%#" PRIx64 " %s=%#" PRIx64 "\n", a_name,
                                   a->fault_addr, b_name, b->fault_addr);
            same = false;
        }
        if (a->vector == b->vector && (a->vector == VEC_GP || a->vector == VEC_SS) &&
            a->error_code != b->error_code) {
            g_string_append_printf(why, "  error code: %s=%#x %s=%#x\n", a_name, a->error_code, b_name,
                                   b->error_code);
            same = false;
        }
    }
    if (reg_val(mode, a->regs.rip) != reg_val(mode, b->regs.rip)) {
        g_string_append_printf(why, "  %s: %s=%#" PRIx64 " %s=%#" PRIx64 "\n", mode == 64 ? "rip" : "eip",
                               a_name, reg_val(mode, a->regs.rip), b_name, reg_val(mode, b->regs.rip));
        same = false;
    }
    for (int i = 0; i < nregs_of(mode); i++) {
        uint64_t va = reg_val(mode, a->regs.gpr[i]), vb = reg_val(mode, b->regs.gpr[i]);

        if (va != vb && !(mask->undef_regs & (1u << i))) {
            g_string_append_printf(why, "  %s: %s=%#" PRIx64 " %s=%#" PRIx64 "\n", reg_name(mode, i), a_name,
                                   va, b_name, vb);
            same = false;
        }
    }
    if ((a->regs.rflags ^ b->regs.rflags) & fl_mask) {
        g_string_append_printf(why, "  eflags (compared bits %#" PRIx64 "): %s=", fl_mask, a_name);
        format_flags(a->regs.rflags & fl_mask, why);
        g_string_append_printf(why, " %s=", b_name);
        format_flags(b->regs.rflags & fl_mask, why);
        g_string_append_c(why, '\n');
        same = false;
    }
    compare_mem("code", DIFF_CODE_BASE, a->code, b->code, DIFF_CODE_SIZE, a_name, b_name, why, &same);
    compare_mem("data", DIFF_DATA_BASE, a->data, b->data, DIFF_DATA_SIZE, a_name, b_name, why, &same);
    compare_mem("stack", DIFF_STACK_BASE, a->stack, b->stack, DIFF_STACK_SIZE, a_name, b_name, why, &same);
    return same;
}

void diff_disasm(int mode, uint64_t addr, const uint8_t *code, size_t len, GString *out, const char *indent)
{
    csh h;
    cs_insn *insn = NULL;
    size_t n, done = 0;

    if (cs_open(CS_ARCH_X86, mode == 64 ? CS_MODE_64 : mode == 16 ? CS_MODE_16 : CS_MODE_32, &h) != CS_ERR_OK) {
        g_string_append_printf(out, "%s(capstone unavailable)\n", indent);
        return;
    }
    n = cs_disasm(h, code, len, addr, 0, &insn);
    for (size_t i = 0; i < n; i++) {
        GString *hex = g_string_new(NULL);

        for (size_t j = 0; j < insn[i].size; j++) {
            g_string_append_printf(hex, "%02x ", insn[i].bytes[j]);
        }
        g_string_append_printf(out, "%s%08" PRIx64 ":  %-30s %s %s\n", indent, insn[i].address, hex->str,
                               insn[i].mnemonic, insn[i].op_str);
        g_string_free(hex, TRUE);
        done += insn[i].size;
    }
    if (done < len) {
        g_string_append_printf(out, "%s%08" PRIx64 ":  (undecodable:", indent, addr + done);
        for (size_t j = done; j < len && j < done + 16; j++) {
            g_string_append_printf(out, " %02x", code[j]);
        }
        g_string_append(out, ")\n");
    }
    if (insn) {
        cs_free(insn, n);
    }
    cs_close(&h);
}
