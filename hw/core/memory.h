/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Address spaces and region dispatch.
 *
 * A board builds an AddressSpace (one for port IO, one for memory) out of
 * MemoryRegions: RAM (host pointer), ROM (host pointer, guest writes are
 * ignored), IO (an ops table), ALIAS (a window onto part of another
 * region, optionally read-only) and CONTAINER (holds subregions).  Every
 * mapping has a priority; where two overlap the higher one wins (a BAR or
 * ROM over RAM).  Any change marks the space dirty; the next access
 * rebuilds a flat, sorted view, looked up by binary search.
 *
 * Listeners (KVM memslots, the Xen ioreq range registration) are told
 * about every flat view after a rebuild.
 */
#ifndef HW_CORE_MEMORY_H
#define HW_CORE_MEMORY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct AddressSpace AddressSpace;
typedef struct MemoryRegion MemoryRegion;

/*
 * valid: the access sizes (bytes, powers of two) the device accepts; an
 * access outside them is a guest error: reads return all-ones, writes are
 * dropped.  valid.min == 0 means "1"; valid.max == 0 means "8".
 * impl: the sizes the callbacks handle; the core splits wider accesses into
 * impl.max pieces and widens narrower ones to impl.min (read, then mask and
 * shift; for writes read-modify-write).  0 means "same as valid".
 * unaligned: if false, an access not naturally aligned is split into bytes.
 */
typedef struct RegionOps {
    uint64_t (*read)(void *opaque, uint64_t offset, unsigned size);
    void (*write)(void *opaque, uint64_t offset, uint64_t value, unsigned size);
    struct {
        unsigned min, max;
        bool unaligned;
    } valid;
    struct {
        unsigned min, max;
    } impl;
    /*
     * Optional bulk paths for regions that stand for guest RAM reached
     * indirectly (the Xen map cache): as_read_buf/as_write_buf use them
     * instead of scalar accesses.  Return false on failure.
     */
    bool (*read_buf)(void *opaque, uint64_t offset, void *buf, size_t len);
    bool (*write_buf)(void *opaque, uint64_t offset, const void *buf, size_t len);
} RegionOps;

typedef enum {
    MR_RAM,
    MR_ROM,
    MR_IO,
    MR_ALIAS,
    MR_CONTAINER,
} MemoryRegionKind;

/* Creation.  Names appear in error messages and in `info mtree`. */
MemoryRegion *mr_new_ram(const char *name, uint64_t size, void *host);  /* host==NULL: allocate (zeroed, page aligned) */
MemoryRegion *mr_new_rom(const char *name, uint64_t size, void *host);  /* host==NULL: allocate */
MemoryRegion *mr_new_io(const char *name, uint64_t size, const RegionOps *ops, void *opaque);
MemoryRegion *mr_new_alias(const char *name, MemoryRegion *target, uint64_t offset, uint64_t size);
MemoryRegion *mr_new_container(const char *name, uint64_t size);
void mr_free(MemoryRegion *mr);   /* must be unmapped */

/* An alias marked read-only behaves as ROM: reads go to the target, writes are ignored. */
void mr_set_readonly(MemoryRegion *mr, bool readonly);
/* Disabled regions stay mapped but are skipped by the flat view (BARs with decode off, PAM windows). */
void mr_set_enabled(MemoryRegion *mr, bool enabled);
/* Move an alias's window inside its target (banked windows).  Parts outside the target are not mapped. */
void mr_set_alias_offset(MemoryRegion *mr, uint64_t offset);

const char *mr_name(const MemoryRegion *mr);
uint64_t mr_size(const MemoryRegion *mr);
MemoryRegionKind mr_kind(const MemoryRegion *mr);
void *mr_host_ptr(const MemoryRegion *mr);  /* RAM/ROM only, else NULL */

