/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * 16-bit (real-mode) cases in batches: the BIOS image around rom16.S, its
 * debug-console records, and QEMU as the oracle.
 */
#ifndef TESTS_TCG_QEMU16_H
#define TESTS_TCG_QEMU16_H

#include "tests/tcg/diff.h"

#define ROM16_SIZE 0x10000
#define ROM16_MAX_CASES 128

/* Build the image for cases[0..n) (all mode 16) into rom (ROM16_SIZE bytes). */
bool rom16_build(const DiffInput *const *cases, int n, uint8_t *rom, GError **err);
/* Parse the records of a debug-console stream; have[i] says whether case i has one.  Returns how many. */
int rom16_parse(const uint8_t *con, size_t len, const DiffInput *const *cases, int n, DiffResult *out,
                bool *have);

bool qemu16_available(GError **err);
/* Run the image in QEMU; *con (g_free) gets the debug-console bytes (cut short on a timeout). */
bool qemu16_run(const uint8_t *rom, uint8_t **con, size_t *con_len, int timeout_ms, GError **err);

#endif
