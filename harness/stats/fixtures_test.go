package stats

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// The fixtures are made by testdata/make_fixtures.py with scipy 1.10,
// statsmodels 0.13 and mpmath 1.2 (see the script); inputs are stored next
// to the expected values.

type fixPair struct {
	Prompt   string   `json:"prompt"`
	Label    string   `json:"label"`
	A        float64  `json:"a"`
	B        float64  `json:"b"`
	A2       float64  `json:"a2"`
	B2       float64  `json:"b2"`
	W        float64  `json:"w"`
	Strength *float64 `json:"strength"`
}

type fixtures struct {
	Wilson []struct {
		Successes, N, Level, Lo, Hi float64
	} `json:"wilson"`
	McNemar []struct {
		B, C       int
		P          float64
		PBinomtest float64 `json:"p_binomtest"`
	} `json:"mcnemar"`
	Holm []struct {
		P        []float64
		Alpha    float64
		Adjusted []float64
		Reject   []bool
	} `json:"holm"`
	Pairs    []fixPair `json:"pairs"`
	Accuracy []struct {
		Name                     string
		PickscoreT               float64 `json:"pickscore_t"`
		Epsilon                  float64
		Macro, Weighted          bool
		Accuracy, Credit, Weight float64
		Pairs, Skipped, Prompts  int
		PredTies                 int `json:"pred_ties"`
	} `json:"accuracy"`
	Tiecal []struct {
		Macro, Weighted   bool
		Epsilon, Accuracy float64
	} `json:"tiecal"`
	PairsMcNemar struct {
		B, C int
		P    float64
	} `json:"pairs_mcnemar"`
	Kendall []struct {
		Name   string
		X, Y   []float64
		Tau, P float64
	} `json:"kendall"`
	Agreement struct {
		Same      int
		EitherTie int `json:"either_tie"`
		N         int
	} `json:"agreement"`
	ClopperPearson []struct {
		Successes, N int
		Level        float64
		Lo, Hi       float64
		BinomtestP   float64 `json:"binomtest_p"`
	} `json:"clopper_pearson"`
	Crossfit struct {
		K     int
		Folds []int
		Prob  []float64
	} `json:"crossfit"`
	Logistic struct {
		Unweighted struct {
			Params, Bse []float64
			Llf         float64
			Nobs        int
		}
		Weighted struct {
			Params, Bse []float64
			Llf         float64
		}
	} `json:"logistic"`
	LogisticLarge struct {
		X, Y, Params, Bse []float64
		Llf               float64
	} `json:"logistic_large"`
	Reliability []struct {
		Name         string
		Prob, Obs, W []float64
		BinsK        int `json:"bins_k"`
		Bins         []struct {
			Bin, Count       int
			Weight, Observed float64
			MeanPred         float64 `json:"mean_pred"`
		}
		Ece float64
	} `json:"reliability"`
	Strength struct {
		BinsK int `json:"bins_k"`
		Edges []float64
		Bins  []struct {
			Lo, Hi   float64
			Pairs    int
			Accuracy float64
			WilsonLo float64 `json:"wilson_lo"`
			WilsonHi float64 `json:"wilson_hi"`
		}
	} `json:"strength"`
	Rankings struct {
		Rankings []struct {
			Prompt string
			Ranks  []int
			Scores []float64
		}
		Inversion          []float64
		InversionMean      float64 `json:"inversion_mean"`
		ImagerewardMacro   float64 `json:"imagereward_macro"`
		ImagerewardPrompts int     `json:"imagereward_prompts"`
	} `json:"rankings"`
	TInterval struct {
		Cases []struct {
			Name                    string
			X                       []float64
			Level, Mean, SD, Lo, Hi float64
			LoMpmath                float64 `json:"lo_mpmath"`
			HiMpmath                float64 `json:"hi_mpmath"`
		}
	} `json:"t_interval"`
	Spearman []struct {
		Name  string
		X, Y  []float64
		Rho   float64
		RankX []float64 `json:"rank_x"`
		RankY []float64 `json:"rank_y"`
	} `json:"spearman"`
	Binomtest []struct {
		B, C                   int
		Greater, Less, McNemar float64
	} `json:"binomtest"`
}

var loadFixtures = sync.OnceValues(func() (*fixtures, error) {
	b, err := os.ReadFile("testdata/fixtures.json")
	if err != nil {
		return nil, err
	}
	var f fixtures
	if err := json.Unmarshal(b, &f); err != nil {
		return nil, err
	}
	return &f, nil
})

