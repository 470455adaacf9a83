/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * qcow2 guest IO: the L1/L2 mapping ("Cluster mapping"), reads, allocating
 * writes with copy-on-write of partial clusters, zero writes and discard,
 * compressed clusters, block status.
 */
#include <string.h>
#include <zlib.h>
#include <zstd.h>

#include "block/qcow2.h"

/* Largest number of clusters allocated and written in one go. */
#define MAX_ALLOC_BYTES (8u << 20)

/* Which L1 entry, and which entry of that L2 table, map guest offset `offset`. */
static inline uint64_t offset_to_l1_index(const BDRVQcow2State *s, uint64_t offset)
{
    return offset >> (s->cluster_bits + s->l2_bits);
}

static inline uint64_t offset_to_l2_index(const BDRVQcow2State *s, uint64_t offset)
{
    return (offset >> s->cluster_bits) & (s->l2_size - 1);
}

Qcow2ClusterType qcow2_get_cluster_type(const BDRVQcow2State *s, uint64_t l2_entry)
{
    if (l2_entry & QCOW_OFLAG_COMPRESSED) {
        return QCOW2_CLUSTER_COMPRESSED;
    }
    /* Bit 0 is the zero flag only from version 3 on ("Standard Cluster Descriptor"). */
    if (s->version >= 3 && (l2_entry & QCOW_OFLAG_ZERO)) {
        return (l2_entry & L2E_OFFSET_MASK) ? QCOW2_CLUSTER_ZERO_ALLOC : QCOW2_CLUSTER_ZERO_PLAIN;
    }
    if (!(l2_entry & L2E_OFFSET_MASK)) {
        return QCOW2_CLUSTER_UNALLOCATED;
    }
    return QCOW2_CLUSTER_NORMAL;
}

int qcow2_load_l2(BDRVQcow2State *s, uint64_t l2_offset, void **table, GError **err)
{
    if (qcow2_offset_into_cluster(s, l2_offset)) {
        return qcow2_signal_corruption(s, err, "L2 table offset %#" PRIx64 " unaligned",
                                       l2_offset);
    }
    if (!qcow2_offset_valid(s, l2_offset)) {
        return qcow2_signal_corruption(s, err, "L2 table offset %#" PRIx64 " is beyond the "
                                       "end of the image file", l2_offset);
    }
    return qcow2_cache_get(s->l2_cache, l2_offset, table, err);
}

/* The L2 table for l1_index, or NULL (*table) when the L1 entry is empty. */
static int get_l2_for_read(BDRVQcow2State *s, uint64_t l1_index, void **table, GError **err)
{
    *table = NULL;
    if (l1_index >= s->l1_size) {
        return 0;
    }
    uint64_t l2_off = s->l1_table[l1_index] & L1E_OFFSET_MASK;
    if (!l2_off) {
        return 0;
    }
    return qcow2_load_l2(s, l2_off, table, err);
}

/*
 * The L2 table for l1_index, writable: allocated when missing, copied when
 * shared with a snapshot (no COPIED flag).  The new table is on disk before
 * the L1 entry that points to it.
 */
static int get_l2_for_write(BDRVQcow2State *s, uint64_t l1_index, void **table, GError **err)
{
    int ret;
    *table = NULL;
    if (l1_index >= s->l1_size) {
        ret = qcow2_grow_l1_table(s, l1_index + 1, err);
        if (ret < 0) {
            return ret;
        }
    }
    uint64_t l1e = s->l1_table[l1_index];
    uint64_t old = l1e & L1E_OFFSET_MASK;
    if (old && (l1e & QCOW_OFLAG_COPIED)) {
        return qcow2_load_l2(s, old, table, err);
    }

    uint8_t *copy = NULL;
    if (old) {
        void *old_table;
        ret = qcow2_load_l2(s, old, &old_table, err);
        if (ret < 0) {
            return ret;
        }
        copy = g_memdup2(old_table, s->cluster_size);
        qcow2_cache_put(s->l2_cache, &old_table);
    }
    int64_t new_off = qcow2_alloc_clusters(s, 1, err);
    if (new_off < 0) {
        g_free(copy);
        return new_off;
    }
    void *l2;
    ret = qcow2_cache_get_empty(s->l2_cache, new_off, &l2, err);
    if (ret < 0) {
        g_free(copy);
        return ret;
    }
    if (copy) {
        memcpy(l2, copy, s->cluster_size);
        g_free(copy);
    }
    qcow2_cache_mark_dirty(s->l2_cache, l2);
    qcow2_metadata_add(s, new_off, s->cluster_size);
    ret = qcow2_cache_write_table(s->l2_cache, l2, err);
    if (ret == 0) {
        ret = qcow2_barrier(s, err);
    }
    if (ret == 0) {
        s->l1_table[l1_index] = (uint64_t)new_off | QCOW_OFLAG_COPIED;
        ret = qcow2_write_l1_entry(s, l1_index, err);
    }
    if (ret < 0) {
        qcow2_cache_put(s->l2_cache, &l2);
        return ret;
    }
    if (old) {
        qcow2_free_deferred(s, old, s->cluster_size);
    }
    *table = l2;
    return 0;
}

