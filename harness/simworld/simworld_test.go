package simworld

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"image/png"
	"io"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"gonum.org/v1/gonum/stat"

	"github.com/srbench/srbench/harness/curate"
	"github.com/srbench/srbench/harness/dataset"
	"github.com/srbench/srbench/harness/stats"
)

// small is a world small enough to write in every test run.
var small = Options{Seed: 11, Prompts: 40, ImagesPerPrompt: 6, Authors: 60}

func writeSmall(t *testing.T, o Options) (World, string) {
	t.Helper()
	dir := t.TempDir()
	w, err := Write(dir, o)
	if err != nil {
		t.Fatal(err)
	}
	return w, dir
}

// treeDigest maps every file under dir to its content.
func treeDigest(t *testing.T, dir string) map[string]string {
	t.Helper()
	m := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		rel, _ := filepath.Rel(dir, p)
		m[rel] = string(b)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestDeterministic(t *testing.T) {
	o1, o2 := small, small
	o1.Workers, o2.Workers = 1, 3
	_, d1 := writeSmall(t, o1)
	_, d2 := writeSmall(t, o2)
	a, b := treeDigest(t, d1), treeDigest(t, d2)
	if len(a) < 40*4+40*2+5 {
		t.Fatalf("only %d files", len(a))
	}
	if !cmp.Equal(a, b) {
		for k := range a {
			if a[k] != b[k] {
				t.Errorf("file %s differs between 1 and 3 workers", k)
			}
		}
	}
	o3 := small
	o3.Seed++
	w3, err := Simulate(o3)
	if err != nil {
		t.Fatal(err)
	}
	if cmp.Equal(w3.LogRows()[:5], mustSimulate(t, small).LogRows()[:5], rowCmp...) {
		t.Error("a different seed gives the same world")
	}
}

func mustSimulate(t *testing.T, o Options) World {
	t.Helper()
	w, err := Simulate(o)
	if err != nil {
		t.Fatal(err)
	}
	return w
}

var rowCmp = []cmp.Option{cmpopts.IgnoreFields(curate.LogRow{}, "Source"), cmp.Comparer(func(a, b time.Time) bool { return a.Equal(b) })}

func TestWrittenFiles(t *testing.T) {
	w, dir := writeSmall(t, small)
	// Both log encodings read back strictly, equal to the world's rows.
	for _, name := range []string{LogJSONL, LogParquet} {
		rows, st, err := curate.ReadLog(filepath.Join(dir, name), curate.ReadOptions{})
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if d := cmp.Diff(w.LogRows(), rows, rowCmp...); d != "" {
			t.Errorf("%s (-world +file):\n%s", name, d)
		}
		if len(st.Warnings()) != 0 {
			t.Errorf("%s: warnings %v", name, st.Warnings())
		}
	}
	// truth.jsonl: one record per image, the truth of that image.
	f, err := os.Open(filepath.Join(dir, TruthFile))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	n := 0
	for sc.Scan() {
		var rec TruthRecord
		dec := json.NewDecoder(bytes.NewReader(sc.Bytes()))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&rec); err != nil {
			t.Fatal(err)
		}
		im := w.Images[n]
		if rec.ImageID != im.ID || rec.Appeal != im.Truth.Appeal || rec.Quality != im.Truth.Quality || rec.Rendered != im.Render || rec.Measured != im.Measured {
			t.Errorf("truth line %d = %+v, image %+v", n+1, rec, im)
		}
		n++
	}
	if n != len(w.Images) {
		t.Errorf("%d truth lines for %d images", n, len(w.Images))
	}
	// Every written PNG hashes to the DHash the world recorded.
	for _, im := range w.Images {
		h, err := curate.DecodeHash(filepath.Join(dir, im.Path))
		if err != nil {
			t.Fatal(err)
		}
		if h != im.DHash {
			t.Fatalf("%s: file DHash %016x, recorded %016x", im.ID, h, im.DHash)
		}
	}
	// The alignment pairs are a pairs-jsonl file the dataset package reads, images checked.
	src, err := dataset.Open(dataset.Spec{Path: filepath.Join(dir, AlignmentFile), CheckImages: true})
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	pairs := 0
	for {
		_, err := src.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		pairs++
	}
	if pairs != len(w.AlignmentPairs) || pairs != small.Prompts || len(src.Stats().Warnings()) != 0 {
		t.Errorf("%d alignment pairs read, world has %d, warnings %v", pairs, len(w.AlignmentPairs), src.Stats().Warnings())
	}
	var ws worldSummary
	b, _ := os.ReadFile(filepath.Join(dir, WorldFile))
	if err := json.Unmarshal(b, &ws); err != nil {
		t.Fatal(err)
	}
	if ws.Counts["images"] != len(w.Images) || ws.Options.Seed != small.Seed {
		t.Errorf("world.json counts %v options %+v", ws.Counts, ws.Options)
	}
}

