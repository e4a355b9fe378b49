package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// runBinary runs the built program with exactly env (and PATH) in dir and
// returns its exit code, standard output and standard error.
func runBinary(t *testing.T, dir string, env map[string]string, args ...string) (int, string, string) {
	t.Helper()
	bin, err := binary()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	p := exec.CommandContext(ctx, bin, args...)
	p.Dir = dir
	p.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + dir}
	for k, v := range env {
		p.Env = append(p.Env, k+"="+v)
	}
	var stdout, stderr bytes.Buffer
	p.Stdout, p.Stderr = &stdout, &stderr
	err = p.Run()
	var exit *exec.ExitError
	switch {
	case ctx.Err() != nil:
		t.Fatalf("%v still running after 30 s (a mistake it did not see?):\n%s", args, stderr.String())
	case errors.As(err, &exit):
		return exit.ExitCode(), stdout.String(), stderr.String()
	case err != nil:
		t.Fatal(err)
	}
	return 0, stdout.String(), stderr.String()
}

// The CLI convention (docs/cli.md), command by command: a mistake in the
// command line or the environment exits 2 with one line on standard error,
// naming the flag or variable and what it accepts, and nothing else; a value
// the command does not read is not its mistake. The table runs the real
// binary for every command in the commands table (so a new command must say
// what each mistake does to it) and compares the exit code and the exact line.
func TestCLI_everyCommandByCommonMistakes(t *testing.T) {
	dir := t.TempDir()
	lakeDir := filepath.Join(dir, "lake")
	file := filepath.Join(dir, "a-file")
	os.Mkdir(lakeDir, 0o755)
	os.WriteFile(file, []byte("x"), 0o644)
	// A directory that is not laid out as a lake: its yellow is a file. Nothing
	// a wait would fix, so a mistake at start, not a lake never ready.
	notLake := filepath.Join(dir, "not-a-lake")
	os.MkdirAll(notLake, 0o755)
	os.WriteFile(filepath.Join(notLake, "yellow"), []byte("x"), 0o644)
	// Every row's environment starts here: a usable lake, a push configured
	// (so push gets as far as its own mistakes) and a page directory that
	// cannot be made, so that page, reading none of the other values, always
	// stops before it listens.
	base := map[string]string{"RELEASELAKE_LAKE": lakeDir, "RELEASELAKE_PAGE_URL": "http://127.0.0.1:1",
		"RELEASELAKE_PAGE_SECRET": "s", "RELEASELAKE_PAGE_DIR": "/proc/nope/page"}
	const badLog = `2 RELEASELAKE_LOG "yaml": want auto, text or json`
	const noPageDir = `2 RELEASELAKE_PAGE_DIR "/proc/nope/page": cannot create the page directory: mkdir /proc/nope: no such file or directory`
	const versionRuns = "0 " // version reads no flag or variable: it prints and exits 0
	// demo reads little else: its own directory, which cannot be made, stops
	// it where a row has no mistake it reads (given before the row's arguments).
	fence := map[string][]string{"demo": {"-dir", "/proc/nope/demo"}}
	const noDemoDir = `2 -dir "/proc/nope/demo": cannot create the demo directory: mkdir /proc/nope: no such file or directory`
	rows := []struct {
		name   string
		args   []string
		env    map[string]string // over base; RELEASELAKE_LOG=yaml makes the commands not reading the mistake stop at a mistake they do read
		only   map[string]string // by command: "code line" (the line without "releaselake <command>: ")
		others string            // what every other command does
	}{
		{name: "unknown flag", args: []string{"-lak", "x"},
			others: "2 unknown flag -lak (see releaselake %s -h)"},
		{name: "argument", args: []string{"extra"},
			others: `2 unexpected argument "extra" (see releaselake %s -h)`},
		{name: "flag without its value", args: []string{"-log"},
			only:   map[string]string{"version": "2 unknown flag -log (see releaselake version -h)"},
			others: "2 flag -log needs a value (see releaselake %s -h)"},
		{name: "bad log format", env: map[string]string{"RELEASELAKE_LOG": "yaml"},
			only: map[string]string{"version": versionRuns}, others: badLog},
		{name: "poll not a duration", env: map[string]string{"RELEASELAKE_POLL": "abc", "RELEASELAKE_LOG": "yaml"},
			only:   map[string]string{"serve": `2 RELEASELAKE_POLL "abc": want a duration such as 10s, 5m or 1h30m`, "version": versionRuns},
			others: badLog},
		{name: "poll flag not a duration", args: []string{"-poll", "-1s"},
			only:   map[string]string{"serve": `2 -poll "-1s": want a duration such as 10s, 5m or 1h30m`},
			others: "2 unknown flag -poll (see releaselake %s -h)"},
		{name: "time zone", env: map[string]string{"RELEASELAKE_TZ": "Mars/Nowhere", "RELEASELAKE_LOG": "yaml"},
			only:   map[string]string{"serve": `2 RELEASELAKE_TZ "Mars/Nowhere": want an IANA time zone such as UTC or Europe/Berlin`, "version": versionRuns},
			others: badLog},
		{name: "schedule", env: map[string]string{"RELEASELAKE_SCHEDULE": "bad", "RELEASELAKE_LOG": "yaml"},
			only: map[string]string{"serve": `2 RELEASELAKE_SCHEDULE "bad": want a cron spec of 5 fields (minute hour day month weekday) or 6 (seconds first), such as "0 0 * * *", or off`,
				"version": versionRuns},
			others: badLog},
		{name: "listen address", env: map[string]string{"RELEASELAKE_ADDR": "8080", "RELEASELAKE_LOG": "yaml"},
			only: map[string]string{"serve": `2 RELEASELAKE_ADDR "8080": want host:port, such as 127.0.0.1:8080 or :8080`,
				"page": `2 RELEASELAKE_ADDR "8080": want host:port, such as 127.0.0.1:8080 or :8080`, "version": versionRuns,
				"demo": `2 RELEASELAKE_ADDR "8080": want host:port, such as 127.0.0.1:8080 or :8080`},
			others: badLog},
		{name: "ingest timeout", env: map[string]string{"RELEASELAKE_INGEST_TIMEOUT": "30", "RELEASELAKE_LOG": "yaml"},
			only: map[string]string{"serve": `2 RELEASELAKE_INGEST_TIMEOUT "30": want a duration such as 10s, 5m or 1h30m`,
				"ingest": `2 RELEASELAKE_INGEST_TIMEOUT "30": want a duration such as 10s, 5m or 1h30m`, "version": versionRuns},
			others: badLog},
		{name: "retention", env: map[string]string{"RELEASELAKE_RETENTION": "forever", "RELEASELAKE_LOG": "yaml"},
			only: map[string]string{"vacuum": `2 RELEASELAKE_RETENTION "forever": want a number of days (7d) or a duration (36h), 0 for all`,
				"version": versionRuns},
			others: badLog},
		{name: "registry URL", env: map[string]string{"RELEASELAKE_PYPI_URL": "pypi.org", "RELEASELAKE_LOG": "yaml"},
			only: map[string]string{"serve": `2 RELEASELAKE_PYPI_URL "pypi.org": want an http(s) URL`,
				"ingest": `2 RELEASELAKE_PYPI_URL "pypi.org": want an http(s) URL`, "version": versionRuns},
			others: badLog},
		{name: "token of two lines", env: map[string]string{"GITHUB_TOKEN": "ghp_one\nghp_two", "RELEASELAKE_LOG": "yaml"},
			only: map[string]string{"serve": `2 GITHUB_TOKEN holds a space or control character at byte 7: a token is one word`,
				"ingest": `2 GITHUB_TOKEN holds a space or control character at byte 7: a token is one word`, "version": versionRuns},
			others: badLog},
		{name: "page URL", env: map[string]string{"RELEASELAKE_PAGE_URL": "ftp://user:pw@x", "RELEASELAKE_LOG": "yaml"},
			only: map[string]string{"serve": `2 RELEASELAKE_PAGE_URL "ftp://x": want http(s)://host[:port][/path]`,
				"ingest": `2 RELEASELAKE_PAGE_URL "ftp://x": want http(s)://host[:port][/path]`,
				"push":   `2 RELEASELAKE_PAGE_URL "ftp://x": want http(s)://host[:port][/path]`, "version": versionRuns},
			others: badLog},
		// The settings that need another are checked once each value is right,
		// before a directory is made or read: here the lake is what the
		// commands without a page server find wrong.
		{name: "page secret missing", env: map[string]string{"RELEASELAKE_PAGE_SECRET": "", "RELEASELAKE_LAKE": file},
			only: map[string]string{"serve": "2 RELEASELAKE_PAGE_URL is set but RELEASELAKE_PAGE_SECRET is not: pushes are signed with it",
				"ingest":  "2 RELEASELAKE_PAGE_URL is set but RELEASELAKE_PAGE_SECRET is not: pushes are signed with it",
				"push":    "2 RELEASELAKE_PAGE_URL is set but RELEASELAKE_PAGE_SECRET is not: pushes are signed with it",
				"page":    "2 RELEASELAKE_PAGE_SECRET is not set: the page server verifies every push with it",
				"version": versionRuns, "demo": noDemoDir},
			others: `2 RELEASELAKE_LAKE "` + file + `": not a directory`},
		{name: "catalog missing", env: map[string]string{"RELEASELAKE_CATALOG": "/nope/catalog.yaml", "RELEASELAKE_LOG": "yaml"},
			only: map[string]string{"serve": `2 RELEASELAKE_CATALOG "/nope/catalog.yaml": cannot read the catalog file: open /nope/catalog.yaml: no such file or directory`,
				"ingest":  `2 RELEASELAKE_CATALOG "/nope/catalog.yaml": cannot read the catalog file: open /nope/catalog.yaml: no such file or directory`,
				"push":    `2 RELEASELAKE_CATALOG "/nope/catalog.yaml": cannot read the catalog file: open /nope/catalog.yaml: no such file or directory`,
				"rebuild": `2 RELEASELAKE_CATALOG "/nope/catalog.yaml": cannot read the catalog file: open /nope/catalog.yaml: no such file or directory`,
				"demo":    `2 RELEASELAKE_CATALOG "/nope/catalog.yaml": cannot read the catalog file: open /nope/catalog.yaml: no such file or directory`,
				"version": versionRuns},
			others: badLog},
		{name: "lake cannot be created", env: map[string]string{"RELEASELAKE_LAKE": "/proc/nope/lake"},
			only: map[string]string{"page": noPageDir, "version": versionRuns, "demo": noDemoDir,
				"push":     `2 RELEASELAKE_LAKE "/proc/nope/lake": no such directory (this command reads an existing lake; serve and ingest create one)`,
				"rebuild":  `2 RELEASELAKE_LAKE "/proc/nope/lake": no such directory (this command reads an existing lake; serve and ingest create one)`,
				"vacuum":   `2 RELEASELAKE_LAKE "/proc/nope/lake": no such directory (this command reads an existing lake; serve and ingest create one)`,
				"optimize": `2 RELEASELAKE_LAKE "/proc/nope/lake": no such directory (this command reads an existing lake; serve and ingest create one)`},
			others: `2 RELEASELAKE_LAKE "/proc/nope/lake": cannot create the lake directory: mkdir /proc/nope: no such file or directory`},
		{name: "lake is a file", args: []string{"-lake", file},
			only: map[string]string{"page": "2 unknown flag -lake (see releaselake page -h)", "version": "2 unknown flag -lake (see releaselake version -h)",
				"demo": "2 unknown flag -lake (see releaselake demo -h)"},
			others: `2 -lake "` + file + `": not a directory`},
		{name: "lake whose yellow is a file", env: map[string]string{"RELEASELAKE_LAKE": notLake},
			only:   map[string]string{"page": noPageDir, "version": versionRuns, "demo": noDemoDir},
			others: `2 RELEASELAKE_LAKE "` + notLake + `": yellow is not a directory, so this is not a lake (docs/lake.md)`},
		{name: "lake of another scheme", env: map[string]string{"RELEASELAKE_LAKE": "s3://bucket/lake"},
			only:   map[string]string{"page": noPageDir, "version": versionRuns, "demo": noDemoDir},
			others: `2 RELEASELAKE_LAKE "s3://bucket/lake": want a path, file:///abs/path or hdfs://host:port/path`},
		{name: "HDFS lake HDFS refuses", env: map[string]string{"RELEASELAKE_LAKE": "hdfs://127.0.0.1:1/a:b"},
			only:   map[string]string{"page": noPageDir, "version": versionRuns, "demo": noDemoDir},
			others: `2 RELEASELAKE_LAKE: lake "hdfs://127.0.0.1:1/a:b": HDFS refuses ':' in paths`},
		{name: "gen without releases for its products", args: []string{"-products", "10", "-releases", "5"},
			only:   map[string]string{"gen": "2 -releases 5: want at least one release per product (-products 10)"},
			others: "2 unknown flag -products (see releaselake %s -h)"},
	}
	// The rows say what each mistake does to these commands; a new command
	// is added here once its rows (in only, or others) are right for it.
	var names []string
	for name := range commands {
		if slices.Contains(strings.Fields("demo gen ingest optimize page push rebuild serve vacuum version"), name) {
			names = append(names, name)
		} else {
			t.Errorf("command %s: say what each mistake does to it in the rows, then add it here", name)
		}
	}
	slices.Sort(names)
	for _, row := range rows {
		for _, cmd := range names {
			t.Run(row.name+"/"+cmd, func(t *testing.T) {
				env := map[string]string{}
				for k, v := range base {
					env[k] = v
				}
				for k, v := range row.env {
					env[k] = v
				}
				want, ok := row.only[cmd]
				if !ok {
					want = strings.ReplaceAll(row.others, "%s", cmd)
				}
				args := append(append([]string{cmd}, fence[cmd]...), row.args...)
				code, _, stderr := runBinary(t, dir, env, args...)
				c, wantLine, _ := strings.Cut(want, " ")
				if wantLine != "" {
					wantLine = "releaselake " + cmd + ": " + wantLine + "\n"
				}
				if wantCode, _ := strconv.Atoi(c); code != wantCode || stderr != wantLine {
					t.Errorf("releaselake %s %s: exit %d, standard error:\n%s\nwant exit %s and exactly:\n%s",
						cmd, strings.Join(row.args, " "), code, stderr, c, wantLine)
				}
			})
		}
	}
	for _, tc := range []struct {
		args []string
		code int
		line string
	}{
		{nil, 2, "usage: releaselake <command> [flags]"},
		{[]string{"frobnicate"}, 2, `releaselake: unknown command "frobnicate" (see releaselake -h)`},
		{[]string{"servee"}, 2, `releaselake: unknown command "servee": did you mean serve? (see releaselake -h)`},
		{[]string{"Ingets"}, 2, `releaselake: unknown command "Ingets": did you mean ingest? (see releaselake -h)`},
		{[]string{"pag"}, 2, `releaselake: unknown command "pag": did you mean page? (see releaselake -h)`},
		{[]string{"--lake"}, 2, `releaselake: unknown command "--lake" (see releaselake -h)`},
		{[]string{"-lake", lakeDir}, 2, `releaselake: unknown command "-lake" (see releaselake -h)`},
	} {
		code, _, stderr := runBinary(t, dir, base, tc.args...)
		if first, _, _ := strings.Cut(stderr, "\n"); code != tc.code || first != tc.line {
			t.Errorf("releaselake %v: exit %d, first line %q; want %d, %q", tc.args, code, first, tc.code, tc.line)
		}
	}
	// --version and -version are version, as other programs answer them.
	_, version, _ := runBinary(t, dir, base, "version")
	for _, arg := range []string{"--version", "-version"} {
		if code, stdout, stderr := runBinary(t, dir, base, arg); code != 0 || stdout != version || stderr != "" {
			t.Errorf("releaselake %s: exit %d, stdout %q, stderr %q; want what version prints:\n%s", arg, code, stdout, stderr, version)
		}
	}
	if entries, _ := os.ReadDir(lakeDir); len(entries) != 0 {
		t.Errorf("a mistake wrote into the lake: %v", entries)
	}
}

