package host

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"

	"github.com/hashicorp/go-plugin"
)

// secureConfig makes go-plugin verify the binary's sha256 as it starts, so a
// binary replaced between Verify and launch is still refused.
func secureConfig(pin string) (*plugin.SecureConfig, error) {
	sum, err := hex.DecodeString(pin)
	if err != nil || len(sum) != sha256.Size {
		return nil, fmt.Errorf("invalid sha256 pin %q", pin)
	}
	return &plugin.SecureConfig{Checksum: sum, Hash: sha256.New()}, nil
}
