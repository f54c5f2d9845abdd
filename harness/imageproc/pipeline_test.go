package imageproc

import (
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestResizedSize(t *testing.T) {
	t.Parallel()
	p, err := NewPipeline(PipelineOpenAI)
	if err != nil {
		t.Fatal(err)
	}
	// Expected sizes from the golden manifest and int(224*long/short).
	tests := []struct{ w, h, rw, rh int }{
		{512, 512, 224, 224},
		{600, 400, 336, 224},
		{640, 427, 335, 224},   // 335.69 truncated
		{427, 640, 224, 335},   // portrait
		{10, 7, 320, 224},      // upscaling
		{1000, 179, 1251, 224}, // 1251.40
		{451, 300, 336, 224},   // 336.75
		{224, 224, 224, 224},
	}
	for _, tc := range tests {
		rw, rh := p.ResizedSize(tc.w, tc.h)
		if rw != tc.rw || rh != tc.rh {
			t.Errorf("ResizedSize(%d, %d) = %dx%d, want %dx%d", tc.w, tc.h, rw, rh, tc.rw, tc.rh)
		}
	}
}

func TestCropOrigin(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		pipeline  string
		rw, rh    int
		crop      int
		left, top int
	}{
		{"openai half rounds up to even 56", PipelineOpenAI, 335, 224, 224, 56, 0}, // 55.5 → 56
		{"hf floors 55.5", PipelineHF, 335, 224, 224, 55, 0},
		{"openai half rounds down to even 56", PipelineOpenAI, 224, 337, 224, 0, 56}, // 56.5 → 56
		{"hf floors 56.5", PipelineHF, 224, 337, 224, 0, 56},
		{"openai 513.5 → 514", PipelineOpenAI, 1251, 224, 224, 514, 0},
		{"hf 513.5 → 513", PipelineHF, 1251, 224, 224, 513, 0},
		{"even margin", PipelineOpenAI, 336, 224, 224, 56, 0},
		{"no margin", PipelineHF, 224, 224, 224, 0, 0},
		// crop larger than the image: torchvision pads (crop-size)//2 before,
		// transformers ceil((crop-size)/2).
		{"openai padding", PipelineOpenAI, 10, 11, 13, -1, -1},
		{"hf padding", PipelineHF, 10, 11, 13, -2, -1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, err := NewPipeline(tc.pipeline)
			if err != nil {
				t.Fatal(err)
			}
			p.CropW, p.CropH = tc.crop, tc.crop
			l, tp := p.CropOrigin(tc.rw, tc.rh)
			if l != tc.left || tp != tc.top {
				t.Errorf("CropOrigin(%d, %d) = (%d, %d), want (%d, %d)", tc.rw, tc.rh, l, tp, tc.left, tc.top)
			}
		})
	}
}

func TestNewPipeline(t *testing.T) {
	t.Parallel()
	for _, name := range []string{PipelineOpenAI, PipelineHF} {
		p, err := NewPipeline(name)
		if err != nil {
			t.Fatal(err)
		}
		want := Pipeline{
			Name: name, ShortestEdge: 224, Filter: FilterBicubic, CropW: 224, CropH: 224,
			Rescale: true, RescaleFactor: 1.0 / 255, Normalize: true,
			Mean:       [3]float64{0.48145466, 0.4578275, 0.40821073},
			Std:        [3]float64{0.26862954, 0.26130258, 0.27577711},
			ConvertRGB: true,
		}
		if name == PipelineHF {
			want.Convention = ConventionHF
		}
		if d := cmp.Diff(want, p); d != "" {
			t.Errorf("NewPipeline(%q) mismatch (-want +got):\n%s", name, d)
		}
		if err := p.Validate(); err != nil {
			t.Error(err)
		}
	}
	if _, err := NewPipeline("torchvision"); err == nil || !strings.Contains(err.Error(), `"torchvision"`) {
		t.Errorf("unknown name: err = %v", err)
	}
}

