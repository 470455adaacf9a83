/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Character device backends: null, stdio, file, pty, ringbuf and stream
 * sockets (unix and tcp, client or listening server, or a pre-opened fd).
 *
 * Every backend reduces to up to two file descriptors (in_fd, out_fd) that
 * the main loop watches with GUnixFDSources on glib's default context, so
 * all frontend callbacks run on the main loop thread with the device lock
 * held (hw/core/mainloop.h).  Output is written at once when the peer can
 * take it; otherwise it is queued in a bounded buffer that a G_IO_OUT
 * watch drains.  Input is read only as far as the frontend's can_read
 * allows; when it says 0 the read watch is dropped until the frontend calls
 * chardev_accept_input, so a full UART FIFO never spins the loop.
 *
 * A listening socket serves one client at a time: while a client is
 * connected the listening fd is not watched (further clients wait in the
 * kernel's backlog) and after a disconnect the next client is accepted.
 */
#include "ui/chardev.h"

#include <errno.h>
#include <fcntl.h>
#include <glib-unix.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pty.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <termios.h>
#include <unistd.h>

#include "hw/core/device.h"
#include "hw/core/keyval.h"

/* Output queued for a slow peer beyond this is dropped (a stuck pty reader must not eat memory). */
#define CHARDEV_OUTBUF_MAX      (1u << 20)
/* How long one write may block waiting for a slow peer before output is dropped instead. */
#define CHARDEV_WRITE_STALL_MS  200
/* Bytes read per main loop dispatch. */
#define CHARDEV_READ_CHUNK      4096
/* Most fds accepted in one SCM_RIGHTS message; extra ones are closed. */
#define CHARDEV_MAX_RECV_FDS    16
#define RINGBUF_DEFAULT_SIZE    65536u

typedef enum {
    CHR_KIND_NULL,
    CHR_KIND_STDIO,
    CHR_KIND_FILE,
    CHR_KIND_PTY,
    CHR_KIND_SOCKET,
    CHR_KIND_RINGBUF,
} ChardevKind;

struct Chardev {
    char *id;
    ChardevKind kind;
    char *filename;            /* as query-chardev shows it; recomputed on connect/disconnect */

    int in_fd;                 /* -1: no input (file, null, disconnected socket) */
    int out_fd;                /* -1: output is discarded */
    bool out_is_socket;        /* use send(MSG_NOSIGNAL) so a gone peer is EPIPE, not SIGPIPE */
    bool in_is_unix;           /* use recvmsg and collect SCM_RIGHTS fds */

    /* Sockets. */
    bool is_server;
    bool is_unix;
    char *path;                /* unix socket path */
    char *host, *port;         /* tcp */
    int listen_fd;
    bool unlink_on_free;       /* we bound `path` ourselves */
    int received_fd;           /* last SCM_RIGHTS fd not yet taken */

    /* pty: the slave end stays open so the master never sees EIO/hangup before a reader attaches. */
    int pty_slave_fd;

    /* ringbuf: output is kept in a ring; reading it is chardev_ringbuf_read. */
    uint8_t *ring;
    uint32_t ring_size;        /* power of two */
    uint64_t ring_prod, ring_cons;

    GSource *read_src;
    GSource *write_src;
    GSource *listen_src;
    bool read_paused;          /* can_read was 0: waiting for chardev_accept_input */
    bool input_eof;            /* stdio/pty/file input ended; stop watching */

    GByteArray *outbuf;        /* bytes the peer could not take yet */
    bool stalled;              /* a blocking flush timed out: drop rather than block again */
    bool output_dead;          /* a non-socket output failed for good (EPIPE, EIO): discard output */

    ChardevHandlers handlers;
    bool have_handlers;
    void *opaque;
};

/* Every chardev with an id, for chardev_find and duplicate-id checks. */
static GHashTable *chardev_registry;

/* stdin is shared with the shell that started us: restore its flags on exit. */
static bool stdio_in_use;
static int stdin_saved_flags = -1;
static bool stdio_atexit_registered;

static void chr_start_reading(Chardev *chr);
static void chr_stop_reading(Chardev *chr);
static void chr_update_filename(Chardev *chr);

/* ---- option strings ---------------------------------------------------- */

/* An option of -chardev; `used` marks the ones the backend consumed. */
typedef KeyVal ChardevOpt;

typedef struct ChardevConfig {
    const char *ctx;           /* "chardev 'id'" for messages */
    char *backend;
    char *id;
    GPtrArray *opts;           /* ChardevOpt* */
} ChardevConfig;

static ChardevOpt *config_get(ChardevConfig *cfg, const char *key)
{
    ChardevOpt *found = NULL;

    /* The last occurrence wins, as with QemuOpts; all are marked used. */
    for (guint i = 0; i < cfg->opts->len; i++) {
        ChardevOpt *o = g_ptr_array_index(cfg->opts, i);

        if (strcmp(o->key, key) == 0) {
            o->used = true;
            found = o;
        }
    }
    return found;
}

static bool config_get_string(ChardevConfig *cfg, const char *key, const char **out, GError **err)
{
    ChardevOpt *o = config_get(cfg, key);

    *out = NULL;
    if (!o) {
        return true;
    }
    if (!o->value || !*o->value) {
        g_set_error(err, IOEMU_ERROR, 0, "%s: option '%s' needs a value", cfg->ctx, key);
        return false;
    }
    *out = o->value;
    return true;
}

static bool parse_bool_value(const char *v, bool *out)
{
    static const char *const yes[] = { "on", "yes", "true", "y" };
    static const char *const no[] = { "off", "no", "false", "n" };

    for (size_t i = 0; i < G_N_ELEMENTS(yes); i++) {
        if (g_ascii_strcasecmp(v, yes[i]) == 0) {
            *out = true;
            return true;
        }
        if (g_ascii_strcasecmp(v, no[i]) == 0) {
            *out = false;
            return true;
        }
    }
    return false;
}

/*
 * A boolean option: "key=on|off", a bare "key" (= on) or QEMU's legacy
 * negation "nokey" (= off).  *out is left alone when absent.
 */
static bool config_get_bool(ChardevConfig *cfg, const char *key, bool *out, bool *present, GError **err)
{
    g_autofree char *nokey = g_strconcat("no", key, NULL);
    ChardevOpt *o = config_get(cfg, key);
    ChardevOpt *neg = config_get(cfg, nokey);

    if (present) {
        *present = o || neg;
    }
    if (neg) {
        if (neg->value) {
            g_set_error(err, IOEMU_ERROR, 0, "%s: option '%s' takes no value", cfg->ctx, nokey);
            return false;
        }
        *out = false;
    }
    if (o) {
        if (!o->value) {
            *out = true;
        } else if (!parse_bool_value(o->value, out)) {
            g_set_error(err, IOEMU_ERROR, 0, "%s: invalid value '%s' for option '%s' (expected on or off)",
                        cfg->ctx, o->value, key);
            return false;
        }
    }
    return true;
}

/* The error for an option the backend does not take; always false. */
static bool config_reject_option(const ChardevConfig *cfg, const ChardevOpt *o, GError **err)
{
    if (!*o->key) {
        g_set_error(err, IOEMU_ERROR, 0, "%s: empty option", cfg->ctx);
    } else {
        g_set_error(err, IOEMU_ERROR, 0, "%s: unknown option '%s' for backend '%s'",
                    cfg->ctx, o->key, cfg->backend);
    }
    return false;
}

/* Options nobody looked at are errors: they name the bad part. */
static bool config_check_all_used(ChardevConfig *cfg, GError **err)
{
    for (guint i = 0; i < cfg->opts->len; i++) {
        ChardevOpt *o = g_ptr_array_index(cfg->opts, i);

        if (!o->used) {
            return config_reject_option(cfg, o, err);
        }
    }
    return true;
}

/* QEMU's id rule: a letter, then letters, digits, '-', '.', '_'. */
static bool id_is_valid(const char *id)
{
    if (!g_ascii_isalpha(*id)) {
        return false;
    }
    for (const char *p = id; *p; p++) {
        if (!g_ascii_isalnum(*p) && *p != '-' && *p != '.' && *p != '_') {
            return false;
        }
    }
    return true;
}

/* ---- fd helpers -------------------------------------------------------- */

static void set_cloexec(int fd)
{
    int flags = fcntl(fd, F_GETFD);

    if (flags >= 0) {
        fcntl(fd, F_SETFD, flags | FD_CLOEXEC);
    }
}

static int set_nonblock(int fd, bool on)
{
    int flags = fcntl(fd, F_GETFL);

    if (flags < 0) {
        return -1;
    }
    return fcntl(fd, F_SETFL, on ? (flags | O_NONBLOCK) : (flags & ~O_NONBLOCK));
}

static void close_fd(int *fd)
{
    if (*fd >= 0) {
        close(*fd);
        *fd = -1;
    }
}

static void destroy_source(GSource **src)
{
    if (*src) {
        g_source_destroy(*src);
        g_source_unref(*src);
        *src = NULL;
    }
}

static GSource *add_fd_watch(int fd, GIOCondition cond, GUnixFDSourceFunc fn, Chardev *chr)
{
    GSource *src = g_unix_fd_source_new(fd, cond);

    g_source_set_callback(src, (GSourceFunc)(void (*)(void))fn, chr, NULL);
    g_source_attach(src, NULL);
    return src;
}

/* ---- events and connection state ----------------------------------------- */

static void chr_event(Chardev *chr, ChrEvent ev)
{
    if (chr->have_handlers && chr->handlers.event) {
        chr->handlers.event(chr->opaque, ev);
    }
}

bool chardev_connected(const Chardev *chr)
{
    if (chr->kind == CHR_KIND_SOCKET) {
        return chr->out_fd >= 0;
    }
    return true;
}

static gboolean listen_ready(gint fd, GIOCondition cond, gpointer opaque);

static void chr_watch_listener(Chardev *chr)
{
    if (chr->listen_fd >= 0 && !chr->listen_src) {
        chr->listen_src = add_fd_watch(chr->listen_fd, G_IO_IN, listen_ready, chr);
    }
}

static void chr_attach_connection(Chardev *chr, int fd)
{
    chr->in_fd = fd;
    chr->out_fd = fd;
    chr->out_is_socket = true;
    chr->in_is_unix = chr->is_unix;
    chr->input_eof = false;
    chr->stalled = false;
    destroy_source(&chr->listen_src);
    chr_update_filename(chr);
    chr_start_reading(chr);
    chr_event(chr, CHR_EVENT_OPENED);
}

/* The peer went away (EOF, reset, EPIPE): forget it and, as a server, wait for the next one. */
static void chr_disconnect(Chardev *chr)
{
    int fd = chr->in_fd;

    if (chr->kind != CHR_KIND_SOCKET || fd < 0) {
        return;
    }
    chr_stop_reading(chr);
    destroy_source(&chr->write_src);
    g_byte_array_set_size(chr->outbuf, 0);
    chr->in_fd = -1;
    chr->out_fd = -1;
    close(fd);
    /* An fd the old client passed but nobody claimed is not the next client's. */
    close_fd(&chr->received_fd);
    chr_update_filename(chr);
    chr_watch_listener(chr);
    chr_event(chr, CHR_EVENT_CLOSED);
}

static int accept_client(Chardev *chr)
{
    int fd;

    do {
        fd = accept4(chr->listen_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
    } while (fd < 0 && errno == EINTR);
    return fd;
}

static gboolean listen_ready(gint lfd, GIOCondition cond, gpointer opaque)
{
    Chardev *chr = opaque;
    int fd;

    if (chr->out_fd >= 0) {
        /* One client at a time; the listener should not be watched now. */
        destroy_source(&chr->listen_src);
        return G_SOURCE_REMOVE;
    }
    fd = accept_client(chr);
    if (fd < 0) {
        /* Spurious wakeup or the client gave up already: keep listening. */
        return G_SOURCE_CONTINUE;
    }
    if (chr->is_unix) {
        chr->in_is_unix = true;
    }
    /* chr_attach_connection destroys listen_src (our own source); that is fine during dispatch. */
    chr_attach_connection(chr, fd);
    return G_SOURCE_REMOVE;
}

/* ---- input -------------------------------------------------------------- */

static void stash_received_fds(Chardev *chr, struct msghdr *msg)
{
    for (struct cmsghdr *c = CMSG_FIRSTHDR(msg); c; c = CMSG_NXTHDR(msg, c)) {
        size_t nfds;
        int *fds;

        if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS || c->cmsg_len < CMSG_LEN(0)) {
            continue;
        }
        nfds = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
        fds = (int *)CMSG_DATA(c);
        for (size_t i = 0; i < nfds; i++) {
            int fd;

            memcpy(&fd, &fds[i], sizeof(fd));
            /* Keep the newest: a client that sends several before using one meant the last. */
            close_fd(&chr->received_fd);
            chr->received_fd = fd;
        }
    }
}

static ssize_t chr_read_some(Chardev *chr, uint8_t *buf, size_t len)
{
    ssize_t n;

    if (chr->in_is_unix) {
        union {
            char buf[CMSG_SPACE(sizeof(int) * CHARDEV_MAX_RECV_FDS)];
            struct cmsghdr align;
        } control;
        struct iovec iov = { .iov_base = buf, .iov_len = len };
        struct msghdr msg = {
            .msg_iov = &iov,
            .msg_iovlen = 1,
            .msg_control = control.buf,
            .msg_controllen = sizeof(control.buf),
        };

        do {
            n = recvmsg(chr->in_fd, &msg, MSG_CMSG_CLOEXEC);
        } while (n < 0 && errno == EINTR);
        if (n >= 0) {
            stash_received_fds(chr, &msg);
            /* MSG_CTRUNC: some fds were dropped by the kernel; nothing to recover. */
        }
        return n;
    }
    do {
        n = read(chr->in_fd, buf, len);
    } while (n < 0 && errno == EINTR);
    return n;
}

static gboolean input_ready(gint fd, GIOCondition cond, gpointer opaque)
{
    Chardev *chr = opaque;
    GSource *self = chr->read_src;
    uint8_t buf[CHARDEV_READ_CHUNK];
    size_t want = sizeof(buf);
    ssize_t n;

    if (!chr->have_handlers || !chr->handlers.read) {
        chr_stop_reading(chr);
        return G_SOURCE_REMOVE;
    }
    if (chr->handlers.can_read) {
        want = MIN(want, chr->handlers.can_read(chr->opaque));
    }
    if (want == 0) {
        /* Frontend full: stop polling until it calls chardev_accept_input. */
        chr_stop_reading(chr);
        chr->read_paused = true;
        return G_SOURCE_REMOVE;
    }
    n = chr_read_some(chr, buf, want);
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
        return G_SOURCE_CONTINUE;
    }
    if (n <= 0) {
        if (chr->kind == CHR_KIND_SOCKET) {
            chr_disconnect(chr);
        } else {
            /* stdin closed, or a read error on a pty/pipe: nothing more will come. */
            chr_stop_reading(chr);
            chr->input_eof = true;
        }
        return G_SOURCE_REMOVE;
    }
    chr->handlers.read(chr->opaque, buf, n);
    /* The callback may have changed handlers or disconnected us. */
    return chr->read_src == self ? G_SOURCE_CONTINUE : G_SOURCE_REMOVE;
}

