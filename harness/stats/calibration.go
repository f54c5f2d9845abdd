package stats

import (
	"errors"
	"fmt"
	"hash/fnv"
	"math"

	"gonum.org/v1/gonum/mat"
)

// ErrSeparation is returned (wrapped) when a logistic fit has no maximum
// likelihood estimate because the classes are (quasi-)separated by x.
var ErrSeparation = errors.New("classes are separated by x: the logistic MLE does not exist")

// Sigmoid is the logistic function 1/(1+exp(-x)), computed without
// overflow.
func Sigmoid(x float64) float64 {
	if x >= 0 {
		return 1 / (1 + math.Exp(-x))
	}
	e := math.Exp(x)
	return e / (1 + e)
}

// SoftmaxProb is the probability that A is preferred when the two scores
// are logits of a softmax over the pair, as PickScore does (its scores carry
// the logit scale): exp(a)/(exp(a)+exp(b)) = Sigmoid(a-b). For scorers
// whose scores are not logits (cosine, ImageReward's standardised reward)
// use a fitted LogisticFit instead.
func SoftmaxProb(p Pair) float64 { return Sigmoid(p.ScoreA - p.ScoreB) }

// LogisticFit is a logistic regression of "A preferred" on the score
// difference: P(A) = Sigmoid(Intercept + Slope·(ScoreA-ScoreB)).
type LogisticFit struct {
	Intercept, Slope     float64
	SEIntercept, SESlope float64 // from the inverse observed information
	LogLik               float64 // weighted log-likelihood at the optimum
	N                    int     // observations used
	Iterations           int     // Newton steps taken
}

// Prob returns the fitted probability that A is preferred for score
// difference d.
func (f LogisticFit) Prob(d float64) float64 { return Sigmoid(f.Intercept + f.Slope*d) }

// PairProb returns the fitted probability that A is preferred in p.
func (f LogisticFit) PairProb(p Pair) float64 { return f.Prob(p.ScoreA - p.ScoreB) }

// FitLogistic fits y ~ Sigmoid(b0 + b1·x) by Newton-Raphson (IRLS) on the
// weighted log-likelihood sum w·(y log p + (1-y) log(1-p)), starting from
// zero, until the step is below 1e-12 (relative). With w nil it matches
// statsmodels Logit(y, add_constant(x)).fit() (params, bse, llf); with
// weights it matches GLM(Binomial, freq_weights=w). y must be 0 or 1,
// weights finite and >= 0 (nil means all 1; unlike Pair.Weight, 0 here
// drops the observation). It returns ErrSeparation when the positive-weight
// observations of the two classes do not overlap in x.
func FitLogistic(x, y, w []float64) (LogisticFit, error) {
	n := len(x)
	if len(y) != n || (w != nil && len(w) != n) {
		return LogisticFit{}, fmt.Errorf("logistic fit: len(x) = %d, len(y) = %d, len(w) = %d, want equal (w may be nil)", n, len(y), len(w))
	}
	return fitLogistic(func(visit func(x, y, w float64) error) error {
		for i := range n {
			wi := 1.0
			if w != nil {
				wi = w[i]
			}
			if err := visit(x[i], y[i], wi); err != nil {
				return err
			}
		}
		return nil
	})
}

// obsSource is a re-iterable sequence of weighted observations (x, y, w).
type obsSource func(visit func(x, y, w float64) error) error

