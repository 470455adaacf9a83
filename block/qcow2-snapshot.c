/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * qcow2 internal snapshots ("Snapshots"): the snapshot table, and
 * create / apply / delete / list.  A snapshot is a copy of the active L1
 * table; every cluster reachable from it holds one more reference.
 */
#include <string.h>

#include "block/qcow2.h"

#define SN_HEADER_LEN 40
#define SN_KNOWN_EXTRA 24    /* vm_state_size_large, disk_size, icount */

void qcow2_free_snapshots(BDRVQcow2State *s)
{
    for (uint32_t i = 0; s->snapshots && i < s->nb_snapshots; i++) {
        g_free(s->snapshots[i].id_str);
        g_free(s->snapshots[i].name);
        g_free(s->snapshots[i].unknown_extra);
    }
    g_free(s->snapshots);
    s->snapshots = NULL;
}

int qcow2_read_snapshots(BDRVQcow2State *s, GError **err)
{
    const char *fn = s->bs->filename;
    if (s->nb_snapshots == 0) {
        s->snapshots_offset = 0;
        s->snapshots_size = 0;
        return 0;
    }
    if (s->nb_snapshots > QCOW2_MAX_SNAPSHOTS) {
        return block_error(err, -EFBIG, "'%s': too many snapshots (%u; the limit is %d)", fn,
                           s->nb_snapshots, QCOW2_MAX_SNAPSHOTS);
    }
    int64_t file_len = host_file_length(s->file);
    if (qcow2_offset_into_cluster(s, s->snapshots_offset) || s->snapshots_offset == 0 ||
        file_len < 0 || s->snapshots_offset >= (uint64_t)file_len) {
        return block_error(err, -EINVAL, "'%s': invalid snapshot table offset %#" PRIx64, fn,
                           s->snapshots_offset);
    }
    uint64_t limit = MIN((uint64_t)file_len - s->snapshots_offset,
                         (uint64_t)QCOW2_MAX_SNAPSHOT_TABLE_BYTES);
    uint64_t pos = 0;
    s->snapshots = g_new0(Qcow2Snapshot, s->nb_snapshots);
    uint32_t i;
    int ret = 0;

    for (i = 0; i < s->nb_snapshots; i++) {
        Qcow2Snapshot *sn = &s->snapshots[i];
        uint8_t h[SN_HEADER_LEN];
        pos = (pos + 7) & ~7ull;
        if (pos + SN_HEADER_LEN > limit) {
            ret = block_error(err, -EINVAL, "'%s': snapshot table truncated or too large", fn);
            break;
        }
        ret = host_file_pread(s->file, s->snapshots_offset + pos, h, SN_HEADER_LEN, err);
        if (ret < 0) {
            break;
        }
        pos += SN_HEADER_LEN;
        sn->l1_table_offset = be64_at(h, 0);
        sn->l1_size = GUINT32_FROM_BE(*(uint32_t *)(h + 8));
        uint16_t id_len = ((uint16_t)h[12] << 8) | h[13];
        uint16_t name_len = ((uint16_t)h[14] << 8) | h[15];
        sn->date_sec = GUINT32_FROM_BE(*(uint32_t *)(h + 16));
        sn->date_nsec = GUINT32_FROM_BE(*(uint32_t *)(h + 20));
        sn->vm_clock_nsec = be64_at(h, 3);
        sn->vm_state_size = GUINT32_FROM_BE(*(uint32_t *)(h + 32));
        sn->extra_data_size = GUINT32_FROM_BE(*(uint32_t *)(h + 36));
        sn->disk_size = s->size;
        sn->icount = UINT64_MAX;

        if (sn->extra_data_size > QCOW2_MAX_SNAPSHOT_EXTRA) {
            ret = block_error(err, -EFBIG, "'%s': too much extra metadata in snapshot table "
                              "entry %u", fn, i);
            break;
        }
        if (pos + sn->extra_data_size + id_len + name_len > limit) {
            ret = block_error(err, -EINVAL, "'%s': snapshot table truncated or too large", fn);
            break;
        }
        uint8_t *buf = g_malloc0(sn->extra_data_size + id_len + name_len + 1);
        ret = host_file_pread(s->file, s->snapshots_offset + pos, buf,
                              sn->extra_data_size + id_len + name_len, err);
        if (ret < 0) {
            g_free(buf);
            break;
        }
        uint8_t *extra = buf;
        if (sn->extra_data_size >= 8) {
            sn->vm_state_size = be64_at(extra, 0);
        }
        if (sn->extra_data_size >= 16) {
            sn->disk_size = be64_at(extra, 1);
        }
        if (sn->extra_data_size >= 24) {
            sn->icount = be64_at(extra, 2);
        }
        if (sn->extra_data_size > SN_KNOWN_EXTRA) {
            sn->unknown_extra_size = sn->extra_data_size - SN_KNOWN_EXTRA;
            sn->unknown_extra = g_memdup2(extra + SN_KNOWN_EXTRA, sn->unknown_extra_size);
        }
        sn->id_str = g_strndup((char *)buf + sn->extra_data_size, id_len);
        sn->name = g_strndup((char *)buf + sn->extra_data_size + id_len, name_len);
        g_free(buf);
        pos += sn->extra_data_size + id_len + name_len;

        if (qcow2_offset_into_cluster(s, sn->l1_table_offset) ||
            (uint64_t)sn->l1_size * 8 > QCOW2_MAX_L1_BYTES ||
            (sn->l1_size && sn->l1_table_offset + (uint64_t)sn->l1_size * 8 > (uint64_t)file_len)) {
            ret = block_error(err, -EINVAL, "'%s': snapshot %s has an invalid L1 table "
                              "(offset %#" PRIx64 ", %u entries)", fn, sn->id_str,
                              sn->l1_table_offset, sn->l1_size);
            i++;
            break;
        }
    }
    if (ret < 0) {
        /* Free what was read so far (entries past i are still zero). */
        uint32_t n = s->nb_snapshots;
        s->nb_snapshots = MIN(i + 1, n);
        qcow2_free_snapshots(s);
        s->nb_snapshots = n;
        return ret;
    }
    s->snapshots_size = pos;
    return 0;
}

