#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""A minimal VMM stand-in for the CLI tests: connect to a vfio-user socket,
negotiate VERSION (reference/vfio-user.md 1.3) and hold the session.

usage: vfu_peer.py SOCKET STATUSFILE [SECONDS [hold]]

Appends to STATUSFILE (one word per line, flushed at once):
  accepted          the server answered VERSION without error
  refused ERRNO     the server answered with an error reply
  closed            the server ended an accepted session (EOF)
  timeout           SECONDS (default 30) passed; the peer gives up
Exit status: 0 accepted and later closed by the server, 3 refused,
4 timeout, 1 other failure.  It sends nothing after VERSION.  With "hold",
a refused peer keeps its connection open too (until EOF or SECONDS).
"""
import json
import os
import signal
import socket
import struct
import sys

VERSION = 1
F_REPLY = 0x1
F_ERROR = 0x20


def note(path, word):
    with open(path, 'a') as f:
        f.write(word + '\n')
        f.flush()
        os.fsync(f.fileno())


def recv_exact(s, n):
    buf = b''
    while len(buf) < n:
        chunk = s.recv(n - len(buf))
        if not chunk:
            return None
        buf += chunk
    return buf


def main():
    if len(sys.argv) < 3:
        print(__doc__, file=sys.stderr)
        return 1
    path, status = sys.argv[1], sys.argv[2]
    limit = int(sys.argv[3]) if len(sys.argv) > 3 else 30
    hold = len(sys.argv) > 4 and sys.argv[4] == 'hold'

    def on_alarm(signum, frame):
        note(status, 'timeout')
        os._exit(4)
    signal.signal(signal.SIGALRM, on_alarm)
    signal.alarm(limit)

    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(path)
    caps = json.dumps({'capabilities': {'max_msg_fds': 8,
                                        'pgsizes': 4096}}).encode() + b'\0'
    payload = struct.pack('<HH', 0, 0) + caps
    hdr = struct.pack('<HHIII', 0, VERSION, 16 + len(payload), 0, 0)
    s.sendall(hdr + payload)
    rhdr = recv_exact(s, 16)
    if rhdr is None:
        note(status, 'closed')
        return 1
    _, cmd, size, flags, err = struct.unpack('<HHIII', rhdr)
    if size > 16 and recv_exact(s, size - 16) is None:
        note(status, 'closed')
        return 1
    refused = bool(flags & F_ERROR)
    note(status, 'refused %d' % err if refused else 'accepted')
    if refused and not hold:
        return 3
    # Hold the session until the server ends it.
    while True:
        data = s.recv(4096)
        if not data:
            note(status, 'closed')
            return 3 if refused else 0


if __name__ == '__main__':
    sys.exit(main())
