/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Host files (regular files and block devices) and the raw format.
 *
 * HostFile is the only code that touches file descriptors.  With O_DIRECT
 * (cache=none/directsync) every transfer must be aligned to the logical
 * block size in offset, length and memory address; unaligned requests go
 * through aligned bounce buffers, and unaligned writes read-modify-write
 * the partial blocks under a lock so concurrent writers can't lose data.
 */
#include <fcntl.h>
#include <linux/fs.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "block/block_int.h"

struct HostFile {
    int fd;
    char *path;
    bool writable;
    bool direct;
    bool no_flush;
    bool is_blkdev;
    size_t align;          /* 1 unless O_DIRECT */
    GMutex rmw_lock;       /* O_DIRECT read-modify-write of partial blocks */
};

/* Bounce buffers are used in chunks of this size (large sequential IO). */
#define BOUNCE_CHUNK (1u << 20)

int block_error(GError **err, int ret, const char *fmt, ...)
{
    if (err && !*err) {
        va_list ap;
        va_start(ap, fmt);
        char *msg = g_strdup_vprintf(fmt, ap);
        va_end(ap);
        /*
         * The domain is IOEMU_ERROR (hw/core/device.h) by its quark name, so the
         * block layer and ioemu-img need no code from hw/core; the code is the errno.
         */
        g_set_error(err, g_quark_from_static_string("ioemu-error-quark"), -ret, "%s", msg);
        g_free(msg);
    }
    return ret;
}

static size_t probe_direct_alignment(HostFile *f)
{
    if (f->is_blkdev) {
        int sector = 0;
        if (ioctl(f->fd, BLKSSZGET, &sector) == 0 && sector >= 512 && sector <= 65536) {
            return sector;
        }
        return 4096;
    }
    /*
     * Regular files: try a 512-byte read at offset 0.  File systems with
     * 4 KiB logical blocks answer EINVAL; an empty file tells nothing, so
     * the safe 4 KiB is used then.
     */
    void *buf = NULL;
    if (posix_memalign(&buf, 4096, 4096)) {
        return 4096;
    }
    ssize_t n = pread(f->fd, buf, 512, 0);
    free(buf);
    return n == 512 ? 512 : 4096;
}

HostFile *host_file_open(const char *path, bool writable, bool direct, bool no_flush,
                         GError **err)
{
    int flags = (writable ? O_RDWR : O_RDONLY) | O_CLOEXEC;
    if (direct) {
        flags |= O_DIRECT;
    }
    int fd = open(path, flags);
    if (fd < 0) {
        int e = errno;
        if (direct && e == EINVAL) {
            block_error(err, -e, "Could not open '%s': the file system does not support "
                        "O_DIRECT (cache=none/directsync)", path);
        } else {
            block_error(err, -e, "Could not open '%s': %s", path, g_strerror(e));
        }
        return NULL;
    }
    struct stat st;
    if (fstat(fd, &st) < 0) {
        int e = errno;
        close(fd);
        block_error(err, -e, "Could not stat '%s': %s", path, g_strerror(e));
        return NULL;
    }
    if (!S_ISREG(st.st_mode) && !S_ISBLK(st.st_mode)) {
        close(fd);
        block_error(err, -EINVAL, "'%s' is not a regular file or block device", path);
        return NULL;
    }
    HostFile *f = g_new0(HostFile, 1);
    f->fd = fd;
    f->path = g_strdup(path);
    f->writable = writable;
    f->direct = direct;
    f->no_flush = no_flush;
    f->is_blkdev = S_ISBLK(st.st_mode);
    g_mutex_init(&f->rmw_lock);
    f->align = direct ? probe_direct_alignment(f) : 1;
    return f;
}

void host_file_close(HostFile *f)
{
    if (!f) {
        return;
    }
    close(f->fd);
    g_mutex_clear(&f->rmw_lock);
    g_free(f->path);
    g_free(f);
}

