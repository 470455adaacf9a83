/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libxenctrl.so.4.17 for xensim: the part of libxc a device model uses
 * (domain info, pause/unpause/shutdown, HVM params, physmap population,
 * foreign mapping and the pre-4.8 compat wrappers around the split
 * libraries).  Every other exported function is a weak ENOSYS stub from
 * ctrl-stubs.c, so a binary linked against the real libxenctrl loads.
 */
#define XC_WANT_COMPAT_DEVICEMODEL_API
#define XC_WANT_COMPAT_EVTCHN_API
#define XC_WANT_COMPAT_GNTTAB_API
#define XC_WANT_COMPAT_MAP_FOREIGN_API
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <xencall.h>
#include <xenctrl.h>
#include <xenctrl_compat.h>
#include <xendevicemodel.h>
#include <xenevtchn.h>
#include <xenforeignmemory.h>
#include <xengnttab.h>

#include "tools/xensim/lib/client.h"

#define XSIM_XEN_MAJOR 4
#define XSIM_XEN_MINOR 17

struct xc_interface_core {
    XsimClient client;
    xentoollog_logger *logger;
    xentoollog_logger_stdiostream *own_logger;
    pthread_mutex_t lazy_lock;
    xencall_handle *xcall;
    xenforeignmemory_handle *fmem;
    xendevicemodel_handle *dmod;
    xc_error last_error;
};

/* Referenced by the HYPERCALL_BUFFER_NULL macro in xenctrl.h. */
xc_hypercall_buffer_t XC__HYPERCALL_BUFFER_NAME(HYPERCALL_BUFFER_NULL) = {
    .hbuf = NULL, .param_shadow = NULL, .dir = 0, .ubuf = NULL, .sz = 0,
};

