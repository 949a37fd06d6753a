package model

import "reflect"

// Merge appends the facts of o to m: every slice field in order, the Lines
// map by key, and the Host fields that m does not know yet. Parsers fill a
// model per file and the pipeline merges them in bundle order, so adding a
// fact kind to Model needs no change here.
//
// A slice that m does not have yet is taken over from o, not copied: the
// pipeline merges one file's model at a time, and copying a multi-million
// fact slice into an empty one only doubled peak memory. o must therefore
// not be changed after the call.
func (m *Model) Merge(o *Model) {
	if m.derived.built {
		// A programming error, not a bundle problem: the views rules and
		// reports read would no longer match the facts.
		panic("model: Merge into a model that was already queried (its derived views are frozen)")
	}
	mv, ov := reflect.ValueOf(m).Elem(), reflect.ValueOf(o).Elem()
	for i := 0; i < mv.NumField(); i++ {
		f := mv.Field(i)
		if !f.CanSet() || f.Kind() != reflect.Slice {
			continue
		}
		switch of := ov.Field(i); {
		case of.Len() == 0:
		case f.Len() == 0:
			// Capacity clipped: a later append to m must not write
			// into spare room of o's array, which o's owner may
			// still append to.
			f.Set(of.Slice3(0, of.Len(), of.Len()))
		default:
			f.Set(reflect.AppendSlice(f, of))
		}
	}
	for k, v := range o.Lines {
		if m.Lines == nil {
			m.Lines = map[string][]LineMatch{}
		}
		if len(m.Lines[k]) == 0 {
			m.Lines[k] = v
		} else {
			m.Lines[k] = append(m.Lines[k], v...)
		}
	}
	m.Host.merge(o.Host)
}

func (h *Host) merge(o Host) {
	fill := func(dst *string, src string) {
		if *dst == "" {
			*dst = src
		}
	}
	fill(&h.Hostname, o.Hostname)
	fill(&h.OS, o.OS)
	fill(&h.Kernel, o.Kernel)
	fill(&h.Arch, o.Arch)
	fill(&h.OSVersion, o.OSVersion)
	fill(&h.CollectedAt, o.CollectedAt)
	h.Sources = append(h.Sources, o.Sources...)
}

// FactCount is the number of facts in m: the elements of every fact slice,
// the host's sources and the collected lines.
func (m *Model) FactCount() int {
	n := len(m.Host.Sources)
	v := reflect.ValueOf(m).Elem()
	for i := 0; i < v.NumField(); i++ {
		if f := v.Field(i); f.CanSet() && f.Kind() == reflect.Slice {
			n += f.Len()
		}
	}
	for _, l := range m.Lines {
		n += len(l)
	}
	return n
}

var openFileTableType = reflect.TypeOf(OpenFileTable(nil))

// FilterPaths returns a copy of m holding only the facts whose source path
// satisfies keep: `triage facts --kind` uses it to show one kind's facts.
func (m *Model) FilterPaths(keep func(path string) bool) *Model {
	return m.FilterSources(func(s Source) bool { return keep(s.Path) })
}

// FilterSources is FilterPaths by the whole source, so that the facts of
// one section of a file can be told from those of another.
func (m *Model) FilterSources(keep func(src Source) bool) *Model {
	out := &Model{}
	for i := range m.OpenFiles {
		if keep(m.OpenFiles[i].Src()) {
			out.OpenFiles = append(out.OpenFiles, m.OpenFiles[i])
		}
	}
	mv, ov := reflect.ValueOf(m).Elem(), reflect.ValueOf(out).Elem()
	for i := 0; i < mv.NumField(); i++ {
		f := mv.Field(i)
		if !f.CanSet() || f.Kind() != reflect.Slice || f.Type() == openFileTableType {
			continue
		}
		dst := ov.Field(i)
		for j := 0; j < f.Len(); j++ {
			el := f.Index(j)
			if src := el.FieldByName("Src"); src.IsValid() && src.Type() == reflect.TypeOf(Source{}) && keep(src.Interface().(Source)) {
				dst.Set(reflect.Append(dst, el))
			}
		}
	}
	for _, s := range m.Host.Sources {
		if keep(s) {
			out.Host = m.Host
			break
		}
	}
	for k, v := range m.Lines {
		for _, l := range v {
			if keep(l.Src) {
				if out.Lines == nil {
					out.Lines = map[string][]LineMatch{}
				}
				out.Lines[k] = append(out.Lines[k], l)
			}
		}
	}
	return out
}