const char *host_file_path(HostFile *f)
{
    return f->path;
}

bool host_file_is_block_device(HostFile *f)
{
    return f->is_blkdev;
}

size_t host_file_alignment(HostFile *f)
{
    return f->align;
}

static bool iov_is_aligned(const struct iovec *iov, int niov, size_t align)
{
    for (int i = 0; i < niov; i++) {
        if (((uintptr_t)iov[i].iov_base | iov[i].iov_len) & (align - 1)) {
            return false;
        }
    }
    return true;
}

/*
 * preadv/pwritev until len bytes are done, retrying EINTR and short transfers.
 * A read that meets end of file zero-fills the rest; a write that makes no
 * progress is an error.  iov is modified.
 */
static int do_rwv_full(HostFile *f, bool is_write, int64_t offset, struct iovec *iov, int niov,
                       size_t len, GError **err)
{
    while (len > 0) {
        while (niov > 0 && iov->iov_len == 0) {
            iov++;
            niov--;
        }
        ssize_t n = is_write ? pwritev(f->fd, iov, MIN(niov, IOV_MAX), offset)
                             : preadv(f->fd, iov, MIN(niov, IOV_MAX), offset);
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            int e = errno;
            return block_error(err, -e, "Could not %s '%s' at offset %" PRId64 ": %s",
                               is_write ? "write" : "read", f->path, offset, g_strerror(e));
        }
        if (n == 0 && is_write) {
            return block_error(err, -EIO, "Could not write '%s' at offset %" PRId64
                               ": no progress", f->path, offset);
        }
        if (n == 0) {
            /* End of file: the rest reads as zeros. */
            for (int i = 0; i < niov; i++) {
                memset(iov[i].iov_base, 0, iov[i].iov_len);
            }
            return 0;
        }
        offset += n;
        len -= n;
        while (n > 0) {
            size_t step = MIN((size_t)n, iov->iov_len);
            iov->iov_base = (uint8_t *)iov->iov_base + step;
            iov->iov_len -= step;
            n -= step;
            if (iov->iov_len == 0) {
                iov++;
                niov--;
            }
        }
    }
    return 0;
}

static int do_preadv_full(HostFile *f, int64_t offset, struct iovec *iov, int niov,
                          size_t len, GError **err)
{
    return do_rwv_full(f, false, offset, iov, niov, len, err);
}

static int do_pwritev_full(HostFile *f, int64_t offset, struct iovec *iov, int niov,
                           size_t len, GError **err)
{
    return do_rwv_full(f, true, offset, iov, niov, len, err);
}

/* Copy a slice of qiov into a private iovec array (heap if large). */
static struct iovec *slice_iov(const BlockIOV *qiov, size_t qiov_offset, size_t len,
                               struct iovec *stack, int stack_max, int *niov)
{
    int n = biov_slice(qiov, qiov_offset, len, stack, stack_max);
    if (n >= 0) {
        *niov = n;
        return stack;
    }
    int needed;
    for (int max = stack_max * 2;; max *= 2) {
        struct iovec *heap = g_new(struct iovec, max);
        needed = biov_slice(qiov, qiov_offset, len, heap, max);
        if (needed >= 0) {
            *niov = needed;
            return heap;
        }
        g_free(heap);
    }
}

/* An aligned buffer for up to BOUNCE_CHUNK bytes plus one alignment block. */
static int bounce_alloc(const HostFile *f, uint8_t **bounce, GError **err)
{
    *bounce = NULL;
    if (posix_memalign((void **)bounce, MAX(f->align, 4096), BOUNCE_CHUNK + f->align)) {
        return block_error(err, -ENOMEM, "Out of memory for a bounce buffer");
    }
    return 0;
}

/*
 * The next step of a bounced transfer at offset: the aligned span
 * [start, start + span) of the file whose bytes [head, head + piece) are
 * the request's.
 */
