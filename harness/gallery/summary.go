package gallery

import (
	"fmt"
	"hash/fnv"
	"sort"
	"strings"
)

// Summary counts structural problems of a gallery that are not errors but must be
// reported: a ranking of generators is only fair over prompts where every generator
// has the same number of samples.
type Summary struct {
	Prompts    int      // prompts in the gallery (Stats.Prompts)
	Generators []string // sorted (Stats.Generators)
	// MissingCells counts (prompt, generator) cells without an image; it is the sum
	// of MissingByGenerator.
	MissingCells int
	// MissingByGenerator counts, per generator, the prompts that have no image of it
	// (only generators with a count above 0 are present; nil when none).
	MissingByGenerator map[string]int
	// Unequal counts prompts whose generators that do have images there have
	// different numbers of them (missing generators are counted in
	// MissingByGenerator, not here).
	Unequal int
	// EmptyPrompts counts prompts without any image (a directory's prompts.jsonl
	// line with no prompt directory or empty ones); each also lacks every generator.
	EmptyPrompts int
	// MinSamples and MaxSamples are the smallest and largest number of images in a
	// non-empty cell (0 when there are none).
	MinSamples, MaxSamples int
}

// Complete reports whether every prompt has every generator with the same number of
// samples.
func (s Summary) Complete() bool { return s.MissingCells == 0 && s.Unequal == 0 }

// Lines returns one line per problem, e.g. "3 prompts lack generator "sdxl" (of
// 500)" and "12 prompts have unequal samples per generator"; nil when Complete.
func (s Summary) Lines() []string {
	var out []string
	for _, g := range sortedKeys(s.MissingByGenerator) {
		n := s.MissingByGenerator[g]
		out = append(out, fmt.Sprintf("%d prompt%s lack%s generator %q (of %d)", n, plural(n, "", "s"), plural(n, "s", ""), g, s.Prompts))
	}
	if s.EmptyPrompts > 0 {
		out = append(out, fmt.Sprintf("%d prompt%s %s no images (of %d)", s.EmptyPrompts, plural(s.EmptyPrompts, "", "s"), plural(s.EmptyPrompts, "has", "have"), s.Prompts))
	}
	if s.Unequal > 0 {
		out = append(out, fmt.Sprintf("%d prompt%s %s unequal samples per generator (of %d; cells hold %d to %d images)",
			s.Unequal, plural(s.Unequal, "", "s"), plural(s.Unequal, "has", "have"), s.Prompts, s.MinSamples, s.MaxSamples))
	}
	return out
}

// String is the Lines joined with "; ", or a one-line description of a complete
// gallery.
func (s Summary) String() string {
	if s.Complete() {
		return fmt.Sprintf("complete: %d prompts x %d generators, %d sample(s) per cell", s.Prompts, len(s.Generators), s.MaxSamples)
	}
	return strings.Join(s.Lines(), "; ")
}

// tracker holds the per-prompt state validation and the Summary need.
//
// Memory: one promptState per prompt id (its id and text, and one cell per
// generator seen so far: 32 bytes), plus, for manifests only, 16 bytes per image (a
// 64-bit hash of its cleaned path and its line) to refuse the same image twice in a
// cell. Nothing else grows with the number of images.
type tracker struct {
	gens    map[string]int
	names   []string // generator names by index
	prompts map[string]*promptState
}

type promptState struct {
	text  string
	line  int // where the prompt was first seen (manifest or prompts.jsonl line)
	cells []cell
}

type cell struct {
	n     int
	paths []seenPath // manifest only
}

type seenPath struct {
	hash uint64
	line int
}

func newTracker() *tracker {
	return &tracker{gens: map[string]int{}, prompts: map[string]*promptState{}}
}

func (t *tracker) generator(name string) int {
	if i, ok := t.gens[name]; ok {
		return i
	}
	t.gens[name] = len(t.names)
	t.names = append(t.names, name)
	return len(t.names) - 1
}

func (t *tracker) sortedGenerators() []string {
	out := append([]string(nil), t.names...)
	sort.Strings(out)
	return out
}

func (p *promptState) cell(g int) *cell {
	for len(p.cells) <= g {
		p.cells = append(p.cells, cell{})
	}
	return &p.cells[g]
}

func pathHash(clean string) uint64 {
	h := fnv.New64a()
	h.Write([]byte(clean))
	return h.Sum64()
}

func (t *tracker) summary() Summary {
	s := Summary{Prompts: len(t.prompts), Generators: t.sortedGenerators()}
	for _, p := range t.prompts {
		total, first, unequal := 0, -1, false
		for g, name := range t.names {
			n := 0
			if g < len(p.cells) {
				n = p.cells[g].n
			}
			if n == 0 {
				if s.MissingByGenerator == nil {
					s.MissingByGenerator = map[string]int{}
				}
				s.MissingByGenerator[name]++
				s.MissingCells++
				continue
			}
			total += n
			if s.MinSamples == 0 || n < s.MinSamples {
				s.MinSamples = n
			}
			s.MaxSamples = max(s.MaxSamples, n)
			if first < 0 {
				first = n
			} else if n != first {
				unequal = true
			}
		}
		if total == 0 {
			s.EmptyPrompts++
		}
		if unequal {
			s.Unequal++
		}
	}
	return s
}
