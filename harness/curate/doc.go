// Package curate turns the engagement log of a creative community into preference
// triplets (prompt, positive image, negative image) for Social Reward training, with
// controls for the biases that make raw remix counts a poor label.
//
// Social Reward (Picsart, ICLR 2024) learns from implicit feedback: which generated
// images the community remixes. Raw counts are confounded by how long an image has been
// online, by its author's follower base and by the prompt's popularity; the paper
// controls for these but does not publish its thresholds. This package makes every
// control a named option (Options), records the options in the output, and counts what
// each control removed (Funnel). docs/social-data.md describes the formats and the
// controls in full.
//
// # Engagement log
//
// One row per image (LogRow), JSON Lines (.jsonl) or parquet (.parquet): image_id,
// image_path (relative to the log's directory), prompt, prompt_id (optional: defaults to
// PromptHash(prompt)), author_id, author_followers, created_at and observed_at (RFC 3339;
// parquet may also use INT64 TIMESTAMP columns), views (optional), remixes and
// creator_remixes (optional, a subset of remixes). OpenLog streams and validates a log
// (parquet through harness/internal/pqread, the parquet layer the dataset loaders share;
// both encodings go through one validator); CreateLog and WriteLog write one.
//
// Bad input: a row with a missing or mistyped field, a negative count, an image path that
// is absolute or leaves the log's directory, observed_at before created_at,
// creator_remixes above remixes, a duplicate image_id, or a prompt_id with two prompt
// texts is an error naming file, line (or parquet row) and field — or, with
// ReadOptions.Lenient (Options.Lenient for Run), a skipped row counted by reason.
// Unknown fields are ignored and counted (a warning). An image file that is missing or
// cannot be decoded is not an error: Curate drops it and counts it in the funnel's
// "image_unreadable" stage, with the first few cases as examples naming file:line.
// Images are decoded, for DHash, by imageproc (the pixels Pillow gives, JPEG, PNG, GIF or
// WebP), so files over its default limits (64 MiB, 50 megapixels) count as unreadable.
//
// # Controls, in funnel order
//
//   - pairs only within one prompt (prompt bias; always on);
//   - image_unreadable: images that cannot be read (always);
//   - no_views (exposure "per_view" only): images without views;
//   - min_exposure: images online for less than min_exposure_days;
//   - near_duplicates: within a prompt, an image whose DHash is within dedup_hamming
//     bits of an earlier-posted kept image (re-posts split engagement; pairs of
//     duplicates are noise);
//   - rates: (remixes + smoothing) / exposure, exposure in days (floored at one hour) or
//     views ("auto" uses views when every image has them), or 1 with exposure "none";
//   - follower control: "normalize" divides the rate by (1+followers)^b, b fitted from
//     the log by within-prompt least squares of log rate on log(1+followers) unless
//     given; "bands" pairs only authors whose log10(1+followers) fall in the same band;
//   - creator_signal: "veto" drops pairs whose negative was remixed by top creators and
//     whose positive was not; "promote" makes a creator-remixed image the positive
//     against one that was not, whatever the rates (such pairs skip the next three
//     stages);
//   - ties: pairs of equal rates;
//   - min_counts: positives with fewer than min_pos_remixes remixes, negatives with
//     fewer than min_neg_remixes;
//   - min_ratio: pairs whose rate ratio is below min_ratio;
//   - per_prompt_cap: at most max_pairs_per_prompt pairs per prompt (a seeded random
//     sample, or the strongest);
//   - split by prompt into train/validation/test (seeded shuffle of the prompts that
//     have pairs; no prompt in two splits).
//
// The zero Options are the "debiased" preset; Options{Preset: "raw"} switches every bias
// control off (the higher raw remix count wins) for comparison. Run writes the Social
// Reward parquet files (exactly prompt, pos_path, neg_path), pairs-jsonl files, the
// curated images (hard links), funnel.json and metadata.json.
package curate
