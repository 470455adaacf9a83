/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The generic block layer: opening images and their backing chains, the
 * synchronous entry points, cache modes, creation options.
 */
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "block/block_int.h"

static const BlockDriver *const block_drivers[] = {
    &bdrv_qcow2,
    &bdrv_raw,
};

const BlockDriver *bdrv_find_format(const char *name)
{
    for (size_t i = 0; i < G_N_ELEMENTS(block_drivers); i++) {
        if (strcmp(block_drivers[i]->format_name, name) == 0) {
            return block_drivers[i];
        }
    }
    return NULL;
}

/* ---- cache modes ---- */

static const char *const cache_mode_names[] = {
    [BLK_CACHE_WRITEBACK] = "writeback",
    [BLK_CACHE_WRITETHROUGH] = "writethrough",
    [BLK_CACHE_NONE] = "none",
    [BLK_CACHE_DIRECTSYNC] = "directsync",
    [BLK_CACHE_UNSAFE] = "unsafe",
};

bool blk_parse_cache_mode(const char *name, BlockCacheMode *mode)
{
    for (size_t i = 0; i < G_N_ELEMENTS(cache_mode_names); i++) {
        if (strcmp(name, cache_mode_names[i]) == 0) {
            *mode = i;
            return true;
        }
    }
    /* QEMU accepts "off" as a spelling of "none". */
    if (strcmp(name, "off") == 0) {
        *mode = BLK_CACHE_NONE;
        return true;
    }
    return false;
}

const char *blk_cache_mode_name(BlockCacheMode mode)
{
    return mode < G_N_ELEMENTS(cache_mode_names) ? cache_mode_names[mode] : "?";
}

static bool cache_mode_direct(BlockCacheMode mode)
{
    return mode == BLK_CACHE_NONE || mode == BLK_CACHE_DIRECTSYNC;
}

static bool cache_mode_writethrough(BlockCacheMode mode)
{
    return mode == BLK_CACHE_WRITETHROUGH || mode == BLK_CACHE_DIRECTSYNC;
}

/* ---- locking ---- */

void bdrv_lock(BlockDriverState *bs)
{
    if (!bs->drv->thread_safe) {
        g_mutex_lock(&bs->lock);
    }
}

void bdrv_unlock(BlockDriverState *bs)
{
    if (!bs->drv->thread_safe) {
        g_mutex_unlock(&bs->lock);
    }
}

/* ---- opening ---- */

char *bdrv_resolve_backing_path(const char *image_filename, const char *backing)
{
    if (g_path_is_absolute(backing) || !strchr(image_filename, '/')) {
        return g_strdup(backing);
    }
    char *dir = g_path_get_dirname(image_filename);
    char *path = g_build_filename(dir, backing, NULL);
    g_free(dir);
    return path;
}

char *blk_resolve_backing_path(const char *image_filename, const char *backing)
{
    return bdrv_resolve_backing_path(image_filename, backing);
}

bool bdrv_probes_as_other_format(const uint8_t *buf, size_t len)
{
    for (size_t i = 0; i < G_N_ELEMENTS(block_drivers); i++) {
        if (block_drivers[i] != &bdrv_raw && block_drivers[i]->probe(buf, len) > 1) {
            return true;
        }
    }
    return false;
}

static const BlockDriver *probe_format(HostFile *file, GError **err)
{
    uint8_t buf[512];
    if (host_file_pread(file, 0, buf, sizeof(buf), err) < 0) {
        return NULL;
    }
    const BlockDriver *best = NULL;
    int best_score = 0;
    for (size_t i = 0; i < G_N_ELEMENTS(block_drivers); i++) {
        int score = block_drivers[i]->probe(buf, sizeof(buf));
        if (score > best_score) {
            best_score = score;
            best = block_drivers[i];
        }
    }
    return best;
}

