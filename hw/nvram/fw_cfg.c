/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * fw_cfg, the firmware configuration device.  Reference: QEMU
 * docs/specs/fw_cfg.rst ("Selector (Control) Register", "Data Register",
 * "Directory Listing", "DMA interface", "FWCfgDmaAccess"), which SeaBIOS
 * (src/fw/paravirt.c) implements the other side of.
 *
 * The guest is untrusted: selectors outside the table select nothing
 * (reads return 0), data reads past an item's end return 0, and every DMA
 * descriptor field is checked: a transfer touching memory that is not
 * there completes with FW_CFG_DMA_CTL_ERROR instead of doing anything else.
 */
#include "hw/nvram/fw_cfg.h"

#include <string.h>

#include <glib.h>

#include "hw/core/log.h"

/* Item slots per table: the fixed keys plus the file slots (QEMU pc uses 0x20 files; leave room). */
#define FW_CFG_FILES        0x40
#define FW_CFG_MAX_ENTRY    (FW_CFG_FILE_FIRST + FW_CFG_FILES)

/* One directory entry: be32 size, be16 select, be16 reserved, name[56]. */
#define FW_CFG_DIR_ENTRY_SIZE (4 + 2 + 2 + FW_CFG_MAX_FILE_PATH)

/* FWCfgDmaAccess: be32 control, be32 length, be64 address. */
#define FW_CFG_DMA_ACCESS_SIZE 16

/* Zero-fill chunk for DMA reads past an item's end. */
#define DMA_ZERO_CHUNK      4096

typedef struct FWCfgEntry {
    uint8_t *data;
    uint32_t len;
} FWCfgEntry;

struct FWCfg {
    Device dev;
    Machine *m;
    MemoryRegion *io, *dma_io;
    FWCfgEntry entries[2][FW_CFG_MAX_ENTRY];       /* [arch-local][key & FW_CFG_ENTRY_MASK] */
    char file_names[FW_CFG_FILES][FW_CFG_MAX_FILE_PATH];
    int nr_files;
    /* Guest-visible state. */
    uint16_t cur_entry;
    uint32_t cur_offset;
    uint64_t dma_addr;
};

/* ---- items ---- */

static FWCfgEntry *fw_cfg_entry(FWCfg *s, uint16_t key)
{
    unsigned idx = key & FW_CFG_ENTRY_MASK;

    if (key == FW_CFG_INVALID || idx >= FW_CFG_MAX_ENTRY) {
        return NULL;
    }
    return &s->entries[(key & FW_CFG_ARCH_LOCAL) ? 1 : 0][idx];
}

static void fw_cfg_set_entry(FWCfg *s, uint16_t key, void *data, size_t len)
{
    FWCfgEntry *e = fw_cfg_entry(s, key);

    g_assert(e != NULL);
    g_assert(len <= UINT32_MAX);
    g_free(e->data);
    e->data = data;
    e->len = (uint32_t)len;
}

void fw_cfg_add_bytes(FWCfg *s, uint16_t key, void *data, size_t len)
{
    g_assert((key & FW_CFG_ENTRY_MASK) < FW_CFG_FILE_FIRST);
    fw_cfg_set_entry(s, key, data, len);
}

void fw_cfg_add_i16(FWCfg *s, uint16_t key, uint16_t value)
{
    uint16_t *p = g_new(uint16_t, 1);
    *p = GUINT16_TO_LE(value);
    fw_cfg_add_bytes(s, key, p, sizeof(*p));
}

void fw_cfg_add_i32(FWCfg *s, uint16_t key, uint32_t value)
{
    uint32_t *p = g_new(uint32_t, 1);
    *p = GUINT32_TO_LE(value);
    fw_cfg_add_bytes(s, key, p, sizeof(*p));
}

void fw_cfg_add_i64(FWCfg *s, uint16_t key, uint64_t value)
{
    uint64_t *p = g_new(uint64_t, 1);
    *p = GUINT64_TO_LE(value);
    fw_cfg_add_bytes(s, key, p, sizeof(*p));
}

void fw_cfg_add_string(FWCfg *s, uint16_t key, const char *value)
{
    fw_cfg_add_bytes(s, key, g_strdup(value), strlen(value) + 1);
}

