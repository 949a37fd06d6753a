package parsers

import (
	"path"
	"reflect"
	"testing"

	"github.com/fsagent/triage/model"
)

func TestInitScript(t *testing.T) {
	cases := []struct {
		name  string
		file  string
		path  string
		want  model.InitScript // Path, Name and Src.Path/Text are filled in by the test
		warns []int
	}{
		{
			name: "the seed article's nails block: empty values, no alignment",
			file: "nails", path: "etc/init.d/nails",
			want: model.InitScript{HasHeader: true, Provides: []string{"anti-virus"},
				RequiredStart: []string{"$local_fs", "$network", "ndsd", "cma"},
				ShouldStart:   []string{"novell-ncs", "nss"}, ShouldStop: []string{"novell-ncs", "nss"},
				DefaultStart: []string{"2", "3", "4", "5"}, Description: "LinuxShield anti-virus services",
				Fields: map[string]string{"Provides": "anti-virus", "Should-Start": "novell-ncs nss", "Should-Stop": "novell-ncs nss",
					"Required-Start": "$local_fs $network ndsd cma", "Required-Stop": "", "Default-Start": "2 3 4 5",
					"Default-Stop": "", "Description": "LinuxShield anti-virus services"},
				Src: model.Source{Line: 5, EndLine: 14}},
			warns: []int{},
		},
		{
			name: "keywords without a space after #",
			file: "nails-nospace", path: "etc/rc.d/init.d/nails",
			want: model.InitScript{HasHeader: true, Provides: []string{"anti-virus"},
				RequiredStart: []string{"$local_fs", "$network", "ndsd", "cma"},
				ShouldStart:   []string{"novell-ncs", "nss"}, ShouldStop: []string{"novell-ncs", "nss"},
				DefaultStart: []string{"2", "3", "4", "5"},
				Fields: map[string]string{"Provides": "anti-virus", "Should-Start": "novell-ncs nss", "Should-Stop": "novell-ncs nss",
					"Required-Start": "$local_fs $network ndsd cma", "Default-Start": "2 3 4 5"},
				Src: model.Source{Line: 2, EndLine: 8}},
			warns: []int{},
		},
		{
			name: "CRLF, aligned padding, trailing spaces, X- extensions, tab and space continuations",
			file: "secfs", path: "sosreport-h-1/etc/init.d/secfs",
			want: model.InitScript{HasHeader: true, Provides: []string{"secfs", "vmd"},
				RequiredStart: []string{"$local_fs", "$network", "$remote_fs"}, ShouldStart: []string{"$time"},
				DefaultStart: []string{"2", "3", "5"}, DefaultStop: []string{"0", "1", "6"},
				Description: "Starts the secfs kernel module and the vmd and secfsd daemons, then guards the configured paths.",
				Fields: map[string]string{"Provides": "secfs vmd", "Required-Start": "$local_fs $network $remote_fs", "Required-Stop": "",
					"Should-Start": "$time", "X-Start-Before": "oracle", "X-Interactive": "true", "Default-Start": "2 3 5",
					"Default-Stop": "0 1 6", "Short-Description": "Vormetric agent",
					"Description": "Starts the secfs kernel module and the vmd and secfsd daemons, then guards the configured paths."},
				Src: model.Source{Line: 2, EndLine: 15}},
			warns: []int{},
		},
		{
			name: "chkconfig header only, description continued by backslashes",
			file: "novell-ncs", path: "etc/init.d/novell-ncs",
			want: model.InitScript{Chkconfig: "345 14 86",
				Description: "Starts and stops Novell Cluster Services, the cluster resource manager and its kernel modules.",
				Fields: map[string]string{"chkconfig": "345 14 86", "processname": "ncs",
					"description": "Starts and stops Novell Cluster Services, the cluster resource manager and its kernel modules."},
				Src: model.Source{Line: 1}},
			warns: []int{},
		},
		{
			name: "no header at all",
			file: "functions", path: "etc/rc.d/init.d/functions",
			want:  model.InitScript{Src: model.Source{Line: 1}},
			warns: []int{},
		},
		{
			name: "blank line and code inside the block",
			file: "broken", path: "etc/init.d/broken",
			want: model.InitScript{HasHeader: true, Provides: []string{"broken"}, RequiredStart: []string{"$remote_fs"},
				DefaultStart: []string{"2", "3", "4", "5"},
				Fields:       map[string]string{"Provides": "broken", "Required-Start": "$remote_fs", "Default-Start": "2 3 4 5"},
				Src:          model.Source{Line: 2, EndLine: 6}},
			warns: []int{5, 7},
		},
		{
			name: "no END line, a repeated keyword, a stray comment",
			file: "unterminated", path: "etc/init.d/unterminated",
			want: model.InitScript{HasHeader: true, Provides: []string{"unterminated", "also-this"}, RequiredStart: []string{"$local_fs"},
				Fields: map[string]string{"Provides": "unterminated also-this", "Required-Start": "$local_fs"},
				Src:    model.Source{Line: 2, EndLine: 6}},
			warns: []int{5, 6, 6},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			content := readTestdata(t, "init-script", tc.file)
			m, ws := parseString(t, "init-script", tc.path, content)
			if got := warnLines(ws); !reflect.DeepEqual(got, tc.warns) {
				t.Errorf("warning lines = %v, want %v (%v)", got, tc.warns, ws)
			}
			if len(m.InitScripts) != 1 {
				t.Fatalf("scripts: %+v", m.InitScripts)
			}
			got := m.InitScripts[0]
			w := tc.want
			w.Path = tc.path
			w.Name = path.Base(tc.path)
			w.Src.Path = tc.path
			if got.Src.Text == "" {
				t.Errorf("source without text: %+v", got.Src)
			}
			w.Src.Text = got.Src.Text
			if !reflect.DeepEqual(got, w) {
				t.Errorf("got  %+v\nwant %+v", got, w)
			}
		})
	}
}

func TestInitScriptEmpty(t *testing.T) {
	m, ws := parseString(t, "init-script", "etc/init.d/empty", "")
	if len(m.InitScripts) != 1 || m.InitScripts[0].Name != "empty" || m.InitScripts[0].HasHeader || len(ws) != 0 {
		t.Errorf("%+v %v", m.InitScripts, ws)
	}
}
