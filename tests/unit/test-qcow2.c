/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * qcow2: the metadata cache alone (against a fake store), refcount entries
 * of every width, and whole images: allocation with refcount table growth,
 * COW from backing files and compressed clusters, zero/discard, snapshots,
 * malformed headers, and process kills in the middle of writes.  Every
 * image-level test ends with the driver's own consistency check.
 */
#include <fcntl.h>
#include <glib/gstdio.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "block/qcow2.h"
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

/* ---- the cache against a fake store ---- */

typedef struct FakeStore {
    GHashTable *tables;      /* offset -> g_malloc'd table */
    size_t size;
    int reads, writes, barriers;
    GArray *write_order;     /* offsets in write order */
    bool barrier_seen_before_write;
} FakeStore;

static int fake_read(void *opaque, uint64_t offset, void *buf, size_t len, GError **err)
{
    FakeStore *fs = opaque;
    fs->reads++;
    uint8_t *t = g_hash_table_lookup(fs->tables, GSIZE_TO_POINTER(offset));
    if (!t) {
        memset(buf, 0, len);
        return 0;
    }
    memcpy(buf, t, len);
    return 0;
}

static int fake_write(void *opaque, uint64_t offset, const void *buf, size_t len, GError **err)
{
    FakeStore *fs = opaque;
    fs->writes++;
    fs->barrier_seen_before_write = fs->barriers > 0;
    g_array_append_val(fs->write_order, offset);
    g_hash_table_replace(fs->tables, GSIZE_TO_POINTER(offset), g_memdup2(buf, len));
    return 0;
}

static int fake_barrier(void *opaque, GError **err)
{
    FakeStore *fs = opaque;
    fs->barriers++;
    return 0;
}

static const Qcow2CacheOps fake_ops = {
    .read = fake_read,
    .write = fake_write,
    .before_write = fake_barrier,
};

static FakeStore *fake_new(size_t size)
{
    FakeStore *fs = g_new0(FakeStore, 1);
    fs->tables = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL, g_free);
    fs->size = size;
    fs->write_order = g_array_new(FALSE, FALSE, sizeof(uint64_t));
    return fs;
}

static void fake_free(FakeStore *fs)
{
    g_hash_table_destroy(fs->tables);
    g_array_free(fs->write_order, TRUE);
    g_free(fs);
}

static void test_cache_hit_miss(void)
{
    FakeStore *fs = fake_new(512);
    uint8_t seed[512];
    memset(seed, 0x42, sizeof(seed));
    g_hash_table_insert(fs->tables, GSIZE_TO_POINTER(0x1000), g_memdup2(seed, 512));
    Qcow2Cache *c = qcow2_cache_new(4, 512, &fake_ops, fs);
    GError *err = NULL;
    void *t;

    g_assert_cmpint(qcow2_cache_get(c, 0x1000, &t, &err), ==, 0);
    g_assert_cmpint(((uint8_t *)t)[17], ==, 0x42);
    g_assert_cmpint(fs->reads, ==, 1);
    qcow2_cache_put(c, &t);
    g_assert_null(t);
    /* A second get is a hit: no read. */
    g_assert_cmpint(qcow2_cache_get(c, 0x1000, &t, &err), ==, 0);
    g_assert_cmpint(fs->reads, ==, 1);
    qcow2_cache_put(c, &t);
    /* get_empty never reads and returns zeros. */
    g_assert_cmpint(qcow2_cache_get_empty(c, 0x2000, &t, &err), ==, 0);
    g_assert_cmpint(fs->reads, ==, 1);
    g_assert_true(buffer_is_zero(t, 512));
    qcow2_cache_put(c, &t);
    g_assert_cmpint(qcow2_cache_entries_used(c), ==, 2);
    g_assert_false(qcow2_cache_is_dirty(c));
    qcow2_cache_free(c);
    fake_free(fs);
}

static void test_cache_eviction(void)
{
    FakeStore *fs = fake_new(512);
    Qcow2Cache *c = qcow2_cache_new(3, 512, &fake_ops, fs);
    GError *err = NULL;
    void *t;

    /* Fill: tables at 1..3 (x 0x200), the first one dirty. */
    for (uint64_t i = 1; i <= 3; i++) {
        g_assert_cmpint(qcow2_cache_get_empty(c, i * 0x200, &t, &err), ==, 0);
        ((uint8_t *)t)[0] = i;
        if (i == 1) {
            qcow2_cache_mark_dirty(c, t);
        }
        qcow2_cache_put(c, &t);
    }
    /* Touch 1 and 3: 2 is now least recently used and is evicted clean. */
    qcow2_cache_get(c, 0x200, &t, &err);
    qcow2_cache_put(c, &t);
    qcow2_cache_get(c, 0x600, &t, &err);
    qcow2_cache_put(c, &t);
    g_assert_cmpint(qcow2_cache_get(c, 0x800, &t, &err), ==, 0);
    qcow2_cache_put(c, &t);
    g_assert_cmpint(fs->writes, ==, 0);
    /* 0x400 was evicted: getting it reads it again. */
    int reads = fs->reads;
    qcow2_cache_get(c, 0x400, &t, &err);
    qcow2_cache_put(c, &t);
    g_assert_cmpint(fs->reads, ==, reads + 1);

    /* Now 0x200 (dirty) is LRU: evicting it writes it, after the barrier. */
    qcow2_cache_get(c, 0xa00, &t, &err);
    qcow2_cache_put(c, &t);
    g_assert_cmpint(fs->writes, ==, 1);
    g_assert_true(fs->barrier_seen_before_write);
    uint8_t *stored = g_hash_table_lookup(fs->tables, GSIZE_TO_POINTER(0x200));
    g_assert_nonnull(stored);
    g_assert_cmpint(stored[0], ==, 1);
    qcow2_cache_free(c);
    fake_free(fs);
}