static void chr_start_reading(Chardev *chr)
{
    chr->read_paused = false;
    if (chr->read_src || chr->in_fd < 0 || chr->input_eof || !chr->have_handlers || !chr->handlers.read) {
        return;
    }
    chr->read_src = add_fd_watch(chr->in_fd, G_IO_IN, input_ready, chr);
}

static void chr_stop_reading(Chardev *chr)
{
    destroy_source(&chr->read_src);
}

void chardev_accept_input(Chardev *chr)
{
    if (chr && chr->read_paused) {
        chr_start_reading(chr);
    }
}

int chardev_take_received_fd(Chardev *chr)
{
    int fd = chr->received_fd;

    chr->received_fd = -1;
    return fd;
}

void chardev_set_handlers(Chardev *chr, const ChardevHandlers *h, void *opaque)
{
    chr_stop_reading(chr);
    chr->read_paused = false;
    if (h) {
        chr->handlers = *h;
        chr->have_handlers = true;
        chr->opaque = opaque;
    } else {
        memset(&chr->handlers, 0, sizeof(chr->handlers));
        chr->have_handlers = false;
        chr->opaque = NULL;
        return;
    }
    chr_start_reading(chr);
    /* As in QEMU, a frontend attaching to an open backend is told at once (monitor greeting). */
    if (chardev_connected(chr)) {
        chr_event(chr, CHR_EVENT_OPENED);
    }
}

