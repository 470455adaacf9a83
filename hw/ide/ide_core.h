/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The ATA/ATAPI device state machine, blind to the bus it sits on.
 *
 * An IDEBus is one ATA channel: a command block (eight registers, the
 * 16/32-bit data port at offset 0), a control block (alternate status /
 * device control), two device slots (unit 0 = master, 1 = slave), one
 * INTRQ line and an optional DMA engine reached through IDEDMAOps.  The
 * controller glue (ide_piix.c) maps the registers and forwards accesses
 * here; the core never sees a port number or a guest address.
 *
 * References: ATA/ATAPI-6 (T13/1410D) and ATA8-ACS (T13/1699-D) for the
 * register protocol, the command set and IDENTIFY data (section numbers
 * below are ATA8-ACS unless said otherwise); ATA/ATAPI-6 chapter 9 for the
 * PIO, DMA and PACKET protocols; SFF-8020i and MMC-3/MMC-5 (T10) for the
 * ATAPI packet commands (atapi.c).
 *
 * Data never moves synchronously from the image: every sector read, write
 * and flush is a blk_aio_* request whose completion, on the main loop,
 * advances the state machine and raises INTRQ.  While a request is in
 * flight the device shows BSY.  A reset or a stopped DMA engine drains the
 * device's requests (blk_drain) before it changes state, so a write the
 * guest gave up on can never land after one it issued later.
 */
#ifndef HW_IDE_IDE_CORE_H
#define HW_IDE_IDE_CORE_H

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

#include "block/block.h"
#include "hw/core/irq.h"
#include "hw/core/state.h"

#define IDE_SECTOR_SIZE         512
#define ATAPI_SECTOR_SIZE       2048
#define ATAPI_PACKET_SIZE       12
/* The PIO/reply buffer: 64 ATA sectors or 16 CD sectors per load. */
#define IDE_IO_BUFFER_SIZE      (32 * 1024)
/* SET MULTIPLE MODE accepts powers of two up to this (IDENTIFY word 47). */
#define IDE_MAX_MULT_SECTORS    16
/* Largest chunk a DMA command moves per block request (bounce buffer). */
#define IDE_DMA_CHUNK           (256 * 1024)

/* Command block register offsets (ATA8-ACS 6.x / ATA/ATAPI-6 7.x). */
#define ATA_REG_DATA            0
#define ATA_REG_ERROR           1   /* read */
#define ATA_REG_FEATURE         1   /* write */
#define ATA_REG_NSECTOR         2
#define ATA_REG_SECTOR          3   /* LBA low */
#define ATA_REG_LCYL            4   /* LBA mid, ATAPI byte count low */
#define ATA_REG_HCYL            5   /* LBA high, ATAPI byte count high */
#define ATA_REG_SELECT          6   /* device/head */
#define ATA_REG_STATUS          7   /* read */
#define ATA_REG_COMMAND         7   /* write */

/* Status register bits. */
#define ATA_STAT_BSY            0x80
#define ATA_STAT_DRDY           0x40
#define ATA_STAT_DF             0x20
#define ATA_STAT_DSC            0x10    /* seek complete (obsolete, still set by drives) */
#define ATA_STAT_DRQ            0x08
#define ATA_STAT_CORR           0x04
#define ATA_STAT_IDX            0x02
#define ATA_STAT_ERR            0x01

/* Error register bits. */
#define ATA_ERR_ICRC            0x80
#define ATA_ERR_UNC             0x40
#define ATA_ERR_MC              0x20
#define ATA_ERR_IDNF            0x10
#define ATA_ERR_MCR             0x08
#define ATA_ERR_ABRT            0x04
#define ATA_ERR_TK0NF           0x02
#define ATA_ERR_AMNF            0x01

/* Device/head register. */
#define ATA_SELECT_OBS          0xa0    /* bits 7 and 5: obsolete, traditionally 1 */
#define ATA_SELECT_LBA          0x40
#define ATA_SELECT_DEV          0x10
#define ATA_SELECT_HEAD         0x0f

/* Device control register. */
#define ATA_CTRL_HOB            0x80
#define ATA_CTRL_SRST           0x04
#define ATA_CTRL_NIEN           0x02

