/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The qtest protocol server: QEMU's line-based test protocol (its
 * docs/devel/testing/qtest.rst), spoken over a chardev.  A test process
 * sends one command per line ("outb 0x80 0x12", "readl 0xfee00000",
 * "clock_step 1000") and gets exactly one reply line per command: "OK",
 * "OK <value>", "FAIL <why>" (the command was understood but could not be
 * done, as QEMU says FAIL) or "ERR <why>" (malformed: missing or non-number
 * argument, size too large, address range wrapping, overlong line).
 * Between replies the server may send asynchronous "IRQ raise N" /
 * "IRQ lower N" lines for intercepted interrupt lines.
 *
 * Nothing a client sends can crash or stall the server: every number is
 * checked, bulk sizes are capped at QTEST_MAX_XFER, lines at
 * QTEST_MAX_LINE.
 *
 * The parser knows nothing about machines: it calls a QTestOps table, so
 * another transport (xensim's scripted driver) can reuse it.
 * qtest_attach_machine binds it to a Machine for the standalone binary.
 */
#ifndef STANDALONE_QTEST_H
#define STANDALONE_QTEST_H

#include <glib.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hw/core/machine.h"
#include "ui/chardev.h"

/* Largest read/b64read/write/b64write/memset size accepted (bytes). */
#define QTEST_MAX_XFER (16u << 20)
/* Longest command line accepted, newline excluded (a 256 KiB "write" in hex fits). */
#define QTEST_MAX_LINE (1u << 20)
/* IRQ numbers whose level the server tracks (QEMU's MAX_IRQ). */
#define QTEST_MAX_IRQ 256

typedef struct QTestServer QTestServer;

/*
 * What the protocol acts on.  Every callback may be NULL: the commands
 * needing it then reply "FAIL Unknown command" (as QEMU does for
 * clock_step without the qtest accelerator).
 */
typedef struct QTestOps {
    /* size 1, 2 or 4; return false if the port is unassigned (*val is then all-ones) */
    bool (*pio_read)(void *opaque, uint16_t port, unsigned size, uint32_t *val);
    bool (*pio_write)(void *opaque, uint16_t port, unsigned size, uint32_t val);
    /*
     * Guest-physical copies; buf is little-endian guest bytes.  len 1, 2, 4
     * and 8 come from the scalar commands and should be one access of that
     * width (an MMIO register read with readl is one 4-byte access).  The
     * server pre-fills read buffers with 0xff.  false = some part unassigned.
     */
    bool (*mem_read)(void *opaque, uint64_t addr, void *buf, size_t len);
    bool (*mem_write)(void *opaque, uint64_t addr, const void *buf, size_t len);
    /*
     * Advance the virtual clock by ns (>= 0), or with ns == -1 to the next
     * timer deadline; returns the new time, or -1 if ns == -1 and no timer
     * is armed.
     */
    int64_t (*clock_step)(void *opaque, int64_t ns /* -1 = to next deadline */);
    /* Advance to ns (never backwards); returns the new time. */
    int64_t (*clock_set)(void *opaque, int64_t ns);
    /* Route the lines of the group `path` names to qtest_server_irq. */
    bool (*irq_intercept)(void *opaque, bool in, const char *path, GError **err);
    bool (*set_irq_in)(void *opaque, const char *path, const char *name, int n, int level, GError **err);
} QTestOps;

/* Where replies go when the server is not on a chardev (unit tests, xensim). */
typedef void (*QTestSendFn)(void *opaque, const char *buf, size_t len);

/* Serve on chr (the caller keeps ownership of chr; free the server first). */
QTestServer *qtest_server_new(Chardev *chr, const QTestOps *ops, void *opaque);
/* Serve with no chardev: feed input with qtest_server_input, replies go to send. */
QTestServer *qtest_server_new_custom(const QTestOps *ops, void *opaque, QTestSendFn send,
                                     void *send_opaque);
void qtest_server_free(QTestServer *s);

/* Bytes from the client: any split, any number of lines. */
void qtest_server_input(QTestServer *s, const uint8_t *buf, size_t len);
/* A new client: forget tracked IRQ levels and any partial line (QEMU does this on open). */
void qtest_server_reset(QTestServer *s);

/* An intercepted line changed: emits "IRQ raise n" / "IRQ lower n" when the level differs. */
void qtest_server_irq(QTestServer *s, int n, int level);

/*
 * -qtest-log FILE: log every command ("[R +secs] ...") and reply
 * ("[S +secs] ...").  "none" or NULL turns logging off.
 */
bool qtest_server_set_log(QTestServer *s, const char *path, GError **err);

/*
 * The standalone binary's binding (-qtest SPEC [-qtest-log FILE]):
 * creates the chardev from the short-form spec ("unix:/path",
 * "chardev:ID" for a -chardev), puts the virtual clock in manual mode and
 * serves PIO on m->io, memory on m->mem, the clock, and the machine's IRQ
 * groups.  An IRQ path is a bare group name or a QOM path whose last
 * component names the group ("/machine/ioapic" and "ioapic" both mean
 * "ioapic").  Interception forwards levels to the original sink, as QEMU
 * does.  The server lives until qtest_detach_machine (or process exit).
 */
QTestServer *qtest_attach_machine(Machine *m, const char *chardev_spec, const char *log_path,
                                  GError **err);
/* Same on an existing chardev (not freed by detach). */
QTestServer *qtest_attach_machine_chr(Machine *m, Chardev *chr, GError **err);
void qtest_detach_machine(QTestServer *s);

#endif
