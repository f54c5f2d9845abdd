package bench

import (
	"bufio"
	"bytes"
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
	"strings"
	"sync"
	"time"

	"github.com/srbench/srbench/harness/dataset"
	"github.com/srbench/srbench/harness/results"
	"github.com/srbench/srbench/harness/scorer"
	"github.com/srbench/srbench/internal/atomicfile"
)

// ScorerSpec names one scorer in a run.
type ScorerSpec struct {
	// Name is the scorer's key in results and, unless Plugin is set, the
	// plugin name (its binary's file name).
	Name string `json:"name"`
	// Plugin names the plugin when it differs from Name, so one plugin can
	// run twice with different models or options (e.g. clipscore-cosine).
	Plugin string `json:"plugin,omitempty"`
	// ModelDir is the model directory; "" = <models root>/<Name>.
	ModelDir string `json:"model_dir,omitempty"`
	// Options are scorer-specific (e.g. variant).
	Options map[string]string `json:"options,omitempty"`
	// BatchSize is items per Score call; 0 = the plugin's preference.
	BatchSize int `json:"batch_size,omitempty"`
	// Threads is ONNX Runtime intra-op threads; 0 = runtime default.
	Threads int `json:"threads,omitempty"`
	// Provider is "cpu" (default) or "cuda".
	Provider string `json:"provider,omitempty"`
	// MaxImageBytes and DecodeMemoryBytes are the plugin's limits on
	// untrusted input (scorer.Config); 0 = the plugin's defaults. Run sets
	// MaxImageBytes from Config.MaxImageBytes.
	MaxImageBytes     int64 `json:"max_image_bytes,omitempty"`
	DecodeMemoryBytes int64 `json:"decode_memory_bytes,omitempty"`
}

// Ranges accepted for a scorer's batch size and threads.
const (
	// MaxBatchSize is the largest batch size accepted.
	MaxBatchSize = 1024
	// MaxThreadsPerCPU times the CPUs available is the most ONNX Runtime
	// threads accepted per plugin.
	MaxThreadsPerCPU = 4
)

// Launcher starts a configured scorer. The CLI passes one backed by
// harness/host; tests can pass in-process scorers.
// Run calls it for all scorers at once, so it must be safe for concurrent
// use.
type Launcher func(ctx context.Context, spec ScorerSpec) (Plugin, error)

// Config describes a run.
type Config struct {
	Benchmark results.Benchmark `json:"benchmark"`
	Dataset   dataset.Spec      `json:"dataset"`
	Scorers   []ScorerSpec      `json:"scorers"`
	// OutDir is the run directory (created; must not hold a previous run
	// unless Resume is set).
	OutDir string `json:"-"`
	// ChunkPairs is how many pairs are read and scored together; 0 = 256.
	ChunkPairs int `json:"chunk_pairs"`
	// MaxImageBytes is the largest image file read (dataset.ImageLimits);
	// 0 = dataset.DefaultMaxImageBytes, negative = no limit.
	MaxImageBytes int64 `json:"max_image_bytes,omitempty"`
	// AllowOutsideImages lets images resolve (through symbolic links)
	// outside the images root.
	AllowOutsideImages bool `json:"allow_outside_images,omitempty"`
	// AllowUnpinned records that the launcher accepts unpinned plugins
	// (--allow-unpinned); it goes into results.json.
	AllowUnpinned bool `json:"allow_unpinned,omitempty"`
	// Command is recorded in provenance.
	Command []string `json:"command"`
	// Version is srbench's version and Commit the source revision, recorded in provenance.
	Version string `json:"version"`
	Commit  string `json:"commit,omitempty"`
	// Notes are recorded in results (e.g. "synthetic data, demo models").
	Notes []string `json:"notes,omitempty"`
	// Analyze chooses the statistics (policy, bootstrap).
	Analyze AnalyzeOptions `json:"analyze"`
	// Shard, when set, scores only that shard's pairs (see ShardOf); the
	// journal, resume, cache and lock work as for a whole run.
	Shard *results.Shard `json:"shard,omitempty"`
	// Cache, if set, serves and stores scores (see Cache).
	Cache *Cache `json:"-"`
	// Progress, if set, is called after each chunk with pairs done so far.
	Progress func(pairsDone int) `json:"-"`
	// ModelsRoot and PluginDir are where the launcher found models and
	// plugins, recorded so that srbench resume needs no flag repeated (the CLI
	// also resolves every scorer's ModelDir to an absolute path).
	ModelsRoot string `json:"models_root,omitempty"`
	PluginDir  string `json:"plugin_dir,omitempty"`
	// Identity is what the run scores with, recorded once the scorers are
	// launched; Resume refuses to go on when any of it changed.
	Identity *RunIdentity `json:"identity,omitempty"`
}

// RunIdentity pins what a run's scores depend on: the dataset's content and
// each scorer's binary, model, variant and runtime.
type RunIdentity struct {
	DatasetSHA256 string           `json:"dataset_sha256"`
	Scorers       []ScorerIdentity `json:"scorers"`
}

