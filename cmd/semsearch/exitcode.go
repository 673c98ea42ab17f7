package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/urfave/cli/v2"
)

// Exit codes, documented in --help and the README.
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
	return usageError{err}
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
	msg := "semsearch: " + oneLine(err.Error())
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
