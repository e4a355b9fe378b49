package lake

import "time"

// SetRetryWait shortens the back-off before a failed write is redone, so
// tests of repeated failures run in milliseconds.
func SetRetryWait(s *Store, d time.Duration) { s.retryWait = d }
