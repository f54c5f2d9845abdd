package imageproc

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"sort"
	"strings"
)

// Convention selects which reference implementation a Pipeline reproduces.
type Convention int

const (
	// ConventionOpenAI is torchvision's transform as used by OpenAI CLIP,
	// Social Reward, ImageReward and CLIPScore: resize and crop in the
	// image's own mode, convert to RGB last, crop offset
	// round-half-to-even((h-crop)/2), x/255 in float32.
	ConventionOpenAI Convention = iota
	// ConventionHF is transformers' PIL-based image processor
	// (CLIPImageProcessor): convert to RGB first, crop offset (h-crop)//2
	// (zero padding when the crop is larger), x*rescale_factor in float64
	// cast to float32.
	ConventionHF
)

// String returns "openai" or "hf".
func (c Convention) String() string {
	switch c {
	case ConventionOpenAI:
		return "openai"
	case ConventionHF:
		return "hf"
	}
	return fmt.Sprintf("Convention(%d)", int(c))
}

// CLIPMean returns OpenAI CLIP's per-channel normalisation mean (also
// transformers' OPENAI_CLIP_MEAN).
func CLIPMean() [3]float64 { return [3]float64{0.48145466, 0.4578275, 0.40821073} }

// CLIPStd returns OpenAI CLIP's per-channel normalisation standard deviation
// (also transformers' OPENAI_CLIP_STD).
func CLIPStd() [3]float64 { return [3]float64{0.26862954, 0.26130258, 0.27577711} }

// Pipeline is an image preprocessing recipe that turns a decoded Image into a
// CHW float32 tensor [3, H, W]. Build one with NewPipeline or
// ParsePreprocessorConfig. Every step is off in the zero Pipeline: it
// accepts only RGB images and returns their byte values as float32. A
// Pipeline holds no state; its methods are safe for concurrent use.
type Pipeline struct {
	// Name identifies the recipe in reports ("openai", "hf", or the
	// processor type of a preprocessor_config.json).
	Name string
	// Source is the file the pipeline was read from, if any.
	Source string
	// Convention is the reference implementation reproduced.
	Convention Convention

	// ShortestEdge > 0 resizes so that the shorter side becomes
	// ShortestEdge and the longer int(ShortestEdge*long/short).
	ShortestEdge int
	// ResizeW, ResizeH > 0 (with ShortestEdge 0) resize to exactly that size.
	ResizeW, ResizeH int
	// Filter is the PIL resampling filter of the resize.
	Filter Filter

	// CropW, CropH > 0 centre-crop to that size; 0 keeps the resized image.
	CropW, CropH int

	// Rescale multiplies pixel values by RescaleFactor (ConventionHF; for
	// ConventionOpenAI it must be set with RescaleFactor 1/255, applied as a
	// float32 division by 255 like torchvision's ToTensor).
	Rescale       bool
	RescaleFactor float64

	// Normalize applies (x-Mean)/Std per channel in float32. Mean and Std
	// keep the configured decimals; like torch and numpy, the arithmetic
	// uses them rounded to float32.
	Normalize bool
	Mean, Std [3]float64

	// ConvertRGB converts to RGB (first for ConventionHF, last for
	// ConventionOpenAI). Without it the image must already be RGB.
	ConvertRGB bool
}

// The names NewPipeline accepts.
const (
	PipelineOpenAI = "openai"
	PipelineHF     = "hf"
)

// NewPipeline returns the named CLIP pipeline at 224×224 with the OpenAI
// CLIP mean and std: "openai" (torchvision, ConventionOpenAI) or "hf"
// (transformers CLIPImageProcessor, ConventionHF).
func NewPipeline(name string) (Pipeline, error) {
	p := Pipeline{
		Name:          name,
		ShortestEdge:  224,
		Filter:        FilterBicubic,
		CropW:         224,
		CropH:         224,
		Rescale:       true,
		RescaleFactor: 1.0 / 255,
		Normalize:     true,
		Mean:          CLIPMean(),
		Std:           CLIPStd(),
		ConvertRGB:    true,
	}
	switch name {
	case PipelineOpenAI:
		p.Convention = ConventionOpenAI
	case PipelineHF:
		p.Convention = ConventionHF
	default:
		return Pipeline{}, fmt.Errorf("unknown pipeline %q (want %q or %q)", name, PipelineOpenAI, PipelineHF)
	}
	return p, nil
}

