package onnx_test

import (
	"fmt"
	"math"
	"path/filepath"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/srbench/srbench/harness/onnx"
	"github.com/srbench/srbench/harness/onnx/clipmodel"
)

// TestParallelRun checks that a batch cut into concurrent runs gives, row for
// row, the model's exact values (y = 2x + 1 is exact in float32 for these
// inputs), for every batch size against every number of runs, and that
// concurrent callers share the runs.
func TestParallelRun(t *testing.T) {
	s := affineSession(t)
	for _, runs := range []int{0, 1, 2, 3, 4} {
		for _, n := range []int{1, 2, 3, 5, 7, 32} {
			t.Run(fmt.Sprintf("runs=%d/batch=%d", runs, n), func(t *testing.T) {
				p := onnx.NewParallel(runs)
				if want := max(runs, 1); p.Runs() != want {
					t.Errorf("Runs() = %d, want %d", p.Runs(), want)
				}
				x := make([]float32, 3*n)
				want := make([]float32, 3*n)
				for i := range x {
					x[i] = float32(i) - 4.5
					want[i] = 2*x[i] + 1
				}
				var wg sync.WaitGroup
				for range 3 { // callers sharing p
					wg.Go(func() {
						out, err := p.Run(s, map[string]onnx.Tensor{"x": {Shape: []int64{int64(n), 3}, Float32: x}})
						if err != nil {
							t.Error(err)
							return
						}
						if diff := cmp.Diff(onnx.Tensor{Shape: []int64{int64(n), 3}, Float32: want}, out["y"]); diff != "" {
							t.Errorf("y (-want +got):\n%s", diff)
						}
					})
				}
				wg.Wait()
			})
		}
	}
}

// TestParallelRunErrors checks that a failing part fails the whole run with
// the model's own error.
func TestParallelRunErrors(t *testing.T) {
	s := affineSession(t)
	p := onnx.NewParallel(2)
	// 4 rows of 2 columns: the model wants 3; both halves fail.
	_, err := p.Run(s, map[string]onnx.Tensor{"x": {Shape: []int64{4, 2}, Float32: make([]float32, 8)}})
	if err == nil {
		t.Fatal("Run with a wrong shape succeeded")
	}
	s.Close()
	if _, err := p.Run(s, map[string]onnx.Tensor{"x": {Shape: []int64{4, 3}, Float32: make([]float32, 12)}}); err == nil {
		t.Fatal("Run on a closed session succeeded")
	}
}

// TestPlanRuns checks the thread plan: defaults on the CPU give
// single-threaded sessions, one run per CPU; an explicit count or a GPU
// keeps one run with the options as given.
func TestPlanRuns(t *testing.T) {
	for _, tc := range []struct {
		name        string
		in          onnx.SessionOptions
		wantThreads int
		wantRuns    int
	}{
		{"defaults", onnx.SessionOptions{}, 1, onnx.DefaultIntraOpThreads()},
		{"cpu", onnx.SessionOptions{ExecutionProvider: "CPU"}, 1, onnx.DefaultIntraOpThreads()},
		{"explicit threads", onnx.SessionOptions{IntraOpThreads: 3}, 3, 1},
		{"cuda", onnx.SessionOptions{ExecutionProvider: "cuda"}, 0, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			so, p := onnx.PlanRuns(tc.in)
			if so.IntraOpThreads != tc.wantThreads || p.Runs() != tc.wantRuns || so.ExecutionProvider != tc.in.ExecutionProvider {
				t.Errorf("PlanRuns(%+v) = %+v with %d runs; want %d threads, %d runs", tc.in, so, p.Runs(), tc.wantThreads, tc.wantRuns)
			}
		})
	}
}

// TestParallelSameBits checks that splitting a batch between
// single-threaded runs changes no bit of a CLIP vision tower's embeddings
// against one run of the whole batch with two intra-op threads: each image's
// embedding does not depend on the rest of its batch or on the threads, so
// the number of runs is a machine detail, never part of a score.
func TestParallelSameBits(t *testing.T) {
	rt := runtimeOrFatal(t)
	path := filepath.Join(tinyModels(t), clipmodel.VisionModelFile)
	whole, err := rt.NewSession(path, onnx.SessionOptions{IntraOpThreads: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer whole.Close()
	single, err := rt.NewSession(path, onnx.SessionOptions{IntraOpThreads: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer single.Close()
	const n = 7
	px := make([]float32, n*3*224*224)
	for i := range px {
		px[i] = float32(math.Sin(float64(i) * 0.001))
	}
	in := map[string]onnx.Tensor{"pixel_values": {Shape: []int64{n, 3, 224, 224}, Float32: px}}
	want, err := whole.Run(in)
	if err != nil {
		t.Fatal(err)
	}
	for _, runs := range []int{2, 3, n} {
		got, err := onnx.NewParallel(runs).Run(single, in)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(want[clipmodel.ImageEmbeds], got[clipmodel.ImageEmbeds]); diff != "" {
			t.Errorf("%d runs: image_embeds differ from one run (-one +split):\n%s", runs, diff)
		}
	}
}
