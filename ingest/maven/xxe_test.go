package maven

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// maven-metadata.xml declaring an external entity (XXE) never reads the file
// it names: encoding/xml does not resolve entities, so the answer either fails
// or yields the versions written literally, never the file's content.
func TestReadMetadata_externalEntityIsNotRead(t *testing.T) {
	secret := filepath.Join(t.TempDir(), "secret")
	os.WriteFile(secret, []byte("TOPSECRET"), 0o600)
	for _, body := range []string{
		`<?xml version="1.0"?><!DOCTYPE metadata [<!ENTITY x SYSTEM "file://` + secret + `">]>` +
			`<metadata><groupId>g</groupId><artifactId>a</artifactId><versioning><versions><version>&x;</version><version>1.0.0</version></versions></versioning></metadata>`,
		`<?xml version="1.0"?><!DOCTYPE metadata [<!ENTITY x SYSTEM "file://` + secret + `">]>` +
			`<metadata><groupId>g</groupId><artifactId>a</artifactId><versioning><versions><version>1.0.0</version></versions></versioning></metadata>`,
	} {
		md, err := readMetadata([]byte(body), coordinates{group: "g", artifact: "a"})
		if err != nil {
			if strings.Contains(err.Error(), "TOPSECRET") {
				t.Errorf("the error holds the file's content: %v", err)
			}
			continue
		}
		for _, v := range md.Versioning.Versions {
			if strings.Contains(v, "TOPSECRET") {
				t.Errorf("version %q holds the file's content", v)
			}
		}
	}
}