// ScorerIdentity is one scorer of a RunIdentity.
type ScorerIdentity struct {
	Name         string `json:"name"`
	PluginSHA256 string `json:"plugin_sha256,omitempty"`
	Version      string `json:"version"`
	Fingerprint  string `json:"fingerprint"`
	Variant      string `json:"variant"`
	Runtime      string `json:"runtime,omitempty"`
	Provider     string `json:"provider,omitempty"`
	ModelDir     string `json:"model_dir,omitempty"`
}

// ChangedError is a resumed run whose inputs changed since it started.
type ChangedError struct {
	RunDir string
	// Changes says what changed, one entry per difference.
	Changes []string
}

func (e *ChangedError) Error() string {
	return fmt.Sprintf("resume %s: refused, the run's inputs changed since it started, so finishing it would mix scores of different inputs:\n  %s\nstart a new run (srbench run ... --out NEW_DIR), or restore the inputs",
		e.RunDir, strings.Join(e.Changes, "\n  "))
}

// ReproducibleEnv, when set to 1, makes results.json byte-identical across
// reruns of the same benchmark: the start time is ReproducibleTime, the
// duration 0 and the commit left out. Used for the committed example report.
const ReproducibleEnv = "SRBENCH_REPRODUCIBLE"

// ReproducibleTime is the start time recorded in reproducible mode.
const ReproducibleTime = "2000-01-01T00:00:00Z"

// Reproducible reports whether ReproducibleEnv is set to 1.
func Reproducible() bool { return os.Getenv(ReproducibleEnv) == "1" }

// JournalName is the run configuration snapshot that makes a run resumable.
const JournalName = "run.json"

// Run executes the benchmark and writes the run directory. samples.jsonl is
// the journal: it is appended and synced chunk by chunk, so a killed run
// can be finished with Resume.
func Run(ctx context.Context, cfg Config, launch Launcher) (*results.Results, error) {
	_, statErr := os.Stat(cfg.OutDir)
	created := errors.Is(statErr, os.ErrNotExist)
	if err := os.MkdirAll(cfg.OutDir, 0o755); err != nil {
		return nil, fmt.Errorf("run directory: %w", err)
	}
	unlock, err := LockRunDir(cfg.OutDir, "srbench run")
	if err != nil {
		return nil, err
	}
	defer unlock()
	if _, err := os.Stat(filepath.Join(cfg.OutDir, "results.json")); err == nil {
		return nil, fmt.Errorf("run directory %s already holds a finished run (results.json); choose another --out", cfg.OutDir)
	}
	if _, err := os.Stat(filepath.Join(cfg.OutDir, JournalName)); err == nil {
		return nil, fmt.Errorf("run directory %s holds an unfinished run; finish it with `srbench resume %s` or choose another --out", cfg.OutDir, cfg.OutDir)
	}
	if err := Validate(&cfg); err != nil {
		return nil, err
	}
	cfg.Identity = nil
	if err := results.WriteJSON(filepath.Join(cfg.OutDir, JournalName), &cfg); err != nil {
		return nil, err
	}
	res, err := execute(ctx, cfg, launch, false)
	if err != nil {
		discardUnstarted(cfg.OutDir, created)
	}
	return res, err
}

// discardUnstarted removes the journal of a run that failed before scoring
// any pair (e.g. a scorer that did not launch), and the run directory when
// this run created it and nothing else is in it, so that the same --out can
// be used again instead of holding a run with nothing to resume.
func discardUnstarted(dir string, created bool) {
	discardJournal(dir, results.SamplesFile, JournalName, created)
}

// discardJournal removes a run's (or ranking's) journal files when nothing
// was scored into them (scores empty or missing), with the lock and, when
// this command created it and nothing else is in it, the directory.
func discardJournal(dir, scores, journal string, created bool) {
	if st, err := os.Stat(filepath.Join(dir, scores)); err == nil && st.Size() > 0 {
		return
	}
	os.Remove(filepath.Join(dir, scores))
	os.Remove(filepath.Join(dir, journal))
	os.Remove(filepath.Join(dir, LockName))
	if created {
		os.Remove(dir) // only if empty
	}
}

// ReadJournal reads the run configuration a run directory was started with
// (run.json), e.g. to find the plugin directory before Resume.
func ReadJournal(runDir string) (Config, error) {
	path := filepath.Join(runDir, JournalName)
	b, err := os.ReadFile(path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			if _, serr := os.Stat(filepath.Join(runDir, "results.json")); serr == nil {
				return Config{}, fmt.Errorf("resume %s: the run is finished (results.json exists); nothing to resume", runDir)
			}
			return Config{}, fmt.Errorf("resume %s: no %s: this is not a run directory started by srbench run", runDir, JournalName)
		}
		return Config{}, fmt.Errorf("resume %s: %w", runDir, err)
	}
	var cfg Config
	if err := json.Unmarshal(b, &cfg); err != nil {
		return Config{}, fmt.Errorf("resume: %s: %w", path, err)
	}
	return cfg, nil
}

