/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Address spaces and region dispatch.
 *
 * The region tree (containers, aliases, leaves) is what boards and devices
 * edit.  Accesses never walk it: each AddressSpace keeps a flat view, an
 * array of non-overlapping FlatRanges sorted by address, and an access is
 * one binary search plus a call.  Any edit bumps a global generation
 * number; a space whose view is older rebuilds on its next lookup (spaces
 * with listeners rebuild at once, or at the end of a transaction, because
 * KVM memslots and Xen ioreq ranges must follow the tree without waiting
 * for an access).
 *
 * Flattening: the tree is walked depth first with the children of each
 * container visited in precedence order (higher priority first, later
 * added first among equals).  Every leaf reached yields a "piece" clipped
 * to the windows of the containers and aliases above it and ranked by
 * visit order, so a lower rank always wins.  A sweep over the piece
 * endpoints with the active pieces kept in a GTree ordered by rank gives
 * the winner of every interval in O(n log n).
 *
 * All of this runs under the device lock (mainloop.h).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include <glib.h>

#include "hw/core/log.h"
#include "hw/core/memory.h"

/* Deeper nesting than this is a loop of aliases (a board bug); it renders as empty. */
#define MR_MAX_DEPTH 32

struct MemoryRegion {
    char *name;
    MemoryRegionKind kind;
    uint64_t size;

    void *host;                 /* RAM/ROM backing */
    size_t host_mapped;         /* bytes mmap()ed by us, 0 if the caller owns host */

    const RegionOps *ops;       /* IO */
    void *opaque;

    MemoryRegion *alias;        /* ALIAS target */
    uint64_t alias_offset;

    bool readonly;
    bool enabled;

    /* Where this region is mapped. */
    MemoryRegion *container;
    uint64_t addr;
    int priority;

    GPtrArray *subregions;      /* CONTAINER: in precedence order */
    AddressSpace *as;           /* set on the root region of a space */
};

struct AddressSpace {
    char *name;
    MemoryRegion *root;
    FlatRange *ranges;
    size_t nr_ranges;
    uint64_t flat_gen;          /* memory_gen the view was built for */
    bool force_notify;          /* a region was freed: pointers may be reused */
    unsigned log_category;      /* LOG_IOPORT or LOG_MMIO */
    MemoryListener *listeners;
    RamWriteNotifier ram_write_fn;
    void *ram_write_opaque;
};

/* Starts at 1 so that a new space (flat_gen 0) is dirty. */
static uint64_t memory_gen = 1;
static unsigned transaction_depth;
static GPtrArray *all_spaces;

static void as_rebuild(AddressSpace *as);

static void memory_commit_listeners(void)
{
    if (!all_spaces) {
        return;
    }
    for (guint i = 0; i < all_spaces->len; i++) {
        AddressSpace *as = g_ptr_array_index(all_spaces, i);
        if (as->listeners && as->flat_gen != memory_gen) {
            as_rebuild(as);
        }
    }
}

static void memory_changed(void)
{
    memory_gen++;
    if (transaction_depth == 0) {
        memory_commit_listeners();
    }
}

void memory_transaction_begin(void)
{
    transaction_depth++;
}

void memory_transaction_commit(void)
{
    if (transaction_depth == 0) {
        g_warning("memory_transaction_commit without begin");
        return;
    }
    if (--transaction_depth == 0) {
        memory_commit_listeners();
    }
}

/* ---- regions ---- */

static MemoryRegion *mr_alloc(const char *name, MemoryRegionKind kind, uint64_t size)
{
    MemoryRegion *mr = g_new0(MemoryRegion, 1);

    mr->name = g_strdup(name ? name : "(anonymous)");
    mr->kind = kind;
    mr->size = size;
    mr->enabled = true;
    return mr;
}

