/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The qtest protocol itself, end to end against the emulator binary:
 * every access width round-trips through guest RAM, the bulk commands
 * (read/write hex, b64read/b64write, memset) agree with each other and
 * with the scalar ones, the virtual clock only moves forward and only when
 * told, IRQ interception reports levels, and malformed input gets a
 * non-OK reply without disturbing the next command.
 *
 * With QTEST_QEMU_BINARY=qemu-system-x86_64 the well-formed cases run
 * against QEMU as the oracle; QEMU asserts (and dies) on malformed input,
 * so those cases, and the clock ones when QEMU lacks the qtest
 * accelerator, are skipped there.
 */
#include <string.h>

#include <glib.h>
#include <glib/gstdio.h>

#include "tests/libqtest.h"

/* Guest RAM well above the firmware areas and below the default 128 MiB. */
#define RAM_BASE 0x100000ull

/* The clock commands exist (QEMU without its qtest accelerator lacks them). */
static bool have_clock(QTestState *s)
{
    const char *r = qtest_raw(s, "clock_step 0");

    if (g_str_has_prefix(r, "FAIL Unknown command")) {
        g_test_skip("no clock commands (QEMU without -accel qtest)");
        return false;
    }
    g_assert_true(g_str_has_prefix(r, "OK "));
    return true;
}

/* Deterministic test data. */
static void fill_pattern(uint8_t *buf, size_t len, uint32_t seed)
{
    uint32_t x = seed * 2654435761u + 1;

    for (size_t i = 0; i < len; i++) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        buf[i] = x >> 24;
    }
}

static void test_scalar_widths(void)
{
    QTestState *s = qtest_init_or_skip(NULL);

    if (!s) {
        return;
    }
    qtest_writeb(s, RAM_BASE, 0xa5);
    g_assert_cmphex(qtest_readb(s, RAM_BASE), ==, 0xa5);
    qtest_writew(s, RAM_BASE + 0x10, 0xbeef);
    g_assert_cmphex(qtest_readw(s, RAM_BASE + 0x10), ==, 0xbeef);
    qtest_writel(s, RAM_BASE + 0x20, 0x11223344);
    g_assert_cmphex(qtest_readl(s, RAM_BASE + 0x20), ==, 0x11223344);
    qtest_writeq(s, RAM_BASE + 0x30, 0x8877665544332211ull);
    g_assert_cmphex(qtest_readq(s, RAM_BASE + 0x30), ==, 0x8877665544332211ull);

    /* Little endian: the narrow reads see the low bytes first. */
    g_assert_cmphex(qtest_readb(s, RAM_BASE + 0x20), ==, 0x44);
    g_assert_cmphex(qtest_readb(s, RAM_BASE + 0x23), ==, 0x11);
    g_assert_cmphex(qtest_readw(s, RAM_BASE + 0x22), ==, 0x1122);
    g_assert_cmphex(qtest_readl(s, RAM_BASE + 0x34), ==, 0x88776655);
    g_assert_cmphex(qtest_readw(s, RAM_BASE + 0x10), ==, 0xbeef);

    /* A value wider than the access is cut to it, as in QEMU. */
    g_assert_cmpstr(qtest_raw(s, "writeb 0x100040 0x1ff"), ==, "OK");
    g_assert_cmphex(qtest_readw(s, RAM_BASE + 0x40), ==, 0x00ff);

    /* Unaligned accesses are plain RAM accesses too. */
    qtest_writel(s, RAM_BASE + 0x51, 0xcafef00d);
    g_assert_cmphex(qtest_readl(s, RAM_BASE + 0x51), ==, 0xcafef00d);
    g_assert_cmphex(qtest_readb(s, RAM_BASE + 0x51), ==, 0x0d);
    qtest_quit(s);
}

