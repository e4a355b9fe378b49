package fastpath

import (
	"strconv"
	"sync"
	"sync/atomic"

	"github.com/releaselake/releaselake/serving"
)

// rowMemos keeps, for the index being served, the JSON the fast path wrote for
// each release under each selection of plain Release fields (and the
// product's key, name, source, repo; never fields with arguments): the same
// releases are asked for again and again, and copying their bytes is cheaper
// than writing them. A new index starts afresh, and so do new advisories and
// facts served with it (a product's description and homepage may be GitHub's).
type rowMemos struct {
	mu    sync.Mutex
	ix    *serving.Index
	adv   *serving.Advisories
	bySig map[memoKey]*rowMemo
	bytes atomic.Int64 // kept for ix, bounded by max
	max   int64        // Options.RowMemoBytes; <= 0: nothing is kept
}

// What a memo is indexed by.
type memoKind uint8

const (
	memoRows   memoKind = iota // row number in the index
	memoLatest                 // a product's position in the catalog: its latest release
)

type memoKey struct {
	sig  string
	kind memoKind
}

const (
	memoMaxSigs         = 8        // selections kept per index
	DefaultRowMemoBytes = 32 << 20 // JSON kept per index
	memoChunk           = 512      // slots per lazily made chunk
)

// rowMemo is one selection's JSON by slot, in chunks made on first use.
type rowMemo struct {
	chunks []atomic.Pointer[[memoChunk]atomic.Pointer[[]byte]]
	owner  *rowMemos
}

// get returns the memo of sig for ix, with n slots of the given kind, nil
// when they are not kept.
func (m *rowMemos) get(ix, served *serving.Index, sig string, kind memoKind, n int) *rowMemo {
	if sig == "" || ix != served || m.max <= 0 {
		return nil
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if adv := ix.Advisories(); m.ix != ix || m.adv != adv {
		m.ix, m.adv, m.bySig = ix, adv, map[memoKey]*rowMemo{}
		m.bytes.Store(0)
	}
	k := memoKey{sig, kind}
	rm := m.bySig[k]
	if rm == nil && len(m.bySig) < memoMaxSigs {
		rm = &rowMemo{chunks: make([]atomic.Pointer[[memoChunk]atomic.Pointer[[]byte]], (n+memoChunk-1)/memoChunk), owner: m}
		m.bySig[k] = rm
	}
	return rm
}

func (rm *rowMemo) load(row int32) []byte {
	c := rm.chunks[row/memoChunk].Load()
	if c == nil {
		return nil
	}
	if b := c[row%memoChunk].Load(); b != nil {
		return *b
	}
	return nil
}

func (rm *rowMemo) store(row int32, b []byte) {
	if rm.owner.bytes.Add(int64(len(b))) > rm.owner.max {
		return
	}
	slot := &rm.chunks[row/memoChunk]
	c := slot.Load()
	if c == nil {
		slot.CompareAndSwap(nil, new([memoChunk]atomic.Pointer[[]byte]))
		c = slot.Load()
	}
	kept := make([]byte, len(b)) // not nil when empty: an empty answer is kept too
	copy(kept, b)
	c[row%memoChunk].Store(&kept)
}

// memoSig is the signature of a selection of Release fields whose JSON depends
// on the release alone, "" if it depends on more (arguments, nested lists).
func memoSig(sel []plan) string {
	var b []byte
	for _, f := range sel {
		if f.args != nil || f.id == fLatest || f.id == fReleases {
			return ""
		}
		b = strconv.AppendInt(b, int64(f.id), 10)
		b = append(b, f.key...)
		if f.sel != nil {
			sub := memoSig(f.sel)
			if sub == "" {
				return ""
			}
			b = append(append(append(b, '{'), sub...), '}')
		}
	}
	return string(b)
}
