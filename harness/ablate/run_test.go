package ablate

import (
	"bytes"
	"context"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

func runFake(t *testing.T, spec *Spec, out string, f *fake) *Summary {
	t.Helper()
	sum, err := Run(context.Background(), spec, out, f.deps(), nil)
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	return sum
}

// Expected values: testdata/expected.py (scipy, statsmodels), output in
// testdata/expected.txt; the counts also follow by hand from the windows.
func TestRunStatistics(t *testing.T) {
	dir := t.TempDir()
	sum := runFake(t, testSpec(), filepath.Join(dir, "out"), newFake(dir))

	type want struct {
		name          string
		accs          []float64
		mean, lo, hi  float64
		triplets      float64
		cellW, refW   int
		p, pHolm      float64
		verdict       string
		significant   bool
		hasPairedTest bool
	}
	wants := []want{
		{name: "reference", accs: []float64{0.60, 0.65, 0.70}, mean: 0.65, lo: 0.5257931144078124, hi: 0.7742068855921876, triplets: 100},
		// hi 1.0063958183536401 is clipped to 1.
		{name: "loss=logistic", accs: []float64{0.75, 0.80, 0.90}, mean: 0.8166666666666668, lo: 0.6269375149796934, hi: 1, triplets: 100,
			cellW: 10, refW: 0, p: 0.001953125, pHolm: 0.005859375, verdict: VerdictBetter, significant: true, hasPairedTest: true},
		{name: "margin=0.5", accs: []float64{0.60, 0.65, 0.70}, mean: 0.65, lo: 0.5257931144078124, hi: 0.7742068855921876, triplets: 100,
			cellW: 6, refW: 6, p: 1, pHolm: 1, verdict: VerdictNone, hasPairedTest: true},
		{name: "curation=raw", accs: []float64{0.50, 0.50, 0.55}, mean: 0.5166666666666667, lo: 0.44495578783481204, hi: 0.5883775454985214, triplets: 120,
			cellW: 0, refW: 8, p: 0.0078125, pHolm: 0.015625, verdict: VerdictWorse, significant: true, hasPairedTest: true},
		{name: "fraction=0.5", accs: []float64{0.40, 0.45, 0.45}, mean: 0.43333333333333335, lo: 0.3616224545014788, hi: 0.5050442121651879, triplets: 50,
			cellW: 0, refW: 13, p: 0.000244140625, pHolm: 0.0009765625, verdict: VerdictWorse, significant: true, hasPairedTest: true},
	}
	if len(sum.Cells) != len(wants) {
		t.Fatalf("%d cells, want %d", len(sum.Cells), len(wants))
	}
	near := func(a, b float64) bool { return math.Abs(a-b) < 1e-12 }
	// gonum's t quantile agrees with scipy's to about 2e-10 (relative).
	nearCI := func(a, b float64) bool { return math.Abs(a-b) < 1e-9 }
	for i, w := range wants {
		c := sum.Cells[i]
		t.Run(w.name, func(t *testing.T) {
			if c.Name != w.name {
				t.Fatalf("cell %d is %q, want %q", i, c.Name, w.name)
			}
			for k, s := range c.Seeds {
				if !near(s.Accuracy, w.accs[k]) || s.NPairs != fakePairs {
					t.Errorf("seed %d: accuracy %v over %d pairs, want %v over %d", s.Seed, s.Accuracy, s.NPairs, w.accs[k], fakePairs)
				}
			}
			if !near(c.MeanAccuracy, w.mean) || !nearCI(c.CI95[0], w.lo) || !nearCI(c.CI95[1], w.hi) {
				t.Errorf("mean %v CI %v, want %v [%v, %v]", c.MeanAccuracy, c.CI95, w.mean, w.lo, w.hi)
			}
			if c.TrainTriplets != w.triplets || c.NSeeds != 3 {
				t.Errorf("train triplets %v over %d seeds, want %v over 3", c.TrainTriplets, c.NSeeds, w.triplets)
			}
			pt := c.VsReference
			if (pt != nil) != w.hasPairedTest {
				t.Fatalf("paired test %+v, want one: %v", pt, w.hasPairedTest)
			}
			if pt == nil {
				return
			}
			got := [2]int{pt.CellWins, pt.ReferenceWins}
			if got != [2]int{w.cellW, w.refW} || pt.NPairs != 3*fakePairs {
				t.Errorf("discordant %v over %d, want [%d %d] over %d", got, pt.NPairs, w.cellW, w.refW, 3*fakePairs)
			}
			if !near(pt.P, w.p) || !near(pt.PHolm, w.pHolm) || pt.Significant != w.significant || pt.Verdict != w.verdict {
				t.Errorf("p %v holm %v sig %v %q, want %v %v %v %q", pt.P, pt.PHolm, pt.Significant, pt.Verdict, w.p, w.pHolm, w.significant, w.verdict)
			}
			if !near(pt.Diff, w.mean-0.65) {
				t.Errorf("diff %v, want %v", pt.Diff, w.mean-0.65)
			}
		})
	}

	t.Run("learning curve", func(t *testing.T) {
		// Seeds s = 1, 2, 3 score 0.5 at epoch 0 and 0.5 + 0.05e + 0.01s after
		// epoch e; seed 3 stops after 2 epochs.
		want := []CurvePoint{{0, 0.5, 3}, {1, 0.57, 3}, {2, 0.62, 3}, {3, 0.665, 2}}
		if d := cmp.Diff(want, sum.Cells[0].Curve, cmpopts.EquateApprox(0, 1e-12)); d != "" {
			t.Errorf("mean curve (-want +got):\n%s", d)
		}
		if n := len(sum.Cells[0].Seeds[2].Curve); n != 3 {
			t.Errorf("seed 3 curve has %d points, want 3", n)
		}
	})

	t.Run("findings", func(t *testing.T) {
		f := sum.Findings
		if f.Best != "loss=logistic" {
			t.Errorf("best %q", f.Best)
		}
		if d := cmp.Diff([]string{"loss=logistic", "curation=raw", "fraction=0.5"}, f.Significant); d != "" {
			t.Errorf("significant (-want +got):\n%s", d)
		}
		if f.Curation == nil || f.Curation.Verdict != "debiased > raw" || !f.Curation.Tested || !near(f.Curation.PHolm, 0.015625) {
			t.Errorf("curation finding %+v", f.Curation)
		}
		sf := f.Scaling
		if sf == nil || !sf.Rises || !sf.Monotone || sf.Spearman == nil || *sf.Spearman != 1 || len(sf.Points) != 2 ||
			sf.Points[0].TrainTriplets != 50 || sf.Points[1].Cell != "reference" {
			t.Errorf("scaling finding %+v", sf)
		}
		text := strings.Join(f.Text, "\n")
		for _, s := range []string{
			"Debiased curation beats raw: 65.0% vs 51.7% mean test accuracy (+13.3 points); pooled exact McNemar, Holm p = 0.0156, significant at α = 0.05.",
			"The data-scaling curve rises: mean test accuracy goes from 43.3% at fraction 0.5 (50 training triplets) to 65.0% at fraction 1 (100)",
			"Spearman ρ = 1.00",
			"3 of 4 cells differ significantly",
		} {
			if !strings.Contains(text, s) {
				t.Errorf("findings lack %q:\n%s", s, text)
			}
		}
	})
}

func TestFindingsComputed(t *testing.T) {
	// The statements follow the numbers: make raw win and the scaling curve fall.
	dir := t.TempDir()
	spec := testSpec()
	spec.Reference["fraction"] = 0.5
	spec.Reference["curation"] = "raw"
	sum := runFake(t, spec, filepath.Join(dir, "out"), newFake(dir))
	// Cells: reference (raw, 0.5: raw window), loss=logistic, margin=0.5,
	// curation=debiased (fraction 0.5 window: 8, 9, 9), fraction=1 (raw window).
	text := strings.Join(sum.Findings.Text, "\n")
	for _, s := range []string{
		"Debiased curation is behind raw but not significantly: 43.3% vs 51.7%",
		"The data-scaling curve does not rise",
	} {
		if !strings.Contains(text, s) {
			t.Errorf("findings lack %q:\n%s", s, text)
		}
	}
	if sum.Findings.Scaling.Rises || sum.Findings.Scaling.Spearman != nil {
		t.Errorf("scaling %+v: flat curve, want no rise and no Spearman", sum.Findings.Scaling)
	}
}

func seedDirs(out string, spec *Spec) []string {
	cells, _ := spec.Cells()
	var dirs []string
	for _, c := range cells {
		for _, s := range spec.Seeds {
			dirs = append(dirs, SeedDir(out, c.Name, s))
		}
	}
	return dirs
}

func exists(p string) bool { _, err := os.Stat(p); return err == nil }

func TestResume(t *testing.T) {
	tests := []struct {
		name      string
		failTrain func(map[string]any) bool
		failEval  func(map[string]any) bool
	}{
		{"train fails midway", func(c map[string]any) bool { return c["loss"] == "logistic" && seedIndex(c) == 1 }, nil},
		{"evaluate fails midway", nil, func(c map[string]any) bool { return c["margin"] == 0.5 && seedIndex(c) == 0 }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			out := filepath.Join(dir, "out")
			spec := testSpec()
			first := newFake(dir)
			first.failTrain, first.failEval = tc.failTrain, tc.failEval
			if _, err := Run(context.Background(), spec, out, first.deps(), nil); err == nil || !strings.Contains(err.Error(), "rerun to continue") {
				t.Fatalf("first run: error %v, want a fake failure", err)
			}
			if exists(filepath.Join(out, SummaryFile)) {
				t.Error("a failed run wrote ablation.json")
			}
			done, trained := map[string]bool{}, map[string]bool{}
			for _, d := range seedDirs(out, spec) {
				done[d] = exists(filepath.Join(d, RunDir, "results.json"))
				trained[d] = exists(filepath.Join(d, TrainedFile))
			}
			nDone := 0
			for _, v := range done {
				if v {
					nDone++
				}
			}
			if nDone == 0 || nDone == len(done) {
				t.Fatalf("%d of %d cell-seeds finished in the failing run, want some but not all", nDone, len(done))
			}

			second := newFake(dir)
			sum := runFake(t, spec, out, second)
			for d, fin := range done {
				wantTrain, wantEval := 1, 1
				if fin {
					wantTrain, wantEval = 0, 0
				} else if trained[d] {
					wantTrain = 0
				}
				if second.trainCalls[d] != wantTrain || second.evalCalls[d] != wantEval {
					t.Errorf("%s: rerun trained %d and scored %d times, want %d and %d", d, second.trainCalls[d], second.evalCalls[d], wantTrain, wantEval)
				}
			}
			// The resumed ablation equals a fresh one.
			fresh := runFake(t, spec, filepath.Join(dir, "fresh"), newFake(dir))
			if d := cmp.Diff(fresh, sum); d != "" {
				t.Errorf("resumed summary differs from a fresh run (-fresh +resumed):\n%s", d)
			}
			// A third run does nothing but summarise.
			third := newFake(dir)
			runFake(t, spec, out, third)
			if len(third.trainCalls)+len(third.evalCalls) != 0 {
				t.Errorf("a finished ablation was rerun: %v %v", third.trainCalls, third.evalCalls)
			}
		})
	}
}

