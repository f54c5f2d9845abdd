package stats_test

import (
	"fmt"

	"github.com/srbench/srbench/harness/stats"
)

// Three prompts, two generators with two samples each, one reward model.
// Generator "sdxl" wins prompts p1 and p2 outright and splits p3.
func ExampleLeaderboard() {
	cell := func(s ...float64) [][]float64 { return [][]float64{s} }
	gallery := []stats.PromptScores{
		{PromptID: "p1", Cells: [][][]float64{cell(0.9, 0.7), cell(0.5, 0.6)}},
		{PromptID: "p2", Cells: [][][]float64{cell(0.8, 0.8), cell(0.4, 0.2)}},
		{PromptID: "p3", Cells: [][][]float64{cell(0.6, 0.3), cell(0.5, 0.4)}},
	}
	res, err := stats.Leaderboard(stats.GallerySlice(gallery), stats.LeaderboardOptions{
		Generators: []string{"sdxl", "sd15"}, Judges: []string{"pickscore"}, Resamples: 200, Seed: 1, Workers: 1})
	if err != nil {
		panic(err)
	}
	jb := res.ByJudge[0]
	for _, m := range jb.Means {
		fmt.Printf("%s mean %.3f over %d prompts\n", m.Generator, m.Mean.Estimate, m.Prompts)
	}
	w := jb.WinRates[0]
	fmt.Printf("%s beats %s: %.3f (sign test %d-%d, p = %.2f)\n", w.Generator, w.Opponent, w.Rate.Estimate, w.Wins, w.Losses, w.P)
	fmt.Printf("strength gap %.3f, regularised %v\n", jb.Strength.Beta[0].Estimate-jb.Strength.Beta[1].Estimate, jb.Strength.Regularised)
	for _, b := range res.BestOfN {
		fmt.Printf("best-of-%d: %.3f\n", b.N, b.Value.Estimate)
	}
	// Output:
	// sdxl mean 0.683 over 3 prompts
	// sd15 mean 0.433 over 3 prompts
	// sdxl beats sd15: 0.833 (sign test 2-0, p = 0.50)
	// strength gap 1.609, regularised false
	// best-of-1: 0.558
	// best-of-2: 0.633
}
