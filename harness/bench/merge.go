package bench

import (
	"bufio"
	"bytes"
	"container/heap"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/srbench/srbench/harness/results"
)

// MergeError is a set of shard directories that do not make one run; Problems
// names each reason, one per entry.
type MergeError struct {
	Problems []string
}

func (e *MergeError) Error() string {
	return "merge: refused, the shards are not the complete shards of one run:\n  " + strings.Join(e.Problems, "\n  ")
}

// shardRun is one shard directory read for Merge.
type shardRun struct {
	dir string
	res *results.Results
	cfg Config
}

// readShard reads a finished shard's results.json and run.json.
func readShard(dir string) (*shardRun, error) {
	rp := filepath.Join(dir, results.ResultsFile)
	if _, err := os.Stat(rp); err != nil {
		if _, jerr := os.Stat(filepath.Join(dir, JournalName)); jerr == nil {
			return nil, fmt.Errorf("merge: shard %s is not finished (no %s): finish it with `srbench resume %s`", dir, results.ResultsFile, dir)
		}
		return nil, fmt.Errorf("merge: %s is not a run directory (no %s)", dir, results.ResultsFile)
	}
	res, err := results.ReadResults(rp)
	if err != nil {
		return nil, fmt.Errorf("merge: %w", err)
	}
	if res.Shard == nil {
		return nil, fmt.Errorf("merge: %s is not a shard: its results.json records no shard (a run made without --shard or --shard-from-env)", dir)
	}
	b, err := os.ReadFile(filepath.Join(dir, JournalName))
	if err != nil {
		return nil, fmt.Errorf("merge: shard %s: %w", dir, err)
	}
	s := &shardRun{dir: dir, res: res}
	if err := json.Unmarshal(b, &s.cfg); err != nil {
		return nil, fmt.Errorf("merge: %s: %w", filepath.Join(dir, JournalName), err)
	}
	return s, nil
}

// Merge checks that the shard run directories dirs are every shard of one
// run exactly once (same dataset, benchmark, scorers, options and policy)
// and writes outDir as a single run of the same spec would: samples.jsonl
// in dataset order, results.json with every statistic computed on the
// merged samples by Analyze, and run.json. command is recorded in
// provenance. A refusal is a *MergeError naming every problem found.
func Merge(dirs []string, outDir string, command []string) (*results.Results, error) {
	if len(dirs) == 0 {
		return nil, errors.New("merge: no shard directories given")
	}
	shards := make([]*shardRun, 0, len(dirs))
	for _, d := range dirs {
		s, err := readShard(d)
		if err != nil {
			return nil, err
		}
		shards = append(shards, s)
	}
	if err := checkShards(shards); err != nil {
		return nil, err
	}
	slices.SortFunc(shards, func(a, b *shardRun) int { return a.res.Shard.Index - b.res.Shard.Index })
	absOut, _ := filepath.Abs(outDir)
	for _, s := range shards {
		if d, _ := filepath.Abs(s.dir); d == absOut {
			return nil, fmt.Errorf("merge: --out %s is one of the shards; choose a new directory", outDir)
		}
	}

	_, statErr := os.Stat(outDir)
	created := errors.Is(statErr, os.ErrNotExist)
	if err := os.MkdirAll(outDir, 0o755); err != nil {
		return nil, fmt.Errorf("merge: run directory: %w", err)
	}
	unlock, err := LockRunDir(outDir, "srbench merge")
	if err != nil {
		return nil, err
	}
	defer unlock()
	for _, f := range []string{results.ResultsFile, results.SamplesFile, JournalName} {
		if _, err := os.Stat(filepath.Join(outDir, f)); err == nil {
			return nil, fmt.Errorf("merge: %s already holds a run (%s); choose another --out", outDir, f)
		}
	}
	res, err := mergeInto(shards, outDir, command)
	if err != nil {
		for _, f := range []string{results.ResultsFile, results.SamplesFile, JournalName, LockName} {
			os.Remove(filepath.Join(outDir, f))
		}
		if created {
			os.Remove(outDir) // only if empty
		}
		return nil, err
	}
	return res, nil
}

