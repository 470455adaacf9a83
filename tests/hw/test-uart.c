/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * COM1 (16550A at 0x3f8-0x3ff, ISA IRQ 4) over the qtest protocol: register
 * reset values, loopback, interrupt identification and the IRQ line as
 * the IOAPIC sees it, the character timeout on the virtual clock, and
 * bytes reaching the host through file and socket backends.
 *
 * Written against what QEMU's 16550A does too, so it runs unchanged with
 * QTEST_QEMU_BINARY=qemu-system-x86_64.  Two places where the emulators
 * legitimately differ are avoided: QEMU resets MCR to OUT2 (the datasheet
 * says 0) and does not gate the IRQ on OUT2, so every interrupt test sets
 * OUT2 itself; and QEMU does not latch MSR delta bits in loopback.
 */
#include <errno.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "tests/libqtest.h"
#include "tests/test-tmpdir.h"

#define COM1      0x3f8
#define COM1_IRQ  4

#define RBR 0
#define THR 0
#define DLL 0
#define IER 1
#define DLM 1
#define IIR 2
#define FCR 2
#define LCR 3
#define MCR 4
#define LSR 5
#define MSR 6
#define SCR 7

#define MCR_DTR  0x01
#define MCR_RTS  0x02
#define MCR_OUT1 0x04
#define MCR_OUT2 0x08
#define MCR_LOOP 0x10

#define LSR_DR   0x01
#define LSR_OE   0x02
#define LSR_THRE 0x20
#define LSR_TEMT 0x40

static char *tmp_dir;

static uint8_t com_in(QTestState *s, unsigned reg)
{
    return qtest_inb(s, COM1 + reg);
}

static void com_out(QTestState *s, unsigned reg, uint8_t v)
{
    qtest_outb(s, COM1 + reg, v);
}

static void test_reset_values(void)
{
    QTestState *s;

    if (!qtest_skip_without_binary()) {
        return;
    }
    s = qtest_init("-serial null");
    g_assert_cmphex(com_in(s, IER), ==, 0x00);
    g_assert_cmphex(com_in(s, IIR), ==, 0x01);
    g_assert_cmphex(com_in(s, LCR), ==, 0x00);
    g_assert_cmphex(com_in(s, LSR), ==, LSR_THRE | LSR_TEMT);
    g_assert_cmphex(com_in(s, MSR) & 0xf0, ==, 0xb0);
    g_assert_cmphex(com_in(s, SCR), ==, 0x00);

    /* Divisor latch behind DLAB: 9600 baud after power-on, and it keeps what is written. */
    com_out(s, LCR, 0x83);
    g_assert_cmphex(com_in(s, DLL), ==, 12);
    g_assert_cmphex(com_in(s, DLM), ==, 0);
    com_out(s, DLL, 0x01);
    com_out(s, DLM, 0x00);
    com_out(s, LCR, 0x03);
    g_assert_cmphex(com_in(s, IER), ==, 0x00);
    com_out(s, SCR, 0x5a);
    g_assert_cmphex(com_in(s, SCR), ==, 0x5a);
    com_out(s, LCR, 0x83);
    g_assert_cmphex(com_in(s, DLL), ==, 0x01);
    com_out(s, LCR, 0x03);

    /* FIFO control: bits 1/2 reset the FIFOs and must leave LCR alone. */
    com_out(s, FCR, 0x07);
    g_assert_cmphex(com_in(s, IIR), ==, 0xc1);
    g_assert_cmphex(com_in(s, LCR), ==, 0x03);
    com_out(s, FCR, 0x00);
    g_assert_cmphex(com_in(s, IIR), ==, 0x01);
    qtest_quit(s);
}

