package graph

import "time"

// LakeStatus is the GraphQL Lake: the version the server answers from.
type LakeStatus struct {
	Version     *int64
	CommittedAt *time.Time
	Rows        int
	Notices     []string
}

// ProductStatus is the GraphQL ProductStatus: a product's health, null where
// nothing is known.
type ProductStatus struct {
	LastSuccessAt *time.Time
	LastError     *string
	LastErrorAt   *time.Time
	FailingSince  *time.Time
	Stale         bool
}
