// Package chaos is semsearch's fault suite: it runs the real semsearch
// binary against the real Ollama runtime and attacks it the way a hostile
// tester would (SIGKILL of index and serve, Ollama killed or hung, a full
// disk, a read-only data directory, damaged files), checking that it never
// gives a wrong answer, never hangs and never hides a partial success.
//
// The suite lives in chaos_test.go. `make chaos` runs every fault with many
// trials and prints a table (fault, trials, failures); the test command runs
// a short version (SEMSEARCH_CHAOS=short, a few trials each). Without
// SEMSEARCH_CHAOS and the runtime settings it skips.
package chaos
