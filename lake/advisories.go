package lake

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strconv"
	"time"

	"github.com/google/uuid"
	"github.com/parquet-go/parquet-go"

	"github.com/releaselake/releaselake"
)

// The yellow_advisories table: GitHub security advisories of the catalog's
// packages, one row per vulnerable range (releaselake.Advisory), a Delta table
// beside yellow with the same protocol (reader 1 / writer 2), file naming,
// staging and checkpoint interval. It is small (thousands of rows), so every
// commit writes the complete state as one data file and removes every file
// of the version before: the state of version v is the add of entry v, and
// a reader replays nothing. Each commit's commitInfo.operationParameters
// records the yellow version it was committed with ("yellowVersion"), which
// is how a reader of yellow finds the advisories that go with it
// (AdvisoriesFor). docs/lake.md says what a crash between the two commits
// leaves.

const advisoriesDir = "yellow_advisories"

var (
	advLogDir     = advisoriesDir + "/_delta_log"
	advStagingDir = advisoriesDir + "/_staging"
)

var _ releaselake.AdvisoryLake = (*Store)(nil)

func advEntryName(v int64) string { return fmt.Sprintf("%s/%020d.json", advLogDir, v) }

// advRow is a row of the table's data files. Times are microseconds since
// the epoch, UTC, as in yellow; first_patched and withdrawn_at are null when
// there is none.
type advRow struct {
	Product         string  `parquet:"product,dict"`
	GHSAID          string  `parquet:"ghsa_id"`
	Summary         string  `parquet:"summary"`
	Severity        string  `parquet:"severity,dict"`
	VulnerableRange string  `parquet:"vulnerable_range"`
	FirstPatched    *string `parquet:"first_patched,optional"`
	PublishedAt     int64   `parquet:"published_at,timestamp(microsecond:utc)"`
	UpdatedAt       int64   `parquet:"updated_at,timestamp(microsecond:utc)"`
	WithdrawnAt     *int64  `parquet:"withdrawn_at,optional,timestamp(microsecond:utc)"`
	URL             string  `parquet:"url"`
	Ecosystem       string  `parquet:"ecosystem,dict"`
	Package         string  `parquet:"package,dict"`
}

// advSchemaString is the table's Delta schema, in advRow's column order.
const advSchemaString = `{"type":"struct","fields":[` +
	`{"name":"product","type":"string","nullable":false,"metadata":{}},` +
	`{"name":"ghsa_id","type":"string","nullable":false,"metadata":{}},` +
	`{"name":"summary","type":"string","nullable":false,"metadata":{}},` +
	`{"name":"severity","type":"string","nullable":false,"metadata":{}},` +
	`{"name":"vulnerable_range","type":"string","nullable":false,"metadata":{}},` +
	`{"name":"first_patched","type":"string","nullable":true,"metadata":{}},` +
	`{"name":"published_at","type":"timestamp","nullable":false,"metadata":{}},` +
	`{"name":"updated_at","type":"timestamp","nullable":false,"metadata":{}},` +
	`{"name":"withdrawn_at","type":"timestamp","nullable":true,"metadata":{}},` +
	`{"name":"url","type":"string","nullable":false,"metadata":{}},` +
	`{"name":"ecosystem","type":"string","nullable":false,"metadata":{}},` +
	`{"name":"package","type":"string","nullable":false,"metadata":{}}]}`

func toAdvRow(a releaselake.Advisory) advRow {
	r := advRow{Product: a.Product, GHSAID: a.GHSAID, Summary: a.Summary, Severity: a.Severity,
		VulnerableRange: a.VulnerableRange, PublishedAt: a.PublishedAt.UnixMicro(), UpdatedAt: a.UpdatedAt.UnixMicro(),
		URL: a.URL, Ecosystem: a.Ecosystem, Package: a.Package}
	if a.FirstPatched != "" {
		fp := a.FirstPatched
		r.FirstPatched = &fp
	}
	if a.Withdrawn() {
		w := a.WithdrawnAt.UnixMicro()
		r.WithdrawnAt = &w
	}
	return r
}

