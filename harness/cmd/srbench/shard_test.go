package main

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/srbench/srbench/harness/report"
	"github.com/srbench/srbench/harness/results"
)

// runFails runs srbench, wants it to exit with status code, and returns
// its output.
func runFails(t *testing.T, code int, env []string, args ...string) string {
	t.Helper()
	cmd := srbench(args...)
	cmd.Env = append(cmd.Env, env...)
	out, err := cmd.CombinedOutput()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != code {
		t.Fatalf("srbench %s: %v, want exit status %d\n%s", strings.Join(args, " "), err, code, out)
	}
	return string(out)
}

// TestShardedRunMergesToSingleRun runs a benchmark as 4 shards (one of them
// placed by a Slurm array's environment) and merges them: results.json
// equals the single run's (volatile provenance aside) and samples.jsonl is
// byte-identical. Merge refuses shards that are not one run's, naming why.
func TestShardedRunMergesToSingleRun(t *testing.T) {
	opts := map[string]string{"jitter": "3", "fail_prompt": "prompt 7"}
	spec := writeBench(t, 240, opts)
	common := []string{"--no-cache", "--no-progress", "--max-failures", "100%"}
	tmp := t.TempDir()
	full := filepath.Join(tmp, "full")
	runOK(t, append([]string{"run", spec, "--out", full}, common...)...)

	shards := make([]string, 4)
	for i := range shards {
		shards[i] = filepath.Join(tmp, fmt.Sprintf("shard-%d", i))
		if i == 2 {
			continue
		}
		out := runOK(t, append([]string{"run", spec, "--shard", fmt.Sprintf("%d/4", i), "--out", shards[i]}, common...)...)
		if !strings.Contains(out, fmt.Sprintf("of SHARD %d/4 only", i)) {
			t.Errorf("shard %d's summary does not say it covers one shard:\n%s", i, out)
		}
	}
	// Shard 2 from a Slurm array --array=1-4 (task 3 is the third, 0-based 2).
	cmd := srbench(append([]string{"run", spec, "--shard-from-env", "--out", shards[2]}, common...)...)
	cmd.Env = append(cmd.Env, "SLURM_ARRAY_TASK_ID=3", "SLURM_ARRAY_TASK_MIN=1", "SLURM_ARRAY_TASK_MAX=4", "SLURM_ARRAY_TASK_COUNT=4",
		"SLURM_ARRAY_TASK_STEP=", "JOB_COMPLETION_INDEX=", "SRBENCH_SHARD_COUNT=")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("run --shard-from-env: %v\n%s", err, out)
	}
	for i, d := range shards {
		r := readResults(t, d)
		if r.Shard == nil || *r.Shard != (results.Shard{Index: i, Count: 4}) {
			t.Errorf("%s records shard %v, want %d/4", d, r.Shard, i)
		}
		md, err := os.ReadFile(filepath.Join(d, report.MarkdownFile))
		if err != nil {
			t.Fatal(err)
		}
		head := string(md[:min(len(md), 600)])
		if !strings.Contains(head, fmt.Sprintf("shard %d of 4", i)) {
			t.Errorf("the top of %s's report does not say it covers shard %d of 4:\n%s", d, i, head)
		}
	}

	merged := filepath.Join(tmp, "merged")
	out := runOK(t, "merge", shards[3], shards[1], shards[0], shards[2], "--out", merged)
	if strings.Contains(out, "SHARD") {
		t.Errorf("the merged summary still speaks of a shard:\n%s", out)
	}
	if diff := cmp.Diff(readResults(t, full), readResults(t, merged), volatile); diff != "" {
		t.Errorf("merged results.json differs from the single run's (-single +merged):\n%s", diff)
	}
	a, _ := os.ReadFile(filepath.Join(full, results.SamplesFile))
	b, _ := os.ReadFile(filepath.Join(merged, results.SamplesFile))
	if len(a) == 0 || !bytes.Equal(a, b) {
		t.Errorf("merged samples.jsonl (%d bytes) is not byte-identical to the single run's (%d bytes)", len(b), len(a))
	}
	if _, err := os.Stat(filepath.Join(merged, report.MarkdownFile)); err != nil {
		t.Errorf("merge wrote no report: %v", err)
	}

	// A gate never rests on one shard: check refuses it (status 2, the
	// gate could not decide), for a baseline too.
	base := filepath.Join(tmp, "baseline.json")
	runOK(t, "check", "--update-baseline", "--baseline", base, merged)
	for _, args := range [][]string{
		{"check", "--baseline", base, shards[1]},
		{"check", "--update-baseline", "--baseline", filepath.Join(tmp, "b2.json"), shards[1]},
	} {
		if msg := runFails(t, 2, nil, args...); !strings.Contains(msg, "shard 1 of 4") || !strings.Contains(msg, "srbench merge") {
			t.Errorf("srbench %s on a shard:\n%s", strings.Join(args, " "), msg)
		}
	}

	// Shards that are not one run's.
	otherOpt := filepath.Join(tmp, "other-option")
	runOK(t, append([]string{"run", writeBench(t, 240, map[string]string{"jitter": "4", "fail_prompt": "prompt 7"}), "--shard", "3/4", "--out", otherOpt}, common...)...)
	otherData := filepath.Join(tmp, "other-data")
	runOK(t, append([]string{"run", writeBench(t, 241, opts), "--shard", "1/4", "--out", otherData}, common...)...)
	half := filepath.Join(tmp, "half")
	runOK(t, append([]string{"run", spec, "--shard", "1/2", "--out", half}, common...)...)
	for _, tc := range []struct {
		name string
		dirs []string
		want []string
	}{
		{"different dataset", []string{shards[0], otherData, shards[2], shards[3]}, []string{"dataset sha256", otherData}},
		{"different scorer option", []string{shards[0], shards[1], shards[2], otherOpt}, []string{`scorer "trivial": options`, `"jitter":"4"`}},
		{"missing shard", []string{shards[0], shards[1], shards[3]}, []string{"shard 2 of 4 missing"}},
		{"duplicated shard", []string{shards[0], shards[1], shards[2], shards[3], shards[1]}, []string{"shard 1/4 given 2 times"}},
		{"different N", []string{shards[0], shards[1], shards[2], shards[3], half}, []string{"shards of different N", half + " is shard 1/2"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "merged")
			msg := runFails(t, 1, nil, append(append([]string{"merge"}, tc.dirs...), "--out", out)...)
			for _, w := range tc.want {
				if !strings.Contains(msg, w) {
					t.Errorf("merge's message does not say %q:\n%s", w, msg)
				}
			}
			if _, err := os.Stat(out); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("a refused merge left %s behind", out)
			}
		})
	}
}

