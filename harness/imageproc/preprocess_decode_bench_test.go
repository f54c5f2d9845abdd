package imageproc

import (
	"bytes"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"testing"
)

// benchPhoto returns a deterministic w×h photo-like RGB image (smooth
// gradients with some texture), so encoders produce realistic file sizes.
func benchPhoto(w, h int) *image.RGBA {
	g := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			t := uint8((x*x + y*y*3 + x*y) >> 6)
			g.SetRGBA(x, y, color.RGBA{uint8(x * 255 / w), uint8(y * 255 / h), t ^ uint8(x>>3), 255})
		}
	}
	return g
}

func benchEncode(b *testing.B, format string, w, h int) []byte {
	b.Helper()
	var buf bytes.Buffer
	var err error
	switch format {
	case "jpeg":
		err = jpeg.Encode(&buf, benchPhoto(w, h), &jpeg.Options{Quality: 90})
	case "png":
		err = png.Encode(&buf, benchPhoto(w, h))
	}
	if err != nil {
		b.Fatal(err)
	}
	return buf.Bytes()
}

func benchDecodePreprocess(b *testing.B, data []byte, name string) {
	p, err := NewPipeline(name)
	if err != nil {
		b.Fatal(err)
	}
	dst := make([]float32, 3*224*224)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		im, _, err := Decode(data, DecodeOptions{})
		if err != nil {
			b.Fatal(err)
		}
		if err := p.PreprocessInto(dst, im); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkPreprocessJPEG640x480 decodes a 640×480 baseline JPEG and runs the
// openai pipeline (target: < 25 ms on one core, -cpu 1).
func BenchmarkPreprocessJPEG640x480(b *testing.B) {
	benchDecodePreprocess(b, benchEncode(b, "jpeg", 640, 480), PipelineOpenAI)
}

// BenchmarkPreprocessPNG1024 decodes a 1024×1024 RGB PNG and runs the openai
// pipeline.
func BenchmarkPreprocessPNG1024(b *testing.B) {
	benchDecodePreprocess(b, benchEncode(b, "png", 1024, 1024), PipelineOpenAI)
}

// BenchmarkPreprocessJPEG512x384 is one image of `make bench-e2e`: a 512×384
// baseline JPEG (4:2:0) decoded and run through the openai pipeline. Its
// CPU time comes out of ONNX Runtime's share of the cores end to end.
func BenchmarkPreprocessJPEG512x384(b *testing.B) {
	benchDecodePreprocess(b, benchEncode(b, "jpeg", 512, 384), PipelineOpenAI)
}
