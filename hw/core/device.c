/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Device list: registration, two-phase reset and the save stream.
 *
 * Stream (state.h): "IOEMUVMS", u32 format version 1, then per stateful
 * device a section {u8 0x01, u8 name length, name = device id, u32 instance,
 * u32 state version, u32 payload length, payload}, then u8 0x00.
 *
 * Loading parses the whole stream and matches every section to a device
 * before any device is touched, so a malformed or foreign stream fails
 * without changing anything; only a payload or post_load refusal can leave
 * devices half loaded (the caller then resets the machine).
 */
#include <inttypes.h>
#include <string.h>

#include "hw/core/device.h"

#define STREAM_MAGIC "IOEMUVMS"
#define STREAM_MAGIC_LEN 8
#define STREAM_FORMAT_VERSION 1
#define STREAM_TAG_END 0x00
#define STREAM_TAG_SECTION 0x01

G_DEFINE_QUARK(ioemu-error-quark, ioemu_error)

struct DeviceList {
    Device *head;
    Device *tail;
    GHashTable *by_id;      /* id -> Device* */
};

DeviceList *device_list_new(void)
{
    DeviceList *list = g_new0(DeviceList, 1);

    list->by_id = g_hash_table_new(g_str_hash, g_str_equal);
    return list;
}

void device_list_free(DeviceList *list)
{
    GPtrArray *devs;

    if (!list) {
        return;
    }
    devs = g_ptr_array_new();
    for (Device *d = list->head; d; d = d->next) {
        g_ptr_array_add(devs, d);
    }
    g_hash_table_destroy(list->by_id);
    /* Reverse creation order; unrealize may free the device, so take the id first. */
    for (guint i = devs->len; i-- > 0;) {
        Device *d = g_ptr_array_index(devs, i);
        char *id = d->id;

        d->id = NULL;
        d->next = NULL;
        if (d->cls && d->cls->unrealize) {
            d->cls->unrealize(d);
        }
        g_free(id);
    }
    g_ptr_array_free(devs, TRUE);
    g_free(list);
}

void device_register(DeviceList *list, Device *dev, const DeviceClass *cls, const char *id)
{
    uint32_t instance = 0;

    /* Ids name save sections (u8 length) and must be unique: board bugs otherwise. */
    g_assert(dev && cls && cls->name && id);
    g_assert(strlen(id) > 0 && strlen(id) <= 255);
    g_assert(!g_hash_table_contains(list->by_id, id));

    for (Device *d = list->head; d; d = d->next) {
        if (d->cls == cls) {
            instance++;
        }
    }
    dev->cls = cls;
    dev->id = g_strdup(id);
    dev->instance = instance;
    dev->next = NULL;
    if (list->tail) {
        list->tail->next = dev;
    } else {
        list->head = dev;
    }
    list->tail = dev;
    g_hash_table_insert(list->by_id, dev->id, dev);
}

Device *device_find(DeviceList *list, const char *id)
{
    return id ? g_hash_table_lookup(list->by_id, id) : NULL;
}

void device_foreach(DeviceList *list, void (*fn)(Device *dev, void *opaque), void *opaque)
{
    for (Device *d = list->head, *next; d; d = next) {
        next = d->next;
        fn(d, opaque);
    }
}

void device_list_reset(DeviceList *list, ResetKind kind)
{
    /* Every device drops its outputs before any device loads reset values. */
    for (Device *d = list->head; d; d = d->next) {
        if (d->cls->reset_hold) {
            d->cls->reset_hold(d, kind);
        }
    }
    for (Device *d = list->head; d; d = d->next) {
        if (d->cls->reset) {
            d->cls->reset(d, kind);
        }
    }
}

void device_reset(Device *dev, ResetKind kind)
{
    if (dev->cls->reset_hold) {
        dev->cls->reset_hold(dev, kind);
    }
    if (dev->cls->reset) {
        dev->cls->reset(dev, kind);
    }
}

/* ---- save stream ---- */

static void put_u8(GByteArray *out, uint8_t v)
{
    g_byte_array_append(out, &v, 1);
}

static void put_u32(GByteArray *out, uint32_t v)
{
    uint8_t b[4] = { (uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24) };

    g_byte_array_append(out, b, 4);
}

