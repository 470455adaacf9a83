/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The two debug ports over qtest: isa-debug-exit ends the emulator with
 * status (v << 1) | 1, and the 0xe9 debug console copies bytes to its
 * chardev and reads back 0xe9.  Same expectations as QEMU's devices, so
 * QTEST_QEMU_BINARY=qemu-system-x86_64 passes too.
 */
#include <glib.h>
#include <glib/gstdio.h>
#include <sys/wait.h>

#include "tests/libqtest.h"
#include "tests/test-tmpdir.h"

static char *tmp_dir;

/* The write makes the emulator exit, so no "OK" comes back: send it raw, then collect the status. */
static void expect_exit_status(QTestState *s, const char *cmd, int want)
{
    int status;

    qtest_raw(s, cmd);
    status = qtest_wait_exit(s, 10000);
    g_assert_true(WIFEXITED(status));
    g_assert_cmpint(WEXITSTATUS(status), ==, want);
    qtest_quit(s);
}

static void test_exit_custom_port(void)
{
    QTestState *s;

    if (!qtest_skip_without_binary()) {
        return;
    }
    s = qtest_init("-device isa-debug-exit,iobase=0xf4,iosize=0x04");
    /* Other ports do nothing: the emulator is still there to answer. */
    qtest_outb(s, 0x80, 0x10);
    qtest_outb(s, 0xf8, 0x10);
    expect_exit_status(s, "outb 0xf4 0x10", 0x21);
}

static void test_exit_any_offset(void)
{
    QTestState *s;

    if (!qtest_skip_without_binary()) {
        return;
    }
    s = qtest_init("-device isa-debug-exit,iobase=0xf4,iosize=0x04");
    /* Any port of the range, any width: v = 0x03 -> 7. */
    expect_exit_status(s, "outw 0xf6 0x0003", 0x07);
}

static void test_exit_default_port(void)
{
    QTestState *s;

    if (!qtest_skip_without_binary()) {
        return;
    }
    /* QEMU's defaults: iobase 0x501, two ports. v = 0 still exits, with 1. */
    s = qtest_init("-device isa-debug-exit");
    expect_exit_status(s, "outb 0x501 0x00", 0x01);
}

static void test_debugcon(void)
{
    g_autofree char *path = g_build_filename(tmp_dir, "debugcon.log", NULL);
    g_autofree char *contents = NULL;
    static const char msg[] = "SeaBIOS (version 1.16)\n";
    QTestState *s;
    gsize len = 0;

    if (!qtest_skip_without_binary()) {
        return;
    }
    s = qtest_initf("-debugcon file:%s", path);
    /* Firmware probes for the port by reading it back. */
    g_assert_cmphex(qtest_inb(s, 0xe9), ==, 0xe9);
    for (size_t i = 0; i < sizeof(msg) - 1; i++) {
        qtest_outb(s, 0xe9, msg[i]);
    }
    qtest_quit(s);
    g_assert_true(g_file_get_contents(path, &contents, &len, NULL));
    g_assert_cmpmem(contents, len, msg, sizeof(msg) - 1);
}

int main(int argc, char **argv)
{
    int ret;

    g_test_init(&argc, &argv, NULL);
    tmp_dir = g_dir_make_tmp("test-debugexit-XXXXXX", NULL);
    g_assert_nonnull(tmp_dir);

    g_test_add_func("/debugexit/custom-port", test_exit_custom_port);
    g_test_add_func("/debugexit/any-offset", test_exit_any_offset);
    g_test_add_func("/debugexit/default-port", test_exit_default_port);
    g_test_add_func("/debugcon/file", test_debugcon);
    ret = g_test_run();

    test_tmpdir_remove(tmp_dir);
    return ret;
}
