package fastpath

import (
	"time"
)

// appendTimeJSON writes a DateTime as MarshalDateTime does.
func appendTimeJSON(b []byte, t time.Time) []byte {
	b = append(b, '"')
	b = t.UTC().AppendFormat(b, time.RFC3339Nano)
	return append(b, '"')
}

const hexDigits = "0123456789ABCDEF"

// needsEscape marks the bytes gqlgen's MarshalString escapes (control
// characters, quote and backslash) and those writeResponse then escapes for
// HTML (<, >, &, and 0xE2, which begins U+2028 and U+2029). Other bytes, UTF-8
// or not, go out as they are.
var needsEscape = func() (t [256]bool) {
	for c := range 0x20 {
		t[c] = true
	}
	t['"'], t['\\'] = true, true
	t['<'], t['>'], t['&'], t[0xE2] = true, true, true, true
	return t
}()

// appendQuoted writes s as a JSON string as gqlgen's MarshalString does and
// then writeResponse (as encoding/json) escapes it for HTML: <, > and & as
// \u003c, \u003e, \u0026, U+2028 and U+2029 as \u2028, \u2029. The fast path's
// strings all come through here, so its JSON needs no escaping after: the
// direct path sends it as it is (writeResponse would find nothing to change).
func appendQuoted(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !needsEscape[c] || c == 0xE2 && !(i+2 < len(s) && s[i+1] == 0x80 && s[i+2]&^1 == 0xA8) {
			continue
		}
		b = append(b, s[start:i]...)
		switch c {
		case '\t':
			b = append(b, `\t`...)
		case '\r':
			b = append(b, `\r`...)
		case '\n':
			b = append(b, `\n`...)
		case '\\':
			b = append(b, `\\`...)
		case '"':
			b = append(b, `\"`...)
		case '<', '>', '&':
			b = append(b, '\\', 'u', '0', '0', hexLower[c>>4], hexLower[c&0xf])
		case 0xE2:
			b = append(b, '\\', 'u', '2', '0', '2', hexLower[s[i+2]&0xf])
			i += 2
		default:
			b = append(b, `\u00`...)
			b = append(b, hexDigits[c>>4], hexDigits[c&0xf])
		}
		start = i + 1
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

// aliasKey returns `"alias":`, made once per alias.
func aliasKey(alias string) []byte {
	aliases.RLock()
	k, ok := aliases.m[alias]
	aliases.RUnlock()
	if ok {
		return k
	}
	k = append(appendQuoted(nil, alias), ':')
	aliases.Lock()
	if aliases.m == nil {
		aliases.m = map[string][]byte{}
	}
	if len(aliases.m) < 4096 {
		aliases.m[alias] = k
	}
	aliases.Unlock()
	return k
}
