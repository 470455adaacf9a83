/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libxenforeignmemory.so.1 for xensim.  Foreign mappings are mmap()s of
 * xensim's page pool (one memfd holding every guest frame): xensim resolves
 * each guest frame number through the simulated p2m and answers with a pool
 * page index, or with a negative errno per frame, as privcmd's
 * IOCTL_PRIVCMD_MMAPBATCH_V2 does.  Frames that fail stay inaccessible
 * (PROT_NONE), so touching them faults like an unmapped foreign page.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <xenforeignmemory.h>

#include "tools/xensim/lib/client.h"
#include "tools/xensim/lib/toolcore.h"

struct xenforeignmemory_handle {
    XsimClient client;
    int pool_fd;
    Xentoolcore__Active_Handle tc_ah;
};

struct xenforeignmemory_resource_handle {
    domid_t domid;
    unsigned int type;
    unsigned int id;
    unsigned long frame;
    unsigned long nr_frames;
    void *addr;
    int prot;
    int flags;
};

static int fmem_restrict_cb(Xentoolcore__Active_Handle *ah, domid_t domid)
{
    xenforeignmemory_handle *fmem =
        (void *)((char *)ah - offsetof(xenforeignmemory_handle, tc_ah));

    return xenforeignmemory_restrict(fmem, domid);
}

xenforeignmemory_handle *xenforeignmemory_open(struct xentoollog_logger *logger,
                                               unsigned open_flags)
{
    xenforeignmemory_handle *fmem = calloc(1, sizeof(*fmem));
    int fds[1];

    if (!fmem) {
        return NULL;
    }
    fmem->client.logger = logger;
    fmem->client.lib = "xenforeignmemory";
    if (xsim_client_open(&fmem->client, XSIM_KIND_FOREIGNMEMORY, open_flags, 1, fds, 1) < 0) {
        int saved = errno;

        free(fmem);
        errno = saved;
        return NULL;
    }
    if (fds[0] < 0) {
        xsim_log(&fmem->client, XTL_ERROR, -1, "xensim sent no memory pool descriptor");
        xsim_client_close(&fmem->client);
        free(fmem);
        errno = EPROTO;
        return NULL;
    }
    fmem->pool_fd = fds[0];
    fmem->tc_ah.restrict_callback = fmem_restrict_cb;
    xentoolcore__register_active_handle(&fmem->tc_ah);
    return fmem;
}

int xenforeignmemory_close(xenforeignmemory_handle *fmem)
{
    if (!fmem) {
        return 0;
    }
    xentoolcore__deregister_active_handle(&fmem->tc_ah);
    xsim_client_close(&fmem->client);
    close(fmem->pool_fd);
    free(fmem);
    return 0;
}

/* Reserve an inaccessible region of nr pages (at addr if MAP_FIXED in flags). */
static void *reserve(void *addr, size_t pages, int flags)
{
    void *p;

    if (pages == 0 || pages > (SIZE_MAX >> XSIM_PAGE_SHIFT)) {
        errno = EINVAL;
        return NULL;
    }
    p = mmap(addr, pages << XSIM_PAGE_SHIFT, PROT_NONE,
             MAP_PRIVATE | MAP_ANONYMOUS | (flags & MAP_FIXED), -1, 0);
    return p == MAP_FAILED ? NULL : p;
}

void *xenforeignmemory_map2(xenforeignmemory_handle *fmem, uint32_t dom, void *addr,
                            int prot, int flags, size_t pages,
                            const xen_pfn_t arr[/*pages*/], int err[/*pages*/])
{
    int64_t *answer;
    int *my_err = NULL;
    void *base;
    size_t done;
    int saved;

    if (!arr) {
        errno = EINVAL;
        return NULL;
    }
    if (!err) {
        /* Without an err[] any failing frame fails the whole call. */
        my_err = calloc(pages ? pages : 1, sizeof(int));
        if (!my_err) {
            return NULL;
        }
        err = my_err;
    }
    base = reserve(addr, pages, flags);
    if (!base) {
        free(my_err);
        return NULL;
    }
    answer = malloc(sizeof(int64_t) * (pages < XSIM_MAP_BATCH ? pages : XSIM_MAP_BATCH));
    if (!answer) {
        goto fail;
    }
    for (done = 0; done < pages;) {
        size_t n = pages - done < XSIM_MAP_BATCH ? pages - done : XSIM_MAP_BATCH;
        struct xsim_map_args a = { .nr = (uint32_t)n, .prot = (uint32_t)prot };
        uint64_t gfns[XSIM_MAP_BATCH];
        size_t got = 0;
        size_t i;

        for (i = 0; i < n; i++) {
            gfns[i] = arr[done + i];
        }
        if (xsim_call(&fmem->client, XSIM_OP_FMEM_MAP, dom, &a, sizeof(a), gfns,
                      n * sizeof(uint64_t), answer, n * sizeof(int64_t), &got) < 0) {
            goto fail;
        }
        if (got != n * sizeof(int64_t)) {
            errno = EPROTO;
            goto fail;
        }
        if (xsim_map_pool_pages(fmem->pool_fd, (char *)base + (done << XSIM_PAGE_SHIFT),
                                prot, answer, n, err + done) < 0) {
            goto fail;
        }
        done += n;
    }
    free(answer);
    if (my_err) {
        size_t i;

        for (i = 0; i < pages; i++) {
            if (my_err[i]) {
                munmap(base, pages << XSIM_PAGE_SHIFT);
                errno = -my_err[i];
                free(my_err);
                return NULL;
            }
        }
        free(my_err);
    }
    return base;

fail:
    saved = errno;
    free(answer);
    free(my_err);
    /* With MAP_FIXED the caller's range is gone either way, as with privcmd. */
    munmap(base, pages << XSIM_PAGE_SHIFT);
    errno = saved;
    return NULL;
}