// Each command's -h lists exactly the flags it reads, on standard output,
// exit 0: vacuum does not offer -catalog, nor push the registries' URLs.
func TestCLI_helpListsOnlyTheCommandsFlags(t *testing.T) {
	dir := t.TempDir()
	sources := []string{"-github-url", "-pypi-url", "-npm-url", "-maven-url"}
	want := map[string][]string{
		"serve": append([]string{"-lake", "-catalog", "-addr", "-tz", "-schedule", "-poll", "-ingest-timeout", "-metrics-addr",
			"-cors-origins", "-page-url", "-webhooks"}, append(sources, "-log")...),
		"ingest":   append([]string{"-lake", "-catalog", "-ingest-timeout", "-page-url", "-webhooks"}, append(sources, "-log")...),
		"push":     {"-lake", "-catalog", "-page-url", "-log"},
		"rebuild":  {"-lake", "-catalog", "-check", "-log"},
		"vacuum":   {"-lake", "-retention", "-dry-run", "-log"},
		"optimize": {"-lake", "-dry-run", "-log"},
		"gen":      {"-lake", "-products", "-releases", "-seed", "-out", "-log"},
		"page":     {"-addr", "-dir", "-log"},
		"demo":     {"-catalog", "-addr", "-dir", "-log"},
		"version":  nil,
	}
	for name := range commands {
		if _, ok := want[name]; !ok {
			t.Errorf("command %s: list its flags in want", name)
		}
		code, stdout, stderr := runBinary(t, dir, nil, name, "-h")
		var flags []string
		for _, line := range strings.Split(stdout, "\n") {
			if f, ok := strings.CutPrefix(line, "  -"); ok {
				flags = append(flags, "-"+strings.Fields(f)[0])
			}
		}
		if code != 0 || stderr != "" || !strings.HasPrefix(stdout, "usage: releaselake "+name+" [flags]\n") || !slices.Equal(flags, want[name]) {
			t.Errorf("%s -h: exit %d, flags %v, want %v; stderr %q; stdout:\n%s", name, code, flags, want[name], stderr, stdout)
		}
	}
	_, h, _ := runBinary(t, dir, nil, "vacuum", "-h")
	if code, help, _ := runBinary(t, dir, nil, "help", "vacuum"); code != 0 || help != h {
		t.Errorf("help vacuum: exit %d:\n%s\nwant what vacuum -h says:\n%s", code, help, h)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("-h made %v", entries)
	}
}

