package curate

import (
	"fmt"
	"image"
	"image/png"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"gonum.org/v1/gonum/stat"
)

var t0 = time.Date(2024, 6, 1, 0, 0, 0, 0, time.UTC)

// img is one hand-made log row.
type img struct {
	id, prompt string
	followers  int64
	days       float64
	remixes    int64
	views      int64 // < 0: no views
	creator    int64 // < 0: no creator_remixes
	pixels     int   // images with equal pixels values are identical; < 0: no file
}

func im(id, prompt string, remixes int64) img {
	return img{id: id, prompt: prompt, followers: 100, days: 10, remixes: remixes, views: -1, creator: -1, pixels: len(id)*1000 + int(id[0])*37 + int(id[len(id)-1])}
}

func (i img) with(f func(*img)) img { f(&i); return i }

// makeLog writes the images (16×16 seeded noise PNGs) under dir and returns the rows.
func makeLog(t testing.TB, dir string, imgs []img) []LogRow {
	t.Helper()
	if err := os.MkdirAll(filepath.Join(dir, "img"), 0o755); err != nil {
		t.Fatal(err)
	}
	var rows []LogRow
	for n, i := range imgs {
		r := LogRow{ImageID: i.id, ImagePath: "img/" + i.id + ".png", Prompt: i.prompt, PromptID: i.prompt, AuthorID: "u-" + i.id,
			AuthorFollowers: i.followers, CreatedAt: t0.Add(-time.Duration(i.days * 24 * float64(time.Hour))), ObservedAt: t0,
			Remixes: i.remixes, Source: fmt.Sprintf("hand:line %d", n+1)}
		if i.views >= 0 {
			r.Views, r.HasViews = i.views, true
		}
		if i.creator >= 0 {
			r.CreatorRemixes, r.HasCreatorRemixes = i.creator, true
		}
		if i.pixels >= 0 {
			writeNoisePNG(t, filepath.Join(dir, r.ImagePath), uint64(i.pixels))
		}
		rows = append(rows, r)
	}
	return rows
}

func writeNoisePNG(t testing.TB, path string, seed uint64) {
	t.Helper()
	rng := rand.New(rand.NewPCG(seed, 1))
	m := image.NewNRGBA(image.Rect(0, 0, 16, 16))
	for k := range m.Pix {
		m.Pix[k] = uint8(rng.IntN(256))
		if k%4 == 3 {
			m.Pix[k] = 255
		}
	}
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := png.Encode(f, m); err != nil {
		t.Fatal(err)
	}
	f.Close()
}

// st is a stage as the tests state it: name, images in/removed, pairs in/removed.
func st(name string, imgsIn, imgsRm, pairsIn, pairsRm int) Stage {
	return Stage{Name: name, ImagesIn: imgsIn, ImagesRemoved: imgsRm, PairsIn: pairsIn, PairsRemoved: pairsRm}
}

var stageCmp = cmpopts.IgnoreFields(Stage{}, "Control", "Note", "Examples")

func pairsOf(ts []Triplet) []string {
	var s []string
	for _, t := range ts {
		s = append(s, t.Pos.ImageID+">"+t.Neg.ImageID)
	}
	slices.Sort(s)
	return s
}

// allTrain puts every prompt in train, so the tests see all triplets.
func allTrain(o Options) Options { o.TrainFrac = 1; return o }