func fix(t *testing.T) *fixtures {
	t.Helper()
	f, err := loadFixtures()
	if err != nil {
		t.Fatalf("fixtures: %v", err)
	}
	return f
}

// fixturePairs returns the fixture pairs as scored by scorer 1 (second =
// false) or scorer 2, with weights when weighted.
func fixturePairs(t *testing.T, second, weighted bool) []Pair {
	t.Helper()
	var out []Pair
	for i, fp := range fix(t).Pairs {
		l, err := ParseLabel(fp.Label)
		if err != nil {
			t.Fatalf("fixture pair %d: %v", i, err)
		}
		p := Pair{PromptID: fp.Prompt, Label: l, ScoreA: fp.A, ScoreB: fp.B, Strength: math.NaN()}
		if second {
			p.ScoreA, p.ScoreB = fp.A2, fp.B2
		}
		if weighted {
			p.Weight = fp.W
		}
		if fp.Strength != nil {
			p.Strength = *fp.Strength
		}
		out = append(out, p)
	}
	return out
}

// near reports |got-want| <= abs + rel*|want|.
func near(got, want, abs, rel float64) bool {
	if math.IsInf(want, 0) || math.IsNaN(want) {
		return got == want || (math.IsNaN(got) && math.IsNaN(want))
	}
	return math.Abs(got-want) <= abs+rel*math.Abs(want)
}

func TestWilsonFixtures(t *testing.T) {
	t.Parallel()
	for _, c := range fix(t).Wilson {
		t.Run("", func(t *testing.T) {
			got, err := Wilson(c.Successes, c.N, c.Level)
			if err != nil {
				t.Fatal(err)
			}
			if !near(got.Lo, c.Lo, 1e-9, 0) || !near(got.Hi, c.Hi, 1e-9, 0) {
				t.Errorf("Wilson(%v, %v, %v) = [%.12f, %.12f], statsmodels [%.12f, %.12f]", c.Successes, c.N, c.Level, got.Lo, got.Hi, c.Lo, c.Hi)
			}
		})
	}
}

func TestMcNemarFixtures(t *testing.T) {
	t.Parallel()
	for _, c := range fix(t).McNemar {
		t.Run("", func(t *testing.T) {
			got := McNemarExact(c.B, c.C)
			if !near(got, c.P, 1e-15, 1e-9) || !near(got, c.PBinomtest, 1e-15, 1e-9) {
				t.Errorf("McNemarExact(%d, %d) = %.15g, statsmodels %.15g, scipy binomtest %.15g", c.B, c.C, got, c.P, c.PBinomtest)
			}
		})
	}
}

func TestMcNemarPairsFixture(t *testing.T) {
	t.Parallel()
	f := fix(t)
	a := fixturePairs(t, false, false)
	b := fixturePairs(t, true, false)
	pol, _ := ParsePolicy("imagereward")
	got, err := McNemar(a, b, pol)
	if err != nil {
		t.Fatal(err)
	}
	if got.AWins != f.PairsMcNemar.B || got.BWins != f.PairsMcNemar.C {
		t.Errorf("discordant = (%d, %d), want (%d, %d)", got.AWins, got.BWins, f.PairsMcNemar.B, f.PairsMcNemar.C)
	}
	if !near(got.P, f.PairsMcNemar.P, 1e-15, 1e-9) {
		t.Errorf("P = %.15g, statsmodels %.15g", got.P, f.PairsMcNemar.P)
	}
}

func TestHolmFixtures(t *testing.T) {
	t.Parallel()
	for _, c := range fix(t).Holm {
		t.Run("", func(t *testing.T) {
			got, err := Holm(c.P, c.Alpha)
			if err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(c.Reject, got.Reject); d != "" {
				t.Errorf("Holm(%v, %v) reject (-statsmodels +got):\n%s", c.P, c.Alpha, d)
			}
			for i := range c.Adjusted {
				if !near(got.Adjusted[i], c.Adjusted[i], 1e-12, 1e-12) {
					t.Errorf("adjusted[%d] = %.15g, statsmodels %.15g", i, got.Adjusted[i], c.Adjusted[i])
				}
			}
		})
	}
}

