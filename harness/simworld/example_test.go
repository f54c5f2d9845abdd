package simworld_test

import (
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/srbench/srbench/harness/curate"
	"github.com/srbench/srbench/harness/simworld"
)

func ExampleSimulate() {
	w, err := simworld.Simulate(simworld.Options{Seed: 1, Prompts: 3, ImagesPerPrompt: 4, AlignmentPairs: -1})
	if err != nil {
		fmt.Println(err)
		return
	}
	row := w.LogRows()[0]
	fmt.Println(len(w.Prompts), "prompts,", w.Options.ImageSize, "px images")
	fmt.Println(row.ImageID, row.ImagePath, row.PromptID, row.ObservedAt.Format(time.RFC3339))
	// Output:
	// 3 prompts, 64 px images
	// i000001 images/i000001.png p0001 2024-06-01T00:00:00Z
}

func ExampleWrite() {
	dir, err := os.MkdirTemp("", "simworld")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(dir)
	w, err := simworld.Write(dir, simworld.Options{Seed: 2, Prompts: 2, ImagesPerPrompt: 2, AlignmentPairs: 1})
	if err != nil {
		fmt.Println(err)
		return
	}
	rows, _, err := curate.ReadLog(filepath.Join(dir, simworld.LogJSONL), curate.ReadOptions{})
	fmt.Println(len(rows) == len(w.Images), err, len(w.AlignmentPairs))
	// Output: true <nil> 1
}