func TestCurateControls(t *testing.T) {
	raw := Options{Preset: PresetRaw}
	tests := []struct {
		name       string
		imgs       []img
		opts       Options
		want       []string // "pos>neg", sorted
		stages     []Stage
		strength   map[string]float64 // expected strengths of some triplets
		basis      string
		noteSubstr string
	}{
		{
			name: "pairs only within a prompt; ties dropped",
			imgs: []img{im("a", "P1", 10), im("b", "P1", 2), im("c", "P2", 50), im("d", "P2", 1), im("e", "P2", 50)},
			opts: raw,
			want: []string{"a>b", "c>d", "e>d"},
			stages: []Stage{st("input", 5, 0, 4, 0), st("image_unreadable", 5, 0, 4, 0), st("near_duplicates", 5, 0, 4, 0),
				st("ties", 5, 0, 4, 1), st("min_counts", 5, 0, 3, 0), st("min_ratio", 5, 0, 3, 0), st("per_prompt_cap", 5, 0, 3, 0)},
			// (10 + 0.5) / (2 + 0.5)
			strength: map[string]float64{"a>b": 4.2},
			basis:    "none",
		},
		{
			name: "raw counts favour the older image",
			imgs: []img{im("a", "P", 30).with(func(i *img) { i.days = 30 }), im("b", "P", 10).with(func(i *img) { i.days = 2 })},
			opts: raw,
			want: []string{"a>b"},
			stages: []Stage{st("input", 2, 0, 1, 0), st("image_unreadable", 2, 0, 1, 0), st("near_duplicates", 2, 0, 1, 0),
				st("ties", 2, 0, 1, 0), st("min_counts", 2, 0, 1, 0), st("min_ratio", 2, 0, 1, 0), st("per_prompt_cap", 2, 0, 1, 0)},
			basis: "none",
		},
		{
			name: "exposure per day and minimum exposure",
			imgs: []img{im("a", "P", 30).with(func(i *img) { i.days = 30 }), im("b", "P", 10).with(func(i *img) { i.days = 2 }),
				im("c", "P", 100).with(func(i *img) { i.days = 0.5 })},
			opts: Options{Preset: PresetRaw, Exposure: ExposurePerDay, MinExposureDays: 1},
			want: []string{"b>a"},
			stages: []Stage{st("input", 3, 0, 3, 0), st("image_unreadable", 3, 0, 3, 0), st("min_exposure", 3, 1, 3, 2), st("near_duplicates", 2, 0, 1, 0),
				st("ties", 2, 0, 1, 0), st("min_counts", 2, 0, 1, 0), st("min_ratio", 2, 0, 1, 0), st("per_prompt_cap", 2, 0, 1, 0)},
			// (10.5 / 2) / (30.5 / 30)
			strength: map[string]float64{"b>a": (10.5 / 2) / (30.5 / 30)},
			basis:    "days",
		},
		{
			name: "exposure per view when every image has views",
			imgs: []img{im("a", "P", 10).with(func(i *img) { i.views = 100 }), im("b", "P", 20).with(func(i *img) { i.views = 1000 })},
			opts: Options{Preset: PresetRaw, Exposure: ExposureAuto},
			want: []string{"a>b"},
			stages: []Stage{st("input", 2, 0, 1, 0), st("image_unreadable", 2, 0, 1, 0), st("near_duplicates", 2, 0, 1, 0),
				st("ties", 2, 0, 1, 0), st("min_counts", 2, 0, 1, 0), st("min_ratio", 2, 0, 1, 0), st("per_prompt_cap", 2, 0, 1, 0)},
			strength: map[string]float64{"a>b": (10.5 / 100) / (20.5 / 1000)},
			basis:    "views",
		},
		{
			name: "auto falls back to days when an image has no views",
			imgs: []img{im("a", "P", 10).with(func(i *img) { i.views = 100 }), im("b", "P", 20)},
			opts: Options{Preset: PresetRaw, Exposure: ExposureAuto},
			want: []string{"b>a"},
			stages: []Stage{st("input", 2, 0, 1, 0), st("image_unreadable", 2, 0, 1, 0), st("near_duplicates", 2, 0, 1, 0),
				st("ties", 2, 0, 1, 0), st("min_counts", 2, 0, 1, 0), st("min_ratio", 2, 0, 1, 0), st("per_prompt_cap", 2, 0, 1, 0)},
			basis: "days",
		},
		{
			name: "per_view drops images without views",
			imgs: []img{im("a", "P", 10).with(func(i *img) { i.views = 100 }), im("b", "P", 20), im("c", "P", 1).with(func(i *img) { i.views = 50 })},
			opts: Options{Preset: PresetRaw, Exposure: ExposurePerView},
			want: []string{"a>c"},
			stages: []Stage{st("input", 3, 0, 3, 0), st("image_unreadable", 3, 0, 3, 0), st("no_views", 3, 1, 3, 2), st("near_duplicates", 2, 0, 1, 0),
				st("ties", 2, 0, 1, 0), st("min_counts", 2, 0, 1, 0), st("min_ratio", 2, 0, 1, 0), st("per_prompt_cap", 2, 0, 1, 0)},
			basis: "views",
		},
		{
			name: "follower normalisation with a fixed exponent",
			imgs: []img{im("a", "P", 20).with(func(i *img) { i.followers = 9 }), im("b", "P", 100).with(func(i *img) { i.followers = 999 })},
			opts: Options{Preset: PresetRaw, FollowerControl: FollowersNormalize, FollowerExponent: 1},
			want: []string{"a>b"},
			stages: []Stage{st("input", 2, 0, 1, 0), st("image_unreadable", 2, 0, 1, 0), st("near_duplicates", 2, 0, 1, 0),
				st("ties", 2, 0, 1, 0), st("min_counts", 2, 0, 1, 0), st("min_ratio", 2, 0, 1, 0), st("per_prompt_cap", 2, 0, 1, 0)},
			// (20.5 / 10) / (100.5 / 1000)
			strength: map[string]float64{"a>b": (20.5 / 10) / (100.5 / 1000)},
			basis:    "none",
		},
		{
			name: "follower bands of one decade",
			imgs: []img{im("a", "P", 30).with(func(i *img) { i.followers = 5 }), im("b", "P", 20).with(func(i *img) { i.followers = 50 }),
				im("c", "P", 10).with(func(i *img) { i.followers = 60 })},
			opts: Options{Preset: PresetRaw, FollowerControl: FollowersBands, FollowerBandWidth: 1},
			want: []string{"b>c"},
			stages: []Stage{st("input", 3, 0, 3, 0), st("image_unreadable", 3, 0, 3, 0), st("near_duplicates", 3, 0, 3, 0),
				st("follower_bands", 3, 0, 3, 2), st("ties", 3, 0, 1, 0), st("min_counts", 3, 0, 1, 0), st("min_ratio", 3, 0, 1, 0), st("per_prompt_cap", 3, 0, 1, 0)},
			basis: "none",
		},
		{
			name: "minimum counts, then minimum ratio",
			imgs: []img{im("a", "P", 9), im("b", "P", 4), im("c", "P", 1)},
			opts: Options{Preset: PresetRaw, MinRatio: 2.5, MinPosRemixes: 5},
			// a>b: 9.5/4.5 = 2.11 < 2.5; b>c: positive has 4 < 5 remixes; a>c: 9.5/1.5 = 6.33.
			want: []string{"a>c"},
			stages: []Stage{st("input", 3, 0, 3, 0), st("image_unreadable", 3, 0, 3, 0), st("near_duplicates", 3, 0, 3, 0),
				st("ties", 3, 0, 3, 0), st("min_counts", 3, 0, 3, 1), st("min_ratio", 3, 0, 2, 1), st("per_prompt_cap", 3, 0, 1, 0)},
			strength: map[string]float64{"a>c": 9.5 / 1.5},
			basis:    "none",
		},
		{
			name: "minimum negative count",
			imgs: []img{im("a", "P", 9), im("b", "P", 4), im("c", "P", 0)},
			opts: Options{Preset: PresetRaw, MinNegRemixes: 1},
			want: []string{"a>b"},
			stages: []Stage{st("input", 3, 0, 3, 0), st("image_unreadable", 3, 0, 3, 0), st("near_duplicates", 3, 0, 3, 0),
				st("ties", 3, 0, 3, 0), st("min_counts", 3, 0, 3, 2), st("min_ratio", 3, 0, 1, 0), st("per_prompt_cap", 3, 0, 1, 0)},
			basis: "none",
		},
		{
			name: "creator veto",
			imgs: []img{im("a", "P", 20).with(func(i *img) { i.creator = 0 }), im("b", "P", 5).with(func(i *img) { i.creator = 1 }),
				im("c", "P", 1).with(func(i *img) { i.creator = 0 })},
			opts: Options{Preset: PresetRaw, CreatorSignal: CreatorVeto},
			// a>b is vetoed: b was remixed by a top creator, a was not.
			want: []string{"a>c", "b>c"},
			stages: []Stage{st("input", 3, 0, 3, 0), st("image_unreadable", 3, 0, 3, 0), st("near_duplicates", 3, 0, 3, 0),
				st("creator_signal", 3, 0, 3, 1), st("ties", 3, 0, 2, 0), st("min_counts", 3, 0, 2, 0), st("min_ratio", 3, 0, 2, 0), st("per_prompt_cap", 3, 0, 2, 0)},
			basis: "none",
		},
		{
			name: "creator promote",
			imgs: []img{im("a", "P", 20).with(func(i *img) { i.creator = 0 }), im("b", "P", 5).with(func(i *img) { i.creator = 1 }),
				im("c", "P", 1).with(func(i *img) { i.creator = 0 }), im("d", "P", 1).with(func(i *img) { i.creator = 0 })},
			opts: Options{Preset: PresetRaw, CreatorSignal: CreatorPromote, MinRatio: 3},
			// b beats everyone (creator signal); a>c and a>d by 20.5/1.5; c,d tie.
			want: []string{"a>c", "a>d", "b>a", "b>c", "b>d"},
			stages: []Stage{st("input", 4, 0, 6, 0), st("image_unreadable", 4, 0, 6, 0), st("near_duplicates", 4, 0, 6, 0),
				st("creator_signal", 4, 0, 6, 0), st("ties", 4, 0, 6, 1), st("min_counts", 4, 0, 5, 0), st("min_ratio", 4, 0, 5, 0), st("per_prompt_cap", 4, 0, 5, 0)},
			strength:   map[string]float64{"b>a": 5.5 / 20.5},
			basis:      "none",
			noteSubstr: "3 pairs decided by top-creator remixes",
		},
		{
			name: "near-duplicates: the later post goes",
			imgs: []img{im("a", "P", 3).with(func(i *img) { i.days = 10; i.pixels = 1 }), im("a2", "P", 30).with(func(i *img) { i.days = 3; i.pixels = 1 }),
				im("b", "P", 1).with(func(i *img) { i.pixels = 2 })},
			opts: raw,
			want: []string{"a>b"},
			stages: []Stage{st("input", 3, 0, 3, 0), st("image_unreadable", 3, 0, 3, 0), st("near_duplicates", 3, 1, 3, 2),
				st("ties", 2, 0, 1, 0), st("min_counts", 2, 0, 1, 0), st("min_ratio", 2, 0, 1, 0), st("per_prompt_cap", 2, 0, 1, 0)},
			basis: "none",
		},
		{
			name: "de-duplication off",
			imgs: []img{im("a", "P", 3).with(func(i *img) { i.days = 10; i.pixels = 1 }), im("a2", "P", 30).with(func(i *img) { i.days = 3; i.pixels = 1 }),
				im("b", "P", 1).with(func(i *img) { i.pixels = 2 })},
			opts: Options{Preset: PresetRaw, DedupHamming: -1},
			want: []string{"a2>a", "a2>b", "a>b"},
			stages: []Stage{st("input", 3, 0, 3, 0), st("image_unreadable", 3, 0, 3, 0),
				st("ties", 3, 0, 3, 0), st("min_counts", 3, 0, 3, 0), st("min_ratio", 3, 0, 3, 0), st("per_prompt_cap", 3, 0, 3, 0)},
			basis: "none",
		},
		{
			name: "missing image is a counted drop",
			imgs: []img{im("a", "P", 3), im("b", "P", 2).with(func(i *img) { i.pixels = -1 }), im("c", "P", 1)},
			opts: raw,
			want: []string{"a>c"},
			stages: []Stage{st("input", 3, 0, 3, 0), st("image_unreadable", 3, 1, 3, 2), st("near_duplicates", 2, 0, 1, 0),
				st("ties", 2, 0, 1, 0), st("min_counts", 2, 0, 1, 0), st("min_ratio", 2, 0, 1, 0), st("per_prompt_cap", 2, 0, 1, 0)},
			basis: "none",
		},
		{
			name: "per-prompt cap keeps the strongest",
			imgs: []img{im("a", "P", 1), im("b", "P", 2), im("c", "P", 4), im("d", "P", 8), im("e", "P", 16)},
			opts: Options{Preset: PresetRaw, MaxPairsPerPrompt: 3, CapOrder: CapStrongest},
			// Ratios (n+0.5)/(m+0.5): e>a 11, e>b 6.6, d>a 5.67, then e>c 3.67, ...
			want: []string{"d>a", "e>a", "e>b"},
			stages: []Stage{st("input", 5, 0, 10, 0), st("image_unreadable", 5, 0, 10, 0), st("near_duplicates", 5, 0, 10, 0),
				st("ties", 5, 0, 10, 0), st("min_counts", 5, 0, 10, 0), st("min_ratio", 5, 0, 10, 0), st("per_prompt_cap", 5, 0, 10, 7)},
			basis: "none",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			rows := makeLog(t, dir, tc.imgs)
			o := allTrain(tc.opts)
			o.ImageRoot = dir
			res, err := Curate(rows, o)
			if err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(tc.want, pairsOf(res.Triplets), cmpopts.EquateEmpty()); d != "" {
				t.Errorf("triplets (-want +got):\n%s", d)
			}
			if d := cmp.Diff(tc.stages, res.Funnel.Stages, stageCmp); d != "" {
				t.Errorf("funnel (-want +got):\n%s", d)
			}
			if res.ExposureBasis != tc.basis {
				t.Errorf("exposure basis %q, want %q", res.ExposureBasis, tc.basis)
			}
			for _, tr := range res.Triplets {
				if w, ok := tc.strength[tr.Pos.ImageID+">"+tr.Neg.ImageID]; ok && math.Abs(tr.Strength-w) > 1e-9*w {
					t.Errorf("strength of %s>%s = %v, want %v", tr.Pos.ImageID, tr.Neg.ImageID, tr.Strength, w)
				}
				if tr.Split != SplitTrain {
					t.Errorf("split %q", tr.Split)
				}
			}
			if tc.noteSubstr != "" && !strings.Contains(res.Funnel.String(), tc.noteSubstr) {
				t.Errorf("funnel table lacks %q:\n%s", tc.noteSubstr, res.Funnel)
			}
			if res.Funnel.Triplets != len(tc.want) || res.Funnel.Splits[0].Triplets != len(tc.want) {
				t.Errorf("funnel totals %d / %+v, want %d", res.Funnel.Triplets, res.Funnel.Splits, len(tc.want))
			}
		})
	}
}

