package demo

import (
	"path/filepath"
	"testing"

	"github.com/srbench/srbench/harness/onnx"
	"github.com/srbench/srbench/harness/onnx/clipmodel"
)

// BenchmarkBuildModels builds the four designed model directories.
func BenchmarkBuildModels(b *testing.B) {
	dir := b.TempDir()
	for b.Loop() {
		if _, err := BuildModels(dir, ModelOptions{}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkVisionModel runs the designed vision_model.onnx on a batch of
// 32 world images with one intra-op thread; the reported unit is one batch.
func BenchmarkVisionModel(b *testing.B) {
	models := buildTiny(b)
	px, _ := worldPixels(b, 4)
	sess := openSession(b, filepath.Join(models, ScorerCLIPScore, clipmodel.VisionModelFile), onnx.CLIPVisionSignature(inputSize))
	in := map[string]onnx.Tensor{clipmodel.PixelValues: batch(px[:32])}
	for b.Loop() {
		if _, err := sess.Run(in); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkMeasurePixels is the plain-Go reference on one image.
func BenchmarkMeasurePixels(b *testing.B) {
	px, _ := worldPixels(b, 1)
	d, err := newDesign()
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		d.measure(px[0])
	}
}
