/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The softmmu TLB (layout in cpu.h): flushes, fills, and the slow paths
 * of guest loads and stores that the generated code calls on a miss.
 *
 * A miss asks the target to translate (tlb_fill: page-table walk, may
 * raise the guest fault), installs the entry and retries.  RAM and ROM
 * are accessed through host pointers; everything else goes to the
 * target's io hooks (the machine's address space, under the device lock).
 * A store to a page holding translated code first invalidates the blocks
 * it overlaps; if one of them is the block running now, the store is not
 * done: the instruction is restarted alone in a one-shot block so it sees
 * (and makes) the new code, as a real CPU would.
 * An access crossing a page boundary is split into bytes; a store checks
 * both pages before writing anything, so a fault leaves memory unchanged.
 */
#include <string.h>

#include "tcg/exec.h"

bool tcg_tb_invalidate_for_store(TCGCPU *cpu, uint64_t phys, uint64_t len, uintptr_t retaddr);

enum { ACCESS_READ = 0, ACCESS_WRITE = 1, ACCESS_CODE = 2 };
enum { PROT_R = 1, PROT_W = 2, PROT_X = 4 };

static inline unsigned tlb_index(uint64_t vaddr)
{
    return (unsigned)((vaddr >> TCG_PAGE_BITS) & (TCG_TLB_SIZE - 1));
}

void tlb_flush(TCGCPU *cpu)
{
    memset(cpu->tlb, 0xff, sizeof(cpu->tlb));
    memset(cpu->tb_jmp_cache, 0, sizeof(cpu->tb_jmp_cache));
}

static bool tag_matches(uint64_t tag, uint64_t page)
{
    return (tag & ~(TLB_MMIO | TLB_NOTDIRTY)) == page;
}

void tlb_flush_page(TCGCPU *cpu, uint64_t vaddr)
{
    uint64_t page = vaddr & TCG_PAGE_MASK;
    unsigned idx = tlb_index(vaddr);

    for (int m = 0; m < TCG_NB_MMU_MODES; m++) {
        TCGTLBEntry *e = &cpu->tlb[m][idx];
        if (tag_matches(e->addr_read, page) || tag_matches(e->addr_write, page) ||
            tag_matches(e->addr_code, page)) {
            memset(e, 0xff, sizeof(*e));
        }
    }
    /* Blocks starting in this page or the one before (which may run into it). */
    for (unsigned i = 0; i < TB_JMP_CACHE_SIZE; i++) {
        TranslationBlock *tb = cpu->tb_jmp_cache[i];
        if (tb && ((tb->pc & TCG_PAGE_MASK) == page || (tb->pc & TCG_PAGE_MASK) + TCG_PAGE_SIZE == page)) {
            cpu->tb_jmp_cache[i] = NULL;
        }
    }
}

void tlb_set_page(TCGCPU *cpu, uint64_t vaddr, uint64_t phys, int prot, int mmu_idx)
{
    uint64_t page = vaddr & TCG_PAGE_MASK;
    uint64_t phys_page = phys & TCG_PAGE_MASK;
    unsigned idx = tlb_index(vaddr);
    TCGTLBEntry *e = &cpu->tlb[mmu_idx][idx];
    bool writable = false;
    void *host = cpu->ops->phys_host_page(cpu, phys_page, &writable);

    /* An entry for another page in this slot is replaced; the same page keeps its other rights. */
    if (!(tag_matches(e->addr_read, page) || tag_matches(e->addr_write, page) || tag_matches(e->addr_code, page))) {
        memset(e, 0xff, sizeof(*e));
    } else if (host && (uintptr_t)host - page != e->addend) {
        memset(e, 0xff, sizeof(*e));
    }
    cpu->iotlb[mmu_idx][idx].phys_page = phys_page;
    cpu->iotlb[mmu_idx][idx].vaddr_page = page;
    uint64_t flags = host ? 0 : TLB_MMIO;
    e->addend = host ? (uintptr_t)host - page : 0;
    if (prot & PROT_R) {
        e->addr_read = page | flags;
    }
    if (prot & PROT_X) {
        e->addr_code = page | flags;
    }
    if (prot & PROT_W) {
        uint64_t wflags = flags;
        if (host && !writable) {
            wflags |= TLB_MMIO;     /* ROM: the address space drops the write */
        } else if (host && cpu->engine && tcg_engine_page_has_code(cpu->engine, phys_page)) {
            wflags |= TLB_NOTDIRTY;
        }
        e->addr_write = page | wflags;
    }
}

