package host

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"

	"github.com/srbench/srbench/harness/scorer"
)

// Options configure a Host. The zero value is the documented default.
type Options struct {
	// Logger receives go-plugin's and the plugins' log lines. nil: warnings
	// and errors to Stderr.
	Logger hclog.Logger
	// Stderr is where the default logger writes; nil = os.Stderr.
	Stderr io.Writer
	// StartTimeout bounds a plugin's start-up handshake; 0 = 1 minute.
	StartTimeout time.Duration
	// MaxRestarts is how often a crashed or hung plugin is relaunched in the
	// life of one Plugin; 0 = 3, negative = never.
	MaxRestarts int
	// CallTimeout is the deadline of every plugin call (Configure,
	// Describe, Score) before per-item time is added; 0 = DefaultCallTimeout,
	// negative = no deadline. A plugin that misses a deadline is considered
	// hung: it is killed and relaunched (within MaxRestarts) and the call
	// retried.
	CallTimeout time.Duration
	// CallTimeoutPerItem is added to a Score call's deadline for each item
	// of the batch; 0 = DefaultCallTimeoutPerItem.
	CallTimeoutPerItem time.Duration
	// KillGrace is how long killing a plugin waits for it to exit on its
	// own (go-plugin's graceful shutdown) before its process group is
	// SIGKILLed; 0 = DefaultKillGrace.
	KillGrace time.Duration
	// AllowUnpinned launches plugins that have no pin in plugins.lock.
	// Without it such a plugin is refused with an *UnpinnedError: a binary
	// nobody pinned could be anything.
	AllowUnpinned bool
}

// Defaults of Options.
const (
	DefaultCallTimeout        = time.Minute
	DefaultCallTimeoutPerItem = 5 * time.Second
	DefaultKillGrace          = 2 * time.Second
)

// deadline is the time a call with n items may take; 0 = none.
func (o Options) deadline(n int) time.Duration {
	base, per := o.CallTimeout, o.CallTimeoutPerItem
	if base < 0 {
		return 0
	}
	if base == 0 {
		base = DefaultCallTimeout
	}
	if per <= 0 {
		per = DefaultCallTimeoutPerItem
	}
	return base + time.Duration(n)*per
}

func (o Options) killGrace() time.Duration {
	if o.KillGrace <= 0 {
		return DefaultKillGrace
	}
	return o.KillGrace
}

func (o Options) maxRestarts() int {
	switch {
	case o.MaxRestarts < 0:
		return 0
	case o.MaxRestarts == 0:
		return 3
	}
	return o.MaxRestarts
}

// Host launches plugins and kills them all on Close.
type Host struct {
	opts    Options
	mu      sync.Mutex
	plugins []*Plugin
	closed  bool
}

// New returns a Host.
func New(opts Options) *Host {
	if opts.Logger == nil {
		w := opts.Stderr
		if w == nil {
			w = os.Stderr
		}
		opts.Logger = hclog.New(&hclog.LoggerOptions{Name: "srbench", Output: w, Level: hclog.Warn})
	}
	if opts.StartTimeout == 0 {
		opts.StartTimeout = time.Minute
	}
	return &Host{opts: opts}
}

// Plugin is a launched, configured scorer plugin. It implements
// scorer.Scorer; Score transparently relaunches a plugin whose process died
// and retries the batch, at most Options.MaxRestarts times.
type Plugin struct {
	host *Host
	info Info
	cfg  scorer.Config

	mu       sync.Mutex
	client   *plugin.Client
	cmd      *exec.Cmd // the running plugin's command (its ProcessState once it exited)
	sc       *scorer.Client
	pid      int // the running plugin's pid and process group
	restarts int
	peakRSS  int64 // the largest VmHWM seen of the processes killed so far

	lastStop atomic.Pointer[Stop] // how the last process was stopped
}

var _ scorer.Scorer = (*Plugin)(nil)

// Launch verifies the binary against its pin, starts it, and configures it
// with cfg (loading the model).
func (h *Host) Launch(ctx context.Context, info Info, cfg scorer.Config) (*Plugin, error) {
	if err := info.Verify(); err != nil {
		return nil, err
	}
	if info.Pin == "" && !h.opts.AllowUnpinned {
		return nil, &UnpinnedError{Name: info.Name, Path: info.Path, SHA256: info.SHA256}
	}
	p := &Plugin{host: h, info: info, cfg: cfg}
	// Registered before it starts, so that Close and KillNow reach a plugin
	// still starting up.
	h.mu.Lock()
	if h.closed {
		h.mu.Unlock()
		return nil, errors.New("host is closed")
	}
	h.plugins = append(h.plugins, p)
	h.mu.Unlock()
	if err := p.start(ctx); err != nil {
		return nil, err
	}
	return p, nil
}

