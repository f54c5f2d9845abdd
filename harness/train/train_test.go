package train

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// hiddenDirection makes triplets whose preference lives on one hidden axis.
// Texts share a common direction e0 plus noise; both images are the text
// plus independent noise, and the positive is shifted by +δ·e1, the
// negative by −δ·e1. A text's own e1 component is small and of random sign,
// so the raw cosine barely sees the shift (about chance), while an adapter
// that, say, adds a bias along e1 to the texts or maps e1 onto e0 in the
// images turns it into a strong signal.
func hiddenDirection(rng *rand.Rand, n, dim int) []Triplet {
	const (
		textNoise  = 0.5
		imageNoise = 1.0
		delta      = 0.4
	)
	ts := make([]Triplet, n)
	for i := range ts {
		text := make([]float64, dim)
		text[0] = 1
		for k := 1; k < dim; k++ {
			text[k] = textNoise * rng.NormFloat64() / math.Sqrt(float64(dim))
		}
		img := func(shift float64) []float32 {
			v := make([]float32, dim)
			for k := range v {
				v[k] = float32(text[k] + imageNoise*rng.NormFloat64()/math.Sqrt(float64(dim)))
			}
			v[1] += float32(shift)
			return v
		}
		t := make([]float32, dim)
		for k, v := range text {
			t[k] = float32(v)
		}
		ts[i] = Triplet{Text: t, Pos: img(delta), Neg: img(-delta)}
	}
	return ts
}

func hiddenData(seed uint64) Data {
	rng := rand.New(rand.NewPCG(seed, 99))
	return Data{Train: hiddenDirection(rng, 1500, 16), Val: hiddenDirection(rng, 500, 16)}
}

// TestTrainLearnsHiddenDirection: each loss lifts validation accuracy from
// about chance (identity) to well above 80%.
func TestTrainLearnsHiddenDirection(t *testing.T) {
	t.Parallel()
	data := hiddenData(1)
	base := PairwiseAccuracy(nil, data.Val)
	if base < 0.45 || base > 0.62 {
		t.Fatalf("identity accuracy %.3f: the synthetic problem should start near chance", base)
	}
	tests := []struct {
		name string
		cfg  Config
	}{
		{"triplet", Config{Loss: LossTriplet}},
		{"logistic", Config{Loss: LossLogistic}},
		{"infonce", Config{Loss: LossInfoNCE}},
		{"triplet lowrank", Config{Loss: LossTriplet, Adapter: AdapterSpec{Kind: LowRank, Rank: 4}}},
		{"triplet mlp", Config{Loss: LossTriplet, Adapter: AdapterSpec{Kind: MLP, Hidden: 32}}},
		{"triplet image side", Config{Loss: LossTriplet, Side: SideImage}},
		{"triplet text side", Config{Loss: LossTriplet, Side: SideText}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res, err := Train(context.Background(), tc.cfg, data, nil)
			if err != nil {
				t.Fatal(err)
			}
			if res.InitialValAccuracy != base {
				t.Errorf("InitialValAccuracy %v, identity accuracy %v", res.InitialValAccuracy, base)
			}
			got := PairwiseAccuracy(res.Model, data.Val)
			t.Logf("val accuracy %.3f → %.3f (best epoch %d, %d steps, %s)", base, got, res.BestEpoch, res.Steps, res.StopReason)
			if got != res.BestValAccuracy {
				t.Errorf("returned model scores %v on val, Result says %v", got, res.BestValAccuracy)
			}
			if got < 0.8 {
				t.Errorf("val accuracy after training %.3f, want > 0.8", got)
			}
		})
	}
}

// paramBits returns every parameter of m as raw float64 bits.
func paramBits(m *Model) map[string][]uint64 {
	out := map[string][]uint64{}
	for name, vals := range tensorsOf(m) {
		bits := make([]uint64, len(vals))
		for i, v := range vals {
			bits[i] = math.Float64bits(v)
		}
		out[name] = bits
	}
	return out
}

