/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Character backend tests: unix socket server/client round trips,
 * re-accept after a disconnect, one client at a time, SCM_RIGHTS fd
 * receipt, wait=on, pre-opened listening fds, input flow control, output
 * buffering for a slow peer, file/null/pty/ringbuf backends and the error
 * messages for bad option strings.  Everything runs on glib's default
 * main context, pumped by the test with a bounded deadline.
 */
#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "ui/chardev.h"
#include "tests/test-tmpdir.h"

typedef struct Frontend {
    GByteArray *data;
    int opened;
    int closed;
    size_t can_read;       /* what can_read answers */
} Frontend;

static size_t fe_can_read(void *opaque)
{
    Frontend *fe = opaque;

    return fe->can_read;
}

static void fe_read(void *opaque, const uint8_t *buf, size_t len)
{
    Frontend *fe = opaque;

    g_assert_cmpuint(len, <=, fe->can_read);
    g_byte_array_append(fe->data, buf, len);
}

static void fe_event(void *opaque, ChrEvent ev)
{
    Frontend *fe = opaque;

    if (ev == CHR_EVENT_OPENED) {
        fe->opened++;
    } else {
        fe->closed++;
    }
}

static const ChardevHandlers fe_handlers = {
    .can_read = fe_can_read,
    .read = fe_read,
    .event = fe_event,
};

static void fe_init(Frontend *fe)
{
    memset(fe, 0, sizeof(*fe));
    fe->data = g_byte_array_new();
    fe->can_read = 4096;
}

static void fe_clear(Frontend *fe)
{
    g_byte_array_unref(fe->data);
}

/* Pump the main loop until *counter reaches want (or a 5 s deadline: fail, never hang). */
static bool pump_until_count(const int *counter, int want)
{
    gint64 deadline = g_get_monotonic_time() + 5 * G_USEC_PER_SEC;

    while (*counter < want && g_get_monotonic_time() < deadline) {
        g_main_context_iteration(NULL, FALSE);
        g_usleep(200);
    }
    return *counter >= want;
}

static bool pump_until_bytes(Frontend *fe, size_t want)
{
    gint64 deadline = g_get_monotonic_time() + 5 * G_USEC_PER_SEC;

    while (fe->data->len < want && g_get_monotonic_time() < deadline) {
        g_main_context_iteration(NULL, FALSE);
        g_usleep(200);
    }
    return fe->data->len >= want;
}

static void pump_a_while(void)
{
    for (int i = 0; i < 50; i++) {
        g_main_context_iteration(NULL, FALSE);
        g_usleep(200);
    }
}

static char *tmp_dir;

static char *tmp_path(const char *name)
{
    return g_build_filename(tmp_dir, name, NULL);
}

static int raw_connect(const char *path)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

    g_assert_cmpint(fd, >=, 0);
    g_assert_cmpuint(strlen(path), <, sizeof(sa.sun_path));
    strcpy(sa.sun_path, path);
    g_assert_cmpint(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), ==, 0);
    return fd;
}

/* Read exactly len bytes from a raw fd (socket or tty) while pumping our main loop (our side may need to flush). */
static size_t raw_read_all(int fd, uint8_t *buf, size_t len)
{
    size_t got = 0;
    gint64 deadline = g_get_monotonic_time() + 5 * G_USEC_PER_SEC;

    while (got < len && g_get_monotonic_time() < deadline) {
        struct pollfd pfd = { .fd = fd, .events = POLLIN };
        ssize_t n = poll(&pfd, 1, 0) == 1 ? read(fd, buf + got, len - got) : (errno = EAGAIN, -1);

        if (n > 0) {
            got += n;
        } else if (n == 0 || errno != EAGAIN) {
            break;
        } else {
            g_main_context_iteration(NULL, FALSE);
            g_usleep(200);
        }
    }
    return got;
}