// version says what the binary was built from as the Go toolchain recorded
// it (go version -m), and the Go release that built it.
func TestCLI_version(t *testing.T) {
	bin, err := binary()
	if err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr := runBinary(t, t.TempDir(), nil, "version")
	meta, err := exec.Command("go", "version", "-m", bin).Output()
	if err != nil {
		t.Fatal(err)
	}
	mod, rev, modified := "", "", false
	for _, line := range strings.Split(string(meta), "\n") {
		f := strings.Fields(line)
		switch {
		case len(f) >= 3 && f[0] == "mod":
			mod = f[2]
		case len(f) >= 2 && strings.HasPrefix(f[1], "vcs.revision="):
			rev = strings.TrimPrefix(f[1], "vcs.revision=")
		case len(f) >= 2 && f[1] == "vcs.modified=true":
			modified = true
		}
	}
	lines := strings.Split(stdout, "\n")
	if code != 0 || stderr != "" || len(lines) != 4 {
		t.Fatalf("version: exit %d, stderr %q, stdout:\n%s", code, stderr, stdout)
	}
	if lines[0] != "releaselake "+mod {
		t.Errorf("first line %q, want the module version %q", lines[0], mod)
	}
	switch {
	case rev == "" && lines[1] != "commit: unknown":
		t.Errorf("built without VCS stamp, but version says %q", lines[1])
	case rev != "" && (!strings.HasPrefix(lines[1], "commit: "+rev+" (") || strings.Contains(lines[1], "uncommitted") != modified):
		t.Errorf("version says %q; the build recorded %s (modified %v)", lines[1], rev, modified)
	}
	if want := "go: " + runtime.Version() + " " + runtime.GOOS + "/" + runtime.GOARCH; lines[2] != want {
		t.Errorf("third line %q, want %q", lines[2], want)
	}
}

