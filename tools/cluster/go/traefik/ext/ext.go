// Package ext stands in for Traefik's dynamic-configuration extension point. Traefik's go.mod
// replaces this module with a directory of its repository that its module zip leaves out, so the
// Go module proxy alone cannot build it. Traefik v3.7.13 embeds only these two types, both empty
// upstream: embedding empty structs adds no configuration fields.
package ext

// HTTP is embedded in Traefik's dynamic.HTTPConfiguration.
type HTTP struct{}

// Router is embedded in Traefik's dynamic.Router.
type Router struct{}
