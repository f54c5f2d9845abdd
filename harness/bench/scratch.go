package bench

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"io"
	"math"
	"os"

	"github.com/srbench/srbench/harness/internal/extsort"
	"github.com/srbench/srbench/harness/stats"
)

// scratch holds the pairs of samples.jsonl re-encoded as fixed-size binary
// rows in an anonymous file, so that the statistics can pass over them many
// times without parsing JSON again or keeping them in memory.
//
// Row layout (little endian): prompt key [16]byte (the first 16 bytes of
// the SHA-256 of the prompt id), prompt index uint32, label uint8, weight
// float64, strength float64 (NaN when absent), then per scorer: ok uint8,
// score A float64, score B float64.
//
// With fewer than `many` distinct prompts, the prompt ids stay in memory
// (interned, one string per prompt, index in the row) and the rows keep the
// order of samples.jsonl. From `many` prompts on, the ids are dropped and,
// at finish, the rows are sorted externally by prompt key, stably (each
// prompt's rows contiguous, in their original order, prompts in key
// order): the file is then grouped by prompt (stats.Pair.Grouped), the
// statistics keep no per-prompt state, and a pair's PromptID is the key in
// hex. Two distinct prompt ids share a 128-bit key with probability about
// n²/2¹²⁹ for n prompts (3·10⁻²⁷ at a million): they would count as one
// prompt.
type scratch struct {
	f        *os.File
	w        *bufio.Writer
	dir      string
	scorers  int
	rowSize  int
	rows     int
	many     int // prompts from which the rows are grouped
	ids      map[string]uint32
	prompts  []string
	grouped  bool // rows sorted by prompt key (after finish)
	nPrompts int  // distinct prompts (after finish)
	row      []byte
	readSize int
}

const (
	keySize   = 16
	rowHead   = keySize + 4 + 1 + 8 + 8
	rowScorer = 1 + 8 + 8
)

// newScratch creates the scratch file in dir (removed from the directory at
// once; it lives until close); from many prompts on the rows are grouped.
func newScratch(dir string, scorers, many int) (*scratch, error) {
	f, err := tempFile(dir)
	if err != nil {
		return nil, err
	}
	size := rowHead + scorers*rowScorer
	many = min(max(many, 1), math.MaxUint32)
	return &scratch{f: f, w: bufio.NewWriterSize(f, 256<<10), dir: dir, scorers: scorers, rowSize: size, many: many,
		ids: map[string]uint32{}, row: make([]byte, size), readSize: 256 << 10}, nil
}

// tempFile creates an anonymous file in dir.
func tempFile(dir string) (*os.File, error) {
	f, err := os.CreateTemp(dir, ".srbench-analyze-*")
	if err != nil {
		return nil, err
	}
	if err := os.Remove(f.Name()); err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}

func (s *scratch) close() error { return s.f.Close() }

// scored is one scorer's view of a row being written.
type scored struct {
	ok   bool
	a, b float64
}

// add appends a row.
func (s *scratch) add(promptID string, label stats.Label, weight, strength float64, scores []scored) error {
	var g uint32
	if s.ids != nil {
		var ok bool
		g, ok = s.ids[promptID]
		if !ok {
			g = uint32(len(s.prompts))
			s.ids[promptID] = g
			s.prompts = append(s.prompts, promptID)
			if len(s.prompts) >= s.many {
				// Grouped from here on: the ids are no longer needed.
				s.ids, s.prompts, g = nil, nil, 0
			}
		}
	}
	b := s.row
	key := sha256.Sum256([]byte(promptID))
	copy(b, key[:keySize])
	binary.LittleEndian.PutUint32(b[keySize:], g)
	b[keySize+4] = byte(label)
	binary.LittleEndian.PutUint64(b[keySize+5:], math.Float64bits(weight))
	binary.LittleEndian.PutUint64(b[keySize+13:], math.Float64bits(strength))
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

// finish flushes the rows and, with many prompts, sorts them by prompt;
// the sources may be used after it.
func (s *scratch) finish() error {
	if err := s.w.Flush(); err != nil {
		return err
	}
	if s.ids != nil {
		s.ids, s.nPrompts = nil, len(s.prompts) // the lookup is only needed while writing
		return nil
	}
	return s.group()
}

// group sorts the rows by prompt key (stably, externally) into a new
// scratch file and counts the distinct keys.
func (s *scratch) group() error {
	n := s.rowSize
	sorter := extsort.New(func(a, b []byte) int { return bytes.Compare(a[:keySize], b[:keySize]) },
		extsort.Codec[[]byte]{Size: n,
			Put: func(dst []byte, v []byte) { copy(dst, v) },
			// The reader's buffer: valid until its next record, which is
			// all the merge and the visit below need.
			Get: func(src []byte) []byte { return src },
		}, extsort.Options[[]byte]{Dir: s.dir})
	defer sorter.Close()
	// Rows are carved from slabs: a slab is garbage once its rows spilled.
	const slabRows = 4096
	var slab []byte
	err := s.each(func(_ stats.Pair, row []byte) error {
		if len(slab) == 0 {
			slab = make([]byte, slabRows*n)
		}
		r := slab[:n:n]
		slab = slab[n:]
		copy(r, row)
		return sorter.Add(r)
	})
	if err != nil {
		return err
	}
	f, err := tempFile(s.dir)
	if err != nil {
		return err
	}
	w := bufio.NewWriterSize(f, 256<<10)
	var prev [keySize]byte
	count := 0
	err = sorter.Merge(func(row []byte, _ int) error {
		if count == 0 || !bytes.Equal(prev[:], row[:keySize]) {
			count++
			copy(prev[:], row[:keySize])
		}
		_, err := w.Write(row)
		return err
	})
	if err == nil {
		err = w.Flush()
	}
	if err != nil {
		f.Close()
		return fmt.Errorf("grouping by prompt: %w", err)
	}
	s.f.Close()
	s.f, s.w, s.grouped, s.nPrompts = f, nil, true, count
	return nil
}

// each decodes every row in order: the pair without scores and the raw row
// for the scorers' fields. In a grouped file the pairs are marked Grouped
// and their PromptID is the prompt key in hex (one string per prompt).
func (s *scratch) each(visit func(p stats.Pair, row []byte) error) error {
	r := bufio.NewReaderSize(io.NewSectionReader(s.f, 0, int64(s.rows)*int64(s.rowSize)), s.readSize)
	b := make([]byte, s.rowSize)
	var key [keySize]byte
	var hexKey [2 * keySize]byte
	id := ""
	for i := range s.rows {
		if _, err := io.ReadFull(r, b); err != nil {
			return fmt.Errorf("analysis scratch file: %w", err)
		}
		p := stats.Pair{
			Label:    stats.Label(b[keySize+4]),
			Weight:   math.Float64frombits(binary.LittleEndian.Uint64(b[keySize+5:])),
			Strength: math.Float64frombits(binary.LittleEndian.Uint64(b[keySize+13:])),
			Grouped:  s.grouped,
		}
		switch {
		case s.grouped:
			if i == 0 || !bytes.Equal(key[:], b[:keySize]) {
				copy(key[:], b[:keySize])
				hex.Encode(hexKey[:], key[:])
				id = string(hexKey[:])
			}
			p.PromptID = id
		case s.prompts != nil:
			p.PromptID = s.prompts[binary.LittleEndian.Uint32(b[keySize:])]
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
