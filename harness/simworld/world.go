package simworld

import (
	"fmt"
	"image"
	"math"
	"math/rand/v2"
	"path/filepath"
	"runtime"
	"sync"
	"time"

	"gonum.org/v1/gonum/stat/distuv"

	"github.com/srbench/srbench/harness/curate"
)

// Options size and tune the simulated community. The zero value is the documented
// default world with seed 0.
type Options struct {
	Seed uint64 `json:"seed"`
	// Prompts is the number of prompts (0 means 300).
	Prompts int `json:"prompts"`
	// ImagesPerPrompt is the mean number of images per prompt (0 means 10); each prompt
	// gets a uniform count in [n-2, n+2], at least 2.
	ImagesPerPrompt int `json:"images_per_prompt"`
	// Authors is the number of authors (0 means 500).
	Authors int `json:"authors"`
	// ImageSize is the side of the square images in pixels (0 means 64; 16 to 512).
	ImageSize int `json:"image_size"`
	// Views writes the views column to the log (the world always simulates views).
	Views bool `json:"views"`
	// RepostRate is the share of images that re-post (a near-duplicate of) an earlier
	// image of the same prompt (0 means 0.03; negative means none).
	RepostRate float64 `json:"repost_rate"`
	// AlignmentPairs is the number of controlled alignment pairs (0 means one per prompt;
	// negative means none).
	AlignmentPairs int `json:"alignment_pairs"`
	// ExposureWindowDays is how far back images were posted (0 means 60).
	ExposureWindowDays float64 `json:"exposure_window_days"`
	// FollowerReach is the exponent r of (1+followers)^r in the expected remix count
	// (0 means 0.5; negative means 0: no follower bias).
	FollowerReach float64 `json:"follower_reach"`
	// AppealEffect is the log-remix change per unit of appeal (0 means 0.9).
	AppealEffect float64 `json:"appeal_effect"`
	// Workers renders images in parallel (0 means GOMAXPROCS). Output does not depend on it.
	Workers int `json:"-"`
}

func (o Options) resolve() (Options, error) {
	def := func(v *int, d int) {
		if *v == 0 {
			*v = d
		}
	}
	def(&o.Prompts, 300)
	def(&o.ImagesPerPrompt, 10)
	def(&o.Authors, 500)
	def(&o.ImageSize, 64)
	if o.Workers <= 0 {
		o.Workers = runtime.GOMAXPROCS(0)
	}
	if o.AlignmentPairs == 0 {
		o.AlignmentPairs = o.Prompts
	}
	if o.AlignmentPairs < 0 {
		o.AlignmentPairs = -1
	}
	fdef := func(v *float64, d float64) {
		if *v == 0 {
			*v = d
		}
	}
	fdef(&o.RepostRate, 0.03)
	fdef(&o.ExposureWindowDays, 60)
	fdef(&o.FollowerReach, 0.5)
	fdef(&o.AppealEffect, 0.9)
	if o.RepostRate < 0 {
		o.RepostRate = -1
	}
	if o.FollowerReach < 0 {
		o.FollowerReach = -1
	}
	switch {
	case o.Prompts < 1 || o.Prompts > 100000:
		return o, fmt.Errorf("simworld: Prompts %d out of range [1, 100000]", o.Prompts)
	case o.ImagesPerPrompt < 2 || o.ImagesPerPrompt > 1000:
		return o, fmt.Errorf("simworld: ImagesPerPrompt %d out of range [2, 1000]", o.ImagesPerPrompt)
	case o.Authors < 1:
		return o, fmt.Errorf("simworld: Authors %d must be positive", o.Authors)
	case o.ImageSize < 16 || o.ImageSize > 512:
		return o, fmt.Errorf("simworld: ImageSize %d out of range [16, 512]", o.ImageSize)
	case o.RepostRate > 0.5:
		return o, fmt.Errorf("simworld: RepostRate %v above 0.5", o.RepostRate)
	case o.ExposureWindowDays < 1 || math.IsNaN(o.ExposureWindowDays) || o.ExposureWindowDays > 3650:
		return o, fmt.Errorf("simworld: ExposureWindowDays %v out of range [1, 3650]", o.ExposureWindowDays)
	case o.FollowerReach > 2 || math.IsNaN(o.FollowerReach):
		return o, fmt.Errorf("simworld: FollowerReach %v above 2", o.FollowerReach)
	case o.AppealEffect < 0 || o.AppealEffect > 3 || math.IsNaN(o.AppealEffect):
		return o, fmt.Errorf("simworld: AppealEffect %v out of range [0, 3]", o.AppealEffect)
	}
	return o, nil
}