static void set_error(xc_interface *xch, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void set_error(xc_interface *xch, int code, const char *fmt, ...)
{
    va_list ap;
    int saved = errno;

    xch->last_error.code = code;
    va_start(ap, fmt);
    vsnprintf(xch->last_error.message, sizeof(xch->last_error.message), fmt, ap);
    va_end(ap);
    errno = saved;
}

/* Result of a simulator call in libxc's convention: 0 or -1 + errno. */
static int call(xc_interface *xch, uint32_t op, uint32_t domid, const void *arg, size_t arg_len,
                const void *extra, size_t extra_len, void *out, size_t out_cap, size_t *out_len)
{
    int rc = xsim_call(&xch->client, op, domid, arg, arg_len, extra, extra_len,
                       out, out_cap, out_len);

    if (rc < 0) {
        set_error(xch, XC_INTERNAL_ERROR, "xensim op %u on domain %u: %s", op, domid,
                  strerror(errno));
    }
    return rc;
}

xc_interface *xc_interface_open(xentoollog_logger *logger, xentoollog_logger *dombuild_logger,
                                unsigned open_flags)
{
    xc_interface *xch = calloc(1, sizeof(*xch));
    int saved;

    if (!xch) {
        return NULL;
    }
    if (!logger) {
        /* As libxc: without a logger, errors go to stderr. */
        xch->own_logger = xtl_createlogger_stdiostream(stderr, XTL_PROGRESS, 0);
        logger = (xentoollog_logger *)xch->own_logger;
    }
    xch->logger = logger;
    xch->client.logger = logger;
    xch->client.lib = "xc";
    pthread_mutex_init(&xch->lazy_lock, NULL);
    if (xsim_client_open(&xch->client, XSIM_KIND_XC, open_flags, 1, NULL, 0) < 0) {
        saved = errno;
        if (xch->own_logger) {
            xtl_logger_destroy((xentoollog_logger *)xch->own_logger);
        }
        pthread_mutex_destroy(&xch->lazy_lock);
        free(xch);
        errno = saved;
        return NULL;
    }
    return xch;
}

int xc_interface_close(xc_interface *xch)
{
    if (!xch) {
        return 0;
    }
    if (xch->dmod) {
        xendevicemodel_close(xch->dmod);
    }
    if (xch->fmem) {
        xenforeignmemory_close(xch->fmem);
    }
    if (xch->xcall) {
        xencall_close(xch->xcall);
    }
    xsim_client_close(&xch->client);
    if (xch->own_logger) {
        xtl_logger_destroy((xentoollog_logger *)xch->own_logger);
    }
    pthread_mutex_destroy(&xch->lazy_lock);
    free(xch);
    return 0;
}

struct xencall_handle *xc_interface_xcall_handle(xc_interface *xch)
{
    pthread_mutex_lock(&xch->lazy_lock);
    if (!xch->xcall) {
        xch->xcall = xencall_open(xch->logger, 0);
    }
    pthread_mutex_unlock(&xch->lazy_lock);
    return xch->xcall;
}

struct xenforeignmemory_handle *xc_interface_fmem_handle(xc_interface *xch)
{
    pthread_mutex_lock(&xch->lazy_lock);
    if (!xch->fmem) {
        xch->fmem = xenforeignmemory_open(xch->logger, 0);
    }
    pthread_mutex_unlock(&xch->lazy_lock);
    return xch->fmem;
}

struct xendevicemodel_handle *xc_interface_dmod_handle(xc_interface *xch)
{
    pthread_mutex_lock(&xch->lazy_lock);
    if (!xch->dmod) {
        xch->dmod = xendevicemodel_open(xch->logger, 0);
    }
    pthread_mutex_unlock(&xch->lazy_lock);
    return xch->dmod;
}

const xc_error *xc_get_last_error(xc_interface *xch)
{
    return &xch->last_error;
}

void xc_clear_last_error(xc_interface *xch)
{
    xch->last_error.code = XC_ERROR_NONE;
    xch->last_error.message[0] = '\0';
}

const char *xc_error_code_to_desc(int code)
{
    switch (code) {
    case XC_ERROR_NONE:
        return "No error details";
    case XC_INTERNAL_ERROR:
        return "Internal error";
    case XC_INVALID_KERNEL:
        return "Invalid kernel";
    case XC_INVALID_PARAM:
        return "Invalid configuration";
    case XC_OUT_OF_MEMORY:
        return "Out of memory";
    }
    return "Unknown error code";
}

const char *xc_strerror(xc_interface *xch, int errcode)
{
    return strerror(errcode);
}

int xc_version(xc_interface *xch, int cmd, void *arg)
{
    switch (cmd) {
    case XENVER_version:
        return (XSIM_XEN_MAJOR << 16) | XSIM_XEN_MINOR;
    case XENVER_extraversion:
        snprintf(arg, sizeof(xen_extraversion_t), ".0-xensim");
        return 0;
    case XENVER_compile_info: {
        xen_compile_info_t *ci = arg;

        memset(ci, 0, sizeof(*ci));
        snprintf(ci->compiler, sizeof(ci->compiler), "xensim");
        snprintf(ci->compile_by, sizeof(ci->compile_by), "xensim");
        snprintf(ci->compile_domain, sizeof(ci->compile_domain), "ioemu");
        snprintf(ci->compile_date, sizeof(ci->compile_date), "simulated");
        return 0;
    }
    case XENVER_capabilities:
        snprintf(arg, sizeof(xen_capabilities_info_t),
                 "xen-3.0-x86_64 hvm-3.0-x86_32 hvm-3.0-x86_32p hvm-3.0-x86_64");
        return 0;
    case XENVER_changeset:
        snprintf(arg, sizeof(xen_changeset_info_t), "xensim");
        return 0;
    case XENVER_platform_parameters:
        ((xen_platform_parameters_t *)arg)->virt_start = 0xffff800000000000ULL;
        return 0;
    case XENVER_get_features: {
        xen_feature_info_t *fi = arg;

        fi->submap = 0;
        return 0;
    }
    case XENVER_pagesize:
        return XSIM_PAGE_SIZE;
    case XENVER_guest_handle:
        memset(arg, 0, sizeof(xen_domain_handle_t));
        return 0;
    case XENVER_commandline:
        snprintf(arg, sizeof(xen_commandline_t), "xensim");
        return 0;
    }
    errno = ENOSYS;
    return -1;
}

int xc_physinfo(xc_interface *xch, xc_physinfo_t *info)
{
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);

    memset(info, 0, sizeof(*info));
    info->threads_per_core = 1;
    info->cores_per_socket = cpus > 0 ? (uint32_t)cpus : 1;
    info->nr_cpus = info->cores_per_socket;
    info->max_cpu_id = info->nr_cpus - 1;
    info->nr_nodes = 1;
    info->cpu_khz = 2000000;
    info->capabilities = XEN_SYSCTL_PHYSCAP_hvm | XEN_SYSCTL_PHYSCAP_hap;
    info->total_pages = 1ULL << 20;
    info->free_pages = 1ULL << 19;
    info->max_mfn = (1ULL << 36) - 1;
    return 0;
}

