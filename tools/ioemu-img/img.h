/* SPDX-License-Identifier: GPL-2.0-or-later */
/* ioemu-img: shared helpers of the command implementations. */
#ifndef TOOLS_IOEMU_IMG_IMG_H
#define TOOLS_IOEMU_IMG_IMG_H

#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>

#include "block/block.h"

#define IMG_NAME "ioemu-img"

void img_error(const char *fmt, ...) G_GNUC_PRINTF(1, 2);
/* Open with an error printed as qemu-img prints it; NULL on failure. */
BlockBackend *img_open(const char *filename, const char *fmt, unsigned flags,
                       BlockCacheMode cache);
bool img_parse_cache(const char *name, BlockCacheMode *mode);
/*
 * getopt_long returned ':' (missing argument) or an unknown option: print
 * qemu-img's message for it and return status, the command's exit code.
 */
int img_bad_option(int c, char **argv, int status);
/* After the options: exactly one image name left, else qemu-img's error. */
bool img_expect_one_filename(int argc);
/* qemu-img's progress line ("    (12.34/100%)\r"). */
void img_progress(bool enabled, double percent);
void img_progress_done(bool enabled);

int img_convert(int argc, char **argv);
int img_compare(int argc, char **argv);
int img_commit(int argc, char **argv);
int img_rebase(int argc, char **argv);

#endif
