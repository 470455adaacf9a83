/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * ioemu-img commands that move data between images: convert, compare,
 * commit, rebase.  All of them walk the source with block status so
 * unallocated and zero areas cost neither reads nor writes, and move data
 * in large buffers.
 */
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tools/ioemu-img/img.h"

/* Data moves in buffers of this size. */
#define IO_CHUNK (2 * 1024 * 1024)

static void *alloc_buffer(size_t size)
{
    void *p = NULL;
    /* Page aligned so O_DIRECT targets need no bounce buffer. */
    if (posix_memalign(&p, 4096, size)) {
        return NULL;
    }
    return p;
}

/* Read a layer, with zeros past its end (backing files may be shorter). */
static int read_or_zero(BlockDriverState *bs, int64_t offset, void *buf, int64_t n,
                        GError **err)
{
    if (!bs) {
        memset(buf, 0, n);
        return 0;
    }
    int64_t len = bdrv_getlength(bs);
    int64_t avail = offset >= len ? 0 : MIN(n, len - offset);
    if (avail < n) {
        memset((uint8_t *)buf + avail, 0, n - avail);
    }
    return avail ? bdrv_pread(bs, offset, buf, avail, err) : 0;
}

/* ---- convert ---- */

typedef enum { SEG_DATA, SEG_ZERO, SEG_BACKING } SegType;

typedef struct ConvertState {
    BlockBackend *target;
    bool compress;
    bool target_zero_init;     /* unwritten target areas read as zeros */
    bool target_has_backing;
    int64_t sparse_size;       /* 0: write everything */
    int64_t cluster_size;      /* target's, for -c */
    uint8_t *buf;
    bool progress;
    int64_t done, total;
} ConvertState;

static SegType classify(int st, bool target_has_backing)
{
    if (target_has_backing && !(st & BLK_STATUS_ALLOCATED)) {
        return SEG_BACKING;
    }
    if ((st & BLK_STATUS_ZERO) || !(st & BLK_STATUS_DATA)) {
        return SEG_ZERO;
    }
    return SEG_DATA;
}

static int write_zero_range(ConvertState *cs, int64_t dst, int64_t n, GError **err)
{
    if (cs->sparse_size == 0 && !cs->compress) {
        /* -S 0: a fully allocated target, zeros written as data. */
        static uint8_t *zeros;
        if (!zeros) {
            zeros = g_malloc0(IO_CHUNK);
        }
        for (int64_t done = 0; done < n;) {
            int64_t step = MIN(n - done, (int64_t)IO_CHUNK);
            int ret = blk_pwrite(cs->target, dst + done, zeros, step, err);
            if (ret < 0) {
                return ret;
            }
            done += step;
        }
        return 0;
    }
    if (cs->target_zero_init && !cs->target_has_backing) {
        return 0;
    }
    return blk_write_zeroes(cs->target, dst, n, BLK_ZERO_MAY_UNMAP, err);
}

/* Write buf (n bytes at dst) leaving zero runs of sparse_size granules unwritten. */
static int write_sparse(ConvertState *cs, int64_t dst, const uint8_t *buf, int64_t n,
                        GError **err)
{
    if (cs->sparse_size <= 0) {
        return blk_pwrite(cs->target, dst, buf, n, err);
    }
    int64_t g = cs->sparse_size;
    int64_t pos = 0;
    while (pos < n) {
        /* Granules are aligned to the target offset so they match its clusters. */
        int64_t step = MIN(n - pos, g - ((dst + pos) % g));
        bool zero = blk_buffer_is_zero(buf + pos, step);
        int64_t run = step;
        while (pos + run < n) {
            int64_t s2 = MIN(n - pos - run, g);
            if (blk_buffer_is_zero(buf + pos + run, s2) != zero) {
                break;
            }
            run += s2;
        }
        int ret = zero ? write_zero_range(cs, dst + pos, run, err)
                       : blk_pwrite(cs->target, dst + pos, buf + pos, run, err);
        if (ret < 0) {
            return ret;
        }
        pos += run;
    }
    return 0;
}

