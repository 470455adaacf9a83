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
/* IDE slots of the pc board: index = bus * 2 + unit (ide.0 / ide.1, units 0 and 1). */
#define CMDLINE_IDE_SLOTS  4

/*
 * One -drive (or -hda..-hdd, -cdrom).  QEMU's keys: file=, if=ide|none,
 * index=, bus=, unit=, media=disk|cdrom, format=raw|qcow2, readonly=,
 * cache=, id=, and aio=/discard=/werror=/rerror=/detect-zeroes=/snapshot=off
 * accepted for compatibility.  An if=none drive is attached by
 * -device ide-hd|ide-cd,drive=ID[,bus=ide.N][,unit=U][,bootindex=B].
 */
typedef struct CmdlineDrive {
    char *id;                     /* id=, NULL if none */
    char *file;                   /* NULL: no medium (CD-ROM only) */
    char *format;                 /* NULL: probe */
    char *cache;                  /* NULL: writeback */
    bool if_none;                 /* if=none: only -device attaches it */
    bool cdrom;                   /* media=cdrom / -device ide-cd */
    bool readonly;
    int index, bus, unit;         /* -1: not given */
    bool has_bootindex;           /* -device ...,bootindex= */
    int bootindex;
    bool attached;                /* claimed by a -device */
} CmdlineDrive;

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

    GPtrArray *drives;            /* CmdlineDrive *: every -drive, -hdX and -cdrom in order */
    GPtrArray *ide_devices;       /* char *: every -device ide-hd/ide-cd option string */
    CmdlineDrive *ide[CMDLINE_IDE_SLOTS];   /* after cmdline_parse: what sits in each IDE slot */

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

/*
 * Parse one -drive value into a new CmdlineDrive (not yet placed on a bus).
 * `option` names the option in messages.
 */
CmdlineDrive *cmdline_parse_drive(const char *option, const char *arg, GError **err);
void cmdline_drive_free(CmdlineDrive *d);

/* A BIOS image must exist, be a regular file and be 64 KiB..16 MiB in 64 KiB units (as QEMU's pc does). */
bool cmdline_check_bios(const char *path, GError **err);

const char *accel_kind_name(AccelKind kind);

void cmdline_print_help(FILE *f);
void cmdline_print_version(FILE *f);

#endif