static int check_normal_entry(BDRVQcow2State *s, uint64_t entry, uint64_t guest_offset,
                              GError **err)
{
    uint64_t host = entry & L2E_OFFSET_MASK;
    if (qcow2_offset_into_cluster(s, host)) {
        return qcow2_signal_corruption(s, err, "Cluster allocation offset %#" PRIx64
                                       " unaligned (L2 entry for guest offset %#" PRIx64 ")",
                                       host, guest_offset);
    }
    return 0;
}

int qcow2_get_l2_entry(BDRVQcow2State *s, uint64_t offset, uint64_t *entry, uint64_t *count,
                       GError **err)
{
    uint64_t l1_index = offset_to_l1_index(s, offset);
    uint64_t l2_index = offset_to_l2_index(s, offset);
    void *l2;
    int ret = get_l2_for_read(s, l1_index, &l2, err);
    if (ret < 0) {
        return ret;
    }
    *count = s->l2_size - l2_index;
    if (!l2) {
        *entry = 0;
        return 0;
    }
    *entry = be64_at(l2, l2_index);
    qcow2_cache_put(s->l2_cache, &l2);
    return 0;
}

/* ---- compression ---- */

int qcow2_decompress_cluster(BDRVQcow2State *s, uint64_t l2_entry, GError **err)
{
    if (s->ccache_entry == l2_entry && s->ccache_entry) {
        return 0;
    }
    uint64_t coff = l2_entry & s->cluster_offset_mask;
    uint64_t sectors = ((l2_entry >> s->csize_shift) & s->csize_mask) + 1;
    uint64_t csize = sectors * 512 - (coff & 511);
    int64_t file_len = host_file_length(s->file);

    if (coff == 0 || (file_len >= 0 && coff >= (uint64_t)file_len)) {
        return qcow2_signal_corruption(s, err, "Compressed cluster at %#" PRIx64 " is beyond "
                                       "the end of the image file", coff);
    }
    s->ccache_entry = 0;
    if (!s->ccache_data) {
        s->ccache_data = g_malloc(s->cluster_size);
        s->ccache_in = g_malloc(s->cluster_size * 2);
    }
    int ret = host_file_pread(s->file, coff, s->ccache_in, csize, err);
    if (ret < 0) {
        return ret;
    }
    bool ok = false;
    if (s->compression_type == QCOW2_COMPRESSION_ZLIB) {
        /* Raw deflate with a 4 KiB window, as QEMU writes it. */
        z_stream strm = { 0 };
        if (inflateInit2(&strm, -12) == Z_OK) {
            strm.next_in = s->ccache_in;
            strm.avail_in = csize;
            strm.next_out = s->ccache_data;
            strm.avail_out = s->cluster_size;
            int zr = inflate(&strm, Z_FINISH);
            /* Decompression stops once a whole cluster came out; trailing bytes are slack. */
            ok = (zr == Z_STREAM_END || zr == Z_BUF_ERROR || zr == Z_OK) && strm.avail_out == 0;
            inflateEnd(&strm);
        }
    } else {
        ZSTD_DCtx *dctx = ZSTD_createDCtx();
        if (dctx) {
            ZSTD_inBuffer in = { s->ccache_in, csize, 0 };
            ZSTD_outBuffer out = { s->ccache_data, s->cluster_size, 0 };
            while (out.pos < out.size) {
                size_t in_before = in.pos, out_before = out.pos;
                size_t zr = ZSTD_decompressStream(dctx, &out, &in);
                if (ZSTD_isError(zr) || (in.pos == in_before && out.pos == out_before)) {
                    break;   /* corrupt, or input exhausted before a whole cluster */
                }
            }
            ok = out.pos == out.size;
            ZSTD_freeDCtx(dctx);
        }
    }
    if (!ok) {
        return block_error(err, -EIO, "Could not decompress the cluster at %#" PRIx64
                           " in '%s' (%s)", coff, host_file_path(s->file),
                           s->compression_type ? "zstd" : "zlib");
    }
    s->ccache_entry = l2_entry;
    return 0;
}