func TestSpecChangedIsAnError(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "out")
	runFake(t, testSpec(), out, newFake(dir))
	spec := testSpec()
	spec.Base["epochs"] = 4
	_, err := Run(context.Background(), spec, out, newFake(dir).deps(), nil)
	if err == nil || !strings.Contains(err.Error(), "the spec changed") {
		t.Fatalf("error %v, want one saying the spec changed", err)
	}
}

func TestDeterministicOutputs(t *testing.T) {
	dir := t.TempDir()
	read := func(out string) map[string][]byte {
		files := map[string][]byte{}
		for _, name := range []string{SummaryFile, ReportFile, "plots/accuracy.png", "plots/accuracy.svg", "plots/learning-curves.png",
			"plots/learning-curves.svg", "plots/data-scaling.png", "plots/data-scaling.svg"} {
			b, err := os.ReadFile(filepath.Join(out, name))
			if err != nil {
				t.Fatal(err)
			}
			if len(b) == 0 {
				t.Errorf("%s is empty", name)
			}
			files[name] = b
		}
		return files
	}
	var runs []map[string][]byte
	for i, par := range []int{1, 4} {
		spec := testSpec()
		spec.Parallel = par
		out := filepath.Join(dir, "out", string(rune('a'+i)))
		runFake(t, spec, out, newFake(filepath.Join(dir, "world")))
		runs = append(runs, read(out))
	}
	for name, b := range runs[0] {
		if !bytes.Equal(b, runs[1][name]) {
			t.Errorf("%s differs between a serial and a parallel run", name)
		}
	}
}

