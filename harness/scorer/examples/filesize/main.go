// Command filesize is the example plugin of the srbench Go SDK
// (github.com/srbench/srbench/harness/scorer): a scorer built against the
// SDK module alone. It scores an image by the size of its encoded file in
// kilobytes, a crude proxy for detail: two different images rarely tie,
// and the score needs no model. It reads no model files, so it reports
// the fingerprint "none".
package main

import (
	"context"
	"fmt"
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
	return scorer.Description{Name: "filesize", Version: "0.1.0", Kind: "filesize",
		Fingerprint: scorer.NoFingerprint, Formula: "encoded image size / 1000 (prompt ignored)"}, nil
}

func (s *fileSize) Score(ctx context.Context, req scorer.ScoreRequest) (scorer.ScoreResponse, error) {
	out := make([]scorer.Result, len(req.Items))
	for i, it := range req.Items {
		n := int64(len(it.ImageBytes))
		if it.ImageBytes == nil {
			st, err := os.Stat(it.ImagePath)
			if err != nil {
				out[i].Err = err.Error() // a per-item error: the rest of the batch still scores
				continue
			}
			n = st.Size()
		}
		if n == 0 || n > s.maxBytes {
			out[i].Err = fmt.Sprintf("image of %d bytes: want 1 to %d", n, s.maxBytes)
			continue
		}
		out[i].Score = float64(n) / 1000
	}
	return scorer.ScoreResponse{Results: out}, nil
}

func main() { scorer.Serve(newFileSize) }
