// Package model holds the normalized facts that parsers extract from a bundle
// and that rules query. Every fact carries a Source so that a report can quote
// the exact line it came from.
//
// The JSON shape of Model is a contract: `triage facts` prints it and rule
// authors read it (see rules.d/README.md). Add fields, never rename them.
package model

import "sync"

// Source says where a fact was read: the path inside the bundle, the
// 1-based line number (and the last line when the fact spans several), and
// the raw text of the first line, already cleaned of control characters.
type Source struct {
	Path    string `json:"path"`
	Line    int    `json:"line"`
	EndLine int    `json:"end_line,omitempty"`
	Text    string `json:"text"`
}

// Model is a bundle, normalized: every fact the parsers found, grouped by
// kind. Slices keep the order in which facts were read (file order, then
// line order), which matters for mount order and module load order.
type Model struct {
	Host        Host          `json:"host"`
	Mounts      []Mount       `json:"mounts"`
	DF          []DFEntry     `json:"df"`
	AgentStatus []GuardStatus `json:"agent_status"`
	OpenFiles   []OpenFile    `json:"open_files"`
	Fuser       []FuserHit    `json:"fuser"`
	Modules     []Module      `json:"modules"`
	Syscalls    []Syscall     `json:"syscalls"`
	Slabs       []SlabSample  `json:"slabs"`
	Events      []Event       `json:"events"`
	InitScripts []InitScript  `json:"init_scripts"`
	Filesystems []Filesystem  `json:"filesystems"`
	Processes   []Process     `json:"processes"`
	Packages    []Package     `json:"packages"`
	// Lines holds the lines that rules asked for by name (a rule's `lines:`
	// block: a file glob and a regex), keyed by that name. Other raw lines
	// are not kept, so memory does not grow with the bundle.
	Lines map[string][]LineMatch `json:"lines,omitempty"`

	once    sync.Once
	derived derived // computed once, on first use; see derive.go
}

// Host describes the machine the bundle was collected on, as far as the
// bundle tells.
type Host struct {
	Hostname    string   `json:"hostname,omitempty"`
	OS          string   `json:"os,omitempty"` // "Linux", "AIX", or empty when unknown
	Kernel      string   `json:"kernel,omitempty"`
	Arch        string   `json:"arch,omitempty"`
	CollectedAt string   `json:"collected_at,omitempty"` // RFC 3339 when known
	Sources     []Source `json:"sources,omitempty"`
}

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

// OpenFile is one descriptor line of lsof.
type OpenFile struct {
	Command string `json:"command"`
	PID     int    `json:"pid"`
	TID     int    `json:"tid,omitempty"`
	User    string `json:"user,omitempty"`
	FD      string `json:"fd"`             // cwd, rtd, txt, mem, 3u, ...
	Type    string `json:"type,omitempty"` // REG, DIR, CHR, unix, IPv4, ...
	Device  string `json:"device,omitempty"`
	SizeOff string `json:"size_off,omitempty"`
	Node    string `json:"node,omitempty"`
	Name    string `json:"name"`              // the path (or socket text), without the "(deleted)" suffix
	Deleted bool   `json:"deleted,omitempty"` // the name carried "(deleted)"
	Src     Source `json:"src"`
}

// FuserHit is one process that fuser reported using a path.
type FuserHit struct {
	Path    string `json:"path"`             // the name fuser was asked about
	PID     int    `json:"pid"`              // 0 for the kernel pseudo-rows of -v -m
	Access  string `json:"access,omitempty"` // letters: c e f F r m s (dots removed)
	User    string `json:"user,omitempty"`
	Command string `json:"command,omitempty"`
	Kernel  string `json:"kernel,omitempty"` // "mount", "swap", ... for kernel pseudo-rows
	Src     Source `json:"src"`
}

// Module is one loaded kernel module (lsmod, /proc/modules) or kernel
// extension (AIX genkex).
type Module struct {
	Name      string   `json:"name"`
	Size      int64    `json:"size"`
	RefCount  int      `json:"refcount"`          // -1 when the kernel could not say
	UsedBy    []string `json:"used_by,omitempty"` // module names; "[permanent]" is recorded in Permanent
	Permanent bool     `json:"permanent,omitempty"`
	State     string   `json:"state,omitempty"` // Live, Loading, Unloading (/proc/modules)
	Taint     string   `json:"taint,omitempty"` // e.g. "OE"
	Path      string   `json:"path,omitempty"`  // AIX genkex: the file the extension was loaded from
	// LoadOrder counts from 0 for the oldest module of its listing. lsmod and
	// /proc/modules list the newest first, and so does genkex.
	LoadOrder int    `json:"load_order"`
	Src       Source `json:"src"`
}

