// Package modeltok builds the tokenizer a scorer kind feeds its model, from a
// model directory: which file it reads (srbench.yaml strings.tokenizer, else
// the kind's default files) and with which set-up (ImageReward's BERT with
// its added [DEC] and [ENC] tokens and length 35; CLIP's BPE with the file's
// own semantics).
//
// It is the one place that set-up lives: the scorer plugins (through
// harness/dualenc for the CLIP kinds) and `srbench inspect tokens` both call
// it, so what inspect shows for a model directory is exactly what the plugin
// feeds the model. The harness must not import plugins, and plugins may import
// the harness, hence this package.
package modeltok
