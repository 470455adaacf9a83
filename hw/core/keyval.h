/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * QEMU-style option strings ("file,id=hd0,readonly=on"): split into
 * key/value items.  What an item means, which keys exist and how a bare word
 * is read stay with the caller (-chardev, -drive, the xen-dm options).
 */
#ifndef HW_CORE_KEYVAL_H
#define HW_CORE_KEYVAL_H

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

typedef struct KeyVal {
    char *key;
    char *value;    /* NULL for a bare word ("server", "nowait") */
    bool used;      /* for the caller: marks the items it understood */
} KeyVal;

/* The GDestroyNotify of the arrays keyval_split() returns. */
void keyval_free(gpointer kv);

/*
 * Split s at its commas into KeyVal items, in order; ",," is a literal comma
 * inside an item (paths may contain commas).  An item "k=v" is key k, value v
 * (split at the first '=').  An item without '=' is a bare word, except that
 * the first one is implied_key=item when implied_key is not NULL.  Every
 * single comma separates, so "" gives one empty bare word and "a," ends in
 * one.  Never NULL; the array frees its items.
 */
GPtrArray *keyval_split(const char *s, const char *implied_key);

/*
 * An option's number: starts with a digit (no sign, no blanks), then
 * decimal, 0x hex or 0 octal to the end of the string, at most max.
 */
bool keyval_parse_uint(const char *s, uint64_t max, uint64_t *out);

#endif
