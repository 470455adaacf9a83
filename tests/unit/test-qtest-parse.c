/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The qtest server without a process: the parser over a fake ops table
 * (reply formats, QEMU's data rules, every malformed-input path, input
 * split anywhere, overlong lines, IRQ reporting, the log), and the Machine
 * binding over a ringbuf chardev (one access per scalar width, the manual
 * clock, IRQ interception with forwarding, detach).
 */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <glib.h>
#include <glib/gstdio.h>

#include "hw/core/clock.h"
#include "hw/core/irq.h"
#include "hw/core/machine.h"
#include "hw/core/mainloop.h"
#include "hw/core/memory.h"
#include "standalone/qtest.h"
#include "ui/chardev.h"

/* ---- the parser over fake ops -------------------------------------------------- */

#define FAKE_MEM 0x10000

typedef struct Fake {
    QTestServer *s;
    GString *out;
    uint8_t mem[FAKE_MEM];
    uint32_t port80;             /* the only decoded port: 0x80..0x83 */
    unsigned last_pio_size;
    unsigned mem_writes;
    size_t last_mem_len;
    int64_t now;
    int64_t deadline;            /* -1: no timer */
    GString *calls;              /* irq_intercept / set_irq_in, in order */
} Fake;

static void fake_send(void *opaque, const char *buf, size_t len)
{
    Fake *f = opaque;
    g_string_append_len(f->out, buf, len);
}

static bool fake_pio_read(void *opaque, uint16_t port, unsigned size, uint32_t *val)
{
    Fake *f = opaque;

    f->last_pio_size = size;
    if (port != 0x80) {
        *val = UINT32_MAX;
        return false;
    }
    *val = f->port80;
    return true;
}

static bool fake_pio_write(void *opaque, uint16_t port, unsigned size, uint32_t val)
{
    Fake *f = opaque;

    f->last_pio_size = size;
    if (port != 0x80) {
        return false;
    }
    f->port80 = size == 4 ? val : val & ((1u << (8 * size)) - 1);
    return true;
}

static bool fake_mem_read(void *opaque, uint64_t addr, void *buf, size_t len)
{
    Fake *f = opaque;

    f->last_mem_len = len;
    if (addr >= FAKE_MEM || len > FAKE_MEM - addr) {
        return false;   /* buf keeps the server's all-ones */
    }
    memcpy(buf, f->mem + addr, len);
    return true;
}

static bool fake_mem_write(void *opaque, uint64_t addr, const void *buf, size_t len)
{
    Fake *f = opaque;

    f->mem_writes++;
    f->last_mem_len = len;
    if (addr >= FAKE_MEM || len > FAKE_MEM - addr) {
        return false;
    }
    memcpy(f->mem + addr, buf, len);
    return true;
}

static int64_t fake_clock_step(void *opaque, int64_t ns)
{
    Fake *f = opaque;

    if (ns < 0) {
        if (f->deadline < 0) {
            return -1;
        }
        f->now = MAX(f->now, f->deadline);
        f->deadline = -1;
        return f->now;
    }
    f->now += ns;
    return f->now;
}

static int64_t fake_clock_set(void *opaque, int64_t ns)
{
    Fake *f = opaque;

    f->now = MAX(f->now, ns);
    return f->now;
}

static bool fake_irq_intercept(void *opaque, bool in, const char *path, GError **err)
{
    Fake *f = opaque;

    g_string_append_printf(f->calls, "intercept %s %s;", in ? "in" : "out", path);
    if (strcmp(path, "dev") != 0) {
        g_set_error(err, G_FILE_ERROR, 0, "Unknown device");
        return false;
    }
    return true;
}

static bool fake_set_irq_in(void *opaque, const char *path, const char *name, int n, int level,
                            GError **err)
{
    Fake *f = opaque;

    g_string_append_printf(f->calls, "set %s %s %d %d;", path, name, n, level);
    /* As if the line were intercepted: the server reports it. */
    qtest_server_irq(f->s, n, level);
    return true;
}

static const QTestOps fake_ops = {
    .pio_read = fake_pio_read,
    .pio_write = fake_pio_write,
    .mem_read = fake_mem_read,
    .mem_write = fake_mem_write,
    .clock_step = fake_clock_step,
    .clock_set = fake_clock_set,
    .irq_intercept = fake_irq_intercept,
    .set_irq_in = fake_set_irq_in,
};

static Fake *fake_new(const QTestOps *ops)
{
    Fake *f = g_new0(Fake, 1);

    f->out = g_string_new(NULL);
    f->calls = g_string_new(NULL);
    f->deadline = -1;
    f->s = qtest_server_new_custom(ops, f, fake_send, f);
    return f;
}

static void fake_free(Fake *f)
{
    qtest_server_free(f->s);
    g_string_free(f->out, true);
    g_string_free(f->calls, true);
    g_free(f);
}

/* Feed text, return everything the server sent (and forget it). */
static char *feed(Fake *f, const char *text)
{
    char *out;

    qtest_server_input(f->s, (const uint8_t *)text, strlen(text));
    out = g_strdup(f->out->str);
    g_string_truncate(f->out, 0);
    return out;
}

#define CHECK(f, in, want) do {                      \
        g_autofree char *got_ = feed((f), (in));    \
        g_assert_cmpstr(got_, ==, (want));          \
    } while (0)

