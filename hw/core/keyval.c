/* SPDX-License-Identifier: GPL-2.0-or-later */
/* QEMU-style "a=b,c,d=e" option strings; see keyval.h. */
#include "hw/core/keyval.h"

#include <errno.h>
#include <string.h>

void keyval_free(gpointer p)
{
    KeyVal *kv = p;

    g_free(kv->key);
    g_free(kv->value);
    g_free(kv);
}

static KeyVal *keyval_from_item(const char *item, const char *implied_key)
{
    KeyVal *kv = g_new0(KeyVal, 1);
    const char *eq = strchr(item, '=');

    if (eq) {
        kv->key = g_strndup(item, (gsize)(eq - item));
        kv->value = g_strdup(eq + 1);
    } else if (implied_key) {
        kv->key = g_strdup(implied_key);
        kv->value = g_strdup(item);
    } else {
        kv->key = g_strdup(item);
    }
    return kv;
}

GPtrArray *keyval_split(const char *s, const char *implied_key)
{
    GPtrArray *out = g_ptr_array_new_with_free_func(keyval_free);
    GString *item = g_string_new(NULL);
    const char *p = s;

    for (;;) {
        if (*p == ',' && p[1] == ',') {
            g_string_append_c(item, ',');
            p += 2;
            continue;
        }
        if (*p == ',' || *p == '\0') {
            g_ptr_array_add(out, keyval_from_item(item->str, out->len == 0 ? implied_key : NULL));
            g_string_truncate(item, 0);
            if (*p == '\0') {
                break;
            }
            p++;
            continue;
        }
        g_string_append_c(item, *p++);
    }
    g_string_free(item, TRUE);
    return out;
}

bool keyval_parse_uint(const char *s, uint64_t max, uint64_t *out)
{
    char *end;
    guint64 v;

    if (!s || !g_ascii_isdigit(*s)) {
        return false;
    }
    errno = 0;
    v = g_ascii_strtoull(s, &end, 0);
    if (errno || *end || v > max) {
        return false;
    }
    *out = v;
    return true;
}
