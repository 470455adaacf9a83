/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Devices Xen 4.17 emulates itself, so their accesses never reach a device
 * model (xen-interface.md §5.1).  Minimal versions, enough that the right
 * accesses are absorbed or passed through:
 *  - 0xcf8: 4-byte writes latch the PCI address, and the access is still
 *    forwarded (xen:xen/arch/x86/hvm/io.c hvm_access_cf8);
 *  - RTC 0x70/0x71: CMOS index 0x00-0x0d is Xen's; an index write >= 0x0e
 *    and data accesses while the index is >= 0x0e are forwarded (the device
 *    model keeps the NVRAM); non-byte accesses read all-ones
 *    (xen:xen/arch/x86/hvm/rtc.c handle_rtc_io); setting the time sends a
 *    TIMEOFFSET buffered ioreq;
 *  - PIT 0x40-0x43 and port 0x61, PICs 0x20/0x21/0xa0/0xa1, ELCR 0x4d0/0x4d1;
 *  - ACPI PM1a status/enable and PM timer at 0x1f40 (0xb000 once
 *    HVM_PARAM_ACPI_IOPORTS_LOCATION is 1);
 *  - debug console 0xe9 (writes; printed line by line);
 *  - LAPIC, IOAPIC (48 pins) and HPET MMIO.
 * Time is the qtest virtual clock.
 */
#include "tools/xensim/xensim.h"

#include <inttypes.h>
#include <string.h>
#include <time.h>
#include <xen/hvm/ioreq.h>

#define RTC_CMOS_SIZE       14
#define PM_TMR_HZ           3579545ULL
#define PIT_HZ              1193182ULL
#define LAPIC_BASE          0xfee00000ULL
#define IOAPIC_BASE         0xfec00000ULL
#define HPET_BASE           0xfed00000ULL
#define HPET_PERIOD_FS      16000000ULL     /* 16 ns per tick */

static uint8_t pit_ctrl;
static uint8_t port61;
static uint8_t pic_icw_step[2];
static uint64_t hpet_regs[0x400 / 8];

static uint8_t to_bcd(unsigned v)
{
    return (uint8_t)(((v / 10) << 4) | (v % 10));
}

static unsigned from_bcd(uint8_t v)
{
    return (v >> 4) * 10 + (v & 0xf);
}

static bool rtc_binary(void)
{
    return sim->rtc_regs[0xb] & 0x04;
}

static unsigned rtc_field(unsigned reg)
{
    return rtc_binary() ? sim->rtc_regs[reg] : from_bcd(sim->rtc_regs[reg]);
}

static int64_t rtc_now_seconds(void)
{
    return sim->rtc_base_seconds + sim->clock_ns / 1000000000LL;
}

/* Load the time registers from the current simulated time. */
static void rtc_update_regs(void)
{
    time_t t = (time_t)rtc_now_seconds();
    struct tm tm;
    uint8_t (*enc)(unsigned) = rtc_binary() ? NULL : to_bcd;

    gmtime_r(&t, &tm);
#define SET(reg, v) sim->rtc_regs[reg] = enc ? enc(v) : (uint8_t)(v)
    SET(0x0, tm.tm_sec);
    SET(0x2, tm.tm_min);
    SET(0x4, tm.tm_hour);
    SET(0x6, tm.tm_wday + 1);
    SET(0x7, tm.tm_mday);
    SET(0x8, tm.tm_mon + 1);
    SET(0x9, tm.tm_year % 100);
#undef SET
}

/* The guest set the clock: move our base and tell the servers (TIMEOFFSET). */
static void rtc_set_time(void)
{
    struct tm tm = { 0 };
    int64_t before = rtc_now_seconds(), after;

    tm.tm_sec = (int)rtc_field(0x0);
    tm.tm_min = (int)rtc_field(0x2);
    tm.tm_hour = (int)rtc_field(0x4);
    tm.tm_mday = (int)rtc_field(0x7);
    tm.tm_mon = (int)rtc_field(0x8) - 1;
    tm.tm_year = (int)rtc_field(0x9) + 100;
    after = (int64_t)timegm(&tm);
    if (after == -1) {
        return;
    }
    sim->rtc_base_seconds += after - before;
    if (after != before) {
        sim_record("timeoffset %" PRId64, after - before);
        ioreq_broadcast_timeoffset(after - before);
    }
}

void platform_init(void)
{
    sim->rtc_base_seconds = (int64_t)time(NULL);
    sim->rtc_regs[0xa] = 0x26;
    sim->rtc_regs[0xb] = 0x02;      /* 24-hour, BCD */
    sim->rtc_regs[0xd] = 0x80;      /* valid RAM and time */
    sim->pic_imr[0] = sim->pic_imr[1] = 0xff;
    sim->debugcon = g_string_new(NULL);
    hpet_regs[0] = (HPET_PERIOD_FS << 32) | 0x8086a201ULL;
}

