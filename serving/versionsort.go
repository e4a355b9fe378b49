package serving

import (
	"cmp"
	"runtime"
	"slices"
	"strings"
	"sync"

	"github.com/releaselake/releaselake"
)

// versionSort sorts each product's group of byVersion (row positions) into
// ByVersion order, greatest version first, and sets vrank[row] to the row's
// place within its product. Versions are parsed once per row, and most
// comparisons are of their numeric parts as numbers (releaseKey); products
// are shared between GOMAXPROCS goroutines.
func versionSort(ix *Index, byVersion, start, vrank []int32) {
	products := len(start) - 1
	workers := min(runtime.GOMAXPROCS(0), max(products/64, 1))
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			type entry struct {
				key releaseKey
				v   releaselake.Version
				row int32
			}
			var (
				es    []entry
				perm  []int32
				short []uint64
			)
			// cmpEntries is the order itself: greatest version first, then by tag.
			cmpEntries := func(x, y int32) int {
				a, b := &es[x], &es[y]
				if a.key.ok && b.key.ok {
					if c := b.key.compare(&a.key); c != 0 {
						return c
					}
					if c := b.v.CompareSuffix(a.v); c != 0 { // the release parts are equal
						return c
					}
				} else if c := b.v.Compare(a.v); c != 0 {
					return c
				}
				if c := strings.Compare(ix.tag(a.row), ix.tag(b.row)); c != 0 {
					return c
				}
				return cmp.Compare(a.row, b.row)
			}
			for p := w; p < products; p += workers {
				g := byVersion[start[p]:start[p+1]]
				es, perm, short = es[:0], perm[:0], short[:0]
				for k, i := range g {
					v := releaselake.VersionOf(ix.version(i))
					es = append(es, entry{releaseKeyOf(v), v, i})
					perm = append(perm, int32(k))
					if short != nil || k == 0 {
						if key, ok := es[k].key.short(); ok && len(g) <= 1<<16 {
							short = append(short, key<<16|uint64(k))
						} else {
							short = nil
						}
					}
				}
				if len(short) == len(g) {
					// Every version's release numbers fit in 48 bits: sort them
					// as plain integers with the entry's place in the low 16
					// bits, then order the runs of equal release numbers.
					slices.Sort(short)
					for k, x := range short {
						perm[k] = int32(x & 0xffff)
					}
					for lo := 0; lo < len(short); {
						hi := lo + 1
						for hi < len(short) && short[hi]>>16 == short[lo]>>16 {
							hi++
						}
						if hi-lo > 1 {
							slices.SortFunc(perm[lo:hi], cmpEntries)
						}
						lo = hi
					}
				} else {
					slices.SortFunc(perm, cmpEntries)
				}
				for k, x := range perm {
					g[k] = es[x].row
					vrank[es[x].row] = int32(k)
				}
			}
		})
	}
	wg.Wait()
}

// releaseKey is a version's Version.ReleaseKey (ok false when it has none),
// which orders as the release parts do. When every component is below 2^16
// (most versions), packed holds them all in one number that orders alike.
type releaseKey struct {
	c      [4]uint64
	packed uint64
	ok     bool
	fits   bool // packed is set
}

func releaseKeyOf(v releaselake.Version) releaseKey {
	var k releaseKey
	if k.c, k.ok = v.ReleaseKey(); !k.ok {
		return releaseKey{}
	}
	k.fits = true
	for _, c := range k.c {
		k.fits = k.fits && c < 1<<16
		k.packed = k.packed<<16 | c&0xffff
	}
	return k
}

// short returns the key in 48 bits that order greatest first as integers
// (12, 12, 16 and 8 bits for the four numbers), false if it is not ok or a
// number does not fit.
func (k *releaseKey) short() (uint64, bool) {
	if !k.ok || k.c[0] >= 1<<12 || k.c[1] >= 1<<12 || k.c[2] >= 1<<16 || k.c[3] >= 1<<8 {
		return 0, false
	}
	return 1<<48 - 1 - (k.c[0]<<36 | k.c[1]<<24 | k.c[2]<<8 | k.c[3]), true
}

// compare orders two keys (both ok) as their versions' release parts order.
func (k *releaseKey) compare(o *releaseKey) int {
	if k.fits && o.fits {
		return cmp.Compare(k.packed, o.packed)
	}
	for j := range k.c {
		if k.c[j] != o.c[j] {
			return cmp.Compare(k.c[j], o.c[j])
		}
	}
	return 0
}
