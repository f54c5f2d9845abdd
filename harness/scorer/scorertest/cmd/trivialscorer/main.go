// Command trivialscorer is the trivial test scorer as a plugin binary.
package main

import (
	"github.com/srbench/srbench/harness/scorer"
	"github.com/srbench/srbench/harness/scorer/scorertest"
)

func main() { scorer.Serve(scorertest.New) }
