package imageproc

import (
	"errors"
	"fmt"
	"os"
)

func ExampleDecode() {
	data, err := os.ReadFile("testdata/decode/j420_33x17.jpg")
	if err != nil {
		fmt.Println(err)
		return
	}
	im, info, err := Decode(data, DecodeOptions{})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(info.Format, info.Mode, info.W, info.H, info.Subsampling, len(im.Pix))
	// Output: jpeg RGB 33 17 4:2:0 1683
}

func ExampleDecodeConfig() {
	data, err := os.ReadFile("testdata/decode/exif_orient6.jpg")
	if err != nil {
		fmt.Println(err)
		return
	}
	info, err := DecodeConfig(data)
	if err != nil {
		fmt.Println(err)
		return
	}
	// The orientation is reported, never applied: W and H are as stored.
	fmt.Printf("%dx%d orientation %d\n", info.W, info.H, info.Orientation)
	// Output: 24x16 orientation 6
}

func ExampleDecodeOptions() {
	data, err := os.ReadFile("testdata/decode/j422.jpg") // 96x64
	if err != nil {
		fmt.Println(err)
		return
	}
	_, _, err = Decode(data, DecodeOptions{MaxPixels: 5000})
	fmt.Println(errors.Is(err, ErrTooLarge))
	// Output: true
}
