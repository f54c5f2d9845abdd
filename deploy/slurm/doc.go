// Package slurm holds srbench's Slurm deployment: srbench-array.sbatch,
// which splits one benchmark run over a job array (`srbench run
// --shard-from-env`, one shard per task), and srbench-merge.sbatch, which
// merges the shards after the array (`srbench merge`). See README.md.
//
// The package has no Go code of its own; its test starts a private
// single-node Slurm cluster (slurmctld, slurmd and munged in a temporary
// directory, on free ports, with their own key and configuration: nothing
// of the machine's /etc/slurm or services is used) and runs both scripts on
// it, checking the merged run against a single-machine run of the same
// spec. It needs Debian's slurm-wlm and munge (scripts/install-slurm.sh,
// `make slurm`) and skips, saying so, when they are not installed.
package slurm
