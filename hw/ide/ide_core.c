/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * ATA/ATAPI device state machine: registers, the ATA command set, the PIO
 * and DMA data phases and the block requests behind them.  See
 * ide_core.h for the model and the references; atapi.c interprets the
 * PACKET commands.
 */
#include "hw/ide/ide_core.h"

#include <assert.h>
#include <string.h>

#include "hw/core/device.h"
#include "hw/core/log.h"

/* ATA command opcodes (ATA8-ACS chapter 7, and the obsolete ones old guests still send). */
#define WIN_NOP                     0x00
#define WIN_DEVICE_RESET            0x08
#define WIN_RECAL                   0x10    /* 0x10-0x1f */
#define WIN_READ                    0x20
#define WIN_READ_ONCE               0x21
#define WIN_READ_EXT                0x24
#define WIN_READDMA_EXT             0x25
#define WIN_MULTREAD_EXT            0x29
#define WIN_WRITE                   0x30
#define WIN_WRITE_ONCE              0x31
#define WIN_WRITE_EXT               0x34
#define WIN_WRITEDMA_EXT            0x35
#define WIN_MULTWRITE_EXT           0x39
#define WIN_VERIFY                  0x40
#define WIN_VERIFY_ONCE             0x41
#define WIN_VERIFY_EXT              0x42
#define WIN_SEEK                    0x70    /* 0x70-0x7f */
#define WIN_DIAGNOSE                0x90
#define WIN_SPECIFY                 0x91    /* INITIALIZE DEVICE PARAMETERS */
#define WIN_STANDBYNOW2             0x94
#define WIN_IDLEIMMEDIATE2          0x95
#define WIN_STANDBY2                0x96
#define WIN_SETIDLE2                0x97
#define WIN_CHECKPOWERMODE2         0x98
#define WIN_SLEEPNOW2               0x99
#define WIN_PACKETCMD               0xa0
#define WIN_PIDENTIFY               0xa1
#define WIN_MULTREAD                0xc4
#define WIN_MULTWRITE               0xc5
#define WIN_SETMULT                 0xc6
#define WIN_READDMA                 0xc8
#define WIN_READDMA_ONCE            0xc9
#define WIN_WRITEDMA                0xca
#define WIN_WRITEDMA_ONCE           0xcb
#define WIN_STANDBYNOW1             0xe0
#define WIN_IDLEIMMEDIATE           0xe1
#define WIN_STANDBY                 0xe2
#define WIN_SETIDLE1                0xe3
#define WIN_CHECKPOWERMODE1         0xe5
#define WIN_SLEEPNOW1               0xe6
#define WIN_FLUSH_CACHE             0xe7
#define WIN_FLUSH_CACHE_EXT         0xea
#define WIN_IDENTIFY                0xec
#define WIN_SETFEATURES             0xef

/* SET FEATURES subcommands (ATA8-ACS 7.48, table 40). */
#define SETFEATURES_EN_WCACHE       0x02
#define SETFEATURES_XFER            0x03
#define SETFEATURES_DIS_DEFECT      0x04    /* obsolete, accepted */
#define SETFEATURES_EN_APM          0x05
#define SETFEATURES_DIS_MSN         0x31
#define SETFEATURES_DIS_RLA         0x55    /* read look-ahead off */
#define SETFEATURES_EN_DEFAULTS     0x66    /* revert to defaults on reset: off */
#define SETFEATURES_DIS_WCACHE      0x82
#define SETFEATURES_DIS_APM         0x85
#define SETFEATURES_EN_RLA          0xaa
#define SETFEATURES_DIS_DEFAULTS    0xcc

/* Transfer mode values of SET FEATURES 03h (ATA8-ACS table 41). */
#define XFER_PIO_DEFAULT            0x00
#define XFER_PIO_DEFAULT_NO_IORDY   0x01
#define XFER_PIO_FLOW               0x08    /* | mode 0-4 */
#define XFER_MWDMA                  0x20    /* | mode 0-2 */
#define XFER_UDMA                   0x40    /* | mode 0-5 */
#define XFER_MODE_DEFAULT           (XFER_MWDMA | 2)

/* ATA/ATAPI signatures after reset (ATA8-ACS 9.12, table 184). */
#define ATAPI_SIG_LCYL              0x14
#define ATAPI_SIG_HCYL              0xeb

/* LBA28 commands address 2^28 sectors; words 60-61 saturate there. */
#define LBA28_MAX_SECTORS           0x0fffffffull
#define LBA48_MAX_SECTORS           (1ull << 48)
/* CHS limits of IDENTIFY words 1/3/6 (ATA-5 6.2.1). */
#define CHS_MAX_CYLINDERS           16383
#define CHS_MAX_HEADS               16
#define CHS_MAX_SECTORS             63

typedef enum IDERequestOp {
    REQ_PIO_READ,
    REQ_PIO_WRITE,
    REQ_VERIFY,
    REQ_FLUSH,
    REQ_DMA_READ,
    REQ_DMA_WRITE,
    REQ_ATAPI_PIO_READ,
} IDERequestOp;

struct IDERequest {
    IDEState *s;
    BlockBackend *blk;      /* the image it was issued on (a CD medium may change later) */
    IDERequestOp op;
    bool cancelled;         /* the device gave up on it: the completion only frees */
    uint8_t *buf;           /* bounce buffer, owned */
    size_t len;
    uint32_t nb_sectors;    /* sectors this request covers */
    struct iovec iov;
};

static void ide_req_done(void *opaque, int ret);
static void ide_dma_step(IDEState *s);
static void ide_pio_read_next(IDEState *s);
static void ide_atapi_next_block(IDEState *s);
static void ide_verify_next(IDEState *s);

/* ---- small helpers ---- */

static inline IDEState *ide_selected(IDEBus *bus)
{
    return &bus->ifs[bus->unit & 1];
}

bool ide_is_selected(const IDEState *s)
{
    return s->bus->unit == s->unit;
}

static inline void put_le16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}

/* INTRQ follows the selected device's pending interrupt unless nIEN masks it (ATA8-ACS 6.2.1). */
static void ide_update_irq(IDEBus *bus)
{
    IDEState *s = ide_selected(bus);
    int level = s->kind != IDE_NONE && s->irq_pending && !(bus->ctrl & ATA_CTRL_NIEN);

    irq_set(bus->irq, level);
}

void ide_bus_update_irq(IDEBus *bus)
{
    ide_update_irq(bus);
}

void ide_set_irq(IDEState *s)
{
    s->irq_pending = true;
    ide_update_irq(s->bus);
}

static void ide_clear_irq(IDEState *s)
{
    s->irq_pending = false;
    ide_update_irq(s->bus);
}

static uint32_t ide_sector_size(const IDEState *s)
{
    return s->kind == IDE_CD ? ATAPI_SECTOR_SIZE : IDE_SECTOR_SIZE;
}

/* Words of IDENTIFY data hold two characters each, the first in the high byte (ATA8-ACS 7.16.7). */
void ide_put_string(uint16_t *words, const char *str, size_t nbytes)
{
    size_t len = strlen(str);

    for (size_t i = 0; i < nbytes; i++) {
        uint8_t c = i < len ? (uint8_t)str[i] : ' ';
        size_t w = i / 2;
        if (i & 1) {
            words[w] = (uint16_t)((words[w] & 0xff00) | c);
        } else {
            words[w] = (uint16_t)((words[w] & 0x00ff) | (c << 8));
        }
    }
}

static void ide_set_signature(IDEState *s)
{
    s->select &= (uint8_t)~ATA_SELECT_HEAD;
    s->nsector = 1;
    s->sector = 1;
    if (s->kind == IDE_CD) {
        s->lcyl = ATAPI_SIG_LCYL;
        s->hcyl = ATAPI_SIG_HCYL;
    } else {
        s->lcyl = 0;
        s->hcyl = 0;
    }
}

static void ide_transfer_stop(IDEState *s)
{
    s->xfer = IDE_XFER_NONE;
    s->data_ptr = 0;
    s->data_end = 0;
    s->buf_len = 0;
    s->xfer_remaining = 0;
    s->packet_remaining = 0;
    s->status &= (uint8_t)~ATA_STAT_DRQ;
}

/* End a command with an error in the error register (ERR set), raising INTRQ. */
static void ide_error(IDEState *s, uint8_t error)
{
    ide_transfer_stop(s);
    s->dma_kind = IDE_DMA_NONE;
    s->dma_waiting = false;
    s->error = error;
    s->status = ATA_STAT_DRDY | ATA_STAT_ERR;
    if (s->kind == IDE_HD) {
        s->status |= ATA_STAT_DSC;
    }
    ide_set_irq(s);
}

static void ide_abort(IDEState *s)
{
    ide_error(s, ATA_ERR_ABRT);
}

/* Normal end of a non-data command. */
static void ide_cmd_done(IDEState *s)
{
    s->error = 0;
    s->status = ATA_STAT_DRDY | ATA_STAT_DSC;
    ide_set_irq(s);
}

/* ---- addresses ---- */

static uint32_t ide_get_nsector(const IDEState *s)
{
    if (s->lba48) {
        uint32_t n = ((uint32_t)s->hob_nsector << 8) | s->nsector;
        return n ? n : 65536;
    }
    return s->nsector ? s->nsector : 256;
}

