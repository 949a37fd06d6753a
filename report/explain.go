package report

import (
	"encoding/json"
	"io"
	"strings"

	"github.com/fsagent/triage/rules"
)

// Explanation writes how one rule was evaluated on a bundle (`triage
// analyze --explain ID`): as JSON when format is "json", otherwise as text
// whose every line is escaped as the reports escape bundle text, since the
// explanation quotes the bundle (subjects, values, messages).
func Explanation(w io.Writer, ex *rules.Explanation, format string) error {
	if format == "json" {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		enc.SetEscapeHTML(false)
		return enc.Encode(ex)
	}
	lines := strings.Split(strings.TrimSuffix(ex.String(), "\n"), "\n")
	for i, l := range lines {
		lines[i] = safeText(l)
	}
	_, err := io.WriteString(w, strings.Join(lines, "\n")+"\n")
	return err
}