static int write_compressed(ConvertState *cs, int64_t dst, const uint8_t *buf, int64_t n,
                            int64_t target_len, GError **err)
{
    int64_t c = cs->cluster_size;
    for (int64_t pos = 0; pos < n; pos += c) {
        int64_t len = MIN(c, n - pos);
        if (blk_buffer_is_zero(buf + pos, len)) {
            if (cs->target_has_backing) {
                int ret = blk_write_zeroes(cs->target, dst + pos, len, 0, err);
                if (ret < 0) {
                    return ret;
                }
            }
            continue;
        }
        if (len < c && dst + pos + len != target_len) {
            /* A partial cluster not at the end: store it uncompressed. */
            int ret = blk_pwrite(cs->target, dst + pos, buf + pos, len, err);
            if (ret < 0) {
                return ret;
            }
            continue;
        }
        int ret = blk_pwrite_compressed(cs->target, dst + pos, buf + pos, len, err);
        if (ret < 0) {
            return ret;
        }
    }
    return 0;
}

/*
 * The next run of one kind (data, zero, backing) starting at `offset`, up
 * to a buffer's worth; with compression, whole target clusters.
 */
static int next_segment(ConvertState *cs, BlockDriverState *bs, int64_t len, int64_t dst_base,
                        int64_t offset, SegType *type_out, int64_t *n_out, GError **err)
{
    int64_t limit = MIN(len - offset, IO_CHUNK);
    if (cs->compress) {
        int64_t c = cs->cluster_size;
        int64_t end = MIN(len, ((dst_base + offset + limit) / c) * c - dst_base);
        if (end > offset) {
            limit = end - offset;
        }
    }
    int64_t n = 0;
    SegType type = SEG_DATA;
    while (n < limit) {
        int64_t pnum, map;
        int depth;
        BlockDriverState *file_bs;
        int st;
        if (cs->target_has_backing) {
            st = bdrv_block_status(bs, offset + n, limit - n, &pnum, &map, err);
        } else {
            st = bdrv_block_status_above(bs, offset + n, limit - n, &pnum, &map, &depth,
                                         &file_bs, err);
        }
        if (st < 0) {
            return st;
        }
        SegType t = classify(st, cs->target_has_backing);
        if (n == 0) {
            type = t;
        } else if (t != type) {
            break;
        }
        n += pnum;
    }
    if (cs->compress) {
        int64_t c = cs->cluster_size;
        if (type != SEG_DATA && n < limit) {
            /* Keep compressed runs cluster aligned: a partial zero run is data. */
            int64_t aligned = ((dst_base + offset + n) / c) * c - dst_base;
            if (aligned <= offset) {
                type = SEG_DATA;
                n = MIN(limit, MAX(n, c - ((dst_base + offset) % c)));
            } else {
                n = aligned - offset;
            }
        }
        if (type == SEG_DATA) {
            /* Status runs may end mid-cluster: round the read up to whole clusters. */
            int64_t end = MIN(len, ((dst_base + offset + n + c - 1) / c) * c - dst_base);
            n = MIN(end - offset, (int64_t)IO_CHUNK);
        }
    }
    *type_out = type;
    *n_out = n;
    return 0;
}

/* Write one segment whose data (if any) is in buf. */
static int write_segment(ConvertState *cs, SegType type, int64_t dst, const uint8_t *buf,
                         int64_t n, int64_t target_len, GError **err)
{
    switch (type) {
    case SEG_BACKING:
        return 0;
    case SEG_ZERO:
        return write_zero_range(cs, dst, n, err);
    case SEG_DATA:
        return cs->compress ? write_compressed(cs, dst, buf, n, target_len, err)
                            : write_sparse(cs, dst, buf, n, err);
    }
    return 0;
}

static void convert_progress(ConvertState *cs, int64_t n)
{
    cs->done += n;
    img_progress(cs->progress, cs->total ? cs->done * 100.0 / cs->total : 100.0);
}

/* One thread reads while the other writes: buffers circulate between two queues. */
#define PIPE_BUFFERS 4

typedef struct Segment {
    SegType type;
    int64_t offset;
    int64_t len;
    uint8_t *buf;
    bool end;          /* last message: ret/err tell how the reader finished */
    int ret;
    GError *err;
} Segment;

typedef struct Pipeline {
    ConvertState *cs;
    BlockDriverState *bs;
    int64_t len;
    int64_t dst_base;
    GAsyncQueue *full;
    GAsyncQueue *free_bufs;
    gint cancel;
} Pipeline;

