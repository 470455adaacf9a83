/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The qtest protocol server (see qtest.h for the contract).
 *
 * Input is buffered until a newline; each line is split on blanks into
 * words and dispatched through a command table.  Every line gets exactly
 * one reply line, whatever it holds, so a client never waits forever:
 *   OK [value]   done
 *   FAIL why     understood but refused (QEMU's wording where QEMU has one)
 *   ERR why      malformed: missing/non-number argument, range wraps,
 *                size over QTEST_MAX_XFER, line over QTEST_MAX_LINE
 * Where QEMU asserts on bad input (it trusts its test client) we answer ERR
 * and carry on: the client here may be a fuzzer.
 *
 * Reply formats follow QEMU's system/qtest.c: "in*" answer "OK 0x%04x",
 * "read[bwlq]" answer "OK 0x%016x" (64-bit), "read" answers "OK 0x" and two
 * hex digits per byte, "b64read" "OK " and base64, clocks "OK <ns>".
 */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>
#include <glib/gprintf.h>

#include "hw/core/clock.h"
#include "hw/core/irq.h"
#include "hw/core/log.h"
#include "hw/core/machine.h"
#include "hw/core/memory.h"
#include "standalone/qtest.h"
#include "ui/chardev.h"

/*
 * Replies go to the chardev in pieces no larger than this: the chardev
 * queues at most 1 MiB for a slow peer, and one write bigger than that
 * could never fit.
 */
#define QTEST_SEND_CHUNK (256u << 10)
/*
 * A client slower than the chardev's queue (a big reply, a reader that
 * dozes) leaves the rest of the reply here; it is retried this often, and
 * no new command is read until it is all out, so replies stay in order.
 */
#define QTEST_RETRY_MS 2
/* memset writes through a bounded buffer, never one of the full size. */
#define QTEST_MEMSET_CHUNK (64u << 10)
/* How much of a client's word is quoted back in an error reply. */
#define QTEST_QUOTE_MAX 48

struct QTestServer {
    const QTestOps *ops;
    void *opaque;
    Chardev *chr;               /* NULL for a custom-output server */
    QTestSendFn send;
    void *send_opaque;
    GString *inbuf;             /* the partial line received so far */
    GByteArray *pending;        /* output the chardev could not take yet */
    guint retry_src;            /* GSource id pushing `pending` */
    bool discarding;            /* an overlong line was answered; drop input up to its newline */
    int irq_levels[QTEST_MAX_IRQ];
    FILE *log;
    bool log_is_stdio;
    GTimer *timer;              /* log timestamps, restarted on each client open */
    /* The machine binding's state, released with the server. */
    void *binding;
    void (*binding_free)(void *binding);
};

/* ---- output -------------------------------------------------------------- */

/* Hand bytes to the chardev; returns how many it took (all, unless its queue is full). */
static size_t push_to_chr(QTestServer *s, const uint8_t *buf, size_t len)
{
    size_t done = 0;

    while (done < len) {
        size_t piece = MIN(len - done, (size_t)QTEST_SEND_CHUNK);
        ssize_t n = chardev_write(s->chr, buf + done, piece);

        if (n < 0) {
            /* The backend failed for good (it says so on stderr): nothing more will get out. */
            return len;
        }
        done += n;
        if ((size_t)n < piece) {
            break;
        }
    }
    return done;
}

static void drop_pending(QTestServer *s)
{
    g_byte_array_set_size(s->pending, 0);
    if (s->retry_src) {
        g_source_remove(s->retry_src);
        s->retry_src = 0;
        chardev_accept_input(s->chr);
    }
}

static gboolean retry_output(gpointer opaque)
{
    QTestServer *s = opaque;

    if (chardev_connected(s->chr)) {
        size_t done = push_to_chr(s, s->pending->data, s->pending->len);
        g_byte_array_remove_range(s->pending, 0, done);
    } else {
        /* The client went away; its replies go with it. */
        g_byte_array_set_size(s->pending, 0);
    }
    if (s->pending->len > 0) {
        return G_SOURCE_CONTINUE;
    }
    s->retry_src = 0;
    chardev_accept_input(s->chr);
    return G_SOURCE_REMOVE;
}

static void qtest_write(QTestServer *s, const char *buf, size_t len)
{
    if (s->log) {
        fprintf(s->log, "[S +%.6f] %.*s", g_timer_elapsed(s->timer, NULL), (int)MIN(len, (size_t)INT_MAX), buf);
        fflush(s->log);
    }
    if (s->send) {
        s->send(s->send_opaque, buf, len);
        return;
    }
    if (s->pending->len == 0) {
        size_t done = push_to_chr(s, (const uint8_t *)buf, len);
        buf += done;
        len -= done;
    }
    if (len > 0) {
        g_byte_array_append(s->pending, (const uint8_t *)buf, len);
        if (!s->retry_src) {
            s->retry_src = g_timeout_add(QTEST_RETRY_MS, retry_output, s);
        }
    }
}

static void G_GNUC_PRINTF(2, 3) qtest_sendf(QTestServer *s, const char *fmt, ...)
{
    va_list ap;
    char *line;
    int len;

    va_start(ap, fmt);
    len = g_vasprintf(&line, fmt, ap);
    va_end(ap);
    if (len > 0) {
        qtest_write(s, line, len);
    }
    g_free(line);
}

/* A client word fit to quote in a reply: bounded, printable, on one line. */
static char *quote_word(const char *word)
{
    size_t len = strlen(word);
    bool cut = len > QTEST_QUOTE_MAX;
    GString *q = g_string_sized_new(QTEST_QUOTE_MAX + 4);

    for (size_t i = 0; i < MIN(len, (size_t)QTEST_QUOTE_MAX); i++) {
        unsigned char c = word[i];
        g_string_append_c(q, g_ascii_isprint(c) ? (char)c : '?');
    }
    if (cut) {
        g_string_append(q, "...");
    }
    return g_string_free(q, false);
}

#define reply_ok(s) qtest_write((s), "OK\n", 3)
#define reply_err(s, ...) qtest_sendf((s), "ERR " __VA_ARGS__)

static void reply_unknown(QTestServer *s, const char *cmd)
{
    g_autofree char *q = quote_word(cmd);
    qtest_sendf(s, "FAIL Unknown command '%s'\n", q);
}

/* ---- argument parsing ------------------------------------------------------- */

/* strtoull with base 0 (QEMU's rule: 0x.. hex, 0.. octal, else decimal), whole word, no sign. */
static bool parse_u64(const char *str, uint64_t *out)
{
    unsigned long long v;
    char *end;

    if (!str || !g_ascii_isdigit(str[0])) {
        return false;
    }
    errno = 0;
    v = strtoull(str, &end, 0);
    if (errno != 0 || *end != '\0') {
        return false;
    }
    *out = v;
    return true;
}

static bool parse_i64(const char *str, int64_t *out)
{
    long long v;
    char *end;

    if (!str || !(g_ascii_isdigit(str[0]) || (str[0] == '-' && g_ascii_isdigit(str[1])))) {
        return false;
    }
    errno = 0;
    v = strtoll(str, &end, 0);
    if (errno != 0 || *end != '\0') {
        return false;
    }
    *out = v;
    return true;
}

/* Always false, so an argument parser can end in "|| reply_not_a_number(...)". */
static bool reply_not_a_number(QTestServer *s, const char *cmd, const char *what, const char *str)
{
    g_autofree char *q = quote_word(str);

    reply_err(s, "%s: %s is not a number: '%s'\n", cmd, what, q);
    return false;
}

static bool arg_u64(QTestServer *s, const char *cmd, const char *what, const char *str, uint64_t *out)
{
    return parse_u64(str, out) || reply_not_a_number(s, cmd, what, str);
}

static bool arg_i64(QTestServer *s, const char *cmd, const char *what, const char *str, int64_t *out)
{
    return parse_i64(str, out) || reply_not_a_number(s, cmd, what, str);
}

static bool arg_int(QTestServer *s, const char *cmd, const char *what, const char *str, int *out)
{
    int64_t v;

    if (!arg_i64(s, cmd, what, str, &v)) {
        return false;
    }
    if (v < INT_MIN || v > INT_MAX) {
        reply_err(s, "%s: %s out of range: %" PRIi64 "\n", cmd, what, v);
        return false;
    }
    *out = (int)v;
    return true;
}

/* [addr, addr + len) must not wrap past 2^64. */
static bool check_range(QTestServer *s, const char *cmd, uint64_t addr, uint64_t len)
{
    if (len > 0 && addr + (len - 1) < addr) {
        reply_err(s, "%s: 0x%" PRIx64 " + 0x%" PRIx64 " wraps past the end of the address space\n",
                  cmd, addr, len);
        return false;
    }
    return true;
}

static bool check_size(QTestServer *s, const char *cmd, uint64_t len)
{
    if (len > QTEST_MAX_XFER) {
        reply_err(s, "%s: size 0x%" PRIx64 " is over the limit of 0x%x bytes\n", cmd, len,
                  QTEST_MAX_XFER);
        return false;
    }
    return true;
}

/* A bulk transfer: SIZE within the limit and [ADDR, ADDR + SIZE) not wrapping. */
static bool check_xfer(QTestServer *s, const char *cmd, uint64_t addr, uint64_t len)
{
    return check_size(s, cmd, len) && check_range(s, cmd, addr, len);
}

/* The "ADDR SIZE" that read, write, b64read and b64write start with. */
static bool arg_mem_range(QTestServer *s, const char *cmd, char **args, uint64_t *addr,
                          uint64_t *len)
{
    return arg_u64(s, cmd, "address", args[0], addr) && arg_u64(s, cmd, "size", args[1], len) &&
           check_xfer(s, cmd, *addr, *len);
}

static int hex_nibble(char c)
{
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'F') {
        return c - 'A' + 10;
    }
    return -1;
}

