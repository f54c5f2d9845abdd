package demo

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/srbench/srbench/harness/ablate"
	"github.com/srbench/srbench/harness/bench"
	"github.com/srbench/srbench/harness/curate"
	"github.com/srbench/srbench/harness/pipeline"
	"github.com/srbench/srbench/harness/results"
	"github.com/srbench/srbench/harness/simworld"
)

// Options configure the end-to-end demo. The zero value runs the default
// world (300 prompts, seed 0) into demo-out/.
type Options struct {
	// Out is the demo's directory (world/, curated/, models/, runs/).
	Out string
	// Seed seeds the world, the curation split and the models.
	Seed uint64
	// Prompts is the world size (0: simworld's default).
	Prompts int
	// Benchmarks is the directory holding demo-social.yaml and demo-alignment.yaml.
	Benchmarks string
	// Available reports whether a scorer plugin can be launched; scorers
	// without a plugin are left out of the runs (and said so).
	Available func(name string) bool
	// Log receives progress lines; nil discards them.
	Log io.Writer
	// Version and Commit are recorded in each run's provenance.
	Version, Commit string
	// NoAblation skips the small ablation grid (benchmarks/ablations/social-reward.yaml).
	NoAblation bool
	// Render writes a finished run directory's reports (the CLI passes
	// report.Write); the demo itself renders nothing.
	Render func(runDir string) error
	// RenderLeaderboard writes the generator leaderboard's report (the CLI
	// passes report.WriteLeaderboard); nil skips the generators story.
	RenderLeaderboard func(dir string) error
	// GalleryPrompts and GallerySamples size the generators' gallery
	// (0: 100 prompts, 4 samples per prompt and generator).
	GalleryPrompts, GallerySamples int
}

// Result is what the demo produced.
type Result struct {
	Runs    map[string]*results.Results // by benchmark name
	RunDirs map[string]string
	Funnel  curate.Funnel
	Skipped []string // scorers without a plugin
	// TrainMetrics is the Social Reward training summary (JSON).
	TrainMetrics string
	// Ablation is the ablation summary (nil when skipped) and AblationDir its directory.
	Ablation    *ablate.Summary
	AblationDir string
	// Leaderboard ranks the demo's synthetic generators (nil when skipped),
	// LeaderboardDir is its directory and Gallery the generators' known
	// profiles and true rankings.
	Leaderboard    *results.Leaderboard
	LeaderboardDir string
	Gallery        *simworld.GallerySummary
}

// The demo's benchmarks, in the order they run.
var demoBenchmarks = []string{"demo-alignment", "demo-social"}

// BackboneDir is the demo's untrained Social Reward backbone, beside the
// trained model (socialreward) in the models directory.
const BackboneDir = "socialreward-backbone"