static gpointer reader_thread(gpointer opaque)
{
    Pipeline *p = opaque;
    int64_t offset = 0;
    int ret = 0;
    GError *err = NULL;

    while (offset < p->len && !g_atomic_int_get(&p->cancel)) {
        Segment *seg = g_new0(Segment, 1);
        ret = next_segment(p->cs, p->bs, p->len, p->dst_base, offset, &seg->type, &seg->len,
                           &err);
        if (ret < 0) {
            g_free(seg);
            break;
        }
        seg->offset = offset;
        if (seg->type == SEG_DATA) {
            seg->buf = g_async_queue_pop(p->free_bufs);
            ret = bdrv_pread(p->bs, offset, seg->buf, seg->len, &err);
            if (ret < 0) {
                g_async_queue_push(p->free_bufs, seg->buf);
                g_free(seg);
                break;
            }
        }
        offset += seg->len;
        g_async_queue_push(p->full, seg);
    }
    Segment *end = g_new0(Segment, 1);
    end->end = true;
    end->ret = ret;
    end->err = err;
    g_async_queue_push(p->full, end);
    return NULL;
}

static int convert_one(ConvertState *cs, BlockBackend *src, int64_t dst_base, GError **err)
{
    BlockDriverState *bs = blk_bs(src);
    int64_t len = blk_getlength(src);
    int64_t target_len = blk_getlength(cs->target);
    int ret = 0;

    if (cs->compress) {
        /* Compression is the bottleneck; keep it simple and sequential. */
        for (int64_t offset = 0; offset < len;) {
            SegType type;
            int64_t n;
            ret = next_segment(cs, bs, len, dst_base, offset, &type, &n, err);
            if (ret == 0 && type == SEG_DATA) {
                ret = bdrv_pread(bs, offset, cs->buf, n, err);
            }
            if (ret == 0) {
                ret = write_segment(cs, type, dst_base + offset, cs->buf, n, target_len, err);
            }
            if (ret < 0) {
                return ret;
            }
            offset += n;
            convert_progress(cs, n);
        }
        return 0;
    }

    Pipeline p = {
        .cs = cs, .bs = bs, .len = len, .dst_base = dst_base,
        .full = g_async_queue_new(), .free_bufs = g_async_queue_new(),
    };
    uint8_t *bufs[PIPE_BUFFERS];
    for (int i = 0; i < PIPE_BUFFERS; i++) {
        bufs[i] = alloc_buffer(IO_CHUNK);
        g_async_queue_push(p.free_bufs, bufs[i]);
    }
    GThread *reader = g_thread_new("convert-reader", reader_thread, &p);
    for (;;) {
        Segment *seg = g_async_queue_pop(p.full);
        if (seg->end) {
            if (ret == 0 && seg->ret < 0) {
                ret = seg->ret;
                g_propagate_error(err, seg->err);
            } else {
                g_clear_error(&seg->err);
            }
            g_free(seg);
            break;
        }
        if (ret == 0) {
            ret = write_segment(cs, seg->type, dst_base + seg->offset, seg->buf, seg->len,
                                target_len, err);
            if (ret < 0) {
                g_atomic_int_set(&p.cancel, 1);
            } else {
                convert_progress(cs, seg->len);
            }
        }
        if (seg->buf) {
            g_async_queue_push(p.free_bufs, seg->buf);
        }
        g_free(seg);
    }
    g_thread_join(reader);
    for (int i = 0; i < PIPE_BUFFERS; i++) {
        free(bufs[i]);
    }
    g_async_queue_unref(p.full);
    g_async_queue_unref(p.free_bufs);
    return ret;
}