// Resume finishes a run that was interrupted: it reads the configuration
// from the run directory's journal, keeps the pairs already in
// samples.jsonl (dropping a torn last line) without rescoring them, and
// scores the rest. cache and progress are the only settings taken from the
// caller.
func Resume(ctx context.Context, runDir string, cache *Cache, progress func(int), launch Launcher) (*results.Results, error) {
	unlock, err := LockRunDir(runDir, "srbench resume")
	if err != nil {
		return nil, err
	}
	defer unlock()
	if _, err := os.Stat(filepath.Join(runDir, "results.json")); err == nil {
		return nil, fmt.Errorf("run directory %s is already finished (results.json exists)", runDir)
	}
	cfg, err := ReadJournal(runDir)
	if err != nil {
		return nil, err
	}
	cfg.OutDir, cfg.Cache, cfg.Progress = runDir, cache, progress
	if err := Validate(&cfg); err != nil {
		return nil, err
	}
	return execute(ctx, cfg, launch, true)
}

// Validate checks a configuration before a run (scorers named once,
// batch sizes, threads, limits and alpha in range) and fills defaults.
func Validate(cfg *Config) error {
	if len(cfg.Scorers) == 0 {
		return errors.New("no scorers: name at least one (--scorers)")
	}
	seen := map[string]bool{}
	maxThreads := MaxThreadsPerCPU * runtime.NumCPU()
	for i := range cfg.Scorers {
		s := &cfg.Scorers[i]
		if s.Name == "" {
			return errors.New("a scorer has no name")
		}
		if seen[s.Name] {
			return fmt.Errorf("scorer %q is listed twice", s.Name)
		}
		seen[s.Name] = true
		if s.BatchSize < 0 || s.BatchSize > MaxBatchSize {
			return fmt.Errorf("scorer %q: batch size %d (--batch-size, batch_size): want 1 to %d, or 0 for the plugin's preference", s.Name, s.BatchSize, MaxBatchSize)
		}
		if s.Threads < 0 || s.Threads > maxThreads {
			return fmt.Errorf("scorer %q: %d threads (--threads, threads): want 1 to %d (%d per CPU on this machine's %d), or 0 for the runtime's default",
				s.Name, s.Threads, maxThreads, MaxThreadsPerCPU, runtime.NumCPU())
		}
		if s.MaxImageBytes == 0 {
			s.MaxImageBytes = cfg.MaxImageBytes
		}
	}
	if cfg.MaxImageBytes < -1 {
		return fmt.Errorf("max image bytes %d (--max-image-bytes): want a size, or -1 for no limit", cfg.MaxImageBytes)
	}
	if a := cfg.Analyze.Alpha; a != 0 && !(a > 0 && a < 1) {
		return fmt.Errorf("alpha %v (--alpha, alpha): want a level between 0 and 1, e.g. 0.05", a)
	}
	if cfg.ChunkPairs <= 0 {
		cfg.ChunkPairs = 256
	}
	if cfg.Shard != nil {
		if err := ValidateShard(*cfg.Shard); err != nil {
			return fmt.Errorf("--shard: %w", err)
		}
	}
	return nil
}

// running is one launched scorer.
type running struct {
	spec      ScorerSpec
	sc        Plugin
	desc      scorer.Description
	cacheKey  string
	scored    int // items sent to the plugin
	fromCache int // items served by the cache
	clock     scoringClock
}

// CallsInFlight is how many Score calls the runner keeps in flight per
// scorer: two, so that a plugin can decode the images of one call while its
// model runs the previous one (the contract allows concurrent calls; the
// srbench plugins run their models one call at a time).
const CallsInFlight = 2

// scoringClock measures a scorer's time in Score calls: the wall time
// during which at least one call was in flight (overlapping calls are
// counted once), and the first call's own duration.
type scoringClock struct {
	mu       sync.Mutex
	t        results.ScoringTime
	inFlight int
	since    time.Time // when inFlight last went from 0 to 1
	first    time.Time // when the first call started
}

func (c *scoringClock) start() {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := time.Now()
	if c.inFlight == 0 {
		c.since = now
	}
	if c.first.IsZero() {
		c.first = now
	}
	c.inFlight++
}

func (c *scoringClock) stop(items int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := time.Now()
	if c.t.Calls == 0 {
		c.t.FirstCallSeconds, c.t.FirstCallItems = now.Sub(c.first).Seconds(), items
	}
	c.t.Calls++
	c.t.Items += items
	c.inFlight--
	if c.inFlight == 0 {
		c.t.Seconds += now.Sub(c.since).Seconds()
	}
}