func TestTrainDeterministic(t *testing.T) {
	t.Parallel()
	small := hiddenData(5)
	small.Train = small.Train[:300]
	// At dimension 256 gonum's Dgemm splits products over goroutines; each
	// output block is still summed in a fixed order, so runs must agree.
	rng := rand.New(rand.NewPCG(5, 256))
	big := Data{Train: hiddenDirection(rng, 96, 256), Val: hiddenDirection(rng, 32, 256)}
	for _, tc := range []struct {
		name string
		cfg  Config
		data Data
	}{
		{"triplet linear", Config{Epochs: 3, Seed: 42}, small},
		{"infonce mlp", Config{Epochs: 2, Seed: 42, Loss: LossInfoNCE, Adapter: AdapterSpec{Kind: MLP, Hidden: 16}}, small},
		{"logistic lowrank", Config{Epochs: 2, Seed: 42, Loss: LossLogistic, Adapter: AdapterSpec{Kind: LowRank, Rank: 3}}, small},
		{"triplet linear dim 256", Config{Epochs: 2, Seed: 42}, big},
	} {
		cfg, data := tc.cfg, tc.data
		t.Run(tc.name, func(t *testing.T) {
			var events [2][]Event
			var runs [2]Result
			for i := range runs {
				res, err := Train(context.Background(), cfg, data, func(e Event) { events[i] = append(events[i], e) })
				if err != nil {
					t.Fatal(err)
				}
				runs[i] = res
			}
			if diff := cmp.Diff(paramBits(runs[0].Model), paramBits(runs[1].Model)); diff != "" {
				t.Errorf("parameters differ between two runs (-first +second):\n%s", diff)
			}
			if diff := cmp.Diff(runs[0].History, runs[1].History); diff != "" {
				t.Errorf("history differs (-first +second):\n%s", diff)
			}
			if diff := cmp.Diff(events[0], events[1]); diff != "" {
				t.Errorf("events differ (-first +second):\n%s", diff)
			}
			// Another seed must give other parameters (the seed is used).
			other := cfg
			other.Seed = 43
			res, err := Train(context.Background(), other, data, nil)
			if err != nil {
				t.Fatal(err)
			}
			if cmp.Equal(paramBits(runs[0].Model), paramBits(res.Model)) {
				t.Errorf("seeds 42 and 43 gave identical parameters")
			}
		})
	}
}

func TestConfigDefaults(t *testing.T) {
	t.Parallel()
	got, err := Config{}.resolved()
	if err != nil {
		t.Fatal(err)
	}
	want := Config{
		Loss: "triplet", Margin: 0.3, Scale: 10, Temperature: 0.07,
		Side: "both", Adapter: AdapterSpec{Kind: Linear},
		LR: 1e-3, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8, WeightDecay: 0.01,
		BatchSize: 32, Epochs: 10, Patience: 3,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("resolved zero Config (-want +got):\n%s", diff)
	}
	noDecay, err := Config{WeightDecay: -1}.resolved()
	if err != nil || noDecay.WeightDecay != 0 {
		t.Errorf("WeightDecay -1 → %v, %v; want 0 (none)", noDecay.WeightDecay, err)
	}
}