/* The sector a command names (ATA8-ACS 4.1 LBA, 4.2 CHS); false for a CHS address outside the geometry. */
static bool ide_get_lba(const IDEState *s, uint64_t *lba)
{
    if (s->select & ATA_SELECT_LBA) {
        if (s->lba48) {
            *lba = ((uint64_t)s->hob_hcyl << 40) | ((uint64_t)s->hob_lcyl << 32) |
                   ((uint64_t)s->hob_sector << 24) | ((uint64_t)s->hcyl << 16) |
                   ((uint64_t)s->lcyl << 8) | s->sector;
        } else {
            *lba = ((uint64_t)(s->select & ATA_SELECT_HEAD) << 24) | ((uint64_t)s->hcyl << 16) |
                   ((uint64_t)s->lcyl << 8) | s->sector;
        }
        return true;
    }
    uint32_t cyl = ((uint32_t)s->hcyl << 8) | s->lcyl;
    uint32_t head = s->select & ATA_SELECT_HEAD;
    uint32_t sect = s->sector;
    if (sect == 0 || sect > s->cur_sectors || head >= s->cur_heads) {
        return false;
    }
    *lba = ((uint64_t)cyl * s->cur_heads + head) * s->cur_sectors + sect - 1;
    return true;
}

/* Write `lba` back into the address registers in the command's addressing mode. */
static void ide_set_lba(IDEState *s, uint64_t lba)
{
    if (s->select & ATA_SELECT_LBA) {
        s->sector = (uint8_t)lba;
        s->lcyl = (uint8_t)(lba >> 8);
        s->hcyl = (uint8_t)(lba >> 16);
        if (s->lba48) {
            s->hob_sector = (uint8_t)(lba >> 24);
            s->hob_lcyl = (uint8_t)(lba >> 32);
            s->hob_hcyl = (uint8_t)(lba >> 40);
        } else {
            s->select = (uint8_t)((s->select & 0xf0) | ((lba >> 24) & 0x0f));
        }
        return;
    }
    uint64_t per_cyl = (uint64_t)s->cur_heads * s->cur_sectors;
    if (per_cyl == 0) {
        return;
    }
    uint64_t cyl = lba / per_cyl;
    uint64_t rem = lba % per_cyl;
    s->hcyl = (uint8_t)(cyl >> 8);
    s->lcyl = (uint8_t)cyl;
    s->select = (uint8_t)((s->select & 0xf0) | ((rem / s->cur_sectors) & 0x0f));
    s->sector = (uint8_t)(rem % s->cur_sectors + 1);
}

static bool ide_range_ok(const IDEState *s, uint64_t lba, uint64_t count)
{
    return lba < s->nb_sectors && count <= s->nb_sectors - lba;
}

/* ---- block requests ---- */

static IDERequest *ide_req_new(IDEState *s, IDERequestOp op, uint32_t nb_sectors)
{
    IDERequest *req = g_new0(IDERequest, 1);

    req->s = s;
    req->blk = s->blk;
    req->op = op;
    req->nb_sectors = nb_sectors;
    req->len = (size_t)nb_sectors * ide_sector_size(s);
    if (req->len) {
        req->buf = g_malloc(req->len);
    }
    req->iov.iov_base = req->buf;
    req->iov.iov_len = req->len;
    assert(!s->req);
    s->req = req;
    return req;
}

static void ide_req_free(IDERequest *req)
{
    g_free(req->buf);
    g_free(req);
}

static void ide_req_submit_read(IDERequest *req, uint64_t lba)
{
    IDEState *s = req->s;
    blk_aio_preadv(s->blk, (int64_t)(lba * ide_sector_size(s)), &req->iov, 1, ide_req_done, req);
}

static void ide_req_submit_write(IDERequest *req, uint64_t lba)
{
    IDEState *s = req->s;
    blk_aio_pwritev(s->blk, (int64_t)(lba * ide_sector_size(s)), &req->iov, 1, ide_req_done, req);
}

/* Give up on the in-flight request and wait for it, so it cannot land after what comes next. */
static void ide_cancel_request(IDEState *s)
{
    IDERequest *req = s->req;

    if (!req) {
        return;
    }
    req->cancelled = true;
    s->req = NULL;
    blk_drain(req->blk);
}

void ide_bus_drain(IDEBus *bus)
{
    for (int i = 0; i < 2; i++) {
        IDEState *s = &bus->ifs[i];
        /* blk_drain also runs what the completions queue next (the rest of a DMA command). */
        if (s->req) {
            blk_drain(s->req->blk);
            assert(!s->req);
        }
    }
}

/* ---- IDENTIFY ---- */

static void ide_identify_checksum(uint8_t *p)
{
    uint8_t sum = 0xa5;

    /* Word 255: signature A5h in the low byte, then the byte that makes all 512 sum to 0 (ATA8-ACS 7.16.7.89). */
    p[510] = 0xa5;
    for (int i = 0; i < 511; i++) {
        sum = (uint8_t)(sum + (i == 510 ? 0 : p[i]));
    }
    p[511] = (uint8_t)-sum;
}

static uint16_t ide_mwdma_word(const IDEState *s)
{
    uint16_t w = 0x07;  /* multiword DMA modes 0-2 supported */
    if ((s->xfer_mode & 0xf8) == XFER_MWDMA) {
        w |= (uint16_t)(1u << (8 + (s->xfer_mode & 7)));
    }
    return w;
}

static uint16_t ide_udma_word(const IDEState *s)
{
    uint16_t w = 0x3f;  /* Ultra DMA modes 0-5 supported */
    if ((s->xfer_mode & 0xf8) == XFER_UDMA) {
        w |= (uint16_t)(1u << (8 + (s->xfer_mode & 7)));
    }
    return w;
}

/* IDENTIFY DEVICE data (ATA8-ACS 7.16.7, table 22) into io_buffer. */
static void ide_identify(IDEState *s)
{
    uint16_t w[256];
    uint64_t lba28 = MIN(s->nb_sectors, LBA28_MAX_SECTORS);
    uint32_t cur_cyls = 0;
    uint64_t cur_capacity;

    memset(w, 0, sizeof(w));
    if (s->cur_heads && s->cur_sectors) {
        cur_cyls = (uint32_t)MIN(s->nb_sectors / ((uint64_t)s->cur_heads * s->cur_sectors), 65535);
    }
    cur_capacity = (uint64_t)cur_cyls * s->cur_heads * s->cur_sectors;

    w[0] = 0x0040;                          /* fixed, not removable, ATA */
    w[1] = s->cylinders;
    w[3] = s->heads;
    w[6] = s->sectors;
    ide_put_string(&w[10], s->serial, 20);
    ide_put_string(&w[23], s->firmware, 8);
    ide_put_string(&w[27], s->model, 40);
    w[47] = 0x8000 | IDE_MAX_MULT_SECTORS;  /* READ/WRITE MULTIPLE: up to 16 sectors per block */
    w[49] = (1u << 11) | (1u << 9) | (1u << 8);     /* IORDY, LBA, DMA */
    w[50] = 0x4000;
    w[51] = 0x0200;                         /* PIO data transfer cycle timing mode 2 */
    w[53] = 0x0007;                         /* words 54-58, 64-70 and 88 are valid */
    w[54] = (uint16_t)cur_cyls;
    w[55] = s->cur_heads;
    w[56] = s->cur_sectors;
    w[57] = (uint16_t)cur_capacity;
    w[58] = (uint16_t)(cur_capacity >> 16);
    w[59] = s->mult_sectors ? (uint16_t)(0x0100 | s->mult_sectors) : 0;
    w[60] = (uint16_t)lba28;
    w[61] = (uint16_t)(lba28 >> 16);
    w[63] = ide_mwdma_word(s);
    w[64] = 0x0003;                         /* PIO modes 3 and 4 */
    w[65] = 120;                            /* minimum MWDMA cycle time, ns */
    w[66] = 120;
    w[67] = 120;
    w[68] = 120;
    w[80] = 0x00f0;                         /* ATA/ATAPI-4 to -7 */
    w[82] = (1u << 14) | (1u << 5) | (1u << 3);     /* NOP, volatile write cache, power management */
    w[83] = 0x4000 | (1u << 13) | (1u << 12) | (1u << 10);  /* FLUSH CACHE EXT, FLUSH CACHE, 48-bit */
    w[84] = 0x4000;
    w[85] = (1u << 14) | (s->write_cache ? (1u << 5) : 0) | (1u << 3);
    w[86] = (1u << 13) | (1u << 12) | (1u << 10);
    w[87] = 0x4000;
    w[88] = ide_udma_word(s);
    /* Hardware reset result: 80-conductor cable, device 0/1 passed diagnostics by jumper. */
    w[93] = (uint16_t)(0x6000 | (s->unit == 0 ? 0x000b : 0x0b00));
    w[100] = (uint16_t)s->nb_sectors;
    w[101] = (uint16_t)(s->nb_sectors >> 16);
    w[102] = (uint16_t)(s->nb_sectors >> 32);
    w[103] = (uint16_t)(s->nb_sectors >> 48);
    for (int i = 0; i < 256; i++) {
        put_le16(s->io_buffer + 2 * i, w[i]);
    }
}

void ide_atapi_identify(IDEState *s)
{
    uint16_t w[256];

    memset(w, 0, sizeof(w));
    /* ATAPI, CD-ROM device type 05h, removable, DRQ within 50 us, 12-byte packets (ATA8-ACS 7.17.7.1). */
    w[0] = 0x85c0;
    ide_put_string(&w[10], s->serial, 20);
    ide_put_string(&w[23], s->firmware, 8);
    ide_put_string(&w[27], s->model, 40);
    w[49] = (1u << 11) | (1u << 9) | (1u << 8);     /* IORDY, LBA, DMA */
    w[53] = 0x0006;                         /* words 64-70 and 88 are valid */
    w[63] = ide_mwdma_word(s);
    w[64] = 0x0003;
    w[65] = 120;
    w[66] = 120;
    w[67] = 120;
    w[68] = 120;
    w[80] = 0x001e;                         /* ATA/ATAPI-1 to -4 */
    w[82] = (1u << 14) | (1u << 9) | (1u << 4) | (1u << 3); /* NOP, DEVICE RESET, PACKET, power management */
    w[83] = 0x4000;
    w[84] = 0x4000;
    w[85] = w[82];
    w[87] = 0x4000;
    w[88] = ide_udma_word(s);
    w[93] = (uint16_t)(0x6000 | (s->unit == 0 ? 0x000b : 0x0b00));
    for (int i = 0; i < 256; i++) {
        put_le16(s->io_buffer + 2 * i, w[i]);
    }
}

