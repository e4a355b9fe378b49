package main

import (
	"bufio"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
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
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := startPinned(cmd); err != nil {
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

// Not a real-time class: in a trial under SCHED_FIFO the server still waited
// 12% of the time (equal FIFO threads get no time slices: its own queue).
var priorities = map[string][]string{"": nil, "nice": {"nice", "-n", "-20"}}

// pinned is the command args on CPU cpu, under priority, killed if this
// process dies. With a priority it is a session of its own: the kernel
// shares a CPU between sessions (autogroups) before it looks at a process's
// nice, so start raises the session's nice too.
func pinned(cpu string, args ...string) *exec.Cmd {
	all := append(append(slices.Clone(priority), "taskset", "-c", cpu), args...)
	cmd := exec.Command(all[0], all[1:]...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL, Setsid: priority != nil}
	return cmd
}

// startPinned starts a command of pinned.
func startPinned(cmd *exec.Cmd) error {
	if err := cmd.Start(); err != nil {
		return err
	}
	if priority != nil {
		// What nice -n -20 asks, for the session: best effort (a kernel
		// without autogroups has no file to write).
		os.WriteFile(fmt.Sprintf("/proc/%d/autogroup", cmd.Process.Pid), []byte("-20"), 0)
	}
	return nil
}

// cpu0Busy is the time CPU 0 has been busy (/proc/stat: all but idle and
// iowait), whoever ran on it. Less the server's CPU time, it is the other
// work on the machine that took CPU 0 during a run (the server's own time on
// CPU 1, if any, would count against it: it is pinned to CPU 0).
func cpu0Busy() time.Duration {
	b, _ := os.ReadFile("/proc/stat")
	for line := range strings.SplitSeq(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) < 6 || f[0] != "cpu0" {
			continue
		}
		var busy int64
		for i, v := range f[1:] {
			n, _ := strconv.ParseInt(v, 10, 64)
			if i != 3 && i != 4 { // idle, iowait
				busy += n
			}
		}
		return time.Duration(busy) * 10 * time.Millisecond // USER_HZ: 100 a second
	}
	return 0
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
