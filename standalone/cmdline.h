/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The standalone emulator's command line, in QEMU's spelling.
 *
 * Parsing only turns argv into a CmdlineOptions and checks every value it
 * can check without side effects (sizes, numbers, option keys, device
 * models, file existence and size of -bios).  Opening chardevs, /dev/kvm
 * and building the board is main.c's job.  Every error is one GError with a
 * message that names the option and the offending value.
 */
#ifndef STANDALONE_CMDLINE_H
#define STANDALONE_CMDLINE_H

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#define CMDLINE_MAX_SERIAL 4

/* Which accelerator runs the guest. */
typedef enum {
    ACCEL_DEFAULT,   /* none named: KVM if /dev/kvm is usable, else TCG */
    ACCEL_KVM,
    ACCEL_TCG,
    ACCEL_QTEST,
} AccelKind;

typedef struct CmdlineOptions {
    /* -machine / -M: only "pc" (and its pc-i440fx-* aliases) exists. */
    char *machine;
    /*
     * Accelerators to try, in order ("-accel kvm", "-machine accel=kvm:tcg",
     * "-enable-kvm").  Empty means ACCEL_DEFAULT.
     */
    AccelKind accel[4];
    int n_accel;

    uint64_t ram_size;            /* bytes; -m (default 128 MiB) */
    char *bios_path;              /* -bios, NULL = board default */
    int smp_cpus;                 /* -smp (default 1) */

    /* -serial specs in order; "none" keeps the index but leaves the port out. */
    char *serial[CMDLINE_MAX_SERIAL];
    int n_serial;
    GPtrArray *chardevs;          /* char *: every -chardev option string */

    bool nographic;
    bool display_none;
    bool no_reboot;
    bool no_shutdown;
    bool nodefaults;
    bool start_paused;            /* -S */

    bool debug_exit;              /* -device isa-debug-exit */
    uint16_t debug_exit_iobase;
    uint16_t debug_exit_iosize;

    char *debugcon;               /* -debugcon SPEC */
    char *boot_order;             /* -boot order=/once= or plain letters */
    char *qtest;                  /* -qtest SPEC */
    char *qtest_log;              /* -qtest-log FILE */
    char *name;                   /* -name */
    char *log_items;              /* -d */
    char *log_file;               /* -D */

    bool show_help;
    bool show_version;
    /* "-device help", "-machine help", ...: print this and exit 0. */
    char *help_text;
} CmdlineOptions;

/* Defaults (128 MiB, 1 CPU, ...). */
void cmdline_options_init(CmdlineOptions *opts);
void cmdline_options_clear(CmdlineOptions *opts);

/*
 * Parse argv[1..argc-1] into opts (which cmdline_options_init prepared).
 * Returns false with *err set on the first invalid option or value.
 */
bool cmdline_parse(int argc, char **argv, CmdlineOptions *opts, GError **err);

/*
 * A memory size as -m takes it: a plain number is MiB; a K, M, G or T
 * suffix (either case, optional trailing B/iB) scales it.  Overflow,
 * garbage and zero are errors.
 */
bool cmdline_parse_mem_size(const char *s, uint64_t *bytes, GError **err);

/* A BIOS image must exist, be a regular file and be 64 KiB..16 MiB in 64 KiB units (as QEMU's pc does). */
bool cmdline_check_bios(const char *path, GError **err);

const char *accel_kind_name(AccelKind kind);

void cmdline_print_help(FILE *f);
void cmdline_print_version(FILE *f);

#endif
