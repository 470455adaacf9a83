/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The libxl command line (see cmdline.h).  Option spellings and value
 * syntax follow QEMU 7.2 (qemu-options.hx): "-opt" or "--opt", values in
 * the next argument, key=value lists separated by commas with ",," for a
 * literal comma.
 */
#include "xen-dm/cmdline.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "block/block.h"
#include "hw/core/device.h"
#include "hw/core/keyval.h"
#include "xen-dm/board.h"

#define MiB_ (1024ull * 1024)

static bool parse_bool(const char *v, bool *out)
{
    if (!v || !strcmp(v, "on") || !strcmp(v, "yes") || !strcmp(v, "true") || !strcmp(v, "1")) {
        *out = true;
        return true;
    }
    if (!strcmp(v, "off") || !strcmp(v, "no") || !strcmp(v, "false") || !strcmp(v, "0")) {
        *out = false;
        return true;
    }
    return false;
}

static bool parse_uint(const char *s, uint64_t max, uint64_t *out)
{
    char *end;
    guint64 v;

    if (!s || !*s || *s == '-' || *s == '+') {
        return false;
    }
    errno = 0;
    v = g_ascii_strtoull(s, &end, 0);
    if (errno || *end || v > max) {
        return false;
    }
    *out = v;
    return true;
}

bool xendm_parse_size(const char *s, uint64_t default_unit, uint64_t *out)
{
    char *end;
    guint64 v;
    uint64_t unit = default_unit;

    if (!s || !*s || *s == '-' || *s == '+') {
        return false;
    }
    errno = 0;
    v = g_ascii_strtoull(s, &end, 10);
    if (errno || end == s) {
        return false;
    }
    if (*end) {
        switch (g_ascii_toupper(*end)) {
        case 'B':
            unit = 1;
            break;
        case 'K':
            unit = 1024;
            break;
        case 'M':
            unit = MiB_;
            break;
        case 'G':
            unit = 1024 * MiB_;
            break;
        case 'T':
            unit = 1024 * 1024 * MiB_;
            break;
        default:
            return false;
        }
        if (end[1]) {
            return false;
        }
    }
    if (v == 0 || v > UINT64_MAX / unit) {
        return false;
    }
    *out = v * unit;
    return true;
}

/* ---- option handlers ---- */

typedef bool (*OptFn)(XenDmOptions *o, const char *opt, const char *arg, GError **err);

#define OPT_ERROR(...) (g_set_error(err, IOEMU_ERROR, 0, __VA_ARGS__), false)

static bool unsupported(const char *opt, const char *arg, const char *what, GError **err)
{
    if (arg) {
        return OPT_ERROR("%s %s: %s", opt, arg, what);
    }
    return OPT_ERROR("%s: %s", opt, what);
}

static bool opt_xen_domid(XenDmOptions *o, const char *opt, const char *arg, GError **err)
{
    uint64_t v;

    /* DOMID_FIRST_RESERVED is 0x7ff0; dom0 runs the device model, it is never the guest. */
    if (!parse_uint(arg, 0x7fef, &v) || v == 0) {
        return OPT_ERROR("%s %s: a guest domain id is 1..32751", opt, arg);
    }
    o->domid = (uint32_t)v;
    o->have_domid = true;
    return true;
}

static bool opt_xen_attach(XenDmOptions *o, const char *opt, const char *arg, GError **err)
{
    return unsupported(opt, NULL, "attaching to a PV domain (the backend-only device model of -M xenpv) "
                       "is not supported yet", err);
}

static bool opt_flag_no_shutdown(XenDmOptions *o, const char *opt, const char *arg, GError **err)
{
    o->no_shutdown = true;
    return true;
}

static bool opt_flag_no_reboot(XenDmOptions *o, const char *opt, const char *arg, GError **err)
{
    o->no_reboot = true;
    return true;
}

static bool opt_flag_S(XenDmOptions *o, const char *opt, const char *arg, GError **err)
{
    o->start_paused = true;
    return true;
}

static bool opt_flag_nodefaults(XenDmOptions *o, const char *opt, const char *arg, GError **err)
{
    o->nodefaults = true;
    return true;
}

static bool opt_ignore_flag(XenDmOptions *o, const char *opt, const char *arg, GError **err)
{
    /* -no-user-config: we read no configuration files anyway; -no-hpet: Xen's HPET is a domain param. */
    return true;
}

static bool opt_no_acpi(XenDmOptions *o, const char *opt, const char *arg, GError **err)
{
    o->acpi = false;
    return true;
}

static bool opt_restrict(XenDmOptions *o, const char *opt, const char *arg, GError **err)
{
    o->domid_restrict = true;
    return true;
}

static bool opt_chardev(XenDmOptions *o, const char *opt, const char *arg, GError **err)
{
    g_ptr_array_add(o->chardevs, g_strdup(arg));
    return true;
}

