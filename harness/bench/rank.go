package bench

import (
	"bufio"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"sync"
	"time"

	"github.com/srbench/srbench/harness/dataset"
	"github.com/srbench/srbench/harness/gallery"
	"github.com/srbench/srbench/harness/results"
	"github.com/srbench/srbench/harness/scorer"
	"github.com/srbench/srbench/internal/atomicfile"
)

// RankJournalName is the file in a leaderboard directory that records the
// ranking's configuration before the first image is scored, so that an
// interrupted ranking can be resumed (RankConfig.Resume).
const RankJournalName = "rank.json"

// RankConfig describes one ranking of a gallery's generators (srbench rank).
type RankConfig struct {
	Benchmark results.Benchmark `json:"benchmark"`
	// Gallery is a gallery manifest (JSONL) or directory (harness/gallery).
	Gallery string       `json:"gallery"`
	Scorers []ScorerSpec `json:"scorers"`
	// OutDir is the leaderboard directory.
	OutDir string `json:"-"`
	// Resume finishes the interrupted ranking in OutDir: the images
	// images.jsonl holds are not scored again, and nothing the scores
	// depend on may have changed.
	Resume bool `json:"-"`
	// ChunkImages is how many images are read and scored together; 0 = 256.
	ChunkImages        int   `json:"chunk_images"`
	MaxImageBytes      int64 `json:"max_image_bytes,omitempty"`
	AllowOutsideImages bool  `json:"allow_outside_images,omitempty"`
	AllowUnpinned      bool  `json:"allow_unpinned,omitempty"`
	// Stats chooses the statistics.
	Stats   RankStats `json:"stats"`
	Command []string  `json:"command"`
	Version string    `json:"version"`
	Commit  string    `json:"commit,omitempty"`
	Notes   []string  `json:"notes,omitempty"`
	// Cache, if set, serves and stores scores (the same cache as run).
	Cache *Cache `json:"-"`
	// Progress, if set, is called once the gallery is checked (with the
	// images journaled before, when resuming) and after each chunk: images
	// done of the gallery's total.
	Progress   func(imagesDone, total int) `json:"-"`
	ModelsRoot string                      `json:"models_root,omitempty"`
	PluginDir  string                      `json:"plugin_dir,omitempty"`
	Identity   *RunIdentity                `json:"identity,omitempty"`
}

// RankStats are the statistics options of a ranking; zero values are the
// documented defaults.
type RankStats struct {
	// B is the number of Poisson bootstrap replicates (0: 1000); Seed seeds
	// them; Level is the interval level (0: 0.95); Alpha the Holm level of
	// the win-rate tests (0: 0.05).
	B     int     `json:"b"`
	Seed  uint64  `json:"seed"`
	Level float64 `json:"level"`
	Alpha float64 `json:"alpha"`
	// BestOfN lists the N of best-of-N (nil: 1, 2, 4, ... up to the most
	// samples of a cell).
	BestOfN []int `json:"best_of_n,omitempty"`
	// Extremes is how many highest- and lowest-scored images per judge and
	// generator are kept for the report's galleries (0: 4; negative: none).
	Extremes int `json:"extremes"`
}

func (s RankStats) withDefaults() RankStats {
	s.B = cmp.Or(s.B, 1000)
	s.Level = cmp.Or(s.Level, 0.95)
	s.Alpha = cmp.Or(s.Alpha, 0.05)
	if s.Extremes == 0 {
		s.Extremes = 4
	}
	return s
}

// galleryChunk is a batch of gallery images with their items and cache keys.
type galleryChunk struct {
	images  []gallery.Image
	items   []scorer.Item
	keys    []itemKey
	refused []string
	err     error
}

// galleryRoot is the directory a gallery's image paths are relative to.
func galleryRoot(path string) (string, error) {
	f, err := gallery.Detect(path)
	if err != nil {
		return "", err
	}
	root := path
	if f == gallery.Manifest {
		root = filepath.Dir(path)
	}
	return filepath.Abs(root)
}

