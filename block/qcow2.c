/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * qcow2 versions 2 and 3: header parsing and validation, creation, the
 * header writer, flush ordering, and the driver entry points.  The format
 * is QEMU's docs/interop/qcow2.txt.
 */
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "block/qcow2.h"

/* Feature names for the feature name table ("Feature name table"). */
typedef struct Qcow2Feature {
    uint8_t type;     /* 0 incompatible, 1 compatible, 2 autoclear */
    uint8_t bit;
    const char *name;
} Qcow2Feature;

static const Qcow2Feature qcow2_features[] = {
    { 0, 0, "dirty bit" },
    { 0, 1, "corrupt bit" },
    { 0, 2, "external data file" },
    { 0, 3, "compression type" },
    { 0, 4, "extended L2 entries" },
    { 1, 0, "lazy refcounts" },
    { 2, 0, "bitmaps" },
    { 2, 1, "raw external data" },
};

static inline uint32_t be32_of(const uint8_t *p)
{
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

static inline uint64_t be64_of(const uint8_t *p)
{
    return ((uint64_t)be32_of(p) << 32) | be32_of(p + 4);
}

static inline void put_be32(uint8_t *p, uint32_t v)
{
    p[0] = v >> 24;
    p[1] = v >> 16;
    p[2] = v >> 8;
    p[3] = v;
}

static inline void put_be64(uint8_t *p, uint64_t v)
{
    put_be32(p, v >> 32);
    put_be32(p + 4, v);
}

/* ---- low-level metadata IO and ordering ---- */

int qcow2_sync(BDRVQcow2State *s, GError **err)
{
    int ret = host_file_flush(s->file, err);
    if (ret == 0) {
        s->unsynced_data = false;
        s->unsynced_any = false;
    }
    return ret;
}

int qcow2_barrier(BDRVQcow2State *s, GError **err)
{
    return s->unsynced_any ? qcow2_sync(s, err) : 0;
}

int qcow2_meta_pwrite(BDRVQcow2State *s, uint64_t offset, const void *buf, size_t len,
                      GError **err)
{
    s->unsynced_data = true;
    s->unsynced_any = true;
    return host_file_pwrite(s->file, offset, buf, len, err);
}

int qcow2_write_header_field(BDRVQcow2State *s, size_t offset, const void *data, size_t len,
                             GError **err)
{
    if (s->header_raw && offset + len <= s->header_length) {
        memcpy(s->header_raw + offset, data, len);
    }
    return qcow2_meta_pwrite(s, offset, data, len, err);
}

int qcow2_write_l1_entry(BDRVQcow2State *s, uint32_t index, GError **err)
{
    uint64_t be = GUINT64_TO_BE(s->l1_table[index]);
    s->unsynced_any = true;
    return host_file_pwrite(s->file, s->l1_table_offset + (uint64_t)index * 8, &be, 8, err);
}

bool qcow2_offset_valid(BDRVQcow2State *s, uint64_t offset)
{
    /* The file only grows while open: refresh the known length only when needed. */
    if (offset > L2E_OFFSET_MASK) {
        return false;
    }
    if ((int64_t)offset < s->file_len_hint) {
        return true;
    }
    s->file_len_hint = host_file_length(s->file);
    return (int64_t)offset < s->file_len_hint;
}

/* Cache callbacks. */
static int cache_read(void *opaque, uint64_t offset, void *buf, size_t len, GError **err)
{
    BDRVQcow2State *s = opaque;
    return host_file_pread(s->file, offset, buf, len, err);
}

static int refcount_cache_write(void *opaque, uint64_t offset, const void *buf, size_t len,
                                GError **err)
{
    return qcow2_meta_pwrite(opaque, offset, buf, len, err);
}

static int l2_cache_write(void *opaque, uint64_t offset, const void *buf, size_t len,
                          GError **err)
{
    BDRVQcow2State *s = opaque;
    if (qcow2_offset_into_cluster(s, offset) || offset == 0) {
        return qcow2_signal_corruption(s, err, "Refusing to write an L2 table at %#" PRIx64,
                                       offset);
    }
    s->unsynced_any = true;
    return host_file_pwrite(s->file, offset, buf, len, err);
}

/*
 * Before an L2 table reaches the disk: the refcounts of what it references,
 * and the data it maps, must be there already.
 */
static int l2_cache_before_write(void *opaque, GError **err)
{
    BDRVQcow2State *s = opaque;
    int ret = qcow2_cache_write(s->refcount_cache, err);
    if (ret < 0) {
        return ret;
    }
    return s->unsynced_data ? qcow2_sync(s, err) : 0;
}

static const Qcow2CacheOps l2_cache_ops = {
    .read = cache_read,
    .write = l2_cache_write,
    .before_write = l2_cache_before_write,
};

static const Qcow2CacheOps refcount_cache_ops = {
    .read = cache_read,
    .write = refcount_cache_write,
};

int qcow2_flush_metadata(BDRVQcow2State *s, GError **err)
{
    if (s->bs->read_only) {
        return 0;
    }
    int ret = qcow2_cache_write(s->refcount_cache, err);
    if (ret == 0) {
        ret = qcow2_cache_write(s->l2_cache, err);
    }
    if (ret == 0 && s->pending_frees->len) {
        /* References are gone on disk; only now may the refcounts drop. */
        ret = qcow2_barrier(s, err);
        if (ret == 0) {
            ret = qcow2_apply_pending_frees(s, err);
        }
        if (ret == 0) {
            ret = qcow2_cache_write(s->refcount_cache, err);
        }
        /* Freeing may have rewritten L2 tables' COPIED state: none here, but be exact. */
        if (ret == 0) {
            ret = qcow2_cache_write(s->l2_cache, err);
        }
    }
    return ret;
}

/* ---- corruption ---- */

/* Store s->incompat in the header's incompatible_features (bytes 72..79, big endian). */
static int write_incompat_features(BDRVQcow2State *s, GError **err)
{
    uint8_t be[8];

    put_be64(be, s->incompat);
    return qcow2_write_header_field(s, 72, be, 8, err);
}

int qcow2_signal_corruption(BDRVQcow2State *s, GError **err, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);

    if (!s->bs->read_only && !s->signalled_corrupt) {
        g_printerr("qcow2: Marking image '%s' as corrupt: %s; further corruption events will "
                   "be suppressed\n", s->bs->filename, msg);
        s->signalled_corrupt = true;
        if (s->version >= 3) {
            s->incompat |= QCOW2_INCOMPAT_CORRUPT;
            write_incompat_features(s, NULL);
            host_file_flush(s->file, NULL);
        }
        /* No more writes: they could spread the damage. */
        s->bs->read_only = true;
    }
    block_error(err, -EIO, "qcow2 image '%s' is corrupt: %s", s->bs->filename, msg);
    g_free(msg);
    return -EIO;
}