static bool rtc_io(uint16_t port, unsigned size, bool write, uint32_t *val)
{
    if (size != 1) {
        if (!write) {
            *val = ~0u;
        }
        return true;
    }
    if (port == 0x70) {
        if (write) {
            sim->rtc_index = *val & 0x7f;
            return sim->rtc_index < RTC_CMOS_SIZE;
        }
        if (sim->rtc_index < RTC_CMOS_SIZE) {
            *val = 0xff;
            return true;
        }
        return false;
    }
    if (sim->rtc_index >= RTC_CMOS_SIZE) {
        return false;   /* CMOS NVRAM belongs to the device model */
    }
    if (write) {
        unsigned idx = sim->rtc_index;

        if (idx == 0xc || idx == 0xd) {
            return true;    /* read-only */
        }
        if (idx == 0xb) {
            bool was_set = sim->rtc_regs[0xb] & 0x80;

            sim->rtc_regs[0xb] = (uint8_t)*val;
            if (was_set && !(*val & 0x80)) {
                rtc_set_time();
            }
            return true;
        }
        sim->rtc_regs[idx] = (uint8_t)*val;
        if (idx <= 9 && idx != 1 && idx != 3 && idx != 5 && !(sim->rtc_regs[0xb] & 0x80)) {
            rtc_set_time();
        }
        return true;
    }
    if (sim->rtc_index <= 9 && !(sim->rtc_regs[0xb] & 0x80)) {
        rtc_update_regs();
    }
    *val = sim->rtc_regs[sim->rtc_index];
    if (sim->rtc_index == 0xc) {
        sim->rtc_regs[0xc] = 0;     /* reading C clears the flags */
    }
    return true;
}

static bool pit_io(uint16_t port, unsigned size, bool write, uint32_t *val)
{
    uint64_t ticks = (uint64_t)sim->clock_ns * PIT_HZ / 1000000000ULL;

    if (port == 0x61) {
        if (write) {
            port61 = *val & 0x03;
        } else {
            /* bit 4: refresh toggle (15 us), bit 5: channel 2 output (square wave) */
            uint64_t refresh = (uint64_t)sim->clock_ns / 15000;
            uint64_t out2 = (ticks / 32768) & 1;

            *val = port61 | ((refresh & 1) << 4) | ((out2 & (port61 & 1)) << 5);
        }
        return true;
    }
    if (write) {
        if (port == 0x43) {
            pit_ctrl = (uint8_t)*val;
        }
    } else {
        *val = port == 0x43 ? 0xff : (uint32_t)(0xffff - (ticks & 0xffff)) & 0xff;
    }
    return true;
}

static bool pic_io(uint16_t port, unsigned size, bool write, uint32_t *val)
{
    unsigned i = port >= 0xa0 ? 1 : 0;

    if (write) {
        if ((port & 1) == 0) {
            if (*val & 0x10) {
                pic_icw_step[i] = 1;    /* ICW1: ICW2, ICW3 (and ICW4) follow */
                sim->pic_imr[i] = 0;
            }
        } else if (pic_icw_step[i]) {
            pic_icw_step[i] = pic_icw_step[i] >= 3 ? 0 : pic_icw_step[i] + 1;
        } else {
            sim->pic_imr[i] = (uint8_t)*val;
        }
    } else {
        *val = (port & 1) ? sim->pic_imr[i] : 0;
    }
    return true;
}

static uint16_t pm_base(void)
{
    return sim->hvm_params[HVM_PARAM_ACPI_IOPORTS_LOCATION] ? ACPI_PM1A_EVT_BLK_ADDRESS_V1
                                                            : ACPI_PM1A_EVT_BLK_ADDRESS_V0;
}

static bool pm_io(uint16_t port, unsigned size, bool write, uint32_t *val)
{
    uint16_t base = pm_base();

    if (port >= base + 8) {
        if (size != 4 || port != base + 8 || write) {
            if (!write) {
                *val = ~0u;
            }
            return true;
        }
        *val = (uint32_t)((uint64_t)sim->clock_ns * PM_TMR_HZ / 1000000000ULL);
        return true;
    }
    {
        uint32_t reg = sim->pm1a_sts | ((uint32_t)sim->pm1a_en << 16);
        unsigned shift = (port - base) * 8;
        uint32_t mask = (size == 4 ? ~0u : ((1u << (size * 8)) - 1)) << shift;

        if (write) {
            uint32_t v = (*val << shift) & mask;

            sim->pm1a_sts &= (uint16_t)~(v & 0xffff);  /* write 1 to clear */
            sim->pm1a_en = (uint16_t)((sim->pm1a_en & ~(mask >> 16)) | (v >> 16));
        } else {
            *val = (reg & mask) >> shift;
        }
    }
    return true;
}