/* Compress one cluster; returns the size, or 0 if it doesn't shrink. */
static size_t compress_cluster(BDRVQcow2State *s, const void *in, void *out)
{
    size_t max_out = s->cluster_size - 1;
    if (s->compression_type == QCOW2_COMPRESSION_ZLIB) {
        z_stream strm = { 0 };
        if (deflateInit2(&strm, Z_DEFAULT_COMPRESSION, Z_DEFLATED, -12, 9,
                         Z_DEFAULT_STRATEGY) != Z_OK) {
            return 0;
        }
        strm.next_in = (Bytef *)in;
        strm.avail_in = s->cluster_size;
        strm.next_out = out;
        strm.avail_out = max_out;
        int zr = deflate(&strm, Z_FINISH);
        size_t n = max_out - strm.avail_out;
        deflateEnd(&strm);
        return zr == Z_STREAM_END ? n : 0;
    }
    size_t n = ZSTD_compress(out, max_out, in, s->cluster_size, ZSTD_CLEVEL_DEFAULT);
    return ZSTD_isError(n) ? 0 : n;
}

/* ---- reading ---- */

/*
 * Read [in_off, in_off+len) of the guest cluster at guest_cluster whose L2
 * entry is `entry`, into buf (COW source and the read path share this).
 */
static int read_cluster_part(BDRVQcow2State *s, uint64_t entry, uint64_t guest_cluster,
                             uint64_t in_off, uint64_t len, const BlockIOV *qiov,
                             size_t qiov_offset, GError **err)
{
    BlockDriverState *bs = s->bs;
    switch (qcow2_get_cluster_type(s, entry)) {
    case QCOW2_CLUSTER_UNALLOCATED:
        if (bs->backing) {
            return bdrv_backing_preadv(bs->backing, guest_cluster + in_off, len, qiov,
                                       qiov_offset, err);
        }
        biov_memset(qiov, qiov_offset, 0, len);
        return 0;
    case QCOW2_CLUSTER_ZERO_PLAIN:
    case QCOW2_CLUSTER_ZERO_ALLOC:
        biov_memset(qiov, qiov_offset, 0, len);
        return 0;
    case QCOW2_CLUSTER_NORMAL: {
        int ret = check_normal_entry(s, entry, guest_cluster, err);
        if (ret < 0) {
            return ret;
        }
        return host_file_preadv(s->file, (entry & L2E_OFFSET_MASK) + in_off, qiov,
                                qiov_offset, len, err);
    }
    case QCOW2_CLUSTER_COMPRESSED: {
        int ret = qcow2_decompress_cluster(s, entry, err);
        if (ret < 0) {
            return ret;
        }
        biov_from_buf(qiov, qiov_offset, s->ccache_data + in_off, len);
        return 0;
    }
    }
    return block_error(err, -EIO, "qcow2: bad cluster type");
}

int qcow2_read_guest(BDRVQcow2State *s, uint64_t offset, uint64_t bytes, const BlockIOV *qiov,
                     size_t qiov_offset, GError **err)
{
    BlockDriverState *bs = s->bs;
    uint64_t cs = s->cluster_size;

    while (bytes > 0) {
        uint64_t l1_index = offset_to_l1_index(s, offset);
        uint64_t l2_index = offset_to_l2_index(s, offset);
        uint64_t in_cluster = qcow2_offset_into_cluster(s, offset);
        uint64_t chunk_max = MIN(bytes, (s->l2_size - l2_index) * cs - in_cluster);
        uint64_t entry = 0, n;
        void *l2;

        int ret = get_l2_for_read(s, l1_index, &l2, err);
        if (ret < 0) {
            return ret;
        }
        if (!l2) {
            n = chunk_max;
        } else {
            entry = be64_at(l2, l2_index);
            Qcow2ClusterType type = qcow2_get_cluster_type(s, entry);
            n = cs - in_cluster;
            for (uint64_t j = l2_index + 1; n < chunk_max && type != QCOW2_CLUSTER_COMPRESSED;
                 j++) {
                uint64_t e = be64_at(l2, j);
                if (qcow2_get_cluster_type(s, e) != type) {
                    break;
                }
                if (type == QCOW2_CLUSTER_NORMAL &&
                    (e & L2E_OFFSET_MASK) != (entry & L2E_OFFSET_MASK) + (j - l2_index) * cs) {
                    break;
                }
                n += cs;
            }
            n = MIN(n, chunk_max);
            qcow2_cache_put(s->l2_cache, &l2);
        }

        Qcow2ClusterType type = qcow2_get_cluster_type(s, entry);
        if (type == QCOW2_CLUSTER_UNALLOCATED && bs->backing) {
            ret = bdrv_backing_preadv(bs->backing, offset, n, qiov, qiov_offset, err);
        } else {
            ret = read_cluster_part(s, entry, offset - in_cluster, in_cluster, n, qiov,
                                    qiov_offset, err);
        }
        if (ret < 0) {
            return ret;
        }
        offset += n;
        bytes -= n;
        qiov_offset += n;
    }
    return 0;
}

