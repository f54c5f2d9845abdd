package edit

import (
	"flag"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"github.com/srbench/srbench/harness/onnx/clipmodel"
	"github.com/srbench/srbench/harness/onnx/graph"
	"github.com/srbench/srbench/harness/onnx/internal/wire"
	"github.com/srbench/srbench/internal/testmodels"
)

var update = flag.Bool("update", false, "rewrite testdata/exports.sha256")

// TestGoldenExports pins the exact bytes the editor writes: every step kind
// on split models, a width change (the output's declared shape is
// rewritten), a combined model with recomputed logits and a value_info to
// rename, ExportFile with external data, and an output read from inside an
// If subgraph. Regenerate with -update only when a change is meant.
func TestGoldenExports(t *testing.T) {
	r := rand.New(rand.NewPCG(15, 4))
	matrix := func(out, in int) [][]float64 {
		w := make([][]float64, out)
		for i := range w {
			w[i] = make([]float64, in)
			for j := range w[i] {
				w[i][j] = 0.2 * r.NormFloat64()
			}
		}
		return w
	}
	vector := func(n int) []float64 {
		v := make([]float64, n)
		for i := range v {
			v[i] = 0.1 * r.NormFloat64()
		}
		return v
	}
	mlp := []Step{{Op: OpLinear, W: matrix(16, 32), B: vector(16)}, {Op: OpReLU}, {Op: OpLinear, W: matrix(32, 16)}, {Op: OpAddInput}, {Op: OpNormalize}}
	narrow := []Step{{Op: OpLinear, W: matrix(8, 32), B: vector(8)}}
	norm := []Step{{Op: OpNormalize}}

	w, err := clipmodel.NewWeights(clipmodel.Tiny())
	if err != nil {
		t.Fatal(err)
	}
	src := t.TempDir()
	if _, err := w.WriteDir(src, clipmodel.WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	ext := filepath.Join(src, "external")
	if _, err := w.WriteDir(ext, clipmodel.WriteOptions{ExternalDataThreshold: 1024}); err != nil {
		t.Fatal(err)
	}
	read := func(name string) []byte {
		b, err := os.ReadFile(filepath.Join(src, name))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	out := t.TempDir()
	put := func(name string, b []byte, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if err := os.WriteFile(filepath.Join(out, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}

	text := read(clipmodel.TextModelFile)
	b, err := AppendToOutput(text, TextEmbeds, mlp)
	put("text-mlp.onnx", b, err)
	b, err = AppendToOutput(text, TextEmbeds, narrow)
	put("text-narrow.onnx", b, err)
	b, err = AppendToOutput(read(clipmodel.VisionModelFile), ImageEmbeds, norm)
	put("vision-norm.onnx", b, err)

	// The combined model, with a value_info entry for text_embeds.
	m := mustParse(t, read(clipmodel.ModelFile))
	_, outEntry, err := m.output(TextEmbeds)
	if err != nil {
		t.Fatal(err)
	}
	if err := m.insert(wire.GraphValueInfo, [][]byte{outEntry.f.Payload}); err != nil {
		t.Fatal(err)
	}
	combined, err := m.bytes()
	if err != nil {
		t.Fatal(err)
	}
	b, err = Apply(combined, []Edit{{Output: TextEmbeds, Steps: mlp}, {Output: ImageEmbeds, Steps: norm}})
	put("combined-apply.onnx", b, err)
	appended, err := AppendToOutput(combined, ImageEmbeds, norm)
	if err != nil {
		t.Fatal(err)
	}
	b, err = RecomputeCLIPLogits(appended)
	put("combined-recompute.onnx", b, err)

	if err := ExportFile(filepath.Join(ext, clipmodel.VisionModelFile), filepath.Join(out, "exported", clipmodel.VisionModelFile),
		[]Edit{{Output: ImageEmbeds, Steps: mlp}}, FileOptions{}); err != nil {
		t.Fatal(err)
	}

	b, err = AppendToOutput(subgraphModel(t), "y", []Step{{Op: OpLinear, W: matrix(3, 3), B: vector(3)}})
	put("subgraph.onnx", b, err)

	testmodels.CheckHashes(t, out, filepath.Join("testdata", "exports.sha256"), *update)
}

// subgraphModel is TestSubgraphReaders' model: y = 2x is an output and is
// read by an If node's then-branch from the outer scope.
func subgraphModel(t *testing.T) []byte {
	t.Helper()
	g := graph.New("main")
	x := g.Input("x", graph.Float32, graph.Sym("batch"), graph.Fixed(3))
	y := g.Node(graph.NodeSpec{Op: "Mul", Inputs: []string{x, g.ScalarFloat32(2)}, Outputs: []string{"y"}})[0]
	cond := g.Op("Greater", []string{g.Op("ReduceSum", []string{x}, graph.AttrInt("keepdims", 0)), g.ScalarFloat32(0)})
	z := g.Node(graph.NodeSpec{Op: "If", Name: "the_if", Inputs: []string{cond}, Outputs: []string{"z"}})[0]
	g.Output(y, graph.Float32, graph.Sym("batch"), graph.Fixed(3))
	g.Output(z, graph.Float32, graph.Sym("batch"), graph.Fixed(3))
	b, err := g.Marshal(graph.ModelOptions{})
	if err != nil {
		t.Fatal(err)
	}
	then := branch(t, func(g *graph.Graph) string {
		y := g.Input("y", graph.Float32)
		return g.Node(graph.NodeSpec{Op: "Neg", Inputs: []string{y}, Outputs: []string{"then_out"}})[0] // z = -y (outer y)
	})
	els := branch(t, func(g *graph.Graph) string {
		x := g.Input("x", graph.Float32)
		return g.Node(graph.NodeSpec{Op: "Mul", Inputs: []string{x, g.InitFloat32("ten", nil, []float32{10})}, Outputs: []string{"else_out"}})[0] // z = 10x
	})
	m := mustParse(t, b)
	for _, e := range m.nodes() {
		if e.node.op == "If" {
			p := append([]byte(nil), e.f.Payload...)
			p = wire.AppendBytes(p, wire.NodeAttribute, graphAttr("then_branch", then))
			p = wire.AppendBytes(p, wire.NodeAttribute, graphAttr("else_branch", els))
			if err := e.setNode(p); err != nil {
				t.Fatal(err)
			}
		}
	}
	b, err = m.bytes()
	if err != nil {
		t.Fatal(err)
	}
	return b
}
