package main

import (
	"context"
	"testing"

	"github.com/srbench/srbench/harness/scorer"
)

// BenchmarkImageRewardTinyBatch16 scores 16 (prompt, image) pairs of the
// golden images with the Tiny model in one request: decoding,
// preprocessing, tokenization and inference, as a plugin does it (without
// gRPC). It reports images/s.
func BenchmarkImageRewardTinyBatch16(b *testing.B) {
	dir, _ := modelDir(b, dirSpec{seed: 1})
	s := newScorer(b, scorer.Config{ModelDir: dir, BatchSize: 16})
	golden := testItems(b)
	items := make([]scorer.Item, 16)
	for i := range items {
		items[i] = golden[i%len(golden)]
	}
	runs := 0
	for b.Loop() {
		res, err := scorer.ScoreItems(context.Background(), s, items)
		if err != nil {
			b.Fatal(err)
		}
		if res[0].Failed() {
			b.Fatal(res[0].Err)
		}
		runs++
	}
	b.ReportMetric(float64(len(items)*runs)/b.Elapsed().Seconds(), "images/s")
}
