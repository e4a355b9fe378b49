package graph

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"strings"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
	"github.com/vektah/gqlparser/v2/parser"

	"github.com/releaselake/releaselake"
	"github.com/releaselake/releaselake/graph/fastpath"
)

// adminAuth refuses every mutation whose request lacks
// "Authorization: Bearer <admin token>", before anything else is done with
// it (DESIGN: "checked before anything else"): before validation, variable
// coercion and the complexity limit, so a caller without the token learns
// nothing from their errors, and never later than before any field runs.
type adminAuth struct {
	set  bool          // an admin token is configured
	hash [32]byte      // sha256 of the token: compared in constant time, whatever the length
	docs fastpath.Docs // gqlgen's parsed documents: a mutation asked before is not parsed again
}

func newAdminAuth(token string, docs fastpath.Docs) adminAuth {
	return adminAuth{set: token != "", hash: sha256.Sum256([]byte(token)), docs: docs}
}

func (adminAuth) ExtensionName() string                   { return "AdminToken" }
func (adminAuth) Validate(graphql.ExecutableSchema) error { return nil }

// MutateOperationParameters runs before gqlgen parses the request (after the
// persisted-query extension has found its text). Only a text that holds the
// keyword "mutation" can be one, so only those are looked at: from gqlgen's
// query cache when it has parsed the text before, else parsed here within the
// parser's token limit; a text that does not parse is left to gqlgen's error.
func (a adminAuth) MutateOperationParameters(ctx context.Context, p *graphql.RawParams) *gqlerror.Error {
	if !strings.Contains(p.Query, "mutation") {
		return nil
	}
	if n := noteOf(ctx); n != nil && n.get {
		return nil // GET refuses mutations whatever the token: 405 (transport.go)
	}
	doc, _ := a.docs.Get(ctx, p.Query)
	if !isOperation(doc, p.Query, p.OperationName, ast.Mutation) {
		return nil
	}
	return a.refuse(ctx, p.Headers.Get("Authorization"))
}

// isOperation reports whether the operation name picks in query is of kind
// op: only a text holding op's keyword can be, so only those are parsed,
// within the parser's token limit (doc, if not nil, is query already parsed);
// a text that does not parse is not, and is left to gqlgen's error.
func isOperation(doc *ast.QueryDocument, query, name string, op ast.Operation) bool {
	if !strings.Contains(query, string(op)) {
		return false
	}
	if doc == nil {
		var err error
		if doc, err = parser.ParseQueryWithTokenLimit(&ast.Source{Input: query}, ParserTokens); err != nil {
			return false
		}
	}
	o := doc.Operations.ForName(name)
	return o != nil && o.Operation == op
}

func (a adminAuth) InterceptOperation(ctx context.Context, next graphql.OperationHandler) graphql.ResponseHandler {
	oc := graphql.GetOperationContext(ctx)
	if oc.Operation == nil || oc.Operation.Operation != ast.Mutation {
		return next(ctx)
	}
	if err := a.refuse(ctx, oc.Headers.Get("Authorization")); err != nil {
		return graphql.OneShot(&graphql.Response{Errors: gqlerror.List{err}})
	}
	return next(ctx)
}

// refuse returns the error that refuses a mutation with this Authorization
// header, noting the refusal for the HTTP status, or nil if it carries the
// admin token.
func (a adminAuth) refuse(ctx context.Context, header string) *gqlerror.Error {
	class, msg := a.check(header)
	if class == "" {
		return nil
	}
	if n := noteOf(ctx); n != nil {
		n.denied.Store(class)
	}
	return &gqlerror.Error{Message: msg, Extensions: map[string]any{"code": string(class)}}
}

// check returns the class and message of a refusal, or "" if header carries
// the admin token.
func (a adminAuth) check(header string) (releaselake.Class, string) {
	if !a.set {
		return releaselake.Forbidden, "mutations are disabled on this server: RELEASELAKE_ADMIN_TOKEN is not set"
	}
	scheme, token, ok := strings.Cut(strings.TrimSpace(header), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(token) == "" {
		return releaselake.Unauthorized, "mutations need the header Authorization: Bearer <admin token>"
	}
	got := sha256.Sum256([]byte(strings.TrimSpace(token)))
	if subtle.ConstantTimeCompare(got[:], a.hash[:]) != 1 {
		return releaselake.Unauthorized, "the admin token is not valid"
	}
	return "", ""
}

// noteAnswer records in the request note whether execution began, and whether
// the operation was a query answered without errors: only those are cached.
type noteAnswer struct{}

func (noteAnswer) ExtensionName() string                   { return "CacheNote" }
func (noteAnswer) Validate(graphql.ExecutableSchema) error { return nil }

func (noteAnswer) InterceptResponse(ctx context.Context, next graphql.ResponseHandler) *graphql.Response {
	resp := next(ctx)
	n := noteOf(ctx)
	// Errors found before execution (parse, validation, limits) come here too,
	// without data.
	if n == nil || resp == nil || resp.Data == nil {
		return resp
	}
	n.executed.Store(true)
	if graphql.HasOperationContext(ctx) {
		if oc := graphql.GetOperationContext(ctx); oc.Operation != nil && oc.Operation.Operation == ast.Query && len(resp.Errors) == 0 {
			n.query.Store(true)
		}
	}
	return resp
}
