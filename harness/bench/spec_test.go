package bench_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/srbench/srbench/harness/bench"
	"github.com/srbench/srbench/harness/dataset"
	"github.com/srbench/srbench/harness/stats"
)

func writeSpec(t *testing.T, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestSpecIncludeAndOverrides(t *testing.T) {
	dir := t.TempDir()
	writeSpec(t, dir, "base.yaml", "version: \"1\"\nscorers:\n  - name: clipscore\n    options: {variant: cosine}\nbootstrap: {b: 200, seed: 7}\nnotes: [base note]\n")
	p := writeSpec(t, dir, "x.yaml", "include: base.yaml\nname: x\ndataset:\n  path: data/pairs.jsonl\npolicy: imagereward\naveraging: macro\nnotes: [own note]\n")
	s, err := bench.LoadSpec(p)
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := s.Config()
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Benchmark.Name != "x" || cfg.Benchmark.Version != "1" || cfg.Dataset.Path != filepath.Join(dir, "data/pairs.jsonl") {
		t.Errorf("benchmark %+v dataset %+v", cfg.Benchmark, cfg.Dataset)
	}
	if len(cfg.Scorers) != 1 || cfg.Scorers[0].Options["variant"] != "cosine" {
		t.Errorf("scorers %+v", cfg.Scorers)
	}
	want := stats.Policy{PredTie: stats.PredTieWrong, LabelTie: stats.LabelTieSkip, Averaging: stats.Macro}
	if cfg.Analyze.Policy != want || cfg.Analyze.B != 200 || cfg.Analyze.Seed != 7 {
		t.Errorf("analyze %+v", cfg.Analyze)
	}
	if cfg.Analyze.PolicyName != "hpsv2" { // imagereward + macro is exactly HPSv2's rule
		t.Errorf("policy name %q", cfg.Analyze.PolicyName)
	}
	if strings.Join(cfg.Notes, "|") != "base note|own note" {
		t.Errorf("notes %v", cfg.Notes)
	}
}

// Every field of a scorer entry is accepted, including plugin (two
// entries may run the same plugin under different names).
func TestSpecScorerPlugin(t *testing.T) {
	p := writeSpec(t, t.TempDir(), "x.yaml", "name: x\ndataset: {path: p.jsonl}\nscorers:\n"+
		"  - {name: clip-a, plugin: clipscore, model: m, options: {variant: cosine}, batch_size: 8, threads: 2, provider: cpu}\n"+
		"  - {name: clip-b, plugin: clipscore}\n")
	s, err := bench.LoadSpec(p)
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := s.Config()
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.Scorers) != 2 || cfg.Scorers[0].PluginName() != "clipscore" || cfg.Scorers[1].PluginName() != "clipscore" || cfg.Scorers[0].Name != "clip-a" {
		t.Errorf("scorers %+v", cfg.Scorers)
	}
}

// TestSpecFormatAlias: a spec's dataset.format may be an alias; the configuration (and
// so the results) carry the canonical format.
func TestSpecFormatAlias(t *testing.T) {
	tests := []struct {
		format string
		want   dataset.Format
	}{
		{"hpdv2", dataset.HPDv2JSON},
		{"HPDv2_json", dataset.HPDv2JSON},
		{"imagereward", dataset.ImageRewardJSON},
		{"pickapic", dataset.PickAPicParquet},
		{"socialreward", dataset.SocialRewardParquet},
		{"pairs", dataset.PairsJSONL},
		{"jsonl", dataset.PairsJSONL},
	}
	for _, tc := range tests {
		t.Run(tc.format, func(t *testing.T) {
			p := writeSpec(t, t.TempDir(), "x.yaml", "name: x\ndataset: {path: p, format: "+tc.format+"}\n")
			s, err := bench.LoadSpec(p)
			if err != nil {
				t.Fatal(err)
			}
			cfg, err := s.Config()
			if err != nil {
				t.Fatal(err)
			}
			if cfg.Dataset.Format != tc.want {
				t.Errorf("dataset.format %q: Config().Dataset.Format = %q, want %q", tc.format, cfg.Dataset.Format, tc.want)
			}
		})
	}
}

func TestSpecErrors(t *testing.T) {
	dir := t.TempDir()
	tests := []struct{ content, want string }{
		{"name: x\ndatset: {}\n", `line 2: unknown field "datset" (did you mean "dataset"?)`},
		{"name: x\nscorers:\n  - name: a\n    batchsize: 3\n", `line 4: unknown field "batchsize" in scorers (did you mean "batch_size"?)`},
		{"name: x\nscorers:\n  - name: a\n    plugn: trivial\n", `line 4: unknown field "plugn" in scorers (did you mean "plugin"?)`},
		{"name: x\ndataset: {path: p}\npolicy: pickscor\n", `did you mean "pickscore"`},
		{"name: x\ndataset: {path: p, format: hpdv3-json}\n", `did you mean "hpdv2-json"`},
		{"name: x\ndataset: {path: p, format: json}\n", `field "dataset.format": ambiguous dataset format "json"`},
		{"name: x\ndataset: {path: p}\nties: {prediction: halve}\n", `did you mean "half"`},
		{"name: x\nversion: \"99\"\ndataset: {path: p}\n", `field "version": "99"; this srbench reads benchmark specs of version "1"`},
		{"name: x\ndataset: {path: p}\nscorers:\n  - name: a\n    batch_size: -3\n", `batch size -3 (--batch-size, batch_size): want 1 to 1024`},
		{"include: self.yaml\n", "include cycle"},
	}
	for i, tc := range tests {
		name := "self.yaml"
		if i < len(tests)-1 {
			name = "s.yaml"
		}
		p := writeSpec(t, dir, name, tc.content)
		s, err := bench.LoadSpec(p)
		if err == nil {
			var cfg bench.Config
			if cfg, err = s.Config(); err == nil {
				err = bench.Validate(&cfg)
			}
		}
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("spec %q: got %v, want %q", tc.content, err, tc.want)
		}
	}
}

// TestShippedSpecsLoad loads every spec in benchmarks/.
func TestShippedSpecsLoad(t *testing.T) {
	names, err := bench.SpecNames("../../benchmarks")
	if err != nil || len(names) < 6 {
		t.Fatalf("benchmarks/: %v %v", names, err)
	}
	for _, n := range names {
		t.Run(n, func(t *testing.T) {
			path, err := bench.ResolveSpec(n, "../../benchmarks")
			if err != nil {
				t.Fatal(err)
			}
			s, err := bench.LoadSpec(path)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := s.AnalyzeOptions(); err != nil {
				t.Fatal(err)
			}
			if s.Dataset.Path != "" {
				if _, err := s.Config(); err != nil {
					t.Fatal(err)
				}
			}
		})
	}
	_, err = bench.ResolveSpec("demo-socail", "../../benchmarks")
	if err == nil || !strings.Contains(err.Error(), `did you mean "demo-social"`) {
		t.Errorf("got %v", err)
	}
}