BlockDriverState *bdrv_open(const char *filename, const char *format, unsigned flags,
                            BlockCacheMode cache, int depth, GPtrArray *chain_ids,
                            GError **err)
{
    const BlockDriver *drv = NULL;

    if (depth > BLK_MAX_BACKING_DEPTH) {
        block_error(err, -ELOOP, "Backing chain of '%s' is deeper than %d images",
                    filename, BLK_MAX_BACKING_DEPTH);
        return NULL;
    }
    if (format) {
        drv = bdrv_find_format(format);
        if (!drv) {
            block_error(err, -EINVAL, "Unknown file format '%s'", format);
            return NULL;
        }
    }

    bool writable = (flags & BLK_OPEN_RDWR) != 0;
    HostFile *file = host_file_open(filename, writable, cache_mode_direct(cache),
                                    cache == BLK_CACHE_UNSAFE, err);
    if (!file) {
        return NULL;
    }

    /* Loop detection: the same file (device + inode) twice in one chain. */
    struct stat st;
    char *id = NULL;
    if (stat(filename, &st) == 0) {
        id = g_strdup_printf("%lu:%lu", (unsigned long)st.st_dev, (unsigned long)st.st_ino);
        for (guint i = 0; i < chain_ids->len; i++) {
            if (strcmp(chain_ids->pdata[i], id) == 0) {
                block_error(err, -ELOOP, "Backing file chain loop: '%s' is already part of "
                            "the chain", filename);
                g_free(id);
                host_file_close(file);
                return NULL;
            }
        }
        g_ptr_array_add(chain_ids, id);
    }

    bool probed = false;
    if (!drv) {
        drv = probe_format(file, err);
        if (!drv) {
            host_file_close(file);
            return NULL;
        }
        probed = true;
        if (drv == &bdrv_raw && writable) {
            g_printerr("WARNING: Image format was not specified for '%s' and probing guessed "
                       "raw.\n         Automatically detecting the format is dangerous for raw "
                       "images, write operations on block 0 will be restricted.\n         "
                       "Specify the 'raw' format explicitly to remove the restrictions.\n",
                       filename);
        }
    }

    BlockDriverState *bs = g_new0(BlockDriverState, 1);
    bs->drv = drv;
    bs->opaque = drv->instance_size ? g_malloc0(drv->instance_size) : NULL;
    bs->filename = g_strdup(filename);
    bs->file = file;
    bs->depth = depth;
    bs->read_only = !writable;
    bs->probed = probed;
    bs->open_flags = flags;
    bs->cache = cache;
    g_mutex_init(&bs->lock);

    if (drv->open(bs, flags, err) < 0) {
        host_file_close(bs->file);
        g_free(bs->opaque);
        g_free(bs->filename);
        g_free(bs->backing_file);
        g_free(bs->backing_format);
        g_mutex_clear(&bs->lock);
        g_free(bs);
        return NULL;
    }

    if (bs->backing_file && !(flags & BLK_OPEN_NO_BACKING)) {
        char *path = bdrv_resolve_backing_path(filename, bs->backing_file);
        GError *local = NULL;
        /* Backing files are opened read-only, inheriting the cache mode. */
        bs->backing = bdrv_open(path, bs->backing_format, flags & ~(BLK_OPEN_RDWR | BLK_OPEN_REPAIR),
                                cache, depth + 1, chain_ids, &local);
        if (!bs->backing) {
            int code = local ? local->code : EIO;
            block_error(err, -code, "Could not open backing file: %s",
                        local ? local->message : path);
            g_clear_error(&local);
            g_free(path);
            bdrv_close(bs);
            return NULL;
        }
        g_free(path);
    }
    return bs;
}

void bdrv_close(BlockDriverState *bs)
{
    if (!bs) {
        return;
    }
    bs->drv->close(bs);
    bdrv_close(bs->backing);
    host_file_close(bs->file);
    g_free(bs->opaque);
    g_free(bs->filename);
    g_free(bs->backing_file);
    g_free(bs->backing_format);
    g_mutex_clear(&bs->lock);
    g_free(bs);
}

