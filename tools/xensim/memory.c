/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Guest memory: the page pool (one sparse memfd holding every frame the
 * domain will ever own, shared with the device model by SCM_RIGHTS) and the
 * p2m (guest frame -> pool page + type).
 *
 * Layout as libxc builds an HVM guest (xen:tools/libs/guest/xg_dom_x86.c):
 * RAM from gfn 0 up to the 4 GiB hole (HVM_BELOW_4G_RAM_END, 0xf0000000),
 * skipping the legacy VGA hole 0xa0000-0xbffff, the rest above 4 GiB.  Pool
 * page = gfn for low RAM, so "page frame numbers are offsets" there.
 * Frames freed from the p2m are never reused for another gfn: a device model
 * may still have them mapped (Xen keeps such pages alive until unmapped).
 */
#include "tools/xensim/xensim.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <xen/hvm/hvm_op.h>
#include <xen/memory.h>

#define VGA_HOLE_FIRST  0xa0
#define VGA_HOLE_END    0xc0

static P2mExtent *ext(guint i)
{
    return &g_array_index(sim->p2m, P2mExtent, i);
}

bool mem_init(GError **errp)
{
    uint64_t low_pages, high_pages;

    sim->ram_pages = sim->memory_mib << (20 - XSIM_PAGE_SHIFT);
    sim->max_pages = sim->maxmem_mib << (20 - XSIM_PAGE_SHIFT);
    low_pages = MIN(sim->ram_pages, XSIM_LOWMEM_END >> XSIM_PAGE_SHIFT);
    high_pages = sim->ram_pages - low_pages;
    /* Sparse: only touched pages cost memory.  Room for everything maxmem allows. */
    sim->pool_pages = sim->ram_pages + 2 * sim->max_pages + 4096;
    sim->pool_fd = memfd_create("xensim-guest-memory", MFD_CLOEXEC);
    if (sim->pool_fd < 0) {
        g_set_error(errp, XSIM_ERROR, errno,
                    "cannot create the guest memory memfd: %s", g_strerror(errno));
        return false;
    }
    if (ftruncate(sim->pool_fd, (off_t)(sim->pool_pages << XSIM_PAGE_SHIFT)) < 0) {
        g_set_error(errp, XSIM_ERROR, errno,
                    "cannot size the guest memory memfd to %" PRIu64 " pages: %s",
                    sim->pool_pages, g_strerror(errno));
        return false;
    }
    sim->pool = mmap(NULL, sim->pool_pages << XSIM_PAGE_SHIFT, PROT_READ | PROT_WRITE,
                     MAP_SHARED | MAP_NORESERVE, sim->pool_fd, 0);
    if (sim->pool == MAP_FAILED) {
        g_set_error(errp, XSIM_ERROR, errno,
                    "cannot map the guest memory: %s", g_strerror(errno));
        sim->pool = NULL;
        return false;
    }
    sim->pool_next = sim->ram_pages;
    sim->p2m = g_array_new(FALSE, FALSE, sizeof(P2mExtent));
    p2m_set(0, MIN(low_pages, VGA_HOLE_FIRST), 0, P2M_RAM_RW);
    if (low_pages > VGA_HOLE_END) {
        p2m_set(VGA_HOLE_END, low_pages - VGA_HOLE_END, VGA_HOLE_END, P2M_RAM_RW);
    }
    if (high_pages) {
        p2m_set(XSIM_HIGHMEM_START >> XSIM_PAGE_SHIFT, high_pages, low_pages, P2M_RAM_RW);
    }
    sim->dirty_pfns = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free, NULL);
    sim->vram_dirty = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free, NULL);
    return true;
}

int64_t pool_alloc_page(void)
{
    if (sim->pool_next >= sim->pool_pages) {
        return -1;
    }
    return (int64_t)sim->pool_next++;
}

void pool_free_page(uint64_t page)
{
    /* Give the memory back and zero it; the index is never handed out again. */
    fallocate(sim->pool_fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
              (off_t)(page << XSIM_PAGE_SHIFT), XSIM_PAGE_SIZE);
}

void *pool_page_ptr(uint64_t page)
{
    g_assert(page < sim->pool_pages);
    return sim->pool + (page << XSIM_PAGE_SHIFT);
}

/* Index of the extent containing gfn, or -1. */
static int find_extent(uint64_t gfn)
{
    int lo = 0, hi = (int)sim->p2m->len - 1;

    while (lo <= hi) {
        int mid = (lo + hi) / 2;
        P2mExtent *e = ext(mid);

        if (gfn < e->gfn) {
            hi = mid - 1;
        } else if (gfn >= e->gfn + e->nr) {
            lo = mid + 1;
        } else {
            return mid;
        }
    }
    return -1;
}

