# SPDX-License-Identifier: GPL-2.0-or-later
"""End-to-end tests of xensim with xensim-test-dm (TAP output).

Usage: python3 test_xensim.py BUILD_DIR

The device model (tools/xensim/tests/test-dm.c) is linked against Debian's
Xen libraries; xensim runs it with its replacement libraries, so each check
goes through the real ABI: ioreq pages, event channels, dm_ops, foreign
mappings and xenstore through the real libxenstore.
"""

import os
import struct
import subprocess
import sys
import time
import traceback

sys.dont_write_bytecode = True   # keep the source tree clean
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from xensim_qtest import Xensim, XensimError  # noqa: E402

DOMID = 7
results = []


def check(cond, what):
    if not cond:
        raise AssertionError(what)


def eq(got, want, what=""):
    if got != want:
        raise AssertionError("%s: got %r, want %r" % (what, got, want))


def sync_count(x):
    # inl 0x1236 is itself a synchronous ioreq, counted after it is read
    return x.inl(0x1236)


def t_running_line(x):
    eq(x.running_line, "xensim: domain %d running (device model pid %d)"
       % (DOMID, int(x.running_line.rsplit(" ", 1)[1].rstrip(")"))), "running line")
    eq(x.ok("xensim_xs_read /local/domain/0/device-model/%d/state" % DOMID), "running")
    eq(x.ok("xensim_xs_read /local/domain/0/device-model/%d/seen-name" % DOMID),
       "guest%d" % DOMID, "name read through the real libxenstore")


def t_pio_roundtrip(x):
    eq(x.inl(0x1234), 0xdeadbeef, "reset value")
    x.ok("outl 0x1234 0x12345678")
    eq(x.inl(0x1234), 0x12345678)
    eq(x.ok("inw 0x1234"), "0x5678", "16-bit read, QEMU format")
    x.ok("outb 0x1234 0xff")
    eq(x.inl(0x1234), 0x123456ff, "byte write merges")


def t_null_handler(x):
    before = sync_count(x)
    eq(x.ok("inb 0x5000"), "0x00ff", "unclaimed port reads all-ones")
    eq(x.inl(0x5004), 0xffffffff)
    x.ok("outl 0x5000 0x1")
    eq(x.readl(0xfd000000), 0xffffffff, "unclaimed MMIO")
    eq(sync_count(x), before + 1, "nothing reached the device model")


def t_xen_internal_rtc(x):
    before = sync_count(x)
    x.ok("outb 0x70 0x0a")
    eq(x.inb(0x71), 0x26, "RTC status A is Xen's")
    eq(sync_count(x), before + 1, "CMOS index < 0x0e stays in Xen")
    before = sync_count(x)
    x.ok("outb 0x70 0x30")
    x.ok("outb 0x71 0x42")
    eq(x.inb(0x71), 0x42, "CMOS NVRAM byte from the device model")
    eq(sync_count(x), before + 4, "index >= 0x0e and its data accesses are forwarded")
    eq(x.ok("inw 0x70"), "0xffff", "non-byte RTC access reads all-ones")


def t_platform(x):
    before = sync_count(x)
    x.ok("outb 0x21 0x5a")
    eq(x.inb(0x21), 0x5a, "PIC mask register kept by Xen")
    x.ok("outb 0x4d0 0x20")
    eq(x.inb(0x4d0), 0x20, "ELCR kept by Xen")
    x.ok("outb 0x43 0x34")
    x.ok("outb 0x40 0x00")
    x.inb(0x40)
    x.inb(0x61)
    for c in b"hi\n":
        x.ok("outb 0xe9 %d" % c)
    eq(sync_count(x), before + 1, "none of these reached the device model")
    check("guest debug console: hi" in x.log(), "debug port output")
    t0 = x.inl(0x1f48)
    x.ok("clock_step 1000000000")
    eq((x.inl(0x1f48) - t0) & 0xffffffff, 3579545, "PM timer: 3.579545 MHz of virtual time")
    x.ok("xensim_hvm_param 19 1")
    t1 = x.inl(0xb008)
    check(t1 >= t0 + 3579545, "PM timer moved to 0xb008 by ACPI_IOPORTS_LOCATION")
    eq(x.inl(0x1f48), 0xffffffff, "and is gone from 0x1f48")
    x.ok("xensim_hvm_param 19 0")


