package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/srbench/srbench/internal/testmodels"
)

// updateDocs rewrites docs/cli.md's generated part (make docs).
var updateDocs = flag.Bool("update", false, "rewrite the generated part of docs/cli.md from the command tree")

// cliDocMarker separates docs/cli.md's hand-written introduction from the
// part generated from the command tree.
const cliDocMarker = "<!-- Everything below this line is generated from the command tree by `make docs`; do not edit it by hand. -->\n"

// TestCLIDocUpToDate fails when docs/cli.md's reference part is not what
// the command tree generates: a command or flag was added, renamed or
// reworded without `make docs`.
func TestCLIDocUpToDate(t *testing.T) {
	root, err := testmodels.ModuleRoot()
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(root, "docs", "cli.md")
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	intro, _, ok := strings.Cut(string(b), cliDocMarker)
	if !ok {
		t.Fatalf("%s lacks the line %q that starts its generated part", path, strings.TrimSpace(cliDocMarker))
	}
	want := intro + cliDocMarker + cliReference(newRootCmd())
	if *updateDocs {
		if err := os.WriteFile(path, []byte(want), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	if string(b) != want {
		t.Errorf("%s is stale: run `make docs` (go test ./harness/cmd/srbench -run TestCLIDocUpToDate -update)\n%s", path, firstDiff(string(b), want))
	}
}

// firstDiff shows the first line where got and want differ.
func firstDiff(got, want string) string {
	g, w := strings.Split(got, "\n"), strings.Split(want, "\n")
	for i := 0; i < len(g) || i < len(w); i++ {
		var a, b string
		if i < len(g) {
			a = g[i]
		}
		if i < len(w) {
			b = w[i]
		}
		if a != b {
			return fmt.Sprintf("line %d:\n  have %q\n  want %q", i+1, a, b)
		}
	}
	return ""
}

// cliReference renders every visible command of the tree under root, with
// its usage, description, examples and flags (meaning and default), then
// the deprecated spellings still accepted.
func cliReference(root *cobra.Command) string {
	var cmds []*cobra.Command
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		if c != root {
			if c.Hidden || c.Name() == "help" || c.Name() == "completion" {
				return
			}
			cmds = append(cmds, c)
		}
		for _, s := range c.Commands() {
			walk(s)
		}
	}
	walk(root)

	var b strings.Builder
	b.WriteString("\n## Commands\n\n| command | what it does |\n| --- | --- |\n")
	for _, c := range cmds {
		fmt.Fprintf(&b, "| [`%s`](#%s) | %s |\n", c.CommandPath(), anchor(c), cell(c.Short))
	}
	for _, c := range cmds {
		fmt.Fprintf(&b, "\n### %s\n\n%s\n\n```\n%s\n```\n", c.CommandPath(), prose(c.Short), c.UseLine())
		if c.Long != "" {
			fmt.Fprintf(&b, "\n%s\n", prose(c.Long))
		}
		if subs := visibleSubcommands(c); len(subs) > 0 {
			b.WriteString("\nSubcommands:")
			for i, s := range subs {
				sep := ","
				if i == 0 {
					sep = ""
				}
				fmt.Fprintf(&b, "%s [`%s`](#%s)", sep, s.CommandPath(), anchor(s))
			}
			b.WriteString(".\n")
		}
		if c.Example != "" {
			fmt.Fprintf(&b, "\nExamples:\n\n```sh\n%s\n```\n", unindent(c.Example))
		}
		var rows []string
		c.LocalFlags().VisitAll(func(f *pflag.Flag) {
			if f.Hidden || f.Name == "help" {
				return
			}
			typ, usage := pflag.UnquoteUsage(f)
			name := "--" + f.Name
			if f.Shorthand != "" {
				name = "-" + f.Shorthand + ", " + name
			}
			if typ != "" {
				name += " " + typ
			}
			rows = append(rows, fmt.Sprintf("| `%s` | %s | %s |", name, docDefault(f), cell(usage)))
		})
		if len(rows) > 0 {
			fmt.Fprintf(&b, "\n| flag | default | meaning |\n| --- | --- | --- |\n%s\n", strings.Join(rows, "\n"))
		}
	}

	b.WriteString("\n## Deprecated spellings\n\nAccepted for one more release: each does what it did and prints on stderr\n" +
		"`Flag --OLD has been deprecated, ...` with what to write instead. None is shown by `--help`.\n\n" +
		"| command | old spelling | notice |\n| --- | --- | --- |\n")
	dep := func(c *cobra.Command, fl *pflag.FlagSet, where string) {
		fl.VisitAll(func(f *pflag.Flag) {
			if f.Deprecated != "" {
				msg := strings.TrimSuffix(f.Deprecated, "; the old spelling will be removed in the next release")
				msg = strings.TrimSuffix(msg, " and will be removed from it in the next release")
				fmt.Fprintf(&b, "| %s | `--%s` | %s |\n", where, f.Name, cell(msg))
			}
		})
	}
	for _, c := range cmds {
		dep(c, c.LocalNonPersistentFlags(), "`"+c.CommandPath()+"`")
	}
	dep(root, root.PersistentFlags(), "any command that does not take it")
	return b.String()
}

func visibleSubcommands(c *cobra.Command) []*cobra.Command {
	var out []*cobra.Command
	for _, s := range c.Commands() {
		if !s.Hidden && s.Name() != "help" && s.Name() != "completion" {
			out = append(out, s)
		}
	}
	return out
}

// anchor is GitHub's heading anchor of a command's section.
func anchor(c *cobra.Command) string {
	return strings.ReplaceAll(c.CommandPath(), " ", "-")
}

// docDefault is a flag's default as docs/cli.md shows it: empty when it is
// its type's zero value (the meaning then says what happens).
func docDefault(f *pflag.Flag) string {
	if d, ok := f.Annotations[docDefaultKey]; ok {
		return cell(strings.Join(d, " "))
	}
	switch f.DefValue {
	case "", "false", "0", "0s", "[]":
		return ""
	}
	return "`" + strings.ReplaceAll(f.DefValue, "|", `\|`) + "`"
}

// prose escapes help text for Markdown: what would be read as emphasis or
// HTML is shown as typed.
func prose(s string) string {
	return strings.NewReplacer("*", `\*`, "<", "&lt;", ">", "&gt;").Replace(strings.TrimSpace(s))
}

// cell is prose on one line, fit for a table cell.
func cell(s string) string {
	return strings.ReplaceAll(strings.Join(strings.Fields(prose(s)), " "), "|", `\|`)
}

// unindent removes the two spaces cobra's Examples are indented by.
func unindent(s string) string {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = strings.TrimPrefix(l, "  ")
	}
	return strings.Join(lines, "\n")
}
