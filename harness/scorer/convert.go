package scorer

import pb "github.com/srbench/srbench/harness/scorer/internal/scorerpb"

// The converters keep the generated protobuf types out of the public API.

func itemToPB(it Item) *pb.Item {
	x := &pb.Item{Id: it.ID, Prompt: it.Prompt}
	if it.ImageBytes != nil {
		x.Image = &pb.Item_ImageBytes{ImageBytes: it.ImageBytes}
	} else {
		x.Image = &pb.Item_ImagePath{ImagePath: it.ImagePath}
	}
	return x
}

func itemFromPB(x *pb.Item) Item {
	return Item{ID: x.GetId(), Prompt: x.GetPrompt(), ImagePath: x.GetImagePath(), ImageBytes: x.GetImageBytes()}
}

func resultToPB(r Result) *pb.Result { return &pb.Result{Score: r.Score, Error: r.Err} }

func resultFromPB(x *pb.Result) Result { return Result{Score: x.GetScore(), Err: x.GetError()} }

func descriptionToPB(d Description) *pb.DescribeResponse {
	return &pb.DescribeResponse{
		Name:               d.Name,
		Version:            d.Version,
		Kind:               d.Kind,
		Variant:            d.Variant,
		Fingerprint:        d.Fingerprint,
		Capabilities:       d.Capabilities,
		PreferredBatchSize: int32(d.PreferredBatchSize),
		Runtime:            d.Runtime,
		Provider:           d.Provider,
		Preprocessing:      d.Preprocessing,
		Tokenizer:          d.Tokenizer,
		Formula:            d.Formula,
		ModelDir:           d.ModelDir,
		ProtocolVersion:    int32(d.ProtocolVersion),
		Details:            d.Details,
	}
}

func descriptionFromPB(x *pb.DescribeResponse) Description {
	return Description{
		Name:               x.GetName(),
		Version:            x.GetVersion(),
		Kind:               x.GetKind(),
		Variant:            x.GetVariant(),
		Fingerprint:        x.GetFingerprint(),
		Capabilities:       x.GetCapabilities(),
		PreferredBatchSize: int(x.GetPreferredBatchSize()),
		Runtime:            x.GetRuntime(),
		Provider:           x.GetProvider(),
		Preprocessing:      x.GetPreprocessing(),
		Tokenizer:          x.GetTokenizer(),
		Formula:            x.GetFormula(),
		ModelDir:           x.GetModelDir(),
		ProtocolVersion:    int(x.GetProtocolVersion()),
		Details:            x.GetDetails(),
	}
}

func imageToPB(im ImageRef) *pb.Image {
	if im.Data != nil {
		return &pb.Image{Source: &pb.Image_Data{Data: im.Data}}
	}
	return &pb.Image{Source: &pb.Image_Path{Path: im.Path}}
}

func imageFromPB(x *pb.Image) ImageRef { return ImageRef{Path: x.GetPath(), Data: x.GetData()} }

func tripletToPB(t Triplet) *pb.Triplet {
	return &pb.Triplet{Id: t.ID, Prompt: t.Prompt, Preferred: imageToPB(t.Preferred), Other: imageToPB(t.Other), Weight: t.Weight}
}

func tripletFromPB(x *pb.Triplet) Triplet {
	return Triplet{ID: x.GetId(), Prompt: x.GetPrompt(), Preferred: imageFromPB(x.GetPreferred()),
		Other: imageFromPB(x.GetOther()), Weight: x.GetWeight()}
}
