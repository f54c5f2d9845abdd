package dataset_test

import (
	"errors"
	"fmt"
	"io"
	"log"
	"os"
	"path/filepath"

	"github.com/srbench/srbench/harness/dataset"
)

func Example() {
	dir, err := os.MkdirTemp("", "dataset-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "pairs.jsonl")
	data := `{"prompt":"a red fox","image_a":"img/1.png","image_b":"img/2.png","label":"a","prompt_id":"fox"}
{"prompt":"a red fox","image_a":"img/3.png","image_b":"../4.png","label":"b","prompt_id":"fox"}
{"prompt":"a red fox","image_a":"img/3.png","image_b":"img/1.png","label":"tie","prompt_id":"fox","weight":0.5}
`
	if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
		log.Fatal(err)
	}

	src, err := dataset.Open(dataset.Spec{Path: path, Lenient: true})
	if err != nil {
		log.Fatal(err)
	}
	defer src.Close()
	for {
		p, err := src.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			log.Fatal(err)
		}
		fmt.Printf("%d %s %s: %s vs %s -> %s (weight %g)\n", p.Index, p.ID, p.PromptID, p.A.Name, p.B.Name, p.Label, p.Weight)
	}
	st := src.Stats()
	fmt.Printf("rows %d, pairs %d, skipped %d\n", st.Rows, st.Pairs, st.Skipped)
	for _, w := range st.Warnings() {
		fmt.Println(w)
	}
	// Output:
	// 0 L1 fox: img/1.png vs img/2.png -> a (weight 1)
	// 1 L3 fox: img/3.png vs img/1.png -> tie (weight 0.5)
	// rows 3, pairs 2, skipped 1
	// skipped 1 malformed record(s): field "image_b": escapes images root
}