// fitLogistic is FitLogistic over an observation source: one pass to check
// the data, then one pass per Newton step, so memory does not grow with n.
func fitLogistic(obs obsSource) (LogisticFit, error) {
	// Range of x in each class, for the separation check.
	lo := [2]float64{math.Inf(1), math.Inf(1)}
	hi := [2]float64{math.Inf(-1), math.Inf(-1)}
	used, i := 0, 0
	err := obs(func(x, y, w float64) error {
		defer func() { i++ }()
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return fmt.Errorf("logistic fit: x[%d] = %v, want a finite number", i, x)
		}
		if y != 0 && y != 1 {
			return fmt.Errorf("logistic fit: y[%d] = %v, want 0 or 1", i, y)
		}
		if !(w >= 0) || math.IsInf(w, 0) {
			return fmt.Errorf("logistic fit: w[%d] = %v, want a finite number >= 0", i, w)
		} else if w == 0 {
			return nil
		}
		c := int(y)
		lo[c] = math.Min(lo[c], x)
		hi[c] = math.Max(hi[c], x)
		used++
		return nil
	})
	if err != nil {
		return LogisticFit{}, err
	}
	if math.IsInf(lo[0], 1) || math.IsInf(lo[1], 1) {
		return LogisticFit{}, fmt.Errorf("logistic fit: only one class among %d observations: %w", used, ErrSeparation)
	}
	if hi[0] <= lo[1] || hi[1] <= lo[0] {
		return LogisticFit{}, fmt.Errorf("logistic fit: x ranges [%v, %v] (y=0) and [%v, %v] (y=1): %w", lo[0], hi[0], lo[1], hi[1], ErrSeparation)
	}

	var b0, b1 float64
	var ch mat.Cholesky
	grad := mat.NewVecDense(2, nil)
	var step mat.VecDense
	// hess sets grad to the score and factorises the information matrix at
	// (b0, b1): one pass over the observations.
	hess := func() error {
		var h00, h01, h11, g0, g1 float64
		err := obs(func(x, y, w float64) error {
			if w == 0 {
				return nil
			}
			p := Sigmoid(b0 + b1*x)
			v := w * p * (1 - p)
			h00 += v
			h01 += v * x
			h11 += v * x * x
			r := w * (y - p)
			g0 += r
			g1 += r * x
			return nil
		})
		if err != nil {
			return err
		}
		grad.SetVec(0, g0)
		grad.SetVec(1, g1)
		h := mat.NewSymDense(2, []float64{h00, h01, h01, h11})
		if !ch.Factorize(h) {
			return fmt.Errorf("logistic fit: information matrix not positive definite at (%v, %v) (x constant?)", b0, b1)
		}
		return nil
	}
	const maxIter = 100
	it := 0
	for ; ; it++ {
		if it == maxIter {
			return LogisticFit{}, fmt.Errorf("logistic fit: no convergence in %d Newton steps (last estimate %v, %v)", maxIter, b0, b1)
		}
		if err := hess(); err != nil {
			return LogisticFit{}, err
		}
		if err := ch.SolveVecTo(&step, grad); err != nil {
			return LogisticFit{}, fmt.Errorf("logistic fit: newton step: %w", err)
		}
		d0, d1 := step.AtVec(0), step.AtVec(1)
		b0 += d0
		b1 += d1
		if math.Abs(d0) <= 1e-12*(1+math.Abs(b0)) && math.Abs(d1) <= 1e-12*(1+math.Abs(b1)) {
			it++
			break
		}
	}
	// Standard errors from the information at the optimum.
	if err := hess(); err != nil {
		return LogisticFit{}, err
	}
	var cov mat.SymDense
	if err := ch.InverseTo(&cov); err != nil {
		return LogisticFit{}, fmt.Errorf("logistic fit: covariance: %w", err)
	}
	var ll float64
	err = obs(func(x, y, w float64) error {
		if w == 0 {
			return nil
		}
		eta := b0 + b1*x
		if y == 1 {
			ll -= w * softplus(-eta)
		} else {
			ll -= w * softplus(eta)
		}
		return nil
	})
	if err != nil {
		return LogisticFit{}, err
	}
	return LogisticFit{
		Intercept: b0, Slope: b1,
		SEIntercept: math.Sqrt(cov.At(0, 0)), SESlope: math.Sqrt(cov.At(1, 1)),
		LogLik: ll, N: used, Iterations: it,
	}, nil
}

// softplus is log(1+exp(x)) without overflow.
func softplus(x float64) float64 {
	if x > 0 {
		return x + math.Log1p(math.Exp(-x))
	}
	return math.Log1p(math.Exp(x))
}