// KillNow SIGKILLs the process group of every plugin this host launched,
// without a graceful shutdown or waiting: for a harness that must exit at
// once (a second signal, a shutdown that takes too long).
func (h *Host) KillNow() {
	h.mu.Lock()
	ps := slices.Clone(h.plugins)
	h.mu.Unlock()
	for _, p := range ps {
		p.mu.Lock()
		pid := p.pid
		p.mu.Unlock()
		killGroup(pid)
	}
}

// Close kills every plugin this host launched. It is safe to call twice.
func (h *Host) Close() {
	h.mu.Lock()
	ps := h.plugins
	h.plugins = nil
	h.closed = true
	h.mu.Unlock()
	for _, p := range ps {
		p.Kill()
	}
}

// start launches the process and configures it; p.mu must be held or p
// unshared. A cancelled ctx, or a plugin that does not complete the
// handshake and Configure within the start timeout and call deadline, is
// killed.
func (p *Plugin) start(ctx context.Context) error {
	cmd := exec.Command(p.info.Path)
	setParentDeathSignal(cmd)
	cc := &plugin.ClientConfig{
		HandshakeConfig:  scorer.Handshake(),
		Plugins:          scorer.PluginSet(nil),
		Cmd:              cmd,
		AllowedProtocols: []plugin.Protocol{plugin.ProtocolGRPC},
		AutoMTLS:         true,
		Logger:           p.host.opts.Logger.Named(p.info.Name),
		StartTimeout:     p.host.opts.StartTimeout,
		GRPCDialOptions: []grpc.DialOption{grpc.WithDefaultCallOptions(
			grpc.MaxCallRecvMsgSize(scorer.MaxMessageBytes), grpc.MaxCallSendMsgSize(scorer.MaxMessageBytes))},
	}
	if p.info.Pin != "" {
		sec, err := secureConfig(p.info.Pin)
		if err != nil {
			return err
		}
		cc.SecureConfig = sec
	}
	client := plugin.NewClient(cc)
	// go-plugin's handshake does not watch ctx: wait for it beside ctx.
	type started struct {
		rpc plugin.ClientProtocol
		err error
	}
	ch := make(chan started, 1)
	go func() {
		rpc, err := client.Client()
		ch <- started{rpc, err}
	}()
	var st started
	select {
	case st = <-ch:
	case <-ctx.Done():
		if cmd.Process != nil {
			killGroup(cmd.Process.Pid)
		}
		client.Kill()
		<-ch
		return fmt.Errorf("plugin %q: start: %w", p.info.Name, ctx.Err())
	}
	rpc, err := st.rpc, st.err
	if err != nil {
		client.Kill()
		return fmt.Errorf("plugin %q (%s): start: %w", p.info.Name, p.info.Path, err)
	}
	if rc := client.ReattachConfig(); rc != nil {
		p.pid = rc.Pid
	}
	raw, err := rpc.Dispense(scorer.PluginName)
	if err != nil {
		client.Kill()
		return fmt.Errorf("plugin %q: dispense: %w", p.info.Name, err)
	}
	sc, ok := raw.(*scorer.Client)
	if !ok {
		client.Kill()
		return fmt.Errorf("plugin %q: dispensed %T, want a scorer", p.info.Name, raw)
	}
	cctx, cancel := p.withDeadline(ctx, 0)
	err = sc.Configure(cctx, p.cfg)
	hung := cctx.Err() == context.DeadlineExceeded && ctx.Err() == nil
	cancel()
	if err != nil {
		p.kill(client, cmd, p.pid)
		if hung {
			return fmt.Errorf("plugin %q: model %q: no answer to Configure within %s (--plugin-timeout): %w", p.info.Name, p.cfg.ModelDir, p.host.opts.deadline(0), err)
		}
		return fmt.Errorf("plugin %q: model %q: %w", p.info.Name, p.cfg.ModelDir, err)
	}
	p.client, p.cmd, p.sc = client, cmd, sc
	return nil
}

// withDeadline derives the context of a call with n items.
func (p *Plugin) withDeadline(ctx context.Context, n int) (context.Context, context.CancelFunc) {
	if d := p.host.opts.deadline(n); d > 0 {
		return context.WithTimeout(ctx, d)
	}
	return context.WithCancel(ctx)
}

