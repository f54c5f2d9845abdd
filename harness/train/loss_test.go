package train

import (
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"testing"
)

// randomTriplets returns n triplets of dimension d with N(0,1) entries.
func randomTriplets(rng *rand.Rand, n, d int) []Triplet {
	vec := func() []float32 {
		v := make([]float32, d)
		for i := range v {
			v[i] = float32(rng.NormFloat64())
		}
		return v
	}
	ts := make([]Triplet, n)
	for i := range ts {
		ts[i] = Triplet{Text: vec(), Pos: vec(), Neg: vec()}
	}
	return ts
}

// perturb moves every parameter of a away from its identity start so that
// no gradient is trivially zero (U = 0 or W2 = 0 would zero V's or W1's).
func perturb(a *Adapter, rng *rand.Rand, scale float64) {
	if a == nil {
		return
	}
	for _, t := range a.params {
		for i := range t.Data {
			t.Data[i] += scale * rng.NormFloat64()
		}
	}
}

// TestGradientsFiniteDifferences checks the hand-written backward passes
// (adapter, L2 normalisation, loss) against central finite differences of
// the loss, for every loss, adapter kind and side. Relative error is
// |g − fd| / (|g| + |fd|), with a floor of 1e-6·max|g| for entries whose
// gradient is essentially zero.
func TestGradientsFiniteDifferences(t *testing.T) {
	t.Parallel()
	const (
		dim   = 5
		batch = 6
		// Fourth-order central differences: truncation O(h⁴), rounding
		// O(ε·L/h) ≈ 1e-11, well under the 1e-5 tolerance.
		h = 1e-4
	)
	losses := []lossSpec{
		{name: LossTriplet, margin: 0.3},
		{name: LossLogistic, scale: 10},
		{name: LossInfoNCE, temp: 0.07},
	}
	for _, ls := range losses {
		for _, kind := range []Kind{Linear, LowRank, MLP} {
			for _, side := range []string{SideBoth, SideText, SideImage} {
				t.Run(fmt.Sprintf("%s/%s/%s", ls.name, kind, side), func(t *testing.T) {
					// The first seed whose relus (hinge, hidden units) all sit
					// clear of their kinks, so finite differences are smooth.
					var m *Model
					var ts []Triplet
					for seed := uint64(0); ; seed++ {
						if seed == 100 {
							t.Fatal("no kink-free seed among 100")
						}
						rng := rand.New(rand.NewPCG(11, seed))
						spec := AdapterSpec{Kind: kind, Rank: 2, Hidden: 4}
						m = &Model{}
						if side != SideImage {
							m.TextAdapter, _ = NewAdapter(spec, dim, rng)
							perturb(m.TextAdapter, rng, 0.3)
						}
						if side != SideText {
							m.ImageAdapter, _ = NewAdapter(spec, dim, rng)
							perturb(m.ImageAdapter, rng, 0.3)
						}
						ts = randomTriplets(rng, batch, dim)
						for i := range ts {
							ts[i].Weight = 0.5 + rng.Float64() // unequal weights
						}
						if kinkFree(ls, m, ts) {
							break
						}
					}
					loss, grads := lossGrad(ls, m, ts, nil)
					if !(loss > 0) {
						t.Fatalf("loss %v: want > 0 so the gradient is exercised", loss)
					}
					lossAt := func() float64 {
						f := forwardBatch(m, ts)
						w, _ := batchWeights(ts)
						l, _, _ := ls.evalLoss(f.a, f.img, w, false)
						return l
					}
					params := modelParams(m)
					var gmax float64
					for _, g := range grads {
						for _, v := range g {
							gmax = max(gmax, math.Abs(v))
						}
					}
					worst, checked := 0.0, 0
					for pi, p := range params {
						for k := range p.Data {
							orig := p.Data[k]
							at := func(x float64) float64 {
								p.Data[k] = x
								return lossAt()
							}
							fd := (-at(orig+2*h) + 8*at(orig+h) - 8*at(orig-h) + at(orig-2*h)) / (12 * h)
							p.Data[k] = orig
							g := grads[pi][k]
							rel := math.Abs(g-fd) / max(math.Abs(g)+math.Abs(fd), 1e-6*gmax)
							if rel > worst {
								worst = rel
							}
							if rel > 1e-5 {
								t.Errorf("param %s[%d]: analytic %.12g, finite difference %.12g (relative error %.2g)", p.Name, k, g, fd, rel)
							}
							checked++
						}
					}
					if checked == 0 {
						t.Fatal("no parameters checked")
					}
					t.Logf("%d parameters, worst relative error %.2g", checked, worst)
				})
			}
		}
	}
}

