/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The guest as a qtest script.  xensim connects to the test's listening
 * socket (as QEMU does with -qtest unix:PATH) and turns each command into
 * what the vCPU's access would make Xen do: Xen-internal devices, buffered
 * or synchronous ioreqs, direct RAM access, or the null handler.  Replies
 * use QEMU's formats (system/qtest.c) so the same libqtest drives both.
 * Extra commands for testing device models start with "xensim_" and are
 * listed in tools/xensim/README.md.
 */
#include "tools/xensim/xensim.h"

#include <errno.h>
#include <glib-unix.h>
#include <inttypes.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define MAX_BULK (64u << 20)    /* largest read/write/memset a test may ask for */
#define MAX_REP  (1u << 20)     /* largest repeat count of the xensim_rep_* commands */

static guint qtest_source;

void qtest_send_line(const char *fmt, ...)
{
    va_list ap;
    char *line;
    size_t len, off = 0;

    if (sim->qtest_fd < 0) {
        return;
    }
    va_start(ap, fmt);
    line = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    sim_trace("qtest < %s", line);
    len = strlen(line);
    line = g_realloc(line, len + 2);
    line[len++] = '\n';
    while (off < len) {
        ssize_t n = send(sim->qtest_fd, line + off, len - off, MSG_NOSIGNAL);

        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            break;
        }
        off += (size_t)n;
    }
    g_free(line);
}

static bool parse_u64(const char *s, uint64_t *v)
{
    char *end;

    if (!s || !*s) {
        return false;
    }
    errno = 0;
    *v = g_ascii_strtoull(s, &end, 0);
    return !*end && !errno;
}

static bool parse_s64(const char *s, int64_t *v)
{
    char *end;

    if (!s || !*s) {
        return false;
    }
    errno = 0;
    *v = g_ascii_strtoll(s, &end, 0);
    return !*end && !errno;
}

/* ---- Guest accesses ---- */

static bool emulated_piece(uint64_t gpa, uint8_t *buf, unsigned size, bool write,
                           int server, GError **errp)
{
    SimAccess a = {
        .req = { .type = IOREQ_TYPE_COPY, .addr = gpa, .size = size, .count = 1,
                 .dir = write ? IOREQ_WRITE : IOREQ_READ },
        .vcpu = sim->qtest_vcpu,
    };
    uint64_t v = 0;

    if (write) {
        memcpy(&v, buf, size);
        a.req.data = v;
    }
    if (server >= 0) {
        /* A write to a p2m_ioreq_server page goes to the server owning the type. */
        if (!ioreq_send_raw(&sim->servers[server], a.vcpu, &a.req, errp)) {
            return false;
        }
    } else if (!sim_io(&a, errp)) {
        return false;
    }
    if (!write) {
        v = a.req.data;
        memcpy(buf, &v, size);
    }
    return true;
}

/* Xen's hvmemul_phys_mmio_access(): power-of-two chunks of at most 8 bytes. */
static bool emulated_range(uint64_t gpa, uint8_t *buf, size_t len, bool write, int server,
                           GError **errp)
{
    unsigned chunk = 8;

    while (chunk > len) {
        chunk >>= 1;
    }
    while (len) {
        if (!emulated_piece(gpa, buf, chunk, write, server, errp)) {
            return false;
        }
        gpa += chunk;
        buf += chunk;
        len -= chunk;
        while (chunk > len && chunk > 1) {
            chunk >>= 1;
        }
    }
    return true;
}

/* A guest memory access by the current vCPU, page by page. */
static bool guest_access(uint64_t gpa, uint8_t *buf, size_t len, bool write, GError **errp)
{
    if (sim->destroyed) {
        g_set_error(errp, XSIM_ERROR, 0, "domain %u no longer exists",
                    sim->domid);
        return false;
    }
    while (len) {
        size_t chunk = MIN(len, XSIM_PAGE_SIZE - (gpa & (XSIM_PAGE_SIZE - 1)));
        uint8_t type = 0;
        int64_t page = p2m_lookup(gpa >> XSIM_PAGE_SHIFT, &type);

        if (page < 0 || type == P2M_MMIO_DM) {
            if (!emulated_range(gpa, buf, chunk, write, -1, errp)) {
                return false;
            }
        } else if (write && type == P2M_IOREQ_SERVER && sim->mem_type_server >= 0 &&
                   (sim->mem_type_flags & XEN_DMOP_IOREQ_MEM_ACCESS_WRITE)) {
            if (!emulated_range(gpa, buf, chunk, write, sim->mem_type_server, errp)) {
                return false;
            }
        } else if (write) {
            guest_ram_write(gpa, buf, chunk);
        } else {
            guest_ram_read(gpa, buf, chunk);
        }
        gpa += chunk;
        buf += chunk;
        len -= chunk;
    }
    return true;
}

