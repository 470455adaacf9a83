/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Intel 82C54 CHMOS programmable interval timer (datasheet order 231244:
 * "Operational description", "Mode definitions", "Read-back command",
 * "Counter latch command") and the PIIX3 NMI status and control register
 * at port 0x61 (82371SB datasheet, 4.7.2 "NMISC").
 *
 * Counters are not ticked: each running counter remembers the virtual
 * time it (re)started and how many clocks it had counted before, and its
 * value and OUT level are computed from CLOCK_VIRTUAL at 1.193182 MHz
 * whenever they are looked at.  Only counter 0, whose OUT drives IRQ 0,
 * needs a timer: it is armed for the next OUT transition.
 *
 * Simplifications, as in QEMU: the clock on which a written count is
 * transferred to the counting element is not modelled (counting starts at
 * the write), and in mode 3 a count written during counting takes effect
 * at the end of the current full cycle rather than half cycle.
 */
#include <glib.h>

#include "hw/core/clock.h"
#include "hw/core/log.h"
#include "hw/timer/i8254.h"

#define PIT_CHANNELS        3
#define PIT_CONTROL_PORT    3

/* Control word: SC1 SC0 RW1 RW0 M2 M1 M0 BCD */
#define CW_SC_SHIFT         6
#define CW_SC_READBACK      3
#define CW_RW_SHIFT         4
#define CW_RW_MASK          3
#define CW_M_SHIFT          1
#define CW_M_MASK           7
#define CW_BCD              0x01
#define CW_PROGRAM_MASK     0x3f    /* the RW, M, BCD bits kept for the status byte */

enum { RW_LATCH = 0, RW_LSB = 1, RW_MSB = 2, RW_WORD = 3 };

/* Read-back command: 1 1 COUNT# STATUS# CNT2 CNT1 CNT0 0 */
#define RB_NOT_COUNT        0x20
#define RB_NOT_STATUS       0x10
#define RB_COUNTER(n)       (0x02u << (n))
#define RB_RESERVED         0x01

/* Status byte: OUTPUT NULL-COUNT RW1 RW0 M2 M1 M0 BCD */
#define STATUS_OUT          0x80
#define STATUS_NULL_COUNT   0x40

/* Port 0x61, PIIX3 NMISC */
#define P61_TIM2_GATE       0x01
#define P61_SPKR_DATA       0x02
#define P61_PCI_SERR_DIS    0x04
#define P61_IOCHK_DIS       0x08
#define P61_WRITABLE        0x0f
#define P61_REFRESH_TOGGLE  0x10
#define P61_OUT2            0x20
/* The refresh request toggles every 15.085 us: 18 clocks of the 1.193182 MHz timer clock. */
#define REFRESH_PERIOD_TICKS 18

#define BINARY_RANGE        65536u
#define BCD_RANGE           10000u

enum {
    PHASE_IDLE,         /* control word written, no count yet: counter holds its contents */
    PHASE_WAIT_TRIGGER, /* modes 1 and 5: count written, waiting for a GATE rising edge */
    PHASE_COUNTING,
};

enum { LATCH_NONE, LATCH_LSB, LATCH_MSB, LATCH_WORD };

typedef struct PITChannel {
    uint8_t control;        /* RW, M and BCD of the last control word */
    uint32_t cr;            /* count register as a count: 1..65536 (BCD: 1..10000) */
    uint8_t write_lsb;      /* first byte of a two byte count */
    bool write_msb_next;    /* write flip-flop */
    bool read_msb_next;     /* read flip-flop (unlatched reads) */
    uint8_t latch_state;    /* LATCH_*: which latched bytes are still to be read */
    uint16_t latched;       /* output latch after a latch / read-back command */
    bool status_latched;
    uint8_t status;
    bool gate;
    uint8_t phase;          /* PHASE_* */
    bool cr_loaded;         /* CR transferred to CE (NULL COUNT is its negation) */
    bool paused;            /* GATE low stopped counting (modes 0, 2, 3, 4) */
    bool reload_pending;    /* modes 2/3: CR is loaded at the end of the cycle */
    uint32_t count;         /* the count the CE is running with, 1..65536 */
    uint16_t idle_value;    /* CE as read while not counting */
    int64_t load_ns;        /* virtual time counting (re)started */
    uint64_t ticks_before;  /* clocks counted before load_ns */
    uint64_t reload_tick;   /* clock number at which reload_pending applies */
    int64_t count_written_ns;

    /* Plumbing. */
    PITState *owner;
    int index;
} PITChannel;

