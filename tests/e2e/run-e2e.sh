#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
#
# Runs one end-to-end test of vidxd: starts the daemon on a UNIX socket,
# boots a Linux guest under QEMU TCG (from the cached trixie chroot made by
# setup-chroot.sh) with the device attached through vfio-user-pci, lets the
# guest test module (guest/) drive the DSA device, and decides pass/fail from
# the guest console.  With --selftest it runs no daemon and attaches QEMU's
# "edu" device instead, to check the harness itself (chroot, module build,
# initramfs, PCI enumeration, "device not found" report, power-off).
#
# Usage: run-e2e.sh [--mode trapped|mapped] [--selftest] [--keep]
# Environment:
#   VIDXD_BIN          daemon binary (default BUILD/src/daemon/vidxd)
#   VIDXD_SERVE_ARGS   daemon arguments; @SOCK@ and @MODE@ are replaced
#                      (default "serve --socket @SOCK@ --portal-mode @MODE@")
#   VIDXD_E2E_CACHE    chroot and module cache (default /var/cache/vidxd-e2e)
#   VIDXD_E2E_TIMEOUT  hard limit for one guest run in seconds (default 600)
#   VIDXD_E2E_LOGDIR   where console and daemon logs are kept
#                      (default BUILD/meson-logs/e2e)
#   VIDXD_E2E_MODARGS  extra guest module parameters, comma-separated
#   VIDXD_E2E_NAME     name of the run in messages and log file names
# Exit status: 0 pass, 1 fail, 77 skipped (no daemon binary yet).

set -uo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
SRCROOT=$(cd "$HERE/../.." && pwd)
BUILD=${VIDXD_BUILD_ROOT:-$SRCROOT/build}
CACHE=${VIDXD_E2E_CACHE:-/var/cache/vidxd-e2e}
export VIDXD_E2E_CACHE=$CACHE
VIDXD_BIN=${VIDXD_BIN:-$BUILD/src/daemon/vidxd}
SERVE_ARGS=${VIDXD_SERVE_ARGS:-serve --socket @SOCK@ --portal-mode @MODE@}
TIMEOUT=${VIDXD_E2E_TIMEOUT:-600}
LOGDIR=${VIDXD_E2E_LOGDIR:-$BUILD/meson-logs/e2e}
MODARGS=${VIDXD_E2E_MODARGS:-}