static void test_bulk_agreement(void)
{
    enum { LEN = 4096 + 7 };
    uint8_t *a = g_malloc(LEN), *b = g_malloc(LEN), *c = g_malloc(LEN);
    QTestState *s = qtest_init_or_skip(NULL);

    if (!s) {
        goto out;
    }
    /* hex write -> hex read, b64 read, scalar reads */
    fill_pattern(a, LEN, 1);
    qtest_memwrite(s, RAM_BASE + 3, a, LEN);
    qtest_memread(s, RAM_BASE + 3, b, LEN);
    g_assert_cmpmem(a, LEN, b, LEN);
    qtest_bufread(s, RAM_BASE + 3, c, LEN);
    g_assert_cmpmem(a, LEN, c, LEN);
    g_assert_cmphex(qtest_readb(s, RAM_BASE + 3 + 100), ==, a[100]);
    g_assert_cmphex(qtest_readl(s, RAM_BASE + 3 + 200), ==,
                    a[200] | a[201] << 8 | a[202] << 16 | (uint32_t)a[203] << 24);

    /* b64 write -> hex read */
    fill_pattern(a, LEN, 2);
    qtest_bufwrite(s, RAM_BASE + 3, a, LEN);
    qtest_memread(s, RAM_BASE + 3, b, LEN);
    g_assert_cmpmem(a, LEN, b, LEN);

    /* memset -> both reads; the bytes around it are untouched */
    qtest_memset(s, RAM_BASE + 10, 0x5a, 1000);
    memset(a + 7, 0x5a, 1000);
    qtest_memread(s, RAM_BASE + 3, b, LEN);
    g_assert_cmpmem(a, LEN, b, LEN);
    qtest_bufread(s, RAM_BASE + 3, c, LEN);
    g_assert_cmpmem(a, LEN, c, LEN);
    g_assert_cmphex(qtest_readb(s, RAM_BASE + 9), ==, a[6]);
    g_assert_cmphex(qtest_readb(s, RAM_BASE + 1010), ==, a[1007]);

    /* A zero-size memset is allowed and does nothing. */
    qtest_memset(s, RAM_BASE + 3, 0xff, 0);
    g_assert_cmphex(qtest_readb(s, RAM_BASE + 3), ==, a[0]);

    /* Raw forms: short hex data is zero-filled up to SIZE (QEMU's rule). */
    g_assert_cmpstr(qtest_raw(s, "write 0x100000 4 0x0102"), ==, "OK");
    g_assert_cmpstr(qtest_raw(s, "read 0x100000 4"), ==, "OK 0x01020000");
    g_assert_cmpstr(qtest_raw(s, "b64write 0x100000 4 AQIDBA=="), ==, "OK");
    g_assert_cmpstr(qtest_raw(s, "b64read 0x100000 4"), ==, "OK AQIDBA==");
    g_assert_cmpstr(qtest_raw(s, "readl 0x100000"), ==, "OK 0x0000000004030201");
    qtest_quit(s);
out:
    g_free(a);
    g_free(b);
    g_free(c);
}

/* Transfers bigger than one protocol line are split by the client and still agree. */
static void test_bulk_large(void)
{
    enum { LEN = 700 * 1024 + 13 };
    uint8_t *a = g_malloc(LEN), *b = g_malloc(LEN);
    QTestState *s = qtest_init_or_skip(NULL);

    if (!s) {
        goto out;
    }
    fill_pattern(a, LEN, 3);
    qtest_memwrite(s, RAM_BASE, a, LEN);
    qtest_bufread(s, RAM_BASE, b, LEN);
    g_assert_cmpmem(a, LEN, b, LEN);
    fill_pattern(a, LEN, 4);
    qtest_bufwrite(s, RAM_BASE, a, LEN);
    memset(b, 0, LEN);
    qtest_memread(s, RAM_BASE, b, LEN);
    g_assert_cmpmem(a, LEN, b, LEN);
    qtest_quit(s);
out:
    g_free(a);
    g_free(b);
}

