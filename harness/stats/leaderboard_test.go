package stats

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"gonum.org/v1/gonum/stat"
)

// enumerateBestOfN is the best-of-n expectation by brute force: every
// n-subset, the A-maximum's ties broken uniformly (mean B of the tied
// maxima in the subset), averaged over subsets.
func enumerateBestOfN(a, b []float64, n int) float64 {
	k := len(a)
	var total float64
	subsets := 0
	for mask := 0; mask < 1<<k; mask++ {
		var members []int
		for i := range k {
			if mask&(1<<i) != 0 {
				members = append(members, i)
			}
		}
		if len(members) != n {
			continue
		}
		best := math.Inf(-1)
		for _, i := range members {
			best = math.Max(best, a[i])
		}
		var s, c float64
		for _, i := range members {
			if a[i] == best {
				s += b[i]
				c++
			}
		}
		total += s / c
		subsets++
	}
	return total / float64(subsets)
}

func TestBestOfNExpected(t *testing.T) {
	tests := []struct {
		name string
		a, b []float64
		n    int
		want float64 // by hand; NaN: enumeration only
	}{
		// Pairs of {1,2,3,4}: maxima 2,3,4,3,4,4 -> B 20,30,40,30,40,40.
		{"k4 n2 distinct", []float64{1, 2, 3, 4}, []float64{10, 20, 30, 40}, 2, 200.0 / 6},
		{"k4 n1 is the mean", []float64{3, 1, 2, 2}, []float64{4, 0, 6, 1}, 1, 11.0 / 4},
		{"k4 n4 is the top", []float64{3, 1, 2, 2}, []float64{4, 0, 6, 1}, 4, 4},
		// A = (1,2,2,3), B = (4,0,6,1): subsets {1,2}->0, {1,2'}->6,
		// {1,3}->1, {2,2'}->(0+6)/2=3, {2,3}->1, {2',3}->1: 12/6 = 2.
		{"k4 n2 tie", []float64{1, 2, 2, 3}, []float64{4, 0, 6, 1}, 2, 2},
		{"all tied", []float64{5, 5, 5}, []float64{1, 2, 6}, 2, 3},
		{"k4 n3 tie", []float64{1, 2, 2, 3}, []float64{4, 0, 6, 1}, 3, math.NaN()},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := BestOfNExpected(tc.a, tc.b, tc.n)
			if err != nil {
				t.Fatal(err)
			}
			enum := enumerateBestOfN(tc.a, tc.b, tc.n)
			if math.Abs(got-enum) > 1e-12 {
				t.Errorf("got %v, enumeration %v", got, enum)
			}
			if !math.IsNaN(tc.want) && math.Abs(got-tc.want) > 1e-12 {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for trial := range 200 {
		k := 1 + rng.IntN(8)
		a, b := make([]float64, k), make([]float64, k)
		for i := range k {
			a[i] = float64(rng.IntN(4)) // many ties
			b[i] = rng.NormFloat64()
		}
		n := 1 + rng.IntN(k)
		got, err := BestOfNExpected(a, b, n)
		if err != nil {
			t.Fatal(err)
		}
		if want := enumerateBestOfN(a, b, n); math.Abs(got-want) > 1e-12 {
			t.Fatalf("trial %d: a=%v b=%v n=%d: got %v, enumeration %v", trial, a, b, n, got, want)
		}
	}
	for _, bad := range []struct {
		a, b []float64
		n    int
	}{{[]float64{1, 2}, []float64{1}, 1}, {[]float64{1}, []float64{1}, 2}, {[]float64{1}, []float64{math.NaN()}, 1}} {
		if _, err := BestOfNExpected(bad.a, bad.b, bad.n); err == nil {
			t.Errorf("BestOfNExpected(%v, %v, %d): no error", bad.a, bad.b, bad.n)
		}
	}
}

// one judge, scores by generator: cells(g0, g1, ...).
func oneJudge(id string, cells ...[]float64) PromptScores {
	p := PromptScores{PromptID: id}
	for _, c := range cells {
		if c == nil {
			p.Cells = append(p.Cells, nil)
			continue
		}
		p.Cells = append(p.Cells, [][]float64{c})
	}
	return p
}

func findWin(t *testing.T, jb JudgeBoard, g, h string) WinRate {
	t.Helper()
	for _, w := range jb.WinRates {
		if w.Generator == g && w.Opponent == h {
			return w
		}
	}
	t.Fatalf("no win rate %s over %s", g, h)
	return WinRate{}
}

func lbNear(t *testing.T, what string, got, want float64) {
	t.Helper()
	if math.Abs(got-want) > 1e-12 {
		t.Errorf("%s = %.15g, want %.15g", what, got, want)
	}
}

func TestLeaderboardMeansAndWinRates(t *testing.T) {
	// Worked by hand, K = 2 samples each:
	//  p1: g0 (3,1) vs g1 (2,2): 3>2 twice, 1<2 twice      -> w = 1/2
	//  p2: g0 (5,5) vs g1 (1,2): all wins                   -> w = 1
	//  p3: g0 (0,1) vs g1 (1,3): 0<1, 0<3, 1=1 (1/2), 1<3   -> w = 1/8
	//  p4: g1 only (g0 missing, and g1 has 3 samples)
	gallery := []PromptScores{
		oneJudge("p1", []float64{3, 1}, []float64{2, 2}),
		oneJudge("p2", []float64{5, 5}, []float64{1, 2}),
		oneJudge("p3", []float64{0, 1}, []float64{1, 3}),
		oneJudge("p4", nil, []float64{7, 8, 9}),
	}
	res, err := Leaderboard(GallerySlice(gallery), LeaderboardOptions{
		Generators: []string{"g0", "g1"}, Judges: []string{"r"}, Resamples: 200, Seed: 3, Workers: 2})
	if err != nil {
		t.Fatal(err)
	}
	jb := res.ByJudge[0]
	lbNear(t, "mean g0", jb.Means[0].Mean.Estimate, (2+5+0.5)/3.0)
	lbNear(t, "mean g1", jb.Means[1].Mean.Estimate, (2+1.5+2+8)/4.0)
	if jb.Means[0].Prompts != 3 || jb.Means[1].Prompts != 4 || jb.Means[0].Images != 6 || jb.Means[1].Images != 9 {
		t.Errorf("means counts = %+v %+v", jb.Means[0], jb.Means[1])
	}
	w01, w10 := findWin(t, jb, "g0", "g1"), findWin(t, jb, "g1", "g0")
	lbNear(t, "win g0 over g1", w01.Rate.Estimate, (0.5+1+0.125)/3)
	lbNear(t, "win g1 over g0", w10.Rate.Estimate, (0.5+0+0.875)/3)
	if w01.Prompts != 3 || w01.Wins != 1 || w01.Losses != 1 || w01.Ties != 1 || w01.P != 1 {
		t.Errorf("g0 over g1 = %+v, want 3 prompts, 1 win, 1 loss, 1 tie, P = 1", w01)
	}
	if w10.Wins != 1 || w10.Losses != 1 {
		t.Errorf("g1 over g0 = %+v", w10)
	}
	// BT on two players: beta0 - beta1 = log(W01/W10).
	s := jb.Strength
	lbNear(t, "beta0-beta1", s.Beta[0].Estimate-s.Beta[1].Estimate, math.Log(1.625/1.375))
	if s.Regularised {
		t.Error("Regularised with a connected graph")
	}
	want := LeaderboardCounts{Prompts: 4, Images: 15, MissingPrompts: []int{1, 0}, UnequalCells: 0, MaxSamples: 3, NaNScores: []int{0}}
	if d := cmp.Diff(want, res.Counts); d != "" {
		t.Errorf("counts (-want +got):\n%s", d)
	}
}

func TestLeaderboardSignTestHolm(t *testing.T) {
	// Ten prompts, K = 1: g0 beats g1 in 9 (loses prompt 0), beats g2 in
	// all 10; g1 and g2 split 5-5. Two-sided sign tests by hand:
	//   g0-g1: 2·P(X <= 1), X ~ Bin(10, 1/2) = 2·11/1024 = 22/1024
	//   g0-g2: 2·P(X <= 0) = 2/1024
	//   g1-g2: 1
	// Holm (m = 3): 3·2/1024, max(that, 2·22/1024) = 44/1024, 1.
	var gallery []PromptScores
	for i := range 10 {
		g0, g1 := 10.0, 1.0
		if i == 0 {
			g0 = 0.5
		}
		if i >= 5 {
			g1 = -1
		}
		gallery = append(gallery, oneJudge(fmt.Sprint("p", i), []float64{g0}, []float64{g1}, []float64{0}))
	}
	res, err := Leaderboard(GallerySlice(gallery), LeaderboardOptions{
		Generators: []string{"g0", "g1", "g2"}, Judges: []string{"r"}, Resamples: 100})
	if err != nil {
		t.Fatal(err)
	}
	jb := res.ByJudge[0]
	tests := []struct {
		g, h          string
		p, holm, rate float64
		reject        bool
	}{
		{"g0", "g1", 22.0 / 1024, 44.0 / 1024, 0.9, true},
		{"g1", "g0", 22.0 / 1024, 44.0 / 1024, 0.1, true},
		{"g0", "g2", 2.0 / 1024, 6.0 / 1024, 1, true},
		{"g1", "g2", 1, 1, 0.5, false},
	}
	for _, tc := range tests {
		t.Run(tc.g+"-"+tc.h, func(t *testing.T) {
			w := findWin(t, jb, tc.g, tc.h)
			lbNear(t, "P", w.P, tc.p)
			lbNear(t, "PHolm", w.PHolm, tc.holm)
			lbNear(t, "rate", w.Rate.Estimate, tc.rate)
			if w.Reject != tc.reject {
				t.Errorf("Reject = %v, want %v", w.Reject, tc.reject)
			}
		})
	}
}

func TestLeaderboardBestOfN(t *testing.T) {
	// Two judges A, B; two generators; K = 4 except one cell of 2 and one
	// cell with a NaN score of B.
	type cell struct{ a, b []float64 }
	prompts := [][]cell{
		{{[]float64{1, 2, 2, 3}, []float64{4, 0, 6, 1}}, {[]float64{0.5, 0.1, 0.9, 0.3}, []float64{2, 3, 5, 7}}},
		{{[]float64{4, 4, 1, 0}, []float64{1, 2, 3, 4}}, {[]float64{2, 1}, []float64{0, 8}}},
		{{[]float64{1, 1, 1, 1}, []float64{1, 2, 3, 4}}, {[]float64{3, 2, 1, 0}, []float64{math.NaN(), 1, 1, 1}}},
	}
	var gallery []PromptScores
	var allB []float64 // every finite B score, for the pooled SD
	for i, p := range prompts {
		ps := PromptScores{PromptID: fmt.Sprint("p", i)}
		for _, c := range p {
			ps.Cells = append(ps.Cells, [][]float64{c.a, c.b})
			for _, v := range c.b {
				if !math.IsNaN(v) {
					allB = append(allB, v)
				}
			}
		}
		gallery = append(gallery, ps)
	}
	res, err := Leaderboard(GallerySlice(gallery), LeaderboardOptions{
		Generators: []string{"g0", "g1"}, Judges: []string{"A", "B"}, Resamples: 200, BestOfN: []int{2, 4}})
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff([]int{1, 2, 4}, res.Ns); d != "" {
		t.Errorf("Ns (-want +got):\n%s", d)
	}
	// Independent expectation: enumerate subsets in every eligible cell.
	value := func(sel, meas, n int) (float64, int, int, int) {
		var s float64
		cells, small, nan := 0, 0, 0
		for _, p := range prompts {
			for _, c := range p {
				x := [][]float64{c.a, c.b}
				hasNaN := false
				for _, v := range slicesConcat(x[sel], x[meas]) {
					hasNaN = hasNaN || math.IsNaN(v)
				}
				switch {
				case hasNaN:
					nan++
				case len(c.a) < n:
					small++
				default:
					s += enumerateBestOfN(x[sel], x[meas], n)
					cells++
				}
			}
		}
		return s / float64(cells), cells, small, nan
	}
	sdB := stat.StdDev(allB, nil)
	var allA []float64
	for _, p := range prompts {
		for _, c := range p {
			allA = append(allA, c.a...)
		}
	}
	sdA := stat.StdDev(allA, nil)
	sd := []float64{sdA, sdB}
	for _, r := range res.BestOfN {
		sel, meas := strings.Index("AB", r.Selector), strings.Index("AB", r.Measure)
		t.Run(fmt.Sprintf("%s-%s-%d", r.Selector, r.Measure, r.N), func(t *testing.T) {
			v, cells, small, nan := value(sel, meas, r.N)
			v1, _, _, _ := value(sel, meas, 1)
			lbNear(t, "value", r.Value.Estimate, v)
			lbNear(t, "gain", r.Gain.Estimate, v-v1)
			lbNear(t, "z-gain", r.ZGain.Estimate, (v-v1)/sd[meas])
			if r.Cells != cells || r.SkippedSmall != small || r.SkippedNaN != nan {
				t.Errorf("cells/small/nan = %d/%d/%d, want %d/%d/%d", r.Cells, r.SkippedSmall, r.SkippedNaN, cells, small, nan)
			}
			if sel != meas {
				vs, _, _, _ := value(sel, sel, r.N)
				vs1, _, _, _ := value(sel, sel, 1)
				lbNear(t, "over-optimisation", r.OverOpt.Estimate, (vs-vs1)/sd[sel]-(v-v1)/sd[meas])
			}
		})
	}
	// Hand check of one cell value: A selects in (1,2,2,3)/(4,0,6,1) at
	// n = 2 -> 2 (see TestBestOfNExpected); g0 by A measured by B at n = 2
	// over prompts p0, p1, p2 of g0.
	wantG0 := (2 + enumerateBestOfN([]float64{4, 4, 1, 0}, []float64{1, 2, 3, 4}, 2) + 2.5) / 3
	for _, r := range res.BestOfN {
		if r.Selector == "A" && r.Measure == "B" && r.N == 2 {
			lbNear(t, "g0 A->B n=2", r.ByGenerator[0], wantG0)
		}
	}
	if res.Counts.NaNScores[1] != 1 || res.Counts.UnequalCells != 1 {
		t.Errorf("counts = %+v, want 1 NaN of B and 1 unequal cell", res.Counts)
	}
}

func slicesConcat(a, b []float64) []float64 { return append(append([]float64(nil), a...), b...) }

func TestLeaderboardRegularised(t *testing.T) {
	// g0 beats everyone on every prompt: no MLE.
	var gallery []PromptScores
	for i := range 6 {
		gallery = append(gallery, oneJudge(fmt.Sprint("p", i), []float64{9}, []float64{float64(i % 2)}, []float64{float64((i + 1) % 2)}))
	}
	res, err := Leaderboard(GallerySlice(gallery), LeaderboardOptions{
		Generators: []string{"g0", "g1", "g2"}, Judges: []string{"r"}, Resamples: 50})
	if err != nil {
		t.Fatal(err)
	}
	s := res.ByJudge[0].Strength
	if !s.Regularised || s.Prior != DefaultBTPrior {
		t.Fatalf("Regularised = %v, prior %v; want true, %v", s.Regularised, s.Prior, DefaultBTPrior)
	}
	for g, b := range s.Beta {
		for _, v := range []float64{b.Estimate, b.Interval.Lo, b.Interval.Hi} {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				t.Fatalf("beta[%d] = %+v, want finite", g, b)
			}
		}
	}
	if !(s.Beta[0].Estimate > s.Beta[1].Estimate) || s.Rank[0] != 1 || s.RankProb[0][0] != 1 {
		t.Errorf("g0 not first: %+v", s)
	}
}

func TestLeaderboardErrors(t *testing.T) {
	opts := LeaderboardOptions{Generators: []string{"g0", "g1"}, Judges: []string{"r", "s"}, Resamples: 10}
	tests := []struct {
		name    string
		prompts []PromptScores
		opts    LeaderboardOptions
		want    string
	}{
		{"inf", []PromptScores{{PromptID: "x", Cells: [][][]float64{{{1, 2}, {3, 4}}, {{1}, {math.Inf(1)}}}}}, opts,
			`prompt "x": generator "g1": judge "s": sample 0: score +Inf`},
		{"generators", []PromptScores{{PromptID: "x", Cells: [][][]float64{{{1}, {1}}}}}, opts, "1 generator cells, want 2"},
		{"judges", []PromptScores{{PromptID: "x", Cells: [][][]float64{{{1}}, nil}}}, opts, `generator "g0": 1 judges' scores, want 2`},
		{"samples", []PromptScores{{PromptID: "x", Cells: [][][]float64{{{1, 2}, {1}}, nil}}}, opts, `judge "s" has 1 scores`},
		{"repeat", []PromptScores{{PromptID: "x", Cells: [][][]float64{nil, nil}}, {PromptID: "x", Cells: [][][]float64{nil, nil}}}, opts, `prompt "x": repeated`},
		{"empty", nil, opts, "no prompts"},
		{"no judges", nil, LeaderboardOptions{Generators: []string{"g"}}, "no judges"},
		{"dup generator", nil, LeaderboardOptions{Generators: []string{"g", "g"}, Judges: []string{"r"}}, `name "g" repeated`},
		{"bad n", nil, LeaderboardOptions{Generators: []string{"g"}, Judges: []string{"r"}, BestOfN: []int{0}}, "BestOfN"},
		{"bad alpha", nil, LeaderboardOptions{Generators: []string{"g"}, Judges: []string{"r"}, Alpha: 2}, "Alpha"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Leaderboard(GallerySlice(tc.prompts), tc.opts)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want it to contain %q", err, tc.want)
			}
		})
	}
}

