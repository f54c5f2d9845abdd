package bench_test

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/srbench/srbench/harness/bench"
	"github.com/srbench/srbench/harness/results"
	"github.com/srbench/srbench/harness/scorer"
)

// sample is one pair for writeSamples: prompt, label and each scorer's two
// scores (or an error).
type sample struct {
	prompt, label string
	scores        map[string][2]float64
	errs          map[string]string
}

// writeSamples writes samples.jsonl into a new run directory and returns it
// with a Results holding the scorers' names.
func writeSamples(t *testing.T, names []string, ss []sample) (string, *results.Results) {
	t.Helper()
	dir := t.TempDir()
	f, err := os.Create(filepath.Join(dir, results.SamplesFile))
	if err != nil {
		t.Fatal(err)
	}
	for i, s := range ss {
		sm := results.Sample{Index: i, ID: fmt.Sprintf("pair-%d", i), PromptID: s.prompt, Prompt: s.prompt, Label: s.label,
			Scores: map[string]results.SampleScore{}}
		for _, n := range names {
			if e := s.errs[n]; e != "" {
				sm.Scores[n] = results.SampleScore{Error: e}
				continue
			}
			sm.Scores[n] = results.SampleScore{A: s.scores[n][0], B: s.scores[n][1]}
		}
		b, err := jsonLine(sm)
		if err != nil {
			t.Fatal(err)
		}
		f.Write(b)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	res := &results.Results{SchemaVersion: results.SchemaVersion}
	for _, n := range names {
		res.Scorers = append(res.Scorers, results.ScorerResult{Name: n})
	}
	return dir, res
}

func jsonLine(s results.Sample) ([]byte, error) {
	b, err := json.Marshal(s)
	return append(b, '\n'), err
}

func analyze(t *testing.T, names []string, ss []sample) *results.Results {
	t.Helper()
	dir, res := writeSamples(t, names, ss)
	if err := bench.Analyze(dir, res, bench.AnalyzeOptions{}); err != nil {
		t.Fatal(err)
	}
	return res
}

func hasWarning(res *results.Results, kind, scorer string) bool {
	for _, w := range res.Warnings {
		if w.Kind == kind && w.Scorer == scorer {
			return true
		}
	}
	return false
}

// wilson95 is the textbook Wilson score interval at 95%, written out here
// independently of harness/stats.
func wilson95(k, n float64) (lo, hi float64) {
	z := 1.959963984540054
	p := k / n
	c := (p + z*z/(2*n)) / (1 + z*z/n)
	h := z * math.Sqrt(p*(1-p)/n+z*z/(4*n*n)) / (1 + z*z/n)
	return c - h, c + h
}

// TestAnalyzeSmallSample: 3 pairs all right get Wilson's interval, whose
// lower end (3/(3+z²) ≈ 0.438) is below 0.5, not the bootstrap's [1, 1].
func TestAnalyzeSmallSample(t *testing.T) {
	ss := []sample{
		{"p1", "a", map[string][2]float64{"s": {2, 1}}, nil},
		{"p2", "b", map[string][2]float64{"s": {1, 2}}, nil},
		{"p3", "a", map[string][2]float64{"s": {5, 1}}, nil},
	}
	res := analyze(t, []string{"s"}, ss)
	s := res.Scorers[0]
	lo, hi := wilson95(3, 3)
	if s.Accuracy == nil || *s.Accuracy != 1 || s.CI95 == nil || s.CIMethod != results.CIWilson {
		t.Fatalf("accuracy %v ci %v method %q; want 1 with a Wilson interval", s.Accuracy, s.CI95, s.CIMethod)
	}
	if math.Abs(s.CI95[0]-lo) > 1e-12 || math.Abs(s.CI95[1]-hi) > 1e-12 || !(s.CI95[0] < 0.5) {
		t.Errorf("interval %v, want Wilson [%v, %v] with a lower end below 0.5", *s.CI95, lo, hi)
	}
	if math.Abs(lo-3/(3+1.959963984540054*1.959963984540054)) > 1e-12 {
		t.Errorf("textbook check: Wilson lower end for 3/3 is 3/(3+z²), got %v", lo)
	}
	if !hasWarning(res, results.WarnSmallSample, "s") {
		t.Errorf("no small-sample warning: %+v", res.Warnings)
	}
}

// TestAnalyzeConstantScorer: a scorer that ties every pair gets half
// credit under the default policy, the three tie rules are 0, 50 and 100%,
// and the run warns about the ties; with every label "a" it also warns
// about the label balance.
func TestAnalyzeConstantScorer(t *testing.T) {
	var ss []sample
	for i := range 40 {
		label := []string{"a", "b"}[i%2]
		ss = append(ss, sample{fmt.Sprintf("p%d", i), label, map[string][2]float64{"const": {7, 7}, "good": {float64(i % 2), float64(1 - i%2)}}, nil})
	}
	// "good" prefers b on even i (label a) and a on odd i (label b): always wrong. Flip it to always right.
	for i := range ss {
		g := ss[i].scores["good"]
		ss[i].scores["good"] = [2]float64{g[1], g[0]}
	}
	res := analyze(t, []string{"const", "good"}, ss)
	c := res.Scorers[0]
	if c.Accuracy == nil || *c.Accuracy != 0.5 || c.PredictedTieRate != 1 || c.NPredictedTies != 40 {
		t.Fatalf("constant scorer: accuracy %v, tie rate %v, ties %d; want 0.5, 1, 40", c.Accuracy, c.PredictedTieRate, c.NPredictedTies)
	}
	if c.ByTieRule == nil || *c.ByTieRule != (results.TieRules{Wrong: 0, Half: 0.5, Correct: 1}) {
		t.Errorf("by tie rule %+v, want 0, 0.5, 1", c.ByTieRule)
	}
	if !hasWarning(res, results.WarnPredictedTies, "const") || hasWarning(res, results.WarnPredictedTies, "good") {
		t.Errorf("tie warnings %+v: want one for const only", res.Warnings)
	}
	if hasWarning(res, results.WarnLabelBalance, "") {
		t.Errorf("balanced labels warned: %+v", res.Warnings)
	}
	if res.Dataset.NLabelA != 20 || res.Dataset.NLabelB != 20 {
		t.Errorf("labels %d a, %d b; want 20, 20", res.Dataset.NLabelA, res.Dataset.NLabelB)
	}
	for i := range ss {
		ss[i].label = "a"
	}
	res = analyze(t, []string{"const", "good"}, ss)
	if !hasWarning(res, results.WarnLabelBalance, "") {
		t.Errorf("all-a labels not warned: %+v", res.Warnings)
	}
}

// TestAnalyzeAllTieLabels: when every label is a tie (skipped under the
// default policy), analysis finishes: accuracies are undefined (nil), the
// comparison says why, and the warnings name it.
func TestAnalyzeAllTieLabels(t *testing.T) {
	var ss []sample
	for i := range 30 {
		ss = append(ss, sample{fmt.Sprintf("p%d", i%7), "tie", map[string][2]float64{"x": {float64(i), 1}, "y": {1, float64(i)}}, nil})
	}
	res := analyze(t, []string{"x", "y"}, ss)
	for _, s := range res.Scorers {
		if s.Accuracy != nil || s.CI95 != nil || s.NPairs != 0 || s.NSkipped != 30 {
			t.Errorf("%s: accuracy %v ci %v pairs %d skipped %d; want undefined, 0 counted, 30 skipped", s.Name, s.Accuracy, s.CI95, s.NPairs, s.NSkipped)
		}
		if !hasWarning(res, results.WarnNoPairs, s.Name) {
			t.Errorf("%s: no no-pairs warning in %+v", s.Name, res.Warnings)
		}
	}
	if len(res.Comparisons) != 1 || res.Comparisons[0].Significant || !strings.Contains(res.Comparisons[0].Note, "tied labels") {
		t.Errorf("comparison %+v: want a note about tied labels and no significance", res.Comparisons)
	}
	if len(res.Agreement) != 1 || res.Agreement[0].N != 30 {
		t.Errorf("agreement %+v: want it computed on the 30 pairs", res.Agreement)
	}
}

// TestAnalyzeFailures: a scorer that failed on every pair has no accuracy
// (not 0%) and a warning with its first errors.
func TestAnalyzeFailures(t *testing.T) {
	var ss []sample
	for i := range 25 {
		ss = append(ss, sample{fmt.Sprintf("p%d", i), []string{"a", "b"}[i%2],
			map[string][2]float64{"ok": {1, 0}}, map[string]string{"broken": "image a: open /typo/x.png: no such file or directory"}})
	}
	res := analyze(t, []string{"ok", "broken"}, ss)
	b := res.Scorers[1]
	if b.Accuracy != nil || b.NFailed != 25 || len(b.FailureExamples) != 1 || !strings.Contains(b.FailureExamples[0], "/typo/x.png") {
		t.Fatalf("broken: accuracy %v failed %d examples %q", b.Accuracy, b.NFailed, b.FailureExamples)
	}
	if !hasWarning(res, results.WarnNoPairs, "broken") {
		t.Errorf("no warning for broken: %+v", res.Warnings)
	}
	if c := res.Comparisons[0]; c.NPairs != 0 || c.Significant || c.Note == "" {
		t.Errorf("comparison %+v: want 0 common pairs with a note", c)
	}
}

// TestAnalyzeFewPromptsComparison: with fewer prompts than the bootstrap
// needs, a comparison's interval is the exact one, which agrees with the
// McNemar test: significant exactly when it excludes 0.
func TestAnalyzeFewPromptsComparison(t *testing.T) {
	var ss []sample
	for i := range 60 {
		// x right on all; y right on the first 45.
		y := [2]float64{1, 0}
		if i >= 45 {
			y = [2]float64{0, 1}
		}
		ss = append(ss, sample{fmt.Sprintf("p%d", i%5), "a", map[string][2]float64{"x": {1, 0}, "y": y}, nil})
	}
	res := analyze(t, []string{"x", "y"}, ss)
	c := res.Comparisons[0]
	if c.CIMethod != results.CIExact || c.AWins != 15 || c.BWins != 0 {
		t.Fatalf("comparison %+v: want the exact interval with 15/0 discordant pairs", c)
	}
	// Clopper–Pearson for 15 of 15: lower = 0.025^(1/15); the difference is (2π-1)·15/60.
	lo := (2*math.Pow(0.025, 1.0/15) - 1) * 15 / 60
	if math.Abs(c.CI95[0]-lo) > 1e-9 || math.Abs(c.CI95[1]-0.25) > 1e-12 {
		t.Errorf("interval %v, want [%v, 0.25]", c.CI95, lo)
	}
	if !c.Significant || !(c.CI95[0] > 0) {
		t.Errorf("significant %v with interval %v: the exact interval and the test must agree", c.Significant, c.CI95)
	}
}

// TestScorerKeyNamesEverything: every input that changes a score changes
// the cache key; the order of options does not.
func TestScorerKeyNamesEverything(t *testing.T) {
	base := scorer.Description{Name: "clipscore", Version: "1", Fingerprint: "sha256:aa", Variant: "hessel",
		Runtime: "onnxruntime 1.24.1", Provider: "cpu", Preprocessing: "openai", Tokenizer: "CLIP BPE"}
	opts := map[string]string{"variant": "hessel", "w": "2.5"}
	key := bench.ScorerKey(base, "bin1", opts)
	if again := bench.ScorerKey(base, "bin1", map[string]string{"w": "2.5", "variant": "hessel"}); again != key {
		t.Errorf("same configuration, another key: %s vs %s", again, key)
	}
	tests := []struct {
		name string
		edit func(d *scorer.Description, bin *string, o map[string]string)
	}{
		{"plugin binary", func(_ *scorer.Description, bin *string, _ map[string]string) { *bin = "bin2" }},
		{"name", func(d *scorer.Description, _ *string, _ map[string]string) { d.Name = "pickscore" }},
		{"version", func(d *scorer.Description, _ *string, _ map[string]string) { d.Version = "2" }},
		{"fingerprint", func(d *scorer.Description, _ *string, _ map[string]string) { d.Fingerprint = "sha256:bb" }},
		{"variant", func(d *scorer.Description, _ *string, _ map[string]string) { d.Variant = "cosine" }},
		{"runtime", func(d *scorer.Description, _ *string, _ map[string]string) { d.Runtime = "onnxruntime 1.25.0" }},
		{"provider", func(d *scorer.Description, _ *string, _ map[string]string) { d.Provider = "cuda" }},
		{"preprocessing", func(d *scorer.Description, _ *string, _ map[string]string) { d.Preprocessing = "hf" }},
		{"tokenizer", func(d *scorer.Description, _ *string, _ map[string]string) { d.Tokenizer = "CLIP BPE, OpenAI" }},
		{"option value", func(_ *scorer.Description, _ *string, o map[string]string) { o["w"] = "1" }},
		{"option added", func(_ *scorer.Description, _ *string, o map[string]string) { o["x"] = "" }},
		{"separator smuggling", func(d *scorer.Description, _ *string, _ map[string]string) {
			d.Name, d.Version = "clipscore\x001", ""
		}},
	}
	seen := map[string]string{key: "base"}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, bin, o := base, "bin1", map[string]string{}
			for k, v := range opts {
				o[k] = v
			}
			tt.edit(&d, &bin, o)
			k := bench.ScorerKey(d, bin, o)
			if prev, dup := seen[k]; dup {
				t.Errorf("changing the %s gives the key of %q", tt.name, prev)
			}
			seen[k] = tt.name
		})
	}
}

