/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The hand-written corpus: corpus/ *.S list their cases in the
 * `diffcorpus` section (see corpus/corpus.h); the linker provides its
 * bounds.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "tests/tcg/gen.h"

_Static_assert(sizeof(DiffCorpusEntry) == 40, "layout shared with corpus/corpus.h");

extern const DiffCorpusEntry __start_diffcorpus[];
extern const DiffCorpusEntry __stop_diffcorpus[];

size_t diff_corpus_count(void)
{
    return (size_t)(__stop_diffcorpus - __start_diffcorpus);
}

const DiffCorpusEntry *diff_corpus_entry(size_t i)
{
    return i < diff_corpus_count() ? &__start_diffcorpus[i] : NULL;
}

void diff_corpus_case(const DiffCorpusEntry *e, uint64_t seed, int variant, DiffCase *c)
{
    DiffRng r = { diff_seed_mix(seed, (uint64_t)variant) };
    size_t len = (size_t)(e->end - e->start);

    /* The state depends on the case's name, not on its position in the binary. */
    for (const char *p = e->name; *p; p++) {
        r.s = r.s * 131 + (uint8_t)*p;
    }
    memset(c, 0, sizeof(*c));
    c->mode = e->mode;
    snprintf(c->name, sizeof(c->name), "corpus %s (%d-bit, variant %d)", e->name, e->mode, variant);
    c->raw = e->start;
    c->corpus_name = e->name;
    c->raw_len = len;
    c->raw_mask.undef_flags = e->undef_flags;
    c->raw_mask.undef_regs = e->undef_regs;
    c->expect_vector = e->expect_vector;
    diff_random_state(&r, e->mode, &c->regs);
    c->mem_seed = diff_rng_next(&r);
    c->compat32 = e->mode == 32 && variant % 2 == 1;
    /* variant 0 at the start of a page; others anywhere, sometimes across a page boundary */
    if (e->mode == 16) {
        /* real mode: an offset in the code segment */
        c->entry = variant == 0 ? 0x100 : diff_rng_below(&r, DIFF16_CODE_SIZE - (uint32_t)len - 1);
    } else if (variant == 0 || len + 1 >= 0x1000) {
        c->entry = DIFF_CODE_BASE + 0x1000;
    } else if (diff_rng_below(&r, 2)) {
        c->entry = DIFF_CODE_BASE + 0x2000 - 1 - diff_rng_below(&r, (uint32_t)len + 1);
    } else {
        c->entry = DIFF_CODE_BASE + diff_rng_below(&r, DIFF_CODE_SIZE - (uint32_t)len - 1);
    }
}
