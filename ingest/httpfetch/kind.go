package httpfetch

import (
	"net/url"

	"github.com/releaselake/releaselake"
)

// RegistryKind is the SourceKind of a source that asks one HTTP service at a
// base URL (a package registry), set by base: the catalog entry "name: <ref>"
// and no options. User info in the base URL (a mirror's user:password@)
// authenticates the requests to its host and is kept out of everything else:
// the source, its errors, red and the release URLs it builds see the bare URL.
func RegistryKind(name, label string, base releaselake.Setting, newSource func(base string, client *Client) releaselake.Source) releaselake.SourceKind {
	base.URL = true
	return releaselake.SourceKind{
		Name:     name,
		Label:    label,
		Settings: []releaselake.Setting{base},
		New: func(c releaselake.SourceConfig) (releaselake.Source, error) {
			bare, user := releaselake.SplitUserInfo(c.Settings[base.Env])
			client := &Client{HTTP: c.HTTP}
			if user != nil {
				client.Auth, client.AuthHost = user, hostOf(bare)
			}
			return newSource(bare, client), nil
		},
	}
}

func hostOf(u string) string {
	p, err := url.Parse(u)
	if err != nil {
		return ""
	}
	return p.Host
}
