package githubtest

import (
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/vektah/gqlparser/v2/ast"
)

// The GitHub objects the fake knows. Each resolve lists the fields it answers; every
// other field of the schema resolves to null.

func dateTime(t time.Time) any { // DateTime: UTC
	if t.IsZero() {
		return nil
	}
	return t.UTC().Format(time.RFC3339)
}

func gitTimestamp(t time.Time) any { // GitTimestamp: keeps the offset it was written with
	if t.IsZero() {
		return nil
	}
	return t.Format("2006-01-02T15:04:05-07:00")
}

type queryRoot struct{}

func (queryRoot) typename() string { return "Query" }

func (queryRoot) resolve(ec *execution, f *ast.Field, args map[string]any, path []any) (any, *Error) {
	s := ec.s
	switch f.Name {
	case "repository":
		owner, _ := args["owner"].(string)
		name, _ := args["name"].(string)
		r, ok := s.lookup(owner + "/" + name)
		if ok && args["followRenames"] == false && !strings.EqualFold(r.NameWithOwner(), owner+"/"+name) {
			ok = false
		}
		if !ok {
			return nil, &Error{Type: "NOT_FOUND", Message: fmt.Sprintf("Could not resolve to a Repository with the name '%s/%s'.", owner, name)}
		}
		return &repoObj{r}, nil
	case "securityVulnerabilities":
		return s.securityVulnerabilities(args)
	case "rateLimit":
		return &rateObj{rate: s.rate, cost: ec.q.cost}, nil
	case "node":
		id, _ := args["id"].(string)
		n := s.node(id)
		if n == nil {
			return nil, notNode(id)
		}
		return n, nil
	case "nodes":
		ids, _ := args["ids"].([]any)
		out := make([]any, len(ids))
		for i, v := range ids {
			id := fmt.Sprint(v)
			if n := s.node(id); n != nil {
				out[i] = n
				continue
			}
			e := notNode(id)
			e.Path = append(path[:len(path):len(path)], i)
			e.Locations = fieldLocation(f)
			ec.errs = append(ec.errs, *e)
		}
		return out, nil
	}
	return nil, nil
}

func notNode(id string) *Error {
	return &Error{Type: "NOT_FOUND", Message: fmt.Sprintf("Could not resolve to a node with the global id of '%s'", id)}
}

// node finds a repository or release by its global id.
func (s *Server) node(id string) object {
	for _, r := range s.repos {
		if r.ID == id {
			return &repoObj{r}
		}
		for _, rel := range r.Releases {
			if releaseID(rel) == id {
				return &releaseObj{r, rel}
			}
		}
	}
	return nil
}

func releaseID(rel Release) string { return nodeID("RE", strconv.FormatInt(rel.DatabaseID, 10)) }

type rateObj struct {
	rate rateLimit
	cost queryCost
}

func (*rateObj) typename() string { return "RateLimit" }

func (o *rateObj) resolve(_ *execution, f *ast.Field, _ map[string]any, _ []any) (any, *Error) {
	switch f.Name {
	case "cost":
		return o.cost.cost, nil
	case "limit":
		return o.rate.limit, nil
	case "remaining":
		return o.rate.limit - o.rate.used, nil
	case "used":
		return o.rate.used, nil
	case "resetAt":
		return dateTime(o.rate.resetAt), nil
	case "nodeCount":
		return o.cost.nodes, nil
	}
	return nil, nil
}

type repoObj struct{ r *Repo }

func (*repoObj) typename() string { return "Repository" }

func (o *repoObj) resolve(ec *execution, f *ast.Field, args map[string]any, _ []any) (any, *Error) {
	r := o.r
	switch f.Name {
	case "id":
		return r.ID, nil
	case "databaseId":
		return r.DatabaseID, nil
	case "name":
		return r.Name, nil
	case "nameWithOwner":
		return r.NameWithOwner(), nil
	case "url":
		return "https://github.com/" + r.NameWithOwner(), nil
	case "resourcePath":
		return "/" + r.NameWithOwner(), nil
	case "owner":
		return &ownerObj{r.Owner}, nil
	case "isArchived", "isDisabled", "isFork", "isMirror", "isPrivate", "isTemplate", "isLocked":
		return false, nil
	case "visibility":
		return "PUBLIC", nil
	case "description", "homepageUrl":
		return r.fact(f.Name), nil
	case "releases":
		return o.releases(args)
	case "refs":
		return o.refs(args)
	case "release":
		tag, _ := args["tagName"].(string)
		if i, ok := r.release(tag); ok {
			return &releaseObj{r, r.Releases[i]}, nil
		}
		return nil, nil
	case "latestRelease":
		for _, rel := range r.Releases {
			if r.isLatest(rel) {
				return &releaseObj{r, rel}, nil
			}
		}
		return nil, nil
	case "ref":
		name, _ := args["qualifiedName"].(string)
		if i, ok := r.tag(strings.TrimPrefix(name, "refs/tags/")); ok {
			return &refObj{r, r.Tags[i]}, nil
		}
		return nil, nil
	}
	return nil, nil
}

