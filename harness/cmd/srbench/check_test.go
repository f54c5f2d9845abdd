package main

import (
	"bytes"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spf13/cobra"
	"github.com/srbench/srbench/harness/results"
)

// fixtureRun copies the report package's fixture run (3 scorers × 400 pairs)
// into dir.
func fixtureRun(t *testing.T, dir string) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{results.ResultsFile, results.SamplesFile} {
		b, err := os.ReadFile(filepath.Join("..", "..", "report", "testdata", "run", f))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, f), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// runCLI runs one srbench subcommand and returns its output and exit code.
func runCLI(t *testing.T, args ...string) (string, int) {
	t.Helper()
	root := newRootCmd()
	g := &globalFlags{}
	// Until root.go registers them (and harmless after).
	for _, c := range []*cobra.Command{newCheckCmd(g), newReportCmd(g)} {
		if sub, _, err := root.Find([]string{c.Name()}); err != nil || sub == root {
			root.AddCommand(c)
		}
	}
	var out bytes.Buffer
	root.SetOut(&out)
	root.SetErr(&out)
	root.SetArgs(args)
	err := root.Execute()
	code := 0
	if err != nil {
		out.WriteString("srbench: " + err.Error() + "\n")
		code = exitCode(err)
	}
	return out.String(), code
}

func TestCheckCommand(t *testing.T) {
	dir := t.TempDir()
	base, cur := filepath.Join(dir, "baseline-run"), filepath.Join(dir, "pr-run")
	fixtureRun(t, base)
	fixtureRun(t, cur)
	baseline := filepath.Join(dir, "ci", "baseline.json")
	os.MkdirAll(filepath.Dir(baseline), 0o755)

	out, code := runCLI(t, "check", "--baseline", baseline, base, "--update-baseline")
	if code != 0 || !strings.Contains(out, `run_dir "../baseline-run"`) {
		t.Fatalf("--update-baseline: exit %d\n%s", code, out)
	}

	t.Run("unchanged run passes", func(t *testing.T) {
		summary := filepath.Join(dir, "summary.md")
		t.Setenv("GITHUB_STEP_SUMMARY", summary)
		junit := filepath.Join(dir, "junit.xml")
		out, code := runCLI(t, "check", "--baseline", baseline, cur, "--junit", junit)
		if code != 0 || !strings.Contains(out, "## srbench check: ✅ pass") || !strings.Contains(out, "(of the 400 pairs they share)") || !strings.Contains(out, "> - **clipscore**: failed on 3 of 400 pairs") {
			t.Fatalf("exit %d\n%s", code, out)
		}
		s, err := os.ReadFile(summary)
		if err != nil || !strings.Contains(string(s), "srbench check: ✅ pass") {
			t.Errorf("step summary: %v %q", err, s)
		}
		j, err := os.ReadFile(junit)
		if err != nil || !strings.Contains(string(j), `<testsuites name="srbench check" tests="3" failures="0">`) {
			t.Errorf("junit: %v\n%s", err, j)
		}
	})

	t.Run("3 points lower fails with exit 1", func(t *testing.T) {
		res, err := results.ReadResults(filepath.Join(cur, results.ResultsFile))
		if err != nil {
			t.Fatal(err)
		}
		low := filepath.Join(dir, "low-run")
		fixtureRun(t, low)
		*res.Scorers[1].Accuracy -= 0.03 // pickscore
		if err := results.WriteJSON(filepath.Join(low, results.ResultsFile), res); err != nil {
			t.Fatal(err)
		}
		out, code := runCLI(t, "check", "--baseline", baseline, low)
		if code != 1 {
			t.Fatalf("exit %d, want 1\n%s", code, out)
		}
		for _, want := range []string{"❌ regression (1 of 3 scorers)", "pickscore: accuracy 60.5% on 392 pairs, baseline 63.5%: 3.0 points lower, beyond the tolerance of 2.0 points", "p = 1.00", "srbench: regression in pickscore"} {
			if !strings.Contains(out, want) {
				t.Errorf("output lacks %q\n%s", want, out)
			}
		}
	})

	t.Run("unusable input exits 2", func(t *testing.T) {
		bad := filepath.Join(dir, "bad.json")
		os.WriteFile(bad, []byte(`{"version": 1, "scorers": [{"name": "pickscore", "acuracy": 0.6}]}`), 0o644)
		tests := []struct {
			name string
			args []string
			want string
		}{
			{"malformed baseline", []string{"check", "--baseline", bad, cur}, bad + `: field "acuracy": unknown field; did you mean "accuracy"?`},
			{"missing baseline", []string{"check", "--baseline", filepath.Join(dir, "nope.json"), cur}, "nope.json: open"},
			{"no --baseline", []string{"check", cur}, "--baseline FILE is required"},
			{"no run", []string{"check", "--baseline", baseline, filepath.Join(dir, "none")}, filepath.Join(dir, "none", "results.json")},
			{"no RUN_DIR", []string{"check", "--baseline", baseline}, "want one RUN_DIR, got 0 arguments"},
			{"bad alpha", []string{"check", "--baseline", baseline, cur, "--alpha", "2"}, "alpha 2: want 0 < alpha < 1"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				out, code := runCLI(t, tt.args...)
				if code != 2 || !strings.Contains(out, tt.want) {
					t.Errorf("exit %d, want 2 and %q\n%s", code, tt.want, out)
				}
			})
		}
	})
}

func TestReportCommand(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "run")
	fixtureRun(t, dir)
	out, code := runCLI(t, "report", dir)
	if code != 0 || !strings.Contains(out, "report.md") {
		t.Fatalf("exit %d\n%s", code, out)
	}
	for _, f := range []string{"report.md", "report.html", "plots/accuracy.svg", "plots/accuracy.png"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Error(err)
		}
	}
}

