/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * QEMU-style command line of the standalone emulator.  See cmdline.h.
 *
 * Option values that take sub-options use QEMU's "keyval" form:
 * "VALUE,key=value,key=value" where the first element may omit its key
 * (the option's implied key) and ",," stands for a literal comma.
 */
#include "standalone/cmdline.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "block/block.h"
#include "hw/core/device.h"
#include "hw/core/keyval.h"

#define IOEMU_VERSION "0.1"

#define DEFAULT_RAM_SIZE   (128ull << 20)
/* Largest -m accepted: the pc board's guest-physical space is 1 TiB. */
#define MAX_RAM_SIZE       (1ull << 40)
/* The pc board takes at least 1 MiB (the BIOS area alone is 1 MiB). */
#define MIN_RAM_SIZE       (1ull << 20)
/* i440FX boards address at most 255 CPUs through xAPIC ids. */
#define MAX_SMP_CPUS       255

#define BIOS_SIZE_UNIT     (64u << 10)
#define BIOS_SIZE_MAX      (16u << 20)

/* QEMU's isa-debug-exit defaults. */
#define DEBUG_EXIT_DEFAULT_IOBASE 0x501
#define DEBUG_EXIT_DEFAULT_IOSIZE 0x02

/*
 * keyval_split() with the -machine/-drive/-device rules QEMU applies: an
 * empty string and an empty parameter name are errors, a later bare "flag"
 * means "flag=on", and a trailing comma is tolerated.
 */
static GPtrArray *keyval_parse(const char *option, const char *str, const char *implied_key,
                               GError **err)
{
    GPtrArray *list;

    if (*str == '\0') {
        g_set_error(err, IOEMU_ERROR, 0, "%s: empty value", option);
        return NULL;
    }
    list = keyval_split(str, implied_key);
    if (list->len > 1) {
        KeyVal *last = g_ptr_array_index(list, list->len - 1);

        if (last->key[0] == '\0' && !last->value) {
            g_ptr_array_remove_index(list, list->len - 1);   /* "a=b," */
        }
    }
    for (guint i = 0; i < list->len; i++) {
        KeyVal *kv = g_ptr_array_index(list, i);

        if (kv->key[0] == '\0') {
            g_set_error(err, IOEMU_ERROR, 0, "%s %s: empty parameter name", option, str);
            g_ptr_array_free(list, true);
            return NULL;
        }
        if (!kv->value) {
            kv->value = g_strdup("on");
        }
    }
    return list;
}

static bool parse_on_off(const char *option, const char *key, const char *value, bool *out,
                         GError **err)
{
    if (!strcmp(value, "on") || !strcmp(value, "yes") || !strcmp(value, "true")) {
        *out = true;
        return true;
    }
    if (!strcmp(value, "off") || !strcmp(value, "no") || !strcmp(value, "false")) {
        *out = false;
        return true;
    }
    g_set_error(err, IOEMU_ERROR, 0, "%s: %s=%s: expected 'on' or 'off'", option, key, value);
    return false;
}

bool cmdline_parse_mem_size(const char *s, uint64_t *bytes, GError **err)
{
    char *end;

    if (!s || !g_ascii_isdigit(s[0])) {
        g_set_error(err, IOEMU_ERROR, 0, "invalid memory size '%s'", s ? s : "");
        return false;
    }
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno == ERANGE) {
        g_set_error(err, IOEMU_ERROR, 0, "memory size '%s' is too large", s);
        return false;
    }
    unsigned shift;
    switch (*end) {
    case '\0':
        shift = 20;   /* a plain number is MiB */
        break;
    case 'b': case 'B':
        shift = 0;
        break;
    case 'k': case 'K':
        shift = 10;
        break;
    case 'm': case 'M':
        shift = 20;
        break;
    case 'g': case 'G':
        shift = 30;
        break;
    case 't': case 'T':
        shift = 40;
        break;
    default:
        g_set_error(err, IOEMU_ERROR, 0, "invalid memory size '%s'", s);
        return false;
    }
    if (*end) {
        end++;
        /* Accept "M", "MB", "MiB" alike (not after a plain B). */
        if (shift && (!g_ascii_strcasecmp(end, "b") || !g_ascii_strcasecmp(end, "ib"))) {
            end += strlen(end);
        }
        if (*end != '\0') {
            g_set_error(err, IOEMU_ERROR, 0, "invalid memory size '%s'", s);
            return false;
        }
    }
    if (v > (UINT64_MAX >> shift)) {
        g_set_error(err, IOEMU_ERROR, 0, "memory size '%s' is too large", s);
        return false;
    }
    v <<= shift;
    if (v == 0) {
        g_set_error(err, IOEMU_ERROR, 0, "memory size '%s' is zero", s);
        return false;
    }
    *bytes = v;
    return true;
}

bool cmdline_check_bios(const char *path, GError **err)
{
    struct stat st;

    if (stat(path, &st) < 0) {
        g_set_error(err, IOEMU_ERROR, 0, "-bios %s: %s", path, g_strerror(errno));
        return false;
    }
    if (!S_ISREG(st.st_mode)) {
        g_set_error(err, IOEMU_ERROR, 0, "-bios %s: not a regular file", path);
        return false;
    }
    if (st.st_size == 0 || st.st_size % BIOS_SIZE_UNIT || st.st_size > BIOS_SIZE_MAX) {
        g_set_error(err, IOEMU_ERROR, 0,
                    "-bios %s: size %lld bytes is not a multiple of 64 KiB between 64 KiB and 16 MiB",
                    path, (long long)st.st_size);
        return false;
    }
    return true;
}

const char *accel_kind_name(AccelKind kind)
{
    switch (kind) {
    case ACCEL_KVM:
        return "kvm";
    case ACCEL_TCG:
        return "tcg";
    case ACCEL_QTEST:
        return "qtest";
    default:
        return "default";
    }
}