// checkShards names every way the shards are not the complete shards of
// one run: different N, missing or repeated indices, different inputs.
func checkShards(shards []*shardRun) error {
	var probs []string
	ref := shards[0]
	n := ref.res.Shard.Count
	for _, s := range shards[1:] {
		if s.res.Shard.Count != n {
			probs = append(probs, fmt.Sprintf("shards of different N: %s is shard %s, %s is shard %s; merge the shards of one split",
				ref.dir, ref.res.Shard, s.dir, s.res.Shard))
		}
	}
	if len(probs) > 0 {
		return &MergeError{Problems: probs}
	}
	byIndex := map[int][]string{}
	for _, s := range shards {
		byIndex[s.res.Shard.Index] = append(byIndex[s.res.Shard.Index], s.dir)
	}
	var missing []string
	for i := 0; i < n; i++ {
		if len(byIndex[i]) == 0 {
			missing = append(missing, fmt.Sprint(i))
		}
	}
	if len(missing) > 0 {
		probs = append(probs, fmt.Sprintf("shard %s of %d missing (indices 0 to %d, 0-based): give every shard's directory",
			strings.Join(abbreviate(missing), ", "), n, n-1))
	}
	for _, i := range slices.Sorted(maps.Keys(byIndex)) {
		if ds := byIndex[i]; len(ds) > 1 {
			probs = append(probs, fmt.Sprintf("shard %d/%d given %d times: %s; give each shard once", i, n, len(ds), strings.Join(ds, ", ")))
		}
	}
	for _, s := range shards[1:] {
		probs = append(probs, shardDiffs(ref, s)...)
	}
	if len(probs) > 0 {
		return &MergeError{Problems: probs}
	}
	return nil
}

// abbreviate keeps the first 20 entries of a long list.
func abbreviate(xs []string) []string {
	if len(xs) <= 20 {
		return xs
	}
	return append(xs[:20:20], fmt.Sprintf("and %d more", len(xs)-20))
}

// shardDiffs lists how shard s's inputs differ from ref's.
func shardDiffs(ref, s *shardRun) []string {
	var out []string
	diff := func(what string, a, b any) {
		ja, _ := json.Marshal(a)
		jb, _ := json.Marshal(b)
		if !bytes.Equal(ja, jb) {
			out = append(out, fmt.Sprintf("%s: %s in %s, %s in %s", what, ja, ref.dir, jb, s.dir))
		}
	}
	r, o := ref.res, s.res
	diff("dataset sha256", r.Dataset.SHA256, o.Dataset.SHA256)
	diff("dataset format", r.Dataset.Format, o.Dataset.Format)
	diff("dataset limit (--limit)", ref.cfg.Dataset.Limit, s.cfg.Dataset.Limit)
	diff("dataset lenient (--lenient)", ref.cfg.Dataset.Lenient, s.cfg.Dataset.Lenient)
	diff("benchmark", r.Benchmark, o.Benchmark)
	diff("notes", ref.cfg.Notes, s.cfg.Notes)
	diff("max image bytes (--max-image-bytes)", r.Provenance.MaxImageBytes, o.Provenance.MaxImageBytes)
	diff("allow outside images (--allow-outside-images)", r.Provenance.AllowOutsideImages, o.Provenance.AllowOutsideImages)
	diff("policy", r.Policy, o.Policy)
	diff("bootstrap", r.Bootstrap, o.Bootstrap)
	diff("analysis options (run.json analyze)", ref.cfg.Analyze, s.cfg.Analyze)
	names := func(rs *shardRun) []string {
		var ns []string
		for _, sc := range rs.res.Scorers {
			ns = append(ns, sc.Name)
		}
		return ns
	}
	if !slices.Equal(names(ref), names(s)) || len(ref.cfg.Scorers) != len(r.Scorers) || len(s.cfg.Scorers) != len(o.Scorers) {
		diff("scorers", names(ref), names(s))
		return out
	}
	for i, a := range r.Scorers {
		b := o.Scorers[i]
		for _, f := range []struct {
			field string
			a, b  any
		}{
			{"model fingerprint", a.Fingerprint, b.Fingerprint},
			{"plugin sha256", a.PluginSHA256, b.PluginSHA256},
			{"kind", a.Kind, b.Kind},
			{"variant", a.Variant, b.Variant},
			{"version", a.Version, b.Version},
			{"runtime", a.Runtime, b.Runtime},
			{"provider", a.Provider, b.Provider},
			{"options", ref.cfg.Scorers[i].Options, s.cfg.Scorers[i].Options},
			{"plugin", ref.cfg.Scorers[i].PluginName(), s.cfg.Scorers[i].PluginName()},
			{"max image bytes", ref.cfg.Scorers[i].MaxImageBytes, s.cfg.Scorers[i].MaxImageBytes},
			{"decode memory (--decode-memory)", ref.cfg.Scorers[i].DecodeMemoryBytes, s.cfg.Scorers[i].DecodeMemoryBytes},
		} {
			diff(fmt.Sprintf("scorer %q: %s", a.Name, f.field), f.a, f.b)
		}
	}
	return out
}

