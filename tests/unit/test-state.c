/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * hw/core/state: payload save/load round trips, versioned fields, and
 * hostile payloads (truncated, oversized, garbage) rejected with a message.
 */
#include <string.h>

#include <glib.h>

#include "hw/core/device.h"
#include "hw/core/state.h"

typedef struct Inner {
    uint16_t a;
    uint32_t b;
    bool c;
    uint8_t v2_only;        /* nested field from version 2 */
} Inner;

typedef struct Everything {
    bool flag;
    uint8_t u8;
    uint16_t u16;
    uint32_t u32;
    uint64_t u64;
    int32_t i32;
    int64_t i64;
    uint8_t u8s[5];
    uint16_t u16s[3];
    uint32_t u32s[2];
    uint64_t u64s[2];
    int64_t i64s[2];
    uint8_t buf[7];
    Inner one;
    Inner many[3];
    uint8_t v2_u8;
    uint32_t v2_u32;
    uint64_t v3_u64;
    /* plumbing, not described */
    int post_load_calls;
    int post_load_version;
    bool reject;
} Everything;

static const StateField inner_fields[] = {
    STATE_U16(Inner, a),
    STATE_U32(Inner, b),
    STATE_BOOL_FIELD(Inner, c),
    STATE_U8_V(Inner, v2_only, 2),
    STATE_FIELDS_END,
};

static const StateDescription inner_sd = {
    .name = "inner", .version = 2, .min_version = 1, .fields = inner_fields,
};

static bool everything_post_load(void *opaque, int version, GError **err)
{
    Everything *s = opaque;

    s->post_load_calls++;
    s->post_load_version = version;
    if (s->reject) {
        g_set_error(err, IOEMU_ERROR, 0, "everything: u8 %u out of range", s->u8);
        return false;
    }
    return true;
}

static const StateField everything_fields[] = {
    STATE_BOOL_FIELD(Everything, flag),
    STATE_U8(Everything, u8),
    STATE_U16(Everything, u16),
    STATE_U32(Everything, u32),
    STATE_U64(Everything, u64),
    STATE_I32(Everything, i32),
    STATE_I64(Everything, i64),
    STATE_U8_ARRAY(Everything, u8s, 5),
    STATE_U16_ARRAY(Everything, u16s, 3),
    STATE_U32_ARRAY(Everything, u32s, 2),
    STATE_U64_ARRAY(Everything, u64s, 2),
    STATE_I64_ARRAY(Everything, i64s, 2),
    STATE_BUFFER_FIELD(Everything, buf),
    STATE_STRUCT_FIELD(Everything, one, inner_sd, Inner),
    STATE_STRUCT_ARRAY(Everything, many, 3, inner_sd, Inner),
    STATE_U8_V(Everything, v2_u8, 2),
    STATE_U32_V(Everything, v2_u32, 2),
    STATE_U64_V(Everything, v3_u64, 3),
    STATE_FIELDS_END,
};

static const StateDescription everything_sd = {
    .name = "everything", .version = 3, .min_version = 1, .fields = everything_fields,
    .post_load = everything_post_load,
};

/* Stream sizes per version: the v2 fields are 1 + 4 plus one byte per Inner, v3 adds 8. */
enum {
    INNER_V1 = 2 + 4 + 1,
    PAYLOAD_V1 = 1 + 1 + 2 + 4 + 8 + 4 + 8 + 5 + 3 * 2 + 2 * 4 + 2 * 8 + 2 * 8 + 7 + 4 * INNER_V1,
    PAYLOAD_V2 = PAYLOAD_V1 + 4 + 1 + 4,
    PAYLOAD_V3 = PAYLOAD_V2 + 8,
};

