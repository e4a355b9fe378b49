package sources

import (
	"fmt"
	"net/url"

	"github.com/releaselake/releaselake"
)

// Opened is every source kind's Source, made from the program's configuration.
type Opened struct {
	Sources map[string]releaselake.Source // by kind
	// Disabled holds, by kind, why a kind its configuration leaves off (GitHub
	// without a token) is skipped; its Source is still in Sources, for rebuild.
	Disabled map[string]string
	// Notices say, once per disabled kind the catalog uses, what is not
	// crawled and how to fix it: for the log, the page and lake { notices }.
	Notices []string
}

// Open checks the kinds' URL settings in cfg.Settings and makes the Source of
// every kind; products are the catalog's, counted for the notices. A setting
// that is not an http(s) URL is an error of class Invalid naming its variable.
func Open(kinds releaselake.SourceKinds, cfg releaselake.SourceConfig, products []releaselake.Product) (Opened, error) {
	for _, k := range kinds {
		for _, s := range k.Settings {
			u := cfg.Settings[s.Env]
			if p, err := url.Parse(u); s.URL && (err != nil || (p.Scheme != "http" && p.Scheme != "https") || p.Host == "") {
				return Opened{}, releaselake.Errorf(releaselake.Invalid, "%s %q: want an http(s) URL", s.Env, releaselake.Redact(u))
			}
		}
	}
	count := map[string]int{}
	for _, p := range products {
		count[p.Kind]++
	}
	o := Opened{Sources: map[string]releaselake.Source{}, Disabled: map[string]string{}}
	for _, k := range kinds {
		src, err := k.New(cfg)
		if err != nil {
			return Opened{}, fmt.Errorf("source %s: %w", k.Name, err)
		}
		o.Sources[k.Name] = src
		u, ok := src.(releaselake.Unconfigured)
		if !ok {
			continue
		}
		if why, fix := u.Unconfigured(); why != "" {
			o.Disabled[k.Name] = why
			if n := count[k.Name]; n > 0 {
				o.Notices = append(o.Notices, fmt.Sprintf("%s products are not being crawled (%d products): %s. %s", k.Label, n, why, fix))
			}
		}
	}
	return o, nil
}
