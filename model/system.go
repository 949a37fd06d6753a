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

// Package is one installed software package.
type Package struct {
	Name    string `json:"name"`
	Version string `json:"version,omitempty"`
	Src     Source `json:"src"`
}
