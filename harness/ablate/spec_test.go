package ablate

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func cellNames(cells []Cell) []string {
	var out []string
	for _, c := range cells {
		n := c.Name
		if c.Reference {
			n += " *"
		}
		out = append(out, n)
	}
	return out
}

func TestCells(t *testing.T) {
	tests := []struct {
		name string
		spec *Spec
		want []string
	}{
		{"one-at-a-time", testSpec(), []string{"reference *", "loss=logistic", "margin=0.5", "curation=raw", "fraction=0.5"}},
		{"full", &Spec{Name: "f", Mode: ModeFull, Seeds: []uint64{1, 2, 3},
			Grid:      map[string][]any{"margin": {0.3, 0.5}, "loss": {"triplet", "logistic"}},
			Reference: map[string]any{"loss": "logistic", "margin": 0.3}},
			[]string{"loss=triplet,margin=0.3", "loss=triplet,margin=0.5", "loss=logistic,margin=0.3 *", "loss=logistic,margin=0.5"}},
		{"single axis, ints and floats normalised", &Spec{Name: "e", Seeds: []uint64{1, 2, 3},
			Grid:      map[string][]any{"fraction": {0.25, 1}, "epochs": {5.0, 10}},
			Reference: map[string]any{"fraction": 1, "epochs": 10}},
			[]string{"reference *", "epochs=5", "fraction=0.25"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cells, err := tc.spec.Cells()
			if err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(tc.want, cellNames(cells)); d != "" {
				t.Errorf("cells (-want +got):\n%s", d)
			}
		})
	}
	t.Run("settings", func(t *testing.T) {
		cells, err := testSpec().Cells()
		if err != nil {
			t.Fatal(err)
		}
		want := map[string]any{"loss": "triplet", "margin": 0.5, "curation": "debiased", "fraction": 1.0}
		if d := cmp.Diff(want, cells[2].Settings); d != "" {
			t.Errorf("settings of %s (-want +got):\n%s", cells[2].Name, d)
		}
	})
}

func TestConfigJSON(t *testing.T) {
	spec := &Spec{Name: "c", Seeds: []uint64{1, 2, 3},
		Grid:      map[string][]any{"adapter": {"linear", "mlp"}, "curation": {"debiased", "raw"}},
		Reference: map[string]any{"adapter": "linear", "curation": "debiased", "side": "image"},
		Base:      map[string]any{"hidden": 64, "lr": 0.003, "embedding_cache": "off"}}
	cells, err := spec.Cells()
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		cell int
		seed uint64
		want string
	}{
		{0, 7, `{"adapter":{"hidden":64,"kind":"linear"},"embedding_cache":"off","lr":0.003,"seed":7,"side":"image"}`},
		{1, 1, `{"adapter":{"hidden":64,"kind":"mlp"},"embedding_cache":"off","lr":0.003,"seed":1,"side":"image"}`},
	}
	for _, tc := range tests {
		got, err := spec.ConfigJSON(cells[tc.cell], tc.seed)
		if err != nil {
			t.Fatal(err)
		}
		if got != tc.want {
			t.Errorf("cell %s seed %d: %s, want %s", cells[tc.cell].Name, tc.seed, got, tc.want)
		}
	}
	if got := spec.curation(cells[2]); got != "raw" {
		t.Errorf("curation of %s: %q", cells[2].Name, got)
	}
}

const goodSpec = `name: t
mode: one-at-a-time
reference: {loss: triplet, margin: 0.3, curation: debiased, fraction: 1.0}
grid:
  loss: [triplet, logistic]
  margin: [0.3, 0.5]
  curation: [debiased, raw]
  fraction: [0.5, 1]
seeds: [1, 2, 3]
base: {epochs: 3, patience: 2}
`

