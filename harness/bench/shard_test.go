package bench_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/srbench/srbench/harness/bench"
	"github.com/srbench/srbench/harness/dataset"
	"github.com/srbench/srbench/harness/results"
)

func TestShardOfFollowsTheContract(t *testing.T) {
	// The values other tools (deploy/ tests) may rely on, and the formula
	// of the CLI contract computed here independently.
	for _, tc := range []struct {
		id   string
		n    int
		want int
	}{
		{"L1", 4, 3}, {"L2", 4, 2}, {"p000-0", 4, 2}, {"a", 4, 3}, {"", 4, 1},
		{"L1", 3, 1}, {"a", 7, 5}, {"anything", 1, 0},
	} {
		t.Run(fmt.Sprintf("%q/%d", tc.id, tc.n), func(t *testing.T) {
			h := sha256.Sum256([]byte("srbench-shard\x00" + tc.id))
			formula := int(binary.BigEndian.Uint64(h[:8]) % uint64(tc.n))
			if got := bench.ShardOf(tc.id, tc.n); got != tc.want || got != formula {
				t.Errorf("ShardOf(%q, %d) = %d, want %d (formula %d)", tc.id, tc.n, got, tc.want, formula)
			}
		})
	}
}

func TestParseShard(t *testing.T) {
	for _, tc := range []struct {
		in      string
		want    results.Shard
		wantErr string
	}{
		{in: "0/4", want: results.Shard{Index: 0, Count: 4}},
		{in: "3/4", want: results.Shard{Index: 3, Count: 4}},
		{in: " 0/1 ", want: results.Shard{Index: 0, Count: 1}},
		{in: "4/4", wantErr: "want 0 to 3"},
		{in: "-1/4", wantErr: "want 0 to 3"},
		{in: "0/0", wantErr: "shard count 0"},
		{in: "1", wantErr: "want I/N"},
		{in: "a/b", wantErr: "want I/N"},
		{in: "", wantErr: "want I/N"},
	} {
		t.Run(tc.in, func(t *testing.T) {
			got, err := bench.ParseShard(tc.in)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("ParseShard(%q) = %v, %v; want an error with %q", tc.in, got, err, tc.wantErr)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("ParseShard(%q) = %v, %v; want %v", tc.in, got, err, tc.want)
			}
		})
	}
}

