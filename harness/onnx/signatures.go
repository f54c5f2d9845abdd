package onnx

// The signatures below are the Hugging Face Optimum export layout of CLIP
// models (`optimum-cli export onnx`), which srbench's own test models share.
// Batch and sequence dimensions are -1 (any size).

// CLIPSignature is a combined CLIP model.onnx: input_ids and attention_mask
// (int64 [text batch, sequence]) and pixel_values (float32 [image batch, 3,
// imageSize, imageSize]) in; logits_per_image [image batch, text batch],
// logits_per_text, text_embeds and image_embeds out.
func CLIPSignature(imageSize int) Signature {
	t := CLIPTextSignature()
	v := CLIPVisionSignature(imageSize)
	return Signature{
		Inputs: append(t.Inputs, v.Inputs...),
		Outputs: []TensorSpec{
			{Name: "logits_per_image", Type: Float32, Shape: []int64{-1, -1}},
			{Name: "logits_per_text", Type: Float32, Shape: []int64{-1, -1}},
			t.Outputs[0],
			v.Outputs[0],
		},
	}
}

// CLIPTextSignature is a CLIP text_model.onnx: input_ids, attention_mask →
// text_embeds [batch, embed].
func CLIPTextSignature() Signature {
	return Signature{
		Inputs: []TensorSpec{
			{Name: "input_ids", Type: Int64, Shape: []int64{-1, -1}},
			{Name: "attention_mask", Type: Int64, Shape: []int64{-1, -1}},
		},
		Outputs: []TensorSpec{{Name: "text_embeds", Type: Float32, Shape: []int64{-1, -1}}},
	}
}

// CLIPVisionSignature is a CLIP vision_model.onnx: pixel_values →
// image_embeds [batch, embed].
func CLIPVisionSignature(imageSize int) Signature {
	s := int64(imageSize)
	return Signature{
		Inputs:  []TensorSpec{{Name: "pixel_values", Type: Float32, Shape: []int64{-1, 3, s, s}}},
		Outputs: []TensorSpec{{Name: "image_embeds", Type: Float32, Shape: []int64{-1, -1}}},
	}
}
