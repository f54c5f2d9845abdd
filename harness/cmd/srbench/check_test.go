package main

import (
	"bytes"
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