typedef struct BounceStep {
    int64_t start;
    size_t head, piece, span;
} BounceStep;

static BounceStep bounce_step(const HostFile *f, int64_t offset, size_t len)
{
    size_t align = f->align;
    BounceStep b;

    b.start = offset & ~(int64_t)(align - 1);
    b.head = offset - b.start;
    b.piece = MIN(len, BOUNCE_CHUNK - b.head);
    b.span = (b.head + b.piece + align - 1) & ~(align - 1);
    return b;
}

static int bounce_read(HostFile *f, int64_t offset, const BlockIOV *qiov, size_t qiov_offset,
                       size_t len, GError **err)
{
    uint8_t *bounce;
    int ret = bounce_alloc(f, &bounce, err);

    if (ret < 0) {
        return ret;
    }
    while (len > 0) {
        BounceStep b = bounce_step(f, offset, len);
        struct iovec one = { bounce, b.span };
        ret = do_preadv_full(f, b.start, &one, 1, b.span, err);
        if (ret < 0) {
            break;
        }
        biov_from_buf(qiov, qiov_offset, bounce + b.head, b.piece);
        offset += b.piece;
        qiov_offset += b.piece;
        len -= b.piece;
    }
    free(bounce);
    return ret;
}

static int bounce_write(HostFile *f, int64_t offset, const BlockIOV *qiov, size_t qiov_offset,
                        size_t len, GError **err)
{
    size_t align = f->align;
    uint8_t *bounce;
    int ret = bounce_alloc(f, &bounce, err);

    if (ret < 0) {
        return ret;
    }
    while (len > 0) {
        BounceStep b = bounce_step(f, offset, len);
        int64_t start = b.start;
        size_t head = b.head, piece = b.piece, span = b.span;
        bool partial = head != 0 || (piece + head) != span;

        if (partial) {
            /* Partial blocks: read them so the bytes around the request survive. */
            g_mutex_lock(&f->rmw_lock);
            struct iovec first = { bounce, align };
            ret = do_preadv_full(f, start, &first, 1, align, err);
            if (ret == 0 && span > align) {
                struct iovec last = { bounce + span - align, align };
                ret = do_preadv_full(f, start + span - align, &last, 1, align, err);
            }
            if (ret < 0) {
                g_mutex_unlock(&f->rmw_lock);
                break;
            }
        }
        biov_to_buf(qiov, qiov_offset, bounce + head, piece);
        struct iovec one = { bounce, span };
        ret = do_pwritev_full(f, start, &one, 1, span, err);
        if (partial) {
            g_mutex_unlock(&f->rmw_lock);
        }
        if (ret < 0) {
            break;
        }
        offset += piece;
        qiov_offset += piece;
        len -= piece;
    }
    free(bounce);
    return ret;
}

/*
 * Straight from/to the caller's buffers when they and the range meet the
 * file's alignment (O_DIRECT), else through an aligned bounce buffer.
 */
static int host_file_rwv(HostFile *f, bool is_write, int64_t offset, const BlockIOV *qiov,
                         size_t qiov_offset, size_t len, GError **err)
{
    struct iovec stack[16];
    int niov;
    struct iovec *iov = slice_iov(qiov, qiov_offset, len, stack, 16, &niov);
    int ret;

    if (f->align > 1 && (((uint64_t)offset | len) & (f->align - 1) ||
                         !iov_is_aligned(iov, niov, f->align))) {
        ret = is_write ? bounce_write(f, offset, qiov, qiov_offset, len, err)
                       : bounce_read(f, offset, qiov, qiov_offset, len, err);
    } else {
        ret = do_rwv_full(f, is_write, offset, iov, niov, len, err);
    }
    if (iov != stack) {
        g_free(iov);
    }
    return ret;
}

