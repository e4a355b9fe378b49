package graph

import (
	"context"
	"sync/atomic"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/releaselake/releaselake"
)

// MaxConnSubscriptions bounds the subscriptions one WebSocket connection
// holds at once (an SSE request holds one).
const MaxConnSubscriptions = 16

// releasePublished is Subscription.releasePublished: a feed of the
// broadcaster's changes that match products and prerelease, until ctx ends
// or the broadcaster drops or closes the subscription (the stream then
// completes: the client subscribes again).
func (r *Resolver) releasePublished(ctx context.Context, products []string, prerelease *bool) (<-chan *ReleaseEvent, error) {
	if noteOf(ctx) != nil { // came through the GET or POST transport, which answer once
		return nil, releaselake.Errorf(releaselake.Invalid, "subscriptions are served over graphql-sse "+
			"(POST /graphql with Accept: text/event-stream) or WebSocket (graphql-transport-ws), not a plain GET or POST")
	}
	if r.Broadcast == nil {
		return nil, releaselake.Errorf(releaselake.Unavailable, "this server has no subscriptions")
	}
	var want map[string]bool // nil: every product
	if len(products) > 0 {
		ks, err := r.selectKeys(products)
		if err != nil {
			return nil, err
		}
		want = make(map[string]bool, len(ks))
		for _, k := range ks {
			want[k] = true
		}
	}
	stableOnly := prerelease == nil || !*prerelease
	held := connSubscriptionsOf(ctx)
	if held != nil && held.Add(1) > MaxConnSubscriptions {
		held.Add(-1)
		return nil, releaselake.Errorf(releaselake.Invalid, "this connection holds %d subscriptions already: at most %d at once", MaxConnSubscriptions, MaxConnSubscriptions)
	}
	sub, err := r.Broadcast.Subscribe()
	if err != nil {
		if held != nil {
			held.Add(-1)
		}
		return nil, err
	}
	out := make(chan *ReleaseEvent)
	go func() {
		defer close(out)
		defer sub.Close()
		if held != nil {
			defer held.Add(-1)
		}
		for {
			select {
			case <-ctx.Done():
				return
			case p, ok := <-sub.C:
				if !ok {
					return
				}
				for _, c := range p.Changes {
					if want != nil && !want[c.Release.Product] || stableOnly && c.Release.Prerelease {
						continue
					}
					ev := &ReleaseEvent{Release: &c.Release, Change: ReleaseChange(c.Kind.String()),
						Version: int(p.Version), CommittedAt: p.CommittedAt}
					select {
					case out <- ev:
						sub.Delivered(1)
					case <-ctx.Done():
						return
					}
				}
			}
		}
	}()
	return out, nil
}

// connSubscriptions counts one WebSocket connection's subscriptions; the
// transport's init puts it in the connection's context.
type connSubscriptionsKey struct{}

func withConnSubscriptions(ctx context.Context) context.Context {
	return context.WithValue(ctx, connSubscriptionsKey{}, new(atomic.Int64))
}

func connSubscriptionsOf(ctx context.Context) *atomic.Int64 {
	n, _ := ctx.Value(connSubscriptionsKey{}).(*atomic.Int64)
	return n
}

// subscriptionsOnly refuses queries and mutations on the streaming
// transports: they are answered over GET and POST, with the response cache,
// and mutations with the admin token, so the streams never carry either.
type subscriptionsOnly struct{}

func (subscriptionsOnly) ExtensionName() string                   { return "SubscriptionsOnly" }
func (subscriptionsOnly) Validate(graphql.ExecutableSchema) error { return nil }

func (subscriptionsOnly) InterceptOperation(ctx context.Context, next graphql.OperationHandler) graphql.ResponseHandler {
	if oc := graphql.GetOperationContext(ctx); oc.Operation != nil && oc.Operation.Operation != ast.Subscription {
		return graphql.OneShot(&graphql.Response{Errors: gqlerror.List{{
			Message:    "SSE and WebSocket carry subscriptions only: send queries and mutations as GET or POST /graphql",
			Extensions: map[string]any{"code": string(releaselake.Invalid)},
		}}})
	}
	return next(ctx)
}
