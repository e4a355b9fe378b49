package githubtest

import (
	"errors"
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"

	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
	"github.com/vektah/gqlparser/v2/parser"
	"github.com/vektah/gqlparser/v2/validator"
	"github.com/vektah/gqlparser/v2/validator/core"
	"github.com/vektah/gqlparser/v2/validator/rules"
)

// prepared is a query that passed every check GitHub makes before running one.
type prepared struct {
	doc    *ast.QueryDocument
	op     *ast.OperationDefinition
	vars   map[string]any
	cost   queryCost
	opName string // "query" or "query Name", as GitHub starts error paths
}

type queryCost struct {
	cost, nodes int
	dryRun      bool
}

const (
	maxPage  = 100
	maxNodes = 500_000
)

// validationRules are gqlparser's standard rules without "Did you mean" suggestions, which
// GitHub does not make.
var validationRules = func() *rules.Rules {
	r := rules.NewDefaultRules()
	for _, rule := range []core.Rule{
		rules.FieldsOnCorrectTypeRuleWithoutSuggestions,
		rules.KnownArgumentNamesRuleWithoutSuggestions,
		rules.KnownTypeNamesRuleWithoutSuggestions,
		rules.ScalarLeafsRuleWithoutSuggestions,
		rules.ValuesOfCorrectTypeRuleWithoutSuggestions,
	} {
		r.RemoveRule(strings.TrimSuffix(rule.Name, "WithoutSuggestions"))
		r.AddRule(rule.Name, rule.RuleFunc)
	}
	return r
}()

// prepare parses, validates and prices a query the way GitHub does before executing it;
// errs are GitHub-style errors for a query GitHub would reject.
func (s *Server) prepare(query, operationName string, variables map[string]any) (*prepared, []Error) {
	doc, err := parser.ParseQuery(&ast.Source{Input: query})
	if err != nil {
		var ge *gqlerror.Error
		if !errors.As(err, &ge) {
			return nil, []Error{{Message: "Parse error: " + err.Error()}}
		}
		e := Error{Message: "Parse error: " + ge.Message, Extensions: map[string]any{"code": "parseError"}}
		e.Locations = locations(ge.Locations)
		if len(e.Locations) > 0 {
			e.Message = fmt.Sprintf("Parse error at [%d, %d]: %s", e.Locations[0].Line, e.Locations[0].Column, ge.Message)
		}
		return nil, []Error{e}
	}
	if list := validator.ValidateWithRules(s.schema, doc, validationRules); len(list) > 0 {
		errs := make([]Error, 0, len(list))
		for _, ge := range list {
			errs = append(errs, githubValidationError(ge, doc))
		}
		return nil, errs
	}

	op, e := pickOperation(doc, operationName)
	if e != nil {
		return nil, []Error{*e}
	}
	if op.Operation != ast.Query {
		return nil, []Error{{Message: fmt.Sprintf("githubtest serves queries only, not a %s", op.Operation)}}
	}
	vars, e := coerceVariables(s.schema, op, variables)
	if e != nil {
		return nil, []Error{*e}
	}
	q := &prepared{doc: doc, op: op, vars: vars, opName: "query"}
	if op.Name != "" {
		q.opName = "query " + op.Name
	}
	var errs []Error
	requests := 0
	w := costWalker{q: q, errs: &errs, requests: &requests, seen: map[string]bool{}}
	w.walk(op.SelectionSet, nil, 1)
	if len(errs) > 0 {
		return nil, errs
	}
	if q.cost.nodes > maxNodes {
		return nil, []Error{{
			Type:    "MAX_NODE_LIMIT_EXCEEDED",
			Message: fmt.Sprintf("This query requests up to %s possible nodes which exceeds the maximum limit of %s.", thousands(q.cost.nodes), thousands(maxNodes)),
		}}
	}
	q.cost.cost = max(1, int(math.Round(float64(requests)/100)))
	return q, nil
}

func pickOperation(doc *ast.QueryDocument, name string) (*ast.OperationDefinition, *Error) {
	if name != "" {
		if op := doc.Operations.ForName(name); op != nil {
			return op, nil
		}
		return nil, &Error{Message: fmt.Sprintf("No operation named %q", name)}
	}
	switch len(doc.Operations) {
	case 0:
		return nil, &Error{Message: "No operations in query document"}
	case 1:
		return doc.Operations[0], nil
	}
	return nil, &Error{Message: "An operation name is required"}
}