/* ---- writing ---- */

static int check_data_write(BDRVQcow2State *s, uint64_t host, uint64_t len, GError **err)
{
    if (qcow2_metadata_overlaps(s, host, len)) {
        return qcow2_signal_corruption(s, err, "Preventing invalid write on metadata (data "
                                       "write to %#" PRIx64 "+%#" PRIx64 " overlaps metadata)",
                                       host, len);
    }
    return 0;
}

static int write_data(BDRVQcow2State *s, uint64_t host, const struct iovec *iov, int niov,
                      size_t len, GError **err)
{
    BlockIOV q;
    biov_init(&q, iov, niov);
    g_assert(q.size == len);
    s->unsynced_data = true;
    s->unsynced_any = true;
    return host_file_pwritev(s->file, host, &q, 0, len, err);
}

int qcow2_write_guest(BDRVQcow2State *s, uint64_t offset, uint64_t bytes, const BlockIOV *qiov,
                      size_t qiov_offset, GError **err)
{
    uint64_t cs = s->cluster_size;
    uint64_t max_run = MAX(1, MAX_ALLOC_BYTES / cs);
    uint8_t *head_buf = NULL, *tail_buf = NULL;
    GArray *iovs = g_array_new(FALSE, FALSE, sizeof(struct iovec));
    int ret = 0;

    while (bytes > 0) {
        uint64_t l1_index = offset_to_l1_index(s, offset);
        uint64_t l2_index = offset_to_l2_index(s, offset);
        uint64_t in_cluster = qcow2_offset_into_cluster(s, offset);
        uint64_t chunk_max = MIN(bytes, (s->l2_size - l2_index) * cs - in_cluster);
        void *l2;

        ret = get_l2_for_write(s, l1_index, &l2, err);
        if (ret < 0) {
            break;
        }
        uint64_t e0 = be64_at(l2, l2_index);
        uint64_t n = cs - in_cluster;

        if (qcow2_get_cluster_type(s, e0) == QCOW2_CLUSTER_NORMAL && (e0 & QCOW_OFLAG_COPIED)) {
            /* Overwrite in place: extend over host-contiguous clusters we own. */
            uint64_t host0 = e0 & L2E_OFFSET_MASK;
            for (uint64_t j = l2_index + 1; n < chunk_max; j++) {
                uint64_t e = be64_at(l2, j);
                if (qcow2_get_cluster_type(s, e) != QCOW2_CLUSTER_NORMAL ||
                    !(e & QCOW_OFLAG_COPIED) ||
                    (e & L2E_OFFSET_MASK) != host0 + (j - l2_index) * cs) {
                    break;
                }
                n += cs;
            }
            n = MIN(n, chunk_max);
            qcow2_cache_put(s->l2_cache, &l2);
            ret = check_normal_entry(s, e0, offset, err);
            if (ret == 0) {
                ret = check_data_write(s, host0 + in_cluster, n, err);
            }
            if (ret == 0) {
                s->unsynced_data = true;
                s->unsynced_any = true;
                ret = host_file_pwritev(s->file, host0 + in_cluster, qiov, qiov_offset, n, err);
            }
            if (ret < 0) {
                break;
            }
        } else {
            /* Allocate fresh clusters for the run that needs it, with COW of the edges. */
            uint64_t nclusters = 1;
            while (n < chunk_max && nclusters < max_run) {
                uint64_t e = be64_at(l2, l2_index + nclusters);
                if (qcow2_get_cluster_type(s, e) == QCOW2_CLUSTER_NORMAL &&
                    (e & QCOW_OFLAG_COPIED)) {
                    break;
                }
                n += cs;
                nclusters++;
            }
            n = MIN(n, chunk_max);
            uint64_t end_in_last = (in_cluster + n) & (cs - 1);
            uint64_t tail_len = end_in_last ? cs - end_in_last : 0;
            uint64_t guest_first = offset - in_cluster;
            uint64_t guest_last = guest_first + (nclusters - 1) * cs;
            uint64_t e_last = be64_at(l2, l2_index + nclusters - 1);

            if ((in_cluster || tail_len) && s->bs->backing_file && !s->bs->backing) {
                /* Copy-on-write would fill from zeros instead of the backing data. */
                qcow2_cache_put(s->l2_cache, &l2);
                ret = block_error(err, -EINVAL, "'%s': a partial-cluster write needs the "
                                  "backing file, which was not opened", s->bs->filename);
                break;
            }
            int64_t host = qcow2_alloc_clusters(s, nclusters, err);
            if (host < 0) {
                qcow2_cache_put(s->l2_cache, &l2);
                ret = host;
                break;
            }
            ret = check_data_write(s, host, nclusters * cs, err);

            g_array_set_size(iovs, 0);
            if (ret == 0 && in_cluster) {
                if (!head_buf) {
                    head_buf = g_malloc(cs);
                }
                struct iovec one;
                BlockIOV q;
                biov_init_buf(&q, &one, head_buf, in_cluster);
                ret = read_cluster_part(s, e0, guest_first, 0, in_cluster, &q, 0, err);
                struct iovec v = { head_buf, in_cluster };
                g_array_append_val(iovs, v);
            }
            if (ret == 0) {
                struct iovec stack[64];
                int cnt = biov_slice(qiov, qiov_offset, n, stack, 64);
                if (cnt >= 0) {
                    g_array_append_vals(iovs, stack, cnt);
                } else {
                    /* Many pieces: add them one at a time. */
                    size_t done = 0;
                    while (done < n) {
                        struct iovec piece;
                        size_t step = MIN(n - done, (size_t)4096);
                        while (biov_slice(qiov, qiov_offset + done, step, &piece, 1) < 0) {
                            step /= 2;
                        }
                        g_array_append_val(iovs, piece);
                        done += step;
                    }
                }
            }
            if (ret == 0 && tail_len) {
                if (!tail_buf) {
                    tail_buf = g_malloc(cs);
                }
                struct iovec one;
                BlockIOV q;
                biov_init_buf(&q, &one, tail_buf, tail_len);
                ret = read_cluster_part(s, e_last, guest_last, end_in_last, tail_len, &q, 0,
                                        err);
                struct iovec v = { tail_buf, tail_len };
                g_array_append_val(iovs, v);
            }
            if (ret == 0) {
                ret = write_data(s, host, (struct iovec *)iovs->data, iovs->len,
                                 nclusters * cs, err);
            }
            if (ret < 0) {
                qcow2_cache_put(s->l2_cache, &l2);
                /* The clusters were never referenced: give them back. */
                qcow2_update_refcount(s, host, nclusters * cs, -1, NULL);
                break;
            }
            /* Link the data in; the old clusters are freed after the next flush. */
            for (uint64_t k = 0; k < nclusters; k++) {
                uint64_t old = be64_at(l2, l2_index + k);
                set_be64_at(l2, l2_index + k, ((uint64_t)host + k * cs) | QCOW_OFLAG_COPIED);
                qcow2_free_l2_entry_deferred(s, old);
            }
            qcow2_cache_mark_dirty(s->l2_cache, l2);
            qcow2_cache_put(s->l2_cache, &l2);
        }
        offset += n;
        bytes -= n;
        qiov_offset += n;
    }
    g_free(head_buf);
    g_free(tail_buf);
    g_array_free(iovs, TRUE);
    return ret;
}

