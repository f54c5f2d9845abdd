package conformance

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/srbench/srbench/harness/host"
	"github.com/srbench/srbench/harness/scorer"
)

// relTolerance bounds how far two scores of the same item may differ when
// they were computed in different batches or processes: |a−b| <=
// relTolerance·max(1,|a|). They need not be bit-identical: ONNX Runtime's
// CPU kernels (MLAS's GEMM and convolutions) block and vectorise
// differently by batch size, so a batch of 32 sums in another order than
// batch 1 and rounds differently in float32 (whose epsilon is 1.2e-7); a
// scorer that truly depends on the batch moves scores by far more than
// 1e-5. The determinism rule, the same batch twice, is exact.
const relTolerance = 1e-5

// within reports whether b is a within the tolerance.
func within(a, b float64) bool { return math.Abs(a-b) <= relTolerance*math.Max(1, math.Abs(a)) }

// same reports whether two results of one item agree: both scored, within
// the tolerance.
func same(a, b scorer.Result) bool { return !a.Failed() && !b.Failed() && within(a.Score, b.Score) }

// show formats a result for a message.
func show(r scorer.Result) string {
	if r.Failed() {
		return fmt.Sprintf("error %q", short(r.Err, 80))
	}
	return fmt.Sprintf("%.8g", r.Score)
}

// maxDiff is the largest |a−b| over the pairs where both scored.
func maxDiff(a, b []scorer.Result) float64 {
	var m float64
	for i := range a {
		if !a[i].Failed() && !b[i].Failed() {
			m = max(m, math.Abs(a[i].Score-b[i].Score))
		}
	}
	return m
}

// mismatch is an item whose two results disagree.
type mismatch struct {
	id     string
	a, b   scorer.Result
	absDif float64
}

// compare lists the items whose results in a and b disagree (same), the
// largest difference first.
func compare(items []scorer.Item, a, b []scorer.Result) []mismatch {
	var out []mismatch
	for i := range items {
		if !same(a[i], b[i]) {
			d := math.Inf(1)
			if !a[i].Failed() && !b[i].Failed() {
				d = math.Abs(a[i].Score - b[i].Score)
			}
			out = append(out, mismatch{id: items[i].ID, a: a[i], b: b[i], absDif: d})
		}
	}
	slices.SortStableFunc(out, func(x, y mismatch) int {
		switch {
		case x.absDif > y.absDif:
			return -1
		case x.absDif < y.absDif:
			return 1
		}
		return 0
	})
	return out
}

// describeMismatches says how many items disagree and shows the worst.
func describeMismatches(ms []mismatch, aName, bName string) string {
	var b strings.Builder
	for i, m := range ms[:min(2, len(ms))] {
		if i > 0 {
			b.WriteString("; ")
		}
		fmt.Fprintf(&b, "item %s: %s %s, %s %s", m.id, aName, show(m.a), bName, show(m.b))
	}
	if len(ms) > 2 {
		fmt.Fprintf(&b, "; and %d more", len(ms)-2)
	}
	return b.String()
}

// score runs one Score call.
func (k *kit) score(ctx context.Context, p *host.Plugin, items []scorer.Item) ([]scorer.Result, error) {
	resp, err := p.Score(ctx, scorer.ScoreRequest{Items: items})
	if err != nil {
		return nil, err
	}
	if len(resp.Results) != len(items) { // the host's client checks this already
		return nil, fmt.Errorf("%d results for %d items", len(resp.Results), len(items))
	}
	return resp.Results, nil
}

// aloneScores scores each item on its own on the reference instance (each
// item once per run).
func (k *kit) aloneScores(ctx context.Context, items []scorer.Item) ([]scorer.Result, error) {
	out := make([]scorer.Result, len(items))
	for i, it := range items {
		r, ok := k.alone[it.ID]
		if !ok {
			rs, err := k.score(ctx, k.ref, []scorer.Item{it})
			if err != nil {
				return nil, fmt.Errorf("scoring item %s alone: %s", it.ID, oneLine(err))
			}
			r = rs[0]
			k.alone[it.ID] = r
		}
		if r.Failed() {
			return nil, fmt.Errorf("item %s (an image the kit made) failed alone: %q; want a score", it.ID, short(r.Err, 120))
		}
		out[i] = r
	}
	return out, nil
}

var fingerprintRE = regexp.MustCompile(`^sha256:[0-9a-f]{64}$`)

