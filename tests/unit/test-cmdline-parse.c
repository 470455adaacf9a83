/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The standalone binary's command-line parser (standalone/cmdline.c):
 * memory sizes, accelerator lists, -smp, -serial, -device isa-debug-exit,
 * -boot, keyval escaping, and the values it must refuse.  The scripted
 * test (tests/scripts/test-cmdline.sh) checks the same errors end to end.
 */
#include <glib.h>
#include <glib/gstdio.h>
#include <stdarg.h>
#include <string.h>

#include "standalone/cmdline.h"

/* Parse a NULL-terminated list of arguments; returns the GError message or NULL. */
static char *parse(CmdlineOptions *o, ...)
{
    GPtrArray *argv = g_ptr_array_new();
    va_list ap;
    const char *a;
    GError *err = NULL;
    char *msg = NULL;

    g_ptr_array_add(argv, (char *)"ioemu");
    va_start(ap, o);
    while ((a = va_arg(ap, const char *))) {
        g_ptr_array_add(argv, (char *)a);
    }
    va_end(ap);
    cmdline_options_init(o);
    if (!cmdline_parse((int)argv->len, (char **)argv->pdata, o, &err)) {
        msg = g_strdup(err->message);
        g_error_free(err);
    }
    g_ptr_array_free(argv, true);
    return msg;
}

static void expect_error(const char *needle, ...)
{
    /* Only used with up to 4 arguments: keeps the call sites short. */
    va_list ap;
    const char *args[5] = { 0 };
    CmdlineOptions o;

    va_start(ap, needle);
    for (int i = 0; i < 4; i++) {
        args[i] = va_arg(ap, const char *);
        if (!args[i]) {
            break;
        }
    }
    va_end(ap);
    char *msg = parse(&o, args[0], args[1], args[2], args[3], NULL);
    if (!msg || !strstr(msg, needle)) {
        g_test_message("args '%s %s', expected an error containing '%s', got '%s'",
                       args[0], args[1] ? args[1] : "", needle, msg ? msg : "(success)");
        g_test_fail();
    }
    g_free(msg);
    cmdline_options_clear(&o);
}

static void test_defaults(void)
{
    CmdlineOptions o;
    g_assert_null(parse(&o, NULL));
    g_assert_cmpuint(o.ram_size, ==, 128ull << 20);
    g_assert_cmpint(o.smp_cpus, ==, 1);
    g_assert_cmpint(o.n_accel, ==, 0);
    g_assert_cmpint(o.n_serial, ==, 0);
    g_assert_null(o.bios_path);
    g_assert_false(o.nographic);
    g_assert_false(o.debug_exit);
    cmdline_options_clear(&o);
}

static void test_mem_sizes(void)
{
    static const struct {
        const char *text;
        uint64_t bytes;
    } good[] = {
        { "128", 128ull << 20 },
        { "128M", 128ull << 20 },
        { "128m", 128ull << 20 },
        { "128MiB", 128ull << 20 },
        { "131072K", 128ull << 20 },
        { "2G", 2ull << 30 },
        { "1T", 1ull << 40 },
        { "4096B", 4096 },
    };
    for (size_t i = 0; i < G_N_ELEMENTS(good); i++) {
        uint64_t v = 0;
        GError *err = NULL;
        g_assert_true(cmdline_parse_mem_size(good[i].text, &v, &err));
        g_assert_no_error(err);
        g_assert_cmpuint(v, ==, good[i].bytes);
    }
    static const char *const bad[] = {
        "", "0", "0M", "-1", "abc", "12X", "1.5G", " 128", "128 ", "M", "99999999999999999999",
        "17179869184T", "128MBB", "4096BiB",
    };
    for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
        uint64_t v = 42;
        GError *err = NULL;
        g_assert_false(cmdline_parse_mem_size(bad[i], &v, &err));
        g_assert_nonnull(err);
        g_assert_cmpuint(v, ==, 42);
        g_error_free(err);
    }
}

