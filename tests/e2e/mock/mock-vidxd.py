#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""A deliberately small stand-in for `vidxd serve`, for checking the e2e harness.

It speaks just enough vfio-user to QEMU 11's vfio-user-pci (vfio-user.md §6)
and models just enough of a DSA 1.0 device (dsa.md §1, §3: commands, one
group, WQCFG/GRPCFG storage, MSI-X, NOOP/MEMMOVE/MEMFILL/CRCGEN/BATCH) to let
the guest test module in tests/e2e/guest run its plan, in both portal modes:
trapped (posted REGION_WRITEs assembled per 64-byte slot) and mapped (BAR2 is
a shared memfd that a thread polls; a slot is taken when its qword 0 becomes
non-zero and zeroed once read, the order documented for drivers without
MOVDIR64B).  It is NOT a reference for vidxd: no validation, no error
statuses, no faults, no reset semantics beyond the basics.  Its only purpose
is to prove that run-e2e.sh, the initramfs and the guest module work before
the real daemon exists, and to be a second implementation to compare against.

Usage: mock-vidxd.py serve --socket PATH [--portal-mode trapped|mapped]
MOCK_VIDXD_BUG=bad-crc|irq-before-cr|no-irq|double-irq injects a fault, to
check that the guest module's checks can fail.
Same interface as the daemon: it creates PATH once it listens, serves one
connection at a time until killed (SIGTERM exits 0).
"""
import argparse
import json
import mmap
import os
import signal
import socket
import struct
import sys
import threading
import time

HDR = struct.Struct('<HHIII')
F_REPLY, F_NO_REPLY, F_ERROR = 0x1, 0x10, 0x20

NUM_WQS = 2
NVEC = NUM_WQS + 1
BAR0_SIZE = 0x10000
BAR2_SIZE = NUM_WQS * 0x4000
MSIX_TABLE, MSIX_PBA = 0x2000, 0x3000
GRPCFG, WQCFG = 0x300, 0x400


def log(*a):
    print('mock-vidxd:', *a, file=sys.stderr, flush=True)


def crc32c_table():
    t = []
    for i in range(256):
        c = i
        for _ in range(8):
            c = (c >> 1) ^ (0x82F63B78 if c & 1 else 0)
        t.append(c)
    return t


CRC_T = crc32c_table()
# Deliberate faults, to show that the guest module catches them:
# bad-crc, irq-before-cr, no-irq, double-irq.
BUG = os.environ.get('MOCK_VIDXD_BUG', '')


def crc32c(seed, data):
    c = ~seed & 0xffffffff
    for b in data:
        c = CRC_T[(c ^ b) & 0xff] ^ (c >> 8)
    return ~c & 0xffffffff


class Device:
    def __init__(self, mode):
        self.mode = mode
        self.lock = threading.RLock()
        self.cfg = bytearray(256)
        struct.pack_into('<HH', self.cfg, 0, 0x8086, 0x0b25)
        struct.pack_into('<H', self.cfg, 6, 0x10)            # status: cap list
        self.cfg[0x09:0x0c] = bytes([0x00, 0x80, 0x08])      # class 0x088000
        struct.pack_into('<I', self.cfg, 0x10, 0x4)          # BAR0 64-bit mem
        struct.pack_into('<I', self.cfg, 0x18, 0x4)          # BAR2 64-bit mem
        struct.pack_into('<HH', self.cfg, 0x2c, 0x8086, 0x0000)
        self.cfg[0x34] = 0x40
        # MSI-X capability: table size N-1, table and PBA in BAR0.
        struct.pack_into('<BBHII', self.cfg, 0x40, 0x11, 0, NVEC - 1, MSIX_TABLE, MSIX_PBA)
        self.bar0 = bytearray(BAR0_SIZE)
        self.vectors = {}
        self.maps = []
        self.portal_parts = {}
        self.portal_fd = None
        self.portal_mm = None
        if mode == 'mapped':
            self.portal_fd = os.memfd_create('vidxd-mock-portal')
            os.ftruncate(self.portal_fd, BAR2_SIZE)
            self.portal_mm = mmap.mmap(self.portal_fd, BAR2_SIZE)
        self.reset()

    # ---- registers -----------------------------------------------------
    def reset(self):
        with self.lock:
            b = self.bar0
            b[:MSIX_TABLE] = bytes(MSIX_TABLE)
            struct.pack_into('<I', b, 0x00, 0x100)
            gencap = (1 << 1) | (21 << 16) | (5 << 21) | (1 << 31)
            wqcap = 32 | (NUM_WQS << 16) | (1 << 48) | (1 << 49) | (1 << 51)
            struct.pack_into('<QQQQ', b, 0x10, gencap, 0, wqcap, 0)
            struct.pack_into('<QQ', b, 0x30, 1, 1)            # 1 group, 1 engine
            struct.pack_into('<Q', b, 0x40, 0x00000001003f03ff)
            offsets = (GRPCFG >> 8) | ((WQCFG >> 8) << 16) | ((0x200 >> 8) << 32)
            struct.pack_into('<Q', b, 0x60, offsets)
            for w in range(NUM_WQS):
                struct.pack_into('<I', b, WQCFG + w * 32 + 24, 1 << 29)  # mode_support
            self.portal_parts = {}

    def wq_state(self, w, st):
        off = WQCFG + w * 32 + 24
        v = struct.unpack_from('<I', self.bar0, off)[0] & ~(3 << 30)
        struct.pack_into('<I', self.bar0, off, v | (st << 30))

    def command(self, val):
        cmd, op, int_req = (val >> 20) & 0x1f, val & 0xfffff, val >> 31
        err = 0
        if cmd == 5:
            self.reset()
        elif cmd == 1:
            struct.pack_into('<I', self.bar0, 0x90, 1)
        elif cmd == 2:
            struct.pack_into('<I', self.bar0, 0x90, 0)
            for w in range(NUM_WQS):
                self.wq_state(w, 0)
        elif cmd == 6:
            if op < NUM_WQS:
                self.wq_state(op, 1)
            else:
                err = 2
        elif cmd == 7:
            for w in range(NUM_WQS):
                if op & (1 << w):
                    self.wq_state(w, 0)
        log('command %d operand %#x int_req %d' % (cmd, op, int_req))
        struct.pack_into('<I', self.bar0, 0xa8, err)
        if int_req:
            cause = struct.unpack_from('<I', self.bar0, 0x98)[0]
            struct.pack_into('<I', self.bar0, 0x98, cause | 2)
            self.signal(0)

    def bar0_write(self, off, data):
        if off < 0x80 or off >= MSIX_TABLE:
            return
        if off == 0x98:                                     # INTCAUSE: W1C
            v = int.from_bytes(data, 'little')
            cur = struct.unpack_from('<I', self.bar0, 0x98)[0]
            struct.pack_into('<I', self.bar0, 0x98, cur & ~v)
            return
        if off == 0xa0 and len(data) == 4:
            self.command(int.from_bytes(data, 'little'))
            return
        self.bar0[off:off + len(data)] = data

    # ---- interrupts and memory ------------------------------------------
    def signal(self, vec):
        fd = self.vectors.get(vec)
        if fd is not None:
            os.write(fd, struct.pack('<Q', 1))

    def mem(self, addr, size):
        for base, length, mm in self.maps:
            if mm is not None and base <= addr and addr + size <= base + length:
                return mm, addr - base
        raise ValueError('address %#x+%#x not mapped' % (addr, size))

    def read(self, addr, size):
        mm, off = self.mem(addr, size)
        return bytes(mm[off:off + size])

    def write(self, addr, data):
        mm, off = self.mem(addr, len(data))
        mm[off:off + len(data)] = data

    # ---- descriptors ------------------------------------------------------
    def run_op(self, d):
        flags_op = struct.unpack_from('<I', d, 4)[0]
        op = flags_op >> 24
        comp, src, dst = struct.unpack_from('<QQQ', d, 8)
        size = struct.unpack_from('<I', d, 32)[0]
        extra = b''
        result = 0
        if op == 0x00:
            pass
        elif op == 0x03:
            self.write(dst, self.read(src, size))
        elif op == 0x04:
            pat = struct.pack('<Q', src)
            self.write(dst, (pat * (size // 8 + 1))[:size])
        elif op == 0x10:
            seed = struct.unpack_from('<I', d, 40)[0]
            extra = struct.pack('<I', crc32c(seed, self.read(src, size)))
        elif op == 0x01:
            for i in range(size):
                sub = self.read(src + 64 * i, 64)
                self.descriptor(sub)
            result = size
        else:
            return 0x10, 0, b''
        return 1, result, extra

    def descriptor(self, d):
        flags = struct.unpack_from('<I', d, 4)[0] & 0xffffff
        comp = struct.unpack_from('<Q', d, 8)[0]
        handle = struct.unpack_from('<H', d, 36)[0]
        try:
            status, count, extra = self.run_op(d)
        except ValueError as e:
            log('descriptor failed:', e)
            status, count, extra = 0x03, 0, b''
        if BUG == 'bad-crc' and extra:
            extra = struct.pack('<I', struct.unpack('<I', extra)[0] ^ 1)
        if BUG == 'irq-before-cr' and flags & 0x10:
            self.signal(handle)
            time.sleep(0.05)
        if flags & 0x4 and (flags & 0x8 or status != 1):
            rec = bytearray(32)
            struct.pack_into('<I', rec, 4, count)
            rec[16:16 + len(extra)] = extra
            self.write(comp + 1, bytes(rec[1:]))            # status byte last
            self.write(comp, bytes([status]))
        if flags & 0x10 and BUG not in ('irq-before-cr', 'no-irq'):
            self.signal(handle)
            if BUG == 'double-irq':
                time.sleep(0.02)
                self.signal(handle)

    def portal_write(self, off, data):
        slot = off & ~63
        parts = self.portal_parts.setdefault(slot, [bytearray(64), 0])
        start = off - slot
        parts[0][start:start + len(data)] = data
        for i in range(start, start + len(data)):
            parts[1] |= 1 << i
        if parts[1] == (1 << 64) - 1:
            del self.portal_parts[slot]
            with self.lock:
                self.descriptor(bytes(parts[0]))

    def poll_portals(self):
        while True:
            busy = False
            for page in range(0, BAR2_SIZE, 0x1000):
                for slot in range(page, page + 0x1000, 64):
                    if self.portal_mm[slot:slot + 8] != b'\0' * 8:
                        d = bytes(self.portal_mm[slot:slot + 64])
                        self.portal_mm[slot:slot + 64] = bytes(64)
                        with self.lock:
                            self.descriptor(d)
                        busy = True
            if not busy:
                time.sleep(0.0005)


class Session:
    def __init__(self, dev, conn):
        self.dev, self.conn, self.fds = dev, conn, []

    def recv_exact(self, n):
        buf = b''
        while len(buf) < n:
            data, anc, _, _ = self.conn.recvmsg(n - len(buf), socket.CMSG_SPACE(16 * 4))
            if not data:
                raise EOFError
            for level, typ, cdata in anc:
                if level == socket.SOL_SOCKET and typ == socket.SCM_RIGHTS:
                    self.fds += list(struct.unpack('<%di' % (len(cdata) // 4),
                                                   cdata[:len(cdata) // 4 * 4]))
            buf += data
        return buf

    def reply(self, mid, cmd, payload=b'', fds=(), err=0):
        flags = F_REPLY | (F_ERROR if err else 0)
        msg = HDR.pack(mid, cmd, 16 + len(payload), flags, err) + payload
        anc = [(socket.SOL_SOCKET, socket.SCM_RIGHTS, struct.pack('<%di' % len(fds), *fds))] if fds else []
        self.conn.sendmsg([msg], anc)

    def serve(self):
        dev = self.dev
        while True:
            self.fds = []
            mid, cmd, size, flags, _ = HDR.unpack(self.recv_exact(16))
            body = self.recv_exact(size - 16) if size > 16 else b''
            fds, self.fds = self.fds, []
            noreply = flags & F_NO_REPLY
            if cmd == 1:
                caps = json.dumps({'capabilities': {'max_msg_fds': 8,
                                                    'max_data_xfer_size': 1048576}},
                                  separators=(',', ':')).encode() + b'\0'
                self.reply(mid, cmd, struct.pack('<HH', 0, 0) + caps)
            elif cmd == 2:
                _, fl, off, addr, length = struct.unpack_from('<IIQQQ', body)
                mm = None
                if fds:
                    pg = off & ~0xfff
                    mm = mmap.mmap(fds[0], length + off - pg, mmap.MAP_SHARED,
                                   mmap.PROT_READ | mmap.PROT_WRITE, offset=pg)
                    mm = memoryview(mm)[off - pg:]
                    for f in fds:
                        os.close(f)
                with dev.lock:
                    dev.maps.append((addr, length, mm))
                self.reply(mid, cmd)
            elif cmd == 3:
                _, fl, addr, length = struct.unpack_from('<IIQQ', body)
                with dev.lock:
                    dev.maps = [m for m in dev.maps
                                if not (fl & 2 or (m[0] == addr and m[1] == length))]
                self.reply(mid, cmd, body[:24])
            elif cmd == 4:
                self.reply(mid, cmd, struct.pack('<IIII', 16, 3, 9, 5))
            elif cmd == 5:
                idx = struct.unpack_from('<I', body, 8)[0]
                size_, fl, rfds = 0, 0, ()
                if idx == 0:
                    size_, fl = BAR0_SIZE, 3
                elif idx == 2:
                    size_, fl = BAR2_SIZE, 3
                    if dev.mode == 'mapped':
                        fl |= 4
                        rfds = (dev.portal_fd,)
                elif idx == 7:
                    size_, fl = 256, 3
                self.reply(mid, cmd, struct.pack('<IIIIQQ', 32, fl, idx, 0, size_, 0), rfds)
            elif cmd == 7:
                idx = struct.unpack_from('<I', body, 8)[0]
                count = {0: 0, 1: 0, 2: NVEC, 3: 1, 4: 0}.get(idx, 0)
                self.reply(mid, cmd, struct.pack('<IIII', 16, 1, idx, count))
            elif cmd == 8:
                _, fl, idx, start, count = struct.unpack_from('<IIIII', body)
                if idx == 2 and fl & 0x20:
                    with dev.lock:
                        if fl & 0x4 and fds:
                            for i, f in enumerate(fds):
                                old = dev.vectors.pop(start + i, None)
                                if old is not None:
                                    os.close(old)
                                dev.vectors[start + i] = f
                            fds = []
                        elif (fl & 0x4) or count == 0:
                            rng = range(start, start + count) if count else list(dev.vectors)
                            for v in rng:
                                old = dev.vectors.pop(v, None)
                                if old is not None:
                                    os.close(old)
                for f in fds:
                    os.close(f)
                self.reply(mid, cmd)
            elif cmd == 9:
                off, reg, count = struct.unpack_from('<QII', body)
                with dev.lock:
                    if reg == 7:
                        data = bytes(dev.cfg[off:off + count])
                    elif reg == 0:
                        data = bytes(dev.bar0[off:off + count])
                    else:
                        data = bytes(count)
                data += bytes(count - len(data))
                self.reply(mid, cmd, struct.pack('<QII', off, reg, count) + data)
            elif cmd == 10:
                off, reg, count = struct.unpack_from('<QII', body)
                data = body[16:16 + count]
                with dev.lock:
                    if reg == 7:
                        if off >= 0x40 or off < 0x10:
                            dev.cfg[off:off + count] = data
                    elif reg == 0:
                        dev.bar0_write(off, data)
                    elif reg == 2:
                        dev.portal_write(off, data)
                if not noreply:
                    self.reply(mid, cmd, struct.pack('<QII', off, reg, count))
            elif cmd == 13:
                dev.reset()
                self.reply(mid, cmd)
            else:
                for f in fds:
                    os.close(f)
                if not noreply:
                    self.reply(mid, cmd, err=22)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('command', choices=['serve'])
    ap.add_argument('--socket', required=True)
    ap.add_argument('--portal-mode', choices=['trapped', 'mapped'], default='trapped')
    # run-e2e.sh's default daemon arguments; the mock keeps no state.
    ap.add_argument('--state-dir')
    args = ap.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: os._exit(0))
    dev = Device(args.portal_mode)
    if dev.mode == 'mapped':
        threading.Thread(target=dev.poll_portals, daemon=True).start()
    try:
        os.unlink(args.socket)
    except FileNotFoundError:
        pass
    srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    tmp = args.socket + '.tmp'
    srv.bind(tmp)
    srv.listen(1)
    os.rename(tmp, args.socket)    # the socket appears only once it listens
    log('listening on %s (%s portals)' % (args.socket, dev.mode))
    while True:
        conn, _ = srv.accept()
        log('client connected')
        try:
            Session(dev, conn).serve()
        except (EOFError, ConnectionResetError):
            log('client disconnected')
        conn.close()
        with dev.lock:
            for f in dev.vectors.values():
                os.close(f)
            dev.vectors = {}
            dev.maps = []


if __name__ == '__main__':
    main()
