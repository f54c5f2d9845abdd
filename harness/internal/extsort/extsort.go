package extsort

import (
	"bufio"
	"container/heap"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
)

// DefaultRunLen is the number of records sorted in memory at a time when
// Options.RunLen is 0.
const DefaultRunLen = 1 << 16

// readBuf is the read buffer of each run during the merge.
const readBuf = 16 << 10

// Codec turns a record into its fixed-size byte form and back.
type Codec[T any] struct {
	// Size is the encoded size of one record in bytes.
	Size int
	Put  func(dst []byte, v T)
	Get  func(src []byte) T
}

// Options configure a Sorter. The zero value is the default.
type Options[T any] struct {
	// RunLen is the number of records kept in memory before a run is
	// spilled; 0 means DefaultRunLen.
	RunLen int
	// Dir is where the temporary file is created; "" means os.TempDir().
	// The file is removed from the directory as soon as it is created.
	Dir string
	// SortRun, when set, replaces the in-memory sort of a run. It must
	// leave the run sorted by the Sorter's comparison and should be stable
	// (the merge keeps the order of runs for equal records). Kendall's
	// tau-b uses it to count inversions while sorting.
	SortRun func(run []T)
}

// Sorter collects records with Add and returns them sorted with Merge. A
// Sorter is not safe for concurrent use. Close releases its file.
type Sorter[T any] struct {
	cmp   func(a, b T) int
	codec Codec[T]
	opts  Options[T]
	buf   []T
	file  *os.File
	w     *bufio.Writer
	runs  []run
	off   int64
	n     int
	enc   []byte
	done  bool
}

type run struct{ off, n int64 }

// New returns a Sorter ordering records by cmp (negative when a sorts
// before b), stably: equal records keep the order in which they were added.
func New[T any](cmp func(a, b T) int, codec Codec[T], opts Options[T]) *Sorter[T] {
	if codec.Size <= 0 || codec.Put == nil || codec.Get == nil {
		panic("extsort: codec needs Size > 0, Put and Get")
	}
	if opts.RunLen == 0 {
		opts.RunLen = DefaultRunLen
	}
	if opts.RunLen < 1 {
		panic(fmt.Sprintf("extsort: RunLen %d, want >= 1", opts.RunLen))
	}
	if opts.SortRun == nil {
		opts.SortRun = func(r []T) { slices.SortStableFunc(r, cmp) }
	}
	return &Sorter[T]{cmp: cmp, codec: codec, opts: opts, enc: make([]byte, codec.Size)}
}

// Len is the number of records added.
func (s *Sorter[T]) Len() int { return s.n }

// Add appends a record. It spills a sorted run to disk when the in-memory
// run is full.
func (s *Sorter[T]) Add(v T) error {
	if s.done {
		return errors.New("extsort: Add after Merge")
	}
	s.buf = append(s.buf, v)
	s.n++
	if len(s.buf) == s.opts.RunLen {
		return s.spill()
	}
	return nil
}

func (s *Sorter[T]) spill() error {
	if s.file == nil {
		f, err := os.CreateTemp(s.opts.Dir, "srbench-sort-*")
		if err != nil {
			return fmt.Errorf("extsort: %w", err)
		}
		// Unlinked at once: the data lives until Close (or the process) ends.
		if err := os.Remove(f.Name()); err != nil {
			f.Close()
			return fmt.Errorf("extsort: %w", err)
		}
		s.file, s.w = f, bufio.NewWriterSize(f, 64<<10)
	}
	s.opts.SortRun(s.buf)
	for _, v := range s.buf {
		s.codec.Put(s.enc, v)
		if _, err := s.w.Write(s.enc); err != nil {
			return fmt.Errorf("extsort: writing run %d: %w", len(s.runs), err)
		}
	}
	n := int64(len(s.buf))
	s.runs = append(s.runs, run{off: s.off, n: n})
	s.off += n * int64(s.codec.Size)
	s.buf = s.buf[:0]
	return nil
}

