/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * qcow2 refcounts ("Host cluster management"): the refcount table and
 * blocks, cluster allocation, deferred frees, and the consistency check
 * with its repairs.
 */
#include <string.h>

#include "block/qcow2.h"

/* ---- refcount block entries ---- */

uint64_t qcow2_refcount_get(const void *block, uint64_t index, int order)
{
    const uint8_t *p = block;
    switch (order) {
    case 0:
    case 1:
    case 2: {
        /* Sub-byte widths: entry 0 is in the least significant bits of byte 0. */
        int bits = 1 << order;
        uint64_t bit = index * bits;
        return (p[bit / 8] >> (bit % 8)) & ((1u << bits) - 1);
    }
    case 3:
        return p[index];
    case 4:
        return ((uint64_t)p[index * 2] << 8) | p[index * 2 + 1];
    case 5: {
        uint32_t v;
        memcpy(&v, p + index * 4, 4);
        return GUINT32_FROM_BE(v);
    }
    default:
        return be64_at(p, index);
    }
}

void qcow2_refcount_set(void *block, uint64_t index, int order, uint64_t value)
{
    uint8_t *p = block;
    switch (order) {
    case 0:
    case 1:
    case 2: {
        int bits = 1 << order;
        uint64_t bit = index * bits;
        uint8_t mask = ((1u << bits) - 1) << (bit % 8);
        p[bit / 8] = (p[bit / 8] & ~mask) | ((value << (bit % 8)) & mask);
        break;
    }
    case 3:
        p[index] = value;
        break;
    case 4:
        p[index * 2] = value >> 8;
        p[index * 2 + 1] = value;
        break;
    case 5: {
        uint32_t v = GUINT32_TO_BE((uint32_t)value);
        memcpy(p + index * 4, &v, 4);
        break;
    }
    default:
        set_be64_at(p, index, value);
        break;
    }
}

/* ---- the metadata set (overlap checks before data writes) ---- */

void qcow2_metadata_add(BDRVQcow2State *s, uint64_t offset, uint64_t length)
{
    if (length == 0) {
        return;
    }
    uint64_t first = offset >> s->cluster_bits;
    uint64_t last = (offset + length - 1) >> s->cluster_bits;
    for (uint64_t c = first; c <= last; c++) {
        g_hash_table_add(s->metadata, GSIZE_TO_POINTER((gsize)c + 1));
    }
}

void qcow2_metadata_remove(BDRVQcow2State *s, uint64_t offset, uint64_t length)
{
    if (length == 0) {
        return;
    }
    uint64_t first = offset >> s->cluster_bits;
    uint64_t last = (offset + length - 1) >> s->cluster_bits;
    for (uint64_t c = first; c <= last; c++) {
        g_hash_table_remove(s->metadata, GSIZE_TO_POINTER((gsize)c + 1));
    }
}

bool qcow2_metadata_overlaps(BDRVQcow2State *s, uint64_t offset, uint64_t length)
{
    if (length == 0) {
        return false;
    }
    uint64_t first = offset >> s->cluster_bits;
    uint64_t last = (offset + length - 1) >> s->cluster_bits;
    for (uint64_t c = first; c <= last; c++) {
        if (g_hash_table_contains(s->metadata, GSIZE_TO_POINTER((gsize)c + 1))) {
            return true;
        }
    }
    return false;
}

int qcow2_rebuild_metadata_set(BDRVQcow2State *s, GError **err)
{
    g_hash_table_remove_all(s->metadata);
    qcow2_metadata_add(s, 0, s->cluster_size);
    qcow2_metadata_add(s, s->l1_table_offset, (uint64_t)s->l1_size * 8);
    qcow2_metadata_add(s, s->refcount_table_offset,
                       (uint64_t)s->refcount_table_clusters << s->cluster_bits);
    for (uint64_t i = 0; i < s->refcount_table_size; i++) {
        uint64_t off = s->refcount_table[i] & REFT_OFFSET_MASK;
        if (off) {
            qcow2_metadata_add(s, off, s->cluster_size);
        }
    }
    for (uint32_t i = 0; i < s->l1_size; i++) {
        uint64_t off = s->l1_table[i] & L1E_OFFSET_MASK;
        if (off) {
            qcow2_metadata_add(s, off, s->cluster_size);
        }
    }
    qcow2_metadata_add(s, s->snapshots_offset, s->snapshots_size);
    for (uint32_t i = 0; i < s->nb_snapshots; i++) {
        qcow2_metadata_add(s, s->snapshots[i].l1_table_offset,
                           (uint64_t)s->snapshots[i].l1_size * 8);
    }
    return 0;
}

/* ---- reading and updating refcounts ---- */

static int refcount_block_offset(BDRVQcow2State *s, uint64_t rt_index, uint64_t *rb_offset,
                                 GError **err)
{
    *rb_offset = 0;
    if (rt_index >= s->refcount_table_size) {
        return 0;
    }
    uint64_t entry = s->refcount_table[rt_index];
    uint64_t off = entry & REFT_OFFSET_MASK;
    if (off == 0) {
        return 0;
    }
    if (qcow2_offset_into_cluster(s, off) || !qcow2_offset_valid(s, off)) {
        return qcow2_signal_corruption(s, err, "Refblock offset %#" PRIx64 " unaligned or "
                                       "invalid (reftable index %#" PRIx64 ")", off, rt_index);
    }
    *rb_offset = off;
    return 0;
}

int qcow2_get_refcount(BDRVQcow2State *s, uint64_t cluster_index, uint64_t *refcount,
                       GError **err)
{
    uint64_t rb_off;
    int ret = refcount_block_offset(s, cluster_index >> s->rb_bits, &rb_off, err);
    if (ret < 0) {
        return ret;
    }
    if (rb_off == 0) {
        *refcount = 0;
        return 0;
    }
    void *block;
    ret = qcow2_cache_get(s->refcount_cache, rb_off, &block, err);
    if (ret < 0) {
        return ret;
    }
    *refcount = qcow2_refcount_get(block, cluster_index & ((1ull << s->rb_bits) - 1),
                                   s->refcount_order);
    qcow2_cache_put(s->refcount_cache, &block);
    return 0;
}