def t_pci_config(x):
    x.ok("outl 0xcf8 0x80001800")
    eq(x.inl(0xcfc), 0x56781234, "IDs of 00:03.0 through PCI_CONFIG")
    eq(x.ok("inw 0xcfe"), "0x5678", "reg = (cf8 & 0xfc) | (port & 3)")
    x.ok("outl 0xcf8 0x80001810")
    x.ok("outl 0xcfc 0xfebf0000")
    eq(x.inl(0xcfc), 0xfebf0000, "BAR write")
    x.ok("outl 0xcf8 0x80001000")
    eq(x.inl(0xcfc), 0xffffffff, "unregistered device: all-ones")
    before = sync_count(x)
    x.ok("outl 0xcf8 0x00001800")
    x.inl(0xcfc)
    eq(sync_count(x), before + 3, "CF8 disabled: plain PIO to 0xcfc (and 0xcf8 forwarded)")


def t_mmio(x):
    x.ok("writel 0xfe000010 0xcafebabe")
    eq(x.readl(0xfe000010), 0xcafebabe)
    x.ok("writeq 0xfe000020 0x0102030405060708")
    eq(x.readq(0xfe000020), 0x0102030405060708)
    eq(x.ok("readb 0xfe000021"), "0x%016x" % 0x07)
    eq(x.read(0xfe000010, 4), bytes.fromhex("bebafeca"), "bulk read over MMIO")
    x.write(0xfe000040, bytes(range(1, 20)))
    eq(x.read(0xfe000040, 19), bytes(range(1, 20)), "bulk write in 8/4/2/1 chunks")


def t_ram(x):
    before = sync_count(x)
    x.ok("writel 0x1000 0x11223344")
    eq(x.readl(0x1000), 0x11223344)
    x.write(0x1ffe, b"\xaa\xbb\xcc\xdd")
    eq(x.read(0x1ffe, 4), b"\xaa\xbb\xcc\xdd", "across a page boundary")
    x.ok("memset 0x3000 16 0x5a")
    eq(x.read(0x3000, 16), b"\x5a" * 16)
    x.ok("b64write 0x3100 3 AQID")
    eq(x.ok("b64read 0x3100 3"), "AQID")
    eq(sync_count(x), before + 1, "RAM accesses never reach the device model")
    eq(x.readl(0xa0000 - 4 + 0x100000), x.readl(0xa0000 - 4 + 0x100000), "high RAM readable")


def t_buffered_vga(x):
    before = x.inl(0x123d)
    x.ok("writeb 0xa0000 0x5a")
    x.ok("writew 0xa0002 0x1234")
    x.ok("writel 0xa0004 0xdeadbeef")
    x.ok("writeq 0xa0008 0x0102030405060708")
    eq(x.readq(0xa0008), 0x0102030405060708, "8-byte buffered write in two slots")
    eq(x.read(0xa0000, 8), bytes.fromhex("5a003412efbeadde"))
    eq(x.inl(0x123d), before + 4, "four buffered entries (the 8-byte one counts once)")


def t_buffered_full_ring(x):
    x.ok("outb 0x1238 13")  # the device model stops draining the ring
    cmds = ["xensim_buffered 0x%x 1 0x%x" % (0xa1000 + i, i & 0xff) for i in range(510)]
    replies = x.send_many(cmds)
    eq(set(replies), {"OK buffered"}, "510 writes fit")
    eq(x.cmd("xensim_buffered 0xa2000 8 0x1122334455667788"), "OK sync",
       "an 8-byte write needs two free slots: synchronous")
    eq(x.cmd("xensim_buffered 0xa2008 1 0x77"), "OK buffered", "the 511th slot")
    eq(x.cmd("xensim_buffered 0xa2009 1 0x78"), "OK sync", "full ring: synchronous")
    x.ok("outb 0x1238 14")
    data = x.read(0xa1000, 510)
    eq(data, bytes(i & 0xff for i in range(510)), "every buffered write arrived")
    eq(x.read(0xa2000, 10), bytes.fromhex("887766554433221177 78".replace(" ", "")),
       "synchronous fallbacks")


