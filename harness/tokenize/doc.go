// Package tokenize is srbench's text tokenizers: CLIP's byte-level BPE
// (from OpenAI's vocabulary file or a Hugging Face tokenizer.json) and
// BERT's WordPiece (from a tokenizer.json), reproducing the reference
// Python implementations id for id.
//
// # Using it
//
// Load picks the tokenizer from the file: an OpenAI vocabulary
// (bpe_simple_vocab_16e6.txt.gz, or plain .txt) gives a *CLIP with OpenAI
// semantics; a tokenizer.json gives a *CLIP with Hugging Face semantics
// when model.type is "BPE" and a *BERT when it is "WordPiece"; a model
// directory gives its tokenizer.json, else its vocabulary file.
// LoadImageRewardBERT reproduces ImageReward's exact set-up. Every
// Tokenizer returns fixed-length rows (Encoding) of MaxLength ids with an
// attention mask; EncodeBatch lays rows out as the flat [batch, length]
// int64 tensors ONNX Runtime takes. Tokenizers are safe for concurrent use.
//
// # OpenAI semantics (OpenAI vocabulary file)
//
// Encode behaves like clip.tokenize(text, context_length=77, truncate=True)
// with openai/CLIP's simple_tokenizer.py:
//
//  1. ftfy.fix_text is replaced by NFC normalisation (the golden texts avoid
//     everything else ftfy would change);
//  2. html.unescape twice, with Python's rules: all HTML5 named references,
//     the legacy names valid without ';' and the longest legacy prefix
//     ("&notit;" is "¬it;"), numeric references with Windows-1252
//     remapping of 0x80-0x9F, U+FFFD for 0, surrogates and values beyond
//     U+10FFFF, and removal of the code points Python deems invalid;
//  3. str.strip(), every run of \s (Unicode White_Space, as in the regex
//     module) to one space, str.strip() again (str.strip also removes
//     U+001C..U+001F, which \s does not match);
//  4. str.lower(): full case mapping ("İ" becomes "i̇") and Python's
//     final-sigma rule;
//  5. the split pattern
//     <\|startoftext\|>|<\|endoftext\|>|'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+
//     (leftmost, first alternative wins, IGNORECASE for the literals so
//     "'ſ" is a contraction); the exact texts "<|startoftext|>" and
//     "<|endoftext|>" map to the special ids;
//  6. byte-level BPE of each piece with "</w>" on its last symbol, merging
//     the lowest-ranked pair everywhere, left to right, until none applies;
//  7. [49406] + ids + [49407], cut to 77 with the last id forced to 49407,
//     zero-padded.
//
// The attention mask (which OpenAI's code does not produce) is 1 up to the
// end token, for models exported with an attention_mask input.
//
// # Hugging Face semantics (tokenizer.json)
//
// CLIPTokenizerFast runs the pipeline stored in the file. For CLIP that is
// NFC, \s+ to one space, per-character lowercase (Rust's char::to_lowercase:
// no final sigma), the added tokens <|startoftext|>/<|endoftext|> matched in
// the normalised text, the split pattern above without the special
// alternatives and without IGNORECASE, the same BPE, then
// [start] + ids[:max_length-2] + [end] and padding with the pad token. So
// beyond padding and mask, the two semantics differ on purpose in text
// cleaning: Hugging Face does not unescape HTML entities, does not apply
// final sigma, and treats "'ſ" differently. The pad token is Options.PadToken,
// else the padding section of tokenizer.json, else pad_token of a
// tokenizer_config.json or special_tokens_map.json beside the file (as
// AutoTokenizer reads it; openai/clip-* name "<|endoftext|>"), else the end
// token. Padding never changes CLIP's text embedding (causal attention,
// pooling at the end token), but it does change the ids.
// OpenAIVocabToTokenizerJSON writes the tokenizer.json that transformers'
// CLIPConverter makes from an OpenAI vocabulary.
//
// Only the components CLIP and BERT tokenizers use are implemented;
// anything else in a tokenizer.json (another split pattern, a GPT-2 style
// ByteLevel regex, BPE dropout, left truncation, single_word added
// tokens, other normalizers) is an error naming the field, never a silent
// approximation.
//
// # BERT WordPiece (tokenizer.json)
//
// Added tokens with "normalized": false ([PAD] [UNK] [CLS] [SEP] [MASK],
// and ImageReward's [DEC]=30522 and [ENC]=30523) are split out of the raw
// text first, leftmost-longest and case-sensitively, and keep their ids.
// The rest goes through BertNormalizer (drop NUL, U+FFFD and Cc/Cf/Co
// characters except tab, LF and CR; whitespace to ' '; spaces around CJK
// ideographs; NFD and removal of Mn when strip_accents, or lowercase if it
// is null; per-character lowercase), BertPreTokenizer (split on whitespace,
// isolate punctuation: ASCII 33-47, 58-64, 91-96, 123-126 and Unicode P),
// and WordPiece (greedy longest match with "##" continuations; a word of
// more than max_input_chars_per_word characters, or with an unmatchable
// remainder, is [UNK]). Then [CLS] + ids[:max_length-2] + [SEP], padded
// with [PAD]. Hugging Face takes general categories from a Unicode 9.0
// table, so only characters assigned in Unicode 9.0 count as punctuation,
// controls or nonspacing marks here.
//
// # Lengths
//
// Options.MaxLength sets the row length; 0 means 77 for an OpenAI
// vocabulary, and for a tokenizer.json its truncation max_length, else its
// fixed padding length, else 77 (BPE) or 512 (WordPiece).
// LoadImageRewardBERT uses 35. NTokensUntruncated counts the special
// tokens too, so a row is truncated exactly when it exceeds MaxLength;
// texts of any length are tokenized in full to count them (11,000
// characters take about half a millisecond).
//
// # Invalid input
//
// Python only ever tokenizes decoded str, so invalid UTF-8 has no reference
// behaviour; Encode returns an error wrapping ErrInvalidUTF8 that names the
// byte offset rather than guessing a repair.
//
// # Unicode versions
//
// Character properties come from Go's tables (Unicode 15.0). The Python
// references used Unicode 14 (testdata) or whatever their `regex` module
// shipped; Hugging Face tokenizers' BERT categories are Unicode 9.0 (see
// above). Texts using characters assigned after Unicode 14 may therefore
// differ from a given Python installation.
package tokenize
