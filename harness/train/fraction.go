package train

import "math/rand/v2"

// Fraction keeps a seeded random share f of xs (0 < f < 1; other values
// keep everything): xs is shuffled in place with a PCG seeded by seed and
// its first max(1, round(f·len(xs))) elements are returned. The
// socialreward plugin subsamples its triplets with it (train_fraction) and
// the host does so for trainers that do not, so every trainer of an
// ablation cell sees the same triplets for a seed.
func Fraction[T any](xs []T, f float64, seed uint64) []T {
	if f <= 0 || f >= 1 || len(xs) == 0 {
		return xs
	}
	r := rand.New(rand.NewPCG(seed, 0xf7ac))
	r.Shuffle(len(xs), func(i, j int) { xs[i], xs[j] = xs[j], xs[i] })
	return xs[:max(1, int(f*float64(len(xs))+0.5))]
}
