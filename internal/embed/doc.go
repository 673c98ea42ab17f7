// Package embed turns text into embedding vectors through an Ollama
// server's /api/embed endpoint or, with [KindOpenAI], any OpenAI-compatible
// /v1/embeddings (openai.go).
//
// A [Client] sends texts in batches ([Config.BatchSize] inputs per request),
// prepends the query or document prefix the model family expects (see
// [PrefixesFor]), retries transient failures with exponential backoff and
// returns L2-normalised float32 vectors of one fixed dimension, cut to
// [Config.Dimensions] when asked (matryoshka.go). Texts that
// are empty or only whitespace are never sent: they get a zero vector.
//
// Failures callers branch on are sentinels tested with errors.Is:
// [ErrUnreachable], [ErrTimeout], [ErrModelMissing], [ErrDimensions] and [ErrInputTooLong].
// Types of the ollama api package never appear in this package's API.
package embed
