# SPDX-License-Identifier: GPL-2.0-or-later
"""A small qtest client for driving xensim from Python tests.

It listens on a unix socket, starts ``xensim ... --qtest unix:PATH -- DM``,
accepts xensim's connection (xensim is the client, as QEMU is with
``-qtest unix:PATH``) and exchanges the qtest text protocol: one command line,
one reply line; asynchronous ``IRQ raise N`` / ``IRQ lower N`` lines that may
precede a reply are collected in ``irq_events`` and ``irq_level``.
"""

import os
import select
import signal
import socket
import subprocess
import tempfile
import time


class XensimError(Exception):
    pass


class Xensim:
    def __init__(self, build, domid=1, memory=64, vcpus=1, extra=(), dm=None, dm_args=(),
                 timeout=20.0):
        self.build = build
        self.timeout = timeout
        self.tmp = tempfile.TemporaryDirectory(prefix="xensim-test-")
        self.qtest_path = os.path.join(self.tmp.name, "qtest.sock")
        self.stderr_path = os.path.join(self.tmp.name, "stderr.log")
        self.listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.listener.bind(self.qtest_path)
        self.listener.listen(1)
        self.irq_events = []
        self.irq_level = {}
        self.buf = b""
        dm = dm or os.path.join(build, "xensim-test-dm")
        argv = [os.path.join(build, "xensim"), "--domid", str(domid), "--memory", str(memory),
                "--vcpus", str(vcpus), "--qtest", "unix:" + self.qtest_path]
        argv += list(extra)
        argv += ["--", dm] + list(dm_args)
        self.stderr = open(self.stderr_path, "w+")
        self.proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=self.stderr)
        self.running_line = self._read_stdout_line()
        self.listener.settimeout(timeout)
        try:
            self.sock, _ = self.listener.accept()
        except socket.timeout:
            self.kill()
            raise XensimError("xensim did not connect to the qtest socket: " + self.log())
        self.sock.setblocking(True)

    def _read_stdout_line(self):
        deadline = time.time() + self.timeout
        line = b""
        while not line.endswith(b"\n"):
            left = deadline - time.time()
            if left <= 0:
                self.kill()
                raise XensimError("no 'running' line from xensim: " + self.log())
            r, _, _ = select.select([self.proc.stdout], [], [], left)
            if not r:
                continue
            c = os.read(self.proc.stdout.fileno(), 1)
            if not c:
                raise XensimError("xensim exited before the device model ran: " + self.log())
            line += c
        return line.decode().rstrip("\n")

    def log(self):
        self.stderr.flush()
        with open(self.stderr_path) as f:
            return f.read()

    def _readline(self):
        deadline = time.time() + self.timeout
        while b"\n" not in self.buf:
            left = deadline - time.time()
            if left <= 0:
                raise XensimError("timeout waiting for a qtest reply")
            r, _, _ = select.select([self.sock], [], [], left)
            if not r:
                continue
            data = self.sock.recv(65536)
            if not data:
                raise XensimError("qtest connection closed: " + self.log())
            self.buf += data
        line, self.buf = self.buf.split(b"\n", 1)
        return line.decode()

    def cmd(self, line):
        """Send one command; return its reply line (IRQ lines are recorded)."""
        self.sock.sendall(line.encode() + b"\n")
        return self.reply()

    def send_many(self, lines):
        """Send several commands in one write (pipelined); return the replies."""
        self.sock.sendall(("\n".join(lines) + "\n").encode())
        return [self.reply() for _ in lines]

    def reply(self):
        while True:
            line = self._readline()
            if line.startswith("IRQ "):
                _, what, n = line.split()
                self.irq_events.append((what, int(n)))
                self.irq_level[int(n)] = what == "raise"
                continue
            return line

    def ok(self, line):
        """Send a command that must succeed; return what follows "OK"."""
        r = self.cmd(line)
        if not r.startswith("OK"):
            raise XensimError("%r -> %r" % (line, r))
        return r[3:]

    def inl(self, port):
        return int(self.ok("inl 0x%x" % port), 16)

    def inb(self, port):
        return int(self.ok("inb 0x%x" % port), 16)

    def readl(self, addr):
        return int(self.ok("readl 0x%x" % addr), 16)

    def readq(self, addr):
        return int(self.ok("readq 0x%x" % addr), 16)

    def read(self, addr, n):
        return bytes.fromhex(self.ok("read 0x%x %d" % (addr, n))[2:])

    def write(self, addr, data):
        self.ok("write 0x%x %d 0x%s" % (addr, len(data), data.hex()))

    def terminate(self):
        """SIGTERM xensim; return its exit status."""
        self.proc.send_signal(signal.SIGTERM)
        return self.wait()

    def wait(self, timeout=None):
        try:
            rc = self.proc.wait(timeout or self.timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            raise XensimError("xensim did not exit: " + self.log())
        self.close()
        return rc

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self.close()

    def close(self):
        for s in ("sock", "listener"):
            if getattr(self, s, None):
                getattr(self, s).close()
                setattr(self, s, None)
