package graph

import (
	"io"
	"strconv"

	"github.com/releaselake/releaselake"
)

// The enums of ReleaseOrder are ours rather than gqlgen's (gqlgen.yml binds
// them) for one reason: gqlparser takes an enum value of a variable in any
// case ("version"), so a value in the wrong case reaches UnmarshalGQL after
// validation, and gqlgen's generated error there is presented as an internal
// one. Ours is a client's error that lists the values.

// ReleaseOrderField is the schema's ReleaseOrderField.
type ReleaseOrderField string

// ReleaseOrderField values.
const (
	ReleaseOrderFieldPublishedAt ReleaseOrderField = "PUBLISHED_AT"
	ReleaseOrderFieldVersion     ReleaseOrderField = "VERSION"
	ReleaseOrderFieldFirstSeenAt ReleaseOrderField = "FIRST_SEEN_AT"
)

// IsValid reports whether e is one of the values.
func (e ReleaseOrderField) IsValid() bool {
	switch e {
	case ReleaseOrderFieldPublishedAt, ReleaseOrderFieldVersion, ReleaseOrderFieldFirstSeenAt:
		return true
	}
	return false
}

// UnmarshalGQL reads a value as spelled in the schema; anything else is Invalid.
func (e *ReleaseOrderField) UnmarshalGQL(v any) error {
	s, _ := v.(string)
	if *e = ReleaseOrderField(s); !e.IsValid() {
		return releaselake.Errorf(releaselake.Invalid, "orderBy.field: %#v is not a ReleaseOrderField: PUBLISHED_AT, VERSION or FIRST_SEEN_AT", v)
	}
	return nil
}

// MarshalGQL writes e as a JSON string.
func (e ReleaseOrderField) MarshalGQL(w io.Writer) { io.WriteString(w, strconv.Quote(string(e))) }

// OrderDirection is the schema's OrderDirection.
type OrderDirection string

// OrderDirection values.
const (
	OrderDirectionAsc  OrderDirection = "ASC"
	OrderDirectionDesc OrderDirection = "DESC"
)

// IsValid reports whether e is one of the values.
func (e OrderDirection) IsValid() bool { return e == OrderDirectionAsc || e == OrderDirectionDesc }

// UnmarshalGQL reads a value as spelled in the schema; anything else is Invalid.
func (e *OrderDirection) UnmarshalGQL(v any) error {
	s, _ := v.(string)
	if *e = OrderDirection(s); !e.IsValid() {
		return releaselake.Errorf(releaselake.Invalid, "orderBy.direction: %#v is not an OrderDirection: ASC or DESC", v)
	}
	return nil
}

// MarshalGQL writes e as a JSON string.
func (e OrderDirection) MarshalGQL(w io.Writer) { io.WriteString(w, strconv.Quote(string(e))) }
