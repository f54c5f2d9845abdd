package train

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
)

// Triplet is one preference example on cached embeddings: a prompt's text
// embedding, the embedding of the preferred (positive) image and of the
// other (negative) image, as the frozen backbone outputs them.
type Triplet struct {
	Text, Pos, Neg []float32
	// Weight scales the triplet's share of the loss and of the accuracy;
	// 0 means 1. Negative values are an error.
	Weight float64
}

func (t Triplet) weight() float64 {
	if t.Weight == 0 {
		return 1
	}
	return t.Weight
}

// Data is a training set and a validation set. All triplets must share the
// text dimension and the image dimension.
type Data struct {
	Train, Val []Triplet
}

// Sides on which adapters are trained (Config.Side).
const (
	SideBoth  = "both"
	SideImage = "image"
	SideText  = "text"
)

var sideNames = []string{SideBoth, SideImage, SideText}

// Defaults of Config (used where a field is zero).
const (
	DefaultLoss        = LossTriplet
	DefaultMargin      = 0.3
	DefaultScale       = 10.0
	DefaultTemperature = 0.07
	DefaultLR          = 1e-3
	DefaultBeta1       = 0.9
	DefaultBeta2       = 0.999
	DefaultEps         = 1e-8
	DefaultWeightDecay = 0.01
	DefaultBatchSize   = 32
	DefaultEpochs      = 10
	DefaultPatience    = 3
)

// Config configures Train. Its zero value is the documented default:
// triplet loss with margin 0.3, identity-initialised Linear adapters on both
// sides, AdamW (lr 1e-3, betas 0.9/0.999, eps 1e-8, weight decay 0.01),
// batch 32, 10 epochs, early stopping after 3 epochs without a gain in
// validation accuracy, seed 0.
type Config struct {
	// Loss is "triplet" (default), "logistic" or "infonce".
	Loss string `json:"loss"`
	// Margin of the triplet loss; 0 means 0.3. Must be > 0.
	Margin float64 `json:"margin"`
	// Scale s of the logistic loss softplus(−s·Δcos); 0 means 10. Fixed,
	// not learned. Must be > 0.
	Scale float64 `json:"scale"`
	// Temperature τ of the InfoNCE loss; 0 means 0.07. Must be > 0.
	Temperature float64 `json:"temperature"`

	// Side is where adapters are trained: "both" (default), "image" or "text".
	Side string `json:"side"`
	// Adapter is the adapter architecture (Linear by default) and its sizes.
	Adapter AdapterSpec `json:"adapter"`

	// LR is AdamW's learning rate; 0 means 1e-3 (see the package doc for
	// why not the official code's 3e-5).
	LR float64 `json:"lr"`
	// Beta1, Beta2 and Eps are AdamW's; 0 means 0.9, 0.999 and 1e-8.
	Beta1 float64 `json:"beta1"`
	Beta2 float64 `json:"beta2"`
	Eps   float64 `json:"eps"`
	// WeightDecay is AdamW's decoupled weight decay on weights (not biases);
	// 0 means 0.01, a negative value means none.
	WeightDecay float64 `json:"weight_decay"`

	// BatchSize is the number of triplets per step; 0 means 32. The last
	// batch of an epoch may be smaller.
	BatchSize int `json:"batch_size"`
	// Epochs is the maximum number of passes over Train; 0 means 10.
	Epochs int `json:"epochs"`
	// Patience stops training after this many epochs without a strictly
	// higher validation accuracy; 0 means 3, a negative value disables
	// early stopping.
	Patience int `json:"patience"`
	// MaxSteps stops training after this many optimiser steps; 0 means no
	// limit.
	MaxSteps int `json:"max_steps"`
	// Seed seeds the adapters' random initialisation and the shuffling.
	Seed uint64 `json:"seed"`

	// Init, if not nil, is the starting model (copied, not changed); Side
	// and Adapter are then ignored.
	Init *Model `json:"-"`
}

