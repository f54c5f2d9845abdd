package imageproc

import (
	"testing"
)

// BenchmarkPreprocessOnly measures the pipelines alone on decoded images.
func BenchmarkPreprocessOnly(b *testing.B) {
	cases := []struct {
		name string
		mode Mode
		w, h int
		pipe string
	}{
		{"openai/RGB640x480", ModeRGB, 640, 480, PipelineOpenAI},
		{"hf/RGB640x480", ModeRGB, 640, 480, PipelineHF},
		{"openai/RGBA1024", ModeRGBA, 1024, 1024, PipelineOpenAI},
		{"hf/P640x480", ModeP, 640, 480, PipelineHF},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			im := synthImage(c.mode, c.w, c.h, 256)
			p, err := NewPipeline(c.pipe)
			if err != nil {
				b.Fatal(err)
			}
			dst := make([]float32, 3*224*224)
			b.ReportAllocs()
			for b.Loop() {
				if err := p.PreprocessInto(dst, im); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkResize measures a full PIL-bicubic resize of an RGB image.
func BenchmarkResize(b *testing.B) {
	im := synthImage(ModeRGB, 1024, 768, 0)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Resize(im, 299, 224, FilterBicubic); err != nil {
			b.Fatal(err)
		}
	}
}