int host_file_preadv(HostFile *f, int64_t offset, const BlockIOV *qiov, size_t qiov_offset,
                     size_t len, GError **err)
{
    if (len == 0) {
        return 0;
    }
    return host_file_rwv(f, false, offset, qiov, qiov_offset, len, err);
}

int host_file_pwritev(HostFile *f, int64_t offset, const BlockIOV *qiov, size_t qiov_offset,
                      size_t len, GError **err)
{
    if (len == 0) {
        return 0;
    }
    if (!f->writable) {
        return block_error(err, -EBADF, "'%s' is open read-only", f->path);
    }
    return host_file_rwv(f, true, offset, qiov, qiov_offset, len, err);
}

int host_file_pread(HostFile *f, int64_t offset, void *buf, size_t len, GError **err)
{
    struct iovec one;
    BlockIOV qiov;
    biov_init_buf(&qiov, &one, buf, len);
    return host_file_preadv(f, offset, &qiov, 0, len, err);
}

int host_file_pwrite(HostFile *f, int64_t offset, const void *buf, size_t len, GError **err)
{
    struct iovec one;
    BlockIOV qiov;
    biov_init_buf(&qiov, &one, (void *)buf, len);
    return host_file_pwritev(f, offset, &qiov, 0, len, err);
}

int host_file_flush(HostFile *f, GError **err)
{
    if (f->no_flush || !f->writable) {
        return 0;
    }
    while (fdatasync(f->fd) < 0) {
        if (errno != EINTR) {
            int e = errno;
            return block_error(err, -e, "Could not flush '%s': %s", f->path, g_strerror(e));
        }
    }
    return 0;
}

int64_t host_file_length(HostFile *f)
{
    if (f->is_blkdev) {
        uint64_t size = 0;
        if (ioctl(f->fd, BLKGETSIZE64, &size) == 0) {
            return size;
        }
        off_t end = lseek(f->fd, 0, SEEK_END);
        return end < 0 ? -errno : end;
    }
    struct stat st;
    if (fstat(f->fd, &st) < 0) {
        return -errno;
    }
    return st.st_size;
}

int64_t host_file_allocated_size(HostFile *f)
{
    struct stat st;
    if (fstat(f->fd, &st) < 0) {
        return -errno;
    }
    return (int64_t)st.st_blocks * 512;
}

int host_file_truncate(HostFile *f, int64_t size, GError **err)
{
    if (!f->writable) {
        return block_error(err, -EBADF, "'%s' is open read-only", f->path);
    }
    if (f->is_blkdev) {
        int64_t len = host_file_length(f);
        if (len >= 0 && size <= len) {
            return 0;
        }
        return block_error(err, -ENOTSUP, "Cannot grow block device '%s'", f->path);
    }
    if (ftruncate(f->fd, size) < 0) {
        int e = errno;
        return block_error(err, -e, "Could not resize '%s' to %" PRId64 " bytes: %s",
                           f->path, size, g_strerror(e));
    }
    return 0;
}

int host_file_discard(HostFile *f, int64_t offset, int64_t len)
{
    if (!f->writable || len <= 0) {
        return 0;
    }
    if (f->is_blkdev) {
        uint64_t range[2] = { offset, len };
        return ioctl(f->fd, BLKDISCARD, range) == 0 ? 0 : -errno;
    }
    if (fallocate(f->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, offset, len) == 0) {
        return 0;
    }
    return -errno;
}

