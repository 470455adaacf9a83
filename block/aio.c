/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Asynchronous block requests for devices.
 *
 * A request is handed to an IO engine; the engine runs it and calls
 * aio_request_done() from any thread; the completion callback then runs on
 * the thread iterating glib's default main context (the device thread, see
 * hw/core/mainloop.h), from an idle source.  The only engine today is a
 * GThreadPool running the synchronous driver code; an io_uring engine would
 * plug in as another BlockAioEngine whose submit() queues SQEs and whose
 * CQE handler calls aio_request_done() (for drivers that are mere
 * passthroughs to a file, i.e. raw).
 */
#include <string.h>

#include "block/block_int.h"

typedef enum {
    AIO_READ,
    AIO_WRITE,
    AIO_FLUSH,
    AIO_DISCARD,
} AioType;

typedef struct BlockAioRequest {
    BlockBackend *blk;
    AioType type;
    int64_t offset;
    int64_t bytes;
    struct iovec *iov;
    int iovcnt;
    BlockCompletionFunc *cb;
    void *opaque;
    int ret;
    GError *err;
} BlockAioRequest;

typedef struct BlockAioEngine {
    const char *name;
    void (*submit)(BlockAioRequest *req);
} BlockAioEngine;

/* At most this many errors per backend are printed. */
#define AIO_ERROR_REPORT_MAX 10
/* Worker threads shared by every backend; IO bound, so more than the cores. */
#define AIO_POOL_THREADS 8

static void aio_request_done(BlockAioRequest *req);

/* ---- the thread pool engine ---- */

static void aio_execute(BlockAioRequest *req)
{
    BlockBackend *blk = req->blk;
    switch (req->type) {
    case AIO_READ:
        req->ret = blk_preadv(blk, req->offset, req->iov, req->iovcnt, &req->err);
        break;
    case AIO_WRITE:
        req->ret = blk_pwritev(blk, req->offset, req->iov, req->iovcnt, &req->err);
        break;
    case AIO_FLUSH:
        req->ret = blk_flush(blk, &req->err);
        break;
    case AIO_DISCARD:
        req->ret = blk_discard(blk, req->offset, req->bytes, &req->err);
        break;
    }
}

static void pool_worker(gpointer data, gpointer user_data)
{
    BlockAioRequest *req = data;
    aio_execute(req);
    aio_request_done(req);
}

static GThreadPool *aio_pool(void)
{
    static gsize once;
    static GThreadPool *pool;
    if (g_once_init_enter(&once)) {
        pool = g_thread_pool_new(pool_worker, NULL, AIO_POOL_THREADS, FALSE, NULL);
        g_once_init_leave(&once, 1);
    }
    return pool;
}

static void pool_submit(BlockAioRequest *req)
{
    g_thread_pool_push(aio_pool(), req, NULL);
}

static const BlockAioEngine thread_pool_engine = {
    .name = "threads",
    .submit = pool_submit,
};

/* ---- completion on the main loop ---- */

static void aio_complete_one(BlockAioRequest *req)
{
    BlockBackend *blk = req->blk;
    if (req->ret < 0) {
        g_mutex_lock(&blk->aio_lock);
        bool report = blk->errors_reported < AIO_ERROR_REPORT_MAX;
        if (report) {
            blk->errors_reported++;
        }
        g_mutex_unlock(&blk->aio_lock);
        if (report) {
            g_printerr("ioemu: block: %s\n",
                       req->err ? req->err->message : g_strerror(-req->ret));
        }
    }
    g_mutex_lock(&blk->aio_lock);
    blk->in_flight--;
    g_mutex_unlock(&blk->aio_lock);
    req->cb(req->opaque, req->ret);
    g_clear_error(&req->err);
    g_free(req->iov);
    g_free(req);
}

/* Take every finished request of blk (aio_lock held by the caller). */
static GQueue take_completed_locked(BlockBackend *blk)
{
    GQueue q = blk->completed;
    g_queue_init(&blk->completed);
    return q;
}

