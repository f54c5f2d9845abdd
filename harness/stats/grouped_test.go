package stats

import (
	"cmp"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	gocmp "github.com/google/go-cmp/cmp"
)

// groupedPairs makes random pairs over prompts of 1 to 6 pairs, with
// weights (some 0, meaning 1), label ties, exact and near score ties and
// strengths, shuffled, then stably sorted by prompt: the same pairs in an
// order both paths see, so the map path numbers prompts in the order the
// grouped path meets them.
func groupedPairs(rng *rand.Rand, prompts int) []Pair {
	var ps []Pair
	for g := range prompts {
		for range 1 + rng.IntN(6) {
			p := Pair{PromptID: fmt.Sprintf("q%d", g), Label: Label(rng.IntN(3)), Strength: math.NaN()}
			p.ScoreA = math.Round(rng.NormFloat64()*4) / 4 // many exact ties
			p.ScoreB = math.Round(rng.NormFloat64()*4) / 4
			switch rng.IntN(4) {
			case 0:
				p.Weight = 0
			case 1:
				p.Weight = 0.1 + 3*rng.Float64()
			default:
				p.Weight = 1
			}
			if rng.IntN(3) > 0 {
				p.Strength = float64(rng.IntN(10))
			}
			ps = append(ps, p)
		}
	}
	rng.Shuffle(len(ps), func(i, j int) { ps[i], ps[j] = ps[j], ps[i] })
	slices.SortStableFunc(ps, func(a, b Pair) int { return cmp.Compare(a.PromptID, b.PromptID) })
	return ps
}

// TestGroupedSameResult: over a grouped source (Pair.Grouped) the streaming
// statistics give exactly the Result of the map path, for every policy
// (macro, weights, predicted and label ties, skipped labels), and so do the
// tie calibration and the strength bins.
func TestGroupedSameResult(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(5, 8))
	var pols []Policy
	for _, pt := range []PredTiePolicy{PredTieWrong, PredTieHalf, PredTieCorrect} {
		for _, lt := range []LabelTiePolicy{LabelTieSkip, LabelTieCorrect, LabelTieHalf, LabelTieMatch} {
			for _, avg := range []Averaging{Micro, Macro} {
				for _, eps := range []float64{0, 0.3} {
					pols = append(pols, Policy{PredTie: pt, LabelTie: lt, Averaging: avg, Epsilon: eps})
				}
			}
		}
	}
	for _, prompts := range []int{1, 7, 300} {
		ps := groupedPairs(rng, prompts)
		plain, grouped := Slice(ps), Grouped(Slice(ps))
		for _, pol := range pols {
			t.Run(fmt.Sprintf("%d/%s", prompts, pol), func(t *testing.T) {
				want, errW := AccuracyOf(plain, pol)
				got, errG := AccuracyOf(grouped, pol)
				if (errW == nil) != (errG == nil) {
					t.Fatalf("errors %v and %v", errW, errG)
				}
				if diff := gocmp.Diff(want, got); diff != "" {
					t.Errorf("accuracy (-map +grouped):\n%s", diff)
				}
				wb, errW := AccuracyByStrengthOf(plain, pol, 3, 0.95, Spill{})
				gb, errG := AccuracyByStrengthOf(grouped, pol, 3, 0.95, Spill{})
				if (errW == nil) != (errG == nil) {
					t.Fatalf("strength errors %v and %v", errW, errG)
				}
				if diff := gocmp.Diff(wb, gb); diff != "" {
					t.Errorf("strength bins (-map +grouped):\n%s", diff)
				}
			})
		}
		for _, avg := range []Averaging{Micro, Macro} {
			t.Run(fmt.Sprintf("%d/tiecal-%s", prompts, avg), func(t *testing.T) {
				want, errW := TieCalibrateOf(plain, avg, Spill{RunLen: 64})
				got, errG := TieCalibrateOf(grouped, avg, Spill{RunLen: 64})
				if (errW == nil) != (errG == nil) {
					t.Fatalf("errors %v and %v", errW, errG)
				}
				if diff := gocmp.Diff(want, got); diff != "" {
					t.Errorf("tie calibration (-map +grouped):\n%s", diff)
				}
			})
		}
	}
}

// TestGroupedMixed: a source that marks only some pairs Grouped is an
// error.
func TestGroupedMixed(t *testing.T) {
	t.Parallel()
	ps := []Pair{{PromptID: "a", Label: LabelA, ScoreA: 1, Grouped: true}, {PromptID: "b", Label: LabelB, ScoreB: 1}}
	if _, err := Accuracy(ps, Policy{}); err == nil {
		t.Error("accuracy: no error")
	}
	if _, err := TieCalibrate(ps, Micro); err == nil {
		t.Error("tie calibration: no error")
	}
}