/*
 * First run of n clusters with refcount 0 at or after free_cluster_index;
 * clusters under a missing refcount block are free.  Moves
 * free_cluster_index past the run so nested allocations (refcount blocks
 * for this very run) can't pick the same clusters.
 */
static int64_t find_free_clusters(BDRVQcow2State *s, uint64_t n, GError **err)
{
    /* Cluster 0 is the header, whatever its refcount says. */
    uint64_t i = MAX(s->free_cluster_index, 1);
    uint64_t run_start = i, run = 0;
    uint64_t limit = (L2E_OFFSET_MASK >> s->cluster_bits) + 1;
    uint64_t rbe = 1ull << s->rb_bits;

    while (run < n) {
        if (i >= limit) {
            return block_error(err, -EFBIG, "qcow2 image is full: no cluster below 64 PB");
        }
        uint64_t rb_off;
        int ret = refcount_block_offset(s, i >> s->rb_bits, &rb_off, err);
        if (ret < 0) {
            return ret;
        }
        if (rb_off == 0) {
            /* The whole rest of this block's range is free. */
            uint64_t block_end = (i | (rbe - 1)) + 1;
            uint64_t take = MIN(n - run, block_end - i);
            if (run == 0) {
                run_start = i;
            }
            run += take;
            i += take;
            continue;
        }
        uint64_t rc;
        ret = qcow2_get_refcount(s, i, &rc, err);
        if (ret < 0) {
            return ret;
        }
        if (rc == 0) {
            if (run == 0) {
                run_start = i;
            }
            run++;
        } else {
            run = 0;
        }
        i++;
    }
    s->free_cluster_index = run_start + n;
    if (qcow2_metadata_overlaps(s, run_start << s->cluster_bits, n << s->cluster_bits)) {
        return qcow2_signal_corruption(s, err, "Metadata cluster in %#" PRIx64 "+%#" PRIx64
                                       " has refcount 0", run_start << s->cluster_bits,
                                       n << s->cluster_bits);
    }
    return (int64_t)(run_start << s->cluster_bits);
}

static int write_reftable_entry(BDRVQcow2State *s, uint64_t rt_index, GError **err)
{
    uint64_t be = GUINT64_TO_BE(s->refcount_table[rt_index]);
    return qcow2_meta_pwrite(s, s->refcount_table_offset + rt_index * 8, &be, 8, err);
}

/*
 * Make a new, already populated refcount table the image's: write it (big
 * endian) at table_off, then point the header's refcount_table_offset and
 * refcount_table_clusters (bytes 48..59) at it. The barriers order the table
 * before the header and the header before anything that frees the old table.
 */
static int install_refcount_table(BDRVQcow2State *s, const uint64_t *table, uint64_t entries,
                                  uint64_t table_off, uint64_t table_clusters, GError **err)
{
    uint64_t *be = g_new(uint64_t, entries);
    for (uint64_t i = 0; i < entries; i++) {
        be[i] = GUINT64_TO_BE(table[i]);
    }
    int ret = qcow2_meta_pwrite(s, table_off, be, entries * 8, err);
    g_free(be);
    if (ret == 0) {
        ret = qcow2_barrier(s, err);
    }
    if (ret == 0) {
        uint8_t hdr[12];
        uint64_t off_be = GUINT64_TO_BE(table_off);
        uint32_t clusters_be = GUINT32_TO_BE((uint32_t)table_clusters);
        memcpy(hdr, &off_be, 8);
        memcpy(hdr + 8, &clusters_be, 4);
        ret = qcow2_write_header_field(s, 48, hdr, 12, err);
    }
    if (ret == 0) {
        ret = qcow2_barrier(s, err);
    }
    return ret;
}

/*
 * Grow the refcount table so it has an entry for rt_index.  The new table
 * and the refcount blocks describing it are placed together past
 * everything the old table covers (all free), written, synced, and only
 * then is the header switched; the old table is freed last.
 */
static int grow_refcount_table(BDRVQcow2State *s, uint64_t rt_index, GError **err)
{
    uint64_t cs = s->cluster_size;
    uint64_t rbe = 1ull << s->rb_bits;
    uint64_t covered = s->refcount_table_size << s->rb_bits;
    uint64_t meta_start = MAX(covered, s->free_cluster_index);
    uint64_t blocks = 0, table_clusters = 1, new_entries = 0;

    for (int iter = 0; iter < 64; iter++) {
        uint64_t meta_end = meta_start + blocks + table_clusters;
        uint64_t need = MAX(rt_index + 1, (meta_end + rbe - 1) / rbe);
        need += need / 2;   /* headroom so growth is rare */
        uint64_t t = (need * 8 + cs - 1) / cs;
        uint64_t b = (meta_end + rbe - 1) / rbe - meta_start / rbe;
        if (t == table_clusters && b == blocks) {
            new_entries = t * cs / 8;
            break;
        }
        table_clusters = t;
        blocks = b;
    }
    if (new_entries == 0) {
        return block_error(err, -EIO, "qcow2: could not size a new refcount table");
    }
    if (table_clusters * cs > QCOW2_MAX_REFTABLE_BYTES) {
        return block_error(err, -EFBIG, "qcow2: the refcount table would exceed %u bytes",
                           QCOW2_MAX_REFTABLE_BYTES);
    }

    uint64_t meta_end = meta_start + blocks + table_clusters;
    if (meta_end > (L2E_OFFSET_MASK >> s->cluster_bits)) {
        return block_error(err, -EFBIG, "qcow2: no room for a new refcount table below 64 PB");
    }
    uint64_t table_off = (meta_start + blocks) << s->cluster_bits;
    uint64_t *new_table = g_try_new0(uint64_t, new_entries);
    uint8_t *block = g_malloc0(cs);
    int ret = 0;
    if (!new_table) {
        g_free(block);
        return block_error(err, -ENOMEM, "qcow2: out of memory for the refcount table");
    }
    memcpy(new_table, s->refcount_table, s->refcount_table_size * 8);

    for (uint64_t k = 0; k < blocks && ret == 0; k++) {
        uint64_t bi = meta_start / rbe + k;
        memset(block, 0, cs);
        for (uint64_t c = MAX(meta_start, bi * rbe); c < MIN(meta_end, (bi + 1) * rbe); c++) {
            qcow2_refcount_set(block, c - bi * rbe, s->refcount_order, 1);
        }
        uint64_t block_off = (meta_start + k) << s->cluster_bits;
        new_table[bi] = block_off;
        ret = qcow2_meta_pwrite(s, block_off, block, cs, err);
    }
    g_free(block);
    if (ret == 0) {
        ret = install_refcount_table(s, new_table, new_entries, table_off, table_clusters, err);
    }
    if (ret < 0) {
        g_free(new_table);
        return ret;
    }

    uint64_t old_off = s->refcount_table_offset;
    uint64_t old_len = (uint64_t)s->refcount_table_clusters << s->cluster_bits;
    g_free(s->refcount_table);
    s->refcount_table = new_table;
    s->refcount_table_size = new_entries;
    s->refcount_table_offset = table_off;
    s->refcount_table_clusters = table_clusters;
    qcow2_metadata_add(s, meta_start << s->cluster_bits, (blocks + table_clusters) * cs);
    qcow2_metadata_remove(s, old_off, old_len);
    /* Nothing references the old table any more. */
    return qcow2_update_refcount(s, old_off, old_len, -1, err);
}

