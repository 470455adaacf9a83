/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Block layer: the raw driver, host files (O_DIRECT bounce buffers), cache
 * modes, probing, scatter/gather helpers and the asynchronous API with its
 * completion on the main loop thread.
 */
#include <fcntl.h>
#include <glib/gstdio.h>
#include <string.h>
#include <unistd.h>

#include "block/block_int.h"
#include "tests/test-tmpdir.h"

static char *tmp_dir;

static char *tmp_path(const char *name)
{
    return g_build_filename(tmp_dir, name, NULL);
}

static void fill_pattern(uint8_t *buf, size_t len, uint32_t seed)
{
    for (size_t i = 0; i < len; i++) {
        seed = seed * 1103515245u + 12345u;
        buf[i] = seed >> 16;
    }
}

static BlockBackend *create_and_open(const char *name, const char *fmt, int64_t size,
                                     BlockCacheMode cache)
{
    char *path = tmp_path(name);
    BlockCreateOptions opts = { .format = fmt, .size = size };
    GError *err = NULL;
    g_assert_cmpint(blk_create(path, &opts, &err), ==, 0);
    g_assert_no_error(err);
    BlockBackend *blk = blk_open(path, fmt, BLK_OPEN_RDWR, cache, &err);
    g_assert_no_error(err);
    g_assert_nonnull(blk);
    g_free(path);
    return blk;
}

/* ---- sizes, options, cache modes ---- */

static void test_parse_size(void)
{
    int64_t v;
    g_assert_true(blk_parse_size("0", &v) && v == 0);
    g_assert_true(blk_parse_size("512", &v) && v == 512);
    g_assert_true(blk_parse_size("64k", &v) && v == 65536);
    g_assert_true(blk_parse_size("1M", &v) && v == 1 << 20);
    g_assert_true(blk_parse_size("1.5M", &v) && v == 3 << 19);
    g_assert_true(blk_parse_size("2G", &v) && v == 2ll << 30);
    g_assert_true(blk_parse_size("1T", &v) && v == 1ll << 40);
    g_assert_true(blk_parse_size("100b", &v) && v == 100);
    g_assert_false(blk_parse_size("", &v));
    g_assert_false(blk_parse_size("-1", &v));
    g_assert_false(blk_parse_size("12x", &v));
    g_assert_false(blk_parse_size("0.3", &v));     /* not a whole number of bytes */
    g_assert_false(blk_parse_size("16E", &v));     /* overflows int64 */
}

static void test_cache_modes(void)
{
    BlockCacheMode m;
    g_assert_true(blk_parse_cache_mode("writeback", &m) && m == BLK_CACHE_WRITEBACK);
    g_assert_true(blk_parse_cache_mode("writethrough", &m) && m == BLK_CACHE_WRITETHROUGH);
    g_assert_true(blk_parse_cache_mode("none", &m) && m == BLK_CACHE_NONE);
    g_assert_true(blk_parse_cache_mode("directsync", &m) && m == BLK_CACHE_DIRECTSYNC);
    g_assert_true(blk_parse_cache_mode("unsafe", &m) && m == BLK_CACHE_UNSAFE);
    g_assert_false(blk_parse_cache_mode("fast", &m));
    g_assert_cmpstr(blk_cache_mode_name(BLK_CACHE_DIRECTSYNC), ==, "directsync");

    /* Writethrough modes start with the guest-visible write cache off. */
    BlockBackend *blk = create_and_open("wt.raw", "raw", 1 << 20, BLK_CACHE_WRITETHROUGH);
    g_assert_false(blk_enable_write_cache(blk));
    blk_set_enable_write_cache(blk, true);
    g_assert_true(blk_enable_write_cache(blk));
    blk_close(blk);
    blk = create_and_open("wb.raw", "raw", 1 << 20, BLK_CACHE_WRITEBACK);
    g_assert_true(blk_enable_write_cache(blk));
    blk_close(blk);
}

