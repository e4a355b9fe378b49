package fastpath

import (
	"encoding/json"
	"strings"
	"unicode/utf8"

	"github.com/99designs/gqlgen/graphql"
)

// decodeParams decodes a POST body into p as decodeJSON does (encoding/json
// with UseNumber), for the bodies clients send: one object of query,
// operationName, variables and extensions, each once, in plain JSON. It
// reports false on anything else (another key, a repeated one, a \u escape,
// invalid UTF-8, a wrong type, bad JSON), and the caller decodes with
// decodeJSON: this is a shortcut, never a second opinion. encoding/json
// reflects on every value and scans the body twice; this reads it once.
// FuzzDecodeParams holds the two to the same result. The strings it returns
// are parts of one copy of the body, made once, rather than one copy each.
func decodeParams(body []byte, p *graphql.RawParams) bool {
	d := paramDecoder{b: body, s: string(body)}
	d.space()
	if !d.byte('{') {
		return false
	}
	var seen [4]bool
	d.space()
	if d.byte('}') {
		return true
	}
	for {
		d.space()
		key, ok := d.str()
		if !ok {
			return false
		}
		d.space()
		if !d.byte(':') {
			return false
		}
		d.space()
		var k int
		switch key {
		case "query":
			k = 0
		case "operationName":
			k = 1
		case "variables":
			k = 2
		case "extensions":
			k = 3
		default:
			return false
		}
		if seen[k] {
			return false
		}
		seen[k] = true
		if d.null() {
			// null leaves a string as it is and makes a map nil: both are
			// already so.
		} else {
			switch k {
			case 0, 1:
				s, ok := d.str()
				if !ok {
					return false
				}
				if k == 0 {
					p.Query = s
				} else {
					p.OperationName = s
				}
			case 2, 3:
				if d.peek() != '{' {
					return false
				}
				v, ok := d.value(0)
				if !ok {
					return false
				}
				if k == 2 {
					p.Variables = v.(map[string]any)
				} else {
					p.Extensions = v.(map[string]any)
				}
			}
		}
		d.space()
		if d.byte('}') {
			return true // what follows the object is not read, as by json.Decoder
		}
		if !d.byte(',') {
			return false
		}
	}
}

type paramDecoder struct {
	b []byte
	s string // b as a string: what str returns is cut from it
	i int
}

func (d *paramDecoder) space() {
	for d.i < len(d.b) {
		switch d.b[d.i] {
		case ' ', '\t', '\n', '\r':
			d.i++
		default:
			return
		}
	}
}

func (d *paramDecoder) peek() byte {
	if d.i < len(d.b) {
		return d.b[d.i]
	}
	return 0
}

func (d *paramDecoder) byte(c byte) bool {
	if d.peek() == c {
		d.i++
		return true
	}
	return false
}

func (d *paramDecoder) literal(s string) bool {
	if len(d.b)-d.i >= len(s) && string(d.b[d.i:d.i+len(s)]) == s {
		d.i += len(s)
		return true
	}
	return false
}

func (d *paramDecoder) null() bool { return d.literal("null") }

// maxDepth bounds nesting (encoding/json's own bound is far higher).
const maxDepth = 64

// value reads any JSON value as encoding/json decodes it into an any with
// UseNumber.
func (d *paramDecoder) value(depth int) (any, bool) {
	if depth > maxDepth {
		return nil, false
	}
	switch c := d.peek(); {
	case c == '{':
		d.i++
		m := map[string]any{}
		d.space()
		if d.byte('}') {
			return m, true
		}
		for {
			d.space()
			k, ok := d.str()
			if !ok {
				return nil, false
			}
			d.space()
			if !d.byte(':') {
				return nil, false
			}
			d.space()
			v, ok := d.value(depth + 1)
			if !ok {
				return nil, false
			}
			m[k] = v // a repeated key: the last one wins, as in encoding/json
			d.space()
			if d.byte('}') {
				return m, true
			}
			if !d.byte(',') {
				return nil, false
			}
		}
	case c == '[':
		d.i++
		d.space()
		if d.byte(']') {
			return []any{}, true
		}
		// Short lists (the usual) are gathered on the stack and copied out
		// once, rather than grown by append through 1, 2, 4, 8 elements.
		var short [8]any
		l := short[:0]
		for {
			d.space()
			v, ok := d.value(depth + 1)
			if !ok {
				return nil, false
			}
			l = append(l, v)
			d.space()
			if d.byte(']') {
				return append([]any(nil), l...), true
			}
			if !d.byte(',') {
				return nil, false
			}
		}
	case c == '"':
		return d.str()
	case c == 't':
		return true, d.literal("true")
	case c == 'f':
		return false, d.literal("false")
	case c == 'n':
		return nil, d.null()
	case c == '-' || c >= '0' && c <= '9':
		return d.number()
	}
	return nil, false
}