int host_file_write_zeroes(HostFile *f, int64_t offset, int64_t len, GError **err)
{
    if (len <= 0) {
        return 0;
    }
    if (!f->writable) {
        return block_error(err, -EBADF, "'%s' is open read-only", f->path);
    }
    if (!f->is_blkdev) {
        int64_t size = host_file_length(f);
        if (size >= 0 && offset >= size) {
            /* Past the end: extending the file makes zeros for free. */
            return host_file_truncate(f, offset + len, err);
        }
        if (fallocate(f->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, offset, len) == 0) {
            if (size >= 0 && offset + len > size) {
                return host_file_truncate(f, offset + len, err);
            }
            return 0;
        }
        if (fallocate(f->fd, FALLOC_FL_ZERO_RANGE, offset, len) == 0) {
            return 0;
        }
    }
    /* Fall back to writing zeros. */
    size_t chunk = MIN((int64_t)BOUNCE_CHUNK, len);
    void *zeros = NULL;
    if (posix_memalign(&zeros, MAX(f->align, 4096), chunk)) {
        return block_error(err, -ENOMEM, "Out of memory");
    }
    memset(zeros, 0, chunk);
    int ret = 0;
    while (len > 0 && ret == 0) {
        size_t n = MIN((int64_t)chunk, len);
        ret = host_file_pwrite(f, offset, zeros, n, err);
        offset += n;
        len -= n;
    }
    free(zeros);
    return ret;
}

int host_file_block_status(HostFile *f, int64_t offset, int64_t bytes, int64_t *pnum)
{
    if (f->is_blkdev) {
        *pnum = bytes;
        return BLK_STATUS_DATA | BLK_STATUS_OFFSET_VALID;
    }
    int64_t size = host_file_length(f);
    if (size >= 0 && offset >= size) {
        *pnum = bytes;
        return BLK_STATUS_ZERO | BLK_STATUS_OFFSET_VALID;
    }
    off_t data = lseek(f->fd, offset, SEEK_DATA);
    if (data < 0 && errno == ENXIO) {
        /* Only a hole up to the end of the file. */
        *pnum = bytes;
        return BLK_STATUS_ZERO | BLK_STATUS_OFFSET_VALID;
    }
    if (data < 0) {
        /* No SEEK_DATA support: everything is data. */
        *pnum = bytes;
        return BLK_STATUS_DATA | BLK_STATUS_OFFSET_VALID;
    }
    if (data > offset) {
        *pnum = MIN(bytes, data - offset);
        return BLK_STATUS_ZERO | BLK_STATUS_OFFSET_VALID;
    }
    off_t hole = lseek(f->fd, offset, SEEK_HOLE);
    if (hole < 0 || hole <= offset) {
        *pnum = bytes;
    } else {
        *pnum = MIN(bytes, hole - offset);
    }
    return BLK_STATUS_DATA | BLK_STATUS_OFFSET_VALID;
}

/* ---- the raw format: the guest sees the file as it is ---- */

static int raw_probe(const uint8_t *buf, size_t len)
{
    return 1;   /* anything can be raw; the lowest score */
}

static int raw_open(BlockDriverState *bs, unsigned flags, GError **err)
{
    return 0;
}

static void raw_close(BlockDriverState *bs)
{
}

static int raw_create(const char *filename, const BlockCreateOptions *opts, GError **err)
{
    if (opts->backing_file) {
        return block_error(err, -ENOTSUP, "Backing file not supported for file format 'raw'");
    }
    int fd = open(filename, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) {
        int e = errno;
        return block_error(err, -e, "Could not create '%s': %s", filename, g_strerror(e));
    }
    struct stat st;
    int ret = 0;
    if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode)) {
        if (ftruncate(fd, 0) < 0 || ftruncate(fd, opts->size) < 0) {
            int e = errno;
            ret = block_error(err, -e, "Could not resize '%s': %s", filename, g_strerror(e));
        }
    }
    close(fd);
    return ret;
}

static int raw_preadv(BlockDriverState *bs, int64_t offset, int64_t bytes,
                      const BlockIOV *qiov, size_t qiov_offset, GError **err)
{
    return host_file_preadv(bs->file, offset, qiov, qiov_offset, bytes, err);
}

/*
 * An image whose format was probed as raw must not be turned into
 * something else by the guest: a qcow2 header written to sector 0 would
 * make the next probe follow a guest-chosen backing file on the host.
 * Such writes are refused, as QEMU does.
 */
