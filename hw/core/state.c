/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Declarative device state: save, load, dump and schema from one table.
 *
 * The payload of a section is the table's fields in order, little endian,
 * at their natural widths (see state.h).  A field whose `version` is newer
 * than the section's version is absent from the payload; versions of fields
 * inside a nested description count in the enclosing section's version.
 *
 * Load treats the payload as hostile: every read is bounds-checked, bools
 * must be 0 or 1 (anything else is not a valid C bool), and the payload must
 * be consumed exactly.
 */
#include <inttypes.h>
#include <string.h>

#include "hw/core/device.h"
#include "hw/core/state.h"

/* Nesting deeper than this is a cycle in our own tables. */
#define STATE_MAX_DEPTH 16

static size_t field_count(const StateField *f)
{
    return f->count ? f->count : 1;
}

/* Bytes one element occupies in the stream (STRUCT: variable, returns 0). */
static size_t field_stream_width(const StateField *f)
{
    switch (f->type) {
    case STATE_BOOL:
    case STATE_UINT8:
        return 1;
    case STATE_UINT16:
        return 2;
    case STATE_UINT32:
    case STATE_INT32:
        return 4;
    case STATE_UINT64:
    case STATE_INT64:
        return 8;
    case STATE_BUFFER:
        return f->size;
    case STATE_STRUCT:
    case STATE_END:
        break;
    }
    return 0;
}

/* Bytes one element occupies in the device struct. */
static size_t field_host_stride(const StateField *f)
{
    switch (f->type) {
    case STATE_BOOL:
        return sizeof(bool);
    case STATE_BUFFER:
    case STATE_STRUCT:
        return f->size;
    default:
        return field_stream_width(f);
    }
}

static const char *field_type_name(StateFieldType t)
{
    switch (t) {
    case STATE_END:
        return "end";
    case STATE_BOOL:
        return "bool";
    case STATE_UINT8:
        return "u8";
    case STATE_UINT16:
        return "u16";
    case STATE_UINT32:
        return "u32";
    case STATE_UINT64:
        return "u64";
    case STATE_INT32:
        return "i32";
    case STATE_INT64:
        return "i64";
    case STATE_BUFFER:
        return "buffer";
    case STATE_STRUCT:
        return "struct";
    }
    return "?";
}

static uint64_t load_le(const uint8_t *p, size_t width)
{
    uint64_t v = 0;

    for (size_t i = 0; i < width; i++) {
        v |= (uint64_t)p[i] << (i * 8);
    }
    return v;
}

static void append_le(GByteArray *out, uint64_t v, size_t width)
{
    uint8_t b[8];

    for (size_t i = 0; i < width; i++) {
        b[i] = (uint8_t)(v >> (i * 8));
    }
    g_byte_array_append(out, b, (guint)width);
}

/* Read one scalar element of `width` bytes from the struct (host byte order). */
static uint64_t host_get(const uint8_t *p, StateFieldType type)
{
    switch (type) {
    case STATE_BOOL: {
        /* Read the byte, not a bool: a garbage byte must not be UB here. */
        G_STATIC_ASSERT(sizeof(bool) == 1);
        return *p != 0;
    }
    case STATE_UINT8:
        return *p;
    case STATE_UINT16: {
        uint16_t v;
        memcpy(&v, p, sizeof(v));
        return v;
    }
    case STATE_UINT32:
    case STATE_INT32: {
        uint32_t v;
        memcpy(&v, p, sizeof(v));
        return v;
    }
    default: {
        uint64_t v;
        memcpy(&v, p, sizeof(v));
        return v;
    }
    }
}

static void host_put(uint8_t *p, StateFieldType type, uint64_t value)
{
    switch (type) {
    case STATE_BOOL: {
        bool b = value != 0;
        memcpy(p, &b, sizeof(b));
        break;
    }
    case STATE_UINT8:
        *p = (uint8_t)value;
        break;
    case STATE_UINT16: {
        uint16_t v = (uint16_t)value;
        memcpy(p, &v, sizeof(v));
        break;
    }
    case STATE_UINT32:
    case STATE_INT32: {
        uint32_t v = (uint32_t)value;
        memcpy(p, &v, sizeof(v));
        break;
    }
    default:
        memcpy(p, &value, sizeof(value));
        break;
    }
}

/* ---- save ---- */

