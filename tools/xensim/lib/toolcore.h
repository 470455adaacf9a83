/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The private registration interface of libxentoolcore (Xen keeps it in
 * tools/include/xentoolcore_internal.h, which Debian does not install).
 * The layout must stay binary compatible: the real libxenstore.so.4 embeds
 * this struct in its handles and calls the three functions below.
 */
#ifndef TOOLS_XENSIM_LIB_TOOLCORE_H
#define TOOLS_XENSIM_LIB_TOOLCORE_H

#include <stdint.h>
#include <xen/xen.h>
#include <xen_list.h>

typedef struct Xentoolcore__Active_Handle Xentoolcore__Active_Handle;

/* Makes the handle unable to affect any domain but domid; 0 or -1 + errno. */
typedef int Xentoolcore__Restrict_Callback(Xentoolcore__Active_Handle *, domid_t domid);

struct Xentoolcore__Active_Handle {
    Xentoolcore__Restrict_Callback *restrict_callback;
    XEN_TAILQ_ENTRY(Xentoolcore__Active_Handle) entry;
};

void xentoolcore__register_active_handle(Xentoolcore__Active_Handle *ah);
void xentoolcore__deregister_active_handle(Xentoolcore__Active_Handle *ah);
int xentoolcore__restrict_by_dup2_null(int fd);

#endif