// Rank scores every image of cfg.Gallery with every scorer and writes
// cfg.OutDir: images.jsonl (the journal of scores, one line per image, in
// gallery order), leaderboard.json (AnalyzeGallery) and rank.json (the
// configuration). It returns the leaderboard. A ranking that fails before
// its first image is scored leaves no journal behind (nor the directory,
// when it created it).
func Rank(ctx context.Context, cfg RankConfig, launch Launcher) (*results.Leaderboard, error) {
	_, statErr := os.Stat(cfg.OutDir)
	created := errors.Is(statErr, os.ErrNotExist)
	lb, err := rank(ctx, cfg, launch)
	if err != nil && !cfg.Resume {
		discardJournal(cfg.OutDir, results.GalleryScoresFile, RankJournalName, created)
	}
	return lb, err
}

// Validate checks the statistics options before anything is scored.
func (s RankStats) Validate() error {
	switch {
	case s.B < 0:
		return fmt.Errorf("bootstrap replicates %d: want at least 1 (0: the default, 1000)", s.B)
	case s.Level != 0 && !(s.Level > 0 && s.Level < 1):
		return fmt.Errorf("interval level %v: want a level between 0 and 1, e.g. 0.95", s.Level)
	case s.Alpha != 0 && !(s.Alpha > 0 && s.Alpha < 1):
		return fmt.Errorf("alpha %v (--alpha): want a level between 0 and 1, e.g. 0.05", s.Alpha)
	}
	for _, n := range s.BestOfN {
		if n < 1 {
			return fmt.Errorf("best-of-N %d (--best-of-n): want N of at least 1", n)
		}
	}
	return nil
}

