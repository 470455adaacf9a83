/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The main loop: glib's default GMainContext plus two sources of ours, one
 * for timers (clock.c) and one for bottom halves (mainloop_call_soon).
 *
 * The device lock is a GRecMutex with a per-thread depth count (so
 * device_lock_held can answer for the caller).  The main loop thread takes
 * it in mainloop_init and keeps it; our poll function releases it around
 * the blocking poll() only, so vCPU threads get in exactly while the main
 * loop has nothing to do.
 */
#include <limits.h>

#include <glib.h>

#include "hw/core/clock.h"
#include "hw/core/mainloop.h"

static GRecMutex dev_lock;
static __thread int dev_lock_depth;

static gsize mainloop_initialized;
static GThread *mainloop_thread;     /* the thread that called mainloop_init */
static GPollFunc default_poll;
static gint quit_requested;

typedef struct BottomHalf {
    void (*fn)(void *opaque);
    void *opaque;
} BottomHalf;

static GMutex bh_lock;
static GQueue bh_queue = G_QUEUE_INIT;

void device_lock(void)
{
    g_rec_mutex_lock(&dev_lock);
    dev_lock_depth++;
}

void device_unlock(void)
{
    g_assert(dev_lock_depth > 0);
    dev_lock_depth--;
    g_rec_mutex_unlock(&dev_lock);
}

bool device_lock_held(void)
{
    return dev_lock_depth > 0;
}

static gint mainloop_poll(GPollFD *fds, guint nfds, gint timeout)
{
    int depth = dev_lock_depth;
    gint ret;

    for (int i = 0; i < depth; i++) {
        device_unlock();
    }
    ret = default_poll(fds, nfds, timeout);
    for (int i = 0; i < depth; i++) {
        device_lock();
    }
    return ret;
}

/* ---- timer source ---- */

/* Milliseconds until the earliest timer that may fire, 0 if one is due, -1 if none. */
static gint timers_timeout_ms(void)
{
    int64_t best = -1;

    for (int type = 0; type < CLOCK_COUNT; type++) {
        int64_t deadline, delta;

        if (!clock_timers_may_fire(type)) {
            continue;
        }
        deadline = clock_next_deadline(type);
        if (deadline < 0) {
            continue;
        }
        delta = deadline - clock_get_ns(type);
        if (delta <= 0) {
            return 0;
        }
        if (best < 0 || delta < best) {
            best = delta;
        }
    }
    if (best < 0) {
        return -1;
    }
    /* Round up: waking early would just spin until the deadline. */
    best = (best + 999999) / 1000000;
    return best > INT_MAX ? INT_MAX : (gint)best;
}

static gboolean timer_source_prepare(GSource *source, gint *timeout)
{
    *timeout = timers_timeout_ms();
    return *timeout == 0;
}

static gboolean timer_source_check(GSource *source)
{
    return timers_timeout_ms() == 0;
}

static gboolean timer_source_dispatch(GSource *source, GSourceFunc callback, gpointer data)
{
    clock_run_timers();
    return G_SOURCE_CONTINUE;
}

static GSourceFuncs timer_source_funcs = {
    .prepare = timer_source_prepare,
    .check = timer_source_check,
    .dispatch = timer_source_dispatch,
};

/* ---- bottom halves ---- */

static bool bh_pending(void)
{
    bool pending;

    g_mutex_lock(&bh_lock);
    pending = !g_queue_is_empty(&bh_queue);
    g_mutex_unlock(&bh_lock);
    return pending;
}

static gboolean bh_source_prepare(GSource *source, gint *timeout)
{
    *timeout = -1;
    return bh_pending();
}

static gboolean bh_source_check(GSource *source)
{
    return bh_pending();
}

static gboolean bh_source_dispatch(GSource *source, GSourceFunc callback, gpointer data)
{
    GQueue batch = G_QUEUE_INIT;
    BottomHalf *bh;

    /* Run what was queued so far; what these queue runs next iteration. */
    g_mutex_lock(&bh_lock);
    batch = bh_queue;
    g_queue_init(&bh_queue);
    g_mutex_unlock(&bh_lock);

    while ((bh = g_queue_pop_head(&batch))) {
        bh->fn(bh->opaque);
        g_free(bh);
    }
    return G_SOURCE_CONTINUE;
}

static GSourceFuncs bh_source_funcs = {
    .prepare = bh_source_prepare,
    .check = bh_source_check,
    .dispatch = bh_source_dispatch,
};

void mainloop_call_soon(void (*fn)(void *opaque), void *opaque)
{
    BottomHalf *bh = g_new(BottomHalf, 1);

    bh->fn = fn;
    bh->opaque = opaque;
    g_mutex_lock(&bh_lock);
    g_queue_push_tail(&bh_queue, bh);
    g_mutex_unlock(&bh_lock);
    mainloop_wakeup();
}

/* ---- the loop ---- */

void mainloop_init(void)
{
    GSource *source;

    if (!g_once_init_enter(&mainloop_initialized)) {
        return;
    }
    device_lock();
    mainloop_thread = g_thread_self();
    default_poll = g_main_context_get_poll_func(NULL);
    g_main_context_set_poll_func(NULL, mainloop_poll);

    source = g_source_new(&timer_source_funcs, sizeof(GSource));
    g_source_set_name(source, "ioemu-timers");
    g_source_attach(source, NULL);
    g_source_unref(source);

    source = g_source_new(&bh_source_funcs, sizeof(GSource));
    g_source_set_name(source, "ioemu-bottom-halves");
    g_source_attach(source, NULL);
    g_source_unref(source);

    g_once_init_leave(&mainloop_initialized, 1);
}

bool mainloop_iterate(bool blocking)
{
    mainloop_init();
    return g_main_context_iteration(NULL, blocking);
}

void mainloop_run(void)
{
    mainloop_init();
    while (!mainloop_quit_requested()) {
        g_main_context_iteration(NULL, TRUE);
    }
}

void mainloop_quit(void)
{
    g_atomic_int_set(&quit_requested, 1);
    mainloop_wakeup();
}

bool mainloop_quit_requested(void)
{
    return g_atomic_int_get(&quit_requested) != 0;
}

void mainloop_wakeup(void)
{
    /*
     * The loop thread itself is running code, not polling: its sources'
     * prepare runs before the next poll anyway, so skip the eventfd write
     * (timer_mod from a device's own callback is common).
     */
    if (mainloop_thread && g_thread_self() == mainloop_thread) {
        return;
    }
    g_main_context_wakeup(NULL);
}
