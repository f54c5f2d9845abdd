package slurm

import (
	"bytes"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/srbench/srbench/harness/results"
	"github.com/srbench/srbench/internal/testmodels"
)

// shards is the array size of srbench-array.sbatch (#SBATCH --array=0-3).
const shards = 4

// volatile are the provenance fields that differ between two runs of the
// same spec (as in harness/cmd/srbench's tests).
var volatile = cmpopts.IgnoreFields(results.Provenance{}, "StartedAt", "Seconds", "Command", "Cached", "Resumed", "PluginPeakRSS", "Scoring")

// TestSlurmArrayMatchesSingleRun runs deploy/slurm's scripts on a private
// single-node Slurm cluster: srbench-array.sbatch scores a benchmark in
// four shards, srbench-merge.sbatch (after the array) merges them, and the
// merged run equals a single-machine `srbench run` of the same spec:
// samples.jsonl byte for byte, results.json but for timestamps and timings.
func TestSlurmArrayMatchesSingleRun(t *testing.T) {
	tools := slurmTools(t)
	c := startCluster(t, tools)

	// A job array that only reports its environment: the cluster schedules
	// arrays and exports the variables --shard-from-env reads.
	t.Run("array-env", func(t *testing.T) {
		work := c.workDir(t, "env")
		id := c.sbatch(t, work, "--array=0-3", "--output=slurm-%A_%a.out",
			"--wrap", `echo "$SLURM_ARRAY_TASK_ID $SLURM_ARRAY_TASK_MIN $SLURM_ARRAY_TASK_COUNT" > task-$SLURM_ARRAY_TASK_ID`)
		c.wait(t, work, id)
		for i := 0; i < shards; i++ {
			b, err := os.ReadFile(filepath.Join(work, fmt.Sprintf("task-%d", i)))
			if err != nil {
				c.fail(t, work, "array task %d wrote nothing: %v", i, err)
			}
			if got, want := strings.TrimSpace(string(b)), fmt.Sprintf("%d 0 %d", i, shards); got != want {
				c.fail(t, work, "array task %d: SLURM_ARRAY_TASK_ID/MIN/COUNT = %q, want %q", i, got, want)
			}
		}
	})
	if t.Failed() {
		return
	}

	t.Run("srbench", func(t *testing.T) {
		bin := filepath.Join(c.dir, "bin")
		srbench, err := testmodels.BuildPlugin(bin, "srbench", "./harness/cmd/srbench")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := testmodels.BuildPlugin(filepath.Join(bin, "plugins"), "trivial", "./harness/scorer/scorertest/cmd/trivialscorer"); err != nil {
			t.Fatal(err)
		}
		models := filepath.Join(c.dir, "models")
		// The trivial scorer reads nothing from its model directory, but it must exist.
		if err := os.MkdirAll(filepath.Join(models, "trivial"), 0o755); err != nil {
			t.Fatal(err)
		}
		const pairs = 240
		spec := writeBench(t, filepath.Join(c.dir, "bench"), pairs)
		args := []string{"--no-cache", "--no-progress", "--models", models}

		// The single-machine run.
		single := filepath.Join(c.dir, "single")
		cmd := exec.Command(srbench, append([]string{"run", spec, "--out", single}, args...)...)
		cmd.Env = c.env()
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("srbench run (single machine): %v\n%s", err, out)
		}

		// The array, then the merge after it, as the README says.
		work := c.workDir(t, "srbench")
		runDir := filepath.Join(work, "runs", "slurm-test")
		// The variables go in with --export, as in the README (no commas in these paths).
		array := c.sbatch(t, work,
			"--export=ALL,SPEC="+spec+",RUN_DIR="+runDir+",SRBENCH="+srbench+",SRBENCH_ARGS="+strings.Join(args, " "),
			scriptPath(t, "srbench-array.sbatch"))
		merge := c.sbatch(t, work, "--dependency=afterok:"+array, "--kill-on-invalid-dep=yes",
			"--export=ALL,RUN_DIR="+runDir+",SRBENCH="+srbench, scriptPath(t, "srbench-merge.sbatch"))
		c.wait(t, work, array, merge)

		// Each shard is an ordinary run of its own pairs; together they hold every pair once.
		total := 0
		for i := 0; i < shards; i++ {
			dir := filepath.Join(runDir, fmt.Sprintf("shard-%d", i))
			var r struct {
				Shard *struct{ Index, Count int } `json:"shard"`
			}
			b, err := os.ReadFile(filepath.Join(dir, "results.json"))
			if err == nil {
				err = json.Unmarshal(b, &r)
			}
			if err != nil {
				c.fail(t, work, "shard %d: %v", i, err)
			}
			if r.Shard == nil || r.Shard.Index != i || r.Shard.Count != shards {
				t.Errorf("shard %d: results.json records shard %+v, want {Index:%d Count:%d}", i, r.Shard, i, shards)
			}
			n := countLines(t, filepath.Join(dir, "samples.jsonl"))
			if n == 0 {
				t.Errorf("shard %d scored no pairs (of %d over %d shards)", i, pairs, shards)
			}
			total += n
		}
		if total != pairs {
			t.Errorf("the shards scored %d pairs, want %d", total, pairs)
		}

		merged := filepath.Join(runDir, "merged")
		want, err := os.ReadFile(filepath.Join(single, "samples.jsonl"))
		if err != nil {
			t.Fatal(err)
		}
		got, err := os.ReadFile(filepath.Join(merged, "samples.jsonl"))
		if err != nil {
			c.fail(t, work, "merged run: %v", err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("merged samples.jsonl (%d bytes, %d lines) differs from the single-machine run's (%d bytes, %d lines)",
				len(got), bytes.Count(got, []byte{'\n'}), len(want), bytes.Count(want, []byte{'\n'}))
		}
		if diff := cmp.Diff(readResults(t, single), readResults(t, merged), volatile); diff != "" {
			t.Errorf("merged results.json differs from the single-machine run's (-single +merged):\n%s", diff)
		}
	})
}

