//go:build !linux

package capture

import "fmt"

// LiveSource captures packets on one network interface. Live capture needs Linux: on
// this system OpenLive always fails with ErrLiveUnsupported.
type LiveSource struct{}

// OpenLive fails with ErrLiveUnsupported: live capture needs Linux (AF_PACKET).
func OpenLive(iface string, cfg LiveConfig) (*LiveSource, error) {
	return nil, fmt.Errorf("%s: %w", iface, ErrLiveUnsupported)
}

// ReadPacket fails with ErrLiveUnsupported.
func (l *LiveSource) ReadPacket() (Packet, error) { return Packet{}, ErrLiveUnsupported }

// Reopen fails with ErrLiveUnsupported.
func (l *LiveSource) Reopen() error { return ErrLiveUnsupported }

// Stats returns zero counts.
func (l *LiveSource) Stats() LiveStats { return LiveStats{} }

// Drops returns 0.
func (l *LiveSource) Drops() uint64 { return 0 }

// Name returns "".
func (l *LiveSource) Name() string { return "" }

// LinkTypes returns nil.
func (l *LiveSource) LinkTypes() []LinkType { return nil }

// Filter returns "".
func (l *LiveSource) Filter() string { return "" }

// SnapLen returns 0.
func (l *LiveSource) SnapLen() int { return 0 }

// Close does nothing.
func (l *LiveSource) Close() error { return nil }
