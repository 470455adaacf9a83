/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * PIIX3 IDE hard disks over the qtest protocol: the PCI function, IDENTIFY
 * contents, PIO (single and multiple) and bus-master DMA round trips,
 * LBA48 with the HOB registers, CHS, FLUSH, power management, SET
 * FEATURES, software reset and signatures, nIEN, error reporting (IDNF,
 * ABRT), malformed PRD tables, and images written through the emulated
 * disk passing `qemu-img check`.
 *
 * Written so it also runs against QEMU (QTEST_QEMU_BINARY=
 * qemu-system-x86_64); where the two legitimately differ (QEMU ignores the
 * IDETIM decode bits, has no IDENTIFY checksum, limits PRD tables to 4 KiB)
 * the ioemu-only checks are skipped there.
 */
#include "tests/hw/test-ide-lib.h"
#include "tests/test-tmpdir.h"

static char *tmp_dir;

static const IdeChan *pri = &ide_chan[0];

static char *image_path(const char *name)
{
    return g_build_filename(tmp_dir, name, NULL);
}

/* A raw image of `size` with a recognisable pattern in its first 64 sectors. */
static char *make_raw(const char *name, const char *size)
{
    char *path = image_path(name);
    if (!ide_make_image(path, "raw", size)) {
        g_free(path);
        return NULL;
    }
    uint8_t buf[64 * 512];
    ide_fill_pattern(buf, sizeof(buf), 7);
    FILE *f = fopen(path, "r+b");
    g_assert_nonnull(f);
    g_assert_cmpuint(fwrite(buf, 1, sizeof(buf), f), ==, sizeof(buf));
    fclose(f);
    return path;
}

static QTestState *start_disk(const char *path, const char *format)
{
    return qtest_initf("-nodefaults -drive file=%s,if=ide,index=0,format=%s,cache=writeback", path, format);
}

static QTestState *start_raw(const char *path)
{
    QTestState *s = start_disk(path, "raw");
    ide_pci_enable(s);
    qtest_irq_intercept_in(s, "ioapic");
    return s;
}

static void read_file_at(const char *path, uint64_t offset, void *buf, size_t len)
{
    FILE *f = fopen(path, "rb");
    g_assert_nonnull(f);
    g_assert_cmpint(fseeko(f, (off_t)offset, SEEK_SET), ==, 0);
    g_assert_cmpuint(fread(buf, 1, len, f), ==, len);
    fclose(f);
}

static void identify(QTestState *s, const IdeChan *c, int dev, uint16_t *w)
{
    uint8_t buf[512];

    ide_select(s, c, dev);
    qtest_outb(s, c->cmd + REG_COMMAND, 0xec);
    g_assert_cmphex(ide_pio_read_blocks(s, c, buf, 1, 1) & (ST_DRQ | ST_ERR | ST_DRDY), ==, ST_DRDY);
    for (int i = 0; i < 256; i++) {
        w[i] = (uint16_t)(buf[2 * i] | (buf[2 * i + 1] << 8));
    }
}

static void ident_string(const uint16_t *w, int first, int nwords, char *out)
{
    for (int i = 0; i < nwords; i++) {
        out[2 * i] = (char)(w[first + i] >> 8);
        out[2 * i + 1] = (char)w[first + i];
    }
    out[2 * nwords] = '\0';
    g_strchomp(out);
}

/* ---- the PCI function ---- */

static void test_pci_function(void)
{
    char *img;
    QTestState *s;

    if (!qtest_skip_without_binary() || !(img = make_raw("pci.raw", "1M"))) {
        g_test_skip("qemu-img not available");
        return;
    }
    s = start_disk(img, "raw");
    g_assert_cmphex(qtest_pci_cfg_readw(s, 0, IDE_DEVFN, 0x00), ==, 0x8086);
    g_assert_cmphex(qtest_pci_cfg_readw(s, 0, IDE_DEVFN, 0x02), ==, 0x7010);
    g_assert_cmphex(qtest_pci_cfg_readb(s, 0, IDE_DEVFN, 0x0b), ==, 0x01);     /* mass storage */
    g_assert_cmphex(qtest_pci_cfg_readb(s, 0, IDE_DEVFN, 0x0a), ==, 0x01);     /* IDE */
    g_assert_cmphex(qtest_pci_cfg_readb(s, 0, IDE_DEVFN, 0x09), ==, 0x80);     /* compatibility, bus master */
    /* BAR4 is 16 bytes of I/O. */
    qtest_pci_cfg_writel(s, 0, IDE_DEVFN, 0x20, 0xffffffff);
    g_assert_cmphex(qtest_pci_cfg_readl(s, 0, IDE_DEVFN, 0x20) & 0xffff, ==, 0xfff1);
    if (!ide_target_is_qemu()) {
        /* Reset values (datasheet): IDETIM 0, so the legacy ports do not decode yet. */
        g_assert_cmphex(qtest_pci_cfg_readw(s, 0, IDE_DEVFN, 0x40), ==, 0);
        g_assert_cmphex(qtest_pci_cfg_readw(s, 0, IDE_DEVFN, 0x06), ==, 0x0280);
        g_assert_cmphex(qtest_inb(s, IDE_PRI_CMD + REG_STATUS), ==, 0xff);
    }
    ide_pci_enable(s);
    g_assert_cmphex(qtest_inb(s, IDE_PRI_CMD + REG_STATUS), ==, ST_DRDY | 0x10);
    /* The bus master registers: PRD pointer dword aligned, status bits 6:5 writable. */
    qtest_outl(s, IDE_BMIBA + BM_PRD, 0x12345677);
    g_assert_cmphex(qtest_inl(s, IDE_BMIBA + BM_PRD), ==, 0x12345674);
    qtest_outb(s, IDE_BMIBA + BM_STATUS, 0x60);
    g_assert_cmphex(qtest_inb(s, IDE_BMIBA + BM_STATUS) & 0x67, ==, 0x60);
    if (!ide_target_is_qemu()) {
        /* Turning the I/O space enable off hides the legacy ports again. */
        qtest_pci_cfg_writew(s, 0, IDE_DEVFN, 0x04, 0);
        g_assert_cmphex(qtest_inb(s, IDE_PRI_CMD + REG_STATUS), ==, 0xff);
    }
    qtest_quit(s);
    g_free(img);
}

/* ---- IDENTIFY ---- */

