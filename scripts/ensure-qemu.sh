#!/usr/bin/env bash
# Install QEMU (qemu-system-x86_64), the oracle the demo OS in guests/os is
# checked against (make -C guests check-os), when it is missing.
# Like ensure-tools.sh: CI runs as root on Debian; others get a clear message.
set -euo pipefail

command -v qemu-system-x86_64 >/dev/null 2>&1 && exit 0

echo "ensure-qemu: installing qemu-system-x86" >&2
if [ "$(id -u)" -ne 0 ]; then
  echo "ensure-qemu: qemu-system-x86_64 is missing and we are not root; install it with: sudo apt-get install qemu-system-x86" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >&2
apt-get install -y -qq --no-install-recommends qemu-system-x86 >&2
command -v qemu-system-x86_64 >/dev/null 2>&1
