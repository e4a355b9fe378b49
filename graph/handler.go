package graph

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler"
	"github.com/99designs/gqlgen/graphql/handler/extension"
	"github.com/99designs/gqlgen/graphql/handler/lru"
	"github.com/99designs/gqlgen/graphql/handler/transport"
	"github.com/99designs/gqlgen/graphql/playground"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/releaselake/releaselake"
)

// Limits of the handler.
const (
	ComplexityLimit = 5000    // per query; lists count by their page size
	MaxBodyBytes    = 1 << 20 // request body cap
	ParserTokens    = 15000   // parser token limit
)

// NewHandler returns the /graphql handler: GET, POST and OPTIONS transports only
// (no form or multipart, so no simple cross-site posts), a parsed-query cache,
// introspection, a complexity limit and the error presenter.
func NewHandler(r *Resolver, log *slog.Logger) http.Handler {
	cfg := Config{Resolvers: r}
	cfg.Complexity.Query.Releases = func(child int, _ []string, _, _ *time.Time, _ *bool, first *int, _ *string) int {
		return pageCost(child, first)
	}
	cfg.Complexity.Product.Releases = func(child int, _, _ *time.Time, _ *bool, first *int, _ *string) int {
		return pageCost(child, first)
	}
	srv := handler.New(NewExecutableSchema(cfg))
	srv.AddTransport(transport.Options{})
	srv.AddTransport(transport.GET{})
	srv.AddTransport(transport.POST{})
	srv.SetQueryCache(lru.New[*ast.QueryDocument](1000))
	srv.SetParserTokenLimit(ParserTokens)
	srv.Use(extension.Introspection{})
	srv.Use(extension.FixedComplexityLimit(ComplexityLimit))
	srv.SetErrorPresenter(func(ctx context.Context, err error) *gqlerror.Error {
		return present(ctx, err, log)
	})
	srv.SetRecoverFunc(func(ctx context.Context, v any) error {
		log.ErrorContext(ctx, "graphql panic", "panic", v)
		return errors.New("internal error")
	})
	return http.MaxBytesHandler(srv, MaxBodyBytes)
}

// pageCost prices a connection by the page it may return.
func pageCost(child int, first *int) int {
	n := MaxFirst
	if first != nil && *first >= 0 && *first <= MaxFirst {
		n = *first
	}
	return 1 + n*child
}

// present turns an error into what the client sees: a domain error's message and
// class as extensions.code; anything else is logged and shown as internal.
func present(ctx context.Context, err error, log *slog.Logger) *gqlerror.Error {
	gerr := graphql.DefaultErrorPresenter(ctx, err)
	var de *releaselake.Error
	if errors.As(err, &de) {
		gerr.Message = de.Message
		setCode(gerr, string(de.Class))
		if de.Class == releaselake.Internal || de.Class == releaselake.Unavailable {
			log.ErrorContext(ctx, "graphql", "path", gerr.Path.String(), "err", err)
		}
		return gerr
	}
	var ge *gqlerror.Error
	if errors.As(err, &ge) && ge.Extensions["code"] != nil {
		return gerr // gqlgen's own: parse, validation, complexity
	}
	if errors.As(err, &ge) && ge.Path == nil {
		return gerr // argument coercion and other request errors carry no path
	}
	log.ErrorContext(ctx, "graphql internal error", "path", gerr.Path.String(), "err", err)
	gerr.Message = "internal error"
	setCode(gerr, string(releaselake.Internal))
	return gerr
}

func setCode(e *gqlerror.Error, code string) {
	if e.Extensions == nil {
		e.Extensions = map[string]any{}
	}
	e.Extensions["code"] = code
}

// GraphiQL returns the /graphiql page that talks to endpoint.
func GraphiQL(endpoint string) http.Handler {
	return playground.Handler("releaselake GraphiQL", endpoint)
}