int qcow2_write_compressed(BDRVQcow2State *s, uint64_t offset, const void *buf, uint64_t bytes,
                           GError **err)
{
    uint64_t cs = s->cluster_size;
    if (qcow2_offset_into_cluster(s, offset) || bytes > cs ||
        (bytes < cs && offset + bytes != s->size)) {
        return block_error(err, -EINVAL, "Compressed writes must cover exactly one cluster");
    }
    uint8_t *in = g_malloc0(cs);
    uint8_t *out = g_malloc(cs);
    memcpy(in, buf, bytes);
    size_t csize = compress_cluster(s, in, out);
    int ret;
    if (csize == 0) {
        /* Incompressible: store it as a normal cluster. */
        struct iovec one;
        BlockIOV q;
        biov_init_buf(&q, &one, in, bytes);
        ret = qcow2_write_guest(s, offset, bytes, &q, 0, err);
        g_free(in);
        g_free(out);
        return ret;
    }

    uint64_t l1_index = offset_to_l1_index(s, offset);
    uint64_t l2_index = offset_to_l2_index(s, offset);
    void *l2;
    ret = get_l2_for_write(s, l1_index, &l2, err);
    if (ret < 0) {
        goto out;
    }
    int64_t coff = qcow2_alloc_bytes(s, csize, err);
    if (coff < 0) {
        ret = coff;
        qcow2_cache_put(s->l2_cache, &l2);
        goto out;
    }
    uint64_t nb_csectors = (((uint64_t)coff + csize - 1) >> 9) - ((uint64_t)coff >> 9);
    if (((uint64_t)coff & ~s->cluster_offset_mask) || nb_csectors > s->csize_mask) {
        qcow2_cache_put(s->l2_cache, &l2);
        ret = block_error(err, -EFBIG, "Compressed cluster offset %#" PRIx64 " too large",
                          (uint64_t)coff);
        goto out;
    }
    ret = check_data_write(s, coff, csize, err);
    if (ret == 0) {
        struct iovec v = { out, csize };
        ret = write_data(s, coff, &v, 1, csize, err);
    }
    if (ret < 0) {
        qcow2_cache_put(s->l2_cache, &l2);
        goto out;
    }
    uint64_t old = be64_at(l2, l2_index);
    set_be64_at(l2, l2_index, (uint64_t)coff | QCOW_OFLAG_COMPRESSED |
                (nb_csectors << s->csize_shift));
    qcow2_free_l2_entry_deferred(s, old);
    qcow2_cache_mark_dirty(s->l2_cache, l2);
    qcow2_cache_put(s->l2_cache, &l2);
out:
    g_free(in);
    g_free(out);
    return ret;
}