func TestReportContent(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "out")
	runFake(t, testSpec(), out, newFake(dir))
	b, err := os.ReadFile(filepath.Join(out, ReportFile))
	if err != nil {
		t.Fatal(err)
	}
	md := string(b)
	for _, s := range []string{
		"| **reference** | loss=triplet, margin=0.3, curation=debiased, fraction=1 | 65.0% [52.6, 77.4] | 3 | 100 | — | — | reference |",
		"| loss=logistic | loss=logistic | 81.7% [62.7, 100.0] | 3 | 100 | +16.7 | 0.00586 | better than reference |",
		"| margin=0.5 | margin=0.5 | 65.0% [52.6, 77.4] | 3 | 100 | 0.0 | 1.00 | no significant difference |",
		"| fraction=0.5 | fraction=0.5 | 43.3% [36.2, 50.5] | 3 | 50 | -21.7 | 0.000977 | worse than reference |",
		"## What the grid shows",
		"- Debiased curation beats raw",
		"![Data scaling](plots/data-scaling.svg)",
		"| curation=raw | 50.0% (n = 20) | 50.0% (n = 20) | 55.0% (n = 20) | 0 / 8 | 0.00781 |",
	} {
		if !strings.Contains(md, s) {
			t.Errorf("ablation.md lacks %q\n%s", s, md)
		}
	}
	for _, f := range []string{"accuracy", "learning-curves", "data-scaling"} {
		png, err := os.ReadFile(filepath.Join(out, PlotsDir, f+".png"))
		if err != nil || !bytes.HasPrefix(png, []byte("\x89PNG")) {
			t.Errorf("%s.png: %v, not a PNG", f, err)
		}
		svg, err := os.ReadFile(filepath.Join(out, PlotsDir, f+".svg"))
		if err != nil || !bytes.Contains(svg, []byte("<svg")) {
			t.Errorf("%s.svg: %v, not an SVG", f, err)
		}
	}
	// The data-scaling figure has a log axis of training triplets.
	svg, err := os.ReadFile(filepath.Join(out, PlotsDir, "data-scaling.svg"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"training triplets (log scale)", ">50<", ">100<"} {
		if !bytes.Contains(svg, []byte(want)) {
			t.Errorf("data-scaling.svg lacks %q", want)
		}
	}
	// Model dirs hold what Train wrote, with the config the spec gives.
	marker, err := os.ReadFile(filepath.Join(SeedDir(out, "fraction=0.5", 2), ModelDir, "marker"))
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"batch_size":16,"epochs":3,"loss":"triplet","margin":0.3,"seed":2,"train_fraction":0.5}`; string(marker) != want {
		t.Errorf("config %s, want %s", marker, want)
	}
}

func TestNoScalingFigureWithoutFractionAxis(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "out")
	spec := testSpec()
	delete(spec.Grid, "fraction")
	delete(spec.Grid, "curation")
	sum := runFake(t, spec, out, newFake(dir))
	if sum.Findings.Scaling != nil || sum.Findings.Curation != nil {
		t.Errorf("findings %+v without fraction and curation axes", sum.Findings)
	}
	if exists(filepath.Join(out, PlotsDir, "data-scaling.png")) {
		t.Error("data-scaling.png written without a fraction axis")
	}
	if !exists(filepath.Join(out, PlotsDir, "learning-curves.svg")) {
		t.Error("no learning-curves.svg")
	}
}

func TestTestSplitMustMatch(t *testing.T) {
	dir := t.TempDir()
	f := newFake(dir)
	deps := f.deps()
	inner := deps.Evaluate
	deps.Evaluate = func(ctx context.Context, modelDir, testPath, runDir string) (*reportResults, error) {
		res, err := inner(ctx, modelDir, testPath, runDir)
		if err == nil && strings.Contains(runDir, "curation=raw") {
			res.Dataset.SHA256 = "sha256:other"
			err = writeJSON(filepath.Join(runDir, "results.json"), res)
		}
		return res, err
	}
	_, err := Run(context.Background(), testSpec(), filepath.Join(dir, "out"), deps, nil)
	if err == nil || !strings.Contains(err.Error(), "same test split") {
		t.Fatalf("error %v, want one about the test split", err)
	}
}