int img_convert(int argc, char **argv)
{
    const char *fmt = NULL, *out_fmt = NULL, *backing = NULL, *backing_fmt = NULL;
    const char *cache_name = "unsafe", *src_cache_name = "writeback";
    GPtrArray *option_strs = g_ptr_array_new();
    bool compress = false, progress = false, quiet = false, no_create = false;
    bool target_is_zero = false;
    int64_t sparse_size = 4096;
    int c;
    static const struct option longopts[] = {
        { "help", no_argument, NULL, 'h' },
        { "force-share", no_argument, NULL, 'U' },
        { "target-is-zero", no_argument, NULL, 256 },
        { "salvage", no_argument, NULL, 257 },
        { NULL, 0, NULL, 0 },
    };
    while ((c = getopt_long(argc, argv, ":hf:O:B:CcF:o:l:S:pt:T:qnm:WUr:", longopts,
                            NULL)) != -1) {
        switch (c) {
        case 'f': fmt = optarg; break;
        case 'O': out_fmt = optarg; break;
        case 'B': backing = optarg; break;
        case 'F': backing_fmt = optarg; break;
        case 'c': compress = true; break;
        case 'C': break;
        case 'o': g_ptr_array_add(option_strs, optarg); break;
        case 'l': img_error("Internal snapshots as convert source (-l) are not supported"); return 1;
        case 'S':
            if (!blk_parse_size(optarg, &sparse_size) || sparse_size > INT_MAX ||
                (sparse_size % 512)) {
                img_error("Invalid buffer size for sparse output specified. Valid sizes are "
                          "multiples of 512 up to 2147483136.");
                return 1;
            }
            break;
        case 'p': progress = true; break;
        case 't': cache_name = optarg; break;
        case 'T': src_cache_name = optarg; break;
        case 'q': quiet = true; break;
        case 'n': no_create = true; break;
        case 'm': case 'W': case 'U': case 'r': break;
        case 256: target_is_zero = true; break;
        case 257: break;
        case 'h': return 0;
        case ':':
        default: return img_bad_option(c, argv, 1);
        }
    }
    if (quiet) {
        progress = false;
    }
    int nsrc = argc - optind - 1;
    if (nsrc < 1) {
        img_error("Expecting image file name");
        return 1;
    }
    const char *out_filename = argv[argc - 1];
    if (!out_fmt) {
        out_fmt = "raw";
    }
    if (strcmp(out_fmt, "raw") && strcmp(out_fmt, "qcow2")) {
        img_error("Unknown file format '%s'", out_fmt);
        return 1;
    }
    if (compress && strcmp(out_fmt, "qcow2")) {
        img_error("Compression not supported for this file format");
        return 1;
    }
    if (backing && no_create) {
        img_error("Specifying backing image makes no sense when not creating the target");
        return 1;
    }
    BlockCacheMode cache, src_cache;
    if (!img_parse_cache(cache_name, &cache) || !img_parse_cache(src_cache_name, &src_cache)) {
        return 1;
    }

    BlockBackend **srcs = g_new0(BlockBackend *, nsrc);
    BlockBackend *target = NULL;
    GPtrArray *keep = g_ptr_array_new_with_free_func(g_free);
    ConvertState cs = { .compress = compress, .progress = progress };
    GError *err = NULL;
    int ret = 1;
    int64_t total = 0;

    for (int i = 0; i < nsrc; i++) {
        srcs[i] = img_open(argv[optind + i], fmt, 0, src_cache);
        if (!srcs[i]) {
            goto out;
        }
        total += blk_getlength(srcs[i]);
    }
    BlockCreateOptions opts = { .format = out_fmt, .size = total };
    for (guint i = 0; i < option_strs->len; i++) {
        if (!blk_parse_create_options(option_strs->pdata[i], &opts, keep, &err)) {
            img_error("%s", err->message);
            goto out;
        }
    }
    if (backing) {
        opts.backing_file = backing;
        opts.backing_format = backing_fmt;
    }
    opts.size = total;
    if (opts.backing_file && !opts.backing_format && !no_create) {
        /* Probe the backing format so the image records it (qemu-img requires -F). */
        char *path = blk_resolve_backing_path(out_filename, opts.backing_file);
        BlockBackend *b = img_open(path, NULL, BLK_OPEN_NO_IO, BLK_CACHE_WRITEBACK);
        g_free(path);
        if (!b) {
            goto out;
        }
        g_ptr_array_add(keep, g_strdup(blk_format_name(b)));
        opts.backing_format = keep->pdata[keep->len - 1];
        blk_close(b);
    }
    if (!no_create) {
        if (!strcmp(out_fmt, "raw") && (opts.cluster_size || opts.compat ||
                                         opts.compression_type || opts.backing_file)) {
            img_error("Invalid options for file format 'raw'");
            goto out;
        }
        if (blk_create(out_filename, &opts, &err) < 0) {
            img_error("%s: error while converting %s: %s", out_filename, out_fmt, err->message);
            goto out;
        }
    }
    /* With its backing chain: partial-cluster writes copy from it. */
    target = img_open(out_filename, out_fmt, BLK_OPEN_RDWR, cache);
    if (!target) {
        goto out;
    }
    if (blk_getlength(target) < total) {
        img_error("Target image is too small (%" PRId64 " bytes, need %" PRId64 ")",
                  blk_getlength(target), total);
        goto out;
    }
    cs.target = target;
    cs.target_has_backing = opts.backing_file != NULL ||
                            bdrv_backing_file_name(blk_bs(target)) != NULL;
    cs.target_zero_init = !no_create || target_is_zero;
    cs.cluster_size = bdrv_cluster_size(blk_bs(target));
    if (compress && !cs.cluster_size) {
        img_error("Compression not supported for this file format");
        goto out;
    }
    cs.sparse_size = sparse_size;
    if (sparse_size && cs.cluster_size > sparse_size && !compress) {
        /* Skipping zeros below the target's cluster size would only split writes. */
        cs.sparse_size = cs.cluster_size;
    }
    cs.buf = alloc_buffer(compress ? IO_CHUNK + cs.cluster_size : 4096);
    cs.total = total;
    if (!cs.buf) {
        img_error("Out of memory");
        goto out;
    }
    img_progress(progress, 0);
    int64_t dst = 0;
    for (int i = 0; i < nsrc; i++) {
        if (convert_one(&cs, srcs[i], dst, &err) < 0) {
            img_error("error while converting %s: %s", out_fmt, err->message);
            goto out;
        }
        dst += blk_getlength(srcs[i]);
    }
    if (blk_flush(target, &err) < 0) {
        img_error("error while flushing %s: %s", out_filename, err->message);
        goto out;
    }
    img_progress_done(progress);
    ret = 0;
out:
    g_clear_error(&err);
    free(cs.buf);
    if (target) {
        blk_close(target);
    }
    for (int i = 0; i < nsrc; i++) {
        if (srcs[i]) {
            blk_close(srcs[i]);
        }
    }
    g_free(srcs);
    g_ptr_array_free(keep, TRUE);
    g_ptr_array_free(option_strs, TRUE);
    return ret;
}

