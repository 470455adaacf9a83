/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Motorola MC146818A real-time clock plus RAM (datasheet: "Address map",
 * "Time, calendar and alarm locations", "Register A-D", "Update cycle",
 * "Interrupts"), with QEMU's mc146818rtc as the reference for PC details
 * (century byte at 0x32, base year, reset of the shutdown byte).
 *
 * The clock is not ticked.  While it runs (divider on, SET clear) the time
 * is `rtc_sec` at the virtual instant `last_update_ns`, the last update
 * cycle; update cycles happen every second after it.  Any access first
 * catches up: it counts the update cycles that have happened since,
 * advancing the time and setting UF/AF, and looks for periodic divider
 * edges since the last look (PF).  The time registers are encoded from
 * `rtc_sec` when read.  While SET is 1 or the divider is held, the time
 * registers themselves are the clock; when it runs again their contents
 * become the time.  A timer is armed only to raise IRQ 8 when an enabled
 * flag will next be set.
 */
#include <glib.h>

#include "hw/core/clock.h"
#include "hw/core/log.h"
#include "hw/timer/mc146818rtc.h"

/* Address map */
#define RTC_SECONDS         0x00
#define RTC_SECONDS_ALARM   0x01
#define RTC_MINUTES         0x02
#define RTC_MINUTES_ALARM   0x03
#define RTC_HOURS           0x04
#define RTC_HOURS_ALARM     0x05
#define RTC_DAY_OF_WEEK     0x06
#define RTC_DAY_OF_MONTH    0x07
#define RTC_MONTH           0x08
#define RTC_YEAR            0x09
#define RTC_REG_A           0x0a
#define RTC_REG_B           0x0b
#define RTC_REG_C           0x0c
#define RTC_REG_D           0x0d
#define RTC_SHUTDOWN_STATUS 0x0f
#define RTC_CENTURY         0x32    /* PC/AT convention */
#define RTC_PS2_CENTURY     0x37    /* IBM PS/2 location, an alias of 0x32 */

/* Register A */
#define REG_A_UIP           0x80
#define REG_A_DV_SHIFT      4
#define REG_A_DV_MASK       0x07
#define REG_A_DV_32KHZ      2
#define REG_A_RS_MASK       0x0f
/* DV values 0-2 select a time base and run; 3-5 are test modes; 6-7 hold the divider in reset. */
#define DV_LAST_RUNNING     2

/* Register B */
#define REG_B_SET           0x80
#define REG_B_PIE           0x40
#define REG_B_AIE           0x20
#define REG_B_UIE           0x10
#define REG_B_SQWE          0x08
#define REG_B_DM            0x04    /* 1 = binary, 0 = BCD */
#define REG_B_24H           0x02
#define REG_B_DSE           0x01

/* Register C */
#define REG_C_IRQF          0x80
#define REG_C_PF            0x40
#define REG_C_AF            0x20
#define REG_C_UF            0x10
#define REG_C_FLAGS         (REG_C_PF | REG_C_AF | REG_C_UF)

/* Register D */
#define REG_D_VRT           0x80

#define HOUR_PM             0x80
#define ALARM_DONT_CARE     0xc0    /* both high bits set: "don't care" */

#define RTC_DIVIDER_HZ      32768
/* UIP rises 244 us (8 cycles of the 32.768 kHz time base) before an update cycle. */
#define UIP_HOLD_NS         (8 * NANOSECONDS_PER_SECOND / RTC_DIVIDER_HZ)
/* "When the divider reset is removed the first update cycle begins one-half second later." */
#define FIRST_UPDATE_DELAY_NS (NANOSECONDS_PER_SECOND / 2)

#define SECS_PER_DAY        86400
/* Loaded times beyond these cannot come from a sane clock (and keep the date math in range). */
#define RTC_SEC_LIMIT       (INT64_C(1) << 40)
#define RTC_NS_LIMIT        (INT64_C(1) << 62)

