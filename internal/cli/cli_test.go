package cli

import (
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func parse(t *testing.T, cmd string, env map[string]string, args ...string) (Config, error) {
	t.Helper()
	var c Config
	var help strings.Builder
	err := c.ParseFlags(cmd, args, func(k string) string { return env[k] }, &help)
	return c, err
}

// A flag overrides its variable, which overrides the default; the name in an
// error is the one the value came from.
func TestParseFlags_flagOverVariableOverDefault(t *testing.T) {
	lake := t.TempDir()
	c, err := parse(t, "serve", map[string]string{"RELEASELAKE_LAKE": lake, "RELEASELAKE_POLL": "3s"})
	if err != nil || c.Poll != 3*time.Second || c.Addr != "127.0.0.1:8080" || c.Schedule != "0 0 * * *" || c.Period != 24*time.Hour {
		t.Fatalf("%+v, %v", c, err)
	}
	c, err = parse(t, "serve", map[string]string{"RELEASELAKE_LAKE": lake, "RELEASELAKE_POLL": "3s"}, "-poll", "1m")
	if err != nil || c.Poll != time.Minute || c.Named("poll") != "-poll" {
		t.Fatalf("%+v, %v", c, err)
	}
	_, err = parse(t, "serve", map[string]string{"RELEASELAKE_LAKE": lake, "RELEASELAKE_POLL": "3s"}, "-poll", "soon")
	if err == nil || err.Error() != `-poll "soon": want a duration such as 10s, 5m or 1h30m` {
		t.Fatalf("%v", err)
	}
}

// A mistake anywhere makes no directory: the lake is made only once every
// other value is right.
func TestParseFlags_mistakeMakesNoDirectory(t *testing.T) {
	lake := filepath.Join(t.TempDir(), "lake")
	env := map[string]string{"RELEASELAKE_LAKE": lake, "RELEASELAKE_TZ": "Mars/Nowhere"}
	if _, err := parse(t, "serve", env); err == nil || !strings.HasPrefix(err.Error(), `RELEASELAKE_TZ "Mars/Nowhere"`) {
		t.Fatalf("%v", err)
	}
	if _, err := os.Stat(lake); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("the lake was made: %v", err)
	}
	delete(env, "RELEASELAKE_TZ")
	c, err := parse(t, "serve", env)
	if err != nil || c.Lake != lake {
		t.Fatalf("%q, %v", c.Lake, err)
	}
	if fi, err := os.Stat(lake); err != nil || !fi.IsDir() {
		t.Fatalf("serve did not make the lake: %v", err)
	}
}

// The lake is kept as an absolute path (logs say where it is); file:// is a
// local path; HDFS is left to lake/hdfs, which connects on first use.
func TestParseFlags_lakeForms(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	for v, want := range map[string]string{
		"./lake":                   filepath.Join(dir, "lake"),
		"file://" + dir + "/other": filepath.Join(dir, "other"),
		"hdfs://nn:9000/lake":      "hdfs://nn:9000/lake",
	} {
		c, err := parse(t, "ingest", map[string]string{"RELEASELAKE_LAKE": v})
		if err != nil || c.Lake != want {
			t.Errorf("%s: %q, %v; want %q", v, c.Lake, err, want)
		}
	}
	if _, err := parse(t, "rebuild", nil, "-lake", "missing"); err == nil || !strings.Contains(err.Error(), "no such directory") {
		t.Errorf("rebuild of a lake that is not there: %v", err)
	}
	if _, err := os.Stat("missing"); err == nil {
		t.Error("rebuild made the lake it was to read")
	}
}

