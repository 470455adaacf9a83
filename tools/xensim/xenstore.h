/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * xensim's xenstored: the store (tree of nodes with values and permissions),
 * transactions, watches, and the wire protocol of hdr:xen/io/xs_wire.h
 * (semantics per xen:docs/misc/xenstore.txt and the C xenstored), without
 * any transport: a connection is fed whole requests with xs_conn_process()
 * and emits replies and watch events through its send callback.  The socket
 * side lives in xs-socket.c; tests drive this directly.
 */
#ifndef TOOLS_XENSIM_XENSTORE_H
#define TOOLS_XENSIM_XENSTORE_H

#include <glib.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <xen/io/xs_wire.h>

typedef struct XsStore XsStore;
typedef struct XsConn XsConn;

typedef struct XsPerm {
    unsigned id;    /* domain id; the first entry is the owner */
    char perm;      /* 'n' none, 'r' read, 'w' write, 'b' both */
} XsPerm;

/* Deliver one message (reply or event) to the client of conn. */
typedef void (*XsSendFn)(XsConn *conn, const struct xsd_sockmsg *hdr, const void *body,
                         void *opaque);
/* Internal watch: path is the node that changed (or the special @name). */
typedef void (*XsWatchFn)(XsStore *store, const char *path, void *opaque);

XsStore *xs_store_new(void);
void xs_store_free(XsStore *store);

/* Domains xenstored has been told about (XS_IS_DOMAIN_INTRODUCED). */
void xs_store_set_introduced(XsStore *store, unsigned domid, bool introduced);

/*
 * A client connection acting for domain domid (0 = privileged, the only
 * kind a unix socket gives).  Freeing it drops its watches and transactions.
 */
XsConn *xs_conn_new(XsStore *store, unsigned domid, XsSendFn send, void *opaque);
void xs_conn_free(XsConn *conn);
unsigned xs_conn_domid(XsConn *conn);

/*
 * Handle one complete request: hdr->len bytes at body (the transport has
 * already checked hdr->len <= XENSTORE_PAYLOAD_MAX).  Always answers.
 */
void xs_conn_process(XsConn *conn, const struct xsd_sockmsg *hdr, const char *body);

/*
 * Direct access for xensim itself, as domain 0, outside transactions.
 * Paths are absolute.  Return 0 or a positive errno; watches fire as for
 * client requests.
 */
int xs_store_write(XsStore *store, const char *path, const void *value, size_t len);
int xs_store_write_str(XsStore *store, const char *path, const char *value);
int xs_store_printf(XsStore *store, const char *path, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
int xs_store_mkdir(XsStore *store, const char *path);
int xs_store_rm(XsStore *store, const char *path);
int xs_store_set_perms(XsStore *store, const char *path, const XsPerm *perms, unsigned n);
/* Value as a nul-terminated g_malloc'ed string (len without the nul), or NULL + errno. */
char *xs_store_read(XsStore *store, const char *path, size_t *len);
/* Children names, NULL-terminated (g_strfreev), or NULL + errno. */
char **xs_store_directory(XsStore *store, const char *path);
/* Permissions as "n0 r5" (g_free), or NULL + errno. */
char *xs_store_perms_string(XsStore *store, const char *path);
/* Fire watches on a special path such as "@releaseDomain". */
void xs_store_fire_special(XsStore *store, const char *name);

guint xs_store_add_watch(XsStore *store, const char *path, XsWatchFn fn, void *opaque);
void xs_store_remove_watch(XsStore *store, guint id);

/* Number of nodes (for tests). */
unsigned xs_store_node_count(XsStore *store);

/* Xenstore error string for an errno ("ENOENT"), as sent in XS_ERROR. */
const char *xs_errno_string(int err);

#endif
