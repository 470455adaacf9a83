/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The ATAPI CD-ROM on the PIIX3 IDE over the qtest protocol: IDENTIFY
 * (PACKET) DEVICE and the signature, INQUIRY, READ CAPACITY, READ(10) and
 * READ(12) by PIO (within the byte count limit) and by DMA, READ TOC
 * formats 0/1/2, MODE SENSE(10), GET CONFIGURATION, GET EVENT STATUS
 * NOTIFICATION, REQUEST SENSE after errors, tray eject/load with the unit
 * attention that follows, the tray lock, and an empty drive.
 *
 * The medium is an ISO 9660 image made with xorriso (or genisoimage) when
 * one is installed, else a synthetic image with a primary volume
 * descriptor; every read is compared with the file itself.  Also runs
 * against QEMU (QTEST_QEMU_BINARY=qemu-system-x86_64) except where marked.
 */
#include "tests/hw/test-ide-lib.h"

#define ATAPI_SECTOR 2048

static char *tmp_dir;
static char *iso_path;
static uint8_t *iso_data;
static gsize iso_len;

static const IdeChan *sec = &ide_chan[1];

typedef struct AtapiResult {
    uint8_t status;
    uint8_t error;
    size_t len;             /* data-in bytes received */
    int blocks;             /* DRQ blocks */
    size_t max_block;
} AtapiResult;

/* An ISO: xorriso, genisoimage, or a synthetic one (a PVD at sector 16, patterns elsewhere). */
static void make_iso(void)
{
    char *dir = g_build_filename(tmp_dir, "isoroot", NULL);
    char *file = g_build_filename(dir, "hello.txt", NULL);
    uint8_t *payload = g_malloc(200 * 1024);
    bool made = false;

    iso_path = g_build_filename(tmp_dir, "test.iso", NULL);
    g_assert_cmpint(g_mkdir_with_parents(dir, 0700), ==, 0);
    ide_fill_pattern(payload, 200 * 1024, 2048);
    g_assert_true(g_file_set_contents(file, (const char *)payload, 200 * 1024, NULL));
    if (ide_have_program("xorriso")) {
        const char *argv[] = { "xorriso", "-as", "mkisofs", "-quiet", "-V", "IOEMU_TEST", "-o", iso_path, dir, NULL };
        made = ide_run(argv, NULL) == 0;
    } else if (ide_have_program("genisoimage")) {
        const char *argv[] = { "genisoimage", "-quiet", "-V", "IOEMU_TEST", "-o", iso_path, dir, NULL };
        made = ide_run(argv, NULL) == 0;
    }
    if (!made) {
        size_t len = 300 * ATAPI_SECTOR;
        uint8_t *img = g_malloc0(len);
        ide_fill_pattern(img, len, 1);
        memset(img + 16 * ATAPI_SECTOR, 0, ATAPI_SECTOR);
        img[16 * ATAPI_SECTOR] = 1;                     /* primary volume descriptor */
        memcpy(img + 16 * ATAPI_SECTOR + 1, "CD001", 5);
        img[16 * ATAPI_SECTOR + 6] = 1;
        img[17 * ATAPI_SECTOR] = 0xff;                  /* set terminator */
        memcpy(img + 17 * ATAPI_SECTOR + 1, "CD001", 5);
        g_assert_true(g_file_set_contents(iso_path, (const char *)img, len, NULL));
        g_free(img);
    }
    g_assert_true(g_file_get_contents(iso_path, (char **)&iso_data, &iso_len, NULL));
    g_assert_cmpuint(iso_len % ATAPI_SECTOR, ==, 0);
    g_assert_cmpmem(iso_data + 16 * ATAPI_SECTOR + 1, 5, "CD001", 5);
    g_free(payload);
    g_free(file);
    g_free(dir);
}

static QTestState *start_cd(void)
{
    char *args = g_strdup_printf("-drive file=%s,if=ide,index=2,media=cdrom,format=raw", iso_path);
    QTestState *s = ide_start(args);
    g_free(args);
    return s;
}

/*
 * One packet command by PIO (or DMA for the data when `dma`): returns the
 * completion; data-in goes to buf (at most buflen bytes kept).
 */