/* Serialise the table (each entry padded to 8 bytes). */
static GByteArray *build_snapshot_table(const Qcow2Snapshot *list, uint32_t n)
{
    GByteArray *buf = g_byte_array_new();
    for (uint32_t i = 0; i < n; i++) {
        const Qcow2Snapshot *sn = &list[i];
        uint32_t extra_len = SN_KNOWN_EXTRA + sn->unknown_extra_size;
        uint16_t id_len = strlen(sn->id_str);
        uint16_t name_len = strlen(sn->name);
        size_t len = SN_HEADER_LEN + extra_len + id_len + name_len;
        size_t padded = (len + 7) & ~(size_t)7;
        size_t at = buf->len;
        g_byte_array_set_size(buf, at + padded);
        uint8_t *p = buf->data + at;
        memset(p, 0, padded);
        set_be64_at(p, 0, sn->l1_table_offset);
        *(uint32_t *)(p + 8) = GUINT32_TO_BE(sn->l1_size);
        p[12] = id_len >> 8;
        p[13] = id_len;
        p[14] = name_len >> 8;
        p[15] = name_len;
        *(uint32_t *)(p + 16) = GUINT32_TO_BE(sn->date_sec);
        *(uint32_t *)(p + 20) = GUINT32_TO_BE(sn->date_nsec);
        set_be64_at(p, 3, sn->vm_clock_nsec);
        *(uint32_t *)(p + 32) = GUINT32_TO_BE(sn->vm_state_size <= UINT32_MAX ?
                                              (uint32_t)sn->vm_state_size : 0);
        *(uint32_t *)(p + 36) = GUINT32_TO_BE(extra_len);
        set_be64_at(p + SN_HEADER_LEN, 0, sn->vm_state_size);
        set_be64_at(p + SN_HEADER_LEN, 1, sn->disk_size);
        set_be64_at(p + SN_HEADER_LEN, 2, sn->icount == UINT64_MAX ? 0 : sn->icount);
        if (sn->unknown_extra_size) {
            memcpy(p + SN_HEADER_LEN + SN_KNOWN_EXTRA, sn->unknown_extra, sn->unknown_extra_size);
        }
        memcpy(p + SN_HEADER_LEN + extra_len, sn->id_str, id_len);
        memcpy(p + SN_HEADER_LEN + extra_len + id_len, sn->name, name_len);
    }
    return buf;
}

