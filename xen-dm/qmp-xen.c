/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The QMP commands libxl sends that are specific to a Xen device model
 * (xen-interface.md 6.5, 7): device state save/load, global dirty logging,
 * plus query-pci and system_wakeup, which need the board.
 *
 * The device state file is the hw/core state stream (device_list_save);
 * libxl treats it as opaque, and a restore always runs this same program.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "hw/core/log.h"
#include "hw/pci/pci.h"
#include "xen-dm/board.h"
#include "xen-dm/xen-dm.h"

/* A saved device state larger than this is not ours. */
#define XENDM_MAX_STATE_SIZE    (256u << 20)

GByteArray *xendm_read_fd(int fd, GError **err)
{
    GByteArray *data = g_byte_array_new();
    uint8_t buf[65536];

    for (;;) {
        ssize_t n = read(fd, buf, sizeof(buf));

        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0) {
            g_set_error(err, IOEMU_ERROR, errno, "read: %s", g_strerror(errno));
            g_byte_array_free(data, TRUE);
            return NULL;
        }
        if (n == 0) {
            return data;
        }
        if (data->len + (size_t)n > XENDM_MAX_STATE_SIZE) {
            g_set_error(err, IOEMU_ERROR, EFBIG, "device state larger than %u MiB", XENDM_MAX_STATE_SIZE >> 20);
            g_byte_array_free(data, TRUE);
            return NULL;
        }
        g_byte_array_append(data, buf, (guint)n);
    }
}

static bool write_all(int fd, const uint8_t *p, size_t len, GError **err)
{
    while (len) {
        ssize_t n = write(fd, p, len);

        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            g_set_error(err, QMP_ERROR, QMP_ERROR_GENERIC, "writing the device state: %s",
                        n < 0 ? g_strerror(errno) : "short write");
            return false;
        }
        p += n;
        len -= (size_t)n;
    }
    return true;
}

bool xendm_load_state(XenDm *dm, const uint8_t *buf, size_t len, GError **err)
{
    GError *local = NULL;

    if (!device_list_load(dm->m->devices, buf, len, &local)) {
        /* A refused load may leave devices half-restored: put them back to their reset state. */
        device_list_reset(dm->m->devices, RESET_HARD);
        g_set_error(err, QMP_ERROR, QMP_ERROR_GENERIC, "loading device state: %s", local->message);
        g_error_free(local);
        return false;
    }
    /* Xen keeps PCI link routes on its side; make them match what was loaded. */
    xenfv_resync(dm->m);
    return true;
}

static JsonNode *cmd_xen_save_devices_state(QmpCall *c, void *opaque, GError **err)
{
    XenDm *dm = opaque;
    const char *filename = qmp_arg_str(c, "filename", "");
    bool was_running = dm->state == RUN_STATE_RUNNING;
    GByteArray *stream;
    bool ok;
    int fd;

    fd = qmp_open_file(c->server, filename, O_WRONLY | O_CREAT | O_TRUNC, err);
    if (fd < 0) {
        return NULL;
    }
    /* A consistent snapshot: nothing may change while we serialise (QEMU stops the VM too). */
    if (was_running) {
        xendm_vm_stop(dm, RUN_STATE_PAUSED);
    } else {
        ioreq_server_drain_buffered(dm->ioreq);
    }
    stream = g_byte_array_new();
    device_list_save(dm->m->devices, stream);
    ok = write_all(fd, stream->data, stream->len, err);
    if (ok && fsync(fd) < 0 && errno != EINVAL && errno != EROFS) {
        g_set_error(err, QMP_ERROR, QMP_ERROR_GENERIC, "fsync of the device state: %s", g_strerror(errno));
        ok = false;
    }
    close(fd);
    log_cat(LOG_XEN, "xen-dm: saved %u bytes of device state to %s\n", stream->len, filename);
    g_byte_array_free(stream, TRUE);
    if (was_running && !xendm_vm_start(dm, ok ? err : NULL)) {
        return NULL;
    }
    return NULL;
}

static JsonNode *cmd_xen_load_devices_state(QmpCall *c, void *opaque, GError **err)
{
    XenDm *dm = opaque;
    const char *filename = qmp_arg_str(c, "filename", "");
    bool was_running = dm->state == RUN_STATE_RUNNING;
    GError *local = NULL;
    GByteArray *data;
    int fd;

    fd = qmp_open_file(c->server, filename, O_RDONLY, err);
    if (fd < 0) {
        return NULL;
    }
    data = xendm_read_fd(fd, &local);
    close(fd);
    if (!data) {
        g_set_error(err, QMP_ERROR, QMP_ERROR_GENERIC, "%s: %s", filename, local->message);
        g_error_free(local);
        return NULL;
    }
    if (was_running) {
        xendm_vm_stop(dm, RUN_STATE_PAUSED);
    }
    xendm_load_state(dm, data->data, data->len, err);
    g_byte_array_free(data, TRUE);
    if (was_running) {
        xendm_vm_start(dm, NULL);
    }
    return NULL;
}