/* ---- zeroing and discard ---- */

/* True if the guest cluster at offset already reads as zeros. */
static int cluster_reads_zero(BDRVQcow2State *s, uint64_t offset, bool *zero, GError **err)
{
    uint64_t entry, count;
    int ret = qcow2_get_l2_entry(s, offset, &entry, &count, err);
    if (ret < 0) {
        return ret;
    }
    Qcow2ClusterType t = qcow2_get_cluster_type(s, entry);
    *zero = t == QCOW2_CLUSTER_ZERO_PLAIN || t == QCOW2_CLUSTER_ZERO_ALLOC ||
            (t == QCOW2_CLUSTER_UNALLOCATED && !s->bs->backing_file);
    return 0;
}

static int write_zero_bytes(BDRVQcow2State *s, uint64_t offset, uint64_t len, GError **err)
{
    uint8_t *zeros = g_malloc0(MIN(len, (uint64_t)MAX_ALLOC_BYTES));
    int ret = 0;
    while (len > 0 && ret == 0) {
        uint64_t n = MIN(len, (uint64_t)MAX_ALLOC_BYTES);
        struct iovec one;
        BlockIOV q;
        biov_init_buf(&q, &one, zeros, n);
        ret = qcow2_write_guest(s, offset, n, &q, 0, err);
        offset += n;
        len -= n;
    }
    g_free(zeros);
    return ret;
}