static bool debugcon_io(uint16_t port, unsigned size, bool write, uint32_t *val)
{
    char c;

    if (!write) {
        return false;
    }
    c = (char)(*val & 0xff);
    if (c == '\n' || sim->debugcon->len >= 256) {
        sim_log("guest debug console: %s", sim->debugcon->str);
        g_string_truncate(sim->debugcon, 0);
    } else if (c != '\r') {
        g_string_append_c(sim->debugcon, g_ascii_isprint(c) ? c : '.');
    }
    return true;
}

static bool within(uint16_t port, unsigned size, uint16_t first, uint16_t last)
{
    return port >= first && (unsigned)port + size - 1 <= last;
}

bool platform_pio(uint16_t port, unsigned size, bool write, uint32_t *val)
{
    uint16_t base = pm_base();

    if (within(port, size, 0xcf8, 0xcfb)) {
        if (write && size == 4 && port == 0xcf8) {
            sim->pci_cf8 = *val;
        }
        return false;   /* observed and still forwarded */
    }
    if (within(port, size, 0x70, 0x71)) {
        return rtc_io(port, size, write, val);
    }
    if (within(port, size, 0x40, 0x43) || (port == 0x61 && size == 1)) {
        return pit_io(port, size, write, val);
    }
    if (within(port, size, 0x20, 0x21) || within(port, size, 0xa0, 0xa1)) {
        return pic_io(port, size, write, val);
    }
    if (within(port, size, 0x4d0, 0x4d1)) {
        if (write) {
            sim->elcr[port - 0x4d0] = (uint8_t)*val;
            if (size == 2) {
                sim->elcr[1] = (uint8_t)(*val >> 8);
            }
        } else {
            *val = sim->elcr[port - 0x4d0] | (size == 2 ? (uint32_t)sim->elcr[1] << 8 : 0);
        }
        return true;
    }
    if (within(port, size, base, base + 3) || within(port, size, base + 8, base + 11)) {
        return pm_io(port, size, write, val);
    }
    if (port == 0xe9 && size == 1) {
        return debugcon_io(port, size, write, val);
    }
    return false;
}

static bool ioapic_io(uint64_t off, unsigned size, bool write, uint64_t *val)
{
    if (off == 0x00) {
        if (write) {
            sim->ioapic_index = (uint32_t)*val & 0xff;
        } else {
            *val = sim->ioapic_index;
        }
    } else if (off == 0x10) {
        uint32_t idx = sim->ioapic_index;

        if (idx >= 0x10 && idx < 0x10 + 2 * 48) {
            uint32_t *r = &sim->ioapic_redir[(idx - 0x10) / 2][idx & 1];

            if (write) {
                *r = (uint32_t)*val;
            } else {
                *val = *r;
            }
        } else if (!write) {
            *val = idx == 1 ? 0x002f0011 : 0;   /* version 0x11, 48 pins */
        }
    } else if (!write) {
        *val = 0;
    }
    return true;
}

static bool hpet_io(uint64_t off, unsigned size, bool write, uint64_t *val)
{
    unsigned idx = (unsigned)(off / 8);
    unsigned shift = (unsigned)(off & 7) * 8;
    uint64_t mask = (size == 8 ? ~0ULL : ((1ULL << (size * 8)) - 1)) << shift;

    if (idx >= G_N_ELEMENTS(hpet_regs)) {
        if (!write) {
            *val = 0;
        }
        return true;
    }
    if (idx == 0xf0 / 8 && (hpet_regs[0x10 / 8] & 1)) {
        hpet_regs[idx] = (uint64_t)sim->clock_ns * 1000000ULL / HPET_PERIOD_FS;
    }
    if (write) {
        if (idx != 0) {
            hpet_regs[idx] = (hpet_regs[idx] & ~mask) | ((*val << shift) & mask);
        }
    } else {
        *val = (hpet_regs[idx] & mask) >> shift;
    }
    return true;
}

bool platform_mmio(uint64_t addr, unsigned size, bool write, uint64_t *val)
{
    if (addr >= LAPIC_BASE && addr < LAPIC_BASE + 0x1000) {
        if (!write) {
            uint64_t off = addr - LAPIC_BASE;

            *val = off == 0x30 ? 0x50014 : 0;   /* version register */
        }
        return true;
    }
    if (addr >= IOAPIC_BASE && addr < IOAPIC_BASE + 0x100) {
        return ioapic_io(addr - IOAPIC_BASE, size, write, val);
    }
    if (addr >= HPET_BASE && addr < HPET_BASE + 0x400) {
        return hpet_io(addr - HPET_BASE, size, write, val);
    }
    return false;
}

void platform_param_changed(unsigned param)
{
    /* The PM1a/TMR handlers follow HVM_PARAM_ACPI_IOPORTS_LOCATION via pm_base(). */
}
