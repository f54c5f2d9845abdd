package stats

import (
	"cmp"
	"errors"
	"fmt"
	"math"

	"github.com/srbench/srbench/harness/internal/extsort"
)

// ErrUndefined is returned (wrapped) when a statistic is undefined for the
// input, e.g. Kendall's tau of a constant sequence.
var ErrUndefined = errors.New("statistic undefined for this input")

// KendallResult is Kendall's tau-b with its asymptotic p-value.
type KendallResult struct {
	Tau float64
	// P is the two-sided p-value of the normal approximation with the
	// tie-corrected variance (scipy's method="asymptotic"). scipy's default
	// method="auto" uses the exact distribution instead when there are no
	// ties and n <= 33; this package never does.
	P float64
	N int
}

// KendallTauB returns Kendall's tau-b of x and y,
//
//	tau_b = (n_c - n_d) / sqrt((n0 - n_x)(n0 - n_y)),  n0 = n(n-1)/2,
//
// with n_x, n_y the pairs tied in x, in y, matching scipy.stats.kendalltau
// (variant="b", method="asymptotic") including its p-value. It counts
// discordant pairs with a merge sort (Knight's algorithm), O(n log n), so
// n = 1e5 takes milliseconds. gonum's stat.Kendall is not a substitute: it
// is O(n²) tau-a and counts a zero difference as positive, so ties bias it.
// It needs n >= 3 finite values and is ErrUndefined when x or y is constant.
func KendallTauB(x, y []float64) (KendallResult, error) {
	if len(y) != len(x) {
		return KendallResult{}, fmt.Errorf("kendall tau-b: len(x) = %d, len(y) = %d, want equal", len(x), len(y))
	}
	return KendallTauBOf(func(visit func(x, y float64) error) error {
		for i := range x {
			if err := visit(x[i], y[i]); err != nil {
				return err
			}
		}
		return nil
	}, Spill{})
}

// XYSource is a sequence of (x, y) observations, like [Source].
type XYSource func(visit func(x, y float64) error) error

type xy struct{ x, y float64 }

func xyCodec() extsort.Codec[xy] {
	return extsort.Codec[xy]{Size: 16,
		Put: func(b []byte, v xy) { extsort.PutFloat64(b, v.x); extsort.PutFloat64(b[8:], v.y) },
		Get: func(b []byte) xy { return xy{extsort.Float64At(b), extsort.Float64At(b[8:])} },
	}
}

// KendallTauBOf is [KendallTauB] over an [XYSource] visited once, with
// Knight's algorithm run as two external sorts (sp): the observations sorted
// by (x, y), then their y values sorted by a merge sort that counts
// inversions within each run and, during the merge of the runs, across
// runs. Memory is bounded by sp.RunLen, not by n; the result is the same.
func KendallTauBOf(obs XYSource, sp Spill) (KendallResult, error) {
	byXY := newSorter(sp, func(a, b xy) int {
		if c := cmp.Compare(a.x, b.x); c != 0 {
			return c
		}
		return cmp.Compare(a.y, b.y)
	}, xyCodec(), nil)
	defer byXY.Close()
	n := 0
	err := obs(func(x, y float64) error {
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return fmt.Errorf("kendall tau-b: x[%d] = %v, want a finite number", n, x)
		}
		if math.IsNaN(y) || math.IsInf(y, 0) {
			return fmt.Errorf("kendall tau-b: y[%d] = %v, want a finite number", n, y)
		}
		n++
		return byXY.Add(xy{x, y})
	})
	if err != nil {
		return KendallResult{}, err
	}
	if n < 3 {
		return KendallResult{}, fmt.Errorf("kendall tau-b: n = %d, want at least 3", n)
	}
	// Pass 1, in (x, y) order: ties in x, joint ties, and the y sequence
	// whose inversions are the discordant pairs.
	var dis int64
	var buf []float64
	byY := newSorter(sp, cmp.Compare[float64], extsort.Float64Codec(), func(run []float64) {
		if cap(buf) < len(run) {
			buf = make([]float64, len(run))
		}
		dis += countInversions(run, buf[:len(run)]) // stable: a merge sort
	})
	defer byY.Close()
	var xt, joint tieRuns
	err = byXY.Merge(func(v xy, _ int) error {
		xt.add(v.x)
		joint.addPair(v)
		return byY.Add(v.y)
	})
	if err != nil {
		return KendallResult{}, err
	}
	xtie, x0, x1 := xt.finish()
	ntie, _, _ := joint.finish()
	// Pass 2, in y order: ties in y and the inversions between runs. When a
	// value leaves run q, the values still waiting in earlier runs are
	// strictly greater (equal values leave lower runs first) and precede
	// it in the sequence: each is one inversion.
	var yt tieRuns
	var left fenwick
	err = byY.Merge(func(y float64, run int) error {
		if left == nil {
			left = newFenwick(byY.RunLens())
		}
		dis += left.prefix(run)
		left.add(run, -1)
		yt.add(y)
		return nil
	})
	if err != nil {
		return KendallResult{}, err
	}
	ytie, y0, y1 := yt.finish()
	tot := int64(n) * int64(n-1) / 2
	if xtie == tot {
		return KendallResult{}, fmt.Errorf("kendall tau-b: x is constant: %w", ErrUndefined)
	}
	if ytie == tot {
		return KendallResult{}, fmt.Errorf("kendall tau-b: y is constant: %w", ErrUndefined)
	}
	cmd := float64(tot - xtie - ytie + ntie - 2*dis)
	tau := cmd / math.Sqrt(float64(tot-xtie)) / math.Sqrt(float64(tot-ytie))
	tau = math.Min(1, math.Max(-1, tau))
	// scipy's variance with ties (Kendall 1970 / scipy _kendall_p).
	size := float64(n)
	m := size * (size - 1)
	v := (m*(2*size+5)-x1-y1)/18 + (2*float64(xtie)*float64(ytie))/m + x0*y0/(9*m*(size-2))
	z := cmd / math.Sqrt(v)
	return KendallResult{Tau: tau, P: math.Erfc(math.Abs(z) / math.Sqrt2), N: n}, nil
}

