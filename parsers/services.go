package parsers

import (
	"strings"

	"github.com/fsagent/triage/model"
)

// Service listings: what a host's service manager knows, enabled or not.
// supportconfig keeps them in chkconfig.txt (older releases: chkconfig
// --list) and systemd.txt (systemctl list-unit-files), and its OES files
// ask for single services ("chkconfig novell-ncs --list"). A rule asking
// whether a product is on the host (HasService) reads them.
//
//	nails                     0:off  1:off  2:off  3:on   4:off  5:on   6:off
//	nails.service                              enabled         enabled
//	UNIT FILE                                  STATE           VENDOR PRESET

func init() {
	Register(&Parser{
		Name: "service-list",
		Kind: KindServices,
		Doc:  "service listings: chkconfig --list and systemctl list-unit-files",
		Paths: []string{
			"chkconfig", "chkconfig_--list", "chkconfig_--list*", "chkconfig*.out", "chkconfig*.txt",
			"systemctl_list-unit-files*", "systemctl_--no-pager_list-unit-files*",
			"sos_commands/systemd/systemctl_list-unit-files",
		},
		Sniff: sniffServices,
		Parse: parseServices,
	})
}

// chkconfigRow reads "name 0:off 1:off ... 6:off": the enabled runlevels,
// or "off"; ok is false for another line.
func chkconfigRow(f []string) (state string, ok bool) {
	if len(f) < 2 {
		return "", false
	}
	var on []string
	for _, c := range f[1:] {
		lvl, v, found := strings.Cut(c, ":")
		if !found || len(lvl) != 1 || (v != "on" && v != "off") {
			return "", false
		}
		if v == "on" {
			on = append(on, c)
		}
	}
	if len(on) == 0 {
		return "off", true
	}
	return strings.Join(on, " "), true
}

// unitRow reads "name.service STATE [PRESET]".
func unitRow(f []string) (name, state string, ok bool) {
	if len(f) < 2 || !strings.HasSuffix(f[0], ".service") {
		return "", "", false
	}
	switch f[1] {
	case "enabled", "disabled", "static", "masked", "indirect", "generated", "transient", "alias", "linked", "enabled-runtime", "masked-runtime", "linked-runtime":
		return strings.TrimSuffix(f[0], ".service"), f[1], true
	}
	return "", "", false
}

func sniffServices(h *Head) bool {
	lines := h.NonBlank(3)
	if len(lines) == 0 {
		return false
	}
	for _, l := range lines {
		f := strings.Fields(l)
		if len(f) >= 2 && f[0] == "UNIT" && f[1] == "FILE" {
			continue
		}
		if _, ok := chkconfigRow(f); ok && len(f) == 8 {
			continue
		}
		if _, _, ok := unitRow(f); ok {
			continue
		}
		return false
	}
	return true
}

func parseServices(in *Input, out *model.Model) {
	for in.Next() {
		t := strings.TrimSpace(in.Text())
		f := strings.Fields(t)
		switch {
		case t == "", len(f) >= 2 && f[0] == "UNIT" && f[1] == "FILE",
			strings.HasSuffix(t, "unit files listed."), strings.HasPrefix(t, "xinetd based services:"):
			continue
		}
		if state, ok := chkconfigRow(f); ok {
			out.Services = append(out.Services, model.Service{Name: f[0], State: state, Manager: "chkconfig", Src: in.Src()})
			continue
		}
		if name, state, ok := unitRow(f); ok {
			out.Services = append(out.Services, model.Service{Name: name, State: state, Manager: "systemd", Src: in.Src()})
			continue
		}
		if strings.Contains(t, ".") && len(f) >= 2 { // other unit types: sockets, timers
			continue
		}
		in.Warnf("expected a chkconfig or systemctl list-unit-files row: %s", quotedExcerpt(t))
	}
}