static void test_identify(void)
{
    char *img;
    QTestState *s;
    uint16_t w[256];
    char str[48];

    if (!qtest_skip_without_binary() || !(img = make_raw("ident.raw", "64M"))) {
        g_test_skip("qemu-img not available");
        return;
    }
    s = start_raw(img);
    identify(s, pri, 0, w);
    g_assert_cmphex(w[0] & 0x8080, ==, 0);              /* ATA, not removable */
    ident_string(w, 27, 20, str);
    g_assert_cmpuint(strlen(str), >, 0);
    if (!ide_target_is_qemu()) {
        g_assert_cmpstr(str, ==, "IOEMU HARDDISK");
    }
    ident_string(w, 10, 10, str);
    g_assert_cmpuint(strlen(str), >, 0);                 /* serial number */
    ident_string(w, 23, 4, str);
    g_assert_cmpuint(strlen(str), >, 0);                 /* firmware revision */
    /* 64 MiB = 131072 sectors; default CHS 130/16/63. */
    g_assert_cmpuint(w[60] | ((uint32_t)w[61] << 16), ==, 131072);
    g_assert_cmpuint(w[100] | ((uint64_t)w[101] << 16) | ((uint64_t)w[102] << 32) | ((uint64_t)w[103] << 48),
                     ==, 131072);
    g_assert_cmpuint(w[3], ==, 16);
    g_assert_cmpuint(w[6], ==, 63);
    g_assert_cmpuint(w[1], ==, 131072 / (16 * 63));
    g_assert_cmphex(w[49] & 0x0300, ==, 0x0300);        /* LBA and DMA */
    g_assert_cmphex(w[47] & 0xff, >=, 1);               /* READ/WRITE MULTIPLE */
    g_assert_cmphex(w[53] & 0x0006, ==, 0x0006);        /* words 64-70 and 88 valid */
    g_assert_cmphex(w[63] & 0x0007, ==, 0x0007);        /* MWDMA 0-2 */
    g_assert_cmphex(w[83] & 0xc000, ==, 0x4000);
    g_assert_cmphex(w[83] & 0x3400, ==, 0x3400);        /* FLUSH CACHE (EXT), 48-bit */
    g_assert_cmphex(w[82] & 0x0020, ==, 0x0020);        /* write cache supported */
    g_assert_cmphex(w[85] & 0x0020, ==, 0x0020);        /* and enabled */
    if (!ide_target_is_qemu()) {
        /* Integrity word: A5h signature and a zero byte sum (ATA8-ACS 7.16.7.89). */
        uint8_t sum = 0;
        for (int i = 0; i < 256; i++) {
            sum = (uint8_t)(sum + (w[i] & 0xff) + (w[i] >> 8));
        }
        g_assert_cmphex(w[255] & 0xff, ==, 0xa5);
        g_assert_cmphex(sum, ==, 0);
    }
    /* The slave is absent: selecting it, its registers read as zero and commands are ignored. */
    ide_select(s, pri, 1);
    g_assert_cmphex(qtest_inb(s, IDE_PRI_CTL), ==, 0);
    qtest_outb(s, IDE_PRI_CMD + REG_COMMAND, 0xec);
    g_assert_cmphex(qtest_inb(s, IDE_PRI_CTL), ==, 0);
    g_assert_false(qtest_get_irq(s, IDE_PRI_IRQ));
    qtest_quit(s);
    g_free(img);
}

/* ---- PIO ---- */

static void test_pio_round_trip(void)
{
    char *img;
    QTestState *s;
    uint8_t out[8 * 512], in[8 * 512], file[8 * 512];

    if (!qtest_skip_without_binary() || !(img = make_raw("pio.raw", "4M"))) {
        g_test_skip("qemu-img not available");
        return;
    }
    s = start_raw(img);
    /* The pattern make_raw left in sectors 0-63 reads back. */
    ide_fill_pattern(file, 64 * 512 > sizeof(file) ? sizeof(file) : sizeof(file), 7);
    g_assert_cmphex(ide_read_sectors(s, pri, 0, 0, 8, in) & (ST_ERR | ST_DRQ | ST_BSY), ==, 0);
    {
        uint8_t whole[64 * 512];
        ide_fill_pattern(whole, sizeof(whole), 7);
        g_assert_cmpmem(in, sizeof(in), whole, sizeof(in));
    }
    ide_fill_pattern(out, sizeof(out), 42);
    g_assert_cmphex(ide_write_sectors(s, pri, 0, 1000, 8, out) & (ST_ERR | ST_DRQ | ST_DF), ==, 0);
    memset(in, 0, sizeof(in));
    g_assert_cmphex(ide_read_sectors(s, pri, 0, 1000, 8, in) & (ST_ERR | ST_DRQ), ==, 0);
    g_assert_cmpmem(in, sizeof(in), out, sizeof(out));
    if (!ide_target_is_qemu()) {
        /* After the last sector the address registers name it (LBA 1007; QEMU leaves the next one). */
        g_assert_cmphex(qtest_inb(s, IDE_PRI_CMD + REG_SECTOR), ==, 1007 & 0xff);
        g_assert_cmphex(qtest_inb(s, IDE_PRI_CMD + REG_LCYL), ==, 1007 >> 8);
    }
    /* Sector count 0 means 256 sectors. */
    {
        uint8_t *big = g_malloc(256 * 512);
        g_assert_cmphex(ide_read_sectors(s, pri, 0, 2000, 0, big) & (ST_ERR | ST_DRQ), ==, 0);
        g_free(big);
    }
    qtest_quit(s);
    read_file_at(img, 1000 * 512, file, sizeof(file));
    g_assert_cmpmem(file, sizeof(file), out, sizeof(out));
    g_free(img);
}

static void test_pio_multiple(void)
{
    char *img;
    QTestState *s;
    uint8_t out[10 * 512], in[10 * 512];

    if (!qtest_skip_without_binary() || !(img = make_raw("mult.raw", "4M"))) {
        g_test_skip("qemu-img not available");
        return;
    }
    s = start_raw(img);
    /* Without SET MULTIPLE MODE, READ MULTIPLE is aborted (unless the device enables it at power on). */
    if (!ide_target_is_qemu()) {
        ide_lba28(s, pri, 0, 0, 4);
        g_assert_cmphex(ide_nondata(s, pri, 0xc4) & (ST_ERR | ST_DRQ), ==, ST_ERR);
        g_assert_cmphex(qtest_inb(s, IDE_PRI_CMD + REG_ERROR), ==, ER_ABRT);
    }
    /* Block sizes that are not powers of two, or too large, are refused. */
    qtest_outb(s, IDE_PRI_CMD + REG_NSECTOR, 3);
    g_assert_cmphex(ide_nondata(s, pri, 0xc6) & ST_ERR, ==, ST_ERR);
    qtest_outb(s, IDE_PRI_CMD + REG_NSECTOR, 4);
    g_assert_cmphex(ide_nondata(s, pri, 0xc6) & ST_ERR, ==, 0);
    {
        uint16_t w[256];
        identify(s, pri, 0, w);
        g_assert_cmphex(w[59], ==, 0x0104);
    }
    ide_fill_pattern(out, sizeof(out), 3);
    ide_lba28(s, pri, 0, 300, 10);
    qtest_outb(s, IDE_PRI_CMD + REG_COMMAND, 0xc5);   /* WRITE MULTIPLE: blocks of 4, 4, 2 */
    g_assert_cmphex(ide_pio_write_blocks(s, pri, out, 10, 4) & (ST_ERR | ST_DRQ), ==, 0);
    ide_lba28(s, pri, 0, 300, 10);
    qtest_outb(s, IDE_PRI_CMD + REG_COMMAND, 0xc4);   /* READ MULTIPLE */
    g_assert_cmphex(ide_pio_read_blocks(s, pri, in, 10, 4) & (ST_ERR | ST_DRQ), ==, 0);
    g_assert_cmpmem(in, sizeof(in), out, sizeof(out));
    qtest_quit(s);
    g_free(img);
}