// sampleHead is the part of a samples.jsonl line Merge reads.
type sampleHead struct {
	Index  int                        `json:"index"`
	ID     string                     `json:"id"`
	Scores map[string]json.RawMessage `json:"scores"`
}

// shardReader reads one shard's samples.jsonl line by line.
type shardReader struct {
	s    *shardRun
	path string
	r    *bufio.Reader
	line []byte
	head sampleHead
	n    int // lines read
	eof  bool
}

func (r *shardReader) next(scorers []string) error {
	for {
		b, err := r.r.ReadBytes('\n')
		if errors.Is(err, io.EOF) {
			if len(bytes.TrimSpace(b)) > 0 {
				return fmt.Errorf("%s: line %d is not complete (no newline): the shard is not finished", r.path, r.n+1)
			}
			r.eof = true
			return nil
		}
		if err != nil {
			return fmt.Errorf("%s: %w", r.path, err)
		}
		if len(bytes.TrimSpace(b)) == 0 {
			continue
		}
		r.n++
		var h sampleHead
		if err := json.Unmarshal(b, &h); err != nil {
			return fmt.Errorf("%s: line %d: %w", r.path, r.n, err)
		}
		if r.n > 1 && h.Index <= r.head.Index {
			return fmt.Errorf("%s: line %d: pair index %d after %d: a shard's pairs are in dataset order", r.path, r.n, h.Index, r.head.Index)
		}
		if sh := *r.s.res.Shard; !InShard(h.ID, sh) {
			return fmt.Errorf("%s: line %d: pair %q (index %d) belongs to shard %d/%d, not to this shard %s", r.path, r.n, h.ID, h.Index, ShardOf(h.ID, sh.Count), sh.Count, sh)
		}
		if len(h.Scores) != len(scorers) {
			return fmt.Errorf("%s: line %d: pair %d has %d scorers, the run %d", r.path, r.n, h.Index, len(h.Scores), len(scorers))
		}
		for _, name := range scorers {
			if _, ok := h.Scores[name]; !ok {
				return fmt.Errorf("%s: line %d: pair %d has no scores for scorer %q", r.path, r.n, h.Index, name)
			}
		}
		r.line, r.head = b, h
		return nil
	}
}

// readerHeap orders the shards' current lines by pair index.
type readerHeap []*shardReader

