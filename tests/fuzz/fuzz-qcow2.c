/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libFuzzer target: the input is a qcow2 image file.  It is opened (never
 * following a backing file name: that would reach arbitrary host files),
 * described, read, walked with block status, checked, listed; then opened
 * read-write and written, zeroed, discarded, compressed into, flushed and
 * checked again.  Any crash, sanitizer report, leak or hang is a bug: the
 * image is untrusted input.
 *
 * Built by `make fuzz` (clang -fsanitize=fuzzer); tests/unit/
 * test-qcow2-fuzz.c includes this file and replays a generated corpus of
 * mutated images during `make check`.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "block/block.h"

/* Inputs larger than this are skipped: they only slow the fuzzer down. */
#define FUZZ_MAX_INPUT (4u << 20)
#define FUZZ_IO (64u * 1024)

static int fuzz_fd = -1;   /* the image of the current input */

static void fuzz_read_some(BlockBackend *blk)
{
    int64_t len = blk_getlength(blk);
    uint8_t *buf = g_malloc(FUZZ_IO);
    int64_t offsets[] = { 0, 512, len / 2, len - FUZZ_IO, len - 1000 };
    for (size_t i = 0; i < G_N_ELEMENTS(offsets); i++) {
        int64_t off = offsets[i];
        if (off < 0 || off >= len) {
            continue;
        }
        int64_t n = MIN((int64_t)FUZZ_IO, len - off);
        blk_pread(blk, off, buf, n, NULL);
    }
    /* Block status over the start of the disk, bounded in steps. */
    int64_t off = 0;
    for (int steps = 0; steps < 64 && off < len; steps++) {
        int64_t pnum, map;
        int depth;
        BlockDriverState *file_bs;
        if (bdrv_block_status_above(blk_bs(blk), off, len - off, &pnum, &map, &depth,
                                    &file_bs, NULL) < 0) {
            break;
        }
        off += pnum;
    }
    g_free(buf);
}

static void fuzz_describe(BlockBackend *blk)
{
    BlockImageInfo info;
    if (bdrv_get_image_info(blk_bs(blk), &info, NULL) == 0) {
        block_image_info_clear(&info);
    } else {
        block_image_info_clear(&info);
    }
    GArray *list = bdrv_snapshot_list(blk_bs(blk), NULL);
    block_snapshot_list_free(list);
    BlockCheckResult res;
    bdrv_check(blk_bs(blk), &res, 0, NULL);
}

static void fuzz_write_some(BlockBackend *blk)
{
    int64_t len = blk_getlength(blk);
    uint8_t *buf = g_malloc(FUZZ_IO);
    memset(buf, 0x6b, FUZZ_IO);
    if (len > 0) {
        int64_t n = MIN((int64_t)FUZZ_IO, len);
        blk_pwrite(blk, 0, buf, n, NULL);
        blk_pwrite(blk, len / 2, buf, MIN((int64_t)3000, len - len / 2), NULL);
        blk_write_zeroes(blk, 0, MIN(len, (int64_t)(1 << 20)), 0, NULL);
        blk_discard(blk, 0, MIN(len, (int64_t)(1 << 20)), NULL);
        int64_t cs = bdrv_cluster_size(blk_bs(blk));
        if (cs > 0 && cs <= (int64_t)FUZZ_IO && len >= cs) {
            blk_pwrite_compressed(blk, 0, buf, cs, NULL);
        }
    }
    blk_flush(blk, NULL);
    /*
     * Writes can place metadata far out in a (sparse) file when the input's
     * refcount table says so; checking such a file is linear in its size and
     * proves nothing more, so only smaller files are checked again.
     */
    struct stat st;
    if (fstat(fuzz_fd, &st) == 0 && st.st_size < (64 << 20)) {
        BlockCheckResult res;
        bdrv_check(blk_bs(blk), &res, 0, NULL);
    }
    if (len > 0) {
        bdrv_snapshot_create(blk_bs(blk), "fuzz", NULL);
        bdrv_snapshot_delete(blk_bs(blk), "fuzz", NULL);
    }
    g_free(buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

static void fuzz_quiet_printerr(const gchar *msg)
{
}

/* Check reports and corruption warnings are expected here; printing them costs speed. */
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    g_set_printerr_handler(fuzz_quiet_printerr);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > FUZZ_MAX_INPUT) {
        return 0;
    }
    int fd = memfd_create("fuzz-qcow2", MFD_CLOEXEC);
    if (fd < 0) {
        return 0;
    }
    if (write(fd, data, size) != (ssize_t)size) {
        close(fd);
        return 0;
    }
    char path[64];
    snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
    fuzz_fd = fd;

    BlockBackend *blk = blk_open(path, "qcow2", BLK_OPEN_NO_BACKING, BLK_CACHE_UNSAFE, NULL);
    if (blk) {
        fuzz_describe(blk);
        fuzz_read_some(blk);
        blk_close(blk);
    }
    blk = blk_open(path, "qcow2", BLK_OPEN_RDWR | BLK_OPEN_NO_BACKING, BLK_CACHE_UNSAFE, NULL);
    if (blk) {
        fuzz_write_some(blk);
        fuzz_read_some(blk);
        blk_close(blk);
    }
    close(fd);
    return 0;
}