func TestTrainErrors(t *testing.T) {
	t.Parallel()
	good := hiddenData(6)
	good.Train, good.Val = good.Train[:40], good.Val[:10]
	withTrain := func(f func([]Triplet) []Triplet) Data {
		tr := make([]Triplet, len(good.Train))
		copy(tr, good.Train)
		return Data{Train: f(tr), Val: good.Val}
	}
	samePosNeg := withTrain(func(ts []Triplet) []Triplet {
		for i := range ts {
			ts[i].Neg = ts[i].Pos
		}
		return ts
	})
	tests := []struct {
		name string
		cfg  Config
		data Data
		want string
		is   error
	}{
		{"loss typo", Config{Loss: "tripplet"}, good, `unknown loss "tripplet" (did you mean "triplet"?)`, nil},
		{"loss unknown", Config{Loss: "hinge-squared"}, good, `unknown loss "hinge-squared"; known: [triplet logistic infonce]`, nil},
		{"loss prefix", Config{Loss: "info"}, good, `did you mean "infonce"`, nil},
		{"side typo", Config{Side: "imgae"}, good, `did you mean "image"`, nil},
		{"adapter typo", Config{Adapter: AdapterSpec{Kind: "mpl"}}, good, `did you mean "mlp"`, nil},
		{"negative margin", Config{Margin: -0.1}, good, "Margin", nil},
		{"beta1 one", Config{Beta1: 1}, good, "Beta1", nil},
		{"negative batch", Config{BatchSize: -4}, good, "BatchSize", nil},
		{"no train", Config{}, Data{Val: good.Val}, "no training triplets", nil},
		{"no signal", Config{}, samePosNeg, "identical positive and negative", ErrNoSignal},
		{"short neg", Config{}, withTrain(func(ts []Triplet) []Triplet {
			ts[7] = Triplet{Text: ts[7].Text, Pos: ts[7].Pos, Neg: ts[7].Neg[:3]}
			return ts
		}), "train triplet 7: field Neg: 3 values, want 16", nil},
		{"negative weight", Config{}, withTrain(func(ts []Triplet) []Triplet {
			ts[3].Weight = -1
			return ts
		}), "train triplet 3: field Weight", nil},
		{"val dims", Config{}, Data{Train: good.Train, Val: []Triplet{{Text: []float32{1}, Pos: []float32{1}, Neg: []float32{1}}}}, "text adapter takes 16", nil},
		{"val NaN", Config{}, Data{Train: good.Train, Val: []Triplet{{Text: good.Val[0].Text, Pos: good.Val[0].Pos, Neg: append(append([]float32(nil), good.Val[0].Neg[:15]...), float32(math.NaN()))}}}, "val triplet 0 field Neg", nil},
		{"text image dims", Config{}, Data{Train: []Triplet{{Text: []float32{1, 2}, Pos: []float32{1, 2, 3}, Neg: []float32{3, 2, 1}}}}, "equal lengths", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Train(context.Background(), tc.cfg, tc.data, nil)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want it to contain %q", err, tc.want)
			}
			if tc.is != nil && !errors.Is(err, tc.is) {
				t.Errorf("err = %v, want errors.Is %v", err, tc.is)
			}
		})
	}
}

// TestTrainStopsOnNaN: a NaN embedding stops training at the step that
// first uses it, with an error naming epoch, step and triplet, and the
// returned parameters are exactly those after the previous step (checked
// against a clean run cut off by MaxSteps there).
func TestTrainStopsOnNaN(t *testing.T) {
	t.Parallel()
	clean := hiddenData(7)
	clean.Train, clean.Val = clean.Train[:256], clean.Val[:50]
	const bad = 200
	poisoned := Data{Train: append([]Triplet(nil), clean.Train...), Val: clean.Val}
	pos := append([]float32(nil), poisoned.Train[bad].Pos...)
	pos[5] = float32(math.NaN())
	poisoned.Train[bad].Pos = pos
	for _, loss := range lossNames {
		t.Run(loss, func(t *testing.T) {
			cfg := Config{Loss: loss, BatchSize: 16, Epochs: 2, Seed: 3}
			steps := 0
			res, err := Train(context.Background(), cfg, poisoned, func(e Event) {
				if !e.EpochEnd {
					steps = e.Step
				}
			})
			if !errors.Is(err, ErrNonFinite) {
				t.Fatalf("err = %v, want ErrNonFinite", err)
			}
			t.Log(err)
			want := fmt.Sprintf("epoch 1 step %d (global step %d): non-finite loss (NaN); NaN or infinite embeddings in train triplet %d field Pos", steps+1, steps+1, bad)
			if !strings.Contains(err.Error(), want) {
				t.Errorf("err = %v\nwant it to contain %q", err, want)
			}
			if steps == 0 {
				t.Fatalf("the NaN triplet fell in the first batch; pick another seed so the test checks parameters after training steps")
			}
			if res.Steps != steps || res.StopReason != StopError {
				t.Errorf("Steps %d, StopReason %q; want %d, %q", res.Steps, res.StopReason, steps, StopError)
			}
			// A clean run cut off after the same number of steps, without
			// validation so that it returns its last (not best) parameters.
			cfg.MaxSteps = steps
			ref, err := Train(context.Background(), cfg, Data{Train: clean.Train}, nil)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(paramBits(ref.Model), paramBits(res.Model)); diff != "" {
				t.Errorf("returned parameters are not those after step %d (-want +got):\n%s", steps, diff)
			}
		})
	}
}