def t_rep_pio(x):
    x.ok("outl 0x1234 0xa1b2c3d4")
    eq(x.ok("xensim_rep_pio in 0x1234 4 8 0x2000 0"), "1")
    eq(x.read(0x2000, 32), struct.pack("<I", 0xa1b2c3d4) * 8, "rep insd into guest RAM")
    eq(x.ok("xensim_rep_pio in 0x1234 4 8 0x2ff0 0"), "2", "split at the page boundary")
    x.write(0x6000, struct.pack("<III", 1, 2, 3))
    eq(x.ok("xensim_rep_pio out 0x1234 4 3 0x6000 0"), "1")
    eq(x.inl(0x1234), 3, "rep outsd: last element wins")
    x.ok("memset 0x4000 32 0")
    x.ok("outl 0x1234 0x55aa55aa")
    x.ok("xensim_rep_pio in 0x1234 4 3 0x4010 1")
    eq(x.read(0x4008, 12), struct.pack("<I", 0x55aa55aa) * 3, "df=1 walks downwards")
    eq(x.read(0x4014, 4), b"\0" * 4, "nothing above the start")


def t_rep_mmio(x):
    x.write(0x5000, struct.pack("<IIII", 10, 20, 30, 40))
    eq(x.ok("xensim_rep_mmio out 0xfe000100 4 4 0x5000 0"), "1")
    eq(x.readl(0xfe00010c), 40, "guest RAM -> device memory")
    x.ok("memset 0x5100 16 0")
    x.ok("xensim_rep_mmio in 0xfe000100 4 4 0x5100 0")
    eq(x.read(0x5100, 16), struct.pack("<IIII", 10, 20, 30, 40), "device memory -> RAM")
    eq(x.ok("xensim_rep_stos 0xfe000200 4 4 0xabcdabcd 0"), "1")
    eq(x.readl(0xfe00020c), 0xabcdabcd, "rep stos with immediate data")


def t_irqs(x):
    x.ok("irq_intercept_in ioapic")
    x.irq_events.clear()
    x.ok("outb 0x1238 1")
    eq(x.irq_events, [("raise", 5)], "ISA IRQ 5 raised before the OK")
    x.ok("outb 0x1238 0")
    eq(x.irq_events[-1], ("lower", 5))
    x.irq_events.clear()
    x.ok("outb 0x1238 2")
    eq(x.irq_events, [], "INTA of 00:03.0 with link D unrouted: no ISA line")
    x.ok("outb 0x1238 5")
    eq(x.irq_events, [("raise", 10)], "routing link D to 10 raises the asserted line")
    x.ok("outb 0x1238 3")
    eq(x.irq_events[-1], ("lower", 10))
    recs = x.ok("xensim_dmops")
    check("pci_link_route 3 10" in recs and "pci_intx 00:03 A 1" in recs, recs)


def t_dmops_records(x):
    x.ok("xensim_dmops_clear")
    x.ok("outb 0x1238 4")
    check("msi 0xfee00000 0x4041" in x.ok("xensim_dmops"), "MSI recorded")
    x.ok("outb 0x1238 7")
    check("log-dirty off" in x.ok("xensim_dmops"), "modified_memory without log-dirty")
    x.ok("xensim_dirty_log on")
    x.ok("outb 0x1238 7")
    check("modified_memory 0x100 2" in x.ok("xensim_dmops"), "modified_memory recorded")
    eq(x.ok("xensim_dirty_log get"), "0x100,0x101")
    x.ok("xensim_dirty_log off")
    x.ok("outb 0x1238 11")
    eq(x.inl(0x1234), 17, "mapping an overlapping port range: EEXIST")
    x.ok("outb 0x1238 12")
    eq(x.inl(0x1234), 2, "unmapping what is not mapped: ENOENT")