void tlb_protect_code_page(TCGCPU *cpu, uint64_t phys_page)
{
    for (int m = 0; m < TCG_NB_MMU_MODES; m++) {
        for (unsigned i = 0; i < TCG_TLB_SIZE; i++) {
            TCGTLBEntry *e = &cpu->tlb[m][i];
            if (cpu->iotlb[m][i].phys_page == phys_page && !(e->addr_write & (TLB_INVALID | TLB_MMIO))) {
                e->addr_write |= TLB_NOTDIRTY;
            }
        }
    }
}

/* No code left on the page: let writes take the fast path again. */
static void tlb_unprotect_code_page(TCGCPU *cpu, uint64_t phys_page)
{
    for (int m = 0; m < TCG_NB_MMU_MODES; m++) {
        for (unsigned i = 0; i < TCG_TLB_SIZE; i++) {
            TCGTLBEntry *e = &cpu->tlb[m][i];
            if (cpu->iotlb[m][i].phys_page == phys_page && (e->addr_write & TLB_NOTDIRTY)) {
                e->addr_write &= ~TLB_NOTDIRTY;
            }
        }
    }
}

static TCGTLBEntry *tlb_entry_for(TCGCPU *cpu, uint64_t addr, int access, int mmu_idx, uintptr_t retaddr,
                                  bool probe)
{
    uint64_t page = addr & TCG_PAGE_MASK;
    unsigned idx = tlb_index(addr);
    TCGTLBEntry *e = &cpu->tlb[mmu_idx][idx];
    uint64_t tag = access == ACCESS_READ ? e->addr_read : access == ACCESS_WRITE ? e->addr_write : e->addr_code;

    if (!tag_matches(tag, page)) {
        uint64_t phys;
        int prot;
        if (!cpu->ops->tlb_fill(cpu, addr, access, mmu_idx, probe, retaddr, &phys, &prot)) {
            return NULL;
        }
        tlb_set_page(cpu, addr, phys, prot, mmu_idx);
        tag = access == ACCESS_READ ? e->addr_read : access == ACCESS_WRITE ? e->addr_write : e->addr_code;
        if (!tag_matches(tag, page)) {
            /* The target granted less than asked: treat as unmapped (its own bug, but stay defined). */
            return NULL;
        }
    }
    return e;
}

static uint64_t entry_phys(TCGCPU *cpu, const TCGTLBEntry *e, int mmu_idx, uint64_t addr)
{
    unsigned idx = (unsigned)(e - cpu->tlb[mmu_idx]);
    return cpu->iotlb[mmu_idx][idx].phys_page | (addr & ~TCG_PAGE_MASK);
}

static uint64_t load_le(const uint8_t *p, unsigned size)
{
    switch (size) {
    case 1: return *p;
    case 2: { uint16_t v; memcpy(&v, p, 2); return v; }
    case 4: { uint32_t v; memcpy(&v, p, 4); return v; }
    default: { uint64_t v; memcpy(&v, p, 8); return v; }
    }
}

static void store_le(uint8_t *p, unsigned size, uint64_t v)
{
    switch (size) {
    case 1: *p = (uint8_t)v; break;
    case 2: { uint16_t w = (uint16_t)v; memcpy(p, &w, 2); break; }
    case 4: { uint32_t w = (uint32_t)v; memcpy(p, &w, 4); break; }
    default: memcpy(p, &v, 8); break;
    }
}

