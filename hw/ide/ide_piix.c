/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * PIIX3 IDE (PCI function 00:01.1): the legacy port windows of both
 * channels and the bus-master IDE DMA engine that walks PRD tables in
 * guest memory.  References: Intel 82371FB/82371SB datasheet (order
 * 290550), "IDE Configuration Registers", "PCI Bus Master IDE Registers"
 * and "Bus Master IDE Operation" (the PRD format: a 32-bit physical
 * address, a 16-bit byte count where 0 means 64 KiB, EOT in bit 31 of the
 * second dword; and how Active/Interrupt/Error report the end of a
 * transfer); SFF-8038i for the register meanings it shares.
 */
#include "hw/ide/ide_piix.h"

#include <string.h>

#include "hw/core/log.h"

#define IDE_CMD_BLOCK_SIZE      8
#define IDE_CTL_BLOCK_SIZE      1
#define BMDMA_SIZE              16
#define BMDMA_CHANNEL_STRIDE    8

static const struct {
    uint16_t cmd_base, ctl_base;
} piix_legacy_ports[2] = {
    { 0x1f0, 0x3f6 },
    { 0x170, 0x376 },
};

typedef struct BMDMAState {
    /* registers */
    uint8_t cmd;
    uint8_t status;
    uint32_t prd_addr;
    /* where the engine is in the PRD table (guest-visible through the data it moves: saved) */
    uint32_t cur_table;     /* address of the next entry to fetch */
    uint32_t cur_addr;      /* next byte of the current entry's region */
    uint32_t cur_left;      /* bytes left in the current entry */
    uint32_t entries;       /* entries fetched since the engine started */
    bool cur_eot;           /* the current entry is the last of the table */
    /* plumbing */
    struct IDEPiixState *owner;
    int channel;
} BMDMAState;

struct IDEPiixState {
    PCIDevice pci;
    Machine *m;
    IDEBus bus[2];
    BMDMAState bmdma[2];
    IrqLine *irq_out[2];        /* ISA IRQ 14 / 15 (the board's) */
    IrqLine *intrq[2];          /* each channel's INTRQ (ours), seen by the bus master status too */
    MemoryRegion *cmd_region[2];
    MemoryRegion *ctl_region[2];
    MemoryRegion *bmdma_region;
    bool restoring;             /* post_load re-drives INTRQ: not a new interrupt */
};

/* ---- legacy command/control blocks ---- */

static uint64_t ide_cmd_read(void *opaque, uint64_t offset, unsigned size)
{
    IDEBus *bus = opaque;

    if (offset == ATA_REG_DATA && size >= 2) {
        return ide_data_read(bus, size);
    }
    if (size == 1) {
        return ide_ioport_read(bus, (unsigned)offset);
    }
    /* A wide access to the byte registers: byte by byte, as the bus would split it. */
    uint64_t v = 0;
    for (unsigned i = 0; i < size && offset + i < IDE_CMD_BLOCK_SIZE; i++) {
        v |= (uint64_t)(ide_ioport_read(bus, (unsigned)(offset + i)) & 0xff) << (8 * i);
    }
    return v;
}

static void ide_cmd_write(void *opaque, uint64_t offset, uint64_t value, unsigned size)
{
    IDEBus *bus = opaque;

    if (offset == ATA_REG_DATA && size >= 2) {
        ide_data_write(bus, (uint32_t)value, size);
        return;
    }
    for (unsigned i = 0; i < size && offset + i < IDE_CMD_BLOCK_SIZE; i++) {
        ide_ioport_write(bus, (unsigned)(offset + i), (uint32_t)(value >> (8 * i)) & 0xff);
    }
}

static const RegionOps ide_cmd_ops = {
    .read = ide_cmd_read,
    .write = ide_cmd_write,
    .valid = { .min = 1, .max = 4, .unaligned = false },
    .impl = { .min = 1, .max = 4 },
};

static uint64_t ide_ctl_read(void *opaque, uint64_t offset, unsigned size)
{
    return ide_status_read(opaque);
}

static void ide_ctl_write(void *opaque, uint64_t offset, uint64_t value, unsigned size)
{
    ide_ctrl_write(opaque, (uint32_t)value);
}

static const RegionOps ide_ctl_ops = {
    .read = ide_ctl_read,
    .write = ide_ctl_write,
    .valid = { .min = 1, .max = 1 },
    .impl = { .min = 1, .max = 1 },
};

