package onnx

// The signatures below are the Hugging Face Optimum export layout of CLIP
// models (`optimum-cli export onnx`), which srbench's own test models share.
// Batch and sequence dimensions are -1 (any size).
//
// attention_mask is Optional: torch.onnx.export of an OpenAI-format CLIP
// (the `clip` package's model, e.g. Social Reward's) drops it, because
// OpenAI's text encoder reads no mask; it applies the causal mask only and
// pools at the end token, found by argmax of input_ids, so with right padding
// the embedding is the same as with the mask. Callers feed attention_mask
// only to models that declare it (Session.HasInput). ImageReward's BLIP text
// encoder does read its mask, and blipmodel.Signature keeps it mandatory.

// CLIPSignature is a combined CLIP model.onnx: input_ids and, optionally,
// attention_mask (int64 [text batch, sequence]) and pixel_values (float32 [image batch, 3,
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

// CLIPTextSignature is a CLIP text_model.onnx: input_ids and, optionally,
// attention_mask → text_embeds [batch, embed].
func CLIPTextSignature() Signature {
	return Signature{
		Inputs: []TensorSpec{
			{Name: "input_ids", Type: Int64, Shape: []int64{-1, -1}},
			{Name: "attention_mask", Type: Int64, Shape: []int64{-1, -1}, Optional: true},
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