static void test_unmapped_port(void)
{
    QTestState *s = qtest_init_or_skip(NULL);

    if (!s) {
        return;
    }
    /* Nothing decodes these ports on a PC: reads float high. */
    g_assert_cmphex(qtest_inb(s, 0x1234), ==, 0xff);
    g_assert_cmphex(qtest_inw(s, 0x1234), ==, 0xffff);
    g_assert_cmphex(qtest_inl(s, 0x1234), ==, 0xffffffff);
    g_assert_cmpstr(qtest_raw(s, "inb 0x1234"), ==, "OK 0x00ff");
    /* Writes there are dropped without complaint. */
    qtest_outb(s, 0x1234, 0x55);
    qtest_outl(s, 0x1234, 0x12345678);
    g_assert_cmphex(qtest_inl(s, 0x1234), ==, 0xffffffff);
    g_assert_cmpstr(qtest_raw(s, "endianness"), ==, "OK little");
    qtest_quit(s);
}

static void test_clock(void)
{
    QTestState *s = qtest_init_or_skip(NULL);
    int64_t t0, t1, t2;

    if (!s) {
        return;
    }
    if (!have_clock(s)) {
        qtest_quit(s);
        return;
    }
    t0 = qtest_clock_step(s, 0);
    t1 = qtest_clock_step(s, 1000);
    g_assert_cmpint(t1, ==, t0 + 1000);
    t2 = qtest_clock_step(s, 123456789);
    g_assert_cmpint(t2, ==, t1 + 123456789);
    /* clock_set moves forward to exactly the time asked... */
    g_assert_cmpint(qtest_clock_set(s, t2 + 5000), ==, t2 + 5000);
    /* ...and never back: asking for the past answers FAIL with the current time. */
    {
        g_autofree char *cmd = g_strdup_printf("clock_set %" G_GINT64_FORMAT, t0);
        g_autofree char *want = g_strdup_printf("FAIL %" G_GINT64_FORMAT, t2 + 5000);
        g_assert_cmpstr(qtest_raw(s, cmd), ==, want);
    }
    g_assert_cmpint(qtest_clock_step(s, 0), ==, t2 + 5000);
    qtest_quit(s);
}

/*
 * clock_step with no argument stops at the next timer deadline.  The PIT
 * in mode 2 with a count of 0x1000 has its next deadline 4096 / 1.193182
 * MHz (about 3.43 ms) away, so the step lands within that.
 */
static void test_clock_next_deadline(void)
{
    QTestState *s = qtest_init_or_skip(NULL);
    int64_t t0, t1;

    if (!s) {
        return;
    }
    if (!have_clock(s)) {
        qtest_quit(s);
        return;
    }
    qtest_outb(s, 0x43, 0x34);     /* channel 0, lo/hi byte, mode 2 */
    qtest_outb(s, 0x40, 0x00);
    qtest_outb(s, 0x40, 0x10);
    t0 = qtest_clock_step(s, 0);
    t1 = qtest_clock_step_next(s);
    g_assert_cmpint(t1, >, t0);
    g_assert_cmpint(t1 - t0, <=, 3433000 + 1000);
    g_assert_cmpint(qtest_clock_step_next(s), >, t1);
    qtest_quit(s);
}

static void test_irq_intercept(void)
{
    QTestState *s = qtest_init_or_skip(NULL);

    if (!s) {
        return;
    }
    qtest_irq_intercept_in(s, "ioapic");
    g_assert_false(qtest_get_irq(s, 5));
    qtest_set_irq_in(s, "ioapic", "unnamed-gpio-in", 5, 1);
    g_assert_true(qtest_get_irq(s, 5));
    g_assert_false(qtest_get_irq(s, 6));
    /* Levels are reported on change only; the async line comes before the OK. */
    g_assert_cmpstr(qtest_raw(s, "set_irq_in ioapic unnamed-gpio-in 5 1"), ==, "OK");
    qtest_set_irq_in(s, "ioapic", "unnamed-gpio-in", 5, 0);
    g_assert_false(qtest_get_irq(s, 5));
    /* Intercepting the same device again is fine; a second device is refused. */
    qtest_irq_intercept_in(s, "ioapic");
    g_assert_true(g_str_has_prefix(qtest_raw(s, "irq_intercept_in /machine/no-such-device"), "FAIL"));
    qtest_quit(s);
}