int64_t p2m_lookup(uint64_t gfn, uint8_t *type)
{
    int i = find_extent(gfn);

    if (i < 0) {
        return -1;
    }
    if (type) {
        *type = ext(i)->type;
    }
    return (int64_t)(ext(i)->page + (gfn - ext(i)->gfn));
}

static void p2m_remove_range(uint64_t gfn, uint64_t nr)
{
    uint64_t end = gfn + nr;
    guint i = 0;

    while (i < sim->p2m->len) {
        P2mExtent e = *ext(i);
        uint64_t e_end = e.gfn + e.nr;

        if (e_end <= gfn || end <= e.gfn) {
            i++;
            continue;
        }
        g_array_remove_index(sim->p2m, i);
        if (e.gfn < gfn) {
            P2mExtent left = { e.gfn, gfn - e.gfn, e.page, e.type };

            g_array_insert_val(sim->p2m, i, left);
            i++;
        }
        if (end < e_end) {
            P2mExtent right = { end, e_end - end, e.page + (end - e.gfn), e.type };

            g_array_insert_val(sim->p2m, i, right);
            i++;
        }
    }
}

static void p2m_merge_around(guint i)
{
    guint start = i > 0 ? i - 1 : 0;
    guint j;

    for (j = start; j + 1 < sim->p2m->len && j <= i + 1;) {
        P2mExtent *a = ext(j), *b = ext(j + 1);

        if (a->gfn + a->nr == b->gfn && a->page + a->nr == b->page && a->type == b->type) {
            a->nr += b->nr;
            g_array_remove_index(sim->p2m, j + 1);
        } else {
            j++;
        }
    }
}

void p2m_set(uint64_t gfn, uint64_t nr, int64_t page, uint8_t type)
{
    P2mExtent n = { gfn, nr, (uint64_t)page, type };
    guint i;

    if (nr == 0) {
        return;
    }
    p2m_remove_range(gfn, nr);
    if (page < 0) {
        return;
    }
    for (i = 0; i < sim->p2m->len && ext(i)->gfn < gfn; i++) {
    }
    g_array_insert_val(sim->p2m, i, n);
    p2m_merge_around(i);
}

uint64_t p2m_max_gfn(void)
{
    P2mExtent *last;

    if (!sim->p2m->len) {
        return 0;
    }
    last = ext(sim->p2m->len - 1);
    return last->gfn + last->nr - 1;
}

static uint64_t count_pages(void)
{
    uint64_t n = 0;
    guint i;

    for (i = 0; i < sim->p2m->len; i++) {
        n += ext(i)->nr;
    }
    return n;
}

bool guest_ram_read(uint64_t gpa, void *buf, size_t len)
{
    uint8_t *out = buf;

    while (len) {
        uint64_t off = gpa & (XSIM_PAGE_SIZE - 1);
        size_t chunk = MIN(len, XSIM_PAGE_SIZE - off);
        int64_t page = p2m_lookup(gpa >> XSIM_PAGE_SHIFT, NULL);

        if (page < 0) {
            return false;
        }
        memcpy(out, (uint8_t *)pool_page_ptr(page) + off, chunk);
        out += chunk;
        gpa += chunk;
        len -= chunk;
    }
    return true;
}

bool guest_ram_write(uint64_t gpa, const void *buf, size_t len)
{
    const uint8_t *in = buf;

    while (len) {
        uint64_t off = gpa & (XSIM_PAGE_SIZE - 1);
        size_t chunk = MIN(len, XSIM_PAGE_SIZE - off);
        uint8_t type;
        int64_t page = p2m_lookup(gpa >> XSIM_PAGE_SHIFT, &type);

        if (page < 0) {
            return false;
        }
        /* Writes to read-only RAM are discarded (HVMMEM_ram_ro). */
        if (type != P2M_RAM_RO) {
            memcpy((uint8_t *)pool_page_ptr(page) + off, in, chunk);
            mem_mark_guest_write(gpa, chunk);
        }
        in += chunk;
        gpa += chunk;
        len -= chunk;
    }
    return true;
}

