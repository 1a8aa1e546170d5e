// CoreDNS with only the plugins the local cluster's Corefile uses (tools/cluster/lib/config.sh).
// The stock main links every plugin CoreDNS ships, so a cold build compiles the AWS, Azure,
// Google Cloud and Datadog SDKs too (~700 s of this machine's 2 cores); this one compiles the DNS
// server and the kubernetes plugin. Add a plugin here (import and Directives) before using it there.
package main

import (
	"github.com/coredns/coredns/core/dnsserver"
	"github.com/coredns/coredns/coremain"

	_ "github.com/coredns/coredns/plugin/bind"
	_ "github.com/coredns/coredns/plugin/cache"
	_ "github.com/coredns/coredns/plugin/errors"
	_ "github.com/coredns/coredns/plugin/kubernetes"
	_ "github.com/coredns/coredns/plugin/loadbalance"
)

func init() {
	// The order the plugins run in, the same relative order as CoreDNS's own plugin.cfg.
	dnsserver.Directives = []string{"bind", "errors", "loadbalance", "cache", "kubernetes"}
}

func main() {
	coremain.Run()
}
