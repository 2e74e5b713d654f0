#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
#
# Runs one end-to-end test of vidxd: starts the daemon on a UNIX socket,
# boots a Linux guest under QEMU TCG (from the cached trixie chroot made by
# setup-chroot.sh) with the device attached through vfio-user-pci, lets the
# guest test module (guest/) drive the DSA device, and decides pass/fail from
# the guest console.  With --vdevs N the guest gets N virtual devices
# instead: the daemon's control plane configures N parent WQs of type vdev
# and creates one vdev on each through the vidxd CLI, all N are attached to
# the one guest, and the run also checks the CLI's view (list, stats,
# remove-vdev).  With --selftest it runs no daemon and attaches QEMU's "edu"
# device instead, to check the harness itself (chroot, module build,
# initramfs, PCI enumeration, "device not found" report, power-off).
#
# Usage: run-e2e.sh [--mode trapped|mapped] [--vdevs N] [--read-only]
#                   [--config FILE] [--expect-config configurable|read-only]
#                   [--expect-handles yes|no] [--selftest] [--keep]
#   --mode            portal mode of the daemon (vdevs inherit it)
#   --vdevs N         N vdevs (1..8) through the control plane; 0 (default)
#                     attaches the daemon's device itself
#   --read-only       daemon option --read-only (GENCAP.config_en = 0)
#   --config FILE     daemon option --config FILE (a device description)
#   --expect-config   what the guest must find in GENCAP.config_en (default
#                     read-only with --vdevs or --read-only, else configurable)
#   --expect-handles  whether the guest must get interrupt handles from
#                     REQUEST_INT_HANDLE (default yes with --vdevs, else no)
# Environment:
#   VIDXD_BIN          daemon and CLI binary (default BUILD/tools/vidxd)
#   VIDXD_SERVE_ARGS   daemon arguments; @SOCK@, @MODE@, @STATE@ (a fresh
#                      state directory), @CONTROL@ (control socket) and
#                      @WORK@ (the work directory) are replaced (default
#                      "serve --socket @SOCK@ --portal-mode @MODE@
#                      --state-dir @STATE@", plus "--control @CONTROL@
#                      --vdev-dir @WORK@" with --vdevs; --read-only and
#                      --config are appended)
#   VIDXD_E2E_CACHE    chroot and module cache (default /var/cache/vidxd-e2e)
#   VIDXD_E2E_TIMEOUT  hard limit for one guest run in seconds (default 600)
#   VIDXD_E2E_LOGDIR   where console, daemon and CLI logs are kept
#                      (default BUILD/meson-logs/e2e)
#   VIDXD_E2E_MODARGS  extra guest module parameters, comma-separated
#   VIDXD_E2E_SMP      guest CPUs (default 1)
#   VIDXD_E2E_NAME     name of the run in messages and log file names
# Exit status: 0 pass, 1 fail, 77 skipped (no daemon binary yet, not root).

set -uo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
SRCROOT=$(cd "$HERE/../.." && pwd)
BUILD=${VIDXD_BUILD_ROOT:-$SRCROOT/build}
CACHE=${VIDXD_E2E_CACHE:-/var/cache/vidxd-e2e}
export VIDXD_E2E_CACHE=$CACHE
VIDXD_BIN=${VIDXD_BIN:-$BUILD/tools/vidxd}
TIMEOUT=${VIDXD_E2E_TIMEOUT:-600}
LOGDIR=${VIDXD_E2E_LOGDIR:-$BUILD/meson-logs/e2e}
MODARGS=${VIDXD_E2E_MODARGS:-}
SMP=${VIDXD_E2E_SMP:-1}