// resolved returns cfg with defaults filled in, or an error for invalid values.
func (cfg Config) resolved() (Config, error) {
	c := cfg
	if c.Loss == "" {
		c.Loss = DefaultLoss
	}
	if !slices.Contains(lossNames, c.Loss) {
		return c, unknownName("loss", c.Loss, lossNames)
	}
	if c.Side == "" {
		c.Side = SideBoth
	}
	if !slices.Contains(sideNames, c.Side) {
		return c, unknownName("side", c.Side, sideNames)
	}
	k, err := ParseKind(string(c.Adapter.Kind))
	if err != nil {
		return c, err
	}
	c.Adapter.Kind = k
	switch k {
	case LowRank:
		if c.Adapter.Rank == 0 {
			c.Adapter.Rank = DefaultRank
		}
	case MLP:
		if c.Adapter.Hidden == 0 {
			c.Adapter.Hidden = DefaultHidden
		}
	}
	type fl struct {
		name string
		p    *float64
		def  float64
	}
	for _, f := range []fl{
		{"Margin", &c.Margin, DefaultMargin}, {"Scale", &c.Scale, DefaultScale},
		{"Temperature", &c.Temperature, DefaultTemperature}, {"LR", &c.LR, DefaultLR},
		{"Eps", &c.Eps, DefaultEps},
	} {
		if *f.p == 0 {
			*f.p = f.def
		}
		if !(*f.p > 0) || math.IsInf(*f.p, 0) {
			return c, fmt.Errorf("config field %s: %v, want a finite value > 0", f.name, *f.p)
		}
	}
	for _, f := range []fl{{"Beta1", &c.Beta1, DefaultBeta1}, {"Beta2", &c.Beta2, DefaultBeta2}} {
		if *f.p == 0 {
			*f.p = f.def
		}
		if !(*f.p > 0 && *f.p < 1) {
			return c, fmt.Errorf("config field %s: %v, want 0 < value < 1", f.name, *f.p)
		}
	}
	switch {
	case math.IsNaN(c.WeightDecay) || math.IsInf(c.WeightDecay, 0):
		return c, fmt.Errorf("config field WeightDecay: %v, want a finite value", c.WeightDecay)
	case c.WeightDecay == 0:
		c.WeightDecay = DefaultWeightDecay
	case c.WeightDecay < 0:
		c.WeightDecay = 0
	}
	if c.BatchSize == 0 {
		c.BatchSize = DefaultBatchSize
	}
	if c.Epochs == 0 {
		c.Epochs = DefaultEpochs
	}
	if c.Patience == 0 {
		c.Patience = DefaultPatience
	}
	for _, f := range []struct {
		name string
		v    int
	}{{"BatchSize", c.BatchSize}, {"Epochs", c.Epochs}, {"MaxSteps", c.MaxSteps + 1}} {
		if f.v < 1 {
			return c, fmt.Errorf("config field %s: %d, want a positive value (0 = default)", f.name, f.v)
		}
	}
	if c.Adapter.Rank < 0 || c.Adapter.Hidden < 0 || c.Adapter.InitStd < 0 {
		return c, fmt.Errorf("config field Adapter: %+v: sizes and InitStd must not be negative", c.Adapter)
	}
	return c, nil
}

func (cfg Config) lossSpec() (lossSpec, error) {
	c, err := cfg.resolved()
	if err != nil {
		return lossSpec{}, err
	}
	return lossSpec{name: c.Loss, margin: c.Margin, scale: c.Scale, temp: c.Temperature}, nil
}

// Event reports training progress: after every optimiser step (EpochEnd
// false: Loss is the batch loss) and after every epoch's validation
// (EpochEnd true: Loss is the epoch's mean training loss, ValAccuracy the
// validation pairwise accuracy, 0 if there is no validation set). Epoch 0
// is the starting model, before any step.
type Event struct {
	Epoch       int     `json:"epoch"`
	Step        int     `json:"step"` // optimiser steps so far (global)
	Loss        float64 `json:"loss"`
	ValAccuracy float64 `json:"val_accuracy"`
	EpochEnd    bool    `json:"epoch_end"`
}

// EpochStats summarises one training epoch (numbered from 1).
type EpochStats struct {
	Epoch       int     `json:"epoch"`
	Steps       int     `json:"steps"` // optimiser steps so far (global)
	TrainLoss   float64 `json:"train_loss"`
	ValAccuracy float64 `json:"val_accuracy"` // 0 without validation data
}

// Stop reasons (Result.StopReason).
const (
	StopEpochs        = "epochs"         // ran Config.Epochs epochs
	StopEarly         = "early_stopping" // Patience epochs without a gain
	StopMaxSteps      = "max_steps"      // reached Config.MaxSteps
	StopError         = "error"          // non-finite loss or cancelled
	StopPerfectResult = "perfect"        // validation accuracy reached 1 (with early stopping on)
)