func (r advRow) advisory() releaselake.Advisory {
	a := releaselake.Advisory{Product: r.Product, GHSAID: r.GHSAID, Summary: r.Summary, Severity: r.Severity,
		VulnerableRange: r.VulnerableRange, PublishedAt: time.UnixMicro(r.PublishedAt).UTC(),
		UpdatedAt: time.UnixMicro(r.UpdatedAt).UTC(), URL: r.URL, Ecosystem: r.Ecosystem, Package: r.Package}
	if r.FirstPatched != nil {
		a.FirstPatched = *r.FirstPatched
	}
	if r.WithdrawnAt != nil {
		a.WithdrawnAt = time.UnixMicro(*r.WithdrawnAt).UTC()
	}
	return a
}

// advVersions lists the table's committed versions, oldest first.
func (s *Store) advVersions(ctx context.Context) ([]int64, error) {
	entries, err := s.fs.ReadDir(ctx, advLogDir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var vs []int64
	for _, e := range entries {
		if v, ok := parseEntryName(e.Name()); ok {
			vs = append(vs, v)
		}
	}
	return vs, nil
}

// AdvisoriesHead implements releaselake.AdvisoryLake.
func (s *Store) AdvisoriesHead(ctx context.Context) (int64, error) {
	vs, err := s.advVersions(ctx)
	if err != nil || len(vs) == 0 {
		return releaselake.NoVersion, boundary(err, "read yellow_advisories head")
	}
	return vs[len(vs)-1], nil
}

// advActions reads log entry v's actions.
func (s *Store) advActions(ctx context.Context, v int64) ([]action, error) {
	data, err := s.readFile(ctx, advEntryName(v))
	if err != nil {
		return nil, err
	}
	// commitInfo is written last: on HDFS a reader may see a prefix of an
	// entry being published, which must not read as a version without it.
	if !bytes.HasSuffix(data, []byte("\n")) || !bytes.Contains(data[bytes.LastIndexByte(data[:len(data)-1], '\n')+1:], []byte(`{"commitInfo":`)) {
		return nil, releaselake.Errorf(releaselake.Unavailable, "log entry %s is incomplete (being written, or abandoned)", advEntryName(v))
	}
	var out []action
	for line := range bytes.SplitSeq(bytes.TrimSpace(data), []byte("\n")) {
		var a action
		if err := json.Unmarshal(line, &a); err != nil {
			return nil, releaselake.Wrap(releaselake.Internal, err, "corrupt log entry "+advEntryName(v))
		}
		out = append(out, a)
	}
	return out, nil
}

// advEntry reads log entry v: its add (nil if the table was empty then) and
// the yellow version it records.
func (s *Store) advEntry(ctx context.Context, v int64) (*addFile, int64, error) {
	actions, err := s.advActions(ctx, v)
	if err != nil {
		return nil, 0, err
	}
	var add *addFile
	yellow := releaselake.NoVersion
	for _, a := range actions {
		if a.Add != nil {
			add = a.Add
		}
		if a.CommitInfo != nil {
			if y, err := strconv.ParseInt(a.CommitInfo.OperationParameters["yellowVersion"], 10, 64); err == nil {
				yellow = y
			}
		}
	}
	return add, yellow, nil
}

// AdvisoriesFor implements releaselake.AdvisoryLake.
func (s *Store) AdvisoriesFor(ctx context.Context, yellow int64) (releaselake.AdvisorySnapshot, error) {
	snap := releaselake.AdvisorySnapshot{Version: releaselake.NoVersion, YellowVersion: releaselake.NoVersion}
	vs, err := s.advVersions(ctx)
	if err != nil {
		return snap, boundary(err, "read yellow_advisories")
	}
	for i := len(vs) - 1; i >= 0; i-- {
		add, y, err := s.advEntry(ctx, vs[i])
		if err != nil {
			return snap, boundary(err, "read yellow_advisories v%d", vs[i])
		}
		if y > yellow {
			continue
		}
		snap.Version, snap.YellowVersion = vs[i], y
		if add != nil {
			if snap.Advisories, err = s.readAdvisories(ctx, add.Path); err != nil {
				return snap, boundary(err, "read yellow_advisories v%d", vs[i])
			}
		}
		return snap, nil
	}
	return snap, nil
}

func (s *Store) readAdvisories(ctx context.Context, name string) ([]releaselake.Advisory, error) {
	f, err := s.fs.Open(ctx, advisoriesDir+"/"+name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	rd := parquet.NewGenericReader[advRow](f)
	defer rd.Close()
	rows := make([]advRow, rd.NumRows())
	if n, err := rd.Read(rows); n != len(rows) {
		return nil, fmt.Errorf("read %s: %d rows of %d: %w", name, n, len(rows), err)
	}
	out := make([]releaselake.Advisory, len(rows))
	for i, r := range rows {
		out[i] = r.advisory()
	}
	return out, nil
}

// CommitAdvisories implements releaselake.AdvisoryLake: the rows, sorted by
// (product, ghsa_id, vulnerable_range), go to one data file under _staging,
// which is renamed into the table; then log entry base+1 is published
// (never overwriting) with a remove of base's file, the add and commitInfo
// naming the yellow version. A crash before the publish leaves the table at
// base (the data file is an orphan vacuum removes); after it, at base+1.
func (s *Store) CommitAdvisories(ctx context.Context, base int64, rows []releaselake.Advisory, yellow int64, info releaselake.CommitInfo) (int64, error) {
	v, err := s.commitAdvisories(ctx, base, rows, yellow, info)
	return v, boundary(err, "commit yellow_advisories v%d", base+1)
}

func (s *Store) commitAdvisories(ctx context.Context, base int64, rows []releaselake.Advisory, yellow int64, info releaselake.CommitInfo) (int64, error) {
	rows = slices.Clone(rows)
	slices.SortFunc(rows, func(a, b releaselake.Advisory) int {
		return cmp.Or(cmp.Compare(a.Product, b.Product), cmp.Compare(a.GHSAID, b.GHSAID), cmp.Compare(a.VulnerableRange, b.VulnerableRange))
	})
	for i := range rows {
		if rows[i].Product == "" || rows[i].GHSAID == "" {
			return base, releaselake.Errorf(releaselake.Invalid, "advisory row %d has no product or ghsa id", i)
		}
		if i > 0 && rows[i].Product == rows[i-1].Product && rows[i].Key() == rows[i-1].Key() {
			return base, releaselake.Errorf(releaselake.Invalid, "two rows of %s %s", rows[i].Product, rows[i].Key())
		}
	}
	head, err := s.AdvisoriesHead(ctx)
	if err != nil {
		return base, err
	}
	if head != base {
		return base, releaselake.Errorf(releaselake.Conflict, "base v%d is not the head v%d", base, head)
	}
	var prev *addFile
	if base != releaselake.NoVersion {
		if prev, _, err = s.advEntry(ctx, base); err != nil {
			return base, err
		}
	}
	now := s.now()
	at := cmp.Or(info.At, now)
	v, txn := base+1, uuid.NewString()
	var add *addFile
	if len(rows) > 0 {
		if add, err = s.writeAdvisories(ctx, rows, v, txn, now); err != nil {
			return base, err
		}
	}
	var actions []action
	md := &metaData{ID: uuid.NewString(), Format: format{Provider: "parquet", Options: map[string]string{}},
		SchemaString: advSchemaString, PartitionColumns: []string{}, Configuration: map[string]string{}, CreatedTime: millis(now)}
	pr := &protocol{MinReaderVersion: readerVersion, MinWriterVersion: writerVersion}
	if base == releaselake.NoVersion {
		actions = append(actions, action{Protocol: pr}, action{MetaData: md})
	}
	if prev != nil {
		actions = append(actions, action{Remove: &removeFile{Path: prev.Path, DeletionTimestamp: millis(now), DataChange: true,
			PartitionValues: map[string]string{}, Size: prev.Size}})
	}
	if add != nil {
		actions = append(actions, action{Add: add})
	}
	readVersion := base
	ci := &commitInfo{Timestamp: millis(at), Operation: cmp.Or(info.Operation, "INGEST"), IsolationLevel: "Serializable",
		OperationParameters: map[string]string{"yellowVersion": strconv.FormatInt(yellow, 10)},
		EngineInfo:          engineInfo, TxnID: txn, RunID: info.RunID}
	if base != releaselake.NoVersion {
		ci.ReadVersion = &readVersion
	}
	actions = append(actions, action{CommitInfo: ci})
	var entry bytes.Buffer
	for _, a := range actions {
		b, err := json.Marshal(a)
		if err != nil {
			return base, err
		}
		entry.Write(b)
		entry.WriteByte('\n')
	}
	if err := s.fs.Publish(ctx, advEntryName(v), entry.Bytes()); err != nil {
		if add != nil && errors.Is(err, fs.ErrExist) {
			s.removeOrphan(ctx, advisoriesDir+"/"+add.Path)
			return base, releaselake.Wrap(releaselake.Conflict, err, fmt.Sprintf("v%d was committed by another writer", v))
		}
		return base, fmt.Errorf("publish log entry: %w", err)
	}
	if v > 0 && v%checkpointInterval == 0 {
		if err := s.advCheckpoint(ctx, v, pr, md, add); err != nil {
			s.log.Warn("lake: yellow_advisories checkpoint failed; readers replay the log instead", "version", v, "err", err)
		}
	}
	return v, nil
}

// writeAdvisories writes rows as the data file of version v: under _staging,
// closed, then renamed into the table.
func (s *Store) writeAdvisories(ctx context.Context, rows []releaselake.Advisory, v int64, txn string, now time.Time) (*addFile, error) {
	var buf bytes.Buffer
	w := parquet.NewGenericWriter[advRow](&buf, parquet.Compression(&parquet.Snappy))
	out := make([]advRow, len(rows))
	for i, a := range rows {
		out[i] = toAdvRow(a)
	}
	if _, err := w.Write(out); err != nil {
		return nil, fmt.Errorf("encode data file: %w", err)
	}
	if err := w.Close(); err != nil {
		return nil, fmt.Errorf("encode data file: %w", err)
	}
	staged, err := s.writeRetrying(ctx, func(attempt int) string {
		return advStagingDir + "/" + dataFileName(v, txn, attempt)
	}, buf.Bytes())
	if err != nil {
		return nil, fmt.Errorf("write data file: %w", err)
	}
	name := path.Base(staged)
	if err := s.fs.Rename(ctx, staged, advisoriesDir+"/"+name); err != nil {
		s.removeOrphan(ctx, staged)
		return nil, fmt.Errorf("move %s into the table: %w", staged, err)
	}
	st, _ := json.Marshal(stats{NumRecords: int64(len(rows)), MinValues: map[string]any{}, MaxValues: map[string]any{}, NullCount: map[string]int{}})
	return &addFile{Path: name, PartitionValues: map[string]string{}, Size: int64(buf.Len()),
		ModificationTime: millis(now), DataChange: true, Stats: string(st)}, nil
}

// advCheckpoint writes the checkpoint of version v, every checkpointInterval
// versions as for yellow, and points _last_checkpoint at it. The protocol
// and metaData are the table's own (entry 0's), read back if v's commit did
// not carry them.
func (s *Store) advCheckpoint(ctx context.Context, v int64, pr *protocol, md *metaData, add *addFile) error {
	data, err := s.readFile(ctx, advEntryName(0))
	if err != nil {
		return err
	}
	for line := range bytes.SplitSeq(bytes.TrimSpace(data), []byte("\n")) {
		var a action
		if json.Unmarshal(line, &a) == nil && a.MetaData != nil {
			md = a.MetaData
		}
	}
	st := &tableState{version: v, protocol: pr, metaData: md, files: map[string]*addFile{}, tombstones: map[string]*removeFile{}}
	if add != nil {
		st.files[add.Path] = add
	}
	cp, last, err := encodeCheckpoint(st, 0)
	if err != nil {
		return err
	}
	tmp := fmt.Sprintf(".%020d.checkpoint.parquet.tmp-%s", v, uuid.NewString())
	if err := s.writeAndRename(ctx, advLogDir, tmp, fmt.Sprintf("%s/%020d.checkpoint.parquet", advLogDir, v), cp); err != nil {
		return err
	}
	lc, err := json.Marshal(last)
	if err != nil {
		return err
	}
	return s.replace(ctx, advLogDir, "_last_checkpoint", lc)
}