static void *mr_alloc_host(const char *name, uint64_t size, size_t *mapped)
{
    void *p;

    *mapped = 0;
    if (size == 0) {
        return NULL;
    }
    if (size > SIZE_MAX) {
        fprintf(stderr, "ioemu: region %s: size 0x%" PRIx64 " does not fit in the address space\n",
                name, size);
        exit(1);
    }
    /* Anonymous mappings are zeroed, page aligned and only backed when touched. */
    p = mmap(NULL, (size_t)size, PROT_READ | PROT_WRITE,
             MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (p == MAP_FAILED) {
        fprintf(stderr, "ioemu: cannot allocate %" PRIu64 " bytes for region %s\n", size, name);
        exit(1);
    }
    *mapped = (size_t)size;
    return p;
}

MemoryRegion *mr_new_ram(const char *name, uint64_t size, void *host)
{
    MemoryRegion *mr = mr_alloc(name, MR_RAM, size);

    mr->host = host ? host : mr_alloc_host(mr->name, size, &mr->host_mapped);
    return mr;
}

MemoryRegion *mr_new_rom(const char *name, uint64_t size, void *host)
{
    MemoryRegion *mr = mr_alloc(name, MR_ROM, size);

    mr->host = host ? host : mr_alloc_host(mr->name, size, &mr->host_mapped);
    return mr;
}

static bool size_is_valid_pow2(unsigned v)
{
    return v == 0 || v == 1 || v == 2 || v == 4 || v == 8;
}

MemoryRegion *mr_new_io(const char *name, uint64_t size, const RegionOps *ops, void *opaque)
{
    MemoryRegion *mr;

    /* A malformed ops table is a bug in our own device code. */
    g_assert(ops);
    g_assert(size_is_valid_pow2(ops->valid.min) && size_is_valid_pow2(ops->valid.max));
    g_assert(size_is_valid_pow2(ops->impl.min) && size_is_valid_pow2(ops->impl.max));
    g_assert(!ops->valid.min || !ops->valid.max || ops->valid.min <= ops->valid.max);
    g_assert(!ops->impl.min || !ops->impl.max || ops->impl.min <= ops->impl.max);

    mr = mr_alloc(name, MR_IO, size);
    mr->ops = ops;
    mr->opaque = opaque;
    return mr;
}

MemoryRegion *mr_new_alias(const char *name, MemoryRegion *target, uint64_t offset, uint64_t size)
{
    MemoryRegion *mr;

    g_assert(target);
    mr = mr_alloc(name, MR_ALIAS, size);
    mr->alias = target;
    mr->alias_offset = offset;
    if (offset > target->size || size > target->size - offset) {
        /* Rendering clips the window to the target; say so once here. */
        log_printf("memory: alias %s [0x%" PRIx64 "+0x%" PRIx64 "] extends beyond %s (size 0x%" PRIx64
                   "); clipped", mr->name, offset, size, target->name, target->size);
    }
    return mr;
}

MemoryRegion *mr_new_container(const char *name, uint64_t size)
{
    MemoryRegion *mr = mr_alloc(name, MR_CONTAINER, size);

    mr->subregions = g_ptr_array_new();
    return mr;
}

void mr_free(MemoryRegion *mr)
{
    if (!mr) {
        return;
    }
    if (mr->container) {
        mr_del_subregion(mr->container, mr);
    }
    if (mr->subregions) {
        for (guint i = 0; i < mr->subregions->len; i++) {
            MemoryRegion *sub = g_ptr_array_index(mr->subregions, i);
            sub->container = NULL;
        }
        g_ptr_array_free(mr->subregions, TRUE);
    }
    if (mr->host_mapped) {
        munmap(mr->host, mr->host_mapped);
    }
    /*
     * Views may still name this region; they are rebuilt before use, but a
     * new region could reuse the address, so listeners must hear about the
     * next view even if it compares equal.
     */
    if (all_spaces) {
        for (guint i = 0; i < all_spaces->len; i++) {
            AddressSpace *as = g_ptr_array_index(all_spaces, i);
            as->force_notify = true;
        }
    }
    memory_changed();
    g_free(mr->name);
    g_free(mr);
}

void mr_set_readonly(MemoryRegion *mr, bool readonly)
{
    if (mr->readonly != readonly) {
        mr->readonly = readonly;
        memory_changed();
    }
}

void mr_set_enabled(MemoryRegion *mr, bool enabled)
{
    if (mr->enabled != enabled) {
        mr->enabled = enabled;
        memory_changed();
    }
}

void mr_set_alias_offset(MemoryRegion *mr, uint64_t offset)
{
    g_assert(mr->kind == MR_ALIAS);
    if (mr->alias_offset != offset) {
        mr->alias_offset = offset;
        memory_changed();
    }
}

const char *mr_name(const MemoryRegion *mr)
{
    return mr->name;
}

uint64_t mr_size(const MemoryRegion *mr)
{
    return mr->size;
}

MemoryRegionKind mr_kind(const MemoryRegion *mr)
{
    return mr->kind;
}

void *mr_host_ptr(const MemoryRegion *mr)
{
    return (mr->kind == MR_RAM || mr->kind == MR_ROM) ? mr->host : NULL;
}

static void container_insert(MemoryRegion *container, MemoryRegion *sub)
{
    GPtrArray *subs = container->subregions;
    guint i;

    /* Before every sibling of lower or equal priority: the later-added wins ties. */
    for (i = 0; i < subs->len; i++) {
        MemoryRegion *other = g_ptr_array_index(subs, i);
        if (other->priority <= sub->priority) {
            break;
        }
    }
    g_ptr_array_insert(subs, (gint)i, sub);
}

void mr_add_subregion(MemoryRegion *container, uint64_t addr, MemoryRegion *sub, int priority)
{
    g_assert(container->kind == MR_CONTAINER);
    g_assert(sub && !sub->container && !sub->as && sub != container);

    sub->container = container;
    sub->addr = addr;
    sub->priority = priority;
    container_insert(container, sub);
    memory_changed();
}

void mr_set_address(MemoryRegion *mr, uint64_t addr)
{
    if (mr->addr == addr) {
        return;
    }
    mr->addr = addr;
    if (mr->container) {
        memory_changed();
    }
}

void mr_del_subregion(MemoryRegion *container, MemoryRegion *sub)
{
    g_assert(sub->container == container);
    g_ptr_array_remove(container->subregions, sub);
    sub->container = NULL;
    memory_changed();
}

bool mr_is_mapped(const MemoryRegion *mr)
{
    return mr->container != NULL;
}

uint64_t mr_address(const MemoryRegion *mr)
{
    return mr->addr;
}

/* ---- address spaces ---- */

AddressSpace *as_new(const char *name, uint64_t size)
{
    AddressSpace *as = g_new0(AddressSpace, 1);

    as->name = g_strdup(name);
    as->root = mr_new_container(name, size);
    as->root->as = as;
    as->log_category = g_str_has_prefix(name, "io") ? LOG_IOPORT : LOG_MMIO;
    if (!all_spaces) {
        all_spaces = g_ptr_array_new();
    }
    g_ptr_array_add(all_spaces, as);
    return as;
}

void as_free(AddressSpace *as)
{
    if (!as) {
        return;
    }
    g_ptr_array_remove(all_spaces, as);
    as->root->as = NULL;
    mr_free(as->root);
    g_free(as->ranges);
    g_free(as->name);
    g_free(as);
}

MemoryRegion *as_root(AddressSpace *as)
{
    return as->root;
}

const char *as_name(const AddressSpace *as)
{
    return as->name;
}

/* ---- flattening ---- */

typedef struct Piece {
    uint64_t start, last;       /* inclusive */
    MemoryRegion *mr;
    uint64_t offset;            /* offset in mr of `start` */
    bool readonly;
    guint rank;
} Piece;

typedef struct Render {
    GArray *pieces;
    guint rank;
} Render;

static uint64_t u64_min(uint64_t a, uint64_t b)
{
    return a < b ? a : b;
}

static uint64_t u64_max(uint64_t a, uint64_t b)
{
    return a > b ? a : b;
}

/*
 * Render `mr`, whose offset 0 sits at absolute address `base` (modulo 2^64:
 * an alias target may start "below" 0), for the absolute window [lo, last],
 * which the caller has already clipped to mr's extent.
 */
static void render_region(Render *r, MemoryRegion *mr, uint64_t base, uint64_t lo, uint64_t last,
                          bool readonly, int depth)
{
    if (!mr->enabled) {
        return;
    }
    if (depth > MR_MAX_DEPTH) {
        log_printf("memory: region %s nested deeper than %d (alias loop?); not mapped",
                   mr->name, MR_MAX_DEPTH);
        return;
    }
    readonly = readonly || mr->readonly;

    switch (mr->kind) {
    case MR_RAM:
    case MR_ROM:
    case MR_IO: {
        Piece p = {
            .start = lo, .last = last, .mr = mr, .offset = lo - base,
            .readonly = readonly || mr->kind == MR_ROM, .rank = r->rank++,
        };
        g_array_append_val(r->pieces, p);
        break;
    }
    case MR_ALIAS: {
        MemoryRegion *target = mr->alias;
        uint64_t window, olo, olast;

        /* The part of the alias that lands inside the target. */
        if (mr->alias_offset >= target->size) {
            return;
        }
        window = u64_min(mr->size, target->size - mr->alias_offset);
        if (window == 0) {
            return;
        }
        olo = lo - base;
        olast = u64_min(last - base, window - 1);
        if (olo > olast) {
            return;
        }
        render_region(r, target, base - mr->alias_offset, base + olo, base + olast,
                      readonly, depth + 1);
        break;
    }
    case MR_CONTAINER: {
        uint64_t clo = lo - base, clast = last - base;

        for (guint i = 0; i < mr->subregions->len; i++) {
            MemoryRegion *sub = g_ptr_array_index(mr->subregions, i);
            uint64_t slast, ilo, ilast;

            if (!sub->enabled || sub->size == 0) {
                continue;
            }
            slast = sub->size - 1 > UINT64_MAX - sub->addr ? UINT64_MAX : sub->addr + sub->size - 1;
            ilo = u64_max(clo, sub->addr);
            ilast = u64_min(clast, slast);
            if (ilo > ilast) {
                continue;
            }
            render_region(r, sub, base + sub->addr, base + ilo, base + ilast, readonly, depth + 1);
        }
        break;
    }
    }
}

typedef struct SweepEvent {
    uint64_t pos;
    guint piece;
    bool start;
} SweepEvent;

static gint sweep_event_cmp(gconstpointer a, gconstpointer b)
{
    const SweepEvent *x = a, *y = b;

    if (x->pos != y->pos) {
        return x->pos < y->pos ? -1 : 1;
    }
    return 0;
}

static gint piece_rank_cmp(gconstpointer a, gconstpointer b, gpointer unused)
{
    const Piece *x = a, *y = b;

    return x->rank < y->rank ? -1 : x->rank > y->rank;
}

static void flat_append(GArray *out, uint64_t start, uint64_t size, const Piece *p)
{
    FlatRange fr = {
        .start = start, .size = size, .mr = p->mr,
        .offset = p->offset + (start - p->start), .readonly = p->readonly,
    };

    if (out->len) {
        FlatRange *prev = &g_array_index(out, FlatRange, out->len - 1);
        if (prev->mr == fr.mr && prev->readonly == fr.readonly &&
            prev->start + prev->size == fr.start && prev->offset + prev->size == fr.offset) {
            prev->size += fr.size;
            return;
        }
    }
    g_array_append_val(out, fr);
}

static GArray *flatten(MemoryRegion *root)
{
    Render r = { .pieces = g_array_new(FALSE, FALSE, sizeof(Piece)) };
    GArray *events, *out = g_array_new(FALSE, FALSE, sizeof(FlatRange));
    GTree *active;

    if (root->size) {
        render_region(&r, root, 0, 0, root->size - 1, false, 0);
    }

    /* The root spans at most [0, UINT64_MAX - 1], so last + 1 never wraps. */
    events = g_array_sized_new(FALSE, FALSE, sizeof(SweepEvent), r.pieces->len * 2);
    for (guint i = 0; i < r.pieces->len; i++) {
        const Piece *p = &g_array_index(r.pieces, Piece, i);
        SweepEvent s = { .pos = p->start, .piece = i, .start = true };
        SweepEvent e = { .pos = p->last + 1, .piece = i, .start = false };
        g_array_append_val(events, s);
        g_array_append_val(events, e);
    }
    g_array_sort(events, sweep_event_cmp);

    active = g_tree_new_full(piece_rank_cmp, NULL, NULL, NULL);
    for (guint i = 0; i < events->len;) {
        uint64_t pos = g_array_index(events, SweepEvent, i).pos;
        GTreeNode *first;

        for (; i < events->len && g_array_index(events, SweepEvent, i).pos == pos; i++) {
            const SweepEvent *ev = &g_array_index(events, SweepEvent, i);
            Piece *p = &g_array_index(r.pieces, Piece, ev->piece);
            if (ev->start) {
                g_tree_insert(active, p, p);
            } else {
                g_tree_remove(active, p);
            }
        }
        first = g_tree_node_first(active);
        if (first && i < events->len) {
            uint64_t next = g_array_index(events, SweepEvent, i).pos;
            flat_append(out, pos, next - pos, g_tree_node_value(first));
        }
    }
    g_tree_destroy(active);
    g_array_free(events, TRUE);
    g_array_free(r.pieces, TRUE);
    return out;
}

static bool flat_equal(const FlatRange *a, size_t na, const FlatRange *b, size_t nb)
{
    if (na != nb) {
        return false;
    }
    for (size_t i = 0; i < na; i++) {
        if (a[i].start != b[i].start || a[i].size != b[i].size || a[i].mr != b[i].mr ||
            a[i].offset != b[i].offset || a[i].readonly != b[i].readonly) {
            return false;
        }
    }
    return true;
}

static void as_rebuild(AddressSpace *as)
{
    GArray *view = flatten(as->root);
    size_t n = view->len;
    FlatRange *ranges = (FlatRange *)(void *)g_array_free(view, FALSE);
    bool changed = as->force_notify || !flat_equal(as->ranges, as->nr_ranges, ranges, n);

    g_free(as->ranges);
    as->ranges = ranges;
    as->nr_ranges = n;
    as->flat_gen = memory_gen;
    as->force_notify = false;
    if (changed) {
        for (MemoryListener *l = as->listeners; l; l = l->next) {
            l->commit(l, as, as->ranges, as->nr_ranges);
        }
    }
}

static inline void as_ensure_flat(AddressSpace *as)
{
    if (G_UNLIKELY(as->flat_gen != memory_gen)) {
        as_rebuild(as);
    }
}

/*
 * Index of the range holding addr, or -1 with *next set to the index of
 * the first range starting above addr.
 */
static inline ptrdiff_t flat_find(const AddressSpace *as, uint64_t addr, size_t *next)
{
    size_t lo = 0, hi = as->nr_ranges;

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        const FlatRange *fr = &as->ranges[mid];

        if (addr < fr->start) {
            hi = mid;
        } else if (addr - fr->start >= fr->size) {
            lo = mid + 1;
        } else {
            return (ptrdiff_t)mid;
        }
    }
    if (next) {
        *next = lo;
    }
    return -1;
}