/* One access inside one page; write_intent checks (and faults) as a write. */
static uint64_t load_one(TCGCPU *cpu, uint64_t addr, unsigned size, int mmu_idx, uintptr_t ra, bool write_intent)
{
    TCGTLBEntry *e;
    if (write_intent) {
        e = tlb_entry_for(cpu, addr, ACCESS_WRITE, mmu_idx, ra, false);
        if (e && !tag_matches(e->addr_read, addr & TCG_PAGE_MASK)) {
            e = tlb_entry_for(cpu, addr, ACCESS_READ, mmu_idx, ra, false);
        }
    } else {
        e = tlb_entry_for(cpu, addr, ACCESS_READ, mmu_idx, ra, false);
    }
    if (!e) {
        return ~0ull;
    }
    if (e->addr_read & TLB_MMIO) {
        return cpu->ops->io_read(cpu, entry_phys(cpu, e, mmu_idx, addr), size);
    }
    return load_le((const uint8_t *)(e->addend + addr), size);
}

static void store_one(TCGCPU *cpu, uint64_t addr, unsigned size, uint64_t val, int mmu_idx, uintptr_t ra)
{
    TCGTLBEntry *e = tlb_entry_for(cpu, addr, ACCESS_WRITE, mmu_idx, ra, false);
    if (!e) {
        return;
    }
    if (e->addr_write & TLB_MMIO) {
        cpu->ops->io_write(cpu, entry_phys(cpu, e, mmu_idx, addr), size, val);
        return;
    }
    if (e->addr_write & TLB_NOTDIRTY) {
        uint64_t phys = entry_phys(cpu, e, mmu_idx, addr);
        if (tcg_tb_invalidate_for_store(cpu, phys, size, ra)) {
            /* The running block wrote its own code: redo this instruction alone. */
            cpu->cflags_next_tb = 1 | CF_NOCACHE;
            cpu->exception_index = EXCP_NONE;
            tcg_cpu_loop_exit_restore(cpu, ra);
        }
        if (!tcg_engine_page_has_code(cpu->engine, phys & TCG_PAGE_MASK)) {
            tlb_unprotect_code_page(cpu, phys & TCG_PAGE_MASK);
        }
        /* The entry may have been refreshed; the host address is the same. */
    }
    store_le((uint8_t *)(e->addend + addr), size, val);
}

static uint64_t sign_extend(uint64_t v, TCGMemOp mop)
{
    if (!(mop & MO_SIGN)) {
        return v;
    }
    switch (mop & MO_SIZE) {
    case MO_8: return (uint64_t)(int64_t)(int8_t)v;
    case MO_16: return (uint64_t)(int64_t)(int16_t)v;
    case MO_32: return (uint64_t)(int64_t)(int32_t)v;
    default: return v;
    }
}

uint64_t tcg_guest_ld(TCGCPU *cpu, uint64_t addr, TCGMemOp mop, int mmu_idx, uintptr_t ra)
{
    unsigned size = 1u << (mop & MO_SIZE);
    bool wi = (mop & MO_WRITE_INTENT) != 0;
    uint64_t v;

    if ((addr & ~TCG_PAGE_MASK) + size > TCG_PAGE_SIZE) {
        /* Crosses a page: both pages must be accessible; load byte by byte (little endian). */
        if (wi) {
            tlb_entry_for(cpu, addr, ACCESS_WRITE, mmu_idx, ra, false);
            tlb_entry_for(cpu, (addr & TCG_PAGE_MASK) + TCG_PAGE_SIZE, ACCESS_WRITE, mmu_idx, ra, false);
        }
        v = 0;
        for (unsigned i = 0; i < size; i++) {
            v |= load_one(cpu, addr + i, 1, mmu_idx, ra, false) << (8 * i);
        }
    } else {
        v = load_one(cpu, addr, size, mmu_idx, ra, wi);
    }
    return sign_extend(v, mop);
}