static void test_create_options(void)
{
    BlockCreateOptions o = { .size = -1 };
    GPtrArray *keep = g_ptr_array_new_with_free_func(g_free);
    GError *err = NULL;
    g_assert_true(blk_parse_create_options("cluster_size=4k,compat=0.10,backing_file=a,,b,"
                                           "lazy_refcounts=on,size=1M", &o, keep, &err));
    g_assert_no_error(err);
    g_assert_cmpint(o.cluster_size, ==, 4096);
    g_assert_cmpint(o.compat, ==, 2);
    g_assert_cmpstr(o.backing_file, ==, "a,b");
    g_assert_true(o.lazy_refcounts);
    g_assert_cmpint(o.size, ==, 1 << 20);
    g_assert_false(blk_parse_create_options("bogus=1", &o, keep, &err));
    g_assert_nonnull(strstr(err->message, "bogus"));
    g_clear_error(&err);
    g_assert_false(blk_parse_create_options("refcount_bits=3", &o, keep, &err));
    g_clear_error(&err);
    g_assert_false(blk_parse_create_options("compression_type=lz4", &o, keep, &err));
    g_clear_error(&err);
    g_ptr_array_free(keep, TRUE);
}

/* ---- iov helpers ---- */

static void test_iov(void)
{
    uint8_t a[3], b[5], c[8];
    struct iovec iov[3] = { { a, 3 }, { b, 5 }, { c, 8 } };
    BlockIOV q;
    biov_init(&q, iov, 3);
    g_assert_cmpuint(q.size, ==, 16);
    uint8_t src[16], dst[16];
    for (int i = 0; i < 16; i++) {
        src[i] = i + 1;
    }
    biov_from_buf(&q, 0, src, 16);
    g_assert_cmpint(a[2], ==, 3);
    g_assert_cmpint(b[0], ==, 4);
    g_assert_cmpint(c[7], ==, 16);
    biov_to_buf(&q, 2, dst, 10);
    g_assert_cmpmem(dst, 10, src + 2, 10);
    biov_memset(&q, 4, 0, 6);
    g_assert_cmpint(b[0], ==, 4);
    g_assert_cmpint(b[1], ==, 0);
    g_assert_cmpint(c[1], ==, 0);
    g_assert_cmpint(c[2], ==, 11);

    struct iovec out[3];
    g_assert_cmpint(biov_slice(&q, 2, 8, out, 3), ==, 3);
    g_assert_true(out[0].iov_base == a + 2 && out[0].iov_len == 1);
    g_assert_true(out[2].iov_base == c && out[2].iov_len == 2);
    g_assert_cmpint(biov_slice(&q, 2, 8, out, 2), ==, -1);

    uint8_t z[4096] = { 0 };
    g_assert_true(buffer_is_zero(z, sizeof(z)));
    z[4095] = 1;
    g_assert_false(buffer_is_zero(z, sizeof(z)));
    z[4095] = 0;
    z[10] = 1;
    g_assert_false(buffer_is_zero(z, sizeof(z)));
    g_assert_true(buffer_is_zero(z, 10));
}

/* ---- raw, synchronous ---- */