static bool accel_from_name(const char *option, const char *name, AccelKind *out, GError **err)
{
    if (!strcmp(name, "kvm")) {
        *out = ACCEL_KVM;
    } else if (!strcmp(name, "tcg")) {
        *out = ACCEL_TCG;
    } else if (!strcmp(name, "qtest")) {
        *out = ACCEL_QTEST;
    } else {
        g_set_error(err, IOEMU_ERROR, 0, "%s: unknown accelerator '%s' (known: kvm, tcg, qtest)",
                    option, name);
        return false;
    }
    return true;
}

static bool add_accel(CmdlineOptions *opts, const char *option, AccelKind kind, GError **err)
{
    if (opts->n_accel == (int)G_N_ELEMENTS(opts->accel)) {
        g_set_error(err, IOEMU_ERROR, 0, "%s: too many accelerators", option);
        return false;
    }
    opts->accel[opts->n_accel++] = kind;
    return true;
}

/* -machine accel=kvm:tcg: a ':' separated list, tried in order; replaces earlier choices. */
static bool parse_accel_list(CmdlineOptions *opts, const char *option, const char *list,
                             GError **err)
{
    g_auto(GStrv) names = g_strsplit(list, ":", -1);

    opts->n_accel = 0;
    for (int i = 0; names[i]; i++) {
        AccelKind kind;
        if (!accel_from_name(option, names[i], &kind, err) || !add_accel(opts, option, kind, err)) {
            return false;
        }
    }
    if (opts->n_accel == 0) {
        g_set_error(err, IOEMU_ERROR, 0, "%s: no accelerator named", option);
        return false;
    }
    return true;
}

static bool machine_type_known(const char *type)
{
    return !strcmp(type, "pc") || g_str_has_prefix(type, "pc-i440fx-");
}

static bool opt_machine(CmdlineOptions *opts, const char *option, const char *arg, GError **err)
{
    g_autoptr(GPtrArray) kvs = keyval_parse(option, arg, "type", err);
    if (!kvs) {
        return false;
    }
    for (guint i = 0; i < kvs->len; i++) {
        KeyVal *kv = kvs->pdata[i];
        if (!strcmp(kv->key, "type")) {
            if (!strcmp(kv->value, "help")) {
                g_free(opts->help_text);
                opts->help_text = g_strdup("Supported machines are:\n"
                                           "pc                   Standard PC (i440FX + PIIX, 1996)\n");
                continue;
            }
            if (!machine_type_known(kv->value)) {
                g_set_error(err, IOEMU_ERROR, 0,
                            "%s: unsupported machine type '%s' (use -machine help)", option, kv->value);
                return false;
            }
            g_free(opts->machine);
            opts->machine = g_strdup(kv->value);
        } else if (!strcmp(kv->key, "accel")) {
            if (!parse_accel_list(opts, option, kv->value, err)) {
                return false;
            }
        } else if (!strcmp(kv->key, "kernel-irqchip") || !strcmp(kv->key, "kernel_irqchip")) {
            bool on;
            if (!parse_on_off(option, kv->key, kv->value, &on, err)) {
                return false;
            }
            if (!on) {
                g_set_error(err, IOEMU_ERROR, 0,
                            "%s: kernel-irqchip=off is not supported (the KVM accelerator uses the in-kernel irqchip)",
                            option);
                return false;
            }
        } else {
            g_set_error(err, IOEMU_ERROR, 0, "%s: unsupported machine property '%s'", option, kv->key);
            return false;
        }
    }
    return true;
}

static bool opt_accel(CmdlineOptions *opts, const char *option, const char *arg, GError **err)
{
    g_autoptr(GPtrArray) kvs = keyval_parse(option, arg, "accel", err);
    if (!kvs) {
        return false;
    }
    for (guint i = 0; i < kvs->len; i++) {
        KeyVal *kv = kvs->pdata[i];
        if (!strcmp(kv->key, "accel")) {
            if (!strcmp(kv->value, "help")) {
                g_free(opts->help_text);
                opts->help_text = g_strdup("Accelerators supported in ioemu:\nkvm\ntcg\nqtest\n");
                continue;
            }
            /* Repeated -accel options are fallbacks tried in order, as in QEMU. */
            AccelKind kind;
            if (!accel_from_name(option, kv->value, &kind, err) || !add_accel(opts, option, kind, err)) {
                return false;
            }
        } else {
            g_set_error(err, IOEMU_ERROR, 0, "%s: unsupported accelerator property '%s'", option, kv->key);
            return false;
        }
    }
    return true;
}

static bool opt_mem(CmdlineOptions *opts, const char *option, const char *arg, GError **err)
{
    g_autoptr(GPtrArray) kvs = keyval_parse(option, arg, "size", err);
    if (!kvs) {
        return false;
    }
    for (guint i = 0; i < kvs->len; i++) {
        KeyVal *kv = kvs->pdata[i];
        if (strcmp(kv->key, "size")) {
            g_set_error(err, IOEMU_ERROR, 0, "%s: unsupported memory property '%s' (only size=)",
                        option, kv->key);
            return false;
        }
        uint64_t size;
        GError *local = NULL;
        if (!cmdline_parse_mem_size(kv->value, &size, &local)) {
            g_set_error(err, IOEMU_ERROR, 0, "%s: %s", option, local->message);
            g_error_free(local);
            return false;
        }
        if (size < MIN_RAM_SIZE) {
            g_set_error(err, IOEMU_ERROR, 0, "%s %s: at least 1 MiB of RAM is needed", option, kv->value);
            return false;
        }
        if (size > MAX_RAM_SIZE) {
            g_set_error(err, IOEMU_ERROR, 0, "%s %s: more than the maximum of 1 TiB", option, kv->value);
            return false;
        }
        opts->ram_size = size;
    }
    return true;
}

