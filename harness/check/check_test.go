package check

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/srbench/srbench/harness/results"
)

var scorerNames = []string{"socialreward", "pickscore", "clipscore"}

// synthRun makes a run of 400 pairs over 100 prompts (all labelled A or B)
// scored by three scorers, with results counted by hand under the Social
// Reward policy (score of the preferred image >= the other's is correct).
func synthRun(seed uint64) ([]results.Sample, *results.Results) {
	rng := rand.New(rand.NewPCG(seed, 7))
	var ss []results.Sample
	for i := range 400 {
		label := "a"
		if rng.IntN(2) == 1 {
			label = "b"
		}
		s := results.Sample{Index: i, ID: fmt.Sprintf("pair-%03d", i), PromptID: fmt.Sprintf("p%02d", i/4), Label: label,
			Scores: map[string]results.SampleScore{}}
		for k, n := range scorerNames {
			// scorer k is right with probability 0.72, 0.64, 0.60
			right := rng.Float64() < []float64{0.72, 0.64, 0.60}[k]
			hi, lo := 1+rng.Float64(), rng.Float64()
			if (label == "a") == right {
				s.Scores[n] = results.SampleScore{A: hi, B: lo}
			} else {
				s.Scores[n] = results.SampleScore{A: lo, B: hi}
			}
		}
		ss = append(ss, s)
	}
	return ss, resultsOf(ss)
}

// correct is the hand count: the preferred image's score is at least the other's.
func correct(s results.Sample, scorer string) bool {
	x := s.Scores[scorer]
	if s.Label == "a" {
		return x.A >= x.B
	}
	return x.B >= x.A
}

func resultsOf(ss []results.Sample) *results.Results {
	r := &results.Results{
		SchemaVersion: results.SchemaVersion,
		Benchmark:     results.Benchmark{Name: "synth"},
		Dataset:       results.DatasetInfo{SHA256: "d5a7a5e7", NPairs: len(ss)},
		Policy:        results.Policy{Name: "socialreward", PredictionTies: "correct", LabelTies: "skip", Averaging: "micro", Alpha: 0.05},
	}
	for _, n := range scorerNames {
		k, failed := 0, 0
		for _, s := range ss {
			if s.Scores[n].Error != "" {
				failed++
				continue
			}
			if correct(s, n) {
				k++
			}
		}
		sr := results.ScorerResult{Name: n, Fingerprint: "sha256:" + n, NPairs: len(ss) - failed, NFailed: failed}
		if sr.NPairs > 0 {
			sr.Accuracy = ptr(float64(k) / float64(sr.NPairs))
		}
		r.Scorers = append(r.Scorers, sr)
	}
	return r
}

// fail makes the scorer fail on the first k pairs; it returns new samples.
func fail(ss []results.Sample, scorer string, k int) []results.Sample {
	out := flip(ss, scorer, 0)
	for i := 0; i < k && i < len(out); i++ {
		out[i].Scores[scorer] = results.SampleScore{Error: "image a: cannot decode"}
	}
	return out
}

// flip makes k pairs the scorer gets right wrong (from the end), or, with
// k < 0, -k pairs it gets wrong right; it returns new samples.
func flip(ss []results.Sample, scorer string, k int) []results.Sample {
	out := make([]results.Sample, len(ss))
	for i, s := range ss {
		s.Scores = map[string]results.SampleScore{}
		for n, v := range ss[i].Scores {
			s.Scores[n] = v
		}
		out[i] = s
	}
	for i := len(out) - 1; i >= 0 && k != 0; i-- {
		if correct(out[i], scorer) == (k > 0) {
			x := out[i].Scores[scorer]
			out[i].Scores[scorer] = results.SampleScore{A: x.B, B: x.A}
			if k > 0 {
				k--
			} else {
				k++
			}
		}
	}
	return out
}

// near compares p-values to 1e-9 relative error (gonum's binomial CDF and
// scipy's differ from the 12th digit on large n).
func near(got, want float64) bool { return math.Abs(got-want) <= 1e-9*math.Abs(want) }