func (h readerHeap) Len() int           { return len(h) }
func (h readerHeap) Less(i, j int) bool { return h[i].head.Index < h[j].head.Index }
func (h readerHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *readerHeap) Push(x any)        { *h = append(*h, x.(*shardReader)) }
func (h *readerHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

// mergeInto writes the merged run into outDir (locked, empty of a run).
func mergeInto(shards []*shardRun, outDir string, command []string) (*results.Results, error) {
	ref := shards[0]
	var names []string
	for _, s := range ref.res.Scorers {
		names = append(names, s.Name)
	}
	// samples.jsonl: the shards' lines, byte for byte, in pair index order
	// (each shard's file is already in that order), which is the order a
	// single run writes: the dataset's.
	var h readerHeap
	readers := make([]*shardReader, len(shards))
	for i, s := range shards {
		path := filepath.Join(s.dir, results.SamplesFile)
		f, err := os.Open(path)
		if err != nil {
			return nil, fmt.Errorf("merge: shard %s: %w", s.dir, err)
		}
		defer f.Close()
		r := &shardReader{s: s, path: path, r: bufio.NewReaderSize(f, 1<<16)}
		readers[i] = r
		if err := r.next(names); err != nil {
			return nil, fmt.Errorf("merge: %w", err)
		}
		if !r.eof {
			h = append(h, r)
		}
	}
	heap.Init(&h)
	outPath := filepath.Join(outDir, results.SamplesFile)
	of, err := os.OpenFile(outPath, os.O_CREATE|os.O_WRONLY|os.O_EXCL, 0o644)
	if err != nil {
		return nil, fmt.Errorf("merge: %w", err)
	}
	defer of.Close()
	w := bufio.NewWriterSize(of, 1<<20)
	want := 0
	var lastPath string // where the previous line came from
	var lastLine int
	for h.Len() > 0 {
		r := h[0]
		switch idx := r.head.Index; {
		case idx < want:
			return nil, &MergeError{Problems: []string{fmt.Sprintf("pair index %d (id %q) is in two shards: line %d of %s and line %d of %s",
				idx, r.head.ID, lastLine, lastPath, r.n, r.path)}}
		case idx > want:
			return nil, &MergeError{Problems: []string{fmt.Sprintf("pair index %d is in no shard (the next is %d, id %q, in %s): were the shards run with different --limit or datasets?",
				want, idx, r.head.ID, r.path)}}
		}
		if _, err := w.Write(r.line); err != nil {
			return nil, err
		}
		want++
		lastPath, lastLine = r.path, r.n
		if err := r.next(names); err != nil {
			return nil, fmt.Errorf("merge: %w", err)
		}
		if r.eof {
			heap.Pop(&h)
		} else {
			heap.Fix(&h, 0)
		}
	}
	for _, r := range readers {
		if r.n != r.s.res.Dataset.NPairs {
			return nil, &MergeError{Problems: []string{fmt.Sprintf("shard %s: %s has %d pairs, its results.json says %d: was it changed after the run?",
				r.s.dir, r.path, r.n, r.s.res.Dataset.NPairs)}}
		}
	}
	if err := w.Flush(); err != nil {
		return nil, err
	}
	if err := of.Sync(); err != nil {
		return nil, err
	}
	if err := of.Close(); err != nil {
		return nil, err
	}

	// results.json: the shards' common identity, the statistics of the
	// merged samples.
	res := *ref.res
	res.Shard = nil
	res.Notes = ref.cfg.Notes
	res.Scorers = slices.Clone(ref.res.Scorers)
	res.Provenance = mergeProvenance(shards, command)
	for i := range res.Scorers {
		sr := &res.Scorers[i]
		sr.Details = maps.Clone(sr.Details)
		sr.Restarts = 0
		for _, s := range shards {
			sr.Restarts += s.res.Scorers[i].Restarts
			sr.PluginPinned = sr.PluginPinned && s.res.Scorers[i].PluginPinned
		}
	}
	if err := Analyze(outDir, &res, ref.cfg.Analyze); err != nil {
		return nil, fmt.Errorf("merge: analyze: %w", err)
	}
	cfg := ref.cfg
	cfg.Shard, cfg.Command = nil, command
	if err := results.WriteJSON(filepath.Join(outDir, JournalName), &cfg); err != nil {
		return nil, err
	}
	if err := results.WriteJSON(filepath.Join(outDir, results.ResultsFile), &res); err != nil {
		return nil, err
	}
	return &res, nil
}

// mergeProvenance combines the shards' provenance: the software and
// settings of the first shard (checked equal where they matter), the
// earliest start, the shards' seconds, cache hits, plugin calls summed, and
// each plugin's largest peak memory.
func mergeProvenance(shards []*shardRun, command []string) results.Provenance {
	p := shards[0].res.Provenance
	p.Command = command
	p.PluginPeakRSS, p.Scoring = nil, nil
	p.Seconds, p.Cached = 0, 0
	for _, s := range shards {
		q := s.res.Provenance
		if t, err := time.Parse(time.RFC3339, q.StartedAt); err == nil {
			if t0, err := time.Parse(time.RFC3339, p.StartedAt); err != nil || t.Before(t0) {
				p.StartedAt = q.StartedAt
			}
		}
		p.Seconds += q.Seconds
		p.Cached += q.Cached
		p.Resumed = p.Resumed || q.Resumed
		p.AllowUnpinned = p.AllowUnpinned || q.AllowUnpinned
		for k, v := range q.PluginPeakRSS {
			if p.PluginPeakRSS == nil {
				p.PluginPeakRSS = map[string]int64{}
			}
			p.PluginPeakRSS[k] = max(p.PluginPeakRSS[k], v)
		}
		for k, v := range q.Scoring {
			if p.Scoring == nil {
				p.Scoring = map[string]results.ScoringTime{}
			}
			t, seen := p.Scoring[k]
			if !seen {
				t.FirstCallSeconds, t.FirstCallItems = v.FirstCallSeconds, v.FirstCallItems
			}
			t.Calls += v.Calls
			t.Items += v.Items
			t.Seconds += v.Seconds
			p.Scoring[k] = t
		}
	}
	if Reproducible() {
		p.StartedAt, p.Seconds, p.Commit = ReproducibleTime, 0, ""
	}
	return p
}