static void save_fields(const StateDescription *sd, const void *opaque, int version,
                        GByteArray *out, int depth)
{
    g_assert(depth < STATE_MAX_DEPTH);

    if (sd->pre_save) {
        sd->pre_save((void *)opaque);
    }
    for (const StateField *f = sd->fields; f && f->type != STATE_END; f++) {
        const uint8_t *base = (const uint8_t *)opaque + f->offset;
        size_t stride = field_host_stride(f);

        if (f->version > version) {
            continue;
        }
        for (size_t i = 0; i < field_count(f); i++) {
            const uint8_t *elem = base + i * stride;

            switch (f->type) {
            case STATE_BUFFER:
                g_byte_array_append(out, elem, (guint)f->size);
                break;
            case STATE_STRUCT:
                g_assert(f->sub);
                save_fields(f->sub, elem, version, out, depth + 1);
                break;
            case STATE_END:
                break;
            default:
                append_le(out, host_get(elem, f->type), field_stream_width(f));
                break;
            }
        }
    }
}

void state_save_fields(const StateDescription *sd, const void *opaque, GByteArray *out)
{
    save_fields(sd, opaque, sd->version, out, 0);
}

/* ---- load ---- */

typedef struct StateReader {
    const uint8_t *buf;
    size_t len;
    size_t pos;
    const char *section;
} StateReader;

static bool load_fields(const StateDescription *sd, void *opaque, int version, StateReader *r,
                        const char *prefix, int depth, GError **err)
{
    g_assert(depth < STATE_MAX_DEPTH);

    for (const StateField *f = sd->fields; f && f->type != STATE_END; f++) {
        uint8_t *base = (uint8_t *)opaque + f->offset;
        size_t stride = field_host_stride(f);
        size_t count = field_count(f);

        if (f->version > version) {
            continue;       /* not in a stream this old: keeps its reset value */
        }
        for (size_t i = 0; i < count; i++) {
            uint8_t *elem = base + i * stride;
            size_t width = field_stream_width(f);

            if (f->type == STATE_STRUCT) {
                char *sub_prefix = count > 1 ? g_strdup_printf("%s%s[%zu].", prefix, f->name, i)
                                             : g_strdup_printf("%s%s.", prefix, f->name);
                bool ok;

                g_assert(f->sub);
                ok = load_fields(f->sub, elem, version, r, sub_prefix, depth + 1, err);
                g_free(sub_prefix);
                if (!ok) {
                    return false;
                }
                if (f->sub->post_load && !f->sub->post_load(elem, version, err)) {
                    if (err && !*err) {
                        g_set_error(err, IOEMU_ERROR, 0, "%s: %s%s: rejected by post_load",
                                    r->section, prefix, f->name);
                    }
                    return false;
                }
                continue;
            }
            if (r->len - r->pos < width) {
                g_set_error(err, IOEMU_ERROR, 0,
                            "%s: truncated payload: field %s%s%s needs %zu bytes at offset %zu, "
                            "only %zu left", r->section, prefix, f->name,
                            count > 1 ? "[]" : "", width, r->pos, r->len - r->pos);
                return false;
            }
            if (f->type == STATE_BUFFER) {
                memcpy(elem, r->buf + r->pos, width);
            } else {
                uint64_t v = load_le(r->buf + r->pos, width);
                if (f->type == STATE_BOOL && v > 1) {
                    g_set_error(err, IOEMU_ERROR, 0,
                                "%s: field %s%s: invalid bool value %" PRIu64 " at offset %zu",
                                r->section, prefix, f->name, v, r->pos);
                    return false;
                }
                host_put(elem, f->type, v);
            }
            r->pos += width;
        }
    }
    return true;
}

bool state_load_fields(const StateDescription *sd, void *opaque, int version,
                       const uint8_t *buf, size_t len, GError **err)
{
    StateReader r = { .buf = buf, .len = len, .pos = 0, .section = sd->name };

    if (version > sd->version || version < sd->min_version) {
        g_set_error(err, IOEMU_ERROR, 0, "%s: state version %d not supported (accepts %d..%d)",
                    sd->name, version, sd->min_version, sd->version);
        return false;
    }
    if (len && !buf) {
        g_set_error(err, IOEMU_ERROR, 0, "%s: no payload", sd->name);
        return false;
    }
    if (!load_fields(sd, opaque, version, &r, "", 0, err)) {
        return false;
    }
    if (r.pos != len) {
        g_set_error(err, IOEMU_ERROR, 0, "%s: %zu unexpected trailing bytes in a version %d payload "
                    "(expected %zu bytes)", sd->name, len - r.pos, version, r.pos);
        return false;
    }
    if (sd->post_load && !sd->post_load(opaque, version, err)) {
        if (err && !*err) {
            g_set_error(err, IOEMU_ERROR, 0, "%s: state rejected by post_load", sd->name);
        }
        return false;
    }
    return true;
}