/* ATAPI interrupt reason (the sector count register during PACKET). */
#define ATAPI_INT_REASON_CD     0x01
#define ATAPI_INT_REASON_IO     0x02
#define ATAPI_INT_REASON_REL    0x04

/* SCSI sense keys (SPC-3 4.5.6) and the additional sense codes used here. */
#define SENSE_NONE              0x0
#define SENSE_NOT_READY         0x2
#define SENSE_MEDIUM_ERROR      0x3
#define SENSE_ILLEGAL_REQUEST   0x5
#define SENSE_UNIT_ATTENTION    0x6
#define SENSE_ABORTED_COMMAND   0xb

#define ASC_NONE                        0x00
#define ASC_UNRECOVERED_READ_ERROR      0x11
#define ASC_INVALID_OPCODE              0x20
#define ASC_LBA_OUT_OF_RANGE            0x21
#define ASC_INVALID_FIELD_IN_CDB        0x24
#define ASC_MEDIUM_MAY_HAVE_CHANGED     0x28
#define ASC_POWER_ON_RESET              0x29
#define ASC_SAVING_PARAMETERS_NOT_SUPPORTED 0x39
#define ASC_MEDIUM_NOT_PRESENT          0x3a
#define ASC_INCOMPATIBLE_FORMAT         0x30
#define ASC_MEDIUM_REMOVAL_PREVENTED    0x53
#define ASCQ_TRAY_CLOSED                0x01
#define ASCQ_TRAY_OPEN                  0x02

/* GET EVENT STATUS NOTIFICATION media event codes (MMC-5 6.6.2.4). */
#define MEDIA_EVENT_NONE        0
#define MEDIA_EVENT_EJECT_REQ   1
#define MEDIA_EVENT_NEW_MEDIA   2
#define MEDIA_EVENT_REMOVAL     3

/* CHECK POWER MODE results (ATA8-ACS 7.8). */
#define ATA_POWER_STANDBY       0x00
#define ATA_POWER_IDLE          0x80
#define ATA_POWER_ACTIVE        0xff

typedef enum IDEDriveKind {
    IDE_NONE = 0,
    IDE_HD,
    IDE_CD,
} IDEDriveKind;

/* What the end of the current PIO data block means (saved: keep values stable). */
typedef enum IDETransfer {
    IDE_XFER_NONE = 0,
    IDE_XFER_READ_SECTORS,      /* ATA PIO data-in from the image */
    IDE_XFER_WRITE_SECTORS,     /* ATA PIO data-out to the image */
    IDE_XFER_DATA_IN,           /* a one-block reply (IDENTIFY) */
    IDE_XFER_ATAPI_PACKET,      /* receiving the 12-byte command packet */
    IDE_XFER_ATAPI_DATA_IN,     /* PACKET data-in: a reply, or CD sectors */
    IDE_XFER_COUNT
} IDETransfer;

/* Which DMA command is running (saved: keep values stable). */
typedef enum IDEDMAKind {
    IDE_DMA_NONE = 0,
    IDE_DMA_ATA_READ,
    IDE_DMA_ATA_WRITE,
    IDE_DMA_ATAPI_READ,         /* CD sectors */
    IDE_DMA_ATAPI_REPLY,        /* io_buffer contents */
    IDE_DMA_COUNT
} IDEDMAKind;

/* How a DMA data phase ended, as the controller is told. */
typedef enum IDEDMAResult {
    IDE_DMA_RESULT_DONE,        /* all data moved */
    IDE_DMA_RESULT_DEVICE_ERROR,/* the drive failed the command (IO error, bad LBA) */
    IDE_DMA_RESULT_TABLE_ERROR, /* the scatter list was malformed or unreachable */
    IDE_DMA_RESULT_SHORT,       /* the scatter list ended before the data */
    IDE_DMA_RESULT_CANCELLED,   /* the controller stopped the engine */
} IDEDMAResult;

/*
 * The DMA engine a controller offers a channel.  All optional: without
 * them (or with a NULL ops) DMA commands are aborted.
 */
