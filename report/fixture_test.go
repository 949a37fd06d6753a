package report

import (
	"fmt"

	"github.com/fsagent/triage/analyze"
	"github.com/fsagent/triage/bundle"
	"github.com/fsagent/triage/model"
	"github.com/fsagent/triage/parsers"
	"github.com/fsagent/triage/rules"
)

// hostileScript is a log line that would retitle the page if an HTML
// report ever let it run.
const hostileScript = `<script>document.title='PWNED'</script>`

func src(path string, line int, text string) model.Source {
	return model.Source{Path: path, Line: line, Text: text}
}

// busyHost builds the Result of a realistic bundle by hand: a GDE guard
// point held busy by a shell and with an NFS mount inside it, the agent's
// stop/restart loop, an anti-virus hook with a growing names_cache, a hung
// task, bundle and parser warnings, one rule that failed, and hostile text
// (markup, pipes, backticks, terminal escapes, bidi overrides) in the
// places the bundle controls.
func busyHost() *analyze.Result {
	m := &model.Model{
		Host: model.Host{Hostname: "db01.example.com", OS: "Linux", Kernel: "3.10.0-1160.el7.x86_64",
			Arch: "x86_64", CollectedAt: "2024-03-05T10:22:41Z",
			Sources: []model.Source{src("uname", 1, "Linux db01.example.com 3.10.0-1160.el7.x86_64 #1 SMP x86_64 GNU/Linux")}},
		Mounts: []model.Mount{
			{Device: "/dev/mapper/rhel-root", Path: "/", FSType: "xfs", Format: "mount", Src: src("mount", 1, "/dev/mapper/rhel-root on / type xfs (rw,relatime)")},
			{Device: "proc", Path: "/proc", FSType: "proc", Format: "mount", Src: src("mount", 2, "proc on /proc type proc (rw)")},
			{Device: "/dev/sdb1", Path: "/data", FSType: "xfs", Format: "mount", Src: src("mount", 3, "/dev/sdb1 on /data type xfs (rw)")},
			{Device: "/data", Path: "/data", FSType: "secfs2", Format: "mount", Src: src("mount", 4, "/data on /data type secfs2 (rw)")},
			{Device: "nas01:/export/backup", Path: "/data/backup", FSType: "nfs", Format: "mount", Src: src("mount", 5, "nas01:/export/backup on /data/backup type nfs (rw,vers=3)")},
			{Device: "/dev/sdc1", Path: "/data/archive|old`x`", FSType: "ext4", Format: "mount", Src: src("mount", 6, "/dev/sdc1 on /data/archive|old`x` type ext4 (rw)")},
			{Device: "/dev/sdd1", Path: "/home", FSType: "ext4", Format: "mount", Src: src("mount", 7, "/dev/sdd1 on /home type ext4 (rw)")},
			{Device: "/opt/vormetric/DataSecurityExpert/agent/secfs/.sec", Path: "/opt/vormetric/DataSecurityExpert/agent/secfs/.sec", FSType: "secfs2", Format: "mount", Src: src("mount", 8, "/opt/vormetric/DataSecurityExpert/agent/secfs/.sec on /opt/vormetric/DataSecurityExpert/agent/secfs/.sec type secfs2 (rw)")},
		},
		Modules: []model.Module{
			{Name: "lshook", Size: 61234, RefCount: 2, LoadOrder: 2, Src: src("lsmod", 2, "lshook                 61234  2")},
			{Name: "secfs2", Size: 812345, RefCount: 3, LoadOrder: 1, Src: src("lsmod", 3, "secfs2                812345  3")},
		},
		OpenFiles: model.OpenFilesOf(
			model.OpenFile{Command: "bash", PID: 2199, User: "root", FD: "cwd", Type: "DIR", Name: "/data/app", Src: src("lsof", 14, "bash      2199   root  cwd    DIR  253,0     4096 10977282 /data/app")},
		),
		Events: []model.Event{
			{Kind: model.EventAgentStop, Log: "agent-log", Time: "2024-03-05 10:01:02", Message: "Stopping the secfsd...done", Src: src("var/log/vormetric/secfs_stop.txt", 3, "Stopping the secfsd...done")},
			{Kind: model.EventUnloadFailed, Log: "agent-log", Time: "2024-03-05 10:01:04", Subject: "secfs2", Message: "Failed to unload kernel extension agent/secfs/.sec/mod/secfs2 error = 1", Src: src("var/log/vormetric/secfs_stop.txt", 4, "Failed to unload kernel extension agent/secfs/.sec/mod/secfs2 error = 1")},
			{Kind: model.EventAgentRestart, Log: "agent-log", Time: "2024-03-05 10:01:09", Message: "Starting the vmd...done " + hostileScript, Src: src("var/log/vormetric/vorvmd_root.log", 88, "2024-03-05 10:01:09 Starting the vmd...done "+hostileScript)},
			{Kind: model.EventReguard, Log: "agent-log", Time: "2024-03-05 10:01:15", Subject: "/data", Message: "guard /data ok", Src: src("var/log/vormetric/secfsd.log", 412, "2024-03-05 10:01:15 guard /data ok")},
			{Kind: model.EventHungTask, Log: "kernel-log", Time: "2024-03-05 10:05:40", Subject: "mount.nfs", Message: "INFO: task mount.nfs:4242 blocked for more than 120 seconds.", Src: src("dmesg", 901, "INFO: task mount.nfs:4242 blocked for more than 120 seconds.")},
		},
	}
	for i, n := range []int64{1200, 1900, 2750, 3600} {
		m.Slabs = append(m.Slabs,
			model.SlabSample{Series: "slabtop", Sample: i, Cache: "names_cache", ActiveObjs: n, NumObjs: n + 40, ObjSize: 4096, Src: src(fmt.Sprintf("slabtop-%d.out", i+1), 9, "names_cache")},
			model.SlabSample{Series: "slabtop", Sample: i, Cache: "dentry", ActiveObjs: 73985 + int64(i)*500, NumObjs: 95802, ObjSize: 192, Src: src(fmt.Sprintf("slabtop-%d.out", i+1), 10, "dentry")},
			model.SlabSample{Series: "slabtop", Sample: i, Cache: "kmalloc-32", ActiveObjs: 55040 - int64(i)*100, NumObjs: 55040, ObjSize: 32, Src: src(fmt.Sprintf("slabtop-%d.out", i+1), 11, "kmalloc-32")},
		)
	}
	kb := rules.KB{
		Summary:  "The agent cannot unload its kernel module while any process holds a file, directory or mapping inside a guard point.",
		Symptoms: []string{"The host fails to shut down, or the agent cannot be stopped by hand.", "vorvmd_root.log shows the agent restarting."},
		Cause:    "A process keeps a descriptor, working directory or memory mapping inside the guard point,\nso the module's reference count never reaches zero.",
		Diagnosis: []string{"Run `fuser -vm /data` and `lsof +D /data` on the host.",
			"Compare the PIDs with the evidence above."},
		Resolution: []string{"Stop the processes that hold files in the guard point gracefully (their own stop scripts).",
			"If they do not stop, end them with `kill PID` and allow a few seconds for cleanup.",
			"Stop the agent again:\n  /etc/init.d/secfs stop"},
		Caveats:    []string{"A process blocked in stat() inside the guard point makes fuser and lsof hang too."},
		References: []rules.Reference{{Title: "Unable to stop the Data Encryption agent", URL: "https://www.ibm.com/support/pages/node/0728d828", Doc: "IBM Support"}, {Title: "Local runbook", Doc: "KB-1234"}},
	}
	findings := []rules.Finding{
		{RuleID: "kernel.slab-growth", Severity: rules.Low, Title: "A slab cache grows steadily across samples",
			Message: "names_cache grew from 1200 to 3600 active objects over 4 samples", Subject: "names_cache",
			Evidence: []model.Source{src("slabtop-1.out", 9, "names_cache"), src("slabtop-4.out", 9, "names_cache")},
			KB:       rules.KB{Resolution: []string{"Take two more samples a few minutes apart and compare."}}},
		{RuleID: "gde.guardpoint-busy", Severity: rules.High, Title: "Encryption agent cannot unload - processes hold files inside a guard point",
			Message: "1 descriptor is held under guard point /data by pid 2199", Subject: "/data",
			Evidence: []model.Source{src("mount", 4, "/data on /data type secfs2 (rw)"), m.OpenFiles.Fact(0).Src, m.OpenFiles.Fact(0).Src},
			KB:       kb},
		{RuleID: "gde.nested-mount", Severity: rules.Medium, Title: "A filesystem is mounted inside a guard point",
			Message: "2 mounts inside guard point /data: /data/backup (nfs), /data/archive|old`x` (ext4)", Subject: "/data",
			Evidence: []model.Source{m.Mounts[4].Src, m.Mounts[5].Src, src("dmesg", 77, "evil \x1b[2J\x1b]0;owned\x07 \u202etxt.exe ```` fence | pipe "+hostileScript)},
			KB: rules.KB{Cause: "Unmounting the guard point fails while another filesystem is mounted inside it.",
				Resolution: []string{"Unmount the nested filesystems first (`umount /data/backup`).", "Then stop the agent."}}},
		{RuleID: "gde.unload-restart-loop", Severity: rules.Critical, Title: "The agent failed to unload its module and restarted",
			Message:  "Failed to unload secfs2, then the agent restarted and re-guarded /data",
			Evidence: []model.Source{m.Events[1].Src, m.Events[2].Src, m.Events[3].Src},
			KB: rules.KB{Resolution: []string{"Find what holds the module (see the other findings) and stop it.", "Stop the agent again."},
				References: []rules.Reference{{Title: "javascript link must not become a link", URL: "javascript:alert(1)"}}}},
	}
	return &analyze.Result{
		Bundle: analyze.BundleInfo{Path: "tickets/TS0001234/db01-sosreport.tar.gz", Format: "tar.gz", Size: 18_734_112,
			SHA256: "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"},
		Inventory: []analyze.Artifact{
			{Path: "mount", Size: 612, Kind: "mount", Parser: "mount", IdentifiedBy: parsers.ByPath, Facts: 8},
			{Path: "lsof", Size: 90_112, Kind: "lsof", Parser: "lsof", IdentifiedBy: parsers.ByPath, Facts: 1,
				Warnings: []parsers.Warning{{Path: "lsof", Line: 3, Msg: "lsof: WARNING: can't stat() nfs file system /data/backup"}}},
			{Path: "dmesg", Size: 40_960, Kind: "kernel-log", Parser: "kernel-log", IdentifiedBy: parsers.ByPath, Facts: 2,
				Warnings: []parsers.Warning{{Path: "dmesg", Line: 77, Msg: "line has terminal escapes \x1b[31m | ` removed"}}},
			{Path: "lsmod", Size: 1_024, Kind: "modules", Parser: "lsmod", IdentifiedBy: parsers.ByPath, Facts: 2},
			{Path: "var/log/vormetric/vorvmd_root.log", Size: 300_000, Kind: "agent-log", Parser: "agent-log", IdentifiedBy: parsers.ByPath, Facts: 1},
			{Path: "notes <b>bold</b>.txt", Size: 12, Kind: "text", IdentifiedBy: parsers.ByContent},
		},
		Warnings: []bundle.Warning{
			{Path: "../../etc/passwd", Msg: "unsafe entry name, skipped"},
			{Msg: "archive truncated after 18734112 bytes; what was read is analyzed", Loss: bundle.LossArchive},
		},
		Others: []bundle.Other{
			{Path: "logs/secfs-logs.tar.xz", Type: "archive", Note: "opened as tar.xz"},
			{Path: "etc/passwd-link", Type: "symlink", Target: "/etc/passwd", Note: "not followed: the target is outside the bundle"},
			{Path: "dev/sda", Type: "device", Note: "skipped <never opened>"},
		},
		Model:    m,
		Findings: findings,
		Errors:   []rules.EvalError{{RuleID: "av.fuse-statfs-deadlock", Msg: "evaluating when: deadline exceeded"}},
		Incomplete: []analyze.Reason{
			{Kind: analyze.ReasonArchive, Message: "archive truncated after 18734112 bytes; what was read is analyzed"},
			{Kind: analyze.ReasonRule, RuleID: "av.fuse-statfs-deadlock", Message: "the rule could not be evaluated: evaluating when: deadline exceeded"},
		},
		Coverage: []analyze.RuleCoverage{
			{RuleID: "av.fuse-statfs-deadlock", Status: analyze.CoverageNotEvaluated, Reason: "the rule failed: evaluating when: deadline exceeded"},
			{RuleID: "gde.guardpoint-busy", Status: analyze.CoverageFired},
			{RuleID: "kernel.hung-task", Status: analyze.CoverageEvaluated},
			{RuleID: "kernel.slab-growth", Status: analyze.CoverageNotEvaluated, Reason: "no slab statistics (slab) in the bundle <b>|`x`</b> \x1b[2J"},
		},
		RuleNotes: []string{"rule gde.nested-mount of site-rules/gde.nested-mount.yaml replaces the shipped rule <i>|</i>"},
	}
}