// tools are the absolute paths of the Slurm and MUNGE programs.
type tools map[string]string

// slurmTools finds the daemons and commands, or skips the test when Slurm
// or MUNGE is not installed: the only reason this test skips.
func slurmTools(t *testing.T) tools {
	t.Helper()
	dirs := filepath.SplitList(os.Getenv("PATH"))
	dirs = append(dirs, "/usr/sbin", "/sbin", "/usr/local/sbin")
	found := tools{}
	var missing []string
	for _, name := range []string{"slurmctld", "slurmd", "sbatch", "squeue", "scontrol", "scancel", "munged"} {
		for _, d := range dirs {
			p := filepath.Join(d, name)
			if st, err := os.Stat(p); err == nil && st.Mode().IsRegular() && st.Mode()&0o111 != 0 {
				found[name] = p
				break
			}
		}
		if found[name] == "" {
			missing = append(missing, name)
		}
	}
	if len(missing) > 0 {
		t.Skipf("Slurm/MUNGE not installed (no %s): run scripts/install-slurm.sh (make slurm; Debian's slurm-wlm and munge)", strings.Join(missing, ", "))
	}
	return found
}

// cluster is a private single-node Slurm cluster: munged, slurmctld and
// slurmd run from dir with their own key, configuration and ports.
type cluster struct {
	tools
	dir     string // 0755, holding everything
	conf    string // slurm.conf
	munge   string // munged's socket
	daemons []*daemon
	jobs    []string // submitted job ids, cancelled at cleanup
}

type daemon struct {
	name string
	cmd  *exec.Cmd
	out  string // its stdout and stderr
	done chan struct{}
	err  error // after done
}