// kinkFree reports whether every relu (triplet hinge, MLP hidden unit) sits
// far enough from its kink that finite differences do not straddle it, and
// (for the triplet loss) whether the batch mixes active and inactive terms.
func kinkFree(ls lossSpec, m *Model, ts []Triplet) bool {
	f := forwardBatch(m, ts)
	const tooClose = 1e-2 // ≫ the 2h·|∂z/∂θ| a finite difference moves z
	for _, c := range []*fwdCache{f.textCache, f.imgCache} {
		if c == nil || c.z.Data == nil {
			continue
		}
		for _, z := range c.z.Data {
			if math.Abs(z) < tooClose {
				return false
			}
		}
	}
	if ls.name == LossTriplet {
		b, d := len(ts), f.a.Cols
		active := 0
		for i := range b {
			var dap, dan float64
			for k := range d {
				dap += sq(f.a.Data[i*d+k] - f.img.Data[i*d+k])
				dan += sq(f.a.Data[i*d+k] - f.img.Data[(b+i)*d+k])
			}
			v := dap - dan + ls.margin
			if math.Abs(v) < tooClose {
				return false
			}
			if v > 0 {
				active++
			}
		}
		return active > 0 && active < b
	}
	return true
}

func sq(x float64) float64 { return x * x }

// TestLossesAgainstNumpy compares the three losses with values computed by
// testdata/losses_ref.py (numpy, straight from the formulas).
func TestLossesAgainstNumpy(t *testing.T) {
	t.Parallel()
	raw, err := os.ReadFile("testdata/losses_ref.json")
	if err != nil {
		t.Fatal(err)
	}
	var ref struct {
		Text, Pos, Neg    [][]float32
		Weights           []float64
		TextW             [][]float64 `json:"text_W"`
		TextB             []float64   `json:"text_b"`
		ImageW            [][]float64 `json:"image_W"`
		ImageB            []float64   `json:"image_b"`
		Margin, Scale     float64
		Temperature       float64
		Triplet, Logistic float64
		InfoNCE           float64 `json:"infonce"`
		TripletActive     int     `json:"triplet_active"`
		WeightedAccuracy  float64 `json:"weighted_accuracy"`
	}
	if err := json.Unmarshal(raw, &ref); err != nil {
		t.Fatal(err)
	}
	linear := func(w [][]float64, b []float64) *Adapter {
		a := NewLinear(len(b))
		for i, row := range w {
			copy(a.params[0].Data[i*len(b):], row)
		}
		copy(a.params[1].Data, b)
		return a
	}
	m := &Model{TextAdapter: linear(ref.TextW, ref.TextB), ImageAdapter: linear(ref.ImageW, ref.ImageB)}
	ts := make([]Triplet, len(ref.Text))
	for i := range ts {
		ts[i] = Triplet{Text: ref.Text[i], Pos: ref.Pos[i], Neg: ref.Neg[i], Weight: ref.Weights[i]}
	}
	tests := []struct {
		name string
		cfg  Config
		want float64
	}{
		{"triplet", Config{Loss: LossTriplet, Margin: ref.Margin}, ref.Triplet},
		{"logistic", Config{Loss: LossLogistic, Scale: ref.Scale}, ref.Logistic},
		{"infonce", Config{Loss: LossInfoNCE, Temperature: ref.Temperature}, ref.InfoNCE},
		{"defaults", Config{}, ref.Triplet}, // zero Config = triplet, margin 0.3
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Loss(tc.cfg, m, ts)
			if err != nil {
				t.Fatal(err)
			}
			if math.Abs(got-tc.want) > 1e-12*math.Abs(tc.want) {
				t.Errorf("loss = %.17g, numpy %.17g", got, tc.want)
			}
		})
	}
	t.Run("accuracy", func(t *testing.T) {
		if got := PairwiseAccuracy(m, ts); math.Abs(got-ref.WeightedAccuracy) > 1e-15 {
			t.Errorf("weighted accuracy = %v, numpy %v", got, ref.WeightedAccuracy)
		}
	})
}

