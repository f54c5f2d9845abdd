package report

import (
	"math"
	"testing"
)

func TestFormat(t *testing.T) {
	tests := []struct {
		name, got, want string
	}{
		{"percent", Percent(0.6974), "69.7%"},
		{"percent rounds half away", Percent(0.69751), "69.8%"},
		{"percent zero", Percent(0), "0.0%"},
		{"percent one", Percent(1), "100.0%"},
		{"interval", Interval([2]float64{0.6612, 0.7304}), "[66.1, 73.0]"},
		{"accuracy ci", AccuracyCI(0.697, [2]float64{0.661, 0.730}), "69.7% [66.1, 73.0]"},
		{"points positive", Points(0.041), "+4.1"},
		{"points negative", Points(-0.0123), "-1.2"},
		{"points rounds to zero from below", Points(-0.0004), "0.0"},
		{"points rounds to zero from above", Points(0.0004), "0.0"},
		{"points interval", PointsInterval([2]float64{-0.049, 0.085}), "[-4.9, +8.5]"},
		{"p tiny", PValue(3e-7), "<0.0001"},
		{"p small", PValue(0.000244140625), "0.000244"},
		{"p below 0.1", PValue(0.02871), "0.0287"},
		{"p keeps trailing zero", PValue(0.05), "0.0500"},
		{"p large", PValue(0.5893), "0.59"},
		{"p one", PValue(1), "1.00"},
		{"p NaN", PValue(math.NaN()), "n/a"},
		{"short hash", shortHash("sha256:0123456789abcdef0123"), "sha256:0123456789ab…"},
		{"short hash plain", shortHash("0123456789abcdef"), "0123456789ab…"},
		{"short hash short", shortHash("abc"), "abc"},
		{"shell join", shellJoin([]string{"srbench", "run", "--name", "my run", "it's", ""}), `srbench run --name 'my run' 'it'\''s' ''`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.got != tt.want {
				t.Errorf("got %q, want %q", tt.got, tt.want)
			}
		})
	}
}

func TestVerdict(t *testing.T) {
	base := Comparison{A: "x", B: "y", AWins: 30, BWins: 10}
	tests := []struct {
		name  string
		pHolm float64
		aw    int
		bw    int
		want  string
	}{
		{"significant, A better", 0.01, 30, 10, "x > y, significant"},
		{"significant, B better", 0.01, 10, 30, "y > x, significant"},
		{"p equal to alpha is not below it", 0.05, 30, 10, "no significant difference"},
		{"not significant", 0.2, 30, 10, "no significant difference"},
		{"no discordant pairs", 0.0, 0, 0, "no significant difference"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := base
			c.PHolm, c.AWins, c.BWins = tt.pHolm, tt.aw, tt.bw
			if got := Verdict(c, 0.05); got != tt.want {
				t.Errorf("Verdict = %q, want %q", got, tt.want)
			}
		})
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