void *xenforeignmemory_map(xenforeignmemory_handle *fmem, uint32_t dom, int prot,
                           size_t pages, const xen_pfn_t arr[/*pages*/], int err[/*pages*/])
{
    return xenforeignmemory_map2(fmem, dom, NULL, prot, 0, pages, arr, err);
}

int xenforeignmemory_unmap(xenforeignmemory_handle *fmem, void *addr, size_t pages)
{
    return munmap(addr, pages << XSIM_PAGE_SHIFT);
}

int xenforeignmemory_restrict(xenforeignmemory_handle *fmem, domid_t domid)
{
    int rc = xsim_call(&fmem->client, XSIM_OP_RESTRICT, domid, NULL, 0, NULL, 0, NULL, 0, NULL);

    return rc < 0 ? -1 : 0;
}

xenforeignmemory_resource_handle *xenforeignmemory_map_resource(
    xenforeignmemory_handle *fmem, domid_t domid, unsigned int type,
    unsigned int id, unsigned long frame, unsigned long nr_frames,
    void **paddr, int prot, int flags)
{
    struct xsim_resource_args a = { .type = type, .id = id, .frame = frame, .nr = nr_frames };
    xenforeignmemory_resource_handle *fres;
    int64_t *pages = NULL;
    size_t got = 0;
    void *base = NULL;
    int saved;

    /* As the real library: only the POSIX sharing flags are accepted. */
    if (flags & ~(MAP_SHARED | MAP_PRIVATE)) {
        errno = EINVAL;
        return NULL;
    }
    if (nr_frames == 0 || nr_frames > XSIM_MAP_BATCH) {
        errno = EINVAL;
        return NULL;
    }
    fres = calloc(1, sizeof(*fres));
    pages = calloc(nr_frames, sizeof(int64_t));
    if (!fres || !pages) {
        goto fail;
    }
    if (xsim_call(&fmem->client, XSIM_OP_FMEM_MAP_RESOURCE, domid, &a, sizeof(a), NULL, 0,
                  pages, nr_frames * sizeof(int64_t), &got) < 0) {
        goto fail;
    }
    if (got != nr_frames * sizeof(int64_t)) {
        errno = EPROTO;
        goto fail;
    }
    base = reserve(paddr ? *paddr : NULL, nr_frames, 0);
    if (!base) {
        goto fail;
    }
    if (xsim_map_pool_pages(fmem->pool_fd, base, prot, pages, nr_frames, NULL) < 0) {
        goto fail;
    }
    free(pages);
    fres->domid = domid;
    fres->type = type;
    fres->id = id;
    fres->frame = frame;
    fres->nr_frames = nr_frames;
    fres->addr = base;
    fres->prot = prot;
    fres->flags = flags;
    if (paddr) {
        *paddr = base;
    }
    return fres;

fail:
    saved = errno;
    if (base) {
        munmap(base, nr_frames << XSIM_PAGE_SHIFT);
    }
    free(pages);
    free(fres);
    errno = saved;
    return NULL;
}

int xenforeignmemory_unmap_resource(xenforeignmemory_handle *fmem,
                                    xenforeignmemory_resource_handle *fres)
{
    int rc = 0;

    if (fres) {
        rc = munmap(fres->addr, fres->nr_frames << XSIM_PAGE_SHIFT);
        free(fres);
    }
    return rc;
}

int xenforeignmemory_resource_size(xenforeignmemory_handle *fmem, domid_t domid,
                                   unsigned int type, unsigned int id, size_t *size)
{
    struct xsim_resource_args a = { .type = type, .id = id };
    int frames = xsim_call(&fmem->client, XSIM_OP_FMEM_RESOURCE_SIZE, domid, &a, sizeof(a),
                           NULL, 0, NULL, 0, NULL);

    if (frames < 0) {
        return -1;
    }
    *size = (size_t)frames << XSIM_PAGE_SHIFT;
    return 0;
}
