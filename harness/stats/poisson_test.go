package stats

import (
	"math"
	"math/rand/v2"
	"runtime"
	"slices"
	"testing"
)

// ratioOf is the RatioStat of pairs under avg (prompts in order of first
// appearance, only those with counted pairs).
func ratioOf(t *testing.T, pairs []Pair, avg Averaging) RatioStat {
	t.Helper()
	cs, _, err := accuracyClusters(Slice(pairs), Policy{Averaging: avg}, true)
	if err != nil {
		t.Fatal(err)
	}
	if avg == Micro {
		return RatioStat{Num: cs.credit, Den: cs.weight}
	}
	r := RatioStat{Num: make([]float64, len(cs.credit)), Den: make([]float64, len(cs.credit))}
	for g := range cs.credit {
		r.Num[g], r.Den[g] = cs.credit[g]/cs.weight[g], 1
	}
	return r
}

// TestPoissonBootstrapAgrees checks the Poisson bootstrap against the
// multinomial cluster bootstrap on 3,000 prompts. Both estimate the same
// sampling distribution, so they differ by Monte Carlo error only (the
// O(1/prompts) difference between the two schemes is far smaller here). At
// B = 1000 a 2.5% or 97.5% percentile of a roughly normal distribution with
// standard deviation σ has MC standard error about
// σ·sqrt(0.025·0.975/B)/φ(1.96) ≈ 0.085σ, so the difference of two
// independent estimates has about 0.12σ: endpoints must agree within 0.5σ
// (4 standard errors). The replicates' standard deviation has relative MC
// error about 1/sqrt(2B) ≈ 2.2% each, so SEs must agree within 13%. σ is
// the multinomial bootstrap's SE.
func TestPoissonBootstrapAgrees(t *testing.T) {
	t.Parallel()
	a, b := clusteredPairs(rand.New(rand.NewPCG(7, 7)), 3000)
	for _, tc := range []struct {
		name string
		avg  Averaging
	}{{"micro", Micro}, {"macro", Macro}} {
		t.Run(tc.name, func(t *testing.T) {
			opts := BootstrapOptions{B: 1000, Seed: 3}
			ra, rb := ratioOf(t, a, tc.avg), ratioOf(t, b, tc.avg)
			pr, pd, err := PoissonBootstrap([]RatioStat{ra, rb}, []Diff{{0, 1}}, opts)
			if err != nil {
				t.Fatal(err)
			}
			ma, err := Bootstrap(a, Policy{Averaging: tc.avg}, opts)
			if err != nil {
				t.Fatal(err)
			}
			md, err := PairedBootstrap(a, b, Policy{Averaging: tc.avg}, opts)
			if err != nil {
				t.Fatal(err)
			}
			for _, c := range []struct {
				name string
				p, m BootstrapResult
			}{{"accuracy", pr[0], ma}, {"difference", pd[0], md}} {
				if math.Abs(c.p.Estimate-c.m.Estimate) > 1e-12 {
					t.Errorf("%s: estimate %v, multinomial %v", c.name, c.p.Estimate, c.m.Estimate)
				}
				if c.p.Clusters != c.m.Clusters {
					t.Errorf("%s: %d clusters, multinomial %d", c.name, c.p.Clusters, c.m.Clusters)
				}
				sigma := c.m.SE
				if d := math.Abs(c.p.Interval.Lo - c.m.Interval.Lo); d > 0.5*sigma {
					t.Errorf("%s: lower end %v, multinomial %v (|diff| %.2fσ)", c.name, c.p.Interval.Lo, c.m.Interval.Lo, d/sigma)
				}
				if d := math.Abs(c.p.Interval.Hi - c.m.Interval.Hi); d > 0.5*sigma {
					t.Errorf("%s: upper end %v, multinomial %v (|diff| %.2fσ)", c.name, c.p.Interval.Hi, c.m.Interval.Hi, d/sigma)
				}
				if r := c.p.SE / c.m.SE; r < 0.87 || r > 1.13 {
					t.Errorf("%s: SE %v, multinomial %v (ratio %.3f)", c.name, c.p.SE, c.m.SE, r)
				}
			}
		})
	}
}

// TestPoissonBootstrapDeterministic: the same seed gives identical
// replicates whatever GOMAXPROCS, with several blocks; another seed differs.
func TestPoissonBootstrapDeterministic(t *testing.T) {
	a, b := clusteredPairs(rand.New(rand.NewPCG(8, 8)), 3*PoissonBlock+17)
	ra, rb := ratioOf(t, a, Micro), ratioOf(t, b, Micro)
	run := func(procs int, seed uint64) ([]BootstrapResult, []BootstrapResult) {
		defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(procs))
		r, d, err := PoissonBootstrap([]RatioStat{ra, rb}, []Diff{{0, 1}, {1, 0}}, BootstrapOptions{B: 200, Seed: seed})
		if err != nil {
			t.Fatal(err)
		}
		return r, d
	}
	r1, d1 := run(1, 5)
	for _, tc := range []struct {
		procs int
		seed  uint64
		same  bool
	}{{1, 5, true}, {2, 5, true}, {3, 5, true}, {2, 6, false}} {
		r, d := run(tc.procs, tc.seed)
		same := true
		for i := range r {
			same = same && slices.Equal(r[i].Replicates, r1[i].Replicates) && r[i].Interval == r1[i].Interval
		}
		for i := range d {
			same = same && slices.Equal(d[i].Replicates, d1[i].Replicates)
		}
		if same != tc.same {
			t.Errorf("GOMAXPROCS %d, seed %d: identical = %v, want %v", tc.procs, tc.seed, same, tc.same)
		}
	}
}

func TestPoissonBootstrapErrors(t *testing.T) {
	t.Parallel()
	ok := RatioStat{Num: []float64{1, 0}, Den: []float64{1, 1}}
	for _, tc := range []struct {
		name   string
		ratios []RatioStat
		diffs  []Diff
	}{
		{"none", nil, nil},
		{"lengths", []RatioStat{ok, {Num: []float64{1}, Den: []float64{1}}}, nil},
		{"diff", []RatioStat{ok}, []Diff{{0, 1}}},
		{"empty", []RatioStat{{Num: []float64{0}, Den: []float64{0}}}, nil},
	} {
		if _, _, err := PoissonBootstrap(tc.ratios, tc.diffs, BootstrapOptions{}); err == nil {
			t.Errorf("%s: no error", tc.name)
		}
	}
}

// TestPoisson1 checks the Poisson(1) draws' mean and variance (both 1).
func TestPoisson1(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(1, 2))
	const n = 200000
	var s, s2 float64
	for range n {
		x := poisson1(rng)
		s += x
		s2 += x * x
	}
	mean := s / n
	v := s2/n - mean*mean
	// SE of the mean is 1/sqrt(n) ≈ 0.0022; of the variance about sqrt(3/n) ≈ 0.004.
	if math.Abs(mean-1) > 0.01 || math.Abs(v-1) > 0.02 {
		t.Errorf("mean %v, variance %v, want 1, 1", mean, v)
	}
}