void mem_mark_guest_write(uint64_t gpa, size_t len)
{
    uint64_t first = gpa >> XSIM_PAGE_SHIFT;
    uint64_t last = (gpa + (len ? len - 1 : 0)) >> XSIM_PAGE_SHIFT;
    uint64_t pfn;

    for (pfn = first; pfn <= last; pfn++) {
        if (sim->log_dirty) {
            g_hash_table_add(sim->dirty_pfns, g_memdup2(&pfn, sizeof(pfn)));
        }
        if (sim->vram_nr && pfn >= sim->vram_first && pfn < sim->vram_first + sim->vram_nr) {
            g_hash_table_add(sim->vram_dirty, g_memdup2(&pfn, sizeof(pfn)));
        }
    }
}

/* A RAM frame left the p2m: Xen asks ioreq servers to flush their map caches. */
static void removed_ram(void)
{
    sim->invalidate_pending = true;
}

int mem_populate(uint64_t gfn, unsigned order)
{
    uint64_t n = 1ULL << order, i;

    if (order > 18 || (gfn & (n - 1))) {
        return EINVAL;
    }
    if (count_pages() + n > sim->max_pages) {
        return ENOMEM;
    }
    for (i = 0; i < n; i++) {
        int64_t old = p2m_lookup(gfn + i, NULL);
        int64_t page = pool_alloc_page();

        if (page < 0) {
            return ENOMEM;
        }
        if (old >= 0) {
            pool_free_page(old);
            removed_ram();
        }
        p2m_set(gfn + i, 1, page, P2M_RAM_RW);
    }
    sim->tot_pages = count_pages();
    return 0;
}

int mem_decrease(uint64_t gfn, unsigned order)
{
    uint64_t n = 1ULL << order, i;

    if (order > 18) {
        return EINVAL;
    }
    for (i = 0; i < n; i++) {
        if (p2m_lookup(gfn + i, NULL) < 0) {
            return EINVAL;
        }
    }
    for (i = 0; i < n; i++) {
        pool_free_page(p2m_lookup(gfn + i, NULL));
        p2m_set(gfn + i, 1, -1, 0);
    }
    removed_ram();
    sim->tot_pages = count_pages();
    return 0;
}

int mem_relocate(uint64_t src, uint64_t dst, uint64_t nr)
{
    uint64_t i;

    /* As XENMAPSPACE_gmfn_range: frame by frame, in order. */
    for (i = 0; i < nr; i++) {
        uint8_t type;
        int64_t page = p2m_lookup(src + i, &type);
        int64_t old;

        if (page < 0) {
            return EINVAL;
        }
        if (src + i == dst + i) {
            continue;
        }
        old = p2m_lookup(dst + i, NULL);
        if (old >= 0) {
            pool_free_page(old);
        }
        p2m_set(src + i, 1, -1, 0);
        p2m_set(dst + i, 1, page, type);
        removed_ram();
    }
    sim->tot_pages = count_pages();
    return 0;
}

static bool p2m_type_change_allowed(uint8_t old, uint8_t new)
{
    /* xen:xen/arch/x86/hvm/dm.c allow_p2m_type_change() */
    if (new == P2M_IOREQ_SERVER) {
        return old == P2M_RAM_RW;
    }
    if (old == P2M_IOREQ_SERVER) {
        return new == P2M_RAM_RW;
    }
    return true;
}

int mem_set_type(uint64_t first, uint64_t nr, unsigned hvmmem_type)
{
    static const int8_t to_p2m[] = {
        [HVMMEM_ram_rw] = P2M_RAM_RW,
        [HVMMEM_ram_ro] = P2M_RAM_RO,
        [HVMMEM_mmio_dm] = P2M_MMIO_DM,
        [HVMMEM_unused] = -1,
        [HVMMEM_ioreq_server] = P2M_IOREQ_SERVER,
    };
    uint64_t last = first + nr - 1, i;
    int8_t type;

    if (nr == 0 || last < first || last > p2m_max_gfn()) {
        return EINVAL;
    }
    if (hvmmem_type >= G_N_ELEMENTS(to_p2m) || (type = to_p2m[hvmmem_type]) < 0) {
        return EINVAL;
    }
    if (type == P2M_IOREQ_SERVER && sim->mem_type_server < 0) {
        return EINVAL;  /* no server claimed the type */
    }
    for (i = 0; i < nr; i++) {
        uint8_t old;
        int64_t page = p2m_lookup(first + i, &old);

        if (page < 0) {
            /* A hole may only become mmio_dm, which needs no backing here. */
            if (type != P2M_MMIO_DM) {
                return EINVAL;
            }
            continue;
        }
        if (!p2m_type_change_allowed(old, type)) {
            return EINVAL;
        }
        p2m_set(first + i, 1, page, type);
    }
    return 0;
}
