package main

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/srbench/srbench/harness/report"
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
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

func srbench(args ...string) *exec.Cmd {
	cmd := exec.Command(filepath.Join(binDir, "srbench"), args...)
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

var volatile = cmpopts.IgnoreFields(report.Provenance{}, "StartedAt", "Seconds", "Command", "Cached", "Resumed")

func readResults(t *testing.T, dir string) *report.Results {
	t.Helper()
	r, err := report.ReadResults(filepath.Join(dir, "results.json"))
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
	full := filepath.Join(t.TempDir(), "full")
	runOK(t, "run", spec, "--no-cache", "--no-progress", "--out", full)

	cut := filepath.Join(t.TempDir(), "cut")
	cmd := srbench("run", spec, "--no-cache", "--no-progress", "--out", cut)
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
	time.Sleep(200 * time.Millisecond) // the plugin dies with its parent
	if err := os.Remove(logPath); err != nil {
		t.Fatal(err)
	}
	runOK(t, "run", "--resume", cut, "--no-cache", "--no-progress")

	if diff := cmp.Diff(readResults(t, full), readResults(t, cut), volatile); diff != "" {
		t.Errorf("resumed results differ (-uninterrupted +resumed):\n%s", diff)
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
	runOK(t, "run", spec, "--cache", cache, "--no-progress", "--out", a)
	out := runOK(t, "run", spec, "--cache", cache, "--no-progress", "--out", b)
	if !strings.Contains(out, "score cache: 600 item scores reused") {
		t.Errorf("second run output does not report the cache:\n%s", out)
	}
	if diff := cmp.Diff(readResults(t, a), readResults(t, b), volatile); diff != "" {
		t.Errorf("cached rerun differs:\n%s", diff)
	}
}

func TestBadInputMessages(t *testing.T) {
	spec := writeBench(t, 5, nil)
	dir := filepath.Dir(spec)
	os.WriteFile(filepath.Join(dir, "typo.yaml"), []byte("name: x\ndataset:\n  path: pairs.jsonl\n  fromat: x\n"), 0o644)
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
