/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * xensim: a Xen hypervisor + xenstored simulator for testing a device model
 * without Xen.  It builds one HVM domain the way libxl would, serves
 * xenstore, launches the device model with xensim's replacement Xen
 * libraries (so the unmodified binary runs), waits for it to report
 * "running", then plays the guest from a qtest script.
 *
 *   xensim [options] -- <device model command line>
 *
 * Exit status: the device model's (128 + signal if it was killed), or 0
 * when xensim itself asked it to stop (SIGTERM/SIGINT, domain destroyed);
 * 1 for xensim's own errors.
 */
#include "tools/xensim/xensim.h"

#include <errno.h>
#include <glib-unix.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <xen/xen.h>

#define MAX_RECORDS 20000

XenSim *sim;

G_DEFINE_QUARK(xensim-error-quark, xsim_error)
static bool sim_failed;     /* xensim's own error: exit status 1 */

static struct {
    gint domid;
    gint64 memory;
    gint64 maxmem;
    gint vcpus;
    gchar *name;
    gchar *uuid;
    gchar *qtest;
    gchar *xs_socket;
    gchar *libdir;
    gint ioreq_timeout;
    gint start_timeout;
    gboolean no_resource_map;
    gboolean verbose;
    gboolean no_domid_arg;
    gboolean quiet;
} opt = {
    .domid = 1, .memory = 128, .vcpus = 1, .ioreq_timeout = 10000, .start_timeout = 60000,
};

static const GOptionEntry entries[] = {
    { "domid", 0, 0, G_OPTION_ARG_INT, &opt.domid, "Guest domain id (default 1)", "N" },
    { "memory", 0, 0, G_OPTION_ARG_INT64, &opt.memory, "Guest RAM in MiB (default 128)", "MiB" },
    { "maxmem", 0, 0, G_OPTION_ARG_INT64, &opt.maxmem,
      "Memory the domain may own in MiB, RAM plus what the device model populates "
      "(default memory + 64)", "MiB" },
    { "vcpus", 0, 0, G_OPTION_ARG_INT, &opt.vcpus, "Number of vCPUs (default 1, max 128)", "N" },
    { "name", 0, 0, G_OPTION_ARG_STRING, &opt.name, "Domain name (default guestN)", "NAME" },
    { "uuid", 0, 0, G_OPTION_ARG_STRING, &opt.uuid, "Domain UUID", "UUID" },
    { "qtest", 0, 0, G_OPTION_ARG_STRING, &opt.qtest,
      "Connect to a qtest client at unix:PATH once the device model runs (default: taken "
      "from -qtest in the device model command line)", "unix:PATH" },
    { "xenstore-socket", 0, 0, G_OPTION_ARG_FILENAME, &opt.xs_socket,
      "Serve xenstore on this socket (default: in a private temporary directory)", "PATH" },
    { "libdir", 0, 0, G_OPTION_ARG_FILENAME, &opt.libdir,
      "Replacement Xen libraries (default: xensim-lib next to this program)", "DIR" },
    { "ioreq-timeout", 0, 0, G_OPTION_ARG_INT, &opt.ioreq_timeout,
      "Give up on a synchronous ioreq after this long (default 10000)", "MS" },
    { "start-timeout", 0, 0, G_OPTION_ARG_INT, &opt.start_timeout,
      "Fail if the device model does not report running in time (default 60000)", "MS" },
    { "no-resource-map", 0, 0, G_OPTION_ARG_NONE, &opt.no_resource_map,
      "Refuse xenforeignmemory_map_resource (EOPNOTSUPP), forcing the gfn fallback", NULL },
    { "no-domid-arg", 0, 0, G_OPTION_ARG_NONE, &opt.no_domid_arg,
      "Do not add -xen-domid N when the device model command line lacks it", NULL },
    { "quiet", 'q', 0, G_OPTION_ARG_NONE, &opt.quiet,
      "Do not print the \"domain N running\" line on stdout", NULL },
    { "verbose", 'v', 0, G_OPTION_ARG_NONE, &opt.verbose,
      "Trace ioreqs, library calls and qtest traffic on stderr", NULL },
    { NULL },
};

