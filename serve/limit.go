//go:build !aix

package serve

import (
	"math"
	"net"
	"sync"
	"time"
)

// Failed sign-ins allowed per remote address: loginBurst at once, then
// one per loginRefill. Tokens are long enough that guessing is hopeless
// anyway; the limit keeps a guesser from costing the service anything and
// makes the attempt visible in the log.
const (
	loginBurst   = 5
	loginRefill  = 20 * time.Second
	loginClients = 10000 // addresses remembered at most
)

// loginLimiter is a token bucket of failed sign-ins per remote address.
// Only failures take a token; an address whose bucket is empty is refused
// before its token is even checked. The map is bounded: full buckets carry
// no information and are dropped first.
type loginLimiter struct {
	mu      sync.Mutex
	now     func() time.Time
	burst   float64
	refill  time.Duration
	max     int
	buckets map[string]*loginBucket
}

type loginBucket struct {
	tokens float64
	at     time.Time // when tokens was last brought up to date
}

func newLoginLimiter() *loginLimiter {
	return &loginLimiter{now: time.Now, burst: loginBurst, refill: loginRefill, max: loginClients,
		buckets: map[string]*loginBucket{}}
}

// clientAddr is the remote address without its port: one client, however
// many connections it opens.
func clientAddr(remote string) string {
	if host, _, err := net.SplitHostPort(remote); err == nil {
		return host
	}
	return remote
}

// level brings b up to date at now and returns its tokens.
func (l *loginLimiter) level(b *loginBucket, now time.Time) float64 {
	if el := now.Sub(b.at); el > 0 {
		b.tokens = math.Min(l.burst, b.tokens+float64(el)/float64(l.refill))
		b.at = now
	}
	return b.tokens
}

// allow says whether addr may try to sign in, and if not, how long until
// it may.
func (l *loginLimiter) allow(addr string) (bool, time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	b, ok := l.buckets[addr]
	if !ok {
		return true, 0
	}
	t := l.level(b, l.now())
	if t >= 1 {
		return true, 0
	}
	return false, time.Duration((1-t)*float64(l.refill)).Round(time.Second) + time.Second
}

// fail takes a token from addr's bucket.
func (l *loginLimiter) fail(addr string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	b, ok := l.buckets[addr]
	if !ok {
		if len(l.buckets) >= l.max {
			l.prune(now)
		}
		b = &loginBucket{tokens: l.burst, at: now}
		l.buckets[addr] = b
	}
	l.level(b, now)
	b.tokens = math.Max(0, b.tokens-1)
}

// prune drops the buckets that have refilled; if every one is still
// draining (addresses sprayed on purpose), it drops arbitrary ones until
// there is room, so memory stays bounded.
func (l *loginLimiter) prune(now time.Time) {
	for a, b := range l.buckets {
		if l.level(b, now) >= l.burst {
			delete(l.buckets, a)
		}
	}
	for a := range l.buckets {
		if len(l.buckets) < l.max {
			break
		}
		delete(l.buckets, a)
	}
}
