package check_test

import (
	"fmt"

	"github.com/srbench/srbench/harness/check"
	"github.com/srbench/srbench/harness/results"
)

// A baseline allows each scorer to drop by its tolerance; pickscore fell by
// 3 points against a tolerance of 2 and fails the gate.
func ExampleCheck() {
	baseline, err := check.ParseBaseline("baseline.json", []byte(`{
	  "version": 1,
	  "scorers": [
	    {"name": "socialreward", "accuracy": 0.697, "tolerance": 0.02},
	    {"name": "pickscore", "accuracy": 0.626, "tolerance": 0.02}
	  ]
	}`))
	if err != nil {
		panic(err)
	}
	acc := func(f float64) *float64 { return &f }
	run := &results.Results{
		Benchmark: results.Benchmark{Name: "picsart-test"},
		Policy:    results.Policy{Name: "socialreward", PredictionTies: "correct", LabelTies: "skip", Averaging: "micro"},
		Scorers: []results.ScorerResult{
			{Name: "socialreward", Accuracy: acc(0.701), NPairs: 1000},
			{Name: "pickscore", Accuracy: acc(0.596), NPairs: 1000},
		},
	}
	o, err := check.Check(baseline, run, check.Options{})
	for _, s := range o.Scorers {
		fmt.Println(s.Status, "-", s.Message())
	}
	fmt.Println("exit code", check.ExitCode(o, err))
	// Output:
	// pass - socialreward: accuracy 70.1% on 1000 pairs, baseline 69.7%: 0.4 points higher (tolerance 2.0 points); no paired test
	// regressed - pickscore: accuracy 59.6% on 1000 pairs, baseline 62.6%: 3.0 points lower, beyond the tolerance of 2.0 points; no paired test
	// exit code 1
}