// Validate reports whether p can run.
func (p Pipeline) Validate() error {
	switch p.Convention {
	case ConventionOpenAI, ConventionHF:
	default:
		return fmt.Errorf("pipeline %q: unknown convention %d", p.Name, int(p.Convention))
	}
	if p.ShortestEdge < 0 || p.ResizeW < 0 || p.ResizeH < 0 || p.CropW < 0 || p.CropH < 0 {
		return fmt.Errorf("pipeline %q: negative size", p.Name)
	}
	if p.ShortestEdge > 0 && (p.ResizeW > 0 || p.ResizeH > 0) {
		return fmt.Errorf("pipeline %q: both ShortestEdge and ResizeW/ResizeH set", p.Name)
	}
	if (p.ResizeW > 0) != (p.ResizeH > 0) {
		return fmt.Errorf("pipeline %q: ResizeW and ResizeH must be set together", p.Name)
	}
	if (p.CropW > 0) != (p.CropH > 0) {
		return fmt.Errorf("pipeline %q: CropW and CropH must be set together", p.Name)
	}
	for _, s := range []int{p.ShortestEdge, p.ResizeW, p.ResizeH, p.CropW, p.CropH} {
		if s > maxResizeSide {
			return fmt.Errorf("pipeline %q: size %d exceeds %d", p.Name, s, maxResizeSide)
		}
	}
	if p.resizes() {
		if _, ok := filterKernel(p.Filter); !ok && p.Filter != FilterNearest {
			return fmt.Errorf("pipeline %q: unknown filter %d", p.Name, int(p.Filter))
		}
	}
	if p.Rescale {
		if math.IsNaN(p.RescaleFactor) || math.IsInf(p.RescaleFactor, 0) {
			return fmt.Errorf("pipeline %q: rescale factor %v is not finite", p.Name, p.RescaleFactor)
		}
		if p.Convention == ConventionOpenAI && p.RescaleFactor != 1.0/255 {
			return fmt.Errorf("pipeline %q: the openai convention rescales by 1/255 only, got %v", p.Name, p.RescaleFactor)
		}
	}
	if p.Normalize {
		for c := 0; c < 3; c++ {
			m, s := float32(p.Mean[c]), float32(p.Std[c])
			if s == 0 || !finite32(s) || !finite32(m) {
				return fmt.Errorf("pipeline %q: channel %d: mean %v, std %v: std must be non-zero and both finite in float32", p.Name, c, p.Mean[c], p.Std[c])
			}
		}
	}
	return nil
}

func finite32(f float32) bool { return !math.IsNaN(float64(f)) && !math.IsInf(float64(f), 0) }

func (p Pipeline) resizes() bool { return p.ShortestEdge > 0 || p.ResizeW > 0 }

// ResizedSize returns the size an image of w×h has after the resize step
// (w×h itself without one). With ShortestEdge n it is torchvision's and
// transformers' rule: the shorter side becomes n, the longer
// int(n*long/short) (a float64 quotient, truncated).
func (p Pipeline) ResizedSize(w, h int) (int, int) {
	switch {
	case p.ShortestEdge > 0:
		n := p.ShortestEdge
		if w <= h {
			return n, int(float64(n*h) / float64(w))
		}
		return int(float64(n*w) / float64(h)), n
	case p.ResizeW > 0:
		return p.ResizeW, p.ResizeH
	}
	return w, h
}