static void test_unix_round_trip(void)
{
    g_autofree char *path = tmp_path("rt.sock");
    g_autofree char *opts = g_strdup_printf("socket,id=srv,path=%s,server=on,wait=off", path);
    g_autofree char *spec = g_strdup_printf("unix:%s", path);
    g_autofree char *want_name = g_strdup_printf("unix:%s,server=on", path);
    g_autofree char *want_disc = g_strdup_printf("disconnected:%s", want_name);
    g_autoptr(GError) err = NULL;
    Frontend fs, fc;
    Chardev *srv, *cli;

    fe_init(&fs);
    fe_init(&fc);
    srv = chardev_new_from_opts(opts, &err);
    g_assert_no_error(err);
    g_assert_nonnull(srv);
    g_assert_true(chardev_find("srv") == srv);
    g_assert_cmpstr(chardev_id(srv), ==, "srv");
    g_assert_false(chardev_connected(srv));
    g_assert_cmpstr(chardev_filename(srv), ==, want_disc);
    chardev_set_handlers(srv, &fe_handlers, &fs);
    g_assert_cmpint(fs.opened, ==, 0);
    /* Output to a server with no client is dropped, not queued for whoever comes later. */
    g_assert_cmpint(chardev_write(srv, (const uint8_t *)"lost", 4), ==, 4);

    cli = chardev_new_from_spec("cli", spec, &err);
    g_assert_no_error(err);
    g_assert_true(chardev_connected(cli));
    chardev_set_handlers(cli, &fe_handlers, &fc);
    /* A frontend attaching to an open backend hears OPENED at once. */
    g_assert_cmpint(fc.opened, ==, 1);
    g_assert_true(pump_until_count(&fs.opened, 1));
    g_assert_true(chardev_connected(srv));
    g_assert_cmpstr(chardev_filename(srv), ==, want_name);

    g_assert_cmpint(chardev_write(cli, (const uint8_t *)"ping", 4), ==, 4);
    g_assert_true(pump_until_bytes(&fs, 4));
    g_assert_cmpmem(fs.data->data, fs.data->len, "ping", 4);
    g_assert_cmpint(chardev_write(srv, (const uint8_t *)"pong!", 5), ==, 5);
    g_assert_true(pump_until_bytes(&fc, 5));
    g_assert_cmpmem(fc.data->data, fc.data->len, "pong!", 5);

    /* Client goes away: the server sees CLOSED and is disconnected again. */
    chardev_free(cli);
    g_assert_null(chardev_find("cli"));
    g_assert_true(pump_until_count(&fs.closed, 1));
    g_assert_false(chardev_connected(srv));
    g_assert_cmpstr(chardev_filename(srv), ==, want_disc);

    chardev_free(srv);
    /* The server's socket file is removed with it. */
    g_assert_false(g_file_test(path, G_FILE_TEST_EXISTS));
    fe_clear(&fs);
    fe_clear(&fc);
}

static void test_reaccept(void)
{
    g_autofree char *path = tmp_path("reaccept.sock");
    g_autofree char *spec = g_strdup_printf("unix:%s,server,nowait", path);
    g_autoptr(GError) err = NULL;
    Frontend fs;
    Chardev *srv;
    uint8_t buf[16];
    int c1, c2, c3;

    fe_init(&fs);
    srv = chardev_new_from_spec("qmp0", spec, &err);
    g_assert_no_error(err);
    chardev_set_handlers(srv, &fe_handlers, &fs);

    c1 = raw_connect(path);
    g_assert_true(pump_until_count(&fs.opened, 1));
    /* A second client waits in the backlog while the first is served. */
    c2 = raw_connect(path);
    g_assert_cmpint(write(c2, "two", 3), ==, 3);
    g_assert_cmpint(write(c1, "one", 3), ==, 3);
    g_assert_true(pump_until_bytes(&fs, 3));
    pump_a_while();
    g_assert_cmpmem(fs.data->data, fs.data->len, "one", 3);
    g_assert_cmpint(fs.opened, ==, 1);
    g_assert_cmpint(chardev_write(srv, (const uint8_t *)"to1", 3), ==, 3);
    g_assert_cmpuint(raw_read_all(c1, buf, 3), ==, 3);
    g_assert_cmpmem(buf, 3, "to1", 3);

    close(c1);
    g_assert_true(pump_until_count(&fs.closed, 1));
    /* Then the waiting client is accepted and its early bytes arrive. */
    g_assert_true(pump_until_count(&fs.opened, 2));
    g_assert_true(pump_until_bytes(&fs, 6));
    g_assert_cmpmem(fs.data->data, fs.data->len, "onetwo", 6);
    g_assert_cmpint(chardev_write(srv, (const uint8_t *)"to2", 3), ==, 3);
    g_assert_cmpuint(raw_read_all(c2, buf, 3), ==, 3);
    g_assert_cmpmem(buf, 3, "to2", 3);

    close(c2);
    g_assert_true(pump_until_count(&fs.closed, 2));
    c3 = raw_connect(path);
    g_assert_true(pump_until_count(&fs.opened, 3));
    g_assert_cmpint(write(c3, "3", 1), ==, 1);
    g_assert_true(pump_until_bytes(&fs, 7));
    close(c3);
    g_assert_true(pump_until_count(&fs.closed, 3));

    chardev_free(srv);
    fe_clear(&fs);
}