/*
 * The range holding all of [addr, addr + size) after flattening, or NULL
 * when that is unmapped or straddles ranges (the byte-wise slow path).
 */
static inline const FlatRange *flat_find_whole(AddressSpace *as, uint64_t addr, unsigned size)
{
    ptrdiff_t i;

    as_ensure_flat(as);
    i = flat_find(as, addr, NULL);
    if (G_LIKELY(i >= 0)) {
        const FlatRange *fr = &as->ranges[i];
        uint64_t off = addr - fr->start;

        if (G_LIKELY(size <= fr->size && off <= fr->size - size)) {
            return fr;
        }
    }
    return NULL;
}

const FlatRange *as_lookup(AddressSpace *as, uint64_t addr)
{
    ptrdiff_t i;

    as_ensure_flat(as);
    i = flat_find(as, addr, NULL);
    return i < 0 ? NULL : &as->ranges[i];
}

void as_commit(AddressSpace *as)
{
    as_ensure_flat(as);
}

void as_add_listener(AddressSpace *as, MemoryListener *l)
{
    MemoryListener **pp = &as->listeners;

    as_ensure_flat(as);
    while (*pp) {
        pp = &(*pp)->next;
    }
    l->next = NULL;
    *pp = l;
    l->commit(l, as, as->ranges, as->nr_ranges);
}

