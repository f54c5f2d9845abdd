package simworld

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/srbench/srbench/harness/curate"
)

// Files written by Write, relative to its output directory.
const (
	LogJSONL       = "log.jsonl"
	LogParquet     = "log.parquet"
	TruthFile      = "truth.jsonl"
	AlignmentFile  = "alignment_pairs.jsonl"
	WorldFile      = "world.json"
	ImagesDir      = "images"
	AlignmentDir   = "alignment"
	worldFormatTag = "srbench-simworld/1"
)

// Write simulates a world and writes it into outDir (created if needed): the PNG images
// (images/, alignment/), the engagement log (log.jsonl and log.parquet), the ground
// truth (truth.jsonl, world.json) and the alignment pairs (alignment_pairs.jsonl).
func Write(outDir string, opts Options) (World, error) {
	for _, d := range []string{outDir, filepath.Join(outDir, ImagesDir), filepath.Join(outDir, AlignmentDir)} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return World{}, fmt.Errorf("simworld: %w", err)
		}
	}
	pool := &sync.Pool{New: func() any { return &pngBuffers{} }}
	enc := png.Encoder{CompressionLevel: png.BestSpeed}
	w, err := simulate(opts, func(rel string, img *image.NRGBA) error {
		pb := pool.Get().(*pngBuffers)
		defer pool.Put(pb)
		e := enc
		e.BufferPool = pb
		pb.out.Reset()
		if err := e.Encode(&pb.out, img); err != nil {
			return fmt.Errorf("simworld: encode %q: %w", rel, err)
		}
		if err := os.WriteFile(filepath.Join(outDir, filepath.FromSlash(rel)), pb.out.Bytes(), 0o644); err != nil {
			return fmt.Errorf("simworld: %w", err)
		}
		return nil
	})
	if err != nil {
		return World{}, err
	}
	rows := w.LogRows()
	for _, name := range []string{LogJSONL, LogParquet} {
		if err := curate.WriteLog(filepath.Join(outDir, name), rows); err != nil {
			return World{}, fmt.Errorf("simworld: %w", err)
		}
	}
	if err := writeJSONL(filepath.Join(outDir, TruthFile), len(w.Images), func(i int) any { return w.truthRecord(i) }); err != nil {
		return World{}, err
	}
	if err := writeJSONL(filepath.Join(outDir, AlignmentFile), len(w.AlignmentPairs), func(i int) any { return w.alignmentRecord(i) }); err != nil {
		return World{}, err
	}
	b, err := json.MarshalIndent(w.summary(), "", "  ")
	if err != nil {
		return World{}, fmt.Errorf("simworld: %w", err)
	}
	if err := os.WriteFile(filepath.Join(outDir, WorldFile), append(b, '\n'), 0o644); err != nil {
		return World{}, fmt.Errorf("simworld: %w", err)
	}
	return w, nil
}

// pngBuffers implements png.EncoderBufferPool for one worker at a time.
type pngBuffers struct {
	enc *png.EncoderBuffer
	out bytes.Buffer
}

func (p *pngBuffers) Get() *png.EncoderBuffer  { return p.enc }
func (p *pngBuffers) Put(b *png.EncoderBuffer) { p.enc = b }

func writeJSONL(file string, n int, rec func(i int) any) error {
	f, err := os.Create(file)
	if err != nil {
		return fmt.Errorf("simworld: %w", err)
	}
	bw := bufio.NewWriter(f)
	enc := json.NewEncoder(bw)
	enc.SetEscapeHTML(false)
	for i := 0; i < n; i++ {
		if err := enc.Encode(rec(i)); err != nil {
			f.Close()
			return fmt.Errorf("simworld: write %q: %w", file, err)
		}
	}
	if err := bw.Flush(); err != nil {
		f.Close()
		return fmt.Errorf("simworld: write %q: %w", file, err)
	}
	return f.Close()
}