/* ---- PIO data phases ---- */

/* Start a one-block data-in reply already in io_buffer (IDENTIFY). */
static void ide_data_in_start(IDEState *s, uint32_t len)
{
    s->xfer = IDE_XFER_DATA_IN;
    s->data_ptr = 0;
    s->data_end = len;
    s->buf_len = len;
    s->error = 0;
    s->status = ATA_STAT_DRDY | ATA_STAT_DSC | ATA_STAT_DRQ;
    ide_set_irq(s);
}

/* Present the next DRQ block of an ATA PIO read from io_buffer. */
static void ide_pio_read_block(IDEState *s)
{
    uint32_t block = s->block_sectors * IDE_SECTOR_SIZE;

    s->data_end = MIN(s->data_ptr + block, s->buf_len);
    s->status = ATA_STAT_DRDY | ATA_STAT_DSC | ATA_STAT_DRQ;
    /* The address registers track the last sector of the block (ATA8-ACS 7.28 normal outputs). */
    ide_set_lba(s, s->xfer_lba - (s->buf_len - s->data_end) / IDE_SECTOR_SIZE - 1);
    ide_set_irq(s);
}

static void ide_pio_read_next(IDEState *s)
{
    if (s->data_end < s->buf_len) {
        s->data_ptr = s->data_end;
        ide_pio_read_block(s);
        return;
    }
    if (s->xfer_remaining == 0) {
        /* Data-in ends without an interrupt after the last block (ATA/ATAPI-6 9.7). */
        ide_transfer_stop(s);
        s->status = ATA_STAT_DRDY | ATA_STAT_DSC;
        return;
    }
    uint32_t n = MIN(s->xfer_remaining, IDE_IO_BUFFER_SIZE / IDE_SECTOR_SIZE);
    IDERequest *req = ide_req_new(s, REQ_PIO_READ, n);
    s->status = ATA_STAT_BSY | ATA_STAT_DRDY | ATA_STAT_DSC;
    s->data_ptr = s->data_end = s->buf_len = 0;
    ide_req_submit_read(req, s->xfer_lba);
}

static void ide_pio_write_block(IDEState *s, bool irq)
{
    uint32_t n = MIN(s->xfer_remaining, s->block_sectors);

    s->data_ptr = 0;
    s->data_end = n * IDE_SECTOR_SIZE;
    s->status = ATA_STAT_DRDY | ATA_STAT_DSC | ATA_STAT_DRQ;
    if (irq) {
        ide_set_irq(s);
    }
}

/* A whole DRQ block of write data arrived: store it. */
static void ide_pio_write_store(IDEState *s)
{
    uint32_t n = s->data_end / IDE_SECTOR_SIZE;
    IDERequest *req = ide_req_new(s, REQ_PIO_WRITE, n);

    memcpy(req->buf, s->io_buffer, req->len);
    s->status = ATA_STAT_BSY | ATA_STAT_DRDY | ATA_STAT_DSC;
    ide_req_submit_write(req, s->xfer_lba);
}

/* The guest moved the last byte of the current DRQ block. */
static void ide_block_done(IDEState *s)
{
    s->data_ptr = s->data_end;
    s->status &= (uint8_t)~ATA_STAT_DRQ;
    switch (s->xfer) {
    case IDE_XFER_READ_SECTORS:
        ide_pio_read_next(s);
        break;
    case IDE_XFER_WRITE_SECTORS:
        ide_pio_write_store(s);
        break;
    case IDE_XFER_DATA_IN:
        ide_transfer_stop(s);
        s->status = ATA_STAT_DRDY | ATA_STAT_DSC;
        break;
    case IDE_XFER_ATAPI_PACKET:
        s->xfer = IDE_XFER_NONE;
        s->status = ATA_STAT_BSY | ATA_STAT_DRDY;
        ide_atapi_packet(s);
        break;
    case IDE_XFER_ATAPI_DATA_IN:
        ide_atapi_next_block(s);
        break;
    default:
        break;
    }
}

/* ---- ATAPI data-in engine (PIO and DMA), driven by atapi.c's commands ---- */

void ide_atapi_ok(IDEState *s)
{
    ide_transfer_stop(s);
    s->dma_kind = IDE_DMA_NONE;
    s->error = 0;
    s->status = ATA_STAT_DRDY | ATA_STAT_DSC;
    s->nsector = (uint8_t)((s->nsector & ~7) | ATAPI_INT_REASON_IO | ATAPI_INT_REASON_CD);
    s->sense_key = SENSE_NONE;
    s->asc = ASC_NONE;
    s->ascq = 0;
    ide_set_irq(s);
}

void ide_atapi_error(IDEState *s, uint8_t sense_key, uint8_t asc, uint8_t ascq)
{
    ide_transfer_stop(s);
    s->dma_kind = IDE_DMA_NONE;
    s->dma_waiting = false;
    /* The error register carries the sense key in bits 7:4 (SFF-8020i 7.1.2 / ATA8-ACS 7.18.5). */
    s->error = (uint8_t)(sense_key << 4);
    if (sense_key == SENSE_ILLEGAL_REQUEST || sense_key == SENSE_ABORTED_COMMAND) {
        s->error |= ATA_ERR_ABRT;
    }
    s->status = ATA_STAT_DRDY | ATA_STAT_ERR;
    s->nsector = (uint8_t)((s->nsector & ~7) | ATAPI_INT_REASON_IO | ATAPI_INT_REASON_CD);
    s->sense_key = sense_key;
    s->asc = asc;
    s->ascq = ascq;
    ide_set_irq(s);
}

static bool ide_dma_available(const IDEState *s);

static void ide_start_dma(IDEState *s, IDEDMAKind kind)
{
    IDEBus *bus = s->bus;

    if (!ide_dma_available(s)) {
        /* A controller without a DMA engine: the data phase cannot happen. */
        guest_error("ide%d.%d: DMA requested but the controller has no DMA engine\n", bus->bus_id, s->unit);
        if (s->kind == IDE_CD) {
            ide_atapi_error(s, SENSE_ABORTED_COMMAND, ASC_NONE, 0);
        } else {
            ide_abort(s);
        }
        return;
    }
    s->dma_kind = kind;
    s->dma_waiting = true;
    s->status = ATA_STAT_DRDY | ATA_STAT_DSC | ATA_STAT_DRQ;
    if (bus->dma_ops && bus->dma_ops->start) {
        bus->dma_ops->start(bus->dma_opaque);
    }
}

static bool ide_dma_available(const IDEState *s)
{
    return s->bus->dma_ops && s->bus->dma_ops->start && s->bus->dma_ops->rw;
}

void ide_atapi_reply(IDEState *s, uint32_t len, uint32_t alloc_len)
{
    uint32_t size = MIN(len, alloc_len);

    size = MIN(size, (uint32_t)IDE_IO_BUFFER_SIZE);
    if (size == 0) {
        ide_atapi_ok(s);
        return;
    }
    s->packet_remaining = size;
    s->xfer_remaining = 0;
    if (s->atapi_dma) {
        ide_start_dma(s, IDE_DMA_ATAPI_REPLY);
        return;
    }
    s->xfer = IDE_XFER_ATAPI_DATA_IN;
    s->buf_len = size;
    s->data_ptr = 0;
    s->data_end = 0;
    ide_atapi_next_block(s);
}

void ide_atapi_start_read(IDEState *s, uint64_t lba, uint32_t nb_sectors)
{
    if (nb_sectors == 0) {
        ide_atapi_ok(s);
        return;
    }
    s->xfer_lba = lba;
    s->xfer_remaining = nb_sectors;
    s->packet_remaining = (uint64_t)nb_sectors * ATAPI_SECTOR_SIZE;
    if (s->atapi_dma) {
        ide_start_dma(s, IDE_DMA_ATAPI_READ);
        return;
    }
    s->xfer = IDE_XFER_ATAPI_DATA_IN;
    s->buf_len = 0;
    s->data_ptr = 0;
    s->data_end = 0;
    ide_atapi_next_block(s);
}

/*
 * Next DRQ block of a PACKET data-in phase: at most the byte count limit
 * (even when more follows), at most what io_buffer holds; loading more CD
 * sectors first when it is used up (ATA/ATAPI-6 9.10, PACKET PIO data-in).
 */
static void ide_atapi_next_block(IDEState *s)
{
    if (s->packet_remaining == 0) {
        ide_atapi_ok(s);
        return;
    }
    if (s->data_ptr >= s->buf_len) {
        if (s->xfer_remaining == 0 || !s->blk) {
            /* Our own bookkeeping broke; end the command rather than loop. */
            ide_atapi_error(s, SENSE_ABORTED_COMMAND, ASC_NONE, 0);
            return;
        }
        uint32_t n = MIN(s->xfer_remaining, IDE_IO_BUFFER_SIZE / ATAPI_SECTOR_SIZE);
        IDERequest *req = ide_req_new(s, REQ_ATAPI_PIO_READ, n);
        s->status = ATA_STAT_BSY | ATA_STAT_DRDY;
        s->data_ptr = s->data_end = s->buf_len = 0;
        ide_req_submit_read(req, s->xfer_lba);
        return;
    }
    uint32_t limit = s->atapi_bcl;
    uint64_t block = MIN(s->packet_remaining, (uint64_t)(s->buf_len - s->data_ptr));
    if (block > limit) {
        block = limit & ~1u;    /* a block that is not the last one has an even length */
    }
    s->data_end = s->data_ptr + (uint32_t)block;
    s->packet_remaining -= block;
    s->lcyl = (uint8_t)block;
    s->hcyl = (uint8_t)(block >> 8);
    s->nsector = (uint8_t)((s->nsector & ~7) | ATAPI_INT_REASON_IO);
    s->status = ATA_STAT_DRDY | ATA_STAT_DSC | ATA_STAT_DRQ;
    ide_set_irq(s);
}

