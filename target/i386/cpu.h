/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The x86 guest CPU for the TCG front end: architectural state, the mode
 * bits that key translation blocks (hflags), lazy condition codes, and
 * the entry points of the helpers the translator calls.
 *
 * Facts: Intel SDM vol. 1 (EFLAGS, ch. 3.4), vol. 3A (system state, ch. 2;
 * segmentation, ch. 3; paging, ch. 4; interrupts, ch. 6; tasks, ch. 7).
 */
#ifndef TARGET_I386_CPU_H
#define TARGET_I386_CPU_H

#include <stdbool.h>
#include <stdint.h>

#include "tcg/cpu.h"

/* General registers (ModRM numbering). */
enum { R_EAX, R_ECX, R_EDX, R_EBX, R_ESP, R_EBP, R_ESI, R_EDI };
/* Segment registers (ModRM sreg numbering). */
enum { R_ES, R_CS, R_SS, R_DS, R_FS, R_GS, R_NONE_SEG = -1 };

/* EFLAGS (SDM vol. 1, figure 3-8). */
#define CC_C    0x0001u
#define CC_P    0x0004u
#define CC_A    0x0010u
#define CC_Z    0x0040u
#define CC_S    0x0080u
#define CC_O    0x0800u
#define CC_ALL  (CC_C | CC_P | CC_A | CC_Z | CC_S | CC_O)
#define TF_MASK   0x00000100u
#define IF_MASK   0x00000200u
#define DF_MASK   0x00000400u
#define IOPL_MASK 0x00003000u
#define IOPL_SHIFT 12
#define NT_MASK   0x00004000u
#define RF_MASK   0x00010000u
#define VM_MASK   0x00020000u
#define AC_MASK   0x00040000u
#define VIF_MASK  0x00080000u
#define VIP_MASK  0x00100000u
#define ID_MASK   0x00200000u
#define EFLAGS_FIXED 0x00000002u   /* bit 1 reads as 1 */

/* CR0 / CR4 / EFER bits (SDM vol. 3A, 2.5 and 2.2.1). */
#define CR0_PE (1u << 0)
#define CR0_MP (1u << 1)
#define CR0_EM (1u << 2)
#define CR0_TS (1u << 3)
#define CR0_ET (1u << 4)
#define CR0_NE (1u << 5)
#define CR0_WP (1u << 16)
#define CR0_AM (1u << 18)
#define CR0_NW (1u << 29)
#define CR0_CD (1u << 30)
#define CR0_PG (1u << 31)
#define CR4_VME (1u << 0)
#define CR4_PVI (1u << 1)
#define CR4_TSD (1u << 2)
#define CR4_DE  (1u << 3)
#define CR4_PSE (1u << 4)
#define CR4_PAE (1u << 5)
#define CR4_MCE (1u << 6)
#define CR4_PGE (1u << 7)
#define CR4_PCE (1u << 8)
#define CR4_OSFXSR (1u << 9)
#define CR4_OSXMMEXCPT (1u << 10)
#define CR4_UMIP (1u << 11)
#define CR4_FSGSBASE (1u << 16)
#define CR4_PCIDE (1u << 17)
#define CR4_OSXSAVE (1u << 18)
#define CR4_SMEP (1u << 20)
#define CR4_SMAP (1u << 21)
#define EFER_SCE (1u << 0)
#define EFER_LME (1u << 8)
#define EFER_LMA (1u << 10)
#define EFER_NXE (1u << 11)

/* Exceptions (SDM vol. 3A, table 6-1). */
enum {
    EXCP00_DIVZ = 0, EXCP01_DB = 1, EXCP02_NMI = 2, EXCP03_INT3 = 3, EXCP04_INTO = 4, EXCP05_BOUND = 5,
    EXCP06_ILLOP = 6, EXCP07_PREX = 7, EXCP08_DBLE = 8, EXCP09_XERR = 9, EXCP0A_TSS = 10,
    EXCP0B_NOSEG = 11, EXCP0C_STACK = 12, EXCP0D_GPF = 13, EXCP0E_PAGE = 14, EXCP10_COPR = 16,
    EXCP11_ALGN = 17, EXCP12_MCHK = 18, EXCP13_XMM = 19,
};