/* Make sure refcount block rt_index exists; allocates it (and grows the table) if not. */
static int alloc_refcount_block(BDRVQcow2State *s, uint64_t rt_index, uint64_t *rb_offset,
                                GError **err)
{
    for (int attempt = 0; attempt < 8; attempt++) {
        int ret = refcount_block_offset(s, rt_index, rb_offset, err);
        if (ret < 0 || *rb_offset) {
            return ret;
        }
        if (rt_index >= s->refcount_table_size) {
            ret = grow_refcount_table(s, rt_index, err);
            if (ret < 0) {
                return ret;
            }
            continue;
        }

        int64_t new_off = find_free_clusters(s, 1, err);
        if (new_off < 0) {
            return new_off;
        }
        uint64_t new_index = (uint64_t)new_off >> s->cluster_bits;
        void *block;
        if ((new_index >> s->rb_bits) == rt_index) {
            /* The block describes itself. */
            ret = qcow2_cache_get_empty(s->refcount_cache, new_off, &block, err);
            if (ret < 0) {
                return ret;
            }
            qcow2_refcount_set(block, new_index & ((1ull << s->rb_bits) - 1),
                               s->refcount_order, 1);
        } else {
            /* Counted by another block, which may need allocating first. */
            ret = qcow2_update_refcount(s, new_off, s->cluster_size, 1, err);
            if (ret < 0) {
                return ret;
            }
            uint64_t now;
            ret = refcount_block_offset(s, rt_index, &now, err);
            if (ret < 0 || now) {
                /* A nested allocation created our block meanwhile. */
                qcow2_update_refcount(s, new_off, s->cluster_size, -1, NULL);
                *rb_offset = now;
                return ret;
            }
            ret = qcow2_cache_get_empty(s->refcount_cache, new_off, &block, err);
            if (ret < 0) {
                return ret;
            }
        }
        qcow2_cache_mark_dirty(s->refcount_cache, block);
        /* The block reaches the disk before the table entry naming it. */
        ret = qcow2_cache_write_table(s->refcount_cache, block, err);
        qcow2_cache_put(s->refcount_cache, &block);
        if (ret == 0) {
            ret = qcow2_barrier(s, err);
        }
        if (ret < 0) {
            return ret;
        }
        s->refcount_table[rt_index] = new_off;
        qcow2_metadata_add(s, new_off, s->cluster_size);
        ret = write_reftable_entry(s, rt_index, err);
        if (ret < 0) {
            return ret;
        }
        *rb_offset = new_off;
        return 0;
    }
    return block_error(err, -EIO, "qcow2: could not allocate refcount block %" PRIu64, rt_index);
}

static void note_freed(BDRVQcow2State *s, uint64_t cluster, uint64_t *run_start,
                       uint64_t *run_len)
{
    uint64_t off = cluster << s->cluster_bits;
    qcow2_cache_discard(s->l2_cache, off);
    qcow2_metadata_remove(s, off, s->cluster_size);
    if (cluster < s->free_cluster_index) {
        s->free_cluster_index = cluster;
    }
    if (s->free_byte_offset && qcow2_start_of_cluster(s, s->free_byte_offset - 1) == off) {
        s->free_byte_offset = 0;
    }
    if (*run_len && *run_start + *run_len == cluster) {
        (*run_len)++;
        return;
    }
    if (*run_len) {
        host_file_discard(s->file, *run_start << s->cluster_bits, *run_len << s->cluster_bits);
    }
    *run_start = cluster;
    *run_len = 1;
}

int qcow2_update_refcount(BDRVQcow2State *s, uint64_t offset, uint64_t length, int64_t addend,
                          GError **err)
{
    if (length == 0 || addend == 0) {
        return 0;
    }
    uint64_t first = offset >> s->cluster_bits;
    uint64_t last = (offset + length - 1) >> s->cluster_bits;
    uint64_t freed_start = 0, freed_len = 0;
    int ret = 0;
    uint64_t c;

    for (c = first; c <= last; c++) {
        uint64_t rb_off;
        ret = alloc_refcount_block(s, c >> s->rb_bits, &rb_off, err);
        if (ret < 0) {
            break;
        }
        void *block;
        ret = qcow2_cache_get(s->refcount_cache, rb_off, &block, err);
        if (ret < 0) {
            break;
        }
        uint64_t idx = c & ((1ull << s->rb_bits) - 1);
        uint64_t rc = qcow2_refcount_get(block, idx, s->refcount_order);
        if (addend < 0 && rc < (uint64_t)-addend) {
            qcow2_cache_put(s->refcount_cache, &block);
            ret = qcow2_signal_corruption(s, err, "Refcount of cluster %" PRIu64 " would drop "
                                          "below zero", c);
            break;
        }
        if (addend > 0 && s->refcount_max - rc < (uint64_t)addend) {
            qcow2_cache_put(s->refcount_cache, &block);
            ret = block_error(err, -ERANGE, "Refcount of cluster %" PRIu64 " would exceed the "
                              "maximum of %" PRIu64 " (refcount overflow)", c, s->refcount_max);
            break;
        }
        rc += addend;
        qcow2_refcount_set(block, idx, s->refcount_order, rc);
        qcow2_cache_mark_dirty(s->refcount_cache, block);
        qcow2_cache_put(s->refcount_cache, &block);
        if (rc == 0) {
            if (rb_off == (c << s->cluster_bits)) {
                ret = qcow2_signal_corruption(s, err, "Refcount block at %#" PRIx64 " would "
                                              "free itself", rb_off);
                c++;
                break;
            }
            note_freed(s, c, &freed_start, &freed_len);
        }
    }
    if (freed_len) {
        host_file_discard(s->file, freed_start << s->cluster_bits, freed_len << s->cluster_bits);
    }
    if (ret < 0 && c > first) {
        /* Undo the part already applied (best effort). */
        uint64_t done = ((c - first) << s->cluster_bits) - qcow2_offset_into_cluster(s, offset);
        qcow2_update_refcount(s, offset, MIN(length, done), -addend, NULL);
    }
    return ret;
}