func TestAccuracyFixtures(t *testing.T) {
	t.Parallel()
	for _, c := range fix(t).Accuracy {
		name := c.Name
		pol, err := ParsePolicy(name)
		if err != nil {
			t.Fatal(err)
		}
		switch name {
		case "pickscore":
			pol.Epsilon, err = PickScoreEpsilon(c.PickscoreT)
			if err != nil {
				t.Fatal(err)
			}
		case "tiecal":
			pol.Epsilon = c.Epsilon
		}
		if c.Macro {
			pol.Averaging = Macro
		} else {
			pol.Averaging = Micro
		}
		t.Run(pol.String()+map[bool]string{false: "", true: ",weighted"}[c.Weighted], func(t *testing.T) {
			got, err := Accuracy(fixturePairs(t, false, c.Weighted), pol)
			if err != nil {
				t.Fatal(err)
			}
			if !near(got.Accuracy, c.Accuracy, 1e-12, 0) {
				t.Errorf("Accuracy = %.15g, reference %.15g", got.Accuracy, c.Accuracy)
			}
			type counts struct {
				Credit, Weight                    float64
				Pairs, Skipped, Prompts, PredTies int
			}
			want := counts{c.Credit, c.Weight, c.Pairs, c.Skipped, c.Prompts, c.PredTies}
			have := counts{got.Credit, got.Weight, got.Pairs, got.Skipped, got.Prompts, got.PredictedTies}
			if d := cmp.Diff(want, have); d != "" {
				t.Errorf("counts (-reference +got):\n%s", d)
			}
		})
	}
}

func TestTieCalibrateFixtures(t *testing.T) {
	t.Parallel()
	for _, c := range fix(t).Tiecal {
		avg := Micro
		if c.Macro {
			avg = Macro
		}
		t.Run(avg.String()+map[bool]string{false: "", true: ",weighted"}[c.Weighted], func(t *testing.T) {
			got, err := TieCalibrate(fixturePairs(t, false, c.Weighted), avg)
			if err != nil {
				t.Fatal(err)
			}
			if got.Epsilon != c.Epsilon {
				t.Errorf("Epsilon = %.17g, brute force %.17g", got.Epsilon, c.Epsilon)
			}
			if !near(got.Result.Accuracy, c.Accuracy, 1e-12, 0) {
				t.Errorf("Accuracy = %.15g, brute force %.15g", got.Result.Accuracy, c.Accuracy)
			}
		})
	}
}

func TestKendallFixtures(t *testing.T) {
	t.Parallel()
	for _, c := range fix(t).Kendall {
		t.Run(c.Name, func(t *testing.T) {
			got, err := KendallTauB(c.X, c.Y)
			if err != nil {
				t.Fatal(err)
			}
			if !near(got.Tau, c.Tau, 1e-12, 0) {
				t.Errorf("tau = %.15g, scipy %.15g", got.Tau, c.Tau)
			}
			if !near(got.P, c.P, 1e-300, 1e-9) {
				t.Errorf("p = %.15g, scipy %.15g", got.P, c.P)
			}
		})
	}
}

func TestAgreementFixture(t *testing.T) {
	t.Parallel()
	f := fix(t)
	got, err := Agreement(fixturePairs(t, false, false), fixturePairs(t, true, false))
	if err != nil {
		t.Fatal(err)
	}
	want := f.Agreement
	if got.Same != want.Same || got.EitherTie != want.EitherTie || got.N != want.N {
		t.Errorf("agreement = (same %d, either tie %d, n %d), want (%d, %d, %d)", got.Same, got.EitherTie, got.N, want.Same, want.EitherTie, want.N)
	}
	k := f.Kendall[0] // "pair-differences": the same two difference vectors
	if !near(got.Kendall.Tau, k.Tau, 1e-12, 0) {
		t.Errorf("tau = %.15g, scipy %.15g", got.Kendall.Tau, k.Tau)
	}
}

