/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Weak ENOSYS stubs for every function the real libxenctrl.so.4.17 exports
 * (list generated into ctrl-stubs.h by gen-ctrl-stubs.sh).  The functions
 * xensim implements in ctrl.c are strong definitions and win at link time.
 * This file must not include xenctrl.h: the stubs deliberately take no
 * arguments (on x86-64 the caller's arguments are simply ignored) and only
 * their return kind matters: -1, NULL, or nothing.
 */
#include <stddef.h>

#include "tools/xensim/lib/client.h"

#define XSIM_STUB_INT(name)                                  \
    __attribute__((weak)) long name(void);                   \
    __attribute__((weak)) long name(void)                    \
    {                                                        \
        xsim_unimplemented("xenctrl", #name);                \
        return -1;                                           \
    }
#define XSIM_STUB_PTR(name)                                  \
    __attribute__((weak)) void *name(void);                  \
    __attribute__((weak)) void *name(void)                   \
    {                                                        \
        xsim_unimplemented("xenctrl", #name);                \
        return NULL;                                         \
    }
#define XSIM_STUB_VOID(name)                                 \
    __attribute__((weak)) void name(void);                   \
    __attribute__((weak)) void name(void)                    \
    {                                                        \
        xsim_unimplemented("xenctrl", #name);                \
    }

#include "tools/xensim/lib/ctrl-stubs.h"
