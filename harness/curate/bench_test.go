package curate_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/srbench/srbench/harness/curate"
	"github.com/srbench/srbench/harness/simworld"
)

// BenchmarkSimulateWriteRun is the whole default-size pipeline: simulate and write a
// world (300 prompts × ~10 images, PNGs), then curate its log with the default options
// (decoding and hashing every image, linking the curated ones).
func BenchmarkSimulateWriteRun(b *testing.B) {
	root := b.TempDir()
	for b.Loop() {
		dir, err := os.MkdirTemp(root, "w")
		if err != nil {
			b.Fatal(err)
		}
		if _, err := simworld.Write(dir, simworld.Options{Seed: 1}); err != nil {
			b.Fatal(err)
		}
		if _, err := curate.Run(filepath.Join(dir, simworld.LogJSONL), filepath.Join(dir, "curated"), curate.Options{}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRun curates a written default-size world.
func BenchmarkRun(b *testing.B) {
	dir := b.TempDir()
	if _, err := simworld.Write(dir, simworld.Options{Seed: 1}); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := curate.Run(filepath.Join(dir, simworld.LogJSONL), filepath.Join(dir, "curated"), curate.Options{}); err != nil {
			b.Fatal(err)
		}
	}
}
