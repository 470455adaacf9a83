/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * IRQ lines.  A device holds IrqLine pointers handed to it by the board and
 * only ever sets their level; the board decides where a level goes (the
 * userspace PIC, KVM_IRQ_LINE, a Xen dm_op, a test recorder).
 * A line remembers its level and calls its sink only on change, except
 * irq_pulse which always delivers raise then lower.
 */
#ifndef HW_CORE_IRQ_H
#define HW_CORE_IRQ_H

#include <stdbool.h>

typedef void (*IrqHandler)(void *opaque, int n, int level);
typedef struct IrqLine IrqLine;

IrqLine *irq_new(IrqHandler handler, void *opaque, int n);
void irq_free(IrqLine *line);
/* Allocate `count` lines numbered 0..count-1 sharing one handler. */
IrqLine **irq_new_array(IrqHandler handler, void *opaque, int count);
void irq_free_array(IrqLine **lines, int count);

void irq_set(IrqLine *line, int level);   /* NULL line: ignored */
static inline void irq_raise(IrqLine *line) { irq_set(line, 1); }
static inline void irq_lower(IrqLine *line) { irq_set(line, 0); }
void irq_pulse(IrqLine *line);
int irq_level(const IrqLine *line);

/*
 * Interception (test protocol irq_intercept_*): once set, levels go to the
 * interceptor instead of the original handler.  Passing NULL restores it.
 */
void irq_intercept(IrqLine *line, IrqHandler handler, void *opaque);
/*
 * From an interceptor: hand `level` to the sink the interception parked
 * (qtest reports a level and still delivers it, as QEMU does).  No-op on a
 * line that is not intercepted.
 */
void irq_forward_intercepted(IrqLine *line, int level);

/* Fan one level out to several lines (e.g. a GSI to both PIC and IOAPIC). */
IrqLine *irq_new_splitter(IrqLine *a, IrqLine *b);

#endif
