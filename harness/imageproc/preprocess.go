package imageproc

import (
	"fmt"
)

// Preprocess runs the pipeline on im and returns a CHW float32 tensor of
// shape [3, H, W], where (W, H) = p.OutputSize(im.W, im.H).
func (p Pipeline) Preprocess(im *Image) ([]float32, error) {
	if err := p.Validate(); err != nil {
		return nil, err
	}
	if err := checkImage(im); err != nil {
		return nil, fmt.Errorf("pipeline %q: %w", p.Name, err)
	}
	w, h := p.OutputSize(im.W, im.H)
	if err := checkResizeSize(w, h); err != nil {
		return nil, fmt.Errorf("pipeline %q: image %dx%d: output %dx%d: %w", p.Name, im.W, im.H, w, h, err)
	}
	dst := make([]float32, 3*w*h)
	if err := p.preprocessInto(dst, im); err != nil {
		return nil, err
	}
	return dst, nil
}

// PreprocessInto writes the tensor of im into dst, which must hold exactly
// 3*W*H values for (W, H) = p.OutputSize(im.W, im.H).
func (p Pipeline) PreprocessInto(dst []float32, im *Image) error {
	if err := p.Validate(); err != nil {
		return err
	}
	if err := checkImage(im); err != nil {
		return fmt.Errorf("pipeline %q: %w", p.Name, err)
	}
	w, h := p.OutputSize(im.W, im.H)
	if len(dst) != 3*w*h {
		return fmt.Errorf("pipeline %q: image %dx%d: destination holds %d values, want 3x%dx%d = %d", p.Name, im.W, im.H, len(dst), h, w, 3*w*h)
	}
	return p.preprocessInto(dst, im)
}

// PreprocessBatch writes the tensors of ims into dst as one [B, 3, H, W]
// float32 batch (B = len(ims)), e.g. an ONNX Runtime input tensor's backing
// slice. The pipeline must have a fixed output size (a crop, or a resize to
// an exact size), and dst must hold exactly B*3*H*W values. On error the
// contents of dst are unspecified.
func (p Pipeline) PreprocessBatch(dst []float32, ims []*Image) error {
	if err := p.Validate(); err != nil {
		return err
	}
	w, h, ok := p.FixedOutputSize()
	if !ok {
		return fmt.Errorf("pipeline %q: batching needs a fixed output size (a centre crop or an exact resize)", p.Name)
	}
	n := 3 * w * h
	if len(dst) != len(ims)*n {
		return fmt.Errorf("pipeline %q: destination holds %d values, want %dx3x%dx%d = %d", p.Name, len(dst), len(ims), h, w, len(ims)*n)
	}
	for i, im := range ims {
		if err := checkImage(im); err != nil {
			return fmt.Errorf("pipeline %q: batch image %d: %w", p.Name, i, err)
		}
		if err := p.preprocessInto(dst[i*n:(i+1)*n], im); err != nil {
			return fmt.Errorf("batch image %d: %w", i, err)
		}
	}
	return nil
}

// preprocessInto runs the pipeline on a checked image; dst has the right size.
func (p Pipeline) preprocessInto(dst []float32, im *Image) error {
	src := im
	if p.Convention == ConventionHF && im.Mode != ModeRGB {
		// transformers: convert_rgb before anything else.
		if !p.ConvertRGB {
			return fmt.Errorf("pipeline %q: image mode %s is not RGB and do_convert_rgb is off", p.Name, im.Mode)
		}
		src = convertToRGB(im)
	}
	rw, rh := p.ResizedSize(src.W, src.H)
	if err := checkResizeSize(rw, rh); err != nil {
		return fmt.Errorf("pipeline %q: image %dx%d: resized size %dx%d: %w", p.Name, im.W, im.H, rw, rh, err)
	}
	ow, oh := p.OutputSize(src.W, src.H)
	left, top := p.CropOrigin(rw, rh)

	// Only the part of the resized image inside the crop is computed.
	win := window{max(left, 0), max(top, 0), min(left+ow, rw), min(top+oh, rh)}
	var reg *Image
	switch {
	case win.dx() <= 0 || win.dy() <= 0:
		reg = &Image{Mode: src.Mode, W: 0, H: 0, Palette: src.Palette}
	case p.resizes():
		reg = resizeRegion(src, rw, rh, p.Filter, win)
	default:
		reg = cropCopy(src, win)
	}
	if win.X0 != left || win.Y0 != top || win.dx() != ow || win.dy() != oh {
		// Zero padding in the current mode (torchvision pads before the RGB
		// conversion, transformers after it).
		reg = cropPadded(reg, left-win.X0, top-win.Y0, ow, oh)
	}
	if reg.Mode != ModeRGB {
		if !p.ConvertRGB {
			return fmt.Errorf("pipeline %q: image mode %s is not RGB and RGB conversion is off", p.Name, im.Mode)
		}
		reg = convertToRGB(reg)
	}
	lut := p.valueTable()
	plane := ow * oh
	r, g, b := dst[:plane], dst[plane:2*plane], dst[2*plane:3*plane]
	pix := reg.Pix[:3*plane]
	for i := range r {
		q := pix[3*i : 3*i+3]
		r[i] = lut[0][q[0]]
		g[i] = lut[1][q[1]]
		b[i] = lut[2][q[2]]
	}
	return nil
}

// valueTable returns, per channel and byte value, the final tensor value:
// rescaled and normalised with the arithmetic of the reference (every step is
// a function of the byte alone, so a table is exact).
func (p Pipeline) valueTable() *[3][256]float32 {
	var t [3][256]float32
	for c := 0; c < 3; c++ {
		for b := 0; b < 256; b++ {
			v := float32(b)
			if p.Rescale {
				if p.Convention == ConventionOpenAI {
					v = float32(b) / 255 // torchvision ToTensor: float32 division
				} else {
					v = float32(float64(b) * p.RescaleFactor) // numpy float64, then astype(float32)
				}
			}
			if p.Normalize {
				d := float32(v - float32(p.Mean[c]))
				v = d / float32(p.Std[c])
			}
			t[c][b] = v
		}
	}
	return &t
}