static void send_with_fd(int sock, const char *msg, int fd)
{
    union {
        char buf[CMSG_SPACE(sizeof(int))];
        struct cmsghdr align;
    } control;
    struct iovec iov = { .iov_base = (void *)msg, .iov_len = strlen(msg) };
    struct msghdr mh = {
        .msg_iov = &iov,
        .msg_iovlen = 1,
        .msg_control = control.buf,
        .msg_controllen = sizeof(control.buf),
    };
    struct cmsghdr *c = CMSG_FIRSTHDR(&mh);

    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(c), &fd, sizeof(int));
    g_assert_cmpint(sendmsg(sock, &mh, 0), ==, (ssize_t)strlen(msg));
}

static void test_fd_passing(void)
{
    g_autofree char *path = tmp_path("fdpass.sock");
    g_autofree char *opts = g_strdup_printf("socket,id=mon,path=%s,server=on,wait=off", path);
    g_autoptr(GError) err = NULL;
    Frontend fs;
    Chardev *srv;
    int pipefd[2], c, got;
    char buf[8] = { 0 };

    fe_init(&fs);
    srv = chardev_new_from_opts(opts, &err);
    g_assert_no_error(err);
    chardev_set_handlers(srv, &fe_handlers, &fs);
    g_assert_cmpint(chardev_take_received_fd(srv), ==, -1);

    g_assert_cmpint(pipe(pipefd), ==, 0);
    c = raw_connect(path);
    send_with_fd(c, "getfd", pipefd[1]);
    close(pipefd[1]);
    g_assert_true(pump_until_bytes(&fs, 5));
    g_assert_cmpmem(fs.data->data, fs.data->len, "getfd", 5);

    got = chardev_take_received_fd(srv);
    g_assert_cmpint(got, >=, 0);
    /* Taken once: the caller owns it now. */
    g_assert_cmpint(chardev_take_received_fd(srv), ==, -1);
    /* It is the pipe's write end: bytes written to it come out of our read end. */
    g_assert_cmpint(write(got, "via", 3), ==, 3);
    close(got);
    g_assert_cmpint(read(pipefd[0], buf, sizeof(buf)), ==, 3);
    g_assert_cmpstr(buf, ==, "via");
    close(pipefd[0]);

    close(c);
    chardev_free(srv);
    fe_clear(&fs);
}

typedef struct ConnectLater {
    char *path;
    int fd;
} ConnectLater;

static void *connect_later(void *opaque)
{
    ConnectLater *cl = opaque;
    struct sockaddr_un sa = { .sun_family = AF_UNIX };

    strcpy(sa.sun_path, cl->path);
    cl->fd = -1;
    for (int i = 0; i < 5000 && cl->fd < 0; i++) {
        int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

        if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0) {
            cl->fd = fd;
        } else {
            close(fd);
            g_usleep(1000);
        }
    }
    return NULL;
}

/* wait=on (the default for a server): creation blocks until the first client is there. */
static void test_server_wait(void)
{
    g_autofree char *path = tmp_path("wait.sock");
    g_autofree char *spec = g_strdup_printf("unix:%s,server", path);
    g_autoptr(GError) err = NULL;
    ConnectLater cl = { .path = path, .fd = -1 };
    pthread_t th;
    Frontend fs;
    Chardev *srv;
    uint8_t buf[4];

    fe_init(&fs);
    g_assert_cmpint(pthread_create(&th, NULL, connect_later, &cl), ==, 0);
    srv = chardev_new_from_spec("waiter", spec, &err);
    g_assert_no_error(err);
    pthread_join(th, NULL);
    g_assert_cmpint(cl.fd, >=, 0);
    g_assert_true(chardev_connected(srv));
    chardev_set_handlers(srv, &fe_handlers, &fs);
    g_assert_cmpint(fs.opened, ==, 1);
    g_assert_cmpint(chardev_write(srv, (const uint8_t *)"hi", 2), ==, 2);
    g_assert_cmpuint(raw_read_all(cl.fd, buf, 2), ==, 2);
    g_assert_cmpmem(buf, 2, "hi", 2);
    close(cl.fd);
    chardev_free(srv);
    fe_clear(&fs);
}

