#!/usr/bin/env bash
# Install the system tools the build and the tests need, when they are missing.
# CI runs as root on a clean Debian machine; developers without root get a clear message.
set -euo pipefail

need=()
have() { command -v "$1" >/dev/null 2>&1; }
have gcc || need+=(gcc)
have make || need+=(make)
{ have as && have objcopy && have nm && have objdump; } || need+=(binutils)

# QEMU is the whole-machine oracle (guests boot under qemu-system-x86_64 -kernel too).
have qemu-system-x86_64 || need+=(qemu-system-x86)

# protoc runs ts-proto (npm run proto) and decodes events in the interop tests.
have protoc || need+=(protobuf-compiler)

# A real NATS server for the monitor transport's integration tests and bench:nats-floor
# (tests start their own on a random loopback port; nothing runs as a service).
have nats-server || need+=(nats-server)

# The real gdb: gdbsx is tested against it (its target description, and sessions).
have gdb || need+=(gdb)

# Debian's Chromium, headless, for the dashboard's browser tests (driven by playwright-core,
# which never downloads a browser of its own here).
[ -x /usr/bin/chromium ] || need+=(chromium)

if [ ${#need[@]} -gt 0 ]; then
  echo "ensure-tools: installing ${need[*]}" >&2
  if [ "$(id -u)" -ne 0 ]; then
    echo "ensure-tools: missing ${need[*]} and not root; install them with: sudo apt-get install ${need[*]}" >&2
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2
  apt-get install -y -qq --no-install-recommends "${need[@]}" >&2
fi