struct RTCState {
    Device dev;
    uint8_t cmos[RTC_CMOS_SIZE];
    uint8_t index;
    uint8_t ext_cmos[RTC_CMOS_SIZE];
    uint8_t ext_index;
    int64_t rtc_sec;        /* seconds since 1970-01-01 00:00 (RTC's own time) at last_update_ns */
    int64_t last_update_ns; /* virtual time of the last update cycle: the divider's phase */
    int64_t pf_checked_ns;  /* periodic edges up to here are accounted for in PF */

    /* Plumbing. */
    int year_base;
    IrqLine *irq;
    Timer *timer;
    MemoryRegion *io;
    MemoryRegion *io_ext;
};

static int64_t rtc_now(void)
{
    return clock_get_ns(CLOCK_VIRTUAL);
}

static int64_t floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;

    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

static int64_t floor_mod(int64_t a, int64_t b)
{
    return a - floor_div(a, b) * b;
}

/* ---- calendar (proleptic Gregorian, days relative to 1970-01-01) ---- */

static int64_t days_from_date(int64_t year, int month, int day)
{
    /* Count years from March so the leap day is the last day of the year. */
    int64_t y = month <= 2 ? year - 1 : year;
    int64_t era = floor_div(y, 400);
    int64_t year_of_era = y - era * 400;
    int month_from_march = month > 2 ? month - 3 : month + 9;
    int64_t day_of_year = (153 * month_from_march + 2) / 5 + day - 1;
    int64_t day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;

    return era * 146097 + day_of_era - 719468;
}

static void date_from_days(int64_t days, int64_t *year, int *month, int *day)
{
    int64_t z = days + 719468;
    int64_t era = floor_div(z, 146097);
    int64_t day_of_era = z - era * 146097;
    int64_t year_of_era = (day_of_era - day_of_era / 1460 + day_of_era / 36524 - day_of_era / 146096) / 365;
    int64_t day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    int month_from_march = (5 * day_of_year + 2) / 153;

    *day = day_of_year - (153 * month_from_march + 2) / 5 + 1;
    *month = month_from_march < 10 ? month_from_march + 3 : month_from_march - 9;
    *year = year_of_era + era * 400 + (*month <= 2);
}

/* ---- register encoding ---- */

static bool rtc_binary(const RTCState *s)
{
    return s->cmos[RTC_REG_B] & REG_B_DM;
}

static uint8_t rtc_encode(const RTCState *s, int v)
{
    return rtc_binary(s) ? v : ((v / 10) << 4) | (v % 10);
}

/* Decode whatever the guest left in a time byte; garbage gives a (large) number, never an error. */
static int rtc_decode(const RTCState *s, uint8_t b)
{
    return rtc_binary(s) ? b : (b >> 4) * 10 + (b & 0x0f);
}

/* Strict decode for alarm compares: -1 if the byte can never equal a time byte. */
static int rtc_decode_strict(const RTCState *s, uint8_t b)
{
    if (!rtc_binary(s) && ((b & 0x0f) > 9 || (b >> 4) > 9)) {
        return -1;
    }
    return rtc_decode(s, b);
}

static int rtc_decode_hour(const RTCState *s, uint8_t b)
{
    if (s->cmos[RTC_REG_B] & REG_B_24H) {
        return rtc_decode(s, b);
    }
    return rtc_decode(s, b & ~HOUR_PM) % 12 + ((b & HOUR_PM) ? 12 : 0);
}

static uint8_t rtc_encode_hour(const RTCState *s, int hour)
{
    int h12;

    if (s->cmos[RTC_REG_B] & REG_B_24H) {
        return rtc_encode(s, hour);
    }
    h12 = hour % 12 ? hour % 12 : 12;
    return rtc_encode(s, h12) | (hour >= 12 ? HOUR_PM : 0);
}