/* ---- DMA ---- */

bool ide_bus_dma_busy(const IDEBus *bus)
{
    return bus->dma_running || bus->ifs[0].dma_waiting || bus->ifs[1].dma_waiting;
}

static void ide_dma_complete(IDEState *s, IDEDMAResult result, uint8_t error)
{
    IDEBus *bus = s->bus;
    IDEDMAKind kind = (IDEDMAKind)s->dma_kind;

    bus->dma_running = false;
    s->dma_kind = IDE_DMA_NONE;
    s->dma_waiting = false;
    if (kind == IDE_DMA_ATA_READ || kind == IDE_DMA_ATA_WRITE) {
        s->status = ATA_STAT_DRDY | ATA_STAT_DSC;
        s->error = 0;
        if (result != IDE_DMA_RESULT_DONE) {
            s->status = ATA_STAT_DRDY | ATA_STAT_DSC | ATA_STAT_ERR;
            s->error = error;
            ide_set_lba(s, s->xfer_lba);
        } else if (s->xfer_lba > 0) {
            ide_set_lba(s, s->xfer_lba - 1);
        }
        s->xfer_remaining = 0;
    }
    if (bus->dma_ops && bus->dma_ops->finish) {
        bus->dma_ops->finish(bus->dma_opaque, result);
    }
    if (kind == IDE_DMA_ATAPI_READ || kind == IDE_DMA_ATAPI_REPLY) {
        if (result == IDE_DMA_RESULT_DONE) {
            ide_atapi_ok(s);
        } else if (result == IDE_DMA_RESULT_DEVICE_ERROR) {
            ide_atapi_error(s, SENSE_MEDIUM_ERROR, ASC_UNRECOVERED_READ_ERROR, 0);
        } else {
            ide_atapi_error(s, SENSE_ABORTED_COMMAND, ASC_NONE, 0);
        }
        return;
    }
    ide_set_irq(s);
}

/* Errors of the scatter list end the command with ABRT (ATA8-ACS 7.24 error outputs). */
static bool ide_dma_rw(IDEState *s, void *buf, size_t len, bool to_guest)
{
    IDEBus *bus = s->bus;
    int64_t moved = bus->dma_ops->rw(bus->dma_opaque, buf, len, to_guest);

    if (moved < 0) {
        guest_error("ide%d.%d: DMA scatter list is malformed or outside guest memory\n",
                    bus->bus_id, s->unit);
        ide_dma_complete(s, IDE_DMA_RESULT_TABLE_ERROR, ATA_ERR_ABRT);
        return false;
    }
    if ((size_t)moved < len) {
        guest_error("ide%d.%d: DMA scatter list is %" G_GINT64_FORMAT " bytes short of the transfer\n",
                    bus->bus_id, s->unit, (gint64)(len - (size_t)moved));
        ide_dma_complete(s, IDE_DMA_RESULT_SHORT, ATA_ERR_ABRT);
        return false;
    }
    return true;
}

static void ide_dma_step(IDEState *s)
{
    uint32_t secsize = ide_sector_size(s);
    uint32_t n;
    IDERequest *req;

    switch ((IDEDMAKind)s->dma_kind) {
    case IDE_DMA_ATA_READ:
    case IDE_DMA_ATAPI_READ:
        if (s->xfer_remaining == 0) {
            ide_dma_complete(s, IDE_DMA_RESULT_DONE, 0);
            return;
        }
        if (!s->blk) {
            ide_dma_complete(s, IDE_DMA_RESULT_DEVICE_ERROR, ATA_ERR_ABRT);
            return;
        }
        n = MIN(s->xfer_remaining, IDE_DMA_CHUNK / secsize);
        req = ide_req_new(s, REQ_DMA_READ, n);
        ide_req_submit_read(req, s->xfer_lba);
        return;
    case IDE_DMA_ATA_WRITE:
        if (s->xfer_remaining == 0) {
            ide_dma_complete(s, IDE_DMA_RESULT_DONE, 0);
            return;
        }
        n = MIN(s->xfer_remaining, IDE_DMA_CHUNK / secsize);
        req = ide_req_new(s, REQ_DMA_WRITE, n);
        s->req = NULL;      /* not in flight until the data is fetched */
        if (!ide_dma_rw(s, req->buf, req->len, false)) {
            ide_req_free(req);
            return;
        }
        s->req = req;
        ide_req_submit_write(req, s->xfer_lba);
        return;
    case IDE_DMA_ATAPI_REPLY:
        if (!ide_dma_rw(s, s->io_buffer, (size_t)s->packet_remaining, true)) {
            return;
        }
        s->packet_remaining = 0;
        ide_dma_complete(s, IDE_DMA_RESULT_DONE, 0);
        return;
    case IDE_DMA_NONE:
    case IDE_DMA_COUNT:
        break;
    }
    s->bus->dma_running = false;
}

void ide_bus_dma_run(IDEBus *bus)
{
    IDEState *s = ide_selected(bus);

    if (bus->dma_running || !s->dma_waiting || !ide_dma_available(s)) {
        return;
    }
    s->dma_waiting = false;
    bus->dma_running = true;
    ide_dma_step(s);
}

void ide_bus_dma_cancel(IDEBus *bus)
{
    for (int i = 0; i < 2; i++) {
        IDEState *s = &bus->ifs[i];
        if (s->dma_kind == IDE_DMA_NONE || s->dma_waiting) {
            continue;
        }
        ide_cancel_request(s);
        bus->dma_running = false;
        s->dma_kind = IDE_DMA_NONE;
        ide_transfer_stop(s);
        s->status = ATA_STAT_DRDY | ATA_STAT_ERR;
        s->error = ATA_ERR_ABRT;
        if (s->kind == IDE_CD) {
            s->sense_key = SENSE_ABORTED_COMMAND;
            s->asc = ASC_NONE;
            s->ascq = 0;
            s->error |= (uint8_t)(SENSE_ABORTED_COMMAND << 4);
        }
    }
    bus->dma_running = false;
}

/* ---- request completion (main loop) ---- */

/* A finished request moves the transfer on by the sectors it covered. */
static void ide_xfer_advance(IDEState *s, const IDERequest *req)
{
    s->xfer_lba += req->nb_sectors;
    s->xfer_remaining -= req->nb_sectors;
}

/* A read request's data becomes the PIO buffer, to be handed out from its start. */
static void ide_take_read_data(IDEState *s, const IDERequest *req)
{
    memcpy(s->io_buffer, req->buf, req->len);
    s->buf_len = (uint32_t)req->len;
    ide_xfer_advance(s, req);
    s->data_ptr = 0;
    s->data_end = 0;
}

/* A write or cache flush the backend failed: ABRT with the Device Fault status bit set (ATA8-ACS error outputs). */
static void ide_device_fault(IDEState *s)
{
    s->error = ATA_ERR_ABRT;
    s->status = ATA_STAT_DRDY | ATA_STAT_DF | ATA_STAT_ERR;
    ide_set_irq(s);
}

static void ide_req_done(void *opaque, int ret)
{
    IDERequest *req = opaque;
    IDEState *s = req->s;

    if (req->cancelled) {
        ide_req_free(req);
        return;
    }
    assert(s->req == req);
    s->req = NULL;

    switch (req->op) {
    case REQ_PIO_READ:
        if (ret < 0) {
            ide_set_lba(s, s->xfer_lba);
            ide_error(s, ATA_ERR_UNC);
            break;
        }
        ide_take_read_data(s, req);
        ide_pio_read_block(s);
        break;
    case REQ_PIO_WRITE:
        if (ret < 0) {
            ide_set_lba(s, s->xfer_lba);
            ide_transfer_stop(s);
            ide_device_fault(s);
            break;
        }
        ide_set_lba(s, s->xfer_lba + req->nb_sectors - 1);
        ide_xfer_advance(s, req);
        if (s->xfer_remaining) {
            ide_pio_write_block(s, true);
        } else {
            ide_transfer_stop(s);
            ide_cmd_done(s);
        }
        break;
    case REQ_VERIFY:
        if (ret < 0) {
            ide_set_lba(s, s->xfer_lba);
            ide_error(s, ATA_ERR_UNC);
            break;
        }
        ide_xfer_advance(s, req);
        ide_verify_next(s);
        break;
    case REQ_FLUSH:
        if (ret < 0) {
            ide_device_fault(s);
            break;
        }
        ide_cmd_done(s);
        break;
    case REQ_DMA_READ:
        if (ret < 0) {
            ide_dma_complete(s, IDE_DMA_RESULT_DEVICE_ERROR, ATA_ERR_UNC);
            break;
        }
        if (!ide_dma_rw(s, req->buf, req->len, true)) {
            break;
        }
        ide_xfer_advance(s, req);
        ide_dma_step(s);
        break;
    case REQ_DMA_WRITE:
        if (ret < 0) {
            ide_dma_complete(s, IDE_DMA_RESULT_DEVICE_ERROR, ATA_ERR_ABRT);
            break;
        }
        ide_xfer_advance(s, req);
        ide_dma_step(s);
        break;
    case REQ_ATAPI_PIO_READ:
        if (ret < 0) {
            ide_atapi_error(s, SENSE_MEDIUM_ERROR, ASC_UNRECOVERED_READ_ERROR, 0);
            break;
        }
        ide_take_read_data(s, req);
        ide_atapi_next_block(s);
        break;
    }
    ide_req_free(req);
}

/* ---- ATA commands ---- */