/* ---- compare ---- */

/* Offset (512-byte granular, as qemu-img) of the first difference, or -1. */
static int64_t first_difference(const uint8_t *a, const uint8_t *b, int64_t n)
{
    for (int64_t pos = 0; pos < n; pos += 512) {
        int64_t len = MIN(512, n - pos);
        if (b ? memcmp(a + pos, b + pos, len) : !blk_buffer_is_zero(a + pos, len)) {
            return pos;
        }
    }
    return -1;
}

static bool status_is_zero(int st)
{
    return (st & BLK_STATUS_ZERO) || !(st & BLK_STATUS_DATA);
}

/* The tail of the longer image must read as zeros. */
static int compare_tail(BlockDriverState *bs, int64_t from, int64_t to, uint8_t *buf,
                        bool quiet)
{
    GError *err = NULL;
    for (int64_t off = from; off < to;) {
        int64_t pnum, map;
        int depth;
        BlockDriverState *file_bs;
        int st = bdrv_block_status_above(bs, off, MIN(to - off, IO_CHUNK), &pnum, &map, &depth,
                                         &file_bs, &err);
        if (st < 0) {
            img_error("Error while reading offset %" PRId64 ": %s", off, err->message);
            g_error_free(err);
            return 3;
        }
        if (!status_is_zero(st)) {
            if (bdrv_pread(bs, off, buf, pnum, &err) < 0) {
                img_error("Error while reading offset %" PRId64 ": %s", off, err->message);
                g_error_free(err);
                return 4;
            }
            int64_t d = first_difference(buf, NULL, pnum);
            if (d >= 0) {
                if (!quiet) {
                    printf("Content mismatch at offset %" PRId64 "!\n", off + d);
                }
                return 1;
            }
        }
        off += pnum;
    }
    return 0;
}

