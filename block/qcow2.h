/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * qcow2 driver internals.  The on-disk format is QEMU's
 * docs/interop/qcow2.txt; section names below refer to it.
 *
 * Crash-consistency rules (a crash may leak clusters, never corrupt):
 *  - a cluster's refcount is raised, and written, before any L1/L2 entry
 *    that references it reaches the disk (the L2 cache writes dirty
 *    refcount blocks and syncs before it writes an L2 table);
 *  - a new L2 table is written and synced before the L1 entry pointing to
 *    it; the snapshot table and the header likewise;
 *  - refcounts are lowered only after the references were removed on disk:
 *    decrements are queued (pending_frees) and applied after the next
 *    metadata flush has written and synced the L2 tables.
 *  All metadata read from the file is untrusted; anything inconsistent is
 *  an error with a message (and sets the corrupt bit when the image is
 *  writable and a write would have damaged it), never a crash.
 */
#ifndef BLOCK_QCOW2_H
#define BLOCK_QCOW2_H

#include <stdint.h>

#include "block/block_int.h"

#define QCOW_MAGIC 0x514649fbu               /* "QFI\xfb" */

/* Header: incompatible, compatible and autoclear feature bits. */
#define QCOW2_INCOMPAT_DIRTY        (1ull << 0)
#define QCOW2_INCOMPAT_CORRUPT      (1ull << 1)
#define QCOW2_INCOMPAT_DATA_FILE    (1ull << 2)
#define QCOW2_INCOMPAT_COMPRESSION  (1ull << 3)
#define QCOW2_INCOMPAT_EXTL2        (1ull << 4)
#define QCOW2_INCOMPAT_SUPPORTED    (QCOW2_INCOMPAT_DIRTY | QCOW2_INCOMPAT_CORRUPT | \
                                     QCOW2_INCOMPAT_COMPRESSION)
#define QCOW2_COMPAT_LAZY_REFCOUNTS (1ull << 0)
#define QCOW2_AUTOCLEAR_BITMAPS     (1ull << 0)
#define QCOW2_AUTOCLEAR_DATA_FILE_RAW (1ull << 1)

/* Header extension types ("Header extensions"). */
#define QCOW2_EXT_END               0x00000000u
#define QCOW2_EXT_BACKING_FORMAT    0xe2792acau
#define QCOW2_EXT_FEATURE_TABLE     0x6803f857u
#define QCOW2_EXT_BITMAPS           0x23852875u
#define QCOW2_EXT_CRYPTO            0x0537be77u
#define QCOW2_EXT_DATA_FILE         0x44415441u

#define QCOW2_COMPRESSION_ZLIB 0
#define QCOW2_COMPRESSION_ZSTD 1

/* L1/L2 entries ("Cluster mapping"). */
#define QCOW_OFLAG_COPIED       (1ull << 63)  /* refcount is exactly one */
#define QCOW_OFLAG_COMPRESSED   (1ull << 62)
#define QCOW_OFLAG_ZERO         (1ull << 0)   /* v3 standard cluster reads as zeros */
#define L1E_OFFSET_MASK         0x00fffffffffffe00ull
#define L2E_OFFSET_MASK         0x00fffffffffffe00ull
#define L1E_RESERVED_MASK       0x7f000000000001ffull
#define L2E_STD_RESERVED_MASK   0x3f000000000001feull
#define REFT_OFFSET_MASK        0xfffffffffffffe00ull
#define REFT_RESERVED_MASK      0x1ffull

/* Limits (QEMU's implementation limits; anything larger is refused). */
#define QCOW2_MIN_CLUSTER_BITS  9
#define QCOW2_MAX_CLUSTER_BITS  21
#define QCOW2_MAX_L1_BYTES      (32u << 20)
#define QCOW2_MAX_REFTABLE_BYTES (8u << 20)
#define QCOW2_MAX_SNAPSHOTS     65536
#define QCOW2_MAX_SNAPSHOT_TABLE_BYTES (64u << 20)
#define QCOW2_MAX_SNAPSHOT_EXTRA 1024
#define QCOW2_MAX_BACKING_NAME  1023
/* The check keeps a 32-bit counter per host cluster: bound its memory (1 GiB). */
#define QCOW2_CHECK_MAX_CLUSTERS (1u << 28)