static void test_cache_pinning(void)
{
    FakeStore *fs = fake_new(512);
    Qcow2Cache *c = qcow2_cache_new(2, 512, &fake_ops, fs);
    GError *err = NULL;
    void *a, *b, *x;
    g_assert_cmpint(qcow2_cache_get(c, 0x200, &a, &err), ==, 0);
    g_assert_cmpint(qcow2_cache_get(c, 0x400, &b, &err), ==, 0);
    /* Everything pinned: a clear error, nothing evicted under a holder. */
    g_assert_cmpint(qcow2_cache_get(c, 0x600, &x, &err), ==, -ENOSPC);
    g_assert_nonnull(err);
    g_clear_error(&err);
    /* Pinning twice needs two puts. */
    void *a2;
    g_assert_cmpint(qcow2_cache_get(c, 0x200, &a2, &err), ==, 0);
    g_assert_true(a2 == a);
    qcow2_cache_put(c, &a2);
    g_assert_cmpint(qcow2_cache_get(c, 0x600, &x, &err), ==, -ENOSPC);
    g_clear_error(&err);
    qcow2_cache_put(c, &a);
    g_assert_cmpint(qcow2_cache_get(c, 0x600, &x, &err), ==, 0);
    qcow2_cache_put(c, &x);
    qcow2_cache_put(c, &b);
    qcow2_cache_free(c);
    fake_free(fs);
}

static void test_cache_write_discard(void)
{
    FakeStore *fs = fake_new(512);
    Qcow2Cache *c = qcow2_cache_new(8, 512, &fake_ops, fs);
    GError *err = NULL;
    void *t;
    uint64_t offs[] = { 0x1000, 0x400, 0x800, 0x200 };
    for (int i = 0; i < 4; i++) {
        qcow2_cache_get_empty(c, offs[i], &t, &err);
        qcow2_cache_mark_dirty(c, t);
        qcow2_cache_put(c, &t);
    }
    /* Discard one dirty table: it is never written. */
    qcow2_cache_discard(c, 0x800);
    g_assert_true(qcow2_cache_is_dirty(c));
    g_assert_cmpint(qcow2_cache_write(c, &err), ==, 0);
    g_assert_false(qcow2_cache_is_dirty(c));
    g_assert_cmpint(fs->writes, ==, 3);
    /* Written in offset order. */
    g_assert_cmpuint(g_array_index(fs->write_order, uint64_t, 0), ==, 0x200);
    g_assert_cmpuint(g_array_index(fs->write_order, uint64_t, 1), ==, 0x400);
    g_assert_cmpuint(g_array_index(fs->write_order, uint64_t, 2), ==, 0x1000);
    g_assert_null(g_hash_table_lookup(fs->tables, GSIZE_TO_POINTER(0x800)));
    /* Clean now: a second write does nothing. */
    qcow2_cache_write(c, &err);
    g_assert_cmpint(fs->writes, ==, 3);
    qcow2_cache_clear(c);
    g_assert_cmpint(qcow2_cache_entries_used(c), ==, 0);
    qcow2_cache_free(c);
    fake_free(fs);
}

/* ---- refcount entries ---- */

static void test_refcount_entries(void)
{
    for (int order = 0; order <= 6; order++) {
        int bits = 1 << order;
        uint64_t max = bits == 64 ? UINT64_MAX : (1ull << bits) - 1;
        uint8_t block[512] = { 0 };
        uint64_t entries = 512 * 8 / bits;
        for (uint64_t i = 0; i < entries; i++) {
            qcow2_refcount_set(block, i, order, (i * 7 + 3) & max);
        }
        for (uint64_t i = 0; i < entries; i++) {
            g_assert_cmpuint(qcow2_refcount_get(block, i, order), ==, (i * 7 + 3) & max);
        }
        /* Setting the maximum touches only its own entry. */
        qcow2_refcount_set(block, 5, order, max);
        g_assert_cmpuint(qcow2_refcount_get(block, 5, order), ==, max);
        g_assert_cmpuint(qcow2_refcount_get(block, 4, order), ==, (4 * 7 + 3) & max);
        g_assert_cmpuint(qcow2_refcount_get(block, 6, order), ==, (6 * 7 + 3) & max);
    }
    /* Layout: 16-bit entries are big endian; sub-byte ones start at the LSB. */
    uint8_t b[8] = { 0 };
    qcow2_refcount_set(b, 1, 4, 0x0102);
    g_assert_cmpint(b[2], ==, 1);
    g_assert_cmpint(b[3], ==, 2);
    memset(b, 0, sizeof(b));
    qcow2_refcount_set(b, 1, 0, 1);
    g_assert_cmpint(b[0], ==, 0x02);
    qcow2_refcount_set(b, 1, 2, 0xf);
    g_assert_cmpint(b[0], ==, 0xf2);
}

/* ---- images ---- */

static BlockBackend *create_open(const char *name, int cluster_size, int refcount_bits,
                                 int64_t size, const char *backing, const char *backing_fmt,
                                 int compat)
{
    char *path = tmp_path(name);
    BlockCreateOptions o = {
        .format = "qcow2", .size = size, .cluster_size = cluster_size,
        .refcount_bits = refcount_bits, .backing_file = backing,
        .backing_format = backing_fmt, .compat = compat,
    };
    GError *err = NULL;
    g_assert_cmpint(blk_create(path, &o, &err), ==, 0);
    g_assert_no_error(err);
    BlockBackend *blk = blk_open(path, "qcow2", BLK_OPEN_RDWR, BLK_CACHE_WRITEBACK, &err);
    g_assert_no_error(err);
    g_free(path);
    return blk;
}