func source(ss []results.Sample) SampleSource {
	return func(f func(results.Sample) error) error {
		for _, s := range ss {
			if err := f(s); err != nil {
				return err
			}
		}
		return nil
	}
}

func mustUpdate(t *testing.T, old *Baseline, run *results.Results) *Baseline {
	t.Helper()
	b, _, err := Update(old, run, "baseline-run")
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestCheckUnchangedRunPasses(t *testing.T) {
	t.Parallel()
	ss, run := synthRun(1)
	b := mustUpdate(t, nil, run)
	o, err := Check(b, run, Options{BaselineSamples: source(ss), RunSamples: source(ss)})
	if err != nil {
		t.Fatal(err)
	}
	if !o.Pass || ExitCode(o, nil) != 0 {
		t.Fatalf("unchanged run: pass %v, exit %d\n%s", o.Pass, ExitCode(o, nil), o.Markdown())
	}
	for _, s := range o.Scorers {
		want := &PairedTest{N: 400, P: 1, PHolm: 1}
		if s.Status != Pass || s.Drop != 0 || cmp.Diff(want, s.Paired) != "" {
			t.Errorf("%s: status %s, drop %v, paired %+v", s.Name, s.Status, s.Drop, s.Paired)
		}
	}
	if len(o.Warnings) != 0 || o.PairedNote != "" {
		t.Errorf("warnings %q, paired note %q", o.Warnings, o.PairedNote)
	}
}

func TestCheckThreePointsLowerFails(t *testing.T) {
	t.Parallel()
	ss, run := synthRun(1)
	b := mustUpdate(t, nil, run)
	worse := flip(ss, "pickscore", 12) // 12 of 400 pairs: 3 points
	cur := resultsOf(worse)
	if d := *run.Scorers[1].Accuracy - *cur.Scorers[1].Accuracy; math.Abs(d-0.03) > 1e-12 {
		t.Fatalf("setup: drop %v, want 0.03", d)
	}
	o, err := Check(b, cur, Options{BaselineSamples: source(ss), RunSamples: source(worse)})
	if err != nil {
		t.Fatal(err)
	}
	if o.Pass || ExitCode(o, nil) != 1 {
		t.Fatalf("3-point drop: pass %v, exit %d", o.Pass, ExitCode(o, nil))
	}
	f := o.Failed()
	if len(f) != 1 || f[0].Name != "pickscore" || f[0].Status != Regressed || !f[0].BeyondTolerance {
		t.Fatalf("failed = %+v, want pickscore regressed beyond tolerance", f)
	}
	// 12 discordant pairs, all for the baseline: P(X >= 12), X ~ Bin(12, 1/2) = 2^-12.
	p := f[0].Paired
	if p == nil || p.BaselineBetter != 12 || p.CurrentBetter != 0 || !near(p.P, math.Pow(0.5, 12)) || !p.Worse {
		t.Fatalf("paired test %+v, want 12 vs 0, p = 2^-12, worse", p)
	}
	// Holm over 3 scorers, the other two at p = 1: 3·2^-12.
	if want := 3 * math.Pow(0.5, 12); !near(p.PHolm, want) {
		t.Errorf("Holm p %v, want %v", p.PHolm, want)
	}
	msg := f[0].Message()
	for _, want := range []string{"pickscore", "3.0 points lower", "beyond the tolerance of 2.0 points", "p = 0.000244", "significantly worse"} {
		if !strings.Contains(msg, want) {
			t.Errorf("message %q lacks %q", msg, want)
		}
	}
	md := o.Markdown()
	for _, want := range []string{"## srbench check: ❌ regression (1 of 3 scorers)", "| pickscore |", "| -3.0 | 2.0 |", "**regressed**", "- " + mdEscape.Replace(msg)} {
		if !strings.Contains(md, want) {
			t.Errorf("Markdown lacks %q:\n%s", want, md)
		}
	}
}

func TestCheckPairedTestCatchesSmallDrop(t *testing.T) {
	t.Parallel()
	ss, run := synthRun(2)
	b := mustUpdate(t, nil, run)
	worse := flip(ss, "socialreward", 6) // 1.5 points: within the tolerance
	o, err := Check(b, resultsOf(worse), Options{BaselineSamples: source(ss), RunSamples: source(worse)})
	if err != nil {
		t.Fatal(err)
	}
	s := o.Scorers[0]
	// one-sided p = 2^-6 = 0.015625; Holm over 3: 0.046875 < 0.05
	if s.BeyondTolerance || s.Status != Regressed || !near(s.Paired.P, 1.0/64) || !near(s.Paired.PHolm, 3.0/64) || !s.Paired.Worse {
		t.Fatalf("socialreward %+v paired %+v: want regressed by the paired test alone", s, s.Paired)
	}
	// Without the baseline's samples the same run passes on tolerance.
	o, err = Check(b, resultsOf(worse), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if !o.Pass || o.PairedNote != "no samples of the baseline run" {
		t.Errorf("without samples: pass %v, note %q", o.Pass, o.PairedNote)
	}
}

func TestCheckCases(t *testing.T) {
	t.Parallel()
	ss, run := synthRun(3)
	tests := []struct {
		name     string
		baseline func() *Baseline
		run      func() (*results.Results, []results.Sample)
		pass     bool
		status   map[string]Status
		warning  string
		note     string
		allow    bool
	}{
		{
			name:     "better run passes",
			baseline: func() *Baseline { return mustUpdate(t, nil, run) },
			run:      func() (*results.Results, []results.Sample) { x := flip(ss, "clipscore", -20); return resultsOf(x), x },
			pass:     true, status: map[string]Status{"clipscore": Pass},
		},
		{
			name: "scorer missing from the run fails",
			baseline: func() *Baseline {
				b := mustUpdate(t, nil, run)
				b.Scorers = append(b.Scorers, BaselineScorer{Name: "imagereward", Accuracy: 0.65, Tolerance: 0.02})
				return b
			},
			run:  func() (*results.Results, []results.Sample) { return run, ss },
			pass: false, status: map[string]Status{"imagereward": Missing, "pickscore": Pass},
		},
		{
			name: "scorer not in the baseline is new and not gated",
			baseline: func() *Baseline {
				b := mustUpdate(t, nil, run)
				b.Scorers = b.Scorers[:2]
				return b
			},
			run:  func() (*results.Results, []results.Sample) { return run, ss },
			pass: true, status: map[string]Status{"clipscore": New},
		},
		{
			name: "changed fingerprint is a warning",
			baseline: func() *Baseline {
				b := mustUpdate(t, nil, run)
				b.Scorers[0].Fingerprint = "sha256:old"
				return b
			},
			run:  func() (*results.Results, []results.Sample) { return run, ss },
			pass: true, warning: "socialreward: model fingerprint changed (sha256:old →",
		},
		{
			name: "other dataset allowed: no paired test, tolerance still gates",
			baseline: func() *Baseline {
				b := mustUpdate(t, nil, run)
				b.DatasetSHA256 = "0ther"
				return b
			},
			run:  func() (*results.Results, []results.Sample) { x := flip(ss, "pickscore", 12); return resultsOf(x), x },
			pass: false, status: map[string]Status{"pickscore": Regressed}, note: "the datasets differ",
			warning: "is not the baseline's", allow: true,
		},
		{
			// 190 of 400 pairs fail; the 210 scored keep the accuracy within tolerance.
			name:     "failures above the baseline's fail the gate",
			baseline: func() *Baseline { return mustUpdate(t, nil, run) },
			run:      func() (*results.Results, []results.Sample) { x := fail(ss, "pickscore", 190); return resultsOf(x), x },
			pass:     false, status: map[string]Status{"pickscore": Regressed, "clipscore": Pass},
		},
		{
			name: "failures up to the baseline's pass",
			baseline: func() *Baseline {
				b := mustUpdate(t, nil, run)
				b.Scorers[1].NFailed = 3
				return b
			},
			run:  func() (*results.Results, []results.Sample) { x := fail(ss, "pickscore", 3); return resultsOf(x), x },
			pass: true, status: map[string]Status{"pickscore": Pass},
		},
		{
			name:     "a scorer with no counted pair fails",
			baseline: func() *Baseline { return mustUpdate(t, nil, run) },
			run:      func() (*results.Results, []results.Sample) { x := fail(ss, "clipscore", 400); return resultsOf(x), x },
			pass:     false, status: map[string]Status{"clipscore": Regressed},
		},
		{
			name:     "other pairs: no paired test",
			baseline: func() *Baseline { return mustUpdate(t, nil, run) },
			run:      func() (*results.Results, []results.Sample) { return run, ss[:399] },
			pass:     true, note: "the runs' pairs differ (400 in the baseline run, 399 in this run, 399 shared)",
		},
		{
			name: "drop of exactly the tolerance passes",
			baseline: func() *Baseline {
				b := mustUpdate(t, nil, run)
				b.Scorers[1].Accuracy = *run.Scorers[1].Accuracy + 0.02
				return b
			},
			run:  func() (*results.Results, []results.Sample) { return run, ss },
			pass: true, status: map[string]Status{"pickscore": Pass},
		},
		{
			name: "drop just beyond the tolerance fails",
			baseline: func() *Baseline {
				b := mustUpdate(t, nil, run)
				b.Scorers[1].Accuracy = *run.Scorers[1].Accuracy + 0.0201
				return b
			},
			run:  func() (*results.Results, []results.Sample) { return run, ss },
			pass: false, status: map[string]Status{"pickscore": Regressed},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, cur := tt.run()
			o, err := Check(tt.baseline(), r, Options{BaselineSamples: source(ss), RunSamples: source(cur), AllowDatasetChange: tt.allow})
			if err != nil {
				t.Fatal(err)
			}
			if o.Pass != tt.pass {
				t.Errorf("pass = %v, want %v\n%s", o.Pass, tt.pass, o.Markdown())
			}
			for name, want := range tt.status {
				found := false
				for _, s := range o.Scorers {
					if s.Name == name {
						found = true
						if s.Status != want {
							t.Errorf("%s: status %s, want %s", name, s.Status, want)
						}
					}
				}
				if !found {
					t.Errorf("no outcome for %s", name)
				}
			}
			if tt.warning != "" && !strings.Contains(strings.Join(o.Warnings, "\n"), tt.warning) {
				t.Errorf("warnings %q lack %q", o.Warnings, tt.warning)
			}
			if o.PairedNote != tt.note {
				t.Errorf("paired note %q, want %q", o.PairedNote, tt.note)
			}
		})
	}
}

func TestCheckPolicyMismatch(t *testing.T) {
	t.Parallel()
	_, run := synthRun(1)
	b := mustUpdate(t, nil, run)
	b.Policy.LabelTies = "half"
	o, err := Check(b, run, Options{BaselineFile: "ci/baseline.json"})
	var ie *InputError
	if !errors.As(err, &ie) || ie.File != "ci/baseline.json" || ie.Field != "policy" || ExitCode(o, err) != 2 {
		t.Fatalf("err %v (exit %d), want an InputError on ci/baseline.json field policy", err, ExitCode(o, err))
	}
	if !strings.Contains(err.Error(), "label ties half") || !strings.Contains(err.Error(), "label ties skip") {
		t.Errorf("message %q does not name both rules", err)
	}
	run.Policy.Averaging = "mean"
	_, err = Check(&Baseline{Version: 1, Scorers: b.Scorers}, run, Options{})
	if !errors.As(err, &ie) || ie.File != "results.json" || ie.Field != "policy.averaging" {
		t.Errorf("bad run policy: err %v, want an InputError on results.json field policy.averaging", err)
	}
}

func TestParseBaseline(t *testing.T) {
	t.Parallel()
	good := `{"version": 1, "scorers": [{"name": "pickscore", "accuracy": 0.626, "tolerance": 0.03}, {"name": "clipscore", "accuracy": 0.6}]}`
	b, err := ParseBaseline("b.json", []byte(good))
	if err != nil {
		t.Fatal(err)
	}
	want := &Baseline{Version: 1, Scorers: []BaselineScorer{{Name: "pickscore", Accuracy: 0.626, Tolerance: 0.03}, {Name: "clipscore", Accuracy: 0.6, Tolerance: DefaultTolerance}}}
	if d := cmp.Diff(want, b); d != "" {
		t.Errorf("ParseBaseline (-want +got):\n%s", d)
	}
	tests := []struct {
		name, in, field, msg string
	}{
		{"empty", "", "", "b.json: empty file"},
		{"not JSON", "{\n  \"version\": 1,\n  oops\n}", "", "b.json: line 3, column 3: invalid character 'o'"},
		{"truncated", `{"version": 1, "scorers": [`, "", "the JSON ends early"},
		{"trailing data", `{"version": 1, "scorers": [{"name": "x", "accuracy": 0.5}]} {}`, "", "unexpected data after the JSON object"},
		{"misspelt field", `{"version": 1, "scorers": [{"name": "x", "accuracy": 0.5, "tolerence": 0.01}]}`, "tolerence", `did you mean "tolerance"?`},
		{"wrong type", `{"version": 1, "scorers": [{"name": "x", "accuracy": "0.5"}]}`, "scorers.accuracy", "line 1, column 58: a JSON string, want float64"},
		{"no version", `{"scorers": [{"name": "x", "accuracy": 0.5}]}`, "version", "missing; want 1"},
		{"future version", `{"version": 2, "scorers": [{"name": "x", "accuracy": 0.5}]}`, "version", "2; this srbench reads version 1"},
		{"no scorers", `{"version": 1}`, "scorers", "want at least one scorer"},
		{"no name", `{"version": 1, "scorers": [{"accuracy": 0.5}]}`, "scorers[0].name", "missing or empty"},
		{"duplicate", `{"version": 1, "scorers": [{"name": "x", "accuracy": 0.5}, {"name": "x", "accuracy": 0.6}]}`, "scorers[1].name", `"x" is listed twice (also scorers[0])`},
		{"no accuracy", `{"version": 1, "scorers": [{"name": "x"}]}`, "scorers[0].accuracy", "missing"},
		{"accuracy in percent", `{"version": 1, "scorers": [{"name": "x", "accuracy": 69.7}]}`, "scorers[0].accuracy", "69.7; want a proportion in [0, 1]"},
		{"negative tolerance", `{"version": 1, "scorers": [{"name": "x", "accuracy": 0.5, "tolerance": -0.01}]}`, "scorers[0].tolerance", "-0.01; want a proportion"},
		{"bad policy", `{"version": 1, "policy": {"prediction_ties": "corect", "label_ties": "skip", "averaging": "micro"}, "scorers": [{"name": "x", "accuracy": 0.5}]}`, "policy.prediction_ties", `"correct"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseBaseline("b.json", []byte(tt.in))
			var ie *InputError
			if !errors.As(err, &ie) {
				t.Fatalf("err %v, want an *InputError", err)
			}
			if ie.File != "b.json" || ie.Field != tt.field || !strings.Contains(err.Error(), tt.msg) {
				t.Errorf("err %q (file %q, field %q), want field %q and %q", err, ie.File, ie.Field, tt.field, tt.msg)
			}
			if ExitCode(nil, err) != 2 {
				t.Errorf("exit code %d, want 2", ExitCode(nil, err))
			}
		})
	}
	if _, err := LoadBaseline("testdata/does-not-exist.json"); err == nil || !strings.Contains(err.Error(), "testdata/does-not-exist.json") {
		t.Errorf("LoadBaseline of a missing file: %v", err)
	}
}

func TestUpdate(t *testing.T) {
	t.Parallel()
	_, run := synthRun(1)
	old := &Baseline{Version: 1, Scorers: []BaselineScorer{
		{Name: "pickscore", Accuracy: 0.5, Tolerance: 0.05},
		{Name: "imagereward", Accuracy: 0.6, Tolerance: 0.01},
	}}
	b, notes, err := Update(old, run, "runs/base")
	if err != nil {
		t.Fatal(err)
	}
	want := []BaselineScorer{
		{Name: "socialreward", Accuracy: *run.Scorers[0].Accuracy, Tolerance: 0.02, Fingerprint: "sha256:socialreward", NPairs: 400},
		{Name: "pickscore", Accuracy: *run.Scorers[1].Accuracy, Tolerance: 0.05, Fingerprint: "sha256:pickscore", NPairs: 400},
		{Name: "clipscore", Accuracy: *run.Scorers[2].Accuracy, Tolerance: 0.02, Fingerprint: "sha256:clipscore", NPairs: 400},
	}
	if d := cmp.Diff(want, b.Scorers); d != "" {
		t.Errorf("scorers (-want +got):\n%s", d)
	}
	if b.Version != 1 || b.DatasetSHA256 != "d5a7a5e7" || b.RunDir != "runs/base" || b.Policy == nil || b.Policy.Name != "socialreward" {
		t.Errorf("baseline header %+v", b)
	}
	wantNotes := []string{`added scorer "socialreward" (tolerance 2.0 points)`, `added scorer "clipscore" (tolerance 2.0 points)`, `dropped scorer "imagereward": it is not in the run`}
	if d := cmp.Diff(wantNotes, notes); d != "" {
		t.Errorf("notes (-want +got):\n%s", d)
	}
	// Round trip through the file.
	path := t.TempDir() + "/baseline.json"
	if err := b.WriteFile(path); err != nil {
		t.Fatal(err)
	}
	back, err := LoadBaseline(path)
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(b, back); d != "" {
		t.Errorf("round trip (-want +got):\n%s", d)
	}
	run.Scorers[2].NPairs, run.Scorers[2].Accuracy = 0, nil
	if _, _, err := Update(nil, run, "x"); err == nil || !strings.Contains(err.Error(), `scorer "clipscore" has no counted pairs`) {
		t.Errorf("Update with an empty scorer: %v", err)
	}
}

func TestJUnit(t *testing.T) {
	t.Parallel()
	ss, run := synthRun(1)
	b := mustUpdate(t, nil, run)
	b.Scorers = append(b.Scorers[1:], BaselineScorer{Name: "gone", Accuracy: 0.5, Tolerance: 0.02})
	worse := flip(ss, "pickscore", 12)
	o, err := Check(b, resultsOf(worse), Options{BaselineSamples: source(ss), RunSamples: source(worse)})
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := o.JUnit(&buf); err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Tests    int `xml:"tests,attr"`
		Failures int `xml:"failures,attr"`
		Suite    struct {
			Cases []struct {
				Name    string `xml:"name,attr"`
				Failure *struct {
					Message string `xml:"message,attr"`
					Type    string `xml:"type,attr"`
				} `xml:"failure"`
				Skipped *struct{} `xml:"skipped"`
			} `xml:"testcase"`
		} `xml:"testsuite"`
	}
	if err := xml.Unmarshal(buf.Bytes(), &doc); err != nil {
		t.Fatalf("%v\n%s", err, buf.String())
	}
	if doc.Tests != 4 || doc.Failures != 2 || len(doc.Suite.Cases) != 4 {
		t.Fatalf("tests %d failures %d cases %d, want 4, 2, 4\n%s", doc.Tests, doc.Failures, len(doc.Suite.Cases), buf.String())
	}
	byName := map[string]int{}
	for i, c := range doc.Suite.Cases {
		byName[c.Name] = i
	}
	pick := doc.Suite.Cases[byName["pickscore"]]
	if pick.Failure == nil || pick.Failure.Type != "regressed" || !strings.Contains(pick.Failure.Message, "3.0 points lower") || !strings.Contains(pick.Failure.Message, "p = 0.000244") {
		t.Errorf("pickscore failure %+v", pick.Failure)
	}
	if g := doc.Suite.Cases[byName["gone"]]; g.Failure == nil || g.Failure.Type != "missing" {
		t.Errorf("gone: %+v", g.Failure)
	}
	if c := doc.Suite.Cases[byName["clipscore"]]; c.Failure != nil || c.Skipped != nil {
		t.Errorf("clipscore should pass: %+v", c)
	}
	if s := doc.Suite.Cases[byName["socialreward"]]; s.Skipped == nil {
		t.Errorf("socialreward (not in the baseline) should be skipped")
	}
}

func TestExitCode(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		o    *Outcome
		err  error
		want int
	}{
		{"pass", &Outcome{Pass: true}, nil, 0},
		{"regression", &Outcome{Pass: false}, nil, 1},
		{"input error", nil, &InputError{File: "b.json", Err: errors.New("bad")}, 2},
		{"any error", &Outcome{Pass: true}, errors.New("disk full"), 2},
		{"no outcome", nil, nil, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ExitCode(tt.o, tt.err); got != tt.want {
				t.Errorf("ExitCode = %d, want %d", got, tt.want)
			}
		})
	}
}

func TestSamplesFile(t *testing.T) {
	t.Parallel()
	ss, _ := synthRun(1)
	path := t.TempDir() + "/samples.jsonl"
	var buf bytes.Buffer
	for _, s := range ss[:3] {
		line, _ := json.Marshal(s)
		buf.Write(append(line, '\n'))
	}
	buf.WriteString("{broken\n")
	os.WriteFile(path, buf.Bytes(), 0o644)
	n := 0
	err := SamplesFile(path)(func(results.Sample) error { n++; return nil })
	if n != 3 || err == nil || !strings.Contains(err.Error(), "samples.jsonl: line 4:") {
		t.Errorf("read %d samples, err %v; want 3 and an error at line 4", n, err)
	}
}

func ptr(f float64) *float64 { return &f }

// TestCheckRefusesOtherDataset: a run on another dataset is unusable input
// (exit 2) unless the caller allows it.
func TestCheckRefusesOtherDataset(t *testing.T) {
	t.Parallel()
	ss, run := synthRun(4)
	b := mustUpdate(t, nil, run)
	b.DatasetSHA256 = "0ther"
	_, err := Check(b, run, Options{BaselineSamples: source(ss), RunSamples: source(ss)})
	var ie *InputError
	if !errors.As(err, &ie) || ie.Field != "dataset.sha256" || !strings.Contains(err.Error(), "--allow-dataset-change") {
		t.Fatalf("error %v, want an *InputError on dataset.sha256 naming --allow-dataset-change", err)
	}
	if ExitCode(nil, err) != 2 {
		t.Errorf("exit code %d, want 2", ExitCode(nil, err))
	}
}

// TestCheckNamesFailures: the summary of a run with failures names them and
// says which pairs the paired test covers.
func TestCheckNamesFailures(t *testing.T) {
	t.Parallel()
	ss, run := synthRun(5)
	b := mustUpdate(t, nil, run)
	x := fail(ss, "pickscore", 190)
	o, err := Check(b, resultsOf(x), Options{BaselineSamples: source(ss), RunSamples: source(x)})
	if err != nil {
		t.Fatal(err)
	}
	var pick ScorerOutcome
	for _, s := range o.Scorers {
		if s.Name == "pickscore" {
			pick = s
		}
	}
	if !pick.FailuresRose || pick.CurrentFailed != 190 || pick.BaselineFailed != 0 || pick.Paired == nil || pick.Paired.N != 210 || pick.Paired.LeftOut != 190 {
		t.Fatalf("pickscore outcome %+v, paired %+v: want failures 0 -> 190 and a paired test on 210 pairs, 190 left out", pick, pick.Paired)
	}
	md := o.Markdown()
	for _, want := range []string{"0 → 190", "failed on 190 pairs, the baseline on 0: failures rose", "paired test on the 210 pairs both runs scored (190 shared pairs left out"} {
		if !strings.Contains(md, want) {
			t.Errorf("summary lacks %q:\n%s", want, md)
		}
	}
}
