/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * 16-bit (real-mode) cases: the host cannot run them (no vm86 in long
 * mode), so the oracle is QEMU (qemu-system-x86_64 -accel tcg).  Up to
 * ROM16_MAX_CASES cases go into one BIOS image around the harness of
 * rom16.S; QEMU runs it and writes a record per case to the debug
 * console, and the JIT runs the same image (jit.c) for its records.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "hw/core/device.h"
#include "tests/tcg/gen.h"
#include "tests/tcg/qemu16.h"

extern const uint8_t rom16_start[], rom16_end[];

#define ROM_TABLE 0x1000
#define ROM_CASES 0x1010
#define ROM_CODE  0x3100
#define ROM_RESET 0xfff0
#define CASE_BYTES 64

bool rom16_build(const DiffInput *const *cases, int n, uint8_t *rom, GError **err)
{
    size_t harness = (size_t)(rom16_end - rom16_start);
    uint32_t code = ROM_CODE;

    if (n > ROM16_MAX_CASES || harness > ROM_TABLE) {
        g_set_error(err, IOEMU_ERROR, 0, "rom16: %d cases / %zu bytes of harness do not fit", n, harness);
        return false;
    }
    memset(rom, 0xff, ROM16_SIZE);
    memcpy(rom, rom16_start, harness);
    rom[ROM_TABLE] = (uint8_t)n;
    rom[ROM_TABLE + 1] = (uint8_t)(n >> 8);
    for (int i = 0; i < n; i++) {
        const DiffInput *in = cases[i];
        uint8_t *e = rom + ROM_CASES + CASE_BYTES * i;
        uint32_t len = (uint32_t)(in->end - in->entry);
        uint32_t regs[8];
        uint16_t hw[4] = { (uint16_t)(in->regs.rflags & FL_COMPARED) | 2, (uint16_t)in->entry, (uint16_t)code,
                           (uint16_t)len };

        if (in->mode != 16 || in->end > DIFF16_CODE_SIZE || code + len > ROM_RESET) {
            g_set_error(err, IOEMU_ERROR, 0, "rom16: case %d does not fit", i);
            return false;
        }
        for (int r = 0; r < 8; r++) {
            regs[r] = (uint32_t)in->regs.gpr[r];
        }
        memcpy(e, regs, sizeof(regs));
        memcpy(e + 32, hw, sizeof(hw));
        memcpy(e + 40, &in->seed16, 4);
        memcpy(rom + code, in->code + in->entry, len);
        code += len;
    }
    /* reset vector: jmp far F000:0000 */
    memcpy(rom + ROM_RESET, (const uint8_t[]){ 0xea, 0x00, 0x00, 0x00, 0xf0 }, 5);
    return true;
}

/*
 * Record: "RC", u16 index, then SS GS FS ES DS, EDI ESI EBP ESP EBX EDX
 * ECX EAX, vector, IP CS FLAGS (50 bytes), then (u16 offset, u8 value) for
 * every byte of the data segment that changed, then u16 0xffff.
 */
#define REC_FRAME 50
#define SEG_BYTES (DIFF16_DATA_SIZE + DIFF16_STACK_SIZE)