func startCluster(t *testing.T, tl tools) *cluster {
	t.Helper()
	// Not t.TempDir(): munged wants its socket's directory (and the
	// spool directories the jobs' users reach) world-searchable, and a
	// short path keeps the socket's within the limit of 107 bytes.
	dir, err := os.MkdirTemp("", "srbench-slurm-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	c := &cluster{tools: tl, dir: dir, conf: filepath.Join(dir, "slurm.conf"), munge: filepath.Join(dir, "munge", "munge.sock")}
	for _, d := range []string{"munge", "state", "spool", "log", "run", "work"} {
		if err := os.Mkdir(filepath.Join(dir, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	// Cleanups run last-in first-out: the jobs are cancelled, then slurmd,
	// slurmctld and munged stop (each registered as it starts).
	t.Cleanup(func() {
		if t.Failed() {
			c.dumpLogs(t)
		}
	})

	// MUNGE: a fresh key, a private socket.
	key := make([]byte, 128)
	if _, err := rand.Read(key); err != nil {
		t.Fatal(err)
	}
	keyFile := filepath.Join(dir, "munge", "munge.key")
	if err := os.WriteFile(keyFile, key, 0o600); err != nil {
		t.Fatal(err)
	}
	c.start(t, "munged", tl["munged"], "--foreground", "--socket="+c.munge, "--key-file="+keyFile,
		"--pid-file="+filepath.Join(dir, "run", "munged.pid"), "--seed-file="+filepath.Join(dir, "munge", "munged.seed"),
		"--log-file="+filepath.Join(dir, "log", "munged.log"))
	c.waitFor(t, "munged's socket", 20*time.Second, func() (bool, string) {
		_, err := os.Stat(c.munge)
		return err == nil, fmt.Sprint(err)
	})

	// slurm.conf.
	ctldPort, slurmdPort := freePort(t), freePort(t)
	for slurmdPort == ctldPort {
		slurmdPort = freePort(t)
	}
	slurmUser := "root"
	if os.Geteuid() != 0 {
		// slurmd normally runs as root, to start jobs as their users; run
		// as one user (Slurm 22.05 does: tried by hand as nobody), it
		// starts that user's jobs, which are all this test submits.
		u, err := user.Current()
		if err != nil {
			t.Fatal(err)
		}
		slurmUser = u.Username
	}
	conf := fmt.Sprintf(`# A private single-node cluster for deploy/slurm's test.
ClusterName=srbenchtest
SlurmctldHost=localhost(127.0.0.1)
SlurmctldPort=%[2]d
SlurmdPort=%[3]d
SlurmUser=%[4]s
SlurmdUser=%[4]s
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=%[5]s
StateSaveLocation=%[1]s/state
SlurmdSpoolDir=%[1]s/spool
SlurmctldPidFile=%[1]s/run/slurmctld.pid
SlurmdPidFile=%[1]s/run/slurmd.pid
SlurmctldLogFile=%[1]s/log/slurmctld.log
SlurmdLogFile=%[1]s/log/slurmd.log
SlurmctldDebug=info
SlurmdDebug=info
MailProg=/bin/true
ProctrackType=proctrack/pgid
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
MpiDefault=none
SwitchType=switch/none
ReturnToService=2
MinJobAge=600
SchedulerParameters=kill_invalid_depend,batch_sched_delay=0,sched_min_interval=0
NodeName=localhost NodeAddr=127.0.0.1 CPUs=%[6]d RealMemory=256 State=UNKNOWN
PartitionName=debug Nodes=localhost Default=YES MaxTime=INFINITE State=UP
`, dir, ctldPort, slurmdPort, slurmUser, c.munge, runtime.NumCPU())
	if err := os.WriteFile(c.conf, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}

	c.start(t, "slurmctld", tl["slurmctld"], "-D", "-i", "-f", c.conf)
	c.waitFor(t, "slurmctld to answer", 30*time.Second, func() (bool, string) {
		out, err := c.command(tl["scontrol"], "ping").CombinedOutput()
		return err == nil && strings.Contains(string(out), "is UP"), string(out)
	})
	c.start(t, "slurmd", tl["slurmd"], "-D", "-N", "localhost", "-f", c.conf)
	c.waitFor(t, "node localhost to be idle", 30*time.Second, func() (bool, string) {
		out, err := c.command(tl["scontrol"], "-o", "show", "node", "localhost").CombinedOutput()
		return err == nil && strings.Contains(string(out), "State=IDLE"), string(out)
	})
	t.Cleanup(func() { c.cancelJobs(t) })
	return c
}

// start launches a daemon in its own process group and registers its stop.
func (c *cluster) start(t *testing.T, name, path string, args ...string) {
	t.Helper()
	d := &daemon{name: name, out: filepath.Join(c.dir, "log", name+".out"), done: make(chan struct{})}
	f, err := os.Create(d.out)
	if err != nil {
		t.Fatal(err)
	}
	d.cmd = c.command(path, args...)
	d.cmd.Dir = c.dir
	d.cmd.Stdout, d.cmd.Stderr = f, f
	d.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := d.cmd.Start(); err != nil {
		f.Close()
		t.Fatalf("start %s: %v", name, err)
	}
	f.Close()
	go func() { d.err = d.cmd.Wait(); close(d.done) }()
	c.daemons = append(c.daemons, d)
	t.Cleanup(func() { d.stop(t) })
}

// stop sends SIGTERM to the daemon's process group, then SIGKILL after 10 s.
func (d *daemon) stop(t *testing.T) {
	pgid := d.cmd.Process.Pid
	select {
	case <-d.done:
	default:
		syscall.Kill(-pgid, syscall.SIGTERM)
		select {
		case <-d.done:
		case <-time.After(10 * time.Second):
			t.Errorf("%s did not stop within 10 s of SIGTERM; killing it", d.name)
			syscall.Kill(-pgid, syscall.SIGKILL)
			<-d.done
		}
	}
	syscall.Kill(-pgid, syscall.SIGKILL) // whatever is left of its group
}

// exited reports a daemon that is no longer running.
func (c *cluster) exited() string {
	for _, d := range c.daemons {
		select {
		case <-d.done:
			return fmt.Sprintf("%s exited: %v", d.name, d.err)
		default:
		}
	}
	return ""
}

// waitFor polls ok until it holds, a daemon exits or the timeout passes.
func (c *cluster) waitFor(t *testing.T, what string, timeout time.Duration, ok func() (bool, string)) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		done, last := ok()
		if done {
			return
		}
		if msg := c.exited(); msg != "" {
			t.Fatalf("waiting for %s: %s (last: %s)", what, msg, strings.TrimSpace(last))
		}
		if time.Now().After(deadline) {
			t.Fatalf("waiting for %s: not within %v (last: %s)", what, timeout, strings.TrimSpace(last))
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// env is the environment of the cluster's commands and jobs: this
// process's without any Slurm variables (the test may itself run inside a
// Slurm job), with SLURM_CONF naming the private cluster's configuration
// and a private score cache.
func (c *cluster) env() []string {
	var env []string
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "SLURM_") || strings.HasPrefix(kv, "SBATCH_") || strings.HasPrefix(kv, "SQUEUE_") ||
			strings.HasPrefix(kv, "SRBENCH_CACHE=") {
			continue
		}
		env = append(env, kv)
	}
	return append(env, "SLURM_CONF="+c.conf, "SRBENCH_CACHE="+filepath.Join(c.dir, "cache"))
}

func (c *cluster) command(path string, args ...string) *exec.Cmd {
	cmd := exec.Command(path, args...)
	cmd.Env = c.env()
	return cmd
}

// workDir makes a directory to submit jobs from (their output lands there).
func (c *cluster) workDir(t *testing.T, name string) string {
	t.Helper()
	dir := filepath.Join(c.dir, "work", name)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// sbatch submits a job from work and returns its id.
func (c *cluster) sbatch(t *testing.T, work string, args ...string) string {
	t.Helper()
	cmd := c.command(c.tools["sbatch"], append([]string{"--parsable"}, args...)...)
	cmd.Dir = work
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		c.fail(t, work, "sbatch %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
	}
	id, _, _ := strings.Cut(strings.TrimSpace(string(out)), ";")
	if _, err := strconv.Atoi(id); err != nil {
		c.fail(t, work, "sbatch %s printed %q, not a job id", strings.Join(args, " "), out)
	}
	c.jobs = append(c.jobs, id)
	return id
}

// wait waits for the jobs to leave the queue (5 minutes at most) and fails
// unless every one of their tasks completed with exit code 0.
func (c *cluster) wait(t *testing.T, work string, ids ...string) {
	t.Helper()
	start := time.Now()
	c.waitFor(t, "jobs "+strings.Join(ids, ", "), 5*time.Minute, func() (bool, string) {
		out, err := c.command(c.tools["squeue"], "-h", "-j", strings.Join(ids, ","), "-o", "%i %T %r").CombinedOutput()
		return err == nil && len(bytes.TrimSpace(out)) == 0, string(out)
	})
	for _, id := range ids {
		out, err := c.command(c.tools["scontrol"], "-o", "show", "job", id).CombinedOutput()
		if err != nil {
			c.fail(t, work, "scontrol show job %s: %v\n%s", id, err, out)
		}
		for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
			state, code := field(line, "JobState"), field(line, "ExitCode")
			if state != "COMPLETED" || code != "0:0" {
				c.fail(t, work, "job %s: JobState=%s ExitCode=%s Reason=%s\n%s", field(line, "JobId"), state, code, field(line, "Reason"), line)
			}
		}
	}
	t.Logf("jobs %s done in %.1f s", strings.Join(ids, ", "), time.Since(start).Seconds())
}

// field returns the value of key=value in a line of `scontrol -o show`.
func field(line, key string) string {
	for _, f := range strings.Fields(line) {
		if v, ok := strings.CutPrefix(f, key+"="); ok {
			return v
		}
	}
	return ""
}

// fail prints the jobs' output files in work and fails the test (the
// daemons' logs follow at cleanup).
func (c *cluster) fail(t *testing.T, work, format string, args ...any) {
	t.Helper()
	var b strings.Builder
	fmt.Fprintf(&b, format, args...)
	outs, _ := filepath.Glob(filepath.Join(work, "slurm-*.out"))
	sort.Strings(outs)
	for _, p := range outs {
		out, _ := os.ReadFile(p)
		fmt.Fprintf(&b, "\n--- %s:\n%s", filepath.Base(p), tail(out, 40))
	}
	t.Fatal(b.String())
}

// cancelJobs cancels what is left of the submitted jobs and waits (10 s at
// most) for them to leave the queue, so that slurmd stops with no job
// steps running.
func (c *cluster) cancelJobs(t *testing.T) {
	if len(c.jobs) == 0 || c.exited() != "" {
		return
	}
	ids := strings.Join(c.jobs, ",")
	c.command(c.tools["scancel"], append([]string{"--quiet"}, c.jobs...)...).Run()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		out, err := c.command(c.tools["squeue"], "-h", "-j", ids).Output()
		if err != nil || len(bytes.TrimSpace(out)) == 0 {
			return
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Errorf("jobs %s still queued 10 s after scancel", ids)
}

// dumpLogs prints the end of every daemon's log.
func (c *cluster) dumpLogs(t *testing.T) {
	logs, _ := filepath.Glob(filepath.Join(c.dir, "log", "*"))
	sort.Strings(logs)
	for _, p := range logs {
		b, err := os.ReadFile(p)
		if err != nil || len(b) == 0 {
			continue
		}
		t.Logf("--- %s:\n%s", p, tail(b, 60))
	}
	if b, err := os.ReadFile(c.conf); err == nil {
		t.Logf("--- %s:\n%s", c.conf, b)
	}
}

// tail returns the last n lines of b.
func tail(b []byte, n int) string {
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = append([]string{fmt.Sprintf("[... %d lines]", len(lines)-n)}, lines[len(lines)-n:]...)
	}
	return strings.Join(lines, "\n")
}

// freePort returns a TCP port that was free a moment ago.
func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// scriptPath is the absolute path of a script in this directory.
func scriptPath(t *testing.T, name string) string {
	t.Helper()
	p, err := filepath.Abs(name)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// writeBench writes n pairs of small files and a spec running the trivial
// scorer on them into dir, and returns the spec's path.
func writeBench(t *testing.T, dir string, n int) string {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 13; i++ {
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("i%d.png", i)), make([]byte, 50+31*i), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	var b bytes.Buffer
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, `{"prompt":"prompt %d","prompt_id":"p%d","image_a":"i%d.png","image_b":"i%d.png","label":%q}`+"\n",
			i%29, i%29, i%13, (i*5+1)%13, []string{"a", "b"}[i%2])
	}
	if err := os.WriteFile(filepath.Join(dir, "pairs.jsonl"), b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	spec := "name: slurm-test\ndataset:\n  path: pairs.jsonl\nscorers:\n  - name: trivial\n    batch_size: 8\n"
	path := filepath.Join(dir, "bench.yaml")
	if err := os.WriteFile(path, []byte(spec), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func readResults(t *testing.T, dir string) *results.Results {
	t.Helper()
	r, err := results.ReadResults(filepath.Join(dir, "results.json"))
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func countLines(t *testing.T, path string) int {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		t.Fatal(err)
	}
	return bytes.Count(b, []byte{'\n'})
}
