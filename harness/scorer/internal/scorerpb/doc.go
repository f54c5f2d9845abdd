// Package scorerpb is the protobuf and gRPC code generated from
// harness/scorer/proto/srbench/scorer/v1/scorer.proto by `make proto`
// (protoc-gen-go, protoc-gen-go-grpc). It is internal: plugins and the host
// use the hand-written types and converters of harness/scorer.
package scorerpb