/* The time registers (whatever they hold) as seconds since 1970. */
static int64_t rtc_time_from_regs(const RTCState *s)
{
    int64_t year = s->year_base + rtc_decode(s, s->cmos[RTC_CENTURY]) * 100 +
                   rtc_decode(s, s->cmos[RTC_YEAR]);
    int64_t month0 = rtc_decode(s, s->cmos[RTC_MONTH]) - 1;
    int64_t days;

    /* Out of range fields carry into the next larger unit, like mktime. */
    year += floor_div(month0, 12);
    month0 = floor_mod(month0, 12);
    days = days_from_date(year, month0 + 1, 1) + rtc_decode(s, s->cmos[RTC_DAY_OF_MONTH]) - 1;
    return days * SECS_PER_DAY + rtc_decode_hour(s, s->cmos[RTC_HOURS]) * 3600 +
           rtc_decode(s, s->cmos[RTC_MINUTES]) * 60 + rtc_decode(s, s->cmos[RTC_SECONDS]);
}

static void rtc_regs_from_time(RTCState *s, int64_t t)
{
    int64_t days = floor_div(t, SECS_PER_DAY);
    int64_t tod = floor_mod(t, SECS_PER_DAY);
    int64_t year, rel;
    int month, day;

    date_from_days(days, &year, &month, &day);
    rel = CLAMP(year - s->year_base, 0, 9999);

    s->cmos[RTC_SECONDS] = rtc_encode(s, tod % 60);
    s->cmos[RTC_MINUTES] = rtc_encode(s, tod / 60 % 60);
    s->cmos[RTC_HOURS] = rtc_encode_hour(s, tod / 3600);
    /* 1970-01-01 was a Thursday; the register counts Sunday as 1. */
    s->cmos[RTC_DAY_OF_WEEK] = rtc_encode(s, floor_mod(days + 4, 7) + 1);
    s->cmos[RTC_DAY_OF_MONTH] = rtc_encode(s, day);
    s->cmos[RTC_MONTH] = rtc_encode(s, month);
    s->cmos[RTC_YEAR] = rtc_encode(s, rel % 100);
    s->cmos[RTC_CENTURY] = rtc_encode(s, rel / 100);
}

/* ---- clock state ---- */

static bool rtc_divider_running(const RTCState *s)
{
    return ((s->cmos[RTC_REG_A] >> REG_A_DV_SHIFT) & REG_A_DV_MASK) <= DV_LAST_RUNNING;
}

/* Update cycles happen (and rtc_sec is the time) only with the divider running and SET clear. */
static bool rtc_updating(const RTCState *s)
{
    return rtc_divider_running(s) && !(s->cmos[RTC_REG_B] & REG_B_SET);
}

/* Periodic interrupt period in 32.768 kHz cycles (Register A RS3-RS0), 0 = none. */
static int64_t rtc_periodic_cycles(const RTCState *s)
{
    int rs = s->cmos[RTC_REG_A] & REG_A_RS_MASK;

    if (rs == 0) {
        return 0;
    }
    /* RS 1 and 2 repeat the 256 Hz and 128 Hz taps of RS 8 and 9. */
    return rs <= 2 ? INT64_C(1) << (rs + 6) : INT64_C(1) << (rs - 1);
}

/* Divider cycles from the update phase to t (floor, may be negative). */
static int64_t rtc_divider_cycles(const RTCState *s, int64_t t)
{
    __int128 ns = (__int128)t - s->last_update_ns;
    __int128 scaled = ns * RTC_DIVIDER_HZ;
    __int128 q = scaled / NANOSECONDS_PER_SECOND;

    if (scaled % NANOSECONDS_PER_SECOND != 0 && scaled < 0) {
        q--;
    }
    return (int64_t)q;
}

/* Virtual time of the first periodic edge after t (t is never before the update phase). */
static int64_t rtc_next_periodic_edge(const RTCState *s, int64_t t, int64_t period)
{
    int64_t edge_cycle = (floor_div(rtc_divider_cycles(s, t), period) + 1) * period;
    __int128 ns = ((__int128)edge_cycle * NANOSECONDS_PER_SECOND + RTC_DIVIDER_HZ - 1) / RTC_DIVIDER_HZ;

    return s->last_update_ns + (int64_t)ns;
}

/*
 * Alarm byte as a value to compare with, -1 for "don't care", -2 for a
 * value no time byte can have (the alarm then never fires).
 */
static int rtc_alarm_field(const RTCState *s, uint8_t b, int limit)
{
    int v;

    if ((b & ALARM_DONT_CARE) == ALARM_DONT_CARE) {
        return -1;
    }
    v = rtc_decode_strict(s, b);
    return (v >= 0 && v < limit) ? v : -2;
}

