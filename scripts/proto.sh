#!/usr/bin/env bash
# Generate TypeScript for proto/tsvmi/v1/*.proto with ts-proto into src/generated
# (checked in), or with --check, into a temporary folder and fail when it differs
# from what is checked in — so the .proto files and the generated code never disagree.
#
# ts-proto options, and why:
#   forceLong=bigint        uint64 (addresses, seq, times) decode to exact bigint, never a
#                           lossy number and never `any`; bigint, not string, so values compute.
#   esModuleInterop=true    matches ESM imports of CommonJS modules.
#   importSuffix=.js        relative imports end in .js, as NodeNext module resolution requires.
#   oneof=unions-value      a oneof is a discriminated union { $case, value }, so a switch on
#                           MonitorEvent.reason is checked for exhaustiveness.
#   outputServices=false    no RPC stubs: transports are ours (embedded, NATS).
#   useExactTypes=false     create()/fromPartial() accept plain object literals without Exact<>.
#   env=node                Node only: `bytes` fields are Buffers (a Uint8Array subclass).
#   annotateFilesWithVersion=false
#                           no protoc/ts-proto versions in the header, so the check compares
#                           code, not whichever protoc a developer happens to have.
set -euo pipefail
cd "$(dirname "$0")/.."

opts=forceLong=bigint,esModuleInterop=true,importSuffix=.js,oneof=unions-value,outputServices=false,useExactTypes=false,env=node,annotateFilesWithVersion=false
plugin=node_modules/.bin/protoc-gen-ts_proto

generate() {
  mkdir -p "$1"
  protoc --plugin="protoc-gen-ts_proto=$plugin" --ts_proto_out="$1" --ts_proto_opt="$opts" \
    -I proto proto/tsvmi/v1/*.proto
}

if [ "${1:-}" = --check ]; then
  tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
  generate "$tmp"
  if ! diff -ru src/generated "$tmp" >&2; then
    echo "proto: src/generated is out of date with proto/; run npm run proto and commit the result" >&2
    exit 1
  fi
else
  rm -rf src/generated
  generate src/generated
fi