func TestShardFromEnv(t *testing.T) {
	for _, tc := range []struct {
		name string
		env  map[string]string
		want results.Shard
		// wantErr are the texts the error must hold (the variables it names).
		wantErr []string
	}{
		{name: "slurm from 0", env: map[string]string{"SLURM_ARRAY_TASK_ID": "2", "SLURM_ARRAY_TASK_COUNT": "4", "SLURM_ARRAY_TASK_MIN": "0"},
			want: results.Shard{Index: 2, Count: 4}},
		{name: "slurm with MIN offset", env: map[string]string{"SLURM_ARRAY_TASK_ID": "5", "SLURM_ARRAY_TASK_COUNT": "4", "SLURM_ARRAY_TASK_MIN": "3", "SLURM_ARRAY_TASK_MAX": "6"},
			want: results.Shard{Index: 2, Count: 4}},
		{name: "slurm without MIN", env: map[string]string{"SLURM_ARRAY_TASK_ID": "3", "SLURM_ARRAY_TASK_COUNT": "4"},
			want: results.Shard{Index: 3, Count: 4}},
		{name: "slurm with step", env: map[string]string{"SLURM_ARRAY_TASK_ID": "6", "SLURM_ARRAY_TASK_COUNT": "4", "SLURM_ARRAY_TASK_MIN": "0", "SLURM_ARRAY_TASK_STEP": "2"},
			want: results.Shard{Index: 3, Count: 4}},
		{name: "slurm with agreeing SRBENCH_SHARD_COUNT", env: map[string]string{"SLURM_ARRAY_TASK_ID": "1", "SLURM_ARRAY_TASK_COUNT": "2", "SRBENCH_SHARD_COUNT": "2"},
			want: results.Shard{Index: 1, Count: 2}},
		{name: "kubernetes", env: map[string]string{"JOB_COMPLETION_INDEX": "0", "SRBENCH_SHARD_COUNT": "8"},
			want: results.Shard{Index: 0, Count: 8}},
		{name: "kubernetes last", env: map[string]string{"JOB_COMPLETION_INDEX": "7", "SRBENCH_SHARD_COUNT": "8"},
			want: results.Shard{Index: 7, Count: 8}},

		{name: "nothing set", env: map[string]string{},
			wantErr: []string{"SLURM_ARRAY_TASK_ID", "SLURM_ARRAY_TASK_COUNT", "JOB_COMPLETION_INDEX", "SRBENCH_SHARD_COUNT"}},
		{name: "slurm without count", env: map[string]string{"SLURM_ARRAY_TASK_ID": "1"},
			wantErr: []string{"SLURM_ARRAY_TASK_COUNT"}},
		{name: "slurm count without id", env: map[string]string{"SLURM_ARRAY_TASK_COUNT": "4"},
			wantErr: []string{"SLURM_ARRAY_TASK_ID"}},
		{name: "slurm id beyond count (MIN not subtracted away)", env: map[string]string{"SLURM_ARRAY_TASK_ID": "4", "SLURM_ARRAY_TASK_COUNT": "4", "SLURM_ARRAY_TASK_MIN": "0"},
			wantErr: []string{"SLURM_ARRAY_TASK_ID=4", "SLURM_ARRAY_TASK_COUNT=4", "want 0 to 3"}},
		{name: "slurm id below MIN", env: map[string]string{"SLURM_ARRAY_TASK_ID": "0", "SLURM_ARRAY_TASK_COUNT": "4", "SLURM_ARRAY_TASK_MIN": "1"},
			wantErr: []string{"SLURM_ARRAY_TASK_MIN"}},
		{name: "slurm id off step", env: map[string]string{"SLURM_ARRAY_TASK_ID": "3", "SLURM_ARRAY_TASK_COUNT": "4", "SLURM_ARRAY_TASK_STEP": "2"},
			wantErr: []string{"SLURM_ARRAY_TASK_STEP=2"}},
		{name: "slurm count contradicts SRBENCH_SHARD_COUNT", env: map[string]string{"SLURM_ARRAY_TASK_ID": "1", "SLURM_ARRAY_TASK_COUNT": "4", "SRBENCH_SHARD_COUNT": "8"},
			wantErr: []string{"SRBENCH_SHARD_COUNT=8", "SLURM_ARRAY_TASK_COUNT=4"}},
		{name: "slurm and kubernetes both", env: map[string]string{"SLURM_ARRAY_TASK_ID": "1", "SLURM_ARRAY_TASK_COUNT": "4", "JOB_COMPLETION_INDEX": "1", "SRBENCH_SHARD_COUNT": "4"},
			wantErr: []string{"SLURM_ARRAY_TASK_ID", "JOB_COMPLETION_INDEX"}},
		{name: "slurm id not a number", env: map[string]string{"SLURM_ARRAY_TASK_ID": "x", "SLURM_ARRAY_TASK_COUNT": "4"},
			wantErr: []string{`SLURM_ARRAY_TASK_ID="x"`}},
		{name: "kubernetes without count", env: map[string]string{"JOB_COMPLETION_INDEX": "2"},
			wantErr: []string{"SRBENCH_SHARD_COUNT", ".spec.completions"}},
		{name: "count without kubernetes index", env: map[string]string{"SRBENCH_SHARD_COUNT": "4"},
			wantErr: []string{"JOB_COMPLETION_INDEX"}},
		{name: "kubernetes index beyond count", env: map[string]string{"JOB_COMPLETION_INDEX": "4", "SRBENCH_SHARD_COUNT": "4"},
			wantErr: []string{"JOB_COMPLETION_INDEX=4", "SRBENCH_SHARD_COUNT=4"}},
		{name: "kubernetes zero count", env: map[string]string{"JOB_COMPLETION_INDEX": "0", "SRBENCH_SHARD_COUNT": "0"},
			wantErr: []string{"SRBENCH_SHARD_COUNT=0"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := bench.ShardFromEnv(func(k string) string { return tc.env[k] })
			if len(tc.wantErr) > 0 {
				if err == nil {
					t.Fatalf("got shard %v, want an error naming %v", got, tc.wantErr)
				}
				for _, w := range tc.wantErr {
					if !strings.Contains(err.Error(), w) {
						t.Errorf("error %q does not name %q", err, w)
					}
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("got %v, %v; want %v", got, err, tc.want)
			}
		})
	}
}

// shardLines is a dataset of n pairs with ids, spread over prompts.
func shardLines(n int) []string {
	var lines []string
	for i := range n {
		lines = append(lines, fmt.Sprintf(`{"id":"pair-%d","prompt":"prompt %d","image_a":"%s","image_b":"%s","label":%q}`,
			i, i%23, []string{"big.png", "small.png", "mid.png"}[i%3], []string{"mid.png", "big.png", "small.png", "mid.png"}[i%4], []string{"a", "b", "b", "tie", "a"}[i%5]))
	}
	return lines
}

var shardSizes = map[string]int{"big.png": 3000, "small.png": 1000, "mid.png": 2000}

// runShard runs cfg (a copy) into out with the given shard.
func runShard(t *testing.T, cfg bench.Config, out string, shard *results.Shard) *results.Results {
	t.Helper()
	cfg.OutDir, cfg.Shard = out, shard
	res, err := bench.Run(context.Background(), cfg, trivialLauncher(nil))
	if err != nil {
		t.Fatalf("run shard %v: %v", shard, err)
	}
	return res
}

// sampleIDs are the ids in a run directory's samples.jsonl, in order.
func sampleIDs(t *testing.T, dir string) []string {
	t.Helper()
	var ids []string
	if err := results.ReadSamples(filepath.Join(dir, results.SamplesFile), func(s results.Sample) error {
		ids = append(ids, s.ID)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return ids
}

func unitConfig(path string) bench.Config {
	return bench.Config{
		Benchmark:  results.Benchmark{Name: "unit"},
		Dataset:    dataset.Spec{Path: path},
		Scorers:    []bench.ScorerSpec{{Name: "s1", BatchSize: 3}, {Name: "s2", BatchSize: 5}},
		ChunkPairs: 7,
	}
}

// TestShardsPartitionByID runs every shard of a dataset and of the same
// pairs in reverse order: a pair is in the same shard in both, and the
// shards together hold every pair once.
func TestShardsPartitionByID(t *testing.T) {
	lines := shardLines(120)
	reversed := slices.Clone(lines)
	slices.Reverse(reversed)
	forward, backward := writeDataset(t, lines, shardSizes), writeDataset(t, reversed, shardSizes)
	for _, n := range []int{1, 2, 3, 5} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			var all []string
			for i := range n {
				sh := &results.Shard{Index: i, Count: n}
				f := filepath.Join(t.TempDir(), "f")
				b := filepath.Join(t.TempDir(), "b")
				res := runShard(t, unitConfig(forward), f, sh)
				runShard(t, unitConfig(backward), b, sh)
				if res.Shard == nil || *res.Shard != *sh {
					t.Errorf("results.json records shard %v, want %v", res.Shard, sh)
				}
				if len(res.Notes) == 0 || !strings.Contains(res.Notes[0], fmt.Sprintf("shard %d of %d", i, n)) {
					t.Errorf("notes %q do not start with the shard", res.Notes)
				}
				fi, bi := sampleIDs(t, f), sampleIDs(t, b)
				for _, id := range fi {
					if got := bench.ShardOf(id, n); got != i {
						t.Errorf("pair %q in shard %d, ShardOf says %d", id, i, got)
					}
				}
				slices.Reverse(bi)
				if diff := cmp.Diff(fi, bi); diff != "" {
					t.Errorf("shard %d/%d holds other pairs when the dataset is reversed (-forward +backward):\n%s", i, n, diff)
				}
				all = append(all, fi...)
			}
			slices.Sort(all)
			want := make([]string, len(lines))
			for i := range lines {
				want[i] = fmt.Sprintf("pair-%d", i)
			}
			slices.Sort(want)
			if diff := cmp.Diff(want, all); diff != "" {
				t.Errorf("the %d shards do not hold every pair exactly once (-want +got):\n%s", n, diff)
			}
		})
	}
}