// Result is the outcome of Train.
type Result struct {
	// Model holds the best-validation parameters (the last ones without
	// validation data). When Train returns an error after training started,
	// it holds the last good parameters: those before the failing step.
	Model *Model `json:"-"`
	// InitialValAccuracy is the starting model's validation accuracy.
	InitialValAccuracy float64 `json:"initial_val_accuracy"`
	// History has one entry per epoch run (the last may be partial when
	// MaxSteps stopped training).
	History []EpochStats `json:"history"`
	// BestEpoch is the epoch whose parameters Model holds (0 = the start).
	BestEpoch       int     `json:"best_epoch"`
	BestValAccuracy float64 `json:"best_val_accuracy"`
	Steps           int     `json:"steps"`
	StopReason      string  `json:"stop_reason"`
	// Config is the configuration with defaults filled in.
	Config Config `json:"config"`
	// DataHash is HashData(data), recorded in checkpoints.
	DataHash        string `json:"data_sha256"`
	TextDim         int    `json:"text_dim"`
	ImageDim        int    `json:"image_dim"`
	TrainSize       int    `json:"train_size"`
	ValSize         int    `json:"val_size"`
	LearnableParams int    `json:"learnable_params"`
}

// ErrNonFinite marks a stop on a NaN or infinite loss or gradient.
var ErrNonFinite = errors.New("non-finite loss or gradient")

// ErrNoSignal marks training data from which nothing can be learned.
var ErrNoSignal = errors.New("no learnable signal")

