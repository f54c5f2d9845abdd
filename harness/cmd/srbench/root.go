package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"time"

	"github.com/spf13/cobra"

	"github.com/srbench/srbench/harness/bench"
	"github.com/srbench/srbench/harness/host"
)

// globalFlags are the settings of the commands that launch plugins (each
// registers the flags it takes: see flags.go), with what the signal handler
// needs to reach: the plugin hosts to kill and the run to name.
type globalFlags struct {
	pluginDir string
	models    string
	verbose   bool
	// Deadlines of plugin calls (see host.Options).
	pluginTimeout, pluginTimeoutPerItem time.Duration
	// allowUnpinned launches plugins without a pin in plugins.lock.
	allowUnpinned bool

	mu     sync.Mutex
	hosts  []*host.Host
	runDir string // the run in progress, for the resume hint
}

// track remembers a host so that an interrupted srbench can kill its plugins.
func (g *globalFlags) track(h *host.Host) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.hosts = append(g.hosts, h)
}

// killPlugins SIGKILLs every plugin of every host at once.
func (g *globalFlags) killPlugins() {
	g.mu.Lock()
	hs := slices.Clone(g.hosts)
	g.mu.Unlock()
	for _, h := range hs {
		h.KillNow()
	}
}

// setRun records the run directory being written, for the resume hint.
func (g *globalFlags) setRun(dir string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.runDir = dir
}

// resumeHint says how to finish the run in progress, "" when there is none.
func (g *globalFlags) resumeHint() string {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.runDir == "" {
		return ""
	}
	if _, err := os.Stat(filepath.Join(g.runDir, bench.JournalName)); err != nil {
		return fmt.Sprintf("nothing was scored into %s; start the run again", g.runDir)
	}
	return fmt.Sprintf("the run in %s keeps every pair scored so far; finish it with: srbench resume %s", g.runDir, g.runDir)
}

// exitError carries a specific exit code (e.g. 2 for unusable input to check).
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

func exitCode(err error) int {
	var ee *exitError
	if errors.As(err, &ee) {
		return ee.code
	}
	return 1
}

func newRootCmd() *cobra.Command {
	return newRoot(&globalFlags{})
}

// newRoot builds the command tree on g (main keeps g to reach the plugins
// when interrupted).
func newRoot(g *globalFlags) *cobra.Command {
	root := &cobra.Command{
		Use:           "srbench",
		Short:         "Benchmark and train reward models for text-to-image generation",
		Long:          "srbench runs scorer plugins (CLIPScore, PickScore, ImageReward, Social Reward) on\npairwise-preference benchmarks and reports accuracy with confidence intervals.",
		SilenceUsage:  true,
		SilenceErrors: true,
		Version:       version,
	}
	retiredGlobals(root)
	root.AddCommand(newRunCmd(g), newResumeCmd(g), newMergeCmd(g), newAnalyzeCmd(g), newPluginsCmd(g), newInspectCmd(g), newModelsCmd(g), newReportCmd(g), newCheckCmd(g), newSimulateCmd(g), newCurateCmd(g), newDemoCmd(g), newTrainCmd(g), newAblateCmd(g), newCacheCmd(g), newRankCmd(g))
	return root
}

// resolvePluginDir is --plugin-dir, else plugins/ beside the running binary.
func (g *globalFlags) resolvePluginDir() string {
	if g.pluginDir != "" {
		return g.pluginDir
	}
	exe, err := os.Executable()
	if err != nil {
		return "plugins"
	}
	if r, err := filepath.EvalSymlinks(exe); err == nil {
		exe = r
	}
	return filepath.Join(filepath.Dir(exe), "plugins")
}