/* Each line of `in` (one command) gets a reply starting with `prefix`. */
static void check_prefix(Fake *f, const char *in, const char *prefix)
{
    g_autofree char *line = g_strdup_printf("%s\n", in);
    g_autofree char *got = feed(f, line);

    if (!g_str_has_prefix(got, prefix)) {
        g_error("'%s' -> '%s', expected '%s...'", in, got, prefix);
    }
    /* exactly one line */
    g_assert_nonnull(strchr(got, '\n'));
    g_assert_true(strchr(got, '\n')[1] == '\0');
}

static void test_reply_formats(void)
{
    Fake *f = fake_new(&fake_ops);

    CHECK(f, "outb 0x80 0x12\n", "OK\n");
    g_assert_cmpuint(f->port80, ==, 0x12);
    CHECK(f, "inb 0x80\n", "OK 0x0012\n");
    CHECK(f, "outw 0x80 0xbeef\n", "OK\n");
    CHECK(f, "inw 0x80\n", "OK 0xbeef\n");
    g_assert_cmpuint(f->last_pio_size, ==, 2);
    CHECK(f, "outl 0x80 0x12345678\n", "OK\n");
    CHECK(f, "inl 0x80\n", "OK 0x12345678\n");
    g_assert_cmpuint(f->last_pio_size, ==, 4);
    /* a value wider than the access is cut to it */
    CHECK(f, "outb 0x80 0x1ff\n", "OK\n");
    CHECK(f, "inl 0x80\n", "OK 0x00ff\n");
    /* unassigned ports read all-ones at the access width */
    CHECK(f, "inb 0x81\n", "OK 0x00ff\n");
    CHECK(f, "inw 0x81\n", "OK 0xffff\n");
    CHECK(f, "inl 0xfffc\n", "OK 0xffffffff\n");
    /* decimal and octal numbers, as strtoul base 0 */
    CHECK(f, "outb 128 10\n", "OK\n");
    CHECK(f, "inb 0200\n", "OK 0x000a\n");

    CHECK(f, "writeq 0x10 0x1122334455667788\n", "OK\n");
    g_assert_cmpuint(f->last_mem_len, ==, 8);
    CHECK(f, "readq 0x10\n", "OK 0x1122334455667788\n");
    CHECK(f, "readl 0x10\n", "OK 0x0000000055667788\n");
    CHECK(f, "readw 0x12\n", "OK 0x0000000000005566\n");
    CHECK(f, "readb 0x17\n", "OK 0x0000000000000011\n");
    CHECK(f, "writew 0x20 0xa1b2\n", "OK\n");
    g_assert_cmpuint(f->mem[0x20], ==, 0xb2);
    g_assert_cmpuint(f->mem[0x21], ==, 0xa1);
    CHECK(f, "writel 0x30 0xdeadbeef\n", "OK\n");
    g_assert_cmpuint(f->last_mem_len, ==, 4);
    CHECK(f, "writeb 0x40 0x7f\n", "OK\n");
    g_assert_cmpuint(f->last_mem_len, ==, 1);
    CHECK(f, "read 0x10 8\n", "OK 0x8877665544332211\n");
    CHECK(f, "b64read 0x10 8\n", "OK iHdmVUQzIhE=\n");
    /* a zero-size b64read is an empty answer, as QEMU's */
    CHECK(f, "b64read 0x10 0\n", "OK \n");
    /* unassigned memory reads all-ones */
    CHECK(f, "readl 0x100000\n", "OK 0x00000000ffffffff\n");
    CHECK(f, "read 0xfffe 4\n", "OK 0xffffffff\n");
    CHECK(f, "endianness\n", "OK little\n");
    fake_free(f);
}

static void test_write_data_rules(void)
{
    Fake *f = fake_new(&fake_ops);

    /* short hex data is zero-filled up to SIZE */
    memset(f->mem, 0xee, 16);
    CHECK(f, "write 0 4 0x0102\n", "OK\n");
    CHECK(f, "read 0 5\n", "OK 0x01020000ee\n");
    /* long hex data is cut to SIZE; upper-case digits are fine */
    CHECK(f, "write 0 2 0xAABBCCDD\n", "OK\n");
    CHECK(f, "read 0 4\n", "OK 0xaabb0000\n");
    /* size 0 writes nothing */
    f->mem_writes = 0;
    CHECK(f, "write 0 0 0x00\n", "OK\n");
    g_assert_cmpuint(f->mem_writes, ==, 0);

    /* b64write: decoded data longer than SIZE is cut... */
    CHECK(f, "b64write 0x100 2 AQIDBA==\n", "OK\n");
    CHECK(f, "read 0x100 4\n", "OK 0x01020000\n");
    /* ...and shorter data writes only what there is */
    memset(f->mem + 0x200, 0xee, 4);
    CHECK(f, "b64write 0x200 4 AQI=\n", "OK\n");
    CHECK(f, "read 0x200 4\n", "OK 0x0102eeee\n");

    /* memset, including zero size, and sizes over its internal chunk */
    CHECK(f, "memset 0x300 3 0x5a\n", "OK\n");
    CHECK(f, "read 0x2ff 5\n", "OK 0x005a5a5a00\n");
    CHECK(f, "memset 0x300 0 0x11\n", "OK\n");
    CHECK(f, "readb 0x300\n", "OK 0x000000000000005a\n");
    CHECK(f, "memset 0 0x10000 0x77\n", "OK\n");
    g_assert_cmpuint(f->mem[0], ==, 0x77);
    g_assert_cmpuint(f->mem[0xffff], ==, 0x77);
    /* the pattern is a byte */
    CHECK(f, "memset 0 1 0x1234\n", "OK\n");
    g_assert_cmpuint(f->mem[0], ==, 0x34);
    fake_free(f);
}