mode=trapped
selftest=0
keep=0
nvdevs=0
read_only=0
devconfig=
expect_config=
expect_handles=
while [ $# -gt 0 ]; do
    case "$1" in
        --mode) mode=${2:-}; shift ;;
        --mode=*) mode=${1#*=} ;;
        --vdevs) nvdevs=${2:-}; shift ;;
        --read-only) read_only=1 ;;
        --config) devconfig=${2:-}; shift ;;
        --expect-config) expect_config=${2:-}; shift ;;
        --expect-handles) expect_handles=${2:-}; shift ;;
        --selftest) selftest=1 ;;
        --keep) keep=1 ;;
        -h|--help) sed -n '3,/^$/p' "$0" | sed 's/^# \?//'; exit 0 ;;
        *) echo "run-e2e: unknown argument '$1'" >&2; exit 1 ;;
    esac
    shift
done
case "$mode" in
    trapped|mapped) ;;
    *) echo "run-e2e: --mode must be trapped or mapped" >&2; exit 1 ;;
esac
case "$nvdevs" in
    [0-8]) ;;
    *) echo "run-e2e: --vdevs must be 0..8" >&2; exit 1 ;;
esac
if [ -z "$expect_config" ]; then
    if [ "$nvdevs" -gt 0 ] || [ "$read_only" = 1 ]; then
        expect_config=read-only
    else
        expect_config=configurable
    fi
fi
if [ -z "$expect_handles" ]; then
    if [ "$nvdevs" -gt 0 ]; then expect_handles=yes; else expect_handles=no; fi
fi
case "$expect_config/$expect_handles" in
    configurable/yes|configurable/no|read-only/yes|read-only/no) ;;
    *) echo "run-e2e: bad --expect-config or --expect-handles" >&2; exit 1 ;;
esac
if [ -n "$devconfig" ] && [ ! -r "$devconfig" ]; then
    echo "run-e2e: cannot read --config $devconfig" >&2
    exit 1
fi
# The run's name labels its messages and log files.
default_name=$mode
[ "$nvdevs" -gt 0 ] && default_name=vdev-$mode
[ "$selftest" = 1 ] && default_name=selftest
name=${VIDXD_E2E_NAME:-$default_name}

log() { echo "run-e2e[$name]: $*"; }
fail() { echo "run-e2e[$name]: FAIL: $*"; exit 1; }
now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }

if [ "$selftest" = 0 ] && [ ! -x "$VIDXD_BIN" ]; then
    echo "run-e2e[$name]: SKIP: daemon binary $VIDXD_BIN does not exist yet (set VIDXD_BIN)"
    exit 77
fi
if [ "$(id -u)" != 0 ]; then
    echo "run-e2e[$name]: SKIP: needs root (debootstrap, chroot, mounts)"
    exit 77
fi

# ---- chroot ---------------------------------------------------------------
t0=$(now)
ROOT=$("$HERE/setup-chroot.sh" --print-root) || fail "the trixie chroot could not be built (see setup-chroot messages above)"
# Keep a refresh (setup-chroot.sh --refresh) from replacing the chroot
# while this run uses it.
exec 8>"$CACHE/.use-lock"
flock -s 8
[ -f "$ROOT/.vidxd-e2e-complete" ] || fail "the chroot was replaced while starting; run again"
log "chroot ready in $(elapsed "$t0") s: $ROOT"
KVER=$(ls "$ROOT/lib/modules" | sort -V | tail -n1)
QEMU_VERSION=$(chroot "$ROOT" qemu-system-x86_64 --version | head -n1)
log "guest kernel $KVER; $QEMU_VERSION"

# ---- guest module (cached by source hash and kernel version) --------------
t0=$(now)
hash=$( (cd "$HERE/guest" && cat vidxd_e2e.c Kbuild Makefile; echo "$KVER") | sha256sum | cut -c1-16)
KO="$CACHE/modules/$hash/vidxd_e2e.ko"
if [ ! -f "$KO" ]; then
    mkdir -p "$CACHE/modules"
    (
        flock 9
        if [ ! -f "$KO" ]; then
            bdir="$ROOT/var/tmp/vidxd-e2e-build.$$"
            rm -rf "$bdir"
            mkdir -p "$bdir"
            cp "$HERE/guest/vidxd_e2e.c" "$HERE/guest/Kbuild" "$HERE/guest/Makefile" "$bdir/"
            if ! chroot "$ROOT" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin \
                    make -C "/var/tmp/vidxd-e2e-build.$$" KVER="$KVER" >"$bdir.log" 2>&1; then
                cat "$bdir.log"
                rm -rf "$bdir" "$bdir.log"
                exit 1
            fi
            mkdir -p "$(dirname "$KO")"
            cp "$bdir/vidxd_e2e.ko" "$KO.tmp" && mv "$KO.tmp" "$KO"
            rm -rf "$bdir" "$bdir.log"
        fi
    ) 9>"$CACHE/modules/.lock" || fail "the guest module does not build against $KVER"
    log "guest module built in $(elapsed "$t0") s"
