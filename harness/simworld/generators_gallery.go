package simworld

import (
	"encoding/json"
	"fmt"
	"image/png"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"sync"

	"gonum.org/v1/gonum/stat"
)

// Files written by WriteGallery, relative to its output directory (images go under
// ImagesDir/<generator>/<prompt id>/<sample>.png).
const (
	GalleryFile     = "gallery.jsonl"
	GeneratorsFile  = "generators.json"
	galleryFormat   = "srbench-simworld-gallery/1"
	galleryStreamID = 0x6a11e7
)

// GalleryOptions size a gallery. The zero value is the documented default: seed 0, 100
// prompts, 4 samples, DemoGenerators(), 64-pixel images.
type GalleryOptions struct {
	Seed uint64 `json:"seed"`
	// Prompts is the number of prompts (0 means 100; at most 1440, the distinct
	// templates). They are the prompts Simulate draws for the same Seed and Prompts.
	Prompts int `json:"prompts"`
	// Samples is the number of images per prompt and generator (0 means 4; at most 1000).
	Samples int `json:"samples"`
	// Generators are the generators (nil means DemoGenerators()).
	Generators []GeneratorProfile `json:"generators"`
	// Size is the side of the square images in pixels (0 means 64, the world's default;
	// 16 to 512).
	Size int `json:"size"`
	// Workers renders images in parallel (0 means GOMAXPROCS). Output does not depend on it.
	Workers int `json:"-"`
}

func (o GalleryOptions) resolve() (GalleryOptions, error) {
	if o.Prompts == 0 {
		o.Prompts = 100
	}
	if o.Samples == 0 {
		o.Samples = 4
	}
	if o.Size == 0 {
		o.Size = 64
	}
	if o.Generators == nil {
		o.Generators = DemoGenerators()
	}
	if o.Workers <= 0 {
		o.Workers = runtime.GOMAXPROCS(0)
	}
	nCombos := len(subjectNames) * len(colourNames) * len(backgroundPhrases) * len(styleNames)
	switch {
	case o.Prompts < 1 || o.Prompts > nCombos:
		return o, fmt.Errorf("simworld: gallery Prompts %d out of range [1, %d]", o.Prompts, nCombos)
	case o.Samples < 1 || o.Samples > 1000:
		return o, fmt.Errorf("simworld: gallery Samples %d out of range [1, 1000]", o.Samples)
	case o.Size < 16 || o.Size > 512:
		return o, fmt.Errorf("simworld: gallery Size %d out of range [16, 512]", o.Size)
	case len(o.Generators) == 0:
		return o, fmt.Errorf("simworld: gallery has no generators")
	}
	seen := map[string]bool{}
	for _, g := range o.Generators {
		if err := g.Validate(); err != nil {
			return o, err
		}
		if seen[g.Name] {
			return o, fmt.Errorf("simworld: generator %q appears twice", g.Name)
		}
		seen[g.Name] = true
	}
	return o, nil
}

// GalleryRecord is one line of gallery.jsonl: one image.
type GalleryRecord struct {
	Prompt    string `json:"prompt"`
	PromptID  string `json:"prompt_id"`
	Generator string `json:"generator"`
	// Image is the PNG's path relative to the gallery directory.
	Image string `json:"image"`
	// Seed seeds the image's parameters and pixels (below 2^53). It depends on
	// GalleryOptions.Seed, the prompt and the sample, not on the generator.
	Seed uint64 `json:"seed"`
	// Truth is the image's community appeal: the world's Truth.VisualAppeal (its
	// pixel-visible appeal; gallery images have no latent part and no noise).
	Truth float64 `json:"truth"`
	// Meta is what else the world knows of the image (the manifest's free-form
	// "meta" object, which the gallery loader accepts and ignores).
	Meta GalleryMeta `json:"meta"`
}

// GalleryMeta is a gallery image's known rendering facts: its sample index in its
// (prompt, generator) cell, whether it has the prompt's colour and shape (Aligned),
// and its Alignment and Quality as in Truth.
type GalleryMeta struct {
	Sample    int     `json:"sample"`
	Aligned   bool    `json:"aligned"`
	Alignment float64 `json:"alignment"`
	Quality   float64 `json:"quality"`
}

// GalleryFeatures are means of Measure over a generator's images; ColourMatch is the
// share of images whose measured Colour is the prompt's.
type GalleryFeatures struct {
	Saturation  float64 `json:"saturation"`
	Contrast    float64 `json:"contrast"`
	Offset      float64 `json:"offset"`
	Artefact    float64 `json:"artefact"`
	ColourMatch float64 `json:"colour_match"`
}