// TestLossHandComputed checks the losses on 2-d unit vectors worked out by hand.
func TestLossHandComputed(t *testing.T) {
	t.Parallel()
	// a = (1,0), p = (0,1), n = (1,0): ‖a−p‖² = 2, ‖a−n‖² = 0,
	// cos(a,p) = 0, cos(a,n) = 1.
	bad := []Triplet{{Text: []float32{1, 0}, Pos: []float32{0, 1}, Neg: []float32{1, 0}}}
	// a = (1,0), p = (1,0), n = (0,1) (scaled: norms must not matter).
	good := []Triplet{{Text: []float32{3, 0}, Pos: []float32{2, 0}, Neg: []float32{0, 5}}}
	tests := []struct {
		name  string
		cfg   Config
		batch []Triplet
		want  float64
	}{
		{"triplet wrong order", Config{}, bad, 2.3},                                         // relu(2 − 0 + 0.3)
		{"triplet right order", Config{}, good, 0},                                          // relu(0 − 2 + 0.3)
		{"triplet margin 2.5", Config{Margin: 2.5}, good, 0.5},                              // relu(0 − 2 + 2.5)
		{"logistic wrong", Config{Loss: LossLogistic}, bad, 10 + math.Log1p(math.Exp(-10))}, // softplus(10)
		{"logistic right", Config{Loss: LossLogistic, Scale: 1}, good, math.Log1p(math.Exp(-1))},
		// one triplet: softmax over [cos(a,p), cos(a,n)]/τ, target p.
		{"infonce single", Config{Loss: LossInfoNCE, Temperature: 0.5}, good, math.Log(1 + math.Exp(-2))},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Loss(tc.cfg, nil, tc.batch)
			if err != nil {
				t.Fatal(err)
			}
			if math.Abs(got-tc.want) > 1e-14 {
				t.Errorf("loss = %.17g, want %.17g", got, tc.want)
			}
		})
	}
}

// TestInfoNCESingleTripletIsLogistic: with a batch of one, InfoNCE is the
// logistic loss with scale 1/τ (softmax over two columns).
func TestInfoNCESingleTripletIsLogistic(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(5, 6))
	m := &Model{ImageAdapter: NewLinear(7)}
	perturb(m.ImageAdapter, rng, 0.2)
	for i, tr := range randomTriplets(rng, 10, 7) {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			nce, err := Loss(Config{Loss: LossInfoNCE, Temperature: 0.2}, m, []Triplet{tr})
			if err != nil {
				t.Fatal(err)
			}
			lg, err := Loss(Config{Loss: LossLogistic, Scale: 5}, m, []Triplet{tr})
			if err != nil {
				t.Fatal(err)
			}
			if math.Abs(nce-lg) > 1e-12*max(1, lg) {
				t.Errorf("infonce %.17g != logistic(s=1/τ) %.17g", nce, lg)
			}
		})
	}
}

// TestWeightEqualsDuplication: a triplet of weight 2 counts as two copies
// (for the per-triplet losses).
func TestWeightEqualsDuplication(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(8, 9))
	ts := randomTriplets(rng, 4, 6)
	weighted := append([]Triplet(nil), ts...)
	weighted[1].Weight = 2
	dup := append(append([]Triplet(nil), ts...), ts[1])
	for _, loss := range []string{LossTriplet, LossLogistic} {
		t.Run(loss, func(t *testing.T) {
			a, err := Loss(Config{Loss: loss}, nil, weighted)
			if err != nil {
				t.Fatal(err)
			}
			b, err := Loss(Config{Loss: loss}, nil, dup)
			if err != nil {
				t.Fatal(err)
			}
			if math.Abs(a-b) > 1e-14 {
				t.Errorf("weighted %.17g != duplicated %.17g", a, b)
			}
		})
	}
}

// TestLossNaNPropagates: a NaN embedding must make every loss NaN, never a
// silent zero (the triplet hinge would otherwise drop it).
func TestLossNaNPropagates(t *testing.T) {
	t.Parallel()
	ts := randomTriplets(rand.New(rand.NewPCG(1, 2)), 3, 4)
	ts[2].Neg[1] = float32(math.NaN())
	for _, loss := range lossNames {
		t.Run(loss, func(t *testing.T) {
			got, err := Loss(Config{Loss: loss}, nil, ts)
			if err != nil {
				t.Fatal(err)
			}
			if !math.IsNaN(got) {
				t.Errorf("loss = %v, want NaN", got)
			}
		})
	}
}
