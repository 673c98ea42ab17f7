package engine

import (
	"context"
	"fmt"
)

// zeroProbe is embedded when an article's passages all come back as zero
// vectors: everyday words of several frequency bands (a model may zero the
// most frequent words on purpose, as stopwords). A model that knows none of
// them is broken (weights lost, not an embedding model), and an article it
// answered with zeros was not an article of unknown words.
const zeroProbe = "Farmers sold apples, bread and potatoes at the village market while teachers, doctors and engineers talked about the weather, football, music and rising prices."

// zeroCheck is what an index run learnt about its model answering zeros;
// the probe runs at most once per run.
type zeroCheck struct {
	probed, broken bool
}

// checkZeroVectors refuses a batch before it is stored when the model
// answered all-zero vectors for every passage of one of its articles and
// for zeroProbe too. A passage, or a whole article, of words the model does
// not know may embed to zero: it is kept (BM25 finds it), with a log line.
func (e *Engine) checkZeroVectors(ctx context.Context, batch []*pending, vecs [][]float32, zc *zeroCheck) error {
	off := 0
	var zero *pending
	for _, p := range batch {
		vs := vecs[off : off+p.n]
		off += p.n
		if zero == nil && len(vs) > 0 && allZero(vs) {
			zero = p
		}
	}
	if zero == nil {
		return nil
	}
	if !zc.probed {
		v, err := e.emb.EmbedDocuments(ctx, []string{zeroProbe})
		if err != nil {
			return fmt.Errorf("embed a probe of common words after zero vectors for %s: %w", zero.art.ID, err)
		}
		zc.probed, zc.broken = true, len(v) != 1 || allZero(v)
	}
	if zc.broken {
		return fmt.Errorf("%w: model %q answered all-zero vectors for every passage of %s (%s) and for a probe of common words, so its vectors cannot be searched; nothing of these articles was stored: check the model (ollama show %s; pull it again with ollama pull %s) or choose another --model",
			ErrModelBroken, e.cfg.Model, zero.art.ID, zero.art.Source, e.cfg.Model, e.cfg.Model)
	}
	e.log.Info("article embeds to zero vectors: the model knows none of its words; keyword search finds it", "id", zero.art.ID, "model", e.cfg.Model)
	return nil
}

// allZero reports whether every element of every vector is zero.
func allZero(vs [][]float32) bool {
	for _, v := range vs {
		for _, f := range v {
			if f != 0 {
				return false
			}
		}
	}
	return true
}
