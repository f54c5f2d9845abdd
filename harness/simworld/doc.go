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
//
// # Generators
//
// A GeneratorProfile is a synthetic text-to-image generator: the distribution it draws
// an image's Render parameters from, for a prompt — the probabilities of the wrong
// colour and shape, uniform ranges of saturation, contrast and offset, and the artefact
// level's range and power. BalancedGenerator is the world's own distribution.
// WriteGallery renders, for Prompts prompts (the prompts Simulate draws for the same
// seed) and each generator, Samples images with the world's renderer at the world's
// size, to images/<generator>/<prompt id>/<sample>.png; gallery.jsonl has one line per
// image ({prompt, prompt_id, generator, image, sample, seed, truth, aligned, alignment,
// quality}) and generators.json each profile with its known answers (mean appeal,
// alignment rate, their closed-form expectations, ranks, measured pixel features).
// Every image has its own stream, seeded from the gallery seed, the prompt and the
// sample but not the generator, and every profile consumes the same random numbers, so
// generators are compared on common random numbers (one sampler seed across models) and
// the files do not depend on Workers.
//
// An image's truth is its Truth.VisualAppeal: the community's taste over the
// pixel-visible features (alignment included), with no latent part and no noise, so a
// perfect reward model could recover the generators' ranking. It is on the world's appeal
// scale (the world's images: standard deviation about 0.95 without the latent part).
//
// DemoGenerators are four profiles whose ranking by mean appeal is the reverse of their
// ranking by alignment rate (the share of images with the right colour and shape);
// expected values, and in brackets those measured at the default 100 prompts × 4 samples
// with seed 7 (pooled within-generator standard deviation of truth 0.78):
//
//	generator         wrong colour/shape  saturation  contrast   offset     artefact        appeal         aligned
//	appealing-drifty  0.40 / 0.30         0.45–1      0.5–1      0–0.1      0.7·U²          +0.65 (+0.64)  0.42 (0.44)
//	balanced          0.12 / 0.08         0.2–1       0.35–1     0–0.2      U²               0.00 (−0.01)  0.81 (0.84)
//	artefacty         0.03 / 0.02         0.2–1       0.35–1     0–0.2      0.2 + 0.8·U     −0.29 (−0.33)  0.95 (0.95)
//	aligned-bland     0.01 / 0.01         0.2–0.6     0.35–0.75  0.06–0.2   U²              −0.84 (−0.85)  0.98 (0.98)
//
// On that gallery the demo's trained Social Reward model ranks them by appeal and the
// CLIPScore demo model by alignment (see the package tests for the measured directions
// of the pixel features).
package simworld