typedef struct IDEDMAOps {
    /* A DMA command is ready; call ide_bus_dma_run now if the engine runs, else when it starts. */
    void (*start)(void *opaque);
    /*
     * Move len bytes between buf and guest memory at the engine's current
     * position, advancing it.  Returns the bytes moved: len, fewer when
     * the scatter list ended (end of table), or -1 when the list is
     * malformed or points outside guest memory.
     */
    int64_t (*rw)(void *opaque, void *buf, size_t len, bool to_guest);
    /* The data phase ended; the drive has set its status (the IRQ follows). */
    void (*finish)(void *opaque, IDEDMAResult result);
} IDEDMAOps;

typedef struct IDEBus IDEBus;
typedef struct IDERequest IDERequest;

typedef struct IDEState {
    IDEBus *bus;
    int unit;
    /* ---- configuration (not saved) ---- */
    IDEDriveKind kind;
    BlockBackend *blk;          /* HD: the image; CD: the medium, NULL when none */
    char serial[21];
    char model[41];
    char firmware[9];
    uint64_t nb_sectors;        /* HD: 512-byte sectors; CD: 2048-byte sectors of the medium */
    uint16_t cylinders, heads, sectors;     /* default (physical) CHS geometry */
    bool write_cache_default;   /* the volatile cache the image's cache mode offers at power on */

    /* ---- guest-visible registers (saved) ---- */
    uint8_t feature, nsector, sector, lcyl, hcyl;
    uint8_t hob_feature, hob_nsector, hob_sector, hob_lcyl, hob_hcyl;
    uint8_t select;
    uint8_t status;
    uint8_t error;
    uint8_t command;            /* last accepted command */
    bool irq_pending;           /* INTRQ asserted by this device (until status read / command) */

    /* ---- device settings (saved) ---- */
    uint16_t cur_heads, cur_sectors;        /* INITIALIZE DEVICE PARAMETERS */
    uint8_t mult_sectors;       /* SET MULTIPLE MODE; 0 = disabled */
    uint8_t xfer_mode;          /* SET FEATURES 03h value: PIO/MWDMA/UDMA mode selected */
    bool write_cache;           /* SET FEATURES 02h/82h */
    uint8_t power_mode;         /* ATA_POWER_* */
    bool sleeping;              /* SLEEP: only a reset wakes the device */

    /* ---- transfer state (saved) ---- */
    uint8_t xfer;               /* IDETransfer */
    bool lba48;                 /* the running command uses 48-bit addresses */
    uint32_t data_ptr;          /* next byte of io_buffer the data port moves */
    uint32_t data_end;          /* end of the current DRQ block */
    uint32_t buf_len;           /* valid bytes in io_buffer (data-in) */
    uint64_t xfer_lba;          /* next sector to load or store */
    uint32_t xfer_remaining;    /* sectors not yet loaded (reads) or not yet received (writes) */
    uint32_t block_sectors;     /* sectors per DRQ block (ATA PIO) */
    uint8_t dma_kind;           /* IDEDMAKind */
    bool dma_waiting;           /* a DMA command waits for the engine to start */

    /* ---- ATAPI (saved) ---- */
    uint8_t sense_key, asc, ascq;
    bool media_changed;         /* unit attention pending: "medium may have changed" */
    bool tray_open;
    bool tray_locked;
    uint8_t media_event;        /* pending GET EVENT STATUS NOTIFICATION media event */
    uint16_t atapi_bcl;         /* byte count limit latched from the PACKET command */
    uint32_t packet_remaining;  /* data-in bytes of the current packet command not yet sent */
    bool atapi_dma;             /* the current packet command uses DMA */

    uint8_t io_buffer[IDE_IO_BUFFER_SIZE + 4];  /* +4: odd-length ATAPI blocks end inside a word */
    uint8_t saved_kind;         /* `kind` in the stream: a restore must match the configuration */

    /* ---- plumbing ---- */
    IDERequest *req;            /* in-flight block request, NULL when idle */
} IDEState;

struct IDEBus {
    IDEState ifs[2];
    uint8_t unit;               /* selected device (device/head bit 4) */
    uint8_t ctrl;               /* device control: SRST, nIEN, HOB */
    int bus_id;                 /* 0 = primary, 1 = secondary (names, firmware paths) */
    IrqLine *irq;               /* INTRQ */
    const IDEDMAOps *dma_ops;
    void *dma_opaque;
    bool dma_running;           /* the engine started this command's data phase */
};