static bool opt_mon(XenDmOptions *o, const char *opt, const char *arg, GError **err)
{
    GPtrArray *kv = keyval_split(arg, NULL);
    const char *chardev = NULL, *mode = "readline";
    bool ok = true;

    for (guint i = 0; i < kv->len && ok; i++) {
        KeyVal *p = kv->pdata[i];

        if (!strcmp(p->key, "chardev") && p->value) {
            chardev = p->value;
        } else if (!strcmp(p->key, "mode") && p->value) {
            mode = p->value;
        } else if (!strcmp(p->key, "pretty")) {
            bool b;
            ok = parse_bool(p->value, &b) || OPT_ERROR("%s %s: pretty= takes on or off", opt, arg);
        } else if (!strcmp(p->key, "id")) {
            /* a name for the monitor: nothing refers to it */
        } else {
            ok = OPT_ERROR("%s %s: unknown parameter '%s'", opt, arg, p->key);
        }
    }
    if (ok && !chardev) {
        ok = OPT_ERROR("%s %s: chardev= is required", opt, arg);
    }
    if (ok && strcmp(mode, "control")) {
        ok = OPT_ERROR("%s %s: only mode=control (QMP) is supported; the human monitor is not", opt, arg);
    }
    if (ok) {
        g_ptr_array_add(o->qmp_chardevs, g_strdup(chardev));
    }
    g_ptr_array_free(kv, TRUE);
    return ok;
}

static bool opt_qmp(XenDmOptions *o, const char *opt, const char *arg, GError **err)
{
    g_ptr_array_add(o->qmp_specs, g_strdup(arg));
    return true;
}

static bool opt_monitor(XenDmOptions *o, const char *opt, const char *arg, GError **err)
{
    /* A human monitor that can neither be read nor written is the same as none. */
    if (!strcmp(arg, "none") || !strcmp(arg, "/dev/null") || !strcmp(arg, "null")) {
        return true;
    }
    return unsupported(opt, arg, "the human monitor is not supported (use -mon mode=control or -qmp)", err);
}

static bool opt_name(XenDmOptions *o, const char *opt, const char *arg, GError **err)
{
    GPtrArray *kv = keyval_split(arg, "guest");
    bool ok = true;

    for (guint i = 0; i < kv->len && ok; i++) {
        KeyVal *p = kv->pdata[i];

        if (!strcmp(p->key, "guest") && p->value) {
            g_free(o->name);
            o->name = g_strdup(p->value);
        } else if (!strcmp(p->key, "process") || !strcmp(p->key, "debug-threads")) {
            /* process title / thread names: cosmetic */
        } else {
            ok = OPT_ERROR("%s %s: unknown parameter '%s'", opt, arg, p->key);
        }
    }
    g_ptr_array_free(kv, TRUE);
    return ok;
}

static bool opt_vnc(XenDmOptions *o, const char *opt, const char *arg, GError **err)
{
    if (!strcmp(arg, "none")) {
        return true;
    }
    return unsupported(opt, arg, "the VNC server is not supported yet (set vnc=0 in the guest config)", err);
}

static bool opt_display(XenDmOptions *o, const char *opt, const char *arg, GError **err)
{
    if (!strcmp(arg, "none")) {
        return true;
    }
    return unsupported(opt, arg, "only -display none is supported", err);
}

static bool opt_nographic(XenDmOptions *o, const char *opt, const char *arg, GError **err)
{
    /* There is no graphical output to suppress; serial defaults do not apply under -nodefaults. */
    return true;
}

static bool opt_keymap(XenDmOptions *o, const char *opt, const char *arg, GError **err)
{
    /* Only a VNC server would use the keymap, and -vnc refuses anything but none. */
    return true;
}

static bool opt_serial(XenDmOptions *o, const char *opt, const char *arg, GError **err)
{
    if (o->n_serial >= XENDM_MAX_SERIAL) {
        return OPT_ERROR("%s %s: at most %d serial ports", opt, arg, XENDM_MAX_SERIAL);
    }
    o->serial[o->n_serial++] = g_strdup(arg);
    return true;
}

static bool opt_parallel(XenDmOptions *o, const char *opt, const char *arg, GError **err)
{
    if (!strcmp(arg, "none")) {
        return true;
    }
    return unsupported(opt, arg, "the parallel port is not supported yet", err);
}

static bool opt_vga(XenDmOptions *o, const char *opt, const char *arg, GError **err)
{
    if (!strcmp(arg, "none")) {
        return true;
    }
    return unsupported(opt, arg, "no display device is supported yet (set vga=\"none\" in the guest config)", err);
}

static bool ide_device(XenDmOptions *o, const char *opt, const char *arg, const char *model, GError **err);