void as_remove_listener(AddressSpace *as, MemoryListener *l)
{
    for (MemoryListener **pp = &as->listeners; *pp; pp = &(*pp)->next) {
        if (*pp == l) {
            *pp = l->next;
            l->next = NULL;
            return;
        }
    }
}

/* ---- scalar dispatch ---- */

static inline uint64_t size_mask(unsigned size)
{
    return size >= 8 ? UINT64_MAX : (UINT64_C(1) << (size * 8)) - 1;
}

static inline uint64_t host_load(const uint8_t *p, unsigned size)
{
    switch (size) {
    case 1:
        return *p;
    case 2: {
        uint16_t v;
        memcpy(&v, p, 2);
        return GUINT16_FROM_LE(v);
    }
    case 4: {
        uint32_t v;
        memcpy(&v, p, 4);
        return GUINT32_FROM_LE(v);
    }
    default: {
        uint64_t v;
        memcpy(&v, p, 8);
        return GUINT64_FROM_LE(v);
    }
    }
}

static inline void host_store(uint8_t *p, unsigned size, uint64_t value)
{
    switch (size) {
    case 1:
        *p = (uint8_t)value;
        break;
    case 2: {
        uint16_t v = GUINT16_TO_LE((uint16_t)value);
        memcpy(p, &v, 2);
        break;
    }
    case 4: {
        uint32_t v = GUINT32_TO_LE((uint32_t)value);
        memcpy(p, &v, 4);
        break;
    }
    default: {
        uint64_t v = GUINT64_TO_LE(value);
        memcpy(p, &v, 8);
        break;
    }
    }
}

