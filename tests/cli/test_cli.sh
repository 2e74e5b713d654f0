#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# CLI tests of vidxd: a real daemon in a temporary state directory, every
# management verb with its exact output, every error path with its message
# and exit code, a VMM stand-in (vfu_peer.py) for the host/VM exclusion and
# vdev removal rules, then restarts (SIGTERM and kill -9) that must restore
# the configuration and the vdevs.  TAP output, one line per check.
#
# usage: test_cli.sh VIDXD_BINARY VFU_PEER_SCRIPT
# VIDXD_CLI_KEEP=1 keeps the temporary directory (state, daemon log).
set -u

VIDXD=$(readlink -f "$1")
PEER=$(readlink -f "$2")
T=$(mktemp -d /tmp/vidxd-cli-XXXXXX)
ST=$T/state
CTL=$T/control.sock
PFS=$T/dsa0.sock
DPID=
PEERS=()
n=0
failed=0

cleanup() {
    local p
    [ -n "${CHECKER_PID:-}" ] && kill "$CHECKER_PID" 2>/dev/null
    for p in "${PEERS[@]}"; do kill "$p" 2>/dev/null; done
    [ -n "$DPID" ] && kill -9 "$DPID" 2>/dev/null
    wait 2>/dev/null
    if [ -n "${VIDXD_CLI_KEEP:-}" ]; then
        echo "# kept $T (daemon log: $T/daemon.log)"
    else
        rm -rf "$T"
    fi
}
trap cleanup EXIT

