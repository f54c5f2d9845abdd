package check

import (
	"bytes"
	"errors"
	"math"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/srbench/srbench/harness/results"
)

// synthLeaderboard is a leaderboard of three generators under two judges
// (a scorer and the ground truth); strengths sum to 0, every SE is 0.1.
func synthLeaderboard() *results.Leaderboard {
	board := func(judge string, s [3]float64) results.Board {
		b := results.Board{Judge: judge}
		for i, g := range []string{"gen-a", "gen-b", "gen-c"} {
			b.Generators = append(b.Generators, results.GeneratorRow{Generator: g, Rank: i + 1,
				Strength: results.Estimate{Value: s[i], CI: [2]float64{s[i] - 0.2, s[i] + 0.2}, SE: 0.1}})
		}
		return b
	}
	return &results.Leaderboard{
		SchemaVersion: results.LeaderboardSchemaVersion, Kind: results.LeaderboardKind,
		Benchmark: results.Benchmark{Name: "gallery"},
		Gallery:   results.GalleryInfo{SHA256: "9a11e7", Generators: []string{"gen-a", "gen-b", "gen-c"}},
		Judges: []results.Judge{
			{Name: "pickscore", Kind: "scorer", Fingerprint: "sha256:pick", NScored: 300},
			{Name: results.TruthJudge, Kind: "truth", NScored: 300},
		},
		Boards: []results.Board{board("pickscore", [3]float64{0.5, 0, -0.5}), board(results.TruthJudge, [3]float64{0.3, 0.1, -0.4})},
	}
}

// setStrength sets judge's strength of generator in lb.
func setStrength(lb *results.Leaderboard, judge, gen string, v float64) {
	b := lb.Board(judge)
	for i := range b.Generators {
		if b.Generators[i].Generator == gen {
			b.Generators[i].Strength.Value = v
		}
	}
}

func TestCheckLeaderboard(t *testing.T) {
	t.Parallel()
	base, _, err := UpdateLeaderboard(nil, synthLeaderboard(), "runs/base")
	if err != nil {
		t.Fatal(err)
	}
	se := math.Sqrt(0.1*0.1 + 0.1*0.1) // both SEs are 0.1
	// A drop of 0.2 is z = -0.2/0.1414 = -1.414 > -1.645: within noise.
	if z := -0.2 / se; !(z > -1.6449 && z < -1.41) {
		t.Fatalf("hand z %v", z)
	}
	tests := []struct {
		name   string
		change func(*results.Leaderboard)
		pass   bool
		// want are substrings of the summary; z the hand-computed z of
		// pickscore/gen-b when not NaN.
		want []string
		z    float64
	}{
		{"unchanged", func(*results.Leaderboard) {}, true, []string{"✅ pass", "| pickscore | gen-b | +0.000 ± 0.100 | +0.000 ± 0.100 | +0.00 | pass |"}, 0},
		{"drop of 5 SE fails", func(l *results.Leaderboard) { setStrength(l, "pickscore", "gen-b", -5*se) }, false,
			[]string{"❌ regression (1 of 6", "| pickscore | gen-b | +0.000 ± 0.100 | -0.707 ± 0.100 | -5.00 | **regressed** |",
				"judge pickscore, generator gen-b: strength -0.707 ± 0.100, baseline +0.000 ± 0.100: change -0.707, z = -5.00, below −1.645: significantly weaker"}, -5},
		{"rise passes", func(l *results.Leaderboard) { setStrength(l, "pickscore", "gen-b", 1) }, true, []string{"✅ pass", "+7.07"}, 1 / se},
		{"small drop within noise passes", func(l *results.Leaderboard) { setStrength(l, "pickscore", "gen-b", -0.2) }, true, []string{"✅ pass", "-1.41"}, -0.2 / se},
		{"missing generator fails", func(l *results.Leaderboard) {
			b := l.Board("pickscore")
			b.Generators = b.Generators[:2]
		}, false, []string{"judge pickscore, generator gen-c: in the baseline (strength -0.500 ± 0.100) but not in the leaderboard", "(gone: gen-c)"}, 0},
		{"missing judge fails", func(l *results.Leaderboard) {
			l.Judges, l.Boards = l.Judges[:1], l.Boards[:1]
		}, false, []string{"judge truth, generator gen-a: the judge is in the baseline but not in the leaderboard", "**missing** (judge)"}, 0},
		{"new generator is not gated", func(l *results.Leaderboard) {
			b := l.Board("pickscore")
			b.Generators = append(b.Generators, results.GeneratorRow{Generator: "gen-d", Strength: results.Estimate{Value: 0, SE: 0.1}})
		}, true, []string{"| pickscore | gen-d | n/a | +0.000 ± 0.100 | — | new |", "(new: gen-d)", "sum to 0"}, 0},
		{"undefined strength fails", func(l *results.Leaderboard) { setStrength(l, "pickscore", "gen-b", math.NaN()) }, false,
			[]string{"strength n/a is undefined"}, math.NaN()},
		{"failures rose fail", func(l *results.Leaderboard) {
			l.Judges[0].NFailed = 4
			l.Warnings = []results.Warning{{Kind: results.WarnFailures, Scorer: "pickscore", Message: "failed on 4 of 304 images"}}
		}, false, []string{"> - **pickscore**: failed on 4 of 304 images", "| pickscore | 0 → 4 | **failures rose** |", "failures rose for 1 judge(s)"}, 0},
		{"regularised warning is shown", func(l *results.Leaderboard) {
			l.Warnings = []results.Warning{{Kind: "regularised", Scorer: "truth", Message: "gen-a never loses; a prior was added"}}
		}, true, []string{"> - **truth**: gen-a never loses; a prior was added"}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			lb := synthLeaderboard()
			tt.change(lb)
			o, err := CheckLeaderboard(base, lb, Options{})
			if err != nil {
				t.Fatal(err)
			}
			md := o.Markdown()
			if o.Pass != tt.pass {
				t.Errorf("pass %v, want %v\n%s", o.Pass, tt.pass, md)
			}
			wantCode := 0
			if !tt.pass {
				wantCode = 1
			}
			if c := LeaderboardExitCode(o, nil); c != wantCode {
				t.Errorf("exit code %d, want %d", c, wantCode)
			}
			for _, w := range tt.want {
				if !strings.Contains(md, w) {
					t.Errorf("summary lacks %q\n%s", w, md)
				}
			}
			for _, r := range o.Rows {
				if r.Judge == "pickscore" && r.Generator == "gen-b" && !math.IsNaN(tt.z) && math.Abs(r.Z-tt.z) > 1e-9 {
					t.Errorf("z = %v, want %v", r.Z, tt.z)
				}
			}
			var junit bytes.Buffer
			if err := o.JUnit(&junit); err != nil || !strings.Contains(junit.String(), `<testsuites name="srbench check"`) {
				t.Errorf("junit: %v\n%s", err, junit.String())
			}
		})
	}
}

