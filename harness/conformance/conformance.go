package conformance

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"text/tabwriter"
	"time"
	"unicode/utf8"

	"github.com/hashicorp/go-hclog"
	"google.golang.org/grpc/codes"

	"github.com/srbench/srbench/harness/host"
	"github.com/srbench/srbench/harness/scorer"
)

// The rules, in the order the kit checks and reports them (doc.go says
// what each requires).
const (
	RuleStart         = "start"
	RuleUnknownOption = "configure-unknown-option"
	RuleDescribe      = "describe"
	RuleOrder         = "one-result-per-item-in-order"
	RuleDeterminism   = "determinism"
	RuleBatchSize     = "batch-size-invariance"
	RulePerItemErrors = "per-item-errors"
	RulePathAndBytes  = "path-and-bytes"
	RuleConcurrent    = "concurrent-calls"
	RuleShutdown      = "shutdown"
	RuleNoWarnings    = "no-warnings"
)

// Rules returns every rule's name in report order.
func Rules() []string {
	return []string{RuleStart, RuleUnknownOption, RuleDescribe, RuleOrder, RuleDeterminism, RuleBatchSize,
		RulePerItemErrors, RulePathAndBytes, RuleConcurrent, RuleShutdown, RuleNoWarnings}
}

// UnknownOption is the option key no plugin knows, which the
// configure-unknown-option rule passes to Configure (with the value "1").
const UnknownOption = "conformance_unknown_option"

// Defaults of Options.
const (
	DefaultTimeout          = time.Minute
	DefaultShutdownDeadline = 5 * time.Second
)

// Options configure a kit run. The zero value is the documented default.
type Options struct {
	// ModelDir is the model directory passed to Configure; "" = an empty
	// temporary directory (which plugins without model files accept).
	ModelDir string
	// Options are the scorer options passed to Configure.
	Options map[string]string
	// Timeout bounds the plugin's start-up handshake and each call (plus
	// the host's per-item allowance for Score); 0 = DefaultTimeout.
	Timeout time.Duration
	// ShutdownDeadline is how long a plugin may take to exit after the
	// host asks it to; 0 = DefaultShutdownDeadline. go-plugin itself
	// SIGKILLs a plugin that has not exited 2 s after its shutdown
	// request, so a longer deadline changes nothing.
	ShutdownDeadline time.Duration
	// TempDir is where the kit writes its images (and the empty model
	// directory); "" = the system's temporary directory.
	TempDir string
}

// Status is the outcome of one rule.
type Status string

// The statuses of a rule.
const (
	Pass Status = "PASS"
	Fail Status = "FAIL"
	Skip Status = "SKIP" // not judged: the rule's prerequisites failed
)

// Result is one rule's outcome; Detail says what was seen (and, for a
// failure, what was expected).
type Result struct {
	Rule   string
	Status Status
	Detail string
}

// String is "RULE STATUS: detail".
func (r Result) String() string { return fmt.Sprintf("%s %s: %s", r.Rule, r.Status, r.Detail) }

// Report is the outcome of a kit run against one plugin.
type Report struct {
	Plugin   host.Info
	ModelDir string
	// Description is what the plugin described (zero if it did not start).
	Description scorer.Description
	// Results holds one Result per rule, in the order of Rules.
	Results []Result
	// Log is every line the host logged (go-plugin's and the plugin's
	// own, debug level and up), as "[LEVEL] module: message key=value".
	Log []string
	// Took is how long the run took.
	Took time.Duration
}

// Failed returns the results of the rules that failed.
func (r *Report) Failed() []Result {
	var out []Result
	for _, x := range r.Results {
		if x.Status == Fail {
			out = append(out, x)
		}
	}
	return out
}

// Err is nil when no rule failed, else an error naming the failed rules.
func (r *Report) Err() error {
	f := r.Failed()
	if len(f) == 0 {
		return nil
	}
	names := make([]string, len(f))
	for i, x := range f {
		names[i] = x.Rule
	}
	return fmt.Errorf("plugin %q failed %d of %d conformance rules: %s", r.Plugin.Name, len(f), len(r.Results), strings.Join(names, ", "))
}