#define QCOW2_V2_HEADER_LEN     72
#define QCOW2_V3_MIN_HEADER_LEN 104
#define QCOW2_V3_HEADER_LEN     112   /* with compression_type + padding, as QEMU writes */

/* ---- metadata table cache (qcow2-cache.c) ---- */

/*
 * A write-back cache of cluster-sized tables (L2 tables or refcount
 * blocks) keyed by their file offset.  Tables are pinned while a caller
 * holds them (get .. put); eviction picks the least recently used unpinned
 * entry, writing it first if dirty.  The backing store is reached through
 * callbacks so the cache can be tested alone.
 */
typedef struct Qcow2CacheOps {
    int (*read)(void *opaque, uint64_t offset, void *buf, size_t len, GError **err);
    int (*write)(void *opaque, uint64_t offset, const void *buf, size_t len, GError **err);
    /* Called before a dirty table is written (ordering barrier); optional. */
    int (*before_write)(void *opaque, GError **err);
} Qcow2CacheOps;

typedef struct Qcow2Cache Qcow2Cache;

Qcow2Cache *qcow2_cache_new(int max_entries, size_t table_size, const Qcow2CacheOps *ops,
                            void *opaque);
/* Dirty entries are dropped: flush first. */
void qcow2_cache_free(Qcow2Cache *c);
/* Load (or find) the table at offset and pin it. */
int qcow2_cache_get(Qcow2Cache *c, uint64_t offset, void **table, GError **err);
/* Pin a zero-filled table for offset without reading the disk (new tables). */
int qcow2_cache_get_empty(Qcow2Cache *c, uint64_t offset, void **table, GError **err);
void qcow2_cache_put(Qcow2Cache *c, void **table);
void qcow2_cache_mark_dirty(Qcow2Cache *c, void *table);
/* Write every dirty entry (entries stay cached). */
int qcow2_cache_write(Qcow2Cache *c, GError **err);
/* Write one table if dirty. */
int qcow2_cache_write_table(Qcow2Cache *c, void *table, GError **err);
bool qcow2_cache_is_dirty(Qcow2Cache *c);
/* Forget the table at offset (its cluster was freed); must not be pinned. */
void qcow2_cache_discard(Qcow2Cache *c, uint64_t offset);
/* Forget everything (after the metadata was rewritten behind the cache). */
void qcow2_cache_clear(Qcow2Cache *c);
int qcow2_cache_entries_used(Qcow2Cache *c);
int qcow2_cache_max_entries(Qcow2Cache *c);

/* ---- driver state ---- */

typedef struct Qcow2Snapshot {
    uint64_t l1_table_offset;
    uint32_t l1_size;
    char *id_str;
    char *name;
    uint64_t disk_size;
    uint64_t vm_state_size;
    uint32_t date_sec;
    uint32_t date_nsec;
    uint64_t vm_clock_nsec;
    uint64_t icount;              /* UINT64_MAX when absent */
    uint32_t extra_data_size;     /* as found (rewritten as at least 24) */
    uint8_t *unknown_extra;       /* extra data past the fields we know, preserved */
    uint32_t unknown_extra_size;
} Qcow2Snapshot;

typedef struct Qcow2UnknownExt {
    uint32_t magic;
    uint32_t len;
    uint8_t *data;
} Qcow2UnknownExt;

typedef struct Qcow2PendingFree {
    uint64_t offset;
    uint64_t length;
} Qcow2PendingFree;