int img_compare(int argc, char **argv)
{
    const char *fmt1 = NULL, *fmt2 = NULL, *cache_name = "writeback";
    bool progress = false, quiet = false, strict = false;
    int c;
    static const struct option longopts[] = {
        { "help", no_argument, NULL, 'h' },
        { "force-share", no_argument, NULL, 'U' },
        { NULL, 0, NULL, 0 },
    };
    while ((c = getopt_long(argc, argv, ":hf:F:T:pqsU", longopts, NULL)) != -1) {
        switch (c) {
        case 'f': fmt1 = optarg; break;
        case 'F': fmt2 = optarg; break;
        case 'T': cache_name = optarg; break;
        case 'p': progress = true; break;
        case 'q': quiet = true; break;
        case 's': strict = true; break;
        case 'U': break;
        case 'h': return 0;
        case ':':
        default: return img_bad_option(c, argv, 2);
        }
    }
    if (quiet) {
        progress = false;
    }
    if (optind != argc - 2) {
        img_error("Expecting two image file names");
        return 2;
    }
    BlockCacheMode cache;
    if (!img_parse_cache(cache_name, &cache)) {
        return 2;
    }
    const char *f1 = argv[optind], *f2 = argv[optind + 1];
    BlockBackend *b1 = img_open(f1, fmt1, 0, cache);
    if (!b1) {
        return 2;
    }
    BlockBackend *b2 = img_open(f2, fmt2, 0, cache);
    if (!b2) {
        blk_close(b1);
        return 2;
    }
    BlockDriverState *bs1 = blk_bs(b1), *bs2 = blk_bs(b2);
    int64_t len1 = blk_getlength(b1), len2 = blk_getlength(b2);
    int64_t common = MIN(len1, len2), total = MAX(len1, len2);
    uint8_t *buf1 = alloc_buffer(IO_CHUNK), *buf2 = alloc_buffer(IO_CHUNK);
    GError *err = NULL;
    int ret = 0;

    if (strict && len1 != len2) {
        if (!quiet) {
            printf("Strict mode: Image size mismatch!\n");
        }
        ret = 1;
        goto out;
    }
    img_progress(progress, 0);
    for (int64_t off = 0; off < common;) {
        int64_t n1, n2, map;
        int depth;
        BlockDriverState *fbs;
        int st1 = bdrv_block_status_above(bs1, off, MIN(common - off, IO_CHUNK), &n1, &map,
                                          &depth, &fbs, &err);
        if (st1 < 0) {
            img_error("Sector allocation test failed for %s: %s", f1, err->message);
            ret = 3;
            goto out;
        }
        int st2 = bdrv_block_status_above(bs2, off, MIN(common - off, IO_CHUNK), &n2, &map,
                                          &depth, &fbs, &err);
        if (st2 < 0) {
            img_error("Sector allocation test failed for %s: %s", f2, err->message);
            ret = 3;
            goto out;
        }
        int64_t n = MIN(n1, n2);
        if (strict && ((st1 & BLK_STATUS_ALLOCATED) != (st2 & BLK_STATUS_ALLOCATED))) {
            if (!quiet) {
                printf("Strict mode: Offset %" PRId64 " block status mismatch!\n", off);
            }
            ret = 1;
            goto out;
        }
        bool z1 = status_is_zero(st1), z2 = status_is_zero(st2);
        if (!(z1 && z2)) {
            if (!z1 && bdrv_pread(bs1, off, buf1, n, &err) < 0) {
                img_error("Error while reading offset %" PRId64 " of %s: %s", off, f1,
                          err->message);
                ret = 4;
                goto out;
            }
            if (!z2 && bdrv_pread(bs2, off, buf2, n, &err) < 0) {
                img_error("Error while reading offset %" PRId64 " of %s: %s", off, f2,
                          err->message);
                ret = 4;
                goto out;
            }
            int64_t d = z1 ? first_difference(buf2, NULL, n)
                      : z2 ? first_difference(buf1, NULL, n)
                           : first_difference(buf1, buf2, n);
            if (d >= 0) {
                if (!quiet) {
                    printf("Content mismatch at offset %" PRId64 "!\n", off + d);
                }
                ret = 1;
                goto out;
            }
        }
        off += n;
        img_progress(progress, total ? off * 100.0 / total : 100.0);
    }
    if (len1 != len2) {
        if (!quiet) {
            printf("Warning: Image size mismatch!\n");
        }
        ret = compare_tail(len1 > len2 ? bs1 : bs2, common, total, buf1, quiet);
        if (ret) {
            goto out;
        }
    }
    img_progress_done(progress);
    if (!quiet) {
        printf("Images are identical.\n");
    }
out:
    g_clear_error(&err);
    free(buf1);
    free(buf2);
    blk_close(b1);
    blk_close(b2);
    return ret;
}

/* ---- commit ---- */

static bool same_file(const char *a, const char *b)
{
    char *ra = realpath(a, NULL), *rb = realpath(b, NULL);
    bool same = ra && rb && !strcmp(ra, rb);
    free(ra);
    free(rb);
    return same;
}