static void test_raw_sync(void)
{
    BlockBackend *blk = create_and_open("sync.raw", "raw", 4 << 20, BLK_CACHE_WRITEBACK);
    GError *err = NULL;
    g_assert_cmpint(blk_getlength(blk), ==, 4 << 20);
    g_assert_cmpstr(blk_format_name(blk), ==, "raw");

    uint8_t *w = g_malloc(100000), *r = g_malloc(100000);
    fill_pattern(w, 100000, 1);
    g_assert_cmpint(blk_pwrite(blk, 12345, w, 100000, &err), ==, 0);
    g_assert_cmpint(blk_pread(blk, 12345, r, 100000, &err), ==, 0);
    g_assert_cmpmem(w, 100000, r, 100000);
    g_assert_cmpint(blk_flush(blk, &err), ==, 0);

    /* Beyond the end: an error with context, not a short transfer. */
    g_assert_cmpint(blk_pread(blk, (4 << 20) - 10, r, 11, &err), ==, -EINVAL);
    g_assert_nonnull(strstr(err->message, "outside the image"));
    g_clear_error(&err);

    /* Zeroes and discard. */
    g_assert_cmpint(blk_write_zeroes(blk, 12345, 5000, 0, &err), ==, 0);
    g_assert_cmpint(blk_pread(blk, 12345, r, 5000, &err), ==, 0);
    g_assert_true(buffer_is_zero(r, 5000));
    g_assert_cmpint(blk_pread(blk, 12345 + 5000, r, 10, &err), ==, 0);
    g_assert_cmpmem(r, 10, w + 5000, 10);
    g_assert_cmpint(blk_discard(blk, 0, 1 << 20, &err), ==, 0);

    /* Block status: the sparse tail is a hole. */
    int64_t pnum, map;
    int st = blk_block_status(blk, 3 << 20, 1 << 20, &pnum, &map, &err);
    g_assert_cmpint(st, >=, 0);
    g_assert_true(st & BLK_STATUS_ZERO);
    g_assert_true(st & BLK_STATUS_ALLOCATED);
    g_assert_cmpint(map, ==, 3 << 20);

    /* Truncate: growing reads zeros; shrinking needs allow_shrink. */
    g_assert_cmpint(blk_truncate(blk, 8 << 20, false, &err), ==, 0);
    g_assert_cmpint(blk_getlength(blk), ==, 8 << 20);
    g_assert_cmpint(blk_truncate(blk, 1 << 20, false, &err), ==, -EINVAL);
    g_clear_error(&err);
    g_assert_cmpint(blk_truncate(blk, 1 << 20, true, &err), ==, 0);
    g_assert_cmpint(blk_getlength(blk), ==, 1 << 20);
    blk_close(blk);

    /* Read-only open refuses writes. */
    char *path = tmp_path("sync.raw");
    blk = blk_open(path, NULL, 0, BLK_CACHE_WRITEBACK, &err);
    g_assert_nonnull(blk);
    g_assert_true(blk_is_read_only(blk));
    g_assert_cmpint(blk_pwrite(blk, 0, w, 512, &err), ==, -EACCES);
    g_clear_error(&err);
    blk_close(blk);
    g_free(path);
    g_free(w);
    g_free(r);
}

static void test_open_errors(void)
{
    GError *err = NULL;
    char *path = tmp_path("does-not-exist");
    g_assert_null(blk_open(path, NULL, 0, BLK_CACHE_WRITEBACK, &err));
    g_assert_nonnull(strstr(err->message, "does-not-exist"));
    g_clear_error(&err);
    g_assert_null(blk_open(path, "vmdk", 0, BLK_CACHE_WRITEBACK, &err));
    g_assert_nonnull(strstr(err->message, "vmdk"));
    g_clear_error(&err);
    g_assert_null(blk_open(tmp_dir, NULL, 0, BLK_CACHE_WRITEBACK, &err));
    g_clear_error(&err);
    g_free(path);
}

static void test_probe(void)
{
    BlockBackend *blk = create_and_open("probe.qcow2", "qcow2", 1 << 20, BLK_CACHE_WRITEBACK);
    blk_close(blk);
    char *path = tmp_path("probe.qcow2");
    GError *err = NULL;
    blk = blk_open(path, NULL, 0, BLK_CACHE_WRITEBACK, &err);
    g_assert_no_error(err);
    g_assert_cmpstr(blk_format_name(blk), ==, "qcow2");
    g_assert_cmpint(blk_getlength(blk), ==, 1 << 20);
    blk_close(blk);
    /* Forced raw sees the file itself. */
    blk = blk_open(path, "raw", 0, BLK_CACHE_WRITEBACK, &err);
    g_assert_cmpstr(blk_format_name(blk), ==, "raw");
    g_assert_cmpint(blk_getlength(blk), >, 0);
    g_assert_cmpint(blk_getlength(blk), <, 1 << 20);
    blk_close(blk);
    g_free(path);
}