/* ---- output ------------------------------------------------------------- */

/* Write without blocking as far as the peer allows.  Returns bytes written, or -1 on a hard error. */
static ssize_t chr_try_write(Chardev *chr, const uint8_t *buf, size_t len)
{
    size_t done = 0;

    while (done < len) {
        ssize_t n;

        if (chr->out_is_socket) {
            n = send(chr->out_fd, buf + done, len - done, MSG_NOSIGNAL);
        } else {
            n = write(chr->out_fd, buf + done, len - done);
        }
        if (n > 0) {
            done += n;
            continue;
        }
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            break;
        }
        return done ? (ssize_t)done : -1;
    }
    return done;
}

static gboolean output_ready(gint fd, GIOCondition cond, gpointer opaque);

/* Push queued output; false if the peer failed (caller decides what that means). */
static bool chr_flush_outbuf(Chardev *chr)
{
    ssize_t n;

    if (chr->outbuf->len == 0) {
        return true;
    }
    n = chr_try_write(chr, chr->outbuf->data, chr->outbuf->len);
    if (n < 0) {
        return false;
    }
    if (n > 0) {
        g_byte_array_remove_range(chr->outbuf, 0, n);
        chr->stalled = false;
    }
    return true;
}

static void chr_output_failed(Chardev *chr)
{
    if (chr->kind == CHR_KIND_SOCKET) {
        chr_disconnect(chr);
    } else {
        /* A closed stdout pipe or a full disk: stop writing rather than fail every byte. */
        int saved_errno = errno;

        destroy_source(&chr->write_src);
        g_byte_array_set_size(chr->outbuf, 0);
        g_printerr("ioemu: chardev '%s': write failed: %s; further output is discarded\n",
                   chr->id, g_strerror(saved_errno));
        chr->output_dead = true;
    }
}

