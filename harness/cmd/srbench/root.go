package main

import (
	"errors"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"
)

// globalFlags are shared by every command.
type globalFlags struct {
	pluginDir string
	models    string
	verbose   bool
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
	g := &globalFlags{}
	root := &cobra.Command{
		Use:           "srbench",
		Short:         "Benchmark and train reward models for text-to-image generation",
		Long:          "srbench runs scorer plugins (CLIPScore, PickScore, ImageReward, Social Reward) on\npairwise-preference benchmarks and reports accuracy with confidence intervals.",
		SilenceUsage:  true,
		SilenceErrors: true,
		Version:       version,
	}
	root.PersistentFlags().StringVar(&g.pluginDir, "plugin-dir", "", "directory of scorer plugin binaries (default: plugins/ beside the srbench binary)")
	root.PersistentFlags().StringVar(&g.models, "models", "models", "models root: scorer N loads <models>/N/ unless a spec gives a path")
	root.PersistentFlags().BoolVarP(&g.verbose, "verbose", "v", false, "log plugin output at debug level")
	root.AddCommand(newRunCmd(g), newAnalyzeCmd(g), newPluginsCmd(g), newInspectCmd(g), newModelsCmd(g), newReportCmd(g), newCheckCmd(g), newSimulateCmd(g), newCurateCmd(g), newDemoCmd(g), newTrainCmd(g), newAblateCmd(g))
	return root
}

// defaultPluginDir is plugins/ beside the running binary.
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
