package bench

import (
	"context"
	"io"

	"github.com/srbench/srbench/harness/scorer"
)

// Plugin is a launched scorer as the harness sees it: a scorer.Scorer and
// scorer.Trainer (scorer.ErrNotTrainable when its plugin cannot train) that
// a host supervises. host.Plugin implements it for plugin processes;
// InProcess wraps a scorer running in the harness itself (tests). Callers
// use these methods rather than asserting on host types.
type Plugin interface {
	scorer.Scorer
	scorer.Trainer
	// Kill stops the scorer (its process, for a plugin); it is safe to
	// call more than once.
	Kill()
	// Restarts is how often the plugin was relaunched after a crash or a
	// missed deadline.
	Restarts() int
	// BinarySHA256 is the sha256 of the plugin's executable ("" in
	// process) and Pinned whether it matched a pin in plugins.lock.
	BinarySHA256() string
	Pinned() bool
	// PeakRSS is the plugin process's peak resident memory in bytes, 0
	// when unknown.
	PeakRSS() int64
}

// InProcess adapts a scorer running in this process to Plugin: Train calls
// its scorer.Trainer when it has one, Kill closes it when it is an
// io.Closer, and the process facts are zero.
func InProcess(sc scorer.Scorer) Plugin { return &inProcess{Scorer: sc} }

type inProcess struct {
	scorer.Scorer
	killed bool
}

func (p *inProcess) Train(ctx context.Context, req scorer.TrainRequest, emit func(scorer.TrainEvent) error) error {
	tr, ok := p.Scorer.(scorer.Trainer)
	if !ok {
		return scorer.ErrNotTrainable
	}
	return tr.Train(ctx, req, emit)
}

func (p *inProcess) Kill() {
	if c, ok := p.Scorer.(io.Closer); ok && !p.killed {
		p.killed = true
		c.Close()
	}
}

func (p *inProcess) Restarts() int        { return 0 }
func (p *inProcess) BinarySHA256() string { return "" }
func (p *inProcess) Pinned() bool         { return false }
func (p *inProcess) PeakRSS() int64       { return 0 }