// TestPoissonStreamAgrees checks the streaming Poisson bootstrap, its
// weights seeded per prompt key, against the multinomial cluster bootstrap
// on 3,000 prompts, with the tolerances of TestPoissonBootstrapAgrees:
// interval ends within 0.5σ, SEs within 13% (σ the multinomial SE). The
// estimate is the same statistic.
func TestPoissonStreamAgrees(t *testing.T) {
	t.Parallel()
	a, b := clusteredPairs(rand.New(rand.NewPCG(7, 7)), 3000)
	for _, avg := range []Averaging{Micro, Macro} {
		t.Run(avg.String(), func(t *testing.T) {
			opts := BootstrapOptions{B: 1000, Seed: 3}
			ra, rb := ratioOf(t, a, avg), ratioOf(t, b, avg)
			s, err := NewPoissonStream(2, []Diff{{0, 1}}, opts)
			if err != nil {
				t.Fatal(err)
			}
			for g := range ra.Num {
				h := fnvKey(fmt.Sprintf("g%03d", g))
				if err := s.Add(h, []float64{ra.Num[g], rb.Num[g]}, []float64{ra.Den[g], rb.Den[g]}); err != nil {
					t.Fatal(err)
				}
			}
			pr, pd, err := s.Finish()
			if err != nil {
				t.Fatal(err)
			}
			ma, err := Bootstrap(a, Policy{Averaging: avg}, opts)
			if err != nil {
				t.Fatal(err)
			}
			md, err := PairedBootstrap(a, b, Policy{Averaging: avg}, opts)
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
				sigma := c.m.SE
				if d := math.Abs(c.p.Interval.Lo - c.m.Interval.Lo); d > 0.5*sigma {
					t.Errorf("%s: lower ends %v and %v differ by %.2fσ", c.name, c.p.Interval.Lo, c.m.Interval.Lo, d/sigma)
				}
				if d := math.Abs(c.p.Interval.Hi - c.m.Interval.Hi); d > 0.5*sigma {
					t.Errorf("%s: upper ends %v and %v differ by %.2fσ", c.name, c.p.Interval.Hi, c.m.Interval.Hi, d/sigma)
				}
				if r := c.p.SE / sigma; r < 0.87 || r > 1.13 {
					t.Errorf("%s: SE %v, multinomial %v", c.name, c.p.SE, sigma)
				}
				if c.p.Clusters != 3000 || c.p.B != 1000 {
					t.Errorf("%s: %d clusters, B %d", c.name, c.p.Clusters, c.p.B)
				}
			}
		})
	}
}

// fnvKey is a 128-bit test key of a prompt id (two FNV-1a-64 states).
func fnvKey(id string) [2]uint64 {
	h1, h2 := uint64(14695981039346656037), uint64(0x6c62272e07bb0142)
	for i := range len(id) {
		h1 = (h1 ^ uint64(id[i])) * 1099511628211
		h2 = (h2 ^ uint64(id[i])) * 1099511628211
	}
	return [2]uint64{h1, h2}
}

// TestPoissonStreamOrderFree: a prompt's weights depend on its key, not on
// its position, so adding the prompts in another order gives the same
// replicates up to rounding, and the same result with 1 and 2 cores is
// checked by TestAnalyzePoissonDeterministic. A statistic without prompts
// gets a zero result.
func TestPoissonStreamOrderFree(t *testing.T) {
	t.Parallel()
	a, _ := clusteredPairs(rand.New(rand.NewPCG(9, 9)), 5000)
	ra := ratioOf(t, a, Micro)
	run := func(order []int) BootstrapResult {
		s, err := NewPoissonStream(2, nil, BootstrapOptions{B: 200, Seed: 1})
		if err != nil {
			t.Fatal(err)
		}
		for _, g := range order {
			if err := s.Add(fnvKey(fmt.Sprint(g)), []float64{ra.Num[g], 0}, []float64{ra.Den[g], 0}); err != nil {
				t.Fatal(err)
			}
		}
		rs, _, err := s.Finish()
		if err != nil {
			t.Fatal(err)
		}
		if rs[1].B != 0 || rs[1].Clusters != 0 {
			t.Errorf("empty statistic: %+v", rs[1])
		}
		return rs[0]
	}
	order := make([]int, len(ra.Num))
	for g := range order {
		order[g] = g
	}
	x := run(order)
	rand.New(rand.NewPCG(1, 2)).Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
	y := run(order)
	for i := range x.Replicates {
		if math.Abs(x.Replicates[i]-y.Replicates[i]) > 1e-12 {
			t.Fatalf("replicate %d: %v and %v", i, x.Replicates[i], y.Replicates[i])
		}
	}
}