static void test_mem_option(void)
{
    CmdlineOptions o;
    g_assert_null(parse(&o, "-m", "size=256M", NULL));
    g_assert_cmpuint(o.ram_size, ==, 256ull << 20);
    cmdline_options_clear(&o);
    g_assert_null(parse(&o, "-m", "64", "-m", "1G", NULL));
    g_assert_cmpuint(o.ram_size, ==, 1ull << 30);
    cmdline_options_clear(&o);

    expect_error("at least 1 MiB", "-m", "512K", NULL);
    expect_error("maximum", "-m", "2T", NULL);
    expect_error("unsupported memory property 'maxmem'", "-m", "128,maxmem=1G", NULL);
    expect_error("requires an argument", "-m", NULL);
    expect_error("empty value", "-m", "", NULL);
}

static void test_accel(void)
{
    CmdlineOptions o;
    g_assert_null(parse(&o, "-machine", "pc,accel=kvm:tcg", NULL));
    g_assert_cmpint(o.n_accel, ==, 2);
    g_assert_cmpint(o.accel[0], ==, ACCEL_KVM);
    g_assert_cmpint(o.accel[1], ==, ACCEL_TCG);
    g_assert_cmpstr(o.machine, ==, "pc");
    cmdline_options_clear(&o);

    /* Repeated -accel: fallbacks in order. */
    g_assert_null(parse(&o, "-accel", "qtest", "-accel", "kvm", NULL));
    g_assert_cmpint(o.n_accel, ==, 2);
    g_assert_cmpint(o.accel[0], ==, ACCEL_QTEST);
    g_assert_cmpint(o.accel[1], ==, ACCEL_KVM);
    cmdline_options_clear(&o);

    g_assert_null(parse(&o, "--enable-kvm", "-M", "pc-i440fx-8.2", NULL));
    g_assert_cmpint(o.n_accel, ==, 1);
    g_assert_cmpint(o.accel[0], ==, ACCEL_KVM);
    cmdline_options_clear(&o);

    expect_error("unknown accelerator 'hvf'", "-accel", "hvf", NULL);
    expect_error("unknown accelerator 'xen'", "-machine", "pc,accel=kvm:xen", NULL);
    expect_error("unsupported machine type 'q35'", "-M", "q35", NULL);
    expect_error("kernel-irqchip=off", "-machine", "pc,kernel-irqchip=off", NULL);
    expect_error("unsupported accelerator property 'thread'", "-accel", "tcg,thread=multi", NULL);
}

static void test_smp(void)
{
    CmdlineOptions o;
    g_assert_null(parse(&o, "-smp", "4", NULL));
    g_assert_cmpint(o.smp_cpus, ==, 4);
    cmdline_options_clear(&o);
    g_assert_null(parse(&o, "-smp", "sockets=2,cores=2", NULL));
    g_assert_cmpint(o.smp_cpus, ==, 4);
    cmdline_options_clear(&o);
    g_assert_null(parse(&o, "-smp", "cpus=2,maxcpus=2,threads=2", NULL));
    g_assert_cmpint(o.smp_cpus, ==, 2);
    cmdline_options_clear(&o);

    expect_error("expected a number from 1 to 255", "-smp", "0", NULL);
    expect_error("expected a number from 1 to 255", "-smp", "256", NULL);
    expect_error("expected a number from 1 to 255", "-smp", "two", NULL);
    expect_error("fewer than cpus=4", "-smp", "4,sockets=1,cores=2", NULL);
    expect_error("maxcpus must equal cpus", "-smp", "2,maxcpus=8", NULL);
    expect_error("at most 255 CPUs", "-smp", "sockets=16,cores=16,threads=2", NULL);
}

