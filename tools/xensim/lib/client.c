/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Connection from a replacement-library handle to the xensim process.
 * See tools/xensim/proto.h for the protocol.
 */
#include "tools/xensim/lib/client.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#define XSIM_SOCKBUF (256 * 1024)

void xsim_log(XsimClient *c, xentoollog_level level, int errnoval, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    if (c && c->logger) {
        xtl_logv(c->logger, level, errnoval, c->lib, fmt, ap);
    } else if (level >= XTL_ERROR) {
        fprintf(stderr, "%s (xensim): ", c ? c->lib : "xen");
        vfprintf(stderr, fmt, ap);
        if (errnoval >= 0) {
            fprintf(stderr, ": %s", strerror(errnoval));
        }
        fputc('\n', stderr);
    }
    va_end(ap);
}

void xsim_unimplemented(const char *lib, const char *func)
{
    static const char *seen[128];
    static unsigned nseen;
    static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
    int first = 1;
    unsigned i;

    pthread_mutex_lock(&lock);
    for (i = 0; i < nseen; i++) {
        if (seen[i] == func) {
            first = 0;
            break;
        }
    }
    if (first && nseen < sizeof(seen) / sizeof(seen[0])) {
        seen[nseen++] = func;
    }
    pthread_mutex_unlock(&lock);
    if (first) {
        fprintf(stderr, "%s (xensim): %s is not implemented by xensim\n", lib, func);
    }
    errno = ENOSYS;
}

static int send_all_iov(int fd, struct iovec *iov, int iovcnt)
{
    struct msghdr msg = { .msg_iov = iov, .msg_iovlen = iovcnt };
    ssize_t r;

    do {
        r = sendmsg(fd, &msg, MSG_NOSIGNAL);
    } while (r < 0 && errno == EINTR);
    if (r < 0) {
        if (errno == EPIPE || errno == ECONNRESET || errno == ENOTCONN) {
            errno = EIO;
        }
        return -1;
    }
    return 0;
}

/* Receive one answer datagram; stores up to max_fds passed fds. */
static int recv_answer(int fd, struct xsim_rsp_hdr *rsp, void *out, size_t out_cap,
                       int *fds, int max_fds, int cloexec)
{
    union {
        struct cmsghdr align;
        char buf[CMSG_SPACE(sizeof(int) * 4)];
    } control;
    struct iovec iov[2] = {
        { .iov_base = rsp, .iov_len = sizeof(*rsp) },
        { .iov_base = out, .iov_len = out_cap },
    };
    struct msghdr msg = {
        .msg_iov = iov, .msg_iovlen = out ? 2 : 1,
        .msg_control = control.buf, .msg_controllen = sizeof(control.buf),
    };
    struct cmsghdr *cmsg;
    ssize_t r;
    int i;

    for (i = 0; i < max_fds; i++) {
        fds[i] = -1;
    }
    do {
        r = recvmsg(fd, &msg, cloexec ? MSG_CMSG_CLOEXEC : 0);
    } while (r < 0 && errno == EINTR);
    if (r < 0) {
        return -1;
    }
    if (r == 0) {
        errno = EIO;        /* the simulator went away */
        return -1;
    }
    for (cmsg = CMSG_FIRSTHDR(&msg); cmsg; cmsg = CMSG_NXTHDR(&msg, cmsg)) {
        if (cmsg->cmsg_level == SOL_SOCKET && cmsg->cmsg_type == SCM_RIGHTS) {
            int n = (cmsg->cmsg_len - CMSG_LEN(0)) / sizeof(int);
            int got[4];

            if (n > 4) {
                n = 4;
            }
            memcpy(got, CMSG_DATA(cmsg), n * sizeof(int));
            for (i = 0; i < n; i++) {
                if (i < max_fds) {
                    fds[i] = got[i];
                } else {
                    close(got[i]);
                }
            }
        }
    }
    if ((size_t)r < sizeof(*rsp) || (msg.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) ||
        rsp->len != (size_t)r - sizeof(*rsp)) {
        for (i = 0; i < max_fds; i++) {
            if (fds[i] >= 0) {
                close(fds[i]);
                fds[i] = -1;
            }
        }
        errno = EPROTO;
        return -1;
    }
    return 0;
}