/* A probed raw image can't be turned into a qcow2 by a write to block 0. */
static void test_probe_guard(void)
{
    BlockBackend *blk = create_and_open("guard.raw", "raw", 1 << 20, BLK_CACHE_WRITEBACK);
    blk_close(blk);
    char *path = tmp_path("guard.raw");
    GError *err = NULL;
    uint8_t hdr[512] = { 'Q', 'F', 'I', 0xfb, 0, 0, 0, 3 };
    blk = blk_open(path, NULL, BLK_OPEN_RDWR, BLK_CACHE_WRITEBACK, &err);
    g_assert_nonnull(blk);
    g_assert_cmpint(blk_pwrite(blk, 0, hdr, sizeof(hdr), &err), ==, -EPERM);
    g_assert_nonnull(strstr(err->message, "block 0"));
    g_clear_error(&err);
    /* Harmless writes to block 0 and anything elsewhere are fine. */
    uint8_t plain[512];
    memset(plain, 0x11, sizeof(plain));
    g_assert_cmpint(blk_pwrite(blk, 0, plain, sizeof(plain), &err), ==, 0);
    g_assert_cmpint(blk_pwrite(blk, 4096, hdr, sizeof(hdr), &err), ==, 0);
    /* Splitting the header over two writes doesn't get around it. */
    uint8_t zero[512] = { 0 };
    g_assert_cmpint(blk_pwrite(blk, 0, zero, sizeof(zero), &err), ==, 0);
    g_assert_cmpint(blk_pwrite(blk, 0, hdr, 4, &err), ==, 0);
    g_assert_cmpint(blk_pwrite(blk, 4, hdr + 4, 4, &err), ==, -EPERM);
    g_clear_error(&err);
    blk_close(blk);
    /* With the format given explicitly the guest owns every byte. */
    blk = blk_open(path, "raw", BLK_OPEN_RDWR, BLK_CACHE_WRITEBACK, &err);
    g_assert_cmpint(blk_pwrite(blk, 0, hdr, sizeof(hdr), &err), ==, 0);
    blk_close(blk);
    g_free(path);
}

/* ---- O_DIRECT ---- */

static void test_direct_io(void)
{
    char *path = tmp_path("direct.raw");
    BlockCreateOptions opts = { .format = "raw", .size = 1 << 20 };
    GError *err = NULL;
    g_assert_cmpint(blk_create(path, &opts, &err), ==, 0);
    BlockBackend *blk = blk_open(path, "raw", BLK_OPEN_RDWR, BLK_CACHE_NONE, &err);
    if (!blk) {
        g_test_skip("O_DIRECT not supported by the file system of the test directory");
        g_clear_error(&err);
        g_free(path);
        return;
    }
    size_t align = host_file_alignment(blk_bs(blk)->file);
    g_assert_cmpuint(align, >=, 512);

    /* Unaligned offset, length and buffer: all through bounce buffers. */
    uint8_t *w = g_malloc(70001 + 1), *r = g_malloc(70001 + 3);
    fill_pattern(w, 70002, 7);
    g_assert_cmpint(blk_pwrite(blk, 777, w + 1, 70001, &err), ==, 0);
    g_assert_cmpint(blk_pread(blk, 777, r + 3, 70001, &err), ==, 0);
    g_assert_cmpmem(w + 1, 70001, r + 3, 70001);
    /* The bytes around the write survived the read-modify-write. */
    g_assert_cmpint(blk_pread(blk, 0, r, 777, &err), ==, 0);
    g_assert_true(buffer_is_zero(r, 777));

    /* Aligned and large (more than one bounce chunk when misaligned). */
    size_t big = 3 << 20;
    blk_truncate(blk, 8 << 20, false, &err);
    uint8_t *bw = g_malloc(big + 1), *br = g_malloc(big);
    fill_pattern(bw, big + 1, 9);
    g_assert_cmpint(blk_pwrite(blk, 4097, bw + 1, big, &err), ==, 0);
    g_assert_cmpint(blk_pread(blk, 4097, br, big, &err), ==, 0);
    g_assert_cmpmem(bw + 1, big, br, big);
    g_assert_cmpint(blk_flush(blk, &err), ==, 0);
    g_assert_no_error(err);
    blk_close(blk);

    /* The buffered view agrees. */
    blk = blk_open(path, "raw", 0, BLK_CACHE_WRITEBACK, &err);
    g_assert_cmpint(blk_pread(blk, 4097, br, big, &err), ==, 0);
    g_assert_cmpmem(bw + 1, big, br, big);
    blk_close(blk);
    g_free(bw);
    g_free(br);
    g_free(w);
    g_free(r);
    g_free(path);
}

