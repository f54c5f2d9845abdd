// Package colorfulness holds the Go integration test of the colorfulness
// scorer plugin, which is written in Python (colorfulness.py, __main__.py):
// the worked example of the srbench Python SDK (harness/scorer/python,
// docs/python-plugins.md). `make build` packs it with the SDK into the
// executable zipapp bin/plugins/colorfulness.
//
// The scorer computes Hasler and Süsstrunk's (2003) colourfulness metric
// M = sqrt(σ_rg² + σ_yb²) + 0.3·sqrt(μ_rg² + μ_yb²) of the RGB image
// (rg = R−G, yb = (R+G)/2 − B); it ignores the prompt.
package colorfulness
