package web

import (
	"context"
	"sync"
	"time"
)

// cache keeps computed summaries until the store changes (its change counter, which CLI
// runs move too) or the server changes state itself, so that pages stay fast and never
// stale. It holds at most maxCacheEntries summaries.
type cache struct {
	mu      sync.Mutex
	m       map[string]any
	version func(context.Context) (int64, error) // nil: no store to watch
	seen    int64
	checked time.Time
}

const maxCacheEntries = 256

func (c *cache) get(key string, compute func() (any, error)) (any, error) {
	c.mu.Lock()
	c.refresh()
	if v, ok := c.m[key]; ok {
		c.mu.Unlock()
		return v, nil
	}
	c.mu.Unlock()
	v, err := compute()
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	if len(c.m) >= maxCacheEntries {
		c.m = map[string]any{}
	}
	c.m[key] = v
	c.mu.Unlock()
	return v, nil
}

// refresh drops everything when the store's change counter moved; it asks the store at
// most once a second. Called with mu held.
func (c *cache) refresh() {
	if c.version == nil || time.Since(c.checked) < time.Second {
		return
	}
	c.checked = time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	if n, err := c.version(ctx); err == nil && n != c.seen {
		c.seen = n
		c.m = map[string]any{}
	}
}

func (c *cache) clear() {
	c.mu.Lock()
	c.m = map[string]any{}
	c.mu.Unlock()
}
