/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Clocks and timers.
 *
 * Each clock keeps its armed timers in a GSequence ordered by (deadline,
 * arming order), so the next deadline is the first element and equal
 * deadlines fire in the order they were armed.  One mutex guards the
 * queues and the virtual clock so a vCPU thread (holding the device lock,
 * not running the main loop) can arm a timer; arming a new earliest timer
 * wakes the main loop so its poll timeout is recomputed.  Callbacks run
 * without that mutex, so they may arm, delete or free any timer.
 */
#include <time.h>

#include <glib.h>

#include "hw/core/clock.h"
#include "hw/core/log.h"
#include "hw/core/mainloop.h"

/*
 * A timer that keeps re-arming itself at the deadline it fired at would
 * never let the clock move on; after this many firings at one deadline
 * the rest wait for the next run.
 */
#define TIMER_SAME_DEADLINE_LIMIT 10000

struct Timer {
    ClockType type;
    TimerCallback cb;
    void *opaque;
    int64_t expire;
    uint64_t seq;
    GSequenceIter *iter;        /* NULL when not armed */
};

static GMutex clock_lock;
static gsize clock_initialized;
static GSequence *timer_queues[CLOCK_COUNT];
static uint64_t timer_arm_seq;

static bool virtual_manual;
static bool virtual_running = true;
static bool virtual_read;        /* virtual time was observed before manual mode */
static int64_t virtual_manual_ns;
static int64_t virtual_offset;   /* running: virtual = host - offset */
static int64_t virtual_stopped_ns;

static int64_t host_monotonic_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * NANOSECONDS_PER_SECOND + ts.tv_nsec;
}

static void clock_init(void)
{
    if (g_once_init_enter(&clock_initialized)) {
        for (int i = 0; i < CLOCK_COUNT; i++) {
            timer_queues[i] = g_sequence_new(NULL);
        }
        virtual_offset = host_monotonic_ns();
        g_once_init_leave(&clock_initialized, 1);
    }
}

static int64_t virtual_now_locked(void)
{
    if (virtual_manual) {
        return virtual_manual_ns;
    }
    virtual_read = true;
    if (!virtual_running) {
        return virtual_stopped_ns;
    }
    return host_monotonic_ns() - virtual_offset;
}

int64_t clock_get_ns(ClockType type)
{
    int64_t now;

    clock_init();
    if (type == CLOCK_HOST) {
        return host_monotonic_ns();
    }
    g_mutex_lock(&clock_lock);
    now = virtual_now_locked();
    g_mutex_unlock(&clock_lock);
    return now;
}

void clock_set_manual(bool manual)
{
    clock_init();
    g_mutex_lock(&clock_lock);
    if (manual && !virtual_manual) {
        /* A test that starts in manual mode sees time start at exactly 0. */
        virtual_manual_ns = virtual_read ? virtual_now_locked() : 0;
        virtual_manual = true;
    } else if (!manual && virtual_manual) {
        int64_t now = virtual_manual_ns;
        virtual_manual = false;
        virtual_offset = host_monotonic_ns() - now;
        virtual_stopped_ns = now;
    }
    g_mutex_unlock(&clock_lock);
    mainloop_wakeup();
}

bool clock_is_manual(void)
{
    bool manual;

    g_mutex_lock(&clock_lock);
    manual = virtual_manual;
    g_mutex_unlock(&clock_lock);
    return manual;
}

void clock_virtual_enable(bool running)
{
    clock_init();
    g_mutex_lock(&clock_lock);
    if (running && !virtual_running) {
        virtual_offset = host_monotonic_ns() - virtual_stopped_ns;
    } else if (!running && virtual_running) {
        virtual_stopped_ns = host_monotonic_ns() - virtual_offset;
    }
    virtual_running = running;
    g_mutex_unlock(&clock_lock);
    mainloop_wakeup();
}

bool clock_virtual_is_running(void)
{
    bool running;

    g_mutex_lock(&clock_lock);
    running = virtual_running;
    g_mutex_unlock(&clock_lock);
    return running;
}

