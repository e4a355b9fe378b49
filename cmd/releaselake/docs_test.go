package main

import (
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// pendingCommands are commands docs/operations.md describes before their
// branch is merged (issue 22): each entry goes once commands has it, and the
// test says so.
var pendingCommands = map[string]string{}

// The table of commands in docs/operations.md is the program's commands, no
// more and no fewer.
func TestDocs_commandsTable(t *testing.T) {
	b, err := os.ReadFile("../../docs/operations.md")
	if err != nil {
		t.Fatal(err)
	}
	var documented []string
	for _, m := range regexp.MustCompile("(?m)^\\| `releaselake ([a-z]+)` \\|").FindAllStringSubmatch(string(b), -1) {
		documented = append(documented, m[1])
	}
	if len(documented) < 5 {
		t.Fatalf("docs/operations.md: %d commands in the table: the test lost it", len(documented))
	}
	for name := range commands {
		if !slices.Contains(documented, name) {
			t.Errorf("releaselake %s: docs/operations.md has no row for it", name)
		}
		if why, ok := pendingCommands[name]; ok {
			t.Errorf("releaselake %s exists now: remove it from pendingCommands (%s)", name, why)
		}
	}
	for _, name := range documented {
		if _, ok := commands[name]; !ok && pendingCommands[name] == "" {
			t.Errorf("docs/operations.md documents releaselake %s; there is no such command", name)
		}
	}
}

// The graphql-http findings docs/contributing.md accepts are the ones
// TestGraphQL_graphqlHTTPAudit lets pass, by audit id.
func TestDocs_acceptedAuditFindings(t *testing.T) {
	b, err := os.ReadFile("../../docs/contributing.md")
	if err != nil {
		t.Fatal(err)
	}
	_, sec, ok := strings.Cut(string(b), "\n### The graphql-http audit\n")
	if !ok {
		t.Fatal(`docs/contributing.md has no "### The graphql-http audit"`)
	}
	sec, _, _ = strings.Cut(sec, "\n#")
	var ids []string
	for _, m := range regexp.MustCompile("`([0-9A-F]{4})`").FindAllStringSubmatch(sec, -1) {
		ids = append(ids, m[1])
	}
	slices.Sort(ids)
	var accepted []string
	for id := range acceptedAuditFindings {
		accepted = append(accepted, id)
	}
	slices.Sort(accepted)
	if !slices.Equal(ids, accepted) {
		t.Errorf("docs/contributing.md accepts the audit findings %v; the audit test accepts %v", ids, accepted)
	}
}
