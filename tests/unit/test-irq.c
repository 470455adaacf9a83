/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * hw/core/irq: change-only delivery, pulses, interception, splitters.
 */
#include <glib.h>

#include "hw/core/irq.h"

typedef struct Sink {
    GString *log;
} Sink;

static void sink_handler(void *opaque, int n, int level)
{
    Sink *s = opaque;

    g_string_append_printf(s->log, "%d=%d ", n, level);
}

static void test_change_only(void)
{
    Sink s = { g_string_new(NULL) };
    IrqLine *line = irq_new(sink_handler, &s, 5);

    g_assert_cmpint(irq_level(line), ==, 0);
    irq_lower(line);                      /* already low: nothing */
    irq_raise(line);
    irq_raise(line);                      /* already high: nothing */
    irq_set(line, 7);                     /* any non-zero is "high" */
    irq_lower(line);
    g_assert_cmpstr(s.log->str, ==, "5=1 5=0 ");
    g_assert_cmpint(irq_level(line), ==, 0);

    /* A pulse always delivers both edges, even from high. */
    g_string_truncate(s.log, 0);
    irq_pulse(line);
    irq_raise(line);
    irq_pulse(line);
    g_assert_cmpstr(s.log->str, ==, "5=1 5=0 5=1 5=1 5=0 ");
    g_assert_cmpint(irq_level(line), ==, 0);

    /* NULL lines are ignored. */
    irq_set(NULL, 1);
    irq_pulse(NULL);
    g_assert_cmpint(irq_level(NULL), ==, 0);

    irq_free(line);
    g_string_free(s.log, TRUE);
}

static void test_array(void)
{
    Sink s = { g_string_new(NULL) };
    IrqLine **lines = irq_new_array(sink_handler, &s, 4);

    irq_raise(lines[3]);
    irq_raise(lines[0]);
    irq_lower(lines[3]);
    g_assert_cmpstr(s.log->str, ==, "3=1 0=1 3=0 ");
    irq_free_array(lines, 4);
    g_string_free(s.log, TRUE);
}

static void test_intercept(void)
{
    Sink board = { g_string_new(NULL) };
    Sink test = { g_string_new(NULL) };
    IrqLine *line = irq_new(sink_handler, &board, 2);

    irq_raise(line);
    irq_intercept(line, sink_handler, &test);
    irq_lower(line);
    irq_raise(line);
    /* Intercepting twice keeps the original saved. */
    irq_intercept(line, sink_handler, &test);
    irq_lower(line);
    irq_intercept(line, NULL, NULL);
    irq_raise(line);
    g_assert_cmpstr(board.log->str, ==, "2=1 2=1 ");
    g_assert_cmpstr(test.log->str, ==, "2=0 2=1 2=0 ");

    /* An interceptor may still hand the level to the parked sink. */
    g_string_truncate(board.log, 0);
    irq_forward_intercepted(line, 1);           /* not intercepted now: no-op */
    irq_intercept(line, sink_handler, &test);
    irq_forward_intercepted(line, 5);
    g_assert_cmpstr(board.log->str, ==, "2=1 ");
    irq_intercept(line, NULL, NULL);
    irq_free(line);
    g_string_free(board.log, TRUE);
    g_string_free(test.log, TRUE);
}

static void test_splitter(void)
{
    Sink pic = { g_string_new(NULL) };
    Sink ioapic = { g_string_new(NULL) };
    IrqLine *a = irq_new(sink_handler, &pic, 4);
    IrqLine *b = irq_new(sink_handler, &ioapic, 4);
    IrqLine *split = irq_new_splitter(a, b);

    irq_raise(split);
    irq_raise(split);
    irq_lower(split);
    g_assert_cmpstr(pic.log->str, ==, "4=1 4=0 ");
    g_assert_cmpstr(ioapic.log->str, ==, "4=1 4=0 ");
    g_assert_cmpint(irq_level(a), ==, 0);
    /* Pulses go through as two edges on both outputs. */
    irq_pulse(split);
    g_assert_cmpstr(pic.log->str, ==, "4=1 4=0 4=1 4=0 ");
    g_assert_cmpstr(ioapic.log->str, ==, "4=1 4=0 4=1 4=0 ");
    /* A splitter with one output missing still works. */
    {
        IrqLine *half = irq_new_splitter(NULL, b);
        irq_raise(half);
        g_assert_cmpint(irq_level(b), ==, 1);
        irq_free(half);
    }
    irq_free(split);
    irq_free(a);
    irq_free(b);
    g_string_free(pic.log, TRUE);
    g_string_free(ioapic.log, TRUE);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/irq/change-only", test_change_only);
    g_test_add_func("/irq/array", test_array);
    g_test_add_func("/irq/intercept", test_intercept);
    g_test_add_func("/irq/splitter", test_splitter);
    return g_test_run();
}
