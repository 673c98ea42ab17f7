// Package httpapi is semsearch's HTTP JSON API: a [Server] (an
// http.Handler built on gorilla/mux) over the engine, which it reaches
// through the small interfaces it declares ([Searcher], [Indexer],
// [Catalog], [Checker]). cmd/semsearch wires the real engine in and runs the
// server (`semsearch serve`); tests use fakes.
//
// # Routes
//
//	GET    /healthz               process alive (never needs the API key)
//	GET    /readyz                store, Ollama and model checks; 503 when not ready
//	GET    /metrics               Prometheus text format (see [Metrics])
//	GET    /openapi.json          the OpenAPI 3 description (openapi.json in this package)
//	POST   /v1/search             {"query", "k", "collection", "min_score", "filter"}
//	GET    /v1/search             ?q=&k=&collection=&min_score=&doc_id=&after=&before=&meta.KEY=
//	POST   /v1/context            a search answered as a prompt-ready block (below)
//	POST   /v1/documents          one article object or an array; ?collection=
//	POST   /v1/files              files as read (name, format, text or base64), parsed as `semsearch index` parses them
//	GET    /v1/documents          ?collection=&offset=&limit= (default 100, max 1000)
//	GET    /v1/documents/{id}     full text and metadata; id path-escaped, may hold slashes
//	DELETE /v1/documents/{id}
//	GET    /v1/collections
//	GET    /v1/stats
//	POST   /retrieval             Dify's External Knowledge API (contracts.go)
//	POST   /v1/web-search         Open WebUI's external web search; ?collection=
//
// and the front doors the caller mounts with [Config.Frontdoors] (serve
// mounts the MCP endpoint at /mcp and the search page at /, /doc and /key).
//
// # Browsers
//
// Every route refuses with 403 a browser's cross-origin request but a
// preflight (OPTIONS) and a link followed to it (cross_origin: net/http's
// CrossOriginProtection, and the same headers for GET and HEAD, with the
// CORS origins trusted), and a request that reached a loopback
// address under a Host that is neither a loopback name nor one of
// [Config.AllowedHosts] (forbidden_host: DNS rebinding). Clients without
// Origin and Sec-Fetch-Site, such as curl, pass the first.
//
// Requests use the server's default collection unless they name one (a
// "collection" field or ?collection=). A filter is
//
//	{"doc_ids": ["a.txt"], "meta": {"author": "..."}, "after": "2017-05-01", "before": "2017-06-01"}
//
// where meta matches title, source, author, url or custom metadata exactly,
// after is inclusive and before exclusive.
//
// # Context blocks
//
// POST /v1/context takes a search request plus a budget, "max_chars"
// (default 6000 characters) or "max_tokens" (estimated as characters/4), and
// answers with "context", the passages numbered for a prompt:
//
//	[1] <passage text>
//	(Source: "Title", source, lines 3-5)
//
//	[2] <passage text>
//	(Source: "Title", source, line 9)
//
// Passages are taken best first, each whole, separated by one blank line; a
// passage that would take the block over the budget is left out and the next
// one tried. When none fits whole, the best one is cut to the budget at a
// sentence end (else a word), marked " …", and "truncated" is true: a
// chatbot must not answer from an empty block. "dropped" says how many
// were left out, "results" holds the
// passages of the block (results[i] is passage [i+1]) and "sources" the cited
// documents with the numbers of their passages.
//
// # Errors
//
// Every error is JSON, {"error": {"code": "...", "message": "..."}}, with
// the status chosen in one place (Server.describe): 400 for a bad request
// (malformed JSON, unknown fields, invalid UTF-8, an empty query, k out of
// range, a bad filter date), 401 for a missing or wrong bearer token, 404
// for an unknown document, collection or route, 405 for a wrong method, 409
// when the collection was built with another model or the id guard refuses
// a write (id_conflict), 413 for a body over the
// limit or more articles than [Config.MaxArticles], 503 when Ollama is down or lacks the model (see
// [Config.Errors]), 504 when the request runs out of time, and a generic 500
// for anything unexpected, panics included.
package httpapi