/* Rebuild the FW_CFG_FILE_DIR item from the sorted file table. */
static void fw_cfg_rebuild_dir(FWCfg *s)
{
    size_t len = 4 + (size_t)s->nr_files * FW_CFG_DIR_ENTRY_SIZE;
    uint8_t *dir = g_malloc0(len);
    uint32_t count_be = GUINT32_TO_BE((uint32_t)s->nr_files);

    memcpy(dir, &count_be, 4);
    for (int i = 0; i < s->nr_files; i++) {
        uint8_t *p = dir + 4 + (size_t)i * FW_CFG_DIR_ENTRY_SIZE;
        uint32_t size_be = GUINT32_TO_BE(s->entries[0][FW_CFG_FILE_FIRST + i].len);
        uint16_t select_be = GUINT16_TO_BE((uint16_t)(FW_CFG_FILE_FIRST + i));
        memcpy(p, &size_be, 4);
        memcpy(p + 4, &select_be, 2);
        memcpy(p + 8, s->file_names[i], FW_CFG_MAX_FILE_PATH);
    }
    fw_cfg_set_entry(s, FW_CFG_FILE_DIR, dir, len);
}

int fw_cfg_file_key(FWCfg *s, const char *name)
{
    for (int i = 0; i < s->nr_files; i++) {
        if (strncmp(s->file_names[i], name, FW_CFG_MAX_FILE_PATH) == 0) {
            return FW_CFG_FILE_FIRST + i;
        }
    }
    return -1;
}

bool fw_cfg_add_file(FWCfg *s, const char *name, void *data, size_t len)
{
    int pos;

    if (!name || !*name || strlen(name) >= FW_CFG_MAX_FILE_PATH || len > UINT32_MAX) {
        log_printf("fw_cfg: bad file name or size for \"%s\"\n", name ? name : "(null)");
        g_free(data);
        return false;
    }
    if (fw_cfg_file_key(s, name) >= 0) {
        log_printf("fw_cfg: file \"%s\" already exists\n", name);
        g_free(data);
        return false;
    }
    if (s->nr_files >= FW_CFG_FILES) {
        log_printf("fw_cfg: no slot left for file \"%s\"\n", name);
        g_free(data);
        return false;
    }
    /* Keep names sorted; selectors follow the order, so later entries move up one slot. */
    for (pos = 0; pos < s->nr_files; pos++) {
        if (strcmp(name, s->file_names[pos]) < 0) {
            break;
        }
    }
    for (int i = s->nr_files; i > pos; i--) {
        memcpy(s->file_names[i], s->file_names[i - 1], FW_CFG_MAX_FILE_PATH);
        s->entries[0][FW_CFG_FILE_FIRST + i] = s->entries[0][FW_CFG_FILE_FIRST + i - 1];
    }
    memset(s->file_names[pos], 0, FW_CFG_MAX_FILE_PATH);
    strcpy(s->file_names[pos], name);
    s->entries[0][FW_CFG_FILE_FIRST + pos].data = data;
    s->entries[0][FW_CFG_FILE_FIRST + pos].len = (uint32_t)len;
    s->nr_files++;
    fw_cfg_rebuild_dir(s);
    return true;
}

bool fw_cfg_modify_file(FWCfg *s, const char *name, void *data, size_t len)
{
    int key = fw_cfg_file_key(s, name);

    if (key < 0) {
        return fw_cfg_add_file(s, name, data, len);
    }
    if (len > UINT32_MAX) {
        g_free(data);
        return false;
    }
    fw_cfg_set_entry(s, (uint16_t)key, data, len);
    fw_cfg_rebuild_dir(s);
    return true;
}

/* ---- selector and data registers ---- */

static void fw_cfg_select(FWCfg *s, uint16_t key)
{
    s->cur_offset = 0;
    s->cur_entry = fw_cfg_entry(s, key) ? key : FW_CFG_INVALID;
}

static uint8_t fw_cfg_read_byte(FWCfg *s)
{
    FWCfgEntry *e = fw_cfg_entry(s, s->cur_entry);

    if (!e || !e->data || s->cur_offset >= e->len) {
        return 0;
    }
    return e->data[s->cur_offset++];
}

static uint64_t fw_cfg_io_read(void *opaque, uint64_t offset, unsigned size)
{
    FWCfg *s = opaque;

    if (size != 1) {
        guest_error("fw_cfg: %u-byte read of the selector/data ports\n", size);
        return (1u << (8 * size)) - 1;
    }
    /* Both bytes of the pair read the data register, as on QEMU. */
    return fw_cfg_read_byte(s);
}

