/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Xen platform PCI device.  References: xen docs/misc/hvm-emulated-unplug.pandoc
 * (magic, protocol version, product/build numbers, blacklisting, unplug
 * bits, log port); Linux drivers/xen/platform-pci.c and
 * arch/x86/xen/platform-pci-unplug.c (how a guest drives it); the device
 * identity and BAR layout QEMU's xenfv machine gives it (class 0xff80,
 * revision 1, subsystem 5853:0001, BAR0 256 bytes of IO, BAR1 16 MiB
 * prefetchable memory, vmstate "platform").
 */
#include "hw/xen/xen_platform.h"

#include <string.h>

#include "hw/core/clock.h"
#include "hw/core/log.h"

/* BAR0 offsets. */
#define BAR0_FLAGS          0x0
#define BAR0_SUSE_UNPLUG    0x4     /* write 1: unplug disks and NICs (xen-kmp before the fixed-port protocol) */
#define BAR0_VMDP_UNPLUG    0x8     /* write 1: disks, 2: NICs, anything else: a log byte (old VMDP) */

/* Fixed-port offsets from 0x10. */
#define FIXED_MAGIC         0x0     /* read16 magic, write16 unplug, write32 build, read8/write8 flags */
#define FIXED_VERSION       0x2     /* read8 version, write16 product, write8 log */

struct XenPlatformState {
    PCIDevice pci;
    Machine *m;
    XenPlatformConfig cfg;
    MemoryRegion *fixed_io;
    MemoryRegion *bar0;
    MemoryRegion *bar1;

    /* Guest-visible state. */
    uint8_t flags;              /* XEN_PLATFORM_FLAG_ROM_LOCK */
    uint8_t unplugged;          /* XEN_UNPLUG_* bits the guest asked for */
    bool drivers_blacklisted;
    uint16_t driver_product;
    uint32_t driver_build;

    /* Guest log plumbing: the line being assembled and the rate limit window. */
    char log_buf[XEN_PLATFORM_LOG_LINE_MAX];
    size_t log_len;
    int64_t log_window_start;
    uint64_t log_window_bytes;
    uint64_t log_window_dropped;
    uint64_t log_dropped;
};

/* ---- guest log ---- */

static void log_emit(XenPlatformState *s, const char *line)
{
    if (s->cfg.log_line) {
        s->cfg.log_line(s->cfg.opaque, line);
    } else {
        log_printf("xen-platform: guest: %s\n", line);
    }
}

static void log_flush(XenPlatformState *s)
{
    uint32_t limit = s->cfg.log_limit ? s->cfg.log_limit : XEN_PLATFORM_LOG_LIMIT_DEFAULT;
    int64_t now = clock_get_ns(CLOCK_VIRTUAL);
    size_t len = s->log_len;

    s->log_buf[len] = '\0';
    s->log_len = 0;
    /* A fixed one-second window of guest time: a chatty guest cannot flood the host's log. */
    if (now - s->log_window_start >= NANOSECONDS_PER_SECOND || now < s->log_window_start) {
        if (s->log_window_dropped) {
            char note[96];
            g_snprintf(note, sizeof(note), "(%" G_GUINT64_FORMAT " bytes of guest log suppressed)",
                       s->log_window_dropped);
            log_emit(s, note);
        }
        s->log_window_start = now;
        s->log_window_bytes = 0;
        s->log_window_dropped = 0;
    }
    if (s->log_window_bytes + len + 1 > limit) {
        s->log_window_dropped += len + 1;
        s->log_dropped += len + 1;
        return;
    }
    s->log_window_bytes += len + 1;
    log_emit(s, s->log_buf);
}

static void log_byte(XenPlatformState *s, uint8_t c)
{
    if (c == '\n') {
        log_flush(s);
        return;
    }
    if (c == '\r') {
        return;
    }
    /* Guest bytes end up in a host log: nothing that a terminal would interpret. */
    s->log_buf[s->log_len++] = (c >= 0x20 && c < 0x7f) || c == '\t' ? (char)c : '?';
    if (s->log_len == sizeof(s->log_buf) - 1) {
        log_flush(s);
    }
}

/* ---- protocol actions ---- */

static void set_flags(XenPlatformState *s, uint8_t value)
{
    bool lock = value & XEN_PLATFORM_FLAG_ROM_LOCK;

    if (s->cfg.rom_lock && !s->cfg.rom_lock(s->cfg.opaque, lock)) {
        log_cat(LOG_XEN, "xen-platform: could not %s the option ROM area\n", lock ? "lock" : "unlock");
        return;
    }
    s->flags = lock ? XEN_PLATFORM_FLAG_ROM_LOCK : 0;
}

static void unplug(XenPlatformState *s, unsigned mask)
{
    mask &= XEN_UNPLUG_MASK;
    if (!mask) {
        return;
    }
    s->unplugged |= (uint8_t)mask;
    if (s->cfg.unplug) {
        s->cfg.unplug(s->cfg.opaque, mask);
    }
}