func TestMissingImageExample(t *testing.T) {
	dir := t.TempDir()
	rows := makeLog(t, dir, []img{im("a", "P", 3), im("b", "P", 2).with(func(i *img) { i.pixels = -1 })})
	res, err := Curate(rows, Options{ImageRoot: dir})
	if err != nil {
		t.Fatal(err)
	}
	ex := res.Funnel.Stages[1].Examples
	if len(ex) != 1 || !strings.Contains(ex[0], "hand:line 2") || !strings.Contains(ex[0], `field "image_path"`) || !strings.Contains(ex[0], "img/b.png") {
		t.Errorf("examples = %q, want one naming hand:line 2, the field and the path", ex)
	}
}

// TestFitFollowerExponent compares the fitted exponent with gonum's least squares on the
// within-prompt demeaned data, computed here independently.
func TestFitFollowerExponent(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	var imgs []img
	for p := 0; p < 6; p++ {
		for k := 0; k < 5; k++ {
			f := int64(math.Exp(rng.Float64() * 8))
			r := int64(math.Round(3 * math.Pow(1+float64(f), 0.4) * math.Exp(0.3*rng.NormFloat64()) * float64(p+1)))
			imgs = append(imgs, img{id: fmt.Sprintf("p%di%d", p, k), prompt: fmt.Sprintf("P%d", p), followers: f, days: 5, remixes: r, views: -1, creator: -1, pixels: 0})
		}
	}
	var xs, ys []float64
	for p := 0; p < 6; p++ {
		var gx, gy []float64
		for _, i := range imgs[p*5 : p*5+5] {
			gx = append(gx, math.Log1p(float64(i.followers)))
			gy = append(gy, math.Log((float64(i.remixes)+0.5)/5))
		}
		mx, my := stat.Mean(gx, nil), stat.Mean(gy, nil)
		for k := range gx {
			xs = append(xs, gx[k]-mx)
			ys = append(ys, gy[k]-my)
		}
	}
	_, want := stat.LinearRegression(xs, ys, nil, true) // through the origin: demeaned data
	dir := t.TempDir()
	rows := makeLog(t, dir, uniquePixels(imgs))
	res, err := Curate(rows, allTrain(Options{Preset: PresetRaw, Exposure: ExposurePerDay, FollowerControl: FollowersNormalize, DedupHamming: -1, ImageRoot: dir}))
	if err != nil {
		t.Fatal(err)
	}
	if !res.FollowerExponentFitted || math.Abs(res.FollowerExponent-want) > 1e-9 {
		t.Errorf("fitted exponent %v (fitted %v), want %v", res.FollowerExponent, res.FollowerExponentFitted, want)
	}
	if want < 0.2 || want > 0.6 {
		t.Errorf("reference slope %v is far from the generating 0.4: the fixture is broken", want)
	}
}

