package scorer

import (
	"os"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"
)

// Serve runs a scorer plugin: it performs go-plugin's handshake with the
// host and serves the contract until the host goes away. A plugin's main is
// one line:
//
//	func main() { scorer.Serve(newMyScorer) }
func Serve(factory Factory) {
	plugin.Serve(ServeConfig(factory))
}

// ServeConfig is the go-plugin configuration Serve uses; tests and plugins
// that need their own logger can adjust it before calling plugin.Serve.
func ServeConfig(factory Factory) *plugin.ServeConfig {
	return &plugin.ServeConfig{
		HandshakeConfig: Handshake(),
		Plugins:         PluginSet(factory),
		GRPCServer: func(opts []grpc.ServerOption) *grpc.Server {
			opts = append(opts, grpc.MaxRecvMsgSize(MaxMessageBytes), grpc.MaxSendMsgSize(MaxMessageBytes))
			return grpc.NewServer(opts...)
		},
		Logger: hclog.New(&hclog.LoggerOptions{
			Name:       "scorer",
			Output:     os.Stderr,
			Level:      hclog.Warn,
			JSONFormat: true,
		}),
	}
}