static int rtc_alarm_hour(const RTCState *s, uint8_t b)
{
    int v;

    if ((b & ALARM_DONT_CARE) == ALARM_DONT_CARE) {
        return -1;
    }
    if (s->cmos[RTC_REG_B] & REG_B_24H) {
        return rtc_alarm_field(s, b, 24);
    }
    v = rtc_decode_strict(s, b & ~HOUR_PM);
    if (v < 1 || v > 12) {
        return -2;
    }
    return v % 12 + ((b & HOUR_PM) ? 12 : 0);
}

/* Seconds from time t to the next second (1..86400) whose time matches the alarm; -1 if none. */
static int64_t rtc_next_alarm_delta(const RTCState *s, int64_t t)
{
    int alarm_sec = rtc_alarm_field(s, s->cmos[RTC_SECONDS_ALARM], 60);
    int alarm_min = rtc_alarm_field(s, s->cmos[RTC_MINUTES_ALARM], 60);
    int alarm_hour = rtc_alarm_hour(s, s->cmos[RTC_HOURS_ALARM]);
    int64_t tod = floor_mod(t, SECS_PER_DAY);
    int cur_hour = tod / 3600, cur_min = tod / 60 % 60, cur_sec = tod % 60;

    if (alarm_sec == -2 || alarm_min == -2 || alarm_hour == -2) {
        return -1;
    }
    /* Walk forward hour by hour (25 to come back round to this hour), then minutes, then seconds. */
    for (int dh = 0; dh <= 24; dh++) {
        int hour = (cur_hour + dh) % 24;

        if (alarm_hour >= 0 && alarm_hour != hour) {
            continue;
        }
        for (int min = dh == 0 ? cur_min : 0; min < 60; min++) {
            if (alarm_min >= 0 && alarm_min != min) {
                continue;
            }
            for (int sec = (dh == 0 && min == cur_min) ? cur_sec + 1 : 0; sec < 60; sec++) {
                int64_t delta;

                if (alarm_sec >= 0 && alarm_sec != sec) {
                    continue;
                }
                delta = dh * 3600 + (min - cur_min) * 60 + (sec - cur_sec);
                return delta <= SECS_PER_DAY ? delta : -1;
            }
        }
    }
    return -1;
}

/* Account for the update cycles and periodic edges up to `now`. */
static void rtc_catch_up(RTCState *s, int64_t now)
{
    int64_t period = rtc_periodic_cycles(s);

    if (!rtc_divider_running(s)) {
        return;
    }
    /* PF is set at every edge of the selected divider tap, whatever PIE says. */
    if (period && now > s->pf_checked_ns &&
        floor_div(rtc_divider_cycles(s, now), period) >
        floor_div(rtc_divider_cycles(s, s->pf_checked_ns), period)) {
        s->cmos[RTC_REG_C] |= REG_C_PF;
    }
    if (now > s->pf_checked_ns) {
        s->pf_checked_ns = now;
    }
    if (now - s->last_update_ns >= NANOSECONDS_PER_SECOND) {
        int64_t updates = (now - s->last_update_ns) / NANOSECONDS_PER_SECOND;

        /* SET inhibits update cycles; the divider (and so the phase) runs on. */
        if (!(s->cmos[RTC_REG_B] & REG_B_SET)) {
            int64_t alarm = rtc_next_alarm_delta(s, s->rtc_sec);

            if (alarm > 0 && alarm <= updates) {
                s->cmos[RTC_REG_C] |= REG_C_AF;
            }
            s->cmos[RTC_REG_C] |= REG_C_UF;
            s->rtc_sec += updates;
        }
        s->last_update_ns += updates * NANOSECONDS_PER_SECOND;
    }
}

/* Bring the time registers up to date (only while the clock owns them). */
static void rtc_sync_regs(RTCState *s)
{
    if (rtc_updating(s)) {
        rtc_regs_from_time(s, s->rtc_sec);
    }
}

