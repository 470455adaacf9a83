/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The qcow2 metadata cache: L2 tables and refcount blocks, one cluster
 * each, write-back with an ordering hook (see qcow2.h).  Table memory is
 * allocated on first use so a large configured cache costs nothing until
 * the image needs it.
 */
#include <string.h>

#include "block/qcow2.h"

typedef struct Qcow2CacheEntry {
    uint64_t offset;       /* 0: free slot (offset 0 is the header, never a table) */
    uint8_t *table;
    uint64_t lru;          /* last use */
    int pins;
    bool dirty;
} Qcow2CacheEntry;

struct Qcow2Cache {
    const Qcow2CacheOps *ops;
    void *opaque;
    size_t table_size;
    int max_entries;
    int used;
    uint64_t lru_clock;
    Qcow2CacheEntry *entries;
    GHashTable *by_offset;     /* offset -> entry index + 1 */
    GHashTable *by_table;      /* table pointer -> entry index + 1 */
};

Qcow2Cache *qcow2_cache_new(int max_entries, size_t table_size, const Qcow2CacheOps *ops,
                            void *opaque)
{
    g_assert(max_entries > 0);
    Qcow2Cache *c = g_new0(Qcow2Cache, 1);
    c->ops = ops;
    c->opaque = opaque;
    c->table_size = table_size;
    c->max_entries = max_entries;
    c->entries = g_new0(Qcow2CacheEntry, max_entries);
    c->by_offset = g_hash_table_new(g_int64_hash, g_int64_equal);
    c->by_table = g_hash_table_new(g_direct_hash, g_direct_equal);
    return c;
}

void qcow2_cache_free(Qcow2Cache *c)
{
    if (!c) {
        return;
    }
    for (int i = 0; i < c->max_entries; i++) {
        g_free(c->entries[i].table);
    }
    g_hash_table_destroy(c->by_offset);
    g_hash_table_destroy(c->by_table);
    g_free(c->entries);
    g_free(c);
}

static int find_entry(Qcow2Cache *c, uint64_t offset)
{
    gpointer v = g_hash_table_lookup(c->by_offset, &offset);
    return v ? GPOINTER_TO_INT(v) - 1 : -1;
}

static int entry_of_table(Qcow2Cache *c, void *table)
{
    gpointer v = g_hash_table_lookup(c->by_table, table);
    g_assert(v);   /* our own invariant: callers pass tables they got from us */
    return GPOINTER_TO_INT(v) - 1;
}

static int write_entry(Qcow2Cache *c, Qcow2CacheEntry *e, GError **err)
{
    if (!e->dirty) {
        return 0;
    }
    if (c->ops->before_write) {
        int ret = c->ops->before_write(c->opaque, err);
        if (ret < 0) {
            return ret;
        }
    }
    int ret = c->ops->write(c->opaque, e->offset, e->table, c->table_size, err);
    if (ret == 0) {
        e->dirty = false;
    }
    return ret;
}

static void unlink_entry(Qcow2Cache *c, int i)
{
    Qcow2CacheEntry *e = &c->entries[i];
    g_hash_table_remove(c->by_offset, &e->offset);
    e->offset = 0;
    e->dirty = false;
    e->pins = 0;
    c->used--;
}

/* Find a slot for a new table: a free one, or evict the LRU unpinned entry. */
static int grab_slot(Qcow2Cache *c, GError **err)
{
    int victim = -1;
    for (int i = 0; i < c->max_entries; i++) {
        Qcow2CacheEntry *e = &c->entries[i];
        if (e->offset == 0) {
            return i;
        }
        if (e->pins == 0 && (victim < 0 || e->lru < c->entries[victim].lru)) {
            victim = i;
        }
    }
    if (victim < 0) {
        return block_error(err, -ENOSPC, "qcow2 metadata cache: every entry is in use");
    }
    int ret = write_entry(c, &c->entries[victim], err);
    if (ret < 0) {
        return ret;
    }
    unlink_entry(c, victim);
    return victim;
}

static void link_entry(Qcow2Cache *c, int i, uint64_t offset)
{
    Qcow2CacheEntry *e = &c->entries[i];
    if (!e->table) {
        e->table = g_malloc(c->table_size);
        g_hash_table_insert(c->by_table, e->table, GINT_TO_POINTER(i + 1));
    }
    e->offset = offset;
    e->dirty = false;
    e->pins = 1;
    e->lru = ++c->lru_clock;
    g_hash_table_insert(c->by_offset, &e->offset, GINT_TO_POINTER(i + 1));
    c->used++;
}

