package lake_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/format"

	"github.com/releaselake/releaselake"
)

// logLines decodes a log entry into one map per line.
func logLines(t *testing.T, data []byte) []map[string]map[string]any {
	t.Helper()
	var out []map[string]map[string]any
	for _, line := range bytes.Split(bytes.TrimSuffix(data, []byte("\n")), []byte("\n")) {
		var a map[string]map[string]any
		if err := json.Unmarshal(line, &a); err != nil || len(a) != 1 {
			t.Fatalf("log line %s: %v (want one action)", line, err)
		}
		out = append(out, a)
	}
	return out
}

func TestStore_Commit_writesDeltaLogActions(t *testing.T) {
	s, fsys := newStore(t)
	mustCommit(t, s, releaselake.NoVersion, sampleRows(), "run1")
	mustCommit(t, s, 0, sampleRows()[:1], "run2")
	uuidRE := `[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}`
	partRE := regexp.MustCompile(`^part-00000000000000000000-` + uuidRE + `-00000-c000\.snappy\.parquet$`)
	clockMs := float64(clockTime.UnixMilli())

	v0 := logLines(t, readAll(t, fsys, "yellow/_delta_log/00000000000000000000.json"))
	var kinds []string
	for _, a := range v0 {
		for k := range a {
			kinds = append(kinds, k)
		}
	}
	if strings.Join(kinds, ",") != "protocol,metaData,add,commitInfo" {
		t.Fatalf("v0 actions = %v", kinds)
	}
	// Writer version 4: writers must respect delta.enableChangeDataFeed.
	if p := v0[0]["protocol"]; p["minReaderVersion"] != 1.0 || p["minWriterVersion"] != 4.0 {
		t.Errorf("protocol = %v", p)
	}
	md := v0[1]["metaData"]
	if !regexp.MustCompile("^"+uuidRE+"$").MatchString(md["id"].(string)) || md["createdTime"] != clockMs {
		t.Errorf("metaData id/createdTime = %v/%v", md["id"], md["createdTime"])
	}
	if f, _ := json.Marshal([]any{md["format"], md["partitionColumns"], md["configuration"]}); string(f) != `[{"options":{},"provider":"parquet"},[],{"delta.enableChangeDataFeed":"true"}]` {
		t.Errorf("metaData format, partitionColumns, configuration = %s", f)
	}
	var schema struct {
		Fields []struct {
			Name, Type string
			Nullable   bool
		}
	}
	if err := json.Unmarshal([]byte(md["schemaString"].(string)), &schema); err != nil {
		t.Fatal(err)
	}
	var cols []string
	for _, f := range schema.Fields {
		cols = append(cols, f.Name+":"+f.Type)
		if f.Nullable {
			t.Errorf("schema: %s nullable, but the files hold it as required", f.Name)
		}
	}
	if got := strings.Join(cols, " "); got != "product:string tag:string version:string name:string url:string source:string repo:string date_source:string published_at:timestamp first_seen_at:timestamp prerelease:boolean yanked:boolean notes:string" {
		t.Errorf("schema = %s", got)
	}

	add := v0[2]["add"]
	path, _ := add["path"].(string)
	fi, err := os.Stat(filepath.Join(fsys.Root(), "yellow", path))
	if !partRE.MatchString(path) || err != nil || add["size"] != float64(fi.Size()) ||
		add["dataChange"] != true || add["modificationTime"] != clockMs || len(add["partitionValues"].(map[string]any)) != 0 {
		t.Errorf("add = %v (file: %v)", add, err)
	}
	var st struct {
		NumRecords int
		MinValues  map[string]any
		MaxValues  map[string]any
		NullCount  map[string]int
	}
	if err := json.Unmarshal([]byte(add["stats"].(string)), &st); err != nil {
		t.Fatal(err)
	}
	if st.NumRecords != 4 || st.MinValues["product"] != "pandas" || st.MaxValues["product"] != "react" ||
		st.MinValues["published_at"] != "1969-12-31T23:59:59.000Z" || st.MaxValues["first_seen_at"] != "2026-11-25T00:00:07.124Z" ||
		len(st.NullCount) != 13 || st.MaxValues["tag"] != "v3.13.0rc2" || st.MaxValues["notes"] != nil || st.MinValues["url"] != nil {
		t.Errorf("stats = %+v (timestamps: min rounded down, max up, to the ms; no min or max of free text)", st)
	}
	ci := v0[3]["commitInfo"]
	if txn, _ := ci["txnId"].(string); !strings.Contains(path, txn) {
		t.Errorf("data file %s is not named for its commit %v", path, ci["txnId"])
	}
	if ci["timestamp"] != clockMs || ci["operation"] != "INGEST" || ci["engineInfo"] != "releaselake" ||
		ci["runId"] != "run1" || ci["txnId"] == nil || ci["operationParameters"] == nil || ci["readVersion"] != nil {
		t.Errorf("v0 commitInfo = %v", ci)
	}

	v1 := logLines(t, readAll(t, fsys, "yellow/_delta_log/00000000000000000001.json"))
	if len(v1) != 4 || v1[0]["remove"] == nil || v1[1]["add"] == nil || v1[2]["cdc"] == nil || v1[3]["commitInfo"] == nil {
		t.Fatalf("v1 = %v, want remove, add, cdc, commitInfo", v1)
	}
	cdcRE := regexp.MustCompile(`^_change_data/cdc-00000000000000000001-` + uuidRE + `-c000\.snappy\.parquet$`)
	if c := v1[2]["cdc"]; !cdcRE.MatchString(c["path"].(string)) || c["dataChange"] != false || c["size"] == 0.0 ||
		fmt.Sprint(c["partitionValues"]) != "map[]" {
		t.Errorf("v1 cdc = %v", c)
	}
	if rm := v1[0]["remove"]; rm["path"] != path || rm["dataChange"] != true || rm["deletionTimestamp"] != clockMs {
		t.Errorf("v1 remove = %v, want v0's file %s", rm, path)
	}
	if ci := v1[3]["commitInfo"]; ci["readVersion"] != 0.0 || ci["runId"] != "run2" {
		t.Errorf("v1 commitInfo = %v", ci)
	}
}

