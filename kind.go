package releaselake

import (
	"log/slog"
	"net/http"
	"regexp"
	"strconv"
)

// SourceKind is one kind of upstream a catalog entry can name ("github: o/n",
// "pypi: name", …): the catalog keys it reads and how its Source is made. Each
// source package declares one; ingest/sources lists them, and the catalog and
// the program take that list, so adding a source touches no other package.
type SourceKind struct {
	// Name is the catalog key whose value is the product's Ref; it is also
	// Product.Kind, the Source's Kind and the name of the kind's red files.
	Name string
	// Label names the kind for people, in notices ("GitHub").
	Label string
	// Options are the other catalog keys the kind reads into Product.Options.
	Options []Option
	// Check, if set, validates a product of this kind once its keys are read;
	// the catalog reports its error with the entry's file, line and key.
	Check func(p Product) error
	// Settings are the flags and environment variables New reads.
	Settings []Setting
	// New makes the kind's Source from the program's configuration. A Source
	// that the configuration leaves off (no token) still parses (rebuild needs
	// it) and says so through Unconfigured.
	New func(SourceConfig) (Source, error)
}

// Option is a catalog key a source kind reads besides its own, such as
// tag_pattern. Parse turns the YAML scalar into the value kept in Options; a
// zero value (false, "") is the same as the key not given.
type Option struct {
	Key   string
	Parse func(value string) (any, error)
}

// BoolOption is an option read with strconv.ParseBool.
func BoolOption(key string) Option {
	return Option{key, func(s string) (any, error) { return strconv.ParseBool(s) }}
}

// StringOption is an option kept as written.
func StringOption(key string) Option {
	return Option{key, func(s string) (any, error) { return s, nil }}
}

// RegexpOption is an option compiled as a Go regular expression.
func RegexpOption(key string) Option {
	return Option{key, func(s string) (any, error) { return regexp.Compile(s) }}
}

// Setting is a flag and an environment variable that a source kind reads, such
// as -pypi-url and RELEASELAKE_PYPI_URL.
type Setting struct {
	Env     string // the environment variable, also the key in SourceConfig.Settings
	Flag    string // the flag; none for a secret
	Default string
	Usage   string // the flag's help, without the variable's name
	URL     bool   // the value must be an http(s) URL
	Secret  bool   // a token: read from the environment only, trimmed, one word
}

// SourceConfig is what SourceKind.New gets from the program.
type SourceConfig struct {
	Settings map[string]string // every kind's settings, by Setting.Env
	// HTTP carries requests upstream; its Timeout bounds one attempt. Tests
	// give one that reaches only 127.0.0.1.
	HTTP       *http.Client
	Log        *slog.Logger // never nil
	CatalogDir string       // directory of the catalog file; "" for the embedded catalog
}

// Unconfigured is a Source its configuration leaves off (GitHub without a
// token): its products are skipped with the reason why, and the program says
// how to fix it. why is "" when the source can run.
type Unconfigured interface {
	Unconfigured() (why, fix string)
}

// SourceKinds is the registry of the kinds a catalog may name, in the order
// messages list them.
type SourceKinds []SourceKind

// Lookup returns the kind named name.
func (ks SourceKinds) Lookup(name string) (SourceKind, bool) {
	for _, k := range ks {
		if k.Name == name {
			return k, true
		}
	}
	return SourceKind{}, false
}

// Names returns the kinds' names in order.
func (ks SourceKinds) Names() []string {
	names := make([]string, len(ks))
	for i, k := range ks {
		names[i] = k.Name
	}
	return names
}
