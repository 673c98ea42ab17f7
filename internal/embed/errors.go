package embed

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"slices"
	"strings"
	"syscall"
	"time"
	"unicode/utf8"

	"github.com/ollama/ollama/api"
)

var (
	// ErrUnreachable means no connection to the Ollama server could be made:
	// it is not running, or the host is wrong.
	ErrUnreachable = errors.New("Ollama not reachable")

	// ErrTimeout means the Ollama server accepted the connection (or was
	// being reached) but did not answer in time: within RequestTimeout, or
	// before the caller's deadline.
	ErrTimeout = errors.New("Ollama did not answer in time")

	// ErrModelMissing means the Ollama server does not have the model.
	ErrModelMissing = errors.New("model not found")

	// ErrDimensions means Ollama returned a vector whose length differs from
	// the dimension fixed by the client's first response.
	ErrDimensions = errors.New("embedding dimension mismatch")

	// ErrInputTooLong means an input exceeds the model's context and
	// truncation is off (see [Config.Truncate]).
	ErrInputTooLong = errors.New("input too long for the model's context")
)

// offlineModel is the model the project builds locally (`make runtime`);
// it cannot be pulled.
const offlineModel = "glove-100d"

// detailedError carries a sentinel kind, a complete human message and the
// underlying cause; errors.Is matches both kind and cause. The cause is never
// an ollama api type, so those stay out of reach of callers.
type detailedError struct {
	kind  error
	msg   string
	cause error
}

func (e *detailedError) Error() string { return e.msg }

func (e *detailedError) Unwrap() []error {
	if e.cause == nil {
		return []error{e.kind}
	}
	return []error{e.kind, e.cause}
}

// failure is one attempt's error, classified.
type failure struct {
	err       error // what the caller sees
	transient bool  // worth another attempt
}

// classify converts the error of one request to Ollama into our error and
// decides whether another attempt may succeed. timedOut reports that the
// attempt's own limit expired (the caller's context did not).
func (c *Client) classify(err error, timedOut bool, limit time.Duration) failure {
	if timedOut {
		return failure{&detailedError{kind: ErrTimeout, msg: fmt.Sprintf("ollama at %s did not answer within %s (RequestTimeout)", c.addr, limit)}, true}
	}

	var done *detailedError // already explained (the OpenAI-compatible path)
	if errors.As(err, &done) {
		return failure{err, false}
	}

	var authErr api.AuthorizationError
	if errors.As(err, &authErr) {
		return failure{fmt.Errorf("ollama at %s: unauthorized (HTTP %d)", c.addr, authErr.StatusCode), false}
	}

	var se *statusError
	if errors.As(err, &se) {
		return c.classifyStatus(se.code, se.text)
	}
	var ase api.StatusError
	if errors.As(err, &ase) {
		return c.classifyStatus(ase.StatusCode, cmp.Or(strings.TrimSpace(ase.ErrorMessage), ase.Status))
	}
	var be *bodyError
	if errors.As(err, &be) {
		return failure{fmt.Errorf("unexpected response from %s (is it an Ollama server?): %w", c.addr, be), false}
	}

	var dnsErr *net.DNSError
	if errors.As(err, &dnsErr) {
		return failure{c.unreachable(err), dnsErr.IsTemporary || dnsErr.IsTimeout}
	}

	// A refused connection is what a stopped Ollama gives: fail at once
	// (retrying made every call wait about 2s, every search of a `serve`
	// whose Ollama is down). A dial timeout is a host that does not answer
	// at all, and will not within the retry budget either.
	var opErr *net.OpError
	if errors.As(err, &opErr) && opErr.Op == "dial" {
		return failure{c.unreachable(err), false}
	}

	switch {
	case errors.Is(err, syscall.ECONNREFUSED):
		return failure{c.unreachable(err), false}
	case errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE),
		errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		return failure{fmt.Errorf("connection to ollama at %s lost: %w", c.addr, err), true}
	}

	var netErr net.Error
	if errors.As(err, &netErr) && netErr.Timeout() {
		return failure{fmt.Errorf("ollama at %s timed out: %w", c.addr, err), true}
	}

	var syntaxErr *json.SyntaxError
	var typeErr *json.UnmarshalTypeError
	if errors.As(err, &syntaxErr) || errors.As(err, &typeErr) {
		return failure{fmt.Errorf("unexpected response from %s (is it an Ollama server?): %w", c.addr, err), false}
	}

	return failure{fmt.Errorf("ollama at %s: %w", c.addr, err), false}
}

// runnerFailures are what Ollama says when its model runner failed rather
// than the request being wrong. Since v0.13.3 these come back as 400, so
// they are told from a bad request by the message: another attempt
// (which restarts the runner) may well succeed.
var runnerFailures = []string{
	"do embedding request", "llama runner", "runner process", "process has terminated",
	"no longer running", "out of memory", "eof", "connection reset", "connection refused",
	"server busy", "timed out waiting",
}