// shardRuns runs the n shards of cfg and returns their directories.
func shardRuns(t *testing.T, cfg bench.Config, n int) []string {
	t.Helper()
	var dirs []string
	for i := range n {
		d := filepath.Join(t.TempDir(), fmt.Sprintf("shard-%d", i))
		runShard(t, cfg, d, &results.Shard{Index: i, Count: n})
		dirs = append(dirs, d)
	}
	return dirs
}

func TestMergeEqualsSingleRun(t *testing.T) {
	lines := append(shardLines(150), shardLines(3)...) // three repeated ids
	path := writeDataset(t, lines, shardSizes)
	cfg := unitConfig(path)
	cfg.Scorers[1].Options = map[string]string{"x": "1"}
	single := filepath.Join(t.TempDir(), "single")
	want := runShard(t, cfg, single, nil)
	for _, n := range []int{1, 4, 7} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			dirs := shardRuns(t, cfg, n)
			slices.Reverse(dirs) // the order they are given in does not matter
			out := filepath.Join(t.TempDir(), "merged")
			got, err := bench.Merge(dirs, out, []string{"srbench", "merge"})
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(want, got, ignoreVolatile); diff != "" {
				t.Errorf("merged results differ from the single run's (-single +merged):\n%s", diff)
			}
			a, _ := os.ReadFile(filepath.Join(single, results.SamplesFile))
			b, _ := os.ReadFile(filepath.Join(out, results.SamplesFile))
			if !bytes.Equal(a, b) {
				t.Errorf("merged samples.jsonl differs from the single run's")
			}
			onDisk, err := results.ReadResults(filepath.Join(out, results.ResultsFile))
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(want, onDisk, ignoreVolatile); diff != "" {
				t.Errorf("merged results.json differs from the single run's (-single +merged):\n%s", diff)
			}
		})
	}
}

