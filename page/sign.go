package page

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"strconv"
	"strings"
	"time"
)

// A push is signed with HMAC-SHA256 over "<timestamp>.<body>", keyed with the
// secret both ends share, the timestamp being Unix milliseconds:
//
//	X-Releaselake-Timestamp: 1767225600000
//	X-Releaselake-Signature: sha256=<hex of HMAC-SHA256(secret, "1767225600000." + body)>
//
// The page server accepts a timestamp within MaxSkew of its own clock, and each
// signature once. Milliseconds, and a Pusher that never reuses one, keep two
// honest pushes of the same snapshot from looking like a replay.
const (
	HeaderTimestamp = "X-Releaselake-Timestamp"
	HeaderSignature = "X-Releaselake-Signature"
	MaxSkew         = 5 * time.Minute
)

// Errors of Verify.
var (
	ErrNoSignature  = errors.New("missing signature or timestamp")
	ErrBadSignature = errors.New("signature does not match")
	ErrStale        = errors.New("timestamp outside the accepted window")
)

// Stamp returns the timestamp header value of ts.
func Stamp(ts time.Time) string { return strconv.FormatInt(ts.UnixMilli(), 10) }

// Sign returns the signature header value of body sent at ts (to the millisecond).
func Sign(secret []byte, ts time.Time, body []byte) string {
	return "sha256=" + hex.EncodeToString(mac(secret, ts.UnixMilli(), body))
}

func mac(secret []byte, ms int64, body []byte) []byte {
	h := Signature{Millis: ms}.MAC(secret)
	h.Write(body)
	return h.Sum(nil)
}

// Verify checks the timestamp and signature headers of body against secret,
// with now as the page server's clock. It returns ErrNoSignature, ErrBadSignature
// (also for a malformed header) or ErrStale, wrapped with details.
func Verify(secret []byte, tsHeader, sigHeader string, body []byte, now time.Time) error {
	sig, err := ParseSignature(tsHeader, sigHeader)
	if err != nil {
		return err
	}
	h := sig.MAC(secret)
	h.Write(body)
	if !sig.Matches(h) {
		return ErrBadSignature
	}
	return sig.Fresh(now)
}

// Signature is a push's signature headers, read but not yet checked against a body.
type Signature struct {
	Millis int64  // the timestamp, Unix milliseconds
	Sum    []byte // the HMAC-SHA256 the sender computed
}

// ParseSignature reads the headers of a push without its body. It returns
// ErrNoSignature or ErrBadSignature (a malformed header).
func ParseSignature(tsHeader, sigHeader string) (Signature, error) {
	if tsHeader == "" || sigHeader == "" {
		return Signature{}, ErrNoSignature
	}
	ms, err := strconv.ParseInt(tsHeader, 10, 64)
	if err != nil {
		return Signature{}, fmt.Errorf("%w: timestamp %q is not Unix milliseconds", ErrBadSignature, tsHeader)
	}
	hexSig, ok := strings.CutPrefix(sigHeader, "sha256=")
	sum, err := hex.DecodeString(hexSig)
	if !ok || err != nil || len(sum) != sha256.Size {
		return Signature{}, fmt.Errorf("%w: want sha256=<64 hex digits>", ErrBadSignature)
	}
	return Signature{Millis: ms, Sum: sum}, nil
}

// Fresh returns ErrStale, wrapped, if the timestamp is more than MaxSkew from now.
func (s Signature) Fresh(now time.Time) error {
	if d := now.Sub(time.UnixMilli(s.Millis)); d > MaxSkew || d < -MaxSkew {
		return fmt.Errorf("%w: timestamp is %s away from the page server's clock (at most %s)", ErrStale, d.Round(time.Second), MaxSkew)
	}
	return nil
}

// MAC returns the HMAC to write the body into, its timestamp prefix written.
func (s Signature) MAC(secret []byte) hash.Hash {
	h := hmac.New(sha256.New, secret)
	h.Write([]byte(strconv.FormatInt(s.Millis, 10)))
	h.Write([]byte{'.'})
	return h
}

// Matches reports whether h, the MAC with the whole body written, is the signature's.
func (s Signature) Matches(h hash.Hash) bool { return hmac.Equal(s.Sum, h.Sum(nil)) }

// Key is the signature's replay key: its decoded bytes, so that the same
// signature spelt in upper-case hex is the same push.
func (s Signature) Key() string { return "sha256=" + hex.EncodeToString(s.Sum) }