// Stop says how the host stopped a plugin process (Plugin.LastStop): the
// conformance kit's shutdown rule reads it.
type Stop struct {
	Pid int
	// Graceful: the process exited on its own after go-plugin's shutdown
	// request, within KillGrace and not by a signal, and nothing of its
	// process group was left for the host's SIGKILL.
	Graceful bool
	// Exit is how the process ended as its parent saw it ("exit status
	// 0", "signal: killed"); "" when unknown (it had not exited when
	// KillGrace ran out).
	Exit string
	// TimedOut: go-plugin's shutdown had not finished within KillGrace,
	// so the host SIGKILLed the process group.
	TimedOut bool
	// Leftover are the processes of its group still running when the
	// host SIGKILLed the group after the shutdown (the plugin itself
	// when it timed out; anything it started and left behind).
	Leftover []int
	// Took is how long stopping took.
	Took time.Duration
}

// kill stops a plugin process: go-plugin's graceful shutdown for at most
// KillGrace, then SIGKILL to its process group (always, so nothing it
// started survives). It never waits without limit: a plugin stopped with
// SIGSTOP ignores the shutdown request but not SIGKILL. It records how
// the process ended (LastStop).
func (p *Plugin) kill(c *plugin.Client, cmd *exec.Cmd, pid int) {
	start := time.Now()
	st := Stop{Pid: pid}
	defer func() {
		st.Took = time.Since(start)
		p.lastStop.Store(&st)
	}()
	if c == nil {
		st.Leftover = ProcessGroup(pid)
		killGroup(pid)
		return
	}
	done := make(chan struct{})
	go func() {
		c.Kill()
		close(done)
	}()
	select {
	case <-done:
		// go-plugin's Kill waited for the process (and so for cmd.Wait).
		if cmd != nil && cmd.ProcessState != nil {
			st.Exit = cmd.ProcessState.String()
		}
	case <-time.After(p.host.opts.killGrace()):
		st.TimedOut = true
		p.host.opts.Logger.Warn("plugin did not shut down in time; killing its process group", "plugin", p.info.Name, "pid", pid)
	}
	st.Leftover = ProcessGroup(pid)
	st.Graceful = !st.TimedOut && len(st.Leftover) == 0 && cmd != nil && cmd.ProcessState != nil &&
		cmd.ProcessState.Exited() // not ended by a signal (go-plugin SIGKILLs a plugin that ignores its shutdown request)
	killGroup(pid)
	select {
	case <-done:
	case <-time.After(p.host.opts.killGrace()):
		// go-plugin still waits on something; the process group is dead,
		// so give up waiting rather than hang the harness.
	}
}

// LastStop reports how the plugin's last process was stopped (by Kill,
// Host.Close or a restart); ok is false while none was.
func (p *Plugin) LastStop() (st Stop, ok bool) {
	if s := p.lastStop.Load(); s != nil {
		return *s, true
	}
	return Stop{}, false
}

// Info returns what was launched.
func (p *Plugin) Info() Info { return p.info }

// Pid is the process id of the running plugin (0 if not running).
func (p *Plugin) Pid() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.client == nil {
		return 0
	}
	if rc := p.client.ReattachConfig(); rc != nil {
		return rc.Pid
	}
	return 0
}

// BinarySHA256 is the hex sha256 of the plugin's executable, checked
// against its pin (if any) before launch.
func (p *Plugin) BinarySHA256() string { return p.info.SHA256 }

// PeakRSS is the plugin's peak resident set size in bytes (Linux VmHWM),
// the largest over its processes when it was restarted; 0 when unknown.
func (p *Plugin) PeakRSS() int64 {
	p.mu.Lock()
	defer p.mu.Unlock()
	return max(p.peakRSS, vmHWM(p.pid))
}

// vmHWM reads a process's peak RSS from /proc; 0 when unavailable.
func vmHWM(pid int) int64 {
	if pid <= 0 {
		return 0
	}
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			var kb int64
			if _, err := fmt.Sscanf(strings.TrimSpace(v), "%d kB", &kb); err == nil {
				return kb << 10
			}
		}
	}
	return 0
}

// Pinned reports whether the binary has a pin in plugins.lock (and so
// matched it, or it would not have launched).
func (p *Plugin) Pinned() bool { return p.info.Pin != "" }

// Restarts is how many times the plugin was relaunched after a crash.
func (p *Plugin) Restarts() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.restarts
}

