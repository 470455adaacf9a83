/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Intel 8259A programmable interrupt controller pair, as integrated in the
 * PIIX3 south bridge.  References: Intel 8259A datasheet (order 231468),
 * "Interrupt sequence", "Programming the 8259A" (ICW1-ICW4, OCW1-OCW3),
 * "Fully nested mode", "Automatic rotation", "Special mask mode", "Poll
 * command", "Edge and level triggered modes"; Intel 82371SB (PIIX3)
 * datasheet, section 4.1.10 (ELCR1/ELCR2) and the ICW1 note that LTIM is
 * replaced by the ELCR.
 *
 * Trigger semantics follow QEMU where the datasheet leaves room: an edge
 * triggered request stays latched in the IRR after the input falls (the
 * 8259A only requires the input to stay high until INTA), so a request
 * that "disappears" before acknowledge is only possible for level
 * triggered inputs, whose IRR bit follows the input.  The master's IR2 is
 * the slave's INT output and is always edge triggered (ELCR bit 2 is
 * reserved to 0).
 */
#include <glib.h>

#include "hw/core/log.h"
#include "hw/intc/i8259.h"

/* ICW1 (A0 = 0, D4 = 1) */
#define ICW1_IC4        0x01    /* ICW4 follows */
#define ICW1_SNGL       0x02    /* single 8259A, no ICW3 */
#define ICW1_ADI        0x04    /* call address interval (8080 only) */
#define ICW1_LTIM       0x08    /* ignored on PIIX3: the ELCR decides */
#define ICW1_INIT       0x10

/* ICW4 */
#define ICW4_UPM        0x01    /* 8086/8088 mode */
#define ICW4_AEOI       0x02    /* automatic end of interrupt */
#define ICW4_BUF_MS     0x04    /* buffered mode master/slave */
#define ICW4_BUF        0x08    /* buffered mode */
#define ICW4_SFNM       0x10    /* special fully nested mode */

/* OCW2 (A0 = 0, D4:D3 = 00): bits 7-5 are R, SL, EOI. */
#define OCW2_CMD_SHIFT          5
#define OCW2_ROTATE_AEOI_CLEAR  0
#define OCW2_EOI                1
#define OCW2_NOP                2
#define OCW2_SPECIFIC_EOI       3
#define OCW2_ROTATE_AEOI_SET    4
#define OCW2_ROTATE_EOI         5
#define OCW2_SET_PRIORITY       6
#define OCW2_ROTATE_SPECIFIC    7
#define OCW2_LEVEL_MASK         0x07

/* OCW3 (A0 = 0, D4:D3 = 01) */
#define OCW3_SELECT     0x08
#define OCW3_RIS        0x01    /* read ISR (else IRR) ... */
#define OCW3_RR         0x02    /* ... if RR is set */
#define OCW3_POLL       0x04
#define OCW3_SMM        0x20    /* special mask mode ... */
#define OCW3_ESMM       0x40    /* ... if ESMM is set */

/* Poll word: I bit set when a level was requesting, level in bits 2-0. */
#define POLL_INTERRUPT  0x80
/* No request at poll or INTA time: the 8259A reports its default level 7. */
#define SPURIOUS_LEVEL  7

#define CASCADE_IR      2

/* PIIX3 ELCR1: IRQ0-2 reserved (0); ELCR2: IRQ8 and IRQ13 reserved (0). */
#define ELCR_MASTER_MASK 0xf8
#define ELCR_SLAVE_MASK  0xde

/* Init sequence: what the next write to A0 = 1 is (0 = an OCW1). */
enum {
    INIT_DONE = 0,
    INIT_ICW2 = 2,
    INIT_ICW3 = 3,
    INIT_ICW4 = 4,
};

