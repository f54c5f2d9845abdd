package bench_test

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/srbench/srbench/harness/bench"
	"github.com/srbench/srbench/harness/dataset"
	"github.com/srbench/srbench/harness/results"
	"github.com/srbench/srbench/harness/scorer"
	"github.com/srbench/srbench/harness/scorer/scorertest"
)

// writeDataset writes images of the given byte sizes and a pairs JSONL
// dataset; the trivial scorer's score grows with the image size, so the
// label decides whether it is right.
func writeDataset(t *testing.T, lines []string, sizes map[string]int) string {
	t.Helper()
	dir := t.TempDir()
	for name, n := range sizes {
		if err := os.WriteFile(filepath.Join(dir, name), make([]byte, n), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	path := filepath.Join(dir, "pairs.jsonl")
	if err := os.WriteFile(path, []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func trivialLauncher(opts map[string]string) bench.Launcher {
	return func(ctx context.Context, spec bench.ScorerSpec) (bench.Plugin, error) {
		o := map[string]string{"fingerprint": "sha256:" + spec.Name}
		for k, v := range opts {
			o[k] = v
		}
		return inProcess(scorertest.New(ctx, scorer.Config{ModelDir: spec.ModelDir, Options: o}))
	}
}

// inProcess wraps a scorer made in this process as a bench.Plugin.
func inProcess(sc scorer.Scorer, err error) (bench.Plugin, error) {
	if err != nil {
		return nil, err
	}
	return bench.InProcess(sc), nil
}

func TestRunWritesSamplesAndResults(t *testing.T) {
	sizes := map[string]int{"big.png": 3000, "small.png": 1000, "mid.png": 2000}
	lines := []string{
		`{"prompt":"p1","image_a":"big.png","image_b":"small.png","label":"a"}`, // right
		`{"prompt":"p2","image_a":"small.png","image_b":"mid.png","label":"b"}`, // right
		`{"prompt":"p3","image_a":"small.png","image_b":"big.png","label":"a"}`, // wrong
		`{"prompt":"p4","image_a":"mid.png","image_b":"mid.png","label":"a"}`,   // predicted tie -> half credit (srbench policy)
		`{"prompt":"p5","image_a":"mid.png","image_b":"big.png","label":"tie"}`, // label tie -> skipped
		`{"prompt":"FAIL","image_a":"mid.png","image_b":"big.png","label":"a"}`, // per-item failure
		`{"prompt":"p7","image_a":"gone.png","image_b":"big.png","label":"a"}`,  // missing file -> failure
	}
	path := writeDataset(t, lines, sizes)
	out := filepath.Join(t.TempDir(), "run")
	res, err := bench.Run(context.Background(), bench.Config{
		Benchmark:  results.Benchmark{Name: "unit"},
		Dataset:    dataset.Spec{Path: path},
		Scorers:    []bench.ScorerSpec{{Name: "s1", BatchSize: 3}, {Name: "s2", BatchSize: 5}},
		OutDir:     out,
		ChunkPairs: 4,
	}, trivialLauncher(map[string]string{"fail_prompt": "FAIL"}))
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range res.Scorers {
		// Counted: p1..p4 (4 pairs), 3 correct; p5 skipped; 2 failed.
		if s.NPairs != 4 || s.Accuracy == nil || *s.Accuracy != 0.625 || s.NFailed != 2 || s.NSkipped != 1 {
			t.Errorf("%s: pairs %d accuracy %v failed %d skipped %d; want 4, 0.625 (2.5 of 4), 2, 1", s.Name, s.NPairs, s.Accuracy, s.NFailed, s.NSkipped)
		}
		if s.Fingerprint != "sha256:"+s.Name {
			t.Errorf("%s: fingerprint %q", s.Name, s.Fingerprint)
		}
	}
	if res.Dataset.NPairs != len(lines) || res.Dataset.SHA256 == "" {
		t.Errorf("dataset info %+v", res.Dataset)
	}
	// Both scorers are identical: no discordant pairs, p = 1.
	if len(res.Comparisons) != 1 || res.Comparisons[0].PMcNemar != 1 || res.Comparisons[0].Diff != 0 {
		t.Errorf("comparisons %+v", res.Comparisons)
	}

	// samples.jsonl: one line per pair, in order, with the scores the trivial scorer gives.
	var got []results.Sample
	if err := results.ReadSamples(filepath.Join(out, "samples.jsonl"), func(s results.Sample) error {
		got = append(got, s)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if len(got) != len(lines) {
		t.Fatalf("%d samples, want %d", len(got), len(lines))
	}
	first := got[0].Scores["s1"]
	if first.A != scorertest.Expected("p1", 3000) || first.B != scorertest.Expected("p1", 1000) {
		t.Errorf("sample 0 scores %+v", first)
	}
	if e := got[5].Scores["s2"].Error; !strings.Contains(e, "image a: trivial: asked to fail") {
		t.Errorf("sample 5 error %q", e)
	}
	if e := got[6].Scores["s1"].Error; !strings.Contains(e, "gone.png") {
		t.Errorf("sample 6 error %q", e)
	}
	// results.json round-trips.
	rr, err := results.ReadResults(filepath.Join(out, "results.json"))
	if err != nil {
		t.Fatal(err)
	}
	if a, ok := rr.Scorers[0].Acc(); !ok || a != 0.625 {
		t.Errorf("results.json accuracy %v", rr.Scorers[0].Accuracy)
	}
}

func TestRunRefusesBadInput(t *testing.T) {
	sizes := map[string]int{"a.png": 1}
	tests := []struct {
		name  string
		lines []string
		want  string
	}{
		{"invalid JSON names the line", []string{`{"prompt":"p","image_a":"a.png","image_b":"a.png","label":"a"}`, `{"prompt": oops}`}, "line 2"},
		{"path escape refused", []string{`{"prompt":"p","image_a":"../etc/passwd","image_b":"a.png","label":"a"}`}, "image_a"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := writeDataset(t, tc.lines, sizes)
			_, err := bench.Run(context.Background(), bench.Config{
				Dataset: dataset.Spec{Path: path}, Scorers: []bench.ScorerSpec{{Name: "s"}},
				OutDir: filepath.Join(t.TempDir(), "run"),
			}, trivialLauncher(nil))
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "pairs.jsonl") {
				t.Fatalf("got %v, want an error naming pairs.jsonl and %q", err, tc.want)
			}
		})
	}
}

func ExamplePrintTable() {
	f := func(x float64) *float64 { return &x }
	res := &results.Results{Scorers: []results.ScorerResult{
		{Name: "clipscore", Variant: "hessel", Accuracy: f(0.6), CI95: &[2]float64{0.55, 0.65}, CIMethod: results.CIBootstrap,
			NPairs: 400, Fingerprint: "sha256:0123456789abcdef0123"},
		{Name: "socialreward", Variant: "cosine", Accuracy: f(0.7), CI95: &[2]float64{0.65, 0.75}, CIMethod: results.CIBootstrap,
			NPairs: 400, NFailed: 2, Fingerprint: "sha256:fedcba9876543210fedc"},
		{Name: "broken", Variant: "v1", NFailed: 402, Fingerprint: "sha256:00"},
	}, Warnings: []results.Warning{
		{Kind: results.WarnFailures, Scorer: "socialreward", Message: "failed on 2 of 402 pairs"},
		{Kind: results.WarnNoPairs, Scorer: "broken", Message: "no pair counted"},
	}}
	bench.PrintTable(os.Stdout, res)
	bench.PrintWarnings(os.Stdout, res)
	// Output:
	// scorer         variant       accuracy   95% CI           pairs    ties   failed  fingerprint
	// socialreward   cosine          70.00%   [ 65.0,  75.0]     400   0.0%        2!  sha256:fedcba987654
	// clipscore      hessel          60.00%   [ 55.0,  65.0]     400   0.0%        0   sha256:0123456789ab
	// broken         v1                 n/a!                       0    n/a      402!  sha256:00
	// WARNING socialreward: failed on 2 of 402 pairs
	// WARNING broken: no pair counted
}

// closeCounter wraps a scorer and counts Close calls.
type closeCounter struct {
	bench.Plugin
	closed *atomic.Int32
}

func (c closeCounter) Kill() { c.closed.Add(1) }

// Scorers are launched concurrently (each launch here waits until all have
// started, which would time out one at a time); when one fails, the error
// names it and every scorer that started is closed.
func TestRunLaunchesScorersConcurrently(t *testing.T) {
	path := writeDataset(t, []string{`{"prompt":"p1","image_a":"a.png","image_b":"b.png","label":"a"}`},
		map[string]int{"a.png": 10, "b.png": 20})
	names := []string{"s1", "s2", "s3"}
	cases := []struct {
		name    string
		fail    string // scorer whose launch fails
		wantErr string
	}{
		{name: "all start"},
		{name: "one fails", fail: "s2", wantErr: `scorer "s2": no model here`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var started sync.WaitGroup
			started.Add(len(names))
			var closed atomic.Int32
			launch := func(ctx context.Context, spec bench.ScorerSpec) (bench.Plugin, error) {
				started.Done()
				wait := make(chan struct{})
				go func() { started.Wait(); close(wait) }()
				select {
				case <-wait:
				case <-time.After(10 * time.Second):
					return nil, errors.New("launched one at a time")
				}
				if spec.Name == tc.fail {
					return nil, errors.New("no model here")
				}
				sc, err := trivialLauncher(nil)(ctx, spec)
				if err != nil {
					return nil, err
				}
				return closeCounter{sc, &closed}, nil
			}
			var specs []bench.ScorerSpec
			for _, n := range names {
				specs = append(specs, bench.ScorerSpec{Name: n})
			}
			_, err := bench.Run(context.Background(), bench.Config{
				Benchmark: results.Benchmark{Name: "unit"}, Dataset: dataset.Spec{Path: path},
				Scorers: specs, OutDir: filepath.Join(t.TempDir(), "run"),
			}, launch)
			switch {
			case tc.wantErr == "" && err != nil:
				t.Fatal(err)
			case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
				t.Fatalf("error %v, want one containing %q", err, tc.wantErr)
			}
			want := len(names)
			if tc.fail != "" {
				want--
			}
			if got := int(closed.Load()); got != want {
				t.Errorf("%d scorers closed, want %d", got, want)
			}
		})
	}
}

// inFlight wraps a plugin and records how many Score calls overlap: a call
// waits (up to half a second) for another to start, so a runner that keeps
// two calls in flight is seen doing so.
type inFlight struct {
	bench.Plugin
	mu        sync.Mutex
	now, most int
	started   chan struct{}
}

func (p *inFlight) Score(ctx context.Context, req scorer.ScoreRequest) (scorer.ScoreResponse, error) {
	p.mu.Lock()
	p.now++
	p.most = max(p.most, p.now)
	p.mu.Unlock()
	select {
	case p.started <- struct{}{}:
	default:
	}
	select {
	case <-p.started:
	case <-time.After(500 * time.Millisecond):
	}
	defer func() {
		p.mu.Lock()
		p.now--
		p.mu.Unlock()
	}()
	return p.Plugin.Score(ctx, req)
}

// TestRunKeepsCallsInFlight: the runner keeps bench.CallsInFlight Score
// calls in flight, never more; the samples are those of the scorer called
// on each item, in order; provenance.scoring counts the calls and items
// (7 pairs = 14 items, chunks of 4 pairs = 8 and 6 items, batches of 3:
// 3 + 2 calls, the first of 3 items).
func TestRunKeepsCallsInFlight(t *testing.T) {
	sizes := map[string]int{}
	var lines []string
	for i := range 7 {
		a, b := fmt.Sprintf("a%d.png", i), fmt.Sprintf("b%d.png", i)
		sizes[a], sizes[b] = 100+i, 200+i
		lines = append(lines, fmt.Sprintf(`{"prompt":"p%d","image_a":%q,"image_b":%q,"label":"b"}`, i, a, b))
	}
	path := writeDataset(t, lines, sizes)
	var wrapped *inFlight
	launch := func(ctx context.Context, spec bench.ScorerSpec) (bench.Plugin, error) {
		p, err := trivialLauncher(nil)(ctx, spec)
		wrapped = &inFlight{Plugin: p, started: make(chan struct{})}
		return wrapped, err
	}
	out := filepath.Join(t.TempDir(), "run")
	res, err := bench.Run(context.Background(), bench.Config{
		Benchmark: results.Benchmark{Name: "unit"}, Dataset: dataset.Spec{Path: path},
		Scorers: []bench.ScorerSpec{{Name: "s", BatchSize: 3}}, OutDir: out, ChunkPairs: 4,
	}, launch)
	if err != nil {
		t.Fatal(err)
	}
	if wrapped.most != bench.CallsInFlight {
		t.Errorf("at most %d calls in flight, want %d", wrapped.most, bench.CallsInFlight)
	}
	want := results.ScoringTime{Calls: 5, Items: 14, FirstCallItems: 3}
	got := res.Provenance.Scoring["s"]
	if got.Calls != want.Calls || got.Items != want.Items || got.FirstCallItems != want.FirstCallItems ||
		got.Seconds <= 0 || got.FirstCallSeconds <= 0 || got.FirstCallSeconds > got.Seconds {
		t.Errorf("provenance.scoring %+v, want calls 5, items 14, first call 3 items, 0 < first call seconds <= seconds", got)
	}
	var i int
	if err := results.ReadSamples(filepath.Join(out, "samples.jsonl"), func(s results.Sample) error {
		sc := s.Scores["s"]
		p := fmt.Sprintf("p%d", i)
		if s.Prompt != p || sc.A != scorertest.Expected(p, 100+i) || sc.B != scorertest.Expected(p, 200+i) {
			t.Errorf("sample %d: prompt %q scores %v, %v; want %q and the trivial scorer's scores of sizes %d, %d", i, s.Prompt, sc.A, sc.B, p, 100+i, 200+i)
		}
		i++
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if i != len(lines) {
		t.Errorf("%d samples, want %d", i, len(lines))
	}
}

// withDetails adds Details to a plugin's description.
type withDetails struct {
	bench.Plugin
	details map[string]string
}

func (p withDetails) Describe(ctx context.Context, _ scorer.DescribeRequest) (scorer.Description, error) {
	d, err := p.Plugin.Describe(ctx, scorer.DescribeRequest{})
	d.Details = maps.Clone(p.details)
	return d, err
}

// TestReproducibleLeavesOutMachineDetails: a reproducible run (the
// committed example) records neither the machine's thread counts
// (scorer.MachineDetails) nor its timings; an ordinary run records both.
func TestReproducibleLeavesOutMachineDetails(t *testing.T) {
	path := writeDataset(t, []string{`{"prompt":"p","image_a":"a.png","image_b":"b.png","label":"b"}`}, map[string]int{"a.png": 1, "b.png": 2})
	details := map[string]string{scorer.DetailIntraOpThreads: "7", scorer.DetailDecodeWorkers: "3", "onnx_files": "model.onnx"}
	tests := []struct {
		reproducible string
		want         map[string]string
		timings      bool
	}{
		{"", details, true},
		{"1", map[string]string{"onnx_files": "model.onnx"}, false},
	}
	for _, tc := range tests {
		t.Run("reproducible="+tc.reproducible, func(t *testing.T) {
			t.Setenv(bench.ReproducibleEnv, tc.reproducible)
			launch := func(ctx context.Context, spec bench.ScorerSpec) (bench.Plugin, error) {
				p, err := trivialLauncher(nil)(ctx, spec)
				return withDetails{p, details}, err
			}
			res, err := bench.Run(context.Background(), bench.Config{
				Benchmark: results.Benchmark{Name: "unit"}, Dataset: dataset.Spec{Path: path},
				Scorers: []bench.ScorerSpec{{Name: "s"}}, OutDir: filepath.Join(t.TempDir(), "run"),
			}, launch)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, res.Scorers[0].Details); diff != "" {
				t.Errorf("details (-want +got):\n%s", diff)
			}
			if _, ok := res.Provenance.Scoring["s"]; ok != tc.timings {
				t.Errorf("provenance.scoring recorded: %v, want %v", ok, tc.timings)
			}
		})
	}
}