func rank(ctx context.Context, cfg RankConfig, launch Launcher) (*results.Leaderboard, error) {
	start := time.Now()
	if err := cfg.Stats.Validate(); err != nil {
		return nil, err
	}
	if len(cfg.Scorers) == 0 {
		return nil, errors.New("no scorers: pass --scorers (e.g. --scorers clipscore,socialreward)")
	}
	seen := map[string]bool{}
	for _, s := range cfg.Scorers {
		if s.Name == "" || s.Name == results.TruthJudge || seen[s.Name] {
			return nil, fmt.Errorf("scorer name %q: want distinct names other than %q (the gallery's ground truth)", s.Name, results.TruthJudge)
		}
		seen[s.Name] = true
	}
	if len(cfg.Scorers)+1 > maxJudges {
		return nil, fmt.Errorf("%d scorers: a ranking takes at most %d", len(cfg.Scorers), maxJudges-1)
	}
	journal := filepath.Join(cfg.OutDir, RankJournalName)
	scoresPath := filepath.Join(cfg.OutDir, results.GalleryScoresFile)
	var was *RankConfig
	if cfg.Resume {
		b, err := os.ReadFile(journal)
		if err != nil {
			return nil, fmt.Errorf("resume %s: no ranking to finish there (%w)", cfg.OutDir, err)
		}
		was = &RankConfig{}
		if err := json.Unmarshal(b, was); err != nil {
			return nil, fmt.Errorf("resume %s: %s: %w", cfg.OutDir, RankJournalName, err)
		}
		if err := sameRanking(was, &cfg); err != nil {
			return nil, fmt.Errorf("resume %s: %w", cfg.OutDir, err)
		}
	} else {
		if _, err := os.Stat(journal); err == nil {
			return nil, fmt.Errorf("leaderboard directory %s already holds a ranking; finish an interrupted one with `srbench resume %s`, or choose another --out", cfg.OutDir, cfg.OutDir)
		}
		if _, err := os.Stat(scoresPath); err == nil {
			return nil, fmt.Errorf("leaderboard directory %s already holds %s; choose another --out", cfg.OutDir, results.GalleryScoresFile)
		}
	}
	if err := os.MkdirAll(cfg.OutDir, 0o755); err != nil {
		return nil, fmt.Errorf("leaderboard directory: %w", err)
	}
	unlock, err := LockRunDir(cfg.OutDir, "srbench rank")
	if err != nil {
		return nil, err
	}
	defer unlock()

	gHash, err := gallery.Hash(cfg.Gallery)
	if err != nil {
		return nil, err
	}
	root, err := galleryRoot(cfg.Gallery)
	if err != nil {
		return nil, fmt.Errorf("gallery: %w", err)
	}
	// Check the whole gallery before starting any plugin: a malformed line
	// stops here, with its file and line, not after an hour of scoring.
	checked, err := gallery.Check(cfg.Gallery)
	if err != nil {
		return nil, err
	}
	done := 0
	if cfg.Resume {
		if done, err = recoverGalleryJournal(scoresPath, cfg.Gallery); err != nil {
			return nil, err
		}
	}

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	runs, err := launchScorers(ctx, cfg.Scorers, launch)
	for _, r := range runs {
		if r != nil {
			defer r.sc.Kill()
		}
	}
	if err != nil {
		return nil, err
	}
	id := identityOf(gHash, runs)
	if was != nil && was.Identity != nil {
		if changes := identityChanges(was.Identity, id); len(changes) > 0 {
			return nil, &ChangedError{RunDir: cfg.OutDir, Changes: changes}
		}
	}
	cfg.Identity = id
	if err := atomicfile.WriteJSON(journal, &cfg); err != nil {
		return nil, err
	}

	limits := &dataset.ImageLimits{Root: root, AllowOutside: cfg.AllowOutsideImages, MaxBytes: cfg.MaxImageBytes}
	chunks := make(chan galleryChunk, 1)
	var producer sync.WaitGroup
	var gst gallery.Stats
	producer.Go(func() {
		gst = produceGallery(ctx, cfg.Gallery, done, cmp.Or(cfg.ChunkImages, 256), cfg.Cache != nil, limits, chunks)
	})
	defer func() {
		cancel()
		producer.Wait()
	}()

	sf, err := os.OpenFile(scoresPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, err
	}
	defer sf.Close()
	sw := bufio.NewWriterSize(sf, 1<<20)
	enc := json.NewEncoder(sw)
	if cfg.Progress != nil {
		cfg.Progress(done, checked.Images)
	}
	reproducible := Reproducible()
	for ch := range chunks {
		if ch.err != nil {
			return nil, ch.err
		}
		res, err := scoreAll(ctx, runs, cfg.Cache, ch.items, ch.keys, ch.refused)
		if err != nil {
			return nil, err
		}
		for k, im := range ch.images {
			line := results.GalleryScore{Index: done + k, PromptID: im.PromptID, Prompt: im.Prompt, Generator: im.Generator,
				Sample: im.Sample, Image: im.Name, Path: im.Path, Scores: make(map[string]results.ImageScore, len(runs))}
			if reproducible {
				line.Path = ""
			}
			if im.HasTruth() {
				t := im.Truth
				line.Truth = &t
			}
			for i, r := range runs {
				x := res[i][k]
				if x.Failed() {
					line.Scores[r.spec.Name] = results.ImageScore{Error: x.Err}
				} else {
					s := x.Score
					line.Scores[r.spec.Name] = results.ImageScore{Score: &s}
				}
			}
			if err := enc.Encode(&line); err != nil {
				return nil, err
			}
		}
		if err := commitJournal(sw, sf); err != nil {
			return nil, err
		}
		done += len(ch.images)
		if cfg.Progress != nil {
			cfg.Progress(done, checked.Images)
		}
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := sf.Close(); err != nil {
		return nil, err
	}
	producer.Wait()

	lb := &results.Leaderboard{
		SchemaVersion: results.LeaderboardSchemaVersion,
		Kind:          results.LeaderboardKind,
		Benchmark:     cfg.Benchmark,
		Gallery: results.GalleryInfo{
			Format: string(gst.Format), Path: cfg.Gallery, SHA256: gHash, NImages: gst.Images, NPrompts: gst.Prompts,
			NTruth: gst.Truth, Generators: gst.Generators, MissingByGenerator: gst.Summary.MissingByGenerator,
			NUnequalPrompts: gst.Summary.Unequal, MaxSamples: gst.Summary.MaxSamples,
			Skipped: gst.Skipped, SkipReasons: gst.SkipReasons, Warnings: gst.Warnings(),
		},
		Notes: cfg.Notes,
		Provenance: results.Provenance{
			Command: cfg.Command, GoVersion: runtime.Version(), Srbench: cfg.Version, Commit: cfg.Commit,
			StartedAt: start.UTC().Format(time.RFC3339), Resumed: cfg.Resume,
			AllowUnpinned: cfg.AllowUnpinned, AllowOutsideImages: cfg.AllowOutsideImages,
			MaxImageBytes: cmp.Or(cfg.MaxImageBytes, dataset.DefaultMaxImageBytes),
		},
	}
	for _, r := range runs {
		lb.Judges = append(lb.Judges, results.Judge{
			Name: r.spec.Name, Kind: "scorer", ScorerKind: r.desc.Kind, Variant: r.desc.Variant, Version: r.desc.Version,
			Fingerprint: r.desc.Fingerprint, PluginSHA256: r.sc.BinarySHA256(), PluginPinned: r.sc.Pinned(), ModelDir: r.desc.ModelDir,
		})
	}
	recordScoring(&lb.Provenance, runs)
	if gst.Truth > 0 {
		lb.Judges = append(lb.Judges, results.Judge{Name: results.TruthJudge, Kind: "truth"})
	}
	if err := AnalyzeGallery(cfg.OutDir, lb, cfg.Stats); err != nil {
		return nil, fmt.Errorf("analyze: %w", err)
	}
	lb.Provenance.Seconds = time.Since(start).Seconds()
	if reproducible {
		lb.Provenance.StartedAt, lb.Provenance.Seconds, lb.Provenance.Commit = ReproducibleTime, 0, ""
		lb.Gallery.Path = relToWD(lb.Gallery.Path)
		for i := range lb.Extremes {
			for _, xs := range [][]results.GalleryImage{lb.Extremes[i].Best, lb.Extremes[i].Worst} {
				for k := range xs {
					xs[k].Path = relToWD(xs[k].Path)
				}
			}
		}
		for i := range lb.Judges {
			lb.Judges[i].ModelDir = relToWD(lb.Judges[i].ModelDir)
		}
	}
	if err := atomicfile.WriteJSON(filepath.Join(cfg.OutDir, results.LeaderboardFile), lb); err != nil {
		return nil, err
	}
	return lb, nil
}

// ReadRankJournalAny reads the configuration a ranking recorded in dir,
// finished or not.
func ReadRankJournalAny(dir string) (RankConfig, error) {
	var cfg RankConfig
	b, err := os.ReadFile(filepath.Join(dir, RankJournalName))
	if err != nil {
		return cfg, err
	}
	if err := json.Unmarshal(b, &cfg); err != nil {
		return cfg, fmt.Errorf("%s: %w", filepath.Join(dir, RankJournalName), err)
	}
	return cfg, nil
}

// ReadRankJournal reads the configuration an interrupted ranking recorded
// in dir (srbench resume); a finished ranking is an error.
func ReadRankJournal(dir string) (RankConfig, error) {
	cfg, err := ReadRankJournalAny(dir)
	if err != nil {
		return cfg, fmt.Errorf("resume %s: no ranking to finish there (%w)", dir, err)
	}
	if _, err := os.Stat(filepath.Join(dir, results.LeaderboardFile)); err == nil {
		return cfg, fmt.Errorf("resume %s: the ranking is finished (%s exists); rank again into another --out", dir, results.LeaderboardFile)
	}
	return cfg, nil
}

// sameRanking refuses to resume a ranking with a different gallery or
// scorers.
func sameRanking(was, now *RankConfig) error {
	if was.Gallery != now.Gallery {
		return fmt.Errorf("the ranking was of gallery %s, not %s", was.Gallery, now.Gallery)
	}
	if len(was.Scorers) != len(now.Scorers) {
		return fmt.Errorf("the ranking had %d scorers, now %d", len(was.Scorers), len(now.Scorers))
	}
	for i := range was.Scorers {
		if was.Scorers[i].Name != now.Scorers[i].Name || was.Scorers[i].PluginName() != now.Scorers[i].PluginName() {
			return fmt.Errorf("scorer %d was %q (plugin %s), now %q (plugin %s)", i+1, was.Scorers[i].Name, was.Scorers[i].PluginName(),
				now.Scorers[i].Name, now.Scorers[i].PluginName())
		}
	}
	return nil
}

// errStopGallery stops the gallery stream when the ranking is cancelled.
var errStopGallery = errors.New("ranking cancelled")

// produceGallery streams the gallery from image skip on, in chunks of size
// images, with their items, refusals and (hash) cache keys, and returns the
// loader's statistics.
func produceGallery(ctx context.Context, path string, skip, size int, hash bool, limits *dataset.ImageLimits, out chan<- galleryChunk) gallery.Stats {
	defer close(out)
	imageHash := map[string]string{}
	checked := map[string]string{}
	var ch galleryChunk
	n := 0
	send := func() bool {
		select {
		case out <- ch:
			ch = galleryChunk{}
			return true
		case <-ctx.Done():
			return false
		}
	}
	st, err := gallery.Stream(path, func(im gallery.Image) error {
		n++
		if n <= skip {
			return nil
		}
		ref := dataset.ImageRef{Name: im.Name, Path: im.Path}
		ch.images = append(ch.images, im)
		ch.items = append(ch.items, scorer.Item{ID: strconv.Itoa(n - 1), Prompt: im.Prompt, ImagePath: im.Path})
		why := refusal(ref, limits, checked)
		ch.refused = append(ch.refused, why)
		if hash {
			k := itemKey{prompt: hashString(im.Prompt)}
			if why == "" {
				k.image = contentHash(ref, limits, imageHash)
			}
			ch.keys = append(ch.keys, k)
		}
		if len(ch.images) == size && !send() {
			return errStopGallery
		}
		return nil
	})
	switch {
	case errors.Is(err, errStopGallery):
	case err != nil:
		ch = galleryChunk{err: err}
		send()
	case len(ch.images) > 0:
		send()
	}
	return st
}

// recoverGalleryJournal keeps the complete lines of images.jsonl
// (truncating a torn last line), checks that they are the gallery's first
// images in order, and returns how many there are.
func recoverGalleryJournal(path, galleryPath string) (int, error) {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if errors.Is(err, os.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	defer f.Close()
	r := bufio.NewReaderSize(f, 1<<20)
	var good int64
	n, ended := 0, false
	// next reads the next complete journal line; ok is false at the end
	// (a torn last line, without its newline, is the end).
	next := func() (s results.GalleryScore, ok bool, err error) {
		b, err := r.ReadBytes('\n')
		if errors.Is(err, io.EOF) {
			return s, false, nil
		}
		if err != nil {
			return s, false, err
		}
		if err := json.Unmarshal(b, &s); err != nil {
			return s, false, fmt.Errorf("%s: line %d: %w (not a journal srbench rank wrote)", path, n+1, err)
		}
		good += int64(len(b))
		return s, true, nil
	}
	_, err = gallery.Stream(galleryPath, func(im gallery.Image) error {
		l, ok, err := next()
		if err != nil {
			return err
		}
		if !ok {
			ended = true
			return errStopGallery
		}
		if l.PromptID != im.PromptID || l.Generator != im.Generator || l.Sample != im.Sample {
			return fmt.Errorf("%s: line %d is prompt %q, generator %q, sample %d, but the gallery's image %d is prompt %q, generator %q, sample %d: the gallery changed",
				path, n+1, l.PromptID, l.Generator, l.Sample, n+1, im.PromptID, im.Generator, im.Sample)
		}
		n++
		return nil
	})
	if err != nil && !errors.Is(err, errStopGallery) {
		return 0, err
	}
	if !ended {
		if _, more, err := next(); err != nil || more {
			return 0, cmp.Or(err, fmt.Errorf("%s: more lines than the gallery's %d images: the gallery changed", path, n))
		}
	}
	if err := f.Truncate(good); err != nil {
		return 0, err
	}
	return n, nil
}

// maxJudges is the most judges (scorers and the truth) of one ranking.
const maxJudges = 16

// finite reports whether x is a finite number.
func finite(x float64) bool { return !math.IsNaN(x) && !math.IsInf(x, 0) }