static bool is_base64_char(char c)
{
    return g_ascii_isalnum(c) || c == '+' || c == '/' || c == '=';
}

/* ---- commands ------------------------------------------------------------- */

typedef struct QTestCommand {
    const char *name;
    int min_args;               /* words after the command name */
    unsigned width;             /* access width for the scalar commands */
    void (*run)(QTestServer *s, const struct QTestCommand *c, char **args, int nargs);
} QTestCommand;

/* An in/out access of c->width bytes at port must lie in the 64 KiB I/O space. */
static bool check_port(QTestServer *s, const QTestCommand *c, uint64_t port)
{
    if (port > 0xffff || port + c->width > 0x10000) {
        reply_err(s, "%s: port 0x%" PRIx64 " is outside 0-0xffff\n", c->name, port);
        return false;
    }
    return true;
}

static void cmd_out(QTestServer *s, const QTestCommand *c, char **args, int nargs)
{
    uint64_t port, value;

    if (!s->ops->pio_write) {
        reply_unknown(s, c->name);
        return;
    }
    if (!arg_u64(s, c->name, "port", args[0], &port) ||
        !arg_u64(s, c->name, "value", args[1], &value)) {
        return;
    }
    if (!check_port(s, c, port)) {
        return;
    }
    /* Like QEMU, a value wider than the access is truncated to it. */
    s->ops->pio_write(s->opaque, port, c->width, (uint32_t)value);
    reply_ok(s);
}

