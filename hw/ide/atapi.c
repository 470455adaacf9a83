/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * ATAPI CD/DVD-ROM packet commands.  The core (ide_core.c) receives the
 * 12-byte packet and runs the data phase (PIO within the byte count limit,
 * or DMA); this file interprets the command and builds the reply.
 *
 * References: SFF-8020i rev 2.6 (ATAPI for CD-ROMs), MMC-3 (T10/1363-D)
 * and MMC-5 (T10/1675-D) for the command formats and the mode pages,
 * SPC-3 (T10/1416-D) for INQUIRY, REQUEST SENSE and the sense codes.
 */
#include <string.h>

#include "hw/core/log.h"
#include "hw/ide/ide_core.h"

/* SCSI/MMC operation codes. */
#define GPCMD_TEST_UNIT_READY           0x00
#define GPCMD_REQUEST_SENSE             0x03
#define GPCMD_INQUIRY                   0x12
#define GPCMD_START_STOP_UNIT           0x1b
#define GPCMD_PREVENT_ALLOW_MEDIUM_REMOVAL 0x1e
#define GPCMD_READ_CAPACITY             0x25
#define GPCMD_READ_10                   0x28
#define GPCMD_SEEK                      0x2b
#define GPCMD_READ_TOC_PMA_ATIP         0x43
#define GPCMD_GET_CONFIGURATION         0x46
#define GPCMD_GET_EVENT_STATUS_NOTIFICATION 0x4a
#define GPCMD_READ_DISC_INFO            0x51
#define GPCMD_MODE_SENSE_10             0x5a
#define GPCMD_READ_12                   0xa8
#define GPCMD_SET_SPEED                 0xbb
#define GPCMD_MECHANISM_STATUS          0xbd

/* Mode pages (MMC-3 5.5). */
#define MODE_PAGE_R_W_ERROR             0x01
#define MODE_PAGE_CAPABILITIES          0x2a
#define MODE_PAGE_ALL                   0x3f
#define MODE_PAGE_CONTROL_SAVED         3

/* MMC profiles (MMC-5 table 89) and feature codes (5.3). */
#define MMC_PROFILE_NONE                0x0000
#define MMC_PROFILE_CD_ROM              0x0008
#define MMC_PROFILE_DVD_ROM             0x0010
#define MMC_FEATURE_PROFILE_LIST        0x0000
#define MMC_FEATURE_CORE                0x0001
#define MMC_FEATURE_MORPHING            0x0002
#define MMC_FEATURE_REMOVABLE_MEDIUM    0x0003
#define MMC_FEATURE_RANDOM_READABLE     0x0010
#define MMC_FEATURE_CD_READ             0x001e
#define MMC_FEATURE_DVD_READ            0x001f

/* An 80-minute CD holds 360000 sectors; anything larger is presented as a DVD. */
#define CD_MAX_SECTORS                  (80 * 60 * 75)
/* The lead-in: logical block 0 is at MSF 00:02:00 (MMC-5 4.2.3.1). */
#define CD_MSF_OFFSET                   150
#define CD_FRAMES_PER_SECOND            75

#define GESN_CLASS_MEDIA                0x10    /* notification class request bit 4 */
#define GESN_NOTIFICATION_MEDIA         4
#define GESN_NEA                        0x80

/* Command flags. */
#define ATAPI_F_ALLOW_UA    0x01    /* reported even while a unit attention is pending (MMC-5 4.1.6.1) */
#define ATAPI_F_CHECK_READY 0x02    /* needs a medium in a closed tray */

static inline void put_be16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static inline void put_be32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

static inline uint16_t get_be16(const uint8_t *p)
{
    return (uint16_t)((p[0] << 8) | p[1]);
}

