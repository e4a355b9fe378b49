package releaselake

import (
	"errors"
	"fmt"
)

// Class says what kind of failure an error is, so that each boundary (GraphQL,
// the CLI's exit code, the run record) can present it once.
type Class string

// Error classes.
const (
	NotFound     Class = "NOT_FOUND"
	Invalid      Class = "BAD_USER_INPUT"
	Unavailable  Class = "UNAVAILABLE"
	Unauthorized Class = "UNAUTHENTICATED"
	Forbidden    Class = "FORBIDDEN"
	Conflict     Class = "CONFLICT"
	Internal     Class = "INTERNAL_SERVER_ERROR"
)

// Error is an error with a class and a message that is safe to show a client.
type Error struct {
	Class   Class
	Message string // shown to clients
	Err     error  // the cause, logged but not shown
}

func (e *Error) Error() string {
	if e.Err != nil {
		return e.Message + ": " + e.Err.Error()
	}
	return e.Message
}

func (e *Error) Unwrap() error { return e.Err }

// Errorf returns an *Error of class c with a formatted message.
func Errorf(c Class, format string, args ...any) error {
	return &Error{Class: c, Message: fmt.Sprintf(format, args...)}
}

// Wrap returns an *Error of class c with message msg around err.
func Wrap(c Class, err error, msg string) error {
	return &Error{Class: c, Message: msg, Err: err}
}

// ClassOf returns the class of the first *Error in err's chain, Internal if none.
func ClassOf(err error) Class {
	var e *Error
	if errors.As(err, &e) {
		return e.Class
	}
	return Internal
}

// MessageOf returns the client-safe message of err: the first *Error's message,
// or "internal error" when err carries no *Error.
func MessageOf(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Message
	}
	return "internal error"
}
