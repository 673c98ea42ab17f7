package main

import (
	"fmt"
	"runtime/debug"
	"strings"

	"github.com/urfave/cli/v2"
)

// runRoot runs when no command is given: it shows the help, or refuses an
// unknown command.
func runRoot(c *cli.Context) error {
	if c.NArg() > 0 {
		return usagef("unknown command %q", c.Args().First())
	}
	return cli.ShowAppHelp(c)
}

// helpCommand replaces urfave/cli's, which exits 3 (eval's status) for an
// unknown topic.
func helpCommand() *cli.Command {
	return &cli.Command{
		Name:      "help",
		Usage:     "show the commands, or one command's flags",
		ArgsUsage: "[COMMAND]",
		Action: func(c *cli.Context) error {
			switch c.NArg() {
			case 0:
				return cli.ShowAppHelp(c)
			case 1:
				name := c.Args().First()
				if c.App.Command(name) == nil {
					return usagef("help: unknown command %q", name)
				}
				return cli.ShowCommandHelp(c.Lineage()[1], name)
			}
			return usagef("help: give at most one command")
		},
		OnUsageError: onUsageError,
	}
}

func versionCommand() *cli.Command {
	return &cli.Command{
		Name:  "version",
		Usage: "print the version (module version and VCS revision)",
		Action: func(c *cli.Context) error {
			_, err := fmt.Fprintln(c.App.Writer, "semsearch "+version())
			return err
		},
		OnUsageError: onUsageError,
	}
}

// version describes the build: the module version and, when Go recorded
// it, the VCS revision, its time and whether the tree was modified.
func version() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "unknown"
	}
	v := bi.Main.Version
	if v == "" {
		v = "(devel)"
	}
	var rev, at, dirty string
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.time":
			at = s.Value
		case "vcs.modified":
			if s.Value == "true" {
				dirty = ", modified"
			}
		}
	}
	if rev == "" {
		return v
	}
	parts := []string{"revision " + rev}
	if at != "" {
		parts = append(parts, at)
	}
	return v + " (" + strings.Join(parts, ", ") + dirty + ")"
}