func TestTrainCancel(t *testing.T) {
	t.Parallel()
	data := hiddenData(8)
	data.Train = data.Train[:320]
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	res, err := Train(ctx, Config{Epochs: 3}, data, func(e Event) {
		if e.Step == 4 {
			cancel()
		}
	})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	if !strings.Contains(err.Error(), "epoch 1 step 5") {
		t.Errorf("err = %v, want it to name epoch 1 step 5", err)
	}
	ref, err := Train(context.Background(), Config{Epochs: 3, MaxSteps: 4}, Data{Train: data.Train}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(paramBits(ref.Model), paramBits(res.Model)); diff != "" {
		t.Errorf("cancelled run's parameters differ from 4 steps (-want +got):\n%s", diff)
	}
}

// TestEarlyStoppingKeepsBest: with a validation set whose labels are noise,
// accuracy wanders; training must stop after Patience epochs without a gain
// and return the best epoch's parameters.
func TestEarlyStoppingKeepsBest(t *testing.T) {
	t.Parallel()
	data := hiddenData(9)
	data.Train = data.Train[:400]
	rng := rand.New(rand.NewPCG(9, 9))
	data.Val = hiddenDirection(rng, 200, 16)
	for i := range data.Val {
		if rng.IntN(2) == 0 { // random labels
			data.Val[i].Pos, data.Val[i].Neg = data.Val[i].Neg, data.Val[i].Pos
		}
	}
	cfg := Config{Epochs: 40, Patience: 2, LR: 3e-3}
	var epochEnds []Event
	res, err := Train(context.Background(), cfg, data, func(e Event) {
		if e.EpochEnd {
			epochEnds = append(epochEnds, e)
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	if res.StopReason != StopEarly {
		t.Fatalf("StopReason %q, want %q (history %+v)", res.StopReason, StopEarly, res.History)
	}
	if got := len(res.History) - res.BestEpoch; got != cfg.Patience {
		t.Errorf("stopped %d epochs after the best, want Patience = %d", got, cfg.Patience)
	}
	best := res.InitialValAccuracy
	bestEpoch := 0
	for _, h := range res.History {
		if h.ValAccuracy > best {
			best, bestEpoch = h.ValAccuracy, h.Epoch
		}
	}
	if res.BestEpoch != bestEpoch || res.BestValAccuracy != best {
		t.Errorf("best epoch %d (%v), want %d (%v) from the history", res.BestEpoch, res.BestValAccuracy, bestEpoch, best)
	}
	if got := PairwiseAccuracy(res.Model, data.Val); got != best {
		t.Errorf("returned model scores %v on val, want the best %v", got, best)
	}
	if len(epochEnds) != len(res.History)+1 || epochEnds[0].Epoch != 0 {
		t.Errorf("%d epoch-end events, want %d (epoch 0 plus one per epoch)", len(epochEnds), len(res.History)+1)
	}
}

func TestTrainWithoutValidation(t *testing.T) {
	t.Parallel()
	data := hiddenData(10)
	data.Train, data.Val = data.Train[:100], nil
	res, err := Train(context.Background(), Config{Epochs: 2}, data, nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.BestEpoch != 2 || res.StopReason != StopEpochs || len(res.History) != 2 {
		t.Errorf("BestEpoch %d, StopReason %q, %d epochs; want the last of 2 epochs", res.BestEpoch, res.StopReason, len(res.History))
	}
	if res.Steps != 8 { // ceil(100/32) = 4 per epoch
		t.Errorf("Steps %d, want 8", res.Steps)
	}
}

// TestTrainInit: warm start from a model continues from its parameters and
// leaves it unchanged.
func TestTrainInit(t *testing.T) {
	t.Parallel()
	data := hiddenData(11)
	data.Train, data.Val = data.Train[:64], nil
	first, err := Train(context.Background(), Config{Epochs: 1, Side: SideImage}, data, nil)
	if err != nil {
		t.Fatal(err)
	}
	before := paramBits(first.Model)
	second, err := Train(context.Background(), Config{Epochs: 1, Init: first.Model, Side: SideBoth}, data, nil)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(before, paramBits(first.Model)); diff != "" {
		t.Errorf("Init model changed:\n%s", diff)
	}
	if second.Model.TextAdapter != nil {
		t.Errorf("Init has no text adapter, so none should be trained (Side is ignored)")
	}
	if cmp.Equal(before, paramBits(second.Model)) {
		t.Errorf("warm-started training did not move the parameters")
	}
}

func TestResultMetadataRoundTrip(t *testing.T) {
	t.Parallel()
	data := hiddenData(12)
	data.Train, data.Val = data.Train[:64], data.Val[:32]
	res, err := Train(context.Background(), Config{Epochs: 2, Loss: LossLogistic}, data, nil)
	if err != nil {
		t.Fatal(err)
	}
	md, err := res.Metadata()
	if err != nil {
		t.Fatal(err)
	}
	if md[MetaDataHash] != HashData(data) || len(md[MetaDataHash]) != 64 {
		t.Errorf("data hash %q", md[MetaDataHash])
	}
	var cfg Config
	if err := json.Unmarshal([]byte(md[MetaConfig]), &cfg); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(res.Config, cfg); diff != "" {
		t.Errorf("config from metadata (-want +got):\n%s", diff)
	}
	var metrics struct {
		BestEpoch int          `json:"best_epoch"`
		History   []EpochStats `json:"history"`
	}
	if err := json.Unmarshal([]byte(md[MetaMetrics]), &metrics); err != nil {
		t.Fatal(err)
	}
	if metrics.BestEpoch != res.BestEpoch || !cmp.Equal(metrics.History, res.History) {
		t.Errorf("metrics %+v, want best epoch %d and history %+v", metrics, res.BestEpoch, res.History)
	}
	// A changed triplet changes the hash.
	changed := Data{Train: append([]Triplet(nil), data.Train...), Val: data.Val}
	changed.Train[0].Weight = 2
	if HashData(changed) == HashData(data) {
		t.Errorf("hash ignores weights")
	}
}

func TestTrainMaxSteps(t *testing.T) {
	t.Parallel()
	data := hiddenData(13)
	data.Train, data.Val = data.Train[:100], data.Val[:50]
	var steps, ends []Event
	res, err := Train(context.Background(), Config{MaxSteps: 6, BatchSize: 32}, data, func(e Event) {
		if e.EpochEnd {
			ends = append(ends, e)
		} else {
			steps = append(steps, e)
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	// 4 steps per epoch (100/32 rounded up): epoch 1 full, epoch 2 cut after 2.
	if res.Steps != 6 || res.StopReason != StopMaxSteps || len(res.History) != 2 || res.History[1].Steps != 6 {
		t.Errorf("Steps %d, StopReason %q, history %+v; want 6 steps over 2 epochs", res.Steps, res.StopReason, res.History)
	}
	if len(steps) != 6 || steps[5].Step != 6 || steps[5].Epoch != 2 {
		t.Errorf("step events %+v, want 6 ending at step 6 of epoch 2", steps)
	}
	if len(ends) != 3 {
		t.Errorf("%d epoch-end events, want 3 (start, epoch 1, partial epoch 2)", len(ends))
	}
}