static AtapiResult atapi_cmd(QTestState *s, const uint8_t *cdb, uint16_t bcl, uint8_t *buf, size_t buflen,
                             bool dma)
{
    AtapiResult r = { 0 };
    uint8_t st;

    ide_select(s, sec, 0);
    qtest_outb(s, sec->cmd + REG_FEATURE, dma ? 1 : 0);
    qtest_outb(s, sec->cmd + REG_LCYL, (uint8_t)bcl);
    qtest_outb(s, sec->cmd + REG_HCYL, (uint8_t)(bcl >> 8));
    if (dma) {
        qtest_outb(s, sec->bm + BM_CMD, 0);
        qtest_outb(s, sec->bm + BM_STATUS, BM_INT | BM_ERROR);
        qtest_outl(s, sec->bm + BM_PRD, GUEST_PRD);
        qtest_outb(s, sec->bm + BM_CMD, BM_TO_MEMORY);
    }
    qtest_outb(s, sec->cmd + REG_COMMAND, 0xa0);
    st = ide_wait_not_busy(s, sec);
    g_assert_cmphex(st & (ST_DRQ | ST_ERR), ==, ST_DRQ);
    g_assert_cmphex(qtest_inb(s, sec->cmd + REG_NSECTOR) & 3, ==, 1);     /* C/D = 1, I/O = 0: the packet */
    for (int i = 0; i < 12; i += 2) {
        qtest_outw(s, sec->cmd, (uint16_t)(cdb[i] | (cdb[i + 1] << 8)));
    }
    if (dma) {
        qtest_outb(s, sec->bm + BM_CMD, BM_TO_MEMORY | BM_START);
        for (int i = 0; i < 100000; i++) {
            uint8_t bm = qtest_inb(s, sec->bm + BM_STATUS);
            if ((bm & BM_INT) || !(bm & BM_ACTIVE)) {
                break;
            }
            g_usleep(100);
        }
        qtest_outb(s, sec->bm + BM_CMD, BM_TO_MEMORY);
    }
    for (;;) {
        st = ide_wait_not_busy(s, sec);
        if (!(st & ST_DRQ)) {
            break;
        }
        g_assert_false(dma);
        g_assert_true(qtest_get_irq(s, sec->irq));
        qtest_inb(s, sec->cmd + REG_STATUS);
        g_assert_cmphex(qtest_inb(s, sec->cmd + REG_NSECTOR) & 3, ==, 2);  /* data to the host */
        size_t n = qtest_inb(s, sec->cmd + REG_LCYL) | ((size_t)qtest_inb(s, sec->cmd + REG_HCYL) << 8);
        g_assert_cmpuint(n, >, 0);
        g_assert_cmpuint(n, <=, bcl);
        for (size_t i = 0; i < n; i += 2) {
            uint16_t v = qtest_inw(s, sec->cmd);
            if (r.len + i < buflen) {
                buf[r.len + i] = (uint8_t)v;
            }
            if (i + 1 < n && r.len + i + 1 < buflen) {
                buf[r.len + i + 1] = (uint8_t)(v >> 8);
            }
        }
        r.len += n;
        r.blocks++;
        r.max_block = MAX(r.max_block, n);
    }
    for (int i = 0; ide_target_is_qemu() && i < 1000 && !qtest_get_irq(s, sec->irq); i++) {
        g_usleep(1000);
    }
    g_assert_true(qtest_get_irq(s, sec->irq));
    r.status = qtest_inb(s, sec->cmd + REG_STATUS);
    r.error = qtest_inb(s, sec->cmd + REG_ERROR);
    g_assert_cmphex(qtest_inb(s, sec->cmd + REG_NSECTOR) & 3, ==, 3);      /* command complete */
    return r;
}

static void cdb_read10(uint8_t *cdb, uint32_t lba, uint16_t count)
{
    memset(cdb, 0, 12);
    cdb[0] = 0x28;
    cdb[2] = (uint8_t)(lba >> 24);
    cdb[3] = (uint8_t)(lba >> 16);
    cdb[4] = (uint8_t)(lba >> 8);
    cdb[5] = (uint8_t)lba;
    cdb[7] = (uint8_t)(count >> 8);
    cdb[8] = (uint8_t)count;
}

static uint8_t sense_key_of(const AtapiResult *r)
{
    return r->error >> 4;
}

/* REQUEST SENSE: returns the sense key; *asc / *ascq. */
static uint8_t request_sense(QTestState *s, uint8_t *asc, uint8_t *ascq)
{
    uint8_t cdb[12] = { 0x03, 0, 0, 0, 18 };
    uint8_t buf[18];
    AtapiResult r = atapi_cmd(s, cdb, 2048, buf, sizeof(buf), false);

    g_assert_cmphex(r.status & ST_ERR, ==, 0);
    g_assert_cmpuint(r.len, ==, 18);
    g_assert_cmphex(buf[0] & 0x7f, ==, 0x70);
    *asc = buf[12];
    *ascq = buf[13];
    return buf[2] & 0x0f;
}

static uint8_t test_unit_ready(QTestState *s, AtapiResult *out)
{
    uint8_t cdb[12] = { 0 };
    AtapiResult r = atapi_cmd(s, cdb, 2048, NULL, 0, false);
    if (out) {
        *out = r;
    }
    return r.status & ST_ERR ? sense_key_of(&r) : 0;
}