// TestAlignmentPairsVisible: in the pixels, the aligned image of a colour pair has the
// prompt's colour more often than the misaligned one.
func TestAlignmentPairsVisible(t *testing.T) {
	o := small
	o.Prompts, o.ImagesPerPrompt = 120, 2
	w := mustSimulate(t, o)
	right, total := 0, 0
	for _, ap := range w.AlignmentPairs {
		if ap.Kind == "subject" {
			if ap.Right.Subject == ap.Wrong.Subject || ap.Right.Colour != ap.Wrong.Colour {
				t.Errorf("%s: subject pair differs in colour or not in subject", ap.ID)
			}
			continue
		}
		want := ColourHue(w.Prompts[ap.Prompt].Colour)
		dist := func(r Render) float64 {
			d := math.Abs(Measure(draw(r, w.Options.ImageSize, nil)).SubjectHue - want)
			return min(d, 360-d)
		}
		total++
		if dist(ap.Right) < dist(ap.Wrong) {
			right++
		}
	}
	if total < 60 || float64(right)/float64(total) < 0.85 {
		t.Errorf("measured hue picks the aligned image in %d of %d colour pairs (want >= 85%%)", right, total)
	}
}

// withinPromptSpearman averages, over prompts, the Spearman correlation of a
// and b (prompts where it is undefined are left out).
func withinPromptSpearman(w World, get func(im Image) (a, b float64)) float64 {
	by := make([][2][]float64, len(w.Prompts))
	for _, im := range w.Images {
		a, b := get(im)
		by[im.Prompt][0] = append(by[im.Prompt][0], a)
		by[im.Prompt][1] = append(by[im.Prompt][1], b)
	}
	var s float64
	n := 0
	for _, v := range by {
		if len(v[0]) < 3 {
			continue
		}
		if c, err := stats.Spearman(v[0], v[1]); err == nil {
			s += c
			n++
		}
	}
	return s / float64(n)
}

// TestFeaturesVisible: the rendering parameters the community rewards can be read back
// from the pixels by Measure (within a prompt, where preferences are compared).
func TestFeaturesVisible(t *testing.T) {
	o := small
	o.Prompts, o.ImagesPerPrompt = 100, 10
	w := mustSimulate(t, o)
	tests := []struct {
		name string
		get  func(im Image) (float64, float64)
		min  float64
	}{
		{"saturation", func(im Image) (float64, float64) { return im.Render.Saturation, im.Measured.Saturation }, 0.6},
		{"contrast", func(im Image) (float64, float64) { return im.Render.Contrast, im.Measured.Contrast }, 0.55},
		{"offset", func(im Image) (float64, float64) { return im.Render.Offset, im.Measured.Offset }, 0.6},
		{"artefact", func(im Image) (float64, float64) { return im.Render.Artefact, im.Measured.Artefact }, 0.9},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := withinPromptSpearman(w, tc.get)
			t.Logf("within-prompt Spearman %.3f", r)
			if r < tc.min {
				t.Errorf("within-prompt Spearman of rendered and measured %s = %.3f, want >= %.2f", tc.name, r, tc.min)
			}
		})
	}
	agree := 0
	for _, im := range w.Images {
		if im.Measured.Colour == im.Render.Colour {
			agree++
		}
	}
	if share := float64(agree) / float64(len(w.Images)); share < 0.75 {
		t.Errorf("measured colour class agrees with the rendered one for %.3f of images, want >= 0.75", share)
	}
}

