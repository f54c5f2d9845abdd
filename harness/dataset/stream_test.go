package dataset

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"testing"
)

// writeJSONL writes n pairs-jsonl lines and returns the path.
func writeJSONL(t testing.TB, dir string, n int) string {
	t.Helper()
	path := filepath.Join(dir, "big.jsonl")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w := bufio.NewWriterSize(f, 1<<20)
	labels := [3]string{"a", "b", "tie"}
	for i := 0; i < n; i++ {
		fmt.Fprintf(w, `{"prompt":"prompt number %d of the benchmark","image_a":"img/%d/a.png","image_b":"img/%d/b.png","label":"%s","weight":1.5}`+"\n",
			i%5000, i, i, labels[i%3])
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

func heapAfterGC() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// TestStreamingMemory reads 200k pairs and checks that the live heap after 200k pairs is
// within 1 MiB of the live heap after 20k: nothing per pair is retained.
func TestStreamingMemory(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("writes a 25 MB file")
	}
	const n = 200_000
	path := writeJSONL(t, t.TempDir(), n)
	src, err := Open(Spec{Path: path})
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	var early, late uint64
	count := 0
	for {
		p, err := src.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if p.Index != count {
			t.Fatalf("pair %d has Index %d", count, p.Index)
		}
		count++
		if count == n/10 {
			early = heapAfterGC()
		}
	}
	late = heapAfterGC()
	if count != n || src.Stats().Pairs != n {
		t.Fatalf("read %d pairs, stats %d; want %d", count, src.Stats().Pairs, n)
	}
	growth := int64(late) - int64(early)
	t.Logf("live heap after %d pairs: %d B; after %d: %d B; growth %d B", n/10, early, n, late, growth)
	if growth > 1<<20 {
		t.Errorf("live heap grew by %d B between pair %d and pair %d", growth, n/10, n)
	}
}

// TestParquetStreamingMemory reads a 60 MB Pick-a-Pic file stored as ONE row group and
// checks that the live heap never comes near the file's size: rows are read in small
// batches, not a row group at a time.
func TestParquetStreamingMemory(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("writes a 60 MB file")
	}
	const rows, imgBytes = 300, 100_000
	path := filepath.Join(t.TempDir(), "p.parquet")
	func() {
		rng := rand.New(rand.NewPCG(1, 2)) // incompressible image bytes
		data := make([]papRow, rows)
		for i := range data {
			a, b := make([]byte, imgBytes), make([]byte, imgBytes)
			for k := range a {
				a[k], b[k] = byte(rng.Uint32()), byte(rng.Uint32())
			}
			data[i] = papRow{Caption: "c", Jpg0: a, Jpg1: b, Label0: 1, HasLabel: true, RankingID: int64(i)}
		}
		writeParquet(t, path, data)
	}()
	heapAfterGC()
	base := heapAfterGC()
	src, err := Open(Spec{Path: path})
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	var peak uint64
	n := 0
	for {
		p, err := src.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if len(p.A.Bytes) != imgBytes || p.ID != fmt.Sprint(n) {
			t.Fatalf("pair %d: %d bytes, ID %s", n, len(p.A.Bytes), p.ID)
		}
		n++
		if n%20 == 0 {
			peak = max(peak, heapAfterGC())
		}
	}
	fileSize := int64(2 * rows * imgBytes)
	t.Logf("%d pairs; live heap before %d B, highest sampled %d B; file ~%d B", n, base, peak, fileSize)
	if n != rows {
		t.Fatalf("%d pairs, want %d", n, rows)
	}
	if growth := int64(peak) - int64(base); growth > fileSize*3/4 {
		t.Errorf("live heap grew by %d B while reading a %d B file", growth, fileSize)
	}
}

// BenchmarkJSONL measures pairs-jsonl throughput: b.N pairs read from a 100k-line file
// (reopened as needed), reported as pairs/s.
func BenchmarkJSONL(b *testing.B) {
	const lines = 100_000
	path := writeJSONL(b, b.TempDir(), lines)
	fi, err := os.Stat(path)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(fi.Size() / lines)
	b.ReportAllocs()
	b.ResetTimer()
	var src Source
	for i := 0; i < b.N; i++ {
		if src == nil {
			if src, err = Open(Spec{Path: path, Format: PairsJSONL}); err != nil {
				b.Fatal(err)
			}
		}
		_, err := src.Next()
		if errors.Is(err, io.EOF) {
			src.Close()
			src = nil
			i--
			continue
		}
		if err != nil {
			b.Fatal(err)
		}
	}
	if src != nil {
		src.Close()
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "pairs/s")
}
