package demo_test

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/srbench/srbench/harness/demo"
	"github.com/srbench/srbench/harness/imageproc"
)

// The designed CLIP's embedding dimensions.
func ExampleEmbeddingDims() {
	for i, d := range demo.EmbeddingDims() {
		fmt.Println(i, d)
	}
	// Output:
	// 0 colour:red
	// 1 colour:orange
	// 2 colour:yellow
	// 3 colour:green
	// 4 colour:cyan
	// 5 colour:blue
	// 6 colour:purple
	// 7 colour:pink
	// 8 subject:circle
	// 9 subject:square
	// 10 subject:triangle
	// 11 subject:star
	// 12 subject:ring
	// 13 subject:cross
	// 14 constant
	// 15 appeal:saturation
	// 16 appeal:contrast
	// 17 appeal:centring
	// 18 appeal:cleanliness
	// 19 appeal:subject_chroma
}

// A red disk on grey, measured as the designed vision graph does.
func ExampleMeasurePixels() {
	const n = 224
	mean, std := imageproc.CLIPMean(), imageproc.CLIPStd()
	px := make([]float32, 3*n*n)
	for y := 0; y < n; y++ {
		for x := 0; x < n; x++ {
			rgb := [3]float64{0.5, 0.5, 0.5}
			if dx, dy := float64(x)+0.5-0.55*n, float64(y)+0.5-0.5*n; dx*dx+dy*dy < (0.2*n)*(0.2*n) {
				rgb = [3]float64{0.9, 0.15, 0.15}
			}
			for c := range rgb {
				px[c*n*n+y*n+x] = float32((rgb[c] - mean[c]) / std[c])
			}
		}
	}
	f, err := demo.MeasurePixels(px)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("offset %.3f, saturation %.3f\n", f.Offset, f.Saturation)
	fmt.Printf("P(red) %.3f\n", f.Colour[0])
	fmt.Printf("correlation with circle %.3f, square %.3f, ring %.3f: P(circle) %.3f\n", f.ShapeScore[0], f.ShapeScore[1], f.ShapeScore[4], f.Shape[0])
	// Output:
	// offset 0.050, saturation 0.094
	// P(red) 0.991
	// correlation with circle 0.978, square 0.930, ring 0.842: P(circle) 0.412
}

// Build the designed models of two scorers.
func ExampleBuildModels() {
	dir, err := os.MkdirTemp("", "demo-models")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(dir)
	dirs, err := demo.BuildModels(dir, demo.ModelOptions{Scorers: []string{"clipscore", "imagereward"}})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, d := range dirs {
		entries, _ := os.ReadDir(d)
		fmt.Print(filepath.Base(d), ":")
		for _, e := range entries {
			fmt.Print(" ", e.Name())
		}
		fmt.Println()
	}
	// Output:
	// clipscore: srbench.yaml text_model.onnx tokenizer.json vision_model.onnx
	// imagereward: model.onnx srbench.yaml tokenizer.json
}