/* ---- LBA48 ---- */

static void test_lba48(void)
{
    char *img;
    QTestState *s;
    uint16_t w[256];
    uint8_t out[2 * 512], in[2 * 512], file[2 * 512];
    /* 130 GiB, sparse: beyond what 28-bit LBA reaches (128 GiB). */
    const uint64_t sectors = 130ull * 1024 * 1024 * 2;
    const uint64_t lba = 0x10000123ull;

    if (!qtest_skip_without_binary() || !(img = make_raw("big.raw", "130G"))) {
        g_test_skip("qemu-img not available");
        return;
    }
    s = start_raw(img);
    identify(s, pri, 0, w);
    g_assert_cmphex(w[60] | ((uint32_t)w[61] << 16), ==, 0x0fffffff);     /* LBA28 saturates */
    g_assert_cmpuint(w[100] | ((uint64_t)w[101] << 16) | ((uint64_t)w[102] << 32), ==, sectors);

    ide_fill_pattern(out, sizeof(out), 48);
    ide_lba48(s, pri, 0, lba, 2);
    qtest_outb(s, IDE_PRI_CMD + REG_COMMAND, 0x34);   /* WRITE SECTORS EXT */
    g_assert_cmphex(ide_pio_write_blocks(s, pri, out, 2, 1) & (ST_ERR | ST_DRQ), ==, 0);
    ide_lba48(s, pri, 0, lba, 2);
    qtest_outb(s, IDE_PRI_CMD + REG_COMMAND, 0x24);   /* READ SECTORS EXT */
    g_assert_cmphex(ide_pio_read_blocks(s, pri, in, 2, 1) & (ST_ERR | ST_DRQ), ==, 0);
    g_assert_cmpmem(in, sizeof(in), out, sizeof(out));

    if (!ide_target_is_qemu()) {
        /* HOB: with device control bit 7 set, the registers read their previous (high) bytes. */
        uint64_t last = lba + 1;
        g_assert_cmphex(qtest_inb(s, IDE_PRI_CMD + REG_SECTOR), ==, last & 0xff);
        qtest_outb(s, IDE_PRI_CTL, CTL_HOB);
        g_assert_cmphex(qtest_inb(s, IDE_PRI_CMD + REG_SECTOR), ==, (last >> 24) & 0xff);
        g_assert_cmphex(qtest_inb(s, IDE_PRI_CMD + REG_LCYL), ==, (last >> 32) & 0xff);
        qtest_outb(s, IDE_PRI_CTL, 0);
    }
    /* The same LBA through a 28-bit command is a different sector (bits 28+ dropped): out of reach. */
    ide_lba48(s, pri, 0, sectors - 1, 1);
    qtest_outb(s, IDE_PRI_CMD + REG_COMMAND, 0x24);
    g_assert_cmphex(ide_pio_read_blocks(s, pri, in, 1, 1) & ST_ERR, ==, 0);
    /* One past the end fails. */
    ide_lba48(s, pri, 0, sectors, 1);
    g_assert_cmphex(ide_nondata(s, pri, 0x24) & (ST_ERR | ST_DRQ), ==, ST_ERR);
    g_assert_cmphex(qtest_inb(s, IDE_PRI_CMD + REG_ERROR) & (ER_IDNF | ER_ABRT), !=, 0);
    qtest_quit(s);
    read_file_at(img, lba * 512, file, sizeof(file));
    g_assert_cmpmem(file, sizeof(file), out, sizeof(out));
    g_free(img);
}

/* ---- CHS ---- */

static void test_chs(void)
{
    char *img;
    QTestState *s;
    uint8_t chs[512], lba[512];

    if (!qtest_skip_without_binary() || !(img = make_raw("chs.raw", "8M"))) {
        g_test_skip("qemu-img not available");
        return;
    }
    s = start_raw(img);
    ide_fill_pattern(lba, sizeof(lba), 99);
    g_assert_cmphex(ide_write_sectors(s, pri, 0, 1136, 1, lba) & ST_ERR, ==, 0);
    /* INITIALIZE DEVICE PARAMETERS: 16 heads (device/head 0xf), 63 sectors per track. */
    qtest_outb(s, IDE_PRI_CMD + REG_SELECT, 0xaf);
    qtest_outb(s, IDE_PRI_CMD + REG_NSECTOR, 63);
    g_assert_cmphex(ide_nondata(s, pri, 0x91) & ST_ERR, ==, 0);
    /* Cylinder 1, head 2, sector 3 = (1 * 16 + 2) * 63 + 2 = LBA 1136. */
    qtest_outb(s, IDE_PRI_CMD + REG_SELECT, 0xa2);
    qtest_outb(s, IDE_PRI_CMD + REG_NSECTOR, 1);
    qtest_outb(s, IDE_PRI_CMD + REG_SECTOR, 3);
    qtest_outb(s, IDE_PRI_CMD + REG_LCYL, 1);
    qtest_outb(s, IDE_PRI_CMD + REG_HCYL, 0);
    qtest_outb(s, IDE_PRI_CMD + REG_COMMAND, 0x20);
    g_assert_cmphex(ide_pio_read_blocks(s, pri, chs, 1, 1) & ST_ERR, ==, 0);
    g_assert_cmpmem(chs, sizeof(chs), lba, sizeof(lba));
    if (!ide_target_is_qemu()) {
        /* Sector 0 does not exist in CHS addressing. */
        qtest_outb(s, IDE_PRI_CMD + REG_SECTOR, 0);
        g_assert_cmphex(ide_nondata(s, pri, 0x20) & (ST_ERR | ST_DRQ), ==, ST_ERR);
        g_assert_cmphex(qtest_inb(s, IDE_PRI_CMD + REG_ERROR), ==, ER_IDNF);
    }
    qtest_quit(s);
    g_free(img);
}

/* ---- DMA ---- */

