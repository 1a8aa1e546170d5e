// Command pause is the pod sandbox's init process for the local cluster: it holds the pod's
// namespaces, reaps orphaned children and exits on SIGINT/SIGTERM, as Kubernetes' own pause does.
// Built here because registry.k8s.io is not reachable from the build machine.
package main

import (
	"os"
	"os/signal"
	"syscall"
)

func main() {
	signals := make(chan os.Signal, 8)
	signal.Notify(signals, syscall.SIGINT, syscall.SIGTERM, syscall.SIGCHLD)
	for sig := range signals {
		if sig != syscall.SIGCHLD {
			os.Exit(0)
		}
		for {
			var status syscall.WaitStatus
			pid, err := syscall.Wait4(-1, &status, syscall.WNOHANG, nil)
			if pid <= 0 || err != nil {
				break
			}
		}
	}
}