// coerceVariables checks variables against the operation's declarations, as GitHub does.
func coerceVariables(schema *ast.Schema, op *ast.OperationDefinition, variables map[string]any) (vars map[string]any, e *Error) {
	defer func() {
		if p := recover(); p != nil {
			vars, e = nil, &Error{Message: fmt.Sprintf("Variables are invalid: %v", p)}
		}
	}()
	if variables == nil {
		variables = map[string]any{}
	}
	vars, err := validator.VariableValues(schema, op, variables)
	if err == nil {
		return vars, nil
	}
	var ge *gqlerror.Error
	if !errors.As(err, &ge) || len(ge.Path) < 2 {
		return nil, &Error{Message: "Variables are invalid: " + err.Error()}
	}
	name := fmt.Sprint(ge.Path[1])
	typ := "?"
	var locs []Location
	if def := op.VariableDefinitions.ForName(name); def != nil {
		typ = def.Type.String()
		if def.Position != nil {
			locs = []Location{{def.Position.Line, def.Position.Column}}
		}
	}
	var subPath []any
	for _, p := range ge.Path[2:] {
		subPath = append(subPath, p)
	}
	if subPath == nil {
		subPath = []any{}
	}
	return nil, &Error{
		Message:   fmt.Sprintf("Variable $%s of type %s was provided invalid value", name, typ),
		Locations: locs,
		Extensions: map[string]any{
			"value":    variables[name],
			"problems": []map[string]any{{"path": subPath, "explanation": ge.Message}},
		},
	}
}

// costWalker enforces the pagination rule and adds up GitHub's cost: one request per
// connection per parent, the parents being the first/last of the connections above.
type costWalker struct {
	q        *prepared
	errs     *[]Error
	requests *int
	seen     map[string]bool // fragments on the current path, against cycles
}

func (w *costWalker) walk(set ast.SelectionSet, path []any, mult int) {
	for _, sel := range set {
		switch sel := sel.(type) {
		case *ast.Field:
			w.field(sel, path, mult)
		case *ast.InlineFragment:
			w.walk(sel.SelectionSet, path, mult)
		case *ast.FragmentSpread:
			frag := w.q.doc.Fragments.ForName(sel.Name)
			if frag == nil || w.seen[sel.Name] {
				continue
			}
			w.seen[sel.Name] = true
			w.walk(frag.SelectionSet, path, mult)
			delete(w.seen, sel.Name)
		}
	}
}

func (w *costWalker) field(f *ast.Field, path []any, mult int) {
	if f.Definition == nil {
		return
	}
	key := responseKey(f)
	p := append(path[:len(path):len(path)], key)
	args, _ := argumentMap(f, w.q.vars)
	if len(path) == 0 && f.Name == "rateLimit" && args["dryRun"] == true {
		w.q.cost.dryRun = true
	}
	if !strings.HasSuffix(f.Definition.Type.Name(), "Connection") {
		w.walk(f.SelectionSet, p, mult)
		return
	}
	n, e := pageSize(f, args)
	if e != nil {
		e.Path = append([]any{w.q.opName}, p...)
		e.Locations = fieldLocation(f)
		*w.errs = append(*w.errs, *e)
		return
	}
	*w.requests += mult
	w.q.cost.nodes += mult * n
	w.walk(f.SelectionSet, p, mult*n)
}

// pageSize is the connection's first or last, checked against GitHub's rule.
func pageSize(f *ast.Field, args map[string]any) (int, *Error) {
	n := -1
	for _, arg := range []string{"first", "last"} {
		v, ok := toInt(args[arg])
		if !ok {
			continue
		}
		switch {
		case v > maxPage:
			return 0, &Error{
				Type:    "EXCESSIVE_PAGINATION",
				Message: fmt.Sprintf("Requesting %d records on the `%s` connection exceeds the `%s` limit of %d records.", v, f.Name, arg, maxPage),
			}
		case v < 1:
			// GitHub itself answers first: 0 (and refuses negative values); this fake asks
			// for a real page so that a crawler never loops on empty ones.
			return 0, &Error{
				Type:    "INVALID_PAGINATION",
				Message: fmt.Sprintf("`%s` on the `%s` connection must be between 1 and %d (githubtest).", arg, f.Name, maxPage),
			}
		}
		n = max(n, v)
	}
	if n < 0 {
		return 0, &Error{
			Type:    "MISSING_PAGINATION_BOUNDARIES",
			Message: fmt.Sprintf("You must provide a `first` or `last` value to properly paginate the `%s` connection.", f.Name),
		}
	}
	return n, nil
}

// gqlparser's messages, to be rewritten in GitHub's (graphql-ruby's) words.
var (
	reUndefinedField = regexp.MustCompile(`^Cannot query field "([^"]+)" on type "([^"]+)"`)
	reUnknownArg     = regexp.MustCompile(`^Unknown argument "([^"]+)" on field "([^".]+)\.([^"]+)"`)
	reMissingArg     = regexp.MustCompile(`^Field "([^"]+)" argument "([^"]+)" of type "([^"]+)" is required`)
	reNoSelection    = regexp.MustCompile(`^Field "([^"]+)" of type "([^"]+)" must have a selection of subfields`)
	reLeafSelection  = regexp.MustCompile(`^Field "([^"]+)" must not have a selection since type "([^"]+)"`)
	reUnusedVar      = regexp.MustCompile(`^Variable "\$([^"]+)" is never used`)
	reUndefinedVar   = regexp.MustCompile(`^Variable "\$([^"]+)" is not defined`)
	reVarPosition    = regexp.MustCompile(`^Variable "\$([^"]+)" of type "([^"]+)" used in position expecting type "([^"]+)"`)
	reUnknownType    = regexp.MustCompile(`^Unknown type "([^"]+)"`)
)