int qcow2_zero_or_discard(BDRVQcow2State *s, uint64_t offset, uint64_t bytes, bool discard,
                          bool may_unmap, GError **err)
{
    uint64_t cs = s->cluster_size;
    uint64_t end = offset + bytes;
    uint64_t full_start = (offset + cs - 1) & ~(cs - 1);
    uint64_t full_end = end == s->size ? ((end + cs - 1) & ~(cs - 1)) : end & ~(cs - 1);
    bool has_backing = s->bs->backing_file != NULL;
    int ret;

    if (full_start >= full_end) {
        /* No whole cluster: only partial ones. */
        full_start = full_end = offset;
    }
    if (!discard) {
        /* Partial clusters at the edges: write zeros unless they already read as zero. */
        uint64_t edges[2][2] = { { offset, MIN(full_start, end) }, { MAX(full_end, offset), end } };
        if (full_start == full_end) {
            edges[0][1] = end;
            edges[1][0] = edges[1][1] = end;
        }
        for (int i = 0; i < 2; i++) {
            uint64_t a = edges[i][0], b = edges[i][1];
            while (a < b) {
                uint64_t n = MIN(b - a, cs - qcow2_offset_into_cluster(s, a));
                bool zero;
                ret = cluster_reads_zero(s, a, &zero, err);
                if (ret < 0) {
                    return ret;
                }
                if (!zero) {
                    ret = write_zero_bytes(s, a, n, err);
                    if (ret < 0) {
                        return ret;
                    }
                }
                a += n;
            }
        }
    }

    uint64_t pos = full_start;
    while (pos < full_end) {
        uint64_t l1_index = offset_to_l1_index(s, pos);
        uint64_t l2_index = offset_to_l2_index(s, pos);
        uint64_t n_clusters = MIN(s->l2_size - l2_index, (full_end - pos) >> s->cluster_bits);
        void *l2;

        bool want_zero_flag = !discard && has_backing && s->version >= 3;
        if (!discard && has_backing && s->version < 3) {
            /* v2 has no zero flag: the zeros must be written. */
            ret = write_zero_bytes(s, pos, MIN(n_clusters * cs, s->size - pos), err);
            if (ret < 0) {
                return ret;
            }
            pos += n_clusters * cs;
            continue;
        }
        if (!want_zero_flag) {
            /* Nothing to do where no L2 table exists. */
            ret = get_l2_for_read(s, l1_index, &l2, err);
            if (ret < 0) {
                return ret;
            }
            if (!l2) {
                pos += n_clusters * cs;
                continue;
            }
            bool any = false;
            for (uint64_t k = 0; k < n_clusters && !any; k++) {
                Qcow2ClusterType t = qcow2_get_cluster_type(s, be64_at(l2, l2_index + k));
                any = t != QCOW2_CLUSTER_UNALLOCATED &&
                      !(t == QCOW2_CLUSTER_ZERO_PLAIN && !discard);
            }
            qcow2_cache_put(s->l2_cache, &l2);
            if (!any) {
                pos += n_clusters * cs;
                continue;
            }
        }
        ret = get_l2_for_write(s, l1_index, &l2, err);
        if (ret < 0) {
            return ret;
        }
        bool dirty = false;
        for (uint64_t k = 0; k < n_clusters; k++) {
            uint64_t old = be64_at(l2, l2_index + k);
            Qcow2ClusterType t = qcow2_get_cluster_type(s, old);
            uint64_t new;
            if (discard) {
                if (t == QCOW2_CLUSTER_UNALLOCATED) {
                    continue;
                }
                if (has_backing && s->version < 3) {
                    continue;   /* unmapping would expose the backing file */
                }
                new = (has_backing || t == QCOW2_CLUSTER_ZERO_PLAIN ||
                       t == QCOW2_CLUSTER_ZERO_ALLOC) && s->version >= 3 ? QCOW_OFLAG_ZERO : 0;
            } else {
                new = want_zero_flag ? QCOW_OFLAG_ZERO : 0;
                (void)may_unmap;   /* zeroed clusters are always deallocated */
            }
            if (new == old) {
                continue;
            }
            set_be64_at(l2, l2_index + k, new);
            qcow2_free_l2_entry_deferred(s, old);
            dirty = true;
        }
        if (dirty) {
            qcow2_cache_mark_dirty(s->l2_cache, l2);
        }
        qcow2_cache_put(s->l2_cache, &l2);
        pos += n_clusters * cs;
    }
    return 0;
}

