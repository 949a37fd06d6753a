package model

import "reflect"

// SetSection records section as the Section of every fact's source in m
// (see Source). The pipeline parses each section of a sectioned file into a
// model of its own and calls this before merging it, so parsers need not
// know they read a section.
func (m *Model) SetSection(section string) {
	m.OpenFiles.setSection(section)
	v := reflect.ValueOf(m).Elem()
	for i := 0; i < v.NumField(); i++ {
		f := v.Field(i)
		if !f.CanSet() || f.Kind() != reflect.Slice {
			continue
		}
		for j := 0; j < f.Len(); j++ {
			el := f.Index(j)
			if el.Kind() != reflect.Struct {
				continue
			}
			if src := el.FieldByName("Src"); src.IsValid() && src.Type() == reflect.TypeOf(Source{}) {
				src.FieldByName("Section").SetString(section)
			}
		}
	}
	for i := range m.Host.Sources {
		m.Host.Sources[i].Section = section
	}
	for _, ls := range m.Lines {
		for i := range ls {
			ls[i].Src.Section = section
		}
	}
}