static void test_loopback_and_irq(void)
{
    QTestState *s;

    if (!qtest_skip_without_binary()) {
        return;
    }
    s = qtest_init("-serial null");
    qtest_irq_intercept_in(s, "ioapic");
    g_assert_false(qtest_get_irq(s, COM1_IRQ));

    com_out(s, MCR, MCR_LOOP | MCR_OUT2);
    com_out(s, FCR, 0x07);                     /* FIFOs on and cleared, trigger level 1 */
    com_out(s, IER, 0x01);                     /* received data available */
    g_assert_false(qtest_get_irq(s, COM1_IRQ));

    /* A transmitted byte comes straight back to the receiver. */
    com_out(s, THR, 'A');
    g_assert_true(qtest_get_irq(s, COM1_IRQ));
    g_assert_cmphex(com_in(s, IIR), ==, 0xc4);
    g_assert_cmphex(com_in(s, LSR) & LSR_DR, ==, LSR_DR);
    g_assert_cmphex(com_in(s, RBR), ==, 'A');
    g_assert_false(qtest_get_irq(s, COM1_IRQ));
    g_assert_cmphex(com_in(s, IIR), ==, 0xc1);
    g_assert_cmphex(com_in(s, LSR) & LSR_DR, ==, 0);

    /* THRE: enabling ETBEI with THR empty raises it; reading IIR (THRE reported) clears it. */
    com_out(s, IER, 0x02);
    g_assert_true(qtest_get_irq(s, COM1_IRQ));
    g_assert_cmphex(com_in(s, IIR), ==, 0xc2);
    g_assert_false(qtest_get_irq(s, COM1_IRQ));
    g_assert_cmphex(com_in(s, IIR), ==, 0xc1);

    /* Received data outranks THRE. */
    com_out(s, IER, 0x03);
    com_out(s, THR, 'B');
    g_assert_true(qtest_get_irq(s, COM1_IRQ));
    g_assert_cmphex(com_in(s, IIR), ==, 0xc4);
    g_assert_cmphex(com_in(s, RBR), ==, 'B');
    g_assert_cmphex(com_in(s, IIR), ==, 0xc2);
    g_assert_cmphex(com_in(s, IIR), ==, 0xc1);
    g_assert_false(qtest_get_irq(s, COM1_IRQ));

    /* Trigger level 4: three characters are not enough, the fourth is. */
    com_out(s, IER, 0x01);
    com_out(s, FCR, 0x43);
    for (int i = 0; i < 3; i++) {
        com_out(s, THR, '0' + i);
    }
    g_assert_cmphex(com_in(s, IIR), ==, 0xc1);
    g_assert_false(qtest_get_irq(s, COM1_IRQ));
    com_out(s, THR, '3');
    g_assert_cmphex(com_in(s, IIR), ==, 0xc4);
    g_assert_true(qtest_get_irq(s, COM1_IRQ));
    for (int i = 0; i < 4; i++) {
        g_assert_cmphex(com_in(s, RBR), ==, '0' + i);
    }
    g_assert_false(qtest_get_irq(s, COM1_IRQ));

    /* Overrun: a 17th character does not fit the FIFO; OE is reported once. */
    for (int i = 0; i < 17; i++) {
        com_out(s, THR, 'a' + i);
    }
    g_assert_cmphex(com_in(s, LSR) & (LSR_OE | LSR_DR), ==, LSR_OE | LSR_DR);
    g_assert_cmphex(com_in(s, LSR) & LSR_OE, ==, 0);
    for (int i = 0; i < 16; i++) {
        g_assert_cmphex(com_in(s, RBR), ==, 'a' + i);
    }
    g_assert_cmphex(com_in(s, LSR) & LSR_DR, ==, 0);

    /* Modem status follows the MCR outputs in loopback. */
    com_out(s, MCR, MCR_LOOP | MCR_DTR);
    g_assert_cmphex(com_in(s, MSR) & 0xf0, ==, 0x20);
    com_out(s, MCR, MCR_LOOP | MCR_RTS);
    g_assert_cmphex(com_in(s, MSR) & 0xf0, ==, 0x10);
    com_out(s, MCR, MCR_LOOP | MCR_OUT1);
    g_assert_cmphex(com_in(s, MSR) & 0xf0, ==, 0x40);
    com_out(s, MCR, MCR_LOOP | MCR_OUT2);
    g_assert_cmphex(com_in(s, MSR) & 0xf0, ==, 0x80);
    com_out(s, MCR, MCR_LOOP | 0x0f);
    g_assert_cmphex(com_in(s, MSR) & 0xf0, ==, 0xf0);
    qtest_quit(s);
}

/* The character timeout runs on the virtual clock: nothing happens until the test moves it. */
static void test_char_timeout(void)
{
    QTestState *s;

    if (!qtest_skip_without_binary()) {
        return;
    }
    s = qtest_init("-serial null");
    if (!g_str_has_prefix(qtest_raw(s, "clock_step 0"), "OK")) {
        /* Distribution QEMU builds lack the qtest accelerator and with it clock_step. */
        qtest_quit(s);
        g_test_skip("emulator cannot step the virtual clock");
        return;
    }
    qtest_irq_intercept_in(s, "ioapic");
    com_out(s, LCR, 0x03);                     /* 8N1 at the power-on 9600 baud: ~1.04 ms a character */
    com_out(s, MCR, MCR_LOOP | MCR_OUT2);
    com_out(s, FCR, 0x87);                     /* trigger level 8 */
    com_out(s, IER, 0x01);
    com_out(s, THR, 'x');
    com_out(s, THR, 'y');
    g_assert_cmphex(com_in(s, IIR), ==, 0xc1);
    g_assert_false(qtest_get_irq(s, COM1_IRQ));

    qtest_clock_step(s, 20 * 1000 * 1000);
    g_assert_cmphex(com_in(s, IIR), ==, 0xcc);
    g_assert_true(qtest_get_irq(s, COM1_IRQ));

    /* A read clears the indication; the remaining character times out again later. */
    g_assert_cmphex(com_in(s, RBR), ==, 'x');
    g_assert_cmphex(com_in(s, IIR), ==, 0xc1);
    g_assert_false(qtest_get_irq(s, COM1_IRQ));
    qtest_clock_step(s, 20 * 1000 * 1000);
    g_assert_cmphex(com_in(s, IIR), ==, 0xcc);
    g_assert_cmphex(com_in(s, RBR), ==, 'y');
    g_assert_cmphex(com_in(s, IIR), ==, 0xc1);
    qtest_clock_step(s, 20 * 1000 * 1000);
    g_assert_cmphex(com_in(s, IIR), ==, 0xc1);
    qtest_quit(s);
}

