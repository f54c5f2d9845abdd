package bench

import (
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/srbench/srbench/harness/dataset"
	"github.com/srbench/srbench/harness/results"
)

// MaxShards is the largest shard count accepted.
const MaxShards = 1 << 20

// ShardOf is the shard (0 to n-1) of the pair with dataset id id among n:
// the first 8 bytes of sha256("srbench-shard\x00" + id), big endian, mod n.
// It depends on the id alone, so a pair is in the same shard whatever the
// dataset's order or the other pairs, and the n shards partition the pairs.
func ShardOf(id string, n int) int {
	h := sha256.Sum256([]byte("srbench-shard\x00" + id))
	return int(binary.BigEndian.Uint64(h[:8]) % uint64(n))
}

// InShard reports whether the pair with id id is in shard s.
func InShard(id string, s results.Shard) bool { return ShardOf(id, s.Count) == s.Index }

// ValidateShard checks 0 <= index < count <= MaxShards.
func ValidateShard(s results.Shard) error {
	if s.Count < 1 || s.Count > MaxShards {
		return fmt.Errorf("shard count %d: want 1 to %d", s.Count, MaxShards)
	}
	if s.Index < 0 || s.Index >= s.Count {
		return fmt.Errorf("shard index %d of %d: want 0 to %d (indices are 0-based)", s.Index, s.Count, s.Count-1)
	}
	return nil
}

// ParseShard reads --shard's "I/N": shard I (0-based) of N.
func ParseShard(v string) (results.Shard, error) {
	i, n, ok := strings.Cut(strings.TrimSpace(v), "/")
	si, err1 := strconv.Atoi(strings.TrimSpace(i))
	sn, err2 := strconv.Atoi(strings.TrimSpace(n))
	if !ok || err1 != nil || err2 != nil {
		return results.Shard{}, fmt.Errorf("--shard %q: want I/N, shard I (0-based) of N, e.g. 0/4", v)
	}
	s := results.Shard{Index: si, Count: sn}
	if err := ValidateShard(s); err != nil {
		return results.Shard{}, fmt.Errorf("--shard %q: %w", v, err)
	}
	return s, nil
}

// Environment variables read by ShardFromEnv.
const (
	EnvSlurmTaskID    = "SLURM_ARRAY_TASK_ID"
	EnvSlurmTaskCount = "SLURM_ARRAY_TASK_COUNT"
	EnvSlurmTaskMin   = "SLURM_ARRAY_TASK_MIN"
	EnvSlurmTaskStep  = "SLURM_ARRAY_TASK_STEP"
	EnvK8sIndex       = "JOB_COMPLETION_INDEX"
	EnvShardCount     = "SRBENCH_SHARD_COUNT"
)