static bool opt_smp(CmdlineOptions *opts, const char *option, const char *arg, GError **err)
{
    g_autoptr(GPtrArray) kvs = keyval_parse(option, arg, "cpus", err);
    uint64_t cpus = 0, maxcpus = 0, sockets = 0, cores = 0, threads = 0;
    if (!kvs) {
        return false;
    }
    for (guint i = 0; i < kvs->len; i++) {
        KeyVal *kv = kvs->pdata[i];
        uint64_t *slot;
        if (!strcmp(kv->key, "cpus")) {
            slot = &cpus;
        } else if (!strcmp(kv->key, "maxcpus")) {
            slot = &maxcpus;
        } else if (!strcmp(kv->key, "sockets")) {
            slot = &sockets;
        } else if (!strcmp(kv->key, "cores")) {
            slot = &cores;
        } else if (!strcmp(kv->key, "threads")) {
            slot = &threads;
        } else {
            g_set_error(err, IOEMU_ERROR, 0, "%s: unsupported property '%s'", option, kv->key);
            return false;
        }
        if (!keyval_parse_uint(kv->value, MAX_SMP_CPUS, slot) || *slot == 0) {
            g_set_error(err, IOEMU_ERROR, 0, "%s: %s=%s: expected a number from 1 to %d",
                        option, kv->key, kv->value, MAX_SMP_CPUS);
            return false;
        }
    }
    uint64_t topo = (sockets ? sockets : 1) * (cores ? cores : 1) * (threads ? threads : 1);
    if (!cpus) {
        cpus = (sockets || cores || threads) ? topo : 1;
    }
    if (cpus > MAX_SMP_CPUS) {
        g_set_error(err, IOEMU_ERROR, 0, "%s %s: at most %d CPUs", option, arg, MAX_SMP_CPUS);
        return false;
    }
    if ((sockets || cores || threads) && topo < cpus) {
        g_set_error(err, IOEMU_ERROR, 0, "%s %s: topology holds %llu CPUs, fewer than cpus=%llu",
                    option, arg, (unsigned long long)topo, (unsigned long long)cpus);
        return false;
    }
    /* CPU hotplug does not exist here: maxcpus may only restate cpus. */
    if (maxcpus && maxcpus != cpus) {
        g_set_error(err, IOEMU_ERROR, 0, "%s %s: maxcpus must equal cpus (no CPU hotplug)", option, arg);
        return false;
    }
    opts->smp_cpus = (int)cpus;
    return true;
}

static bool opt_serial(CmdlineOptions *opts, const char *option, const char *arg, GError **err)
{
    if (opts->n_serial == CMDLINE_MAX_SERIAL) {
        g_set_error(err, IOEMU_ERROR, 0, "%s %s: at most %d serial ports", option, arg, CMDLINE_MAX_SERIAL);
        return false;
    }
    if (*arg == '\0') {
        g_set_error(err, IOEMU_ERROR, 0, "%s: empty chardev spec", option);
        return false;
    }
    opts->serial[opts->n_serial++] = g_strdup(arg);
    return true;
}

/* ---- disks: -drive, -hda..-hdd, -cdrom, -device ide-hd/ide-cd ---- */

void cmdline_drive_free(CmdlineDrive *d)
{
    if (!d) {
        return;
    }
    g_free(d->id);
    g_free(d->file);
    g_free(d->format);
    g_free(d->cache);
    g_free(d);
}

static void cmdline_drive_free_cb(gpointer p)
{
    cmdline_drive_free(p);
}

static bool parse_small_int(const char *option, const char *key, const char *value, int max, int *out,
                            GError **err)
{
    uint64_t v;

    if (!keyval_parse_uint(value, (uint64_t)max, &v)) {
        g_set_error(err, IOEMU_ERROR, 0, "%s: %s=%s: expected a number 0..%d", option, key, value, max);
        return false;
    }
    *out = (int)v;
    return true;
}

