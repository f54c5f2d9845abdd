package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/srbench/srbench/harness/conformance"
	"github.com/srbench/srbench/harness/host"
)

// newPluginsTestCmd is `srbench plugins test`, the conformance kit.
func newPluginsTestCmd(g *globalFlags) *cobra.Command {
	var opts conformance.Options
	var options []string
	cmd := &cobra.Command{
		Use:   "test NAME|PATH",
		Short: "Check a plugin against every rule of the plugin contract (the conformance kit)",
		Long: "Launches the plugin (NAME in --plugin-dir, or the executable at PATH, pinned or not) and checks it\n" +
			"against every rule of the scorer contract, with images and prompts of its own: start, unknown options\n" +
			"refused, Describe, one result per item in order, determinism, batch-size invariance, per-item errors,\n" +
			"path and bytes, concurrent calls, shutdown, and a host log without warnings (docs/conformance.md).\n" +
			"It prints a table of the rules (PASS, FAIL or SKIP, and what it saw) and exits 1 when a rule failed.",
		Example: "  srbench plugins test clipscore --model models/clipscore\n" +
			"  srbench plugins test ./my-plugin --option variant=fast",
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 1 {
				return &exitError{code: 2, err: fmt.Errorf("want one plugin NAME or PATH, got %d arguments", len(args))}
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			out := cmd.OutOrStdout()
			var err error
			if opts.Options, err = parseOptions(options); err != nil {
				return &exitError{code: 2, err: err}
			}
			if opts.ModelDir != "" {
				if st, err := os.Stat(opts.ModelDir); err != nil || !st.IsDir() {
					return &exitError{code: 2, err: fmt.Errorf("--model %s: not a directory", opts.ModelDir)}
				}
			}
			info, notes, err := pluginToTest(g, args[0])
			if err != nil {
				return err
			}
			pinned := "pinned"
			if info.Pin == "" {
				pinned = "unpinned"
			}
			model := opts.ModelDir
			if model == "" {
				model = "an empty temporary directory"
			}
			fmt.Fprintf(out, "plugin  %s  %s (%s)\nmodel   %s\n", info.Name, info.Path, pinned, model)
			for _, n := range notes {
				fmt.Fprintln(out, "note:   "+n)
			}
			rep, runErr := conformance.Run(cmd.Context(), info, opts)
			if rep == nil {
				return runErr
			}
			fmt.Fprintln(out)
			if err := rep.WriteTable(out); err != nil {
				return err
			}
			if runErr != nil {
				return runErr
			}
			if err := rep.Err(); err != nil {
				return &exitError{code: 1, err: err}
			}
			return nil
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&opts.ModelDir, "model", "", "model directory passed to Configure (default: an empty temporary directory, which plugins without model files accept)")
	fl.StringArrayVar(&options, "option", nil, "scorer option key=value passed to Configure (repeatable)")
	fl.DurationVar(&opts.Timeout, "timeout", conformance.DefaultTimeout, "deadline of the plugin's start-up handshake and of each call")
	g.addPluginDir(fl, "")
	return cmd
}

// parseOptions turns --option key=value flags into a map.
func parseOptions(kvs []string) (map[string]string, error) {
	if len(kvs) == 0 {
		return nil, nil
	}
	m := map[string]string{}
	for _, kv := range kvs {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || k == "" {
			return nil, fmt.Errorf("--option %q: want key=value", kv)
		}
		m[k] = v
	}
	return m, nil
}

// pluginToTest finds the plugin to test: a PATH (an argument with a path
// separator) is that executable, a NAME is looked up in the plugin
// directory. Unpinned plugins, and plugins whose binary no longer matches
// their pin, are tested as they are, with a note.
func pluginToTest(g *globalFlags, arg string) (host.Info, []string, error) {
	var info host.Info
	var err error
	if strings.ContainsRune(arg, filepath.Separator) || strings.ContainsRune(arg, '/') {
		st, serr := os.Stat(arg)
		if serr != nil {
			return host.Info{}, nil, serr
		}
		if !st.Mode().IsRegular() || st.Mode()&0o111 == 0 {
			return host.Info{}, nil, fmt.Errorf("%s is not an executable file", arg)
		}
		info, err = host.FromPath(arg)
	} else {
		info, err = host.Find(g.resolvePluginDir(), arg)
	}
	if err != nil {
		return host.Info{}, nil, err
	}
	var notes []string
	switch {
	case info.Pin == "":
		notes = append(notes, fmt.Sprintf("no pin in %s beside it: tested anyway (srbench run refuses an unpinned plugin without --allow-unpinned)", host.LockFileName))
	case info.Verify() != nil:
		notes = append(notes, fmt.Sprintf("the binary does not match its pin in %s: tested as it is (pin it again with `srbench plugins lock` if the change is intended)", host.LockFileName))
		info.Pin = ""
	}
	return info, notes, nil
}
