// Package mcpserver serves semsearch over the Model Context Protocol, so
// chat clients (Claude Desktop and Code, Cursor, VS Code, Open WebUI, the
// LangChain and LlamaIndex MCP adapters) can search the engine's collections
// and read around the passages they cite. It is an adapter over
// github.com/modelcontextprotocol/go-sdk: no type of that SDK crosses this
// package's API.
//
// Tools (typed input and output schemas; unknown arguments are an error):
//
//	search           query, collection(s), k, mode, filter -> numbered, cited passages
//	get_document     a document, whole or a cited line range
//	list_collections collections with model, document and passage counts
//	status           model, totals, embedding backend health
//	add_documents    (only with writes enabled) index articles
//	delete_document  (only with writes enabled)
//
// and the resource template semsearch://{collection}/{+id} for a document's
// text. [Server.RunStdio] serves one client over stdin/stdout; [Server.Handler]
// serves the streamable HTTP transport (stateless, JSON responses).
package mcpserver

import (
	"bufio"
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/semsearch/semsearch/internal/article"
	"github.com/semsearch/semsearch/internal/engine"
	"github.com/semsearch/semsearch/internal/vectorstore"
)

// Engine is what the MCP server asks of the search engine; *engine.Engine
// implements it.
type Engine interface {
	Search(ctx context.Context, collection string, q engine.Query) (engine.Response, error)
	Collections(ctx context.Context) ([]vectorstore.Collection, error)
	Document(ctx context.Context, collection, id string) (vectorstore.Document, error)
	Index(ctx context.Context, collection string, arts []article.Article, opt engine.IndexOptions) (engine.IndexStats, error)
	Delete(ctx context.Context, collection string, ids ...string) (int, error)
}

// Checker says whether the embedding backend answers and has the model, as
// embed.Client.Check does; the status tool reports it.
type Checker interface {
	Check(ctx context.Context) error
}

// Config configures a [Server].
type Config struct {
	// Engine answers the tools. Required.
	Engine Engine
	// Checker, when set, is reported by the status tool.
	Checker Checker
	// Collection is searched unless a call names others. Required.
	Collection string
	// ValidCollection, when set, rejects names the store cannot hold.
	ValidCollection func(string) bool
	// Model is the embedding model's name, for status.
	Model string
	// Writes enables add_documents and delete_document.
	Writes bool
	// Version is the server version reported to clients.
	Version string
	// CrossOriginTrusted are browser origins allowed to call the HTTP
	// transport cross-origin (the API's --cors-origin); others get 403.
	CrossOriginTrusted []string
	// HostsChecked says the caller checks Host headers itself (serve's
	// --allowed-hosts): the HTTP transport's own check, which allows
	// loopback names only, is then off so that allowed names reach it.
	HostsChecked bool
	// MaxLineBytes bounds one message over stdio; zero means
	// [DefaultMaxLineBytes].
	MaxLineBytes int
	// Unavailable are errors meaning the embedding backend is down or lacks
	// the model (e.g. embed.ErrUnreachable): tools answer their text, which
	// says what to do, where other unexpected errors get a generic answer.
	Unavailable []error
	// Logger receives the SDK's and the tools' logs; nil discards them.
	// Over stdio it must not write to stdout.
	Logger *slog.Logger
}

// Server builds MCP sessions over the engine.
type Server struct {
	cfg   Config
	log   *slog.Logger
	cache *mcp.SchemaCache
}

