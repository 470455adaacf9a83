/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The qtest client (see libqtest.h).
 *
 * qtest_init makes a private temp dir holding a listening unix socket and
 * the emulator's stderr, spawns
 *   [$QTEST_LAUNCHER...] $QTEST_QEMU_BINARY -machine pc -accel qtest
 *       -qtest unix:DIR/sock -display none [-qtest-log ...] EXTRA...
 * and waits (10 s) for it to connect.  The emulator dies with the test
 * process (PR_SET_PDEATHSIG), so an aborting test leaves nothing behind.
 *
 * Each command is one line; the reply is the first line that is not an
 * asynchronous "IRQ raise N" / "IRQ lower N", which are recorded on the way.
 * Any failure (no connection, a non-OK reply, a dead emulator, no reply
 * within QTEST_REPLY_TIMEOUT_S) fails the test with the emulator's stderr
 * attached, so the cause is in the test log.
 *
 * Large transfers are split so every line stays well under the server's
 * line limit and every reply under its transfer limit.
 *
 * Environment:
 *   QTEST_QEMU_BINARY  the emulator (default build/ioemu)
 *   QTEST_LAUNCHER     command prefix (split like a shell would)
 *   QTEST_LOG          log the protocol: a file name, or "1" for the
 *                      emulator's stderr (shown by qtest_stderr)
 *   QTEST_ACCEL        accelerator arguments instead of "-accel qtest"
 * A qemu-system binary built without the qtest accelerator (Debian's) is
 * run with "-accel tcg -S" instead: PIO, memory and IRQ commands work,
 * the clock commands answer "FAIL Unknown command".
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <glib.h>
#include <glib/gstdio.h>

#include "tests/libqtest.h"

#define QTEST_CONNECT_TIMEOUT_MS 10000
#define QTEST_REPLY_TIMEOUT_S 120
#define QTEST_QUIT_TIMEOUT_MS 10000
#define QTEST_MAX_IRQ 256

/* Per-command transfer sizes: a hex "write" line stays at 512 KiB, under the server's 1 MiB. */
#define QTEST_CHUNK_HEX (256u << 10)
#define QTEST_CHUNK_B64 (256u << 10)
/* The server's QTEST_MAX_XFER. */
#define QTEST_CHUNK_MEMSET (16u << 20)

struct QTestState {
    pid_t pid;                  /* -1 once reaped */
    int status;                 /* waitpid status once reaped */
    bool killed_by_us;
    int fd;                     /* the connection; -1 when closed */
    bool eof;                   /* the emulator closed the connection */
    char *tmpdir;
    char *sock_path;
    char *stderr_path;
    GString *rx;                /* received bytes not yet consumed */
    GString *reply;             /* the last reply line, no newline */
    char *stderr_text;
    bool irq_level[QTEST_MAX_IRQ];
};

/* ---- failure reporting ------------------------------------------------------ */

static void cleanup_files(QTestState *s);

static char *read_stderr_file(const char *path)
{
    char *text = NULL;

    if (!path || !g_file_get_contents(path, &text, NULL, NULL)) {
        return g_strdup("");
    }
    return text;
}

/*
 * Fail the test: the message and the emulator's stderr go to the log, the
 * emulator is killed, then the assertion fires (GTest prints it as the
 * failure).  Does not return unless assertions were made non-fatal.
 */
static void G_GNUC_PRINTF(2, 3) qtest_fail(QTestState *s, const char *fmt, ...)
{
    va_list ap;
    g_autofree char *msg = NULL;
    g_autofree char *err = NULL;

    va_start(ap, fmt);
    msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    if (s) {
        err = read_stderr_file(s->stderr_path);
        g_printerr("libqtest: %s\nlibqtest: emulator stderr:\n%s%s", msg, err,
                   err[0] && err[strlen(err) - 1] != '\n' ? "\n" : "");
        if (s->pid > 0) {
            kill(s->pid, SIGKILL);
            waitpid(s->pid, &s->status, 0);
            s->pid = -1;
        }
        cleanup_files(s);
    }
    g_assertion_message(G_LOG_DOMAIN, __FILE__, __LINE__, G_STRFUNC, msg);
}

/* ---- process ---------------------------------------------------------------- */

static const char *binary_path(void)
{
    const char *bin = g_getenv("QTEST_QEMU_BINARY");

    return bin && bin[0] ? bin : "build/ioemu";
}

/* An argv[0] resolved before fork, so the child only calls execv. */
static char *resolve_program(const char *prog)
{
    if (strchr(prog, '/')) {
        return g_strdup(prog);
    }
    return g_find_program_in_path(prog);
}

/* Run argv to completion with output captured; true if it ran and exited normally. */
static bool run_capture(char **argv, char **out)
{
    int status = 0;

    if (!g_spawn_sync(NULL, argv, NULL, G_SPAWN_SEARCH_PATH | G_SPAWN_STDERR_TO_DEV_NULL, NULL, NULL,
                      out, NULL, &status, NULL)) {
        return false;
    }
    return WIFEXITED(status);
}

/*
 * The accelerator arguments: "-accel qtest", unless overridden, or the
 * binary is a QEMU that lacks the qtest accelerator (asked once).
 */
static char **accel_args(const char *bin)
{
    static char *qemu_fallback_for;
    static bool qemu_has_qtest = true;
    const char *env = g_getenv("QTEST_ACCEL");
    g_autofree char *base = g_path_get_basename(bin);

    if (env && env[0]) {
        char **v = NULL;
        if (!g_shell_parse_argv(env, NULL, &v, NULL)) {
            g_error("libqtest: cannot parse QTEST_ACCEL '%s'", env);
        }
        char **out = g_new0(char *, g_strv_length(v) + 2);
        out[0] = g_strdup("-accel");
        for (int i = 0; v[i]; i++) {
            out[i + 1] = g_strdup(v[i]);
        }
        g_strfreev(v);
        return out;
    }
    if (g_str_has_prefix(base, "qemu-system")) {
        if (g_strcmp0(qemu_fallback_for, bin) != 0) {
            char *argv[] = { (char *)bin, (char *)"-accel", (char *)"help", NULL };
            g_autofree char *out = NULL;

            g_free(qemu_fallback_for);
            qemu_fallback_for = g_strdup(bin);
            qemu_has_qtest = !run_capture(argv, &out) || strstr(out, "qtest") != NULL;
        }
        if (!qemu_has_qtest) {
            char *v[] = { (char *)"-accel", (char *)"tcg", (char *)"-S", NULL };
            return g_strdupv(v);
        }
    }
    char *v[] = { (char *)"-accel", (char *)"qtest", NULL };
    return g_strdupv(v);
}

bool qtest_binary_available(void)
{
    const char *bin = binary_path();
    g_autofree char *path = resolve_program(bin);
    const char *launcher = g_getenv("QTEST_LAUNCHER");

    if (!path || !g_file_test(path, G_FILE_TEST_IS_EXECUTABLE) || g_file_test(path, G_FILE_TEST_IS_DIR)) {
        return false;
    }
    if (launcher && launcher[0]) {
        /* The launcher decides how the binary runs; executable is all we can check. */
        return true;
    }
    {
        char *argv[] = { path, (char *)"-version", NULL };
        g_autofree char *out = NULL;
        return run_capture(argv, &out);
    }
}

bool qtest_skip_without_binary(void)
{
    if (!qtest_binary_available()) {
        g_test_skip("emulator binary not available");
        return false;
    }
    return true;
}

QTestState *qtest_init_or_skip(const char *extra_args)
{
    return qtest_skip_without_binary() ? qtest_init(extra_args) : NULL;
}

bool qtest_binary_is_qemu(void)
{
    g_autofree char *base = g_path_get_basename(binary_path());

    return g_str_has_prefix(base, "qemu-system");
}

static void add_args(GPtrArray *argv, const char *str, const char *what)
{
    char **v = NULL;
    GError *err = NULL;

    if (!str) {
        return;
    }
    g_strstrip((char *)str);
    if (!str[0]) {
        return;
    }
    if (!g_shell_parse_argv(str, NULL, &v, &err)) {
        qtest_fail(NULL, "cannot split %s '%s': %s", what, str, err->message);
        g_clear_error(&err);
        return;
    }
    for (int i = 0; v[i]; i++) {
        g_ptr_array_add(argv, g_strdup(v[i]));
    }
    g_strfreev(v);
}

static GPtrArray *build_argv(QTestState *s, const char *extra_args)
{
    GPtrArray *argv = g_ptr_array_new_with_free_func(g_free);
    const char *bin = binary_path();
    const char *log = g_getenv("QTEST_LOG");
    g_autofree char *base = g_path_get_basename(bin);
    g_autofree char *launcher = g_strdup(g_getenv("QTEST_LAUNCHER"));
    g_autofree char *extra = g_strdup(extra_args);
    char **accel = accel_args(bin);

    add_args(argv, launcher, "QTEST_LAUNCHER");
    g_ptr_array_add(argv, g_strdup(bin));
    g_ptr_array_add(argv, g_strdup("-machine"));
    g_ptr_array_add(argv, g_strdup("pc"));
    for (int i = 0; accel[i]; i++) {
        g_ptr_array_add(argv, g_strdup(accel[i]));
    }
    g_strfreev(accel);
    g_ptr_array_add(argv, g_strdup("-qtest"));
    g_ptr_array_add(argv, g_strdup_printf("unix:%s", s->sock_path));
    g_ptr_array_add(argv, g_strdup("-display"));
    g_ptr_array_add(argv, g_strdup("none"));
    if (log && log[0]) {
        g_ptr_array_add(argv, g_strdup("-qtest-log"));
        g_ptr_array_add(argv, g_strdup(strcmp(log, "1") ? log : "/dev/fd/2"));
    } else if (g_str_has_prefix(base, "qemu-system")) {
        /* QEMU logs the whole conversation to stderr unless told otherwise. */
        g_ptr_array_add(argv, g_strdup("-qtest-log"));
        g_ptr_array_add(argv, g_strdup("/dev/null"));
    }
    add_args(argv, extra, "extra arguments");
    g_ptr_array_add(argv, NULL);
    return argv;
}

static void cleanup_files(QTestState *s)
{
    if (s->sock_path) {
        g_unlink(s->sock_path);
    }
    if (s->stderr_path) {
        g_unlink(s->stderr_path);
    }
    if (s->tmpdir) {
        g_rmdir(s->tmpdir);
    }
}

static void state_free(QTestState *s)
{
    if (s->fd >= 0) {
        close(s->fd);
    }
    cleanup_files(s);
    g_free(s->tmpdir);
    g_free(s->sock_path);
    g_free(s->stderr_path);
    g_free(s->stderr_text);
    g_string_free(s->rx, true);
    g_string_free(s->reply, true);
    g_free(s);
}

/* Reap the child if it has exited; true if it is gone. */
static bool child_reaped(QTestState *s)
{
    if (s->pid <= 0) {
        return true;
    }
    if (waitpid(s->pid, &s->status, WNOHANG) == s->pid) {
        s->pid = -1;
        return true;
    }
    return false;
}

static char *describe_status(int status)
{
    if (WIFEXITED(status)) {
        return g_strdup_printf("exited with status %d", WEXITSTATUS(status));
    }
    if (WIFSIGNALED(status)) {
        return g_strdup_printf("was killed by signal %d (%s)", WTERMSIG(status), g_strsignal(WTERMSIG(status)));
    }
    return g_strdup_printf("ended with wait status 0x%x", status);
}

QTestState *qtest_init(const char *extra_args)
{
    QTestState *s = g_new0(QTestState, 1);
    struct sockaddr_un addr = { .sun_family = AF_UNIX };
    g_autoptr(GPtrArray) argv = NULL;
    g_autofree char *prog = NULL;
    g_autofree char *cmdline = NULL;
    GError *err = NULL;
    int listen_fd, err_fd;
    pid_t parent = getpid();
    gint64 deadline;

    s->fd = -1;
    s->pid = -1;
    s->rx = g_string_new(NULL);
    s->reply = g_string_new(NULL);
    s->tmpdir = g_dir_make_tmp("qtest-XXXXXX", &err);
    if (!s->tmpdir) {
        qtest_fail(NULL, "cannot make a temp dir: %s", err->message);
        return NULL;
    }
    s->sock_path = g_build_filename(s->tmpdir, "sock", NULL);
    s->stderr_path = g_build_filename(s->tmpdir, "stderr", NULL);
    if (strlen(s->sock_path) >= sizeof(addr.sun_path)) {
        qtest_fail(NULL, "socket path too long: %s", s->sock_path);
        return NULL;
    }
    strcpy(addr.sun_path, s->sock_path);

    listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (listen_fd < 0 || bind(listen_fd, (struct sockaddr *)&addr, sizeof(addr)) < 0 ||
        listen(listen_fd, 1) < 0) {
        qtest_fail(NULL, "cannot listen on %s: %s", s->sock_path, g_strerror(errno));
        return NULL;
    }
    err_fd = open(s->stderr_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (err_fd < 0) {
        qtest_fail(NULL, "cannot create %s: %s", s->stderr_path, g_strerror(errno));
        return NULL;
    }

    argv = build_argv(s, extra_args);
    prog = resolve_program(argv->pdata[0]);
    cmdline = g_strjoinv(" ", (char **)argv->pdata);
    if (!prog || !g_file_test(prog, G_FILE_TEST_IS_EXECUTABLE)) {
        close(listen_fd);
        close(err_fd);
        qtest_fail(s, "cannot find or execute '%s' (set QTEST_QEMU_BINARY)", (char *)argv->pdata[0]);
        return NULL;
    }

    s->pid = fork();
    if (s->pid < 0) {
        qtest_fail(s, "fork: %s", g_strerror(errno));
        return NULL;
    }
    if (s->pid == 0) {
        /* Child: only async-signal-safe calls from here to exec. */
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() != parent) {
            _exit(127);
        }
        /* stdout joins the test's stderr (never the TAP stream); stderr goes to the file. */
        dup2(STDERR_FILENO, STDOUT_FILENO);
        dup2(err_fd, STDERR_FILENO);
        execv(prog, (char **)argv->pdata);
        {
            static const char msg[] = "libqtest: exec failed\n";
            ssize_t unused = write(STDERR_FILENO, msg, sizeof(msg) - 1);
            (void)unused;
        }
        _exit(127);
    }
    close(err_fd);

    /* Wait for the connection, giving up early if the emulator dies first. */
    deadline = g_get_monotonic_time() + QTEST_CONNECT_TIMEOUT_MS * 1000LL;
    while (s->fd < 0) {
        struct pollfd pfd = { .fd = listen_fd, .events = POLLIN };
        int r = poll(&pfd, 1, 100);

        if (r > 0) {
            s->fd = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC);
            if (s->fd >= 0) {
                break;
            }
        }
        if (child_reaped(s)) {
            g_autofree char *why = describe_status(s->status);
            close(listen_fd);
            qtest_fail(s, "the emulator %s before connecting\n  command: %s", why, cmdline);
            return NULL;
        }
        if (g_get_monotonic_time() > deadline) {
            close(listen_fd);
            qtest_fail(s, "the emulator did not connect within %d ms\n  command: %s",
                       QTEST_CONNECT_TIMEOUT_MS, cmdline);
            return NULL;
        }
    }
    close(listen_fd);
    g_unlink(s->sock_path);
    return s;
}

