package lake

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"time"

	"github.com/google/uuid"

	"github.com/releaselake/releaselake"
)

// Repairing a log entry abandoned half-written (docs/lake.md says why this is
// safe): once the entry's file is sealed (its writer's lease gone, the file
// closed by the NameNode), it is replaced by a repair entry, a commit that
// changes nothing.

// repair waits (at most s.repairWait) until entry v is sealed, then replaces
// it with a repair entry if it is still incomplete. A nil error means entry v
// is now complete (a repair entry or the claimer's own), or gone.
func (s *Store) repair(ctx context.Context, v int64) error {
	name := entryName(v)
	deadline := time.Now().Add(s.repairWait)
	wait := 200 * time.Millisecond
	for logged := false; ; {
		// Finished meanwhile, by its writer or by another repairer?
		if _, _, err := s.readEntry(ctx, v); !errors.Is(err, errIncomplete) {
			if errors.Is(err, fs.ErrNotExist) {
				return nil
			}
			return err
		}
		sealed, err := s.fs.Sealed(ctx, name)
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("repair log entry %d: %w", v, err)
		}
		if sealed {
			break
		}
		if time.Now().After(deadline) {
			return releaselake.Errorf(releaselake.Conflict,
				"log entry %d is claimed by a writer that has not finished it for %s (on HDFS its lease has not expired); try again later",
				v, s.repairWait)
		}
		if !logged {
			s.log.Info("lake: waiting for an unfinished log entry to be sealed or completed", "version", v, "max", s.repairWait)
			logged = true
		}
		if err := sleep(ctx, wait); err != nil {
			return err
		}
		wait = min(2*wait, 2*time.Second)
	}
	// Sealed: what it holds now is final.
	_, _, err := s.readEntry(ctx, v)
	if !errors.Is(err, errIncomplete) {
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		return err // complete after all (nil), or unreadable
	}
	entry, err := s.repairEntry(ctx, v)
	if err != nil {
		return fmt.Errorf("repair log entry %d: %w", v, err)
	}
	if err := s.writeAndRename(ctx, logDir, fmt.Sprintf(".%020d.json.repair-%s", v, uuid.NewString()), name, entry); err != nil {
		// Another process may have repaired it first (and a cleaner removed
		// our temporary file as useless).
		if _, _, rerr := s.readEntry(ctx, v); rerr == nil {
			return nil
		}
		return fmt.Errorf("repair log entry %d: %w", v, err)
	}
	s.log.Warn("lake: replaced a log entry its writer abandoned half-written with a repair entry (no change to the table)", "version", v)
	return nil
}

// repairNamespace makes the metaData id of a repaired version 0 the same for
// every process that repairs it.
var repairNamespace = uuid.MustParse("6f1d3c0e-5a7b-4c3e-9d2a-8b1e0f4c7a21")

// repairEntry returns the repair entry of version v: only commitInfo, stamped
// 1 ms after version v-1; version 0 also creates the (empty) table.
func (s *Store) repairEntry(ctx context.Context, v int64) ([]byte, error) {
	ci := &commitInfo{
		Operation: repairOperation,
		OperationParameters: map[string]string{
			"reason": "the writer of this version abandoned its log entry half-written; this version changes nothing",
		},
		IsolationLevel: "Serializable",
		IsBlindAppend:  true,
		EngineInfo:     engineInfo,
		TxnID:          fmt.Sprintf("repair-%020d", v),
	}
	var actions []action
	if v == 0 {
		actions = append(actions,
			action{Protocol: &protocol{MinReaderVersion: readerVersion, MinWriterVersion: writerVersion}},
			action{MetaData: &metaData{
				ID:               uuid.NewSHA1(repairNamespace, []byte("version 0")).String(),
				Format:           format{Provider: "parquet", Options: map[string]string{}},
				SchemaString:     schemaString,
				PartitionColumns: []string{},
				Configuration:    map[string]string{},
			}})
	} else {
		_, prev, err := s.readEntry(ctx, v-1)
		if err != nil {
			return nil, fmt.Errorf("read entry %d: %w", v-1, err)
		}
		ci.Timestamp = prev.Timestamp + 1
		readVersion := v - 1
		ci.ReadVersion = &readVersion
	}
	return encodeEntry(append(actions, action{CommitInfo: ci}))
}
