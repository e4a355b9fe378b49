package githubtest_test

import (
	"testing"

	"github.com/releaselake/releaselake/ingest/github/githubtest"
)

// The fake answers securityVulnerabilities as GitHub does: schema-checked,
// aliased per package, paged UPDATED_AT DESC, and charged as a connection.
func TestServer_securityVulnerabilities(t *testing.T) {
	srv := githubtest.NewServer(t)
	const q = `query($e: SecurityAdvisoryEcosystem!, $p: String!, $after: String) {
	  a0: securityVulnerabilities(ecosystem: $e, package: $p, first: 1, after: $after, orderBy: {field: UPDATED_AT, direction: DESC}) {
	    totalCount pageInfo { hasNextPage endCursor }
	    nodes { advisory { ghsaId summary severity publishedAt withdrawnAt permalink }
	            vulnerableVersionRange firstPatchedVersion { identifier } updatedAt }
	  }
	  py: securityVulnerabilities(ecosystem: PIP, package: "py", first: 10) { nodes { advisory { ghsaId withdrawnAt } firstPatchedVersion { identifier } } }
	  repository(owner: "pallets", name: "flask") { description homepageUrl }
	  rateLimit { cost }
	}`
	var ranges []string
	var after any
	for page := 0; page < 3; page++ {
		status, resp, _ := post(t, srv.URL, srv.Token, q, map[string]any{"e": "PIP", "p": "flask", "after": after})
		if status != 200 || len(resp.Errors) > 0 {
			t.Fatalf("status %d, errors %v", status, resp.Errors)
		}
		if got := get(resp.Data, "a0", "totalCount"); got != 2.0 {
			t.Fatalf("totalCount = %v, want 2", got)
		}
		node := get(resp.Data, "a0", "nodes", 0)
		if id := get(node, "advisory", "ghsaId"); id != "GHSA-m2qf-hxjv-5gpq" {
			t.Errorf("ghsaId = %v", id)
		}
		ranges = append(ranges, get(node, "vulnerableVersionRange").(string)+" -> "+get(node, "firstPatchedVersion", "identifier").(string))
		if get(resp.Data, "a0", "pageInfo", "hasNextPage") != true {
			break
		}
		after = get(resp.Data, "a0", "pageInfo", "endCursor")
	}
	if len(ranges) != 2 || ranges[0] == ranges[1] {
		t.Errorf("pages gave %q, want both ranges of the advisory", ranges)
	}
	_, resp, _ := post(t, srv.URL, srv.Token, q, map[string]any{"e": "PIP", "p": "flask"})
	if w := get(resp.Data, "py", "nodes", 0, "advisory", "withdrawnAt"); w == nil {
		t.Errorf("py's advisory is not withdrawn: %v", get(resp.Data, "py"))
	}
	if p := get(resp.Data, "py", "nodes", 0, "firstPatchedVersion"); p != nil {
		t.Errorf("py's firstPatchedVersion = %v, want null", p)
	}
	if d := get(resp.Data, "repository", "description"); d != "The Python micro framework for building web applications." {
		t.Errorf("description = %v", d)
	}
	if c := get(resp.Data, "rateLimit", "cost"); c != 1.0 {
		t.Errorf("cost = %v, want 1", c)
	}
	if len(srv.Rejected()) != 0 {
		t.Errorf("rejected: %v", srv.Rejected()[0].Errors)
	}
}

// A query GitHub would refuse (securityVulnerabilities has no updatedSince) is
// refused by the fake too.
func TestServer_securityVulnerabilities_schemaChecked(t *testing.T) {
	srv := githubtest.NewServer(t, githubtest.AllowInvalid())
	_, resp, _ := post(t, srv.URL, srv.Token, `{ securityVulnerabilities(package: "flask", first: 5, updatedSince: "2024-01-01T00:00:00Z") { totalCount } }`, nil)
	if len(resp.Errors) == 0 || len(srv.Rejected()) != 1 {
		t.Fatalf("errors %v, rejected %d: want the query refused", resp.Errors, len(srv.Rejected()))
	}
}