/*
 * Write `list` as the new snapshot table and switch the header to it; the
 * old table is freed once nothing points to it.  On success the state
 * takes ownership of list.
 */
static int write_snapshot_table(BDRVQcow2State *s, Qcow2Snapshot *list, uint32_t n,
                                GError **err)
{
    GByteArray *buf = build_snapshot_table(list, n);
    if (buf->len > QCOW2_MAX_SNAPSHOT_TABLE_BYTES) {
        g_byte_array_free(buf, TRUE);
        return block_error(err, -EFBIG, "The snapshot table would exceed %u bytes",
                           QCOW2_MAX_SNAPSHOT_TABLE_BYTES);
    }
    int64_t off = 0;
    int ret = 0;
    if (buf->len) {
        uint64_t clusters = qcow2_size_to_clusters(s, buf->len);
        off = qcow2_alloc_clusters(s, clusters, err);
        if (off < 0) {
            g_byte_array_free(buf, TRUE);
            return off;
        }
        ret = qcow2_meta_pwrite(s, off, buf->data, buf->len, err);
        if (ret == 0) {
            ret = qcow2_cache_write(s->refcount_cache, err);
        }
        if (ret < 0) {
            qcow2_update_refcount(s, off, buf->len, -1, NULL);
            g_byte_array_free(buf, TRUE);
            return ret;
        }
    }
    ret = qcow2_barrier(s, err);
    if (ret == 0) {
        uint8_t hdr[12];
        *(uint32_t *)hdr = GUINT32_TO_BE(n);
        uint64_t be = GUINT64_TO_BE((uint64_t)off);
        memcpy(hdr + 4, &be, 8);
        ret = qcow2_write_header_field(s, 60, hdr, 12, err);
    }
    if (ret == 0) {
        ret = qcow2_sync(s, err);
    }
    if (ret < 0) {
        if (off) {
            qcow2_update_refcount(s, off, buf->len, -1, NULL);
        }
        g_byte_array_free(buf, TRUE);
        return ret;
    }
    uint64_t old_off = s->snapshots_offset, old_size = s->snapshots_size;
    qcow2_free_snapshots(s);
    s->snapshots = list;
    s->nb_snapshots = n;
    s->snapshots_offset = off;
    s->snapshots_size = buf->len;
    qcow2_metadata_add(s, off, buf->len);
    g_byte_array_free(buf, TRUE);
    if (old_size) {
        /* The new table is in place; failing to free the old one only leaks it. */
        qcow2_metadata_remove(s, old_off, old_size);
        qcow2_update_refcount(s, old_off, old_size, -1, NULL);
    }
    return 0;
}

static Qcow2Snapshot copy_snapshot(const Qcow2Snapshot *sn)
{
    Qcow2Snapshot c = *sn;
    c.id_str = g_strdup(sn->id_str);
    c.name = g_strdup(sn->name);
    c.unknown_extra = sn->unknown_extra_size ? g_memdup2(sn->unknown_extra,
                                                         sn->unknown_extra_size) : NULL;
    return c;
}

