// Package report defines srbench's results schema (results.json and
// samples.jsonl) and turns a run directory into reports.
//
// Reports read only results.json and samples.jsonl, so `srbench analyze` and
// `srbench report` can be rerun without rescoring.
package report