/* ---- the header ---- */

static void free_unknown_exts(BDRVQcow2State *s)
{
    if (!s->unknown_exts) {
        return;
    }
    for (guint i = 0; i < s->unknown_exts->len; i++) {
        Qcow2UnknownExt *e = s->unknown_exts->pdata[i];
        g_free(e->data);
        g_free(e);
    }
    g_ptr_array_free(s->unknown_exts, TRUE);
    s->unknown_exts = NULL;
}

/* Append one extension (padded to 8 bytes) to buf; false if it would pass `limit`. */
static bool put_ext(GByteArray *buf, uint32_t magic, const void *data, uint32_t len,
                    size_t limit)
{
    uint8_t hdr[8];
    put_be32(hdr, magic);
    put_be32(hdr + 4, len);
    size_t padded = (len + 7) & ~7u;
    if (buf->len + 8 + padded > limit) {
        return false;
    }
    g_byte_array_append(buf, hdr, 8);
    if (len) {
        g_byte_array_append(buf, data, len);
    }
    static const uint8_t zeros[8];
    g_byte_array_append(buf, zeros, padded - len);
    return true;
}

static uint8_t *build_feature_table(uint32_t *len)
{
    *len = G_N_ELEMENTS(qcow2_features) * 48;
    uint8_t *t = g_malloc0(*len);
    for (size_t i = 0; i < G_N_ELEMENTS(qcow2_features); i++) {
        t[i * 48] = qcow2_features[i].type;
        t[i * 48 + 1] = qcow2_features[i].bit;
        strncpy((char *)t + i * 48 + 2, qcow2_features[i].name, 46);
    }
    return t;
}

typedef struct HeaderFields {
    int version;
    int cluster_bits;
    uint64_t size;
    uint32_t l1_size;
    uint64_t l1_table_offset;
    uint64_t refcount_table_offset;
    uint32_t refcount_table_clusters;
    uint32_t nb_snapshots;
    uint64_t snapshots_offset;
    uint64_t incompat, compat, autoclear;
    int refcount_order;
    uint32_t header_length;
    uint8_t compression_type;
    const char *backing_file;
    const char *backing_format;
    const uint8_t *raw;            /* previous header bytes to preserve, or NULL */
    GPtrArray *unknown_exts;
} HeaderFields;

/* Serialise header + extensions + backing name (fits in one cluster). */
static GByteArray *build_header(const HeaderFields *h, GError **err)
{
    size_t cs = (size_t)1 << h->cluster_bits;
    uint32_t hlen = h->version >= 3 ? h->header_length : QCOW2_V2_HEADER_LEN;
    uint8_t *hdr = g_malloc0(hlen);
    if (h->raw) {
        memcpy(hdr, h->raw, hlen);
    }
    put_be32(hdr + 0, QCOW_MAGIC);
    put_be32(hdr + 4, h->version);
    put_be32(hdr + 20, h->cluster_bits);
    put_be64(hdr + 24, h->size);
    put_be32(hdr + 32, 0);
    put_be32(hdr + 36, h->l1_size);
    put_be64(hdr + 40, h->l1_table_offset);
    put_be64(hdr + 48, h->refcount_table_offset);
    put_be32(hdr + 56, h->refcount_table_clusters);
    put_be32(hdr + 60, h->nb_snapshots);
    put_be64(hdr + 64, h->snapshots_offset);
    if (h->version >= 3) {
        put_be64(hdr + 72, h->incompat);
        put_be64(hdr + 80, h->compat);
        put_be64(hdr + 88, h->autoclear);
        put_be32(hdr + 96, h->refcount_order);
        put_be32(hdr + 100, hlen);
        if (hlen > 104) {
            hdr[104] = h->compression_type;
        }
    }
    GByteArray *buf = g_byte_array_new();
    g_byte_array_append(buf, hdr, hlen);
    g_free(hdr);

    bool ok = true;
    if (h->backing_file && h->backing_format) {
        ok = put_ext(buf, QCOW2_EXT_BACKING_FORMAT, h->backing_format,
                     strlen(h->backing_format), cs);
    }
    if (ok && h->version >= 3) {
        uint32_t flen;
        uint8_t *ft = build_feature_table(&flen);
        ok = put_ext(buf, QCOW2_EXT_FEATURE_TABLE, ft, flen, cs);
        g_free(ft);
    }
    for (guint i = 0; ok && h->unknown_exts && i < h->unknown_exts->len; i++) {
        Qcow2UnknownExt *e = h->unknown_exts->pdata[i];
        ok = put_ext(buf, e->magic, e->data, e->len, cs);
    }
    if (ok) {
        ok = put_ext(buf, QCOW2_EXT_END, NULL, 0, cs);
    }
    if (ok && h->backing_file) {
        size_t blen = strlen(h->backing_file);
        if (buf->len + blen > cs) {
            ok = false;
        } else {
            put_be64(buf->data + 8, buf->len);
            put_be32(buf->data + 16, blen);
            g_byte_array_append(buf, (const uint8_t *)h->backing_file, blen);
        }
    } else if (ok) {
        put_be64(buf->data + 8, 0);
        put_be32(buf->data + 16, 0);
    }
    if (!ok) {
        g_byte_array_free(buf, TRUE);
        block_error(err, -ENOSPC, "qcow2 header, extensions and backing file name don't fit "
                    "in the first cluster (%zu bytes)", cs);
        return NULL;
    }
    return buf;
}

static void fill_header_fields(BDRVQcow2State *s, HeaderFields *h)
{
    memset(h, 0, sizeof(*h));
    h->version = s->version;
    h->cluster_bits = s->cluster_bits;
    h->size = s->size;
    h->l1_size = s->l1_size;
    h->l1_table_offset = s->l1_table_offset;
    h->refcount_table_offset = s->refcount_table_offset;
    h->refcount_table_clusters = s->refcount_table_clusters;
    h->nb_snapshots = s->nb_snapshots;
    h->snapshots_offset = s->snapshots_offset;
    h->incompat = s->incompat;
    h->compat = s->compat;
    h->autoclear = s->autoclear;
    h->refcount_order = s->refcount_order;
    h->header_length = s->header_length;
    h->compression_type = s->compression_type;
    h->backing_file = s->bs->backing_file;
    h->backing_format = s->bs->backing_format;
    h->raw = s->header_raw;
    h->unknown_exts = s->unknown_exts;
}

