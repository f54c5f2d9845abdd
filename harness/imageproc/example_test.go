package imageproc_test

import (
	"fmt"

	"github.com/srbench/srbench/harness/imageproc"
)

// A 4×3 RGB image, all pixels (255, 128, 0): after the CLIP pipelines every
// value of a channel is (x/255 - mean)/std.
func ExamplePipeline_Preprocess() {
	im := &imageproc.Image{Mode: imageproc.ModeRGB, W: 4, H: 3, Pix: make([]uint8, 4*3*3)}
	for i := 0; i < len(im.Pix); i += 3 {
		im.Pix[i], im.Pix[i+1], im.Pix[i+2] = 255, 128, 0
	}
	p, err := imageproc.NewPipeline("openai")
	if err != nil {
		panic(err)
	}
	x, err := p.Preprocess(im)
	if err != nil {
		panic(err)
	}
	w, h := p.OutputSize(im.W, im.H)
	plane := w * h
	fmt.Printf("shape [3 %d %d]\n", h, w)
	fmt.Printf("R %.4f  G %.4f  B %.4f\n", x[0], x[plane], x[2*plane])
	// Output:
	// shape [3 224 224]
	// R 1.9303  G 0.1689  B -1.4802
}

func ExampleParsePreprocessorConfig() {
	cfg := []byte(`{
	  "crop_size": 224, "do_center_crop": true, "do_normalize": true, "do_resize": true,
	  "feature_extractor_type": "CLIPFeatureExtractor",
	  "image_mean": [0.48145466, 0.4578275, 0.40821073],
	  "image_std": [0.26862954, 0.26130258, 0.27577711],
	  "resample": 3, "size": 224
	}`)
	p, err := imageproc.ParsePreprocessorConfig(cfg)
	if err != nil {
		panic(err)
	}
	fmt.Println(p.Describe())
	rw, rh := p.ResizedSize(640, 427)
	left, top := p.CropOrigin(rw, rh)
	fmt.Printf("640x427 -> %dx%d, crop at (%d, %d)\n", rw, rh, left, top)

	_, err = imageproc.ParsePreprocessorConfig([]byte(`{"resample": 3, "do_pad": true}`))
	fmt.Println(err)
	// Output:
	// CLIPFeatureExtractor: hf convention; convert RGB first; resize shortest edge to 224 (longer int(224*long/short)), PIL BICUBIC; centre crop 224x224 at (size-crop)//2; x*0.00392156862745098 float64→float32; normalise mean=[0.48145466 0.4578275 0.40821073] std=[0.26862954 0.26130258 0.27577711] float32
	// 640x427 -> 335x224, crop at (55, 0)
	// field "do_pad": not supported by this implementation of CLIPImageProcessor
}

func ExampleResize() {
	// PIL resizes palette images with NEAREST whatever filter is asked.
	im := &imageproc.Image{
		Mode: imageproc.ModeP, W: 4, H: 1, Pix: []uint8{0, 1, 2, 3},
		Palette: [][3]uint8{{255, 0, 0}, {0, 255, 0}, {0, 0, 255}, {255, 255, 255}},
	}
	out, err := imageproc.Resize(im, 2, 1, imageproc.FilterBicubic)
	if err != nil {
		panic(err)
	}
	fmt.Println(out.Mode, out.Pix)
	// Output:
	// P [1 3]
}