static void test_dma_round_trip(void)
{
    char *img;
    QTestState *s;
    uint8_t out[24 * 512], in[24 * 512], file[24 * 512];
    uint8_t st, bm;

    if (!qtest_skip_without_binary() || !(img = make_raw("dma.raw", "16M"))) {
        g_test_skip("qemu-img not available");
        return;
    }
    s = start_raw(img);
    ide_fill_pattern(out, sizeof(out), 5);
    qtest_bufwrite(s, GUEST_BUF, out, sizeof(out));
    /* Three regions: 4 KiB, 2 KiB, 6 KiB = 24 sectors exactly. */
    {
        uint32_t addr[] = { GUEST_BUF, GUEST_BUF + 4096, GUEST_BUF + 6144 };
        uint32_t count[] = { 4096, 2048, 6144 };
        ide_write_prd(s, GUEST_PRD, addr, count, 3);
    }
    ide_lba28(s, pri, 0, 5000, 24);
    bm = ide_dma(s, pri, 0xca, false, GUEST_PRD, &st);     /* WRITE DMA */
    g_assert_cmphex(st & (ST_ERR | ST_DRQ | ST_BSY), ==, 0);
    g_assert_cmphex(bm & (BM_INT | BM_ERROR | BM_ACTIVE), ==, BM_INT);     /* table used up exactly */

    /* Read back into another buffer with one 64 KiB entry (count 0): the table is larger than the data. */
    qtest_memset(s, GUEST_BUF2, 0, sizeof(in));
    {
        uint32_t addr[] = { GUEST_BUF2 };
        uint32_t count[] = { 0 };
        ide_write_prd(s, GUEST_PRD + 0x100, addr, count, 1);
    }
    ide_lba28(s, pri, 0, 5000, 24);
    bm = ide_dma(s, pri, 0xc8, true, GUEST_PRD + 0x100, &st);     /* READ DMA */
    g_assert_cmphex(st & (ST_ERR | ST_DRQ | ST_BSY), ==, 0);
    g_assert_cmphex(bm & (BM_INT | BM_ERROR), ==, BM_INT);
    qtest_bufread(s, GUEST_BUF2, in, sizeof(in));
    g_assert_cmpmem(in, sizeof(in), out, sizeof(out));

    /* READ DMA EXT of the same sectors. */
    qtest_memset(s, GUEST_BUF2, 0, sizeof(in));
    ide_lba48(s, pri, 0, 5000, 24);
    bm = ide_dma(s, pri, 0x25, true, GUEST_PRD + 0x100, &st);
    g_assert_cmphex(st & (ST_ERR | ST_DRQ), ==, 0);
    qtest_bufread(s, GUEST_BUF2, in, sizeof(in));
    g_assert_cmpmem(in, sizeof(in), out, sizeof(out));

    /* DMA beyond the end: the device refuses before moving anything. */
    ide_lba28(s, pri, 0, 16 * 2048 - 4, 8);
    bm = ide_dma(s, pri, 0xc8, true, GUEST_PRD + 0x100, &st);
    g_assert_cmphex(st & ST_ERR, ==, ST_ERR);
    g_assert_cmphex(qtest_inb(s, IDE_PRI_CMD + REG_ERROR) & (ER_IDNF | ER_ABRT), !=, 0);
    qtest_quit(s);
    read_file_at(img, 5000 * 512, file, sizeof(file));
    g_assert_cmpmem(file, sizeof(file), out, sizeof(out));
    g_free(img);
}

/* The PRD table is the guest's: every way of getting it wrong ends in an error, never a hang or crash. */
static void test_dma_bad_prd(void)
{
    char *img;
    QTestState *s;
    uint8_t st, bm;
    uint16_t w[256];

    if (!qtest_skip_without_binary() || !(img = make_raw("prd.raw", "16M"))) {
        g_test_skip("qemu-img not available");
        return;
    }
    s = start_raw(img);

    /* The table itself outside guest RAM (128 MiB of RAM; 0xe0000000 is nothing). */
    ide_lba28(s, pri, 0, 0, 8);
    bm = ide_dma(s, pri, 0xc8, true, 0xe0000000, &st);
    if (!ide_target_is_qemu()) {
        g_assert_cmphex(bm & (BM_ERROR | BM_INT | BM_ACTIVE), ==, BM_ERROR | BM_INT);
        g_assert_cmphex(st & (ST_ERR | ST_DRQ | ST_BSY), ==, ST_ERR);
        g_assert_cmphex(qtest_inb(s, IDE_PRI_CMD + REG_ERROR), ==, ER_ABRT);
    }

    /* A region outside guest RAM, for a read (memory write) and a write (memory read). */
    {
        uint32_t addr[] = { 0xe0000000 };
        uint32_t count[] = { 4096 };
        ide_write_prd(s, GUEST_PRD, addr, count, 1);
    }
    ide_lba28(s, pri, 0, 0, 8);
    bm = ide_dma(s, pri, 0xc8, true, GUEST_PRD, &st);
    if (!ide_target_is_qemu()) {
        g_assert_cmphex(bm & (BM_ERROR | BM_INT | BM_ACTIVE), ==, BM_ERROR | BM_INT);
        g_assert_cmphex(st & ST_ERR, ==, ST_ERR);
    }
    ide_lba28(s, pri, 0, 0, 8);
    bm = ide_dma(s, pri, 0xca, false, GUEST_PRD, &st);
    if (!ide_target_is_qemu()) {
        g_assert_cmphex(bm & (BM_ERROR | BM_INT), ==, BM_ERROR | BM_INT);
        g_assert_cmphex(st & ST_ERR, ==, ST_ERR);
    }

    /* No EOT within 64 KiB of table: 8192 entries of 2 bytes cover 16 KiB of a 32 KiB transfer. */
    if (!ide_target_is_qemu()) {
        uint8_t *table = g_malloc(65536 + 8);
        for (int i = 0; i < 8193; i++) {
            uint32_t a = GUEST_BUF, c = 2;
            memcpy(table + 8 * i, &a, 4);
            memcpy(table + 8 * i + 4, &c, 4);
        }
        qtest_bufwrite(s, GUEST_PRD, table, 65536 + 8);
        g_free(table);
        ide_lba28(s, pri, 0, 0, 64);
        bm = ide_dma(s, pri, 0xc8, true, GUEST_PRD, &st);
        g_assert_cmphex(bm & (BM_ERROR | BM_INT | BM_ACTIVE), ==, BM_ERROR | BM_INT);
        g_assert_cmphex(st & (ST_ERR | ST_BSY | ST_DRQ), ==, ST_ERR);

        /* A table that ends (EOT) before the data: the command fails instead of waiting forever. */
        uint32_t addr[] = { GUEST_BUF };
        uint32_t count[] = { 1024 };
        ide_write_prd(s, GUEST_PRD, addr, count, 1);
        ide_lba28(s, pri, 0, 0, 8);
        bm = ide_dma(s, pri, 0xc8, true, GUEST_PRD, &st);
        g_assert_cmphex(bm & BM_ACTIVE, ==, 0);
        g_assert_cmphex(st & (ST_ERR | ST_BSY | ST_DRQ), ==, ST_ERR);

        /* A table that runs past 4 GiB. */
        ide_lba28(s, pri, 0, 0, 8);
        bm = ide_dma(s, pri, 0xc8, true, 0xfffffff8, &st);
        g_assert_cmphex(bm & BM_ERROR, ==, BM_ERROR);
        g_assert_cmphex(st & ST_ERR, ==, ST_ERR);

        /* Stopping the engine in the middle: the device ends the command, the next one works. */
        ide_lba28(s, pri, 0, 0, 8);
        qtest_outl(s, IDE_BMIBA + BM_PRD, GUEST_PRD);
        qtest_outb(s, IDE_PRI_CMD + REG_COMMAND, 0xc8);
        qtest_outb(s, IDE_BMIBA + BM_CMD, BM_TO_MEMORY | BM_START);
        qtest_outb(s, IDE_BMIBA + BM_CMD, BM_TO_MEMORY);
        ide_wait_not_busy(s, pri);
        g_assert_cmphex(qtest_inb(s, IDE_BMIBA + BM_STATUS) & BM_ACTIVE, ==, 0);
        qtest_outb(s, IDE_PRI_CTL, CTL_SRST);
        qtest_outb(s, IDE_PRI_CTL, 0);
        ide_wait_not_busy(s, pri);
    }
    /* Still alive and well. */
    identify(s, pri, 0, w);
    g_assert_cmphex(w[49] & 0x0300, ==, 0x0300);
    qtest_quit(s);
    g_free(img);
}

