package train

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestLayersMatchApply: evaluating the exported layers with plain loops
// gives the adapter's own (BLAS) forward pass.
func TestLayersMatchApply(t *testing.T) {
	t.Parallel()
	for _, kind := range []Kind{Linear, LowRank, MLP} {
		t.Run(string(kind), func(t *testing.T) {
			m := randomModel(t, kind, 7, 21)
			a := m.ImageAdapter
			rng := rand.New(rand.NewPCG(4, 4))
			for range 5 {
				x := make([]float64, 7)
				for i := range x {
					x[i] = rng.NormFloat64()
				}
				got, want := ApplyLayers(a.Layers(), x), a.Apply(x)
				for i := range want {
					if math.Abs(got[i]-want[i]) > 1e-13 {
						t.Fatalf("ApplyLayers[%d] = %.17g, Apply %.17g", i, got[i], want[i])
					}
				}
			}
		})
	}
}

func TestLayersStructure(t *testing.T) {
	t.Parallel()
	tests := []struct {
		kind Kind
		want []string
	}{
		{Linear, []string{"affine"}},
		{LowRank, []string{"affine"}},
		{MLP, []string{"affine", "relu", "affine", "add_input"}},
	}
	for _, tc := range tests {
		t.Run(string(tc.kind), func(t *testing.T) {
			var got []string
			for _, l := range randomModel(t, tc.kind, 4, 1).TextAdapter.Layers() {
				got = append(got, l.Op.String())
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("ops (-want +got):\n%s", diff)
			}
		})
	}
	var nilAdapter *Adapter
	if l := nilAdapter.Layers(); l != nil {
		t.Errorf("identity adapter: Layers = %v, want none", l)
	}
}

// TestMatrixLowRankByHand: U = (1, −1)ᵀ, V = (2, 3)ᵀ: I + U·Vᵀ = [[3, 3], [−2, −2]].
func TestMatrixLowRankByHand(t *testing.T) {
	t.Parallel()
	a, err := NewAdapter(AdapterSpec{Kind: LowRank, Rank: 1}, 2, rand.New(rand.NewPCG(0, 0)))
	if err != nil {
		t.Fatal(err)
	}
	copy(a.Param("U").Data, []float64{1, -1})
	copy(a.Param("V").Data, []float64{2, 3})
	copy(a.Param("b").Data, []float64{0.5, 0.25})
	W, b, err := a.Matrix()
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([][]float64{{3, 3}, {-2, -2}}, W); diff != "" {
		t.Errorf("W (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]float64{0.5, 0.25}, b); diff != "" {
		t.Errorf("b (-want +got):\n%s", diff)
	}
	// The export is a copy.
	W[0][0] = 100
	if W2, _, _ := a.Matrix(); W2[0][0] != 3 {
		t.Errorf("Matrix shares memory with the adapter")
	}
	mlp, _ := NewAdapter(AdapterSpec{Kind: MLP}, 2, rand.New(rand.NewPCG(0, 0)))
	if _, _, err := mlp.Matrix(); err == nil || !strings.Contains(err.Error(), "Layers") {
		t.Errorf("MLP Matrix: err = %v, want a pointer to Layers", err)
	}
}