static void cmd_in(QTestServer *s, const QTestCommand *c, char **args, int nargs)
{
    uint64_t port;
    uint32_t value = UINT32_MAX;

    if (!s->ops->pio_read) {
        reply_unknown(s, c->name);
        return;
    }
    if (!arg_u64(s, c->name, "port", args[0], &port)) {
        return;
    }
    if (!check_port(s, c, port)) {
        return;
    }
    s->ops->pio_read(s->opaque, port, c->width, &value);
    if (c->width < 4) {
        value &= (1u << (8 * c->width)) - 1;
    }
    qtest_sendf(s, "OK 0x%04x\n", value);
}

static void cmd_write_scalar(QTestServer *s, const QTestCommand *c, char **args, int nargs)
{
    uint64_t addr, value;
    uint8_t buf[8];

    if (!s->ops->mem_write) {
        reply_unknown(s, c->name);
        return;
    }
    if (!arg_u64(s, c->name, "address", args[0], &addr) ||
        !arg_u64(s, c->name, "value", args[1], &value) ||
        !check_range(s, c->name, addr, c->width)) {
        return;
    }
    for (unsigned i = 0; i < c->width; i++) {
        buf[i] = value >> (8 * i);
    }
    s->ops->mem_write(s->opaque, addr, buf, c->width);
    reply_ok(s);
}

static void cmd_read_scalar(QTestServer *s, const QTestCommand *c, char **args, int nargs)
{
    uint64_t addr, value = 0;
    uint8_t buf[8];

    if (!s->ops->mem_read) {
        reply_unknown(s, c->name);
        return;
    }
    if (!arg_u64(s, c->name, "address", args[0], &addr) ||
        !check_range(s, c->name, addr, c->width)) {
        return;
    }
    memset(buf, 0xff, sizeof(buf));
    s->ops->mem_read(s->opaque, addr, buf, c->width);
    for (unsigned i = 0; i < c->width; i++) {
        value |= (uint64_t)buf[i] << (8 * i);
    }
    qtest_sendf(s, "OK 0x%016" PRIx64 "\n", value);
}

/* "read ADDR SIZE" -> "OK 0x" + two hex digits per byte, in address order. */
static void cmd_read(QTestServer *s, const QTestCommand *c, char **args, int nargs)
{
    static const char digits[] = "0123456789abcdef";
    uint64_t addr, len;
    uint8_t *data;
    char *reply, *p;

    if (!s->ops->mem_read) {
        reply_unknown(s, c->name);
        return;
    }
    if (!arg_mem_range(s, c->name, args, &addr, &len)) {
        return;
    }
    if (len == 0) {
        /* QEMU asserts here: an empty "OK 0x" would not parse as data. */
        reply_err(s, "%s: size must not be 0\n", c->name);
        return;
    }
    data = g_malloc(len);
    memset(data, 0xff, len);
    s->ops->mem_read(s->opaque, addr, data, len);
    reply = g_malloc(len * 2 + 7);
    p = reply;
    memcpy(p, "OK 0x", 5);
    p += 5;
    for (uint64_t i = 0; i < len; i++) {
        *p++ = digits[data[i] >> 4];
        *p++ = digits[data[i] & 0xf];
    }
    *p++ = '\n';
    qtest_write(s, reply, p - reply);
    g_free(reply);
    g_free(data);
}

/*
 * "write ADDR SIZE 0xDATA": DATA is hex, two digits per byte; shorter than
 * SIZE is zero-filled at the end, longer is cut (QEMU's rule).
 */