static gint timer_cmp(gconstpointer a, gconstpointer b, gpointer unused)
{
    const Timer *x = a, *y = b;

    if (x->expire != y->expire) {
        return x->expire < y->expire ? -1 : 1;
    }
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/*
 * Fire the timers of `type` due at or before `now`, earliest first.  With
 * set_clock (manual mode) the virtual clock is moved to each deadline
 * before its callback runs.
 */
static bool run_expired(ClockType type, int64_t now, bool set_clock)
{
    bool fired = false;
    int64_t last_deadline = INT64_MIN;
    unsigned same_deadline = 0;

    for (;;) {
        GSequenceIter *first;
        Timer *t;
        TimerCallback cb;
        void *opaque;

        g_mutex_lock(&clock_lock);
        first = g_sequence_get_begin_iter(timer_queues[type]);
        if (g_sequence_iter_is_end(first)) {
            g_mutex_unlock(&clock_lock);
            break;
        }
        t = g_sequence_get(first);
        if (t->expire > now) {
            g_mutex_unlock(&clock_lock);
            break;
        }
        if (t->expire == last_deadline && ++same_deadline > TIMER_SAME_DEADLINE_LIMIT) {
            g_mutex_unlock(&clock_lock);
            log_printf("clock: a timer keeps re-arming at %" G_GINT64_FORMAT " ns; deferring it",
                       t->expire);
            break;
        }
        if (t->expire != last_deadline) {
            last_deadline = t->expire;
            same_deadline = 0;
        }
        g_sequence_remove(first);
        t->iter = NULL;
        if (set_clock && t->expire > virtual_manual_ns) {
            virtual_manual_ns = t->expire;
        }
        cb = t->cb;
        opaque = t->opaque;
        g_mutex_unlock(&clock_lock);

        /* t may be re-armed or freed by now; only the copies are used. */
        cb(opaque);
        fired = true;
    }
    return fired;
}

int64_t clock_virtual_advance_to(int64_t target_ns)
{
    int64_t now;

    clock_init();
    if (!clock_is_manual()) {
        return clock_get_ns(CLOCK_VIRTUAL);
    }
    run_expired(CLOCK_VIRTUAL, target_ns, true);
    g_mutex_lock(&clock_lock);
    if (target_ns > virtual_manual_ns) {
        virtual_manual_ns = target_ns;
    }
    now = virtual_manual_ns;
    g_mutex_unlock(&clock_lock);
    return now;
}

int64_t clock_next_deadline(ClockType type)
{
    GSequenceIter *first;
    int64_t deadline = -1;

    clock_init();
    g_mutex_lock(&clock_lock);
    first = g_sequence_get_begin_iter(timer_queues[type]);
    if (!g_sequence_iter_is_end(first)) {
        deadline = ((Timer *)g_sequence_get(first))->expire;
    }
    g_mutex_unlock(&clock_lock);
    return deadline;
}

Timer *timer_new(ClockType type, TimerCallback cb, void *opaque)
{
    Timer *t = g_new0(Timer, 1);

    g_assert(type >= 0 && type < CLOCK_COUNT && cb);
    clock_init();
    t->type = type;
    t->cb = cb;
    t->opaque = opaque;
    t->expire = -1;
    return t;
}

void timer_free(Timer *t)
{
    if (!t) {
        return;
    }
    timer_del(t);
    g_free(t);
}

void timer_mod(Timer *t, int64_t expire_ns)
{
    bool earliest, wake;

    g_mutex_lock(&clock_lock);
    if (t->iter) {
        g_sequence_remove(t->iter);
    }
    t->expire = expire_ns < 0 ? 0 : expire_ns;
    t->seq = timer_arm_seq++;
    t->iter = g_sequence_insert_sorted(timer_queues[t->type], t, timer_cmp, NULL);
    earliest = g_sequence_get_begin_iter(timer_queues[t->type]) == t->iter;
    /* In manual mode virtual deadlines never fire on their own: no need to wake. */
    wake = earliest && !(t->type == CLOCK_VIRTUAL && virtual_manual);
    g_mutex_unlock(&clock_lock);
    if (wake) {
        mainloop_wakeup();
    }
}

void timer_del(Timer *t)
{
    g_mutex_lock(&clock_lock);
    if (t->iter) {
        g_sequence_remove(t->iter);
        t->iter = NULL;
    }
    g_mutex_unlock(&clock_lock);
}

bool timer_pending(const Timer *t)
{
    bool pending;

    g_mutex_lock(&clock_lock);
    pending = t->iter != NULL;
    g_mutex_unlock(&clock_lock);
    return pending;
}

int64_t timer_expire_time(const Timer *t)
{
    int64_t expire;

    g_mutex_lock(&clock_lock);
    expire = t->iter ? t->expire : -1;
    g_mutex_unlock(&clock_lock);
    return expire;
}

bool clock_timers_may_fire(ClockType type)
{
    if (type == CLOCK_VIRTUAL) {
        return !clock_is_manual() && clock_virtual_is_running();
    }
    return true;
}

bool clock_run_timers(void)
{
    bool fired = false;

    clock_init();
    for (int type = 0; type < CLOCK_COUNT; type++) {
        if (!clock_timers_may_fire(type)) {
            continue;
        }
        fired |= run_expired(type, clock_get_ns(type), false);
    }
    return fired;
}
