package curate

import (
	"fmt"
	"github.com/srbench/srbench/harness/internal/suggest"
	"math"
	"strings"
)

// Preset names.
const (
	PresetDebiased = "debiased" // the default: every bias control on
	PresetRaw      = "raw"      // no bias controls: the higher raw remix count wins
)

// Values of the string options.
const (
	ExposureAuto    = "auto"     // remixes per view when every image has views, else per day
	ExposurePerDay  = "per_day"  // remixes per day of exposure
	ExposurePerView = "per_view" // remixes per view; images without views are dropped
	ExposureNone    = "none"     // raw remix counts

	FollowersNone      = "none"      // no author/follower-bias control
	FollowersNormalize = "normalize" // divide the rate by (1+followers)^b
	FollowersBands     = "bands"     // pair only authors in the same follower band

	CreatorOff     = "off"     // ignore creator_remixes
	CreatorVeto    = "veto"    // drop pairs whose negative was remixed by top creators and whose positive was not
	CreatorPromote = "promote" // remixed by top creators (and the other not) ⇒ positive, whatever the rates

	CapRandom    = "random"    // keep a seeded random sample of a prompt's pairs
	CapStrongest = "strongest" // keep the pairs with the highest remix ratio

	ImagesLink = "link" // Run hard-links (or copies, across devices) the images into DIR/images
	ImagesCopy = "copy" // Run copies the images into DIR/images
	ImagesNone = "none" // Run writes paths relative to the log's directory and copies nothing
)

// Options are the curation controls. The zero value is the "debiased" preset with seed 0.
// Every zero-valued field takes its preset's value; Resolve returns the options with all
// fields filled in (the form recorded in metadata.json). Where a threshold can be switched
// off, a negative value means "no threshold" (kept as -1 when resolved).
type Options struct {
	// Preset names the defaults: "debiased" ("" means this) or "raw". See Presets.
	Preset string `json:"preset"`

	// Exposure normalisation: "auto", "per_day", "per_view" or "none". The rate of an image
	// is (remixes + Smoothing) / exposure, exposure in days or views.
	Exposure string `json:"exposure"`
	// MinExposureDays drops images online for less than this many days (negative: none).
	MinExposureDays float64 `json:"min_exposure_days"`
	// Smoothing is added to every remix count before rates and ratios are taken, so that
	// zero counts give finite ratios. Must not be negative.
	Smoothing float64 `json:"smoothing"`

	// FollowerControl is the author/follower-bias control: "none", "normalize" or "bands".
	FollowerControl string `json:"follower_control"`
	// FollowerExponent is b in rate/(1+followers)^b for "normalize"; 0 fits it from the log
	// (within-prompt least squares of log rate on log(1+followers), clamped to [0, 2]).
	FollowerExponent float64 `json:"follower_exponent"`
	// FollowerBandWidth is the width of a follower band in decades of (1+followers), for
	// "bands" (0 means 0.5: bands [1, 3.16), [3.16, 10), ...).
	FollowerBandWidth float64 `json:"follower_band_width"`

	// MinRatio is the least rate ratio positive/negative a pair needs (>= 1; pairs of
	// equal rates are ties and always dropped).
	MinRatio float64 `json:"min_ratio"`
	// MinPosRemixes and MinNegRemixes are the least raw remix counts of the positive and
	// the negative image (negative: none).
	MinPosRemixes int `json:"min_pos_remixes"`
	MinNegRemixes int `json:"min_neg_remixes"`

	// CreatorSignal uses remixes by top creators: "off", "veto" or "promote".
	CreatorSignal string `json:"creator_signal"`
	// CreatorMinRemixes is how many top-creator remixes mark an image (0 means 1).
	CreatorMinRemixes int `json:"creator_min_remixes"`

	// DedupHamming is the largest DHash Hamming distance at which two images of a prompt
	// are near-duplicates; the later-posted one is dropped (negative: no de-duplication;
	// the images are then only checked to exist).
	DedupHamming int `json:"dedup_hamming"`
	// MaxPairsPerPrompt caps the pairs kept per prompt (negative: no cap).
	MaxPairsPerPrompt int `json:"max_pairs_per_prompt"`
	// CapOrder says which pairs the cap keeps: "random" (seeded) or "strongest".
	CapOrder string `json:"cap_order"`

	// TrainFrac, ValidationFrac and TestFrac split the prompts (all zero: 0.8, 0.1, 0.1).
	// Otherwise they must be >= 0 and sum to 1.
	TrainFrac      float64 `json:"train_frac"`
	ValidationFrac float64 `json:"validation_frac"`
	TestFrac       float64 `json:"test_frac"`

	// Seed drives the split and the random cap (math/rand/v2 PCG).
	Seed uint64 `json:"seed"`

	// ImageRoot is the directory image_path values are relative to. Curate: "" means the
	// current directory. Run: "" means the log file's directory.
	ImageRoot string `json:"image_root,omitempty"`
	// Images says how Run makes the output's image paths work: "link" (default), "copy" or
	// "none" (see the package documentation).
	Images string `json:"images"`
	// Lenient makes Run skip malformed log rows (counted in the funnel) instead of failing.
	Lenient bool `json:"lenient"`
	// ImageHash, when set, replaces reading and hashing the image files for
	// de-duplication: it gets the joined path (ImageRoot + image_path) and returns the
	// image's 64-bit perceptual hash, or an error for an unusable image (a counted drop).
	// Meant for precomputed hashes (and other hash functions); not recorded in metadata.
	ImageHash func(path string) (uint64, error) `json:"-"`
}

