/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libxengnttab.so.1 for xensim.  The guest's grant table lives in xensim
 * (tests fill it with `xensim_grant` qtest commands, standing in for a PV
 * frontend); mapping a grant reference is a mmap() of the granted guest
 * frame out of xensim's page pool.  Grant copy is done through temporary
 * mappings.  Granting our own pages to another domain (xengntshr) and the
 * dma-buf calls are not simulated.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <xengnttab.h>
#include <xen/sys/gntdev.h>

#include "tools/xensim/lib/client.h"
#include "tools/xensim/lib/toolcore.h"

struct unmap_notify {
    struct unmap_notify *next;
    void *addr;
    uint32_t offset;        /* -1: none */
    evtchn_port_t port;     /* -1: none */
};

struct xengntdev_handle {
    XsimClient client;
    int pool_fd;
    Xentoolcore__Active_Handle tc_ah;
    pthread_mutex_t notify_lock;
    struct unmap_notify *notifies;
};

static int gnttab_restrict_cb(Xentoolcore__Active_Handle *ah, domid_t domid)
{
    xengnttab_handle *xgt = (void *)((char *)ah - offsetof(xengnttab_handle, tc_ah));

    return xsim_call(&xgt->client, XSIM_OP_RESTRICT, domid, NULL, 0, NULL, 0, NULL, 0, NULL)
           < 0 ? -1 : 0;
}

xengnttab_handle *xengnttab_open(struct xentoollog_logger *logger, unsigned open_flags)
{
    xengnttab_handle *xgt = calloc(1, sizeof(*xgt));
    int fds[1];

    if (!xgt) {
        return NULL;
    }
    xgt->client.logger = logger;
    xgt->client.lib = "xengnttab";
    if (xsim_client_open(&xgt->client, XSIM_KIND_GNTTAB, open_flags, 1, fds, 1) < 0) {
        int saved = errno;

        free(xgt);
        errno = saved;
        return NULL;
    }
    if (fds[0] < 0) {
        xsim_client_close(&xgt->client);
        free(xgt);
        errno = EPROTO;
        return NULL;
    }
    xgt->pool_fd = fds[0];
    pthread_mutex_init(&xgt->notify_lock, NULL);
    xgt->tc_ah.restrict_callback = gnttab_restrict_cb;
    xentoolcore__register_active_handle(&xgt->tc_ah);
    return xgt;
}

int xengnttab_close(xengnttab_handle *xgt)
{
    struct unmap_notify *n;

    if (!xgt) {
        return 0;
    }
    xentoolcore__deregister_active_handle(&xgt->tc_ah);
    while ((n = xgt->notifies)) {
        xgt->notifies = n->next;
        free(n);
    }
    xsim_client_close(&xgt->client);
    close(xgt->pool_fd);
    pthread_mutex_destroy(&xgt->notify_lock);
    free(xgt);
    return 0;
}

int xengnttab_fd(xengnttab_handle *xgt)
{
    return xgt->client.fd;
}

