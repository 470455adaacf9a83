/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * PIIX4 power management function (82371AB function 3).  References:
 * Intel 82371AB PIIX4 datasheet (order 290562), 3.3 "Power Management
 * Configuration Registers" (PMBA 40h, DEVACTB 58h, PMREGMISC 80h, SMBBA
 * 90h, SMBHSTCFG D2h) and 7.3 "Power Management I/O Space Registers";
 * ACPI 6.4, 4.8.3 (PM1 event/control, PM timer, GPE blocks) and 4.8.3.7
 * (sleep control: SLP_TYP/SLP_EN); APM 1.2 for the 0xb2/0xb3 pair.
 * Layout facts shared with QEMU's PIIX4 model and Xen's hvmloader (PMBA
 * 0xb001, GPE0 at 0xafe0, S-state types, 0xf1/0xf0 ACPI enable/disable).
 *
 * Every register block is byte-wide to the core (impl 1): word and dword
 * accesses arrive as bytes, low byte first, which keeps write-1-to-clear
 * status bits exact (no read-modify-write of neighbours) and makes a
 * 16-bit PM1_CNT write act once, on its high byte that holds SLP_EN.
 */
#include "hw/acpi/piix4_pm.h"

#include <string.h>

#include "hw/core/clock.h"
#include "hw/core/log.h"

/* PM1_EN bits that exist (ACPI 4.8.3.1.2); the others read 0. */
#define PM1_EN_VALID    (ACPI_PM1_TMR_EN | ACPI_PM1_GBL_EN | ACPI_PM1_PWRBTN_EN | ACPI_PM1_SLPBTN_EN | \
                         ACPI_PM1_RTC_EN)
#define PM1_STS_VALID   (ACPI_PM1_TMR_STS | ACPI_PM1_BM_STS | ACPI_PM1_GBL_STS | ACPI_PM1_PWRBTN_STS | \
                         ACPI_PM1_SLPBTN_STS | ACPI_PM1_RTC_STS | ACPI_PM1_WAK_STS)
/* PM1_CNT bits kept: SCI_EN, BM_RLD and SLP_TYP; GBL_RLS and SLP_EN are write-only strobes. */
#define PM1_CNT_STORED  (ACPI_PM1_CNT_SCI_EN | ACPI_PM1_CNT_BM_RLD | ACPI_PM1_CNT_SLP_TYP_MASK)

/* PM_TMR bit 23 toggles every 2^23 ticks; TMR_STS latches each toggle (ACPI 4.8.3.3). */
#define PM_TMR_OVERFLOW_TICKS   (1ull << 23)

struct PIIX4PMState {
    PCIDevice pci;
    Machine *m;
    PIIX4PMConfig cfg;

    MemoryRegion *pm_io;        /* PMBA block; mapped while PMIOSE is set */
    MemoryRegion *gpe_io;
    MemoryRegion *apm_io;
    MemoryRegion *cpu_hp_io;
    MemoryRegion *pci_hp_io;
    Timer *tmr_timer;           /* fires at the next TMR_STS event while TMR_EN is set */
    int sci_level;              /* plumbing: what we drive on cfg.sci */

    /* Guest-visible state. */
    uint16_t pm1_sts;
    uint16_t pm1_en;
    uint16_t pm1_cnt;
    uint8_t apmc;               /* APM control (0xb2), last written */
    uint8_t apms;               /* APM status (0xb3), scratch */
    uint16_t gpe_sts;
    uint16_t gpe_en;
    int64_t tmr_overflow_ns;    /* virtual time of the next bit-23 toggle of PM_TMR */
    uint8_t cpu_present[PIIX4_CPU_HOTPLUG_LEN];
    uint32_t pci_hp_up;         /* PCIU: slots hot-added, read by _E01 */
    uint32_t pci_hp_down;       /* PCID: slots asked to go */
};

/* ---- PM timer ---- */

static int64_t pm_now(void)
{
    return clock_get_ns(CLOCK_VIRTUAL);
}

static uint64_t pm_tmr_ticks(int64_t ns)
{
    if (ns <= 0) {
        return 0;
    }
    return (uint64_t)((unsigned __int128)ns * ACPI_PM_TIMER_FREQUENCY / NANOSECONDS_PER_SECOND);
}