static BlockBackend *reopen(const char *name, unsigned flags)
{
    char *path = tmp_path(name);
    GError *err = NULL;
    BlockBackend *blk = blk_open(path, NULL, flags, BLK_CACHE_WRITEBACK, &err);
    g_assert_no_error(err);
    g_free(path);
    return blk;
}

static void assert_clean(BlockBackend *blk)
{
    BlockCheckResult r;
    GError *err = NULL;
    g_assert_cmpint(bdrv_check(blk_bs(blk), &r, 0, &err), ==, 0);
    g_assert_no_error(err);
    g_assert_cmpint(r.corruptions, ==, 0);
    g_assert_cmpint(r.leaks, ==, 0);
    g_assert_cmpint(r.check_errors, ==, 0);
}

static void assert_reads(BlockBackend *blk, int64_t off, const uint8_t *expect, int64_t len)
{
    uint8_t *r = g_malloc(len);
    GError *err = NULL;
    g_assert_cmpint(blk_pread(blk, off, r, len, &err), ==, 0);
    g_assert_no_error(err);
    g_assert_cmpmem(r, len, expect, len);
    g_free(r);
}

static void assert_zero(BlockBackend *blk, int64_t off, int64_t len)
{
    uint8_t *r = g_malloc(len);
    GError *err = NULL;
    g_assert_cmpint(blk_pread(blk, off, r, len, &err), ==, 0);
    g_assert_true(buffer_is_zero(r, len));
    g_free(r);
}

/*
 * Small clusters mean 256-entry refcount blocks: writing a few MiB grows
 * the refcount table several times.  Every refcount width is exercised.
 */
static void test_alloc_growth(void)
{
    static const int widths[] = { 1, 2, 4, 8, 16, 32, 64 };
    for (size_t w = 0; w < G_N_ELEMENTS(widths); w++) {
        char name[32];
        snprintf(name, sizeof(name), "grow%d.qcow2", widths[w]);
        BlockBackend *blk = create_open(name, 512, widths[w], 64 << 20, NULL, NULL, 3);
        GError *err = NULL;
        uint8_t *buf = g_malloc(4 << 20);
        fill_pattern(buf, 4 << 20, widths[w]);
        /* Scattered writes, some unaligned, then one big sequential one. */
        for (int i = 0; i < 40; i++) {
            int64_t off = (int64_t)i * 1234567 % (60 << 20);
            g_assert_cmpint(blk_pwrite(blk, off, buf + i * 1000, 3000, &err), ==, 0);
        }
        g_assert_cmpint(blk_pwrite(blk, 60 << 20, buf, 4 << 20, &err), ==, 0);
        g_assert_no_error(err);
        assert_clean(blk);
        blk_close(blk);

        blk = reopen(name, 0);
        assert_reads(blk, 60 << 20, buf, 4 << 20);
        for (int i = 0; i < 40; i++) {
            int64_t off = (int64_t)i * 1234567 % (60 << 20);
            /* Later writes may overlap earlier ones only if close; these don't. */
            assert_reads(blk, off, buf + i * 1000, 3000);
        }
        assert_clean(blk);
        blk_close(blk);
        g_free(buf);
    }
}

static void test_overwrite_and_cow(void)
{
    /* A raw backing file with a pattern; partial writes copy the rest of the cluster. */
    char *base = tmp_path("cow-base.raw");
    BlockCreateOptions o = { .format = "raw", .size = 8 << 20 };
    GError *err = NULL;
    g_assert_cmpint(blk_create(base, &o, &err), ==, 0);
    BlockBackend *b = blk_open(base, "raw", BLK_OPEN_RDWR, BLK_CACHE_WRITEBACK, &err);
    uint8_t *pat = g_malloc(8 << 20);
    fill_pattern(pat, 8 << 20, 77);
    g_assert_cmpint(blk_pwrite(b, 0, pat, 6 << 20, &err), ==, 0);   /* shorter than the overlay */
    blk_close(b);

    BlockBackend *blk = create_open("cow.qcow2", 65536, 16, 8 << 20, "cow-base.raw", "raw", 3);
    g_assert_nonnull(bdrv_backing(blk_bs(blk)));
    uint8_t w[1000];
    memset(w, 0xee, sizeof(w));
    g_assert_cmpint(blk_pwrite(blk, 100000, w, sizeof(w), &err), ==, 0);
    /* The cluster holding the write: backing bytes around it, ours inside. */
    uint8_t *expect = g_memdup2(pat, 8 << 20);
    memset(expect + (6 << 20), 0, 2 << 20);
    memcpy(expect + 100000, w, sizeof(w));
    assert_reads(blk, 0, expect, 8 << 20);
    /* Second write into the same (now owned) cluster: in place. */
    g_assert_cmpint(blk_pwrite(blk, 100500, w, 10, &err), ==, 0);
    memcpy(expect + 100500, w, 10);
    /* Write past the backing file's end. */
    g_assert_cmpint(blk_pwrite(blk, (7 << 20) + 3, w, 100, &err), ==, 0);
    memcpy(expect + (7 << 20) + 3, w, 100);
    assert_reads(blk, 0, expect, 8 << 20);
    assert_clean(blk);

    /* Zero writes must hide the backing file (v3: zero flag). */
    g_assert_cmpint(blk_write_zeroes(blk, 1 << 20, 1 << 20, 0, &err), ==, 0);
    memset(expect + (1 << 20), 0, 1 << 20);
    /* Unaligned zeroing of part of a cluster. */
    g_assert_cmpint(blk_write_zeroes(blk, 2 * 65536 + 5, 100, 0, &err), ==, 0);
    memset(expect + 2 * 65536 + 5, 0, 100);
    assert_reads(blk, 0, expect, 8 << 20);
    g_assert_cmpint(blk_flush(blk, &err), ==, 0);
    assert_clean(blk);

    /* Status: zero clusters are allocated-as-zero, unwritten ones come from the backing. */
    int64_t pnum, map;
    int st = blk_block_status(blk, 1 << 20, 1 << 20, &pnum, &map, &err);
    g_assert_cmpint(st & (BLK_STATUS_ZERO | BLK_STATUS_ALLOCATED), ==,
                    BLK_STATUS_ZERO | BLK_STATUS_ALLOCATED);
    g_assert_cmpint(pnum, ==, 1 << 20);
    st = blk_block_status(blk, 4 << 20, 65536, &pnum, &map, &err);
    g_assert_false(st & BLK_STATUS_ALLOCATED);
    blk_close(blk);

    /* v2 has no zero flag: zeros over a backing file are written as data. */
    blk = create_open("cow2.qcow2", 65536, 16, 8 << 20, "cow-base.raw", "raw", 2);
    g_assert_cmpint(blk_write_zeroes(blk, 0, 1 << 20, 0, &err), ==, 0);
    assert_zero(blk, 0, 1 << 20);
    assert_reads(blk, 1 << 20, pat + (1 << 20), 65536);
    assert_clean(blk);
    blk_close(blk);
    g_free(expect);
    g_free(pat);
    g_free(base);
}

