package analyze

import (
	"fmt"
	"regexp"
	"sort"
	"strings"

	"github.com/fsagent/triage/bundle"
)

// sccDir matches the folder a supportconfig archive holds:
// scc_<host>_<yymmdd>_<hhmm> (older: nts_<host>_...).
var sccDir = regexp.MustCompile(`^(?:scc|nts)_(.+)_[0-9]{6}_[0-9]{4}$`)

// hostKey is how two names of one host compare: "DB01.example.com" and
// "db01" are the same host.
func hostKey(h string) string {
	h = strings.ToLower(strings.TrimSpace(h))
	if i := strings.IndexByte(h, '.'); i > 0 {
		h = h[:i]
	}
	return h
}

// maxHostsNamed bounds the hosts the warning of severalHosts names; it
// states how many more there are.
const maxHostsNamed = 10

// severalHosts warns when the files of one upload come from more than one
// host: the host names the files state (uname, hostname) and the folders of
// collectors that carry one (scc_<host>_...). Facts of several hosts merged
// into one model can make a rule combine one host's mount table with
// another's open files, so the warning names every host and where it was
// seen, and says to analyze each host's bundle on its own.
func severalHosts(slots []*parsed) []bundle.Warning {
	where := map[string]string{} // host key -> first file naming it
	name := map[string]string{}  // host key -> the name as first written
	var order []string
	note := func(h, path string) {
		k := hostKey(h)
		if k == "" || k == "localhost" {
			return
		}
		if _, ok := where[k]; !ok {
			where[k], name[k] = path, h
			order = append(order, k)
		}
	}
	for _, s := range slots {
		if s == nil {
			continue
		}
		for _, dir := range strings.Split(s.art.Path, "/") {
			if m := sccDir.FindStringSubmatch(dir); m != nil {
				note(m[1], s.art.Path)
				break
			}
		}
		if s.facts != nil && s.facts.Host.Hostname != "" {
			note(s.facts.Host.Hostname, s.art.Path)
		}
	}
	if len(order) < 2 {
		return nil
	}
	sort.SliceStable(order, func(i, j int) bool { return where[order[i]] < where[order[j]] })
	var parts []string
	for _, k := range order[:min(len(order), maxHostsNamed)] {
		parts = append(parts, fmt.Sprintf("%s (%s)", name[k], where[k]))
	}
	if more := len(order) - len(parts); more > 0 {
		parts = append(parts, fmt.Sprintf("and %d more", more))
	}
	return []bundle.Warning{{Msg: fmt.Sprintf(
		"this upload holds the bundles of %d hosts: %s; their facts were analyzed together, so a finding may mix hosts: analyze each host's bundle on its own",
		len(order), strings.Join(parts, ", "))}}
}