QTestState *qtest_initf(const char *fmt, ...)
{
    va_list ap;
    g_autofree char *args = NULL;

    va_start(ap, fmt);
    args = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    return qtest_init(args);
}

int qtest_wait_exit(QTestState *s, int timeout_ms)
{
    gint64 deadline = g_get_monotonic_time() + (gint64)timeout_ms * 1000;

    while (!child_reaped(s)) {
        if (g_get_monotonic_time() > deadline) {
            return -1;
        }
        g_usleep(5000);
    }
    return s->status;
}

void qtest_quit(QTestState *s)
{
    bool judged = false;

    if (!s) {
        return;
    }
    if (s->fd >= 0) {
        close(s->fd);
        s->fd = -1;
    }
    if (!child_reaped(s)) {
        /* Ask politely, as QEMU's libqtest does; the exit status then says how teardown went. */
        kill(s->pid, SIGTERM);
        judged = true;
        if (qtest_wait_exit(s, QTEST_QUIT_TIMEOUT_MS) == -1) {
            kill(s->pid, SIGKILL);
            waitpid(s->pid, &s->status, 0);
            s->pid = -1;
            qtest_fail(s, "the emulator did not exit within %d ms of SIGTERM", QTEST_QUIT_TIMEOUT_MS);
        }
    }
    /*
     * A crash is always a failure.  A non-zero exit counts only after our
     * SIGTERM: an emulator that left on its own (isa-debug-exit) chose its status.
     */
    if (WIFSIGNALED(s->status) && !(judged && WTERMSIG(s->status) == SIGTERM)) {
        g_autofree char *why = describe_status(s->status);
        qtest_fail(s, "the emulator %s", why);
    } else if (judged && WIFEXITED(s->status) && WEXITSTATUS(s->status) != 0) {
        g_autofree char *why = describe_status(s->status);
        qtest_fail(s, "the emulator %s after SIGTERM", why);
    }
    state_free(s);
}