/* ---- FLUSH, power, features, verify, seek ---- */

static void test_flush_and_features(void)
{
    char *img;
    QTestState *s;
    uint16_t w[256];

    if (!qtest_skip_without_binary() || !(img = make_raw("flush.raw", "4M"))) {
        g_test_skip("qemu-img not available");
        return;
    }
    s = start_raw(img);
    ide_select(s, pri, 0);
    g_assert_cmphex(ide_nondata(s, pri, 0xe7) & (ST_ERR | ST_DRDY), ==, ST_DRDY);   /* FLUSH CACHE */
    g_assert_cmphex(ide_nondata(s, pri, 0xea) & (ST_ERR | ST_DRDY), ==, ST_DRDY);   /* FLUSH CACHE EXT */

    /* Write cache off and on (SET FEATURES 82h/02h), reflected in IDENTIFY word 85. */
    qtest_outb(s, IDE_PRI_CMD + REG_FEATURE, 0x82);
    g_assert_cmphex(ide_nondata(s, pri, 0xef) & ST_ERR, ==, 0);
    identify(s, pri, 0, w);
    g_assert_cmphex(w[85] & 0x20, ==, 0);
    {
        uint8_t out[512], in[512];
        ide_fill_pattern(out, sizeof(out), 77);
        g_assert_cmphex(ide_write_sectors(s, pri, 0, 9, 1, out) & ST_ERR, ==, 0);
        g_assert_cmphex(ide_read_sectors(s, pri, 0, 9, 1, in) & ST_ERR, ==, 0);
        g_assert_cmpmem(in, sizeof(in), out, sizeof(out));
    }
    qtest_outb(s, IDE_PRI_CMD + REG_FEATURE, 0x02);
    g_assert_cmphex(ide_nondata(s, pri, 0xef) & ST_ERR, ==, 0);
    identify(s, pri, 0, w);
    g_assert_cmphex(w[85] & 0x20, ==, 0x20);

    /* Transfer mode: MWDMA 1 selected shows in word 63; an unsupported mode is refused. */
    qtest_outb(s, IDE_PRI_CMD + REG_FEATURE, 0x03);
    qtest_outb(s, IDE_PRI_CMD + REG_NSECTOR, 0x21);
    g_assert_cmphex(ide_nondata(s, pri, 0xef) & ST_ERR, ==, 0);
    identify(s, pri, 0, w);
    g_assert_cmphex(w[63] & 0x0700, ==, 0x0200);
    qtest_outb(s, IDE_PRI_CMD + REG_FEATURE, 0x03);
    qtest_outb(s, IDE_PRI_CMD + REG_NSECTOR, 0x30);
    g_assert_cmphex(ide_nondata(s, pri, 0xef) & ST_ERR, ==, ST_ERR);
    g_assert_cmphex(qtest_inb(s, IDE_PRI_CMD + REG_ERROR), ==, ER_ABRT);
    if (!ide_target_is_qemu()) {
        /* UDMA 7 is beyond the modes IDENTIFY word 88 offers (QEMU takes any). */
        qtest_outb(s, IDE_PRI_CMD + REG_FEATURE, 0x03);
        qtest_outb(s, IDE_PRI_CMD + REG_NSECTOR, 0x47);
        g_assert_cmphex(ide_nondata(s, pri, 0xef) & ST_ERR, ==, ST_ERR);
    }
    /* An unknown subcommand. */
    qtest_outb(s, IDE_PRI_CMD + REG_FEATURE, 0x7f);
    g_assert_cmphex(ide_nondata(s, pri, 0xef) & ST_ERR, ==, ST_ERR);

    /* READ VERIFY and SEEK: in range fine, beyond the end IDNF. */
    ide_lba28(s, pri, 0, 100, 16);
    g_assert_cmphex(ide_nondata(s, pri, 0x40) & (ST_ERR | ST_DRQ), ==, 0);
    if (!ide_target_is_qemu()) {
        /* (QEMU does not check the range of READ VERIFY.) */
        ide_lba28(s, pri, 0, 8190, 16);
        g_assert_cmphex(ide_nondata(s, pri, 0x40) & ST_ERR, ==, ST_ERR);
        g_assert_cmphex(qtest_inb(s, IDE_PRI_CMD + REG_ERROR), ==, ER_IDNF);
    }
    ide_lba28(s, pri, 0, 100, 0);
    g_assert_cmphex(ide_nondata(s, pri, 0x70) & ST_ERR, ==, 0);

    /* Power management. */
    if (!ide_target_is_qemu()) {
        g_assert_cmphex(ide_nondata(s, pri, 0xe5) & ST_ERR, ==, 0);       /* CHECK POWER MODE */
        g_assert_cmphex(qtest_inb(s, IDE_PRI_CMD + REG_NSECTOR), ==, 0xff);
        g_assert_cmphex(ide_nondata(s, pri, 0xe0) & ST_ERR, ==, 0);       /* STANDBY IMMEDIATE */
        g_assert_cmphex(ide_nondata(s, pri, 0xe5) & ST_ERR, ==, 0);
        g_assert_cmphex(qtest_inb(s, IDE_PRI_CMD + REG_NSECTOR), ==, 0x00);
        g_assert_cmphex(ide_nondata(s, pri, 0xe1) & ST_ERR, ==, 0);       /* IDLE IMMEDIATE */
        g_assert_cmphex(ide_nondata(s, pri, 0xe5) & ST_ERR, ==, 0);
        g_assert_cmphex(qtest_inb(s, IDE_PRI_CMD + REG_NSECTOR), ==, 0x80);
        /* A read wakes the device up. */
        {
            uint8_t in[512];
            g_assert_cmphex(ide_read_sectors(s, pri, 0, 0, 1, in) & ST_ERR, ==, 0);
        }
        g_assert_cmphex(ide_nondata(s, pri, 0xe5) & ST_ERR, ==, 0);
        g_assert_cmphex(qtest_inb(s, IDE_PRI_CMD + REG_NSECTOR), ==, 0xff);
        /* SLEEP: every command is refused until a reset. */
        g_assert_cmphex(ide_nondata(s, pri, 0xe6) & ST_ERR, ==, 0);
        g_assert_cmphex(ide_nondata(s, pri, 0xe5) & ST_ERR, ==, ST_ERR);
        qtest_outb(s, IDE_PRI_CTL, CTL_SRST);
        qtest_outb(s, IDE_PRI_CTL, 0);
        ide_wait_not_busy(s, pri);
        g_assert_cmphex(ide_nondata(s, pri, 0xe5) & ST_ERR, ==, 0);
    } else {
        g_assert_cmphex(ide_nondata(s, pri, 0xe0) & ST_ERR, ==, 0);
        g_assert_cmphex(ide_nondata(s, pri, 0xe1) & ST_ERR, ==, 0);
        g_assert_cmphex(ide_nondata(s, pri, 0xe5) & ST_ERR, ==, 0);
    }
    qtest_quit(s);
    g_free(img);
}

/* ---- errors ---- */

