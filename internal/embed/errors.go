package embed

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"syscall"

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
// attempt's own RequestTimeout expired (the caller's context did not).
func (c *Client) classify(err error, timedOut bool) failure {
	if timedOut {
		return failure{&detailedError{kind: ErrTimeout, msg: fmt.Sprintf("ollama at %s did not answer within %s (RequestTimeout)", c.addr, c.timeout)}, true}
	}

	var done *detailedError // already explained (the OpenAI-compatible path)
	if errors.As(err, &done) {
		return failure{err, false}
	}

	var authErr api.AuthorizationError
	if errors.As(err, &authErr) {
		return failure{fmt.Errorf("ollama at %s: unauthorized (HTTP %d)", c.addr, authErr.StatusCode), false}
	}

	var se api.StatusError
	if errors.As(err, &se) {
		return c.classifyStatus(se)
	}

	var dnsErr *net.DNSError
	if errors.As(err, &dnsErr) {
		return failure{c.unreachable(err), dnsErr.IsTemporary || dnsErr.IsTimeout}
	}

	var opErr *net.OpError
	if errors.As(err, &opErr) && opErr.Op == "dial" {
		// Connection refused is what a stopped or still-starting Ollama
		// gives: retry it. A dial timeout means a host that does not answer
		// at all; it will not start answering within the retry budget, and
		// retrying would make a stopped runtime slow to report.
		return failure{c.unreachable(err), !opErr.Timeout()}
	}

	switch {
	case errors.Is(err, syscall.ECONNREFUSED):
		return failure{c.unreachable(err), true}
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

// classifyStatus handles an HTTP error status from Ollama. 5xx are transient
// (a restarting runner, a full queue); 4xx are permanent.
func (c *Client) classifyStatus(se api.StatusError) failure {
	msg := strings.TrimSpace(se.ErrorMessage)
	lower := strings.ToLower(msg)
	switch {
	case se.StatusCode == http.StatusNotFound && strings.Contains(lower, "model"):
		// v0.6.5: model 'x' not found; newer: model "x" not found, try pulling it first
		return failure{c.modelMissing(), false}
	case se.StatusCode == http.StatusNotFound:
		return failure{fmt.Errorf("ollama API not found at %s (is it an Ollama server, and is the host's path right?): HTTP 404: %s", c.addr, msg), false}
	case se.StatusCode == http.StatusBadRequest && strings.Contains(lower, "exceeds") && strings.Contains(lower, "context"):
		return failure{&detailedError{
			kind: ErrInputTooLong,
			msg:  fmt.Sprintf("input too long for the context of model %q and truncation is off: split the text or enable truncation (ollama: %s)", c.model, msg),
		}, false}
	case se.StatusCode >= 500:
		return failure{fmt.Errorf("ollama server error (HTTP %d): %s", se.StatusCode, msg), true}
	default:
		return failure{fmt.Errorf("ollama rejected the request (HTTP %d): %s", se.StatusCode, msg), false}
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
			"(or `make runtime` for the offline runtime) or set OLLAMA_HOST / --ollama (%v)", c.addr, cause),
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