static void fill(Everything *s)
{
    memset(s, 0, sizeof(*s));
    s->flag = true;
    s->u8 = 0xa1;
    s->u16 = 0xb2c3;
    s->u32 = 0xd4e5f607;
    s->u64 = 0x0123456789abcdefULL;
    s->i32 = -123456;
    s->i64 = -1234567890123LL;
    for (int i = 0; i < 5; i++) {
        s->u8s[i] = (uint8_t)(0x50 + i);
    }
    for (int i = 0; i < 3; i++) {
        s->u16s[i] = (uint16_t)(0x1000 * (i + 1) + 1);
    }
    s->u32s[0] = 0xcafebabe;
    s->u32s[1] = 0x8badf00d;
    s->u64s[0] = UINT64_MAX;
    s->u64s[1] = 1;
    s->i64s[0] = INT64_MIN;
    s->i64s[1] = -1;
    memcpy(s->buf, "\x01\x02\x03\x04\x05\x06\x07", 7);
    s->one = (Inner){ .a = 0x1111, .b = 0x22222222, .c = true, .v2_only = 0x33 };
    for (int i = 0; i < 3; i++) {
        s->many[i] = (Inner){ .a = (uint16_t)(0x100 + i), .b = (uint32_t)(0x20000 + i),
                              .c = i & 1, .v2_only = (uint8_t)(0x40 + i) };
    }
    s->v2_u8 = 0x99;
    s->v2_u32 = 0x9999aaaa;
    s->v3_u64 = 0xfeedfacecafef00dULL;
}

/* "Reset values" the load starts from. */
static void reset(Everything *s)
{
    memset(s, 0, sizeof(*s));
    s->v2_u8 = 0x77;
    s->v2_u32 = 0x77777777;
    s->v3_u64 = 0x7777;
    s->one.v2_only = 0x77;
}

static void assert_inner_equal(const Inner *a, const Inner *b, bool with_v2)
{
    g_assert_cmphex(a->a, ==, b->a);
    g_assert_cmphex(a->b, ==, b->b);
    g_assert_cmpint(a->c, ==, b->c);
    if (with_v2) {
        g_assert_cmphex(a->v2_only, ==, b->v2_only);
    }
}

static void assert_v1_equal(const Everything *a, const Everything *b)
{
    g_assert_cmpint(a->flag, ==, b->flag);
    g_assert_cmphex(a->u8, ==, b->u8);
    g_assert_cmphex(a->u16, ==, b->u16);
    g_assert_cmphex(a->u32, ==, b->u32);
    g_assert_cmphex(a->u64, ==, b->u64);
    g_assert_cmpint(a->i32, ==, b->i32);
    g_assert_cmpint(a->i64, ==, b->i64);
    g_assert_cmpmem(a->u8s, sizeof(a->u8s), b->u8s, sizeof(b->u8s));
    g_assert_cmpmem(a->u16s, sizeof(a->u16s), b->u16s, sizeof(b->u16s));
    g_assert_cmpmem(a->u32s, sizeof(a->u32s), b->u32s, sizeof(b->u32s));
    g_assert_cmpmem(a->u64s, sizeof(a->u64s), b->u64s, sizeof(b->u64s));
    g_assert_cmpmem(a->i64s, sizeof(a->i64s), b->i64s, sizeof(b->i64s));
    g_assert_cmpmem(a->buf, sizeof(a->buf), b->buf, sizeof(b->buf));
}

static GByteArray *save(const Everything *s)
{
    GByteArray *out = g_byte_array_new();

    state_save_fields(&everything_sd, s, out);
    return out;
}

static void test_round_trip(void)
{
    Everything src, dst;
    GByteArray *payload;
    GError *err = NULL;

    fill(&src);
    payload = save(&src);
    g_assert_cmpuint(payload->len, ==, PAYLOAD_V3);
    /* Natural widths, little endian, table order. */
    g_assert_cmphex(payload->data[0], ==, 1);
    g_assert_cmphex(payload->data[1], ==, 0xa1);
    g_assert_cmphex(payload->data[2], ==, 0xc3);
    g_assert_cmphex(payload->data[3], ==, 0xb2);
    g_assert_cmphex(payload->data[4], ==, 0x07);
    g_assert_cmphex(payload->data[7], ==, 0xd4);

    reset(&dst);
    g_assert_true(state_load_fields(&everything_sd, &dst, 3, payload->data, payload->len, &err));
    g_assert_no_error(err);
    assert_v1_equal(&dst, &src);
    assert_inner_equal(&dst.one, &src.one, true);
    for (int i = 0; i < 3; i++) {
        assert_inner_equal(&dst.many[i], &src.many[i], true);
    }
    g_assert_cmphex(dst.v2_u8, ==, src.v2_u8);
    g_assert_cmphex(dst.v2_u32, ==, src.v2_u32);
    g_assert_cmphex(dst.v3_u64, ==, src.v3_u64);
    g_assert_cmpint(dst.post_load_calls, ==, 1);
    g_assert_cmpint(dst.post_load_version, ==, 3);

    /* Saving again gives the same bytes. */
    {
        GByteArray *again = save(&dst);
        g_assert_cmpmem(again->data, again->len, payload->data, payload->len);
        g_byte_array_free(again, TRUE);
    }
    g_byte_array_free(payload, TRUE);
}