const char *qtest_stderr(QTestState *s)
{
    g_free(s->stderr_text);
    s->stderr_text = read_stderr_file(s->stderr_path);
    return s->stderr_text;
}

/* ---- the wire --------------------------------------------------------------- */

static bool send_all(QTestState *s, const char *buf, size_t len)
{
    while (len > 0) {
        ssize_t n = send(s->fd, buf, len, MSG_NOSIGNAL);

        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            return false;
        }
        buf += n;
        len -= n;
    }
    return true;
}

/* Pull what the socket has into rx; wait up to timeout_ms for something. false on EOF/error. */
static bool fill_rx(QTestState *s, int timeout_ms)
{
    char buf[65536];
    struct pollfd pfd = { .fd = s->fd, .events = POLLIN };
    int r;
    ssize_t n;

    do {
        r = poll(&pfd, 1, timeout_ms);
    } while (r < 0 && errno == EINTR);
    if (r == 0) {
        return true;
    }
    do {
        n = recv(s->fd, buf, sizeof(buf), 0);
    } while (n < 0 && errno == EINTR);
    if (n <= 0) {
        s->eof = true;
        return false;
    }
    g_string_append_len(s->rx, buf, n);
    return true;
}

/* Record an "IRQ raise N" / "IRQ lower N" line; false if the line is not one. */
static bool take_irq_line(QTestState *s, const char *line)
{
    const char *num;
    int level;
    char *end;
    unsigned long n;

    if (g_str_has_prefix(line, "IRQ raise ")) {
        level = 1;
        num = line + strlen("IRQ raise ");
    } else if (g_str_has_prefix(line, "IRQ lower ")) {
        level = 0;
        num = line + strlen("IRQ lower ");
    } else {
        return false;
    }
    n = strtoul(num, &end, 10);
    if (end == num || *end != '\0' || n >= QTEST_MAX_IRQ) {
        qtest_fail(s, "bad async line from the emulator: '%s'", line);
        return true;
    }
    s->irq_level[n] = level;
    return true;
}