/* QOM-style paths name the same group as its bare name. */
static void test_irq_paths(void)
{
    QTestState *s;

    if (qtest_binary_is_qemu()) {
        g_test_skip("ioemu's path lookup (QEMU resolves QOM paths its own way)");
        return;
    }
    s = qtest_init_or_skip(NULL);
    if (!s) {
        return;
    }
    qtest_irq_intercept_in(s, "/machine/i440fx/ioapic");
    qtest_set_irq_in(s, "/machine/ioapic", "unnamed-gpio-in", 9, 1);
    g_assert_true(qtest_get_irq(s, 9));
    g_assert_true(g_str_has_prefix(qtest_raw(s, "irq_intercept_in pic"), "FAIL IRQ intercept already enabled"));
    g_assert_true(g_str_has_prefix(qtest_raw(s, "set_irq_in ioapic unnamed-gpio-in 999 1"), "FAIL"));
    g_assert_true(g_str_has_prefix(qtest_raw(s, "set_irq_in nowhere unnamed-gpio-in 1 1"), "FAIL"));
    qtest_quit(s);
}

static void test_several_lines_at_once(void)
{
    QTestState *s = qtest_init_or_skip(NULL);

    if (!s) {
        return;
    }
    g_assert_cmpstr(qtest_raw(s, "writeb 0x100000 0x12\nreadb 0x100000\nwritew 0x100002 0x3456\nreadl 0x100000"),
                    ==, "OK\nOK 0x0000000000000012\nOK\nOK 0x0000000034560012");
    qtest_quit(s);
}

/* After each bad line, the session still works. */
static void check_alive(QTestState *s, unsigned i)
{
    qtest_writeb(s, RAM_BASE + i, i & 0xff);
    g_assert_cmphex(qtest_readb(s, RAM_BASE + i), ==, i & 0xff);
}

static void test_malformed(void)
{
    static const char *const bad[] = {
        "outb", "outb zz 1", "outb 1", "outb 0x10000 1", "outl 0xfffe 1", "inb", "inb -1", "inw 0x12g",
        "readb", "readb 0x", "readb 08", "readb -0", "readq 0xffffffffffffffff",
        "readl 0xfffffffffffffffe", "readb 0x10000000000000000", "writeq 0xfffffffffffffff9 1",
        "writel 0x100000", "writel 0x100000 nope", "read 0 99999999999", "read 0 0",
        "read 0xffffffffffffff00 0x200", "read 0 0x1000001", "b64read 0 0x2000000",
        "memset 0 0x100000000 0", "memset 0x100000 4", "memset 0x100000 4 x", "write 0x100000 4 0xzz",
        "write 0x100000 4 12", "write 0x100000 4 0x123", "write 0x100000 99999999999 0x00",
        "write 0x100000 4", "b64write 0x100000 4 !!!!", "b64write 0x100000 4 AQ", "b64write 0x100000",
        "frobnicate", "frobnicate 1 2 3", "", "   ", "\t", "clock_step -5", "clock_step abc",
        "clock_set", "clock_set 1x", "set_irq_in ioapic unnamed-gpio-in x 1",
        "set_irq_in ioapic unnamed-gpio-in 1", "set_irq_in ioapic unnamed-gpio-in -1 1",
        "set_irq_in ioapic unnamed-gpio-in 1 99999999999", "irq_intercept_in",
        "irq_intercept_in /machine/nonexistent", "irq_intercept_in ioapic name", "OUTB 0x80 1",
        "outb\x01 0x80 1",
    };
    QTestState *s;

    if (qtest_binary_is_qemu()) {
        g_test_skip("QEMU asserts on malformed commands");
        return;
    }
    s = qtest_init_or_skip(NULL);
    if (!s) {
        return;
    }
    for (unsigned i = 0; i < G_N_ELEMENTS(bad); i++) {
        const char *r = qtest_raw(s, bad[i]);

        if (g_test_verbose()) {
            g_printerr("'%s' -> '%s'\n", bad[i], r);
        }
        g_assert_true(g_str_has_prefix(r, "ERR ") || g_str_has_prefix(r, "FAIL "));
        g_assert_null(strchr(r, '\n'));
        check_alive(s, i);
    }
    /* An unknown command is a FAIL, as in QEMU. */
    g_assert_cmpstr(qtest_raw(s, "frobnicate"), ==, "FAIL Unknown command 'frobnicate'");
    /* An address range that wraps, and a size over the limit, are ERR. */
    g_assert_true(g_str_has_prefix(qtest_raw(s, "readq 0xffffffffffffffff"), "ERR "));
    g_assert_true(g_str_has_prefix(qtest_raw(s, "read 0 99999999999"), "ERR "));
    /* The highest byte of the address space is still addressable (nothing there: all-ones). */
    g_assert_cmpstr(qtest_raw(s, "readb 0xffffffffffffffff"), ==, "OK 0x00000000000000ff");
    qtest_quit(s);
}