int qcow2_update_header(BDRVQcow2State *s, GError **err)
{
    HeaderFields h;
    fill_header_fields(s, &h);
    GByteArray *buf = build_header(&h, err);
    if (!buf) {
        return -ENOSPC;
    }
    int ret = qcow2_barrier(s, err);
    if (ret == 0) {
        ret = qcow2_meta_pwrite(s, 0, buf->data, buf->len, err);
    }
    if (ret == 0) {
        ret = qcow2_sync(s, err);
    }
    g_byte_array_free(buf, TRUE);
    return ret;
}

/* ---- open ---- */

static int qcow2_probe(const uint8_t *buf, size_t len)
{
    if (len >= 8 && be32_of(buf) == QCOW_MAGIC && be32_of(buf + 4) >= 2) {
        return 100;
    }
    return 0;
}

/* "Unsupported qcow2 feature(s): name, name" using the image's own table. */
static int report_unsupported(BDRVQcow2State *s, uint64_t mask, GError **err)
{
    GString *names = g_string_new(NULL);
    for (int bit = 0; bit < 64; bit++) {
        if (!(mask & (1ull << bit))) {
            continue;
        }
        const char *name = NULL;
        char buf[47];
        for (uint32_t off = 0; off + 48 <= s->feature_table_len; off += 48) {
            const uint8_t *e = s->feature_table + off;
            if (e[0] == 0 && e[1] == bit) {
                memcpy(buf, e + 2, 46);
                buf[46] = '\0';
                name = buf;
                break;
            }
        }
        for (size_t i = 0; !name && i < G_N_ELEMENTS(qcow2_features); i++) {
            if (qcow2_features[i].type == 0 && qcow2_features[i].bit == bit) {
                name = qcow2_features[i].name;
            }
        }
        if (names->len) {
            g_string_append(names, ", ");
        }
        if (name) {
            g_string_append(names, name);
        } else {
            g_string_append_printf(names, "Unknown incompatible feature: %" PRIx64, (uint64_t)1 << bit);
        }
    }
    block_error(err, -ENOTSUP, "'%s' uses unsupported qcow2 feature(s): %s",
                s->bs->filename, names->str);
    g_string_free(names, TRUE);
    return -ENOTSUP;
}

static int read_extensions(BDRVQcow2State *s, const uint8_t *cluster0, uint64_t start,
                           uint64_t end, GError **err)
{
    BlockDriverState *bs = s->bs;
    uint64_t off = start;
    bool seen_backing_fmt = false, seen_ft = false;

    while (off + 8 <= end) {
        uint32_t magic = be32_of(cluster0 + off);
        uint32_t len = be32_of(cluster0 + off + 4);
        off += 8;
        if (magic == QCOW2_EXT_END) {
            return 0;
        }
        if (len > end - off) {
            return block_error(err, -EINVAL, "'%s': qcow2 header extension %#x has length %u "
                               "beyond the header area", bs->filename, magic, len);
        }
        const uint8_t *data = cluster0 + off;
        switch (magic) {
        case QCOW2_EXT_BACKING_FORMAT:
            if (seen_backing_fmt || len == 0 || len > 16) {
                return block_error(err, -EINVAL, "'%s': invalid backing format header "
                                   "extension (length %u)", bs->filename, len);
            }
            seen_backing_fmt = true;
            g_free(bs->backing_format);
            bs->backing_format = g_strndup((const char *)data, len);
            break;
        case QCOW2_EXT_FEATURE_TABLE:
            if (!seen_ft) {
                s->feature_table = g_memdup2(data, len);
                s->feature_table_len = len;
                seen_ft = true;
            }
            break;
        case QCOW2_EXT_CRYPTO:
            return block_error(err, -ENOTSUP, "'%s': encrypted qcow2 images are not supported",
                               bs->filename);
        case QCOW2_EXT_DATA_FILE:
            return block_error(err, -ENOTSUP, "'%s': qcow2 external data files are not "
                               "supported", bs->filename);
        default: {
            /* Unknown (or bitmaps): kept and written back as found. */
            Qcow2UnknownExt *e = g_new0(Qcow2UnknownExt, 1);
            e->magic = magic;
            e->len = len;
            e->data = g_memdup2(data, len);
            g_ptr_array_add(s->unknown_exts, e);
            break;
        }
        }
        off += ((uint64_t)len + 7) & ~7ull;
    }
    /* No end marker before the limit: accept, as the data stops there. */
    return 0;
}

static void setup_compression_fields(BDRVQcow2State *s)
{
    s->csize_shift = 62 - (s->cluster_bits - 8);
    s->csize_mask = (1ull << (s->cluster_bits - 8)) - 1;
    s->cluster_offset_mask = (1ull << s->csize_shift) - 1;
}

static void qcow2_close(BlockDriverState *bs);

