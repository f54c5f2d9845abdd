package imageproc

import (
	"context"
	"errors"
	"fmt"
	"math"
	"runtime/debug"

	"golang.org/x/sync/semaphore"

	"github.com/srbench/srbench/internal/safefile"
)

// DefaultDecodeMemory is the decode budget NewBudget uses for 0: 512 MiB,
// room for two baseline JPEGs of 49 megapixels (about 225 MiB each by
// DecodeCost) or dozens of ordinary images at once.
const DefaultDecodeMemory = 512 << 20

// Budget bounds the memory spent on decoding images at once: each decode
// first acquires its estimated cost (DecodeCost), so a batch of 32 large
// images is decoded a few at a time, within the budget, instead of all
// together. An image costing more than the whole budget is decoded alone.
// A Budget is safe for concurrent use.
type Budget struct {
	total int64
	sem   *semaphore.Weighted
}

// NewBudget returns a budget of the given bytes (0: DefaultDecodeMemory).
// A negative size means no budget: Acquire never waits.
func NewBudget(bytes int64) *Budget {
	if bytes == 0 {
		bytes = DefaultDecodeMemory
	}
	if bytes < 0 {
		return &Budget{total: -1}
	}
	return &Budget{total: bytes, sem: semaphore.NewWeighted(bytes)}
}

// Total is the budget in bytes, -1 when unbounded.
func (b *Budget) Total() int64 { return b.total }

// DecodeCost estimates the memory decoding an image takes at its peak, in
// bytes: the decoded pixels (the mode's bytes per pixel, 4 for 32-bit
// gray), the decoder's working planes — for JPEG the component planes at
// their sampling (3 bytes a pixel at 4:4:4, 1.5 at 4:2:0, 1 for gray) and,
// for a progressive file, 2 bytes per plane sample of coefficients; for the
// other formats a second full-size buffer — and the encoded data. Measured
// on a 49-megapixel 4:2:0 baseline JPEG it is 4.5 bytes a pixel against a
// real peak of about 4.1.
func DecodeCost(info Info, encoded int) int64 {
	px := float64(info.W) * float64(info.H)
	out := float64(info.Mode.Channels())
	if info.Mode == ModeI {
		out = 4
	}
	if out == 0 {
		out = 4
	}
	work := out // a second full-size buffer
	if info.Format == "jpeg" {
		switch info.Subsampling {
		case "4:0:0":
			work = 1
		case "4:2:0", "4:1:1", "4:4:0":
			work = 1.5
		case "4:2:2":
			work = 2
		default:
			work = 3
		}
		if info.Progressive {
			work *= 3 // the planes plus 2 bytes of coefficients per sample
		}
	}
	return int64(px*(out+work)) + int64(encoded)
}

// Acquire waits until cost bytes of the budget are free (the whole budget
// for a cost larger than it) and returns the function that frees them.
func (b *Budget) Acquire(ctx context.Context, cost int64) (release func(), err error) {
	if b == nil || b.sem == nil {
		return func() {}, nil
	}
	cost = min(max(cost, 1), b.total)
	if err := b.sem.Acquire(ctx, cost); err != nil {
		return nil, fmt.Errorf("decode budget: %w", err)
	}
	return func() { b.sem.Release(cost) }, nil
}

// DecodeBudgeted decodes data like Decode, but first waits for its
// DecodeCost in budget (after the header is read and checked, before any
// pixel memory is allocated), holding it until done returns: the caller
// calls done once it no longer holds the decoded image (e.g. after
// preprocessing it into a tensor).
func DecodeBudgeted(ctx context.Context, budget *Budget, data []byte, opt DecodeOptions) (im *Image, info Info, done func(), err error) {
	info, err = DecodeConfig(data)
	if err != nil {
		return nil, Info{}, nil, err
	}
	if err := checkPixelBudget(info, opt); err != nil {
		return nil, Info{}, nil, err
	}
	if opt.Check != nil {
		if err := opt.Check(info); err != nil {
			return nil, Info{}, nil, err
		}
	}
	release, err := budget.Acquire(ctx, DecodeCost(info, len(data)))
	if err != nil {
		return nil, Info{}, nil, err
	}
	im, info, err = Decode(data, opt)
	if err != nil {
		release()
		return nil, Info{}, nil, err
	}
	return im, info, release, nil
}