// Model constants (documented in the package doc and docs/social-data.md).
const (
	exposureTau      = 30.0 // days: attention decays, cumulative exposure E(t) = τ(1 − e^(−t/τ))
	viewsPerDay      = 40.0 // views per unit of E(t) for a median author and prompt
	remixPerView     = 0.012
	viewReachShare   = 0.9  // share of the follower reach exponent acting through views
	viewAppeal       = 0.25 // log-views per unit of appeal (the feed favours appealing images a little)
	remixNoiseSigma  = 0.3  // per-image log-normal noise on the remix probability
	viewNoiseSigma   = 0.25 // per-image log-normal noise on the views
	negBinShape      = 4.0  // gamma shape of the Poisson-gamma (negative binomial) remix count
	creatorBase      = 0.6
	creatorAppeal    = 1.6 // top creators react to appeal much more strongly
	medianFollowers  = 120.0
	followerSigma    = 1.7 // log-normal sigma of the follower count
	skillInFollowers = 0.45
	popularitySigma  = 0.7
	wrongColourProb  = 0.12
	wrongSubjectProb = 0.08
)

// Appeal weights: appeal = (Σ w·z(feature) + wLatent·latent) / appealNorm, z the
// feature standardised by its known distribution.
const (
	wSaturation = 1.0
	wContrast   = 0.7
	wCentring   = 0.8
	wArtefact   = 0.8
	wAlignment  = 0.5
	wLatent     = 0.6
)

// Prompt is one templated prompt.
type Prompt struct {
	ID         string  `json:"id"`
	Text       string  `json:"text"`
	Subject    int     `json:"subject"`
	Colour     int     `json:"colour"`
	Background int     `json:"background"`
	Style      int     `json:"style"`
	Popularity float64 `json:"popularity"` // multiplies views and remixes of its images
}

// Author is one community member who posts images.
type Author struct {
	ID        string  `json:"id"`
	Followers int64   `json:"followers"`
	Skill     float64 `json:"skill"` // raises the latent appeal of the author's images and, weakly, the follower count
}

// Truth is what the simulator knows about an image and curation never sees.
type Truth struct {
	// Alignment is 1 − 0.5·(wrong colour) − 0.5·(wrong subject).
	Alignment      float64 `json:"alignment"`
	ColourCorrect  bool    `json:"colour_correct"`
	SubjectCorrect bool    `json:"subject_correct"`
	// Quality is 1 − Render.Artefact.
	Quality float64 `json:"quality"`
	// Appeal is the community's taste ("remixability"), about N(0, 1): VisualAppeal plus a
	// latent part no pixel shows.
	Appeal       float64 `json:"appeal"`
	VisualAppeal float64 `json:"visual_appeal"`
	Latent       float64 `json:"latent"`
}

// Image is one posted image with everything the simulator knows about it.
type Image struct {
	ID             string    `json:"image_id"`
	Path           string    `json:"image_path"` // relative to the output directory
	Prompt         int       `json:"prompt"`     // index into World.Prompts
	Author         int       `json:"author"`     // index into World.Authors
	CreatedAt      time.Time `json:"created_at"`
	ExposureDays   float64   `json:"exposure_days"`
	RepostOf       string    `json:"repost_of,omitempty"` // the original's id for a re-post
	Render         Render    `json:"rendered"`
	Truth          Truth     `json:"truth"`
	Measured       Features  `json:"measured"`
	Views          int64     `json:"views"`
	Remixes        int64     `json:"remixes"`
	CreatorRemixes int64     `json:"creator_remixes"`
	// DHash is curate.DHash of the rendered pixels (the same as of the written PNG).
	DHash uint64 `json:"dhash"`
}