// fenwick is a Fenwick (binary indexed) tree of counts per run: prefix(q)
// is the sum over runs before q.
type fenwick []int64

func newFenwick(counts []int) fenwick {
	f := make(fenwick, len(counts)+1)
	for i, c := range counts {
		f.add(i, int64(c))
	}
	return f
}

func (f fenwick) add(i int, d int64) {
	for i++; i < len(f); i += i & -i {
		f[i] += d
	}
}

func (f fenwick) prefix(q int) int64 {
	var s int64
	for i := q; i > 0; i -= i & -i {
		s += f[i]
	}
	return s
}

// tieRuns accumulates, over the runs of equal values of a sorted sequence
// fed one value at a time, the sums of t(t-1)/2, t(t-1)(t-2) and
// t(t-1)(2t+5) for runs of length t > 1: the tie corrections of Kendall's
// tau-b and of its variance.
type tieRuns struct {
	started bool
	prev    xy
	t       int64
	pairs   int64
	v0, v1  float64
}

func (r *tieRuns) add(v float64) { r.addPair(xy{x: v}) }

func (r *tieRuns) addPair(v xy) {
	if r.started && v == r.prev {
		r.t++
		return
	}
	r.close()
	r.started, r.prev, r.t = true, v, 1
}

func (r *tieRuns) close() {
	if t := r.t; t > 1 {
		ft := float64(t)
		r.pairs += t * (t - 1) / 2
		r.v0 += ft * (ft - 1) * (ft - 2)
		r.v1 += ft * (ft - 1) * (2*ft + 5)
	}
	r.t = 0
}

func (r *tieRuns) finish() (pairs int64, v0, v1 float64) {
	r.close()
	return r.pairs, r.v0, r.v1
}

// countInversions sorts s ascending (bottom-up merge sort, buf as scratch of
// the same length) and returns the number of pairs i < j with s[i] > s[j].
func countInversions(s, buf []float64) int64 {
	var inv int64
	n := len(s)
	if n < 2 {
		return 0
	}
	src, dst := s, buf
	for width := 1; width < n; width *= 2 {
		for lo := 0; lo < n; lo += 2 * width {
			mid := min(lo+width, n)
			hi := min(lo+2*width, n)
			i, j, k := lo, mid, lo
			for i < mid && j < hi {
				if src[i] <= src[j] {
					dst[k] = src[i]
					i++
				} else {
					dst[k] = src[j]
					inv += int64(mid - i)
					j++
				}
				k++
			}
			k += copy(dst[k:], src[i:mid])
			copy(dst[k:], src[j:hi])
		}
		src, dst = dst, src
	}
	if &src[0] != &s[0] {
		copy(s, src)
	}
	return inv
}

// AgreementResult compares two scorers' preferences on the same pairs.
type AgreementResult struct {
	// Kendall is tau-b between the two scorers' differences ScoreA-ScoreB.
	Kendall KendallResult
	// Same counts pairs where both scorers strictly prefer the same image;
	// EitherTie counts pairs where at least one scorer gives equal scores.
	Same, EitherTie, N int
	// SameShare is Same/N.
	SameShare float64
}

// Agreement measures how far two scorers agree on the same pairs (a[i] and
// b[i] the same pair): Kendall's tau-b of their score differences and the
// share of pairs on which both prefer the same image. Labels, weights and
// tie policies do not enter; every pair counts once.
func Agreement(a, b []Pair) (AgreementResult, error) {
	return AgreementOf(PairedSlices(a, b), Spill{})
}

// AgreementOf is [Agreement] over a [PairedSource]: two passes, Kendall's
// sorts spilled to disk as sp says.
func AgreementOf(ps PairedSource, sp Spill) (AgreementResult, error) {
	var r AgreementResult
	err := ps(func(a, b Pair) error {
		if err := checkRow(r.N, a, b); err != nil {
			return err
		}
		r.N++
		da, db := a.ScoreA-a.ScoreB, b.ScoreA-b.ScoreB
		switch {
		case da == 0 || db == 0:
			r.EitherTie++
		case (da > 0) == (db > 0):
			r.Same++
		}
		return nil
	})
	if err != nil {
		return AgreementResult{}, fmt.Errorf("agreement: %w", err)
	}
	k, err := KendallTauBOf(func(visit func(x, y float64) error) error {
		return ps(func(a, b Pair) error { return visit(a.ScoreA-a.ScoreB, b.ScoreA-b.ScoreB) })
	}, sp)
	if err != nil {
		return AgreementResult{}, fmt.Errorf("agreement: %w", err)
	}
	r.Kendall = k
	r.SameShare = float64(r.Same) / float64(r.N)
	return r, nil
}
