package web

import (
	"container/list"
	"math"
	"sync"
	"time"
)

// lru is a map with a size cap and an expiry per entry: the least recently used entry goes
// when the cap is reached, so that keys chosen by a client (user names, addresses, key ids)
// can never make memory grow without bound.
type lru[V any] struct {
	mu    sync.Mutex
	max   int
	ttl   time.Duration
	order *list.List // front: most recently used
	m     map[string]*list.Element
}

type lruEntry[V any] struct {
	key     string
	v       V
	expires time.Time
}

func newLRU[V any](max int, ttl time.Duration) *lru[V] {
	return &lru[V]{max: max, ttl: ttl, order: list.New(), m: map[string]*list.Element{}}
}

// update calls fn with the live value of key (a zero V when missing or expired) and stores
// what fn leaves in it, refreshing its expiry; fn runs under the lock.
func (c *lru[V]) update(key string, now time.Time, fn func(v *V)) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.m[key]
	if ok && now.After(e.Value.(*lruEntry[V]).expires) {
		c.order.Remove(e)
		delete(c.m, key)
		ok = false
	}
	if !ok {
		e = c.order.PushFront(&lruEntry[V]{key: key})
		c.m[key] = e
		for c.order.Len() > c.max {
			old := c.order.Back()
			c.order.Remove(old)
			delete(c.m, old.Value.(*lruEntry[V]).key)
		}
	} else {
		c.order.MoveToFront(e)
	}
	ent := e.Value.(*lruEntry[V])
	fn(&ent.v)
	ent.expires = now.Add(c.ttl)
}

// peek returns key's live value without refreshing it.
func (c *lru[V]) peek(key string, now time.Time) (V, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	var zero V
	e, ok := c.m[key]
	if !ok || now.After(e.Value.(*lruEntry[V]).expires) {
		return zero, false
	}
	return e.Value.(*lruEntry[V]).v, true
}

func (c *lru[V]) remove(key string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.m[key]; ok {
		c.order.Remove(e)
		delete(c.m, key)
	}
}

func (c *lru[V]) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.order.Len()
}

// bucket is a token bucket.
type bucket struct {
	tokens float64
	last   time.Time
	seen   bool
}

// rateLimiter allows perMin requests a minute per key, in bursts of up to burst.
type rateLimiter struct{ buckets *lru[bucket] }

func newRateLimiter(maxKeys int) *rateLimiter {
	return &rateLimiter{buckets: newLRU[bucket](maxKeys, 10*time.Minute)}
}

// allow takes a token for key; when none is left it returns false and how long to wait.
func (l *rateLimiter) allow(key string, perMin, burst int, now time.Time) (ok bool, retry time.Duration) {
	rate := float64(perMin) / 60 // tokens a second
	l.buckets.update(key, now, func(b *bucket) {
		if !b.seen {
			b.tokens, b.last, b.seen = float64(burst), now, true
		}
		b.tokens = math.Min(float64(burst), b.tokens+now.Sub(b.last).Seconds()*rate)
		b.last = now
		if b.tokens >= 1 {
			b.tokens--
			ok = true
			return
		}
		retry = time.Duration((1 - b.tokens) / rate * float64(time.Second))
	})
	return ok, retry
}
