/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The map cache: see mapcache.h.  QEMU's xen-mapcache.c has the same
 * bucket size and per-page validity; ours copies instead of handing out
 * pointers, which removes the locked-entry bookkeeping.
 */
#include "ioreq/mapcache.h"

#include <errno.h>
#include <inttypes.h>
#include <string.h>
#include <sys/mman.h>

#include <glib.h>

#include "hw/core/log.h"

#define PAGE_SHIFT_     12
#define PAGE_SIZE_      (1u << PAGE_SHIFT_)
#define BUCKET_SIZE     (1ull << MAPCACHE_BUCKET_SHIFT)

typedef struct Bucket {
    uint8_t *host;                              /* NULL: nothing mappable here */
    uint8_t valid[MAPCACHE_BUCKET_PAGES / 8];   /* bit per page */
} Bucket;

struct MapCache {
    IoreqServer *server;
    uint64_t size;
    GHashTable *buckets;        /* bucket index (gpa >> 20) -> Bucket * */
    MemoryRegion *region;
    bool dirty_log;
    MapCacheStats stats;
};

static bool page_valid(const Bucket *b, unsigned page)
{
    return b->host && (b->valid[page / 8] & (1u << (page % 8)));
}

static void bucket_unmap(MapCache *mc, Bucket *b)
{
    if (b->host) {
        xenforeignmemory_unmap(ioreq_server_fmem(mc->server), b->host, MAPCACHE_BUCKET_PAGES);
        b->host = NULL;
    }
    memset(b->valid, 0, sizeof(b->valid));
}

static void bucket_destroy(gpointer p, MapCache *mc)
{
    bucket_unmap(mc, p);
    g_free(p);
}

static void bucket_map(MapCache *mc, Bucket *b, uint64_t index)
{
    xen_pfn_t pfns[MAPCACHE_BUCKET_PAGES];
    int errs[MAPCACHE_BUCKET_PAGES];

    bucket_unmap(mc, b);
    for (unsigned i = 0; i < MAPCACHE_BUCKET_PAGES; i++) {
        pfns[i] = (xen_pfn_t)((index << (MAPCACHE_BUCKET_SHIFT - PAGE_SHIFT_)) + i);
        errs[i] = 0;
    }
    b->host = xenforeignmemory_map(ioreq_server_fmem(mc->server), ioreq_server_domid(mc->server),
                                   PROT_READ | PROT_WRITE, MAPCACHE_BUCKET_PAGES, pfns, errs);
    mc->stats.maps++;
    if (!b->host) {
        log_cat(LOG_XEN, "mapcache: bucket 0x%" PRIx64 " not mappable: %s\n", index << MAPCACHE_BUCKET_SHIFT,
                g_strerror(errno));
        return;
    }
    for (unsigned i = 0; i < MAPCACHE_BUCKET_PAGES; i++) {
        if (errs[i] == 0) {
            b->valid[i / 8] |= (uint8_t)(1u << (i % 8));
        }
    }
}

static void flush_all(MapCache *mc)
{
    GHashTableIter it;
    gpointer v;

    g_hash_table_iter_init(&it, mc->buckets);
    while (g_hash_table_iter_next(&it, NULL, &v)) {
        bucket_destroy(v, mc);
        g_hash_table_iter_remove(&it);
    }
}

/*
 * Host pointer for [gpa, gpa+len) inside one bucket (len does not cross a
 * bucket), or NULL if some page is not guest RAM.  A page that failed to
 * map is retried once with a fresh mapping: the guest may have populated
 * it since.
 */
static uint8_t *lookup(MapCache *mc, uint64_t gpa, size_t len)
{
    uint64_t index = gpa >> MAPCACHE_BUCKET_SHIFT;
    uint64_t off = gpa & (BUCKET_SIZE - 1);
    unsigned first = (unsigned)(off >> PAGE_SHIFT_);
    unsigned last = (unsigned)((off + len - 1) >> PAGE_SHIFT_);
    Bucket *b = g_hash_table_lookup(mc->buckets, &index);
    bool retried = false;

    if (!b) {
        uint64_t *key;

        if (g_hash_table_size(mc->buckets) >= MAPCACHE_MAX_BUCKETS) {
            flush_all(mc);
        }
        key = g_new(uint64_t, 1);
        *key = index;
        b = g_new0(Bucket, 1);
        g_hash_table_insert(mc->buckets, key, b);
        bucket_map(mc, b, index);
        retried = true;
    }
    for (;;) {
        bool ok = true;

        for (unsigned p = first; p <= last; p++) {
            if (!page_valid(b, p)) {
                ok = false;
                break;
            }
        }
        if (ok) {
            return b->host + off;
        }
        if (retried) {
            return NULL;
        }
        bucket_map(mc, b, index);
        retried = true;
    }
}

