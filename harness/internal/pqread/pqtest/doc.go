// Package pqtest writes parquet files for the tests of srbench's parquet
// readers (pqread and the loaders built on it).
package pqtest