func TestLogisticFixtures(t *testing.T) {
	t.Parallel()
	f := fix(t)
	check := func(t *testing.T, got LogisticFit, params, bse []float64, llf float64) {
		t.Helper()
		g := []float64{got.Intercept, got.Slope, got.SEIntercept, got.SESlope, got.LogLik}
		w := []float64{params[0], params[1], bse[0], bse[1], llf}
		names := []string{"intercept", "slope", "se(intercept)", "se(slope)", "loglik"}
		for i := range g {
			if !near(g[i], w[i], 1e-6, 0) {
				t.Errorf("%s = %.12g, statsmodels %.12g", names[i], g[i], w[i])
			}
		}
	}
	t.Run("unweighted", func(t *testing.T) {
		ps := fixturePairs(t, false, false)
		got, err := FitPairLogistic(ps)
		if err != nil {
			t.Fatal(err)
		}
		u := f.Logistic.Unweighted
		check(t, got, u.Params, u.Bse, u.Llf)
		if got.N != u.Nobs {
			t.Errorf("N = %d, want %d", got.N, u.Nobs)
		}
	})
	t.Run("weighted", func(t *testing.T) {
		got, err := FitPairLogistic(fixturePairs(t, false, true))
		if err != nil {
			t.Fatal(err)
		}
		w := f.Logistic.Weighted
		check(t, got, w.Params, w.Bse, w.Llf)
	})
	t.Run("large", func(t *testing.T) {
		l := f.LogisticLarge
		got, err := FitLogistic(l.X, l.Y, nil)
		if err != nil {
			t.Fatal(err)
		}
		check(t, got, l.Params, l.Bse, l.Llf)
	})
}

func TestReliabilityFixtures(t *testing.T) {
	t.Parallel()
	for _, c := range fix(t).Reliability {
		t.Run(c.Name, func(t *testing.T) {
			got, err := Reliability(c.Prob, c.Obs, c.W, c.BinsK)
			if err != nil {
				t.Fatal(err)
			}
			if !near(got.ECE, c.Ece, 1e-12, 0) {
				t.Errorf("ECE = %.15g, reference %.15g", got.ECE, c.Ece)
			}
			if len(got.Bins) != len(c.Bins) {
				t.Fatalf("%d bins, reference %d", len(got.Bins), len(c.Bins))
			}
			for i, w := range c.Bins {
				g := got.Bins[i]
				lo := float64(w.Bin) / float64(c.BinsK)
				if g.Count != w.Count || g.Lo != lo || !near(g.Weight, w.Weight, 1e-12, 0) ||
					!near(g.MeanPred, w.MeanPred, 1e-12, 0) || !near(g.Observed, w.Observed, 1e-12, 0) {
					t.Errorf("bin %d = %+v, reference %+v", i, g, w)
				}
			}
		})
	}
}

func TestStrengthFixture(t *testing.T) {
	t.Parallel()
	f := fix(t)
	pol, _ := ParsePolicy("imagereward")
	got, err := AccuracyByStrength(fixturePairs(t, false, false), pol, f.Strength.BinsK, 0.95)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(f.Strength.Bins) {
		t.Fatalf("%d bins, reference %d", len(got), len(f.Strength.Bins))
	}
	for i, w := range f.Strength.Bins {
		g := got[i]
		if g.Lo != w.Lo || g.Hi != w.Hi || g.Result.Pairs != w.Pairs ||
			!near(g.Result.Accuracy, w.Accuracy, 1e-12, 0) ||
			!near(g.Wilson.Lo, w.WilsonLo, 1e-9, 0) || !near(g.Wilson.Hi, w.WilsonHi, 1e-9, 0) {
			t.Errorf("bin %d: [%v, %v] pairs %d acc %.12f wilson [%.12f, %.12f]; reference %+v",
				i, g.Lo, g.Hi, g.Result.Pairs, g.Result.Accuracy, g.Wilson.Lo, g.Wilson.Hi, w)
		}
	}
}

func TestRankingFixtures(t *testing.T) {
	t.Parallel()
	f := fix(t).Rankings
	var rs []Ranking
	var pairs []Pair
	for _, r := range f.Rankings {
		rk := Ranking{PromptID: r.Prompt, Ranks: r.Ranks, Scores: r.Scores}
		rs = append(rs, rk)
		pairs = append(pairs, RankingPairs(rk)...)
	}
	t.Run("inversion-score", func(t *testing.T) {
		got, err := RankingAccuracy(rs)
		if err != nil {
			t.Fatal(err)
		}
		for i := range f.Inversion {
			if !near(got.PerPrompt[i], f.Inversion[i], 1e-12, 0) {
				t.Errorf("prompt %s: %.15g, HPSv2 inversion_score %.15g", rs[i].PromptID, got.PerPrompt[i], f.Inversion[i])
			}
		}
		if !near(got.Mean, f.InversionMean, 1e-12, 0) {
			t.Errorf("mean = %.15g, want %.15g", got.Mean, f.InversionMean)
		}
	})
	t.Run("calc-imagereward", func(t *testing.T) {
		pol, _ := ParsePolicy("hpsv2")
		got, err := Accuracy(pairs, pol)
		if err != nil {
			t.Fatal(err)
		}
		if !near(got.Accuracy, f.ImagerewardMacro, 1e-12, 0) || got.Prompts != f.ImagerewardPrompts {
			t.Errorf("macro = %.15g over %d prompts, HPSv2 calc_ImageReward %.15g over %d", got.Accuracy, got.Prompts, f.ImagerewardMacro, f.ImagerewardPrompts)
		}
	})
}