// FitPairLogistic fits the label (A preferred = 1, B = 0; label ties
// skipped) on ScoreA-ScoreB with the pairs' weights (see FitLogistic).
func FitPairLogistic(pairs []Pair) (LogisticFit, error) { return FitPairLogisticOf(Slice(pairs)) }

// FitPairLogisticOf is [FitPairLogistic] over a [Source]: a checking pass,
// then one pass per Newton step.
func FitPairLogisticOf(src Source) (LogisticFit, error) {
	if err := checkSource(src); err != nil {
		return LogisticFit{}, fmt.Errorf("logistic fit: %w", err)
	}
	return fitLogistic(pairOutcomes(src, func(p Pair) float64 { return p.ScoreA - p.ScoreB }))
}

// checkSource validates every pair of src.
func checkSource(src Source) error {
	i := 0
	return src(func(p Pair) error {
		err := p.check(i)
		i++
		return err
	})
}

// pairOutcomes is the observation source (f(p), 1 if A is preferred else
// 0, weight) of the pairs with an A or B label.
func pairOutcomes(src Source, f func(Pair) float64) obsSource {
	return func(visit func(x, y, w float64) error) error {
		return src(func(p Pair) error {
			if p.Label == LabelTie {
				return nil
			}
			y := 0.0
			if p.Label == LabelA {
				y = 1
			}
			return visit(f(p), y, p.weight())
		})
	}
}

// ReliabilityBin is one bin of a reliability diagram.
type ReliabilityBin struct {
	Lo, Hi   float64 // the bin's probability range [Lo, Hi) ([Lo, Hi] for the last)
	MeanPred float64 // weighted mean predicted probability in the bin
	Observed float64 // weighted mean outcome (observed frequency) in the bin
	Weight   float64 // total weight in the bin
	Count    int     // observations in the bin
}

// Calibration is a reliability diagram and its expected calibration error.
type Calibration struct {
	Bins []ReliabilityBin // non-empty bins only, in increasing probability
	// ECE is sum over bins of Weight/total · |MeanPred - Observed|.
	ECE float64
}

// Reliability bins predicted probabilities into k equal-width bins
// [j/k, (j+1)/k) (the last closed at 1; bin index min(floor(p·k), k-1)) and
// returns each non-empty bin's mean prediction, observed frequency and size,
// and the expected calibration error. prob and outcome are in [0, 1]
// (an outcome of 0.5 for a tie is allowed); weight may be nil (all 1).
// The probabilities are an input: Sigmoid of a fitted LogisticFit for any
// scorer, or SoftmaxProb for scorers whose scores are logits (PickScore).
func Reliability(prob, outcome, weight []float64, k int) (Calibration, error) {
	n := len(prob)
	if len(outcome) != n || (weight != nil && len(weight) != n) {
		return Calibration{}, fmt.Errorf("reliability: len(prob) = %d, len(outcome) = %d, len(weight) = %d, want equal (weight may be nil)", n, len(outcome), len(weight))
	}
	return reliability(func(visit func(p, o, w float64) error) error {
		for i := range n {
			w := 1.0
			if weight != nil {
				w = weight[i]
			}
			if err := visit(prob[i], outcome[i], w); err != nil {
				return err
			}
		}
		return nil
	}, k)
}

