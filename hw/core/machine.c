/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The Machine: address spaces, device list, named IRQ groups and the
 * system requests devices may make.
 */
#include <glib.h>

#include "hw/core/log.h"
#include "hw/core/machine.h"

static void irq_group_free(gpointer p)
{
    IrqGroup *g = p;

    g_free(g->name);
    g_free(g);
}

Machine *machine_new(uint64_t mem_space_size)
{
    Machine *m = g_new0(Machine, 1);

    m->io = as_new("io", 0x10000);
    m->mem = as_new("memory", mem_space_size);
    m->devices = device_list_new();
    m->irq_in = g_ptr_array_new_with_free_func(irq_group_free);
    m->irq_out = g_ptr_array_new_with_free_func(irq_group_free);
    return m;
}

void machine_free(Machine *m)
{
    if (!m) {
        return;
    }
    /* Devices first: their unrealize may still unmap regions from the spaces. */
    device_list_free(m->devices);
    g_ptr_array_free(m->irq_in, TRUE);
    g_ptr_array_free(m->irq_out, TRUE);
    as_free(m->io);
    as_free(m->mem);
    g_free(m);
}

static void irq_group_add(GPtrArray *groups, const char *name, IrqLine **lines, int count)
{
    IrqGroup *g = g_new0(IrqGroup, 1);

    g->name = g_strdup(name);
    g->lines = lines;
    g->count = count;
    g_ptr_array_add(groups, g);
}

static IrqGroup *irq_group_find(GPtrArray *groups, const char *name)
{
    for (guint i = 0; i < groups->len; i++) {
        IrqGroup *g = g_ptr_array_index(groups, i);
        if (g_strcmp0(g->name, name) == 0) {
            return g;
        }
    }
    return NULL;
}

void machine_add_irq_in(Machine *m, const char *name, IrqLine **lines, int count)
{
    irq_group_add(m->irq_in, name, lines, count);
}

void machine_add_irq_out(Machine *m, const char *name, IrqLine **lines, int count)
{
    irq_group_add(m->irq_out, name, lines, count);
}

IrqGroup *machine_find_irq_in(Machine *m, const char *name)
{
    return irq_group_find(m->irq_in, name);
}

IrqGroup *machine_find_irq_out(Machine *m, const char *name)
{
    return irq_group_find(m->irq_out, name);
}

void machine_request(Machine *m, ShutdownCause cause, int exit_code)
{
    if (m->hooks.request) {
        m->hooks.request(m, cause, exit_code);
        return;
    }
    log_printf("machine: request (cause %d, exit code %d) with no handler installed",
               (int)cause, exit_code);
}
