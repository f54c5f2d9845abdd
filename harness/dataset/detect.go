package dataset

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/srbench/srbench/harness/internal/pqread"
)

// Detect names the format of a dataset file from its content:
//   - a parquet file (magic "PAR1") with columns prompt, pos_path and neg_path is
//     socialreward-parquet; with caption, jpg_0 and jpg_1 it is pickapic-parquet;
//   - text whose first non-space character is '{' is pairs-jsonl;
//   - a JSON array whose first element has "image_path" or "rank" is hpdv2-json, one
//     with "generations" or "ranking" is imagereward-json.
//
// Anything else, including an empty file or an empty array, is an error listing the
// formats, so the caller can name one.
func Detect(path string) (Format, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", fmt.Errorf("dataset: %w", err)
	}
	defer f.Close()
	br := bufio.NewReaderSize(f, 64<<10)
	magic, _ := br.Peek(4)
	if string(magic) == "PAR1" {
		return detectParquet(path, f)
	}
	if bom, _ := br.Peek(3); bytes.Equal(bom, []byte("\xef\xbb\xbf")) {
		_, _ = br.Discard(3)
	}
	for {
		b, err := br.ReadByte()
		if err != nil {
			if errors.Is(err, io.EOF) {
				return "", undetected(path, "the file is empty")
			}
			return "", fmt.Errorf("dataset: file %q: %w", path, err)
		}
		switch b {
		case ' ', '\t', '\r', '\n':
			continue
		case '{':
			return PairsJSONL, nil
		case '[':
			_ = br.UnreadByte()
			return detectArray(path, br)
		}
		return "", undetected(path, fmt.Sprintf("it starts with %q, neither JSON nor parquet", b))
	}
}

func undetected(path, why string) error {
	return fmt.Errorf("dataset: file %q: cannot detect the format (%s); name one of: %s", path, why, FormatNames())
}

func detectArray(path string, r io.Reader) (Format, error) {
	dec := json.NewDecoder(r)
	if _, err := dec.Token(); err != nil {
		return "", undetected(path, err.Error())
	}
	if !dec.More() {
		return "", undetected(path, "the JSON array is empty")
	}
	var first map[string]json.RawMessage
	if err := dec.Decode(&first); err != nil {
		return "", undetected(path, fmt.Sprintf("element 0: %v", err))
	}
	has := func(keys ...string) bool {
		for _, k := range keys {
			if _, ok := first[k]; ok {
				return true
			}
		}
		return false
	}
	hpd, ir := has("image_path", "rank"), has("generations", "ranking")
	switch {
	case hpd && !ir:
		return HPDv2JSON, nil
	case ir && !hpd:
		return ImageRewardJSON, nil
	case hpd && ir:
		return "", undetected(path, "element 0 has fields of both hpdv2-json and imagereward-json")
	}
	return "", undetected(path, "element 0 has neither image_path/rank (hpdv2-json) nor generations/ranking (imagereward-json)")
}

func detectParquet(path string, f *os.File) (Format, error) {
	names, err := pqread.ColumnNames(path, f)
	if err != nil {
		return "", fmt.Errorf("dataset: %w", err)
	}
	cols := map[string]bool{}
	for _, n := range names {
		cols[n] = true
	}
	sr := cols["prompt"] && cols["pos_path"] && cols["neg_path"]
	pap := cols["caption"] && cols["jpg_0"] && cols["jpg_1"]
	switch {
	case sr && !pap:
		return SocialRewardParquet, nil
	case pap && !sr:
		return PickAPicParquet, nil
	case sr && pap:
		return "", undetected(path, "it has the columns of both socialreward-parquet and pickapic-parquet")
	}
	return "", undetected(path, fmt.Sprintf("parquet columns %s match neither socialreward-parquet (prompt, pos_path, neg_path) nor pickapic-parquet (caption, jpg_0, jpg_1, label_0, label_1)", strings.Join(pqread.Quote(names), ", ")))
}
