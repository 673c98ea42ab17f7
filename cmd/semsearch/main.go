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
	"slices"
	"strings"
	"syscall"

	"github.com/urfave/cli/v2"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	app := newApp(os.Stdin, os.Stdout, os.Stderr)
	err := app.RunContext(ctx, interspersed(app, os.Args))
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

// interspersed moves the flags given after a command's positional arguments
// in front of them (`semsearch get ID --lines 3-5`), because urfave/cli v2
// stops parsing flags at the first positional argument. Everything after
// "--" stays positional.
func interspersed(app *cli.App, args []string) []string {
	takesValue := func(flags []cli.Flag, tok string) bool {
		name := strings.TrimLeft(tok, "-")
		if strings.Contains(name, "=") {
			return false
		}
		for _, f := range flags {
			if slices.Contains(f.Names(), name) {
				tv, ok := f.(interface{ TakesValue() bool })
				return ok && tv.TakesValue()
			}
		}
		return false
	}
	isFlag := func(tok string) bool { return len(tok) > 1 && tok[0] == '-' }

	i := 1
	for i < len(args) && isFlag(args[i]) && args[i] != "--" {
		if takesValue(app.Flags, args[i]) {
			i++
		}
		i++
	}
	if i >= len(args) {
		return args
	}
	cmd := app.Command(args[i])
	if cmd == nil {
		return args
	}
	var flags, positional []string
	rest := args[i+1:]
	for j := 0; j < len(rest); j++ {
		tok := rest[j]
		switch {
		case tok == "--":
			positional = append(positional, rest[j:]...)
			j = len(rest)
		case isFlag(tok):
			flags = append(flags, tok)
			if takesValue(cmd.Flags, tok) && j+1 < len(rest) {
				j++
				flags = append(flags, rest[j])
			}
		default:
			positional = append(positional, tok)
		}
	}
	out := append(slices.Clone(args[:i+1]), flags...)
	return append(out, positional...)
}