static void cmd_write(QTestServer *s, const QTestCommand *c, char **args, int nargs)
{
    uint64_t addr, len;
    const char *hex = args[2];
    size_t hex_len = strlen(hex);
    size_t have;
    uint8_t *data;

    if (!s->ops->mem_write) {
        reply_unknown(s, c->name);
        return;
    }
    if (!arg_mem_range(s, c->name, args, &addr, &len)) {
        return;
    }
    if (hex_len < 3) {
        reply_err(s, "invalid argument size\n");
        return;
    }
    if (hex[0] != '0' || (hex[1] != 'x' && hex[1] != 'X') || (hex_len - 2) % 2 != 0) {
        reply_err(s, "%s: data must be 0x followed by two hex digits per byte\n", c->name);
        return;
    }
    for (size_t i = 2; i < hex_len; i++) {
        if (hex_nibble(hex[i]) < 0) {
            reply_err(s, "%s: '%c' is not a hex digit\n", c->name, g_ascii_isprint(hex[i]) ? hex[i] : '?');
            return;
        }
    }
    have = MIN((hex_len - 2) / 2, len);
    data = g_malloc0(len ? len : 1);
    for (size_t i = 0; i < have; i++) {
        data[i] = hex_nibble(hex[2 + 2 * i]) << 4 | hex_nibble(hex[3 + 2 * i]);
    }
    if (len > 0) {
        s->ops->mem_write(s->opaque, addr, data, len);
    }
    g_free(data);
    reply_ok(s);
}

static void cmd_b64read(QTestServer *s, const QTestCommand *c, char **args, int nargs)
{
    uint64_t addr, len;
    uint8_t *data;
    char *enc;

    if (!s->ops->mem_read) {
        reply_unknown(s, c->name);
        return;
    }
    if (!arg_mem_range(s, c->name, args, &addr, &len)) {
        return;
    }
    data = g_malloc(len ? len : 1);
    memset(data, 0xff, len);
    if (len > 0) {
        s->ops->mem_read(s->opaque, addr, data, len);
    }
    enc = g_base64_encode(data, len);
    qtest_sendf(s, "OK %s\n", enc);
    g_free(enc);
    g_free(data);
}

/*
 * "b64write ADDR SIZE DATA": a decoded length different from SIZE is
 * logged and the write cut to the shorter of the two (QEMU documents
 * "truncated").
 */
static void cmd_b64write(QTestServer *s, const QTestCommand *c, char **args, int nargs)
{
    uint64_t addr, len;
    const char *b64 = args[2];
    size_t b64_len = strlen(b64);
    gsize out_len = 0;
    guchar *data;

    if (!s->ops->mem_write) {
        reply_unknown(s, c->name);
        return;
    }
    if (!arg_mem_range(s, c->name, args, &addr, &len)) {
        return;
    }
    if (b64_len < 3) {
        reply_err(s, "invalid argument size\n");
        return;
    }
    for (size_t i = 0; i < b64_len; i++) {
        if (!is_base64_char(b64[i])) {
            reply_err(s, "%s: '%c' is not a base64 character\n", c->name,
                      g_ascii_isprint(b64[i]) ? b64[i] : '?');
            return;
        }
    }
    data = g_base64_decode(b64, &out_len);
    if (out_len != len && s->log) {
        fprintf(s->log, "[S +%.6f] b64write: data length mismatch (told %" PRIu64 ", found %zu)\n",
                g_timer_elapsed(s->timer, NULL), len, (size_t)out_len);
    }
    if (MIN(out_len, len) > 0) {
        s->ops->mem_write(s->opaque, addr, data, MIN(out_len, len));
    }
    g_free(data);
    reply_ok(s);
}

static void cmd_memset(QTestServer *s, const QTestCommand *c, char **args, int nargs)
{
    uint64_t addr, len, pattern;
    uint8_t *chunk;

    if (!s->ops->mem_write) {
        reply_unknown(s, c->name);
        return;
    }
    if (!arg_u64(s, c->name, "address", args[0], &addr) ||
        !arg_u64(s, c->name, "size", args[1], &len) ||
        !arg_u64(s, c->name, "value", args[2], &pattern) ||
        !check_xfer(s, c->name, addr, len)) {
        return;
    }
    chunk = g_malloc(MIN(len, (uint64_t)QTEST_MEMSET_CHUNK) + 1);
    memset(chunk, (uint8_t)pattern, MIN(len, (uint64_t)QTEST_MEMSET_CHUNK));
    for (uint64_t done = 0; done < len;) {
        size_t piece = MIN(len - done, (uint64_t)QTEST_MEMSET_CHUNK);
        s->ops->mem_write(s->opaque, addr + done, chunk, piece);
        done += piece;
    }
    g_free(chunk);
    reply_ok(s);
}

static void cmd_endianness(QTestServer *s, const QTestCommand *c, char **args, int nargs)
{
    qtest_sendf(s, "OK little\n");
}

