/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Disassembly for the -d in_asm / out_asm logs, through capstone.
 */
#include <inttypes.h>

#include <capstone/capstone.h>
#include <glib.h>

#include "tcg/codegen.h"

static void disas(GString *out, cs_mode mode, const uint8_t *code, size_t size, uint64_t pc)
{
    csh handle;
    cs_insn *insn;

    if (cs_open(CS_ARCH_X86, mode, &handle) != CS_ERR_OK) {
        g_string_append(out, "  (capstone unavailable)\n");
        return;
    }
    size_t n = cs_disasm(handle, code, size, pc, 0, &insn);
    size_t done = 0;
    for (size_t i = 0; i < n; i++) {
        g_string_append_printf(out, "  0x%08" PRIx64 ":  %-8s %s\n", insn[i].address, insn[i].mnemonic,
                               insn[i].op_str);
        done += insn[i].size;
    }
    if (done < size) {
        g_string_append_printf(out, "  0x%08" PRIx64 ":  .byte", pc + done);
        for (size_t i = done; i < size && i < done + 16; i++) {
            g_string_append_printf(out, " 0x%02x", code[i]);
        }
        g_string_append_c(out, '\n');
    }
    if (n) {
        cs_free(insn, n);
    }
    cs_close(&handle);
}

void tcg_disas_host(GString *out, const uint8_t *code, size_t size)
{
    disas(out, CS_MODE_64, code, size, (uintptr_t)code);
}

void tcg_disas_x86(GString *out, const uint8_t *code, size_t size, uint64_t pc, int mode)
{
    disas(out, mode == 16 ? CS_MODE_16 : mode == 32 ? CS_MODE_32 : CS_MODE_64, code, size, pc);
}