func TestFailureLimit(t *testing.T) {
	res := &results.Results{Scorers: []results.ScorerResult{
		{Name: "ok", NPairs: 100},
		{Name: "few", NPairs: 98, NFailed: 2},    // 2% of 100
		{Name: "most", NPairs: 94, NFailed: 190}, // 66.9% of 284
	}}
	tests := []struct {
		in   string
		want []string // scorers over the limit
		bad  bool
	}{
		{in: "0", want: []string{"few", "most"}},
		{in: "2", want: []string{"most"}},
		{in: "190", want: nil},
		{in: "1%", want: []string{"few", "most"}},
		{in: "2%", want: []string{"most"}},
		{in: " 66.9 % ", want: []string{"most"}},
		{in: "67%", want: nil},
		{in: "100%", want: nil},
		{in: "-1", bad: true},
		{in: "101%", bad: true},
		{in: "lots", bad: true},
		{in: "", bad: true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			l, err := bench.ParseFailureLimit(tt.in)
			if tt.bad {
				if err == nil || !strings.Contains(err.Error(), "--max-failures") {
					t.Fatalf("ParseFailureLimit(%q) = %v, %v; want an error naming the flag", tt.in, l, err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, line := range l.Exceeded(res) {
				got = append(got, strings.Fields(line)[0])
			}
			if strings.Join(got, ",") != strings.Join(tt.want, ",") {
				t.Errorf("limit %s: over %v, want %v", l, got, tt.want)
			}
		})
	}
	if got := (bench.FailureLimit{}).Exceeded(res); len(got) != 2 || got[1] != "most failed on 190 of 284 pairs (66.9%)" {
		t.Errorf("zero limit: %q", got)
	}
}

// TestAnalyzeDuplicateIDs: pairs that repeat an id are counted (each copy
// scored and counted) and warned about, naming the id.
func TestAnalyzeDuplicateIDs(t *testing.T) {
	var ss []sample
	for i := range 30 {
		ss = append(ss, sample{fmt.Sprintf("p%d", i), "a", map[string][2]float64{"s": {1, 0}}, nil})
	}
	dir, res := writeSamples(t, []string{"s"}, ss)
	// Rewrite ids: pair-3 twice more, pair-7 once more.
	b, _ := os.ReadFile(filepath.Join(dir, results.SamplesFile))
	txt := strings.Replace(string(b), `"id":"pair-10"`, `"id":"pair-3"`, 1)
	txt = strings.Replace(txt, `"id":"pair-11"`, `"id":"pair-3"`, 1)
	txt = strings.Replace(txt, `"id":"pair-20"`, `"id":"pair-7"`, 1)
	os.WriteFile(filepath.Join(dir, results.SamplesFile), []byte(txt), 0o644)
	if err := bench.Analyze(dir, res, bench.AnalyzeOptions{}); err != nil {
		t.Fatal(err)
	}
	if res.Dataset.NDuplicateIDs != 3 || strings.Join(res.Dataset.DuplicateIDs, ",") != "pair-3,pair-7" || res.Scorers[0].NPairs != 30 {
		t.Errorf("duplicates %d %v, pairs %d; want 3 extra (pair-3, pair-7), all 30 counted", res.Dataset.NDuplicateIDs, res.Dataset.DuplicateIDs, res.Scorers[0].NPairs)
	}
	if !hasWarning(res, results.WarnDuplicateIDs, "") {
		t.Errorf("no duplicate-ids warning: %+v", res.Warnings)
	}
}
