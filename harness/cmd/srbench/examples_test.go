package main

import (
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/srbench/srbench/harness/onnx"
	"github.com/srbench/srbench/harness/results"
	"github.com/srbench/srbench/internal/testmodels"
)

// exampleCommands returns the command lines of a shell snippet: each non-blank
// line with its "# comment" removed, split into words (the snippets use no
// quoting; a quote fails the test rather than being split wrongly).
func exampleCommands(t *testing.T, snippet string) [][]string {
	t.Helper()
	var cmds [][]string
	for _, line := range strings.Split(snippet, "\n") {
		if i := strings.Index(line, "#"); i >= 0 {
			line = line[:i]
		}
		if strings.TrimSpace(line) == "" {
			continue
		}
		if strings.ContainsAny(line, `"'\$|;&<>`+"`") {
			t.Fatalf("example %q uses shell syntax this test does not interpret", line)
		}
		cmds = append(cmds, strings.Fields(line))
	}
	return cmds
}

// readmeRunningSection returns the first ```sh block of README.md's "## Running a
// benchmark" section.
func readmeRunningSection(t *testing.T, root string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(root, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	_, sec, ok := strings.Cut(string(b), "\n## Running a benchmark\n")
	if !ok {
		t.Fatal(`README.md has no "## Running a benchmark" section`)
	}
	sec, _, _ = strings.Cut(sec, "\n## ")
	_, block, ok := strings.Cut(sec, "```sh\n")
	if !ok {
		t.Fatal("README.md's Running a benchmark section has no ```sh block")
	}
	block, _, _ = strings.Cut(block, "```")
	return block
}

// copyDir copies the regular files under src into dst.
func copyDir(src, dst string) error {
	return filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), b, 0o755)
	})
}

