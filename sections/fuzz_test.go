package sections

import (
	"io"
	"strings"
	"testing"
)

// FuzzSplit splits arbitrary files in both formats: the split must end
// without panicking, sections must come in file order with their bodies
// after their headers, and the bodies together can never be longer than
// the file.
func FuzzSplit(f *testing.F) {
	f.Add(scc)
	f.Add(snap)
	f.Add("#==[ Command ]===#")
	f.Add(".....\n.....    df -k")
	f.Add("#==[ Command ]===#\r\n# x\r\n" + strings.Repeat("#", 5000) + "\n")
	f.Fuzz(func(t *testing.T, in string) {
		for _, format := range []Format{Supportconfig, Snap} {
			var total int64
			last := 0
			err := Split(strings.NewReader(in), format, func(s Section, r io.Reader) error {
				if s.Line <= last && last > 0 || s.Body <= s.Line && s.Name != "" {
					t.Fatalf("%s: section %q at line %d (body %d) after line %d", format, s.Name, s.Line, s.Body, last)
				}
				last = s.Line
				n, err := io.Copy(io.Discard, r)
				total += n
				return err
			})
			if err != nil && err != ErrTooMany {
				t.Fatalf("%s: %v", format, err)
			}
			if total > int64(len(in)) {
				t.Fatalf("%s: bodies hold %d bytes of a %d-byte file", format, total, len(in))
			}
			Detect(strings.Split(in, "\n"))
		}
	})
}