// timing returns what the clock measured.
func (c *scoringClock) timing() results.ScoringTime {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// chunk is a batch of pairs with their items and cache keys.
type chunk struct {
	pairs []dataset.Pair
	items []scorer.Item
	keys  []itemKey
	// refused[i] is why item i may not be read (dataset.ImageLimits);
	// such an item fails without reaching a plugin.
	refused []string
	err     error
}

func execute(ctx context.Context, cfg Config, launch Launcher, resumed bool) (*results.Results, error) {
	start := time.Now()
	dsHash, err := dataset.Hash(cfg.Dataset.Path)
	if err != nil {
		return nil, fmt.Errorf("dataset: %w", err)
	}
	if resumed && cfg.Identity != nil && cfg.Identity.DatasetSHA256 != dsHash {
		return nil, &ChangedError{RunDir: cfg.OutDir, Changes: []string{fmt.Sprintf(
			"dataset %s: sha256 %s when the run started, %s now", cfg.Dataset.Path, cfg.Identity.DatasetSHA256, dsHash)}}
	}
	src, err := openShard(cfg.Dataset, cfg.Shard)
	if err != nil {
		return nil, err
	}
	defer src.Close()

	samplesPath := filepath.Join(cfg.OutDir, "samples.jsonl")
	done := 0
	if resumed {
		if done, err = recoverJournal(samplesPath, src, len(cfg.Scorers)); err != nil {
			return nil, err
		}
	}
	// The producer reads and hashes the first chunk while the scorers start,
	// and then the next chunk while this one scores.
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	chunks := make(chan chunk, 1)
	root, err := dataset.ImagesRoot(cfg.Dataset)
	if err != nil {
		return nil, err
	}
	limits := &dataset.ImageLimits{Root: root, AllowOutside: cfg.AllowOutsideImages, MaxBytes: cfg.MaxImageBytes}
	// The producer reads src: it must be gone before src is closed (the
	// deferred Close above runs after this).
	var producer sync.WaitGroup
	producer.Go(func() { produce(ctx, src, cfg.ChunkPairs, cfg.Cache != nil, limits, chunks) })
	defer func() {
		cancel()
		producer.Wait()
	}()

	runs, err := launchScorers(ctx, cfg.Scorers, launch)
	for _, r := range runs {
		if r != nil {
			defer r.sc.Kill()
		}
	}
	if err != nil {
		return nil, err
	}
	id := identityOf(dsHash, runs)
	switch {
	case resumed && cfg.Identity != nil:
		if changes := identityChanges(cfg.Identity, id); len(changes) > 0 {
			return nil, &ChangedError{RunDir: cfg.OutDir, Changes: changes}
		}
	default:
		// Record what this run scores with before the first sample.
		cfg.Identity = id
		if err := atomicfile.WriteJSON(filepath.Join(cfg.OutDir, JournalName), &cfg); err != nil {
			return nil, err
		}
	}

	sf, err := os.OpenFile(samplesPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, err
	}
	defer sf.Close()
	sw := bufio.NewWriterSize(sf, 1<<20)
	enc := json.NewEncoder(sw)

	if cfg.Progress != nil && done > 0 {
		cfg.Progress(done)
	}
	for ch := range chunks {
		if ch.err != nil {
			return nil, ch.err
		}
		chunkRes, err := scoreAll(ctx, runs, cfg.Cache, ch.items, ch.keys, ch.refused)
		if err != nil {
			return nil, err
		}
		for k, p := range ch.pairs {
			s := sampleOf(p)
			for i, r := range runs {
				a, b := chunkRes[i][2*k], chunkRes[i][2*k+1]
				ss := results.SampleScore{A: a.Score, B: b.Score}
				switch {
				case a.Failed():
					ss = results.SampleScore{Error: "image a: " + a.Err}
				case b.Failed():
					ss = results.SampleScore{Error: "image b: " + b.Err}
				}
				s.Scores[r.spec.Name] = ss
			}
			if err := enc.Encode(&s); err != nil {
				return nil, err
			}
		}
		// Commit the chunk to the journal before going on.
		if err := commitJournal(sw, sf); err != nil {
			return nil, err
		}
		done += len(ch.pairs)
		if cfg.Progress != nil {
			cfg.Progress(done)
		}
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := sf.Close(); err != nil {
		return nil, err
	}

	st := src.Stats()
	res := &results.Results{
		SchemaVersion: results.SchemaVersion,
		Benchmark:     cfg.Benchmark,
		Dataset: results.DatasetInfo{
			Format: string(st.Format), Path: cfg.Dataset.Path, SHA256: dsHash,
			NSkippedRows: st.Skipped, SkipReasons: st.SkipReasons,
			NFilteredRows: st.Filtered, FilterReasons: st.FilterReasons, Warnings: st.Warnings(),
			PairOrder: st.PairOrder,
		},
		Notes: cfg.Notes,
		Shard: cfg.Shard,
		Provenance: results.Provenance{
			Command: cfg.Command, GoVersion: runtime.Version(), Srbench: cfg.Version, Commit: cfg.Commit,
			StartedAt: start.UTC().Format(time.RFC3339), Resumed: resumed,
			AllowUnpinned: cfg.AllowUnpinned, AllowOutsideImages: cfg.AllowOutsideImages,
			MaxImageBytes: cmp.Or(cfg.MaxImageBytes, dataset.DefaultMaxImageBytes),
		},
	}
	if cfg.Shard != nil {
		res.Notes = append([]string{cfg.Shard.Note()}, cfg.Notes...)
	}
	for _, r := range runs {
		sr := results.ScorerResult{
			Name: r.spec.Name, Kind: r.desc.Kind, Variant: r.desc.Variant, Version: r.desc.Version,
			Fingerprint: r.desc.Fingerprint, Runtime: r.desc.Runtime, Provider: r.desc.Provider,
			Formula: r.desc.Formula, ModelDir: r.desc.ModelDir, Details: r.desc.Details,
			Preprocess: r.desc.Preprocessing, Tokenizer: r.desc.Tokenizer,
		}
		sr.Restarts = r.sc.Restarts()
		sr.PluginSHA256, sr.PluginPinned = r.sc.BinarySHA256(), r.sc.Pinned()
		res.Scorers = append(res.Scorers, sr)
	}
	recordScoring(&res.Provenance, runs)
	if err := Analyze(cfg.OutDir, res, cfg.Analyze); err != nil {
		return nil, fmt.Errorf("analyze: %w", err)
	}
	res.Provenance.Seconds = time.Since(start).Seconds()
	if Reproducible() {
		res.Provenance.StartedAt, res.Provenance.Seconds, res.Provenance.Commit = ReproducibleTime, 0, ""
		for i := range res.Scorers {
			res.Scorers[i].ModelDir = relToWD(res.Scorers[i].ModelDir)
			for _, k := range scorer.MachineDetails {
				delete(res.Scorers[i].Details, k)
			}
		}
		res.Dataset.Path = relToWD(res.Dataset.Path)
		res.Benchmark.Spec = relToWD(res.Benchmark.Spec)
	}
	if err := results.WriteJSON(filepath.Join(cfg.OutDir, "results.json"), res); err != nil {
		return nil, err
	}
	return res, nil
}

// launchScorers starts the scorers concurrently and describes them; errors
// are reported in spec order. Every scorer that started is in the result
// (nil for those that did not), even with an error: the caller kills them.
func launchScorers(ctx context.Context, specs []ScorerSpec, launch Launcher) ([]*running, error) {
	runs := make([]*running, len(specs))
	errs := make([]error, len(specs))
	var wg sync.WaitGroup
	for i, spec := range specs {
		wg.Go(func() {
			sc, err := launch(ctx, spec)
			if err != nil {
				errs[i] = fmt.Errorf("scorer %q: %w", spec.Name, err)
				return
			}
			runs[i] = &running{spec: spec, sc: sc}
			d, err := sc.Describe(ctx, scorer.DescribeRequest{})
			if err != nil {
				errs[i] = fmt.Errorf("scorer %q: describe: %w", spec.Name, err)
				return
			}
			if spec.BatchSize <= 0 {
				spec.BatchSize = d.PreferredBatchSize
			}
			if spec.BatchSize <= 0 {
				spec.BatchSize = 16
			}
			runs[i].spec, runs[i].desc, runs[i].cacheKey = spec, d, ScorerKey(d, sc.BinarySHA256(), spec.Options)
		})
	}
	wg.Wait()
	return runs, errors.Join(errs...)
}

// scoreAll scores one chunk's items with every scorer at once.
func scoreAll(ctx context.Context, runs []*running, cache *Cache, items []scorer.Item, keys []itemKey, refused []string) ([][]scorer.Result, error) {
	res := make([][]scorer.Result, len(runs))
	errs := make([]error, len(runs))
	var wg sync.WaitGroup
	for i, r := range runs {
		wg.Go(func() { res[i], errs[i] = r.score(ctx, cache, items, keys, refused) })
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			return nil, fmt.Errorf("scorer %q: %w", runs[i].spec.Name, err)
		}
	}
	return res, nil
}

// recordScoring adds what the scorers' plugins measured to prov: peak
// memory and scoring time (not in reproducible mode: they vary between
// runs) and the items the cache served.
func recordScoring(prov *results.Provenance, runs []*running) {
	for _, r := range runs {
		if peak := r.sc.PeakRSS(); peak > 0 && !Reproducible() {
			if prov.PluginPeakRSS == nil {
				prov.PluginPeakRSS = map[string]int64{}
			}
			prov.PluginPeakRSS[r.spec.Name] = peak
		}
		if t := r.clock.timing(); t.Calls > 0 && !Reproducible() {
			if prov.Scoring == nil {
				prov.Scoring = map[string]results.ScoringTime{}
			}
			prov.Scoring[r.spec.Name] = t
		}
		prov.Cached += r.fromCache
	}
}

// commitJournal flushes a journal's buffered lines and syncs its file, so
// that a chunk is on disk before the next one is scored.
func commitJournal(w *bufio.Writer, f *os.File) error {
	if err := w.Flush(); err != nil {
		return err
	}
	return f.Sync()
}

// identityOf is what runs score with, on the data whose sha256 is dsHash.
func identityOf(dsHash string, runs []*running) *RunIdentity {
	id := &RunIdentity{DatasetSHA256: dsHash}
	for _, r := range runs {
		id.Scorers = append(id.Scorers, ScorerIdentity{Name: r.spec.Name, Version: r.desc.Version, Fingerprint: r.desc.Fingerprint,
			Variant: r.desc.Variant, Runtime: r.desc.Runtime, Provider: r.desc.Provider, ModelDir: r.spec.ModelDir,
			PluginSHA256: r.sc.BinarySHA256()})
	}
	return id
}

func sampleOf(p dataset.Pair) results.Sample {
	s := results.Sample{
		Index: p.Index, ID: p.ID, PromptID: p.PromptID, Prompt: p.Prompt,
		ImageA: p.A.Name, ImageB: p.B.Name, Label: p.Label.String(), Weight: p.Weight,
		Scores: map[string]results.SampleScore{},
	}
	if !math.IsNaN(p.Strength) {
		v := p.Strength
		s.Strength = &v
	}
	return s
}

// produce reads chunks of pairs, builds their items, checks every image
// against limits (an image that may not be read fails per item, before any
// plugin sees it) and (with a cache) hashes prompts and image contents.
func produce(ctx context.Context, src dataset.Source, size int, hash bool, limits *dataset.ImageLimits, out chan<- chunk) {
	defer close(out)
	imageHash := map[string]string{} // path -> content hash, for this run
	checked := map[string]string{}   // path -> why it may not be read ("" = fine), for this run
	for {
		var ch chunk
		for len(ch.pairs) < size {
			p, err := src.Next()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				ch.err = err
				break
			}
			ch.pairs = append(ch.pairs, p)
			for _, side := range [2]struct {
				im   dataset.ImageRef
				name string
			}{{p.A, "a"}, {p.B, "b"}} {
				ch.items = append(ch.items, scorer.Item{ID: p.ID + "/" + side.name, Prompt: p.Prompt, ImagePath: side.im.Path, ImageBytes: side.im.Bytes})
				why := refusal(side.im, limits, checked)
				ch.refused = append(ch.refused, why)
				if hash {
					k := itemKey{prompt: hashString(p.Prompt)}
					if why == "" {
						k.image = contentHash(side.im, limits, imageHash)
					}
					ch.keys = append(ch.keys, k)
				}
			}
		}
		if len(ch.pairs) == 0 && ch.err == nil {
			return
		}
		select {
		case out <- ch:
		case <-ctx.Done():
			return
		}
		if ch.err != nil || len(ch.pairs) < size {
			return
		}
	}
}

