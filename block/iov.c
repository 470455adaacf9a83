/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Scatter/gather helpers for the block layer. */
#include <string.h>

#include "block/block_int.h"

void biov_init_buf(BlockIOV *qiov, struct iovec *one, void *buf, size_t len)
{
    one->iov_base = buf;
    one->iov_len = len;
    qiov->iov = one;
    qiov->niov = 1;
    qiov->size = len;
}

void biov_init(BlockIOV *qiov, const struct iovec *iov, int niov)
{
    qiov->iov = iov;
    qiov->niov = niov;
    qiov->size = 0;
    for (int i = 0; i < niov; i++) {
        qiov->size += iov[i].iov_len;
    }
}

/* Walk the vector from `offset`, calling fn on each piece of at most `len` bytes. */
#define BIOV_WALK(qiov, offset, len, piece_base, piece_len, body)              \
    do {                                                                       \
        size_t skip_ = (offset), left_ = (len), done_ = 0;                     \
        for (int i_ = 0; i_ < (qiov)->niov && left_ > 0; i_++) {               \
            size_t l_ = (qiov)->iov[i_].iov_len;                              \
            if (skip_ >= l_) {                                                 \
                skip_ -= l_;                                                   \
                continue;                                                      \
            }                                                                  \
            size_t n_ = MIN(l_ - skip_, left_);                                \
            uint8_t *piece_base = (uint8_t *)(qiov)->iov[i_].iov_base + skip_; \
            size_t piece_len = n_;                                             \
            size_t piece_done = done_;                                         \
            (void)piece_done;                                                  \
            body;                                                              \
            skip_ = 0;                                                         \
            left_ -= n_;                                                       \
            done_ += n_;                                                       \
        }                                                                      \
        g_assert(left_ == 0);                                                  \
    } while (0)

void biov_to_buf(const BlockIOV *qiov, size_t offset, void *buf, size_t len)
{
    BIOV_WALK(qiov, offset, len, base, n, memcpy((uint8_t *)buf + piece_done, base, n));
}

void biov_from_buf(const BlockIOV *qiov, size_t offset, const void *buf, size_t len)
{
    BIOV_WALK(qiov, offset, len, base, n, memcpy(base, (const uint8_t *)buf + piece_done, n));
}

void biov_memset(const BlockIOV *qiov, size_t offset, int c, size_t len)
{
    BIOV_WALK(qiov, offset, len, base, n, memset(base, c, n));
}

int biov_slice(const BlockIOV *qiov, size_t offset, size_t len, struct iovec *out, int max)
{
    int count = 0;
    bool overflow = false;

    BIOV_WALK(qiov, offset, len, base, n, {
        if (count < max) {
            out[count].iov_base = base;
            out[count].iov_len = n;
        } else {
            overflow = true;
        }
        count++;
    });
    return overflow ? -1 : count;
}

bool buffer_is_zero(const void *buf, size_t len)
{
    const uint8_t *p = buf;
    size_t head = MIN(len, (size_t)64);

    /* Non-zero data usually fails on the first bytes. */
    for (size_t i = 0; i < head; i++) {
        if (p[i]) {
            return false;
        }
    }
    /*
     * The first 64 bytes are zero; the buffer is all zero iff every byte
     * equals the one 64 bytes before it (glibc's memcmp is vectorised).
     */
    return len <= 64 || memcmp(p, p + 64, len - 64) == 0;
}
