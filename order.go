package releaselake

// Less is the order releases are listed in: newest published first, then by
// product key, then greatest version first, then by tag.
func Less(a, b *Release) bool {
	if !a.PublishedAt.Equal(b.PublishedAt) {
		return a.PublishedAt.After(b.PublishedAt)
	}
	if a.Product != b.Product {
		return a.Product < b.Product
	}
	if c := CompareVersions(a.Version, b.Version); c != 0 {
		return c > 0
	}
	return a.Tag < b.Tag
}
