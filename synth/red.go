package synth

import (
	"encoding/base64"
	"fmt"
	"io"
	"math/rand/v2"
	"net/url"
	"runtime"
	"strconv"
	"sync"
	"time"
)

// pageSize is how many nodes an answer holds, as the GitHub source asks.
const pageSize = 100

// item is one release or tag of a product, oldest first.
type item struct {
	tag       string
	row       bool // the parser makes a row of it
	pre       bool
	draft     bool
	annotated bool
	at        time.Time // published (commit) date
}

// items walks a product's versions until it has pr.Rows rows, adding the
// prereleases, sibling tags, stray non-version tags and drafts its style has,
// and dates them from some years back up to a day before the run.
func (p *Plan) items(pr *Product) []item {
	st := pr.style
	rng := rand.New(rand.NewPCG(uint64(p.Seed), uint64(pr.index)+1))
	name := repoName(pr.Repo)
	out := make([]item, 0, pr.Rows+pr.Rows/4+4)
	rows := 0
	add := func(tag string, row, pre bool) {
		out = append(out, item{tag: tag, row: row, pre: pre, annotated: rng.Float64() < st.annot})
		if row {
			rows++
		}
	}
	v := ver{maj: rng.IntN(4), min: rng.IntN(10)}
	strays := 0
	if rng.IntN(10) == 0 && st.pattern == "" {
		strays = 1 + rng.IntN(3)
	}
	for rows < pr.Rows {
		r := rng.Float64()
		bump := 0
		switch {
		case r < 0.03:
			v.maj, v.min, v.pat, bump = v.maj+1, 0, 0, 2
		case r < 0.25:
			v.min, v.pat, bump = v.min+1, 0, 1
		default:
			v.pat++
		}
		if st.preShare > 0 && (bump > 0 || st.prePatch) && rng.Float64() < st.preShare {
			k := 1 + rng.IntN(st.preMax)
			counts := map[string]int{}
			for j := 0; j < k && (st.preNoise || rows < pr.Rows); j++ {
				kind := st.preKinds[j*len(st.preKinds)/k]
				counts[kind]++
				pv := v
				pv.pre, pv.preN = kind, counts[kind]
				add(st.tag(name, pv), !st.preNoise, true)
			}
		}
		if rows < pr.Rows {
			add(st.tag(name, v), true, false)
		}
		if st.sibling != nil && rng.IntN(3) == 0 {
			add(st.sibling(name, v), false, false)
		}
		if strays > 0 && rng.IntN(max(1, pr.Rows/strays)) == 0 {
			strays--
			add(noiseTags[strays], false, false)
		}
	}
	if st.releases && !st.tagsFlag && rng.IntN(10) == 0 {
		v.pat++
		out = append(out, item{tag: st.tag(name, v), draft: true})
	}
	years := 1 + rng.Float64()*14
	end := p.At.Add(-24 * time.Hour)
	start := end.Add(-time.Duration(years * 365 * 24 * float64(time.Hour)))
	step := end.Sub(start) / time.Duration(len(out))
	for i := range out {
		out[i].at = start.Add(step*time.Duration(i) + time.Duration(rng.Float64()*0.5*float64(step))).Truncate(time.Second)
	}
	return out
}

func repoName(repo string) string {
	for i := len(repo) - 1; i >= 0; i-- {
		if repo[i] == '/' {
			return repo[i+1:]
		}
	}
	return repo
}

// mode is the listing mode the GitHub source settles on for the product.
func (pr *Product) mode() string {
	if pr.style.releases && !pr.Tags {
		return "releases"
	}
	return "tags"
}

// AppendProduct appends the red lines of product i to dst: one line per page
// of 100 nodes, newest first, as a full listing by the GitHub source writes
// them ({"product":…,"answer":{"repo":…,"round":…,"mode":…,"complete":true,
// "data":{"repository":…}}}). The first page of a product without tags: true
// also holds the first page of the other connection, as the source's first
// request asks for both.
func (p *Plan) AppendProduct(dst []byte, i int) []byte {
	pr := &p.Products[i]
	its := p.items(pr)
	mode := pr.mode()
	var rels, tags []int // indexes into its, newest first
	for j := len(its) - 1; j >= 0; j-- {
		if mode == "releases" {
			rels = append(rels, j)
		}
		if !its[j].draft {
			tags = append(tags, j)
		}
	}
	main := tags
	if mode == "releases" {
		main = rels
	}
	fetched := p.At.Add(time.Duration(i) * time.Millisecond)
	pages := max(1, (len(main)+pageSize-1)/pageSize)
	for pg := range pages {
		dst = append(dst, `{"product":`...)
		dst = appendString(dst, pr.Key)
		dst = append(dst, `,"answer":{"repo":`...)
		dst = appendString(dst, pr.Repo)
		dst = append(dst, `,"round":`...)
		dst = strconv.AppendInt(dst, int64(pg+1), 10)
		dst = append(dst, `,"fetchedAt":"`...)
		dst = fetched.AppendFormat(dst, time.RFC3339Nano)
		dst = append(dst, `","mode":"`...)
		dst = append(dst, mode...)
		dst = append(dst, `","complete":true,"data":{"repository":{"nameWithOwner":`...)
		dst = appendString(dst, pr.Repo)
		dst = append(dst, `,"url":"https://github.com/`...)
		dst = append(dst, pr.Repo...)
		dst = append(dst, '"')
		first := pg == 0 && !pr.Tags
		if mode == "releases" || first {
			dst = append(dst, `,"releases":`...)
			dst = appendConn(dst, rels, pg, func(dst []byte, j int) []byte { return appendRelease(dst, pr, &its[j], j) })
		}
		if mode == "tags" || first {
			dst = append(dst, `,"refs":`...)
			dst = appendConn(dst, tags, pg, func(dst []byte, j int) []byte { return appendRef(dst, pr, &its[j]) })
		}
		dst = append(dst, "}}}}\n"...)
	}
	return dst
}

