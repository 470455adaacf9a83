/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Boot-time CMOS contents common to the pc and xenfv boards.  Layout as
 * SeaBIOS reads it (src/fw/paravirt.c, src/boot.c) and the Bochs BIOS CMOS
 * map: all sizes little-endian, saturating at their field width.
 */
#include "hw/i386/pc_cmos.h"

#include <glib.h>

#define KiB                     1024ull
#define MiB                     (1024ull * KiB)

#define CMOS_EQUIPMENT          0x14
#define CMOS_BASE_MEM_LO        0x15    /* KiB, 16 bits */
#define CMOS_EXT_MEM_LO         0x17    /* KiB above 1 MiB, 16 bits */
#define CMOS_EXT_MEM2_LO        0x30    /* the same value again */
#define CMOS_MEM_ABOVE_16M_LO   0x34    /* 64 KiB units, 16 bits */
#define CMOS_BOOT_ORDER_3       0x38    /* high nibble: third boot device; bit 0: skip floppy signature check */
#define CMOS_BOOT_ORDER_12      0x3d    /* low nibble: first, high nibble: second */
#define CMOS_MEM_ABOVE_4G       0x5b    /* 3 bytes, 64 KiB units */
#define CMOS_NB_CPUS_MINUS_1    0x5f

#define CMOS_EQUIPMENT_FPU      0x02
#define CMOS_EQUIPMENT_PS2_MOUSE 0x04

int pc_cmos_boot_device_nibble(char c)
{
    switch (c) {
    case 'a':
    case 'b':
        return 0x1;     /* floppy */
    case 'c':
        return 0x2;     /* hard disk */
    case 'd':
        return 0x3;     /* CD-ROM */
    case 'n':
        return 0x4;     /* network */
    default:
        return 0;
    }
}

static void set16(PcCmosSetByte set, void *opaque, unsigned index, uint64_t v)
{
    v = MIN(v, 0xffff);
    set(opaque, index, (uint8_t)v);
    set(opaque, index + 1, (uint8_t)(v >> 8));
}

void pc_cmos_write_boot_info(PcCmosSetByte set, void *opaque, uint64_t base_mem_kib, uint64_t below_4g,
                             uint64_t above_4g, unsigned smp_cpus, const char *boot_order)
{
    int nib[PC_CMOS_MAX_BOOT_DEVICES] = { 0, 0, 0 };
    uint64_t v;

    set16(set, opaque, CMOS_BASE_MEM_LO, base_mem_kib);
    v = below_4g > 1 * MiB ? (below_4g - 1 * MiB) / KiB : 0;
    set16(set, opaque, CMOS_EXT_MEM_LO, v);
    set16(set, opaque, CMOS_EXT_MEM2_LO, v);
    v = below_4g > 16 * MiB ? (below_4g - 16 * MiB) / (64 * KiB) : 0;
    set16(set, opaque, CMOS_MEM_ABOVE_16M_LO, v);
    v = above_4g / (64 * KiB);
    set(opaque, CMOS_MEM_ABOVE_4G, (uint8_t)v);
    set(opaque, CMOS_MEM_ABOVE_4G + 1, (uint8_t)(v >> 8));
    set(opaque, CMOS_MEM_ABOVE_4G + 2, (uint8_t)(v >> 16));
    set(opaque, CMOS_NB_CPUS_MINUS_1, (uint8_t)(smp_cpus - 1));

    /* Boot devices as nibbles; the floppy signature check stays on (bit 0 clear), as QEMU's default. */
    for (size_t i = 0; i < PC_CMOS_MAX_BOOT_DEVICES && boot_order[i]; i++) {
        nib[i] = pc_cmos_boot_device_nibble(boot_order[i]);
    }
    set(opaque, CMOS_BOOT_ORDER_12, (uint8_t)((nib[1] << 4) | nib[0]));
    set(opaque, CMOS_BOOT_ORDER_3, (uint8_t)(nib[2] << 4));

    /* No floppy drives; FPU and PS/2 mouse present; primary display EGA/VGA (00b). */
    set(opaque, CMOS_EQUIPMENT, CMOS_EQUIPMENT_FPU | CMOS_EQUIPMENT_PS2_MOUSE);
}