func TestClopperPearsonFixtures(t *testing.T) {
	t.Parallel()
	for _, c := range fix(t).ClopperPearson {
		got, err := ClopperPearson(c.Successes, c.N, c.Level)
		if err != nil {
			t.Fatal(err)
		}
		if !near(got.Lo, c.Lo, 1e-9, 0) || !near(got.Hi, c.Hi, 1e-9, 0) {
			t.Errorf("ClopperPearson(%d, %d, %v) = [%.12f, %.12f], statsmodels [%.12f, %.12f]", c.Successes, c.N, c.Level, got.Lo, got.Hi, c.Lo, c.Hi)
		}
	}
}

// TestExactPairedDifferenceInvertsMcNemar: the interval excludes 0 exactly
// when the exact McNemar test (scipy's binomtest of the discordant pairs)
// rejects at the same level, and maps the Clopper-Pearson interval of the
// discordant pairs onto the difference (aWins-bWins)/n.
func TestExactPairedDifferenceInvertsMcNemar(t *testing.T) {
	t.Parallel()
	for _, c := range fix(t).ClopperPearson {
		a, m := c.Successes, c.N
		b := m - a
		for _, n := range []int{m, m + 7, 3 * m} {
			iv, err := ExactPairedDifference(a, b, n, c.Level)
			if err != nil {
				t.Fatal(err)
			}
			scale := float64(m) / float64(n)
			if !near(iv.Lo, (2*c.Lo-1)*scale, 1e-9, 0) || !near(iv.Hi, (2*c.Hi-1)*scale, 1e-9, 0) {
				t.Errorf("ExactPairedDifference(%d, %d, %d) = [%v, %v], want the statsmodels CP interval mapped: [%v, %v]",
					a, b, n, iv.Lo, iv.Hi, (2*c.Lo-1)*scale, (2*c.Hi-1)*scale)
			}
			diff := float64(a-b) / float64(n)
			if !(iv.Lo <= diff && diff <= iv.Hi) {
				t.Errorf("ExactPairedDifference(%d, %d, %d) = [%v, %v] does not contain %v", a, b, n, iv.Lo, iv.Hi, diff)
			}
			excludes := iv.Lo > 0 || iv.Hi < 0
			if rejects := c.BinomtestP < 1-c.Level; excludes != rejects {
				t.Errorf("a=%d b=%d level %v: interval [%v, %v] excludes 0 = %v, but scipy's binomtest p = %v", a, b, c.Level, iv.Lo, iv.Hi, excludes, c.BinomtestP)
			}
		}
	}
	if iv, err := ExactPairedDifference(0, 0, 5, 0.95); err != nil || iv.Lo != 0 || iv.Hi != 0 {
		t.Errorf("no discordant pairs: %v, %v; want [0, 0]", iv, err)
	}
	for _, bad := range [][3]int{{-1, 0, 3}, {2, 2, 3}, {0, 0, 0}} {
		if _, err := ExactPairedDifference(bad[0], bad[1], bad[2], 0.95); err == nil {
			t.Errorf("ExactPairedDifference(%v) accepted", bad)
		}
	}
}

// TestCrossFitFixture: the out-of-fold probabilities equal statsmodels'
// weighted fits on each fold's complement (folds by FNV-1a of the prompt).
func TestCrossFitFixture(t *testing.T) {
	t.Parallel()
	c := fix(t).Crossfit
	ps := fixturePairs(t, false, true)
	cf, err := CrossFitPairLogisticOf(Slice(ps), c.K)
	if err != nil {
		t.Fatal(err)
	}
	i := 0
	for _, p := range ps {
		if p.Label == LabelTie {
			continue
		}
		if got := cf.Fold(p.PromptID); got != c.Folds[i] {
			t.Fatalf("pair %d (prompt %q): fold %d, Python %d", i, p.PromptID, got, c.Folds[i])
		}
		if got := cf.PairProb(p); !near(got, c.Prob[i], 1e-7, 0) {
			t.Errorf("pair %d: out-of-fold probability %.10f, statsmodels %.10f", i, got, c.Prob[i])
		}
		i++
	}
	if i != len(c.Prob) {
		t.Fatalf("%d A/B pairs, fixture has %d", i, len(c.Prob))
	}
	if _, err := CrossFitPairLogisticOf(Slice(ps), 1); err == nil {
		t.Error("1 fold accepted")
	}
}