// AlignmentPair is a controlled pair for one prompt: two renders identical but for the
// subject's colour and/or shape, one matching the prompt.
type AlignmentPair struct {
	ID     string `json:"id"`
	Prompt int    `json:"prompt"`
	Right  Render `json:"right"`
	Wrong  Render `json:"wrong"`
	// PathA and PathB are the files (relative to the output directory); Label is "a" when
	// A is the aligned one.
	PathA    string  `json:"path_a"`
	PathB    string  `json:"path_b"`
	Label    string  `json:"label"`
	Kind     string  `json:"kind"` // "colour", "subject" or "both"
	Strength float64 `json:"strength"`
}

// World is a simulated creative community at the moment its engagement log is written.
type World struct {
	Options        Options
	Snapshot       time.Time // observed_at of every image
	Prompts        []Prompt
	Authors        []Author
	Images         []Image
	AlignmentPairs []AlignmentPair
}

// snapshotTime is the fixed observation time (worlds do not depend on the clock).
func snapshotTime() time.Time { return time.Date(2024, 6, 1, 0, 0, 0, 0, time.UTC) }

// Simulate builds a world: prompts, authors, images (rendered in memory to measure their
// Features), engagement counts and alignment pairs. Deterministic for a seed.
func Simulate(opts Options) (World, error) { return simulate(opts, nil) }

// sink receives each rendered image (its relative path and pixels); it may be called
// concurrently.
type sink func(path string, img *image.NRGBA) error

// drawPrompts draws n distinct template prompts (n at most the number of
// templates) and their popularity from rng, the first draws of a world.
func drawPrompts(rng *rand.Rand, n int) []Prompt {
	nCombos := len(subjectNames) * len(colourNames) * len(backgroundPhrases) * len(styleNames)
	perm := rng.Perm(nCombos)
	ps := make([]Prompt, 0, n)
	for i := range n {
		c := perm[i]
		p := Prompt{ID: fmt.Sprintf("p%04d", i+1)}
		p.Subject, c = c%len(subjectNames), c/len(subjectNames)
		p.Colour, c = c%len(colourNames), c/len(colourNames)
		p.Background, c = c%len(backgroundPhrases), c/len(backgroundPhrases)
		p.Style = c
		p.Text = fmt.Sprintf("a %s %s %s, %s", colourNames[p.Colour], subjectNames[p.Subject], backgroundPhrases[p.Background], styleNames[p.Style])
		p.Popularity = math.Exp(popularitySigma * rng.NormFloat64())
		ps = append(ps, p)
	}
	return ps
}

