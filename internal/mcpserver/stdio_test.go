package mcpserver

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"
)

// TestServer_RunStdio_badLines: one bad line over stdio (not JSON, cut
// off, or far too long) gets a JSON-RPC error and the session goes on: the
// next request is answered. It used to end the session.
func TestServer_RunStdio_badLines(t *testing.T) {
	s := newServer(t, false)
	inR, inW := io.Pipe()
	outR, outW := io.Pipe()
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- s.RunStdio(ctx, inR, outW) }()
	lines := make(chan string, 16)
	go func() {
		sc := bufio.NewScanner(outR)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	send := func(t *testing.T, s string) {
		t.Helper()
		errc := make(chan error, 1)
		go func() { _, err := io.WriteString(inW, s+"\n"); errc <- err }()
		select {
		case err := <-errc:
			if err != nil {
				t.Fatalf("write: %v", err)
			}
		case <-time.After(20 * time.Second):
			t.Fatal("the server stopped reading")
		}
	}
	type reply struct {
		ID    json.RawMessage
		Error *struct {
			Code    int
			Message string
		}
		Result json.RawMessage
	}
	read := func(t *testing.T) reply {
		t.Helper()
		select {
		case l, ok := <-lines:
			if !ok {
				t.Fatal("the server closed its output: the session ended")
			}
			var r reply
			if err := json.Unmarshal([]byte(l), &r); err != nil {
				t.Fatalf("reply %q: %v", l, err)
			}
			return r
		case <-time.After(20 * time.Second):
			t.Fatal("no reply")
		}
		return reply{}
	}
	send(t, `{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}`)
	if r := read(t); r.Error != nil || string(r.ID) != "1" {
		t.Fatalf("initialize: %+v", r)
	}
	send(t, `{"jsonrpc":"2.0","method":"notifications/initialized"}`)

	for i, tc := range []struct {
		name, line string
		code       int
	}{
		{"not JSON", "hello there", -32700},
		{"cut off", `{"jsonrpc":"2.0","id":7,"method":"tools/li`, -32700},
		{"60 MB line", `{"jsonrpc":"2.0","id":8,"method":"ping","params":{"x":"` + strings.Repeat("a", 60<<20) + `"}}`, -32700},
		{"control bytes", "\x1b[2J\x00\x01", -32700},
		{"a number", "42", -32600},
		{"an empty object", "{}", -32600},
		{"an empty batch", "[]", -32600},
		{"wrong version", `{"jsonrpc":"1.0","id":3,"method":"ping"}`, -32600},
	} {
		t.Run(tc.name, func(t *testing.T) {
			send(t, tc.line)
			r := read(t)
			wantID := "null"
			if strings.Contains(tc.line, `"id":3`) {
				wantID = "3"
			}
			if r.Error == nil || r.Error.Code != tc.code || string(r.ID) != wantID {
				t.Errorf("reply to a bad line: %+v, want error %d with id %s", r, tc.code, wantID)
			} else {
				t.Logf("%d %s", r.Error.Code, r.Error.Message)
			}
			id := 100 + i
			send(t, fmt.Sprintf(`{"jsonrpc":"2.0","id":%d,"method":"tools/list"}`, id))
			if r := read(t); r.Error != nil || string(r.ID) != fmt.Sprint(id) || len(r.Result) == 0 {
				t.Errorf("request after the bad line: %+v", r)
			}
		})
	}
	inW.Close()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("RunStdio: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Error("RunStdio did not end at end of input")
	}
}
