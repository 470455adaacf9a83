/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * xen-dm: the ioemu device model for a Xen HVM guest, as libxl starts
 * qemu-xen (xen-interface.md 3 and 6).
 *
 * Start-up is a sequence of steps (DmStep), each undone in reverse on the
 * way out: main loop -> chardevs -> ioreq server -> map cache -> board ->
 * range registration -> QMP -> xenstore -> [-incoming] -> running or
 * prelaunch -> [restrict, chroot, runas] -> main loop.  Any start-up
 * failure is one "xen-dm: ..." line on stderr and exit status 1.  It exits
 * with status 0 on SIGTERM/SIGHUP/SIGINT (libxl stops it with SIGHUP), on
 * QMP quit, and when the domain is destroyed.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <glib-unix.h>

/* xen-dm.h first: the Xen library headers set up what the public headers need. */
#include "xen-dm/xen-dm.h"

#include <xen/sched.h>
#include <xentoolcore.h>

#include "block/block.h"
#include "hw/core/clock.h"
#include "hw/core/log.h"
#include "hw/core/mainloop.h"
#include "hw/pci/pci.h"
#include "xen-dm/board.h"

#define XENDM_VERSION "ioemu xen-dm (QEMU 7.2.0 compatible QMP)"

/* Enough address space for RAM below 4 GiB plus everything libxc can put above it. */
#define GiB_ (1024ull * 1024 * 1024)