/* Segment descriptor attribute bits as kept in SegmentCache.flags (descriptor dword 2, SDM 3.4.5). */
#define DESC_TYPE_SHIFT 8
#define DESC_A_MASK   (1u << 8)
#define DESC_TYPE_MASK (15u << 8)
#define DESC_CS_MASK  (1u << 11)    /* code (in S=1 descriptors) */
#define DESC_C_MASK   (1u << 10)    /* conforming code */
#define DESC_E_MASK   (1u << 10)    /* expand-down data */
#define DESC_R_MASK   (1u << 9)     /* readable code */
#define DESC_W_MASK   (1u << 9)     /* writable data */
#define DESC_S_MASK   (1u << 12)
#define DESC_DPL_SHIFT 13
#define DESC_DPL_MASK (3u << 13)
#define DESC_P_MASK   (1u << 15)
#define DESC_AVL_MASK (1u << 20)
#define DESC_L_MASK   (1u << 21)
#define DESC_B_MASK   (1u << 22)
#define DESC_G_MASK   (1u << 23)

typedef struct SegmentCache {
    uint32_t selector;
    uint32_t limit;       /* in bytes, granularity applied */
    uint64_t base;
    uint32_t flags;
} SegmentCache;

/*
 * hflags: the mode bits a translated block depends on (and a few the
 * exec loop needs).  They are recomputed from the architectural state
 * whenever it changes (x86_update_hflags).
 */
#define HF_CPL_MASK      0x0003u
#define HF_INHIBIT_IRQ   (1u << 3)    /* interrupt shadow after STI / MOV SS */
#define HF_CS32          (1u << 4)
#define HF_SS32          (1u << 5)
#define HF_ADDSEG        (1u << 6)    /* DS/ES/SS base not all zero: add them */
#define HF_PE            (1u << 7)
#define HF_TF            (1u << 8)
#define HF_MP            (1u << 9)
#define HF_EM            (1u << 10)
#define HF_TS            (1u << 11)
#define HF_IOPL_SHIFT    12           /* 2 bits */
#define HF_LMA           (1u << 14)
#define HF_CS64          (1u << 15)
#define HF_VM            (1u << 16)
#define HF_OSFXSR        (1u << 17)
#define HF_PG            (1u << 18)
#define HF_AC            (1u << 19)   /* alignment checks armed (EFLAGS.AC and CR0.AM) */
/* A data segment register that cannot be used (null in protected mode): bits 20-25 by register. */
#define HF_SEG_UNUSABLE(seg) (1u << (20 + (seg)))
/*
 * A segment register whose accesses are checked against its limit (bits
 * 26-31 by register): not in 64-bit mode, and not an expand-up segment
 * with a 4 GiB limit.  The checks use seg_lim_lo/seg_lim_span; a checked
 * CS also puts its limit in the block key (see x86_get_tb_key).
 */
#define HF_SEG_LIMCHK(seg)   (1u << (26 + (seg)))

/* Lazy condition codes: what cc_dst/cc_src/cc_src2 hold (see cc_helper.c). */
typedef enum {
    CC_OP_DYNAMIC,      /* only in the translator: env->cc_op says */
    CC_OP_EFLAGS,       /* cc_src = the six arithmetic flags */
    CC_OP_CLR,          /* result zero: Z and P set, others clear */
    CC_OP_MULB, CC_OP_MULW, CC_OP_MULL, CC_OP_MULQ,     /* dst = low, src = nonzero if high significant */
    CC_OP_ADDB, CC_OP_ADDW, CC_OP_ADDL, CC_OP_ADDQ,     /* dst = result, src = second operand */
    CC_OP_ADCB, CC_OP_ADCW, CC_OP_ADCL, CC_OP_ADCQ,     /* ... src2 = carry in */
    CC_OP_SUBB, CC_OP_SUBW, CC_OP_SUBL, CC_OP_SUBQ,     /* dst = result, src = second operand */
    CC_OP_SBBB, CC_OP_SBBW, CC_OP_SBBL, CC_OP_SBBQ,     /* ... src2 = borrow in */
    CC_OP_LOGICB, CC_OP_LOGICW, CC_OP_LOGICL, CC_OP_LOGICQ,   /* dst = result */
    CC_OP_INCB, CC_OP_INCW, CC_OP_INCL, CC_OP_INCQ,     /* dst = result, src = CF before */
    CC_OP_DECB, CC_OP_DECW, CC_OP_DECL, CC_OP_DECQ,
    CC_OP_SHLB, CC_OP_SHLW, CC_OP_SHLL, CC_OP_SHLQ,     /* dst = result, src = value << (count - 1) */
    CC_OP_SARB, CC_OP_SARW, CC_OP_SARL, CC_OP_SARQ,     /* dst = result, src = value >> (count - 1) */
    CC_OP_BMILGB, CC_OP_BMILGW, CC_OP_BMILGL, CC_OP_BMILGQ, /* dst = result, CF = (src == 0) */
    CC_OP_POPCNT,       /* dst = source: Z if zero, others clear */
    CC_OP_NB,
} CCOp;

