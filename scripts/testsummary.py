#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Count test cases over every test binary of one or more meson runs.

TAP tests (the cmocka binaries) count one case per 'ok'/'not ok' line;
other tests (scripts) count as one case each.  A TAP binary that crashed
or timed out counts as one extra failure.  Prints 'N passed, N failed'.
"""
import json
import re
import sys

passed = failed = skipped = 0
tap_line = re.compile(r'^(not ok|ok)\b(.*)$')
def records():
    for path in sys.argv[1:]:
        try:
            f = open(path)
        except OSError:
            print('missing test log: %s' % path)
            yield {'name': path, 'result': 'ERROR'}
            continue
        for line in f:
            yield json.loads(line)


for rec in records():
    result = rec.get('result')
    out = rec.get('stdout') or ''
    cases = [tap_line.match(l) for l in out.splitlines()]
    cases = [m for m in cases if m]
    if rec.get('protocol') == 'tap' or cases:
        for m in cases:
            if '# SKIP' in m.group(2):
                skipped += 1
            elif m.group(1) == 'ok':
                passed += 1
            else:
                failed += 1
        if result not in ('OK', 'EXPECTEDFAIL', 'SKIP') and \
                not any(m.group(1) == 'not ok' for m in cases):
            failed += 1
            print('binary failed: %s (%s)' % (rec.get('name'), result))
    elif result in ('OK', 'EXPECTEDFAIL'):
        passed += 1
    elif result == 'SKIP':
        skipped += 1
    else:
        failed += 1
        print('failed: %s (%s)' % (rec.get('name'), result))
print('%d passed, %d failed, %d skipped' % (passed, failed, skipped))
