package main

import (
	"bytes"
	"errors"
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
)

// The fault-injection suite (issue #14): faults a shared CI runner or a
// hostile dataset produce, each injected into a real srbench process with a
// real plugin subprocess.

// startRun starts `srbench run` with extra flags, waits until it has
// journaled at least lines pairs, and returns the command, its output and
// its plugin's pid.
func startRun(t *testing.T, spec, out string, lines int, extra ...string) (*exec.Cmd, *bytes.Buffer, int) {
	t.Helper()
	args := append([]string{"run", spec, "--no-cache", "--no-progress", "--out", out}, extra...)
	cmd := srbench(args...)
	var buf bytes.Buffer
	cmd.Stdout, cmd.Stderr = &buf, &buf
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill() })
	samples := filepath.Join(out, "samples.jsonl")
	deadline := time.Now().Add(60 * time.Second)
	for countLines(samples) < lines {
		if time.Now().After(deadline) {
			t.Fatalf("no progress within 60 s\n%s", buf.String())
		}
		time.Sleep(5 * time.Millisecond)
	}
	kids := children(cmd.Process.Pid)
	if len(kids) != 1 {
		t.Fatalf("want one plugin process under srbench, found %v", kids)
	}
	return cmd, &buf, kids[0]
}

// waitExit waits at most limit for cmd to exit and returns its exit status
// and how long it took.
func waitExit(t *testing.T, cmd *exec.Cmd, limit time.Duration) (int, time.Duration) {
	t.Helper()
	start := time.Now()
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return ee.ExitCode(), time.Since(start)
		}
		if err != nil {
			t.Fatal(err)
		}
		return 0, time.Since(start)
	case <-time.After(limit):
		cmd.Process.Kill()
		t.Fatalf("srbench did not exit within %v", limit)
	}
	return -1, 0
}

// TestStoppedPluginRunFinishes stops the plugin with SIGSTOP mid-run: the
// call misses its deadline, the host kills and restarts the plugin, and the
// run finishes with the same results as an undisturbed one.
func TestStoppedPluginRunFinishes(t *testing.T) {
	spec := writeBench(t, 600, map[string]string{"delay_ms": "3"})
	full := filepath.Join(t.TempDir(), "full")
	runOK(t, "run", spec, "--no-cache", "--no-progress", "--out", full)

	out := filepath.Join(t.TempDir(), "stopped")
	cmd, buf, plugin := startRun(t, spec, out, 100, "--plugin-timeout", "1s", "--plugin-timeout-per-item", "50ms")
	if err := syscall.Kill(plugin, syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	defer syscall.Kill(plugin, syscall.SIGKILL)
	waitStopped(t, plugin)
	// Deadline of a batch of 8 items: 1 s + 8 × 50 ms; then the restart.
	code, took := waitExit(t, cmd, 30*time.Second)
	if code != 0 {
		t.Fatalf("exit %d after the plugin was stopped\n%s", code, buf)
	}
	if !waitDead(plugin, 5*time.Second) {
		t.Errorf("the stopped plugin %d is still there", plugin)
	}
	got := readResults(t, out)
	if got.Scorers[0].Restarts != 1 {
		t.Errorf("plugin restarts = %d, want 1", got.Scorers[0].Restarts)
	}
	got.Scorers[0].Restarts = 0
	if diff := cmp.Diff(readResults(t, full), got, volatile); diff != "" {
		t.Errorf("results differ (-undisturbed +stopped plugin):\n%s", diff)
	}
	if !strings.Contains(buf.String(), "missed its deadline") {
		t.Errorf("the output does not say the plugin missed its deadline:\n%s", buf)
	}
	t.Logf("run finished %v after the plugin was stopped", took)
}

// TestSignalEndsRunWithStoppedPlugin sends SIGINT or SIGTERM to a run whose
// plugin is stopped (so the shutdown request is never answered): srbench
// exits within 10 s with 128+signal, leaves no process behind, says how to
// resume, and the run resumes to the undisturbed results.
func TestSignalEndsRunWithStoppedPlugin(t *testing.T) {
	spec := writeBench(t, 800, map[string]string{"delay_ms": "3"})
	full := filepath.Join(t.TempDir(), "full")
	runOK(t, "run", spec, "--no-cache", "--no-progress", "--out", full)
	tests := []struct {
		sig  syscall.Signal
		code int
	}{{syscall.SIGINT, 130}, {syscall.SIGTERM, 143}}
	for _, tt := range tests {
		t.Run(tt.sig.String(), func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "run")
			cmd, buf, plugin := startRun(t, spec, out, 100)
			defer syscall.Kill(plugin, syscall.SIGKILL)
			if err := syscall.Kill(plugin, syscall.SIGSTOP); err != nil {
				t.Fatal(err)
			}
			waitStopped(t, plugin)
			if err := cmd.Process.Signal(tt.sig); err != nil {
				t.Fatal(err)
			}
			code, took := waitExit(t, cmd, 10*time.Second)
			if code != tt.code {
				t.Errorf("exit %d, want %d\n%s", code, tt.code, buf)
			}
			if !waitDead(plugin, 2*time.Second) {
				t.Errorf("plugin %d left running after srbench exited", plugin)
			}
			if !strings.Contains(buf.String(), "srbench resume "+out) {
				t.Errorf("no resume hint:\n%s", buf)
			}
			t.Logf("%v: exited %d after %v", tt.sig, code, took)
			runOK(t, "resume", out, "--no-cache", "--no-progress")
			if diff := cmp.Diff(readResults(t, full), readResults(t, out), volatile); diff != "" {
				t.Errorf("resumed results differ (-undisturbed +resumed):\n%s", diff)
			}
		})
	}
}