func TestCheckLeaderboardRefuses(t *testing.T) {
	t.Parallel()
	base, _, err := UpdateLeaderboard(nil, synthLeaderboard(), "runs/base")
	if err != nil {
		t.Fatal(err)
	}
	_, run := synthRun(1)
	resBase := mustUpdate(t, nil, run)
	tests := []struct {
		name   string
		b      *Baseline
		change func(*results.Leaderboard)
		opts   Options
		field  string
		msg    string
	}{
		{"other gallery", base, func(l *results.Leaderboard) { l.Gallery.SHA256 = "0ther" }, Options{}, "gallery.sha256",
			"strengths on different galleries are not comparable"},
		{"judge fingerprint changed", base, func(l *results.Leaderboard) { l.Judges[0].Fingerprint = "sha256:new" }, Options{}, `judges["pickscore"].fingerprint`,
			`judge "pickscore" has model fingerprint sha256:new, the baseline's (judges[0] in baseline) is sha256:pick`},
		{"results baseline, leaderboard", resBase, func(*results.Leaderboard) {}, Options{}, "kind",
			"a results baseline cannot check leaderboard.json (a leaderboard)"},
		{"bad alpha", base, func(*results.Leaderboard) {}, Options{Alpha: 1.5}, "", "alpha 1.5: want 0 < alpha < 1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			lb := synthLeaderboard()
			tt.change(lb)
			o, err := CheckLeaderboard(tt.b, lb, tt.opts)
			if err == nil || !strings.Contains(err.Error(), tt.msg) {
				t.Fatalf("err %v, want %q", err, tt.msg)
			}
			if LeaderboardExitCode(o, err) != 2 {
				t.Errorf("exit code %d, want 2", LeaderboardExitCode(o, err))
			}
			var ie *InputError
			if tt.field != "" && (!errors.As(err, &ie) || ie.Field != tt.field) {
				t.Errorf("err %#v, want an *InputError on field %q", err, tt.field)
			}
		})
	}
	// --allow-dataset-change compares another gallery with a warning.
	lb := synthLeaderboard()
	lb.Gallery.SHA256 = "0ther"
	o, err := CheckLeaderboard(base, lb, Options{AllowDatasetChange: true})
	if err != nil || !o.Pass || !strings.Contains(strings.Join(o.Warnings, "\n"), "--allow-dataset-change") {
		t.Errorf("allowed gallery change: %v %+v", err, o)
	}
	// A leaderboard baseline cannot check a results run, nor be updated from one.
	if _, err := Check(base, run, Options{}); err == nil || !strings.Contains(err.Error(), "a leaderboard baseline cannot check results.json") {
		t.Errorf("Check with a leaderboard baseline: %v", err)
	}
	if _, _, err := Update(base, run, "x"); err == nil || !strings.Contains(err.Error(), "leaderboard baseline") {
		t.Errorf("Update over a leaderboard baseline: %v", err)
	}
	if _, _, err := UpdateLeaderboard(resBase, lb, "x"); err == nil || !strings.Contains(err.Error(), "results baseline") {
		t.Errorf("UpdateLeaderboard over a results baseline: %v", err)
	}
}