static void test_discard(void)
{
    BlockBackend *blk = create_open("discard.qcow2", 65536, 16, 16 << 20, NULL, NULL, 3);
    GError *err = NULL;
    uint8_t *buf = g_malloc(4 << 20);
    fill_pattern(buf, 4 << 20, 5);
    g_assert_cmpint(blk_pwrite(blk, 0, buf, 4 << 20, &err), ==, 0);
    g_assert_cmpint(blk_flush(blk, &err), ==, 0);
    int64_t before = bdrv_getlength(blk_bs(blk));
    (void)before;
    g_assert_cmpint(blk_discard(blk, 65536, 2 << 20, &err), ==, 0);
    assert_zero(blk, 65536, 2 << 20);
    assert_reads(blk, 0, buf, 65536);
    assert_reads(blk, 65536 + (2 << 20), buf + 65536 + (2 << 20), 65536);
    /* Freed clusters are reused after the flush applies the refcount drops. */
    g_assert_cmpint(blk_flush(blk, &err), ==, 0);
    assert_clean(blk);
    g_assert_cmpint(blk_pwrite(blk, 8 << 20, buf, 2 << 20, &err), ==, 0);
    g_assert_cmpint(blk_flush(blk, &err), ==, 0);
    BlockCheckResult r;
    bdrv_check(blk_bs(blk), &r, 0, &err);
    g_assert_cmpint(r.corruptions + r.leaks, ==, 0);
    /* 4 MiB written, 2 discarded, 2 more: the file did not need to grow for them. */
    g_assert_cmpint(r.image_end_offset, <=, (5 << 20));
    blk_close(blk);
    g_free(buf);
}

static void test_compressed(void)
{
    BlockBackend *blk = create_open("comp.qcow2", 65536, 16, 4 << 20, NULL, NULL, 3);
    GError *err = NULL;
    uint8_t *text = g_malloc(65536 * 4);
    for (int i = 0; i < 65536 * 4; i++) {
        text[i] = "compressible text "[i % 18];
    }
    for (int i = 0; i < 4; i++) {
        g_assert_cmpint(blk_pwrite_compressed(blk, (int64_t)i * 65536, text + i * 65536, 65536,
                                              &err), ==, 0);
    }
    /* Incompressible data falls back to a normal cluster. */
    uint8_t *rnd = g_malloc(65536);
    fill_pattern(rnd, 65536, 3);
    g_assert_cmpint(blk_pwrite_compressed(blk, 5 * 65536, rnd, 65536, &err), ==, 0);
    g_assert_no_error(err);
    assert_reads(blk, 0, text, 4 * 65536);
    assert_reads(blk, 5 * 65536, rnd, 65536);
    int64_t pnum, map;
    int st = blk_block_status(blk, 0, 65536, &pnum, &map, &err);
    g_assert_true(st & BLK_STATUS_COMPRESSED);
    g_assert_false(st & BLK_STATUS_OFFSET_VALID);
    assert_clean(blk);

    /* Partial overwrite of a compressed cluster: COW from the decompressed data. */
    uint8_t w[300];
    memset(w, 0x99, sizeof(w));
    g_assert_cmpint(blk_pwrite(blk, 65536 + 1000, w, sizeof(w), &err), ==, 0);
    memcpy(text + 65536 + 1000, w, sizeof(w));
    assert_reads(blk, 0, text, 4 * 65536);
    g_assert_cmpint(blk_flush(blk, &err), ==, 0);
    assert_clean(blk);

    /* Not cluster aligned: refused with a message. */
    g_assert_cmpint(blk_pwrite_compressed(blk, 512, text, 65536, &err), ==, -EINVAL);
    g_clear_error(&err);
    blk_close(blk);
    blk = reopen("comp.qcow2", 0);
    assert_reads(blk, 0, text, 4 * 65536);
    blk_close(blk);

    /* zstd */
    char *path = tmp_path("compz.qcow2");
    BlockCreateOptions o = { .format = "qcow2", .size = 1 << 20, .compression_type = 1 };
    g_assert_cmpint(blk_create(path, &o, &err), ==, 0);
    blk = blk_open(path, NULL, BLK_OPEN_RDWR, BLK_CACHE_WRITEBACK, &err);
    g_assert_cmpint(blk_pwrite_compressed(blk, 0, text, 65536, &err), ==, 0);
    assert_reads(blk, 0, text, 65536);
    BlockImageInfo info;
    bdrv_get_image_info(blk_bs(blk), &info, &err);
    g_assert_cmpstr(info.compression_type, ==, "zstd");
    block_image_info_clear(&info);
    assert_clean(blk);
    blk_close(blk);
    g_free(path);
    g_free(text);
    g_free(rnd);
}