static inline uint64_t io_call_read(MemoryRegion *mr, uint64_t offset, unsigned size)
{
    if (!mr->ops->read) {
        return size_mask(size);
    }
    return mr->ops->read(mr->opaque, offset, size) & size_mask(size);
}

static inline void io_call_write(MemoryRegion *mr, uint64_t offset, uint64_t value, unsigned size)
{
    if (mr->ops->write) {
        mr->ops->write(mr->opaque, offset, value & size_mask(size), size);
    }
}

/*
 * Access [offset, offset+size) through chunks of `width` bytes aligned to
 * width: reads extract the covered bytes of each chunk; writes of partial
 * chunks read-modify-write.
 */
static void io_access_chunked(MemoryRegion *mr, uint64_t offset, unsigned size, uint64_t *value,
                              bool is_write, unsigned width)
{
    uint64_t end = offset + size;
    uint64_t result = 0;

    for (uint64_t c = offset & ~(uint64_t)(width - 1); c < end; c += width) {
        uint64_t lo = u64_max(c, offset), hi = u64_min(c + width, end);
        unsigned nbytes = (unsigned)(hi - lo);
        unsigned chunk_shift = (unsigned)(lo - c) * 8;
        unsigned value_shift = (unsigned)(lo - offset) * 8;
        uint64_t mask = size_mask(nbytes);

        if (!is_write) {
            uint64_t v = io_call_read(mr, c, width);
            result |= ((v >> chunk_shift) & mask) << value_shift;
        } else {
            uint64_t part = (*value >> value_shift) & mask;
            if (nbytes == width) {
                io_call_write(mr, c, part, width);
            } else {
                uint64_t old = io_call_read(mr, c, width);
                uint64_t v = (old & ~(mask << chunk_shift)) | (part << chunk_shift);
                io_call_write(mr, c, v, width);
            }
        }
    }
    if (!is_write) {
        *value = result;
    }
}