static void test_malformed(void)
{
    static const struct {
        const char *in;
        const char *prefix;
    } cases[] = {
        { "outb", "ERR " },
        { "outb 0x80", "ERR " },
        { "outb zz 1", "ERR " },
        { "outb 0x80 zz", "ERR " },
        { "outb 0x10000 1", "ERR " },
        { "outw 0xffff 1", "ERR " },
        { "outl 0xfffd 1", "ERR " },
        { "inb", "ERR " },
        { "inb -1", "ERR " },
        { "inb +1", "ERR " },
        { "inb 0x", "ERR " },
        { "inb 09", "ERR " },
        { "inb 1e3", "ERR " },
        { "inl 0xfffd", "ERR " },
        { "readb", "ERR " },
        { "readb 0x10000000000000000", "ERR " },
        { "readw 0xffffffffffffffff", "ERR " },
        { "readl 0xfffffffffffffffd", "ERR " },
        { "readq 0xffffffffffffffff", "ERR " },
        { "readq 0xfffffffffffffff9", "ERR " },
        { "writeb 0x10", "ERR " },
        { "writeq 0xfffffffffffffff9 1", "ERR " },
        { "writel 0 0x100000000000000000", "ERR " },
        { "read", "ERR " },
        { "read 0", "ERR " },
        { "read 0 0", "ERR " },
        { "read 0 99999999999", "ERR " },
        { "read 0 0x1000001", "ERR " },
        { "read 0xffffffffffffff00 0x101", "ERR " },
        { "read zz 1", "ERR " },
        { "b64read 0 0x1000001", "ERR " },
        { "b64read 0xffffffffffffffff 2", "ERR " },
        { "write 0 4", "ERR " },
        { "write 0 4 0x", "ERR invalid argument size" },
        { "write 0 4 12", "ERR invalid argument size" },
        { "write 0 4 1234", "ERR " },
        { "write 0 4 0x123", "ERR " },
        { "write 0 4 0x12zz", "ERR " },
        { "write 0 0x1000001 0x00", "ERR " },
        { "write 0xffffffffffffffff 2 0x0000", "ERR " },
        { "b64write 0 4", "ERR " },
        { "b64write 0 4 AQ", "ERR invalid argument size" },
        { "b64write 0 4 AQ*D", "ERR " },
        { "b64write 0 0x1000001 AQID", "ERR " },
        { "memset 0 4", "ERR " },
        { "memset 0 4 zz", "ERR " },
        { "memset 0 0x1000001 0", "ERR " },
        { "memset 0 0x100000000 0", "ERR " },
        { "memset 0xfffffffffffffff0 0x20 0", "ERR " },
        { "clock_step -1", "ERR " },
        { "clock_step 1.5", "ERR " },
        { "clock_step 99999999999999999999", "ERR " },
        { "clock_set", "ERR " },
        { "clock_set x", "ERR " },
        { "irq_intercept_in", "ERR " },
        { "irq_intercept_out", "ERR " },
        { "irq_intercept_in nowhere", "FAIL Unknown device" },
        { "irq_intercept_in dev name", "FAIL Interception of named in-GPIOs not yet supported" },
        { "set_irq_in dev unnamed-gpio-in 1", "ERR " },
        { "set_irq_in dev unnamed-gpio-in x 1", "ERR " },
        { "set_irq_in dev unnamed-gpio-in -2 1", "ERR " },
        { "set_irq_in dev unnamed-gpio-in 2 4294967296", "ERR " },
        { "frobnicate", "FAIL Unknown command 'frobnicate'" },
        { "OUTB 0x80 1", "FAIL Unknown command 'OUTB'" },
        { "", "ERR empty command" },
        { "  \t ", "ERR empty command" },
    };
    Fake *f = fake_new(&fake_ops);

    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        f->mem_writes = 0;
        check_prefix(f, cases[i].in, cases[i].prefix);
        /* refused commands touch nothing */
        g_assert_cmpuint(f->mem_writes, ==, 0);
        /* and the next command works */
        CHECK(f, "endianness\n", "OK little\n");
    }
    /* no set_irq_in got through */
    g_assert_null(strstr(f->calls->str, "set "));

    /* A control character in an unknown command is not echoed raw; long names are cut. */
    {
        g_autofree char *got = feed(f, "fro\x1b[2Jb 1\n");
        g_assert_cmpstr(got, ==, "FAIL Unknown command 'fro?[2Jb'\n");
        g_autofree char *longname = g_strnfill(5000, 'x');
        g_autofree char *line = g_strdup_printf("%s\n", longname);
        g_autofree char *got2 = feed(f, line);
        g_assert_cmpuint(strlen(got2), <, 120);
    }
    /* A NUL byte inside a line. */
    {
        static const char nul_line[] = "outb 0x80\0 1\n";
        qtest_server_input(f->s, (const uint8_t *)nul_line, sizeof(nul_line) - 1);
        g_assert_true(g_str_has_prefix(f->out->str, "ERR "));
        g_string_truncate(f->out, 0);
    }
    /* Extra words are ignored, as QEMU does. */
    CHECK(f, "inb 0x80 extra words\n", "OK 0x0000\n");
    fake_free(f);
}

static void test_blanks_and_crlf(void)
{
    Fake *f = fake_new(&fake_ops);

    CHECK(f, "  outb\t0x80   0x33  \n", "OK\n");
    CHECK(f, "inb 0x80\r\n", "OK 0x0033\n");
    CHECK(f, "\r\n", "ERR empty command\n");
    fake_free(f);
}

