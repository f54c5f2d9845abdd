package edit_test

import (
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"github.com/srbench/srbench/harness/onnx/clipmodel"
	"github.com/srbench/srbench/harness/onnx/edit"
)

// BenchmarkApply edits both embeddings of a combined model in memory (a
// 512×512 linear map and normalisation each, then the logits). The
// "medium" model has about 100 MB of inline weights; the cost is parsing
// the graph's fields and one copy of the bytes.
func BenchmarkApply(b *testing.B) {
	medium := clipmodel.Tiny()
	medium.TextWidth, medium.TextLayers, medium.TextHeads = 512, 4, 8
	medium.VisionWidth, medium.VisionLayers, medium.VisionHeads = 512, 4, 8
	medium.Vocab, medium.EmbedDim = 8192, 512
	for _, bc := range []struct {
		name string
		cfg  clipmodel.Config
	}{{"tiny", clipmodel.Tiny()}, {"medium", medium}} {
		b.Run(bc.name, func(b *testing.B) {
			w, err := clipmodel.NewWeights(bc.cfg)
			if err != nil {
				b.Fatal(err)
			}
			dir := b.TempDir()
			if _, err := w.WriteDir(dir, clipmodel.WriteOptions{Combined: true}); err != nil {
				b.Fatal(err)
			}
			src, err := os.ReadFile(filepath.Join(dir, clipmodel.ModelFile))
			if err != nil {
				b.Fatal(err)
			}
			d := bc.cfg.EmbedDim
			r := rand.New(rand.NewPCG(1, 1))
			steps := []edit.Step{{Op: edit.OpLinear, W: randMatrix(r, d, d, 0.1), B: randVector(r, d, 0.1)}, {Op: edit.OpNormalize}}
			edits := []edit.Edit{{Output: edit.TextEmbeds, Steps: steps}, {Output: edit.ImageEmbeds, Steps: steps}}
			b.SetBytes(int64(len(src)))
			b.ResetTimer()
			for b.Loop() {
				if _, err := edit.Apply(src, edits); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