static void vlog(const char *prefix, const char *fmt, va_list ap)
{
    char *msg = g_strdup_vprintf(fmt, ap);

    fprintf(stderr, "xensim: %s%s\n", prefix, msg);
    g_free(msg);
}

void sim_log(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vlog("", fmt, ap);
    va_end(ap);
}

void sim_trace(const char *fmt, ...)
{
    va_list ap;

    if (!sim->verbose) {
        return;
    }
    va_start(ap, fmt);
    vlog("trace: ", fmt, ap);
    va_end(ap);
}

void sim_record(const char *fmt, ...)
{
    va_list ap;
    char *s;

    va_start(ap, fmt);
    s = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    sim_trace("record: %s", s);
    if (sim->records->len >= MAX_RECORDS) {
        g_ptr_array_remove_range(sim->records, 0, MAX_RECORDS / 10);
    }
    g_ptr_array_add(sim->records, s);
}

/*
 * One main loop iteration that sleeps at most timeout_ms (what
 * g_main_context_iteration does, with our bound on the poll, so a waiting
 * vCPU needs no timer source per ioreq).
 */
static void iterate(int timeout_ms)
{
    GMainContext *ctx = g_main_context_default();
    static GPollFD *fds;
    static gint nalloc;
    gint max_priority, timeout, n;

    g_main_context_prepare(ctx, &max_priority);
    while ((n = g_main_context_query(ctx, max_priority, &timeout, fds, nalloc)) > nalloc) {
        nalloc = n;
        fds = g_renew(GPollFD, fds, nalloc);
    }
    if (timeout < 0 || timeout > timeout_ms) {
        timeout = timeout_ms;
    }
    g_poll(fds, n, timeout);
    if (g_main_context_check(ctx, max_priority, fds, n)) {
        g_main_context_dispatch(ctx);
    }
}

bool sim_wait_until(bool (*done)(void *opaque), void *opaque, unsigned timeout_ms)
{
    gint64 deadline = g_get_monotonic_time() + (gint64)timeout_ms * 1000;

    while (!done(opaque) && !sim->dm_exited && !sim->terminating && !sim->destroyed) {
        gint64 left = deadline - g_get_monotonic_time();

        if (left <= 0) {
            break;
        }
        iterate((int)((left + 999) / 1000));
    }
    return done(opaque);
}

static void stop_dm(void)
{
    if (sim->dm_pid > 0 && !sim->dm_exited) {
        /* libxl kills the device model with SIGHUP (libxl_aoutils.c). */
        kill(sim->dm_pid, SIGHUP);
    }
}

static gboolean kill_dm_cb(gpointer opaque)
{
    if (sim->dm_pid > 0 && !sim->dm_exited) {
        sim_log("device model %d ignored SIGHUP: killing it", (int)sim->dm_pid);
        kill(sim->dm_pid, SIGKILL);
    }
    return G_SOURCE_REMOVE;
}

void sim_terminate(const char *why)
{
    if (sim->terminating) {
        return;
    }
    sim->terminating = true;
    sim_trace("terminating: %s", why);
    if (sim->dm_pid > 0 && !sim->dm_exited) {
        stop_dm();
        g_timeout_add(10000, kill_dm_cb, NULL);
    } else {
        g_main_loop_quit(sim->loop);
    }
}

