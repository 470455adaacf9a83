/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Declarative, versioned device state.
 *
 * Each device describes its guest-visible state once, as a const table of
 * fields (name, offset in the device struct, type, element count, the
 * version that introduced it).  The same table drives save, load, a
 * human-readable dump and the schema check in `make check`.  Plumbing
 * (fds, timers, host pointers) is never described; post_load rebuilds it
 * and must reject inconsistent state (every restored index and length).
 *
 * Stream format (all integers little endian):
 *   header:  "IOEMUVMS" (8 bytes), u32 format version (1)
 *   section: u8 tag 0x01, u8 name length, name bytes, u32 instance id,
 *            u32 state version, u32 payload length, payload
 *   end:     u8 tag 0x00
 * Payload: the fields in table order, each at its natural width; BUFFER
 * fields as raw bytes; arrays element by element; STRUCT fields recurse.
 */
#ifndef HW_CORE_STATE_H
#define HW_CORE_STATE_H

#include <glib.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum {
    STATE_END = 0,
    STATE_BOOL,
    STATE_UINT8,
    STATE_UINT16,
    STATE_UINT32,
    STATE_UINT64,
    STATE_INT32,
    STATE_INT64,
    STATE_BUFFER,      /* `size` raw bytes */
    STATE_STRUCT,      /* nested description `sub`, element size `size` */
} StateFieldType;

typedef struct StateDescription StateDescription;

typedef struct StateField {
    const char *name;
    size_t offset;
    StateFieldType type;
    size_t count;                  /* array elements; 0 or 1 = scalar */
    size_t size;                   /* BUFFER bytes, or STRUCT element size */
    int version;                   /* first state version holding the field */
    const StateDescription *sub;   /* STRUCT only */
} StateField;

struct StateDescription {
    const char *name;
    int version;                   /* written by save */
    int min_version;               /* oldest accepted by load */
    const StateField *fields;      /* terminated by STATE_END */
    /* Optional hooks.  pre_save may sync derived state into fields. */
    void (*pre_save)(void *opaque);
    /* post_load: validate every index/length, rebuild timers; false + err to refuse. */
    bool (*post_load)(void *opaque, int version, GError **err);
};

#define STATE_F_(st, f, t, n, sz, v, s) \
    { .name = #f, .offset = offsetof(st, f), .type = (t), .count = (n), .size = (sz), .version = (v), .sub = (s) }
#define STATE_BOOL_FIELD(st, f)        STATE_F_(st, f, STATE_BOOL, 1, 0, 0, NULL)
#define STATE_U8(st, f)                STATE_F_(st, f, STATE_UINT8, 1, 0, 0, NULL)
#define STATE_U16(st, f)               STATE_F_(st, f, STATE_UINT16, 1, 0, 0, NULL)
#define STATE_U32(st, f)               STATE_F_(st, f, STATE_UINT32, 1, 0, 0, NULL)
#define STATE_U64(st, f)               STATE_F_(st, f, STATE_UINT64, 1, 0, 0, NULL)
#define STATE_I32(st, f)               STATE_F_(st, f, STATE_INT32, 1, 0, 0, NULL)
#define STATE_I64(st, f)               STATE_F_(st, f, STATE_INT64, 1, 0, 0, NULL)
#define STATE_U8_ARRAY(st, f, n)       STATE_F_(st, f, STATE_UINT8, n, 0, 0, NULL)
#define STATE_U16_ARRAY(st, f, n)      STATE_F_(st, f, STATE_UINT16, n, 0, 0, NULL)
#define STATE_U32_ARRAY(st, f, n)      STATE_F_(st, f, STATE_UINT32, n, 0, 0, NULL)
#define STATE_U64_ARRAY(st, f, n)      STATE_F_(st, f, STATE_UINT64, n, 0, 0, NULL)
#define STATE_I64_ARRAY(st, f, n)      STATE_F_(st, f, STATE_INT64, n, 0, 0, NULL)
#define STATE_BUFFER_FIELD(st, f)      STATE_F_(st, f, STATE_BUFFER, 1, sizeof(((st *)0)->f), 0, NULL)
#define STATE_STRUCT_FIELD(st, f, d, t) STATE_F_(st, f, STATE_STRUCT, 1, sizeof(t), 0, &(d))
#define STATE_STRUCT_ARRAY(st, f, n, d, t) STATE_F_(st, f, STATE_STRUCT, n, sizeof(t), 0, &(d))
/* Same, but only present from state version v on. */
#define STATE_U8_V(st, f, v)           STATE_F_(st, f, STATE_UINT8, 1, 0, v, NULL)
#define STATE_U32_V(st, f, v)          STATE_F_(st, f, STATE_UINT32, 1, 0, v, NULL)
#define STATE_U64_V(st, f, v)          STATE_F_(st, f, STATE_UINT64, 1, 0, v, NULL)
#define STATE_U16_V(st, f, v)          STATE_F_(st, f, STATE_UINT16, 1, 0, v, NULL)
#define STATE_I32_V(st, f, v)          STATE_F_(st, f, STATE_INT32, 1, 0, v, NULL)
#define STATE_I64_V(st, f, v)          STATE_F_(st, f, STATE_INT64, 1, 0, v, NULL)
#define STATE_BOOL_V(st, f, v)         STATE_F_(st, f, STATE_BOOL, 1, 0, v, NULL)
#define STATE_BUFFER_V(st, f, v)       STATE_F_(st, f, STATE_BUFFER, 1, sizeof(((st *)0)->f), v, NULL)
#define STATE_STRUCT_V(st, f, d, t, v) STATE_F_(st, f, STATE_STRUCT, 1, sizeof(t), v, &(d))
/* More array shapes. */
#define STATE_BOOL_ARRAY(st, f, n)     STATE_F_(st, f, STATE_BOOL, n, 0, 0, NULL)
#define STATE_I32_ARRAY(st, f, n)      STATE_F_(st, f, STATE_INT32, n, 0, 0, NULL)
#define STATE_FIELDS_END               { .type = STATE_END }

/* Serialise one device's fields (payload only) into `out`. */
void state_save_fields(const StateDescription *sd, const void *opaque, GByteArray *out);
/* Parse a payload written at `version`.  On error nothing useful is left in opaque: caller resets. */
bool state_load_fields(const StateDescription *sd, void *opaque, int version,
                       const uint8_t *buf, size_t len, GError **err);
/* Human-readable dump, one "name = value" line per field. */
void state_dump(const StateDescription *sd, const void *opaque, GString *out);
/* A stable text rendering of the schema (names, types, counts, versions) for baseline diffs. */
void state_schema(const StateDescription *sd, GString *out);

#endif