static void cmd_clock_step(QTestServer *s, const QTestCommand *c, char **args, int nargs)
{
    int64_t ns = -1, now;

    if (!s->ops->clock_step) {
        reply_unknown(s, c->name);
        return;
    }
    if (nargs >= 1) {
        if (!arg_i64(s, c->name, "step", args[0], &ns)) {
            return;
        }
        if (ns < 0) {
            reply_err(s, "%s: the step must not be negative\n", c->name);
            return;
        }
    }
    now = s->ops->clock_step(s->opaque, ns);
    if (now < 0) {
        qtest_sendf(s, "FAIL cannot advance clock to the next deadline because there is no "
                       "pending deadline\n");
        return;
    }
    qtest_sendf(s, "OK %" PRIi64 "\n", now);
}

static void cmd_clock_set(QTestServer *s, const QTestCommand *c, char **args, int nargs)
{
    int64_t ns, now;

    if (!s->ops->clock_set) {
        reply_unknown(s, c->name);
        return;
    }
    if (!arg_i64(s, c->name, "time", args[0], &ns)) {
        return;
    }
    /* The clock never goes back: asking for the past answers FAIL and the current time. */
    now = s->ops->clock_set(s->opaque, ns);
    qtest_sendf(s, "%s %" PRIi64 "\n", now == ns ? "OK" : "FAIL", now);
}

static void reply_gerror(QTestServer *s, GError *err, const char *fallback)
{
    qtest_sendf(s, "FAIL %s\n", err ? err->message : fallback);
    g_clear_error(&err);
}

static void cmd_irq_intercept(QTestServer *s, const QTestCommand *c, char **args, int nargs)
{
    bool in = c->width == 1;
    GError *err = NULL;

    if (!s->ops->irq_intercept) {
        reply_unknown(s, c->name);
        return;
    }
    if (in && nargs >= 2) {
        qtest_sendf(s, "FAIL Interception of named in-GPIOs not yet supported\n");
        return;
    }
    if (!s->ops->irq_intercept(s->opaque, in, args[0], &err)) {
        reply_gerror(s, err, "No intercepts installed");
        return;
    }
    reply_ok(s);
}

static void cmd_set_irq_in(QTestServer *s, const QTestCommand *c, char **args, int nargs)
{
    GError *err = NULL;
    int n, level;

    if (!s->ops->set_irq_in) {
        reply_unknown(s, c->name);
        return;
    }
    if (!arg_int(s, c->name, "irq number", args[2], &n) ||
        !arg_int(s, c->name, "level", args[3], &level)) {
        return;
    }
    if (n < 0) {
        reply_err(s, "%s: irq number must not be negative\n", c->name);
        return;
    }
    if (!s->ops->set_irq_in(s->opaque, args[0], args[1], n, level, &err)) {
        reply_gerror(s, err, "Unknown device");
        return;
    }
    reply_ok(s);
}

static const QTestCommand qtest_commands[] = {
    { "outb", 2, 1, cmd_out },
    { "outw", 2, 2, cmd_out },
    { "outl", 2, 4, cmd_out },
    { "inb", 1, 1, cmd_in },
    { "inw", 1, 2, cmd_in },
    { "inl", 1, 4, cmd_in },
    { "writeb", 2, 1, cmd_write_scalar },
    { "writew", 2, 2, cmd_write_scalar },
    { "writel", 2, 4, cmd_write_scalar },
    { "writeq", 2, 8, cmd_write_scalar },
    { "readb", 1, 1, cmd_read_scalar },
    { "readw", 1, 2, cmd_read_scalar },
    { "readl", 1, 4, cmd_read_scalar },
    { "readq", 1, 8, cmd_read_scalar },
    { "read", 2, 0, cmd_read },
    { "write", 3, 0, cmd_write },
    { "b64read", 2, 0, cmd_b64read },
    { "b64write", 3, 0, cmd_b64write },
    { "memset", 3, 0, cmd_memset },
    { "endianness", 0, 0, cmd_endianness },
    { "clock_step", 0, 0, cmd_clock_step },
    { "clock_set", 1, 0, cmd_clock_set },
    { "irq_intercept_in", 1, 1, cmd_irq_intercept },
    { "irq_intercept_out", 1, 0, cmd_irq_intercept },
    { "set_irq_in", 4, 0, cmd_set_irq_in },
};

/* One complete line, newline stripped.  May hold anything the client sent. */
static void qtest_process_line(QTestServer *s, char *line, size_t len)
{
    g_auto(GStrv) words = NULL;
    int nwords = 0;

    if (len > 0 && line[len - 1] == '\r') {
        line[--len] = '\0';
    }
    if (memchr(line, '\0', len)) {
        reply_err(s, "NUL byte in command\n");
        return;
    }
    /* Blanks separate words; runs of them count as one. */
    words = g_strsplit_set(line, " \t", -1);
    for (int i = 0; words[i]; i++) {
        if (words[i][0] != '\0') {
            words[nwords++] = words[i];
        } else {
            g_free(words[i]);
        }
    }
    words[nwords] = NULL;

    if (s->log) {
        fprintf(s->log, "[R +%.6f]", g_timer_elapsed(s->timer, NULL));
        for (int i = 0; i < nwords; i++) {
            fprintf(s->log, " %s", words[i]);
        }
        fputc('\n', s->log);
        fflush(s->log);
    }

    if (nwords == 0) {
        reply_err(s, "empty command\n");
        return;
    }
    for (size_t i = 0; i < G_N_ELEMENTS(qtest_commands); i++) {
        const QTestCommand *c = &qtest_commands[i];

        if (strcmp(words[0], c->name) != 0) {
            continue;
        }
        if (nwords - 1 < c->min_args) {
            reply_err(s, "%s: expected %d argument%s, got %d\n", c->name, c->min_args,
                      c->min_args == 1 ? "" : "s", nwords - 1);
            return;
        }
        c->run(s, c, words + 1, nwords - 1);
        return;
    }
    reply_unknown(s, words[0]);
}

