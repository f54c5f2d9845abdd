package train

import (
	"context"
	"math/rand/v2"
	"testing"
)

// BenchmarkTrain measures training throughput on random 512-d embeddings
// (CLIP ViT-B/32's projection size), batch 32, adapters on both sides: one
// epoch of 512 triplets (16 steps) per iteration, reported as triplets/s.
func BenchmarkTrain(b *testing.B) {
	const n, dim = 512, 512
	rng := rand.New(rand.NewPCG(1, 512))
	data := Data{Train: randomTriplets(rng, n, dim)}
	for _, tc := range []struct {
		name string
		spec AdapterSpec
	}{
		{"linear", AdapterSpec{Kind: Linear}},
		{"lowrank16", AdapterSpec{Kind: LowRank, Rank: 16}},
		{"mlp128", AdapterSpec{Kind: MLP, Hidden: 128}},
	} {
		b.Run(tc.name, func(b *testing.B) {
			cfg := Config{Adapter: tc.spec, Epochs: 1, BatchSize: 32, Patience: -1}
			b.ReportAllocs()
			for b.Loop() {
				if _, err := Train(context.Background(), cfg, data, nil); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N*n)/b.Elapsed().Seconds(), "triplets/s")
		})
	}
}