/* Legacy decode needs I/O space enable and the channel's IDETIM decode bit (datasheet PCICMD, IDETIM). */
static void ide_piix_update_legacy(IDEPiixState *s)
{
    bool io = pci_get_word(s->pci.config + PCI_COMMAND) & PCI_COMMAND_IO;

    for (int i = 0; i < 2; i++) {
        unsigned reg = i ? PIIX_IDE_IDETIM_SEC : PIIX_IDE_IDETIM_PRI;
        bool on = io && (pci_get_word(s->pci.config + reg) & PIIX_IDE_IDETIM_DECODE);
        mr_set_enabled(s->cmd_region[i], on);
        mr_set_enabled(s->ctl_region[i], on);
    }
}

/* ---- bus master IDE ---- */

static void bmdma_reset_cursor(BMDMAState *bm)
{
    bm->cur_table = bm->prd_addr;
    bm->cur_addr = 0;
    bm->cur_left = 0;
    bm->entries = 0;
    bm->cur_eot = false;
}

static void bmdma_cmd_write(BMDMAState *bm, uint8_t v)
{
    IDEBus *bus = &bm->owner->bus[bm->channel];
    uint8_t old = bm->cmd;

    if ((old & BM_CMD_START) && ((old ^ v) & BM_CMD_READ)) {
        guest_error("piix3-ide: bus master direction changed while started\n");
        v = (uint8_t)((v & ~BM_CMD_READ) | (old & BM_CMD_READ));
    }
    bm->cmd = v & (BM_CMD_START | BM_CMD_READ);
    if ((old & BM_CMD_START) && !(v & BM_CMD_START)) {
        /* Stopping the engine mid-transfer aborts it (datasheet: "Start/Stop Bus Master"). */
        bm->status &= (uint8_t)~BM_STATUS_ACTIVE;
        ide_bus_dma_cancel(bus);
    } else if (!(old & BM_CMD_START) && (v & BM_CMD_START)) {
        bm->status |= BM_STATUS_ACTIVE;
        bmdma_reset_cursor(bm);
        ide_bus_dma_run(bus);
    }
}

static uint8_t bmdma_readb(IDEPiixState *s, unsigned offset)
{
    BMDMAState *bm = &s->bmdma[offset / BMDMA_CHANNEL_STRIDE];
    unsigned reg = offset % BMDMA_CHANNEL_STRIDE;

    switch (reg) {
    case BM_REG_CMD:
        return bm->cmd;
    case BM_REG_STATUS:
        return bm->status;
    case BM_REG_PRD:
    case BM_REG_PRD + 1:
    case BM_REG_PRD + 2:
    case BM_REG_PRD + 3:
        return (uint8_t)(bm->prd_addr >> (8 * (reg - BM_REG_PRD)));
    default:
        return 0;   /* reserved */
    }
}

static void bmdma_writeb(IDEPiixState *s, unsigned offset, uint8_t v)
{
    BMDMAState *bm = &s->bmdma[offset / BMDMA_CHANNEL_STRIDE];
    unsigned reg = offset % BMDMA_CHANNEL_STRIDE;
    unsigned shift;

    switch (reg) {
    case BM_REG_CMD:
        bmdma_cmd_write(bm, v);
        break;
    case BM_REG_STATUS:
        /* Bits 6:5 read/write, Error and Interrupt write-1-to-clear, Active and Simplex read-only. */
        bm->status = (uint8_t)((bm->status & ~(BM_STATUS_DRIVE0_DMA | BM_STATUS_DRIVE1_DMA)) |
                               (v & (BM_STATUS_DRIVE0_DMA | BM_STATUS_DRIVE1_DMA)));
        bm->status &= (uint8_t)~(v & (BM_STATUS_ERROR | BM_STATUS_INT));
        break;
    case BM_REG_PRD:
    case BM_REG_PRD + 1:
    case BM_REG_PRD + 2:
    case BM_REG_PRD + 3:
        /* The table is dword aligned: bits 1:0 read as zero. */
        shift = 8 * (reg - BM_REG_PRD);
        bm->prd_addr = (bm->prd_addr & ~(0xffu << shift)) | ((uint32_t)v << shift);
        bm->prd_addr &= ~3u;
        break;
    default:
        break;
    }
}

static uint64_t bmdma_read(void *opaque, uint64_t offset, unsigned size)
{
    return bmdma_readb(opaque, (unsigned)offset);
}

