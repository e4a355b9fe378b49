package releaselake_test

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// markdown is a Markdown file of the repository split into its prose (fenced
// blocks blanked, so links and headings are read only where they render) and
// its code (fenced blocks and `spans`, where commands are quoted).
type markdown struct {
	name, prose string
	code        []string
}

func readMarkdown(t *testing.T, name string) markdown {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	md := markdown{name: name}
	var prose, block []string
	fenced := false
	for _, ln := range strings.Split(string(b), "\n") {
		switch {
		case strings.HasPrefix(ln, "```"):
			if fenced {
				md.code = append(md.code, strings.Join(block, "\n"))
				block = nil
			}
			fenced = !fenced
			prose = append(prose, "")
		case fenced:
			block = append(block, ln)
			prose = append(prose, "")
		default:
			prose = append(prose, ln)
		}
	}
	if fenced {
		t.Fatalf("%s: a fence that is never closed", name)
	}
	md.prose = strings.Join(prose, "\n")
	for _, m := range codeSpan.FindAllStringSubmatch(md.prose, -1) {
		md.code = append(md.code, m[1])
	}
	return md
}

var codeSpan = regexp.MustCompile("`([^`\n]+)`")

// docs returns README.md and every docs/*.md.
func docs(t *testing.T) []markdown {
	t.Helper()
	names, err := filepath.Glob("docs/*.md")
	if err != nil || len(names) < 8 {
		t.Fatalf("docs/*.md: %v %v", names, err)
	}
	out := []markdown{readMarkdown(t, "README.md")}
	for _, n := range names {
		out = append(out, readMarkdown(t, n))
	}
	return out
}

// README.md is the page a newcomer reads whole: it opens with the two
// commands the project rules name, run and test, and stays short; the rest is
// in docs/.
func TestREADME_shortAndOpensWithRunAndTest(t *testing.T) {
	b, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > 150 {
		t.Errorf("README.md has %d lines, at most 150: move the detail into docs/", len(lines))
	}
	var commands []string
	for _, ln := range lines[1:] {
		if ln == "" || ln == "```sh" {
			continue
		}
		if ln == "```" {
			break
		}
		cmd, _, _ := strings.Cut(ln, "#")
		commands = append(commands, strings.TrimSpace(cmd))
	}
	if !slices.Equal(commands, []string{"make run", "make test"}) {
		t.Errorf("README.md opens with %q, want the block of make run and make test right after its title", commands)
	}
}

// Every relative link of README.md and docs/*.md names a file that exists and,
// with a #fragment, a heading of that Markdown file.
func TestDocs_relativeLinksResolve(t *testing.T) {
	link := regexp.MustCompile(`\]\(([^)\s]+)\)`)
	anchors := map[string]map[string]bool{}
	checked := 0
	for _, md := range docs(t) {
		for _, m := range link.FindAllStringSubmatch(md.prose, -1) {
			target := m[1]
			if strings.Contains(target, "://") || strings.HasPrefix(target, "mailto:") {
				continue
			}
			path, frag, _ := strings.Cut(target, "#")
			file := md.name
			if path != "" {
				file = filepath.Join(filepath.Dir(md.name), path)
			}
			if _, err := os.Stat(file); err != nil {
				t.Errorf("%s: link %s: %v", md.name, target, err)
				continue
			}
			checked++
			if frag == "" {
				continue
			}
			if !strings.HasSuffix(file, ".md") {
				t.Errorf("%s: link %s: a fragment of a file that is not Markdown", md.name, target)
				continue
			}
			if anchors[file] == nil {
				anchors[file] = headingAnchors(readMarkdown(t, file).prose)
			}
			if !anchors[file][frag] {
				t.Errorf("%s: link %s: %s has no heading #%s", md.name, target, file, frag)
			}
		}
	}
	if checked < 20 {
		t.Fatalf("only %d relative links found: the test no longer reads the links", checked)
	}
}

// headingAnchors returns the fragments GitHub gives the headings of prose:
// lower case, punctuation dropped, spaces as hyphens, a repeated one
// suffixed -1, -2, ….
func headingAnchors(prose string) map[string]bool {
	heading := regexp.MustCompile(`(?m)^#{1,6} +(.+?) *#*$`)
	drop := regexp.MustCompile(`[^\p{L}\p{N} _-]`)
	out := map[string]bool{}
	seen := map[string]int{}
	for _, m := range heading.FindAllStringSubmatch(prose, -1) {
		a := strings.ReplaceAll(drop.ReplaceAllString(strings.ToLower(m[1]), ""), " ", "-")
		if n := seen[a]; n > 0 {
			out[a+"-"+itoa(n)] = true
		} else {
			out[a] = true
		}
		seen[a]++
	}
	return out
}

func itoa(n int) string {
	if n < 10 {
		return string(rune('0' + n))
	}
	return itoa(n/10) + itoa(n%10)
}

// pendingTargets are make targets the docs name before their branch is
// merged: each entry goes once the Makefile has the target (the test says so).
var pendingTargets = map[string]string{}

