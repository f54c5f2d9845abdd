#!/usr/bin/env bash
# proto-python.sh: generate the Python SDK's protobuf and gRPC modules
# (harness/scorer/python/srbench_plugin/_pb/) from the srbench contract and
# the protocols a go-plugin host speaks (harness/scorer/python/proto/).
# `make proto` runs it; the output is committed.
#
# protoc writes each module under its proto's directory (srbench/scorer/v1/,
# plugin/, grpc/health/v1/) and the *_pb2_grpc.py modules import their
# messages by that absolute path. The SDK keeps all of them flat in one
# package, so the fix-up step moves them into _pb/ and makes those imports
# package-relative ("from . import scorer_pb2 as ..."). Imports of protobuf's
# own well-known types (google.protobuf.empty_pb2) are left as they are.
#
# Needs protoc and grpc_python_plugin:
#   apt-get install -y protobuf-compiler protobuf-compiler-grpc
set -euo pipefail
cd "$(dirname "$0")/.."

grpc_plugin=${GRPC_PYTHON_PLUGIN:-/usr/bin/grpc_python_plugin}
command -v protoc >/dev/null || { echo "protoc missing: apt-get install -y protobuf-compiler" >&2; exit 1; }
[ -x "$grpc_plugin" ] || { echo "$grpc_plugin missing: apt-get install -y protobuf-compiler-grpc" >&2; exit 1; }

out=harness/scorer/python/srbench_plugin/_pb
vendored=harness/scorer/python/proto
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

gen() { # gen INCLUDE_DIR PROTO...
	local inc=$1
	shift
	protoc -I "$inc" --python_out="$tmp" --grpc_python_out="$tmp" \
		--plugin=protoc-gen-grpc_python="$grpc_plugin" "$@"
}
gen harness/scorer/proto srbench/scorer/v1/scorer.proto
gen "$vendored" grpc/health/v1/health.proto
gen "$vendored" plugin/grpc_controller.proto plugin/grpc_stdio.proto plugin/grpc_broker.proto

rm -f "$out"/*_pb2.py "$out"/*_pb2_grpc.py
mkdir -p "$out"
find "$tmp" -name '*_pb2*.py' | sort | while read -r f; do
	# "from srbench.scorer.v1 import scorer_pb2 as X" -> "from . import scorer_pb2 as X"
	sed -E '/^from google\./!s/^from [A-Za-z0-9_.]+ import ([A-Za-z0-9_]+_pb2) as /from . import \1 as /' "$f" >"$out/$(basename "$f")"
done
if grep -nE '^(from|import) (srbench|plugin|grpc\.health)' "$out"/*.py; then
	echo "proto-python: absolute imports of generated modules remain (above)" >&2
	exit 1
fi
echo "proto-python: wrote $(ls "$out"/*_pb2*.py | wc -l) modules to $out"