static void bmdma_write(void *opaque, uint64_t offset, uint64_t value, unsigned size)
{
    bmdma_writeb(opaque, (unsigned)offset, (uint8_t)value);
}

static const RegionOps bmdma_ops = {
    .read = bmdma_read,
    .write = bmdma_write,
    .valid = { .min = 1, .max = 4, .unaligned = false },
    .impl = { .min = 1, .max = 1 },
};

/* ---- the DMA engine as the IDE core sees it ---- */

static void bmdma_start(void *opaque)
{
    BMDMAState *bm = opaque;

    if (bm->cmd & BM_CMD_START) {
        ide_bus_dma_run(&bm->owner->bus[bm->channel]);
    }
}

/* Fetch the next PRD entry; false when the table is malformed or unreachable. */
static bool bmdma_next_entry(BMDMAState *bm)
{
    uint8_t prd[8];
    uint32_t count;

    if (bm->entries >= BM_PRD_MAX_ENTRIES) {
        guest_error("piix3-ide: PRD table at 0x%08x has no end within %u entries\n",
                    bm->prd_addr, BM_PRD_MAX_ENTRIES);
        return false;
    }
    if (bm->cur_table > UINT32_MAX - sizeof(prd) + 1) {
        guest_error("piix3-ide: PRD table runs past 4 GiB\n");
        return false;
    }
    if (!as_read_buf(bm->owner->m->mem, bm->cur_table, prd, sizeof(prd))) {
        guest_error("piix3-ide: PRD entry at 0x%08x is outside guest memory\n", bm->cur_table);
        return false;
    }
    bm->cur_table += sizeof(prd);
    bm->entries++;
    /* Bit 0 of the address and of the count are reserved (word aligned); a count of 0 means 64 KiB. */
    bm->cur_addr = ((uint32_t)prd[0] | ((uint32_t)prd[1] << 8) | ((uint32_t)prd[2] << 16) |
                    ((uint32_t)prd[3] << 24)) & ~1u;
    count = ((uint32_t)prd[4] | ((uint32_t)prd[5] << 8)) & ~1u;
    bm->cur_left = count ? count : 0x10000;
    bm->cur_eot = prd[7] & 0x80;
    return true;
}

static int64_t bmdma_rw(void *opaque, void *buf, size_t len, bool to_guest)
{
    BMDMAState *bm = opaque;
    AddressSpace *as = bm->owner->m->mem;
    uint8_t *p = buf;
    size_t moved = 0;

    if (!(bm->cmd & BM_CMD_START)) {
        return 0;
    }
    if ((to_guest && !(bm->cmd & BM_CMD_READ)) || (!to_guest && (bm->cmd & BM_CMD_READ))) {
        guest_error("piix3-ide: bus master direction does not match the command\n");
    }
    while (moved < len) {
        if (bm->cur_left == 0) {
            if (bm->cur_eot) {
                break;      /* the table ended before the data: a short table */
            }
            if (!bmdma_next_entry(bm)) {
                return -1;
            }
        }
        uint32_t n = (uint32_t)MIN((size_t)bm->cur_left, len - moved);
        if ((uint64_t)bm->cur_addr + n > (1ull << 32)) {
            guest_error("piix3-ide: PRD region at 0x%08x runs past 4 GiB\n", bm->cur_addr);
            return -1;
        }
        bool ok = to_guest ? as_write_buf(as, bm->cur_addr, p + moved, n)
                           : as_read_buf(as, bm->cur_addr, p + moved, n);
        if (!ok) {
            guest_error("piix3-ide: PRD region 0x%08x+0x%x is outside guest memory\n", bm->cur_addr, n);
            return -1;
        }
        bm->cur_addr += n;
        bm->cur_left -= n;
        moved += n;
    }
    return (int64_t)moved;
}

/*
 * End of a data phase (datasheet "Bus Master IDE Status Register"):
 * Active clears when the table was used up exactly, stays set when the
 * table was larger than the transfer; Error reports a table the engine
 * could not follow.  Interrupt comes from INTRQ (bmdma_intrq).
 */