CmdlineDrive *cmdline_parse_drive(const char *option, const char *arg, GError **err)
{
    g_autoptr(GPtrArray) kvs = keyval_parse(option, arg, "file", err);
    CmdlineDrive *d;

    if (!kvs) {
        return NULL;
    }
    d = g_new0(CmdlineDrive, 1);
    d->index = d->bus = d->unit = -1;
    for (guint i = 0; i < kvs->len; i++) {
        KeyVal *kv = kvs->pdata[i];
        const char *k = kv->key, *v = kv->value;
        bool on;
        BlockCacheMode mode;

        if (!strcmp(k, "file")) {
            g_free(d->file);
            d->file = *v ? g_strdup(v) : NULL;
        } else if (!strcmp(k, "if")) {
            if (!strcmp(v, "none")) {
                d->if_none = true;
            } else if (!strcmp(v, "ide")) {
                d->if_none = false;
            } else {
                g_set_error(err, IOEMU_ERROR, 0, "%s: if=%s: unsupported interface (ide, none)", option, v);
                goto fail;
            }
        } else if (!strcmp(k, "index")) {
            if (!parse_small_int(option, k, v, CMDLINE_IDE_SLOTS - 1, &d->index, err)) {
                goto fail;
            }
        } else if (!strcmp(k, "bus")) {
            if (!parse_small_int(option, k, v, CMDLINE_IDE_SLOTS / 2 - 1, &d->bus, err)) {
                goto fail;
            }
        } else if (!strcmp(k, "unit")) {
            if (!parse_small_int(option, k, v, 1, &d->unit, err)) {
                goto fail;
            }
        } else if (!strcmp(k, "media")) {
            if (!strcmp(v, "disk")) {
                d->cdrom = false;
            } else if (!strcmp(v, "cdrom")) {
                d->cdrom = true;
            } else {
                g_set_error(err, IOEMU_ERROR, 0, "%s: media=%s: expected 'disk' or 'cdrom'", option, v);
                goto fail;
            }
        } else if (!strcmp(k, "format")) {
            if (strcmp(v, "raw") && strcmp(v, "qcow2")) {
                g_set_error(err, IOEMU_ERROR, 0, "%s: format=%s: unsupported image format (raw, qcow2)",
                            option, v);
                goto fail;
            }
            g_free(d->format);
            d->format = g_strdup(v);
        } else if (!strcmp(k, "readonly")) {
            if (!parse_on_off(option, k, v, &d->readonly, err)) {
                goto fail;
            }
        } else if (!strcmp(k, "cache")) {
            if (!blk_parse_cache_mode(v, &mode)) {
                g_set_error(err, IOEMU_ERROR, 0,
                            "%s: cache=%s: expected writeback, writethrough, none, directsync or unsafe",
                            option, v);
                goto fail;
            }
            g_free(d->cache);
            d->cache = g_strdup(v);
        } else if (!strcmp(k, "id")) {
            g_free(d->id);
            d->id = g_strdup(v);
        } else if (!strcmp(k, "snapshot")) {
            if (!parse_on_off(option, k, v, &on, err)) {
                goto fail;
            }
            if (on) {
                g_set_error(err, IOEMU_ERROR, 0, "%s: snapshot=on is not supported", option);
                goto fail;
            }
        } else if (!strcmp(k, "aio") || !strcmp(k, "discard") || !strcmp(k, "werror") ||
                   !strcmp(k, "rerror") || !strcmp(k, "detect-zeroes") || !strcmp(k, "copy-on-read")) {
            /* Accepted as QEMU spells them (libxl passes some); the block layer's defaults apply. */
        } else {
            g_set_error(err, IOEMU_ERROR, 0, "%s: unsupported drive property '%s'", option, k);
            goto fail;
        }
    }
    if (d->index >= 0 && (d->bus >= 0 || d->unit >= 0)) {
        g_set_error(err, IOEMU_ERROR, 0, "%s %s: index= cannot be used with bus= and unit=", option, arg);
        goto fail;
    }
    if (d->if_none && (d->index >= 0 || d->bus >= 0 || d->unit >= 0)) {
        g_set_error(err, IOEMU_ERROR, 0, "%s %s: if=none drives take no index/bus/unit (use -device)",
                    option, arg);
        goto fail;
    }
    if (d->if_none && !d->id) {
        g_set_error(err, IOEMU_ERROR, 0, "%s %s: if=none needs id=", option, arg);
        goto fail;
    }
    return d;

fail:
    cmdline_drive_free(d);
    return NULL;
}

static bool opt_drive(CmdlineOptions *opts, const char *option, const char *arg, GError **err)
{
    CmdlineDrive *d = cmdline_parse_drive(option, arg, err);

    if (!d) {
        return false;
    }
    if (d->id) {
        for (guint i = 0; i < opts->drives->len; i++) {
            CmdlineDrive *o = opts->drives->pdata[i];
            if (o->id && !strcmp(o->id, d->id)) {
                g_set_error(err, IOEMU_ERROR, 0, "%s %s: duplicate drive id '%s'", option, arg, d->id);
                cmdline_drive_free(d);
                return false;
            }
        }
    }
    g_ptr_array_add(opts->drives, d);
    return true;
}

/* -hda..-hdd FILE and -cdrom FILE: shorthands for -drive file=FILE,index=N[,media=cdrom]. */
static bool opt_drive_shorthand(CmdlineOptions *opts, const char *option, const char *arg, int index,
                                bool cdrom, GError **err)
{
    CmdlineDrive *d;

    if (*arg == '\0' && !cdrom) {
        g_set_error(err, IOEMU_ERROR, 0, "%s: empty file name", option);
        return false;
    }
    d = g_new0(CmdlineDrive, 1);
    d->index = index;
    d->bus = d->unit = -1;
    d->cdrom = cdrom;
    d->file = *arg ? g_strdup(arg) : NULL;
    g_ptr_array_add(opts->drives, d);
    return true;
}

/* -device ide-hd|ide-cd|ide-drive,...: checked now, placed when every -drive is known. */
static bool opt_ide_device(CmdlineOptions *opts, const char *option, const char *arg, GPtrArray *kvs,
                           GError **err)
{
    bool has_drive = false;

    for (guint i = 1; i < kvs->len; i++) {
        KeyVal *kv = kvs->pdata[i];
        int n;
        if (!strcmp(kv->key, "drive")) {
            has_drive = true;
        } else if (!strcmp(kv->key, "bus")) {
            if (strcmp(kv->value, "ide.0") && strcmp(kv->value, "ide.1")) {
                g_set_error(err, IOEMU_ERROR, 0, "%s: bus=%s: no such bus (ide.0, ide.1)", option, kv->value);
                return false;
            }
        } else if (!strcmp(kv->key, "unit")) {
            if (!parse_small_int(option, kv->key, kv->value, 1, &n, err)) {
                return false;
            }
        } else if (!strcmp(kv->key, "bootindex")) {
            if (!parse_small_int(option, kv->key, kv->value, 0x7fffffff, &n, err)) {
                return false;
            }
        } else if (!strcmp(kv->key, "id")) {
            /* names the device; nothing refers to it yet */
        } else {
            g_set_error(err, IOEMU_ERROR, 0, "%s: %s has no property '%s'", option,
                        ((KeyVal *)kvs->pdata[0])->value, kv->key);
            return false;
        }
    }
    if (!has_drive) {
        g_set_error(err, IOEMU_ERROR, 0, "%s %s: drive= is required", option, arg);
        return false;
    }
    g_ptr_array_add(opts->ide_devices, g_strdup(arg));
    return true;
}