// Run tells Social Reward's story on the synthetic world: simulate a
// creative community, curate its engagement log into triplets, build the
// demo models, benchmark every scorer on prompt alignment and on community
// preference, and write the reports. In Out/models, socialreward is the
// trained Social Reward model and socialreward-backbone (BackboneDir) the
// frozen CLIP backbone it was trained on.
func Run(ctx context.Context, opts Options, launch bench.Launcher) (*Result, error) {
	if opts.Out == "" {
		opts.Out = "demo-out"
	}
	if opts.Benchmarks == "" {
		opts.Benchmarks = "benchmarks"
	}
	log := opts.Log
	if log == nil {
		log = io.Discard
	}
	step := func(format string, a ...any) func() {
		start := time.Now()
		fmt.Fprintf(log, "==> "+format+"\n", a...)
		return func() { fmt.Fprintf(log, "    done in %.1fs\n", time.Since(start).Seconds()) }
	}
	worldDir := filepath.Join(opts.Out, "world")
	curatedDir := filepath.Join(opts.Out, "curated")
	modelsDir := filepath.Join(opts.Out, "models")
	runsDir := filepath.Join(opts.Out, "runs")
	// The demo owns its output directory: each run starts from a clean one.
	for _, d := range []string{worldDir, curatedDir, modelsDir, runsDir, filepath.Join(opts.Out, GalleryDir)} {
		if err := os.RemoveAll(d); err != nil {
			return nil, err
		}
	}

	done := step("simulate a creative community (seed %d)", opts.Seed)
	w, err := simworld.Write(worldDir, simworld.Options{Seed: opts.Seed, Prompts: opts.Prompts})
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(log, "    %d prompts, %d images, %d alignment pairs\n", len(w.Prompts), len(w.Images), len(w.AlignmentPairs))
	done()

	done = step("curate the engagement log into triplets (debiased preset)")
	funnel, err := curate.Run(filepath.Join(worldDir, simworld.LogJSONL), curatedDir, curate.Options{Seed: opts.Seed})
	if err != nil {
		return nil, err
	}
	for _, s := range funnel.Splits {
		fmt.Fprintf(log, "    %s: %d prompts, %d triplets\n", s.Name, s.Prompts, s.Triplets)
	}
	done()

	done = step("build the demo models")
	if _, err := BuildModels(modelsDir, ModelOptions{Seed: opts.Seed}); err != nil {
		return nil, err
	}
	// models/socialreward is the trained Social Reward, so that --models
	// demo-out/models runs it; the frozen backbone it trains on is beside it.
	backbone := filepath.Join(modelsDir, BackboneDir)
	if err := os.Rename(filepath.Join(modelsDir, "socialreward"), backbone); err != nil {
		return nil, err
	}
	done()

	res := &Result{Runs: map[string]*results.Results{}, RunDirs: map[string]string{}, Funnel: funnel}
	trained := ""
	if opts.Available == nil || opts.Available("socialreward") {
		done = step("train Social Reward (adapters on the frozen demo backbone, triplet loss, margin 0.3)")
		trained = filepath.Join(modelsDir, "socialreward")
		ev, err := pipeline.TrainSocialReward(ctx, launch, backbone,
			filepath.Join(curatedDir, "train.jsonl"), filepath.Join(curatedDir, "validation.jsonl"), trained, `{"seed": 1}`, log)
		if err != nil {
			return nil, fmt.Errorf("train: %w", err)
		}
		res.TrainMetrics = ev.Metrics
		done()
	}
	data := map[string]string{
		"demo-alignment": filepath.Join(worldDir, simworld.AlignmentFile),
		"demo-social":    filepath.Join(curatedDir, "test.jsonl"),
	}
	for _, name := range demoBenchmarks {
		path, err := bench.ResolveSpec(name, opts.Benchmarks)
		if err != nil {
			return nil, err
		}
		spec, err := bench.LoadSpec(path)
		if err != nil {
			return nil, err
		}
		spec.Dataset.Path = data[name]
		var scorers []bench.ScorerEntry
		for _, s := range spec.Scorers {
			plugin := s.PluginName()
			if opts.Available != nil && !opts.Available(plugin) {
				res.Skipped = appendOnce(res.Skipped, s.Name)
				continue
			}
			if s.Model == "" {
				s.Model = filepath.Join(modelsDir, plugin)
				if plugin == "socialreward" && trained != "" {
					s.Model = trained
				}
			}
			scorers = append(scorers, s)
		}
		spec.Scorers = scorers
		cfg, err := spec.Config()
		if err != nil {
			return nil, err
		}
		cfg.OutDir = filepath.Join(runsDir, name)
		cfg.Command = os.Args
		cfg.Version, cfg.Commit = opts.Version, opts.Commit
		done = step("benchmark %s: %d scorers", name, len(scorers))
		r, err := bench.Run(ctx, cfg, launch)
		if err != nil {
			return nil, fmt.Errorf("benchmark %s: %w", name, err)
		}
		if opts.Render == nil {
			return nil, fmt.Errorf("benchmark %s: demo.Options.Render is not set", name)
		}
		if err := opts.Render(cfg.OutDir); err != nil {
			return nil, fmt.Errorf("benchmark %s: report: %w", name, err)
		}
		res.Runs[name], res.RunDirs[name] = r, cfg.OutDir
		done()
	}
	if opts.RenderLeaderboard != nil {
		if err := rankGenerators(ctx, opts, log, launch, modelsDir, trained, res, step); err != nil {
			return nil, err
		}
	}
	if !opts.NoAblation && trained != "" {
		spec, err := ablate.LoadSpec(filepath.Join(opts.Benchmarks, "ablations", "social-reward.yaml"))
		if err != nil {
			return nil, err
		}
		res.AblationDir = filepath.Join(opts.Out, "ablation")
		if err := os.RemoveAll(res.AblationDir); err != nil {
			return nil, err
		}
		cells, err := spec.Cells()
		if err != nil {
			return nil, err
		}
		done = step("ablation %s: %d cells x %d seeds", spec.Name, len(cells), len(spec.Seeds))
		in := pipeline.AblationInputs{Log: filepath.Join(worldDir, simworld.LogJSONL), Backbone: backbone, Seed: opts.Seed}
		sum, err := ablate.Run(ctx, spec, res.AblationDir, pipeline.AblationDeps(in, res.AblationDir, launch, log), io.Discard)
		if err != nil {
			return nil, fmt.Errorf("ablation: %w", err)
		}
		res.Ablation = sum
		done()
	}
	return res, nil
}