static void test_errors(void)
{
    char *img;
    QTestState *s;
    uint8_t buf[512];

    if (!qtest_skip_without_binary() || !(img = make_raw("err.raw", "1M"))) {
        g_test_skip("qemu-img not available");
        return;
    }
    s = start_raw(img);
    /* 1 MiB = 2048 sectors: LBA 2048 is one past the end, a read across the end fails whole. */
    ide_lba28(s, pri, 0, 2048, 1);
    g_assert_cmphex(ide_nondata(s, pri, 0x20) & (ST_ERR | ST_DRQ | ST_DRDY), ==, ST_ERR | ST_DRDY);
    g_assert_cmphex(qtest_inb(s, IDE_PRI_CMD + REG_ERROR) & (ER_IDNF | ER_ABRT), !=, 0);
    if (!ide_target_is_qemu()) {
        g_assert_cmphex(qtest_inb(s, IDE_PRI_CMD + REG_ERROR), ==, ER_IDNF);
    }
    if (!ide_target_is_qemu()) {
        /* A write across the end is refused before any data moves (QEMU asks for the data first). */
        ide_lba28(s, pri, 0, 2040, 16);
        g_assert_cmphex(ide_nondata(s, pri, 0x30) & (ST_ERR | ST_DRQ), ==, ST_ERR);
    }
    /* The error does not stick: the next command works. */
    g_assert_cmphex(ide_read_sectors(s, pri, 0, 2047, 1, buf) & ST_ERR, ==, 0);
    /* NOP and an unknown opcode abort. */
    g_assert_cmphex(ide_nondata(s, pri, 0x00) & ST_ERR, ==, ST_ERR);
    g_assert_cmphex(qtest_inb(s, IDE_PRI_CMD + REG_ERROR), ==, ER_ABRT);
    g_assert_cmphex(ide_nondata(s, pri, 0xfe) & ST_ERR, ==, ST_ERR);
    g_assert_cmphex(qtest_inb(s, IDE_PRI_CMD + REG_ERROR), ==, ER_ABRT);
    /* PACKET and IDENTIFY PACKET DEVICE on a hard disk abort. */
    g_assert_cmphex(ide_nondata(s, pri, 0xa1) & ST_ERR, ==, ST_ERR);
    /* Data port accesses outside a data phase are ignored (and read as all ones here). */
    if (!ide_target_is_qemu()) {
        g_assert_cmphex(qtest_inw(s, IDE_PRI_CMD), ==, 0xffff);
    }
    qtest_outw(s, IDE_PRI_CMD, 0x1234);
    /* A command while DRQ is up is ignored; the transfer goes on. */
    ide_lba28(s, pri, 0, 0, 1);
    qtest_outb(s, IDE_PRI_CMD + REG_COMMAND, 0x20);
    g_assert_cmphex(ide_wait_not_busy(s, pri) & ST_DRQ, ==, ST_DRQ);
    qtest_inb(s, IDE_PRI_CMD + REG_STATUS);
    qtest_outb(s, IDE_PRI_CMD + REG_COMMAND, 0xec);
    g_assert_cmphex(qtest_inb(s, IDE_PRI_CTL) & ST_DRQ, ==, ST_DRQ);
    ide_pio_in(s, pri, buf, sizeof(buf));
    g_assert_cmphex(ide_wait_not_busy(s, pri) & (ST_ERR | ST_DRQ), ==, 0);
    {
        uint8_t want[512];
        read_file_at(img, 0, want, sizeof(want));
        g_assert_cmpmem(buf, sizeof(buf), want, sizeof(want));
    }
    qtest_quit(s);
    g_free(img);
}

/* ---- reset, signatures, nIEN ---- */

static void test_reset_and_nien(void)
{
    char *img;
    QTestState *s;
    uint8_t buf[512];

    if (!qtest_skip_without_binary() || !(img = make_raw("rst.raw", "1M"))) {
        g_test_skip("qemu-img not available");
        return;
    }
    s = start_raw(img);
    /* Software reset in the middle of a PIO read. */
    ide_lba28(s, pri, 0, 0, 4);
    qtest_outb(s, IDE_PRI_CMD + REG_COMMAND, 0x20);
    ide_wait_not_busy(s, pri);
    qtest_outb(s, IDE_PRI_CTL, CTL_SRST);
    if (!ide_target_is_qemu()) {
        g_assert_cmphex(qtest_inb(s, IDE_PRI_CTL) & ST_BSY, ==, ST_BSY);
    }
    qtest_outb(s, IDE_PRI_CTL, 0);
    g_assert_cmphex(ide_wait_not_busy(s, pri) & (ST_DRQ | ST_DRDY), ==, ST_DRDY);
    /* ATA signature (ATA8-ACS 9.12): count 1, LBA low 1, mid 0, high 0; diagnostic code 1. */
    g_assert_cmphex(qtest_inb(s, IDE_PRI_CMD + REG_NSECTOR), ==, 1);
    g_assert_cmphex(qtest_inb(s, IDE_PRI_CMD + REG_SECTOR), ==, 1);
    g_assert_cmphex(qtest_inb(s, IDE_PRI_CMD + REG_LCYL), ==, 0);
    g_assert_cmphex(qtest_inb(s, IDE_PRI_CMD + REG_HCYL), ==, 0);
    g_assert_cmphex(qtest_inb(s, IDE_PRI_CMD + REG_ERROR), ==, 1);
    /* EXECUTE DEVICE DIAGNOSTIC gives the same, with an interrupt. */
    g_assert_cmphex(ide_nondata(s, pri, 0x90) & ST_ERR, ==, 0);
    g_assert_cmphex(qtest_inb(s, IDE_PRI_CMD + REG_ERROR), ==, 1);

    /* nIEN masks INTRQ; clearing it shows the pending interrupt again. */
    qtest_outb(s, IDE_PRI_CTL, CTL_NIEN);
    ide_lba28(s, pri, 0, 0, 1);
    qtest_outb(s, IDE_PRI_CMD + REG_COMMAND, 0x20);
    ide_wait_not_busy(s, pri);
    g_assert_false(qtest_get_irq(s, IDE_PRI_IRQ));
    if (!ide_target_is_qemu()) {
        qtest_outb(s, IDE_PRI_CTL, 0);
        g_assert_true(qtest_get_irq(s, IDE_PRI_IRQ));
    }
    qtest_inb(s, IDE_PRI_CMD + REG_STATUS);
    g_assert_false(qtest_get_irq(s, IDE_PRI_IRQ));
    ide_pio_in(s, pri, buf, sizeof(buf));
    g_assert_cmphex(qtest_inb(s, IDE_PRI_CTL) & (ST_DRQ | ST_ERR), ==, 0);
    qtest_quit(s);
    g_free(img);
}

/* ---- qcow2 through the emulated disk ---- */

