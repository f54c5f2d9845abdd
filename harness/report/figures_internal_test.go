package report

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/srbench/srbench/harness/results"
)

func TestStrengthRange(t *testing.T) {
	for _, tt := range []struct {
		lo, hi float64
		want   string
	}{
		{0, 0.2634, "0–0.26"},
		{2.0213, 2.8, "2.02–2.80"},
		{9.53, 279.91, "9.53–280"},
		{0.5, 0.5, "0.50"},
		{0.001, 0.0042, "0.001–0.0042"},
		{1500.2, 20000, "1500–20000"},
	} {
		if got := strengthRange(results.StrengthBin{Lo: tt.lo, Hi: tt.hi}); got != tt.want {
			t.Errorf("strengthRange(%v, %v) = %q, want %q", tt.lo, tt.hi, got, tt.want)
		}
	}
}

func TestStrengthPositions(t *testing.T) {
	axis := []results.StrengthBin{{Lo: 0, Hi: 0.26}, {Lo: 0.27, Hi: 0.48}, {Lo: 0.48, Hi: 0.69}, {Lo: 0.69, Hi: 0.95}}
	for _, tt := range []struct {
		name string
		bins []results.StrengthBin
		want []float64
	}{
		{"same bins", axis, []float64{0, 1, 2, 3}},
		{"slightly different edges", []results.StrengthBin{{Lo: 0, Hi: 0.26}, {Lo: 0.27, Hi: 0.47}, {Lo: 0.48, Hi: 0.69}, {Lo: 0.69, Hi: 0.95}}, []float64{0, 1, 2, 3}},
		{"a bin left out", []results.StrengthBin{{Lo: 0, Hi: 0.26}, {Lo: 0.48, Hi: 0.69}, {Lo: 0.69, Hi: 0.95}}, []float64{0, 2, 3}},
		{"two on one place: own order", []results.StrengthBin{{Lo: 0.3, Hi: 0.35}, {Lo: 0.36, Hi: 0.4}}, []float64{0, 1}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if d := cmp.Diff(tt.want, strengthPositions(tt.bins, axis)); d != "" {
				t.Errorf("positions (-want +got):\n%s", d)
			}
		})
	}
}

func TestShellJoin(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"srbench", "run", "--name", "my run", "it's", ""}, `srbench run --name 'my run' 'it'\''s' ''`},
		{[]string{"a=b", "x/y.z", "-v"}, `a=b x/y.z -v`},
	}
	for _, tt := range tests {
		if got := shellJoin(tt.args); got != tt.want {
			t.Errorf("shellJoin(%q) = %q, want %q", tt.args, got, tt.want)
		}
	}
}

func TestMarkdownEscaping(t *testing.T) {
	blocks := []block{
		para{inline{txt("a <b> *c* _d_ [x](y) |e|")}},
		table{head: []string{"h|1"}, rows: [][]inline{{{txt("p|q_r"), code("a|b`c")}}}},
		list{items: []inline{{txt("|s| ≤ ε")}}},
	}
	got := renderMarkdown(blocks)
	want := "a &lt;b> \\*c\\* \\_d\\_ [x\\](y) |e|\n" +
		"\n| h\\|1 |\n| --- |\n| p\\|q\\_r``a\\|b`c`` |\n" +
		"\n- |s| ≤ ε\n"
	if got != want {
		t.Errorf("renderMarkdown:\n got %q\nwant %q", got, want)
	}
	h := renderHTML("t<", blocks)
	for _, bad := range []string{"<b>", "t<<"} {
		if contains(h, bad) {
			t.Errorf("HTML contains unescaped %q", bad)
		}
	}
}

func contains(s, sub string) bool {
	for i := 0; i+len(sub) <= len(s); i++ {
		if s[i:i+len(sub)] == sub {
			return true
		}
	}
	return false
}

func TestHistogram(t *testing.T) {
	vals := []float64{0, 0.1, 0.25, 0.5, 0.75, 0.99, 1}
	got := make([]float64, 4)
	for _, v := range vals {
		got[histBin(v, 0, 1, 4)]++
	}
	want := []float64{2, 1, 1, 3} // an edge value goes up a bin; hi into the last
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("histogram = %v, want %v", got, want)
		}
	}
	outline := stepOutline(got, 0, 1)
	if len(outline) != 2*4+2 || outline[0].Y != 0 || outline[len(outline)-1].Y != 0 || outline[len(outline)-1].X != 1 {
		t.Errorf("stepOutline = %v", outline)
	}
}