static inline uint32_t get_be32(const uint8_t *p)
{
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

static bool atapi_medium_ready(const IDEState *s)
{
    return s->blk && !s->tray_open;
}

static bool atapi_is_dvd(const IDEState *s)
{
    return s->nb_sectors > CD_MAX_SECTORS;
}

static uint16_t atapi_current_profile(const IDEState *s)
{
    if (!atapi_medium_ready(s)) {
        return MMC_PROFILE_NONE;
    }
    return atapi_is_dvd(s) ? MMC_PROFILE_DVD_ROM : MMC_PROFILE_CD_ROM;
}

static void lba_to_msf(uint8_t *p, uint64_t lba)
{
    lba += CD_MSF_OFFSET;
    p[0] = (uint8_t)(lba / (CD_FRAMES_PER_SECOND * 60));
    p[1] = (uint8_t)((lba / CD_FRAMES_PER_SECOND) % 60);
    p[2] = (uint8_t)(lba % CD_FRAMES_PER_SECOND);
}

static uint32_t atapi_last_lba(const IDEState *s)
{
    if (s->nb_sectors == 0) {
        return 0;
    }
    return s->nb_sectors - 1 > UINT32_MAX ? UINT32_MAX : (uint32_t)(s->nb_sectors - 1);
}

static void atapi_invalid_field(IDEState *s)
{
    ide_atapi_error(s, SENSE_ILLEGAL_REQUEST, ASC_INVALID_FIELD_IN_CDB, 0);
}

/* ---- commands ---- */

static void cmd_test_unit_ready(IDEState *s, const uint8_t *cdb)
{
    ide_atapi_ok(s);
}

/* Fixed-format sense data (SPC-3 4.5.3). */
static void cmd_request_sense(IDEState *s, const uint8_t *cdb)
{
    uint8_t *buf = s->io_buffer;
    uint8_t key = s->sense_key, asc = s->asc, ascq = s->ascq;

    if (key == SENSE_NONE && s->media_changed) {
        key = SENSE_UNIT_ATTENTION;
        asc = ASC_MEDIUM_MAY_HAVE_CHANGED;
        ascq = 0;
        s->media_changed = false;
    }
    memset(buf, 0, 18);
    buf[0] = 0x70 | 0x80;   /* current errors, VALID */
    buf[2] = key;
    buf[7] = 10;            /* additional sense length */
    buf[12] = asc;
    buf[13] = ascq;
    ide_atapi_reply(s, 18, cdb[4]);
}

static void cmd_inquiry(IDEState *s, const uint8_t *cdb)
{
    uint8_t *buf = s->io_buffer;
    uint32_t alloc = get_be16(cdb + 3);
    uint32_t len;

    if (cdb[1] & 1) {
        /* Vital product data: the page list and the unit serial number (SPC-3 7.6). */
        memset(buf, 0, 64);
        buf[0] = 0x05;
        buf[1] = cdb[2];
        switch (cdb[2]) {
        case 0x00:
            buf[3] = 2;
            buf[4] = 0x00;
            buf[5] = 0x80;
            len = 6;
            break;
        case 0x80:
            len = (uint32_t)strlen(s->serial);
            buf[3] = (uint8_t)len;
            memcpy(buf + 4, s->serial, len);
            len += 4;
            break;
        default:
            atapi_invalid_field(s);
            return;
        }
        ide_atapi_reply(s, len, alloc);
        return;
    }
    if (cdb[2]) {
        atapi_invalid_field(s);     /* a page code without EVPD */
        return;
    }
    /* Standard inquiry data (SPC-3 6.4.2; byte 3 per SFF-8020i: ATAPI version, response format). */
    memset(buf, 0, 36);
    buf[0] = 0x05;          /* CD/DVD device */
    buf[1] = 0x80;          /* removable */
    buf[2] = 0x00;
    buf[3] = 0x21;
    buf[4] = 36 - 5;        /* additional length */
    memcpy(buf + 8, "IOEMU   ", 8);
    memcpy(buf + 16, "IOEMU DVD-ROM   ", 16);
    memset(buf + 32, ' ', 4);
    memcpy(buf + 32, s->firmware, MIN(strlen(s->firmware), (size_t)4));
    ide_atapi_reply(s, 36, alloc);
}

static void cmd_read_capacity(IDEState *s, const uint8_t *cdb)
{
    uint8_t *buf = s->io_buffer;

    put_be32(buf, atapi_last_lba(s));
    put_be32(buf + 4, ATAPI_SECTOR_SIZE);
    ide_atapi_reply(s, 8, 8);
}

static void atapi_read(IDEState *s, uint64_t lba, uint32_t count)
{
    if (lba > s->nb_sectors || count > s->nb_sectors - lba) {
        guest_error("ide%d.%d: ATAPI read of %u sectors at %" G_GUINT64_FORMAT " beyond %" G_GUINT64_FORMAT "\n",
                    s->bus->bus_id, s->unit, count, (guint64)lba, (guint64)s->nb_sectors);
        ide_atapi_error(s, SENSE_ILLEGAL_REQUEST, ASC_LBA_OUT_OF_RANGE, 0);
        return;
    }
    ide_atapi_start_read(s, lba, count);
}

static void cmd_read_10(IDEState *s, const uint8_t *cdb)
{
    atapi_read(s, get_be32(cdb + 2), get_be16(cdb + 7));
}

static void cmd_read_12(IDEState *s, const uint8_t *cdb)
{
    atapi_read(s, get_be32(cdb + 2), get_be32(cdb + 6));
}

static void cmd_seek(IDEState *s, const uint8_t *cdb)
{
    if (get_be32(cdb + 2) >= s->nb_sectors) {
        ide_atapi_error(s, SENSE_ILLEGAL_REQUEST, ASC_LBA_OUT_OF_RANGE, 0);
        return;
    }
    ide_atapi_ok(s);
}

/* One TOC track descriptor (MMC-5 6.26.3.2): ADR 1 / data track control, track number, address. */
static uint8_t *toc_descriptor(uint8_t *p, uint8_t track, uint64_t lba, bool msf)
{
    p[0] = 0;
    p[1] = 0x14;
    p[2] = track;
    p[3] = 0;
    if (msf) {
        p[4] = 0;
        lba_to_msf(p + 5, lba);
    } else {
        put_be32(p + 4, (uint32_t)lba);
    }
    return p + 8;
}

/* READ TOC/PMA/ATIP for a single-session disc with one data track (MMC-5 6.26). */
static void cmd_read_toc(IDEState *s, const uint8_t *cdb)
{
    uint8_t *buf = s->io_buffer;
    uint8_t *p;
    bool msf = cdb[1] & 2;
    uint8_t format = cdb[2] & 0x0f;
    uint8_t start_track = cdb[6];
    uint32_t alloc = get_be16(cdb + 7);

    if (format == 0) {
        format = cdb[9] >> 6;   /* the older SFF-8020i place of the format field */
    }
    memset(buf, 0, 64);
    switch (format) {
    case 0:     /* formatted TOC */
        if (start_track > 1 && start_track != 0xaa) {
            atapi_invalid_field(s);
            return;
        }
        buf[2] = 1;
        buf[3] = 1;
        p = buf + 4;
        if (start_track <= 1) {
            p = toc_descriptor(p, 1, 0, msf);
        }
        p = toc_descriptor(p, 0xaa, s->nb_sectors, msf);    /* lead-out */
        break;
    case 1:     /* multi-session information: the first track of the last session */
        buf[2] = 1;
        buf[3] = 1;
        p = toc_descriptor(buf + 4, 1, 0, msf);
        break;
    case 2: {   /* raw TOC: points A0, A1, A2 and the track, always in MSF */
        static const uint8_t points[] = { 0xa0, 0xa1, 0xa2, 0x01 };
        buf[2] = 1;
        buf[3] = 1;
        p = buf + 4;
        for (size_t i = 0; i < G_N_ELEMENTS(points); i++) {
            p[0] = 1;           /* session */
            p[1] = 0x14;
            p[2] = 0;           /* TNO: lead-in */
            p[3] = points[i];
            switch (points[i]) {
            case 0xa0:
                p[8] = 1;       /* first track; PSEC 0: CD-DA or CD-ROM disc */
                break;
            case 0xa1:
                p[8] = 1;       /* last track */
                break;
            case 0xa2:
                lba_to_msf(p + 8, s->nb_sectors);
                break;
            default:
                lba_to_msf(p + 8, 0);
                break;
            }
            p += 11;
        }
        break;
    }
    default:
        atapi_invalid_field(s);
        return;
    }
    put_be16(buf, (uint16_t)(p - buf - 2));
    ide_atapi_reply(s, (uint32_t)(p - buf), alloc);
}

/* Feature descriptor header (MMC-5 5.2.2): code, version/persistent/current, additional length. */
static uint8_t *feature_header(uint8_t *p, uint16_t code, uint8_t version, bool persistent, bool current,
                               uint8_t len)
{
    put_be16(p, code);
    p[2] = (uint8_t)((version << 2) | (persistent ? 2 : 0) | (current ? 1 : 0));
    p[3] = len;
    memset(p + 4, 0, len);
    return p + 4;
}

static bool feature_wanted(uint8_t rt, uint16_t start, uint16_t code, bool current)
{
    switch (rt) {
    case 0:
        return code >= start;
    case 1:
        return code >= start && current;
    default:
        return code == start;
    }
}

static void cmd_get_configuration(IDEState *s, const uint8_t *cdb)
{
    uint8_t *buf = s->io_buffer;
    uint8_t rt = cdb[1] & 3;
    uint16_t start = get_be16(cdb + 2);
    uint32_t alloc = get_be16(cdb + 7);
    uint16_t profile = atapi_current_profile(s);
    bool ready = profile != MMC_PROFILE_NONE;
    uint8_t *p = buf + 8, *d;

    if (rt == 3) {
        atapi_invalid_field(s);
        return;
    }
    memset(buf, 0, 8);
    put_be16(buf + 6, profile);

    if (feature_wanted(rt, start, MMC_FEATURE_PROFILE_LIST, true)) {
        d = feature_header(p, MMC_FEATURE_PROFILE_LIST, 0, true, true, 8);
        put_be16(d, MMC_PROFILE_DVD_ROM);
        d[2] = profile == MMC_PROFILE_DVD_ROM;
        put_be16(d + 4, MMC_PROFILE_CD_ROM);
        d[6] = profile == MMC_PROFILE_CD_ROM;
        p = d + 8;
    }
    if (feature_wanted(rt, start, MMC_FEATURE_CORE, true)) {
        d = feature_header(p, MMC_FEATURE_CORE, 1, true, true, 8);
        put_be32(d, 2);         /* physical interface standard: ATAPI */
        p = d + 8;
    }
    if (feature_wanted(rt, start, MMC_FEATURE_MORPHING, true)) {
        d = feature_header(p, MMC_FEATURE_MORPHING, 1, true, true, 4);
        d[0] = 0x02;            /* OCEvent: GET EVENT STATUS NOTIFICATION reports events */
        p = d + 4;
    }
    if (feature_wanted(rt, start, MMC_FEATURE_REMOVABLE_MEDIUM, true)) {
        d = feature_header(p, MMC_FEATURE_REMOVABLE_MEDIUM, 0, true, true, 4);
        d[0] = 0x29;            /* tray loading mechanism, eject, lock */
        p = d + 4;
    }
    if (feature_wanted(rt, start, MMC_FEATURE_RANDOM_READABLE, ready)) {
        d = feature_header(p, MMC_FEATURE_RANDOM_READABLE, 0, false, ready, 8);
        put_be32(d, ATAPI_SECTOR_SIZE);
        put_be16(d + 4, profile == MMC_PROFILE_DVD_ROM ? 16 : 1);   /* blocking */
        p = d + 8;
    }
    if (feature_wanted(rt, start, MMC_FEATURE_CD_READ, profile == MMC_PROFILE_CD_ROM)) {
        d = feature_header(p, MMC_FEATURE_CD_READ, 0, false, profile == MMC_PROFILE_CD_ROM, 4);
        p = d + 4;
    }
    if (feature_wanted(rt, start, MMC_FEATURE_DVD_READ, profile == MMC_PROFILE_DVD_ROM)) {
        d = feature_header(p, MMC_FEATURE_DVD_READ, 0, false, profile == MMC_PROFILE_DVD_ROM, 0);
        p = d;
    }
    put_be32(buf, (uint32_t)(p - buf - 4));
    ide_atapi_reply(s, (uint32_t)(p - buf), alloc);
}

/* Polled GET EVENT STATUS NOTIFICATION, media class only (MMC-5 6.6). */
static void cmd_get_event_status(IDEState *s, const uint8_t *cdb)
{
    uint8_t *buf = s->io_buffer;
    uint32_t alloc = get_be16(cdb + 7);
    uint32_t len;

    if (!(cdb[1] & 1)) {
        /* Asynchronous notification is not supported: the polled bit is required. */
        atapi_invalid_field(s);
        return;
    }
    memset(buf, 0, 8);
    buf[3] = GESN_CLASS_MEDIA;      /* supported event classes */
    if (cdb[4] & GESN_CLASS_MEDIA) {
        buf[2] = GESN_NOTIFICATION_MEDIA;
        buf[4] = s->media_event & 0x0f;
        buf[5] = (uint8_t)((s->tray_open ? 0x01 : 0) | (atapi_medium_ready(s) ? 0x02 : 0));
        s->media_event = MEDIA_EVENT_NONE;
        len = 8;
    } else {
        buf[2] = GESN_NEA;
        len = 4;
    }
    put_be16(buf, (uint16_t)(len - 2));
    ide_atapi_reply(s, len, alloc);
}

static void cmd_read_disc_info(IDEState *s, const uint8_t *cdb)
{
    uint8_t *buf = s->io_buffer;
    uint32_t alloc = get_be16(cdb + 7);

    if ((cdb[1] & 7) != 0) {
        atapi_invalid_field(s);     /* only the standard disc information (data type 000b) */
        return;
    }
    /* A finalised single-session disc with one track (MMC-5 6.22.3). */
    memset(buf, 0, 34);
    put_be16(buf, 32);
    buf[2] = 0x0e;          /* last session complete, disc complete */
    buf[3] = 1;             /* first track on disc */
    buf[4] = 1;             /* number of sessions */
    buf[5] = 1;             /* first track in last session */
    buf[6] = 1;             /* last track in last session */
    buf[7] = 0x20;          /* unrestricted use */
    memset(buf + 16, 0xff, 8);  /* lead-in start and last possible lead-out: not applicable */
    ide_atapi_reply(s, 34, alloc);
}

static uint8_t *mode_page_error_recovery(uint8_t *p, bool changeable)
{
    memset(p, 0, 8);
    p[0] = MODE_PAGE_R_W_ERROR;
    p[1] = 6;
    if (!changeable) {
        p[3] = 5;           /* read retry count */
    }
    return p + 8;
}

/* CD/DVD capabilities and mechanical status page (MMC-3 5.5.10). */
static uint8_t *mode_page_capabilities(IDEState *s, uint8_t *p, bool changeable)
{
    memset(p, 0, 20);
    p[0] = MODE_PAGE_CAPABILITIES;
    p[1] = 18;
    if (changeable) {
        return p + 20;
    }
    p[2] = 0x3b;            /* reads CD-R, CD-RW, DVD-ROM, DVD-R, DVD-RAM */
    p[3] = 0x00;            /* writes nothing */
    p[4] = 0x71;            /* audio play, mode 2 form 1 and 2, multi-session */
    p[5] = 0xff;            /* CD-DA commands, accurate stream, subchannels, UPC, ISRC */
    p[6] = (uint8_t)(0x29 | (s->tray_locked ? 0x02 : 0));  /* tray, eject, lock (and its state) */
    put_be16(p + 8, 706);   /* maximum read speed, kB/s (4x) */
    put_be16(p + 10, 2);    /* volume levels */
    put_be16(p + 12, 512);  /* buffer size, KiB */
    put_be16(p + 14, 706);  /* current read speed */
    return p + 20;
}

static void cmd_mode_sense_10(IDEState *s, const uint8_t *cdb)
{
    uint8_t *buf = s->io_buffer;
    uint8_t pc = cdb[2] >> 6;
    uint8_t page = cdb[2] & 0x3f;
    uint32_t alloc = get_be16(cdb + 7);
    bool changeable = pc == 1;
    uint8_t *p = buf + 8;

    if (pc == MODE_PAGE_CONTROL_SAVED) {
        ide_atapi_error(s, SENSE_ILLEGAL_REQUEST, ASC_SAVING_PARAMETERS_NOT_SUPPORTED, 0);
        return;
    }
    memset(buf, 0, 8);
    /* Medium type (MMC-1 table): 01h 120 mm data disc, 70h no disc, 71h door open. */
    buf[2] = atapi_medium_ready(s) ? 0x01 : (s->tray_open ? 0x71 : 0x70);
    switch (page) {
    case MODE_PAGE_R_W_ERROR:
        p = mode_page_error_recovery(p, changeable);
        break;
    case MODE_PAGE_CAPABILITIES:
        p = mode_page_capabilities(s, p, changeable);
        break;
    case MODE_PAGE_ALL:
        p = mode_page_error_recovery(p, changeable);
        p = mode_page_capabilities(s, p, changeable);
        break;
    default:
        atapi_invalid_field(s);
        return;
    }
    put_be16(buf, (uint16_t)(p - buf - 2));
    ide_atapi_reply(s, (uint32_t)(p - buf), alloc);
}

/* START STOP UNIT: LoEj with Start clear opens the tray, with Start set closes it (SBC/MMC-5 6.40). */
static void cmd_start_stop_unit(IDEState *s, const uint8_t *cdb)
{
    bool loej = cdb[4] & 2;
    bool start = cdb[4] & 1;

    if (loej) {
        if (!start) {
            if (s->tray_locked) {
                ide_atapi_error(s, SENSE_ILLEGAL_REQUEST, ASC_MEDIUM_REMOVAL_PREVENTED, 2);
                return;
            }
            if (!s->tray_open) {
                s->tray_open = true;
                s->media_event = MEDIA_EVENT_REMOVAL;
            }
        } else if (s->tray_open) {
            s->tray_open = false;
            if (s->blk) {
                /* Closing the tray over a medium is a medium change for the host (MMC-5 4.1.6.1). */
                s->media_changed = true;
                s->media_event = MEDIA_EVENT_NEW_MEDIA;
            }
        }
    }
    ide_atapi_ok(s);
}

static void cmd_prevent_allow(IDEState *s, const uint8_t *cdb)
{
    s->tray_locked = cdb[4] & 1;
    ide_atapi_ok(s);
}

static void cmd_set_speed(IDEState *s, const uint8_t *cdb)
{
    ide_atapi_ok(s);
}

static void cmd_mechanism_status(IDEState *s, const uint8_t *cdb)
{
    uint8_t *buf = s->io_buffer;

    /* Header only: no changer, door state, current LBA 0 (MMC-5 6.11). */
    memset(buf, 0, 8);
    buf[1] = s->tray_open ? 0x10 : 0;
    ide_atapi_reply(s, 8, get_be16(cdb + 8));
}

static const struct {
    uint8_t opcode;
    uint8_t flags;
    void (*fn)(IDEState *s, const uint8_t *cdb);
} atapi_commands[] = {
    { GPCMD_TEST_UNIT_READY,        ATAPI_F_CHECK_READY,    cmd_test_unit_ready },
    { GPCMD_REQUEST_SENSE,          ATAPI_F_ALLOW_UA,       cmd_request_sense },
    { GPCMD_INQUIRY,                ATAPI_F_ALLOW_UA,       cmd_inquiry },
    { GPCMD_START_STOP_UNIT,        0,                      cmd_start_stop_unit },
    { GPCMD_PREVENT_ALLOW_MEDIUM_REMOVAL, 0,                cmd_prevent_allow },
    { GPCMD_READ_CAPACITY,          ATAPI_F_CHECK_READY,    cmd_read_capacity },
    { GPCMD_READ_10,                ATAPI_F_CHECK_READY,    cmd_read_10 },
    { GPCMD_SEEK,                   ATAPI_F_CHECK_READY,    cmd_seek },
    { GPCMD_READ_TOC_PMA_ATIP,      ATAPI_F_CHECK_READY,    cmd_read_toc },
    { GPCMD_GET_CONFIGURATION,      ATAPI_F_ALLOW_UA,       cmd_get_configuration },
    { GPCMD_GET_EVENT_STATUS_NOTIFICATION, ATAPI_F_ALLOW_UA, cmd_get_event_status },
    { GPCMD_READ_DISC_INFO,         ATAPI_F_CHECK_READY,    cmd_read_disc_info },
    { GPCMD_MODE_SENSE_10,          0,                      cmd_mode_sense_10 },
    { GPCMD_READ_12,                ATAPI_F_CHECK_READY,    cmd_read_12 },
    { GPCMD_SET_SPEED,              0,                      cmd_set_speed },
    { GPCMD_MECHANISM_STATUS,       ATAPI_F_ALLOW_UA,       cmd_mechanism_status },
};

/* The 12-byte packet is in io_buffer[0..11]. */
void ide_atapi_packet(IDEState *s)
{
    uint8_t cdb[ATAPI_PACKET_SIZE];

    memcpy(cdb, s->io_buffer, sizeof(cdb));
    for (size_t i = 0; i < G_N_ELEMENTS(atapi_commands); i++) {
        if (atapi_commands[i].opcode != cdb[0]) {
            continue;
        }
        if (s->media_changed && !(atapi_commands[i].flags & ATAPI_F_ALLOW_UA)) {
            s->media_changed = false;
            ide_atapi_error(s, SENSE_UNIT_ATTENTION, ASC_MEDIUM_MAY_HAVE_CHANGED, 0);
            return;
        }
        if ((atapi_commands[i].flags & ATAPI_F_CHECK_READY) && !atapi_medium_ready(s)) {
            ide_atapi_error(s, SENSE_NOT_READY, ASC_MEDIUM_NOT_PRESENT,
                            s->tray_open ? ASCQ_TRAY_OPEN : ASCQ_TRAY_CLOSED);
            return;
        }
        atapi_commands[i].fn(s, cdb);
        return;
    }
    log_unimp("ide%d.%d: ATAPI command 0x%02x\n", s->bus->bus_id, s->unit, cdb[0]);
    ide_atapi_error(s, SENSE_ILLEGAL_REQUEST, ASC_INVALID_OPCODE, 0);
}

void ide_atapi_reset(IDEState *s)
{
    /* The tray, the medium and a pending unit attention survive a device reset. */
}