static void bmdma_finish(void *opaque, IDEDMAResult result)
{
    BMDMAState *bm = opaque;

    switch (result) {
    case IDE_DMA_RESULT_DONE:
        if (bm->cur_left == 0 && bm->cur_eot) {
            bm->status &= (uint8_t)~BM_STATUS_ACTIVE;
        }
        break;
    case IDE_DMA_RESULT_TABLE_ERROR:
        bm->status |= BM_STATUS_ERROR;
        bm->status &= (uint8_t)~BM_STATUS_ACTIVE;
        break;
    case IDE_DMA_RESULT_DEVICE_ERROR:
    case IDE_DMA_RESULT_SHORT:
    case IDE_DMA_RESULT_CANCELLED:
        bm->status &= (uint8_t)~BM_STATUS_ACTIVE;
        break;
    }
}

static const IDEDMAOps piix_dma_ops = {
    .start = bmdma_start,
    .rw = bmdma_rw,
    .finish = bmdma_finish,
};

/* INTRQ of a channel: the Interrupt status bit latches its rising edge; the level goes to the ISA IRQ. */
static void bmdma_intrq(void *opaque, int n, int level)
{
    IDEPiixState *s = opaque;

    if (level && !s->restoring) {
        s->bmdma[n].status |= BM_STATUS_INT;
    }
    irq_set(s->irq_out[n], level);
}

/* ---- PCI configuration ---- */

static bool ranges_overlap(unsigned a, unsigned alen, unsigned b, unsigned blen)
{
    return a < b + blen && b < a + alen;
}

static void ide_piix_config_write(PCIDevice *d, unsigned addr, uint32_t value, unsigned len)
{
    pci_default_config_write(d, addr, value, len);
    if (ranges_overlap(addr, len, PCI_COMMAND, 2) || ranges_overlap(addr, len, PIIX_IDE_IDETIM_PRI, 4)) {
        ide_piix_update_legacy((IDEPiixState *)d);
    }
}

static const PCIDeviceOps ide_piix_pci_ops = {
    .config_write = ide_piix_config_write,
};

/* ---- life cycle ---- */

static void ide_piix_reset_hold(Device *dev, ResetKind kind)
{
    IDEPiixState *s = (IDEPiixState *)dev;

    /* Requests in flight finish before the registers change under them. */
    for (int i = 0; i < 2; i++) {
        ide_bus_drain(&s->bus[i]);
        irq_lower(s->intrq[i]);
    }
}

static void ide_piix_reset(Device *dev, ResetKind kind)
{
    IDEPiixState *s = (IDEPiixState *)dev;
    uint8_t *c = s->pci.config;

    pci_device_reset(&s->pci);
    memset(c + PCI_CONFIG_HEADER_SIZE, 0, PCI_CONFIG_SPACE_SIZE - PCI_CONFIG_HEADER_SIZE);
    /* PCISTS 0280h: fast back-to-back capable, medium DEVSEL timing; BMIBA reads 1 (I/O space). */
    pci_set_word(c + PCI_STATUS, PCI_STATUS_FAST_BACK | PCI_STATUS_DEVSEL_MEDIUM);
    for (int i = 0; i < 2; i++) {
        memset(&s->bmdma[i], 0, offsetof(BMDMAState, owner));
        ide_bus_reset(&s->bus[i]);
    }
    ide_piix_update_legacy(s);
}

static void ide_piix_unrealize(Device *dev)
{
    IDEPiixState *s = (IDEPiixState *)dev;

    for (int i = 0; i < 2; i++) {
        ide_bus_drain(&s->bus[i]);
    }
    pci_device_exit(&s->pci);
    for (int i = 0; i < 2; i++) {
        mr_del_subregion(as_root(s->m->io), s->cmd_region[i]);
        mr_del_subregion(as_root(s->m->io), s->ctl_region[i]);
        mr_free(s->cmd_region[i]);
        mr_free(s->ctl_region[i]);
        irq_free(s->intrq[i]);
    }
    mr_free(s->bmdma_region);
    g_free(s);
}

static void ide_piix_pre_save(void *opaque)
{
    IDEPiixState *s = opaque;

    for (int i = 0; i < 2; i++) {
        ide_bus_drain(&s->bus[i]);
    }
}