int xc_get_max_cpus(xc_interface *xch)
{
    long cpus = sysconf(_SC_NPROCESSORS_CONF);

    return cpus > 0 ? (int)cpus : 1;
}

int xc_get_online_cpus(xc_interface *xch)
{
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);

    return cpus > 0 ? (int)cpus : 1;
}

static int get_dominfo(xc_interface *xch, uint32_t first, unsigned max, struct xsim_dominfo **out)
{
    struct xsim_getinfo_args a = { .first_domid = first, .max = max };
    size_t cap = sizeof(struct xsim_dominfo) * (max ? max : 1);
    size_t got = 0;
    int n;

    if (max > 1024) {
        a.max = max = 1024;
        cap = sizeof(struct xsim_dominfo) * max;
    }
    *out = malloc(cap);
    if (!*out) {
        return -1;
    }
    n = call(xch, XSIM_OP_DOMAIN_GETINFO, first, &a, sizeof(a), NULL, 0, *out, cap, &got);
    if (n >= 0 && (size_t)n * sizeof(struct xsim_dominfo) != got) {
        errno = EPROTO;
        n = -1;
    }
    if (n < 0) {
        free(*out);
        *out = NULL;
    }
    return n;
}

int xc_domain_getinfo(xc_interface *xch, uint32_t first_domid, unsigned int max_doms,
                      xc_dominfo_t *info)
{
    struct xsim_dominfo *di;
    int n = get_dominfo(xch, first_domid, max_doms, &di);
    int i;

    if (n < 0) {
        return -1;
    }
    for (i = 0; i < n; i++) {
        xc_dominfo_t *o = &info[i];

        memset(o, 0, sizeof(*o));
        o->domid = di[i].domid;
        o->dying = !!(di[i].flags & XSIM_DOMINFO_DYING);
        o->crashed = !!(di[i].flags & XSIM_DOMINFO_CRASHED);
        o->shutdown = !!(di[i].flags & XSIM_DOMINFO_SHUTDOWN);
        o->paused = !!(di[i].flags & XSIM_DOMINFO_PAUSED);
        o->blocked = !!(di[i].flags & XSIM_DOMINFO_BLOCKED);
        o->running = !!(di[i].flags & XSIM_DOMINFO_RUNNING);
        o->hvm = !!(di[i].flags & XSIM_DOMINFO_HVM);
        o->hap = !!(di[i].flags & XSIM_DOMINFO_HAP);
        o->shutdown_reason = di[i].shutdown_reason;
        o->nr_pages = di[i].tot_pages;
        o->max_memkb = di[i].max_pages * (XSIM_PAGE_SIZE / 1024);
        o->cpu_time = di[i].cpu_time_ns;
        o->nr_online_vcpus = di[i].online_vcpus;
        o->max_vcpu_id = di[i].max_vcpu_id;
        memcpy(o->handle, di[i].handle, sizeof(o->handle));
        o->gpaddr_bits = 52;
    }
    free(di);
    return n;
}