int64_t qcow2_alloc_clusters(BDRVQcow2State *s, uint64_t n, GError **err)
{
    int64_t off = find_free_clusters(s, n, err);
    if (off < 0) {
        return off;
    }
    int ret = qcow2_update_refcount(s, off, n << s->cluster_bits, 1, err);
    if (ret < 0) {
        if ((uint64_t)off >> s->cluster_bits < s->free_cluster_index) {
            s->free_cluster_index = (uint64_t)off >> s->cluster_bits;
        }
        return ret;
    }
    return off;
}

/*
 * Compressed data is packed back to back.  A piece that doesn't fit in the
 * rest of the current cluster continues into the next one when that one is
 * free and contiguous; every host cluster a piece touches gets one
 * reference for it (that is what the check counts).
 */
int64_t qcow2_alloc_bytes(BDRVQcow2State *s, uint64_t size, GError **err)
{
    g_assert(size > 0 && size < s->cluster_size);
    uint64_t off = s->free_byte_offset;
    if (off && !qcow2_offset_into_cluster(s, off)) {
        off = 0;   /* the last piece ended exactly at a cluster boundary */
    }
    if (off) {
        uint64_t rc;
        int ret = qcow2_get_refcount(s, off >> s->cluster_bits, &rc, err);
        if (ret < 0) {
            return ret;
        }
        if (rc == 0 || rc >= s->refcount_max) {
            off = 0;   /* freed meanwhile, or can't take another reference */
        }
    }
    if (!off || s->cluster_size - qcow2_offset_into_cluster(s, off) < size) {
        int64_t next = find_free_clusters(s, 1, err);
        if (next < 0) {
            return next;
        }
        if (!off || qcow2_start_of_cluster(s, off) + s->cluster_size != (uint64_t)next) {
            off = next;   /* not contiguous: start afresh */
        }
    }
    int ret = qcow2_update_refcount(s, off, size, 1, err);
    if (ret < 0) {
        s->free_byte_offset = 0;
        return ret;
    }
    s->free_byte_offset = off + size;
    return off;
}

void qcow2_free_deferred(BDRVQcow2State *s, uint64_t offset, uint64_t length)
{
    Qcow2PendingFree f = { offset, length };
    g_array_append_val(s->pending_frees, f);
}

void qcow2_free_l2_entry_deferred(BDRVQcow2State *s, uint64_t l2_entry)
{
    switch (qcow2_get_cluster_type(s, l2_entry)) {
    case QCOW2_CLUSTER_NORMAL:
    case QCOW2_CLUSTER_ZERO_ALLOC: {
        uint64_t off = l2_entry & L2E_OFFSET_MASK;
        if (!qcow2_offset_into_cluster(s, off)) {
            qcow2_free_deferred(s, off, s->cluster_size);
        }
        break;
    }
    case QCOW2_CLUSTER_COMPRESSED: {
        uint64_t coff = l2_entry & s->cluster_offset_mask;
        uint64_t sectors = ((l2_entry >> s->csize_shift) & s->csize_mask) + 1;
        qcow2_free_deferred(s, coff & ~511ull, sectors * 512);
        break;
    }
    default:
        break;
    }
}

int qcow2_apply_pending_frees(BDRVQcow2State *s, GError **err)
{
    int result = 0;
    while (s->pending_frees->len) {
        GArray *list = s->pending_frees;
        s->pending_frees = g_array_new(FALSE, FALSE, sizeof(Qcow2PendingFree));
        for (guint i = 0; i < list->len; i++) {
            Qcow2PendingFree *f = &g_array_index(list, Qcow2PendingFree, i);
            int ret = qcow2_update_refcount(s, f->offset, f->length, -1, result ? NULL : err);
            if (ret < 0 && result == 0) {
                result = ret;
            }
        }
        g_array_free(list, TRUE);
    }
    return result;
}

int qcow2_refcount_init(BDRVQcow2State *s, GError **err)
{
    uint64_t bytes = (uint64_t)s->refcount_table_clusters << s->cluster_bits;
    s->refcount_table_size = bytes / 8;
    s->refcount_table = g_try_malloc0(MAX(bytes, 8));
    if (!s->refcount_table) {
        return block_error(err, -ENOMEM, "Could not allocate the refcount table");
    }
    int ret = host_file_pread(s->file, s->refcount_table_offset, s->refcount_table, bytes, err);
    if (ret < 0) {
        return ret;
    }
    for (uint64_t i = 0; i < s->refcount_table_size; i++) {
        s->refcount_table[i] = GUINT64_FROM_BE(s->refcount_table[i]);
    }
    return 0;
}

/* ---- the check ---- */

typedef struct CheckState {
    BDRVQcow2State *s;
    BlockCheckResult *res;
    uint32_t *refs;            /* computed references per cluster */
    uint64_t nb_refs;
    uint64_t max_refs;         /* cap: references past this are errors */
    uint64_t highest;          /* highest referenced cluster + 1 */
    bool rebuild;              /* the refcount structure itself is broken */
} CheckState;