void sim_domain_destroy(const char *why)
{
    char *path;

    if (sim->destroyed) {
        return;
    }
    sim_log("destroying domain %u: %s", sim->domid, why);
    sim->dying = true;
    sim->destroyed = true;
    ioreq_destroy_all();
    path = g_strdup_printf("/local/domain/%u", sim->domid);
    xs_store_rm(sim->xs, path);
    g_free(path);
    xs_store_set_introduced(sim->xs, sim->domid, false);
    xs_store_fire_special(sim->xs, "@releaseDomain");
    evtchn_send_virq(VIRQ_DOM_EXC);
    sim_terminate(why);
}

static gboolean signal_cb(gpointer opaque)
{
    sim_terminate(GPOINTER_TO_INT(opaque) == SIGINT ? "SIGINT" : "SIGTERM");
    return G_SOURCE_CONTINUE;
}

static void child_cb(GPid pid, gint status, gpointer opaque)
{
    sim->dm_exited = true;
    sim->dm_status = status;
    if (!sim->terminating) {
        if (WIFEXITED(status)) {
            sim_log("device model exited with status %d%s", WEXITSTATUS(status),
                    sim->dm_running ? "" : " before reporting running");
        } else if (WIFSIGNALED(status)) {
            sim_log("device model killed by signal %d (%s)%s", WTERMSIG(status),
                    strsignal(WTERMSIG(status)),
                    sim->dm_running ? "" : " before reporting running");
        }
    }
    g_spawn_close_pid(pid);
    g_main_loop_quit(sim->loop);
}

static gboolean start_timeout_cb(gpointer opaque)
{
    if (!sim->dm_running && !sim->dm_exited) {
        sim_log("device model did not write \"running\" to "
                "/local/domain/0/device-model/%u/state within %d ms", sim->domid,
                opt.start_timeout);
        sim_failed = true;
        sim_terminate("start timeout");
    }
    return G_SOURCE_REMOVE;
}

static gboolean on_running(gpointer opaque)
{
    GError *err = NULL;
    char *path = g_strdup_printf("/local/domain/%u/image/device-model-pid", sim->domid);

    xs_store_printf(sim->xs, path, "%d", (int)sim->dm_pid);
    g_free(path);
    /* xl create without -p: unpause the domain once the device model is ready. */
    if (sim->pause_count) {
        sim->pause_count--;
    }
    if (!opt.quiet) {
        printf("xensim: domain %u running (device model pid %d)\n", sim->domid,
               (int)sim->dm_pid);
        fflush(stdout);
    }
    if (opt.qtest && !qtest_connect(opt.qtest, &err)) {
        sim_log("%s", err->message);
        g_error_free(err);
        sim_failed = true;
        sim_terminate("qtest connection failed");
    }
    return G_SOURCE_REMOVE;
}

static void dm_state_watch(XsStore *store, const char *path, void *opaque)
{
    const char *state_path = opaque;
    char *v;

    if (sim->dm_running || strcmp(path, state_path)) {
        return;
    }
    v = xs_store_read(store, state_path, NULL);
    if (v && !strcmp(v, "running")) {
        sim->dm_running = true;
        g_idle_add(on_running, NULL);
    }
    g_free(v);
}

/* Take the harness's options out of the device model's command line. */
static GPtrArray *dm_argv_from(char **args)
{
    GPtrArray *argv = g_ptr_array_new_with_free_func(g_free);
    bool has_domid = false;
    unsigned i;

    for (i = 0; args[i]; i++) {
        const char *a = args[i];

        if ((!strcmp(a, "-qtest") || !strcmp(a, "--qtest")) && args[i + 1]) {
            if (!opt.qtest) {
                opt.qtest = g_strdup(args[i + 1]);
            }
            i++;
            continue;
        }
        if ((!strcmp(a, "-qtest-log") || !strcmp(a, "--qtest-log")) && args[i + 1]) {
            i++;
            continue;
        }
        if ((!strcmp(a, "-accel") || !strcmp(a, "--accel")) && args[i + 1] &&
            !strcmp(args[i + 1], "qtest")) {
            i++;
            continue;
        }
        if (!strcmp(a, "-xen-domid") || !strcmp(a, "--xen-domid")) {
            has_domid = true;
        }
        g_ptr_array_add(argv, g_strdup(a));
    }
    if (!has_domid && !opt.no_domid_arg && argv->len) {
        /* libxl always starts the command line with it. */
        g_ptr_array_insert(argv, 1, g_strdup_printf("%u", sim->domid));
        g_ptr_array_insert(argv, 1, g_strdup("-xen-domid"));
    }
    g_ptr_array_add(argv, NULL);
    return argv;
}