/* First virtual time at which the tick count reaches `ticks` (rounded up). */
static int64_t pm_tmr_ticks_to_ns(uint64_t ticks)
{
    unsigned __int128 scaled = (unsigned __int128)ticks * NANOSECONDS_PER_SECOND;

    return (int64_t)((scaled + ACPI_PM_TIMER_FREQUENCY - 1) / ACPI_PM_TIMER_FREQUENCY);
}

static int64_t pm_tmr_next_overflow(int64_t now)
{
    uint64_t ticks = pm_tmr_ticks(now);

    return pm_tmr_ticks_to_ns((ticks | (PM_TMR_OVERFLOW_TICKS - 1)) + 1);
}

static uint32_t pm_tmr_read(PIIX4PMState *s)
{
    return (uint32_t)(pm_tmr_ticks(pm_now()) & ACPI_PM_TIMER_MASK);
}

/* Latch TMR_STS if bit 23 toggled since we last looked. */
static void pm_tmr_catch_up(PIIX4PMState *s)
{
    int64_t now;

    if (!s->cfg.pm_timer) {
        return;
    }
    now = pm_now();
    if (now >= s->tmr_overflow_ns) {
        s->pm1_sts |= ACPI_PM1_TMR_STS;
        s->tmr_overflow_ns = pm_tmr_next_overflow(now);
    }
}

static void pm_update_sci(PIIX4PMState *s)
{
    uint16_t fixed = s->pm1_sts & s->pm1_en &
                     (ACPI_PM1_TMR_EN | ACPI_PM1_GBL_EN | ACPI_PM1_PWRBTN_EN | ACPI_PM1_SLPBTN_EN | ACPI_PM1_RTC_EN);
    int level = fixed || (s->gpe_sts & s->gpe_en);

    s->sci_level = level;
    irq_set(s->cfg.sci, level);
}

static void pm_tmr_rearm(PIIX4PMState *s)
{
    if (s->cfg.pm_timer && (s->pm1_en & ACPI_PM1_TMR_EN) && !(s->pm1_sts & ACPI_PM1_TMR_STS)) {
        timer_mod(s->tmr_timer, s->tmr_overflow_ns);
    } else if (s->tmr_timer) {
        timer_del(s->tmr_timer);
    }
}

static void pm_tmr_expired(void *opaque)
{
    PIIX4PMState *s = opaque;

    pm_tmr_catch_up(s);
    pm_update_sci(s);
    pm_tmr_rearm(s);
}

/* ---- sleep control ---- */

static void pm_sleep(PIIX4PMState *s, unsigned slp_typ)
{
    uint8_t s4 = s->cfg.s4_val ? s->cfg.s4_val : PIIX4_SLP_TYP_S4_DEFAULT;

    if (slp_typ == PIIX4_SLP_TYP_SOFT_OFF) {
        machine_request(s->m, SHUTDOWN_CAUSE_GUEST_POWEROFF, 0);
    } else if (slp_typ == PIIX4_SLP_TYP_S3 && !s->cfg.disable_s3) {
        if (s->cfg.suspend) {
            s->cfg.suspend(s->cfg.opaque);
        } else {
            log_unimp("piix4-pm: S3 requested but the board has no suspend support\n");
        }
    } else if (slp_typ == s4 && !s->cfg.disable_s4) {
        /* S4 saves to disk from the guest's side; the machine just powers off (QEMU does the same). */
        machine_request(s->m, SHUTDOWN_CAUSE_GUEST_POWEROFF, 0);
    } else {
        guest_error("piix4-pm: SLP_EN with sleep type %u, which this machine does not offer\n", slp_typ);
    }
}

/* ---- PM register block ---- */

