#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
#
# Creates, verifies and caches the Debian trixie chroot that the e2e suite
# runs in: QEMU 11.x with the vfio-user-pci client (trixie-backports), a 6.12
# guest kernel with its headers (to build the guest test module), gcc/make,
# busybox-static and pciutils for the initramfs.  The host (bookworm) has no
# QEMU with vfio-user, hence the chroot (design.md "Environment facts that
# shape the tests").  The chroot lives outside the git tree; a stamp file
# holding the recipe marks it complete.  A missing or different stamp means
# the chroot is rebuilt from scratch in a temporary directory that replaces
# the old one only once it is verified, so an interrupted run never leaves a
# half-built chroot that looks complete.
#
# Usage: setup-chroot.sh [--refresh] [--print-root]
#   --refresh     rebuild even if the cached chroot is complete
#   --print-root  print the chroot path on stdout when done (logs go to stderr)
# Environment:
#   VIDXD_E2E_CACHE   cache directory (default /var/cache/vidxd-e2e)
#   VIDXD_E2E_MIRROR  Debian mirror (default: the host's deb.debian.org entry)
# Exit status: 0 ready, 1 failed (message on stderr).

set -euo pipefail

CACHE=${VIDXD_E2E_CACHE:-/var/cache/vidxd-e2e}
SUITE=trixie
ROOT="$CACHE/$SUITE"
STAMP_NAME=.vidxd-e2e-complete
INCLUDE=linux-image-amd64,linux-headers-amd64,gcc,make,busybox-static,kmod,pciutils,libc6-dev
# Backports packages.  qemu-system-x86 with --no-install-recommends still
# pulls seabios and the option ROMs it needs through Depends (verified by
# booting below); qemu-system-data is a Depends of qemu-system-common.
BPO_PACKAGES="qemu-system-x86"
# Bump when the recipe changes so that cached chroots are rebuilt.
RECIPE_VERSION=1

refresh=0
print_root=0
for arg in "$@"; do
    case "$arg" in
        --refresh) refresh=1 ;;
        --print-root) print_root=1 ;;
        -h|--help) sed -n '3,/^$/p' "$0" | sed 's/^# \?//'; exit 0 ;;
        *) echo "setup-chroot: unknown argument '$arg'" >&2; exit 1 ;;
    esac
done

log() { echo "setup-chroot: $*" >&2; }
die() { echo "setup-chroot: ERROR: $*" >&2; exit 1; }

[ "$(id -u)" = 0 ] || die "must run as root (debootstrap and chroot need it)"