static void test_serial_and_chardev(void)
{
    CmdlineOptions o;
    g_assert_null(parse(&o, "-serial", "stdio", "-serial", "none", "-chardev", "socket,id=s,path=/tmp/x,,y",
                        "-serial", "chardev:s", NULL));
    g_assert_cmpint(o.n_serial, ==, 3);
    g_assert_cmpstr(o.serial[0], ==, "stdio");
    g_assert_cmpstr(o.serial[1], ==, "none");
    g_assert_cmpstr(o.serial[2], ==, "chardev:s");
    g_assert_cmpuint(o.chardevs->len, ==, 1);
    /* -chardev strings go to the chardev layer untouched (it parses ",," itself). */
    g_assert_cmpstr(o.chardevs->pdata[0], ==, "socket,id=s,path=/tmp/x,,y");
    cmdline_options_clear(&o);

    char *msg = parse(&o, "-serial", "null", "-serial", "null", "-serial", "null", "-serial", "null",
                      "-serial", "null", NULL);
    g_assert_nonnull(msg);
    g_assert_nonnull(strstr(msg, "at most 4 serial ports"));
    g_free(msg);
    cmdline_options_clear(&o);
    expect_error("empty chardev spec", "-serial", "", NULL);
}

static void test_device(void)
{
    CmdlineOptions o;
    g_assert_null(parse(&o, "-device", "isa-debug-exit", NULL));
    g_assert_true(o.debug_exit);
    g_assert_cmpuint(o.debug_exit_iobase, ==, 0x501);
    g_assert_cmpuint(o.debug_exit_iosize, ==, 2);
    cmdline_options_clear(&o);
    g_assert_null(parse(&o, "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04,id=exit", NULL));
    g_assert_cmpuint(o.debug_exit_iobase, ==, 0xf4);
    g_assert_cmpuint(o.debug_exit_iosize, ==, 4);
    cmdline_options_clear(&o);
    g_assert_null(parse(&o, "-device", "help", NULL));
    g_assert_nonnull(o.help_text);
    g_assert_nonnull(strstr(o.help_text, "isa-debug-exit"));
    cmdline_options_clear(&o);

    expect_error("unknown device model 'e1000'", "-device", "e1000,netdev=n", NULL);
    expect_error("no property 'irq'", "-device", "isa-debug-exit,irq=5", NULL);
    expect_error("expected a port number", "-device", "isa-debug-exit,iobase=-1", NULL);
    expect_error("expected a port number", "-device", "isa-debug-exit,iobase=0x10000", NULL);
    expect_error("expected a size", "-device", "isa-debug-exit,iosize=0", NULL);
    expect_error("run past 0xffff", "-device", "isa-debug-exit,iobase=0xfffe,iosize=4", NULL);
    expect_error("only one isa-debug-exit", "-device", "isa-debug-exit", "-device", "isa-debug-exit");
    expect_error("device model must come first", "-device", "iobase=1", NULL);
}

static void test_boot_and_misc(void)
{
    CmdlineOptions o;
    g_assert_null(parse(&o, "-boot", "order=cd,menu=off", "-name", "guest=vm1,debug-threads=on", NULL));
    g_assert_cmpstr(o.boot_order, ==, "cd");
    g_assert_cmpstr(o.name, ==, "vm1");
    cmdline_options_clear(&o);
    g_assert_null(parse(&o, "-boot", "dc", "-nographic", "-no-reboot", "-no-shutdown", NULL));
    g_assert_cmpstr(o.boot_order, ==, "dc");
    g_assert_true(o.nographic);
    g_assert_true(o.no_reboot);
    g_assert_true(o.no_shutdown);
    cmdline_options_clear(&o);
    g_assert_null(parse(&o, "-S", "-nodefaults", "-no-user-config", "-display", "none", "-vga", "none",
                        NULL));
    g_assert_true(o.start_paused);
    g_assert_true(o.nodefaults);
    g_assert_true(o.display_none);
    cmdline_options_clear(&o);
    g_assert_null(parse(&o, "--qtest", "unix:/tmp/q", "-qtest-log", "/dev/null", "-d", "kvm", NULL));
    g_assert_cmpstr(o.qtest, ==, "unix:/tmp/q");
    g_assert_cmpstr(o.qtest_log, ==, "/dev/null");
    g_assert_cmpstr(o.log_items, ==, "kvm");
    cmdline_options_clear(&o);

    expect_error("invalid boot device 'z'", "-boot", "order=cz", NULL);
    expect_error("given twice", "-boot", "cc", NULL);
    expect_error("unsupported boot property 'foo'", "-boot", "c,foo=1", NULL);
    expect_error("unsupported boot property 'reboot-timeout'", "-boot", "c,reboot-timeout=1000", NULL);
    expect_error("menu=on is not supported yet", "-boot", "menu=on", NULL);
    expect_error("expected 'on' or 'off'", "-boot", "c,menu=maybe", NULL);
    expect_error("only 'none'", "-display", "sdl", NULL);
    expect_error("only 'none'", "-net", "user", NULL);
    expect_error("invalid option", "-fda", "floppy.img", NULL);
    expect_error("unexpected argument", "-", NULL);
    expect_error("unexpected argument", "disk.img", NULL);
    expect_error("empty parameter name", "-machine", "pc,=x", NULL);
}

