/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Inclusive integer range sets with Xen's rangeset semantics
 * (xen:xen/common/rangeset.c): adjacent or overlapping ranges merge, so
 * mapping 0x10-0x1f then 0x20-0x2f leaves one range, and removing a middle
 * part splits one.  The limit counts ranges after merging.
 */
#include "tools/xensim/xensim.h"

#include <errno.h>
#include <inttypes.h>

typedef struct Range {
    uint64_t s, e;
} Range;

void rangeset_init(Rangeset *rs)
{
    rs->r = g_array_new(FALSE, FALSE, sizeof(Range));
}

void rangeset_destroy(Rangeset *rs)
{
    if (rs->r) {
        g_array_free(rs->r, TRUE);
        rs->r = NULL;
    }
}

static Range *at(const Rangeset *rs, guint i)
{
    return &g_array_index(rs->r, Range, i);
}

bool rangeset_overlaps(const Rangeset *rs, uint64_t s, uint64_t e)
{
    guint i;

    for (i = 0; i < rs->r->len; i++) {
        if (at(rs, i)->s <= e && s <= at(rs, i)->e) {
            return true;
        }
    }
    return false;
}

bool rangeset_contains(const Rangeset *rs, uint64_t s, uint64_t e)
{
    guint i;

    for (i = 0; i < rs->r->len; i++) {
        if (at(rs, i)->s <= s && e <= at(rs, i)->e) {
            return true;
        }
    }
    return false;
}

unsigned rangeset_count(const Rangeset *rs)
{
    return rs->r->len;
}

static bool touches(const Range *r, uint64_t s, uint64_t e)
{
    bool left_ok = r->s <= e || (e != UINT64_MAX && r->s == e + 1);
    bool right_ok = s <= r->e || (r->e != UINT64_MAX && s == r->e + 1);

    return left_ok && right_ok;
}

int rangeset_add(Rangeset *rs, uint64_t s, uint64_t e)
{
    Range nr = { s, e };
    guint absorbed = 0;
    guint i;

    for (i = 0; i < rs->r->len; i++) {
        absorbed += touches(at(rs, i), s, e);
    }
    if (rs->r->len - absorbed + 1 > XSIM_MAX_RANGES) {
        return -ENOMEM;   /* xen:xen/common/rangeset.c alloc_range() */
    }
    /* Absorb every range that overlaps or touches [s, e]. */
    i = 0;
    while (i < rs->r->len) {
        Range *r = at(rs, i);

        if (touches(r, s, e)) {
            nr.s = MIN(nr.s, r->s);
            nr.e = MAX(nr.e, r->e);
            g_array_remove_index(rs->r, i);
        } else {
            i++;
        }
    }
    for (i = 0; i < rs->r->len && at(rs, i)->s < nr.s; i++) {
    }
    g_array_insert_val(rs->r, i, nr);
    return 0;
}

void rangeset_remove(Rangeset *rs, uint64_t s, uint64_t e)
{
    guint i = 0;

    while (i < rs->r->len) {
        Range r = *at(rs, i);

        if (r.e < s || e < r.s) {
            i++;
            continue;
        }
        g_array_remove_index(rs->r, i);
        if (r.s < s) {
            Range left = { r.s, s - 1 };

            g_array_insert_val(rs->r, i, left);
            i++;
        }
        if (e < r.e) {
            Range right = { e + 1, r.e };

            g_array_insert_val(rs->r, i, right);
            i++;
        }
    }
}

void rangeset_format(const Rangeset *rs, GString *out)
{
    guint i;

    for (i = 0; i < rs->r->len; i++) {
        g_string_append_printf(out, "%s0x%" PRIx64 "-0x%" PRIx64, i ? "," : "",
                               at(rs, i)->s, at(rs, i)->e);
    }
}
