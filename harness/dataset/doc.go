// Package dataset is srbench's set of streaming loaders for pairwise preference
// benchmarks: it reads a dataset file in one of five formats and returns a validated
// stream of Pairs (a prompt, two images, a label), one at a time.
//
// # Formats
//
// pairs-jsonl is srbench's own format, one JSON object per line:
//
//	{"prompt": "a red fox", "image_a": "img/1.png", "image_b": "img/2.png", "label": "a"}
//
// Required: prompt, image_a, image_b (non-empty strings) and label ("a", "b" or "tie",
// exactly). Optional: prompt_id and id (a non-empty string or an integer), weight (a
// number >= 0, default 1), strength (a number, default NaN). null counts as absent for
// optional fields and as missing for required ones. Unknown fields are ignored and
// counted in Stats.UnknownFields. Blank lines are ignored (and counted); a UTF-8 byte
// order mark and CRLF line ends are accepted. A line that is not valid JSON, not an
// object, lacks a required field, or has a bad value is malformed (see "Errors").
// Lines are numbered from 1.
//
// socialreward-parquet is the official Social Reward training/validation format:
// columns prompt, pos_path and neg_path (string, large_string or binary). Each row is
// one pair with A = pos_path, B = neg_path and label "a", because the official
// validate.py counts a triplet as correct when score(pos) >= score(neg). Optional
// columns prompt_id, id (string or integer), weight and strength (numeric) are used
// when present; other columns are ignored. Rows are numbered from 0 across row groups
// (the index pandas and pyarrow show).
//
// pickapic-parquet is Pick-a-Pic v2 (one parquet file of a split, e.g. test_unique):
// caption, jpg_0 and jpg_1 (image bytes: a binary column, or a struct with a binary
// "bytes" field as the Hugging Face Image feature writes), label_0 and label_1
// (numeric). (label_0, label_1) = (1, 0) gives label "a", (0, 1) "b", (0.5, 0.5) "tie";
// any other combination, or a null, is malformed. The images travel as ImageRef.Bytes,
// named "jpg_0@row N". When a has_label column exists, rows where it is false or null
// are filtered (counted in Stats.Filtered, not errors). ranking_id, when present, is
// the pair's ID. PromptID is PromptHash(caption): Pick-a-Pic groups comparisons by
// caption (test_unique keeps one comparison per caption), and ranking_id identifies a
// comparison, not a prompt. Other columns (best_image_uid, image_0_uid, user_id,
// are_different, ...) are ignored; are_different = false rows are kept.
//
// hpdv2-json is the HPDv2 test set: a JSON array of {"prompt", "image_path": [...],
// "rank": [...]}. imagereward-json is ImageReward's data/test.json: a JSON array of
// {"id", "prompt", "generations": [...], "ranking": [...]}. Both are ranking formats:
// each element (numbered from 0, with its line in messages) with n images gives all
// C(n,2) pairs (i, j), i < j, in lexicographic order, A = image i, B = image j. Lower
// rank is better (rank 1 is the best image, as in both papers' evaluation code): rank[i]
// < rank[j] gives "a", rank[i] > rank[j] gives "b", equal ranks give "tie". The id field,
// when present, is the PromptID and pairs get ID "<id>/<i>-<j>"; without it the
// PromptID is PromptHash(prompt) and the ID "e<element>/<i>-<j>". An element with fewer
// than 2 images, a rank list whose length differs from the image list, or a non-numeric
// rank is malformed. The array is decoded element by element (encoding/json Token/More),
// never loaded whole.
//
// # Ties and how peers count them
//
// The loader only reports ties; what a tie is worth is the statistics' business
// (harness/stats). For reference: ImageReward's test.py and HPSv2's evaluation on the
// ImageReward test set skip tied human labels; HPSv2 on HPDv2 counts them as correct;
// PickScore's evaluation gives a 0.5/0.5 label half credit. Social Reward data has no
// ties: every row is "a".
//
// # Detection
//
// With Spec.Format empty, Detect looks at the content, not the file name: parquet
// magic, then the schema's column names; text starting with '{' is pairs-jsonl; a JSON
// array is told apart by the field names of its first element. An empty file, an
// empty array or an ambiguous schema is an error listing the formats.
//
// ParseFormat accepts the canonical names and short aliases: pairs or jsonl
// (pairs-jsonl), socialreward, pickapic, hpdv2 and imagereward; case, spaces and the
// separators '-', '_' and '.' are ignored ("HPDv2_json" is hpdv2-json). It always returns the
// canonical Format, which is what results record. "json" and "parquet" are refused as
// ambiguous; other unknown names get the nearest format as a suggestion.
//
// # Image paths and confinement
//
// Image paths are relative to the images root (Spec.Images, default the dataset
// file's directory), with '/' as separator. A path is refused, making its record
// malformed, when it is empty, contains a NUL byte, is absolute (or has a volume name),
// or leaves the root after lexical cleaning (filepath.IsLocal: "a/../b.png" is
// accepted, "../b.png" and "a/../../b.png" are not). ImageRef.Path is the cleaned
// absolute path under the root. The check is lexical: a symlink inside the root that
// points outside is only caught with Spec.CheckImages, which also stats each file
// (missing, not a regular file, or resolving outside the root through symlinks is
// malformed). Without CheckImages the loader never touches image files; the scorer
// reports unreadable images per item.
//
// # Errors and lenient mode
//
// A malformed record is a *RowError naming the file, the position ("line 12",
// "row 7", "element 3 (line 40)") and the field, with what was found and what was
// expected. In strict mode (the default) Next returns it and the stream ends there. With
// Spec.Lenient the record is skipped, counted in Stats.Skipped and Stats.SkipReasons,
// and its message kept among Stats.Examples (the first MaxExamples); nothing is dropped
// silently. Errors that leave the file unreadable past a point (I/O errors, a JSON
// syntax error inside a ranking array, a corrupt parquet page) end the stream in both
// modes, as does a JSONL line longer than 16 MiB.
//
// # Streaming guarantees
//
// Pairs come in file order (and (i, j) order within a ranking element), so Pair.Index
// (the ordinal among the pairs returned; skipped and filtered records take none) and
// the derived IDs are the same on every run over the same file with the same Spec; Hash
// fingerprints the file for reports. Memory does not grow with the number of pairs: JSONL is read a
// line at a time, JSON arrays an element at a time, parquet a small batch of rows at a
// time within one row group (through harness/internal/pqread, the parquet layer that
// curate's engagement logs share). What Stats keeps is bounded (MaxExamples messages,
// MaxUnknownFieldNames names). The loader does not check that IDs are unique, since
// that would take memory proportional to the file.
package dataset
