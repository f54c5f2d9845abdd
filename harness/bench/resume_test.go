package bench_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/srbench/srbench/harness/bench"
	"github.com/srbench/srbench/harness/dataset"
	"github.com/srbench/srbench/harness/results"
	"github.com/srbench/srbench/harness/scorer"
	"github.com/srbench/srbench/harness/scorer/scorertest"
)

// counting wraps a scorer, counts the items it scores and can fail the
// whole call once a budget of calls is spent (an interrupted run).
type counting struct {
	scorer.Scorer
	items     *atomic.Int64
	failAfter int64  // calls; 0 = never
	interrupt func() // called when the budget is spent (cancels the run's context)
	calls     atomic.Int64
	seen      *idLog
}

func (c *counting) Score(ctx context.Context, req scorer.ScoreRequest) (scorer.ScoreResponse, error) {
	items := req.Items
	if n := c.calls.Add(1); c.failAfter > 0 && n > c.failAfter {
		c.interrupt() // like Ctrl-C: the run's context ends
		return scorer.ScoreResponse{}, ctx.Err()
	}
	c.items.Add(int64(len(items)))
	for _, it := range items {
		c.seen.add(it.ID)
	}
	return c.Scorer.Score(ctx, req)
}

// idLog records item ids from scorers that run concurrently.
type idLog struct {
	mu  sync.Mutex
	ids []string
}

func (l *idLog) add(id string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.ids = append(l.ids, id)
}

func countingLauncher(items *atomic.Int64, failAfter int64, seen *idLog, interrupt ...func()) bench.Launcher {
	return func(ctx context.Context, spec bench.ScorerSpec) (bench.Plugin, error) {
		sc, err := scorertest.New(ctx, scorer.Config{Options: map[string]string{"fingerprint": "sha256:" + spec.Name}})
		if err != nil {
			return nil, err
		}
		c := &counting{Scorer: sc, items: items, failAfter: failAfter, seen: seen}
		if len(interrupt) > 0 {
			c.interrupt = interrupt[0]
		}
		return bench.InProcess(c), nil
	}
}

func bigDataset(t *testing.T, n int) string {
	sizes := map[string]int{}
	var lines []string
	for i := 0; i < n; i++ {
		a, b := fmt.Sprintf("img%d.png", i%17), fmt.Sprintf("img%d.png", (i*7+3)%17)
		sizes[a], sizes[b] = 100+(i%17)*13, 100+((i*7+3)%17)*13
		label := []string{"a", "b", "tie"}[i%3]
		lines = append(lines, fmt.Sprintf(`{"prompt":"prompt %d","prompt_id":"p%d","image_a":%q,"image_b":%q,"label":%q}`, i, i%40, a, b, label))
	}
	return writeDataset(t, lines, sizes)
}

// ignoreVolatile drops what legitimately differs between two runs of the same benchmark.
var ignoreVolatile = cmpopts.IgnoreFields(results.Provenance{}, "StartedAt", "Seconds", "Command", "Cached", "Resumed", "PluginPeakRSS", "Scoring")

func TestResumeAfterInterruptionMatchesUninterruptedRun(t *testing.T) {
	path := bigDataset(t, 300)
	cfg := func(out string) bench.Config {
		return bench.Config{Benchmark: results.Benchmark{Name: "resume"}, Dataset: dataset.Spec{Path: path},
			Scorers: []bench.ScorerSpec{{Name: "s1", BatchSize: 10}, {Name: "s2", BatchSize: 64}}, OutDir: out, ChunkPairs: 50}
	}
	var n atomic.Int64
	var seen idLog
	want, err := bench.Run(context.Background(), cfg(filepath.Join(t.TempDir(), "full")), countingLauncher(&n, 0, &seen))
	if err != nil {
		t.Fatal(err)
	}

	// Interrupted: s1 dies on its 11th call (batch 10 -> chunk 0 takes 10 calls), i.e. during chunk 1.
	out := filepath.Join(t.TempDir(), "cut")
	var n1 atomic.Int64
	var seen1 idLog
	ictx, interrupt := context.WithCancel(context.Background())
	defer interrupt()
	if _, err := bench.Run(ictx, cfg(out), countingLauncher(&n1, 10, &seen1, interrupt)); !errors.Is(err, context.Canceled) {
		t.Fatalf("interrupted run: %v", err)
	}
	// A second Run into the same directory is refused.
	if _, err := bench.Run(context.Background(), cfg(out), countingLauncher(&n1, 0, &seen1)); err == nil || !strings.Contains(err.Error(), "srbench resume "+out) {
		t.Fatalf("rerun into an unfinished run dir: %v", err)
	}
	var n2 atomic.Int64
	var seen2 idLog
	got, err := bench.Resume(context.Background(), out, nil, nil, countingLauncher(&n2, 0, &seen2))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got, ignoreVolatile); diff != "" {
		t.Errorf("resumed results differ (-uninterrupted +resumed):\n%s", diff)
	}
	// Chunk 0 (pairs 0..49) was journaled: none of its items may be scored again.
	for _, id := range seen2.ids {
		var line int
		if _, err := fmt.Sscanf(id, "L%d/", &line); err != nil {
			t.Fatalf("item id %q: %v", id, err)
		}
		if line >= 1 && line <= 50 {
			t.Fatalf("journaled pair %s was rescored", id)
		}
	}
	if got, want := n2.Load(), int64(2*2*250); got != want {
		t.Errorf("resume scored %d items, want %d (2 scorers x 2 images x 250 remaining pairs)", got, want)
	}
	if !got.Provenance.Resumed {
		t.Error("provenance does not say resumed")
	}
}

