package conformance_test

import (
	"context"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/srbench/srbench/harness/conformance"
	"github.com/srbench/srbench/harness/host"
	"github.com/srbench/srbench/harness/modeldir"
	"github.com/srbench/srbench/harness/onnx/clipmodel"
	"github.com/srbench/srbench/harness/tokenize"
	"github.com/srbench/srbench/internal/testmodels"
)

// fixtureDir holds the fixture plugin under every name (see
// internal/fixture): "fixture" follows the contract, the others each break
// a rule.
var fixtureDir string

var fixtureNames = []string{"fixture", "reversed", "noshutdown", "leavechild", "emptyfingerprint", "batchdependent", "nopererror"}

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "srbench-conformance-test")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fixtureDir = dir
	if err := buildFixtures(dir); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// buildFixtures links the fixture once and copies it under every name.
func buildFixtures(dir string) error {
	bin, err := testmodels.BuildPlugin(dir, "fixture", "./harness/conformance/internal/fixture")
	if err != nil {
		return err
	}
	b, err := os.ReadFile(bin)
	if err != nil {
		return err
	}
	for _, name := range fixtureNames[1:] {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o755); err != nil {
			return err
		}
	}
	_, err = host.WriteLock(dir)
	return err
}

func run(t *testing.T, path string, opts conformance.Options) *conformance.Report {
	t.Helper()
	info, err := host.FromPath(path)
	if err != nil {
		t.Fatal(err)
	}
	rep, err := conformance.Run(context.Background(), info, opts)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Results) != len(conformance.Rules()) {
		t.Fatalf("%d results for %d rules", len(rep.Results), len(conformance.Rules()))
	}
	return rep
}

func table(rep *conformance.Report) string {
	var b strings.Builder
	rep.WriteTable(&b)
	return b.String()
}

// TestFixtures: each broken fixture fails exactly the rules it breaks,
// with a message that names the rule and says what was seen against what
// was wanted; the faithful fixture passes every rule.
func TestFixtures(t *testing.T) {
	tests := []struct {
		fixture string
		// fail maps each rule that must fail to words its detail must hold.
		fail map[string][]string
		skip []string
	}{
		{fixture: "fixture"},
		{fixture: "reversed",
			fail: map[string][]string{conformance.RuleOrder: {"not in item order", "reverse order", "position 0 (item", "the score of item", "want result i to be item i's score"}},
			// Results at the wrong positions cannot be matched to items.
			skip: []string{conformance.RuleBatchSize, conformance.RulePerItemErrors}},
		{fixture: "noshutdown",
			fail: map[string][]string{
				conformance.RuleShutdown:   {"ended by a signal (signal: killed)", "want it to exit on its own"},
				conformance.RuleNoWarnings: {"plugin failed to exit gracefully", "signal: killed", "want none"},
			}},
		{fixture: "leavechild",
			fail: map[string][]string{conformance.RuleShutdown: {"left process(es)", "of its process group", "want a plugin to stop what it started"}}},
		{fixture: "emptyfingerprint",
			fail: map[string][]string{conformance.RuleDescribe: {`fingerprint is ""`, `want "sha256:"`, `"none"`}}},
		{fixture: "batchdependent",
			fail: map[string][]string{conformance.RuleBatchSize: {"at batch 1 and in one batch of 32", "max |diff| 0.031", "want the same score whatever the batch"}}},
		{fixture: "nopererror",
			fail: map[string][]string{conformance.RulePerItemErrors: {"the call failed", "want a per-item Result.Err"}}},
	}
	for _, tc := range tests {
		t.Run(tc.fixture, func(t *testing.T) {
			t.Parallel()
			rep := run(t, filepath.Join(fixtureDir, tc.fixture), conformance.Options{})
			var failed, skipped []string
			for _, r := range rep.Results {
				switch r.Status {
				case conformance.Fail:
					failed = append(failed, r.Rule)
					for _, w := range tc.fail[r.Rule] {
						if !strings.Contains(r.Detail, w) {
							t.Errorf("%s's detail lacks %q: %s", r.Rule, w, r.Detail)
						}
					}
				case conformance.Skip:
					skipped = append(skipped, r.Rule)
				}
			}
			var want []string
			for _, rule := range conformance.Rules() {
				if _, ok := tc.fail[rule]; ok {
					want = append(want, rule)
				}
			}
			if diff := cmp.Diff(want, failed); diff != "" {
				t.Errorf("failed rules (-want +got):\n%s\n%s", diff, table(rep))
			}
			if diff := cmp.Diff(tc.skip, skipped); diff != "" {
				t.Errorf("skipped rules (-want +got):\n%s\n%s", diff, table(rep))
			}
			err := rep.Err()
			if (err != nil) != (len(want) > 0) {
				t.Fatalf("Err() = %v with failed rules %v", err, want)
			}
			for _, rule := range want {
				if !strings.Contains(err.Error(), rule) {
					t.Errorf("Err() = %q does not name the failed rule %s", err, rule)
				}
			}
			if t.Failed() || testing.Verbose() {
				t.Logf("\n%s", table(rep))
			}
		})
	}
}