static JsonNode *cmd_xen_set_global_dirty_log(QmpCall *c, void *opaque, GError **err)
{
    XenDm *dm = opaque;
    bool enable = qmp_arg_bool(c, "enable", false);

    /* From now on every DM write to guest RAM is reported (modified_memory). */
    mapcache_set_dirty_log(dm->mapcache, enable);
    log_cat(LOG_XEN, "xen-dm: global dirty log %s\n", enable ? "on" : "off");
    return NULL;
}

static JsonNode *cmd_system_wakeup(QmpCall *c, void *opaque, GError **err)
{
    XenDm *dm = opaque;
    GError *local = NULL;

    xenfv_wakeup(dm->m);
    if (!ioreq_set_acpi_s_state(dm->ioreq, 0, &local)) {
        g_set_error(err, QMP_ERROR, QMP_ERROR_GENERIC, "%s", local->message);
        g_error_free(local);
    }
    return NULL;
}

/* ---- query-pci (qapi/pci.json PciInfo) ---- */

/* QEMU's descriptions for the classes a xenfv guest has (PCI Code and ID Assignment, 1.x). */
static const char *pci_class_desc(uint16_t cls)
{
    static const struct {
        uint16_t cls;
        const char *desc;
    } table[] = {
        { 0x0100, "SCSI controller" }, { 0x0101, "IDE controller" }, { 0x0106, "SATA controller" },
        { 0x0200, "Ethernet controller" }, { 0x0300, "VGA controller" }, { 0x0401, "Audio controller" },
        { 0x0403, "Audio controller" }, { 0x0600, "Host bridge" }, { 0x0601, "ISA bridge" },
        { 0x0604, "PCI bridge" }, { 0x0680, "Bridge" }, { 0x0c03, "USB controller" },
    };

    for (size_t i = 0; i < G_N_ELEMENTS(table); i++) {
        if (table[i].cls == cls) {
            return table[i].desc;
        }
    }
    return NULL;
}

static void add_pci_device(PCIDevice *d, void *opaque)
{
    JsonArray *devices = opaque;
    JsonObject *o = json_object_new();
    JsonObject *cls = json_object_new();
    JsonObject *id = json_object_new();
    JsonArray *regions = json_array_new();
    const uint8_t *cfg = d->config;

    json_object_set_int_member(o, "bus", 0);
    json_object_set_int_member(o, "slot", PCI_SLOT(d->devfn));
    json_object_set_int_member(o, "function", PCI_FUNC(d->devfn));
    json_object_set_int_member(cls, "class", pci_get_word(cfg + PCI_CLASS_DEVICE));
    if (pci_class_desc(pci_get_word(cfg + PCI_CLASS_DEVICE))) {
        json_object_set_string_member(cls, "desc", pci_class_desc(pci_get_word(cfg + PCI_CLASS_DEVICE)));
    }
    json_object_set_object_member(o, "class_info", cls);
    json_object_set_int_member(id, "device", pci_get_word(cfg + PCI_DEVICE_ID));
    json_object_set_int_member(id, "vendor", pci_get_word(cfg + PCI_VENDOR_ID));
    json_object_set_int_member(id, "subsystem", pci_get_word(cfg + PCI_SUBSYSTEM_ID));
    json_object_set_int_member(id, "subsystem-vendor", pci_get_word(cfg + PCI_SUBSYSTEM_VENDOR_ID));
    json_object_set_object_member(o, "id", id);
    if (cfg[PCI_INTERRUPT_PIN]) {
        json_object_set_int_member(o, "irq", cfg[PCI_INTERRUPT_LINE]);
    }
    json_object_set_int_member(o, "irq_pin", cfg[PCI_INTERRUPT_PIN]);
    for (int i = 0; i < PCI_NUM_REGIONS; i++) {
        const PCIBar *bar = &d->bars[i];
        JsonObject *r;
        bool io;

        if (!bar->mr) {
            continue;
        }
        io = i != PCI_ROM_SLOT && (bar->type & PCI_BASE_ADDRESS_SPACE_IO);
        r = json_object_new();
        json_object_set_int_member(r, "bar", i);
        json_object_set_string_member(r, "type", io ? "io" : "memory");
        json_object_set_int_member(r, "address", bar->addr == PCI_BAR_UNMAPPED ? -1 : (gint64)bar->addr);
        json_object_set_int_member(r, "size", (gint64)bar->size);
        if (!io && i != PCI_ROM_SLOT) {
            json_object_set_boolean_member(r, "prefetch", (bar->type & PCI_BASE_ADDRESS_MEM_PREFETCH) != 0);
            json_object_set_boolean_member(r, "mem_type_64", (bar->type & PCI_BASE_ADDRESS_MEM_TYPE_64) != 0);
        }
        json_array_add_object_element(regions, r);
    }
    json_object_set_array_member(o, "regions", regions);
    /*
     * QEMU's qdev id is the id= a user gave -device; the board's own devices
     * have none.  libxl matches it against the ids it gave (pci-pt-BB_DD.F).
     */
    json_object_set_string_member(o, "qdev_id", "");
    json_array_add_object_element(devices, o);
}