def t_dirty_vram(x):
    x.ok("outb 0x1238 9")
    eq(x.inl(0x1234), 0xffff, "a new tracked region is all dirty")
    x.ok("outb 0x1238 9")
    eq(x.inl(0x1234), 0, "nothing written since")
    x.ok("writeb 0x302000 1")
    x.ok("outb 0x1238 9")
    eq(x.inl(0x1234), 1 << 2, "the guest wrote pfn 0x302")


def t_relocate_invalidate(x):
    x.ok("writel 0x200000 0xfeedface")
    inval = x.inl(0x123e)
    x.ok("outb 0x1238 10")
    eq(x.readl(0x800000), 0xfeedface, "the page moved to gfn 0x800")
    eq(x.readl(0x200000), 0xffffffff, "the old gfn is a hole now")
    eq(x.inl(0x123e), inval + 1, "p2m removal: one INVALIDATE before the next access")
    x.ok("xensim_invalidate")
    eq(x.inl(0x123e), inval + 2, "xensim_invalidate")


def t_timeoffset(x):
    eq(x.ok("xensim_timeoffset 3600"), "0", "no server failed")
    eq(x.inl(0x123f), 3600, "TIMEOFFSET arrives buffered, drained before the next ioreq")


def t_xenstore(x):
    path = "/local/domain/0/device-model/%d" % DOMID
    x.ok("xensim_xs_write %s/command ping 1" % path)
    deadline = time.time() + 5
    while time.time() < deadline:
        r = x.cmd("xensim_xs_read %s/command-ack" % path)
        if r == "OK ping 1":
            break
        time.sleep(0.01)
    eq(r, "OK ping 1", "the device model's watch fired and it answered")
    x.ok("outb 0x1238 8")
    eq(x.ok("xensim_xs_read /local/domain/0/data/test-dm"), "hello", "relative path = dom0")
    eq(x.cmd("xensim_xs_read /nonexistent"), "ERR ENOENT")
    eq(x.ok("xensim_xs_perms /local/domain/%d" % DOMID), "n0 r%d" % DOMID, "libxl's perms")


def t_malformed(x):
    before = x.inl(0x123c)
    x.ok("xensim_raw_ioreq 0 0x1234 0 1 3 1 0 0")          # PIO size 3
    x.ok("xensim_raw_ioreq 5 0x1234 0 1 4 1 0 0")          # unknown type
    x.ok("xensim_raw_ioreq 1 0xfe000000 0x2000 0xffffffff 4 1 0 1")  # count overflow
    x.ok("xensim_raw_ioreq 1 0xfe000000 0xf0000000 1 4 1 0 1")       # buffer not RAM
    x.ok("xensim_raw_ioreq 2 0x0000000500000000 0 1 4 1 0 0")        # PCI_CONFIG, no device
    eq(x.inl(0x123c), before + 5, "each malformed ioreq was refused and completed")
    eq(x.inl(0x1234) >= 0, True, "the device model still answers")


def t_bad_state(x):
    r = x.cmd("inb 0x123a")
    check(r.startswith("ERR Weird HVM iorequest state 7"), r)
    eq(x.ok("inb 0x123b"), "0x00ff", "state reset to NONE completes with all-ones")
    eq(x.inl(0x1234) >= 0, True, "accesses still work")


def t_unknown_command(x):
    check(x.cmd("frobnicate 1").startswith("FAIL Unknown command"), "unknown command")
    check(x.cmd("outb 0x10000 1").startswith("FAIL"), "port out of range")
    check(x.cmd("xensim_rep_pio in 0x1234 3 1 0 0").startswith("FAIL"), "bad rep size")


def t_grants(x):
    x.ok("writel 0x50000 0x12345678")
    x.ok("xensim_grant 1 0x50")
    x.ok("xensim_grant 2 0x51 ro")
    x.ok("outb 0x1238 16")
    eq(x.inl(0x1234), 0x12345678, "the device model read the granted page")
    eq(x.readl(0x50004), 0x600df00d, "and wrote to it")
    x.ok("outb 0x1238 17")
    eq(x.inl(0x1234), 13, "a read-only grant cannot be mapped writable: EACCES")
    x.ok("outb 0x1238 18")
    eq(x.inl(0x1234), 0x12345678, "grant copy")
    x.ok("xensim_grant_clear 1")
    x.ok("outb 0x1238 16")
    eq(x.inl(0x1234), 22, "a revoked grant: EINVAL")