static uint16_t rd16(const uint8_t *p)
{
    return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t rd32(const uint8_t *p)
{
    return (uint32_t)rd16(p) | (uint32_t)rd16(p + 2) << 16;
}

int rom16_parse(const uint8_t *con, size_t len, const DiffInput *const *cases, int n, DiffResult *out,
                bool *have)
{
    static const int pushad_order[8] = { R_DI, R_SI, R_BP, R_SP, R_BX, R_DX, R_CX, R_AX };
    uint8_t seg[SEG_BYTES];
    size_t pos = 0;
    int got = 0;

    for (int i = 0; i < n; i++) {
        have[i] = false;
    }
    while (pos + 4 + REC_FRAME + 2 <= len && con[pos] == 'R' && con[pos + 1] == 'C') {
        const uint8_t *r = con + pos + 4;
        int i = rd16(con + pos + 2);
        DiffResult *o;
        uint32_t esp;
        size_t p;

        if (i >= n) {
            break;
        }
        o = &out[i];
        memset(o, 0, sizeof(*o));
        for (int k = 0; k < 8; k++) {
            o->regs.gpr[pushad_order[k]] = rd32(r + 10 + 4 * k);
        }
        /* PUSHAD saw SP after the CPU's FLAGS/CS/IP and the stub's vector: 8 bytes lower. */
        esp = (uint32_t)o->regs.gpr[R_SP];
        o->regs.gpr[R_SP] = (esp & 0xffff0000u) | (uint16_t)(esp + 8);
        o->vector = rd16(r + 42);
        o->regs.rip = rd16(r + 44);
        o->regs.rflags = rd16(r + 48);
        diff16_fill(cases[i]->seed16, seg, SEG_BYTES);
        for (p = pos + 4 + REC_FRAME; p + 2 <= len; p += 3) {
            uint16_t off = rd16(con + p);

            if (off == 0xffff) {
                break;
            }
            if (p + 3 > len || off >= SEG_BYTES) {
                p = len;
                break;
            }
            seg[off] = con[p + 2];
        }
        if (p + 2 > len) {
            break;      /* cut short: the record is incomplete */
        }
        /*
         * The 58 bytes below the final SP hold what the exception and the
         * handler pushed (FLAGS with its undefined bits, registers that
         * may be undefined): not the snippet's doing, so not compared.
         */
        for (int k = 1; k <= 8 + REC_FRAME; k++) {
            uint16_t off = (uint16_t)(o->regs.gpr[R_SP] - (uint64_t)k);

            if (off < SEG_BYTES) {
                seg[off] = 0;
            }
        }
        memcpy(o->data, seg, DIFF16_DATA_SIZE);
        memcpy(o->stack, seg + DIFF16_DATA_SIZE, DIFF16_STACK_SIZE);
        if (rd16(r + 46) != DIFF16_CODE_SEG) {
            o->outcome = DIFF_OUT_EXCEPTION;
            o->vector = o->vector | 0x100;      /* raised outside the snippet's code segment */
        } else if (o->vector == VEC_BP && o->regs.rip == cases[i]->end) {
            o->outcome = DIFF_OUT_END;
        } else {
            o->outcome = DIFF_OUT_EXCEPTION;
        }
        have[i] = true;
        got++;
        pos = p + 2;
    }
    return got;
}

/* ---- QEMU ---- */

static const char *qemu_binary(void)
{
    const char *b = g_getenv("TCG_DIFF_QEMU");

    return b && *b ? b : "qemu-system-x86_64";
}

bool qemu16_available(GError **err)
{
    char *path = g_find_program_in_path(qemu_binary());

    if (!path) {
        g_set_error(err, IOEMU_ERROR, 0, "%s not found (the oracle of 16-bit code)", qemu_binary());
        return false;
    }
    g_free(path);
    return true;
}

bool qemu16_run(const uint8_t *rom, uint8_t **con, size_t *con_len, int timeout_ms, GError **err)
{
    char *dir = g_dir_make_tmp("tcg-diff-qemu16.XXXXXX", err);
    char *rom_path, *out_path, *dbg;
    bool ok = false;
    pid_t pid;
    int status = 0;
    struct timespec t0, t1;

    *con = NULL;
    *con_len = 0;
    if (!dir) {
        return false;
    }
    rom_path = g_build_filename(dir, "rom16.bin", NULL);
    out_path = g_build_filename(dir, "debugcon.bin", NULL);
    dbg = g_strdup_printf("file:%s", out_path);
    if (!g_file_set_contents(rom_path, (const char *)rom, ROM16_SIZE, err)) {
        goto out;
    }
    fflush(NULL);
    pid = fork();
    if (pid < 0) {
        g_set_error(err, IOEMU_ERROR, 0, "qemu16: fork: %s", g_strerror(errno));
        goto out;
    }
    if (pid == 0) {
        int nul = open("/dev/null", O_RDWR);

        if (nul >= 0) {
            dup2(nul, 0);
            dup2(nul, 1);
        }
        execlp(qemu_binary(), qemu_binary(), "-accel", "tcg", "-cpu", "max", "-M", "pc", "-m", "16", "-nodefaults",
               "-display", "none", "-no-reboot", "-bios", rom_path, "-debugcon", dbg,
               "-device", "isa-debug-exit,iobase=0xf4,iosize=1", (char *)NULL);
        _exit(127);
    }
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (;;) {
        pid_t w = waitpid(pid, &status, WNOHANG);

        if (w == pid) {
            break;
        }
        clock_gettime(CLOCK_MONOTONIC, &t1);
        if ((t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000 > timeout_ms) {
            kill(pid, SIGKILL);
            waitpid(pid, &status, 0);
            break;
        }
        g_usleep(2000);
    }
    if (WIFEXITED(status) && WEXITSTATUS(status) == 127) {
        g_set_error(err, IOEMU_ERROR, 0, "qemu16: cannot run %s", qemu_binary());
        goto out;
    }
    {
        char *data = NULL;
        gsize len = 0;

        if (!g_file_get_contents(out_path, &data, &len, NULL)) {
            data = g_malloc0(1);
            len = 0;
        }
        *con = (uint8_t *)data;
        *con_len = len;
    }
    ok = true;
out:
    unlink(rom_path);
    unlink(out_path);
    rmdir(dir);
    g_free(rom_path);
    g_free(out_path);
    g_free(dbg);
    g_free(dir);
    return ok;
}