/*
 * The next reply line into s->reply, recording IRQ lines on the way.
 * false if the emulator closed the connection first.
 */
static bool read_reply(QTestState *s)
{
    gint64 deadline = g_get_monotonic_time() + QTEST_REPLY_TIMEOUT_S * G_USEC_PER_SEC;

    for (;;) {
        char *nl = memchr(s->rx->str, '\n', s->rx->len);

        if (nl) {
            size_t len = nl - s->rx->str;

            g_string_truncate(s->reply, 0);
            g_string_append_len(s->reply, s->rx->str, len);
            g_string_erase(s->rx, 0, len + 1);
            if (take_irq_line(s, s->reply->str)) {
                continue;
            }
            return true;
        }
        if (s->fd < 0 || s->eof) {
            return false;
        }
        if (g_get_monotonic_time() > deadline) {
            qtest_fail(s, "no reply from the emulator within %d s", QTEST_REPLY_TIMEOUT_S);
            return false;
        }
        if (!fill_rx(s, 1000)) {
            return false;
        }
    }
}

/*
 * Send one command line and read its reply.  false if the emulator went
 * away (the reply is then empty); the caller decides whether that is a
 * failure.
 */
static bool transact(QTestState *s, const char *line, size_t len)
{
    g_string_truncate(s->reply, 0);
    if (s->fd < 0 || s->eof) {
        return false;
    }
    if (!send_all(s, line, len)) {
        s->eof = true;
        return false;
    }
    return read_reply(s);
}