static bool io_access(AddressSpace *as, MemoryRegion *mr, uint64_t offset, unsigned size,
                      uint64_t *value, bool is_write)
{
    const RegionOps *ops = mr->ops;
    unsigned vmin = ops->valid.min ? ops->valid.min : 1;
    unsigned vmax = ops->valid.max ? ops->valid.max : 8;
    unsigned imin = ops->impl.min ? ops->impl.min : vmin;
    unsigned imax = ops->impl.max ? ops->impl.max : vmax;
    bool aligned = (offset & (size - 1)) == 0;

    if (size < vmin || size > vmax) {
        guest_error("%s: %u-byte %s at offset 0x%" PRIx64 " of %s (accepts %u..%u)\n",
                    as ? as->name : "?", size, is_write ? "write" : "read", offset, mr->name,
                    vmin, vmax);
        if (!is_write) {
            *value = size_mask(size);
        }
        return false;
    }

    if (aligned || ops->valid.unaligned) {
        if (size >= imin && size <= imax) {
            if (is_write) {
                io_call_write(mr, offset, *value, size);
            } else {
                *value = io_call_read(mr, offset, size);
            }
            goto out;
        }
        if (size > imax) {
            /* Split into impl.max pieces, little endian. */
            uint64_t result = 0;
            for (unsigned i = 0; i < size / imax; i++) {
                unsigned shift = i * imax * 8;
                if (is_write) {
                    io_call_write(mr, offset + i * imax, (*value >> shift) & size_mask(imax), imax);
                } else {
                    result |= io_call_read(mr, offset + i * imax, imax) << shift;
                }
            }
            if (!is_write) {
                *value = result;
            }
            goto out;
        }
    }
    /* Narrower than impl.min, or unaligned for a device that can't take it. */
    io_access_chunked(mr, offset, size, value, is_write, imin);

out:
    if (as && G_UNLIKELY(log_mask & as->log_category)) {
        log_printf("%s: %s %s+0x%" PRIx64 " size %u %s 0x%" PRIx64 "\n", as->name,
                   is_write ? "write" : "read", mr->name, offset, size,
                   is_write ? "<-" : "->", *value);
    }
    return true;
}

static inline bool range_read(AddressSpace *as, const FlatRange *fr, uint64_t offset, unsigned size,
                              uint64_t *value)
{
    MemoryRegion *mr = fr->mr;

    if (mr->kind == MR_IO) {
        return io_access(as, mr, offset, size, value, false);
    }
    *value = host_load((const uint8_t *)mr->host + offset, size);
    return true;
}

static inline bool range_write(AddressSpace *as, const FlatRange *fr, uint64_t offset, unsigned size,
                               uint64_t value)
{
    MemoryRegion *mr = fr->mr;

    if (fr->readonly) {
        /* ROM and read-only aliases ignore writes, as the hardware does. */
        return true;
    }
    if (mr->kind == MR_IO) {
        return io_access(as, mr, offset, size, &value, true);
    }
    host_store((uint8_t *)mr->host + offset, size, value);
    if (as->ram_write_fn) {
        as->ram_write_fn(as->ram_write_opaque, fr->start + (offset - fr->offset), size);
    }
    return true;
}

static bool access_size_ok(AddressSpace *as, uint64_t addr, unsigned size, bool is_write)
{
    if (size == 1 || size == 2 || size == 4 || size == 8) {
        return true;
    }
    guest_error("%s: invalid %u-byte %s at 0x%" PRIx64 "\n", as->name, size,
                is_write ? "write" : "read", addr);
    return false;
}

/* The bytes of an access that crosses a range boundary (or hits a hole), one at a time. */
static bool as_read_bytewise(AddressSpace *as, uint64_t addr, unsigned size, uint64_t *value)
{
    uint64_t result = 0;
    bool ok = true;

    for (unsigned i = 0; i < size; i++) {
        uint64_t byte = 0xff;
        const FlatRange *fr = NULL;

        if (addr + i >= addr) {     /* no wrap past the top of the space */
            fr = as_lookup(as, addr + i);
        }
        if (fr) {
            ok &= range_read(as, fr, fr->offset + (addr + i - fr->start), 1, &byte);
        } else {
            ok = false;
        }
        result |= (byte & 0xff) << (i * 8);
    }
    *value = result;
    return ok;
}