// Syscall is one system call of an strace capture. A call split by
// "<unfinished ...>" and "<... resumed>" is one Syscall spanning both lines.
type Syscall struct {
	PID        int     `json:"pid,omitempty"`
	Time       string  `json:"time,omitempty"` // as printed: HH:MM:SS[.us] or epoch
	Name       string  `json:"name"`
	Args       string  `json:"args"`
	Ret        string  `json:"ret,omitempty"`   // "0", "-1", "?", "0x7f..."
	Errno      string  `json:"errno,omitempty"` // ENOENT, ERESTARTSYS, ...
	Duration   float64 `json:"duration,omitempty"`
	Unfinished bool    `json:"unfinished,omitempty"` // never returned within the capture
	Src        Source  `json:"src"`
}

// SlabSample is one cache's line in one slab sample (slabtop -o or
// /proc/slabinfo). Sample numbers order the samples of a bundle in time.
type SlabSample struct {
	// Series groups samples that belong to one time series (e.g. "slabtop"
	// for slabtop-1.out, slabtop-2.out; "proc/slabinfo" for repeated blocks
	// of one file). Growth is only computed within a series.
	Series     string `json:"series"`
	Sample     int    `json:"sample"`
	Cache      string `json:"cache"`
	ActiveObjs int64  `json:"active_objs"`
	NumObjs    int64  `json:"num_objs"`
	ObjSize    int64  `json:"obj_size"` // bytes
	Src        Source `json:"src"`
}

// Event is one classified line of a log: an agent log, a saved stop
// transcript or the kernel log. Kind says what happened (see the Event*
// constants); Message is the line without its timestamp and prefix.
type Event struct {
	Kind      string `json:"kind"`
	Log       string `json:"log"` // the artifact kind it came from: agent-log or kernel-log
	Time      string `json:"time,omitempty"`
	Level     string `json:"level,omitempty"`
	Component string `json:"component,omitempty"`
	Subject   string `json:"subject,omitempty"` // the module, task or guard point the event is about
	Message   string `json:"message"`
	Src       Source `json:"src"`
}

// Event kinds shared by parsers and rules.
const (
	EventUnloadFailed         = "unload-failed"         // the agent or rmmod failed to unload a module
	EventInterceptsSuperseded = "intercepts-superseded" // mod_fini: Intercepts superceded - failing unload
	EventAgentStop            = "agent-stop"
	EventAgentStart           = "agent-start"
	EventAgentRestart         = "agent-restart"
	EventReguard              = "reguard"
	EventHungTask             = "hung-task"
	EventModuleInUse          = "module-in-use"
	EventTaint                = "taint"
	EventOther                = "other" // a line kept because it carried a level of WARN or worse
)

// InitScript is a SysV init script and its LSB header, when it has one.
type InitScript struct {
	Name          string            `json:"name"` // the script's file name (nails, novell-ncs)
	Path          string            `json:"path"`
	HasHeader     bool              `json:"has_header"`
	Provides      []string          `json:"provides,omitempty"`
	RequiredStart []string          `json:"required_start,omitempty"`
	RequiredStop  []string          `json:"required_stop,omitempty"`
	ShouldStart   []string          `json:"should_start,omitempty"`
	ShouldStop    []string          `json:"should_stop,omitempty"`
	DefaultStart  []string          `json:"default_start,omitempty"`
	DefaultStop   []string          `json:"default_stop,omitempty"`
	Description   string            `json:"description,omitempty"`
	Fields        map[string]string `json:"fields,omitempty"` // every keyword as written, X- extensions too
	Src           Source            `json:"src"`              // the header block (Line..EndLine), or line 1 without one
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

// LineMatch is one line that matched a rule's named line pattern, with the
// regex's capture groups.
type LineMatch struct {
	Groups []string `json:"groups,omitempty"`
	Src    Source   `json:"src"`
}
