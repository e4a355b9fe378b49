// Package githubtest is a fake GitHub GraphQL v4 API for tests, serving the repositories
// of shared/fixtures/github over HTTP.
//
//	srv := githubtest.NewServer(t)
//	client := githubv4.NewEnterpriseClient(srv.URL, srv.Client())
//
// Like GitHub it requires "Authorization: bearer <token>" (401 "Bad credentials" otherwise),
// validates every query against GitHub's published schema (.cache/github-schema.graphql,
// made by `make github-schema`; RELEASELAKE_GITHUB_SCHEMA overrides the path), coerces
// variables, requires first or last (1..100) on every connection, limits a query to 500,000
// nodes and charges GitHub's cost against a 5,000-point hourly rateLimit. A query GitHub
// would reject is answered with GitHub-style errors and fails the test unless the server was
// made with AllowInvalid; Rejected lists such queries.
//
// Supported fields (any other field of the schema resolves to null):
//
//	Query         repository(owner, name, followRenames), rateLimit(dryRun), node(id), nodes(ids)
//	Repository    id databaseId name nameWithOwner url resourcePath owner{login id url}
//	              isArchived isDisabled isFork isMirror isPrivate isTemplate isLocked visibility
//	              releases(first last after before orderBy{CREATED_AT|NAME})
//	              refs(refPrefix: "refs/tags/", first last after before query
//	                   orderBy{ALPHABETICAL|TAG_COMMIT_DATE} direction)
//	              release(tagName) latestRelease ref(qualifiedName)
//	Release       id databaseId tagName name description url resourcePath createdAt
//	              publishedAt updatedAt isPrerelease isDraft isLatest tagCommit tag repository
//	Ref           id name prefix target repository
//	Commit        id oid abbreviatedOid committedDate authoredDate message messageHeadline
//	              url commitUrl resourcePath commitResourcePath repository
//	Tag           id oid abbreviatedOid name message tagger{date name email} target
//	              commitUrl commitResourcePath repository
//	RateLimit     cost limit remaining used resetAt nodeCount
//	connections   totalCount pageInfo{hasNextPage hasPreviousPage startCursor endCursor}
//	              nodes edges{cursor node}
//
// plus __typename everywhere, aliases, variables, fragments, inline fragments and
// @skip/@include. node(s) resolves repository and release ids only.
//
// Data: each fixture repository with its tags (annotated tags are Tag objects whose tagger
// date is the fixture date; lightweight tags point straight at a Commit dated the fixture
// date). Repositories whose products.csv row says github_releases=yes get releases derived
// from their tags as described in derive.go; the others (apache/kafka) have none.
// Releases come CREATED_AT DESC by default, refs ALPHABETICAL ASC. Drafts are listed (as
// to a token with push access), with publishedAt null.
//
// Tests change the data with AddRepo, AddHistory (a repository from given tags, e.g. the
// Fixtures renamed, for catalogs of thousands), RenameRepo, AddTag, DeleteTag, AddRelease,
// EditRelease, DeleteRelease and SetDraft, inspect it with Repo, read the traffic with
// Requests (or only count it with Usage: requests, points, nodes; WithoutRequestLog keeps
// no answers in memory), and break the transport with SetFault (see SecondaryRateLimit,
// BadGateway, RateLimited, Errors, CutOff) and SetRateLimit.
//
// Outside a test (releaselake demo), Start runs the same server with the schema and the
// repositories given (WithSchema, WithRepos, ParseHistory), notes fit for people
// (WithNotes) and a function that receives what would fail a test; Close stops it. The
// package imports neither testing nor net/http/httptest (NewServer takes a TB), so the
// binary that links it does not either.
package githubtest
