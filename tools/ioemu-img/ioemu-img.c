/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * ioemu-img: the disk image tool.  Command names, option spelling, output
 * layout and exit codes follow qemu-img so scripts written for one work
 * with the other.  This file: main, create, info, check, snapshot, resize,
 * map; img-convert.c: convert, compare, commit, rebase.
 */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tools/ioemu-img/img.h"

/* ---- helpers ---- */

void img_error(const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, IMG_NAME ": ");
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

BlockBackend *img_open(const char *filename, const char *fmt, unsigned flags,
                       BlockCacheMode cache)
{
    GError *err = NULL;
    BlockBackend *blk = blk_open(filename, fmt, flags, cache, &err);
    if (!blk) {
        img_error("Could not open '%s': %s", filename, err->message);
        g_error_free(err);
    }
    return blk;
}

int img_bad_option(int c, char **argv, int status)
{
    if (c == ':') {
        img_error("argument expected for option '%s'", argv[optind - 1]);
    } else {
        img_error("unrecognized option '%s'", argv[optind - 1]);
    }
    return status;
}

bool img_expect_one_filename(int argc)
{
    if (optind != argc - 1) {
        img_error("Expecting one image file name");
        return false;
    }
    return true;
}

bool img_parse_cache(const char *name, BlockCacheMode *mode)
{
    if (!blk_parse_cache_mode(name, mode)) {
        img_error("Invalid cache option: %s", name);
        return false;
    }
    return true;
}

static double progress_last = -1;

void img_progress(bool enabled, double percent)
{
    if (!enabled) {
        return;
    }
    if (percent - progress_last < 1.0 && percent < 100.0 && progress_last >= 0) {
        return;
    }
    if (percent >= 100.0 && progress_last >= 100.0) {
        return;
    }
    progress_last = percent;
    printf("    (%3.2f/100%%)\r", percent);
    fflush(stdout);
}

void img_progress_done(bool enabled)
{
    if (enabled) {
        img_progress(true, 100.0);
        putchar('\n');
        fflush(stdout);
    }
}