static int raw_check_probe_guard(BlockDriverState *bs, int64_t offset, int64_t bytes,
                                 const BlockIOV *qiov, size_t qiov_offset, GError **err)
{
    if (!bs->probed || offset >= 512) {
        return 0;
    }
    uint8_t sector[512];
    int ret = host_file_pread(bs->file, 0, sector, sizeof(sector), err);
    if (ret < 0) {
        return ret;
    }
    if (qiov) {
        biov_to_buf(qiov, qiov_offset, sector + offset, MIN(bytes, 512 - offset));
    } else {
        memset(sector + offset, 0, MIN(bytes, 512 - offset));
    }
    if (bdrv_probes_as_other_format(sector, sizeof(sector))) {
        return block_error(err, -EPERM, "'%s': refusing a write to block 0 that would make "
                           "this probed raw image look like another format (give the format "
                           "explicitly)", bs->filename);
    }
    return 0;
}

static int raw_pwritev(BlockDriverState *bs, int64_t offset, int64_t bytes,
                       const BlockIOV *qiov, size_t qiov_offset, GError **err)
{
    int ret = raw_check_probe_guard(bs, offset, bytes, qiov, qiov_offset, err);
    if (ret < 0) {
        return ret;
    }
    return host_file_pwritev(bs->file, offset, qiov, qiov_offset, bytes, err);
}

static int raw_pwrite_zeroes(BlockDriverState *bs, int64_t offset, int64_t bytes,
                             unsigned flags, GError **err)
{
    int ret = raw_check_probe_guard(bs, offset, bytes, NULL, 0, err);
    if (ret < 0) {
        return ret;
    }
    return host_file_write_zeroes(bs->file, offset, bytes, err);
}

static int raw_pdiscard(BlockDriverState *bs, int64_t offset, int64_t bytes, GError **err)
{
    /* Discard is advisory: a file system without hole punching keeps the data. */
    int ret = host_file_discard(bs->file, offset, bytes);
    if (ret == -ENOTSUP || ret == -EOPNOTSUPP) {
        return 0;
    }
    return ret < 0 ? block_error(err, ret, "Could not discard in '%s': %s",
                                 bs->filename, g_strerror(-ret)) : 0;
}

static int raw_flush(BlockDriverState *bs, GError **err)
{
    return host_file_flush(bs->file, err);
}

static int64_t raw_getlength(BlockDriverState *bs)
{
    return host_file_length(bs->file);
}

static int raw_truncate(BlockDriverState *bs, int64_t size, bool allow_shrink, GError **err)
{
    int64_t cur = host_file_length(bs->file);
    if (cur >= 0 && size < cur && !allow_shrink) {
        return block_error(err, -EINVAL, "Use the --shrink option to perform a shrink "
                           "operation.");
    }
    return host_file_truncate(bs->file, size, err);
}

static int raw_block_status(BlockDriverState *bs, int64_t offset, int64_t bytes,
                            int64_t *pnum, int64_t *map, GError **err)
{
    int ret = host_file_block_status(bs->file, offset, bytes, pnum);
    if (map) {
        *map = offset;
    }
    return ret | BLK_STATUS_ALLOCATED;
}

static int raw_get_info(BlockDriverState *bs, BlockImageInfo *info, GError **err)
{
    return 0;
}

const BlockDriver bdrv_raw = {
    .format_name = "raw",
    .instance_size = 0,
    .thread_safe = true,
    .has_zero_init = true,
    .probe = raw_probe,
    .open = raw_open,
    .close = raw_close,
    .create = raw_create,
    .preadv = raw_preadv,
    .pwritev = raw_pwritev,
    .pwrite_zeroes = raw_pwrite_zeroes,
    .pdiscard = raw_pdiscard,
    .flush = raw_flush,
    .getlength = raw_getlength,
    .truncate = raw_truncate,
    .block_status = raw_block_status,
    .get_info = raw_get_info,
};
