package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/semsearch/semsearch/internal/article"
	"github.com/semsearch/semsearch/internal/engine"
	"github.com/semsearch/semsearch/internal/httpapi"
	"github.com/semsearch/semsearch/internal/vectorstore"
	"github.com/semsearch/semsearch/internal/vectorstore/chromemstore"
)

// serverFlags are the flags of the commands that can work through a
// running `semsearch serve` instead of the data directory.
func serverFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "server", Usage: "work through the HTTP API of a running semsearch serve at this URL (e.g. http://127.0.0.1:8080) instead of the data directory", EnvVars: []string{"SEMSEARCH_SERVER"}},
		&cli.StringFlag{Name: "server-key", Usage: "API key of --server (its serve --api-key)", EnvVars: []string{"SEMSEARCH_API_KEY"}},
	}
}

// serverFileName is the file in the data directory where `semsearch serve`
// leaves its address while it runs, so that other commands can offer it.
const serverFileName = "SERVER"

// announceServer records the address serve listens on in the data
// directory; the returned func removes it again.
func announceServer(dataDir string, addr net.Addr) func() {
	path := filepath.Join(dataDir, serverFileName)
	if err := os.WriteFile(path, []byte(serverURL(addr)+"\n"), 0o644); err != nil {
		return func() {}
	}
	return func() { os.Remove(path) }
}

// serverURL is the URL a local client reaches a listener at.
func serverURL(addr net.Addr) string {
	tcp, ok := addr.(*net.TCPAddr)
	if !ok {
		return "http://" + addr.String()
	}
	host := tcp.IP.String()
	if tcp.IP == nil || tcp.IP.IsUnspecified() {
		host = "127.0.0.1"
	}
	return "http://" + net.JoinHostPort(host, fmt.Sprint(tcp.Port))
}

// runningServer returns the URL a running `semsearch serve` on dataDir
// announced, or "" when none did.
func runningServer(dataDir string) string {
	b, err := os.ReadFile(filepath.Join(dataDir, serverFileName))
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(b))
}

// serverHint turns "the data directory is locked" into the way forward:
// the same command through the running server when `semsearch serve` holds
// it, else waiting for whatever does (another `semsearch index`), named
// from the lock file.
func serverHint(c *cli.Context, err error) error {
	busy := errors.Is(err, engine.ErrKeywordsBusy)
	if !errors.Is(err, vectorstore.ErrLocked) && !busy {
		return err
	}
	data := c.String("data")
	holder, _ := chromemstore.ReadLockHolder(data)
	var le *chromemstore.LockedError
	if errors.As(err, &le) && le.Holder != nil {
		holder = le.Holder
	}
	u := runningServer(data)
	// A holder that did not record itself (an older semsearch) is taken
	// for a server only when one announced its address.
	serving := u != ""
	if holder != nil {
		serving = holder.Command == serveLockCommand
	}
	what := "another semsearch process"
	if holder != nil {
		what = holder.String()
	}
	switch {
	case serving && u == "":
		u = "URL"
		fallthrough
	case serving:
		what = "a running `semsearch serve`"
		if holder != nil {
			what = fmt.Sprintf("a running `semsearch serve` (pid %d)", holder.PID)
		}
		if busy {
			return fmt.Errorf("%s holds the BM25 index of %s, so %s search cannot run here: ask the server with --server %s (or search --mode vector for vectors only)", what, data, modeOf(c), u)
		}
		return fmt.Errorf("%s holds the data directory %s: run this through it with --server %s, e.g. semsearch %s --server %s ...", what, data, u, c.Command.Name, u)
	case busy:
		return fmt.Errorf("%s is writing the BM25 index of %s, so %s search cannot run here now: wait for it to finish and search again (or search --mode vector for vectors only)", what, data, modeOf(c))
	}
	return fmt.Errorf("%s holds the data directory %s: wait for it to finish (or stop it), then run this again", what, data)
}

// serveCommand is how `semsearch serve` names itself in the lock file.
const serveLockCommand = "semsearch serve"

func modeOf(c *cli.Context) string {
	if m := c.String("mode"); m != "" {
		return m
	}
	return string(engine.Hybrid)
}

// remote is a client of the HTTP API of `semsearch serve`.
type remote struct {
	base, key string
	http      *http.Client
}

