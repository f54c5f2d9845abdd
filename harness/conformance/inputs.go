package conformance

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"math/rand/v2"
	"os"
	"path/filepath"

	"github.com/srbench/srbench/harness/scorer"
)

// inputSeed seeds every image and prompt the kit makes, so that a plugin
// sees the same inputs on every run.
const inputSeed = 20260401

// corpus is the kit's inputs: items with distinct images and prompts, in
// disjoint sets so that each comparison sees an item for the first time
// on both of its sides (a plugin may remember what it computed for an
// image or prompt: srbench's CLIP plugins remember embeddings by content,
// which would make a second look at an item agree with the first whatever
// batch it came in).
type corpus struct {
	batch   []scorer.Item   // batch-size-invariance: 32 items
	order   []scorer.Item   // one-result-per-item-in-order and determinism
	good    []scorer.Item   // per-item-errors: the good items
	bad     []scorer.Item   // per-item-errors: undecodable bytes, a missing path
	path    []scorer.Item   // path-and-bytes: by path ...
	bytes   []scorer.Item   // ... and the same images as bytes
	batches [][]scorer.Item // concurrent-calls: four batches of different sizes
}

// Sizes of the corpus's sets.
const (
	batchItems = 32
	orderItems = 8
	goodItems  = 4
)

// concurrentSizes are the sizes of the four concurrent-calls batches.
var concurrentSizes = [4]int{3, 4, 5, 6}

// newCorpus writes the kit's images into dir and returns its items.
func newCorpus(dir string) (*corpus, error) {
	dir, err := filepath.Abs(dir) // an Item's ImagePath is absolute
	if err != nil {
		return nil, err
	}
	g := &generator{rng: rand.New(rand.NewPCG(inputSeed, 1)), dir: dir}
	c := &corpus{}
	if c.batch, err = g.items("a", batchItems, true); err != nil {
		return nil, err
	}
	if c.order, err = g.items("b", orderItems, true); err != nil {
		return nil, err
	}
	if c.good, err = g.items("d", goodItems, true); err != nil {
		return nil, err
	}
	if c.path, err = g.items("e", 2, false); err != nil {
		return nil, err
	}
	for _, it := range c.path {
		b, err := os.ReadFile(it.ImagePath)
		if err != nil {
			return nil, err
		}
		c.bytes = append(c.bytes, scorer.Item{ID: it.ID, Prompt: it.Prompt, ImageBytes: b})
	}
	for i, n := range concurrentSizes {
		its, err := g.items(fmt.Sprintf("f%d.", i), n, true)
		if err != nil {
			return nil, err
		}
		c.batches = append(c.batches, its)
	}
	c.bad = []scorer.Item{
		{ID: "undecodable", Prompt: g.prompt(), ImageBytes: []byte("this is not an image file\x00\x01\x02")},
		{ID: "missing", Prompt: g.prompt(), ImagePath: filepath.Join(dir, "no-such-image.png")},
	}
	return c, nil
}

// generator makes deterministic images and prompts from one seeded source.
type generator struct {
	rng     *rand.Rand
	dir     string
	n       int
	prompts map[string]bool
}

// items makes n items with ids prefix0, prefix1, ...: each a new image
// (PNG or JPEG, 64x48 to 320x240) and a new prompt. The images are
// paths, or with mixed the odd items carry theirs as bytes.
func (g *generator) items(prefix string, n int, mixed bool) ([]scorer.Item, error) {
	out := make([]scorer.Item, n)
	for i := range out {
		id := fmt.Sprintf("%s%d", prefix, i)
		path, err := g.image(id)
		if err != nil {
			return nil, err
		}
		out[i] = scorer.Item{ID: id, Prompt: g.prompt(), ImagePath: path}
		if mixed && i%2 == 1 {
			b, err := os.ReadFile(path)
			if err != nil {
				return nil, err
			}
			out[i].ImagePath, out[i].ImageBytes = "", b
		}
	}
	return out, nil
}

var (
	adjectives = []string{"red", "tiny", "ancient", "glowing", "wooden", "striped", "misty", "golden", "quiet", "shattered", "velvet", "neon", "frozen", "sunlit"}
	subjects   = []string{"cat", "lighthouse", "teapot", "robot", "forest", "city street", "sailboat", "mountain", "violin", "dragon", "bicycle", "garden", "astronaut", "owl"}
	settings   = []string{"at dawn", "in the rain", "on the moon", "under a bridge", "in a museum", "by the sea", "in winter", "at night", "in a desert", "on a rooftop"}
	styles     = []string{"", ", watercolor", ", oil painting", ", photograph", ", pixel art", ", pencil sketch", ", 3d render"}
)

// prompt returns a prompt the generator has not returned before.
func (g *generator) prompt() string {
	if g.prompts == nil {
		g.prompts = map[string]bool{}
	}
	for {
		p := fmt.Sprintf("a %s %s %s%s", adjectives[g.rng.IntN(len(adjectives))], subjects[g.rng.IntN(len(subjects))],
			settings[g.rng.IntN(len(settings))], styles[g.rng.IntN(len(styles))])
		if !g.prompts[p] {
			g.prompts[p] = true
			return p
		}
	}
}

// image writes a new image named id into the directory: a gradient between
// two random colours with a random rectangle and noise of random
// strength, as PNG or JPEG, and returns its absolute path.
func (g *generator) image(id string) (string, error) {
	g.n++
	r := g.rng
	w, h := 64+r.IntN(257), 48+r.IntN(193) // 64x48 .. 320x240
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	c0 := [3]float64{r.Float64() * 255, r.Float64() * 255, r.Float64() * 255}
	c1 := [3]float64{r.Float64() * 255, r.Float64() * 255, r.Float64() * 255}
	rc := color.NRGBA{uint8(r.IntN(256)), uint8(r.IntN(256)), uint8(r.IntN(256)), 255}
	x0, y0 := r.IntN(w), r.IntN(h)
	x1, y1 := x0+r.IntN(w-x0)+1, y0+r.IntN(h-y0)+1
	noise := r.Float64() * 60
	diagonal := r.IntN(2) == 0
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			t := float64(x) / float64(w-1)
			if diagonal {
				t = (float64(x)/float64(w-1) + float64(y)/float64(h-1)) / 2
			}
			var px color.NRGBA
			if x >= x0 && x < x1 && y >= y0 && y < y1 {
				px = rc
			} else {
				var v [3]uint8
				for k := range v {
					f := c0[k] + (c1[k]-c0[k])*t + (r.Float64()*2-1)*noise
					v[k] = uint8(min(255, max(0, f)))
				}
				px = color.NRGBA{v[0], v[1], v[2], 255}
			}
			img.SetNRGBA(x, y, px)
		}
	}
	var buf bytes.Buffer
	name := id + ".png"
	if g.n%2 == 0 {
		name = id + ".jpg"
		if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: 80 + r.IntN(16)}); err != nil {
			return "", err
		}
	} else if err := png.Encode(&buf, img); err != nil {
		return "", err
	}
	path := filepath.Join(g.dir, name)
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		return "", err
	}
	return path, nil
}
