package main

import (
	"errors"
	"fmt"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/semsearch/semsearch/internal/embed"
	"github.com/semsearch/semsearch/internal/suggest"
)

// similarModels returns, when err says Ollama lacks the model, the models
// it has that look like the one asked for (a typo: "glove-100" for
// "glove-100d"), or else the models it has; "" otherwise, or when Ollama
// cannot list them. It starts with "; " to follow the error.
func similarModels(c *cli.Context, a *app, err error) string {
	if !errors.Is(err, embed.ErrModelMissing) || a.embed == nil {
		return ""
	}
	names, lerr := a.embed.Models(c.Context)
	if lerr != nil || len(names) == 0 {
		return ""
	}
	model := a.cfg.emb.model
	if like := suggest.Similar(strings.TrimSuffix(model, ":latest"), names, 3); len(like) > 0 {
		return fmt.Sprintf("; Ollama has %s, which looks alike: did you mean --model %s?", suggest.Or(like), like[0])
	}
	const shown = 8
	more := ""
	if len(names) > shown {
		more = fmt.Sprintf(" and %d more", len(names)-shown)
		names = names[:shown]
	}
	return fmt.Sprintf("; Ollama has %s%s", strings.Join(names, ", "), more)
}
