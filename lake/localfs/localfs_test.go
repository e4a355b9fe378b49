package localfs_test

import (
	"testing"

	"github.com/releaselake/releaselake/lake"
	"github.com/releaselake/releaselake/lake/laketest"
	"github.com/releaselake/releaselake/lake/localfs"
)

func TestFS(t *testing.T) {
	laketest.TestFS(t, func(t *testing.T) lake.FS { return localfs.New(t.TempDir()) })
}

func TestFS_missingRootIsCreatedOnWrite(t *testing.T) {
	laketest.TestFS(t, func(t *testing.T) lake.FS { return localfs.New(t.TempDir() + "/not/yet") })
}
