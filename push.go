package releaselake

import "time"

// PushResult is the outcome of pushing the page snapshot to the page server.
type PushResult struct {
	Version int64     // the lake version pushed (or attempted)
	Pushed  bool      // the page server accepted it
	Status  int       // the page server's HTTP status; 0 if it was not reached
	Message string    // what happened, fit for an operator
	At      time.Time // when the push ended
}