func TestMergeRefuses(t *testing.T) {
	path := writeDataset(t, shardLines(60), shardSizes)
	cfg := unitConfig(path)
	four := shardRuns(t, cfg, 4)

	other := cfg
	other.Dataset.Path = writeDataset(t, shardLines(61), shardSizes)
	otherData := shardRuns(t, other, 4)

	opt := cfg
	opt.Scorers = slices.Clone(cfg.Scorers)
	opt.Scorers[0].Options = map[string]string{"variant": "other"}
	otherOpt := shardRuns(t, opt, 4)

	two := shardRuns(t, cfg, 2)
	whole := filepath.Join(t.TempDir(), "whole")
	runShard(t, cfg, whole, nil)

	unfinished := filepath.Join(t.TempDir(), "unfinished")
	runShard(t, cfg, unfinished, &results.Shard{Index: 3, Count: 4})
	if err := os.Remove(filepath.Join(unfinished, results.ResultsFile)); err != nil {
		t.Fatal(err)
	}

	for _, tc := range []struct {
		name    string
		dirs    []string
		wantErr []string
	}{
		{"different dataset", []string{four[0], four[1], otherData[2], four[3]}, []string{"dataset sha256", otherData[2]}},
		{"different scorer option", []string{four[0], four[1], four[2], otherOpt[3]}, []string{`scorer "s1": options`, `"variant":"other"`, otherOpt[3]}},
		{"missing shard", []string{four[0], four[1], four[3]}, []string{"shard 2 of 4 missing"}},
		{"two missing shards", []string{four[1], four[3]}, []string{"shard 0, 2 of 4 missing"}},
		{"duplicated shard", []string{four[0], four[1], four[2], four[3], four[2]}, []string{"shard 2/4 given 2 times"}},
		{"same shard of two runs", []string{four[0], four[1], four[2], four[3], otherData[1]}, []string{"shard 1/4 given 2 times", "dataset sha256"}},
		{"different N", []string{four[0], four[1], four[2], four[3], two[1]}, []string{"shards of different N", "shard 1/2"}},
		{"not a shard", []string{four[0], whole}, []string{"not a shard", whole}},
		{"unfinished shard", []string{four[0], four[1], four[2], unfinished}, []string{"not finished", "srbench resume"}},
		{"not a run", []string{four[0], t.TempDir()}, []string{"not a run directory"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "merged")
			_, err := bench.Merge(tc.dirs, out, nil)
			if err == nil {
				t.Fatal("merge succeeded")
			}
			for _, w := range tc.wantErr {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error does not say %q:\n%v", w, err)
				}
			}
			if _, serr := os.Stat(out); !errors.Is(serr, os.ErrNotExist) {
				t.Errorf("a refused merge left %s behind", out)
			}
		})
	}
}

// TestShardResumes interrupts a shard and resumes it: the journal holds
// only the shard's pairs, none is scored again, and the result equals an
// uninterrupted run of the shard.
func TestShardResumes(t *testing.T) {
	path := bigDataset(t, 400)
	sh := &results.Shard{Index: 1, Count: 3}
	cfg := func(out string) bench.Config {
		return bench.Config{Benchmark: results.Benchmark{Name: "resume"}, Dataset: dataset.Spec{Path: path},
			Scorers: []bench.ScorerSpec{{Name: "s1", BatchSize: 10}}, OutDir: out, ChunkPairs: 50, Shard: sh}
	}
	var n atomic.Int64
	var seen idLog
	want, err := bench.Run(context.Background(), cfg(filepath.Join(t.TempDir(), "full")), countingLauncher(&n, 0, &seen))
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "cut")
	var n1 atomic.Int64
	var seen1 idLog
	ictx, interrupt := context.WithCancel(context.Background())
	defer interrupt()
	// Chunk 0 (50 pairs, 100 items) takes 10 calls; the 11th interrupts.
	if _, err := bench.Run(ictx, cfg(out), countingLauncher(&n1, 10, &seen1, interrupt)); !errors.Is(err, context.Canceled) {
		t.Fatalf("interrupted run: %v", err)
	}
	var n2 atomic.Int64
	var seen2 idLog
	got, err := bench.Resume(context.Background(), out, nil, nil, countingLauncher(&n2, 0, &seen2))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got, ignoreVolatile); diff != "" {
		t.Errorf("resumed shard differs (-uninterrupted +resumed):\n%s", diff)
	}
	if got, want := n2.Load(), 2*int64(want.Dataset.NPairs-50); got != want {
		t.Errorf("resume scored %d items, want %d (the shard's pairs after the first chunk)", got, want)
	}
	for _, id := range seen2.ids {
		pair, _, _ := strings.Cut(id, "/")
		if bench.ShardOf(pair, 3) != 1 {
			t.Errorf("resume scored pair %q of another shard", pair)
		}
	}
}