# The only network we have is the Debian archive: reuse the host's mirror.
find_mirror() {
    local f uri
    if [ -n "${VIDXD_E2E_MIRROR:-}" ]; then
        echo "$VIDXD_E2E_MIRROR"
        return
    fi
    for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list \
             /etc/apt/sources.list.d/*.sources; do
        [ -r "$f" ] || continue
        uri=$(grep -Eo 'https?://[^ ]+/debian/?( |$)' "$f" 2>/dev/null \
              | grep -v -- '-security' | head -n1 | tr -d ' ') || true
        if [ -n "$uri" ]; then
            echo "${uri%/}"
            return
        fi
    done
    echo "http://deb.debian.org/debian"
}

MIRROR=$(find_mirror)
RECIPE="recipe=$RECIPE_VERSION suite=$SUITE mirror=$MIRROR include=$INCLUDE bpo=$BPO_PACKAGES"

is_complete() {
    [ -f "$1/$STAMP_NAME" ] && [ "$(head -n1 "$1/$STAMP_NAME")" = "$RECIPE" ]
}

finish() {
    if [ "$print_root" = 1 ]; then
        echo "$ROOT"
    fi
    exit 0
}

if [ "$refresh" = 0 ] && is_complete "$ROOT"; then
    log "cached chroot is complete: $ROOT"
    finish
fi

mkdir -p "$CACHE"
exec 9>"$CACHE/.lock"
log "waiting for the cache lock $CACHE/.lock"
flock 9
# Another run may have finished the build while we waited.
if [ "$refresh" = 0 ] && is_complete "$ROOT"; then
    log "cached chroot is complete: $ROOT"
    finish
fi

for tool in debootstrap unshare chroot; do
    if ! command -v "$tool" >/dev/null 2>&1; then
        if [ "$tool" = debootstrap ]; then
            log "installing debootstrap on the host"
            DEBIAN_FRONTEND=noninteractive apt-get install -y -q debootstrap >&2 \
                || { apt-get update -q >&2 && DEBIAN_FRONTEND=noninteractive \
                     apt-get install -y -q debootstrap >&2; } \
                || die "cannot install debootstrap with apt-get"
        else
            die "'$tool' is missing on the host"
        fi
    fi
done

# retry N CMD...: the archive occasionally drops a connection.
retry() {
    local n=$1 i
    shift
    for ((i = 1; i <= n; i++)); do
        if "$@"; then
            return 0
        fi
        log "attempt $i/$n failed: $*"
        sleep $((i * 5))
    done
    return 1
}

# Runs a command inside the chroot with /proc, /sys and /dev mounted in a
# private mount namespace, so the mounts disappear with the command even if
# it is killed.
in_chroot() {
    local dir=$1
    shift
    unshare --mount --propagation private -- /bin/sh -c '
        set -e
        dir=$1; shift
        mount -t proc proc "$dir/proc"
        mount -t sysfs sys "$dir/sys"
        mount --rbind /dev "$dir/dev"
        exec chroot "$dir" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin \
            DEBIAN_FRONTEND=noninteractive LC_ALL=C.UTF-8 HOME=/root "$@"
    ' sh "$dir" "$@"
}

APT_OPTS="-y -q -o Acquire::Retries=5 -o Dpkg::Use-Pty=0"

build() {
    local tmp=$1 start
    start=$(date +%s)
    rm -rf "$tmp"
    mkdir -p "$tmp"

    log "debootstrap $SUITE from $MIRROR into $tmp (minbase + $INCLUDE)"
    # A private mount namespace: debootstrap mounts /proc and /sys in the
    # target and would leave them behind if interrupted.
    if ! unshare --mount --propagation private -- \
            debootstrap --variant=minbase --include="$INCLUDE" \
            "$SUITE" "$tmp" "$MIRROR" >"$CACHE/debootstrap.log" 2>&1; then
        log "debootstrap failed; last lines of $CACHE/debootstrap.log:"
        tail -n 30 "$CACHE/debootstrap.log" >&2
        if [ -f "$tmp/debootstrap/debootstrap.log" ]; then
            tail -n 30 "$tmp/debootstrap/debootstrap.log" >&2
        fi
        return 1
    fi
    log "debootstrap done in $(($(date +%s) - start)) s"

    # No daemons may start inside the chroot during package installation.
    printf '#!/bin/sh\nexit 101\n' >"$tmp/usr/sbin/policy-rc.d"
    chmod 755 "$tmp/usr/sbin/policy-rc.d"
    cat >"$tmp/etc/apt/sources.list.d/vidxd-e2e.sources" <<EOF
Types: deb
URIs: $MIRROR
Suites: $SUITE-backports
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF
    # debootstrap leaves only the main suite in sources.list.
    if ! grep -q "^deb " "$tmp/etc/apt/sources.list" 2>/dev/null; then
        echo "deb $MIRROR $SUITE main" >"$tmp/etc/apt/sources.list"
    fi
    # The e2e suite never needs documentation; keep the chroot small.
    cat >"$tmp/etc/dpkg/dpkg.cfg.d/01-vidxd-nodoc" <<'EOF'
path-exclude /usr/share/doc/*
path-exclude /usr/share/man/*
path-exclude /usr/share/locale/*
path-exclude /usr/share/info/*
EOF

    log "apt-get update (with $SUITE-backports)"
    retry 3 in_chroot "$tmp" apt-get $APT_OPTS update >&2 \
        || { log "apt-get update failed in the chroot"; return 1; }
    log "installing $BPO_PACKAGES from $SUITE-backports"
    retry 3 in_chroot "$tmp" apt-get $APT_OPTS install -t "$SUITE-backports" \
            --no-install-recommends $BPO_PACKAGES >&2 \
        || { log "apt-get install $BPO_PACKAGES failed in the chroot"; return 1; }
    in_chroot "$tmp" apt-get -q clean >&2 || true
    log "packages installed in $(($(date +%s) - start)) s"
}

# Checks that the chroot has everything run-e2e.sh needs and that QEMU
# starts with the vfio-user client and a BIOS (a full boot is run-e2e.sh's
# job; here QEMU runs the firmware for a moment with no kernel).
verify() {
    local dir=$1 kver qver
    kver=$(ls "$dir/lib/modules" 2>/dev/null | sort -V | tail -n1)
    [ -n "$kver" ] || { log "no kernel in $dir/lib/modules"; return 1; }
    [ -f "$dir/boot/vmlinuz-$kver" ] || { log "missing /boot/vmlinuz-$kver"; return 1; }
    [ -e "$dir/lib/modules/$kver/build/Makefile" ] \
        || { log "missing headers /lib/modules/$kver/build"; return 1; }
    [ -x "$dir/bin/busybox" ] || { log "missing busybox-static"; return 1; }
    [ -x "$dir/usr/bin/lspci" ] || { log "missing lspci"; return 1; }
    [ -x "$dir/usr/bin/qemu-system-x86_64" ] || { log "missing qemu-system-x86_64"; return 1; }
    qver=$(in_chroot "$dir" qemu-system-x86_64 --version | head -n1) \
        || { log "qemu-system-x86_64 does not run"; return 1; }
    if ! in_chroot "$dir" qemu-system-x86_64 -device help 2>&1 | grep -q '"vfio-user-pci"'; then
        log "$qver has no vfio-user-pci device"
        return 1
    fi
    # Firmware check: QEMU exits at once if bios-256k.bin is missing; still
    # running when timeout stops it (status 124) means the firmware loaded.
    local rc=0
    in_chroot "$dir" timeout 5 qemu-system-x86_64 -accel tcg -machine q35 \
        -nodefaults -display none -serial none -monitor none \
        >"$CACHE/qemu-verify.log" 2>&1 || rc=$?
    if [ "$rc" != 124 ]; then
        log "QEMU does not start (status $rc; firmware missing?):"
        cat "$CACHE/qemu-verify.log" >&2
        return 1
    fi
    log "verified: kernel $kver, $qver"
}

start=$(date +%s)
tmp="$CACHE/$SUITE.new"
ok=0
for attempt in 1 2; do
    if build "$tmp" && verify "$tmp"; then
        ok=1
        break
    fi
    log "chroot build attempt $attempt failed"
    [ "$attempt" = 2 ] || sleep 15
done
[ "$ok" = 1 ] || { rm -rf "$tmp"; die "could not build the $SUITE chroot (see messages above)"; }

echo "$RECIPE" >"$tmp/$STAMP_NAME"
date -u +%Y-%m-%dT%H:%M:%SZ >>"$tmp/$STAMP_NAME"
# run-e2e.sh holds a shared lock on .use-lock while a guest runs from the
# chroot: wait for running tests before replacing it.
exec 8>"$CACHE/.use-lock"
log "waiting for e2e runs that use the old chroot"
flock 8
rm -rf "$ROOT.old"
if [ -d "$ROOT" ]; then
    mv "$ROOT" "$ROOT.old"
fi
mv "$tmp" "$ROOT"
rm -rf "$ROOT.old"
flock -u 8
# Built guest modules belong to the old kernel headers.
rm -rf "$CACHE/modules"
log "chroot ready in $(($(date +%s) - start)) s: $ROOT ($(du -sh "$ROOT" | cut -f1))"
finish
