package train

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"testing"
)

// TestAdamWOneStepByHand: first step, p = 1, g = 0.5, lr = 0.1, λ = 0.01,
// β = (0.9, 0.999), ε = 1e-8. Then m = 0.05, v = 0.00025, bias corrections
// 0.1 and 0.001, step size lr/0.1 = 1, √v/√0.001 = 0.5, so the Adam step is
// 0.05/(0.5 + 1e-8) = 0.09999999800000004. A decayed weight first becomes
// 1·(1 − 0.001) = 0.999; a bias does not decay.
func TestAdamWOneStepByHand(t *testing.T) {
	t.Parallel()
	w := &Tensor{Name: "W", Shape: []int{1}, Data: []float64{1}, Decay: true}
	b := &Tensor{Name: "b", Shape: []int{1}, Data: []float64{1}}
	opt := NewAdamW([]*Tensor{w, b}, AdamWOptions{LR: 0.1, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8, WeightDecay: 0.01})
	opt.Step([][]float64{{0.5}, {0.5}})
	step := 0.05 / (0.5 + 1e-8)
	tests := []struct {
		name      string
		got, want float64
	}{
		{"weight", w.Data[0], 0.999 - step},
		{"bias", b.Data[0], 1 - step},
		{"weight literal", w.Data[0], 0.899000002},
		{"bias literal", b.Data[0], 0.900000002},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if math.Abs(tc.got-tc.want) > 1e-15 {
				t.Errorf("after one step: %.17g, want %.17g", tc.got, tc.want)
			}
		})
	}
	if opt.Steps() != 1 {
		t.Errorf("Steps = %d, want 1", opt.Steps())
	}
}

// TestAdamWAgainstReference runs three steps against testdata/adamw_ref.py,
// an independent statement of PyTorch's AdamW update in Python.
func TestAdamWAgainstReference(t *testing.T) {
	t.Parallel()
	raw, err := os.ReadFile("testdata/adamw_ref.json")
	if err != nil {
		t.Fatal(err)
	}
	var ref struct {
		Options struct {
			LR          float64 `json:"lr"`
			Beta1       float64 `json:"beta1"`
			Beta2       float64 `json:"beta2"`
			Eps         float64 `json:"eps"`
			WeightDecay float64 `json:"weight_decay"`
		}
		Tensors []struct {
			Name  string
			Decay bool
			Init  []float64
		}
		Grads           [][][]float64
		ParamsAfterStep [][][]float64 `json:"params_after_step"`
	}
	if err := json.Unmarshal(raw, &ref); err != nil {
		t.Fatal(err)
	}
	var params []*Tensor
	for _, rt := range ref.Tensors {
		params = append(params, &Tensor{Name: rt.Name, Shape: []int{len(rt.Init)}, Data: append([]float64(nil), rt.Init...), Decay: rt.Decay})
	}
	o := ref.Options
	opt := NewAdamW(params, AdamWOptions{LR: o.LR, Beta1: o.Beta1, Beta2: o.Beta2, Eps: o.Eps, WeightDecay: o.WeightDecay})
	for s, g := range ref.Grads {
		opt.Step(g)
		for i, p := range params {
			for k, got := range p.Data {
				want := ref.ParamsAfterStep[s][i][k]
				t.Run(fmt.Sprintf("step%d/%s[%d]", s+1, p.Name, k), func(t *testing.T) {
					// pow() may differ by an ulp between libm and Go.
					if math.Abs(got-want) > 1e-14*max(1, math.Abs(want)) {
						t.Errorf("%.17g, reference %.17g", got, want)
					}
				})
			}
		}
	}
}