static void test_split_input(void)
{
    static const char script[] =
        "outb 0x80 0x12\ninb 0x80\nwriteq 0x10 0x0102030405060708\nread 0x10 8\n"
        "b64read 0x10 3\nfrobnicate\nclock_step 10\nendianness\n";
    Fake *f = fake_new(&fake_ops);
    g_autofree char *whole = feed(f, script);
    Fake *g = fake_new(&fake_ops);

    g_assert_cmpstr(whole, ==,
                    "OK\nOK 0x0012\nOK\nOK 0x0807060504030201\nOK CAcG\n"
                    "FAIL Unknown command 'frobnicate'\nOK 10\nOK little\n");
    /* Byte by byte, the same conversation. */
    for (size_t i = 0; i < strlen(script); i++) {
        qtest_server_input(g->s, (const uint8_t *)script + i, 1);
    }
    g_assert_cmpstr(g->out->str, ==, whole);
    fake_free(g);

    /* Split at every position: two pieces give the same replies. */
    for (size_t cut = 0; cut <= strlen(script); cut++) {
        Fake *h = fake_new(&fake_ops);
        qtest_server_input(h->s, (const uint8_t *)script, cut);
        qtest_server_input(h->s, (const uint8_t *)script + cut, strlen(script) - cut);
        g_assert_cmpstr(h->out->str, ==, whole);
        fake_free(h);
    }
    /* Nothing is answered before the newline. */
    CHECK(f, "inb 0x8", "");
    CHECK(f, "0\n", "OK 0x0012\n");
    fake_free(f);
}

static void test_overlong_line(void)
{
    Fake *f = fake_new(&fake_ops);
    char chunk[4096];
    size_t sent = 0;

    memset(chunk, 'a', sizeof(chunk));
    /* Over the limit, in pieces, without a newline: one ERR as soon as it is too long. */
    while (sent <= QTEST_MAX_LINE + sizeof(chunk)) {
        qtest_server_input(f->s, (const uint8_t *)chunk, sizeof(chunk));
        sent += sizeof(chunk);
    }
    g_assert_true(g_str_has_prefix(f->out->str, "ERR line too long"));
    g_assert_cmpuint(strlen(f->out->str), ==, (size_t)(strchr(f->out->str, '\n') - f->out->str + 1));
    g_string_truncate(f->out, 0);
    /* The rest of that line, then a good command: only the good one is answered. */
    CHECK(f, "aaaa\ninb 0x80\n", "OK 0x0000\n");

    /* A line of exactly the limit is accepted (and here is an unknown command). */
    {
        char *line = g_malloc(QTEST_MAX_LINE + 2);
        memset(line, 'b', QTEST_MAX_LINE);
        line[QTEST_MAX_LINE] = '\n';
        line[QTEST_MAX_LINE + 1] = '\0';
        g_autofree char *got = feed(f, line);
        g_assert_true(g_str_has_prefix(got, "FAIL Unknown command 'bbb"));
        /* One byte more is refused, in one write. */
        line = g_realloc(line, QTEST_MAX_LINE + 3);
        memset(line, 'b', QTEST_MAX_LINE + 1);
        line[QTEST_MAX_LINE + 1] = '\n';
        line[QTEST_MAX_LINE + 2] = '\0';
        g_autofree char *got2 = feed(f, line);
        g_assert_cmpstr(got2, ==, "ERR line too long (over 1048576 bytes)\n");
        g_free(line);
    }
    CHECK(f, "endianness\n", "OK little\n");
    fake_free(f);
}

static void test_clock(void)
{
    Fake *f = fake_new(&fake_ops);

    CHECK(f, "clock_step\n",
          "FAIL cannot advance clock to the next deadline because there is no pending deadline\n");
    f->deadline = 5000;
    CHECK(f, "clock_step\n", "OK 5000\n");
    CHECK(f, "clock_step 0\n", "OK 5000\n");
    CHECK(f, "clock_step 100\n", "OK 5100\n");
    CHECK(f, "clock_step 0x100\n", "OK 5356\n");
    CHECK(f, "clock_set 6000\n", "OK 6000\n");
    /* never backwards: FAIL with the current time */
    CHECK(f, "clock_set 10\n", "FAIL 6000\n");
    CHECK(f, "clock_set -5\n", "FAIL 6000\n");
    fake_free(f);
}

static void test_missing_ops(void)
{
    static const char *const cmds[] = {
        "outb 0x80 1", "inb 0x80", "writeb 0 1", "readb 0", "read 0 1", "write 0 1 0x00",
        "b64read 0 1", "b64write 0 1 AAAA", "memset 0 1 0", "clock_step", "clock_set 5",
        "irq_intercept_in dev", "irq_intercept_out dev", "set_irq_in dev unnamed-gpio-in 1 1",
    };
    static const QTestOps none = { 0 };
    Fake *f = fake_new(&none);

    for (size_t i = 0; i < G_N_ELEMENTS(cmds); i++) {
        g_autofree char *name = g_strndup(cmds[i], strcspn(cmds[i], " "));
        g_autofree char *want = g_strdup_printf("FAIL Unknown command '%s'", name);
        check_prefix(f, cmds[i], want);
    }
    CHECK(f, "endianness\n", "OK little\n");
    fake_free(f);
}