static void report_dirty(MapCache *mc, uint64_t gpa, size_t len)
{
    uint64_t first = gpa >> PAGE_SHIFT_;
    uint64_t last = (gpa + len - 1) >> PAGE_SHIFT_;

    mc->stats.dirty_reports++;
    if (xendevicemodel_modified_memory(ioreq_server_dmod(mc->server), ioreq_server_domid(mc->server), first,
                                       (uint32_t)(last - first + 1)) < 0) {
        log_printf("mapcache: modified_memory(0x%" PRIx64 ", %" PRIu64 "): %s\n", first, last - first + 1,
                   g_strerror(errno));
    }
}

static bool range_ok(MapCache *mc, uint64_t gpa, size_t len)
{
    return len == 0 || (gpa < mc->size && len <= mc->size - gpa);
}

/*
 * Copy len bytes between buf and guest memory at gpa, a bucket at a time.
 * Returns how many were copied: less than len when a bucket cannot be mapped.
 */
static size_t copy_guest(MapCache *mc, uint64_t gpa, uint8_t *buf, size_t len, bool to_guest)
{
    size_t done = 0;

    while (done < len) {
        size_t chunk = MIN(len - done, BUCKET_SIZE - (gpa & (BUCKET_SIZE - 1)));
        uint8_t *p = lookup(mc, gpa, chunk);

        if (!p) {
            break;
        }
        if (to_guest) {
            memcpy(p, buf + done, chunk);
        } else {
            memcpy(buf + done, p, chunk);
        }
        gpa += chunk;
        done += chunk;
    }
    return done;
}

bool mapcache_read(MapCache *mc, uint64_t gpa, void *buf, size_t len)
{
    return range_ok(mc, gpa, len) && copy_guest(mc, gpa, buf, len, false) == len;
}

bool mapcache_write(MapCache *mc, uint64_t gpa, const void *buf, size_t len)
{
    size_t done;

    if (!range_ok(mc, gpa, len)) {
        return false;
    }
    done = copy_guest(mc, gpa, (uint8_t *)buf, len, true);
    /* What did reach guest memory is dirty even when the rest could not be mapped. */
    if (mc->dirty_log && done) {
        report_dirty(mc, gpa, done);
    }
    return done == len;
}

/* ---- the region ---- */

static uint64_t region_read(void *opaque, uint64_t offset, unsigned size)
{
    uint8_t buf[8];
    uint64_t v = 0;

    if (!mapcache_read(opaque, offset, buf, size)) {
        return UINT64_MAX;
    }
    for (unsigned i = 0; i < size; i++) {
        v |= (uint64_t)buf[i] << (8 * i);
    }
    return v;
}

static void region_write(void *opaque, uint64_t offset, uint64_t value, unsigned size)
{
    uint8_t buf[8];

    for (unsigned i = 0; i < size; i++) {
        buf[i] = (uint8_t)(value >> (8 * i));
    }
    mapcache_write(opaque, offset, buf, size);
}

static bool region_read_buf(void *opaque, uint64_t offset, void *buf, size_t len)
{
    return mapcache_read(opaque, offset, buf, len);
}

static bool region_write_buf(void *opaque, uint64_t offset, const void *buf, size_t len)
{
    return mapcache_write(opaque, offset, buf, len);
}

static const RegionOps mapcache_ops = {
    .read = region_read,
    .write = region_write,
    .valid = { .min = 1, .max = 8, .unaligned = true },
    .impl = { .min = 1, .max = 8 },
    .read_buf = region_read_buf,
    .write_buf = region_write_buf,
};

MapCache *mapcache_new(IoreqServer *server, uint64_t size)
{
    MapCache *mc = g_new0(MapCache, 1);

    mc->server = server;
    mc->size = size;
    mc->buckets = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free, NULL);
    mc->region = mr_new_io("xen.ram", size, &mapcache_ops, mc);
    return mc;
}

void mapcache_free(MapCache *mc)
{
    if (!mc) {
        return;
    }
    flush_all(mc);
    g_hash_table_destroy(mc->buckets);
    mr_free(mc->region);
    g_free(mc);
}

MemoryRegion *mapcache_region(MapCache *mc)
{
    return mc->region;
}

void mapcache_invalidate(MapCache *mc)
{
    mc->stats.invalidations++;
    log_cat(LOG_XEN, "mapcache: invalidate (%u buckets)\n", g_hash_table_size(mc->buckets));
    flush_all(mc);
}

void mapcache_set_dirty_log(MapCache *mc, bool on)
{
    mc->dirty_log = on;
}

bool mapcache_dirty_log(const MapCache *mc)
{
    return mc->dirty_log;
}

const MapCacheStats *mapcache_stats(const MapCache *mc)
{
    return &mc->stats;
}