static int qcow2_open(BlockDriverState *bs, unsigned flags, GError **err)
{
    BDRVQcow2State *s = bs->opaque;
    uint8_t hdr[QCOW2_V3_MIN_HEADER_LEN];
    int ret;

    s->bs = bs;
    s->file = bs->file;
    s->unknown_exts = g_ptr_array_new();
    s->pending_frees = g_array_new(FALSE, FALSE, sizeof(Qcow2PendingFree));
    s->metadata = g_hash_table_new(g_direct_hash, g_direct_equal);

    int64_t file_len = host_file_length(bs->file);
    if (file_len < 0) {
        return block_error(err, (int)file_len, "Could not get the length of '%s'", bs->filename);
    }
    ret = host_file_pread(bs->file, 0, hdr, sizeof(hdr), err);
    if (ret < 0) {
        goto fail;
    }
    if (file_len < QCOW2_V2_HEADER_LEN) {
        ret = block_error(err, -EINVAL, "'%s': qcow2 header truncated (file is %" PRId64
                          " bytes)", bs->filename, file_len);
        goto fail;
    }
    if (be32_of(hdr) != QCOW_MAGIC) {
        ret = block_error(err, -EINVAL, "'%s' is not a qcow2 image (bad magic)", bs->filename);
        goto fail;
    }
    s->version = be32_of(hdr + 4);
    if (s->version < 2 || s->version > 3) {
        ret = block_error(err, -ENOTSUP, "'%s': unsupported qcow2 version %d", bs->filename,
                          s->version);
        goto fail;
    }
    uint64_t backing_offset = be64_of(hdr + 8);
    uint32_t backing_size = be32_of(hdr + 16);
    s->cluster_bits = be32_of(hdr + 20);
    if (s->cluster_bits < QCOW2_MIN_CLUSTER_BITS || s->cluster_bits > QCOW2_MAX_CLUSTER_BITS) {
        ret = block_error(err, -EINVAL, "'%s': unsupported cluster size: 2^%d", bs->filename,
                          s->cluster_bits);
        goto fail;
    }
    s->cluster_size = 1ull << s->cluster_bits;
    s->l2_bits = s->cluster_bits - 3;
    s->l2_size = 1ull << s->l2_bits;
    s->size = be64_of(hdr + 24);
    uint32_t crypt = be32_of(hdr + 32);
    s->l1_size = be32_of(hdr + 36);
    s->l1_table_offset = be64_of(hdr + 40);
    s->refcount_table_offset = be64_of(hdr + 48);
    s->refcount_table_clusters = be32_of(hdr + 56);
    s->nb_snapshots = be32_of(hdr + 60);
    s->snapshots_offset = be64_of(hdr + 64);

    if (s->version >= 3) {
        if (file_len < QCOW2_V3_MIN_HEADER_LEN) {
            ret = block_error(err, -EINVAL, "'%s': qcow2 v3 header truncated", bs->filename);
            goto fail;
        }
        s->incompat = be64_of(hdr + 72);
        s->compat = be64_of(hdr + 80);
        s->autoclear = be64_of(hdr + 88);
        s->refcount_order = be32_of(hdr + 96);
        s->header_length = be32_of(hdr + 100);
        if (s->header_length < QCOW2_V3_MIN_HEADER_LEN) {
            ret = block_error(err, -EINVAL, "'%s': qcow2 header too short (%u bytes)",
                              bs->filename, s->header_length);
            goto fail;
        }
        if (s->header_length > s->cluster_size || (s->header_length & 7)) {
            ret = block_error(err, -EINVAL, "'%s': invalid qcow2 header length %u",
                              bs->filename, s->header_length);
            goto fail;
        }
    } else {
        s->refcount_order = 4;
        s->header_length = QCOW2_V2_HEADER_LEN;
    }
    if (s->refcount_order < 0 || s->refcount_order > 6) {
        ret = block_error(err, -EINVAL, "'%s': reference count entry width too large; may "
                          "not exceed 64 bits", bs->filename);
        goto fail;
    }
    s->refcount_bits = 1 << s->refcount_order;
    s->refcount_max = s->refcount_bits == 64 ? UINT64_MAX : (1ull << s->refcount_bits) - 1;
    s->rb_bits = s->cluster_bits + 3 - s->refcount_order;
    if (crypt != 0) {
        ret = block_error(err, -ENOTSUP, "'%s': encrypted qcow2 images are not supported "
                          "(crypt_method %u)", bs->filename, crypt);
        goto fail;
    }
    if (backing_offset) {
        if (backing_offset > s->cluster_size || backing_size > QCOW2_MAX_BACKING_NAME ||
            backing_size > s->cluster_size - backing_offset) {
            ret = block_error(err, -EINVAL, "'%s': invalid backing file name offset/size "
                              "(%#" PRIx64 "/%u)", bs->filename, backing_offset, backing_size);
            goto fail;
        }
    }

    /* The first cluster holds the header, its extensions and the backing name. */
    uint64_t c0_len = MIN(s->cluster_size, (uint64_t)file_len);
    uint8_t *cluster0 = g_malloc0(s->cluster_size);
    ret = host_file_pread(bs->file, 0, cluster0, c0_len, err);
    if (ret < 0) {
        g_free(cluster0);
        goto fail;
    }
    s->header_raw = g_memdup2(cluster0, s->header_length);
    if (s->version >= 3 && s->header_length > 104) {
        s->compression_type = cluster0[104];
    }
    uint64_t ext_end = backing_offset ? backing_offset : s->cluster_size;
    if (ext_end > s->header_length) {
        ret = read_extensions(s, cluster0, s->header_length, ext_end, err);
        if (ret < 0) {
            g_free(cluster0);
            goto fail;
        }
    }
    if (backing_offset && backing_size) {
        bs->backing_file = g_strndup((const char *)cluster0 + backing_offset, backing_size);
        if (strlen(bs->backing_file) != backing_size) {
            g_free(cluster0);
            ret = block_error(err, -EINVAL, "'%s': backing file name contains a NUL byte",
                              bs->filename);
            goto fail;
        }
    }
    g_free(cluster0);
    if (!bs->backing_file) {
        g_clear_pointer(&bs->backing_format, g_free);
    }

    /* Features ("Header", incompatible_features). */
    uint64_t unsupported = s->incompat & ~QCOW2_INCOMPAT_SUPPORTED;
    if (unsupported) {
        ret = report_unsupported(s, unsupported, err);
        goto fail;
    }
    if (s->incompat & QCOW2_INCOMPAT_COMPRESSION) {
        if (s->header_length <= 104 || s->compression_type == 0) {
            ret = block_error(err, -EINVAL, "'%s': compression type bit set but no compression "
                              "type given", bs->filename);
            goto fail;
        }
    } else if (s->compression_type != 0) {
        ret = block_error(err, -EINVAL, "'%s': compression type %u set without the compression "
                          "type feature bit", bs->filename, s->compression_type);
        goto fail;
    }
    if (s->compression_type > QCOW2_COMPRESSION_ZSTD) {
        ret = block_error(err, -ENOTSUP, "'%s': unknown compression type %u", bs->filename,
                          s->compression_type);
        goto fail;
    }
    if ((s->incompat & QCOW2_INCOMPAT_CORRUPT) && !bs->read_only &&
        !(flags & BLK_OPEN_REPAIR)) {
        g_printerr("qcow2: Image '%s' is corrupt (corrupt bit set); opening it read-only. "
                   "Run 'ioemu-img check -r all' to repair it.\n", bs->filename);
        bs->read_only = true;
    }
    if (!bs->read_only && s->autoclear) {
        /* Unknown auto-clear features must be cleared before writing ("autoclear_features"). */
        s->autoclear = 0;
    }

    /* The active L1 table. */
    if ((uint64_t)s->l1_size * 8 > QCOW2_MAX_L1_BYTES) {
        ret = block_error(err, -EFBIG, "'%s': active L1 table too large (%u entries; the "
                          "limit is %u)", bs->filename, s->l1_size, QCOW2_MAX_L1_BYTES / 8);
        goto fail;
    }
    if (s->size > (uint64_t)INT64_MAX ||
        qcow2_size_to_l1(s, s->size) > QCOW2_MAX_L1_BYTES / 8) {
        ret = block_error(err, -EFBIG, "'%s': virtual size %" PRIu64 " too large for the "
                          "cluster size", bs->filename, s->size);
        goto fail;
    }
    if (s->l1_size < qcow2_size_to_l1(s, s->size)) {
        ret = block_error(err, -EINVAL, "'%s': L1 table is too small for the virtual size",
                          bs->filename);
        goto fail;
    }
    if (s->l1_size && (qcow2_offset_into_cluster(s, s->l1_table_offset) ||
                       s->l1_table_offset == 0 ||
                       s->l1_table_offset + (uint64_t)s->l1_size * 8 > (uint64_t)file_len)) {
        ret = block_error(err, -EINVAL, "'%s': invalid L1 table offset %#" PRIx64
                          " (unaligned or beyond the end of the file)", bs->filename,
                          s->l1_table_offset);
        goto fail;
    }
    s->l1_table = g_try_new0(uint64_t, MAX(s->l1_size, 1));
    if (!s->l1_table) {
        ret = block_error(err, -ENOMEM, "Could not allocate the L1 table");
        goto fail;
    }
    if (s->l1_size) {
        ret = host_file_pread(bs->file, s->l1_table_offset, s->l1_table,
                              (size_t)s->l1_size * 8, err);
        if (ret < 0) {
            goto fail;
        }
        for (uint32_t i = 0; i < s->l1_size; i++) {
            s->l1_table[i] = GUINT64_FROM_BE(s->l1_table[i]);
        }
    }

    /* The refcount table. */
    if ((uint64_t)s->refcount_table_clusters << s->cluster_bits > QCOW2_MAX_REFTABLE_BYTES ||
        s->refcount_table_clusters == 0) {
        ret = block_error(err, -EINVAL, "'%s': invalid refcount table size (%u clusters)",
                          bs->filename, s->refcount_table_clusters);
        goto fail;
    }
    if (qcow2_offset_into_cluster(s, s->refcount_table_offset) ||
        s->refcount_table_offset == 0 ||
        s->refcount_table_offset >= (uint64_t)file_len) {
        ret = block_error(err, -EINVAL, "'%s': invalid refcount table offset %#" PRIx64,
                          bs->filename, s->refcount_table_offset);
        goto fail;
    }
    ret = qcow2_refcount_init(s, err);
    if (ret < 0) {
        goto fail;
    }

    /* Snapshots. */
    ret = qcow2_read_snapshots(s, err);
    if (ret < 0) {
        goto fail;
    }

    setup_compression_fields(s);

    /* Caches: enough for the whole disk, within a memory budget; allocated lazily. */
    uint64_t l2_needed = MAX(qcow2_size_to_l1(s, s->size), 1);
    int l2_entries = MAX(8, MIN(l2_needed, (32ull << 20) / s->cluster_size));
    uint64_t rb_needed = MAX(s->refcount_table_size, 1);
    int rb_entries = MAX(8, MIN(rb_needed, (8ull << 20) / s->cluster_size));
    s->l2_cache = qcow2_cache_new(l2_entries, s->cluster_size, &l2_cache_ops, s);
    s->refcount_cache = qcow2_cache_new(rb_entries, s->cluster_size, &refcount_cache_ops, s);

    qcow2_rebuild_metadata_set(s, NULL);

    if (s->version >= 3 && !bs->read_only && s->autoclear != be64_of(s->header_raw + 88)) {
        uint8_t be[8];
        put_be64(be, s->autoclear);
        ret = qcow2_write_header_field(s, 88, be, 8, err);
        if (ret < 0) {
            goto fail;
        }
    }

    /* A dirty image (lazy refcounts, not closed cleanly): repair refcounts first. */
    if ((s->incompat & QCOW2_INCOMPAT_DIRTY) && !bs->read_only && !(flags & BLK_OPEN_NO_IO)) {
        BlockCheckResult res;
        memset(&res, 0, sizeof(res));
        ret = qcow2_check_refcounts(s, &res, BLK_FIX_LEAKS | BLK_FIX_ERRORS, err);
        if (ret < 0) {
            goto fail;
        }
        s->incompat &= ~QCOW2_INCOMPAT_DIRTY;
        ret = write_incompat_features(s, err);
        if (ret == 0) {
            ret = qcow2_sync(s, err);
        }
        if (ret < 0) {
            goto fail;
        }
    }
    return 0;

fail:
    qcow2_close(bs);
    return ret;
}

