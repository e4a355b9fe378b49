package releaselake

// The GraphQL server code in graph/ is generated from schema.graphqls by gqlgen,
// pinned as a Go tool in go.mod.
//go:generate go tool gqlgen generate --config gqlgen.yml