static bool ide_slot_take(CmdlineOptions *opts, CmdlineDrive *d, int bus, int unit, const char *what,
                          GError **err)
{
    int index;

    if (bus < 0) {
        /* First free slot, bus 0 first (QEMU's drive_new without index). */
        for (index = 0; index < CMDLINE_IDE_SLOTS && opts->ide[index]; index++) {
        }
        if (index == CMDLINE_IDE_SLOTS) {
            g_set_error(err, IOEMU_ERROR, 0, "%s: no free IDE slot (ide.0 and ide.1 hold two units each)", what);
            return false;
        }
    } else if (unit < 0) {
        index = bus * 2;
        if (opts->ide[index]) {
            index++;
        }
        if (opts->ide[index]) {
            g_set_error(err, IOEMU_ERROR, 0, "%s: bus ide.%d has no free unit", what, bus);
            return false;
        }
    } else {
        index = bus * 2 + unit;
    }
    if (opts->ide[index]) {
        g_set_error(err, IOEMU_ERROR, 0, "%s: drive with bus=%d, unit=%d (index=%d) exists",
                    what, index / 2, index % 2, index);
        return false;
    }
    opts->ide[index] = d;
    return true;
}

/* Put every if=ide drive and every -device ide-* in its IDE slot, as QEMU would. */
static bool cmdline_place_drives(CmdlineOptions *opts, GError **err)
{
    for (guint i = 0; i < opts->drives->len; i++) {
        CmdlineDrive *d = opts->drives->pdata[i];
        g_autofree char *what = g_strdup_printf("-drive %s", d->file ? d->file : (d->id ? d->id : "(empty)"));
        if (d->if_none) {
            continue;
        }
        int bus = d->bus, unit = d->unit;
        if (d->index >= 0) {
            bus = d->index / 2;
            unit = d->index % 2;
        } else if (bus < 0 && unit >= 0) {
            bus = 0;
        }
        if (!ide_slot_take(opts, d, bus, unit, what, err)) {
            return false;
        }
    }
    for (guint i = 0; i < opts->ide_devices->len; i++) {
        const char *arg = opts->ide_devices->pdata[i];
        g_autoptr(GPtrArray) kvs = keyval_parse("-device", arg, "driver", err);
        g_autofree char *what = g_strdup_printf("-device %s", arg);
        CmdlineDrive *d = NULL;
        int bus = -1, unit = -1, bootindex = -1;
        const char *drive_id = NULL;
        if (!kvs) {
            return false;
        }
        for (guint k = 1; k < kvs->len; k++) {
            KeyVal *kv = kvs->pdata[k];
            uint64_t v;
            if (!strcmp(kv->key, "drive")) {
                drive_id = kv->value;
            } else if (!strcmp(kv->key, "bus")) {
                bus = kv->value[4] - '0';
            } else if (!strcmp(kv->key, "unit") && keyval_parse_uint(kv->value, 1, &v)) {
                unit = (int)v;
            } else if (!strcmp(kv->key, "bootindex") && keyval_parse_uint(kv->value, 0x7fffffff, &v)) {
                bootindex = (int)v;
            }
        }
        for (guint k = 0; k < opts->drives->len; k++) {
            CmdlineDrive *o = opts->drives->pdata[k];
            if (o->id && !strcmp(o->id, drive_id)) {
                d = o;
                break;
            }
        }
        if (!d) {
            g_set_error(err, IOEMU_ERROR, 0, "%s: no -drive with id '%s'", what, drive_id);
            return false;
        }
        if (!d->if_none || d->attached) {
            g_set_error(err, IOEMU_ERROR, 0, "%s: drive '%s' is already in use", what, drive_id);
            return false;
        }
        if (bus < 0 && unit >= 0) {
            g_set_error(err, IOEMU_ERROR, 0, "%s: unit= needs bus=", what);
            return false;
        }
        d->attached = true;
        d->cdrom = !strcmp(((KeyVal *)kvs->pdata[0])->value, "ide-cd");
        d->has_bootindex = bootindex >= 0;
        d->bootindex = bootindex;
        if (!ide_slot_take(opts, d, bus, unit, what, err)) {
            return false;
        }
    }
    for (int i = 0; i < CMDLINE_IDE_SLOTS; i++) {
        CmdlineDrive *d = opts->ide[i];
        if (d && !d->cdrom && !d->file) {
            g_set_error(err, IOEMU_ERROR, 0, "IDE index %d: a hard disk needs file=", i);
            return false;
        }
    }
    return true;
}

