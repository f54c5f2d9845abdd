#!/usr/bin/env bash
# Installs the ONNX Runtime shared library that srbench loads at run time.
#
# Debian ships no onnxruntime package and the network here reaches only the npm
# registry, so the linux-x64 build is taken from the npm package onnxruntime-node
# (`npm pack`, never `npm install`: its install script downloads CUDA files).
# The library lands in the srbench cache dir, outside the repository, and its
# sha256 is checked. Idempotent: a verified library is not fetched again.
set -euo pipefail

version="${ORT_VERSION:-1.24.1}"
# sha256 of package/bin/napi-v6/linux/x64/libonnxruntime.so.1 in onnxruntime-node@1.24.1.
want_sha="${ORT_SHA256:-53ef1ac028dd1b05554b8da28d9159eb3876f99868193d2aaa6e67f0243c23d4}"
cache="${SRBENCH_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/srbench}"
dest="$cache/onnxruntime/$version"
lib="$dest/libonnxruntime.so.1"

if [ "$(uname -s)-$(uname -m)" != "Linux-x86_64" ]; then
  echo "install-onnxruntime: only linux-x64 is automated; set ONNXRUNTIME_LIB to your libonnxruntime" >&2
  exit 1
fi

if [ -f "$lib" ] && echo "$want_sha  $lib" | sha256sum -c --quiet - 2>/dev/null; then
  echo "onnxruntime $version: $lib (verified)"
  exit 0
fi

command -v npm >/dev/null || { echo "install-onnxruntime: npm is required (apt-get install npm)" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
echo "onnxruntime $version: fetching onnxruntime-node@$version with npm pack" >&2
(cd "$tmp" && npm pack --silent "onnxruntime-node@$version" >/dev/null)
tar -xzf "$tmp/onnxruntime-node-$version.tgz" -C "$tmp" package/bin/napi-v6/linux/x64/libonnxruntime.so.1
got=$(sha256sum "$tmp/package/bin/napi-v6/linux/x64/libonnxruntime.so.1" | cut -d' ' -f1)
if [ "$got" != "$want_sha" ]; then
  echo "install-onnxruntime: sha256 mismatch for libonnxruntime.so.1 from onnxruntime-node@$version: got $got, want $want_sha" >&2
  exit 1
fi
mkdir -p "$dest"
mv "$tmp/package/bin/napi-v6/linux/x64/libonnxruntime.so.1" "$lib.tmp"
mv "$lib.tmp" "$lib"
echo "onnxruntime $version: $lib (installed)"
