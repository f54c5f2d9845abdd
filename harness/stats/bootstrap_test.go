package stats

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// simPairs makes n independent pairs (each its own prompt) that a scorer gets
// right with probability p.
func simPairs(rng *rand.Rand, n int, p float64) []Pair {
	ps := make([]Pair, n)
	for i := range ps {
		ps[i] = Pair{PromptID: fmt.Sprint(i), Label: LabelA, ScoreA: 1, ScoreB: 0}
		if rng.Float64() >= p {
			ps[i].ScoreA = -1
		}
	}
	return ps
}

// clusteredPairs makes g prompts of 1..30 pairs whose accuracy varies by
// prompt (a random effect), scored by two correlated scorers.
func clusteredPairs(rng *rand.Rand, g int) (a, b []Pair) {
	for k := range g {
		pa := Sigmoid(0.8 + 1.2*rng.NormFloat64())
		pb := math.Min(1, pa*(0.8+0.3*rng.Float64()))
		size := 1 + rng.IntN(30)
		for range size {
			id := fmt.Sprintf("g%03d", k)
			u := rng.Float64()
			sa, sb := -1.0, -1.0
			if u < pa {
				sa = 1
			}
			if u < pb || (u >= pa && rng.Float64() < 0.1) {
				sb = 1
			}
			a = append(a, Pair{PromptID: id, Label: LabelA, ScoreA: sa})
			b = append(b, Pair{PromptID: id, Label: LabelA, ScoreA: sb})
		}
	}
	return a, b
}

func TestBootstrapReproducible(t *testing.T) {
	t.Parallel()
	ps := simPairs(rand.New(rand.NewPCG(1, 1)), 300, 0.7)
	opts := BootstrapOptions{B: 200, Seed: 42}
	r1, err := Bootstrap(ps, Policy{}, opts)
	if err != nil {
		t.Fatal(err)
	}
	r2, _ := Bootstrap(ps, Policy{}, opts)
	if !slices.Equal(r1.Replicates, r2.Replicates) || r1.Interval != r2.Interval {
		t.Error("same seed, different replicates")
	}
	r3, _ := Bootstrap(ps, Policy{}, BootstrapOptions{B: 200, Seed: 43})
	if slices.Equal(r1.Replicates, r3.Replicates) {
		t.Error("different seeds, same replicates")
	}
	if r1.B != 200 || r1.Seed != 42 || r1.Clusters != 300 || r1.Interval.Level != 0.95 {
		t.Errorf("metadata %+v", r1)
	}
	def, _ := Bootstrap(ps, Policy{}, BootstrapOptions{})
	if def.B != 1000 || def.Interval.Level != 0.95 {
		t.Errorf("defaults: B %d level %v", def.B, def.Interval.Level)
	}
}

func TestBootstrapIndependentMatchesAnalytic(t *testing.T) {
	t.Parallel()
	// With one pair per prompt the bootstrap variance of the mean is
	// p̂(1-p̂)/n exactly in expectation; the SD of B replicates has relative
	// Monte Carlo error about 1/sqrt(2(B-1)), so we allow 4 of those.
	const n, B = 2000, 2000
	ps := simPairs(rand.New(rand.NewPCG(2, 2)), n, 0.7)
	r, err := Bootstrap(ps, Policy{}, BootstrapOptions{B: B, Seed: 7})
	if err != nil {
		t.Fatal(err)
	}
	p := r.Estimate
	se := math.Sqrt(p * (1 - p) / n)
	tol := 4 / math.Sqrt(2*(B-1))
	t.Logf("bootstrap SE %.5f, sqrt(p(1-p)/n) %.5f, tolerance %.3f", r.SE, se, tol)
	if rel := r.SE/se - 1; math.Abs(rel) > tol {
		t.Errorf("bootstrap SE %.5f vs sqrt(p(1-p)/n) %.5f: relative difference %.3f > %.3f", r.SE, se, rel, tol)
	}
	// The percentile interval agrees with Wilson's to a fraction of an SE
	// (quantile Monte Carlo error ≈ 0.06 SE at B = 2000, plus skewness).
	res, _ := Accuracy(ps, Policy{})
	w, _ := res.Wilson(0.95)
	t.Logf("bootstrap [%.4f, %.4f], Wilson [%.4f, %.4f]", r.Interval.Lo, r.Interval.Hi, w.Lo, w.Hi)
	if math.Abs(r.Interval.Lo-w.Lo) > 0.3*se || math.Abs(r.Interval.Hi-w.Hi) > 0.3*se {
		t.Errorf("bootstrap [%.4f, %.4f] vs Wilson [%.4f, %.4f] (SE %.4f)", r.Interval.Lo, r.Interval.Hi, w.Lo, w.Hi, se)
	}
}

