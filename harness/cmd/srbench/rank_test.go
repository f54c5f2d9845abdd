package main

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/srbench/srbench/harness/results"
)

// writeGallery writes a manifest of 3 generators x 20 prompts x 2 samples
// of small files; missing names an image left out on disk.
func writeGallery(t *testing.T, missing string) string {
	t.Helper()
	dir := t.TempDir()
	var lines []string
	for g := range 3 {
		for p := range 20 {
			for k := range 2 {
				name := fmt.Sprintf("g%d-p%d-%d.png", g, p, k)
				if name != missing {
					if err := os.WriteFile(filepath.Join(dir, name), make([]byte, 100+37*g+11*k+p), 0o644); err != nil {
						t.Fatal(err)
					}
				}
				lines = append(lines, fmt.Sprintf(`{"prompt": "prompt %d", "generator": "g%d", "image": %q, "truth": %d}`, p, g, name, g*10+k))
			}
		}
	}
	path := filepath.Join(dir, "gallery.jsonl")
	if err := os.WriteFile(path, []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// srbench rank from outside: the leaderboard is printed and written, a
// failed image is loud (exit 3 unless accepted), bad input and bad flags are
// refused with the file, line and field or the flag named, and a rerun is
// served from the score cache.
func TestRankCommand(t *testing.T) {
	var ee *exec.ExitError
	t.Run("failed image exits 3", func(t *testing.T) {
		path := writeGallery(t, "g1-p3-0.png")
		out := filepath.Join(t.TempDir(), "lb")
		b, err := srbench("rank", path, "--scorers", "trivial", "--no-progress", "--no-cache", "--out", out).CombinedOutput()
		if !errors.As(err, &ee) || ee.ExitCode() != 3 {
			t.Fatalf("exit %v, want 3\n%s", err, b)
		}
		for _, want := range []string{"leaderboard by trivial", "leaderboard by truth", "WARNING (failures): trivial failed on 1 of 120 images", "g1-p3-0.png", "--max-failures 0"} {
			if !strings.Contains(string(b), want) {
				t.Errorf("output lacks %q:\n%s", want, b)
			}
		}
		lb, err := results.ReadLeaderboard(filepath.Join(out, results.LeaderboardFile))
		if err != nil {
			t.Fatal(err)
		}
		if j := lb.Judges[0]; j.NFailed != 1 || j.NScored != 119 {
			t.Errorf("judge %s: %d failed, %d scored; want 1 and 119", j.Name, j.NFailed, j.NScored)
		}
		for _, f := range []string{"leaderboard.md", "leaderboard.html", "images.jsonl", "rank.json"} {
			if _, err := os.Stat(filepath.Join(out, f)); err != nil {
				t.Errorf("%s: %v", f, err)
			}
		}
		md, _ := os.ReadFile(filepath.Join(out, "leaderboard.md"))
		if i, j := strings.Index(string(md), "failed on 1 of 120"), strings.Index(string(md), "|"); i < 0 || i > j {
			t.Errorf("leaderboard.md does not open with the failure warning (at %d, first table at %d)", i, j)
		}
		ok := filepath.Join(t.TempDir(), "accepted")
		if b, err := srbench("rank", path, "--scorers", "trivial", "--no-progress", "--no-cache", "--max-failures", "1", "--out", ok).CombinedOutput(); err != nil {
			t.Errorf("--max-failures 1: %v\n%s", err, b)
		}
	})
	t.Run("bad input", func(t *testing.T) {
		dir := t.TempDir()
		path := filepath.Join(dir, "g.jsonl")
		os.WriteFile(filepath.Join(dir, "a.png"), []byte("x"), 0o644)
		os.WriteFile(path, []byte(`{"prompt": "p", "generator": "g", "image": "a.png"}`+"\n"+`{"prompt": "p", "image": "a.png"}`+"\n"), 0o644)
		b, err := srbench("rank", path, "--scorers", "trivial", "--no-progress", "--no-cache", "--out", filepath.Join(dir, "lb")).CombinedOutput()
		if err == nil || !strings.Contains(string(b), `line 2: field "generator"`) {
			t.Errorf("a line without a generator: %v\n%s", err, b)
		}
		if _, err := os.Stat(filepath.Join(dir, "lb", "rank.json")); err == nil {
			t.Error("a refused gallery left a ranking journal behind")
		}
	})
	t.Run("srbench resume finishes a ranking", func(t *testing.T) {
		path := writeGallery(t, "")
		out := filepath.Join(t.TempDir(), "lb")
		if b, err := srbench("rank", path, "--scorers", "trivial", "--no-progress", "--no-cache", "--out", out).CombinedOutput(); err != nil {
			t.Fatalf("%v\n%s", err, b)
		}
		whole, err := results.ReadLeaderboard(filepath.Join(out, results.LeaderboardFile))
		if err != nil {
			t.Fatal(err)
		}
		if b, err := srbench("resume", out, "--no-progress", "--no-cache").CombinedOutput(); err == nil || !strings.Contains(string(b), "is finished") {
			t.Errorf("resume of a finished ranking: %v\n%s", err, b)
		}
		// Interrupted after 50 images, the last line torn.
		journal := filepath.Join(out, results.GalleryScoresFile)
		lines := strings.SplitAfter(string(must(os.ReadFile(journal))), "\n")
		os.WriteFile(journal, []byte(strings.Join(lines[:50], "")+lines[50][:10]), 0o644)
		os.Remove(filepath.Join(out, results.LeaderboardFile))
		b, err := srbench("resume", out, "--no-progress", "--no-cache").CombinedOutput()
		if err != nil {
			t.Fatalf("resume: %v\n%s", err, b)
		}
		again, err := results.ReadLeaderboard(filepath.Join(out, results.LeaderboardFile))
		if err != nil {
			t.Fatal(err)
		}
		if !again.Provenance.Resumed || again.Provenance.Scoring["trivial"].Items != 70 {
			t.Errorf("resumed %v, scored %d items; want a resumed ranking that scored the 70 missing images", again.Provenance.Resumed, again.Provenance.Scoring["trivial"].Items)
		}
		for i, r := range whole.Boards[0].Generators {
			if r.Strength != again.Boards[0].Generators[i].Strength {
				t.Errorf("%s: strength %v, after resuming %v", r.Generator, r.Strength, again.Boards[0].Generators[i].Strength)
			}
		}
	})
	t.Run("analyze and report rerun without rescoring", func(t *testing.T) {
		path := writeGallery(t, "")
		out := filepath.Join(t.TempDir(), "lb")
		if b, err := srbench("rank", path, "--scorers", "trivial", "--no-progress", "--no-cache", "--out", out).CombinedOutput(); err != nil {
			t.Fatalf("%v\n%s", err, b)
		}
		before, err := results.ReadLeaderboard(filepath.Join(out, results.LeaderboardFile))
		if err != nil {
			t.Fatal(err)
		}
		if b, err := srbench("analyze", out, "--bootstrap", "200", "--bootstrap-seed", "5").CombinedOutput(); err != nil {
			t.Fatalf("analyze: %v\n%s", err, b)
		}
		after, err := results.ReadLeaderboard(filepath.Join(out, results.LeaderboardFile))
		if err != nil {
			t.Fatal(err)
		}
		if after.Bootstrap.B != 200 || after.Bootstrap.Seed != 5 {
			t.Errorf("bootstrap %+v after analyze --bootstrap 200 --bootstrap-seed 5", after.Bootstrap)
		}
		for i, r := range before.Boards[0].Generators {
			a := after.Boards[0].Generators[i]
			if a.Generator != r.Generator || a.Strength.Value != r.Strength.Value || a.Mean.Value != r.Mean.Value {
				t.Errorf("%s: strength %v mean %v, after analyze %s %v %v: point estimates must not move", r.Generator, r.Strength.Value, r.Mean.Value, a.Generator, a.Strength.Value, a.Mean.Value)
			}
		}
		var ee *exec.ExitError
		if b, err := srbench("analyze", out, "--policy", "pickscore").CombinedOutput(); !errors.As(err, &ee) || ee.ExitCode() != 2 {
			t.Errorf("analyze --policy on a leaderboard: %v, want exit 2\n%s", err, b)
		}
		os.Remove(filepath.Join(out, "leaderboard.md"))
		if b, err := srbench("report", out).CombinedOutput(); err != nil || !strings.Contains(string(b), "leaderboard.md") {
			t.Errorf("report: %v\n%s", err, b)
		}
		if _, err := os.Stat(filepath.Join(out, "leaderboard.md")); err != nil {
			t.Error(err)
		}
	})
	t.Run("rerun from the cache", func(t *testing.T) {
		path := writeGallery(t, "")
		cache := filepath.Join(t.TempDir(), "cache.db")
		var firsts []*results.Leaderboard
		for i := range 2 {
			out := filepath.Join(t.TempDir(), fmt.Sprint("lb", i))
			if b, err := srbench("rank", path, "--scorers", "trivial", "--no-progress", "--cache", cache, "--out", out).CombinedOutput(); err != nil {
				t.Fatalf("run %d: %v\n%s", i, err, b)
			}
			lb, err := results.ReadLeaderboard(filepath.Join(out, results.LeaderboardFile))
			if err != nil {
				t.Fatal(err)
			}
			firsts = append(firsts, lb)
		}
		if firsts[0].Provenance.Cached != 0 || firsts[1].Provenance.Cached != 120 {
			t.Errorf("cached items %d then %d, want 0 then 120", firsts[0].Provenance.Cached, firsts[1].Provenance.Cached)
		}
		a, b := firsts[0].Boards[0].Generators, firsts[1].Boards[0].Generators
		for i := range a {
			if a[i].Strength != b[i].Strength {
				t.Errorf("%s: strength %v, then %v from the cache", a[i].Generator, a[i].Strength, b[i].Strength)
			}
		}
	})
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}