// Presets returns the preset names in a fixed order.
func Presets() []string { return []string{PresetDebiased, PresetRaw} }

// PresetOptions returns the fully resolved options of a preset.
func PresetOptions(name string) (Options, error) {
	base := Options{Preset: name}
	if name == "" {
		base.Preset = PresetDebiased
	}
	return base.Resolve()
}

func presetValues(name string) (Options, bool) {
	common := Options{
		Smoothing: 0.5, FollowerBandWidth: 0.5, CreatorMinRemixes: 1,
		DedupHamming: 6, MaxPairsPerPrompt: 10, CapOrder: CapRandom,
		TrainFrac: 0.8, ValidationFrac: 0.1, TestFrac: 0.1, Images: ImagesLink,
	}
	switch name {
	case PresetDebiased:
		o := common
		o.Exposure = ExposureAuto
		o.MinExposureDays = 1
		o.FollowerControl = FollowersNormalize
		o.MinRatio = 2
		o.MinPosRemixes = 3
		o.MinNegRemixes = -1
		o.CreatorSignal = CreatorVeto
		return o, true
	case PresetRaw:
		o := common
		o.Exposure = ExposureNone
		o.MinExposureDays = -1
		o.FollowerControl = FollowersNone
		o.MinRatio = 1
		o.MinPosRemixes = 1
		o.MinNegRemixes = -1
		o.CreatorSignal = CreatorOff
		return o, true
	}
	return Options{}, false
}

