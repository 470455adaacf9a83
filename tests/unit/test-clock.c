/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * hw/core/clock and mainloop: manual-mode timer ordering, callbacks that
 * re-arm or delete timers, stopping the virtual clock, bottom halves and
 * the device lock handed to another thread while the loop polls.
 */
#include <glib.h>

#include "hw/core/clock.h"
#include "hw/core/mainloop.h"

typedef struct Fired {
    GString *log;
} Fired;

static Fired fired;

typedef struct TestTimer {
    const char *name;
    Timer *t;
    int64_t period;         /* re-arm by this much when > 0 */
    int remaining;          /* re-arms left */
    Timer *victim;          /* deleted from the callback when set */
    bool free_self;
} TestTimer;

static void test_timer_cb(void *opaque)
{
    TestTimer *tt = opaque;

    g_string_append_printf(fired.log, "%s@%" G_GINT64_FORMAT " ", tt->name,
                           clock_get_ns(CLOCK_VIRTUAL));
    if (tt->victim) {
        timer_del(tt->victim);
    }
    if (tt->period > 0 && tt->remaining-- > 0) {
        timer_mod(tt->t, clock_get_ns(CLOCK_VIRTUAL) + tt->period);
    }
    if (tt->free_self) {
        timer_free(tt->t);
        tt->t = NULL;
    }
}

static void tt_init(TestTimer *tt, const char *name)
{
    *tt = (TestTimer){ .name = name };
    tt->t = timer_new(CLOCK_VIRTUAL, test_timer_cb, tt);
}

static void test_manual_order(void)
{
    TestTimer a, b, c1, c2;
    int64_t base = clock_get_ns(CLOCK_VIRTUAL);
    GString *expect;

    g_assert_true(clock_is_manual());
    g_string_truncate(fired.log, 0);
    tt_init(&a, "a");
    tt_init(&b, "b");
    tt_init(&c1, "c1");
    tt_init(&c2, "c2");
    timer_mod(a.t, base + 300);
    timer_mod(c1.t, base + 200);
    timer_mod(b.t, base + 100);
    timer_mod(c2.t, base + 200);    /* same deadline: fires after c1, armed earlier */
    g_assert_cmpint(clock_next_deadline(CLOCK_VIRTUAL), ==, base + 100);
    g_assert_true(timer_pending(a.t));
    g_assert_cmpint(timer_expire_time(a.t), ==, base + 300);

    /* Nothing moves on its own in manual mode. */
    g_assert_false(clock_run_timers());
    g_assert_cmpint(clock_get_ns(CLOCK_VIRTUAL), ==, base);

    /* Part way: only what is due. */
    g_assert_cmpint(clock_virtual_advance_to(base + 150), ==, base + 150);
    expect = g_string_new(NULL);
    g_string_append_printf(expect, "b@%" G_GINT64_FORMAT " ", base + 100);
    g_assert_cmpstr(fired.log->str, ==, expect->str);

    g_assert_cmpint(clock_virtual_advance_to(base + 1000), ==, base + 1000);
    g_string_append_printf(expect, "c1@%" G_GINT64_FORMAT " c2@%" G_GINT64_FORMAT
                           " a@%" G_GINT64_FORMAT " ", base + 200, base + 200, base + 300);
    g_assert_cmpstr(fired.log->str, ==, expect->str);
    g_assert_false(timer_pending(a.t));
    g_assert_cmpint(timer_expire_time(a.t), ==, -1);
    g_assert_cmpint(clock_next_deadline(CLOCK_VIRTUAL), ==, -1);

    /* The clock never goes backwards. */
    g_assert_cmpint(clock_virtual_advance_to(base), ==, base + 1000);

    /* A deadline already in the past fires on the next advance, at "now". */
    g_string_truncate(fired.log, 0);
    g_string_truncate(expect, 0);
    timer_mod(a.t, base + 10);
    g_assert_cmpint(clock_virtual_advance_to(base + 1000), ==, base + 1000);
    g_string_append_printf(expect, "a@%" G_GINT64_FORMAT " ", base + 1000);
    g_assert_cmpstr(fired.log->str, ==, expect->str);

    g_string_free(expect, TRUE);
    timer_free(a.t);
    timer_free(b.t);
    timer_free(c1.t);
    timer_free(c2.t);
}

static void test_rearm_and_delete(void)
{
    TestTimer periodic, killer, victim, selfish;
    int64_t base = clock_get_ns(CLOCK_VIRTUAL);
    GString *expect = g_string_new(NULL);

    g_string_truncate(fired.log, 0);
    tt_init(&periodic, "p");
    periodic.period = 100;
    periodic.remaining = 10;
    timer_mod(periodic.t, base + 100);
    clock_virtual_advance_to(base + 550);
    for (int i = 1; i <= 5; i++) {
        g_string_append_printf(expect, "p@%" G_GINT64_FORMAT " ", base + 100 * i);
    }
    g_assert_cmpstr(fired.log->str, ==, expect->str);
    g_assert_cmpint(timer_expire_time(periodic.t), ==, base + 600);
    timer_del(periodic.t);
    g_assert_false(timer_pending(periodic.t));

    /* A callback deletes a later timer; another frees itself. */
    g_string_truncate(fired.log, 0);
    g_string_truncate(expect, 0);
    tt_init(&killer, "k");
    tt_init(&victim, "v");
    tt_init(&selfish, "s");
    killer.victim = victim.t;
    selfish.free_self = true;
    timer_mod(victim.t, base + 700);
    timer_mod(killer.t, base + 650);
    timer_mod(selfish.t, base + 600);
    clock_virtual_advance_to(base + 800);
    g_string_append_printf(expect, "s@%" G_GINT64_FORMAT " k@%" G_GINT64_FORMAT " ",
                           base + 600, base + 650);
    g_assert_cmpstr(fired.log->str, ==, expect->str);
    g_assert_false(timer_pending(victim.t));
    g_assert_null(selfish.t);

    g_string_free(expect, TRUE);
    timer_free(periodic.t);
    timer_free(killer.t);
    timer_free(victim.t);
}

