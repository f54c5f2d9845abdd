package main

import (
	"bufio"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/srbench/srbench/harness/imageproc"
	"github.com/srbench/srbench/harness/modeldir"
	"github.com/srbench/srbench/harness/modeltok"
	"github.com/srbench/srbench/harness/tokenize"
)

func newInspectCmd(_ *globalFlags) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "inspect",
		Short: "Show exactly what a model is fed (for comparing with a Python reference)",
	}
	cmd.AddCommand(newInspectTokensCmd(), newInspectPixelsCmd())
	return cmd
}

func newInspectTokensCmd() *cobra.Command {
	var path string
	var maxLen int
	cmd := &cobra.Command{
		Use:   "tokens",
		Short: `Tokenize JSON lines {"text": ...} from stdin into {"text","ids","attention_mask"}`,
		Long: `Reads JSON lines {"text": ...} on stdin and writes JSON lines
{"text", "ids", "attention_mask"} on stdout. --tokenizer is an OpenAI
bpe_simple_vocab_16e6.txt.gz (clip.tokenize semantics, length 77), a Hugging Face
tokenizer.json (its own padding and truncation), or a directory.

A model directory (one with srbench.yaml) is tokenized exactly as its kind's scorer
does: the tokenizer file srbench.yaml names, else the kind's default; for imagereward
ImageReward's set-up ([DEC] and [ENC] added as special tokens, length 35), for
clipscore, pickscore and socialreward the CLIP set-up. --max-length cannot change
that length. A directory without srbench.yaml gives its tokenizer.json, else its
*.txt.gz or *.txt vocabulary, loaded as a file would be.`,
		Example: `  echo '{"text":"a photo of a cat"}' | srbench inspect tokens --tokenizer bpe_simple_vocab_16e6.txt.gz
  echo '{"text":"a [DEC] cat"}' | srbench inspect tokens --tokenizer demo-out/models/imagereward`,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if path == "" {
				return fmt.Errorf("--tokenizer is required")
			}
			tok, err := loadInspectTokenizer(cmd, path, maxLen)
			if err != nil {
				return err
			}
			in := bufio.NewScanner(cmd.InOrStdin())
			in.Buffer(make([]byte, 1<<20), 64<<20)
			out := bufio.NewWriter(cmd.OutOrStdout())
			defer out.Flush()
			enc := json.NewEncoder(out)
			enc.SetEscapeHTML(false)
			line := 0
			for in.Scan() {
				line++
				if strings.TrimSpace(in.Text()) == "" {
					continue
				}
				var row struct {
					Text *string `json:"text"`
				}
				if err := json.Unmarshal(in.Bytes(), &row); err != nil {
					return fmt.Errorf("stdin: line %d: %w", line, err)
				}
				if row.Text == nil {
					return fmt.Errorf("stdin: line %d: field \"text\" is missing", line)
				}
				e, err := tok.Encode(*row.Text)
				if err != nil {
					return fmt.Errorf("stdin: line %d: %w", line, err)
				}
				if err := enc.Encode(map[string]any{"text": *row.Text, "ids": e.IDs, "attention_mask": e.AttentionMask}); err != nil {
					return err
				}
			}
			if err := in.Err(); err != nil {
				return fmt.Errorf("stdin: line %d: %w", line+1, err)
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&path, "tokenizer", "", "bpe_simple_vocab_16e6.txt.gz, tokenizer.json, or a model directory (tokenized as its kind's scorer does)")
	cmd.Flags().IntVar(&maxLen, "max-length", 0, "sequence length (default: 77 for OpenAI; the tokenizer.json's own; fixed for a model directory)")
	return cmd
}

// loadInspectTokenizer loads --tokenizer: a model directory (with srbench.yaml)
// through its kind's set-up (modeltok, the code the plugins use), anything else
// through tokenize.Load with --max-length. It says on stderr which set-up a
// model directory got.
func loadInspectTokenizer(cmd *cobra.Command, path string, maxLen int) (tokenize.Tokenizer, error) {
	if st, err := os.Stat(path); err == nil && st.IsDir() {
		if _, err := os.Stat(filepath.Join(path, modeldir.ManifestName)); err == nil {
			dir, err := modeldir.LoadManifest(path, "")
			if err != nil {
				return nil, err
			}
			tok, err := modeltok.ForDir(dir)
			if err != nil {
				return nil, err
			}
			if maxLen != 0 && maxLen != tok.MaxLength() {
				return nil, fmt.Errorf("flag --max-length %d: model directory %s (kind %s) is tokenized to length %d, as its scorer does; drop --max-length, or pass the tokenizer file itself", maxLen, dir.Path, dir.Manifest.Kind, tok.MaxLength())
			}
			fmt.Fprintf(cmd.ErrOrStderr(), "tokenizer of kind %s: %s\n", dir.Manifest.Kind, tok.Description)
			return tok.Tokenizer, nil
		}
	}
	return tokenize.Load(path, tokenize.Options{MaxLength: maxLen})
}

func newInspectPixelsCmd() *cobra.Command {
	var image, pipeline, out string
	var maxPixels int64
	cmd := &cobra.Command{
		Use:   "pixels",
		Short: "Write an image's model input as raw little-endian float32, CHW",
		Long: `Decodes --image, preprocesses it with --pipeline (openai: the torchvision transform of
OpenAI CLIP; hf: transformers' CLIPImageProcessor; or a preprocessor_config.json) and
writes the tensor to --out as raw little-endian float32 in CHW order, no header.`,
		Example: `  srbench inspect pixels --image cat.jpg --pipeline openai --out cat.f32`,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if image == "" || out == "" {
				return fmt.Errorf("--image and --out are required")
			}
			var p imageproc.Pipeline
			var err error
			if strings.HasSuffix(pipeline, ".json") {
				p, err = imageproc.LoadPreprocessorConfig(pipeline)
			} else {
				p, err = imageproc.NewPipeline(pipeline)
			}
			if err != nil {
				return err
			}
			x, info, err := imageproc.PreprocessFile(image, p, imageproc.DecodeOptions{MaxPixels: maxPixels})
			if err != nil {
				return err
			}
			b := make([]byte, 4*len(x))
			for i, v := range x {
				binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(v))
			}
			if err := os.WriteFile(out, b, 0o644); err != nil {
				return err
			}
			w, h := p.OutputSize(info.W, info.H)
			fmt.Fprintf(cmd.ErrOrStderr(), "%s: %s %s %dx%d (orientation tag %d, not applied) -> %s: 3x%dx%d float32 (%s)\n",
				image, info.Format, info.Mode, info.W, info.H, info.Orientation, out, h, w, p.Describe())
			return nil
		},
	}
	cmd.Flags().StringVar(&image, "image", "", "image file (JPEG, PNG, WebP, GIF)")
	cmd.Flags().StringVar(&pipeline, "pipeline", "openai", "openai, hf, or a preprocessor_config.json")
	cmd.Flags().StringVar(&out, "out", "", "output file (.f32)")
	cmd.Flags().Int64Var(&maxPixels, "max-pixels", 0, "refuse images larger than this (default 50 megapixels)")
	return cmd
}