static void check_inc(CheckState *cs, uint64_t offset, uint64_t length)
{
    BDRVQcow2State *s = cs->s;
    if (length == 0) {
        return;
    }
    uint64_t first = offset >> s->cluster_bits;
    uint64_t last = (offset + length - 1) >> s->cluster_bits;
    for (uint64_t c = first; c <= last; c++) {
        if (c >= cs->max_refs) {
            g_printerr("ERROR: cluster %" PRIu64 " is far beyond the end of the image file\n", c);
            cs->res->corruptions++;
            return;
        }
        if (c >= cs->nb_refs) {
            uint64_t n = MIN(cs->max_refs, MAX(c + 1, cs->nb_refs * 2));
            cs->refs = g_realloc(cs->refs, n * sizeof(uint32_t));
            memset(cs->refs + cs->nb_refs, 0, (n - cs->nb_refs) * sizeof(uint32_t));
            cs->nb_refs = n;
        }
        if (cs->refs[c] != UINT32_MAX) {
            cs->refs[c]++;
        }
        if (c + 1 > cs->highest) {
            cs->highest = c + 1;
        }
    }
}

/* Count the clusters of one L2 table; stats only for the active table. */
static int check_l2(CheckState *cs, uint64_t l2_offset, bool active, uint64_t *next_contig)
{
    BDRVQcow2State *s = cs->s;
    void *l2;
    GError *local = NULL;
    int ret = qcow2_cache_get(s->l2_cache, l2_offset, &l2, &local);
    if (ret < 0) {
        g_printerr("ERROR: I/O error reading L2 table at %#" PRIx64 ": %s\n", l2_offset,
                   local->message);
        g_error_free(local);
        cs->res->check_errors++;
        return 0;
    }
    for (uint64_t i = 0; i < s->l2_size; i++) {
        uint64_t e = be64_at(l2, i);
        switch (qcow2_get_cluster_type(s, e)) {
        case QCOW2_CLUSTER_COMPRESSED: {
            if (e & QCOW_OFLAG_COPIED) {
                g_printerr("ERROR: coffset=0x%" PRIx64 ": Compressed cluster has the COPIED "
                           "flag set\n", e & s->cluster_offset_mask);
                cs->res->corruptions++;
            }
            uint64_t coff = e & s->cluster_offset_mask;
            uint64_t sectors = ((e >> s->csize_shift) & s->csize_mask) + 1;
            check_inc(cs, coff & ~511ull, sectors * 512);
            if (active) {
                cs->res->allocated_clusters++;
                cs->res->compressed_clusters++;
                /* Compressed clusters count as fragmented, as in qemu-img check. */
                cs->res->fragmented_clusters++;
            }
            break;
        }
        case QCOW2_CLUSTER_NORMAL:
        case QCOW2_CLUSTER_ZERO_ALLOC: {
            uint64_t off = e & L2E_OFFSET_MASK;
            if (qcow2_offset_into_cluster(s, off)) {
                g_printerr("ERROR offset=%" PRIx64 ": Cluster is not properly aligned; L2 "
                           "entry corrupted.\n", off);
                cs->res->corruptions++;
                break;
            }
            if (active) {
                cs->res->allocated_clusters++;
                if (*next_contig && off != *next_contig) {
                    cs->res->fragmented_clusters++;
                }
                *next_contig = off + s->cluster_size;
            }
            check_inc(cs, off, s->cluster_size);
            break;
        }
        default:
            break;
        }
    }
    qcow2_cache_put(s->l2_cache, &l2);
    return 0;
}

static void check_l1(CheckState *cs, uint64_t l1_offset, uint32_t l1_size, const uint64_t *mem,
                     bool active)
{
    BDRVQcow2State *s = cs->s;
    uint64_t *l1 = NULL;
    check_inc(cs, l1_offset, (uint64_t)l1_size * 8);
    if (qcow2_offset_into_cluster(s, l1_offset)) {
        g_printerr("ERROR: L1 table at %#" PRIx64 " is not cluster aligned\n", l1_offset);
        cs->res->corruptions++;
        return;
    }
    if (!mem) {
        l1 = g_try_new(uint64_t, MAX(l1_size, 1));
        GError *local = NULL;
        if (!l1 || host_file_pread(s->file, l1_offset, l1, (size_t)l1_size * 8, &local) < 0) {
            g_printerr("ERROR: I/O error reading L1 table at %#" PRIx64 "\n", l1_offset);
            g_clear_error(&local);
            cs->res->check_errors++;
            g_free(l1);
            return;
        }
        for (uint32_t i = 0; i < l1_size; i++) {
            l1[i] = GUINT64_FROM_BE(l1[i]);
        }
        mem = l1;
    }
    uint64_t next_contig = 0;
    for (uint32_t i = 0; i < l1_size; i++) {
        uint64_t l2_off = mem[i] & L1E_OFFSET_MASK;
        if (!l2_off) {
            continue;
        }
        if (qcow2_offset_into_cluster(s, l2_off)) {
            g_printerr("ERROR l2_offset=%" PRIx64 ": Table is not cluster aligned; L1 entry "
                       "corrupted\n", l2_off);
            cs->res->corruptions++;
            continue;
        }
        check_inc(cs, l2_off, s->cluster_size);
        if (!qcow2_offset_valid(s, l2_off)) {
            g_printerr("ERROR l2_offset=%" PRIx64 ": L2 table is beyond the end of the image "
                       "file\n", l2_off);
            cs->res->corruptions++;
            continue;
        }
        check_l2(cs, l2_off, active, &next_contig);
    }
    g_free(l1);
}

/*
 * Clusters of persistent dirty bitmaps ("Bitmaps extension", "Bitmap
 * directory", "Bitmap table"): we don't interpret bitmaps, but their
 * clusters are referenced and must not be reported (or repaired) as leaks.
 */
#define BITMAP_MAX_BYTES (64u << 20)

