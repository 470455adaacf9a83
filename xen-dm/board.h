/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What xen-dm needs from the `xenfv` board.  The interface lives with the
 * board (hw/i386/xenfv.h, implemented by hw/i386/xenfv.c) so that hw/
 * never includes xen-dm; this header keeps xen-dm's include working.
 */
#ifndef XEN_DM_BOARD_H
#define XEN_DM_BOARD_H

#include "hw/i386/xenfv.h"

#endif
