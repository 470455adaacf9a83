/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The standalone `ioemu` binary: QEMU-style command line (cmdline.c), the
 * pc board, an accelerator (KVM, or the qtest protocol with no CPU), and
 * the machine hooks that turn guest requests (reset, power off, exit code)
 * into what the options ask for.
 *
 * Start-up is a sequence of steps, each undone on the way out in reverse:
 * options -> log -> main loop -> chardevs -> accelerator -> board ->
 * qtest / vCPUs -> run.  Every start-up failure is one "ioemu: ..." line
 * on stderr and exit status 1.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>
#include <glib-unix.h>

#include "block/block.h"
#include "hw/core/clock.h"
#include "hw/core/log.h"
#include "hw/core/machine.h"
#include "hw/core/mainloop.h"
#include "hw/i386/pc.h"
#include "standalone/cmdline.h"
#include "standalone/kvm/kvm.h"
#include "hw/intc/i8259.h"
#include "target/i386/tcg-accel.h"
#include "standalone/qtest.h"
#include "ui/chardev.h"

/* Where the IOAPIC-less SeaBIOS console lives: COM1 (fw_cfg "etc/sercon-port"). */
#define SERCON_PORT_COM1 0x3f8

typedef struct Emulator {
    CmdlineOptions opts;
    AccelKind accel;
    GPtrArray *chardevs;          /* Chardev *: everything we created, freed at exit */
    GHashTable *named_chardevs;   /* id -> Chardev * from -chardev */
    GHashTable *used_chardevs;    /* Chardev * already given to a frontend */
    PCConfig pc;
    Machine *m;
    KvmAccel *kvm;
    TcgAccel *tcg;
    QTestServer *qtest;
    int exit_status;
    gint reset_pending;
} Emulator;

/* The one emulator this process runs; the machine hooks and signal handlers reach it here. */
static Emulator emu;