static gboolean output_ready(gint fd, GIOCondition cond, gpointer opaque)
{
    Chardev *chr = opaque;

    if (!chr_flush_outbuf(chr)) {
        destroy_source(&chr->write_src);
        chr_output_failed(chr);
        return G_SOURCE_REMOVE;
    }
    if (chr->outbuf->len == 0) {
        destroy_source(&chr->write_src);
        return G_SOURCE_REMOVE;
    }
    return G_SOURCE_CONTINUE;
}

/* A slow peer: wait for it a short, bounded time (the caller holds the device lock). */
typedef enum { FLUSH_ROOM, FLUSH_TIMEOUT, FLUSH_FAILED } FlushResult;

static FlushResult chr_flush_blocking(Chardev *chr, size_t need_room)
{
    gint64 deadline = g_get_monotonic_time() + CHARDEV_WRITE_STALL_MS * 1000;

    while (CHARDEV_OUTBUF_MAX - chr->outbuf->len < need_room) {
        struct pollfd pfd = { .fd = chr->out_fd, .events = POLLOUT };
        gint64 left = deadline - g_get_monotonic_time();
        int r;

        if (left <= 0) {
            return FLUSH_TIMEOUT;
        }
        r = poll(&pfd, 1, (int)(left / 1000) + 1);
        if (r < 0 && errno != EINTR) {
            return FLUSH_FAILED;
        }
        if (r > 0 && !chr_flush_outbuf(chr)) {
            return FLUSH_FAILED;
        }
    }
    return FLUSH_ROOM;
}

static void ringbuf_put(Chardev *chr, const uint8_t *buf, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        chr->ring[chr->ring_prod++ & (chr->ring_size - 1)] = buf[i];
    }
    /* Like QEMU's ringbuf: the oldest bytes are overwritten. */
    if (chr->ring_prod - chr->ring_cons > chr->ring_size) {
        chr->ring_cons = chr->ring_prod - chr->ring_size;
    }
}

size_t chardev_ringbuf_read(Chardev *chr, uint8_t *buf, size_t len)
{
    size_t n = 0;

    if (chr->kind != CHR_KIND_RINGBUF) {
        return 0;
    }
    while (n < len && chr->ring_cons < chr->ring_prod) {
        buf[n++] = chr->ring[chr->ring_cons++ & (chr->ring_size - 1)];
    }
    return n;
}

ssize_t chardev_write(Chardev *chr, const uint8_t *buf, size_t len)
{
    size_t done = 0;
    size_t rest, room;

    if (chr->kind == CHR_KIND_NULL || len == 0) {
        return len;
    }
    if (chr->kind == CHR_KIND_RINGBUF) {
        ringbuf_put(chr, buf, len);
        return len;
    }
    if (chr->out_fd < 0 || chr->output_dead) {
        /* Disconnected socket (or a failed output): the bytes are discarded, as on a cut line. */
        return len;
    }
    if (chr->outbuf->len == 0) {
        ssize_t n = chr_try_write(chr, buf, len);

        if (n < 0) {
            bool sock = chr->kind == CHR_KIND_SOCKET;

            chr_output_failed(chr);
            return sock ? (ssize_t)len : -1;
        }
        done = n;
    }
    if (done == len) {
        return len;
    }

    rest = len - done;
    room = CHARDEV_OUTBUF_MAX - chr->outbuf->len;
    if (rest > room && !chr->stalled) {
        switch (chr_flush_blocking(chr, rest)) {
        case FLUSH_ROOM:
            break;
        case FLUSH_TIMEOUT:
            chr->stalled = true;
            break;
        case FLUSH_FAILED:
            chr_output_failed(chr);
            return chr->kind == CHR_KIND_SOCKET ? (ssize_t)len : -1;
        }
        room = CHARDEV_OUTBUF_MAX - chr->outbuf->len;
    }
    rest = MIN(rest, room);
    g_byte_array_append(chr->outbuf, buf + done, rest);
    done += rest;
    if (chr->outbuf->len && !chr->write_src) {
        chr->write_src = add_fd_watch(chr->out_fd, G_IO_OUT, output_ready, chr);
    }
    return done;
}

/* ---- backends ------------------------------------------------------------ */

static void chr_update_filename(Chardev *chr)
{
    g_autofree char *base = NULL;

    switch (chr->kind) {
    case CHR_KIND_SOCKET:
        if (chr->is_unix) {
            base = g_strdup_printf("unix:%s%s", chr->path ? chr->path : "", chr->is_server ? ",server=on" : "");
        } else if (chr->host || chr->port) {
            base = g_strdup_printf("tcp:%s:%s%s", chr->host ? chr->host : "", chr->port ? chr->port : "",
                                   chr->is_server ? ",server=on" : "");
        } else {
            base = g_strdup_printf("fd%s", chr->is_server ? ",server=on" : "");
        }
        g_free(chr->filename);
        chr->filename = chr->out_fd >= 0 ? g_strdup(base) : g_strconcat("disconnected:", base, NULL);
        break;
    default:
        break;
    }
}

static bool open_stdio(Chardev *chr, GError **err)
{
    struct stat st;

    if (stdio_in_use) {
        g_set_error(err, IOEMU_ERROR, 0, "chardev '%s': cannot use stdio by multiple character devices", chr->id);
        return false;
    }
    stdio_in_use = true;
    chr->out_fd = STDOUT_FILENO;
    chr->in_fd = -1;
    /*
     * Read stdin only when it is something that can have input pending
     * (a tty, pipe or socket); a regular file or /dev/null would either
     * be read to EOF at once or never matter.
     */
    if (fstat(STDIN_FILENO, &st) == 0 &&
        (S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode) || S_ISCHR(st.st_mode) || isatty(STDIN_FILENO))) {
        int flags = fcntl(STDIN_FILENO, F_GETFL);

        if (flags >= 0) {
            stdin_saved_flags = flags;
            if (!stdio_atexit_registered) {
                atexit(chardev_restore_stdio);
                stdio_atexit_registered = true;
            }
            set_nonblock(STDIN_FILENO, true);
            chr->in_fd = STDIN_FILENO;
        }
    }
    chr->filename = g_strdup("stdio");
    return true;
}

void chardev_restore_stdio(void)
{
    if (stdin_saved_flags >= 0) {
        fcntl(STDIN_FILENO, F_SETFL, stdin_saved_flags);
        stdin_saved_flags = -1;
    }
}

