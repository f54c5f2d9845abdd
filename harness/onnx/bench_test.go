package onnx_test

import (
	"math/rand/v2"
	"path/filepath"
	"testing"

	"github.com/srbench/srbench/harness/onnx"
	"github.com/srbench/srbench/harness/onnx/clipmodel"
)

// benchVision measures raw session time for one image batch of 32 on the
// vision tower of cfg, written to a temporary directory.
func benchVision(b *testing.B, cfg clipmodel.Config) {
	rt := runtimeOrFatal(b)
	w := &clipmodel.Weights{Config: cfg, Vision: clipmodel.NewVisionWeights(cfg), LogitScale: cfg.LogitScale}
	dir := b.TempDir()
	if _, err := w.WriteDir(dir, clipmodel.WriteOptions{Vision: true}); err != nil {
		b.Fatal(err)
	}
	s, err := rt.NewSession(filepath.Join(dir, clipmodel.VisionModelFile), onnx.SessionOptions{})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	const batch = 32
	size := int64(cfg.ImageSize)
	px := make([]float32, batch*3*size*size)
	r := rand.New(rand.NewPCG(1, 1))
	for i := range px {
		px[i] = float32(r.NormFloat64())
	}
	in := map[string]onnx.Tensor{clipmodel.PixelValues: {Shape: []int64{batch, 3, size, size}, Float32: px}}
	if _, err := s.Run(in); err != nil { // warm-up, outside the timing
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := s.Run(in); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(batch*b.N)/b.Elapsed().Seconds(), "images/s")
}

// BenchmarkSessionVisionBatch32 is the Tiny model's vision tower.
func BenchmarkSessionVisionBatch32(b *testing.B) { benchVision(b, clipmodel.Tiny()) }

// BenchmarkSessionVisionBatch32BaseB32 is a ViT-B/32-shaped vision tower
// (88M parameters, a 350 MB file built in a temporary directory; about 2 s
// to build). Run it explicitly with a small -benchtime, e.g.
//
//	go test ./harness/onnx -run '^$' -bench VisionBatch32BaseB32 -benchtime 3x
func BenchmarkSessionVisionBatch32BaseB32(b *testing.B) { benchVision(b, clipmodel.BaseB32()) }