// releases lists releases, CREATED_AT DESC unless orderBy says otherwise.
func (o *repoObj) releases(args map[string]any) (any, *Error) {
	field, desc := orderBy(args, "CREATED_AT", true)
	order := "releases/" + field
	items := o.r.listing(fmt.Sprint(order, desc), func() []connItem { return o.releaseItems(field, desc) })
	return paginate("ReleaseConnection", order, items, desc, args)
}

func (o *repoObj) releaseItems(field string, desc bool) []connItem {
	items := make([]connItem, 0, len(o.r.Releases))
	for _, rel := range o.r.Releases {
		id := fmt.Sprintf("%012d", rel.DatabaseID)
		key := timeKey(rel.CreatedAt) + "|" + id
		if field == "NAME" {
			name := rel.Name
			if name == "" {
				name = rel.TagName
			}
			key = name + "\x00" + id
		}
		items = append(items, connItem{key, &releaseObj{o.r, rel}})
	}
	return ordered(items, desc)
}

// refs lists tags (refPrefix "refs/tags/"; other prefixes are empty), ALPHABETICAL ASC
// unless orderBy (or the deprecated direction) says otherwise.
func (o *repoObj) refs(args map[string]any) (any, *Error) {
	defaultDesc := args["direction"] == "DESC"
	field, desc := orderBy(args, "ALPHABETICAL", defaultDesc)
	order := "refs/" + field
	prefix, _ := args["refPrefix"].(string)
	query, _ := args["query"].(string)
	items := o.r.listing(fmt.Sprint(order, desc, prefix, "\x00", query), func() []connItem { return o.refItems(field, desc, prefix, query) })
	return paginate("RefConnection", order, items, desc, args)
}

func (o *repoObj) refItems(field string, desc bool, prefix, query string) []connItem {
	var items []connItem
	if prefix == "refs/tags/" {
		for _, t := range o.r.Tags {
			if !strings.Contains(t.Name, query) {
				continue
			}
			key := t.Name
			if field == "TAG_COMMIT_DATE" {
				key = timeKey(o.r.commitDate(t)) + "|" + t.Name
			}
			items = append(items, connItem{key, &refObj{o.r, t}})
		}
	}
	return ordered(items, desc)
}

// listing returns the cached items of one ordering of a connection, building them
// the first time; changes to the repository drop the cache (Server.mustRepo).
func (r *Repo) listing(key string, build func() []connItem) []connItem {
	if items, ok := r.listings[key]; ok {
		return items
	}
	if r.listings == nil {
		r.listings = map[string][]connItem{}
	}
	items := build()
	r.listings[key] = items
	return items
}

func orderBy(args map[string]any, defField string, defDesc bool) (field string, desc bool) {
	ob, ok := args["orderBy"].(map[string]any)
	if !ok {
		return defField, defDesc
	}
	field, _ = ob["field"].(string)
	return field, ob["direction"] == "DESC"
}

type ownerObj struct{ login string }

func (*ownerObj) typename() string { return "Organization" }

func (o *ownerObj) resolve(_ *execution, f *ast.Field, _ map[string]any, _ []any) (any, *Error) {
	switch f.Name {
	case "login":
		return o.login, nil
	case "id":
		return nodeID("O", strings.ToLower(o.login)), nil
	case "url":
		return "https://github.com/" + o.login, nil
	}
	return nil, nil
}

type releaseObj struct {
	r   *Repo
	rel Release
}

func (*releaseObj) typename() string { return "Release" }