// Kill stops the plugin process (see kill: a bounded graceful shutdown,
// then SIGKILL of its process group).
func (p *Plugin) Kill() {
	p.mu.Lock()
	c, cmd, pid := p.client, p.cmd, p.pid
	p.peakRSS = max(p.peakRSS, vmHWM(pid))
	p.client, p.cmd, p.sc, p.pid = nil, nil, nil, 0
	p.mu.Unlock()
	if c != nil || pid != 0 {
		p.kill(c, cmd, pid)
	}
}

// Describe implements scorer.Scorer.
func (p *Plugin) Describe(ctx context.Context, req scorer.DescribeRequest) (scorer.Description, error) {
	var d scorer.Description
	err := p.call(ctx, 0, func(ctx context.Context, sc *scorer.Client) error {
		var err error
		d, err = sc.Describe(ctx, req)
		return err
	})
	return d, err
}

// Score implements scorer.Scorer.
func (p *Plugin) Score(ctx context.Context, req scorer.ScoreRequest) (scorer.ScoreResponse, error) {
	var res scorer.ScoreResponse
	err := p.call(ctx, len(req.Items), func(ctx context.Context, sc *scorer.Client) error {
		var err error
		res, err = sc.Score(ctx, req)
		return err
	})
	return res, err
}

// HungError is a plugin call that missed its deadline.
type HungError struct {
	Plugin   string
	Deadline time.Duration
}

func (e *HungError) Error() string {
	return fmt.Sprintf("plugin %q did not answer within %s (--plugin-timeout, --plugin-timeout-per-item)", e.Plugin, e.Deadline)
}

// call runs f against the plugin with the deadline of a call with n items,
// relaunching a crashed or hung plugin and retrying (within MaxRestarts).
func (p *Plugin) call(ctx context.Context, n int, f func(context.Context, *scorer.Client) error) error {
	for {
		p.mu.Lock()
		sc, client, cmd, pid := p.sc, p.client, p.cmd, p.pid
		p.mu.Unlock()
		if sc == nil {
			return fmt.Errorf("plugin %q is not running", p.info.Name)
		}
		cctx, cancel := p.withDeadline(ctx, n)
		err := f(cctx, sc)
		hung := err != nil && cctx.Err() == context.DeadlineExceeded && ctx.Err() == nil
		cancel()
		if hung {
			herr := &HungError{Plugin: p.info.Name, Deadline: p.host.opts.deadline(n)}
			p.host.opts.Logger.Warn("plugin call missed its deadline; killing the plugin", "plugin", p.info.Name, "pid", pid, "deadline", herr.Deadline)
			p.kill(client, cmd, pid)
			if rerr := p.restart(ctx, client); rerr != nil {
				return fmt.Errorf("%w, and could not be restarted: %v", herr, rerr)
			}
			continue
		}
		if err == nil || ctx.Err() != nil || !(scorer.IsUnavailable(err) || client.Exited()) {
			if err != nil {
				return fmt.Errorf("plugin %q: %w", p.info.Name, err)
			}
			return nil
		}
		if rerr := p.restart(ctx, client); rerr != nil {
			return fmt.Errorf("plugin %q crashed (%v) and could not be restarted: %w", p.info.Name, err, rerr)
		}
	}
}

// restart replaces a dead client; concurrent callers that saw the same dead
// client restart it once.
func (p *Plugin) restart(ctx context.Context, dead *plugin.Client) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.client != dead {
		return nil // someone else restarted it already
	}
	if p.client == nil {
		return errors.New("plugin was killed")
	}
	if p.restarts >= p.host.opts.maxRestarts() {
		return fmt.Errorf("gave up after %d restarts", p.restarts)
	}
	p.restarts++
	p.peakRSS = max(p.peakRSS, vmHWM(p.pid))
	p.kill(dead, p.cmd, p.pid)
	p.client, p.cmd, p.sc, p.pid = nil, nil, nil, 0
	p.host.opts.Logger.Warn("plugin process died or hung; restarting", "plugin", p.info.Name, "restart", p.restarts)
	return p.start(ctx)
}

// Train implements scorer.Trainer: it runs training in the plugin, passing
// every progress event to emit (the last one names the trained model
// directory); scorer.ErrNotTrainable when the plugin cannot train. A plugin
// that dies during training is not restarted: the error is returned.
func (p *Plugin) Train(ctx context.Context, req scorer.TrainRequest, emit func(scorer.TrainEvent) error) error {
	p.mu.Lock()
	sc := p.sc
	p.mu.Unlock()
	if sc == nil {
		return fmt.Errorf("plugin %q is not running", p.info.Name)
	}
	if err := sc.Train(ctx, req, emit); err != nil {
		return fmt.Errorf("plugin %q: train: %w", p.info.Name, err)
	}
	return nil
}
