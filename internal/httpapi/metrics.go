package httpapi

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/semsearch/semsearch/internal/engine"
)

// Metrics are the server's Prometheus metrics, in a registry of their own
// (nothing is registered globally). /metrics exposes them:
//
//	semsearch_http_requests_total{route,method,status}            counter
//	semsearch_http_request_duration_seconds{route,method,status}  histogram
//	semsearch_embed_duration_seconds{op}                          histogram, op "query" or "documents"
//	semsearch_embed_errors_total{op}                              counter
//	semsearch_documents{collection}                               gauge, read at scrape time
//	semsearch_passages{collection}                                gauge, read at scrape time
//	semsearch_query_cache_{hits,misses}_total, _entries           when a cache is configured
//
// plus the Go runtime and process collectors. Routes are templates such as
// "/v1/documents/{id:.+}", or "unmatched".
type Metrics struct {
	reg      *prometheus.Registry
	requests *prometheus.CounterVec
	latency  *prometheus.HistogramVec
	embed    *prometheus.HistogramVec
	embedErr *prometheus.CounterVec
}

// latencyBuckets span 1 ms to about 33 s.
func latencyBuckets() []float64 { return prometheus.ExponentialBuckets(0.001, 2, 16) }

// NewMetrics returns a fresh set of metrics.
func NewMetrics() *Metrics {
	m := &Metrics{
		reg: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "semsearch_http_requests_total",
			Help: "HTTP requests served, by route template, method and status.",
		}, []string{"route", "method", "status"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "semsearch_http_request_duration_seconds",
			Help:    "Time to serve HTTP requests, by route template, method and status.",
			Buckets: latencyBuckets(),
		}, []string{"route", "method", "status"}),
		embed: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "semsearch_embed_duration_seconds",
			Help:    "Time of embedding calls to the model server (query cache hits excluded), by operation.",
			Buckets: latencyBuckets(),
		}, []string{"op"}),
		embedErr: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "semsearch_embed_errors_total",
			Help: "Failed embedding calls, by operation.",
		}, []string{"op"}),
	}
	m.reg.MustRegister(m.requests, m.latency, m.embed, m.embedErr,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// handler serves the metrics in the Prometheus text format.
func (m *Metrics) handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg})
}

func (m *Metrics) observeRequest(route, method string, status int, d time.Duration) {
	switch method { // bound the label's values
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut,
		http.MethodPatch, http.MethodDelete, http.MethodOptions:
	default:
		method = "other"
	}
	code := strconv.Itoa(status)
	m.requests.WithLabelValues(route, method, code).Inc()
	m.latency.WithLabelValues(route, method, code).Observe(d.Seconds())
}

// Embedder returns e with its calls timed into the embedding metrics. Wrap
// the model client with it, under any cache, so that only real calls count.
func (m *Metrics) Embedder(e engine.Embedder) engine.Embedder {
	return &timedEmbedder{next: e, m: m}
}

type timedEmbedder struct {
	next engine.Embedder
	m    *Metrics
}

func (t *timedEmbedder) EmbedDocuments(ctx context.Context, texts []string) ([][]float32, error) {
	start := time.Now()
	v, err := t.next.EmbedDocuments(ctx, texts)
	t.m.observeEmbed("documents", time.Since(start), err)
	return v, err
}

func (t *timedEmbedder) EmbedQuery(ctx context.Context, text string) ([]float32, error) {
	start := time.Now()
	v, err := t.next.EmbedQuery(ctx, text)
	t.m.observeEmbed("query", time.Since(start), err)
	return v, err
}

func (m *Metrics) observeEmbed(op string, d time.Duration, err error) {
	m.embed.WithLabelValues(op).Observe(d.Seconds())
	if err != nil {
		m.embedErr.WithLabelValues(op).Inc()
	}
}

// watch registers the gauges read at scrape time from cat and cache.
func (m *Metrics) watch(cat Catalog, cache CacheReporter) error {
	store := &storeCollector{
		cat:       cat,
		documents: prometheus.NewDesc("semsearch_documents", "Documents stored, by collection.", []string{"collection"}, nil),
		passages:  prometheus.NewDesc("semsearch_passages", "Passages stored, by collection.", []string{"collection"}, nil),
	}
	if err := m.reg.Register(store); err != nil {
		return errors.New("metrics already serve another server")
	}
	if cache == nil {
		return nil
	}
	return m.reg.Register(&cacheCollector{
		cache:   cache,
		hits:    prometheus.NewDesc("semsearch_query_cache_hits_total", "Query embeddings served from the cache.", nil, nil),
		misses:  prometheus.NewDesc("semsearch_query_cache_misses_total", "Query embeddings not found in the cache.", nil, nil),
		entries: prometheus.NewDesc("semsearch_query_cache_entries", "Query embeddings in the cache.", nil, nil),
	})
}

// scrapeTimeout bounds how long a scrape waits for the store.
const scrapeTimeout = 5 * time.Second

// storeCollector reports documents and passages per collection when
// scraped, so the gauges are never stale.
type storeCollector struct {
	cat                 Catalog
	documents, passages *prometheus.Desc
}

func (c *storeCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.documents
	ch <- c.passages
}

func (c *storeCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), scrapeTimeout)
	defer cancel()
	cols, err := c.cat.Collections(ctx)
	if err != nil {
		ch <- prometheus.NewInvalidMetric(c.documents, err)
		return
	}
	for _, col := range cols {
		ch <- prometheus.MustNewConstMetric(c.documents, prometheus.GaugeValue, float64(col.Documents), col.Name)
		ch <- prometheus.MustNewConstMetric(c.passages, prometheus.GaugeValue, float64(col.Passages), col.Name)
	}
}

// cacheCollector reports the query cache's counters when scraped.
type cacheCollector struct {
	cache                 CacheReporter
	hits, misses, entries *prometheus.Desc
}

func (c *cacheCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.hits
	ch <- c.misses
	ch <- c.entries
}

func (c *cacheCollector) Collect(ch chan<- prometheus.Metric) {
	st := c.cache.Stats()
	ch <- prometheus.MustNewConstMetric(c.hits, prometheus.CounterValue, float64(st.Hits))
	ch <- prometheus.MustNewConstMetric(c.misses, prometheus.CounterValue, float64(st.Misses))
	ch <- prometheus.MustNewConstMetric(c.entries, prometheus.GaugeValue, float64(st.Entries))
}