static void stream_header(GByteArray *out)
{
    g_byte_array_append(out, (const guint8 *)STREAM_MAGIC, STREAM_MAGIC_LEN);
    put_u32(out, STREAM_FORMAT_VERSION);
}

static void save_section(Device *dev, GByteArray *out)
{
    const StateDescription *sd = dev->cls->state;
    size_t id_len = strlen(dev->id);
    guint len_pos, payload_start;
    size_t payload_len;

    put_u8(out, STREAM_TAG_SECTION);
    put_u8(out, (uint8_t)id_len);
    g_byte_array_append(out, (const guint8 *)dev->id, (guint)id_len);
    put_u32(out, dev->instance);
    put_u32(out, (uint32_t)sd->version);
    len_pos = out->len;
    put_u32(out, 0);
    payload_start = out->len;
    state_save_fields(sd, dev, out);
    payload_len = out->len - payload_start;
    g_assert(payload_len <= UINT32_MAX);
    for (int i = 0; i < 4; i++) {
        out->data[len_pos + i] = (uint8_t)(payload_len >> (8 * i));
    }
}

void device_list_save(DeviceList *list, GByteArray *out)
{
    stream_header(out);
    for (Device *d = list->head; d; d = d->next) {
        if (d->cls->state) {
            save_section(d, out);
        }
    }
    put_u8(out, STREAM_TAG_END);
}

void device_save(Device *dev, GByteArray *out)
{
    stream_header(out);
    if (dev->cls->state) {
        save_section(dev, out);
    }
    put_u8(out, STREAM_TAG_END);
}

typedef struct Section {
    Device *dev;
    uint32_t version;
    const uint8_t *payload;
    size_t len;
} Section;

typedef struct StreamReader {
    const uint8_t *buf;
    size_t len;
    size_t pos;
} StreamReader;

static bool get_bytes(StreamReader *r, size_t n, const uint8_t **p, const char *what, GError **err)
{
    if (r->len - r->pos < n) {
        g_set_error(err, IOEMU_ERROR, 0,
                    "state stream truncated: %s needs %zu bytes at offset %zu, only %zu left",
                    what, n, r->pos, r->len - r->pos);
        return false;
    }
    *p = r->buf + r->pos;
    r->pos += n;
    return true;
}