int xc_domain_getinfolist(xc_interface *xch, uint32_t first_domain, unsigned int max_domains,
                          xc_domaininfo_t *info)
{
    struct xsim_dominfo *di;
    int n = get_dominfo(xch, first_domain, max_domains, &di);
    int i;

    if (n < 0) {
        return -1;
    }
    for (i = 0; i < n; i++) {
        xc_domaininfo_t *o = &info[i];
        uint32_t f = 0;

        memset(o, 0, sizeof(*o));
        o->domain = (domid_t)di[i].domid;
        f |= (di[i].flags & XSIM_DOMINFO_DYING) ? XEN_DOMINF_dying : 0;
        f |= (di[i].flags & XSIM_DOMINFO_HVM) ? XEN_DOMINF_hvm_guest : 0;
        f |= (di[i].flags & XSIM_DOMINFO_SHUTDOWN) ? XEN_DOMINF_shutdown : 0;
        f |= (di[i].flags & XSIM_DOMINFO_PAUSED) ? XEN_DOMINF_paused : 0;
        f |= (di[i].flags & XSIM_DOMINFO_BLOCKED) ? XEN_DOMINF_blocked : 0;
        f |= (di[i].flags & XSIM_DOMINFO_RUNNING) ? XEN_DOMINF_running : 0;
        f |= (di[i].flags & XSIM_DOMINFO_HAP) ? XEN_DOMINF_hap : 0;
        f |= (di[i].shutdown_reason & XEN_DOMINF_shutdownmask) << XEN_DOMINF_shutdownshift;
        o->flags = f;
        o->tot_pages = di[i].tot_pages;
        o->max_pages = di[i].max_pages;
        o->cpu_time = di[i].cpu_time_ns;
        o->nr_online_vcpus = di[i].online_vcpus;
        o->max_vcpu_id = di[i].max_vcpu_id;
        memcpy(o->handle, di[i].handle, sizeof(o->handle));
        o->gpaddr_bits = 52;
    }
    free(di);
    return n;
}

static int simple_op(xc_interface *xch, uint32_t op, uint32_t domid, const void *arg, size_t len)
{
    return call(xch, op, domid, arg, len, NULL, 0, NULL, 0, NULL) < 0 ? -1 : 0;
}

int xc_domain_pause(xc_interface *xch, uint32_t domid)
{
    return simple_op(xch, XSIM_OP_DOMAIN_PAUSE, domid, NULL, 0);
}

int xc_domain_unpause(xc_interface *xch, uint32_t domid)
{
    return simple_op(xch, XSIM_OP_DOMAIN_UNPAUSE, domid, NULL, 0);
}

int xc_domain_destroy(xc_interface *xch, uint32_t domid)
{
    return simple_op(xch, XSIM_OP_DOMAIN_DESTROY, domid, NULL, 0);
}

int xc_domain_shutdown(xc_interface *xch, uint32_t domid, int reason)
{
    struct xsim_u32_arg a = { .value = (uint32_t)reason };

    return simple_op(xch, XSIM_OP_DOMAIN_SHUTDOWN, domid, &a, sizeof(a));
}

int xc_domain_max_vcpus(xc_interface *xch, uint32_t domid, unsigned int max)
{
    struct xsim_u32_arg a = { .value = max };

    return simple_op(xch, XSIM_OP_MAX_VCPUS, domid, &a, sizeof(a));
}

int xc_domain_setmaxmem(xc_interface *xch, uint32_t domid, uint64_t max_memkb)
{
    struct xsim_u64_arg a = { .value = max_memkb };

    return simple_op(xch, XSIM_OP_SET_MAX_MEM, domid, &a, sizeof(a));
}

int xc_domain_set_target(xc_interface *xch, uint32_t domid, uint32_t target)
{
    /* Privilege delegation has no meaning in the simulator. */
    return 0;
}

int xc_domain_get_guest_width(xc_interface *xch, uint32_t domid, unsigned int *guest_width)
{
    *guest_width = 8;
    return 0;
}

