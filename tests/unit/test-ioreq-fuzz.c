/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The short corpus replay of the ioreq fuzz target for `make check`: a
 * deterministic mix of requests built from edge values (every type, size,
 * direction, df, data_is_ptr, counts that overflow, addresses at the ends
 * of the spaces, pointers outside RAM) and buffered pages with sane and
 * insane pointers, each through LLVMFuzzerTestOneInput.  Passing means: no
 * crash, no sanitizer report, no hang, and the target's own checks held.
 */
#include "tests/fuzz/fuzz-ioreq.c"

static const uint64_t addrs[] = {
    0, 1, 0x3f8, 0x3fd, 0xcf8, 0xcfc, 0xcfe, 0xffff, 0x10000, FUZZ_MMIO_BASE, FUZZ_MMIO_BASE + 0xffc,
    FUZZ_MMIO_BASE + FUZZ_MMIO_SIZE - 1, 0xfffff, FUZZ_RAM_SIZE - 1, FUZZ_RAM_SIZE, 0x80000000ull,
    (0x08ull << 32) | 0x60, (0xffffull << 32) | 0xfc, 1ull << 40, UINT64_MAX - 7, UINT64_MAX - 3, UINT64_MAX,
};
static const uint64_t datas[] = {
    0, 1, 0xff, 0x1000, FUZZ_RAM_SIZE - 8, FUZZ_RAM_SIZE - 1, FUZZ_RAM_SIZE, 0xfff00000000ull,
    0x8000000000000000ull, UINT64_MAX - 1, UINT64_MAX,
};
static const uint32_t counts[] = { 0, 1, 2, 3, 16, 4096, 8193, 0x10000, 0x7fffffff, 0x80000000u, UINT32_MAX };
static const uint32_t sizes[] = { 0, 1, 2, 3, 4, 5, 8, 16, 0x80000000u, UINT32_MAX };
static const uint8_t types[] = { 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0x7f, 0xff };

static void run_sync(const ioreq_t *req, GRand *r)
{
    uint8_t buf[1 + sizeof(ioreq_t) + 64];

    buf[0] = 0;
    memcpy(buf + 1, req, sizeof(*req));
    for (size_t i = 1 + sizeof(*req); i < sizeof(buf); i++) {
        buf[i] = (uint8_t)g_rand_int(r);
    }
    LLVMFuzzerTestOneInput(buf, sizeof(buf));
}

static void test_sync_corpus(void)
{
    GRand *r = g_rand_new_with_seed(0x10e4);
    unsigned runs = 0;

    /* Every type x size x direction with simple operands */
    for (size_t t = 0; t < G_N_ELEMENTS(types); t++) {
        for (size_t s = 0; s < G_N_ELEMENTS(sizes); s++) {
            for (int dir = 0; dir < 2; dir++) {
                for (int ptr = 0; ptr < 2; ptr++) {
                    ioreq_t req = { .addr = 0x3f8, .data = 0x1000, .count = 2, .size = sizes[s],
                                    .dir = dir, .data_is_ptr = ptr, .type = types[t] };
                    run_sync(&req, r);
                    runs++;
                }
            }
        }
    }
    /* Random combinations of the edge values */
    for (int i = 0; i < 20000; i++) {
        ioreq_t req;

        memset(&req, 0, sizeof(req));
        req.type = types[g_rand_int_range(r, 0, G_N_ELEMENTS(types))];
        req.addr = addrs[g_rand_int_range(r, 0, G_N_ELEMENTS(addrs))];
        req.data = datas[g_rand_int_range(r, 0, G_N_ELEMENTS(datas))];
        req.count = counts[g_rand_int_range(r, 0, G_N_ELEMENTS(counts))];
        req.size = sizes[g_rand_int_range(r, 0, G_N_ELEMENTS(sizes))];
        req.dir = g_rand_int(r) & 1;
        req.df = g_rand_int(r) & 1;
        req.data_is_ptr = g_rand_int(r) & 1;
        req.vp_eport = g_rand_int(r);
        /* keep long reps rare: they are slow, not interesting */
        if (req.count > 16 && req.count <= 0x10000 && g_rand_int_range(r, 0, 8)) {
            req.count = 16;
        }
        run_sync(&req, r);
        runs++;
    }
    /* Raw random bytes */
    for (int i = 0; i < 5000; i++) {
        uint8_t buf[1 + sizeof(ioreq_t)];

        for (size_t k = 0; k < sizeof(buf); k++) {
            buf[k] = (uint8_t)g_rand_int(r);
        }
        buf[0] &= ~1;
        LLVMFuzzerTestOneInput(buf, sizeof(buf));
        runs++;
    }
    g_assert_cmpuint(runs, >, 25000);
    g_rand_free(r);
}

static void test_bufring_corpus(void)
{
    GRand *r = g_rand_new_with_seed(0xb0f);
    static const uint32_t ptrs[] = { 0, 1, 2, 510, 511, 512, 1021, 1022, 0x7fffffff, UINT32_MAX - 1, UINT32_MAX };
    uint8_t *page = g_malloc(1 + 4096);

    for (int i = 0; i < 3000; i++) {
        uint32_t rp = ptrs[g_rand_int_range(r, 0, G_N_ELEMENTS(ptrs))];
        uint32_t wp = g_rand_boolean(r) ? rp + (uint32_t)g_rand_int_range(r, 0, 520)
                                        : ptrs[g_rand_int_range(r, 0, G_N_ELEMENTS(ptrs))];

        page[0] = 1;
        memcpy(page + 1, &rp, 4);
        memcpy(page + 5, &wp, 4);
        for (int k = 9; k < 1 + 4096; k += 8) {
            /* mostly well-formed COPY/PIO/TIMEOFFSET writes, sometimes garbage */
            uint32_t w0, w1 = g_rand_int(r);

            if (g_rand_int_range(r, 0, 4)) {
                static const uint8_t btypes[] = { 0, 1, 7, 8 };
                w0 = btypes[g_rand_int_range(r, 0, 4)] | ((uint32_t)g_rand_int_range(r, 0, 4) << 10) |
                     ((g_rand_int(r) & 0xfffffu) << 12);
                if (g_rand_int_range(r, 0, 2)) {
                    w0 = (w0 & 0xfff) | ((uint32_t)(FUZZ_MMIO_BASE + g_rand_int_range(r, 0, FUZZ_MMIO_SIZE)) << 12);
                }
            } else {
                w0 = g_rand_int(r);
            }
            memcpy(page + k, &w0, 4);
            memcpy(page + k + 4, &w1, 4);
        }
        LLVMFuzzerTestOneInput(page, 1 + 4096);
    }
    g_free(page);
    g_rand_free(r);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/ioreq-fuzz/sync-corpus", test_sync_corpus);
    g_test_add_func("/ioreq-fuzz/bufring-corpus", test_bufring_corpus);
    return g_test_run();
}
