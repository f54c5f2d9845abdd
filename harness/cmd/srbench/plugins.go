package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"

	"github.com/hashicorp/go-hclog"
	"github.com/spf13/cobra"

	"github.com/srbench/srbench/harness/bench"
	"github.com/srbench/srbench/harness/host"
	"github.com/srbench/srbench/harness/scorer"
)

func newHost(g *globalFlags) *host.Host {
	level := hclog.Warn
	if g.verbose {
		level = hclog.Debug
	}
	timeout := g.pluginTimeout
	if timeout == 0 {
		timeout = -1 // the flag's 0 means no deadline
	}
	h := host.New(host.Options{Logger: hclog.New(&hclog.LoggerOptions{Name: "srbench", Output: os.Stderr, Level: level}),
		CallTimeout: timeout, CallTimeoutPerItem: g.pluginTimeoutPerItem, AllowUnpinned: g.allowUnpinned})
	g.track(h)
	return h
}

// launcher launches scorers as plugins from the plugin dir with models from the models root.
func launcher(g *globalFlags, h *host.Host) bench.Launcher {
	return launcherAt(g.resolvePluginDir(), g.models, h)
}

// launcherAt launches scorers as plugins from pluginDir; a scorer without a
// model directory loads <modelsRoot>/<plugin name>.
func launcherAt(pluginDir, modelsRoot string, h *host.Host) bench.Launcher {
	return func(ctx context.Context, spec bench.ScorerSpec) (bench.Plugin, error) {
		info, err := host.Find(pluginDir, spec.PluginName())
		if err != nil {
			return nil, err
		}
		dir := spec.ModelDir
		if dir == "" {
			dir = filepath.Join(modelsRoot, spec.PluginName())
		}
		if _, err := os.Stat(dir); errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("no model directory %s (pass the models root with --models DIR, e.g. --models demo-out/models after `make demo`, or one scorer's directory with --scorers %s=DIR)", dir, spec.Name)
		}
		if abs, err := filepath.Abs(dir); err == nil {
			dir = abs
		}
		p, err := h.Launch(ctx, info, scorer.Config{
			ModelDir: dir, IntraOpThreads: spec.Threads, BatchSize: spec.BatchSize,
			MaxImageBytes: spec.MaxImageBytes, DecodeMemoryBytes: spec.DecodeMemoryBytes,
			Provider: spec.Provider, Options: spec.Options,
		})
		if err != nil {
			return nil, err // not a nil *host.Plugin in a non-nil interface
		}
		return p, nil
	}
}

func newPluginsCmd(g *globalFlags) *cobra.Command {
	cmd := &cobra.Command{Use: "plugins", Short: "List, pin and test scorer plugins"}
	list := &cobra.Command{
		Use:   "list",
		Short: "Launch every plugin with its model and show what it describes",
		RunE: func(cmd *cobra.Command, _ []string) error {
			dir := g.resolvePluginDir()
			infos, err := host.Discover(dir)
			if err != nil {
				return err
			}
			if len(infos) == 0 {
				return fmt.Errorf("no plugins in %s (run `make build`)", dir)
			}
			h := newHost(g)
			defer h.Close()
			launch := launcher(g, h)
			tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "NAME\tKIND\tVARIANT\tVERSION\tFINGERPRINT\tRUNTIME\tPROVIDER\tPINNED\tMODEL")
			var failed, noModel []string
			for _, in := range infos {
				pinned := "no"
				if in.Pin != "" {
					pinned = "yes"
				}
				// A plugin with no model directory under the models root is
				// not broken: it is listed, not launched, and not a failure.
				if dir := filepath.Join(g.models, in.Name); !isDir(dir) {
					fmt.Fprintf(tw, "%s\t-\t-\t-\t-\t-\t-\t%s\tnot launched: no model directory %s\n", in.Name, pinned, dir)
					noModel = append(noModel, in.Name)
					continue
				}
				sc, err := launch(cmd.Context(), bench.ScorerSpec{Name: in.Name})
				if err != nil {
					fmt.Fprintf(tw, "%s\t-\t-\t-\t-\t-\t-\t%s\terror: %v\n", in.Name, pinned, oneLine(err))
					failed = append(failed, in.Name)
					continue
				}
				d, err := sc.Describe(cmd.Context(), scorer.DescribeRequest{})
				if err != nil {
					fmt.Fprintf(tw, "%s\t-\t-\t-\t-\t-\t-\t%s\terror: %v\n", in.Name, pinned, oneLine(err))
					failed = append(failed, in.Name)
					continue
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", in.Name, d.Kind, d.Variant, d.Version,
					short(d.Fingerprint), d.Runtime, d.Provider, pinned, d.ModelDir)
			}
			tw.Flush()
			if len(noModel) > 0 {
				fmt.Fprintf(cmd.ErrOrStderr(), "%d plugin(s) have no model directory under %s and were not launched: %s\n",
					len(noModel), g.models, strings.Join(noModel, ", "))
			}
			if len(failed) > 0 {
				return fmt.Errorf("%d plugin(s) could not load their model: %s", len(failed), strings.Join(failed, ", "))
			}
			return nil
		},
	}
	lock := &cobra.Command{
		Use:   "lock",
		Short: "Pin every plugin binary's sha256 in plugins.lock",
		RunE: func(cmd *cobra.Command, _ []string) error {
			dir := g.resolvePluginDir()
			l, err := host.WriteLock(dir)
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "pinned %d plugin(s) in %s\n", len(l.Plugins), filepath.Join(dir, host.LockFileName))
			return nil
		},
	}
	g.addModels(list.Flags(), "")
	g.addLaunchFlags(list.Flags(), "")
	g.addPluginDir(lock.Flags(), "directory of the plugin binaries to pin; plugins.lock is written there (default: plugins/ beside the srbench binary)")
	cmd.AddCommand(list, lock, newPluginsTestCmd(g))
	return cmd
}

// isDir reports whether path is a directory (following links).
func isDir(path string) bool {
	st, err := os.Stat(path)
	return err == nil && st.IsDir()
}

func short(fp string) string {
	if len(fp) > 23 {
		return fp[:23]
	}
	return fp
}

func oneLine(err error) string { return strings.ReplaceAll(err.Error(), "\n", " ") }