static void free_snapshot_list(Qcow2Snapshot *list, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++) {
        g_free(list[i].id_str);
        g_free(list[i].name);
        g_free(list[i].unknown_extra);
    }
    g_free(list);
}

/* By ID first, then by name (as QEMU looks them up). */
static int find_snapshot(BDRVQcow2State *s, const char *id_or_name)
{
    for (uint32_t i = 0; i < s->nb_snapshots; i++) {
        if (strcmp(s->snapshots[i].id_str, id_or_name) == 0) {
            return i;
        }
    }
    for (uint32_t i = 0; i < s->nb_snapshots; i++) {
        if (strcmp(s->snapshots[i].name, id_or_name) == 0) {
            return i;
        }
    }
    return -1;
}

static int load_l1(BDRVQcow2State *s, uint64_t offset, uint32_t size, uint64_t **out,
                   GError **err)
{
    if ((uint64_t)size * 8 > QCOW2_MAX_L1_BYTES || qcow2_offset_into_cluster(s, offset)) {
        return qcow2_signal_corruption(s, err, "Snapshot L1 table at %#" PRIx64 " (%u entries) "
                                       "is invalid", offset, size);
    }
    uint64_t *l1 = g_try_new0(uint64_t, MAX(size, 1));
    if (!l1) {
        return block_error(err, -ENOMEM, "Out of memory for an L1 table");
    }
    if (size) {
        int ret = host_file_pread(s->file, offset, l1, (size_t)size * 8, err);
        if (ret < 0) {
            g_free(l1);
            return ret;
        }
    }
    for (uint32_t i = 0; i < size; i++) {
        l1[i] = GUINT64_FROM_BE(l1[i]);
    }
    *out = l1;
    return 0;
}

static int write_l1(BDRVQcow2State *s, uint64_t offset, const uint64_t *l1, uint32_t size,
                    GError **err)
{
    if (size == 0) {
        return 0;
    }
    uint64_t *be = g_new(uint64_t, size);
    for (uint32_t i = 0; i < size; i++) {
        be[i] = GUINT64_TO_BE(l1[i]);
    }
    int ret = qcow2_meta_pwrite(s, offset, be, (size_t)size * 8, err);
    g_free(be);
    return ret;
}

/*
 * Walk an L1 table (in memory, host order): add `addend` to every L2 table
 * and data cluster it reaches, then make QCOW_OFLAG_COPIED match the
 * refcounts in it and its L2 tables.  Refcounts reach the disk before the
 * tables whose flags depend on them.  If l1_offset is non-zero the L1
 * table is written back there when a flag changed.
 */
