// Package hdfs implements lake.FS over HDFS with github.com/colinmarc/hdfs/v2.
//
// What HDFS and that client do shapes the implementation:
//   - Create is exclusive (the NameNode refuses an existing name), so Publish
//     claims its name with Create and fills it: a reader may see the file
//     while it is written (this client reads it as empty until it is closed).
//   - Rename always replaces the target; there is no no-overwrite rename.
//   - A write through a DataNode that died fails and cannot be resumed: the
//     caller writes a new file. Reads fail over to other replicas.
//   - Close can answer ErrReplicating while the NameNode waits for block
//     reports; Writer.Close retries it.
//   - A file whose writer died stays open under the writer's lease until the
//     NameNode recovers it (the soft limit is 60 s by default); Sealed asks.
package hdfs

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/url"
	"os"
	"os/user"
	"path"
	"sort"
	"strings"
	"sync"
	"time"

	hdfs "github.com/colinmarc/hdfs/v2"
	"github.com/colinmarc/hdfs/v2/hadoopconf"

	"github.com/releaselake/releaselake/lake"
)

var _ lake.FS = (*FS)(nil)

// DefaultPort is the NameNode RPC port used when a URL names none.
const DefaultPort = "8020"

// FS is a lake.FS rooted at a directory of an HDFS cluster.
type FS struct {
	root    string // absolute HDFS path of the lake root
	opts    hdfs.ClientOptions
	timeout time.Duration

	mu     sync.Mutex
	client *hdfs.Client // nil until first used, and after a failed dial
}

// Config describes how to reach a lake on HDFS.
type Config struct {
	// URL is hdfs://host:port/path, or hdfs:///path to take the NameNode(s)
	// from the Hadoop configuration.
	URL string
	// User is the HDFS user; default $HADOOP_USER_NAME, else the OS user.
	User string
	// ConfDir holds core-site.xml and hdfs-site.xml; default $HADOOP_CONF_DIR
	// (or $HADOOP_HOME/conf). None is needed when URL names the NameNode.
	ConfDir string
	// Timeout bounds each NameNode call and each DataNode read or write
	// (default 30s), so an unreachable cluster gives an error, not a hang.
	Timeout time.Duration
}

// Open returns an FS for the lake at cfg.URL. It does not connect: the first
// call does, and calls after a failed connection try again, so a process can
// start while the NameNode is down.
func Open(cfg Config) (*FS, error) {
	u, err := url.Parse(cfg.URL)
	if err != nil || u.Scheme != "hdfs" || u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("lake %q: want hdfs://host:port/path", cfg.URL)
	}
	root := path.Clean("/" + u.Path)
	if strings.Contains(root, ":") {
		return nil, fmt.Errorf("lake %q: HDFS refuses ':' in paths", cfg.URL)
	}

	conf, err := loadConf(cfg.ConfDir)
	if err != nil {
		return nil, fmt.Errorf("lake %q: Hadoop configuration: %w", cfg.URL, err)
	}
	opts := hdfs.ClientOptionsFromConf(conf)
	if opts.KerberosClient != nil {
		return nil, fmt.Errorf("lake %q: the Hadoop configuration asks for Kerberos, which releaselake does not support", cfg.URL)
	}
	if u.Host != "" {
		host := u.Host
		if u.Port() == "" {
			host = net.JoinHostPort(u.Hostname(), DefaultPort)
		}
		opts.Addresses = []string{host}
	}
	if len(opts.Addresses) == 0 {
		return nil, fmt.Errorf("lake %q names no NameNode and the Hadoop configuration (HADOOP_CONF_DIR) gives none", cfg.URL)
	}
	opts.User = cfg.User
	if opts.User == "" {
		opts.User = os.Getenv("HADOOP_USER_NAME")
	}
	if opts.User == "" {
		cur, err := user.Current()
		if err != nil {
			return nil, fmt.Errorf("lake %q: no HDFS user: set HADOOP_USER_NAME (%v)", cfg.URL, err)
		}
		opts.User = cur.Username
	}
	timeout := cfg.Timeout
	if timeout <= 0 {
		timeout = 30 * time.Second
	}
	dialer := &net.Dialer{Timeout: min(timeout, 10*time.Second), KeepAlive: 30 * time.Second}
	opts.NamenodeDialFunc = func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := dialer.DialContext(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		return &deadlineConn{Conn: c, timeout: timeout}, nil
	}
	opts.DatanodeDialFunc = dialer.DialContext
	return &FS{root: root, opts: opts, timeout: timeout}, nil
}