static char **dm_environment(void)
{
    char **env = g_get_environ();
    const char *old = g_environ_getenv(env, "LD_LIBRARY_PATH");
    char *ld = old && *old ? g_strdup_printf("%s:%s", sim->libdir, old) : g_strdup(sim->libdir);
    char *domid = g_strdup_printf("%u", sim->domid);

    env = g_environ_setenv(env, "LD_LIBRARY_PATH", ld, TRUE);
    env = g_environ_setenv(env, "XENSTORED_PATH", sim->xs_socket_path, TRUE);
    env = g_environ_setenv(env, XENSIM_SOCKET_ENV, sim->sim_socket_path, TRUE);
    env = g_environ_setenv(env, "XEN_DOMAIN_ID", domid, TRUE);
    g_free(ld);
    g_free(domid);
    return env;
}

static bool spawn_dm(GPtrArray *argv, GError **errp)
{
    char **env = dm_environment();
    pid_t parent = getpid();
    pid_t pid;

    fflush(stdout);
    fflush(stderr);
    pid = fork();
    if (pid < 0) {
        g_set_error(errp, G_SPAWN_ERROR, G_SPAWN_ERROR_FORK, "fork: %s", g_strerror(errno));
        g_strfreev(env);
        return false;
    }
    if (pid == 0) {
        /* If xensim dies, the device model hears it as libxl would tell it. */
        prctl(PR_SET_PDEATHSIG, SIGHUP);
        if (getppid() != parent) {
            _exit(127);
        }
        execvpe(g_ptr_array_index(argv, 0), (char **)argv->pdata, env);
        fprintf(stderr, "xensim: cannot run %s: %s\n", (char *)g_ptr_array_index(argv, 0),
                strerror(errno));
        _exit(127);
    }
    g_strfreev(env);
    sim->dm_pid = pid;
    g_child_watch_add(pid, child_cb, NULL);
    return true;
}

static char *default_libdir(void)
{
    char *exe = g_file_read_link("/proc/self/exe", NULL);
    char *dir, *lib;

    if (!exe) {
        return g_strdup("xensim-lib");
    }
    dir = g_path_get_dirname(exe);
    lib = g_build_filename(dir, "xensim-lib", NULL);
    g_free(exe);
    g_free(dir);
    return lib;
}

static void remove_run_dir(void)
{
    if (sim->run_dir) {
        rmdir(sim->run_dir);
    }
}