static JsonNode *cmd_query_pci(QmpCall *c, void *opaque, GError **err)
{
    XenDm *dm = opaque;
    JsonArray *buses = json_array_new();
    JsonArray *devices = json_array_new();
    JsonObject *bus = json_object_new();
    JsonNode *n = json_node_new(JSON_NODE_ARRAY);

    pci_bus_foreach(xenfv_pci_bus(dm->m), add_pci_device, devices);
    json_object_set_int_member(bus, "bus", 0);
    json_object_set_array_member(bus, "devices", devices);
    json_array_add_object_element(buses, bus);
    json_node_take_array(n, buses);
    return n;
}

/*
 * x-query-ioreq: the transport's counters and registrations, for debugging
 * a guest that misbehaves (or a device model that does).  Experimental,
 * hence the x- prefix: no QEMU equivalent.
 */
static JsonNode *cmd_x_query_ioreq(QmpCall *c, void *opaque, GError **err)
{
    XenDm *dm = opaque;
    const IoreqStats *st = ioreq_server_stats(dm->ioreq);
    const MapCacheStats *mc = mapcache_stats(dm->mapcache);
    JsonObject *o = json_object_new();
    JsonObject *m = json_object_new();
    JsonNode *n = json_node_new(JSON_NODE_OBJECT);
    unsigned ports, mmio;

    ioreq_server_range_counts(dm->ioreq, &ports, &mmio);
    json_object_set_boolean_member(o, "enabled", ioreq_server_enabled(dm->ioreq));
    json_object_set_int_member(o, "sync", (gint64)st->sync);
    json_object_set_int_member(o, "buffered", (gint64)st->buffered);
    json_object_set_int_member(o, "spurious", (gint64)st->spurious);
    json_object_set_int_member(o, "malformed", (gint64)st->malformed);
    json_object_set_int_member(o, "polled", (gint64)st->polled);
    json_object_set_int_member(o, "port-ranges", ports);
    json_object_set_int_member(o, "mmio-ranges", mmio);
    json_object_set_int_member(m, "maps", (gint64)mc->maps);
    json_object_set_int_member(m, "invalidations", (gint64)mc->invalidations);
    json_object_set_int_member(m, "dirty-reports", (gint64)mc->dirty_reports);
    json_object_set_boolean_member(m, "dirty-log", mapcache_dirty_log(dm->mapcache));
    json_object_set_object_member(o, "mapcache", m);
    json_node_take_object(n, o);
    return n;
}

static const QmpArg args_save[] = {
    { "filename", QMP_ARG_STR, false }, { "live", QMP_ARG_BOOL, true }, { NULL },
};
static const QmpArg args_load[] = { { "filename", QMP_ARG_STR, false }, { NULL } };
static const QmpArg args_dirty[] = { { "enable", QMP_ARG_BOOL, false }, { NULL } };

void xendm_qmp_register(XenDm *dm)
{
    qmp_register(dm->qmp, "xen-save-devices-state", args_save, cmd_xen_save_devices_state, dm);
    qmp_register(dm->qmp, "xen-load-devices-state", args_load, cmd_xen_load_devices_state, dm);
    qmp_register(dm->qmp, "xen-set-global-dirty-log", args_dirty, cmd_xen_set_global_dirty_log, dm);
    qmp_register(dm->qmp, "query-pci", NULL, cmd_query_pci, dm);
    qmp_register(dm->qmp, "system_wakeup", NULL, cmd_system_wakeup, dm);
    qmp_register(dm->qmp, "x-query-ioreq", NULL, cmd_x_query_ioreq, dm);
}
