#!/usr/bin/env bash
# install-slurm.sh: Debian 12's Slurm (slurm-wlm: slurmctld, slurmd and the
# client commands sbatch/squeue/sacct/scontrol) and MUNGE (munged, mungekey),
# for the private single-node cluster that deploy/slurm's test starts
# (make slurm, make test). Idempotent: does nothing when the daemons and
# commands are already on the PATH. Needs apt-get (sudo when not root).
# Installing does not configure or start a cluster: the test runs its own
# slurmctld, slurmd and munged in a temporary directory.
set -euo pipefail
PATH=$PATH:/usr/sbin:/sbin
need="slurmctld slurmd sbatch squeue scontrol munged mungekey"
missing() {
	local m=""
	for c in $need; do
		command -v "$c" >/dev/null 2>&1 || m="$m $c"
	done
	echo "$m"
}
if [ -n "$(missing)" ]; then
	if ! command -v apt-get >/dev/null 2>&1; then
		echo "install-slurm: missing$(missing) and there is no apt-get; install Slurm (slurmctld, slurmd, client commands) and MUNGE yourself" >&2
		exit 1
	fi
	sudo=""
	if [ "$(id -u)" -ne 0 ]; then
		if ! command -v sudo >/dev/null 2>&1; then
			echo "install-slurm: missing$(missing); not root and no sudo to run apt-get" >&2
			exit 1
		fi
		sudo=sudo
	fi
	echo "install-slurm: installing slurm-wlm munge (apt-get)" >&2
	if ! { $sudo apt-get update -qq &&
		DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends slurm-wlm munge >/dev/null; }; then
		echo "install-slurm: apt-get could not install slurm-wlm and munge" >&2
		exit 1
	fi
	if [ -n "$(missing)" ]; then
		echo "install-slurm: still missing after apt-get:$(missing)" >&2
		exit 1
	fi
fi
echo "install-slurm: $(slurmctld -V 2>/dev/null || echo slurmctld), $(munged -V 2>/dev/null | head -n1 || echo munged)" >&2
