package graph

import (
	"context"
	"encoding/base64"
	"strings"
	"time"

	"github.com/releaselake/releaselake"
)

// Node is a Release or a Product (*releaselake.Release, *releaselake.Product),
// the objects Relay's node(id:) fetches again.
type Node any

// Bounds of the id arguments, checked before any is decoded.
const (
	MaxNodes   = MaxFirst // ids of one nodes(ids:)
	MaxIDBytes = 1024     // an id, and a release(version:, tag:) argument
)

// An id is base64url (no padding) of the type name, the product key and, for
// a release, its tag, joined by ':': "Release:react:v19.0.0". A catalog key
// has no ':' and the tag comes last, so any tag reads back. Product key and
// tag are the lake's key of a release, kept by every lake version and
// replica and untouched by new columns, so ids stay stable.
const (
	typeRelease = "Release"
	typeProduct = "Product"
)

// appendID appends the id of a product (tag "") or of a release.
func appendID(dst []byte, typ, product, tag string) []byte {
	raw := make([]byte, 0, len(typ)+len(product)+len(tag)+2)
	raw = append(append(append(raw, typ...), ':'), product...)
	if typ == typeRelease {
		raw = append(append(raw, ':'), tag...)
	}
	return base64.RawURLEncoding.AppendEncode(dst, raw)
}

func releaseID(r *releaselake.Release) string {
	return string(appendID(nil, typeRelease, r.Product, r.Tag))
}

func productID(key string) string { return string(appendID(nil, typeProduct, key, "")) }

// decodeID reads an id made by appendID.
func decodeID(id string) (typ, product, tag string, err error) {
	bad := releaselake.Errorf(releaselake.Invalid, "id: not an id from this API; pass a Release.id or Product.id")
	if len(id) > MaxIDBytes*4/3+4 {
		return "", "", "", bad
	}
	// Strict: an id whose trailing bits are not zero ("…dWV" for "…dWU")
	// would otherwise name the same object as the id this API gives.
	raw, e := base64.RawURLEncoding.Strict().DecodeString(id)
	if e != nil {
		return "", "", "", bad
	}
	typ, rest, ok := strings.Cut(string(raw), ":")
	switch {
	case !ok:
		return "", "", "", bad
	case typ == typeProduct:
		product = rest
	case typ == typeRelease:
		if product, tag, ok = strings.Cut(rest, ":"); !ok || tag == "" {
			return "", "", "", bad
		}
	default:
		return "", "", "", bad
	}
	if product == "" {
		return "", "", "", bad
	}
	return typ, product, tag, nil
}

// node returns the object of an id: a release of the index served, a
// product of the catalog; nil when there is none now.
func (r *Resolver) node(ctx context.Context, id string) (Node, error) {
	typ, product, tag, err := decodeID(id)
	if err != nil {
		return nil, err
	}
	if typ == typeProduct {
		if p, ok := r.Catalog.Product(product); ok {
			return &p, nil
		}
		return nil, nil
	}
	ix, err := r.index(ctx)
	if err != nil {
		return nil, err
	}
	if rel, ok := ix.Release(product, tag); ok {
		return &rel, nil
	}
	return nil, nil
}

// nodes returns the objects of ids, in their order, nil for each gone. The
// count is checked before any id is read.
func (r *Resolver) nodes(ctx context.Context, ids []string) ([]Node, error) {
	if len(ids) > MaxNodes {
		return nil, releaselake.Errorf(releaselake.Invalid, "ids: %d ids, at most %d", len(ids), MaxNodes)
	}
	out := make([]Node, len(ids))
	for i, id := range ids {
		n, err := r.node(ctx, id)
		if err != nil {
			return nil, releaselake.Errorf(releaselake.Invalid, "ids[%d]: %s", i, releaselake.MessageOf(err))
		}
		out[i] = n
	}
	return out, nil
}

// release answers Query.release: the release of a catalog product by
// version or by tag (exactly one), at asOf.
func (r *Resolver) release(ctx context.Context, product string, version, tag *string, asOf *time.Time) (*releaselake.Release, error) {
	if (version == nil) == (tag == nil) {
		return nil, releaselake.Errorf(releaselake.Invalid, "release: give exactly one of version and tag")
	}
	for _, s := range []*string{version, tag} {
		if s != nil && len(*s) > MaxIDBytes {
			return nil, releaselake.Errorf(releaselake.Invalid, "release: version or tag of %d bytes, at most %d", len(*s), MaxIDBytes)
		}
	}
	if _, err := r.selectKeys([]string{product}); err != nil {
		return nil, err
	}
	ix, err := r.indexAt(ctx, asOf)
	if err != nil {
		return nil, err
	}
	var rel releaselake.Release
	var ok bool
	if version != nil {
		rel, ok = ix.ReleaseOfVersion(product, *version)
	} else {
		rel, ok = ix.Release(product, *tag)
	}
	if !ok {
		return nil, nil
	}
	return &rel, nil
}
