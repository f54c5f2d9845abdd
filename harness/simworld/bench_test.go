package simworld

import "testing"

func BenchmarkSimulate(b *testing.B) {
	for b.Loop() {
		if _, err := Simulate(Options{Seed: 1}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkWrite(b *testing.B) {
	dir := b.TempDir()
	for b.Loop() {
		if _, err := Write(dir, Options{Seed: 1}); err != nil {
			b.Fatal(err)
		}
	}
}