static bool open_file(Chardev *chr, const char *path, bool append, GError **err)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC | (append ? O_APPEND : O_TRUNC), 0666);

    if (fd < 0) {
        g_set_error(err, IOEMU_ERROR, 0, "chardev '%s': cannot open '%s': %s", chr->id, path, g_strerror(errno));
        return false;
    }
    chr->out_fd = fd;
    chr->filename = g_strdup_printf("file:%s", path);
    return true;
}

static bool open_pty(Chardev *chr, GError **err)
{
    int master, slave;
    char name[256];
    struct termios tio;

    if (openpty(&master, &slave, name, NULL, NULL) < 0) {
        g_set_error(err, IOEMU_ERROR, 0, "chardev '%s': openpty failed: %s", chr->id, g_strerror(errno));
        return false;
    }
    /* Raw: no echo of our own output back into us, no line editing, 8-bit clean. */
    if (tcgetattr(slave, &tio) == 0) {
        cfmakeraw(&tio);
        tcsetattr(slave, TCSAFLUSH, &tio);
    }
    set_cloexec(master);
    set_cloexec(slave);
    set_nonblock(master, true);
    chr->in_fd = master;
    chr->out_fd = master;
    chr->pty_slave_fd = slave;
    chr->filename = g_strdup_printf("pty:%s", name);
    /* The same line QEMU prints; scripts (and libvirt) look for it. */
    g_printerr("char device redirected to %s (label %s)\n", name, chr->id);
    return true;
}

static bool open_ringbuf(Chardev *chr, uint64_t size, GError **err)
{
    if (size == 0 || (size & (size - 1)) || size > (1u << 30)) {
        g_set_error(err, IOEMU_ERROR, 0, "chardev '%s': ringbuf size %" G_GUINT64_FORMAT
                    " must be a power of two up to 1 GiB", chr->id, size);
        return false;
    }
    chr->ring_size = size;
    chr->ring = g_malloc0(size);
    chr->filename = g_strdup("ringbuf");
    return true;
}

static bool make_unix_addr(Chardev *chr, const char *path, struct sockaddr_un *sa, GError **err)
{
    memset(sa, 0, sizeof(*sa));
    sa->sun_family = AF_UNIX;
    if (strlen(path) >= sizeof(sa->sun_path)) {
        g_set_error(err, IOEMU_ERROR, 0, "chardev '%s': unix socket path '%s' is too long (max %zu)",
                    chr->id, path, sizeof(sa->sun_path) - 1);
        return false;
    }
    strcpy(sa->sun_path, path);
    return true;
}

static bool unix_listen(Chardev *chr, GError **err)
{
    struct sockaddr_un sa;
    struct stat st;
    int fd;

    if (!make_unix_addr(chr, chr->path, &sa, err)) {
        return false;
    }
    /* A stale socket from an earlier run would make bind fail; anything that is not a socket we leave alone. */
    if (lstat(chr->path, &st) == 0 && S_ISSOCK(st.st_mode)) {
        unlink(chr->path);
    }
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, 8) < 0) {
        g_set_error(err, IOEMU_ERROR, 0, "chardev '%s': cannot listen on unix:%s: %s",
                    chr->id, chr->path, g_strerror(errno));
        if (fd >= 0) {
            close(fd);
        }
        return false;
    }
    chr->listen_fd = fd;
    chr->unlink_on_free = true;
    return true;
}

static int unix_connect(Chardev *chr, GError **err)
{
    struct sockaddr_un sa;
    int fd, r;

    if (!make_unix_addr(chr, chr->path, &sa, err)) {
        return -1;
    }
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        g_set_error(err, IOEMU_ERROR, 0, "chardev '%s': socket: %s", chr->id, g_strerror(errno));
        return -1;
    }
    do {
        r = connect(fd, (struct sockaddr *)&sa, sizeof(sa));
    } while (r < 0 && errno == EINTR);
    if (r < 0) {
        g_set_error(err, IOEMU_ERROR, 0, "chardev '%s': failed to connect to unix:%s: %s",
                    chr->id, chr->path, g_strerror(errno));
        close(fd);
        return -1;
    }
    set_nonblock(fd, true);
    return fd;
}

static int tcp_open(Chardev *chr, bool listening, GError **err)
{
    struct addrinfo hints = {
        .ai_family = AF_UNSPEC,
        .ai_socktype = SOCK_STREAM,
        .ai_flags = listening ? AI_PASSIVE : 0,
    };
    struct addrinfo *res = NULL;
    const char *host = chr->host && *chr->host ? chr->host : NULL;
    int fd = -1, saved_errno = 0, r;

    r = getaddrinfo(host ? host : (listening ? NULL : "localhost"), chr->port, &hints, &res);
    if (r != 0) {
        g_set_error(err, IOEMU_ERROR, 0, "chardev '%s': cannot resolve '%s:%s': %s",
                    chr->id, host ? host : "", chr->port, gai_strerror(r));
        return -1;
    }
    for (struct addrinfo *ai = res; ai; ai = ai->ai_next) {
        int one = 1;

        fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
        if (fd < 0) {
            saved_errno = errno;
            continue;
        }
        if (listening) {
            setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
            if (bind(fd, ai->ai_addr, ai->ai_addrlen) == 0 && listen(fd, 8) == 0) {
                break;
            }
        } else {
            do {
                r = connect(fd, ai->ai_addr, ai->ai_addrlen);
            } while (r < 0 && errno == EINTR);
            if (r == 0) {
                setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
                break;
            }
        }
        saved_errno = errno;
        close(fd);
        fd = -1;
    }
    freeaddrinfo(res);
    if (fd < 0) {
        g_set_error(err, IOEMU_ERROR, 0, "chardev '%s': cannot %s tcp:%s:%s: %s", chr->id,
                    listening ? "listen on" : "connect to", host ? host : "", chr->port,
                    g_strerror(saved_errno));
        return -1;
    }
    set_nonblock(fd, true);
    return fd;
}

