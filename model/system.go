package model

// Facts read from mount tables, df, the agent status table, /proc/filesystems, ps, package lists, uname and hostname.

// Mount is one line of a mount table (mount, /proc/mounts, mountinfo,
// findmnt or AIX mount).
type Mount struct {
	Device  string   `json:"device"` // what is mounted: a device, a server:/path, or a pseudo name
	Path    string   `json:"path"`   // the mount point
	FSType  string   `json:"fstype"`
	Options []string `json:"options,omitempty"`
	Node    string   `json:"node,omitempty"` // AIX remote node
	Format  string   `json:"format"`         // which variant it was read from: mount, proc-mounts, mountinfo, findmnt, aix-mount
	Src     Source   `json:"src"`

	// Label is the filesystem label `mount -l` prints in brackets.
	Label string `json:"label,omitempty"`
	// Root is the directory of the filesystem that is mounted (mountinfo
	// ROOT, findmnt's SOURCE[/subdir]): not "/" for bind mounts.
	Root string `json:"root,omitempty"`
	// ID and ParentID are mountinfo's mount ids, which place a mount in the
	// tree exactly even when paths are ambiguous; 0 when unknown.
	ID       int    `json:"id,omitempty"`
	ParentID int    `json:"parent_id,omitempty"`
	MajMin   string `json:"maj_min,omitempty"`
	// Propagation is mountinfo's optional fields or findmnt's PROPAGATION
	// column (shared:1 master:2, private, ...).
	Propagation string `json:"propagation,omitempty"`
	// Date is when AIX says the filesystem was mounted, as printed.
	Date string `json:"date,omitempty"`
}

// DFEntry is one filesystem line of `df`.
type DFEntry struct {
	Filesystem string `json:"filesystem"`
	MountedOn  string `json:"mounted_on"`
	Size       string `json:"size,omitempty"`
	Used       string `json:"used,omitempty"`
	Avail      string `json:"avail,omitempty"`
	UsePct     string `json:"use_pct,omitempty"`
	Src        Source `json:"src"`

	// FSType is the Type column of `df -T`, when present.
	FSType string `json:"fstype,omitempty"`
}

// GuardStatus is one row of the encryption agent's own guard-point table
// (`secfsd -status guard`): the authoritative list when it is present.
type GuardStatus struct {
	Path        string `json:"path"`
	Policy      string `json:"policy,omitempty"`
	Type        string `json:"type,omitempty"`
	ConfigState string `json:"config_state,omitempty"`
	Status      string `json:"status,omitempty"`
	Reason      string `json:"reason,omitempty"`
	Src         Source `json:"src"`
}

// Filesystem is one type registered with the kernel (/proc/filesystems).
type Filesystem struct {
	Name  string `json:"name"`
	NoDev bool   `json:"nodev,omitempty"`
	Src   Source `json:"src"`
}

// Process is one row of ps.
type Process struct {
	PID     int    `json:"pid"`
	PPID    int    `json:"ppid,omitempty"`
	User    string `json:"user,omitempty"`
	State   string `json:"state,omitempty"` // the STAT letters: D, S, R, Z, ...
	WChan   string `json:"wchan,omitempty"`
	Command string `json:"command"` // the program name (basename of the first word)
	Args    string `json:"args,omitempty"`
	Src     Source `json:"src"`
}

// Service is one service a service manager lists (chkconfig --list,
// systemctl list-unit-files): the host has it, enabled or not.
type Service struct {
	Name    string `json:"name"`    // without ".service"
	State   string `json:"state"`   // "enabled", "disabled", "static", or chkconfig's runlevels ("3:on 5:on"; "off" when none)
	Manager string `json:"manager"` // chkconfig or systemd
	Src     Source `json:"src"`
}

// Package is one installed software package.
type Package struct {
	Name    string `json:"name"`
	Version string `json:"version,omitempty"`
	Src     Source `json:"src"`

	// Arch is the package architecture (x86_64, noarch, amd64) when listed.
	Arch string `json:"arch,omitempty"`
	// Manager names the list it came from: rpm, dpkg or lslpp.
	Manager string `json:"manager,omitempty"`
	// State is the package manager's state code (dpkg "ii", lslpp "C").
	State string `json:"state,omitempty"`
	// NotInstalled marks a row the package manager lists for a package
	// that is not installed: dpkg's "rc" (removed, its configuration files
	// kept) and "un"/"pn". Such rows are kept as evidence of what was once
	// there, and the queries of rules (PackagesNamed) leave them out.
	NotInstalled bool `json:"not_installed,omitempty"`
}