func appendOnce(xs []string, x string) []string {
	for _, v := range xs {
		if v == x {
			return xs
		}
	}
	return append(xs, x)
}

// GalleryDir is the demo's generators gallery, under Options.Out.
const GalleryDir = "gallery"

// LeaderboardRun is the name of the demo's generator leaderboard directory
// under runs/.
const LeaderboardRun = "generators"

// rankGenerators tells the paper's second story: four synthetic generators
// with known profiles (simworld.DemoGenerators) draw images for the world's
// prompts, every scorer ranks them, and the report shows which scorer
// recovers the ranking by community appeal (the gallery's truth).
func rankGenerators(ctx context.Context, opts Options, log io.Writer, launch bench.Launcher, modelsDir, trained string, res *Result, step func(string, ...any) func()) error {
	dir := filepath.Join(opts.Out, GalleryDir)
	done := step("draw a gallery from %d synthetic generators", len(simworld.DemoGenerators()))
	sum, err := simworld.WriteGallery(dir, simworld.GalleryOptions{Seed: opts.Seed, Prompts: opts.GalleryPrompts, Samples: opts.GallerySamples})
	if err != nil {
		return fmt.Errorf("gallery: %w", err)
	}
	res.Gallery = &sum
	fmt.Fprintf(log, "    %d images; true ranking by community appeal: %s; by prompt alignment: %s\n",
		sum.Images, strings.Join(sum.AppealRanking, " > "), strings.Join(sum.AlignmentRanking, " > "))
	done()
	var scorers []bench.ScorerSpec
	for _, name := range []string{"clipscore", "pickscore", "imagereward", "socialreward"} {
		if opts.Available != nil && !opts.Available(name) {
			res.Skipped = appendOnce(res.Skipped, name)
			continue
		}
		model := filepath.Join(modelsDir, name)
		if name == "socialreward" {
			if trained == "" {
				continue
			}
			model = trained
		}
		scorers = append(scorers, bench.ScorerSpec{Name: name, ModelDir: model})
	}
	out := filepath.Join(opts.Out, "runs", LeaderboardRun)
	done = step("rank the generators with %d scorers and the ground truth", len(scorers))
	lb, err := bench.Rank(ctx, bench.RankConfig{
		Benchmark: results.Benchmark{Name: "demo-generators", Description: "synthetic generators with known profiles, ranked by every demo scorer"},
		Gallery:   filepath.Join(dir, simworld.GalleryFile), Scorers: scorers, OutDir: out,
		Command: os.Args, Version: opts.Version, Commit: opts.Commit,
		Notes: []string{"synthetic generators and demo models: the ground truth (truth) is each image's community appeal in the simulated world, known exactly"},
	}, launch)
	if err != nil {
		return fmt.Errorf("rank generators: %w", err)
	}
	if err := opts.RenderLeaderboard(out); err != nil {
		return fmt.Errorf("rank generators: report: %w", err)
	}
	res.Leaderboard, res.LeaderboardDir = lb, out
	done()
	return nil
}