static bool pio(uint16_t port, unsigned size, bool write, uint32_t *val, GError **errp)
{
    SimAccess a = {
        .req = { .type = IOREQ_TYPE_PIO, .addr = port, .size = size, .count = 1,
                 .dir = write ? IOREQ_WRITE : IOREQ_READ, .data = write ? *val : 0 },
        .vcpu = sim->qtest_vcpu,
    };

    if (!sim_io(&a, errp)) {
        return false;
    }
    if (!write) {
        *val = (uint32_t)a.req.data & (size == 4 ? ~0u : (1u << (size * 8)) - 1);
    }
    return true;
}

/*
 * A rep string access with data_is_ptr (ins/outs/movs): issued as Xen does,
 * one ioreq per stretch that keeps the guest buffer (and for MMIO the device
 * address) within one page; returns the number of ioreqs sent.
 */
static bool rep_access(uint8_t type, bool read, uint64_t addr, unsigned size, uint64_t count,
                       uint64_t gpa, bool df, bool ptr, uint64_t value, unsigned *ioreqs,
                       GError **errp)
{
    *ioreqs = 0;
    while (count) {
        uint64_t n = count;
        uint64_t room;

        if (ptr) {
            room = df ? ((gpa & (XSIM_PAGE_SIZE - 1)) / size) + 1
                      : (XSIM_PAGE_SIZE - (gpa & (XSIM_PAGE_SIZE - 1))) / size;
            n = MIN(n, MAX(room, 1));
        }
        if (type == IOREQ_TYPE_COPY) {
            room = df ? ((addr & (XSIM_PAGE_SIZE - 1)) / size) + 1
                      : (XSIM_PAGE_SIZE - (addr & (XSIM_PAGE_SIZE - 1))) / size;
            n = MIN(n, MAX(room, 1));
        }
        {
            SimAccess a = {
                .req = { .type = type, .addr = addr, .size = size, .count = (uint32_t)n,
                         .dir = read ? IOREQ_READ : IOREQ_WRITE, .df = df,
                         .data_is_ptr = ptr, .data = ptr ? gpa : value },
                .vcpu = sim->qtest_vcpu,
            };

            if (!sim_io(&a, errp)) {
                return false;
            }
        }
        (*ioreqs)++;
        count -= n;
        if (ptr) {
            gpa = df ? gpa - n * size : gpa + n * size;
        }
        if (type == IOREQ_TYPE_COPY) {
            addr = df ? addr - n * size : addr + n * size;
        }
    }
    return true;
}

/* ---- Commands ---- */

static char *escape_value(const char *v, size_t len)
{
    GString *s = g_string_new(NULL);
    size_t i;

    for (i = 0; i < len; i++) {
        unsigned char c = (unsigned char)v[i];

        if (c >= 0x20 && c < 0x7f && c != '\\') {
            g_string_append_c(s, (char)c);
        } else {
            g_string_append_printf(s, "\\x%02x", c);
        }
    }
    return g_string_free(s, FALSE);
}

static char *join_rest(char **words, unsigned from)
{
    return g_strjoinv(" ", words + from);
}

static bool parse_dir(const char *s, bool *read)
{
    if (!g_strcmp0(s, "in") || !g_strcmp0(s, "read") || !g_strcmp0(s, "1")) {
        *read = true;
    } else if (!g_strcmp0(s, "out") || !g_strcmp0(s, "write") || !g_strcmp0(s, "0")) {
        *read = false;
    } else {
        return false;
    }
    return true;
}

static void reply_error(GError *err)
{
    qtest_send_line("ERR %s", err->message);
    g_error_free(err);
}

static gint compare_u64(gconstpointer a, gconstpointer b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

    return x < y ? -1 : x > y;
}

static uint64_t now_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/*
 * xensim_bench pio PORT COUNT: COUNT synchronous byte reads, timed one by one
 *   -> OK n=COUNT median_ns=M p99_ns=P per_sec=R
 * xensim_bench buffered ADDR COUNT: COUNT byte writes to a buffered (VGA) address
 *   -> OK n=COUNT buffered=B sync=S per_sec=R
 * The numbers are measured inside xensim, so the qtest transport is not in them.
 */
