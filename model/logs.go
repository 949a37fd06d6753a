package model

// Facts read from strace captures, agent and kernel logs, and init scripts.

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