/* Build a payload as an older version would have written it. */
static GByteArray *old_payload(const Everything *s, int version)
{
    GByteArray *out = g_byte_array_new();
    GByteArray *full = save(s);
    /* v1 layout: everything up to `one`, then each Inner without v2_only. */
    size_t head = PAYLOAD_V1 - 4 * INNER_V1;
    size_t pos = head;

    g_byte_array_append(out, full->data, (guint)head);
    for (int i = 0; i < 4; i++) {
        g_byte_array_append(out, full->data + pos, INNER_V1);
        pos += INNER_V1;
        if (version >= 2) {
            g_byte_array_append(out, full->data + pos, 1);
        }
        pos += 1;
    }
    if (version >= 2) {
        g_byte_array_append(out, full->data + pos, 5);
    }
    g_byte_array_free(full, TRUE);
    return out;
}

static void test_versions(void)
{
    Everything src, dst;
    GByteArray *v1, *v2;
    GError *err = NULL;

    fill(&src);
    v1 = old_payload(&src, 1);
    v2 = old_payload(&src, 2);
    g_assert_cmpuint(v1->len, ==, PAYLOAD_V1);
    g_assert_cmpuint(v2->len, ==, PAYLOAD_V2);

    /* Version 1: newer fields keep their reset values, nested ones too. */
    reset(&dst);
    g_assert_true(state_load_fields(&everything_sd, &dst, 1, v1->data, v1->len, &err));
    g_assert_no_error(err);
    assert_v1_equal(&dst, &src);
    assert_inner_equal(&dst.one, &src.one, false);
    g_assert_cmphex(dst.one.v2_only, ==, 0x77);
    g_assert_cmphex(dst.v2_u8, ==, 0x77);
    g_assert_cmphex(dst.v2_u32, ==, 0x77777777);
    g_assert_cmphex(dst.v3_u64, ==, 0x7777);
    g_assert_cmpint(dst.post_load_version, ==, 1);

    /* Version 2. */
    reset(&dst);
    g_assert_true(state_load_fields(&everything_sd, &dst, 2, v2->data, v2->len, &err));
    g_assert_no_error(err);
    g_assert_cmphex(dst.one.v2_only, ==, 0x33);
    g_assert_cmphex(dst.many[2].v2_only, ==, 0x42);
    g_assert_cmphex(dst.v2_u8, ==, 0x99);
    g_assert_cmphex(dst.v2_u32, ==, 0x9999aaaa);
    g_assert_cmphex(dst.v3_u64, ==, 0x7777);

    /* A v1 payload announced as v2 is short: rejected. */
    reset(&dst);
    g_assert_false(state_load_fields(&everything_sd, &dst, 2, v1->data, v1->len, &err));
    g_assert_error(err, IOEMU_ERROR, 0);
    g_assert_nonnull(strstr(err->message, "truncated"));
    g_clear_error(&err);

    /* Versions outside min..version. */
    g_assert_false(state_load_fields(&everything_sd, &dst, 4, v1->data, v1->len, &err));
    g_assert_nonnull(strstr(err->message, "version 4 not supported"));
    g_clear_error(&err);
    g_assert_false(state_load_fields(&everything_sd, &dst, 0, v1->data, v1->len, &err));
    g_assert_nonnull(strstr(err->message, "version 0"));
    g_clear_error(&err);

    g_byte_array_free(v1, TRUE);
    g_byte_array_free(v2, TRUE);
}