BlockBackend *blk_open(const char *filename, const char *format, unsigned flags,
                       BlockCacheMode cache, GError **err)
{
    GPtrArray *ids = g_ptr_array_new_with_free_func(g_free);
    BlockDriverState *bs = bdrv_open(filename, format, flags, cache, 0, ids, err);
    g_ptr_array_free(ids, TRUE);
    if (!bs) {
        return NULL;
    }
    BlockBackend *blk = g_new0(BlockBackend, 1);
    blk->bs = bs;
    blk->write_cache = !cache_mode_writethrough(cache);
    g_mutex_init(&blk->aio_lock);
    g_cond_init(&blk->aio_cond);
    g_queue_init(&blk->completed);
    return blk;
}

void blk_close(BlockBackend *blk)
{
    if (!blk) {
        return;
    }
    blk_drain(blk);
    blk_aio_cleanup(blk);
    if (!blk->bs->read_only) {
        GError *err = NULL;
        if (blk_flush(blk, &err) < 0) {
            g_printerr("%s\n", err->message);
            g_error_free(err);
        }
    }
    bdrv_close(blk->bs);
    g_mutex_clear(&blk->aio_lock);
    g_cond_clear(&blk->aio_cond);
    g_free(blk);
}

const char *blk_filename(BlockBackend *blk)
{
    return blk->bs->filename;
}

const char *blk_format_name(BlockBackend *blk)
{
    return blk->bs->drv->format_name;
}

bool blk_is_read_only(BlockBackend *blk)
{
    return blk->bs->read_only;
}

BlockDriverState *blk_bs(BlockBackend *blk)
{
    return blk->bs;
}

int64_t blk_getlength(BlockBackend *blk)
{
    return bdrv_getlength(blk->bs);
}

void blk_set_enable_write_cache(BlockBackend *blk, bool enable)
{
    blk->write_cache = enable;
}

bool blk_enable_write_cache(BlockBackend *blk)
{
    return blk->write_cache;
}

BlockDriverState *bdrv_backing(BlockDriverState *bs)
{
    return bs->backing;
}

const char *bdrv_backing_file_name(BlockDriverState *bs)
{
    return bs->backing_file;
}

bool blk_buffer_is_zero(const void *buf, size_t len)
{
    return buffer_is_zero(buf, len);
}

const char *bdrv_filename(BlockDriverState *bs)
{
    return bs->filename;
}

const char *bdrv_format_name(BlockDriverState *bs)
{
    return bs->drv->format_name;
}

int64_t bdrv_getlength(BlockDriverState *bs)
{
    return bs->drv->getlength(bs);
}

int64_t bdrv_cluster_size(BlockDriverState *bs)
{
    return bs->drv->cluster_size ? bs->drv->cluster_size(bs) : 0;
}

/* ---- synchronous IO ---- */

static int check_request(BlockDriverState *bs, int64_t offset, int64_t bytes, GError **err)
{
    int64_t len = bdrv_getlength(bs);
    if (offset < 0 || bytes < 0 || len < 0 || offset > len || bytes > len - offset) {
        return block_error(err, -EINVAL, "'%s': request at offset %" PRId64 " of %" PRId64
                           " bytes is outside the image (%" PRId64 " bytes)",
                           bs->filename, offset, bytes, len);
    }
    return 0;
}

static int check_writable(BlockDriverState *bs, GError **err)
{
    if (bs->read_only) {
        return block_error(err, -EACCES, "'%s' is open read-only", bs->filename);
    }
    return 0;
}

/* A write, zeroing or discard: a valid range on an image open read-write. */
static int check_write_request(BlockDriverState *bs, int64_t offset, int64_t bytes,
                               GError **err)
{
    int ret = check_request(bs, offset, bytes, err);

    return ret < 0 ? ret : check_writable(bs, err);
}

int bdrv_preadv_locked(BlockDriverState *bs, int64_t offset, int64_t bytes,
                       const BlockIOV *qiov, size_t qiov_offset, GError **err)
{
    return bs->drv->preadv(bs, offset, bytes, qiov, qiov_offset, err);
}