else
    log "guest module cached: $KO"
fi

# ---- work directory inside the chroot (QEMU sees it as /run/...) ----------
for d in "$ROOT"/run/vidxd-e2e.*; do
    [ -d "$d" ] || continue
    kill -0 "${d##*.}" 2>/dev/null || rm -rf "$d"
done
WDIR=/run/vidxd-e2e.$$
WORK="$ROOT$WDIR"
SOCK="$WORK/vidxd.sock"
CONTROL="$WORK/control.sock"
STATE="$WORK/state"
[ ${#SOCK} -lt 108 ] || fail "socket path too long for a UNIX socket: $SOCK (shorten VIDXD_E2E_CACHE)"
rm -rf "$WORK"
mkdir -p "$WORK" "$LOGDIR"
CONSOLE="$LOGDIR/console-$name.log"
DAEMON_LOG="$LOGDIR/daemon-$name.log"
CLI_LOG="$LOGDIR/cli-$name.log"
: >"$CONSOLE"
: >"$DAEMON_LOG"
: >"$CLI_LOG"

# alive PID: the process exists and is not a zombie (kill -0 succeeds on a
# zombie, so a daemon that crashed would look alive).
alive() {
    [ -r "/proc/$1/stat" ] && ! grep -q '^[0-9]* (.*) Z' "/proc/$1/stat" 2>/dev/null
}

daemon_pid=
poller_pid=
stop_daemon() {
    local _
    [ -n "$daemon_pid" ] || return 0
    if alive "$daemon_pid"; then
        kill "$daemon_pid" 2>/dev/null
        for _ in $(seq 100); do
            alive "$daemon_pid" || break
            sleep 0.1
        done
        if alive "$daemon_pid"; then
            log "the daemon ignored SIGTERM for 10 s; killing it"
            kill -9 "$daemon_pid" 2>/dev/null
        fi
    fi
    wait "$daemon_pid" 2>/dev/null
    daemon_pid=
}
stop_poller() {
    [ -n "$poller_pid" ] || return 0
    kill "$poller_pid" 2>/dev/null
    wait "$poller_pid" 2>/dev/null
    poller_pid=
}
cleanup() {
    stop_poller
    stop_daemon
    if [ "$keep" = 0 ]; then
        rm -rf "$WORK"
    else
        log "kept $WORK"
    fi
}
trap cleanup EXIT
trap 'exit 1' INT TERM

# ---- initramfs ------------------------------------------------------------
t0=$(now)
IRD="$WORK/initramfs"
mkdir -p "$IRD"/{bin,sbin,usr/bin,proc,sys,dev,tmp,etc}
cp "$ROOT/bin/busybox" "$IRD/bin/busybox"
cp "$HERE/guest-init.sh" "$IRD/init"
chmod 755 "$IRD/init"
cp "$KO" "$IRD/vidxd_e2e.ko"
# lspci, and kmod's insmod/rmmod: busybox insmod retries a failed
# finit_module() with init_module(), which would run the test plan twice.
mkdir -p "$IRD/usr/sbin"
for bin in /usr/bin/lspci /usr/bin/kmod; do
    cp "$ROOT$bin" "$IRD$bin"
    # Dynamic binaries: copy their libraries and the loader as the chroot resolves them.
    for lib in $(chroot "$ROOT" ldd "$bin" | grep -Eo '/[^ ]+'); do
        mkdir -p "$IRD$(dirname "$lib")"
        cp -L "$ROOT$lib" "$IRD$lib" || fail "cannot copy $lib for $bin"
    done
done
ln -s ../bin/kmod "$IRD/usr/sbin/insmod"
ln -s ../bin/kmod "$IRD/usr/sbin/rmmod"
if [ -f "$ROOT/usr/share/misc/pci.ids" ]; then
    mkdir -p "$IRD/usr/share/misc"
    cp "$ROOT/usr/share/misc/pci.ids" "$IRD/usr/share/misc/"
fi
# The chroot's busybox makes the archive: no cpio needed on the host.
chroot "$ROOT" /bin/sh -c "cd $WDIR/initramfs && find . | busybox cpio -o -H newc -R 0:0" \
    >"$WORK/initrd.cpio" 2>"$WORK/cpio.log" || { cat "$WORK/cpio.log"; fail "cpio could not build the initramfs"; }
rm -rf "$IRD"
log "initramfs built in $(elapsed "$t0") s ($(du -h "$WORK/initrd.cpio" | cut -f1))"

# ---- daemon ---------------------------------------------------------------
errors=()
UUIDS=()
VSOCKS=()
DEVICES=()
CLI_OUT=

# cli ARGS...: the vidxd CLI against the daemon; the command, its output
# and status go to the CLI log; the output is left in CLI_OUT.
cli() {
    local rc
    CLI_OUT=$("$VIDXD_BIN" --control "$CONTROL" "$@" 2>&1 8>&-)
    rc=$?
    { echo "\$ vidxd --control $CONTROL $*"; echo "$CLI_OUT"; echo "(exit $rc)"; } >>"$CLI_LOG"
    return $rc
}
# vdev_states UUID...: reads `vidxd list --vdevs` (an array of vdevs) or
# `vidxd list` (an array of devices, each with its "vdevs") on stdin;
# prints "UUID connected|disconnected|missing" for each UUID and "total N".
vdev_states() {
    python3 -c '
import json, sys
try:
    top = json.load(sys.stdin)
    if top and "vdevs" in top[0]:
        top = [v for d in top for v in d["vdevs"]]
    vdevs = {v["uuid"]: v for v in top}
except (ValueError, TypeError, KeyError, IndexError) as e:
    print("unparsable", e)
    sys.exit(1)
for u in sys.argv[1:]:
    v = vdevs.get(u)
    print(u, "missing" if v is None else
          "connected" if v.get("connected") is True else "disconnected")
print("total", len(vdevs))
' "$@"
}
# count_state STATE: how many UUIDs vdev_states found in STATE (stdin).
count_state() { grep -c " $1\$"; }
cli_fail() {
    echo "---- CLI log ($CLI_LOG) ----"
    cat "$CLI_LOG"
    echo "---- daemon log (last 30 lines) ----"
    tail -n 30 "$DAEMON_LOG"
    fail "$*"
}

if [ "$selftest" = 1 ]; then
    DEVICES=('edu')
    IDARG=1234:11e8
else
    if [ -n "${VIDXD_SERVE_ARGS:-}" ]; then
        args=$VIDXD_SERVE_ARGS
    else
        args="serve --socket @SOCK@ --portal-mode @MODE@ --state-dir @STATE@"
        [ "$nvdevs" -gt 0 ] && args="$args --control @CONTROL@ --vdev-dir @WORK@"
    fi
    [ "$read_only" = 1 ] && args="$args --read-only"
    [ -n "$devconfig" ] && args="$args --config $devconfig"
    args=${args//@SOCK@/$SOCK}
    args=${args//@MODE@/$mode}
    args=${args//@STATE@/$STATE}
    args=${args//@CONTROL@/$CONTROL}
    args=${args//@WORK@/$WORK}
    log "starting: $VIDXD_BIN $args"
    # shellcheck disable=SC2086 # word splitting of the argument string is intended
    "$VIDXD_BIN" $args >"$DAEMON_LOG" 2>&1 8>&- &
    daemon_pid=$!
    # Readiness = the socket files exist (the daemon listens before it
    # creates them, as bind() does); give up after 20 s or if the daemon exits.
    ready() { [ -S "$SOCK" ] && { [ "$nvdevs" = 0 ] || [ -S "$CONTROL" ]; }; }
    for _ in $(seq 200); do
        ready && break
        alive "$daemon_pid" || break
        sleep 0.1
    done
    if ! ready; then
        cat "$DAEMON_LOG"
        fail "the daemon did not create $SOCK (and the control socket) within 20 s (daemon log above)"
    fi
    IDARG=8086:0b25
    if [ "$nvdevs" = 0 ]; then
        DEVICES=("{\"driver\":\"vfio-user-pci\",\"socket\":{\"path\":\"$WDIR/vidxd.sock\",\"type\":\"unix\"}}")
    fi
fi

# ---- virtual devices through the control plane (docs/cli.md) -------------
if [ "$nvdevs" -gt 0 ]; then
    t0=$(now)
    # One group with one engine and N dedicated WQs of type vdev; each vdev
    # gets one of them.
    cli config-engine dsa0/engine0.0 --group-id 0 || cli_fail "config-engine refused"
    for i in $(seq 0 $((nvdevs - 1))); do
        cli config-wq "dsa0/wq0.$i" --group-id 0 --mode dedicated --wq-size 16 \
            --priority 10 --type vdev || cli_fail "config-wq dsa0/wq0.$i refused"
    done
    cli enable-device dsa0 || cli_fail "enable-device refused"
    for i in $(seq 0 $((nvdevs - 1))); do
        uuid=$(printf 'e2e00000-0000-4000-8000-%012x' $((i + 1)))
        cli create-vdev dsa0 --wq "wq0.$i" --uuid "$uuid" || cli_fail "create-vdev on wq0.$i refused"
        vsock=$(sed -n 's/^socket: //p' <<<"$CLI_OUT")
        [ "$(sed -n 's/^uuid: //p' <<<"$CLI_OUT")" = "$uuid" ] \
            || cli_fail "create-vdev printed another UUID than $uuid"
        [ "$(sed -n 's/^wqs: //p' <<<"$CLI_OUT")" = "wq0.$i" ] \
            || cli_fail "create-vdev printed other WQs than wq0.$i"
        [ "$vsock" = "$WORK/vdev-$uuid.sock" ] \
            || cli_fail "create-vdev printed socket '$vsock', expected $WORK/vdev-$uuid.sock (--vdev-dir)"
        [ -S "$vsock" ] || cli_fail "the vdev socket $vsock does not exist after create-vdev"
        grep -q "^qemu: -device '{\"driver\":\"vfio-user-pci\",\"socket\":{\"path\":\"$vsock\"" <<<"$CLI_OUT" \
            || cli_fail "create-vdev's qemu line does not name $vsock"
        UUIDS+=("$uuid")
        VSOCKS+=("$vsock")
        # The socket as QEMU sees it, inside the chroot.
        DEVICES+=("{\"driver\":\"vfio-user-pci\",\"socket\":{\"path\":\"${vsock#"$ROOT"}\",\"type\":\"unix\"}}")
    done
    cli list --vdevs || cli_fail "list --vdevs failed"
    st=$(vdev_states "${UUIDS[@]}" <<<"$CLI_OUT")
    [ "$(count_state disconnected <<<"$st")" = "$nvdevs" ] && grep -qx "total $nvdevs" <<<"$st" \
        || cli_fail "list --vdevs before the guest: $(tr '\n' ' ' <<<"$st"), expected $nvdevs vdevs, none connected"
    log "control plane: $nvdevs vdev(s) created in $(elapsed "$t0") s (CLI log $CLI_LOG)"

    # While the guest runs, `vidxd list` must show every vdev with its VMM.
    (
        while :; do
            if out=$("$VIDXD_BIN" --control "$CONTROL" list 2>/dev/null) &&
                [ "$(vdev_states "${UUIDS[@]}" <<<"$out" | count_state connected)" = "$nvdevs" ]; then
                echo "$out" >"$WORK/list-connected.json"
                exit 0
            fi
            sleep 0.25
        done
    ) 8>&- &
    poller_pid=$!
fi

# ---- QEMU -----------------------------------------------------------------
APPEND="console=ttyS0 quiet panic=-1 vidxd_e2e_id=$IDARG"
[ -n "$MODARGS" ] && APPEND="$APPEND vidxd_e2e_modargs=$MODARGS"
# shellcheck disable=SC2054 # the commas belong to QEMU option values
QEMU_ARGS=(
    qemu-system-x86_64 -accel tcg -smp "$SMP" -m 512M
    -machine q35,memory-backend=mem
    -object memory-backend-memfd,id=mem,size=512M,share=on
    -nodefaults -no-user-config -display none -monitor none -serial stdio -no-reboot
    -kernel "/boot/vmlinuz-$KVER" -initrd "$WDIR/initrd.cpio" -append "$APPEND"
)
for d in "${DEVICES[@]}"; do
    QEMU_ARGS+=(-device "$d")
done
log "QEMU command line (inside the chroot): ${QEMU_ARGS[*]}"
t0=$(now)
# A private mount namespace gives QEMU /proc and /dev in the chroot and drops
# the mounts when it exits; every step execs, so timeout signals QEMU itself.
timeout --kill-after=10 "$TIMEOUT" \
    unshare --mount --propagation private -- /bin/sh -c '
        root=$1; shift
        mount -t proc proc "$root/proc" && mount --rbind /dev "$root/dev" || exit 125
        exec chroot "$root" "$@"
    ' sh "$ROOT" "${QEMU_ARGS[@]}" </dev/null 8>&- 2>&1 | tee "$CONSOLE"
qrc=${PIPESTATUS[0]}
BOOT_TIME=$(elapsed "$t0")
log "QEMU exited with status $qrc after $BOOT_TIME s"
stop_poller

daemon_alive=1
daemon_rc=
if [ -n "$daemon_pid" ] && ! alive "$daemon_pid"; then
    daemon_alive=0
    wait "$daemon_pid"
    daemon_rc=$?
    daemon_pid=
fi

# ---- virtual devices after the guest ---------------------------------------
if [ "$nvdevs" -gt 0 ]; then
    if [ -s "$WORK/list-connected.json" ]; then
        cp "$WORK/list-connected.json" "$LOGDIR/list-connected-$name.json"
        log "vidxd list showed all $nvdevs vdevs with a connected VMM during the run ($LOGDIR/list-connected-$name.json)"
    else
        errors+=("vidxd list never showed all $nvdevs vdevs connected while the guest ran")
    fi
fi
if [ "$nvdevs" -gt 0 ] && [ "$daemon_alive" = 1 ]; then
    # QEMU has exited: the daemon notices the disconnects (give it 5 s).
    st=
    for _ in $(seq 50); do
        cli list --vdevs && st=$(vdev_states "${UUIDS[@]}" <<<"$CLI_OUT") &&
            [ "$(count_state disconnected <<<"$st")" = "$nvdevs" ] && break
        sleep 0.1
    done
    [ "$(count_state disconnected <<<"$st")" = "$nvdevs" ] \
        || errors+=("after power-off list --vdevs shows: $(tr '\n' ' ' <<<"$st")(expected all disconnected)")
    # Each vdev's descriptors went to its own parent WQ.
    if cli stats dsa0; then
        if ! python3 -c '
import json, sys
n = int(sys.argv[1])
dev = [d for d in json.load(sys.stdin) if d["dev"] == "dsa0"][0]
wqs = {w["dev"]: w for w in dev["wqs"]}
ok = True
for i in range(n):
    w = wqs.get("wq0.%d" % i, {})
    print("wq0.%d: %s" % (i, " ".join("%s=%s" % (k, v) for k, v in w.items() if k != "dev")))
    ok = ok and w.get("submitted", 0) > 0 and w.get("dropped", 1) == 0
sys.exit(0 if ok else 1)
' "$nvdevs" <<<"$CLI_OUT" >"$WORK/stats.txt" 2>&1; then
            errors+=("stats: a vdev parent WQ took no descriptor or dropped some: $(tr '\n' ';' <"$WORK/stats.txt")")
        fi
        sed 's/^/parent /' "$WORK/stats.txt" | while read -r l; do log "$l"; done
    else
        errors+=("stats dsa0 failed: $CLI_OUT")
    fi
    for i in "${!UUIDS[@]}"; do
        if ! cli remove-vdev "${UUIDS[$i]}"; then
            errors+=("remove-vdev ${UUIDS[$i]} failed: $CLI_OUT")
        elif [ "$CLI_OUT" != "removed vdev ${UUIDS[$i]}" ]; then
            errors+=("remove-vdev ${UUIDS[$i]} printed '$CLI_OUT'")
        fi
        [ ! -e "${VSOCKS[$i]}" ] || errors+=("the socket ${VSOCKS[$i]} still exists after remove-vdev")
    done
    if cli list --vdevs; then
        st=$(vdev_states "${UUIDS[@]}" <<<"$CLI_OUT")
        grep -qx "total 0" <<<"$st" || errors+=("list --vdevs after remove-vdev: $(tr '\n' ' ' <<<"$st")")
    else
        errors+=("list --vdevs after remove-vdev failed: $CLI_OUT")
    fi
    alive "$daemon_pid" || errors+=("the daemon died while the vdevs were removed")
fi
stop_daemon

# ---- verdict --------------------------------------------------------------
con() { grep -a "$@" "$CONSOLE"; }
# line_value PREFIX: the word that follows PREFIX on its first console line.
line_value() { con "$1" | head -n1 | sed "s/.*$1\([^ ]*\).*/\1/" | tr -d '\r'; }

[ "$qrc" = 124 ] || [ "$qrc" = 137 ] && errors+=("the guest did not finish within $TIMEOUT s")
[ "$qrc" = 0 ] || [ "$qrc" = 124 ] || [ "$qrc" = 137 ] \
    || errors+=("QEMU failed with status $qrc")
con -q 'vidxd-e2e-init: END' || errors+=("the guest init did not reach its end")
ndone=$(con -c 'vidxd-e2e: DONE ')
[ "$ndone" = 1 ] || errors+=("$ndone DONE lines from the module, expected 1")
if con -Eq 'Kernel panic|BUG:|Oops|WARNING:|Call Trace'; then
    errors+=("the guest kernel reported a bug/warning/panic")
fi

if [ "$selftest" = 1 ]; then
    con -q "vidxd-e2e-init: found $IDARG at" \
        || errors+=("the init did not find the edu device $IDARG on the PCI bus")
    con -q 'vidxd-e2e: FAIL probe: device 8086:0b25 not found' \
        || errors+=("the module did not report 'device not found'")
    con -q 'vidxd-e2e: DONE devices=0 plan=0 pass=0 fail=1' \
        || errors+=("no 'DONE devices=0 plan=0 pass=0 fail=1' line")
    con -Eq 'vidxd-e2e-init: insmod rc=[1-9]' \
        || errors+=("insmod did not fail without a device")
else
    want=$([ "$nvdevs" -gt 0 ] && echo "$nvdevs" || echo 1)
    # Checks per device (the module's plan): 21, and 3 more with handles.
    per=21
    [ "$expect_handles" = yes ] && per=24
    total=$((want * per))
    [ "$want" -gt 1 ] && total=$((total + 1))
    bdfs=$(con -o "vidxd-e2e-init: found $IDARG at [^ ]*" | sed 's/.* at //' | tr -d '\r')
    nfound=$(echo "$bdfs" | grep -c .)
    [ "$nfound" = "$want" ] || errors+=("the guest has $nfound device(s) $IDARG, expected $want")
    for bdf in $bdfs; do
        cls=$(line_value "vidxd-e2e-init: found $IDARG at $bdf class ")
        [ "$cls" = 0x088000 ] || errors+=("$bdf: class code '$cls', expected 0x088000")
        msix=$(line_value "vidxd-e2e-init: msix-count $bdf ")
        nwqs=$(line_value "vidxd-e2e: dev $bdf INFO num_wqs=")
        if [ -z "$nwqs" ] || [ "$msix" != "$((nwqs + 1))" ]; then
            errors+=("$bdf: lspci MSI-X table size '$msix', expected num_wqs+1 (num_wqs '$nwqs')")
        fi
        paths=$(con -o "vidxd-e2e: dev $bdf INFO config=[^ ]* handles=[^ ]*" | head -n1 \
            | sed 's/.* INFO //' | tr -d '\r')
        [ "$paths" = "config=$expect_config handles=$expect_handles" ] \
            || errors+=("$bdf: the guest found '$paths', expected 'config=$expect_config handles=$expect_handles'")
        # The portal mode the guest sees is the one the daemon was given
        # (QEMU falls back to trapped accesses if it cannot map a region).
        pm=$(line_value "vidxd-e2e: dev $bdf INFO portal=")
        [ "$pm" = "$mode" ] || errors+=("$bdf: the guest sees a '$pm' portal, expected $mode")
        if [ "$nvdevs" -gt 0 ]; then
            # The vdev shows its parent WQ as configured through the CLI.
            con -q "vidxd-e2e: dev $bdf INFO read-only config: WQ 0 size 16 priority 10 " \
                || errors+=("$bdf: the guest did not load WQ 0 with size 16 and priority 10 from the vdev")
        fi
        res=$(con -o "vidxd-e2e: dev $bdf DONE plan=[0-9]* pass=[0-9]* fail=[0-9]*" | head -n1 | tr -d '\r')
        [ "$res" = "vidxd-e2e: dev $bdf DONE plan=$per pass=$per fail=0" ] \
            || errors+=("$bdf: module result '${res:-none}', expected plan=$per pass=$per fail=0")
    done
    if [ "$want" -gt 1 ]; then
        con -q 'vidxd-e2e: PASS concurrency' || errors+=("the devices did not run concurrently")
    fi
    done_line=$(con -o 'vidxd-e2e: DONE devices=[0-9]* plan=[0-9]* pass=[0-9]* fail=[0-9]*' | head -n1)
    if [ -z "$done_line" ]; then
        errors+=("the module printed no DONE line")
    elif [ "$done_line" != "vidxd-e2e: DONE devices=$want plan=$total pass=$total fail=0" ]; then
        errors+=("module result '$done_line', expected devices=$want plan=$total pass=$total fail=0")
    fi
    if ! con -q 'vidxd-e2e-init: insmod rc=0'; then
        errors+=("insmod failed")
    elif ! con -q 'vidxd-e2e-init: rmmod rc=0'; then
        errors+=("rmmod failed")
    fi
    [ "$daemon_alive" = 1 ] || errors+=("the daemon died during the run (status $daemon_rc)")
fi

echo "---- results ($name) ----"
con -E 'vidxd-e2e(-init)?: (PASS|FAIL|DONE|INFO|dev|found|msix-count|insmod|rmmod|device)' \
    | sed 's/^\[[ 0-9.]*\] //'
echo "boot+test time: $BOOT_TIME s"
if [ ${#errors[@]} -gt 0 ]; then
    for e in "${errors[@]}"; do
        echo "run-e2e[$name]: error: $e"
    done
    echo "---- daemon log (last 50 lines of $DAEMON_LOG) ----"
    tail -n 50 "$DAEMON_LOG"
    [ -s "$CLI_LOG" ] && echo "CLI log: $CLI_LOG"
    echo "console log: $CONSOLE"
    fail "${#errors[@]} problem(s)"
fi
log "PASS"
exit 0
