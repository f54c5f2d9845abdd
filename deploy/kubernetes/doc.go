// Package kubernetes holds no code: it is the home of srbench's Kubernetes
// manifests (an Indexed Job that runs `srbench run --shard-from-env` as N
// shards, the Job that merges them, and the shared volume's claim; see
// README.md) and of manifest_test.go, which checks them, and the GitHub
// Actions matrix example in deploy/github-actions/, at schema level. No
// cluster and no workflow runs in this project's tests.
package kubernetes