static const char *G_GNUC_PRINTF(2, 3) command(QTestState *s, const char *fmt, ...)
{
    va_list ap;
    g_autofree char *line = NULL;
    g_autofree char *shown = NULL;

    va_start(ap, fmt);
    line = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    if (!transact(s, line, strlen(line))) {
        g_autofree char *why = NULL;

        child_reaped(s);
        why = s->pid > 0 ? g_strdup("is still running") : describe_status(s->status);
        shown = g_strndup(line, MIN(strlen(line) - 1, (size_t)80));
        qtest_fail(s, "no reply to '%s': the emulator closed the connection (it %s)", shown, why);
        return "";
    }
    if (strcmp(s->reply->str, "OK") != 0 && !g_str_has_prefix(s->reply->str, "OK ")) {
        shown = g_strndup(line, MIN(strlen(line) - 1, (size_t)80));
        qtest_fail(s, "'%s' got '%s'", shown, s->reply->str);
        return "";
    }
    return s->reply->str;
}

/*
 * A command after which the emulator may legitimately exit (a write to
 * isa-debug-exit): no reply is fine if the process has gone.
 */
static void command_may_exit(QTestState *s, const char *line)
{
    if (!transact(s, line, strlen(line))) {
        gint64 deadline = g_get_monotonic_time() + 5 * G_USEC_PER_SEC;

        while (!child_reaped(s) && g_get_monotonic_time() < deadline) {
            g_usleep(2000);
        }
        if (s->pid > 0) {
            qtest_fail(s, "no reply to '%.*s' and the emulator is still running",
                       (int)strlen(line) - 1, line);
        }
        return;
    }
    if (strcmp(s->reply->str, "OK") != 0) {
        qtest_fail(s, "'%.*s' got '%s'", (int)strlen(line) - 1, line, s->reply->str);
    }
}