static bool rtc_update_in_progress(const RTCState *s, int64_t now)
{
    return rtc_updating(s) &&
           now - s->last_update_ns >= NANOSECONDS_PER_SECOND - UIP_HOLD_NS;
}

/* IRQF = PF.PIE + AF.AIE + UF.UIE; the IRQ output follows it. */
static void rtc_update_irq(RTCState *s)
{
    if (s->cmos[RTC_REG_C] & s->cmos[RTC_REG_B] & REG_C_FLAGS) {
        s->cmos[RTC_REG_C] |= REG_C_IRQF;
        irq_raise(s->irq);
    } else {
        s->cmos[RTC_REG_C] &= ~REG_C_IRQF;
        irq_lower(s->irq);
    }
}

/* Arm the timer for the next moment an enabled, not yet set flag gets set. */
static void rtc_arm_timer(RTCState *s, int64_t now)
{
    uint8_t b = s->cmos[RTC_REG_B];
    uint8_t c = s->cmos[RTC_REG_C];
    int64_t next = -1;
    int64_t period = rtc_periodic_cycles(s);

    if (rtc_divider_running(s)) {
        if ((b & REG_B_PIE) && !(c & REG_C_PF) && period) {
            next = rtc_next_periodic_edge(s, now, period);
        }
        if (!(b & REG_B_SET)) {
            int64_t update = s->last_update_ns + NANOSECONDS_PER_SECOND;

            if ((b & REG_B_UIE) && !(c & REG_C_UF) && (next < 0 || update < next)) {
                next = update;
            }
            if ((b & REG_B_AIE) && !(c & REG_C_AF)) {
                int64_t delta = rtc_next_alarm_delta(s, s->rtc_sec);

                if (delta > 0) {
                    int64_t alarm = s->last_update_ns + delta * NANOSECONDS_PER_SECOND;
                    if (next < 0 || alarm < next) {
                        next = alarm;
                    }
                }
            }
        }
    }
    if (next >= 0) {
        timer_mod(s->timer, next);
    } else {
        timer_del(s->timer);
    }
}

static void rtc_refresh(RTCState *s, int64_t now)
{
    rtc_update_irq(s);
    rtc_arm_timer(s, now);
}

static void rtc_timer_cb(void *opaque)
{
    RTCState *s = opaque;
    int64_t now = rtc_now();

    rtc_catch_up(s, now);
    rtc_refresh(s, now);
}

/* ---- registers ---- */

static bool is_time_register(unsigned index)
{
    switch (index) {
    case RTC_SECONDS:
    case RTC_MINUTES:
    case RTC_HOURS:
    case RTC_DAY_OF_WEEK:
    case RTC_DAY_OF_MONTH:
    case RTC_MONTH:
    case RTC_YEAR:
    case RTC_CENTURY:
        return true;
    default:
        return false;
    }
}

static uint8_t rtc_read_register(RTCState *s, unsigned index, int64_t now)
{
    uint8_t val;

    if (index == RTC_PS2_CENTURY) {
        index = RTC_CENTURY;
    }
    rtc_catch_up(s, now);
    if (is_time_register(index)) {
        rtc_sync_regs(s);
        return s->cmos[index];
    }
    switch (index) {
    case RTC_REG_A:
        val = s->cmos[RTC_REG_A] & ~REG_A_UIP;
        if (rtc_update_in_progress(s, now)) {
            val |= REG_A_UIP;
        }
        return val;
    case RTC_REG_C:
        /* Reading C clears every flag and so IRQF and the IRQ output. */
        val = s->cmos[RTC_REG_C];
        s->cmos[RTC_REG_C] = 0;
        rtc_refresh(s, now);
        return val;
    case RTC_REG_D:
        return REG_D_VRT;
    default:
        return s->cmos[index];
    }
}

