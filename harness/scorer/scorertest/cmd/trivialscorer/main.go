// Command trivialscorer is the trivial test scorer as a plugin binary.
//
// Build it with -ldflags "-X main.bonus=N" to get a plugin that adds N to
// every score under the same name, version and fingerprint: a stand-in for
// a rebuilt plugin whose code (say, its preprocessing) changed.
package main

import (
	"fmt"
	"os"
	"strconv"

	"github.com/srbench/srbench/harness/scorer"
	"github.com/srbench/srbench/harness/scorer/scorertest"
)

// bonus is set at link time.
var bonus = "0"

func main() {
	b, err := strconv.ParseFloat(bonus, 64)
	if err != nil {
		fmt.Fprintf(os.Stderr, "trivialscorer: link-time bonus %q is not a number\n", bonus)
		os.Exit(1)
	}
	scorer.Serve(scorertest.WithBonus(b))
}
