// Command semsearch indexes articles and answers questions with cited
// passages, from the command line or over HTTP.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/urfave/cli/v2"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := newApp(os.Stdin, os.Stdout, os.Stderr).RunContext(ctx, os.Args)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "semsearch: "+oneLine(err.Error()))
		code := 1
		var ec cli.ExitCoder
		if errors.As(err, &ec) && ec.ExitCode() != 0 {
			code = ec.ExitCode()
		}
		os.Exit(code)
	}
}

// oneLine keeps error output to the single line scripts expect.
func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

func newApp(stdin io.Reader, stdout, stderr io.Writer) *cli.App {
	return &cli.App{
		Name:  "semsearch",
		Usage: "semantic search over your articles, with cited passages",
		Description: "Index articles (text, Markdown, HTML, JSON, JSON Lines), then ask questions in plain language.\n" +
			"Embeddings come from a local Ollama (OLLAMA_HOST); passages and vectors live in a local data directory.",
		Flags:                globalFlags(),
		Reader:               stdin,
		Writer:               stdout,
		ErrWriter:            stderr,
		HideHelpCommand:      true,
		EnableBashCompletion: true,
		// main prints errors itself, on one line.
		ExitErrHandler: func(*cli.Context, error) {},
		Commands: []*cli.Command{
			withGlobal(indexCommand()),
			withGlobal(searchCommand()),
			withGlobal(getCommand()),
			withGlobal(listCommand()),
			withGlobal(deleteCommand()),
			withGlobal(statsCommand()),
			withGlobal(serveCommand()),
			withGlobal(evalCommand()),
		},
	}
}
