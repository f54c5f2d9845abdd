package results

import (
	"math"
	"testing"
)

func TestFormat(t *testing.T) {
	t.Parallel()
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
		{"short hash", ShortHash("sha256:0123456789abcdef0123"), "sha256:0123456789ab…"},
		{"short hash plain", ShortHash("0123456789abcdef"), "0123456789ab…"},
		{"short hash short", ShortHash("abc"), "abc"},
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
	t.Parallel()
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