static int bdrv_do_preadv(BlockDriverState *bs, int64_t offset, int64_t bytes,
                          const BlockIOV *qiov, size_t qiov_offset, GError **err)
{
    int ret = check_request(bs, offset, bytes, err);
    if (ret < 0 || bytes == 0) {
        return ret;
    }
    bdrv_lock(bs);
    ret = bs->drv->preadv(bs, offset, bytes, qiov, qiov_offset, err);
    bdrv_unlock(bs);
    return ret;
}

int bdrv_backing_preadv(BlockDriverState *backing, int64_t offset, int64_t bytes,
                        const BlockIOV *qiov, size_t qiov_offset, GError **err)
{
    int64_t len = bdrv_getlength(backing);
    if (len < 0) {
        return block_error(err, (int)len, "'%s': cannot get length", backing->filename);
    }
    int64_t avail = offset >= len ? 0 : MIN(bytes, len - offset);
    if (avail < bytes) {
        biov_memset(qiov, qiov_offset + avail, 0, bytes - avail);
    }
    if (avail == 0) {
        return 0;
    }
    bdrv_lock(backing);
    int ret = backing->drv->preadv(backing, offset, avail, qiov, qiov_offset, err);
    bdrv_unlock(backing);
    return ret;
}

int bdrv_backing_pread(BlockDriverState *backing, int64_t offset, void *buf, int64_t bytes,
                       GError **err)
{
    struct iovec one;
    BlockIOV qiov;
    biov_init_buf(&qiov, &one, buf, bytes);
    return bdrv_backing_preadv(backing, offset, bytes, &qiov, 0, err);
}

static int bdrv_do_pwritev(BlockDriverState *bs, int64_t offset, int64_t bytes,
                           const BlockIOV *qiov, size_t qiov_offset, GError **err)
{
    int ret = check_write_request(bs, offset, bytes, err);
    if (ret < 0 || bytes == 0) {
        return ret;
    }
    bdrv_lock(bs);
    ret = bs->drv->pwritev(bs, offset, bytes, qiov, qiov_offset, err);
    bdrv_unlock(bs);
    return ret;
}

int bdrv_flush(BlockDriverState *bs, GError **err)
{
    if (bs->read_only) {
        return 0;
    }
    bdrv_lock(bs);
    int ret = bs->drv->flush(bs, err);
    bdrv_unlock(bs);
    return ret;
}

int bdrv_pread(BlockDriverState *bs, int64_t offset, void *buf, int64_t bytes, GError **err)
{
    struct iovec one;
    BlockIOV qiov;
    biov_init_buf(&qiov, &one, buf, bytes);
    return bdrv_do_preadv(bs, offset, bytes, &qiov, 0, err);
}

int bdrv_pwrite(BlockDriverState *bs, int64_t offset, const void *buf, int64_t bytes,
                GError **err)
{
    struct iovec one;
    BlockIOV qiov;
    biov_init_buf(&qiov, &one, (void *)buf, bytes);
    return bdrv_do_pwritev(bs, offset, bytes, &qiov, 0, err);
}

/* Writethrough: a write is complete only once it is on the disk. */
static int blk_after_write(BlockBackend *blk, int ret, GError **err)
{
    if (ret == 0 && !blk->write_cache) {
        ret = bdrv_flush(blk->bs, err);
    }
    return ret;
}

int blk_preadv(BlockBackend *blk, int64_t offset, const struct iovec *iov, int iovcnt,
               GError **err)
{
    BlockIOV qiov;
    biov_init(&qiov, iov, iovcnt);
    return bdrv_do_preadv(blk->bs, offset, qiov.size, &qiov, 0, err);
}

int blk_pwritev(BlockBackend *blk, int64_t offset, const struct iovec *iov, int iovcnt,
                GError **err)
{
    BlockIOV qiov;
    biov_init(&qiov, iov, iovcnt);
    int ret = bdrv_do_pwritev(blk->bs, offset, qiov.size, &qiov, 0, err);
    return blk_after_write(blk, ret, err);
}

int blk_pread(BlockBackend *blk, int64_t offset, void *buf, int64_t bytes, GError **err)
{
    return bdrv_pread(blk->bs, offset, buf, bytes, err);
}