static bool opt_device(XenDmOptions *o, const char *opt, const char *arg, GError **err)
{
    size_t len = strcspn(arg, ",");
    char *model = g_strndup(arg, len);
    bool ok = true;

    if (!len) {
        ok = OPT_ERROR("%s %s: no device model named", opt, arg);
    } else if (!strcmp(model, "help") || !strcmp(model, "?")) {
        ok = OPT_ERROR("%s help: this board builds no optional devices yet", opt);
    } else if (!strcmp(model, "ide-cd") || !strcmp(model, "ide-hd") || !strcmp(model, "ide-drive")) {
        ok = ide_device(o, opt, arg, model, err);
    } else if (!xenfv_device_supported(model)) {
        ok = OPT_ERROR("%s %s: device '%s' is not supported yet", opt, arg, model);
    } else {
        g_ptr_array_add(o->devices, g_strdup(arg));
    }
    g_free(model);
    return ok;
}

static void drive_free(gpointer p)
{
    XenDmDrive *d = p;

    g_free(d->id);
    g_free(d->file);
    g_free(d->format);
    g_free(d->cache);
    g_free(d);
}

/* The formats block/ opens (libxl may also name qcow, vhd and qed). */
static bool format_supported(const char *f)
{
    return !strcmp(f, "raw") || !strcmp(f, "qcow2");
}

static bool place_ide(XenDmOptions *o, XenDmDrive *d, int index, const char *opt, const char *arg,
                      GError **err)
{
    if (index < 0) {
        /* QEMU's drive_new without index: the first free slot. */
        for (index = 0; index < XENDM_IDE_SLOTS && o->ide[index]; index++) {
        }
        if (index == XENDM_IDE_SLOTS) {
            return OPT_ERROR("%s %s: no free IDE slot (ide.0 and ide.1 hold two units each)", opt, arg);
        }
    }
    if (index >= XENDM_IDE_SLOTS) {
        return OPT_ERROR("%s %s: IDE index %d: there are four (0-3)", opt, arg, index);
    }
    if (o->ide[index]) {
        return OPT_ERROR("%s %s: IDE index %d (bus %d, unit %d) is taken", opt, arg, index, index / 2, index % 2);
    }
    if (!d->cdrom && !d->file) {
        return OPT_ERROR("%s %s: a hard disk needs file=", opt, arg);
    }
    if (!d->cdrom && d->readonly) {
        /* QEMU too: an IDE hard disk cannot be read-only. */
        return OPT_ERROR("%s %s: read-only IDE hard disks are not supported", opt, arg);
    }
    d->index = index;
    o->ide[index] = d;
    return true;
}

static bool opt_drive(XenDmOptions *o, const char *opt, const char *arg, GError **err)
{
    GPtrArray *kv = keyval_split(arg, NULL);
    XenDmDrive *d = g_new0(XenDmDrive, 1);
    const char *iface = "ide";      /* points into kv, freed at the end */
    uint64_t v;
    int index = -1;
    bool ok = true, b;

    d->index = -1;
    for (guint i = 0; i < kv->len && ok; i++) {
        KeyVal *p = kv->pdata[i];
        const char *val = p->value;

        if (!val && strcmp(p->key, "readonly") && strcmp(p->key, "snapshot")) {
            ok = OPT_ERROR("%s %s: '%s' needs a value", opt, arg, p->key);
        } else if (!strcmp(p->key, "file")) {
            g_free(d->file);
            d->file = g_strdup(val);
        } else if (!strcmp(p->key, "if")) {
            iface = val;
        } else if (!strcmp(p->key, "index")) {
            ok = (parse_uint(val, 3, &v) && (index = (int)v, true)) ||
                 OPT_ERROR("%s %s: index=%s: an IDE index is 0-3", opt, arg, val);
        } else if (!strcmp(p->key, "media")) {
            if (!strcmp(val, "disk") || !strcmp(val, "cdrom")) {
                d->cdrom = !strcmp(val, "cdrom");
            } else {
                ok = OPT_ERROR("%s %s: media=%s: disk or cdrom", opt, arg, val);
            }
        } else if (!strcmp(p->key, "format")) {
            if (!format_supported(val)) {
                ok = OPT_ERROR("%s %s: format '%s' is not supported (raw, qcow2)", opt, arg, val);
            }
            g_free(d->format);
            d->format = g_strdup(val);
        } else if (!strcmp(p->key, "cache")) {
            BlockCacheMode mode;
            if (!blk_parse_cache_mode(val, &mode)) {
                ok = OPT_ERROR("%s %s: cache=%s: unknown cache mode", opt, arg, val);
            }
            g_free(d->cache);
            d->cache = g_strdup(val);
        } else if (!strcmp(p->key, "readonly")) {
            ok = parse_bool(val, &b) || OPT_ERROR("%s %s: readonly= takes on or off", opt, arg);
            d->readonly = ok && b;
        } else if (!strcmp(p->key, "id")) {
            g_free(d->id);
            d->id = g_strdup(val);
        } else if (!strcmp(p->key, "aio") || !strcmp(p->key, "discard") || !strcmp(p->key, "detect-zeroes")) {
            /* host I/O tuning: block/ picks its own */
        } else {
            ok = OPT_ERROR("%s %s: unsupported drive property '%s'", opt, arg, p->key);
        }
    }
    if (ok && strcmp(iface, "ide") && strcmp(iface, "none")) {
        ok = unsupported(opt, arg, "only if=ide and if=none drives are supported", err);
    }
    if (ok && !strcmp(iface, "none")) {
        d->if_none = true;
        if (!d->id) {
            ok = OPT_ERROR("%s %s: if=none drives need id=", opt, arg);
        } else if (index >= 0) {
            ok = OPT_ERROR("%s %s: if=none drives take no index (use -device)", opt, arg);
        }
        for (guint i = 0; ok && i < o->drives->len; i++) {
            XenDmDrive *other = o->drives->pdata[i];
            if (other->id && !strcmp(other->id, d->id)) {
                ok = OPT_ERROR("%s %s: duplicate drive id '%s'", opt, arg, d->id);
            }
        }
    } else if (ok) {
        ok = place_ide(o, d, index, opt, arg, err);
    }
    g_ptr_array_free(kv, TRUE);
    if (!ok) {
        drive_free(d);
        return false;
    }
    g_ptr_array_add(o->drives, d);
    return true;
}