static bool ide_piix_post_load(void *opaque, int version, GError **err)
{
    IDEPiixState *s = opaque;

    for (int i = 0; i < 2; i++) {
        BMDMAState *bm = &s->bmdma[i];
        bm->cmd &= BM_CMD_START | BM_CMD_READ;
        bm->prd_addr &= ~3u;
        if (bm->entries > BM_PRD_MAX_ENTRIES || (bm->cur_left > 0x10000)) {
            g_set_error(err, IOEMU_ERROR, 0, "piix3-ide: bus master %d PRD cursor out of range", i);
            return false;
        }
        if ((bm->status & BM_STATUS_ACTIVE) && !(bm->cmd & BM_CMD_START)) {
            g_set_error(err, IOEMU_ERROR, 0, "piix3-ide: bus master %d active while stopped", i);
            return false;
        }
    }
    if (!pci_device_post_load(&s->pci, err)) {
        return false;
    }
    ide_piix_update_legacy(s);
    s->restoring = true;
    for (int i = 0; i < 2; i++) {
        ide_bus_update_irq(&s->bus[i]);
    }
    s->restoring = false;
    /* A DMA command that was waiting for an engine that is already started goes now. */
    for (int i = 0; i < 2; i++) {
        if (s->bmdma[i].cmd & BM_CMD_START) {
            ide_bus_dma_run(&s->bus[i]);
        }
    }
    return true;
}

static const StateField bmdma_fields[] = {
    STATE_U8(BMDMAState, cmd),
    STATE_U8(BMDMAState, status),
    STATE_U32(BMDMAState, prd_addr),
    STATE_U32(BMDMAState, cur_table),
    STATE_U32(BMDMAState, cur_addr),
    STATE_U32(BMDMAState, cur_left),
    STATE_U32(BMDMAState, entries),
    STATE_BOOL_FIELD(BMDMAState, cur_eot),
    STATE_FIELDS_END,
};

static const StateDescription bmdma_state = {
    .name = "piix3-ide-bmdma",
    .version = 1,
    .min_version = 1,
    .fields = bmdma_fields,
};

static const StateField ide_piix_fields[] = {
    STATE_STRUCT_FIELD(IDEPiixState, pci, pci_device_state, PCIDevice),
    STATE_STRUCT_ARRAY(IDEPiixState, bmdma, 2, bmdma_state, BMDMAState),
    STATE_STRUCT_ARRAY(IDEPiixState, bus, 2, ide_bus_state, IDEBus),
    STATE_FIELDS_END,
};

static const StateDescription ide_piix_state = {
    .name = "piix3-ide",
    .version = 1,
    .min_version = 1,
    .fields = ide_piix_fields,
    .pre_save = ide_piix_pre_save,
    .post_load = ide_piix_post_load,
};

static const DeviceClass ide_piix_class = {
    .name = "piix3-ide",
    .reset_hold = ide_piix_reset_hold,
    .reset = ide_piix_reset,
    .unrealize = ide_piix_unrealize,
    .state = &ide_piix_state,
};