typedef struct BDRVQcow2State {
    BlockDriverState *bs;
    HostFile *file;

    int version;
    int cluster_bits;
    uint64_t cluster_size;
    int l2_bits;                  /* log2 of entries per L2 table */
    uint64_t l2_size;             /* entries per L2 table */
    uint64_t size;                /* virtual disk size */
    int refcount_order;
    int refcount_bits;
    uint64_t refcount_max;
    int rb_bits;                  /* log2 of entries per refcount block */
    uint64_t incompat;
    uint64_t compat;
    uint64_t autoclear;
    uint32_t header_length;
    uint8_t *header_raw;          /* header_length bytes as read: unknown fields survive */
    uint8_t compression_type;
    GPtrArray *unknown_exts;      /* of Qcow2UnknownExt */
    uint8_t *feature_table;       /* raw feature name table, for messages */
    uint32_t feature_table_len;

    uint64_t l1_table_offset;
    uint32_t l1_size;
    uint64_t *l1_table;           /* host byte order */

    uint64_t refcount_table_offset;
    uint32_t refcount_table_clusters;
    uint64_t refcount_table_size; /* entries */
    uint64_t *refcount_table;     /* host byte order */

    uint32_t nb_snapshots;
    uint64_t snapshots_offset;
    uint64_t snapshots_size;      /* bytes used by the table on disk */
    Qcow2Snapshot *snapshots;

    Qcow2Cache *l2_cache;
    Qcow2Cache *refcount_cache;
    uint64_t free_cluster_index;  /* search for free clusters starts here */
    uint64_t free_byte_offset;    /* next byte for compressed data, 0: none */
    GArray *pending_frees;        /* of Qcow2PendingFree */
    bool unsynced_data;           /* data/refcount writes since the last sync */
    bool unsynced_any;            /* any write since the last sync */
    GHashTable *metadata;         /* cluster index + 1 -> metadata cluster (overlap check) */

    /* Compressed-cluster decompression cache. */
    uint64_t ccache_entry;        /* L2 entry of the cached cluster, 0: none */
    uint8_t *ccache_data;
    uint8_t *ccache_in;

    int csize_shift;
    uint64_t csize_mask;
    uint64_t cluster_offset_mask;

    int64_t file_len_hint;        /* last known file length (offset validation) */
    bool signalled_corrupt;
    bool dirty_marked;            /* lazy refcounts: dirty bit written */
} BDRVQcow2State;

/* Cluster types, from an L2 entry. */
typedef enum Qcow2ClusterType {
    QCOW2_CLUSTER_UNALLOCATED,
    QCOW2_CLUSTER_ZERO_PLAIN,
    QCOW2_CLUSTER_ZERO_ALLOC,
    QCOW2_CLUSTER_NORMAL,
    QCOW2_CLUSTER_COMPRESSED,
} Qcow2ClusterType;

static inline uint64_t qcow2_offset_into_cluster(const BDRVQcow2State *s, uint64_t off)
{
    return off & (s->cluster_size - 1);
}

static inline uint64_t qcow2_start_of_cluster(const BDRVQcow2State *s, uint64_t off)
{
    return off & ~(s->cluster_size - 1);
}

static inline uint64_t qcow2_size_to_clusters(const BDRVQcow2State *s, uint64_t size)
{
    return (size + s->cluster_size - 1) >> s->cluster_bits;
}

/* L1 entries needed to map `size` bytes. */
static inline uint64_t qcow2_size_to_l1(const BDRVQcow2State *s, uint64_t size)
{
    int shift = s->cluster_bits + s->l2_bits;
    return (size + (1ull << shift) - 1) >> shift;
}

Qcow2ClusterType qcow2_get_cluster_type(const BDRVQcow2State *s, uint64_t l2_entry);

/* Big-endian table load/store. */
static inline uint64_t be64_at(const void *p, size_t index)
{
    uint64_t v;
    __builtin_memcpy(&v, (const uint8_t *)p + index * 8, 8);
    return GUINT64_FROM_BE(v);
}

static inline void set_be64_at(void *p, size_t index, uint64_t val)
{
    uint64_t v = GUINT64_TO_BE(val);
    __builtin_memcpy((uint8_t *)p + index * 8, &v, 8);
}

/* Refcount block entries of any width 1..64 bits ("Host cluster management"). */
uint64_t qcow2_refcount_get(const void *block, uint64_t index, int order);
void qcow2_refcount_set(void *block, uint64_t index, int order, uint64_t value);

/* qcow2.c */
int qcow2_signal_corruption(BDRVQcow2State *s, GError **err, const char *fmt, ...)
    G_GNUC_PRINTF(3, 4);
int qcow2_write_header_field(BDRVQcow2State *s, size_t offset, const void *data, size_t len,
                             GError **err);
int qcow2_update_header(BDRVQcow2State *s, GError **err);
int qcow2_sync(BDRVQcow2State *s, GError **err);
/* Sync if anything was written since the last sync. */
int qcow2_barrier(BDRVQcow2State *s, GError **err);
int qcow2_meta_pwrite(BDRVQcow2State *s, uint64_t offset, const void *buf, size_t len,
                      GError **err);