typedef struct PICChip {
    uint8_t irr;            /* interrupt request register */
    uint8_t isr;            /* in-service register */
    uint8_t imr;            /* interrupt mask register (OCW1) */
    uint8_t pins;           /* current levels of IR0-IR7 (edge detection) */
    uint8_t elcr;           /* 1 = level triggered (PIIX3 ELCR) */
    uint8_t highest;        /* IR level with the highest priority (rotation) */
    uint8_t icw1;           /* last ICW1 (IC4, SNGL, ADI, LTIM bits) */
    uint8_t vector_base;    /* ICW2 T7-T3 */
    uint8_t icw3;           /* master: slave bitmap; slave: its ID */
    uint8_t icw4;           /* uPM, AEOI, BUF, M/S, SFNM */
    uint8_t init_step;      /* INIT_* */
    bool read_isr;          /* OCW3 RR/RIS: port A0 = 0 reads ISR, else IRR */
    bool poll;              /* OCW3 P: the next read is a poll */
    bool special_mask;      /* OCW3 SMM */
    bool rotate_on_aeoi;    /* OCW2 rotate in automatic EOI mode */

    /* Plumbing, not state. */
    PICState *owner;
    bool is_master;
} PICChip;

struct PICState {
    Device dev;
    PICChip chip[2];        /* [0] master, [1] slave */
    bool irq2_input;        /* level of the (normally unused) ISA IRQ2 input */

    /* Plumbing. */
    uint16_t elcr_reset;    /* ELCR value reset restores (board / PIIX3) */
    IrqLine *cpu_intr;
    IrqLine **inputs;
    MemoryRegion *io_master;
    MemoryRegion *io_slave;
    MemoryRegion *io_elcr;
};

static PICChip *master_of(PICState *s)
{
    return &s->chip[0];
}

static PICChip *slave_of(PICState *s)
{
    return &s->chip[1];
}

static bool chip_is_cascaded(const PICChip *c)
{
    return !(c->icw1 & ICW1_SNGL);
}

/*
 * Rank of the highest-priority level set in `mask`: 0 is the level with
 * the highest priority (c->highest), 7 the lowest, 8 means none.
 */
static int chip_rank(const PICChip *c, uint8_t mask)
{
    for (int rank = 0; rank < 8; rank++) {
        if (mask & (1u << ((c->highest + rank) & 7))) {
            return rank;
        }
    }
    return 8;
}

static int chip_level_of_rank(const PICChip *c, int rank)
{
    return (c->highest + rank) & 7;
}

/*
 * The level this chip would present at INTA, or -1: the highest priority
 * unmasked request, if no level of equal or higher priority is in service
 * (fully nested mode).  In special mask mode the ISR does not inhibit other
 * levels ("enables interrupts from all other levels, lower as well as
 * higher, that are not masked"); a level already in service is not
 * requested again.  In special fully nested mode the master lets a
 * request on the cascade input through while the cascade is in service,
 * so higher priority slave requests reach the CPU.
 */
static int chip_pending_level(const PICChip *c)
{
    uint8_t requests = c->irr & ~c->imr;
    int req_rank, busy_rank;

    if (c->special_mask) {
        requests &= ~c->isr;
        req_rank = chip_rank(c, requests);
        return req_rank == 8 ? -1 : chip_level_of_rank(c, req_rank);
    }
    req_rank = chip_rank(c, requests);
    if (req_rank == 8) {
        return -1;
    }
    busy_rank = chip_rank(c, c->isr);
    if (req_rank < busy_rank) {
        return chip_level_of_rank(c, req_rank);
    }
    if (req_rank == busy_rank && c->is_master && (c->icw4 & ICW4_SFNM) &&
        chip_is_cascaded(c) && chip_level_of_rank(c, req_rank) == CASCADE_IR) {
        return CASCADE_IR;
    }
    return -1;
}

/* An input changed level: level triggered inputs are the IRR bit, edge triggered ones latch a rising edge. */
static void chip_set_pin(PICChip *c, int pin, bool level)
{
    uint8_t bit = 1u << pin;

    if (c->elcr & bit) {
        if (level) {
            c->irr |= bit;
        } else {
            c->irr &= ~bit;
        }
    } else if (level && !(c->pins & bit)) {
        c->irr |= bit;
    }
    if (level) {
        c->pins |= bit;
    } else {
        c->pins &= ~bit;
    }
}

/* First INTA pulse (or poll): the level goes in service unless AEOI. */
static void chip_ack(PICChip *c, int level)
{
    uint8_t bit = 1u << level;

    if (c->icw4 & ICW4_AEOI) {
        if (c->rotate_on_aeoi) {
            c->highest = (level + 1) & 7;
        }
    } else {
        c->isr |= bit;
    }
    /* A level triggered request stays in the IRR as long as its input is high. */
    if (!(c->elcr & bit)) {
        c->irr &= ~bit;
    }
}

