package mcpserver

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"

	"github.com/modelcontextprotocol/go-sdk/jsonrpc"
)

// DefaultMaxLineBytes bounds one message over stdio when
// [Config.MaxLineBytes] is zero: 16 MiB, room for add_documents with a
// few long articles.
const DefaultMaxLineBytes = 16 << 20

// JSON-RPC error codes for lines that never reach the SDK.
const (
	codeParseError     = -32700
	codeInvalidRequest = -32600
)

// stdioFilter stands between stdin and the SDK's transport, which ends the
// session on the first line it cannot decode. It passes on each line that
// is one JSON-RPC message, and answers every other line with an error, so
// one bad line costs that message only: a parse error (-32700) for a line
// that is not JSON, cut off, or longer than max bytes (discarded without
// holding it), and an invalid request (-32600) for JSON that is not a
// message, or a batch (which MCP dropped in 2025-06-18 and the SDK
// refuses by ending the session).
type stdioFilter struct {
	src     *bufio.Reader
	max     int
	out     *lockedWriter
	log     *slog.Logger
	pending []byte // the rest of a good line the SDK has not read yet
}

func (f *stdioFilter) Read(p []byte) (int, error) {
	for len(f.pending) == 0 {
		line, err := f.next()
		if len(line) > 0 {
			f.pending = line
			break
		}
		if err != nil {
			return 0, err
		}
	}
	n := copy(p, f.pending)
	f.pending = f.pending[n:]
	return n, nil
}

// next returns the next good line with its newline, or nil after
// answering a bad one; the error is the source's (io.EOF at the end).
func (f *stdioFilter) next() ([]byte, error) {
	var line []byte
	size, tooLong := 0, false
	var err error
	for {
		var chunk []byte
		chunk, err = f.src.ReadSlice('\n')
		size += len(chunk)
		if !tooLong {
			if size > f.max {
				tooLong, line = true, nil
			} else {
				line = append(line, chunk...)
			}
		}
		if !errors.Is(err, bufio.ErrBufferFull) {
			break
		}
	}
	trimmed := bytes.TrimSpace(line)
	switch {
	case tooLong:
		f.refuse(codeParseError, nil, fmt.Sprintf("parse error: a message of more than %d bytes is too long (line of %d bytes discarded); send smaller messages, e.g. fewer documents per add_documents call", f.max, size))
		return nil, err
	case len(trimmed) == 0:
		return nil, err
	case !json.Valid(trimmed):
		f.refuse(codeParseError, nil, fmt.Sprintf("parse error: a line of %d bytes is not JSON; send one JSON-RPC message per line", size))
		return nil, err
	case trimmed[0] == '[':
		f.refuse(codeInvalidRequest, nil, "invalid request: JSON-RPC batches are not supported; send one message per line")
		return nil, err
	}
	if _, derr := jsonrpc.DecodeMessage(trimmed); derr != nil {
		var m struct{ ID any }
		_ = json.Unmarshal(trimmed, &m)
		var id any
		switch m.ID.(type) {
		case string, float64:
			id = m.ID
		}
		f.refuse(codeInvalidRequest, id, "invalid request: "+derr.Error())
		return nil, err
	}
	return append(trimmed, '\n'), err
}

// refuse answers a line that is not a message with a JSON-RPC error (id,
// when the line had one, else null) and logs it (its length, not its
// content).
func (f *stdioFilter) refuse(code int, id any, msg string) {
	f.log.Warn("mcp: refused a line on stdin", "code", code, "reason", msg)
	b, err := json.Marshal(map[string]any{"jsonrpc": "2.0", "id": id, "error": map[string]any{"code": code, "message": msg}})
	if err != nil {
		return
	}
	if _, err := f.out.Write(append(b, '\n')); err != nil {
		f.log.Warn("mcp: answer a refused line", "error", err)
	}
}

// lockedWriter serialises whole messages from the SDK and from
// [stdioFilter] on stdout. The SDK writes each message with one Write.
type lockedWriter struct {
	mu sync.Mutex
	w  io.WriteCloser
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

func (l *lockedWriter) Close() error { return l.w.Close() }

// readCloser pairs the filter with the stdin it reads, for the SDK.
type readCloser struct {
	io.Reader
	io.Closer
}