// Runs is the number of sorted runs Merge combines (known after Merge has
// started; 0 or 1 means everything was sorted in memory).
func (s *Sorter[T]) Runs() int { return len(s.runs) }

// RunLens returns the number of records in each run, in run order.
func (s *Sorter[T]) RunLens() []int {
	out := make([]int, len(s.runs))
	for i, r := range s.runs {
		out[i] = int(r.n)
	}
	return out
}

// Merge visits every record in sorted order with the index of the run it
// came from (runs are numbered in the order their records were added;
// equal records come from lower runs first). Merge may be called once; it
// stops at the first error visit returns and returns it.
func (s *Sorter[T]) Merge(visit func(v T, run int) error) error {
	if s.done {
		return errors.New("extsort: Merge called twice")
	}
	if s.file == nil {
		// Everything fits in one run: sort in memory, no disk.
		s.done = true
		if len(s.buf) > 0 {
			s.opts.SortRun(s.buf)
			s.runs = []run{{n: int64(len(s.buf))}}
		}
		for _, v := range s.buf {
			if err := visit(v, 0); err != nil {
				return err
			}
		}
		s.buf = nil
		return nil
	}
	if len(s.buf) > 0 {
		if err := s.spill(); err != nil {
			return err
		}
	}
	s.done = true
	s.buf = nil
	if err := s.w.Flush(); err != nil {
		return fmt.Errorf("extsort: %w", err)
	}
	h := &mergeHeap[T]{cmp: s.cmp}
	for i, r := range s.runs {
		rd := &reader[T]{
			r:     bufio.NewReaderSize(io.NewSectionReader(s.file, r.off, r.n*int64(s.codec.Size)), readBuf),
			left:  r.n,
			run:   i,
			codec: s.codec,
			b:     make([]byte, s.codec.Size),
		}
		ok, err := rd.next()
		if err != nil {
			return err
		}
		if ok {
			h.items = append(h.items, rd)
		}
	}
	heap.Init(h)
	for h.Len() > 0 {
		top := h.items[0]
		if err := visit(top.cur, top.run); err != nil {
			return err
		}
		ok, err := top.next()
		if err != nil {
			return err
		}
		if ok {
			heap.Fix(h, 0)
		} else {
			heap.Pop(h)
		}
	}
	return nil
}

// Close releases the temporary file. It is safe to call more than once.
func (s *Sorter[T]) Close() error {
	s.buf = nil
	if s.file == nil {
		return nil
	}
	err := s.file.Close()
	s.file = nil
	return err
}

type reader[T any] struct {
	r     *bufio.Reader
	left  int64
	run   int
	cur   T
	codec Codec[T]
	b     []byte
}

func (r *reader[T]) next() (bool, error) {
	if r.left == 0 {
		return false, nil
	}
	if _, err := io.ReadFull(r.r, r.b); err != nil {
		return false, fmt.Errorf("extsort: reading run %d: %w", r.run, err)
	}
	r.cur = r.codec.Get(r.b)
	r.left--
	return true, nil
}

type mergeHeap[T any] struct {
	cmp   func(a, b T) int
	items []*reader[T]
}

func (h *mergeHeap[T]) Len() int { return len(h.items) }
func (h *mergeHeap[T]) Less(i, j int) bool {
	if c := h.cmp(h.items[i].cur, h.items[j].cur); c != 0 {
		return c < 0
	}
	return h.items[i].run < h.items[j].run
}
func (h *mergeHeap[T]) Swap(i, j int) { h.items[i], h.items[j] = h.items[j], h.items[i] }
func (h *mergeHeap[T]) Push(x any)    { h.items = append(h.items, x.(*reader[T])) }
func (h *mergeHeap[T]) Pop() any {
	n := len(h.items)
	x := h.items[n-1]
	h.items = h.items[:n-1]
	return x
}

// Float64Codec is the codec of a float64 record.
func Float64Codec() Codec[float64] { return Codec[float64]{Size: 8, Put: putF64, Get: getF64} }
