/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * KVM memory slots that follow the flat view of the guest-physical address
 * space.  RAM ranges become read/write slots; ROM ranges and RAM reached
 * through a read-only alias (PAM "read-only" settings) become
 * KVM_MEM_READONLY slots, so a guest write to them exits as MMIO and the
 * address space drops it.  IO ranges get no slot: every access exits.
 *
 * On each commit the wanted slot list is computed from the new view and
 * diffed against the installed one: slots that no longer match exactly
 * are deleted first (slots may not overlap), then the new ones are added.
 * Facts from api.rst, KVM_SET_USER_MEMORY_REGION.
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "hw/core/log.h"
#include "standalone/kvm/kvm-internal.h"

#define KVM_PAGE_SIZE 4096ull

static uint64_t page_align_up(uint64_t v)
{
    return (v + KVM_PAGE_SIZE - 1) & ~(KVM_PAGE_SIZE - 1);
}

static uint64_t page_align_down(uint64_t v)
{
    return v & ~(KVM_PAGE_SIZE - 1);
}

static bool slot_equal(const KvmSlot *a, const KvmSlot *b)
{
    return a->gpa == b->gpa && a->size == b->size && a->hva == b->hva && a->flags == b->flags;
}

/*
 * The slots a flat view asks for, one per RAM/ROM range (the flat view
 * already joins adjacent pieces of one region).
 */
static GArray *wanted_slots(KvmAccel *k, const FlatRange *ranges, size_t n)
{
    GArray *want = g_array_new(false, true, sizeof(KvmSlot));

    for (size_t i = 0; i < n; i++) {
        const FlatRange *r = &ranges[i];
        MemoryRegionKind kind = mr_kind(r->mr);
        if (kind != MR_RAM && kind != MR_ROM) {
            continue;
        }
        uint8_t *host = mr_host_ptr(r->mr);
        if (!host) {
            continue;
        }
        bool readonly = r->readonly || kind == MR_ROM;
        uint32_t flags = 0;
        if (readonly) {
            if (k->readonly_mem) {
                flags = KVM_MEM_READONLY;
            } else if (!k->warned_readonly) {
                /* Without read-only slots ROM must still be executable: map it writable. */
                k->warned_readonly = true;
                log_cat(LOG_KVM, "kvm: no KVM_CAP_READONLY_MEM: ROM is guest-writable\n");
            }
        }
        /* Slots are whole pages; the ragged edges of a range stay MMIO (the address space handles them). */
        uint64_t start = page_align_up(r->start);
        uint64_t end = page_align_down(r->start + r->size);
        if (end <= start) {
            continue;
        }
        uint64_t hva = (uint64_t)(uintptr_t)(host + r->offset + (start - r->start));
        if (hva % KVM_PAGE_SIZE) {
            continue;   /* host and guest pages do not line up: leave it to MMIO exits */
        }
        KvmSlot s = { .gpa = start, .size = end - start, .hva = hva, .flags = flags };
        g_array_append_val(want, s);
    }
    return want;
}

static bool slot_set(KvmAccel *k, const KvmSlot *s, bool remove)
{
    struct kvm_userspace_memory_region region = {
        .slot = s->id,
        .flags = s->flags,
        .guest_phys_addr = s->gpa,
        .memory_size = remove ? 0 : s->size,
        .userspace_addr = s->hva,
    };
    if (ioctl(k->vm_fd, KVM_SET_USER_MEMORY_REGION, &region) < 0) {
        /* Not fatal to the process: the range simply keeps exiting as MMIO. */
        fprintf(stderr, "ioemu: kvm: %s memslot %u [0x%llx, +0x%llx): %s\n",
                remove ? "deleting" : "adding", s->id, (unsigned long long)s->gpa,
                (unsigned long long)s->size, g_strerror(errno));
        return false;
    }
    log_cat(LOG_KVM, "kvm: memslot %u %s gpa 0x%llx size 0x%llx%s\n", s->id,
            remove ? "removed" : "added", (unsigned long long)s->gpa,
            (unsigned long long)s->size, s->flags & KVM_MEM_READONLY ? " readonly" : "");
    return true;
}

static bool slot_id_alloc(KvmAccel *k, uint32_t *id)
{
    if (k->free_slot_ids->len) {
        *id = g_array_index(k->free_slot_ids, uint32_t, k->free_slot_ids->len - 1);
        g_array_set_size(k->free_slot_ids, k->free_slot_ids->len - 1);
        return true;
    }
    if (k->next_slot_id >= k->nr_memslots) {
        return false;
    }
    *id = k->next_slot_id++;
    return true;
}

static void memslots_commit(MemoryListener *l, AddressSpace *as, const FlatRange *ranges, size_t n)
{
    KvmAccel *k = (KvmAccel *)((char *)l - offsetof(KvmAccel, listener));
    GArray *want = wanted_slots(k, ranges, n);
    GArray *next = g_array_new(false, true, sizeof(KvmSlot));
    bool *kept = g_new0(bool, want->len);

    /* Delete every installed slot that the new view does not hold unchanged. */
    for (guint i = 0; i < k->slots->len; i++) {
        KvmSlot *old = &g_array_index(k->slots, KvmSlot, i);
        bool found = false;
        for (guint j = 0; j < want->len; j++) {
            if (!kept[j] && slot_equal(old, &g_array_index(want, KvmSlot, j))) {
                kept[j] = true;
                found = true;
                break;
            }
        }
        if (found) {
            g_array_append_val(next, *old);
        } else {
            slot_set(k, old, true);
            g_array_append_val(k->free_slot_ids, old->id);
        }
    }
    for (guint j = 0; j < want->len; j++) {
        if (kept[j]) {
            continue;
        }
        KvmSlot *s = &g_array_index(want, KvmSlot, j);
        if (!slot_id_alloc(k, &s->id)) {
            fprintf(stderr, "ioemu: kvm: out of memslots (%u): [0x%llx, +0x%llx) stays MMIO\n",
                    k->nr_memslots, (unsigned long long)s->gpa, (unsigned long long)s->size);
            continue;
        }
        if (slot_set(k, s, false)) {
            g_array_append_val(next, *s);
        } else {
            g_array_append_val(k->free_slot_ids, s->id);
        }
    }
    g_free(kept);
    g_array_free(want, true);
    g_array_free(k->slots, true);
    k->slots = next;
}

void kvm_memslots_init(KvmAccel *k)
{
    k->slots = g_array_new(false, true, sizeof(KvmSlot));
    k->free_slot_ids = g_array_new(false, false, sizeof(uint32_t));
    k->listener.commit = memslots_commit;
}

void kvm_memslots_attach(KvmAccel *k, AddressSpace *mem)
{
    as_add_listener(mem, &k->listener);
    k->listener_added = true;
}

void kvm_memslots_detach(KvmAccel *k)
{
    if (k->listener_added) {
        as_remove_listener(k->m->mem, &k->listener);
        k->listener_added = false;
    }
}