static void ide_verify_next(IDEState *s)
{
    if (s->xfer_remaining == 0) {
        ide_set_lba(s, s->xfer_lba - 1);
        ide_cmd_done(s);
        return;
    }
    uint32_t n = MIN(s->xfer_remaining, IDE_DMA_CHUNK / IDE_SECTOR_SIZE);
    IDERequest *req = ide_req_new(s, REQ_VERIFY, n);
    s->status = ATA_STAT_BSY | ATA_STAT_DRDY | ATA_STAT_DSC;
    ide_req_submit_read(req, s->xfer_lba);
}

/* Address checks shared by every sector command; false when the command was already ended with an error. */
static bool ide_sector_cmd_setup(IDEState *s, bool lba48, uint64_t *lba, uint32_t *count)
{
    s->lba48 = lba48;
    *count = ide_get_nsector(s);
    if (!ide_get_lba(s, lba)) {
        guest_error("ide%d.%d: CHS address outside the current geometry\n", s->bus->bus_id, s->unit);
        ide_error(s, ATA_ERR_IDNF);
        return false;
    }
    if (!ide_range_ok(s, *lba, *count)) {
        guest_error("ide%d.%d: sectors %" G_GUINT64_FORMAT "+%u beyond the end (%" G_GUINT64_FORMAT ")\n",
                    s->bus->bus_id, s->unit, (guint64)*lba, *count, (guint64)s->nb_sectors);
        ide_error(s, ATA_ERR_IDNF);
        return false;
    }
    s->power_mode = ATA_POWER_ACTIVE;
    return true;
}

static void ide_cmd_read_pio(IDEState *s, bool lba48, bool multiple)
{
    uint64_t lba;
    uint32_t count;

    if (multiple && !s->mult_sectors) {
        ide_abort(s);
        return;
    }
    if (!ide_sector_cmd_setup(s, lba48, &lba, &count)) {
        return;
    }
    s->xfer = IDE_XFER_READ_SECTORS;
    s->xfer_lba = lba;
    s->xfer_remaining = count;
    s->block_sectors = multiple ? s->mult_sectors : 1;
    s->buf_len = s->data_ptr = s->data_end = 0;
    ide_pio_read_next(s);
}

static void ide_cmd_write_pio(IDEState *s, bool lba48, bool multiple)
{
    uint64_t lba;
    uint32_t count;

    if (multiple && !s->mult_sectors) {
        ide_abort(s);
        return;
    }
    if (!ide_sector_cmd_setup(s, lba48, &lba, &count)) {
        return;
    }
    if (blk_is_read_only(s->blk)) {
        guest_error("ide%d.%d: write to a read-only disk\n", s->bus->bus_id, s->unit);
        ide_abort(s);
        return;
    }
    s->xfer = IDE_XFER_WRITE_SECTORS;
    s->xfer_lba = lba;
    s->xfer_remaining = count;
    s->block_sectors = multiple ? s->mult_sectors : 1;
    /* The first block is requested without an interrupt (ATA/ATAPI-6 9.8, PIO data-out). */
    ide_pio_write_block(s, false);
}

static void ide_cmd_dma(IDEState *s, bool lba48, bool write)
{
    uint64_t lba;
    uint32_t count;

    if (!ide_dma_available(s)) {
        ide_abort(s);
        return;
    }
    if (!ide_sector_cmd_setup(s, lba48, &lba, &count)) {
        return;
    }
    if (write && blk_is_read_only(s->blk)) {
        guest_error("ide%d.%d: write to a read-only disk\n", s->bus->bus_id, s->unit);
        ide_abort(s);
        return;
    }
    s->xfer_lba = lba;
    s->xfer_remaining = count;
    ide_start_dma(s, write ? IDE_DMA_ATA_WRITE : IDE_DMA_ATA_READ);
}

static void ide_cmd_verify(IDEState *s, bool lba48)
{
    uint64_t lba;
    uint32_t count;

    if (!ide_sector_cmd_setup(s, lba48, &lba, &count)) {
        return;
    }
    s->xfer_lba = lba;
    s->xfer_remaining = count;
    ide_verify_next(s);
}

static void ide_cmd_seek(IDEState *s)
{
    uint64_t lba;

    s->lba48 = false;
    if (!ide_get_lba(s, &lba) || lba >= s->nb_sectors) {
        ide_error(s, ATA_ERR_IDNF);
        return;
    }
    ide_cmd_done(s);
}

static void ide_cmd_flush(IDEState *s)
{
    IDERequest *req;

    if (!s->blk) {
        ide_cmd_done(s);
        return;
    }
    req = ide_req_new(s, REQ_FLUSH, 0);
    s->status = ATA_STAT_BSY | ATA_STAT_DRDY | ATA_STAT_DSC;
    blk_aio_flush(s->blk, ide_req_done, req);
}

static void ide_cmd_set_features(IDEState *s)
{
    uint8_t mode = s->nsector;

    switch (s->feature) {
    case SETFEATURES_EN_WCACHE:
    case SETFEATURES_DIS_WCACHE:
        if (s->kind != IDE_HD) {
            break;
        }
        s->write_cache = s->feature == SETFEATURES_EN_WCACHE;
        blk_set_enable_write_cache(s->blk, s->write_cache);
        ide_cmd_done(s);
        return;
    case SETFEATURES_XFER:
        switch (mode & 0xf8) {
        case XFER_PIO_DEFAULT:
            if (mode > XFER_PIO_DEFAULT_NO_IORDY) {
                goto bad_mode;
            }
            break;
        case XFER_PIO_FLOW:
            if ((mode & 7) > 4) {
                goto bad_mode;
            }
            break;
        case XFER_MWDMA:
            if ((mode & 7) > 2) {
                goto bad_mode;
            }
            break;
        case XFER_UDMA:
            if ((mode & 7) > 5) {
                goto bad_mode;
            }
            break;
        default:
            goto bad_mode;
        }
        /* One DMA mode is selected at a time; a PIO mode leaves the DMA selection alone. */
        if ((mode & 0xf8) == XFER_MWDMA || (mode & 0xf8) == XFER_UDMA) {
            s->xfer_mode = mode;
        }
        ide_cmd_done(s);
        return;
    case SETFEATURES_DIS_DEFECT:
    case SETFEATURES_EN_APM:
    case SETFEATURES_DIS_APM:
    case SETFEATURES_DIS_MSN:
    case SETFEATURES_DIS_RLA:
    case SETFEATURES_EN_RLA:
    case SETFEATURES_EN_DEFAULTS:
    case SETFEATURES_DIS_DEFAULTS:
        /* Accepted; nothing here depends on them. */
        ide_cmd_done(s);
        return;
    default:
        break;
    }
    log_unimp("ide%d.%d: SET FEATURES subcommand 0x%02x\n", s->bus->bus_id, s->unit, s->feature);
    ide_abort(s);
    return;
bad_mode:
    guest_error("ide%d.%d: SET FEATURES transfer mode 0x%02x not supported\n", s->bus->bus_id, s->unit, mode);
    ide_abort(s);
}

/* EXECUTE DEVICE DIAGNOSTIC: both devices report, the signature comes back (ATA8-ACS 7.9). */
static void ide_cmd_diagnose(IDEBus *bus)
{
    for (int i = 0; i < 2; i++) {
        IDEState *d = &bus->ifs[i];
        if (d->kind == IDE_NONE) {
            continue;
        }
        ide_set_signature(d);
        d->error = 0x01;    /* device 0 passed, device 1 passed or absent */
        d->status = d->kind == IDE_CD ? 0 : (ATA_STAT_DRDY | ATA_STAT_DSC);
    }
    bus->unit = 0;
    ide_set_irq(bus->ifs[0].kind != IDE_NONE ? &bus->ifs[0] : &bus->ifs[1]);
}

/* The state a device reset leaves (SRST, DEVICE RESET, power on). */
static void ide_device_reset(IDEState *s, bool power_on)
{
    ide_transfer_stop(s);
    s->dma_kind = IDE_DMA_NONE;
    s->dma_waiting = false;
    s->irq_pending = false;
    s->feature = s->hob_feature = 0;
    s->hob_nsector = s->hob_sector = s->hob_lcyl = s->hob_hcyl = 0;
    s->select = ATA_SELECT_OBS;
    s->command = 0;
    s->lba48 = false;
    s->sleeping = false;
    s->power_mode = ATA_POWER_ACTIVE;
    s->atapi_dma = false;
    s->atapi_bcl = 0;
    s->block_sectors = 1;
    if (power_on) {
        s->mult_sectors = 0;
        s->xfer_mode = XFER_MODE_DEFAULT;
        s->cur_heads = s->heads;
        s->cur_sectors = s->sectors;
        s->write_cache = s->write_cache_default;
        if (s->kind == IDE_HD) {
            blk_set_enable_write_cache(s->blk, s->write_cache);
        }
        s->sense_key = SENSE_NONE;
        s->asc = s->ascq = 0;
        s->tray_locked = false;
        s->media_event = MEDIA_EVENT_NONE;
    }
    ide_set_signature(s);
    s->error = 0x01;    /* diagnostic code: no error */
    if (s->kind == IDE_CD) {
        s->status = 0;
        ide_atapi_reset(s);
    } else if (s->kind == IDE_HD) {
        s->status = ATA_STAT_DRDY | ATA_STAT_DSC;
    } else {
        s->status = 0;
    }
}