/* -device ide-cd|ide-hd|ide-drive,drive=ID[,bus=ide.N][,unit=N][,id=..] (libxl's CD-ROM form). */
static bool ide_device(XenDmOptions *o, const char *opt, const char *arg, const char *model, GError **err)
{
    GPtrArray *kv = keyval_split(arg, "driver");
    const char *drive = NULL;
    int bus = -1, unit = -1;
    uint64_t v;
    bool ok = true;
    XenDmDrive *d = NULL;

    for (guint i = 1; i < kv->len && ok; i++) {
        KeyVal *p = kv->pdata[i];

        if (!p->value) {
            ok = OPT_ERROR("%s %s: '%s' needs a value", opt, arg, p->key);
        } else if (!strcmp(p->key, "drive")) {
            drive = p->value;
        } else if (!strcmp(p->key, "bus")) {
            if (!strcmp(p->value, "ide.0") || !strcmp(p->value, "ide.1")) {
                bus = p->value[4] - '0';
            } else {
                ok = OPT_ERROR("%s %s: bus=%s: no such bus (ide.0, ide.1)", opt, arg, p->value);
            }
        } else if (!strcmp(p->key, "unit")) {
            ok = (parse_uint(p->value, 1, &v) && (unit = (int)v, true)) ||
                 OPT_ERROR("%s %s: unit=%s: 0 or 1", opt, arg, p->value);
        } else if (!strcmp(p->key, "id") || !strcmp(p->key, "bootindex")) {
            /* names and boot order: SeaBIOS takes the order from CMOS under Xen */
        } else {
            ok = OPT_ERROR("%s %s: unknown parameter '%s'", opt, arg, p->key);
        }
    }
    if (ok && !drive) {
        ok = OPT_ERROR("%s %s: drive= is required", opt, arg);
    }
    for (guint i = 0; ok && i < o->drives->len; i++) {
        XenDmDrive *c = o->drives->pdata[i];
        if (c->if_none && c->id && !strcmp(c->id, drive)) {
            d = c;
        }
    }
    if (ok && !d) {
        ok = OPT_ERROR("%s %s: no -drive if=none with id '%s' (it must come first)", opt, arg, drive);
    }
    if (ok && d->index >= 0) {
        ok = OPT_ERROR("%s %s: drive '%s' is already in use", opt, arg, drive);
    }
    if (ok) {
        int index = -1;

        if (bus >= 0 || unit >= 0) {
            index = (bus < 0 ? 0 : bus) * 2 + (unit < 0 ? 0 : unit);
            if (unit < 0 && o->ide[index]) {
                index++;
            }
        }
        d->cdrom = !strcmp(model, "ide-cd");
        ok = place_ide(o, d, index, opt, arg, err);
    }
    g_ptr_array_free(kv, TRUE);
    return ok;
}

static bool opt_net(XenDmOptions *o, const char *opt, const char *arg, GError **err)
{
    if (!strcmp(arg, "none")) {
        return true;
    }
    return unsupported(opt, arg, "network devices are not supported yet", err);
}

static bool opt_netdev(XenDmOptions *o, const char *opt, const char *arg, GError **err)
{
    return unsupported(opt, arg, "network backends are not supported yet", err);
}

