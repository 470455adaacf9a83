/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * xenstored's unix socket: the real libxenstore.so.4 connects here when
 * $XENSTORED_PATH names it (xen:tools/libs/store/xs.c tries the socket
 * first).  Frames are struct xsd_sockmsg + payload; a payload above
 * XENSTORE_PAYLOAD_MAX is a protocol violation and closes the connection,
 * as xenstored does.  Also pre-populates the store the way libxl leaves it
 * for a new HVM domain.
 */
#include "tools/xensim/xensim.h"

#include <errno.h>
#include <glib-unix.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

typedef struct XsClient {
    int fd;
    guint in_source;
    guint out_source;
    XsConn *conn;
    GByteArray *in;
    GByteArray *out;
    bool dead;
} XsClient;

static GPtrArray *clients;
static guint listen_source;

static void client_free(XsClient *cl)
{
    if (cl->in_source) {
        g_source_remove(cl->in_source);
    }
    if (cl->out_source) {
        g_source_remove(cl->out_source);
    }
    xs_conn_free(cl->conn);
    close(cl->fd);
    g_byte_array_free(cl->in, TRUE);
    g_byte_array_free(cl->out, TRUE);
    g_ptr_array_remove(clients, cl);
    g_free(cl);
}

static gboolean client_out_cb(gint fd, GIOCondition cond, gpointer opaque);

static void client_flush(XsClient *cl)
{
    while (cl->out->len && !cl->dead) {
        ssize_t n = send(cl->fd, cl->out->data, cl->out->len, MSG_DONTWAIT | MSG_NOSIGNAL);

        if (n < 0) {
            if (errno == EAGAIN || errno == EINTR) {
                break;
            }
            cl->dead = true;    /* reaped by the input handler */
            return;
        }
        g_byte_array_remove_range(cl->out, 0, (guint)n);
    }
    if (cl->out->len && !cl->out_source) {
        cl->out_source = g_unix_fd_add(cl->fd, G_IO_OUT, client_out_cb, cl);
    }
}

static gboolean client_out_cb(gint fd, GIOCondition cond, gpointer opaque)
{
    XsClient *cl = opaque;

    cl->out_source = 0;
    client_flush(cl);
    return G_SOURCE_REMOVE;
}

static void client_send(XsConn *conn, const struct xsd_sockmsg *hdr, const void *body,
                        void *opaque)
{
    XsClient *cl = opaque;

    g_byte_array_append(cl->out, (const guint8 *)hdr, sizeof(*hdr));
    if (hdr->len) {
        g_byte_array_append(cl->out, body, hdr->len);
    }
    client_flush(cl);
}

static gboolean client_in_cb(gint fd, GIOCondition cond, gpointer opaque)
{
    XsClient *cl = opaque;
    uint8_t buf[8192];
    ssize_t n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);

    if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
        return G_SOURCE_CONTINUE;
    }
    if (n <= 0 || cl->dead) {
        cl->in_source = 0;
        client_free(cl);
        return G_SOURCE_REMOVE;
    }
    g_byte_array_append(cl->in, buf, (guint)n);
    while (cl->in->len >= sizeof(struct xsd_sockmsg)) {
        struct xsd_sockmsg hdr;
        char *body;

        memcpy(&hdr, cl->in->data, sizeof(hdr));
        if (hdr.len > XENSTORE_PAYLOAD_MAX) {
            sim_log("xenstore client sent a %u-byte payload (max %u): closing it", hdr.len,
                    XENSTORE_PAYLOAD_MAX);
            cl->in_source = 0;
            client_free(cl);
            return G_SOURCE_REMOVE;
        }
        if (cl->in->len < sizeof(hdr) + hdr.len) {
            break;
        }
        body = g_memdup2(cl->in->data + sizeof(hdr), hdr.len + 1);
        body[hdr.len] = '\0';
        g_byte_array_remove_range(cl->in, 0, (guint)(sizeof(hdr) + hdr.len));
        xs_conn_process(cl->conn, &hdr, body);
        g_free(body);
    }
    return G_SOURCE_CONTINUE;
}

