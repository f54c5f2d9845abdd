package blipmodel_test

import (
	"fmt"
	"log"
	"os"
	"path/filepath"

	"github.com/srbench/srbench/harness/onnx/blipmodel"
)

// Write the Tiny model and show the layout a scorer checks.
func ExampleWeights_WriteDir() {
	w, err := blipmodel.NewWeights(blipmodel.Tiny())
	if err != nil {
		log.Fatal(err)
	}
	dir, err := os.MkdirTemp("", "tiny-imagereward")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	path, err := w.WriteDir(dir, blipmodel.WriteOptions{})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(filepath.Base(path))
	fmt.Println(w.NumParameters(), "parameters")
	sig := blipmodel.Signature(224)
	for _, in := range sig.Inputs {
		fmt.Println("in: ", in)
	}
	fmt.Println("out:", sig.Outputs[0])
	// Output:
	// model.onnx
	// 264449 parameters
	// in:  input_ids int64[?,35]
	// in:  attention_mask int64[?,35]
	// in:  pixel_values float32[?,3,224,224]
	// out: reward_raw float32[?,1]
}