mode=trapped
selftest=0
keep=0
while [ $# -gt 0 ]; do
    case "$1" in
        --mode) mode=${2:-}; shift ;;
        --mode=*) mode=${1#*=} ;;
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
# The run's name labels its messages and log files.
name=${VIDXD_E2E_NAME:-$([ "$selftest" = 1 ] && echo selftest || echo "$mode")}

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
[ ${#SOCK} -lt 108 ] || fail "socket path too long for a UNIX socket: $SOCK (shorten VIDXD_E2E_CACHE)"
rm -rf "$WORK"
mkdir -p "$WORK" "$LOGDIR"
CONSOLE="$LOGDIR/console-$name.log"
DAEMON_LOG="$LOGDIR/daemon-$name.log"
: >"$CONSOLE"
: >"$DAEMON_LOG"

# alive PID: the process exists and is not a zombie (kill -0 succeeds on a
# zombie, so a daemon that crashed would look alive).
alive() {
    [ -r "/proc/$1/stat" ] && ! grep -q '^[0-9]* (.*) Z' "/proc/$1/stat" 2>/dev/null
}

daemon_pid=
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
cleanup() {
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
if [ "$selftest" = 1 ]; then
    DEVICE='edu'
    IDARG=1234:11e8
else
    args=${SERVE_ARGS//@SOCK@/$SOCK}
    args=${args//@MODE@/$mode}
    log "starting: $VIDXD_BIN $args"
    # shellcheck disable=SC2086 # word splitting of the argument string is intended
    "$VIDXD_BIN" $args >"$DAEMON_LOG" 2>&1 8>&- &
    daemon_pid=$!
    # Readiness = the socket file exists (the daemon listens before it creates
    # it, as bind() does); give up after 20 s or if the daemon exits.
    for _ in $(seq 200); do
        [ -S "$SOCK" ] && break
        alive "$daemon_pid" || break
        sleep 0.1
    done
    if [ ! -S "$SOCK" ]; then
        cat "$DAEMON_LOG"
        fail "the daemon did not create $SOCK within 20 s (daemon log above)"
    fi
    DEVICE="{\"driver\":\"vfio-user-pci\",\"socket\":{\"path\":\"$WDIR/vidxd.sock\",\"type\":\"unix\"}}"
    IDARG=8086:0b25
fi

# ---- QEMU -----------------------------------------------------------------
APPEND="console=ttyS0 quiet panic=-1 vidxd_e2e_id=$IDARG"
[ -n "$MODARGS" ] && APPEND="$APPEND vidxd_e2e_modargs=$MODARGS"
# shellcheck disable=SC2054 # the commas belong to QEMU option values
QEMU_ARGS=(
    qemu-system-x86_64 -accel tcg -smp 1 -m 512M
    -machine q35,memory-backend=mem
    -object memory-backend-memfd,id=mem,size=512M,share=on
    -nodefaults -no-user-config -display none -monitor none -serial stdio -no-reboot
    -kernel "/boot/vmlinuz-$KVER" -initrd "$WDIR/initrd.cpio" -append "$APPEND"
    -device "$DEVICE"
)
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

daemon_alive=1
daemon_rc=
if [ -n "$daemon_pid" ] && ! alive "$daemon_pid"; then
    daemon_alive=0
    wait "$daemon_pid"
    daemon_rc=$?
    daemon_pid=
fi
stop_daemon

# ---- verdict --------------------------------------------------------------
errors=()
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
    con -q 'vidxd-e2e: DONE pass=0 fail=1' || errors+=("no 'DONE pass=0 fail=1' line")
    con -Eq 'vidxd-e2e-init: insmod rc=[1-9]' \
        || errors+=("insmod did not fail without a device")
else
    con -q 'vidxd-e2e-init: found 8086:0b25 at' || errors+=("no 8086:0b25 device on the guest PCI bus")
    cls=$(line_value 'vidxd-e2e-init: found 8086:0b25 at [^ ]* class ')
    [ "$cls" = 0x088000 ] || errors+=("class code '$cls', expected 0x088000")
    msix=$(line_value 'vidxd-e2e-init: msix-count ')
    nwqs=$(line_value 'vidxd-e2e: INFO num_wqs=')
    if [ -z "$nwqs" ] || [ "$msix" != "$((nwqs + 1))" ]; then
        errors+=("lspci MSI-X table size '$msix', expected num_wqs+1 (num_wqs '$nwqs')")
    fi
    plan=$(line_value 'vidxd-e2e: START plan=')
    done_line=$(con -o 'vidxd-e2e: DONE pass=[0-9]* fail=[0-9]*' | head -n1)
    if [ -z "$done_line" ]; then
        errors+=("the module printed no DONE line")
    elif [ "$done_line" != "vidxd-e2e: DONE pass=$plan fail=0" ]; then
        errors+=("module result '$done_line', expected pass=$plan fail=0")
    fi
    if ! con -q 'vidxd-e2e-init: insmod rc=0'; then
        errors+=("insmod failed")
    elif ! con -q 'vidxd-e2e-init: rmmod rc=0'; then
        errors+=("rmmod failed")
    fi
    [ "$daemon_alive" = 1 ] || errors+=("the daemon died during the run (status $daemon_rc)")
fi

echo "---- results ($name) ----"
con -E 'vidxd-e2e(-init)?: (PASS|FAIL|DONE|INFO|found|msix-count|insmod|rmmod|device)' \
    | sed 's/^\[[ 0-9.]*\] //'
echo "boot+test time: $BOOT_TIME s"
if [ ${#errors[@]} -gt 0 ]; then
    for e in "${errors[@]}"; do
        echo "run-e2e[$name]: error: $e"
    done
    if [ -n "$daemon_pid" ]; then
        echo "---- daemon log (last 50 lines of $DAEMON_LOG) ----"
        tail -n 50 "$DAEMON_LOG"
    fi
    echo "console log: $CONSOLE"
    fail "${#errors[@]} problem(s)"
fi
log "PASS"
exit 0
