package stats

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseRoundTrip(t *testing.T) {
	t.Parallel()
	for _, p := range []PredTiePolicy{PredTieWrong, PredTieCorrect, PredTieHalf} {
		got, err := ParsePredTie(p.String())
		if err != nil || got != p {
			t.Errorf("ParsePredTie(%q) = %v, %v", p, got, err)
		}
	}
	for _, p := range []LabelTiePolicy{LabelTieSkip, LabelTieHalf, LabelTieMatch, LabelTieCorrect} {
		got, err := ParseLabelTie(p.String())
		if err != nil || got != p {
			t.Errorf("ParseLabelTie(%q) = %v, %v", p, got, err)
		}
	}
	for _, a := range []Averaging{Micro, Macro} {
		got, err := ParseAveraging(a.String())
		if err != nil || got != a {
			t.Errorf("ParseAveraging(%q) = %v, %v", a, got, err)
		}
	}
	for _, l := range []Label{LabelA, LabelB, LabelTie} {
		got, err := ParseLabel(l.String())
		if err != nil || got != l {
			t.Errorf("ParseLabel(%q) = %v, %v", l, got, err)
		}
	}
	for _, name := range PresetNames() {
		p, err := ParsePolicy(name)
		if err != nil {
			t.Fatal(err)
		}
		if p.String() != name {
			t.Errorf("ParsePolicy(%q).String() = %q", name, p.String())
		}
	}
}

func TestPresets(t *testing.T) {
	t.Parallel()
	// The REFERENCE table "How peers count accuracy".
	want := map[string]Policy{
		"socialreward": {PredTie: PredTieCorrect, LabelTie: LabelTieSkip, Averaging: Micro},
		"pickscore":    {PredTie: PredTieHalf, LabelTie: LabelTieHalf, Averaging: Micro},
		"imagereward":  {PredTie: PredTieWrong, LabelTie: LabelTieSkip, Averaging: Micro},
		"hpsv2":        {PredTie: PredTieWrong, LabelTie: LabelTieSkip, Averaging: Macro},
		"tiecal":       {PredTie: PredTieWrong, LabelTie: LabelTieMatch, Averaging: Micro},
	}
	for name, w := range want {
		got, err := ParsePolicy(" " + name + " ")
		if err != nil {
			t.Fatal(err)
		}
		if got != w {
			t.Errorf("%s = %+v, want %+v", name, got, w)
		}
	}
	if (Policy{}) != want["imagereward"] {
		t.Error("zero Policy is not the imagereward rule")
	}
	p := Policy{PredTie: PredTieHalf, LabelTie: LabelTieHalf, Epsilon: 0.25}
	if got := p.String(); got != "pred-tie=half,label-tie=half,averaging=micro,epsilon=0.25" {
		t.Errorf("String() = %q", got)
	}
}

func TestParseUnknown(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		parse func(string) error
		in    string
		want  UnknownNameError
		msg   string
	}{
		{"pred-tie", func(s string) error { _, err := ParsePredTie(s); return err }, "hlaf",
			UnknownNameError{Kind: "prediction-tie policy", Name: "hlaf", Suggestion: "half", Valid: []string{"wrong", "correct", "half"}},
			`unknown prediction-tie policy "hlaf" (did you mean "half"?); valid: wrong, correct, half`},
		{"label-tie", func(s string) error { _, err := ParseLabelTie(s); return err }, "Skp",
			UnknownNameError{Kind: "label-tie policy", Name: "Skp", Suggestion: "skip", Valid: []string{"skip", "half", "match", "correct"}},
			`unknown label-tie policy "Skp" (did you mean "skip"?); valid: skip, half, match, correct`},
		{"averaging", func(s string) error { _, err := ParseAveraging(s); return err }, "micor",
			UnknownNameError{Kind: "averaging", Name: "micor", Suggestion: "micro", Valid: []string{"micro", "macro"}},
			`unknown averaging "micor" (did you mean "micro"?); valid: micro, macro`},
		{"preset-typo", func(s string) error { _, err := ParsePolicy(s); return err }, "imagerward",
			UnknownNameError{Kind: "accuracy policy", Name: "imagerward", Suggestion: "imagereward", Valid: PresetNames()},
			`unknown accuracy policy "imagerward" (did you mean "imagereward"?); valid: srbench, socialreward, pickscore, imagereward, hpsv2, tiecal`},
		{"preset-prefix", func(s string) error { _, err := ParsePolicy(s); return err }, "pick",
			UnknownNameError{Kind: "accuracy policy", Name: "pick", Suggestion: "pickscore", Valid: PresetNames()}, ""},
		{"no-suggestion", func(s string) error { _, err := ParseLabel(s); return err }, "left",
			UnknownNameError{Kind: "label", Name: "left", Valid: []string{"a", "b", "tie"}},
			`unknown label "left"; valid: a, b, tie`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.parse(tc.in)
			var ue *UnknownNameError
			if !errors.As(err, &ue) {
				t.Fatalf("error %v is not an *UnknownNameError", err)
			}
			if d := cmp.Diff(tc.want, *ue); d != "" {
				t.Errorf("(-want +got):\n%s", d)
			}
			if tc.msg != "" && err.Error() != tc.msg {
				t.Errorf("message %q, want %q", err, tc.msg)
			}
		})
	}
}
