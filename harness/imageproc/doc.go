// Package imageproc is srbench's image front end: it decodes image files and
// turns them into the CLIP-style float32 tensors reward models take, with the
// pixels the Python reference implementations (Pillow 9.4.0, torchvision,
// transformers) produce for the same file.
//
// # Why exactness matters
//
// Reward-model scores move with the input tensor, and published numbers were
// made with Pillow. A "close" bicubic resize (golang.org/x/image/draw's
// CatmullRom differs from Pillow's BICUBIC by up to 28 levels) or a decoder
// with a different IDCT or chroma upsampling shifts scores enough to change
// pairwise rankings. This package therefore reproduces Pillow operation by
// operation instead of approximating it, and is tested against Pillow's own
// outputs (testdata/make_resize_fixtures.py, and the golden tensors in
// shared/golden/images).
//
// # Decoding
//
// Decode and DecodeFile return an Image in the file's own PIL mode (L, LA,
// RGB, RGBA, P, CMYK or I) with the pixels Pillow 9.4.0's Image.open gives
// with libjpeg-turbo 2.1.5 (ISLOW IDCT, fancy upsampling) and libwebp 1.2.4.
// EXIF orientation is reported in Info and never applied, as PIL does not
// apply it. DecodeOptions.MaxPixels bounds the pixel count before any pixel
// memory is allocated (DefaultMaxPixels when zero).
//
// # Resizing and conversion
//
// Resize is Pillow's Image.resize: the separable two-pass convolution of
// Resample.c (horizontal pass first, support scaled when downscaling,
// 22-bit fixed-point coefficients and rounding to 8 bits between the passes
// for 8-bit modes; double coefficients and ROUND_UP to int32 for mode I),
// nearest neighbour for palette images whatever filter is asked (with
// Pillow's accumulated source positions), and premultiplied alpha for RGBA
// and LA (so fully transparent pixels come back black). All six PIL filters
// are implemented. ToRGB is convert("RGB"): alpha dropped keeping the stored
// colour, palette lookup ignoring transparency, CMYK through MULDIV255, and
// mode I clipped (not scaled) to 0..255. ToL is convert("L"): Luma, Pillow's
// fixed-point ITU-R 601-2 luma, of what ToRGB gives. ResizeF is Image.resize
// of a mode F (float32 gray) image, given as a plain slice: double
// coefficients and sums, stored as float32 after each pass; curate's
// difference hash resizes convert("F") of convert("L") with it. Crop is
// PIL's crop with zero fill.
//
// # The two pipelines
//
// A Pipeline turns an Image into a CHW float32 tensor [3, N, N]. The two
// named ones share the CLIP constants (224, mean 0.48145466, 0.4578275,
// 0.40821073, std 0.26862954, 0.26130258, 0.27577711) but not their order
// of operations, and both orders are in use:
//
//   - "openai" (ConventionOpenAI) is torchvision's transform used by OpenAI
//     CLIP, Social Reward, ImageReward and CLIPScore: Resize(224, BICUBIC)
//     of Image.open(f) as it is — in the file's own mode, so palette images
//     are resized with nearest neighbour, RGBA premultiplied, 16-bit gray
//     at 32 bits — then CenterCrop(224) at int(round((h-224)/2)) with
//     Python's round half to even, convert("RGB") last, x/255 and
//     (x-mean)/std in float32.
//   - "hf" (ConventionHF) is transformers' PIL-based CLIPImageProcessor:
//     convert("RGB") first, the same resize (now always bicubic on RGB),
//     crop at (h-224)//2, x*(1/255) in float64 cast to float32, then
//     (x-mean)/std in float32.
//
// For RGB and L files whose crop offsets agree the two are bit-identical;
// otherwise they differ by a pixel of crop offset, and for RGBA, P and I
// files by up to 255 levels where the conversion order matters (a
// transparent pixel is black in one and keeps its colour in the other).
// ParsePreprocessorConfig reads a Hugging Face preprocessor_config.json
// (CLIPImageProcessor, CLIPFeatureExtractor, BlipImageProcessor) into a
// pipeline with the hf conventions, and refuses fields it does not
// implement by name rather than ignoring them. Pipeline.Describe gives a
// line for reports. PreprocessBatch fills a caller-provided [B, 3, N, N]
// slice, such as an ONNX Runtime input tensor.
//
// Only the part of the resized image inside the crop is computed, which is
// exact (each output pixel depends only on its own footprint) and makes a
// 640×480 image take a few milliseconds on one core.
//
// # Limits
//
// Images of up to 2^20 pixels a side and 2^28 pixels are accepted by the
// resize and pipeline functions; larger inputs or outputs (for example an
// extreme aspect ratio whose longer side would exceed the limit after
// resizing) return an error. Conversions other than to RGB and L, resizing
// with a box (region) argument, reducing_gap, the Pillow modes "1", "I;16",
// "YCbCr", "La"/"RGBa" as inputs, and mode F other than through ResizeF are
// not provided.
package imageproc
