package report_test

import (
	"fmt"

	"github.com/srbench/srbench/harness/results"
)

// Numbers in reports are formatted one way everywhere: accuracies in percent
// with one decimal and their interval, differences in signed points.
func ExampleAccuracyCI() {
	fmt.Println(results.AccuracyCI(280.0/392, [2]float64{0.6718, 0.7577}))
	fmt.Println(results.Points(0.0791), results.PointsInterval([2]float64{-0.0486, 0.0853}))
	fmt.Println(results.PValue(0.02871), results.PValue(0.5893), results.PValue(1e-6))
	// Output:
	// 71.4% [67.2, 75.8]
	// +7.9 [-4.9, +8.5]
	// 0.0287 0.59 <0.0001
}

// A comparison is called significant when its Holm-adjusted p-value is
// below alpha; the scorer right on more of the discordant pairs is named
// first.
func ExampleVerdict() {
	c := results.Comparison{A: "pickscore", B: "socialreward", AWins: 60, BWins: 91, PHolm: 0.0287}
	fmt.Println(results.Verdict(c, 0.05))
	c.PHolm = 0.0287
	fmt.Println(results.Verdict(c, 0.01))
	// Output:
	// socialreward > pickscore, significant
	// no significant difference
}
