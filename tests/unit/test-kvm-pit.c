/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * OUT of an in-kernel PIT channel as the KVM accelerator computes it for
 * port 0x61 bit 5 (standalone/kvm/speaker.c), from the channel state
 * KVM_GET_PIT2 returns.  Expected values follow the Intel 8254 datasheet's
 * mode descriptions; time is given explicitly, so nothing here depends on
 * the host clock or on /dev/kvm.
 */
#include <glib.h>
#include <string.h>

#include "standalone/kvm/kvm-internal.h"

/* One PIT input clock is 1e9 / 1193182 ns, about 838.1 ns. */
#define TICK_NS(n) ((int64_t)((n) * 1000000000.0 / 1193182.0) + 1)

static struct kvm_pit_channel_state channel(unsigned mode, uint32_t count, bool gate)
{
    struct kvm_pit_channel_state c;
    memset(&c, 0, sizeof(c));
    c.mode = mode;
    c.count = count;
    c.gate = gate;
    c.count_load_time = 1000000000;   /* loaded at t = 1 s */
    return c;
}

static int out_at(const struct kvm_pit_channel_state *c, int64_t ticks_after_load)
{
    return kvm_pit_channel_out(c, c->count_load_time + TICK_NS(ticks_after_load));
}

static void test_mode0_terminal_count(void)
{
    /* SeaBIOS's TSC calibration: mode 0, poll OUT until the count runs out. */
    struct kvm_pit_channel_state c = channel(0, 2048, true);
    g_assert_cmpint(kvm_pit_channel_out(&c, c.count_load_time), ==, 0);
    g_assert_cmpint(out_at(&c, 1), ==, 0);
    g_assert_cmpint(out_at(&c, 2047), ==, 0);
    g_assert_cmpint(out_at(&c, 2048), ==, 1);
    g_assert_cmpint(out_at(&c, 100000), ==, 1);
    /* A clock that reads earlier than the load (never expected) is "just loaded". */
    g_assert_cmpint(kvm_pit_channel_out(&c, c.count_load_time - 5000), ==, 0);
}

static void test_count_zero_is_65536(void)
{
    struct kvm_pit_channel_state c = channel(0, 0, true);
    g_assert_cmpint(out_at(&c, 65535), ==, 0);
    g_assert_cmpint(out_at(&c, 65536), ==, 1);
}

static void test_mode1_one_shot(void)
{
    struct kvm_pit_channel_state c = channel(1, 100, true);
    g_assert_cmpint(out_at(&c, 50), ==, 0);
    g_assert_cmpint(out_at(&c, 100), ==, 1);
}

static void test_mode2_rate_generator(void)
{
    struct kvm_pit_channel_state c = channel(2, 10, true);
    g_assert_cmpint(out_at(&c, 0), ==, 1);
    g_assert_cmpint(out_at(&c, 8), ==, 1);
    g_assert_cmpint(out_at(&c, 9), ==, 0);    /* count reached 1: low for one clock */
    g_assert_cmpint(out_at(&c, 10), ==, 1);
    g_assert_cmpint(out_at(&c, 19), ==, 0);
    c.gate = false;                            /* GATE low forces OUT high */
    g_assert_cmpint(out_at(&c, 19), ==, 1);
    /* Mode 6 is mode 2. */
    c = channel(6, 10, true);
    g_assert_cmpint(out_at(&c, 9), ==, 0);
}

static void test_mode3_square_wave(void)
{
    struct kvm_pit_channel_state c = channel(3, 10, true);
    g_assert_cmpint(out_at(&c, 0), ==, 1);
    g_assert_cmpint(out_at(&c, 4), ==, 1);
    g_assert_cmpint(out_at(&c, 5), ==, 0);
    g_assert_cmpint(out_at(&c, 9), ==, 0);
    g_assert_cmpint(out_at(&c, 10), ==, 1);
    /* Odd counts: high one clock longer than low. */
    c = channel(7, 5, true);
    g_assert_cmpint(out_at(&c, 2), ==, 1);
    g_assert_cmpint(out_at(&c, 3), ==, 0);
    c.gate = false;
    g_assert_cmpint(out_at(&c, 3), ==, 1);
}

static void test_mode4_strobe(void)
{
    struct kvm_pit_channel_state c = channel(4, 30, true);
    g_assert_cmpint(out_at(&c, 29), ==, 1);
    g_assert_cmpint(out_at(&c, 30), ==, 0);
    g_assert_cmpint(out_at(&c, 31), ==, 1);
}

static void test_unprogrammed(void)
{
    /* The kernel marks a never-programmed channel with mode 0xff. */
    struct kvm_pit_channel_state c = channel(0xff, 0, false);
    g_assert_cmpint(out_at(&c, 1000), ==, 0);
}

static void test_long_uptime_no_overflow(void)
{
    /* ~290 years of nanoseconds: the tick conversion must not overflow. */
    struct kvm_pit_channel_state c = channel(3, 2, true);
    int v = kvm_pit_channel_out(&c, INT64_MAX);
    g_assert_true(v == 0 || v == 1);
    c = channel(0, 100, true);
    g_assert_cmpint(kvm_pit_channel_out(&c, INT64_MAX), ==, 1);
    /* Extreme load times either side. */
    c.count_load_time = INT64_MIN;
    g_assert_cmpint(kvm_pit_channel_out(&c, INT64_MAX), ==, 1);
    c.count_load_time = INT64_MAX;
    g_assert_cmpint(kvm_pit_channel_out(&c, INT64_MIN), ==, 0);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/kvm-pit/mode0", test_mode0_terminal_count);
    g_test_add_func("/kvm-pit/count-zero", test_count_zero_is_65536);
    g_test_add_func("/kvm-pit/mode1", test_mode1_one_shot);
    g_test_add_func("/kvm-pit/mode2", test_mode2_rate_generator);
    g_test_add_func("/kvm-pit/mode3", test_mode3_square_wave);
    g_test_add_func("/kvm-pit/mode4", test_mode4_strobe);
    g_test_add_func("/kvm-pit/unprogrammed", test_unprogrammed);
    g_test_add_func("/kvm-pit/no-overflow", test_long_uptime_no_overflow);
    return g_test_run();
}
