package releaselake

import (
	"strings"
	"testing"
)

func TestSearchProducts(t *testing.T) {
	ps := []Product{
		{Key: "react", Name: "React", Kind: "github", Ref: "facebook/react"},
		{Key: "preact", Name: "Preact", Kind: "github", Ref: "preactjs/preact"},
		{Key: "redux", Name: "Redux", Kind: "github", Ref: "reduxjs/redux"},
		{Key: "spring", Name: "Spring Framework", Kind: "maven", Ref: "org.springframework:spring-core"},
		{Key: "springboot", Name: "Spring Boot", Kind: "github", Ref: "spring-projects/spring-boot"},
	}
	cases := []struct{ q, want string }{
		{"", "react preact redux spring springboot"},
		{"react", "react preact"},
		{"REA", "react preact"},
		{"facebook", "react"},
		{"spring", "spring springboot"},
		{"boot spring", "springboot"},
		{"js", "preact redux"},
		{"nothing", ""},
	}
	for _, tc := range cases {
		var got []string
		for _, p := range SearchProducts(ps, tc.q) {
			got = append(got, p.Key)
		}
		if strings.Join(got, " ") != tc.want {
			t.Errorf("search %q = %v, want %s", tc.q, got, tc.want)
		}
	}
}
