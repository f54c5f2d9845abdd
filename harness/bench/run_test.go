package bench_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

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