static void test_snapshots(void)
{
    BlockBackend *blk = create_open("snap.qcow2", 65536, 16, 8 << 20, NULL, NULL, 3);
    BlockDriverState *bs = blk_bs(blk);
    GError *err = NULL;
    uint8_t *a = g_malloc(1 << 20), *b = g_malloc(1 << 20);
    fill_pattern(a, 1 << 20, 1);
    fill_pattern(b, 1 << 20, 2);

    g_assert_cmpint(blk_pwrite(blk, 0, a, 1 << 20, &err), ==, 0);
    g_assert_cmpint(bdrv_snapshot_create(bs, "one", &err), ==, 0);
    assert_clean(blk);
    /* Writes after the snapshot COW: the snapshot keeps a. */
    g_assert_cmpint(blk_pwrite(blk, 4096, b, 100000, &err), ==, 0);
    g_assert_cmpint(bdrv_snapshot_create(bs, "two", &err), ==, 0);
    g_assert_cmpint(blk_pwrite(blk, 0, b, 1 << 20, &err), ==, 0);
    assert_reads(blk, 0, b, 1 << 20);
    g_assert_cmpint(blk_flush(blk, &err), ==, 0);
    assert_clean(blk);

    GArray *list = bdrv_snapshot_list(bs, &err);
    g_assert_cmpuint(list->len, ==, 2);
    g_assert_cmpstr(g_array_index(list, BlockSnapshotInfo, 0).id, ==, "1");
    g_assert_cmpstr(g_array_index(list, BlockSnapshotInfo, 1).name, ==, "two");
    g_assert_cmpuint(g_array_index(list, BlockSnapshotInfo, 1).disk_size, ==, 8 << 20);
    block_snapshot_list_free(list);

    g_assert_cmpint(bdrv_snapshot_goto(bs, "one", &err), ==, 0);
    g_assert_no_error(err);
    assert_reads(blk, 0, a, 1 << 20);
    assert_clean(blk);
    g_assert_cmpint(bdrv_snapshot_goto(bs, "2", &err), ==, 0);   /* by ID */
    uint8_t *two = g_memdup2(a, 1 << 20);
    memcpy(two + 4096, b, 100000);
    assert_reads(blk, 0, two, 1 << 20);
    assert_clean(blk);

    g_assert_cmpint(bdrv_snapshot_delete(bs, "one", &err), ==, 0);
    assert_clean(blk);
    g_assert_cmpint(bdrv_snapshot_delete(bs, "nope", &err), ==, -ENOENT);
    g_clear_error(&err);
    /* With only "two" left, the active clusters it shares are COW again. */
    g_assert_cmpint(blk_pwrite(blk, 0, b, 5000, &err), ==, 0);
    g_assert_cmpint(bdrv_snapshot_goto(bs, "two", &err), ==, 0);
    assert_reads(blk, 0, two, 1 << 20);
    g_assert_cmpint(bdrv_snapshot_delete(bs, "two", &err), ==, 0);
    g_assert_cmpint(blk_flush(blk, &err), ==, 0);
    assert_clean(blk);
    blk_close(blk);

    blk = reopen("snap.qcow2", 0);
    assert_reads(blk, 0, two, 1 << 20);
    list = bdrv_snapshot_list(blk_bs(blk), &err);
    g_assert_cmpuint(list->len, ==, 0);
    block_snapshot_list_free(list);
    blk_close(blk);
    g_free(a);
    g_free(b);
    g_free(two);
}

static void test_refcount_overflow(void)
{
    /* 1-bit refcounts: a cluster can't be shared, so a snapshot must fail cleanly. */
    BlockBackend *blk = create_open("ovf.qcow2", 65536, 1, 1 << 20, NULL, NULL, 3);
    GError *err = NULL;
    uint8_t w[512] = { 1 };
    g_assert_cmpint(blk_pwrite(blk, 0, w, sizeof(w), &err), ==, 0);
    g_assert_cmpint(bdrv_snapshot_create(blk_bs(blk), "s", &err), ==, -ERANGE);
    g_assert_nonnull(strstr(err->message, "overflow"));
    g_clear_error(&err);
    /* The image stays usable and consistent (at worst leaked clusters). */
    assert_reads(blk, 0, w, sizeof(w));
    BlockCheckResult r;
    g_assert_cmpint(bdrv_check(blk_bs(blk), &r, 0, &err), ==, 0);
    g_assert_cmpint(r.corruptions, ==, 0);
    blk_close(blk);
}

