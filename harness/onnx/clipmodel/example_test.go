package clipmodel_test

import (
	"fmt"
	"log"
	"os"
	"path/filepath"

	"github.com/srbench/srbench/harness/onnx/clipmodel"
)

// Write the Tiny model's three ONNX files.
func ExampleWeights_WriteDir() {
	w, err := clipmodel.NewWeights(clipmodel.Tiny())
	if err != nil {
		log.Fatal(err)
	}
	dir, err := os.MkdirTemp("", "tiny-clip")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	paths, err := w.WriteDir(dir, clipmodel.WriteOptions{})
	if err != nil {
		log.Fatal(err)
	}
	for _, p := range paths {
		fmt.Println(filepath.Base(p))
	}
	fmt.Println(w.NumParameters(), "parameters")
	// Output:
	// model.onnx
	// text_model.onnx
	// vision_model.onnx
	// 171841 parameters
}
