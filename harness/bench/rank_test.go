package bench_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/srbench/srbench/harness/bench"
	"github.com/srbench/srbench/harness/results"
	"github.com/srbench/srbench/harness/scorer/scorertest"
)

// testGallery writes a manifest of gens generators x prompts x samples
// whose images are zero-filled files of seeded random sizes: the trivial
// scorer scores an image len(prompt) + size/1000 (scorertest.Expected), so
// every statistic can be computed here from the sizes alone. Generator
// "g2" has no image for prompt 0 (a missing cell). truth is minus the size.
func testGallery(t *testing.T, gens, prompts, samples int) (path string, size map[string]int) {
	t.Helper()
	dir := t.TempDir()
	rng := rand.New(rand.NewPCG(1, 2))
	size = map[string]int{}
	var lines []string
	for g := range gens {
		for p := range prompts {
			if g == 2 && p == 0 {
				continue
			}
			for k := range samples {
				name := fmt.Sprintf("g%d-p%d-%d.png", g, p, k)
				n := 200*g + rng.IntN(700)
				size[name] = n
				if err := os.WriteFile(filepath.Join(dir, name), make([]byte, n), 0o644); err != nil {
					t.Fatal(err)
				}
				lines = append(lines, fmt.Sprintf(`{"prompt": "prompt %d", "generator": "g%d", "image": %q, "truth": %d}`, p, g, name, -n))
			}
		}
	}
	path = filepath.Join(dir, "gallery.jsonl")
	if err := os.WriteFile(path, []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return path, size
}

func TestRankGallery(t *testing.T) {
	const gens, prompts, samples = 3, 30, 2
	path, size := testGallery(t, gens, prompts, samples)
	score := func(g, p, k int) (float64, bool) {
		n, ok := size[fmt.Sprintf("g%d-p%d-%d.png", g, p, k)]
		return scorertest.Expected(fmt.Sprintf("prompt %d", p), n), ok
	}
	out := filepath.Join(t.TempDir(), "lb")
	cfg := bench.RankConfig{Gallery: path, Scorers: []bench.ScorerSpec{{Name: "trivial"}}, OutDir: out,
		Stats: bench.RankStats{B: 200, Seed: 3}}
	lb, err := bench.Rank(context.Background(), cfg, trivialLauncher(nil))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := len(lb.Boards), 2; got != want {
		t.Fatalf("%d boards, want %d (trivial and truth)", got, want)
	}
	board := lb.Board("trivial")
	rows := map[string]results.GeneratorRow{}
	for _, r := range board.Generators {
		rows[r.Generator] = r
	}
	// Means: the mean over the generator's prompts of its cell mean.
	for g := range gens {
		var sum float64
		var n int
		for p := range prompts {
			var cell float64
			var k int
			for s := range samples {
				if x, ok := score(g, p, s); ok {
					cell += x
					k++
				}
			}
			if k > 0 {
				sum += cell / float64(k)
				n++
			}
		}
		name := fmt.Sprintf("g%d", g)
		if got, want := rows[name].Mean.Value, sum/float64(n); math.Abs(got-want) > 1e-9 {
			t.Errorf("%s: mean %v, want %v", name, got, want)
		}
		if got := rows[name].NPrompts; got != n {
			t.Errorf("%s: %d prompts, want %d", name, got, n)
		}
	}
	// Win rates by enumeration over the shared prompts.
	for _, w := range board.WinRates {
		var g, h int
		fmt.Sscanf(w.Generator, "g%d", &g)
		fmt.Sscanf(w.Opponent, "g%d", &h)
		var sum float64
		var n int
		for p := range prompts {
			if _, ok := score(g, p, 0); !ok {
				continue
			}
			if _, ok := score(h, p, 0); !ok {
				continue
			}
			var wins float64
			for a := range samples {
				for b := range samples {
					x, _ := score(g, p, a)
					y, _ := score(h, p, b)
					switch {
					case x > y:
						wins++
					case x == y:
						wins += 0.5
					}
				}
			}
			sum += wins / float64(samples*samples)
			n++
		}
		if got, want := w.Rate.Value, sum/float64(n); math.Abs(got-want) > 1e-12 || w.NPrompts != n {
			t.Errorf("%s vs %s: win rate %v on %d prompts, want %v on %d", w.Generator, w.Opponent, got, w.NPrompts, want, n)
		}
	}
	// Best-of-2 (every sample of a cell) selected by trivial, measured by
	// truth: the truth of the higher-scored sample, averaged over cells.
	var sum float64
	var cells int
	for g := range gens {
		for p := range prompts {
			x0, ok := score(g, p, 0)
			if !ok {
				continue
			}
			x1, _ := score(g, p, 1)
			t0 := -float64(size[fmt.Sprintf("g%d-p%d-0.png", g, p)])
			t1 := -float64(size[fmt.Sprintf("g%d-p%d-1.png", g, p)])
			switch {
			case x0 > x1:
				sum += t0
			case x1 > x0:
				sum += t1
			default:
				sum += (t0 + t1) / 2
			}
			cells++
		}
	}
	found := false
	for _, e := range lb.BestOfN {
		if e.Selector == "trivial" && e.Measure == results.TruthJudge && e.N == 2 {
			found = true
			if math.Abs(e.Value.Value-sum/float64(cells)) > 1e-9 || e.NCells != cells {
				t.Errorf("best-of-2: %v over %d cells, want %v over %d", e.Value.Value, e.NCells, sum/float64(cells), cells)
			}
		}
	}
	if !found {
		t.Error("no best-of-2 entry for trivial measured by truth")
	}
	// The missing cell is counted and warned about, never dropped silently.
	if got := lb.Gallery.MissingByGenerator["g2"]; got != 1 {
		t.Errorf("g2 misses %d prompts, want 1", got)
	}
	kinds := map[string]bool{}
	for _, w := range lb.Warnings {
		kinds[w.Kind] = true
	}
	if !kinds[bench.WarnMissingCells] {
		t.Errorf("warnings %v lack %q", lb.Warnings, bench.WarnMissingCells)
	}
	if lb.Gallery.NImages != len(size) || lb.Judges[0].NScored != len(size) {
		t.Errorf("%d images, %d scored; want %d", lb.Gallery.NImages, lb.Judges[0].NScored, len(size))
	}
	// leaderboard.json reads back to the same leaderboard.
	back, err := results.ReadLeaderboard(filepath.Join(out, results.LeaderboardFile))
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(lb, back, cmpopts.EquateNaNs()); d != "" {
		t.Errorf("leaderboard.json differs from the returned leaderboard (-want +got):\n%s", d)
	}
}

// An interrupted ranking resumed with --resume scores only the images its
// journal lacks and ends with the same leaderboard.
func TestRankResume(t *testing.T) {
	path, _ := testGallery(t, 3, 12, 2)
	out := filepath.Join(t.TempDir(), "lb")
	cfg := bench.RankConfig{Gallery: path, Scorers: []bench.ScorerSpec{{Name: "trivial"}}, OutDir: out, ChunkImages: 8,
		Stats: bench.RankStats{B: 100}}
	whole, err := bench.Rank(context.Background(), cfg, trivialLauncher(nil))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := bench.Rank(context.Background(), cfg, trivialLauncher(nil)); err == nil || !strings.Contains(err.Error(), "srbench resume") {
		t.Errorf("a second ranking into the same directory: %v, want a refusal naming srbench resume", err)
	}
	// Keep 20 journal lines and half of the 21st (a torn write).
	journal := filepath.Join(out, results.GalleryScoresFile)
	b, err := os.ReadFile(journal)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.SplitAfter(string(b), "\n")
	kept := strings.Join(lines[:20], "") + lines[20][:len(lines[20])/2]
	if err := os.WriteFile(journal, []byte(kept), 0o644); err != nil {
		t.Fatal(err)
	}
	os.Remove(filepath.Join(out, results.LeaderboardFile))
	cfg.Resume = true
	var calls atomic.Int64
	var seen idLog
	resumed, err := bench.Rank(context.Background(), cfg, countingLauncher(&calls, 0, &seen))
	if err != nil {
		t.Fatal(err)
	}
	if want := whole.Gallery.NImages - 20; calls.Load() != int64(want) {
		t.Errorf("resume scored %d images, want %d", calls.Load(), want)
	}
	ignore := cmpopts.IgnoreFields(results.Leaderboard{}, "Provenance")
	if d := cmp.Diff(whole, resumed, ignore, cmpopts.EquateNaNs()); d != "" {
		t.Errorf("resumed leaderboard differs (-whole +resumed):\n%s", d)
	}
	var n int
	b, _ = os.ReadFile(journal)
	for _, l := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		var s results.GalleryScore
		if err := json.Unmarshal([]byte(l), &s); err != nil {
			t.Fatalf("journal line %d: %v", n+1, err)
		}
		if s.Index != n {
			t.Errorf("journal line %d has index %d", n+1, s.Index)
		}
		n++
	}
	if n != whole.Gallery.NImages {
		t.Errorf("journal has %d lines, want %d", n, whole.Gallery.NImages)
	}
}

