package hdfs_test

import (
	"context"
	"errors"
	"io"
	"io/fs"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/releaselake/releaselake/lake"
	"github.com/releaselake/releaselake/lake/hdfs"
	"github.com/releaselake/releaselake/lake/hdfs/hdfstest"
	"github.com/releaselake/releaselake/lake/laketest"
)

func open(t *testing.T, lakeURL string) *hdfs.FS {
	t.Helper()
	f, err := hdfs.Open(hdfs.Config{URL: lakeURL, User: "releaselake-test"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

func TestFS(t *testing.T) {
	hdfstest.URL(t)
	laketest.TestFS(t, func(t *testing.T) lake.FS { return open(t, hdfstest.Lake(t)) })
}

func TestOpen_urls(t *testing.T) {
	t.Setenv("HADOOP_CONF_DIR", t.TempDir()) // no configuration
	t.Setenv("HADOOP_HOME", "")
	for _, tc := range []struct{ url, root, str, err string }{
		{url: "hdfs://nn.example:9000/data/lake", root: "/data/lake", str: "hdfs://nn.example:9000/data/lake"},
		{url: "hdfs://nn.example/lake/", root: "/lake", str: "hdfs://nn.example:8020/lake"},
		{url: "hdfs://nn.example:9000", root: "/", str: "hdfs://nn.example:9000/"},
		{url: "hdfs:///lake", err: "names no NameNode"},
		{url: "s3://bucket/lake", err: "want hdfs://"},
		{url: "hdfs://nn:9000/a:b", err: "refuses ':'"},
	} {
		f, err := hdfs.Open(hdfs.Config{URL: tc.url, User: "u"})
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("Open(%q) = %v, want error containing %q", tc.url, err, tc.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("Open(%q): %v", tc.url, err)
			continue
		}
		if f.Root() != tc.root || f.String() != tc.str {
			t.Errorf("Open(%q): root %q, String %q; want %q, %q", tc.url, f.Root(), f.String(), tc.root, tc.str)
		}
	}
}

func TestOpen_takesNameNodeFromHadoopConf(t *testing.T) {
	dir := t.TempDir()
	writeConf(t, dir, "hdfs://nn1.example:8021")
	f, err := hdfs.Open(hdfs.Config{URL: "hdfs:///lake", ConfDir: dir, User: "u"})
	if err != nil {
		t.Fatal(err)
	}
	if f.String() != "hdfs://nn1.example:8021/lake" {
		t.Errorf("String = %q, want the NameNode of core-site.xml", f.String())
	}
}

func TestFS_unreachableNameNode_failsWithoutHanging(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nothing listens there now
	f, err := hdfs.Open(hdfs.Config{URL: "hdfs://" + addr + "/lake", User: "u", Timeout: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	_, err = f.Stat(context.Background(), "x")
	if err == nil || errors.Is(err, fs.ErrNotExist) || !strings.Contains(err.Error(), "NameNode") {
		t.Fatalf("Stat with no NameNode = %v, want a connection error naming the NameNode", err)
	}
}

// A writer that died leaves its file open; Sealed says so until the NameNode
// recovers the lease, and then shows the file closed with what reached the
// DataNodes.
func TestFS_Sealed_abandonedFileIsRecovered(t *testing.T) {
	lakeURL := hdfstest.Lake(t)
	f := open(t, lakeURL)
	ctx := context.Background()
	if err := f.MkdirAll(ctx, "d"); err != nil {
		t.Fatal(err)
	}

	// The "crashed writer": its own client, which stops renewing its lease
	// when closed, as a killed process would.
	u, _ := url.Parse(lakeURL)
	dead := hdfstest.Dial(t)
	w, err := dead.Create(u.Path + "/d/entry.json")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write([]byte(`{"commitInfo":`)); err != nil {
		t.Fatal(err)
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}

	if ok, err := f.Sealed(ctx, "d/entry.json"); ok || err != nil {
		t.Fatalf("Sealed while its writer lives = %v, %v; want false", ok, err)
	}
	if err := f.Publish(ctx, "d/entry.json", []byte("{}\n")); !errors.Is(err, fs.ErrExist) {
		t.Fatalf("Publish over a file being written: %v, want fs.ErrExist", err)
	}
	dead.Close()

	waitSealed(t, f, "d/entry.json")
	r, err := f.Open(ctx, "d/entry.json")
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(r)
	r.Close()
	if string(got) != `{"commitInfo":` {
		t.Errorf("recovered file holds %q, want the flushed prefix", got)
	}
	// Sealed left it as it was.
	if ok, err := f.Sealed(ctx, "d/entry.json"); !ok || err != nil {
		t.Errorf("Sealed again = %v, %v", ok, err)
	}
	if fi, err := f.Stat(ctx, "d/entry.json"); err != nil || fi.Size() != int64(len(got)) {
		t.Errorf("Stat after Sealed = %v, %v; want size %d", fi, err, len(got))
	}
}

// waitSealed waits until the NameNode recovered the lease of a file whose
// writer died (the soft limit, 5 s under scripts/hdfs): Sealed starts that.
func waitSealed(t *testing.T, f *hdfs.FS, name string) {
	t.Helper()
	deadline := time.Now().Add(3 * time.Minute)
	for {
		ok, err := f.Sealed(context.Background(), name)
		if err != nil {
			t.Fatal(err)
		}
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("abandoned file %s never became sealed", name)
		}
		time.Sleep(500 * time.Millisecond)
	}
}

func writeConf(t *testing.T, dir, defaultFS string) {
	t.Helper()
	conf := `<?xml version="1.0"?>
<configuration>
  <property><name>fs.defaultFS</name><value>` + defaultFS + `</value></property>
</configuration>
`
	if err := os.WriteFile(filepath.Join(dir, "core-site.xml"), []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
}