func (o *releaseObj) resolve(_ *execution, f *ast.Field, _ map[string]any, _ []any) (any, *Error) {
	rel := o.rel
	switch f.Name {
	case "id":
		return releaseID(rel), nil
	case "databaseId":
		return rel.DatabaseID, nil
	case "tagName":
		return rel.TagName, nil
	case "name":
		return nullable(rel.Name), nil
	case "description":
		return nullable(rel.Description), nil
	case "url":
		return "https://github.com/" + o.r.NameWithOwner() + "/releases/tag/" + url.PathEscape(rel.TagName), nil
	case "resourcePath":
		return "/" + o.r.NameWithOwner() + "/releases/tag/" + url.PathEscape(rel.TagName), nil
	case "createdAt":
		return dateTime(rel.CreatedAt), nil
	case "publishedAt":
		if rel.IsDraft {
			return nil, nil
		}
		return dateTime(rel.PublishedAt), nil
	case "updatedAt":
		return dateTime(rel.UpdatedAt), nil
	case "isPrerelease":
		return rel.IsPrerelease, nil
	case "isDraft":
		return rel.IsDraft, nil
	case "isLatest":
		return o.r.isLatest(rel), nil
	case "tagCommit":
		if i, ok := o.r.tag(rel.TagName); ok {
			return &commitObj{o.r, o.r.Tags[i]}, nil
		}
		return nil, nil
	case "tag":
		if i, ok := o.r.tag(rel.TagName); ok {
			return &refObj{o.r, o.r.Tags[i]}, nil
		}
		return nil, nil
	case "repository":
		return &repoObj{o.r}, nil
	}
	return nil, nil
}

type refObj struct {
	r *Repo
	t Tag
}

func (*refObj) typename() string { return "Ref" }

func (o *refObj) resolve(_ *execution, f *ast.Field, _ map[string]any, _ []any) (any, *Error) {
	switch f.Name {
	case "id":
		return nodeID("REF", o.r.ID+":refs/tags/"+o.t.Name), nil
	case "name":
		return o.t.Name, nil
	case "prefix":
		return "refs/tags/", nil
	case "target":
		if o.t.Annotated {
			return &tagObj{o.r, o.t}, nil
		}
		return &commitObj{o.r, o.t}, nil
	case "repository":
		return &repoObj{o.r}, nil
	}
	return nil, nil
}

// commitObj is the commit a tag points at.
type commitObj struct {
	r *Repo
	t Tag
}

func (*commitObj) typename() string { return "Commit" }

func (o *commitObj) resolve(_ *execution, f *ast.Field, _ map[string]any, _ []any) (any, *Error) {
	oid := o.r.commitOID(o.t)
	switch f.Name {
	case "id":
		return nodeID("C", oid), nil
	case "oid":
		return oid, nil
	case "abbreviatedOid":
		return oid[:min(7, len(oid))], nil
	case "committedDate", "authoredDate":
		return gitTimestamp(o.r.commitDate(o.t)), nil
	case "message", "messageHeadline":
		return "Release " + o.t.Name, nil
	case "url", "commitUrl":
		return "https://github.com/" + o.r.NameWithOwner() + "/commit/" + oid, nil
	case "resourcePath", "commitResourcePath":
		return "/" + o.r.NameWithOwner() + "/commit/" + oid, nil
	case "repository":
		return &repoObj{o.r}, nil
	}
	return nil, nil
}

// tagObj is an annotated tag's tag object.
type tagObj struct {
	r *Repo
	t Tag
}

func (*tagObj) typename() string { return "Tag" }

func (o *tagObj) resolve(_ *execution, f *ast.Field, _ map[string]any, _ []any) (any, *Error) {
	tagOID := oid("tag", o.r.NameWithOwner(), o.t.Name)
	switch f.Name {
	case "id":
		return nodeID("TA", tagOID), nil
	case "oid":
		return tagOID, nil
	case "abbreviatedOid":
		return tagOID[:7], nil
	case "name":
		return o.t.Name, nil
	case "message":
		return o.t.Name, nil
	case "tagger":
		return &actorObj{date: o.t.Date, name: "Release Manager", email: "release@example.com"}, nil
	case "target":
		return &commitObj{o.r, o.t}, nil
	case "commitUrl":
		return "https://github.com/" + o.r.NameWithOwner() + "/commit/" + o.r.commitOID(o.t), nil
	case "commitResourcePath":
		return "/" + o.r.NameWithOwner() + "/commit/" + o.r.commitOID(o.t), nil
	case "repository":
		return &repoObj{o.r}, nil
	}
	return nil, nil
}

type actorObj struct {
	date        time.Time
	name, email string
}

func (*actorObj) typename() string { return "GitActor" }

func (o *actorObj) resolve(_ *execution, f *ast.Field, _ map[string]any, _ []any) (any, *Error) {
	switch f.Name {
	case "date":
		return gitTimestamp(o.date), nil
	case "name":
		return o.name, nil
	case "email":
		return o.email, nil
	}
	return nil, nil
}
