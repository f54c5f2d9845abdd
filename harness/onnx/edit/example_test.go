package edit_test

import (
	"fmt"
	"log"
	"os"
	"path/filepath"

	"github.com/srbench/srbench/harness/onnx"
	"github.com/srbench/srbench/harness/onnx/edit"
	"github.com/srbench/srbench/harness/onnx/graph"
)

// Fold a linear map W (2×3) and L2 normalisation into a model's output.
// The model computes y = 2x; for x = (1, 2, 2) the edited output is
// W·(2, 4, 4) = (2, 8) divided by √68, and for x = (0, -3, 4) it is
// (0, 2)/2.
func ExampleAppendToOutput() {
	g := graph.New("double")
	x := g.Input("x", graph.Float32, graph.Sym("batch"), graph.Fixed(3))
	y := g.Node(graph.NodeSpec{Op: "Mul", Inputs: []string{x, g.ScalarFloat32(2)}, Outputs: []string{"y"}})[0]
	g.Output(y, graph.Float32, graph.Sym("batch"), graph.Fixed(3))
	model, err := g.Marshal(graph.ModelOptions{})
	if err != nil {
		log.Fatal(err)
	}

	edited, err := edit.AppendToOutput(model, "y", []edit.Step{
		{Op: edit.OpLinear, W: [][]float64{{1, 0, 0}, {0, 1, 1}}},
		{Op: edit.OpNormalize},
	})
	if err != nil {
		log.Fatal(err)
	}

	dir, err := os.MkdirTemp("", "edit-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "double.onnx")
	if err := os.WriteFile(path, edited, 0o644); err != nil {
		log.Fatal(err)
	}
	rt, err := onnx.Init(onnx.Options{})
	if err != nil {
		log.Fatal(err)
	}
	s, err := rt.NewSession(path, onnx.SessionOptions{IntraOpThreads: 1})
	if err != nil {
		log.Fatal(err)
	}
	defer s.Close()
	out, err := s.Run(map[string]onnx.Tensor{"x": {Shape: []int64{2, 3}, Float32: []float32{1, 2, 2, 0, -3, 4}}})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(s.Outputs()[0])
	fmt.Printf("%.4f\n", out["y"].Float32)
	// Output:
	// y float32[?,2]
	// [0.2425 0.9701 0.0000 1.0000]
}