static void test_qcow2(void)
{
    char *img = image_path("disk.qcow2");
    char *raw = image_path("disk-converted.raw");
    QTestState *s;
    uint8_t out[16 * 512], in[16 * 512];
    uint8_t st;
    static const uint32_t lbas[] = { 0, 129, 4096, 100000, 262143 - 16 };

    if (!qtest_skip_without_binary() || !ide_make_image(img, "qcow2", "128M")) {
        g_test_skip("qemu-img not available");
        g_free(img);
        g_free(raw);
        return;
    }
    s = start_disk(img, "qcow2");
    ide_pci_enable(s);
    qtest_irq_intercept_in(s, "ioapic");
    for (size_t i = 0; i < G_N_ELEMENTS(lbas); i++) {
        ide_fill_pattern(out, sizeof(out), lbas[i]);
        if (i % 2) {
            g_assert_cmphex(ide_write_sectors(s, pri, 0, lbas[i], 16, out) & ST_ERR, ==, 0);
        } else {
            uint32_t addr[] = { GUEST_BUF };
            uint32_t count[] = { sizeof(out) };
            qtest_bufwrite(s, GUEST_BUF, out, sizeof(out));
            ide_write_prd(s, GUEST_PRD, addr, count, 1);
            ide_lba28(s, pri, 0, lbas[i], 16);
            ide_dma(s, pri, 0xca, false, GUEST_PRD, &st);
            g_assert_cmphex(st & ST_ERR, ==, 0);
        }
    }
    g_assert_cmphex(ide_nondata(s, pri, 0xe7) & ST_ERR, ==, 0);
    for (size_t i = 0; i < G_N_ELEMENTS(lbas); i++) {
        ide_fill_pattern(out, sizeof(out), lbas[i]);
        g_assert_cmphex(ide_read_sectors(s, pri, 0, lbas[i], 16, in) & ST_ERR, ==, 0);
        g_assert_cmpmem(in, sizeof(in), out, sizeof(out));
    }
    qtest_quit(s);

    /* qemu-img agrees the image is sound and holds the data. */
    g_assert_cmpint(ide_qemu_img_check(img), ==, 0);
    {
        const char *argv[] = { "qemu-img", "convert", "-O", "raw", img, raw, NULL };
        g_assert_cmpint(ide_run(argv, NULL), ==, 0);
    }
    for (size_t i = 0; i < G_N_ELEMENTS(lbas); i++) {
        ide_fill_pattern(out, sizeof(out), lbas[i]);
        read_file_at(raw, (uint64_t)lbas[i] * 512, in, sizeof(in));
        g_assert_cmpmem(in, sizeof(in), out, sizeof(out));
    }
    /* A second run reads what the first wrote. */
    s = start_disk(img, "qcow2");
    ide_pci_enable(s);
    qtest_irq_intercept_in(s, "ioapic");
    ide_fill_pattern(out, sizeof(out), lbas[3]);
    g_assert_cmphex(ide_read_sectors(s, pri, 0, lbas[3], 16, in) & ST_ERR, ==, 0);
    g_assert_cmpmem(in, sizeof(in), out, sizeof(out));
    qtest_quit(s);
    g_free(img);
    g_free(raw);
}

/* Two disks on the secondary channel: master and slave answer separately, IRQ 15. */
static void test_secondary_channel(void)
{
    char *a, *b;
    QTestState *s;
    uint16_t w[256];
    uint8_t buf[512], want[512];
    const IdeChan *sec = &ide_chan[1];

    if (!qtest_skip_without_binary() || !(a = make_raw("sec-a.raw", "2M")) || !(b = make_raw("sec-b.raw", "4M"))) {
        g_test_skip("qemu-img not available");
        return;
    }
    s = qtest_initf("-nodefaults -drive file=%s,if=ide,index=2,format=raw "
                    "-drive file=%s,if=none,id=d1,format=raw -device ide-hd,drive=d1,bus=ide.1,unit=1", a, b);
    ide_pci_enable(s);
    qtest_irq_intercept_in(s, "ioapic");
    identify(s, sec, 0, w);
    g_assert_cmpuint(w[60], ==, 4096);
    identify(s, sec, 1, w);
    g_assert_cmpuint(w[60], ==, 8192);
    ide_fill_pattern(want, sizeof(want), 1234);
    g_assert_cmphex(ide_write_sectors(s, sec, 1, 8191, 1, want) & ST_ERR, ==, 0);
    g_assert_cmphex(ide_read_sectors(s, sec, 1, 8191, 1, buf) & ST_ERR, ==, 0);
    g_assert_cmpmem(buf, sizeof(buf), want, sizeof(want));
    g_assert_false(qtest_get_irq(s, IDE_PRI_IRQ));
    /* The primary channel is empty: its status reads 0. */
    g_assert_cmphex(qtest_inb(s, IDE_PRI_CMD + REG_STATUS), ==, 0);
    qtest_quit(s);
    read_file_at(b, 8191 * 512, buf, sizeof(buf));
    g_assert_cmpmem(buf, sizeof(buf), want, sizeof(want));
    g_free(a);
    g_free(b);
}

/*
 * Host write errors reach the guest as errors: the emulator runs with a
 * file size limit of 512 KiB (SIGXFSZ ignored), so writes past it fail
 * with EFBIG while the 1 MiB image stays readable.
 */
static void test_write_errors(void)
{
    char *img;
    QTestState *s;
    uint8_t buf[8 * 512], st, bm;

    if (!qtest_skip_without_binary()) {
        return;
    }
    if (g_getenv("QTEST_LAUNCHER") && *g_getenv("QTEST_LAUNCHER")) {
        g_test_skip("the emulator already runs under a launcher");
        return;
    }
    if (!ide_have_program("prlimit") || !(img = make_raw("werr.raw", "1M"))) {
        g_test_skip("prlimit or qemu-img not available");
        return;
    }
    g_setenv("QTEST_LAUNCHER", "sh -c 'trap \"\" XFSZ; exec prlimit --fsize=524288 \"$@\"' sh", TRUE);
    s = start_raw(img);
    g_unsetenv("QTEST_LAUNCHER");
    ide_fill_pattern(buf, sizeof(buf), 11);

    /* Below the limit all is well. */
    g_assert_cmphex(ide_write_sectors(s, pri, 0, 10, 1, buf) & (ST_ERR | ST_DF), ==, 0);
    /* Beyond it a PIO write fails: DF and ERR, ABRT, and INTRQ. */
    ide_lba28(s, pri, 0, 1500, 1);
    qtest_outb(s, IDE_PRI_CMD + REG_COMMAND, 0x30);
    ide_wait_not_busy(s, pri);
    ide_pio_out(s, pri, buf, 512);
    ide_wait_not_busy(s, pri);
    g_assert_true(qtest_get_irq(s, IDE_PRI_IRQ));
    st = qtest_inb(s, IDE_PRI_CMD + REG_STATUS);
    g_assert_cmphex(st & (ST_ERR | ST_DRQ | ST_BSY), ==, ST_ERR);
    if (!ide_target_is_qemu()) {
        g_assert_cmphex(st & ST_DF, ==, ST_DF);
        g_assert_cmphex(qtest_inb(s, IDE_PRI_CMD + REG_ERROR), ==, ER_ABRT);
        /* A write across the limit: the first four sectors land, the error names sector 1024. */
        ide_lba28(s, pri, 0, 1020, 8);
        qtest_outb(s, IDE_PRI_CMD + REG_COMMAND, 0x30);
        for (int i = 0; i < 5; i++) {
            st = ide_wait_not_busy(s, pri);
            if (!(st & ST_DRQ)) {
                break;
            }
            qtest_inb(s, IDE_PRI_CMD + REG_STATUS);
            ide_pio_out(s, pri, buf + 512 * i, 512);
        }
        st = ide_wait_not_busy(s, pri);
        g_assert_cmphex(st & (ST_ERR | ST_DRQ), ==, ST_ERR);
        g_assert_cmpuint(qtest_inb(s, IDE_PRI_CMD + REG_SECTOR) | qtest_inb(s, IDE_PRI_CMD + REG_LCYL) << 8, ==, 1024);
    }
    /* A DMA write fails as a device error: the bus master reports no error of its own. */
    {
        uint32_t addr[] = { GUEST_BUF };
        uint32_t count[] = { 4096 };
        qtest_bufwrite(s, GUEST_BUF, buf, sizeof(buf));
        ide_write_prd(s, GUEST_PRD, addr, count, 1);
    }
    ide_lba28(s, pri, 0, 1800, 8);
    bm = ide_dma(s, pri, 0xca, false, GUEST_PRD, &st);
    g_assert_cmphex(st & ST_ERR, ==, ST_ERR);
    g_assert_cmphex(bm & (BM_INT | BM_ERROR), ==, BM_INT);
    /* Reads are unaffected, and so is what was written before the limit. */
    {
        uint8_t in[4 * 512];
        g_assert_cmphex(ide_read_sectors(s, pri, 0, 1800, 1, in) & ST_ERR, ==, 0);
        g_assert_cmphex(ide_read_sectors(s, pri, 0, 10, 1, in) & ST_ERR, ==, 0);
        g_assert_cmpmem(in, 512, buf, 512);
        if (!ide_target_is_qemu()) {
            g_assert_cmphex(ide_read_sectors(s, pri, 0, 1020, 4, in) & ST_ERR, ==, 0);
            g_assert_cmpmem(in, sizeof(in), buf, sizeof(in));
        }
    }
    qtest_quit(s);
    g_free(img);
}