static void cmd_bench(char **w, unsigned n)
{
    GError *err = NULL;
    uint64_t addr, count, i;

    if (n != 4 || !parse_u64(w[2], &addr) || !parse_u64(w[3], &count) || count == 0 ||
        count > 10000000) {
        qtest_send_line("FAIL usage: xensim_bench pio PORT COUNT | buffered ADDR COUNT");
        return;
    }
    if (!strcmp(w[1], "pio")) {
        GArray *lat = g_array_sized_new(FALSE, FALSE, sizeof(uint64_t), (guint)count);
        uint64_t start = now_ns(), total;

        if (addr > 0xffff) {
            qtest_send_line("FAIL port out of range");
            g_array_free(lat, TRUE);
            return;
        }
        for (i = 0; i < count; i++) {
            uint64_t t0 = now_ns(), d;
            uint32_t v;

            if (!pio((uint16_t)addr, 1, false, &v, &err)) {
                reply_error(err);
                g_array_free(lat, TRUE);
                return;
            }
            d = now_ns() - t0;
            g_array_append_val(lat, d);
        }
        total = now_ns() - start;
        g_array_sort(lat, compare_u64);
        qtest_send_line("OK n=%" PRIu64 " median_ns=%" PRIu64 " p99_ns=%" PRIu64
                        " per_sec=%" PRIu64, count, g_array_index(lat, uint64_t, count / 2),
                        g_array_index(lat, uint64_t, (count * 99) / 100),
                        total ? (uint64_t)(count * 1000000000ULL / total) : 0);
        g_array_free(lat, TRUE);
    } else if (!strcmp(w[1], "buffered")) {
        uint64_t start = now_ns(), total, buffered = 0, sync = 0;
        ioreq_t p = { .type = IOREQ_TYPE_COPY, .addr = addr, .size = 1, .count = 1,
                      .dir = IOREQ_WRITE };
        IoreqServer *s = ioreq_select(&p);

        if (!s) {
            qtest_send_line("ERR no ioreq server claims 0x%" PRIx64, addr);
            return;
        }
        for (i = 0; i < count; i++) {
            p.data = i & 0xff;
            if (ioreq_send_buffered(s, &p)) {
                buffered++;
            } else if (ioreq_send_raw(s, sim->qtest_vcpu, &p, &err)) {
                sync++;
            } else {
                reply_error(err);
                return;
            }
        }
        total = now_ns() - start;
        qtest_send_line("OK n=%" PRIu64 " buffered=%" PRIu64 " sync=%" PRIu64
                        " per_sec=%" PRIu64, count, buffered, sync,
                        total ? (uint64_t)(count * 1000000000ULL / total) : 0);
    } else {
        qtest_send_line("FAIL usage: xensim_bench pio PORT COUNT | buffered ADDR COUNT");
    }
}