func TestCacheServesUnchangedRerun(t *testing.T) {
	path := bigDataset(t, 120)
	cache, err := bench.OpenCache(filepath.Join(t.TempDir(), "scores.sqlite"))
	if err != nil {
		t.Fatal(err)
	}
	defer cache.Close()
	run := func(counter *atomic.Int64) *results.Results {
		var seen idLog
		res, err := bench.Run(context.Background(), bench.Config{Dataset: dataset.Spec{Path: path},
			Scorers: []bench.ScorerSpec{{Name: "s1"}}, OutDir: filepath.Join(t.TempDir(), "run"), Cache: cache},
			countingLauncher(counter, 0, &seen))
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	var first, second atomic.Int64
	a := run(&first)
	b := run(&second)
	if first.Load() != 240 || second.Load() != 0 {
		t.Errorf("plugin scored %d then %d items; want 240 then 0", first.Load(), second.Load())
	}
	if b.Provenance.Cached != 240 {
		t.Errorf("cached items %d, want 240", b.Provenance.Cached)
	}
	if diff := cmp.Diff(a, b, ignoreVolatile); diff != "" {
		t.Errorf("cached rerun differs:\n%s", diff)
	}
}

// describing overrides a scorer's description (a changed model or variant).
type describing struct {
	bench.Plugin
	fingerprint, variant string
}

func (d describing) Describe(ctx context.Context, _ scorer.DescribeRequest) (scorer.Description, error) {
	desc, err := d.Plugin.Describe(ctx, scorer.DescribeRequest{})
	if d.fingerprint != "" {
		desc.Fingerprint = d.fingerprint
	}
	if d.variant != "" {
		desc.Variant = d.variant
	}
	return desc, err
}

// TestResumeRefusesChangedInputs: an interrupted run is finished only with
// the dataset, models and variants it started with; each change is refused
// with a message naming it, and an unchanged resume still finishes.
func TestResumeRefusesChangedInputs(t *testing.T) {
	tests := []struct {
		name        string
		fingerprint string
		variant     string
		editData    bool
		want        string
	}{
		{name: "model changed", fingerprint: "sha256:other", want: `scorer "s1": model fingerprint "sha256:s1", now "sha256:other"`},
		{name: "variant changed", variant: "cosine", want: `scorer "s1": variant "length", now "cosine"`},
		{name: "dataset edited", editData: true, want: "sha256"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := bigDataset(t, 120)
			out := filepath.Join(t.TempDir(), "cut")
			cfg := bench.Config{Benchmark: results.Benchmark{Name: "resume"}, Dataset: dataset.Spec{Path: path},
				Scorers: []bench.ScorerSpec{{Name: "s1", BatchSize: 10}}, OutDir: out, ChunkPairs: 40}
			var n atomic.Int64
			var seen idLog
			ictx, interrupt := context.WithCancel(context.Background())
			defer interrupt()
			if _, err := bench.Run(ictx, cfg, countingLauncher(&n, 12, &seen, interrupt)); err == nil { // 8 calls a chunk: chunk 0 is journaled
				t.Fatal("the run was not interrupted")
			}
			if tt.editData {
				b, err := os.ReadFile(path)
				if err != nil {
					t.Fatal(err)
				}
				// Same pairs and ids, one label changed: only the hash can tell.
				b = []byte(strings.Replace(string(b), `"label":"b"`, `"label":"a"`, 1))
				if err := os.WriteFile(path, b, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			launch := func(ctx context.Context, spec bench.ScorerSpec) (bench.Plugin, error) {
				sc, err := countingLauncher(&n, 0, &seen)(ctx, spec)
				if err != nil {
					return nil, err
				}
				return describing{Plugin: sc, fingerprint: tt.fingerprint, variant: tt.variant}, nil
			}
			_, err := bench.Resume(context.Background(), out, nil, nil, launch)
			var ce *bench.ChangedError
			if !errors.As(err, &ce) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("resume: %v; want a *ChangedError naming %q", err, tt.want)
			}
			// Restored inputs: the resume goes through.
			if tt.editData {
				return
			}
			if _, err := bench.Resume(context.Background(), out, nil, nil, countingLauncher(&n, 0, &seen)); err != nil {
				t.Fatalf("unchanged resume: %v", err)
			}
		})
	}
}

// TestFailedLaunchLeavesNoRun: a run whose scorers do not start leaves no
// journal behind, so the same --out can be used again.
func TestFailedLaunchLeavesNoRun(t *testing.T) {
	path := bigDataset(t, 10)
	out := filepath.Join(t.TempDir(), "run")
	cfg := bench.Config{Benchmark: results.Benchmark{Name: "x"}, Dataset: dataset.Spec{Path: path},
		Scorers: []bench.ScorerSpec{{Name: "s1"}}, OutDir: out}
	fail := func(context.Context, bench.ScorerSpec) (bench.Plugin, error) { return nil, errors.New("no model") }
	if _, err := bench.Run(context.Background(), cfg, fail); err == nil {
		t.Fatal("no error")
	}
	if _, err := os.Stat(out); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("run directory left behind: %v", err)
	}
	var n atomic.Int64
	var seen idLog
	if _, err := bench.Run(context.Background(), cfg, countingLauncher(&n, 0, &seen)); err != nil {
		t.Errorf("second run into the same --out: %v", err)
	}
}

