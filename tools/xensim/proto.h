/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The private wire protocol between xensim's replacement Xen libraries
 * (tools/xensim/lib) and the xensim process.
 *
 * Each library handle (xc_interface, xendevicemodel_handle, xenevtchn_handle,
 * ...) opens its own SOCK_SEQPACKET connection to the unix socket named by
 * $XENSIM_SOCKET, as a real handle opens its own /dev/xen/privcmd or
 * /dev/xen/evtchn file.  One request is one datagram:
 *
 *     struct xsim_req_hdr | fixed op arguments | optional variable array
 *
 * and, unless XSIM_F_NOREPLY is set, xensim answers with one datagram:
 *
 *     struct xsim_rsp_hdr | optional result payload   (+ fds by SCM_RIGHTS)
 *
 * rc >= 0 is success (some ops return a value, e.g. a port number);
 * rc < 0 is -errno, which the library turns into -1 + errno like the real one.
 * Both sides validate every length: a malformed message from a library is
 * answered with -EINVAL, never trusted.
 *
 * Shared memory: xensim keeps every guest page (RAM, pages populated later
 * by the device model, ioreq server pages) in one memfd, the "page pool".
 * HELLO for the memory-mapping handle kinds hands that fd over once; a map
 * request is answered with pool page indices and the library mmap()s them.
 * Event channels: HELLO for an evtchn handle hands over one end of a
 * SOCK_SEQPACKET socketpair; each datagram on it is one uint32_t pending
 * local port (see xenevtchn_pending()).
 */
#ifndef TOOLS_XENSIM_PROTO_H
#define TOOLS_XENSIM_PROTO_H

#include <stdint.h>

#define XENSIM_PROTO_VERSION    1
#define XENSIM_SOCKET_ENV       "XENSIM_SOCKET"
/* Upper bound of one datagram in either direction (libraries chunk below it). */
#define XSIM_MAX_MSG            (128 * 1024)
/* Foreign-map requests are split into batches of at most this many frames. */
#define XSIM_MAP_BATCH          2048
/* Event channel ports per domain (2-level ABI on x86-64: 64 * 64). */
#define XSIM_NR_EVTCHN_PORTS    4096
#define XSIM_PAGE_SHIFT         12
#define XSIM_PAGE_SIZE          (1u << XSIM_PAGE_SHIFT)

/* What kind of library handle a connection belongs to (for logs and checks). */
enum xsim_handle_kind {
    XSIM_KIND_XC = 1,
    XSIM_KIND_DEVICEMODEL,
    XSIM_KIND_FOREIGNMEMORY,
    XSIM_KIND_EVTCHN,
    XSIM_KIND_GNTTAB,
    XSIM_KIND_GNTSHR,
    XSIM_KIND_CALL,
    XSIM_KIND_MAX,
};

enum xsim_op {
    XSIM_OP_HELLO = 1,              /* xsim_hello -> fds */
    XSIM_OP_RESTRICT,               /* hdr.domid = the only domain allowed from now on */

    XSIM_OP_EVTCHN_BIND_INTERDOMAIN, /* xsim_evtchn_args{remote_domid, remote_port} -> local port */
    XSIM_OP_EVTCHN_BIND_UNBOUND,    /* xsim_evtchn_args{remote_domid} -> local port */
    XSIM_OP_EVTCHN_BIND_VIRQ,       /* xsim_evtchn_args{virq in remote_port} -> local port */
    XSIM_OP_EVTCHN_UNBIND,          /* xsim_evtchn_args{port} */
    XSIM_OP_EVTCHN_NOTIFY,          /* xsim_evtchn_args{port}; may be NOREPLY */
    XSIM_OP_EVTCHN_UNMASK,          /* xsim_evtchn_args{port}; may be NOREPLY */
    XSIM_OP_EVTCHN_ALLOC_UNBOUND,   /* xc_evtchn_alloc_unbound: port in hdr.domid for remote_domid */

    XSIM_OP_FMEM_MAP,               /* xsim_map_args + uint64_t gfn[nr] -> int64_t page[nr] */
    XSIM_OP_FMEM_MAP_RESOURCE,      /* xsim_resource_args -> int64_t page[nr] */
    XSIM_OP_FMEM_RESOURCE_SIZE,     /* xsim_resource_args -> rc = frames */

    XSIM_OP_DM_OP,                  /* xsim_dm_op_args + buf -> xsim_dm_op_args + out buf */

