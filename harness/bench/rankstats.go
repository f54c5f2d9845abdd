package bench

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"sort"

	"github.com/srbench/srbench/harness/internal/extsort"
	"github.com/srbench/srbench/harness/results"
	"github.com/srbench/srbench/harness/stats"
)

// galleryRecord is one image of images.jsonl re-encoded for the external
// sort that groups the images by prompt: the prompt's identity (the first
// 16 bytes of the sha256 of its id: a collision among a million prompts
// has probability about 1e-27), generator and sample indices, and one score
// per judge (NaN: none).
type galleryRecord struct {
	key         [16]byte
	gen, sample uint32
	scores      [maxJudges]float64
}

func galleryCodec(judges int) extsort.Codec[galleryRecord] {
	return extsort.Codec[galleryRecord]{
		Size: 16 + 8 + 8*judges,
		Put: func(b []byte, r galleryRecord) {
			copy(b, r.key[:])
			binary.LittleEndian.PutUint32(b[16:], r.gen)
			binary.LittleEndian.PutUint32(b[20:], r.sample)
			for j := range judges {
				binary.LittleEndian.PutUint64(b[24+8*j:], math.Float64bits(r.scores[j]))
			}
		},
		Get: func(b []byte) galleryRecord {
			var r galleryRecord
			copy(r.key[:], b)
			r.gen = binary.LittleEndian.Uint32(b[16:])
			r.sample = binary.LittleEndian.Uint32(b[20:])
			for j := range judges {
				r.scores[j] = math.Float64frombits(binary.LittleEndian.Uint64(b[24+8*j:]))
			}
			return r
		},
	}
}

func compareRecords(a, b galleryRecord) int {
	if c := bytes.Compare(a.key[:], b.key[:]); c != 0 {
		return c
	}
	if a.gen != b.gen {
		return int(a.gen) - int(b.gen)
	}
	return int(a.sample) - int(b.sample)
}

// galleryRunLen is how many records the sort holds in memory at once:
// small, so that the memory of a ranking does not grow with its images.
const galleryRunLen = 4096

// extremeKeeper keeps the k highest and k lowest scored images of one
// judge and generator.
type extremeKeeper struct {
	k           int
	best, worst []results.GalleryImage // best descending, worst ascending
}

func (e *extremeKeeper) add(im results.GalleryImage) {
	insert := func(xs []results.GalleryImage, better func(a, b float64) bool) []results.GalleryImage {
		if len(xs) == e.k && !better(im.Score, xs[len(xs)-1].Score) {
			return xs
		}
		i := sort.Search(len(xs), func(i int) bool { return better(im.Score, xs[i].Score) })
		xs = slices.Insert(xs, i, im)
		if len(xs) > e.k {
			xs = xs[:e.k]
		}
		return xs
	}
	e.best = insert(e.best, func(a, b float64) bool { return a > b })
	e.worst = insert(e.worst, func(a, b float64) bool { return a < b })
}

