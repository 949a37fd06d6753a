package model

// Facts read from lsof, fuser, lsmod, /proc/modules, genkex, slabtop and /proc/slabinfo.

// OpenFile is one descriptor line of lsof. The pipeline does not keep every
// line: rules only ask lsof which descriptors lie inside a guard point
// (OpenFilesUnder), so rows naming no path (sockets, pipes, anonymous
// inodes) are left out, and when a mount table precedes lsof in the bundle
// only rows inside a possible guard point (GuardPointCandidates) are kept.
// A busy host's million-line lsof then costs no memory; the rows left out
// are counted in a LogStats fact of kind "lsof". The model stores the rows
// it keeps packed (OpenFileTable), and hands out OpenFile values made from
// them.
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
	Name    string `json:"name"`              // the path (or socket text), without lsof's "(deleted)" and "(stat: ...)" notes
	Deleted bool   `json:"deleted,omitempty"` // the name carried "(deleted)"
	// TaskCmd is the thread's own name on thread rows (lsof's TASKCMD).
	TaskCmd string `json:"task_cmd,omitempty"`
	// Error is what lsof could not learn about the name, from a suffix such
	// as "(stat: No such file or directory)": a hung or blocking filesystem
	// under the path shows this way.
	Error string `json:"error,omitempty"`
	Src   Source `json:"src"`
}

// OpenFileTally counts, for one lsof file and one TYPE, the rows that name
// no path: network and unix sockets ("*:ssh (LISTEN)", "type=STREAM",
// "@abstract"), pipes, netlink and anonymous inodes. None of them lies inside
// a directory, so when the pipeline keeps only the rows some guard point may
// ask for (see LogStats.KeptUnder) these are counted by type instead of kept
// one by one; a socket bound to a file inside a guard point names that path
// and is kept as an OpenFile.
type OpenFileTally struct {
	Type      string `json:"type"`                // lsof's TYPE column (IPv4, IPv6, unix, FIFO, netlink, a_inode, sock, ...); "" when blank
	Rows      int    `json:"rows"`                // rows of this type not kept as OpenFile facts
	Listening int    `json:"listening,omitempty"` // rows whose name ends in "(LISTEN)"
	Processes int    `json:"processes"`           // distinct process ids among them
	Src       Source `json:"src"`                 // the first such row, as an example
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
	LoadOrder int `json:"load_order"`
	// OrderLost is set when the listing was sorted by name (supportconfig's
	// "lsmod | sort"): LoadOrder is then only the row's place in that
	// listing and says nothing about which module was loaded first.
	OrderLost bool   `json:"order_lost,omitempty"`
	Src       Source `json:"src"`
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