void qtest_server_input(QTestServer *s, const uint8_t *buf, size_t len)
{
    while (len > 0) {
        const uint8_t *nl = memchr(buf, '\n', len);
        size_t take = nl ? (size_t)(nl - buf) : len;

        if (s->discarding) {
            /* The rest of a line already answered as too long. */
            s->discarding = !nl;
        } else if (s->inbuf->len + take > QTEST_MAX_LINE) {
            g_string_truncate(s->inbuf, 0);
            reply_err(s, "line too long (over %u bytes)\n", QTEST_MAX_LINE);
            s->discarding = !nl;
        } else {
            g_string_append_len(s->inbuf, (const char *)buf, take);
            if (nl) {
                qtest_process_line(s, s->inbuf->str, s->inbuf->len);
                g_string_truncate(s->inbuf, 0);
            }
        }
        if (!nl) {
            break;
        }
        buf += take + 1;
        len -= take + 1;
    }
}

void qtest_server_irq(QTestServer *s, int n, int level)
{
    level = level != 0;
    if (n >= 0 && n < QTEST_MAX_IRQ) {
        if (s->irq_levels[n] == level) {
            return;
        }
        s->irq_levels[n] = level;
    }
    qtest_sendf(s, "IRQ %s %d\n", level ? "raise" : "lower", n);
}

void qtest_server_reset(QTestServer *s)
{
    memset(s->irq_levels, 0, sizeof(s->irq_levels));
    g_string_truncate(s->inbuf, 0);
    s->discarding = false;
    g_timer_start(s->timer);
}

/* ---- chardev glue ------------------------------------------------------------ */

/* While a reply is still queued, read no further commands. */
static size_t qtest_chr_can_read(void *opaque)
{
    QTestServer *s = opaque;

    return s->pending->len ? 0 : QTEST_MAX_LINE;
}

static void qtest_chr_read(void *opaque, const uint8_t *buf, size_t len)
{
    qtest_server_input(opaque, buf, len);
}

static void qtest_chr_event(void *opaque, ChrEvent ev)
{
    QTestServer *s = opaque;

    switch (ev) {
    case CHR_EVENT_OPENED:
        qtest_server_reset(s);
        drop_pending(s);
        if (s->log) {
            fprintf(s->log, "[I %.6f] OPENED\n", g_timer_elapsed(s->timer, NULL));
            fflush(s->log);
        }
        break;
    case CHR_EVENT_CLOSED:
        drop_pending(s);
        if (s->log) {
            fprintf(s->log, "[I +%.6f] CLOSED\n", g_timer_elapsed(s->timer, NULL));
            fflush(s->log);
        }
        break;
    }
}

static const ChardevHandlers qtest_chr_handlers = {
    .can_read = qtest_chr_can_read,
    .read = qtest_chr_read,
    .event = qtest_chr_event,
};

static QTestServer *server_alloc(const QTestOps *ops, void *opaque)
{
    QTestServer *s = g_new0(QTestServer, 1);

    s->ops = ops;
    s->opaque = opaque;
    s->inbuf = g_string_new(NULL);
    s->pending = g_byte_array_new();
    s->timer = g_timer_new();
    return s;
}

QTestServer *qtest_server_new(Chardev *chr, const QTestOps *ops, void *opaque)
{
    QTestServer *s = server_alloc(ops, opaque);

    s->chr = chr;
    /* An already connected chardev reports OPENED from inside this call. */
    chardev_set_handlers(chr, &qtest_chr_handlers, s);
    return s;
}

QTestServer *qtest_server_new_custom(const QTestOps *ops, void *opaque, QTestSendFn send,
                                     void *send_opaque)
{
    QTestServer *s = server_alloc(ops, opaque);

    s->send = send;
    s->send_opaque = send_opaque;
    return s;
}

static void close_log(QTestServer *s)
{
    if (s->log && !s->log_is_stdio) {
        fclose(s->log);
    } else if (s->log) {
        fflush(s->log);
    }
    s->log = NULL;
    s->log_is_stdio = false;
}