// AnalyzeGallery computes lb's boards, agreement, best-of-N, extremes and
// warnings from dir's images.jsonl; lb.Judges and lb.Gallery.Generators
// must be set. Memory does not grow with the number of images: the images
// are sorted by prompt on disk and the statistics are a streaming Poisson
// bootstrap (stats.Leaderboard).
func AnalyzeGallery(dir string, lb *results.Leaderboard, opts RankStats) error {
	opts = opts.withDefaults()
	judges := make([]string, len(lb.Judges))
	for i, j := range lb.Judges {
		judges[i] = j.Name
	}
	gens := lb.Gallery.Generators
	genIndex := make(map[string]int, len(gens))
	for i, g := range gens {
		genIndex[g] = i
	}
	J := len(judges)
	sorter := extsort.New(compareRecords, galleryCodec(J), extsort.Options[galleryRecord]{RunLen: galleryRunLen, Dir: dir})
	defer sorter.Close()
	keep := make([][]extremeKeeper, J)
	for j := range keep {
		keep[j] = make([]extremeKeeper, len(gens))
		for g := range keep[j] {
			keep[j][g].k = max(opts.Extremes, 0)
		}
	}
	failed := make([]int, J)
	scored := make([]int, J)
	lo, hi := make([]float64, J), make([]float64, J) // each judge's score range
	for j := range lo {
		lo[j], hi[j] = math.Inf(1), math.Inf(-1)
	}
	reasons := make([]map[string]int, J)
	example := make([]string, J)
	for j := range reasons {
		reasons[j] = map[string]int{}
	}
	// images.jsonl leaves out resolved paths in reproducible mode; the
	// galleries find the files from the gallery's root then.
	root, _ := galleryRoot(lb.Gallery.Path)
	n := 0
	err := readGalleryScores(filepath.Join(dir, results.GalleryScoresFile), func(s results.GalleryScore) error {
		n++
		g, ok := genIndex[s.Generator]
		if !ok {
			return fmt.Errorf("%s: line %d: generator %q is not one of the gallery's (%v)", results.GalleryScoresFile, n, s.Generator, gens)
		}
		if s.Sample < 0 || s.Sample > math.MaxUint32 {
			return fmt.Errorf("%s: line %d: sample %d out of range", results.GalleryScoresFile, n, s.Sample)
		}
		r := galleryRecord{key: promptKey(s.PromptID), gen: uint32(g), sample: uint32(s.Sample)}
		for j, name := range judges {
			r.scores[j] = math.NaN()
			if name == results.TruthJudge && lb.Judges[j].Kind == "truth" {
				if s.Truth != nil {
					r.scores[j] = *s.Truth
					scored[j]++
				}
			} else {
				x, ok := s.Scores[name]
				switch {
				case !ok:
					return fmt.Errorf("%s: line %d: no score for scorer %q", results.GalleryScoresFile, n, name)
				case x.Error != "" || x.Score == nil:
					failed[j]++
					reasons[j][reasonKey(x.Error)]++
					if example[j] == "" {
						example[j] = fmt.Sprintf("image %s: %s", s.Image, x.Error)
					}
				case !finite(*x.Score):
					return fmt.Errorf("%s: line %d: scorer %q: score %v, want a finite number", results.GalleryScoresFile, n, name, *x.Score)
				default:
					r.scores[j] = *x.Score
					scored[j]++
				}
			}
			if x := r.scores[j]; !math.IsNaN(x) {
				lo[j], hi[j] = min(lo[j], x), max(hi[j], x)
			}
			if !math.IsNaN(r.scores[j]) && keep[j][g].k > 0 {
				path := s.Path
				if path == "" && root != "" {
					path = filepath.Join(root, filepath.FromSlash(s.Image))
				}
				keep[j][g].add(results.GalleryImage{Image: s.Image, Path: path, Prompt: s.Prompt, Score: r.scores[j]})
			}
		}
		return sorter.Add(r)
	})
	if err != nil {
		return err
	}
	for j := range lb.Judges {
		lb.Judges[j].NScored, lb.Judges[j].NFailed = scored[j], failed[j]
		lb.Judges[j].FailureReasons, lb.Judges[j].FailureExample = nil, example[j]
		if failed[j] > 0 {
			lb.Judges[j].FailureReasons = reasons[j]
		}
	}
	// Group the sorted records by prompt into PromptScores, reusing buffers.
	src := func(yield func(stats.PromptScores) error) error {
		cells := make([][][]float64, len(gens))
		var cur [16]byte
		have := false
		flush := func() error {
			if !have {
				return nil
			}
			err := yield(stats.PromptScores{PromptID: hex.EncodeToString(cur[:]), Cells: cells})
			// Empty every cell, keeping its slices for the next prompt.
			for g := range cells {
				for j := range cells[g] {
					cells[g][j] = cells[g][j][:0]
				}
				cells[g] = cells[g][:0]
			}
			return err
		}
		err := sorter.Merge(func(r galleryRecord, _ int) error {
			if have && r.key != cur {
				if err := flush(); err != nil {
					return err
				}
			}
			cur, have = r.key, true
			c := cells[r.gen]
			if len(c) == 0 {
				c = c[:cap(c)]
				if len(c) < J {
					c = make([][]float64, J)
				}
				c = c[:J]
			}
			for j := range J {
				c[j] = append(c[j], r.scores[j])
			}
			cells[r.gen] = c
			return nil
		})
		if err != nil {
			return err
		}
		return flush()
	}
	res, err := stats.Leaderboard(src, stats.LeaderboardOptions{
		Generators: gens, Judges: judges, Level: opts.Level, Resamples: opts.B, Seed: opts.Seed,
		Alpha: opts.Alpha, BestOfN: opts.BestOfN,
	})
	if err != nil {
		return err
	}
	fillLeaderboard(lb, res)
	lb.Bootstrap = results.BootstrapCfg{B: res.Resamples, Seed: res.Seed, Level: res.Level, Unit: "prompt", Method: results.CIPoissonBootstrap}
	lb.Alpha = res.Alpha
	lb.Extremes = nil
	for j := range keep {
		for g := range keep[j] {
			if k := keep[j][g]; len(k.best) > 0 {
				lb.Extremes = append(lb.Extremes, results.Extremes{Judge: judges[j], Generator: gens[g], Best: k.best, Worst: k.worst})
			}
		}
	}
	lb.Warnings = leaderboardWarnings(lb)
	for j, name := range judges {
		if scored[j] > 1 && lo[j] == hi[j] {
			lb.Warnings = append(lb.Warnings, results.Warning{Kind: WarnConstantScores, Scorer: name, Message: fmt.Sprintf(
				"%s gave all %d images it scored the same score (%v): its win rates are all 1/2 and its ranking of the generators is arbitrary (equal strengths, ordered by name)", name, scored[j], lo[j])})
		}
	}
	return nil
}

