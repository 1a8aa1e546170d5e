#!/usr/bin/env node
/**
 * Prints the configuration of the loopback `docker-registry` that stands in for Zot, as the tests
 * write it, with TLS: used by the local cluster (tools/cluster) so both registries stay alike.
 *
 *   node tools/oci/dist/registry-config-cli.js ADDR ROOT HTPASSWD CERT KEY   (secret from REGISTRY_HTTP_SECRET)
 */
import { randomBytes } from 'node:crypto';
import { registryConfig } from './testing/registry-server';

const [addr, root, htpasswd, certificate, key] = process.argv.slice(2);
if (!addr || !root || !htpasswd || !certificate || !key) {
  process.stderr.write('usage: registry-config-cli.js ADDR ROOT HTPASSWD CERT KEY\n');
  process.exit(64);
}
process.stdout.write(
  registryConfig({
    addr,
    root,
    htpasswd,
    secret: process.env.REGISTRY_HTTP_SECRET ?? randomBytes(16).toString('hex'),
    tls: { certificate, key },
    realm: 'oleada-local',
  }),
);