int blk_pwrite(BlockBackend *blk, int64_t offset, const void *buf, int64_t bytes,
               GError **err)
{
    return blk_after_write(blk, bdrv_pwrite(blk->bs, offset, buf, bytes, err), err);
}

int blk_pwrite_compressed(BlockBackend *blk, int64_t offset, const void *buf, int64_t bytes,
                          GError **err)
{
    BlockDriverState *bs = blk->bs;
    int ret = check_write_request(bs, offset, bytes, err);
    if (ret < 0) {
        return ret;
    }
    if (!bs->drv->pwrite_compressed) {
        return block_error(err, -ENOTSUP, "Compression not supported for format '%s'",
                           bs->drv->format_name);
    }
    bdrv_lock(bs);
    ret = bs->drv->pwrite_compressed(bs, offset, buf, bytes, err);
    bdrv_unlock(bs);
    return blk_after_write(blk, ret, err);
}

int blk_flush(BlockBackend *blk, GError **err)
{
    return bdrv_flush(blk->bs, err);
}

int blk_discard(BlockBackend *blk, int64_t offset, int64_t bytes, GError **err)
{
    BlockDriverState *bs = blk->bs;
    int ret = check_write_request(bs, offset, bytes, err);
    if (ret < 0 || bytes == 0) {
        return ret;
    }
    bdrv_lock(bs);
    ret = bs->drv->pdiscard(bs, offset, bytes, err);
    bdrv_unlock(bs);
    return blk_after_write(blk, ret, err);
}

int blk_write_zeroes(BlockBackend *blk, int64_t offset, int64_t bytes, unsigned flags,
                     GError **err)
{
    BlockDriverState *bs = blk->bs;
    int ret = check_write_request(bs, offset, bytes, err);
    if (ret < 0 || bytes == 0) {
        return ret;
    }
    bdrv_lock(bs);
    ret = bs->drv->pwrite_zeroes(bs, offset, bytes, flags, err);
    bdrv_unlock(bs);
    return blk_after_write(blk, ret, err);
}

int blk_truncate(BlockBackend *blk, int64_t size, bool allow_shrink, GError **err)
{
    BlockDriverState *bs = blk->bs;
    int ret = check_writable(bs, err);
    if (ret < 0) {
        return ret;
    }
    if (size < 0) {
        return block_error(err, -EINVAL, "Image size must not be negative");
    }
    bdrv_lock(bs);
    ret = bs->drv->truncate(bs, size, allow_shrink, err);
    bdrv_unlock(bs);
    return ret;
}

int bdrv_block_status(BlockDriverState *bs, int64_t offset, int64_t bytes, int64_t *pnum,
                      int64_t *map, GError **err)
{
    int ret = check_request(bs, offset, bytes, err);
    if (ret < 0) {
        return ret;
    }
    if (bytes == 0) {
        *pnum = 0;
        return 0;
    }
    int64_t dummy;
    bdrv_lock(bs);
    ret = bs->drv->block_status(bs, offset, bytes, pnum, map ? map : &dummy, err);
    bdrv_unlock(bs);
    g_assert(ret < 0 || (*pnum > 0 && *pnum <= bytes));
    return ret;
}

int blk_block_status(BlockBackend *blk, int64_t offset, int64_t bytes, int64_t *pnum,
                     int64_t *map, GError **err)
{
    return bdrv_block_status(blk->bs, offset, bytes, pnum, map, err);
}

int bdrv_block_status_above(BlockDriverState *bs, int64_t offset, int64_t bytes,
                            int64_t *pnum, int64_t *map, int *depth,
                            BlockDriverState **file_bs, GError **err)
{
    int d = 0;
    int64_t m = 0;
    for (BlockDriverState *cur = bs; cur; cur = cur->backing, d++) {
        int64_t len = bdrv_getlength(cur);
        if (len < 0) {
            return block_error(err, (int)len, "'%s': cannot get length", cur->filename);
        }
        if (offset >= len) {
            /* Past the end of a shorter backing image: zeros. */
            *pnum = bytes;
            *depth = d;
            *file_bs = cur;
            return BLK_STATUS_ZERO;
        }
        int64_t n;
        int ret = bdrv_block_status(cur, offset, MIN(bytes, len - offset), &n, &m, err);
        if (ret < 0) {
            return ret;
        }
        if ((ret & BLK_STATUS_ALLOCATED) || !cur->backing) {
            *pnum = n;
            *depth = d;
            *file_bs = cur;
            if (map) {
                *map = m;
            }
            return ret;
        }
        bytes = n;
    }
    g_assert_not_reached();
}

