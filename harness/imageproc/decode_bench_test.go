package imageproc

import (
	"bytes"
	"image"
	"image/jpeg"
	"image/png"
	"testing"
)

// BenchmarkDecodeJPEG640x480 decodes a 640x480 4:2:0 photo JPEG written by
// Pillow (quality 90): entropy decoding, ISLOW IDCT, fancy upsampling and
// colour conversion.
func BenchmarkDecodeJPEG640x480(b *testing.B) {
	data := readFixture(b, "bench_640x480.jpg")
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := Decode(data, DecodeOptions{}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkStdJPEG640x480 is Go's image/jpeg on the same file, for
// comparison (it returns subsampled YCbCr without colour conversion).
func BenchmarkStdJPEG640x480(b *testing.B) {
	data := readFixture(b, "bench_640x480.jpg")
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := jpeg.Decode(bytes.NewReader(data)); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDecodePNG1024 decodes a 1024x1024 RGB PNG encoded by image/png
// (default compression) from photo content: the benchmark JPEG, mirrored
// to fill the square.
func BenchmarkDecodePNG1024(b *testing.B) {
	src, _, err := Decode(readFixture(b, "bench_640x480.jpg"), DecodeOptions{})
	if err != nil {
		b.Fatal(err)
	}
	const n = 1024
	m := image.NewRGBA(image.Rect(0, 0, n, n))
	mirror := func(v, size int) int {
		v %= 2 * size
		if v >= size {
			v = 2*size - 1 - v
		}
		return v
	}
	for y := 0; y < n; y++ {
		for x := 0; x < n; x++ {
			s := src.Pix[3*(mirror(y, src.H)*src.W+mirror(x, src.W)):]
			copy(m.Pix[4*(y*n+x):], []uint8{s[0], s[1], s[2], 255})
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, m); err != nil {
		b.Fatal(err)
	}
	data := buf.Bytes()
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if _, _, err := Decode(data, DecodeOptions{}); err != nil {
			b.Fatal(err)
		}
	}
}
