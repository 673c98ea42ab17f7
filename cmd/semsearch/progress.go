package main

import (
	"fmt"
	"io"

	"github.com/schollz/progressbar/v3"

	"github.com/semsearch/semsearch/internal/engine"
)

// showProgress reports whether long work should draw progress on w: only on
// an interactive terminal outside CI, and not with --quiet.
func showProgress(w io.Writer, quiet bool) bool {
	return !quiet && isTerminal(w)
}

// indexProgress draws an index run's embedding progress on w: articles,
// passages, passages per second, and [time spent:time left]. Finish ends
// the line. It redraws once per embedding call, so it needs no throttle.
type indexProgress struct {
	w     io.Writer
	label string
	bar   *progressbar.ProgressBar
}

func newIndexProgress(w io.Writer, label string) *indexProgress {
	return &indexProgress{w: w, label: label}
}

// Update is an [engine.IndexOptions.OnProgress] callback.
func (p *indexProgress) Update(pr engine.IndexProgress) {
	if pr.PassagesTotal == 0 {
		return
	}
	if p.bar == nil {
		p.bar = progressbar.NewOptions(pr.PassagesTotal,
			progressbar.OptionSetWriter(p.w),
			progressbar.OptionSetDescription(p.describe(pr)),
			progressbar.OptionSetItsString("passages"),
			progressbar.OptionShowIts(),
			progressbar.OptionShowCount(),
			progressbar.OptionSetPredictTime(true),
			progressbar.OptionSetElapsedTime(true),
			progressbar.OptionSetWidth(24),
			progressbar.OptionSetRenderBlankState(true),
		)
	}
	_ = p.bar.Set(pr.Passages)
	p.bar.Describe(p.describe(pr))
}

func (p *indexProgress) describe(pr engine.IndexProgress) string {
	return fmt.Sprintf("%s %d/%d articles", p.label, pr.Articles, pr.ArticlesTotal)
}

// Finish ends the progress line, if one was drawn; later calls do nothing.
func (p *indexProgress) Finish() {
	if p.bar != nil {
		_ = p.bar.Exit()
		fmt.Fprintln(p.w)
		p.bar = nil
	}
}