// Train fits adapters on the triplets of data.Train with cfg's loss and
// AdamW, validating after every epoch on data.Val and keeping the
// best-validation parameters. progress, if not nil, is called after every
// step and epoch. For one cfg (including Seed) and data the result is
// bit-identical from run to run.
func Train(ctx context.Context, cfg Config, data Data, progress func(Event)) (Result, error) {
	c, err := cfg.resolved()
	if err != nil {
		return Result{}, fmt.Errorf("train: %w", err)
	}
	res := Result{Config: c, TrainSize: len(data.Train), ValSize: len(data.Val)}
	if len(data.Train) == 0 {
		return res, fmt.Errorf("train: no training triplets")
	}
	dt, di := len(data.Train[0].Text), len(data.Train[0].Pos)
	res.TextDim, res.ImageDim = dt, di

	initRNG := rand.New(rand.NewPCG(c.Seed, 0x5eed_1))
	shuffleRNG := rand.New(rand.NewPCG(c.Seed, 0x5eed_2))
	var m *Model
	if c.Init != nil {
		m = c.Init.Clone()
		c.Init = nil
		res.Config.Init = nil
	} else {
		if dt != di {
			return res, fmt.Errorf("train: text embeddings have %d values, image embeddings %d: square adapters need equal lengths", dt, di)
		}
		m = &Model{}
		if c.Side == SideBoth || c.Side == SideText {
			if m.TextAdapter, err = NewAdapter(c.Adapter, dt, initRNG); err != nil {
				return res, fmt.Errorf("train: text adapter: %w", err)
			}
		}
		if c.Side == SideBoth || c.Side == SideImage {
			if m.ImageAdapter, err = NewAdapter(c.Adapter, di, initRNG); err != nil {
				return res, fmt.Errorf("train: image adapter: %w", err)
			}
		}
	}
	res.Model = m
	if err := checkTriplets("train", data.Train, m); err != nil {
		return res, fmt.Errorf("train: %w", err)
	}
	if err := checkTriplets("val", data.Val, m); err != nil {
		return res, fmt.Errorf("train: %w", err)
	}
	if len(data.Val) > 0 {
		if len(data.Val[0].Text) != dt || len(data.Val[0].Pos) != di {
			return res, fmt.Errorf("train: val triplet 0: embeddings of %d (text) and %d (image) values, want %d and %d as in train",
				len(data.Val[0].Text), len(data.Val[0].Pos), dt, di)
		}
		idx := make([]int, len(data.Val))
		for i := range idx {
			idx[i] = i
		}
		if bad := nonFinite("val", data.Val, idx); len(bad) > 0 {
			return res, fmt.Errorf("train: %s: NaN or infinite values", bad[0])
		}
	}
	if !slices.ContainsFunc(data.Train, func(t Triplet) bool { return !slices.Equal(t.Pos, t.Neg) }) {
		return res, fmt.Errorf("train: %w: all %d training triplets have identical positive and negative embeddings", ErrNoSignal, len(data.Train))
	}
	params := modelParams(m)
	for _, p := range params {
		res.LearnableParams += len(p.Data)
	}
	if len(params) == 0 {
		return res, fmt.Errorf("train: the model has no adapters to train")
	}
	res.DataHash = HashData(data)
	ls := lossSpec{name: c.Loss, margin: c.Margin, scale: c.Scale, temp: c.Temperature}
	opt := NewAdamW(params, AdamWOptions{LR: c.LR, Beta1: c.Beta1, Beta2: c.Beta2, Eps: c.Eps, WeightDecay: c.WeightDecay})
	emit := func(e Event) {
		if progress != nil {
			progress(e)
		}
	}

	// Epoch 0: the starting model.
	valAcc := func() float64 {
		if len(data.Val) == 0 {
			return 0
		}
		return PairwiseAccuracy(m, data.Val)
	}
	res.InitialValAccuracy = valAcc()
	emit(Event{Epoch: 0, ValAccuracy: res.InitialValAccuracy, EpochEnd: true})
	res.BestValAccuracy = res.InitialValAccuracy
	best := m.Clone()
	bad := 0

	gradBuf := zerosLike(params)
	order := make([]int, len(data.Train))
	batch := make([]Triplet, 0, c.BatchSize)
	res.StopReason = StopEpochs
	for epoch := 1; epoch <= c.Epochs; epoch++ {
		for i := range order {
			order[i] = i
		}
		shuffleRNG.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
		var epochLoss, epochW float64
		maxed := false
		for s, lo := 0, 0; lo < len(order) && !maxed; s, lo = s+1, lo+c.BatchSize {
			if err := ctx.Err(); err != nil {
				res.StopReason = StopError
				res.Model = m
				return res, fmt.Errorf("train: epoch %d step %d: %w", epoch, s+1, err)
			}
			idx := order[lo:min(lo+c.BatchSize, len(order))]
			batch = batch[:0]
			for _, i := range idx {
				batch = append(batch, data.Train[i])
			}
			loss, grads := lossGrad(ls, m, batch, gradBuf)
			if !finite(loss) || !allFinite(grads) {
				res.StopReason = StopError
				res.Model = m
				what := "gradient"
				if !finite(loss) {
					what = fmt.Sprintf("loss (%v)", loss)
				}
				cause := ""
				if culprits := nonFinite("train", data.Train, idx); len(culprits) > 0 {
					cause = "; NaN or infinite embeddings in " + strings.Join(culprits, ", ")
				}
				return res, fmt.Errorf("train: epoch %d step %d (global step %d): non-finite %s%s; returning the parameters from before this step: %w",
					epoch, s+1, res.Steps+1, what, cause, ErrNonFinite)
			}
			opt.Step(grads)
			res.Steps++
			_, sum := batchWeights(batch)
			epochLoss += loss * sum
			epochW += sum
			emit(Event{Epoch: epoch, Step: res.Steps, Loss: loss})
			maxed = c.MaxSteps > 0 && res.Steps >= c.MaxSteps
		}
		acc := valAcc()
		res.History = append(res.History, EpochStats{Epoch: epoch, Steps: res.Steps, TrainLoss: epochLoss / epochW, ValAccuracy: acc})
		emit(Event{Epoch: epoch, Step: res.Steps, Loss: epochLoss / epochW, ValAccuracy: acc, EpochEnd: true})
		if len(data.Val) == 0 {
			best, res.BestEpoch = m, epoch
		} else if acc > res.BestValAccuracy {
			res.BestValAccuracy, res.BestEpoch, best, bad = acc, epoch, m.Clone(), 0
		} else {
			bad++
		}
		if maxed {
			res.StopReason = StopMaxSteps
			break
		}
		if len(data.Val) > 0 && c.Patience > 0 {
			if res.BestValAccuracy == 1 {
				res.StopReason = StopPerfectResult
				break
			}
			if bad >= c.Patience {
				res.StopReason = StopEarly
				break
			}
		}
	}
	res.Model = best
	return res, nil
}

func finite(x float64) bool { return !math.IsNaN(x) && !math.IsInf(x, 0) }

func allFinite(gs [][]float64) bool {
	for _, g := range gs {
		for _, v := range g {
			if !finite(v) {
				return false
			}
		}
	}
	return true
}

// HashData returns a hex SHA-256 over the triplets of data (train then val,
// each triplet's lengths, float32 bits and weight), identifying the exact
// training data in checkpoints.
func HashData(data Data) string {
	h := sha256.New()
	h.Write([]byte("srbench/train data v1\n"))
	var buf [8]byte
	putU64 := func(v uint64) {
		binary.LittleEndian.PutUint64(buf[:], v)
		h.Write(buf[:])
	}
	for _, split := range [][]Triplet{data.Train, data.Val} {
		putU64(uint64(len(split)))
		for _, t := range split {
			for _, v := range [][]float32{t.Text, t.Pos, t.Neg} {
				putU64(uint64(len(v)))
				b := make([]byte, 4*len(v))
				for k, x := range v {
					binary.LittleEndian.PutUint32(b[4*k:], math.Float32bits(x))
				}
				h.Write(b)
			}
			putU64(math.Float64bits(t.weight()))
		}
	}
	return hex.EncodeToString(h.Sum(nil))
}