static void qcow2_close(BlockDriverState *bs)
{
    BDRVQcow2State *s = bs->opaque;
    if (s->l2_cache && !bs->read_only) {
        GError *err = NULL;
        int ret = qcow2_flush_metadata(s, &err);
        if (ret == 0 && s->dirty_marked) {
            ret = qcow2_sync(s, &err);
            if (ret == 0) {
                s->incompat &= ~QCOW2_INCOMPAT_DIRTY;
                ret = write_incompat_features(s, &err);
            }
        }
        if (ret == 0) {
            ret = qcow2_sync(s, &err);
        }
        if (ret < 0) {
            g_printerr("qcow2: error while closing '%s': %s\n", bs->filename, err->message);
            g_error_free(err);
        }
    }
    qcow2_cache_free(s->l2_cache);
    qcow2_cache_free(s->refcount_cache);
    s->l2_cache = s->refcount_cache = NULL;
    g_free(s->l1_table);
    g_free(s->refcount_table);
    qcow2_free_snapshots(s);
    free_unknown_exts(s);
    g_free(s->feature_table);
    g_free(s->header_raw);
    g_free(s->ccache_data);
    g_free(s->ccache_in);
    if (s->pending_frees) {
        g_array_free(s->pending_frees, TRUE);
    }
    if (s->metadata) {
        g_hash_table_destroy(s->metadata);
    }
    memset(s, 0, sizeof(*s));
}

/* ---- create ---- */