// randomGallery has G generators of different quality, two judges that
// mostly agree, K = 1..4 samples, some missing cells and NaNs.
func randomGallery(seed uint64, prompts int) []PromptScores {
	rng := rand.New(rand.NewPCG(seed, 7))
	quality := []float64{0.6, 0.3, 0, -0.4}
	var out []PromptScores
	for i := range prompts {
		p := PromptScores{PromptID: fmt.Sprintf("prompt-%03d", i)}
		difficulty := rng.NormFloat64()
		for g := range quality {
			if rng.IntN(10) == 0 {
				p.Cells = append(p.Cells, nil)
				continue
			}
			k := 1 + rng.IntN(4)
			a, b := make([]float64, k), make([]float64, k)
			for s := range k {
				x := quality[g] + difficulty + rng.NormFloat64()
				a[s] = x + 0.3*rng.NormFloat64()
				b[s] = x + 0.3*rng.NormFloat64()
				if rng.IntN(50) == 0 {
					b[s] = math.NaN()
				}
			}
			p.Cells = append(p.Cells, [][]float64{a, b})
		}
		out = append(out, p)
	}
	return out
}

func TestLeaderboardBootstrapSanity(t *testing.T) {
	gallery := randomGallery(11, 120)
	opts := LeaderboardOptions{Generators: []string{"g0", "g1", "g2", "g3"}, Judges: []string{"A", "B"}, Resamples: 300, Seed: 5, Workers: 1}
	res, err := Leaderboard(GallerySlice(gallery), opts)
	if err != nil {
		t.Fatal(err)
	}
	contains := func(what string, b BootstrapResult) {
		t.Helper()
		if !(b.Interval.Lo <= b.Estimate && b.Estimate <= b.Interval.Hi) {
			t.Errorf("%s: estimate %v outside [%v, %v]", what, b.Estimate, b.Interval.Lo, b.Interval.Hi)
		}
	}
	for _, jb := range res.ByJudge {
		for _, m := range jb.Means {
			contains(jb.Judge+" mean "+m.Generator, m.Mean)
		}
		for _, w := range jb.WinRates {
			contains(jb.Judge+" win "+w.Generator+">"+w.Opponent, w.Rate)
		}
		for g, b := range jb.Strength.Beta {
			contains(fmt.Sprint(jb.Judge, " beta ", g), b)
		}
		for g, row := range jb.Strength.RankProb {
			var s float64
			for _, p := range row {
				s += p
			}
			if math.Abs(s-1) > 1e-12 {
				t.Errorf("rank probabilities of %d sum to %v", g, s)
			}
		}
	}
	for _, a := range res.Agreement {
		contains("tau", a.Tau)
	}
	for _, r := range res.BestOfN {
		contains("best-of-n value", r.Value)
	}
	if res.CIMethod != "poisson-bootstrap" || res.Counts.Prompts != 120 {
		t.Errorf("method %q, %d prompts", res.CIMethod, res.Counts.Prompts)
	}
	if d := cmp.Diff([]int{1, 2, 4}, res.Ns); d != "" {
		t.Errorf("default Ns (-want +got):\n%s", d)
	}

	// Same seed: identical. Reversed order and more workers: equal up to
	// the rounding of sums.
	again, err := Leaderboard(GallerySlice(gallery), opts)
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(res, again, cmpopts.EquateNaNs()); d != "" {
		t.Errorf("same seed differs:\n%s", d)
	}
	shuffled := append([]PromptScores(nil), gallery...)
	rand.New(rand.NewPCG(9, 9)).Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
	o2 := opts
	o2.Workers = 3
	moved, err := Leaderboard(GallerySlice(shuffled), o2)
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(res, moved, cmpopts.EquateNaNs(), cmpopts.EquateApprox(0, 1e-9)); d != "" {
		t.Errorf("shuffled prompts / 3 workers differ:\n%s", d)
	}
	o3 := opts
	o3.Seed = 6
	other, err := Leaderboard(GallerySlice(gallery), o3)
	if err != nil {
		t.Fatal(err)
	}
	if other.ByJudge[0].Means[0].Mean.Estimate != res.ByJudge[0].Means[0].Mean.Estimate ||
		other.ByJudge[0].Means[0].Mean.Interval == res.ByJudge[0].Means[0].Mean.Interval {
		t.Error("another seed: want the same estimate and a different interval")
	}
}
