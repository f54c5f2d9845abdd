package tokenize_test

import (
	"fmt"
	"log"

	"github.com/srbench/srbench/harness/tokenize"
)

// Loading OpenAI's vocabulary gives clip.tokenize semantics: start token,
// BPE ids, end token, zeros. The ids are those of the golden file
// (shared/golden/clip_tokens.jsonl).
func ExampleLoad() {
	tk, err := tokenize.Load("../../../shared/data/clip/bpe_simple_vocab_16e6.txt.gz", tokenize.Options{})
	if err != nil {
		log.Fatal(err)
	}
	e, err := tk.Encode("A photo of an astronaut riding a horse on Mars")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(tk.MaxLength(), e.NTokensUntruncated, e.Truncated)
	fmt.Println(e.IDs[:13])
	fmt.Println(e.AttentionMask[:13])
	// Output:
	// 77 12 false
	// [49406 320 1125 539 550 18376 6765 320 4558 525 7496 49407 0]
	// [1 1 1 1 1 1 1 1 1 1 1 1 0]
}

// ImageReward's BERT set-up: literal special tokens in the prompt keep
// their ids, padding to 35 with [PAD] = 0. The ids are those of the golden
// file (shared/golden/bert_tokens.jsonl).
func ExampleLoadImageRewardBERT() {
	tk, err := tokenize.LoadImageRewardBERT("../../../shared/data/bert/bert-base-uncased.tokenizer.json")
	if err != nil {
		log.Fatal(err)
	}
	e, err := tk.Encode("a [MASK] sitting on a [SEP] mat")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(e.IDs[:10])
	// Output:
	// [101 1037 103 3564 2006 1037 102 13523 102 0]
}

// EncodeBatch lays a batch out row-major for ONNX Runtime's
// [batch, sequence] int64 inputs.
func ExampleEncodeBatch() {
	tk, err := tokenize.LoadImageRewardBERT("../../../shared/data/bert/bert-base-uncased.tokenizer.json")
	if err != nil {
		log.Fatal(err)
	}
	b, err := tokenize.EncodeBatch(tk, []string{"a cat", "a dog"})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(b.Size, b.SeqLen, len(b.IDs), b.IDs[:4], b.IDs[35:39])
	// Output:
	// 2 35 70 [101 1037 4937 102] [101 1037 3899 102]
}
