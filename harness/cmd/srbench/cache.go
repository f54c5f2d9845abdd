package main

import (
	"io"

	"fmt"
	"os"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/srbench/srbench/harness/bench"
	"github.com/srbench/srbench/internal/atomicfile"
)

func newCacheCmd(_ *globalFlags) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "cache",
		Short: "Export and import score cache entries, to share scores between machines, shards and reruns",
		Long: `The score cache (run --cache) keeps every score a scorer plugin computed, keyed by the scorer
(plugin binary sha256, name, version, model fingerprint, variant, runtime, provider,
preprocessing, tokenizer, options), the prompt and the image content. cache export writes its
entries to a portable file, and cache import merges such files into a cache, so that scores
computed on one machine (e.g. by the shards of a run) are served on another. See docs/shards.md.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}
	cmd.AddCommand(newCacheExportCmd(), newCacheImportCmd())
	return cmd
}

// cacheFlag registers --cache as run and resume spell it.
func cacheFlag(fl *pflag.FlagSet, path *string, usage string) {
	fl.StringVar(path, "cache", bench.DefaultCachePath(), usage)
	_ = fl.SetAnnotation("cache", docDefaultKey, []string{"`$SRBENCH_CACHE/scores.sqlite`, else `$XDG_CACHE_HOME/srbench/scores.sqlite`, else `~/.cache/srbench/scores.sqlite`"})
}

func newCacheExportCmd() *cobra.Command {
	var out, cachePath string
	cmd := &cobra.Command{
		Use:   "export --out FILE",
		Short: "Write every entry of the score cache to a portable file",
		Long: `Write every entry of the score cache to FILE (JSON lines; - for standard output): a header
naming the format and its version, one line per score with its whole cache key, and an end
line counting the entries, so that a truncated copy is refused on import. The file is
written whole or not at all.`,
		Example: "  srbench cache export --out scores-$(hostname).jsonl",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if out == "" {
				return &exitError{code: 2, err: fmt.Errorf("cache export: --out FILE is required")}
			}
			if _, err := os.Stat(cachePath); err != nil {
				return &exitError{code: 2, err: fmt.Errorf("cache export: no score cache %s: %w", cachePath, err)}
			}
			c, err := bench.OpenCache(cachePath)
			if err != nil {
				return err
			}
			defer c.Close()
			if out == "-" {
				_, err := c.Export(cmd.OutOrStdout())
				return err
			}
			var n int
			if err := atomicfile.Write(out, func(w io.Writer) error {
				var err error
				n, err = c.Export(w)
				return err
			}); err != nil {
				return fmt.Errorf("cache export %s: %w", out, err)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "exported %d score cache entries from %s to %s\n", n, cachePath, out)
			return nil
		},
	}
	cmd.Flags().StringVar(&out, "out", "", "file to write (- for standard output)")
	cacheFlag(cmd.Flags(), &cachePath, "score cache (SQLite) to export")
	return cmd
}

func newCacheImportCmd() *cobra.Command {
	var cachePath string
	cmd := &cobra.Command{
		Use:   "import FILE...",
		Short: "Merge files that cache export wrote into the score cache",
		Long: `Merge the entries of files that srbench cache export wrote into the score cache (created if
missing). An entry the cache does not hold is added; one it holds with the same score is
counted as already present; one it holds with another score is a conflict: the cache's score
is kept, and the conflicts are counted and the first few shown (a scorer that is not
deterministic, e.g. nondeterministic GPU kernels, can cause them). Between two imported files,
the first file's score is kept.

All or nothing: every file is checked first, and an unreadable, corrupt, truncated or foreign
file, or one of another format version, is an error naming the file (and the line) and
nothing is imported.`,
		Example: "  srbench cache import shard-*/scores.jsonl",
		Args:    cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := bench.OpenCache(cachePath)
			if err != nil {
				return err
			}
			defer c.Close()
			st, err := c.Import(args)
			if err != nil {
				return err
			}
			w := cmd.OutOrStdout()
			fmt.Fprintf(w, "imported %d files into %s: %d entries, %d added, %d already present, %d conflicts\n",
				st.Files, cachePath, st.Entries, st.Added, st.Present, st.Conflicts)
			if st.Conflicts > 0 {
				fmt.Fprintf(cmd.ErrOrStderr(), "warning: %d imported scores differ from the cache's scores under the same key; the cache's were kept:\n", st.Conflicts)
				for _, c := range st.Examples {
					fmt.Fprintf(cmd.ErrOrStderr(), "  %s line %d: scorer key %s, prompt %s, image %s: cache %v, imported %v\n",
						c.File, c.Line, c.Scorer, c.Prompt, c.Image, c.Local, c.Imported)
				}
				if st.Conflicts > len(st.Examples) {
					fmt.Fprintf(cmd.ErrOrStderr(), "  and %d more\n", st.Conflicts-len(st.Examples))
				}
			}
			return nil
		},
	}
	cacheFlag(cmd.Flags(), &cachePath, "score cache (SQLite) to merge into")
	return cmd
}
