package trainexport_test

import (
	"fmt"
	"math/rand/v2"

	"github.com/srbench/srbench/harness/train"
	"github.com/srbench/srbench/harness/trainexport"
)

// An MLP adapter folds into two linear steps around a ReLU, the residual
// connection and the scorer's L2 normalisation; Linear and LowRank adapters
// into one dense linear step; no adapter into the normalisation alone.
func ExampleSteps() {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, kind := range []train.Kind{train.MLP, train.LowRank} {
		a, err := train.NewAdapter(train.AdapterSpec{Kind: kind, Rank: 2, Hidden: 4}, 8, rng)
		if err != nil {
			panic(err)
		}
		fmt.Print(kind, ":")
		for _, s := range trainexport.Steps(a) {
			fmt.Print(" ", s.Op)
			if s.W != nil {
				fmt.Printf("[%dx%d]", len(s.W), len(s.W[0]))
			}
		}
		fmt.Println()
	}
	fmt.Println("none:", trainexport.Steps(nil)[0].Op)
	// Output:
	// mlp: linear[4x8] relu linear[8x4] add_input normalize
	// lowrank: linear[8x8] normalize
	// none: normalize
}
