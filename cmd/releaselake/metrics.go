package main

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"time"
)

// observeGraphQL reports each /graphql request to the metrics: its operation
// name (from the query string of a GET, the JSON body of a POST) and outcome
// (ok, error: an HTTP error or an answer carrying errors, or notmodified).
func (m *Main) observeGraphQL(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodOptions {
			next.ServeHTTP(w, r)
			return
		}
		start := time.Now()
		op := r.URL.Query().Get("operationName")
		if r.Method == http.MethodPost && r.Body != nil {
			body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20+1))
			r.Body.Close()
			r.Body = io.NopCloser(bytes.NewReader(body))
			if err == nil {
				var req struct {
					OperationName string `json:"operationName"`
				}
				if json.Unmarshal(body, &req) == nil {
					op = req.OperationName
				}
			}
		}
		rec := &outcomeWriter{ResponseWriter: w, status: http.StatusOK}
		next.ServeHTTP(rec, r)
		outcome := "ok"
		switch {
		case rec.status == http.StatusNotModified:
			outcome = "notmodified"
		case rec.status >= 400 || bytes.HasPrefix(bytes.TrimSpace(rec.head), []byte(`{"errors"`)):
			outcome = "error"
		}
		m.Metrics.GraphQL(op, outcome, time.Since(start))
	})
}

// outcomeWriter keeps the status and the first bytes of an answer.
type outcomeWriter struct {
	http.ResponseWriter
	status int
	head   []byte
}

func (o *outcomeWriter) WriteHeader(code int) {
	o.status = code
	o.ResponseWriter.WriteHeader(code)
}

func (o *outcomeWriter) Write(b []byte) (int, error) {
	if len(o.head) < 16 {
		o.head = append(o.head, b[:min(len(b), 16-len(o.head))]...)
	}
	return o.ResponseWriter.Write(b)
}

func (o *outcomeWriter) Unwrap() http.ResponseWriter { return o.ResponseWriter }