func TestBootstrapClusteredMatchesLinearization(t *testing.T) {
	t.Parallel()
	// Cluster bootstrap variance ≈ the linearised (delta-method) variance
	// of the ratio estimator, sum_g (c_g - p̂ w_g)² / W², for micro, and
	// sum_g (a_g - ā)²/G² for macro (exact in expectation).
	const B = 2000
	ps, _ := clusteredPairs(rand.New(rand.NewPCG(3, 3)), 150)
	for _, avg := range []Averaging{Micro, Macro} {
		t.Run(avg.String(), func(t *testing.T) {
			pol := Policy{Averaging: avg}
			r, err := Bootstrap(ps, pol, BootstrapOptions{B: B, Seed: 11})
			if err != nil {
				t.Fatal(err)
			}
			cs := promptSums(ps, pol)
			g := float64(len(cs.credit))
			var ss, W float64
			for k := range cs.credit {
				W += cs.weight[k]
			}
			for k := range cs.credit {
				if avg == Micro {
					d := cs.credit[k] - r.Estimate*cs.weight[k]
					ss += d * d
				} else {
					d := cs.credit[k]/cs.weight[k] - r.Estimate
					ss += d * d
				}
			}
			se := math.Sqrt(ss) / W
			tol := 4 / math.Sqrt(2*(B-1))
			if avg == Macro {
				se = math.Sqrt(ss) / g
			} else {
				tol += 0.02 // ratio-estimator non-linearity
				// Clustering matters here: the naive binomial SE is too small.
				naive := math.Sqrt(r.Estimate * (1 - r.Estimate) / W)
				t.Logf("cluster SE %.5f, naive binomial %.5f", r.SE, naive)
				if r.SE < 1.2*naive {
					t.Errorf("cluster SE %.4f not above naive %.4f: test data not clustered", r.SE, naive)
				}
			}
			t.Logf("bootstrap SE %.5f, linearised %.5f, tolerance %.3f", r.SE, se, tol)
			if rel := r.SE/se - 1; math.Abs(rel) > tol {
				t.Errorf("bootstrap SE %.5f vs linearised %.5f: relative difference %.3f > %.3f", r.SE, se, rel, tol)
			}
		})
	}
}

func TestBootstrapCoverage(t *testing.T) {
	t.Parallel()
	// 200 data sets of 300 independent pairs with true accuracy 0.7: the
	// 95% percentile interval should cover 0.7 in about 95% of them; with
	// 200 trials the binomial SE of the coverage is 0.015, so [0.90, 0.99]
	// is a 3-SE band.
	const M, n, p = 200, 300, 0.7
	rng := rand.New(rand.NewPCG(4, 4))
	covered := 0
	for m := range M {
		ps := simPairs(rng, n, p)
		r, err := Bootstrap(ps, Policy{}, BootstrapOptions{B: 400, Seed: uint64(m)})
		if err != nil {
			t.Fatal(err)
		}
		if r.Interval.Lo <= p && p <= r.Interval.Hi {
			covered++
		}
	}
	t.Logf("coverage %d/%d", covered, M)
	if c := float64(covered) / M; c < 0.90 || c > 0.99 {
		t.Errorf("coverage %.3f, want within [0.90, 0.99] of nominal 0.95", c)
	}
}

