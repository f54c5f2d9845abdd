package dualenc_test

import (
	"fmt"

	"github.com/srbench/srbench/harness/dualenc"
)

// Cosine is computed in float64 from float32 embeddings; a zero vector or
// vectors of different lengths give NaN (a failed item, never a score).
func ExampleCosine() {
	fmt.Printf("%.4f\n", dualenc.Cosine([]float32{1, 0}, []float32{0, 2}))
	fmt.Printf("%.4f\n", dualenc.Cosine([]float32{3, 4}, []float32{4, 3}))
	fmt.Printf("%.4f\n", dualenc.Cosine([]float32{1, 2}, []float32{-2, -4}))
	fmt.Println(dualenc.Cosine([]float32{0, 0}, []float32{1, 1}))
	fmt.Println(dualenc.Cosine([]float32{1, 2, 3}, []float32{1, 2}))
	// Output:
	// 0.0000
	// 0.9600
	// -1.0000
	// NaN
	// NaN
}
