package lake

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// The Delta Lake log, as far as this lake writes and reads it: protocol reader 1
// / writer 4 for yellow (the change data feed, cdf.go; writerVersion is what a
// table without it declares), no partitions, no deletion vectors. See
// https://github.com/delta-io/delta/blob/master/PROTOCOL.md.

const (
	readerVersion = 1
	writerVersion = 2
	engineInfo    = "releaselake"
)

// action is one line of a log entry; exactly one field is set.
type action struct {
	CommitInfo *commitInfo `json:"commitInfo,omitempty"`
	Protocol   *protocol   `json:"protocol,omitempty"`
	MetaData   *metaData   `json:"metaData,omitempty"`
	Remove     *removeFile `json:"remove,omitempty"`
	Add        *addFile    `json:"add,omitempty"`
	CDC        *cdcFile    `json:"cdc,omitempty"` // change data (cdf.go)
}

type protocol struct {
	MinReaderVersion int `json:"minReaderVersion"`
	MinWriterVersion int `json:"minWriterVersion"`
}

type format struct {
	Provider string            `json:"provider"`
	Options  map[string]string `json:"options"`
}

type metaData struct {
	ID               string            `json:"id"`
	Name             *string           `json:"name,omitempty"`
	Format           format            `json:"format"`
	SchemaString     string            `json:"schemaString"`
	PartitionColumns []string          `json:"partitionColumns"`
	Configuration    map[string]string `json:"configuration"`
	CreatedTime      int64             `json:"createdTime"`
}

type addFile struct {
	Path             string            `json:"path"`
	PartitionValues  map[string]string `json:"partitionValues"`
	Size             int64             `json:"size"`
	ModificationTime int64             `json:"modificationTime"`
	DataChange       bool              `json:"dataChange"`
	Stats            string            `json:"stats,omitempty"`
	Tags             map[string]string `json:"tags,omitempty"` // the layout's fingerprint (files.go)
	// DeletionVector is only read, to refuse tables that use them.
	DeletionVector json.RawMessage `json:"deletionVector,omitempty"`
}

type removeFile struct {
	Path              string            `json:"path"`
	DeletionTimestamp int64             `json:"deletionTimestamp"`
	DataChange        bool              `json:"dataChange"`
	PartitionValues   map[string]string `json:"partitionValues,omitempty"`
	Size              int64             `json:"size,omitempty"`
}

// commitInfo is free-form in the protocol; these are the fields this lake
// writes. Other engines' extra fields are ignored on reading.
type commitInfo struct {
	Timestamp           int64             `json:"timestamp"`
	Operation           string            `json:"operation"`
	OperationParameters map[string]string `json:"operationParameters"`
	ReadVersion         *int64            `json:"readVersion,omitempty"`
	IsolationLevel      string            `json:"isolationLevel,omitempty"`
	IsBlindAppend       bool              `json:"isBlindAppend"`
	EngineInfo          string            `json:"engineInfo"`
	TxnID               string            `json:"txnId"`
	RunID               string            `json:"runId,omitempty"`
}

// stats is the JSON held in addFile.Stats.
type stats struct {
	NumRecords int64          `json:"numRecords"`
	MinValues  map[string]any `json:"minValues"`
	MaxValues  map[string]any `json:"maxValues"`
	NullCount  map[string]int `json:"nullCount"`
}

// logDir is the table's log, relative to the lake root.
const logDir = yellowDir + "/_delta_log"

// stagingDir holds data files while they are written: Delta and Spark readers
// skip directories whose name starts with "_", and no log entry names a file
// there.
const stagingDir = yellowDir + "/_staging"

// dataFileName names the data file of commit txn for version v; attempt
// counts the writes redone after a failure (a DataNode that died). The version
// and commit in the name let the cleaner tell a file whose commit lost (an
// orphan) from one still being committed, without clocks: see clean.go.
func dataFileName(v int64, txn string, attempt int) string {
	return fmt.Sprintf("part-%020d-%s-c%03d.snappy.parquet", v, txn, attempt)
}

// partFileName names data file k of the files commit txn writes for version
// v (a commit writes one file per changed part of the table, files.go).
func partFileName(v int64, txn string, k, attempt int) string {
	return fmt.Sprintf("part-%020d-%s-%05d-c%03d.snappy.parquet", v, txn, k, attempt)
}

