/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Block layer internals shared by the generic code (block.c, aio.c) and the
 * drivers (raw.c, qcow2*.c).  Not for devices or tools: they use block.h.
 */
#ifndef BLOCK_BLOCK_INT_H
#define BLOCK_BLOCK_INT_H

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <sys/uio.h>

#include "block/block.h"

/* ---- I/O vectors ---- */

/* A scatter/gather list and its total size. */
typedef struct BlockIOV {
    const struct iovec *iov;
    int niov;
    size_t size;
} BlockIOV;

void biov_init_buf(BlockIOV *qiov, struct iovec *one, void *buf, size_t len);
void biov_init(BlockIOV *qiov, const struct iovec *iov, int niov);
/* Copy between the vector (from byte `offset` on) and a flat buffer. */
void biov_to_buf(const BlockIOV *qiov, size_t offset, void *buf, size_t len);
void biov_from_buf(const BlockIOV *qiov, size_t offset, const void *buf, size_t len);
void biov_memset(const BlockIOV *qiov, size_t offset, int c, size_t len);
/*
 * Describe bytes [offset, offset+len) of qiov with at most `max` iovecs in
 * out[]; returns the count, or -1 if more than `max` would be needed.
 */
int biov_slice(const BlockIOV *qiov, size_t offset, size_t len, struct iovec *out, int max);
bool buffer_is_zero(const void *buf, size_t len);

/* ---- host files (raw.c) ---- */

typedef struct HostFile HostFile;

/*
 * Open a regular file or a block device.  With `direct` every transfer is
 * aligned to the device's logical block size through bounce buffers.
 * `no_flush` (cache=unsafe) turns host_file_flush into a no-op.
 */
HostFile *host_file_open(const char *path, bool writable, bool direct, bool no_flush,
                         GError **err);
void host_file_close(HostFile *f);
const char *host_file_path(HostFile *f);
bool host_file_is_block_device(HostFile *f);
/* Reads beyond the end of the file return zeros (as QEMU's file driver). */
int host_file_pread(HostFile *f, int64_t offset, void *buf, size_t len, GError **err);
int host_file_preadv(HostFile *f, int64_t offset, const BlockIOV *qiov, size_t qiov_offset,
                     size_t len, GError **err);
int host_file_pwrite(HostFile *f, int64_t offset, const void *buf, size_t len, GError **err);
int host_file_pwritev(HostFile *f, int64_t offset, const BlockIOV *qiov, size_t qiov_offset,
                      size_t len, GError **err);
int host_file_flush(HostFile *f, GError **err);
int64_t host_file_length(HostFile *f);
int64_t host_file_allocated_size(HostFile *f);
int host_file_truncate(HostFile *f, int64_t size, GError **err);
/* Punch a hole (reads back zero); -ENOTSUP if the file system can't. */
int host_file_discard(HostFile *f, int64_t offset, int64_t len);
/* Make the range read as zeros, deallocating when the file system allows. */
int host_file_write_zeroes(HostFile *f, int64_t offset, int64_t len, GError **err);
/* Data/hole status via SEEK_DATA/SEEK_HOLE; returns BLK_STATUS_* and *pnum. */
int host_file_block_status(HostFile *f, int64_t offset, int64_t bytes, int64_t *pnum);
/* True when the file was created empty by us (reads of new areas are zeros). */
size_t host_file_alignment(HostFile *f);

/* ---- drivers ---- */

