/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The block layer: disk images for devices (asynchronous, completing on
 * the main loop) and for tools (synchronous).
 *
 * A BlockBackend is an open image: a format driver (raw, qcow2) over a
 * host file, with an optional chain of backing images below it.  Byte
 * offsets and lengths are guest (virtual disk) offsets; requests need no
 * alignment.
 *
 * Threading.  The synchronous calls run the driver in the calling thread.
 * The asynchronous calls queue a request to a small worker pool (a
 * GThreadPool shared by all backends); the completion callback runs on the
 * thread that iterates glib's default GMainContext, i.e. the main loop
 * thread with the device lock held (hw/core/mainloop.h).  A driver that is
 * not thread safe (qcow2: its metadata caches) is serialised per image by
 * the backend's lock, so synchronous and asynchronous callers may be mixed.
 *
 * Errors: data-path calls return 0 or a negative errno, and fill *err (may
 * be NULL) with a message that names the image and what failed; the GError
 * domain is IOEMU_ERROR (hw/core/device.h) and its code the positive errno.
 */
#ifndef BLOCK_BLOCK_H
#define BLOCK_BLOCK_H

#include <glib.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

typedef struct BlockBackend BlockBackend;
typedef struct BlockDriverState BlockDriverState;

/*
 * Cache modes, as QEMU's -drive cache=: whether the host page cache is
 * bypassed (O_DIRECT), whether the guest sees a volatile write cache
 * (writethrough modes flush after every write), and whether flushes reach
 * the disk at all (unsafe ignores them).
 *
 *               O_DIRECT  flush after each write  flush honoured
 * writeback        no            no                     yes
 * writethrough     no            yes                    yes
 * none             yes           no                     yes
 * directsync       yes           yes                    yes
 * unsafe           no            no                     no
 */
typedef enum BlockCacheMode {
    BLK_CACHE_WRITEBACK,
    BLK_CACHE_WRITETHROUGH,
    BLK_CACHE_NONE,
    BLK_CACHE_DIRECTSYNC,
    BLK_CACHE_UNSAFE,
} BlockCacheMode;

bool blk_parse_cache_mode(const char *name, BlockCacheMode *mode);
const char *blk_cache_mode_name(BlockCacheMode mode);

enum {
    BLK_OPEN_RDWR        = 1u << 0,  /* else read-only */
    BLK_OPEN_NO_BACKING  = 1u << 1,  /* don't open the backing chain (info, rebase -u) */
    BLK_OPEN_REPAIR      = 1u << 2,  /* check -r: allow a corrupt image read-write */
    BLK_OPEN_NO_IO       = 1u << 3,  /* metadata only (info): skip dirty-image repair */
};

/*
 * Open `filename`.  `format` is "raw", "qcow2" or NULL to probe (a qcow2
 * magic number means qcow2, anything else raw).  The backing chain is
 * opened read-only, each file's format taken from the image's record of it
 * or probed; loops and chains deeper than BLK_MAX_BACKING_DEPTH fail.
 * A corrupt qcow2 image asked for read-write opens read-only with a warning
 * on stderr (unless BLK_OPEN_REPAIR).
 */
#define BLK_MAX_BACKING_DEPTH 256
BlockBackend *blk_open(const char *filename, const char *format, unsigned flags,
                       BlockCacheMode cache, GError **err);
/*
 * Waits for in-flight requests, flushes (errors reported on stderr) and
 * frees.  Not from inside a completion callback of the same backend (defer
 * it to a bottom half).
 */
void blk_close(BlockBackend *blk);

/* Properties. */
const char *blk_filename(BlockBackend *blk);
const char *blk_format_name(BlockBackend *blk);
bool blk_is_read_only(BlockBackend *blk);
BlockDriverState *blk_bs(BlockBackend *blk);         /* top of the chain */
int64_t blk_getlength(BlockBackend *blk);           /* virtual size in bytes */

/*
 * The guest-visible volatile write cache (ATA SET FEATURES 02h/82h).  When
 * disabled every write is followed by a flush, as in the writethrough
 * modes.  Starts enabled unless the cache mode is writethrough/directsync.
 */
void blk_set_enable_write_cache(BlockBackend *blk, bool enable);
bool blk_enable_write_cache(BlockBackend *blk);

/* ---- synchronous IO (tools, tests) ---- */
int blk_pread(BlockBackend *blk, int64_t offset, void *buf, int64_t bytes, GError **err);
int blk_pwrite(BlockBackend *blk, int64_t offset, const void *buf, int64_t bytes, GError **err);
int blk_preadv(BlockBackend *blk, int64_t offset, const struct iovec *iov, int iovcnt, GError **err);
int blk_pwritev(BlockBackend *blk, int64_t offset, const struct iovec *iov, int iovcnt, GError **err);
/* Write one compressed cluster (qcow2 only; offset and length cluster aligned). */
int blk_pwrite_compressed(BlockBackend *blk, int64_t offset, const void *buf, int64_t bytes,
                          GError **err);
