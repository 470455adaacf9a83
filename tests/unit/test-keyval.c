/* SPDX-License-Identifier: GPL-2.0-or-later */
/* keyval_split(): the option-string splitting -chardev and the front ends share. */
#include <glib.h>

#include "hw/core/keyval.h"

/* The items as "key=value" / "key" (bare), joined with '|'. */
static char *render(GPtrArray *kvs)
{
    GString *s = g_string_new(NULL);

    for (guint i = 0; i < kvs->len; i++) {
        KeyVal *kv = g_ptr_array_index(kvs, i);

        g_string_append_printf(s, "%s%s%s%s", i ? "|" : "", kv->key, kv->value ? "=" : "",
                               kv->value ? kv->value : "");
        g_assert_false(kv->used);
    }
    return g_string_free(s, FALSE);
}

static void check(const char *in, const char *implied_key, const char *want)
{
    GPtrArray *kvs = keyval_split(in, implied_key);
    g_autofree char *got = render(kvs);

    g_assert_cmpstr(got, ==, want);
    g_ptr_array_free(kvs, TRUE);
}

static void test_split(void)
{
    check("file,id=hd0,readonly=on", NULL, "file|id=hd0|readonly=on");
    check("a=b=c", NULL, "a=b=c");                 /* split at the first '=' */
    check("path=/a,,b,server", NULL, "path=/a,b|server");   /* ",," is a comma */
    check("a=x,,", NULL, "a=x,");
    check("", NULL, "");                           /* one empty bare word */
    check("a,", NULL, "a|");                       /* a trailing comma separates */
    check(",", NULL, "|");
    check("=v", NULL, "=v");
}

static void test_implied_key(void)
{
    check("xenfv,accel=xen", "type", "type=xenfv|accel=xen");
    check("size=1G,slots=2", "size", "size=1G|slots=2");   /* only a bare first item */
    check("4,maxcpus=8,threads", "cpus", "cpus=4|maxcpus=8|threads");
    check("", "guest", "guest=");
}

static void test_parse_uint(void)
{
    uint64_t v = 0;

    g_assert_true(keyval_parse_uint("42", 100, &v));
    g_assert_cmpuint(v, ==, 42);
    g_assert_true(keyval_parse_uint("0x10", 100, &v));
    g_assert_cmpuint(v, ==, 16);
    g_assert_true(keyval_parse_uint("010", 100, &v));
    g_assert_cmpuint(v, ==, 8);
    g_assert_true(keyval_parse_uint("100", 100, &v));   /* max itself is allowed */
    v = 7;
    g_assert_false(keyval_parse_uint("101", 100, &v));
    g_assert_false(keyval_parse_uint("", 100, &v));
    g_assert_false(keyval_parse_uint(NULL, 100, &v));
    g_assert_false(keyval_parse_uint("-1", UINT64_MAX, &v));
    g_assert_false(keyval_parse_uint("+1", 100, &v));
    g_assert_false(keyval_parse_uint(" 1", 100, &v));
    g_assert_false(keyval_parse_uint("1k", 100, &v));
    g_assert_false(keyval_parse_uint("99999999999999999999", UINT64_MAX, &v));
    g_assert_cmpuint(v, ==, 7);                          /* untouched on failure */
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/keyval/split", test_split);
    g_test_add_func("/keyval/implied-key", test_implied_key);
    g_test_add_func("/keyval/parse-uint", test_parse_uint);
    return g_test_run();
}