func TestParsePreprocessorConfig(t *testing.T) {
	t.Parallel()
	hf, err := NewPipeline(PipelineHF)
	if err != nil {
		t.Fatal(err)
	}
	clip := hf
	clip.Name = "CLIPImageProcessor"
	tests := []struct {
		name   string
		config string
		want   func() Pipeline
	}{
		{"empty object takes CLIPImageProcessor defaults", `{}`, func() Pipeline { return clip }},
		{"old CLIPFeatureExtractor with int sizes (laion/CLIP-ViT-H-14)", `{
			"crop_size": 224, "do_center_crop": true, "do_normalize": true, "do_resize": true,
			"feature_extractor_type": "CLIPFeatureExtractor",
			"image_mean": [0.48145466, 0.4578275, 0.40821073],
			"image_std": [0.26862954, 0.26130258, 0.27577711],
			"resample": 3, "size": 224}`, func() Pipeline {
			p := clip
			p.Name = "CLIPFeatureExtractor"
			return p
		}},
		{"new CLIPImageProcessor with dict sizes", `{
			"crop_size": {"height": 336, "width": 336}, "do_center_crop": true,
			"do_convert_rgb": true, "do_normalize": true, "do_rescale": true, "do_resize": true,
			"image_mean": [0.5, 0.5, 0.5], "image_std": [0.5, 0.5, 0.5],
			"image_processor_type": "CLIPImageProcessor", "processor_class": "CLIPProcessor",
			"resample": 3, "rescale_factor": 0.00392156862745098,
			"size": {"shortest_edge": 336}, "_note": "ignored"}`, func() Pipeline {
			p := clip
			p.ShortestEdge, p.CropW, p.CropH = 336, 336, 336
			p.Mean, p.Std = [3]float64{0.5, 0.5, 0.5}, [3]float64{0.5, 0.5, 0.5}
			return p
		}},
		{"exact resize, no crop, bilinear, one-number mean", `{
			"size": {"height": 256, "width": 192}, "do_center_crop": false,
			"resample": 2, "image_mean": 0.5, "image_std": [1, 2, 4], "do_rescale": false}`, func() Pipeline {
			p := clip
			p.ShortestEdge, p.ResizeW, p.ResizeH = 0, 192, 256
			p.CropW, p.CropH = 0, 0
			p.Filter = FilterBilinear
			p.Mean, p.Std = [3]float64{0.5, 0.5, 0.5}, [3]float64{1, 2, 4}
			p.Rescale = false
			return p
		}},
		{"no resize, null sizes keep the defaults", `{"do_resize": false, "size": null, "crop_size": null}`, func() Pipeline {
			p := clip
			p.ShortestEdge = 0
			return p
		}},
		{"BlipImageProcessor defaults to 384x384 and no crop", `{"image_processor_type": "BlipImageProcessor", "size": 384}`, func() Pipeline {
			p := clip
			p.Name = "BlipImageProcessor"
			p.ShortestEdge, p.ResizeW, p.ResizeH = 0, 384, 384
			p.CropW, p.CropH = 0, 0
			return p
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParsePreprocessorConfig([]byte(tc.config))
			if err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(tc.want(), got); d != "" {
				t.Errorf("mismatch (-want +got):\n%s", d)
			}
		})
	}
}

func TestParsePreprocessorConfigErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, config, wantInErr string
	}{
		{"not JSON", `{"size": `, "preprocessor config"},
		{"not an object", `[1, 2]`, "preprocessor config"},
		{"unknown field", `{"do_pad": true}`, `"do_pad"`},
		{"unknown processor", `{"image_processor_type": "ViTImageProcessor"}`, `"image_processor_type"`},
		{"resample out of range", `{"resample": 7}`, `"resample"`},
		{"resample not a number", `{"resample": "bicubic"}`, `"resample"`},
		{"size with longest_edge", `{"size": {"shortest_edge": 224, "longest_edge": 500}}`, `"size"`},
		{"size zero", `{"size": 0}`, `"size"`},
		{"size height only", `{"size": {"height": 224}}`, `"size"`},
		{"crop_size shortest_edge", `{"crop_size": {"shortest_edge": 224}}`, `"crop_size"`},
		{"mean of two values", `{"image_mean": [0.5, 0.5]}`, `"image_mean"`},
		{"std zero", `{"image_std": [0.5, 0, 0.5]}`, `"image_std"`},
		{"bool as string", `{"do_resize": "yes"}`, `"do_resize"`},
		{"null bool", `{"do_normalize": null}`, `"do_normalize"`},
		{"blip has no crop", `{"image_processor_type": "BlipImageProcessor", "crop_size": 224}`, `"crop_size"`},
		{"rescale factor string", `{"rescale_factor": "1/255"}`, `"rescale_factor"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParsePreprocessorConfig([]byte(tc.config))
			if err == nil {
				t.Fatal("no error")
			}
			if !strings.Contains(err.Error(), tc.wantInErr) {
				t.Errorf("error %q does not mention %s", err, tc.wantInErr)
			}
		})
	}
}

func TestLoadPreprocessorConfig(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := filepath.Join(dir, "preprocessor_config.json")
	if err := os.WriteFile(path, []byte(`{"size": {"shortest_edge": 224}, "crop_size": 224}`), 0o644); err != nil {
		t.Fatal(err)
	}
	p, err := LoadPreprocessorConfig(path)
	if err != nil {
		t.Fatal(err)
	}
	if p.Source != path || !strings.Contains(p.Describe(), path) {
		t.Errorf("Source %q, Describe %q: want the path", p.Source, p.Describe())
	}
	// Same recipe as the named hf pipeline: same tensor.
	hf, _ := NewPipeline(PipelineHF)
	im := synthImage(ModeRGBA, 300, 211, 256)
	a, err := p.Preprocess(im)
	if err != nil {
		t.Fatal(err)
	}
	b, err := hf.Preprocess(im)
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(b, a); d != "" {
		t.Errorf("config pipeline differs from hf: %s", d)
	}
	if err := os.WriteFile(path, []byte(`{"crop_pct": 0.9}`), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err = LoadPreprocessorConfig(path)
	if err == nil || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), `"crop_pct"`) {
		t.Errorf("error %v: want the file and the field", err)
	}
	if _, err := LoadPreprocessorConfig(filepath.Join(dir, "missing.json")); err == nil {
		t.Error("missing file: no error")
	}
}

func TestDescribe(t *testing.T) {
	t.Parallel()
	oa, _ := NewPipeline(PipelineOpenAI)
	hf, _ := NewPipeline(PipelineHF)
	for _, tc := range []struct {
		p    Pipeline
		want []string
	}{
		{oa, []string{"openai", "shortest edge to 224", "BICUBIC", "own mode", "round-half-even", "convert RGB last", "x/255", "0.48145466", "0.26862954"}},
		{hf, []string{"hf", "convert RGB first", "(size-crop)//2", "0.00392156862745098", "0.4578275", "0.27577711"}},
	} {
		d := tc.p.Describe()
		for _, w := range tc.want {
			if !strings.Contains(d, w) {
				t.Errorf("Describe() = %q: missing %q", d, w)
			}
		}
	}
}

func TestValidate(t *testing.T) {
	t.Parallel()
	base, _ := NewPipeline(PipelineHF)
	tests := []struct {
		name   string
		mutate func(*Pipeline)
	}{
		{"bad convention", func(p *Pipeline) { p.Convention = 7 }},
		{"negative size", func(p *Pipeline) { p.ShortestEdge = -1 }},
		{"both resize rules", func(p *Pipeline) { p.ResizeW, p.ResizeH = 10, 10 }},
		{"half crop", func(p *Pipeline) { p.CropH = 0 }},
		{"bad filter", func(p *Pipeline) { p.Filter = 9 }},
		{"zero std", func(p *Pipeline) { p.Std[1] = 0 }},
		{"NaN mean", func(p *Pipeline) { p.Mean[2] = math.NaN() }},
		{"std underflows float32", func(p *Pipeline) { p.Std[0] = 1e-50 }},
		{"openai rescale other than 1/255", func(p *Pipeline) { p.Convention = ConventionOpenAI; p.RescaleFactor = 0.5 }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := base
			tc.mutate(&p)
			if err := p.Validate(); err == nil {
				t.Error("Validate: no error")
			}
			if _, err := p.Preprocess(synthImage(ModeRGB, 5, 5, 0)); err == nil {
				t.Error("Preprocess: no error")
			}
		})
	}
	// The zero Pipeline is the identity on RGB images: raw byte values in
	// CHW order.
	var zero Pipeline
	im := synthImage(ModeRGB, 5, 4, 0)
	x, err := zero.Preprocess(im)
	if err != nil {
		t.Fatal(err)
	}
	want := make([]float32, 3*5*4)
	for i := 0; i < 20; i++ {
		for c := 0; c < 3; c++ {
			want[c*20+i] = float32(im.Pix[3*i+c])
		}
	}
	if d := cmp.Diff(want, x); d != "" {
		t.Errorf("zero pipeline (-want +got):\n%s", d)
	}
	if _, err := zero.Preprocess(synthImage(ModeL, 5, 4, 0)); err == nil {
		t.Error("zero pipeline on L: no error (it does not convert)")
	}
}

func TestPreprocessErrors(t *testing.T) {
	t.Parallel()
	p, _ := NewPipeline(PipelineOpenAI)
	noRGB := p
	noRGB.ConvertRGB = false
	noRGBhf, _ := NewPipeline(PipelineHF)
	noRGBhf.ConvertRGB = false
	tests := []struct {
		name string
		p    Pipeline
		im   *Image
	}{
		{"nil image", p, nil},
		{"short Pix", p, &Image{Mode: ModeRGB, W: 4, H: 4, Pix: make([]uint8, 47)}},
		{"unknown mode", p, &Image{Mode: "YCbCr", W: 1, H: 1, Pix: make([]uint8, 3)}},
		{"zero size", p, &Image{Mode: ModeL, W: 0, H: 4}},
		{"palette too long", p, &Image{Mode: ModeP, W: 1, H: 1, Pix: []uint8{0}, Palette: make([][3]uint8, 257)}},
		{"extreme aspect overflows the resize", p, &Image{Mode: ModeL, W: 100000, H: 1, Pix: make([]uint8, 100000)}},
		{"openai without RGB conversion", noRGB, synthImage(ModeL, 30, 30, 0)},
		{"hf without RGB conversion", noRGBhf, synthImage(ModeRGBA, 30, 30, 0)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := tc.p.Preprocess(tc.im); err == nil {
				t.Error("no error")
			}
		})
	}
}

func TestPreprocessBatch(t *testing.T) {
	t.Parallel()
	p, _ := NewPipeline(PipelineOpenAI)
	p.ShortestEdge, p.CropW, p.CropH = 16, 16, 16
	ims := []*Image{
		synthImage(ModeRGB, 37, 23, 256),
		synthImage(ModeP, 23, 41, 256),
		synthImage(ModeRGBA, 16, 16, 256),
	}
	n := 3 * 16 * 16
	dst := make([]float32, len(ims)*n)
	for i := range dst {
		dst[i] = float32(math.NaN())
	}
	if err := p.PreprocessBatch(dst, ims); err != nil {
		t.Fatal(err)
	}
	for i, im := range ims {
		one, err := p.Preprocess(im)
		if err != nil {
			t.Fatal(err)
		}
		if d := cmp.Diff(one, dst[i*n:(i+1)*n]); d != "" {
			t.Errorf("image %d: batch differs from single (-single +batch):\n%s", i, d)
		}
		into := make([]float32, n)
		if err := p.PreprocessInto(into, im); err != nil {
			t.Fatal(err)
		}
		if d := cmp.Diff(one, into); d != "" {
			t.Errorf("image %d: PreprocessInto differs", i)
		}
	}
	if err := p.PreprocessBatch(dst[:len(dst)-1], ims); err == nil {
		t.Error("short destination: no error")
	}
	if err := p.PreprocessInto(make([]float32, n+3), ims[0]); err == nil {
		t.Error("PreprocessInto with a wrong size: no error")
	}
	bad := append([]*Image{}, ims...)
	bad[1] = &Image{Mode: ModeRGB, W: 2, H: 2}
	if err := p.PreprocessBatch(dst, bad); err == nil || !strings.Contains(err.Error(), "image 1") {
		t.Errorf("bad image in batch: err = %v, want it named", err)
	}
	free := p
	free.CropW, free.CropH = 0, 0
	if err := free.PreprocessBatch(dst, ims); err == nil {
		t.Error("batch without a fixed size: no error")
	}
}

func TestTransparentPixelsTurnBlackInOpenAI(t *testing.T) {
	t.Parallel()
	// A fully transparent red image: openai resizes premultiplied (colour
	// lost), hf converts to RGB first (colour kept). Values per the README.
	im := &Image{Mode: ModeRGBA, W: 40, H: 30, Pix: make([]uint8, 40*30*4)}
	for i := 0; i < len(im.Pix); i += 4 {
		im.Pix[i] = 255
	}
	oa, _ := NewPipeline(PipelineOpenAI)
	hf, _ := NewPipeline(PipelineHF)
	for _, tc := range []struct {
		p     Pipeline
		red   float32 // unnormalised red
		plane int
	}{{oa, 0, 224 * 224}, {hf, 1, 224 * 224}} {
		x, err := tc.p.Preprocess(im)
		if err != nil {
			t.Fatal(err)
		}
		got := float64(x[0])*tc.p.Std[0] + tc.p.Mean[0]
		if math.Abs(got-float64(tc.red)) > 1e-6 {
			t.Errorf("%s: red = %v, want %v", tc.p.Name, got, tc.red)
		}
	}
}
