package auth

// Traefik v3.7 builds against a fork of this package that the Go module proxy does not serve
// (github.com/containous/go-http-auth). These are the two functions of that fork Traefik calls,
// written here against upstream v0.4.0.

import (
	"fmt"
	"net/http"
	"strings"
	"time"
)

// CheckSecret reports whether password matches secret, an htpasswd hash (MD5-crypt, {SHA} or
// bcrypt), choosing the comparison by the hash's prefix as BasicAuth.CheckAuth does.
func CheckSecret(password, secret string) bool {
	compare := compareFuncs[0].compare
	for _, cmp := range compareFuncs[1:] {
		if strings.HasPrefix(secret, cmp.prefix) {
			compare = cmp.compare
			break
		}
	}
	return compare([]byte(secret), []byte(password)) == nil
}

// RequireAuthStale answers as RequireAuth does, adding stale=true so that a client whose nonce
// has expired retries with the new one without asking its user again (RFC 7616, 3.3).
// v0.4.0's CheckAuth never reports a stale nonce, so Traefik only reaches RequireAuth.
func (a *DigestAuth) RequireAuthStale(w http.ResponseWriter, _ *http.Request) {
	a.mutex.Lock()
	if len(a.clients) > a.ClientCacheSize+a.ClientCacheTolerance {
		a.Purge(a.ClientCacheTolerance * 2)
	}
	nonce := RandomKey()
	a.clients[nonce] = &digest_client{nc: 0, last_seen: time.Now().UnixNano()}
	a.mutex.Unlock()
	w.Header().Set(contentType, a.Headers.V().UnauthContentType)
	w.Header().Set(a.Headers.V().Authenticate,
		fmt.Sprintf(`Digest realm="%s", nonce="%s", opaque="%s", algorithm="MD5", qop="auth", stale=true`,
			a.Realm, nonce, a.Opaque))
	w.WriteHeader(a.Headers.V().UnauthCode)
	_, _ = w.Write([]byte(a.Headers.V().UnauthResponse))
}
