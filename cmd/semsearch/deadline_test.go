package main

import (
	"context"
	"strings"
	"testing"

	"github.com/urfave/cli/v2"

	"github.com/semsearch/semsearch/internal/engine"
)

// TestDeadline_perCommand: SEMSEARCH_TIMEOUT bounds short commands only;
// servers never get an overall deadline (an exported variable once stopped
// serve after it, with status 0), and long work only when --timeout is typed.
func TestDeadline_perCommand(t *testing.T) {
	tests := []struct {
		cmd, env     string
		args         []string
		wantDeadline bool
		wantErr      bool
	}{
		{cmd: "search", wantDeadline: true}, // the default minute
		{cmd: "search", env: "3s", wantDeadline: true},
		{cmd: "search", args: []string{"--timeout", "0"}},
		{cmd: "serve", env: "3s"},
		{cmd: "mcp", env: "3s"},
		{cmd: "serve", args: []string{"--timeout", "3s"}, wantErr: true},
		{cmd: "index", env: "3s"},
		{cmd: "export", env: "3s"},
		{cmd: "index", args: []string{"--timeout", "3s"}, wantDeadline: true},
		{cmd: "search", env: "soon", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.cmd+" "+tt.env+" "+strings.Join(tt.args, " "), func(t *testing.T) {
			t.Setenv("SEMSEARCH_TIMEOUT", tt.env)
			ran, has := false, false
			app := &cli.App{Name: "semsearch", ExitErrHandler: func(*cli.Context, error) {}, Commands: []*cli.Command{withDeadline(&cli.Command{
				Name: tt.cmd, Flags: deadlineFlags(),
				Action: func(c *cli.Context) error {
					ran = true
					_, has = c.Context.Deadline()
					return nil
				},
			})}}
			err := app.RunContext(context.Background(), append([]string{"semsearch", tt.cmd}, tt.args...))
			if (err != nil) != tt.wantErr {
				t.Fatalf("err %v, want error %v", err, tt.wantErr)
			}
			if !tt.wantErr && (!ran || has != tt.wantDeadline) {
				t.Errorf("ran %v, deadline %v; want deadline %v", ran, has, tt.wantDeadline)
			}
		})
	}
}

// TestNeedsOllama: mcp picks the mode per call, so a bm25 default must not
// leave it without an Ollama client (its status tool once hit a nil one).
func TestNeedsOllama(t *testing.T) {
	if needsOllama(&config{mode: engine.BM25}, false) {
		t.Error("a read-only bm25 search needs no Ollama")
	}
	if !needsOllama(&config{mode: engine.BM25, modePerCall: true}, false) {
		t.Error("mcp with a bm25 default still needs Ollama for hybrid calls")
	}
}