static void fw_cfg_io_write(void *opaque, uint64_t offset, uint64_t value, unsigned size)
{
    FWCfg *s = opaque;

    if (size == 2 && offset == 0) {
        fw_cfg_select(s, (uint16_t)value);
        return;
    }
    /* Data register writes have been ignored since QEMU 2.4 (fw_cfg.rst, "Data Register"). */
    guest_error("fw_cfg: %u-byte write 0x%" G_GINT64_MODIFIER "x at port offset %u ignored\n",
                size, (uint64_t)value, (unsigned)offset);
}

static const RegionOps fw_cfg_io_ops = {
    .read = fw_cfg_io_read,
    .write = fw_cfg_io_write,
    .valid = { .min = 1, .max = 2 },
    .impl = { .min = 1, .max = 2 },
};

/* ---- DMA ---- */

static bool dma_zero_fill(AddressSpace *as, uint64_t addr, uint64_t len)
{
    static const uint8_t zeros[DMA_ZERO_CHUNK];

    while (len) {
        size_t n = len < DMA_ZERO_CHUNK ? (size_t)len : DMA_ZERO_CHUNK;
        if (!as_write_buf(as, addr, zeros, n)) {
            return false;
        }
        addr += n;
        len -= n;
    }
    return true;
}

static void fw_cfg_dma_transfer(FWCfg *s)
{
    AddressSpace *as = s->m->mem;
    uint64_t desc = s->dma_addr;
    uint8_t raw[FW_CFG_DMA_ACCESS_SIZE];
    uint32_t control, length, status_be;
    uint64_t address;
    bool read = false, write = false;

    s->dma_addr = 0;
    if (desc > UINT64_MAX - FW_CFG_DMA_ACCESS_SIZE || !as_read_buf(as, desc, raw, sizeof(raw))) {
        guest_error("fw_cfg: DMA descriptor at 0x%" G_GINT64_MODIFIER "x is not in memory\n", desc);
        status_be = GUINT32_TO_BE(FW_CFG_DMA_CTL_ERROR);
        if (desc <= UINT64_MAX - 4) {
            as_write_buf(as, desc, &status_be, 4);
        }
        return;
    }
    memcpy(&control, raw, 4);
    memcpy(&length, raw + 4, 4);
    memcpy(&address, raw + 8, 8);
    control = GUINT32_FROM_BE(control);
    length = GUINT32_FROM_BE(length);
    address = GUINT64_FROM_BE(address);

    if (control & FW_CFG_DMA_CTL_SELECT) {
        fw_cfg_select(s, (uint16_t)(control >> 16));
    }
    if (control & FW_CFG_DMA_CTL_READ) {
        read = true;
    } else if (control & FW_CFG_DMA_CTL_WRITE) {
        write = true;
    } else if (!(control & FW_CFG_DMA_CTL_SKIP)) {
        length = 0;
    }

    control = 0;
    while (length > 0 && !(control & FW_CFG_DMA_CTL_ERROR)) {
        FWCfgEntry *e = fw_cfg_entry(s, s->cur_entry);
        uint32_t n;

        if (address > UINT64_MAX - length) {
            guest_error("fw_cfg: DMA range 0x%" G_GINT64_MODIFIER "x+0x%x wraps\n", address, length);
            control |= FW_CFG_DMA_CTL_ERROR;
            break;
        }
        if (!e || !e->data || s->cur_offset >= e->len) {
            /* Past the end (or nothing selected): reads give zeros, skips consume, writes fail. */
            n = length;
            if (read && !dma_zero_fill(as, address, n)) {
                control |= FW_CFG_DMA_CTL_ERROR;
            }
            if (write) {
                control |= FW_CFG_DMA_CTL_ERROR;
            }
        } else {
            n = MIN(length, e->len - s->cur_offset);
            if (read && !as_write_buf(as, address, e->data + s->cur_offset, n)) {
                control |= FW_CFG_DMA_CTL_ERROR;
            }
            if (write) {
                /* No item is guest-writable. */
                control |= FW_CFG_DMA_CTL_ERROR;
            }
            s->cur_offset += n;
        }
        if (control & FW_CFG_DMA_CTL_ERROR) {
            guest_error("fw_cfg: DMA %s of 0x%x bytes at 0x%" G_GINT64_MODIFIER "x failed\n",
                        write ? "write" : "read", n, address);
        }
        address += n;
        length -= n;
    }
    status_be = GUINT32_TO_BE(control);
    as_write_buf(as, desc, &status_be, 4);
}

