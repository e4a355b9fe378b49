package lake

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/parquet-go/parquet-go"

	"github.com/releaselake/releaselake"
)

// SetRetryWait shortens the back-off before a failed write is redone, so
// tests of repeated failures run in milliseconds.
func SetRetryWait(s *Store, d time.Duration) { s.retryWait = d }

// WriteLegacyTable writes version 0 of a table as releaselake wrote it before
// the notes column: a 12-column schema and data file. Notes are dropped.
func WriteLegacyTable(fsys FS, rels []releaselake.Release, at time.Time) error {
	type legacyRow struct {
		Product     string `parquet:"product,dict"`
		Tag         string `parquet:"tag"`
		Version     string `parquet:"version"`
		Name        string `parquet:"name"`
		URL         string `parquet:"url"`
		Source      string `parquet:"source,dict"`
		Repo        string `parquet:"repo,dict"`
		DateSource  string `parquet:"date_source,dict"`
		PublishedAt int64  `parquet:"published_at,timestamp(microsecond:utc)"`
		FirstSeenAt int64  `parquet:"first_seen_at,timestamp(microsecond:utc)"`
		Prerelease  bool   `parquet:"prerelease"`
		Yanked      bool   `parquet:"yanked"`
	}
	rows := sortReleases(rels)
	var legacy []legacyRow
	for i := range rows.len() {
		r := rows.at(i)
		legacy = append(legacy, legacyRow{r.Product, r.Tag, r.Version, r.Name, r.URL, r.Source, r.Repo, r.DateSource,
			r.PublishedAt.UnixMicro(), r.FirstSeenAt.UnixMicro(), r.Prerelease, r.Yanked})
	}
	var buf bytes.Buffer
	if err := parquet.Write(&buf, legacy); err != nil {
		return err
	}
	schema := strings.Replace(schemaString, `,{"name":"notes","type":"string","nullable":false,"metadata":{}}`, "", 1)
	if schema == schemaString {
		return fmt.Errorf("no notes column in %s", schemaString)
	}
	name := dataFileName(0, "00000000-0000-4000-8000-000000000000", 0)
	ctx := context.Background()
	if err := fsys.Publish(ctx, yellowDir+"/"+name, buf.Bytes()); err != nil {
		return err
	}
	entry, err := encodeEntry([]action{
		{Protocol: &protocol{MinReaderVersion: readerVersion, MinWriterVersion: writerVersion}},
		{MetaData: &metaData{ID: "legacy", Format: format{Provider: "parquet", Options: map[string]string{}},
			SchemaString: schema, PartitionColumns: []string{}, Configuration: map[string]string{}, CreatedTime: millis(at)}},
		{Add: &addFile{Path: name, PartitionValues: map[string]string{}, Size: int64(buf.Len()), ModificationTime: millis(at), DataChange: true}},
		{CommitInfo: &commitInfo{Timestamp: millis(at), Operation: "INGEST", OperationParameters: map[string]string{}, EngineInfo: engineInfo, TxnID: "00000000-0000-4000-8000-000000000000"}},
	})
	if err != nil {
		return err
	}
	return fsys.Publish(ctx, entryName(0), entry)
}

// ReadDataFile reads every row of a data file through the reference reader.
func ReadDataFile(name string) ([]releaselake.Release, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	return readParquet(f, fi.Size())
}
