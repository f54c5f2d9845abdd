package dataset

import (
	"sort"

	"github.com/srbench/srbench/harness/internal/jsonfield"
)

// recorder accumulates Stats for one source.
type recorder struct {
	s Stats
}

func newRecorder(f Format) *recorder {
	return &recorder{s: Stats{Format: f}}
}

func (r *recorder) row() { r.s.Rows++ }

func (r *recorder) skip(e *RowError) {
	r.s.Skipped++
	if r.s.SkipReasons == nil {
		r.s.SkipReasons = map[string]int{}
	}
	r.s.SkipReasons[e.Reason()]++
	if len(r.s.Examples) < MaxExamples {
		r.s.Examples = append(r.s.Examples, e.Error())
	}
}

func (r *recorder) filter(reason string) {
	r.s.Filtered++
	if r.s.FilterReasons == nil {
		r.s.FilterReasons = map[string]int{}
	}
	r.s.FilterReasons[reason]++
}

func (r *recorder) unknownField(name string) {
	r.s.UnknownFields = jsonfield.CountUnknown(r.s.UnknownFields, name)
}

// snapshot returns a deep copy, so callers cannot change the recorder's maps.
func (r *recorder) snapshot() Stats {
	s := r.s
	s.SkipReasons = copyMap(s.SkipReasons)
	s.FilterReasons = copyMap(s.FilterReasons)
	s.UnknownFields = copyMap(s.UnknownFields)
	s.Examples = append([]string(nil), s.Examples...)
	return s
}

func copyMap(m map[string]int) map[string]int {
	if m == nil {
		return nil
	}
	c := make(map[string]int, len(m))
	for k, v := range m {
		c[k] = v
	}
	return c
}

func sortedKeys(m map[string]int) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
