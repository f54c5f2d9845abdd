// Package host finds, verifies, launches and supervises srbench scorer
// plugins, and gives the harness a typed client for each.
//
// Plugins are executables in a plugins directory (by default plugins/ beside
// the srbench binary); a binary's file name is the scorer's name. A lock file
// (plugins.lock, JSON) in that directory pins each binary's sha256: a
// pinned plugin is verified before launch and again by go-plugin's
// SecureConfig as it starts, and a mismatch refuses to run it. A plugin
// without a pin is refused too, unless Options.AllowUnpinned.
//
// Every plugin call has a deadline (Options.CallTimeout plus
// CallTimeoutPerItem per item); a plugin that misses it, or crashes, is
// killed (its whole process group) and relaunched within
// Options.MaxRestarts, and the call retried. Killing waits at most
// Options.KillGrace for a graceful exit; Plugin.LastStop says how the last
// process ended (on its own, or SIGKILLed, and what of its process group
// was left), which the conformance kit's shutdown rule checks.
//
// Every plugin is launched with go-plugin's AutoMTLS, with the Linux
// parent-death signal set to SIGKILL so that a harness killed with SIGKILL
// never leaves plugins running, and is killed by Host.Close (which the CLI
// calls on exit and on Ctrl-C).
package host
