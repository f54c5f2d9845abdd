package dataset

import (
	"errors"
	"io"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// writeFile writes content to dir/name (creating parents) and returns the path.
func writeFile(t testing.TB, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// readAll drains a source: the pairs before the first non-EOF error, and that error.
func readAll(t testing.TB, src Source) ([]Pair, error) {
	t.Helper()
	var out []Pair
	for {
		p, err := src.Next()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return out, err
		}
		out = append(out, p)
	}
}

// openAll opens spec and drains it.
func openAll(t testing.TB, spec Spec) ([]Pair, Stats, error) {
	t.Helper()
	src, err := Open(spec)
	if err != nil {
		return nil, Stats{}, err
	}
	defer src.Close()
	pairs, err := readAll(t, src)
	return pairs, src.Stats(), err
}

// brief is the part of a Pair most tests compare.
type brief struct {
	ID, PromptID, Prompt string
	A, B                 string // ImageRef.Name
	Label                string
	Weight, Strength     float64
	Source               string
}

func briefs(ps []Pair) []brief {
	out := make([]brief, len(ps))
	for i, p := range ps {
		out[i] = brief{ID: p.ID, PromptID: p.PromptID, Prompt: p.Prompt, A: p.A.Name, B: p.B.Name,
			Label: p.Label.String(), Weight: p.Weight, Strength: p.Strength, Source: p.Source}
	}
	return out
}

var nan = math.NaN()

var equateNaN = cmpopts.EquateNaNs()

func diffPairs(want []brief, got []Pair) string {
	return cmp.Diff(want, briefs(got), equateNaN)
}

// asRowError returns err as a *RowError or fails the test.
func asRowError(t testing.TB, err error) *RowError {
	t.Helper()
	var re *RowError
	if !errors.As(err, &re) {
		t.Fatalf("error %v (%T) is not a *RowError", err, err)
	}
	return re
}