/* Recompute the slave -> master cascade and the CPU INTR output. */
static void pic_update(PICState *s)
{
    PICChip *master = master_of(s);
    bool slave_int = chip_pending_level(slave_of(s)) >= 0;

    chip_set_pin(master, CASCADE_IR, slave_int || s->irq2_input);
    irq_set(s->cpu_intr, chip_pending_level(master) >= 0);
}

static void pic_input_handler(void *opaque, int n, int level)
{
    PICState *s = opaque;

    if (n < 0 || n >= I8259_NUM_INPUTS) {
        return;
    }
    log_cat(LOG_IRQ, "i8259: IRQ%d %s\n", n, level ? "raise" : "lower");
    if (n == CASCADE_IR) {
        /* ISA IRQ2 shares the master's IR2 with the slave's INT output. */
        s->irq2_input = level != 0;
    } else {
        chip_set_pin(&s->chip[n >> 3], n & 7, level != 0);
    }
    pic_update(s);
}

/*
 * ICW1: "the edge sense circuit is reset (an IR input must make a
 * low-to-high transition), the IMR is cleared, IR7 is assigned priority
 * 7, special mask mode is cleared and status read is set to IRR; if IC4 =
 * 0 all ICW4 functions are set to zero."  The ISR and poll state go too.
 */
static void chip_init(PICChip *c, uint8_t icw1)
{
    c->icw1 = icw1 & (ICW1_IC4 | ICW1_SNGL | ICW1_ADI | ICW1_LTIM);
    c->irr = c->pins & c->elcr;
    c->isr = 0;
    c->imr = 0;
    c->highest = 0;
    c->special_mask = false;
    c->read_isr = false;
    c->poll = false;
    c->rotate_on_aeoi = false;
    c->icw4 = 0;
    c->init_step = INIT_ICW2;
}

static void chip_reset(PICChip *c, uint8_t elcr)
{
    uint8_t pins = c->pins;
    PICState *owner = c->owner;
    bool is_master = c->is_master;

    *c = (PICChip){ 0 };
    c->owner = owner;
    c->is_master = is_master;
    c->pins = pins;
    c->elcr = elcr;
    c->irr = pins & elcr;
}

static void chip_write_ocw2(PICChip *c, uint8_t val)
{
    int level = val & OCW2_LEVEL_MASK;
    uint8_t eligible;
    int rank;

    switch (val >> OCW2_CMD_SHIFT) {
    case OCW2_ROTATE_AEOI_CLEAR:
        c->rotate_on_aeoi = false;
        break;
    case OCW2_ROTATE_AEOI_SET:
        c->rotate_on_aeoi = true;
        break;
    case OCW2_EOI:
    case OCW2_ROTATE_EOI:
        /*
         * Non-specific EOI resets the highest priority ISR bit; in special
         * mask mode an ISR bit masked by the IMR is not reset by it.
         */
        eligible = c->special_mask ? (c->isr & ~c->imr) : c->isr;
        rank = chip_rank(c, eligible);
        if (rank == 8) {
            break;
        }
        level = chip_level_of_rank(c, rank);
        c->isr &= ~(1u << level);
        if ((val >> OCW2_CMD_SHIFT) == OCW2_ROTATE_EOI) {
            c->highest = (level + 1) & 7;
        }
        break;
    case OCW2_SPECIFIC_EOI:
        c->isr &= ~(1u << level);
        break;
    case OCW2_ROTATE_SPECIFIC:
        c->isr &= ~(1u << level);
        c->highest = (level + 1) & 7;
        break;
    case OCW2_SET_PRIORITY:
        /* L2-L0 becomes the lowest priority level. */
        c->highest = (level + 1) & 7;
        break;
    case OCW2_NOP:
    default:
        break;
    }
}

