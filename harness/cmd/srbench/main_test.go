package main

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/srbench/srbench/harness/report"
	"github.com/srbench/srbench/harness/results"
	"github.com/srbench/srbench/internal/selfhash"
	"github.com/srbench/srbench/internal/testmodels"
)

// binDir holds freshly built srbench and plugins/trivial.
var binDir string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "srbench-cli-test")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binDir = dir
	if _, err := testmodels.BuildPlugin(dir, "srbench", "./harness/cmd/srbench"); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	if _, err := testmodels.BuildPlugin(filepath.Join(dir, "plugins"), "trivial", "./harness/scorer/scorertest/cmd/trivialscorer"); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	// The default models root, models/ in the working directory (binDir):
	// the trivial scorer reads nothing from its model directory, but it must exist.
	if err := os.MkdirAll(filepath.Join(dir, "models", "trivial"), 0o755); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

func srbench(args ...string) *exec.Cmd {
	cmd := exec.Command(filepath.Join(binDir, "srbench"), args...)
	cmd.Dir = binDir
	cmd.Env = append(os.Environ(), "SRBENCH_CACHE="+filepath.Join(binDir, "cache"))
	return cmd
}

// writeBench writes n pairs of small files and a spec running the trivial
// scorer with the given options.
func writeBench(t *testing.T, n int, opts map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	var b bytes.Buffer
	for i := 0; i < 13; i++ {
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("i%d.png", i)), make([]byte, 50+31*i), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, `{"prompt":"prompt %d","prompt_id":"p%d","image_a":"i%d.png","image_b":"i%d.png","label":%q}`+"\n",
			i%29, i%29, i%13, (i*5+1)%13, []string{"a", "b"}[i%2])
	}
	if err := os.WriteFile(filepath.Join(dir, "pairs.jsonl"), b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	var o strings.Builder
	for k, v := range opts {
		fmt.Fprintf(&o, "      %s: %q\n", k, v)
	}
	spec := fmt.Sprintf("name: cli-test\ndataset:\n  path: pairs.jsonl\nscorers:\n  - name: trivial\n    batch_size: 8\n    options:\n%s", o.String())
	if len(opts) == 0 {
		spec = "name: cli-test\ndataset:\n  path: pairs.jsonl\nscorers:\n  - name: trivial\n    batch_size: 8\n"
	}
	path := filepath.Join(dir, "bench.yaml")
	if err := os.WriteFile(path, []byte(spec), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func runOK(t *testing.T, args ...string) string {
	t.Helper()
	out, err := srbench(args...).CombinedOutput()
	if err != nil {
		t.Fatalf("srbench %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

var volatile = cmpopts.IgnoreFields(results.Provenance{}, "StartedAt", "Seconds", "Command", "Cached", "Resumed", "PluginPeakRSS", "Scoring")

func readResults(t *testing.T, dir string) *results.Results {
	t.Helper()
	r, err := results.ReadResults(filepath.Join(dir, "results.json"))
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func countLines(path string) int {
	b, _ := os.ReadFile(path)
	return bytes.Count(b, []byte{'\n'})
}

// TestKilledRunResumes SIGKILLs a running `srbench run`, resumes it, and
// checks the results equal an uninterrupted run's and that no journaled
// pair was scored again.
func TestKilledRunResumes(t *testing.T) {
	const pairs = 1200
	logPath := filepath.Join(t.TempDir(), "scored.log")
	spec := writeBench(t, pairs, map[string]string{"delay_ms": "4", "log": logPath})
	models := t.TempDir() // a models root given once, at the start
	if err := os.Mkdir(filepath.Join(models, "trivial"), 0o755); err != nil {
		t.Fatal(err)
	}
	full := filepath.Join(t.TempDir(), "full")
	runOK(t, "run", spec, "--no-cache", "--no-progress", "--models", models, "--out", full)

	cut := filepath.Join(t.TempDir(), "cut")
	cmd := srbench("run", spec, "--no-cache", "--no-progress", "--models", models, "--out", cut)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	samples := filepath.Join(cut, "samples.jsonl")
	deadline := time.Now().Add(60 * time.Second)
	for countLines(samples) < 300 {
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			t.Fatal("the run did not journal 300 pairs within 60 s")
		}
		time.Sleep(5 * time.Millisecond)
	}
	plugins := children(cmd.Process.Pid)
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()
	journaled := countLines(samples)
	if journaled >= pairs {
		t.Fatalf("the run finished (%d pairs) before it was killed; make it slower", journaled)
	}
	if _, err := os.Stat(filepath.Join(cut, "results.json")); err == nil {
		t.Fatal("a killed run wrote results.json")
	}
	for _, pid := range plugins { // the kernel kills the plugin with its parent
		if !waitDead(pid, 5*time.Second) {
			t.Fatalf("plugin %d outlived its killed harness", pid)
		}
	}
	if err := os.Remove(logPath); err != nil {
		t.Fatal(err)
	}
	// Resumed from another working directory without --models: the run
	// directory remembers where its models and plugins are.
	resume := srbench("resume", cut, "--no-cache", "--no-progress")
	resume.Dir = t.TempDir()
	if out, err := resume.CombinedOutput(); err != nil {
		t.Fatalf("resume: %v\n%s", err, out)
	}

	if diff := cmp.Diff(readResults(t, full), readResults(t, cut), volatile); diff != "" {
		t.Errorf("resumed results differ (-uninterrupted +resumed):\n%s", diff)
	}
	if got, want := readResults(t, cut).Scorers[0].ModelDir, filepath.Join(models, "trivial"); got != want {
		t.Errorf("resumed run's model dir %q, want %q (the models root of the interrupted run)", got, want)
	}
	f, err := os.Open(logPath)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	rescored := 0
	for sc.Scan() {
		line, err := strconv.Atoi(strings.TrimPrefix(strings.Split(sc.Text(), "/")[0], "L"))
		if err != nil {
			t.Fatalf("log line %q", sc.Text())
		}
		if line <= journaled {
			rescored++
		}
	}
	if rescored > 0 {
		t.Errorf("%d items of the %d journaled pairs were scored again", rescored, journaled)
	}
	t.Logf("killed after %d of %d pairs were journaled", journaled, pairs)
}

// TestPluginKilledMidRunCompletes SIGKILLs the plugin process during a run;
// the host restarts it and the run's results equal an undisturbed run's.
func TestPluginKilledMidRunCompletes(t *testing.T) {
	spec := writeBench(t, 800, map[string]string{"delay_ms": "3"})
	full := filepath.Join(t.TempDir(), "full")
	runOK(t, "run", spec, "--no-cache", "--no-progress", "--out", full)

	out := filepath.Join(t.TempDir(), "killed")
	cmd := srbench("run", spec, "--no-cache", "--no-progress", "--out", out)
	var buf bytes.Buffer
	cmd.Stdout, cmd.Stderr = &buf, &buf
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	samples := filepath.Join(out, "samples.jsonl")
	deadline := time.Now().Add(60 * time.Second)
	for countLines(samples) < 256 {
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			t.Fatal("no progress within 60 s")
		}
		time.Sleep(5 * time.Millisecond)
	}
	kids := children(cmd.Process.Pid)
	if len(kids) != 1 {
		cmd.Process.Kill()
		t.Fatalf("want one plugin process under srbench, found %v", kids)
	}
	syscall.Kill(kids[0], syscall.SIGKILL)
	if err := cmd.Wait(); err != nil {
		t.Fatalf("run failed after its plugin was killed: %v\n%s", err, buf.String())
	}
	got := readResults(t, out)
	if got.Scorers[0].Restarts != 1 {
		t.Errorf("plugin restarts = %d, want 1", got.Scorers[0].Restarts)
	}
	got.Scorers[0].Restarts = 0
	if diff := cmp.Diff(readResults(t, full), got, volatile); diff != "" {
		t.Errorf("results differ (-undisturbed +killed plugin):\n%s", diff)
	}
}

// children lists the pids whose parent is pid.
func children(pid int) []int {
	var out []int
	ents, _ := os.ReadDir("/proc")
	for _, e := range ents {
		p, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue
		}
		s := string(b)
		i := strings.LastIndexByte(s, ')')
		f := strings.Fields(s[i+1:])
		if len(f) > 1 && f[1] == strconv.Itoa(pid) && f[0] != "Z" {
			out = append(out, p)
		}
	}
	return out
}

func TestCachedRerunIsServedFromCache(t *testing.T) {
	spec := writeBench(t, 300, map[string]string{"delay_ms": "2"})
	cache := filepath.Join(t.TempDir(), "c.sqlite")
	a := filepath.Join(t.TempDir(), "a")
	b := filepath.Join(t.TempDir(), "b")
	// 300 pairs are 600 items: each either scored by the plugin (in
	// batches of 8 per chunk) or reused from the cache (an item repeated
	// in an earlier chunk).
	first := runOK(t, "run", spec, "--cache", cache, "--no-progress", "--out", a)
	m := regexp.MustCompile(`scoring trivial: (\d+) items in (\d+) calls`).FindStringSubmatch(first)
	reused := regexp.MustCompile(`score cache: (\d+) item scores reused`).FindStringSubmatch(first)
	if m == nil {
		t.Fatalf("first run output does not report its plugin calls:\n%s", first)
	}
	items, _ := strconv.Atoi(m[1])
	calls, _ := strconv.Atoi(m[2])
	cached := 0
	if reused != nil {
		cached, _ = strconv.Atoi(reused[1])
	}
	if items+cached != 600 || calls < (items+7)/8 || calls > items {
		t.Errorf("first run: %d items in %d calls and %d reused; want 600 in all, in batches of at most 8", items, calls, cached)
	}
	out := runOK(t, "run", spec, "--cache", cache, "--no-progress", "--out", b)
	if !strings.Contains(out, "score cache: 600 item scores reused") {
		t.Errorf("second run output does not report the cache:\n%s", out)
	}
	if strings.Contains(out, "scoring trivial") {
		t.Errorf("second run reports plugin calls, but every score came from the cache:\n%s", out)
	}
	if diff := cmp.Diff(readResults(t, a), readResults(t, b), volatile); diff != "" {
		t.Errorf("cached rerun differs:\n%s", diff)
	}
}

// TestRebuiltPluginMissesCache: a plugin rebuilt with a different score
// under the same name, version and model fingerprint does not get its old
// scores from the cache (the binary's sha256 is in the cache key), and
// results.json records the binary's hash.
func TestRebuiltPluginMissesCache(t *testing.T) {
	spec := writeBench(t, 20, nil)
	cache := filepath.Join(t.TempDir(), "c.sqlite")
	first := filepath.Join(t.TempDir(), "first")
	runOK(t, "run", spec, "--cache", cache, "--no-progress", "--out", first)

	rebuilt := t.TempDir()
	bin, err := testmodels.BuildPlugin(rebuilt, "trivial", "./harness/scorer/scorertest/cmd/trivialscorer", "-ldflags", "-X main.bonus=1")
	if err != nil {
		t.Fatal(err)
	}
	second := filepath.Join(t.TempDir(), "second")
	out := runOK(t, "run", spec, "--cache", cache, "--no-progress", "--plugin-dir", rebuilt, "--out", second)
	if strings.Contains(out, "item scores reused") {
		t.Errorf("the rebuilt plugin was served the old plugin's scores:\n%s", out)
	}
	// Independently: the rebuilt plugin scores every image 1 higher.
	a, b := readSamples(t, first), readSamples(t, second)
	for i := range a {
		if d := b[i].Scores["trivial"].A - a[i].Scores["trivial"].A; d != 1 {
			t.Fatalf("pair %d: rebuilt score minus old score = %v, want 1 (the link-time bonus)", i, d)
		}
	}
	sum, err := selfhash.File(bin)
	if err != nil {
		t.Fatal(err)
	}
	if got := readResults(t, second).Scorers[0].PluginSHA256; got != sum {
		t.Errorf("results.json plugin_sha256 %q, want the rebuilt binary's %q", got, sum)
	}
	// The unchanged plugin is still served from the cache.
	third := filepath.Join(t.TempDir(), "third")
	if out := runOK(t, "run", spec, "--cache", cache, "--no-progress", "--out", third); !strings.Contains(out, "score cache: 40 item scores reused") {
		t.Errorf("unchanged plugin not served from the cache:\n%s", out)
	}
}

// TestFailedRunIsLoud: with a typo'd images root every pair fails; the run
// still writes everything, shows n/a (not 0%) with a warning and the first
// error, and exits with status 3; --max-failures accepts it.
func TestFailedRunIsLoud(t *testing.T) {
	spec := writeBench(t, 30, nil)
	out := filepath.Join(t.TempDir(), "typo")
	cmd := srbench("run", spec, "--no-cache", "--no-progress", "--images", "/typo", "--out", out)
	b, err := cmd.CombinedOutput()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 3 {
		t.Fatalf("exit %v, want status 3\n%s", err, b)
	}
	o := string(b)
	for _, want := range []string{
		"trivial        length             n/a!",
		"WARNING trivial: no pair counted: failed on 30 of 30 pairs",
		"trivial failed on pair",
		"/typo/",
		"trivial failed on 30 of 30 pairs (100.0%) (--max-failures 0)",
	} {
		if !strings.Contains(o, want) {
			t.Errorf("output lacks %q:\n%s", want, o)
		}
	}
	if strings.Contains(o, "0.00%") {
		t.Errorf("output shows 0.00%% for a scorer that scored nothing:\n%s", o)
	}
	res := readResults(t, out)
	if res.Scorers[0].Accuracy != nil || res.Scorers[0].NFailed != 30 {
		t.Errorf("results.json: accuracy %v, failed %d; want null and 30", res.Scorers[0].Accuracy, res.Scorers[0].NFailed)
	}
	md, err := os.ReadFile(filepath.Join(out, report.MarkdownFile))
	if err != nil || !strings.Contains(string(md), "n/a (no pair counted)") {
		t.Errorf("report.md: %v; want n/a for the scorer", err)
	}
	// Accepted failures: exit 0.
	ok := filepath.Join(t.TempDir(), "accepted")
	runOK(t, "run", spec, "--no-cache", "--no-progress", "--images", "/typo", "--max-failures", "100%", "--out", ok)
	// A bad limit is refused before anything runs.
	bad := srbench("run", spec, "--no-cache", "--no-progress", "--max-failures", "-3", "--out", filepath.Join(t.TempDir(), "bad"))
	if b, err := bad.CombinedOutput(); !errors.As(err, &ee) || ee.ExitCode() != 2 || !strings.Contains(string(b), "--max-failures") {
		t.Errorf("--max-failures -3: %v\n%s", err, b)
	}
}

func readSamples(t *testing.T, dir string) []results.Sample {
	t.Helper()
	var out []results.Sample
	if err := results.ReadSamples(filepath.Join(dir, results.SamplesFile), func(s results.Sample) error {
		out = append(out, s)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestBadInputMessages(t *testing.T) {
	spec := writeBench(t, 5, nil)
	dir := filepath.Dir(spec)
	os.WriteFile(filepath.Join(dir, "typo.yaml"), []byte("name: x\ndataset:\n  path: pairs.jsonl\n  fromat: x\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "v99.yaml"), []byte("name: x\nversion: \"99\"\ndataset:\n  path: pairs.jsonl\n"), 0o644)
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"unknown spec field", []string{"run", filepath.Join(dir, "typo.yaml")}, `line 4: unknown field "fromat" in dataset (did you mean "format"?)`},
		{"unknown benchmark name", []string{"run", "typoo", "--benchmarks", dir}, `no benchmark "typoo" (no such file, and not in`},
		{"unknown format", []string{"run", "--dataset", "x.jsonl", "--format", "hpdv3-json", "--scorers", "trivial"}, `did you mean "hpdv2-json"`},
		{"unknown policy", []string{"run", spec, "--policy", "pickscor"}, `did you mean "pickscore"`},
		{"unknown plugin", []string{"run", spec, "--scorers", "pikscore", "--no-cache"}, `no plugin "pikscore"`},
		{"negative batch size", []string{"run", spec, "--batch-size", "-4", "--no-cache"}, `batch size -4 (--batch-size, batch_size): want 1 to 1024`},
		{"too many threads", []string{"run", spec, "--threads", "100000", "--no-cache"}, `100000 threads (--threads, threads): want 1 to`},
		{"alpha out of range", []string{"run", spec, "--alpha", "2", "--no-cache"}, `alpha 2 (--alpha, alpha): want a level between 0 and 1`},
		{"bad image size limit", []string{"run", spec, "--max-image-bytes", "lots", "--no-cache"}, `--max-image-bytes "lots": want a size such as 64MiB`},
		{"unusable cache", []string{"run", spec, "--cache", filepath.Join(spec, "c.sqlite")}, `(run with --no-cache, or give a writable file with --cache PATH)`},
		{"spec version", []string{"run", filepath.Join(dir, "v99.yaml")}, `field "version": "99"; this srbench reads benchmark specs of version "1"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			args := append(tc.args, "--plugin-dir", filepath.Join(binDir, "plugins"), "--out", filepath.Join(t.TempDir(), "o"), "--no-progress")
			out, err := srbench(args...).CombinedOutput()
			if err == nil || !strings.Contains(string(out), tc.want) {
				t.Errorf("srbench %v: err %v, output:\n%s\nwant it to contain %q", tc.args, err, out, tc.want)
			}
		})
	}
}

// TestCurateRefusesNonEmptyOut: curate does not write over a directory
// that holds files unless --force.
func TestCurateRefusesNonEmptyOut(t *testing.T) {
	out := t.TempDir()
	os.WriteFile(filepath.Join(out, "metadata.json"), []byte("{}"), 0o644)
	b, err := srbench("curate", "--log", filepath.Join(t.TempDir(), "log.jsonl"), "--out", out).CombinedOutput()
	if err == nil || !strings.Contains(string(b), "is not empty (it holds metadata.json, ...)") || !strings.Contains(string(b), "--force") {
		t.Errorf("curate into a non-empty --out: %v\n%s", err, b)
	}
}

// TestRunFormatAlias runs with --format given as an alias (issue #13): the run is not
// refused and results.json records the canonical format name.
func TestRunFormatAlias(t *testing.T) {
	spec := writeBench(t, 6, nil)
	for _, alias := range []string{"pairs", "JSONL", "Pairs_JSONL"} {
		t.Run(alias, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "o")
			runOK(t, "run", spec, "--format", alias, "--plugin-dir", filepath.Join(binDir, "plugins"), "--no-cache", "--no-progress", "--out", out)
			if got := readResults(t, out).Dataset.Format; got != "pairs-jsonl" {
				t.Errorf("--format %s: results.json dataset.format = %q, want %q", alias, got, "pairs-jsonl")
			}
		})
	}
}
