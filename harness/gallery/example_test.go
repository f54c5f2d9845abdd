package gallery_test

import (
	"fmt"
	"log"

	"github.com/srbench/srbench/harness/gallery"
)

func Example() {
	for _, path := range []string{"testdata/dir", "testdata/manifest.jsonl"} {
		format, err := gallery.Detect(path)
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(format)
		st, err := gallery.Stream(path, func(im gallery.Image) error {
			if format == gallery.Directory {
				fmt.Printf("  %s %s #%d %s\n", im.Generator, im.PromptID, im.Sample, im.Name)
			}
			return nil
		})
		if err != nil {
			log.Fatal(err)
		}
		fmt.Printf("  %d images, generators %v, %d prompts, %d with truth\n", st.Images, st.Generators, st.Prompts, st.Truth)
		for _, w := range st.Warnings() {
			fmt.Println("  warning:", w)
		}
	}
	// Output:
	// gallery-dir
	//   flux fox #0 flux/fox/0.png
	//   flux fox #1 flux/fox/1.png
	//   flux owl #0 flux/owl/0.jpg
	//   sdxl fox #0 sdxl/fox/0.png
	//   sdxl fox #1 sdxl/fox/1.png
	//   sdxl owl #0 sdxl/owl/0.png
	//   sdxl owl #1 sdxl/owl/1.png
	//   sdxl sea #0 sdxl/sea/0.png
	//   8 images, generators [flux sdxl], 3 prompts, 0 with truth
	//   warning: 1 prompt lacks generator "flux" (of 3)
	//   warning: 1 prompt has unequal samples per generator (of 3; cells hold 1 to 2 images)
	// gallery-jsonl
	//   8 images, generators [flux sdxl], 3 prompts, 3 with truth
	//   warning: unknown field "sede" ignored in 1 record(s) (did you mean "seed"?)
	//   warning: 1 prompt lacks generator "flux" (of 3)
	//   warning: 1 prompt has unequal samples per generator (of 3; cells hold 1 to 2 images)
}
