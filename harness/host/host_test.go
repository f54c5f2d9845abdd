package host_test

import (
	"bufio"
	"context"
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

	"github.com/srbench/srbench/harness/host"
	"github.com/srbench/srbench/harness/scorer"
	"github.com/srbench/srbench/harness/scorer/scorertest"
)

// pluginDir holds a freshly built trivial scorer plugin binary named "trivial".
var pluginDir string

const harnessEnv = "SRBENCH_HOST_TEST_HARNESS"

func TestMain(m *testing.M) {
	// Re-executed as a stand-in harness: launch the plugin, print its pid, wait to be killed.
	if path := os.Getenv(harnessEnv); path != "" {
		runStandInHarness(path)
		return
	}
	dir, err := os.MkdirTemp("", "srbench-host-test")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	pluginDir = dir
	build := exec.Command("go", "build", "-o", filepath.Join(dir, "trivial"), "github.com/srbench/srbench/harness/scorer/scorertest/cmd/trivialscorer")
	build.Stderr = os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "building the trivial plugin:", err)
		os.Exit(1)
	}
	if _, err := host.WriteLock(dir); err != nil {
		fmt.Fprintln(os.Stderr, "pinning the trivial plugin:", err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

func runStandInHarness(path string) {
	info, err := host.FromPath(path)
	if err != nil {
		fmt.Println("error:", err)
		os.Exit(1)
	}
	h := host.New(host.Options{})
	p, err := h.Launch(context.Background(), info, scorer.Config{})
	if err != nil {
		fmt.Println("error:", err)
		os.Exit(1)
	}
	fmt.Println("pid", p.Pid())
	select {} // until killed
}

func launch(t *testing.T, opts map[string]string) (*host.Host, *host.Plugin) {
	t.Helper()
	info, err := host.Find(pluginDir, "trivial")
	if err != nil {
		t.Fatal(err)
	}
	h := host.New(host.Options{})
	t.Cleanup(h.Close)
	p, err := h.Launch(context.Background(), info, scorer.Config{ModelDir: "/models/trivial", Options: opts})
	if err != nil {
		t.Fatal(err)
	}
	return h, p
}

// alive reports whether pid is a running (non-zombie) process.
func alive(pid int) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	// Field 3, after the parenthesised command name, is the state.
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	return i >= 0 && i+2 < len(s) && s[i+2] != 'Z' && s[i+2] != 'X'
}

// waitStopped waits until pid is in the stopped state (SIGSTOP is
// delivered asynchronously), failing the test after 5 s.
func waitStopped(t *testing.T, pid int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
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

func waitDead(pid int, within time.Duration) bool {
	deadline := time.Now().Add(within)
	for time.Now().Before(deadline) {
		if !alive(pid) {
			return true
		}
		time.Sleep(20 * time.Millisecond)
	}
	return !alive(pid)
}

func TestLaunchScoresThroughSubprocess(t *testing.T) {
	_, p := launch(t, nil)
	if p.Pid() == 0 || p.Pid() == os.Getpid() || !alive(p.Pid()) {
		t.Fatalf("plugin pid %d is not a live subprocess", p.Pid())
	}
	d, err := p.Describe(context.Background(), scorer.DescribeRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if d.Name != "trivial" || d.ModelDir != "/models/trivial" || d.ProtocolVersion != scorer.ProtocolVersion {
		t.Errorf("Describe = %+v", d)
	}
	img := filepath.Join(t.TempDir(), "img.bin")
	if err := os.WriteFile(img, make([]byte, 1234), 0o644); err != nil {
		t.Fatal(err)
	}
	items := []scorer.Item{
		{Prompt: "red cube", ImagePath: img},
		{Prompt: "blue", ImageBytes: make([]byte, 77)},
	}
	res, err := scorer.ScoreItems(context.Background(), p, items)
	if err != nil {
		t.Fatal(err)
	}
	want := []float64{scorertest.Expected("red cube", 1234), scorertest.Expected("blue", 77)}
	for i := range want {
		if res[i].Failed() || res[i].Score != want[i] {
			t.Errorf("item %d: got %+v, want %v", i, res[i], want[i])
		}
	}
}

func TestChecksumPin(t *testing.T) {
	dir := t.TempDir()
	bin := filepath.Join(dir, "trivial")
	data, err := os.ReadFile(filepath.Join(pluginDir, "trivial"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(bin, data, 0o755); err != nil {
		t.Fatal(err)
	}
	if _, err := host.WriteLock(dir); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		pin     string
		wantErr string
	}{
		{"matching pin launches", "", ""},
		{"wrong pin refused", strings.Repeat("ab", 32), "sha256 does not match its pin"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if tc.pin != "" {
				lock := fmt.Sprintf(`{"version":1,"plugins":{"trivial":{"sha256":%q}}}`, tc.pin)
				if err := os.WriteFile(filepath.Join(dir, host.LockFileName), []byte(lock), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			info, err := host.Find(dir, "trivial")
			if err != nil {
				t.Fatal(err)
			}
			if info.Pin == "" {
				t.Fatal("the lock file did not pin the plugin")
			}
			h := host.New(host.Options{})
			defer h.Close()
			_, err = h.Launch(context.Background(), info, scorer.Config{})
			if tc.wantErr == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			var ce *host.ChecksumError
			if !errors.As(err, &ce) || !strings.Contains(err.Error(), tc.wantErr) || !strings.Contains(err.Error(), tc.pin) || !strings.Contains(err.Error(), info.SHA256) {
				t.Fatalf("got %v, want a ChecksumError naming both checksums", err)
			}
		})
	}
}

func TestMalformedLock(t *testing.T) {
	dir := t.TempDir()
	tests := []struct{ content, want string }{
		{`{"version":1,"plugins":{"x":{"sha256":"zz"}}}`, `plugin "x": field "sha256": want 64 hex digits`},
		{`{"version":2,"plugins":{}}`, `field "version": want 1, got 2`},
		{`not json`, "not valid"},
	}
	for _, tc := range tests {
		path := filepath.Join(dir, host.LockFileName)
		if err := os.WriteFile(path, []byte(tc.content), 0o644); err != nil {
			t.Fatal(err)
		}
		_, err := host.ReadLock(path)
		if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), path) {
			t.Errorf("ReadLock(%q) = %v, want error containing %q and the path", tc.content, err, tc.want)
		}
	}
}

func TestFindUnknownPluginListsAvailable(t *testing.T) {
	_, err := host.Find(pluginDir, "pickscore")
	if err == nil || !strings.Contains(err.Error(), `no plugin "pickscore"`) || !strings.Contains(err.Error(), "found: trivial") {
		t.Fatalf("got %v", err)
	}
}

func TestCloseKillsPlugins(t *testing.T) {
	h, p := launch(t, nil)
	pid := p.Pid()
	h.Close()
	if !waitDead(pid, 5*time.Second) {
		t.Fatalf("plugin %d still alive after Host.Close", pid)
	}
}

func TestCrashedPluginIsRestartedAndBatchRetried(t *testing.T) {
	_, p := launch(t, map[string]string{"crash_after": "2"})
	ctx := context.Background()
	items := []scorer.Item{{Prompt: "abc", ImageBytes: []byte{1, 2}}}
	first := p.Pid()
	for call := 1; call <= 3; call++ {
		res, err := scorer.ScoreItems(ctx, p, items)
		if err != nil {
			t.Fatalf("call %d: %v", call, err)
		}
		if res[0].Score != scorertest.Expected("abc", 2) {
			t.Fatalf("call %d: score %v", call, res[0].Score)
		}
	}
	// Call 2 crashed the first process; the retry ran on a second one, which
	// served call 3 and crashes on its own 2nd call... i.e. call 3 -> one more restart.
	if got := p.Restarts(); got != 2 {
		t.Errorf("restarts = %d, want 2", got)
	}
	if p.Pid() == first || !waitDead(first, 5*time.Second) {
		t.Errorf("first plugin process %d should be gone and replaced (now %d)", first, p.Pid())
	}
}

func TestRestartsAreBounded(t *testing.T) {
	info, err := host.Find(pluginDir, "trivial")
	if err != nil {
		t.Fatal(err)
	}
	h := host.New(host.Options{MaxRestarts: 2})
	defer h.Close()
	// crash_after=1: every process dies on its first Score call.
	p, err := h.Launch(context.Background(), info, scorer.Config{Options: map[string]string{"crash_after": "1"}})
	if err != nil {
		t.Fatal(err)
	}
	_, err = scorer.ScoreItems(context.Background(), p, []scorer.Item{{Prompt: "x", ImageBytes: []byte{}}})
	if err == nil || !strings.Contains(err.Error(), "gave up after 2 restarts") {
		t.Fatalf("got %v, want the bounded-restart error", err)
	}
}

// TestKilledHarnessLeavesNoPlugin kills a harness process with SIGKILL (no
// cleanup code can run) and checks the kernel takes its plugin down too.
func TestKilledHarnessLeavesNoPlugin(t *testing.T) {
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), harnessEnv+"="+filepath.Join(pluginDir, "trivial"))
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		t.Fatalf("stand-in harness said nothing: %v", err)
	}
	f := strings.Fields(line)
	if len(f) != 2 || f[0] != "pid" {
		t.Fatalf("stand-in harness: %q", line)
	}
	pid, _ := strconv.Atoi(f[1])
	if pid <= 0 || !alive(pid) {
		t.Fatalf("plugin pid %d not alive before the kill", pid)
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
	if !waitDead(pid, 5*time.Second) {
		syscall.Kill(pid, syscall.SIGKILL)
		t.Fatalf("plugin %d survived its harness being killed", pid)
	}
}

// TestHungPluginIsKilledAndRestarted: a plugin stopped with SIGSTOP misses
// its call's deadline; the host kills it (the stopped process is gone),
// relaunches it, and the call succeeds on the new process.
func TestHungPluginIsKilledAndRestarted(t *testing.T) {
	info, err := host.Find(pluginDir, "trivial")
	if err != nil {
		t.Fatal(err)
	}
	h := host.New(host.Options{CallTimeout: 500 * time.Millisecond, CallTimeoutPerItem: time.Millisecond, KillGrace: 300 * time.Millisecond})
	defer h.Close()
	p, err := h.Launch(context.Background(), info, scorer.Config{})
	if err != nil {
		t.Fatal(err)
	}
	stopped := p.Pid()
	if err := syscall.Kill(stopped, syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	defer syscall.Kill(stopped, syscall.SIGKILL)
	waitStopped(t, stopped)
	start := time.Now()
	res, err := scorer.ScoreItems(context.Background(), p, []scorer.Item{{Prompt: "abc", ImageBytes: []byte{1, 2}}})
	if err != nil {
		t.Fatal(err)
	}
	if res[0].Score != scorertest.Expected("abc", 2) {
		t.Errorf("score %v after the restart", res[0].Score)
	}
	if p.Restarts() != 1 || p.Pid() == stopped {
		t.Errorf("restarts %d, pid %d (stopped one %d): want one restart on a new process", p.Restarts(), p.Pid(), stopped)
	}
	if !waitDead(stopped, 5*time.Second) {
		t.Errorf("the stopped plugin %d is still there", stopped)
	}
	t.Logf("hung call recovered in %v", time.Since(start))
}

// TestHungPluginGivesUp: with no restart left, a hung call returns a
// HungError instead of waiting.
func TestHungPluginGivesUp(t *testing.T) {
	info, err := host.Find(pluginDir, "trivial")
	if err != nil {
		t.Fatal(err)
	}
	h := host.New(host.Options{MaxRestarts: -1, CallTimeout: 300 * time.Millisecond, CallTimeoutPerItem: time.Millisecond, KillGrace: 200 * time.Millisecond})
	defer h.Close()
	p, err := h.Launch(context.Background(), info, scorer.Config{})
	if err != nil {
		t.Fatal(err)
	}
	pid := p.Pid()
	syscall.Kill(pid, syscall.SIGSTOP)
	defer syscall.Kill(pid, syscall.SIGKILL)
	waitStopped(t, pid)
	_, err = scorer.ScoreItems(context.Background(), p, []scorer.Item{{Prompt: "x", ImageBytes: []byte{}}})
	var he *host.HungError
	if !errors.As(err, &he) || !strings.Contains(err.Error(), "--plugin-timeout") {
		t.Fatalf("error %v, want a *HungError naming the flag", err)
	}
	if !waitDead(pid, 5*time.Second) {
		t.Errorf("hung plugin %d left running", pid)
	}
}

// TestCloseKillsStoppedPlugin: Host.Close returns within the kill grace
// period (plus a margin) even when the plugin ignores the shutdown request
// because it is stopped, and the process is gone.
func TestCloseKillsStoppedPlugin(t *testing.T) {
	info, err := host.Find(pluginDir, "trivial")
	if err != nil {
		t.Fatal(err)
	}
	h := host.New(host.Options{KillGrace: 300 * time.Millisecond})
	p, err := h.Launch(context.Background(), info, scorer.Config{})
	if err != nil {
		t.Fatal(err)
	}
	pid := p.Pid()
	syscall.Kill(pid, syscall.SIGSTOP)
	defer syscall.Kill(pid, syscall.SIGKILL)
	waitStopped(t, pid)
	done := make(chan struct{})
	go func() { h.Close(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("Host.Close did not return within 10 s for a stopped plugin")
	}
	if !waitDead(pid, 5*time.Second) {
		t.Errorf("stopped plugin %d survived Host.Close", pid)
	}
}

// TestUnpinnedRefused: a plugin without a pin is refused (no lock file, a
// lock without its name, a copy under a new name), with a message saying
// how to pin it; AllowUnpinned launches it.
func TestUnpinnedRefused(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(pluginDir, "trivial"))
	if err != nil {
		t.Fatal(err)
	}
	noLock := t.TempDir()
	os.WriteFile(filepath.Join(noLock, "trivial"), data, 0o755)
	otherLock := t.TempDir()
	os.WriteFile(filepath.Join(otherLock, "trivial"), data, 0o755)
	os.WriteFile(filepath.Join(otherLock, host.LockFileName), []byte(`{"version":1,"plugins":{}}`), 0o644)
	renamed := t.TempDir()
	os.WriteFile(filepath.Join(renamed, "trivial"), data, 0o755)
	if _, err := host.WriteLock(renamed); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(renamed, "tampered"), append(data, 0), 0o755) // not pinned under this name
	tests := []struct {
		name, dir, plugin string
	}{
		{"no lock file", noLock, "trivial"},
		{"lock without the plugin", otherLock, "trivial"},
		{"new name", renamed, "tampered"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			info, err := host.Find(tt.dir, tt.plugin)
			if err != nil {
				t.Fatal(err)
			}
			h := host.New(host.Options{})
			defer h.Close()
			_, err = h.Launch(context.Background(), info, scorer.Config{})
			var ue *host.UnpinnedError
			if !errors.As(err, &ue) || !strings.Contains(err.Error(), "srbench plugins lock") || !strings.Contains(err.Error(), "--allow-unpinned") {
				t.Fatalf("got %v, want an *UnpinnedError saying how to pin", err)
			}
			h2 := host.New(host.Options{AllowUnpinned: true})
			defer h2.Close()
			p, err := h2.Launch(context.Background(), info, scorer.Config{})
			if err != nil {
				t.Fatalf("AllowUnpinned: %v", err)
			}
			if p.Pinned() {
				t.Error("Pinned() is true for an unpinned plugin")
			}
		})
	}
}