static int update_l1_refcounts(BDRVQcow2State *s, uint64_t *l1, uint32_t l1_size,
                               uint64_t l1_offset, int addend, GError **err)
{
    bool l1_changed = false;
    int ret = 0;

    for (uint32_t i = 0; i < l1_size && ret == 0; i++) {
        uint64_t l2_off = l1[i] & L1E_OFFSET_MASK;
        if (!l2_off) {
            continue;
        }
        void *l2;
        ret = qcow2_load_l2(s, l2_off, &l2, err);
        if (ret < 0) {
            break;
        }
        bool l2_changed = false;
        for (uint64_t j = 0; j < s->l2_size && ret == 0; j++) {
            uint64_t e = be64_at(l2, j);
            switch (qcow2_get_cluster_type(s, e)) {
            case QCOW2_CLUSTER_COMPRESSED:
                if (addend) {
                    uint64_t coff = e & s->cluster_offset_mask;
                    uint64_t sectors = ((e >> s->csize_shift) & s->csize_mask) + 1;
                    ret = qcow2_update_refcount(s, coff & ~511ull, sectors * 512, addend, err);
                }
                break;
            case QCOW2_CLUSTER_NORMAL:
            case QCOW2_CLUSTER_ZERO_ALLOC: {
                uint64_t off = e & L2E_OFFSET_MASK;
                if (qcow2_offset_into_cluster(s, off)) {
                    ret = qcow2_signal_corruption(s, err, "Cluster offset %#" PRIx64
                                                  " unaligned in L2 table %#" PRIx64, off, l2_off);
                    break;
                }
                if (addend) {
                    ret = qcow2_update_refcount(s, off, s->cluster_size, addend, err);
                    if (ret < 0) {
                        break;
                    }
                }
                uint64_t rc;
                ret = qcow2_get_refcount(s, off >> s->cluster_bits, &rc, err);
                if (ret < 0) {
                    break;
                }
                uint64_t ne = rc == 1 ? (e | QCOW_OFLAG_COPIED) : (e & ~QCOW_OFLAG_COPIED);
                if (ne != e) {
                    set_be64_at(l2, j, ne);
                    l2_changed = true;
                }
                break;
            }
            default:
                break;
            }
        }
        if (l2_changed) {
            qcow2_cache_mark_dirty(s->l2_cache, l2);
        }
        qcow2_cache_put(s->l2_cache, &l2);
        if (ret < 0) {
            break;
        }
        if (addend) {
            ret = qcow2_update_refcount(s, l2_off, s->cluster_size, addend, err);
            if (ret < 0) {
                break;
            }
        }
        uint64_t rc;
        ret = qcow2_get_refcount(s, l2_off >> s->cluster_bits, &rc, err);
        if (ret < 0) {
            break;
        }
        if (rc) {
            uint64_t ne = rc == 1 ? (l1[i] | QCOW_OFLAG_COPIED) : (l1[i] & ~QCOW_OFLAG_COPIED);
            if (ne != l1[i]) {
                l1[i] = ne;
                l1_changed = true;
            }
        }
    }
    if (ret < 0) {
        return ret;
    }
    /* Refcounts first, then the tables whose COPIED flags follow from them. */
    ret = qcow2_cache_write(s->refcount_cache, err);
    if (ret == 0) {
        ret = qcow2_barrier(s, err);
    }
    if (ret == 0) {
        ret = qcow2_cache_write(s->l2_cache, err);
    }
    if (ret == 0 && l1_changed && l1_offset) {
        ret = qcow2_barrier(s, err);
        if (ret == 0) {
            ret = write_l1(s, l1_offset, l1, l1_size, err);
        }
    }
    return ret;
}

int qcow2_update_snapshot_refcount(BDRVQcow2State *s, uint64_t l1_offset, uint32_t l1_size,
                                   int addend, GError **err)
{
    if (l1_offset == s->l1_table_offset && l1_size == s->l1_size) {
        return update_l1_refcounts(s, s->l1_table, s->l1_size, s->l1_table_offset, addend, err);
    }
    uint64_t *l1;
    int ret = load_l1(s, l1_offset, l1_size, &l1, err);
    if (ret < 0) {
        return ret;
    }
    ret = update_l1_refcounts(s, l1, l1_size, l1_offset, addend, err);
    g_free(l1);
    return ret;
}