func uniquePixels(imgs []img) []img {
	out := slices.Clone(imgs)
	for k := range out {
		out[k].pixels = 100 + k
	}
	return out
}

func TestSplitByPrompt(t *testing.T) {
	var imgs []img
	for p := 0; p < 40; p++ {
		imgs = append(imgs, im(fmt.Sprintf("x%02d", p), fmt.Sprintf("P%02d", p), 10), im(fmt.Sprintf("y%02d", p), fmt.Sprintf("P%02d", p), 1))
	}
	dir := t.TempDir()
	rows := makeLog(t, dir, uniquePixels(imgs))
	assign := func(seed uint64) map[string]string {
		res, err := Curate(rows, Options{Seed: seed, ImageRoot: dir, Preset: PresetRaw})
		if err != nil {
			t.Fatal(err)
		}
		m := map[string]string{}
		for _, tr := range res.Triplets {
			if s, ok := m[tr.PromptID]; ok && s != tr.Split {
				t.Fatalf("prompt %s in splits %s and %s", tr.PromptID, s, tr.Split)
			}
			m[tr.PromptID] = tr.Split
		}
		want := []SplitCount{{SplitTrain, 32, 32}, {SplitValidation, 4, 4}, {SplitTest, 4, 4}}
		if d := cmp.Diff(want, res.Funnel.Splits); d != "" {
			t.Errorf("splits (-want +got):\n%s", d)
		}
		return m
	}
	a, b, c := assign(1), assign(1), assign(2)
	if d := cmp.Diff(a, b); d != "" {
		t.Errorf("same seed, different splits:\n%s", d)
	}
	if cmp.Equal(a, c) {
		t.Error("seeds 1 and 2 give the same split")
	}
}