// TruthRecord is one line of truth.jsonl.
type TruthRecord struct {
	ImageID        string   `json:"image_id"`
	PromptID       string   `json:"prompt_id"`
	AuthorID       string   `json:"author_id"`
	RepostOf       string   `json:"repost_of,omitempty"`
	Alignment      float64  `json:"alignment"`
	ColourCorrect  bool     `json:"colour_correct"`
	SubjectCorrect bool     `json:"subject_correct"`
	Quality        float64  `json:"quality"`
	Appeal         float64  `json:"appeal"`
	VisualAppeal   float64  `json:"visual_appeal"`
	Latent         float64  `json:"latent"`
	ExposureDays   float64  `json:"exposure_days"`
	Views          int64    `json:"views"`
	SubjectName    string   `json:"rendered_subject"`
	ColourName     string   `json:"rendered_colour"`
	Rendered       Render   `json:"rendered"`
	Measured       Features `json:"measured"`
}

func (w World) truthRecord(i int) TruthRecord {
	im := w.Images[i]
	return TruthRecord{
		ImageID: im.ID, PromptID: w.Prompts[im.Prompt].ID, AuthorID: w.Authors[im.Author].ID, RepostOf: im.RepostOf,
		Alignment: im.Truth.Alignment, ColourCorrect: im.Truth.ColourCorrect, SubjectCorrect: im.Truth.SubjectCorrect,
		Quality: im.Truth.Quality, Appeal: im.Truth.Appeal, VisualAppeal: im.Truth.VisualAppeal, Latent: im.Truth.Latent,
		ExposureDays: im.ExposureDays, Views: im.Views,
		SubjectName: subjectNames[im.Render.Subject], ColourName: colourNames[im.Render.Colour],
		Rendered: im.Render, Measured: im.Measured,
	}
}

// alignmentRecord is one pairs-jsonl line of alignment_pairs.jsonl.
type alignmentRecord struct {
	Prompt   string  `json:"prompt"`
	PromptID string  `json:"prompt_id"`
	ImageA   string  `json:"image_a"`
	ImageB   string  `json:"image_b"`
	Label    string  `json:"label"`
	Strength float64 `json:"strength"`
	ID       string  `json:"id"`
}

func (w World) alignmentRecord(i int) alignmentRecord {
	ap := w.AlignmentPairs[i]
	p := w.Prompts[ap.Prompt]
	return alignmentRecord{Prompt: p.Text, PromptID: p.ID, ImageA: ap.PathA, ImageB: ap.PathB, Label: ap.Label,
		Strength: ap.Strength, ID: ap.ID + "-" + ap.Kind}
}

// worldSummary is world.json.
type worldSummary struct {
	Format         string             `json:"format"`
	Options        Options            `json:"options"`
	Snapshot       time.Time          `json:"snapshot"`
	Counts         map[string]int     `json:"counts"`
	Model          map[string]float64 `json:"model"`
	Files          []string           `json:"files"`
	Prompts        []Prompt           `json:"prompts"`
	Authors        []Author           `json:"authors"`
	AlignmentPairs []AlignmentPair    `json:"alignment_pairs"`
}

func (w World) summary() worldSummary {
	reposts := 0
	for _, im := range w.Images {
		if im.RepostOf != "" {
			reposts++
		}
	}
	return worldSummary{
		Format: worldFormatTag, Options: w.Options, Snapshot: w.Snapshot,
		Counts: map[string]int{"prompts": len(w.Prompts), "authors": len(w.Authors), "images": len(w.Images),
			"reposts": reposts, "alignment_pairs": len(w.AlignmentPairs)},
		Model: map[string]float64{
			"exposure_tau_days": exposureTau, "views_per_day": viewsPerDay, "remix_per_view": remixPerView,
			"view_reach_share": viewReachShare, "view_appeal": viewAppeal, "remix_noise_sigma": remixNoiseSigma,
			"view_noise_sigma": viewNoiseSigma, "negbin_shape": negBinShape, "creator_base": creatorBase,
			"creator_appeal": creatorAppeal, "median_followers": medianFollowers, "follower_sigma": followerSigma,
			"skill_in_followers": skillInFollowers, "popularity_sigma": popularitySigma,
			"wrong_colour_prob": wrongColourProb, "wrong_subject_prob": wrongSubjectProb,
			"w_saturation": wSaturation, "w_contrast": wContrast, "w_centring": wCentring, "w_artefact": wArtefact,
			"w_alignment": wAlignment, "w_latent": wLatent,
		},
		Files:   []string{ImagesDir + "/", AlignmentDir + "/", LogJSONL, LogParquet, TruthFile, AlignmentFile, WorldFile},
		Prompts: w.Prompts, Authors: w.Authors, AlignmentPairs: w.AlignmentPairs,
	}
}