// Resolve fills every zero field from the preset and checks the values. Resolving
// resolved options changes nothing.
func (o Options) Resolve() (Options, error) {
	if o.Preset == "" {
		o.Preset = PresetDebiased
	}
	p, ok := presetValues(o.Preset)
	if !ok {
		return Options{}, fmt.Errorf("curate: unknown preset %q%s (presets: %s)", o.Preset, didYouMean(o.Preset, Presets()), strings.Join(Presets(), ", "))
	}
	str := func(v *string, def, name string, allowed ...string) error {
		if *v == "" {
			*v = def
		}
		for _, a := range allowed {
			if *v == a {
				return nil
			}
		}
		return fmt.Errorf("curate: option %s: unknown value %q%s (want one of %s)", name, *v, didYouMean(*v, allowed), strings.Join(allowed, ", "))
	}
	for _, err := range []error{
		str(&o.Exposure, p.Exposure, "exposure", ExposureAuto, ExposurePerDay, ExposurePerView, ExposureNone),
		str(&o.FollowerControl, p.FollowerControl, "follower_control", FollowersNone, FollowersNormalize, FollowersBands),
		str(&o.CreatorSignal, p.CreatorSignal, "creator_signal", CreatorOff, CreatorVeto, CreatorPromote),
		str(&o.CapOrder, p.CapOrder, "cap_order", CapRandom, CapStrongest),
		str(&o.Images, p.Images, "images", ImagesLink, ImagesCopy, ImagesNone),
	} {
		if err != nil {
			return Options{}, err
		}
	}
	num := func(v *float64, def float64) {
		if *v == 0 {
			*v = def
		}
	}
	optional := func(v *float64, def float64) {
		if *v == 0 {
			*v = def
		}
		if *v < 0 {
			*v = -1
		}
	}
	optionalInt := func(v *int, def int) {
		if *v == 0 {
			*v = def
		}
		if *v < 0 {
			*v = -1
		}
	}
	for _, f := range []struct {
		name string
		v    float64
	}{{"min_exposure_days", o.MinExposureDays}, {"smoothing", o.Smoothing}, {"follower_exponent", o.FollowerExponent},
		{"follower_band_width", o.FollowerBandWidth}, {"min_ratio", o.MinRatio}, {"train_frac", o.TrainFrac},
		{"validation_frac", o.ValidationFrac}, {"test_frac", o.TestFrac}} {
		if math.IsNaN(f.v) || math.IsInf(f.v, 0) {
			return Options{}, fmt.Errorf("curate: option %s: %v is not a finite number", f.name, f.v)
		}
	}
	optional(&o.MinExposureDays, p.MinExposureDays)
	num(&o.Smoothing, p.Smoothing)
	if o.Smoothing < 0 {
		return Options{}, fmt.Errorf("curate: option smoothing: %v is negative (want >= 0; 0 means %v)", o.Smoothing, p.Smoothing)
	}
	if o.FollowerExponent < 0 || o.FollowerExponent > 4 {
		return Options{}, fmt.Errorf("curate: option follower_exponent: %v is out of range (want 0 to fit, or a value in (0, 4])", o.FollowerExponent)
	}
	num(&o.FollowerBandWidth, p.FollowerBandWidth)
	if o.FollowerBandWidth <= 0 {
		return Options{}, fmt.Errorf("curate: option follower_band_width: %v is not positive (want a width in decades, e.g. 0.5)", o.FollowerBandWidth)
	}
	num(&o.MinRatio, p.MinRatio)
	if o.MinRatio < 1 {
		return Options{}, fmt.Errorf("curate: option min_ratio: %v is below 1 (want a ratio >= 1)", o.MinRatio)
	}
	optionalInt(&o.MinPosRemixes, p.MinPosRemixes)
	optionalInt(&o.MinNegRemixes, p.MinNegRemixes)
	if o.CreatorMinRemixes == 0 {
		o.CreatorMinRemixes = p.CreatorMinRemixes
	}
	if o.CreatorMinRemixes < 0 {
		return Options{}, fmt.Errorf("curate: option creator_min_remixes: %d is negative (want >= 1; 0 means 1)", o.CreatorMinRemixes)
	}
	optionalInt(&o.DedupHamming, p.DedupHamming)
	if o.DedupHamming > 64 {
		return Options{}, fmt.Errorf("curate: option dedup_hamming: %d is above 64 (a DHash has 64 bits)", o.DedupHamming)
	}
	optionalInt(&o.MaxPairsPerPrompt, p.MaxPairsPerPrompt)
	if o.TrainFrac == 0 && o.ValidationFrac == 0 && o.TestFrac == 0 {
		o.TrainFrac, o.ValidationFrac, o.TestFrac = p.TrainFrac, p.ValidationFrac, p.TestFrac
	}
	if o.TrainFrac < 0 || o.ValidationFrac < 0 || o.TestFrac < 0 || math.Abs(o.TrainFrac+o.ValidationFrac+o.TestFrac-1) > 1e-6 {
		return Options{}, fmt.Errorf("curate: options train_frac, validation_frac, test_frac: %v, %v, %v (want fractions >= 0 summing to 1)", o.TrainFrac, o.ValidationFrac, o.TestFrac)
	}
	return o, nil
}

// didYouMean suggests the closest allowed value.
func didYouMean(s string, allowed []string) string {
	if best := suggest.Closest(s, allowed); best != "" {
		return fmt.Sprintf(" (did you mean %q?)", best)
	}
	return ""
}