struct PITState {
    Device dev;
    PITChannel ch[PIT_CHANNELS];
    uint8_t port61;         /* writable bits of port 0x61 */

    /* Plumbing. */
    IrqLine *irq0;
    Timer *irq_timer;
    bool irq_low_armed;         /* irq_timer is set for OUT going low (not saved: runtime only) */
    MemoryRegion *io_pit;
    MemoryRegion *io_port61;
};

static int64_t pit_now(void)
{
    return clock_get_ns(CLOCK_VIRTUAL);
}

/* Timer clocks in (from, to]. */
static uint64_t ticks_between(int64_t from, int64_t to)
{
    unsigned __int128 ns;

    if (to <= from) {
        return 0;
    }
    ns = (uint64_t)to - (uint64_t)from;
    return (uint64_t)(ns * PIT_FREQ_HZ / NANOSECONDS_PER_SECOND);
}

/* Nanoseconds after which `ticks` clocks have elapsed (rounded up), saturating. */
static int64_t ns_for_ticks(uint64_t ticks)
{
    unsigned __int128 ns = ((unsigned __int128)ticks * NANOSECONDS_PER_SECOND + PIT_FREQ_HZ - 1) /
                           PIT_FREQ_HZ;

    return ns > INT64_MAX ? INT64_MAX : (int64_t)ns;
}

static int64_t add_saturating(int64_t a, int64_t b)
{
    if (b > 0 && a > INT64_MAX - b) {
        return INT64_MAX;
    }
    return a + b;
}

static int channel_mode(const PITChannel *c)
{
    int m = (c->control >> CW_M_SHIFT) & CW_M_MASK;

    /* M2 is a don't care for modes 2 and 3: 6 and 7 are 2 and 3. */
    return m > 5 ? m - 4 : m;
}

static int channel_rw(const PITChannel *c)
{
    return (c->control >> CW_RW_SHIFT) & CW_RW_MASK;
}

static bool channel_bcd(const PITChannel *c)
{
    return c->control & CW_BCD;
}

static uint32_t channel_range(const PITChannel *c)
{
    return channel_bcd(c) ? BCD_RANGE : BINARY_RANGE;
}

static uint16_t to_bcd(uint32_t v)
{
    return (v % 10) | ((v / 10 % 10) << 4) | ((v / 100 % 10) << 8) | ((v / 1000 % 10) << 12);
}

/* A written count as a number of clocks; 0 is the maximum (2^16, or 10^4 in BCD). */
static uint32_t decode_count(const PITChannel *c, uint16_t raw)
{
    uint32_t v = raw;

    if (channel_bcd(c)) {
        uint32_t d0 = raw & 0xf, d1 = (raw >> 4) & 0xf, d2 = (raw >> 8) & 0xf, d3 = raw >> 12;

        if (d0 > 9 || d1 > 9 || d2 > 9 || d3 > 9) {
            guest_error("i8254: counter %d: count 0x%04x is not BCD\n", c->index, raw);
        }
        v = (d3 * 1000 + d2 * 100 + d1 * 10 + d0) % BCD_RANGE;
        return v ? v : BCD_RANGE;
    }
    return v ? v : BINARY_RANGE;
}

/* Clocks counted since the CE was loaded. */
static uint64_t channel_ticks(const PITChannel *c, int64_t now)
{
    return c->ticks_before + (c->paused ? 0 : ticks_between(c->load_ns, now));
}

/* Virtual time at which the running counter reaches clock number `tick`. */
static int64_t channel_tick_time(const PITChannel *c, uint64_t tick)
{
    uint64_t ahead = tick > c->ticks_before ? tick - c->ticks_before : 0;

    return add_saturating(c->load_ns, ns_for_ticks(ahead));
}