bool qtest_server_set_log(QTestServer *s, const char *path, GError **err)
{
    FILE *f;

    close_log(s);
    if (!path || !strcmp(path, "none")) {
        return true;
    }
    if (!strcmp(path, "/dev/stderr") || !strcmp(path, "/dev/fd/2")) {
        /* Share the process's stream rather than reopening (and truncating) its target. */
        s->log = stderr;
        s->log_is_stdio = true;
        return true;
    }
    f = fopen(path, "w");
    if (!f) {
        g_set_error(err, IOEMU_ERROR, 0, "cannot open qtest log '%s': %s", path, g_strerror(errno));
        return false;
    }
    s->log = f;
    return true;
}

void qtest_server_free(QTestServer *s)
{
    if (!s) {
        return;
    }
    if (s->chr) {
        chardev_set_handlers(s->chr, NULL, NULL);
    }
    drop_pending(s);
    if (s->binding_free) {
        s->binding_free(s->binding);
    }
    close_log(s);
    g_byte_array_free(s->pending, true);
    g_timer_destroy(s->timer);
    g_string_free(s->inbuf, true);
    g_free(s);
}

/* ---- the Machine binding ----------------------------------------------------- */

typedef struct QTestMachine QTestMachine;

/* One intercepted line: where its levels are reported and forwarded. */
typedef struct QTestIrqTap {
    QTestMachine *qm;
    IrqLine *line;
    int index;
} QTestIrqTap;

struct QTestMachine {
    Machine *m;
    QTestServer *server;
    Chardev *chr;
    bool owns_chr;
    /* QEMU lets one device's lines be intercepted per run; so do we. */
    IrqGroup *intercepted;
    QTestIrqTap *taps;
};

/* Servers attached to machines, kept reachable for the life of the process. */
static GSList *machine_servers;

static bool qm_pio_read(void *opaque, uint16_t port, unsigned size, uint32_t *val)
{
    QTestMachine *qm = opaque;
    uint64_t v = UINT64_MAX;
    bool ok = as_read(qm->m->io, port, size, &v);

    *val = (uint32_t)v;
    return ok;
}

static bool qm_pio_write(void *opaque, uint16_t port, unsigned size, uint32_t val)
{
    QTestMachine *qm = opaque;

    return as_write(qm->m->io, port, size, val);
}

static bool is_scalar_size(size_t len)
{
    return len == 1 || len == 2 || len == 4 || len == 8;
}

static bool qm_mem_read(void *opaque, uint64_t addr, void *buf, size_t len)
{
    QTestMachine *qm = opaque;

    if (is_scalar_size(len)) {
        /* One access of that width: an MMIO register sees readl as a 4-byte read. */
        uint64_t v = UINT64_MAX;
        bool ok = as_read(qm->m->mem, addr, len, &v);
        uint8_t *p = buf;

        for (size_t i = 0; i < len; i++) {
            p[i] = v >> (8 * i);
        }
        return ok;
    }
    return as_read_buf(qm->m->mem, addr, buf, len);
}

static bool qm_mem_write(void *opaque, uint64_t addr, const void *buf, size_t len)
{
    QTestMachine *qm = opaque;

    if (is_scalar_size(len)) {
        const uint8_t *p = buf;
        uint64_t v = 0;

        for (size_t i = 0; i < len; i++) {
            v |= (uint64_t)p[i] << (8 * i);
        }
        return as_write(qm->m->mem, addr, len, v);
    }
    return as_write_buf(qm->m->mem, addr, buf, len);
}

static int64_t qm_clock_step(void *opaque, int64_t ns)
{
    int64_t now = clock_get_ns(CLOCK_VIRTUAL);
    int64_t target;

    if (ns < 0) {
        int64_t deadline = clock_next_deadline(CLOCK_VIRTUAL);

        if (deadline < 0) {
            return -1;
        }
        target = MAX(deadline, now);
    } else {
        target = ns > INT64_MAX - now ? INT64_MAX : now + ns;
    }
    return clock_virtual_advance_to(target);
}

static int64_t qm_clock_set(void *opaque, int64_t ns)
{
    return clock_virtual_advance_to(MAX(ns, clock_get_ns(CLOCK_VIRTUAL)));
}

/* "ioapic", "/machine/ioapic", "/machine/i440fx/pic/" -> the last component. */
static const char *path_basename(const char *path, char *buf, size_t size)
{
    size_t len = strlen(path);
    const char *start;

    while (len > 0 && path[len - 1] == '/') {
        len--;
    }
    start = path + len;
    while (start > path && start[-1] != '/') {
        start--;
    }
    len = path + len - start;
    if (len == 0 || len >= size) {
        return NULL;
    }
    memcpy(buf, start, len);
    buf[len] = '\0';
    return buf;
}

static IrqGroup *qm_find_group(QTestMachine *qm, bool in, const char *path)
{
    char name[128];

    if (!path_basename(path, name, sizeof(name))) {
        return NULL;
    }
    return in ? machine_find_irq_in(qm->m, name) : machine_find_irq_out(qm->m, name);
}