static gboolean aio_dispatch(gpointer data)
{
    BlockBackend *blk = data;
    g_mutex_lock(&blk->aio_lock);
    GQueue q = take_completed_locked(blk);
    blk->completion_source = 0;
    g_mutex_unlock(&blk->aio_lock);

    BlockAioRequest *req;
    while ((req = g_queue_pop_head(&q))) {
        aio_complete_one(req);
    }
    return G_SOURCE_REMOVE;
}

static void aio_request_done(BlockAioRequest *req)
{
    BlockBackend *blk = req->blk;
    g_mutex_lock(&blk->aio_lock);
    g_queue_push_tail(&blk->completed, req);
    blk->running--;
    if (!blk->completion_source) {
        /* Attaching a source to the default context wakes its poll(). */
        blk->completion_source = g_idle_add_full(G_PRIORITY_DEFAULT, aio_dispatch, blk, NULL);
    }
    g_cond_broadcast(&blk->aio_cond);
    g_mutex_unlock(&blk->aio_lock);
}

static void aio_submit(BlockBackend *blk, AioType type, int64_t offset, int64_t bytes,
                       const struct iovec *iov, int iovcnt, BlockCompletionFunc *cb,
                       void *opaque)
{
    BlockAioRequest *req = g_new0(BlockAioRequest, 1);
    req->blk = blk;
    req->type = type;
    req->offset = offset;
    req->bytes = bytes;
    if (iovcnt > 0) {
        req->iov = g_memdup2(iov, sizeof(*iov) * iovcnt);
        req->iovcnt = iovcnt;
    }
    req->cb = cb;
    req->opaque = opaque;

    g_mutex_lock(&blk->aio_lock);
    blk->in_flight++;
    blk->running++;
    g_mutex_unlock(&blk->aio_lock);
    thread_pool_engine.submit(req);
}

void blk_aio_preadv(BlockBackend *blk, int64_t offset, const struct iovec *iov, int iovcnt,
                    BlockCompletionFunc *cb, void *opaque)
{
    aio_submit(blk, AIO_READ, offset, 0, iov, iovcnt, cb, opaque);
}

void blk_aio_pwritev(BlockBackend *blk, int64_t offset, const struct iovec *iov, int iovcnt,
                     BlockCompletionFunc *cb, void *opaque)
{
    aio_submit(blk, AIO_WRITE, offset, 0, iov, iovcnt, cb, opaque);
}

void blk_aio_flush(BlockBackend *blk, BlockCompletionFunc *cb, void *opaque)
{
    aio_submit(blk, AIO_FLUSH, 0, 0, NULL, 0, cb, opaque);
}

void blk_aio_pdiscard(BlockBackend *blk, int64_t offset, int64_t bytes,
                      BlockCompletionFunc *cb, void *opaque)
{
    aio_submit(blk, AIO_DISCARD, offset, bytes, NULL, 0, cb, opaque);
}

unsigned blk_aio_in_flight(BlockBackend *blk)
{
    g_mutex_lock(&blk->aio_lock);
    unsigned n = blk->in_flight;
    g_mutex_unlock(&blk->aio_lock);
    return n;
}

void blk_drain(BlockBackend *blk)
{
    for (;;) {
        g_mutex_lock(&blk->aio_lock);
        while (blk->running > 0) {
            g_cond_wait(&blk->aio_cond, &blk->aio_lock);
        }
        GQueue q = take_completed_locked(blk);
        if (blk->completion_source) {
            g_source_remove(blk->completion_source);
            blk->completion_source = 0;
        }
        bool idle = blk->in_flight == 0;
        g_mutex_unlock(&blk->aio_lock);
        if (idle) {
            return;
        }
        /* Callbacks may queue more requests (a device continuing a transfer). */
        BlockAioRequest *req;
        while ((req = g_queue_pop_head(&q))) {
            aio_complete_one(req);
        }
    }
}

void blk_aio_cleanup(BlockBackend *blk)
{
    g_mutex_lock(&blk->aio_lock);
    g_assert(blk->in_flight == 0);
    if (blk->completion_source) {
        g_source_remove(blk->completion_source);
        blk->completion_source = 0;
    }
    g_mutex_unlock(&blk->aio_lock);
}
