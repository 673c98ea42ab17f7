package main

import (
	"cmp"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/urfave/cli/v2"

	"github.com/semsearch/semsearch/internal/article"
	"github.com/semsearch/semsearch/internal/engine"
	"github.com/semsearch/semsearch/internal/httpapi"
	"github.com/semsearch/semsearch/internal/vectorstore"
	"github.com/semsearch/semsearch/internal/vectorstore/embedded"
)

// serverFlags are the flags of the commands that can work through a
// running `semsearch serve` instead of the data directory.
func serverFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "server", Usage: "work through the HTTP API of a running semsearch serve at this URL (e.g. http://127.0.0.1:8080) instead of the data directory", EnvVars: []string{"SEMSEARCH_SERVER"}},
		&cli.StringFlag{Name: "server-key", Usage: "API key of --server (its serve --api-key)", EnvVars: []string{"SEMSEARCH_API_KEY"}},
		&cli.BoolFlag{Name: "no-server", Usage: "work on the data directory even while semsearch serve runs on it (by default the command goes through that server)"},
	}
}

// useServer says whether the command goes through a server: the one
// --server names, or else the `semsearch serve` running on the data
// directory (its address in DATA/SERVER, and answering), which it then
// names on stderr once, unless --no-server is given or the command needs
// the data directory itself (--prune, --dry-run, --rebuild).
func useServer(c *cli.Context) bool {
	if c.String("server") != "" {
		return true
	}
	if c.Bool("no-server") || c.Bool("prune") || c.Bool("dry-run") || c.Bool("rebuild") {
		return false
	}
	u := runningServer(c.String("data"))
	if u == "" || !serverAnswers(c.Context, u) {
		return false // none runs, or a crashed one left its address
	}
	if err := c.Set("server", u); err != nil {
		return false
	}
	fmt.Fprintf(c.App.ErrWriter, "semsearch: going through the running server %s (semsearch serve on %s); --no-server works on the data directory instead\n",
		u, c.String("data"))
	return true
}

// serverAnswers reports whether a semsearch server answers /healthz at u.
func serverAnswers(ctx context.Context, u string) bool {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u+"/healthz", nil)
	if err != nil {
		return false
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return false
	}
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK
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
	holder, _ := embedded.ReadLockHolder(data)
	var le *embedded.LockedError
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

// newClient returns the client of --server.
func newClient(c *cli.Context) (*httpapi.Client, error) {
	cl, err := httpapi.NewClient(c.String("server"), c.String("server-key"), &http.Client{Timeout: 10 * time.Minute})
	if err != nil {
		return nil, usagef("--server %q: want a URL such as http://127.0.0.1:8080", c.String("server"))
	}
	return cl, nil
}

// remoteCollection is the collection the user chose, or "" for the
// server's default.
func remoteCollection(c *cli.Context) string {
	if !c.IsSet("collection") {
		return ""
	}
	return c.String("collection")
}

// serverErr says what failed through the server; a refused key names the
// options that give one, not the HTTP header.
func serverErr(what string, err error) error {
	var e *httpapi.Error
	if errors.As(err, &e) && e.Status == http.StatusUnauthorized {
		return fmt.Errorf("%s: %s wants its API key (serve --api-key): give it with --server-key KEY or SEMSEARCH_API_KEY (the server said: %s)", what, e.Base, e.Message)
	}
	return fmt.Errorf("%s: %w", what, err)
}

// rawFile is a file as the loader read it, kept for `index --server`.
type rawFile struct {
	source, id string
	data       []byte
}

// rawCollector returns the loader's Raw hook that keeps the files read,
// when --server is given (else nil: a local index keeps no copy).
func rawCollector(c *cli.Context, files *[]rawFile) func(source, id string, data []byte) {
	if !useServer(c) {
		return nil
	}
	return func(source, id string, data []byte) {
		*files = append(*files, rawFile{source: source, id: id, data: data})
	}
}