// A scorer that gives every image the same score ranks the generators
// arbitrarily: the leaderboard must say so, not present a ranking.
func TestRankWarnsConstantScorer(t *testing.T) {
	dir := t.TempDir()
	var lines []string
	for g := range 3 {
		for p := range 25 {
			name := fmt.Sprintf("g%d-p%d.png", g, p)
			if err := os.WriteFile(filepath.Join(dir, name), make([]byte, 100), 0o644); err != nil {
				t.Fatal(err)
			}
			// Prompts of equal length: the trivial score len(prompt) + size/1000 is constant.
			lines = append(lines, fmt.Sprintf(`{"prompt": "prompt %02d", "generator": "g%d", "image": %q}`, p, g, name))
		}
	}
	path := filepath.Join(dir, "gallery.jsonl")
	if err := os.WriteFile(path, []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	lb, err := bench.Rank(context.Background(), bench.RankConfig{Gallery: path, Scorers: []bench.ScorerSpec{{Name: "trivial"}},
		OutDir: filepath.Join(t.TempDir(), "lb"), Stats: bench.RankStats{B: 50}}, trivialLauncher(nil))
	if err != nil {
		t.Fatal(err)
	}
	var found bool
	for _, w := range lb.Warnings {
		found = found || (w.Kind == bench.WarnConstantScores && w.Scorer == "trivial")
	}
	if !found {
		t.Errorf("warnings %+v: want %q for trivial", lb.Warnings, bench.WarnConstantScores)
	}
	for _, w := range lb.Board("trivial").WinRates {
		if w.Rate.Value != 0.5 || w.Significant {
			t.Errorf("%s vs %s: win rate %v (significant %v), want 1/2 and not significant", w.Generator, w.Opponent, w.Rate.Value, w.Significant)
		}
	}
}

// In reproducible mode images.jsonl leaves out machine paths, but the
// leaderboard's galleries still name files that exist (relative to the
// working directory, as the gallery's own path is).
func TestRankReproducibleGalleries(t *testing.T) {
	t.Setenv(bench.ReproducibleEnv, "1")
	path, _ := testGallery(t, 3, 6, 2)
	lb, err := bench.Rank(context.Background(), bench.RankConfig{Gallery: path, Scorers: []bench.ScorerSpec{{Name: "trivial"}},
		OutDir: filepath.Join(t.TempDir(), "lb"), Stats: bench.RankStats{B: 50}}, trivialLauncher(nil))
	if err != nil {
		t.Fatal(err)
	}
	if len(lb.Extremes) == 0 {
		t.Fatal("no galleries")
	}
	for _, e := range lb.Extremes {
		for _, im := range append(e.Best, e.Worst...) {
			if _, err := os.Stat(im.Path); err != nil || im.Path == "" {
				t.Errorf("%s/%s: image %s: path %q: %v", e.Judge, e.Generator, im.Image, im.Path, err)
			}
		}
	}
}
