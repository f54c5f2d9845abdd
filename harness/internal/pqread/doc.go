// Package pqread is srbench's one way of reading parquet files (with
// parquet-go): the dataset loaders (Social Reward triplets, Pick-a-Pic),
// dataset's format detection and curate's engagement logs read through it.
//
// [Open] checks the columns a caller asks for ([Column]: a name, a [Kind]
// and whether it is required) against the file's schema: a required column
// that is missing, a column that is nested or whose physical type the kind
// does not accept is a [*SchemaError], a file that is not parquet at all a
// [*FormatError]. [Reader.Next] then streams the rows a batch at a time,
// row group after row group, so memory follows the batch, not the file; a
// [*ReadError] names the row group and the first row that could not be
// read.
//
// [Row.Value] gives a column's value as a plain Go value: nil for null or
// for an optional column the file lacks, else a string, []byte, int64,
// float64, bool or time.Time by the column's type. The validation of values
// (required, non-empty, in range) and the row errors naming file, row and
// column stay with the caller, which owns its format's rules and its error
// type; the caller may also word the schema errors its own way from the
// error's fields.
package pqread