// checkDescription lists what is wrong with a Description.
func checkDescription(d scorer.Description) []string {
	var bad []string
	for _, f := range []struct{ name, v string }{{"name", d.Name}, {"version", d.Version}, {"kind", d.Kind}} {
		if strings.TrimSpace(f.v) == "" {
			bad = append(bad, f.name+" is empty")
		}
	}
	const want = `want "sha256:" + 64 lowercase hex digits over the model files, or "none" (scorer.NoFingerprint) for a scorer without any`
	if d.Fingerprint != scorer.NoFingerprint && !fingerprintRE.MatchString(d.Fingerprint) {
		bad = append(bad, fmt.Sprintf("fingerprint is %q: %s", d.Fingerprint, want))
	}
	if d.ProtocolVersion != scorer.ProtocolVersion {
		bad = append(bad, fmt.Sprintf("protocol_version is %d: want %d", d.ProtocolVersion, scorer.ProtocolVersion))
	}
	if !slices.Contains(d.Capabilities, scorer.CapabilityScore) {
		bad = append(bad, fmt.Sprintf("capabilities %q lack %q", d.Capabilities, scorer.CapabilityScore))
	}
	return bad
}

func (k *kit) describe(ctx context.Context) {
	d, err := k.main.Describe(ctx, scorer.DescribeRequest{})
	if err != nil {
		k.set(RuleDescribe, Fail, "Describe failed: %s", oneLine(err))
		return
	}
	k.desc = d
	if bad := checkDescription(d); len(bad) > 0 {
		k.set(RuleDescribe, Fail, "%s", strings.Join(bad, "; "))
		return
	}
	k.set(RuleDescribe, Pass, "%s %s (kind %s), fingerprint %s, protocol %d, capabilities %s",
		d.Name, d.Version, d.Kind, short(d.Fingerprint, 23), d.ProtocolVersion, strings.Join(d.Capabilities, ","))
}

// derangement is a seeded permutation of 0..n-1 that moves every index, so
// that no result of the shuffled batch is in its place by accident.
func derangement(n int) []int {
	rng := rand.New(rand.NewPCG(inputSeed, 2))
	for {
		p := rng.Perm(n)
		fixed := false
		for i, v := range p {
			fixed = fixed || i == v
		}
		if !fixed {
			return p
		}
	}
}

// distinctScores counts the scores of rs that differ beyond the tolerance.
func distinctScores(rs []scorer.Result) int {
	var seen []float64
	for _, r := range rs {
		if !slices.ContainsFunc(seen, func(s float64) bool { return within(s, r.Score) }) {
			seen = append(seen, r.Score)
		}
	}
	return len(seen)
}

// order checks one-result-per-item-in-order: the items scored one at a
// time, then all in one batch in a shuffled order.
func (k *kit) order(ctx context.Context) {
	items := k.c.order
	n := len(items)
	alone, err := k.aloneScores(ctx, items)
	if err != nil {
		k.set(RuleOrder, Fail, "%s", err)
		return
	}
	perm := derangement(n)
	shuffled := make([]scorer.Item, n)
	want := make([]scorer.Result, n) // the score alone of the item at each position
	for i, j := range perm {
		shuffled[i], want[i] = items[j], alone[j]
	}
	got, err := k.score(ctx, k.main, shuffled)
	if err != nil {
		k.set(RuleOrder, Fail, "a batch of %d items: Score failed: %s", n, oneLine(err))
		return
	}
	k.shuffled, k.shuffledRs = shuffled, got
	if distinctScores(alone) < 2 {
		k.set(RuleOrder, Skip, "all %d items score the same alone (%s), so the order of results cannot be seen", n, show(alone[0]))
		return
	}
	if ms := compare(shuffled, want, got); len(ms) == 0 {
		k.set(RuleOrder, Pass, "%d items in one batch, shuffled: each result is the score of the item at its position (max |diff| from alone %.2g)", n, maxDiff(want, got))
		return
	}
	if msg, ok := permuted(shuffled, want, got); ok {
		k.outOfOrder = true
		k.set(RuleOrder, Fail, "%d items in one batch, shuffled: results are not in item order: %s; want result i to be item i's score", n, msg)
		return
	}
	// Not a reordering of the scores alone: the batch changed them. Whether
	// they still follow their items is seen against an in-order batch of
	// the same items (same size, same neighbours).
	inOrder, err := k.score(ctx, k.main, items)
	if err != nil {
		k.set(RuleOrder, Fail, "a batch of %d items in order: Score failed: %s", n, oneLine(err))
		return
	}
	var bad []string
	for i, j := range perm {
		if !same(inOrder[j], got[i]) {
			bad = append(bad, fmt.Sprintf("position %d (item %s) got %s; alone it scores %s, in an in-order batch of the same items %s",
				i, shuffled[i].ID, show(got[i]), show(want[i]), show(inOrder[j])))
		}
	}
	if len(bad) == 0 {
		k.set(RuleOrder, Pass, "%d items in one batch, shuffled: each result is its item's score in an in-order batch of the same items (their scores differ from alone: see %s)", n, RuleBatchSize)
		return
	}
	more := ""
	if len(bad) > 2 {
		more = fmt.Sprintf("; %d positions in all", len(bad))
	}
	k.set(RuleOrder, Fail, "%d items in one batch, shuffled: %s%s", n, strings.Join(bad[:min(2, len(bad))], "; "), more)
}