static void check_bitmaps(CheckState *cs)
{
    BDRVQcow2State *s = cs->s;
    const Qcow2UnknownExt *ext = NULL;
    for (guint i = 0; i < s->unknown_exts->len; i++) {
        const Qcow2UnknownExt *e = s->unknown_exts->pdata[i];
        if (e->magic == QCOW2_EXT_BITMAPS && e->len >= 24) {
            ext = e;
        }
    }
    if (!ext) {
        return;
    }
    uint32_t nb = GUINT32_FROM_BE(*(uint32_t *)ext->data);
    uint64_t dir_size = be64_at(ext->data, 1);
    uint64_t dir_off = be64_at(ext->data, 2);
    if (nb == 0 || dir_size > BITMAP_MAX_BYTES || dir_size < 24 ||
        qcow2_offset_into_cluster(s, dir_off) || dir_off == 0) {
        g_printerr("ERROR bitmaps extension: invalid directory (offset %#" PRIx64 ", %" PRIu64
                   " bytes, %u bitmaps)\n", dir_off, dir_size, nb);
        cs->res->corruptions++;
        return;
    }
    check_inc(cs, dir_off, dir_size);
    uint8_t *dir = g_malloc(dir_size);
    if (host_file_pread(s->file, dir_off, dir, dir_size, NULL) < 0) {
        cs->res->check_errors++;
        g_free(dir);
        return;
    }
    uint64_t pos = 0;
    for (uint32_t i = 0; i < nb; i++) {
        if (pos + 24 > dir_size) {
            g_printerr("ERROR bitmap directory truncated at entry %u\n", i);
            cs->res->corruptions++;
            break;
        }
        const uint8_t *e = dir + pos;
        uint64_t table_off = be64_at(e, 0);
        uint32_t table_entries = GUINT32_FROM_BE(*(uint32_t *)(e + 8));
        uint16_t name_size = ((uint16_t)e[18] << 8) | e[19];
        uint32_t extra = GUINT32_FROM_BE(*(uint32_t *)(e + 20));
        pos += (24 + (uint64_t)extra + name_size + 7) & ~7ull;
        uint64_t table_bytes = (uint64_t)table_entries * 8;
        if (table_bytes > BITMAP_MAX_BYTES || qcow2_offset_into_cluster(s, table_off)) {
            g_printerr("ERROR bitmap %u: invalid bitmap table\n", i);
            cs->res->corruptions++;
            continue;
        }
        if (!table_bytes || !table_off) {
            continue;
        }
        check_inc(cs, table_off, table_bytes);
        uint64_t *table = g_malloc(table_bytes);
        if (host_file_pread(s->file, table_off, table, table_bytes, NULL) < 0) {
            cs->res->check_errors++;
            g_free(table);
            continue;
        }
        for (uint32_t k = 0; k < table_entries; k++) {
            uint64_t off = GUINT64_FROM_BE(table[k]) & L2E_OFFSET_MASK;
            if (off) {
                check_inc(cs, off, s->cluster_size);
            }
        }
        g_free(table);
    }
    g_free(dir);
}

/* Fix OFLAG_COPIED in the active L1/L2 tables; counts errors not fixed. */
static int check_oflag_copied(CheckState *cs, unsigned fix)
{
    BDRVQcow2State *s = cs->s;
    BlockCheckResult *res = cs->res;
    GError *local = NULL;

    for (uint32_t i = 0; i < s->l1_size; i++) {
        uint64_t l1e = s->l1_table[i];
        uint64_t l2_off = l1e & L1E_OFFSET_MASK;
        if (!l2_off || qcow2_offset_into_cluster(s, l2_off) || !qcow2_offset_valid(s, l2_off)) {
            continue;
        }
        uint64_t rc;
        if (qcow2_get_refcount(s, l2_off >> s->cluster_bits, &rc, &local) < 0) {
            g_clear_error(&local);
            res->check_errors++;
            continue;
        }
        if ((rc == 1) != ((l1e & QCOW_OFLAG_COPIED) != 0)) {
            bool repair = fix & BLK_FIX_ERRORS;
            g_printerr("%s OFLAG_COPIED L2 cluster: l1_index=%u l1_entry=%" PRIx64
                       " refcount=%" PRIu64 "\n", repair ? "Repairing" : "ERROR", i, l1e, rc);
            if (repair) {
                s->l1_table[i] = rc == 1 ? (l1e | QCOW_OFLAG_COPIED) : (l1e & ~QCOW_OFLAG_COPIED);
                if (qcow2_write_l1_entry(s, i, &local) < 0) {
                    g_clear_error(&local);
                    res->check_errors++;
                } else {
                    res->corruptions_fixed++;
                }
            } else {
                res->corruptions++;
            }
        }
        void *l2;
        if (qcow2_cache_get(s->l2_cache, l2_off, &l2, &local) < 0) {
            g_clear_error(&local);
            res->check_errors++;
            continue;
        }
        for (uint64_t j = 0; j < s->l2_size; j++) {
            uint64_t e = be64_at(l2, j);
            Qcow2ClusterType t = qcow2_get_cluster_type(s, e);
            if (t != QCOW2_CLUSTER_NORMAL && t != QCOW2_CLUSTER_ZERO_ALLOC) {
                continue;
            }
            uint64_t off = e & L2E_OFFSET_MASK;
            if (qcow2_offset_into_cluster(s, off)) {
                continue;
            }
            if (qcow2_get_refcount(s, off >> s->cluster_bits, &rc, &local) < 0) {
                g_clear_error(&local);
                res->check_errors++;
                continue;
            }
            if ((rc == 1) != ((e & QCOW_OFLAG_COPIED) != 0)) {
                bool repair = fix & BLK_FIX_ERRORS;
                g_printerr("%s OFLAG_COPIED data cluster: l2_entry=%" PRIx64 " refcount=%"
                           PRIu64 "\n", repair ? "Repairing" : "ERROR", e, rc);
                if (repair) {
                    set_be64_at(l2, j, rc == 1 ? (e | QCOW_OFLAG_COPIED) : (e & ~QCOW_OFLAG_COPIED));
                    qcow2_cache_mark_dirty(s->l2_cache, l2);
                    res->corruptions_fixed++;
                } else {
                    res->corruptions++;
                }
            }
        }
        qcow2_cache_put(s->l2_cache, &l2);
    }
    if (fix & BLK_FIX_ERRORS) {
        if (qcow2_cache_write(s->l2_cache, &local) < 0) {
            g_clear_error(&local);
            res->check_errors++;
        }
    }
    return 0;
}