// Secrets are trimmed (a file's newline), never shown, and one word; a
// command that does not read a value is not stopped by it.
func TestParseFlags_secretsAndValuesOtherCommandsRead(t *testing.T) {
	lake := t.TempDir()
	c, err := parse(t, "ingest", map[string]string{"RELEASELAKE_LAKE": lake, "GITHUB_TOKEN": "ghp_x\n", "RELEASELAKE_POLL": "abc"})
	if err != nil || c.Sources["GITHUB_TOKEN"] != "ghp_x" || c.Sources["RELEASELAKE_PYPI_URL"] != "https://pypi.org" {
		t.Fatalf("%+v, %v", c.Sources, err)
	}
	_, err = parse(t, "serve", map[string]string{"RELEASELAKE_LAKE": lake, "RELEASELAKE_ADMIN_TOKEN": "sec ret"})
	if err == nil || err.Error() != "RELEASELAKE_ADMIN_TOKEN holds a space or control character at byte 3: a token is one word" {
		t.Fatalf("%v", err)
	}
	// rebuild crawls nothing: no token is read, and the sources keep their defaults.
	c, err = parse(t, "rebuild", map[string]string{"RELEASELAKE_LAKE": lake, "GITHUB_TOKEN": "two words", "RELEASELAKE_PYPI_URL": "x"})
	if err != nil || c.Sources["GITHUB_TOKEN"] != "" || c.Sources["RELEASELAKE_PYPI_URL"] != "https://pypi.org" || c.Crawls() {
		t.Fatalf("%+v, %v", c.Sources, err)
	}
}

// -h lists the command's flags and the variables without a flag, with their
// defaults, and returns flag.ErrHelp.
func TestParseFlags_help(t *testing.T) {
	var c Config
	var help strings.Builder
	err := c.ParseFlags("vacuum", []string{"-h"}, func(string) string { return "" }, &help)
	want := `flags (each overrides the environment variable named beside it):
  -lake  (RELEASELAKE_LAKE, default ./lake)
        lake root: a path, file:///abs/path or hdfs://host:port/path
  -retention  (RELEASELAKE_RETENTION, default 7d)
        remove unneeded files older than this: 7d, 36h, 0 for all
  -dry-run
        list what would be removed; remove nothing
  -log  (RELEASELAKE_LOG, default auto)
        log format: auto (text on a terminal, else JSON), text or json
`
	if !errors.Is(err, flag.ErrHelp) || help.String() != want {
		t.Fatalf("%v:\n%s", err, help.String())
	}
}

// docs/cli.md names every flag and variable, and which commands read it.
func TestDocs_nameEverySetting(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "..", "docs", "cli.md"))
	if err != nil {
		t.Fatal(err)
	}
	doc := string(b)
	for _, s := range all() {
		if s.flag != "" && !strings.Contains(doc, "`-"+s.flag+"`") {
			t.Errorf("docs/cli.md does not name -%s", s.flag)
		}
		if s.env != "" && !strings.Contains(doc, "`"+s.env+"`") {
			t.Errorf("docs/cli.md does not name %s", s.env)
		}
	}
}

// An unknown command gets a hint when exactly one command is within two
// edits of it, and none when no command is, or two are equally close.
func TestUnknownCommand_didYouMean(t *testing.T) {
	names := []string{"demo", "gen", "ingest", "optimize", "page", "push", "rebuild", "serve", "vacuum", "version"}
	for name, want := range map[string]string{
		"servee":     `unknown command "servee": did you mean serve? (see releaselake -h)`,
		"SERVE":      `unknown command "SERVE": did you mean serve? (see releaselake -h)`,
		"vaccum":     `unknown command "vaccum": did you mean vacuum? (see releaselake -h)`,
		"rebild":     `unknown command "rebild": did you mean rebuild? (see releaselake -h)`,
		"frobnicate": `unknown command "frobnicate" (see releaselake -h)`,
		"pah":        `unknown command "pah" (see releaselake -h)`, // page and push, both two edits away
		"server3x":   `unknown command "server3x" (see releaselake -h)`,
	} {
		if got := UnknownCommand(name, names); got != want {
			t.Errorf("%s: %q, want %q", name, got, want)
		}
	}
}