static bool opt_usb(XenDmOptions *o, const char *opt, const char *arg, GError **err)
{
    return unsupported(opt, arg, "USB is not supported yet", err);
}

static bool opt_sound(XenDmOptions *o, const char *opt, const char *arg, GError **err)
{
    return unsupported(opt, arg, "sound devices are not supported yet", err);
}

static bool opt_kernel(XenDmOptions *o, const char *opt, const char *arg, GError **err)
{
    return unsupported(opt, arg, "direct kernel boot (fw_cfg and the linuxboot ROM) is not supported on "
                       "xenfv yet", err);
}

static bool opt_spice(XenDmOptions *o, const char *opt, const char *arg, GError **err)
{
    return unsupported(opt, arg, "SPICE is not supported", err);
}

static bool opt_not_yet(XenDmOptions *o, const char *opt, const char *arg, GError **err)
{
    return unsupported(opt, arg, "not supported yet", err);
}

static bool opt_smp(XenDmOptions *o, const char *opt, const char *arg, GError **err)
{
    GPtrArray *kv = keyval_split(arg, "cpus");
    uint64_t cpus = 0, max = 0, sockets = 1, cores = 1, threads = 1, dies = 1, v;
    bool have_topology = false, ok = true;

    for (guint i = 0; i < kv->len && ok; i++) {
        KeyVal *p = kv->pdata[i];

        if (!p->value || !parse_uint(p->value, 1024, &v) || v == 0) {
            ok = OPT_ERROR("%s %s: '%s' needs a positive number", opt, arg, p->key);
        } else if (!strcmp(p->key, "cpus")) {
            cpus = v;
        } else if (!strcmp(p->key, "maxcpus")) {
            max = v;
        } else if (!strcmp(p->key, "sockets")) {
            sockets = v;
            have_topology = true;
        } else if (!strcmp(p->key, "cores")) {
            cores = v;
            have_topology = true;
        } else if (!strcmp(p->key, "threads")) {
            threads = v;
            have_topology = true;
        } else if (!strcmp(p->key, "dies")) {
            dies = v;
            have_topology = true;
        } else {
            ok = OPT_ERROR("%s %s: unknown parameter '%s'", opt, arg, p->key);
        }
    }
    g_ptr_array_free(kv, TRUE);
    if (!ok) {
        return false;
    }
    if (!cpus) {
        cpus = have_topology ? sockets * dies * cores * threads : 1;
    }
    if (!max) {
        max = have_topology ? sockets * dies * cores * threads : cpus;
    }
    if (cpus < 1 || max < cpus || max > 128) {
        /* One ioreq page serves 128 vCPUs. */
        return OPT_ERROR("%s %s: need 1 <= cpus <= maxcpus <= 128", opt, arg);
    }
    o->smp_cpus = (unsigned)cpus;
    o->max_cpus = (unsigned)max;
    return true;
}

static bool opt_m(XenDmOptions *o, const char *opt, const char *arg, GError **err)
{
    GPtrArray *kv = keyval_split(arg, "size");
    bool ok = true;

    for (guint i = 0; i < kv->len && ok; i++) {
        KeyVal *p = kv->pdata[i];

        if (!strcmp(p->key, "size")) {
            ok = xendm_parse_size(p->value, MiB_, &o->ram_size) ||
                 OPT_ERROR("%s %s: '%s' is not a memory size", opt, arg, p->value ? p->value : "");
        } else if (!strcmp(p->key, "slots") || !strcmp(p->key, "maxmem")) {
            ok = OPT_ERROR("%s %s: memory hot-plug is not supported", opt, arg);
        } else {
            ok = OPT_ERROR("%s %s: unknown parameter '%s'", opt, arg, p->key);
        }
    }
    g_ptr_array_free(kv, TRUE);
    return ok;
}

static bool opt_boot(XenDmOptions *o, const char *opt, const char *arg, GError **err)
{
    GPtrArray *kv = keyval_split(arg, "order");
    bool ok = true;

    for (guint i = 0; i < kv->len && ok; i++) {
        KeyVal *p = kv->pdata[i];

        if ((!strcmp(p->key, "order") || !strcmp(p->key, "once")) && p->value) {
            if (strlen(p->value) == 0 || strlen(p->value) > 3 || strspn(p->value, "acdn") != strlen(p->value)) {
                ok = OPT_ERROR("%s %s: boot order '%s' is not up to three of a, c, d, n", opt, arg, p->value);
            } else if (!strcmp(p->key, "order")) {
                g_free(o->boot_order);
                o->boot_order = g_strdup(p->value);
            }
        } else if (!strcmp(p->key, "menu") || !strcmp(p->key, "strict")) {
            bool b;
            ok = parse_bool(p->value, &b) || OPT_ERROR("%s %s: %s= takes on or off", opt, arg, p->key);
        } else if (!strcmp(p->key, "splash") || !strcmp(p->key, "splash-time") ||
                   !strcmp(p->key, "reboot-timeout")) {
            /* firmware cosmetics, read from fw_cfg, which xenfv does not have */
        } else {
            ok = OPT_ERROR("%s %s: unknown parameter '%s'", opt, arg, p->key);
        }
    }
    g_ptr_array_free(kv, TRUE);
    return ok;
}