def t_pv_evtchn(x):
    x.ok("outb 0x1238 19")
    dom0_port = x.inl(0x1234)
    check(0 < dom0_port < 4096, "the device model allocated an unbound port")
    gport = int(x.ok("xensim_evtchn_bind %d" % dom0_port))
    eq(x.ok("xensim_evtchn_pending %d" % gport), "1", "binding sets the guest port pending")
    eq(x.ok("xensim_evtchn_pending %d" % gport), "0")
    x.ok("xensim_evtchn_notify %d" % gport)
    deadline = time.time() + 5
    while x.inl(0x1240) == 0 and time.time() < deadline:
        time.sleep(0.01)
    eq(x.inl(0x1240), 1, "the backend got the frontend's event")
    deadline = time.time() + 5
    r = "0"
    while r == "0" and time.time() < deadline:
        r = x.ok("xensim_evtchn_pending %d" % gport)
    eq(r, "1", "and its answer came back")
    check(x.cmd("xensim_evtchn_bind %d" % dom0_port).startswith("ERR"), "bound only once")


def t_reboot_recorded(x):
    x.ok("outb 0x1238 6")
    check(x.ok("xensim_state").startswith("paused=0 shutdown=yes reason=1"), "reboot")


MAIN_TESTS = [
    t_running_line, t_pio_roundtrip, t_null_handler, t_xen_internal_rtc, t_platform, t_pci_config, t_mmio,
    t_ram, t_buffered_vga, t_buffered_full_ring, t_rep_pio, t_rep_mmio, t_irqs,
    t_dmops_records, t_dirty_vram, t_relocate_invalidate, t_timeoffset, t_xenstore,
    t_malformed, t_bad_state, t_unknown_command, t_grants, t_pv_evtchn, t_reboot_recorded,
]


def run(name, fn, *args):
    try:
        fn(*args)
        results.append((True, name, None))
    except Exception as e:  # report and go on
        results.append((False, name, "".join(traceback.format_exception_only(type(e), e))))


def main_instance(build):
    x = Xensim(build, domid=DOMID, memory=64)
    try:
        for t in MAIN_TESTS:
            run(t.__name__[2:], t, x)

        def sigterm():
            rc = x.terminate()
            eq(rc, 0, "exit status after SIGTERM")
            check("test-dm: stopping" in x.log(), "the device model got SIGHUP and stopped")
        run("sigterm_stops_dm", sigterm)
    finally:
        x.kill()


def poweroff_instance(build):
    x = Xensim(build, domid=2)
    try:
        # The vCPU doing the write dies with the domain: no OK for it.
        r = x.cmd("outb 0x1238 15")
        check(r.startswith("ERR"), r)
        eq(x.wait(), 0, "xensim exits once the domain is powered off")
        check("destroying domain 2: powered off" in x.log(), x.log())
    finally:
        x.kill()


def timeout_instance(build):
    x = Xensim(build, domid=3, vcpus=2, extra=["--ioreq-timeout", "300"])
    try:
        r = x.cmd("inb 0x1239")
        check(r.startswith("ERR device model did not complete ioreq"), r)
        r = x.cmd("inl 0x1234")
        check(r.startswith("ERR vcpu 0 is still blocked"), r)
        x.ok("xensim_vcpu 1")
        eq(x.inl(0x1234), 0xdeadbeef, "vcpu 1 has its own slot")
    finally:
        x.terminate()


def gfn_instance(build):
    x = Xensim(build, domid=4, extra=["--no-resource-map"])
    try:
        check("mapped through gfns" in x.log(), "fallback path taken")
        eq(x.inl(0x1234), 0xdeadbeef)
        eq(x.readl(0xfeff0000), 0xffffffff, "ioreq gfn removed from the p2m while enabled")
    finally:
        x.terminate()