// writeLeaderboard writes a leaderboard of three generators under one
// scorer (every SE 0.1) into dir; gen-b's strength is b.
func writeLeaderboard(t *testing.T, dir string, b float64, sha string) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	lb := &results.Leaderboard{
		SchemaVersion: results.LeaderboardSchemaVersion, Kind: results.LeaderboardKind,
		Benchmark: results.Benchmark{Name: "gallery"},
		Gallery:   results.GalleryInfo{SHA256: sha, Generators: []string{"gen-a", "gen-b", "gen-c"}},
		Judges:    []results.Judge{{Name: "pickscore", Kind: "scorer", Fingerprint: "sha256:pick", NScored: 300}},
		Boards: []results.Board{{Judge: "pickscore", Generators: []results.GeneratorRow{
			{Generator: "gen-a", Rank: 1, Strength: results.Estimate{Value: 0.5, SE: 0.1}},
			{Generator: "gen-b", Rank: 2, Strength: results.Estimate{Value: b, SE: 0.1}},
			{Generator: "gen-c", Rank: 3, Strength: results.Estimate{Value: -0.5 - b, SE: 0.1}},
		}}},
		Warnings: []results.Warning{{Kind: "missing-cells", Message: "2 prompts lack some generator's images"}},
	}
	if err := results.WriteJSON(filepath.Join(dir, results.LeaderboardFile), lb); err != nil {
		t.Fatal(err)
	}
}

func TestCheckLeaderboardCommand(t *testing.T) {
	dir := t.TempDir()
	base := filepath.Join(dir, "lb-base")
	writeLeaderboard(t, base, 0, "9a11e7")
	baseline := filepath.Join(dir, "ci", "leaderboard-baseline.json")
	os.MkdirAll(filepath.Dir(baseline), 0o755)
	out, code := runCLI(t, "check", "--baseline", baseline, base, "--update-baseline")
	if code != 0 || !strings.Contains(out, `wrote leaderboard baseline`) || !strings.Contains(out, `run_dir "../lb-base"`) {
		t.Fatalf("--update-baseline: exit %d\n%s", code, out)
	}
	if b, err := os.ReadFile(baseline); err != nil || !strings.Contains(string(b), `"kind": "leaderboard"`) {
		t.Fatalf("baseline file: %v\n%s", err, b)
	}
	// A results run and its baseline, for the kind mix-ups.
	run := filepath.Join(dir, "run")
	fixtureRun(t, run)
	resBaseline := filepath.Join(dir, "ci", "results-baseline.json")
	if out, code := runCLI(t, "check", "--baseline", resBaseline, run, "--update-baseline"); code != 0 {
		t.Fatalf("results --update-baseline: exit %d\n%s", code, out)
	}
	se := math.Sqrt(0.1*0.1 + 0.1*0.1)
	tests := []struct {
		name     string
		baseline string
		b        float64 // gen-b's strength now
		sha      string
		args     []string
		code     int
		want     []string
	}{
		{"unchanged passes", baseline, 0, "9a11e7", nil, 0, []string{"## srbench check: ✅ pass", "| judge | generator | baseline strength | now | z | verdict |",
			"| pickscore | gen-b | +0.000 ± 0.100 | +0.000 ± 0.100 | +0.00 | pass |", "> - 2 prompts lack some generator's images"}},
		{"drop of 5 SE fails", baseline, -5 * se, "9a11e7", nil, 1, []string{"| pickscore | gen-b | +0.000 ± 0.100 | -0.707 ± 0.100 | -5.00 | **regressed** |",
			"srbench: regression in judge pickscore: generator gen-b"}},
		{"small drop passes", baseline, -0.2, "9a11e7", nil, 0, []string{"| -1.41 | pass |"}},
		{"alpha 0.1 fails the small drop", baseline, -0.2, "9a11e7", []string{"--alpha", "0.1"}, 1, []string{"z < −1.282", "| -1.41 | **regressed** |"}},
		{"other gallery refused", baseline, 0, "0ther", nil, 2, []string{`field "gallery.sha256"`, "--allow-dataset-change"}},
		{"other gallery allowed", baseline, 0, "0ther", []string{"--allow-dataset-change"}, 0, []string{"✅ pass"}},
		{"results baseline, leaderboard dir", resBaseline, 0, "9a11e7", nil, 2, []string{"is a results baseline, but", "holds leaderboard.json (a leaderboard), not results.json"}},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cur := filepath.Join(dir, fmt.Sprintf("lb-%d", i))
			writeLeaderboard(t, cur, tt.b, tt.sha)
			junit := filepath.Join(cur, "junit.xml")
			out, code := runCLI(t, append([]string{"check", "--baseline", tt.baseline, cur, "--junit", junit}, tt.args...)...)
			if code != tt.code {
				t.Errorf("exit %d, want %d\n%s", code, tt.code, out)
			}
			for _, w := range tt.want {
				if !strings.Contains(out, w) {
					t.Errorf("output lacks %q\n%s", w, out)
				}
			}
		})
	}
	t.Run("leaderboard baseline, results dir", func(t *testing.T) {
		out, code := runCLI(t, "check", "--baseline", baseline, run)
		if code != 2 || !strings.Contains(out, `is a leaderboard baseline (kind "leaderboard"), but`) {
			t.Errorf("exit %d\n%s", code, out)
		}
	})
	t.Run("update over the other kind", func(t *testing.T) {
		out, code := runCLI(t, "check", "--baseline", resBaseline, base, "--update-baseline")
		if code != 2 || !strings.Contains(out, "results-baseline.json: field \"kind\": the baseline is a results baseline") {
			t.Errorf("exit %d\n%s", code, out)
		}
	})
}