/* The running count; never 0, even in a state a refused load left behind. */
static uint32_t channel_count(const PITChannel *c)
{
    return c->count ? c->count : BINARY_RANGE;
}

static void channel_start(PITChannel *c, uint32_t count, int64_t start_ns)
{
    c->phase = PHASE_COUNTING;
    c->count = count;
    c->load_ns = start_ns;
    c->ticks_before = 0;
    c->cr_loaded = true;
    c->reload_pending = false;
    c->paused = false;
}

/* Apply a mode 2/3 reload that came due by `now`. */
static void channel_sync(PITChannel *c, int64_t now)
{
    if (c->phase == PHASE_COUNTING && c->reload_pending && !c->paused &&
        channel_ticks(c, now) >= c->reload_tick) {
        channel_start(c, c->cr, channel_tick_time(c, c->reload_tick));
    }
}

/* The counting element as a number (not yet BCD encoded). */
static uint32_t channel_ce(const PITChannel *c, int64_t now)
{
    uint64_t d = channel_ticks(c, now);
    uint32_t n = channel_count(c);
    uint32_t range = channel_range(c);
    uint32_t p, half;

    switch (channel_mode(c)) {
    case 2:
        /* N, N-1, ..., 1, reload. */
        return (n - (uint32_t)(d % n)) % range;
    case 3:
        /* Decrements by two through each half cycle (an odd N runs as N-1). */
        p = d % n;
        half = (n + 1) / 2;
        if (p >= half) {
            p -= half;
        }
        return ((n & ~1u) - 2 * p) % range;
    default:
        /* Modes 0, 1, 4, 5 keep counting down and wrap after terminal count. */
        return (uint32_t)((n + range - d % range) % range);
    }
}

/* The 16 bits a read of the counter would see. */
static uint16_t channel_read_value(const PITChannel *c, int64_t now)
{
    uint32_t v;

    if (c->phase != PHASE_COUNTING) {
        return c->idle_value;
    }
    v = channel_ce(c, now);
    return channel_bcd(c) ? to_bcd(v) : (uint16_t)v;
}

static bool channel_out(const PITChannel *c, int64_t now)
{
    uint64_t d;
    uint32_t n = channel_count(c);

    if (c->phase == PHASE_IDLE) {
        /* After a control word OUT is low in mode 0 and high in every other mode. */
        return channel_mode(c) != 0;
    }
    if (c->phase == PHASE_WAIT_TRIGGER) {
        return true;
    }
    d = channel_ticks(c, now);
    switch (channel_mode(c)) {
    case 0:     /* interrupt on terminal count: low until TC */
    case 1:     /* one-shot: low from trigger to TC */
        return d >= n;
    case 2:     /* rate generator: low for the one clock when the CE is 1 */
        if (c->paused || n < 2) {
            return true;
        }
        return d % n != n - 1;
    case 3:     /* square wave: high for ceil(N/2), low for floor(N/2) */
        if (c->paused || n < 2) {
            return true;
        }
        return d % n < (n + 1) / 2;
    default:    /* 4, 5: strobe low for the one clock at TC */
        return d != n;
    }
}

/* Virtual time of the next OUT transition after `now`, or -1. */
static int64_t channel_next_transition(const PITChannel *c, int64_t now)
{
    uint64_t d, base, next;
    uint32_t n = channel_count(c);

    if (c->phase != PHASE_COUNTING || c->paused) {
        return -1;
    }
    d = channel_ticks(c, now);
    switch (channel_mode(c)) {
    case 0:
    case 1:
        if (d >= n) {
            return -1;
        }
        next = n;
        break;
    case 2:
        if (n < 2) {
            return -1;
        }
        base = d - d % n;
        next = (d % n < n - 1) ? base + n - 1 : base + n;
        break;
    case 3:
        if (n < 2) {
            return -1;
        }
        base = d - d % n;
        next = (d % n < (n + 1) / 2) ? base + (n + 1) / 2 : base + n;
        break;
    default:
        if (d > n) {
            return -1;
        }
        next = d < n ? n : n + 1;
        break;
    }
    if (c->reload_pending && c->reload_tick < next) {
        next = c->reload_tick;
    }
    return channel_tick_time(c, next);
}