func simulate(opts Options, out sink) (World, error) {
	o, err := opts.resolve()
	if err != nil {
		return World{}, err
	}
	w := World{Options: o, Snapshot: snapshotTime()}
	rng := rand.New(rand.NewPCG(o.Seed, 0x5eed))

	// Prompts: distinct template combinations.
	nCombos := len(subjectNames) * len(colourNames) * len(backgroundPhrases) * len(styleNames)
	if o.Prompts > nCombos {
		return World{}, fmt.Errorf("simworld: Prompts %d exceeds the %d distinct templates", o.Prompts, nCombos)
	}
	w.Prompts = drawPrompts(rng, o.Prompts)
	// Authors: heavy-tailed followers (log-normal) correlated with skill, heavy-tailed
	// activity (Pareto weights).
	activity := make([]float64, o.Authors)
	var totalAct float64
	for i := 0; i < o.Authors; i++ {
		skill := rng.NormFloat64()
		z := skillInFollowers*skill + math.Sqrt(1-skillInFollowers*skillInFollowers)*rng.NormFloat64()
		f := int64(math.Round(medianFollowers*math.Exp(followerSigma*z))) - 1
		w.Authors = append(w.Authors, Author{ID: fmt.Sprintf("a%04d", i+1), Followers: max(f, 0), Skill: skill})
		activity[i] = math.Pow(1-rng.Float64(), -1/1.5) // Pareto, alpha 1.5
		totalAct += activity[i]
	}
	cum := make([]float64, o.Authors)
	acc := 0.0
	for i, a := range activity {
		acc += a / totalAct
		cum[i] = acc
	}
	pickAuthor := func() int {
		u := rng.Float64()
		lo, hi := 0, len(cum)-1
		for lo < hi {
			mid := (lo + hi) / 2
			if cum[mid] < u {
				lo = mid + 1
			} else {
				hi = mid
			}
		}
		return lo
	}

	// Images.
	for pi := range w.Prompts {
		p := w.Prompts[pi]
		n := max(2, o.ImagesPerPrompt-2+rng.IntN(5))
		first := len(w.Images)
		for k := 0; k < n; k++ {
			im := Image{ID: fmt.Sprintf("i%06d", len(w.Images)+1), Prompt: pi, Author: pickAuthor()}
			im.Path = "images/" + im.ID + ".png"
			t := 0.05 + rng.Float64()*(o.ExposureWindowDays-0.05)
			if k > 0 && o.RepostRate > 0 && rng.Float64() < o.RepostRate {
				orig := w.Images[first+rng.IntN(k)]
				if orig.RepostOf == "" && orig.ExposureDays > 0.1 {
					im.RepostOf = orig.ID
					im.Render = orig.Render
					im.Render.Jitter = (rng.Float64() - 0.5) * 0.01
					im.Truth = orig.Truth
					im.ExposureDays = 0.05 + rng.Float64()*(orig.ExposureDays-0.05)
					w.Images = append(w.Images, im)
					continue
				}
			}
			im.ExposureDays = t
			im.Render = drawParams(rng, p)
			latent := 0.5*w.Authors[im.Author].Skill + math.Sqrt(0.75)*rng.NormFloat64()
			im.Truth = truthOf(im.Render, p, latent)
			w.Images = append(w.Images, im)
		}
	}
	for i := range w.Images {
		im := &w.Images[i]
		secs := math.Round(im.ExposureDays * 86400)
		im.ExposureDays = secs / 86400
		im.CreatedAt = w.Snapshot.Add(-time.Duration(secs) * time.Second)
	}

	// Engagement.
	reach := max(o.FollowerReach, 0)
	for i := range w.Images {
		im := &w.Images[i]
		p := w.Prompts[im.Prompt]
		f := float64(w.Authors[im.Author].Followers)
		rel := (1 + f) / medianFollowers
		e := exposureTau * (1 - math.Exp(-im.ExposureDays/exposureTau))
		a := im.Truth.Appeal
		muViews := viewsPerDay * p.Popularity * e * math.Pow(rel, viewReachShare*reach) * math.Exp(viewAppeal*a+viewNoiseSigma*rng.NormFloat64())
		im.Views = poisson(rng, muViews)
		pr := remixPerView * math.Pow(rel, (1-viewReachShare)*reach) * math.Exp((o.AppealEffect-viewAppeal)*a+remixNoiseSigma*rng.NormFloat64())
		lam := float64(im.Views) * pr
		if lam > 0 {
			lam = distuv.Gamma{Alpha: negBinShape, Beta: negBinShape / lam, Src: rng}.Rand()
		}
		community := poisson(rng, lam)
		muCreator := creatorBase * (e / exposureTau) * math.Pow(p.Popularity, 0.3) * math.Exp(creatorAppeal*a-1.8)
		im.CreatorRemixes = poisson(rng, muCreator)
		im.Remixes = min(community, im.Views) + im.CreatorRemixes
	}

	// Alignment pairs.
	if o.AlignmentPairs > 0 {
		order := rng.Perm(len(w.Prompts))
		for k := 0; k < o.AlignmentPairs; k++ {
			pi := order[k%len(order)]
			p := w.Prompts[pi]
			right := drawParams(rng, p)
			right.Subject, right.Colour = p.Subject, p.Colour
			right.Hue = colourHSV[p.Colour][0] + (rng.Float64()-0.5)*16
			wrong := right
			ap := AlignmentPair{ID: fmt.Sprintf("align%04d", k+1), Prompt: pi}
			switch u := rng.Float64(); {
			case u < 0.5:
				ap.Kind = "colour"
			case u < 0.8:
				ap.Kind = "subject"
			default:
				ap.Kind = "both"
			}
			if ap.Kind != "subject" {
				wrong.Colour = otherIndex(rng, p.Colour, len(colourNames))
				wrong.Hue = colourHSV[wrong.Colour][0] + (right.Hue - colourHSV[p.Colour][0])
				ap.Strength += 0.5
			}
			if ap.Kind != "colour" {
				wrong.Subject = otherIndex(rng, p.Subject, len(subjectNames))
				ap.Strength += 0.5
			}
			ap.Right, ap.Wrong = right, wrong
			a, b := fmt.Sprintf("alignment/%s_0.png", ap.ID), fmt.Sprintf("alignment/%s_1.png", ap.ID)
			ap.PathA, ap.PathB = a, b
			if rng.IntN(2) == 0 {
				ap.Label = "a"
			} else {
				ap.Label = "b"
			}
			w.AlignmentPairs = append(w.AlignmentPairs, ap)
		}
	}

	// Render (in parallel; every image has its own random stream).
	if err := renderAll(&w, out); err != nil {
		return World{}, err
	}
	return w, nil
}