static gboolean accept_cb(gint fd, GIOCondition cond, gpointer opaque)
{
    int cfd = accept4(fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
    XsClient *cl;

    if (cfd < 0) {
        return G_SOURCE_CONTINUE;
    }
    cl = g_new0(XsClient, 1);
    cl->fd = cfd;
    cl->in = g_byte_array_new();
    cl->out = g_byte_array_new();
    /* A unix-socket client is a dom0 tool: privileged. */
    cl->conn = xs_conn_new(sim->xs, 0, client_send, cl);
    cl->in_source = g_unix_fd_add(cfd, G_IO_IN | G_IO_HUP | G_IO_ERR, client_in_cb, cl);
    g_ptr_array_add(clients, cl);
    return G_SOURCE_CONTINUE;
}

bool xs_socket_init(const char *path, GError **errp)
{
    struct sockaddr_un addr = { .sun_family = AF_UNIX };
    int fd;

    if (strlen(path) >= sizeof(addr.sun_path)) {
        g_set_error(errp, XSIM_ERROR, 0,
                    "xenstore socket path too long: %s", path);
        return false;
    }
    strcpy(addr.sun_path, path);
    unlink(path);
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0 || bind(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0 || listen(fd, 64) < 0) {
        g_set_error(errp, XSIM_ERROR, errno,
                    "cannot listen for xenstore clients on %s: %s", path, g_strerror(errno));
        if (fd >= 0) {
            close(fd);
        }
        return false;
    }
    sim->xs_listen_fd = fd;
    clients = g_ptr_array_new();
    listen_source = g_unix_fd_add(fd, G_IO_IN, accept_cb, NULL);
    return true;
}

void xs_socket_shutdown(void)
{
    while (clients && clients->len) {
        client_free(g_ptr_array_index(clients, 0));
    }
    if (listen_source) {
        g_source_remove(listen_source);
        listen_source = 0;
    }
    if (sim->xs_listen_fd >= 0) {
        close(sim->xs_listen_fd);
        sim->xs_listen_fd = -1;
        unlink(sim->xs_socket_path);
    }
}

/* What libxl writes for a new HVM domain (xen:tools/libs/light/libxl_create.c, libxl_dm.c). */
void xs_populate_domain(void)
{
    XsStore *xs = sim->xs;
    unsigned d = sim->domid;
    const XsPerm noperm[] = { { 0, 'n' } };
    const XsPerm roperm[] = { { 0, 'n' }, { d, 'r' } };
    const XsPerm rwperm[] = { { d, 'n' } };
    static const char *const rw_dirs[] = {
        "device", "control/shutdown", "control/feature-poweroff", "control/feature-reboot",
        "control/feature-suspend", "control/sysrq", "data", "drivers", "feature", "attr",
        "error",
    };
    char *dom = g_strdup_printf("/local/domain/%u", d);
    char *vm = g_strdup_printf("/vm/%s", sim->uuid);
    char *dm = g_strdup_printf("/local/domain/0/device-model/%u", d);
    char *libxl = g_strdup_printf("/libxl/%u", d);
    char *p;
    unsigned i;

    xs_store_mkdir(xs, "/tool");
    xs_store_write_str(xs, "/tool/xenstored", "");
    xs_store_mkdir(xs, "/local/domain/0");
    xs_store_write_str(xs, "/local/domain/0/name", "Domain-0");
    xs_store_write_str(xs, "/local/domain/0/domid", "0");
    xs_store_mkdir(xs, "/local/domain/0/backend");

    xs_store_mkdir(xs, vm);
    xs_store_set_perms(xs, vm, roperm, 2);
#define W(base, key, ...)                                  \
    do {                                                   \
        p = g_strdup_printf("%s/%s", base, key);           \
        xs_store_printf(xs, p, __VA_ARGS__);               \
        g_free(p);                                         \
    } while (0)
    W(vm, "uuid", "%s", sim->uuid);
    W(vm, "name", "%s", sim->name);
    W(vm, "start_time", "%" PRId64 ".00", (int64_t)(g_get_real_time() / 1000000));

    xs_store_mkdir(xs, dom);
    xs_store_set_perms(xs, dom, roperm, 2);
    W(dom, "vm", "%s", vm);
    W(dom, "name", "%s", sim->name);
    W(dom, "domid", "%u", d);
    W(dom, "memory/static-max", "%" PRIu64, sim->maxmem_mib * 1024);
    W(dom, "memory/target", "%" PRIu64, sim->memory_mib * 1024);
    for (i = 0; i < sim->vcpus; i++) {
        char key[32];

        snprintf(key, sizeof(key), "cpu/%u/availability", i);
        W(dom, key, "online");
    }
    W(dom, "platform/acpi", "1");
    W(dom, "platform/acpi_s3", "1");
    W(dom, "platform/acpi_s4", "1");
    W(dom, "hvmloader/bios", "seabios");
    for (i = 0; i < G_N_ELEMENTS(rw_dirs); i++) {
        p = g_strdup_printf("%s/%s", dom, rw_dirs[i]);
        xs_store_mkdir(xs, p);
        xs_store_set_perms(xs, p, rwperm, 1);
        g_free(p);
    }
    p = g_strdup_printf("%s/control", dom);
    xs_store_set_perms(xs, p, roperm, 2);
    g_free(p);

    xs_store_mkdir(xs, libxl);
    xs_store_set_perms(xs, libxl, noperm, 1);
    W(libxl, "type", "hvm");
    W(libxl, "dm-version", "qemu_xen");

    xs_store_mkdir(xs, dm);
    xs_store_set_perms(xs, dm, roperm, 2);
#undef W
    xs_store_set_introduced(xs, d, true);
    g_free(dom);
    g_free(vm);
    g_free(dm);
    g_free(libxl);
}
