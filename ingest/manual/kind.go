package manual

import "github.com/releaselake/releaselake"

const kindName = "manual"

// Kind registers the manual source: "manual: <path of a YAML file>". A
// relative path is read from the catalog file's directory, or, for the embedded
// catalog, from the files embedded beside it.
var Kind = releaselake.SourceKind{
	Name:  kindName,
	Label: "manual",
	New: func(c releaselake.SourceConfig) (releaselake.Source, error) {
		if c.CatalogDir == "" {
			return &Source{FS: releaselake.DefaultManualFiles}, nil
		}
		return &Source{Dir: c.CatalogDir}, nil
	},
}