// poisson draws a Poisson count (0 for a non-positive mean).
func poisson(rng *rand.Rand, lambda float64) int64 {
	if !(lambda > 0) {
		return 0
	}
	return int64(distuv.Poisson{Lambda: lambda, Src: rng}.Rand())
}

func otherIndex(rng *rand.Rand, not, n int) int {
	k := rng.IntN(n - 1)
	if k >= not {
		k++
	}
	return k
}

// drawParams draws an image's rendering parameters for prompt p.
func drawParams(rng *rand.Rand, p Prompt) Render {
	r := Render{Subject: p.Subject, Colour: p.Colour, Background: p.Background, Style: p.Style}
	if rng.Float64() < wrongColourProb {
		r.Colour = otherIndex(rng, p.Colour, len(colourNames))
	}
	if rng.Float64() < wrongSubjectProb {
		r.Subject = otherIndex(rng, p.Subject, len(subjectNames))
	}
	r.Hue = colourHSV[r.Colour][0] + (rng.Float64()-0.5)*16
	r.Saturation = 0.2 + 0.8*rng.Float64()
	r.Contrast = 0.35 + 0.65*rng.Float64()
	r.Offset = 0.2 * rng.Float64()
	th := 2 * math.Pi * rng.Float64()
	r.CentreX = 0.5 + r.Offset*math.Cos(th)
	r.CentreY = 0.5 + r.Offset*math.Sin(th)
	r.Scale = 0.15 + 0.1*rng.Float64()
	u := rng.Float64()
	r.Artefact = u * u
	r.Blotches = rng.Float64() < 0.5
	r.Banding = rng.Float64() < 0.35
	r.Blur = rng.Float64() < 0.25
	r.Texture = rng.Uint64()
	return r
}

