// Package extsort is an external merge sort for fixed-size records: it sorts
// more records than should be held in memory by sorting runs of bounded
// length in memory, spilling each to one anonymous temporary file, and
// merging the runs with a heap. Memory is O(run length + runs × read buffer),
// independent of the number of records.
//
// It exists because srbench's statistics must stay flat in memory from ten
// thousand to millions of pairs while computing exact order statistics
// (Kendall's tau-b, tie calibration, quantile bins); the merge reports which
// run each record came from, which Kendall's inversion count needs and the
// general-purpose external sorters do not offer.
package extsort
