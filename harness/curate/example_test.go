package curate_test

import (
	"fmt"
	"image"
	"image/color"
	"time"

	"github.com/srbench/srbench/harness/curate"
)

// Three images of one prompt: an old one, a new one and one by an author with 100 000
// followers. Raw counts prefer the old and the famous image; per day of exposure and per
// (1+followers)^0.5 the new one was taken up most.
func ExampleCurate() {
	observed := time.Date(2024, 6, 1, 0, 0, 0, 0, time.UTC)
	row := func(id string, remixes int64, days float64, followers int64) curate.LogRow {
		return curate.LogRow{
			ImageID: id, ImagePath: id + ".png", Prompt: "a red fox in the snow", PromptID: "fox",
			AuthorID: "by-" + id, AuthorFollowers: followers, Remixes: remixes,
			CreatedAt: observed.Add(-time.Duration(days * 24 * float64(time.Hour))), ObservedAt: observed,
		}
	}
	rows := []curate.LogRow{row("old", 30, 30, 100), row("new", 10, 2, 100), row("star", 60, 10, 99999)}
	// Precomputed perceptual hashes stand in for image files here.
	hashes := map[string]uint64{"old.png": 0x0f0f0f0f0f0f0f0f, "new.png": 0xff00ff00ff00ff00, "star.png": 0x123456789abcdef0}
	hash := func(p string) (uint64, error) { return hashes[p], nil }

	for _, preset := range curate.Presets() {
		res, err := curate.Curate(rows, curate.Options{Preset: preset, TrainFrac: 1, FollowerExponent: 0.5, ImageHash: hash})
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Println(preset + ":")
		for _, t := range res.Triplets {
			fmt.Printf("  %s > %s  ratio %.2f\n", t.Pos.ImageID, t.Neg.ImageID, t.Strength)
		}
	}
	// Output:
	// debiased:
	//   new > old  ratio 5.16
	//   new > star  ratio 27.31
	//   old > star  ratio 5.29
	// raw:
	//   old > new  ratio 2.90
	//   star > new  ratio 5.76
	//   star > old  ratio 1.98
}

// A 9×8 image that brightens to the right has every comparison bit set.
func ExampleDHash() {
	img := image.NewGray(image.Rect(0, 0, 9, 8))
	for y := 0; y < 8; y++ {
		for x := 0; x < 9; x++ {
			img.SetGray(x, y, color.Gray{Y: uint8(20 * x)})
		}
	}
	fmt.Printf("%016x %d\n", curate.DHash(img), curate.Hamming(curate.DHash(img), 0))
	// Output: ffffffffffffffff 64
}
