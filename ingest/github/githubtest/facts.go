package githubtest

// Repository facts: description and homepageUrl. The fixture repositories have
// the ones GitHub shows for them; SetRepoFacts changes them.

// fixtureFacts are GitHub's description and homepage of fixture repositories.
var fixtureFacts = map[string][2]string{
	"pallets/flask":               {"The Python micro framework for building web applications.", "https://flask.palletsprojects.com"},
	"spring-projects/spring-boot": {"Spring Boot helps you to create Spring-powered, production-grade applications and services with absolute minimum fuss.", "https://spring.io/projects/spring-boot"},
	"fastapi/fastapi":             {"FastAPI framework, high performance, easy to learn, fast to code, ready for production", "https://fastapi.tiangolo.com/"},
}

// fact resolves Repository.description or homepageUrl.
func (r *Repo) fact(field string) any {
	f := fixtureFacts[r.NameWithOwner()]
	desc, home := r.Description, r.HomepageURL
	if desc == "" {
		desc = f[0]
	}
	if home == "" {
		home = f[1]
	}
	if field == "description" {
		return nullable(desc)
	}
	return nullable(home)
}

// SetRepoFacts sets a repository's description and homepage ("" falls back to
// the fixture's, or null).
func (s *Server) SetRepoFacts(repo, description, homepage string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.mustRepo("SetRepoFacts", repo)
	if r == nil {
		return
	}
	r.Description, r.HomepageURL = description, homepage
	r.listings = nil
}