static void test_irq_lines(void)
{
    Fake *f = fake_new(&fake_ops);

    qtest_server_irq(f->s, 3, 1);
    g_assert_cmpstr(f->out->str, ==, "IRQ raise 3\n");
    /* only changes are reported; any non-zero level is "raised" */
    qtest_server_irq(f->s, 3, 1);
    qtest_server_irq(f->s, 3, 7);
    g_assert_cmpstr(f->out->str, ==, "IRQ raise 3\n");
    qtest_server_irq(f->s, 3, 0);
    g_assert_cmpstr(f->out->str, ==, "IRQ raise 3\nIRQ lower 3\n");
    g_string_truncate(f->out, 0);
    /* numbers past the tracked range are reported every time */
    qtest_server_irq(f->s, QTEST_MAX_IRQ + 4, 1);
    qtest_server_irq(f->s, QTEST_MAX_IRQ + 4, 1);
    g_assert_cmpstr(f->out->str, ==, "IRQ raise 260\nIRQ raise 260\n");
    g_string_truncate(f->out, 0);
    /* a new client starts from all-low */
    qtest_server_irq(f->s, 9, 1);
    qtest_server_reset(f->s);
    qtest_server_irq(f->s, 9, 1);
    g_assert_cmpstr(f->out->str, ==, "IRQ raise 9\nIRQ raise 9\n");
    g_string_truncate(f->out, 0);

    /* IRQ lines caused by a command come before its reply */
    CHECK(f, "irq_intercept_in /machine/dev\n", "FAIL Unknown device\n");
    CHECK(f, "irq_intercept_in dev\n", "OK\n");
    CHECK(f, "irq_intercept_out dev\n", "OK\n");
    CHECK(f, "set_irq_in dev unnamed-gpio-in 4 1\n", "IRQ raise 4\nOK\n");
    CHECK(f, "set_irq_in dev gpio 4 -1\n", "OK\n");
    CHECK(f, "set_irq_in dev gpio 4 0\n", "IRQ lower 4\nOK\n");
    g_assert_cmpstr(f->calls->str, ==,
                    "intercept in /machine/dev;intercept in dev;intercept out dev;"
                    "set dev unnamed-gpio-in 4 1;set dev gpio 4 -1;set dev gpio 4 0;");
    fake_free(f);
}

static void test_log(void)
{
    g_autofree char *dir = g_dir_make_tmp("qtest-parse-XXXXXX", NULL);
    g_autofree char *path = g_build_filename(dir, "log", NULL);
    g_autofree char *bad = g_build_filename(dir, "no", "such", "dir", NULL);
    g_autofree char *text = NULL;
    GError *err = NULL;
    Fake *f = fake_new(&fake_ops);

    g_assert_false(qtest_server_set_log(f->s, bad, &err));
    g_assert_nonnull(err);
    g_assert_nonnull(strstr(err->message, bad));
    g_clear_error(&err);

    g_assert_true(qtest_server_set_log(f->s, path, &err));
    CHECK(f, "outb 0x80 0x42\n", "OK\n");
    CHECK(f, "inb 0x80\n", "OK 0x0042\n");
    qtest_server_irq(f->s, 1, 1);
    g_assert_true(qtest_server_set_log(f->s, "none", &err));
    CHECK(f, "inw 0x80\n", "IRQ raise 1\nOK 0x0042\n");
    g_assert_true(g_file_get_contents(path, &text, NULL, NULL));
    g_assert_nonnull(strstr(text, "] outb 0x80 0x42\n"));
    g_assert_nonnull(strstr(text, "] inb 0x80\n"));
    g_assert_nonnull(strstr(text, "] OK 0x0042\n"));
    g_assert_nonnull(strstr(text, "] IRQ raise 1\n"));
    g_assert_null(strstr(text, "inw"));
    g_assert_true(g_str_has_prefix(text, "[R +"));
    fake_free(f);
    g_unlink(path);
    g_rmdir(dir);
}

/* Random bytes: no crash, one well-formed reply per line. */
static void test_garbage(void)
{
    enum { LEN = 256 * 1024 };
    static const char alphabet[] = "0123456789abcdefx \n\t\r-+=/AQ"
                                   "outbinwreadlqmsetclock_stepirq";
    static const char *const words[] = {
        "outb ", "inl ", "readq ", "writew ", "read ", "write ", "b64read ", "b64write ",
        "memset ", "clock_step ", "clock_set ", "set_irq_in dev x ", "0x", "0xffffffffffffffff ",
    };
    Fake *f = fake_new(&fake_ops);
    GString *in = g_string_new(NULL);
    uint32_t x = 12345;
    size_t lines = 0, replies = 0;
    g_auto(GStrv) out = NULL;

    while (in->len < LEN) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        if (x % 5 == 0) {
            g_string_append(in, words[(x >> 8) % G_N_ELEMENTS(words)]);
        } else if (x % 7 == 0) {
            g_string_append_c(in, (char)(x >> 16));
        } else {
            g_string_append_c(in, alphabet[(x >> 8) % (sizeof(alphabet) - 1)]);
        }
    }
    g_string_append_c(in, '\n');
    for (size_t i = 0; i < in->len; i++) {
        lines += in->str[i] == '\n';
    }
    qtest_server_input(f->s, (const uint8_t *)in->str, in->len);
    out = g_strsplit(f->out->str, "\n", -1);
    for (size_t i = 0; out[i] && out[i][0]; i++) {
        if (g_str_has_prefix(out[i], "IRQ ")) {
            continue;
        }
        if (!(g_str_has_prefix(out[i], "OK") || g_str_has_prefix(out[i], "ERR ") ||
              g_str_has_prefix(out[i], "FAIL"))) {
            g_error("bad reply line '%s'", out[i]);
        }
        replies++;
    }
    g_assert_cmpuint(replies, ==, lines);
    g_string_free(in, true);
    fake_free(f);
}

/* ---- the Machine binding ----------------------------------------------------------- */