func TestPairedBootstrap(t *testing.T) {
	t.Parallel()
	const B = 2000
	a, b := clusteredPairs(rand.New(rand.NewPCG(5, 5)), 150)
	r, err := PairedBootstrap(a, b, Policy{}, BootstrapOptions{B: B, Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	ra, _ := Accuracy(a, Policy{})
	rb, _ := Accuracy(b, Policy{})
	if r.Estimate != ra.Accuracy-rb.Accuracy {
		t.Errorf("estimate %v, want %v", r.Estimate, ra.Accuracy-rb.Accuracy)
	}
	// Linearised SE of the difference of two ratio estimators with the same
	// denominators: sqrt(sum_g (c^a_g - c^b_g - (p̂a - p̂b) w_g)²) / W.
	ca, cb := promptSums(a, Policy{}), promptSums(b, Policy{})
	var ss, W float64
	for k := range ca.credit {
		d := ca.credit[k] - cb.credit[k] - r.Estimate*ca.weight[k]
		ss += d * d
		W += ca.weight[k]
	}
	se := math.Sqrt(ss) / W
	tol := 4/math.Sqrt(2*(B-1)) + 0.02
	t.Logf("paired SE %.5f, linearised %.5f, tolerance %.3f", r.SE, se, tol)
	if rel := r.SE/se - 1; math.Abs(rel) > tol {
		t.Errorf("paired SE %.5f vs linearised %.5f: relative difference %.3f > %.3f", r.SE, se, rel, tol)
	}
	// Pairing matters: the paired SE is below the SE of independent
	// bootstraps combined, because the scorers are correlated.
	sa, _ := Bootstrap(a, Policy{}, BootstrapOptions{B: B, Seed: 3})
	sb, _ := Bootstrap(b, Policy{}, BootstrapOptions{B: B, Seed: 4})
	indep := math.Hypot(sa.SE, sb.SE)
	t.Logf("paired SE %.5f, independent %.5f", r.SE, indep)
	if r.SE > 0.8*indep {
		t.Errorf("paired SE %.4f not below independent %.4f", r.SE, indep)
	}
	// A scorer against itself: every replicate is 0.
	self, _ := PairedBootstrap(a, a, Policy{}, BootstrapOptions{B: 50})
	if self.Estimate != 0 || self.Interval.Lo != 0 || self.Interval.Hi != 0 || self.SE != 0 {
		t.Errorf("self comparison %+v", self)
	}
}

func TestBootstrapErrors(t *testing.T) {
	t.Parallel()
	ps := smallTable()
	for name, opts := range map[string]BootstrapOptions{
		"B=1":       {B: 1},
		"B<0":       {B: -5},
		"level>1":   {Level: 1.5},
		"level<0":   {Level: -0.5},
		"level=NaN": {Level: math.NaN()},
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := Bootstrap(ps, Policy{}, opts); err == nil {
				t.Error("no error")
			}
		})
	}
	if _, err := Bootstrap(nil, Policy{}, BootstrapOptions{}); err == nil {
		t.Error("no pairs: no error")
	}
	b := smallTable()
	b[1].PromptID = "other"
	if _, err := PairedBootstrap(ps, b, Policy{}, BootstrapOptions{}); err == nil {
		t.Error("misaligned: no error")
	}
	b = smallTable()
	b[1].Weight = 2
	if _, err := PairedBootstrap(ps, b, Policy{}, BootstrapOptions{}); err == nil {
		t.Error("different weights: no error")
	}
}

// promptSums is the test's own per-prompt credit and weight sums (prompts
// with counted pairs, in order of first appearance).
func promptSums(ps []Pair, pol Policy) clusterStats {
	var order []string
	credit, weight := map[string]float64{}, map[string]float64{}
	for _, p := range ps {
		if _, seen := weight[p.PromptID]; !seen {
			order = append(order, p.PromptID)
			weight[p.PromptID] = 0
		}
		c, ok := Credit(p, pol)
		if !ok {
			continue
		}
		w := p.weight()
		credit[p.PromptID] += w * c
		weight[p.PromptID] += w
	}
	var cs clusterStats
	for _, id := range order {
		if weight[id] > 0 {
			cs.credit = append(cs.credit, credit[id])
			cs.weight = append(cs.weight, weight[id])
		}
	}
	return cs
}
