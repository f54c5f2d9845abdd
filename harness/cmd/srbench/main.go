// Command srbench evaluates and trains reward models for text-to-image
// generation: it runs scorer plugins (CLIPScore, PickScore, ImageReward,
// Social Reward) on pairwise-preference benchmarks and reports accuracy with
// the statistics a reviewer needs.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"
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

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	root := newRootCmd()
	root.SetContext(ctx)
	if err := root.Execute(); err != nil {
		fmt.Fprintln(os.Stderr, "srbench:", err)
		stop()
		os.Exit(exitCode(err))
	}
}