static void chip_write_command(PICChip *c, uint8_t val)
{
    if (val & ICW1_INIT) {
        if (val & ICW1_LTIM) {
            /* PIIX3: "LTIM ... is disabled; its function is replaced by the ELCR". */
            log_unimp("i8259: ICW1 LTIM ignored, trigger mode comes from the ELCR\n");
        }
        if (!(val & ICW1_IC4)) {
            /* Without ICW4 the chip is in 8080 mode, which a PC cannot use. */
            log_unimp("i8259: ICW1 without ICW4 (MCS-80/85 mode)\n");
        }
        chip_init(c, val);
    } else if (val & OCW3_SELECT) {
        if (val & OCW3_POLL) {
            c->poll = true;
        }
        if (val & OCW3_RR) {
            c->read_isr = val & OCW3_RIS;
        }
        if (val & OCW3_ESMM) {
            c->special_mask = val & OCW3_SMM;
        }
    } else {
        chip_write_ocw2(c, val);
    }
}

static void chip_write_data(PICChip *c, uint8_t val)
{
    switch (c->init_step) {
    case INIT_ICW2:
        c->vector_base = val & 0xf8;
        if (!(c->icw1 & ICW1_SNGL)) {
            c->init_step = INIT_ICW3;
        } else {
            c->init_step = (c->icw1 & ICW1_IC4) ? INIT_ICW4 : INIT_DONE;
        }
        break;
    case INIT_ICW3:
        c->icw3 = val;
        c->init_step = (c->icw1 & ICW1_IC4) ? INIT_ICW4 : INIT_DONE;
        break;
    case INIT_ICW4:
        c->icw4 = val & (ICW4_UPM | ICW4_AEOI | ICW4_BUF_MS | ICW4_BUF | ICW4_SFNM);
        if (!(val & ICW4_UPM)) {
            log_unimp("i8259: ICW4 MCS-80/85 mode; vectors stay 8086 style\n");
        }
        c->init_step = INIT_DONE;
        break;
    default:
        c->imr = val;   /* OCW1 */
        break;
    }
}

/* Poll command: the read is an interrupt acknowledge of this chip. */
static uint8_t chip_poll(PICChip *c)
{
    int level = chip_pending_level(c);

    c->poll = false;
    if (level < 0) {
        return SPURIOUS_LEVEL;
    }
    chip_ack(c, level);
    return POLL_INTERRUPT | level;
}

static uint64_t pic_io_read(void *opaque, uint64_t offset, unsigned size)
{
    PICChip *c = opaque;
    uint8_t val;

    if (c->poll) {
        val = chip_poll(c);
        pic_update(c->owner);
    } else if (offset == 0) {
        val = c->read_isr ? c->isr : c->irr;
    } else {
        val = c->imr;
    }
    log_cat(LOG_IOPORT, "i8259 %s: read %u = 0x%02x\n", c->is_master ? "master" : "slave",
            (unsigned)offset, val);
    return val;
}

static void pic_io_write(void *opaque, uint64_t offset, uint64_t value, unsigned size)
{
    PICChip *c = opaque;
    uint8_t val = value;

    log_cat(LOG_IOPORT, "i8259 %s: write %u = 0x%02x\n", c->is_master ? "master" : "slave",
            (unsigned)offset, val);
    if (offset == 0) {
        chip_write_command(c, val);
    } else {
        chip_write_data(c, val);
    }
    pic_update(c->owner);
}

static const RegionOps pic_ops = {
    .read = pic_io_read,
    .write = pic_io_write,
    .valid = { .min = 1, .max = 4 },
    .impl = { .min = 1, .max = 1 },
};

static void chip_set_elcr(PICChip *c, uint8_t elcr)
{
    uint8_t newly_level = elcr & ~c->elcr;

    c->elcr = elcr;
    /* A level triggered IRR bit is the input level. */
    c->irr = (c->irr & ~newly_level) | (c->pins & newly_level);
}

static uint64_t elcr_io_read(void *opaque, uint64_t offset, unsigned size)
{
    PICState *s = opaque;

    return s->chip[offset & 1].elcr;
}

