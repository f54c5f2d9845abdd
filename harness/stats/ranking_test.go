package stats

import (
	"math"
	"testing"
)

func TestInversionScoreHand(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		ranks  []int
		scores []float64
		want   float64
	}{
		{"perfect", []int{1, 2, 3}, []float64{3, 2, 1}, 1},
		{"reversed", []int{1, 2, 3}, []float64{1, 2, 3}, 0},
		// predicted ranks (2, 1, 0); (0,1) rank tie never an inversion,
		// (0,2) and (1,2) inversions: 1 - 2/3.
		{"rank-tie-counts-correct", []int{1, 1, 2}, []float64{1, 2, 3}, 1.0 / 3},
		// tied scores ordered by position: predicted (0, 1, 2), all against.
		{"score-ties-by-position", []int{3, 2, 1}, []float64{5, 5, 5}, 0},
		{"score-ties-agree", []int{1, 2, 3}, []float64{5, 5, 5}, 1},
		// 4 images, one swap of adjacent: 1 - 1/6.
		{"one-swap", []int{1, 2, 3, 4}, []float64{0.9, 0.7, 0.8, 0.1}, 5.0 / 6},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := InversionScore(tc.ranks, tc.scores)
			if err != nil {
				t.Fatal(err)
			}
			if !near(got, tc.want, 1e-15, 0) {
				t.Errorf("InversionScore = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestRankingErrors(t *testing.T) {
	t.Parallel()
	for name, r := range map[string]Ranking{
		"length":   {Ranks: []int{1, 2}, Scores: []float64{1}},
		"one":      {Ranks: []int{1}, Scores: []float64{1}},
		"nan":      {Ranks: []int{1, 2}, Scores: []float64{1, math.NaN()}},
		"infinite": {Ranks: []int{1, 2}, Scores: []float64{math.Inf(1), 0}},
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := RankingAccuracy([]Ranking{r}); err == nil {
				t.Error("no error")
			}
		})
	}
	if _, err := RankingAccuracy(nil); err == nil {
		t.Error("empty: no error")
	}
}

func TestRankingPairs(t *testing.T) {
	t.Parallel()
	got := RankingPairs(Ranking{PromptID: "q", Ranks: []int{2, 1, 2}, Scores: []float64{0.1, 0.2, 0.3}})
	want := []struct {
		l    Label
		a, b float64
	}{{LabelB, 0.1, 0.2}, {LabelTie, 0.1, 0.3}, {LabelA, 0.2, 0.3}}
	if len(got) != len(want) {
		t.Fatalf("%d pairs, want %d", len(got), len(want))
	}
	for i, w := range want {
		g := got[i]
		if g.PromptID != "q" || g.Label != w.l || g.ScoreA != w.a || g.ScoreB != w.b || !math.IsNaN(g.Strength) {
			t.Errorf("pair %d = %+v, want %v %v %v", i, g, w.l, w.a, w.b)
		}
	}
}
