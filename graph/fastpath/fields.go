package fastpath

import (
	"sync"

	"github.com/releaselake/releaselake"
)

// The object types the fast path writes and their fields: an id to switch on
// and the field's object type ("" for a scalar). A query selecting a field
// not listed here goes to gqlgen (ReasonUnknownField).
//
// A stored column of Release (releaselake.ReleaseColumns) with no entry of
// its own is served with no edit here: withColumns adds it as fColumn+k and
// jsonWriter.column writes it by its type. To serve another new field:
//  1. add its fieldID below;
//  2. add it to its type in fields;
//  3. write it in jsonWriter.release (or .product, …) in write.go, as gqlgen
//     marshals it (appendQuoted for a String; "null" where gqlgen writes null).
//
// graph/fastpath_fields_test.go fails while a field of the schema's release
// types is neither here nor in its deliberateFallbacks (with the reason), and
// while a field here is not written byte for byte as gqlgen writes it.
type fieldID uint8

const (
	fTypename fieldID = iota
	fTotalCount
	fNodes
	fEdges
	fPageInfo
	fCursor
	fNode
	fHasNextPage
	fEndCursor
	fProduct
	fVersion
	fTag
	fName
	fURL
	fPublishedAt
	fPrerelease
	fYanked
	fSource
	fRepo
	fDateSource
	fFirstSeenAt
	fKey
	fLatest
	fReleases
	fProducts
	fHasPreviousPage
	fStartCursor
	fID
	fHomepage
	fDescription
	fCategory
	fSemver
	fMajor
	fMinor
	fPatch
	fPre
	fBuild
	// fColumn+k is column k of releaselake.ReleaseColumns: a stored column
	// of Release without a case of its own, written by its type.
	fColumn fieldID = 128
)

type fieldDef struct {
	id  fieldID
	typ string
}

var (
	rootFields = map[string]fieldDef{"releases": {fReleases, "ReleaseConnection"}, "latest": {fLatest, "Release"},
		"products": {fProducts, "Product"}, "product": {fProduct, "Product"}}
	fields = map[string]map[string]fieldDef{
		"ReleaseConnection": {"__typename": {fTypename, ""}, "totalCount": {fTotalCount, ""}, "nodes": {fNodes, "Release"},
			"edges": {fEdges, "ReleaseEdge"}, "pageInfo": {fPageInfo, "PageInfo"}},
		"ReleaseEdge": {"__typename": {fTypename, ""}, "cursor": {fCursor, ""}, "node": {fNode, "Release"}},
		"PageInfo": {"__typename": {fTypename, ""}, "hasNextPage": {fHasNextPage, ""}, "endCursor": {fEndCursor, ""},
			"hasPreviousPage": {fHasPreviousPage, ""}, "startCursor": {fStartCursor, ""}},
		"Release": withColumns(map[string]fieldDef{"__typename": {fTypename, ""}, "product": {fProduct, "Product"},
			"version": {fVersion, ""}, "tag": {fTag, ""}, "name": {fName, ""}, "url": {fURL, ""}, "publishedAt": {fPublishedAt, ""},
			"prerelease": {fPrerelease, ""}, "yanked": {fYanked, ""}, "source": {fSource, ""}, "repo": {fRepo, ""},
			"dateSource": {fDateSource, ""}, "firstSeenAt": {fFirstSeenAt, ""}, "id": {fID, ""}, "semver": {fSemver, "Semver"}}),
		"Semver": {"__typename": {fTypename, ""}, "major": {fMajor, ""}, "minor": {fMinor, ""}, "patch": {fPatch, ""},
			"pre": {fPre, ""}, "build": {fBuild, ""}},
		"Product": {"__typename": {fTypename, ""}, "key": {fKey, ""}, "name": {fName, ""}, "source": {fSource, ""},
			"repo": {fRepo, ""}, "latest": {fLatest, "Release"}, "releases": {fReleases, "ReleaseConnection"},
			"id": {fID, ""}, "homepage": {fHomepage, ""}, "description": {fDescription, ""}, "category": {fCategory, ""}},
	}
	aliases struct { // alias -> `"alias":`, made once (for a bounded number of aliases)
		sync.RWMutex
		m map[string][]byte
	}
)

// withColumns adds to the fields of Release every stored column not among
// them (fColumn), so that a column added to the table is served here too.
func withColumns(m map[string]fieldDef) map[string]fieldDef {
	for k, c := range releaselake.ReleaseColumns {
		if _, ok := m[c.Field]; !ok {
			m[c.Field] = fieldDef{fColumn + fieldID(k), ""}
		}
	}
	return m
}

// Served returns the fields the fast path writes, by object type ("Query"
// for the root fields): what the schema guard test checks the schema against.
func Served() map[string][]string {
	out := map[string][]string{}
	for name := range rootFields {
		out["Query"] = append(out["Query"], name)
	}
	for typ, fs := range fields {
		for name := range fs {
			out[typ] = append(out[typ], name)
		}
	}
	return out
}