int xsim_client_open(XsimClient *c, uint32_t kind, unsigned open_flags,
                     int cloexec, int *fds, int max_fds)
{
    const char *path = getenv(XENSIM_SOCKET_ENV);
    struct sockaddr_un addr = { .sun_family = AF_UNIX };
    struct xsim_req_hdr hdr = { .op = XSIM_OP_HELLO, .len = sizeof(struct xsim_hello) };
    struct xsim_hello hello = {
        .version = XENSIM_PROTO_VERSION, .kind = kind,
        .pid = (uint32_t)getpid(), .flags = open_flags,
    };
    struct iovec iov[2] = {
        { .iov_base = &hdr, .iov_len = sizeof(hdr) },
        { .iov_base = &hello, .iov_len = sizeof(hello) },
    };
    struct xsim_rsp_hdr rsp;
    int size = XSIM_SOCKBUF;
    int saved;

    c->fd = -1;
    c->kind = kind;
    pthread_mutex_init(&c->lock, NULL);
    if (!path || !*path) {
        xsim_log(c, XTL_ERROR, -1, "$%s is not set: this is xensim's replacement "
                 "library, the process must be started by xensim", XENSIM_SOCKET_ENV);
        errno = ENOENT;
        return -1;
    }
    if (strlen(path) >= sizeof(addr.sun_path)) {
        xsim_log(c, XTL_ERROR, -1, "$%s is too long for a unix socket path", XENSIM_SOCKET_ENV);
        errno = ENAMETOOLONG;
        return -1;
    }
    strcpy(addr.sun_path, path);
    c->fd = socket(AF_UNIX, SOCK_SEQPACKET | (cloexec ? SOCK_CLOEXEC : 0), 0);
    if (c->fd < 0) {
        goto fail;
    }
    setsockopt(c->fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof(size));
    setsockopt(c->fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
    if (connect(c->fd, (struct sockaddr *)&addr, sizeof(addr)) < 0) {
        goto fail;
    }
    if (send_all_iov(c->fd, iov, 2) < 0 ||
        recv_answer(c->fd, &rsp, NULL, 0, fds, max_fds, cloexec) < 0) {
        goto fail;
    }
    if (rsp.rc < 0) {
        errno = -rsp.rc;
        goto fail;
    }
    return 0;

fail:
    saved = errno;
    xsim_log(c, XTL_ERROR, saved, "cannot connect to xensim at %s", path);
    if (c->fd >= 0) {
        close(c->fd);
        c->fd = -1;
    }
    errno = saved;
    return -1;
}

void xsim_client_close(XsimClient *c)
{
    if (c->fd >= 0) {
        close(c->fd);
        c->fd = -1;
    }
    pthread_mutex_destroy(&c->lock);
}

int xsim_call(XsimClient *c, uint32_t op, uint32_t domid,
              const void *arg, size_t arg_len, const void *extra, size_t extra_len,
              void *out, size_t out_cap, size_t *out_len)
{
    struct xsim_req_hdr hdr = {
        .op = op, .domid = domid, .len = (uint32_t)(arg_len + extra_len),
    };
    struct iovec iov[3] = {
        { .iov_base = &hdr, .iov_len = sizeof(hdr) },
        { .iov_base = (void *)arg, .iov_len = arg_len },
        { .iov_base = (void *)extra, .iov_len = extra_len },
    };
    struct xsim_rsp_hdr rsp;
    int fds[1];
    int rc;

    if (sizeof(hdr) + arg_len + extra_len > XSIM_MAX_MSG) {
        errno = E2BIG;
        return -1;
    }
    pthread_mutex_lock(&c->lock);
    if (c->fd < 0) {
        pthread_mutex_unlock(&c->lock);
        errno = EBADF;
        return -1;
    }
    rc = send_all_iov(c->fd, iov, 3);
    if (rc == 0) {
        rc = recv_answer(c->fd, &rsp, out, out_cap, fds, 1, 1);
        if (rc == 0 && fds[0] >= 0) {
            close(fds[0]);
        }
    }
    pthread_mutex_unlock(&c->lock);
    if (rc < 0) {
        return -1;
    }
    if (out_len) {
        *out_len = rsp.len;
    }
    if (rsp.rc < 0) {
        errno = -rsp.rc;
        return -1;
    }
    return rsp.rc;
}

int xsim_send_noreply(XsimClient *c, uint32_t op, uint32_t domid,
                      const void *arg, size_t arg_len)
{
    struct xsim_req_hdr hdr = {
        .op = op, .flags = XSIM_F_NOREPLY, .domid = domid, .len = (uint32_t)arg_len,
    };
    struct iovec iov[2] = {
        { .iov_base = &hdr, .iov_len = sizeof(hdr) },
        { .iov_base = (void *)arg, .iov_len = arg_len },
    };
    int rc;

    pthread_mutex_lock(&c->lock);
    rc = c->fd < 0 ? (errno = EBADF, -1) : send_all_iov(c->fd, iov, 2);
    pthread_mutex_unlock(&c->lock);
    return rc;
}

int xsim_map_pool_pages(int pool_fd, void *base, int prot,
                        const int64_t *pages, size_t nr, int *err)
{
    size_t i = 0;

    while (i < nr) {
        size_t run = 1;

        if (pages[i] < 0) {
            if (err) {
                err[i] = (int)pages[i];
            }
            i++;
            continue;
        }
        /* Coalesce frames that are contiguous in the pool into one mmap. */
        while (i + run < nr && pages[i + run] == pages[i] + (int64_t)run) {
            run++;
        }
        if (mmap((char *)base + (i << XSIM_PAGE_SHIFT), run << XSIM_PAGE_SHIFT, prot,
                 MAP_SHARED | MAP_FIXED, pool_fd, (off_t)pages[i] << XSIM_PAGE_SHIFT)
            == MAP_FAILED) {
            return -1;
        }
        if (err) {
            memset(&err[i], 0, run * sizeof(int));
        }
        i += run;
    }
    return 0;
}
