package fastpath

import (
	"slices"
	"sync"
	"sync/atomic"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler"
)

// Server is gqlgen's handler.Server remembering the extensions Used on it,
// so that the direct path, which skips the extension chain, answers only
// while it knows every one (gqlgen does not list them). Use extensions
// through it, never through the embedded server.
type Server struct {
	*handler.Server
	es   graphql.ExecutableSchema
	docs Docs

	mu      sync.Mutex
	names   []string    // ExtensionName of each extension Used, in order
	changed atomic.Bool // an extension was Used after the direct path was made
	warned  atomic.Bool // the direct path logged why it is off
}

// NewServer returns handler.New(es) with docs as its query cache.
func NewServer(es graphql.ExecutableSchema, docs Docs) *Server {
	s := &Server{Server: handler.New(es), es: es, docs: docs}
	s.Server.SetQueryCache(docs)
	return s
}

// Use adds an extension to the server and remembers its name.
func (s *Server) Use(ext graphql.HandlerExtension) {
	s.note(ext.ExtensionName())
	s.Server.Use(ext)
}

// The Around… middlewares are extensions without a name the direct path
// could know: each turns it off.
func (s *Server) AroundFields(f graphql.FieldMiddleware) {
	s.note("AroundFields")
	s.Server.AroundFields(f)
}
func (s *Server) AroundRootFields(f graphql.RootFieldMiddleware) {
	s.note("AroundRootFields")
	s.Server.AroundRootFields(f)
}
func (s *Server) AroundOperations(f graphql.OperationMiddleware) {
	s.note("AroundOperations")
	s.Server.AroundOperations(f)
}
func (s *Server) AroundResponses(f graphql.ResponseMiddleware) {
	s.note("AroundResponses")
	s.Server.AroundResponses(f)
}

func (s *Server) note(name string) {
	s.mu.Lock()
	s.names = append(s.names, name)
	s.mu.Unlock()
	s.changed.Store(true)
}

// known are the extensions the direct path knows beside Options.Knows: what
// they do on a query it answers, it does itself or need not do.
var known = map[string]bool{
	"Introspection":           true, // enables __schema and __type, which the direct path never answers
	"AutomaticPersistedQuery": true, // the direct path leaves requests with persistedQuery to gqlgen
	"ComplexityLimit":         true, // the direct path prices with Options.Pricing against the limit
	"ReleaseFastPath":         true, // the fast path itself, whose writers it uses
}

// unknown returns the first extension Used that neither known nor knows
// names, false if there is one.
func (s *Server) unknown(knows []string) (string, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, n := range s.names {
		if !known[n] && !slices.Contains(knows, n) {
			return n, false
		}
	}
	return "", true
}