static uint64_t fw_cfg_dma_read(void *opaque, uint64_t offset, unsigned size)
{
    uint64_t v = 0;

    /* The register reads as the big-endian signature "QEMU CFG". */
    for (unsigned i = 0; i < size; i++) {
        uint8_t byte = (uint8_t)(FW_CFG_DMA_SIGNATURE >> (8 * (7 - (offset + i))));
        v |= (uint64_t)byte << (8 * i);
    }
    return v;
}

static void fw_cfg_dma_write(void *opaque, uint64_t offset, uint64_t value, unsigned size)
{
    FWCfg *s = opaque;

    /* The register is big-endian: the guest writes cpu_to_be32/64 values. */
    if (size == 4 && offset == 0) {
        s->dma_addr = (uint64_t)GUINT32_SWAP_LE_BE((uint32_t)value) << 32;
    } else if (size == 4 && offset == 4) {
        s->dma_addr |= GUINT32_SWAP_LE_BE((uint32_t)value);
        fw_cfg_dma_transfer(s);
    } else if (size == 8 && offset == 0) {
        s->dma_addr = GUINT64_SWAP_LE_BE(value);
        fw_cfg_dma_transfer(s);
    } else {
        guest_error("fw_cfg: %u-byte write at DMA register offset %u ignored\n", size, (unsigned)offset);
    }
}

static const RegionOps fw_cfg_dma_ops = {
    .read = fw_cfg_dma_read,
    .write = fw_cfg_dma_write,
    .valid = { .min = 1, .max = 8 },
    .impl = { .min = 1, .max = 8 },
};

/* ---- life cycle ---- */

static void fw_cfg_reset(Device *dev, ResetKind kind)
{
    FWCfg *s = (FWCfg *)dev;

    s->cur_entry = FW_CFG_INVALID;
    s->cur_offset = 0;
    s->dma_addr = 0;
}

static bool fw_cfg_post_load(void *opaque, int version, GError **err)
{
    FWCfg *s = opaque;

    if (s->cur_entry != FW_CFG_INVALID && !fw_cfg_entry(s, s->cur_entry)) {
        g_set_error(err, IOEMU_ERROR, 0, "fw_cfg: selector 0x%x out of range", s->cur_entry);
        return false;
    }
    return true;
}

static const StateField fw_cfg_fields[] = {
    STATE_U16(FWCfg, cur_entry),
    STATE_U32(FWCfg, cur_offset),
    STATE_U64(FWCfg, dma_addr),
    STATE_FIELDS_END,
};

static const StateDescription fw_cfg_state = {
    .name = "fw_cfg",
    .version = 1,
    .min_version = 1,
    .fields = fw_cfg_fields,
    .post_load = fw_cfg_post_load,
};

static void fw_cfg_unrealize(Device *dev)
{
    FWCfg *s = (FWCfg *)dev;

    mr_free(s->io);
    mr_free(s->dma_io);
    for (int a = 0; a < 2; a++) {
        for (int i = 0; i < FW_CFG_MAX_ENTRY; i++) {
            g_free(s->entries[a][i].data);
        }
    }
    g_free(s);
}

static const DeviceClass fw_cfg_class = {
    .name = "fw_cfg",
    .reset = fw_cfg_reset,
    .unrealize = fw_cfg_unrealize,
    .state = &fw_cfg_state,
};

FWCfg *fw_cfg_create(Machine *m, uint16_t iobase, uint16_t dma_iobase)
{
    FWCfg *s = g_new0(FWCfg, 1);

    s->m = m;
    s->cur_entry = FW_CFG_INVALID;
    fw_cfg_add_bytes(s, FW_CFG_SIGNATURE, g_memdup2("QEMU", 4), 4);
    fw_cfg_add_i32(s, FW_CFG_ID, FW_CFG_VERSION | (dma_iobase ? FW_CFG_VERSION_DMA : 0));
    fw_cfg_rebuild_dir(s);

    s->io = mr_new_io("fw_cfg", 2, &fw_cfg_io_ops, s);
    mr_add_subregion(as_root(m->io), iobase, s->io, 0);
    if (dma_iobase) {
        s->dma_io = mr_new_io("fw_cfg-dma", 8, &fw_cfg_dma_ops, s);
        mr_add_subregion(as_root(m->io), dma_iobase, s->dma_io, 0);
    }
    device_register(m->devices, &s->dev, &fw_cfg_class, "fw_cfg");
    return s;
}