// make build stamps what version says (-ldflags -X, docs/cli.md): VERSION and
// COMMIT when given (as the Dockerfile's build arguments are), else the
// checkout's git describe and commit, whatever -buildvcs says.
func TestCLI_versionStampedByTheBuild(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "releaselake")
	build := func(vars ...string) string {
		t.Helper()
		make_ := exec.Command("make", append([]string{"--no-print-directory", "build", "BIN=" + bin}, vars...)...)
		make_.Dir = filepath.Join("..", "..")
		if out, err := make_.CombinedOutput(); err != nil {
			t.Fatalf("make build %v: %v\n%s", vars, err, out)
		}
		out, err := exec.Command(bin, "version").Output()
		if err != nil {
			t.Fatal(err)
		}
		return string(out)
	}
	goLine := "go: " + runtime.Version() + " " + runtime.GOOS + "/" + runtime.GOARCH + "\n"
	if got, want := build("VERSION=v1.2.3-test", "COMMIT=0123456789abcdef"), "releaselake v1.2.3-test\ncommit: 0123456789abcdef\n"+goLine; got != want {
		t.Errorf("version of a build stamped v1.2.3-test:\n%s\nwant:\n%s", got, want)
	}
	git := func(args ...string) string {
		out, err := exec.Command("git", append([]string{"-C", filepath.Join("..", "..")}, args...)...).Output()
		if err != nil {
			t.Skipf("no git checkout to stamp from: %v", err)
		}
		return strings.TrimSpace(string(out))
	}
	head, describe := git("rev-parse", "HEAD"), git("describe", "--tags", "--always", "--dirty")
	if got, want := build(), "releaselake "+describe+"\ncommit: "+head+"\n"+goLine; got != want {
		t.Errorf("version of make build in the checkout:\n%s\nwant:\n%s", got, want)
	}
}