int xc_hvm_param_set(xc_interface *xch, uint32_t dom, uint32_t param, uint64_t value)
{
    struct xsim_param_args a = { .param = param, .value = value };

    return simple_op(xch, XSIM_OP_HVM_PARAM_SET, dom, &a, sizeof(a));
}

int xc_hvm_param_get(xc_interface *xch, uint32_t dom, uint32_t param, uint64_t *value)
{
    struct xsim_param_args a = { .param = param };
    uint64_t v = 0;
    size_t got = 0;

    if (call(xch, XSIM_OP_HVM_PARAM_GET, dom, &a, sizeof(a), NULL, 0, &v, sizeof(v), &got) < 0) {
        return -1;
    }
    if (got != sizeof(v)) {
        errno = EPROTO;
        return -1;
    }
    *value = v;
    return 0;
}

int xc_set_hvm_param(xc_interface *xch, uint32_t dom, int param, unsigned long value)
{
    return xc_hvm_param_set(xch, dom, param, value);
}

int xc_get_hvm_param(xc_interface *xch, uint32_t dom, int param, unsigned long *value)
{
    uint64_t v;
    int rc = xc_hvm_param_get(xch, dom, param, &v);

    if (rc == 0) {
        *value = (unsigned long)v;
    }
    return rc;
}

static int physmap_op(xc_interface *xch, uint32_t op, uint32_t domid, unsigned long nr,
                      unsigned int order, unsigned int flags, const xen_pfn_t *list)
{
    unsigned long done = 0;

    while (done < nr) {
        unsigned long n = nr - done < XSIM_MAP_BATCH ? nr - done : XSIM_MAP_BATCH;
        struct xsim_physmap_args a = { .nr = (uint32_t)n, .order = order, .flags = flags };
        uint64_t gfns[XSIM_MAP_BATCH];
        unsigned long i;
        int rc;

        for (i = 0; i < n; i++) {
            gfns[i] = list[done + i];
        }
        rc = call(xch, op, domid, &a, sizeof(a), gfns, n * sizeof(uint64_t), NULL, 0, NULL);
        if (rc < 0) {
            return done ? (int)done : -1;
        }
        done += (unsigned long)rc;
        if ((unsigned long)rc < n) {
            break;
        }
    }
    return (int)done;
}

int xc_domain_populate_physmap(xc_interface *xch, uint32_t domid, unsigned long nr_extents,
                               unsigned int extent_order, unsigned int mem_flags,
                               xen_pfn_t *extent_start)
{
    return physmap_op(xch, XSIM_OP_POPULATE_PHYSMAP, domid, nr_extents, extent_order,
                      mem_flags, extent_start);
}

int xc_domain_populate_physmap_exact(xc_interface *xch, uint32_t domid,
                                     unsigned long nr_extents, unsigned int extent_order,
                                     unsigned int mem_flags, xen_pfn_t *extent_start)
{
    int done = xc_domain_populate_physmap(xch, domid, nr_extents, extent_order, mem_flags,
                                          extent_start);

    if (done < 0) {
        return -1;
    }
    if ((unsigned long)done != nr_extents) {
        set_error(xch, XC_INTERNAL_ERROR, "populated only %d of %lu extents", done, nr_extents);
        errno = EBUSY;
        return -1;
    }
    return 0;
}

int xc_domain_decrease_reservation_exact(xc_interface *xch, uint32_t domid,
                                         unsigned long nr_extents, unsigned int extent_order,
                                         xen_pfn_t *extent_start)
{
    int done = physmap_op(xch, XSIM_OP_DECREASE_RESERVATION, domid, nr_extents, extent_order,
                          0, extent_start);

    if (done < 0) {
        return -1;
    }
    if ((unsigned long)done != nr_extents) {
        errno = EINVAL;
        return -1;
    }
    return 0;
}

int xc_domain_add_to_physmap(xc_interface *xch, uint32_t domid, unsigned int space,
                             unsigned long idx, xen_pfn_t gpfn)
{
    struct xsim_add_to_physmap_args a = { .space = space, .size = 1, .idx = idx, .gpfn = gpfn };

    return simple_op(xch, XSIM_OP_ADD_TO_PHYSMAP, domid, &a, sizeof(a));
}

