/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Port 0x61 ("system control port B" of the PC/AT) next to the in-kernel
 * PIT.  The kernel PIT, created without KVM_PIT_SPEAKER_DUMMY, leaves this
 * port to userspace, yet its bits belong to PIT channel 2: bit 0 drives
 * the channel's GATE input and bit 5 reads its OUT pin.  Firmware and
 * kernels calibrate the TSC by polling bit 5 while channel 2 counts down
 * in mode 0 (SeaBIOS does), so OUT2 is computed here from the channel
 * state KVM_GET_PIT2 returns, and GATE changes go back with KVM_SET_PIT2,
 * as QEMU's kvm-pit does.
 *
 * Bits (IBM PC/AT Technical Reference, "system control port B"):
 *   write: 0 timer 2 gate, 1 speaker data enable, 2 parity check disable,
 *          3 channel check disable
 *   read:  0-3 as written, 4 refresh request (toggles every 15.085 us),
 *          5 timer 2 OUT, 6 channel check, 7 parity check (always 0 here)
 * Counter modes and OUT behaviour: Intel 8254 datasheet, "Modes of operation".
 */
#include <errno.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>

#include "hw/core/log.h"
#include "standalone/kvm/kvm-internal.h"

#define PORT61_ADDR           0x61
#define PORT61_TIMER2_GATE    0x01
#define PORT61_SPEAKER_DATA   0x02
#define PORT61_WRITABLE       0x0f
#define PORT61_REFRESH        0x10
#define PORT61_TIMER2_OUT     0x20

/* The 8254's input clock: 14.31818 MHz / 12. */
#define PIT_FREQ_HZ           1193182ull
/* DRAM refresh request period on the AT: 15.085 us. */
#define REFRESH_PERIOD_NS     15085

/* Above the board's own regions, should it map anything at 0x61. */
#define PORT61_PRIORITY       10

static int64_t host_monotonic_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000ll + ts.tv_nsec;
}

/* PIT input-clock ticks in `ns` nanoseconds, without overflowing. */
static uint64_t pit_ticks(uint64_t ns)
{
    return (ns / 1000000000ull) * PIT_FREQ_HZ + (ns % 1000000000ull) * PIT_FREQ_HZ / 1000000000ull;
}

/*
 * The channel's OUT pin.  The kernel keeps count_load_time in host
 * CLOCK_MONOTONIC nanoseconds (ktime_get) and a count of 0 as 0x10000.
 */
int kvm_pit_channel_out(const struct kvm_pit_channel_state *c, int64_t now_ns)
{
    uint64_t count = c->count ? c->count : 0x10000;
    unsigned mode = c->mode;

    if (mode == 6 || mode == 7) {
        mode -= 4;   /* 8254: modes 6 and 7 are modes 2 and 3 */
    }
    if (mode > 5) {
        return 0;    /* never programmed */
    }
    /* Unsigned difference: no overflow whatever the two clock values are. */
    uint64_t elapsed = now_ns > c->count_load_time ? (uint64_t)now_ns - (uint64_t)c->count_load_time : 0;
    uint64_t d = pit_ticks(elapsed);

    switch (mode) {
    case 0:   /* interrupt on terminal count: low until the count runs out */
    case 1:   /* one-shot: low from the trigger until terminal count */
        return d >= count;
    case 2:   /* rate generator: low for the one clock when the count reaches 1; GATE low forces high */
        if (!c->gate) {
            return 1;
        }
        return (d % count) != count - 1;
    case 3:   /* square wave: high for the first ceil(N/2) clocks; GATE low forces high */
        if (!c->gate) {
            return 1;
        }
        return (d % count) < (count + 1) / 2;
    default:  /* 4, 5 strobes: low for the one clock at terminal count */
        return d != count;
    }
}

static bool pit_get(KvmAccel *k, struct kvm_pit_state2 *st)
{
    if (ioctl(k->vm_fd, KVM_GET_PIT2, st) < 0) {
        log_cat(LOG_KVM, "kvm: port 0x61: KVM_GET_PIT2: %s\n", g_strerror(errno));
        return false;
    }
    return true;
}

static uint64_t port61_read(void *opaque, uint64_t offset, unsigned size)
{
    KvmAccel *k = opaque;
    int64_t now = host_monotonic_ns();
    uint8_t v = k->port61 & PORT61_WRITABLE;
    struct kvm_pit_state2 st;

    if ((now / REFRESH_PERIOD_NS) & 1) {
        v |= PORT61_REFRESH;
    }
    if (pit_get(k, &st) && kvm_pit_channel_out(&st.channels[2], now)) {
        v |= PORT61_TIMER2_OUT;
    }
    return v;
}

static void port61_write(void *opaque, uint64_t offset, uint64_t value, unsigned size)
{
    KvmAccel *k = opaque;
    uint8_t old = k->port61;
    struct kvm_pit_state2 st;

    k->port61 = value & PORT61_WRITABLE;
    if (!((old ^ k->port61) & (PORT61_TIMER2_GATE | PORT61_SPEAKER_DATA))) {
        return;
    }
    if (!pit_get(k, &st)) {
        return;
    }
    /*
     * KVM_SET_PIT2 reloads every channel's count, restarting it from now:
     * for the gate's rising edge that is the 8254's retrigger.  It costs
     * channel 0 a phase shift, so only do it when a bit the kernel keeps
     * actually changed.
     */
    st.channels[2].gate = k->port61 & PORT61_TIMER2_GATE;
    if (k->port61 & PORT61_SPEAKER_DATA) {
        st.flags |= KVM_PIT_FLAGS_SPEAKER_DATA_ON;
    } else {
        st.flags &= ~KVM_PIT_FLAGS_SPEAKER_DATA_ON;
    }
    if (ioctl(k->vm_fd, KVM_SET_PIT2, &st) < 0) {
        log_cat(LOG_KVM, "kvm: port 0x61: KVM_SET_PIT2: %s\n", g_strerror(errno));
    }
}

static const RegionOps port61_ops = {
    .read = port61_read,
    .write = port61_write,
    /* A wider access also covers port 0x62 and up, which the core splits off. */
    .valid = { .min = 1, .max = 4, .unaligned = true },
    .impl = { .min = 1, .max = 1 },
};

void kvm_speaker_attach(KvmAccel *k, Machine *m)
{
    k->speaker_mr = mr_new_io("kvm-port61", 1, &port61_ops, k);
    mr_add_subregion(as_root(m->io), PORT61_ADDR, k->speaker_mr, PORT61_PRIORITY);
    k->port61 = 0;
}

void kvm_speaker_reset(KvmAccel *k)
{
    /* Gate 2 low, speaker off: what the restored PIT state holds. */
    k->port61 = 0;
}

void kvm_speaker_detach(KvmAccel *k)
{
    if (k->speaker_mr) {
        mr_del_subregion(as_root(k->m->io), k->speaker_mr);
        mr_free(k->speaker_mr);
        k->speaker_mr = NULL;
    }
}