/* libxl style: the toolstack binds and listens, the device model gets fd=N. */
static void test_preopened_listen_fd(void)
{
    g_autofree char *path = tmp_path("libxl.sock");
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    g_autoptr(GError) err = NULL;
    g_autofree char *opts = NULL;
    Frontend fs;
    Chardev *srv;
    int lfd, c;

    fe_init(&fs);
    strcpy(sa.sun_path, path);
    lfd = socket(AF_UNIX, SOCK_STREAM, 0);
    g_assert_cmpint(bind(lfd, (struct sockaddr *)&sa, sizeof(sa)), ==, 0);
    g_assert_cmpint(listen(lfd, 1), ==, 0);
    opts = g_strdup_printf("socket,id=libxl-cmd,fd=%d,server=on,wait=off", lfd);
    srv = chardev_new_from_opts(opts, &err);
    g_assert_no_error(err);
    g_assert_true(g_str_has_suffix(chardev_filename(srv), ",server=on"));
    chardev_set_handlers(srv, &fe_handlers, &fs);
    c = raw_connect(path);
    g_assert_true(pump_until_count(&fs.opened, 1));
    g_assert_cmpint(write(c, "{}", 2), ==, 2);
    g_assert_true(pump_until_bytes(&fs, 2));
    close(c);
    g_assert_true(pump_until_count(&fs.closed, 1));
    chardev_free(srv);
    /* We did not bind it, so we leave the path alone. */
    g_assert_true(g_file_test(path, G_FILE_TEST_EXISTS));
    fe_clear(&fs);
}

/* can_read == 0 stops reading; chardev_accept_input resumes; nothing is lost or reordered. */
static void test_flow_control(void)
{
    int sv[2];
    g_autofree char *opts = NULL;
    g_autoptr(GError) err = NULL;
    Frontend fe;
    Chardev *chr;

    fe_init(&fe);
    g_assert_cmpint(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), ==, 0);
    opts = g_strdup_printf("socket,id=flow,fd=%d", sv[0]);
    chr = chardev_new_from_opts(opts, &err);
    g_assert_no_error(err);
    fe.can_read = 3;
    chardev_set_handlers(chr, &fe_handlers, &fe);
    g_assert_cmpint(write(sv[1], "abcdefghij", 10), ==, 10);
    g_assert_true(pump_until_bytes(&fe, 3));
    fe.can_read = 0;
    pump_a_while();
    g_assert_cmpuint(fe.data->len, ==, 3);
    fe.can_read = 100;
    pump_a_while();
    /* Still paused: the frontend has not said it made room. */
    g_assert_cmpuint(fe.data->len, ==, 3);
    chardev_accept_input(chr);
    g_assert_true(pump_until_bytes(&fe, 10));
    g_assert_cmpmem(fe.data->data, fe.data->len, "abcdefghij", 10);

    /* Injected input honours can_read too. */
    fe.can_read = 2;
    g_assert_cmpuint(chardev_inject_input(chr, (const uint8_t *)"xyz", 3), ==, 2);
    g_assert_cmpuint(fe.data->len, ==, 12);

    chardev_free(chr);
    close(sv[1]);
    fe_clear(&fe);
}