static bool opt_machine(XenDmOptions *o, const char *opt, const char *arg, GError **err)
{
    GPtrArray *kv = keyval_split(arg, "type");
    bool ok = true;

    for (guint i = 0; i < kv->len && ok; i++) {
        KeyVal *p = kv->pdata[i];
        bool b;

        if (!strcmp(p->key, "type") && p->value) {
            if (!strcmp(p->value, "xenfv") || g_str_has_prefix(p->value, "xenfv-")) {
                o->xen_platform = true;
            } else if (!strcmp(p->value, "pc") || g_str_has_prefix(p->value, "pc-i440fx-")) {
                o->xen_platform = false;
            } else if (!strcmp(p->value, "xenpv") || !strcmp(p->value, "xenpvh")) {
                ok = OPT_ERROR("%s %s: machine '%s' (PV backends only) is not supported yet", opt, arg, p->value);
            } else {
                ok = OPT_ERROR("%s %s: machine '%s' is not supported (xen-dm builds xenfv or pc,accel=xen)",
                               opt, arg, p->value);
            }
        } else if (!strcmp(p->key, "accel") && p->value) {
            if (strcmp(p->value, "xen")) {
                ok = OPT_ERROR("%s %s: accel=%s: xen-dm only runs under Xen", opt, arg, p->value);
            }
        } else if (!strcmp(p->key, "suppress-vmdesc") || !strcmp(p->key, "usb") ||
                   !strcmp(p->key, "vmport") || !strcmp(p->key, "smm")) {
            /* suppress-vmdesc: our save stream has no JSON description anyway. */
            ok = parse_bool(p->value, &b) || OPT_ERROR("%s %s: %s= takes on or off", opt, arg, p->key);
            if (ok && b && !strcmp(p->key, "usb")) {
                ok = OPT_ERROR("%s %s: USB is not supported yet", opt, arg);
            }
        } else if (!strcmp(p->key, "max-ram-below-4g")) {
            ok = xendm_parse_size(p->value, 1, &o->max_ram_below_4g) ||
                 OPT_ERROR("%s %s: '%s' is not a size", opt, arg, p->value ? p->value : "");
        } else if (!strcmp(p->key, "igd-passthru")) {
            ok = parse_bool(p->value, &b) || OPT_ERROR("%s %s: igd-passthru= takes on or off", opt, arg);
            if (ok && b) {
                ok = OPT_ERROR("%s %s: IGD pass-through is not supported", opt, arg);
            }
        } else {
            ok = OPT_ERROR("%s %s: unknown machine parameter '%s'", opt, arg, p->key);
        }
    }
    g_ptr_array_free(kv, TRUE);
    return ok;
}

static bool opt_accel(XenDmOptions *o, const char *opt, const char *arg, GError **err)
{
    if (!strcmp(arg, "xen") || g_str_has_prefix(arg, "xen,")) {
        return true;
    }
    return unsupported(opt, arg, "xen-dm only runs under Xen (-accel xen)", err);
}

static bool opt_global(XenDmOptions *o, const char *opt, const char *arg, GError **err)
{
    bool v;

    if (g_str_has_prefix(arg, "PIIX4_PM.disable_s3=") && parse_bool(arg + strlen("PIIX4_PM.disable_s3="), &v)) {
        o->disable_s3 = v;
        return true;
    }
    if (g_str_has_prefix(arg, "PIIX4_PM.disable_s4=") && parse_bool(arg + strlen("PIIX4_PM.disable_s4="), &v)) {
        o->disable_s4 = v;
        return true;
    }
    return unsupported(opt, arg, "unknown or unsupported global property", err);
}

static bool opt_incoming(XenDmOptions *o, const char *opt, const char *arg, GError **err)
{
    uint64_t fd;

    if (!g_str_has_prefix(arg, "fd:")) {
        return unsupported(opt, arg, "only fd:N (libxl's restore) is supported", err);
    }
    if (!parse_uint(arg + 3, INT32_MAX, &fd)) {
        return OPT_ERROR("%s %s: '%s' is not a file descriptor number", opt, arg, arg + 3);
    }
    o->incoming_fd = (int)fd;
    return true;
}

static bool opt_chroot(XenDmOptions *o, const char *opt, const char *arg, GError **err)
{
    g_free(o->chroot_dir);
    o->chroot_dir = g_strdup(arg);
    return true;
}