/* Bookkeeping kept for exceptions raised while delivering another (SDM 6.15, table 6-5). */
typedef struct X86ExceptionState {
    int pending_vector;
    bool delivering;
} X86ExceptionState;

typedef union X86XMMReg {
    uint8_t b[16];
    uint32_t l[4];
    uint64_t q[2];
} X86XMMReg;

typedef struct X86Accel X86Accel;

typedef struct CPUX86State {
    TCGCPU tcg;                 /* first: env == &tcg for the generated code */

    uint64_t regs[16];
    uint64_t eip;
    uint64_t eflags;            /* everything but the six arithmetic flags (held lazily) */
    uint64_t cc_dst, cc_src, cc_src2;
    uint32_t cc_op;
    int32_t df;                 /* +1 or -1, mirrors EFLAGS.DF */
    uint32_t hflags;
    uint32_t a20_mask_hi;       /* 0 or 1<<20: bit 20 of physical addresses forced off when A20 is off */

    SegmentCache segs[6];
    /*
     * Valid offsets of each segment as [lo, lo + span] (derived from segs
     * by x86_update_hflags): an access of n bytes at offset off is inside
     * when u = off - lo <= span and u + n - 1 <= span, in 64 bits (off
     * below lo makes u huge; lo is at most 2^33).
     */
    uint64_t seg_lim_lo[6], seg_lim_span[6];
    SegmentCache ldt, tr, gdt, idt;
    uint64_t cr[5];             /* cr0, -, cr2, cr3, cr4 */
    uint64_t cr8;
    uint64_t dr[8];
    uint64_t efer;
    uint64_t star, lstar, cstar, fmask, kernel_gs_base, tsc_aux;
    uint64_t sysenter_cs, sysenter_esp, sysenter_eip;
    uint64_t pat, apic_base, misc_enable;
    uint64_t mtrr_deftype, mtrr_fixed[11], mtrr_var[16];
    uint64_t tsc_offset;        /* TSC = host ns based counter + offset */
    uint64_t spec_ctrl;

    /* x87 and SSE (state only; arithmetic comes with stage 2). */
    uint16_t fpuc, fpus, fptag;
    uint8_t fpregs[8][10];
    uint32_t mxcsr;
    X86XMMReg xmm[16];

    /* Exception being raised (see excp_helper.c). */
    int error_code;
    bool exception_is_int;      /* INT n / INT3 / INTO: software, uses next_eip and DPL check */
    uint64_t exception_next_eip;
    int old_exception;          /* for double/triple fault detection, -1 when none */
    bool triple_fault;

    X86Accel *accel;            /* the glue to the machine (io, interrupts), NULL in unit tests */
} CPUX86State;

static inline CPUX86State *x86_env(TCGCPU *cpu) { return (CPUX86State *)cpu; }

/* Interrupt request bits (TCGCPU.interrupt_request). */
#define X86_INT_HARD   (1 << 0)   /* INTR pin high */
#define X86_INT_NMI    (1 << 1)
#define X86_INT_INIT   (1 << 2)
#define X86_INT_SMI    (1 << 3)

/* trapcond codes of the translator: vector | error code << 32. */
#define X86_TRAP_GP0 13u
#define X86_TRAP_SS0 12u

