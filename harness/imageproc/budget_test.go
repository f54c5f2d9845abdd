package imageproc

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// TestDecodeFileRefusesHostileFiles: files a dataset may point at are
// refused before they are read whole, without blocking, and the errors
// never quote their content.
func TestDecodeFileRefusesHostileFiles(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo.png")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	sparse := filepath.Join(dir, "sparse.png")
	f, err := os.Create(sparse)
	if err != nil {
		t.Fatal(err)
	}
	f.Truncate(2 << 30)
	f.Close()
	secret := filepath.Join(dir, "passwd")
	os.WriteFile(secret, []byte("root:x:0:0:root:/root:/bin/bash\n"), 0o644)
	tests := []struct {
		name, path, want string
	}{
		{"device", "/dev/zero", "is a character device, not a regular file"},
		{"fifo", fifo, "is a named pipe (FIFO), not a regular file"},
		{"sparse 2 GB", sparse, "is 2147483648 bytes, more than the limit of 67108864"},
		{"text file", secret, "32 bytes without a JPEG, PNG, GIF or WebP signature"},
		{"directory", dir, "is a directory, not a regular file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			done := make(chan error, 1)
			go func() {
				_, _, err := DecodeFile(tt.path, DecodeOptions{})
				done <- err
			}()
			select {
			case err := <-done:
				if err == nil || !strings.Contains(err.Error(), tt.want) {
					t.Fatalf("error %v, want one saying %q", err, tt.want)
				}
				for _, leak := range []string{"root", "72 6f 6f 74", "bash"} {
					if strings.Contains(strings.ReplaceAll(err.Error(), dir, ""), leak) {
						t.Errorf("error %q quotes the file's content (%q)", err, leak)
					}
				}
			case <-time.After(5 * time.Second):
				t.Fatal("DecodeFile blocked")
			}
		})
	}
}

// TestCheckSizeRefusesExtremeAspect: an aspect ratio whose resize would
// exceed the resize limits is refused from the header, before decoding;
// ordinary sizes pass.
func TestCheckSizeRefusesExtremeAspect(t *testing.T) {
	t.Parallel()
	p, err := NewPipeline("openai")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		w, h int
		ok   bool
	}{
		{640, 480, true},
		{7000, 7000, true},
		{1, 4681, true},        // longer side 224*4681 = 1,048,544 <= 2^20
		{1, 50_000_000, false}, // 224 × 1.12e10
		{49_000_000, 1, false},
		{4, 20_000, false}, // longer side 224 × 5000 = 1,120,000 > 2^20
	}
	for _, tt := range tests {
		err := p.CheckSize(tt.w, tt.h)
		if (err == nil) != tt.ok {
			t.Errorf("CheckSize(%d, %d) = %v, want ok %v", tt.w, tt.h, err, tt.ok)
		}
		if err != nil && !errors.Is(err, ErrTooLarge) {
			t.Errorf("CheckSize(%d, %d): %v does not wrap ErrTooLarge", tt.w, tt.h, err)
		}
	}
}

// TestBudgetBoundsConcurrentCost: holders of a budget never hold more than
// it at once; a cost above the whole budget runs alone.
func TestBudgetBoundsConcurrentCost(t *testing.T) {
	t.Parallel()
	tests := []struct {
		budget, cost int64
		maxTogether  int64
	}{
		{budget: 100, cost: 30, maxTogether: 3},
		{budget: 100, cost: 100, maxTogether: 1},
		{budget: 100, cost: 500, maxTogether: 1}, // over budget: alone
		{budget: 1000, cost: 1, maxTogether: 16}, // as many as run
	}
	for _, tt := range tests {
		b := NewBudget(tt.budget)
		var now, peak atomic.Int64
		var wg sync.WaitGroup
		for range 16 {
			wg.Go(func() {
				release, err := b.Acquire(context.Background(), tt.cost)
				if err != nil {
					t.Error(err)
					return
				}
				n := now.Add(1)
				for {
					p := peak.Load()
					if n <= p || peak.CompareAndSwap(p, n) {
						break
					}
				}
				time.Sleep(2 * time.Millisecond)
				now.Add(-1)
				release()
			})
		}
		wg.Wait()
		if peak.Load() > tt.maxTogether {
			t.Errorf("budget %d, cost %d: %d held at once, want at most %d", tt.budget, tt.cost, peak.Load(), tt.maxTogether)
		}
	}
	// A cancelled context stops the wait.
	b := NewBudget(10)
	release, _ := b.Acquire(context.Background(), 10)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := b.Acquire(ctx, 5); err == nil {
		t.Error("Acquire on a full budget with a cancelled context did not fail")
	}
	release()
	if NewBudget(-1).Total() != -1 || NewBudget(0).Total() != DefaultDecodeMemory {
		t.Error("budget sizes: -1 is none, 0 the default")
	}
}