static void test_overlong_line(void)
{
    const size_t len = 3u << 20;
    char *line;
    QTestState *s;

    if (qtest_binary_is_qemu()) {
        g_test_skip("ioemu's line limit");
        return;
    }
    s = qtest_init_or_skip(NULL);
    if (!s) {
        return;
    }
    line = g_malloc(len + 1);
    memcpy(line, "write 0x100000 4 0x", 19);
    memset(line + 19, 'a', len - 19);
    line[len] = '\0';
    /* One reply for the whole line, however long, then business as usual. */
    g_assert_true(g_str_has_prefix(qtest_raw(s, line), "ERR line too long"));
    check_alive(s, 1);
    g_assert_cmphex(qtest_readl(s, RAM_BASE), !=, 0xaaaaaaaa);
    g_free(line);
    qtest_quit(s);
}

static void test_qtest_log(void)
{
    g_autofree char *dir = g_dir_make_tmp("qtest-log-XXXXXX", NULL);
    g_autofree char *path = g_build_filename(dir, "qtest.log", NULL);
    g_autofree char *text = NULL;
    QTestState *s = qtest_init_or_skip(NULL);

    if (!s) {
        goto out;
    }
    qtest_quit(s);
    s = qtest_initf("-qtest-log %s", path);
    qtest_outb(s, 0x80, 0x42);
    g_assert_cmphex(qtest_inb(s, 0x1234), ==, 0xff);
    qtest_quit(s);
    g_assert_true(g_file_get_contents(path, &text, NULL, NULL));
    g_assert_nonnull(strstr(text, "outb 0x80 0x42"));
    g_assert_nonnull(strstr(text, "inb 0x1234"));
    g_assert_nonnull(strstr(text, "OK 0x00ff"));
out:
    g_unlink(path);
    g_rmdir(dir);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/qtest/scalar-widths", test_scalar_widths);
    g_test_add_func("/qtest/bulk-agreement", test_bulk_agreement);
    g_test_add_func("/qtest/bulk-large", test_bulk_large);
    g_test_add_func("/qtest/unmapped-port", test_unmapped_port);
    g_test_add_func("/qtest/clock", test_clock);
    g_test_add_func("/qtest/clock-next-deadline", test_clock_next_deadline);
    g_test_add_func("/qtest/irq-intercept", test_irq_intercept);
    g_test_add_func("/qtest/irq-paths", test_irq_paths);
    g_test_add_func("/qtest/several-lines", test_several_lines_at_once);
    g_test_add_func("/qtest/malformed", test_malformed);
    g_test_add_func("/qtest/overlong-line", test_overlong_line);
    g_test_add_func("/qtest/log", test_qtest_log);
    return g_test_run();
}