static uint8_t cmos_read(QTestState *s, uint8_t index)
{
    qtest_outb(s, 0x70, index);
    return qtest_inb(s, 0x71);
}

/* fw_cfg file contents by name (selector 0x510, data 0x511, directory at key 0x19). */
static char *fw_cfg_file(QTestState *s, const char *name, size_t *len)
{
    uint32_t count = 0;

    qtest_outw(s, 0x510, 0x19);
    for (int i = 0; i < 4; i++) {
        count = count << 8 | qtest_inb(s, 0x511);
    }
    for (uint32_t e = 0; e < count; e++) {
        uint8_t ent[64];
        for (int i = 0; i < 64; i++) {
            ent[i] = qtest_inb(s, 0x511);
        }
        if (!strncmp((const char *)ent + 8, name, 56)) {
            uint32_t size = (uint32_t)ent[0] << 24 | ent[1] << 16 | ent[2] << 8 | ent[3];
            char *data = g_malloc0(size + 1);
            qtest_outw(s, 0x510, (uint16_t)(ent[4] << 8 | ent[5]));
            for (uint32_t i = 0; i < size; i++) {
                data[i] = (char)qtest_inb(s, 0x511);
            }
            *len = size;
            return data;
        }
    }
    return NULL;
}

/* What firmware learns about the disks: CMOS types, geometry and translation; fw_cfg bootorder. */
static void test_firmware_view(void)
{
    char *small, *big, *bootorder;
    QTestState *s;
    size_t len = 0;

    if (!qtest_skip_without_binary() || !(small = make_raw("fw-small.raw", "64M")) ||
        !(big = make_raw("fw-big.raw", "1G"))) {
        g_test_skip("qemu-img not available");
        return;
    }
    s = qtest_initf("-nodefaults -drive file=%s,if=none,id=d0,format=raw "
                    "-device ide-hd,drive=d0,bus=ide.0,unit=0,bootindex=2 "
                    "-drive file=%s,if=ide,index=1,format=raw "
                    "-drive if=none,id=c0,media=cdrom -device ide-cd,drive=c0,bus=ide.1,unit=0,bootindex=1",
                    small, big);
    g_assert_cmphex(cmos_read(s, 0x12), ==, 0xff);          /* disks 0 and 1: extended types */
    g_assert_cmpuint(cmos_read(s, 0x19), ==, 47);
    g_assert_cmpuint(cmos_read(s, 0x1a), ==, 47);
    /* 64 MiB: 130 cylinders, 16 heads, 63 sectors; 1 GiB: 2080 cylinders. */
    g_assert_cmpuint(cmos_read(s, 0x1b) | cmos_read(s, 0x1c) << 8, ==, 130);
    g_assert_cmpuint(cmos_read(s, 0x1d), ==, 16);
    g_assert_cmpuint(cmos_read(s, 0x23), ==, 63);
    g_assert_cmpuint(cmos_read(s, 0x24) | cmos_read(s, 0x25) << 8, ==, 2080);
    g_assert_cmpuint(cmos_read(s, 0x2c), ==, 63);
    /* Translation: none for disk 0, LBA for disk 1 (more than 1024 cylinders). */
    g_assert_cmphex(cmos_read(s, 0x39), ==, 0x04);
    /* The boot indexes reach SeaBIOS as firmware device paths, lowest first. */
    bootorder = fw_cfg_file(s, "bootorder", &len);
    g_assert_nonnull(bootorder);
    g_assert_cmpstr(bootorder, ==, "/pci@i0cf8/ide@1,1/drive@1/disk@0\n/pci@i0cf8/ide@1,1/drive@0/disk@0");
    g_free(bootorder);
    qtest_quit(s);
    g_free(small);
    g_free(big);
}

int main(int argc, char **argv)
{
    int ret;

    g_test_init(&argc, &argv, NULL);
    tmp_dir = test_tmpdir_on_disk("test-ide");
    g_assert_nonnull(tmp_dir);
    g_test_add_func("/ide/pci-function", test_pci_function);
    g_test_add_func("/ide/identify", test_identify);
    g_test_add_func("/ide/pio-round-trip", test_pio_round_trip);
    g_test_add_func("/ide/pio-multiple", test_pio_multiple);
    g_test_add_func("/ide/lba48", test_lba48);
    g_test_add_func("/ide/chs", test_chs);
    g_test_add_func("/ide/dma-round-trip", test_dma_round_trip);
    g_test_add_func("/ide/dma-bad-prd", test_dma_bad_prd);
    g_test_add_func("/ide/flush-and-features", test_flush_and_features);
    g_test_add_func("/ide/errors", test_errors);
    g_test_add_func("/ide/reset-and-nien", test_reset_and_nien);
    g_test_add_func("/ide/qcow2", test_qcow2);
    g_test_add_func("/ide/secondary-channel", test_secondary_channel);
    g_test_add_func("/ide/firmware-view", test_firmware_view);
    g_test_add_func("/ide/write-errors", test_write_errors);
    ret = g_test_run();
    test_tmpdir_remove(tmp_dir);
    g_free(tmp_dir);
    return ret;
}