static uint32_t be32(const uint8_t *p)
{
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

static uint16_t be16(const uint8_t *p)
{
    return (uint16_t)((p[0] << 8) | p[1]);
}

/* ---- tests ---- */

static void test_identify_and_signature(void)
{
    QTestState *s;
    uint8_t buf[512];

    if (!qtest_skip_without_binary()) {
        return;
    }
    s = start_cd();
    /* After reset: the packet device signature. */
    ide_select(s, sec, 0);
    g_assert_cmphex(qtest_inb(s, sec->cmd + REG_LCYL), ==, 0x14);
    g_assert_cmphex(qtest_inb(s, sec->cmd + REG_HCYL), ==, 0xeb);
    /* IDENTIFY DEVICE is aborted, with the signature in place. */
    qtest_outb(s, sec->cmd + REG_LCYL, 0);
    qtest_outb(s, sec->cmd + REG_COMMAND, 0xec);
    ide_wait_not_busy(s, sec);
    g_assert_cmphex(qtest_inb(s, sec->cmd + REG_STATUS) & ST_ERR, ==, ST_ERR);
    g_assert_cmphex(qtest_inb(s, sec->cmd + REG_ERROR) & ER_ABRT, ==, ER_ABRT);
    g_assert_cmphex(qtest_inb(s, sec->cmd + REG_LCYL), ==, 0x14);
    g_assert_cmphex(qtest_inb(s, sec->cmd + REG_HCYL), ==, 0xeb);
    /* IDENTIFY PACKET DEVICE. */
    qtest_outb(s, sec->cmd + REG_COMMAND, 0xa1);
    g_assert_cmphex(ide_pio_read_blocks(s, sec, buf, 1, 1) & (ST_ERR | ST_DRQ), ==, 0);
    g_assert_cmphex(buf[0] | (buf[1] << 8), ==, 0x85c0);     /* ATAPI CD-ROM, removable, 12-byte packets */
    g_assert_cmphex((buf[98] | (buf[99] << 8)) & 0x0300, ==, 0x0300);   /* word 49: LBA, DMA */
    if (!ide_target_is_qemu()) {
        char model[41];
        for (int i = 0; i < 20; i++) {
            model[2 * i] = (char)buf[54 + 2 * i + 1];
            model[2 * i + 1] = (char)buf[54 + 2 * i];
        }
        model[40] = 0;
        g_strchomp(model);
        g_assert_cmpstr(model, ==, "IOEMU DVD-ROM");
    }
    /* Software reset brings the signature back; a packet device does not set DRDY. */
    qtest_outb(s, sec->ctl, CTL_SRST);
    qtest_outb(s, sec->ctl, 0);
    ide_wait_not_busy(s, sec);
    g_assert_cmphex(qtest_inb(s, sec->cmd + REG_LCYL), ==, 0x14);
    g_assert_cmphex(qtest_inb(s, sec->cmd + REG_HCYL), ==, 0xeb);
    if (!ide_target_is_qemu()) {
        g_assert_cmphex(qtest_inb(s, sec->ctl) & ST_DRDY, ==, 0);
    }
    /* READ SECTORS on a packet device: aborted with the signature (ATA-4 8.27.5.2). */
    qtest_outb(s, sec->cmd + REG_COMMAND, 0x20);
    ide_wait_not_busy(s, sec);
    g_assert_cmphex(qtest_inb(s, sec->cmd + REG_STATUS) & ST_ERR, ==, ST_ERR);
    g_assert_cmphex(qtest_inb(s, sec->cmd + REG_HCYL), ==, 0xeb);
    qtest_quit(s);
}

static void test_inquiry_capacity(void)
{
    QTestState *s;
    uint8_t cdb[12], buf[96];
    AtapiResult r;

    if (!qtest_skip_without_binary()) {
        return;
    }
    s = start_cd();
    memset(cdb, 0, sizeof(cdb));
    cdb[0] = 0x12;
    cdb[4] = 96;
    r = atapi_cmd(s, cdb, 2048, buf, sizeof(buf), false);
    g_assert_cmphex(r.status & ST_ERR, ==, 0);
    g_assert_cmpuint(r.len, >=, 36);
    g_assert_cmphex(buf[0] & 0x1f, ==, 0x05);       /* CD/DVD */
    g_assert_cmphex(buf[1] & 0x80, ==, 0x80);       /* removable */
    if (!ide_target_is_qemu()) {
        g_assert_cmpuint(r.len, ==, 36);
        g_assert_cmpmem(buf + 8, 5, "IOEMU", 5);
    }
    /* The allocation length truncates (an odd length ends inside the last word; QEMU stalls on it). */
    cdb[4] = 4;
    r = atapi_cmd(s, cdb, 2048, buf, sizeof(buf), false);
    g_assert_cmpuint(r.len, ==, 4);
    if (!ide_target_is_qemu()) {
        cdb[4] = 5;
        r = atapi_cmd(s, cdb, 2048, buf, sizeof(buf), false);
        g_assert_cmpuint(r.len, ==, 5);
        g_assert_cmphex(buf[4], ==, 31);
    }

    memset(cdb, 0, sizeof(cdb));
    cdb[0] = 0x25;
    r = atapi_cmd(s, cdb, 2048, buf, sizeof(buf), false);
    g_assert_cmphex(r.status & ST_ERR, ==, 0);
    g_assert_cmpuint(r.len, ==, 8);
    g_assert_cmpuint(be32(buf), ==, iso_len / ATAPI_SECTOR - 1);
    g_assert_cmpuint(be32(buf + 4), ==, ATAPI_SECTOR);

    /* An unknown opcode: ILLEGAL REQUEST, invalid command operation code. */
    memset(cdb, 0, sizeof(cdb));
    cdb[0] = 0xd9;
    r = atapi_cmd(s, cdb, 2048, buf, sizeof(buf), false);
    g_assert_cmphex(r.status & ST_ERR, ==, ST_ERR);
    g_assert_cmpuint(sense_key_of(&r), ==, 5);
    {
        uint8_t asc, ascq;
        g_assert_cmpuint(request_sense(s, &asc, &ascq), ==, 5);
        g_assert_cmphex(asc, ==, 0x20);
    }
    qtest_quit(s);
}

static void test_read_pio(void)
{
    QTestState *s;
    uint8_t cdb[12];
    uint8_t *buf = g_malloc(8 * ATAPI_SECTOR);
    AtapiResult r;

    if (!qtest_skip_without_binary()) {
        g_free(buf);
        return;
    }
    s = start_cd();
    /* The volume descriptors, one 2 KiB block per sector. */
    cdb_read10(cdb, 16, 2);
    r = atapi_cmd(s, cdb, 2048, buf, 2 * ATAPI_SECTOR, false);
    g_assert_cmphex(r.status & ST_ERR, ==, 0);
    g_assert_cmpuint(r.len, ==, 2 * ATAPI_SECTOR);
    g_assert_cmpmem(buf, 2 * ATAPI_SECTOR, iso_data + 16 * ATAPI_SECTOR, 2 * ATAPI_SECTOR);
    g_assert_cmpmem(buf + 1, 5, "CD001", 5);

    /* A byte count limit of 1000: no DRQ block is larger. */
    uint32_t lba = (uint32_t)(iso_len / ATAPI_SECTOR) - 5;
    cdb_read10(cdb, lba, 5);
    r = atapi_cmd(s, cdb, 1000, buf, 5 * ATAPI_SECTOR, false);
    g_assert_cmphex(r.status & ST_ERR, ==, 0);
    g_assert_cmpuint(r.len, ==, 5 * ATAPI_SECTOR);
    g_assert_cmpuint(r.max_block, <=, 1000);
    g_assert_cmpmem(buf, 5 * ATAPI_SECTOR, iso_data + (size_t)lba * ATAPI_SECTOR, 5 * ATAPI_SECTOR);

    /* A large limit: several sectors in one block where the device allows it. */
    cdb_read10(cdb, 0, 8);
    r = atapi_cmd(s, cdb, 0xfffe, buf, 8 * ATAPI_SECTOR, false);
    g_assert_cmpuint(r.len, ==, 8 * ATAPI_SECTOR);
    g_assert_cmpmem(buf, 8 * ATAPI_SECTOR, iso_data, 8 * ATAPI_SECTOR);
    if (!ide_target_is_qemu()) {
        g_assert_cmpuint(r.blocks, <, 8);
    }

    /* READ(12). */
    memset(cdb, 0, sizeof(cdb));
    cdb[0] = 0xa8;
    cdb[5] = 20;
    cdb[9] = 3;
    r = atapi_cmd(s, cdb, 2048, buf, 3 * ATAPI_SECTOR, false);
    g_assert_cmpuint(r.len, ==, 3 * ATAPI_SECTOR);
    g_assert_cmpmem(buf, 3 * ATAPI_SECTOR, iso_data + 20 * ATAPI_SECTOR, 3 * ATAPI_SECTOR);

    /* Zero sectors: no data phase. */
    cdb_read10(cdb, 3, 0);
    r = atapi_cmd(s, cdb, 2048, buf, 0, false);
    g_assert_cmphex(r.status & ST_ERR, ==, 0);
    g_assert_cmpuint(r.len, ==, 0);

    /* Beyond the end: ILLEGAL REQUEST, LBA out of range. */
    cdb_read10(cdb, (uint32_t)(iso_len / ATAPI_SECTOR) - 1, 2);
    r = atapi_cmd(s, cdb, 2048, buf, 0, false);
    g_assert_cmphex(r.status & ST_ERR, ==, ST_ERR);
    g_assert_cmpuint(sense_key_of(&r), ==, 5);
    {
        uint8_t asc, ascq;
        g_assert_cmpuint(request_sense(s, &asc, &ascq), ==, 5);
        g_assert_cmphex(asc, ==, 0x21);
        /* Sense data belongs to the last command: a good one clears it (SPC-3 4.5.1; QEMU keeps it). */
        g_assert_cmpuint(test_unit_ready(s, NULL), ==, 0);
        if (!ide_target_is_qemu()) {
            g_assert_cmpuint(request_sense(s, &asc, &ascq), ==, 0);
        }
    }
    qtest_quit(s);
    g_free(buf);
}

static void test_read_dma(void)
{
    QTestState *s;
    uint8_t cdb[12];
    uint8_t *buf = g_malloc(6 * ATAPI_SECTOR);
    AtapiResult r;

    if (!qtest_skip_without_binary()) {
        g_free(buf);
        return;
    }
    s = start_cd();
    {
        uint32_t addr[] = { GUEST_BUF, GUEST_BUF + 4096 };
        uint32_t count[] = { 4096, 8192 };
        ide_write_prd(s, GUEST_PRD, addr, count, 2);
    }
    qtest_memset(s, GUEST_BUF, 0, 6 * ATAPI_SECTOR);
    cdb_read10(cdb, 17, 6);
    r = atapi_cmd(s, cdb, 0, NULL, 0, true);
    g_assert_cmphex(r.status & (ST_ERR | ST_DRQ), ==, 0);
    g_assert_cmphex(qtest_inb(s, sec->bm + BM_STATUS) & (BM_INT | BM_ERROR | BM_ACTIVE), ==, BM_INT);
    qtest_bufread(s, GUEST_BUF, buf, 6 * ATAPI_SECTOR);
    g_assert_cmpmem(buf, 6 * ATAPI_SECTOR, iso_data + 17 * ATAPI_SECTOR, 6 * ATAPI_SECTOR);

    /* A reply by DMA (INQUIRY). */
    memset(cdb, 0, sizeof(cdb));
    cdb[0] = 0x12;
    cdb[4] = 36;
    qtest_memset(s, GUEST_BUF, 0, 64);
    r = atapi_cmd(s, cdb, 0, NULL, 0, true);
    g_assert_cmphex(r.status & ST_ERR, ==, 0);
    qtest_bufread(s, GUEST_BUF, buf, 36);
    g_assert_cmphex(buf[0], ==, 0x05);
    g_assert_cmphex(buf[1], ==, 0x80);

    if (!ide_target_is_qemu()) {
        /* A DMA read whose PRD table points outside RAM: an error, and the drive keeps working. */
        uint32_t addr[] = { 0xe0000000 };
        uint32_t count[] = { 4096 };
        ide_write_prd(s, GUEST_PRD, addr, count, 1);
        cdb_read10(cdb, 0, 2);
        r = atapi_cmd(s, cdb, 0, NULL, 0, true);
        g_assert_cmphex(r.status & ST_ERR, ==, ST_ERR);
        g_assert_cmphex(qtest_inb(s, sec->bm + BM_STATUS) & BM_ERROR, ==, BM_ERROR);
        g_assert_cmpuint(test_unit_ready(s, NULL), ==, 0);
    }
    qtest_quit(s);
    g_free(buf);
}

static void test_toc(void)
{
    QTestState *s;
    uint8_t cdb[12], buf[256];
    AtapiResult r;
    uint32_t sectors = (uint32_t)(iso_len / ATAPI_SECTOR);

    if (!qtest_skip_without_binary()) {
        return;
    }
    s = start_cd();
    /* Format 0, LBA: header, track 1 at 0, lead-out (AAh) at the end. */
    memset(cdb, 0, sizeof(cdb));
    cdb[0] = 0x43;
    cdb[8] = 255;
    r = atapi_cmd(s, cdb, 2048, buf, sizeof(buf), false);
    g_assert_cmphex(r.status & ST_ERR, ==, 0);
    g_assert_cmpuint(r.len, ==, 20);
    g_assert_cmpuint(be16(buf), ==, 18);
    g_assert_cmpuint(buf[2], ==, 1);
    g_assert_cmpuint(buf[3], ==, 1);
    g_assert_cmpuint(buf[6], ==, 1);
    g_assert_cmphex(buf[5] & 0x0f, ==, 0x04);       /* data track */
    g_assert_cmpuint(be32(buf + 8), ==, 0);
    g_assert_cmphex(buf[14], ==, 0xaa);
    g_assert_cmpuint(be32(buf + 16), ==, sectors);
    /* The same in MSF: lead-out at (sectors + 150) frames. */
    cdb[1] = 0x02;
    r = atapi_cmd(s, cdb, 2048, buf, sizeof(buf), false);
    g_assert_cmpuint(r.len, ==, 20);
    g_assert_cmpuint(buf[17], ==, (sectors + 150) / (75 * 60));
    g_assert_cmpuint(buf[18], ==, ((sectors + 150) / 75) % 60);
    g_assert_cmpuint(buf[19], ==, (sectors + 150) % 75);
    g_assert_cmpuint(buf[9], ==, 0);                /* track 1 at 00:02:00 */
    g_assert_cmpuint(buf[10], ==, 2);
    g_assert_cmpuint(buf[11], ==, 0);
    /* Format 1: session information. */
    memset(cdb, 0, sizeof(cdb));
    cdb[0] = 0x43;
    cdb[2] = 1;
    cdb[9] = 1 << 6;        /* the format again where SFF-8020i (and QEMU) look for it */
    cdb[8] = 255;
    r = atapi_cmd(s, cdb, 2048, buf, sizeof(buf), false);
    g_assert_cmphex(r.status & ST_ERR, ==, 0);
    g_assert_cmpuint(r.len, ==, 12);
    g_assert_cmpuint(be16(buf), ==, 10);
    g_assert_cmpuint(buf[2], ==, 1);
    g_assert_cmpuint(buf[3], ==, 1);
    /* Format 2: raw TOC with points A0, A1, A2. */
    cdb[1] = 0x02;          /* MSF (raw TOC addresses are MSF anyway; QEMU wants the bit) */
    cdb[2] = 2;
    cdb[9] = 2 << 6;
    r = atapi_cmd(s, cdb, 2048, buf, sizeof(buf), false);
    g_assert_cmphex(r.status & ST_ERR, ==, 0);
    g_assert_cmpuint(r.len, >=, 4 + 3 * 11);
    g_assert_cmpuint(be16(buf), ==, r.len - 2);
    {
        bool a0 = false, a1 = false, a2 = false;
        for (size_t p = 4; p + 11 <= r.len; p += 11) {
            a0 |= buf[p + 3] == 0xa0 && buf[p + 8] == 1;
            a1 |= buf[p + 3] == 0xa1 && buf[p + 8] == 1;
            a2 |= buf[p + 3] == 0xa2 && buf[p + 8] == (sectors + 150) / (75 * 60) &&
                  buf[p + 9] == ((sectors + 150) / 75) % 60 && buf[p + 10] == (sectors + 150) % 75;
        }
        if (!(a0 && a1 && a2)) {
            GString *hex = g_string_new(NULL);
            for (size_t i = 0; i < r.len; i++) {
                g_string_append_printf(hex, " %02x", buf[i]);
            }
            g_test_message("raw TOC:%s", hex->str);
            g_string_free(hex, TRUE);
        }
        g_assert_true(a0 && a1 && a2);
    }
    /* READ DISC INFORMATION: one complete session with one track. */
    {
        uint8_t di[12] = { 0x51, 0, 0, 0, 0, 0, 0, 0, 34 };
        r = atapi_cmd(s, di, 2048, buf, sizeof(buf), false);
        g_assert_cmphex(r.status & ST_ERR, ==, 0);
        g_assert_cmpuint(r.len, ==, 34);
        g_assert_cmpuint(be16(buf), ==, 32);
        g_assert_cmphex(buf[2] & 0x03, ==, 0x02);   /* disc status: complete */
        g_assert_cmpuint(buf[3], ==, 1);            /* first track */
        g_assert_cmpuint(buf[4], ==, 1);            /* sessions */
    }
    /* An unsupported format. */
    cdb[2] = 5;
    cdb[9] = 3 << 6;
    r = atapi_cmd(s, cdb, 2048, buf, sizeof(buf), false);
    g_assert_cmphex(r.status & ST_ERR, ==, ST_ERR);
    g_assert_cmpuint(sense_key_of(&r), ==, 5);
    qtest_quit(s);
}

static void test_mode_sense_config(void)
{
    QTestState *s;
    uint8_t cdb[12], buf[512];
    AtapiResult r;

    if (!qtest_skip_without_binary()) {
        return;
    }
    s = start_cd();
    /* MODE SENSE(10), capabilities page. */
    memset(cdb, 0, sizeof(cdb));
    cdb[0] = 0x5a;
    cdb[2] = 0x2a;
    cdb[8] = 255;
    r = atapi_cmd(s, cdb, 2048, buf, sizeof(buf), false);
    g_assert_cmphex(r.status & ST_ERR, ==, 0);
    g_assert_cmpuint(be16(buf), ==, r.len - 2);
    g_assert_cmphex(buf[8] & 0x3f, ==, 0x2a);
    g_assert_cmphex(buf[8 + 6] & 0x08, ==, 0x08);   /* eject supported */
    /* Error recovery page. */
    cdb[2] = 0x01;
    r = atapi_cmd(s, cdb, 2048, buf, sizeof(buf), false);
    g_assert_cmphex(r.status & ST_ERR, ==, 0);
    g_assert_cmphex(buf[8] & 0x3f, ==, 0x01);
    g_assert_cmpuint(buf[9], ==, 6);
    if (!ide_target_is_qemu()) {
        /* All pages (QEMU returns only single pages). */
        cdb[2] = 0x3f;
        r = atapi_cmd(s, cdb, 2048, buf, sizeof(buf), false);
        g_assert_cmphex(r.status & ST_ERR, ==, 0);
        g_assert_cmpuint(r.len, ==, 8 + 8 + 20);
    }
    /* Saved values are not supported. */
    cdb[2] = 0xc0 | 0x2a;
    r = atapi_cmd(s, cdb, 2048, buf, sizeof(buf), false);
    g_assert_cmphex(r.status & ST_ERR, ==, ST_ERR);
    {
        uint8_t asc, ascq;
        g_assert_cmpuint(request_sense(s, &asc, &ascq), ==, 5);
        g_assert_cmphex(asc, ==, 0x39);
    }
    /* An unknown page. */
    cdb[2] = 0x05;
    r = atapi_cmd(s, cdb, 2048, buf, sizeof(buf), false);
    g_assert_cmphex(r.status & ST_ERR, ==, ST_ERR);

    /* GET CONFIGURATION: a CD-sized medium is the current CD-ROM profile, the profile list first. */
    memset(cdb, 0, sizeof(cdb));
    cdb[0] = 0x46;
    cdb[8] = 255;
    r = atapi_cmd(s, cdb, 2048, buf, sizeof(buf), false);
    g_assert_cmphex(r.status & ST_ERR, ==, 0);
    g_assert_cmpuint(be32(buf), ==, r.len - 4);
    g_assert_cmphex(be16(buf + 6), ==, 0x0008);
    g_assert_cmphex(be16(buf + 8), ==, 0x0000);
    if (!ide_target_is_qemu()) {
        /* RT = 2: just the one feature asked for (Core, 0001h; QEMU only starts at feature 0). */
        cdb[1] = 2;
        cdb[3] = 1;
        r = atapi_cmd(s, cdb, 2048, buf, sizeof(buf), false);
        g_assert_cmphex(r.status & ST_ERR, ==, 0);
        g_assert_cmphex(be16(buf + 8), ==, 0x0001);
        g_assert_cmpuint(r.len, ==, 8 + 4 + buf[11]);
        /* RT = 3 is reserved. */
        cdb[1] = 3;
        r = atapi_cmd(s, cdb, 2048, buf, sizeof(buf), false);
        g_assert_cmphex(r.status & ST_ERR, ==, ST_ERR);
    }
    qtest_quit(s);
}

/* Eject, lock, reload: NOT READY, MEDIUM REMOVAL PREVENTED, UNIT ATTENTION and the media events. */
static void test_eject_and_media_change(void)
{
    QTestState *s;
    uint8_t cdb[12], buf[64], asc, ascq;
    AtapiResult r;

    if (!qtest_skip_without_binary()) {
        return;
    }
    s = start_cd();
    g_assert_cmpuint(test_unit_ready(s, NULL), ==, 0);

    /* GET EVENT STATUS NOTIFICATION needs the polled bit. */
    memset(cdb, 0, sizeof(cdb));
    cdb[0] = 0x4a;
    cdb[4] = 0x10;
    cdb[8] = 8;
    r = atapi_cmd(s, cdb, 2048, buf, sizeof(buf), false);
    g_assert_cmphex(r.status & ST_ERR, ==, ST_ERR);
    cdb[1] = 1;
    r = atapi_cmd(s, cdb, 2048, buf, sizeof(buf), false);
    g_assert_cmphex(r.status & ST_ERR, ==, 0);
    g_assert_cmpuint(r.len, ==, 8);
    g_assert_cmphex(buf[2] & 0x07, ==, 4);          /* media class */
    g_assert_cmphex(buf[3] & 0x10, ==, 0x10);
    g_assert_cmphex(buf[5] & 0x03, ==, 0x02);       /* medium present, tray closed */

    /* Lock, then try to eject: refused. */
    memset(cdb, 0, sizeof(cdb));
    cdb[0] = 0x1e;
    cdb[4] = 1;
    g_assert_cmphex(atapi_cmd(s, cdb, 2048, NULL, 0, false).status & ST_ERR, ==, 0);
    memset(cdb, 0, sizeof(cdb));
    cdb[0] = 0x1b;
    cdb[4] = 0x02;      /* LoEj, Start = 0: eject */
    r = atapi_cmd(s, cdb, 2048, NULL, 0, false);
    g_assert_cmphex(r.status & ST_ERR, ==, ST_ERR);
    request_sense(s, &asc, &ascq);
    g_assert_cmphex(asc, ==, 0x53);
    if (!ide_target_is_qemu()) {
        g_assert_cmpuint(sense_key_of(&r), ==, 5);
        /* The capabilities page shows the lock. */
        uint8_t ms[12] = { 0x5a, 0, 0x2a, 0, 0, 0, 0, 0, 64 };
        atapi_cmd(s, ms, 2048, buf, sizeof(buf), false);
        g_assert_cmphex(buf[8 + 6] & 0x02, ==, 0x02);
    }
    /* Unlock and eject. */
    memset(cdb, 0, sizeof(cdb));
    cdb[0] = 0x1e;
    g_assert_cmphex(atapi_cmd(s, cdb, 2048, NULL, 0, false).status & ST_ERR, ==, 0);
    memset(cdb, 0, sizeof(cdb));
    cdb[0] = 0x1b;
    cdb[4] = 0x02;
    g_assert_cmphex(atapi_cmd(s, cdb, 2048, NULL, 0, false).status & ST_ERR, ==, 0);
    /* Tray open: NOT READY, medium not present. */
    g_assert_cmpuint(test_unit_ready(s, &r), ==, 2);
    request_sense(s, &asc, &ascq);
    g_assert_cmphex(asc, ==, 0x3a);
    if (!ide_target_is_qemu()) {
        g_assert_cmphex(ascq, ==, 0x02);    /* tray open */
        uint8_t gesn[12] = { 0x4a, 1, 0, 0, 0x10, 0, 0, 0, 8 };
        r = atapi_cmd(s, gesn, 2048, buf, sizeof(buf), false);
        g_assert_cmphex(buf[4] & 0x0f, ==, 3);      /* media removal */
        g_assert_cmphex(buf[5] & 0x03, ==, 0x01);   /* tray open, no medium */
    }
    /* Reads fail while the tray is open. */
    cdb_read10(cdb, 16, 1);
    r = atapi_cmd(s, cdb, 2048, buf, 0, false);
    g_assert_cmphex(r.status & ST_ERR, ==, ST_ERR);
    g_assert_cmpuint(sense_key_of(&r), ==, 2);

    /* Close the tray: the next command reports the medium change once. */
    memset(cdb, 0, sizeof(cdb));
    cdb[0] = 0x1b;
    cdb[4] = 0x03;      /* LoEj, Start = 1: load */
    g_assert_cmphex(atapi_cmd(s, cdb, 2048, NULL, 0, false).status & ST_ERR, ==, 0);
    if (!ide_target_is_qemu()) {
        uint8_t gesn[12] = { 0x4a, 1, 0, 0, 0x10, 0, 0, 0, 8 };
        r = atapi_cmd(s, gesn, 2048, buf, sizeof(buf), false);
        g_assert_cmphex(buf[4] & 0x0f, ==, 2);      /* new media */
        g_assert_cmphex(buf[5] & 0x03, ==, 0x02);
        r = atapi_cmd(s, gesn, 2048, buf, sizeof(buf), false);
        g_assert_cmphex(buf[4] & 0x0f, ==, 0);      /* reported once */
    }
    if (!ide_target_is_qemu()) {
        /* UNIT ATTENTION, medium may have changed (QEMU raises it only for a medium the host inserts). */
        g_assert_cmpuint(test_unit_ready(s, &r), ==, 6);
        g_assert_cmpuint(request_sense(s, &asc, &ascq), ==, 6);
        g_assert_cmphex(asc, ==, 0x28);
    }
    g_assert_cmpuint(test_unit_ready(s, NULL), ==, 0);
    cdb_read10(cdb, 16, 1);
    r = atapi_cmd(s, cdb, 2048, buf, sizeof(buf), false);
    g_assert_cmphex(r.status & ST_ERR, ==, 0);
    g_assert_cmpmem(buf + 1, 5, "CD001", 5);
    qtest_quit(s);
}

static void test_empty_drive(void)
{
    QTestState *s;
    uint8_t cdb[12], buf[64], asc, ascq;
    AtapiResult r;

    if (!qtest_skip_without_binary()) {
        return;
    }
    s = ide_start("-drive if=ide,index=2,media=cdrom");
    g_assert_cmpuint(test_unit_ready(s, &r), ==, 2);
    g_assert_cmpuint(request_sense(s, &asc, &ascq), ==, 2);
    g_assert_cmphex(asc, ==, 0x3a);
    memset(cdb, 0, sizeof(cdb));
    cdb[0] = 0x25;
    r = atapi_cmd(s, cdb, 2048, buf, sizeof(buf), false);
    g_assert_cmphex(r.status & ST_ERR, ==, ST_ERR);
    /* INQUIRY still answers. */
    memset(cdb, 0, sizeof(cdb));
    cdb[0] = 0x12;
    cdb[4] = 36;
    r = atapi_cmd(s, cdb, 2048, buf, sizeof(buf), false);
    g_assert_cmphex(r.status & ST_ERR, ==, 0);
    /* GET CONFIGURATION: no current profile. */
    memset(cdb, 0, sizeof(cdb));
    cdb[0] = 0x46;
    cdb[8] = 64;
    r = atapi_cmd(s, cdb, 2048, buf, sizeof(buf), false);
    g_assert_cmphex(be16(buf + 6), ==, 0);
    qtest_quit(s);
}

int main(int argc, char **argv)
{
    int ret;

    g_test_init(&argc, &argv, NULL);
    tmp_dir = g_dir_make_tmp("test-ide-atapi-XXXXXX", NULL);
    g_assert_nonnull(tmp_dir);
    make_iso();
    g_test_add_func("/ide-atapi/identify-and-signature", test_identify_and_signature);
    g_test_add_func("/ide-atapi/inquiry-capacity", test_inquiry_capacity);
    g_test_add_func("/ide-atapi/read-pio", test_read_pio);
    g_test_add_func("/ide-atapi/read-dma", test_read_dma);
    g_test_add_func("/ide-atapi/toc", test_toc);
    g_test_add_func("/ide-atapi/mode-sense-config", test_mode_sense_config);
    g_test_add_func("/ide-atapi/eject-and-media-change", test_eject_and_media_change);
    g_test_add_func("/ide-atapi/empty-drive", test_empty_drive);
    ret = g_test_run();
    {
        const char *argv_rm[] = { "rm", "-rf", tmp_dir, NULL };
        ide_run(argv_rm, NULL);
    }
    g_free(iso_data);
    g_free(iso_path);
    g_free(tmp_dir);
    return ret;
}
