// Package conformance is the plugin conformance kit: it runs the rules of
// the scorer contract (harness/scorer's doc) against any plugin binary, Go
// or any other language, and reports each rule as PASS, FAIL or SKIP with
// what it saw. `srbench plugins test NAME|PATH` runs it.
//
// The kit launches the plugin through harness/host as srbench does, makes
// its own inputs (PNG and JPEG images from 64x48 to 320x240 drawn from a
// seeded source, and distinct prompts) and checks, in this order:
//
//  1. start: the plugin completes go-plugin's handshake within the start
//     timeout.
//  2. configure-unknown-option: Configure with an option no plugin knows
//     (UnknownOption=1) fails with an error naming the key; Configure with
//     the given model directory and options then succeeds.
//  3. describe: name, version and kind are non-empty; the fingerprint is
//     "sha256:" + 64 lowercase hex digits, or exactly "none"
//     (scorer.NoFingerprint), never ""; protocol_version is
//     scorer.ProtocolVersion; the capabilities include "score".
//  4. one-result-per-item-in-order: 8 items scored one at a time, then all
//     in one batch in a shuffled order (every item moved): the result at
//     each position is the score of the item at that position. Results at
//     the wrong positions fail with which position got whose score. When
//     the batch's scores are not the items' scores alone at all (a scorer
//     that depends on the batch, which batch-size-invariance judges),
//     order is checked against the same items in an in-order batch.
//  5. determinism: the same batch scored twice gives identical scores
//     (bit for bit).
//  6. batch-size-invariance: 32 items at batch 1 and in one batch of 32
//     score the same within |a−b| <= 1e-5·max(1,|a|) (ONNX Runtime's CPU
//     kernels block differently by batch size, so float32 rounding may
//     differ); the largest difference is reported.
//  7. per-item-errors: a batch of good items plus one item with
//     undecodable image bytes and one with a nonexistent absolute path:
//     the call succeeds, the two bad items get a non-empty Result.Err, and
//     the good items score as they do alone.
//  8. path-and-bytes: the same image given as ImagePath and as ImageBytes
//     scores the same.
//  9. concurrent-calls: four Score calls of different batches at once give
//     the same results as the same calls one after another (srbench run
//     keeps two calls in flight).
//  10. shutdown: when the host closes the plugin (go-plugin's shutdown
//     request), the process exits on its own within the deadline, without
//     a SIGKILL, and leaves no process of its process group behind.
//  11. no-warnings: the host's log of the whole run (go-plugin's lines and
//     the plugin's own) has no line at warn or error level, such as
//     "plugin failed to exit gracefully" or "signal: killed".
//
// A plugin may remember what it computed for an image or a prompt (the
// CLIP plugins remember embeddings by content), which would make a second
// look at an item agree with the first whatever batch it came in. So every
// comparison is between first looks: the items of each rule are new to
// the plugin, and the scores of items on their own come from a second,
// reference instance of the plugin.
//
// A rule whose prerequisite failed is SKIPped with the reason: when
// results are out of order, the rules that match results to items
// (batch-size-invariance, per-item-errors) are not judged; when scores
// depend on the batch, per-item-errors does not compare the good items
// with their scores alone.
package conformance