// permuted explains results that are the items' scores at the wrong
// positions: which position got whose score. ok is false when some result
// is no item's score.
func permuted(items []scorer.Item, want, got []scorer.Result) (msg string, ok bool) {
	n := len(items)
	var parts []string
	wrong := 0
	reversed := true
	for i := range got {
		reversed = reversed && same(want[n-1-i], got[i])
		if same(want[i], got[i]) {
			continue
		}
		wrong++
		j := slices.IndexFunc(want, func(w scorer.Result) bool { return same(w, got[i]) })
		if j < 0 {
			return "", false
		}
		if len(parts) < 3 {
			parts = append(parts, fmt.Sprintf("position %d (item %s) got %s, the score of item %s (at position %d), not its own %s",
				i, items[i].ID, show(got[i]), items[j].ID, j, show(want[i])))
		}
	}
	msg = strings.Join(parts, "; ")
	if wrong > len(parts) {
		msg += fmt.Sprintf("; %d of %d positions wrong", wrong, n)
	}
	if reversed {
		msg = "they are in reverse order: " + msg
	}
	return msg, true
}

// determinism scores the order rule's batch again.
func (k *kit) determinism(ctx context.Context) {
	if k.shuffledRs == nil {
		k.set(RuleDeterminism, Skip, "the batch of %s could not be scored", RuleOrder)
		return
	}
	again, err := k.score(ctx, k.main, k.shuffled)
	if err != nil {
		k.set(RuleDeterminism, Fail, "the same batch of %d again: Score failed: %s", len(k.shuffled), oneLine(err))
		return
	}
	var bad []string
	for i, r := range again {
		first := k.shuffledRs[i]
		if math.Float64bits(r.Score) != math.Float64bits(first.Score) || r.Err != first.Err {
			bad = append(bad, fmt.Sprintf("item %s: %s then %s", k.shuffled[i].ID, show(first), show(r)))
		}
	}
	if len(bad) == 0 {
		k.set(RuleDeterminism, Pass, "the same batch of %d twice: identical scores", len(again))
		return
	}
	k.set(RuleDeterminism, Fail, "the same batch of %d twice: %d of %d scores differ, max |diff| %.3g (%s); want identical scores",
		len(again), len(bad), len(again), maxDiff(k.shuffledRs, again), strings.Join(bad[:min(2, len(bad))], "; "))
}

// outOfOrderSkip marks a rule that matches results to items as not judged.
func (k *kit) outOfOrderSkip(rule string) bool {
	if k.outOfOrder {
		k.set(rule, Skip, "results are not in item order (see %s), so they cannot be matched to items", RuleOrder)
	}
	return k.outOfOrder
}

// batchSize scores 32 items one at a time and in one batch.
func (k *kit) batchSize(ctx context.Context) {
	if k.outOfOrderSkip(RuleBatchSize) {
		return
	}
	items := k.c.batch
	alone, err := k.aloneScores(ctx, items)
	if err != nil {
		k.set(RuleBatchSize, Fail, "%s", err)
		return
	}
	got, err := k.score(ctx, k.main, items)
	if err != nil {
		k.set(RuleBatchSize, Fail, "a batch of %d: Score failed: %s", len(items), oneLine(err))
		return
	}
	if ms := compare(items, alone, got); len(ms) > 0 {
		k.set(RuleBatchSize, Fail, "%d items at batch 1 and in one batch of %d: %d differ beyond 1e-5·max(1,|score|), max |diff| %.3g (%s); want the same score whatever the batch",
			len(items), len(items), len(ms), maxDiff(alone, got), describeMismatches(ms, "alone", "in the batch"))
		return
	}
	k.set(RuleBatchSize, Pass, "%d items at batch 1 and in one batch of %d: max |diff| %.2g (tolerance 1e-5·max(1,|score|))", len(items), len(items), maxDiff(alone, got))
}

