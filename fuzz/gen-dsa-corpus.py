#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Write the seed corpus of fuzz_dsa (fuzz/corpus/dsa/): valid operation
sequences in the input format documented at the top of fuzz/fuzz_dsa.c --
the Linux probe and WQ enable in both configuration modes, the DPDK PCI
init, mapped portals, interrupt handles, a shared WQ, a batch and a halt.
Run it again after changing the format: python3 fuzz/gen-dsa-corpus.py"""
import os
import struct

(REG_WRITE, REG_READ, PORTAL_WRITE, MEM_WRITE, COMMAND, BME, SUBMIT, PROCESS,
 RESET, SETUP, MAPPED_WRITE, DESC, PASID_AS) = range(13)
SIZE_LOG = {1: 0, 2: 1, 4: 2, 8: 3, 16: 4, 32: 5, 64: 6}
RW_IOVA = 0x10000
INT_REQ = 1 << 31
CRAV, RCR, RCI, CC = 0x4, 0x8, 0x10, 0x100


class Seq:
    def __init__(self, conf):
        self.b = bytearray([conf])

    def wr(self, off, size, val):
        self.b += bytes([REG_WRITE]) + struct.pack('<HBQ', off, SIZE_LOG[size],
                                                   val)

    def rd(self, off, size):
        self.b += bytes([REG_READ]) + struct.pack('<HB', off, SIZE_LOG[size])

    def cmd(self, code, operand=0, int_req=False):
        v = (code << 20) | operand | (INT_REQ if int_req else 0)
        self.wr(0xa0, 4, v)  # as a driver does: a 32-bit CMD write
        if int_req:
            self.rd(0x98, 4)
            self.wr(0x98, 4, 0x2)
        self.rd(0xa8, 4)

    def command(self, v):
        self.b += bytes([COMMAND]) + struct.pack('<I', v)

    def mem(self, off, data):
        self.b += bytes([MEM_WRITE]) + struct.pack('<HB', off, len(data)) + data

    def portal(self, off, data):
        self.b += bytes([PORTAL_WRITE]) + struct.pack(
            '<IB', off, SIZE_LOG[len(data)]) + data

    def desc(self, wq, page, slot, opcode, flags, src, dst, cr, size,
             handle=0, pasid=0, ops=b'', mapped=False):
        sel = (page & 3) | (slot << 2) | (0x40 if mapped else 0)
        self.b += bytes([DESC, wq, sel & 0xff, opcode])
        self.b += struct.pack('<I', flags)[:3]
        self.b += struct.pack('<HHHHHB', src, dst, cr, size, handle, pasid)
        self.b += ops.ljust(24, b'\0')

    def setup(self, wq, size, mode, pasid=0):
        self.b += bytes([SETUP, wq, size, mode, pasid])

    def op(self, *b):
        self.b += bytes(b)


def raw_desc(opcode, flags, src, dst, cr, size, handle=0, pasid=0):
    return struct.pack('<IIQQQIHH', pasid, (opcode << 24) | flags, cr, src,
                       dst, size, handle, 0) + bytes(24)


def linux(configurable):
    s = Seq(0 if configurable else 1)
    s.rd(0x00, 4)
    s.rd(0x90, 4)
    s.cmd(5)
    for off in (0x10, 0x30, 0x38, 0x20, 0x40, 0x48, 0x50, 0x58, 0x60, 0x68):
        s.rd(off, 8)
    s.rd(0x88, 4)
    s.wr(0x88, 4, 3)
    s.rd(0x1000, 8)
    if configurable:
        for d, v in enumerate([16, 0, 0xa1, 21 | (5 << 5), 0, 0, 0, 0]):
            s.rd(0x400 + 4 * d, 4)
            s.wr(0x400 + 4 * d, 4, v)
        for g in range(4):
            s.wr(0x300 + 64 * g, 8, 1 if g == 0 else 0)
            s.rd(0x300 + 64 * g, 8)
            s.wr(0x320 + 64 * g, 8, 1 << g)
            s.wr(0x328 + 64 * g, 8, 1 | 8 | (96 << 20))
    else:
        for g in range(4):
            s.rd(0x300 + 64 * g, 8)
            s.rd(0x320 + 64 * g, 8)
            s.rd(0x328 + 64 * g, 8)
        for d in range(8):
            s.rd(0x400 + 4 * d, 4)
    s.cmd(1, 0, True)
    s.cmd(6, 0, True)
    s.mem(0x100, bytes(range(64)))
    for k in range(3):
        s.desc(0, 1, k, 3, CRAV | RCR | RCI, 0x100, 0x1000 + 64 * k,
               0x3000 + 32 * k, 64, handle=1)
    s.rd(0x418, 4)
    s.cmd(8, 1, True)
    s.wr(0x208, 4, 0)
    s.cmd(10, 1, True)
    s.cmd(2, 0, True)
    s.cmd(5, 0, True)
    return s.b


def dpdk():
    s = Seq(0)
    s.rd(0x90, 4)
    s.rd(0xa8, 4)
    s.rd(0x60, 8)
    s.rd(0x20, 8)
    for g in range(4):
        s.wr(0x320 + 64 * g, 8, 0)
        s.wr(0x300 + 64 * g, 8, 0)
    for w in range(8):
        s.wr(0x400 + 32 * w, 4, 0)
    for e in range(4):
        s.wr(0x320 + 64 * e, 8, 1 << e)
    for w in range(8):
        s.wr(0x300 + 64 * (w % 4), 8, (1 << w) | (1 << (w + 4)) if w < 4
             else (1 << (w - 4)) | (1 << w))
        s.wr(0x400 + 32 * w, 4, 16)
        s.wr(0x408 + 32 * w, 4, 0x11)
        s.wr(0x40c + 32 * w, 4, 31 | (10 << 5))
    s.cmd(1)
    s.cmd(6, 0)
    s.rd(0x418, 4)
    s.mem(0x200, b'dpdk' * 16)
    s.portal(0, raw_desc(3, CRAV | RCR | CC, RW_IOVA + 0x200, RW_IOVA + 0x800,
                         RW_IOVA + 0x2000, 64))
    s.cmd(7, 1)
    s.cmd(2)
    return s.b


def mapped():
    s = Seq(4)
    s.setup(1, 16, 0x10)
    s.mem(0x100, b'm' * 128)
    for k in range(4):
        s.desc(1, 1, 62 + k if k < 2 else k - 2, 3, CRAV | RCR | RCI,
               0x100, 0x900, 0x3000 + 32 * k, 128, handle=2, mapped=True)
    d = raw_desc(4, CRAV | RCR, 0x1122334455667788, RW_IOVA + 0x400,
                 RW_IOVA + 0x3100, 64)
    for q in range(7, -1, -1):
        s.b += bytes([MAPPED_WRITE]) + struct.pack(
            '<IQ', 0x4000 + 8 * q, struct.unpack_from('<Q', d, 8 * q)[0])
    s.op(PROCESS)
    s.cmd(8, 2)
    return s.b


def handles():
    s = Seq(2)
    s.setup(0, 8, 0x10)
    s.cmd(13, 1, True)
    s.cmd(13, 0x10001)
    s.cmd(13, 9)
    s.cmd(14, 1)
    s.desc(0, 2, 0, 0, CRAV | RCR | RCI, 0, 0, 0x3000, 0, handle=5)
    s.wr(0x208, 4, (3 << 12) | 8)
    s.desc(0, 0, 1, 0, CRAV | RCR | RCI, 0, 0, 0x3020, 0, handle=1)
    s2 = Seq(2 | 16)
    s2.setup(0, 8, 0x10)
    s2.cmd(13, 1, True)
    s2.cmd(13, 0x10005)
    s2.cmd(14, 101)
    return s.b, s2.b


def shared():
    s = Seq(8)
    s.op(PASID_AS, 1, 1)
    s.setup(0, 8, 0x1 | 0x4 | 0x10, 1)
    s.mem(0x100, b's' * 32)
    s.op(SUBMIT, 0, 2)
    s.b += raw_desc(3, CRAV | RCR, RW_IOVA + 0x100, RW_IOVA + 0x200,
                    RW_IOVA + 0x3000, 32, pasid=1)
    s.desc(0, 1, 0, 3, CRAV | RCR, 0x100, 0x300, 0x3020, 32, pasid=1)
    s.command((12 << 20) | 1)
    s.op(PASID_AS, 1, 0)
    s.desc(0, 0, 1, 3, CRAV | RCR, 0x100, 0x300, 0x3040, 32, pasid=1)
    return s.b


def batch():
    s = Seq(0)
    s.setup(0, 16, 0x10)
    lst = raw_desc(4, CRAV | RCR, 0xabababababababab, RW_IOVA + 0x800,
                   RW_IOVA + 0x3000, 64)
    lst += raw_desc(5, CRAV | RCR, RW_IOVA + 0x800, RW_IOVA + 0x900,
                    RW_IOVA + 0x3020, 64)
    lst += raw_desc(0x10, CRAV | RCR, RW_IOVA + 0x800, 0, RW_IOVA + 0x3040,
                    64)
    s.mem(0x1000, lst[:192])
    s.desc(0, 0, 0, 1, CRAV | RCR | RCI, 0x1000, 0, 0x3100, 3, handle=1)
    return s.b


def halt():
    s = Seq(0)
    s.setup(0, 16, 0x10)
    s.wr(0x88, 4, 3)
    s.op(BME, 0)
    s.rd(0x90, 4)
    s.rd(0xc0, 8)
    s.cmd(1)
    s.wr(0xc0, 8, 3)
    s.cmd(5, 0, True)
    s.op(BME, 1)
    s.op(RESET)
    s.setup(2, 4, 0x10)
    return s.b


def main():
    out = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'corpus',
                       'dsa')
    os.makedirs(out, exist_ok=True)
    h1, h2 = handles()
    seeds = {
        'linux-configurable': linux(True),
        'linux-ro': linux(False),
        'dpdk-pci': dpdk(),
        'mapped-portal': mapped(),
        'int-handles': h1,
        'int-handles-host': h2,
        'shared-wq': shared(),
        'batch': batch(),
        'halt-reset': halt(),
    }
    for name, data in seeds.items():
        with open(os.path.join(out, name), 'wb') as f:
            f.write(bytes(data))


if __name__ == '__main__':
    main()