static int qcow2_create(const char *filename, const BlockCreateOptions *opts, GError **err)
{
    uint64_t cs = opts->cluster_size ? (uint64_t)opts->cluster_size : 65536;
    int version = opts->compat ? opts->compat : 3;
    int refcount_bits = opts->refcount_bits ? opts->refcount_bits : 16;
    int cluster_bits = 0;

    while ((1ull << cluster_bits) < cs) {
        cluster_bits++;
    }
    if ((1ull << cluster_bits) != cs || cluster_bits < QCOW2_MIN_CLUSTER_BITS ||
        cluster_bits > QCOW2_MAX_CLUSTER_BITS) {
        return block_error(err, -EINVAL, "Cluster size must be a power of two between 512 and "
                           "2048k");
    }
    if (version < 3 && refcount_bits != 16) {
        return block_error(err, -EINVAL, "Different refcount widths than 16 bits require "
                           "compatibility level 1.1 or above (use compat=1.1 or greater)");
    }
    if (version < 3 && opts->lazy_refcounts) {
        return block_error(err, -EINVAL, "Lazy refcounts only supported with compatibility "
                           "level 1.1 and above (use compat=1.1 or greater)");
    }
    if (version < 3 && opts->compression_type != 0) {
        return block_error(err, -EINVAL, "Non-zlib compression type is only supported with "
                           "compatibility level 1.1 and above (use compat=1.1 or greater)");
    }
    if (opts->backing_file && strlen(opts->backing_file) > QCOW2_MAX_BACKING_NAME) {
        return block_error(err, -EINVAL, "Backing file name too long (at most %d bytes)",
                           QCOW2_MAX_BACKING_NAME);
    }
    if (opts->backing_format && !bdrv_find_format(opts->backing_format)) {
        return block_error(err, -EINVAL, "Unknown backing file format '%s'",
                           opts->backing_format);
    }
    int refcount_order = 0;
    while ((1 << refcount_order) < refcount_bits) {
        refcount_order++;
    }
    uint64_t size = opts->size;
    int l2_bits = cluster_bits - 3;
    uint64_t l1_entries = (size + (1ull << (cluster_bits + l2_bits)) - 1) >>
                          (cluster_bits + l2_bits);
    if (l1_entries * 8 > QCOW2_MAX_L1_BYTES || size > (uint64_t)INT64_MAX) {
        return block_error(err, -EFBIG, "Image size too large for the cluster size: the L1 "
                           "table would exceed %u bytes", QCOW2_MAX_L1_BYTES);
    }

    /* Layout: header, refcount table, refcount blocks, L1 table ("General"). */
    uint64_t rbe = 1ull << (cluster_bits + 3 - refcount_order);
    uint64_t l1_clusters = MAX(1, (l1_entries * 8 + cs - 1) / cs);
    uint64_t rt_clusters = 1, blocks = 1;
    for (int i = 0; i < 64; i++) {
        uint64_t total = 1 + rt_clusters + blocks + l1_clusters;
        uint64_t b = (total + rbe - 1) / rbe;
        uint64_t t = MAX(1, (b * 8 + cs - 1) / cs);
        if (b == blocks && t == rt_clusters) {
            break;
        }
        blocks = b;
        rt_clusters = t;
    }
    uint64_t rt_off = cs;
    uint64_t rb_off = rt_off + rt_clusters * cs;
    uint64_t l1_off = rb_off + blocks * cs;
    uint64_t total = 1 + rt_clusters + blocks + l1_clusters;

    HeaderFields h = {
        .version = version,
        .cluster_bits = cluster_bits,
        .size = size,
        .l1_size = l1_entries,
        .l1_table_offset = l1_off,
        .refcount_table_offset = rt_off,
        .refcount_table_clusters = rt_clusters,
        .compat = opts->lazy_refcounts ? QCOW2_COMPAT_LAZY_REFCOUNTS : 0,
        .incompat = opts->compression_type ? QCOW2_INCOMPAT_COMPRESSION : 0,
        .refcount_order = refcount_order,
        .header_length = QCOW2_V3_HEADER_LEN,
        .compression_type = opts->compression_type,
        .backing_file = opts->backing_file,
        .backing_format = opts->backing_file ? opts->backing_format : NULL,
    };
    GByteArray *hdr = build_header(&h, err);
    if (!hdr) {
        return -ENOSPC;
    }

    int fd = open(filename, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) {
        int e = errno;
        g_byte_array_free(hdr, TRUE);
        return block_error(err, -e, "Could not create '%s': %s", filename, g_strerror(e));
    }
    close(fd);
    GError *local = NULL;
    HostFile *f = host_file_open(filename, true, false, false, &local);
    if (!f) {
        g_byte_array_free(hdr, TRUE);
        g_propagate_error(err, local);
        return -EIO;
    }
    int ret = host_file_pwrite(f, 0, hdr->data, hdr->len, err);
    g_byte_array_free(hdr, TRUE);

    uint8_t *buf = g_malloc0(cs);
    for (uint64_t i = 0; i < rt_clusters && ret == 0; i++) {
        memset(buf, 0, cs);
        for (uint64_t k = 0; k < cs / 8; k++) {
            uint64_t bi = i * (cs / 8) + k;
            if (bi < blocks) {
                set_be64_at(buf, k, rb_off + bi * cs);
            }
        }
        ret = host_file_pwrite(f, rt_off + i * cs, buf, cs, err);
    }
    for (uint64_t bi = 0; bi < blocks && ret == 0; bi++) {
        memset(buf, 0, cs);
        for (uint64_t k = 0; k < rbe; k++) {
            if (bi * rbe + k < total) {
                qcow2_refcount_set(buf, k, refcount_order, 1);
            }
        }
        ret = host_file_pwrite(f, rb_off + bi * cs, buf, cs, err);
    }
    g_free(buf);
    if (ret == 0) {
        /* The L1 table is zeros; the file ends right after it, as QEMU's does. */
        uint64_t l1_bytes = MAX(l1_entries * 8, 8);
        uint8_t *zeros = g_malloc0(l1_bytes);
        ret = host_file_pwrite(f, l1_off, zeros, l1_bytes, err);
        g_free(zeros);
    }
    host_file_close(f);
    return ret;
}

/* ---- driver entry points ---- */

static int mark_dirty_if_lazy(BDRVQcow2State *s, GError **err)
{
    if (!(s->compat & QCOW2_COMPAT_LAZY_REFCOUNTS) || s->dirty_marked || s->version < 3) {
        return 0;
    }
    s->incompat |= QCOW2_INCOMPAT_DIRTY;
    int ret = write_incompat_features(s, err);
    if (ret == 0) {
        ret = qcow2_sync(s, err);
    }
    if (ret == 0) {
        s->dirty_marked = true;
    }
    return ret;
}