func newRemote(c *cli.Context) (*remote, error) {
	u, err := url.Parse(strings.TrimRight(c.String("server"), "/"))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, usagef("--server %q: want a URL such as http://127.0.0.1:8080", c.String("server"))
	}
	return &remote{base: u.String(), key: c.String("server-key"), http: &http.Client{Timeout: 10 * time.Minute}}, nil
}

// serverError is an error answer of the server, kept typed so that callers
// act on its code rather than on the wording of its message.
type serverError struct {
	base    string
	status  int
	code    string // the API's error code; empty when the body had none
	message string // the API's message, or the HTTP status line
}

func (e *serverError) Error() string {
	if e.code == "" {
		return fmt.Sprintf("server %s: %s", e.base, e.message)
	}
	return fmt.Sprintf("server %s: %s (%s)", e.base, e.message, e.code)
}

// isNotFound reports whether err is the server saying the thing asked for
// does not exist (not that it has no such route: an older server).
func isNotFound(err error) bool {
	var se *serverError
	return errors.As(err, &se) && se.status == http.StatusNotFound && se.code == "not_found"
}

// do sends a request with body as JSON (when not nil) and decodes the
// answer into out.
func (r *remote) do(ctx context.Context, method, path string, query url.Values, body, out any) error {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(b)
	}
	u := r.base + path
	if len(query) > 0 {
		u += "?" + query.Encode()
	}
	req, err := http.NewRequestWithContext(ctx, method, u, rd)
	if err != nil {
		return err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if r.key != "" {
		req.Header.Set("Authorization", "Bearer "+r.key)
	}
	resp, err := r.http.Do(req)
	if err != nil {
		return fmt.Errorf("server %s: %w", r.base, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 256<<20))
	if err != nil {
		return fmt.Errorf("server %s: read answer: %w", r.base, err)
	}
	if resp.StatusCode/100 != 2 {
		se := &serverError{base: r.base, status: resp.StatusCode, message: resp.Status}
		var e httpapi.ErrorBody
		if json.Unmarshal(data, &e) == nil && e.Error.Message != "" {
			se.code, se.message = e.Error.Code, e.Error.Message
		}
		return se
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(data, out); err != nil {
		return fmt.Errorf("server %s: read answer: %w", r.base, err)
	}
	return nil
}

// collectionQuery names the collection when the user chose one; otherwise
// the server uses its own default.
func collectionQuery(c *cli.Context) url.Values {
	if !c.IsSet("collection") {
		return nil
	}
	return url.Values{"collection": {c.String("collection")}}
}

// remoteIndex sends loaded articles to the server, in requests of at most
// about 4 MB, and prints the summary index prints.
func remoteIndex(c *cli.Context, arts []article.Article, skipped int, stdinID string) error {
	if c.Bool("prune") || c.Bool("dry-run") || c.Bool("rebuild") {
		return usagef("index --server: --prune, --dry-run and --rebuild work on the data directory only; stop the server to use them")
	}
	r, err := newRemote(c)
	if err != nil {
		return err
	}
	start := time.Now()
	var sum struct {
		Collection                                string
		New, Updated, Unchanged, Duplicates, Pass int
		Total                                     int
	}
	var batch []map[string]any
	size := 0
	send := func() error {
		if len(batch) == 0 {
			return nil
		}
		var resp httpapi.IndexResponse
		if err := r.do(c.Context, http.MethodPost, "/v1/documents", collectionQuery(c), batch, &resp); err != nil {
			return err
		}
		for _, w := range resp.Warnings {
			fmt.Fprintf(c.App.ErrWriter, "warning: %s\n", termLine(w))
		}
		sum.Collection = resp.Collection
		sum.New += resp.New
		sum.Updated += resp.Updated
		sum.Unchanged += resp.Unchanged
		sum.Duplicates += resp.Duplicates
		sum.Pass += resp.Passages
		sum.Total = resp.TotalPassages
		batch, size = batch[:0], 0
		return nil
	}
	for _, a := range arts {
		obj := map[string]any{"id": a.ID, "text": a.Text, "source": a.Source}
		for k, v := range a.Meta {
			obj[k] = v
		}
		if a.Title != "" {
			obj["title"] = a.Title
		}
		if a.Author != "" {
			obj["author"] = a.Author
		}
		if a.URL != "" {
			obj["url"] = a.URL
		}
		if !a.Published.IsZero() {
			obj["published"] = a.Published.Format(time.RFC3339)
		}
		batch = append(batch, obj)
		size += len(a.Text) + 256
		if size > 4<<20 || len(batch) >= 100 {
			if err = send(); err != nil {
				break
			}
		}
	}
	if err == nil {
		err = send()
	}
	// The summary counts the requests the server acknowledged, also when a
	// later one failed (the error names what that one stored).
	fmt.Fprintf(c.App.Writer, "indexed %q through %s: %d new, %d updated, %d unchanged, 0 removed, %d skipped; %s embedded (%d stored); total %s\n",
		sum.Collection, r.base, sum.New, sum.Updated, sum.Unchanged, skipped+sum.Duplicates,
		plural(sum.Pass, "passage", "passages"), sum.Total, time.Since(start).Round(time.Millisecond))
	if err != nil {
		return fmt.Errorf("index --server: %w", err)
	}
	if stdinID != "" {
		fmt.Fprintf(c.App.Writer, "stdin was indexed as id %q (set it with --id)\n", stdinID)
	}
	return nil
}

// remoteSearch asks the server and prints the answer as search does.
func remoteSearch(c *cli.Context, question string, f vectorstore.Filter) error {
	r, err := newRemote(c)
	if err != nil {
		return err
	}
	body := map[string]any{"query": question, "k": c.Int("k"), "min_score": c.Float64("min-score"), "explain": c.Bool("explain")}
	if c.IsSet("collection") {
		body["collection"] = c.String("collection")
	}
	if c.IsSet("mode") {
		body["mode"] = c.String("mode")
	}
	if c.IsSet("mmr") {
		body["mmr"] = c.Float64("mmr")
	}
	if c.IsSet("max-per-doc") {
		body["max_per_doc"] = c.Int("max-per-doc")
	}
	if !f.Empty() {
		filter := map[string]any{}
		if len(f.DocIDs) > 0 {
			filter["doc_ids"] = f.DocIDs
		}
		if len(f.Meta) > 0 {
			filter["meta"] = f.Meta
		}
		if !f.After.IsZero() {
			filter["after"] = f.After.Format(time.RFC3339)
		}
		if !f.Before.IsZero() {
			filter["before"] = f.Before.Format(time.RFC3339)
		}
		body["filter"] = filter
	}
	var resp searchJSON
	if err := r.do(c.Context, http.MethodPost, "/v1/search", nil, body, &resp); err != nil {
		return fmt.Errorf("search --server: %w", err)
	}
	for _, w := range resp.Warnings {
		fmt.Fprintln(c.App.ErrWriter, "warning: "+termLine(w))
	}
	if c.Bool("json") {
		return writeJSON(c.App.Writer, resp)
	}
	printResults(c.App.Writer, engine.Response{
		Query: resp.Query, Model: resp.Model, Collection: resp.Collection, Mode: resp.Mode,
		Results: resp.Results, Took: time.Duration(resp.TookMS * float64(time.Millisecond)),
	})
	return nil
}

// remoteDelete deletes ids through the server, naming those it did not
// find.
func remoteDelete(c *cli.Context, ids []string) error {
	if c.Bool("dry-run") {
		return usagef("delete --server: --dry-run works on the data directory only")
	}
	r, err := newRemote(c)
	if err != nil {
		return err
	}
	var missing []string
	deleted := 0
	for _, id := range ids {
		err := r.do(c.Context, http.MethodDelete, "/v1/documents/"+url.PathEscape(id), collectionQuery(c), nil, nil)
		switch {
		case isNotFound(err):
			missing = append(missing, id)
		case err != nil:
			return fmt.Errorf("delete --server: %w", err)
		default:
			deleted++
		}
	}
	if deleted == 0 && len(missing) > 0 {
		// The server answers not_found for a missing collection too: say
		// which it is.
		var cols httpapi.CollectionsResponse
		if err := r.do(c.Context, http.MethodGet, "/v1/collections", nil, nil, &cols); err != nil {
			return fmt.Errorf("delete --server: %w", err)
		}
		name := cols.Default
		if c.IsSet("collection") {
			name = c.String("collection")
		}
		if !slices.ContainsFunc(cols.Collections, func(c vectorstore.Collection) bool { return c.Name == name }) {
			return fmt.Errorf("delete --server: %s has no collection %q", r.base, name)
		}
	}
	fmt.Fprintf(c.App.Writer, "deleted %d of %s through %s\n", deleted, plural(len(ids), "article", "articles"), r.base)
	if len(missing) > 0 {
		return fmt.Errorf("delete --server: not found: %s", strings.Join(missing, ", "))
	}
	return nil
}
