package graph_test

import (
	"flag"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/srbench/srbench/harness/demo"
	"github.com/srbench/srbench/harness/onnx/blipmodel"
	"github.com/srbench/srbench/harness/onnx/clipmodel"
	"github.com/srbench/srbench/harness/onnx/graph"
	"github.com/srbench/srbench/internal/testmodels"
)

var update = flag.Bool("update", false, "rewrite testdata/models.sha256")

// TestGoldenModels pins the exact bytes of the models srbench builds: the
// tiny CLIP and BLIP test models (inline, without attention_mask, with a
// NaN token, with external data), the designed demo models of `srbench
// models demo`, and a graph using every attribute kind and ModelProto
// option. A change of the encoder that changes one byte of any of them
// fails here; regenerate with -update only when the change is meant.
func TestGoldenModels(t *testing.T) {
	root := t.TempDir()
	dir := func(name string) string { return filepath.Join(root, name) }

	clip, err := clipmodel.NewWeights(clipmodel.Tiny())
	if err != nil {
		t.Fatal(err)
	}
	blip, err := blipmodel.NewWeights(blipmodel.Tiny())
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name  string
		write func(dir string) error
	}{
		{"clip", func(d string) error { _, err := clip.WriteDir(d, clipmodel.WriteOptions{}); return err }},
		{"clip-nomask", func(d string) error {
			_, err := clip.WriteDir(d, clipmodel.WriteOptions{Combined: true, Text: true, GraphOptions: clipmodel.GraphOptions{NoAttentionMask: true}})
			return err
		}},
		{"clip-external", func(d string) error {
			_, err := clip.WriteDir(d, clipmodel.WriteOptions{ExternalDataThreshold: 1024})
			return err
		}},
		{"blip", func(d string) error { _, err := blip.WriteDir(d, blipmodel.WriteOptions{}); return err }},
		{"blip-nan", func(d string) error {
			_, err := blip.WriteDir(d, blipmodel.WriteOptions{GraphOptions: blipmodel.GraphOptions{NaNTokenID: 7}})
			return err
		}},
		{"blip-external", func(d string) error {
			_, err := blip.WriteDir(d, blipmodel.WriteOptions{ExternalDataThreshold: 4096})
			return err
		}},
		{"demo", func(d string) error { _, err := demo.BuildModels(d, demo.ModelOptions{}); return err }},
		{"misc", writeMisc},
	} {
		if err := tc.write(dir(tc.name)); err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
	}
	testmodels.CheckHashes(t, root, filepath.Join("testdata", "models.sha256"), *update)
}

// writeMisc writes a graph that uses every attribute kind, a custom
// domain, symbolic and fixed dimensions, scalars, every ModelProto option
// and both inline and external initializers, through Marshal and WriteFile.
func writeMisc(dir string) error {
	g := graph.New("misc")
	a := g.Input("a", graph.Int64, graph.Sym("n"), graph.Fixed(2), graph.Sym("m"))
	s := g.Input("s", graph.Float32)
	w := g.InitFloat32("w", []int64{2, 3}, []float32{1, -2, 3.5, float32(math.Inf(1)), 0, -0.25})
	big := g.InitFloat32("big", []int64{300}, make([]float32, 300))
	idx := g.InitInt64("idx", []int64{3}, []int64{-1, 0, math.MaxInt64})
	c := g.Op("Cast", []string{a}, graph.AttrInt("to", int64(graph.Float64)), graph.AttrInt("negative", -5))
	g.Node(graph.NodeSpec{Op: "Custom", Domain: "com.example", Name: "custom", Inputs: []string{s, w, big, idx, ""}, Outputs: []string{"custom_out"}, Attrs: []graph.Attr{
		graph.AttrFloat("alpha", 0.125),
		graph.AttrFloats("scales", 1, -1.5, float32(math.NaN())),
		graph.AttrInts("perm", 1, 0, -3),
		graph.AttrString("mode", "edge"),
		graph.AttrStrings("names", "x", "", "long name"),
		graph.AttrTensor("value", graph.Tensor{Dims: []int64{2}, Int64: []int64{7, -7}}),
		graph.AttrTensor("named", graph.Tensor{Name: "t", Float32: []float32{2.5}}),
	}})
	g.Output(c, graph.Float64, graph.Sym("n"), graph.Fixed(2), graph.Sym("m"))
	g.Output(g.Op("Neg", []string{s}), graph.Float32)
	g.Output("custom_out", graph.Float32, graph.Fixed(0), graph.Sym(""))
	opts := graph.ModelOptions{
		IRVersion: 9, Opset: 18, ExtraOpsets: []graph.OpsetID{{Domain: "com.example", Version: 3}, {Domain: "com.microsoft", Version: 1}},
		ProducerName: "golden", ProducerVersion: "1.2.3", DocString: "every option",
		Metadata: []graph.KeyValue{{Key: "k", Value: "v"}, {Key: "", Value: ""}, {Key: "k", Value: "again"}},
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	b, err := g.Marshal(opts)
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "marshal.onnx"), b, 0o644); err != nil {
		return err
	}
	if err := g.WriteFile(filepath.Join(dir, "defaults.onnx"), graph.ModelOptions{}); err != nil {
		return err
	}
	opts.ExternalDataThreshold, opts.ExternalDataFile = 24, "weights.bin"
	return g.WriteFile(filepath.Join(dir, "external.onnx"), opts)
}