/* ---- creation ---- */

bool blk_parse_size(const char *str, int64_t *size)
{
    char *end;
    errno = 0;
    if (!str || !*str || *str == '-') {
        return false;
    }
    double value = g_ascii_strtod(str, &end);
    if (errno || end == str || value < 0) {
        return false;
    }
    uint64_t mult = 1;
    switch (*end) {
    case 'k': case 'K': mult = 1ull << 10; end++; break;
    case 'M': case 'm': mult = 1ull << 20; end++; break;
    case 'G': case 'g': mult = 1ull << 30; end++; break;
    case 'T': case 't': mult = 1ull << 40; end++; break;
    case 'P': case 'p': mult = 1ull << 50; end++; break;
    case 'E': case 'e': mult = 1ull << 60; end++; break;
    case 'b': case 'B': end++; break;
    default: break;
    }
    if (*end == 'b' || *end == 'B') {
        end++;
    }
    if (*end) {
        return false;
    }
    double bytes = value * (double)mult;
    if (bytes >= 9223372036854775807.0) {
        return false;
    }
    /* Fractions are only meaningful with a suffix; the result must be whole bytes. */
    if (bytes != (double)(int64_t)bytes) {
        return false;
    }
    *size = (int64_t)bytes;
    return true;
}

static bool parse_on_off(const char *val, bool *out)
{
    if (!strcmp(val, "on") || !strcmp(val, "true") || !strcmp(val, "yes")) {
        *out = true;
        return true;
    }
    if (!strcmp(val, "off") || !strcmp(val, "false") || !strcmp(val, "no")) {
        *out = false;
        return true;
    }
    return false;
}

bool blk_parse_create_options(const char *optstr, BlockCreateOptions *opts,
                              GPtrArray *keep, GError **err)
{
    char *copy = g_strdup(optstr);
    g_ptr_array_add(keep, copy);
    /* QEMU's option syntax: ',' separates, ",," is a literal comma. */
    char *p = copy;
    while (*p) {
        char *key = p;
        char *val = NULL;
        char *w = p;
        while (*p) {
            if (*p == ',' && p[1] == ',') {
                *w++ = ',';
                p += 2;
            } else if (*p == ',') {
                p++;
                break;
            } else if (*p == '=' && !val) {
                *w++ = '\0';
                val = w;
                p++;
            } else {
                *w++ = *p++;
            }
        }
        *w = '\0';
        if (!*key) {
            continue;
        }
        if (!val) {
            block_error(err, -EINVAL, "Invalid parameter '%s': expected key=value", key);
            return false;
        }
        int64_t num;
        if (!strcmp(key, "size")) {
            if (!blk_parse_size(val, &num)) {
                block_error(err, -EINVAL, "Invalid size '%s'", val);
                return false;
            }
            opts->size = num;
        } else if (!strcmp(key, "cluster_size")) {
            if (!blk_parse_size(val, &num) || num > INT32_MAX) {
                block_error(err, -EINVAL, "Invalid cluster_size '%s'", val);
                return false;
            }
            opts->cluster_size = num;
        } else if (!strcmp(key, "compat")) {
            if (!strcmp(val, "0.10") || !strcmp(val, "v2")) {
                opts->compat = 2;
            } else if (!strcmp(val, "1.1") || !strcmp(val, "v3")) {
                opts->compat = 3;
            } else {
                block_error(err, -EINVAL, "Invalid compatibility level: '%s'", val);
                return false;
            }
        } else if (!strcmp(key, "backing_file")) {
            opts->backing_file = val;
        } else if (!strcmp(key, "backing_fmt")) {
            opts->backing_format = val;
        } else if (!strcmp(key, "compression_type")) {
            if (!strcmp(val, "zlib")) {
                opts->compression_type = 0;
            } else if (!strcmp(val, "zstd")) {
                opts->compression_type = 1;
            } else {
                block_error(err, -EINVAL, "Invalid compression_type '%s' (zlib or zstd)", val);
                return false;
            }
        } else if (!strcmp(key, "refcount_bits")) {
            char *end;
            long bits = strtol(val, &end, 10);
            if (*end || bits < 1 || bits > 64 || (bits & (bits - 1))) {
                block_error(err, -EINVAL, "Refcount width must be a power of two and may not "
                            "exceed 64 bits");
                return false;
            }
            opts->refcount_bits = bits;
        } else if (!strcmp(key, "lazy_refcounts")) {
            if (!parse_on_off(val, &opts->lazy_refcounts)) {
                block_error(err, -EINVAL, "Invalid lazy_refcounts '%s' (on or off)", val);
                return false;
            }
        } else if (!strcmp(key, "preallocation")) {
            if (strcmp(val, "off") != 0) {
                block_error(err, -ENOTSUP, "Unsupported preallocation mode '%s' (only off)", val);
                return false;
            }
        } else if (!strcmp(key, "extended_l2")) {
            bool on;
            if (!parse_on_off(val, &on) || on) {
                block_error(err, -ENOTSUP, "extended_l2=%s is not supported", val);
                return false;
            }
        } else {
            block_error(err, -EINVAL, "Invalid parameter '%s'", key);
            return false;
        }
    }
    return true;
}