// Batches of `index --server`: under the server's default --max-body (8
// MiB) and --max-articles (1000); a server with lower limits answers 413,
// and the batch is sent again in halves.
const (
	remoteBatchBytes    = 4 << 20
	remoteBatchArticles = 500
)

// remoteFile is a file to send and how many articles it holds.
type remoteFile struct {
	file     httpapi.File
	size     int // bytes of its content as sent
	articles int
}

// remoteFiles turns the files read into what the server parses: each
// file's bytes with its name, id and format, and the ids (and title) the
// CLI gave its articles after loading (--id-prefix, --id, --title, ids two
// files share), so that the server stores exactly what a local index
// stores. Files that gave no article here (skipped, with a warning) are
// not sent.
func remoteFiles(raw []rawFile, arts []article.Article) ([]remoteFile, error) {
	bySource := map[string][]article.Article{}
	for _, a := range arts {
		bySource[a.Source] = append(bySource[a.Source], a)
	}
	var out []remoteFile
	for _, r := range raw {
		kept := bySource[r.source]
		if len(kept) == 0 {
			continue
		}
		format := article.DetectFormat(r.source, r.id, r.data)
		orig, _, err := article.Parse(r.source, r.id, r.data, format)
		if err != nil {
			return nil, fmt.Errorf("parse %s: %w", r.source, err)
		}
		// The kept articles are the file's in order, some left out (ids
		// the request model refuses): match them by text.
		ids := make([]string, len(orig))
		i := 0
		for j, o := range orig {
			if i < len(kept) && kept[i].Text == o.Text {
				ids[j] = kept[i].ID
				i++
			}
		}
		if i != len(kept) {
			return nil, fmt.Errorf("%s: %d of its %d articles could not be matched to what the server will parse", r.source, len(kept)-i, len(kept))
		}
		f := httpapi.File{Name: r.source, ID: r.id, Format: format, IDs: ids}
		if len(orig) == 1 && kept[0].Title != orig[0].Title {
			f.Title = kept[0].Title
		}
		if utf8.Valid(r.data) {
			text := string(r.data)
			f.Text = &text
		} else {
			f.Base64 = base64.StdEncoding.EncodeToString(r.data)
		}
		out = append(out, remoteFile{file: f, size: len(r.data) + len(f.Base64), articles: len(kept)})
	}
	return out, nil
}

// remoteIndex sends the files read to the server, which parses and
// indexes them as a local index does, in batches within its limits, and
// prints the summary index prints.
func remoteIndex(c *cli.Context, arts []article.Article, raw []rawFile, skipped int, stdinID string) error {
	if c.Bool("prune") || c.Bool("dry-run") || c.Bool("rebuild") {
		return usagef("index --server: --prune, --dry-run and --rebuild work on the data directory only; stop the server to use them")
	}
	cl, err := newClient(c)
	if err != nil {
		return err
	}
	files, err := remoteFiles(raw, arts)
	if err != nil {
		return fmt.Errorf("index --server: %w", err)
	}
	start := time.Now()
	var sum struct {
		Collection                                string
		New, Updated, Unchanged, Duplicates, Pass int
		Total                                     int
	}
	var send func(batch []remoteFile) error
	send = func(batch []remoteFile) error {
		fs := make([]httpapi.File, len(batch))
		for i, f := range batch {
			fs[i] = f.file
		}
		// The server's warnings are the loader's, printed already.
		resp, err := cl.AddFiles(c.Context, remoteCollection(c), fs)
		var e *httpapi.Error
		if errors.As(err, &e) && e.Status == http.StatusRequestEntityTooLarge {
			if len(batch) == 1 {
				return fmt.Errorf("%s is too large for the server in one request (its --max-body and --max-articles): %w", batch[0].file.Name, err)
			}
			if err := send(batch[:len(batch)/2]); err != nil {
				return err
			}
			return send(batch[len(batch)/2:])
		}
		if errors.As(err, &e) && e.Index != nil {
			resp = *e.Index // what the failed request stored, counted below
		} else if err != nil {
			return err
		}
		sum.Collection = resp.Collection
		sum.New += resp.New
		sum.Updated += resp.Updated
		sum.Unchanged += resp.Unchanged
		sum.Duplicates += resp.Duplicates
		sum.Pass += resp.Passages
		sum.Total = resp.TotalPassages
		return err
	}
	var batch []remoteFile
	size, n := 0, 0
	for _, f := range files {
		if len(batch) > 0 && (size+f.size > remoteBatchBytes || n+f.articles > remoteBatchArticles) {
			if err = send(batch); err != nil {
				break
			}
			batch, size, n = nil, 0, 0
		}
		batch = append(batch, f)
		size += f.size
		n += f.articles
	}
	if err == nil && len(batch) > 0 {
		err = send(batch)
	}
	if sum.Collection == "" {
		sum.Collection = remoteCollection(c)
	}
	// The summary counts the requests the server acknowledged, also when a
	// later one failed (the error names what that one stored).
	fmt.Fprintf(c.App.Writer, "indexed %q through %s: %d new, %d updated, %d unchanged, 0 removed, %d skipped; %s embedded (%d stored); total %s\n",
		sum.Collection, cl.Base(), sum.New, sum.Updated, sum.Unchanged, skipped+sum.Duplicates,
		plural(sum.Pass, "passage", "passages"), sum.Total, time.Since(start).Round(time.Millisecond))
	if err != nil {
		return serverErr("index --server", err)
	}
	if stdinID != "" {
		fmt.Fprintf(c.App.Writer, "stdin was indexed as id %q (set it with --id)\n", stdinID)
	}
	return nil
}

