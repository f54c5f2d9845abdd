// Package jsonfield reads typed fields out of JSON records for srbench's loaders
// (harness/dataset and harness/gallery): it decodes one object into its raw fields,
// checks each field's type and value, and reports a malformed field as a Problem that
// the caller turns into an error naming the file and position. It also reads JSONL
// files line by line with a bound on line length.
package jsonfield
