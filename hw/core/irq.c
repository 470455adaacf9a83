/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * IRQ lines: a remembered level plus a sink chosen by the board.
 *
 * Levels are normalised to 0/1 so "change" means an edge of the wire,
 * whatever non-zero value a device passes.
 */
#include <glib.h>

#include "hw/core/irq.h"
#include "hw/core/log.h"

struct IrqLine {
    IrqHandler handler;
    void *opaque;
    int n;
    int level;
    /* While intercepted, the board's sink is parked here. */
    bool intercepted;
    IrqHandler saved_handler;
    void *saved_opaque;
};

IrqLine *irq_new(IrqHandler handler, void *opaque, int n)
{
    IrqLine *line = g_new0(IrqLine, 1);

    line->handler = handler;
    line->opaque = opaque;
    line->n = n;
    return line;
}

void irq_free(IrqLine *line)
{
    g_free(line);
}

IrqLine **irq_new_array(IrqHandler handler, void *opaque, int count)
{
    IrqLine **lines = g_new0(IrqLine *, count > 0 ? count : 1);

    for (int i = 0; i < count; i++) {
        lines[i] = irq_new(handler, opaque, i);
    }
    return lines;
}

void irq_free_array(IrqLine **lines, int count)
{
    if (!lines) {
        return;
    }
    for (int i = 0; i < count; i++) {
        irq_free(lines[i]);
    }
    g_free(lines);
}

static void irq_deliver(IrqLine *line, int level)
{
    log_cat(LOG_IRQ, "irq: line %d (%p) -> %d", line->n, (void *)line, level);
    if (line->handler) {
        line->handler(line->opaque, line->n, level);
    }
}

void irq_set(IrqLine *line, int level)
{
    if (!line) {
        return;
    }
    level = level != 0;
    if (line->level == level) {
        return;
    }
    line->level = level;
    irq_deliver(line, level);
}

void irq_pulse(IrqLine *line)
{
    if (!line) {
        return;
    }
    line->level = 1;
    irq_deliver(line, 1);
    line->level = 0;
    irq_deliver(line, 0);
}

int irq_level(const IrqLine *line)
{
    return line ? line->level : 0;
}

void irq_intercept(IrqLine *line, IrqHandler handler, void *opaque)
{
    if (!line) {
        return;
    }
    if (handler) {
        if (!line->intercepted) {
            line->saved_handler = line->handler;
            line->saved_opaque = line->opaque;
            line->intercepted = true;
        }
        line->handler = handler;
        line->opaque = opaque;
    } else if (line->intercepted) {
        line->handler = line->saved_handler;
        line->opaque = line->saved_opaque;
        line->intercepted = false;
    }
}

void irq_forward_intercepted(IrqLine *line, int level)
{
    if (line && line->intercepted && line->saved_handler) {
        line->saved_handler(line->saved_opaque, line->n, level != 0);
    }
}

typedef struct IrqSplit {
    IrqLine *out[2];
} IrqSplit;

static void irq_splitter_handler(void *opaque, int n, int level)
{
    IrqSplit *split = opaque;

    irq_set(split->out[0], level);
    irq_set(split->out[1], level);
}

/*
 * The splitter's bookkeeping is allocated together with the line so that
 * irq_free() on a splitter frees everything.
 */
typedef struct IrqSplitterLine {
    IrqLine line;
    IrqSplit split;
} IrqSplitterLine;

IrqLine *irq_new_splitter(IrqLine *a, IrqLine *b)
{
    IrqSplitterLine *s = g_new0(IrqSplitterLine, 1);

    s->split.out[0] = a;
    s->split.out[1] = b;
    s->line.handler = irq_splitter_handler;
    s->line.opaque = &s->split;
    return &s->line;
}