static void test_output_to_file(void)
{
    g_autofree char *path = g_build_filename(tmp_dir, "serial.out", NULL);
    g_autofree char *contents = NULL;
    static const char msg[] = "Linux version 6.1\r\n";
    QTestState *s;
    gsize len = 0;

    if (!qtest_skip_without_binary()) {
        return;
    }
    s = qtest_initf("-serial file:%s", path);
    for (size_t i = 0; i < sizeof(msg) - 1; i++) {
        g_assert_cmphex(com_in(s, LSR) & LSR_THRE, ==, LSR_THRE);
        com_out(s, THR, msg[i]);
    }
    /* Written by the time the port write completed; quit flushes anything else. */
    qtest_quit(s);
    g_assert_true(g_file_get_contents(path, &contents, &len, NULL));
    g_assert_cmpmem(contents, len, msg, sizeof(msg) - 1);
}

static int connect_retry(const char *path)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };

    g_assert_cmpuint(strlen(path), <, sizeof(sa.sun_path));
    strcpy(sa.sun_path, path);
    for (int i = 0; i < 500; i++) {
        int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

        if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0) {
            return fd;
        }
        close(fd);
        g_usleep(10 * 1000);
    }
    return -1;
}

static size_t read_with_timeout(int fd, uint8_t *buf, size_t len)
{
    size_t got = 0;

    while (got < len) {
        struct pollfd pfd = { .fd = fd, .events = POLLIN };
        ssize_t n;

        if (poll(&pfd, 1, 5000) != 1) {
            break;
        }
        n = read(fd, buf + got, len - got);
        if (n <= 0) {
            break;
        }
        got += n;
    }
    return got;
}

/*
 * A listening socket backend: the guest's bytes reach the connected host
 * client, and the client's bytes arrive in RBR (with an interrupt).
 */
static void test_socket_backend(void)
{
    g_autofree char *path = g_build_filename(tmp_dir, "ser.sock", NULL);
    QTestState *s;
    uint8_t buf[8];
    int fd, tries;

    if (!qtest_skip_without_binary()) {
        return;
    }
    s = qtest_initf("-chardev socket,id=ser0,path=%s,server=on,wait=off -serial chardev:ser0", path);
    qtest_irq_intercept_in(s, "ioapic");
    fd = connect_retry(path);
    g_assert_cmpint(fd, >=, 0);

    com_out(s, MCR, MCR_OUT2 | MCR_RTS | MCR_DTR);
    com_out(s, FCR, 0x07);
    com_out(s, IER, 0x01);
    /*
     * The emulator may accept the connection a little after connect()
     * returned here: repeat a probe byte until it shows up.
     */
    for (tries = 0; tries < 500; tries++) {
        struct pollfd pfd = { .fd = fd, .events = POLLIN };

        com_out(s, THR, '?');
        if (poll(&pfd, 1, 10) == 1) {
            break;
        }
    }
    g_assert_cmpint(tries, <, 500);
    while (true) {
        struct pollfd pfd = { .fd = fd, .events = POLLIN };

        if (poll(&pfd, 1, 50) != 1 || read(fd, buf, 1) != 1) {
            break;
        }
    }

    for (const char *p = "ok\n"; *p; p++) {
        com_out(s, THR, *p);
    }
    g_assert_cmpuint(read_with_timeout(fd, buf, 3), ==, 3);
    g_assert_cmpmem(buf, 3, "ok\n", 3);

    /* Host to guest: the byte lands in the receiver; poll LSR (the emulator's loop delivers it). */
    g_assert_cmpint(write(fd, "Z", 1), ==, 1);
    for (tries = 0; tries < 1000 && !(com_in(s, LSR) & LSR_DR); tries++) {
        g_usleep(5 * 1000);
    }
    g_assert_cmpint(tries, <, 1000);
    g_assert_true(qtest_get_irq(s, COM1_IRQ));
    g_assert_cmphex(com_in(s, IIR), ==, 0xc4);
    g_assert_cmphex(com_in(s, RBR), ==, 'Z');
    g_assert_false(qtest_get_irq(s, COM1_IRQ));
    close(fd);
    qtest_quit(s);
}

int main(int argc, char **argv)
{
    int ret;

    g_test_init(&argc, &argv, NULL);
    tmp_dir = g_dir_make_tmp("test-uart-XXXXXX", NULL);
    g_assert_nonnull(tmp_dir);

    g_test_add_func("/uart/qtest/reset-values", test_reset_values);
    g_test_add_func("/uart/qtest/loopback-and-irq", test_loopback_and_irq);
    g_test_add_func("/uart/qtest/char-timeout", test_char_timeout);
    g_test_add_func("/uart/qtest/output-to-file", test_output_to_file);
    g_test_add_func("/uart/qtest/socket-backend", test_socket_backend);
    ret = g_test_run();

    test_tmpdir_remove(tmp_dir);
    return ret;
}
