/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The connection every replacement-library handle keeps to xensim
 * (protocol in tools/xensim/proto.h).  Compiled into each library with
 * hidden visibility: nothing here is exported.
 */
#ifndef TOOLS_XENSIM_LIB_CLIENT_H
#define TOOLS_XENSIM_LIB_CLIENT_H

#include <pthread.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <xentoollog.h>

#include "tools/xensim/proto.h"

#define XSIM_HIDDEN __attribute__((visibility("hidden")))

typedef struct XsimClient {
    int fd;
    uint32_t kind;
    pthread_mutex_t lock;               /* one request in flight per handle */
    struct xentoollog_logger *logger;   /* may be NULL: then stderr for errors */
    const char *lib;                    /* "xenevtchn", ... for messages */
} XsimClient;

/*
 * Connect to $XENSIM_SOCKET and say HELLO.  Up to max_fds descriptors the
 * simulator hands over are stored in fds[] (-1 when absent).  cloexec selects
 * SOCK_CLOEXEC / MSG_CMSG_CLOEXEC.  Returns 0, or -1 with errno set and a
 * message logged.
 */
XSIM_HIDDEN int xsim_client_open(XsimClient *c, uint32_t kind, unsigned open_flags,
                                 int cloexec, int *fds, int max_fds);
XSIM_HIDDEN void xsim_client_close(XsimClient *c);

/*
 * One request/response.  The request is hdr + arg[arg_len] + extra[extra_len];
 * the response payload (up to out_cap bytes) goes to out, its length to
 * *out_len (may be NULL).  Returns rc >= 0, or -1 with errno set (from the
 * simulator's -errno, or from the transport: EIO if the simulator is gone).
 */
XSIM_HIDDEN int xsim_call(XsimClient *c, uint32_t op, uint32_t domid,
                          const void *arg, size_t arg_len,
                          const void *extra, size_t extra_len,
                          void *out, size_t out_cap, size_t *out_len);

/* A request that gets no answer (event channel notify/unmask: the hot path). */
XSIM_HIDDEN int xsim_send_noreply(XsimClient *c, uint32_t op, uint32_t domid,
                                  const void *arg, size_t arg_len);

/* Log through the handle's logger (or stderr when it has none). */
XSIM_HIDDEN void xsim_log(XsimClient *c, xentoollog_level level, int errnoval,
                          const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* Report a function xensim does not implement: logs once per name, sets errno. */
XSIM_HIDDEN void xsim_unimplemented(const char *lib, const char *func);

/* mmap the pool pages of a map answer into [base, base + nr pages). */
XSIM_HIDDEN int xsim_map_pool_pages(int pool_fd, void *base, int prot,
                                    const int64_t *pages, size_t nr, int *err);

#endif
