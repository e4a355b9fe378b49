package githubtest

import (
	"strings"
	"time"
)

// The test controls below change the data the server answers from. A call naming an
// unknown repository, tag or release fails the test (t.Errorf) and changes nothing.

// Repo returns a copy of the repository's current data ("owner/name", any case; old
// names of renamed repositories work too).
func (s *Server) Repo(nameWithOwner string) (Repo, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.lookup(nameWithOwner)
	if !ok {
		return Repo{}, false
	}
	return *r.clone(), true
}

// AddRepo adds an empty repository; publishesReleases is what products.csv would say.
func (s *Server) AddRepo(nameWithOwner string, publishesReleases bool) {
	s.addRepo("AddRepo", nameWithOwner, publishesReleases, nil)
}

// AddHistory adds a repository holding tags (oldest first); when publishesReleases is
// set, its releases are derived from the tags as for the fixtures (derive.go).
func (s *Server) AddHistory(nameWithOwner string, publishesReleases bool, tags []Tag) {
	s.addRepo("AddHistory", nameWithOwner, publishesReleases, tags)
}

// addRepo is AddRepo and AddHistory; op names the caller in errors.
func (s *Server) addRepo(op, nameWithOwner string, publishesReleases bool, tags []Tag) {
	s.mu.Lock()
	defer s.mu.Unlock()
	owner, name, ok := strings.Cut(nameWithOwner, "/")
	if !ok || owner == "" || name == "" {
		s.errorf("%s: %q is not owner/name", op, nameWithOwner)
		return
	}
	if _, exists := s.lookup(nameWithOwner); exists {
		s.errorf("%s: %s exists", op, nameWithOwner)
		return
	}
	r := newRepo(fixtureRepo{owner: owner, name: name, releases: publishesReleases, tags: tags}, s.cfg.notes)
	for i := range r.Releases {
		r.Releases[i].DatabaseID = s.uniqueReleaseID(r.Releases[i].DatabaseID)
	}
	s.repos[strings.ToLower(nameWithOwner)] = r
}

// RenameRepo moves a repository to a new name; as on GitHub, repository(owner, name)
// still finds it by the old name (unless followRenames: false) and nameWithOwner shows
// the new one.
func (s *Server) RenameRepo(oldName, newName string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.mustRepo("RenameRepo", oldName)
	owner, name, ok := strings.Cut(newName, "/")
	if r == nil || !ok {
		return
	}
	delete(s.repos, strings.ToLower(r.NameWithOwner()))
	s.renamed[strings.ToLower(oldName)] = r
	r.Owner, r.Name = owner, name
	s.repos[strings.ToLower(newName)] = r
}

// AddTag adds a tag (no release is derived for it; use AddRelease).
func (s *Server) AddTag(repo string, t Tag) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.mustRepo("AddTag", repo)
	if r == nil {
		return
	}
	if _, exists := r.tag(t.Name); exists {
		s.errorf("AddTag: %s has tag %s", repo, t.Name)
		return
	}
	r.Tags = append(r.Tags, t)
}

// DeleteTag removes a tag; a release of it stays, with a null tagCommit.
func (s *Server) DeleteTag(repo, tag string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.mustRepo("DeleteTag", repo)
	if r == nil {
		return
	}
	i, ok := r.tag(tag)
	if !ok {
		s.errorf("DeleteTag: %s has no tag %s", repo, tag)
		return
	}
	r.Tags = append(r.Tags[:i], r.Tags[i+1:]...)
}

// AddRelease adds a release and returns it as stored. Defaults: DatabaseID a fresh id,
// CreatedAt the tag's commit date (now if there is no such tag), PublishedAt now unless
// IsDraft, UpdatedAt the later of the two.
func (s *Server) AddRelease(repo string, rel Release) Release {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.mustRepo("AddRelease", repo)
	if r == nil {
		return Release{}
	}
	if _, exists := r.release(rel.TagName); exists {
		s.errorf("AddRelease: %s has a release of %s", repo, rel.TagName)
		return Release{}
	}
	now := s.cfg.now()
	if rel.DatabaseID == 0 {
		rel.DatabaseID = releaseDatabaseID(r.NameWithOwner(), rel.TagName+"\x00added")
	}
	rel.DatabaseID = s.uniqueReleaseID(rel.DatabaseID)
	if rel.CreatedAt.IsZero() {
		rel.CreatedAt = now
		if i, ok := r.tag(rel.TagName); ok {
			rel.CreatedAt = r.commitDate(r.Tags[i])
		}
	}
	if rel.PublishedAt.IsZero() && !rel.IsDraft {
		rel.PublishedAt = now
	}
	if rel.UpdatedAt.IsZero() {
		rel.UpdatedAt = later(rel.CreatedAt, rel.PublishedAt)
	}
	r.Releases = append(r.Releases, rel)
	return rel
}

// EditRelease changes the release of tag with edit; UpdatedAt becomes now unless edit set
// it. TagName may be changed; DatabaseID may not.
func (s *Server) EditRelease(repo, tag string, edit func(*Release)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	rel := s.mustRelease("EditRelease", repo, tag)
	if rel == nil {
		return
	}
	before := *rel
	edit(rel)
	rel.DatabaseID = before.DatabaseID
	if rel.UpdatedAt.Equal(before.UpdatedAt) {
		rel.UpdatedAt = s.cfg.now()
	}
}

// DeleteRelease removes the release of tag (the tag stays).
func (s *Server) DeleteRelease(repo, tag string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.mustRepo("DeleteRelease", repo)
	if r == nil {
		return
	}
	i, ok := r.release(tag)
	if !ok {
		s.errorf("DeleteRelease: %s has no release of %s", repo, tag)
		return
	}
	r.Releases = append(r.Releases[:i], r.Releases[i+1:]...)
}

// SetDraft turns the release of tag into a draft (publishedAt null) or publishes it
// (publishedAt now).
func (s *Server) SetDraft(repo, tag string, draft bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	rel := s.mustRelease("SetDraft", repo, tag)
	if rel == nil {
		return
	}
	now := s.cfg.now()
	rel.IsDraft = draft
	rel.PublishedAt = now
	if draft {
		rel.PublishedAt = time.Time{}
	}
	rel.UpdatedAt = now
}

func (s *Server) mustRelease(op, repo, tag string) *Release {
	s.t.Helper()
	r := s.mustRepo(op, repo)
	if r == nil {
		return nil
	}
	i, ok := r.release(tag)
	if !ok {
		s.errorf("%s: %s has no release of %s", op, repo, tag)
		return nil
	}
	return &r.Releases[i]
}

func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}