static void cmd_xensim(char **w, unsigned n)
{
    GError *err = NULL;
    uint64_t a1, a2, a3, a4, a5;
    bool read;

    if (!strcmp(w[0], "xensim_rep_pio") || !strcmp(w[0], "xensim_rep_mmio")) {
        /* xensim_rep_{pio,mmio} DIR ADDR SIZE COUNT GPA DF */
        bool is_pio = w[0][11] == 'p';
        unsigned ioreqs;

        if (n != 7 || !parse_dir(w[1], &read) || !parse_u64(w[2], &a1) ||
            !parse_u64(w[3], &a2) || !parse_u64(w[4], &a3) || !parse_u64(w[5], &a4) ||
            !parse_u64(w[6], &a5) || a3 == 0 || a3 > MAX_REP ||
            (a2 != 1 && a2 != 2 && a2 != 4 && (is_pio || a2 != 8)) || (is_pio && a1 > 0xffff)) {
            qtest_send_line("FAIL usage: %s in|out ADDR SIZE COUNT GPA DF", w[0]);
            return;
        }
        if (!rep_access(is_pio ? IOREQ_TYPE_PIO : IOREQ_TYPE_COPY, read, a1, (unsigned)a2, a3,
                        a4, a5 != 0, true, 0, &ioreqs, &err)) {
            reply_error(err);
        } else {
            qtest_send_line("OK %u", ioreqs);
        }
    } else if (!strcmp(w[0], "xensim_rep_stos")) {
        /* xensim_rep_stos ADDR SIZE COUNT VALUE DF: MMIO rep with immediate data */
        unsigned ioreqs;

        if (n != 6 || !parse_u64(w[1], &a1) || !parse_u64(w[2], &a2) || !parse_u64(w[3], &a3) ||
            !parse_u64(w[4], &a4) || !parse_u64(w[5], &a5) || a3 == 0 || a3 > MAX_REP ||
            (a2 != 1 && a2 != 2 && a2 != 4 && a2 != 8)) {
            qtest_send_line("FAIL usage: xensim_rep_stos ADDR SIZE COUNT VALUE DF");
            return;
        }
        if (!rep_access(IOREQ_TYPE_COPY, false, a1, (unsigned)a2, a3, 0, a5 != 0, false, a4,
                        &ioreqs, &err)) {
            reply_error(err);
        } else {
            qtest_send_line("OK %u", ioreqs);
        }
    } else if (!strcmp(w[0], "xensim_raw_ioreq")) {
        /* xensim_raw_ioreq TYPE ADDR DATA COUNT SIZE DIR DF DATA_IS_PTR [SERVER] */
        uint64_t v[8], server = XSIM_MAX_SERVERS;
        unsigned i;
        IoreqServer *s = NULL;
        ioreq_t p = { 0 };

        if (n < 9 || n > 10) {
            qtest_send_line("FAIL usage: xensim_raw_ioreq TYPE ADDR DATA COUNT SIZE DIR DF "
                            "DATA_IS_PTR [SERVER]");
            return;
        }
        for (i = 0; i < 8; i++) {
            if (!parse_u64(w[1 + i], &v[i])) {
                qtest_send_line("FAIL bad number '%s'", w[1 + i]);
                return;
            }
        }
        if (n == 10 && (!parse_u64(w[9], &server) || server >= XSIM_MAX_SERVERS)) {
            qtest_send_line("FAIL bad server '%s'", w[9]);
            return;
        }
        p.type = (uint8_t)v[0];
        p.addr = v[1];
        p.data = v[2];
        p.count = (uint32_t)v[3];
        p.size = (uint32_t)v[4];
        p.dir = v[5] & 1;
        p.df = v[6] & 1;
        p.data_is_ptr = v[7] & 1;
        if (server < XSIM_MAX_SERVERS) {
            s = sim->servers[server].used ? &sim->servers[server] : NULL;
        } else {
            for (i = XSIM_MAX_SERVERS; i-- > 0;) {
                if (sim->servers[i].used && sim->servers[i].enabled) {
                    s = &sim->servers[i];
                    break;
                }
            }
        }
        if (!s) {
            qtest_send_line("ERR no such (enabled) ioreq server");
            return;
        }
        if (!ioreq_send_raw(s, sim->qtest_vcpu, &p, &err)) {
            reply_error(err);
        } else {
            qtest_send_line("OK 0x%016" PRIx64, (uint64_t)p.data);
        }
    } else if (!strcmp(w[0], "xensim_buffered")) {
        /* xensim_buffered ADDR SIZE DATA: a buffered write to whoever claims ADDR */
        ioreq_t p = { .type = IOREQ_TYPE_COPY, .count = 1, .dir = IOREQ_WRITE };
        IoreqServer *s;

        if (n != 4 || !parse_u64(w[1], &a1) || !parse_u64(w[2], &a2) || !parse_u64(w[3], &a3)) {
            qtest_send_line("FAIL usage: xensim_buffered ADDR SIZE DATA");
            return;
        }
        p.addr = a1;
        p.size = (uint32_t)a2;
        p.data = a3;
        s = ioreq_select(&p);
        if (!s) {
            qtest_send_line("ERR no ioreq server claims 0x%" PRIx64, a1);
        } else if (ioreq_send_buffered(s, &p)) {
            qtest_send_line("OK buffered");
        } else if (!ioreq_send_raw(s, sim->qtest_vcpu, &p, &err)) {
            reply_error(err);
        } else {
            qtest_send_line("OK sync");
        }
    } else if (!strcmp(w[0], "xensim_invalidate")) {
        if (!ioreq_broadcast_invalidate(&err)) {
            reply_error(err);
        } else {
            qtest_send_line("OK");
        }
    } else if (!strcmp(w[0], "xensim_timeoffset")) {
        int64_t delta;

        if (n != 2 || !parse_s64(w[1], &delta)) {
            qtest_send_line("FAIL usage: xensim_timeoffset SECONDS");
            return;
        }
        qtest_send_line("OK %u", ioreq_broadcast_timeoffset(delta));
    } else if (!strcmp(w[0], "xensim_dmops")) {
        GString *s = g_string_new("OK");
        guint i;

        for (i = 0; i < sim->records->len; i++) {
            g_string_append(s, i ? ";" : " ");
            g_string_append(s, g_ptr_array_index(sim->records, i));
        }
        qtest_send_line("%s", s->str);
        g_string_free(s, TRUE);
    } else if (!strcmp(w[0], "xensim_dmops_clear")) {
        g_ptr_array_set_size(sim->records, 0);
        qtest_send_line("OK");
    } else if (!strcmp(w[0], "xensim_xs_read")) {
        size_t len;
        char *v = n == 2 ? xs_store_read(sim->xs, w[1], &len) : NULL;

        if (n != 2) {
            qtest_send_line("FAIL usage: xensim_xs_read PATH");
        } else if (!v) {
            qtest_send_line("ERR %s", xs_errno_string(errno));
        } else {
            char *e = escape_value(v, len);

            qtest_send_line("OK %s", e);
            g_free(e);
            g_free(v);
        }
    } else if (!strcmp(w[0], "xensim_xs_write")) {
        char *v;
        int e;

        if (n < 2) {
            qtest_send_line("FAIL usage: xensim_xs_write PATH [VALUE...]");
            return;
        }
        v = join_rest(w, 2);
        e = xs_store_write_str(sim->xs, w[1], v);
        g_free(v);
        if (e) {
            qtest_send_line("ERR %s", xs_errno_string(e));
        } else {
            qtest_send_line("OK");
        }
    } else if (!strcmp(w[0], "xensim_xs_rm") || !strcmp(w[0], "xensim_xs_mkdir")) {
        int e;

        if (n != 2) {
            qtest_send_line("FAIL usage: %s PATH", w[0]);
            return;
        }
        e = w[0][10] == 'r' ? xs_store_rm(sim->xs, w[1]) : xs_store_mkdir(sim->xs, w[1]);
        if (e) {
            qtest_send_line("ERR %s", xs_errno_string(e));
        } else {
            qtest_send_line("OK");
        }
    } else if (!strcmp(w[0], "xensim_xs_ls")) {
        char **names = n == 2 ? xs_store_directory(sim->xs, w[1]) : NULL;

        if (n != 2) {
            qtest_send_line("FAIL usage: xensim_xs_ls PATH");
        } else if (!names) {
            qtest_send_line("ERR %s", xs_errno_string(errno));
        } else {
            char *j = g_strjoinv(",", names);

            qtest_send_line("OK %s", j);
            g_free(j);
            g_strfreev(names);
        }
    } else if (!strcmp(w[0], "xensim_xs_perms")) {
        char *p = n == 2 ? xs_store_perms_string(sim->xs, w[1]) : NULL;

        if (!p) {
            qtest_send_line("ERR %s", n == 2 ? xs_errno_string(errno) : "usage");
        } else {
            qtest_send_line("OK %s", p);
            g_free(p);
        }
    } else if (!strcmp(w[0], "xensim_vcpu")) {
        if (n != 2 || !parse_u64(w[1], &a1) || a1 >= sim->vcpus) {
            qtest_send_line("FAIL usage: xensim_vcpu N (0..%u)", sim->vcpus - 1);
            return;
        }
        sim->qtest_vcpu = (unsigned)a1;
        qtest_send_line("OK");
    } else if (!strcmp(w[0], "xensim_servers")) {
        GString *s = g_string_new(NULL);

        ioreq_describe(s);
        qtest_send_line("OK %s", s->str);
        g_string_free(s, TRUE);
    } else if (!strcmp(w[0], "xensim_state")) {
        qtest_send_line("OK paused=%u shutdown=%s reason=%u destroyed=%u", sim->pause_count,
                        sim->shut_down ? "yes" : "no", sim->shutdown_reason, sim->destroyed);
    } else if (!strcmp(w[0], "xensim_hvm_param")) {
        if ((n != 2 && n != 3) || !parse_u64(w[1], &a1) || a1 >= HVM_NR_PARAMS ||
            (n == 3 && !parse_u64(w[2], &a2))) {
            qtest_send_line("FAIL usage: xensim_hvm_param N [VALUE]");
            return;
        }
        if (n == 3) {
            sim->hvm_params[a1] = a2;
            platform_param_changed((unsigned)a1);
        }
        qtest_send_line("OK 0x%" PRIx64, sim->hvm_params[a1]);
    } else if (!strcmp(w[0], "xensim_dirty_log")) {
        if (n == 2 && !strcmp(w[1], "on")) {
            sim->log_dirty = true;
            qtest_send_line("OK");
        } else if (n == 2 && !strcmp(w[1], "off")) {
            sim->log_dirty = false;
            g_hash_table_remove_all(sim->dirty_pfns);
            qtest_send_line("OK");
        } else if (n == 2 && !strcmp(w[1], "get")) {
            GList *keys = g_hash_table_get_keys(sim->dirty_pfns), *l;
            GArray *pfns = g_array_new(FALSE, FALSE, sizeof(uint64_t));
            GString *s = g_string_new("OK");
            guint i;

            for (l = keys; l; l = l->next) {
                g_array_append_val(pfns, *(uint64_t *)l->data);
            }
            g_list_free(keys);
            g_array_sort(pfns, compare_u64);
            for (i = 0; i < pfns->len; i++) {
                g_string_append_printf(s, "%s0x%" PRIx64, i ? "," : " ",
                                       g_array_index(pfns, uint64_t, i));
            }
            g_hash_table_remove_all(sim->dirty_pfns);
            qtest_send_line("%s", s->str);
            g_string_free(s, TRUE);
            g_array_free(pfns, TRUE);
        } else {
            qtest_send_line("FAIL usage: xensim_dirty_log on|off|get");
        }
    } else if (!strcmp(w[0], "xensim_grant")) {
        Grant *g;

        if ((n != 3 && n != 4) || !parse_u64(w[1], &a1) || !parse_u64(w[2], &a2) ||
            (n == 4 && strcmp(w[3], "ro"))) {
            qtest_send_line("FAIL usage: xensim_grant REF GFN [ro]");
            return;
        }
        g = g_new0(Grant, 1);
        g->gfn = a2;
        g->readonly = n == 4;
        g_hash_table_replace(sim->grants, GUINT_TO_POINTER((guint)a1), g);
        qtest_send_line("OK");
    } else if (!strcmp(w[0], "xensim_grant_clear")) {
        if (n != 2 || !parse_u64(w[1], &a1)) {
            qtest_send_line("FAIL usage: xensim_grant_clear REF");
            return;
        }
        g_hash_table_remove(sim->grants, GUINT_TO_POINTER((guint)a1));
        qtest_send_line("OK");
    } else if (!strcmp(w[0], "xensim_evtchn_bind")) {
        int port;

        if (n != 2 || !parse_u64(w[1], &a1) || a1 >= XSIM_NR_EVTCHN_PORTS) {
            qtest_send_line("FAIL usage: xensim_evtchn_bind DOM0_PORT");
            return;
        }
        port = evtchn_guest_bind_interdomain((uint32_t)a1);
        if (port < 0) {
            qtest_send_line("ERR %s", g_strerror(-port));
        } else {
            qtest_send_line("OK %d", port);
        }
    } else if (!strcmp(w[0], "xensim_evtchn_unbound")) {
        int port = evtchn_alloc_guest_unbound(0);

        if (port < 0) {
            qtest_send_line("ERR %s", g_strerror(-port));
        } else {
            qtest_send_line("OK %d", port);
        }
    } else if (!strcmp(w[0], "xensim_evtchn_notify")) {
        if (n != 2 || !parse_u64(w[1], &a1) || a1 >= XSIM_NR_EVTCHN_PORTS) {
            qtest_send_line("FAIL usage: xensim_evtchn_notify GUEST_PORT");
            return;
        }
        evtchn_guest_notify((uint32_t)a1);
        qtest_send_line("OK");
    } else if (!strcmp(w[0], "xensim_evtchn_pending")) {
        if (n != 2 || !parse_u64(w[1], &a1) || a1 >= XSIM_NR_EVTCHN_PORTS) {
            qtest_send_line("FAIL usage: xensim_evtchn_pending GUEST_PORT");
            return;
        }
        qtest_send_line("OK %d", evtchn_guest_take_pending((uint32_t)a1));
    } else if (!strcmp(w[0], "xensim_balloon_out")) {
        int e;

        if ((n != 2 && n != 3) || !parse_u64(w[1], &a1) || (n == 3 && !parse_u64(w[2], &a2))) {
            qtest_send_line("FAIL usage: xensim_balloon_out GFN [ORDER]");
            return;
        }
        e = mem_decrease(a1, n == 3 ? (unsigned)a2 : 0);
        if (e) {
            qtest_send_line("ERR %s", g_strerror(e));
        } else {
            sim_record("decrease_reservation 0x%" PRIx64 " (guest)", a1);
            qtest_send_line("OK");
        }
    } else if (!strcmp(w[0], "xensim_bench")) {
        cmd_bench(w, n);
    } else if (!strcmp(w[0], "xensim_pause") || !strcmp(w[0], "xensim_unpause")) {
        if (w[0][7] == 'p') {
            sim->pause_count++;
        } else if (sim->pause_count) {
            sim->pause_count--;
        }
        qtest_send_line("OK %u", sim->pause_count);
    } else {
        qtest_send_line("FAIL Unknown command '%s'", w[0]);
    }
}

