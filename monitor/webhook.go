package monitor

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"time"
)

// Webhook delivers new alerts to a URL as a JSON POST. With a Secret, the body is signed with
// HMAC-SHA256 in the X-Yibao-Signature header (hex), so that the receiver can tell the
// bureau's alerts from forgeries.
type Webhook struct {
	URL    string
	Secret string
	Client *http.Client // nil: a client with a 10-second timeout
}

// WebhookPayload is what the receiver gets.
type WebhookPayload struct {
	Source string  `json:"source"`
	SentAt string  `json:"sent_at"`
	Alerts []Alert `json:"alerts"`
}

// Deliver posts the alerts in one request; a non-2xx answer is an error and the caller keeps
// the alerts undelivered, to try again.
func (w Webhook) Deliver(ctx context.Context, alerts []Alert, now time.Time) error {
	if len(alerts) == 0 {
		return nil
	}
	body, err := json.Marshal(WebhookPayload{Source: "yibao", SentAt: now.UTC().Format(time.RFC3339), Alerts: alerts})
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, w.URL, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("webhook: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	if w.Secret != "" {
		mac := hmac.New(sha256.New, []byte(w.Secret))
		mac.Write(body)
		req.Header.Set("X-Yibao-Signature", hex.EncodeToString(mac.Sum(nil)))
	}
	c := w.Client
	if c == nil {
		c = &http.Client{Timeout: 10 * time.Second}
	}
	resp, err := c.Do(req)
	if err != nil {
		return fmt.Errorf("webhook: %w", err)
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<16))
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return fmt.Errorf("webhook: %s answered %s", w.URL, resp.Status)
	}
	return nil
}
