// Command lake-checksum prints, for every version of a lake's yellow table
// that can still be read, its row count and an order-independent checksum of
// its rows, as the lake itself reads them (Store.SnapshotAt): one JSON object
// a line. scripts/bench-scale.d/readers.py computes the same checksum with
// delta-rs and with Spark, so that three readers are compared on every
// version of a large table without moving its rows between processes.
//
//	go run ./scripts/lake-checksum -lake DIR
//
// The checksum is the sum, mod 2^64, of the CRC-32 (IEEE) of each row's
// columns joined by U+001F, in table order: strings as they are, timestamps
// as microseconds since the epoch, booleans as 0 or 1.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"hash/crc32"
	"os"
	"runtime/debug"
	"strconv"
	"time"

	"github.com/releaselake/releaselake"
	"github.com/releaselake/releaselake/lake"
	"github.com/releaselake/releaselake/lake/localfs"
)

func main() {
	dir := flag.String("lake", "", "lake root on local disk")
	flag.Parse()
	if err := run(*dir); err != nil {
		fmt.Fprintln(os.Stderr, "lake-checksum:", err)
		os.Exit(1)
	}
}

func run(dir string) error {
	if dir == "" {
		return fmt.Errorf("-lake is required")
	}
	ctx := context.Background()
	s := lake.Open(localfs.New(dir))
	head, err := s.Head(ctx)
	if err != nil {
		return err
	}
	enc := json.NewEncoder(os.Stdout)
	for v := int64(0); v <= head; v++ {
		t0 := time.Now()
		snap, err := s.SnapshotAt(ctx, v)
		if releaselake.ClassOf(err) == releaselake.NotFound {
			continue // vacuumed
		}
		if err != nil {
			return err
		}
		if err := enc.Encode(map[string]any{
			"version": v, "rows": len(snap.Releases), "checksum": strconv.FormatUint(checksum(snap.Releases), 10),
			"seconds": time.Since(t0).Seconds(),
		}); err != nil {
			return err
		}
		// One version at a time in memory: at 10M rows a snapshot is ~2.7 GiB.
		snap = releaselake.Snapshot{}
		debug.FreeOSMemory()
	}
	return nil
}

func checksum(rows []releaselake.Release) uint64 {
	var sum uint64
	var b []byte
	for i := range rows {
		r := &rows[i]
		b = b[:0]
		for k, c := range releaselake.ReleaseColumns {
			if k > 0 {
				b = append(b, 0x1f)
			}
			switch c.Type {
			case releaselake.StringColumn:
				b = append(b, *r.Str(releaselake.StrCol(c.ID))...)
			case releaselake.TimeColumn:
				b = strconv.AppendInt(b, r.Time(releaselake.TimeCol(c.ID)).UnixMicro(), 10)
			case releaselake.BoolColumn:
				if *r.Bool(releaselake.BoolCol(c.ID)) {
					b = append(b, '1')
				} else {
					b = append(b, '0')
				}
			}
		}
		sum += uint64(crc32.ChecksumIEEE(b))
	}
	return sum
}
