package main

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/srbench/srbench/internal/testmodels"
)

// TestPluginsTestCommand: `srbench plugins test` prints the rules' table
// and exits 1 naming the failed rules, 0 when all pass, 2 for bad
// arguments; a PATH runs that binary (noting when it is unpinned), a NAME
// is looked up in --plugin-dir.
func TestPluginsTestCommand(t *testing.T) {
	pinned := t.TempDir()
	bin, err := testmodels.BuildPlugin(pinned, "fixture", "./harness/conformance/internal/fixture")
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(bin)
	if err != nil {
		t.Fatal(err)
	}
	// A pinned binary rebuilt since (here: one byte appended) is tested as
	// it is, with a note.
	changed := t.TempDir()
	if err := os.WriteFile(filepath.Join(changed, "fixture"), b, 0o755); err != nil {
		t.Fatal(err)
	}
	if out, err := srbench("plugins", "lock", "--plugin-dir", changed).CombinedOutput(); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if err := os.WriteFile(filepath.Join(changed, "fixture"), append(b, 0), 0o755); err != nil {
		t.Fatal(err)
	}
	unpinned := t.TempDir()
	for _, name := range []string{"reversed", "fixture"} {
		if err := os.WriteFile(filepath.Join(unpinned, name), b, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		name     string
		args     []string
		code     int
		stdout   []string
		stderr   []string
		noStdout []string
	}{
		{name: "pinned plugin by name passes",
			args:     []string{"plugins", "test", "fixture", "--plugin-dir", pinned},
			stdout:   []string{"fixture  " + bin + " (pinned)", "an empty temporary directory", "RULE", "one-result-per-item-in-order  PASS", "11 rules: 11 passed, 0 failed, 0 skipped"},
			noStdout: []string{"note:", "FAIL"}},
		{name: "unpinned path is tested with a note",
			args:   []string{"plugins", "test", filepath.Join(unpinned, "fixture"), "--timeout", "30s"},
			stdout: []string{"(unpinned)", "note:   no pin in plugins.lock", "11 rules: 11 passed"}},
		{name: "a binary changed since pinned is tested with a note",
			args:   []string{"plugins", "test", "fixture", "--plugin-dir", changed},
			stdout: []string{"(unpinned)", "note:   the binary does not match its pin in plugins.lock: tested as it is", "11 rules: 11 passed"}},
		{name: "a failed rule exits 1 naming it",
			args:   []string{"plugins", "test", filepath.Join(unpinned, "reversed")},
			code:   1,
			stdout: []string{"one-result-per-item-in-order  FAIL    8 items in one batch, shuffled: results are not in item order", "batch-size-invariance         SKIP"},
			stderr: []string{`plugin "reversed" failed 1 of 11 conformance rules: one-result-per-item-in-order`}},
		{name: "options reach Configure",
			args:   []string{"plugins", "test", filepath.Join(unpinned, "fixture"), "--option", "variant=x", "--model", unpinned},
			code:   1,
			stdout: []string{"configure-unknown-option      FAIL", "unknown option(s) variant", "model   " + unpinned},
			stderr: []string{"configure-unknown-option"}},
		{name: "malformed option", args: []string{"plugins", "test", "fixture", "--plugin-dir", pinned, "--option", "novalue"}, code: 2,
			stderr: []string{`--option "novalue": want key=value`}},
		{name: "no such plugin", args: []string{"plugins", "test", "nope", "--plugin-dir", pinned}, code: 1,
			stderr: []string{`no plugin "nope"`, "found: fixture"}},
		{name: "two arguments", args: []string{"plugins", "test", "a", "b"}, code: 2, stderr: []string{"want one plugin NAME or PATH"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cmd := srbench(tc.args...)
			var stdout, stderr strings.Builder
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			err := cmd.Run()
			code := 0
			var ee *exec.ExitError
			if errors.As(err, &ee) {
				code = ee.ExitCode()
			} else if err != nil {
				t.Fatal(err)
			}
			if code != tc.code {
				t.Errorf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, tc.code, stdout.String(), stderr.String())
			}
			for _, w := range tc.stdout {
				if !strings.Contains(stdout.String(), w) {
					t.Errorf("stdout lacks %q:\n%s", w, stdout.String())
				}
			}
			for _, w := range tc.noStdout {
				if strings.Contains(stdout.String(), w) {
					t.Errorf("stdout has %q:\n%s", w, stdout.String())
				}
			}
			for _, w := range tc.stderr {
				if !strings.Contains(stderr.String(), w) {
					t.Errorf("stderr lacks %q:\n%s", w, stderr.String())
				}
			}
		})
	}
}
