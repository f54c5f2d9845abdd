package report

import (
	"testing"

	"github.com/google/go-cmp/cmp"
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
		if got := strengthRange(StrengthBin{Lo: tt.lo, Hi: tt.hi}); got != tt.want {
			t.Errorf("strengthRange(%v, %v) = %q, want %q", tt.lo, tt.hi, got, tt.want)
		}
	}
}

func TestStrengthPositions(t *testing.T) {
	axis := []StrengthBin{{Lo: 0, Hi: 0.26}, {Lo: 0.27, Hi: 0.48}, {Lo: 0.48, Hi: 0.69}, {Lo: 0.69, Hi: 0.95}}
	for _, tt := range []struct {
		name string
		bins []StrengthBin
		want []float64
	}{
		{"same bins", axis, []float64{0, 1, 2, 3}},
		{"slightly different edges", []StrengthBin{{Lo: 0, Hi: 0.26}, {Lo: 0.27, Hi: 0.47}, {Lo: 0.48, Hi: 0.69}, {Lo: 0.69, Hi: 0.95}}, []float64{0, 1, 2, 3}},
		{"a bin left out", []StrengthBin{{Lo: 0, Hi: 0.26}, {Lo: 0.48, Hi: 0.69}, {Lo: 0.69, Hi: 0.95}}, []float64{0, 2, 3}},
		{"two on one place: own order", []StrengthBin{{Lo: 0.3, Hi: 0.35}, {Lo: 0.36, Hi: 0.4}}, []float64{0, 1}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if d := cmp.Diff(tt.want, strengthPositions(tt.bins, axis)); d != "" {
				t.Errorf("positions (-want +got):\n%s", d)
			}
		})
	}
}
