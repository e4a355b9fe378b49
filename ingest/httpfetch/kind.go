package httpfetch

import "github.com/releaselake/releaselake"

// RegistryKind is the SourceKind of a source that asks one HTTP service at a
// base URL (a package registry), set by base: the catalog entry "name: <ref>"
// and no options.
func RegistryKind(name, label string, base releaselake.Setting, newSource func(base string, client *Client) releaselake.Source) releaselake.SourceKind {
	base.URL = true
	return releaselake.SourceKind{
		Name:     name,
		Label:    label,
		Settings: []releaselake.Setting{base},
		New: func(c releaselake.SourceConfig) (releaselake.Source, error) {
			return newSource(c.Settings[base.Env], &Client{HTTP: c.HTTP}), nil
		},
	}
}
