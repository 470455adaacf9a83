/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A scratch directory for one test program (unit or qtest): made before
 * g_test_run(), emptied and removed after it.  The tests only put plain files
 * in it.  Header-only so each test program stays one file.
 */
#ifndef TESTS_TEST_TMPDIR_H
#define TESTS_TEST_TMPDIR_H

#include <glib.h>
#include <glib/gstdio.h>

/*
 * "<build dir>/tmp-<prefix>-XXXXXX" when the runner sets IOEMU_BUILD (a real
 * disk: tmpfs refuses O_DIRECT), else, or if that fails, one under $TMPDIR.
 */
static inline char *test_tmpdir_on_disk(const char *prefix)
{
    const char *base = g_getenv("IOEMU_BUILD") ? g_getenv("IOEMU_BUILD") : g_get_tmp_dir();
    g_autofree char *leaf = g_strdup_printf("tmp-%s-XXXXXX", prefix);
    char *dir = g_build_filename(base, leaf, NULL);

    if (!g_mkdtemp(dir)) {
        g_autofree char *tmpl = g_strdup_printf("%s-XXXXXX", prefix);

        g_free(dir);
        dir = g_dir_make_tmp(tmpl, NULL);
    }
    return dir;
}

/* Unlink every file in dir, then dir itself. */
static inline void test_tmpdir_remove(const char *dir)
{
    g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
    const char *name;

    while (d && (name = g_dir_read_name(d))) {
        g_autofree char *p = g_build_filename(dir, name, NULL);
        g_unlink(p);
    }
    g_rmdir(dir);
}

#endif