// reliability is Reliability over a source of (probability, outcome,
// weight), in one pass.
func reliability(obs obsSource, k int) (Calibration, error) {
	if k < 1 {
		return Calibration{}, fmt.Errorf("reliability: %d bins, want at least 1", k)
	}
	type acc struct {
		w, wp, wo float64
		n         int
	}
	bins := make([]acc, k)
	var total float64
	i := 0
	err := obs(func(p, o, w float64) error {
		defer func() { i++ }()
		if !(p >= 0 && p <= 1) {
			return fmt.Errorf("reliability: prob[%d] = %v, want 0 <= p <= 1", i, p)
		}
		if !(o >= 0 && o <= 1) {
			return fmt.Errorf("reliability: outcome[%d] = %v, want 0 <= outcome <= 1", i, o)
		}
		if !(w >= 0) || math.IsInf(w, 0) {
			return fmt.Errorf("reliability: weight[%d] = %v, want a finite number >= 0", i, w)
		}
		j := min(int(math.Floor(p*float64(k))), k-1)
		bins[j].w += w
		bins[j].wp += w * p
		bins[j].wo += w * o
		bins[j].n++
		total += w
		return nil
	})
	if err != nil {
		return Calibration{}, err
	}
	if total == 0 {
		return Calibration{}, fmt.Errorf("reliability: total weight 0: %w", ErrNoPairs)
	}
	var c Calibration
	for j, b := range bins {
		if b.n == 0 || b.w == 0 {
			continue
		}
		rb := ReliabilityBin{
			Lo: float64(j) / float64(k), Hi: float64(j+1) / float64(k),
			MeanPred: b.wp / b.w, Observed: b.wo / b.w, Weight: b.w, Count: b.n,
		}
		c.ECE += b.w / total * math.Abs(rb.MeanPred-rb.Observed)
		c.Bins = append(c.Bins, rb)
	}
	return c, nil
}

// PairReliability is Reliability of prob(p) against "A preferred" (1 for A,
// 0 for B; label ties skipped) with the pairs' weights.
func PairReliability(pairs []Pair, prob func(Pair) float64, k int) (Calibration, error) {
	return PairReliabilityOf(Slice(pairs), prob, k)
}

// PairReliabilityOf is [PairReliability] over a [Source], in two passes.
func PairReliabilityOf(src Source, prob func(Pair) float64, k int) (Calibration, error) {
	if err := checkSource(src); err != nil {
		return Calibration{}, fmt.Errorf("reliability: %w", err)
	}
	return reliability(pairOutcomes(src, prob), k)
}

// CrossFit is a logistic calibration fitted out of fold: the prompts are
// split into Folds groups by a hash of their id, and the probability of a
// pair comes from the fit on the other groups' pairs, so a reliability
// diagram or ECE computed from it is not judged on the data it was fitted
// to. Pairs of one prompt always share a fold.
type CrossFit struct {
	Folds int
	// Fits[j] was fitted on every pair outside fold j.
	Fits []LogisticFit
}

// Fold returns the fold of a prompt: FNV-1a (64 bit) of the id, modulo
// Folds.
func (c CrossFit) Fold(promptID string) int { return promptFold(promptID, c.Folds) }

func promptFold(promptID string, k int) int {
	h := fnv.New64a()
	h.Write([]byte(promptID))
	return int(h.Sum64() % uint64(k))
}

// PairProb is the out-of-fold probability that A is preferred.
func (c CrossFit) PairProb(p Pair) float64 { return c.Fits[c.Fold(p.PromptID)].PairProb(p) }

// CrossFitPairLogisticOf fits FitPairLogistic k times (k >= 2), leaving out
// one fold of prompts each time (see CrossFit). It fails when any of the k
// fits fails (one class only, or separated classes, in the pairs left in),
// naming the fold.
func CrossFitPairLogisticOf(src Source, k int) (CrossFit, error) {
	if k < 2 {
		return CrossFit{}, fmt.Errorf("cross-fitted logistic: %d folds, want at least 2", k)
	}
	if err := checkSource(src); err != nil {
		return CrossFit{}, fmt.Errorf("cross-fitted logistic: %w", err)
	}
	c := CrossFit{Folds: k, Fits: make([]LogisticFit, k)}
	for j := range k {
		rest := func(visit func(Pair) error) error {
			return src(func(p Pair) error {
				if promptFold(p.PromptID, k) == j {
					return nil
				}
				return visit(p)
			})
		}
		fit, err := fitLogistic(pairOutcomes(rest, func(p Pair) float64 { return p.ScoreA - p.ScoreB }))
		if err != nil {
			return CrossFit{}, fmt.Errorf("cross-fitted logistic: fit without fold %d of %d: %w", j+1, k, err)
		}
		c.Fits[j] = fit
	}
	return c, nil
}
