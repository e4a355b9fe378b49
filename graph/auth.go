package graph

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"strings"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/releaselake/releaselake"
)

// adminAuth refuses every mutation whose request lacks
// "Authorization: Bearer <admin token>", before any of its fields runs.
type adminAuth struct {
	set  bool     // an admin token is configured
	hash [32]byte // sha256 of the token: compared in constant time, whatever the length
}

func newAdminAuth(token string) adminAuth {
	return adminAuth{set: token != "", hash: sha256.Sum256([]byte(token))}
}

func (adminAuth) ExtensionName() string                   { return "AdminToken" }
func (adminAuth) Validate(graphql.ExecutableSchema) error { return nil }

func (a adminAuth) InterceptOperation(ctx context.Context, next graphql.OperationHandler) graphql.ResponseHandler {
	oc := graphql.GetOperationContext(ctx)
	if oc.Operation == nil || oc.Operation.Operation != ast.Mutation {
		return next(ctx)
	}
	class, msg := a.check(oc.Headers.Get("Authorization"))
	if class == "" {
		return next(ctx)
	}
	if n := noteOf(ctx); n != nil {
		n.denied.Store(class)
	}
	err := &gqlerror.Error{Message: msg, Extensions: map[string]any{"code": string(class)}}
	return graphql.OneShot(&graphql.Response{Errors: gqlerror.List{err}})
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