// loadConf reads the Hadoop configuration of dir, or of the environment
// (HADOOP_CONF_DIR, HADOOP_HOME) when dir is empty. No configuration is fine.
func loadConf(dir string) (hadoopconf.HadoopConf, error) {
	if dir != "" {
		return hadoopconf.Load(dir)
	}
	return hadoopconf.LoadFromEnvironment()
}

// deadlineConn bounds every read and write on a NameNode connection, which
// the client otherwise waits on forever if the NameNode stops answering.
type deadlineConn struct {
	net.Conn
	timeout time.Duration
}

func (c *deadlineConn) Read(p []byte) (int, error) {
	c.Conn.SetReadDeadline(time.Now().Add(c.timeout))
	return c.Conn.Read(p)
}

func (c *deadlineConn) Write(p []byte) (int, error) {
	c.Conn.SetWriteDeadline(time.Now().Add(c.timeout))
	return c.Conn.Write(p)
}

// String returns the lake's URL.
func (f *FS) String() string { return "hdfs://" + strings.Join(f.opts.Addresses, ",") + f.root }

// Root returns the absolute HDFS path of the lake root.
func (f *FS) Root() string { return f.root }

// Close closes the connection to the NameNode, if any.
func (f *FS) Close() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.client == nil {
		return nil
	}
	err := f.client.Close()
	f.client = nil
	return err
}

// dial connects a new client.
func (f *FS) dial() (*hdfs.Client, error) {
	c, err := hdfs.NewClient(f.opts)
	if err != nil {
		return nil, fmt.Errorf("connect to HDFS NameNode %s: %w", strings.Join(f.opts.Addresses, ","), err)
	}
	return c, nil
}

// get returns the shared client, connecting it if needed. Once connected,
// the client reconnects by itself after a failure.
func (f *FS) get(ctx context.Context) (*hdfs.Client, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.client == nil {
		c, err := f.dial()
		if err != nil {
			return nil, err
		}
		f.client = c
	}
	return f.client, nil
}

// path maps a lake name to an absolute HDFS path, refusing names outside the
// root and names HDFS would refuse.
func (f *FS) path(op, name string) (string, error) {
	if !fs.ValidPath(name) || strings.Contains(name, ":") {
		return "", &fs.PathError{Op: op, Path: name, Err: fs.ErrInvalid}
	}
	return path.Join(f.root, name), nil
}

// prepare checks ctx and name, and returns the client and the HDFS path.
func (f *FS) prepare(ctx context.Context, op, name string) (*hdfs.Client, string, error) {
	p, err := f.path(op, name)
	if err != nil {
		return nil, "", err
	}
	c, err := f.get(ctx)
	if err != nil {
		return nil, "", err
	}
	return c, p, nil
}

// maxBuffered is the largest file Open reads into memory at once; Parquet
// readers make many small ReadAt calls, each a DataNode round trip otherwise.
const maxBuffered = 64 << 20