// refusal says why an image may not be read under limits ("" when it may),
// remembering the answer per path for the run.
func refusal(im dataset.ImageRef, limits *dataset.ImageLimits, memo map[string]string) string {
	if im.Bytes != nil {
		if max := limits.MaxBytes; max >= 0 && int64(len(im.Bytes)) > cmp.Or(max, dataset.DefaultMaxImageBytes) {
			return fmt.Sprintf("image %s: embedded image of %d bytes, more than the limit of %d (--max-image-bytes)", im.Name, len(im.Bytes), cmp.Or(max, dataset.DefaultMaxImageBytes))
		}
		return ""
	}
	if why, ok := memo[im.Path]; ok {
		return why
	}
	why := ""
	if err := limits.Check(im.Path); err != nil {
		why = err.Error()
	}
	if len(memo) < 1<<20 {
		memo[im.Path] = why
	}
	return why
}

// contentHash hashes an image's bytes (read within limits); "" when the
// file cannot be read (the scorer will report the per-item error, and
// nothing is cached).
func contentHash(im dataset.ImageRef, limits *dataset.ImageLimits, memo map[string]string) string {
	if im.Bytes != nil {
		return hashBytes(im.Bytes)
	}
	if h, ok := memo[im.Path]; ok {
		return h
	}
	b, err := limits.ReadFile(im.Path)
	if err != nil {
		return ""
	}
	h := hashBytes(b)
	if len(memo) < 1<<20 {
		memo[im.Path] = h
	}
	return h
}