static void ide_exec_cmd(IDEBus *bus, uint8_t cmd)
{
    IDEState *s = ide_selected(bus);
    bool lba48 = false;

    if (s->kind == IDE_NONE) {
        return;     /* nobody answers for an absent device */
    }
    if (s->status & (ATA_STAT_BSY | ATA_STAT_DRQ)) {
        /* Only DEVICE RESET reaches a busy ATAPI device (ATA8-ACS 7.6); anything else is dropped. */
        if (!(cmd == WIN_DEVICE_RESET && s->kind == IDE_CD)) {
            guest_error("ide%d.%d: command 0x%02x while busy (status 0x%02x) ignored\n",
                        bus->bus_id, s->unit, cmd, s->status);
            return;
        }
    }
    ide_clear_irq(s);
    s->command = cmd;
    if (s->sleeping && cmd != WIN_DEVICE_RESET) {
        guest_error("ide%d.%d: command 0x%02x to a sleeping device\n", bus->bus_id, s->unit, cmd);
        ide_abort(s);
        return;
    }

    switch (cmd) {
    case WIN_DEVICE_RESET:
        if (s->kind != IDE_CD) {
            goto abort;
        }
        ide_cancel_request(s);
        if (s->dma_kind != IDE_DMA_NONE && bus->dma_running && bus->dma_ops && bus->dma_ops->finish) {
            bus->dma_running = false;
            bus->dma_ops->finish(bus->dma_opaque, IDE_DMA_RESULT_CANCELLED);
        }
        ide_device_reset(s, false);
        return;     /* no interrupt (ATA8-ACS 7.6) */
    case WIN_IDENTIFY:
        if (s->kind != IDE_HD) {
            /* An ATAPI device aborts IDENTIFY DEVICE and shows its signature (ATA8-ACS 7.16). */
            ide_set_signature(s);
            goto abort;
        }
        ide_identify(s);
        ide_identify_checksum(s->io_buffer);
        ide_data_in_start(s, 512);
        return;
    case WIN_PIDENTIFY:
        if (s->kind != IDE_CD) {
            goto abort;
        }
        ide_atapi_identify(s);
        ide_identify_checksum(s->io_buffer);
        ide_data_in_start(s, 512);
        return;
    case WIN_PACKETCMD:
        if (s->kind != IDE_CD) {
            goto abort;
        }
        /* Features bit 0 selects DMA for the data phase; the byte count limit comes with the command. */
        s->atapi_dma = s->feature & 1;
        s->atapi_bcl = (uint16_t)(((uint16_t)s->hcyl << 8) | s->lcyl);
        if (s->atapi_bcl == 0) {
            /* Zero is not a valid limit for PIO (ATA8-ACS 7.18.3); take the largest even one. */
            if (!s->atapi_dma) {
                guest_error("ide%d.%d: PACKET with a byte count limit of 0\n", bus->bus_id, s->unit);
            }
            s->atapi_bcl = 0xfffe;
        } else if (s->atapi_bcl == 1) {
            /* Blocks other than the last have even lengths: one byte would never move anything. */
            guest_error("ide%d.%d: PACKET with a byte count limit of 1\n", bus->bus_id, s->unit);
            s->atapi_bcl = 2;
        }
        s->xfer = IDE_XFER_ATAPI_PACKET;
        s->data_ptr = 0;
        s->data_end = ATAPI_PACKET_SIZE;
        s->nsector = (uint8_t)((s->nsector & ~7) | ATAPI_INT_REASON_CD);
        s->status = ATA_STAT_DRDY | ATA_STAT_DRQ;
        s->error = 0;
        return;     /* DRQ without an interrupt: IDENTIFY PACKET word 0 bits 6:5 = 10b */
    case WIN_DIAGNOSE:
        ide_cmd_diagnose(bus);
        return;
    case WIN_CHECKPOWERMODE1:
    case WIN_CHECKPOWERMODE2:
        s->nsector = s->power_mode;
        ide_cmd_done(s);
        return;
    case WIN_STANDBYNOW1:
    case WIN_STANDBYNOW2:
    case WIN_STANDBY:
    case WIN_STANDBY2:
        s->power_mode = ATA_POWER_STANDBY;
        ide_cmd_done(s);
        return;
    case WIN_IDLEIMMEDIATE:
    case WIN_IDLEIMMEDIATE2:
    case WIN_SETIDLE1:
    case WIN_SETIDLE2:
        s->power_mode = ATA_POWER_IDLE;
        ide_cmd_done(s);
        return;
    case WIN_SLEEPNOW1:
    case WIN_SLEEPNOW2:
        s->power_mode = ATA_POWER_STANDBY;
        ide_cmd_done(s);
        s->sleeping = true;
        return;
    case WIN_SETFEATURES:
        ide_cmd_set_features(s);
        return;
    case WIN_FLUSH_CACHE:
    case WIN_FLUSH_CACHE_EXT:
        ide_cmd_flush(s);
        return;
    case WIN_NOP:
        goto abort;     /* NOP always aborts (ATA8-ACS 7.22) */
    default:
        break;
    }

    /* Everything below is for ATA disks only. */
    if (s->kind != IDE_HD) {
        if (cmd == WIN_READ || cmd == WIN_READ_ONCE) {
            ide_set_signature(s);   /* ATA-4 8.27.5.2: an ATAPI device answers READ SECTORS with its signature */
        }
        goto abort;
    }
    switch (cmd) {
    case WIN_READ_EXT:
        lba48 = true;
        /* fall through */
    case WIN_READ:
    case WIN_READ_ONCE:
        ide_cmd_read_pio(s, lba48, false);
        return;
    case WIN_MULTREAD_EXT:
        lba48 = true;
        /* fall through */
    case WIN_MULTREAD:
        ide_cmd_read_pio(s, lba48, true);
        return;
    case WIN_WRITE_EXT:
        lba48 = true;
        /* fall through */
    case WIN_WRITE:
    case WIN_WRITE_ONCE:
        ide_cmd_write_pio(s, lba48, false);
        return;
    case WIN_MULTWRITE_EXT:
        lba48 = true;
        /* fall through */
    case WIN_MULTWRITE:
        ide_cmd_write_pio(s, lba48, true);
        return;
    case WIN_READDMA_EXT:
        lba48 = true;
        /* fall through */
    case WIN_READDMA:
    case WIN_READDMA_ONCE:
        ide_cmd_dma(s, lba48, false);
        return;
    case WIN_WRITEDMA_EXT:
        lba48 = true;
        /* fall through */
    case WIN_WRITEDMA:
    case WIN_WRITEDMA_ONCE:
        ide_cmd_dma(s, lba48, true);
        return;
    case WIN_VERIFY_EXT:
        lba48 = true;
        /* fall through */
    case WIN_VERIFY:
    case WIN_VERIFY_ONCE:
        ide_cmd_verify(s, lba48);
        return;
    case WIN_SETMULT:
        /* 0 disables; otherwise a power of two the device supports (ATA8-ACS 7.47). */
        if (s->nsector > IDE_MAX_MULT_SECTORS || (s->nsector & (s->nsector - 1))) {
            goto abort;
        }
        s->mult_sectors = s->nsector;
        ide_cmd_done(s);
        return;
    case WIN_SPECIFY:
        /* INITIALIZE DEVICE PARAMETERS: logical sectors per track and heads (ATA-5 8.16). */
        if (s->nsector == 0) {
            goto abort;
        }
        s->cur_sectors = s->nsector;
        s->cur_heads = (uint16_t)((s->select & ATA_SELECT_HEAD) + 1);
        ide_cmd_done(s);
        return;
    default:
        if ((cmd & 0xf0) == WIN_RECAL) {
            s->sector = 0;
            s->lcyl = s->hcyl = 0;
            ide_cmd_done(s);
            return;
        }
        if ((cmd & 0xf0) == WIN_SEEK) {
            ide_cmd_seek(s);
            return;
        }
        break;
    }
    log_unimp("ide%d.%d: ATA command 0x%02x\n", bus->bus_id, s->unit, cmd);
abort:
    ide_abort(s);
}

/* ---- register access ---- */

uint32_t ide_ioport_read(IDEBus *bus, unsigned reg)
{
    IDEState *s = ide_selected(bus);
    bool hob = bus->ctrl & ATA_CTRL_HOB;
    bool absent = bus->ifs[0].kind == IDE_NONE && bus->ifs[1].kind == IDE_NONE;

    /* An absent device 1 does not drive the bus: its registers read as zero (as QEMU's). */
    if (reg != ATA_REG_SELECT && (absent || s->kind == IDE_NONE)) {
        return reg == ATA_REG_DATA ? 0xff : 0;
    }
    switch (reg) {
    case ATA_REG_DATA:
        guest_error("ide%d: byte read of the data port\n", bus->bus_id);
        return 0xff;
    case ATA_REG_ERROR:
        return hob ? s->hob_feature : s->error;
    case ATA_REG_NSECTOR:
        return hob ? s->hob_nsector : s->nsector;
    case ATA_REG_SECTOR:
        return hob ? s->hob_sector : s->sector;
    case ATA_REG_LCYL:
        return hob ? s->hob_lcyl : s->lcyl;
    case ATA_REG_HCYL:
        return hob ? s->hob_hcyl : s->hcyl;
    case ATA_REG_SELECT:
        return absent ? 0 : s->select;
    case ATA_REG_STATUS:
        /* Reading status acknowledges the interrupt (ATA8-ACS 6.2.8). */
        s->irq_pending = false;
        ide_update_irq(bus);
        return s->status;
    }
    return 0xff;
}

