package main

import (
	"bytes"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/srbench/srbench/harness/results"
)

// notice is what pflag prints on stderr for a deprecated spelling.
func notice(old, target string) string {
	return "Flag --" + old + " has been deprecated, use --" + target + " instead"
}

// parseFlags parses args for the command they name, as srbench would, and
// returns the command and what parsing printed.
func parseFlags(t *testing.T, args ...string) (*cobra.Command, string) {
	t.Helper()
	root := newRootCmd()
	var out bytes.Buffer
	root.SetOut(&out)
	root.SetErr(&out)
	cmd, rest, err := root.Find(args)
	if err != nil {
		t.Fatalf("find %v: %v", args, err)
	}
	if err := cmd.ParseFlags(rest); err != nil {
		t.Fatalf("parse %v: %v", args, err)
	}
	return cmd, out.String()
}

// TestDeprecatedFlagSpellings: every old spelling kept for one release sets
// the same flag, to the same value, as its new spelling, and prints a
// deprecation notice naming the new spelling; the old one is hidden from
// help.
func TestDeprecatedFlagSpellings(t *testing.T) {
	tests := []struct {
		cmd             []string
		old, new, value string
	}{
		{[]string{"run"}, "seed", "bootstrap-seed", "7"},
		{[]string{"analyze"}, "seed", "bootstrap-seed", "7"},
		{[]string{"simulate"}, "seed", "world-seed", "3"},
		{[]string{"curate"}, "seed", "split-seed", "2"},
		{[]string{"curate"}, "in", "log", "world/log.jsonl"},
		{[]string{"models", "demo"}, "seed", "weight-seed", "1"},
		{[]string{"train"}, "train", "dataset", "curated/train.jsonl"},
		{[]string{"train"}, "val", "val-dataset", "curated/validation.jsonl"},
		{[]string{"ablate"}, "backbone", "model", "models/socialreward"},
		{[]string{"ablate"}, "seed", "split-seed", "4"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.cmd, " ")+" --"+tt.old, func(t *testing.T) {
			oldCmd, printed := parseFlags(t, append(slicesClone(tt.cmd), "--"+tt.old, tt.value)...)
			newCmd, quiet := parseFlags(t, append(slicesClone(tt.cmd), "--"+tt.new, tt.value)...)
			if !strings.Contains(printed, notice(tt.old, tt.new)) {
				t.Errorf("--%s printed %q, want the notice %q", tt.old, printed, notice(tt.old, tt.new))
			}
			if quiet != "" {
				t.Errorf("--%s printed %q, want nothing", tt.new, quiet)
			}
			got, want := oldCmd.Flags().Lookup(tt.new), newCmd.Flags().Lookup(tt.new)
			if !got.Changed || got.Value.String() != want.Value.String() {
				t.Errorf("--%s %s: --%s = %q (changed %v), want %q as --%s %s gives", tt.old, tt.value, tt.new, got.Value, got.Changed, want.Value, tt.new, tt.value)
			}
			if f := oldCmd.Flags().Lookup(tt.old); !f.Hidden {
				t.Errorf("--%s is not hidden from help", tt.old)
			}
		})
	}
}

func slicesClone(s []string) []string { return append([]string(nil), s...) }