static void cmd_memory(char **w, unsigned n)
{
    GError *err = NULL;
    uint64_t addr, len, val;

    if (!strcmp(w[0], "read") || !strcmp(w[0], "b64read")) {
        uint8_t *data;

        if (n != 3 || !parse_u64(w[1], &addr) || !parse_u64(w[2], &len) || len == 0 ||
            len > MAX_BULK) {
            qtest_send_line("FAIL usage: %s ADDR LEN (1..%u)", w[0], MAX_BULK);
            return;
        }
        data = g_malloc(len);
        if (!guest_access(addr, data, len, false, &err)) {
            reply_error(err);
        } else if (w[0][0] == 'r') {
            GString *s = g_string_sized_new(len * 2 + 8);
            uint64_t i;

            g_string_append(s, "OK 0x");
            for (i = 0; i < len; i++) {
                g_string_append_printf(s, "%02x", data[i]);
            }
            qtest_send_line("%s", s->str);
            g_string_free(s, TRUE);
        } else {
            char *b64 = g_base64_encode(data, len);

            qtest_send_line("OK %s", b64);
            g_free(b64);
        }
        g_free(data);
    } else if (!strcmp(w[0], "write") || !strcmp(w[0], "b64write")) {
        uint8_t *data;

        if (n != 4 || !parse_u64(w[1], &addr) || !parse_u64(w[2], &len) || len > MAX_BULK) {
            qtest_send_line("FAIL usage: %s ADDR LEN DATA", w[0]);
            return;
        }
        data = g_malloc0(len ? len : 1);
        if (w[0][0] == 'w') {
            const char *hex = w[3];
            uint64_t i;

            if (strlen(hex) < 3 || hex[0] != '0' || (hex[1] != 'x' && hex[1] != 'X')) {
                g_free(data);
                qtest_send_line("ERR invalid argument size");
                return;
            }
            size_t hexlen = strlen(hex);

            /* Missing digits read as zero, as QEMU does. */
            for (i = 0; i < len && 2 + i * 2 + 1 < hexlen; i++) {
                int hi = g_ascii_xdigit_value(hex[2 + i * 2]);
                int lo = g_ascii_xdigit_value(hex[3 + i * 2]);

                if (hi < 0 || lo < 0) {
                    g_free(data);
                    qtest_send_line("FAIL bad hex data");
                    return;
                }
                data[i] = (uint8_t)(hi << 4 | lo);
            }
        } else {
            gsize out_len = 0;
            guchar *dec = g_base64_decode(w[3], &out_len);

            memcpy(data, dec, MIN(out_len, len));
            g_free(dec);
        }
        if (len && !guest_access(addr, data, len, true, &err)) {
            reply_error(err);
        } else {
            qtest_send_line("OK");
        }
        g_free(data);
    } else if (!strcmp(w[0], "memset")) {
        uint8_t *data;

        if (n != 4 || !parse_u64(w[1], &addr) || !parse_u64(w[2], &len) ||
            !parse_u64(w[3], &val) || len > MAX_BULK) {
            qtest_send_line("FAIL usage: memset ADDR LEN VALUE");
            return;
        }
        data = g_malloc(len ? len : 1);
        memset(data, (int)(val & 0xff), len);
        if (len && !guest_access(addr, data, len, true, &err)) {
            reply_error(err);
        } else {
            qtest_send_line("OK");
        }
        g_free(data);
    } else {
        /* readb/w/l/q, writeb/w/l/q */
        bool write = w[0][0] == 'w';
        char sz = w[0][write ? 5 : 4];
        unsigned size = sz == 'b' ? 1 : sz == 'w' ? 2 : sz == 'l' ? 4 : 8;
        uint64_t v = 0;

        if (n != (write ? 3u : 2u) || !parse_u64(w[1], &addr) ||
            (write && !parse_u64(w[2], &v))) {
            qtest_send_line("FAIL usage: %s ADDR%s", w[0], write ? " VALUE" : "");
            return;
        }
        if (!guest_access(addr, (uint8_t *)&v, size, write, &err)) {
            reply_error(err);
        } else if (write) {
            qtest_send_line("OK");
        } else {
            qtest_send_line("OK 0x%016" PRIx64, v);
        }
    }
}