/* ---- asynchronous ---- */

typedef struct AioResult {
    int calls;
    int ret;
    GThread *thread;
    int *order;
    int index;
    int *counter;
} AioResult;

static void aio_cb(void *opaque, int ret)
{
    AioResult *r = opaque;
    r->calls++;
    r->ret = ret;
    r->thread = g_thread_self();
    if (r->order) {
        r->order[r->index] = (*r->counter)++;
    }
}

static void wait_for(AioResult *r, int n)
{
    for (int i = 0; i < n; i++) {
        while (r[i].calls == 0) {
            g_main_context_iteration(NULL, TRUE);
        }
    }
}

static void test_aio(void)
{
    BlockBackend *blk = create_and_open("aio.raw", "raw", 16 << 20, BLK_CACHE_WRITEBACK);
    enum { N = 32, LEN = 65536 };
    uint8_t *bufs[N];
    AioResult res[N] = { 0 };

    for (int i = 0; i < N; i++) {
        bufs[i] = g_malloc(LEN);
        fill_pattern(bufs[i], LEN, 100 + i);
        /* Two pieces per request: scatter/gather reaches the file. */
        struct iovec iov[2] = { { bufs[i], 1000 }, { bufs[i] + 1000, LEN - 1000 } };
        blk_aio_pwritev(blk, (int64_t)i * LEN, iov, 2, aio_cb, &res[i]);
    }
    /* Callbacks never run inside the submitting call. */
    for (int i = 0; i < N; i++) {
        g_assert_cmpint(res[i].calls, ==, 0);
    }
    wait_for(res, N);
    for (int i = 0; i < N; i++) {
        g_assert_cmpint(res[i].calls, ==, 1);
        g_assert_cmpint(res[i].ret, ==, 0);
        g_assert_true(res[i].thread == g_thread_self());
    }
    g_assert_cmpuint(blk_aio_in_flight(blk), ==, 0);

    AioResult fl = { 0 };
    blk_aio_flush(blk, aio_cb, &fl);
    wait_for(&fl, 1);
    g_assert_cmpint(fl.ret, ==, 0);

    memset(res, 0, sizeof(res));
    uint8_t *rd[N];
    for (int i = 0; i < N; i++) {
        rd[i] = g_malloc0(LEN);
        struct iovec iov = { rd[i], LEN };
        blk_aio_preadv(blk, (int64_t)i * LEN, &iov, 1, aio_cb, &res[i]);
    }
    wait_for(res, N);
    for (int i = 0; i < N; i++) {
        g_assert_cmpint(res[i].ret, ==, 0);
        g_assert_cmpmem(rd[i], LEN, bufs[i], LEN);
        g_free(rd[i]);
        g_free(bufs[i]);
    }

    /* An out-of-range request completes with an error, still on this thread. */
    AioResult bad = { 0 };
    uint8_t tmp[512];
    struct iovec iov = { tmp, 512 };
    blk_aio_preadv(blk, 16 << 20, &iov, 1, aio_cb, &bad);
    wait_for(&bad, 1);
    g_assert_cmpint(bad.ret, ==, -EINVAL);
    g_assert_true(bad.thread == g_thread_self());

    AioResult disc = { 0 };
    blk_aio_pdiscard(blk, 0, 1 << 20, aio_cb, &disc);
    wait_for(&disc, 1);
    g_assert_cmpint(disc.ret, ==, 0);
    blk_close(blk);
}

static void chain_cb(void *opaque, int ret);

typedef struct Chain {
    BlockBackend *blk;
    uint8_t buf[4096];
    int remaining;
    int completed;
} Chain;

static void chain_cb(void *opaque, int ret)
{
    Chain *c = opaque;
    g_assert_cmpint(ret, ==, 0);
    c->completed++;
    if (--c->remaining > 0) {
        /* A device continuing a transfer from its completion callback. */
        struct iovec iov = { c->buf, sizeof(c->buf) };
        blk_aio_pwritev(c->blk, (int64_t)c->remaining * 4096, &iov, 1, chain_cb, c);
    }
}