typedef struct Board {
    Machine *m;
    Chardev *chr;
    QTestServer *s;
    IrqLine **in_lines;
    IrqLine **out_lines;
    int sink_level[4];
    int sink_calls;
    GString *mmio_log;
    uint32_t mmio_reg;
    int timer_fired;
    Timer *timer;
    MemoryRegion *regions[3];
} Board;

static void board_sink(void *opaque, int n, int level)
{
    Board *b = opaque;

    b->sink_level[n] = level;
    b->sink_calls++;
}

static uint64_t mmio_read(void *opaque, uint64_t offset, unsigned size)
{
    Board *b = opaque;

    g_string_append_printf(b->mmio_log, "r%u@%" G_GINT64_MODIFIER "x;", size, offset);
    return b->mmio_reg;
}

static void mmio_write(void *opaque, uint64_t offset, uint64_t value, unsigned size)
{
    Board *b = opaque;

    g_string_append_printf(b->mmio_log, "w%u@%" G_GINT64_MODIFIER "x=%" G_GINT64_MODIFIER "x;", size,
                           offset, value);
    b->mmio_reg = value;
}

static const RegionOps mmio_ops = {
    .read = mmio_read,
    .write = mmio_write,
    .valid = { .min = 1, .max = 4 },
};

static void board_timer(void *opaque)
{
    Board *b = opaque;
    b->timer_fired++;
}

static Board *board_new(void)
{
    Board *b = g_new0(Board, 1);
    GError *err = NULL;

    b->m = machine_new(1ull << 32);
    b->mmio_log = g_string_new(NULL);
    b->regions[0] = mr_new_ram("ram", 0x10000, NULL);
    b->regions[1] = mr_new_io("mmio", 0x1000, &mmio_ops, b);
    b->regions[2] = mr_new_io("pio", 4, &mmio_ops, b);
    mr_add_subregion(as_root(b->m->mem), 0, b->regions[0], 0);
    mr_add_subregion(as_root(b->m->mem), 0xfee00000, b->regions[1], 0);
    mr_add_subregion(as_root(b->m->io), 0x70, b->regions[2], 0);
    b->in_lines = irq_new_array(board_sink, b, 4);
    b->out_lines = irq_new_array(board_sink, b, 1);
    machine_add_irq_in(b->m, "ioapic", b->in_lines, 4);
    machine_add_irq_out(b->m, "pic", b->out_lines, 1);
    b->chr = chardev_new_from_opts("ringbuf,id=qtest-unit,size=65536", &err);
    g_assert_no_error(err);
    b->s = qtest_attach_machine_chr(b->m, b->chr, &err);
    g_assert_no_error(err);
    g_assert_nonnull(b->s);
    g_assert_true(clock_is_manual());
    b->timer = timer_new(CLOCK_VIRTUAL, board_timer, b);
    return b;
}

static void board_free(Board *b)
{
    timer_free(b->timer);
    if (b->s) {
        qtest_detach_machine(b->s);
    }
    chardev_free(b->chr);
    /* The regions are owned by the test; the machine frees the spaces. */
    for (int i = 0; i < 3; i++) {
        mr_free(b->regions[i]);
    }
    machine_free(b->m);
    irq_free_array(b->in_lines, 4);
    irq_free_array(b->out_lines, 1);
    g_string_free(b->mmio_log, true);
    g_free(b);
}

static char *board_cmd(Board *b, const char *text)
{
    uint8_t buf[65536];
    size_t n;

    g_assert_cmpuint(chardev_inject_input(b->chr, (const uint8_t *)text, strlen(text)), ==, strlen(text));
    n = chardev_ringbuf_read(b->chr, buf, sizeof(buf));
    return g_strndup((const char *)buf, n);
}

#define BCHECK(b, in, want) do {                     \
        g_autofree char *got_ = board_cmd((b), (in)); \
        g_assert_cmpstr(got_, ==, (want));           \
    } while (0)

static void test_machine_access(void)
{
    Board *b = board_new();

    /* RAM through every width */
    BCHECK(b, "writeq 0x100 0x0102030405060708\n", "OK\n");
    BCHECK(b, "readq 0x100\n", "OK 0x0102030405060708\n");
    BCHECK(b, "read 0x100 3\n", "OK 0x080706\n");
    BCHECK(b, "b64write 0x200 3 AQID\n", "OK\n");
    BCHECK(b, "readl 0x200\n", "OK 0x0000000000030201\n");
    BCHECK(b, "memset 0x300 0x1000 0xab\n", "OK\n");
    BCHECK(b, "readw 0x12fe\n", "OK 0x000000000000abab\n");
    BCHECK(b, "readw 0x12ff\n", "OK 0x00000000000000ab\n");
    /* a scalar MMIO access is one access of its width */
    BCHECK(b, "writel 0xfee00030 0x12345678\n", "OK\n");
    BCHECK(b, "readl 0xfee00030\n", "OK 0x0000000012345678\n");
    BCHECK(b, "readw 0xfee00030\n", "OK 0x0000000000005678\n");
    g_assert_cmpstr(b->mmio_log->str, ==, "w4@30=12345678;r4@30;r2@30;");
    g_string_truncate(b->mmio_log, 0);
    /* ports */
    BCHECK(b, "outw 0x70 0xbeef\n", "OK\n");
    BCHECK(b, "inb 0x71\n", "OK 0x00ef\n");
    g_assert_cmpstr(b->mmio_log->str, ==, "w2@0=beef;r1@1;");
    /* unassigned ports and memory read all-ones */
    BCHECK(b, "inl 0x1234\n", "OK 0xffffffff\n");
    BCHECK(b, "inw 0x74\n", "OK 0xffff\n");
    BCHECK(b, "readq 0x80000000\n", "OK 0xffffffffffffffff\n");
    /* past the end of the memory space: defined, not a crash */
    BCHECK(b, "readb 0xffffffffffffffff\n", "OK 0x00000000000000ff\n");
    BCHECK(b, "writeb 0xffffffffffffffff 1\n", "OK\n");
    BCHECK(b, "read 0xfffffffffffffff0 16\n", "OK 0xffffffffffffffffffffffffffffffff\n");
    board_free(b);
}