static void rtc_write_reg_a(RTCState *s, uint8_t val, int64_t now)
{
    bool was_running = rtc_divider_running(s);
    int dv = (val >> REG_A_DV_SHIFT) & REG_A_DV_MASK;

    rtc_sync_regs(s);   /* the registers keep the time if the divider stops */
    s->cmos[RTC_REG_A] = val & ~REG_A_UIP;
    if (dv != REG_A_DV_32KHZ && dv <= DV_LAST_RUNNING) {
        log_unimp("mc146818rtc: time base %d treated as 32.768 kHz\n", dv);
    } else if (dv > DV_LAST_RUNNING && dv < 6) {
        log_unimp("mc146818rtc: divider test mode %d stops the clock\n", dv);
    }
    if (!was_running && rtc_divider_running(s)) {
        s->last_update_ns = now - FIRST_UPDATE_DELAY_NS;
        s->pf_checked_ns = now;
        if (!(s->cmos[RTC_REG_B] & REG_B_SET)) {
            s->rtc_sec = rtc_time_from_regs(s);
        }
    }
}

static void rtc_write_reg_b(RTCState *s, uint8_t val, int64_t now)
{
    uint8_t old = s->cmos[RTC_REG_B];

    rtc_sync_regs(s);
    if (val & REG_B_SET) {
        /* "UIE is cleared to 0 when the SET bit goes high." */
        val &= ~REG_B_UIE;
    } else if ((old & REG_B_SET) && rtc_divider_running(s)) {
        /* Leaving set mode: the registers, read in the old format, are the new time. */
        s->rtc_sec = rtc_time_from_regs(s);
    }
    if ((val & REG_B_DSE) && !(old & REG_B_DSE)) {
        log_unimp("mc146818rtc: daylight savings enable\n");
    }
    s->cmos[RTC_REG_B] = val;
}

static void rtc_write_register(RTCState *s, unsigned index, uint8_t val, int64_t now)
{
    if (index == RTC_PS2_CENTURY) {
        index = RTC_CENTURY;
    }
    rtc_catch_up(s, now);
    if (is_time_register(index)) {
        if (rtc_updating(s)) {
            /* A running clock takes the new field at once, keeping its phase. */
            rtc_sync_regs(s);
            s->cmos[index] = val;
            s->rtc_sec = rtc_time_from_regs(s);
        } else {
            s->cmos[index] = val;
        }
    } else {
        switch (index) {
        case RTC_REG_A:
            rtc_write_reg_a(s, val, now);
            break;
        case RTC_REG_B:
            rtc_write_reg_b(s, val, now);
            break;
        case RTC_REG_C:
        case RTC_REG_D:
            guest_error("mc146818rtc: write 0x%02x to read-only register %c\n",
                        val, index == RTC_REG_C ? 'C' : 'D');
            break;
        default:
            s->cmos[index] = val;
            break;
        }
    }
    rtc_refresh(s, now);
}

static uint64_t rtc_io_read(void *opaque, uint64_t offset, unsigned size)
{
    RTCState *s = opaque;

    if (offset == 0) {
        /* The index register is write only. */
        return 0xff;
    }
    return rtc_read_register(s, s->index & (RTC_CMOS_SIZE - 1), rtc_now());
}

static void rtc_io_write(void *opaque, uint64_t offset, uint64_t value, unsigned size)
{
    RTCState *s = opaque;

    if (offset == 0) {
        /* Bit 7 is the chipset's NMI mask, not part of the index: ignored here. */
        s->index = value & (RTC_CMOS_SIZE - 1);
        return;
    }
    rtc_write_register(s, s->index & (RTC_CMOS_SIZE - 1), value, rtc_now());
}

static const RegionOps rtc_ops = {
    .read = rtc_io_read,
    .write = rtc_io_write,
    .valid = { .min = 1, .max = 4 },
    .impl = { .min = 1, .max = 1 },
};

/* Upper 128 bytes: plain RAM behind their own index/data pair. */
static uint64_t rtc_ext_io_read(void *opaque, uint64_t offset, unsigned size)
{
    RTCState *s = opaque;

    return offset == 0 ? 0xff : s->ext_cmos[s->ext_index & (RTC_CMOS_SIZE - 1)];
}

static void rtc_ext_io_write(void *opaque, uint64_t offset, uint64_t value, unsigned size)
{
    RTCState *s = opaque;

    if (offset == 0) {
        s->ext_index = value & (RTC_CMOS_SIZE - 1);
    } else {
        s->ext_cmos[s->ext_index & (RTC_CMOS_SIZE - 1)] = value;
    }
}