/* Drive IRQ 0 from counter 0's OUT and arm the timer for its next change. */
static void pit_update_irq(PITState *s, int64_t now)
{
    PITChannel *c = &s->ch[0];
    int64_t next;

    channel_sync(c, now);
    bool out = channel_out(c, now);
    irq_set(s->irq0, out);
    next = channel_next_transition(c, now);
    /* Transitions alternate: from a high OUT the next one is the fall. */
    s->irq_low_armed = next >= 0 && out;
    if (next >= 0) {
        timer_mod(s->irq_timer, next);
    } else {
        timer_del(s->irq_timer);
    }
}

static void pit_irq_timer_cb(void *opaque)
{
    PITState *s = opaque;
    int64_t now = pit_now();

    /*
     * Timers run late by more than one PIT clock when the host is busy: a
     * one-clock low pulse (modes 2, 4, 5) may be over already.  Give the
     * PIC the edge it would have seen.
     */
    if (s->irq_low_armed && irq_level(s->irq0) && channel_out(&s->ch[0], now)) {
        irq_set(s->irq0, 0);
    }
    pit_update_irq(s, now);
}

static void channel_changed(PITChannel *c, int64_t now)
{
    if (c->index == 0) {
        pit_update_irq(c->owner, now);
    }
}

/* Stop counting: the CE keeps the value it had (control word, mode 0 first byte). */
static void channel_stop(PITChannel *c, int64_t now)
{
    channel_sync(c, now);
    c->idle_value = channel_read_value(c, now);
    c->phase = PHASE_IDLE;
    c->paused = false;
    c->reload_pending = false;
}

static void channel_load_count(PITChannel *c, uint16_t raw, int64_t now)
{
    channel_sync(c, now);
    c->cr = decode_count(c, raw);
    c->cr_loaded = false;
    c->count_written_ns = now;

    switch (channel_mode(c)) {
    case 0:
    case 4:
        /* Counting starts with the new count; GATE low holds it. */
        channel_start(c, c->cr, now);
        c->paused = !c->gate;
        break;
    case 1:
    case 5:
        /* The new count is used at the next trigger; a running one-shot is not affected. */
        if (c->phase == PHASE_IDLE) {
            c->phase = PHASE_WAIT_TRIGGER;
        }
        break;
    default:
        if (c->phase == PHASE_COUNTING && !c->paused) {
            /* "The current period is not affected": reload at the end of the cycle. */
            uint64_t d = channel_ticks(c, now);

            c->reload_pending = true;
            c->reload_tick = (d / channel_count(c) + 1) * channel_count(c);
        } else if (c->phase != PHASE_COUNTING) {
            channel_start(c, c->cr, now);
            c->paused = !c->gate;
        }
        /* Counting but held by GATE: the rising edge loads CR. */
        break;
    }
}

static void channel_set_gate(PITChannel *c, bool level, int64_t now)
{
    if (c->gate == level) {
        return;
    }
    channel_sync(c, now);
    c->gate = level;
    if (c->phase == PHASE_IDLE) {
        return;
    }
    switch (channel_mode(c)) {
    case 0:
    case 4:
        /* GATE only enables counting. */
        if (c->phase != PHASE_COUNTING) {
            break;
        }
        if (!level) {
            c->ticks_before = channel_ticks(c, now);
            c->paused = true;
        } else {
            c->load_ns = now;
            c->paused = false;
        }
        break;
    case 1:
    case 5:
        /* A rising edge (re)triggers: CR is loaded and counting starts. */
        if (level) {
            channel_start(c, c->cr, now);
        }
        break;
    default:
        /* Modes 2/3: low stops counting (OUT high), the rising edge reloads. */
        if (!level) {
            if (c->phase == PHASE_COUNTING) {
                c->ticks_before = channel_ticks(c, now);
                c->paused = true;
            }
        } else {
            channel_start(c, c->cr, now);
        }
        break;
    }
}

