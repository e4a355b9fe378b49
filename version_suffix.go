package releaselake

import "strings"

// Ranks of suffix words: where a suffix places a version among the versions with
// the same numeric part. PEP 440 spellings (a, b, c, pre, preview) rank with
// their long forms; words we do not know (canary, next, compat …) sit between
// milestones and release candidates and order among themselves alphabetically.
const (
	rankDev       = iota // dev, snapshot, nightly
	rankAlpha            // alpha, a
	rankBeta             // beta, b
	rankMilestone        // milestone, m
	rankOther            // any other word
	rankRC               // rc, c, cr, pre, preview
	rankRelease          // release, final, ga; and no suffix at all
	rankPost             // post
)

func wordRank(w string) int {
	switch len(w) {
	case 1:
		switch w[0] | 0x20 {
		case 'a':
			return rankAlpha
		case 'b':
			return rankBeta
		case 'c':
			return rankRC
		case 'm':
			return rankMilestone
		}
	case 2:
		switch {
		case strings.EqualFold(w, "rc"), strings.EqualFold(w, "cr"):
			return rankRC
		case strings.EqualFold(w, "ga"):
			return rankRelease
		}
	case 3:
		switch {
		case strings.EqualFold(w, "dev"):
			return rankDev
		case strings.EqualFold(w, "pre"):
			return rankRC
		}
	case 4:
		switch {
		case strings.EqualFold(w, "beta"):
			return rankBeta
		case strings.EqualFold(w, "post"):
			return rankPost
		}
	case 5:
		switch {
		case strings.EqualFold(w, "alpha"):
			return rankAlpha
		case strings.EqualFold(w, "final"):
			return rankRelease
		}
	case 7:
		switch {
		case strings.EqualFold(w, "release"):
			return rankRelease
		case strings.EqualFold(w, "preview"):
			return rankRC
		case strings.EqualFold(w, "nightly"):
			return rankDev
		}
	case 8:
		if strings.EqualFold(w, "snapshot") {
			return rankDev
		}
	case 9:
		if strings.EqualFold(w, "milestone") {
			return rankMilestone
		}
	}
	return rankOther
}

// token is one run of digits or letters of a suffix; sentinel stands for "no
// suffix", which ranks as a release.
type token struct {
	text     string
	num      bool
	sentinel bool
}

func (t token) rank() int {
	if t.sentinel {
		return rankRelease
	}
	return wordRank(t.text)
}

// compareToken orders numbers numerically and before words, and words by rank,
// then alphabetically ignoring case.
func compareToken(x, y token) int {
	switch {
	case x.num && y.num:
		return compareDigits(x.text, y.text)
	case x.num != y.num:
		if x.num {
			return -1
		}
		return 1
	}
	if rx, ry := x.rank(), y.rank(); rx != ry {
		if rx < ry {
			return -1
		}
		return 1
	}
	return compareFold(x.text, y.text)
}

// compareFold compares ASCII strings as if lower-cased.
func compareFold(a, b string) int {
	for i := 0; i < len(a) && i < len(b); i++ {
		ca, cb := a[i]|0x20, b[i]|0x20
		if ca != cb {
			if ca < cb {
				return -1
			}
			return 1
		}
	}
	switch {
	case len(a) < len(b):
		return -1
	case len(a) > len(b):
		return 1
	}
	return 0
}

// tokenizer yields the tokens of a suffix. For a version suffix (release=true) a
// leading release word (.RELEASE, .Final, .GA) is dropped, and an empty suffix
// yields one sentinel token, so that 1.0.0 and 1.0.0.RELEASE both rank as
// releases, above any prerelease and below .postN.
type tokenizer struct {
	s       string
	i       int
	release bool
	started bool
}

func newTokenizer(s string, release bool) tokenizer {
	return tokenizer{s: s, release: release}
}

func (t *tokenizer) next() (token, bool) {
	tok, ok := t.raw()
	if t.release && !t.started {
		t.started = true
		if ok && !tok.num && wordRank(tok.text) == rankRelease {
			tok, ok = t.raw()
		}
		if !ok {
			return token{sentinel: true}, true
		}
	}
	return tok, ok
}

func (t *tokenizer) raw() (token, bool) {
	s, i := t.s, t.i
	for i < len(s) && !isAlnum(s[i]) {
		i++
	}
	if i == len(s) {
		t.i = i
		return token{}, false
	}
	start, num := i, isDigit(s[i])
	for i < len(s) && isAlnum(s[i]) && isDigit(s[i]) == num {
		i++
	}
	t.i = i
	return token{text: s[start:i], num: num}, true
}

// compareTokens compares two suffixes (or two build metadata strings) token by
// token; when one runs out first it is the smaller.
func compareTokens(a, b string, release bool) int {
	ta, tb := newTokenizer(a, release), newTokenizer(b, release)
	for {
		x, okx := ta.next()
		y, oky := tb.next()
		switch {
		case !okx && !oky:
			return 0
		case !okx:
			return -1
		case !oky:
			return 1
		}
		if c := compareToken(x, y); c != 0 {
			return c
		}
	}
}