/* The number after "OK " (hex with 0x, or decimal). */
static uint64_t reply_u64(QTestState *s, const char *reply)
{
    const char *num = reply + 3;
    char *end;
    uint64_t v;

    if (strlen(reply) < 4) {
        qtest_fail(s, "reply '%s' carries no value", reply);
        return 0;
    }
    errno = 0;
    v = g_ascii_strtoull(num, &end, 0);
    if (errno || *end) {
        qtest_fail(s, "reply '%s' is not a number", reply);
        return 0;
    }
    return v;
}

static int64_t reply_i64(QTestState *s, const char *reply)
{
    const char *num = reply + 3;
    char *end;
    int64_t v;

    if (strlen(reply) < 4) {
        qtest_fail(s, "reply '%s' carries no value", reply);
        return 0;
    }
    errno = 0;
    v = g_ascii_strtoll(num, &end, 10);
    if (errno || *end) {
        qtest_fail(s, "reply '%s' is not a number", reply);
        return 0;
    }
    return v;
}

const char *qtest_raw(QTestState *s, const char *cmd)
{
    g_autofree char *line = g_strdup_printf("%s\n", cmd);
    g_autoptr(GString) all = g_string_new(NULL);
    int lines = 1;

    /* Several lines sent at once get several replies; they come back joined by newlines. */
    for (const char *p = cmd; *p; p++) {
        lines += *p == '\n';
    }
    if (!transact(s, line, strlen(line))) {
        return "";
    }
    g_string_append(all, s->reply->str);
    for (int i = 1; i < lines; i++) {
        if (!read_reply(s)) {
            break;
        }
        g_string_append_c(all, '\n');
        g_string_append(all, s->reply->str);
    }
    g_string_assign(s->reply, all->str);
    return s->reply->str;
}

/* ---- commands --------------------------------------------------------------- */

static void out_port(QTestState *s, const char *cmd, uint16_t port, uint32_t v)
{
    g_autofree char *line = g_strdup_printf("%s 0x%x 0x%x\n", cmd, port, v);
    command_may_exit(s, line);
}

void qtest_outb(QTestState *s, uint16_t port, uint8_t v)
{
    out_port(s, "outb", port, v);
}

void qtest_outw(QTestState *s, uint16_t port, uint16_t v)
{
    out_port(s, "outw", port, v);
}

void qtest_outl(QTestState *s, uint16_t port, uint32_t v)
{
    out_port(s, "outl", port, v);
}

uint8_t qtest_inb(QTestState *s, uint16_t port)
{
    return reply_u64(s, command(s, "inb 0x%x\n", port));
}

uint16_t qtest_inw(QTestState *s, uint16_t port)
{
    return reply_u64(s, command(s, "inw 0x%x\n", port));
}

uint32_t qtest_inl(QTestState *s, uint16_t port)
{
    return reply_u64(s, command(s, "inl 0x%x\n", port));
}

