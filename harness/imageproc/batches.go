package imageproc

import (
	"context"
	"sync"
)

// BatchSource names the image of item i: a file path, or encoded bytes
// (data non-nil). An item whose image should not be loaded at all (e.g. its
// prompt failed to tokenize) returns skip with the reason.
type BatchSource func(i int) (path string, data []byte, skip string)

// BatchOptions configure Loader.Batches.
type BatchOptions struct {
	// BatchSize is the largest number of images in one batch (>= 1).
	BatchSize int
	// Workers decode and preprocess the images of a batch in parallel
	// (>= 1).
	Workers int
	// Lookup, when set, is called by a worker with image i's encoded bytes
	// (read within the Loader's limits) before they are decoded. Returning
	// true resolves the image without decoding it (say, its embedding is
	// in a cache): it is left out of its batch, with no error. It must be
	// safe for concurrent use.
	Lookup func(i int, data []byte) bool
}

// Batches is the batched inference loop the CLIP-family encoders and
// ImageReward share: it cuts items 0..n-1 into batches, decodes and
// preprocesses each batch's images on a worker pool (within the Loader's
// limits and memory budget) while run handles the previous batch, and calls
// run with the indices of the images that loaded, in order, and their
// tensors ([len(idx), 3, N, N] for the pipeline's fixed output size N).
// run must not keep pixels after it returns: two buffers take turns. A run
// error stops the loop (waiting for the batch being prepared) and is
// returned; a per-image failure (skip reason,
// unreadable file, decode error) goes into errs[i] and the image is left
// out of its batch. A cancelled ctx stops the loop with ctx.Err().
func (l *Loader) Batches(ctx context.Context, n int, opt BatchOptions, src BatchSource, run func(idx []int, pixels []float32) error) (errs []string, err error) {
	w, h, ok := l.Pipeline.FixedOutputSize()
	if !ok {
		w, h = 0, 0
	}
	per := 3 * w * h
	size, workers := max(opt.BatchSize, 1), max(opt.Workers, 1)
	errs = make([]string, n)
	type batch struct {
		idx []int
		pix []float32
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	ready := make(chan batch, 1)
	// Two buffers take turns (one filling while run reads the other); the
	// second is allocated only when there is a second batch, and neither
	// is larger than the images there are.
	free := make(chan []float32, 2)
	free <- make([]float32, min(size, n)*per)
	if n > size {
		free <- make([]float32, size*per)
	}
	go func() {
		defer close(ready)
		for lo := 0; lo < n; lo += size {
			hi := min(lo+size, n)
			var buf []float32
			select {
			case buf = <-free:
			case <-ctx.Done():
				return
			}
			loaded := make([]bool, hi-lo)
			next := make(chan int)
			var wg sync.WaitGroup
			for range min(workers, hi-lo) {
				wg.Go(func() {
					for k := range next {
						path, data, skip := src(lo + k)
						if skip != "" {
							errs[lo+k] = skip
							continue
						}
						fromFile := data == nil
						if fromFile {
							var err error
							if data, err = ReadFile(path, l.Options); err != nil {
								errs[lo+k] = err.Error()
								continue
							}
						}
						if opt.Lookup != nil && opt.Lookup(lo+k, data) {
							continue
						}
						if err := l.decodeInto(ctx, path, fromFile, data, buf[k*per:(k+1)*per]); err != nil {
							errs[lo+k] = err.Error()
							continue
						}
						loaded[k] = true
					}
				})
			}
			for k := range hi - lo {
				next <- k
			}
			close(next)
			wg.Wait()
			// Compact the images that loaded to the front of the buffer.
			var b batch
			for k := range hi - lo {
				if !loaded[k] {
					continue
				}
				if m := len(b.idx); m != k {
					copy(buf[m*per:(m+1)*per], buf[k*per:(k+1)*per])
				}
				b.idx = append(b.idx, lo+k)
			}
			b.pix = buf[:len(b.idx)*per]
			select {
			case ready <- b:
			case <-ctx.Done():
				return
			}
		}
	}()
	for b := range ready {
		if len(b.idx) > 0 {
			if err := run(b.idx, b.pix); err != nil {
				// Stop the producer and wait for it (and its workers, which
				// write errs) before returning.
				cancel()
				for range ready {
				}
				return errs, err
			}
		}
		free <- b.pix[:cap(b.pix)]
	}
	if err := ctx.Err(); err != nil {
		return errs, err
	}
	return errs, nil
}
