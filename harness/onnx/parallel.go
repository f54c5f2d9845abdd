package onnx

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
)

// Parallel runs a model as several concurrent runs, each on part of the
// batch. With single-threaded sessions this is how ONNX Runtime uses a small
// machine best: one run per CPU never waits for another thread at the end of
// each operator, and a CPU taken by other work (decoding the next images)
// delays one run instead of stalling every thread of a shared one
// (docs/performance.md has the measurements). Peak memory stays that of one
// run: a batch is split, so the runs together hold one batch's activations.
//
// A Parallel is safe for concurrent use; its limit holds across callers, so
// several requests share the same runs.
type Parallel struct {
	slots chan struct{}
}

// NewParallel returns a Parallel with at most runs model runs at once (at
// least one; one makes Run a plain, serialised Session.Run).
func NewParallel(runs int) *Parallel {
	return &Parallel{slots: make(chan struct{}, max(runs, 1))}
}

// Runs is the most model runs at once.
func (p *Parallel) Runs() int { return cap(p.slots) }

// Run runs s on in and returns its outputs, as s.Run does. When every input
// has the same first dimension n (the batch) and n > 1, the batch is cut
// into min(Runs, n) contiguous parts of nearly equal size, run concurrently,
// and each output is the parts' outputs joined along its first dimension,
// in order. Inputs that do not share a batch dimension run whole. Every
// output must then have the part's rows as its first dimension.
func (p *Parallel) Run(s *Session, in map[string]Tensor) (map[string]Tensor, error) {
	n, ok := batchOf(in)
	k := min(p.Runs(), n)
	if !ok || k <= 1 {
		return p.run(s, in)
	}
	outs := make([]map[string]Tensor, k)
	errs := make([]error, k)
	var wg sync.WaitGroup
	for i := range k {
		lo, hi := i*n/k, (i+1)*n/k
		wg.Go(func() { outs[i], errs[i] = p.run(s, rowsOf(in, n, lo, hi)) })
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	res := make(map[string]Tensor, len(outs[0]))
	for name := range outs[0] {
		parts := make([]Tensor, k)
		for i := range outs {
			parts[i] = outs[i][name]
		}
		t, err := joinRows(parts, n)
		if err != nil {
			return nil, fmt.Errorf("onnx: model %q: output %q: %w", s.Path(), name, err)
		}
		res[name] = t
	}
	return res, nil
}

func (p *Parallel) run(s *Session, in map[string]Tensor) (map[string]Tensor, error) {
	p.slots <- struct{}{}
	defer func() { <-p.slots }()
	return s.Run(in)
}

// batchOf returns the first dimension shared by every input.
func batchOf(in map[string]Tensor) (int, bool) {
	n := -1
	for _, t := range in {
		if len(t.Shape) == 0 || t.Shape[0] < 1 || (n >= 0 && t.Shape[0] != int64(n)) {
			return 0, false
		}
		n = int(t.Shape[0])
		if t.dataLen()%n != 0 {
			return 0, false
		}
	}
	return n, n > 0
}

// rowsOf returns rows lo..hi-1 of every input (views, not copies).
func rowsOf(in map[string]Tensor, n, lo, hi int) map[string]Tensor {
	out := make(map[string]Tensor, len(in))
	for name, t := range in {
		shape := slices.Clone(t.Shape)
		shape[0] = int64(hi - lo)
		stride := t.dataLen() / n
		part := Tensor{Shape: shape}
		if t.Float32 != nil {
			part.Float32 = t.Float32[lo*stride : hi*stride : hi*stride]
		} else {
			part.Int64 = t.Int64[lo*stride : hi*stride : hi*stride]
		}
		out[name] = part
	}
	return out
}

// joinRows joins the parts of one output along the first dimension; they
// must agree on everything else and have n rows in all.
func joinRows(parts []Tensor, n int) (Tensor, error) {
	first := parts[0]
	if len(first.Shape) == 0 {
		return Tensor{}, errors.New("a scalar output cannot be joined along a batch dimension")
	}
	rows := 0
	size := 0
	for i, t := range parts {
		if len(t.Shape) != len(first.Shape) || !slices.Equal(t.Shape[1:], first.Shape[1:]) || t.Type() != first.Type() {
			return Tensor{}, fmt.Errorf("part %d has shape %v %s, part 0 %v %s", i, t.Shape, t.Type(), first.Shape, first.Type())
		}
		rows += int(t.Shape[0])
		size += t.dataLen()
	}
	if rows != n {
		return Tensor{}, fmt.Errorf("the parts have %d rows in all, the batch %d", rows, n)
	}
	out := Tensor{Shape: slices.Clone(first.Shape)}
	out.Shape[0] = int64(n)
	if first.Float32 != nil {
		out.Float32 = make([]float32, 0, size)
		for _, t := range parts {
			out.Float32 = append(out.Float32, t.Float32...)
		}
	} else {
		out.Int64 = make([]int64, 0, size)
		for _, t := range parts {
			out.Int64 = append(out.Int64, t.Int64...)
		}
	}
	return out, nil
}

// PlanRuns returns the session options and the Parallel a scorer runs its
// model with. Left to their defaults on the CPU (IntraOpThreads 0), the
// sessions are single-threaded and there is one run per CPU available
// (DefaultIntraOpThreads); an explicit thread count, or a GPU, keeps one
// run at a time with the options as given.
func PlanRuns(so SessionOptions) (SessionOptions, *Parallel) {
	p := strings.ToLower(so.ExecutionProvider)
	if so.IntraOpThreads != 0 || (p != "" && p != ProviderCPU) {
		return so, NewParallel(1)
	}
	so.IntraOpThreads = 1
	return so, NewParallel(DefaultIntraOpThreads())
}
