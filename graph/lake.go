package graph

import "time"

// LakeStatus is the GraphQL Lake: the version the server answers from.
type LakeStatus struct {
	Version     *int64
	CommittedAt *time.Time
	Rows        int
	Notices     []string
}