void ide_ioport_write(IDEBus *bus, unsigned reg, uint32_t value)
{
    uint8_t v = (uint8_t)value;

    if (reg == ATA_REG_COMMAND) {
        bus->ctrl &= (uint8_t)~ATA_CTRL_HOB;
        ide_exec_cmd(bus, v);
        return;
    }
    if (reg == ATA_REG_DATA) {
        guest_error("ide%d: byte write to the data port\n", bus->bus_id);
        return;
    }
    {
        IDEState *sel = ide_selected(bus);
        if (sel->kind != IDE_NONE && (sel->status & (ATA_STAT_BSY | ATA_STAT_DRQ))) {
            /* Command block writes while BSY or DRQ are undefined; keep the transfer consistent. */
            guest_error("ide%d: register %u written while busy (status 0x%02x)\n",
                        bus->bus_id, reg, sel->status);
            return;
        }
    }
    /* A command block write clears HOB (ATA8-ACS 6.2.6). */
    bus->ctrl &= (uint8_t)~ATA_CTRL_HOB;
    /* Both devices latch the command block registers; the previous value moves to the HOB copy. */
    for (int i = 0; i < 2; i++) {
        IDEState *s = &bus->ifs[i];
        switch (reg) {
        case ATA_REG_FEATURE:
            s->hob_feature = s->feature;
            s->feature = v;
            break;
        case ATA_REG_NSECTOR:
            s->hob_nsector = s->nsector;
            s->nsector = v;
            break;
        case ATA_REG_SECTOR:
            s->hob_sector = s->sector;
            s->sector = v;
            break;
        case ATA_REG_LCYL:
            s->hob_lcyl = s->lcyl;
            s->lcyl = v;
            break;
        case ATA_REG_HCYL:
            s->hob_hcyl = s->hcyl;
            s->hcyl = v;
            break;
        case ATA_REG_SELECT:
            s->select = (uint8_t)(v | ATA_SELECT_OBS);
            break;
        }
    }
    if (reg == ATA_REG_SELECT) {
        bus->unit = (v & ATA_SELECT_DEV) ? 1 : 0;
        ide_update_irq(bus);
    }
}

static uint16_t ide_data_read16(IDEBus *bus)
{
    IDEState *s = ide_selected(bus);
    uint16_t v;

    if (s->kind == IDE_NONE || !(s->status & ATA_STAT_DRQ) ||
        (s->xfer != IDE_XFER_READ_SECTORS && s->xfer != IDE_XFER_DATA_IN &&
         s->xfer != IDE_XFER_ATAPI_DATA_IN) || s->data_ptr >= s->data_end) {
        guest_error("ide%d: data port read without a data-in phase\n", bus->bus_id);
        return 0xffff;
    }
    v = (uint16_t)(s->io_buffer[s->data_ptr] | (s->io_buffer[s->data_ptr + 1] << 8));
    s->data_ptr += 2;
    if (s->data_ptr >= s->data_end) {
        ide_block_done(s);
    }
    return v;
}

static void ide_data_write16(IDEBus *bus, uint16_t v)
{
    IDEState *s = ide_selected(bus);

    if (s->kind == IDE_NONE || !(s->status & ATA_STAT_DRQ) ||
        (s->xfer != IDE_XFER_WRITE_SECTORS && s->xfer != IDE_XFER_ATAPI_PACKET) ||
        s->data_ptr >= s->data_end) {
        guest_error("ide%d: data port write without a data-out phase\n", bus->bus_id);
        return;
    }
    s->io_buffer[s->data_ptr] = (uint8_t)v;
    s->io_buffer[s->data_ptr + 1] = (uint8_t)(v >> 8);
    s->data_ptr += 2;
    if (s->data_ptr >= s->data_end) {
        ide_block_done(s);
    }
}

uint32_t ide_data_read(IDEBus *bus, unsigned size)
{
    if (size == 4) {
        uint32_t lo = ide_data_read16(bus);
        return lo | ((uint32_t)ide_data_read16(bus) << 16);
    }
    return ide_data_read16(bus);
}

void ide_data_write(IDEBus *bus, uint32_t value, unsigned size)
{
    ide_data_write16(bus, (uint16_t)value);
    if (size == 4) {
        ide_data_write16(bus, (uint16_t)(value >> 16));
    }
}

uint32_t ide_status_read(IDEBus *bus)
{
    IDEState *s = ide_selected(bus);

    if ((bus->ifs[0].kind == IDE_NONE && bus->ifs[1].kind == IDE_NONE) || s->kind == IDE_NONE) {
        return 0;
    }
    return s->status;
}

void ide_ctrl_write(IDEBus *bus, uint32_t value)
{
    uint8_t old = bus->ctrl;
    uint8_t v = (uint8_t)value;

    if (!(old & ATA_CTRL_SRST) && (v & ATA_CTRL_SRST)) {
        /* SRST asserted: both devices stop what they do and show BSY (ATA8-ACS 11.2). */
        if (bus->dma_running && bus->dma_ops && bus->dma_ops->finish) {
            bus->dma_running = false;
            bus->dma_ops->finish(bus->dma_opaque, IDE_DMA_RESULT_CANCELLED);
        }
        bus->dma_running = false;
        for (int i = 0; i < 2; i++) {
            IDEState *s = &bus->ifs[i];
            if (s->kind == IDE_NONE) {
                continue;
            }
            ide_cancel_request(s);
            ide_transfer_stop(s);
            s->dma_kind = IDE_DMA_NONE;
            s->dma_waiting = false;
            s->irq_pending = false;
            s->status = ATA_STAT_BSY | ATA_STAT_DSC;
            s->error = 0x01;
        }
    } else if ((old & ATA_CTRL_SRST) && !(v & ATA_CTRL_SRST)) {
        /* SRST released: the devices come out of reset with their signatures, device 0 selected. */
        for (int i = 0; i < 2; i++) {
            IDEState *s = &bus->ifs[i];
            if (s->kind != IDE_NONE) {
                ide_device_reset(s, false);
            }
        }
        bus->unit = 0;
    }
    bus->ctrl = v;
    ide_update_irq(bus);
}

/* ---- set-up ---- */

void ide_bus_init(IDEBus *bus, int bus_id, IrqLine *irq, const IDEDMAOps *dma_ops, void *dma_opaque)
{
    memset(bus, 0, sizeof(*bus));
    bus->bus_id = bus_id;
    bus->irq = irq;
    bus->dma_ops = dma_ops;
    bus->dma_opaque = dma_opaque;
    for (int i = 0; i < 2; i++) {
        bus->ifs[i].bus = bus;
        bus->ifs[i].unit = i;
        bus->ifs[i].kind = IDE_NONE;
        bus->ifs[i].block_sectors = 1;
    }
}

/* QEMU's guess for a disk without a partition table hint: 16 heads, 63 sectors, cylinders by size. */
static void ide_guess_geometry(IDEState *s)
{
    uint64_t cyls = s->nb_sectors / (CHS_MAX_HEADS * CHS_MAX_SECTORS);

    s->heads = CHS_MAX_HEADS;
    s->sectors = CHS_MAX_SECTORS;
    s->cylinders = (uint16_t)CLAMP(cyls, 2, CHS_MAX_CYLINDERS);
}

static void ide_cd_update_size(IDEState *s)
{
    int64_t len = s->blk ? blk_getlength(s->blk) : 0;
    s->nb_sectors = len > 0 ? (uint64_t)len / ATAPI_SECTOR_SIZE : 0;
}

bool ide_drive_attach(IDEBus *bus, int unit, IDEDriveKind kind, BlockBackend *blk, GError **err)
{
    IDEState *s;
    int64_t len;
    int index;

    if (unit < 0 || unit > 1 || kind == IDE_NONE) {
        g_set_error(err, IOEMU_ERROR, 0, "ide%d: no IDE unit %d", bus->bus_id, unit);
        return false;
    }
    s = &bus->ifs[unit];
    index = bus->bus_id * 2 + unit;
    if (s->kind != IDE_NONE) {
        g_set_error(err, IOEMU_ERROR, 0, "ide%d.%d is already in use", bus->bus_id, unit);
        return false;
    }
    if (kind == IDE_HD) {
        if (!blk) {
            g_set_error(err, IOEMU_ERROR, 0, "ide%d.%d: a hard disk needs an image", bus->bus_id, unit);
            return false;
        }
        len = blk_getlength(blk);
        if (len < IDE_SECTOR_SIZE) {
            g_set_error(err, IOEMU_ERROR, 0, "ide%d.%d: image '%s' is smaller than one sector",
                        bus->bus_id, unit, blk_filename(blk));
            return false;
        }
        if ((uint64_t)len / IDE_SECTOR_SIZE > LBA48_MAX_SECTORS) {
            g_set_error(err, IOEMU_ERROR, 0, "ide%d.%d: image '%s' is larger than 48-bit LBA reaches",
                        bus->bus_id, unit, blk_filename(blk));
            return false;
        }
        s->kind = IDE_HD;
        s->blk = blk;
        s->write_cache_default = blk_enable_write_cache(blk);
        s->nb_sectors = (uint64_t)len / IDE_SECTOR_SIZE;
        ide_guess_geometry(s);
        g_strlcpy(s->model, "IOEMU HARDDISK", sizeof(s->model));
    } else {
        s->kind = IDE_CD;
        s->blk = blk;
        ide_cd_update_size(s);
        g_strlcpy(s->model, "IOEMU DVD-ROM", sizeof(s->model));
    }
    g_snprintf(s->serial, sizeof(s->serial), "IOEMU%05d", index + 1);
    g_strlcpy(s->firmware, "0.1", sizeof(s->firmware));
    ide_device_reset(s, true);
    return true;
}

void ide_drive_detach(IDEBus *bus, int unit)
{
    IDEState *s = &bus->ifs[unit & 1];

    if (s->kind == IDE_NONE) {
        return;
    }
    ide_cancel_request(s);
    if (bus->dma_running && s->dma_kind != IDE_DMA_NONE && !s->dma_waiting) {
        bus->dma_running = false;
        if (bus->dma_ops && bus->dma_ops->finish) {
            bus->dma_ops->finish(bus->dma_opaque, IDE_DMA_RESULT_CANCELLED);
        }
    }
    ide_transfer_stop(s);
    s->irq_pending = false;
    s->kind = IDE_NONE;
    s->blk = NULL;
    s->nb_sectors = 0;
    s->status = 0;
    ide_update_irq(bus);
}

void ide_bus_reset(IDEBus *bus)
{
    for (int i = 0; i < 2; i++) {
        ide_cancel_request(&bus->ifs[i]);
    }
    bus->dma_running = false;
    bus->ctrl = 0;
    bus->unit = 0;
    for (int i = 0; i < 2; i++) {
        IDEState *s = &bus->ifs[i];
        if (s->kind != IDE_NONE) {
            ide_device_reset(s, true);
        } else {
            ide_transfer_stop(s);
            s->irq_pending = false;
            s->status = 0;
        }
    }
    irq_lower(bus->irq);
}