static void channel_latch_count(PITChannel *c, int64_t now)
{
    /* A second latch before the first is read is ignored. */
    if (c->latch_state != LATCH_NONE) {
        return;
    }
    channel_sync(c, now);
    c->latched = channel_read_value(c, now);
    switch (channel_rw(c)) {
    case RW_LSB:
        c->latch_state = LATCH_LSB;
        break;
    case RW_MSB:
        c->latch_state = LATCH_MSB;
        break;
    default:
        c->latch_state = LATCH_WORD;
        break;
    }
}

static bool channel_null_count(const PITChannel *c, int64_t now)
{
    /* Set by a control word or count write until CR reaches CE on the next clock. */
    return !c->cr_loaded || ticks_between(c->count_written_ns, now) == 0;
}

static void channel_latch_status(PITChannel *c, int64_t now)
{
    if (c->status_latched) {
        return;
    }
    channel_sync(c, now);
    c->status = c->control;
    if (channel_out(c, now)) {
        c->status |= STATUS_OUT;
    }
    if (channel_null_count(c, now)) {
        c->status |= STATUS_NULL_COUNT;
    }
    c->status_latched = true;
}

static void pit_write_control(PITState *s, uint8_t val, int64_t now)
{
    int sc = val >> CW_SC_SHIFT;
    PITChannel *c;

    if (sc == CW_SC_READBACK) {
        if (val & RB_RESERVED) {
            guest_error("i8254: read-back command 0x%02x sets reserved bit 0\n", val);
        }
        for (int i = 0; i < PIT_CHANNELS; i++) {
            if (!(val & RB_COUNTER(i))) {
                continue;
            }
            /* Status first: if both are latched the status byte is read first. */
            if (!(val & RB_NOT_STATUS)) {
                channel_latch_status(&s->ch[i], now);
            }
            if (!(val & RB_NOT_COUNT)) {
                channel_latch_count(&s->ch[i], now);
            }
        }
        return;
    }

    c = &s->ch[sc];
    if (((val >> CW_RW_SHIFT) & CW_RW_MASK) == RW_LATCH) {
        channel_latch_count(c, now);
        return;
    }
    /* A control word resets the counter's control logic; OUT goes to its initial state. */
    channel_stop(c, now);
    c->control = val & CW_PROGRAM_MASK;
    c->write_msb_next = false;
    c->read_msb_next = false;
    c->latch_state = LATCH_NONE;
    c->status_latched = false;
    c->cr_loaded = false;
    c->count_written_ns = now;
    channel_changed(c, now);
}

static void pit_write_counter(PITChannel *c, uint8_t val, int64_t now)
{
    switch (channel_rw(c)) {
    case RW_LSB:
        channel_load_count(c, val, now);
        break;
    case RW_MSB:
        channel_load_count(c, (uint16_t)val << 8, now);
        break;
    default:
        if (!c->write_msb_next) {
            c->write_lsb = val;
            c->write_msb_next = true;
            /* Mode 0: "writing the first byte disables counting". */
            if (channel_mode(c) == 0 && c->phase == PHASE_COUNTING) {
                channel_stop(c, now);
            }
        } else {
            c->write_msb_next = false;
            channel_load_count(c, c->write_lsb | ((uint16_t)val << 8), now);
        }
        break;
    }
    channel_changed(c, now);
}

static uint8_t pit_read_counter(PITChannel *c, int64_t now)
{
    uint16_t v;

    if (c->status_latched) {
        c->status_latched = false;
        return c->status;
    }
    switch (c->latch_state) {
    case LATCH_LSB:
        c->latch_state = LATCH_NONE;
        return c->latched & 0xff;
    case LATCH_MSB:
        c->latch_state = LATCH_NONE;
        return c->latched >> 8;
    case LATCH_WORD:
        c->latch_state = LATCH_MSB;
        return c->latched & 0xff;
    default:
        break;
    }

    channel_sync(c, now);
    v = channel_read_value(c, now);
    switch (channel_rw(c)) {
    case RW_LSB:
        return v & 0xff;
    case RW_MSB:
        return v >> 8;
    default:
        c->read_msb_next = !c->read_msb_next;
        return c->read_msb_next ? (v & 0xff) : (v >> 8);
    }
}

static uint64_t pit_io_read(void *opaque, uint64_t offset, unsigned size)
{
    PITState *s = opaque;

    if (offset == PIT_CONTROL_PORT) {
        /* The control word register is write only; the bus floats. */
        return 0xff;
    }
    return pit_read_counter(&s->ch[offset], pit_now());
}