func TestCapRandomIsSeeded(t *testing.T) {
	dir := t.TempDir()
	rows := makeLog(t, dir, []img{im("a", "P", 1), im("b", "P", 2), im("c", "P", 4), im("d", "P", 8), im("e", "P", 16)})
	run := func(seed uint64) []string {
		res, err := Curate(rows, allTrain(Options{Preset: PresetRaw, MaxPairsPerPrompt: 4, Seed: seed, ImageRoot: dir}))
		if err != nil {
			t.Fatal(err)
		}
		return pairsOf(res.Triplets)
	}
	a := run(7)
	if len(a) != 4 {
		t.Fatalf("%d pairs, want 4", len(a))
	}
	if d := cmp.Diff(a, run(7)); d != "" {
		t.Errorf("not deterministic:\n%s", d)
	}
	differ := false
	for s := uint64(0); s < 10 && !differ; s++ {
		differ = !cmp.Equal(a, run(s))
	}
	if !differ {
		t.Error("ten seeds give the same random cap")
	}
}

func TestCurateRejectsBadRows(t *testing.T) {
	good := LogRow{ImageID: "a", ImagePath: "a.png", Prompt: "p", AuthorID: "u", CreatedAt: t0, ObservedAt: t0}
	tests := []struct {
		name string
		mod  func(r []LogRow)
		want string
	}{
		{"negative remixes", func(r []LogRow) { r[1].Remixes = -1 }, `row 1: field "remixes": is -1`},
		{"duplicate id", func(r []LogRow) { r[1].ImageID = "a" }, `row 1: field "image_id": "a" already used by row 0`},
		{"observed before created", func(r []LogRow) { r[1].ObservedAt = t0.Add(-time.Hour) }, `row 1: field "observed_at"`},
		{"escaping path", func(r []LogRow) { r[1].ImagePath = "../b.png" }, `row 1: field "image_path": "../b.png" leaves`},
		{"source named", func(r []LogRow) { r[1].Source = "log.jsonl:line 9"; r[1].Remixes = -2 }, `log.jsonl:line 9: field "remixes"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rows := []LogRow{good, good}
			rows[1].ImageID, rows[1].ImagePath = "b", "b.png"
			tc.mod(rows)
			_, err := Curate(rows, Options{DedupHamming: -1})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want %q", err, tc.want)
			}
		})
	}
}

func TestOptionsResolve(t *testing.T) {
	deb, err := PresetOptions("")
	if err != nil {
		t.Fatal(err)
	}
	want := Options{Preset: PresetDebiased, Exposure: ExposureAuto, MinExposureDays: 1, Smoothing: 0.5, FollowerControl: FollowersNormalize,
		FollowerBandWidth: 0.5, MinRatio: 2, MinPosRemixes: 3, MinNegRemixes: -1, CreatorSignal: CreatorVeto, CreatorMinRemixes: 1,
		DedupHamming: 6, MaxPairsPerPrompt: 10, CapOrder: CapRandom, TrainFrac: 0.8, ValidationFrac: 0.1, TestFrac: 0.1, Images: ImagesLink}
	if d := cmp.Diff(want, deb, cmpopts.IgnoreFields(Options{}, "ImageHash")); d != "" {
		t.Errorf("debiased preset (-want +got):\n%s", d)
	}
	zero, err := Options{}.Resolve()
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(deb, zero, cmpopts.IgnoreFields(Options{}, "ImageHash")); d != "" {
		t.Errorf("zero value is not the debiased preset:\n%s", d)
	}
	raw, _ := PresetOptions(PresetRaw)
	again, _ := raw.Resolve()
	if d := cmp.Diff(raw, again, cmpopts.IgnoreFields(Options{}, "ImageHash")); d != "" {
		t.Errorf("Resolve is not idempotent:\n%s", d)
	}
	if raw.Exposure != ExposureNone || raw.FollowerControl != FollowersNone || raw.CreatorSignal != CreatorOff || raw.MinExposureDays != -1 || raw.MinRatio != 1 {
		t.Errorf("raw preset has bias controls: %+v", raw)
	}
	bad := []struct {
		o    Options
		want string
	}{
		{Options{Preset: "debaised"}, `unknown preset "debaised" (did you mean "debiased"?)`},
		{Options{FollowerControl: "band"}, `follower_control: unknown value "band" (did you mean "bands"?)`},
		{Options{MinRatio: 0.5}, "min_ratio: 0.5 is below 1"},
		{Options{TrainFrac: 0.5, TestFrac: 0.2}, "want fractions >= 0 summing to 1"},
		{Options{Smoothing: -1}, "smoothing: -1 is negative"},
		{Options{DedupHamming: 65}, "dedup_hamming: 65 is above 64"},
		{Options{MinRatio: math.NaN()}, "min_ratio: NaN is not a finite number"},
	}
	for _, tc := range bad {
		t.Run(tc.want, func(t *testing.T) {
			_, err := tc.o.Resolve()
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want %q", err, tc.want)
			}
		})
	}
}
