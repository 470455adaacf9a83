/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Test cases of the differential tester: random instruction sequences
 * (gen.c) and the hand-written corpus (corpus.c, corpus/ *.S).
 *
 * A random case is a list of units.  A unit is one instruction under test
 * plus the few instructions it needs in front of it (a prelude: loading
 * an address into a base register, a count into CL, a small dividend into
 * EDX...), so deleting whole units (when shrinking a divergence) always
 * leaves valid, meaningful code.  Each unit records its data flow: which
 * registers and flags it reads, defines, or leaves undefined according to
 * the Intel SDM and the AMD APM (undefined in either is undefined here).
 * diff_analyse() runs that flow over a sequence: a unit that reads an
 * undefined value makes the sequence invalid (the generator never builds
 * one; the shrinker skips such candidates), and what is still undefined
 * at the end is masked in the comparison.
 */
#ifndef TESTS_TCG_GEN_H
#define TESTS_TCG_GEN_H

#include <stdbool.h>
#include <stdint.h>

#include <glib.h>

#include "tests/tcg/diff.h"

#define DIFF_UNIT_MAX_BYTES 96
#define DIFF_MAX_UNITS 64

typedef struct DiffUnit {
    uint8_t bytes[DIFF_UNIT_MAX_BYTES];
    uint8_t len;
    /* A forward branch: displacement of rel_size bytes at rel_off, skipping `skip` units. */
    int8_t rel_off;             /* -1: not a branch */
    uint8_t rel_size;           /* 1 or 4 */
    uint8_t skip;
    /* A RIP-relative operand: disp32 at riprel_off, rip = unit start + riprel_end. */
    int8_t riprel_off;          /* -1: none */
    uint8_t riprel_end;
    uint64_t riprel_target;
    /* Data flow (see above). */
    uint16_t reads;             /* GPRs read before this unit writes them */
    uint16_t writes_full;       /* GPRs left with a defined value */
    uint16_t writes_undef;      /* GPRs left undefined */
    uint16_t flags_read;        /* FL_* read before this unit writes them */
    uint16_t flags_def;
    uint16_t flags_undef;
    uint32_t may_fault;         /* bit per vector this unit may legitimately raise */
    int16_t push_bytes;         /* at most this many bytes pushed ... */
    int16_t pop_bytes;          /* ... and popped */
    const char *what;           /* family, for reports */
} DiffUnit;

typedef struct DiffCase {
    int mode;                   /* 16, 32 or 64 */
    char name[96];
    /* Random cases: units.  Corpus cases: raw code. */
    DiffUnit units[DIFF_MAX_UNITS];
    int n_units;
    const uint8_t *raw;
    size_t raw_len;
    DiffMask raw_mask;          /* corpus: what the case declares undefined */
    int expect_vector;          /* corpus: -1 end, else the expected exception (checked on the host) */
    const char *corpus_name;    /* corpus: the case's name (without mode and variant) */
    uint64_t entry;
    DiffRegs regs;
    uint64_t mem_seed;          /* initial data and stack contents */
    bool compat32;              /* see DiffInput */
} DiffCase;

/* A small deterministic PRNG (splitmix64), same results on every host. */
typedef struct DiffRng {
    uint64_t s;
} DiffRng;
static inline uint64_t diff_rng_next(DiffRng *r)
{
    uint64_t z = (r->s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}
static inline uint32_t diff_rng_below(DiffRng *r, uint32_t n)
{
    return n ? (uint32_t)(diff_rng_next(r) % n) : 0;
}
uint64_t diff_seed_mix(uint64_t a, uint64_t b);

/* Random initial state (registers, flags, entry) for a case; the stack pointer is DIFF_STACK_INIT. */
void diff_random_state(DiffRng *r, int mode, DiffRegs *regs);
/* Generate random case number `index` of a campaign with `seed`. */
void diff_gen_case(uint64_t seed, uint64_t index, int mode, int max_units, DiffCase *c);

/* Per-unit placement after layout. */
typedef struct DiffLayout {
    uint64_t start[DIFF_MAX_UNITS + 1];   /* start[n] = the final int3 */
    uint64_t end;                         /* just after the final int3 */
} DiffLayout;

/*
 * Lay out the units of c (in the order of `order`, n of them: a subset
 * when shrinking) at c->entry into code (the whole code region, int3
 * filled) and fill the layout.  False if a branch no longer fits.
 */
bool diff_layout(const DiffCase *c, const int *order, int n, uint8_t *code, DiffLayout *lay);

/*
 * Data-flow analysis of units `order[0..n)`.  False (with the reason in
 * why, if not NULL) when a unit reads a value that is undefined.  On
 * success fills the mask at the end and, if `before` is not NULL, the
 * mask in front of each unit (for exceptions raised inside it).
 */
bool diff_analyse(const DiffCase *c, const int *order, int n, DiffMask *end, DiffMask *before,
                  GString *why);

/* 16-bit cases: the initial data segment is xorshift32 bytes from this seed (as rom16.S makes them). */
uint32_t diff16_seed(uint64_t mem_seed);
void diff16_fill(uint32_t seed, uint8_t *p, size_t len);

/* Build the input of a case (units in `order`, or raw code); false if it cannot be laid out. */
bool diff_case_input(const DiffCase *c, const int *order, int n, DiffInput *in, DiffLayout *lay);

/* ---- corpus.c ---- */
typedef struct DiffCorpusEntry {
    const char *name;
    const uint8_t *start;
    const uint8_t *end;
    int32_t mode;
    int32_t expect_vector;      /* -1: runs to the end */
    uint32_t undef_flags;
    uint32_t undef_regs;
} DiffCorpusEntry;

size_t diff_corpus_count(void);
const DiffCorpusEntry *diff_corpus_entry(size_t i);
/* A corpus case with random state from (seed, variant). */
void diff_corpus_case(const DiffCorpusEntry *e, uint64_t seed, int variant, DiffCase *c);

#endif