// Open implements lake.FS. A file still being written reads as what the
// NameNode has been told of it: usually nothing.
func (f *FS) Open(ctx context.Context, name string) (lake.File, error) {
	c, p, err := f.prepare(ctx, "open", name)
	if err != nil {
		return nil, err
	}
	r, err := c.Open(p)
	if err != nil {
		return nil, err
	}
	if r.Stat().IsDir() {
		r.Close()
		return nil, &fs.PathError{Op: "open", Path: name, Err: errors.New("is a directory")}
	}
	size := r.Stat().Size()
	r.SetDeadline(time.Now().Add(f.timeout))
	if size > maxBuffered {
		return &streamFile{r: r, size: size, timeout: f.timeout}, nil
	}
	defer r.Close()
	buf := make([]byte, size)
	if _, err := io.ReadFull(r, buf); err != nil {
		return nil, &fs.PathError{Op: "read", Path: name, Err: err}
	}
	return &memFile{Reader: bytes.NewReader(buf), size: size}, nil
}

type memFile struct {
	*bytes.Reader
	size int64
}

func (m *memFile) Size() int64  { return m.size }
func (m *memFile) Close() error { return nil }

// streamFile serializes access to a large file: the client's reader is not
// safe for concurrent use.
type streamFile struct {
	mu      sync.Mutex
	r       *hdfs.FileReader
	size    int64
	timeout time.Duration
}

func (s *streamFile) Read(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.r.SetDeadline(time.Now().Add(s.timeout))
	return s.r.Read(p)
}

func (s *streamFile) ReadAt(p []byte, off int64) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.r.SetDeadline(time.Now().Add(s.timeout))
	return s.r.ReadAt(p, off)
}

func (s *streamFile) Close() error { return s.r.Close() }
func (s *streamFile) Size() int64  { return s.size }

// Create implements lake.FS.
func (f *FS) Create(ctx context.Context, name string) (lake.Writer, error) {
	c, p, err := f.prepare(ctx, "create", name)
	if err != nil {
		return nil, err
	}
	return f.create(c, p)
}

func (f *FS) create(c *hdfs.Client, p string) (*writer, error) {
	if err := c.MkdirAll(path.Dir(p), 0o755); err != nil {
		return nil, err
	}
	w, err := c.Create(p)
	if err != nil {
		return nil, err
	}
	return &writer{w: w, timeout: f.timeout}, nil
}

// writer retries Close while the NameNode answers ErrReplicating, as the Java
// client does (for up to replicatingWait). After a failed Write the file
// cannot be completed (this client does not recover write pipelines), so
// Close returns that failure at once: the caller removes the file and writes
// a new one.
type writer struct {
	w       *hdfs.FileWriter
	timeout time.Duration
	failed  error
}

// replicatingWait bounds the retries of a Close answered ErrReplicating.
const replicatingWait = 20 * time.Second

func (w *writer) Write(p []byte) (int, error) {
	if w.failed != nil {
		return 0, w.failed
	}
	w.w.SetDeadline(time.Now().Add(w.timeout))
	n, err := w.w.Write(p)
	if err != nil {
		w.failed = err
	}
	return n, err
}

func (w *writer) Close() error {
	if w.failed != nil {
		return fmt.Errorf("file not completed after a failed write: %w", w.failed)
	}
	deadline := time.Now().Add(replicatingWait)
	wait := 50 * time.Millisecond
	for {
		w.w.SetDeadline(time.Now().Add(w.timeout))
		err := w.w.Close()
		if err == nil || !hdfs.IsErrReplicating(err) || time.Now().After(deadline) {
			return err
		}
		time.Sleep(wait)
		wait = min(2*wait, time.Second)
	}
}

// Publish implements lake.FS: Create claims the name (exclusive at the
// NameNode) and the data is written into it. It uses a client of its own,
// closed before returning: if the write fails (a DataNode died), the file is
// left open under that client's lease, which then expires so that the
// NameNode can recover the file and Sealed report it (the caller decides what
// to do with a claimed, incomplete file). A long-lived client would renew the
// lease, and keep the name stuck, for as long as the process lives.
func (f *FS) Publish(ctx context.Context, name string, data []byte) error {
	c, p, err := f.prepare(ctx, "publish", name)
	if err != nil {
		return err
	}
	if err := c.MkdirAll(path.Dir(p), 0o755); err != nil {
		return err
	}
	own, err := f.dial()
	if err != nil {
		return err
	}
	defer own.Close()
	fw, err := own.Create(p)
	if err != nil {
		return err
	}
	w := &writer{w: fw, timeout: f.timeout}
	if _, err := w.Write(data); err != nil {
		return fmt.Errorf("publish %s: %w", name, err)
	}
	if err := w.Close(); err != nil {
		return fmt.Errorf("publish %s: %w", name, err)
	}
	return nil
}

