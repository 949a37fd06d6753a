package model

// Facts read from strace captures, agent and kernel logs, and init scripts.

// Syscall is one system call of an strace capture. A call split by
// "<unfinished ...>" and "<... resumed>" is one Syscall spanning both lines.
type Syscall struct {
	PID        int     `json:"pid,omitempty"`
	Time       string  `json:"time,omitempty"` // as printed: HH:MM:SS[.us] or epoch; "+0.000012" for -r relative stamps
	Name       string  `json:"name"`
	Args       string  `json:"args"`
	Ret        string  `json:"ret,omitempty"`   // "0", "-1", "?", "0x7f..."
	Errno      string  `json:"errno,omitempty"` // ENOENT, ERESTARTSYS, ...
	Duration   float64 `json:"duration,omitempty"`
	Unfinished bool    `json:"unfinished,omitempty"` // never returned within the capture
	// Why says why the call was kept out of the many a trace holds:
	// "unfinished", "failed", "slow" or "relevant" (a call rules look at,
	// such as mount or delete_module).
	Why string `json:"why,omitempty"`
	Src Source `json:"src"` // Line..EndLine spans both halves of a split call
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
	MsgID     string `json:"msg_id,omitempty"`  // the vendor's message id (DXF4328E), when the log has one
	Message   string `json:"message"`
	Src       Source `json:"src"`
}

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
	// Chkconfig is the Red Hat "# chkconfig: 345 97 03" value (runlevels,
	// start and stop priority), which orders boot where no LSB block does.
	Chkconfig string `json:"chkconfig,omitempty"`
	Src       Source `json:"src"` // the header block (Line..EndLine), or line 1 without one
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

// LogStats counts what a trace or log parser read but did not keep, so a
// report can say how much of a large file was summarised and nothing is
// lost silently. There is one per parsed trace or log file, and one per lsof
// file of which the pipeline left rows out (see OpenFile).
type LogStats struct {
	Kind       string `json:"kind"`                  // strace, kernel-log, agent-log or lsof
	Lines      int    `json:"lines"`                 // lines read
	Kept       int    `json:"kept"`                  // facts kept (calls, events or open files)
	Unkept     int    `json:"unkept,omitempty"`      // lines or calls read and not kept: unclassified, fast and successful, or lsof rows outside any possible guard point
	OverBudget int    `json:"over_budget,omitempty"` // worth keeping but beyond the per-file limit
	Calls      int    `json:"calls,omitempty"`       // strace: calls seen, a split call once
	Failed     int    `json:"failed,omitempty"`      // strace: calls that returned an error
	Unfinished int    `json:"unfinished,omitempty"`  // strace: calls that never returned
	Signals    int    `json:"signals,omitempty"`     // strace: "--- SIG..." lines
	Exits      int    `json:"exits,omitempty"`       // strace: "+++ exited/killed +++" lines
	Summary    int    `json:"summary,omitempty"`     // strace: rows of a -c summary table
	// KeptUnder lists, for lsof, the directories inside which every row
	// was kept (the bundle's possible guard points); rows outside them
	// are only counted in Unkept, the ones naming no path by type in
	// Model.OpenFileTallies. A rule asking about another directory gets
	// a filtered subset, and this field says so.
	KeptUnder []string `json:"kept_under,omitempty"`
	// Lost counts lsof rows naming a path that could not be kept for a
	// guard point that became known only after the file was read: the
	// memory budget for holding them was spent. Non-zero means
	// OpenFilesUnder may miss rows of that guard point (the artifact has
	// a warning naming it).
	Lost int    `json:"lost,omitempty"`
	Src  Source `json:"src"` // the file (Line 0)
}