int qcow2_snapshot_create(BlockDriverState *bs, const char *name, GError **err)
{
    BDRVQcow2State *s = bs->opaque;
    if (strlen(name) > UINT16_MAX || !*name) {
        return block_error(err, -EINVAL, "Invalid snapshot name");
    }
    if (s->nb_snapshots >= QCOW2_MAX_SNAPSHOTS) {
        return block_error(err, -EFBIG, "Too many snapshots (the limit is %d)",
                           QCOW2_MAX_SNAPSHOTS);
    }
    int ret = qcow2_flush_metadata(s, err);
    if (ret < 0) {
        return ret;
    }

    /* A copy of the active L1 table in fresh clusters. */
    uint64_t l1_bytes = (uint64_t)s->l1_size * 8;
    int64_t l1_off = 0;
    if (l1_bytes) {
        l1_off = qcow2_alloc_clusters(s, qcow2_size_to_clusters(s, l1_bytes), err);
        if (l1_off < 0) {
            return l1_off;
        }
    }
    /* Every cluster reachable from the active table gets one more reference. */
    ret = qcow2_update_snapshot_refcount(s, s->l1_table_offset, s->l1_size, 1, err);
    if (ret == 0) {
        ret = write_l1(s, l1_off, s->l1_table, s->l1_size, err);
    }
    if (ret == 0) {
        ret = qcow2_barrier(s, err);
    }
    if (ret < 0) {
        if (l1_off) {
            qcow2_update_refcount(s, l1_off, l1_bytes, -1, NULL);
        }
        return ret;
    }

    uint64_t max_id = 0;
    for (uint32_t i = 0; i < s->nb_snapshots; i++) {
        uint64_t id = g_ascii_strtoull(s->snapshots[i].id_str, NULL, 10);
        max_id = MAX(max_id, id);
    }
    uint32_t n = s->nb_snapshots + 1;
    Qcow2Snapshot *list = g_new0(Qcow2Snapshot, n);
    for (uint32_t i = 0; i < s->nb_snapshots; i++) {
        list[i] = copy_snapshot(&s->snapshots[i]);
    }
    gint64 now = g_get_real_time();
    Qcow2Snapshot *sn = &list[n - 1];
    sn->l1_table_offset = l1_off;
    sn->l1_size = s->l1_size;
    sn->id_str = g_strdup_printf("%" PRIu64, max_id + 1);
    sn->name = g_strdup(name);
    sn->disk_size = s->size;
    sn->date_sec = now / G_USEC_PER_SEC;
    sn->date_nsec = (now % G_USEC_PER_SEC) * 1000;
    sn->icount = 0;
    qcow2_metadata_add(s, l1_off, l1_bytes);

    ret = write_snapshot_table(s, list, n, err);
    if (ret < 0) {
        free_snapshot_list(list, n);
        /* The references stay (leaked clusters), the image is consistent. */
        return ret;
    }
    return qcow2_flush_metadata(s, err);
}

int qcow2_snapshot_goto(BlockDriverState *bs, const char *id_or_name, GError **err)
{
    BDRVQcow2State *s = bs->opaque;
    int idx = find_snapshot(s, id_or_name);
    if (idx < 0) {
        return block_error(err, -ENOENT, "Can't find the snapshot '%s'", id_or_name);
    }
    Qcow2Snapshot *sn = &s->snapshots[idx];
    int ret = qcow2_flush_metadata(s, err);
    if (ret < 0) {
        return ret;
    }
    uint64_t *sn_l1;
    ret = load_l1(s, sn->l1_table_offset, sn->l1_size, &sn_l1, err);
    if (ret < 0) {
        return ret;
    }
    if (sn->l1_size > s->l1_size) {
        ret = qcow2_grow_l1_table(s, sn->l1_size, err);
        if (ret < 0) {
            g_free(sn_l1);
            return ret;
        }
    }
    /* 1. The snapshot's clusters gain the references the active table will hold. */
    ret = update_l1_refcounts(s, sn_l1, sn->l1_size, 0, 1, err);
    if (ret < 0) {
        g_free(sn_l1);
        return ret;
    }
    /* 2. Switch the active table on disk. */
    uint64_t *old = g_memdup2(s->l1_table, (size_t)s->l1_size * 8);
    memset(s->l1_table, 0, (size_t)s->l1_size * 8);
    memcpy(s->l1_table, sn_l1, (size_t)sn->l1_size * 8);
    g_free(sn_l1);
    ret = qcow2_barrier(s, err);
    if (ret == 0) {
        ret = write_l1(s, s->l1_table_offset, s->l1_table, s->l1_size, err);
    }
    if (ret == 0) {
        ret = qcow2_sync(s, err);
    }
    if (ret == 0 && sn->disk_size != s->size) {
        uint64_t be = GUINT64_TO_BE(sn->disk_size);
        ret = qcow2_write_header_field(s, 24, &be, 8, err);
        if (ret == 0) {
            s->size = sn->disk_size;
            ret = qcow2_sync(s, err);
        }
    }
    if (ret < 0) {
        g_free(old);
        return ret;
    }
    qcow2_rebuild_metadata_set(s, NULL);
    /* 3. The old active clusters lose theirs; 4. COPIED flags follow the new refcounts. */
    ret = update_l1_refcounts(s, old, s->l1_size, 0, -1, err);
    g_free(old);
    if (ret == 0) {
        ret = update_l1_refcounts(s, s->l1_table, s->l1_size, s->l1_table_offset, 0, err);
    }
    s->free_byte_offset = 0;
    s->ccache_entry = 0;
    if (ret == 0) {
        ret = qcow2_flush_metadata(s, err);
    }
    return ret;
}

