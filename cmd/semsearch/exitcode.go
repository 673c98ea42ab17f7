package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/urfave/cli/v2"
)

// Exit codes, documented in --help and docs/cli.md.
const (
	exitOK      = 0
	exitFailure = 1 // the work failed: Ollama, the store, a file, a conflict
	exitUsage   = 2 // the command line is wrong: fix it and run again
	exitQuality = 3 // eval: a --min threshold or the --baseline failed
)

// exitCodesHelp is the exit code table --help shows.
const exitCodesHelp = "Exit codes: 0 success; 1 failure (Ollama, the store, a file); 2 usage error (unknown command or flag,\n" +
	"bad flag value, missing argument); 3 eval quality below --min or --baseline."

// usageError is a mistake in the command line; it exits with [exitUsage].
type usageError struct{ err error }

func (u usageError) Error() string { return u.err.Error() }
func (u usageError) Unwrap() error { return u.err }
func (u usageError) ExitCode() int { return exitUsage }

// usagef returns a usage error.
func usagef(format string, args ...any) error {
	return usageError{fmt.Errorf(format, args...)}
}

// asUsage marks err, when not nil, as a usage error.
func asUsage(err error) error {
	if err == nil {
		return nil
	}
	return usageError{err}
}

// onUsageError turns urfave/cli's flag parsing errors into one-line usage
// errors instead of a page of help.
func onUsageError(c *cli.Context, err error, _ bool) error {
	if errors.Is(err, flag.ErrHelp) {
		return cli.ShowAppHelp(c)
	}
	if name, ok := strings.CutPrefix(err.Error(), "flag provided but not defined: -"); ok {
		return usagef("unknown flag --%s", strings.TrimLeft(name, "-"))
	}
	return usageError{err}
}

// runMain runs the CLI on the command line args and reports the outcome as
// main does, returning the exit code.
func runMain(ctx context.Context, app *cli.App, args []string, stderr io.Writer) int {
	args = interspersed(app, args)
	err := repeatedFlag(app, args)
	if err == nil {
		err = app.RunContext(ctx, args)
	}
	return report(app, args, err, stderr)
}

// repeatedFlag refuses a single-valued flag given twice with different
// values (`-c a -c b`), which would otherwise silently take the last.
// args are as [interspersed] leaves them: flags right after the command.
func repeatedFlag(app *cli.App, args []string) error {
	if len(args) < 2 {
		return nil
	}
	cmd := app.Command(args[1])
	if cmd == nil {
		return nil
	}
	seen := map[string]string{}
	for i := 2; i < len(args); i++ {
		tok := args[i]
		if tok == "--" || !strings.HasPrefix(tok, "-") {
			break
		}
		name, value, hasValue := strings.Cut(strings.TrimLeft(tok, "-"), "=")
		var flag cli.Flag
		for _, f := range cmd.Flags {
			if slices.Contains(f.Names(), name) {
				flag = f
			}
		}
		tv, ok := flag.(interface{ TakesValue() bool })
		if flag == nil || !ok || !tv.TakesValue() {
			continue
		}
		if !hasValue && i+1 < len(args) {
			i++
			value = args[i]
		}
		switch flag.(type) {
		case *cli.StringSliceFlag, *cli.IntSliceFlag, *cli.Int64SliceFlag, *cli.Float64SliceFlag:
			continue
		}
		key := flag.Names()[0]
		if prev, ok := seen[key]; ok && prev != value {
			return usagef("--%s given twice (%q and %q): give it once", key, prev, value)
		}
		seen[key] = value
	}
	return nil
}

// exitCode returns the status err should end the process with.
func exitCode(err error) int {
	if err == nil {
		return exitOK
	}
	var ec cli.ExitCoder
	if errors.As(err, &ec) && ec.ExitCode() != 0 {
		return ec.ExitCode()
	}
	return exitFailure
}

// report writes err as the one line on stderr that scripts expect and
// returns the exit code. Usage errors point at the help of the command in
// args, which [interspersed] has put right after the program name.
func report(app *cli.App, args []string, err error, stderr io.Writer) int {
	code := exitCode(err)
	if code == exitOK {
		return code
	}
	msg := "semsearch: " + termLine(oneLine(err.Error()))
	if code == exitUsage {
		help := "semsearch --help"
		if len(args) > 1 && !strings.HasPrefix(args[1], "-") {
			if cmd := app.Command(args[1]); cmd != nil && cmd.Name != "help" {
				help = "semsearch " + cmd.Name + " --help"
			}
		}
		msg += " (see '" + help + "')"
	}
	fmt.Fprintln(stderr, msg)
	return code
}
