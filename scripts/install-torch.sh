#!/usr/bin/env bash
# install-torch.sh: Debian's PyTorch and torchvision for the PyTorch eager
# contender of `make bench-e2e TORCH=1` and the socialreward-torch plugin (make test), with OpenBLAS as the BLAS that
# torch's CPU matrix products use. Idempotent: does nothing when
# /usr/bin/python3 already imports both and OpenBLAS is selected.
set -euo pipefail
sudo=""
[ "$(id -u)" -eq 0 ] || sudo=sudo
# regex and yaml: the socialreward-torch plugin's tokenizer and srbench.yaml.
if ! /usr/bin/python3 -c 'import torch, torchvision, regex, yaml' 2>/dev/null; then
	echo "install-torch: installing python3-torch python3-torchvision python3-regex python3-yaml libopenblas0-pthread (apt-get)" >&2
	$sudo apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq python3-torch python3-torchvision python3-regex python3-yaml libopenblas0-pthread >/dev/null
fi
openblas=/usr/lib/x86_64-linux-gnu/openblas-pthread/libblas.so.3
if [ -e "$openblas" ] && [ "$(readlink -f /etc/alternatives/libblas.so.3-x86_64-linux-gnu)" != "$openblas" ]; then
	echo "install-torch: selecting OpenBLAS for libblas.so.3" >&2
	$sudo update-alternatives --set libblas.so.3-x86_64-linux-gnu "$openblas"
fi
/usr/bin/python3 -c 'import torch, torchvision; print("install-torch: torch", torch.__version__, "torchvision", torchvision.__version__)'