/* A peer that does not read: output is queued (bounded), then dropped; what was accepted arrives in order. */
static void test_slow_peer(void)
{
    int sv[2];
    g_autofree char *opts = NULL;
    g_autoptr(GError) err = NULL;
    Chardev *chr;
    const size_t chunk = 65536, total = 4u << 20;
    uint8_t *buf = g_malloc(chunk), *in;
    size_t accepted = 0, got;
    gint64 t0;

    g_assert_cmpint(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), ==, 0);
    opts = g_strdup_printf("socket,id=slow,fd=%d", sv[0]);
    chr = chardev_new_from_opts(opts, &err);
    g_assert_no_error(err);
    t0 = g_get_monotonic_time();
    for (size_t off = 0; off < total; off += chunk) {
        ssize_t n;

        for (size_t i = 0; i < chunk; i++) {
            buf[i] = (uint8_t)((off + i) % 251);
        }
        n = chardev_write(chr, buf, chunk);
        g_assert_cmpint(n, >=, 0);
        if ((size_t)n < chunk) {
            /* First shortfall: everything before it went out or is queued. */
            accepted = off + n;
            break;
        }
        accepted = off + n;
    }
    /* Bounded: it gave up rather than block until the peer reads 4 MiB. */
    g_assert_cmpuint(accepted, <, total);
    g_assert_cmpint(g_get_monotonic_time() - t0, <, 10 * G_USEC_PER_SEC);
    /* Once stalled it drops at once instead of blocking on every write. */
    t0 = g_get_monotonic_time();
    g_assert_cmpint(chardev_write(chr, buf, chunk), ==, 0);
    g_assert_cmpint(g_get_monotonic_time() - t0, <, G_USEC_PER_SEC);

    in = g_malloc(accepted);
    got = raw_read_all(sv[1], in, accepted);
    g_assert_cmpuint(got, ==, accepted);
    for (size_t i = 0; i < accepted; i++) {
        if (in[i] != (uint8_t)(i % 251)) {
            g_error("byte %zu is %u, expected %u", i, in[i], (unsigned)(i % 251));
        }
    }
    g_free(in);
    g_free(buf);
    chardev_free(chr);
    close(sv[1]);
}

static void test_file_and_null(void)
{
    g_autofree char *path = tmp_path("serial.log");
    g_autofree char *spec = g_strdup_printf("file:%s", path);
    g_autofree char *opts = g_strdup_printf("file,id=flog,path=%s,append=on", path);
    g_autoptr(GError) err = NULL;
    g_autofree char *contents = NULL;
    Chardev *chr;
    gsize len;

    chr = chardev_new_from_spec("fout", spec, &err);
    g_assert_no_error(err);
    g_assert_cmpint(chardev_write(chr, (const uint8_t *)"boot ok\n", 8), ==, 8);
    chardev_free(chr);
    chr = chardev_new_from_opts(opts, &err);
    g_assert_no_error(err);
    g_assert_cmpint(chardev_write(chr, (const uint8_t *)"more\n", 5), ==, 5);
    chardev_free(chr);
    g_assert_true(g_file_get_contents(path, &contents, &len, NULL));
    g_assert_cmpstr(contents, ==, "boot ok\nmore\n");

    /* A failing output (disk full) reports the error once, then discards. */
    if (access("/dev/full", W_OK) == 0) {
        chr = chardev_new_from_spec("full", "file:/dev/full", &err);
        g_assert_no_error(err);
        g_assert_cmpint(chardev_write(chr, (const uint8_t *)"x", 1), ==, -1);
        g_assert_cmpint(chardev_write(chr, (const uint8_t *)"yz", 2), ==, 2);
        chardev_free(chr);
    }

    chr = chardev_new_from_spec(NULL, "null", &err);
    g_assert_no_error(err);
    g_assert_true(g_str_has_prefix(chardev_id(chr), "compat_chardev"));
    g_assert_cmpint(chardev_write(chr, (const uint8_t *)"x", 1), ==, 1);
    g_assert_true(chardev_connected(chr));
    chardev_free(chr);
}

static void test_pty(void)
{
    g_autoptr(GError) err = NULL;
    Frontend fe;
    Chardev *chr;
    const char *name;
    uint8_t buf[8];
    int slave;

    fe_init(&fe);
    chr = chardev_new_from_opts("pty,id=ptyser", &err);
    g_assert_no_error(err);
    name = chardev_filename(chr);
    g_assert_true(g_str_has_prefix(name, "pty:/dev/"));
    slave = open(name + 4, O_RDWR | O_NOCTTY | O_CLOEXEC);
    g_assert_cmpint(slave, >=, 0);
    chardev_set_handlers(chr, &fe_handlers, &fe);
    g_assert_cmpint(chardev_write(chr, (const uint8_t *)"out\n", 4), ==, 4);
    g_assert_cmpuint(raw_read_all(slave, buf, 4), ==, 4);
    /* Raw mode: no CR added, no echo of our output back to us. */
    g_assert_cmpmem(buf, 4, "out\n", 4);
    g_assert_cmpint(write(slave, "in", 2), ==, 2);
    g_assert_true(pump_until_bytes(&fe, 2));
    g_assert_cmpmem(fe.data->data, fe.data->len, "in", 2);
    close(slave);
    chardev_free(chr);
    fe_clear(&fe);
}

