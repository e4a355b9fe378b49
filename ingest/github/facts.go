package github

import (
	"encoding/json"

	"github.com/releaselake/releaselake"
)

var _ releaselake.FactSource = (*Source)(nil)

// Facts implements releaselake.FactSource: the description and homepageUrl
// of the newest answer that has them (batch.go asks for them in every
// request; red lines from before that have neither key).
func (s *Source) Facts(raw [][]byte) (releaselake.ProductFacts, bool) {
	for i := len(raw) - 1; i >= 0; i-- {
		var l struct {
			Data struct {
				Repository map[string]json.RawMessage `json:"repository"`
			} `json:"data"`
		}
		if json.Unmarshal(raw[i], &l) != nil || l.Data.Repository == nil {
			continue
		}
		d, okD := l.Data.Repository["description"]
		h, okH := l.Data.Repository["homepageUrl"]
		if !okD && !okH {
			continue
		}
		var f releaselake.ProductFacts
		var desc, home *string
		_ = json.Unmarshal(d, &desc)
		_ = json.Unmarshal(h, &home)
		if desc != nil {
			f.Description = *desc
		}
		if home != nil {
			f.Homepage = *home
		}
		return releaselake.CleanFacts(f), true
	}
	return releaselake.ProductFacts{}, false
}
