package parsers

import "testing"

func TestServices(t *testing.T) {
	m, warns := parseString(t, "service-list", "chkconfig.txt",
		"nails                     0:off  1:off  2:off  3:on   4:off  5:on   6:off\n"+
			"novell-ncs                0:off  1:off  2:off  3:off  4:off  5:off  6:off\n"+
			"UNIT FILE                                  STATE           VENDOR PRESET\n"+
			"auditd.service                             enabled         enabled\n"+
			"dbus.socket                                static          -\n"+
			"garbage\n"+
			"2 unit files listed.\n")
	if len(warns) != 1 || warns[0].Line != 6 {
		t.Errorf("warnings %v, want one at line 6", warns)
	}
	want := []struct{ name, state, manager string }{{"nails", "3:on 5:on", "chkconfig"}, {"novell-ncs", "off", "chkconfig"}, {"auditd", "enabled", "systemd"}}
	if len(m.Services) != len(want) {
		t.Fatalf("services %+v", m.Services)
	}
	for i, w := range want {
		if s := m.Services[i]; s.Name != w.name || s.State != w.state || s.Manager != w.manager {
			t.Errorf("service %d = %+v, want %+v", i, s, w)
		}
	}
	if !m.HasService("nails") || !m.HasService("auditd") || m.HasService("sshd") {
		t.Error("HasService does not read the listing")
	}
}