static void write_mem(QTestState *s, const char *cmd, uint64_t addr, uint64_t v)
{
    g_autofree char *line = g_strdup_printf("%s 0x%" PRIx64 " 0x%" PRIx64 "\n", cmd, addr, v);
    command_may_exit(s, line);
}

void qtest_writeb(QTestState *s, uint64_t addr, uint8_t v)
{
    write_mem(s, "writeb", addr, v);
}

void qtest_writew(QTestState *s, uint64_t addr, uint16_t v)
{
    write_mem(s, "writew", addr, v);
}

void qtest_writel(QTestState *s, uint64_t addr, uint32_t v)
{
    write_mem(s, "writel", addr, v);
}

void qtest_writeq(QTestState *s, uint64_t addr, uint64_t v)
{
    write_mem(s, "writeq", addr, v);
}

uint8_t qtest_readb(QTestState *s, uint64_t addr)
{
    return reply_u64(s, command(s, "readb 0x%" PRIx64 "\n", addr));
}

uint16_t qtest_readw(QTestState *s, uint64_t addr)
{
    return reply_u64(s, command(s, "readw 0x%" PRIx64 "\n", addr));
}

uint32_t qtest_readl(QTestState *s, uint64_t addr)
{
    return reply_u64(s, command(s, "readl 0x%" PRIx64 "\n", addr));
}

uint64_t qtest_readq(QTestState *s, uint64_t addr)
{
    return reply_u64(s, command(s, "readq 0x%" PRIx64 "\n", addr));
}

static int hexval(char c)
{
    return g_ascii_xdigit_value(c);
}

void qtest_memread(QTestState *s, uint64_t addr, void *data, size_t size)
{
    uint8_t *out = data;

    for (size_t done = 0; done < size;) {
        size_t n = MIN(size - done, (size_t)QTEST_CHUNK_HEX);
        const char *r = command(s, "read 0x%" PRIx64 " 0x%zx\n", addr + done, n);

        if (strlen(r) != 5 + 2 * n || strncmp(r, "OK 0x", 5) != 0) {
            qtest_fail(s, "read 0x%" PRIx64 " 0x%zx: malformed reply '%.80s'", addr + done, n, r);
            return;
        }
        for (size_t i = 0; i < n; i++) {
            int hi = hexval(r[5 + 2 * i]), lo = hexval(r[6 + 2 * i]);
            if (hi < 0 || lo < 0) {
                qtest_fail(s, "read: non-hex data in reply");
                return;
            }
            out[done + i] = hi << 4 | lo;
        }
        done += n;
    }
}

void qtest_memwrite(QTestState *s, uint64_t addr, const void *data, size_t size)
{
    static const char digits[] = "0123456789abcdef";
    const uint8_t *in = data;

    for (size_t done = 0; done < size;) {
        size_t n = MIN(size - done, (size_t)QTEST_CHUNK_HEX);
        GString *line = g_string_sized_new(2 * n + 64);

        g_string_printf(line, "write 0x%" PRIx64 " 0x%zx 0x", addr + done, n);
        for (size_t i = 0; i < n; i++) {
            g_string_append_c(line, digits[in[done + i] >> 4]);
            g_string_append_c(line, digits[in[done + i] & 0xf]);
        }
        g_string_append_c(line, '\n');
        command_may_exit(s, line->str);
        g_string_free(line, true);
        done += n;
    }
}

void qtest_bufread(QTestState *s, uint64_t addr, void *data, size_t size)
{
    uint8_t *out = data;

    for (size_t done = 0; done < size;) {
        size_t n = MIN(size - done, (size_t)QTEST_CHUNK_B64);
        const char *r = command(s, "b64read 0x%" PRIx64 " 0x%zx\n", addr + done, n);
        gsize len = 0;
        guchar *dec;

        if (strncmp(r, "OK ", 3) != 0) {
            return;
        }
        dec = g_base64_decode(r + 3, &len);
        if (len != n) {
            g_free(dec);
            qtest_fail(s, "b64read 0x%" PRIx64 " 0x%zx: got %zu bytes", addr + done, n, (size_t)len);
            return;
        }
        memcpy(out + done, dec, n);
        g_free(dec);
        done += n;
    }
}