// dataFilePattern matches data files (dataFileName, partFileName) and change
// data files (changeFileName).
var dataFilePattern = regexp.MustCompile(`^(?:part|cdc)-([0-9]{20})-([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})(?:-[0-9]{5})?-c[0-9]{3}\.snappy\.parquet$`)

// parseDataFileName returns the version and commit a data file (or change
// data file) was written for; ok is false for names this lake does not make.
func parseDataFileName(base string) (v int64, txn string, ok bool) {
	m := dataFilePattern.FindStringSubmatch(base)
	if m == nil {
		return 0, "", false
	}
	v, err := strconv.ParseInt(m[1], 10, 64)
	return v, m[2], err == nil
}

// checkpointInterval is how often a checkpoint is written: for every version
// that is a multiple of it, as Delta does by default.
const checkpointInterval = 10

// checkpointName returns the classic (single-file, V1) checkpoint of version v.
func checkpointName(v int64) string { return fmt.Sprintf("%s/%020d.checkpoint.parquet", logDir, v) }

var checkpointPattern = regexp.MustCompile(`^([0-9]{20})\.checkpoint\.parquet$`)

// lastCheckpointName points readers at the newest checkpoint.
const lastCheckpointName = logDir + "/_last_checkpoint"

// lastCheckpoint is the content of _last_checkpoint.
type lastCheckpoint struct {
	Version       int64 `json:"version"`
	Size          int64 `json:"size"` // actions in the checkpoint
	SizeInBytes   int64 `json:"sizeInBytes"`
	NumOfAddFiles int64 `json:"numOfAddFiles"`
}

// tombstoneRetention is how long a checkpoint keeps remove actions (Delta's
// delta.deletedFileRetentionDuration default); vacuum reads the whole log.
const tombstoneRetention = 7 * 24 * time.Hour

// repairOperation is the commitInfo operation of a repair entry: an entry
// written in place of one a writer claimed and abandoned half-written (see
// repair.go). It changes nothing in the table.
const repairOperation = "REPAIR"

// isRepair reports whether a complete entry is a repair entry.
func isRepair(actions []action, info *commitInfo) bool {
	if info.Operation != repairOperation || info.EngineInfo != engineInfo || !strings.HasPrefix(info.TxnID, "repair-") {
		return false
	}
	for _, a := range actions {
		if a.Add != nil || a.Remove != nil || a.CDC != nil {
			return false
		}
	}
	return true
}

// entryName returns the log entry of version v.
func entryName(v int64) string { return fmt.Sprintf("%s/%020d.json", logDir, v) }

var entryPattern = regexp.MustCompile(`^([0-9]{20})\.json$`)

// parseEntryName returns the version of a log entry's base name; ok is false
// for anything else in the log directory (checkpoints, temporary files).
func parseEntryName(base string) (v int64, ok bool) {
	m := entryPattern.FindStringSubmatch(base)
	if m == nil {
		return 0, false
	}
	v, err := strconv.ParseInt(m[1], 10, 64)
	return v, err == nil
}

// encodeEntry renders actions as a log entry: one JSON object per line, each
// line ending in a newline.
func encodeEntry(actions []action) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	for _, a := range actions {
		if err := enc.Encode(a); err != nil {
			return nil, err
		}
	}
	return buf.Bytes(), nil
}

// errIncomplete marks a log entry that is not (yet) a whole commit.
var errIncomplete = errors.New("incomplete log entry")

// decodeEntry parses a log entry. An entry is complete when every non-empty
// line is a JSON object and one of them is a commitInfo: this lake writes
// commitInfo as the last line, so an entry cut short at any byte (a backend
// whose Publish shows a file while it is written, a crashed writer) has either a
// broken last line or no commitInfo, and fails with errIncomplete.
func decodeEntry(data []byte) ([]action, *commitInfo, error) {
	var (
		actions []action
		info    *commitInfo
	)
	for i, line := range bytes.Split(data, []byte("\n")) {
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		var a action
		if err := json.Unmarshal(line, &a); err != nil {
			return nil, nil, fmt.Errorf("%w: line %d: %v", errIncomplete, i+1, err)
		}
		if a.CommitInfo != nil {
			info = a.CommitInfo
		}
		actions = append(actions, a)
	}
	if info == nil {
		return nil, nil, fmt.Errorf("%w: no commitInfo", errIncomplete)
	}
	return actions, info, nil
}