    XSIM_OP_DOMAIN_GETINFO,         /* xsim_getinfo_args -> xsim_dominfo[rc] */
    XSIM_OP_HVM_PARAM_GET,          /* xsim_param_args -> uint64_t */
    XSIM_OP_HVM_PARAM_SET,          /* xsim_param_args */
    XSIM_OP_DOMAIN_PAUSE,
    XSIM_OP_DOMAIN_UNPAUSE,
    XSIM_OP_DOMAIN_SHUTDOWN,        /* xsim_u32_arg{reason} */
    XSIM_OP_DOMAIN_DESTROY,
    XSIM_OP_POPULATE_PHYSMAP,       /* xsim_physmap_args + uint64_t gfn[nr] -> rc = extents done */
    XSIM_OP_DECREASE_RESERVATION,   /* xsim_physmap_args + uint64_t gfn[nr] -> rc = extents done */
    XSIM_OP_ADD_TO_PHYSMAP,         /* xsim_add_to_physmap_args */
    XSIM_OP_REMOVE_FROM_PHYSMAP,    /* xsim_add_to_physmap_args{gpfn} */
    XSIM_OP_SET_MAX_MEM,            /* xsim_u64_arg{max kB} */
    XSIM_OP_MAX_VCPUS,              /* xsim_u32_arg{n} */
    XSIM_OP_PIN_CACHEATTR,          /* xsim_cacheattr_args */

    XSIM_OP_GNTTAB_MAP,             /* xsim_gnt_map_args + xsim_gnt_ref[count] -> int64_t page[count] */
    XSIM_OP_GNTTAB_SET_MAX,         /* xsim_u32_arg */

    XSIM_OP_MAX,
};

#define XSIM_F_NOREPLY  (1u << 0)

struct xsim_req_hdr {
    uint32_t op;
    uint32_t flags;
    uint32_t domid;     /* target domain, where the op has one */
    uint32_t len;       /* bytes following this header */
};

struct xsim_rsp_hdr {
    int32_t rc;         /* >= 0 result, < 0 -errno */
    uint32_t len;       /* bytes following this header */
};

struct xsim_hello {
    uint32_t version;   /* XENSIM_PROTO_VERSION */
    uint32_t kind;      /* enum xsim_handle_kind */
    uint32_t pid;
    uint32_t flags;     /* handle open flags, informational */
};

struct xsim_evtchn_args {
    uint32_t remote_domid;
    uint32_t port;      /* remote port (bind_interdomain), virq, or local port */
};

struct xsim_map_args {
    uint32_t nr;
    uint32_t prot;
};

struct xsim_resource_args {
    uint32_t type;
    uint32_t id;
    uint64_t frame;
    uint64_t nr;
};

/*
 * A dm_op is carried as Xen's own struct xen_dm_op (hdr:xen/hvm/dm_op.h) so
 * the simulator sees exactly the hypercall argument.  buf_size is the size
 * of the second hypercall buffer (the dirty bitmap for track_dirty_vram, the
 * extent array for modified_memory); for modified_memory its bytes follow,
 * for track_dirty_vram xensim answers with the bitmap bytes.
 */
struct xsim_dm_op_args {
    uint32_t nr_bufs;   /* 1 or 2, as the hypercall */
    uint32_t buf_size;
    uint8_t op[64];     /* struct xen_dm_op, size checked at build time */
};

struct xsim_getinfo_args {
    uint32_t first_domid;
    uint32_t max;
};

#define XSIM_DOMINFO_DYING      (1u << 0)
#define XSIM_DOMINFO_SHUTDOWN   (1u << 1)
#define XSIM_DOMINFO_PAUSED     (1u << 2)
#define XSIM_DOMINFO_RUNNING    (1u << 3)
#define XSIM_DOMINFO_HVM        (1u << 4)
#define XSIM_DOMINFO_CRASHED    (1u << 5)
#define XSIM_DOMINFO_BLOCKED    (1u << 6)
#define XSIM_DOMINFO_HAP        (1u << 7)

struct xsim_dominfo {
    uint32_t domid;
    uint32_t flags;             /* XSIM_DOMINFO_* */
    uint32_t shutdown_reason;
    uint32_t max_vcpu_id;
    uint32_t online_vcpus;
    uint32_t pad;
    uint64_t tot_pages;
    uint64_t max_pages;
    uint64_t cpu_time_ns;
    uint8_t handle[16];         /* the domain's UUID */
};

struct xsim_param_args {
    uint32_t param;
    uint32_t pad;
    uint64_t value;
};

struct xsim_u32_arg {
    uint32_t value;
    uint32_t pad;
};

struct xsim_u64_arg {
    uint64_t value;
};

struct xsim_physmap_args {
    uint32_t nr;
    uint32_t order;
    uint32_t flags;
    uint32_t pad;
};

struct xsim_add_to_physmap_args {
    uint32_t space;
    uint32_t size;
    uint64_t idx;
    uint64_t gpfn;
};

struct xsim_cacheattr_args {
    uint64_t start;
    uint64_t end;
    uint32_t type;
    uint32_t pad;
};

struct xsim_gnt_map_args {
    uint32_t count;
    uint32_t prot;
};

struct xsim_gnt_ref {
    uint32_t domid;
    uint32_t ref;
};

#endif /* TOOLS_XENSIM_PROTO_H */