static void test_machine_clock(void)
{
    Board *b = board_new();
    int64_t t0 = clock_get_ns(CLOCK_VIRTUAL);
    g_autofree char *want = NULL;
    g_autofree char *got = NULL;

    /* Nothing armed: clock_step with no argument fails. */
    BCHECK(b, "clock_step\n",
           "FAIL cannot advance clock to the next deadline because there is no pending deadline\n");
    timer_mod(b->timer, t0 + 12345);
    want = g_strdup_printf("OK %" G_GINT64_FORMAT "\n", t0 + 12345);
    got = board_cmd(b, "clock_step\n");
    g_assert_cmpstr(got, ==, want);
    g_assert_cmpint(b->timer_fired, ==, 1);
    g_assert_cmpint(clock_get_ns(CLOCK_VIRTUAL), ==, t0 + 12345);

    /* A step fires what falls inside it and lands exactly. */
    timer_mod(b->timer, t0 + 20000);
    g_free(got);
    got = board_cmd(b, "clock_step 10000\n");
    g_free(want);
    want = g_strdup_printf("OK %" G_GINT64_FORMAT "\n", t0 + 22345);
    g_assert_cmpstr(got, ==, want);
    g_assert_cmpint(b->timer_fired, ==, 2);

    g_free(got);
    got = board_cmd(b, "clock_set 0\n");
    g_free(want);
    want = g_strdup_printf("FAIL %" G_GINT64_FORMAT "\n", t0 + 22345);
    g_assert_cmpstr(got, ==, want);

    /* A huge step saturates instead of wrapping. */
    g_free(got);
    got = board_cmd(b, "clock_step 0x7fffffffffffffff\n");
    g_assert_cmpstr(got, ==, "OK 9223372036854775807\n");
    board_free(b);
}

static void test_machine_irq(void)
{
    Board *b = board_new();

    BCHECK(b, "irq_intercept_in /machine/nowhere\n", "FAIL Unknown device\n");
    BCHECK(b, "irq_intercept_in /machine/i440fx/ioapic\n", "OK\n");
    BCHECK(b, "irq_intercept_in ioapic\n", "OK\n");
    BCHECK(b, "irq_intercept_out pic\n", "FAIL IRQ intercept already enabled\n");

    /* set_irq_in: reported, and still delivered to the original sink */
    BCHECK(b, "set_irq_in /machine/ioapic unnamed-gpio-in 2 1\n", "IRQ raise 2\nOK\n");
    g_assert_cmpint(b->sink_level[2], ==, 1);
    BCHECK(b, "set_irq_in ioapic unnamed-gpio-in 2 1\n", "OK\n");
    BCHECK(b, "set_irq_in ioapic unnamed-gpio-in 4 1\n", "FAIL ioapic has 4 input lines; no line 4\n");
    BCHECK(b, "set_irq_in nowhere unnamed-gpio-in 1 1\n", "FAIL Unknown device\n");
    /* a named list may be a group of its own */
    BCHECK(b, "set_irq_in /machine/soc ioapic 1 1\n", "IRQ raise 1\nOK\n");

    /* a device raising a line is reported asynchronously */
    irq_set(b->in_lines[3], 1);
    {
        uint8_t buf[64];
        size_t n = chardev_ringbuf_read(b->chr, buf, sizeof(buf));
        g_autofree char *s = g_strndup((char *)buf, n);
        g_assert_cmpstr(s, ==, "IRQ raise 3\n");
    }
    irq_pulse(b->in_lines[0]);
    {
        uint8_t buf[64];
        size_t n = chardev_ringbuf_read(b->chr, buf, sizeof(buf));
        g_autofree char *s = g_strndup((char *)buf, n);
        g_assert_cmpstr(s, ==, "IRQ raise 0\nIRQ lower 0\n");
    }
    g_assert_cmpint(b->sink_level[3], ==, 1);

    /* detach restores the original sinks and says nothing more */
    qtest_detach_machine(b->s);
    b->s = NULL;
    b->sink_calls = 0;
    irq_set(b->in_lines[3], 0);
    g_assert_cmpint(b->sink_calls, ==, 1);
    g_assert_cmpint(b->sink_level[3], ==, 0);
    {
        uint8_t buf[64];
        g_assert_cmpuint(chardev_ringbuf_read(b->chr, buf, sizeof(buf)), ==, 0);
    }
    board_free(b);
}

static void test_machine_out_intercept(void)
{
    Board *b = board_new();

    BCHECK(b, "irq_intercept_out /machine/i440fx/pic\n", "OK\n");
    irq_set(b->out_lines[0], 1);
    {
        uint8_t buf[64];
        size_t n = chardev_ringbuf_read(b->chr, buf, sizeof(buf));
        g_autofree char *s = g_strndup((char *)buf, n);
        g_assert_cmpstr(s, ==, "IRQ raise 0\n");
    }
    g_assert_cmpint(b->sink_level[0], ==, 1);
    board_free(b);
}

