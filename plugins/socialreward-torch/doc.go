// Package socialreward_torch holds the Go integration test of the
// socialreward-torch plugin, which is written in Python (socialreward_torch/,
// __main__.py): Social Reward (Isajanyan et al., ICLR 2024) scored with a
// PyTorch OpenAI-format CLIP and trained with the paper's recipe — the last
// 3 vision and 2 text transformer blocks fine-tuned with a triplet loss
// (margin 0.3) and AdamW — exporting an ONNX model directory that srbench's
// Go socialreward plugin scores. docs/training.md describes the trainer.
//
// The test (torch_test.go) trains a small random-weight CLIP on CPU through
// the plugin's command line and checks that the exported directory scores,
// through harness/dualenc as the socialreward plugin does, within 1e-4 of
// the trainer's own PyTorch scores. The Python unit tests run with
// `/usr/bin/python3 -m unittest discover plugins/socialreward-torch/tests`.
package socialreward_torch
