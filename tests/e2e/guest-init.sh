#!/bin/busybox sh
# shellcheck shell=dash
# SPDX-License-Identifier: BSD-3-Clause
#
# /init of the e2e guest's busybox initramfs.  It enumerates the PCI bus
# through sysfs, reports the IDs, class and MSI-X table size (lspci) of
# every tested device, loads the guest test module (which runs the test
# plan on all of them and prints "vidxd-e2e: ..." lines), unloads it, and
# powers the VM off.  Every line it prints starts with "vidxd-e2e-init: "
# so that run-e2e.sh can parse the console.  Settings come from the kernel command line:
#   vidxd_e2e_id=VVVV:DDDD    device to look for (default 8086:0b25)
#   vidxd_e2e_modargs=a=1,b=2 module parameters for insmod

/bin/busybox mkdir -p /proc /sys /dev /tmp
/bin/busybox mount -t proc proc /proc
/bin/busybox mount -t sysfs sysfs /sys
/bin/busybox mount -t devtmpfs devtmpfs /dev 2>/dev/null
/bin/busybox --install -s /bin
export PATH=/bin:/sbin:/usr/bin:/usr/sbin

say() { echo "vidxd-e2e-init: $*"; }

want=8086:0b25
modargs=
for w in $(cat /proc/cmdline); do
    case "$w" in
        vidxd_e2e_id=*) want=${w#*=} ;;
        vidxd_e2e_modargs=*) modargs=$(echo "${w#*=}" | tr , ' ') ;;
    esac
done
say "start kernel=$(uname -r) id=$want"

found=
for d in /sys/bus/pci/devices/*; do
    [ -e "$d/vendor" ] || continue
    id="$(sed 's/^0x//' "$d/vendor"):$(sed 's/^0x//' "$d/device")"
    say "pci ${d##*/} $id class $(cat "$d/class")"
    [ "$id" = "$want" ] && found="$found ${d##*/}"
done

# Every matching function (a guest may have several vdevs): its identity,
# lspci's view and its MSI-X table size.
for bdf in $found; do
    say "found $want at $bdf class $(cat "/sys/bus/pci/devices/$bdf/class")"
    /usr/bin/lspci -nn -vv -s "$bdf" >/tmp/lspci.txt 2>&1
    sed "s/^/vidxd-e2e-init: lspci $bdf: /" /tmp/lspci.txt
    n=$(sed -n 's/.*MSI-X: Enable[+-] Count=\([0-9]*\).*/\1/p' /tmp/lspci.txt)
    say "msix-count $bdf ${n:-none}"
done
[ -n "$found" ] || say "device $want not found"

# kmod's insmod, not busybox's: busybox retries a failed finit_module() with
# init_module(), which would run the plan twice.  Let the module's KERN_INFO
# lines reach the console as they happen.
echo 7 >/proc/sys/kernel/printk
/usr/sbin/insmod /vidxd_e2e.ko $modargs
rc=$?
say "insmod rc=$rc"
if [ "$rc" = 0 ]; then
    /usr/sbin/rmmod vidxd_e2e
    say "rmmod rc=$?"
fi
say "END"
sync
poweroff -f
# Only reached if ACPI power-off failed; QEMU runs with -no-reboot.
reboot -f