// perItemErrors scores good items with an undecodable and a missing image.
func (k *kit) perItemErrors(ctx context.Context) {
	if k.outOfOrderSkip(RulePerItemErrors) {
		return
	}
	g, b := k.c.good, k.c.bad
	items := []scorer.Item{g[0], b[0], g[1], g[2], b[1], g[3]}
	badAt := map[int]string{1: "undecodable image bytes", 4: "a nonexistent path " + b[1].ImagePath}
	got, err := k.score(ctx, k.main, items)
	if err != nil {
		k.set(RulePerItemErrors, Fail, "a batch of %d good items, one with undecodable image bytes and one with a nonexistent path: the call failed (%s); want a per-item Result.Err for the two bad items and scores for the rest",
			len(g), short(oneLine(err), 160))
		return
	}
	var problems, errs []string
	var good, goodGot []scorer.Result
	var goodItems []scorer.Item
	for i, r := range got {
		if what, ok := badAt[i]; ok {
			if !r.Failed() {
				problems = append(problems, fmt.Sprintf("item %s (position %d, %s) scored %s; want a Result.Err", items[i].ID, i, what, show(r)))
			} else {
				errs = append(errs, fmt.Sprintf("%s: %q", items[i].ID, short(r.Err, 60)))
			}
			continue
		}
		if r.Failed() {
			problems = append(problems, fmt.Sprintf("good item %s (position %d) failed: %q; want a score", items[i].ID, i, short(r.Err, 80)))
			continue
		}
		goodItems, goodGot = append(goodItems, items[i]), append(goodGot, r)
	}
	if len(problems) > 0 {
		k.set(RulePerItemErrors, Fail, "%s", strings.Join(problems, "; "))
		return
	}
	if k.results[RuleBatchSize].Status != Pass {
		k.set(RulePerItemErrors, Pass, "the call succeeded with errors for the bad items (%s); the good items' scores not compared with alone, as %s did not pass",
			strings.Join(errs, ", "), RuleBatchSize)
		return
	}
	good, err = k.aloneScores(ctx, goodItems)
	if err != nil {
		k.set(RulePerItemErrors, Fail, "%s", err)
		return
	}
	if ms := compare(goodItems, good, goodGot); len(ms) > 0 {
		k.set(RulePerItemErrors, Fail, "the good items score differently beside bad ones: %s; want their scores alone", describeMismatches(ms, "alone", "beside the bad items"))
		return
	}
	k.set(RulePerItemErrors, Pass, "the call succeeded with errors for the bad items (%s); the %d good items score as alone (max |diff| %.2g)",
		strings.Join(errs, ", "), len(goodItems), maxDiff(good, goodGot))
}

// pathAndBytes scores images by path on one instance and as bytes on the
// other (each sees the image for the first time).
func (k *kit) pathAndBytes(ctx context.Context) {
	var byPath, byBytes []scorer.Result
	for i := range k.c.path {
		p, err := k.score(ctx, k.main, k.c.path[i:i+1])
		if err != nil {
			k.set(RulePathAndBytes, Fail, "item %s by path: Score failed: %s", k.c.path[i].ID, oneLine(err))
			return
		}
		b, err := k.score(ctx, k.ref, k.c.bytes[i:i+1])
		if err != nil {
			k.set(RulePathAndBytes, Fail, "item %s as bytes: Score failed: %s", k.c.path[i].ID, oneLine(err))
			return
		}
		byPath, byBytes = append(byPath, p[0]), append(byBytes, b[0])
	}
	if ms := compare(k.c.path, byPath, byBytes); len(ms) > 0 {
		k.set(RulePathAndBytes, Fail, "the same image as ImagePath and as ImageBytes: %s; want the same score", describeMismatches(ms, "by path", "as bytes"))
		return
	}
	k.set(RulePathAndBytes, Pass, "%d images (PNG and JPEG) as ImagePath and as ImageBytes: max |diff| %.2g", len(byPath), maxDiff(byPath, byBytes))
}

