package main

import (
	"bufio"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// latencyProc is a server of the latency runs.
type latencyProc struct {
	cmd     *exec.Cmd
	addr    string
	log     string
	exited  chan struct{}
	waitErr error
}

// startLatencyServer starts this binary's serve on CPU 0 with GOMAXPROCS=1,
// its stderr (gctrace included) to logPath. The server dies with this process.
func startLatencyServer(self, mode, logPath string, env []string) (*latencyProc, error) {
	logf, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	defer logf.Close()
	cmd := pinned("0", self, "serve", "-mode", mode)
	cmd.Env = append(append(os.Environ(), "GOMAXPROCS=1"), env...)
	cmd.Stderr = logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	p := &latencyProc{cmd: cmd, log: logPath, exited: make(chan struct{})}
	line, err := bufio.NewReader(stdout).ReadString('\n')
	go func() { p.waitErr = cmd.Wait(); close(p.exited) }()
	if err != nil {
		p.stop()
		return nil, fmt.Errorf("server did not start: %w%s", err, p.died())
	}
	p.addr = strings.TrimSpace(line)
	return p, nil
}

func (p *latencyProc) stop() {
	p.cmd.Process.Kill()
	<-p.exited
}

// died says how the server ended if it has, with the end of its log.
func (p *latencyProc) died() string {
	select {
	case <-p.exited:
		log, _ := os.ReadFile(p.log)
		return fmt.Sprintf(" (the server exited: %v)\n%s", p.waitErr, tail(log, 2000))
	default:
		return ""
	}
}

// memMiB is the server's VmRSS and VmHWM.
func (p *latencyProc) memMiB() (rss, hwm int) {
	b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/status", p.cmd.Process.Pid))
	for line := range strings.SplitSeq(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) < 2 {
			continue
		}
		kb, _ := strconv.Atoi(f[1])
		switch f[0] {
		case "VmRSS:":
			rss = kb / 1024
		case "VmHWM:":
			hwm = kb / 1024
		}
	}
	return rss, hwm
}

// priority is what the server and vegeta run under (-priority): nothing, or
// a priority above the machine's other work, which then takes their CPUs
// from them less (a shared machine; on an idle one it changes nothing).
var priority []string

var priorities = map[string][]string{"": nil, "nice": {"nice", "-n", "-20"}, "rt": {"chrt", "--fifo", "1"}}

// pinned is the command args on CPU cpu, under priority.
func pinned(cpu string, args ...string) *exec.Cmd {
	all := append(append(slices.Clone(priority), "taskset", "-c", cpu), args...)
	return exec.Command(all[0], all[1:]...)
}

// runDelay is the time the server's threads spent runnable, waiting for a
// CPU (/proc/PID/task/TID/schedstat's second field): on CPU 0, alone, it is
// near zero; other work on the machine that takes CPU 0 shows here.
func (p *latencyProc) runDelay() time.Duration {
	tasks, _ := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/schedstat", p.cmd.Process.Pid))
	var sum int64
	for _, t := range tasks {
		b, err := os.ReadFile(t)
		if f := strings.Fields(string(b)); err == nil && len(f) >= 2 {
			ns, _ := strconv.ParseInt(f[1], 10, 64)
			sum += ns
		}
	}
	return time.Duration(sum)
}

// fetchTo saves what GET url answers to path.
func fetchTo(path, url string) error {
	resp, err := http.Get(url)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, resp.Body); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