static int qcow2_preadv(BlockDriverState *bs, int64_t offset, int64_t bytes,
                        const BlockIOV *qiov, size_t qiov_offset, GError **err)
{
    return qcow2_read_guest(bs->opaque, offset, bytes, qiov, qiov_offset, err);
}

static int qcow2_pwritev(BlockDriverState *bs, int64_t offset, int64_t bytes,
                         const BlockIOV *qiov, size_t qiov_offset, GError **err)
{
    BDRVQcow2State *s = bs->opaque;
    int ret = mark_dirty_if_lazy(s, err);
    if (ret < 0) {
        return ret;
    }
    return qcow2_write_guest(s, offset, bytes, qiov, qiov_offset, err);
}

static int qcow2_pwrite_compressed(BlockDriverState *bs, int64_t offset, const void *buf,
                                   int64_t bytes, GError **err)
{
    BDRVQcow2State *s = bs->opaque;
    int ret = mark_dirty_if_lazy(s, err);
    if (ret < 0) {
        return ret;
    }
    return qcow2_write_compressed(s, offset, buf, bytes, err);
}

static int qcow2_pwrite_zeroes(BlockDriverState *bs, int64_t offset, int64_t bytes,
                               unsigned flags, GError **err)
{
    BDRVQcow2State *s = bs->opaque;
    int ret = mark_dirty_if_lazy(s, err);
    if (ret < 0) {
        return ret;
    }
    return qcow2_zero_or_discard(s, offset, bytes, false, flags & BLK_ZERO_MAY_UNMAP, err);
}

static int qcow2_pdiscard(BlockDriverState *bs, int64_t offset, int64_t bytes, GError **err)
{
    BDRVQcow2State *s = bs->opaque;
    int ret = mark_dirty_if_lazy(s, err);
    if (ret < 0) {
        return ret;
    }
    return qcow2_zero_or_discard(s, offset, bytes, true, true, err);
}

static int qcow2_flush(BlockDriverState *bs, GError **err)
{
    BDRVQcow2State *s = bs->opaque;
    int ret = qcow2_flush_metadata(s, err);
    if (ret == 0) {
        ret = qcow2_sync(s, err);
    }
    return ret;
}

static int64_t qcow2_getlength(BlockDriverState *bs)
{
    BDRVQcow2State *s = bs->opaque;
    return s->size;
}

static int64_t qcow2_cluster_size_of(BlockDriverState *bs)
{
    BDRVQcow2State *s = bs->opaque;
    return s->cluster_size;
}

int qcow2_grow_l1_table(BDRVQcow2State *s, uint64_t min_size, GError **err)
{
    if (min_size <= s->l1_size) {
        return 0;
    }
    if (min_size > QCOW2_MAX_L1_BYTES / 8) {
        return block_error(err, -EFBIG, "qcow2: the L1 table would exceed %u bytes",
                           QCOW2_MAX_L1_BYTES);
    }
    uint64_t new_size = min_size;
    uint64_t bytes = new_size * 8;
    uint64_t clusters = (bytes + s->cluster_size - 1) >> s->cluster_bits;
    int64_t new_off = qcow2_alloc_clusters(s, clusters, err);
    if (new_off < 0) {
        return new_off;
    }
    uint8_t *buf = g_malloc0(clusters << s->cluster_bits);
    for (uint32_t i = 0; i < s->l1_size; i++) {
        set_be64_at(buf, i, s->l1_table[i]);
    }
    /* New table on disk (and its refcounts) before the header points to it. */
    int ret = qcow2_cache_write(s->refcount_cache, err);
    if (ret == 0) {
        ret = qcow2_meta_pwrite(s, new_off, buf, clusters << s->cluster_bits, err);
    }
    g_free(buf);
    if (ret == 0) {
        ret = qcow2_barrier(s, err);
    }
    if (ret == 0) {
        uint8_t hdr[12];
        put_be32(hdr, new_size);
        put_be64(hdr + 4, new_off);
        ret = qcow2_write_header_field(s, 36, hdr, 12, err);
    }
    if (ret == 0) {
        ret = qcow2_barrier(s, err);
    }
    if (ret < 0) {
        qcow2_update_refcount(s, new_off, clusters << s->cluster_bits, -1, NULL);
        return ret;
    }
    uint64_t *table = g_new0(uint64_t, new_size);
    memcpy(table, s->l1_table, (size_t)s->l1_size * 8);
    uint64_t old_off = s->l1_table_offset;
    uint64_t old_bytes = (uint64_t)s->l1_size * 8;
    g_free(s->l1_table);
    s->l1_table = table;
    s->l1_size = new_size;
    s->l1_table_offset = new_off;
    qcow2_metadata_add(s, new_off, bytes);
    if (old_bytes) {
        qcow2_metadata_remove(s, old_off, old_bytes);
        return qcow2_update_refcount(s, old_off, old_bytes, -1, err);
    }
    return 0;
}

static int write_size_field(BDRVQcow2State *s, uint64_t size, GError **err)
{
    uint8_t be[8];
    put_be64(be, size);
    int ret = qcow2_barrier(s, err);
    if (ret == 0) {
        ret = qcow2_write_header_field(s, 24, be, 8, err);
    }
    if (ret == 0) {
        ret = qcow2_sync(s, err);
    }
    return ret;
}