void tcg_guest_st(TCGCPU *cpu, uint64_t addr, uint64_t val, TCGMemOp mop, int mmu_idx, uintptr_t ra)
{
    unsigned size = 1u << (mop & MO_SIZE);

    if ((addr & ~TCG_PAGE_MASK) + size > TCG_PAGE_SIZE) {
        uint64_t second = (addr & TCG_PAGE_MASK) + TCG_PAGE_SIZE;
        /* Fault on either page before any byte is written. */
        tlb_entry_for(cpu, addr, ACCESS_WRITE, mmu_idx, ra, false);
        tlb_entry_for(cpu, second, ACCESS_WRITE, mmu_idx, ra, false);
        for (unsigned i = 0; i < size; i++) {
            store_one(cpu, addr + i, 1, (val >> (8 * i)) & 0xff, mmu_idx, ra);
        }
        return;
    }
    store_one(cpu, addr, size, val, mmu_idx, ra);
}

uint64_t tcg_helper_ld_mmu(TCGCPU *cpu, uint64_t addr, uint32_t oi, uintptr_t retaddr)
{
    cpu->access_attr = get_oi_attr(oi);
    uint64_t v = tcg_guest_ld(cpu, addr, get_memop(oi), (int)get_mmuidx(oi), retaddr);
    cpu->access_attr = 0;
    return v;
}

void tcg_helper_st_mmu(TCGCPU *cpu, uint64_t addr, uint64_t val, uint32_t oi, uintptr_t retaddr)
{
    cpu->access_attr = get_oi_attr(oi);
    tcg_guest_st(cpu, addr, val, get_memop(oi), (int)get_mmuidx(oi), retaddr);
    cpu->access_attr = 0;
}

void tcg_helper_trap(TCGCPU *cpu, uint64_t code, uintptr_t retaddr)
{
    cpu->ops->trap(cpu, code, retaddr);
    abort();
}

void *tcg_guest_host_ptr(TCGCPU *cpu, uint64_t addr, uint64_t len, bool write, int mmu_idx, uintptr_t ra)
{
    if (len == 0 || (addr & ~TCG_PAGE_MASK) + len > TCG_PAGE_SIZE) {
        return NULL;
    }
    TCGTLBEntry *e = tlb_entry_for(cpu, addr, write ? ACCESS_WRITE : ACCESS_READ, mmu_idx, ra, false);
    if (!e) {
        return NULL;
    }
    uint64_t tag = write ? e->addr_write : e->addr_read;
    if (tag & (TLB_MMIO | TLB_NOTDIRTY)) {
        return NULL;
    }
    return (void *)(e->addend + addr);
}

void *tcg_get_code_page(TCGCPU *cpu, uint64_t vaddr, int mmu_idx, uint64_t *phys)
{
    if (mmu_idx < 0) {
        mmu_idx = cpu->ops->mmu_index(cpu, true);
    }
    TCGTLBEntry *e = tlb_entry_for(cpu, vaddr, ACCESS_CODE, mmu_idx, 0, false);
    if (!e) {
        *phys = UINT64_MAX;
        return NULL;
    }
    *phys = entry_phys(cpu, e, mmu_idx, vaddr);
    if (e->addr_code & TLB_MMIO) {
        return NULL;
    }
    return (void *)(e->addend + (vaddr & TCG_PAGE_MASK));
}

bool tcg_probe_code_page(TCGCPU *cpu, uint64_t vaddr, int mmu_idx, uint64_t *phys, void **host)
{
    if (mmu_idx < 0) {
        mmu_idx = cpu->ops->mmu_index(cpu, true);
    }
    TCGTLBEntry *e = tlb_entry_for(cpu, vaddr, ACCESS_CODE, mmu_idx, 0, true);
    if (!e) {
        return false;
    }
    *phys = entry_phys(cpu, e, mmu_idx, vaddr);
    *host = (e->addr_code & TLB_MMIO) ? NULL : (void *)(e->addend + (vaddr & TCG_PAGE_MASK));
    return true;
}