typedef struct BlockDriver {
    const char *format_name;
    size_t instance_size;
    bool thread_safe;      /* IO may run concurrently (no per-image lock) */
    bool has_zero_init;    /* a freshly created image reads as zeros */

    /* Score 0..100 for the first bytes of the file. */
    int (*probe)(const uint8_t *buf, size_t len);
    int (*open)(BlockDriverState *bs, unsigned flags, GError **err);
    void (*close)(BlockDriverState *bs);
    int (*create)(const char *filename, const BlockCreateOptions *opts, GError **err);

    int (*preadv)(BlockDriverState *bs, int64_t offset, int64_t bytes, const BlockIOV *qiov,
                  size_t qiov_offset, GError **err);
    int (*pwritev)(BlockDriverState *bs, int64_t offset, int64_t bytes, const BlockIOV *qiov,
                   size_t qiov_offset, GError **err);
    int (*pwrite_compressed)(BlockDriverState *bs, int64_t offset, const void *buf,
                             int64_t bytes, GError **err);
    int (*pwrite_zeroes)(BlockDriverState *bs, int64_t offset, int64_t bytes, unsigned flags,
                         GError **err);
    int (*pdiscard)(BlockDriverState *bs, int64_t offset, int64_t bytes, GError **err);
    int (*flush)(BlockDriverState *bs, GError **err);
    int64_t (*getlength)(BlockDriverState *bs);
    int (*truncate)(BlockDriverState *bs, int64_t size, bool allow_shrink, GError **err);
    int (*block_status)(BlockDriverState *bs, int64_t offset, int64_t bytes, int64_t *pnum,
                        int64_t *map, GError **err);
    int (*get_info)(BlockDriverState *bs, BlockImageInfo *info, GError **err);
    int (*check)(BlockDriverState *bs, BlockCheckResult *res, unsigned fix, GError **err);
    int (*snapshot_create)(BlockDriverState *bs, const char *name, GError **err);
    int (*snapshot_goto)(BlockDriverState *bs, const char *id_or_name, GError **err);
    int (*snapshot_delete)(BlockDriverState *bs, const char *id_or_name, GError **err);
    GArray *(*snapshot_list)(BlockDriverState *bs, GError **err);
    int (*change_backing_file)(BlockDriverState *bs, const char *backing_file,
                               const char *backing_format, GError **err);
    int (*make_empty)(BlockDriverState *bs, GError **err);
    int64_t (*cluster_size)(BlockDriverState *bs);
} BlockDriver;

extern const BlockDriver bdrv_raw;
/* True if the first bytes look like a format other than raw (probe guard). */
bool bdrv_probes_as_other_format(const uint8_t *buf, size_t len);
extern const BlockDriver bdrv_qcow2;

struct BlockDriverState {
    const BlockDriver *drv;
    void *opaque;                /* drv->instance_size bytes */
    char *filename;              /* as opened */
    HostFile *file;
    BlockDriverState *backing;   /* NULL: none (or not opened) */
    int depth;                   /* 0 for the top of a chain */
    bool read_only;
    bool probed;                 /* format guessed, not given */
    unsigned open_flags;
    BlockCacheMode cache;

    /* Set by the format driver's open. */
    char *backing_file;          /* as recorded in the image */
    char *backing_format;        /* as recorded, NULL if absent */

    /* Serialises driver calls of a non-thread-safe driver. */
    GMutex lock;
};

/* Open the backing chain recorded in bs (called by the generic open). */
int bdrv_open_backing(BlockDriverState *bs, GError **err);
/* Resolve a backing name relative to the directory of the image naming it. */
char *bdrv_resolve_backing_path(const char *image_filename, const char *backing);
/* Open one image (and its chain) as a BlockDriverState. */
BlockDriverState *bdrv_open(const char *filename, const char *format, unsigned flags,
                            BlockCacheMode cache, int depth, GPtrArray *chain_ids,
                            GError **err);
void bdrv_close(BlockDriverState *bs);
const BlockDriver *bdrv_find_format(const char *name);

/* Unlocked driver entry points used by the generic code (lock held or thread safe). */
int bdrv_preadv_locked(BlockDriverState *bs, int64_t offset, int64_t bytes,
                       const BlockIOV *qiov, size_t qiov_offset, GError **err);
/* Reads of a backing image for the layer above: zeros past its end. */
int bdrv_backing_preadv(BlockDriverState *backing, int64_t offset, int64_t bytes,
                        const BlockIOV *qiov, size_t qiov_offset, GError **err);
int bdrv_backing_pread(BlockDriverState *backing, int64_t offset, void *buf, int64_t bytes,
                       GError **err);

/* The handle devices and tools hold (block.h). */
struct BlockBackend {
    BlockDriverState *bs;
    bool write_cache;            /* guest-visible volatile cache enabled */

    /* Asynchronous requests (aio.c). */
    GMutex aio_lock;
    GCond aio_cond;
    unsigned in_flight;          /* queued, callback not yet run */
    unsigned running;            /* queued, worker not yet finished */
    GQueue completed;            /* finished requests waiting for their callback */
    guint completion_source;     /* idle source id while one is pending */
    unsigned errors_reported;    /* printed to stderr, capped */
};

void blk_aio_cleanup(BlockBackend *blk);

void bdrv_lock(BlockDriverState *bs);
void bdrv_unlock(BlockDriverState *bs);

/* Format an errno-style failure into *err with the image name. */
int block_error(GError **err, int ret, const char *fmt, ...) G_GNUC_PRINTF(3, 4);

#endif