static void set_build(XenPlatformState *s, uint32_t build)
{
    s->driver_build = build;
    if (!s->drivers_blacklisted && s->cfg.blacklisted &&
        s->cfg.blacklisted(s->cfg.opaque, s->driver_product, build)) {
        /* Once per reset: the guest cannot make this message repeat. */
        log_printf("xen-platform: PV drivers product %u build %u are blacklisted\n", s->driver_product, build);
        s->drivers_blacklisted = true;
    }
}

/* ---- fixed ports 0x10-0x1f ---- */

static uint64_t fixed_read(void *opaque, uint64_t offset, unsigned size)
{
    XenPlatformState *s = opaque;

    if (size == 2 && offset == FIXED_MAGIC) {
        return s->drivers_blacklisted ? XEN_PLATFORM_MAGIC_BLACKLISTED : XEN_PLATFORM_MAGIC;
    }
    if (size == 1 && offset == FIXED_MAGIC) {
        return s->flags;
    }
    if (size == 1 && offset == FIXED_VERSION) {
        return XEN_PLATFORM_PROTOCOL_VERSION;
    }
    return size == 4 ? 0xffffffffu : (1u << (size * 8)) - 1;
}

static void fixed_write(void *opaque, uint64_t offset, uint64_t value, unsigned size)
{
    XenPlatformState *s = opaque;

    switch (size * 16 + offset) {
    case 1 * 16 + FIXED_MAGIC:
        set_flags(s, (uint8_t)value);
        break;
    case 1 * 16 + FIXED_VERSION:
        log_byte(s, (uint8_t)value);
        break;
    case 2 * 16 + FIXED_MAGIC:
        unplug(s, (unsigned)value);
        break;
    case 2 * 16 + FIXED_VERSION:
        s->driver_product = (uint16_t)value;
        break;
    case 4 * 16 + FIXED_MAGIC:
        set_build(s, (uint32_t)value);
        break;
    default:
        guest_error("xen-platform: %u-byte write of 0x%" G_GINT64_MODIFIER "x to port 0x%x\n", size,
                    (guint64)value, (unsigned)(XEN_PLATFORM_IOPORT + offset));
        break;
    }
}

static const RegionOps fixed_ops = {
    .read = fixed_read,
    .write = fixed_write,
    /* The protocol means different things by size at one port: hand each access over whole. */
    .valid = { .min = 1, .max = 4, .unaligned = true },
    .impl = { .min = 1, .max = 4 },
};

/* ---- BAR0 ---- */

static uint64_t bar0_read(void *opaque, uint64_t offset, unsigned size)
{
    XenPlatformState *s = opaque;
    return offset == BAR0_FLAGS ? s->flags : 0xff;
}

static void bar0_write(void *opaque, uint64_t offset, uint64_t value, unsigned size)
{
    XenPlatformState *s = opaque;
    uint8_t v = (uint8_t)value;

    switch (offset) {
    case BAR0_FLAGS:
        set_flags(s, v);
        break;
    case BAR0_SUSE_UNPLUG:
        if (v == 1) {
            unplug(s, XEN_UNPLUG_ALL_IDE_DISKS | XEN_UNPLUG_ALL_NICS);
        }
        break;
    case BAR0_VMDP_UNPLUG:
        if (v == 1) {
            unplug(s, XEN_UNPLUG_ALL_IDE_DISKS);
        } else if (v == 2) {
            unplug(s, XEN_UNPLUG_ALL_NICS);
        } else {
            log_byte(s, v);
        }
        break;
    default:
        break;
    }
}

static const RegionOps bar0_ops = {
    .read = bar0_read,
    .write = bar0_write,
    .valid = { .min = 1, .max = 4 },
    .impl = { .min = 1, .max = 1 },
};

/* ---- BAR1: address space the guest fills with Xen frames; nothing of ours answers ---- */

static uint64_t bar1_read(void *opaque, uint64_t offset, unsigned size)
{
    guest_error("xen-platform: read from MMIO BAR offset 0x%" G_GINT64_MODIFIER "x\n", (guint64)offset);
    return 0;
}

static void bar1_write(void *opaque, uint64_t offset, uint64_t value, unsigned size)
{
    guest_error("xen-platform: write to MMIO BAR offset 0x%" G_GINT64_MODIFIER "x\n", (guint64)offset);
}

static const RegionOps bar1_ops = {
    .read = bar1_read,
    .write = bar1_write,
    .valid = { .min = 1, .max = 8 },
    .impl = { .min = 1, .max = 8 },
};

/* ---- life cycle ---- */

static void xen_platform_reset(Device *dev, ResetKind kind)
{
    XenPlatformState *s = (XenPlatformState *)dev;

    pci_device_reset(&s->pci);
    /* Reset unlocks the ROM area (QEMU's platform reset writes flags 0). */
    set_flags(s, 0);
    s->drivers_blacklisted = false;
    s->driver_product = 0;
    s->driver_build = 0;
    s->log_len = 0;
    if (kind == RESET_POWER_ON) {
        s->unplugged = 0;
    }
}