static uint64_t pm_io_read(void *opaque, uint64_t offset, unsigned size)
{
    PIIX4PMState *s = opaque;
    unsigned shift = (offset & 1) * 8;

    switch (offset) {
    case PIIX4_PM1_STS:
    case PIIX4_PM1_STS + 1:
        pm_tmr_catch_up(s);
        return (uint8_t)(s->pm1_sts >> shift);
    case PIIX4_PM1_EN:
    case PIIX4_PM1_EN + 1:
        return (uint8_t)(s->pm1_en >> shift);
    case PIIX4_PM1_CNT:
    case PIIX4_PM1_CNT + 1:
        return (uint8_t)(s->pm1_cnt >> shift);
    case PIIX4_PM_TMR ... PIIX4_PM_TMR + 3:
        if (!s->cfg.pm_timer) {
            return 0xff;    /* the hypervisor owns the timer; nothing decodes here */
        }
        return (uint8_t)(pm_tmr_read(s) >> ((offset - PIIX4_PM_TMR) * 8));
    default:
        /* GPSTS, GLBSTS, DEVSTS, ... (datasheet 7.3): no event sources behind them. */
        return 0;
    }
}

static void pm_io_write(void *opaque, uint64_t offset, uint64_t value, unsigned size)
{
    PIIX4PMState *s = opaque;
    unsigned shift = (offset & 1) * 8;
    uint16_t v = (uint16_t)((value & 0xff) << shift);
    uint16_t byte_mask = (uint16_t)(0xff << shift);

    switch (offset) {
    case PIIX4_PM1_STS:
    case PIIX4_PM1_STS + 1:
        pm_tmr_catch_up(s);
        s->pm1_sts &= (uint16_t)~(v & PM1_STS_VALID);
        pm_update_sci(s);
        pm_tmr_rearm(s);
        break;
    case PIIX4_PM1_EN:
    case PIIX4_PM1_EN + 1:
        pm_tmr_catch_up(s);
        s->pm1_en = (uint16_t)((s->pm1_en & ~byte_mask) | (v & PM1_EN_VALID));
        pm_update_sci(s);
        pm_tmr_rearm(s);
        break;
    case PIIX4_PM1_CNT:
    case PIIX4_PM1_CNT + 1:
        s->pm1_cnt = (uint16_t)((s->pm1_cnt & ~byte_mask) | (v & PM1_CNT_STORED));
        if (v & ACPI_PM1_CNT_GBL_RLS) {
            log_unimp("piix4-pm: GBL_RLS (global lock release SMI)\n");
        }
        if (v & ACPI_PM1_CNT_SLP_EN) {
            pm_sleep(s, (s->pm1_cnt & ACPI_PM1_CNT_SLP_TYP_MASK) >> ACPI_PM1_CNT_SLP_TYP_SHIFT);
        }
        break;
    case PIIX4_PM_TMR ... PIIX4_PM_TMR + 3:
        break;      /* read-only */
    default:
        log_unimp("piix4-pm: write 0x%02x to PM register 0x%02x\n", (unsigned)(value & 0xff),
                  (unsigned)offset);
        break;
    }
}

static const RegionOps pm_io_ops = {
    .read = pm_io_read,
    .write = pm_io_write,
    .valid = { .min = 1, .max = 4, .unaligned = true },
    .impl = { .min = 1, .max = 1 },
};

/* ---- GPE0 block: STS (write 1 to clear) then EN ---- */

static uint64_t gpe_read(void *opaque, uint64_t offset, unsigned size)
{
    PIIX4PMState *s = opaque;

    switch (offset) {
    case 0:
    case 1:
        return (uint8_t)(s->gpe_sts >> (offset * 8));
    case 2:
    case 3:
        return (uint8_t)(s->gpe_en >> ((offset - 2) * 8));
    default:
        return 0xff;
    }
}

static void gpe_write(void *opaque, uint64_t offset, uint64_t value, unsigned size)
{
    PIIX4PMState *s = opaque;
    uint8_t b = (uint8_t)value;

    switch (offset) {
    case 0:
    case 1:
        s->gpe_sts &= (uint16_t)~(b << (offset * 8));
        break;
    case 2:
    case 3: {
        unsigned shift = (unsigned)(offset - 2) * 8;
        s->gpe_en = (uint16_t)((s->gpe_en & ~(0xff << shift)) | (b << shift));
        break;
    }
    default:
        return;
    }
    pm_update_sci(s);
}

static const RegionOps gpe_ops = {
    .read = gpe_read,
    .write = gpe_write,
    .valid = { .min = 1, .max = 4, .unaligned = true },
    .impl = { .min = 1, .max = 1 },
};

