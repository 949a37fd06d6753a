package rules

import (
	"cmp"
	"fmt"
	"reflect"
	"slices"

	"github.com/fsagent/triage/model"
)

// Tally counts the values of one field over lists of facts, in one pass
// and without boxing every value: what a rule would otherwise build with
// map(list, .Field) passes and then hand to distinct, topN and
// countDistinct. An aggregate given a Tally reports its distinct values
// and the most frequent ones, as it would for the plucked list.
type Tally struct {
	// Items is how many values were counted (facts with the field set).
	Items int
	// counts holds each distinct value once, in order of first
	// appearance, with how often it occurs.
	counts []Count
}

// Distinct is the number of distinct values.
func (t Tally) Distinct() int { return len(t.counts) }

// Top returns the n most frequent values (.Value, .Count), most frequent
// first, ties in order of first appearance: topN of the plucked list.
func (t Tally) Top(n int) []Count {
	return mostFrequent(slices.Clone(t.counts), n)
}

// Values returns the distinct values in order of first appearance:
// distinct of the plucked list.
func (t Tally) Values() []any {
	out := make([]any, len(t.counts))
	for i, c := range t.counts {
		out[i] = c.Value
	}
	return out
}

// Sorted returns the distinct values in ascending order (numbers by
// value, strings by bytes): sort(distinct(...)) of the plucked list.
func (t Tally) Sorted() []any {
	out := t.Values()
	slices.SortStableFunc(out, func(a, b any) int {
		switch x := a.(type) {
		case int:
			if y, ok := b.(int); ok {
				return cmp.Compare(x, y)
			}
		case string:
			if y, ok := b.(string); ok {
				return cmp.Compare(x, y)
			}
		}
		return cmp.Compare(fmt.Sprint(a), fmt.Sprint(b))
	})
	return out
}

// String summarizes the tally for --explain.
func (t Tally) String() string {
	return fmt.Sprintf("%d value(s), %d distinct", t.Items, len(t.counts))
}

// tallier builds a Tally with typed maps for the common value types, so
// that counting a field of 250,000 facts does not box each value.
type tallier struct {
	t     Tally
	ints  map[int]int
	strs  map[string]int
	other map[any]int
}

func (a *tallier) int(v int) {
	if isNew(a, a.ints, v) {
		a.t.counts = append(a.t.counts, Count{Value: v, Count: 1})
	}
}

func (a *tallier) str(v string) {
	if v != "" && isNew(a, a.strs, v) {
		a.t.counts = append(a.t.counts, Count{Value: v, Count: 1})
	}
}

func (a *tallier) any(v reflect.Value) {
	switch v.Kind() {
	case reflect.Int:
		a.int(int(v.Int()))
		return
	case reflect.String:
		a.str(v.String())
		return
	}
	x := v.Interface()
	if isNew(a, a.other, key(x)) {
		a.t.counts = append(a.t.counts, Count{Value: x, Count: 1})
	}
}

// isNew counts one more value of key k, indexed in at; for a value not seen
// before it records where its Count goes and reports true, and the caller
// appends that Count (boxing the value once per distinct value, not per
// fact).
func isNew[K comparable](a *tallier, at map[K]int, k K) bool {
	a.t.Items++
	if i, ok := at[k]; ok {
		a.t.counts[i].Count++
		return false
	}
	at[k] = len(a.t.counts)
	return true
}

// tally counts field over the facts of every list, in list order. Empty
// strings are skipped (a fact that lacks the field); other values,
// zero included, count. A list whose elements lack the field is an error.
func tally(field string, lists ...any) (Tally, error) {
	a := &tallier{ints: map[int]int{}, strs: map[string]int{}, other: map[any]int{}}
	for _, list := range lists {
		if err := a.list(field, list); err != nil {
			return Tally{}, err
		}
	}
	return a.t, nil
}

func (a *tallier) list(field string, list any) error {
	// The fact lists the rules tally most, without reflection per fact.
	switch l := list.(type) {
	case []*model.OpenFileRow:
		if tallyProcs(a, field, l, func(f *model.OpenFileRow) (int, string) { return f.PID(), f.Command() }) {
			return nil
		}
	case []*model.FuserHit:
		if tallyProcs(a, field, l, func(f *model.FuserHit) (int, string) { return f.PID, f.Command }) {
			return nil
		}
	}
	v := reflect.ValueOf(list)
	if !v.IsValid() {
		return nil
	}
	if v.Kind() != reflect.Slice && v.Kind() != reflect.Array {
		return fmt.Errorf("tally: %s is not a list", v.Type())
	}
	var idx []int
	for i := 0; i < v.Len(); i++ {
		el := v.Index(i)
		for el.Kind() == reflect.Pointer || el.Kind() == reflect.Interface {
			if el.IsNil() {
				break
			}
			el = el.Elem()
		}
		if el.Kind() != reflect.Struct {
			return fmt.Errorf("tally: an element of %s is a %s, not a fact with a field %s", v.Type(), el.Kind(), field)
		}
		if m, ok := accessor(el, field); ok {
			// A packed fact (model.OpenFileRow) reads its fields by
			// methods of the same names.
			a.any(m.Call(nil)[0])
			continue
		}
		if idx == nil || el.Type().NumField() <= idx[0] || el.Type().FieldByIndex(idx).Name != field {
			sf, ok := el.Type().FieldByName(field)
			if !ok || !sf.IsExported() {
				return fmt.Errorf("tally: %s has no field %s", el.Type().Name(), field)
			}
			idx = sf.Index
		}
		a.any(el.FieldByIndex(idx))
	}
	return nil
}

// accessor returns the method of el that stands for a field of that name:
// no arguments, one result, and no field of the name beside it.
func accessor(el reflect.Value, field string) (reflect.Value, bool) {
	if _, ok := el.Type().FieldByName(field); ok {
		return reflect.Value{}, false
	}
	m := el.MethodByName(field)
	if !m.IsValid() || m.Type().NumIn() != 0 || m.Type().NumOut() != 1 {
		return reflect.Value{}, false
	}
	return m, true
}

// tallyProcs counts the PID or Command of a typed list of per-process
// facts; it reports false for any other field, which the caller then
// reaches by reflection.
func tallyProcs[T any](a *tallier, field string, l []T, proc func(T) (int, string)) bool {
	switch field {
	case "PID":
		for _, f := range l {
			pid, _ := proc(f)
			a.int(pid)
		}
	case "Command":
		for _, f := range l {
			_, cmd := proc(f)
			a.str(cmd)
		}
	default:
		return false
	}
	return true
}
