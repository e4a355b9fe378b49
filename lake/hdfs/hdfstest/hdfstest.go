// Package hdfstest gives tests a fresh lake on the real HDFS that
// `scripts/hdfs up` runs, and the fault controls of that cluster.
//
// The cluster is found at $RELEASELAKE_TEST_HDFS (default
// hdfs://127.0.0.1:9000) and its control port in .cache/hdfs/run/control at
// the repository root ($RELEASELAKE_TEST_HDFS_CONTROL overrides). A test that
// needs HDFS and cannot reach it skips, except under CI=true, where it fails.
package hdfstest

import (
	"bufio"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	hdfs "github.com/colinmarc/hdfs/v2"
)

// DefaultURL is where scripts/hdfs runs the NameNode.
const DefaultURL = "hdfs://127.0.0.1:9000"

// unavailable skips the test, or fails it under CI=true.
func unavailable(t testing.TB, format string, args ...any) {
	t.Helper()
	msg := fmt.Sprintf(format, args...) + " (start it with: scripts/hdfs up)"
	if os.Getenv("CI") == "true" {
		t.Fatal("HDFS is required in CI: " + msg)
	}
	t.Skip(msg)
}

// URL returns the cluster's base URL (hdfs://host:port), skipping or failing
// the test if its NameNode does not answer.
func URL(t testing.TB) string {
	t.Helper()
	base := os.Getenv("RELEASELAKE_TEST_HDFS")
	if base == "" {
		base = DefaultURL
	}
	u, err := url.Parse(base)
	if err != nil || u.Scheme != "hdfs" || u.Host == "" {
		t.Fatalf("RELEASELAKE_TEST_HDFS=%q: want hdfs://host:port", base)
	}
	conn, err := net.DialTimeout("tcp", u.Host, 2*time.Second)
	if err != nil {
		unavailable(t, "no HDFS NameNode at %s: %v", u.Host, err)
	}
	conn.Close()
	return "hdfs://" + u.Host
}

// Dial returns a new client of the cluster; the caller closes it (once: the
// client panics on a second Close).
func Dial(t testing.TB) *hdfs.Client {
	t.Helper()
	u, _ := url.Parse(URL(t))
	c, err := hdfs.NewClient(hdfs.ClientOptions{Addresses: []string{u.Host}, User: "releaselake-test"})
	if err != nil {
		unavailable(t, "connect to %s: %v", u.Host, err)
	}
	return c
}

// Client returns a client of the cluster, closed when the test ends.
func Client(t testing.TB) *hdfs.Client {
	t.Helper()
	c := Dial(t)
	t.Cleanup(func() { c.Close() })
	return c
}

// Tests of several packages run at once against the one cluster. A test that
// stops nodes (Control) must not pull them from under another: it holds an
// exclusive lock on a file while every other test using the cluster (Lake)
// holds a shared one. Within a package, tests run one after another, so a test
// holding the exclusive lock needs no shared one.
var (
	lockMu    sync.Mutex
	exclusive bool
)

func lock(t testing.TB, how int) {
	t.Helper()
	f, err := os.OpenFile(filepath.Join(os.TempDir(), "releaselake-hdfs-tests.lock"), os.O_CREATE|os.O_RDWR, 0o666)
	if err != nil {
		t.Fatal(err)
	}
	if err := syscall.Flock(int(f.Fd()), how); err != nil {
		f.Close()
		t.Fatal(err)
	}
	t.Cleanup(func() {
		syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
		f.Close()
	})
}

// Lake returns the URL of a new, not yet existing lake root on the cluster,
// unique to this test, removed when the test ends.
func Lake(t testing.TB) string {
	t.Helper()
	lockMu.Lock()
	ex := exclusive
	lockMu.Unlock()
	if !ex {
		lock(t, syscall.LOCK_SH)
	}
	URL(t)
	b := make([]byte, 4)
	rand.Read(b)
	name := strings.NewReplacer("/", "_", " ", "_", ":", "_").Replace(t.Name())
	dir := "/releaselake-test/" + name + "-" + hex.EncodeToString(b)
	t.Cleanup(func() {
		// A client of its own: a test may have restarted the NameNode, and a
		// client that saw it go waits 5 s before it tries again.
		c := Dial(t)
		defer c.Close()
		if err := c.RemoveAll(dir); err != nil {
			t.Logf("remove %s: %v", dir, err)
		}
	})
	return URL(t) + dir
}