// TestDeprecatedSpellingsEndToEnd runs srbench with old and new spellings:
// both have the same effect, and the old one prints its notice on stderr
// (stdout is left to the command's output).
func TestDeprecatedSpellingsEndToEnd(t *testing.T) {
	world := filepath.Join(t.TempDir(), "world")
	runOK(t, "simulate", "--world-seed", "5", "--prompts", "6", "--out", world)
	log := filepath.Join(world, "log.jsonl")
	// An unfinished run: a finished one without results.json and with half
	// its samples (what a killed run leaves).
	spec := writeBench(t, 40, nil)
	full := filepath.Join(t.TempDir(), "full")
	runOK(t, "run", spec, "--no-cache", "--no-progress", "--out", full)
	unfinished := func(t *testing.T, dir string) {
		t.Helper()
		if err := copyDir(full, dir); err != nil {
			t.Fatal(err)
		}
		for _, f := range []string{results.ResultsFile, "report.md", "report.html"} {
			os.Remove(filepath.Join(dir, f))
		}
		samples := filepath.Join(dir, results.SamplesFile)
		b, err := os.ReadFile(samples)
		if err != nil {
			t.Fatal(err)
		}
		lines := strings.SplitAfter(string(b), "\n")
		if err := os.WriteFile(samples, []byte(strings.Join(lines[:len(lines)/2], "")), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	fixture := func(t *testing.T, dir string) { fixtureRun(t, dir) }
	tests := []struct {
		name     string
		setup    func(t *testing.T, dir string) // prepares dir before the command, if set
		old, new func(dir string) []string      // the command lines, writing into dir
		notices  []string
		effect   func(t *testing.T, dir string) any // what both spellings must agree on
	}{
		{
			name: "simulate --seed",
			old:  func(d string) []string { return []string{"simulate", "--seed", "3", "--prompts", "4", "--out", d} },
			new: func(d string) []string {
				return []string{"simulate", "--world-seed", "3", "--prompts", "4", "--out", d}
			},
			notices: []string{notice("seed", "world-seed")},
			effect:  func(t *testing.T, d string) any { return readFiles(t, d, "world.json", "log.jsonl") },
		},
		{
			name:    "curate --in --seed",
			old:     func(d string) []string { return []string{"curate", "--in", log, "--seed", "2", "--out", d} },
			new:     func(d string) []string { return []string{"curate", "--log", log, "--split-seed", "2", "--out", d} },
			notices: []string{notice("in", "log"), notice("seed", "split-seed")},
			effect: func(t *testing.T, d string) any {
				return readFiles(t, d, "metadata.json", "train.jsonl", "validation.jsonl", "test.jsonl")
			},
		},
		{
			name: "models demo --seed --models",
			old: func(d string) []string {
				return []string{"models", "demo", "--scorers", "clipscore", "--seed", "1", "--models", d}
			},
			new: func(d string) []string {
				return []string{"models", "demo", "--scorers", "clipscore", "--weight-seed", "1", "--out", d}
			},
			notices: []string{notice("seed", "weight-seed"), notice("models", "out")},
			effect:  func(t *testing.T, d string) any { return readTree(t, d) },
		},
		{
			name:    "analyze --seed",
			setup:   fixture,
			old:     func(d string) []string { return []string{"analyze", d, "--seed", "7", "--bootstrap", "50"} },
			new:     func(d string) []string { return []string{"analyze", d, "--bootstrap-seed", "7", "--bootstrap", "50"} },
			notices: []string{notice("seed", "bootstrap-seed")},
			effect: func(t *testing.T, d string) any {
				r := readResults(t, d)
				if r.Bootstrap.Seed != 7 {
					t.Errorf("bootstrap seed %d, want 7", r.Bootstrap.Seed)
				}
				return r
			},
		},
		{
			name:    "run --resume",
			setup:   unfinished,
			old:     func(d string) []string { return []string{"run", "--resume", d, "--no-cache", "--no-progress"} },
			new:     func(d string) []string { return []string{"resume", d, "--no-cache", "--no-progress"} },
			notices: []string{"Flag --resume has been deprecated, use `srbench resume RUN_DIR` instead"},
			effect: func(t *testing.T, d string) any {
				r := readResults(t, d)
				if !r.Provenance.Resumed || r.Dataset.NPairs != 40 {
					t.Errorf("resumed %v, %d pairs; want a resumed run of 40 pairs", r.Provenance.Resumed, r.Dataset.NPairs)
				}
				return r.Scorers
			},
		},
		{
			name:  "global flags on a command that launches no plugin",
			setup: fixture,
			old: func(d string) []string {
				return []string{"--models", "elsewhere", "report", d, "-v", "--plugin-dir", "nowhere", "--plugin-timeout", "1s", "--allow-unpinned"}
			},
			new: func(d string) []string { return []string{"report", d} },
			notices: []string{
				"Flag --models has been deprecated, it has no effect on this command (it is taken by run, resume and plugins list)",
				"Flag --verbose has been deprecated, it has no effect on this command",
				"Flag --plugin-dir has been deprecated, it has no effect on this command",
				"Flag --plugin-timeout has been deprecated, it has no effect on this command",
				"Flag --allow-unpinned has been deprecated, it has no effect on this command",
			},
			effect: func(t *testing.T, d string) any { return readFiles(t, d, "report.md") },
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var effects [2]any
			for i, spell := range []func(string) []string{tt.old, tt.new} {
				dir := filepath.Join(t.TempDir(), "out")
				if tt.setup != nil {
					tt.setup(t, dir)
				}
				args := spell(dir)
				cmd := srbench(args...)
				var stdout, stderr bytes.Buffer
				cmd.Stdout, cmd.Stderr = &stdout, &stderr
				if err := cmd.Run(); err != nil {
					t.Fatalf("srbench %s: %v\n%s%s", strings.Join(args, " "), err, stdout.String(), stderr.String())
				}
				for _, n := range tt.notices {
					if got := strings.Contains(stderr.String(), n); got != (i == 0) {
						t.Errorf("srbench %s: notice %q on stderr: %v, want %v\nstderr:\n%s", strings.Join(args, " "), n, got, i == 0, stderr.String())
					}
				}
				if strings.Contains(stdout.String(), "deprecated") {
					t.Errorf("srbench %s: a deprecation notice on stdout:\n%s", strings.Join(args, " "), stdout.String())
				}
				effects[i] = tt.effect(t, dir)
			}
			if diff := cmp.Diff(effects[1], effects[0], volatile); diff != "" {
				t.Errorf("the old spelling's effect differs (-new +old):\n%s", diff)
			}
		})
	}
}

// readFiles returns the named files of dir, with every mention of dir
// itself replaced (the two spellings write into different directories).
func readFiles(t *testing.T, dir string, names ...string) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, n := range names {
		b, err := os.ReadFile(filepath.Join(dir, n))
		if err != nil {
			t.Fatal(err)
		}
		out[n] = strings.ReplaceAll(string(b), dir, "DIR")
	}
	return out
}