// OutputSize returns the width and height of the tensor for an input image
// of w×h: the crop size, or the resized size without a crop.
func (p Pipeline) OutputSize(w, h int) (int, int) {
	if p.CropW > 0 {
		return p.CropW, p.CropH
	}
	return p.ResizedSize(w, h)
}

// FixedOutputSize returns the tensor size when it does not depend on the
// input (a crop, or a resize to an exact size); ok is false otherwise.
func (p Pipeline) FixedOutputSize() (w, h int, ok bool) {
	if p.CropW > 0 {
		return p.CropW, p.CropH, true
	}
	if p.ResizeW > 0 {
		return p.ResizeW, p.ResizeH, true
	}
	return 0, 0, false
}

// CropOrigin returns the top-left corner, in the resized image of rw×rh, of
// the crop window (negative where the crop is larger than the image and gets
// zero padding). ConventionOpenAI: torchvision's CenterCrop — offset
// int(round((rw-cw)/2)) with round half to even, or, when the crop is
// larger, padding floor((cw-rw)/2) before it. ConventionHF: transformers'
// center_crop — offset (rw-cw)//2 (floor), which is also where its padding
// puts the image.
func (p Pipeline) CropOrigin(rw, rh int) (left, top int) {
	if p.CropW <= 0 {
		return 0, 0
	}
	if p.Convention == ConventionHF {
		return floorDiv(rw-p.CropW, 2), floorDiv(rh-p.CropH, 2)
	}
	return torchCropOffset(rw, p.CropW), torchCropOffset(rh, p.CropH)
}

func floorDiv(a, b int) int {
	q := a / b
	if (a%b != 0) && ((a < 0) != (b < 0)) {
		q--
	}
	return q
}

// torchCropOffset is one axis of torchvision's center_crop.
func torchCropOffset(size, crop int) int {
	if crop > size {
		return -((crop - size) / 2)
	}
	m := size - crop // round(m/2), halves to even
	if m%2 == 0 {
		return m / 2
	}
	half := m / 2 // m/2 = half + 0.5
	if half%2 == 0 {
		return half
	}
	return half + 1
}

// Describe returns a one-line description for reports: name, convention,
// sizes, crop rule, rescale and normalisation constants.
func (p Pipeline) Describe() string {
	var b strings.Builder
	b.WriteString(p.Name)
	if p.Source != "" {
		fmt.Fprintf(&b, " (%s)", p.Source)
	}
	fmt.Fprintf(&b, ": %s convention", p.Convention)
	if p.ConvertRGB && p.Convention == ConventionHF {
		b.WriteString("; convert RGB first")
	}
	switch {
	case p.ShortestEdge > 0:
		fmt.Fprintf(&b, "; resize shortest edge to %d (longer int(%d*long/short)), PIL %s", p.ShortestEdge, p.ShortestEdge, p.Filter)
	case p.ResizeW > 0:
		fmt.Fprintf(&b, "; resize to %dx%d, PIL %s", p.ResizeW, p.ResizeH, p.Filter)
	default:
		b.WriteString("; no resize")
	}
	if p.Convention == ConventionOpenAI && p.resizes() {
		b.WriteString(" in the image's own mode")
	}
	if p.CropW > 0 {
		rule := "round-half-even((size-crop)/2)"
		if p.Convention == ConventionHF {
			rule = "(size-crop)//2"
		}
		fmt.Fprintf(&b, "; centre crop %dx%d at %s", p.CropW, p.CropH, rule)
	} else {
		b.WriteString("; no crop")
	}
	if p.ConvertRGB && p.Convention == ConventionOpenAI {
		b.WriteString("; convert RGB last")
	}
	if p.Rescale {
		if p.Convention == ConventionOpenAI {
			b.WriteString("; x/255 float32")
		} else {
			fmt.Fprintf(&b, "; x*%v float64→float32", p.RescaleFactor)
		}
	}
	if p.Normalize {
		fmt.Fprintf(&b, "; normalise mean=%v std=%v float32", p.Mean, p.Std)
	}
	return b.String()
}

// ------------------------------------------------ preprocessor_config.json