/* ---- APM control/status (0xb2/0xb3) ---- */

static uint64_t apm_read(void *opaque, uint64_t offset, unsigned size)
{
    PIIX4PMState *s = opaque;
    return offset == 0 ? s->apmc : s->apms;
}

static void apm_write(void *opaque, uint64_t offset, uint64_t value, unsigned size)
{
    PIIX4PMState *s = opaque;
    uint8_t v = (uint8_t)value;

    if (offset != 0) {
        s->apms = v;
        return;
    }
    s->apmc = v;
    /*
     * The FADT's SMI_CMD/ACPI_ENABLE/ACPI_DISABLE handshake (ACPI 4.8.2.1):
     * firmware's SMI handler would flip SCI_EN; without SMM we do it here.
     * hvmloader BUG()s if SCI_EN is not set after it writes 0xf1.
     */
    if (v == ACPI_ENABLE_CMD) {
        s->pm1_cnt |= ACPI_PM1_CNT_SCI_EN;
    } else if (v == ACPI_DISABLE_CMD) {
        s->pm1_cnt &= (uint16_t)~ACPI_PM1_CNT_SCI_EN;
    } else {
        log_unimp("piix4-pm: APM command 0x%02x needs SMM\n", v);
    }
}

static const RegionOps apm_ops = {
    .read = apm_read,
    .write = apm_write,
    .valid = { .min = 1, .max = 2, .unaligned = true },
    .impl = { .min = 1, .max = 1 },
};

/* ---- QEMU's legacy CPU and PCI hotplug registers (read by hvmloader's DSDT) ---- */

static uint64_t cpu_hp_read(void *opaque, uint64_t offset, unsigned size)
{
    PIIX4PMState *s = opaque;
    return offset < PIIX4_CPU_HOTPLUG_LEN ? s->cpu_present[offset] : 0xff;
}

static void cpu_hp_write(void *opaque, uint64_t offset, uint64_t value, unsigned size)
{
    /* The bitmap is the device model's statement of fact; the guest cannot eject CPUs through it. */
    guest_error("piix4-pm: write to the CPU-present bitmap at offset %u\n", (unsigned)offset);
}

static const RegionOps cpu_hp_ops = {
    .read = cpu_hp_read,
    .write = cpu_hp_write,
    .valid = { .min = 1, .max = 4, .unaligned = true },
    .impl = { .min = 1, .max = 1 },
};

static uint64_t pci_hp_read(void *opaque, uint64_t offset, unsigned size)
{
    PIIX4PMState *s = opaque;
    unsigned shift = (offset & 3) * 8;

    switch (offset & ~3ull) {
    case 0x0:
        return (uint8_t)(s->pci_hp_up >> shift);
    case 0x4:
        return (uint8_t)(s->pci_hp_down >> shift);
    default:
        return 0;   /* B0EJ reads 0; B0RM: no slot is removable */
    }
}

static void pci_hp_write(void *opaque, uint64_t offset, uint64_t value, unsigned size)
{
    if ((offset & ~3ull) == 0x8 && (value & 0xff)) {
        log_unimp("piix4-pm: PCI hot-unplug (B0EJ byte %u = 0x%02x)\n", (unsigned)(offset & 3),
                  (unsigned)(value & 0xff));
    }
}

static const RegionOps pci_hp_ops = {
    .read = pci_hp_read,
    .write = pci_hp_write,
    .valid = { .min = 1, .max = 4, .unaligned = true },
    .impl = { .min = 1, .max = 1 },
};

/* ---- PCI configuration ---- */

static int pm_decoded_base(const PIIX4PMState *s)
{
    const uint8_t *c = s->pci.config;

    if (!(c[PIIX4_PMREGMISC] & PIIX4_PMIOSE)) {
        return -1;
    }
    return pci_get_word(c + PIIX4_PMBA) & PIIX4_PMBA_MASK;
}