int blk_create(const char *filename, const BlockCreateOptions *in, GError **err)
{
    BlockCreateOptions opts = *in;
    const BlockDriver *drv = bdrv_find_format(opts.format ? opts.format : "raw");
    if (!drv || !drv->create) {
        return block_error(err, -EINVAL, "Unknown file format '%s'", opts.format);
    }
    char *probed_fmt = NULL;
    if (opts.backing_file && !*opts.backing_file) {
        opts.backing_file = NULL;
    }
    if (opts.backing_file && drv == &bdrv_qcow2 &&
        (!opts.backing_unsafe || opts.size < 0)) {
        /* Open the backing file: it must exist, and gives the size and format. */
        char *path = bdrv_resolve_backing_path(filename, opts.backing_file);
        GError *local = NULL;
        BlockBackend *b = blk_open(path, opts.backing_format, BLK_OPEN_NO_IO,
                                   BLK_CACHE_WRITEBACK, &local);
        g_free(path);
        if (!b) {
            int code = local->code;
            block_error(err, -code, "Could not open backing image: %s", local->message);
            g_error_free(local);
            return -code;
        }
        if (opts.size < 0) {
            opts.size = blk_getlength(b);
        }
        if (!opts.backing_format) {
            probed_fmt = g_strdup(blk_format_name(b));
            opts.backing_format = probed_fmt;
        }
        blk_close(b);
    }
    if (opts.size < 0) {
        g_free(probed_fmt);
        return block_error(err, -EINVAL, "Image creation needs a size parameter");
    }
    int ret = drv->create(filename, &opts, err);
    g_free(probed_fmt);
    return ret;
}

/* ---- info, check, snapshots, backing ---- */

int bdrv_get_image_info(BlockDriverState *bs, BlockImageInfo *info, GError **err)
{
    memset(info, 0, sizeof(*info));
    info->filename = g_strdup(bs->filename);
    info->format = bs->drv->format_name;
    info->virtual_size = bdrv_getlength(bs);
    info->actual_size = host_file_allocated_size(bs->file);
    if (bs->backing_file) {
        info->backing_file = g_strdup(bs->backing_file);
        info->full_backing_file = bdrv_resolve_backing_path(bs->filename, bs->backing_file);
        info->backing_format = g_strdup(bs->backing_format);
    }
    if (!bs->drv->get_info) {
        return 0;
    }
    bdrv_lock(bs);
    int ret = bs->drv->get_info(bs, info, err);
    bdrv_unlock(bs);
    return ret;
}