/* The client of the slow-reader test: dozes, then reads until the second reply. */
typedef struct SlowClient {
    int fd;
    GString *got;
    gint done;
} SlowClient;

static gpointer slow_client_thread(gpointer opaque)
{
    SlowClient *c = opaque;
    gint64 deadline;

    g_usleep(600 * 1000);   /* well past the chardev's 200 ms stall limit */
    deadline = g_get_monotonic_time() + 30 * G_USEC_PER_SEC;
    while (g_get_monotonic_time() < deadline && !g_str_has_suffix(c->got->str, "OK little\n")) {
        char buf[65536];
        ssize_t n = recv(c->fd, buf, sizeof(buf), 0);

        if (n <= 0) {
            break;
        }
        g_string_append_len(c->got, buf, n);
    }
    g_atomic_int_set(&c->done, 1);
    return NULL;
}

/*
 * A reply far bigger than the chardev's queue, to a client that does not
 * read for a while: it still arrives whole, and the next command's reply
 * comes after it.
 */
static void test_machine_slow_reader(void)
{
    enum { READ_LEN = 4 << 20 };
    g_autofree char *dir = g_dir_make_tmp("qtest-slow-XXXXXX", NULL);
    g_autofree char *path = g_build_filename(dir, "sock", NULL);
    g_autofree char *opts = g_strdup_printf("socket,id=qtest-slow,path=%s,server=on,wait=off", path);
    static const char cmds[] = "read 0 0x400000\nendianness\n";
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    GError *err = NULL;
    SlowClient c = { .got = g_string_new(NULL) };
    Machine *m = machine_new(1ull << 32);
    Chardev *chr;
    QTestServer *s;
    GThread *thread;
    gint64 deadline;

    mainloop_init();
    chr = chardev_new_from_opts(opts, &err);
    g_assert_no_error(err);
    s = qtest_attach_machine_chr(m, chr, &err);
    g_assert_no_error(err);

    c.fd = socket(AF_UNIX, SOCK_STREAM, 0);
    g_assert_cmpint(c.fd, >=, 0);
    g_strlcpy(sa.sun_path, path, sizeof(sa.sun_path));
    g_assert_cmpint(connect(c.fd, (struct sockaddr *)&sa, sizeof(sa)), ==, 0);
    g_assert_cmpint(send(c.fd, cmds, strlen(cmds), 0), ==, (ssize_t)strlen(cmds));
    thread = g_thread_new("slow-client", slow_client_thread, &c);

    deadline = g_get_monotonic_time() + 40 * G_USEC_PER_SEC;
    while (!g_atomic_int_get(&c.done) && g_get_monotonic_time() < deadline) {
        mainloop_iterate(false);
        g_usleep(500);
    }
    g_thread_join(thread);
    g_assert_cmpuint(c.got->len, ==, 5 + 2 * READ_LEN + 1 + strlen("OK little\n"));
    g_assert_true(g_str_has_prefix(c.got->str, "OK 0xffffffff"));
    g_assert_cmpint(c.got->str[5 + 2 * READ_LEN], ==, '\n');
    g_assert_cmpuint(strspn(c.got->str + 5, "f"), ==, 2 * READ_LEN);

    close(c.fd);
    qtest_detach_machine(s);
    chardev_free(chr);
    machine_free(m);
    g_string_free(c.got, true);
    g_unlink(path);
    g_rmdir(dir);
}

static void test_attach_errors(void)
{
    Machine *m = machine_new(1ull << 32);
    GError *err = NULL;

    g_assert_null(qtest_attach_machine(m, "chardev:no-such-chardev", NULL, &err));
    g_assert_nonnull(err);
    g_assert_nonnull(strstr(err->message, "no-such-chardev"));
    g_clear_error(&err);
    g_assert_null(qtest_attach_machine(m, "bogus-backend:x", NULL, &err));
    g_assert_nonnull(err);
    g_clear_error(&err);
    g_assert_null(qtest_attach_machine(m, "null", "/no/such/dir/qtest.log", &err));
    g_assert_nonnull(err);
    g_clear_error(&err);
    /* the failed attach released its chardev: the id is free again */
    {
        QTestServer *s = qtest_attach_machine(m, "null", NULL, &err);
        g_assert_no_error(err);
        g_assert_nonnull(s);
        qtest_detach_machine(s);
    }
    machine_free(m);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/qtest-parse/reply-formats", test_reply_formats);
    g_test_add_func("/qtest-parse/write-data-rules", test_write_data_rules);
    g_test_add_func("/qtest-parse/malformed", test_malformed);
    g_test_add_func("/qtest-parse/blanks-and-crlf", test_blanks_and_crlf);
    g_test_add_func("/qtest-parse/split-input", test_split_input);
    g_test_add_func("/qtest-parse/overlong-line", test_overlong_line);
    g_test_add_func("/qtest-parse/clock", test_clock);
    g_test_add_func("/qtest-parse/missing-ops", test_missing_ops);
    g_test_add_func("/qtest-parse/irq-lines", test_irq_lines);
    g_test_add_func("/qtest-parse/log", test_log);
    g_test_add_func("/qtest-parse/garbage", test_garbage);
    g_test_add_func("/qtest-machine/access", test_machine_access);
    g_test_add_func("/qtest-machine/clock", test_machine_clock);
    g_test_add_func("/qtest-machine/irq", test_machine_irq);
    g_test_add_func("/qtest-machine/out-intercept", test_machine_out_intercept);
    g_test_add_func("/qtest-machine/attach-errors", test_attach_errors);
    g_test_add_func("/qtest-machine/slow-reader", test_machine_slow_reader);
    return g_test_run();
}