/* A pre-opened socket handed to us (libxl passes its QMP listening socket this way). */
static bool adopt_socket_fd(Chardev *chr, int fd, bool server_given, bool server, GError **err)
{
    int type = 0, listening = 0;
    socklen_t len = sizeof(type);
    struct sockaddr_storage ss;
    socklen_t sslen = sizeof(ss);

    if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) < 0) {
        g_set_error(err, IOEMU_ERROR, 0, "chardev '%s': fd=%d is not a socket: %s", chr->id, fd, g_strerror(errno));
        return false;
    }
    if (type != SOCK_STREAM) {
        g_set_error(err, IOEMU_ERROR, 0, "chardev '%s': fd=%d is not a stream socket", chr->id, fd);
        return false;
    }
    len = sizeof(listening);
    if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &len) < 0) {
        listening = 0;
    }
    if (server_given && server != !!listening) {
        g_set_error(err, IOEMU_ERROR, 0, "chardev '%s': fd=%d is %sa listening socket but server=%s was given",
                    chr->id, fd, listening ? "" : "not ", server ? "on" : "off");
        return false;
    }
    if (getsockname(fd, (struct sockaddr *)&ss, &sslen) == 0 && ss.ss_family == AF_UNIX) {
        struct sockaddr_un *sun = (struct sockaddr_un *)&ss;

        chr->is_unix = true;
        if (sslen > offsetof(struct sockaddr_un, sun_path) && sun->sun_path[0]) {
            chr->path = g_strndup(sun->sun_path, sslen - offsetof(struct sockaddr_un, sun_path));
        }
    }
    set_cloexec(fd);
    set_nonblock(fd, true);
    chr->is_server = listening;
    if (listening) {
        chr->listen_fd = fd;
    } else {
        chr->in_fd = chr->out_fd = fd;
        chr->out_is_socket = true;
        chr->in_is_unix = chr->is_unix;
    }
    return true;
}

/* wait=on: block until the first client connects (start-up only). */
static bool wait_for_client(Chardev *chr, GError **err)
{
    int fd;

    chr_update_filename(chr);
    g_printerr("ioemu: waiting for connection on: %s\n", chr->filename);
    for (;;) {
        struct pollfd pfd = { .fd = chr->listen_fd, .events = POLLIN };

        if (poll(&pfd, 1, -1) < 0 && errno != EINTR) {
            break;
        }
        fd = accept_client(chr);
        if (fd >= 0) {
            chr->in_fd = chr->out_fd = fd;
            chr->out_is_socket = true;
            chr->in_is_unix = chr->is_unix;
            return true;
        }
        if (errno != EAGAIN && errno != EWOULDBLOCK && errno != ECONNABORTED) {
            break;
        }
    }
    g_set_error(err, IOEMU_ERROR, 0, "chardev '%s': accept failed: %s", chr->id, g_strerror(errno));
    return false;
}

static bool open_socket(Chardev *chr, ChardevConfig *cfg, GError **err)
{
    const char *path, *host, *port, *fdstr;
    bool server = false, server_given = false, wait = true, nodelay = false;

    if (!config_get_string(cfg, "path", &path, err) || !config_get_string(cfg, "host", &host, err) ||
        !config_get_string(cfg, "port", &port, err) || !config_get_string(cfg, "fd", &fdstr, err) ||
        !config_get_bool(cfg, "server", &server, &server_given, err) ||
        !config_get_bool(cfg, "wait", &wait, NULL, err) ||
        !config_get_bool(cfg, "delay", &nodelay, NULL, err)) {
        return false;
    }
    /* "nodelay"/"delay" only matter for tcp latency; accepted for compatibility. */
    if (!!path + !!(host || port) + !!fdstr != 1) {
        g_set_error(err, IOEMU_ERROR, 0, "chardev '%s': socket needs exactly one of path=, host=/port= or fd=",
                    chr->id);
        return false;
    }
    chr->kind = CHR_KIND_SOCKET;
    if (fdstr) {
        uint64_t fd;

        if (!keyval_parse_uint(fdstr, INT32_MAX, &fd)) {
            g_set_error(err, IOEMU_ERROR, 0, "chardev '%s': invalid fd '%s'", chr->id, fdstr);
            return false;
        }
        if (!adopt_socket_fd(chr, fd, server_given, server, err)) {
            return false;
        }
        server = chr->is_server;
        /* A listening fd from libxl is never waited on: the daemon must start. */
        if (server && !config_get(cfg, "wait")) {
            wait = false;
        }
    } else if (path) {
        chr->is_unix = true;
        chr->is_server = server;
        chr->path = g_strdup(path);
        if (server) {
            if (!unix_listen(chr, err)) {
                return false;
            }
        } else {
            int fd = unix_connect(chr, err);

            if (fd < 0) {
                return false;
            }
            chr->in_fd = chr->out_fd = fd;
            chr->out_is_socket = true;
            chr->in_is_unix = true;
        }
    } else {
        if (!port) {
            g_set_error(err, IOEMU_ERROR, 0, "chardev '%s': tcp socket needs port=", chr->id);
            return false;
        }
        chr->host = g_strdup(host ? host : "");
        chr->port = g_strdup(port);
        chr->is_server = server;
        if (server) {
            int fd = tcp_open(chr, true, err);

            if (fd < 0) {
                return false;
            }
            chr->listen_fd = fd;
        } else {
            int fd = tcp_open(chr, false, err);

            if (fd < 0) {
                return false;
            }
            chr->in_fd = chr->out_fd = fd;
            chr->out_is_socket = true;
        }
    }
    if (chr->is_server && wait && !wait_for_client(chr, err)) {
        return false;
    }
    chr_update_filename(chr);
    if (chr->is_server && chr->out_fd < 0) {
        chr_watch_listener(chr);
    }
    return true;
}

static Chardev *chardev_alloc(const char *id)
{
    Chardev *chr = g_new0(Chardev, 1);

    chr->id = g_strdup(id);
    chr->in_fd = -1;
    chr->out_fd = -1;
    chr->listen_fd = -1;
    chr->received_fd = -1;
    chr->pty_slave_fd = -1;
    chr->outbuf = g_byte_array_new();
    return chr;
}