static const RegionOps rtc_ext_ops = {
    .read = rtc_ext_io_read,
    .write = rtc_ext_io_write,
    .valid = { .min = 1, .max = 4 },
    .impl = { .min = 1, .max = 1 },
};

void rtc_set_cmos(RTCState *s, unsigned index, uint8_t value)
{
    int64_t now = rtc_now();

    if (index >= 2 * RTC_CMOS_SIZE) {
        log_printf("mc146818rtc: board wrote CMOS index %u (out of range)\n", index);
        return;
    }
    if (index >= RTC_CMOS_SIZE) {
        s->ext_cmos[index - RTC_CMOS_SIZE] = value;
        return;
    }
    rtc_catch_up(s, now);
    rtc_sync_regs(s);
    s->cmos[index] = value;
    if (is_time_register(index) && rtc_updating(s)) {
        s->rtc_sec = rtc_time_from_regs(s);
    }
    rtc_refresh(s, now);
}

uint8_t rtc_get_cmos(RTCState *s, unsigned index)
{
    int64_t now;

    if (index >= 2 * RTC_CMOS_SIZE) {
        return 0xff;
    }
    if (index >= RTC_CMOS_SIZE) {
        return s->ext_cmos[index - RTC_CMOS_SIZE];
    }
    now = rtc_now();
    rtc_catch_up(s, now);
    rtc_sync_regs(s);
    rtc_refresh(s, now);
    return s->cmos[index];
}

/* ---- lifecycle and state ---- */

static void rtc_reset_hold(Device *dev, ResetKind kind)
{
    RTCState *s = (RTCState *)dev;

    timer_del(s->timer);
    irq_lower(s->irq);
}

static void rtc_reset(Device *dev, ResetKind kind)
{
    RTCState *s = (RTCState *)dev;
    int64_t now = rtc_now();

    /* A refused load may have left anything here: keep what is sane. */
    s->index &= RTC_CMOS_SIZE - 1;
    s->ext_index &= RTC_CMOS_SIZE - 1;
    if (s->rtc_sec < -RTC_SEC_LIMIT || s->rtc_sec > RTC_SEC_LIMIT) {
        s->rtc_sec = g_get_real_time() / G_USEC_PER_SEC;
    }
    if (s->last_update_ns < -RTC_NS_LIMIT || s->last_update_ns > now) {
        s->last_update_ns = now;
    }
    if (s->pf_checked_ns < -RTC_NS_LIMIT || s->pf_checked_ns > now) {
        s->pf_checked_ns = now;
    }
    s->cmos[RTC_REG_D] = REG_D_VRT;

    /* RESET clears PIE, AIE, UIE, SQWE and the flags; the clock keeps running. */
    rtc_catch_up(s, now);
    s->cmos[RTC_REG_B] &= ~(REG_B_PIE | REG_B_AIE | REG_B_UIE | REG_B_SQWE);
    s->cmos[RTC_REG_C] = 0;
    /* As QEMU: the shutdown status byte is cleared, unless it asks for an S3 resume. */
    if (s->cmos[RTC_SHUTDOWN_STATUS] != 0xfe) {
        s->cmos[RTC_SHUTDOWN_STATUS] = 0;
    }
    rtc_refresh(s, now);
}

static void rtc_pre_save(void *opaque)
{
    RTCState *s = opaque;

    rtc_catch_up(s, rtc_now());
    rtc_sync_regs(s);
}