// identityChanges lists how now differs from was.
func identityChanges(was, now *RunIdentity) []string {
	var out []string
	if was.DatasetSHA256 != now.DatasetSHA256 {
		out = append(out, fmt.Sprintf("dataset: sha256 %s, now %s", was.DatasetSHA256, now.DatasetSHA256))
	}
	old := map[string]ScorerIdentity{}
	for _, s := range was.Scorers {
		old[s.Name] = s
	}
	for _, s := range now.Scorers {
		o, ok := old[s.Name]
		if !ok {
			out = append(out, fmt.Sprintf("scorer %q was not in the run", s.Name))
			continue
		}
		for _, f := range []struct{ field, a, b string }{
			{"model fingerprint", o.Fingerprint, s.Fingerprint},
			{"variant", o.Variant, s.Variant},
			{"version", o.Version, s.Version},
			{"plugin binary sha256", o.PluginSHA256, s.PluginSHA256},
			{"runtime", o.Runtime, s.Runtime},
			{"provider", o.Provider, s.Provider},
		} {
			if f.a != f.b {
				out = append(out, fmt.Sprintf("scorer %q: %s %q, now %q", s.Name, f.field, f.a, f.b))
			}
		}
	}
	return out
}

// score scores items with the cache in front of the plugin.
func (r *running) score(ctx context.Context, cache *Cache, items []scorer.Item, keys []itemKey, refused []string) ([]scorer.Result, error) {
	out := make([]scorer.Result, len(items))
	todo := make([]int, 0, len(items))
	var scores []float64
	var found []bool
	if cache != nil {
		var err error
		if scores, found, err = cache.lookup(r.cacheKey, keys); err != nil {
			return nil, err
		}
	}
	for i := range items {
		switch {
		case refused[i] != "":
			out[i].Err = "refused: " + refused[i]
		case found != nil && found[i]:
			out[i].Score = scores[i]
			r.fromCache++
		default:
			todo = append(todo, i)
		}
	}
	// Up to CallsInFlight calls run at once, so that the plugin decodes
	// the images of one call while its model runs the previous one; their
	// results are handled in order.
	type call struct {
		idx  []int
		res  []scorer.Result
		err  error
		done chan struct{}
	}
	var calls []*call
	for lo := 0; lo < len(todo); lo += r.spec.BatchSize {
		calls = append(calls, &call{idx: todo[lo:min(lo+r.spec.BatchSize, len(todo))], done: make(chan struct{})})
	}
	sem := make(chan struct{}, CallsInFlight)
	cctx, cancel := context.WithCancel(ctx)
	go func() {
		for _, c := range calls {
			select {
			case sem <- struct{}{}:
			case <-cctx.Done():
				c.err = cctx.Err()
				close(c.done)
				continue
			}
			go func() {
				defer func() { <-sem }()
				defer close(c.done)
				batch := make([]scorer.Item, len(c.idx))
				for k, i := range c.idx {
					batch[k] = items[i]
				}
				r.clock.start()
				c.res, c.err = scorer.ScoreItems(cctx, r.sc, batch)
				r.clock.stop(len(batch))
			}()
		}
	}()
	// Returning early cancels the calls still running and waits for them,
	// so that none outlives this chunk.
	defer func() {
		cancel()
		for _, c := range calls {
			<-c.done
		}
	}()
	for _, c := range calls {
		<-c.done
		idx, res, err := c.idx, c.res, c.err
		if err == nil && len(res) != len(idx) {
			err = fmt.Errorf("the plugin returned %d results for %d items (the contract is one per item)", len(res), len(idx))
		}
		if err != nil {
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			// The whole call failed (a hung or crashed plugin that could not
			// be restarted, or an error for the whole batch): every item of
			// the batch is a recorded failure, and the run goes on.
			res = make([]scorer.Result, len(idx))
			for k := range res {
				res[k].Err = "plugin call failed: " + err.Error()
			}
		}
		r.scored += len(idx)
		for k, i := range idx {
			out[i] = res[k]
		}
		if cache != nil {
			bk := make([]itemKey, len(idx))
			for k, i := range idx {
				bk[k] = keys[i]
			}
			if err := cache.store(r.cacheKey, bk, res); err != nil {
				return nil, err
			}
		}
	}
	return out, nil
}