// number reads a number as its text (json.Number), checking JSON's grammar.
func (d *paramDecoder) number() (json.Number, bool) {
	start := d.i
	d.byte('-')
	digits := func() int {
		n := 0
		for d.i < len(d.b) && d.b[d.i] >= '0' && d.b[d.i] <= '9' {
			d.i++
			n++
		}
		return n
	}
	if d.byte('0') {
		// no more integer digits after a leading zero
	} else if digits() == 0 {
		return "", false
	}
	if d.byte('.') && digits() == 0 {
		return "", false
	}
	if d.byte('e') || d.byte('E') {
		if !d.byte('+') {
			d.byte('-')
		}
		if digits() == 0 {
			return "", false
		}
	}
	// A number runs up to a delimiter; "01" or "1x" is not one.
	switch c := d.peek(); {
	case c >= '0' && c <= '9', c == '.', c == 'e', c == 'E', c == '-', c == '+':
		return "", false
	case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z':
		return "", false
	}
	return json.Number(d.s[start:d.i]), true
}

// str reads a string. It reports false on what encoding/json would change or
// refuse (control characters, invalid UTF-8) and on \u escapes, which it
// leaves to encoding/json.
func (d *paramDecoder) str() (string, bool) {
	if !d.byte('"') {
		return "", false
	}
	start := d.i
	var buf strings.Builder // only when there are escapes
	escaped, ascii := false, true
	for d.i < len(d.b) {
		c := d.b[d.i]
		if plainByte[c] {
			d.i++
			continue
		}
		switch {
		case c == '"':
			raw := d.b[start:d.i]
			d.i++
			if !ascii && !utf8.Valid(raw) {
				return "", false
			}
			if escaped {
				buf.Write(raw)
				return buf.String(), true
			}
			return d.s[start : d.i-1], true
		case c < 0x20:
			return "", false
		case c >= 0x80:
			ascii = false
			d.i++
		case c == '\\':
			if d.i+1 >= len(d.b) {
				return "", false
			}
			var r byte
			switch d.b[d.i+1] {
			case '"', '\\', '/':
				r = d.b[d.i+1]
			case 'b':
				r = '\b'
			case 'f':
				r = '\f'
			case 'n':
				r = '\n'
			case 'r':
				r = '\r'
			case 't':
				r = '\t'
			default:
				return "", false // \u and bad escapes: encoding/json's business
			}
			raw := d.b[start:d.i]
			if !ascii && !utf8.Valid(raw) {
				return "", false
			}
			if !escaped {
				escaped = true
				buf.Grow(d.rawEnd() - start) // one allocation: the text bounds what it decodes to
			}
			buf.Write(raw)
			buf.WriteByte(r)
			d.i += 2
			start = d.i
		default:
			d.i++
		}
	}
	return "", false
}

// plainByte marks the bytes str passes over: printable ASCII but quote and
// backslash (a table: most of a body is these).
var plainByte = func() (t [256]bool) {
	for c := 0x20; c < 0x80; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

// rawEnd returns where the string being read ends (its closing quote), or
// the end of the body: escapes are skipped whole, nothing is checked.
func (d *paramDecoder) rawEnd() int {
	for j := d.i; j < len(d.b); {
		switch d.b[j] {
		case '\\':
			j += 2
		case '"':
			return j
		default:
			j++
		}
	}
	return len(d.b)
}