static void test_stop_start(void)
{
    TestTimer t;
    int64_t t1, t2, t3;

    /* Leave manual mode for a moment: the clock follows the host while running. */
    clock_set_manual(false);
    clock_virtual_enable(false);
    g_assert_false(clock_virtual_is_running());
    t1 = clock_get_ns(CLOCK_VIRTUAL);
    g_usleep(2000);
    t2 = clock_get_ns(CLOCK_VIRTUAL);
    g_assert_cmpint(t1, ==, t2);

    /* A due virtual timer waits while the clock is stopped. */
    tt_init(&t, "stopped");
    timer_mod(t.t, t1 - 1);
    g_string_truncate(fired.log, 0);
    g_assert_false(clock_run_timers());
    g_assert_true(timer_pending(t.t));

    clock_virtual_enable(true);
    t3 = clock_get_ns(CLOCK_VIRTUAL);
    g_assert_cmpint(t3, >=, t2);
    /* Continues from where it stopped, not from where the host is. */
    g_assert_cmpint(t3 - t2, <, NANOSECONDS_PER_SECOND);
    g_assert_true(clock_run_timers());
    g_assert_false(timer_pending(t.t));

    timer_free(t.t);
    clock_set_manual(true);
    g_assert_true(clock_is_manual());
    g_assert_cmpint(clock_get_ns(CLOCK_VIRTUAL), >=, t3);
}

/* ---- main loop ---- */

static void host_timer_cb(void *opaque)
{
    int *count = opaque;

    g_assert_true(device_lock_held());
    (*count)++;
}

static void test_host_timer_in_loop(void)
{
    int count = 0;
    Timer *t = timer_new(CLOCK_HOST, host_timer_cb, &count);

    mainloop_init();
    timer_mod(t, clock_get_ns(CLOCK_HOST) + 1000000);
    /* Blocking iterations sleep until the deadline; bound them anyway. */
    for (int i = 0; i < 1000 && count == 0; i++) {
        mainloop_iterate(true);
    }
    g_assert_cmpint(count, ==, 1);
    g_assert_false(timer_pending(t));
    timer_free(t);
}

typedef struct CrossThread {
    gint bh_ran;
    gint thread_had_lock;
    bool bh_saw_lock;
} CrossThread;

static void cross_bh(void *opaque)
{
    CrossThread *ct = opaque;

    ct->bh_saw_lock = device_lock_held();
    g_atomic_int_set(&ct->bh_ran, 1);
}

static gpointer cross_thread(gpointer opaque)
{
    CrossThread *ct = opaque;

    /* Only possible while the main loop sits in poll. */
    device_lock();
    g_atomic_int_set(&ct->thread_had_lock, device_lock_held());
    mainloop_call_soon(cross_bh, ct);
    device_unlock();
    return NULL;
}

static void test_bottom_half_from_thread(void)
{
    CrossThread ct = { 0 };
    GThread *th;

    mainloop_init();
    g_assert_true(device_lock_held());
    th = g_thread_new("vcpu", cross_thread, &ct);
    /* No timers pending: each iteration blocks until the thread wakes us. */
    for (int i = 0; i < 1000 && !g_atomic_int_get(&ct.bh_ran); i++) {
        mainloop_iterate(true);
    }
    g_thread_join(th);
    g_assert_true(g_atomic_int_get(&ct.thread_had_lock));
    g_assert_true(g_atomic_int_get(&ct.bh_ran));
    g_assert_true(ct.bh_saw_lock);
    g_assert_true(device_lock_held());
}

static void quit_bh(void *opaque)
{
    mainloop_quit();
}

static void test_run_quit(void)
{
    mainloop_init();
    mainloop_call_soon(quit_bh, NULL);
    mainloop_run();
    g_assert_true(mainloop_quit_requested());
}

int main(int argc, char **argv)
{
    int ret;

    g_test_init(&argc, &argv, NULL);
    fired.log = g_string_new(NULL);
    clock_set_manual(true);
    g_assert_cmpint(clock_get_ns(CLOCK_VIRTUAL), ==, 0);

    g_test_add_func("/clock/manual-order", test_manual_order);
    g_test_add_func("/clock/rearm-delete", test_rearm_and_delete);
    g_test_add_func("/clock/stop-start", test_stop_start);
    g_test_add_func("/mainloop/host-timer", test_host_timer_in_loop);
    g_test_add_func("/mainloop/bottom-half-thread", test_bottom_half_from_thread);
    g_test_add_func("/mainloop/run-quit", test_run_quit);
    ret = g_test_run();
    g_string_free(fired.log, TRUE);
    return ret;
}