// truthOf computes an image's ground truth from its rendering and its latent appeal.
func truthOf(r Render, p Prompt, latent float64) Truth {
	t := Truth{ColourCorrect: r.Colour == p.Colour, SubjectCorrect: r.Subject == p.Subject, Quality: 1 - r.Artefact, Latent: latent}
	t.Alignment = 1
	if !t.ColourCorrect {
		t.Alignment -= 0.5
	}
	if !t.SubjectCorrect {
		t.Alignment -= 0.5
	}
	// Standardise each feature by its known distribution.
	zSat := (r.Saturation - 0.6) / (0.8 / math.Sqrt(12))
	zCon := (r.Contrast - 0.675) / (0.65 / math.Sqrt(12))
	zCen := -(r.Offset - 0.1) / (0.2 / math.Sqrt(12))
	zArt := (r.Artefact - 1.0/3) / math.Sqrt(4.0/45)
	meanA := 1 - 0.5*wrongColourProb - 0.5*wrongSubjectProb
	sdA := math.Sqrt(0.25*wrongColourProb*(1-wrongColourProb) + 0.25*wrongSubjectProb*(1-wrongSubjectProb))
	zAl := (t.Alignment - meanA) / sdA
	norm := math.Sqrt(wSaturation*wSaturation + wContrast*wContrast + wCentring*wCentring + wArtefact*wArtefact + wAlignment*wAlignment + wLatent*wLatent)
	t.VisualAppeal = (wSaturation*zSat + wContrast*zCon + wCentring*zCen - wArtefact*zArt + wAlignment*zAl) / norm
	t.Appeal = t.VisualAppeal + wLatent*latent/norm
	return t
}

// renderAll renders every image and alignment image, measures the images' Features and
// passes the pixels to out (when not nil).
func renderAll(w *World, out sink) error {
	type job struct {
		img  int // index into w.Images, or -1
		path string
		r    Render
	}
	var jobs []job
	for i, im := range w.Images {
		jobs = append(jobs, job{img: i, path: im.Path, r: im.Render})
	}
	if out != nil {
		for _, ap := range w.AlignmentPairs {
			ra, rb := ap.Right, ap.Wrong
			if ap.Label == "b" {
				ra, rb = rb, ra
			}
			jobs = append(jobs, job{img: -1, path: ap.PathA, r: ra}, job{img: -1, path: ap.PathB, r: rb})
		}
	}
	errs := make([]error, len(jobs))
	next := make(chan int)
	var wg sync.WaitGroup
	for k := 0; k < w.Options.Workers; k++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sc := &scratch{}
			for j := range next {
				img := draw(jobs[j].r, w.Options.ImageSize, sc)
				if jobs[j].img >= 0 {
					w.Images[jobs[j].img].Measured = measure(img, sc)
					w.Images[jobs[j].img].DHash = curate.DHash(img)
				}
				if out != nil {
					errs[j] = out(jobs[j].path, img)
				}
			}
		}()
	}
	for j := range jobs {
		next <- j
	}
	close(next)
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// LogRows returns the engagement log of the world (views only when Options.Views).
func (w World) LogRows() []curate.LogRow {
	rows := make([]curate.LogRow, len(w.Images))
	for i, im := range w.Images {
		p := w.Prompts[im.Prompt]
		a := w.Authors[im.Author]
		rows[i] = curate.LogRow{
			ImageID: im.ID, ImagePath: im.Path, Prompt: p.Text, PromptID: p.ID,
			AuthorID: a.ID, AuthorFollowers: a.Followers,
			CreatedAt: im.CreatedAt, ObservedAt: w.Snapshot,
			Remixes: im.Remixes, CreatorRemixes: im.CreatorRemixes, HasCreatorRemixes: true,
		}
		if w.Options.Views {
			rows[i].Views, rows[i].HasViews = im.Views, true
		}
	}
	return rows
}

// ImageHasher returns a curate.Options.ImageHash that answers with the images' DHash
// values for paths under root (the directory the world is, or would be, written to),
// so a world can be curated without writing or decoding its PNG files. Unknown paths
// give an error.
func (w World) ImageHasher(root string) func(path string) (uint64, error) {
	m := make(map[string]uint64, len(w.Images))
	for _, im := range w.Images {
		m[filepath.Join(root, filepath.FromSlash(im.Path))] = im.DHash
	}
	return func(path string) (uint64, error) {
		h, ok := m[filepath.Clean(path)]
		if !ok {
			return 0, fmt.Errorf("simworld: no image at %q", path)
		}
		return h, nil
	}
}

// TruthByID returns each image's ground truth keyed by image id.
func (w World) TruthByID() map[string]Truth {
	m := make(map[string]Truth, len(w.Images))
	for _, im := range w.Images {
		m[im.ID] = im.Truth
	}
	return m
}
