package imageproc

import "fmt"

// maxPixels returns the effective pixel budget of opt: DefaultMaxPixels for
// 0, no limit (-1) for negative values.
func (opt DecodeOptions) maxPixels() int64 { return limitOr(opt.MaxPixels, DefaultMaxPixels) }

// limitOr is a limit as options give it: def for 0, -1 (none) for a
// negative value, v otherwise.
func limitOr(v, def int64) int64 {
	switch {
	case v == 0:
		return def
	case v < 0:
		return -1
	}
	return v
}

// checkPixelBudget refuses an image whose header declares more pixels than
// the budget allows. It runs before any pixel memory is allocated.
func checkPixelBudget(info Info, opt DecodeOptions) error {
	limit := opt.maxPixels()
	if limit < 0 {
		return nil
	}
	if n := int64(info.W) * int64(info.H); n > limit {
		return fmt.Errorf("%s: %dx%d = %d pixels exceeds the limit of %d pixels (DecodeOptions.MaxPixels): %w",
			info.Format, info.W, info.H, n, limit, ErrTooLarge)
	}
	return nil
}