// TestRunExamplesWork (issue #13) runs every command of README.md's "Running a
// benchmark" section and of `srbench run --help`'s Example, verbatim, in a
// directory laid out like the repository root after `make build` and `make demo`
// (bin/srbench, bin/plugins/* pinned, benchmarks/, demo-out/ written by the same
// `srbench demo --out demo-out` the Makefile runs, on a 20-prompt world), and
// checks that each exits 0. `make` lines are not run: the layout already is their
// result.
func TestRunExamplesWork(t *testing.T) {
	root, err := testmodels.ModuleRoot()
	if err != nil {
		t.Fatal(err)
	}
	readme := exampleCommands(t, readmeRunningSection(t, root))
	help := exampleCommands(t, newRunCmd(&globalFlags{}).Example)
	fx, env := demoRepo(t)
	run := func(args ...string) {
		t.Helper()
		cmd := exec.Command(filepath.Join(fx, args[0]), args[1:]...)
		cmd.Dir, cmd.Env = fx, env
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Errorf("%s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
	for _, set := range []struct {
		name string
		cmds [][]string
	}{{"README.md", readme}, {"run --help", help}} {
		ran := 0
		for _, c := range set.cmds {
			if c[0] == "make" {
				continue
			}
			if c[0] != "bin/srbench" {
				t.Errorf("%s: command %q does not start with bin/srbench or make", set.name, strings.Join(c, " "))
				continue
			}
			t.Run(set.name+"/"+strings.Join(c[1:], " "), func(t *testing.T) { run(c...) })
			ran++
		}
		if ran < 2 {
			t.Errorf("%s: %d srbench commands found, want at least 2", set.name, ran)
		}
	}
}

// demoFixture is the repository-shaped directory of demoRepo, built once per
// test binary (under binDir, removed by TestMain).
var demoFixture struct {
	once sync.Once
	dir  string
	env  []string
	err  error
}

// demoRepo returns a directory laid out like the repository root after
// `make build` and `make demo` (bin/srbench, bin/plugins/* pinned,
// benchmarks/, demo-out/ written by the Makefile's own `srbench demo --out
// demo-out` on a 20-prompt world, no ablation), and the environment to run
// bin/srbench in it. It is built once per test binary.
func demoRepo(t *testing.T) (string, []string) {
	t.Helper()
	if testing.Short() {
		t.Skip("builds the four plugins and a small demo")
	}
	f := &demoFixture
	f.once.Do(func() { f.dir, f.env, f.err = buildDemoRepo() })
	if f.err != nil {
		t.Fatal(f.err)
	}
	return f.dir, f.env
}

func buildDemoRepo() (string, []string, error) {
	root, err := testmodels.ModuleRoot()
	if err != nil {
		return "", nil, err
	}
	mk, err := os.ReadFile(filepath.Join(root, "Makefile"))
	if err != nil {
		return "", nil, err
	}
	// The fixture's demo is `make demo`'s; if the Makefile changes, so must this fixture.
	for _, want := range []string{"DEMO_DIR  ?= demo-out\n", "\t$(SRBENCH) demo --out $(DEMO_DIR)\n", "SRBENCH   := $(BIN)/srbench\n", "BIN       := bin\n"} {
		if !strings.Contains(string(mk), want) {
			return "", nil, fmt.Errorf("Makefile no longer contains %q; update demoRepo's fixture", want)
		}
	}
	_, plugins, _ := strings.Cut(string(mk), "\nPLUGINS   := ")
	plugins, _, _ = strings.Cut(plugins, "\n")
	rt, err := onnx.Init(onnx.Options{})
	if err != nil {
		return "", nil, err
	}
	fx := filepath.Join(binDir, "repo")
	cache := filepath.Join(binDir, "repo-cache")
	env := append(os.Environ(), "SRBENCH_CACHE="+cache, onnx.EnvLibrary+"="+rt.LibraryPath())
	bin, err := os.ReadFile(filepath.Join(binDir, "srbench"))
	if err != nil {
		return "", nil, err
	}
	if err := os.MkdirAll(filepath.Join(fx, "bin", "plugins"), 0o755); err != nil {
		return "", nil, err
	}
	if err := os.WriteFile(filepath.Join(fx, "bin", "srbench"), bin, 0o755); err != nil {
		return "", nil, err
	}
	for _, p := range strings.Fields(plugins) {
		if _, err := testmodels.BuildPlugin(filepath.Join(fx, "bin", "plugins"), p, "./plugins/"+p); err != nil {
			return "", nil, err
		}
	}
	if err := copyDir(filepath.Join(root, "benchmarks"), filepath.Join(fx, "benchmarks")); err != nil {
		return "", nil, err
	}
	for _, args := range [][]string{
		{"plugins", "lock", "--plugin-dir", "bin/plugins"},
		{"demo", "--out", "demo-out", "--prompts", "20", "--no-ablation"},
	} {
		cmd := exec.Command(filepath.Join(fx, "bin", "srbench"), args...)
		cmd.Dir, cmd.Env = fx, env
		if out, err := cmd.CombinedOutput(); err != nil {
			return "", nil, fmt.Errorf("srbench %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
	return fx, env, nil
}

// TestConstantScorerIsCaught (issue #13): the contract documentation's
// "length" scorer, which gives both images of every pair the same score, run
// on demo-social. Its headline carries a tie warning in the terminal and at
// the top of report.md, the report shows its accuracy with ties counted
// wrong, half and correct, its accuracy under srbench's default policy is
// exactly 50%, and demo-social's labels are balanced (35-65% "a"). It
// reports no fingerprint, which is warned about too.
func TestConstantScorerIsCaught(t *testing.T) {
	fx, env := demoRepo(t)
	plugins := filepath.Join(t.TempDir(), "plugins")
	if _, err := testmodels.BuildPlugin(plugins, "length", "./harness/scorer/scorertest/cmd/lengthscorer"); err != nil {
		t.Fatal(err)
	}
	srb := func(args ...string) (string, error) {
		cmd := exec.Command(filepath.Join(fx, "bin", "srbench"), args...)
		cmd.Dir, cmd.Env = fx, env
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	if out, err := srb("plugins", "lock", "--plugin-dir", plugins); err != nil {
		t.Fatalf("plugins lock: %v\n%s", err, out)
	}
	tests := []struct {
		policy               string
		headline             string // the scorer's accuracy in the table, flagged
		wrong, half, correct string
	}{
		{"", "50.00%!", "0.0%", "50.0%", "100.0%"},
		{"socialreward", "100.00%!", "0.0%", "50.0%", "100.0%"},
	}
	for _, tt := range tests {
		t.Run("policy="+tt.policy, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "run")
			args := []string{"run", "demo-social", "--plugin-dir", plugins, "--scorers", "length=demo-out/models/clipscore",
				"--no-progress", "--no-cache", "--out", out}
			if tt.policy != "" {
				args = append(args, "--policy", tt.policy)
			}
			term, err := srb(args...)
			if err != nil {
				t.Fatalf("run: %v\n%s", err, term)
			}
			if !regexp.MustCompile(`(?m)^length +` + regexp.QuoteMeta(tt.headline) + ` `).MatchString(term) {
				t.Errorf("terminal lacks the headline %q for length:\n%s", tt.headline, term)
			}
			tieWarning := "WARNING length: 100.0% of its pairs are predicted ties"
			// It reports no fingerprint either: said too.
			for _, want := range []string{tieWarning, "WARNING length: its plugin reported no model fingerprint",
				"would be " + tt.wrong + " with ties wrong, " + tt.half + " with ties half, " + tt.correct + " with ties correct"} {
				if !strings.Contains(term, want) {
					t.Errorf("terminal lacks %q:\n%s", want, term)
				}
			}
			md, err := os.ReadFile(filepath.Join(out, "report.md"))
			if err != nil {
				t.Fatal(err)
			}
			top, _, _ := strings.Cut(string(md), "## Accuracy")
			if !strings.Contains(top, "length:") || !strings.Contains(top, "100.0% of its pairs are predicted ties") {
				t.Errorf("report.md does not warn about the ties before its accuracy table:\n%s", top)
			}
			res := readResults(t, out)
			row := fmt.Sprintf("| length | %d (100.0%%) | %s | %s | %s |", res.Scorers[0].NPairs, tt.wrong, tt.half, tt.correct)
			if !strings.Contains(string(md), row) {
				t.Errorf("report.md lacks the tie-rule row %q", row)
			}
			d := res.Dataset
			if share := float64(d.NLabelA) / float64(d.NLabelA+d.NLabelB); share < 0.35 || share > 0.65 {
				t.Errorf("demo-social labels: %d a, %d b (%.1f%% a), want 35-65%% a", d.NLabelA, d.NLabelB, 100*share)
			}
			for _, w := range res.Warnings {
				if w.Kind == results.WarnLabelBalance {
					t.Errorf("balanced demo-social still warns: %s", w.Message)
				}
			}
		})
	}
}