static void pit_io_write(void *opaque, uint64_t offset, uint64_t value, unsigned size)
{
    PITState *s = opaque;
    int64_t now = pit_now();

    if (offset == PIT_CONTROL_PORT) {
        pit_write_control(s, value, now);
    } else {
        pit_write_counter(&s->ch[offset], value, now);
    }
}

static const RegionOps pit_ops = {
    .read = pit_io_read,
    .write = pit_io_write,
    .valid = { .min = 1, .max = 4 },
    .impl = { .min = 1, .max = 1 },
};

/* ---- port 0x61 ---- */

static uint64_t port61_read(void *opaque, uint64_t offset, unsigned size)
{
    PITState *s = opaque;
    int64_t now = pit_now();
    PITChannel *c2 = &s->ch[2];
    uint8_t val = s->port61 & P61_WRITABLE;

    if ((ticks_between(0, now) / REFRESH_PERIOD_TICKS) & 1) {
        val |= P61_REFRESH_TOGGLE;
    }
    channel_sync(c2, now);
    if (channel_out(c2, now)) {
        val |= P61_OUT2;
    }
    /* Bits 7 (SERR#) and 6 (IOCHK#) NMI sources: nothing here raises them. */
    return val;
}

static void port61_write(void *opaque, uint64_t offset, uint64_t value, unsigned size)
{
    PITState *s = opaque;

    s->port61 = value & P61_WRITABLE;
    channel_set_gate(&s->ch[2], value & P61_TIM2_GATE, pit_now());
}

static const RegionOps port61_ops = {
    .read = port61_read,
    .write = port61_write,
    .valid = { .min = 1, .max = 4 },
    .impl = { .min = 1, .max = 1 },
};

bool i8254_get_out(PITState *s, int channel)
{
    int64_t now = pit_now();

    if (channel < 0 || channel >= PIT_CHANNELS) {
        return false;
    }
    channel_sync(&s->ch[channel], now);
    return channel_out(&s->ch[channel], now);
}

/* ---- lifecycle and state ---- */

static void pit_reset_hold(Device *dev, ResetKind kind)
{
    PITState *s = (PITState *)dev;

    timer_del(s->irq_timer);
    irq_lower(s->irq0);
}

static void pit_reset(Device *dev, ResetKind kind)
{
    PITState *s = (PITState *)dev;
    int64_t now = pit_now();

    /*
     * The 82C54's state after power-on is undefined; like QEMU, every
     * counter starts as a mode 3 square wave with the maximum count, so
     * IRQ 0 ticks at 18.2 Hz before the firmware programs it.
     */
    s->port61 = 0;
    for (int i = 0; i < PIT_CHANNELS; i++) {
        PITChannel *c = &s->ch[i];
        PITState *owner = c->owner;

        *c = (PITChannel){ 0 };
        c->owner = owner;
        c->index = i;
        c->control = (RW_WORD << CW_RW_SHIFT) | (3 << CW_M_SHIFT);
        c->cr = BINARY_RANGE;
        c->gate = i != 2 || (s->port61 & P61_TIM2_GATE);
        channel_start(c, BINARY_RANGE, now);
        c->paused = !c->gate;
        /* As if loaded long ago: no NULL COUNT. */
        c->count_written_ns = now - ns_for_ticks(1);
    }
    pit_update_irq(s, now);
}

