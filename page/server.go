package page

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"log/slog"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// MaxSnapshotBytes caps the body of a push. A snapshot of the 49 default
// products is a few hundred KB (docs/page.md).
const MaxSnapshotBytes = 8 << 20

// Pushes read at once, and how long one more waits for its turn before a 503:
// at most ParallelPushes*MaxBytes of bodies are in memory whoever sends them.
const (
	ParallelPushes = 4
	PushQueueWait  = 2 * time.Second
)

// Server is the page server of the public box (`releaselake page`): it receives
// signed snapshots on POST /api/snapshot, keeps them in its Store, and serves the
// page and the feed of the newest one. It needs no lake and no GitHub.
//
// A push is refused with 401 when its signature is missing or wrong or its
// timestamp is more than MaxSkew from the server's clock (both read from the
// headers, before the body), 503 when ParallelPushes bodies are being read
// already, 413 when larger than MaxBytes, 400 when it is not a valid snapshot,
// and 409 when it replays a signature already accepted (by its bytes, however
// spelt) or carries an older lake version than the current one. A snapshot of the current version is accepted (a retried push, or a new
// catalog): stored if its content differs, otherwise answered "unchanged".
type Server struct {
	Secret   []byte
	Store    *Store
	Now      func() time.Time // defaults to time.Now
	MaxBytes int64            // defaults to MaxSnapshotBytes
	Log      *slog.Logger     // never nil: NewServer's nil discards

	current atomic.Pointer[Snapshot]
	mu      sync.Mutex         // serialises pushes
	hash    string             // of current
	seen    map[string]int64   // accepted signatures (Signature.Key) -> their timestamps
	buffers chan *bytes.Buffer // ParallelPushes of them: taking one is the turn to read a body
	mux     *http.ServeMux
}

// NewServer returns a page server over store, starting from the newest snapshot
// in it.
func NewServer(secret []byte, store *Store, log *slog.Logger) (*Server, error) {
	if len(secret) == 0 {
		return nil, errors.New("page server: a secret is required to verify pushes")
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	s := &Server{Secret: secret, Store: store, Log: log, buffers: make(chan *bytes.Buffer, ParallelPushes)}
	for range ParallelPushes {
		s.buffers <- new(bytes.Buffer)
	}
	snap, err := store.Latest()
	if err != nil {
		log.Warn("page store", "err", err)
	}
	if snap != nil {
		s.current.Store(snap)
		s.hash = snap.Hash()
		log.Info("page server resumes", "version", snap.Version, "dir", store.Dir())
	}
	if s.seen, err = store.LoadSeen(); err != nil {
		log.Warn("page store", "err", err)
	}
	s.mux = http.NewServeMux()
	s.mux.Handle("/", &Handler{Snapshot: s.Current, Pending: "No release data has been published here yet."})
	s.mux.Handle("/feed.atom", &Feed{Snapshot: s.Current})
	s.mux.HandleFunc("/api/snapshot", s.receive)
	s.mux.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, "ok\n") })
	return s, nil
}

// Current returns the snapshot the page shows, nil before the first push.
func (s *Server) Current() *Snapshot { return s.current.Load() }

func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.mux.ServeHTTP(w, r) }

// PushReply is the page server's JSON answer to a push.
type PushReply struct {
	Version int64  `json:"version,omitempty"` // the version it now serves
	Status  string `json:"status,omitempty"`  // "stored" or "unchanged"
	Error   string `json:"error,omitempty"`
}

