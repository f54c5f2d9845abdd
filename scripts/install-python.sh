#!/usr/bin/env bash
# install-python.sh: what Python scorer plugins need, from Debian's
# packages (never from PyPI): /usr/bin/python3 with grpcio, protobuf and
# cryptography (the srbench_plugin SDK), numpy and Pillow (the colorfulness
# plugin). Idempotent: does nothing when /usr/bin/python3 already imports
# all of them. `make python` (and so `make build` and `make test`) runs it.
set -euo pipefail
sudo=""
[ "$(id -u)" -eq 0 ] || sudo=sudo
check='import grpc, google.protobuf, cryptography, numpy, PIL'
if ! /usr/bin/python3 -c "$check" 2>/dev/null; then
	pkgs="python3 python3-grpcio python3-protobuf python3-cryptography python3-numpy python3-pil"
	echo "install-python: installing $pkgs (apt-get)" >&2
	$sudo apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq $pkgs >/dev/null
	/usr/bin/python3 -c "$check"
fi