// ReadFile reads an image file within opt's file size limit (see
// DecodeFile: regular files only, never blocking, no content in errors).
func ReadFile(path string, opt DecodeOptions) ([]byte, error) {
	data, err := safefile.ReadRegular(path, opt.maxFileBytes())
	if err != nil {
		var fe *safefile.Error
		if errors.As(err, &fe) {
			return nil, fmt.Errorf("image file %q: %w", path, fe.Reason())
		}
		return nil, fmt.Errorf("image file %q: %w", path, err)
	}
	return data, nil
}

// CheckEncodedSize refuses encoded image data larger than opt's file size
// limit (for images passed as bytes rather than files).
func CheckEncodedSize(data []byte, opt DecodeOptions) error {
	if max := opt.maxFileBytes(); max >= 0 && int64(len(data)) > max {
		return fmt.Errorf("%d bytes of image data, more than the limit of %d (--max-image-bytes): %w", len(data), max, ErrTooLarge)
	}
	return nil
}

// DecodeAndUse decodes data within budget (DecodeBudgeted) and calls use
// with the image, releasing the budget when use returns: the decoded
// pixels are meant not to outlive use.
func (b *Budget) DecodeAndUse(ctx context.Context, data []byte, opt DecodeOptions, use func(*Image) error) error {
	if err := CheckEncodedSize(data, opt); err != nil {
		return err
	}
	im, _, done, err := DecodeBudgeted(ctx, b, data, opt)
	if err != nil {
		return err
	}
	defer done()
	return use(im)
}

// GoMemoryHeadroom is what NewLoader allows the Go heap beyond the decode
// budget: tensors, tokenizers, gRPC buffers and the encoded files.
const GoMemoryHeadroom = 256 << 20

// Loader turns image files or encoded bytes into a pipeline's tensors
// within the limits on untrusted input: the file size limit, the header
// checks (pixel count, and an aspect ratio the pipeline could only refuse
// after decoding) and the decode memory budget. It is safe for concurrent
// use; the CLIP-family encoders and ImageReward share it.
type Loader struct {
	Pipeline Pipeline
	Budget   *Budget
	Options  DecodeOptions
}

// NewLoader returns a Loader for p with a file size limit (0:
// DefaultMaxFileBytes, negative: none) and a decode memory budget (0:
// DefaultDecodeMemory, negative: none).
//
// With a budget, it also sets the Go runtime's soft memory limit (unless
// GOMEMLIMIT or another caller set one) to the budget plus
// GoMemoryHeadroom, so that the garbage of one decode is collected before
// the next one adds to it: the budget bounds what decoding holds at once,
// the limit bounds what the heap keeps around.
func NewLoader(p Pipeline, maxFileBytes, decodeMemory int64) *Loader {
	l := &Loader{Pipeline: p, Budget: NewBudget(decodeMemory), Options: DecodeOptions{MaxFileBytes: maxFileBytes}}
	if total := l.Budget.Total(); total > 0 && debug.SetMemoryLimit(-1) == math.MaxInt64 {
		debug.SetMemoryLimit(total + GoMemoryHeadroom)
	}
	l.Options.Check = func(info Info) error { return p.CheckSize(info.W, info.H) }
	return l
}

// Load reads the image (data when non-nil, else the file at path), decodes
// it within the budget and writes its tensor into dst.
func (l *Loader) Load(ctx context.Context, path string, data []byte, dst []float32) error {
	fromFile := data == nil
	if fromFile {
		var err error
		if data, err = ReadFile(path, l.Options); err != nil {
			return err
		}
	}
	return l.decodeInto(ctx, path, fromFile, data, dst)
}

// decodeInto decodes data (read from the file at path when fromFile)
// within the budget and writes its tensor into dst.
func (l *Loader) decodeInto(ctx context.Context, path string, fromFile bool, data []byte, dst []float32) error {
	err := l.Budget.DecodeAndUse(ctx, data, l.Options, func(im *Image) error { return l.Pipeline.PreprocessInto(dst, im) })
	if err != nil && fromFile {
		return fmt.Errorf("image file %q: %w", path, err)
	}
	return err
}