// recoverJournal keeps the complete lines of samples.jsonl (truncating a torn
// last line), checks they are the dataset's first pairs in order, and
// advances src past them. It returns how many pairs are done.
func recoverJournal(path string, src dataset.Source, nScorers int) (int, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	keep := bytes.LastIndexByte(b, '\n') + 1
	if keep < len(b) {
		if err := os.Truncate(path, int64(keep)); err != nil {
			return 0, fmt.Errorf("resume: dropping the torn last line of %s: %w", path, err)
		}
	}
	n := 0
	for line := range bytes.SplitSeq(b[:keep], []byte{'\n'}) {
		if len(line) == 0 {
			continue
		}
		var s results.Sample
		if err := json.Unmarshal(line, &s); err != nil {
			return 0, fmt.Errorf("resume: %s: line %d: %w", path, n+1, err)
		}
		p, err := src.Next()
		if err != nil {
			return 0, fmt.Errorf("resume: %s has more pairs than the dataset (%d): %w", path, n, err)
		}
		if s.Index != p.Index || s.ID != p.ID || len(s.Scores) != nScorers {
			return 0, fmt.Errorf("resume: %s: line %d is pair %d %q with %d scorers; the dataset's pair %d is %q and the run has %d scorers (did the dataset change?)",
				path, n+1, s.Index, s.ID, len(s.Scores), p.Index, p.ID, nScorers)
		}
		n++
	}
	return n, nil
}