static bool init_domain(GError **errp)
{
    unsigned i;

    sim->pause_count = 1;   /* domains are built paused; unpaused once the DM runs */
    sim->mem_type_server = -1;
    sim->qtest_fd = -1;
    sim->sim_listen_fd = sim->xs_listen_fd = -1;
    sim->records = g_ptr_array_new_with_free_func(g_free);
    sim->grants = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL, g_free);
    sim->vcpu_blocked = g_new0(bool, sim->vcpus);
    sim->vcpu_blocked_server = g_new0(int, sim->vcpus);
    if (!mem_init(errp)) {
        return false;
    }
    sim->tot_pages = 0;
    for (i = 0; i < sim->p2m->len; i++) {
        sim->tot_pages += g_array_index(sim->p2m, P2mExtent, i).nr;
    }
    evtchn_init();
    platform_init();
    /* As libxc/libxl leave them for an HVM guest (xg_dom_x86.c special pages). */
    sim->hvm_params[HVM_PARAM_STORE_PFN] = 0xfeffc;
    sim->hvm_params[HVM_PARAM_CONSOLE_PFN] = 0xfefff;
    sim->hvm_params[HVM_PARAM_IDENT_PT] = 0xfeffeULL << XSIM_PAGE_SHIFT;
    sim->hvm_params[HVM_PARAM_IOREQ_SERVER_PFN] = XSIM_IOREQ_GFN_BASE;
    sim->hvm_params[HVM_PARAM_NR_IOREQ_SERVER_PAGES] = XSIM_IOREQ_GFN_COUNT;
    sim->hvm_params[HVM_PARAM_PAE_ENABLED] = 1;
    sim->hvm_params[HVM_PARAM_HPET_ENABLED] = 1;
    sim->hvm_params[HVM_PARAM_STORE_EVTCHN] = (uint64_t)evtchn_alloc_guest_unbound(0);
    sim->hvm_params[HVM_PARAM_CONSOLE_EVTCHN] = (uint64_t)evtchn_alloc_guest_unbound(0);
    return true;
}

static bool check_options(char **dm_args, GError **errp)
{
    if (opt.domid < 1 || opt.domid >= (gint)DOMID_FIRST_RESERVED) {
        g_set_error(errp, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                    "--domid must be 1..%u (0 is dom0, where the device model runs)",
                    DOMID_FIRST_RESERVED - 1);
        return false;
    }
    if (opt.memory < 2 || opt.memory > (1 << 20)) {
        g_set_error(errp, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                    "--memory must be 2..1048576 MiB");
        return false;
    }
    if (opt.maxmem == 0) {
        opt.maxmem = opt.memory + 64;
    }
    if (opt.maxmem < opt.memory || opt.maxmem > (2 << 20)) {
        g_set_error(errp, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                    "--maxmem must be at least --memory (and at most 2 TiB)");
        return false;
    }
    if (opt.vcpus < 1 || opt.vcpus > XSIM_MAX_VCPUS) {
        g_set_error(errp, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                    "--vcpus must be 1..%d (one shared ioreq page)", XSIM_MAX_VCPUS);
        return false;
    }
    if (opt.ioreq_timeout < 1 || opt.start_timeout < 1) {
        g_set_error(errp, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE, "timeouts must be > 0");
        return false;
    }
    if (!dm_args || !dm_args[0]) {
        g_set_error(errp, G_OPTION_ERROR, G_OPTION_ERROR_FAILED,
                    "no device model command line after \"--\"");
        return false;
    }
    return true;
}

