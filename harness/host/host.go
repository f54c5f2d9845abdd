package host

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"sync"
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
	// MaxRestarts is how often a crashed plugin is relaunched in the life of
	// one Plugin; 0 = 3, negative = never.
	MaxRestarts int
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
	sc       *scorer.Client
	restarts int
}

var _ scorer.Scorer = (*Plugin)(nil)

// Launch verifies the binary against its pin, starts it, and configures it
// with cfg (loading the model).
func (h *Host) Launch(ctx context.Context, info Info, cfg scorer.Config) (*Plugin, error) {
	if err := info.Verify(); err != nil {
		return nil, err
	}
	p := &Plugin{host: h, info: info, cfg: cfg}
	if err := p.start(ctx); err != nil {
		return nil, err
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		p.Kill()
		return nil, errors.New("host is closed")
	}
	h.plugins = append(h.plugins, p)
	return p, nil
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

// start launches the process and configures it; p.mu must be held or p unshared.
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
	rpc, err := client.Client()
	if err != nil {
		client.Kill()
		return fmt.Errorf("plugin %q (%s): start: %w", p.info.Name, p.info.Path, err)
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
	if err := sc.Configure(ctx, p.cfg); err != nil {
		client.Kill()
		return fmt.Errorf("plugin %q: model %q: %w", p.info.Name, p.cfg.ModelDir, err)
	}
	p.client, p.sc = client, sc
	return nil
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

// Pinned reports whether the binary has a pin in plugins.lock (and so
// matched it, or it would not have launched).
func (p *Plugin) Pinned() bool { return p.info.Pin != "" }

// Restarts is how many times the plugin was relaunched after a crash.
func (p *Plugin) Restarts() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.restarts
}

// Kill stops the plugin process.
func (p *Plugin) Kill() {
	p.mu.Lock()
	c := p.client
	p.client, p.sc = nil, nil
	p.mu.Unlock()
	if c != nil {
		c.Kill()
	}
}

// Describe implements scorer.Scorer.
func (p *Plugin) Describe(ctx context.Context) (scorer.Description, error) {
	var d scorer.Description
	err := p.call(ctx, func(sc *scorer.Client) error {
		var err error
		d, err = sc.Describe(ctx)
		return err
	})
	return d, err
}

// Score implements scorer.Scorer.
func (p *Plugin) Score(ctx context.Context, items []scorer.Item) ([]scorer.Result, error) {
	var res []scorer.Result
	err := p.call(ctx, func(sc *scorer.Client) error {
		var err error
		res, err = sc.Score(ctx, items)
		return err
	})
	return res, err
}

// call runs f against the plugin, relaunching a crashed plugin and retrying.
func (p *Plugin) call(ctx context.Context, f func(*scorer.Client) error) error {
	for {
		p.mu.Lock()
		sc, client := p.sc, p.client
		p.mu.Unlock()
		if sc == nil {
			return fmt.Errorf("plugin %q is not running", p.info.Name)
		}
		err := f(sc)
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
	dead.Kill()
	p.client, p.sc = nil, nil
	p.host.opts.Logger.Warn("plugin process died; restarting", "plugin", p.info.Name, "restart", p.restarts)
	return p.start(ctx)
}

// Train runs training in the plugin (see scorer.Trainer), streaming
// progress; scorer.ErrNotTrainable when the plugin cannot train. A plugin
// that dies during training is not restarted: the error is returned.
func (p *Plugin) Train(ctx context.Context, req scorer.TrainRequest, progress func(scorer.TrainEvent)) (scorer.TrainEvent, error) {
	p.mu.Lock()
	sc := p.sc
	p.mu.Unlock()
	if sc == nil {
		return scorer.TrainEvent{}, fmt.Errorf("plugin %q is not running", p.info.Name)
	}
	ev, err := sc.Train(ctx, req, progress)
	if err != nil {
		return ev, fmt.Errorf("plugin %q: train: %w", p.info.Name, err)
	}
	return ev, nil
}