/*
 * Write a new refcount table and blocks, holding exactly the computed
 * references, past the end of everything referenced; then switch the
 * header to them.  The old structures are simply no longer referenced.
 */
static int rebuild_refcounts(CheckState *cs, GError **err)
{
    BDRVQcow2State *s = cs->s;
    uint64_t cs_bytes = s->cluster_size;
    uint64_t rbe = 1ull << s->rb_bits;
    int64_t file_len = host_file_length(s->file);
    uint64_t file_clusters = file_len > 0 ? qcow2_size_to_clusters(s, file_len) : 0;

    g_printerr("Rebuilding refcount structure\n");

    /* The old refcount table and blocks go away: drop their references. */
    uint64_t old_first = s->refcount_table_offset >> s->cluster_bits;
    for (uint64_t c = 0; c < s->refcount_table_clusters; c++) {
        if (old_first + c < cs->nb_refs && cs->refs[old_first + c]) {
            cs->refs[old_first + c]--;
        }
    }
    for (uint64_t i = 0; i < s->refcount_table_size; i++) {
        uint64_t off = s->refcount_table[i] & REFT_OFFSET_MASK;
        uint64_t c = off >> s->cluster_bits;
        if (off && !qcow2_offset_into_cluster(s, off) && c < cs->nb_refs && cs->refs[c]) {
            cs->refs[c]--;
        }
    }
    uint64_t highest = 0;
    for (uint64_t c = 0; c < cs->nb_refs; c++) {
        if (cs->refs[c]) {
            highest = c + 1;
        }
    }
    uint64_t meta_start = MAX(highest, file_clusters);
    uint64_t blocks = 0, table_clusters = 1, entries = 0;
    for (int iter = 0; iter < 64; iter++) {
        uint64_t meta_end = meta_start + blocks + table_clusters;
        uint64_t b = (meta_end + rbe - 1) / rbe;   /* blocks cover everything from 0 */
        uint64_t t = (b * 8 + cs_bytes - 1) / cs_bytes;
        if (b == blocks && t == table_clusters) {
            entries = t * cs_bytes / 8;
            break;
        }
        blocks = b;
        table_clusters = t;
    }
    if (!entries || table_clusters * cs_bytes > QCOW2_MAX_REFTABLE_BYTES) {
        return block_error(err, -EFBIG, "qcow2: cannot rebuild refcounts: table too large");
    }
    uint64_t meta_end = meta_start + blocks + table_clusters;
    uint64_t table_off = (meta_start + blocks) << s->cluster_bits;
    uint64_t *table = g_new0(uint64_t, entries);
    uint8_t *block = g_malloc(cs_bytes);
    int ret = 0;

    /* Only blocks with a non-zero refcount are written; the rest stay 0 in the table. */
    for (uint64_t bi = 0; bi < blocks && ret == 0; bi++) {
        memset(block, 0, cs_bytes);
        bool any = false;
        for (uint64_t k = 0; k < rbe; k++) {
            uint64_t c = bi * rbe + k;
            uint64_t v = 0;
            if (c < cs->nb_refs) {
                v = MIN((uint64_t)cs->refs[c], s->refcount_max);
            }
            if (c >= meta_start && c < meta_end) {
                v = 1;
            }
            if (v) {
                qcow2_refcount_set(block, k, s->refcount_order, v);
                any = true;
            }
        }
        uint64_t block_off = (meta_start + bi) << s->cluster_bits;
        table[bi] = block_off;
        if (any || true) {
            ret = qcow2_meta_pwrite(s, block_off, block, cs_bytes, err);
        }
    }
    g_free(block);
    if (ret == 0) {
        ret = install_refcount_table(s, table, entries, table_off, table_clusters, err);
    }
    if (ret < 0) {
        g_free(table);
        return ret;
    }
    qcow2_cache_clear(s->refcount_cache);
    g_free(s->refcount_table);
    s->refcount_table = table;
    s->refcount_table_size = entries;
    s->refcount_table_offset = table_off;
    s->refcount_table_clusters = table_clusters;
    s->free_cluster_index = 0;
    s->free_byte_offset = 0;
    return qcow2_rebuild_metadata_set(s, err);
}

