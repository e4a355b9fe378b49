// Package synth makes synthetic but realistic lake input for scale tests: a
// catalog of GitHub products and one ingest run's raw GitHub answers (the red
// table's lines), shaped like what the GitHub source writes, so that the real
// parser turns them into rows. Everything follows from Config: the same seed
// gives the same bytes.
//
// Products are skewed like real repositories (most have tens of versions, a
// few thousands) and use the tag styles seen in real ones (v-prefixes,
// project-1.2.3, rel/release-1.2.3, pkg@1.2.3, rc/beta/alpha/canary/milestone
// prereleases, PEP 440 suffixes, underscored legacy tags), in releases or tags
// mode, with lightweight and annotated tags, drafts, and tags that are not
// versions (which the parser ignores), with a tag_pattern where a real catalog
// would need one.
package synth

import (
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"
)

// Config says what to generate.
type Config struct {
	Products int   // number of products [10,000]
	Releases int   // rows the red table parses to, over all products [1,000,000]
	Seed     int64 // every choice follows from it
	// At is when the generated run happened; every release is older [2026-11-01].
	At time.Time
}

// DefaultAt is Config.At when it is zero: fixed, so output is deterministic.
var DefaultAt = time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)

// Plan is what Generate will write: the products, their styles and how many
// rows each parses to. It is small (no releases); the releases are made while
// writing.
type Plan struct {
	At       time.Time
	Seed     int64
	Products []Product
}

// Product is one generated catalog entry.
type Product struct {
	Key, Name  string
	Repo       string // owner/name
	Tags       bool   // catalog tags: true
	TagPattern string // catalog tag_pattern, "" for none
	Style      string // the tag style's name
	Rows       int    // the rows its answers parse to
	index      int
	style      *style
}

// NewPlan chooses the products: names, styles and sizes. Row counts follow a
// log-normal distribution (median about 0.4 of the mean, a long tail of
// products with thousands) scaled so they add up to exactly cfg.Releases; every
// product has at least one.
func NewPlan(cfg Config) (*Plan, error) {
	if cfg.Products <= 0 {
		return nil, fmt.Errorf("synth: products must be positive, got %d", cfg.Products)
	}
	if cfg.Releases < cfg.Products {
		return nil, fmt.Errorf("synth: %d releases cannot give each of %d products one", cfg.Releases, cfg.Products)
	}
	at := cfg.At
	if at.IsZero() {
		at = DefaultAt
	}
	rng := rand.New(rand.NewPCG(uint64(cfg.Seed), 0x5ca1e))
	p := &Plan{At: at.UTC(), Seed: cfg.Seed, Products: make([]Product, cfg.Products)}
	weights := make([]float64, cfg.Products)
	var sum float64
	for i := range weights {
		weights[i] = math.Exp(1.3 * rng.NormFloat64())
		sum += weights[i]
	}
	total := 0
	for i := range p.Products {
		st := pickStyle(rng)
		owner := words[rng.IntN(len(words))]
		name := words[rng.IntN(len(words))]
		if rng.IntN(3) == 0 {
			name += "-" + words[rng.IntN(len(words))]
		}
		pr := Product{
			Key:   fmt.Sprintf("p%05d-%s", i, name),
			Name:  strings.ToUpper(name[:1]) + name[1:],
			Repo:  fmt.Sprintf("%s%d/%s", owner, i, name),
			Style: st.name, Tags: st.tagsFlag,
			Rows:  max(1, int(float64(cfg.Releases)*weights[i]/sum)),
			index: i, style: st,
		}
		if st.pattern != "" {
			pr.TagPattern = strings.ReplaceAll(st.pattern, "{name}", regexp.QuoteMeta(name))
		}
		total += pr.Rows
		p.Products[i] = pr
	}
	// Make the total exact: add to the products in turn, or take from the largest.
	for i := 0; total < cfg.Releases; i = (i + 1) % len(p.Products) {
		p.Products[i].Rows++
		total++
	}
	for total > cfg.Releases {
		big := 0
		for i := range p.Products {
			if p.Products[i].Rows > p.Products[big].Rows {
				big = i
			}
		}
		take := min(total-cfg.Releases, p.Products[big].Rows/2)
		p.Products[big].Rows -= take
		total -= take
	}
	return p, nil
}

// Rows is the number of rows the whole red table parses to.
func (p *Plan) Rows() int {
	n := 0
	for _, pr := range p.Products {
		n += pr.Rows
	}
	return n
}

// RunID is the generated run's id: its time and a suffix from the seed, in the
// form ingest.NewRunID gives (20261101T000000Z-3f9a).
func (p *Plan) RunID() string {
	return p.At.Format("20060102T150405Z") + fmt.Sprintf("-%04x", uint16(p.Seed*0x9e37+0x79b9))
}

// WriteCatalogFile writes the plan's catalog to the file name: a temporary
// file renamed into place, so a reader never sees half of it.
func (p *Plan) WriteCatalogFile(name string) error {
	if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
		return err
	}
	f, err := os.CreateTemp(filepath.Dir(name), ".catalog-*.yaml")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	if err := p.WriteCatalog(f); err != nil {
		f.Close()
		return fmt.Errorf("write catalog: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("write catalog: %w", err)
	}
	return os.Rename(f.Name(), name)
}

// WriteCatalog writes the catalog YAML of the plan's products.
func (p *Plan) WriteCatalog(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "# Generated by `releaselake gen` (seed %d): %d products, %d releases. Synthetic: not real repositories.\nproducts:\n",
		p.Seed, len(p.Products), p.Rows())
	for _, pr := range p.Products {
		fmt.Fprintf(&b, "  - key: %s\n    name: %s\n    github: %s\n", pr.Key, pr.Name, pr.Repo)
		if pr.Tags {
			b.WriteString("    tags: true\n")
		}
		if pr.TagPattern != "" {
			fmt.Fprintf(&b, "    tag_pattern: '%s'\n", pr.TagPattern)
		}
		if b.Len() > 64<<10 {
			if _, err := io.WriteString(w, b.String()); err != nil {
				return err
			}
			b.Reset()
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// words name owners and repositories.
var words = strings.Fields(`acme aero alpine amber anchor apex arrow aspen atlas aurora axis beacon birch
blaze bolt breeze bridge brook canyon cedar comet coral crane crest cypress dawn delta drift dune eagle
echo ember falcon fern fjord flare flint forge fox frost galaxy garnet glacier grove harbor hawk helix
heron horizon iris ivy jade jasper juniper kestrel lagoon lark laurel lotus lumen lynx maple marble
meadow mesa meteor mist nebula nimbus nova oak onyx orbit orchid otter pebble phoenix pine pixel prism
pulse quartz quill raven reef ridge river robin sage sable sierra slate sparrow spruce summit swift
thistle thunder tide timber topaz tundra vale vertex willow wren zenith zephyr`)
