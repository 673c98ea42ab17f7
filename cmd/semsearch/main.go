// Command semsearch indexes articles and answers questions with cited
// passages, from the command line or over HTTP.
package main

import (
	"context"
	"io"
	"os"
	"os/signal"
	"slices"
	"strconv"
	"strings"
	"syscall"

	"github.com/urfave/cli/v2"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	stopProfiles := startProfiles(os.Getenv, os.Stderr)
	code := runMain(ctx, newApp(os.Stdin, os.Stdout, os.Stderr), os.Args, os.Stderr)
	stopProfiles()
	stop()
	if code != exitOK {
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
			"Embeddings come from a local Ollama (OLLAMA_HOST); passages and vectors live in a local data directory.\n\n" +
			exitCodesHelp,
		Version:              version(),
		Flags:                globalFlags(),
		Reader:               stdin,
		Writer:               stdout,
		ErrWriter:            stderr,
		EnableBashCompletion: true,
		// Flag values arrive as typed: "title=Hello, world" is one filter.
		DisableSliceFlagSeparator: true,
		// main prints errors itself, on one line.
		ExitErrHandler: func(*cli.Context, error) {},
		OnUsageError:   onUsageError,
		Action:         runRoot,
		Commands: []*cli.Command{
			withGlobal(helpCommand()),
			withGlobal(versionCommand()),
			withGlobal(indexCommand()),
			withGlobal(sourcesCommand()), // issue 22 items 4-5: cmd_sources.go
			withGlobal(syncCommand()),
			withGlobal(watchCommand()),
			withGlobal(searchCommand()),
			withGlobal(getCommand()),
			withGlobal(listCommand()),
			withGlobal(deleteCommand()),
			withGlobal(statsCommand()),
			withGlobal(collectionsCommand()),
			withGlobal(serveCommand()),
			withGlobal(repairCommand()),
			withGlobal(mcpCommand()),
			withGlobal(evalCommand()),
			withGlobal(exportCommand()), // issue 9: cmd_export.go
			withGlobal(importCommand()),
		},
	}
}

// interspersed puts every flag right after the command name: the global
// flags given before it (`semsearch --data D search q`), so that the command,
// which accepts them too, reads them with the right precedence over
// environment variables; and the flags given after its positional arguments
// (`semsearch get ID --lines 3-5`), because urfave/cli v2 stops parsing flags
// at the first positional argument. Everything after "--" stays positional,
// and so do negative numbers ("-40"). The shell-completion flag stays last.
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
	isFlag := func(tok string) bool {
		if len(tok) < 2 || tok[0] != '-' {
			return false
		}
		_, err := strconv.ParseFloat(tok, 64)
		return err != nil
	}

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
	flags := slices.Clone(args[1:i]) // global flags given before the command
	var positional []string
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
	completion := slices.Index(flags, "--generate-bash-completion")
	if completion >= 0 {
		flags = slices.Delete(flags, completion, completion+1)
	}
	out := append([]string{args[0], args[i]}, flags...)
	out = append(out, positional...)
	if completion >= 0 {
		out = append(out, "--generate-bash-completion")
	}
	return out
}
