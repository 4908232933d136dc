// Package field bounds what clients send: the longest value each kind of
// field may hold, and a check over whole forms and JSON bodies. Values are
// checked before they are stored, logged or used as a key (a throttle's or
// the lockout's), so no client can grow a table, the audit log or the
// server's log with one request.
package field

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net/url"
	"unicode/utf8"
)

// The longest value, in bytes, of each kind of field.
const (
	Organisation = 200  // an organisation's name
	Email        = 254  // an email address (RFC 5321's path limit)
	Password     = 1024 // a password: 256 characters (password.MaxLength) of up to 4 bytes
	ReturnPath   = 2048 // a path to return to after sign-in
	// Default bounds every other field of a form or JSON body; the
	// longest legitimate one, About me (2,000 characters), fits.
	Default = 8192
)

// ErrTooLong is the error of a value longer than its bound.
var ErrTooLong = errors.New("a field is too long")

// TooLongError names the field over its bound.
type TooLongError struct {
	Name string
	Len  int
}

func (e *TooLongError) Error() string {
	return fmt.Sprintf("field %q is %d bytes, more than %d", ForLog(e.Name), e.Len, Default)
}

func (e *TooLongError) Unwrap() error { return ErrTooLong }

// CheckForm reports the first name or value of form longer than Default.
func CheckForm(form url.Values) error {
	for name, values := range form {
		if len(name) > Default {
			return &TooLongError{Name: name, Len: len(name)}
		}
		for _, v := range values {
			if len(v) > Default {
				return &TooLongError{Name: name, Len: len(v)}
			}
		}
	}
	return nil
}

// CheckJSON reports the first string (key or value) of a JSON body longer
// than Default. A body that is not JSON is left to its decoder to refuse.
func CheckJSON(body []byte) error {
	dec := json.NewDecoder(bytes.NewReader(body))
	key := ""
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) || err != nil {
			return nil
		}
		if s, ok := tok.(string); ok {
			if len(s) > Default {
				return &TooLongError{Name: key, Len: len(s)}
			}
			key = s
		}
	}
}

// CheckMultipart reports the first name or value (not a file) of a
// multipart form longer than Default: what Request.ParseMultipartForm
// would give a handler. A malformed body is left to the handler's parser
// to refuse.
func CheckMultipart(body []byte, boundary string) error {
	mr := multipart.NewReader(bytes.NewReader(body), boundary)
	for {
		part, err := mr.NextPart()
		if err != nil {
			return nil
		}
		name := part.FormName()
		if len(name) > Default {
			return &TooLongError{Name: name, Len: len(name)}
		}
		if part.FileName() != "" {
			continue
		}
		if n, _ := io.Copy(io.Discard, part); n > Default {
			return &TooLongError{Name: name, Len: int(n)}
		}
	}
}

// Cut is s when it is at most n bytes long, or nothing: a form shown again
// does not echo a value that was refused for its length.
func Cut(s string, n int) string {
	if len(s) > n {
		return ""
	}
	return s
}

// logLength is how much of a value a log line keeps.
const logLength = 64

// ForLog is s cut to a length fit for a log line, on a character boundary,
// saying how long it was when it was cut.
func ForLog(s string) string {
	if len(s) <= logLength {
		return s
	}
	cut := logLength
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return fmt.Sprintf("%s… (%d bytes)", s[:cut], len(s))
}
