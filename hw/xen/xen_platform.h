/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The Xen platform PCI device (5853:0001), through which an HVM guest's PV
 * drivers find Xen: the event-channel callback interrupt is its INTA#, BAR1
 * is 16 MiB of guest-physical space for grant tables and shared info, and
 * the fixed ports 0x10-0x1f carry the emulated-device unplug protocol
 * (xen docs/misc/hvm-emulated-unplug.pandoc):
 *
 *   0x10 read16   magic 0x49d2 (0xd249 once the drivers are blacklisted)
 *   0x12 read8    protocol version (1)
 *   0x12 write16  driver product number
 *   0x10 write32  driver build number (then the magic is read again)
 *   0x10 write16  unplug mask: XEN_UNPLUG_*
 *   0x12 write8   log byte (line buffered, to the device model's log)
 *   0x10 read8/write8  platform flags: bit 0 locks the 0xC0000-0xFFFFF ROM area
 *
 * BAR0 (256 bytes of IO) repeats the flags at offset 0 and carries two
 * older unplug dialects (offset 4 and 8).  The device itself unplugs
 * nothing: it tells the board, which owns the IDE, NIC and NVMe models.
 */
#ifndef HW_XEN_XEN_PLATFORM_H
#define HW_XEN_XEN_PLATFORM_H

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

#include "hw/core/machine.h"
#include "hw/pci/pci.h"

#define XEN_PLATFORM_VENDOR_ID          0x5853
#define XEN_PLATFORM_DEVICE_ID          0x0001
#define XEN_PLATFORM_REVISION           0x01
#define XEN_PLATFORM_CLASS              0xff8000    /* unassigned class, subclass 0x80 */

#define XEN_PLATFORM_IOPORT             0x10
#define XEN_PLATFORM_IOPORT_LEN         16
#define XEN_PLATFORM_BAR0_SIZE          0x100
#define XEN_PLATFORM_BAR1_SIZE          (16u * 1024 * 1024)

#define XEN_PLATFORM_MAGIC              0x49d2
#define XEN_PLATFORM_MAGIC_BLACKLISTED  0xd249
#define XEN_PLATFORM_PROTOCOL_VERSION   1

/* Unplug mask bits (written as a 16-bit value to port 0x10). */
#define XEN_UNPLUG_ALL_IDE_DISKS        0x1         /* all IDE and SCSI disks, not CD-ROMs */
#define XEN_UNPLUG_ALL_NICS             0x2
#define XEN_UNPLUG_AUX_IDE_DISKS        0x4         /* IDE disks except the primary master; bit 0 wins */
#define XEN_UNPLUG_NVME_DISKS           0x8
#define XEN_UNPLUG_MASK                 0xf

/* Platform flags (port 0x10 byte, BAR0 offset 0). */
#define XEN_PLATFORM_FLAG_ROM_LOCK      0x01

/* Guest log lines longer than this are cut (and flushed) here. */
#define XEN_PLATFORM_LOG_LINE_MAX       4096
/* Default guest log budget: bytes per second of guest time (libxl: XEN_QEMU_CONSOLE_LIMIT). */
#define XEN_PLATFORM_LOG_LIMIT_DEFAULT  (1024 * 1024)

typedef struct XenPlatformState XenPlatformState;

typedef struct XenPlatformConfig {
    /* The guest asked to unplug these emulated devices (XEN_UNPLUG_* bits, never 0). */
    void (*unplug)(void *opaque, unsigned mask);
    /*
     * Lock (true) or unlock the option ROM area: Xen's set_mem_type(ram_ro or
     * ram_rw, pfn 0xc0, 0x40 pages).  False: refused, the flag keeps its old
     * value.  NULL: always accepted.
     */
    bool (*rom_lock)(void *opaque, bool locked);
    /* One complete guest log line (sanitised, NUL-terminated).  NULL: log_printf. */
    void (*log_line)(void *opaque, const char *line);
    /* Decide whether these PV drivers are refused (magic turns into 0xd249).  NULL: never. */
    bool (*blacklisted)(void *opaque, uint16_t product, uint32_t build);
    void *opaque;
    /* Guest log budget in bytes per second of virtual time; 0 = XEN_PLATFORM_LOG_LIMIT_DEFAULT. */
    uint32_t log_limit;
} XenPlatformConfig;

/* Create the device at devfn (QEMU's xenfv: 00:02.0) and map the fixed ports 0x10-0x1f. */
XenPlatformState *xen_platform_create(Machine *m, PCIBus *bus, int devfn, const XenPlatformConfig *cfg,
                                      GError **err);

PCIDevice *xen_platform_pci(XenPlatformState *s);
/* Everything unplugged so far (XEN_UNPLUG_* bits), also after a restore. */
unsigned xen_platform_unplugged(const XenPlatformState *s);
uint8_t xen_platform_flags(const XenPlatformState *s);
bool xen_platform_drivers_blacklisted(const XenPlatformState *s);
/* Guest log bytes dropped by the rate limit so far. */
uint64_t xen_platform_log_dropped(const XenPlatformState *s);

#endif
