/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The CMOS bytes a PC BIOS (SeaBIOS, Bochs BIOS) reads at boot: memory
 * sizes, CPU count, boot order and the equipment byte.  Shared by the two
 * boards (pc.c writes them into the MC146818 RTC, xenfv.c into its
 * NVRAM-only CMOS), each through its own byte setter.
 */
#ifndef HW_I386_PC_CMOS_H
#define HW_I386_PC_CMOS_H

#include <stdint.h>

/* The CMOS boot order holds three devices (0x3d low/high nibble, 0x38 high nibble). */
#define PC_CMOS_MAX_BOOT_DEVICES    3

typedef void (*PcCmosSetByte)(void *opaque, unsigned index, uint8_t value);

/* The CMOS boot-device code for a -boot letter (a/b, c, d, n); 0 for any other letter. */
int pc_cmos_boot_device_nibble(char c);

/*
 * Write the boot-time CMOS contents through set(opaque, index, value).
 * base_mem_kib is conventional memory in KiB; below_4g/above_4g the RAM
 * below and above 4 GiB in bytes; boot_order at most
 * PC_CMOS_MAX_BOOT_DEVICES valid letters (the boards check it at create).
 */
void pc_cmos_write_boot_info(PcCmosSetByte set, void *opaque, uint64_t base_mem_kib, uint64_t below_4g,
                             uint64_t above_4g, unsigned smp_cpus, const char *boot_order);

#endif
