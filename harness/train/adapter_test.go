package train

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestAdaptersStartAtIdentity(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(1, 1))
	x := make([]float64, 9)
	for i := range x {
		x[i] = rng.NormFloat64()
	}
	for _, spec := range []AdapterSpec{{}, {Kind: Linear}, {Kind: LowRank, Rank: 3}, {Kind: MLP, Hidden: 5}} {
		t.Run(string(spec.Kind), func(t *testing.T) {
			a, err := NewAdapter(spec, len(x), rng)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(x, a.Apply(x)); diff != "" {
				t.Errorf("identity start: Apply(x) differs from x (-want +got):\n%s", diff)
			}
			// Random parts are present and small (V, W1 ~ N(0, 1/dim)).
			for _, p := range a.Params() {
				if p.Name == "V" || p.Name == "W1" {
					var ss float64
					for _, v := range p.Data {
						ss += v * v
					}
					std := math.Sqrt(ss / float64(len(p.Data)))
					if std < 0.15 || std > 0.55 { // 1/3 = 0.333
						t.Errorf("%s: sample std %.3f, want about 1/sqrt(9)", p.Name, std)
					}
				}
			}
		})
	}
}

func TestAdapterShapes(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(1, 2))
	tests := []struct {
		spec AdapterSpec
		want map[string][]int
	}{
		{AdapterSpec{}, map[string][]int{"W": {4, 4}, "b": {4}}},
		{AdapterSpec{Kind: LowRank}, map[string][]int{"U": {4, DefaultRank}, "V": {4, DefaultRank}, "b": {4}}},
		{AdapterSpec{Kind: MLP, Hidden: 3}, map[string][]int{"W1": {3, 4}, "b1": {3}, "W2": {4, 3}, "b2": {4}}},
	}
	for _, tc := range tests {
		t.Run(string(tc.spec.Kind), func(t *testing.T) {
			a, err := NewAdapter(tc.spec, 4, rng)
			if err != nil {
				t.Fatal(err)
			}
			got := map[string][]int{}
			for _, p := range a.Params() {
				got[p.Name] = p.Shape
				if wantDecay := !strings.HasPrefix(p.Name, "b"); p.Decay != wantDecay {
					t.Errorf("%s: Decay = %v, want %v (weights decay, biases not)", p.Name, p.Decay, wantDecay)
				}
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("shapes (-want +got):\n%s", diff)
			}
		})
	}
}

func TestAdapterErrors(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(1, 3))
	tests := []struct {
		name string
		spec AdapterSpec
		dim  int
		rng  *rand.Rand
		want string
	}{
		{"typo kind", AdapterSpec{Kind: "lowrnak"}, 4, rng, `did you mean "lowrank"`},
		{"unknown kind", AdapterSpec{Kind: "transformer"}, 4, rng, "unknown adapter kind"},
		{"zero dim", AdapterSpec{}, 0, rng, "dimension 0"},
		{"negative rank", AdapterSpec{Kind: LowRank, Rank: -1}, 4, rng, "rank -1"},
		{"negative hidden", AdapterSpec{Kind: MLP, Hidden: -2}, 4, rng, "hidden width -2"},
		{"bad std", AdapterSpec{Kind: MLP, InitStd: math.NaN()}, 4, rng, "InitStd"},
		{"no rng", AdapterSpec{Kind: LowRank}, 4, nil, "random source"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := NewAdapter(tc.spec, tc.dim, tc.rng)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want it to contain %q", err, tc.want)
			}
		})
	}
}

