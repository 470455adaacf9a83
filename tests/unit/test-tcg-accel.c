/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The TCG accelerator on a small machine (RAM, a test port device, a
 * virtual-clock timer standing in for an interrupt controller):
 *  - icount: guest time advances exactly one tick per instruction, so the
 *    time a port write observes is a function of the instruction count,
 *    and two runs give identical results;
 *  - timer interrupts delivered at block boundaries wake HLT, IRET returns;
 *  - code fetched from MMIO runs (one instruction per block), and a jump
 *    into unassigned memory executes its all-ones bytes (#UD via the IVT);
 *  - a device write over translated code (DMA) is seen by the next run.
 */
#include <glib.h>
#include <string.h>

#include "hw/core/clock.h"
#include "hw/core/machine.h"
#include "hw/core/mainloop.h"
#include "target/i386/tcg-accel.h"

#define PORT_BASE 0x80

typedef struct Rig {
    Machine *m;
    TcgAccel *t;
    uint8_t *ram;
    uint8_t *top;
    int64_t t0;                 /* virtual time at start */
    GArray *stamps;             /* int64 virtual time - t0 of each write to port 0x80 */
    GArray *values;             /* the values written */
    int exit_code;
    volatile int done;          /* the guest asked to exit */
    /* timer interrupt source */
    Timer *timer;
    int64_t period_ns;
    int fired, acked;
    bool line;
    /* MMIO code region */
    uint8_t mmio_code[256];
    GPtrArray *regions;         /* MemoryRegion * mapped in mem (index 0..) or io (the port) */
    MemoryRegion *port;
} Rig;

static void rig_map(Rig *r, uint64_t addr, MemoryRegion *mr, int prio)
{
    mr_add_subregion(as_root(r->m->mem), addr, mr, prio);
    g_ptr_array_add(r->regions, mr);
}

static uint64_t port_read(void *opaque, uint64_t offset, unsigned size)
{
    return 0;
}

static void port_write(void *opaque, uint64_t offset, uint64_t value, unsigned size)
{
    Rig *r = opaque;
    if (offset == 0) {
        int64_t now = clock_get_ns(CLOCK_VIRTUAL) - r->t0;
        g_array_append_val(r->stamps, now);
        g_array_append_val(r->values, value);
    } else if (offset == 1) {
        r->exit_code = (int)value;
        machine_request(r->m, SHUTDOWN_CAUSE_GUEST_EXIT, (int)value);
    } else if (offset == 2) {
        /* "EOI": arm the next tick */
        if (r->period_ns) {
            timer_mod(r->timer, clock_get_ns(CLOCK_VIRTUAL) + r->period_ns);
        }
    }
}

static const RegionOps port_ops = {
    .read = port_read, .write = port_write,
    .valid = { .min = 1, .max = 4 }, .impl = { .min = 1, .max = 4 },
};

static uint64_t mmio_code_read(void *opaque, uint64_t offset, unsigned size)
{
    Rig *r = opaque;
    uint64_t v = 0;
    for (unsigned i = 0; i < size && offset + i < sizeof(r->mmio_code); i++) {
        v |= (uint64_t)r->mmio_code[offset + i] << (8 * i);
    }
    return v;
}

static void mmio_code_write(void *opaque, uint64_t offset, uint64_t value, unsigned size)
{
}

static const RegionOps mmio_code_ops = {
    .read = mmio_code_read, .write = mmio_code_write,
    .valid = { .min = 1, .max = 8 }, .impl = { .min = 1, .max = 1 },
};

static Rig *current_rig;

static void hook_request(Machine *m, ShutdownCause cause, int exit_code)
{
    /* The vCPU parks; the test thread returns from rig_wait. */
    tcg_accel_request_stop(current_rig->t);
    g_atomic_int_set(&current_rig->done, 1);
    mainloop_wakeup();
}

static void timer_cb(void *opaque)
{
    Rig *r = opaque;
    r->fired++;
    r->line = true;
    tcg_accel_set_intr(r->t, 0, 1);
}

static int intack(void *opaque)
{
    Rig *r = opaque;
    if (!r->line) {
        return -1;
    }
    r->line = false;
    r->acked++;
    tcg_accel_set_intr(r->t, 0, 0);
    return 0x20;
}

static Rig *rig_new(int icount_shift)
{
    Rig *r = g_new0(Rig, 1);
    GError *err = NULL;

    mainloop_init();
    current_rig = r;
    r->m = machine_new(1ull << 32);
    r->m->hooks.request = hook_request;
    /* RAM below 0xd0000 and at 0xf0000 (the reset vector); 0xd0000 is MMIO code, 0xe0000 nothing. */
    r->regions = g_ptr_array_new();
    MemoryRegion *ram = mr_new_ram("ram", 0xd0000, NULL);
    rig_map(r, 0, ram, 0);
    r->ram = mr_host_ptr(ram);
    MemoryRegion *top = mr_new_ram("top", 0x10000, NULL);
    rig_map(r, 0xf0000, top, 0);
    r->top = mr_host_ptr(top);
    r->port = mr_new_io("test-port", 4, &port_ops, r);
    mr_add_subregion(as_root(r->m->io), PORT_BASE, r->port, 0);
    r->stamps = g_array_new(false, false, sizeof(int64_t));
    r->values = g_array_new(false, false, sizeof(uint64_t));
    r->timer = timer_new(CLOCK_VIRTUAL, timer_cb, r);

    /* Reset vector f000:fff0 -> jmp 0000:1000 (the RAM reaches 0xfffff). */
    static const uint8_t jmp[] = { 0xea, 0x00, 0x10, 0x00, 0x00 };
    memcpy(r->top + 0xfff0, jmp, sizeof(jmp));

    TcgAccelConfig cfg = { .icount_shift = icount_shift, .code_buffer_size = 8 << 20 };
    r->t = tcg_accel_new(&cfg, &err);
    g_assert_no_error(err);
    g_assert_true(tcg_accel_attach(r->t, r->m, intack, r, &err));
    g_assert_no_error(err);
    return r;
}

/* Serve the main loop (timers, with the device lock) until the guest exits. */
static void rig_wait(Rig *r)
{
    while (!g_atomic_int_get(&r->done)) {
        mainloop_iterate(true);
    }
}

static void rig_run(Rig *r)
{
    GError *err = NULL;
    r->t0 = clock_get_ns(CLOCK_VIRTUAL);
    g_assert_true(tcg_accel_start(r->t, false, &err));
    rig_wait(r);
}

static void rig_free(Rig *r)
{
    tcg_accel_free(r->t);
    timer_free(r->timer);
    for (guint i = 0; i < r->regions->len; i++) {
        mr_del_subregion(as_root(r->m->mem), r->regions->pdata[i]);
        mr_free(r->regions->pdata[i]);
    }
    g_ptr_array_free(r->regions, true);
    mr_del_subregion(as_root(r->m->io), r->port);
    mr_free(r->port);
    machine_free(r->m);
    g_array_free(r->stamps, true);
    g_array_free(r->values, true);
    g_free(r);
}

/* 16-bit code at 0x1000. */
static void load(Rig *r, uint32_t addr, const uint8_t *code, size_t len)
{
    memcpy(r->ram + addr, code, len);
}

/* A counted loop between two port writes: the second stamp is exactly (instructions between) ticks later. */
static const uint8_t loop_prog[] = {
    0xb0, 0x01,             /* mov al, 1 */
    0xe6, 0x80,             /* out 0x80, al        (stamp 0) */
    0xb9, 0xe8, 0x03,       /* mov cx, 1000 */
    0xe2, 0xfe,             /* l: loop l */
    0xb0, 0x02,             /* mov al, 2 */
    0xe6, 0x80,             /* out 0x80, al        (stamp 1) */
    0xb0, 0x00,             /* mov al, 0 */
    0xe6, 0x81,             /* out 0x81, al        (exit) */
    0xf4,
};

static void test_icount_exact(void)
{
    int64_t d[2];
    for (int run = 0; run < 2; run++) {
        Rig *r = rig_new(0);
        load(r, 0x1000, loop_prog, sizeof(loop_prog));
        rig_run(r);
        g_assert_cmpint(r->stamps->len, ==, 2);
        /* mov cx + 1000 x loop + mov al + out: 1003 instructions of 1 ns. */
        d[run] = g_array_index(r->stamps, int64_t, 1) - g_array_index(r->stamps, int64_t, 0);
        g_assert_cmpint(d[run], ==, 1003);
        rig_free(r);
    }
    g_assert_cmpint(d[0], ==, d[1]);
}

/*
 * Timer interrupts: IVT[0x20] -> a handler that bumps a counter, writes its
 * time stamp and "EOI"s (re-arming the timer); the main code does
 * STI; HLT three times, then exits.  Under icount the stamps are the same
 * in every run.
 */
static const uint8_t irq_prog[] = {
    0x31, 0xc0,             /* xor ax, ax */
    0x8e, 0xd8,             /* mov ds, ax */
    0x8e, 0xd0,             /* mov ss, ax */
    0xbc, 0x00, 0x90,       /* mov sp, 0x9000 */
    0xc7, 0x06, 0x80, 0x00, 0x00, 0x20,   /* mov word [0x80], 0x2000   (IVT[0x20] offset) */
    0xc7, 0x06, 0x82, 0x00, 0x00, 0x00,   /* mov word [0x82], 0        (segment) */
    0xe6, 0x82,             /* out 0x82, al   (arm the first tick) */
    0xb9, 0x03, 0x00,       /* mov cx, 3 */
    0xfb,                   /* l: sti */
    0xf4,                   /* hlt */
    0xe2, 0xfc,             /* loop l */
    0xa1, 0x00, 0x30,       /* mov ax, [0x3000]  (handler count) */
    0xe6, 0x81,             /* out 0x81, al      (exit with the count) */
    0xf4,
};
static const uint8_t irq_handler[] = {
    0xff, 0x06, 0x00, 0x30, /* inc word [0x3000] */
    0xe6, 0x80,             /* out 0x80, al  (stamp) */
    0xe6, 0x82,             /* out 0x82, al  (EOI, re-arm) */
    0xcf,                   /* iret */
};

static void test_timer_interrupts_wake_hlt(void)
{
    GArray *first = NULL;
    for (int run = 0; run < 2; run++) {
        Rig *r = rig_new(0);
        r->period_ns = 10000;
        load(r, 0x1000, irq_prog, sizeof(irq_prog));
        load(r, 0x2000, irq_handler, sizeof(irq_handler));
        rig_run(r);
        g_assert_cmpint(r->exit_code, ==, 3);
        g_assert_cmpint(r->acked, ==, 3);
        g_assert_cmpint(r->stamps->len, ==, 3);
        /* Each tick comes a period after the previous EOI: strictly increasing by at least that much. */
        for (guint i = 1; i < r->stamps->len; i++) {
            g_assert_cmpint(g_array_index(r->stamps, int64_t, i) - g_array_index(r->stamps, int64_t, i - 1), >=,
                            r->period_ns);
        }
        if (!first) {
            first = g_array_copy(r->stamps);
        } else {
            g_assert_cmpmem(first->data, first->len * sizeof(int64_t), r->stamps->data,
                            r->stamps->len * sizeof(int64_t));
        }
        rig_free(r);
    }
    g_array_free(first, true);
}

/* Code in MMIO runs; a jump into unassigned memory executes 0xff bytes: #UD, delivered through the IVT. */
static void test_code_in_mmio_and_unassigned(void)
{
    Rig *r = rig_new(-1);
    static const uint8_t prog[] = {
        0x31, 0xc0,                               /* xor ax, ax */
        0x8e, 0xd8,                               /* mov ds, ax */
        0x8e, 0xd0,                               /* mov ss, ax */
        0xbc, 0x00, 0x90,                         /* mov sp, 0x9000 */
        0xc7, 0x06, 0x18, 0x00, 0x00, 0x40,       /* mov word [6*4], 0x4000   (#UD handler) */
        0xc7, 0x06, 0x1a, 0x00, 0x00, 0x00,       /* mov word [6*4+2], 0 */
        0xea, 0x00, 0x00, 0x00, 0x20,             /* jmp far 0x2000:0000  = linear 0x20000 (RAM) */
    };
    load(r, 0x1000, prog, sizeof(prog));
    /* At 0x20000 (RAM): write the port then jump into the MMIO window at 0xd0000. */
    static const uint8_t at20000[] = {
        0xb0, 0x11, 0xe6, 0x80,                   /* mov al, 0x11; out 0x80, al */
        0xea, 0x00, 0x00, 0x00, 0xd0,             /* jmp far 0xd000:0000 (MMIO code) */
    };
    load(r, 0x20000, at20000, sizeof(at20000));
    MemoryRegion *low = mr_new_io("code-mmio-low", 0x1000, &mmio_code_ops, r);
    rig_map(r, 0xd0000, low, 1);
    /* MMIO code: out 0x80 with 0x22, then jump into unassigned memory at 0xe0000 (reads all-ones). */
    static const uint8_t mmio[] = {
        0xb0, 0x22, 0xe6, 0x80,                   /* mov al, 0x22; out 0x80, al */
        0xea, 0x00, 0x00, 0x00, 0xe0,             /* jmp far 0xe000:0000 (nothing there) */
    };
    memcpy(r->mmio_code, mmio, sizeof(mmio));
    /* #UD handler at 0x4000: report and exit. */
    static const uint8_t ud[] = {
        0xb0, 0x33, 0xe6, 0x80,                   /* mov al, 0x33; out 0x80, al */
        0xb0, 0x06, 0xe6, 0x81,                   /* exit 6 */
        0xf4,
    };
    load(r, 0x4000, ud, sizeof(ud));
    rig_run(r);
    g_assert_cmpint(r->exit_code, ==, 6);
    g_assert_cmpint(r->values->len, ==, 3);
    g_assert_cmphex(g_array_index(r->values, uint64_t, 0), ==, 0x11);
    g_assert_cmphex(g_array_index(r->values, uint64_t, 1), ==, 0x22);
    g_assert_cmphex(g_array_index(r->values, uint64_t, 2), ==, 0x33);
    rig_free(r);
}

/* A device (DMA-like) write over code that already ran: the next run executes the new bytes. */
static void test_dma_over_code(void)
{
    Rig *r = rig_new(-1);
    static const uint8_t prog[] = {
        0xb0, 0x01, 0xe6, 0x80,                   /* mov al, 1; out 0x80, al */
        0xb0, 0x00, 0xe6, 0x81,                   /* exit 0 */
        0xf4,
    };
    load(r, 0x1000, prog, sizeof(prog));
    rig_run(r);
    g_assert_cmphex(g_array_index(r->values, uint64_t, 0), ==, 1);

    /* Paused now (the exit request parked the vCPU): rewrite through the address space and reset. */
    uint8_t patch = 0x07;
    g_assert_true(as_write_buf(r->m->mem, 0x1001, &patch, 1));
    tcg_accel_pause(r->t);
    tcg_accel_reset(r->t);
    g_array_set_size(r->values, 0);
    g_atomic_int_set(&r->done, 0);
    tcg_accel_resume(r->t);
    rig_wait(r);
    g_assert_cmpint(r->values->len, ==, 1);
    g_assert_cmphex(g_array_index(r->values, uint64_t, 0), ==, 7);
    rig_free(r);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    /* icount tests first: manual virtual time stays on for the rest of the process. */
    g_test_add_func("/tcg/accel/code-in-mmio-and-unassigned", test_code_in_mmio_and_unassigned);
    g_test_add_func("/tcg/accel/dma-over-code", test_dma_over_code);
    g_test_add_func("/tcg/accel/icount-exact", test_icount_exact);
    g_test_add_func("/tcg/accel/timer-interrupts-wake-hlt", test_timer_interrupts_wake_hlt);
    return g_test_run();
}
