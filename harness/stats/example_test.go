package stats_test

import (
	"fmt"

	"github.com/srbench/srbench/harness/stats"
)

// Ten Social Reward style triplets (A is the more-remixed image) scored by
// one model: 7 right, 2 wrong and 1 exact tie. The tie is what makes the
// peers' numbers differ.
func tenPairs() []stats.Pair {
	scores := [][2]float64{
		{0.31, 0.28}, {0.25, 0.22}, {0.30, 0.27}, {0.29, 0.21}, {0.33, 0.30},
		{0.27, 0.26}, {0.35, 0.20}, {0.22, 0.29}, {0.24, 0.26}, {0.28, 0.28},
	}
	var ps []stats.Pair
	for i, s := range scores {
		ps = append(ps, stats.Pair{PromptID: fmt.Sprint("prompt", i/2), Label: stats.LabelA, ScoreA: s[0], ScoreB: s[1]})
	}
	return ps
}

// The intervals agree with statsmodels proportion_confint(count, 10,
// method="wilson"), which accepts the fractional 7.5.
func ExampleAccuracy() {
	for _, name := range []string{"socialreward", "pickscore", "imagereward"} {
		pol, err := stats.ParsePolicy(name)
		if err != nil {
			panic(err)
		}
		r, err := stats.Accuracy(tenPairs(), pol)
		if err != nil {
			panic(err)
		}
		ci, err := r.Wilson(0.95)
		if err != nil {
			panic(err)
		}
		fmt.Printf("%-12s %.2f (%.1f/%d)  95%% Wilson [%.3f, %.3f]\n", name, r.Accuracy, r.Credit, r.Pairs, ci.Lo, ci.Hi)
	}
	// Output:
	// socialreward 0.80 (8.0/10)  95% Wilson [0.490, 0.943]
	// pickscore    0.75 (7.5/10)  95% Wilson [0.442, 0.919]
	// imagereward  0.70 (7.0/10)  95% Wilson [0.397, 0.892]
}

func ExampleParsePolicy() {
	_, err := stats.ParsePolicy("imagerward")
	fmt.Println(err)
	// Output:
	// unknown accuracy policy "imagerward" (did you mean "imagereward"?); valid: srbench, socialreward, pickscore, imagereward, hpsv2, tiecal
}

// Agresti's presidential-approval table: 150 people changed from approve to
// disapprove, 86 the other way.
func ExampleMcNemarExact() {
	fmt.Printf("%.4g\n", stats.McNemarExact(150, 86))
	// Output:
	// 3.716e-05
}

// A CI gate asks whether the current run is worse than the baseline: the
// one-sided p-value is half of McNemar's two-sided exact p-value when the
// baseline wins more of the discordant pairs.
func ExampleMcNemarOneSided() {
	fmt.Printf("baseline better on 12, current on 0: p = %.6f\n", stats.McNemarOneSided(12, 0))
	fmt.Printf("two-sided McNemar:                   p = %.6f\n", stats.McNemarExact(12, 0))
	fmt.Printf("current better on 12:                p = %.1f\n", stats.McNemarOneSided(0, 12))
	// Output:
	// baseline better on 12, current on 0: p = 0.000244
	// two-sided McNemar:                   p = 0.000488
	// current better on 12:                p = 1.0
}

func ExampleHolm() {
	r, err := stats.Holm([]float64{0.01, 0.04, 0.03, 0.005}, 0.05)
	if err != nil {
		panic(err)
	}
	fmt.Println(r.Adjusted, r.Reject)
	// Output:
	// [0.03 0.06 0.06 0.02] [true false false true]
}

func ExampleTieCalibrate() {
	// Human ties are common here; a small epsilon turns close scores into
	// predicted ties and earns them.
	ps := []stats.Pair{
		{Label: stats.LabelA, ScoreA: 0.9, ScoreB: 0.1},
		{Label: stats.LabelB, ScoreA: 0.2, ScoreB: 0.8},
		{Label: stats.LabelTie, ScoreA: 0.50, ScoreB: 0.45},
		{Label: stats.LabelTie, ScoreA: 0.40, ScoreB: 0.42},
		{Label: stats.LabelA, ScoreA: 0.61, ScoreB: 0.60},
	}
	tc, err := stats.TieCalibrate(ps, stats.Micro)
	if err != nil {
		panic(err)
	}
	fmt.Printf("epsilon %.2f accuracy %.2f\n", tc.Epsilon, tc.Result.Accuracy)
	// Output:
	// epsilon 0.05 accuracy 0.80
}

func ExampleInversionScore() {
	// Human ranks (1 = best) and a scorer's scores for four images: one
	// adjacent swap out of C(4,2) = 6 pairs.
	s, err := stats.InversionScore([]int{1, 2, 3, 4}, []float64{0.9, 0.7, 0.8, 0.1})
	if err != nil {
		panic(err)
	}
	fmt.Printf("%.4f\n", s)
	// Output:
	// 0.8333
}
