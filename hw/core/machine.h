/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What every board has: the two address spaces, the device list, named IRQ
 * line groups (for the test protocol's irq_intercept_in/_out and
 * set_irq_in) and the system-level requests a device may make (reset,
 * power off, exit with a code).  Devices get a Machine * at creation only
 * to register regions and make these requests; where IRQs go is decided by
 * the board.
 */
#ifndef HW_CORE_MACHINE_H
#define HW_CORE_MACHINE_H

#include <stdint.h>

#include "hw/core/device.h"
#include "hw/core/irq.h"
#include "hw/core/memory.h"

typedef enum {
    SHUTDOWN_CAUSE_NONE,
    SHUTDOWN_CAUSE_GUEST_POWEROFF,   /* ACPI S5 */
    SHUTDOWN_CAUSE_GUEST_RESET,      /* 0xcf9, 0x92, i8042 pulse, triple fault */
    SHUTDOWN_CAUSE_GUEST_EXIT,       /* isa-debug-exit: exit code given */
    SHUTDOWN_CAUSE_HOST,             /* signal, QMP quit */
} ShutdownCause;

typedef struct Machine Machine;

typedef struct MachineHooks {
    /* Called on the device thread; the board/front end decides what to do (reset all, exit, tell Xen). */
    void (*request)(Machine *m, ShutdownCause cause, int exit_code);
} MachineHooks;

typedef struct IrqGroup {
    char *name;        /* "ioapic", "pic", a device id */
    IrqLine **lines;
    int count;
} IrqGroup;

struct Machine {
    AddressSpace *io;      /* 64 KiB port space */
    AddressSpace *mem;     /* guest-physical space */
    DeviceList *devices;
    GPtrArray *irq_in;     /* IrqGroup*: inputs of interrupt controllers, by name */
    GPtrArray *irq_out;    /* IrqGroup*: outputs of devices, by name */
    MachineHooks hooks;
    void *board;           /* the board's own state */
};

Machine *machine_new(uint64_t mem_space_size);
void machine_free(Machine *m);

void machine_add_irq_in(Machine *m, const char *name, IrqLine **lines, int count);
void machine_add_irq_out(Machine *m, const char *name, IrqLine **lines, int count);
IrqGroup *machine_find_irq_in(Machine *m, const char *name);
IrqGroup *machine_find_irq_out(Machine *m, const char *name);

void machine_request(Machine *m, ShutdownCause cause, int exit_code);

#endif
