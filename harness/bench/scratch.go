package bench

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"os"

	"github.com/srbench/srbench/harness/stats"
)

// scratch holds the pairs of samples.jsonl re-encoded as fixed-size binary
// rows in an anonymous file, so that the statistics can pass over them many
// times without parsing JSON again or keeping them in memory. Only the
// prompt ids stay in memory (interned, one string per prompt).
//
// Row layout (little endian): prompt index uint32, label uint8, weight
// float64, strength float64 (NaN when absent), then per scorer: ok uint8,
// score A float64, score B float64.
type scratch struct {
	f        *os.File
	w        *bufio.Writer
	scorers  int
	rowSize  int
	rows     int
	ids      map[string]uint32
	prompts  []string
	row      []byte
	readSize int
}

const (
	rowHead   = 4 + 1 + 8 + 8
	rowScorer = 1 + 8 + 8
)

// newScratch creates the scratch file in dir (removed from the directory at
// once; it lives until close).
func newScratch(dir string, scorers int) (*scratch, error) {
	f, err := os.CreateTemp(dir, ".srbench-analyze-*")
	if err != nil {
		return nil, err
	}
	if err := os.Remove(f.Name()); err != nil {
		f.Close()
		return nil, err
	}
	size := rowHead + scorers*rowScorer
	return &scratch{f: f, w: bufio.NewWriterSize(f, 256<<10), scorers: scorers, rowSize: size,
		ids: map[string]uint32{}, row: make([]byte, size), readSize: 256 << 10}, nil
}

func (s *scratch) close() error { return s.f.Close() }

// scored is one scorer's view of a row being written.
type scored struct {
	ok   bool
	a, b float64
}

// add appends a row.
func (s *scratch) add(promptID string, label stats.Label, weight, strength float64, scores []scored) error {
	g, ok := s.ids[promptID]
	if !ok {
		if len(s.prompts) == math.MaxUint32 {
			return fmt.Errorf("more than %d prompts", uint32(math.MaxUint32))
		}
		g = uint32(len(s.prompts))
		s.ids[promptID] = g
		s.prompts = append(s.prompts, promptID)
	}
	b := s.row
	binary.LittleEndian.PutUint32(b, g)
	b[4] = byte(label)
	binary.LittleEndian.PutUint64(b[5:], math.Float64bits(weight))
	binary.LittleEndian.PutUint64(b[13:], math.Float64bits(strength))
	for i, sc := range scores {
		o := rowHead + i*rowScorer
		b[o] = 0
		if sc.ok {
			b[o] = 1
		}
		binary.LittleEndian.PutUint64(b[o+1:], math.Float64bits(sc.a))
		binary.LittleEndian.PutUint64(b[o+9:], math.Float64bits(sc.b))
	}
	s.rows++
	_, err := s.w.Write(b)
	return err
}

// finish flushes the rows; the sources may be used after it.
func (s *scratch) finish() error {
	s.ids = nil // the lookup is only needed while writing
	return s.w.Flush()
}

// each decodes every row in order: the pair without scores and the raw row
// for the scorers' fields.
func (s *scratch) each(visit func(p stats.Pair, row []byte) error) error {
	r := bufio.NewReaderSize(io.NewSectionReader(s.f, 0, int64(s.rows)*int64(s.rowSize)), s.readSize)
	b := make([]byte, s.rowSize)
	for range s.rows {
		if _, err := io.ReadFull(r, b); err != nil {
			return fmt.Errorf("analysis scratch file: %w", err)
		}
		p := stats.Pair{
			PromptID: s.prompts[binary.LittleEndian.Uint32(b)],
			Label:    stats.Label(b[4]),
			Weight:   math.Float64frombits(binary.LittleEndian.Uint64(b[5:])),
			Strength: math.Float64frombits(binary.LittleEndian.Uint64(b[13:])),
		}
		if err := visit(p, b); err != nil {
			return err
		}
	}
	return nil
}

// score reads scorer i's fields of a row.
func score(row []byte, i int) (ok bool, a, b float64) {
	o := rowHead + i*rowScorer
	return row[o] == 1, math.Float64frombits(binary.LittleEndian.Uint64(row[o+1:])),
		math.Float64frombits(binary.LittleEndian.Uint64(row[o+9:]))
}

// source is scorer i's scored pairs.
func (s *scratch) source(i int) stats.Source {
	return func(visit func(stats.Pair) error) error {
		return s.each(func(p stats.Pair, row []byte) error {
			ok, a, b := score(row, i)
			if !ok {
				return nil
			}
			p.ScoreA, p.ScoreB = a, b
			return visit(p)
		})
	}
}

// paired is the pairs both scorer i and scorer j scored.
func (s *scratch) paired(i, j int) stats.PairedSource {
	return func(visit func(a, b stats.Pair) error) error {
		return s.each(func(p stats.Pair, row []byte) error {
			oki, ai, bi := score(row, i)
			okj, aj, bj := score(row, j)
			if !oki || !okj {
				return nil
			}
			q := p
			p.ScoreA, p.ScoreB = ai, bi
			q.ScoreA, q.ScoreB = aj, bj
			return visit(p, q)
		})
	}
}