static void process_line(char *line)
{
    char **w = g_strsplit(line, " ", 0);
    unsigned n = g_strv_length(w);
    GError *err = NULL;
    uint64_t addr, val;

    sim_trace("qtest > %s", line);
    if (n == 0 || !*w[0]) {
        qtest_send_line("FAIL empty command");
    } else if (!strcmp(w[0], "outb") || !strcmp(w[0], "outw") || !strcmp(w[0], "outl")) {
        unsigned size = w[0][3] == 'b' ? 1 : w[0][3] == 'w' ? 2 : 4;
        uint32_t v;

        if (n != 3 || !parse_u64(w[1], &addr) || !parse_u64(w[2], &val) || addr > 0xffff) {
            qtest_send_line("FAIL usage: %s PORT VALUE", w[0]);
        } else {
            v = (uint32_t)val;
            if (!pio((uint16_t)addr, size, true, &v, &err)) {
                reply_error(err);
            } else {
                qtest_send_line("OK");
            }
        }
    } else if (!strcmp(w[0], "inb") || !strcmp(w[0], "inw") || !strcmp(w[0], "inl")) {
        unsigned size = w[0][2] == 'b' ? 1 : w[0][2] == 'w' ? 2 : 4;
        uint32_t v = 0;

        if (n != 2 || !parse_u64(w[1], &addr) || addr > 0xffff) {
            qtest_send_line("FAIL usage: %s PORT", w[0]);
        } else if (!pio((uint16_t)addr, size, false, &v, &err)) {
            reply_error(err);
        } else {
            qtest_send_line("OK 0x%04x", v);
        }
    } else if (g_str_has_prefix(w[0], "read") || g_str_has_prefix(w[0], "write") ||
               !strcmp(w[0], "b64read") || !strcmp(w[0], "b64write") ||
               !strcmp(w[0], "memset")) {
        if (!strcmp(w[0], "read") || !strcmp(w[0], "write") || !strcmp(w[0], "b64read") ||
            !strcmp(w[0], "b64write") || !strcmp(w[0], "memset") ||
            (strlen(w[0]) == (w[0][0] == 'r' ? 5u : 6u) &&
             strchr("bwlq", w[0][strlen(w[0]) - 1]))) {
            cmd_memory(w, n);
        } else {
            qtest_send_line("FAIL Unknown command '%s'", w[0]);
        }
    } else if (!strcmp(w[0], "clock_step")) {
        int64_t step = 1000000;     /* no timers to run to: 1 ms */

        if (n >= 2 && (!parse_s64(w[1], &step) || step < 0)) {
            qtest_send_line("FAIL bad clock step");
        } else {
            sim->clock_ns += step;
            qtest_send_line("OK %" PRId64, sim->clock_ns);
        }
    } else if (!strcmp(w[0], "clock_set")) {
        int64_t ns;

        if (n != 2 || !parse_s64(w[1], &ns)) {
            qtest_send_line("FAIL usage: clock_set NS");
        } else if (ns < sim->clock_ns) {
            qtest_send_line("FAIL %" PRId64, sim->clock_ns);
        } else {
            sim->clock_ns = ns;
            qtest_send_line("OK %" PRId64, ns);
        }
    } else if (!strcmp(w[0], "irq_intercept_in") || !strcmp(w[0], "irq_intercept_out")) {
        /* Every path names the guest's interrupt controllers: Xen owns them all. */
        memset(sim->irq_reported, 0, sizeof(sim->irq_reported));
        irq_intercept_enable();
        qtest_send_line("OK");
    } else if (!strcmp(w[0], "set_irq_in")) {
        qtest_send_line("FAIL set_irq_in: interrupt controllers are Xen's under xensim");
    } else if (!strcmp(w[0], "endianness")) {
        qtest_send_line("OK little");
    } else if (g_str_has_prefix(w[0], "xensim_")) {
        cmd_xensim(w, n);
    } else {
        qtest_send_line("FAIL Unknown command '%s'", w[0]);
    }
    g_strfreev(w);
}