static void test_resize_and_backing_change(void)
{
    BlockBackend *blk = create_open("resize.qcow2", 65536, 16, (1 << 20) + 1000, NULL, NULL, 3);
    GError *err = NULL;
    uint8_t *buf = g_malloc(1 << 20);
    fill_pattern(buf, 1 << 20, 4);
    g_assert_cmpint(blk_pwrite(blk, 1000, buf, 1 << 20, &err), ==, 0);
    /* Grow past one L2 table's reach: the L1 table grows too. */
    g_assert_cmpint(blk_truncate(blk, 3ll << 30, false, &err), ==, 0);
    g_assert_cmpint(blk_getlength(blk), ==, 3ll << 30);
    g_assert_cmpint(blk_pwrite(blk, (3ll << 30) - 4096, buf, 4096, &err), ==, 0);
    assert_reads(blk, 1000, buf, 1 << 20);
    assert_clean(blk);
    g_assert_cmpint(blk_truncate(blk, 4096, false, &err), ==, -EINVAL);
    g_clear_error(&err);
    g_assert_cmpint(blk_truncate(blk, 65536, true, &err), ==, 0);
    g_assert_cmpint(blk_flush(blk, &err), ==, 0);
    assert_clean(blk);
    /* Grow again: what was cut off reads as zeros. */
    g_assert_cmpint(blk_truncate(blk, 1 << 20, false, &err), ==, 0);
    assert_reads(blk, 1000, buf, 65536 - 1000);
    assert_zero(blk, 65536, (1 << 20) - 65536);

    g_assert_cmpint(bdrv_change_backing_file(blk_bs(blk), "some/base.img", "raw", &err), ==, 0);
    blk_close(blk);
    blk = reopen("resize.qcow2", BLK_OPEN_NO_BACKING);
    BlockImageInfo info;
    g_assert_cmpint(bdrv_get_image_info(blk_bs(blk), &info, &err), ==, 0);
    g_assert_cmpstr(info.backing_file, ==, "some/base.img");
    g_assert_cmpstr(info.backing_format, ==, "raw");
    block_image_info_clear(&info);
    assert_clean(blk);
    blk_close(blk);
    g_free(buf);
}

/* ---- malformed images ---- */

static void write_at(const char *name, off_t off, const void *data, size_t len)
{
    char *path = tmp_path(name);
    int fd = open(path, O_WRONLY);
    g_assert_cmpint(fd, >=, 0);
    g_assert_cmpint(pwrite(fd, data, len, off), ==, (ssize_t)len);
    close(fd);
    g_free(path);
}

static void put32(uint8_t *p, uint32_t v)
{
    p[0] = v >> 24; p[1] = v >> 16; p[2] = v >> 8; p[3] = v;
}

static void put64(uint8_t *p, uint64_t v)
{
    put32(p, v >> 32);
    put32(p + 4, v);
}

static void expect_open_error(const char *name, const char *needle)
{
    char *path = tmp_path(name);
    GError *err = NULL;
    BlockBackend *blk = blk_open(path, NULL, BLK_OPEN_RDWR, BLK_CACHE_WRITEBACK, &err);
    g_assert_null(blk);
    g_assert_nonnull(err);
    if (!strstr(err->message, needle)) {
        g_printerr("message '%s' lacks '%s'\n", err->message, needle);
        g_assert_not_reached();
    }
    g_error_free(err);
    g_free(path);
}

static void make_plain(const char *name)
{
    BlockBackend *blk = create_open(name, 65536, 16, 64 << 20, NULL, NULL, 3);
    uint8_t w[4096];
    memset(w, 0x3c, sizeof(w));
    GError *err = NULL;
    blk_pwrite(blk, 0, w, sizeof(w), &err);
    blk_close(blk);
}