static void chardev_release(Chardev *chr)
{
    chr_stop_reading(chr);
    destroy_source(&chr->write_src);
    destroy_source(&chr->listen_src);
    if (chr->out_fd >= 0 && chr->outbuf->len && !chr->output_dead) {
        /* Last chance for queued output (a final QMP reply); do not wait for a slow peer. */
        chr_flush_outbuf(chr);
    }
    if (chr->kind == CHR_KIND_STDIO) {
        chardev_restore_stdio();
        stdio_in_use = false;
    } else {
        if (chr->in_fd >= 0 && chr->in_fd != chr->out_fd) {
            close(chr->in_fd);
        }
        if (chr->out_fd >= 0) {
            close(chr->out_fd);
        }
    }
    chr->in_fd = chr->out_fd = -1;
    close_fd(&chr->listen_fd);
    close_fd(&chr->received_fd);
    close_fd(&chr->pty_slave_fd);
    if (chr->unlink_on_free && chr->path) {
        unlink(chr->path);
    }
    g_byte_array_unref(chr->outbuf);
    g_free(chr->ring);
    g_free(chr->path);
    g_free(chr->host);
    g_free(chr->port);
    g_free(chr->filename);
    g_free(chr->id);
    g_free(chr);
}

static bool chardev_check_id(const char *id, GError **err)
{
    if (!id_is_valid(id)) {
        g_set_error(err, IOEMU_ERROR, 0, "chardev id '%s' is invalid: it must start with a letter and "
                    "contain only letters, digits, '-', '.' and '_'", id);
        return false;
    }
    if (chardev_registry && g_hash_table_contains(chardev_registry, id)) {
        g_set_error(err, IOEMU_ERROR, 0, "chardev id '%s' is already in use", id);
        return false;
    }
    return true;
}

static void chardev_register(Chardev *chr)
{
    if (!chardev_registry) {
        chardev_registry = g_hash_table_new(g_str_hash, g_str_equal);
    }
    g_hash_table_insert(chardev_registry, chr->id, chr);
}

/* The options each backend understands ("no"-prefixed negations of booleans included). */
static const struct {
    const char *backend;
    const char *const keys[12];
} backend_options[] = {
    { "null",    { "id" } },
    { "stdio",   { "id", "signal", "nosignal" } },
    { "file",    { "id", "path", "append", "noappend" } },
    { "pty",     { "id" } },
    { "socket",  { "id", "path", "host", "port", "fd", "server", "noserver", "wait", "nowait",
                   "delay", "nodelay" } },
    { "ringbuf", { "id", "size" } },
    { "memory",  { "id", "size" } },
};

/* Reject unknown backends and options before anything is opened, bound or connected. */
static bool config_check_known(ChardevConfig *cfg, GError **err)
{
    for (size_t b = 0; b < G_N_ELEMENTS(backend_options); b++) {
        if (strcmp(backend_options[b].backend, cfg->backend) != 0) {
            continue;
        }
        for (guint i = 0; i < cfg->opts->len; i++) {
            ChardevOpt *o = g_ptr_array_index(cfg->opts, i);
            bool known = o->used;   /* the backend name itself */

            for (size_t k = 0; !known && k < G_N_ELEMENTS(backend_options[b].keys) && backend_options[b].keys[k]; k++) {
                known = strcmp(o->key, backend_options[b].keys[k]) == 0;
            }
            if (!known) {
                return config_reject_option(cfg, o, err);
            }
        }
        return true;
    }
    g_set_error(err, IOEMU_ERROR, 0, "%s: unknown or unsupported backend '%s'", cfg->ctx, cfg->backend);
    return false;
}

/* Open the backend a parsed configuration names; cfg->backend and cfg->id are set. */
static Chardev *chardev_open(ChardevConfig *cfg, GError **err)
{
    Chardev *chr;
    bool ok = false;

    if (!chardev_check_id(cfg->id, err) || !config_check_known(cfg, err)) {
        return NULL;
    }
    chr = chardev_alloc(cfg->id);
    if (strcmp(cfg->backend, "null") == 0) {
        chr->kind = CHR_KIND_NULL;
        chr->filename = g_strdup("null");
        ok = true;
    } else if (strcmp(cfg->backend, "stdio") == 0) {
        bool signal = true;

        /* signal=off only changes tty signal handling, which we leave to the terminal. */
        chr->kind = CHR_KIND_STDIO;
        ok = config_get_bool(cfg, "signal", &signal, NULL, err) && open_stdio(chr, err);
    } else if (strcmp(cfg->backend, "file") == 0) {
        const char *path;
        bool append = false;

        chr->kind = CHR_KIND_FILE;
        ok = config_get_string(cfg, "path", &path, err) && config_get_bool(cfg, "append", &append, NULL, err);
        if (ok && !path) {
            g_set_error(err, IOEMU_ERROR, 0, "chardev '%s': file backend needs path=", cfg->id);
            ok = false;
        }
        ok = ok && open_file(chr, path, append, err);
    } else if (strcmp(cfg->backend, "pty") == 0) {
        chr->kind = CHR_KIND_PTY;
        ok = open_pty(chr, err);
    } else if (strcmp(cfg->backend, "socket") == 0) {
        ok = open_socket(chr, cfg, err);
    } else if (strcmp(cfg->backend, "ringbuf") == 0 || strcmp(cfg->backend, "memory") == 0) {
        const char *sizestr;
        uint64_t size = RINGBUF_DEFAULT_SIZE;

        chr->kind = CHR_KIND_RINGBUF;
        ok = config_get_string(cfg, "size", &sizestr, err);
        if (ok && sizestr && !keyval_parse_uint(sizestr, UINT32_MAX, &size)) {
            g_set_error(err, IOEMU_ERROR, 0, "chardev '%s': invalid ringbuf size '%s'", cfg->id, sizestr);
            ok = false;
        }
        ok = ok && open_ringbuf(chr, size, err);
    } else {
        g_set_error(err, IOEMU_ERROR, 0, "%s: unknown or unsupported backend '%s'", cfg->ctx, cfg->backend);
    }
    if (ok && !config_check_all_used(cfg, err)) {
        ok = false;
    }
    if (!ok) {
        /* Nothing was delivered to a frontend yet; a server socket we bound is unlinked again. */
        chardev_release(chr);
        return NULL;
    }
    chardev_register(chr);
    return chr;
}

static void config_clear(ChardevConfig *cfg)
{
    g_free(cfg->backend);
    g_free(cfg->id);
    if (cfg->opts) {
        g_ptr_array_unref(cfg->opts);
    }
}