// TestTIntervalFixtures: the interval agrees with scipy's t.interval to the
// accuracy of scipy 1.10's t quantile (about 1e-9 relative), and to 1e-12
// with the quantile solved to 40 digits by mpmath.
func TestTIntervalFixtures(t *testing.T) {
	t.Parallel()
	for _, c := range fix(t).TInterval.Cases {
		t.Run(c.Name, func(t *testing.T) {
			got, err := TInterval(c.X, c.Level)
			if err != nil {
				t.Fatal(err)
			}
			if got.N != len(c.X) || got.Level != c.Level || !near(got.Mean, c.Mean, 1e-15, 1e-14) || !near(got.SD, c.SD, 1e-15, 1e-12) {
				t.Errorf("TInterval(%v, %v) = %+v; numpy mean %.15g sd %.15g", c.X, c.Level, got, c.Mean, c.SD)
			}
			if !near(got.Lo, c.Lo, 1e-15, 1e-8) || !near(got.Hi, c.Hi, 1e-15, 1e-8) {
				t.Errorf("interval [%.15g, %.15g], scipy [%.15g, %.15g]", got.Lo, got.Hi, c.Lo, c.Hi)
			}
			if !near(got.Lo, c.LoMpmath, 1e-15, 1e-12) || !near(got.Hi, c.HiMpmath, 1e-15, 1e-12) {
				t.Errorf("interval [%.15g, %.15g], mpmath [%.15g, %.15g]", got.Lo, got.Hi, c.LoMpmath, c.HiMpmath)
			}
		})
	}
}

func TestSpearmanFixtures(t *testing.T) {
	t.Parallel()
	for _, c := range fix(t).Spearman {
		t.Run(c.Name, func(t *testing.T) {
			got, err := Spearman(c.X, c.Y)
			if err != nil {
				t.Fatal(err)
			}
			if !near(got, c.Rho, 1e-12, 0) {
				t.Errorf("Spearman = %.15g, scipy spearmanr %.15g", got, c.Rho)
			}
			if d := cmp.Diff(c.RankX, MidRanks(c.X)); d != "" {
				t.Errorf("MidRanks(x) (-scipy rankdata +got):\n%s", d)
			}
			if d := cmp.Diff(c.RankY, MidRanks(c.Y)); d != "" {
				t.Errorf("MidRanks(y) (-scipy rankdata +got):\n%s", d)
			}
		})
	}
}

// TestMcNemarOneSidedFixtures: McNemarOneSided(b, c) is scipy's
// binomtest(b, b+c, 0.5, alternative="greater"), McNemarOneSided(c, b) is
// alternative="less", and when b > c the one-sided p is half of
// McNemarExact, which matches statsmodels' mcnemar(exact=True).
func TestMcNemarOneSidedFixtures(t *testing.T) {
	t.Parallel()
	for _, c := range fix(t).Binomtest {
		t.Run(fmt.Sprintf("b=%d,c=%d", c.B, c.C), func(t *testing.T) {
			if got := McNemarOneSided(c.B, c.C); !near(got, c.Greater, 0, 1e-9) {
				t.Errorf("McNemarOneSided(%d, %d) = %.15g, scipy greater %.15g", c.B, c.C, got, c.Greater)
			}
			if got := McNemarOneSided(c.C, c.B); !near(got, c.Less, 0, 1e-9) {
				t.Errorf("McNemarOneSided(%d, %d) = %.15g, scipy less %.15g", c.C, c.B, got, c.Less)
			}
			two := McNemarExact(c.B, c.C)
			if !near(two, c.McNemar, 0, 1e-9) {
				t.Errorf("McNemarExact(%d, %d) = %.15g, statsmodels %.15g", c.B, c.C, two, c.McNemar)
			}
			if one := McNemarOneSided(c.B, c.C); c.B > c.C && !near(one, two/2, 0, 1e-12) {
				t.Errorf("b > c: one-sided %.15g is not half the two-sided %.15g", one, two)
			}
		})
	}
}