static void qm_irq_tap(void *opaque, int n, int level)
{
    QTestIrqTap *tap = opaque;

    /* As QEMU: the original sink still gets the level, then the client hears of it. */
    irq_forward_intercepted(tap->line, level);
    qtest_server_irq(tap->qm->server, tap->index, level);
}

static bool qm_irq_intercept(void *opaque, bool in, const char *path, GError **err)
{
    QTestMachine *qm = opaque;
    IrqGroup *g = qm_find_group(qm, in, path);

    if (!g) {
        g_set_error(err, IOEMU_ERROR, 0, "Unknown device");
        return false;
    }
    if (qm->intercepted) {
        if (qm->intercepted != g) {
            g_set_error(err, IOEMU_ERROR, 0, "IRQ intercept already enabled");
            return false;
        }
        return true;
    }
    if (g->count <= 0) {
        g_set_error(err, IOEMU_ERROR, 0, "No intercepts installed");
        return false;
    }
    qm->taps = g_new0(QTestIrqTap, g->count);
    for (int i = 0; i < g->count; i++) {
        qm->taps[i] = (QTestIrqTap){ .qm = qm, .line = g->lines[i], .index = i };
        irq_intercept(g->lines[i], qm_irq_tap, &qm->taps[i]);
    }
    qm->intercepted = g;
    return true;
}

static bool qm_set_irq_in(void *opaque, const char *path, const char *name, int n, int level,
                          GError **err)
{
    QTestMachine *qm = opaque;
    IrqGroup *g = qm_find_group(qm, true, path);

    /* A named list ("set_irq_in /machine/soc gpio-in 3 1") may be a group of its own. */
    if (!g && strcmp(name, "unnamed-gpio-in") != 0) {
        g = machine_find_irq_in(qm->m, name);
    }
    if (!g) {
        g_set_error(err, IOEMU_ERROR, 0, "Unknown device");
        return false;
    }
    if (n < 0 || n >= g->count) {
        g_set_error(err, IOEMU_ERROR, 0, "%s has %d input lines; no line %d", g->name, g->count, n);
        return false;
    }
    irq_set(g->lines[n], level);
    return true;
}

static const QTestOps qtest_machine_ops = {
    .pio_read = qm_pio_read,
    .pio_write = qm_pio_write,
    .mem_read = qm_mem_read,
    .mem_write = qm_mem_write,
    .clock_step = qm_clock_step,
    .clock_set = qm_clock_set,
    .irq_intercept = qm_irq_intercept,
    .set_irq_in = qm_set_irq_in,
};

static void qm_free(void *opaque)
{
    QTestMachine *qm = opaque;

    if (qm->intercepted) {
        for (int i = 0; i < qm->intercepted->count; i++) {
            irq_intercept(qm->intercepted->lines[i], NULL, NULL);
        }
    }
    g_free(qm->taps);
    g_free(qm);
}

static QTestServer *attach(Machine *m, Chardev *chr, bool owns_chr, const char *log_path,
                           GError **err)
{
    QTestMachine *qm = g_new0(QTestMachine, 1);
    QTestServer *s = server_alloc(&qtest_machine_ops, qm);

    qm->m = m;
    qm->server = s;
    qm->chr = chr;
    qm->owns_chr = owns_chr;
    s->binding = qm;
    s->binding_free = qm_free;
    /* The log first, so it sees the OPENED of an already connected chardev. */
    if (log_path && !qtest_server_set_log(s, log_path, err)) {
        qtest_server_free(s);
        return NULL;
    }
    clock_set_manual(true);
    s->chr = chr;
    chardev_set_handlers(chr, &qtest_chr_handlers, s);
    machine_servers = g_slist_prepend(machine_servers, s);
    return s;
}

QTestServer *qtest_attach_machine(Machine *m, const char *chardev_spec, const char *log_path,
                                  GError **err)
{
    QTestServer *s;
    Chardev *chr;
    bool owns = false;

    if (g_str_has_prefix(chardev_spec, "chardev:")) {
        chr = chardev_find(chardev_spec + strlen("chardev:"));
        if (!chr) {
            g_set_error(err, IOEMU_ERROR, 0, "no chardev with id '%s'",
                        chardev_spec + strlen("chardev:"));
            return NULL;
        }
    } else {
        chr = chardev_new_from_spec("qtest", chardev_spec, err);
        if (!chr) {
            return NULL;
        }
        owns = true;
    }
    s = attach(m, chr, owns, log_path, err);
    if (!s && owns) {
        chardev_free(chr);
    }
    return s;
}

QTestServer *qtest_attach_machine_chr(Machine *m, Chardev *chr, GError **err)
{
    return attach(m, chr, false, NULL, err);
}

void qtest_detach_machine(QTestServer *s)
{
    QTestMachine *qm;
    Chardev *chr = NULL;

    if (!s) {
        return;
    }
    qm = s->binding;
    machine_servers = g_slist_remove(machine_servers, s);
    if (qm && qm->owns_chr) {
        chr = qm->chr;
    }
    qtest_server_free(s);
    if (chr) {
        chardev_free(chr);
    }
}