func githubValidationError(ge *gqlerror.Error, doc *ast.QueryDocument) Error {
	e := Error{Message: ge.Message, Locations: locations(ge.Locations)}
	opName := "anonymous query"
	if len(doc.Operations) == 1 && doc.Operations[0].Name != "" {
		opName = doc.Operations[0].Name
	}
	code := func(c string, kv ...string) {
		e.Extensions = map[string]any{"code": c}
		for i := 0; i+1 < len(kv); i += 2 {
			e.Extensions[kv[i]] = kv[i+1]
		}
	}
	msg := ge.Message
	if m := reUndefinedField.FindStringSubmatch(msg); m != nil {
		e.Message = fmt.Sprintf("Field '%s' doesn't exist on type '%s'", m[1], m[2])
		code("undefinedField", "typeName", m[2], "fieldName", m[1])
	} else if m := reUnknownArg.FindStringSubmatch(msg); m != nil {
		e.Message = fmt.Sprintf("Field '%s' doesn't accept argument '%s'", m[3], m[1])
		code("argumentNotAccepted", "name", m[3], "typeName", "Field", "argumentName", m[1])
	} else if m := reMissingArg.FindStringSubmatch(msg); m != nil {
		e.Message = fmt.Sprintf("Field '%s' is missing required arguments: %s", m[1], m[2])
		code("missingRequiredArguments", "className", "Field", "name", m[1], "arguments", m[2])
	} else if m := reNoSelection.FindStringSubmatch(msg); m != nil {
		e.Message = fmt.Sprintf("Field must have selections (field '%s' returns %s but has no selections. Did you mean '%s { ... }'?)", m[1], m[2], m[1])
		code("selectionMismatch", "nodeName", "field '"+m[1]+"'", "typeName", m[2])
	} else if m := reLeafSelection.FindStringSubmatch(msg); m != nil {
		e.Message = fmt.Sprintf("Selections can't be made on scalars (field '%s' returns %s but has selections)", m[1], m[2])
		code("selectionMismatch", "nodeName", "field '"+m[1]+"'", "typeName", m[2])
	} else if m := reUnusedVar.FindStringSubmatch(msg); m != nil {
		e.Message = fmt.Sprintf("Variable $%s is declared by %s but not used", m[1], opName)
		code("variableNotUsed", "variableName", m[1])
	} else if m := reUndefinedVar.FindStringSubmatch(msg); m != nil {
		e.Message = fmt.Sprintf("Variable $%s is used by %s but not declared", m[1], opName)
		code("variableNotDefined", "variableName", m[1])
	} else if m := reVarPosition.FindStringSubmatch(msg); m != nil {
		e.Message = fmt.Sprintf("Type mismatch on variable $%s and argument (%s / %s)", m[1], m[2], m[3])
		code("variableMismatch", "variableName", m[1], "typeName", m[2])
	} else if m := reUnknownType.FindStringSubmatch(msg); m != nil {
		e.Message = fmt.Sprintf("No such type %s, so it can't be used here", m[1])
		code("undefinedType", "typeName", m[1])
	} else {
		rule := strings.TrimSuffix(ge.Rule, "WithoutSuggestions")
		if rule == "ValuesOfCorrectType" {
			rule = "argumentLiteralsIncompatible"
		}
		if rule != "" {
			rule = strings.ToLower(rule[:1]) + rule[1:]
		}
		code(rule)
	}
	return e
}

func locations(ls []gqlerror.Location) []Location {
	var out []Location
	for _, l := range ls {
		out = append(out, Location{l.Line, l.Column})
	}
	return out
}

func fieldLocation(f *ast.Field) []Location {
	if f.Position == nil {
		return nil
	}
	return []Location{{f.Position.Line, f.Position.Column}}
}

func responseKey(f *ast.Field) string {
	if f.Alias != "" {
		return f.Alias
	}
	return f.Name
}

// argumentMap is f's arguments with variables and defaults applied.
func argumentMap(f *ast.Field, vars map[string]any) (args map[string]any, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("arguments of %s: %v", f.Name, p)
		}
	}()
	return f.ArgumentMap(vars), nil
}

func toInt(v any) (int, bool) {
	switch v := v.(type) {
	case int:
		return v, true
	case int32:
		return int(v), true
	case int64:
		return int(v), true
	case float64:
		return int(v), true
	case interface{ Int64() (int64, error) }: // json.Number
		n, err := v.Int64()
		return int(n), err == nil
	case string:
		n, err := strconv.Atoi(v)
		return n, err == nil
	}
	return 0, false
}

func thousands(n int) string {
	s := strconv.Itoa(n)
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}
