package parsers

// Kind is an artifact kind id: what sort of file an artifact is, whatever
// collector wrote it. The ids are a contract (docs/architecture.md, "Artifact
// kinds"): `inventory --format json`, `facts --kind` and users' scripts use
// these exact strings, so a constant's value never changes once shipped.
type Kind string

// The artifact kinds. Several parsers may share a kind, one per variant of
// the format (Linux and AIX mount tables are both KindMount).
const (
	KindMount       Kind = "mount"        // mount tables: mount, /proc/mounts, mountinfo, findmnt, AIX mount
	KindDF          Kind = "df"           // df output
	KindLsof        Kind = "lsof"         // lsof output, Linux and AIX
	KindFuser       Kind = "fuser"        // fuser -v output
	KindModules     Kind = "modules"      // lsmod, /proc/modules, AIX genkex
	KindStrace      Kind = "strace"       // strace transcripts
	KindSlab        Kind = "slab"         // slabtop and /proc/slabinfo samples
	KindAgentStatus Kind = "agent-status" // the encryption agent's guard-point status table
	KindAgentLog    Kind = "agent-log"    // the agents' own logs and stop transcripts
	KindKernelLog   Kind = "kernel-log"   // dmesg, messages, kern.log
	KindInitScript  Kind = "init-script"  // SysV init scripts with their LSB header
	KindFilesystems Kind = "filesystems"  // /proc/filesystems
	KindProcesses   Kind = "processes"    // ps listings
	KindPackages    Kind = "packages"     // rpm, dpkg and lslpp package lists
	KindHost        Kind = "host"         // host name, OS, kernel, date, collector manifest
	KindServices    Kind = "services"     // service listings: chkconfig --list, systemctl list-unit-files
	// KindText is every file no parser recognised. Such files are still
	// offered to the `lines:` collectors of rules.
	KindText Kind = "text"
	// KindBinary is a file whose content is binary: it is listed in the
	// inventory, never parsed.
	KindBinary Kind = "binary"
	// KindSupportconfig and KindSnap are files that concatenate many
	// outputs, of SUSE supportconfig and AIX snap: no parser reads them
	// whole; the pipeline splits them into sections (package sections),
	// each listed under the file with a kind of its own.
	KindSupportconfig Kind = "supportconfig"
	KindSnap          Kind = "snap"
)

// kindDocs are the declared kinds; a parser of any other kind fails
// Validate.
var kindDocs = []Kind{
	KindMount, KindDF, KindLsof, KindFuser, KindModules, KindStrace, KindSlab,
	KindAgentStatus, KindAgentLog, KindKernelLog, KindInitScript, KindFilesystems,
	KindProcesses, KindPackages, KindHost, KindServices, KindText, KindBinary,
	KindSupportconfig, KindSnap,
}

// Known reports whether k is one of the declared kinds.
func (k Kind) Known() bool {
	for _, d := range kindDocs {
		if d == k {
			return true
		}
	}
	return false
}

// String is the kind id.
func (k Kind) String() string { return string(k) }
