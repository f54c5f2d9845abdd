package train

import (
	"slices"
	"testing"
)

func TestFraction(t *testing.T) {
	seq := func(n int) []int {
		xs := make([]int, n)
		for i := range xs {
			xs[i] = i
		}
		return xs
	}
	tests := []struct {
		name    string
		n       int
		f       float64
		wantLen int
	}{
		{"all at 1", 10, 1, 10},
		{"all at 0 (unset)", 10, 0, 10},
		{"half", 10, 0.5, 5},
		{"rounds to nearest", 10, 0.26, 3},
		{"at least one", 10, 0.01, 1},
		{"empty", 0, 0.5, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := Fraction(seq(tc.n), tc.f, 7)
			if len(got) != tc.wantLen {
				t.Fatalf("len %d, want %d", len(got), tc.wantLen)
			}
			// Distinct elements of the input, the same ones for the same seed.
			seen := map[int]bool{}
			for _, x := range got {
				if x < 0 || x >= tc.n || seen[x] {
					t.Fatalf("element %d repeated or foreign in %v", x, got)
				}
				seen[x] = true
			}
			if again := Fraction(seq(tc.n), tc.f, 7); !slices.Equal(got, again) {
				t.Errorf("same seed, different share: %v vs %v", got, again)
			}
		})
	}
	if a, b := Fraction(seq(100), 0.5, 1), Fraction(seq(100), 0.5, 2); slices.Equal(a, b) {
		t.Errorf("seeds 1 and 2 kept the same share %v", a)
	}
}