/* qemu's size_to_str: three significant digits, binary units. */
static char *size_to_str(uint64_t val)
{
    static const char *const suffixes[] = { "", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei" };
    int i;
    frexp(val / (1000.0 / 1024.0), &i);
    i = (i - 1) / 10;
    if (i < 0) {
        i = 0;
    }
    if (i >= (int)G_N_ELEMENTS(suffixes)) {
        i = G_N_ELEMENTS(suffixes) - 1;
    }
    uint64_t div = 1ull << (i * 10);
    return g_strdup_printf("%0.3g %sB", (double)val / div, suffixes[i]);
}

typedef enum { OUTPUT_HUMAN, OUTPUT_JSON } OutputFormat;

static bool parse_output(const char *s, OutputFormat *out)
{
    if (!strcmp(s, "human")) {
        *out = OUTPUT_HUMAN;
    } else if (!strcmp(s, "json")) {
        *out = OUTPUT_JSON;
    } else {
        img_error("--output must be used with human or json as argument.");
        return false;
    }
    return true;
}

/* JSON output as qemu-img prints it: 4-space indent, "key": value. */
typedef struct Json {
    GString *s;
    int depth;
    bool first;
} Json;

static void json_indent(Json *j)
{
    for (int i = 0; i < j->depth; i++) {
        g_string_append(j->s, "    ");
    }
}

static void json_key(Json *j, const char *key)
{
    g_string_append(j->s, j->first ? "\n" : ",\n");
    j->first = false;
    json_indent(j);
    if (key) {
        g_string_append_printf(j->s, "\"%s\": ", key);
    }
}

static void json_open(Json *j, const char *key, char bracket)
{
    if (key || j->depth) {
        json_key(j, key);
    }
    g_string_append_c(j->s, bracket);
    j->depth++;
    j->first = true;
}

static void json_close(Json *j, char bracket)
{
    j->depth--;
    if (!j->first) {
        g_string_append_c(j->s, '\n');
        json_indent(j);
    }
    g_string_append_c(j->s, bracket);
    j->first = false;
}

static void json_str(Json *j, const char *key, const char *val)
{
    json_key(j, key);
    g_string_append_c(j->s, '"');
    for (const char *p = val; *p; p++) {
        unsigned char c = *p;
        if (c == '"' || c == '\\') {
            g_string_append_printf(j->s, "\\%c", c);
        } else if (c < 0x20) {
            g_string_append_printf(j->s, "\\u%04x", c);
        } else {
            g_string_append_c(j->s, c);
        }
    }
    g_string_append_c(j->s, '"');
}

static void json_int(Json *j, const char *key, int64_t val)
{
    json_key(j, key);
    g_string_append_printf(j->s, "%" PRId64, val);
}

static void json_uint(Json *j, const char *key, uint64_t val)
{
    json_key(j, key);
    g_string_append_printf(j->s, "%" PRIu64, val);
}

static void json_bool(Json *j, const char *key, bool val)
{
    json_key(j, key);
    g_string_append(j->s, val ? "true" : "false");
}

static void help(void)
{
    printf(
"ioemu-img: disk image utility (qemu-img compatible)\n"
"usage: " IMG_NAME " [standard options] command [command options]\n"
"\n"
"    '-h', '--help'       display this help and exit\n"
"    '-V', '--version'    output version information and exit\n"
"\n"
"Command syntax:\n"
"  bench [-c count] [-d depth] [-f fmt] [-o offset] [-q] [-s buffer_size] [-S step_size]\n"
"        [-t cache] [-w] [--pattern=pattern] filename\n"
"  check [-q] [-f fmt] [--output=ofmt] [-r [leaks | all]] [-T src_cache] [-U] filename\n"
"  commit [-q] [-f fmt] [-t cache] [-b base] [-d] [-p] filename\n"
"  compare [-f fmt] [-F fmt] [-T src_cache] [-p] [-q] [-s] [-U] filename1 filename2\n"
"  convert [-U] [-c] [-p] [-q] [-n] [-f fmt] [-t cache] [-T src_cache] [-O output_fmt]\n"
"          [-B backing_file [-F backing_fmt]] [-o options] [-S sparse_size]\n"
"          filename [filename2 [...]] output_filename\n"
"  create [-q] [-f fmt] [-b backing_file [-F backing_fmt]] [-u] [-o options] filename [size]\n"
"  info [-f fmt] [--output=ofmt] [--backing-chain] [-U] filename\n"
"  map [-f fmt] [--start-offset=offset] [--max-length=len] [--output=ofmt] [-U] filename\n"
"  snapshot [-U] [-q] [-l | -a snapshot | -c snapshot | -d snapshot] filename\n"
"  rebase [-U] [-q] [-f fmt] [-t cache] [-T src_cache] [-p] [-u] -b backing_file\n"
"         [-F backing_fmt] filename\n"
"  resize [-f fmt] [--shrink] [-q] filename [+ | -]size\n"
"\n"
"Formats: raw qcow2.  Create options for qcow2 (-o): cluster_size, compat (0.10|1.1),\n"
"backing_file, backing_fmt, compression_type (zlib|zstd), refcount_bits,\n"
"lazy_refcounts.  Sizes take the suffixes k, M, G, T, P, E.\n"
"Exit codes as qemu-img: check 0 ok, 1 check failed, 2 corruptions, 3 leaks,\n"
"63 format cannot be checked; compare 0 identical, 1 different, 2 open error.\n");
}

/* ---- create ---- */

static int img_create(int argc, char **argv)
{
    const char *fmt = "raw", *backing = NULL, *backing_fmt = NULL;
    GPtrArray *option_strs = g_ptr_array_new();
    bool quiet = false, unsafe = false;
    int c;

    static const struct option longopts[] = {
        { "help", no_argument, NULL, 'h' },
        { "object", required_argument, NULL, 'O' + 256 },
        { NULL, 0, NULL, 0 },
    };
    while ((c = getopt_long(argc, argv, ":F:b:f:ho:qu", longopts, NULL)) != -1) {
        switch (c) {
        case 'f': fmt = optarg; break;
        case 'b': backing = optarg; break;
        case 'F': backing_fmt = optarg; break;
        case 'o': g_ptr_array_add(option_strs, optarg); break;
        case 'q': quiet = true; break;
        case 'u': unsafe = true; break;
        case 'h': help(); return 0;
        case ':':
        default: return img_bad_option(c, argv, 1);
        }
    }
    if (optind >= argc) {
        img_error("Expecting image file name");
        return 1;
    }
    const char *filename = argv[optind++];
    BlockCreateOptions opts = { .format = fmt, .size = -1 };
    GPtrArray *keep = g_ptr_array_new_with_free_func(g_free);
    GError *err = NULL;
    int ret = 1;

    for (guint i = 0; i < option_strs->len; i++) {
        const char *o = option_strs->pdata[i];
        if (!strcmp(o, "help") || !strcmp(o, "?")) {
            printf("Supported options:\n"
                   "  backing_file=<str>     - File name of a base image\n"
                   "  backing_fmt=<str>      - Image format of the base image\n"
                   "  cluster_size=<size>    - qcow2 cluster size\n"
                   "  compat=<str>           - Compatibility level (v2 [0.10], v3 [1.1])\n"
                   "  compression_type=<str> - Compression method used for image cluster "
                   "compression\n"
                   "  lazy_refcounts=<bool (on/off)> - Postpone refcount updates\n"
                   "  refcount_bits=<num>    - Width of a reference count entry in bits\n"
                   "  size=<size>            - Virtual disk size\n");
            ret = 0;
            goto out;
        }
        if (!blk_parse_create_options(o, &opts, keep, &err)) {
            img_error("%s", err->message);
            goto out;
        }
    }
    if (backing) {
        opts.backing_file = backing;
    }
    if (backing_fmt) {
        opts.backing_format = backing_fmt;
    }
    opts.backing_unsafe = unsafe;
    if (optind < argc) {
        int64_t size;
        if (!blk_parse_size(argv[optind], &size)) {
            img_error("Invalid image size specified. Must be between 0 and 9223372036854775807.");
            goto out;
        }
        opts.size = size;
        optind++;
    }
    if (optind < argc) {
        img_error("Unexpected argument: %s", argv[optind]);
        goto out;
    }
    bool is_qcow2 = !strcmp(fmt, "qcow2");
    if (!is_qcow2 && strcmp(fmt, "raw") != 0) {
        img_error("Unknown file format '%s'", fmt);
        goto out;
    }
    if (!is_qcow2 && (opts.cluster_size || opts.compat || opts.compression_type ||
                      opts.refcount_bits || opts.lazy_refcounts)) {
        img_error("Invalid parameter for format '%s'", fmt);
        goto out;
    }
    if (opts.backing_file && *opts.backing_file && !opts.backing_format) {
        img_error("%s: Backing file specified without backing format", filename);
        goto out;
    }
    if (opts.size < 0 && !(opts.backing_file && *opts.backing_file)) {
        img_error("%s: Image creation needs a size parameter", filename);
        goto out;
    }
    if (opts.size < 0 && unsafe) {
        img_error("%s: Image creation needs a size parameter", filename);
        goto out;
    }

    /* Resolve the size from the backing file before printing, as qemu-img does. */
    if (opts.size < 0) {
        char *path = blk_resolve_backing_path(filename, opts.backing_file);
        BlockBackend *b = img_open(path, opts.backing_format, BLK_OPEN_NO_IO, BLK_CACHE_WRITEBACK);
        g_free(path);
        if (!b) {
            goto out;
        }
        opts.size = blk_getlength(b);
        blk_close(b);
    }

    if (!quiet) {
        if (is_qcow2) {
            printf("Formatting '%s', fmt=qcow2 cluster_size=%d extended_l2=off "
                   "compression_type=%s size=%" PRId64, filename,
                   opts.cluster_size ? opts.cluster_size : 65536,
                   opts.compression_type ? "zstd" : "zlib", opts.size);
            if (opts.compat) {
                printf(" compat=%s", opts.compat == 2 ? "0.10" : "1.1");
            }
            if (opts.backing_file && *opts.backing_file) {
                printf(" backing_file=%s", opts.backing_file);
                if (opts.backing_format) {
                    printf(" backing_fmt=%s", opts.backing_format);
                }
            }
            printf(" lazy_refcounts=%s refcount_bits=%d\n", opts.lazy_refcounts ? "on" : "off",
                   opts.refcount_bits ? opts.refcount_bits : 16);
        } else {
            printf("Formatting '%s', fmt=raw size=%" PRId64 "\n", filename, opts.size);
        }
        fflush(stdout);
    }
    if (blk_create(filename, &opts, &err) < 0) {
        img_error("%s: %s", filename, err->message);
        goto out;
    }
    ret = 0;
out:
    g_clear_error(&err);
    g_ptr_array_free(keep, TRUE);
    g_ptr_array_free(option_strs, TRUE);
    return ret;
}

/* ---- info ---- */

static void dump_snapshot_human_header(void)
{
    printf("%-10s%-17s%8s%20s%13s%11s\n", "ID", "TAG", "VM SIZE", "DATE", "VM CLOCK",
           "ICOUNT");
}

static void dump_snapshot_human(const BlockSnapshotInfo *sn)
{
    GDateTime *date = g_date_time_new_from_unix_local(sn->date_sec);
    char *date_buf = date ? g_date_time_format(date, "%Y-%m-%d %H:%M:%S") : g_strdup("?");
    uint64_t secs = sn->vm_clock_nsec / 1000000000ull;
    char clock_buf[64], icount_buf[32] = "";
    snprintf(clock_buf, sizeof(clock_buf), "%02d:%02d:%02d.%03d", (int)(secs / 3600),
             (int)((secs / 60) % 60), (int)(secs % 60),
             (int)((sn->vm_clock_nsec / 1000000) % 1000));
    if (sn->icount != UINT64_MAX) {
        snprintf(icount_buf, sizeof(icount_buf), "%" PRId64, (int64_t)sn->icount);
    }
    char *sizing = size_to_str(sn->vm_state_size);
    printf("%-9s %-16s %8s%20s%13s%11s\n", sn->id, sn->name, sizing, date_buf, clock_buf,
           icount_buf);
    g_free(sizing);
    g_free(date_buf);
    if (date) {
        g_date_time_unref(date);
    }
}

static void dump_info_human(const BlockImageInfo *info)
{
    char *vsize = size_to_str(info->virtual_size);
    printf("image: %s\nfile format: %s\nvirtual size: %s (%" PRId64 " bytes)\n",
           info->filename, info->format, vsize, info->virtual_size);
    g_free(vsize);
    if (info->actual_size >= 0) {
        char *dsize = size_to_str(info->actual_size);
        printf("disk size: %s\n", dsize);
        g_free(dsize);
    } else {
        printf("disk size: unavailable\n");
    }
    if (info->cluster_size) {
        printf("cluster_size: %" PRId64 "\n", info->cluster_size);
    }
    if (info->dirty) {
        printf("cleanly shut down: no\n");
    }
    if (info->backing_file) {
        printf("backing file: %s", info->backing_file);
        if (info->full_backing_file && strcmp(info->backing_file, info->full_backing_file)) {
            printf(" (actual path: %s)", info->full_backing_file);
        }
        putchar('\n');
        if (info->backing_format) {
            printf("backing file format: %s\n", info->backing_format);
        }
    }
    if (info->snapshots && info->snapshots->len) {
        printf("Snapshot list:\n");
        dump_snapshot_human_header();
        for (guint i = 0; i < info->snapshots->len; i++) {
            dump_snapshot_human(&g_array_index(info->snapshots, BlockSnapshotInfo, i));
        }
    }
    if (info->has_qcow2) {
        printf("Format specific information:\n");
        printf("    compat: %s\n", info->qcow2_version >= 3 ? "1.1" : "0.10");
        printf("    compression type: %s\n", info->compression_type);
        if (info->qcow2_version >= 3) {
            printf("    lazy refcounts: %s\n", info->lazy_refcounts ? "true" : "false");
            printf("    refcount bits: %d\n", info->refcount_bits);
            printf("    corrupt: %s\n", info->corrupt ? "true" : "false");
            printf("    extended l2: false\n");
        } else {
            printf("    refcount bits: %d\n", info->refcount_bits);
        }
    }
}

/* Key order as qemu-img 7.2 prints it. */
static void dump_info_json(Json *j, const BlockImageInfo *info)
{
    json_open(j, NULL, '{');
    if (info->backing_file && info->backing_format) {
        json_str(j, "backing-filename-format", info->backing_format);
    }
    if (info->snapshots && info->snapshots->len) {
        json_open(j, "snapshots", '[');
        for (guint i = 0; i < info->snapshots->len; i++) {
            const BlockSnapshotInfo *sn = &g_array_index(info->snapshots, BlockSnapshotInfo, i);
            json_open(j, NULL, '{');
            if (sn->icount != UINT64_MAX) {
                json_uint(j, "icount", sn->icount);
            }
            json_uint(j, "vm-clock-nsec", sn->vm_clock_nsec % 1000000000ull);
            json_str(j, "name", sn->name);
            json_uint(j, "date-sec", sn->date_sec);
            json_uint(j, "date-nsec", sn->date_nsec);
            json_uint(j, "vm-clock-sec", sn->vm_clock_nsec / 1000000000ull);
            json_str(j, "id", sn->id);
            json_uint(j, "vm-state-size", sn->vm_state_size);
            json_close(j, '}');
        }
        json_close(j, ']');
    }
    json_int(j, "virtual-size", info->virtual_size);
    json_str(j, "filename", info->filename);
    if (info->cluster_size) {
        json_int(j, "cluster-size", info->cluster_size);
    }
    json_str(j, "format", info->format);
    if (info->actual_size >= 0) {
        json_int(j, "actual-size", info->actual_size);
    }
    if (info->has_qcow2) {
        json_open(j, "format-specific", '{');
        json_str(j, "type", "qcow2");
        json_open(j, "data", '{');
        json_str(j, "compat", info->qcow2_version >= 3 ? "1.1" : "0.10");
        json_str(j, "compression-type", info->compression_type);
        if (info->qcow2_version >= 3) {
            json_bool(j, "lazy-refcounts", info->lazy_refcounts);
        }
        json_int(j, "refcount-bits", info->refcount_bits);
        if (info->qcow2_version >= 3) {
            json_bool(j, "corrupt", info->corrupt);
            json_bool(j, "extended-l2", false);
        }
        json_close(j, '}');
        json_close(j, '}');
    }
    if (info->backing_file) {
        json_str(j, "full-backing-filename", info->full_backing_file);
        json_str(j, "backing-filename", info->backing_file);
    }
    json_bool(j, "dirty-flag", info->dirty);
    json_close(j, '}');
}

static int img_info(int argc, char **argv)
{
    const char *fmt = NULL;
    OutputFormat output = OUTPUT_HUMAN;
    bool chain = false;
    int c;
    static const struct option longopts[] = {
        { "help", no_argument, NULL, 'h' },
        { "format", required_argument, NULL, 'f' },
        { "output", required_argument, NULL, 256 },
        { "backing-chain", no_argument, NULL, 257 },
        { "force-share", no_argument, NULL, 'U' },
        { NULL, 0, NULL, 0 },
    };
    while ((c = getopt_long(argc, argv, ":f:hU", longopts, NULL)) != -1) {
        switch (c) {
        case 'f': fmt = optarg; break;
        case 'U': break;
        case 256: if (!parse_output(optarg, &output)) return 1; break;
        case 257: chain = true; break;
        case 'h': help(); return 0;
        case ':':
        default: return img_bad_option(c, argv, 1);
        }
    }
    if (!img_expect_one_filename(argc)) {
        return 1;
    }
    const char *filename = argv[optind];
    BlockBackend *blk = img_open(filename, fmt, chain ? BLK_OPEN_NO_IO :
                                 (BLK_OPEN_NO_IO | BLK_OPEN_NO_BACKING), BLK_CACHE_WRITEBACK);
    if (!blk) {
        return 1;
    }
    Json j = { .s = g_string_new(NULL) };
    if (chain && output == OUTPUT_JSON) {
        json_open(&j, NULL, '[');
    }
    int ret = 0;
    bool first = true;
    for (BlockDriverState *bs = blk_bs(blk); bs; bs = chain ? bdrv_backing(bs) : NULL) {
        BlockImageInfo info;
        GError *err = NULL;
        if (bdrv_get_image_info(bs, &info, &err) < 0) {
            img_error("%s", err->message);
            g_error_free(err);
            block_image_info_clear(&info);
            ret = 1;
            break;
        }
        if (output == OUTPUT_JSON) {
            dump_info_json(&j, &info);
        } else {
            if (!first) {
                putchar('\n');
            }
            dump_info_human(&info);
        }
        first = false;
        block_image_info_clear(&info);
    }
    if (chain && output == OUTPUT_JSON) {
        json_close(&j, ']');
    }
    if (output == OUTPUT_JSON && ret == 0) {
        printf("%s\n", j.s->str);
    }
    g_string_free(j.s, TRUE);
    blk_close(blk);
    return ret;
}

/* ---- check ---- */

static void dump_check_human(const BlockCheckResult *r)
{
    if (!(r->corruptions || r->leaks || r->check_errors)) {
        printf("No errors were found on the image.\n");
    } else {
        if (r->corruptions) {
            printf("\n%d errors were found on the image.\n"
                   "Data may be corrupted, or further writes to the image may corrupt it.\n",
                   r->corruptions);
        }
        if (r->leaks) {
            printf("\n%d leaked clusters were found on the image.\n"
                   "This means waste of disk space, but no harm to data.\n", r->leaks);
        }
        if (r->check_errors) {
            printf("\n%d internal errors have occurred during the check.\n", r->check_errors);
        }
    }
    if (r->total_clusters != 0 && r->allocated_clusters != 0) {
        printf("%" PRId64 "/%" PRId64 " = %0.2f%% allocated, %0.2f%% fragmented, %0.2f%% "
               "compressed clusters\n", r->allocated_clusters, r->total_clusters,
               r->allocated_clusters * 100.0 / r->total_clusters,
               r->fragmented_clusters * 100.0 / r->allocated_clusters,
               r->compressed_clusters * 100.0 / r->allocated_clusters);
    }
    if (r->image_end_offset) {
        printf("Image end offset: %" PRId64 "\n", r->image_end_offset);
    }
}

static void dump_check_json(const BlockCheckResult *r, const char *filename, const char *fmt)
{
    Json j = { .s = g_string_new(NULL) };
    json_open(&j, NULL, '{');
    if (r->image_end_offset) {
        json_int(&j, "image-end-offset", r->image_end_offset);
    }
    if (r->total_clusters) {
        json_int(&j, "total-clusters", r->total_clusters);
    }
    if (r->corruptions) {
        json_int(&j, "corruptions", r->corruptions);
    }
    json_int(&j, "check-errors", r->check_errors);
    if (r->leaks) {
        json_int(&j, "leaks", r->leaks);
    }
    if (r->corruptions_fixed) {
        json_int(&j, "corruptions-fixed", r->corruptions_fixed);
    }
    if (r->leaks_fixed) {
        json_int(&j, "leaks-fixed", r->leaks_fixed);
    }
    if (r->allocated_clusters) {
        json_int(&j, "allocated-clusters", r->allocated_clusters);
    }
    json_str(&j, "filename", filename);
    json_str(&j, "format", fmt);
    if (r->fragmented_clusters) {
        json_int(&j, "fragmented-clusters", r->fragmented_clusters);
    }
    if (r->compressed_clusters) {
        json_int(&j, "compressed-clusters", r->compressed_clusters);
    }
    json_close(&j, '}');
    printf("%s\n", j.s->str);
    g_string_free(j.s, TRUE);
}

static int img_check(int argc, char **argv)
{
    const char *fmt = NULL;
    OutputFormat output = OUTPUT_HUMAN;
    unsigned fix = 0;
    bool quiet = false;
    BlockCacheMode cache = BLK_CACHE_WRITEBACK;
    int c;
    static const struct option longopts[] = {
        { "help", no_argument, NULL, 'h' },
        { "format", required_argument, NULL, 'f' },
        { "repair", required_argument, NULL, 'r' },
        { "output", required_argument, NULL, 256 },
        { "force-share", no_argument, NULL, 'U' },
        { NULL, 0, NULL, 0 },
    };
    while ((c = getopt_long(argc, argv, ":hf:r:T:qU", longopts, NULL)) != -1) {
        switch (c) {
        case 'f': fmt = optarg; break;
        case 'r':
            if (!strcmp(optarg, "leaks")) {
                fix = BLK_FIX_LEAKS;
            } else if (!strcmp(optarg, "all")) {
                fix = BLK_FIX_LEAKS | BLK_FIX_ERRORS;
            } else {
                img_error("Unknown option value for -r (expecting 'leaks' or 'all'): %s", optarg);
                return 1;
            }
            break;
        case 'T': if (!img_parse_cache(optarg, &cache)) return 1; break;
        case 'q': quiet = true; break;
        case 'U': break;
        case 256: if (!parse_output(optarg, &output)) return 1; break;
        case 'h': help(); return 0;
        case ':':
        default: return img_bad_option(c, argv, 1);
        }
    }
    if (!img_expect_one_filename(argc)) {
        return 1;
    }
    const char *filename = argv[optind];
    unsigned flags = BLK_OPEN_NO_BACKING | BLK_OPEN_NO_IO;
    if (fix) {
        flags |= BLK_OPEN_RDWR | BLK_OPEN_REPAIR;
    }
    BlockBackend *blk = img_open(filename, fmt, flags, cache);
    if (!blk) {
        return 1;
    }
    BlockCheckResult res;
    GError *err = NULL;
    int ret = bdrv_check(blk_bs(blk), &res, fix, &err);
    if (ret == -ENOTSUP) {
        img_error("This image format does not support checks");
        g_error_free(err);
        blk_close(blk);
        return 63;
    }
    if (ret < 0) {
        img_error("Check failed: %s", err->message);
        g_error_free(err);
        blk_close(blk);
        return 1;
    }
    if (res.corruptions_fixed || res.leaks_fixed) {
        int64_t leaks_fixed = res.leaks_fixed, corruptions_fixed = res.corruptions_fixed;
        if (output == OUTPUT_HUMAN && !quiet) {
            printf("The following inconsistencies were found and repaired:\n\n"
                   "    %" PRId64 " leaked clusters\n"
                   "    %" PRId64 " corruptions\n\n"
                   "Double checking the fixed image now...\n", leaks_fixed, corruptions_fixed);
        }
        ret = bdrv_check(blk_bs(blk), &res, 0, &err);
        if (ret < 0) {
            img_error("Check failed: %s", err->message);
            g_error_free(err);
            blk_close(blk);
            return 1;
        }
        res.leaks_fixed = leaks_fixed;
        res.corruptions_fixed = corruptions_fixed;
    }
    if (!quiet) {
        if (output == OUTPUT_JSON) {
            dump_check_json(&res, filename, blk_format_name(blk));
        } else {
            dump_check_human(&res);
        }
    }
    blk_close(blk);
    if (res.check_errors) {
        return 1;
    }
    if (res.corruptions) {
        return 2;
    }
    if (res.leaks) {
        return 3;
    }
    return 0;
}

/* ---- snapshot ---- */

static int img_snapshot(int argc, char **argv)
{
    enum { NONE, LIST, APPLY, CREATE, DELETE } action = NONE;
    const char *name = NULL;
    bool quiet = false;
    int c;
    static const struct option longopts[] = {
        { "help", no_argument, NULL, 'h' },
        { "force-share", no_argument, NULL, 'U' },
        { NULL, 0, NULL, 0 },
    };
    while ((c = getopt_long(argc, argv, ":la:c:d:hqU", longopts, NULL)) != -1) {
        int want = NONE;
        switch (c) {
        case 'l': want = LIST; break;
        case 'a': want = APPLY; name = optarg; break;
        case 'c': want = CREATE; name = optarg; break;
        case 'd': want = DELETE; name = optarg; break;
        case 'q': quiet = true; continue;
        case 'U': continue;
        case 'h': help(); return 0;
        case ':':
        default: return img_bad_option(c, argv, 1);
        }
        if (action != NONE) {
            img_error("Cannot mix '-l', '-a', '-c', '-d'");
            return 1;
        }
        action = want;
    }
    if (!img_expect_one_filename(argc)) {
        return 1;
    }
    if (action == NONE) {
        action = LIST;
    }
    const char *filename = argv[optind];
    unsigned flags = BLK_OPEN_NO_BACKING | (action == LIST ? BLK_OPEN_NO_IO : BLK_OPEN_RDWR);
    BlockBackend *blk = img_open(filename, NULL, flags, BLK_CACHE_WRITEBACK);
    if (!blk) {
        return 1;
    }
    BlockDriverState *bs = blk_bs(blk);
    GError *err = NULL;
    int ret = 0;
    switch (action) {
    case LIST: {
        GArray *list = bdrv_snapshot_list(bs, &err);
        if (!list) {
            img_error("%s", err->message);
            ret = 1;
            break;
        }
        if (list->len) {
            printf("Snapshot list:\n");
            dump_snapshot_human_header();
            for (guint i = 0; i < list->len; i++) {
                dump_snapshot_human(&g_array_index(list, BlockSnapshotInfo, i));
            }
        }
        block_snapshot_list_free(list);
        break;
    }
    case CREATE:
        if (bdrv_snapshot_create(bs, name, &err) < 0) {
            img_error("Could not create snapshot '%s': %s", name, err->message);
            ret = 1;
        }
        break;
    case APPLY:
        if (bdrv_snapshot_goto(bs, name, &err) < 0) {
            img_error("Could not apply snapshot '%s': %s", name, err->message);
            ret = 1;
        }
        break;
    case DELETE:
        if (bdrv_snapshot_delete(bs, name, &err) < 0) {
            img_error("Could not delete snapshot '%s': %s", name, err->message);
            ret = 1;
        }
        break;
    default:
        break;
    }
    (void)quiet;
    g_clear_error(&err);
    blk_close(blk);
    return ret;
}

/* ---- resize ---- */

static int img_resize(int argc, char **argv)
{
    const char *fmt = NULL;
    bool quiet = false, shrink = false;
    static const struct option longopts[] = {
        { "help", no_argument, NULL, 'h' },
        { "shrink", no_argument, NULL, 256 },
        { "preallocation", required_argument, NULL, 257 },
        { NULL, 0, NULL, 0 },
    };
    /* A size like "-1G" must not be taken for an option: stop at the first non-option. */
    int c;
    while ((c = getopt_long(argc, argv, "+:f:hq", longopts, NULL)) != -1) {
        switch (c) {
        case 'f': fmt = optarg; break;
        case 'q': quiet = true; break;
        case 256: shrink = true; break;
        case 257:
            if (strcmp(optarg, "off") != 0) {
                img_error("Unsupported preallocation mode '%s'", optarg);
                return 1;
            }
            break;
        case 'h': help(); return 0;
        case ':':
        default: return img_bad_option(c, argv, 1);
        }
    }
    /* Options may also follow the file name (qemu-img accepts both). */
    const char *filename = NULL, *size_str = NULL;
    for (int i = optind; i < argc; i++) {
        if (!strcmp(argv[i], "--shrink")) {
            shrink = true;
        } else if (!strcmp(argv[i], "-q")) {
            quiet = true;
        } else if (!filename) {
            filename = argv[i];
        } else if (!size_str) {
            size_str = argv[i];
        } else {
            img_error("Unexpected argument: %s", argv[i]);
            return 1;
        }
    }
    if (!filename || !size_str) {
        img_error("Expecting image file name and size");
        return 1;
    }
    int relative = 0;
    if (*size_str == '+') {
        relative = 1;
        size_str++;
    } else if (*size_str == '-') {
        relative = -1;
        size_str++;
    }
    int64_t n;
    if (!blk_parse_size(size_str, &n)) {
        img_error("Invalid image size specified. Must be between 0 and 9223372036854775807.");
        return 1;
    }
    /* With the backing chain: growing may have to hide a longer backing file. */
    BlockBackend *blk = img_open(filename, fmt, BLK_OPEN_RDWR, BLK_CACHE_WRITEBACK);
    if (!blk) {
        return 1;
    }
    int64_t cur = blk_getlength(blk);
    int64_t size = relative > 0 ? cur + n : relative < 0 ? cur - n : n;
    if (size < 0) {
        img_error("New image size must be positive");
        blk_close(blk);
        return 1;
    }
    GError *err = NULL;
    if (size < cur && !shrink) {
        img_error("Use the --shrink option to perform a shrink operation.");
        img_error("warning: Shrinking an image will delete all data beyond the shrunken image's "
                  "end. Before performing such an operation, make sure there is no important "
                  "data there.");
        blk_close(blk);
        return 1;
    }
    if (blk_truncate(blk, size, shrink, &err) < 0) {
        img_error("%s", err->message);
        g_error_free(err);
        blk_close(blk);
        return 1;
    }
    blk_close(blk);
    if (!quiet) {
        printf("Image resized.\n");
    }
    return 0;
}

/* ---- map ---- */

typedef struct MapEntry {
    int64_t start;
    int64_t length;
    int depth;
    bool present, zero, data, has_offset;
    int64_t offset;
    const char *filename;
} MapEntry;

static bool map_entries_mergeable(const MapEntry *a, const MapEntry *b)
{
    return a->length > 0 && a->depth == b->depth && a->present == b->present &&
           a->zero == b->zero && a->data == b->data && a->has_offset == b->has_offset &&
           (!a->has_offset || a->offset + a->length == b->offset) &&
           ((!a->filename && !b->filename) ||
            (a->filename && b->filename && !strcmp(a->filename, b->filename)));
}

static int dump_map_entry(OutputFormat output, MapEntry *e, MapEntry *next)
{
    if (output == OUTPUT_HUMAN) {
        if (e->data && !e->has_offset) {
            img_error("File contains external, encrypted or compressed clusters.");
            return -1;
        }
        if (e->data && !e->zero) {
            printf("%#-16" PRIx64 "%#-16" PRIx64 "%#-16" PRIx64 "%s\n", (uint64_t)e->start,
                   (uint64_t)e->length, (uint64_t)(e->has_offset ? e->offset : 0),
                   e->filename ? e->filename : "");
        }
        /* Human output does not tell 0, ZERO and ZERO|DATA apart: merge more. */
        if (next && (!next->data || next->zero)) {
            next->data = false;
            next->zero = true;
        }
        return 0;
    }
    printf("{ \"start\": %" PRId64 ", \"length\": %" PRId64 ", \"depth\": %d, \"present\": %s,"
           " \"zero\": %s, \"data\": %s", e->start, e->length, e->depth,
           e->present ? "true" : "false", e->zero ? "true" : "false",
           e->data ? "true" : "false");
    if (e->has_offset) {
        printf(", \"offset\": %" PRId64, e->offset);
    }
    putchar('}');
    if (next) {
        puts(",");
    }
    return 0;
}

static int img_map(int argc, char **argv)
{
    const char *fmt = NULL;
    OutputFormat output = OUTPUT_HUMAN;
    int64_t start = 0, max_len = -1;
    int c;
    static const struct option longopts[] = {
        { "help", no_argument, NULL, 'h' },
        { "format", required_argument, NULL, 'f' },
        { "output", required_argument, NULL, 256 },
        { "start-offset", required_argument, NULL, 257 },
        { "max-length", required_argument, NULL, 258 },
        { "force-share", no_argument, NULL, 'U' },
        { NULL, 0, NULL, 0 },
    };
    while ((c = getopt_long(argc, argv, ":f:hU", longopts, NULL)) != -1) {
        switch (c) {
        case 'f': fmt = optarg; break;
        case 'U': break;
        case 256: if (!parse_output(optarg, &output)) return 1; break;
        case 257:
            if (!blk_parse_size(optarg, &start)) {
                img_error("Invalid start offset specified! You may use k, M, G, T, P or E "
                          "suffixes for");
                return 1;
            }
            break;
        case 258:
            if (!blk_parse_size(optarg, &max_len)) {
                img_error("Invalid length specified! You may use k, M, G, T, P or E suffixes "
                          "for");
                return 1;
            }
            break;
        case 'h': help(); return 0;
        case ':':
        default: return img_bad_option(c, argv, 1);
        }
    }
    if (!img_expect_one_filename(argc)) {
        return 1;
    }
    BlockBackend *blk = img_open(argv[optind], fmt, 0, BLK_CACHE_WRITEBACK);
    if (!blk) {
        return 1;
    }
    int64_t length = blk_getlength(blk);
    if (max_len >= 0) {
        length = MIN(length, start + max_len);
    }
    if (output == OUTPUT_HUMAN) {
        printf("%-16s%-16s%-16s%s\n", "Offset", "Length", "Mapped to", "File");
    } else {
        putchar('[');
    }
    MapEntry curr = { .length = 0 };
    int ret = 0;
    for (int64_t offset = start; offset < length;) {
        int64_t n, map = 0;
        int depth;
        BlockDriverState *file_bs;
        GError *err = NULL;
        int st = bdrv_block_status_above(blk_bs(blk), offset, MIN(length - offset, 1ll << 30),
                                         &n, &map, &depth, &file_bs, &err);
        if (st < 0) {
            img_error("Could not read file metadata: %s", err->message);
            g_error_free(err);
            ret = 1;
            break;
        }
        MapEntry next = {
            .start = offset,
            .length = n,
            .depth = depth,
            .present = (st & BLK_STATUS_ALLOCATED) != 0,
            .zero = (st & BLK_STATUS_ZERO) != 0,
            .data = (st & BLK_STATUS_DATA) != 0,
            .has_offset = (st & BLK_STATUS_OFFSET_VALID) != 0,
            .offset = map,
            .filename = (st & BLK_STATUS_OFFSET_VALID) ? bdrv_filename(file_bs) : NULL,
        };
        /* A raw layer is "present" wherever it is; qcow2 only where allocated. */
        if (map_entries_mergeable(&curr, &next)) {
            curr.length += next.length;
        } else {
            if (curr.length > 0 && dump_map_entry(output, &curr, &next) < 0) {
                ret = 1;
                break;
            }
            curr = next;
        }
        offset += n;
    }
    if (ret == 0 && curr.length > 0) {
        ret = dump_map_entry(output, &curr, NULL) < 0 ? 1 : 0;
    }
    if (output == OUTPUT_JSON) {
        printf("]\n");
    }
    blk_close(blk);
    return ret;
}

/* ---- bench: the asynchronous block API under a queue depth ---- */

typedef struct BenchState {
    BlockBackend *blk;
    bool write;
    int64_t image_size;
    int64_t bufsize;
    int64_t step;
    int64_t offset;
    int remaining;      /* requests not yet submitted */
    int in_flight;
    int failed;
    uint8_t *buf;
} BenchState;

typedef struct BenchSlot {
    BenchState *b;
    uint8_t *buf;
} BenchSlot;

static void bench_submit(BenchSlot *slot);

static void bench_cb(void *opaque, int ret)
{
    BenchSlot *slot = opaque;
    BenchState *b = slot->b;
    b->in_flight--;
    if (ret < 0) {
        img_error("Failed request: %s", g_strerror(-ret));
        b->failed = 1;
        return;
    }
    if (b->remaining > 0 && !b->failed) {
        bench_submit(slot);
    }
}

static void bench_submit(BenchSlot *slot)
{
    BenchState *b = slot->b;
    if (b->offset > b->image_size - b->bufsize) {
        b->offset = 0;   /* wrap around, as qemu-img bench does */
    }
    struct iovec iov = { slot->buf, b->bufsize };
    b->remaining--;
    b->in_flight++;
    if (b->write) {
        blk_aio_pwritev(b->blk, b->offset, &iov, 1, bench_cb, slot);
    } else {
        blk_aio_preadv(b->blk, b->offset, &iov, 1, bench_cb, slot);
    }
    b->offset += b->step;
}

static int img_bench(int argc, char **argv)
{
    const char *fmt = NULL, *cache_name = "writeback";
    int count = 75000, depth = 64, pattern = 0;
    int64_t offset = 0, bufsize = 4096, step = 0;
    bool write = false, quiet = false;
    int c;
    static const struct option longopts[] = {
        { "help", no_argument, NULL, 'h' },
        { "pattern", required_argument, NULL, 256 },
        { "flush-interval", required_argument, NULL, 257 },
        { "no-drain", no_argument, NULL, 258 },
        { "force-share", no_argument, NULL, 'U' },
        { NULL, 0, NULL, 0 },
    };
    while ((c = getopt_long(argc, argv, ":hc:d:f:ni:o:qs:S:t:wU", longopts, NULL)) != -1) {
        switch (c) {
        case 'c': count = atoi(optarg); break;
        case 'd': depth = atoi(optarg); break;
        case 'f': fmt = optarg; break;
        case 'n': case 'i': case 'U': case 257: case 258: break;
        case 'o':
            if (!blk_parse_size(optarg, &offset)) {
                img_error("Invalid offset specified");
                return 1;
            }
            break;
        case 'q': quiet = true; break;
        case 's':
            if (!blk_parse_size(optarg, &bufsize) || bufsize <= 0 || bufsize > INT32_MAX) {
                img_error("Invalid buffer size specified");
                return 1;
            }
            break;
        case 'S':
            if (!blk_parse_size(optarg, &step) || step > INT32_MAX) {
                img_error("Invalid step size specified");
                return 1;
            }
            break;
        case 't': cache_name = optarg; break;
        case 'w': write = true; break;
        case 256: pattern = strtol(optarg, NULL, 0) & 0xff; break;
        case 'h': help(); return 0;
        case ':':
        default: return img_bad_option(c, argv, 1);
        }
    }
    if (!img_expect_one_filename(argc)) {
        return 1;
    }
    if (count <= 0 || depth <= 0) {
        img_error("Invalid request count or queue depth");
        return 1;
    }
    BlockCacheMode cache;
    if (!img_parse_cache(cache_name, &cache)) {
        return 1;
    }
    BlockBackend *blk = img_open(argv[optind], fmt, write ? BLK_OPEN_RDWR : 0, cache);
    if (!blk) {
        return 1;
    }
    BenchState b = {
        .blk = blk, .write = write, .image_size = blk_getlength(blk), .bufsize = bufsize,
        .step = step ? step : bufsize, .offset = offset, .remaining = count,
    };
    if (b.image_size < bufsize) {
        img_error("Image is smaller than the buffer size");
        blk_close(blk);
        return 1;
    }
    depth = MIN(depth, count);
    void *mem = NULL;
    if (posix_memalign(&mem, 4096, (size_t)bufsize * depth)) {
        img_error("Out of memory");
        blk_close(blk);
        return 1;
    }
    memset(mem, pattern, (size_t)bufsize * depth);
    BenchSlot *slots = g_new(BenchSlot, depth);
    if (!quiet) {
        printf("Sending %d %s requests, %" PRId64 " bytes each, %d in parallel (starting at "
               "offset %" PRId64 ", step size %" PRId64 ")\n", count, write ? "write" : "read",
               bufsize, depth, offset, b.step);
    }
    gint64 start = g_get_monotonic_time();
    for (int i = 0; i < depth; i++) {
        slots[i] = (BenchSlot){ &b, (uint8_t *)mem + (size_t)i * bufsize };
        bench_submit(&slots[i]);
    }
    while (b.in_flight > 0) {
        g_main_context_iteration(NULL, TRUE);
    }
    /* No final flush: qemu-img bench doesn't either, so the numbers compare. */
    double secs = (g_get_monotonic_time() - start) / 1e6;
    if (!quiet && !b.failed) {
        printf("Run completed in %3.3f seconds.\n", secs);
    }
    blk_close(blk);
    free(mem);
    g_free(slots);
    return b.failed;
}

/* ---- main ---- */

typedef struct Command {
    const char *name;
    int (*fn)(int argc, char **argv);
} Command;

static const Command commands[] = {
    { "bench", img_bench },
    { "check", img_check },
    { "commit", img_commit },
    { "compare", img_compare },
    { "convert", img_convert },
    { "create", img_create },
    { "info", img_info },
    { "map", img_map },
    { "rebase", img_rebase },
    { "resize", img_resize },
    { "snapshot", img_snapshot },
};

int main(int argc, char **argv)
{
    if (argc < 2) {
        img_error("Not enough arguments\nTry '" IMG_NAME " --help' for more information");
        return 1;
    }
    const char *cmd = argv[1];
    if (!strcmp(cmd, "-h") || !strcmp(cmd, "--help")) {
        help();
        return 0;
    }
    if (!strcmp(cmd, "-V") || !strcmp(cmd, "--version")) {
        printf(IMG_NAME " version 1.0 (qemu-img 7.2 compatible)\n");
        return 0;
    }
    for (size_t i = 0; i < G_N_ELEMENTS(commands); i++) {
        if (!strcmp(cmd, commands[i].name)) {
            optind = 1;
            /* Keep stdout ordered with stderr when both go to one pipe. */
            setvbuf(stdout, NULL, _IOLBF, 0);
            return commands[i].fn(argc - 1, argv + 1);
        }
    }
    img_error("Command not found: %s", cmd);
    return 1;
}
