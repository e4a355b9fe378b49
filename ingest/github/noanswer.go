package github

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"

	"github.com/releaselake/releaselake"
)

// A request that got no HTTP answer comes back from githubv4 as the error of
// http.Client.Do, a *url.Error around what the transport said; docs/github.md
// ("Faults") lists what can be under it and how each is treated.

// transient reports whether err, in place of an answer, may not happen again:
// the network failed, the connection closed early, or the request timed out.
func transient(err error) bool {
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return true
	}
	var reset h2StreamError
	if errors.As(err, &reset) {
		return true
	}
	for _, e := range chain(err) {
		switch e := e.(type) {
		case *net.OpError:
			// Not "remote error"/"local error": those are TLS alerts, which a retry
			// meets again. Nor a dial refused for a malformed address.
			var addr *net.AddrError
			var dns *net.DNSError
			switch {
			case errors.As(e.Err, &dns):
				return transientDNS(dns)
			case (e.Op == "dial" || e.Op == "read" || e.Op == "write") && !errors.As(e.Err, &addr):
				return true
			case e.Op == "proxyconnect" && !errors.As(e.Err, new(*tls.CertificateVerificationError)):
				return true // the proxy refused or failed; it may not next time
			}
		case *net.DNSError:
			return transientDNS(e)
		case interface{ Timeout() bool }: // a TLS handshake timeout, among others
			if e.Timeout() {
				return true
			}
		}
		if strings.HasPrefix(e.Error(), "http2: server sent GOAWAY and closed the connection") {
			return true
		}
		// A kept-alive connection the server closed as the request went out:
		// net/http does not send a POST again itself (transport.go says why).
		if strings.HasSuffix(e.Error(), "http: server closed idle connection") {
			return true
		}
	}
	return false
}

// transientDNS: a lookup that failed may work next time, but a name that does
// not exist (NXDOMAIN) stays so: a typo in GITHUB_GRAPHQL_URL's host is not
// worth 15 minutes of asking again.
func transientDNS(e *net.DNSError) bool { return !e.IsNotFound }

// h2StreamError has the fields of net/http's bundled (unexported) HTTP/2
// StreamError, whose As method fills any struct of that shape.
type h2StreamError struct {
	StreamID uint32
	Code     uint32
	Cause    error
}

func (e h2StreamError) Error() string {
	return fmt.Sprintf("stream error: stream ID %d; code %d", e.StreamID, e.Code)
}

// chain lists err and every error it wraps, depth first.
func chain(err error) []error {
	if err == nil {
		return nil
	}
	out := []error{err}
	switch e := err.(type) {
	case interface{ Unwrap() error }:
		out = append(out, chain(e.Unwrap())...)
	case interface{ Unwrap() []error }:
		for _, w := range e.Unwrap() {
			out = append(out, chain(w)...)
		}
	}
	return out
}

// unanswered is the error of a request that got no answer and will not get one
// by asking again.
func unanswered(err error) error {
	if err == nil {
		err = errors.New("no answer")
	}
	if tl := (*tooLargeError)(nil); errors.As(err, &tl) {
		return releaselake.Errorf(releaselake.Unavailable, "GitHub's %s, not retried: check GITHUB_GRAPHQL_URL", tl)
	}
	var cert *tls.CertificateVerificationError
	var unknown x509.UnknownAuthorityError
	var host x509.HostnameError
	var invalid x509.CertificateInvalidError
	if errors.As(err, &cert) || errors.As(err, &unknown) || errors.As(err, &host) || errors.As(err, &invalid) {
		return releaselake.Errorf(releaselake.Unavailable, "GitHub's TLS certificate did not verify, not retried: %v; check GITHUB_GRAPHQL_URL, or trust the certificate's authority on this host", err)
	}
	return releaselake.Errorf(releaselake.Invalid, "GitHub request could not be sent, not retried: %v; check GITHUB_GRAPHQL_URL and GITHUB_TOKEN", err)
}