static void test_hostile_payloads(void)
{
    Everything src, dst;
    GByteArray *payload;
    GError *err = NULL;
    uint8_t *bigger;

    fill(&src);
    payload = save(&src);

    /* Every truncation fails cleanly (ASan checks no read goes past the end). */
    for (guint len = 0; len < payload->len; len++) {
        uint8_t *copy = g_memdup2(payload->data, len);
        reset(&dst);
        g_assert_false(state_load_fields(&everything_sd, &dst, 3, copy, len, &err));
        g_assert_error(err, IOEMU_ERROR, 0);
        g_assert_nonnull(strstr(err->message, "everything"));
        g_assert_nonnull(strstr(err->message, "truncated"));
        g_assert_cmpint(dst.post_load_calls, ==, 0);
        g_clear_error(&err);
        g_free(copy);
    }

    /* Extra bytes. */
    bigger = g_malloc(payload->len + 3);
    memcpy(bigger, payload->data, payload->len);
    memset(bigger + payload->len, 0xee, 3);
    reset(&dst);
    g_assert_false(state_load_fields(&everything_sd, &dst, 3, bigger, payload->len + 3, &err));
    g_assert_nonnull(strstr(err->message, "3 unexpected trailing bytes"));
    g_clear_error(&err);
    g_free(bigger);

    /* A bool that isn't 0 or 1. */
    payload->data[0] = 2;
    g_assert_false(state_load_fields(&everything_sd, &dst, 3, payload->data, payload->len, &err));
    g_assert_nonnull(strstr(err->message, "flag"));
    g_assert_nonnull(strstr(err->message, "bool"));
    g_clear_error(&err);
    payload->data[0] = 1;

    /* post_load refusal carries its message. */
    reset(&dst);
    dst.reject = true;
    g_assert_false(state_load_fields(&everything_sd, &dst, 3, payload->data, payload->len, &err));
    g_assert_nonnull(strstr(err->message, "out of range"));
    g_clear_error(&err);

    /* Random garbage of random lengths: never a crash, errors always carry a message. */
    for (int round = 0; round < 500; round++) {
        guint len = (guint)g_test_rand_int_range(0, PAYLOAD_V3 * 2);
        uint8_t *junk = g_malloc(len + 1);
        bool ok;
        for (guint i = 0; i < len; i++) {
            junk[i] = (uint8_t)g_test_rand_int_range(0, 256);
        }
        /* Let some of them reach the bool checks with exactly the right length. */
        if (round % 5 == 0) {
            len = PAYLOAD_V3;
            junk = g_realloc(junk, len);
            for (guint i = 0; i < len; i++) {
                junk[i] = (uint8_t)g_test_rand_int_range(0, 3);
            }
        }
        reset(&dst);
        ok = state_load_fields(&everything_sd, &dst, g_test_rand_int_range(0, 5), junk, len, &err);
        if (!ok) {
            g_assert_nonnull(err);
            g_assert_cmpuint(strlen(err->message), >, 0);
            g_clear_error(&err);
        } else {
            g_assert_true(dst.flag == false || dst.flag == true);
        }
        g_free(junk);
    }
    g_byte_array_free(payload, TRUE);
}

static void test_dump_and_schema(void)
{
    Everything s;
    GString *out = g_string_new(NULL);

    fill(&s);
    state_dump(&everything_sd, &s, out);
    g_assert_nonnull(strstr(out->str, "flag = true\n"));
    g_assert_nonnull(strstr(out->str, "u16 = 0xb2c3\n"));
    g_assert_nonnull(strstr(out->str, "i32 = -123456\n"));
    g_assert_nonnull(strstr(out->str, "u8s = [0x50, 0x51, 0x52, 0x53, 0x54]\n"));
    g_assert_nonnull(strstr(out->str, "buf = 01 02 03 04 05 06 07\n"));
    g_assert_nonnull(strstr(out->str, "one.a = 0x1111\n"));
    g_assert_nonnull(strstr(out->str, "many[2].b = 0x20002\n"));
    g_assert_nonnull(strstr(out->str, "v3_u64 = 0xfeedfacecafef00d\n"));

    g_string_truncate(out, 0);
    state_schema(&everything_sd, out);
    g_assert_true(g_str_has_prefix(out->str, "everything version 3 min 1\n"));
    g_assert_nonnull(strstr(out->str, "  u16s u16[3] v0\n"));
    g_assert_nonnull(strstr(out->str, "  buf buffer(7) v0\n"));
    g_assert_nonnull(strstr(out->str, "  many struct(inner)[3] v0\n    a u16 v0\n"));
    g_assert_nonnull(strstr(out->str, "  v3_u64 u64 v3\n"));
    g_string_free(out, TRUE);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/state/round-trip", test_round_trip);
    g_test_add_func("/state/versions", test_versions);
    g_test_add_func("/state/hostile-payloads", test_hostile_payloads);
    g_test_add_func("/state/dump-schema", test_dump_and_schema);
    return g_test_run();
}