// readTree returns every regular file under dir by its relative path.
func readTree(t *testing.T, dir string) map[string]string {
	t.Helper()
	var names []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			rel, _ := filepath.Rel(dir, p)
			names = append(names, rel)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(names)
	return readFiles(t, dir, names...)
}

// TestFlagVocabulary keeps the CLI's vocabulary (docs/cli.md): a flag name
// means one thing, so it has one type on every command that takes it; the
// retired spellings are not visible anywhere; --seed is only demo's; and
// the plugin-launching flags are exactly on the commands that launch plugins.
func TestFlagVocabulary(t *testing.T) {
	types := map[string]map[string][]string{} // flag -> type -> commands
	visible := map[string][]string{}          // command path -> its visible flags
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		if c.Hidden || c.Name() == "help" || c.Name() == "completion" {
			return
		}
		c.LocalFlags().VisitAll(func(f *pflag.Flag) {
			if f.Hidden || f.Name == "help" {
				return
			}
			if types[f.Name] == nil {
				types[f.Name] = map[string][]string{}
			}
			types[f.Name][f.Value.Type()] = append(types[f.Name][f.Value.Type()], c.CommandPath())
			visible[c.CommandPath()] = append(visible[c.CommandPath()], f.Name)
		})
		for _, s := range c.Commands() {
			walk(s)
		}
	}
	walk(newRootCmd())
	for name, ts := range types {
		if len(ts) > 1 {
			t.Errorf("--%s has %d types: %v", name, len(ts), ts)
		}
	}
	for _, old := range []string{"in", "backbone", "train", "val", "resume"} {
		if ts, ok := types[old]; ok {
			t.Errorf("retired spelling --%s is visible on %v", old, ts)
		}
	}
	if got := types["seed"]; len(got) != 1 || len(got["uint64"]) != 1 || got["uint64"][0] != "srbench demo" {
		t.Errorf("--seed on %v, want only on srbench demo", got)
	}
	launching := []string{"srbench ablate", "srbench demo", "srbench plugins list", "srbench rank", "srbench resume", "srbench run", "srbench train"}
	for _, f := range []string{"plugin-timeout", "plugin-timeout-per-item", "allow-unpinned", "verbose"} {
		var on []string
		for _, cs := range types[f] {
			on = append(on, cs...)
		}
		sort.Strings(on)
		if diff := cmp.Diff(launching, on); diff != "" {
			t.Errorf("--%s is not on exactly the commands that launch plugins (-want +got):\n%s", f, diff)
		}
	}
	if got, want := types["plugin-dir"]["string"], append(slicesClone(launching), "srbench plugins lock", "srbench plugins test"); len(got) != len(want) {
		t.Errorf("--plugin-dir on %v, want %v", got, want)
	}
	var models []string
	for _, cs := range types["models"] {
		models = append(models, cs...)
	}
	sort.Strings(models)
	if diff := cmp.Diff([]string{"srbench plugins list", "srbench rank", "srbench resume", "srbench run"}, models); diff != "" {
		t.Errorf("--models (a models root) is not on exactly the commands that read one (-want +got):\n%s", diff)
	}
}