// New returns a server for cfg.
func New(cfg Config) (*Server, error) {
	if cfg.Engine == nil || cfg.Collection == "" {
		return nil, errors.New("mcpserver: no engine or default collection")
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Server{cfg: cfg, log: log, cache: mcp.NewSchemaCache()}, nil
}

// RunStdio serves one client over r and w (stdin and stdout) until the
// client disconnects or ctx ends. A line that is not JSON, or longer than
// [Config.MaxLineBytes], gets a JSON-RPC parse error (-32700) and the
// session goes on.
func (s *Server) RunStdio(ctx context.Context, r io.ReadCloser, w io.WriteCloser) error {
	srv := s.session(ctx)
	out := &lockedWriter{w: w}
	in := &stdioFilter{src: bufio.NewReaderSize(r, 64<<10), max: cmp.Or(s.cfg.MaxLineBytes, DefaultMaxLineBytes), out: out, log: s.log}
	// The filter bounds lines; the SDK's own bound must not be the lower.
	err := srv.Run(ctx, &mcp.IOTransport{Reader: readCloser{in, r}, Writer: out, MaxLineLength: -1})
	if err != nil && ctx.Err() == nil && !errors.Is(err, io.EOF) {
		return fmt.Errorf("mcp over stdio: %w", err)
	}
	return nil
}

// Handler returns the streamable HTTP transport: stateless (each request
// stands alone, so any number of clients and restarts are fine) with JSON
// responses. Requests from browsers of other origins and requests through
// a loopback address with a foreign Host header (DNS rebinding) get 403.
// The caller puts it behind the API key.
func (s *Server) Handler() (http.Handler, error) {
	cop := http.NewCrossOriginProtection()
	for _, o := range s.cfg.CrossOriginTrusted {
		if o == "*" {
			continue
		}
		if err := cop.AddTrustedOrigin(o); err != nil {
			return nil, fmt.Errorf("mcpserver: trusted origin %q: %w", o, err)
		}
	}
	return mcp.NewStreamableHTTPHandler(func(r *http.Request) *mcp.Server { return s.session(r.Context()) },
		&mcp.StreamableHTTPOptions{Stateless: true, JSONResponse: true, Logger: s.log, CrossOriginProtection: cop,
			DisableLocalhostProtection: s.cfg.HostsChecked}), nil
}

// session builds an MCP server whose instructions name the collections
// live now.
func (s *Server) session(ctx context.Context) *mcp.Server {
	srv := mcp.NewServer(&mcp.Implementation{Name: "semsearch", Title: "semsearch", Version: cmp.Or(s.cfg.Version, "dev")},
		&mcp.ServerOptions{Instructions: s.instructions(ctx), Logger: s.log, SchemaCache: s.cache})
	s.addTools(srv)
	return srv
}

// instructions tells the model what it can search and how to cite.
func (s *Server) instructions(ctx context.Context) string {
	var b strings.Builder
	b.WriteString("semsearch answers questions with passages from indexed articles.\n")
	cols, err := s.cfg.Engine.Collections(ctx)
	switch {
	case err != nil:
		fmt.Fprintf(&b, "The collections could not be listed (%v); call list_collections.\n", err)
	case len(cols) == 0:
		fmt.Fprintf(&b, "No collection holds documents yet (the default is %q).\n", s.cfg.Collection)
	default:
		b.WriteString("Live collections:\n")
		evals := 0
		for _, c := range cols {
			def := ""
			if c.Name == s.cfg.Collection {
				def = ", the default"
			} else if engine.IsEvalCollection(c.Name) {
				evals++ // an eval harness's corpus, not the user's
				continue
			}
			fmt.Fprintf(&b, "- %s: %d documents, %d passages, model %s%s\n", c.Name, c.Documents, c.Passages, c.Settings.Model, def)
		}
		if evals > 0 {
			fmt.Fprintf(&b, "(and %d evaluation collections, %s*, that list_collections lists; leave them out unless asked)\n", evals, engine.EvalCollectionPrefix)
		}
	}
	b.WriteString("Call search with a question in plain language; it returns numbered passages, each with a citation " +
		"(\"Title\", source, lines A-B). Answer from those passages only, cite each one you use as [n] with its citation, " +
		"and say so when they do not answer the question. To read around a passage, call get_document with its " +
		"collection, doc_id and lines (e.g. \"3-9\"), or read the resource semsearch://{collection}/{doc_id}.")
	if s.cfg.Writes {
		b.WriteString(" add_documents and delete_document change the index.")
	}
	return b.String()
}

// collection validates a collection name, "" meaning the default.
func (s *Server) collection(name string) (string, error) {
	name = strings.TrimSpace(name)
	if name == "" {
		return s.cfg.Collection, nil
	}
	if s.cfg.ValidCollection != nil && !s.cfg.ValidCollection(name) {
		return "", invalid("collection %q: use 1-64 letters, digits, '_', '.', '-', starting with a letter or digit", name)
	}
	return name, nil
}
