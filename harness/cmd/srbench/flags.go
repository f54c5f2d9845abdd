package main

import (
	"fmt"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/srbench/srbench/harness/host"
)

// The CLI's vocabulary (docs/cli.md has the table): one flag name for one
// thing on every command. The helpers below register the flags that several
// commands share, so that a name cannot drift from one command to another.

// addPluginDir registers --plugin-dir: commands that launch plugins, and
// plugins lock, which pins them.
func (g *globalFlags) addPluginDir(fl *pflag.FlagSet, usage string) {
	if usage == "" {
		usage = "directory of scorer plugin binaries (default: plugins/ beside the srbench binary)"
	}
	fl.StringVar(&g.pluginDir, "plugin-dir", "", usage)
}

// addLaunchFlags registers the flags of a command that launches plugins:
// where they are, their deadlines, whether an unpinned one may run, and how
// much of their output is logged. pluginDirUsage "" is the usual help.
func (g *globalFlags) addLaunchFlags(fl *pflag.FlagSet, pluginDirUsage string) {
	g.addPluginDir(fl, pluginDirUsage)
	fl.DurationVar(&g.pluginTimeout, "plugin-timeout", host.DefaultCallTimeout,
		"deadline of a plugin call before per-item time is added; a plugin that misses it is killed and restarted (0: no deadline)")
	fl.DurationVar(&g.pluginTimeoutPerItem, "plugin-timeout-per-item", host.DefaultCallTimeoutPerItem,
		"added to a Score call's deadline per item of the batch")
	fl.BoolVar(&g.allowUnpinned, "allow-unpinned", false,
		"launch plugins that have no pin in their directory's plugins.lock (recorded in results.json; make build pins what it builds)")
	fl.BoolVarP(&g.verbose, "verbose", "v", false, "log plugin output at debug level")
}

// addModels registers --models ROOT, for the commands that load scorer N's
// model from ROOT/N/ when nothing else names its directory.
func (g *globalFlags) addModels(fl *pflag.FlagSet, usage string) {
	if usage == "" {
		usage = "models root: scorer N loads ROOT/N/ unless a spec or --scorers N=DIR gives its directory"
	}
	fl.StringVar(&g.models, "models", defaultModelsRoot, usage)
}

// defaultModelsRoot is where scorer N's model is looked for, models/N/, and
// where models demo writes by default.
const defaultModelsRoot = "models"

// docDefaultKey is a flag annotation that docs/cli.md shows as the flag's
// default instead of its value, for a default that depends on the machine
// (a path under $HOME).
const docDefaultKey = "srbench_doc_default"

// aliasValue is the Value of a deprecated spelling: setting it sets the
// flag it stands for (which is then Changed, as if spelled the new way).
type aliasValue struct {
	pflag.Value
	fl     *pflag.FlagSet
	target string
}

func (a aliasValue) Set(s string) error { return a.fl.Set(a.target, s) }

// alias registers old as a hidden, deprecated spelling of the flag named
// target in fl (the FlagSet the command parses, cmd.Flags()). Using it has
// the same effect as target and prints "Flag --old has been deprecated, use
// --target instead ..." on stderr.
func alias(fl *pflag.FlagSet, old, target string) {
	t := fl.Lookup(target)
	if t == nil {
		panic(fmt.Sprintf("alias --%s: no flag --%s", old, target))
	}
	fl.AddFlag(&pflag.Flag{
		Name: old, Usage: t.Usage, DefValue: t.DefValue, NoOptDefVal: t.NoOptDefVal,
		Value: aliasValue{Value: t.Value, fl: fl, target: target},
	})
	deprecate(fl, old, fmt.Sprintf("use --%s instead", target))
}

// deprecate marks a flag deprecated (and so hidden), saying when it goes.
func deprecate(fl *pflag.FlagSet, name, msg string) {
	if err := fl.MarkDeprecated(name, msg+"; the old spelling will be removed in the next release"); err != nil {
		panic(err)
	}
}

// retiredGlobals registers, on the root and so on every command, the flags
// that were once global but apply only where they are registered again
// (commands that launch plugins; a command's own flag of the same name
// takes precedence). Elsewhere they are hidden, deprecated and do nothing,
// so that a command line that gave them still runs, with a notice.
func retiredGlobals(root *cobra.Command) {
	var ignored struct {
		s string
		b bool
		d time.Duration
	}
	fl := root.PersistentFlags()
	fl.StringVar(&ignored.s, "plugin-dir", "", "")
	fl.StringVar(&ignored.s, "models", "", "")
	fl.BoolVarP(&ignored.b, "verbose", "v", false, "")
	fl.DurationVar(&ignored.d, "plugin-timeout", 0, "")
	fl.DurationVar(&ignored.d, "plugin-timeout-per-item", 0, "")
	fl.BoolVar(&ignored.b, "allow-unpinned", false, "")
	launching := "the commands that launch plugins: run, resume, plugins list, train, ablate, demo"
	for name, takes := range map[string]string{
		"plugin-dir":              launching + "; and plugins lock",
		"models":                  "run, resume and plugins list",
		"verbose":                 launching,
		"plugin-timeout":          launching,
		"plugin-timeout-per-item": launching,
		"allow-unpinned":          launching,
	} {
		msg := "it has no effect on this command (it is taken by " + takes + ") and will be removed from it in the next release"
		if err := fl.MarkDeprecated(name, msg); err != nil {
			panic(err)
		}
	}
}