// waitStopped waits until pid is stopped (SIGSTOP is delivered
// asynchronously), failing the test after 5 s.
func waitStopped(t *testing.T, pid int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		b, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "stat"))
		if err != nil {
			t.Fatalf("process %d: %v", pid, err)
		}
		s := string(b)
		if i := strings.LastIndexByte(s, ')'); i >= 0 && i+2 < len(s) && s[i+2] == 'T' {
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatalf("process %d did not stop within 5 s", pid)
}

// waitDead reports whether pid is gone (or a zombie) within d.
func waitDead(pid int, d time.Duration) bool {
	deadline := time.Now().Add(d)
	for {
		b, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "stat"))
		if err != nil {
			return true
		}
		s := string(b)
		if i := strings.LastIndexByte(s, ')'); i >= 0 && i+2 < len(s) && (s[i+2] == 'Z' || s[i+2] == 'X') {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestHostileImagesRefusedPerItem points dataset entries at /dev/zero (through
// a symbolic link), a FIFO, a link to a file outside the images root and a
// 2 GB sparse file: each is refused per item with its reason, the run
// finishes in bounded memory (peak RSS measured from the process's rusage,
// which includes its plugin), and no byte of the outside file appears in any
// output.
func TestHostileImagesRefusedPerItem(t *testing.T) {
	dir := t.TempDir()
	images := filepath.Join(dir, "images")
	outside := filepath.Join(dir, "secret")
	if err := os.MkdirAll(images, 0o755); err != nil {
		t.Fatal(err)
	}
	const secret = "root:x:0:0:SECRET-CONTENT-7f3a"
	if err := os.WriteFile(outside, []byte(secret+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(os.WriteFile(filepath.Join(images, "good.png"), make([]byte, 200), 0o644))
	must(os.Symlink("/dev/zero", filepath.Join(images, "zero.png")))
	must(syscall.Mkfifo(filepath.Join(images, "fifo.png"), 0o644))
	must(os.Symlink(outside, filepath.Join(images, "passwd.png")))
	sparse, err := os.Create(filepath.Join(images, "sparse.png"))
	must(err)
	must(sparse.Truncate(2 << 30))
	must(sparse.Close())
	var lines []string
	for i, bad := range []string{"zero.png", "fifo.png", "passwd.png", "sparse.png"} {
		lines = append(lines, fmt.Sprintf(`{"prompt":"p%d","image_a":"good.png","image_b":%q,"label":"a","id":"bad-%s"}`, i, bad, bad))
	}
	lines = append(lines, `{"prompt":"fine","image_a":"good.png","image_b":"good.png","label":"a","id":"fine"}`)
	data := filepath.Join(dir, "pairs.jsonl")
	must(os.WriteFile(data, []byte(strings.Join(lines, "\n")+"\n"), 0o644))

	out := filepath.Join(t.TempDir(), "run")
	cmd := srbench("run", "--dataset", data, "--images", images, "--scorers", "trivial", "--no-cache", "--no-progress", "--out", out)
	var buf bytes.Buffer
	cmd.Stdout, cmd.Stderr = &buf, &buf
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	code, took := waitExit(t, cmd, 60*time.Second)
	if code != 3 {
		t.Fatalf("exit %d, want 3 (failures above --max-failures 0)\n%s", code, buf.String())
	}
	rss := cmd.ProcessState.SysUsage().(*syscall.Rusage).Maxrss // KiB, srbench or its largest waited-for child
	if rss > 300<<10 {
		t.Errorf("peak RSS %d KiB; want bounded (under 300 MiB) whatever the files hold", rss)
	}
	res := readResults(t, out)
	s := res.Scorers[0]
	if s.NFailed != 4 || s.NPairs != 1 {
		t.Errorf("failed %d, counted %d; want the 4 hostile pairs failed and the fine one counted", s.NFailed, s.NPairs)
	}
	reasons := strings.Join(mapKeys(s.FailureReasons), "\n")
	for _, want := range []string{`resolves to "/dev/zero", outside the images root`, "a named pipe (FIFO)",
		`secret", outside the images root`, "is 2147483648 bytes, more than the limit of 67108864"} {
		if !strings.Contains(reasons, want) {
			t.Errorf("failure reasons lack %q:\n%s", want, reasons)
		}
	}
	// No content of the outside file anywhere.
	everything := buf.String()
	for _, f := range []string{"samples.jsonl", "results.json", "report.md", "report.html", "run.json"} {
		b, _ := os.ReadFile(filepath.Join(out, f))
		everything += string(b)
	}
	for _, leak := range []string{"SECRET-CONTENT", "root:x:0", "72 6f 6f 74"} {
		if strings.Contains(everything, leak) {
			t.Errorf("the outside file's content %q appears in the output", leak)
		}
	}
	t.Logf("finished in %v, peak RSS %d KiB", took, rss)

	// Opting in to links outside the root: /dev/zero is still refused (a
	// device), and so are the FIFO and the sparse file.
	out2 := filepath.Join(t.TempDir(), "outside")
	cmd = srbench("run", "--dataset", data, "--images", images, "--scorers", "trivial", "--no-cache", "--no-progress",
		"--allow-outside-images", "--max-failures", "3", "--out", out2)
	b, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("--allow-outside-images: %v\n%s", err, b)
	}
	s = readResults(t, out2).Scorers[0]
	reasons = strings.Join(mapKeys(s.FailureReasons), "\n")
	if s.NFailed != 3 || !strings.Contains(reasons, "is a character device, not a regular file") {
		t.Errorf("--allow-outside-images: %d failed (%s); want 3, /dev/zero refused as a device", s.NFailed, reasons)
	}
}

func mapKeys(m map[string]int) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

// TestOneWriterPerRunDirectory: while a run is being written, a second
// `resume`, `analyze` or `report` on its directory is refused with a
// message naming the holder; once the first one is killed (its lock
// released by the kernel), the resume goes through.
func TestOneWriterPerRunDirectory(t *testing.T) {
	// 150 calls of 30 ms, two in flight: the run lasts about 2 s, long
	// enough for the three refused commands on a loaded machine.
	spec := writeBench(t, 600, map[string]string{"delay_ms": "30"})
	out := filepath.Join(t.TempDir(), "run")
	cmd, _, plugin := startRun(t, spec, out, 50)
	for _, args := range [][]string{
		{"resume", out, "--no-cache", "--no-progress"},
		{"analyze", out},
		{"report", out},
	} {
		b, err := srbench(args...).CombinedOutput()
		if err == nil || !strings.Contains(string(b), "is in use by another srbench process (pid "+strconv.Itoa(cmd.Process.Pid)+", srbench run") {
			t.Errorf("srbench %s on a live run: %v\n%s", strings.Join(args, " "), err, b)
		}
	}
	// SIGKILL: no cleanup runs; the lock file stays but its lock is gone.
	cmd.Process.Kill()
	cmd.Wait()
	waitDead(plugin, 5*time.Second)
	if _, err := os.Stat(filepath.Join(out, ".srbench.lock")); err != nil {
		t.Fatalf("lock file: %v", err)
	}
	runOK(t, "resume", out, "--no-cache", "--no-progress")
	if n := readResults(t, out).Dataset.NPairs; n != 600 {
		t.Errorf("resumed run has %d pairs, want 600", n)
	}
}

// TestTamperedOrUnpinnedPluginRefused: a plugin binary changed after it was
// pinned, and one without a pin, are refused; --allow-unpinned runs the
// unpinned one and results.json records it, with a warning.
func TestTamperedOrUnpinnedPluginRefused(t *testing.T) {
	spec := writeBench(t, 10, nil)
	data, err := os.ReadFile(filepath.Join(binDir, "plugins", "trivial"))
	if err != nil {
		t.Fatal(err)
	}
	tampered := t.TempDir()
	os.WriteFile(filepath.Join(tampered, "trivial"), data, 0o755)
	runOK(t, "plugins", "lock", "--plugin-dir", tampered)
	os.WriteFile(filepath.Join(tampered, "trivial"), append(data, 0), 0o755) // changed after pinning
	unpinned := t.TempDir()
	os.WriteFile(filepath.Join(unpinned, "trivial"), data, 0o755)
	tests := []struct {
		name, dir, want string
	}{
		{"tampered", tampered, "sha256 does not match its pin"},
		{"unpinned", unpinned, "has no pin in plugins.lock"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := srbench("run", spec, "--plugin-dir", tt.dir, "--no-cache", "--no-progress", "--out", filepath.Join(t.TempDir(), "r")).CombinedOutput()
			if err == nil || !strings.Contains(string(b), tt.want) {
				t.Errorf("%v\n%s", err, b)
			}
		})
	}
	out := filepath.Join(t.TempDir(), "allowed")
	term := runOK(t, "run", spec, "--plugin-dir", unpinned, "--allow-unpinned", "--no-cache", "--no-progress", "--out", out)
	res := readResults(t, out)
	if res.Scorers[0].PluginPinned || !res.Provenance.AllowUnpinned || !strings.Contains(term, "WARNING trivial: its plugin binary") {
		t.Errorf("pinned %v, allow_unpinned %v; want the unpinned run recorded and warned\n%s", res.Scorers[0].PluginPinned, res.Provenance.AllowUnpinned, term)
	}
}