// concurrent runs four Score calls at once on the instance under test and
// the same calls one after another on the reference.
func (k *kit) concurrent(ctx context.Context) {
	bs := k.c.batches
	seq := make([][]scorer.Result, len(bs))
	for i, b := range bs {
		rs, err := k.score(ctx, k.ref, b)
		if err != nil {
			k.set(RuleConcurrent, Fail, "batch %d of %d items, on its own: Score failed: %s", i, len(b), oneLine(err))
			return
		}
		seq[i] = rs
	}
	conc := make([][]scorer.Result, len(bs))
	errs := make([]error, len(bs))
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i, b := range bs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			conc[i], errs[i] = k.score(ctx, k.main, b)
		}()
	}
	t0 := time.Now()
	close(start)
	wg.Wait()
	took := time.Since(t0)
	sizes := make([]string, len(bs))
	var all []mismatch
	var diff float64
	for i, b := range bs {
		sizes[i] = fmt.Sprint(len(b))
		if errs[i] != nil {
			k.set(RuleConcurrent, Fail, "batch %d of %d items, beside %d other calls: Score failed: %s", i, len(b), len(bs)-1, oneLine(errs[i]))
			return
		}
		all = append(all, compare(b, seq[i], conc[i])...)
		diff = max(diff, maxDiff(seq[i], conc[i]))
	}
	what := fmt.Sprintf("%d calls of %s items at once (%s)", len(bs), strings.Join(sizes, ", "), took.Round(time.Millisecond))
	if len(all) > 0 {
		k.set(RuleConcurrent, Fail, "%s vs the same calls one after another: %d items differ, max |diff| %.3g (%s); want the same results",
			what, len(all), diff, describeMismatches(all, "sequential", "concurrent"))
		return
	}
	k.set(RuleConcurrent, Pass, "%s agree with the same calls one after another (max |diff| %.2g)", what, diff)
}

// shutdown stops both instances through the host and checks how they
// ended.
func (k *kit) shutdown() {
	insts := []struct {
		name string
		p    *host.Plugin
		pid  int
	}{{"the instance under test", k.main, k.main.Pid()}, {"the reference instance", k.ref, k.ref.Pid()}}
	var wg sync.WaitGroup
	for _, inst := range insts { // at once: a plugin that ignores the request takes seconds
		wg.Add(1)
		go func() {
			defer wg.Done()
			inst.p.Kill()
		}()
	}
	wg.Wait()
	var problems, ok []string
	for _, inst := range insts {
		pid := inst.pid
		st, stopped := inst.p.LastStop()
		if !stopped || st.Pid != pid {
			problems = append(problems, fmt.Sprintf("%s (pid %d) was not running when the kit stopped it", inst.name, pid))
			continue
		}
		var left []int
		for _, l := range st.Leftover {
			if l != pid {
				left = append(left, l)
			}
		}
		switch {
		case st.TimedOut:
			problems = append(problems, fmt.Sprintf("%s (pid %d) had not exited %s after the shutdown request; the host SIGKILLed its process group", inst.name, pid, k.deadline))
		case strings.HasPrefix(st.Exit, "signal:"):
			problems = append(problems, fmt.Sprintf("%s (pid %d) ended by a signal (%s) %s after the shutdown request (go-plugin SIGKILLs a plugin that has not exited 2 s after it); want it to exit on its own",
				inst.name, pid, st.Exit, st.Took.Round(time.Millisecond)))
		case st.Exit == "":
			problems = append(problems, fmt.Sprintf("%s (pid %d): how it ended is unknown", inst.name, pid))
		default:
			ok = append(ok, fmt.Sprintf("%s in %s", st.Exit, st.Took.Round(time.Millisecond)))
		}
		if len(left) > 0 {
			problems = append(problems, fmt.Sprintf("%s (pid %d) left process(es) %v of its process group running after it exited; the host SIGKILLed them; want a plugin to stop what it started", inst.name, pid, left))
		}
		if rest := waitGroupGone(pid, time.Second); len(rest) > 0 {
			problems = append(problems, fmt.Sprintf("process(es) %v of the process group of %s (pid %d) are still running after the host's SIGKILL", rest, inst.name, pid))
		}
	}
	if len(problems) > 0 {
		k.set(RuleShutdown, Fail, "%s", strings.Join(problems, "; "))
		return
	}
	k.set(RuleShutdown, Pass, "both instances exited on their own after the shutdown request (%s); nothing of their process groups left", strings.Join(ok, ", "))
}

// waitGroupGone waits up to d for process group pgid to have no running
// process, and returns those still running.
func waitGroupGone(pgid int, d time.Duration) []int {
	end := time.Now().Add(d)
	for {
		rest := host.ProcessGroup(pgid)
		if len(rest) == 0 || time.Now().After(end) {
			return rest
		}
		time.Sleep(10 * time.Millisecond)
	}
}