static void test_help_version_stop_parsing(void)
{
    CmdlineOptions o;
    /* --version wins even when a later option would be invalid (QEMU behaves the same). */
    g_assert_null(parse(&o, "--version", "-m", "bogus", NULL));
    g_assert_true(o.show_version);
    cmdline_options_clear(&o);
    g_assert_null(parse(&o, "-h", NULL));
    g_assert_true(o.show_help);
    cmdline_options_clear(&o);
}

static void test_bios_check(void)
{
    g_autofree char *dir = g_dir_make_tmp("ioemu-cmdline-XXXXXX", NULL);
    g_autofree char *ok_path = g_build_filename(dir, "ok.bin", NULL);
    g_autofree char *bad_path = g_build_filename(dir, "bad.bin", NULL);
    g_autofree char *empty_path = g_build_filename(dir, "empty.bin", NULL);
    g_autofree char *missing = g_build_filename(dir, "missing.bin", NULL);
    g_autofree uint8_t *buf = g_malloc0(128 * 1024);
    GError *err = NULL;

    g_assert_true(g_file_set_contents(ok_path, (char *)buf, 128 * 1024, NULL));
    g_assert_true(g_file_set_contents(bad_path, (char *)buf, 1000, NULL));
    g_assert_true(g_file_set_contents(empty_path, "", 0, NULL));

    g_assert_true(cmdline_check_bios(ok_path, &err));
    g_assert_no_error(err);
    g_assert_false(cmdline_check_bios(bad_path, &err));
    g_assert_nonnull(strstr(err->message, "1000 bytes"));
    g_clear_error(&err);
    g_assert_false(cmdline_check_bios(empty_path, &err));
    g_clear_error(&err);
    g_assert_false(cmdline_check_bios(missing, &err));
    g_assert_nonnull(strstr(err->message, "No such file"));
    g_clear_error(&err);
    g_assert_false(cmdline_check_bios(dir, &err));
    g_assert_nonnull(strstr(err->message, "not a regular file"));
    g_clear_error(&err);

    CmdlineOptions o;
    g_assert_null(parse(&o, "-bios", ok_path, NULL));
    g_assert_cmpstr(o.bios_path, ==, ok_path);
    cmdline_options_clear(&o);

    g_unlink(ok_path);
    g_unlink(bad_path);
    g_unlink(empty_path);
    g_rmdir(dir);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/cmdline/defaults", test_defaults);
    g_test_add_func("/cmdline/mem-sizes", test_mem_sizes);
    g_test_add_func("/cmdline/mem-option", test_mem_option);
    g_test_add_func("/cmdline/accel", test_accel);
    g_test_add_func("/cmdline/smp", test_smp);
    g_test_add_func("/cmdline/serial-chardev", test_serial_and_chardev);
    g_test_add_func("/cmdline/device", test_device);
    g_test_add_func("/cmdline/boot-misc", test_boot_and_misc);
    g_test_add_func("/cmdline/help-version", test_help_version_stop_parsing);
    g_test_add_func("/cmdline/bios-check", test_bios_check);
    return g_test_run();
}