// promptKey is a prompt id's identity in the sort.
func promptKey(id string) [16]byte {
	s := sha256.Sum256([]byte(id))
	var k [16]byte
	copy(k[:], s[:16])
	return k
}

func estimate(b stats.BootstrapResult) results.Estimate {
	return results.Estimate{Value: b.Estimate, CI: [2]float64{b.Interval.Lo, b.Interval.Hi}, SE: b.SE}
}

// fillLeaderboard copies the statistics into lb.
func fillLeaderboard(lb *results.Leaderboard, res stats.LeaderboardResult) {
	lb.Boards = nil
	for _, jb := range res.ByJudge {
		b := results.Board{Judge: jb.Judge, Regularised: jb.Strength.Regularised, RegularisedReplicates: jb.Strength.RegularisedReplicates}
		if jb.Strength.Regularised {
			b.Prior = jb.Strength.Prior
		}
		for g, m := range jb.Means {
			row := results.GeneratorRow{Generator: m.Generator, Mean: estimate(m.Mean), NPrompts: m.Prompts, NImages: m.Images}
			if g < len(jb.Strength.Beta) {
				row.Strength = estimate(jb.Strength.Beta[g])
			}
			if g < len(jb.Strength.RankProb) {
				row.RankProb = jb.Strength.RankProb[g]
			}
			b.Generators = append(b.Generators, row)
		}
		// Strongest first; equal strengths by name.
		sort.SliceStable(b.Generators, func(x, y int) bool {
			a, c := b.Generators[x], b.Generators[y]
			if a.Strength.Value != c.Strength.Value {
				return a.Strength.Value > c.Strength.Value
			}
			return a.Generator < c.Generator
		})
		for i := range b.Generators {
			b.Generators[i].Rank = i + 1
		}
		for _, w := range jb.WinRates {
			b.WinRates = append(b.WinRates, results.WinRateEntry{Generator: w.Generator, Opponent: w.Opponent, Rate: estimate(w.Rate),
				NPrompts: w.Prompts, Wins: w.Wins, Losses: w.Losses, Ties: w.Ties, P: w.P, PHolm: w.PHolm, Significant: w.Reject})
		}
		lb.Boards = append(lb.Boards, b)
	}
	lb.Agreement = nil
	for _, a := range res.Agreement {
		lb.Agreement = append(lb.Agreement, results.RankAgreement{A: a.A, B: a.B, Tau: estimate(a.Tau), Note: a.Note})
	}
	lb.BestOfN = nil
	for _, e := range res.BestOfN {
		x := results.BestOfNEntry{Selector: e.Selector, Measure: e.Measure, N: e.N, Value: estimate(e.Value), Gain: estimate(e.Gain),
			ZGain: estimate(e.ZGain), OverOptimisation: estimate(e.OverOpt), NCells: e.Cells, NSkippedSmall: e.SkippedSmall, NSkippedNaN: e.SkippedNaN}
		for g, v := range e.ByGenerator {
			if !math.IsNaN(v) {
				if x.ByGenerator == nil {
					x.ByGenerator = map[string]float64{}
				}
				x.ByGenerator[res.Generators[g]] = v
			}
		}
		lb.BestOfN = append(lb.BestOfN, x)
	}
}

