package graph_test

import (
	"fmt"
	"log"
	"os"
	"path/filepath"

	"github.com/srbench/srbench/harness/onnx"
	"github.com/srbench/srbench/harness/onnx/graph"
)

// Build y = x*2 + 1 for x of shape [batch, 3], write it and run it in ONNX
// Runtime.
func Example() {
	g := graph.New("affine")
	x := g.Input("x", graph.Float32, graph.Sym("batch"), graph.Fixed(3))
	scaled := g.Op("Mul", []string{x, g.ScalarFloat32(2)})
	y := g.Node(graph.NodeSpec{Op: "Add", Inputs: []string{scaled, g.ScalarFloat32(1)}, Outputs: []string{"y"}})[0]
	g.Output(y, graph.Float32, graph.Sym("batch"), graph.Fixed(3))

	dir, err := os.MkdirTemp("", "graph-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "affine.onnx")
	if err := g.WriteFile(path, graph.ModelOptions{}); err != nil {
		log.Fatal(err)
	}

	rt, err := onnx.Init(onnx.Options{})
	if err != nil {
		log.Fatal(err)
	}
	sess, err := rt.NewSession(path, onnx.SessionOptions{IntraOpThreads: 1})
	if err != nil {
		log.Fatal(err)
	}
	defer sess.Close()
	fmt.Println(sess.Inputs()[0], "->", sess.Outputs()[0])
	out, err := sess.Run(map[string]onnx.Tensor{
		"x": {Shape: []int64{2, 3}, Float32: []float32{0, 1, 2, -1, 0.5, 10}},
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(out["y"].Shape, out["y"].Float32)
	// Output:
	// x float32[?,3] -> y float32[?,3]
	// [2 3] [1 3 5 -1 2 21]
}