int blk_flush(BlockBackend *blk, GError **err);
/* Deallocate; the range reads back as zeros afterwards (or, on a raw file, as before). */
int blk_discard(BlockBackend *blk, int64_t offset, int64_t bytes, GError **err);
enum {
    BLK_ZERO_MAY_UNMAP = 1u << 0,  /* may deallocate instead of keeping allocation */
};
int blk_write_zeroes(BlockBackend *blk, int64_t offset, int64_t bytes, unsigned flags,
                     GError **err);
int blk_truncate(BlockBackend *blk, int64_t size, bool allow_shrink, GError **err);

/*
 * Block status of [offset, offset+bytes) in the top image: returns a mask
 * of BLK_STATUS_* (or -errno) and sets *pnum to the length (> 0) of the
 * run starting at offset that shares that status.  `*map` (if given) gets
 * the host offset of the data in `*file_bs` when BLK_STATUS_OFFSET_VALID.
 */
enum {
    BLK_STATUS_DATA         = 1u << 0,  /* reads from a data area (may still be zero) */
    BLK_STATUS_ZERO         = 1u << 1,  /* reads as zeros */
    BLK_STATUS_OFFSET_VALID = 1u << 2,  /* *map is valid */
    BLK_STATUS_ALLOCATED    = 1u << 3,  /* defined by this layer, not the backing file */
    BLK_STATUS_COMPRESSED   = 1u << 4,  /* qcow2 compressed cluster (no offset) */
};
int blk_block_status(BlockBackend *blk, int64_t offset, int64_t bytes, int64_t *pnum,
                     int64_t *map, GError **err);
/* The same for one layer of the chain. */
int bdrv_block_status(BlockDriverState *bs, int64_t offset, int64_t bytes, int64_t *pnum,
                      int64_t *map, GError **err);
/*
 * Status through the chain: walks down from `bs` until a layer defines the
 * range (or the bottom); *depth is the layer index (0 = bs), *file_bs the
 * layer.  Beyond a shorter backing image the range reads as zero.
 */
int bdrv_block_status_above(BlockDriverState *bs, int64_t offset, int64_t bytes,
                            int64_t *pnum, int64_t *map, int *depth,
                            BlockDriverState **file_bs, GError **err);

/* ---- asynchronous IO (devices) ---- */
typedef void BlockCompletionFunc(void *opaque, int ret);

/*
 * Queue a request; `cb(opaque, ret)` runs later on the main loop thread,
 * never from inside these calls.  The iovec array is copied; the buffers it
 * points to must stay valid until the callback.  On error the backend
 * prints the context once to stderr and ret is -errno.
 */
void blk_aio_preadv(BlockBackend *blk, int64_t offset, const struct iovec *iov, int iovcnt,
                    BlockCompletionFunc *cb, void *opaque);
void blk_aio_pwritev(BlockBackend *blk, int64_t offset, const struct iovec *iov, int iovcnt,
                     BlockCompletionFunc *cb, void *opaque);
void blk_aio_flush(BlockBackend *blk, BlockCompletionFunc *cb, void *opaque);
void blk_aio_pdiscard(BlockBackend *blk, int64_t offset, int64_t bytes,
                      BlockCompletionFunc *cb, void *opaque);
/* Requests queued and not yet completed (callback not yet run). */
unsigned blk_aio_in_flight(BlockBackend *blk);
/*
 * Wait for every request of `blk` and run their callbacks now, in this
 * (main loop) thread.  Used before reset, snapshot, close.
 */
void blk_drain(BlockBackend *blk);

/* ---- image creation and maintenance (tools) ---- */

typedef struct BlockCreateOptions {
    const char *format;          /* "raw" or "qcow2" */
    int64_t size;                /* bytes; -1: take it from the backing file */
    /* qcow2 */
    int cluster_size;            /* 0: 65536 */
    int compat;                  /* 2 or 3 (compat=0.10 / 1.1); 0: 3 */
    const char *backing_file;
    const char *backing_format;
    int compression_type;        /* 0 zlib, 1 zstd */
    int refcount_bits;           /* 0: 16 */
    bool lazy_refcounts;
    bool backing_unsafe;         /* -u: don't open the backing file */
} BlockCreateOptions;

int blk_create(const char *filename, const BlockCreateOptions *opts, GError **err);