static void G_GNUC_PRINTF(1, 2) die(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    fputs("xen-dm: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    exit(1);
}

const char *xendm_run_state_name(RunState s)
{
    switch (s) {
    case RUN_STATE_PRELAUNCH:
        return "prelaunch";
    case RUN_STATE_INMIGRATE:
        return "inmigrate";
    case RUN_STATE_RUNNING:
        return "running";
    case RUN_STATE_PAUSED:
        return "paused";
    case RUN_STATE_SHUTDOWN:
        return "shutdown";
    }
    return "?";
}

/* ---- run states ---- */

static void record_running(XenDm *dm)
{
    GError *err = NULL;

    /* libxl waits for this key (without dm_restrict); a restricted DM has no xenstore. */
    if (!dm->xs) {
        return;
    }
    if (!xen_xs_write_dm_state(dm->xs, "running", &err)) {
        if (!dm->xs_state_failed) {
            fprintf(stderr, "xen-dm: %s\n", err->message);
            dm->xs_state_failed = true;
        }
        g_error_free(err);
    }
}

bool xendm_vm_start(XenDm *dm, GError **err)
{
    if (dm->state == RUN_STATE_RUNNING) {
        return true;
    }
    if (!ioreq_server_set_enabled(dm->ioreq, true, err)) {
        return false;
    }
    clock_virtual_enable(true);
    dm->state = RUN_STATE_RUNNING;
    record_running(dm);
    return true;
}

void xendm_vm_stop(XenDm *dm, RunState to)
{
    GError *err = NULL;

    if (dm->state == RUN_STATE_RUNNING) {
        /* Whatever the guest queued before the stop is part of the state being frozen. */
        ioreq_server_drain_buffered(dm->ioreq);
        /*
         * Disk requests in flight complete now, and the images are flushed:
         * after a stop for migration the destination opens them (QEMU's
         * vm_stop drains and flushes likewise).
         */
        for (int i = 0; i < XENDM_IDE_SLOTS; i++) {
            if (dm->ide_drives[i]) {
                blk_drain(dm->ide_drives[i]);
                if (blk_flush(dm->ide_drives[i], &err) < 0) {
                    fprintf(stderr, "xen-dm: flushing disk %d on stop: %s\n", i, err->message);
                    g_clear_error(&err);
                }
            }
        }
        if (!ioreq_server_set_enabled(dm->ioreq, false, &err)) {
            fprintf(stderr, "xen-dm: %s\n", err->message);
            g_error_free(err);
        }
        clock_virtual_enable(false);
    }
    dm->state = to;
}

/* ---- machine requests (reset, power off) ---- */

/* Act on what a device asked for; runs before the triggering ioreq is answered. */
/* QEMU's SHUTDOWN/RESET event data: {"guest": true, "reason": ...}. */
static JsonNode *guest_event_data(const char *reason)
{
    JsonObject *o = json_object_new();
    JsonNode *n = json_node_new(JSON_NODE_OBJECT);

    json_object_set_boolean_member(o, "guest", TRUE);
    json_object_set_string_member(o, "reason", reason);
    json_node_take_object(n, o);
    return n;
}

static void process_pending(XenDm *dm)
{
    GError *err = NULL;

    if (g_atomic_int_compare_and_exchange(&dm->pending_reset, 1, 0)) {
        log_cat(LOG_XEN, "xen-dm: guest reset: resetting devices, asking Xen to reboot the domain\n");
        qmp_emit_event(dm->qmp, "RESET", guest_event_data("guest-reset"));
        device_list_reset(dm->m->devices, RESET_HARD);
        if (!ioreq_domain_shutdown(dm->ioreq, SHUTDOWN_reboot, &err)) {
            fprintf(stderr, "xen-dm: %s\n", err->message);
            g_clear_error(&err);
        }
        if (dm->opts.no_reboot) {
            mainloop_quit();
        }
    }
    if (g_atomic_int_compare_and_exchange(&dm->pending_poweroff, 1, 0)) {
        log_cat(LOG_XEN, "xen-dm: guest power off\n");
        if (!ioreq_domain_shutdown(dm->ioreq, SHUTDOWN_poweroff, &err)) {
            fprintf(stderr, "xen-dm: %s\n", err->message);
            g_clear_error(&err);
        }
        qmp_emit_event(dm->qmp, "SHUTDOWN", guest_event_data("guest-shutdown"));
        xendm_vm_stop(dm, RUN_STATE_SHUTDOWN);
        if (!dm->opts.no_shutdown) {
            mainloop_quit();
        }
    }
}

static void process_pending_bh(void *opaque)
{
    process_pending(opaque);
}

static XenDm *the_dm;   /* for the machine hook, which carries no opaque */

static void machine_hook_request(Machine *m, ShutdownCause cause, int exit_code)
{
    XenDm *dm = the_dm;

    switch (cause) {
    case SHUTDOWN_CAUSE_GUEST_RESET:
        g_atomic_int_set(&dm->pending_reset, 1);
        break;
    case SHUTDOWN_CAUSE_GUEST_POWEROFF:
    case SHUTDOWN_CAUSE_GUEST_EXIT:
        g_atomic_int_set(&dm->pending_poweroff, 1);
        break;
    case SHUTDOWN_CAUSE_HOST:
        mainloop_quit();
        return;
    case SHUTDOWN_CAUSE_NONE:
        return;
    }
    /* From an ioreq the after-hook acts first; from anywhere else (QMP, a timer) this does. */
    mainloop_call_soon(process_pending_bh, dm);
}

/* ---- ioreq handlers ---- */

static bool dm_ram_read(void *opaque, uint64_t gpa, void *buf, size_t len)
{
    return mapcache_read(((XenDm *)opaque)->mapcache, gpa, buf, len);
}

static bool dm_ram_write(void *opaque, uint64_t gpa, const void *buf, size_t len)
{
    return mapcache_write(((XenDm *)opaque)->mapcache, gpa, buf, len);
}

/*
 * Xen turns an access to 0xcfc-0xcff into PCI_CONFIG with register
 * (CF8 & 0xfc) | (port & 3) and the access size, so a word at 0xcfd
 * arrives as register 0x61, size 2.  The bus takes naturally aligned
 * accesses; split the others into bytes, as QEMU's config write does.
 */
static uint32_t dm_pci_read(void *opaque, uint32_t sbdf, uint32_t reg, unsigned size)
{
    Machine *m = ((XenDm *)opaque)->m;
    uint32_t v = 0;

    if (!(reg & (size - 1))) {
        return xenfv_pci_config_read(m, sbdf, reg, size);
    }
    for (unsigned i = 0; i < size; i++) {
        v |= (xenfv_pci_config_read(m, sbdf, reg + i, 1) & 0xff) << (8 * i);
    }
    return v;
}

static void dm_pci_write(void *opaque, uint32_t sbdf, uint32_t reg, uint32_t value, unsigned size)
{
    Machine *m = ((XenDm *)opaque)->m;

    if (!(reg & (size - 1))) {
        xenfv_pci_config_write(m, sbdf, reg, value, size);
        return;
    }
    for (unsigned i = 0; i < size; i++) {
        xenfv_pci_config_write(m, sbdf, reg + i, (value >> (8 * i)) & 0xff, 1);
    }
}

static void dm_invalidate(void *opaque)
{
    mapcache_invalidate(((XenDm *)opaque)->mapcache);
}

static void dm_timeoffset(void *opaque, int64_t delta)
{
    XenDm *dm = opaque;

    /* Upstream QEMU ignores it too: libxl keeps the offset in the domain config. */
    dm->rtc_offset += delta;
    log_cat(LOG_XEN, "xen-dm: guest RTC moved by %" G_GINT64_FORMAT " s (total %" G_GINT64_FORMAT ")\n", delta,
            dm->rtc_offset);
}

static void dm_after_request(void *opaque, const ioreq_t *req, IoreqResult r)
{
    XenDm *dm = opaque;

    if (g_atomic_int_get(&dm->pending_reset) || g_atomic_int_get(&dm->pending_poweroff)) {
        process_pending(dm);
    }
}

/* ---- board hooks ---- */

static void hook_isa_irq(void *opaque, unsigned irq, unsigned level)
{
    ioreq_set_isa_irq_level(((XenDm *)opaque)->ioreq, irq, level);
}

static void hook_pci_intx(void *opaque, unsigned dev, unsigned intx, unsigned level)
{
    ioreq_set_pci_intx_level(((XenDm *)opaque)->ioreq, dev, intx, level);
}

static void hook_link_route(void *opaque, unsigned link, unsigned isa_irq)
{
    ioreq_set_pci_link_route(((XenDm *)opaque)->ioreq, link, isa_irq);
}

static void hook_msi(void *opaque, uint64_t addr, uint32_t data)
{
    ioreq_inject_msi(((XenDm *)opaque)->ioreq, addr, data);
}

static void hook_sleep(void *opaque, unsigned s_state)
{
    XenDm *dm = opaque;
    GError *err = NULL;

    if (!ioreq_set_acpi_s_state(dm->ioreq, s_state, &err)) {
        fprintf(stderr, "xen-dm: %s\n", err->message);
        g_error_free(err);
    }
}

static bool hook_rom_lock(void *opaque, bool locked)
{
    XenDm *dm = opaque;
    /* The option ROM area 0xc0000-0xfffff (xen-interface.md 4.4). */
    int rc = xendevicemodel_set_mem_type(ioreq_server_dmod(dm->ioreq), ioreq_server_domid(dm->ioreq),
                                         locked ? HVMMEM_ram_ro : HVMMEM_ram_rw, 0xc0, 0x40);

    if (rc < 0) {
        log_printf("xen-dm: set_mem_type(%s, 0xc0, 0x40): %s\n", locked ? "ram_ro" : "ram_rw", g_strerror(errno));
        return false;
    }
    return true;
}

/* ---- QMP machine operations ---- */

static const char *qmp_status(void *opaque)
{
    return xendm_run_state_name(((XenDm *)opaque)->state);
}

static bool qmp_stop(void *opaque, GError **err)
{
    XenDm *dm = opaque;

    if (dm->state == RUN_STATE_RUNNING || dm->state == RUN_STATE_PRELAUNCH) {
        xendm_vm_stop(dm, RUN_STATE_PAUSED);
    }
    return true;
}

static bool qmp_cont(void *opaque, GError **err)
{
    XenDm *dm = opaque;

    if (dm->state == RUN_STATE_SHUTDOWN) {
        g_set_error(err, QMP_ERROR, QMP_ERROR_GENERIC, "Resetting the Virtual Machine is required");
        return false;
    }
    return xendm_vm_start(dm, err);
}

static void qmp_quit(void *opaque)
{
    mainloop_quit();
}

static void qmp_system_reset(void *opaque)
{
    XenDm *dm = opaque;

    machine_request(dm->m, SHUTDOWN_CAUSE_GUEST_RESET, 0);
}

static void qmp_system_powerdown(void *opaque)
{
    XenDm *dm = opaque;

    xenfv_power_button(dm->m);
}

static void dump_line(void *opaque, const char *line)
{
    g_string_append(opaque, line);
    if (!g_str_has_suffix(line, "\n")) {
        g_string_append_c(opaque, '\n');
    }
}

static void qmp_dump_mtree(void *opaque, GString *out)
{
    XenDm *dm = opaque;

    as_dump(dm->m->io, dump_line, out);
    as_dump(dm->m->mem, dump_line, out);
    g_string_append(out, "ioreq ranges registered with Xen:\n");
    ioreq_server_dump_ranges(dm->ioreq, out);
}

static QmpMachineOps qmp_ops = {
    .status = qmp_status,
    .stop = qmp_stop,
    .cont = qmp_cont,
    .quit = qmp_quit,
    .system_reset = qmp_system_reset,
    .system_powerdown = qmp_system_powerdown,
    .dump_mtree = qmp_dump_mtree,
};

/* ---- start-up steps ---- */

static gboolean on_signal(gpointer opaque)
{
    int sig = GPOINTER_TO_INT(opaque);

    log_cat(LOG_XEN, "xen-dm: signal %d: exiting\n", sig);
    mainloop_quit();
    return G_SOURCE_CONTINUE;
}

static void setup_logging(XenDm *dm)
{
    char *msg = NULL;

    if (!log_apply_env(&msg)) {
        die("%s", msg);
    }
    if (dm->opts.log_items) {
        if (!strcmp(dm->opts.log_items, "help")) {
            log_print_help(stdout);
            exit(0);
        }
        if (!log_set_mask_str(dm->opts.log_items, &msg)) {
            die("-d %s: %s", dm->opts.log_items, msg);
        }
    }
    if (dm->opts.log_file) {
        FILE *f = fopen(dm->opts.log_file, "a");

        if (!f) {
            die("-D %s: %s", dm->opts.log_file, g_strerror(errno));
        }
        fclose(f);
        log_set_file(dm->opts.log_file);
    }
}

static Chardev *claim_chardev(XenDm *dm, const char *option, Chardev *chr)
{
    if (g_hash_table_contains(dm->used_chardevs, chr)) {
        die("%s: chardev '%s' is already in use", option, chardev_id(chr));
    }
    g_hash_table_add(dm->used_chardevs, chr);
    return chr;
}

static void step_chardevs(XenDm *dm)
{
    XenDmOptions *o = &dm->opts;
    GError *err = NULL;

    for (guint i = 0; i < o->chardevs->len; i++) {
        const char *opts = o->chardevs->pdata[i];
        Chardev *chr = chardev_new_from_opts(opts, &err);

        if (!chr) {
            die("-chardev %s: %s", opts, err->message);
        }
        g_ptr_array_add(dm->chardevs, chr);
        g_hash_table_insert(dm->named_chardevs, g_strdup(chardev_id(chr)), chr);
    }
    for (int i = 0; i < o->n_serial; i++) {
        const char *spec = o->serial[i];
        char *id = g_strdup_printf("serial%d", i);

        if (!strcmp(spec, "none")) {
            g_free(id);
            continue;
        }
        if (g_str_has_prefix(spec, "chardev:")) {
            Chardev *chr = g_hash_table_lookup(dm->named_chardevs, spec + 8);

            if (!chr) {
                die("-serial %s: no -chardev with id '%s'", spec, spec + 8);
            }
            dm->serial[i] = claim_chardev(dm, "-serial", chr);
        } else {
            Chardev *chr = chardev_new_from_spec(id, spec, &err);

            if (!chr) {
                die("-serial %s: %s", spec, err->message);
            }
            g_ptr_array_add(dm->chardevs, chr);
            dm->serial[i] = claim_chardev(dm, "-serial", chr);
        }
        g_free(id);
    }
    for (guint i = 0; i < o->qmp_chardevs->len; i++) {
        const char *id = o->qmp_chardevs->pdata[i];
        Chardev *chr = g_hash_table_lookup(dm->named_chardevs, id);

        if (!chr) {
            die("-mon chardev=%s: no -chardev with id '%s'", id, id);
        }
        g_ptr_array_add(dm->qmp_chrs, claim_chardev(dm, "-mon", chr));
    }
    for (guint i = 0; i < o->qmp_specs->len; i++) {
        const char *spec = o->qmp_specs->pdata[i];
        char *id = g_strdup_printf("compat_monitor%u", i);
        Chardev *chr = chardev_new_from_spec(id, spec, &err);

        if (!chr) {
            die("-qmp %s: %s", spec, err->message);
        }
        g_free(id);
        g_ptr_array_add(dm->chardevs, chr);
        g_ptr_array_add(dm->qmp_chrs, claim_chardev(dm, "-qmp", chr));
    }
}

static void step_ioreq(XenDm *dm)
{
    IoreqServerConfig cfg = {
        .domid = dm->opts.domid,
        .max_vcpus = dm->opts.max_cpus,
        .poll_max_ns = dm->opts.ioreq_poll_ns,
    };
    GError *err = NULL;

    dm->ioreq = ioreq_server_new(&cfg, &err);
    if (!dm->ioreq) {
        die("%s", err->message);
    }
}

static uint64_t ram_region_size(XenDm *dm)
{
    uint64_t lowmem = dm->opts.max_ram_below_4g ? dm->opts.max_ram_below_4g : XENFV_BELOW_4G_RAM_END;
    uint64_t above = dm->opts.ram_size > lowmem ? dm->opts.ram_size - lowmem : 0;

    return 4 * GiB_ + above;
}

static void step_board(XenDm *dm)
{
    XenDmOptions *o = &dm->opts;
    const char *limit = g_getenv("XEN_QEMU_CONSOLE_LIMIT");
    XenfvConfig cfg = {
        .ram_size = o->ram_size,
        .max_ram_below_4g = o->max_ram_below_4g,
        .ram = mapcache_region(dm->mapcache),
        .smp_cpus = o->smp_cpus,
        .max_cpus = o->max_cpus,
        .boot_order = o->boot_order,
        .xen_platform = o->xen_platform,
        .acpi = o->acpi,
        .acpi_disable_s3 = o->disable_s3,
        .acpi_disable_s4 = o->disable_s4,
        .devices = (const char *const *)o->devices->pdata,
        .n_devices = o->devices->len,
        .hooks = {
            .set_isa_irq = hook_isa_irq,
            .set_pci_intx = hook_pci_intx,
            .set_pci_link_route = hook_link_route,
            .inject_msi = hook_msi,
            .sleep = hook_sleep,
            .rom_lock = hook_rom_lock,
            .opaque = dm,
        },
    };
    GError *err = NULL;

    if (limit && *limit) {
        guint64 v = g_ascii_strtoull(limit, NULL, 10);
        cfg.platform_log_limit = v > UINT32_MAX ? UINT32_MAX : (uint32_t)v;
    }
    for (int i = 0; i < XENFV_MAX_SERIAL; i++) {
        cfg.serial[i] = dm->serial[i];
    }
    for (int i = 0; i < XENDM_IDE_SLOTS; i++) {
        XenDmDrive *d = o->ide[i];
        BlockCacheMode cache = BLK_CACHE_WRITEBACK;

        if (!d) {
            continue;
        }
        cfg.ide_cdrom[i] = d->cdrom;
        if (!d->file || !*d->file) {
            continue;       /* an empty CD-ROM drive */
        }
        if (d->cache) {
            blk_parse_cache_mode(d->cache, &cache);
        }
        dm->ide_drives[i] = blk_open(d->file, d->format, d->readonly || d->cdrom ? 0 : BLK_OPEN_RDWR, cache, &err);
        if (!dm->ide_drives[i]) {
            die("-drive file=%s: %s", d->file, err->message);
        }
        cfg.ide_drives[i] = dm->ide_drives[i];
    }
    dm->m = xenfv_create(&cfg, &err);
    if (!dm->m) {
        die("%s", err->message);
    }
    dm->m->hooks.request = machine_hook_request;
}

static void map_pci_function(PCIDevice *d, void *opaque)
{
    XenDm *dm = opaque;
    GError *err = NULL;

    if (!ioreq_server_map_pcidev(dm->ioreq, 0, (uint8_t)d->devfn, &err)) {
        die("%s", err->message);
    }
}

static void step_register(XenDm *dm)
{
    IoreqHandlers h = {
        .io = dm->m->io,
        .mem = dm->m->mem,
        .ram_read = dm_ram_read,
        .ram_write = dm_ram_write,
        .pci_config_read = dm_pci_read,
        .pci_config_write = dm_pci_write,
        .invalidate = dm_invalidate,
        .timeoffset = dm_timeoffset,
        .opaque = dm,
    };
    IoreqSlotHooks hooks = { .after = dm_after_request, .opaque = dm };

    ioreq_server_set_handlers(dm->ioreq, &h, &hooks);
    ioreq_server_watch(dm->ioreq, dm->m->io, dm->m->mem, mapcache_region(dm->mapcache));
    pci_bus_foreach(xenfv_pci_bus(dm->m), map_pci_function, dm);
    /* Xen starts with every PCI link unrouted; tell it the PIIX3's reset values. */
    xenfv_resync(dm->m);
}

static void step_qmp(XenDm *dm)
{
    qmp_ops.name = dm->opts.name;
    qmp_ops.ncpus = (int)dm->opts.smp_cpus;
    dm->qmp = qmp_server_new();
    qmp_register_generic(dm->qmp, &qmp_ops, dm);
    xendm_qmp_register(dm);
    for (guint i = 0; i < dm->qmp_chrs->len; i++) {
        g_ptr_array_add(dm->monitors, qmp_monitor_new(dm->qmp, dm->qmp_chrs->pdata[i]));
    }
}

static void domain_released(void *opaque)
{
    XenDm *dm = opaque;
    IoreqDomainState st = ioreq_domain_state(dm->ioreq);

    if (st == IOREQ_DOMAIN_GONE || st == IOREQ_DOMAIN_DYING) {
        fprintf(stderr, "xen-dm: domain %u is gone; exiting\n", dm->opts.domid);
        mainloop_quit();
    }
}

static void step_xenstore(XenDm *dm)
{
    GError *err = NULL;

    dm->xs = xen_xs_open(dm->opts.domid, &err);
    if (!dm->xs) {
        die("%s", err->message);
    }
    if (!xen_xs_make_backends_dir(dm->xs, &err) || !xen_xs_watch_release(dm->xs, domain_released, dm, &err)) {
        die("%s", err->message);
    }
}

static void load_incoming(XenDm *dm)
{
    GError *err = NULL;
    GByteArray *data;

    dm->state = RUN_STATE_INMIGRATE;
    data = xendm_read_fd(dm->opts.incoming_fd, &err);
    close(dm->opts.incoming_fd);
    if (!data) {
        die("-incoming fd:%d: %s", dm->opts.incoming_fd, err->message);
    }
    if (!xendm_load_state(dm, data->data, data->len, &err)) {
        die("-incoming fd:%d: %s", dm->opts.incoming_fd, err->message);
    }
    g_byte_array_free(data, TRUE);
}

typedef struct Identity {
    bool set;
    uid_t uid;
    gid_t gid;
    char *user;     /* for initgroups, NULL for numeric uid:gid */
} Identity;

static bool parse_id(const char *s, unsigned long *out)
{
    char *end;

    if (!*s || !g_ascii_isdigit(*s)) {
        return false;
    }
    errno = 0;
    *out = strtoul(s, &end, 10);
    return !errno && !*end;
}

/* Resolve -runas before a chroot hides /etc/passwd. */
static Identity resolve_runas(const char *spec)
{
    Identity id = { 0 };
    char *user = g_strdup(spec);
    char *group = strchr(user, ':');
    unsigned long u, g;

    if (group) {
        *group++ = '\0';
    }
    if (group && parse_id(user, &u) && parse_id(group, &g)) {
        /* libxl's dm_restrict form: base uid + domid, and the group. */
        id.uid = (uid_t)u;
        id.gid = (gid_t)g;
    } else {
        struct passwd *pw = getpwnam(user);

        if (!pw) {
            die("-runas %s: no such user '%s'", spec, user);
        }
        id.uid = pw->pw_uid;
        id.gid = pw->pw_gid;
        id.user = g_strdup(pw->pw_name);
        if (group) {
            struct group *gr = getgrnam(group);

            if (!gr) {
                die("-runas %s: no such group '%s'", spec, group);
            }
            id.gid = gr->gr_gid;
        }
    }
    id.set = true;
    g_free(user);
    return id;
}

static void drop_privileges(const char *spec, Identity *id)
{
    if (setgid(id->gid) < 0) {
        die("-runas %s: setgid(%u): %s", spec, (unsigned)id->gid, g_strerror(errno));
    }
    if (id->user ? initgroups(id->user, id->gid) < 0 : setgroups(1, &id->gid) < 0) {
        die("-runas %s: supplementary groups: %s", spec, g_strerror(errno));
    }
    if (setuid(id->uid) < 0) {
        die("-runas %s: setuid(%u): %s", spec, (unsigned)id->uid, g_strerror(errno));
    }
    if (id->uid != 0 && setuid(0) == 0) {
        die("-runas %s: could regain root after dropping it", spec);
    }
}

/* -xen-domid-restrict, -chroot, -runas: after everything that needs privilege is open. */
static void confine(XenDm *dm)
{
    XenDmOptions *o = &dm->opts;
    Identity id = { 0 };

    if (o->runas) {
        id = resolve_runas(o->runas);
    }
    if (o->domid_restrict) {
        /*
         * libxenstore answers restriction by pointing its socket at
         * /dev/null; a restricted DM has no xenstore (libxl asks over QMP).
         */
        xen_xs_close(dm->xs);
        dm->xs = NULL;
        if (xentoolcore_restrict_all((domid_t)o->domid) < 0) {
            die("-xen-domid-restrict: xentoolcore_restrict_all(%u): %s", o->domid, g_strerror(errno));
        }
        dm->restricted = true;
    }
    if (o->chroot_dir) {
        if (chroot(o->chroot_dir) < 0) {
            die("-chroot %s: %s", o->chroot_dir, g_strerror(errno));
        }
        if (chdir("/") < 0) {
            die("-chroot %s: chdir /: %s", o->chroot_dir, g_strerror(errno));
        }
    }
    if (id.set) {
        drop_privileges(o->runas, &id);
        g_free(id.user);
    }
}

static void write_pidfile(const char *path)
{
    char *text = g_strdup_printf("%d\n", (int)getpid());
    GError *err = NULL;

    if (!g_file_set_contents(path, text, -1, &err)) {
        die("-pidfile %s: %s", path, err->message);
    }
    g_free(text);
}

/* ---- teardown: the exact reverse ---- */

static void teardown(XenDm *dm)
{
    switch (dm->step) {
    case DM_STEP_RUNNING:
    case DM_STEP_XENSTORE:
        xen_xs_close(dm->xs);
        dm->xs = NULL;
        /* fall through */
    case DM_STEP_QMP:
        for (guint i = 0; i < dm->monitors->len; i++) {
            qmp_monitor_free(dm->monitors->pdata[i]);
        }
        g_ptr_array_set_size(dm->monitors, 0);
        qmp_server_free(dm->qmp);
        dm->qmp = NULL;
        /* fall through */
    case DM_STEP_REGISTERED:
        ioreq_server_unwatch(dm->ioreq);
        /* fall through */
    case DM_STEP_BOARD:
        xenfv_destroy(dm->m);
        dm->m = NULL;
        for (int i = 0; i < XENDM_IDE_SLOTS; i++) {
            if (dm->ide_drives[i]) {
                blk_close(dm->ide_drives[i]);
                dm->ide_drives[i] = NULL;
            }
        }
        /* fall through */
    case DM_STEP_MAPCACHE:
        mapcache_free(dm->mapcache);
        dm->mapcache = NULL;
        /* fall through */
    case DM_STEP_IOREQ:
        ioreq_server_free(dm->ioreq);
        dm->ioreq = NULL;
        /* fall through */
    case DM_STEP_CHARDEVS:
        for (guint i = 0; i < dm->chardevs->len; i++) {
            chardev_free(dm->chardevs->pdata[i]);
        }
        g_ptr_array_set_size(dm->chardevs, 0);
        /* fall through */
    case DM_STEP_MAINLOOP:
        for (int i = 0; i < 3; i++) {
            if (dm->signal_sources[i]) {
                g_source_remove(dm->signal_sources[i]);
            }
        }
        /* fall through */
    case DM_STEP_NONE:
        break;
    }
    dm->step = DM_STEP_NONE;
}

int main(int argc, char **argv)
{
    XenDm *dm = g_new0(XenDm, 1);
    GError *err = NULL;
    int status;

    the_dm = dm;
    g_set_prgname("xen-dm");
    xendm_options_init(&dm->opts);
    if (!xendm_parse_args(argc, argv, &dm->opts, &err)) {
        die("%s", err->message);
    }
    if (dm->opts.show_help) {
        xendm_print_help(stdout);
        return 0;
    }
    if (dm->opts.show_version) {
        printf("%s\n", XENDM_VERSION);
        return 0;
    }
    setup_logging(dm);
    if (dm->opts.pidfile) {
        write_pidfile(dm->opts.pidfile);
    }

    /* A vanished QMP client must be an error return, not a process kill. */
    signal(SIGPIPE, SIG_IGN);
    mainloop_init();
    dm->chardevs = g_ptr_array_new();
    dm->named_chardevs = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    dm->used_chardevs = g_hash_table_new(g_direct_hash, g_direct_equal);
    dm->qmp_chrs = g_ptr_array_new();
    dm->monitors = g_ptr_array_new();
    dm->signal_sources[0] = g_unix_signal_add(SIGTERM, on_signal, GINT_TO_POINTER(SIGTERM));
    dm->signal_sources[1] = g_unix_signal_add(SIGHUP, on_signal, GINT_TO_POINTER(SIGHUP));
    dm->signal_sources[2] = g_unix_signal_add(SIGINT, on_signal, GINT_TO_POINTER(SIGINT));
    dm->step = DM_STEP_MAINLOOP;

    step_chardevs(dm);
    dm->step = DM_STEP_CHARDEVS;
    step_ioreq(dm);
    dm->step = DM_STEP_IOREQ;
    dm->mapcache = mapcache_new(dm->ioreq, ram_region_size(dm));
    dm->step = DM_STEP_MAPCACHE;
    /* Guest time stands still until the guest runs. */
    clock_virtual_enable(false);
    step_board(dm);
    dm->step = DM_STEP_BOARD;
    step_register(dm);
    dm->step = DM_STEP_REGISTERED;
    step_qmp(dm);
    dm->step = DM_STEP_QMP;
    step_xenstore(dm);
    dm->step = DM_STEP_XENSTORE;

    dm->state = RUN_STATE_PRELAUNCH;
    if (dm->opts.incoming_fd >= 0) {
        load_incoming(dm);
        dm->state = RUN_STATE_PAUSED;
    }
    if (!dm->opts.start_paused) {
        /* Autostart: tell libxl (xenstore) before a restriction closes xenstore. */
        if (!xendm_vm_start(dm, &err)) {
            die("%s", err->message);
        }
    }
    confine(dm);
    dm->step = DM_STEP_RUNNING;

    mainloop_run();

    status = dm->exit_status;
    teardown(dm);
    g_ptr_array_free(dm->chardevs, TRUE);
    g_ptr_array_free(dm->qmp_chrs, TRUE);
    g_ptr_array_free(dm->monitors, TRUE);
    g_hash_table_destroy(dm->named_chardevs);
    g_hash_table_destroy(dm->used_chardevs);
    xendm_options_clear(&dm->opts);
    g_free(dm);
    fflush(stdout);
    return status;
}
