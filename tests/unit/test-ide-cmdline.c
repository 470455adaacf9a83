/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The disk options of the standalone command line (standalone/cmdline.c),
 * QEMU's spelling: -drive with if=ide|none, index=, bus=/unit=,
 * media=, format=, readonly=, cache=, id=; -hda..-hdd and -cdrom;
 * -device ide-hd|ide-cd,drive=,bus=ide.N,unit=,bootindex= as libxl emits
 * them; where each drive lands in the four IDE slots, and the errors.
 */
#include <glib.h>
#include <stdarg.h>
#include <string.h>

#include "standalone/cmdline.h"

static char *parse_argv(CmdlineOptions *o, const char *const *args)
{
    GPtrArray *argv = g_ptr_array_new();
    GError *err = NULL;
    char *msg = NULL;

    g_ptr_array_add(argv, (char *)"ioemu");
    for (int i = 0; args[i]; i++) {
        g_ptr_array_add(argv, (char *)args[i]);
    }
    cmdline_options_init(o);
    if (!cmdline_parse((int)argv->len, (char **)argv->pdata, o, &err)) {
        msg = g_strdup(err->message);
        g_error_free(err);
    }
    g_ptr_array_free(argv, true);
    return msg;
}

#define PARSE_OK(o, ...) do {                                               \
        const char *args_[] = { __VA_ARGS__, NULL };                        \
        char *msg_ = parse_argv(o, args_);                                  \
        if (msg_) {                                                         \
            g_error("unexpected error: %s", msg_);                          \
        }                                                                   \
    } while (0)

#define PARSE_ERR(needle, ...) do {                                         \
        CmdlineOptions o_;                                                  \
        const char *args_[] = { __VA_ARGS__, NULL };                        \
        char *msg_ = parse_argv(&o_, args_);                                \
        if (!msg_ || !strstr(msg_, needle)) {                               \
            g_error("expected an error containing '%s', got '%s'", needle,  \
                    msg_ ? msg_ : "(success)");                             \
        }                                                                   \
        g_free(msg_);                                                       \
        cmdline_options_clear(&o_);                                         \
    } while (0)

static void test_shorthands(void)
{
    CmdlineOptions o;

    PARSE_OK(&o, "-hda", "a.img", "-hdb", "b.img", "-cdrom", "c.iso", "-hdd", "d.img");
    g_assert_cmpstr(o.ide[0]->file, ==, "a.img");
    g_assert_false(o.ide[0]->cdrom);
    g_assert_cmpstr(o.ide[1]->file, ==, "b.img");
    g_assert_cmpstr(o.ide[2]->file, ==, "c.iso");
    g_assert_true(o.ide[2]->cdrom);
    g_assert_cmpstr(o.ide[3]->file, ==, "d.img");
    g_assert_null(o.ide[0]->format);        /* probed */
    cmdline_options_clear(&o);

    /* -cdrom and -hdc both want index 2. */
    PARSE_ERR("index=2", "-cdrom", "c.iso", "-hdc", "x.img");
    PARSE_ERR("empty file name", "-hda", "");
}

static void test_drive_placement(void)
{
    CmdlineOptions o;

    /* Without index, drives fill the first free slots in order; explicit ones go where told. */
    PARSE_OK(&o, "-drive", "file=x.img,index=1", "-drive", "file=y.qcow2,format=qcow2",
             "-drive", "file=z.img,if=ide", "-drive", "file=w.iso,media=cdrom,bus=1,unit=1");
    g_assert_cmpstr(o.ide[0]->file, ==, "y.qcow2");
    g_assert_cmpstr(o.ide[0]->format, ==, "qcow2");
    g_assert_cmpstr(o.ide[1]->file, ==, "x.img");
    g_assert_cmpstr(o.ide[2]->file, ==, "z.img");
    g_assert_cmpstr(o.ide[3]->file, ==, "w.iso");
    g_assert_true(o.ide[3]->cdrom);
    cmdline_options_clear(&o);

    /* bus= alone takes that bus's first free unit. */
    PARSE_OK(&o, "-drive", "file=a,bus=1", "-drive", "file=b,bus=1");
    g_assert_cmpstr(o.ide[2]->file, ==, "a");
    g_assert_cmpstr(o.ide[3]->file, ==, "b");
    g_assert_null(o.ide[0]);
    cmdline_options_clear(&o);

    /* Options QEMU users and libxl pass. */
    PARSE_OK(&o, "-drive", "file=/tmp/d,if=ide,index=0,media=disk,format=raw,readonly=off,cache=writeback,"
             "aio=threads,discard=unmap,werror=report,rerror=report,detect-zeroes=off");
    g_assert_false(o.ide[0]->readonly);
    g_assert_cmpstr(o.ide[0]->cache, ==, "writeback");
    cmdline_options_clear(&o);
    PARSE_OK(&o, "-drive", "file=a,,b.img,cache=none,readonly=on");     /* ",," is a comma in the name */
    g_assert_cmpstr(o.ide[0]->file, ==, "a,b.img");
    g_assert_true(o.ide[0]->readonly);
    cmdline_options_clear(&o);
    /* An empty CD-ROM drive. */
    PARSE_OK(&o, "-drive", "if=ide,index=2,media=cdrom");
    g_assert_null(o.ide[2]->file);
    g_assert_true(o.ide[2]->cdrom);
    cmdline_options_clear(&o);

    PARSE_ERR("exists", "-drive", "file=a,index=0", "-drive", "file=b,bus=0,unit=0");
    PARSE_ERR("no free IDE slot", "-hda", "a", "-hdb", "b", "-hdc", "c", "-hdd", "d", "-drive", "file=e");
    PARSE_ERR("index=7", "-drive", "file=a,index=7");
    PARSE_ERR("bus=2", "-drive", "file=a,bus=2");
    PARSE_ERR("index= cannot be used with bus=", "-drive", "file=a,index=0,unit=1");
    PARSE_ERR("if=virtio", "-drive", "file=a,if=virtio");
    PARSE_ERR("format=vmdk", "-drive", "file=a,format=vmdk");
    PARSE_ERR("cache=fast", "-drive", "file=a,cache=fast");
    PARSE_ERR("media=tape", "-drive", "file=a,media=tape");
    PARSE_ERR("readonly=maybe", "-drive", "file=a,readonly=maybe");
    PARSE_ERR("snapshot=on", "-drive", "file=a,snapshot=on");
    PARSE_ERR("unsupported drive property 'bogus'", "-drive", "file=a,bogus=1");
    PARSE_ERR("needs file=", "-drive", "if=ide,index=0");
}