static void test_drain(void)
{
    BlockBackend *blk = create_and_open("drain.qcow2", "qcow2", 16 << 20, BLK_CACHE_WRITEBACK);
    Chain c = { .blk = blk, .remaining = 20 };
    memset(c.buf, 0x5a, sizeof(c.buf));
    struct iovec iov = { c.buf, sizeof(c.buf) };
    blk_aio_pwritev(blk, 0, &iov, 1, chain_cb, &c);
    /* drain runs callbacks itself, including the requests they queue. */
    blk_drain(blk);
    g_assert_cmpint(c.completed, ==, 20);
    g_assert_cmpuint(blk_aio_in_flight(blk), ==, 0);
    uint8_t r[4096];
    GError *err = NULL;
    g_assert_cmpint(blk_pread(blk, 19 * 4096, r, 4096, &err), ==, 0);
    g_assert_cmpmem(r, 4096, c.buf, 4096);

    /* Requests queued and never waited for: close drains them. */
    AioResult res[8] = { 0 };
    for (int i = 0; i < 8; i++) {
        blk_aio_pwritev(blk, (int64_t)i * 4096, &iov, 1, aio_cb, &res[i]);
    }
    blk_close(blk);
    for (int i = 0; i < 8; i++) {
        g_assert_cmpint(res[i].calls, ==, 1);
        g_assert_cmpint(res[i].ret, ==, 0);
    }
}

/* Mixed qcow2 requests from several threads of the pool stay consistent. */
static void test_aio_qcow2_concurrent(void)
{
    BlockBackend *blk = create_and_open("conc.qcow2", "qcow2", 64 << 20, BLK_CACHE_WRITEBACK);
    enum { N = 64, LEN = 24576 };
    uint8_t *bufs[N];
    AioResult res[N] = { 0 };
    for (int i = 0; i < N; i++) {
        bufs[i] = g_malloc(LEN);
        fill_pattern(bufs[i], LEN, 500 + i);
        struct iovec iov = { bufs[i], LEN };
        /* Unaligned, straddling clusters, scattered across L2 ranges. */
        blk_aio_pwritev(blk, (int64_t)i * 1000003, &iov, 1, aio_cb, &res[i]);
    }
    wait_for(res, N);
    GError *err = NULL;
    uint8_t *r = g_malloc(LEN);
    for (int i = 0; i < N; i++) {
        g_assert_cmpint(res[i].ret, ==, 0);
        g_assert_cmpint(blk_pread(blk, (int64_t)i * 1000003, r, LEN, &err), ==, 0);
        g_assert_cmpmem(r, LEN, bufs[i], LEN);
        g_free(bufs[i]);
    }
    g_free(r);
    BlockCheckResult check;
    g_assert_cmpint(bdrv_check(blk_bs(blk), &check, 0, &err), ==, 0);
    g_assert_cmpint(check.corruptions, ==, 0);
    g_assert_cmpint(check.leaks, ==, 0);
    blk_close(blk);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    /* A directory on the build's disk (tmpfs would refuse O_DIRECT). */
    tmp_dir = test_tmpdir_on_disk("test-block");

    g_test_add_func("/block/parse-size", test_parse_size);
    g_test_add_func("/block/cache-modes", test_cache_modes);
    g_test_add_func("/block/create-options", test_create_options);
    g_test_add_func("/block/iov", test_iov);
    g_test_add_func("/block/raw-sync", test_raw_sync);
    g_test_add_func("/block/open-errors", test_open_errors);
    g_test_add_func("/block/probe", test_probe);
    g_test_add_func("/block/probe-guard", test_probe_guard);
    g_test_add_func("/block/direct-io", test_direct_io);
    g_test_add_func("/block/aio", test_aio);
    g_test_add_func("/block/aio-drain", test_drain);
    g_test_add_func("/block/aio-qcow2-concurrent", test_aio_qcow2_concurrent);
    int ret = g_test_run();

    test_tmpdir_remove(tmp_dir);
    g_free(tmp_dir);
    return ret;
}