int xc_domain_remove_from_physmap(xc_interface *xch, uint32_t domid, xen_pfn_t gpfn)
{
    struct xsim_add_to_physmap_args a = { .gpfn = gpfn };

    return simple_op(xch, XSIM_OP_REMOVE_FROM_PHYSMAP, domid, &a, sizeof(a));
}

int xc_domain_pin_memory_cacheattr(xc_interface *xch, uint32_t domid, uint64_t start,
                                   uint64_t end, uint32_t type)
{
    struct xsim_cacheattr_args a = { .start = start, .end = end, .type = type };

    return simple_op(xch, XSIM_OP_PIN_CACHEATTR, domid, &a, sizeof(a));
}

xc_evtchn_port_or_error_t xc_evtchn_alloc_unbound(xc_interface *xch, uint32_t dom,
                                                  uint32_t remote_dom)
{
    struct xsim_evtchn_args a = { .remote_domid = remote_dom };

    return call(xch, XSIM_OP_EVTCHN_ALLOC_UNBOUND, dom, &a, sizeof(a), NULL, 0, NULL, 0, NULL);
}

/* ---- Foreign mapping (compat API over libxenforeignmemory) ---- */

void *xc_map_foreign_bulk(xc_interface *xch, uint32_t dom, int prot, const xen_pfn_t *arr,
                          int *err, unsigned int num)
{
    xenforeignmemory_handle *fmem = xc_interface_fmem_handle(xch);

    if (!fmem) {
        return NULL;
    }
    return xenforeignmemory_map(fmem, dom, prot, num, arr, err);
}

void *xc_map_foreign_pages(xc_interface *xch, uint32_t dom, int prot, const xen_pfn_t *arr,
                           int num)
{
    xenforeignmemory_handle *fmem = xc_interface_fmem_handle(xch);

    if (!fmem || num <= 0) {
        if (num <= 0) {
            errno = EINVAL;
        }
        return NULL;
    }
    return xenforeignmemory_map(fmem, dom, prot, (size_t)num, arr, NULL);
}

void *xc_map_foreign_range(xc_interface *xch, uint32_t dom, int size, int prot,
                           unsigned long mfn)
{
    size_t num = ((size_t)(size > 0 ? size : 0) + XSIM_PAGE_SIZE - 1) >> XSIM_PAGE_SHIFT;
    xen_pfn_t *arr;
    void *p;
    size_t i;

    if (num == 0) {
        errno = EINVAL;
        return NULL;
    }
    arr = calloc(num, sizeof(*arr));
    if (!arr) {
        return NULL;
    }
    for (i = 0; i < num; i++) {
        arr[i] = mfn + i;
    }
    p = xc_map_foreign_pages(xch, dom, prot, arr, (int)num);
    free(arr);
    return p;
}

/* ---- Compat event channel API (xenctrl_compat.h) over libxenevtchn ---- */

xc_evtchn *xc_evtchn_open(xentoollog_logger *logger, unsigned open_flags)
{
    return xenevtchn_open(logger, open_flags);
}

int xc_evtchn_close(xc_evtchn *xce)
{
    return xenevtchn_close(xce);
}

int xc_evtchn_fd(xc_evtchn *xce)
{
    return xenevtchn_fd(xce);
}

int xc_evtchn_notify(xc_evtchn *xce, evtchn_port_t port)
{
    return xenevtchn_notify(xce, port);
}

xc_evtchn_port_or_error_t xc_evtchn_bind_unbound_port(xc_evtchn *xce, uint32_t domid)
{
    return xenevtchn_bind_unbound_port(xce, domid);
}

xc_evtchn_port_or_error_t xc_evtchn_bind_interdomain(xc_evtchn *xce, uint32_t domid,
                                                     evtchn_port_t remote_port)
{
    return xenevtchn_bind_interdomain(xce, domid, remote_port);
}