static void test_malformed(void)
{
    uint8_t b[8];

    make_plain("bad-l1.qcow2");
    put32(b, 0x10000000);                       /* 256M entries = 2 GiB of L1 */
    write_at("bad-l1.qcow2", 36, b, 4);
    expect_open_error("bad-l1.qcow2", "L1 table too large");

    make_plain("bad-cb.qcow2");
    put32(b, 40);
    write_at("bad-cb.qcow2", 20, b, 4);
    expect_open_error("bad-cb.qcow2", "cluster size");

    make_plain("bad-feat.qcow2");
    put64(b, 1ull << 40);
    write_at("bad-feat.qcow2", 72, b, 8);
    expect_open_error("bad-feat.qcow2", "unsupported qcow2 feature");

    make_plain("bad-feat2.qcow2");
    put64(b, 1ull << 4);                        /* extended L2: named from the table */
    write_at("bad-feat2.qcow2", 72, b, 8);
    expect_open_error("bad-feat2.qcow2", "extended L2 entries");

    make_plain("bad-rt.qcow2");
    put64(b, 0x12345);                          /* unaligned refcount table */
    write_at("bad-rt.qcow2", 48, b, 8);
    expect_open_error("bad-rt.qcow2", "refcount table");

    make_plain("bad-ver.qcow2");
    put32(b, 7);
    write_at("bad-ver.qcow2", 4, b, 4);
    expect_open_error("bad-ver.qcow2", "version");

    make_plain("bad-snap.qcow2");
    put32(b, 1000000);
    write_at("bad-snap.qcow2", 60, b, 4);
    expect_open_error("bad-snap.qcow2", "snapshots");

    make_plain("bad-crypt.qcow2");
    put32(b, 1);
    write_at("bad-crypt.qcow2", 32, b, 4);
    expect_open_error("bad-crypt.qcow2", "encrypted");

    /* Truncated header. */
    char *path = tmp_path("trunc.qcow2");
    make_plain("trunc.qcow2");
    g_assert_cmpint(truncate(path, 50), ==, 0);
    expect_open_error("trunc.qcow2", "truncated");
    g_free(path);

    /* An L1 entry pointing beyond the end of the file: reads fail with a message. */
    make_plain("bad-l2.qcow2");
    put64(b, 0x8000000100000000ull);            /* 4 GiB, COPIED */
    write_at("bad-l2.qcow2", 0x30000, b, 8);
    BlockBackend *blk = reopen("bad-l2.qcow2", 0);
    uint8_t r[512];
    GError *err = NULL;
    g_assert_cmpint(blk_pread(blk, 0, r, sizeof(r), &err), ==, -EIO);
    g_assert_nonnull(strstr(err->message, "beyond the end"));
    g_clear_error(&err);
    BlockCheckResult res;
    g_assert_cmpint(bdrv_check(blk_bs(blk), &res, 0, &err), ==, 0);
    g_assert_cmpint(res.corruptions, >, 0);
    blk_close(blk);

    /* The same opened read-write: the write is refused and the image marked corrupt. */
    blk = reopen("bad-l2.qcow2", BLK_OPEN_RDWR);
    g_assert_cmpint(blk_pwrite(blk, 0, r, sizeof(r), &err), <, 0);
    g_clear_error(&err);
    blk_close(blk);
    blk = reopen("bad-l2.qcow2", BLK_OPEN_RDWR);
    g_assert_true(blk_is_read_only(blk));       /* corrupt bit: read-only with a warning */
    blk_close(blk);
    /* check -r all opens it read-write anyway and clears the bit when it can. */
    blk = reopen("bad-l2.qcow2", BLK_OPEN_RDWR | BLK_OPEN_REPAIR);
    g_assert_false(blk_is_read_only(blk));
    BlockImageInfo info;
    bdrv_get_image_info(blk_bs(blk), &info, &err);
    g_assert_true(info.corrupt);
    block_image_info_clear(&info);
    blk_close(blk);

    /* Backing chains: a loop, and a missing file. */
    char *a = tmp_path("loop-a.qcow2"), *bpath = tmp_path("loop-b.qcow2");
    BlockCreateOptions o = { .format = "qcow2", .size = 1 << 20, .backing_file = "loop-b.qcow2",
                             .backing_format = "qcow2", .backing_unsafe = true };
    g_assert_cmpint(blk_create(a, &o, &err), ==, 0);
    o.backing_file = "loop-a.qcow2";
    g_assert_cmpint(blk_create(bpath, &o, &err), ==, 0);
    expect_open_error("loop-a.qcow2", "loop");
    o.backing_file = "missing.qcow2";
    g_assert_cmpint(blk_create(a, &o, &err), ==, 0);
    expect_open_error("loop-a.qcow2", "missing.qcow2");
    g_free(a);
    g_free(bpath);
}

/* ---- crash consistency: SIGKILL during writes ---- */

static void crash_child(const char *path, int kill_after)
{
    GError *err = NULL;
    BlockBackend *blk = blk_open(path, "qcow2", BLK_OPEN_RDWR, BLK_CACHE_WRITEBACK, &err);
    if (!blk) {
        _exit(2);
    }
    uint8_t buf[100000];
    for (int i = 0;; i++) {
        uint32_t seed = i + 1;
        fill_pattern(buf, sizeof(buf), seed);
        int64_t off = ((int64_t)i * 7777777) % ((32 << 20) - sizeof(buf));
        if (blk_pwrite(blk, off, buf, sizeof(buf), &err) < 0) {
            _exit(3);
        }
        if (i % 3 == 2) {
            if (blk_flush(blk, &err) < 0) {
                _exit(4);
            }
            /* Tell the parent how far the durable state reaches. */
            int32_t done = i;
            if (write(STDOUT_FILENO, &done, sizeof(done)) != sizeof(done)) {
                _exit(5);
            }
        }
        if (i % 5 == 4) {
            blk_discard(blk, off, 65536 * 3, &err);
        }
        if (i == kill_after) {
            raise(SIGKILL);
        }
    }
}

