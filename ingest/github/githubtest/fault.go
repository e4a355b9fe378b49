package githubtest

import (
	"encoding/json"
	"net/http"
	"strconv"
	"time"
)

// Fault replaces the server's answer to one request (see Server.SetFault). A faulted
// request is recorded but neither executed nor charged to the rate limit.
type Fault struct {
	Status int         // HTTP status; 0 means 200
	Header http.Header // added to the response (Content-Type defaults to JSON)
	Body   string      // response body, sent as is
	// Delay holds the answer back (until the client gives up, if that is sooner), to
	// exercise timeouts.
	Delay time.Duration
	// Cut drops the connection halfway through Body, after headers that announce all
	// of it: a connection lost mid-answer.
	Cut bool
}

// CutOff is an answer lost halfway: 200 and the first half of a body, then the
// connection closes.
func CutOff() *Fault {
	return &Fault{Body: mustJSON(map[string]any{"data": map[string]any{"rateLimit": map[string]any{"cost": 1}}}), Cut: true}
}

// SecondaryRateLimit is GitHub's answer to too many requests too fast: 403 with a
// retry-after header (omitted when retryAfter is 0) and the "secondary rate limit" message.
func SecondaryRateLimit(retryAfter time.Duration) *Fault {
	f := &Fault{
		Status: http.StatusForbidden,
		Header: http.Header{},
		Body: mustJSON(map[string]string{
			"documentation_url": "https://docs.github.com/free-pro-team@latest/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits",
			"message":           "You have exceeded a secondary rate limit. Please wait a few minutes before you try again. If you reach out to GitHub Support for help, please include the request ID 0000:0000:0000000:0000000:00000000.",
		}),
	}
	if retryAfter > 0 {
		f.Header.Set("Retry-After", strconv.Itoa(int(retryAfter.Round(time.Second)/time.Second)))
	}
	return f
}

// BadGateway is GitHub's answer to a query that ran out of time on its side: 502 with a
// "Something went wrong while executing your query" error.
func BadGateway() *Fault {
	return &Fault{
		Status: http.StatusBadGateway,
		Body: mustJSON(map[string]any{
			"data":   nil,
			"errors": []Error{{Message: "Something went wrong while executing your query. This may be the result of a timeout, or it could be a GitHub bug. Please include `0000:0000:0000000:0000000:00000000` when reporting this issue."}},
		}),
	}
}

// RateLimited is GitHub's answer once the primary (hourly) limit is spent: 200 with a
// RATE_LIMITED error, x-ratelimit-remaining: 0 and x-ratelimit-reset at reset.
func RateLimited(reset time.Time) *Fault {
	return &Fault{
		Header: http.Header{
			"X-Ratelimit-Limit":     {"5000"},
			"X-Ratelimit-Remaining": {"0"},
			"X-Ratelimit-Used":      {"5000"},
			"X-Ratelimit-Reset":     {strconv.FormatInt(reset.Unix(), 10)},
			"X-Ratelimit-Resource":  {"graphql"},
		},
		Body: mustJSON(map[string]any{"errors": []Error{rateLimitedError()}}),
	}
}

// Errors answers 200 with the given GraphQL errors and no data.
func Errors(errs ...Error) *Fault {
	return &Fault{Body: mustJSON(map[string]any{"errors": errs})}
}

func rateLimitedError() Error {
	return Error{Type: "RATE_LIMITED", Message: "API rate limit already exceeded for user ID 1."}
}

func mustJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return string(b)
}