int img_commit(int argc, char **argv)
{
    const char *fmt = NULL, *base_name = NULL, *cache_name = "unsafe";
    bool quiet = false, progress = false, drop = false;
    int c;
    static const struct option longopts[] = {
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    while ((c = getopt_long(argc, argv, ":f:ht:b:dpqr:", longopts, NULL)) != -1) {
        switch (c) {
        case 'f': fmt = optarg; break;
        case 't': cache_name = optarg; break;
        case 'b': base_name = optarg; drop = true; break;
        case 'd': drop = true; break;
        case 'p': progress = true; break;
        case 'q': quiet = true; break;
        case 'r': break;
        case 'h': return 0;
        case ':':
        default: return img_bad_option(c, argv, 1);
        }
    }
    if (quiet) {
        progress = false;
    }
    if (!img_expect_one_filename(argc)) {
        return 1;
    }
    BlockCacheMode cache;
    if (!img_parse_cache(cache_name, &cache)) {
        return 1;
    }
    const char *filename = argv[optind];
    BlockBackend *blk = img_open(filename, fmt, BLK_OPEN_RDWR, cache);
    if (!blk) {
        return 1;
    }
    BlockDriverState *top = blk_bs(blk);
    BlockDriverState *base = bdrv_backing(top);
    int base_depth = 1;
    BlockBackend *base_blk = NULL;
    uint8_t *buf = NULL;
    GError *err = NULL;
    int ret = 1;

    if (!base) {
        img_error("Image does not have a backing file");
        goto out;
    }
    if (base_name) {
        base = NULL;
        int d = 1;
        for (BlockDriverState *b = bdrv_backing(top); b; b = bdrv_backing(b), d++) {
            if (same_file(bdrv_filename(b), base_name)) {
                base = b;
                base_depth = d;
                break;
            }
        }
        if (!base) {
            img_error("Did not find '%s' in the backing chain of '%s'", base_name, filename);
            goto out;
        }
    }
    base_blk = img_open(bdrv_filename(base), bdrv_format_name(base), BLK_OPEN_RDWR, cache);
    if (!base_blk) {
        goto out;
    }
    int64_t len = bdrv_getlength(top);
    if (blk_getlength(base_blk) < len && blk_truncate(base_blk, len, false, &err) < 0) {
        img_error("Could not resize the base image: %s", err->message);
        goto out;
    }
    buf = alloc_buffer(IO_CHUNK);
    img_progress(progress, 0);
    for (int64_t off = 0; off < len;) {
        int64_t n, map;
        int depth;
        BlockDriverState *fbs;
        int st = bdrv_block_status_above(top, off, MIN(len - off, IO_CHUNK), &n, &map, &depth,
                                         &fbs, &err);
        if (st < 0) {
            img_error("%s", err->message);
            goto out;
        }
        if ((st & BLK_STATUS_ALLOCATED) && depth < base_depth) {
            int r;
            if (st & BLK_STATUS_ZERO) {
                r = blk_write_zeroes(base_blk, off, n, 0, &err);
            } else {
                r = bdrv_pread(top, off, buf, n, &err);
                if (r == 0) {
                    r = blk_pwrite(base_blk, off, buf, n, &err);
                }
            }
            if (r < 0) {
                img_error("Error while committing: %s", err->message);
                goto out;
            }
        }
        off += n;
        img_progress(progress, len ? off * 100.0 / len : 100.0);
    }
    if (blk_flush(base_blk, &err) < 0) {
        img_error("%s", err->message);
        goto out;
    }
    if (!drop && bdrv_make_empty(top, &err) < 0) {
        img_error("Could not empty %s: %s", filename, err->message);
        goto out;
    }
    img_progress_done(progress);
    if (!quiet) {
        printf("Image committed.\n");
    }
    ret = 0;
out:
    g_clear_error(&err);
    free(buf);
    if (base_blk) {
        blk_close(base_blk);
    }
    blk_close(blk);
    return ret;
}

/* ---- rebase ---- */

int img_rebase(int argc, char **argv)
{
    const char *fmt = NULL, *out_base = NULL, *out_fmt = NULL;
    const char *cache_name = "writeback", *src_cache_name = "writeback";
    bool unsafe = false, progress = false, quiet = false;
    int c;
    static const struct option longopts[] = {
        { "help", no_argument, NULL, 'h' },
        { "force-share", no_argument, NULL, 'U' },
        { NULL, 0, NULL, 0 },
    };
    while ((c = getopt_long(argc, argv, ":hf:F:b:upt:T:qU", longopts, NULL)) != -1) {
        switch (c) {
        case 'f': fmt = optarg; break;
        case 'F': out_fmt = optarg; break;
        case 'b': out_base = optarg; break;
        case 'u': unsafe = true; break;
        case 'p': progress = true; break;
        case 't': cache_name = optarg; break;
        case 'T': src_cache_name = optarg; break;
        case 'q': quiet = true; break;
        case 'U': break;
        case 'h': return 0;
        case ':':
        default: return img_bad_option(c, argv, 1);
        }
    }
    if (quiet) {
        progress = false;
    }
    if (!img_expect_one_filename(argc)) {
        return 1;
    }
    if (!out_base) {
        img_error("Must specify backing file (-b) or use '-b \"\"' to remove the backing file");
        return 1;
    }
    BlockCacheMode cache, src_cache;
    if (!img_parse_cache(cache_name, &cache) || !img_parse_cache(src_cache_name, &src_cache)) {
        return 1;
    }
    (void)src_cache;
    const char *filename = argv[optind];
    BlockBackend *blk = img_open(filename, fmt, BLK_OPEN_RDWR |
                                 (unsafe ? BLK_OPEN_NO_BACKING : 0), cache);
    if (!blk) {
        return 1;
    }
    BlockDriverState *top = blk_bs(blk);
    BlockBackend *new_blk = NULL;
    uint8_t *old_buf = NULL, *new_buf = NULL;
    GError *err = NULL;
    int ret = 1;
    char *probed = NULL;

    if (*out_base && !out_fmt) {
        /* Record the new backing file's format (probed) so it is never guessed later. */
        char *path = blk_resolve_backing_path(filename, out_base);
        BlockBackend *b = blk_open(path, NULL, BLK_OPEN_NO_IO, BLK_CACHE_WRITEBACK, NULL);
        g_free(path);
        if (b) {
            probed = g_strdup(blk_format_name(b));
            out_fmt = probed;
            blk_close(b);
        } else if (!unsafe) {
            img_error("Could not open new backing file '%s'", out_base);
            goto out;
        }
    }
    if (!unsafe) {
        BlockDriverState *old_backing = bdrv_backing(top);
        BlockDriverState *new_backing = NULL;
        if (*out_base) {
            char *path = blk_resolve_backing_path(filename, out_base);
            new_blk = img_open(path, out_fmt, 0, src_cache);
            g_free(path);
            if (!new_blk) {
                goto out;
            }
            new_backing = blk_bs(new_blk);
        }
        int64_t len = bdrv_getlength(top);
        int64_t unit = bdrv_cluster_size(top) ? bdrv_cluster_size(top) : 65536;
        old_buf = alloc_buffer(IO_CHUNK);
        new_buf = alloc_buffer(IO_CHUNK);
        img_progress(progress, 0);
        for (int64_t off = 0; off < len;) {
            int64_t n, map;
            int st = bdrv_block_status(top, off, MIN(len - off, IO_CHUNK), &n, &map, &err);
            if (st < 0) {
                img_error("error while reading image metadata: %s", err->message);
                goto out;
            }
            if (!(st & BLK_STATUS_ALLOCATED)) {
                /* Reads come from the backing chain: keep what the old one gave. */
                if (read_or_zero(old_backing, off, old_buf, n, &err) < 0 ||
                    read_or_zero(new_backing, off, new_buf, n, &err) < 0) {
                    img_error("error while reading: %s", err->message);
                    goto out;
                }
                for (int64_t pos = 0; pos < n;) {
                    int64_t step = MIN(n - pos, unit - ((off + pos) % unit));
                    if (memcmp(old_buf + pos, new_buf + pos, step) != 0) {
                        if (blk_pwrite(blk, off + pos, old_buf + pos, step, &err) < 0) {
                            img_error("error while writing to %s: %s", filename, err->message);
                            goto out;
                        }
                    }
                    pos += step;
                }
            }
            off += n;
            img_progress(progress, len ? off * 100.0 / len : 100.0);
        }
        if (blk_flush(blk, &err) < 0) {
            img_error("%s", err->message);
            goto out;
        }
    }
    if (bdrv_change_backing_file(top, *out_base ? out_base : NULL, out_fmt, &err) < 0) {
        img_error("Could not change the backing file to '%s': %s", out_base, err->message);
        goto out;
    }
    img_progress_done(progress);
    ret = 0;
out:
    g_clear_error(&err);
    g_free(probed);
    free(old_buf);
    free(new_buf);
    if (new_blk) {
        blk_close(new_blk);
    }
    blk_close(blk);
    return ret;
}
