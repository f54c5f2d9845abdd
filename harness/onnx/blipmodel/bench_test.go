package blipmodel_test

import (
	"math/rand/v2"
	"strconv"
	"testing"

	"github.com/srbench/srbench/harness/onnx"
	"github.com/srbench/srbench/harness/onnx/blipmodel"
)

// BenchmarkBaseB16ORT runs the BaseB16 model (ViT-B/16 + BERT-base with
// cross-attention, 224M parameters) in ONNX Runtime alone, with ONNX
// Runtime's default threads, and reports images/s. Building the 896 MB
// model takes a while, so it only happens when this benchmark is selected
// (go test -run '^$' -bench BaseB16 -benchtime 3x).
func BenchmarkBaseB16ORT(b *testing.B) {
	rt := runtimeOrFatal(b)
	w, err := blipmodel.NewWeights(blipmodel.BaseB16())
	if err != nil {
		b.Fatal(err)
	}
	path, err := w.WriteDir(b.TempDir(), blipmodel.WriteOptions{})
	if err != nil {
		b.Fatal(err)
	}
	s, err := rt.NewSession(path, onnx.SessionOptions{})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	r := rand.New(rand.NewPCG(1, 1))
	for _, batch := range []int{1, 8} {
		b.Run("batch"+strconv.Itoa(batch), func(b *testing.B) {
			lengths := make([]int, batch)
			for i := range lengths {
				lengths[i] = 5 + i%20
			}
			ids, mask := textBatch(r, blipmodel.SequenceLength, lengths)
			n := int64(batch)
			in := map[string]onnx.Tensor{
				blipmodel.InputIDs:      {Shape: []int64{n, blipmodel.SequenceLength}, Int64: flat(ids)},
				blipmodel.AttentionMask: {Shape: []int64{n, blipmodel.SequenceLength}, Int64: flat(mask)},
				blipmodel.PixelValues:   {Shape: []int64{n, 3, 224, 224}, Float32: pixels(r, batch)},
			}
			runs := 0
			for b.Loop() {
				if _, err := s.Run(in); err != nil {
					b.Fatal(err)
				}
				runs++
			}
			b.ReportMetric(float64(batch*runs)/b.Elapsed().Seconds(), "images/s")
		})
	}
}