// GeneratorSummary is one generator's known answers in a gallery.
type GeneratorSummary struct {
	Profile GeneratorProfile `json:"profile"`
	Images  int              `json:"images"`
	// MeanAppeal and SDAppeal are the mean and standard deviation of the images' Truth.
	MeanAppeal float64 `json:"mean_appeal"`
	SDAppeal   float64 `json:"sd_appeal"`
	// AlignmentRate is the share of aligned images (right colour and shape);
	// MeanAlignment and MeanQuality are means of the records' Alignment and Quality.
	AlignmentRate float64 `json:"alignment_rate"`
	MeanAlignment float64 `json:"mean_alignment"`
	MeanQuality   float64 `json:"mean_quality"`
	// ExpectedAppeal and ExpectedAlignment are the profile's closed-form expectations.
	ExpectedAppeal    float64 `json:"expected_appeal"`
	ExpectedAlignment float64 `json:"expected_alignment"`
	// AppealRank and AlignmentRank are 1 for the best generator by MeanAppeal and by
	// AlignmentRate.
	AppealRank    int             `json:"appeal_rank"`
	AlignmentRank int             `json:"alignment_rank"`
	Measured      GalleryFeatures `json:"measured"`
}

// GallerySummary is generators.json: the gallery's known answers.
type GallerySummary struct {
	Format  string         `json:"format"`
	Options GalleryOptions `json:"options"`
	Images  int            `json:"images"`
	// Generators are in the order of GalleryOptions.Generators.
	Generators []GeneratorSummary `json:"generators"`
	// AppealRanking and AlignmentRanking name the generators best first.
	AppealRanking    []string `json:"appeal_ranking"`
	AlignmentRanking []string `json:"alignment_ranking"`
	// PooledAppealSD is the within-generator standard deviation of Truth (pooled): the
	// unit in which gaps between MeanAppeal values are usefully read.
	PooledAppealSD float64  `json:"pooled_appeal_sd"`
	Prompts        []Prompt `json:"prompts"`
}

// galleryPrompts draws the prompts exactly as Simulate does for the same seed.
func galleryPrompts(seed uint64, n int) []Prompt {
	return drawPrompts(rand.New(rand.NewPCG(seed, 0x5eed)), n)
}

// imageSeed is the seed of sample s of prompt i (splitmix64 finaliser; 53 bits so that
// it survives JSON readers that parse numbers as doubles).
func imageSeed(seed uint64, prompt, sample int) uint64 {
	z := seed ^ uint64(prompt)*0x9e3779b97f4a7c15 ^ uint64(sample)*0xbf58476d1ce4e5b9 ^ galleryStreamID
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	z ^= z >> 31
	return z >> 11
}

