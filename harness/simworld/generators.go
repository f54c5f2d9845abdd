package simworld

import (
	"fmt"
	"math"
	"math/rand/v2"
	"regexp"
)

// Range is a closed interval [Min, Max] a rendering parameter is drawn from.
type Range struct {
	Min float64 `json:"min"`
	Max float64 `json:"max"`
}

// lerp maps u in [0, 1) into the range.
func (r Range) lerp(u float64) float64 { return r.Min + (r.Max-r.Min)*u }

func (r Range) mean() float64 { return (r.Min + r.Max) / 2 }

// GeneratorProfile is a synthetic text-to-image generator: the distribution its images'
// rendering parameters (Render) are drawn from, for a prompt. The world's own images
// come from BalancedGenerator(); other profiles shift the distribution, which moves the
// images' prompt alignment (WrongColour, WrongSubject) and their community appeal
// (Saturation, Contrast, Offset, Artefact) in known directions.
//
// Every image draws the same random numbers whatever its profile (one uniform per
// parameter, mapped through the profile), so two generators given the same image seed
// make comparable images: common random numbers, like one sampler seed across models.
type GeneratorProfile struct {
	// Name names the generator in file paths and records: lower-case letters, digits,
	// '-' and '_', at most 64 characters, unique within a gallery.
	Name string `json:"name"`
	// Description says in words what the generator is like.
	Description string `json:"description,omitempty"`
	// WrongColour and WrongSubject are the probabilities, in [0, 1), that an image's
	// subject has another colour or another shape than the prompt asks for (the world:
	// 0.12 and 0.08).
	WrongColour  float64 `json:"wrong_colour"`
	WrongSubject float64 `json:"wrong_subject"`
	// Saturation, Contrast and Offset are uniform ranges of Render.Saturation (within
	// [0.2, 1]), Render.Contrast (within [0.35, 1]) and Render.Offset (within [0, 0.2]):
	// the world draws each over its whole domain.
	Saturation Range `json:"saturation"`
	Contrast   Range `json:"contrast"`
	Offset     Range `json:"offset"`
	// Artefact and ArtefactPower give Render.Artefact = Min + (Max − Min)·U^ArtefactPower,
	// U uniform, within [0, 1] (the world: [0, 1] and power 2, so a = U²). A power of 0
	// means 1.
	Artefact      Range   `json:"artefact"`
	ArtefactPower float64 `json:"artefact_power"`
}