static void G_GNUC_PRINTF(1, 2) die(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("ioemu: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    exit(1);
}

static void die_error(GError *err)
{
    die("%s", err->message);
}

/* ---- character devices ---- */

static void create_named_chardevs(Emulator *e)
{
    for (guint i = 0; i < e->opts.chardevs->len; i++) {
        const char *opts = e->opts.chardevs->pdata[i];
        GError *err = NULL;
        Chardev *chr = chardev_new_from_opts(opts, &err);
        if (!chr) {
            die("-chardev %s: %s", opts, err->message);
        }
        g_ptr_array_add(e->chardevs, chr);
        const char *id = chardev_id(chr);
        if (g_hash_table_contains(e->named_chardevs, id)) {
            die("-chardev %s: duplicate chardev id '%s'", opts, id);
        }
        g_hash_table_insert(e->named_chardevs, g_strdup(id), chr);
    }
}

/*
 * Resolve a frontend's chardev spec: "chardev:ID" names a -chardev, "none"
 * means no device (NULL), anything else is a short-form backend.
 */
static Chardev *chardev_for(Emulator *e, const char *option, const char *id, const char *spec,
                            bool *absent)
{
    Chardev *chr;

    *absent = false;
    if (!strcmp(spec, "none")) {
        *absent = true;
        return NULL;
    }
    if (g_str_has_prefix(spec, "chardev:")) {
        const char *name = spec + strlen("chardev:");
        chr = g_hash_table_lookup(e->named_chardevs, name);
        if (!chr) {
            die("%s %s: no -chardev with id '%s'", option, spec, name);
        }
    } else {
        GError *err = NULL;
        chr = chardev_new_from_spec(id, spec, &err);
        if (!chr) {
            die("%s %s: %s", option, spec, err->message);
        }
        g_ptr_array_add(e->chardevs, chr);
    }
    if (g_hash_table_contains(e->used_chardevs, chr)) {
        die("%s %s: chardev '%s' is already in use", option, spec, chardev_id(chr));
    }
    g_hash_table_add(e->used_chardevs, chr);
    return chr;
}

static void setup_consoles(Emulator *e)
{
    bool absent;
    int n = e->opts.n_serial;

    create_named_chardevs(e);
    for (int i = 0; i < n; i++) {
        g_autofree char *id = g_strdup_printf("serial%d", i);
        e->pc.serial[i] = chardev_for(e, "-serial", id, e->opts.serial[i], &absent);
    }
    /* -nographic: like QEMU, the first serial port goes to stdio unless told otherwise. */
    if (n == 0 && e->opts.nographic && !e->opts.nodefaults) {
        e->pc.serial[0] = chardev_for(e, "-nographic", "serial0", "stdio", &absent);
    }
    if (e->opts.debugcon) {
        e->pc.debugcon = chardev_for(e, "-debugcon", "debugcon", e->opts.debugcon, &absent);
    }
}

/* ---- disks ---- */

/* Open the images of the IDE slots the command line filled (CD-ROMs read-only, as QEMU). */
static void open_drives(Emulator *e)
{
    for (int i = 0; i < CMDLINE_IDE_SLOTS; i++) {
        CmdlineDrive *d = e->opts.ide[i];
        BlockCacheMode cache = BLK_CACHE_WRITEBACK;
        GError *err = NULL;

        if (!d) {
            continue;
        }
        e->pc.ide_cdrom[i] = d->cdrom;
        e->pc.ide_has_bootindex[i] = d->has_bootindex;
        e->pc.ide_bootindex[i] = d->bootindex;
        if (!d->file) {
            continue;
        }
        if (d->cache) {
            blk_parse_cache_mode(d->cache, &cache);
        }
        e->pc.ide_drives[i] = blk_open(d->file, d->format, d->readonly || d->cdrom ? 0 : BLK_OPEN_RDWR,
                                       cache, &err);
        if (!e->pc.ide_drives[i]) {
            die("-drive file=%s: %s", d->file, err->message);
        }
    }
}

static void close_drives(Emulator *e)
{
    for (int i = 0; i < CMDLINE_IDE_SLOTS; i++) {
        if (e->pc.ide_drives[i]) {
            blk_close(e->pc.ide_drives[i]);
            e->pc.ide_drives[i] = NULL;
        }
    }
}

/* ---- machine hooks ---- */

static void request_quit(Emulator *e, int status)
{
    e->exit_status = status;
    if (e->kvm) {
        kvm_accel_request_stop(e->kvm);
    }
    tcg_accel_request_stop(e->tcg);
    mainloop_quit();
}

/* Runs on the main loop thread, outside any device access, so it may wait for the vCPUs. */
static void system_reset_bh(void *opaque)
{
    Emulator *e = opaque;

    g_atomic_int_set(&e->reset_pending, 0);
    if (mainloop_quit_requested()) {
        return;
    }
    if (e->kvm) {
        log_cat(LOG_KVM, "kvm: system reset\n");
        kvm_accel_pause(e->kvm);
    }
    if (e->tcg) {
        tcg_accel_pause(e->tcg);
    }
    device_list_reset(e->m->devices, RESET_HARD);
    as_commit(e->m->mem);
    if (e->kvm) {
        kvm_accel_reset(e->kvm);
        kvm_accel_resume(e->kvm);
    }
    if (e->tcg) {
        tcg_accel_reset(e->tcg);
        tcg_accel_resume(e->tcg);
    }
}

/* Called with the device lock held, on the main loop or a vCPU thread. */
static void machine_hook_request(Machine *m, ShutdownCause cause, int exit_code)
{
    Emulator *e = &emu;

    switch (cause) {
    case SHUTDOWN_CAUSE_GUEST_RESET:
        if (e->opts.no_reboot) {
            request_quit(e, 0);
            return;
        }
        /* Stop the guest now; the reset itself runs on the main loop. */
        if (e->kvm) {
            kvm_accel_request_stop(e->kvm);
        }
        tcg_accel_request_stop(e->tcg);
        if (g_atomic_int_compare_and_exchange(&e->reset_pending, 0, 1)) {
            mainloop_call_soon(system_reset_bh, e);
        }
        return;
    case SHUTDOWN_CAUSE_GUEST_EXIT:
        request_quit(e, exit_code);
        return;
    case SHUTDOWN_CAUSE_GUEST_POWEROFF:
        if (e->opts.no_shutdown) {
            /* QEMU's -no-shutdown: the guest stays stopped, the process stays up. */
            if (e->kvm) {
                kvm_accel_request_stop(e->kvm);
            }
            tcg_accel_request_stop(e->tcg);
            clock_virtual_enable(false);
            return;
        }
        request_quit(e, 0);
        return;
    case SHUTDOWN_CAUSE_HOST:
        request_quit(e, exit_code);
        return;
    case SHUTDOWN_CAUSE_NONE:
        return;
    }
}

static gboolean on_signal(gpointer opaque)
{
    int sig = GPOINTER_TO_INT(opaque);

    fprintf(stderr, "ioemu: terminating on signal %d\n", sig);
    request_quit(&emu, 0);
    return G_SOURCE_CONTINUE;
}

/* ---- accelerator ---- */

/* The CPU's interrupt acknowledge under TCG: the PIC's two INTA cycles. */
static int pic_intack(void *opaque)
{
    return opaque ? i8259_intack(opaque) : -1;
}

/* Pick the first usable accelerator of the list (QEMU's accel=kvm:tcg rule). */
static void choose_accel(Emulator *e)
{
    AccelKind list[4];
    int n = e->opts.n_accel;
    GString *why = g_string_new(NULL);

    memcpy(list, e->opts.accel, sizeof(list));
    if (n == 0) {
        /* No accelerator named: -qtest implies the qtest one, else KVM when it works. */
        if (e->opts.qtest) {
            list[n++] = ACCEL_QTEST;
        } else {
            list[n++] = ACCEL_KVM;
            list[n++] = ACCEL_TCG;
        }
    }
    for (int i = 0; i < n; i++) {
        GError *err = NULL;
        switch (list[i]) {
        case ACCEL_KVM:
            e->kvm = kvm_accel_new(e->opts.smp_cpus, &err);
            if (e->kvm) {
                e->accel = ACCEL_KVM;
                g_string_free(why, true);
                return;
            }
            g_string_append_printf(why, "%s%s", why->len ? "; " : "", err->message);
            g_error_free(err);
            break;
        case ACCEL_TCG: {
            TcgAccelConfig cfg = { .icount_shift = -1 };
            e->tcg = tcg_accel_new(&cfg, &err);
            if (e->tcg) {
                e->accel = ACCEL_TCG;
                g_string_free(why, true);
                return;
            }
            g_string_append_printf(why, "%s-accel tcg: %s", why->len ? "; " : "", err->message);
            g_error_free(err);
            break;
        }
        case ACCEL_QTEST:
            e->accel = ACCEL_QTEST;
            g_string_free(why, true);
            return;
        default:
            break;
        }
    }
    die("%s", why->str);
}

/* ---- main ---- */

static void setup_logging(Emulator *e)
{
    char *msg = NULL;

    if (!log_apply_env(&msg)) {
        die("%s", msg);
    }
    if (e->opts.log_items) {
        if (!strcmp(e->opts.log_items, "help")) {
            log_print_help(stdout);
            exit(0);
        }
        if (!log_set_mask_str(e->opts.log_items, &msg)) {
            die("-d %s: %s", e->opts.log_items, msg);
        }
    }
    if (e->opts.log_file) {
        FILE *f = fopen(e->opts.log_file, "a");
        if (!f) {
            die("-D %s: %s", e->opts.log_file, g_strerror(errno));
        }
        fclose(f);
        log_set_file(e->opts.log_file);
    }
}

int main(int argc, char **argv)
{
    Emulator *e = &emu;
    GError *err = NULL;

    g_set_prgname("ioemu");
    cmdline_options_init(&e->opts);
    if (!cmdline_parse(argc, argv, &e->opts, &err)) {
        die_error(err);
    }
    if (e->opts.show_help) {
        cmdline_print_help(stdout);
        return 0;
    }
    if (e->opts.show_version) {
        cmdline_print_version(stdout);
        return 0;
    }
    if (e->opts.help_text) {
        fputs(e->opts.help_text, stdout);
        return 0;
    }
    setup_logging(e);
    if (e->opts.qtest_log && !e->opts.qtest) {
        die("-qtest-log needs -qtest");
    }

    /* A vanished socket peer must be an error return, not a process kill. */
    signal(SIGPIPE, SIG_IGN);
    mainloop_init();   /* from here on this thread holds the device lock */

    e->chardevs = g_ptr_array_new();
    e->named_chardevs = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    e->used_chardevs = g_hash_table_new(g_direct_hash, g_direct_equal);
    setup_consoles(e);

    choose_accel(e);
    if (e->opts.qtest && e->accel != ACCEL_QTEST) {
        die("-qtest: the qtest protocol needs -accel qtest (not %s)", accel_kind_name(e->accel));
    }
    if (e->accel == ACCEL_QTEST) {
        /* No CPU: guest time moves only when the test says so. */
        clock_set_manual(true);
    }

    e->pc.ram_size = e->opts.ram_size;
    e->pc.bios_path = e->opts.bios_path;
    e->pc.smp_cpus = e->opts.smp_cpus;
    e->pc.boot_order = e->opts.boot_order;
    e->pc.debug_exit = e->opts.debug_exit;
    e->pc.debug_exit_iobase = e->opts.debug_exit_iobase;
    e->pc.debug_exit_iosize = e->opts.debug_exit_iosize;
    e->pc.sercon_port = e->opts.nographic ? SERCON_PORT_COM1 : 0;
    if (e->kvm) {
        e->pc.kernel_irqchip = true;
        e->pc.gsi_sink = kvm_accel_set_gsi;
        e->pc.gsi_opaque = e->kvm;
    }
    open_drives(e);
    e->m = pc_create(&e->pc, &err);
    if (!e->m) {
        die_error(err);
    }
    e->m->hooks.request = machine_hook_request;

    if (e->opts.qtest) {
        bool absent;
        Chardev *chr = chardev_for(e, "-qtest", "qtest", e->opts.qtest, &absent);
        if (absent) {
            die("-qtest none: the qtest protocol needs a chardev");
        }
        e->qtest = qtest_attach_machine_chr(e->m, chr, &err);
        if (!e->qtest) {
            die("-qtest %s: %s", e->opts.qtest, err->message);
        }
        if (e->opts.qtest_log && !qtest_server_set_log(e->qtest, e->opts.qtest_log, &err)) {
            die("-qtest-log %s: %s", e->opts.qtest_log, err->message);
        }
    }
    if (e->kvm) {
        if (!kvm_accel_attach(e->kvm, e->m, &err) ||
            !kvm_accel_start(e->kvm, e->opts.start_paused, &err)) {
            die_error(err);
        }
        if (e->opts.start_paused) {
            clock_virtual_enable(false);
        }
    }

    if (e->tcg) {
        /* TCG: the userspace PIC's INTR reaches the vCPU, which acknowledges through it. */
        pc_set_cpu_intr_handler(e->m, tcg_accel_set_intr, e->tcg);
        if (!tcg_accel_attach(e->tcg, e->m, pic_intack, pc_pic(e->m), &err) ||
            !tcg_accel_start(e->tcg, e->opts.start_paused, &err)) {
            die_error(err);
        }
        if (e->opts.start_paused) {
            clock_virtual_enable(false);
        }
    }

    g_unix_signal_add(SIGINT, on_signal, GINT_TO_POINTER(SIGINT));
    g_unix_signal_add(SIGTERM, on_signal, GINT_TO_POINTER(SIGTERM));
    g_unix_signal_add(SIGHUP, on_signal, GINT_TO_POINTER(SIGHUP));

    mainloop_run();

    /* Teardown: the exact reverse of the steps above. */
    kvm_accel_free(e->kvm);
    e->kvm = NULL;
    tcg_accel_free(e->tcg);
    e->tcg = NULL;
    if (e->qtest) {
        qtest_detach_machine(e->qtest);
        e->qtest = NULL;
    }
    pc_destroy(e->m);
    e->m = NULL;
    close_drives(e);
    for (guint i = 0; i < e->chardevs->len; i++) {
        chardev_free(e->chardevs->pdata[i]);
    }
    g_ptr_array_free(e->chardevs, true);
    g_hash_table_destroy(e->named_chardevs);
    g_hash_table_destroy(e->used_chardevs);
    cmdline_options_clear(&e->opts);
    fflush(stdout);
    return e->exit_status;
}
