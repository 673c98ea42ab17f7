// Command semsearch-load measures the search throughput of a running
// `semsearch serve`: N connections send POST /v1/search requests, cycling
// through a list of queries, for D seconds, then it prints requests/s,
// latency percentiles and errors.
//
//	semsearch-load -url http://127.0.0.1:8080 -c 8 -d 10s -queries questions.txt
//
// With -queries omitted it asks a built-in list of news questions. Repeated
// queries hit the server's query-embedding cache; pass -unique to make every
// query text distinct (a suffix " #N") and measure embedding as well.
//
// With -mode documents it measures writes instead: each connection POSTs one
// small new document at a time to /v1/documents (ids load-<run>-<n>), and it
// prints POSTs/s, latency percentiles and timeouts. The documents stay in the
// collection.
//
//	semsearch-load -url http://127.0.0.1:8080 -mode documents -c 8 -d 20s
package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// builtinQueries are questions about the sample articles
// (examples/articles).
func builtinQueries() []string {
	return []string{
		"Who did Trump fire the day before meeting Lavrov?",
		"What did Lavrov say about the FBI director?",
		"Who released photos of the Oval Office meeting?",
		"What did Tillerson and Lavrov discuss?",
		"Which journalists were allowed into the Oval Office?",
		"How did Russia react to the dismissal of Comey?",
		"What happened at the White House on Wednesday?",
		"Who is the Russian ambassador to the United States?",
	}
}

type options struct {
	url, apiKey, collection string
	conns, k                int
	duration, timeout       time.Duration
	queries                 []string
	unique                  bool
	mode                    string // "search" or "documents"
	run                     string // distinguishes this run's document ids
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "semsearch-load:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("semsearch-load", flag.ContinueOnError)
	var o options
	var queryFile string
	fs.StringVar(&o.url, "url", "http://127.0.0.1:8080", "base URL of semsearch serve")
	fs.StringVar(&o.apiKey, "api-key", os.Getenv("SEMSEARCH_API_KEY"), "bearer token (default $SEMSEARCH_API_KEY)")
	fs.StringVar(&o.collection, "collection", "", "collection to search (default: the server's)")
	fs.IntVar(&o.conns, "c", 4, "concurrent connections")
	fs.IntVar(&o.k, "k", 5, "passages per search")
	fs.DurationVar(&o.duration, "d", 10*time.Second, "how long to run")
	fs.DurationVar(&o.timeout, "timeout", 30*time.Second, "time limit of one request")
	fs.StringVar(&queryFile, "queries", "", "file with one query per line (default: built-in questions)")
	fs.BoolVar(&o.unique, "unique", false, "make every query text distinct, defeating the query cache")
	fs.StringVar(&o.mode, "mode", "search", "what to send: search (POST /v1/search) or documents (POST /v1/documents, one new document each)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if o.conns < 1 || o.duration <= 0 || o.k < 1 {
		return errors.New("-c, -d and -k must be positive")
	}
	if o.mode != "search" && o.mode != "documents" {
		return fmt.Errorf("-mode %q: want search or documents", o.mode)
	}
	o.run = strconv.FormatInt(time.Now().Unix(), 36)
	o.queries = builtinQueries()
	if queryFile != "" {
		qs, err := readQueries(queryFile)
		if err != nil {
			return err
		}
		o.queries = qs
	}
	o.url = strings.TrimRight(o.url, "/")

	client := &http.Client{
		Timeout:   o.timeout,
		Transport: &http.Transport{MaxIdleConnsPerHost: o.conns, MaxConnsPerHost: o.conns},
	}
	// One request first, so a wrong URL or key fails loudly.
	if _, err := send(ctx, client, o, 0); err != nil {
		return fmt.Errorf("first request: %w", err)
	}

	res := load(ctx, client, o)
	res.print(out, o)
	return nil
}