func TestUpdateLeaderboard(t *testing.T) {
	t.Parallel()
	lb := synthLeaderboard()
	lb.Judges[0].NFailed = 2
	old := &Baseline{Version: 1, Kind: KindLeaderboard, Judges: []BaselineJudge{{Name: "pickscore"}, {Name: "imagereward"}}}
	b, notes, err := UpdateLeaderboard(old, lb, "runs/base")
	if err != nil {
		t.Fatal(err)
	}
	want := &Baseline{Version: 1, Kind: KindLeaderboard, Benchmark: "gallery", GallerySHA256: "9a11e7", RunDir: "runs/base",
		Judges: []BaselineJudge{
			{Name: "pickscore", Kind: "scorer", Fingerprint: "sha256:pick", NFailed: 2, NScored: 300, Generators: []BaselineGenerator{
				{Name: "gen-a", Strength: 0.5, SE: 0.1}, {Name: "gen-b", Strength: 0, SE: 0.1}, {Name: "gen-c", Strength: -0.5, SE: 0.1}}},
			{Name: "truth", Kind: "truth", NScored: 300, Generators: []BaselineGenerator{
				{Name: "gen-a", Strength: 0.3, SE: 0.1}, {Name: "gen-b", Strength: 0.1, SE: 0.1}, {Name: "gen-c", Strength: -0.4, SE: 0.1}}},
		}}
	if d := cmp.Diff(want, b); d != "" {
		t.Errorf("baseline (-want +got):\n%s", d)
	}
	wantNotes := []string{`judge "pickscore" failed on 2 images in this leaderboard: the baseline allows up to 2`, `added judge "truth"`, `dropped judge "imagereward": it is not in the leaderboard`}
	if d := cmp.Diff(wantNotes, notes); d != "" {
		t.Errorf("notes (-want +got):\n%s", d)
	}
	// Round trip through the file, and the unchanged leaderboard passes.
	path := filepath.Join(t.TempDir(), "baseline.json")
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
	if o, err := CheckLeaderboard(back, lb, Options{}); err != nil || !o.Pass {
		t.Errorf("unchanged after round trip: %v %+v", err, o)
	}
	setStrength(lb, "truth", "gen-a", math.NaN())
	if _, _, err := UpdateLeaderboard(nil, lb, "x"); err == nil || !strings.Contains(err.Error(), `judge "truth", generator "gen-a"`) {
		t.Errorf("UpdateLeaderboard with an undefined strength: %v", err)
	}
}

func TestParseLeaderboardBaseline(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, in, field, msg string
	}{
		{"no judges", `{"version": 1, "kind": "leaderboard"}`, "judges", "want at least one judge"},
		{"no strength", `{"version": 1, "kind": "leaderboard", "judges": [{"name": "p", "generators": [{"name": "g", "se": 0.1}]}]}`,
			"judges[0].generators[0].strength", "missing"},
		{"negative se", `{"version": 1, "kind": "leaderboard", "judges": [{"name": "p", "generators": [{"name": "g", "strength": 0, "se": -1}]}]}`,
			"judges[0].generators[0].se", "want the strength's standard error"},
		{"mixed kinds", `{"version": 1, "kind": "leaderboard", "scorers": [{"name": "x", "accuracy": 0.5}], "judges": [{"name": "p", "generators": [{"name": "g", "strength": 0, "se": 0}]}]}`,
			"kind", "has results fields"},
		{"results with judges", `{"version": 1, "scorers": [{"name": "x", "accuracy": 0.5}], "judges": []}`, "", ""},
		{"unknown kind", `{"version": 1, "kind": "board", "scorers": [{"name": "x", "accuracy": 0.5}]}`, "kind", `"board"; want "results" or "leaderboard"`},
		{"misspelt", `{"version": 1, "kind": "leaderboard", "judges": [{"name": "p", "generators": [{"name": "g", "strenght": 0}]}]}`,
			"strenght", `did you mean "strength"?`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseBaseline("b.json", []byte(tt.in))
			if tt.msg == "" {
				if err != nil {
					t.Errorf("unexpected error %v", err)
				}
				return
			}
			var ie *InputError
			if !errors.As(err, &ie) || ie.Field != tt.field || !strings.Contains(err.Error(), tt.msg) {
				t.Errorf("err %v, want field %q and %q", err, tt.field, tt.msg)
			}
		})
	}
}