static int qcow2_truncate(BlockDriverState *bs, int64_t size, bool allow_shrink, GError **err)
{
    BDRVQcow2State *s = bs->opaque;
    uint64_t old = s->size;
    int ret;

    if ((uint64_t)size == old) {
        return 0;
    }
    if (qcow2_size_to_l1(s, size) > QCOW2_MAX_L1_BYTES / 8) {
        return block_error(err, -EFBIG, "Image size too large for the cluster size");
    }
    if ((uint64_t)size < old) {
        if (!allow_shrink) {
            return block_error(err, -EINVAL, "Use the --shrink option to perform a shrink "
                               "operation.");
        }
        if (s->nb_snapshots) {
            return block_error(err, -ENOTSUP, "Can't shrink an image which has snapshots");
        }
        uint64_t start = (size + s->cluster_size - 1) & ~(s->cluster_size - 1);
        ret = qcow2_free_guest_range(s, start, qcow2_size_to_l1(s, old) << (s->cluster_bits +
                                     s->l2_bits), true, err);
        if (ret == 0) {
            ret = qcow2_flush_metadata(s, err);
        }
        if (ret == 0) {
            ret = write_size_field(s, size, err);
        }
        if (ret == 0) {
            s->size = size;
            ret = qcow2_flush_metadata(s, err);
        }
        return ret;
    }
    ret = qcow2_grow_l1_table(s, qcow2_size_to_l1(s, size), err);
    if (ret == 0) {
        ret = write_size_field(s, size, err);
    }
    if (ret < 0) {
        return ret;
    }
    s->size = size;
    /* The tail of the old last cluster may hold stale bytes: make it read as zeros. */
    uint64_t tail_end = MIN((uint64_t)size, (old + s->cluster_size - 1) & ~(s->cluster_size - 1));
    if (old < tail_end) {
        ret = qcow2_zero_or_discard(s, old, tail_end - old, false, false, err);
    }
    /* A longer backing file must not show through the new area (QEMU zeroes it too). */
    if (ret == 0 && bs->backing) {
        int64_t blen = bdrv_getlength(bs->backing);
        uint64_t zend = MIN((uint64_t)size, blen > 0 ? (uint64_t)blen : 0);
        if (zend > tail_end) {
            ret = qcow2_zero_or_discard(s, tail_end, zend - tail_end, false, false, err);
        }
    }
    return ret;
}

static int qcow2_block_status(BlockDriverState *bs, int64_t offset, int64_t bytes,
                              int64_t *pnum, int64_t *map, GError **err)
{
    uint64_t n, host;
    int ret = qcow2_cluster_status(bs->opaque, offset, bytes, &n, &host, err);
    if (ret < 0) {
        return ret;
    }
    *pnum = n;
    *map = host;
    return ret;
}

static int qcow2_get_info(BlockDriverState *bs, BlockImageInfo *info, GError **err)
{
    BDRVQcow2State *s = bs->opaque;
    info->cluster_size = s->cluster_size;
    info->dirty = (s->incompat & QCOW2_INCOMPAT_DIRTY) != 0;
    info->has_qcow2 = true;
    info->qcow2_version = s->version;
    info->lazy_refcounts = (s->compat & QCOW2_COMPAT_LAZY_REFCOUNTS) != 0;
    info->refcount_bits = s->refcount_bits;
    info->corrupt = (s->incompat & QCOW2_INCOMPAT_CORRUPT) != 0;
    info->compression_type = s->compression_type == QCOW2_COMPRESSION_ZSTD ? "zstd" : "zlib";
    if (s->nb_snapshots) {
        info->snapshots = qcow2_snapshot_list(bs, err);
        if (!info->snapshots) {
            return -EIO;
        }
    }
    return 0;
}

static int qcow2_check(BlockDriverState *bs, BlockCheckResult *res, unsigned fix, GError **err)
{
    BDRVQcow2State *s = bs->opaque;
    int ret = qcow2_flush_metadata(s, err);
    if (ret < 0) {
        return ret;
    }
    ret = qcow2_check_refcounts(s, res, fix, err);
    if (ret < 0) {
        return ret;
    }
    if (fix) {
        ret = qcow2_flush(bs, err);
        if (ret < 0) {
            return ret;
        }
        uint64_t clear = 0;
        if (res->corruptions == 0 && (s->incompat & QCOW2_INCOMPAT_CORRUPT)) {
            clear |= QCOW2_INCOMPAT_CORRUPT;
        }
        if (res->corruptions == 0 && res->leaks == 0 && (s->incompat & QCOW2_INCOMPAT_DIRTY)) {
            clear |= QCOW2_INCOMPAT_DIRTY;
        }
        if (clear) {
            s->incompat &= ~clear;
            ret = write_incompat_features(s, err);
            if (ret == 0) {
                ret = qcow2_sync(s, err);
            }
        }
    }
    return ret;
}

static int qcow2_change_backing_file(BlockDriverState *bs, const char *backing_file,
                                     const char *backing_format, GError **err)
{
    BDRVQcow2State *s = bs->opaque;
    if (backing_file && strlen(backing_file) > QCOW2_MAX_BACKING_NAME) {
        return block_error(err, -EINVAL, "Backing file name too long");
    }
    if (backing_format && strlen(backing_format) > 16) {
        return block_error(err, -EINVAL, "Backing format name too long");
    }
    char *old_file = bs->backing_file, *old_fmt = bs->backing_format;
    bs->backing_file = backing_file && *backing_file ? g_strdup(backing_file) : NULL;
    bs->backing_format = bs->backing_file && backing_format ? g_strdup(backing_format) : NULL;
    int ret = qcow2_flush_metadata(s, err);
    if (ret == 0) {
        ret = qcow2_update_header(s, err);
    }
    if (ret < 0) {
        g_free(bs->backing_file);
        g_free(bs->backing_format);
        bs->backing_file = old_file;
        bs->backing_format = old_fmt;
        return ret;
    }
    g_free(old_file);
    g_free(old_fmt);
    return 0;
}

static int qcow2_make_empty(BlockDriverState *bs, GError **err)
{
    BDRVQcow2State *s = bs->opaque;
    uint64_t end = (uint64_t)s->l1_size << (s->cluster_bits + s->l2_bits);
    int ret = qcow2_free_guest_range(s, 0, end, true, err);
    if (ret == 0) {
        ret = qcow2_flush(bs, err);
    }
    return ret;
}

const BlockDriver bdrv_qcow2 = {
    .format_name = "qcow2",
    .instance_size = sizeof(BDRVQcow2State),
    .thread_safe = false,
    .has_zero_init = true,
    .probe = qcow2_probe,
    .open = qcow2_open,
    .close = qcow2_close,
    .create = qcow2_create,
    .preadv = qcow2_preadv,
    .pwritev = qcow2_pwritev,
    .pwrite_compressed = qcow2_pwrite_compressed,
    .pwrite_zeroes = qcow2_pwrite_zeroes,
    .pdiscard = qcow2_pdiscard,
    .flush = qcow2_flush,
    .getlength = qcow2_getlength,
    .truncate = qcow2_truncate,
    .block_status = qcow2_block_status,
    .get_info = qcow2_get_info,
    .check = qcow2_check,
    .snapshot_create = qcow2_snapshot_create,
    .snapshot_goto = qcow2_snapshot_goto,
    .snapshot_delete = qcow2_snapshot_delete,
    .snapshot_list = qcow2_snapshot_list,
    .change_backing_file = qcow2_change_backing_file,
    .make_empty = qcow2_make_empty,
    .cluster_size = qcow2_cluster_size_of,
};
