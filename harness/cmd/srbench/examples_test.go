package main

import (
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/srbench/srbench/harness/onnx"
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

// copyTree copies the regular files under src into dst.
func copyTree(t *testing.T, src, dst string) {
	t.Helper()
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
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
	if err != nil {
		t.Fatal(err)
	}
}

// TestRunExamplesWork (issue #13) runs every command of README.md's "Running a
// benchmark" section and of `srbench run --help`'s Example, verbatim, in a
// directory laid out like the repository root after `make build` and `make demo`
// (bin/srbench, bin/plugins/* pinned, benchmarks/, demo-out/ written by the same
// `srbench demo --out demo-out` the Makefile runs, on a 20-prompt world), and
// checks that each exits 0. `make` lines are not run: the layout already is their
// result.
func TestRunExamplesWork(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the four plugins and a small demo")
	}
	root, err := testmodels.ModuleRoot()
	if err != nil {
		t.Fatal(err)
	}
	readme := exampleCommands(t, readmeRunningSection(t, root))
	help := exampleCommands(t, newRunCmd(&globalFlags{}).Example)
	mk, err := os.ReadFile(filepath.Join(root, "Makefile"))
	if err != nil {
		t.Fatal(err)
	}
	// The fixture's demo is `make demo`'s; if the Makefile changes, so must this test.
	for _, want := range []string{"DEMO_DIR  ?= demo-out\n", "\t$(SRBENCH) demo --out $(DEMO_DIR)\n", "SRBENCH   := $(BIN)/srbench\n", "BIN       := bin\n"} {
		if !strings.Contains(string(mk), want) {
			t.Fatalf("Makefile no longer contains %q; update TestRunExamplesWork's fixture", want)
		}
	}
	_, plugins, _ := strings.Cut(string(mk), "\nPLUGINS   := ")
	plugins, _, _ = strings.Cut(plugins, "\n")

	rt, err := onnx.Init(onnx.Options{})
	if err != nil {
		t.Fatal(err)
	}
	fx := t.TempDir()
	env := append(os.Environ(), "SRBENCH_CACHE="+t.TempDir(), onnx.EnvLibrary+"="+rt.LibraryPath())
	bin, err := os.ReadFile(filepath.Join(binDir, "srbench"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(fx, "bin", "plugins"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(fx, "bin", "srbench"), bin, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, p := range strings.Fields(plugins) {
		if _, err := testmodels.BuildPlugin(filepath.Join(fx, "bin", "plugins"), p, "./plugins/"+p); err != nil {
			t.Fatal(err)
		}
	}
	copyTree(t, filepath.Join(root, "benchmarks"), filepath.Join(fx, "benchmarks"))
	run := func(args ...string) {
		t.Helper()
		cmd := exec.Command(filepath.Join(fx, args[0]), args[1:]...)
		cmd.Dir, cmd.Env = fx, env
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Errorf("%s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
	run("bin/srbench", "plugins", "lock", "--plugin-dir", "bin/plugins")
	run("bin/srbench", "demo", "--out", "demo-out", "--prompts", "20", "--no-ablation")
	if t.Failed() {
		t.FailNow()
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