int qcow2_snapshot_delete(BlockDriverState *bs, const char *id_or_name, GError **err)
{
    BDRVQcow2State *s = bs->opaque;
    int idx = find_snapshot(s, id_or_name);
    if (idx < 0) {
        return block_error(err, -ENOENT, "Could not delete snapshot '%s': snapshot not found",
                           id_or_name);
    }
    int ret = qcow2_flush_metadata(s, err);
    if (ret < 0) {
        return ret;
    }
    Qcow2Snapshot victim = copy_snapshot(&s->snapshots[idx]);
    uint32_t n = s->nb_snapshots - 1;
    Qcow2Snapshot *list = g_new0(Qcow2Snapshot, MAX(n, 1));
    for (uint32_t i = 0, k = 0; i < s->nb_snapshots; i++) {
        if ((int)i != idx) {
            list[k++] = copy_snapshot(&s->snapshots[i]);
        }
    }
    /* First the table forgets it; then its references go. */
    ret = write_snapshot_table(s, list, n, err);
    if (ret < 0) {
        free_snapshot_list(list, n);
        free_snapshot_list(g_memdup2(&victim, sizeof(victim)), 1);
        return ret;
    }
    ret = qcow2_update_snapshot_refcount(s, victim.l1_table_offset, victim.l1_size, -1, err);
    if (ret == 0 && victim.l1_size) {
        qcow2_metadata_remove(s, victim.l1_table_offset, (uint64_t)victim.l1_size * 8);
        ret = qcow2_update_refcount(s, victim.l1_table_offset, (uint64_t)victim.l1_size * 8, -1,
                                    err);
    }
    if (ret == 0) {
        ret = update_l1_refcounts(s, s->l1_table, s->l1_size, s->l1_table_offset, 0, err);
    }
    s->free_byte_offset = 0;
    g_free(victim.id_str);
    g_free(victim.name);
    g_free(victim.unknown_extra);
    if (ret == 0) {
        ret = qcow2_flush_metadata(s, err);
    }
    return ret;
}

GArray *qcow2_snapshot_list(BlockDriverState *bs, GError **err)
{
    BDRVQcow2State *s = bs->opaque;
    GArray *list = g_array_new(FALSE, TRUE, sizeof(BlockSnapshotInfo));
    for (uint32_t i = 0; i < s->nb_snapshots; i++) {
        const Qcow2Snapshot *sn = &s->snapshots[i];
        BlockSnapshotInfo info = {
            .id = g_strdup(sn->id_str),
            .name = g_strdup(sn->name),
            .vm_state_size = sn->vm_state_size,
            .date_sec = sn->date_sec,
            .date_nsec = sn->date_nsec,
            .vm_clock_nsec = sn->vm_clock_nsec,
            .icount = sn->icount,
            .disk_size = sn->disk_size,
        };
        g_array_append_val(list, info);
    }
    return list;
}
