package ablate_test

import (
	"fmt"

	"github.com/srbench/srbench/harness/ablate"
)

func ExampleSpec_Cells() {
	spec := &ablate.Spec{
		Name:      "loss-and-data",
		Grid:      map[string][]any{"loss": {"triplet", "logistic", "infonce"}, "fraction": {0.5, 1.0}},
		Reference: map[string]any{"loss": "triplet", "fraction": 1.0, "side": "both"},
		Seeds:     []uint64{1, 2, 3},
	}
	cells, err := spec.Cells()
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, c := range cells {
		cfg, _ := spec.ConfigJSON(c, 1)
		fmt.Printf("%-14s %s\n", c.Name, cfg)
	}
	// Output:
	// reference      {"loss":"triplet","seed":1,"side":"both","train_fraction":1}
	// loss=logistic  {"loss":"logistic","seed":1,"side":"both","train_fraction":1}
	// loss=infonce   {"loss":"infonce","seed":1,"side":"both","train_fraction":1}
	// fraction=0.5   {"loss":"triplet","seed":1,"side":"both","train_fraction":0.5}
}