// WriteTable writes the report as a table: rule, PASS/FAIL/SKIP, detail.
func (r *Report) WriteTable(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "RULE\tRESULT\tDETAIL")
	var pass, fail, skip int
	for _, x := range r.Results {
		fmt.Fprintf(tw, "%s\t%s\t%s\n", x.Rule, x.Status, x.Detail)
		switch x.Status {
		case Pass:
			pass++
		case Fail:
			fail++
		default:
			skip++
		}
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	_, err := fmt.Fprintf(w, "%d rules: %d passed, %d failed, %d skipped (%s)\n", len(r.Results), pass, fail, skip, r.Took.Round(time.Millisecond))
	return err
}

// Run checks the plugin against every rule of the contract and reports
// each rule's outcome. Its error is for what kept the kit itself from
// running (a temporary directory it could not write) or a cancelled ctx;
// a plugin breaking a rule is in the report (Report.Err).
//
// The kit launches the plugin three times through a host.Host, as srbench
// does: once configured with UnknownOption (which must be refused), then
// the instance under test and a reference instance that scores every
// item on its own. Every process is shut down through the host's normal
// path, which the shutdown rule watches.
func Run(ctx context.Context, info host.Info, opts Options) (*Report, error) {
	start := time.Now()
	tmp, err := os.MkdirTemp(opts.TempDir, "srbench-conformance-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)
	modelDir := opts.ModelDir
	if modelDir == "" {
		modelDir = filepath.Join(tmp, "model")
		if err := os.Mkdir(modelDir, 0o755); err != nil {
			return nil, err
		}
	} else if modelDir, err = filepath.Abs(modelDir); err != nil {
		return nil, err
	}
	images := filepath.Join(tmp, "images")
	if err := os.Mkdir(images, 0o755); err != nil {
		return nil, err
	}
	c, err := newCorpus(images)
	if err != nil {
		return nil, fmt.Errorf("writing the kit's images: %w", err)
	}
	timeout := opts.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	deadline := opts.ShutdownDeadline
	if deadline <= 0 {
		deadline = DefaultShutdownDeadline
	}
	sink := &logSink{}
	h := host.New(host.Options{
		Logger:       hclog.New(&hclog.LoggerOptions{Name: "srbench", Output: sink, Level: hclog.Debug, JSONFormat: true}),
		StartTimeout: timeout,
		CallTimeout:  timeout,
		// A plugin that crashes fails the rule it crashed in, rather
		// than being relaunched behind the kit's back.
		MaxRestarts:   -1,
		KillGrace:     deadline,
		AllowUnpinned: true,
	})
	defer h.Close()
	k := &kit{
		info: info, h: h, c: c, timeout: timeout, deadline: deadline,
		cfg:     scorer.Config{ModelDir: modelDir, BatchSize: batchItems, Options: opts.Options},
		results: map[string]Result{},
		alone:   map[string]scorer.Result{},
	}
	k.run(ctx)
	h.Close()
	rep := &Report{Plugin: info, ModelDir: modelDir, Description: k.desc, Log: sink.lines()}
	k.judgeLog(rep.Log)
	for _, name := range Rules() {
		r, ok := k.results[name]
		if !ok {
			r = Result{Rule: name, Status: Skip, Detail: k.skipWhy}
		}
		rep.Results = append(rep.Results, r)
	}
	rep.Took = time.Since(start)
	if err := ctx.Err(); err != nil {
		return rep, err
	}
	return rep, nil
}

// kit is one run's state.
type kit struct {
	info     host.Info
	h        *host.Host
	c        *corpus
	cfg      scorer.Config
	timeout  time.Duration
	deadline time.Duration

	main, ref *host.Plugin // the instance under test and the reference
	desc      scorer.Description
	results   map[string]Result
	skipWhy   string // why the rules not judged were not

	alone      map[string]scorer.Result // item id -> its score alone (ref)
	outOfOrder bool                     // one-result-per-item-in-order saw results at the wrong positions
	shuffled   []scorer.Item            // the order rule's batch, and its results
	shuffledRs []scorer.Result
}

func (k *kit) set(rule string, st Status, format string, args ...any) {
	k.results[rule] = Result{Rule: rule, Status: st, Detail: fmt.Sprintf(format, args...)}
}

func (k *kit) run(ctx context.Context) {
	if !k.launch(ctx) {
		return
	}
	k.describe(ctx)
	k.order(ctx)
	k.determinism(ctx)
	k.batchSize(ctx)
	k.perItemErrors(ctx)
	k.pathAndBytes(ctx)
	k.concurrent(ctx)
	k.shutdown()
}

// configureAnswered reports whether a failed Launch got as far as an answer
// to Configure (so the handshake succeeded), and whether the plugin died
// on it.
func configureAnswered(err error) (answered, died bool) {
	var se *scorer.StatusError
	if !errors.As(err, &se) {
		return false, false
	}
	return true, se.Code == codes.Unavailable
}

// launch checks start and configure-unknown-option, and launches the
// instance under test and the reference; false when the scoring rules
// cannot run.
func (k *kit) launch(ctx context.Context) bool {
	bad := k.cfg
	bad.Options = maps.Clone(k.cfg.Options)
	if bad.Options == nil {
		bad.Options = map[string]string{}
	}
	bad.Options[UnknownOption] = "1"
	// The three instances start at once (a plugin that loads a large
	// runtime, such as PyTorch, takes seconds to start).
	type launched struct {
		p    *host.Plugin
		err  error
		took time.Duration
	}
	cfgs := []scorer.Config{bad, k.cfg, k.cfg}
	res := make([]launched, len(cfgs))
	var wg sync.WaitGroup
	for i, cfg := range cfgs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			t0 := time.Now()
			p, err := k.h.Launch(ctx, k.info, cfg)
			res[i] = launched{p, err, time.Since(t0)}
		}()
	}
	wg.Wait()
	for _, r := range res {
		if answered, _ := configureAnswered(r.err); r.err != nil && !answered {
			k.set(RuleStart, Fail, "the handshake failed: %s", oneLine(r.err))
			k.skipWhy = "the plugin did not start"
			return false
		}
	}
	// The slowest of the normal launches is reported (the refused one's
	// time includes the host's shutdown of its process).
	k.set(RuleStart, Pass, "3 launches at once; the handshake and Configure took %s at most", max(res[1].took, res[2].took).Round(time.Millisecond))
	for _, r := range res[1:] {
		if r.err != nil {
			k.set(RuleUnknownOption, Fail, "Configure with model directory %s and options %v failed: %s", k.cfg.ModelDir, k.cfg.Options, oneLine(r.err))
			k.skipWhy = "Configure failed (see " + RuleUnknownOption + ")"
			return false
		}
	}
	k.main, k.ref = res[1].p, res[2].p
	switch err := res[0].err; {
	case err == nil:
		k.set(RuleUnknownOption, Fail, "Configure accepted the unknown option %s=1; want an error naming %q (reject unknown keys: Config.CheckOptions)", UnknownOption, UnknownOption)
		res[0].p.Kill()
	case strings.Contains(statusMessage(err), UnknownOption):
		k.set(RuleUnknownOption, Pass, "refused: %q; then configured normally", short(statusMessage(err), 120))
	default:
		if _, died := configureAnswered(err); died {
			k.set(RuleUnknownOption, Fail, "the plugin died when Configure got the unknown option %s=1 (%s); want an error naming %q", UnknownOption, oneLine(err), UnknownOption)
			break
		}
		k.set(RuleUnknownOption, Fail, "Configure refused the unknown option %s=1, but its error does not name the key: %q", UnknownOption, short(statusMessage(err), 160))
	}
	return true
}

