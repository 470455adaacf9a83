/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A small client for the qtest text protocol (QEMU's, see its
 * docs/devel/testing/qtest.rst).  The test listens on a unix socket and
 * spawns the emulator with "-qtest unix:PATH -accel qtest", which connects
 * to it.  The binary is $QTEST_QEMU_BINARY, default "build/ioemu" (so the
 * same tests can be pointed at qemu-system-x86_64 to check the oracle).
 * If $QTEST_LAUNCHER is set it is a command prefix placed before the
 * binary (the Xen path uses it to run xen-dm under xensim).
 *
 * Every call that gets anything other than an "OK" reply fails the test
 * (g_assert), except qtest_raw which returns the reply line as is.
 * Asynchronous "IRQ raise N" / "IRQ lower N" lines are recorded and
 * queried with qtest_get_irq.
 */
#ifndef TESTS_LIBQTEST_H
#define TESTS_LIBQTEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct QTestState QTestState;

/* extra_args: appended to "-machine pc -accel qtest -qtest unix:P -display none"; may be NULL. printf-style. */
QTestState *qtest_initf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
QTestState *qtest_init(const char *extra_args);
void qtest_quit(QTestState *s);
/* Wait for the emulator to exit on its own (isa-debug-exit); returns its exit status as from waitpid. */
int qtest_wait_exit(QTestState *s, int timeout_ms);
/* Text the emulator printed on stderr so far (for checking error messages). */
const char *qtest_stderr(QTestState *s);

void qtest_outb(QTestState *s, uint16_t port, uint8_t v);
void qtest_outw(QTestState *s, uint16_t port, uint16_t v);
void qtest_outl(QTestState *s, uint16_t port, uint32_t v);
uint8_t qtest_inb(QTestState *s, uint16_t port);
uint16_t qtest_inw(QTestState *s, uint16_t port);
uint32_t qtest_inl(QTestState *s, uint16_t port);

void qtest_writeb(QTestState *s, uint64_t addr, uint8_t v);
void qtest_writew(QTestState *s, uint64_t addr, uint16_t v);
void qtest_writel(QTestState *s, uint64_t addr, uint32_t v);
void qtest_writeq(QTestState *s, uint64_t addr, uint64_t v);
uint8_t qtest_readb(QTestState *s, uint64_t addr);
uint16_t qtest_readw(QTestState *s, uint64_t addr);
uint32_t qtest_readl(QTestState *s, uint64_t addr);
uint64_t qtest_readq(QTestState *s, uint64_t addr);

void qtest_memread(QTestState *s, uint64_t addr, void *data, size_t size);     /* "read" */
void qtest_memwrite(QTestState *s, uint64_t addr, const void *data, size_t size); /* "write" */
void qtest_bufread(QTestState *s, uint64_t addr, void *data, size_t size);     /* "b64read" */
void qtest_bufwrite(QTestState *s, uint64_t addr, const void *data, size_t size); /* "b64write" */
void qtest_memset(QTestState *s, uint64_t addr, uint8_t pattern, size_t size);

int64_t qtest_clock_step_next(QTestState *s);
int64_t qtest_clock_step(QTestState *s, int64_t step_ns);
int64_t qtest_clock_set(QTestState *s, int64_t val_ns);

void qtest_irq_intercept_in(QTestState *s, const char *path);
void qtest_irq_intercept_out(QTestState *s, const char *path);
void qtest_set_irq_in(QTestState *s, const char *path, const char *name, int num, int level);
/* Current level of intercepted line n, after reading any pending async lines. */
bool qtest_get_irq(QTestState *s, int n);

/* Send one raw command line (no newline needed) and return the reply line (static buffer, no newline). */
const char *qtest_raw(QTestState *s, const char *cmd);

/* PCI config helpers over mechanism #1 (0xcf8/0xcfc). devfn = dev << 3 | fn. */
uint32_t qtest_pci_cfg_readl(QTestState *s, int bus, int devfn, int reg);
uint16_t qtest_pci_cfg_readw(QTestState *s, int bus, int devfn, int reg);
uint8_t qtest_pci_cfg_readb(QTestState *s, int bus, int devfn, int reg);
void qtest_pci_cfg_writel(QTestState *s, int bus, int devfn, int reg, uint32_t v);
void qtest_pci_cfg_writew(QTestState *s, int bus, int devfn, int reg, uint16_t v);
void qtest_pci_cfg_writeb(QTestState *s, int bus, int devfn, int reg, uint8_t v);

/* Skip helper: true if the emulator binary exists and runs. */
bool qtest_binary_available(void);
/* qtest_binary_available(), else g_test_skip() and false: for the top of a test. */
bool qtest_skip_without_binary(void);
/* qtest_init(extra_args), or NULL after g_test_skip() when the binary is not there. */
QTestState *qtest_init_or_skip(const char *extra_args);
/*
 * True when the tests drive QEMU (QTEST_QEMU_BINARY names a qemu-system-*)
 * rather than ioemu: checks of behaviour QEMU models differently are ioemu-only.
 */
bool qtest_binary_is_qemu(void);

#endif
