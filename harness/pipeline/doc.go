// Package pipeline is the orchestration srbench's commands share: training
// Social Reward through its plugin (TrainSocialReward) and the ablation
// grid's curate → train → evaluate steps (AblationDeps), over the typed
// launcher of harness/bench (bench.Launcher returns a bench.Plugin that can
// score, train and be killed, so nothing here asserts on host types).
// harness/demo tells the synthetic world's story with it; `srbench ablate`
// and `srbench train` use it directly.
package pipeline