int qcow2_check_refcounts(BDRVQcow2State *s, BlockCheckResult *res, unsigned fix,
                          GError **err)
{
    CheckState cs = { .s = s, .res = res };
    int64_t file_len = host_file_length(s->file);
    if (file_len < 0) {
        return block_error(err, (int)file_len, "Could not get the length of '%s'",
                           host_file_path(s->file));
    }
    uint64_t file_clusters = qcow2_size_to_clusters(s, file_len);
    if (file_clusters > QCOW2_CHECK_MAX_CLUSTERS) {
        return block_error(err, -EFBIG, "'%s' has %" PRIu64 " clusters; checking more than %u "
                           "is not supported", host_file_path(s->file), file_clusters,
                           QCOW2_CHECK_MAX_CLUSTERS);
    }
    cs.nb_refs = MAX(file_clusters, 1);
    cs.max_refs = MIN(MAX(file_clusters * 2, file_clusters + (1u << 20)),
                      (uint64_t)QCOW2_CHECK_MAX_CLUSTERS);
    cs.refs = g_try_new0(uint32_t, cs.nb_refs);
    if (!cs.refs) {
        return block_error(err, -ENOMEM, "Out of memory for the refcount check");
    }

    res->total_clusters = qcow2_size_to_clusters(s, s->size);
    res->has_cluster_stats = true;

    /* Header, active table, snapshots, refcount structures. */
    check_inc(&cs, 0, s->cluster_size);
    check_l1(&cs, s->l1_table_offset, s->l1_size, s->l1_table, true);
    for (uint32_t i = 0; i < s->nb_snapshots; i++) {
        Qcow2Snapshot *sn = &s->snapshots[i];
        if ((uint64_t)sn->l1_size * 8 > QCOW2_MAX_L1_BYTES) {
            g_printerr("ERROR snapshot %s (%s) l1_size=%#" PRIx32 ": L1 size too big\n",
                       sn->id_str, sn->name, sn->l1_size);
            res->corruptions++;
            continue;
        }
        check_l1(&cs, sn->l1_table_offset, sn->l1_size, NULL, false);
    }
    check_inc(&cs, s->snapshots_offset, s->snapshots_size);
    check_bitmaps(&cs);
    check_inc(&cs, s->refcount_table_offset,
              (uint64_t)s->refcount_table_clusters << s->cluster_bits);
    for (uint64_t i = 0; i < s->refcount_table_size; i++) {
        uint64_t entry = s->refcount_table[i];
        uint64_t off = entry & REFT_OFFSET_MASK;
        if (entry & REFT_RESERVED_MASK) {
            g_printerr("ERROR refcount table entry %" PRIu64 " has reserved bits set\n", i);
            res->corruptions++;
            cs.rebuild = true;
            continue;
        }
        if (!off) {
            continue;
        }
        if (qcow2_offset_into_cluster(s, off)) {
            g_printerr("ERROR refcount block %" PRIu64 " is not cluster aligned; refcount "
                       "table entry corrupted\n", i);
            res->corruptions++;
            cs.rebuild = true;
            continue;
        }
        if ((off >> s->cluster_bits) >= file_clusters) {
            g_printerr("ERROR refcount block %" PRIu64 " is outside image\n", i);
            res->corruptions++;
            cs.rebuild = true;
            continue;
        }
        check_inc(&cs, off, s->cluster_size);
    }
    for (uint64_t i = 0; i < s->refcount_table_size; i++) {
        uint64_t off = s->refcount_table[i] & REFT_OFFSET_MASK;
        uint64_t c = off >> s->cluster_bits;
        if (off && !qcow2_offset_into_cluster(s, off) && c < cs.nb_refs && cs.refs[c] != 1) {
            g_printerr("ERROR refcount block %" PRIu64 " refcount=%u\n", i, cs.refs[c]);
            res->corruptions++;
            cs.rebuild = true;
        }
    }

    /* Compare with the refcounts on disk, one refcount block at a time. */
    uint64_t limit = MAX(cs.nb_refs, file_clusters);
    uint64_t rbe = 1ull << s->rb_bits;
    for (uint64_t first = 0; !cs.rebuild && first < limit; first += rbe) {
        uint64_t last = MIN(first + rbe, limit);
        uint64_t rb_off;
        GError *local = NULL;
        if (refcount_block_offset(s, first >> s->rb_bits, &rb_off, &local) < 0) {
            g_printerr("Can't get refcount block for cluster %" PRIu64 ": %s\n", first,
                       local->message);
            g_clear_error(&local);
            res->check_errors++;
            continue;
        }
        if (!rb_off && first >= cs.highest) {
            continue;   /* no block and nothing referenced: all zero on both sides */
        }
        void *block = NULL;
        if (rb_off && qcow2_cache_get(s->refcount_cache, rb_off, &block, &local) < 0) {
            g_printerr("Can't read refcount block at %#" PRIx64 ": %s\n", rb_off,
                       local->message);
            g_clear_error(&local);
            res->check_errors++;
            continue;
        }
        for (uint64_t c = first; c < last; c++) {
            uint64_t computed = c < cs.nb_refs ? cs.refs[c] : 0;
            uint64_t on_disk = 0;
            if (block) {
                /* The block stays pinned: repairs below update this very table. */
                on_disk = qcow2_refcount_get(block, c - first, s->refcount_order);
            } else if (c >= cs.highest) {
                break;
            }
            if (on_disk == computed) {
                continue;
            }
            bool fixable = false;
            if (on_disk == 0) {
                /* Referenced but free: the allocator could hand it out again. */
                if (fix & BLK_FIX_ERRORS) {
                    cs.rebuild = true;
                }
            } else if (on_disk > computed && (fix & BLK_FIX_LEAKS)) {
                fixable = true;
            } else if (on_disk < computed && (fix & BLK_FIX_ERRORS)) {
                fixable = true;
            }
            g_printerr("%s cluster %" PRIu64 " refcount=%" PRIu64 " reference=%" PRIu64 "\n",
                       fixable ? "Repairing" : on_disk < computed ? "ERROR" : "Leaked",
                       c, on_disk, computed);
            if (fixable) {
                int ret = qcow2_update_refcount(s, c << s->cluster_bits, 1,
                                                (int64_t)(computed - on_disk), &local);
                if (ret < 0) {
                    g_printerr("ERROR: could not fix cluster %" PRIu64 ": %s\n", c,
                               local->message);
                    g_clear_error(&local);
                    res->check_errors++;
                } else if (on_disk > computed) {
                    res->leaks_fixed++;
                } else {
                    res->corruptions_fixed++;
                }
                continue;
            }
            if (on_disk < computed) {
                res->corruptions++;
            } else {
                res->leaks++;
            }
        }
        if (block) {
            qcow2_cache_put(s->refcount_cache, &block);
        }
    }
    if (cs.rebuild && (fix & BLK_FIX_ERRORS)) {
        GError *local = NULL;
        int ret = rebuild_refcounts(&cs, &local);
        if (ret < 0) {
            g_printerr("ERROR: could not rebuild the refcount structure: %s\n", local->message);
            g_error_free(local);
            res->check_errors++;
        } else {
            /* Everything counted as corrupt is fixed by the rebuild. */
            res->corruptions_fixed += res->corruptions;
            res->corruptions = 0;
            res->leaks_fixed += res->leaks;
            res->leaks = 0;
        }
    }
    if (fix) {
        GError *local = NULL;
        if (qcow2_cache_write(s->refcount_cache, &local) < 0) {
            g_clear_error(&local);
            res->check_errors++;
        }
    }
    if (!cs.rebuild || (fix & BLK_FIX_ERRORS)) {
        check_oflag_copied(&cs, fix);
    }
    res->image_end_offset = (int64_t)(cs.highest << s->cluster_bits);
    g_free(cs.refs);
    return 0;
}
