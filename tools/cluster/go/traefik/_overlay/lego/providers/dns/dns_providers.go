// Package dns resolves a DNS-01 challenge provider by name. lego's generated registry of this
// package imports ~150 providers and their cloud SDKs, several of which the Go module proxy does
// not serve; this replacement keeps only the providers that need no SDK. The local cluster does
// not use ACME at all; these keep Traefik's dnsChallenge usable with a hook of one's own.
package dns

import (
	"fmt"

	"github.com/go-acme/lego/v5/challenge"
	"github.com/go-acme/lego/v5/providers/dns/exec"
	"github.com/go-acme/lego/v5/providers/dns/httpreq"
	"github.com/go-acme/lego/v5/providers/dns/manual"
)

// NewDNSChallengeProviderByName returns the DNS-01 challenge provider of that name, configured
// from its environment variables as lego documents for each.
func NewDNSChallengeProviderByName(name string) (challenge.Provider, error) {
	switch name {
	case "exec":
		return exec.NewDNSProvider()
	case "httpreq":
		return httpreq.NewDNSProvider()
	case "manual":
		return manual.NewDNSProvider()
	default:
		return nil, fmt.Errorf("DNS provider %q is not in this build (only exec, httpreq and manual are)", name)
	}
}