static bool opt_runas(XenDmOptions *o, const char *opt, const char *arg, GError **err)
{
    if (!*arg) {
        return OPT_ERROR("%s: empty user", opt);
    }
    g_free(o->runas);
    o->runas = g_strdup(arg);
    return true;
}

static bool opt_pidfile(XenDmOptions *o, const char *opt, const char *arg, GError **err)
{
    g_free(o->pidfile);
    o->pidfile = g_strdup(arg);
    return true;
}

static bool opt_ioreq_poll(XenDmOptions *o, const char *opt, const char *arg, GError **err)
{
    uint64_t v;

    if (!parse_uint(arg, 1000000, &v)) {
        return OPT_ERROR("%s %s: a window of 0 to 1000000 ns", opt, arg);
    }
    o->ioreq_poll_ns = (int64_t)v;
    return true;
}

static bool opt_rtc(XenDmOptions *o, const char *opt, const char *arg, GError **err)
{
    GPtrArray *kv = keyval_split(arg, NULL);
    bool ok = true;

    /* Xen's RTC owns the time; libxl passes the guest's offset to Xen, not to us. */
    for (guint i = 0; i < kv->len && ok; i++) {
        KeyVal *p = kv->pdata[i];

        if (strcmp(p->key, "base") && strcmp(p->key, "clock") && strcmp(p->key, "driftfix")) {
            ok = OPT_ERROR("%s %s: unknown parameter '%s'", opt, arg, p->key);
        }
    }
    g_ptr_array_free(kv, TRUE);
    return ok;
}

static bool opt_d(XenDmOptions *o, const char *opt, const char *arg, GError **err)
{
    g_free(o->log_items);
    o->log_items = g_strdup(arg);
    return true;
}

static bool opt_D(XenDmOptions *o, const char *opt, const char *arg, GError **err)
{
    g_free(o->log_file);
    o->log_file = g_strdup(arg);
    return true;
}

static bool opt_help(XenDmOptions *o, const char *opt, const char *arg, GError **err)
{
    o->show_help = true;
    return true;
}

static bool opt_version(XenDmOptions *o, const char *opt, const char *arg, GError **err)
{
    o->show_version = true;
    return true;
}

typedef struct OptDesc {
    const char *name;
    bool has_arg;
    OptFn fn;
    const char *help;       /* NULL: not listed */
} OptDesc;

static const OptDesc options[] = {
    { "xen-domid", true, opt_xen_domid, "-xen-domid N       the guest domain" },
    { "xen-attach", false, opt_xen_attach, NULL },
    { "xen-domid-restrict", false, opt_restrict, "-xen-domid-restrict  restrict Xen handles to the guest after set-up" },
    { "no-shutdown", false, opt_flag_no_shutdown, "-no-shutdown       stay up after the guest powers off" },
    { "no-reboot", false, opt_flag_no_reboot, NULL },
    { "S", false, opt_flag_S, "-S                 start in prelaunch; run on QMP cont" },
    { "nodefaults", false, opt_flag_nodefaults, NULL },
    { "no-user-config", false, opt_ignore_flag, NULL },
    { "no-hpet", false, opt_ignore_flag, NULL },
    { "no-acpi", false, opt_no_acpi, "-no-acpi           no PIIX4 ACPI PM function" },
    { "localtime", false, opt_ignore_flag, NULL },
    { "chardev", true, opt_chardev, "-chardev OPTS      a character device (socket,id=X,path=P,server=on,...)" },
    { "mon", true, opt_mon, "-mon chardev=ID,mode=control  QMP on a -chardev" },
    { "qmp", true, opt_qmp, "-qmp SPEC          QMP on unix:PATH,server=on,wait=off" },
    { "monitor", true, opt_monitor, NULL },
    { "name", true, opt_name, "-name NAME         the guest's name (query-name)" },
    { "vnc", true, opt_vnc, NULL },
    { "display", true, opt_display, NULL },
    { "nographic", false, opt_nographic, NULL },
    { "k", true, opt_keymap, NULL },
    { "serial", true, opt_serial, "-serial SPEC       a 16550 UART (up to 4)" },
    { "parallel", true, opt_parallel, NULL },
    { "vga", true, opt_vga, NULL },
    { "device", true, opt_device, "-device MODEL,...  an optional device" },
    { "drive", true, opt_drive, "-drive file=F,if=ide,index=I,media=disk|cdrom,format=raw|qcow2  an IDE drive" },
    { "net", true, opt_net, NULL },
    { "netdev", true, opt_netdev, NULL },
    { "usb", false, opt_usb, NULL },
    { "usbdevice", true, opt_usb, NULL },
    { "soundhw", true, opt_sound, NULL },
    { "audiodev", true, opt_sound, NULL },
    { "kernel", true, opt_kernel, NULL },
    { "initrd", true, opt_kernel, NULL },
    { "append", true, opt_kernel, NULL },
    { "spice", true, opt_spice, NULL },
    { "sdl", false, opt_not_yet, NULL },
    { "full-screen", false, opt_not_yet, NULL },
    { "acpitable", true, opt_not_yet, NULL },
    { "smbios", true, opt_not_yet, NULL },
    { "bios", true, opt_not_yet, NULL },
    { "daemonize", false, opt_not_yet, NULL },
    { "smp", true, opt_smp, "-smp N[,maxcpus=M] vCPUs (slots served)" },
    { "m", true, opt_m, "-m MiB             guest RAM built by libxc" },
    { "boot", true, opt_boot, "-boot order=cda    boot order in CMOS" },
    { "machine", true, opt_machine, "-machine xenfv[,max-ram-below-4g=B] | pc,accel=xen" },
    { "M", true, opt_machine, NULL },
    { "accel", true, opt_accel, NULL },
    { "global", true, opt_global, NULL },
    { "incoming", true, opt_incoming, "-incoming fd:N     load device state from fd N, then stay paused with -S" },
    { "chroot", true, opt_chroot, "-chroot DIR        chroot after set-up" },
    { "runas", true, opt_runas, "-runas USER[:GROUP] | UID:GID  drop privileges after set-up" },
    { "pidfile", true, opt_pidfile, NULL },
    { "ioreq-poll-max-ns", true, opt_ioreq_poll,
      "-ioreq-poll-max-ns NS  poll for the next ioreq up to NS after answering (0 = off; pays on idle hosts)" },
    { "rtc", true, opt_rtc, NULL },
    { "d", true, opt_d, "-d ITEMS           log categories (-d help)" },
    { "D", true, opt_D, "-D FILE            log to FILE" },
    { "h", false, opt_help, NULL },
    { "help", false, opt_help, "-help              this text" },
    { "version", false, opt_version, "-version           version" },
};

