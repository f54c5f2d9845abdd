package imageproc

import "fmt"

// PreprocessFile decodes the image file at path with DecodeFile and runs p on
// it, returning the CHW tensor and what the header said about the file.
func PreprocessFile(path string, p Pipeline, opt DecodeOptions) ([]float32, Info, error) {
	if err := p.Validate(); err != nil {
		return nil, Info{}, err
	}
	im, info, err := DecodeFile(path, opt)
	if err != nil {
		return nil, info, err
	}
	x, err := p.Preprocess(im)
	if err != nil {
		return nil, info, fmt.Errorf("file %q: %w", path, err)
	}
	return x, info, nil
}