def xen_dm_polling_instance(build):
    """xen-dm -ioreq-poll-max-ns: requests found by polling the shared page stay
    answered correctly, on every vCPU, and after the window closed (the device
    model back in its main loop, woken by the event channel again)."""
    dm = os.path.join(build, "xen-dm")
    if not os.path.exists(dm):
        results.append((True, "xen_dm_polling # SKIP xen-dm not built", None))
        return
    args = ["-no-shutdown", "-nodefaults", "-no-user-config", "-display", "none",
            "-serial", "null", "-vga", "none", "-net", "none", "-machine", "xenfv", "-m", "64",
            "-smp", "2,maxcpus=2",
            "-ioreq-poll-max-ns", "200000"]
    x = Xensim(build, domid=11, vcpus=2, dm=dm, dm_args=args)
    try:
        # UART scratch register (0x3ff): a trivial device in the device model.
        for i in range(300):
            x.ok("xensim_vcpu %d" % (i & 1))
            x.ok("outb 0x3ff 0x%x" % (i & 0xff))
            eq(x.inb(0x3ff), i & 0xff, "scratch read back on vcpu %d" % (i & 1))
        r = x.ok("xensim_bench pio 0x3ff 2000")
        check("n=2000" in r, r)
        eq(x.inb(0x3ff), 299 & 0xff, "scratch unchanged by the reads")
        for i in range(5):
            time.sleep(0.01)   # longer than the window: back to the event channel
            x.ok("xensim_vcpu %d" % (i & 1))
            x.ok("outb 0x3ff 0x%x" % (0x40 + i))
            eq(x.inb(0x3ff), 0x40 + i, "answered after an idle period")
        eq(x.terminate(), 0, "exit status after SIGTERM")
    finally:
        x.kill()


def libs_instance(build):
    """xensim-test-libs runs as the device model and checks the libraries' API."""
    argv = [os.path.join(build, "xensim"), "--domid", "9", "--vcpus", "2", "--memory", "64",
            "--", os.path.join(build, "xensim-test-libs")]
    p = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60)
    out = p.stdout.decode()
    seen = 0
    for line in out.splitlines():
        if line.startswith("ok - "):
            results.append((True, "libs: " + line[5:], None))
            seen += 1
        elif line.startswith("not ok - "):
            results.append((False, "libs: " + line[9:], p.stderr.decode()[-2000:]))
            seen += 1
    check(seen > 50, "xensim-test-libs ran (%d checks): %s" % (seen, p.stderr.decode()[-2000:]))
    eq(p.returncode, 0, "xensim passes on the device model's status")


def exit_status_instance(build):
    argv = [os.path.join(build, "xensim"), "--domid", "10", "--",
            os.path.join(build, "xensim-test-libs"), "--exit", "3"]
    p = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60)
    eq(p.returncode, 3, "the device model's exit status")
    check(b"exited with status 3 before reporting running" in p.stderr, p.stderr.decode())


def main():
    build = sys.argv[1] if len(sys.argv) > 1 else "build"
    for prog in ("xensim", "xensim-test-dm", "xensim-test-libs",
                 "xensim-lib/libxenctrl.so.4.17"):
        if not os.path.exists(os.path.join(build, prog)):
            print("1..0 # SKIP %s/%s not built" % (build, prog))
            return 0
    run_instance("main", main_instance, build)
    run_instance("poweroff_destroys_domain", poweroff_instance, build)
    run_instance("ioreq_timeout", timeout_instance, build)
    run_instance("gfn_fallback", gfn_instance, build)
    run_instance("xen_dm_polling", xen_dm_polling_instance, build)
    run_instance("libs", libs_instance, build)
    run_instance("exit_status_propagated", exit_status_instance, build)
    print("1..%d" % len(results))
    failed = 0
    for i, (ok, name, err) in enumerate(results, 1):
        print("%s %d - %s" % ("ok" if ok else "not ok", i, name))
        if not ok:
            failed += 1
            for line in err.splitlines():
                print("# " + line)
    return 1 if failed else 0


def run_instance(name, fn, build):
    n = len(results)
    try:
        fn(build)
        if len(results) == n:
            results.append((True, name, None))
    except Exception as e:
        results.append((False, name, "".join(traceback.format_exception_only(type(e), e))))


if __name__ == "__main__":
    sys.exit(main())