// failingCalls fails every Score call whose first item's id is in bad.
type failingCalls struct {
	scorer.Scorer
	bad map[string]bool
}

func (f failingCalls) Score(ctx context.Context, req scorer.ScoreRequest) (scorer.ScoreResponse, error) {
	items := req.Items
	if f.bad[items[0].ID] {
		return scorer.ScoreResponse{}, errors.New("plugin \"s1\" did not answer within 1s")
	}
	return f.Scorer.Score(ctx, req)
}

// TestFailedCallsAreRecordedFailures: a call that fails as a whole (a hung
// plugin given up on) makes its items recorded failures; the run finishes
// and counts them, instead of stopping.
func TestFailedCallsAreRecordedFailures(t *testing.T) {
	path := bigDataset(t, 40)
	out := filepath.Join(t.TempDir(), "run")
	cfg := bench.Config{Benchmark: results.Benchmark{Name: "x"}, Dataset: dataset.Spec{Path: path},
		Scorers: []bench.ScorerSpec{{Name: "s1", BatchSize: 4}}, OutDir: out, ChunkPairs: 10}
	// Items are "L<line>/a|b"; batches of 4 items are 2 pairs: fail the batch of lines 5-6.
	launch := func(ctx context.Context, spec bench.ScorerSpec) (bench.Plugin, error) {
		sc, err := scorertest.New(ctx, scorer.Config{Options: map[string]string{"fingerprint": "sha256:s1"}})
		if err != nil {
			return nil, err
		}
		return bench.InProcess(failingCalls{Scorer: sc, bad: map[string]bool{"L5/a": true}}), nil
	}
	res, err := bench.Run(context.Background(), cfg, launch)
	if err != nil {
		t.Fatal(err)
	}
	s := res.Scorers[0]
	if s.NFailed != 2 || s.NPairs+s.NSkipped != 38 || len(s.FailureExamples) != 1 || !strings.Contains(s.FailureExamples[0], "plugin call failed: plugin \"s1\" did not answer") {
		t.Errorf("failed %d, counted %d + skipped %d, examples %q; want 2 failed pairs out of 40 with the call's error", s.NFailed, s.NPairs, s.NSkipped, s.FailureExamples)
	}
}