// remoteSearch asks the server and prints the answer as search does.
func remoteSearch(c *cli.Context, question string, f engine.FilterSpec) error {
	cl, err := newClient(c)
	if err != nil {
		return err
	}
	k, minScore := c.Int("k"), c.Float64("min-score")
	req := httpapi.SearchRequest{Query: question, K: &k, MinScore: &minScore, Explain: c.Bool("explain"),
		Collection: remoteCollection(c), Mode: c.String("mode"), KeepDuplicates: c.Bool("keep-duplicates")}
	if c.IsSet("mmr") {
		mmr := c.Float64("mmr")
		req.MMR = &mmr
	}
	if c.IsSet("max-per-doc") {
		n := c.Int("max-per-doc")
		req.MaxPerDoc = &n
	}
	if len(f.DocIDs) > 0 || f.DocPrefix != "" || len(f.Meta) > 0 || f.After != "" || f.Before != "" {
		req.Filter = &httpapi.Filter{DocIDs: f.DocIDs, DocPrefix: f.DocPrefix, Meta: f.Meta, After: f.After, Before: f.Before}
	}
	resp, err := cl.Search(c.Context, req)
	if err != nil {
		return serverErr("search --server", err)
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
	cl, err := newClient(c)
	if err != nil {
		return err
	}
	var missing []string
	deleted := 0
	for _, id := range ids {
		_, err := cl.Delete(c.Context, remoteCollection(c), id)
		switch {
		case httpapi.IsNotFound(err):
			missing = append(missing, id)
		case err != nil:
			return serverErr("delete --server", err)
		default:
			deleted++
		}
	}
	if deleted == 0 && len(missing) > 0 {
		// The server answers not_found for a missing collection too: say
		// which it is.
		cols, err := cl.Collections(c.Context)
		if err != nil {
			return serverErr("delete --server", err)
		}
		name := cmp.Or(remoteCollection(c), cols.Default)
		if !slices.ContainsFunc(cols.Collections, func(c vectorstore.Collection) bool { return c.Name == name }) {
			return fmt.Errorf("delete --server: %s has no collection %q", cl.Base(), name)
		}
	}
	fmt.Fprintf(c.App.Writer, "deleted %d of %s through %s\n", deleted, plural(len(ids), "article", "articles"), cl.Base())
	if len(missing) > 0 {
		return fmt.Errorf("delete --server: not found: %s", strings.Join(missing, ", "))
	}
	return nil
}