IDEPiixState *ide_piix3_create(Machine *m, PCIBus *bus, int devfn, BlockBackend *drives[IDE_PIIX_NUM_DRIVES],
                               bool is_cdrom[IDE_PIIX_NUM_DRIVES], IrqLine *irq14, IrqLine *irq15,
                               GError **err)
{
    IDEPiixState *s = g_new0(IDEPiixState, 1);
    uint8_t *wmask;

    s->m = m;
    s->irq_out[0] = irq14;
    s->irq_out[1] = irq15;
    for (int i = 0; i < 2; i++) {
        s->intrq[i] = irq_new(bmdma_intrq, s, i);
        s->bmdma[i].owner = s;
        s->bmdma[i].channel = i;
        ide_bus_init(&s->bus[i], i, s->intrq[i], &piix_dma_ops, &s->bmdma[i]);
    }
    for (int i = 0; i < IDE_PIIX_NUM_DRIVES; i++) {
        BlockBackend *blk = drives ? drives[i] : NULL;
        bool cd = is_cdrom ? is_cdrom[i] : false;
        if (!blk && !cd) {
            continue;
        }
        if (!ide_drive_attach(&s->bus[i / 2], i % 2, cd ? IDE_CD : IDE_HD, blk, err)) {
            goto fail;
        }
    }
    if (!pci_device_init(&s->pci, bus, devfn, &ide_piix_pci_ops, err)) {
        goto fail;
    }
    pci_config_set_ids(&s->pci, PIIX3_IDE_VENDOR_ID, PIIX3_IDE_DEVICE_ID, 0x00, 0x010180);
    wmask = s->pci.wmask;
    /* PCICMD: only I/O space enable and bus master enable are programmable. */
    pci_set_word(wmask + PCI_COMMAND, PCI_COMMAND_IO | PCI_COMMAND_MASTER);
    wmask[PCI_CACHE_LINE_SIZE] = 0;
    wmask[PCI_LATENCY_TIMER] = 0xf0;
    wmask[PCI_INTERRUPT_LINE] = 0;      /* compatibility mode: no PCI interrupt */
    memset(wmask + PCI_CONFIG_HEADER_SIZE, 0, PCI_CONFIG_SPACE_SIZE - PCI_CONFIG_HEADER_SIZE);
    pci_set_word(wmask + PIIX_IDE_IDETIM_PRI, 0xf3ff);   /* bits 13:12 reserved */
    pci_set_word(wmask + PIIX_IDE_IDETIM_SEC, 0xf3ff);
    wmask[PIIX_IDE_SIDETIM] = 0xff;

    for (int i = 0; i < 2; i++) {
        char name[32];
        g_snprintf(name, sizeof(name), "ide%d-cmd", i);
        s->cmd_region[i] = mr_new_io(name, IDE_CMD_BLOCK_SIZE, &ide_cmd_ops, &s->bus[i]);
        g_snprintf(name, sizeof(name), "ide%d-ctl", i);
        s->ctl_region[i] = mr_new_io(name, IDE_CTL_BLOCK_SIZE, &ide_ctl_ops, &s->bus[i]);
        mr_set_enabled(s->cmd_region[i], false);
        mr_set_enabled(s->ctl_region[i], false);
        mr_add_subregion(as_root(m->io), piix_legacy_ports[i].cmd_base, s->cmd_region[i], 0);
        mr_add_subregion(as_root(m->io), piix_legacy_ports[i].ctl_base, s->ctl_region[i], 0);
    }
    s->bmdma_region = mr_new_io("piix3-bmdma", BMDMA_SIZE, &bmdma_ops, s);
    pci_register_bar(&s->pci, 4, PCI_BASE_ADDRESS_SPACE_IO, s->bmdma_region);

    device_register(m->devices, &s->pci.dev, &ide_piix_class, "piix3-ide");
    return s;

fail:
    for (int i = 0; i < 2; i++) {
        irq_free(s->intrq[i]);
    }
    g_free(s);
    return NULL;
}

PCIDevice *ide_piix_pci(IDEPiixState *s)
{
    return &s->pci;
}

IDEBus *ide_piix_bus(IDEPiixState *s, int channel)
{
    return channel >= 0 && channel < 2 ? &s->bus[channel] : NULL;
}

IDEState *ide_piix_drive(IDEPiixState *s, int index)
{
    if (index < 0 || index >= IDE_PIIX_NUM_DRIVES) {
        return NULL;
    }
    return &s->bus[index / 2].ifs[index % 2];
}

bool ide_piix_hd_geometry(IDEPiixState *s, int index, uint16_t *cyls, uint16_t *heads, uint16_t *secs,
                          bool *lba_translation)
{
    IDEState *d = ide_piix_drive(s, index);

    if (!d || d->kind != IDE_HD) {
        return false;
    }
    ide_drive_geometry(d, cyls, heads, secs);
    /* BIOSes translate once the cylinders exceed what INT 13h CHS reaches (1024). */
    *lba_translation = *cyls > 1024;
    return true;
}

char *ide_piix_boot_path(IDEPiixState *s, int index)
{
    IDEState *d = ide_piix_drive(s, index);

    if (!d || d->kind == IDE_NONE) {
        return NULL;
    }
    return g_strdup_printf("/pci@i0cf8/ide@%x,%x/drive@%x/disk@%x", PCI_SLOT(s->pci.devfn),
                           PCI_FUNC(s->pci.devfn), index / 2, index % 2);
}

void ide_piix_unplug_disks(IDEPiixState *s, bool keep_primary_master)
{
    for (int i = keep_primary_master ? 1 : 0; i < IDE_PIIX_NUM_DRIVES; i++) {
        IDEState *d = ide_piix_drive(s, i);
        if (d->kind != IDE_HD) {
            continue;
        }
        BlockBackend *blk = d->blk;
        GError *err = NULL;
        ide_drive_detach(&s->bus[i / 2], i % 2);
        if (blk_flush(blk, &err) < 0) {
            fprintf(stderr, "piix3-ide: unplug: %s\n", err ? err->message : "flush failed");
            g_clear_error(&err);
        }
    }
}