// Messages only where they apply: without GITHUB_TOKEN, the commands that do
// not crawl do not warn that GitHub products are not being crawled.
func TestCLI_noGitHubNoticeFromCommandsThatDoNotCrawl(t *testing.T) {
	dir := t.TempDir()
	env := map[string]string{"RELEASELAKE_LAKE": dir, "RELEASELAKE_LOG": "text",
		"RELEASELAKE_PAGE_URL": "http://127.0.0.1:1", "RELEASELAKE_PAGE_SECRET": "s"}
	for _, tc := range []struct {
		args   []string
		code   int
		stdout string
	}{
		{[]string{"rebuild", "-check"}, 0, "yellow equals the rebuild: nothing to commit"},
		{[]string{"vacuum", "-dry-run"}, 0, "the table has no versions"},
		{[]string{"optimize", "-dry-run"}, 0, "yellow has no versions: nothing to compact"},
		{[]string{"optimize"}, 0, "optimize: nothing to compact (0 data files); committed nothing"},
		{[]string{"push"}, 1, "push: nothing to push: the lake has no committed version yet"},
	} {
		code, stdout, stderr := runBinary(t, dir, env, tc.args...)
		if code != tc.code || !strings.Contains(stdout, tc.stdout) || stderr != "" {
			t.Errorf("%v: exit %d, stdout:\n%s\nstderr:\n%s", tc.args, code, stdout, stderr)
		}
	}
}
