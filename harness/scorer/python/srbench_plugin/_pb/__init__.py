"""Generated protobuf and gRPC modules (`make proto`, scripts/proto-python.sh); do not edit."""