void xendm_options_init(XenDmOptions *o)
{
    memset(o, 0, sizeof(*o));
    o->chardevs = g_ptr_array_new_with_free_func(g_free);
    o->qmp_chardevs = g_ptr_array_new_with_free_func(g_free);
    o->qmp_specs = g_ptr_array_new_with_free_func(g_free);
    o->devices = g_ptr_array_new_with_free_func(g_free);
    o->drives = g_ptr_array_new_with_free_func(drive_free);
    o->xen_platform = true;
    o->acpi = true;
    o->ram_size = 128 * MiB_;
    o->smp_cpus = 1;
    o->max_cpus = 1;
    o->incoming_fd = -1;
}

void xendm_options_clear(XenDmOptions *o)
{
    g_ptr_array_free(o->chardevs, TRUE);
    g_ptr_array_free(o->qmp_chardevs, TRUE);
    g_ptr_array_free(o->qmp_specs, TRUE);
    g_ptr_array_free(o->devices, TRUE);
    g_ptr_array_free(o->drives, TRUE);
    for (int i = 0; i < XENDM_MAX_SERIAL; i++) {
        g_free(o->serial[i]);
    }
    g_free(o->name);
    g_free(o->boot_order);
    g_free(o->chroot_dir);
    g_free(o->runas);
    g_free(o->pidfile);
    g_free(o->log_items);
    g_free(o->log_file);
    memset(o, 0, sizeof(*o));
}

bool xendm_parse_args(int argc, char **argv, XenDmOptions *o, GError **err)
{
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *name;
        const OptDesc *d = NULL;

        if (a[0] != '-' || !a[1]) {
            return OPT_ERROR("%s: unexpected argument (options start with '-')", a);
        }
        name = a[1] == '-' ? a + 2 : a + 1;
        for (size_t k = 0; k < G_N_ELEMENTS(options); k++) {
            if (!strcmp(options[k].name, name)) {
                d = &options[k];
                break;
            }
        }
        if (!d) {
            return OPT_ERROR("%s: unknown option", a);
        }
        if (d->has_arg && i + 1 >= argc) {
            return OPT_ERROR("%s: missing argument", a);
        }
        if (!d->fn(o, a, d->has_arg ? argv[i + 1] : NULL, err)) {
            return false;
        }
        if (d->has_arg) {
            i++;
        }
    }
    if (o->show_help || o->show_version) {
        return true;
    }
    if (!o->have_domid) {
        return OPT_ERROR("-xen-domid: the guest domain id is required");
    }
    return true;
}

void xendm_print_help(FILE *out)
{
    fprintf(out, "usage: xen-dm -xen-domid N [options]\n"
            "The ioemu device model for a Xen HVM guest, started by libxl (qemu-xen command line).\n\n");
    for (size_t k = 0; k < G_N_ELEMENTS(options); k++) {
        if (options[k].help) {
            fprintf(out, "  %s\n", options[k].help);
        }
    }
}