func TestLoadSpec(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	t.Run("good", func(t *testing.T) {
		s, err := LoadSpec(write("good.yaml", goodSpec))
		if err != nil {
			t.Fatal(err)
		}
		want := testSpec()
		want.Name, want.Version, want.Mode = "t", "", ModeOneAtATime
		want.Base = map[string]any{"epochs": 3, "patience": 2}
		want.Grid["fraction"] = []any{0.5, 1.0}
		if d := cmp.Diff(want, s, cmpIgnoreFile()); d != "" {
			t.Errorf("spec (-want +got):\n%s", d)
		}
	})
	errs := []struct {
		name, text string
		want       []string
	}{
		{"unknown field", strings.Replace(goodSpec, "seeds:", "seed:", 1), []string{"line 9", `unknown field "seed" (did you mean "seeds"?)`}},
		{"unknown axis", strings.Replace(goodSpec, "  loss: [", "  los: [", 1), []string{"line 5", `unknown axis "los" (did you mean "loss"?)`}},
		{"unknown base setting", strings.Replace(goodSpec, "epochs: 3", "epoch: 3", 1), []string{"line 10", `unknown setting "epoch" (did you mean "epochs"?)`}},
		{"two seeds", strings.Replace(goodSpec, "[1, 2, 3]", "[1, 2]", 1), []string{"line 9", `field "seeds": 2 seeds [1 2]: want at least 3`}},
		{"duplicate seed", strings.Replace(goodSpec, "[1, 2, 3]", "[1, 2, 2]", 1), []string{"seed 2 given twice"}},
		{"unknown reference value", strings.Replace(goodSpec, "{loss: triplet,", "{loss: triplett,", 1),
			[]string{"line 3", `reference: setting "loss": unknown loss value "triplett" (did you mean "triplet"?)`}},
		{"reference value of another axis", strings.Replace(goodSpec, "{loss: triplet,", "{loss: infonce,", 1),
			[]string{"line 3", `axis "loss": value infonce is not one of the grid's values [triplet, logistic]`}},
		{"reference value not in grid", strings.Replace(goodSpec, "margin: 0.3,", "margin: 0.2,", 1), []string{`axis "margin": value 0.2 is not one of the grid's values [0.3, 0.5]`}},
		{"reference misses an axis", strings.Replace(goodSpec, " margin: 0.3,", "", 1), []string{`no value for axis "margin"`}},
		{"bad loss", strings.Replace(goodSpec, "[triplet, logistic]", "[triplet, logistik]", 1), []string{"line 5", `unknown loss value "logistik" (did you mean "logistic"?)`}},
		{"bad curation", strings.Replace(goodSpec, "[debiased, raw]", "[debiased, rawest]", 1), []string{`unknown curation value "rawest"`}},
		{"fraction above 1", strings.Replace(goodSpec, "[0.5, 1]", "[0.5, 1.5]", 1), []string{"line 8", "value 1.5: want 0 < value <= 1"}},
		{"margin as string", strings.Replace(goodSpec, "[0.3, 0.5]", "[0.3, big]", 1), []string{"value big: want a number"}},
		{"epochs not integer", strings.Replace(goodSpec, "epochs: 3", "epochs: 2.5", 1), []string{`setting "epochs": value 2.5: want an integer`}},
		{"unknown mode", strings.Replace(goodSpec, "one-at-a-time", "ful", 1), []string{`unknown mode "ful" (did you mean "full"?)`}},
		{"duplicate value", strings.Replace(goodSpec, "[0.3, 0.5]", "[0.3, 0.30]", 1), []string{"value 0.3 given twice"}},
		{"embedding cache axis", strings.Replace(goodSpec, "grid:\n", "grid:\n  embedding_cache: [off]\n", 1), []string{`unknown axis "embedding_cache"`}},
		{"no name", strings.Replace(goodSpec, "name: t\n", "", 1), []string{`field "name": missing`}},
	}
	for _, tc := range errs {
		t.Run(tc.name, func(t *testing.T) {
			_, err := LoadSpec(write(strings.ReplaceAll(tc.name, " ", "-")+".yaml", tc.text))
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
		})
	}
}

func cmpIgnoreFile() cmp.Option {
	return cmp.FilterPath(func(p cmp.Path) bool { return p.String() == "File" }, cmp.Ignore())
}

func TestTrainersSpec(t *testing.T) {
	s, err := LoadSpec(filepath.Join("..", "..", "benchmarks", "ablations", "trainers.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	cells, err := s.Cells()
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff([]string{"reference *", "trainer=torch-blocks"}, cellNames(cells)); d != "" {
		t.Errorf("cells (-want +got):\n%s", d)
	}
	cfg, err := s.ConfigJSON(cells[1], 2)
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"epochs":10,"margin":0.3,"seed":2,"text_blocks":2,"trainer":"torch-blocks","vision_blocks":3}`; cfg != want {
		t.Errorf("torch-blocks config %s, want %s", cfg, want)
	}
}

func TestBenchmarkSpec(t *testing.T) {
	s, err := LoadSpec(filepath.Join("..", "..", "benchmarks", "ablations", "social-reward.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	cells, err := s.Cells()
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"reference *", "loss=logistic", "loss=infonce", "margin=0.1", "margin=0.5", "side=image", "side=text",
		"curation=raw", "fraction=0.01", "fraction=0.03", "fraction=0.2", "fraction=1"}
	if d := cmp.Diff(want, cellNames(cells)); d != "" {
		t.Errorf("cells (-want +got):\n%s", d)
	}
	cfg, err := s.ConfigJSON(cells[0], 1)
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"epochs":10,"loss":"triplet","margin":0.3,"patience":3,"seed":1,"side":"both","train_fraction":0.05}`; cfg != want {
		t.Errorf("reference config %s, want %s", cfg, want)
	}
}