/* Follow PMBA/PMIOSE (datasheet 3.3.1 and 3.3.10). */
static void pm_io_remap(PIIX4PMState *s)
{
    MemoryRegion *root = as_root(s->m->io);
    int base = pm_decoded_base(s);

    if (base < 0) {
        if (mr_is_mapped(s->pm_io)) {
            mr_del_subregion(root, s->pm_io);
        }
    } else if (!mr_is_mapped(s->pm_io)) {
        mr_add_subregion(root, (uint64_t)base, s->pm_io, PCI_BAR_PRIORITY);
    } else if (mr_address(s->pm_io) != (uint64_t)base) {
        mr_set_address(s->pm_io, (uint64_t)base);
    }
}

static bool ranges_overlap(unsigned a, unsigned alen, unsigned b, unsigned blen)
{
    return a < b + blen && b < a + alen;
}

static void pm_config_write(PCIDevice *d, unsigned addr, uint32_t value, unsigned len)
{
    PIIX4PMState *s = (PIIX4PMState *)d;

    pci_default_config_write(d, addr, value, len);
    if (ranges_overlap(addr, len, PIIX4_PMBA, 4) || ranges_overlap(addr, len, PIIX4_PMREGMISC, 1)) {
        memory_transaction_begin();
        pm_io_remap(s);
        memory_transaction_commit();
    }
}

static const PCIDeviceOps pm_pci_ops = {
    .config_write = pm_config_write,
};

/* ---- life cycle ---- */

static void pm_reset_hold(Device *dev, ResetKind kind)
{
    PIIX4PMState *s = (PIIX4PMState *)dev;

    timer_del(s->tmr_timer);
    s->sci_level = 0;
    irq_lower(s->cfg.sci);
}

static void pm_load_config_defaults(PIIX4PMState *s)
{
    uint8_t *c = s->pci.config;

    /* PCISTS 0280h: fast back-to-back capable, medium DEVSEL (datasheet 3.3). */
    pci_set_word(c + PCI_STATUS, PCI_STATUS_FAST_BACK | PCI_STATUS_DEVSEL_MEDIUM);
    memset(c + PCI_CONFIG_HEADER_SIZE, 0, PCI_CONFIG_SPACE_SIZE - PCI_CONFIG_HEADER_SIZE);
    pci_set_long(c + PIIX4_PMBA, PIIX4_PMBA_IO);
    /* No SMM here: mark the SMI set-up as done, as QEMU does when SMM is off. */
    c[PIIX4_DEVACTB + 3] = PIIX4_DEVACTB_SMI_DONE;
    pci_set_long(c + PIIX4_SMBBA, (uint32_t)(s->cfg.smb_base & PIIX4_SMBBA_MASK) | 1);
    c[PIIX4_SMBHSTCFG] = s->cfg.smb_base ? PIIX4_SMBHSTCFG_DEFAULT : 0;
}

static void pm_cpu_present_init(PIIX4PMState *s)
{
    memset(s->cpu_present, 0, sizeof(s->cpu_present));
    for (unsigned cpu = 0; cpu < s->cfg.cpus_present; cpu++) {
        s->cpu_present[cpu / 8] |= (uint8_t)(1u << (cpu % 8));
    }
}

static void pm_reset(Device *dev, ResetKind kind)
{
    PIIX4PMState *s = (PIIX4PMState *)dev;

    pci_device_reset(&s->pci);
    pm_load_config_defaults(s);
    s->pm1_sts = 0;
    s->pm1_en = 0;
    s->pm1_cnt = 0;
    s->apmc = 0;
    s->apms = 0;
    s->gpe_sts = 0;
    s->gpe_en = 0;
    s->pci_hp_up = 0;
    s->pci_hp_down = 0;
    if (kind == RESET_POWER_ON) {
        /* A system reset keeps hot-plugged CPUs; power-on goes back to the configured set. */
        pm_cpu_present_init(s);
    }
    s->tmr_overflow_ns = pm_tmr_next_overflow(pm_now());
    memory_transaction_begin();
    pm_io_remap(s);
    memory_transaction_commit();
    pm_update_sci(s);
    pm_tmr_rearm(s);
}