// Leaderboard warning kinds (with WarnFailures, WarnUnpinned,
// WarnNoFingerprint, WarnDataset and WarnSmallSample of results.json).
const (
	// WarnMissingCells: some prompts lack some generator's images.
	WarnMissingCells = "missing-cells"
	// WarnUnequalSamples: generators have different numbers of samples
	// for some prompts.
	WarnUnequalSamples = "unequal-samples"
	// WarnRegularised: a judge's Bradley–Terry fit needed a prior.
	WarnRegularised = "regularised"
	// WarnConstantScores: a judge gave every image the same score, so its
	// ranking says nothing.
	WarnConstantScores = "constant-scores"
	// WarnOneGenerator: the gallery has fewer than two generators.
	WarnOneGenerator = "one-generator"
)

func leaderboardWarnings(lb *results.Leaderboard) []results.Warning {
	var out []results.Warning
	g := lb.Gallery
	if len(g.MissingByGenerator) > 0 {
		keys := make([]string, 0, len(g.MissingByGenerator))
		for k := range g.MissingByGenerator {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			out = append(out, results.Warning{Kind: WarnMissingCells, Message: fmt.Sprintf(
				"generator %q has no image for %d of %d prompts: its mean is over its own prompts, its head-to-heads over the prompts both generators have", k, g.MissingByGenerator[k], g.NPrompts)})
		}
	}
	if g.NUnequalPrompts > 0 {
		out = append(out, results.Warning{Kind: WarnUnequalSamples, Message: fmt.Sprintf(
			"%d of %d prompts have unequal samples per generator: means and win rates average each cell's samples; best-of-N leaves out cells with fewer than N samples (counted per N)", g.NUnequalPrompts, g.NPrompts)})
	}
	for _, w := range g.Warnings {
		out = append(out, results.Warning{Kind: results.WarnDataset, Message: w})
	}
	if len(g.Generators) < 2 {
		out = append(out, results.Warning{Kind: WarnOneGenerator, Message: fmt.Sprintf(
			"the gallery has %d generator(s): there is nothing to rank (no win rates; every strength is 0); only the means and best-of-N say anything", len(g.Generators))})
	}
	if g.NPrompts < results.MinBootstrapPrompts {
		out = append(out, results.Warning{Kind: results.WarnSmallSample, Message: fmt.Sprintf(
			"only %d prompts: the prompt bootstrap's intervals are unreliable below %d", g.NPrompts, results.MinBootstrapPrompts)})
	}
	for _, j := range lb.Judges {
		if j.Kind != "scorer" {
			continue
		}
		if j.NFailed > 0 {
			out = append(out, results.Warning{Kind: results.WarnFailures, Scorer: j.Name, Message: fmt.Sprintf(
				"%s failed on %d of %d images (left out of its statistics), e.g. %s", j.Name, j.NFailed, j.NFailed+j.NScored, j.FailureExample)})
		}
		if j.PluginSHA256 != "" && !j.PluginPinned {
			out = append(out, results.Warning{Kind: results.WarnUnpinned, Scorer: j.Name, Message: fmt.Sprintf(
				"%s ran an unpinned plugin binary (--allow-unpinned): nothing ties its numbers to a known build", j.Name)})
		}
		if j.Fingerprint == "" {
			out = append(out, results.Warning{Kind: results.WarnNoFingerprint, Scorer: j.Name, Message: fmt.Sprintf(
				"%s's plugin reported no model fingerprint: nothing ties its numbers to exact weights", j.Name)})
		}
	}
	for _, b := range lb.Boards {
		if b.Regularised {
			out = append(out, results.Warning{Kind: WarnRegularised, Scorer: b.Judge, Message: fmt.Sprintf(
				"%s: the Bradley–Terry maximum-likelihood fit does not exist (a generator never loses or never wins); strengths use %g tied pseudo-comparisons per pair and are shrunk towards each other", b.Judge, b.Prior)})
		}
	}
	return out
}

// readGalleryScores streams images.jsonl.
func readGalleryScores(path string, visit func(results.GalleryScore) error) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	r := bufio.NewReaderSize(f, 1<<20)
	for line := 1; ; line++ {
		b, err := r.ReadBytes('\n')
		if len(bytes.TrimSpace(b)) > 0 {
			var s results.GalleryScore
			if jerr := json.Unmarshal(b, &s); jerr != nil {
				return fmt.Errorf("%s: line %d: %w", path, line, jerr)
			}
			if verr := visit(s); verr != nil {
				return verr
			}
		}
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
	}
}
