// Command socialreward is the Social Reward scorer plugin (Isajanyan et al.,
// ICLR 2024) for srbench: the cosine of CLIP text and image embeddings,
// optionally through adapters trained by `srbench train`.
package main

import "github.com/srbench/srbench/harness/scorer"

func main() { scorer.Serve(New) }