// WriteGallery renders a gallery into outDir (created if needed): for each of
// opts.Prompts prompts and each generator, opts.Samples images at
// images/<generator>/<prompt id>/<sample>.png; gallery.jsonl, one GalleryRecord per
// image (generator by generator, then prompt by prompt, then sample by sample); and
// generators.json, the GallerySummary it returns. Images are rendered like the world's
// (same renderer, same size by default), each from its own seeded stream, so the files
// depend on opts.Seed and not on opts.Workers.
func WriteGallery(outDir string, opts GalleryOptions) (GallerySummary, error) {
	o, err := opts.resolve()
	if err != nil {
		return GallerySummary{}, err
	}
	prompts := galleryPrompts(o.Seed, o.Prompts)
	nG, nP, nS := len(o.Generators), len(prompts), o.Samples
	recs := make([]GalleryRecord, nG*nP*nS)
	renders := make([]Render, len(recs))
	for gi, g := range o.Generators {
		for pi, p := range prompts {
			dir := filepath.Join(outDir, ImagesDir, g.Name, p.ID)
			if err := os.MkdirAll(dir, 0o755); err != nil {
				return GallerySummary{}, fmt.Errorf("simworld: %w", err)
			}
			for s := 0; s < nS; s++ {
				k := (gi*nP+pi)*nS + s
				seed := imageSeed(o.Seed, pi, s)
				r := g.generate(rand.New(rand.NewPCG(seed, galleryStreamID)), p)
				t := truthOf(r, p, 0)
				renders[k] = r
				recs[k] = GalleryRecord{
					Prompt: p.Text, PromptID: p.ID, Generator: g.Name,
					Image: fmt.Sprintf("%s/%s/%s/%d.png", ImagesDir, g.Name, p.ID, s),
					Seed:  seed, Truth: t.VisualAppeal,
					Meta: GalleryMeta{Sample: s, Aligned: t.ColourCorrect && t.SubjectCorrect, Alignment: t.Alignment, Quality: t.Quality},
				}
			}
		}
	}

	// Render, measure and write in parallel.
	measured := make([]Features, len(recs))
	errs := make([]error, len(recs))
	next := make(chan int)
	var wg sync.WaitGroup
	for w := 0; w < o.Workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sc := &scratch{}
			pb := &pngBuffers{}
			enc := png.Encoder{CompressionLevel: png.BestSpeed, BufferPool: pb}
			for k := range next {
				img := draw(renders[k], o.Size, sc)
				measured[k] = measure(img, sc)
				pb.out.Reset()
				if err := enc.Encode(&pb.out, img); err != nil {
					errs[k] = fmt.Errorf("simworld: encode %q: %w", recs[k].Image, err)
					continue
				}
				if err := os.WriteFile(filepath.Join(outDir, filepath.FromSlash(recs[k].Image)), pb.out.Bytes(), 0o644); err != nil {
					errs[k] = fmt.Errorf("simworld: %w", err)
				}
			}
		}()
	}
	for k := range recs {
		next <- k
	}
	close(next)
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return GallerySummary{}, err
		}
	}

	sum := GallerySummary{Format: galleryFormat, Options: o, Images: len(recs), Prompts: prompts}
	var pooled float64
	for gi, g := range o.Generators {
		gs := GeneratorSummary{Profile: g, Images: nP * nS, ExpectedAppeal: g.ExpectedAppeal(), ExpectedAlignment: g.ExpectedAlignment()}
		truth := make([]float64, 0, nP*nS)
		for pi, p := range prompts {
			for s := 0; s < nS; s++ {
				k := (gi*nP+pi)*nS + s
				r, f := recs[k], measured[k]
				truth = append(truth, r.Truth)
				if r.Meta.Aligned {
					gs.AlignmentRate++
				}
				gs.MeanAlignment += r.Meta.Alignment
				gs.MeanQuality += r.Meta.Quality
				gs.Measured.Saturation += f.Saturation
				gs.Measured.Contrast += f.Contrast
				gs.Measured.Offset += f.Offset
				gs.Measured.Artefact += f.Artefact
				if f.Colour == p.Colour {
					gs.Measured.ColourMatch++
				}
			}
		}
		n := float64(gs.Images)
		gs.AlignmentRate /= n
		gs.MeanAlignment /= n
		gs.MeanQuality /= n
		gs.Measured.Saturation /= n
		gs.Measured.Contrast /= n
		gs.Measured.Offset /= n
		gs.Measured.Artefact /= n
		gs.Measured.ColourMatch /= n
		gs.MeanAppeal, gs.SDAppeal = stat.MeanStdDev(truth, nil)
		if math.IsNaN(gs.SDAppeal) {
			gs.SDAppeal = 0
		}
		pooled += gs.SDAppeal * gs.SDAppeal
		sum.Generators = append(sum.Generators, gs)
	}
	sum.PooledAppealSD = math.Sqrt(pooled / float64(nG))
	sum.AppealRanking = rankGenerators(sum.Generators, func(g GeneratorSummary) float64 { return g.MeanAppeal })
	sum.AlignmentRanking = rankGenerators(sum.Generators, func(g GeneratorSummary) float64 { return g.AlignmentRate })
	for i := range sum.Generators {
		for r, name := range sum.AppealRanking {
			if name == sum.Generators[i].Profile.Name {
				sum.Generators[i].AppealRank = r + 1
			}
		}
		for r, name := range sum.AlignmentRanking {
			if name == sum.Generators[i].Profile.Name {
				sum.Generators[i].AlignmentRank = r + 1
			}
		}
	}

	if err := writeJSONL(filepath.Join(outDir, GalleryFile), len(recs), func(i int) any { return recs[i] }); err != nil {
		return GallerySummary{}, err
	}
	b, err := json.MarshalIndent(sum, "", "  ")
	if err != nil {
		return GallerySummary{}, fmt.Errorf("simworld: %w", err)
	}
	if err := os.WriteFile(filepath.Join(outDir, GeneratorsFile), append(b, '\n'), 0o644); err != nil {
		return GallerySummary{}, fmt.Errorf("simworld: %w", err)
	}
	return sum, nil
}

// rankGenerators names the generators by decreasing key (ties by name).
func rankGenerators(gs []GeneratorSummary, key func(GeneratorSummary) float64) []string {
	idx := make([]int, len(gs))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool {
		ka, kb := key(gs[idx[a]]), key(gs[idx[b]])
		if ka != kb {
			return ka > kb
		}
		return gs[idx[a]].Profile.Name < gs[idx[b]].Profile.Name
	})
	names := make([]string, len(idx))
	for i, k := range idx {
		names[i] = gs[k].Profile.Name
	}
	return names
}