/* Access attribute (TCGCPU.access_attr): a stack-segment reference (non-canonical: #SS, not #GP). */
#define X86_ACCESS_SS 1

/* MMU indexes. */
enum { MMU_KSMAP_IDX = 0, MMU_USER_IDX = 1, MMU_KNOSMAP_IDX = 2, MMU_PHYS_IDX = 3 };

/* ---- cpu.c ---- */
extern const TCGTargetOps x86_tcg_ops;
void x86_cpu_init(CPUX86State *env);           /* once: TCG globals etc. are per engine */
void x86_cpu_reset(CPUX86State *env);          /* power-on/RESET state (SDM 9.1.1) */
uint32_t x86_compute_eflags(CPUX86State *env);
void x86_load_eflags(CPUX86State *env, uint32_t eflags, uint32_t update_mask);
void x86_update_hflags(CPUX86State *env);
void x86_load_seg_cache(CPUX86State *env, int seg, uint32_t selector, uint64_t base, uint32_t limit,
                        uint32_t flags);
void x86_set_cr0(CPUX86State *env, uint64_t val);
void x86_set_cr3(CPUX86State *env, uint64_t val);
void x86_set_cr4(CPUX86State *env, uint64_t val);
void x86_set_efer(CPUX86State *env, uint64_t val);
void x86_set_a20(CPUX86State *env, bool enabled);
int x86_cpu_mmu_index(CPUX86State *env);
/* Define the TCG globals of the x86 front end in the engine's context (once per engine). */
void x86_tcg_init_globals(TCGContext *s);

/* ---- cc_helper.c ---- */
uint32_t cc_compute_all(uint32_t op, uint64_t dst, uint64_t src, uint64_t src2);
uint32_t cc_compute_c(uint32_t op, uint64_t dst, uint64_t src, uint64_t src2);

/* ---- excp_helper.c ---- */
void x86_raise_exception(CPUX86State *env, int vector) __attribute__((noreturn));
void x86_raise_exception_err(CPUX86State *env, int vector, int error_code) __attribute__((noreturn));
void x86_raise_exception_ra(CPUX86State *env, int vector, uintptr_t ra) __attribute__((noreturn));
void x86_raise_exception_err_ra(CPUX86State *env, int vector, int error_code, uintptr_t ra)
    __attribute__((noreturn));
void x86_raise_interrupt(CPUX86State *env, int vector, int next_eip_addend, uintptr_t ra)
    __attribute__((noreturn));
void x86_do_interrupt(TCGCPU *cpu);
bool x86_exec_interrupt(TCGCPU *cpu);
/* Deliver vector now (exec loop context). */
void x86_do_interrupt_all(CPUX86State *env, int vector, bool is_int, bool is_hw, int error_code,
                          uint64_t next_eip);

/* ---- mmu.c ---- */
bool x86_tlb_fill(TCGCPU *cpu, uint64_t vaddr, int access, int mmu_idx, bool probe, uintptr_t retaddr,
                  uint64_t *phys, int *prot);
/* Walk the page tables without side effects (debug, qtest): false if not mapped. */
bool x86_translate_debug(CPUX86State *env, uint64_t vaddr, uint64_t *phys);

/* ---- glue to the machine (accel.c, or a unit test's fake) ---- */
typedef struct X86AccelOps {
    void *(*phys_host_page)(void *opaque, uint64_t phys_page, bool *writable);
    uint64_t (*mem_read)(void *opaque, uint64_t phys, unsigned size);
    void (*mem_write)(void *opaque, uint64_t phys, unsigned size, uint64_t val);
    uint64_t (*io_read)(void *opaque, uint16_t port, unsigned size);
    void (*io_write)(void *opaque, uint16_t port, unsigned size, uint64_t val);
    int (*intack)(void *opaque);                    /* vector of the pending INTR */
    uint64_t (*tsc_ns)(void *opaque);               /* time base of the TSC */
    void (*shutdown)(void *opaque, bool reset);     /* triple fault (reset) */
} X86AccelOps;

struct X86Accel {
    const X86AccelOps *ops;
    void *opaque;
};

#endif