static bool pit_post_load(void *opaque, int version, GError **err)
{
    PITState *s = opaque;

    for (int i = 0; i < PIT_CHANNELS; i++) {
        PITChannel *c = &s->ch[i];

        if ((c->control & ~CW_PROGRAM_MASK) || channel_rw(c) == RW_LATCH) {
            g_set_error(err, IOEMU_ERROR, 0, "i8254 counter %d: invalid control 0x%02x", i, c->control);
            return false;
        }
        if (c->cr < 1 || c->cr > BINARY_RANGE || c->count < 1 || c->count > BINARY_RANGE) {
            g_set_error(err, IOEMU_ERROR, 0, "i8254 counter %d: count %u / %u out of range",
                        i, c->cr, c->count);
            return false;
        }
        if (c->phase > PHASE_COUNTING || c->latch_state > LATCH_WORD) {
            g_set_error(err, IOEMU_ERROR, 0, "i8254 counter %d: invalid phase %u / latch %u",
                        i, c->phase, c->latch_state);
            return false;
        }
        if (i != 2 && !c->gate) {
            g_set_error(err, IOEMU_ERROR, 0, "i8254 counter %d: GATE is tied high", i);
            return false;
        }
    }
    if (s->port61 & ~P61_WRITABLE) {
        g_set_error(err, IOEMU_ERROR, 0, "i8254: port 0x61 value 0x%02x sets read-only bits", s->port61);
        return false;
    }
    if (s->ch[2].gate != !!(s->port61 & P61_TIM2_GATE)) {
        g_set_error(err, IOEMU_ERROR, 0, "i8254: counter 2 GATE disagrees with port 0x61");
        return false;
    }
    pit_update_irq(s, pit_now());
    return true;
}

static const StateField pit_channel_fields[] = {
    STATE_U8(PITChannel, control),
    STATE_U32(PITChannel, cr),
    STATE_U8(PITChannel, write_lsb),
    STATE_BOOL_FIELD(PITChannel, write_msb_next),
    STATE_BOOL_FIELD(PITChannel, read_msb_next),
    STATE_U8(PITChannel, latch_state),
    STATE_U16(PITChannel, latched),
    STATE_BOOL_FIELD(PITChannel, status_latched),
    STATE_U8(PITChannel, status),
    STATE_BOOL_FIELD(PITChannel, gate),
    STATE_U8(PITChannel, phase),
    STATE_BOOL_FIELD(PITChannel, cr_loaded),
    STATE_BOOL_FIELD(PITChannel, paused),
    STATE_BOOL_FIELD(PITChannel, reload_pending),
    STATE_U32(PITChannel, count),
    STATE_U16(PITChannel, idle_value),
    STATE_I64(PITChannel, load_ns),
    STATE_U64(PITChannel, ticks_before),
    STATE_U64(PITChannel, reload_tick),
    STATE_I64(PITChannel, count_written_ns),
    STATE_FIELDS_END,
};

static const StateDescription pit_channel_state = {
    .name = "i8254-counter",
    .version = 1,
    .min_version = 1,
    .fields = pit_channel_fields,
};

static const StateField pit_fields[] = {
    STATE_STRUCT_ARRAY(PITState, ch, PIT_CHANNELS, pit_channel_state, PITChannel),
    STATE_U8(PITState, port61),
    STATE_FIELDS_END,
};

static const StateDescription pit_state = {
    .name = "i8254",
    .version = 1,
    .min_version = 1,
    .fields = pit_fields,
    .post_load = pit_post_load,
};

static void pit_unrealize(Device *dev)
{
    PITState *s = (PITState *)dev;

    timer_free(s->irq_timer);
    mr_free(s->io_pit);
    mr_free(s->io_port61);
    g_free(s);
}

static const DeviceClass i8254_class = {
    .name = "i8254",
    .reset_hold = pit_reset_hold,
    .reset = pit_reset,
    .unrealize = pit_unrealize,
    .state = &pit_state,
};

PITState *i8254_create(Machine *m, IrqLine *irq0)
{
    PITState *s = g_new0(PITState, 1);

    s->irq0 = irq0;
    s->irq_timer = timer_new(CLOCK_VIRTUAL, pit_irq_timer_cb, s);
    for (int i = 0; i < PIT_CHANNELS; i++) {
        s->ch[i].owner = s;
        s->ch[i].index = i;
    }
    s->io_pit = mr_new_io("pit", 4, &pit_ops, s);
    s->io_port61 = mr_new_io("nmi-sc", 1, &port61_ops, s);
    mr_add_subregion(as_root(m->io), 0x40, s->io_pit, 0);
    mr_add_subregion(as_root(m->io), 0x61, s->io_port61, 0);

    device_register(m->devices, &s->dev, &i8254_class, "pit");
    pit_reset(&s->dev, RESET_POWER_ON);
    return s;
}
