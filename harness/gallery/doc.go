// Package gallery reads generator galleries: images from several text-to-image
// generators for the same prompts, streamed one Image at a time and validated, for
// ranking generators with reward models.
//
// # Formats
//
// A manifest (Manifest, "gallery-jsonl") is a JSONL file, one image per line:
//
//	{"prompt": "a red fox", "generator": "sdxl", "image": "sdxl/fox/0.png", "seed": 7, "prompt_id": "fox", "truth": 0.7}
//
// Required: prompt, generator and image (non-empty strings). Optional: seed (an
// integer that fits in an int64), prompt_id (a non-empty string or an integer, kept
// as written; default: the prompt text itself) and truth (a finite number, a held-out
// ground-truth or human label of that image; absent gives NaN) and meta (any JSON value:
// free-form metadata of the image, e.g. how it was made, accepted and not read). null counts as absent
// for optional fields and as missing for required ones. As in harness/dataset's
// pairs-jsonl, unknown fields are ignored and counted in Stats.UnknownFields
// (Stats.Warnings names them with a "did you mean"), blank lines are ignored and
// counted, and a UTF-8 byte order mark and CRLF line ends are accepted. Lines are
// numbered from 1. Image.Sample is the order of appearance (from 0) within the
// (prompt_id, generator) cell.
//
// A directory (Directory, "gallery-dir") is laid out as
//
//	ROOT/prompts.jsonl                      {"id": "fox", "prompt": "a red fox"} per line
//	ROOT/<generator>/<prompt id>/<n>.<ext>  ext png, jpg, jpeg or webp (any case)
//
// where n is a non-negative decimal integer, the Image.Sample. In prompts.jsonl, id
// (a string or an integer) and prompt are required, an id must be usable as a
// directory name (no '/', '\', NUL, not starting with '.') and may appear once.
// Images stream in sorted generator, then sorted prompt id (byte order), then numeric
// sample order. Hidden and system entries (names starting with '.', such as .DS_Store
// or .git, Thumbs.db, desktop.ini) are skipped anywhere, and regular files in ROOT
// other than prompts.jsonl (a README) are skipped; both are counted in Stats.Skipped
// by reason (SkipHidden, SkipRootFile), never silently dropped. Everything else that
// does not fit is an error naming the path: a file where a prompt directory belongs,
// a prompt directory whose id is not in prompts.jsonl (with a "did you mean"), a
// directory inside a prompt directory, another extension, a name that is not an
// integer, and two files with the same sample number ("1.png" and "01.jpg"). A
// directory gallery has no seeds and no truth.
//
// Detect tells the two apart: a directory is Directory (it must contain
// prompts.jsonl), a file starting with '{' is Manifest.
//
// # Image paths
//
// Manifest image paths follow harness/dataset's rules with the manifest's directory
// as the images root: relative, '/'-separated, and inside the root after lexical
// cleaning ("a/../b.png" is accepted; absolute paths, "../b.png" and paths with a NUL
// are errors). Image.Name is the path as written and Image.Path the cleaned absolute
// path. With Options.CheckImages every image is checked with dataset.ImageLimits
// (exists, regular file, not too large, not resolving outside the root through a
// symbolic link); directory images are always checked so.
//
// # Validation
//
// The first problem ends the stream with a *dataset.RowError naming the file, the
// position ("line 12" in a manifest or prompts.jsonl, "directory entry" for a path in
// a directory) and the field, with what was found and what was expected: a missing or
// empty prompt, generator or image; a seed that is not an integer; a truth that is
// not a finite number (1e999); a prompt_id used with two different prompt texts; the
// same image path (after cleaning) twice in one (prompt_id, generator) cell, which
// would count one image as two samples. The same file in different cells is not
// checked.
//
// # Summary
//
// Some problems are not errors but make a ranking unfair, so Stats.Summary counts
// them after a successful stream: prompts lacking a generator (per generator),
// prompts where the generators that are present have unequal numbers of samples, and
// prompts without any image. Summary.Lines and Stats.Warnings print them, e.g.
// `3 prompts lack generator "sdxl" (of 500)`.
//
// # Memory
//
// Images are never held: a manifest is read a line at a time, a directory one prompt
// directory listing at a time. Validation and the Summary keep, per prompt id, its
// text and one small counter per generator (the prompt table of a directory gallery
// is loaded whole), and, for manifests, 16 bytes per image (a 64-bit FNV-1a hash of
// its cleaned path and its line) to detect duplicates within a cell. Downstream
// analysis groups scores by prompt anyway, so this state is of the same order as what
// any ranking needs.
//
// # Identity
//
// Hash fingerprints a gallery for provenance: the manifest's bytes, or for a
// directory prompts.jsonl and the listing of image files (exactly as documented on
// Hash); image content is not covered.
package gallery