static bool opt_device(CmdlineOptions *opts, const char *option, const char *arg, GError **err)
{
    g_autoptr(GPtrArray) kvs = keyval_parse(option, arg, "driver", err);
    if (!kvs) {
        return false;
    }
    KeyVal *drv = kvs->pdata[0];
    if (strcmp(drv->key, "driver")) {
        g_set_error(err, IOEMU_ERROR, 0, "%s %s: the device model must come first", option, arg);
        return false;
    }
    if (!strcmp(drv->value, "help")) {
        g_free(opts->help_text);
        opts->help_text = g_strdup("Devices that -device can add:\n"
                                   "name \"isa-debug-exit\", bus ISA (iobase=, iosize=)\n"
                                   "name \"ide-hd\", bus IDE (drive=, bus=ide.N, unit=, bootindex=)\n"
                                   "name \"ide-cd\", bus IDE (drive=, bus=ide.N, unit=, bootindex=)\n");
        return true;
    }
    if (!strcmp(drv->value, "ide-hd") || !strcmp(drv->value, "ide-cd")) {
        return opt_ide_device(opts, option, arg, kvs, err);
    }
    if (strcmp(drv->value, "isa-debug-exit")) {
        g_set_error(err, IOEMU_ERROR, 0, "%s: unknown device model '%s' (use -device help)",
                    option, drv->value);
        return false;
    }
    if (opts->debug_exit) {
        g_set_error(err, IOEMU_ERROR, 0, "%s: only one isa-debug-exit is supported", option);
        return false;
    }
    uint64_t iobase = DEBUG_EXIT_DEFAULT_IOBASE, iosize = DEBUG_EXIT_DEFAULT_IOSIZE;
    for (guint i = 1; i < kvs->len; i++) {
        KeyVal *kv = kvs->pdata[i];
        if (!strcmp(kv->key, "iobase")) {
            if (!keyval_parse_uint(kv->value, 0xffff, &iobase)) {
                g_set_error(err, IOEMU_ERROR, 0, "%s: iobase=%s: expected a port number 0..0xffff",
                            option, kv->value);
                return false;
            }
        } else if (!strcmp(kv->key, "iosize")) {
            if (!keyval_parse_uint(kv->value, 0x10000, &iosize) || iosize == 0) {
                g_set_error(err, IOEMU_ERROR, 0, "%s: iosize=%s: expected a size 1..0x10000",
                            option, kv->value);
                return false;
            }
        } else if (!strcmp(kv->key, "id")) {
            /* accepted: names the device, nothing refers to it yet */
        } else {
            g_set_error(err, IOEMU_ERROR, 0, "%s: isa-debug-exit has no property '%s'", option, kv->key);
            return false;
        }
    }
    if (iobase + iosize > 0x10000 || iosize > 0xffff) {
        g_set_error(err, IOEMU_ERROR, 0, "%s %s: ports 0x%llx+0x%llx run past 0xffff", option, arg,
                    (unsigned long long)iobase, (unsigned long long)iosize);
        return false;
    }
    opts->debug_exit = true;
    opts->debug_exit_iobase = (uint16_t)iobase;
    opts->debug_exit_iosize = (uint16_t)iosize;
    return true;
}

/* Boot device letters: QEMU accepts a..p, each at most once. */
static bool check_boot_letters(const char *option, const char *order, GError **err)
{
    unsigned seen = 0;
    if (*order == '\0') {
        g_set_error(err, IOEMU_ERROR, 0, "%s: empty boot order", option);
        return false;
    }
    for (const char *c = order; *c; c++) {
        if (*c < 'a' || *c > 'p') {
            g_set_error(err, IOEMU_ERROR, 0, "%s: invalid boot device '%c' in '%s'", option, *c, order);
            return false;
        }
        if (seen & (1u << (*c - 'a'))) {
            g_set_error(err, IOEMU_ERROR, 0, "%s: boot device '%c' given twice in '%s'", option, *c, order);
            return false;
        }
        seen |= 1u << (*c - 'a');
    }
    return true;
}

static bool opt_boot(CmdlineOptions *opts, const char *option, const char *arg, GError **err)
{
    g_autoptr(GPtrArray) kvs = keyval_parse(option, arg, "order", err);
    if (!kvs) {
        return false;
    }
    for (guint i = 0; i < kvs->len; i++) {
        KeyVal *kv = kvs->pdata[i];
        if (!strcmp(kv->key, "order") || !strcmp(kv->key, "once")) {
            /* "once" differs only after a reboot; the first boot uses it the same way. */
            if (!check_boot_letters(option, kv->value, err)) {
                return false;
            }
            g_free(opts->boot_order);
            opts->boot_order = g_strdup(kv->value);
        } else if (!strcmp(kv->key, "menu") || !strcmp(kv->key, "strict")) {
            /* Only the firmware defaults exist: nothing passes a boot menu or strict order to SeaBIOS yet. */
            bool on;
            if (!parse_on_off(option, kv->key, kv->value, &on, err)) {
                return false;
            }
            if (on) {
                g_set_error(err, IOEMU_ERROR, 0, "%s: %s=on is not supported yet", option, kv->key);
                return false;
            }
        } else {
            g_set_error(err, IOEMU_ERROR, 0, "%s: unsupported boot property '%s'", option, kv->key);
            return false;
        }
    }
    return true;
}

static bool opt_name(CmdlineOptions *opts, const char *option, const char *arg, GError **err)
{
    g_autoptr(GPtrArray) kvs = keyval_parse(option, arg, "guest", err);
    if (!kvs) {
        return false;
    }
    for (guint i = 0; i < kvs->len; i++) {
        KeyVal *kv = kvs->pdata[i];
        if (!strcmp(kv->key, "guest")) {
            g_free(opts->name);
            opts->name = g_strdup(kv->value);
        } else if (!strcmp(kv->key, "process") || !strcmp(kv->key, "debug-threads")) {
            /* accepted for compatibility; thread names are always set */
        } else {
            g_set_error(err, IOEMU_ERROR, 0, "%s: unsupported property '%s'", option, kv->key);
            return false;
        }
    }
    return true;
}

static bool opt_display(CmdlineOptions *opts, const char *option, const char *arg, GError **err)
{
    if (strcmp(arg, "none")) {
        g_set_error(err, IOEMU_ERROR, 0, "%s %s: no display backend exists yet (only 'none')", option, arg);
        return false;
    }
    opts->display_none = true;
    return true;
}

/* -vga/-net/-monitor/-parallel none: ask for the absence of things this board never creates. */
static bool opt_none_only(CmdlineOptions *opts, const char *option, const char *arg, GError **err)
{
    if (strcmp(arg, "none")) {
        g_set_error(err, IOEMU_ERROR, 0, "%s %s: not supported (only 'none')", option, arg);
        return false;
    }
    return true;
}

static bool opt_string(char **slot, const char *option, const char *arg, GError **err)
{
    if (*arg == '\0') {
        g_set_error(err, IOEMU_ERROR, 0, "%s: empty value", option);
        return false;
    }
    g_free(*slot);
    *slot = g_strdup(arg);
    return true;
}

