// Command pickscore is the PickScore scorer plugin (Kirstain et al. 2023,
// yuvalkirstain/PickScore_v1) for srbench.
package main

import "github.com/srbench/srbench/harness/scorer"

func main() { scorer.Serve(New) }