static bool xen_platform_post_load(void *opaque, int version, GError **err)
{
    XenPlatformState *s = opaque;

    if (!pci_device_post_load(&s->pci, err)) {
        return false;
    }
    if (s->flags & ~XEN_PLATFORM_FLAG_ROM_LOCK) {
        g_set_error(err, IOEMU_ERROR, 0, "xen-platform: flags 0x%02x have undefined bits", s->flags);
        return false;
    }
    if (s->unplugged & ~XEN_UNPLUG_MASK) {
        g_set_error(err, IOEMU_ERROR, 0, "xen-platform: unplug mask 0x%02x has undefined bits", s->unplugged);
        return false;
    }
    /* The hypervisor's view of the ROM area follows the restored flag. */
    set_flags(s, s->flags);
    s->log_len = 0;
    return true;
}

static const StateField xen_platform_fields[] = {
    STATE_STRUCT_FIELD(XenPlatformState, pci, pci_device_state, PCIDevice),
    STATE_U8(XenPlatformState, flags),
    STATE_U8(XenPlatformState, unplugged),
    STATE_BOOL_FIELD(XenPlatformState, drivers_blacklisted),
    STATE_U16(XenPlatformState, driver_product),
    STATE_U32(XenPlatformState, driver_build),
    STATE_FIELDS_END,
};

static const StateDescription xen_platform_state = {
    .name = "xen-platform",
    .version = 1,
    .min_version = 1,
    .fields = xen_platform_fields,
    .post_load = xen_platform_post_load,
};

static void xen_platform_unrealize(Device *dev)
{
    XenPlatformState *s = (XenPlatformState *)dev;

    pci_device_exit(&s->pci);
    if (mr_is_mapped(s->fixed_io)) {
        mr_del_subregion(as_root(s->m->io), s->fixed_io);
    }
    mr_free(s->fixed_io);
    mr_free(s->bar0);
    mr_free(s->bar1);
    g_free(s);
}

static const DeviceClass xen_platform_class = {
    .name = "xen-platform",
    .reset = xen_platform_reset,
    .unrealize = xen_platform_unrealize,
    .state = &xen_platform_state,
};

XenPlatformState *xen_platform_create(Machine *m, PCIBus *bus, int devfn, const XenPlatformConfig *cfg,
                                      GError **err)
{
    XenPlatformState *s = g_new0(XenPlatformState, 1);

    if (!pci_device_init(&s->pci, bus, devfn, NULL, err)) {
        g_free(s);
        return NULL;
    }
    s->m = m;
    s->cfg = *cfg;
    pci_config_set_ids(&s->pci, XEN_PLATFORM_VENDOR_ID, XEN_PLATFORM_DEVICE_ID, XEN_PLATFORM_REVISION,
                       XEN_PLATFORM_CLASS);
    pci_set_word(s->pci.config + PCI_SUBSYSTEM_VENDOR_ID, XEN_PLATFORM_VENDOR_ID);
    pci_set_word(s->pci.config + PCI_SUBSYSTEM_ID, XEN_PLATFORM_DEVICE_ID);
    pci_config_set_interrupt_pin(&s->pci, 1);

    s->bar0 = mr_new_io("xen-pci", XEN_PLATFORM_BAR0_SIZE, &bar0_ops, s);
    s->bar1 = mr_new_io("xen-mmio", XEN_PLATFORM_BAR1_SIZE, &bar1_ops, s);
    pci_register_bar(&s->pci, 0, PCI_BASE_ADDRESS_SPACE_IO, s->bar0);
    pci_register_bar(&s->pci, 1, PCI_BASE_ADDRESS_SPACE_MEMORY | PCI_BASE_ADDRESS_MEM_PREFETCH, s->bar1);

    s->fixed_io = mr_new_io("xen-fixed", XEN_PLATFORM_IOPORT_LEN, &fixed_ops, s);
    mr_add_subregion(as_root(m->io), XEN_PLATFORM_IOPORT, s->fixed_io, 0);
    s->log_window_start = clock_get_ns(CLOCK_VIRTUAL);

    device_register(m->devices, &s->pci.dev, &xen_platform_class, "xen-platform");
    return s;
}

PCIDevice *xen_platform_pci(XenPlatformState *s)
{
    return &s->pci;
}

unsigned xen_platform_unplugged(const XenPlatformState *s)
{
    return s->unplugged;
}

uint8_t xen_platform_flags(const XenPlatformState *s)
{
    return s->flags;
}

bool xen_platform_drivers_blacklisted(const XenPlatformState *s)
{
    return s->drivers_blacklisted;
}

uint64_t xen_platform_log_dropped(const XenPlatformState *s)
{
    return s->log_dropped;
}