func readQueries(path string) ([]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var qs []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if q := strings.TrimSpace(sc.Text()); q != "" && !strings.HasPrefix(q, "#") {
			qs = append(qs, q)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if len(qs) == 0 {
		return nil, fmt.Errorf("%s holds no queries", path)
	}
	return qs, nil
}

// result is what a run measured.
type result struct {
	elapsed   time.Duration
	latencies []time.Duration // of successful requests
	errors    map[string]int  // by kind: "HTTP 503", "timeout", ...
}

func load(ctx context.Context, client *http.Client, o options) result {
	ctx, cancel := context.WithTimeout(ctx, o.duration)
	defer cancel()
	var next atomic.Int64
	var mu sync.Mutex
	res := result{errors: map[string]int{}}
	var wg sync.WaitGroup
	start := time.Now()
	for range o.conns {
		wg.Go(func() {
			var lat []time.Duration
			errs := map[string]int{}
			for ctx.Err() == nil {
				n := next.Add(1)
				t := time.Now()
				_, err := send(ctx, client, o, n)
				d := time.Since(t)
				switch {
				case err == nil:
					lat = append(lat, d)
				case ctx.Err() != nil: // the run ended mid-request: not counted
				default:
					errs[errorKind(err)]++
				}
			}
			mu.Lock()
			res.latencies = append(res.latencies, lat...)
			for k, v := range errs {
				res.errors[k] += v
			}
			mu.Unlock()
		})
	}
	wg.Wait()
	res.elapsed = time.Since(start)
	return res
}

// statusError is a non-200 answer.
type statusError struct {
	status int
	body   string
}

func (e *statusError) Error() string { return fmt.Sprintf("HTTP %d: %s", e.status, e.body) }

func errorKind(err error) string {
	var se *statusError
	if errors.As(err, &se) {
		return fmt.Sprintf("HTTP %d", se.status)
	}
	if errors.Is(err, context.DeadlineExceeded) || strings.Contains(err.Error(), "Client.Timeout") {
		return "timeout"
	}
	return "transport"
}

// send sends request n: a search, or in documents mode one new document.
func send(ctx context.Context, client *http.Client, o options, n int64) (int, error) {
	q := o.queries[int(n)%len(o.queries)]
	if o.mode == "documents" {
		return post(ctx, client, o, o.url+"/v1/documents"+collectionQuery(o), map[string]any{
			"id":    fmt.Sprintf("load-%s-%d", o.run, n),
			"title": fmt.Sprintf("Load test note %d", n),
			"text":  fmt.Sprintf("A note written by the load test (%d). It asks: %s", n, q),
		})
	}
	if o.unique {
		q = fmt.Sprintf("%s #%d", q, n)
	}
	return post(ctx, client, o, o.url+"/v1/search", map[string]any{"query": q, "k": o.k, "collection": o.collection})
}

func collectionQuery(o options) string {
	if o.collection == "" {
		return ""
	}
	return "?collection=" + url.QueryEscape(o.collection)
}

// post sends one JSON POST and returns the number of results (searches).
func post(ctx context.Context, client *http.Client, o options, target string, v any) (int, error) {
	body, _ := json.Marshal(v)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, bytes.NewReader(body))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	if o.apiKey != "" {
		req.Header.Set("Authorization", "Bearer "+o.apiKey)
	}
	resp, err := client.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return 0, err
	}
	if resp.StatusCode != http.StatusOK {
		return 0, &statusError{resp.StatusCode, strings.TrimSpace(string(data))}
	}
	var r struct {
		Results []json.RawMessage `json:"results"`
	}
	if err := json.Unmarshal(data, &r); err != nil {
		return 0, fmt.Errorf("decode response: %w", err)
	}
	return len(r.Results), nil
}

func (r result) print(w io.Writer, o options) {
	slices.Sort(r.latencies)
	n := len(r.latencies)
	errs := 0
	for _, v := range r.errors {
		errs += v
	}
	if o.mode == "documents" {
		fmt.Fprintf(w, "target      %s/v1/documents (one new document per request)\n", o.url)
	} else {
		fmt.Fprintf(w, "target      %s/v1/search (k=%d, %d queries, unique=%t)\n", o.url, o.k, len(o.queries), o.unique)
	}
	fmt.Fprintf(w, "load        %d connections for %s\n", o.conns, r.elapsed.Round(time.Millisecond))
	fmt.Fprintf(w, "requests    %d ok, %d errors\n", n, errs)
	unit := "requests/s"
	if o.mode == "documents" {
		unit = "POSTs/s"
	}
	fmt.Fprintf(w, "throughput  %.1f %s\n", float64(n)/r.elapsed.Seconds(), unit)
	fmt.Fprintf(w, "timeouts    %d\n", r.errors["timeout"])
	if n > 0 {
		fmt.Fprintf(w, "latency     p50 %s  p90 %s  p99 %s  max %s\n",
			pct(r.latencies, 0.50), pct(r.latencies, 0.90), pct(r.latencies, 0.99), r.latencies[n-1].Round(time.Microsecond))
	}
	kinds := make([]string, 0, len(r.errors))
	for k := range r.errors {
		kinds = append(kinds, k)
	}
	slices.Sort(kinds)
	for _, k := range kinds {
		fmt.Fprintf(w, "errors      %s: %d\n", k, r.errors[k])
	}
}

// pct returns the p-quantile of sorted durations (nearest rank).
func pct(sorted []time.Duration, p float64) time.Duration {
	i := int(float64(len(sorted))*p+0.5) - 1
	i = min(max(i, 0), len(sorted)-1)
	return sorted[i].Round(time.Microsecond)
}