// TestRenderPixels checks a clean render against its parameters.
func TestRenderPixels(t *testing.T) {
	base := Render{Subject: 0, Colour: 5, Background: 0, Style: styleFlat, Hue: 225, Saturation: 1, Contrast: 1,
		CentreX: 0.5, CentreY: 0.5, Scale: 0.25, Texture: 1}
	img := draw(base, 64, nil)
	c := img.NRGBAAt(32, 32)
	h, ch := hueChroma([3]float64{float64(c.R) / 255, float64(c.G) / 255, float64(c.B) / 255})
	if math.Abs(h-225) > 3 || ch < 0.5 {
		t.Errorf("subject centre pixel %v: hue %.1f chroma %.2f, want hue 225 ± 3, chroma >= 0.5", c, h, ch)
	}
	corner := img.NRGBAAt(1, 62)
	if _, ch := hueChroma([3]float64{float64(corner.R) / 255, float64(corner.G) / 255, float64(corner.B) / 255}); ch > 0.15 || corner.R < 180 {
		t.Errorf("corner pixel %v is not the snowy background", corner)
	}
	tests := []struct {
		name  string
		mod   func(r *Render)
		check func(f, b Features) bool
	}{
		{"desaturated", func(r *Render) { r.Saturation = 0.25 }, func(f, b Features) bool { return f.Saturation < 0.4*b.Saturation }},
		{"low contrast", func(r *Render) { r.Contrast = 0.4 }, func(f, b Features) bool { return f.Contrast < 0.55*b.Contrast }},
		{"off centre", func(r *Render) { r.CentreX, r.Offset = 0.7, 0.2 }, func(f, b Features) bool { return math.Abs(f.Offset-0.2) < 0.04 && b.Offset < 0.02 }},
		{"artefacts", func(r *Render) { r.Artefact, r.Blotches, r.Banding = 0.8, true, true }, func(f, b Features) bool { return f.Artefact > 3*b.Artefact }},
	}
	bf := Measure(img)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := base
			tc.mod(&r)
			if f := Measure(draw(r, 64, nil)); !tc.check(f, bf) {
				t.Errorf("features %+v against the clean render %+v", f, bf)
			}
		})
	}
}

// TestEngagementModel checks the confounders the simulator is meant to have.
func TestEngagementModel(t *testing.T) {
	o := small
	o.Prompts, o.ImagesPerPrompt, o.Authors = 150, 10, 500
	w := mustSimulate(t, o)
	var fol []float64
	for _, a := range w.Authors {
		fol = append(fol, float64(a.Followers))
	}
	sort.Float64s(fol)
	if med := fol[len(fol)/2]; fol[len(fol)-1] < 30*med || med < 50 || med > 300 {
		t.Errorf("followers median %v max %v: not heavy-tailed around ~120", med, fol[len(fol)-1])
	}
	perPrompt := make([]int, len(w.Prompts))
	reposts := 0
	for _, im := range w.Images {
		perPrompt[im.Prompt]++
		if im.ExposureDays <= 0 || im.ExposureDays > 60 || !im.CreatedAt.Before(w.Snapshot) {
			t.Fatalf("%s: exposure %v days", im.ID, im.ExposureDays)
		}
		if im.CreatorRemixes > im.Remixes || im.Remixes < 0 {
			t.Fatalf("%s: remixes %d creator %d", im.ID, im.Remixes, im.CreatorRemixes)
		}
		if im.RepostOf != "" {
			reposts++
		}
	}
	for p, n := range perPrompt {
		if n < 8 || n > 12 {
			t.Errorf("prompt %d has %d images", p, n)
		}
	}
	if share := float64(reposts) / float64(len(w.Images)); share < 0.015 || share > 0.045 {
		t.Errorf("repost share %.3f, want about 0.03", share)
	}
	// Within a prompt, raw remixes rise with exposure and with followers as well as appeal.
	for _, tc := range []struct {
		name string
		get  func(im Image) float64
	}{
		{"exposure", func(im Image) float64 { return im.ExposureDays }},
		{"followers", func(im Image) float64 { return float64(w.Authors[im.Author].Followers) }},
		{"appeal", func(im Image) float64 { return im.Truth.Appeal }},
	} {
		r := withinPromptSpearman(w, func(im Image) (float64, float64) { return tc.get(im), float64(im.Remixes) })
		t.Logf("within-prompt Spearman(remixes, %s) = %.3f", tc.name, r)
		if r < 0.2 {
			t.Errorf("remixes barely depend on %s (Spearman %.3f)", tc.name, r)
		}
	}
	// Appeal is about N(0, 1) and only partly explained by alignment and quality.
	var ap, al, q []float64
	for _, im := range w.Images {
		ap = append(ap, im.Truth.Appeal)
		al = append(al, im.Truth.Alignment)
		q = append(q, im.Truth.Quality)
	}
	m, sd := stat.MeanStdDev(ap, nil)
	r2 := math.Pow(stat.Correlation(ap, al, nil), 2) + math.Pow(stat.Correlation(ap, q, nil), 2)
	if math.Abs(m) > 0.1 || sd < 0.85 || sd > 1.15 || r2 < 0.1 || r2 > 0.5 {
		t.Errorf("appeal mean %.3f sd %.3f, share explained by alignment and quality %.3f", m, sd, r2)
	}
}