// statusMessage is the plugin's own message of a failed call, without the
// host's "plugin ...: model ...:" prefix.
func statusMessage(err error) string {
	var se *scorer.StatusError
	if errors.As(err, &se) {
		return se.Message
	}
	return err.Error()
}

// judgeLog checks no-warnings against the host's log of the whole run.
func (k *kit) judgeLog(lines []string) {
	var bad []string
	for _, l := range lines {
		if strings.HasPrefix(l, "[WARN]") || strings.HasPrefix(l, "[ERROR]") {
			bad = append(bad, l)
		}
	}
	if len(bad) == 0 {
		k.set(RuleNoWarnings, Pass, "%d log lines, none at warn or error level", len(lines))
		return
	}
	shown := bad[:min(3, len(bad))]
	for i := range shown {
		shown[i] = short(shown[i], 160)
	}
	more := ""
	if len(bad) > len(shown) {
		more = fmt.Sprintf(" (and %d more)", len(bad)-len(shown))
	}
	k.set(RuleNoWarnings, Fail, "%d log line(s) at warn or error level, want none: %s%s", len(bad), strings.Join(shown, " | "), more)
}

// oneLine is err's message on one line.
func oneLine(err error) string { return strings.Join(strings.Fields(err.Error()), " ") }

// short cuts s to at most n bytes (on a rune boundary), marking the cut.
func short(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}