static void elcr_io_write(void *opaque, uint64_t offset, uint64_t value, unsigned size)
{
    PICState *s = opaque;
    uint8_t mask = (offset & 1) ? ELCR_SLAVE_MASK : ELCR_MASTER_MASK;

    if (value & ~mask & 0xff) {
        guest_error("i8259: ELCR%u write 0x%02x sets reserved bits\n",
                    (unsigned)(offset & 1) + 1, (unsigned)(value & 0xff));
    }
    chip_set_elcr(&s->chip[offset & 1], value & mask);
    pic_update(s);
}

static const RegionOps elcr_ops = {
    .read = elcr_io_read,
    .write = elcr_io_write,
    .valid = { .min = 1, .max = 4 },
    .impl = { .min = 1, .max = 1 },
};

/* ---- CPU side ---- */

int i8259_intack(PICState *s)
{
    PICChip *master = master_of(s);
    PICChip *slave = slave_of(s);
    int level = chip_pending_level(master);
    int vector;

    if (level < 0) {
        /* Spurious: the request went away; default IR7, ISR untouched. */
        vector = master->vector_base + SPURIOUS_LEVEL;
    } else if (level == CASCADE_IR && chip_is_cascaded(master)) {
        int slave_level = chip_pending_level(slave);

        if (slave_level >= 0) {
            chip_ack(slave, slave_level);
            vector = slave->vector_base + slave_level;
        } else {
            vector = slave->vector_base + SPURIOUS_LEVEL;
        }
        chip_ack(master, CASCADE_IR);
        /*
         * A slave in AEOI mode may still assert INT after the acknowledge;
         * its output never fell, so keep the master's request latched.
         */
        if (chip_pending_level(slave) >= 0) {
            master->irr |= 1u << CASCADE_IR;
        }
    } else {
        chip_ack(master, level);
        vector = master->vector_base + level;
    }
    pic_update(s);
    return vector;
}

bool i8259_intr_pending(PICState *s)
{
    return chip_pending_level(master_of(s)) >= 0;
}

IrqLine **i8259_inputs(PICState *s)
{
    return s->inputs;
}

void i8259_set_elcr(PICState *s, uint16_t elcr)
{
    s->elcr_reset = elcr & (ELCR_MASTER_MASK | (ELCR_SLAVE_MASK << 8));
    chip_set_elcr(master_of(s), s->elcr_reset & 0xff);
    chip_set_elcr(slave_of(s), s->elcr_reset >> 8);
    pic_update(s);
}

/* ---- lifecycle and state ---- */

static void pic_reset_hold(Device *dev, ResetKind kind)
{
    PICState *s = (PICState *)dev;

    irq_lower(s->cpu_intr);
}

static void pic_reset(Device *dev, ResetKind kind)
{
    PICState *s = (PICState *)dev;

    /* Input levels are wires from other devices and survive; everything else is power-on. */
    chip_reset(master_of(s), s->elcr_reset & 0xff);
    chip_reset(slave_of(s), s->elcr_reset >> 8);
    pic_update(s);
}

static bool chip_state_valid(const PICChip *c, uint8_t elcr_mask, GError **err)
{
    const char *name = c->is_master ? "master" : "slave";

    if (c->init_step != INIT_DONE && c->init_step != INIT_ICW2 &&
        c->init_step != INIT_ICW3 && c->init_step != INIT_ICW4) {
        g_set_error(err, IOEMU_ERROR, 0, "i8259 %s: invalid init step %u", name, c->init_step);
        return false;
    }
    if (c->highest > 7) {
        g_set_error(err, IOEMU_ERROR, 0, "i8259 %s: invalid priority %u", name, c->highest);
        return false;
    }
    if (c->elcr & ~elcr_mask) {
        g_set_error(err, IOEMU_ERROR, 0, "i8259 %s: ELCR 0x%02x sets reserved bits", name, c->elcr);
        return false;
    }
    if (c->vector_base & 7) {
        g_set_error(err, IOEMU_ERROR, 0, "i8259 %s: vector base 0x%02x not a multiple of 8",
                    name, c->vector_base);
        return false;
    }
    if (c->icw1 & ~(ICW1_IC4 | ICW1_SNGL | ICW1_ADI | ICW1_LTIM)) {
        g_set_error(err, IOEMU_ERROR, 0, "i8259 %s: invalid ICW1 0x%02x", name, c->icw1);
        return false;
    }
    if (c->icw4 & ~(ICW4_UPM | ICW4_AEOI | ICW4_BUF_MS | ICW4_BUF | ICW4_SFNM)) {
        g_set_error(err, IOEMU_ERROR, 0, "i8259 %s: invalid ICW4 0x%02x", name, c->icw4);
        return false;
    }
    /* A level triggered IRR bit must match its input. */
    if ((c->irr ^ c->pins) & c->elcr & ~(c->is_master ? (1u << CASCADE_IR) : 0)) {
        g_set_error(err, IOEMU_ERROR, 0, "i8259 %s: level triggered IRR 0x%02x disagrees with inputs 0x%02x",
                    name, c->irr, c->pins);
        return false;
    }
    return true;
}