// Rename implements lake.FS.
func (f *FS) Rename(ctx context.Context, oldname, newname string) error {
	c, op, err := f.prepare(ctx, "rename", oldname)
	if err != nil {
		return err
	}
	np, err := f.path("rename", newname)
	if err != nil {
		return err
	}
	return c.Rename(op, np)
}

// Remove implements lake.FS. A file still being written is removed too.
func (f *FS) Remove(ctx context.Context, name string) error {
	if name == "." {
		return &fs.PathError{Op: "remove", Path: name, Err: fs.ErrInvalid}
	}
	c, p, err := f.prepare(ctx, "remove", name)
	if err != nil {
		return err
	}
	return c.Remove(p)
}

// ReadDir implements lake.FS.
func (f *FS) ReadDir(ctx context.Context, name string) ([]fs.FileInfo, error) {
	c, p, err := f.prepare(ctx, "readdir", name)
	if err != nil {
		return nil, err
	}
	fi, err := c.Stat(p)
	if err != nil {
		return nil, err
	}
	if !fi.IsDir() {
		return nil, &fs.PathError{Op: "readdir", Path: name, Err: errors.New("not a directory")}
	}
	infos, err := c.ReadDir(p)
	if err != nil {
		return nil, err
	}
	sort.Slice(infos, func(i, j int) bool { return infos[i].Name() < infos[j].Name() })
	return infos, nil
}

// Stat implements lake.FS.
func (f *FS) Stat(ctx context.Context, name string) (fs.FileInfo, error) {
	c, p, err := f.prepare(ctx, "stat", name)
	if err != nil {
		return nil, err
	}
	return c.Stat(p)
}

// MkdirAll implements lake.FS.
func (f *FS) MkdirAll(ctx context.Context, name string) error {
	c, p, err := f.prepare(ctx, "mkdir", name)
	if err != nil {
		return err
	}
	return c.MkdirAll(p, 0o755)
}

// Remote exception classes Sealed tells apart.
const (
	alreadyBeingCreated = "org.apache.hadoop.hdfs.protocol.AlreadyBeingCreatedException"
	recoveryInProgress  = "org.apache.hadoop.hdfs.protocol.RecoveryInProgressException"
)

// Sealed implements lake.FS. HDFS has no call that says whether a file is
// still open for writing, so Sealed asks the NameNode to truncate it to a
// length longer than any file. The NameNode first settles the file's lease:
// a file open by a live writer is refused (AlreadyBeingCreatedException); one
// whose writer stopped renewing its lease past the soft limit has its lease
// recovered, which closes it (at once when no data reached the DataNodes,
// else RecoveryInProgressException and a few seconds later). A closed file
// then fails the length check (HadoopIllegalArgumentException) and is left
// untouched.
func (f *FS) Sealed(ctx context.Context, name string) (bool, error) {
	c, p, err := f.prepare(ctx, "sealed", name)
	if err != nil {
		return false, err
	}
	_, err = c.Truncate(p, 1<<62)
	var remote hdfs.Error
	switch {
	case errors.Is(err, os.ErrInvalid):
		return true, nil // closed: too short to grow
	case errors.As(err, &remote) &&
		(remote.Exception() == alreadyBeingCreated || remote.Exception() == recoveryInProgress):
		return false, nil
	case err == nil:
		// Cannot happen (truncate never lengthens); if it did, the NameNode
		// accepted an operation only a closed file allows.
		return true, nil
	default:
		return false, err
	}
}
