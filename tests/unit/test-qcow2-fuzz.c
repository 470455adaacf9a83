/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The short corpus replay of the qcow2 fuzz target for `make check`:
 * valid seed images (v2, v3, small and large clusters, compressed,
 * snapshots, zstd, narrow refcounts) are generated here, then mutated
 * deterministically where the metadata lives (header, extensions,
 * refcount table and blocks, L1/L2 tables, snapshot table) and each one
 * goes through the fuzz target.  Passing means: no crash, no sanitizer
 * report, no hang.
 */
#include <glib/gstdio.h>

#include "tests/fuzz/fuzz-qcow2.c"

static char *tmp_dir;

static void quiet_printerr(const gchar *msg)
{
}

static GBytes *make_seed(const char *name, const BlockCreateOptions *opts, bool snapshot,
                         bool compressed)
{
    char *path = g_build_filename(tmp_dir, name, NULL);
    GError *err = NULL;
    g_assert_cmpint(blk_create(path, opts, &err), ==, 0);
    BlockBackend *blk = blk_open(path, "qcow2", BLK_OPEN_RDWR | BLK_OPEN_NO_BACKING,
                                 BLK_CACHE_UNSAFE, &err);
    g_assert_no_error(err);
    int64_t cs = bdrv_cluster_size(blk_bs(blk));
    uint8_t *buf = g_malloc(cs * 4);
    for (int64_t i = 0; i < cs * 4; i++) {
        buf[i] = (i * 7) ^ (i >> 9);
    }
    /* Whole clusters when a (never opened) backing file is named: no COW from it. */
    blk_pwrite(blk, 0, buf, opts->backing_file ? cs * 2 : cs * 2 + 100, &err);
    blk_pwrite(blk, opts->size / 2, buf, cs, &err);
    blk_write_zeroes(blk, cs * 3, cs, 0, &err);
    if (compressed) {
        blk_pwrite_compressed(blk, cs * 5, buf, cs, &err);
        blk_pwrite_compressed(blk, cs * 6, buf + cs, cs, &err);
    }
    if (snapshot) {
        bdrv_snapshot_create(blk_bs(blk), "seed", &err);
        blk_pwrite(blk, 0, buf + 1, opts->backing_file ? cs : 300, &err);
    }
    g_assert_no_error(err);
    blk_close(blk);
    gchar *contents;
    gsize len;
    g_assert_true(g_file_get_contents(path, &contents, &len, NULL));
    g_unlink(path);
    g_free(path);
    g_free(buf);
    return g_bytes_new_take(contents, len);
}

static const uint64_t interesting[] = {
    0, 1, 0x7f, 0x80, 0xff, 0x100, 0x1ff, 0x200, 0xffff, 0x10000, 0x7fffffff, 0x80000000,
    0xffffffff, 0x100000000ull, 0x8000000000000000ull, 0x00fffffffffffe00ull,
    0x4000000000000000ull, 0xffffffffffffffffull, 0x8000000000000001ull,
};

static void mutate(uint8_t *img, size_t len, GRand *rng, size_t cs)
{
    int edits = g_rand_int_range(rng, 1, 4);
    for (int e = 0; e < edits; e++) {
        /* Metadata lives in the first clusters of these small images. */
        size_t region = MIN(len, cs * 8);
        size_t pos = g_rand_int_range(rng, 0, region);
        switch (g_rand_int_range(rng, 0, 4)) {
        case 0:
            img[pos] = g_rand_int_range(rng, 0, 256);
            break;
        case 1:
            img[pos] ^= 1u << g_rand_int_range(rng, 0, 8);
            break;
        default: {
            /* An aligned big-endian field set to an interesting value. */
            size_t width = g_rand_boolean(rng) ? 8 : 4;
            pos &= ~(width - 1);
            if (pos + width > len) {
                break;
            }
            uint64_t v = interesting[g_rand_int_range(rng, 0, G_N_ELEMENTS(interesting))];
            for (size_t i = 0; i < width; i++) {
                img[pos + i] = v >> (8 * (width - 1 - i));
            }
            break;
        }
        }
    }
}

static void test_replay(void)
{
    BlockCreateOptions seeds_opts[] = {
        { .format = "qcow2", .size = 4 << 20, .cluster_size = 512 },
        { .format = "qcow2", .size = 4 << 20, .cluster_size = 512, .compat = 2 },
        { .format = "qcow2", .size = 8 << 20, .cluster_size = 4096, .refcount_bits = 2 },
        { .format = "qcow2", .size = 8 << 20, .cluster_size = 4096, .compression_type = 1 },
        { .format = "qcow2", .size = 64 << 20, .cluster_size = 65536,
          .backing_file = "base.img", .backing_format = "raw", .backing_unsafe = true },
    };
    GRand *rng = g_rand_new_with_seed(0x51f0c2);
    GPrintFunc old = g_set_printerr_handler(quiet_printerr);
    int runs = 0;
    for (size_t s = 0; s < G_N_ELEMENTS(seeds_opts); s++) {
        char name[32];
        snprintf(name, sizeof(name), "seed%zu.qcow2", s);
        GBytes *seed = make_seed(name, &seeds_opts[s], s != 1 && s != 2, s != 4);
        gsize len;
        const uint8_t *data = g_bytes_get_data(seed, &len);
        LLVMFuzzerTestOneInput(data, len);
        runs++;
        size_t cs = seeds_opts[s].cluster_size;
        int mutants = g_test_slow() ? 2000 : 120;
        uint8_t *copy = g_malloc(len);
        for (int m = 0; m < mutants; m++) {
            memcpy(copy, data, len);
            mutate(copy, len, rng, cs);
            LLVMFuzzerTestOneInput(copy, len);
            runs++;
        }
        /* Truncations at every interesting boundary. */
        for (size_t cut = 0; cut < MIN(len, cs * 8); cut += cs / 2) {
            LLVMFuzzerTestOneInput(data, cut);
            runs++;
        }
        g_free(copy);
        g_bytes_unref(seed);
    }
    g_set_printerr_handler(old);
    g_rand_free(rng);
    g_assert_cmpint(runs, >, 500);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    tmp_dir = g_dir_make_tmp("test-qcow2-fuzz-XXXXXX", NULL);
    g_test_add_func("/qcow2/fuzz-replay", test_replay);
    int ret = g_test_run();
    g_rmdir(tmp_dir);
    g_free(tmp_dir);
    return ret;
}
