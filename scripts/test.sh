#!/usr/bin/env bash
# The whole test suite, as CI runs it: tools, build, lint and layering rules, guests, tests.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n== %s\n' "$*" >&2; }

step "tools";  bash scripts/ensure-tools.sh
step "proto";  bash scripts/proto.sh --check
step "build";  npm run build   # tsc, and the dashboard page (Vite)
step "lint";   npx eslint . && npx depcruise --config .dependency-cruiser.cjs src clients
step "guests"; make -s -C guests -j2
step "docs";   npx typedoc --logLevel Warn
step "tests";  npx mocha "$@"