/* ---- dump ---- */

/* Arrays and buffers longer than this print their head and a length. */
#define DUMP_MAX_ELEMS 64

static void dump_scalar(GString *out, StateFieldType type, uint64_t v)
{
    switch (type) {
    case STATE_BOOL:
        g_string_append(out, v ? "true" : "false");
        break;
    case STATE_INT32:
        g_string_append_printf(out, "%" PRId32, (int32_t)(uint32_t)v);
        break;
    case STATE_INT64:
        g_string_append_printf(out, "%" PRId64, (int64_t)v);
        break;
    default:
        g_string_append_printf(out, "0x%" PRIx64, v);
        break;
    }
}

static void dump_fields(const StateDescription *sd, const void *opaque, int version,
                        const char *prefix, GString *out, int depth)
{
    g_assert(depth < STATE_MAX_DEPTH);

    for (const StateField *f = sd->fields; f && f->type != STATE_END; f++) {
        const uint8_t *base = (const uint8_t *)opaque + f->offset;
        size_t stride = field_host_stride(f);
        size_t count = field_count(f);

        if (f->version > version) {
            continue;
        }
        if (f->type == STATE_STRUCT) {
            for (size_t i = 0; i < count; i++) {
                char *sub_prefix = count > 1 ? g_strdup_printf("%s%s[%zu].", prefix, f->name, i)
                                             : g_strdup_printf("%s%s.", prefix, f->name);
                dump_fields(f->sub, base + i * stride, version, sub_prefix, out, depth + 1);
                g_free(sub_prefix);
            }
            continue;
        }
        g_string_append_printf(out, "%s%s = ", prefix, f->name);
        if (f->type == STATE_BUFFER) {
            for (size_t i = 0; i < count; i++) {
                const uint8_t *b = base + i * stride;
                size_t shown = MIN(f->size, (size_t)DUMP_MAX_ELEMS);
                if (i) {
                    g_string_append(out, " | ");
                }
                for (size_t j = 0; j < shown; j++) {
                    g_string_append_printf(out, "%s%02x", j ? " " : "", b[j]);
                }
                if (shown < f->size) {
                    g_string_append_printf(out, " ... (%zu bytes)", f->size);
                }
            }
        } else if (count > 1) {
            size_t shown = MIN(count, (size_t)DUMP_MAX_ELEMS);
            g_string_append(out, "[");
            for (size_t i = 0; i < shown; i++) {
                if (i) {
                    g_string_append(out, ", ");
                }
                dump_scalar(out, f->type, host_get(base + i * stride, f->type));
            }
            if (shown < count) {
                g_string_append_printf(out, ", ... (%zu elements)", count);
            }
            g_string_append(out, "]");
        } else {
            dump_scalar(out, f->type, host_get(base, f->type));
        }
        g_string_append_c(out, '\n');
    }
}

void state_dump(const StateDescription *sd, const void *opaque, GString *out)
{
    dump_fields(sd, opaque, sd->version, "", out, 0);
}

/* ---- schema ---- */

static void schema_fields(const StateDescription *sd, int indent, GString *out, int depth)
{
    g_assert(depth < STATE_MAX_DEPTH);

    for (const StateField *f = sd->fields; f && f->type != STATE_END; f++) {
        g_string_append_printf(out, "%*s%s %s", indent, "", f->name, field_type_name(f->type));
        if (f->type == STATE_BUFFER) {
            g_string_append_printf(out, "(%zu)", f->size);
        } else if (f->type == STATE_STRUCT) {
            g_string_append_printf(out, "(%s)", f->sub ? f->sub->name : "?");
        }
        if (f->count > 1) {
            g_string_append_printf(out, "[%zu]", f->count);
        }
        g_string_append_printf(out, " v%d\n", f->version);
        if (f->type == STATE_STRUCT && f->sub) {
            schema_fields(f->sub, indent + 2, out, depth + 1);
        }
    }
}

void state_schema(const StateDescription *sd, GString *out)
{
    g_string_append_printf(out, "%s version %d min %d\n", sd->name, sd->version, sd->min_version);
    schema_fields(sd, 2, out, 0);
}