// reasonKey groups failure messages: the text after the last ": " names the
// cause without the per-file part.
func reasonKey(msg string) string {
	if i := strings.LastIndex(msg, ": "); i >= 0 {
		return msg[i+2:]
	}
	return msg
}

// PrintTable writes the summary table: one line per scorer, most accurate
// first, "n/a" for a scorer with no counted pair, and "!" after a number a
// warning is about (see PrintWarnings).
func PrintTable(w io.Writer, r *results.Results) {
	flagged := map[string]map[string]bool{}
	for _, wa := range r.Warnings {
		if flagged[wa.Scorer] == nil {
			flagged[wa.Scorer] = map[string]bool{}
		}
		flagged[wa.Scorer][wa.Kind] = true
	}
	mark := func(name string, kinds ...string) string {
		for _, k := range kinds {
			if flagged[name][k] {
				return "!"
			}
		}
		return " "
	}
	// Name and variant columns as wide as their longest entry (at least 14 and 12).
	nw, vw := 14, 12
	for _, s := range r.Scorers {
		nw, vw = max(nw, len(s.Name)), max(vw, len(s.Variant))
	}
	fmt.Fprintf(w, "%-*s %-*s %9s   %-14s %7s %7s  %7s  %s\n", nw, "scorer", vw, "variant", "accuracy", "95% CI", "pairs", "ties", "failed", "fingerprint")
	for _, s := range results.SortedScorers(r) {
		fp := s.Fingerprint
		if len(fp) > 19 {
			fp = fp[:19]
		}
		acc, ci, ties := "n/a", "", "n/a"
		if a, ok := s.Acc(); ok {
			acc = fmt.Sprintf("%.2f%%", 100*a)
			if s.CI95 != nil {
				ci = fmt.Sprintf("[%5.1f, %5.1f]", 100*s.CI95[0], 100*s.CI95[1])
				if !results.IsBootstrap(s.CIMethod) {
					ci += "†"
				}
			}
			ties = fmt.Sprintf("%.1f%%", 100*s.PredictedTieRate)
		}
		fmt.Fprintf(w, "%-*s %-*s %9s%s  %-14s %7d %6s%s %7d%s  %s\n", nw, s.Name, vw, s.Variant,
			acc, mark(s.Name, results.WarnNoPairs, results.WarnPredictedTies), ci, s.NPairs,
			ties, mark(s.Name, results.WarnPredictedTies), s.NFailed, mark(s.Name, results.WarnFailures, results.WarnNoPairs), fp)
	}
	for _, s := range r.Scorers {
		if s.Accuracy != nil && s.CIMethod != "" && !results.IsBootstrap(s.CIMethod) {
			fmt.Fprintf(w, "† %s: %s interval (%s)\n", s.Name, s.CIMethod, s.CINote)
		}
	}
	if r.Bootstrap.Method == results.CIPoissonBootstrap {
		fmt.Fprintf(w, "intervals: Poisson(1) bootstrap over prompts (%d prompts >= %d), B = %d, seed %d\n",
			r.Dataset.NPrompts, results.PoissonBootstrapPrompts, r.Bootstrap.B, r.Bootstrap.Seed)
	}
}

// PrintWarnings writes every warning of r, one per line, each starting with
// "WARNING"; it writes nothing when there is none.
func PrintWarnings(w io.Writer, r *results.Results) {
	for _, wa := range r.Warnings {
		who := ""
		if wa.Scorer != "" {
			who = wa.Scorer + ": "
		}
		fmt.Fprintf(w, "WARNING %s%s\n", who, wa.Message)
	}
	for _, s := range r.Scorers {
		for _, e := range s.FailureExamples {
			fmt.Fprintf(w, "  %s failed on %s\n", s.Name, e)
		}
	}
}

// relToWD returns path relative to the working directory when it lies below it.
func relToWD(path string) string {
	wd, err := os.Getwd()
	if err != nil || !filepath.IsAbs(path) {
		return path
	}
	if rel, err := filepath.Rel(wd, path); err == nil && filepath.IsLocal(rel) {
		return rel
	}
	return path
}

// PluginName is the plugin that runs this scorer.
func (s ScorerSpec) PluginName() string {
	if s.Plugin != "" {
		return s.Plugin
	}
	return s.Name
}

// CountPairs counts the pairs a dataset yields (a pass over the file, for
// progress bars with an ETA).
func CountPairs(spec dataset.Spec) (int, error) { return CountShardPairs(spec, nil) }