// Cluster sends fault commands to the cluster's control port.
type Cluster struct {
	t    testing.TB
	addr string
}

// Control returns the cluster's fault controls. Each test that stops a node
// should restart it in a Cleanup, so the cluster is whole for the next test.
func Control(t testing.TB) *Cluster {
	t.Helper()
	URL(t)
	lock(t, syscall.LOCK_EX)
	lockMu.Lock()
	exclusive = true
	lockMu.Unlock()
	t.Cleanup(func() {
		lockMu.Lock()
		exclusive = false
		lockMu.Unlock()
	})
	file := os.Getenv("RELEASELAKE_TEST_HDFS_CONTROL")
	if file == "" {
		root, err := repoRoot()
		if err != nil {
			t.Fatal(err)
		}
		file = filepath.Join(root, ".cache", "hdfs", "run", "control")
	}
	b, err := os.ReadFile(file)
	if err != nil {
		unavailable(t, "no control port for fault tests: %v", err)
	}
	c := &Cluster{t: t, addr: strings.TrimSpace(string(b))}
	if _, err := c.Do("status"); err != nil {
		unavailable(t, "control port %s: %v", c.addr, err)
	}
	// A test that died (timed out) with a node stopped left it so: start from
	// a whole cluster.
	c.Must("start-namenode")
	for i := range 3 {
		c.Must(fmt.Sprint("start-datanode ", i))
	}
	return c
}

// Do sends one command (see scripts/hdfs.d/MiniHdfs.java) and returns the
// reply after "ok".
func (c *Cluster) Do(cmd string) (string, error) {
	conn, err := net.DialTimeout("tcp", c.addr, 5*time.Second)
	if err != nil {
		return "", err
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(3 * time.Minute))
	if _, err := fmt.Fprintln(conn, cmd); err != nil {
		return "", err
	}
	line, err := bufio.NewReader(conn).ReadString('\n')
	if err != nil {
		return "", fmt.Errorf("%s: %w", cmd, err)
	}
	line = strings.TrimSpace(line)
	if rest, ok := strings.CutPrefix(line, "ok"); ok {
		return strings.TrimSpace(rest), nil
	}
	return "", fmt.Errorf("%s: %s", cmd, line)
}

// Must sends a command and fails the test if it fails.
func (c *Cluster) Must(cmd string) string {
	c.t.Helper()
	out, err := c.Do(cmd)
	if err != nil {
		c.t.Fatal(err)
	}
	return out
}

// StopDataNode stops DataNode i (0..2) and restarts it when the test ends.
func (c *Cluster) StopDataNode(i int) {
	c.t.Helper()
	c.Must(fmt.Sprint("stop-datanode ", i))
	c.t.Cleanup(func() { c.Do(fmt.Sprint("start-datanode ", i)) })
}

// StartDataNode restarts DataNode i and waits until it is live.
func (c *Cluster) StartDataNode(i int) { c.t.Helper(); c.Must(fmt.Sprint("start-datanode ", i)) }

// StopNameNode stops the NameNode and restarts it when the test ends.
func (c *Cluster) StopNameNode() {
	c.t.Helper()
	c.Must("stop-namenode")
	c.t.Cleanup(func() { c.Do("start-namenode") })
}

// StartNameNode restarts the NameNode and waits until it is active.
func (c *Cluster) StartNameNode() { c.t.Helper(); c.Must("start-namenode") }

// repoRoot finds the module root from the working directory.
func repoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("no go.mod above the working directory")
		}
		dir = parent
	}
}