func TestStore_Commit_writesSortedMicrosUTCParquet(t *testing.T) {
	_, name := sampleTable(t)
	f, err := os.Open(name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	fi, _ := f.Stat()
	pf, err := parquet.OpenFile(f, fi.Size())
	if err != nil {
		t.Fatal(err)
	}
	for _, col := range []string{"published_at", "first_seen_at"} {
		field, ok := pf.Schema().Lookup(col)
		if !ok {
			t.Fatalf("no column %s", col)
		}
		ts, ok := field.Node.Type().LogicalType().Value.(*format.TimestampType)
		if _, micros := ts.Unit.Value.(*format.MicroSeconds); !ok || !micros || !ts.IsAdjustedToUTC || !field.Node.Required() {
			t.Errorf("%s: %v, want required TIMESTAMP(MICROS, isAdjustedToUTC=true)", col, field.Node.Type().LogicalType())
		}
	}
	for _, rg := range pf.Metadata().RowGroups {
		for _, c := range rg.Columns {
			if c.MetaData.Codec != format.Snappy {
				t.Errorf("column %v codec %v, want SNAPPY", c.MetaData.PathInSchema, c.MetaData.Codec)
			}
		}
	}
	var keys []string
	type key struct {
		Product string `parquet:"product"`
		Tag     string `parquet:"tag"`
	}
	rows, err := parquet.Read[key](f, fi.Size())
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rows {
		keys = append(keys, r.Product+"/"+r.Tag)
	}
	if got := strings.Join(keys, " "); got != "pandas/0.1 python/v3.12.0 python/v3.13.0rc2 react/v19.0.0" {
		t.Errorf("row order = %s, want sorted by (product, tag)", got)
	}
}