// hfDefaults are the constructor defaults of the transformers image
// processors ParsePreprocessorConfig understands.
type hfDefaults struct {
	shortestEdge, resizeW, resizeH int
	crop                           bool
	cropW, cropH                   int
	sizeIntIsSquare                bool // get_size_dict(default_to_square=...) for an int "size"
	hasCrop                        bool // the processor has do_center_crop/crop_size
}

// hfProcessorTypes lists the processor types ParsePreprocessorConfig knows.
const hfProcessorTypes = "BlipImageProcessor, CLIPFeatureExtractor, CLIPImageProcessor"

func hfProcessorDefaults(name string) (hfDefaults, bool) {
	switch name {
	case "CLIPImageProcessor", "CLIPFeatureExtractor":
		return hfDefaults{shortestEdge: 224, crop: true, cropW: 224, cropH: 224, hasCrop: true}, true
	case "BlipImageProcessor":
		return hfDefaults{resizeW: 384, resizeH: 384, sizeIntIsSquare: true}, true
	}
	return hfDefaults{}, false
}

// LoadPreprocessorConfig reads a Hugging Face preprocessor_config.json; see
// ParsePreprocessorConfig.
func LoadPreprocessorConfig(path string) (Pipeline, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return Pipeline{}, fmt.Errorf("preprocessor config: %w", err)
	}
	p, err := ParsePreprocessorConfig(data)
	if err != nil {
		return Pipeline{}, fmt.Errorf("file %q: %w", path, err)
	}
	p.Source = path
	return p, nil
}

