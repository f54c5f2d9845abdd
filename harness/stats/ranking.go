package stats

import (
	"fmt"
	"math"
	"slices"
)

// Ranking is one prompt of a ranking data set (HPDv2 test, ImageReward
// test): the human rank and the scorer's score of each image.
type Ranking struct {
	PromptID string
	// Ranks are the human ranks, lower is better; equal ranks are ties.
	Ranks []int
	// Scores are the scorer's scores, higher is better; finite.
	Scores []float64
}

func (r Ranking) check(i int) error {
	if len(r.Ranks) != len(r.Scores) {
		return fmt.Errorf("ranking %d (prompt %q): %d ranks but %d scores, want equal lengths", i, r.PromptID, len(r.Ranks), len(r.Scores))
	}
	if len(r.Ranks) < 2 {
		return fmt.Errorf("ranking %d (prompt %q): %d images, want at least 2", i, r.PromptID, len(r.Ranks))
	}
	for j, s := range r.Scores {
		if math.IsNaN(s) || math.IsInf(s, 0) {
			return fmt.Errorf("ranking %d (prompt %q): field \"Scores[%d]\": %v, want a finite number", i, r.PromptID, j, s)
		}
	}
	return nil
}

// InversionScore is HPSv2's ranking accuracy for one prompt (its
// evaluate_rank / inversion_score): 1 - inversions/C(n,2). The predicted
// rank of each image is its position when the images are sorted by
// decreasing score; a pair is an inversion when the predicted ranks and the
// human ranks order it strictly opposite ways. Consequences, mirrored
// exactly: a tied human rank is never an inversion (it counts as correct),
// and the predicted ranks never tie; tied scores are ordered by position
// (the earlier image ranks better), as a stable sort does. HPSv2 uses
// torch.argsort, which does not promise stability, so its handling of
// exactly tied scores is implementation-defined; scores of real models
// rarely tie.
func InversionScore(ranks []int, scores []float64) (float64, error) {
	r := Ranking{Ranks: ranks, Scores: scores}
	if err := r.check(0); err != nil {
		return 0, fmt.Errorf("inversion score: %w", err)
	}
	return inversionScore(ranks, scores), nil
}

func inversionScore(ranks []int, scores []float64) float64 {
	n := len(ranks)
	order := make([]int, n)
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int {
		switch {
		case scores[a] > scores[b]:
			return -1
		case scores[a] < scores[b]:
			return 1
		}
		return 0
	})
	pred := make([]int, n)
	for pos, i := range order {
		pred[i] = pos
	}
	inv := 0
	for i := 0; i < n-1; i++ {
		for j := i + 1; j < n; j++ {
			if (pred[i] > pred[j] && ranks[i] < ranks[j]) || (pred[i] < pred[j] && ranks[i] > ranks[j]) {
				inv++
			}
		}
	}
	return 1 - float64(inv)/(float64(n)*float64(n-1)/2)
}

// RankingResult is the mean inversion score over prompts.
type RankingResult struct {
	Mean      float64   // mean over prompts (HPSv2's ranking_acc)
	PerPrompt []float64 // inversion score of each ranking, in input order
}

// RankingAccuracy computes HPSv2's HPDv2 test metric: the InversionScore of
// each prompt, then the unweighted mean. O(n²) per prompt (prompts have a
// handful of images).
func RankingAccuracy(rs []Ranking) (RankingResult, error) {
	if len(rs) == 0 {
		return RankingResult{}, fmt.Errorf("ranking accuracy: no rankings: %w", ErrNoPairs)
	}
	res := RankingResult{PerPrompt: make([]float64, len(rs))}
	var sum float64
	for i, r := range rs {
		if err := r.check(i); err != nil {
			return RankingResult{}, fmt.Errorf("ranking accuracy: %w", err)
		}
		res.PerPrompt[i] = inversionScore(r.Ranks, r.Scores)
		sum += res.PerPrompt[i]
	}
	res.Mean = sum / float64(len(rs))
	return res, nil
}

// RankingPairs expands a ranking into its C(n,2) pairs (i < j, image i as A):
// label A when rank i < rank j, B when greater, tie when equal. With the
// "hpsv2" preset (predicted ties wrong, label ties skipped, macro) the
// accuracy of the expanded pairs of all prompts is HPSv2's calc_ImageReward
// metric on the ImageReward test set, except that prompts whose ranks all
// tie are left out (HPSv2 divides by zero there).
func RankingPairs(r Ranking) []Pair {
	n := min(len(r.Ranks), len(r.Scores))
	out := make([]Pair, 0, n*(n-1)/2)
	for i := 0; i < n; i++ {
		for j := i + 1; j < n; j++ {
			l := LabelTie
			switch {
			case r.Ranks[i] < r.Ranks[j]:
				l = LabelA
			case r.Ranks[i] > r.Ranks[j]:
				l = LabelB
			}
			out = append(out, Pair{PromptID: r.PromptID, Label: l, ScoreA: r.Scores[i], ScoreB: r.Scores[j], Strength: math.NaN()})
		}
	}
	return out
}