// ShardFromEnv finds the shard in a scheduler's environment (getenv is
// os.Getenv in the CLI): a Slurm job array (SLURM_ARRAY_TASK_ID and
// SLURM_ARRAY_TASK_COUNT; the index is made 0-based by subtracting
// SLURM_ARRAY_TASK_MIN when it is set, and divided by SLURM_ARRAY_TASK_STEP
// when that is above 1), or a Kubernetes Indexed Job (JOB_COMPLETION_INDEX,
// with SRBENCH_SHARD_COUNT set to the Job's completions). SRBENCH_SHARD_COUNT
// set with a Slurm array must agree with SLURM_ARRAY_TASK_COUNT. A missing,
// malformed or contradicting variable is an error naming it.
func ShardFromEnv(getenv func(string) string) (results.Shard, error) {
	get := func(name string) (int, bool, error) {
		v := strings.TrimSpace(getenv(name))
		if v == "" {
			return 0, false, nil
		}
		n, err := strconv.Atoi(v)
		if err != nil {
			return 0, true, fmt.Errorf("--shard-from-env: %s=%q is not an integer", name, getenv(name))
		}
		return n, true, nil
	}
	slurmID, inSlurm, err := get(EnvSlurmTaskID)
	if err != nil {
		return results.Shard{}, err
	}
	k8sIndex, inK8s, err := get(EnvK8sIndex)
	if err != nil {
		return results.Shard{}, err
	}
	count, hasCount, err := get(EnvShardCount)
	if err != nil {
		return results.Shard{}, err
	}
	var s results.Shard
	switch {
	case inSlurm && inK8s:
		return results.Shard{}, fmt.Errorf("--shard-from-env: both %s (Slurm) and %s (Kubernetes) are set; unset the one that does not belong, or give --shard I/N", EnvSlurmTaskID, EnvK8sIndex)
	case inSlurm:
		n, ok, err := get(EnvSlurmTaskCount)
		if err != nil {
			return results.Shard{}, err
		}
		if !ok {
			return results.Shard{}, fmt.Errorf("--shard-from-env: %s=%d is set but %s is not (Slurm sets both for a job array, sbatch --array); give --shard I/N otherwise", EnvSlurmTaskID, slurmID, EnvSlurmTaskCount)
		}
		lo, _, err := get(EnvSlurmTaskMin)
		if err != nil {
			return results.Shard{}, err
		}
		step, hasStep, err := get(EnvSlurmTaskStep)
		if err != nil {
			return results.Shard{}, err
		}
		idx := slurmID - lo
		if hasStep && step > 1 {
			if idx%step != 0 {
				return results.Shard{}, fmt.Errorf("--shard-from-env: %s=%d is not %s=%d plus a multiple of %s=%d", EnvSlurmTaskID, slurmID, EnvSlurmTaskMin, lo, EnvSlurmTaskStep, step)
			}
			idx /= step
		}
		if hasCount && count != n {
			return results.Shard{}, fmt.Errorf("--shard-from-env: %s=%d contradicts %s=%d; unset %s or make them agree", EnvShardCount, count, EnvSlurmTaskCount, n, EnvShardCount)
		}
		s = results.Shard{Index: idx, Count: n}
		if err := ValidateShard(s); err != nil {
			return results.Shard{}, fmt.Errorf("--shard-from-env: %s=%d, %s=%d, %s=%q: %w; use a contiguous array such as --array=0-%d",
				EnvSlurmTaskID, slurmID, EnvSlurmTaskCount, n, EnvSlurmTaskMin, getenv(EnvSlurmTaskMin), err, max(n-1, 0))
		}
	case inK8s:
		if !hasCount {
			return results.Shard{}, fmt.Errorf("--shard-from-env: %s=%d is set but %s is not; set it to the Indexed Job's .spec.completions", EnvK8sIndex, k8sIndex, EnvShardCount)
		}
		s = results.Shard{Index: k8sIndex, Count: count}
		if err := ValidateShard(s); err != nil {
			return results.Shard{}, fmt.Errorf("--shard-from-env: %s=%d, %s=%d: %w", EnvK8sIndex, k8sIndex, EnvShardCount, count, err)
		}
	default:
		if _, ok, _ := get(EnvSlurmTaskCount); ok {
			return results.Shard{}, fmt.Errorf("--shard-from-env: %s is set but %s is not", EnvSlurmTaskCount, EnvSlurmTaskID)
		}
		if hasCount {
			return results.Shard{}, fmt.Errorf("--shard-from-env: %s is set but %s is not (Kubernetes sets it in an Indexed Job, completionMode: Indexed)", EnvShardCount, EnvK8sIndex)
		}
		return results.Shard{}, fmt.Errorf("--shard-from-env: no shard in the environment: neither %s with %s (a Slurm job array) nor %s with %s (a Kubernetes Indexed Job) is set; give --shard I/N instead",
			EnvSlurmTaskID, EnvSlurmTaskCount, EnvK8sIndex, EnvShardCount)
	}
	return s, nil
}

// shardSource yields only the pairs of one shard of src; Index stays the
// pair's position in the whole dataset, so merged shards sort back into
// the order of a single run.
type shardSource struct {
	dataset.Source
	shard results.Shard
}

func (s shardSource) Next() (dataset.Pair, error) {
	for {
		p, err := s.Source.Next()
		if err != nil || InShard(p.ID, s.shard) {
			return p, err
		}
	}
}

// openShard opens the dataset, keeping only shard's pairs when shard is set.
func openShard(spec dataset.Spec, shard *results.Shard) (dataset.Source, error) {
	src, err := dataset.Open(spec)
	if err != nil || shard == nil {
		return src, err
	}
	return shardSource{Source: src, shard: *shard}, nil
}

// CountShardPairs counts the pairs of a dataset's shard (all pairs when
// shard is nil), for progress bars with an ETA.
func CountShardPairs(spec dataset.Spec, shard *results.Shard) (int, error) {
	src, err := openShard(spec, shard)
	if err != nil {
		return 0, err
	}
	defer src.Close()
	n := 0
	for {
		_, err := src.Next()
		if errors.Is(err, io.EOF) {
			return n, nil
		}
		if err != nil {
			return n, err
		}
		n++
	}
}