xc_evtchn_port_or_error_t xc_evtchn_bind_virq(xc_evtchn *xce, unsigned int virq)
{
    return xenevtchn_bind_virq(xce, virq);
}

int xc_evtchn_unbind(xc_evtchn *xce, evtchn_port_t port)
{
    return xenevtchn_unbind(xce, port);
}

xc_evtchn_port_or_error_t xc_evtchn_pending(xc_evtchn *xce)
{
    return xenevtchn_pending(xce);
}

int xc_evtchn_unmask(xc_evtchn *xce, evtchn_port_t port)
{
    return xenevtchn_unmask(xce, port);
}

/* ---- Compat grant table API over libxengnttab ---- */

xc_gnttab *xc_gnttab_open(xentoollog_logger *logger, unsigned open_flags)
{
    return xengnttab_open(logger, open_flags);
}

int xc_gnttab_close(xc_gnttab *xcg)
{
    return xengnttab_close(xcg);
}

void *xc_gnttab_map_grant_ref(xc_gnttab *xcg, uint32_t domid, uint32_t ref, int prot)
{
    return xengnttab_map_grant_ref(xcg, domid, ref, prot);
}

void *xc_gnttab_map_grant_refs(xc_gnttab *xcg, uint32_t count, uint32_t *domids,
                               uint32_t *refs, int prot)
{
    return xengnttab_map_grant_refs(xcg, count, domids, refs, prot);
}

void *xc_gnttab_map_domain_grant_refs(xc_gnttab *xcg, uint32_t count, uint32_t domid,
                                      uint32_t *refs, int prot)
{
    return xengnttab_map_domain_grant_refs(xcg, count, domid, refs, prot);
}

void *xc_gnttab_map_grant_ref_notify(xc_gnttab *xcg, uint32_t domid, uint32_t ref, int prot,
                                     uint32_t notify_offset, evtchn_port_t notify_port)
{
    return xengnttab_map_grant_ref_notify(xcg, domid, ref, prot, notify_offset, notify_port);
}

int xc_gnttab_munmap(xc_gnttab *xcg, void *start_address, uint32_t count)
{
    return xengnttab_unmap(xcg, start_address, count);
}

int xc_gnttab_set_max_grants(xc_gnttab *xcg, uint32_t count)
{
    return xengnttab_set_max_grants(xcg, count);
}

/* ---- Compat device-model API (xc_hvm_*) over libxendevicemodel ---- */

#define DMOD_OR_FAIL(xch)                                   \
    xendevicemodel_handle *dmod = xc_interface_dmod_handle(xch); \
    if (!dmod) {                                            \
        return -1;                                          \
    }

int xc_hvm_create_ioreq_server(xc_interface *xch, uint32_t domid, int handle_bufioreq,
                               ioservid_t *id)
{
    DMOD_OR_FAIL(xch);
    return xendevicemodel_create_ioreq_server(dmod, domid, handle_bufioreq, id);
}

int xc_hvm_get_ioreq_server_info(xc_interface *xch, uint32_t domid, ioservid_t id,
                                 xen_pfn_t *ioreq_pfn, xen_pfn_t *bufioreq_pfn,
                                 evtchn_port_t *bufioreq_port)
{
    DMOD_OR_FAIL(xch);
    return xendevicemodel_get_ioreq_server_info(dmod, domid, id, ioreq_pfn, bufioreq_pfn,
                                                bufioreq_port);
}

int xc_hvm_map_io_range_to_ioreq_server(xc_interface *xch, uint32_t domid, ioservid_t id,
                                        int is_mmio, uint64_t start, uint64_t end)
{
    DMOD_OR_FAIL(xch);
    return xendevicemodel_map_io_range_to_ioreq_server(dmod, domid, id, is_mmio, start, end);
}

int xc_hvm_unmap_io_range_from_ioreq_server(xc_interface *xch, uint32_t domid, ioservid_t id,
                                            int is_mmio, uint64_t start, uint64_t end)
{
    DMOD_OR_FAIL(xch);
    return xendevicemodel_unmap_io_range_from_ioreq_server(dmod, domid, id, is_mmio, start,
                                                           end);
}