int main(int argc, char **argv)
{
    GOptionContext *ctx;
    GError *err = NULL;
    char **own_args, **dm_args = NULL;
    GPtrArray *dm_argv = NULL;
    char *lib_probe, *state_path;
    int own_argc, i, status = 1;

    /* Split at "--": ours before, the device model's after. */
    own_args = g_new0(char *, argc + 1);
    for (i = 0; i < argc && strcmp(argv[i], "--"); i++) {
        own_args[i] = argv[i];
    }
    own_argc = i;
    if (i < argc) {
        dm_args = &argv[i + 1];
    }
    ctx = g_option_context_new("-- DEVICE-MODEL [ARGS...]");
    g_option_context_set_summary(ctx,
        "Simulates Xen and xenstored for one HVM domain and runs a device model\n"
        "against it (LD_LIBRARY_PATH points it at xensim's Xen libraries).\n"
        "Guest accesses come from a qtest client (see tools/xensim/README.md).");
    g_option_context_add_main_entries(ctx, entries, NULL);
    if (!g_option_context_parse(ctx, &own_argc, &own_args, &err)) {
        fprintf(stderr, "xensim: %s (try --help)\n", err->message);
        return 1;
    }
    if (own_argc > 1) {
        fprintf(stderr, "xensim: unexpected argument '%s' (the device model command line "
                "goes after \"--\")\n", own_args[1]);
        return 1;
    }
    g_option_context_free(ctx);
    if (!check_options(dm_args, &err)) {
        fprintf(stderr, "xensim: %s\n", err->message);
        return 1;
    }

    sim = g_new0(XenSim, 1);
    sim->domid = (unsigned)opt.domid;
    sim->name = opt.name ? opt.name : g_strdup_printf("guest%u", sim->domid);
    sim->uuid = opt.uuid ? opt.uuid
                         : g_strdup_printf("00000000-0000-4000-8000-%012x", sim->domid);
    sim->memory_mib = (uint64_t)opt.memory;
    sim->maxmem_mib = (uint64_t)opt.maxmem;
    sim->vcpus = (unsigned)opt.vcpus;
    sim->ioreq_timeout_ms = (unsigned)opt.ioreq_timeout;
    sim->no_resource_map = opt.no_resource_map;
    sim->verbose = opt.verbose;
    sim->libdir = opt.libdir ? opt.libdir : default_libdir();
    sim->loop = g_main_loop_new(NULL, FALSE);

    lib_probe = g_build_filename(sim->libdir, "libxenctrl.so.4.17", NULL);
    if (!g_file_test(lib_probe, G_FILE_TEST_EXISTS)) {
        fprintf(stderr, "xensim: replacement Xen libraries not found (%s missing); "
                "build them or pass --libdir\n", lib_probe);
        return 1;
    }
    g_free(lib_probe);
    if (!init_domain(&err)) {
        fprintf(stderr, "xensim: %s\n", err->message);
        return 1;
    }
    dm_argv = dm_argv_from(dm_args);

    sim->run_dir = g_dir_make_tmp("xensim-XXXXXX", &err);
    if (!sim->run_dir) {
        fprintf(stderr, "xensim: %s\n", err->message);
        return 1;
    }
    sim->sim_socket_path = g_build_filename(sim->run_dir, "hypervisor", NULL);
    sim->xs_socket_path = opt.xs_socket ? opt.xs_socket
                                        : g_build_filename(sim->run_dir, "xenstored", NULL);
    sim->xs = xs_store_new();
    xs_populate_domain();
    state_path = g_strdup_printf("/local/domain/0/device-model/%u/state", sim->domid);
    xs_store_add_watch(sim->xs, state_path, dm_state_watch, state_path);
    if (!xs_socket_init(sim->xs_socket_path, &err) || !control_init(&err)) {
        fprintf(stderr, "xensim: %s\n", err->message);
        goto out;
    }
    g_unix_signal_add(SIGTERM, signal_cb, GINT_TO_POINTER(SIGTERM));
    g_unix_signal_add(SIGINT, signal_cb, GINT_TO_POINTER(SIGINT));
    signal(SIGPIPE, SIG_IGN);
    sim_trace("domain %u: %" PRIu64 " MiB, %u vcpus; xenstore at %s", sim->domid,
              sim->memory_mib, sim->vcpus, sim->xs_socket_path);
    if (!spawn_dm(dm_argv, &err)) {
        fprintf(stderr, "xensim: %s\n", err->message);
        goto out;
    }
    g_timeout_add((guint)opt.start_timeout, start_timeout_cb, NULL);
    g_main_loop_run(sim->loop);

    if (sim_failed) {
        status = 1;
    } else if (WIFEXITED(sim->dm_status)) {
        status = WEXITSTATUS(sim->dm_status);
    } else if (WIFSIGNALED(sim->dm_status)) {
        /* Killed by the SIGHUP we sent to stop it: a clean stop. */
        status = (sim->terminating && WTERMSIG(sim->dm_status) == SIGHUP)
                 ? 0 : 128 + WTERMSIG(sim->dm_status);
    }
out:
    qtest_close();
    control_shutdown();
    xs_socket_shutdown();
    remove_run_dir();
    return status;
}