// TestRepostsAreNearDuplicates: re-posts hash within the default curation threshold of
// their original, distinct images of a prompt do not.
func TestRepostsAreNearDuplicates(t *testing.T) {
	o := small
	o.Prompts, o.ImagesPerPrompt = 200, 10
	w := mustSimulate(t, o)
	byID := map[string]Image{}
	for _, im := range w.Images {
		byID[im.ID] = im
	}
	near, reposts, falseNear, others := 0, 0, 0, 0
	for i, a := range w.Images {
		if a.RepostOf != "" {
			reposts++
			if curate.Hamming(a.DHash, byID[a.RepostOf].DHash) <= 6 {
				near++
			}
		}
		for _, b := range w.Images[i+1:] {
			if b.Prompt != a.Prompt || a.RepostOf == b.ID || b.RepostOf == a.ID || (a.RepostOf != "" && a.RepostOf == b.RepostOf) {
				continue
			}
			others++
			if curate.Hamming(a.DHash, b.DHash) <= 6 {
				falseNear++
			}
		}
	}
	if reposts < 20 || float64(near) < 0.95*float64(reposts) || float64(falseNear) > 0.001*float64(others) {
		t.Errorf("%d/%d re-posts within distance 6; %d/%d distinct pairs within it", near, reposts, falseNear, others)
	}
}

func TestOptionsErrors(t *testing.T) {
	tests := []struct {
		o    Options
		want string
	}{
		{Options{Prompts: 2000}, "exceeds the 1440 distinct templates"},
		{Options{ImagesPerPrompt: 1}, "ImagesPerPrompt 1 out of range"},
		{Options{ImageSize: 8}, "ImageSize 8 out of range"},
		{Options{RepostRate: 0.9}, "RepostRate 0.9 above 0.5"},
		{Options{AppealEffect: -1}, "AppealEffect -1 out of range"},
	}
	for _, tc := range tests {
		t.Run(tc.want, func(t *testing.T) {
			_, err := Simulate(tc.o)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want %q", err, tc.want)
			}
		})
	}
}

func TestSelectRank(t *testing.T) {
	for n := 1; n < 40; n++ {
		a := make([]float64, n)
		for i := range a {
			a[i] = float64((i * 7919) % 13)
		}
		s := append([]float64(nil), a...)
		sort.Float64s(s)
		for k := 0; k < n; k++ {
			b := append([]float64(nil), a...)
			if got := selectRank(b, k); got != s[k] {
				t.Fatalf("n=%d k=%d: %v, want %v", n, k, got, s[k])
			}
		}
	}
}

func TestPNGsAreSmall(t *testing.T) {
	w, dir := writeSmall(t, small)
	f, err := os.Open(filepath.Join(dir, w.Images[0].Path))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	cfg, err := png.DecodeConfig(f)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Width != 64 || cfg.Height != 64 {
		t.Errorf("image %dx%d, want 64x64", cfg.Width, cfg.Height)
	}
}
