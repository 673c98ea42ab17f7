package engine

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"syscall"
)

// ErrorClass is what a front door tells its user about an error: an HTTP
// status (the page and the API answer with it; MCP reports it as a tool
// error), a stable code, and whether the error's own text may be shown.
type ErrorClass struct {
	Status int
	Code   string
	// Message replaces the error's text when set.
	Message string
	// Internal errors are logged by the door and answered generically:
	// their text may name paths and internals the user cannot act on.
	Internal bool
}

// errorClasses is the one table from errors to what every door answers,
// first match wins.
var errorClasses = []struct {
	is    func(error) bool
	class ErrorClass
}{
	{isErr(ErrInvalid), ErrorClass{Status: http.StatusBadRequest, Code: "invalid_request"}},
	{isErr(ErrNotFound), ErrorClass{Status: http.StatusNotFound, Code: "not_found"}},
	{isErr(ErrSettingsMismatch), ErrorClass{Status: http.StatusConflict, Code: "settings_mismatch"}},
	{isErr(ErrIDConflict), ErrorClass{Status: http.StatusConflict, Code: "id_conflict"}},
	{isErr(ErrModelBroken), ErrorClass{Status: http.StatusBadGateway, Code: "model_broken"}},
	{func(err error) bool {
		return errors.Is(err, syscall.ENOSPC) || errors.Is(err, syscall.EDQUOT) || outOfSpace(err)
	}, ErrorClass{Status: http.StatusInsufficientStorage, Code: "insufficient_storage",
		Message: "the server's disk is full (no space left on device); free space on the data directory's disk and send the request again"}},
	{isErr(syscall.EROFS), ErrorClass{Status: http.StatusInternalServerError, Code: "storage_read_only",
		Message: "the server's data directory is on a read-only file system; nothing can be stored"}},
	// Before the request's own deadline: the embedding backend is slow.
	{isErr(ErrQueryEmbedTimeout), ErrorClass{Status: http.StatusGatewayTimeout, Code: "query_embed_timeout"}},
	{isErr(context.DeadlineExceeded), ErrorClass{Status: http.StatusGatewayTimeout, Code: "timeout",
		Message: "the request did not finish in time"}},
	// nginx's convention for a client that went away; it never sees it.
	{isErr(context.Canceled), ErrorClass{Status: 499, Code: "canceled", Message: "the request was canceled"}},
}

func isErr(target error) func(error) bool {
	return func(err error) bool { return errors.Is(err, target) }
}

// Classify returns what a door answers for err: a class of the table
// above, or an internal error (500, "internal error").
func Classify(err error) ErrorClass {
	for _, c := range errorClasses {
		if c.is(err) {
			return c.class
		}
	}
	return ErrorClass{Status: http.StatusInternalServerError, Code: "internal", Message: "internal error", Internal: true}
}

// Text is what the user is told: the class's message or the error's own.
func (c ErrorClass) Text(err error) string {
	if c.Message != "" {
		return c.Message
	}
	return err.Error()
}

// outOfSpace reports an error whose text says a disk is full although its
// chain lost the errno: libraries format it with %v (as bleve's persister did) or
// pass on a remote server's message (Weaviate's), and a full disk is 507
// wherever it happened.
func outOfSpace(err error) bool {
	msg := err.Error()
	return strings.Contains(msg, syscall.ENOSPC.Error()) || strings.Contains(msg, syscall.EDQUOT.Error())
}
