// Package simworld is a synthetic creative community: templated prompts, procedurally
// rendered images with known latent attributes, authors with heavy-tailed follower
// counts, and remix counts confounded the way real engagement is — the data behind the
// srbench demo and the tests of harness/curate.
//
// Simulate builds a World deterministically from Options.Seed (math/rand/v2 PCG; images
// are rendered in parallel, each from its own stream, so the output does not depend on
// the number of workers). Write also writes it: images/*.png and alignment/*.png,
// the engagement log (log.jsonl, log.parquet, the curate.LogRow format), the ground
// truth that curation and training never read (truth.jsonl, world.json) and
// alignment_pairs.jsonl (pairs-jsonl: for one prompt, two renders identical but for the
// subject's colour and/or shape, one matching the prompt).
//
// # Prompts and images
//
// A prompt is "a <colour> <subject> <background>, <style>": 8 colours, 6 subjects
// (geometric shapes), 6 backgrounds, 5 styles. Every image of a prompt is drawn from
// per-image parameters (Render): the subject's colour and shape (wrong with probability
// 0.12 and 0.08: prompt alignment), global saturation (0.2–1) and contrast (0.35–1)
// multipliers, the subject's offset from the centre (0–0.2 of the width) and size, and an
// artefact level a in [0, 1] (a = U², quality = 1 − a) that scales luminance grain and,
// for some images, blotches, colour banding and blur. A small random brightness texture
// makes every image's difference hash its own; re-posts (3% of images) copy an earlier
// image of the prompt with a tiny brightness shift (near-duplicates).
//
// Community appeal ("remixability") is a fixed linear taste over standardised features:
// saturation 1.0, contrast 0.7, centring 0.8, artefacts −0.8, alignment 0.5, plus a latent
// part 0.6 no pixel shows (half of it the author's skill), scaled to about N(0, 1).
// Alignment and quality explain only about a quarter of it.
//
// Measure reads visual Features back from pixels alone (mean chroma, blurred luma
// standard deviation, salience centroid offset, subject hue and colour class,
// Laplacian energy); the package tests check they track the rendering parameters.
//
// # Engagement
//
// Each image is posted up to 60 days before the snapshot; attention decays, so its
// cumulative exposure is E(t) = 30·(1 − e^(−t/30)) days-equivalent. Views are Poisson
// with mean 40 · popularity · E(t) · ((1+followers)/120)^(0.9·0.5) · e^(0.25·appeal + noise);
// community remixes are negative binomial (gamma shape 4) with mean
// views · 0.012 · ((1+followers)/120)^(0.1·0.5) · e^(0.65·appeal + noise), and remixes by top
// creators, added to them, are Poisson with mean
// 0.6 · (E(t)/30) · popularity^0.3 · e^(1.6·appeal − 1.8). Followers are log-normal (median
// 120, σ 1.7, correlated 0.45 with skill); prompt popularity is log-normal (σ 0.7).
// The log carries views only with Options.Views.
package simworld
