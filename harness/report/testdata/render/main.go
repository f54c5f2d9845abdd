// Command render writes the report of a run directory with report.Write,
// the same as `srbench report RUN_DIR`, without the CLI. scripts/check-html.sh
// uses it to render the test fixture:
//
//	go run ./harness/report/testdata/render RUN_DIR
package main

import (
	"fmt"
	"os"

	"github.com/srbench/srbench/harness/report"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: render RUN_DIR")
		os.Exit(2)
	}
	if err := report.Write(os.Args[1], report.Options{}); err != nil {
		fmt.Fprintln(os.Stderr, "render:", err)
		os.Exit(1)
	}
}
