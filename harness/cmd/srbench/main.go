// Command srbench evaluates and trains reward models for text-to-image
// generation: it runs scorer plugins (CLIPScore, PickScore, ImageReward,
// Social Reward) on pairwise-preference benchmarks and reports accuracy with
// the statistics a reviewer needs.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"runtime/debug"
	"sync/atomic"
	"syscall"
	"time"
)

// version is srbench's version, recorded in every run's provenance.
const version = "0.1.0"

// commit is the VCS revision the binary was built from ("" when unknown),
// with "+dirty" when the work tree had uncommitted changes.
func commit() string {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return ""
	}
	var rev, dirty string
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			if s.Value == "true" {
				dirty = "+dirty"
			}
		}
	}
	if rev == "" {
		return ""
	}
	return rev + dirty
}

// Exit statuses of an interrupted srbench: 128 + the signal's number, as a
// shell reports a process killed by it.
const (
	exitSIGINT  = 130
	exitSIGTERM = 143
)

// shutdownGrace is how long srbench lets a command wind down after SIGINT or
// SIGTERM (cancel its work, shut its plugins down, write what it has)
// before it kills the plugins and exits anyway.
const shutdownGrace = 5 * time.Second

func main() {
	g := &globalFlags{}
	ctx, cancel := context.WithCancel(context.Background())
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	var got atomic.Value // the first signal
	go func() {
		sig := <-sigs
		got.Store(sig)
		cancel()
		// A second signal, or a command that does not stop in time, ends
		// srbench at once: the journal is synced chunk by chunk, so a run
		// is resumable whatever state it is in.
		select {
		case sig = <-sigs:
		case <-time.After(shutdownGrace):
		}
		g.killPlugins()
		fmt.Fprintf(os.Stderr, "srbench: interrupted (%v) and did not stop within %s; plugins killed, exiting\n", sig, shutdownGrace)
		if h := g.resumeHint(); h != "" {
			fmt.Fprintln(os.Stderr, "srbench: "+h)
		}
		os.Exit(signalExit(sig))
	}()
	root := newRoot(g)
	root.SetContext(ctx)
	err := root.Execute()
	if v := got.Load(); v != nil {
		sig := v.(os.Signal)
		msg := fmt.Sprintf("interrupted (%v)", sig)
		if err != nil && !errors.Is(err, context.Canceled) {
			msg += ": " + err.Error()
		}
		fmt.Fprintln(os.Stderr, "srbench: "+msg)
		if h := g.resumeHint(); h != "" {
			fmt.Fprintln(os.Stderr, "srbench: "+h)
		}
		os.Exit(signalExit(sig))
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "srbench:", err)
		os.Exit(exitCode(err))
	}
}

func signalExit(sig os.Signal) int {
	if sig == syscall.SIGTERM {
		return exitSIGTERM
	}
	return exitSIGINT
}
