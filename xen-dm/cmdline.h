/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * xen-dm's command line: the one libxl 4.17 builds for a qemu-xen HVM
 * guest (xen-interface.md 6.1-6.2; xen tools/libs/light/libxl_dm.c), in
 * QEMU's spelling.  Every option libxl may pass is recognised; one that
 * asks for something not built yet (a VNC server, a NIC or display model,
 * IDE disks, USB, a PV-only instance) is refused with one line naming the
 * option, never ignored.  Parsing has no side effects: chardevs, files and
 * Xen are touched only by main.c afterwards.
 */
#ifndef XEN_DM_CMDLINE_H
#define XEN_DM_CMDLINE_H

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#define XENDM_MAX_SERIAL    4
#define XENDM_IDE_SLOTS     4       /* index = bus * 2 + unit */

/* One -drive (libxl: if=ide,index=I for disks; if=none,id=ide-N + -device ide-cd for CD-ROMs). */
typedef struct XenDmDrive {
    char *id;
    char *file;                     /* NULL: an empty CD-ROM drive */
    char *format;                   /* NULL: probe */
    char *cache;                    /* NULL: writeback */
    bool readonly;
    bool cdrom;
    bool if_none;                   /* placed by -device ide-cd/ide-hd */
    int index;                      /* -1 until placed */
} XenDmDrive;

typedef struct XenDmOptions {
    uint32_t domid;
    bool have_domid;
    bool no_shutdown;
    bool no_reboot;
    bool start_paused;              /* -S: "prelaunch" until cont */
    bool nodefaults;
    bool xen_platform;              /* -machine xenfv (true) or pc,accel=xen (false) */
    bool acpi;                      /* false with -no-acpi */
    bool disable_s3, disable_s4;    /* -global PIIX4_PM.disable_s3=1 / disable_s4=1 */
    char *name;                     /* -name */
    uint64_t ram_size;              /* -m, bytes */
    uint64_t max_ram_below_4g;      /* -machine max-ram-below-4g= (0 = default) */
    unsigned smp_cpus, max_cpus;
    char *boot_order;               /* -boot order=... */

    GPtrArray *chardevs;            /* -chardev option strings */
    GPtrArray *qmp_chardevs;        /* chardev ids of -mon mode=control */
    GPtrArray *qmp_specs;           /* -qmp short-form specs */
    char *serial[XENDM_MAX_SERIAL]; /* -serial specs (NULL = none) */
    int n_serial;
    GPtrArray *devices;             /* -device option strings */
    GPtrArray *drives;              /* XenDmDrive *, every -drive */
    XenDmDrive *ide[XENDM_IDE_SLOTS];   /* placed IDE drives (pointers into drives) */

    int incoming_fd;                /* -incoming fd:N, -1 = none */
    bool domid_restrict;            /* -xen-domid-restrict */
    char *chroot_dir;               /* -chroot */
    char *runas;                    /* -runas user[:group] | uid:gid */
    char *pidfile;                  /* -pidfile */
    int64_t ioreq_poll_ns;          /* -ioreq-poll-max-ns: adaptive polling after an answer (0 = off) */

    char *log_items;                /* -d */
    char *log_file;                 /* -D */
    bool show_help, show_version;
} XenDmOptions;

void xendm_options_init(XenDmOptions *o);
void xendm_options_clear(XenDmOptions *o);

/* Parse argv[1..argc-1].  false + err (one line, naming the option) on the first problem. */
bool xendm_parse_args(int argc, char **argv, XenDmOptions *o, GError **err);

void xendm_print_help(FILE *out);

/* Parse a QEMU size ("2040" = MiB, "2G", "512M", "4096k"); false if malformed or zero. */
bool xendm_parse_size(const char *s, uint64_t default_unit, uint64_t *out);

#endif
