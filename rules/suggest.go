package rules

import (
	"fmt"
	"reflect"
	"regexp"
	"strings"

	"github.com/fsagent/triage/knowledge"
	"github.com/fsagent/triage/model"
)

// factTypes are the struct types an expression can reach, by the name rule
// authors see (no package qualifier), for "did you mean" on a misspelt
// field.
var factTypes = func() map[string]reflect.Type {
	out := map[string]reflect.Type{}
	var add func(t reflect.Type)
	add = func(t reflect.Type) {
		for t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice || t.Kind() == reflect.Array || t.Kind() == reflect.Map {
			t = t.Elem()
		}
		if t.Kind() == reflect.Func {
			for i := 0; i < t.NumOut(); i++ {
				add(t.Out(i))
			}
			return
		}
		if t.Kind() != reflect.Struct || out[t.Name()] != nil {
			return
		}
		out[t.Name()] = t
		for i := 0; i < t.NumField(); i++ {
			if t.Field(i).IsExported() {
				add(t.Field(i).Type)
			}
		}
	}
	add(reflect.TypeOf(model.Model{}))
	add(reflect.TypeOf(model.OpenFile{})) // what a packed row reads as (see rowFields)
	add(reflect.TypeOf(knowledge.GuardPoint{}))
	for _, f := range funcTable {
		add(reflect.TypeOf(f.bind(&query{m: &model.Model{}})))
	}
	return out
}()

var (
	// qualifier is a Go package prefix in a checker message ("*model.Host").
	qualifier = regexp.MustCompile(`\*?\b(model|knowledge|rules)\.`)
	// noField is the checker's message for an unknown field.
	noField = regexp.MustCompile(`type (\w+) has no field (\w+)`)
	// unknownName is the checker's message for an unknown top-level name.
	unknownName = regexp.MustCompile(`unknown name (\w+)`)
)

// explainCheck turns a checker message into one for rule authors: types
// named as rules see them, and the closest field or name suggested for a
// misspelt one.
func explainCheck(msg string, env map[string]bool) string {
	msg = qualifier.ReplaceAllString(msg, "")
	// A packed lsof row reads as an OpenFile; name the type authors know.
	msg = strings.ReplaceAll(msg, "OpenFileRow", "OpenFile")
	if m := noField.FindStringSubmatch(msg); m != nil {
		if t := factTypes[m[1]]; t != nil {
			var names []string
			for i := 0; i < t.NumField(); i++ {
				if t.Field(i).IsExported() {
					names = append(names, t.Field(i).Name)
				}
			}
			msg += closest(m[2], names, fmt.Sprintf(" (%s has %s)", m[1], strings.Join(names, ", ")))
		}
	} else if m := unknownName.FindStringSubmatch(msg); m != nil {
		var names []string
		for k := range env {
			names = append(names, k)
		}
		msg += closest(m[1], names, "")
	}
	return msg
}

// closest suggests the name nearest to got (case-insensitive first), or
// returns otherwise.
func closest(got string, names []string, otherwise string) string {
	for _, n := range names {
		if strings.EqualFold(n, got) {
			return fmt.Sprintf(" (did you mean %s?)", n)
		}
	}
	best, bestD := "", 3
	for _, n := range names {
		if d := editDistance(strings.ToLower(got), strings.ToLower(n)); d < bestD || (d == bestD && best != "" && n < best) {
			best, bestD = n, d
		}
	}
	if best == "" {
		return otherwise
	}
	return fmt.Sprintf(" (did you mean %s?)", best)
}