// TestDecodeCost: the estimate follows the format's layout (values worked
// out by hand from the documented rule).
func TestDecodeCost(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		info Info
		want int64
	}{
		{"jpeg 4:2:0 baseline", Info{Format: "jpeg", Mode: ModeRGB, W: 1000, H: 1000, Subsampling: "4:2:0"}, 1000*1000*(3+1.5) + 100},
		{"jpeg 4:4:4 progressive", Info{Format: "jpeg", Mode: ModeRGB, W: 100, H: 100, Subsampling: "4:4:4", Progressive: true}, 100*100*(3+9) + 100},
		{"jpeg gray", Info{Format: "jpeg", Mode: ModeL, W: 100, H: 100, Subsampling: "4:0:0"}, 100*100*(1+1) + 100},
		{"png rgba", Info{Format: "png", Mode: ModeRGBA, W: 100, H: 100}, 100*100*(4+4) + 100},
		{"png 16-bit gray", Info{Format: "png", Mode: ModeI, W: 10, H: 10}, 10*10*(4+4) + 100},
	}
	for _, tt := range tests {
		if got := DecodeCost(tt.info, 100); got != tt.want {
			t.Errorf("%s: DecodeCost = %d, want %d", tt.name, got, tt.want)
		}
	}
}

// TestBatches: every image that loads reaches run once, in order, in
// batches of at most BatchSize, with the tensor Load gives it alone;
// skipped and failing images are per-item errors; a run error stops the
// loop.
func TestBatches(t *testing.T) {
	t.Parallel()
	p, err := NewPipeline("openai")
	if err != nil {
		t.Fatal(err)
	}
	l := NewLoader(p, 0, 0)
	golden := func(name string) string { return filepath.Join("..", "..", "..", "shared", "golden", "images", name) }
	good := []string{golden("astronaut.png"), golden("coffee_q90_420.jpg"), golden("chelsea_rgba.png"), golden("rocket_palette.gif")}
	bad := filepath.Join(t.TempDir(), "bad.png")
	os.WriteFile(bad, []byte("not an image at all, but long enough"), 0o644)
	// Items: good0, bad, good1, skip, good2, good3, good0
	paths := []string{good[0], bad, good[1], "", good[2], good[3], good[0]}
	per := 3 * 224 * 224
	want := make([][]float32, len(paths))
	for i, path := range paths {
		if path == "" || path == bad {
			continue
		}
		want[i] = make([]float32, per)
		if err := l.Load(context.Background(), path, nil, want[i]); err != nil {
			t.Fatal(err)
		}
	}
	// With a Lookup that knows good[0]'s bytes, items 0 and 6 are resolved
	// without decoding; every other outcome is the same.
	known, err := os.ReadFile(good[0])
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		size   int
		lookup bool
		run    string
	}{
		{1, false, "[0 2 4 5 6]"}, {2, false, "[0 2 4 5 6]"}, {3, false, "[0 2 4 5 6]"}, {7, false, "[0 2 4 5 6]"}, {32, false, "[0 2 4 5 6]"},
		{1, true, "[2 4 5]"}, {3, true, "[2 4 5]"}, {32, true, "[2 4 5]"},
	}
	for _, tc := range tests {
		size := tc.size
		t.Run(fmt.Sprintf("size=%d/lookup=%v", size, tc.lookup), func(t *testing.T) {
			var seen []int
			var mu sync.Mutex
			var looked []int
			opt := BatchOptions{BatchSize: size, Workers: 2}
			if tc.lookup {
				opt.Lookup = func(i int, data []byte) bool {
					mu.Lock()
					looked = append(looked, i)
					mu.Unlock()
					if want, _ := os.ReadFile(paths[i]); !bytes.Equal(data, want) {
						t.Errorf("Lookup(%d): %d bytes, not the file's", i, len(data))
					}
					return bytes.Equal(data, known)
				}
			}
			errs, err := l.Batches(context.Background(), len(paths), opt,
				func(i int) (string, []byte, string) {
					if paths[i] == "" {
						return "", nil, "skipped: bad prompt"
					}
					return paths[i], nil, ""
				},
				func(idx []int, pixels []float32) error {
					if len(idx) > size || len(pixels) != len(idx)*per {
						t.Errorf("batch of %d images, %d values (size %d)", len(idx), len(pixels), size)
					}
					for k, i := range idx {
						for j := range per {
							if pixels[k*per+j] != want[i][j] {
								t.Fatalf("item %d: pixel %d differs from Load alone", i, j)
							}
						}
					}
					seen = append(seen, idx...)
					return nil
				})
			if err != nil {
				t.Fatal(err)
			}
			if fmt.Sprint(seen) != tc.run {
				t.Errorf("items run %v, want %s", seen, tc.run)
			}
			if errs[3] != "skipped: bad prompt" || !strings.Contains(errs[1], "bad.png") || errs[0] != "" || errs[6] != "" {
				t.Errorf("errors %q", errs)
			}
			// Lookup sees every image that was read: all but the skipped one.
			slices.Sort(looked)
			if want := "[0 1 2 4 5 6]"; tc.lookup && fmt.Sprint(looked) != want {
				t.Errorf("Lookup called for %v, want %s", looked, want)
			}
		})
	}
	stop := errors.New("stop")
	calls := 0
	_, err = l.Batches(context.Background(), len(good), BatchOptions{BatchSize: 1, Workers: 1},
		func(i int) (string, []byte, string) { return good[i], nil, "" },
		func([]int, []float32) error { calls++; return stop })
	if !errors.Is(err, stop) || calls != 1 {
		t.Errorf("run error: %v after %d calls, want it returned after 1", err, calls)
	}
}