typedef enum {
    O_MACHINE, O_ACCEL, O_ENABLE_KVM, O_MEM, O_BIOS, O_SMP, O_SERIAL, O_CHARDEV,
    O_NOGRAPHIC, O_DISPLAY, O_NO_REBOOT, O_NO_SHUTDOWN, O_DEVICE, O_DEBUGCON, O_BOOT,
    O_QTEST, O_QTEST_LOG, O_NAME, O_NODEFAULTS, O_NO_USER_CONFIG, O_LOG_ITEMS, O_LOG_FILE,
    O_START_PAUSED, O_NONE_ONLY, O_HELP, O_VERSION,
    O_DRIVE, O_HDA, O_HDB, O_HDC, O_HDD, O_CDROM,
} OptionId;

typedef struct OptionDesc {
    const char *name;
    OptionId id;
    bool has_arg;
} OptionDesc;

static const OptionDesc option_table[] = {
    { "machine", O_MACHINE, true },
    { "M", O_MACHINE, true },
    { "accel", O_ACCEL, true },
    { "enable-kvm", O_ENABLE_KVM, false },
    { "m", O_MEM, true },
    { "bios", O_BIOS, true },
    { "smp", O_SMP, true },
    { "serial", O_SERIAL, true },
    { "chardev", O_CHARDEV, true },
    { "nographic", O_NOGRAPHIC, false },
    { "display", O_DISPLAY, true },
    { "no-reboot", O_NO_REBOOT, false },
    { "no-shutdown", O_NO_SHUTDOWN, false },
    { "device", O_DEVICE, true },
    { "debugcon", O_DEBUGCON, true },
    { "boot", O_BOOT, true },
    { "qtest", O_QTEST, true },
    { "qtest-log", O_QTEST_LOG, true },
    { "name", O_NAME, true },
    { "nodefaults", O_NODEFAULTS, false },
    { "no-user-config", O_NO_USER_CONFIG, false },
    { "d", O_LOG_ITEMS, true },
    { "D", O_LOG_FILE, true },
    { "S", O_START_PAUSED, false },
    { "vga", O_NONE_ONLY, true },
    { "net", O_NONE_ONLY, true },
    { "monitor", O_NONE_ONLY, true },
    { "parallel", O_NONE_ONLY, true },
    { "drive", O_DRIVE, true },
    { "hda", O_HDA, true },
    { "hdb", O_HDB, true },
    { "hdc", O_HDC, true },
    { "hdd", O_HDD, true },
    { "cdrom", O_CDROM, true },
    { "h", O_HELP, false },
    { "help", O_HELP, false },
    { "version", O_VERSION, false },
};

void cmdline_options_init(CmdlineOptions *opts)
{
    memset(opts, 0, sizeof(*opts));
    opts->ram_size = DEFAULT_RAM_SIZE;
    opts->smp_cpus = 1;
    opts->chardevs = g_ptr_array_new_with_free_func(g_free);
    opts->drives = g_ptr_array_new_with_free_func(cmdline_drive_free_cb);
    opts->ide_devices = g_ptr_array_new_with_free_func(g_free);
}

void cmdline_options_clear(CmdlineOptions *opts)
{
    g_free(opts->machine);
    g_free(opts->bios_path);
    for (int i = 0; i < opts->n_serial; i++) {
        g_free(opts->serial[i]);
    }
    if (opts->chardevs) {
        g_ptr_array_free(opts->chardevs, true);
    }
    g_free(opts->debugcon);
    g_free(opts->boot_order);
    g_free(opts->qtest);
    g_free(opts->qtest_log);
    g_free(opts->name);
    g_free(opts->log_items);
    g_free(opts->log_file);
    g_free(opts->help_text);
    if (opts->drives) {
        g_ptr_array_free(opts->drives, true);
    }
    if (opts->ide_devices) {
        g_ptr_array_free(opts->ide_devices, true);
    }
    memset(opts, 0, sizeof(*opts));
}

static bool apply_option(CmdlineOptions *opts, const OptionDesc *d, const char *option,
                         const char *arg, GError **err)
{
    switch (d->id) {
    case O_MACHINE:
        return opt_machine(opts, option, arg, err);
    case O_ACCEL:
        return opt_accel(opts, option, arg, err);
    case O_ENABLE_KVM:
        return add_accel(opts, option, ACCEL_KVM, err);
    case O_MEM:
        return opt_mem(opts, option, arg, err);
    case O_BIOS:
        if (!cmdline_check_bios(arg, err)) {
            return false;
        }
        return opt_string(&opts->bios_path, option, arg, err);
    case O_SMP:
        return opt_smp(opts, option, arg, err);
    case O_SERIAL:
        return opt_serial(opts, option, arg, err);
    case O_CHARDEV:
        if (*arg == '\0') {
            g_set_error(err, IOEMU_ERROR, 0, "%s: empty value", option);
            return false;
        }
        g_ptr_array_add(opts->chardevs, g_strdup(arg));
        return true;
    case O_NOGRAPHIC:
        opts->nographic = true;
        return true;
    case O_DISPLAY:
        return opt_display(opts, option, arg, err);
    case O_NO_REBOOT:
        opts->no_reboot = true;
        return true;
    case O_NO_SHUTDOWN:
        opts->no_shutdown = true;
        return true;
    case O_DEVICE:
        return opt_device(opts, option, arg, err);
    case O_DEBUGCON:
        return opt_string(&opts->debugcon, option, arg, err);
    case O_BOOT:
        return opt_boot(opts, option, arg, err);
    case O_QTEST:
        return opt_string(&opts->qtest, option, arg, err);
    case O_QTEST_LOG:
        return opt_string(&opts->qtest_log, option, arg, err);
    case O_NAME:
        return opt_name(opts, option, arg, err);
    case O_NODEFAULTS:
        opts->nodefaults = true;
        return true;
    case O_NO_USER_CONFIG:
        /* ioemu reads no configuration files: nothing to turn off. */
        return true;
    case O_LOG_ITEMS:
        return opt_string(&opts->log_items, option, arg, err);
    case O_LOG_FILE:
        return opt_string(&opts->log_file, option, arg, err);
    case O_START_PAUSED:
        opts->start_paused = true;
        return true;
    case O_NONE_ONLY:
        return opt_none_only(opts, option, arg, err);
    case O_HELP:
        opts->show_help = true;
        return true;
    case O_VERSION:
        opts->show_version = true;
        return true;
    case O_DRIVE:
        return opt_drive(opts, option, arg, err);
    case O_HDA:
    case O_HDB:
    case O_HDC:
    case O_HDD:
        return opt_drive_shorthand(opts, option, arg, d->id - O_HDA, false, err);
    case O_CDROM:
        return opt_drive_shorthand(opts, option, arg, 2, true, err);
    }
    g_assert_not_reached();
}

