package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/semsearch/semsearch/internal/embed"
	"github.com/semsearch/semsearch/internal/engine"
)

// Time limits. A command that waits on Ollama longer than these fails and
// says so instead of hanging.
const (
	// defaultTimeout bounds a whole short command (search, get, list, ...).
	// Long work (index, eval, export, import, repair) has no overall limit
	// unless --timeout is typed on its command line, and the servers (serve,
	// mcp) have none at all: they run until stopped.
	defaultTimeout = time.Minute
	// defaultOllamaTimeout bounds each request to Ollama.
	defaultOllamaTimeout = 30 * time.Second
)

// deadlineFlags are the global flags that bound how long a command waits.
func deadlineFlags() []cli.Flag {
	return []cli.Flag{
		// No EnvVars: urfave/cli counts an environment variable as set, and
		// SEMSEARCH_TIMEOUT exported for searches must not stop a server or
		// cut a long index run short (see commandTimeout).
		// Its default depends on the command, so help shows that text
		// instead of the flag's zero Value (which means "not given").
		&cli.DurationFlag{Name: "timeout", Category: "global",
			Usage:       "overall time limit of the command, 0 for none",
			DefaultText: fmt.Sprintf("%s, or SEMSEARCH_TIMEOUT, for short commands; none for index, eval, export, import and repair; serve and mcp run until stopped", defaultTimeout)},
		&cli.DurationFlag{Name: "ollama-timeout", Category: "global", EnvVars: []string{"SEMSEARCH_OLLAMA_TIMEOUT"}, Value: defaultOllamaTimeout,
			Usage: "time limit of each request to Ollama of up to 16 passages, one more per 16 beyond (a timed-out batch is sent again in halves, anything else retried)"},
		&cli.DurationFlag{Name: "load-timeout", Category: "global", EnvVars: []string{"SEMSEARCH_LOAD_TIMEOUT"}, Value: embed.DefaultLoadTimeout,
			Usage: "time limit of loading the model, which happens before the first embedding (a progress line says so when it takes a while)"},
	}
}

// commandTimeout is the overall time limit of the command c runs (0: none):
// --timeout when typed, else SEMSEARCH_TIMEOUT or the default for short
// commands. Servers have none.
func commandTimeout(c *cli.Context) (time.Duration, error) {
	switch c.Command.Name {
	case "serve", "mcp":
		if c.IsSet("timeout") {
			return 0, fmt.Errorf("%s runs until stopped: --timeout does not apply to it (each request to Ollama is bounded by --ollama-timeout)", c.Command.Name)
		}
		return 0, nil
	}
	if c.IsSet("timeout") {
		return c.Duration("timeout"), nil
	}
	switch c.Command.Name {
	case "index", "eval", "export", "import", "repair":
		return 0, nil
	}
	if v := os.Getenv("SEMSEARCH_TIMEOUT"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil {
			return 0, fmt.Errorf("SEMSEARCH_TIMEOUT %q: want a duration such as 30s or 2m", v)
		}
		return d, nil
	}
	return defaultTimeout, nil
}

// withDeadline runs cmd's action under its overall time limit, and turns
// running out of time into a message that says what did not answer.
func withDeadline(cmd *cli.Command) *cli.Command {
	action := cmd.Action
	if action == nil {
		return cmd
	}
	cmd.Action = func(c *cli.Context) error {
		d, err := commandTimeout(c)
		if err != nil {
			return usagef("%s: %v", c.Command.Name, err)
		}
		if d < 0 {
			return usagef("%s: --timeout must be 0 or more", c.Command.Name)
		}
		if c.Duration("ollama-timeout") <= 0 {
			return usagef("%s: --ollama-timeout must be positive", c.Command.Name)
		}
		if c.Duration("load-timeout") <= 0 {
			return usagef("%s: --load-timeout must be positive", c.Command.Name)
		}
		if d == 0 {
			return action(c)
		}
		parent := c.Context
		ctx, cancel := context.WithTimeout(parent, d)
		defer cancel()
		c.Context = ctx
		err = action(c)
		c.Context = parent
		return deadlineError(c, err, ctx, d)
	}
	return cmd
}

// deadlineError explains err when the command's deadline passed: Ollama
// not answering, or the command not finishing in time.
func deadlineError(c *cli.Context, err error, ctx context.Context, d time.Duration) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, embed.ErrTimeout) {
		return fmt.Errorf("%s: Ollama at %s did not answer within %s (--timeout, SEMSEARCH_TIMEOUT; each request --ollama-timeout %s): is it running and not stuck? Check with `ollama ps` or restart it: %w",
			c.Command.Name, c.String("ollama"), d, c.Duration("ollama-timeout"), err)
	}
	if errors.Is(ctx.Err(), context.DeadlineExceeded) && errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("%s: did not finish within %s (--timeout, SEMSEARCH_TIMEOUT): %w", c.Command.Name, d, err)
	}
	return err
}

// needsOllama reports whether a command opened with cfg may embed: read-only
// bm25 searches never do, so they are wired without an Ollama client.
func needsOllama(cfg *config, writable bool) bool {
	return writable || cfg.modePerCall || cfg.mode != engine.BM25
}
