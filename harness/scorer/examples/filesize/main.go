// Command filesize is the example plugin of the srbench Go SDK
// (github.com/srbench/srbench/harness/scorer): a scorer built against the
// SDK module alone. It scores an image by the size of its encoded file per
// pixel, in bits (a crude proxy for detail: a busy image compresses worse
// than a flat one), so two different images rarely tie and the score needs
// no model. It reads the image's header to know its pixel count, so a file
// that is not a PNG, JPEG or GIF is a per-item error. It reads no model
// files, so it reports the fingerprint "none".
package main

import (
	"bytes"
	"context"
	"fmt"
	"image"
	_ "image/gif" // the formats image.DecodeConfig recognises
	_ "image/jpeg"
	_ "image/png"
	"io"
	"os"

	"github.com/srbench/srbench/harness/scorer"
)

type fileSize struct{ maxBytes int64 }

func newFileSize(ctx context.Context, cfg scorer.Config) (scorer.Scorer, error) {
	if err := cfg.CheckOptions(); err != nil { // reject options you don't know
		return nil, err
	}
	limit := cfg.MaxImageBytes
	if limit == 0 {
		limit = 64 << 20
	}
	return &fileSize{maxBytes: limit}, nil
}

func (s *fileSize) Describe(ctx context.Context, _ scorer.DescribeRequest) (scorer.Description, error) {
	return scorer.Description{Name: "filesize", Version: "0.2.0", Kind: "filesize", Variant: "bits-per-pixel",
		Fingerprint: scorer.NoFingerprint, Formula: "8 · encoded bytes / (width · height); the prompt is ignored"}, nil
}

func (s *fileSize) Score(ctx context.Context, req scorer.ScoreRequest) (scorer.ScoreResponse, error) {
	out := make([]scorer.Result, len(req.Items))
	for i, it := range req.Items {
		bpp, err := s.bitsPerPixel(it)
		if err != nil {
			out[i].Err = err.Error() // a per-item error: the rest of the batch still scores
			continue
		}
		out[i].Score = bpp
	}
	return scorer.ScoreResponse{Results: out}, nil
}

func (s *fileSize) bitsPerPixel(it scorer.Item) (float64, error) {
	b := it.ImageBytes
	if b == nil {
		f, err := os.Open(it.ImagePath)
		if err != nil {
			return 0, err
		}
		defer f.Close()
		if b, err = io.ReadAll(io.LimitReader(f, s.maxBytes+1)); err != nil {
			return 0, err
		}
	}
	if int64(len(b)) > s.maxBytes {
		return 0, fmt.Errorf("image larger than %d bytes", s.maxBytes)
	}
	cfg, _, err := image.DecodeConfig(bytes.NewReader(b))
	if err != nil {
		return 0, fmt.Errorf("image: %w", err)
	}
	if cfg.Width <= 0 || cfg.Height <= 0 {
		return 0, fmt.Errorf("image of %dx%d pixels", cfg.Width, cfg.Height)
	}
	return 8 * float64(len(b)) / float64(cfg.Width*cfg.Height), nil
}

func main() { scorer.Serve(newFileSize) }