/* ---- set-up (the controller glue) ---- */

void ide_bus_init(IDEBus *bus, int bus_id, IrqLine *irq, const IDEDMAOps *dma_ops, void *dma_opaque);
/*
 * Put a device in slot `unit`: an HD needs an image; a CD may start
 * empty (blk NULL).  Strings default to IOEMU's model names and a serial
 * number derived from bus and unit.  Fails (with a message) for an empty
 * HD or an image whose size is unusable.
 */
bool ide_drive_attach(IDEBus *bus, int unit, IDEDriveKind kind, BlockBackend *blk, GError **err);
/* Wait for every in-flight request of the bus (teardown, reset, save). */
void ide_bus_drain(IDEBus *bus);
/* Power-on / hard reset of both devices and the channel (drains first). */
void ide_bus_reset(IDEBus *bus);
/* Drive INTRQ from the selected device's pending interrupt and nIEN (after a restore). */
void ide_bus_update_irq(IDEBus *bus);
/* Remove a device (Xen unplug): drains, then the slot reads as absent. */
void ide_drive_detach(IDEBus *bus, int unit);

/* ---- register access (offsets 0-7 of the command block) ---- */
uint32_t ide_ioport_read(IDEBus *bus, unsigned reg);
void ide_ioport_write(IDEBus *bus, unsigned reg, uint32_t value);
/* The data port, 2 or 4 bytes per access. */
uint32_t ide_data_read(IDEBus *bus, unsigned size);
void ide_data_write(IDEBus *bus, uint32_t value, unsigned size);
/* Control block: alternate status (no side effect) and device control. */
uint32_t ide_status_read(IDEBus *bus);
void ide_ctrl_write(IDEBus *bus, uint32_t value);

/* ---- the DMA engine side ---- */
/* The engine was started (or already ran when the command came). */
void ide_bus_dma_run(IDEBus *bus);
/* The engine was stopped while the data phase ran: the command ends with ABRT, no IRQ. */
void ide_bus_dma_cancel(IDEBus *bus);
/* True while a DMA command waits for the engine or moves data. */
bool ide_bus_dma_busy(const IDEBus *bus);

/* ---- removable media (host side: monitor, tests) ---- */
/*
 * Insert `blk` (NULL: none) into a CD drive, closing the tray: the guest
 * sees a unit attention and a "new media" event.  The previous medium
 * (returned through *old, may be NULL) is the caller's to close.
 */
bool ide_cd_change_medium(IDEState *s, BlockBackend *blk, BlockBackend **old, GError **err);
/* Open the tray (eject); refused while the guest has locked it (an eject request event is queued). */
bool ide_cd_eject(IDEState *s, GError **err);

/* Default CHS geometry of an HD (as firmware tables want it). */
void ide_drive_geometry(const IDEState *s, uint16_t *cyls, uint16_t *heads, uint16_t *secs);

/*
 * State description of one channel (both devices and the channel
 * registers), to embed with STATE_STRUCT_FIELD.  The controller drains the
 * bus (ide_bus_drain) in its own pre_save, before any field is written,
 * since finishing a request may change the controller's registers too.
 */
extern const StateDescription ide_bus_state;

/* ---- used by atapi.c ---- */
void ide_atapi_packet(IDEState *s);
void ide_atapi_reset(IDEState *s);
void ide_atapi_identify(IDEState *s);
/* Core helpers atapi.c calls. */
void ide_set_irq(IDEState *s);
void ide_atapi_start_read(IDEState *s, uint64_t lba, uint32_t nb_sectors);
void ide_atapi_reply(IDEState *s, uint32_t len, uint32_t alloc_len);
void ide_atapi_ok(IDEState *s);
void ide_atapi_error(IDEState *s, uint8_t sense_key, uint8_t asc, uint8_t ascq);
void ide_put_string(uint16_t *words, const char *str, size_t nbytes);
bool ide_is_selected(const IDEState *s);

#endif
