package simworld_test

import (
	"fmt"
	"os"

	"github.com/srbench/srbench/harness/simworld"
)

func ExampleWriteGallery() {
	dir, err := os.MkdirTemp("", "gallery")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(dir)
	sum, err := simworld.WriteGallery(dir, simworld.GalleryOptions{Seed: 1, Prompts: 30, Samples: 2, Size: 32})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(sum.Images, "images")
	fmt.Println("by appeal:   ", sum.AppealRanking)
	fmt.Println("by alignment:", sum.AlignmentRanking)
	// Output:
	// 240 images
	// by appeal:    [appealing-drifty balanced artefacty aligned-bland]
	// by alignment: [aligned-bland artefacty balanced appealing-drifty]
}

func ExampleDemoGenerators() {
	for _, g := range simworld.DemoGenerators() {
		fmt.Printf("%-16s appeal %+.2f, aligned %.2f\n", g.Name, g.ExpectedAppeal(), g.ExpectedAlignment())
	}
	// Output:
	// aligned-bland    appeal -0.84, aligned 0.98
	// appealing-drifty appeal +0.65, aligned 0.42
	// balanced         appeal -0.00, aligned 0.81
	// artefacty        appeal -0.29, aligned 0.95
}
