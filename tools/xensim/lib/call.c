/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libxencall.so.1 for xensim.  Raw hypercalls have no simulated meaning:
 * a handle can be opened (libxenctrl and others open one eagerly) and
 * hypercall buffers allocated, but every hypercall fails with ENOSYS.
 */
#include <errno.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <xencall.h>

#include "tools/xensim/lib/client.h"

struct xencall_handle {
    XsimClient client;
};

xencall_handle *xencall_open(struct xentoollog_logger *logger, unsigned open_flags)
{
    xencall_handle *xcall = calloc(1, sizeof(*xcall));

    if (!xcall) {
        return NULL;
    }
    xcall->client.logger = logger;
    xcall->client.lib = "xencall";
    if (xsim_client_open(&xcall->client, XSIM_KIND_CALL, open_flags, 1, NULL, 0) < 0) {
        int saved = errno;

        free(xcall);
        errno = saved;
        return NULL;
    }
    return xcall;
}

int xencall_close(xencall_handle *xcall)
{
    if (xcall) {
        xsim_client_close(&xcall->client);
        free(xcall);
    }
    return 0;
}

int xencall_fd(xencall_handle *xcall)
{
    return xcall->client.fd;
}

static int no_hypercall(const char *name)
{
    xsim_unimplemented("xencall", name);
    return -1;
}

int xencall0(xencall_handle *xcall, unsigned int op)
{
    return no_hypercall(__func__);
}

int xencall1(xencall_handle *xcall, unsigned int op, uint64_t arg1)
{
    return no_hypercall(__func__);
}

int xencall2(xencall_handle *xcall, unsigned int op, uint64_t arg1, uint64_t arg2)
{
    return no_hypercall(__func__);
}

long xencall2L(xencall_handle *xcall, unsigned int op, uint64_t arg1, uint64_t arg2)
{
    return no_hypercall(__func__);
}

int xencall3(xencall_handle *xcall, unsigned int op, uint64_t arg1, uint64_t arg2,
             uint64_t arg3)
{
    return no_hypercall(__func__);
}

int xencall4(xencall_handle *xcall, unsigned int op, uint64_t arg1, uint64_t arg2,
             uint64_t arg3, uint64_t arg4)
{
    return no_hypercall(__func__);
}

int xencall5(xencall_handle *xcall, unsigned int op, uint64_t arg1, uint64_t arg2,
             uint64_t arg3, uint64_t arg4, uint64_t arg5)
{
    return no_hypercall(__func__);
}

void *xencall_alloc_buffer_pages(xencall_handle *xcall, size_t nr_pages)
{
    void *p = mmap(NULL, nr_pages << XSIM_PAGE_SHIFT, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

    return p == MAP_FAILED ? NULL : p;
}

void xencall_free_buffer_pages(xencall_handle *xcall, void *p, size_t nr_pages)
{
    if (p) {
        munmap(p, nr_pages << XSIM_PAGE_SHIFT);
    }
}

void *xencall_alloc_buffer(xencall_handle *xcall, size_t size)
{
    return calloc(1, size ? size : 1);
}

void xencall_free_buffer(xencall_handle *xcall, void *p)
{
    free(p);
}

int xencall_buffers_never_fault(xencall_handle *xcall)
{
    return 0;
}