static bool as_write_bytewise(AddressSpace *as, uint64_t addr, unsigned size, uint64_t value)
{
    bool ok = true;

    for (unsigned i = 0; i < size; i++) {
        const FlatRange *fr = NULL;

        if (addr + i >= addr) {
            fr = as_lookup(as, addr + i);
        }
        if (fr) {
            ok &= range_write(as, fr, fr->offset + (addr + i - fr->start), 1, (value >> (i * 8)) & 0xff);
        } else {
            ok = false;
        }
    }
    return ok;
}

bool as_read(AddressSpace *as, uint64_t addr, unsigned size, uint64_t *value)
{
    const FlatRange *fr;

    if (G_UNLIKELY(!access_size_ok(as, addr, size, false))) {
        *value = UINT64_MAX;
        return false;
    }
    fr = flat_find_whole(as, addr, size);
    if (G_LIKELY(fr)) {
        return range_read(as, fr, fr->offset + (addr - fr->start), size, value);
    }
    return as_read_bytewise(as, addr, size, value);
}

bool as_write(AddressSpace *as, uint64_t addr, unsigned size, uint64_t value)
{
    const FlatRange *fr;

    if (G_UNLIKELY(!access_size_ok(as, addr, size, true))) {
        return false;
    }
    value &= size_mask(size);
    fr = flat_find_whole(as, addr, size);
    if (G_LIKELY(fr)) {
        return range_write(as, fr, fr->offset + (addr - fr->start), size, value);
    }
    return as_write_bytewise(as, addr, size, value);
}

/* ---- bulk copies ---- */

typedef enum { BUF_READ, BUF_WRITE, BUF_WRITE_ROM } BufMode;

/* The widest access up to `limit` bytes that the region accepts at `offset`. */
static unsigned io_buf_access_size(const MemoryRegion *mr, uint64_t offset, uint64_t limit)
{
    const RegionOps *ops = mr->ops;
    unsigned vmin = ops->valid.min ? ops->valid.min : 1;
    unsigned vmax = ops->valid.max ? ops->valid.max : 8;

    for (unsigned s = vmax; s >= vmin; s /= 2) {
        if (s <= limit && (offset & (s - 1)) == 0) {
            return s;
        }
        if (s == 1) {
            break;
        }
    }
    return vmin <= limit ? vmin : 1;
}

static bool as_rw_buf(AddressSpace *as, uint64_t addr, uint8_t *buf, size_t len, BufMode mode)
{
    bool ok = true;

    while (len) {
        size_t next = 0;
        ptrdiff_t i;
        const FlatRange *fr;
        uint64_t off, avail;
        size_t n;

        as_ensure_flat(as);
        i = flat_find(as, addr, &next);
        if (i < 0) {
            /* A hole up to the next range (or the rest of the request). */
            uint64_t gap = next < as->nr_ranges ? as->ranges[next].start - addr : UINT64_MAX - addr;
            n = gap == 0 ? len : (size_t)u64_min(len, gap);
            if (mode == BUF_READ) {
                memset(buf, 0xff, n);
            }
            ok = false;
            if (n == len || addr + n < addr) {
                if (mode == BUF_READ && n < len) {
                    memset(buf + n, 0xff, len - n);
                }
                break;
            }
            addr += n;
            buf += n;
            len -= n;
            continue;
        }

        fr = &as->ranges[i];
        off = fr->offset + (addr - fr->start);
        avail = fr->size - (addr - fr->start);
        n = (size_t)u64_min(len, avail);

        if (fr->mr->kind != MR_IO) {
            uint8_t *host = (uint8_t *)fr->mr->host + off;
            if (mode == BUF_READ) {
                memcpy(buf, host, n);
            } else if (!fr->readonly || mode == BUF_WRITE_ROM) {
                memcpy(host, buf, n);
                if (as->ram_write_fn) {
                    as->ram_write_fn(as->ram_write_opaque, addr, n);
                }
            }
        } else {
            MemoryRegion *mr = fr->mr;
            const RegionOps *ops = mr->ops;

            if (mode == BUF_READ && ops->read_buf) {
                ok &= ops->read_buf(mr->opaque, off, buf, n);
            } else if (mode != BUF_READ && ops->write_buf) {
                if (!fr->readonly) {
                    ok &= ops->write_buf(mr->opaque, off, buf, n);
                }
            } else {
                /* One scalar access per turn: a device write may remap the space. */
                unsigned s = io_buf_access_size(mr, off, n);
                uint64_t v = 0;

                if (s > n) {
                    s = 1;
                }
                n = s;
                if (mode == BUF_READ) {
                    ok &= io_access(as, mr, off, s, &v, false);
                    for (unsigned b = 0; b < s; b++) {
                        buf[b] = (uint8_t)(v >> (b * 8));
                    }
                } else if (!fr->readonly) {
                    for (unsigned b = 0; b < s; b++) {
                        v |= (uint64_t)buf[b] << (b * 8);
                    }
                    ok &= io_access(as, mr, off, s, &v, true);
                }
            }
        }
        if (n == len || addr + n < addr) {
            break;
        }
        addr += n;
        buf += n;
        len -= n;
    }
    return ok;
}