static bool rtc_post_load(void *opaque, int version, GError **err)
{
    RTCState *s = opaque;
    int64_t now = rtc_now();

    if (s->index >= RTC_CMOS_SIZE || s->ext_index >= RTC_CMOS_SIZE) {
        g_set_error(err, IOEMU_ERROR, 0, "mc146818rtc: CMOS index %u / %u out of range",
                    s->index, s->ext_index);
        return false;
    }
    if (s->rtc_sec < -RTC_SEC_LIMIT || s->rtc_sec > RTC_SEC_LIMIT) {
        g_set_error(err, IOEMU_ERROR, 0, "mc146818rtc: time %" G_GINT64_FORMAT " out of range",
                    s->rtc_sec);
        return false;
    }
    if (s->last_update_ns < -RTC_NS_LIMIT || s->last_update_ns > RTC_NS_LIMIT ||
        s->pf_checked_ns < -RTC_NS_LIMIT || s->pf_checked_ns > RTC_NS_LIMIT) {
        g_set_error(err, IOEMU_ERROR, 0, "mc146818rtc: clock phase out of range");
        return false;
    }
    if (s->cmos[RTC_REG_C] & 0x0f) {
        g_set_error(err, IOEMU_ERROR, 0, "mc146818rtc: register C 0x%02x has reserved bits",
                    s->cmos[RTC_REG_C]);
        return false;
    }
    /* A stream from a machine whose clock was ahead: keep the phase, not the future instant. */
    if (s->last_update_ns > now) {
        int64_t ahead = s->last_update_ns - now;
        s->last_update_ns -= (ahead / NANOSECONDS_PER_SECOND + 1) * NANOSECONDS_PER_SECOND;
    }
    if (s->pf_checked_ns > now) {
        s->pf_checked_ns = now;
    }
    s->cmos[RTC_REG_A] &= ~REG_A_UIP;
    s->cmos[RTC_REG_D] = REG_D_VRT;
    rtc_update_irq(s);
    rtc_arm_timer(s, now);
    return true;
}

static const StateField rtc_fields[] = {
    STATE_BUFFER_FIELD(RTCState, cmos),
    STATE_U8(RTCState, index),
    STATE_BUFFER_FIELD(RTCState, ext_cmos),
    STATE_U8(RTCState, ext_index),
    STATE_I64(RTCState, rtc_sec),
    STATE_I64(RTCState, last_update_ns),
    STATE_I64(RTCState, pf_checked_ns),
    STATE_FIELDS_END,
};

static const StateDescription rtc_state = {
    .name = "mc146818rtc",
    .version = 1,
    .min_version = 1,
    .fields = rtc_fields,
    .pre_save = rtc_pre_save,
    .post_load = rtc_post_load,
};

static void rtc_unrealize(Device *dev)
{
    RTCState *s = (RTCState *)dev;

    timer_free(s->timer);
    mr_free(s->io);
    mr_free(s->io_ext);
    g_free(s);
}

static const DeviceClass rtc_class = {
    .name = "mc146818rtc",
    .reset_hold = rtc_reset_hold,
    .reset = rtc_reset,
    .unrealize = rtc_unrealize,
    .state = &rtc_state,
};

RTCState *rtc_create(Machine *m, IrqLine *irq8, int base_year)
{
    RTCState *s = g_new0(RTCState, 1);
    int64_t now = rtc_now();

    s->irq = irq8;
    /* QEMU's convention: base year 2000 means the century byte carries the century. */
    s->year_base = base_year == 2000 ? 0 : base_year;
    s->timer = timer_new(CLOCK_VIRTUAL, rtc_timer_cb, s);

    /* Register A: 32.768 kHz time base, 1024 Hz periodic rate; B: 24 hour, BCD. */
    s->cmos[RTC_REG_A] = (REG_A_DV_32KHZ << REG_A_DV_SHIFT) | 0x06;
    s->cmos[RTC_REG_B] = REG_B_24H;
    s->cmos[RTC_REG_C] = 0;
    s->cmos[RTC_REG_D] = REG_D_VRT;
    s->rtc_sec = g_get_real_time() / G_USEC_PER_SEC;
    s->last_update_ns = now;
    s->pf_checked_ns = now;
    rtc_regs_from_time(s, s->rtc_sec);

    s->io = mr_new_io("rtc", 2, &rtc_ops, s);
    s->io_ext = mr_new_io("rtc-upper", 2, &rtc_ext_ops, s);
    mr_add_subregion(as_root(m->io), 0x70, s->io, 0);
    mr_add_subregion(as_root(m->io), 0x72, s->io_ext, 0);

    device_register(m->devices, &s->dev, &rtc_class, "rtc");
    return s;
}