int qcow2_free_guest_range(BDRVQcow2State *s, uint64_t start, uint64_t end, bool free_l2,
                           GError **err)
{
    uint64_t cs = s->cluster_size;
    uint64_t l2_span = cs << s->l2_bits;
    uint64_t pos = start;
    int ret;

    while (pos < end) {
        uint64_t l1_index = offset_to_l1_index(s, pos);
        uint64_t l2_index = offset_to_l2_index(s, pos);
        uint64_t n_clusters = MIN(s->l2_size - l2_index, (end - pos + cs - 1) >> s->cluster_bits);
        if (l1_index >= s->l1_size) {
            break;
        }
        uint64_t l1e = s->l1_table[l1_index];
        uint64_t l2_off = l1e & L1E_OFFSET_MASK;
        if (!l2_off) {
            pos += n_clusters * cs;
            continue;
        }
        void *l2;
        if (free_l2 && l2_index == 0 && n_clusters == s->l2_size) {
            /* The whole table goes: drop the L1 reference, then everything under it. */
            ret = qcow2_load_l2(s, l2_off, &l2, err);
            if (ret < 0) {
                return ret;
            }
            for (uint64_t k = 0; k < s->l2_size; k++) {
                qcow2_free_l2_entry_deferred(s, be64_at(l2, k));
            }
            qcow2_cache_put(s->l2_cache, &l2);
            s->l1_table[l1_index] = 0;
            ret = qcow2_write_l1_entry(s, l1_index, err);
            if (ret < 0) {
                return ret;
            }
            qcow2_free_deferred(s, l2_off, cs);
            pos += l2_span;
            continue;
        }
        ret = get_l2_for_write(s, l1_index, &l2, err);
        if (ret < 0) {
            return ret;
        }
        for (uint64_t k = 0; k < n_clusters; k++) {
            uint64_t old = be64_at(l2, l2_index + k);
            if (old) {
                set_be64_at(l2, l2_index + k, 0);
                qcow2_free_l2_entry_deferred(s, old);
            }
        }
        qcow2_cache_mark_dirty(s->l2_cache, l2);
        qcow2_cache_put(s->l2_cache, &l2);
        pos += n_clusters * cs;
    }
    return 0;
}

/* ---- block status ---- */

int qcow2_cluster_status(BDRVQcow2State *s, uint64_t offset, uint64_t bytes, uint64_t *pnum,
                         uint64_t *host, GError **err)
{
    uint64_t cs = s->cluster_size;
    uint64_t l1_index = offset_to_l1_index(s, offset);
    uint64_t l2_index = offset_to_l2_index(s, offset);
    uint64_t in_cluster = qcow2_offset_into_cluster(s, offset);
    uint64_t chunk_max = MIN(bytes, (s->l2_size - l2_index) * cs - in_cluster);
    bool has_backing = s->bs->backing_file != NULL;
    void *l2;

    *host = 0;
    int ret = get_l2_for_read(s, l1_index, &l2, err);
    if (ret < 0) {
        return ret;
    }
    if (!l2) {
        *pnum = chunk_max;
        return has_backing ? 0 : BLK_STATUS_ZERO;
    }
    uint64_t entry = be64_at(l2, l2_index);
    Qcow2ClusterType type = qcow2_get_cluster_type(s, entry);
    uint64_t n = cs - in_cluster;
    for (uint64_t j = l2_index + 1; n < chunk_max; j++) {
        uint64_t e = be64_at(l2, j);
        Qcow2ClusterType t = qcow2_get_cluster_type(s, e);
        bool same = t == type;
        if (type == QCOW2_CLUSTER_ZERO_PLAIN || type == QCOW2_CLUSTER_ZERO_ALLOC) {
            same = t == QCOW2_CLUSTER_ZERO_PLAIN || t == QCOW2_CLUSTER_ZERO_ALLOC;
        }
        if (!same) {
            break;
        }
        if (type == QCOW2_CLUSTER_NORMAL &&
            (e & L2E_OFFSET_MASK) != (entry & L2E_OFFSET_MASK) + (j - l2_index) * cs) {
            break;
        }
        n += cs;
    }
    qcow2_cache_put(s->l2_cache, &l2);
    *pnum = MIN(n, chunk_max);

    switch (type) {
    case QCOW2_CLUSTER_UNALLOCATED:
        return has_backing ? 0 : BLK_STATUS_ZERO;
    case QCOW2_CLUSTER_ZERO_PLAIN:
    case QCOW2_CLUSTER_ZERO_ALLOC:
        return BLK_STATUS_ALLOCATED | BLK_STATUS_ZERO;
    case QCOW2_CLUSTER_COMPRESSED:
        return BLK_STATUS_ALLOCATED | BLK_STATUS_DATA | BLK_STATUS_COMPRESSED;
    case QCOW2_CLUSTER_NORMAL:
        ret = check_normal_entry(s, entry, offset, err);
        if (ret < 0) {
            return ret;
        }
        *host = (entry & L2E_OFFSET_MASK) + in_cluster;
        return BLK_STATUS_ALLOCATED | BLK_STATUS_DATA | BLK_STATUS_OFFSET_VALID;
    }
    return 0;
}