// TestAdapterForwardByHand checks each kind's forward on numbers worked out
// by hand.
func TestAdapterForwardByHand(t *testing.T) {
	t.Parallel()
	lin := NewLinear(2)
	copy(lin.Param("W").Data, []float64{1, 2, 3, 4})
	copy(lin.Param("b").Data, []float64{5, 6})
	lr, _ := NewAdapter(AdapterSpec{Kind: LowRank, Rank: 1}, 2, rand.New(rand.NewPCG(0, 0)))
	copy(lr.Param("U").Data, []float64{1, -1})
	copy(lr.Param("V").Data, []float64{2, 3})
	copy(lr.Param("b").Data, []float64{0.5, 0})
	mlp, _ := NewAdapter(AdapterSpec{Kind: MLP, Hidden: 2}, 2, rand.New(rand.NewPCG(0, 0)))
	copy(mlp.Param("W1").Data, []float64{1, 0, 0, -1}) // z = (x0 + b1_0, −x1 + b1_1)
	copy(mlp.Param("b1").Data, []float64{0, 0.5})
	copy(mlp.Param("W2").Data, []float64{2, 0, 1, 1})
	copy(mlp.Param("b2").Data, []float64{0, -1})
	tests := []struct {
		name string
		a    *Adapter
		x    []float64
		want []float64
	}{
		// [1 2; 3 4]·(1, 1) + (5, 6) = (8, 13)
		{"linear", lin, []float64{1, 1}, []float64{8, 13}},
		// Vᵀx = 2·1 + 3·2 = 8; x + U·8 + b = (1+8+0.5, 2−8) = (9.5, −6)
		{"lowrank", lr, []float64{1, 2}, []float64{9.5, -6}},
		// z = (1, −2+0.5) → relu (1, 0); W2·(1,0) = (2, 1); x + (2, 1) + (0, −1) = (3, 2)
		{"mlp", mlp, []float64{1, 2}, []float64{3, 2}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, tc.a.Apply(tc.x)); diff != "" {
				t.Errorf("Apply (-want +got):\n%s", diff)
			}
		})
	}
}

func TestModelScore(t *testing.T) {
	t.Parallel()
	m := &Model{TextAdapter: NewLinear(2)}
	copy(m.TextAdapter.Param("W").Data, []float64{0, -1, 1, 0}) // rotate by +90°
	tests := []struct {
		name        string
		m           *Model
		text, image []float32
		want        float64
	}{
		{"identity nil model", nil, []float32{1, 0}, []float32{1, 1}, 1 / math.Sqrt2},
		{"identity empty model", &Model{}, []float32{3, 4}, []float32{4, 3}, 24.0 / 25},
		// rotated text (1,0) → (0,1): cos with (0,2) is 1
		{"rotated text", m, []float32{1, 0}, []float32{0, 2}, 1},
		{"rotated text opposite", m, []float32{1, 0}, []float32{0, -1}, -1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.m.Score(tc.text, tc.image); math.Abs(got-tc.want) > 1e-15 {
				t.Errorf("Score = %.17g, want %.17g", got, tc.want)
			}
		})
	}
}

func TestPairwiseAccuracyTiesCountCorrect(t *testing.T) {
	t.Parallel()
	ts := []Triplet{
		{Text: []float32{1, 0}, Pos: []float32{1, 0}, Neg: []float32{0, 1}},            // right
		{Text: []float32{1, 0}, Pos: []float32{0, 1}, Neg: []float32{1, 0}},            // wrong
		{Text: []float32{1, 0}, Pos: []float32{1, 1}, Neg: []float32{1, 1}},            // tie: correct
		{Text: []float32{1, 0}, Pos: []float32{1, 1}, Neg: []float32{2, 2}, Weight: 2}, // tie by scale
	}
	// (1 + 0 + 1 + 2) / (1 + 1 + 1 + 2)
	if got, want := PairwiseAccuracy(nil, ts), 4.0/5; got != want {
		t.Errorf("PairwiseAccuracy = %v, want %v", got, want)
	}
	if got := PairwiseAccuracy(nil, nil); got != 0 {
		t.Errorf("PairwiseAccuracy(no triplets) = %v, want 0", got)
	}
}

func TestCheckDims(t *testing.T) {
	t.Parallel()
	m := &Model{TextAdapter: NewLinear(3)}
	tests := []struct {
		name       string
		text, img  int
		wantSubstr string
	}{
		{"ok", 3, 3, ""},
		{"text mismatch", 4, 4, "text adapter takes 3"},
		{"cosine mismatch", 3, 5, "equal lengths"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := m.CheckDims(tc.text, tc.img)
			if tc.wantSubstr == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.wantSubstr) {
				t.Errorf("err = %v, want %q", err, tc.wantSubstr)
			}
		})
	}
}