ok() { n=$((n + 1)); echo "ok $n - $1"; }
notok() {
    n=$((n + 1)); failed=$((failed + 1))
    echo "not ok $n - $1"
    [ $# -gt 1 ] && printf '%s\n' "$2" | sed 's/^/#   /'
}
check() { # DESC COND-STATUS [DETAIL]
    if [ "$2" = 0 ]; then ok "$1"; else notok "$1" "${3:-}"; fi
}

# v ARGS...: run the CLI against the test daemon; sets RC, OUT, ERR.
v() {
    "$VIDXD" --control "$CTL" "$@" >"$T/out" 2>"$T/err"
    RC=$?
    OUT=$(cat "$T/out")
    ERR=$(cat "$T/err")
}

# expect_ok DESC ARGS...: exit 0.
expect_ok() {
    local desc=$1; shift
    v "$@"
    [ "$RC" = 0 ]; check "$desc" $? "exit $RC; stderr: $ERR"
}

# expect_out DESC STDOUT ARGS...: exit 0 and exactly this stdout.
expect_out() {
    local desc=$1 want=$2; shift 2
    v "$@"
    [ "$RC" = 0 ] && [ "$OUT" = "$want" ]
    check "$desc" $? "exit $RC; stdout: $OUT; stderr: $ERR; wanted: $want"
}

# expect_fail DESC EXIT STDERR ARGS...: that exit code, exactly that stderr.
expect_fail() {
    local desc=$1 code=$2 want=$3; shift 3
    v "$@"
    [ "$RC" = "$code" ] && [ "$ERR" = "$want" ]
    check "$desc" $? "exit $RC (wanted $code); stderr: $ERR; wanted: $want"
}

# json DESC PYTHON-EXPR: the expression holds over d = the last stdout
# parsed as JSON.  One Python process answers every check (a coprocess):
# starting one per check would cost most of the test's time.
CHECKER_PY='
import json, sys
for line in sys.stdin:
    path, expr = line.rstrip("\n").split("\t", 1)
    try:
        d = json.load(open(path))
        print("ok" if eval(expr) else "false")
    except Exception as e:
        print("error: " + repr(e).replace("\n", " "))
    sys.stdout.flush()
'
coproc CHECKER { python3 -S -E -u -c "$CHECKER_PY"; }
json() {
    local r
    printf '%s\t%s\n' "$T/out" "$2" >&"${CHECKER[1]}"
    read -r r <&"${CHECKER[0]}"
    [ "$r" = ok ]; check "$1" $? "$r; stdout: $OUT"
}

wait_for() { # COMMAND...: retry up to 10 s
    local i
    for i in $(seq 200); do "$@" && return 0; sleep 0.05; done
    return 1
}

start_daemon() {
    echo "--- start" >>"$T/daemon.log"
    "$VIDXD" serve --socket "$PFS" --control "$CTL" --state-dir "$ST" \
        --workers 1 -q >>"$T/daemon.log" 2>&1 &
    DPID=$!
    wait_for sh -c "'$VIDXD' --control '$CTL' list >/dev/null 2>&1"
    check "daemon started (control socket $CTL)" $? "$(tail -5 "$T/daemon.log")"
}

stop_daemon() { # SIGNAL
    kill "-$1" "$DPID"
    wait "$DPID" 2>/dev/null
    local rc=$?
    DPID=
    return $rc
}

# start_peer SOCKET NAME [hold]: a VMM stand-in holding a session (with
# "hold" also when refused); $NAME.status says what happened.
start_peer() { # SOCKET NAME [hold]
    rm -f "$T/$2.status"
    python3 -S -E "$PEER" "$1" "$T/$2.status" 30 ${3:-} &
    PEERS+=($!)
    eval "PEER_$2=$!"
    wait_for test -s "$T/$2.status"
}
peer_status() { cat "$T/$1.status" 2>/dev/null | tr '\n' ' ' | sed 's/ $//'; }

# ---------------------------------------------------------------------------
# Usage errors: found by the CLI itself (exit 2), no daemon needed.

HELP="(try 'vidxd help')"
expect_fail "no daemon: list says it cannot connect" 1 \
    "vidxd list: cannot connect to $CTL: No such file or directory (is the daemon running? start it with 'vidxd serve', or give --control PATH)" \
    list
"$VIDXD" >/dev/null 2>&1; [ $? = 2 ]; check "no verb: exit 2" $?
expect_fail "unknown verb" 2 "vidxd: unknown command 'frobnicate' (try 'vidxd help')" frobnicate
v help; [ "$RC" = 0 ] && grep -q '^  create-vdev dsa0 --wq' "$T/out"; check "help lists the verbs" $?
"$VIDXD" --control >/dev/null 2>"$T/err"; [ $? = 2 ] && [ "$(cat "$T/err")" = "vidxd: --control needs a PATH" ]
check "--control without PATH" $?
expect_fail "list: extra argument" 2 "vidxd list: unexpected argument 'x' $HELP" list x
expect_fail "config-wq: missing name" 2 "vidxd config-wq: needs the work queue name $HELP" config-wq --wq-size 4
expect_fail "config-wq: no option" 2 "vidxd config-wq: nothing to configure: give an option $HELP" config-wq dsa0/wq0.0
expect_fail "config-wq: two names" 2 "vidxd config-wq: unexpected argument 'wq0.1' $HELP" config-wq wq0.0 wq0.1 --wq-size 4
expect_fail "config-wq: size not a number" 2 \
    "vidxd config-wq: --wq-size must be an integer in 0..65535, not 'abc'" config-wq dsa0/wq0.0 --wq-size abc
expect_fail "config-wq: negative size" 2 \
    "vidxd config-wq: --wq-size must be an integer in 0..65535, not '-1'" config-wq dsa0/wq0.0 --wq-size -1
expect_fail "config-wq: bad mode" 2 \
    "vidxd config-wq: --mode must be one of dedicated shared, not 'both'" config-wq dsa0/wq0.0 --mode both
expect_fail "config-wq: bad type" 2 \
    "vidxd config-wq: --type must be one of none kernel user vdev, not 'mdev2'" config-wq dsa0/wq0.0 --type mdev2
expect_fail "config-wq: block-on-fault not 0|1" 2 \
    "vidxd config-wq: --block-on-fault must be an integer in 0..1, not '2'" config-wq dsa0/wq0.0 --block-on-fault 2
expect_fail "config-wq: priority above 15" 2 \
    "vidxd config-wq: --priority must be an integer in 0..15, not '16'" config-wq dsa0/wq0.0 --priority 16
expect_fail "config-group: traffic class above 7" 2 \
    "vidxd config-group: --traffic-class-a must be an integer in 0..7, not '8'" config-group dsa0/group0.0 --traffic-class-a 8
expect_fail "config-engine: missing name" 2 "vidxd config-engine: needs the engine name $HELP" config-engine --group-id 0
expect_fail "enable-device: missing name" 2 "vidxd enable-device: needs the device name $HELP" enable-device
expect_fail "disable-wq: unknown option" 2 "vidxd disable-wq: unknown option '--all' $HELP" disable-wq --all
expect_fail "create-vdev: missing --wq" 2 "vidxd create-vdev: needs --wq wq0.N[,wq0.M...] $HELP" create-vdev dsa0
expect_fail "create-vdev: missing device" 2 "vidxd create-vdev: needs a device name (dsa0) $HELP" create-vdev --wq wq0.1
expect_fail "create-vdev: malformed UUID" 2 \
    "vidxd create-vdev: malformed UUID 'not-a-uuid' (expected xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx)" \
    create-vdev dsa0 --wq wq0.1 --uuid not-a-uuid
expect_fail "remove-vdev: malformed UUID" 2 \
    "vidxd remove-vdev: malformed UUID '1234' (expected xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx)" remove-vdev 1234
expect_fail "remove-vdev: missing UUID" 2 "vidxd remove-vdev: needs a vdev UUID $HELP" remove-vdev
expect_fail "load-config: missing -c" 2 "vidxd load-config: needs -c FILE $HELP" load-config -e
expect_fail "stats: two devices" 2 "vidxd stats: unexpected argument 'dsa1' $HELP" stats dsa0 dsa1

# ---------------------------------------------------------------------------
# The daemon, configuration verbs, and their errors.

start_daemon
[ "$(stat -c %a "$CTL")" = 600 ]; check "control socket is 0600" $?
"$VIDXD" serve --socket "$T/other.sock" --state-dir "$ST" -q >/dev/null 2>"$T/err2"
[ $? = 1 ] && grep -q "state directory $ST is in use by another vidxd (pid $DPID)" "$T/err2"
check "a second daemon on the same state directory is refused" $? "$(cat "$T/err2")"

v list
json "list: one device, defaults" "len(d) == 1 and d[0]['dev'] == 'dsa0' and d[0]['state'] == 'disabled' \
 and d[0]['max_work_queues'] == 8 and d[0]['max_engines'] == 4 and d[0]['max_groups'] == 4 \
 and d[0]['work_queue_size'] == 128 and d[0]['max_read_buffers'] == 96 and d[0]['configurable'] == 1 \
 and d[0]['gen_cap'] == '0x40915f0107' and d[0]['version'] == '0x100' and d[0]['vdevs'] == [] \
 and d[0]['socket'] == '$PFS' and d[0]['vm_attached'] is False \
 and len(d[0]['groups']) == 4 and len(d[0]['ungrouped_workqueues']) == 8 and len(d[0]['ungrouped_engines']) == 4"

expect_out "config-device" "" config-device dsa0 --read-buffer-limit 48
expect_out "config-group" "" config-group dsa0/group0.0 --read-buffers-reserved 4 --read-buffers-allowed 64 \
    --use-read-buffer-limit 1 --traffic-class-a 2 --traffic-class-b 3
expect_out "config-engine engine0.0" "" config-engine dsa0/engine0.0 --group-id 0
expect_out "config-engine engine0.1 (short option)" "" config-engine dsa0/engine0.1 -g 1
expect_out "config-wq wq0.0 (every option)" "" config-wq dsa0/wq0.0 --group-id 0 --mode dedicated --wq-size 16 \
    --priority 10 --type kernel --name dma0chan0 --driver-name dmaengine --max-batch-size 32 \
    --max-transfer-size 2097152 --block-on-fault 0
expect_out "config-wq wq0.1 (vdev)" "" config-wq dsa0/wq0.1 --group-id 1 --wq-size 8 --priority 5 --type vdev --name vdev1
expect_out "config-wq wq0.2 (vdev)" "" config-wq dsa0/wq0.2 -g 1 -s 8 -p 5 -y vdev
expect_out "config-wq wq0.3 (vdev)" "" config-wq wq0.3 --group-id 1 --wq-size 8 --priority 5 --type vdev
v list
json "list shows the device, group and engine attributes" "d[0]['read_buffer_limit'] == 48 \
 and d[0]['groups'][0] == {'dev': 'group0.0', 'read_buffers_reserved': 4, 'use_read_buffer_limit': 1, \
 'read_buffers_allowed': 64, 'traffic_class_a': 2, 'traffic_class_b': 3, \
 'grouped_workqueues': d[0]['groups'][0]['grouped_workqueues'], 'grouped_engines': [{'dev': 'engine0.0', 'group_id': 0}]} \
 and d[0]['groups'][1]['grouped_engines'] == [{'dev': 'engine0.1', 'group_id': 1}] \
 and [e['dev'] for e in d[0]['ungrouped_engines']] == ['engine0.2', 'engine0.3']"
json "list shows the WQ attributes" "d[0]['groups'][0]['grouped_workqueues'] == [{'dev': 'wq0.0', 'mode': 'dedicated', \
 'size': 16, 'group_id': 0, 'priority': 10, 'block_on_fault': 0, 'max_batch_size': 32, \
 'max_transfer_size': 2097152, 'type': 'kernel', 'name': 'dma0chan0', 'driver_name': 'dmaengine', \
 'threshold': 0, 'state': 'disabled', 'vdev': None}] \
 and [(w['dev'], w['type'], w['size'], w['priority']) for w in d[0]['groups'][1]['grouped_workqueues']] == \
 [('wq0.1', 'vdev', 8, 5), ('wq0.2', 'vdev', 8, 5), ('wq0.3', 'vdev', 8, 5)]"

expect_fail "unknown device" 1 "vidxd config-device: unknown device 'dsa1' (this daemon manages dsa0)" \
    config-device dsa1 --read-buffer-limit 1
expect_fail "unknown work queue" 1 "vidxd config-wq: unknown work queue 'dsa0/wq0.9' (dsa0 has wq0.0..wq0.7)" \
    config-wq dsa0/wq0.9 --wq-size 1
expect_fail "unknown engine" 1 "vidxd config-engine: unknown engine 'dsa0/engine0.7' (dsa0 has engine0.0..engine0.3)" \
    config-engine dsa0/engine0.7 --group-id 0
expect_fail "unknown group" 1 "vidxd config-group: unknown group 'dsa0/group0.4' (dsa0 has group0.0..group0.3)" \
    config-group dsa0/group0.4 --traffic-class-a 1
expect_fail "malformed work queue name" 1 "vidxd config-wq: malformed wq name 'dsa0/queue0' (expected dsa0/wq0.N)" \
    config-wq dsa0/queue0 --wq-size 1
expect_fail "WQ size out of range" 1 "vidxd config-wq: dsa0/wq0.0: size 129 out of range (0..128)" \
    config-wq dsa0/wq0.0 --wq-size 129
expect_fail "group id out of range" 1 "vidxd config-wq: dsa0/wq0.0: group_id 4 out of range (-1..3)" \
    config-wq dsa0/wq0.0 --group-id 4
expect_fail "read buffer limit above the device's" 1 \
    "vidxd config-device: dsa0: read_buffer_limit 200 out of range (0..96)" config-device dsa0 --read-buffer-limit 200
expect_fail "max batch size above the device's" 1 \
    "vidxd config-wq: dsa0/wq0.0: max_batch_size 4096 out of range (1..1024)" config-wq dsa0/wq0.0 --max-batch-size 4096
expect_fail "shared mode unsupported" 1 \
    "vidxd config-wq: dsa0/wq0.0: dsa0 does not support shared WQs (WQCAP.shared_mode = 0)" config-wq dsa0/wq0.0 --mode shared
expect_fail "name with a space" 1 \
    "vidxd config-wq: dsa0/wq0.0: name may only hold printable characters without spaces" config-wq dsa0/wq0.0 --name "a b"

v enable-wq dsa0/wq0.0
[ "$RC" = 1 ] && [ "$ERR" = "vidxd enable-wq: dsa0/wq0.0: ENABLE_WQ failed: CMDSTS 0x20 (device not enabled)" ] \
    && [ "$OUT" = "enabled 0 wq(s) out of 1" ]
check "enable-wq on a disabled device: CMDSTS 0x20" $? "exit $RC; $OUT; $ERR"
expect_fail "create-vdev on a disabled device" 1 \
    "vidxd create-vdev: dsa0 is not enabled: run 'vidxd enable-device dsa0' first" create-vdev dsa0 --wq wq0.1
expect_out "config-wq wq0.4 size 120 (sum 160 > 128)" "" config-wq dsa0/wq0.4 --group-id 0 --wq-size 120 --priority 1
v enable-device dsa0
[ "$RC" = 1 ] && [ "$ERR" = "vidxd enable-device: dsa0: ENABLE_DEVICE failed: CMDSTS 0x14 (sum of WQ sizes exceeds total_wq_size)" ] \
    && [ "$OUT" = "enabled 0 device(s) out of 1" ]
check "enable-device with WQ sizes summing above total_wq_size: CMDSTS 0x14" $? "exit $RC; $OUT; $ERR"
expect_out "config-wq wq0.4 back to size 0, no group" "" config-wq dsa0/wq0.4 --wq-size 0 --group-id -1
expect_fail "disable-device when disabled: CMDSTS 0x31" 1 \
    "vidxd disable-device: dsa0: DISABLE_DEVICE failed: CMDSTS 0x31 (device not enabled)" disable-device dsa0

expect_out "enable-device" "enabled 1 device(s) out of 1" enable-device dsa0
expect_fail "enable-device twice: CMDSTS 0x10" 1 \
    "vidxd enable-device: dsa0: ENABLE_DEVICE failed: CMDSTS 0x10 (device already enabled)" enable-device dsa0
expect_fail "config-engine while enabled" 1 \
    "vidxd config-engine: dsa0 is enabled: disable it before changing the device, groups or engines" \
    config-engine dsa0/engine0.2 --group-id 0
expect_out "enable-wq" "enabled 1 wq(s) out of 1" enable-wq dsa0/wq0.0
expect_out "disable-wq" "disabled 1 wq(s) out of 1" disable-wq dsa0/wq0.0
expect_fail "disable-wq when disabled: CMDSTS 0x33" 1 \
    "vidxd disable-wq: dsa0/wq0.0: DISABLE_WQ failed: CMDSTS 0x33 (WQ not enabled)" disable-wq dsa0/wq0.0
expect_out "enable-wq again" "enabled 1 wq(s) out of 1" enable-wq dsa0/wq0.0
expect_fail "enable-wq of a vdev WQ" 1 \
    "vidxd enable-wq: dsa0/wq0.1 has type vdev: it is enabled by the guest of the vdev that uses it" enable-wq dsa0/wq0.1
expect_fail "enable-wq of a WQ of type none" 1 \
    "vidxd enable-wq: dsa0/wq0.5 has type none: set --type kernel or user first" enable-wq dsa0/wq0.5
expect_fail "config-wq of an enabled WQ" 1 "vidxd config-wq: dsa0/wq0.0 is enabled: disable it first" \
    config-wq dsa0/wq0.0 --priority 3
v list
json "list: device and wq0.0 enabled" "d[0]['state'] == 'enabled' \
 and d[0]['groups'][0]['grouped_workqueues'][0]['state'] == 'enabled'"

# ---------------------------------------------------------------------------
# vdevs.

U1=6f0b4a52-1c1e-4c2a-9d0e-5d7b1c2a3b4c
expect_fail "create-vdev on a kernel WQ" 1 \
    "vidxd create-vdev: dsa0/wq0.0 has type kernel, not vdev: configure it with 'vidxd config-wq dsa0/wq0.0 --type vdev'" \
    create-vdev dsa0 --wq wq0.0
expect_fail "create-vdev on an unknown WQ" 1 \
    "vidxd create-vdev: unknown work queue 'wq0.8' (dsa0 has wq0.0..wq0.7)" create-vdev dsa0 --wq wq0.8
expect_fail "create-vdev over non-consecutive WQs with mapped portals" 1 \
    "vidxd create-vdev: with mapped portals the WQs of a vdev must be consecutive and in order (e.g. wq0.1,wq0.2)" \
    create-vdev dsa0 --wq wq0.1,wq0.3
expect_out "create-vdev with a UUID" "uuid: $U1
device: dsa0
wqs: wq0.1
pasid: 1
socket: $ST/vdev-$U1.sock
qemu: -device '{\"driver\":\"vfio-user-pci\",\"socket\":{\"path\":\"$ST/vdev-$U1.sock\",\"type\":\"unix\"}}'" \
    create-vdev dsa0 --wq wq0.1 --uuid "$U1"
[ -S "$ST/vdev-$U1.sock" ]; check "the vdev socket exists" $?
expect_fail "create-vdev on a WQ already used" 1 \
    "vidxd create-vdev: dsa0/wq0.1 is already used by vdev $U1" create-vdev dsa0 --wq wq0.1
expect_fail "create-vdev with a UUID already used" 1 \
    "vidxd create-vdev: a vdev with UUID $U1 already exists" create-vdev dsa0 --wq wq0.2 --uuid "$U1"
v create-vdev dsa0 --wq wq0.2,wq0.3
U2=$(sed -n 's/^uuid: //p' "$T/out")
[ "$RC" = 0 ] && [ ${#U2} = 36 ] && grep -qx "wqs: wq0.2,wq0.3" "$T/out" && grep -qx "pasid: 2" "$T/out" \
    && grep -qx "socket: $ST/vdev-$U2.sock" "$T/out"
check "create-vdev with a generated UUID over two WQs" $? "$OUT $ERR"
v list --vdevs
json "list --vdevs" "[(x['uuid'], x['dev'], x['wqs'], x['pasid'], x['socket'], x['connected']) for x in d] == \
 [('$U1', 'dsa0', ['wq0.1'], 1, '$ST/vdev-$U1.sock', False), ('$U2', 'dsa0', ['wq0.2', 'wq0.3'], 2, '$ST/vdev-$U2.sock', False)] \
 and d[0]['qemu'] == '-device \\'{\"driver\":\"vfio-user-pci\",\"socket\":{\"path\":\"$ST/vdev-$U1.sock\",\"type\":\"unix\"}}\\''"
v list-vdevs
cp "$T/out" "$T/lv"
v list --vdevs
cmp -s "$T/out" "$T/lv"; check "list-vdevs is list --vdevs" $?
v list
json "list: vdevs and the WQs they use" "[x['uuid'] for x in d[0]['vdevs']] == ['$U1', '$U2'] \
 and [w['vdev'] for w in d[0]['groups'][1]['grouped_workqueues']] == ['$U1', '$U2', '$U2']"
expect_fail "remove-vdev of an unknown UUID" 1 \
    "vidxd remove-vdev: no vdev with UUID 00000000-0000-0000-0000-000000000000" \
    remove-vdev 00000000-0000-0000-0000-000000000000
expect_fail "disable-device with vdevs" 1 "vidxd disable-device: dsa0 has 2 vdev(s): remove them before disabling it" \
    disable-device dsa0
expect_fail "config-wq of a vdev's WQ" 1 "vidxd config-wq: dsa0/wq0.1 is used by vdev $U1: remove the vdev first" \
    config-wq dsa0/wq0.1 --priority 3

# A VMM on the PF socket is refused while the host uses dsa0 (EBUSY = 16).
start_peer "$PFS" pf1
[ "$(peer_status pf1)" = "refused 16" ]; check "VMM refused on the PF while vdevs exist (EBUSY)" $? "$(peer_status pf1)"
start_peer "$PFS" pf1b hold
[ "$(peer_status pf1b)" = "refused 16" ]; check "a refused VMM may stay connected" $? "$(peer_status pf1b)"
expect_out "it does not own dsa0: host changes go on" "" config-wq dsa0/wq0.5 --priority 1
v list
json "and list does not show a VM" "d[0]['vm_attached'] is False"
kill "$PEER_pf1b"; wait "$PEER_pf1b" 2>/dev/null

# VMMs on both vdevs; removal refused, then forced; the other one stays.
start_peer "$ST/vdev-$U1.sock" v1
start_peer "$ST/vdev-$U2.sock" v2
[ "$(peer_status v1)" = accepted ] && [ "$(peer_status v2)" = accepted ]
check "VMMs attach to both vdevs" $? "v1: $(peer_status v1) v2: $(peer_status v2)"
v list --vdevs
json "list --vdevs shows both connected" "[x['connected'] for x in d] == [True, True]"
expect_fail "remove-vdev while a VMM is connected" 1 \
    "vidxd remove-vdev: vdev $U1 is in use by a VMM (connected to $ST/vdev-$U1.sock): use --force to disconnect it" \
    remove-vdev "$U1"
expect_out "remove-vdev --force" "removed vdev $U1" remove-vdev --force "$U1"
wait_for test "$(peer_status v1)" = "accepted closed"
check "the forced removal disconnected that VMM" $? "$(peer_status v1)"
[ ! -e "$ST/vdev-$U1.sock" ]; check "its socket is gone" $?
kill -0 "$PEER_v2" 2>/dev/null && [ "$(peer_status v2)" = accepted ]
check "the other vdev's VMM is undisturbed" $? "$(peer_status v2)"
v list --vdevs
json "the other vdev is still connected" "[(x['uuid'], x['connected']) for x in d] == [('$U2', True)]"
kill "$PEER_v2"; wait "$PEER_v2" 2>/dev/null
wait_for sh -c "'$VIDXD' --control '$CTL' list --vdevs | grep -q '\"connected\":false'"
check "a VMM leaving is seen" $?
expect_out "create-vdev again with the same UUID" "uuid: $U1
device: dsa0
wqs: wq0.1
pasid: 1
socket: $ST/vdev-$U1.sock
qemu: -device '{\"driver\":\"vfio-user-pci\",\"socket\":{\"path\":\"$ST/vdev-$U1.sock\",\"type\":\"unix\"}}'" \
    create-vdev dsa0 --wq wq0.1 --uuid "$U1"

# ---------------------------------------------------------------------------
# stats, save-config.

v stats
json "stats: every WQ with its counters" "len(d) == 1 and d[0]['dev'] == 'dsa0' \
 and [w['dev'] for w in d[0]['wqs']] == ['wq0.%d' % i for i in range(8)] \
 and all(sorted(w) == ['aborted', 'bytes', 'dev', 'dropped', 'errors', 'ops', 'rejected', 'submitted'] for w in d[0]['wqs']) \
 and all(w['ops'] == 0 and w['bytes'] == 0 and w['errors'] == 0 and w['dropped'] == 0 for w in d[0]['wqs'])"
v stats dsa0
json "stats dsa0" "d[0]['dev'] == 'dsa0' and len(d[0]['wqs']) == 8"
expect_fail "stats of an unknown device" 1 "vidxd stats: unknown device 'dsa3' (this daemon manages dsa0)" stats dsa3
expect_out "save-config -s" "saved configuration to $T/saved.json" save-config -s "$T/saved.json"
cp "$T/saved.json" "$T/out"
json "saved file: accel-config format" "isinstance(d, list) and d[0]['dev'] == 'dsa0' and d[0]['read_buffer_limit'] == 48 \
 and d[0]['state'] == 'enabled' and d[0]['groups'][0]['dev'] == 'group0.0' \
 and d[0]['groups'][0]['read_buffers_allowed'] == 64 \
 and d[0]['groups'][0]['grouped_workqueues'] == [{'dev': 'wq0.0', 'mode': 'dedicated', 'size': 16, 'group_id': 0, \
 'priority': 10, 'block_on_fault': 0, 'max_batch_size': 32, 'max_transfer_size': 2097152, 'type': 'kernel', \
 'name': 'dma0chan0', 'driver_name': 'dmaengine', 'threshold': 0, 'state': 'enabled'}] \
 and d[0]['groups'][0]['grouped_engines'] == [{'dev': 'engine0.0', 'group_id': 0}]"
v save-config
cp "$T/out" "$T/before.json"

# ---------------------------------------------------------------------------
# Malformed requests on the control socket: answered, daemon unharmed.

python3 -S -E - "$CTL" >"$T/raw" 2>&1 <<'EOF'
import socket, sys
def ask(data):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(sys.argv[1])
    s.sendall(data)
    s.shutdown(socket.SHUT_WR)
    out = b''
    while True:
        c = s.recv(65536)
        if not c:
            break
        out += c
    s.close()
    return out.decode()
print(ask(b'garbage\n'), end='')
print(ask(b'{"cmd":"config-wq","dev":"dsa0/wq0.0","attrs":{"size":[[[[]]]]}}\n'), end='')
print(ask(b'{"cmd":"list","cmd":"x"}\n'), end='')
print(ask(b'x' * 300000), end='')
EOF
[ "$(sed -n 2p "$T/raw")" = '{"ok":false,"error":"dsa0/wq0.0: size must be an integer","code":22}' ] \
    && grep -q '^{"ok":false,"error":"request is not valid JSON: ' "$T/raw" \
    && grep -qx '{"ok":false,"error":"unknown command '"'"'x'"'"'","code":22}' "$T/raw" \
    && grep -qx '{"ok":false,"error":"request longer than 262144 bytes","code":90}' "$T/raw"
check "malformed and oversized requests get error replies" $? "$(cat "$T/raw")"
v save-config
cmp -s "$T/out" "$T/before.json"; check "and change nothing" $?

# ---------------------------------------------------------------------------
# Restart with SIGTERM, then kill -9: everything comes back.

restored() { # DESC
    v save-config
    cmp -s "$T/out" "$T/before.json"; check "$1: configuration and enable state restored" $? "$(diff "$T/out" "$T/before.json")"
    v list --vdevs
    json "$1: both vdevs restored with their UUIDs, PASIDs and sockets" \
        "[(x['uuid'], x['wqs'], x['pasid'], x['socket']) for x in d] == \
 [('$U2', ['wq0.2', 'wq0.3'], 2, '$ST/vdev-$U2.sock'), ('$U1', ['wq0.1'], 1, '$ST/vdev-$U1.sock')]"
    [ -S "$ST/vdev-$U1.sock" ] && [ -S "$ST/vdev-$U2.sock" ]; check "$1: vdev sockets served" $?
    v list
    json "$1: device and wq0.0 enabled" "d[0]['state'] == 'enabled' \
 and d[0]['groups'][0]['grouped_workqueues'][0]['state'] == 'enabled'"
}
stop_daemon TERM; check "SIGTERM: the daemon exits 0" $?
[ ! -e "$CTL" ] && [ ! -e "$ST/vdev-$U1.sock" ]; check "SIGTERM: sockets removed" $?
start_daemon
restored "after SIGTERM"
start_peer "$ST/vdev-$U2.sock" v3
[ "$(peer_status v3)" = accepted ]; check "a VMM attaches to a restored vdev" $? "$(peer_status v3)"
stop_daemon KILL
start_daemon
restored "after kill -9"

# ---------------------------------------------------------------------------
# load-config, and the PF given to a VM.

expect_out "remove-vdev $U1" "removed vdev $U1" remove-vdev "$U1"
expect_out "remove-vdev $U2" "removed vdev $U2" remove-vdev "$U2"
printf '[{"dev":"dsa0",' >"$T/broken.json"
v load-config -c "$T/broken.json"
[ "$RC" = 1 ] && case "$ERR" in "vidxd load-config: $T/broken.json is not valid JSON ("*) true ;; *) false ;; esac
check "load-config of a broken file" $? "$ERR"
expect_fail "load-config of a missing file" 1 \
    "vidxd load-config: cannot read $T/none.json: No such file or directory" load-config -c "$T/none.json"
expect_fail "load-config while enabled" 1 "vidxd load-config: dsa0 is enabled: disable it before load-config" \
    load-config -c "$T/saved.json"
expect_out "disable-device" "disabled 1 device(s) out of 1" disable-device dsa0

start_peer "$PFS" pf2
[ "$(peer_status pf2)" = accepted ]; check "VMM accepted on the PF when the host is idle" $? "$(peer_status pf2)"
expect_fail "host changes refused while dsa0 is assigned to a VM" 1 \
    "vidxd config-wq: dsa0 is assigned to a VM (a VMM is connected to $PFS): it cannot be managed until the VMM disconnects" \
    config-wq dsa0/wq0.0 --priority 2
v list
json "list shows the VM" "d[0]['vm_attached'] is True"
kill "$PEER_pf2"; wait "$PEER_pf2" 2>/dev/null
wait_for sh -c "'$VIDXD' --control '$CTL' list | grep -q '\"vm_attached\":false'"
check "the VM leaves" $?

expect_out "load-config -e" "loaded configuration from $T/saved.json
enabled dsa0
enabled wq0.0" load-config -c "$T/saved.json" -e
v save-config
cmp -s "$T/out" "$T/before.json"; check "load-config restores what save-config saved" $? "$(diff "$T/out" "$T/before.json")"

# ---------------------------------------------------------------------------
# A corrupt state file is reported, kept aside, and the daemon starts clean.

stop_daemon TERM
printf '{"version":1,"devices":[{"dev":"dsa0",' >"$ST/state.json"
start_daemon
moved=$(ls "$ST"/state.json.corrupt-* 2>/dev/null | head -1)
[ -n "$moved" ] && [ "$(cat "$moved")" = '{"version":1,"devices":[{"dev":"dsa0",' ] && [ ! -e "$ST/state.json" ]
check "corrupt state file kept as $(basename "${moved:-state.json.corrupt-?}")" $?
grep -q "state not restored, starting with defaults: $ST/state.json: not valid JSON" "$T/daemon.log"
check "corrupt state file reported" $? "$(tail -3 "$T/daemon.log")"
v list
json "defaults after a corrupt state file" "d[0]['state'] == 'disabled' and d[0]['vdevs'] == [] \
 and d[0]['read_buffer_limit'] == 0 and len(d[0]['ungrouped_workqueues']) == 8"
stop_daemon TERM

echo "1..$n"
[ "$failed" = 0 ]