int qcow2_flush_metadata(BDRVQcow2State *s, GError **err);
bool qcow2_offset_valid(BDRVQcow2State *s, uint64_t offset);
int qcow2_grow_l1_table(BDRVQcow2State *s, uint64_t min_size, GError **err);
int qcow2_write_l1_entry(BDRVQcow2State *s, uint32_t index, GError **err);

/* qcow2-cluster.c */
int qcow2_get_l2_entry(BDRVQcow2State *s, uint64_t offset, uint64_t *entry, uint64_t *count,
                       GError **err);
int qcow2_load_l2(BDRVQcow2State *s, uint64_t l2_offset, void **table, GError **err);
int qcow2_read_guest(BDRVQcow2State *s, uint64_t offset, uint64_t bytes, const BlockIOV *qiov,
                     size_t qiov_offset, GError **err);
int qcow2_write_guest(BDRVQcow2State *s, uint64_t offset, uint64_t bytes, const BlockIOV *qiov,
                      size_t qiov_offset, GError **err);
int qcow2_zero_or_discard(BDRVQcow2State *s, uint64_t offset, uint64_t bytes, bool discard,
                          bool may_unmap, GError **err);
int qcow2_write_compressed(BDRVQcow2State *s, uint64_t offset, const void *buf, uint64_t bytes,
                           GError **err);
int qcow2_cluster_status(BDRVQcow2State *s, uint64_t offset, uint64_t bytes, uint64_t *pnum,
                         uint64_t *host, GError **err);
int qcow2_decompress_cluster(BDRVQcow2State *s, uint64_t l2_entry, GError **err);
/* Free every cluster mapping in [start, end) of the guest (cluster aligned). */
int qcow2_free_guest_range(BDRVQcow2State *s, uint64_t start, uint64_t end, bool free_l2,
                           GError **err);

/* qcow2-refcount.c */
int qcow2_refcount_init(BDRVQcow2State *s, GError **err);
int qcow2_get_refcount(BDRVQcow2State *s, uint64_t cluster_index, uint64_t *refcount,
                       GError **err);
int qcow2_update_refcount(BDRVQcow2State *s, uint64_t offset, uint64_t length, int64_t addend,
                          GError **err);
/* Allocate `n` contiguous clusters with refcount 1; returns the offset or -errno. */
int64_t qcow2_alloc_clusters(BDRVQcow2State *s, uint64_t n, GError **err);
/* Allocate `size` bytes for compressed data (refcounted per touched cluster). */
int64_t qcow2_alloc_bytes(BDRVQcow2State *s, uint64_t size, GError **err);
/* Lower refcounts after the next metadata flush. */
void qcow2_free_deferred(BDRVQcow2State *s, uint64_t offset, uint64_t length);
void qcow2_free_l2_entry_deferred(BDRVQcow2State *s, uint64_t l2_entry);
int qcow2_apply_pending_frees(BDRVQcow2State *s, GError **err);
int qcow2_check_refcounts(BDRVQcow2State *s, BlockCheckResult *res, unsigned fix,
                          GError **err);
void qcow2_metadata_add(BDRVQcow2State *s, uint64_t offset, uint64_t length);
void qcow2_metadata_remove(BDRVQcow2State *s, uint64_t offset, uint64_t length);
bool qcow2_metadata_overlaps(BDRVQcow2State *s, uint64_t offset, uint64_t length);
int qcow2_rebuild_metadata_set(BDRVQcow2State *s, GError **err);

/* qcow2-snapshot.c */
int qcow2_read_snapshots(BDRVQcow2State *s, GError **err);
void qcow2_free_snapshots(BDRVQcow2State *s);
int qcow2_snapshot_create(BlockDriverState *bs, const char *name, GError **err);
int qcow2_snapshot_goto(BlockDriverState *bs, const char *id_or_name, GError **err);
int qcow2_snapshot_delete(BlockDriverState *bs, const char *id_or_name, GError **err);
GArray *qcow2_snapshot_list(BlockDriverState *bs, GError **err);
/*
 * Add `addend` (+1, -1 or 0) to the refcount of every L2 table and data
 * cluster reachable from the L1 table at l1_offset (or the in-memory active
 * one), then set or clear QCOW_OFLAG_COPIED in that L1/L2 to match.
 */
int qcow2_update_snapshot_refcount(BDRVQcow2State *s, uint64_t l1_offset, uint32_t l1_size,
                                   int addend, GError **err);

#endif
