package pipeline

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestRouteTraining(t *testing.T) {
	in := AblationInputs{Backbone: "/m/backbone", TorchModel: "/m/clip"}
	tests := []struct {
		name                string
		in                  AblationInputs
		config              string
		plugin, model, want string
		fraction            float64
		wantErr             string
	}{
		{name: "adapters by default, torch settings left out", in: in,
			config: `{"adapter":{"kind":"linear"},"epochs":3,"seed":1,"vision_blocks":3}`,
			plugin: "socialreward", model: "/m/backbone", want: `{"adapter":{"kind":"linear"},"epochs":3,"seed":1}`, fraction: 1},
		{name: "torch-blocks, adapter settings left out", in: in,
			config: `{"trainer":"torch-blocks","adapter":{"kind":"mlp"},"side":"both","loss":"triplet","margin":0.3,"train_fraction":1,"vision_blocks":3,"text_blocks":2,"seed":2}`,
			plugin: "socialreward-torch", model: "/m/clip", want: `{"margin":0.3,"seed":2,"text_blocks":2,"vision_blocks":3}`, fraction: 1},
		{name: "torch-blocks without a model", in: AblationInputs{Backbone: "/m/backbone"},
			config: `{"trainer":"torch-blocks"}`, wantErr: "--torch-model"},
		{name: "torch-blocks with another loss", in: in,
			config: `{"trainer":"torch-blocks","loss":"infonce"}`, wantErr: "implements the triplet loss only"},
		{name: "torch-blocks with a fraction: the host draws the share", in: in,
			config: `{"trainer":"torch-blocks","train_fraction":0.5,"seed":2}`,
			plugin: "socialreward-torch", model: "/m/clip", want: `{"seed":2}`, fraction: 0.5},
		{name: "unknown trainer", in: in, config: `{"trainer":"jax"}`, wantErr: `unknown trainer "jax"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r, err := routeTraining(tc.config, tc.in)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("got %v, want an error containing %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff([]string{tc.plugin, tc.model, tc.want}, []string{r.plugin, r.model, r.config}); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
			if r.fraction != tc.fraction {
				t.Errorf("fraction %v, want %v", r.fraction, tc.fraction)
			}
		})
	}
}