static void test_crash_consistency(void)
{
    for (int round = 0; round < 6; round++) {
        char name[32];
        snprintf(name, sizeof(name), "crash%d.qcow2", round);
        BlockBackend *blk = create_open(name, round % 2 ? 4096 : 65536, 16, 32 << 20, NULL,
                                        NULL, 3);
        blk_close(blk);
        char *path = tmp_path(name);
        int pipefd[2];
        g_assert_cmpint(pipe(pipefd), ==, 0);
        fflush(NULL);
        pid_t pid = fork();
        g_assert_cmpint(pid, >=, 0);
        if (pid == 0) {
            close(pipefd[0]);
            dup2(pipefd[1], STDOUT_FILENO);
            crash_child(path, 7 + round * 11);
            _exit(1);
        }
        close(pipefd[1]);
        int32_t last_flushed = -1, v;
        while (read(pipefd[0], &v, sizeof(v)) == sizeof(v)) {
            last_flushed = v;
        }
        close(pipefd[0]);
        int status;
        g_assert_cmpint(waitpid(pid, &status, 0), ==, pid);
        g_assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);

        /* No corruption; leaks are allowed. */
        GError *err = NULL;
        blk = blk_open(path, "qcow2", 0, BLK_CACHE_WRITEBACK, &err);
        g_assert_no_error(err);
        BlockCheckResult r;
        g_assert_cmpint(bdrv_check(blk_bs(blk), &r, 0, &err), ==, 0);
        g_assert_cmpint(r.corruptions, ==, 0);
        g_assert_cmpint(r.check_errors, ==, 0);
        /* The last flushed write is there (later ones may overlap it: check the newest). */
        if (last_flushed >= 0) {
            uint8_t expect[100000], got[100000];
            fill_pattern(expect, sizeof(expect), last_flushed + 1);
            int64_t off = ((int64_t)last_flushed * 7777777) % ((32 << 20) - sizeof(expect));
            g_assert_cmpint(blk_pread(blk, off, got, sizeof(got), &err), ==, 0);
            /* Writes after it, or discards, may have overwritten parts: compare what
             * none of them touched (the driver flushes in order, so the newest flushed
             * write is intact unless a later one overlapped it). */
            bool overlapped = false;
            for (int j = last_flushed + 1; j <= 7 + round * 11; j++) {
                int64_t o2 = ((int64_t)j * 7777777) % ((32 << 20) - sizeof(expect));
                if (o2 < off + (int64_t)sizeof(expect) && off < o2 + (int64_t)sizeof(expect)) {
                    overlapped = true;
                }
            }
            if (last_flushed % 5 == 4) {
                overlapped = true;   /* its own discard */
            }
            if (!overlapped) {
                g_assert_cmpmem(got, sizeof(got), expect, sizeof(expect));
            }
        }
        blk_close(blk);
        /* Repairing leaks leaves a clean image. */
        blk = blk_open(path, "qcow2", BLK_OPEN_RDWR | BLK_OPEN_REPAIR, BLK_CACHE_WRITEBACK,
                       &err);
        g_assert_cmpint(bdrv_check(blk_bs(blk), &r, BLK_FIX_LEAKS, &err), ==, 0);
        g_assert_cmpint(bdrv_check(blk_bs(blk), &r, 0, &err), ==, 0);
        g_assert_cmpint(r.corruptions + r.leaks, ==, 0);
        blk_close(blk);
        g_free(path);
    }
}

static void test_lazy_refcounts_dirty(void)
{
    char *path = tmp_path("lazy.qcow2");
    BlockCreateOptions o = { .format = "qcow2", .size = 1 << 20, .lazy_refcounts = true };
    GError *err = NULL;
    g_assert_cmpint(blk_create(path, &o, &err), ==, 0);
    BlockBackend *blk = blk_open(path, NULL, BLK_OPEN_RDWR, BLK_CACHE_WRITEBACK, &err);
    uint8_t w[512] = { 9 };
    g_assert_cmpint(blk_pwrite(blk, 0, w, sizeof(w), &err), ==, 0);
    BlockImageInfo info;
    bdrv_get_image_info(blk_bs(blk), &info, &err);
    g_assert_true(info.dirty);            /* set while open with writes */
    g_assert_true(info.lazy_refcounts);
    block_image_info_clear(&info);
    blk_close(blk);
    blk = blk_open(path, NULL, 0, BLK_CACHE_WRITEBACK, &err);
    bdrv_get_image_info(blk_bs(blk), &info, &err);
    g_assert_false(info.dirty);           /* cleared on a clean close */
    block_image_info_clear(&info);
    blk_close(blk);

    /* A dirty image opened read-write is repaired (refcounts rebuilt) first. */
    uint8_t dirty[8] = { 0, 0, 0, 0, 0, 0, 0, 1 };
    write_at("lazy.qcow2", 72, dirty, 8);
    uint8_t leak[2] = { 0, 1 };
    write_at("lazy.qcow2", 0x20000 + 2 * 9, leak, 2);   /* a leaked cluster */
    blk = blk_open(path, NULL, BLK_OPEN_RDWR, BLK_CACHE_WRITEBACK, &err);
    g_assert_no_error(err);
    bdrv_get_image_info(blk_bs(blk), &info, &err);
    g_assert_false(info.dirty);
    block_image_info_clear(&info);
    assert_clean(blk);
    assert_reads(blk, 0, w, sizeof(w));
    blk_close(blk);
    g_free(path);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    /* A directory on the build's disk (tmpfs would refuse O_DIRECT). */
    tmp_dir = test_tmpdir_on_disk("test-qcow2");

    g_test_add_func("/qcow2/cache/hit-miss", test_cache_hit_miss);
    g_test_add_func("/qcow2/cache/eviction", test_cache_eviction);
    g_test_add_func("/qcow2/cache/pinning", test_cache_pinning);
    g_test_add_func("/qcow2/cache/write-discard", test_cache_write_discard);
    g_test_add_func("/qcow2/refcount/entries", test_refcount_entries);
    g_test_add_func("/qcow2/alloc-growth", test_alloc_growth);
    g_test_add_func("/qcow2/overwrite-cow", test_overwrite_and_cow);
    g_test_add_func("/qcow2/discard", test_discard);
    g_test_add_func("/qcow2/compressed", test_compressed);
    g_test_add_func("/qcow2/snapshots", test_snapshots);
    g_test_add_func("/qcow2/refcount-overflow", test_refcount_overflow);
    g_test_add_func("/qcow2/resize-backing-change", test_resize_and_backing_change);
    g_test_add_func("/qcow2/malformed", test_malformed);
    g_test_add_func("/qcow2/crash-consistency", test_crash_consistency);
    g_test_add_func("/qcow2/lazy-refcounts-dirty", test_lazy_refcounts_dirty);
    int ret = g_test_run();

    test_tmpdir_remove(tmp_dir);
    g_free(tmp_dir);
    return ret;
}