static bool get_u32(StreamReader *r, uint32_t *v, const char *what, GError **err)
{
    const uint8_t *p;

    if (!get_bytes(r, 4, &p, what, err)) {
        return false;
    }
    *v = (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
    return true;
}

/*
 * Parse and check the framing of a whole stream.  `only` restricts the
 * accepted sections to one device (device_load).
 */
static bool parse_stream(DeviceList *list, Device *only, const uint8_t *buf, size_t len,
                         GArray *sections, GError **err)
{
    StreamReader r = { .buf = buf, .len = buf ? len : 0, .pos = 0 };
    GHashTable *seen = g_hash_table_new(NULL, NULL);
    const uint8_t *p;
    uint32_t format;
    bool ok = false;

    if (!get_bytes(&r, STREAM_MAGIC_LEN, &p, "header", err)) {
        goto out;
    }
    if (memcmp(p, STREAM_MAGIC, STREAM_MAGIC_LEN) != 0) {
        g_set_error(err, IOEMU_ERROR, 0, "not an ioemu state stream (bad magic)");
        goto out;
    }
    if (!get_u32(&r, &format, "format version", err)) {
        goto out;
    }
    if (format != STREAM_FORMAT_VERSION) {
        g_set_error(err, IOEMU_ERROR, 0, "unsupported state stream format version %" PRIu32
                    " (expected %d)", format, STREAM_FORMAT_VERSION);
        goto out;
    }

    for (;;) {
        const uint8_t *tag, *name_len, *name, *payload;
        uint32_t instance, version, payload_len;
        char *id;
        Device *dev;
        const StateDescription *sd;
        Section s;

        if (!get_bytes(&r, 1, &tag, "section tag", err)) {
            goto out;
        }
        if (*tag == STREAM_TAG_END) {
            break;
        }
        if (*tag != STREAM_TAG_SECTION) {
            g_set_error(err, IOEMU_ERROR, 0, "bad section tag 0x%02x at offset %zu", *tag, r.pos - 1);
            goto out;
        }
        if (!get_bytes(&r, 1, &name_len, "section name length", err) ||
            !get_bytes(&r, *name_len, &name, "section name", err)) {
            goto out;
        }
        id = g_strndup((const char *)name, *name_len);
        if (strlen(id) != *name_len) {
            g_set_error(err, IOEMU_ERROR, 0, "section name at offset %zu contains a NUL byte",
                        (size_t)(name - buf));
            g_free(id);
            goto out;
        }
        dev = device_find(list, id);
        if (!dev || (only && dev != only)) {
            char *printable = g_strescape(id, NULL);
            g_set_error(err, IOEMU_ERROR, 0, "state stream has a section for unknown device '%s'",
                        printable);
            g_free(printable);
            g_free(id);
            goto out;
        }
        g_free(id);
        sd = dev->cls->state;
        if (!sd) {
            g_set_error(err, IOEMU_ERROR, 0, "state stream has a section for stateless device '%s'",
                        dev->id);
            goto out;
        }
        if (g_hash_table_contains(seen, dev)) {
            g_set_error(err, IOEMU_ERROR, 0, "state stream has two sections for device '%s'", dev->id);
            goto out;
        }
        g_hash_table_add(seen, dev);
        if (!get_u32(&r, &instance, "instance id", err) ||
            !get_u32(&r, &version, "state version", err) ||
            !get_u32(&r, &payload_len, "payload length", err)) {
            goto out;
        }
        if (version > (uint32_t)G_MAXINT || (int)version > sd->version || (int)version < sd->min_version) {
            g_set_error(err, IOEMU_ERROR, 0, "device '%s' (%s): state version %" PRIu32
                        " not supported (accepts %d..%d)", dev->id, sd->name, version,
                        sd->min_version, sd->version);
            goto out;
        }
        if (!get_bytes(&r, payload_len, &payload, "section payload", err)) {
            g_prefix_error(err, "device '%s': ", dev->id);
            goto out;
        }
        /* The id names the device; the instance number is informational. */
        (void)instance;
        s = (Section){ .dev = dev, .version = version, .payload = payload, .len = payload_len };
        g_array_append_val(sections, s);
    }
    if (r.pos != r.len) {
        g_set_error(err, IOEMU_ERROR, 0, "%zu bytes of trailing garbage after the end of the state stream",
                    r.len - r.pos);
        goto out;
    }
    ok = true;
out:
    g_hash_table_destroy(seen);
    return ok;
}

static bool load_sections(GArray *sections, GError **err)
{
    for (guint i = 0; i < sections->len; i++) {
        Section *s = &g_array_index(sections, Section, i);

        if (!state_load_fields(s->dev->cls->state, s->dev, (int)s->version, s->payload, s->len, err)) {
            g_prefix_error(err, "device '%s': ", s->dev->id);
            return false;
        }
    }
    return true;
}

bool device_list_load(DeviceList *list, const uint8_t *buf, size_t len, GError **err)
{
    GArray *sections = g_array_new(FALSE, FALSE, sizeof(Section));
    bool ok = parse_stream(list, NULL, buf, len, sections, err) && load_sections(sections, err);

    g_array_free(sections, TRUE);
    return ok;
}

bool device_load(Device *dev, const uint8_t *buf, size_t len, GError **err)
{
    /* A one-device view of the world, so parse_stream can resolve the id. */
    DeviceList single = { .head = dev, .tail = dev, .by_id = g_hash_table_new(g_str_hash, g_str_equal) };
    GArray *sections = g_array_new(FALSE, FALSE, sizeof(Section));
    bool ok;

    g_hash_table_insert(single.by_id, dev->id, dev);
    ok = parse_stream(&single, dev, buf, len, sections, err);
    if (ok && dev->cls->state && sections->len == 0) {
        g_set_error(err, IOEMU_ERROR, 0, "state stream has no section for device '%s'", dev->id);
        ok = false;
    }
    ok = ok && load_sections(sections, err);
    g_hash_table_destroy(single.by_id);
    g_array_free(sections, TRUE);
    return ok;
}