// TestShardFlagsRefused: bad --shard values and contradicting flags or
// environments are usage errors (status 2) naming the problem.
func TestShardFlagsRefused(t *testing.T) {
	spec := writeBench(t, 10, nil)
	for _, tc := range []struct {
		name string
		env  []string
		args []string
		want string
	}{
		{"index out of range", nil, []string{"--shard", "4/4"}, "want 0 to 3"},
		{"not I/N", nil, []string{"--shard", "2"}, "want I/N"},
		{"both flags", []string{"JOB_COMPLETION_INDEX=0", "SRBENCH_SHARD_COUNT=2"}, []string{"--shard", "0/2", "--shard-from-env"}, "--shard and --shard-from-env"},
		{"no environment", []string{"SLURM_ARRAY_TASK_ID=", "JOB_COMPLETION_INDEX=", "SRBENCH_SHARD_COUNT=", "SLURM_ARRAY_TASK_COUNT="}, []string{"--shard-from-env"}, "JOB_COMPLETION_INDEX"},
		{"kubernetes without count", []string{"JOB_COMPLETION_INDEX=1", "SRBENCH_SHARD_COUNT=", "SLURM_ARRAY_TASK_ID="}, []string{"--shard-from-env"}, "SRBENCH_SHARD_COUNT"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "run")
			msg := runFails(t, 2, tc.env, append([]string{"run", spec, "--no-cache", "--no-progress", "--out", out}, tc.args...)...)
			if !strings.Contains(msg, tc.want) {
				t.Errorf("message does not say %q:\n%s", tc.want, msg)
			}
		})
	}
}