// cutQuiet is a bundle cut short in which no rule fired: the report must
// not read as an all-clear.
func cutQuiet() *analyze.Result {
	r := quietHost()
	r.Bundle = analyze.BundleInfo{Path: "tickets/TS0005678/half.tar.gz", Format: "tar.gz", Size: 1470}
	r.Warnings = []bundle.Warning{{Msg: "tar.gz archive is truncated or corrupt (unexpected EOF); 10 entries before the damage were read, the rest is skipped", Loss: bundle.LossArchive}}
	r.Incomplete = []analyze.Reason{{Kind: analyze.ReasonArchive, Message: r.Warnings[0].Msg}}
	r.Coverage = []analyze.RuleCoverage{
		{RuleID: "gde.guardpoint-busy", Status: analyze.CoverageNotEvaluated, Reason: "no open-file listing (lsof/fuser) in the bundle (the bundle was not read whole: it may be in the part not read)"},
		{RuleID: "gde.nested-mount", Status: analyze.CoverageEvaluated},
	}
	return r
}

// quietHost is a bundle on which no rule fired and nothing was odd.
func quietHost() *analyze.Result {
	return &analyze.Result{
		Bundle: analyze.BundleInfo{Path: "bundles/quiet", Format: "directory", Size: 4096},
		Inventory: []analyze.Artifact{
			{Path: "mount", Size: 80, Kind: "mount", Parser: "mount", IdentifiedBy: parsers.ByPath, Facts: 1},
		},
		Model: &model.Model{Host: model.Host{Hostname: "quiet01"},
			Mounts: []model.Mount{{Device: "/dev/sda1", Path: "/", FSType: "ext4", Src: src("mount", 1, "/dev/sda1 on / type ext4 (rw)")}}},
	}
}

// fixtures are the Results every golden and property test renders.
var fixtures = []struct {
	name string
	res  func() *analyze.Result
}{
	{"busy-host", busyHost},
	{"quiet-host", quietHost},
	{"cut-quiet", cutQuiet},
	{"no-model", func() *analyze.Result {
		return &analyze.Result{Bundle: analyze.BundleInfo{Path: "empty.zip", Format: "zip"},
			Warnings: []bundle.Warning{{Msg: "no artifacts found"}}}
	}},
}