/* Map a region into a container (container->kind must be MR_CONTAINER). */
void mr_add_subregion(MemoryRegion *container, uint64_t addr, MemoryRegion *sub, int priority);
/* Move an already mapped region (BAR reprogramming). */
void mr_set_address(MemoryRegion *mr, uint64_t addr);
void mr_del_subregion(MemoryRegion *container, MemoryRegion *sub);
bool mr_is_mapped(const MemoryRegion *mr);
uint64_t mr_address(const MemoryRegion *mr);

/* The root of an address space is a container region covering `size` bytes. */
AddressSpace *as_new(const char *name, uint64_t size);
void as_free(AddressSpace *as);
MemoryRegion *as_root(AddressSpace *as);
const char *as_name(const AddressSpace *as);

/* One entry of a flattened view: [start, start+size) maps to `mr` at `offset`. */
typedef struct FlatRange {
    uint64_t start;
    uint64_t size;
    MemoryRegion *mr;      /* RAM, ROM or IO; never alias or container */
    uint64_t offset;       /* offset inside mr */
    bool readonly;         /* ROM, or reached through a read-only alias */
} FlatRange;

typedef struct MemoryListener {
    /* Called (with the device lock held) after every rebuild with the whole new view. */
    void (*commit)(struct MemoryListener *l, AddressSpace *as, const FlatRange *ranges, size_t n);
    struct MemoryListener *next;   /* owned by the core */
} MemoryListener;
void as_add_listener(AddressSpace *as, MemoryListener *l);   /* calls commit once at once */
void as_remove_listener(AddressSpace *as, MemoryListener *l);

/* Look up the flat range holding addr; NULL if none. Rebuilds if dirty. */
const FlatRange *as_lookup(AddressSpace *as, uint64_t addr);
/* Rebuild now (normally lazy) and notify listeners. */
void as_commit(AddressSpace *as);
/*
 * Spaces with listeners rebuild right after each change.  Between begin
 * and commit (nestable) they wait, so listeners see one view for a batch of
 * edits (PAM reprogramming, a BAR move).  Listeners are told only when
 * the view actually changed.
 */
void memory_transaction_begin(void);
void memory_transaction_commit(void);

/*
 * Scalar accesses, size 1, 2, 4 or 8, little endian.  Return false when
 * any part of the access hit no region or was refused by the region's
 * valid sizes (reads then return all-ones for that part).  An access that
 * spans ranges is split byte-wise.
 */
bool as_read(AddressSpace *as, uint64_t addr, unsigned size, uint64_t *value);
bool as_write(AddressSpace *as, uint64_t addr, unsigned size, uint64_t value);

/* Bulk copies (DMA, qtest memread/memwrite, firmware loading). RAM/ROM by memcpy, IO byte-wise or at impl.max. */
bool as_read_buf(AddressSpace *as, uint64_t addr, void *buf, size_t len);
bool as_write_buf(AddressSpace *as, uint64_t addr, const void *buf, size_t len);
/* Write even to ROM (loading firmware images). */
bool as_write_rom(AddressSpace *as, uint64_t addr, const void *buf, size_t len);

/*
 * Host pointer for [addr, addr+len) if it lies inside one RAM (or, when
 * !for_write, RAM/ROM) range; NULL otherwise.  Valid until the next
 * change of the space.
 */
void *as_host_ptr(AddressSpace *as, uint64_t addr, uint64_t len, bool for_write);

/*
 * Writes to RAM that do not come from a CPU's own stores (device DMA,
 * firmware loading, the test protocol) are reported to the space's
 * notifier, so a JIT can drop code translated from those bytes.  Called
 * with the device lock held; one notifier per space (NULL removes it).
 */
typedef void (*RamWriteNotifier)(void *opaque, uint64_t addr, uint64_t len);
void as_set_ram_write_notifier(AddressSpace *as, RamWriteNotifier fn, void *opaque);

/* Print the region tree and flat view (for `info mtree` and debugging). */
void as_dump(AddressSpace *as, void (*print)(void *opaque, const char *line), void *opaque);

#endif