// TestOptionsReachConfigure: --option values reach Configure, so a plugin
// that refuses them fails at configure-unknown-option and the scoring
// rules are skipped.
func TestOptionsReachConfigure(t *testing.T) {
	rep := run(t, filepath.Join(fixtureDir, "fixture"), conformance.Options{Options: map[string]string{"variant": "x"}})
	for _, r := range rep.Results {
		want := conformance.Skip
		switch r.Rule {
		case conformance.RuleStart:
			want = conformance.Pass
		case conformance.RuleUnknownOption:
			want = conformance.Fail
			if !strings.Contains(r.Detail, "unknown option(s) variant") {
				t.Errorf("detail %q does not pass on the plugin's refusal", r.Detail)
			}
		case conformance.RuleNoWarnings:
			want = conformance.Pass
		}
		if r.Status != want {
			t.Errorf("%s: %s, want %s\n%s", r.Rule, r.Status, want, table(rep))
		}
	}
}

// TestNotAPlugin: an executable that is no plugin fails start, and the
// rest is skipped.
func TestNotAPlugin(t *testing.T) {
	path := filepath.Join(t.TempDir(), "notaplugin")
	if err := os.WriteFile(path, []byte("#!/bin/sh\necho hello\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	rep := run(t, path, conformance.Options{Timeout: 10 * time.Second})
	if r := rep.Results[0]; r.Rule != conformance.RuleStart || r.Status != conformance.Fail || !strings.Contains(r.Detail, "handshake failed") {
		t.Errorf("start: %v", r)
	}
	for _, r := range rep.Results[1 : len(rep.Results)-1] {
		if r.Status != conformance.Skip {
			t.Errorf("%v, want SKIP", r)
		}
	}
}

// modelDirs makes a model directory for each plugin srbench builds; a
// plugin added to `make build` must be added here, so the conformance of
// every plugin is tested.
var modelDirs = map[string]func(t *testing.T) string{
	// The cosine variant: Hessel's (the default) clamps negative cosines
	// to 0, and random weights make every cosine negative, so every item
	// would score 0 and the order of results could not be seen.
	"clipscore": func(t *testing.T) string {
		dir, _ := testmodels.CLIPDir(t, "clipscore", "cosine", clipmodel.WriteOptions{Text: true, Vision: true}, 11)
		return dir
	},
	// PickScore's layout (plugins/pickscore's tests): a tokenizer.json
	// instead of the OpenAI vocabulary, and split towers, which carry no
	// logit scale, so srbench.yaml gives it.
	"pickscore": func(t *testing.T) string {
		dir, _ := testmodels.CLIPDir(t, "pickscore", "", clipmodel.WriteOptions{Text: true, Vision: true}, 5)
		vocab := filepath.Join(dir, "bpe_simple_vocab_16e6.txt.gz")
		js, err := tokenize.OpenAIVocabToTokenizerJSON(vocab)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "tokenizer.json"), js, 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Remove(vocab); err != nil {
			t.Fatal(err)
		}
		if err := modeldir.Write(dir, modeldir.Manifest{Kind: "pickscore", Constants: map[string]float64{"logit_scale": 100}}); err != nil {
			t.Fatal(err)
		}
		return dir
	},
	"socialreward": func(t *testing.T) string {
		dir, _ := testmodels.CLIPDir(t, "socialreward", "", clipmodel.WriteOptions{Text: true, Vision: true}, 9)
		return dir
	},
	"imagereward": func(t *testing.T) string {
		dir, _ := testmodels.ImageRewardDir(t, 0)
		return dir
	},
	// A heuristic without model files: an empty directory.
	"colorfulness": func(t *testing.T) string { return t.TempDir() },
	// A random-weight model from the plugin's own tool (init-random, see
	// plugins/socialreward-torch/socialreward_torch/cli.py).
	"socialreward-torch": func(t *testing.T) string {
		root, err := testmodels.ModuleRoot()
		if err != nil {
			t.Fatal(err)
		}
		src := filepath.Join(root, "plugins", "socialreward-torch")
		if _, err := os.Stat(filepath.Join(src, "__main__.py")); err != nil {
			t.Skipf("plugins/socialreward-torch/__main__.py is missing (%v): cannot make its model directory", err)
		}
		dir := filepath.Join(t.TempDir(), "model")
		cmd := exec.Command("/usr/bin/python3", src, "init-random", "--out", dir, "--seed", "1")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("%s: %v\n%s", strings.Join(cmd.Args, " "), err, out)
		}
		return dir
	},
}

// TestConformanceEveryPlugin runs the kit against every plugin `make
// build` put in $SRBENCH_PREBUILT/plugins, each with a small model.
func TestConformanceEveryPlugin(t *testing.T) {
	bin := os.Getenv(testmodels.PrebuiltEnv)
	if bin == "" {
		t.Skipf("%s is not set (make test sets it to the bin directory of make build)", testmodels.PrebuiltEnv)
	}
	infos, err := host.Discover(filepath.Join(bin, "plugins"))
	if err != nil {
		t.Fatal(err)
	}
	if len(infos) == 0 {
		t.Fatalf("no plugins in %s/plugins", bin)
	}
	names := make([]string, len(infos))
	for i, info := range infos {
		names[i] = info.Name
	}
	t.Logf("plugins: %s", strings.Join(names, ", "))
	for _, info := range infos {
		t.Run(info.Name, func(t *testing.T) {
			model, ok := modelDirs[info.Name]
			if !ok {
				known := slices.Sorted(maps.Keys(modelDirs))
				t.Fatalf("no model directory for plugin %q: add it to modelDirs in this file (known: %s)", info.Name, strings.Join(known, ", "))
			}
			rep, err := conformance.Run(context.Background(), info, conformance.Options{ModelDir: model(t)})
			if err != nil {
				t.Fatal(err)
			}
			if err := rep.Err(); err != nil {
				t.Errorf("%v\n%s", err, table(rep))
			} else {
				t.Logf("\n%s", table(rep))
			}
		})
	}
}