// ParsePreprocessorConfig builds a ConventionHF pipeline from the contents of
// a Hugging Face preprocessor_config.json for CLIPImageProcessor (also its
// old name CLIPFeatureExtractor, and the default when no type is named) or
// BlipImageProcessor. Fields: do_resize, size (int or {"shortest_edge"} or
// {"height","width"}), resample (PIL filter number), do_center_crop,
// crop_size (int or {"height","width"}), do_rescale, rescale_factor,
// do_normalize, image_mean, image_std (3 numbers or one), do_convert_rgb;
// absent fields take the processor's defaults. processor_class and keys
// starting with "_" are ignored; any other field is an error naming it, so a
// config that asks for something this package does not do is never silently
// misread.
func ParsePreprocessorConfig(data []byte) (Pipeline, error) {
	var raw map[string]json.RawMessage
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&raw); err != nil {
		return Pipeline{}, fmt.Errorf("preprocessor config: %w", err)
	}
	if raw == nil {
		return Pipeline{}, fmt.Errorf("preprocessor config: want a JSON object")
	}
	typeName := "CLIPImageProcessor"
	for _, key := range []string{"image_processor_type", "feature_extractor_type"} {
		if v, ok := raw[key]; ok {
			var s string
			if err := json.Unmarshal(v, &s); err != nil {
				return Pipeline{}, fmt.Errorf("field %q: want a string: %w", key, err)
			}
			if _, ok := hfProcessorDefaults(s); !ok {
				return Pipeline{}, fmt.Errorf("field %q: unsupported processor %q (want one of %s)", key, s, hfProcessorTypes)
			}
			typeName = s
		}
	}
	d, _ := hfProcessorDefaults(typeName)
	p := Pipeline{
		Name:          typeName,
		Convention:    ConventionHF,
		ShortestEdge:  d.shortestEdge,
		ResizeW:       d.resizeW,
		ResizeH:       d.resizeH,
		Filter:        FilterBicubic,
		Rescale:       true,
		RescaleFactor: 1.0 / 255,
		Normalize:     true,
		Mean:          CLIPMean(),
		Std:           CLIPStd(),
		ConvertRGB:    true,
	}
	doResize, doCrop := true, d.crop
	cropW, cropH := d.cropW, d.cropH

	keys := sortedKeys(raw)
	for _, key := range keys {
		v := raw[key]
		if bytes.Equal(bytes.TrimSpace(v), []byte("null")) {
			switch key {
			case "size", "crop_size", "image_mean", "image_std", "processor_class":
				continue // None: transformers uses the default
			}
			if !strings.HasPrefix(key, "_") {
				return Pipeline{}, fmt.Errorf("field %q: null is not supported here", key)
			}
		}
		var err error
		switch key {
		case "image_processor_type", "feature_extractor_type", "processor_class":
		case "do_resize":
			err = json.Unmarshal(v, &doResize)
		case "size":
			p.ShortestEdge, p.ResizeW, p.ResizeH, err = parseHFSize(v, d.sizeIntIsSquare, true)
		case "resample":
			var r int
			if err = json.Unmarshal(v, &r); err == nil {
				if _, ok := filterKernel(Filter(r)); !ok && Filter(r) != FilterNearest {
					err = fmt.Errorf("unsupported PIL filter %d (want 0..5: NEAREST, LANCZOS, BILINEAR, BICUBIC, BOX, HAMMING)", r)
				}
				p.Filter = Filter(r)
			}
		case "do_center_crop":
			if !d.hasCrop {
				err = fmt.Errorf("%s has no centre crop", typeName)
				break
			}
			err = json.Unmarshal(v, &doCrop)
		case "crop_size":
			if !d.hasCrop {
				err = fmt.Errorf("%s has no centre crop", typeName)
				break
			}
			_, cropW, cropH, err = parseHFSize(v, true, false)
		case "do_rescale":
			err = json.Unmarshal(v, &p.Rescale)
		case "rescale_factor":
			err = json.Unmarshal(v, &p.RescaleFactor)
			if err == nil && (math.IsNaN(p.RescaleFactor) || math.IsInf(p.RescaleFactor, 0)) {
				err = fmt.Errorf("not finite")
			}
		case "do_normalize":
			err = json.Unmarshal(v, &p.Normalize)
		case "image_mean":
			p.Mean, err = parseTriple(v)
		case "image_std":
			p.Std, err = parseTriple(v)
		case "do_convert_rgb":
			err = json.Unmarshal(v, &p.ConvertRGB)
		default:
			if strings.HasPrefix(key, "_") {
				continue
			}
			err = fmt.Errorf("not supported by this implementation of %s", typeName)
		}
		if err != nil {
			return Pipeline{}, fmt.Errorf("field %q: %w", key, err)
		}
	}
	if !doResize {
		p.ShortestEdge, p.ResizeW, p.ResizeH = 0, 0, 0
	}
	if doCrop {
		p.CropW, p.CropH = cropW, cropH
	}
	if p.Normalize {
		for c := 0; c < 3; c++ {
			if float32(p.Std[c]) == 0 {
				return Pipeline{}, fmt.Errorf("field %q: channel %d is zero", "image_std", c)
			}
		}
	}
	if err := p.Validate(); err != nil {
		return Pipeline{}, err
	}
	return p, nil
}