static int cache_do_get(Qcow2Cache *c, uint64_t offset, void **table, bool read, GError **err)
{
    if (offset == 0) {
        /* Offset 0 is the header: a table there means corrupt metadata upstream. */
        return block_error(err, -EIO, "qcow2: refusing to use the header cluster as a table");
    }
    int i = find_entry(c, offset);
    if (i >= 0) {
        Qcow2CacheEntry *e = &c->entries[i];
        e->pins++;
        e->lru = ++c->lru_clock;
        if (!read) {
            memset(e->table, 0, c->table_size);
        }
        *table = e->table;
        return 0;
    }
    i = grab_slot(c, err);
    if (i < 0) {
        return i;
    }
    link_entry(c, i, offset);
    Qcow2CacheEntry *e = &c->entries[i];
    if (read) {
        int ret = c->ops->read(c->opaque, offset, e->table, c->table_size, err);
        if (ret < 0) {
            unlink_entry(c, i);
            return ret;
        }
    } else {
        memset(e->table, 0, c->table_size);
    }
    *table = e->table;
    return 0;
}

int qcow2_cache_get(Qcow2Cache *c, uint64_t offset, void **table, GError **err)
{
    return cache_do_get(c, offset, table, true, err);
}

int qcow2_cache_get_empty(Qcow2Cache *c, uint64_t offset, void **table, GError **err)
{
    return cache_do_get(c, offset, table, false, err);
}

void qcow2_cache_put(Qcow2Cache *c, void **table)
{
    int i = entry_of_table(c, *table);
    g_assert(c->entries[i].pins > 0);
    c->entries[i].pins--;
    *table = NULL;
}

void qcow2_cache_mark_dirty(Qcow2Cache *c, void *table)
{
    c->entries[entry_of_table(c, table)].dirty = true;
}

int qcow2_cache_write(Qcow2Cache *c, GError **err)
{
    int result = 0;
    /* Write in offset order: sequential IO for the file system. */
    GArray *order = g_array_new(FALSE, FALSE, sizeof(int));
    for (int i = 0; i < c->max_entries; i++) {
        if (c->entries[i].offset && c->entries[i].dirty) {
            g_array_append_val(order, i);
        }
    }
    for (guint a = 1; a < order->len; a++) {
        int v = g_array_index(order, int, a);
        guint b = a;
        while (b > 0 && c->entries[g_array_index(order, int, b - 1)].offset > c->entries[v].offset) {
            g_array_index(order, int, b) = g_array_index(order, int, b - 1);
            b--;
        }
        g_array_index(order, int, b) = v;
    }
    for (guint a = 0; a < order->len; a++) {
        int ret = write_entry(c, &c->entries[g_array_index(order, int, a)], err);
        if (ret < 0 && result == 0) {
            result = ret;
            err = NULL;   /* keep the first message */
        }
    }
    g_array_free(order, TRUE);
    return result;
}

int qcow2_cache_write_table(Qcow2Cache *c, void *table, GError **err)
{
    return write_entry(c, &c->entries[entry_of_table(c, table)], err);
}

bool qcow2_cache_is_dirty(Qcow2Cache *c)
{
    for (int i = 0; i < c->max_entries; i++) {
        if (c->entries[i].offset && c->entries[i].dirty) {
            return true;
        }
    }
    return false;
}

void qcow2_cache_discard(Qcow2Cache *c, uint64_t offset)
{
    int i = find_entry(c, offset);
    if (i >= 0) {
        g_assert(c->entries[i].pins == 0);
        unlink_entry(c, i);
    }
}

void qcow2_cache_clear(Qcow2Cache *c)
{
    for (int i = 0; i < c->max_entries; i++) {
        if (c->entries[i].offset) {
            g_assert(c->entries[i].pins == 0);
            unlink_entry(c, i);
        }
    }
}

int qcow2_cache_entries_used(Qcow2Cache *c)
{
    return c->used;
}

int qcow2_cache_max_entries(Qcow2Cache *c)
{
    return c->max_entries;
}