bool as_read_buf(AddressSpace *as, uint64_t addr, void *buf, size_t len)
{
    return as_rw_buf(as, addr, buf, len, BUF_READ);
}

bool as_write_buf(AddressSpace *as, uint64_t addr, const void *buf, size_t len)
{
    return as_rw_buf(as, addr, (uint8_t *)buf, len, BUF_WRITE);
}

bool as_write_rom(AddressSpace *as, uint64_t addr, const void *buf, size_t len)
{
    return as_rw_buf(as, addr, (uint8_t *)buf, len, BUF_WRITE_ROM);
}

void as_set_ram_write_notifier(AddressSpace *as, RamWriteNotifier fn, void *opaque)
{
    as->ram_write_fn = fn;
    as->ram_write_opaque = opaque;
}

void *as_host_ptr(AddressSpace *as, uint64_t addr, uint64_t len, bool for_write)
{
    const FlatRange *fr = as_lookup(as, addr);
    uint64_t off;

    if (!fr) {
        return NULL;
    }
    if (fr->mr->kind == MR_IO || (fr->mr->kind == MR_ROM && for_write) ||
        (for_write && fr->readonly)) {
        return NULL;
    }
    off = addr - fr->start;
    if (len > fr->size - off) {
        return NULL;
    }
    return (uint8_t *)fr->mr->host + fr->offset + off;
}

/* ---- debugging ---- */

static const char *mr_kind_name(const MemoryRegion *mr)
{
    switch (mr->kind) {
    case MR_RAM:
        return "ram";
    case MR_ROM:
        return "rom";
    case MR_IO:
        return "i/o";
    case MR_ALIAS:
        return "alias";
    case MR_CONTAINER:
        return "container";
    }
    return "?";
}

static void dump_region(const MemoryRegion *mr, uint64_t base, int depth,
                        void (*print)(void *opaque, const char *line), void *opaque)
{
    uint64_t start = base + mr->addr;
    uint64_t last = mr->size ? start + mr->size - 1 : start;
    char *line;

    if (depth > MR_MAX_DEPTH) {
        return;
    }
    if (mr->kind == MR_ALIAS) {
        line = g_strdup_printf("%*s%016" PRIx64 "-%016" PRIx64 " (prio %d, %s%s%s): %s @%s %016" PRIx64
                               "-%016" PRIx64, depth * 2 + 2, "", start, last, mr->priority,
                               mr_kind_name(mr), mr->readonly ? ", ro" : "",
                               mr->enabled ? "" : ", disabled", mr->name, mr->alias->name,
                               mr->alias_offset, mr->alias_offset + (mr->size ? mr->size - 1 : 0));
    } else {
        line = g_strdup_printf("%*s%016" PRIx64 "-%016" PRIx64 " (prio %d, %s%s%s): %s",
                               depth * 2 + 2, "", start, last, mr->priority, mr_kind_name(mr),
                               mr->readonly ? ", ro" : "", mr->enabled ? "" : ", disabled",
                               mr->name);
    }
    print(opaque, line);
    g_free(line);
    if (mr->kind == MR_CONTAINER) {
        for (guint i = 0; i < mr->subregions->len; i++) {
            dump_region(g_ptr_array_index(mr->subregions, i), start, depth + 1, print, opaque);
        }
    }
}

void as_dump(AddressSpace *as, void (*print)(void *opaque, const char *line), void *opaque)
{
    char *line = g_strdup_printf("address-space: %s", as->name);

    print(opaque, line);
    g_free(line);
    dump_region(as->root, 0, 0, print, opaque);

    as_ensure_flat(as);
    line = g_strdup_printf("flat view of %s (%zu ranges):", as->name, as->nr_ranges);
    print(opaque, line);
    g_free(line);
    for (size_t i = 0; i < as->nr_ranges; i++) {
        const FlatRange *fr = &as->ranges[i];
        line = g_strdup_printf("  %016" PRIx64 "-%016" PRIx64 " (%s%s): %s @0x%" PRIx64,
                               fr->start, fr->start + fr->size - 1, mr_kind_name(fr->mr),
                               fr->readonly ? ", ro" : "", fr->mr->name, fr->offset);
        print(opaque, line);
        g_free(line);
    }
}