bool cmdline_parse(int argc, char **argv, CmdlineOptions *opts, GError **err)
{
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (a[0] != '-' || a[1] == '\0') {
            /* QEMU would take a bare word as a disk image; there are no disks yet. */
            g_set_error(err, IOEMU_ERROR, 0, "%s: unexpected argument (disk images are not supported)", a);
            return false;
        }
        /* QEMU accepts both -opt and --opt. */
        const char *name = a + 1;
        if (*name == '-') {
            name++;
        }
        const OptionDesc *d = NULL;
        for (size_t k = 0; k < G_N_ELEMENTS(option_table); k++) {
            if (!strcmp(option_table[k].name, name)) {
                d = &option_table[k];
                break;
            }
        }
        if (!d) {
            g_set_error(err, IOEMU_ERROR, 0, "%s: invalid option (see --help)", a);
            return false;
        }
        const char *arg = NULL;
        if (d->has_arg) {
            if (i + 1 >= argc) {
                g_set_error(err, IOEMU_ERROR, 0, "%s: requires an argument", a);
                return false;
            }
            arg = argv[++i];
        }
        if (!apply_option(opts, d, a, arg, err)) {
            return false;
        }
        if (opts->show_help || opts->show_version) {
            return true;
        }
    }
    return cmdline_place_drives(opts, err);
}

void cmdline_print_version(FILE *f)
{
    fprintf(f, "ioemu version " IOEMU_VERSION "\n"
               "A PC emulator and Xen device model; command line compatible with a subset of QEMU's.\n");
}

void cmdline_print_help(FILE *f)
{
    cmdline_print_version(f);
    fprintf(f,
        "usage: ioemu [options]\n"
        "\n"
        "Machine:\n"
        "  -machine pc[,accel=kvm|tcg|qtest[:...]]   (-M pc) the i440FX PC, the only board\n"
        "  -accel kvm|tcg|qtest     accelerator (repeat to give fallbacks); default: kvm if\n"
        "                           /dev/kvm is usable, else tcg\n"
        "  -enable-kvm              same as -accel kvm\n"
        "  -m SIZE|size=SIZE        RAM; a plain number is MiB, K/M/G/T suffixes (default 128M)\n"
        "  -smp N|cpus=N[,sockets=,cores=,threads=,maxcpus=]   number of CPUs (default 1)\n"
        "  -bios FILE               firmware image (default /usr/share/seabios/bios.bin)\n"
        "  -boot [order=]DRIVES[,once=DRIVES]   boot order, e.g. cd (menu=, strict= only off)\n"
        "  -drive file=FILE[,if=ide|none][,index=N|bus=B,unit=U][,media=disk|cdrom]\n"
        "         [,format=raw|qcow2][,readonly=on|off][,cache=writeback|writethrough|none|\n"
        "         directsync|unsafe][,id=ID]   a disk or CD-ROM on the PIIX3 IDE (index 0-3)\n"
        "  -hda/-hdb/-hdc/-hdd FILE  IDE disk at index 0/1/2/3\n"
        "  -cdrom FILE              IDE CD-ROM at index 2\n"
        "  -device ide-hd|ide-cd,drive=ID[,bus=ide.0|ide.1][,unit=0|1][,bootindex=N]\n"
        "                           attach an if=none drive\n"
        "  -device isa-debug-exit[,iobase=0x501][,iosize=0x2]  guest-requested exit: a write\n"
        "                           of V exits with status (V << 1) | 1\n"
        "  -name NAME               guest name\n"
        "  -S                       start with the CPUs paused\n"
        "  -no-reboot               exit instead of rebooting when the guest resets\n"
        "  -no-shutdown             pause instead of exiting when the guest powers off\n"
        "\n"
        "Character devices and consoles:\n"
        "  -serial SPEC             next serial port (up to 4): stdio, null, none, pty,\n"
        "                           file:PATH, unix:PATH[,server[,nowait]], chardev:ID\n"
        "  -chardev TYPE,id=ID[,path=..][,server=on][,wait=off]   a named backend\n"
        "  -debugcon SPEC           bochs debug console on port 0xe9\n"
        "  -nographic               no display; serial 0 on stdio (unless -serial or\n"
        "                           -nodefaults), SeaBIOS prints on the serial console\n"
        "  -display none            no display\n"
        "  -nodefaults              create no default devices\n"
        "  -no-user-config          accepted (no configuration files are read)\n"
        "  -vga none, -net none, -monitor none, -parallel none   accepted\n"
        "\n"
        "Testing and debugging:\n"
        "  -qtest SPEC              serve the qtest protocol on a chardev (with -accel qtest)\n"
        "  -qtest-log FILE          log the qtest conversation\n"
        "  -d ITEM[,ITEM...]        log categories (guest_errors, unimp, ioport, mmio, irq,\n"
        "                           kvm, ...)\n"
        "  -D FILE                  log to FILE instead of stderr\n"
        "  -h, --help               this text\n"
        "  --version                version\n");
}