void block_snapshot_list_free(GArray *list)
{
    if (!list) {
        return;
    }
    for (guint i = 0; i < list->len; i++) {
        BlockSnapshotInfo *sn = &g_array_index(list, BlockSnapshotInfo, i);
        g_free(sn->id);
        g_free(sn->name);
    }
    g_array_free(list, TRUE);
}

void block_image_info_clear(BlockImageInfo *info)
{
    g_free(info->filename);
    g_free(info->backing_file);
    g_free(info->full_backing_file);
    g_free(info->backing_format);
    block_snapshot_list_free(info->snapshots);
    memset(info, 0, sizeof(*info));
}

int bdrv_check(BlockDriverState *bs, BlockCheckResult *res, unsigned fix, GError **err)
{
    memset(res, 0, sizeof(*res));
    if (!bs->drv->check) {
        return block_error(err, -ENOTSUP, "This image format does not support checks");
    }
    if (fix && bs->read_only) {
        return block_error(err, -EACCES, "'%s' is open read-only; cannot repair", bs->filename);
    }
    bdrv_lock(bs);
    int ret = bs->drv->check(bs, res, fix, err);
    bdrv_unlock(bs);
    return ret;
}

/* Snapshot create/goto/delete: all change the image, so it must be writable. */
#define SNAPSHOT_OP(call, ...)                                                       \
    do {                                                                            \
        int wret_ = check_writable(bs, err);                                        \
        if (wret_ < 0) {                                                            \
            return wret_;                                                           \
        }                                                                           \
        if (!bs->drv->call) {                                                       \
            return block_error(err, -ENOTSUP, "Format '%s' does not support internal " \
                               "snapshots", bs->drv->format_name);                 \
        }                                                                           \
        bdrv_lock(bs);                                                              \
        int ret_ = bs->drv->call(bs, __VA_ARGS__, err);                             \
        bdrv_unlock(bs);                                                            \
        return ret_;                                                                \
    } while (0)

int bdrv_snapshot_create(BlockDriverState *bs, const char *name, GError **err)
{
    SNAPSHOT_OP(snapshot_create, name);
}

int bdrv_snapshot_goto(BlockDriverState *bs, const char *id_or_name, GError **err)
{
    SNAPSHOT_OP(snapshot_goto, id_or_name);
}

int bdrv_snapshot_delete(BlockDriverState *bs, const char *id_or_name, GError **err)
{
    SNAPSHOT_OP(snapshot_delete, id_or_name);
}

GArray *bdrv_snapshot_list(BlockDriverState *bs, GError **err)
{
    if (!bs->drv->snapshot_list) {
        block_error(err, -ENOTSUP, "Format '%s' does not support internal snapshots",
                    bs->drv->format_name);
        return NULL;
    }
    bdrv_lock(bs);
    GArray *list = bs->drv->snapshot_list(bs, err);
    bdrv_unlock(bs);
    return list;
}

int bdrv_change_backing_file(BlockDriverState *bs, const char *backing_file,
                             const char *backing_format, GError **err)
{
    int ret = check_writable(bs, err);
    if (ret < 0) {
        return ret;
    }
    if (!bs->drv->change_backing_file) {
        return block_error(err, -ENOTSUP, "Format '%s' does not support backing files",
                           bs->drv->format_name);
    }
    bdrv_lock(bs);
    ret = bs->drv->change_backing_file(bs, backing_file, backing_format, err);
    bdrv_unlock(bs);
    return ret;
}

int bdrv_make_empty(BlockDriverState *bs, GError **err)
{
    int ret = check_writable(bs, err);
    if (ret < 0) {
        return ret;
    }
    if (!bs->drv->make_empty) {
        return block_error(err, -ENOTSUP, "Format '%s' cannot be emptied",
                           bs->drv->format_name);
    }
    bdrv_lock(bs);
    ret = bs->drv->make_empty(bs, err);
    bdrv_unlock(bs);
    return ret;
}