var generatorName = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,63}$`)

// Validate reports whether the profile is well formed.
func (g GeneratorProfile) Validate() error {
	if !generatorName.MatchString(g.Name) {
		return fmt.Errorf("simworld: generator name %q: want lower-case letters, digits, '-' and '_' (at most 64)", g.Name)
	}
	prob := func(what string, p float64) error {
		if !(p >= 0 && p < 1) {
			return fmt.Errorf("simworld: generator %q: %s %v out of range [0, 1)", g.Name, what, p)
		}
		return nil
	}
	rng := func(what string, r Range, lo, hi float64) error {
		if !(r.Min >= lo && r.Max <= hi && r.Min <= r.Max) {
			return fmt.Errorf("simworld: generator %q: %s [%v, %v] not an interval within [%v, %v]", g.Name, what, r.Min, r.Max, lo, hi)
		}
		return nil
	}
	for _, err := range []error{
		prob("wrong colour probability", g.WrongColour),
		prob("wrong subject probability", g.WrongSubject),
		rng("saturation", g.Saturation, 0.2, 1),
		rng("contrast", g.Contrast, 0.35, 1),
		rng("offset", g.Offset, 0, 0.2),
		rng("artefact", g.Artefact, 0, 1),
	} {
		if err != nil {
			return err
		}
	}
	if !(g.ArtefactPower >= 0 && g.ArtefactPower <= 10) {
		return fmt.Errorf("simworld: generator %q: artefact power %v out of range [0, 10]", g.Name, g.ArtefactPower)
	}
	return nil
}

// Names of the DemoGenerators.
const (
	GeneratorAlignedBland    = "aligned-bland"
	GeneratorAppealingDrifty = "appealing-drifty"
	GeneratorBalanced        = "balanced"
	GeneratorArtefacty       = "artefacty"
)

// BalancedGenerator is the world's own image distribution (the one Simulate draws from).
func BalancedGenerator() GeneratorProfile {
	return GeneratorProfile{
		Name:        GeneratorBalanced,
		Description: "the world's default distribution",
		WrongColour: wrongColourProb, WrongSubject: wrongSubjectProb,
		Saturation: Range{0.2, 1}, Contrast: Range{0.35, 1}, Offset: Range{0, 0.2},
		Artefact: Range{0, 1}, ArtefactPower: 2,
	}
}

// DemoGenerators returns the demo's four generators, designed so that the ranking by
// community appeal is the reverse of the ranking by prompt alignment (see the package
// documentation for their numbers).
func DemoGenerators() []GeneratorProfile {
	bland := BalancedGenerator()
	bland.Name = GeneratorAlignedBland
	bland.Description = "almost always the right colour and shape, but washed out, flat and off-centre"
	bland.WrongColour, bland.WrongSubject = 0.01, 0.01
	bland.Saturation = Range{0.2, 0.6}
	bland.Contrast = Range{0.35, 0.75}
	bland.Offset = Range{0.06, 0.2}

	drifty := BalancedGenerator()
	drifty.Name = GeneratorAppealingDrifty
	drifty.Description = "vivid, contrasty, centred and clean, but often the wrong colour or shape"
	drifty.WrongColour, drifty.WrongSubject = 0.4, 0.3
	drifty.Saturation = Range{0.45, 1}
	drifty.Contrast = Range{0.5, 1}
	drifty.Offset = Range{0, 0.1}
	drifty.Artefact = Range{0, 0.7}

	artefacty := BalancedGenerator()
	artefacty.Name = GeneratorArtefacty
	artefacty.Description = "the world's look and slightly better alignment, but many artefacts (grain, blotches, banding, blur)"
	artefacty.WrongColour, artefacty.WrongSubject = 0.03, 0.02
	artefacty.Artefact = Range{0.2, 1}
	artefacty.ArtefactPower = 1

	return []GeneratorProfile{bland, drifty, BalancedGenerator(), artefacty}
}

// ExpectedAppeal is the profile's expected community appeal (Truth.VisualAppeal: the
// pixel-visible part; the generators' images have no latent part) and ExpectedAlignment
// its expected share of images with the right colour and shape, both computed in closed
// form from the profile and the world's taste.
func (g GeneratorProfile) ExpectedAppeal() float64 {
	p := g.ArtefactPower
	if p == 0 {
		p = 1
	}
	meanArt := g.Artefact.Min + (g.Artefact.Max-g.Artefact.Min)/(p+1) // E[U^p] = 1/(p+1)
	meanAl := 1 - 0.5*g.WrongColour - 0.5*g.WrongSubject
	zSat, zCon, zCen, zArt, zAl := standardised(g.Saturation.mean(), g.Contrast.mean(), g.Offset.mean(), meanArt, meanAl)
	return (wSaturation*zSat + wContrast*zCon + wCentring*zCen - wArtefact*zArt + wAlignment*zAl) / appealNorm()
}

// ExpectedAlignment is the probability that an image of the profile has both the
// prompt's colour and its shape.
func (g GeneratorProfile) ExpectedAlignment() float64 {
	return (1 - g.WrongColour) * (1 - g.WrongSubject)
}

// standardised repeats truthOf's standardisation (linear, so it also maps means).
func standardised(sat, con, off, art, al float64) (zSat, zCon, zCen, zArt, zAl float64) {
	zSat = (sat - 0.6) / (0.8 / math.Sqrt(12))
	zCon = (con - 0.675) / (0.65 / math.Sqrt(12))
	zCen = -(off - 0.1) / (0.2 / math.Sqrt(12))
	zArt = (art - 1.0/3) / math.Sqrt(4.0/45)
	meanA := 1 - 0.5*wrongColourProb - 0.5*wrongSubjectProb
	sdA := math.Sqrt(0.25*wrongColourProb*(1-wrongColourProb) + 0.25*wrongSubjectProb*(1-wrongSubjectProb))
	zAl = (al - meanA) / sdA
	return
}

func appealNorm() float64 {
	return math.Sqrt(wSaturation*wSaturation + wContrast*wContrast + wCentring*wCentring + wArtefact*wArtefact + wAlignment*wAlignment + wLatent*wLatent)
}

// generate draws an image's rendering parameters for prompt p from the profile. It
// consumes the same random numbers whatever the profile.
func (g GeneratorProfile) generate(rng *rand.Rand, p Prompt) Render {
	r := Render{Subject: p.Subject, Colour: p.Colour, Background: p.Background, Style: p.Style}
	uc, oc := rng.Float64(), otherIndex(rng, p.Colour, len(colourNames))
	us, osub := rng.Float64(), otherIndex(rng, p.Subject, len(subjectNames))
	if uc < g.WrongColour {
		r.Colour = oc
	}
	if us < g.WrongSubject {
		r.Subject = osub
	}
	r.Hue = colourHSV[r.Colour][0] + (rng.Float64()-0.5)*16
	r.Saturation = g.Saturation.lerp(rng.Float64())
	r.Contrast = g.Contrast.lerp(rng.Float64())
	r.Offset = g.Offset.lerp(rng.Float64())
	th := 2 * math.Pi * rng.Float64()
	r.CentreX = 0.5 + r.Offset*math.Cos(th)
	r.CentreY = 0.5 + r.Offset*math.Sin(th)
	r.Scale = 0.15 + 0.1*rng.Float64()
	pw := g.ArtefactPower
	if pw == 0 {
		pw = 1
	}
	r.Artefact = g.Artefact.lerp(math.Pow(rng.Float64(), pw))
	r.Blotches = rng.Float64() < 0.5
	r.Banding = rng.Float64() < 0.35
	r.Blur = rng.Float64() < 0.25
	r.Texture = rng.Uint64()
	return r
}