void ide_drive_geometry(const IDEState *s, uint16_t *cyls, uint16_t *heads, uint16_t *secs)
{
    *cyls = s->cylinders;
    *heads = s->heads;
    *secs = s->sectors;
}

/* ---- removable media ---- */

bool ide_cd_change_medium(IDEState *s, BlockBackend *blk, BlockBackend **old, GError **err)
{
    if (s->kind != IDE_CD) {
        g_set_error(err, IOEMU_ERROR, 0, "ide%d.%d is not a CD-ROM drive", s->bus->bus_id, s->unit);
        return false;
    }
    ide_cancel_request(s);
    if (s->dma_kind != IDE_DMA_NONE) {
        ide_bus_dma_cancel(s->bus);
    }
    if (s->xfer != IDE_XFER_NONE) {
        ide_atapi_error(s, SENSE_UNIT_ATTENTION, ASC_MEDIUM_MAY_HAVE_CHANGED, 0);
    }
    if (old) {
        *old = s->blk;
    }
    s->blk = blk;
    ide_cd_update_size(s);
    s->tray_open = false;
    if (blk) {
        s->media_changed = true;
        s->media_event = MEDIA_EVENT_NEW_MEDIA;
    } else {
        s->media_event = MEDIA_EVENT_REMOVAL;
    }
    return true;
}

bool ide_cd_eject(IDEState *s, GError **err)
{
    if (s->kind != IDE_CD) {
        g_set_error(err, IOEMU_ERROR, 0, "ide%d.%d is not a CD-ROM drive", s->bus->bus_id, s->unit);
        return false;
    }
    if (s->tray_locked) {
        /* The guest holds the tray: ask it to let go, as a drive's eject button does (MMC-5 6.6.2.4). */
        s->media_event = MEDIA_EVENT_EJECT_REQ;
        g_set_error(err, IOEMU_ERROR, 0, "ide%d.%d: the guest has locked the tray; eject requested",
                    s->bus->bus_id, s->unit);
        return false;
    }
    s->tray_open = true;
    s->media_event = MEDIA_EVENT_REMOVAL;
    return true;
}

/* ---- state ---- */

static const StateField ide_drive_fields[] = {
    STATE_U8(IDEState, saved_kind),
    STATE_U8(IDEState, feature),
    STATE_U8(IDEState, nsector),
    STATE_U8(IDEState, sector),
    STATE_U8(IDEState, lcyl),
    STATE_U8(IDEState, hcyl),
    STATE_U8(IDEState, hob_feature),
    STATE_U8(IDEState, hob_nsector),
    STATE_U8(IDEState, hob_sector),
    STATE_U8(IDEState, hob_lcyl),
    STATE_U8(IDEState, hob_hcyl),
    STATE_U8(IDEState, select),
    STATE_U8(IDEState, status),
    STATE_U8(IDEState, error),
    STATE_U8(IDEState, command),
    STATE_BOOL_FIELD(IDEState, irq_pending),
    STATE_U16(IDEState, cur_heads),
    STATE_U16(IDEState, cur_sectors),
    STATE_U8(IDEState, mult_sectors),
    STATE_U8(IDEState, xfer_mode),
    STATE_BOOL_FIELD(IDEState, write_cache),
    STATE_U8(IDEState, power_mode),
    STATE_BOOL_FIELD(IDEState, sleeping),
    STATE_U8(IDEState, xfer),
    STATE_BOOL_FIELD(IDEState, lba48),
    STATE_U32(IDEState, data_ptr),
    STATE_U32(IDEState, data_end),
    STATE_U32(IDEState, buf_len),
    STATE_U64(IDEState, xfer_lba),
    STATE_U32(IDEState, xfer_remaining),
    STATE_U32(IDEState, block_sectors),
    STATE_U8(IDEState, dma_kind),
    STATE_BOOL_FIELD(IDEState, dma_waiting),
    STATE_U8(IDEState, sense_key),
    STATE_U8(IDEState, asc),
    STATE_U8(IDEState, ascq),
    STATE_BOOL_FIELD(IDEState, media_changed),
    STATE_BOOL_FIELD(IDEState, tray_open),
    STATE_BOOL_FIELD(IDEState, tray_locked),
    STATE_U8(IDEState, media_event),
    STATE_U16(IDEState, atapi_bcl),
    STATE_U64(IDEState, packet_remaining),
    STATE_BOOL_FIELD(IDEState, atapi_dma),
    STATE_BUFFER_FIELD(IDEState, io_buffer),
    STATE_FIELDS_END,
};

static void ide_drive_pre_save(void *opaque)
{
    IDEState *s = opaque;
    s->saved_kind = (uint8_t)s->kind;
}

static bool ide_drive_post_load(void *opaque, int version, GError **err)
{
    IDEState *s = opaque;
    const char *why = NULL;
    uint32_t secsize = ide_sector_size(s);

    if (s->saved_kind != (uint8_t)s->kind) {
        why = "device kind differs from this machine's";
    } else if (s->xfer >= IDE_XFER_COUNT) {
        why = "transfer state out of range";
    } else if (s->dma_kind >= IDE_DMA_COUNT) {
        why = "DMA state out of range";
    } else if (s->data_end > IDE_IO_BUFFER_SIZE || s->buf_len > IDE_IO_BUFFER_SIZE ||
               s->data_ptr > s->data_end + 1) {
        why = "PIO buffer position out of range";
    } else if (s->xfer == IDE_XFER_ATAPI_PACKET && s->data_end != ATAPI_PACKET_SIZE) {
        why = "PACKET phase with a wrong length";
    } else if (s->xfer == IDE_XFER_ATAPI_DATA_IN && s->atapi_bcl < 2) {
        why = "PACKET data phase with a byte count limit below 2";
    } else if ((s->xfer == IDE_XFER_READ_SECTORS || s->xfer == IDE_XFER_ATAPI_DATA_IN ||
                s->xfer == IDE_XFER_DATA_IN) && s->data_end > s->buf_len) {
        why = "data-in block beyond the loaded data";
    } else if (s->xfer == IDE_XFER_WRITE_SECTORS &&
               (s->data_end == 0 || s->data_end % IDE_SECTOR_SIZE ||
                s->data_end / IDE_SECTOR_SIZE > s->xfer_remaining)) {
        why = "data-out block inconsistent with the sectors left";
    } else if (s->block_sectors == 0 || s->block_sectors > IDE_MAX_MULT_SECTORS) {
        why = "block size out of range";
    } else if (s->mult_sectors > IDE_MAX_MULT_SECTORS || (s->mult_sectors & (s->mult_sectors - 1))) {
        why = "multiple mode setting out of range";
    } else if (s->cur_heads > CHS_MAX_HEADS || s->cur_sectors > 255) {
        why = "CHS geometry out of range";
    } else if (s->xfer_remaining &&
               (s->xfer_lba > s->nb_sectors || s->xfer_remaining > s->nb_sectors - s->xfer_lba)) {
        why = "transfer beyond the end of the medium";
    } else if (s->packet_remaining > (uint64_t)s->xfer_remaining * secsize + IDE_IO_BUFFER_SIZE) {
        why = "PACKET data length inconsistent with the sectors left";
    } else if (s->dma_kind == IDE_DMA_ATAPI_REPLY && s->packet_remaining > IDE_IO_BUFFER_SIZE) {
        why = "DMA reply larger than the buffer";
    } else if (s->dma_kind != IDE_DMA_NONE && !s->dma_waiting) {
        why = "DMA data phase running without its engine";
    } else if (s->dma_waiting && s->dma_kind == IDE_DMA_NONE) {
        why = "waiting for a DMA engine without a DMA command";
    } else if ((s->status & ATA_STAT_BSY) && !(s->bus->ctrl & ATA_CTRL_SRST)) {
        why = "busy with no request in flight";
    } else if ((s->status & ATA_STAT_DRQ) && s->xfer == IDE_XFER_NONE && s->dma_kind == IDE_DMA_NONE) {
        why = "DRQ without a transfer";
    } else if (s->xfer != IDE_XFER_NONE && !(s->status & ATA_STAT_DRQ)) {
        why = "PIO transfer without DRQ";
    }
    if (why) {
        g_set_error(err, IOEMU_ERROR, 0, "ide%d.%d: %s", s->bus->bus_id, s->unit, why);
        return false;
    }
    /* The guest's SET FEATURES write cache choice lives in the backend too. */
    if (s->kind == IDE_HD) {
        blk_set_enable_write_cache(s->blk, s->write_cache);
    }
    return true;
}

static const StateDescription ide_drive_state = {
    .name = "ide-drive",
    .version = 1,
    .min_version = 1,
    .fields = ide_drive_fields,
    .pre_save = ide_drive_pre_save,
    .post_load = ide_drive_post_load,
};

static bool ide_bus_post_load(void *opaque, int version, GError **err)
{
    IDEBus *bus = opaque;

    if (bus->unit > 1) {
        g_set_error(err, IOEMU_ERROR, 0, "ide%d: selected unit %u out of range", bus->bus_id, bus->unit);
        return false;
    }
    /* INTRQ is re-driven by the controller once everything is loaded (ide_bus_update_irq). */
    bus->dma_running = false;
    return true;
}

static const StateField ide_bus_fields[] = {
    STATE_U8(IDEBus, unit),
    STATE_U8(IDEBus, ctrl),
    STATE_STRUCT_ARRAY(IDEBus, ifs, 2, ide_drive_state, IDEState),
    STATE_FIELDS_END,
};

const StateDescription ide_bus_state = {
    .name = "ide-bus",
    .version = 1,
    .min_version = 1,
    .fields = ide_bus_fields,
    .post_load = ide_bus_post_load,
};