static gboolean qtest_cb(gint fd, GIOCondition cond, gpointer opaque)
{
    static char buf[65536];
    static size_t scanned;      /* bytes of qtest_in known to hold no newline */
    ssize_t n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
    char *nl;

    if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
        return G_SOURCE_CONTINUE;
    }
    if (n <= 0) {
        sim_log("qtest connection closed: stopping");
        qtest_source = 0;
        qtest_close();
        sim_terminate("the qtest client went away");
        return G_SOURCE_REMOVE;
    }
    g_string_append_len(sim->qtest_in, buf, n);
    while ((nl = memchr(sim->qtest_in->str + scanned, '\n', sim->qtest_in->len - scanned))) {
        size_t len = (size_t)(nl - sim->qtest_in->str);
        char *line = g_strndup(sim->qtest_in->str, len);

        g_string_erase(sim->qtest_in, 0, (gssize)(len + 1));
        scanned = 0;
        if (len && line[len - 1] == '\r') {
            line[len - 1] = '\0';
        }
        process_line(line);
        g_free(line);
        if (sim->qtest_fd < 0) {
            return G_SOURCE_REMOVE;
        }
    }
    scanned = sim->qtest_in->len;
    if (sim->qtest_in->len > (1u << 28)) {
        sim_log("qtest line too long: closing");
        qtest_source = 0;
        qtest_close();
        return G_SOURCE_REMOVE;
    }
    return G_SOURCE_CONTINUE;
}