static void test_ringbuf(void)
{
    g_autoptr(GError) err = NULL;
    Chardev *chr = chardev_new_from_opts("ringbuf,id=rb,size=8", &err);
    uint8_t buf[16];

    g_assert_no_error(err);
    g_assert_cmpint(chardev_write(chr, (const uint8_t *)"0123456789", 10), ==, 10);
    /* Only the newest 8 bytes are kept. */
    g_assert_cmpuint(chardev_ringbuf_read(chr, buf, sizeof(buf)), ==, 8);
    g_assert_cmpmem(buf, 8, "23456789", 8);
    g_assert_cmpuint(chardev_ringbuf_read(chr, buf, sizeof(buf)), ==, 0);
    chardev_free(chr);
}

static int pick_free_tcp_port(void)
{
    struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    socklen_t len = sizeof(sa);
    int fd = socket(AF_INET, SOCK_STREAM, 0), port;

    g_assert_cmpint(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), ==, 0);
    g_assert_cmpint(getsockname(fd, (struct sockaddr *)&sa, &len), ==, 0);
    port = ntohs(sa.sin_port);
    close(fd);
    return port;
}

static void test_tcp(void)
{
    int port = pick_free_tcp_port();
    g_autofree char *srv_spec = g_strdup_printf("tcp:127.0.0.1:%d,server=on,wait=off", port);
    g_autofree char *cli_opts = g_strdup_printf("socket,id=tcpcli,host=127.0.0.1,port=%d", port);
    g_autoptr(GError) err = NULL;
    Frontend fs;
    Chardev *srv, *cli;

    fe_init(&fs);
    srv = chardev_new_from_spec("tcpsrv", srv_spec, &err);
    g_assert_no_error(err);
    chardev_set_handlers(srv, &fe_handlers, &fs);
    cli = chardev_new_from_opts(cli_opts, &err);
    g_assert_no_error(err);
    g_assert_true(pump_until_count(&fs.opened, 1));
    g_assert_cmpint(chardev_write(cli, (const uint8_t *)"tcp", 3), ==, 3);
    g_assert_true(pump_until_bytes(&fs, 3));
    chardev_free(cli);
    g_assert_true(pump_until_count(&fs.closed, 1));
    chardev_free(srv);
    fe_clear(&fs);
}