func (s *Server) receive(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", "POST")
		reply(w, http.StatusMethodNotAllowed, PushReply{Error: "POST a signed snapshot"})
		return
	}
	// Everything the headers can refuse is refused before a byte of the body is read.
	sig, err := ParseSignature(r.Header.Get(HeaderTimestamp), r.Header.Get(HeaderSignature))
	if err == nil {
		err = sig.Fresh(s.now())
	}
	if err != nil {
		s.refuse(w, r, http.StatusUnauthorized, err)
		return
	}
	max := s.MaxBytes
	if max <= 0 {
		max = MaxSnapshotBytes
	}
	if r.ContentLength > max {
		s.refuse(w, r, http.StatusRequestEntityTooLarge, fmt.Errorf("body of %d bytes, at most %d", r.ContentLength, max))
		return
	}
	buf, err := s.turn(w, r)
	if err != nil {
		s.refuse(w, r, http.StatusServiceUnavailable, err)
		return
	}
	defer func() { buf.Reset(); s.buffers <- buf }()
	body, code, err := read(w, r, buf, sig.MAC(s.Secret), sig, max)
	if err != nil {
		s.refuse(w, r, code, err)
		return
	}
	snap, err := Decode(body)
	if err != nil {
		s.refuse(w, r, http.StatusBadRequest, err)
		return
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	if _, replay := s.seen[sig.Key()]; replay {
		s.refuse(w, r, http.StatusConflict, errors.New("replay: this signed push was already received"))
		return
	}
	cur := s.current.Load()
	if cur != nil && snap.Version < cur.Version {
		s.refuse(w, r, http.StatusConflict, fmt.Errorf("older snapshot: version %d, the page shows version %d", snap.Version, cur.Version))
		return
	}
	status, hash := "unchanged", snap.Hash()
	if cur == nil || hash != s.hash {
		if err := s.Store.Save(body); err != nil {
			s.Log.Error("store snapshot", "version", snap.Version, "err", err)
			reply(w, http.StatusInternalServerError, PushReply{Error: "could not store the snapshot"})
			return
		}
		s.current.Store(snap)
		s.hash, status = hash, "stored"
	}
	s.remember(sig.Key(), s.now())
	s.Log.Info("snapshot received", "version", snap.Version, "status", status, "from", r.RemoteAddr)
	reply(w, http.StatusOK, PushReply{Version: snap.Version, Status: status})
}

// turn waits up to PushQueueWait for one of the ParallelPushes buffers a body
// is read into. Reused, they keep forged pushes from filling the heap with
// garbage faster than the GC returns it.
func (s *Server) turn(w http.ResponseWriter, r *http.Request) (*bytes.Buffer, error) {
	wait := time.NewTimer(PushQueueWait)
	defer wait.Stop()
	select {
	case buf := <-s.buffers:
		return buf, nil
	case <-wait.C:
		w.Header().Set("Retry-After", "5")
		return nil, fmt.Errorf("%d pushes are being read; try again shortly", ParallelPushes)
	case <-r.Context().Done():
		return nil, r.Context().Err()
	}
}

// read reads the body into buf, at most max bytes, through the MAC h; it
// returns the status to refuse with when the body is not the signed one.
func read(w http.ResponseWriter, r *http.Request, buf *bytes.Buffer, h hash.Hash, sig Signature, max int64) ([]byte, int, error) {
	// Sized once, so ReadFrom never doubles the buffer past max: to the
	// announced length (at most max: checked above), else, for a chunked body,
	// to max. MinRead spares ReadFrom a doubling at EOF.
	if n := r.ContentLength; n > 0 {
		buf.Grow(int(n) + bytes.MinRead)
	} else {
		buf.Grow(int(max) + bytes.MinRead)
	}
	_, err := buf.ReadFrom(io.TeeReader(http.MaxBytesReader(w, r.Body, max), h))
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &tooBig):
		return nil, http.StatusRequestEntityTooLarge, fmt.Errorf("body over %d bytes", max)
	case err != nil:
		return nil, http.StatusBadRequest, fmt.Errorf("read body: %w", err)
	case !sig.Matches(h):
		return nil, http.StatusUnauthorized, ErrBadSignature
	}
	return buf.Bytes(), 0, nil
}

// remember records an accepted signature and forgets those too old to pass
// Verify again.
func (s *Server) remember(sig string, now time.Time) {
	unixNow := now.Unix()
	s.seen[sig] = unixNow
	for k, t := range s.seen {
		if unixNow-t > int64(2*MaxSkew/time.Second) {
			delete(s.seen, k)
		}
	}
	if err := s.Store.SaveSeen(s.seen); err != nil {
		s.Log.Warn("save seen signatures; a replay after a restart would be answered unchanged", "err", err)
	}
}

func (s *Server) refuse(w http.ResponseWriter, r *http.Request, code int, err error) {
	s.Log.Warn("push refused", "status", code, "err", err, "from", r.RemoteAddr)
	reply(w, code, PushReply{Error: err.Error()})
}

func reply(w http.ResponseWriter, code int, body PushReply) {
	var buf bytes.Buffer
	json.NewEncoder(&buf).Encode(body)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	w.Write(buf.Bytes())
}

func (s *Server) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}