Chardev *chardev_new_from_opts(const char *opts, GError **err)
{
    ChardevConfig cfg = { 0 };
    g_autofree char *ctx = NULL;
    ChardevOpt *first, *id;
    Chardev *chr = NULL;

    cfg.opts = keyval_split(opts, NULL);
    first = g_ptr_array_index(cfg.opts, 0);
    if (first->value || !*first->key) {
        g_set_error(err, IOEMU_ERROR, 0, "-chardev '%s': the first part must be a backend name", opts);
        goto out;
    }
    first->used = true;
    cfg.backend = g_strdup(first->key);
    id = config_get(&cfg, "id");
    if (!id || !id->value || !*id->value) {
        g_set_error(err, IOEMU_ERROR, 0, "-chardev '%s': missing id=", opts);
        goto out;
    }
    cfg.id = g_strdup(id->value);
    ctx = g_strdup_printf("chardev '%s'", cfg.id);
    cfg.ctx = ctx;
    chr = chardev_open(&cfg, err);
out:
    config_clear(&cfg);
    return chr;
}

static unsigned chardev_anon_counter;

Chardev *chardev_new_from_spec(const char *id, const char *spec, GError **err)
{
    ChardevConfig cfg = { 0 };
    g_autofree char *auto_id = NULL;
    g_autofree char *ctx = NULL;
    Chardev *chr = NULL;

    if (!id) {
        /* The short forms are anonymous in QEMU too; give them a name for query-chardev. */
        do {
            g_free(auto_id);
            auto_id = g_strdup_printf("compat_chardev%u", chardev_anon_counter++);
        } while (chardev_find(auto_id));
        id = auto_id;
    }
    cfg.id = g_strdup(id);
    ctx = g_strdup_printf("chardev '%s'", id);
    cfg.ctx = ctx;

    if (strcmp(spec, "null") == 0 || strcmp(spec, "stdio") == 0 || strcmp(spec, "pty") == 0) {
        cfg.backend = g_strdup(spec);
        cfg.opts = g_ptr_array_new_with_free_func(keyval_free);
    } else if (g_str_has_prefix(spec, "file:")) {
        ChardevOpt *o;

        if (!spec[5]) {
            g_set_error(err, IOEMU_ERROR, 0, "%s: '%s': missing file name", ctx, spec);
            goto out;
        }
        o = g_new0(ChardevOpt, 1);
        cfg.backend = g_strdup("file");
        cfg.opts = g_ptr_array_new_with_free_func(keyval_free);
        o->key = g_strdup("path");
        o->value = g_strdup(spec + 5);
        g_ptr_array_add(cfg.opts, o);
    } else if (g_str_has_prefix(spec, "unix:")) {
        ChardevOpt *path;

        cfg.backend = g_strdup("socket");
        cfg.opts = keyval_split(spec + 5, NULL);
        path = g_ptr_array_index(cfg.opts, 0);
        if (!*path->key || path->value) {
            g_set_error(err, IOEMU_ERROR, 0, "%s: '%s': missing socket path after 'unix:'", ctx, spec);
            goto out;
        }
        /* The first part is the path itself. */
        path->value = path->key;
        path->key = g_strdup("path");
    } else if (g_str_has_prefix(spec, "tcp:")) {
        ChardevOpt *addr, *o;
        char *colon;

        cfg.backend = g_strdup("socket");
        cfg.opts = keyval_split(spec + 4, NULL);
        addr = g_ptr_array_index(cfg.opts, 0);
        colon = strrchr(addr->key, ':');
        if (addr->value || !colon || !colon[1]) {
            g_set_error(err, IOEMU_ERROR, 0, "%s: '%s': expected tcp:[HOST]:PORT", ctx, spec);
            goto out;
        }
        o = g_new0(ChardevOpt, 1);
        o->key = g_strdup("port");
        o->value = g_strdup(colon + 1);
        g_ptr_array_add(cfg.opts, o);
        *colon = '\0';
        addr->value = addr->key;
        addr->key = g_strdup("host");
    } else {
        g_set_error(err, IOEMU_ERROR, 0, "%s: unknown character device '%s' (expected null, stdio, pty, "
                    "file:PATH, unix:PATH[,server=on][,wait=off] or tcp:[HOST]:PORT[,server=on][,wait=off])",
                    ctx, spec);
        goto out;
    }
    chr = chardev_open(&cfg, err);
out:
    config_clear(&cfg);
    return chr;
}

void chardev_free(Chardev *chr)
{
    if (!chr) {
        return;
    }
    if (chardev_registry && g_hash_table_lookup(chardev_registry, chr->id) == chr) {
        g_hash_table_remove(chardev_registry, chr->id);
    }
    chardev_release(chr);
}

Chardev *chardev_find(const char *id)
{
    return chardev_registry && id ? g_hash_table_lookup(chardev_registry, id) : NULL;
}

static gint compare_chardev_ids(gconstpointer a, gconstpointer b)
{
    const Chardev *ca = *(Chardev *const *)a;
    const Chardev *cb = *(Chardev *const *)b;

    return strcmp(ca->id, cb->id);
}

void chardev_foreach(void (*fn)(Chardev *chr, void *opaque), void *opaque)
{
    GHashTableIter it;
    gpointer value;
    g_autoptr(GPtrArray) all = g_ptr_array_new();

    if (!chardev_registry) {
        return;
    }
    g_hash_table_iter_init(&it, chardev_registry);
    while (g_hash_table_iter_next(&it, NULL, &value)) {
        g_ptr_array_add(all, value);
    }
    /* Stable order (by id) for query-chardev output. */
    g_ptr_array_sort(all, compare_chardev_ids);
    for (guint i = 0; i < all->len; i++) {
        fn(g_ptr_array_index(all, i), opaque);
    }
}

const char *chardev_id(const Chardev *chr)
{
    return chr->id;
}

const char *chardev_filename(const Chardev *chr)
{
    return chr->filename;
}

size_t chardev_inject_input(Chardev *chr, const uint8_t *buf, size_t len)
{
    size_t n = len;

    if (!chr->have_handlers || !chr->handlers.read) {
        return 0;
    }
    if (chr->handlers.can_read) {
        n = MIN(n, chr->handlers.can_read(chr->opaque));
    }
    if (n) {
        chr->handlers.read(chr->opaque, buf, n);
    }
    return n;
}
