package chat

import (
	"context"
	"log/slog"
	"time"
)

// This file is what a process does for the others: the heartbeat of its
// presence, the notices it publishes and the ones it hears.

// every runs f each interval until Close.
func (s *Service) every(interval time.Duration, f func()) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-s.stop:
			return
		case <-t.C:
		}
		f()
	}
}

// heartbeat keeps this process's presence alive in a shared store and
// announces every tenant that lost the entries of a dead process.
func (s *Service) heartbeat() {
	ctx, cancel := context.WithTimeout(s.stopCtx, s.cfg.HeartbeatInterval)
	defer cancel()
	changed, err := s.presence.Heartbeat(ctx)
	if err != nil && s.stopCtx.Err() == nil {
		s.log.Warn("presence heartbeat failed", slog.String("error", err.Error()))
	}
	for _, tenantID := range changed {
		s.presenceChanged(ctx, tenantID, "")
	}
}

// presenceChanged schedules this process's update of a tenant and tells the
// other processes to schedule theirs.
func (s *Service) presenceChanged(ctx context.Context, tenantID, slug string) {
	s.schedule.changed(tenantID, slug)
	s.publish(ctx, Notice{Kind: NoticePresence, ID: tenantID})
}

func (s *Service) publish(ctx context.Context, n Notice) {
	if s.notices == nil {
		return
	}
	if err := s.notices.Publish(ctx, n); err != nil {
		s.log.Warn("notice not published", slog.String("kind", n.Kind), slog.String("tenant_id", n.ID),
			slog.String("error", err.Error()))
	}
}

// onNotice acts on another process's notice.
func (s *Service) onNotice(n Notice) {
	switch n.Kind {
	case NoticePresence:
		s.schedule.changed(n.ID, "")
	case NoticeTenant:
		s.tenants.invalidate(n.ID)
	}
}

// resync runs when notices may have been lost: nothing cached is trusted,
// and every tenant with local sockets gets a fresh presenceUpdate.
func (s *Service) resync() {
	s.tenants.invalidate("")
	for _, tenantID := range s.schedule.localTenants() {
		s.schedule.changed(tenantID, "")
	}
}

// TenantChanged is how the HTTP side reports that it changed a tenant or
// its rooms: this process and every other one forget their cached copies,
// so the next join reads the new ones.
func (s *Service) TenantChanged(ctx context.Context, tenantID string) {
	s.tenants.invalidate(tenantID)
	s.publish(ctx, Notice{Kind: NoticeTenant, ID: tenantID})
}