void qtest_bufwrite(QTestState *s, uint64_t addr, const void *data, size_t size)
{
    const uint8_t *in = data;

    for (size_t done = 0; done < size;) {
        size_t n = MIN(size - done, (size_t)QTEST_CHUNK_B64);
        g_autofree char *enc = g_base64_encode(in + done, n);
        g_autofree char *line = g_strdup_printf("b64write 0x%" PRIx64 " 0x%zx %s\n", addr + done, n, enc);

        command_may_exit(s, line);
        done += n;
    }
}

void qtest_memset(QTestState *s, uint64_t addr, uint8_t pattern, size_t size)
{
    if (size == 0) {
        command(s, "memset 0x%" PRIx64 " 0x0 0x%02x\n", addr, pattern);
        return;
    }
    for (size_t done = 0; done < size;) {
        size_t n = MIN(size - done, (size_t)QTEST_CHUNK_MEMSET);
        g_autofree char *line = g_strdup_printf("memset 0x%" PRIx64 " 0x%zx 0x%02x\n", addr + done, n, pattern);

        command_may_exit(s, line);
        done += n;
    }
}

int64_t qtest_clock_step_next(QTestState *s)
{
    return reply_i64(s, command(s, "clock_step\n"));
}

int64_t qtest_clock_step(QTestState *s, int64_t step_ns)
{
    return reply_i64(s, command(s, "clock_step %" PRIi64 "\n", step_ns));
}

int64_t qtest_clock_set(QTestState *s, int64_t val_ns)
{
    return reply_i64(s, command(s, "clock_set %" PRIi64 "\n", val_ns));
}

void qtest_irq_intercept_in(QTestState *s, const char *path)
{
    command(s, "irq_intercept_in %s\n", path);
}

void qtest_irq_intercept_out(QTestState *s, const char *path)
{
    command(s, "irq_intercept_out %s\n", path);
}

void qtest_set_irq_in(QTestState *s, const char *path, const char *name, int num, int level)
{
    command(s, "set_irq_in %s %s %d %d\n", path, name, num, level);
}

bool qtest_get_irq(QTestState *s, int n)
{
    g_assert(n >= 0 && n < QTEST_MAX_IRQ);
    /*
     * A side-effect-free round trip: every IRQ line the server sent before
     * answering it has been recorded when the answer arrives.
     */
    if (s->fd >= 0 && !s->eof) {
        command(s, "endianness\n");
    }
    return s->irq_level[n];
}

/* ---- PCI configuration mechanism #1 (PCI Local Bus Spec 3.0, 3.2.2.3.2) ----- */

static void pci_cfg_select(QTestState *s, int bus, int devfn, int reg)
{
    g_assert(bus >= 0 && bus < 256 && devfn >= 0 && devfn < 256 && reg >= 0 && reg < 256);
    qtest_outl(s, 0xcf8, 0x80000000u | (uint32_t)bus << 16 | (uint32_t)devfn << 8 | (reg & 0xfc));
}

uint32_t qtest_pci_cfg_readl(QTestState *s, int bus, int devfn, int reg)
{
    pci_cfg_select(s, bus, devfn, reg);
    return qtest_inl(s, 0xcfc);
}

uint16_t qtest_pci_cfg_readw(QTestState *s, int bus, int devfn, int reg)
{
    pci_cfg_select(s, bus, devfn, reg);
    return qtest_inw(s, 0xcfc + (reg & 2));
}

uint8_t qtest_pci_cfg_readb(QTestState *s, int bus, int devfn, int reg)
{
    pci_cfg_select(s, bus, devfn, reg);
    return qtest_inb(s, 0xcfc + (reg & 3));
}

void qtest_pci_cfg_writel(QTestState *s, int bus, int devfn, int reg, uint32_t v)
{
    pci_cfg_select(s, bus, devfn, reg);
    qtest_outl(s, 0xcfc, v);
}

void qtest_pci_cfg_writew(QTestState *s, int bus, int devfn, int reg, uint16_t v)
{
    pci_cfg_select(s, bus, devfn, reg);
    qtest_outw(s, 0xcfc + (reg & 2), v);
}

void qtest_pci_cfg_writeb(QTestState *s, int bus, int devfn, int reg, uint8_t v)
{
    pci_cfg_select(s, bus, devfn, reg);
    qtest_outb(s, 0xcfc + (reg & 3), v);
}