void *xengnttab_map_grant_refs(xengnttab_handle *xgt, uint32_t count, uint32_t *domids,
                               uint32_t *refs, int prot)
{
    struct xsim_gnt_map_args a = { .count = count, .prot = (uint32_t)prot };
    struct xsim_gnt_ref *r;
    int64_t *pages;
    size_t got = 0;
    void *base = MAP_FAILED;
    uint32_t i;
    int saved;

    if (count == 0 || count > XSIM_MAP_BATCH) {
        errno = EINVAL;
        return NULL;
    }
    r = calloc(count, sizeof(*r));
    pages = calloc(count, sizeof(*pages));
    if (!r || !pages) {
        goto fail;
    }
    for (i = 0; i < count; i++) {
        r[i].domid = domids[i];
        r[i].ref = refs[i];
    }
    if (xsim_call(&xgt->client, XSIM_OP_GNTTAB_MAP, domids[0], &a, sizeof(a), r,
                  count * sizeof(*r), pages, count * sizeof(*pages), &got) < 0) {
        goto fail;
    }
    if (got != count * sizeof(*pages)) {
        errno = EPROTO;
        goto fail;
    }
    base = mmap(NULL, (size_t)count << XSIM_PAGE_SHIFT, PROT_NONE,
                MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (base == MAP_FAILED) {
        goto fail;
    }
    if (xsim_map_pool_pages(xgt->pool_fd, base, prot, pages, count, NULL) < 0) {
        goto fail;
    }
    free(r);
    free(pages);
    return base;

fail:
    saved = errno;
    if (base != MAP_FAILED) {
        munmap(base, (size_t)count << XSIM_PAGE_SHIFT);
    }
    free(r);
    free(pages);
    errno = saved;
    return NULL;
}

void *xengnttab_map_grant_ref(xengnttab_handle *xgt, uint32_t domid, uint32_t ref, int prot)
{
    return xengnttab_map_grant_refs(xgt, 1, &domid, &ref, prot);
}

void *xengnttab_map_domain_grant_refs(xengnttab_handle *xgt, uint32_t count, uint32_t domid,
                                      uint32_t *refs, int prot)
{
    uint32_t *domids;
    void *p;
    uint32_t i;

    if (count == 0) {
        errno = EINVAL;
        return NULL;
    }
    domids = calloc(count, sizeof(*domids));
    if (!domids) {
        return NULL;
    }
    for (i = 0; i < count; i++) {
        domids[i] = domid;
    }
    p = xengnttab_map_grant_refs(xgt, count, domids, refs, prot);
    free(domids);
    return p;
}

void *xengnttab_map_grant_ref_notify(xengnttab_handle *xgt, uint32_t domid, uint32_t ref,
                                     int prot, uint32_t notify_offset,
                                     evtchn_port_t notify_port)
{
    struct unmap_notify *n;
    void *p;

    if (notify_offset != (uint32_t)-1 && notify_offset >= XSIM_PAGE_SIZE) {
        errno = EINVAL;
        return NULL;
    }
    n = calloc(1, sizeof(*n));
    if (!n) {
        return NULL;
    }
    p = xengnttab_map_grant_ref(xgt, domid, ref, prot);
    if (!p) {
        free(n);
        return NULL;
    }
    n->addr = p;
    n->offset = notify_offset;
    n->port = notify_port;
    pthread_mutex_lock(&xgt->notify_lock);
    n->next = xgt->notifies;
    xgt->notifies = n;
    pthread_mutex_unlock(&xgt->notify_lock);
    return p;
}

int xengnttab_unmap(xengnttab_handle *xgt, void *start_address, uint32_t count)
{
    struct unmap_notify **pp, *n = NULL;

    if (!start_address || count == 0) {
        errno = EINVAL;
        return -1;
    }
    pthread_mutex_lock(&xgt->notify_lock);
    for (pp = &xgt->notifies; *pp; pp = &(*pp)->next) {
        if ((*pp)->addr == start_address) {
            n = *pp;
            *pp = n->next;
            break;
        }
    }
    pthread_mutex_unlock(&xgt->notify_lock);
    if (n) {
        /* gntdev's unmap notification: clear a byte, then kick a port. */
        if (n->offset != (uint32_t)-1) {
            ((volatile uint8_t *)start_address)[n->offset] = 0;
        }
        if (n->port != (evtchn_port_t)-1) {
            struct xsim_evtchn_args a = { .port = n->port };

            xsim_send_noreply(&xgt->client, XSIM_OP_EVTCHN_NOTIFY, 0, &a, sizeof(a));
        }
        free(n);
    }
    return munmap(start_address, (size_t)count << XSIM_PAGE_SHIFT);
}

int xengnttab_set_max_grants(xengnttab_handle *xgt, uint32_t nr_grants)
{
    struct xsim_u32_arg a = { .value = nr_grants };

    return xsim_call(&xgt->client, XSIM_OP_GNTTAB_SET_MAX, 0, &a, sizeof(a), NULL, 0,
                     NULL, 0, NULL) < 0 ? -1 : 0;
}

int xengnttab_grant_copy(xengnttab_handle *xgt, uint32_t count,
                         xengnttab_grant_copy_segment_t *segs)
{
    uint32_t i;

    for (i = 0; i < count; i++) {
        xengnttab_grant_copy_segment_t *seg = &segs[i];
        int src_foreign = !!(seg->flags & GNTCOPY_source_gref);
        int dst_foreign = !!(seg->flags & GNTCOPY_dest_gref);
        void *src_map = NULL, *dst_map = NULL;
        const uint8_t *src;
        uint8_t *dst;

        if ((src_foreign && seg->source.foreign.offset + (unsigned)seg->len > XSIM_PAGE_SIZE) ||
            (dst_foreign && seg->dest.foreign.offset + (unsigned)seg->len > XSIM_PAGE_SIZE)) {
            seg->status = GNTST_bad_copy_arg;
            continue;
        }
        if (src_foreign) {
            src_map = xengnttab_map_grant_ref(xgt, seg->source.foreign.domid,
                                              seg->source.foreign.ref, PROT_READ);
            if (!src_map) {
                seg->status = GNTST_bad_gntref;
                continue;
            }
            src = (const uint8_t *)src_map + seg->source.foreign.offset;
        } else {
            src = seg->source.virt;
        }
        if (dst_foreign) {
            dst_map = xengnttab_map_grant_ref(xgt, seg->dest.foreign.domid,
                                              seg->dest.foreign.ref, PROT_READ | PROT_WRITE);
            if (!dst_map) {
                seg->status = errno == EACCES ? GNTST_permission_denied : GNTST_bad_gntref;
                if (src_map) {
                    munmap(src_map, XSIM_PAGE_SIZE);
                }
                continue;
            }
            dst = (uint8_t *)dst_map + seg->dest.foreign.offset;
        } else {
            dst = seg->dest.virt;
        }
        memmove(dst, src, seg->len);
        seg->status = GNTST_okay;
        if (src_map) {
            munmap(src_map, XSIM_PAGE_SIZE);
        }
        if (dst_map) {
            munmap(dst_map, XSIM_PAGE_SIZE);
        }
    }
    return 0;
}

int xengnttab_dmabuf_exp_from_refs(xengnttab_handle *xgt, uint32_t domid, uint32_t flags,
                                   uint32_t count, const uint32_t *refs, uint32_t *fd)
{
    xsim_unimplemented("xengnttab", __func__);
    return -1;
}

int xengnttab_dmabuf_exp_wait_released(xengnttab_handle *xgt, uint32_t fd, uint32_t wait_to_ms)
{
    xsim_unimplemented("xengnttab", __func__);
    return -1;
}

int xengnttab_dmabuf_imp_to_refs(xengnttab_handle *xgt, uint32_t domid, uint32_t fd,
                                 uint32_t count, uint32_t *refs)
{
    xsim_unimplemented("xengnttab", __func__);
    return -1;
}

int xengnttab_dmabuf_imp_release(xengnttab_handle *xgt, uint32_t fd)
{
    xsim_unimplemented("xengnttab", __func__);
    return -1;
}

/* Sharing our own pages with another domain needs a guest to map them: not simulated. */
xengntshr_handle *xengntshr_open(struct xentoollog_logger *logger, unsigned open_flags)
{
    xsim_unimplemented("xengnttab", __func__);
    return NULL;
}

int xengntshr_close(xengntshr_handle *xgs)
{
    return 0;
}

int xengntshr_fd(xengntshr_handle *xgs)
{
    errno = EBADF;
    return -1;
}

void *xengntshr_share_pages(xengntshr_handle *xgs, uint32_t domid, int count, uint32_t *refs,
                            int writable)
{
    xsim_unimplemented("xengnttab", __func__);
    return NULL;
}

void *xengntshr_share_page_notify(xengntshr_handle *xgs, uint32_t domid, uint32_t *ref,
                                  int writable, uint32_t notify_offset,
                                  evtchn_port_t notify_port)
{
    xsim_unimplemented("xengnttab", __func__);
    return NULL;
}

int xengntshr_unshare(xengntshr_handle *xgs, void *start_address, uint32_t count)
{
    xsim_unimplemented("xengnttab", __func__);
    return -1;
}