/* libxl's spelling: -drive if=none,id=X + -device ide-cd|ide-hd,drive=X,bus=ide.N,unit=U. */
static void test_device_attach(void)
{
    CmdlineOptions o;

    PARSE_OK(&o, "-drive", "file=/disk.img,if=ide,index=0,format=raw",
             "-drive", "if=none,id=ide-5632,readonly=on,file=/x.iso,format=raw",
             "-device", "ide-cd,id=ide-5632,drive=ide-5632,bus=ide.1,unit=0,bootindex=1",
             "-drive", "if=none,id=hd1,file=/y.qcow2", "-device", "ide-hd,drive=hd1,bus=ide.0,unit=1");
    g_assert_cmpstr(o.ide[0]->file, ==, "/disk.img");
    g_assert_cmpstr(o.ide[2]->file, ==, "/x.iso");
    g_assert_true(o.ide[2]->cdrom);
    g_assert_true(o.ide[2]->has_bootindex);
    g_assert_cmpint(o.ide[2]->bootindex, ==, 1);
    g_assert_cmpstr(o.ide[1]->file, ==, "/y.qcow2");
    g_assert_false(o.ide[1]->cdrom);
    g_assert_false(o.ide[1]->has_bootindex);
    g_assert_null(o.ide[3]);
    cmdline_options_clear(&o);

    /* -device before its -drive is fine (QEMU creates drives first). */
    PARSE_OK(&o, "-device", "ide-cd,drive=cd", "-drive", "if=none,id=cd");
    g_assert_nonnull(o.ide[0]);
    g_assert_true(o.ide[0]->cdrom);
    g_assert_null(o.ide[0]->file);
    cmdline_options_clear(&o);

    /* An unattached if=none drive is allowed (QEMU keeps it for the monitor). */
    PARSE_OK(&o, "-drive", "if=none,id=spare,file=s.img");
    for (int i = 0; i < CMDLINE_IDE_SLOTS; i++) {
        g_assert_null(o.ide[i]);
    }
    cmdline_options_clear(&o);

    PARSE_ERR("no -drive with id 'nope'", "-device", "ide-hd,drive=nope");
    PARSE_ERR("drive= is required", "-device", "ide-hd,bus=ide.0");
    PARSE_ERR("already in use", "-drive", "if=none,id=d,file=a", "-device", "ide-hd,drive=d",
              "-device", "ide-cd,drive=d");
    PARSE_ERR("already in use", "-drive", "file=a,id=d", "-device", "ide-hd,drive=d");
    PARSE_ERR("bus=ide.2", "-drive", "if=none,id=d,file=a", "-device", "ide-hd,drive=d,bus=ide.2");
    PARSE_ERR("has no property 'serial'", "-drive", "if=none,id=d,file=a", "-device", "ide-hd,drive=d,serial=1");
    PARSE_ERR("unit= needs bus=", "-drive", "if=none,id=d,file=a", "-device", "ide-hd,drive=d,unit=1");
    PARSE_ERR("exists", "-hda", "a", "-drive", "if=none,id=d,file=b", "-device", "ide-hd,drive=d,bus=ide.0,unit=0");
    PARSE_ERR("if=none needs id=", "-drive", "if=none,file=a");
    PARSE_ERR("duplicate drive id", "-drive", "if=none,id=d,file=a", "-drive", "if=none,id=d,file=b");
    PARSE_ERR("a hard disk needs file=", "-drive", "if=none,id=d", "-device", "ide-hd,drive=d");
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/ide-cmdline/shorthands", test_shorthands);
    g_test_add_func("/ide-cmdline/drive-placement", test_drive_placement);
    g_test_add_func("/ide-cmdline/device-attach", test_device_attach);
    return g_test_run();
}