static bool pm_post_load(void *opaque, int version, GError **err)
{
    PIIX4PMState *s = opaque;

    if (!pci_device_post_load(&s->pci, err)) {
        return false;
    }
    if (s->pm1_en & ~PM1_EN_VALID) {
        g_set_error(err, IOEMU_ERROR, 0, "piix4-pm: PM1_EN 0x%04x has reserved bits set", s->pm1_en);
        return false;
    }
    s->pm1_sts &= PM1_STS_VALID;
    s->pm1_cnt &= PM1_CNT_STORED;
    if (s->tmr_overflow_ns < 0) {
        g_set_error(err, IOEMU_ERROR, 0, "piix4-pm: negative PM timer overflow time");
        return false;
    }
    memory_transaction_begin();
    pm_io_remap(s);
    memory_transaction_commit();
    pm_update_sci(s);
    pm_tmr_rearm(s);
    return true;
}

static const StateField pm_fields[] = {
    STATE_STRUCT_FIELD(PIIX4PMState, pci, pci_device_state, PCIDevice),
    STATE_U16(PIIX4PMState, pm1_sts),
    STATE_U16(PIIX4PMState, pm1_en),
    STATE_U16(PIIX4PMState, pm1_cnt),
    STATE_U8(PIIX4PMState, apmc),
    STATE_U8(PIIX4PMState, apms),
    STATE_U16(PIIX4PMState, gpe_sts),
    STATE_U16(PIIX4PMState, gpe_en),
    STATE_I64(PIIX4PMState, tmr_overflow_ns),
    STATE_U8_ARRAY(PIIX4PMState, cpu_present, PIIX4_CPU_HOTPLUG_LEN),
    STATE_U32(PIIX4PMState, pci_hp_up),
    STATE_U32(PIIX4PMState, pci_hp_down),
    STATE_FIELDS_END,
};

static const StateDescription pm_state = {
    .name = "piix4_pm",
    .version = 1,
    .min_version = 1,
    .fields = pm_fields,
    .post_load = pm_post_load,
};

static void unmap_free(MemoryRegion *root, MemoryRegion *mr)
{
    if (!mr) {
        return;
    }
    if (mr_is_mapped(mr)) {
        mr_del_subregion(root, mr);
    }
    mr_free(mr);
}

static void pm_unrealize(Device *dev)
{
    PIIX4PMState *s = (PIIX4PMState *)dev;
    MemoryRegion *root = as_root(s->m->io);

    timer_free(s->tmr_timer);
    pci_device_exit(&s->pci);
    unmap_free(root, s->pm_io);
    unmap_free(root, s->gpe_io);
    unmap_free(root, s->apm_io);
    unmap_free(root, s->cpu_hp_io);
    unmap_free(root, s->pci_hp_io);
    g_free(s);
}

static const DeviceClass pm_class = {
    .name = "piix4_pm",
    .reset_hold = pm_reset_hold,
    .reset = pm_reset,
    .unrealize = pm_unrealize,
    .state = &pm_state,
};

static MemoryRegion *map_fixed(PIIX4PMState *s, const char *name, uint16_t base, uint64_t len,
                               const RegionOps *ops)
{
    MemoryRegion *mr;

    if (!base) {
        return NULL;
    }
    mr = mr_new_io(name, len, ops, s);
    mr_add_subregion(as_root(s->m->io), base, mr, 0);
    return mr;
}

static bool fixed_range_ok(const char *what, uint16_t base, unsigned len, GError **err)
{
    if (base && (uint32_t)base + len > 0x10000) {
        g_set_error(err, IOEMU_ERROR, 0, "piix4-pm: %s at 0x%x does not fit in the IO space", what, base);
        return false;
    }
    return true;
}