static bool pic_post_load(void *opaque, int version, GError **err)
{
    PICState *s = opaque;

    if (!chip_state_valid(master_of(s), ELCR_MASTER_MASK, err) ||
        !chip_state_valid(slave_of(s), ELCR_SLAVE_MASK, err)) {
        return false;
    }
    /* Re-drive the outputs from the loaded registers. */
    irq_set(s->cpu_intr, chip_pending_level(master_of(s)) >= 0);
    return true;
}

static const StateField pic_chip_fields[] = {
    STATE_U8(PICChip, irr),
    STATE_U8(PICChip, isr),
    STATE_U8(PICChip, imr),
    STATE_U8(PICChip, pins),
    STATE_U8(PICChip, elcr),
    STATE_U8(PICChip, highest),
    STATE_U8(PICChip, icw1),
    STATE_U8(PICChip, vector_base),
    STATE_U8(PICChip, icw3),
    STATE_U8(PICChip, icw4),
    STATE_U8(PICChip, init_step),
    STATE_BOOL_FIELD(PICChip, read_isr),
    STATE_BOOL_FIELD(PICChip, poll),
    STATE_BOOL_FIELD(PICChip, special_mask),
    STATE_BOOL_FIELD(PICChip, rotate_on_aeoi),
    STATE_FIELDS_END,
};

static const StateDescription pic_chip_state = {
    .name = "i8259-chip",
    .version = 1,
    .min_version = 1,
    .fields = pic_chip_fields,
};

static const StateField pic_fields[] = {
    STATE_STRUCT_ARRAY(PICState, chip, 2, pic_chip_state, PICChip),
    STATE_BOOL_FIELD(PICState, irq2_input),
    STATE_FIELDS_END,
};

static const StateDescription pic_state = {
    .name = "i8259",
    .version = 1,
    .min_version = 1,
    .fields = pic_fields,
    .post_load = pic_post_load,
};

static void pic_unrealize(Device *dev)
{
    PICState *s = (PICState *)dev;

    mr_free(s->io_master);
    mr_free(s->io_slave);
    mr_free(s->io_elcr);
    irq_free_array(s->inputs, I8259_NUM_INPUTS);
    g_free(s);
}

static const DeviceClass i8259_class = {
    .name = "i8259",
    .reset_hold = pic_reset_hold,
    .reset = pic_reset,
    .unrealize = pic_unrealize,
    .state = &pic_state,
};

PICState *i8259_create(Machine *m, IrqLine *cpu_intr)
{
    PICState *s = g_new0(PICState, 1);

    s->cpu_intr = cpu_intr;
    for (int i = 0; i < 2; i++) {
        s->chip[i].owner = s;
        s->chip[i].is_master = i == 0;
        chip_reset(&s->chip[i], 0);
    }
    s->inputs = irq_new_array(pic_input_handler, s, I8259_NUM_INPUTS);

    s->io_master = mr_new_io("pic-master", 2, &pic_ops, master_of(s));
    s->io_slave = mr_new_io("pic-slave", 2, &pic_ops, slave_of(s));
    s->io_elcr = mr_new_io("elcr", 2, &elcr_ops, s);
    mr_add_subregion(as_root(m->io), 0x20, s->io_master, 0);
    mr_add_subregion(as_root(m->io), 0xa0, s->io_slave, 0);
    mr_add_subregion(as_root(m->io), 0x4d0, s->io_elcr, 0);

    device_register(m->devices, &s->dev, &i8259_class, "pic");
    return s;
}