int xc_hvm_map_pcidev_to_ioreq_server(xc_interface *xch, uint32_t domid, ioservid_t id,
                                      uint16_t segment, uint8_t bus, uint8_t device,
                                      uint8_t function)
{
    DMOD_OR_FAIL(xch);
    return xendevicemodel_map_pcidev_to_ioreq_server(dmod, domid, id, segment, bus, device,
                                                     function);
}

int xc_hvm_unmap_pcidev_from_ioreq_server(xc_interface *xch, uint32_t domid, ioservid_t id,
                                          uint16_t segment, uint8_t bus, uint8_t device,
                                          uint8_t function)
{
    DMOD_OR_FAIL(xch);
    return xendevicemodel_unmap_pcidev_from_ioreq_server(dmod, domid, id, segment, bus, device,
                                                         function);
}

int xc_hvm_destroy_ioreq_server(xc_interface *xch, uint32_t domid, ioservid_t id)
{
    DMOD_OR_FAIL(xch);
    return xendevicemodel_destroy_ioreq_server(dmod, domid, id);
}

int xc_hvm_set_ioreq_server_state(xc_interface *xch, uint32_t domid, ioservid_t id,
                                  int enabled)
{
    DMOD_OR_FAIL(xch);
    return xendevicemodel_set_ioreq_server_state(dmod, domid, id, enabled);
}

int xc_hvm_set_pci_intx_level(xc_interface *xch, uint32_t domid, uint16_t segment,
                              uint8_t bus, uint8_t device, uint8_t intx, unsigned int level)
{
    DMOD_OR_FAIL(xch);
    return xendevicemodel_set_pci_intx_level(dmod, domid, segment, bus, device, intx, level);
}

int xc_hvm_set_isa_irq_level(xc_interface *xch, uint32_t domid, uint8_t irq,
                             unsigned int level)
{
    DMOD_OR_FAIL(xch);
    return xendevicemodel_set_isa_irq_level(dmod, domid, irq, level);
}

int xc_hvm_set_pci_link_route(xc_interface *xch, uint32_t domid, uint8_t link, uint8_t irq)
{
    DMOD_OR_FAIL(xch);
    return xendevicemodel_set_pci_link_route(dmod, domid, link, irq);
}

int xc_hvm_inject_msi(xc_interface *xch, uint32_t domid, uint64_t msi_addr, uint32_t msi_data)
{
    DMOD_OR_FAIL(xch);
    return xendevicemodel_inject_msi(dmod, domid, msi_addr, msi_data);
}

int xc_hvm_track_dirty_vram(xc_interface *xch, uint32_t domid, uint64_t first_pfn,
                            uint32_t nr, unsigned long *dirty_bitmap)
{
    DMOD_OR_FAIL(xch);
    return xendevicemodel_track_dirty_vram(dmod, domid, first_pfn, nr, dirty_bitmap);
}

int xc_hvm_modified_memory(xc_interface *xch, uint32_t domid, uint64_t first_pfn, uint32_t nr)
{
    DMOD_OR_FAIL(xch);
    return xendevicemodel_modified_memory(dmod, domid, first_pfn, nr);
}

int xc_hvm_set_mem_type(xc_interface *xch, uint32_t domid, hvmmem_type_t type,
                        uint64_t first_pfn, uint32_t nr)
{
    DMOD_OR_FAIL(xch);
    return xendevicemodel_set_mem_type(dmod, domid, type, first_pfn, nr);
}

int xc_hvm_inject_trap(xc_interface *xch, uint32_t domid, int vcpu, uint8_t vector,
                       uint8_t type, uint32_t error_code, uint8_t insn_len, uint64_t cr2)
{
    DMOD_OR_FAIL(xch);
    return xendevicemodel_inject_event(dmod, domid, vcpu, vector, type, error_code, insn_len,
                                       cr2);
}