// appendConn appends page pg of a connection over the items all: its head,
// then each node as node writes it (j: the item's index).
func appendConn(dst []byte, all []int, pg int, node func(dst []byte, j int) []byte) []byte {
	lo, hi := min(pg*pageSize, len(all)), min((pg+1)*pageSize, len(all))
	dst = append(dst, `{"totalCount":`...)
	dst = strconv.AppendInt(dst, int64(len(all)), 10)
	dst = append(dst, `,"pageInfo":{"hasNextPage":`...)
	dst = strconv.AppendBool(dst, hi < len(all))
	dst = append(dst, `,"endCursor":`...)
	if hi > lo {
		dst = append(dst, '"')
		dst = base64.StdEncoding.AppendEncode(dst, fmt.Appendf(nil, "cursor:v2:%d", hi))
		dst = append(dst, '"')
	} else {
		dst = append(dst, "null"...)
	}
	dst = append(dst, `},"nodes":[`...)
	for n, j := range all[lo:hi] {
		if n > 0 {
			dst = append(dst, ',')
		}
		dst = node(dst, j)
	}
	return append(dst, "]}"...)
}

// appendRelease appends item j of pr as a GitHub Release node.
func appendRelease(dst []byte, pr *Product, it *item, j int) []byte {
	dst = append(dst, `{"databaseId":`...)
	dst = strconv.AppendInt(dst, int64(pr.index+1)*1_000_000+int64(j), 10)
	dst = append(dst, `,"tagName":`...)
	dst = appendString(dst, it.tag)
	dst = append(dst, `,"name":`...)
	switch pr.index % 3 {
	case 0:
		dst = append(dst, "null"...)
	case 1:
		dst = appendString(dst, it.tag)
	default:
		dst = appendString(dst, pr.Name+" "+it.tag)
	}
	dst = append(dst, `,"url":"https://github.com/`...)
	dst = append(dst, pr.Repo...)
	if it.draft {
		dst = append(dst, `/releases/tag/untagged-`...)
		dst = strconv.AppendInt(dst, int64(j), 16)
		dst = append(dst, `","publishedAt":null`...)
	} else {
		dst = append(dst, `/releases/tag/`...)
		dst = append(dst, url.PathEscape(it.tag)...)
		dst = append(dst, `","publishedAt":"`...)
		dst = it.at.AppendFormat(dst, time.RFC3339)
		dst = append(dst, '"')
	}
	dst = append(dst, `,"createdAt":"`...)
	dst = it.at.Add(-3*time.Minute).AppendFormat(dst, time.RFC3339)
	dst = append(dst, `","isPrerelease":`...)
	dst = strconv.AppendBool(dst, it.pre)
	dst = append(dst, `,"isDraft":`...)
	dst = strconv.AppendBool(dst, it.draft)
	dst = append(dst, '}')
	return dst
}

// appendRef appends an item of pr as a git ref node.
func appendRef(dst []byte, pr *Product, it *item) []byte {
	dst = append(dst, `{"name":`...)
	dst = appendString(dst, it.tag)
	dst = append(dst, `,"target":{"__typename":`...)
	if it.annotated && pr.mode() == "tags" { // releases are tagged lightweight
		dst = append(dst, `"Tag","tagger":{"date":"`...)
		dst = it.at.AppendFormat(dst, time.RFC3339)
		dst = append(dst, `"},"target":{"__typename":"Commit","committedDate":"`...)
		dst = it.at.Add(-time.Hour).AppendFormat(dst, time.RFC3339)
		dst = append(dst, `"}}}`...)
	} else {
		dst = append(dst, `"Commit","committedDate":"`...)
		dst = it.at.AppendFormat(dst, time.RFC3339)
		dst = append(dst, `"}}`...)
	}
	return dst
}

// appendString appends s as a JSON string.
func appendString(dst []byte, s string) []byte {
	const hex = "0123456789abcdef"
	dst = append(dst, '"')
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '"' || c == '\\':
			dst = append(dst, '\\', c)
		case c < 0x20 || c == '<' || c == '>' || c == '&':
			dst = append(dst, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
		default:
			dst = append(dst, c)
		}
	}
	return append(dst, '"')
}

// WriteRed writes the red lines of every product, in catalog order, to w and
// returns the bytes written. Products are made on every CPU and written in
// order; at most a few products' lines are held at once.
func (p *Plan) WriteRed(w io.Writer) (int64, error) {
	workers := runtime.GOMAXPROCS(0)
	window := 4 * workers
	slots := make([]chan []byte, len(p.Products))
	for i := range slots {
		slots[i] = make(chan []byte, 1)
	}
	var pool sync.Pool
	next := make(chan int)
	stop := make(chan struct{})
	credit := make(chan struct{}, window)
	go func() {
		defer close(next)
		for i := range p.Products {
			select {
			case credit <- struct{}{}:
			case <-stop:
				return
			}
			select {
			case next <- i:
			case <-stop:
				return
			}
		}
	}()
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for i := range next {
				buf, _ := pool.Get().([]byte)
				slots[i] <- p.AppendProduct(buf[:0], i)
			}
		})
	}
	var n int64
	var err error
	for i := range slots {
		buf := <-slots[i]
		var k int
		k, err = w.Write(buf)
		n += int64(k)
		pool.Put(buf)
		<-credit
		if err != nil {
			break
		}
	}
	close(stop) // the workers finish what they took; each slot holds one
	wg.Wait()
	return n, err
}