static void test_bad_options(void)
{
    g_autofree char *notsock = tmp_path("not-a-socket");
    int pipefd[2];
    struct {
        bool opts;           /* -chardev form, else spec form */
        char *text;
        const char *must_mention;
    } cases[] = {
        { true, g_strdup("socket,id=a,path=/tmp/x,server=maybe"), "maybe" },
        { true, g_strdup("socket,id=a,path=/tmp/x,bogus=1"), "bogus" },
        { true, g_strdup("frobnicate,id=a"), "frobnicate" },
        { true, g_strdup("socket,path=/tmp/x"), "id" },
        { true, g_strdup("socket,id=1bad,path=/tmp/x"), "1bad" },
        { true, g_strdup("file,id=a"), "path" },
        { true, g_strdup("socket,id=a,fd=seven"), "seven" },
        { true, g_strdup("socket,id=a,path=/tmp/x,host=h,port=1"), "exactly one" },
        { true, g_strdup("socket,id=a,path="), "path" },
        { true, g_strdup("id=a,socket"), "backend" },
        { true, g_strdup("ringbuf,id=a,size=100"), "power of two" },
        { true, g_strdup("stdio,id=a,signal=perhaps"), "perhaps" },
        { true, g_strdup("socket,id=a,nowait=on"), "nowait" },
        { false, g_strdup("unix:"), "missing socket path" },
        { false, g_strdup("unix:/tmp/x,server,wiat=off"), "wiat" },
        { false, g_strdup("tcp:nohostnoport"), "tcp:[HOST]:PORT" },
        { false, g_strdup("telepathy"), "telepathy" },
        { false, g_strdup("file:"), "missing file name" },
        { false, g_strdup("file:/nonexistent-dir/x/y"), "/nonexistent-dir/x/y" },
        { false, g_strdup_printf("unix:%s", notsock), notsock },
        { false, g_strdup("unix:/tmp/" "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"),
          "too long" },
        { true, NULL, "not a socket" },
    };
    g_autoptr(GError) dup_err = NULL;
    Chardev *first;

    g_assert_cmpint(pipe(pipefd), ==, 0);
    cases[G_N_ELEMENTS(cases) - 1].text = g_strdup_printf("socket,id=p,fd=%d", pipefd[0]);
    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autoptr(GError) err = NULL;
        Chardev *chr = cases[i].opts ? chardev_new_from_opts(cases[i].text, &err)
                                     : chardev_new_from_spec("bad", cases[i].text, &err);

        if (chr) {
            g_error("'%s' was accepted", cases[i].text);
        }
        g_assert_nonnull(err);
        g_test_message("%s -> %s", cases[i].text, err->message);
        if (!strstr(err->message, cases[i].must_mention)) {
            g_error("error for '%s' does not mention '%s': %s", cases[i].text, cases[i].must_mention,
                    err->message);
        }
        g_free(cases[i].text);
    }
    close(pipefd[0]);
    close(pipefd[1]);

    /* Ids are unique. */
    first = chardev_new_from_opts("null,id=dup", NULL);
    g_assert_nonnull(first);
    g_assert_null(chardev_new_from_opts("null,id=dup", &dup_err));
    g_assert_nonnull(strstr(dup_err->message, "dup"));
    chardev_free(first);
    /* A failed server creation leaves no socket file behind. */
    g_assert_null(chardev_new_from_opts("socket,id=srvbad,path=/tmp/never-created.sock,server=on,wait=off,x=1",
                                        NULL));
    g_assert_false(g_file_test("/tmp/never-created.sock", G_FILE_TEST_EXISTS));
}

/* ",," is a literal comma (paths may hold commas). */
static void test_comma_escape(void)
{
    g_autofree char *path = tmp_path("a,b.log");
    g_autofree char *escaped = NULL;
    g_autofree char *opts = NULL;
    g_autoptr(GError) err = NULL;
    gchar **parts = g_strsplit(path, ",", -1);
    Chardev *chr;

    escaped = g_strjoinv(",,", parts);
    g_strfreev(parts);
    opts = g_strdup_printf("file,id=comma,path=%s", escaped);
    chr = chardev_new_from_opts(opts, &err);
    g_assert_no_error(err);
    chardev_free(chr);
    g_assert_true(g_file_test(path, G_FILE_TEST_EXISTS));
}

int main(int argc, char **argv)
{
    int ret;

    g_test_init(&argc, &argv, NULL);
    tmp_dir = g_dir_make_tmp("test-chardev-XXXXXX", NULL);
    g_assert_nonnull(tmp_dir);

    g_test_add_func("/chardev/unix-round-trip", test_unix_round_trip);
    g_test_add_func("/chardev/reaccept", test_reaccept);
    g_test_add_func("/chardev/fd-passing", test_fd_passing);
    g_test_add_func("/chardev/server-wait", test_server_wait);
    g_test_add_func("/chardev/preopened-listen-fd", test_preopened_listen_fd);
    g_test_add_func("/chardev/flow-control", test_flow_control);
    g_test_add_func("/chardev/slow-peer", test_slow_peer);
    g_test_add_func("/chardev/file-and-null", test_file_and_null);
    g_test_add_func("/chardev/pty", test_pty);
    g_test_add_func("/chardev/ringbuf", test_ringbuf);
    g_test_add_func("/chardev/tcp", test_tcp);
    g_test_add_func("/chardev/bad-options", test_bad_options);
    g_test_add_func("/chardev/comma-escape", test_comma_escape);
    ret = g_test_run();

    test_tmpdir_remove(tmp_dir);
    return ret;
}