bool qtest_connect(const char *spec, GError **errp)
{
    struct sockaddr_un addr = { .sun_family = AF_UNIX };
    const char *path;
    int fd;

    if (!g_str_has_prefix(spec, "unix:")) {
        g_set_error(errp, XSIM_ERROR, 0,
                    "qtest: only unix:PATH is supported, not '%s'", spec);
        return false;
    }
    path = spec + 5;
    if (strchr(path, ',')) {
        g_set_error(errp, XSIM_ERROR, 0,
                    "qtest: options after the path are not supported: '%s'", spec);
        return false;
    }
    if (strlen(path) >= sizeof(addr.sun_path)) {
        g_set_error(errp, XSIM_ERROR, 0, "qtest path too long");
        return false;
    }
    strcpy(addr.sun_path, path);
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0 || connect(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0) {
        g_set_error(errp, XSIM_ERROR, errno,
                    "qtest: cannot connect to %s: %s", path, g_strerror(errno));
        if (fd >= 0) {
            close(fd);
        }
        return false;
    }
    sim->qtest_fd = fd;
    sim->qtest_in = g_string_new(NULL);
    qtest_source = g_unix_fd_add(fd, G_IO_IN | G_IO_HUP | G_IO_ERR, qtest_cb, NULL);
    return true;
}

void qtest_close(void)
{
    if (qtest_source) {
        g_source_remove(qtest_source);
        qtest_source = 0;
    }
    if (sim->qtest_fd >= 0) {
        close(sim->qtest_fd);
        sim->qtest_fd = -1;
    }
}
