// Package bench runs pairwise-accuracy benchmarks: it streams pairs from a
// dataset, scores both images of every pair with each scorer plugin, writes
// samples.jsonl and results.json into a run directory, and summarises.
//
// The runner knows nothing of how scorers work (they are plugins behind
// harness/scorer) nor of dataset formats (harness/dataset). Memory is
// bounded by the chunk size, not by the number of pairs.
package bench
