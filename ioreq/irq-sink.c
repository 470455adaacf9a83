/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Interrupts and domain control through dm_op (xen-interface.md 3.2, 4.2):
 * the board's IRQ lines end here.  Xen owns the PIC, IOAPIC and the PCI
 * link routing, so a level is all we report.  A failing dm_op is a host
 * problem (the domain is going away, or the handle was restricted to
 * another domain): logged, never fatal, and the device keeps its state.
 */
#include "ioreq/server.h"

#include <errno.h>
#include <inttypes.h>

#include <xen/hvm/params.h>
#include <xen/sched.h>

#include "hw/core/device.h"
#include "hw/core/log.h"

void ioreq_set_isa_irq_level(IoreqServer *s, unsigned irq, unsigned level)
{
    if (irq > 15) {
        return;
    }
    log_cat(LOG_IRQ, "xen: ISA IRQ %u -> %u\n", irq, level);
    if (xendevicemodel_set_isa_irq_level(ioreq_server_dmod(s), ioreq_server_domid(s), (uint8_t)irq, level) < 0) {
        log_printf("xen: set_isa_irq_level(%u, %u): %s\n", irq, level, g_strerror(errno));
    }
}

void ioreq_set_pci_intx_level(IoreqServer *s, unsigned dev, unsigned intx, unsigned level)
{
    if (dev > 31 || intx > 3) {
        return;
    }
    log_cat(LOG_IRQ, "xen: PCI 00:%02x INT%c -> %u\n", dev, 'A' + intx, level);
    if (xendevicemodel_set_pci_intx_level(ioreq_server_dmod(s), ioreq_server_domid(s), 0, 0, (uint8_t)dev,
                                          (uint8_t)intx, level) < 0) {
        log_printf("xen: set_pci_intx_level(00:%02x, INT%c, %u): %s\n", dev, 'A' + intx, level,
                   g_strerror(errno));
    }
}

void ioreq_set_pci_link_route(IoreqServer *s, unsigned link, unsigned isa_irq)
{
    if (link > 3 || isa_irq > 15) {
        return;
    }
    log_cat(LOG_IRQ, "xen: PCI link %c -> IRQ %u\n", 'A' + link, isa_irq);
    if (xendevicemodel_set_pci_link_route(ioreq_server_dmod(s), ioreq_server_domid(s), (uint8_t)link,
                                          (uint8_t)isa_irq) < 0) {
        log_printf("xen: set_pci_link_route(%c, %u): %s\n", 'A' + link, isa_irq, g_strerror(errno));
    }
}

void ioreq_inject_msi(IoreqServer *s, uint64_t addr, uint32_t data)
{
    log_cat(LOG_IRQ, "xen: MSI 0x%" PRIx64 " <- 0x%x\n", addr, data);
    if (xendevicemodel_inject_msi(ioreq_server_dmod(s), ioreq_server_domid(s), addr, data) < 0) {
        log_printf("xen: inject_msi(0x%" PRIx64 ", 0x%x): %s\n", addr, data, g_strerror(errno));
    }
}

bool ioreq_domain_shutdown(IoreqServer *s, unsigned reason, GError **err)
{
    int rc = xendevicemodel_shutdown(ioreq_server_dmod(s), ioreq_server_domid(s), reason);

    if (rc < 0 && errno == ENOTTY) {
        /* Xen older than the dm_op: the domctl does the same. */
        rc = xc_domain_shutdown(ioreq_server_xc(s), ioreq_server_domid(s), (int)reason);
    }
    if (rc < 0) {
        g_set_error(err, IOEMU_ERROR, errno, "shutdown of domain %u (reason %u): %s", ioreq_server_domid(s),
                    reason, g_strerror(errno));
        return false;
    }
    return true;
}

bool ioreq_set_acpi_s_state(IoreqServer *s, unsigned state, GError **err)
{
    if (xc_hvm_param_set(ioreq_server_xc(s), ioreq_server_domid(s), HVM_PARAM_ACPI_S_STATE, state) < 0) {
        g_set_error(err, IOEMU_ERROR, errno, "HVM_PARAM_ACPI_S_STATE = %u: %s", state, g_strerror(errno));
        return false;
    }
    return true;
}

IoreqDomainState ioreq_domain_state(IoreqServer *s)
{
    xc_dominfo_t info;
    int n = xc_domain_getinfo(ioreq_server_xc(s), ioreq_server_domid(s), 1, &info);

    if (n < 0) {
        /* A restricted handle may not ask: assume the domain lives (libxl will tell us otherwise). */
        return errno == ESRCH ? IOREQ_DOMAIN_GONE : IOREQ_DOMAIN_UNKNOWN;
    }
    if (n == 0 || info.domid != ioreq_server_domid(s)) {
        return IOREQ_DOMAIN_GONE;
    }
    if (info.dying) {
        return IOREQ_DOMAIN_DYING;
    }
    if (info.shutdown) {
        return IOREQ_DOMAIN_SHUTDOWN;
    }
    return IOREQ_DOMAIN_ALIVE;
}
