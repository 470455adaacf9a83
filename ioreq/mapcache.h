/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Guest RAM for the device model under Xen (xen-interface.md 4.3): mapped
 * on demand in 1 MiB buckets with xenforeignmemory, each page's validity
 * from the per-page error array, dropped wholesale on INVALIDATE (the
 * guest's p2m changed) or when the cache grows past its cap.  Nothing
 * outside this file holds a pointer into a bucket: every access copies,
 * so no bucket is ever "locked".
 *
 * The cache appears to the machine as one MR_IO region whose offset is
 * the guest-physical address, with RegionOps.read_buf/write_buf for bulk
 * DMA; the board maps aliases of it where the guest has RAM.  While
 * global dirty logging is on (save/migration), every write is reported
 * with modified_memory, since foreign-mapping writes bypass Xen's log.
 */
#ifndef IOREQ_MAPCACHE_H
#define IOREQ_MAPCACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hw/core/memory.h"
#include "ioreq/server.h"

#define MAPCACHE_BUCKET_SHIFT   20                      /* 1 MiB */
#define MAPCACHE_BUCKET_PAGES   (1u << (MAPCACHE_BUCKET_SHIFT - 12))
/* At most this many buckets mapped at once (32 GiB, QEMU's 64-bit cap). */
#define MAPCACHE_MAX_BUCKETS    32768u

typedef struct MapCache MapCache;

typedef struct MapCacheStats {
    uint64_t maps;          /* buckets mapped */
    uint64_t invalidations; /* full flushes */
    uint64_t dirty_reports; /* modified_memory calls */
} MapCacheStats;

/* A cache for guest-physical [0, size) of the server's domain. */
MapCache *mapcache_new(IoreqServer *server, uint64_t size);
void mapcache_free(MapCache *mc);   /* the region must be unmapped */

/* The region (name "xen.ram", offset = guest-physical address). */
MemoryRegion *mapcache_region(MapCache *mc);

/* Copies; false if any byte is not guest RAM (nothing written then for a write past RAM). */
bool mapcache_read(MapCache *mc, uint64_t gpa, void *buf, size_t len);
bool mapcache_write(MapCache *mc, uint64_t gpa, const void *buf, size_t len);

/* INVALIDATE: unmap every bucket. */
void mapcache_invalidate(MapCache *mc);
/* xen-set-global-dirty-log */
void mapcache_set_dirty_log(MapCache *mc, bool on);
bool mapcache_dirty_log(const MapCache *mc);
const MapCacheStats *mapcache_stats(const MapCache *mc);

#endif
