// Package results is the schema of a run directory: results.json (Results:
// every number of a run, its settings and provenance) and samples.jsonl
// (one Sample per pair with each scorer's two scores), with their readers
// and writer. Everything downstream of scoring — statistics (bench.Analyze),
// the CI gate (check), ablations and the renderers (report) — reads and
// writes these types, so a report can be redone and a run gated without
// rescoring. The fields are documented in docs/results-schema.md.
package results
