package stats

import (
	"fmt"

	"github.com/srbench/srbench/harness/internal/extsort"
)

// Source is a sequence of pairs that can be visited any number of times,
// the same pairs in the same order each time. Calling it visits every pair;
// it stops at the first error visit returns (or its own read error) and
// returns that error. [Slice] makes one of a slice; a benchmark run streams
// one from disk. The statistics that take a Source (the functions ending in
// Of) keep memory proportional to the number of prompts, not pairs: the ones
// that order all pairs sort externally as [Spill] says.
type Source func(visit func(p Pair) error) error

// Slice is the Source of pairs held in memory.
func Slice(pairs []Pair) Source {
	return func(visit func(Pair) error) error {
		for _, p := range pairs {
			if err := visit(p); err != nil {
				return err
			}
		}
		return nil
	}
}

// Grouped marks src as grouped by prompt (sets [Pair].Grouped on every
// pair): the caller promises that all pairs of one prompt are consecutive.
// Sort the pairs by PromptID, stably, to make a slice one.
func Grouped(src Source) Source {
	return func(visit func(Pair) error) error {
		return src(func(p Pair) error {
			p.Grouped = true
			return visit(p)
		})
	}
}

// PairedSource is the paired form of [Source] for two scorers scored on the
// same pairs: a and b are the same pair (prompt, label, weight) with each
// scorer's scores.
type PairedSource func(visit func(a, b Pair) error) error

// PairedSlices is the PairedSource of two aligned slices (index i is the
// same pair in both). Slices of different lengths are an error when the
// source is visited.
func PairedSlices(a, b []Pair) PairedSource {
	return func(visit func(a, b Pair) error) error {
		if len(a) != len(b) {
			return fmt.Errorf("scorers have %d and %d pairs, want the same pairs in the same order", len(a), len(b))
		}
		for i := range a {
			if err := visit(a[i], b[i]); err != nil {
				return err
			}
		}
		return nil
	}
}

// Spill configures the external sorts of the statistics that order every
// pair ([KendallTauBOf], [AgreementOf], [TieCalibrateOf],
// [AccuracyByStrengthOf]). The zero value sorts up to 65,536 records in
// memory and spills longer inputs, in sorted runs of that length, to an
// anonymous file in os.TempDir(). Results do not depend on it.
type Spill struct {
	// RunLen is the number of records sorted in memory at a time; 0 means
	// 65,536.
	RunLen int
	// Dir holds the temporary file; "" means os.TempDir().
	Dir string
}

func newSorter[T any](sp Spill, cmp func(a, b T) int, codec extsort.Codec[T], sortRun func([]T)) *extsort.Sorter[T] {
	return extsort.New(cmp, codec, extsort.Options[T]{RunLen: sp.RunLen, Dir: sp.Dir, SortRun: sortRun})
}

// checkRow checks that a and b, row i of a paired source, are the same pair
// with valid fields.
func checkRow(i int, a, b Pair) error {
	switch {
	case a.PromptID != b.PromptID:
		return fmt.Errorf("pair %d: field \"PromptID\": %q vs %q, want the same pairs in the same order", i, a.PromptID, b.PromptID)
	case a.Label != b.Label:
		return fmt.Errorf("pair %d (prompt %q): field \"Label\": %v vs %v, want the same pairs in the same order", i, a.PromptID, a.Label, b.Label)
	case a.weight() != b.weight():
		return fmt.Errorf("pair %d (prompt %q): field \"Weight\": %v vs %v, want equal weights", i, a.PromptID, a.Weight, b.Weight)
	}
	if err := a.check(i); err != nil {
		return fmt.Errorf("first scorer: %w", err)
	}
	if err := b.check(i); err != nil {
		return fmt.Errorf("second scorer: %w", err)
	}
	return nil
}