// Every `make TARGET` quoted in README.md and docs/*.md is a target of the
// Makefile.
func TestDocs_makeTargetsExist(t *testing.T) {
	b, err := os.ReadFile("Makefile")
	if err != nil {
		t.Fatal(err)
	}
	targets := map[string]bool{}
	for _, m := range regexp.MustCompile(`(?m)^([a-z][\w .-]*?):([^=]|$)`).FindAllStringSubmatch(string(b), -1) {
		for _, name := range strings.Fields(m[1]) {
			targets[name] = true
		}
	}
	if !targets["run"] || !targets["test"] {
		t.Fatalf("Makefile targets %v: the parser lost run and test", targets)
	}
	for name, why := range pendingTargets {
		if targets[name] {
			t.Errorf("the Makefile has %q now: remove it from pendingTargets (%s)", name, why)
		}
	}
	command := regexp.MustCompile(`(?m)(?:^|[\s(;&|])make ([a-z][\w-]*)`)
	named := 0
	for _, md := range docs(t) {
		for _, code := range md.code {
			for _, m := range command.FindAllStringSubmatch(code, -1) {
				named++
				if !targets[m[1]] && pendingTargets[m[1]] == "" {
					t.Errorf("%s: `make %s`: the Makefile has no such target", md.name, m[1])
				}
			}
		}
	}
	if named < 10 {
		t.Fatalf("only %d make commands found in the docs", named)
	}
}

// The environment variables the program reads (their names as Go string
// literals outside tests and test helpers) are the rows of the table in
// docs/operations.md's "Configuration", no more and no fewer.
func TestDocs_environmentVariablesAreTheConfigurationTable(t *testing.T) {
	literal := regexp.MustCompile(`"((?:RELEASELAKE|GITHUB|HADOOP)_[A-Z_]+)"`)
	read := map[string]string{}
	err := filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if n := d.Name(); path != "." && (strings.HasPrefix(n, ".") || n == "node_modules" || n == "testdata" || strings.HasSuffix(n, "test")) {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for _, m := range literal.FindAllStringSubmatch(string(b), -1) {
			read[m[1]] = path
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// Read for us by colinmarc/hdfs (hadoopconf.LoadFromEnvironment, lake/hdfs's loadConf).
	for _, name := range []string{"HADOOP_CONF_DIR", "HADOOP_HOME"} {
		read[name] = "lake/hdfs (hadoopconf)"
	}
	ops := readMarkdown(t, "docs/operations.md").prose
	_, sec, ok := strings.Cut(ops, "\n## Configuration\n")
	if !ok {
		t.Fatal(`docs/operations.md has no "## Configuration"`)
	}
	sec, _, _ = strings.Cut(sec, "\n## ")
	var table strings.Builder
	documented := map[string]bool{}
	for _, ln := range strings.Split(sec, "\n") {
		if strings.HasPrefix(ln, "| `") {
			table.WriteString(ln + "\n")
			name, _, _ := strings.Cut(strings.TrimPrefix(ln, "| `"), "`")
			documented[name] = true
		}
	}
	if len(read) < 15 || len(documented) < 15 {
		t.Fatalf("%d variables read, %d documented: the test lost them", len(read), len(documented))
	}
	for name, file := range read {
		if !strings.Contains(table.String(), "`"+name+"`") && !strings.Contains(table.String(), "$"+name) {
			t.Errorf("%s reads %s; docs/operations.md's Configuration table does not name it", file, name)
		}
	}
	for name := range documented {
		if read[name] == "" {
			t.Errorf("docs/operations.md documents %s; no code outside the tests reads it", name)
		}
	}
}

// README.md's "How the code is laid out" names every top-level directory that
// holds Go code, and only directories that exist.
func TestREADME_layoutNamesEveryPackageDirectory(t *testing.T) {
	b, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(b), "\n## How the code is laid out\n")
	_, block, fenced := strings.Cut(section, "```\n")
	block, _, closed := strings.Cut(block, "\n```")
	if !ok || !fenced || !closed {
		t.Fatal(`README.md has no "## How the code is laid out" with a fenced block`)
	}
	named := map[string]bool{}
	for _, ln := range strings.Split(block, "\n") {
		for _, f := range strings.Fields(ln) {
			if !strings.HasSuffix(f, "/") {
				break
			}
			top, _, _ := strings.Cut(f, "/")
			named[top] = true
			if strings.Count(f, "/") > 1 || !strings.HasPrefix(ln, f) {
				continue // a subdirectory, as "ingest/github/ pypi/" names them
			}
			if st, err := os.Stat(top); err != nil || !st.IsDir() {
				t.Errorf("README.md's layout names %s, which is not a directory", f)
			}
		}
	}
	entries, err := os.ReadDir(".")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if !e.IsDir() || strings.HasPrefix(e.Name(), ".") || named[e.Name()] {
			continue
		}
		goFiles := false
		filepath.WalkDir(e.Name(), func(path string, d fs.DirEntry, err error) error {
			if err == nil && !d.IsDir() && strings.HasSuffix(path, ".go") && !strings.Contains(path, "node_modules") {
				goFiles = true
				return filepath.SkipAll
			}
			return nil
		})
		if goFiles {
			t.Errorf("%s/ holds Go code; README.md's layout does not name it", e.Name())
		}
	}
	if len(named) < 10 {
		t.Fatalf("README.md's layout names %d directories: the test lost them", len(named))
	}
}