// parseHFSize reads a size field: an int (square or shortest edge, as
// get_size_dict's default_to_square says) or a dict with "shortest_edge" or
// "height" and "width".
func parseHFSize(v json.RawMessage, intIsSquare, allowShortest bool) (shortest, w, h int, err error) {
	var n int
	if json.Unmarshal(v, &n) == nil {
		if n <= 0 {
			return 0, 0, 0, fmt.Errorf("size %d must be positive", n)
		}
		if intIsSquare || !allowShortest {
			return 0, n, n, nil
		}
		return n, 0, 0, nil
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(v, &m); err != nil {
		return 0, 0, 0, fmt.Errorf("want an integer or an object with shortest_edge or height and width")
	}
	get := func(k string) (int, error) {
		var x int
		if err := json.Unmarshal(m[k], &x); err != nil {
			return 0, fmt.Errorf("key %q: want an integer", k)
		}
		if x <= 0 {
			return 0, fmt.Errorf("key %q: %d must be positive", k, x)
		}
		return x, nil
	}
	for _, k := range sortedKeys(m) {
		switch k {
		case "shortest_edge", "height", "width":
		default:
			return 0, 0, 0, fmt.Errorf("key %q not supported (want shortest_edge, or height and width)", k)
		}
	}
	if _, ok := m["shortest_edge"]; ok && allowShortest {
		if len(m) != 1 {
			return 0, 0, 0, fmt.Errorf("shortest_edge cannot be combined with height/width")
		}
		shortest, err = get("shortest_edge")
		return shortest, 0, 0, err
	}
	_, okH := m["height"]
	_, okW := m["width"]
	if !okH || !okW || len(m) != 2 {
		if allowShortest {
			return 0, 0, 0, fmt.Errorf("want shortest_edge, or height and width")
		}
		return 0, 0, 0, fmt.Errorf("want height and width")
	}
	if h, err = get("height"); err != nil {
		return 0, 0, 0, err
	}
	if w, err = get("width"); err != nil {
		return 0, 0, 0, err
	}
	return 0, w, h, nil
}

// parseTriple reads image_mean/image_std: three numbers, or one number used
// for every channel (as transformers' normalize broadcasts).
func parseTriple(v json.RawMessage) ([3]float64, error) {
	var one float64
	if json.Unmarshal(v, &one) == nil {
		return [3]float64{one, one, one}, nil
	}
	var xs []float64
	if err := json.Unmarshal(v, &xs); err != nil {
		return [3]float64{}, fmt.Errorf("want a number or a list of 3 numbers")
	}
	if len(xs) != 3 {
		return [3]float64{}, fmt.Errorf("want 3 values (one per RGB channel), got %d", len(xs))
	}
	return [3]float64{xs[0], xs[1], xs[2]}, nil
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// CheckSize refuses, before an image of w×h is decoded, sizes the pipeline
// could only reject after decoding: a resized image (an extreme aspect
// ratio resized by its shortest edge) wider or taller than the resize limit
// of 2^20 pixels a side or 2^28 pixels in all. Use it as
// DecodeOptions.Check.
func (p Pipeline) CheckSize(w, h int) error {
	if w <= 0 || h <= 0 {
		return fmt.Errorf("pipeline %q: image size %dx%d: must be positive", p.Name, w, h)
	}
	if !p.resizes() {
		return nil
	}
	var rw, rh float64
	switch {
	case p.ShortestEdge > 0:
		n := float64(p.ShortestEdge)
		if w <= h {
			rw, rh = n, n*float64(h)/float64(w)
		} else {
			rw, rh = n*float64(w)/float64(h), n
		}
	default:
		rw, rh = float64(p.ResizeW), float64(p.ResizeH)
	}
	if rw > maxResizeSide || rh > maxResizeSide || rw*rh > maxResizePixels {
		return fmt.Errorf("pipeline %q: a %dx%d image (aspect ratio %.0f:1) would be resized to %.0fx%.0f, over the limit of %d pixels a side and %d in all; refused before decoding: %w",
			p.Name, w, h, math.Max(float64(w)/float64(h), float64(h)/float64(w)), rw, rh, maxResizeSide, maxResizePixels, ErrTooLarge)
	}
	return nil
}

// SquareSize returns the side of the pipeline's fixed square output, or an
// error naming the file the pipeline was read from (Source) when the output
// is not square or depends on the image (no centre crop or exact resize):
// the batched scorers need one [3, N, N] tensor size.
func (p Pipeline) SquareSize() (int, error) {
	w, h, ok := p.FixedOutputSize()
	if ok && w == h {
		return w, nil
	}
	where := ""
	if p.Source != "" {
		where = fmt.Sprintf("file %q: ", p.Source)
	}
	got := fmt.Sprintf("got %dx%d", w, h)
	if !ok {
		got = "its output size depends on the image: no centre crop or exact resize"
	}
	return 0, fmt.Errorf("%simage pipeline %q must give a fixed square output (%s)", where, p.Name, got)
}