PIIX4PMState *piix4_pm_create(Machine *m, PCIBus *bus, int devfn, const PIIX4PMConfig *cfg, GError **err)
{
    PIIX4PMState *s;
    uint8_t *wmask;

    if (cfg->cpus_present > PIIX4_MAX_CPUS) {
        g_set_error(err, IOEMU_ERROR, 0, "piix4-pm: %u CPUs do not fit the %u-bit CPU-present bitmap",
                    cfg->cpus_present, PIIX4_MAX_CPUS);
        return NULL;
    }
    if (!fixed_range_ok("GPE0", cfg->gpe0_base, PIIX4_GPE0_LEN, err) ||
        !fixed_range_ok("the CPU hotplug bitmap", cfg->cpu_hotplug_base, PIIX4_CPU_HOTPLUG_LEN, err) ||
        !fixed_range_ok("the PCI hotplug registers", cfg->pci_hotplug_base, PIIX4_PCI_HOTPLUG_LEN, err)) {
        return NULL;
    }
    s = g_new0(PIIX4PMState, 1);
    if (!pci_device_init(&s->pci, bus, devfn, &pm_pci_ops, err)) {
        g_free(s);
        return NULL;
    }
    s->m = m;
    s->cfg = *cfg;
    pci_config_set_ids(&s->pci, PIIX4_PM_VENDOR_ID, PIIX4_PM_DEVICE_ID, PIIX4_PM_REVISION, PIIX4_PM_CLASS);
    pci_config_set_interrupt_pin(&s->pci, 1);

    /* Only the documented bits of the registers with side effects are writable. */
    wmask = s->pci.wmask;
    pci_set_long(wmask + PIIX4_PMBA, PIIX4_PMBA_MASK);
    wmask[PIIX4_PMREGMISC] = PIIX4_PMIOSE;
    pci_set_long(wmask + PIIX4_SMBBA, PIIX4_SMBBA_MASK);
    wmask[PIIX4_SMBHSTCFG] = 0x0f;

    s->pm_io = mr_new_io("piix4-pm", PIIX4_PM_IO_SIZE, &pm_io_ops, s);
    s->gpe_io = map_fixed(s, "piix4-gpe0", cfg->gpe0_base, PIIX4_GPE0_LEN, &gpe_ops);
    s->apm_io = map_fixed(s, "apm", APM_CNT_PORT, 2, &apm_ops);
    s->cpu_hp_io = map_fixed(s, "piix4-cpu-hotplug", cfg->cpu_hotplug_base, PIIX4_CPU_HOTPLUG_LEN, &cpu_hp_ops);
    s->pci_hp_io = map_fixed(s, "piix4-pci-hotplug", cfg->pci_hotplug_base, PIIX4_PCI_HOTPLUG_LEN, &pci_hp_ops);
    s->tmr_timer = timer_new(CLOCK_VIRTUAL, pm_tmr_expired, s);
    pm_cpu_present_init(s);
    pm_load_config_defaults(s);

    device_register(m->devices, &s->pci.dev, &pm_class, "piix4-pm");
    return s;
}

/* ---- accessors and host events ---- */

PCIDevice *piix4_pm_pci(PIIX4PMState *s)
{
    return &s->pci;
}

int piix4_pm_io_base(const PIIX4PMState *s)
{
    return pm_decoded_base(s);
}

bool piix4_pm_sci_enabled(const PIIX4PMState *s)
{
    return s->pm1_cnt & ACPI_PM1_CNT_SCI_EN;
}

bool piix4_pm_sci_level(const PIIX4PMState *s)
{
    return s->sci_level;
}

void piix4_pm_power_button(PIIX4PMState *s)
{
    s->pm1_sts |= ACPI_PM1_PWRBTN_STS;
    pm_update_sci(s);
}

void piix4_pm_wakeup(PIIX4PMState *s)
{
    s->pm1_sts |= ACPI_PM1_WAK_STS;
    pm_update_sci(s);
}

void piix4_pm_raise_gpe(PIIX4PMState *s, unsigned bit)
{
    if (bit >= PIIX4_GPE0_BITS) {
        return;
    }
    s->gpe_sts |= (uint16_t)(1u << bit);
    pm_update_sci(s);
}

void piix4_pm_set_cpu_present(PIIX4PMState *s, unsigned cpu, bool present)
{
    uint8_t bit;

    if (cpu >= PIIX4_MAX_CPUS) {
        return;
    }
    bit = (uint8_t)(1u << (cpu % 8));
    if (!!(s->cpu_present[cpu / 8] & bit) == present) {
        return;
    }
    if (present) {
        s->cpu_present[cpu / 8] |= bit;
    } else {
        s->cpu_present[cpu / 8] &= (uint8_t)~bit;
    }
    piix4_pm_raise_gpe(s, PIIX4_GPE_CPU_HOTPLUG);
}