/* Parse "-o key=val,key=val" into opts (strings point into a copy kept in *keep). */
bool blk_parse_create_options(const char *optstr, BlockCreateOptions *opts,
                              GPtrArray *keep, GError **err);
/*
 * Where a backing file named `backing` in image `image_filename` lives: a
 * relative name is relative to the directory of the image (newly allocated).
 */
char *blk_resolve_backing_path(const char *image_filename, const char *backing);

/* True if all `len` bytes are zero (fast for the common non-zero case). */
bool blk_buffer_is_zero(const void *buf, size_t len);

/* Sizes as qemu-img: a number with an optional k/K, M, G, T, P, E suffix (b ignored). */
bool blk_parse_size(const char *str, int64_t *size);

/* Image description for `info`. */
typedef struct BlockSnapshotInfo {
    char *id;
    char *name;
    uint64_t vm_state_size;
    uint32_t date_sec;
    uint32_t date_nsec;
    uint64_t vm_clock_nsec;
    uint64_t icount;             /* UINT64_MAX: not recorded */
    uint64_t disk_size;          /* 0: not recorded */
} BlockSnapshotInfo;

typedef struct BlockImageInfo {
    char *filename;
    const char *format;
    int64_t virtual_size;
    int64_t actual_size;         /* bytes allocated on the host, -1 unknown */
    int64_t cluster_size;        /* 0: not applicable */
    char *backing_file;          /* as recorded in the image */
    char *full_backing_file;     /* resolved path */
    char *backing_format;
    bool dirty;
    bool encrypted;
    GArray *snapshots;           /* of BlockSnapshotInfo; may be NULL */
    /* qcow2 format-specific */
    bool has_qcow2;
    int qcow2_version;
    bool lazy_refcounts;
    int refcount_bits;
    bool corrupt;
    const char *compression_type;
} BlockImageInfo;

int bdrv_get_image_info(BlockDriverState *bs, BlockImageInfo *info, GError **err);
void block_image_info_clear(BlockImageInfo *info);

/* Consistency check (qcow2; raw has nothing to check). */
typedef struct BlockCheckResult {
    int corruptions;
    int leaks;
    int check_errors;
    int corruptions_fixed;
    int leaks_fixed;
    int64_t image_end_offset;
    int64_t total_clusters;
    int64_t allocated_clusters;
    int64_t fragmented_clusters;
    int64_t compressed_clusters;
    bool has_cluster_stats;
} BlockCheckResult;

enum {
    BLK_FIX_LEAKS  = 1u << 0,
    BLK_FIX_ERRORS = 1u << 1,
};
/* Returns 0, -ENOTSUP (format has no check) or -errno if the check itself failed. */
int bdrv_check(BlockDriverState *bs, BlockCheckResult *res, unsigned fix, GError **err);

/* Internal snapshots (qcow2). */
int bdrv_snapshot_create(BlockDriverState *bs, const char *name, GError **err);
int bdrv_snapshot_goto(BlockDriverState *bs, const char *id_or_name, GError **err);
int bdrv_snapshot_delete(BlockDriverState *bs, const char *id_or_name, GError **err);
/* Returns a GArray of BlockSnapshotInfo (free with block_snapshot_list_free). */
GArray *bdrv_snapshot_list(BlockDriverState *bs, GError **err);
void block_snapshot_list_free(GArray *list);

/*
 * Rewrite the image's record of its backing file (NULL name: none).  Only
 * the header changes; the data is the caller's business (rebase).
 */
int bdrv_change_backing_file(BlockDriverState *bs, const char *backing_file,
                             const char *backing_format, GError **err);
/* Drop every allocation of this layer so it reads through to its backing (commit). */
int bdrv_make_empty(BlockDriverState *bs, GError **err);

/* Chain navigation and per-layer access. */
BlockDriverState *bdrv_backing(BlockDriverState *bs);
/* The backing file name recorded in the image (NULL: none), opened or not. */
const char *bdrv_backing_file_name(BlockDriverState *bs);
const char *bdrv_filename(BlockDriverState *bs);
const char *bdrv_format_name(BlockDriverState *bs);
int64_t bdrv_getlength(BlockDriverState *bs);
int64_t bdrv_cluster_size(BlockDriverState *bs);     /* 0: not a clustered format */
/* Read one layer (with its own backing below it, as a guest would). */
int bdrv_pread(BlockDriverState *bs, int64_t offset, void *buf, int64_t bytes, GError **err);
int bdrv_pwrite(BlockDriverState *bs, int64_t offset, const void *buf, int64_t bytes,
                GError **err);
int bdrv_flush(BlockDriverState *bs, GError **err);

#endif
