// Command clipscore is the CLIPScore scorer plugin (Hessel et al. 2021 and
// its variants) for srbench.
package main

import "github.com/srbench/srbench/harness/scorer"

func main() { scorer.Serve(New) }