// classifyStatus handles an HTTP error status with the server's own text.
// 5xx are transient (a restarting runner, a full queue), and so are 4xx
// whose text says the runner failed; other 4xx are permanent.
func (c *Client) classifyStatus(code int, msg string) failure {
	msg = strings.TrimSpace(msg)
	if msg == "" {
		msg = http.StatusText(code)
	}
	lower := strings.ToLower(msg)
	switch {
	case code == http.StatusNotFound && strings.Contains(lower, "model"):
		// v0.6.5: model 'x' not found; newer: model "x" not found, try pulling it first
		return failure{c.modelMissing(), false}
	case code == http.StatusNotFound:
		return failure{fmt.Errorf("ollama API not found at %s (is it an Ollama server, and is the host's path right?): HTTP 404: %s", c.addr, msg), false}
	case code == http.StatusBadRequest && strings.Contains(lower, "exceeds") && strings.Contains(lower, "context"):
		text := fmt.Sprintf("input too long for the context of model %q and truncation is off: split the text or enable truncation (ollama: %s)", c.model, msg)
		if c.truncate {
			// Ollama v0.13.5 to at least v0.15 ignore truncate (ollama#14186).
			text = fmt.Sprintf("input too long for the context of model %q, although truncation was asked for (ollama: %s)", c.model, msg)
		}
		return failure{&detailedError{kind: ErrInputTooLong, msg: text}, false}
	case code >= 500:
		return failure{fmt.Errorf("ollama server error (HTTP %d): %s", code, msg), true}
	case code == http.StatusTooManyRequests:
		return failure{fmt.Errorf("ollama is busy (HTTP 429): %s", msg), true}
	case code == http.StatusBadRequest && slices.ContainsFunc(runnerFailures, func(s string) bool { return strings.Contains(lower, s) }):
		return failure{fmt.Errorf("ollama's model runner failed (HTTP 400): %s", msg), true}
	default:
		return failure{&detailedError{kind: errRejected, msg: fmt.Sprintf("ollama rejected the request (HTTP %d): %s", code, msg)}, false}
	}
}

// deadline is the error of a call whose caller's deadline passed while it
// waited for Ollama; last is the last attempt's error.
func (c *Client) deadline(cause, last error) error {
	return &detailedError{kind: ErrTimeout, msg: fmt.Sprintf("ollama at %s did not answer before the deadline (%v; last attempt: %v)", c.addr, cause, last), cause: cause}
}

func (c *Client) unreachable(cause error) error {
	return &detailedError{
		kind: ErrUnreachable,
		msg: fmt.Sprintf("Ollama not reachable at %s: start it with `ollama serve` "+
			"(or `make runtime` for the offline runtime), set OLLAMA_HOST / --ollama, or search with --mode bm25, which needs no Ollama (%v)", c.addr, cause),
		cause: cause,
	}
}

func (c *Client) modelMissing() error {
	hint := fmt.Sprintf("run `ollama pull %s`", c.model)
	if baseName(c.model) == offlineModel {
		hint = fmt.Sprintf("%s is built offline: run `make runtime`", offlineModel)
	}
	return &detailedError{
		kind: ErrModelMissing,
		msg:  fmt.Sprintf("model %q not found on Ollama at %s: %s", c.model, c.addr, hint),
	}
}

func dimensionError(got, want int) error {
	return &detailedError{
		kind: ErrDimensions,
		msg:  fmt.Sprintf("embedding dimension mismatch: got %d, want %d (fixed by this client's first response)", got, want),
	}
}

// statusError is an HTTP error status with the server's own text: the
// "error" field of Ollama's body, the message of an OpenAI-style or
// FastAPI-style body, or else the body itself, shortened.
type statusError struct {
	code int
	text string
}

func (e *statusError) Error() string { return fmt.Sprintf("HTTP %d: %s", e.code, e.text) }

// bodyError is a success status whose body is not the JSON expected.
type bodyError struct {
	err  error
	body string // shortened
}

func (e *bodyError) Error() string { return fmt.Sprintf("%v; the body begins %q", e.err, e.body) }
func (e *bodyError) Unwrap() error { return e.err }

// maxQuoted bounds how much of a body an error quotes.
const maxQuoted = 300

// serverText returns what a server says in an error body.
func serverText(body []byte) string {
	var v struct {
		Error   json.RawMessage `json:"error"`
		Detail  any             `json:"detail"`
		Message string          `json:"message"`
	}
	if json.Unmarshal(body, &v) == nil {
		var s string
		var obj struct {
			Message string `json:"message"`
		}
		switch {
		case json.Unmarshal(v.Error, &s) == nil && s != "":
			return s
		case json.Unmarshal(v.Error, &obj) == nil && obj.Message != "":
			return obj.Message
		case v.Message != "":
			return v.Message
		case v.Detail != nil:
			if d, err := json.Marshal(v.Detail); err == nil {
				if s, ok := v.Detail.(string); ok {
					return s
				}
				return shorten(string(d))
			}
		}
	}
	return shorten(string(body))
}

// shorten makes s one line of at most maxQuoted bytes.
func shorten(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > maxQuoted {
		cut := maxQuoted
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		s = s[:cut] + "..."
	}
	return s
}
