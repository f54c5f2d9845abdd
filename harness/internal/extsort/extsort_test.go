package extsort

import (
	"cmp"
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	gocmp "github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// rec carries a key with many duplicates and the order it was added in,
// so stability is visible.
type rec struct {
	key float64
	seq uint32
}

func recCodec() Codec[rec] {
	return Codec[rec]{Size: 12,
		Put: func(b []byte, r rec) { PutFloat64(b, r.key); binary.LittleEndian.PutUint32(b[8:], r.seq) },
		Get: func(b []byte) rec { return rec{key: Float64At(b), seq: binary.LittleEndian.Uint32(b[8:])} },
	}
}

func byKey(a, b rec) int { return cmp.Compare(a.key, b.key) }

func TestMergeMatchesStableSort(t *testing.T) {
	t.Parallel()
	for _, n := range []int{0, 1, 2, 5, 100, 1000} {
		for _, runLen := range []int{1, 3, 7, 64, 0} {
			t.Run(fmt.Sprintf("n=%d/run=%d", n, runLen), func(t *testing.T) {
				rng := rand.New(rand.NewPCG(uint64(n), uint64(runLen)))
				in := make([]rec, n)
				for i := range in {
					in[i] = rec{key: float64(rng.IntN(max(1, n/4))) - 3.5, seq: uint32(i)}
				}
				s := New(byKey, recCodec(), Options[rec]{RunLen: runLen, Dir: t.TempDir()})
				defer s.Close()
				for _, r := range in {
					if err := s.Add(r); err != nil {
						t.Fatal(err)
					}
				}
				var got []rec
				counts := map[int]int{}
				if err := s.Merge(func(r rec, run int) error {
					got = append(got, r)
					counts[run]++
					return nil
				}); err != nil {
					t.Fatal(err)
				}
				want := slices.Clone(in)
				slices.SortStableFunc(want, byKey)
				if d := gocmp.Diff(want, got, gocmp.AllowUnexported(rec{}), cmpopts.EquateEmpty()); d != "" {
					t.Fatalf("merge differs from a stable sort (-want +got):\n%s", d)
				}
				// The run index tells which block of added records a record
				// came from.
				rl := runLen
				if rl == 0 {
					rl = DefaultRunLen
				}
				wantRuns := (n + rl - 1) / rl
				if s.Runs() != wantRuns {
					t.Errorf("Runs() = %d, want %d", s.Runs(), wantRuns)
				}
				for run, c := range counts {
					if want := min(rl, n-run*rl); c != want {
						t.Errorf("run %d gave %d records, want %d", run, c, want)
					}
				}
			})
		}
	}
}

func TestSortRunHook(t *testing.T) {
	t.Parallel()
	var sorted []int
	s := New(func(a, b float64) int { return cmp.Compare(a, b) }, Float64Codec(), Options[float64]{
		RunLen: 2, Dir: t.TempDir(),
		SortRun: func(r []float64) { sorted = append(sorted, len(r)); slices.Sort(r) },
	})
	defer s.Close()
	for _, v := range []float64{5, 4, 3, 2, 1} {
		if err := s.Add(v); err != nil {
			t.Fatal(err)
		}
	}
	var got []float64
	if err := s.Merge(func(v float64, _ int) error { got = append(got, v); return nil }); err != nil {
		t.Fatal(err)
	}
	if d := gocmp.Diff([]float64{1, 2, 3, 4, 5}, got); d != "" {
		t.Errorf("(-want +got):\n%s", d)
	}
	if d := gocmp.Diff([]int{2, 2, 1}, sorted); d != "" {
		t.Errorf("runs sorted (-want +got):\n%s", d)
	}
	if d := gocmp.Diff([]int{2, 2, 1}, s.RunLens()); d != "" {
		t.Errorf("RunLens (-want +got):\n%s", d)
	}
}

func TestMisuse(t *testing.T) {
	t.Parallel()
	s := New(func(a, b float64) int { return cmp.Compare(a, b) }, Float64Codec(), Options[float64]{})
	if err := s.Merge(func(float64, int) error { return nil }); err != nil {
		t.Fatal(err)
	}
	if err := s.Add(1); err == nil {
		t.Error("Add after Merge: no error")
	}
	if err := s.Merge(func(float64, int) error { return nil }); err == nil {
		t.Error("second Merge: no error")
	}
	if err := s.Close(); err != nil {
		t.Error(err)
	}
}
